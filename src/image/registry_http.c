#include "registry_http.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "berth-config.h"
#include "cleanup.h"
#include "file.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define CA_FILE_MAX (4u << 20)
#define HEADER_MAX 8192
#define USER_AGENT "berth/" BERTH_VERSION

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
	(void) h;
	(void) access;
	struct berth_registry *reg = ctx;
	pthread_mutex_lock(&reg->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	(void) h;
	struct berth_registry *reg = ctx;
	pthread_mutex_unlock(&reg->share_locks[data]);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Append a file to the CA bundle being built. */
static int bundle_add(struct berth_registry *reg, int dirfd, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = berth_read_file_at(dirfd, name, CA_FILE_MAX, &text, &len, err);
	if (r < 0)
		return r;
	char *grown = realloc(reg->ca_bundle, reg->ca_bundle_len + len + 2);
	if (!grown)
		return berth_error_sys(err, ENOMEM, "read %s", name);
	reg->ca_bundle = grown;
	memcpy(reg->ca_bundle + reg->ca_bundle_len, text, len);
	reg->ca_bundle_len += len;
	reg->ca_bundle[reg->ca_bundle_len++] = '\n';
	reg->ca_bundle[reg->ca_bundle_len] = '\0';
	return 0;
}

/* The registry's own TLS material, docker's layout: <certs_dir>/<host>/
 * holds *.crt (CAs, added to the system's) and client.cert + client.key. */
static int load_certs_dir(struct berth_registry *reg, struct berth_error *err)
{
	char dir[PATH_MAX];
	if (!reg->certs_dir)
		return 0;
	snprintf(dir, sizeof(dir), "%s/%s", reg->certs_dir, reg->host);
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berth_error_sys(err, errno, "open %s", dir);
	bool have_ca = false;
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (has_suffix(de->d_name, ".crt")) {
			if (!have_ca && access(SYSTEM_CA_BUNDLE, R_OK) == 0 &&
			    bundle_add(reg, AT_FDCWD, SYSTEM_CA_BUNDLE, err) < 0)
				return -err->code;
			have_ca = true;
			if (bundle_add(reg, AT_FDCWD, path, err) < 0)
				return berth_error_wrap(err, "registry %s: CA certificate", reg->host);
		} else if (has_suffix(de->d_name, ".cert") && !reg->client_cert) {
			reg->client_cert = strdup(path);
			size_t n = strlen(path);
			reg->client_key = malloc(n + 1);
			if (!reg->client_cert || !reg->client_key)
				return berth_error_sys(err, ENOMEM, "registry %s", reg->host);
			snprintf(reg->client_key, n + 1, "%.*s.key", (int) (n - 5), path);
			if (access(reg->client_key, R_OK) < 0)
				return berth_error_set(err, ENOENT, "registry %s: %s has no matching key %s", reg->host,
						       path, reg->client_key);
		}
	}
	return 0;
}

int berth_registry_http_init(struct berth_registry *reg, struct berth_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&reg->share_locks[i], NULL);
	reg->share = curl_share_init();
	if (!reg->share)
		return berth_error_set(err, ENOMEM, "registry %s: curl share", reg->host);
	curl_share_setopt(reg->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(reg->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(reg->share, CURLSHOPT_USERDATA, reg);
	curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	return load_certs_dir(reg, err);
}

void berth_registry_http_cleanup(struct berth_registry *reg)
{
	if (reg->share)
		curl_share_cleanup(reg->share);
	reg->share = NULL;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&reg->share_locks[i]);
	free(reg->ca_bundle);
	free(reg->client_cert);
	free(reg->client_key);
}

void http_response_clear(struct http_response *r)
{
	free(r->content_type);
	free(r->docker_digest);
	berth_auth_challenges_clear(&r->challenges);
	free(r->body);
	*r = (struct http_response){ 0 };
}

struct transfer {
	struct berth_registry *reg;
	const struct http_request *req;
	struct http_response *resp;
	CURL *curl;
	uint64_t skip;	/* bytes of a 200 answer to a range request to drop */
	int64_t content_length, range_total; /* -1: the answer did not say */
	bool status_known;
	bool sink_mode;
	int sink_error;
	struct berth_error *sink_err;
	size_t body_cap;
};

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t) (end - v));
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct transfer *t = ctx;
	size_t len = size * n;
	char *v;

	/* A new status line: an earlier answer (a redirect, a 100) is over. */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(t->resp->content_type);
		free(t->resp->docker_digest);
		t->resp->content_type = t->resp->docker_digest = NULL;
		berth_auth_challenges_clear(&t->resp->challenges);
		t->content_length = t->range_total = -1;
		return len;
	}
	if (len > HEADER_MAX)
		return len;
	if ((v = header_value(line, len, "Content-Type"))) {
		free(t->resp->content_type);
		t->resp->content_type = v;
	} else if ((v = header_value(line, len, "Docker-Content-Digest"))) {
		free(t->resp->docker_digest);
		t->resp->docker_digest = v;
	} else if ((v = header_value(line, len, "Content-Length"))) {
		char *end;
		long long cl = strtoll(v, &end, 10);
		t->content_length = end != v && *end == '\0' && cl >= 0 ? cl : -1;
		free(v);
	} else if ((v = header_value(line, len, "Content-Range"))) {
		/* "bytes FIRST-LAST/TOTAL" */
		const char *slash = strchr(v, '/');
		char *end;
		long long total = slash ? strtoll(slash + 1, &end, 10) : -1;
		t->range_total = slash && end != slash + 1 && *end == '\0' && total >= 0 ? total : -1;
		free(v);
	} else if ((v = header_value(line, len, "WWW-Authenticate"))) {
		struct berth_error ignored = { 0 };
		berth_auth_challenges_parse(&t->resp->challenges, v, strlen(v), &ignored);
		free(v);
	}
	return len;
}

static size_t keep_body(struct transfer *t, const char *data, size_t len)
{
	size_t max = t->req->body_max ? t->req->body_max : 65536;
	if (t->resp->len + len > max) {
		t->resp->body_too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (t->resp->len + len + 1 > t->body_cap) {
		size_t cap = t->body_cap ? t->body_cap : 4096;
		while (cap < t->resp->len + len + 1)
			cap *= 2;
		char *grown = realloc(t->resp->body, cap);
		if (!grown)
			return 0;
		t->resp->body = grown;
		t->body_cap = cap;
	}
	memcpy(t->resp->body + t->resp->len, data, len);
	t->resp->len += len;
	t->resp->body[t->resp->len] = '\0';
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct transfer *t = ctx;
	size_t len = size * n;

	if (!t->status_known) {
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
		t->status_known = true;
		t->sink_mode = t->req->sink && t->resp->status >= 200 && t->resp->status < 300;
		/* Asked for a range, got it all: drop what we have already. */
		if (t->sink_mode && t->resp->status == 200)
			t->skip = t->req->range_from;
		int64_t whole = t->resp->status == 206 ? t->range_total : t->content_length;
		int64_t want = t->req->expect_size;
		if (t->sink_mode && want > 0 && whole >= 0 && whole != want) {
			t->sink_error = berth_error_set(t->sink_err, EBADMSG,
							"%s: the registry's blob has %lld bytes, its descriptor says %lld",
							t->req->url, (long long) whole, (long long) want);
			return 0;
		}
	}
	if (!t->sink_mode)
		return keep_body(t, data, len);
	size_t dropped = t->skip < len ? (size_t) t->skip : len;
	t->skip -= dropped;
	if (dropped == len)
		return len;
	int r = t->req->sink(t->req->sink_ctx, data + dropped, len - dropped, t->sink_err);
	if (r < 0) {
		t->sink_error = r;
		return 0;
	}
	return len;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
	struct transfer *t = ctx;
	return t->reg->cancelled && t->reg->cancelled(t->reg->cancel_ctx) ? 1 : 0;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return ECANCELED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	case CURLE_TOO_MANY_REDIRECTS:
		return ELOOP;
	case CURLE_OUT_OF_MEMORY:
		return ENOMEM;
	default:
		return ECONNRESET; /* partial file, recv error, connection dropped... */
	}
}

static struct curl_slist *build_headers(const struct http_request *req)
{
	struct curl_slist *list = NULL;
	char buf[HEADER_MAX];
	for (const char *const *h = req->headers; h && *h; h++)
		list = curl_slist_append(list, *h);
	if (req->authorization) {
		snprintf(buf, sizeof(buf), "Authorization: %s", req->authorization);
		list = curl_slist_append(list, buf);
	}
	if (req->range_from > 0) {
		snprintf(buf, sizeof(buf), "Range: bytes=%llu-", (unsigned long long) req->range_from);
		list = curl_slist_append(list, buf);
	}
	return list;
}

static void set_tls(struct berth_registry *reg, CURL *c, const struct http_request *req)
{
	if (!req->verify_tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (reg->ca_bundle) {
		struct curl_blob blob = { .data = reg->ca_bundle, .len = reg->ca_bundle_len, .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (reg->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, reg->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, reg->client_key);
	}
}

static void set_options(struct transfer *t, struct curl_slist *headers)
{
	CURL *c = t->curl;
	const struct http_request *req = t->req;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_SHARE, t->reg->share);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	/* Redirects may go to another host (a CDN): credentials stay behind. */
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A transfer that stalls is dropped; the caller retries and resumes. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	if (req->method && strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (req->post_fields)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->post_fields);
	if (req->basic_userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, req->basic_userpwd);
	}
	set_tls(t->reg, c, req);
}

int berth_registry_http(struct berth_registry *reg, const struct http_request *req, struct http_response *resp,
			struct berth_error *err)
{
	struct transfer t = { .reg = reg, .req = req, .resp = resp, .sink_err = err, .content_length = -1,
			      .range_total = -1 };
	struct curl_slist *headers = build_headers(req);
	t.curl = curl_easy_init();
	if (!t.curl) {
		curl_slist_free_all(headers);
		return berth_error_set(err, ENOMEM, "%s: curl handle", req->url);
	}
	set_options(&t, headers);
	CURLcode rc = curl_easy_perform(t.curl);
	if (!t.status_known)
		curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &resp->status);
	char curl_msg[CURL_ERROR_SIZE];
	snprintf(curl_msg, sizeof(curl_msg), "%s", curl_easy_strerror(rc));
	curl_easy_cleanup(t.curl);
	curl_slist_free_all(headers);
	if (t.sink_error < 0)
		return t.sink_error;
	if (rc == CURLE_WRITE_ERROR && resp->body_too_large)
		return berth_error_set(err, EFBIG, "%s: answer larger than %zu bytes", req->url, req->body_max);
	if (rc != CURLE_OK)
		return berth_error_set(err, curl_errno(rc), "%s %s: %s", req->method ? req->method : "GET", req->url,
				       curl_msg);
	return 0;
}

void berth_registry_error_text(const struct http_response *resp, char *out, size_t size)
{
	json_t *j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
	json_t *errors = json_object_get(j, "errors");
	json_t *first = json_array_get(errors, 0);
	const char *code = json_string_value(json_object_get(first, "code"));
	const char *message = json_string_value(json_object_get(first, "message"));
	if (code || message) {
		/* docker prints "manifest unknown: manifest unknown" from these */
		snprintf(out, size, "%s: %s", code ? code : "error", message ? message : "");
		for (char *p = out; *p && *p != ':'; p++)
			*p = (*p == '_') ? ' ' : (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	} else {
		snprintf(out, size, "HTTP status %ld", resp->status);
	}
	json_decref(j);
}
