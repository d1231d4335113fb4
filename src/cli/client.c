#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "file.h"
#include "json.h"

#define HEADER_VALUE_MAX 128

struct berth_client {
	char *host; /* as given, for messages */
	char *base_url;
	char *socket_path; /* NULL for TCP */
	bool debug;
	CURL *curl;
	bool negotiated;
	char version[HEADER_VALUE_MAX];
	char ping_version[HEADER_VALUE_MAX];
	char ping_os_type[HEADER_VALUE_MAX];
	bool ping_experimental;
};

/* ---- setup ---- */

static int parse_host(struct berth_client *c, const char *host, struct berth_error *err)
{
	const char *rest;

	if (!strncmp(host, "unix://", 7)) {
		rest = host + 7;
		if (!*rest)
			return berth_error_set(err, EINVAL, "invalid bind address (%s): empty socket path", host);
		c->socket_path = strdup(rest);
		c->base_url = strdup("http://localhost");
	} else if (!strncmp(host, "tcp://", 6) || !strncmp(host, "http://", 7)) {
		rest = strstr(host, "://") + 3;
		size_t n = strcspn(rest, "/");
		if (n == 0)
			return berth_error_set(err, EINVAL, "invalid bind address (%s): no host", host);
		/* a port is required by the URL only when the host has none:
		 * "[::1]" and "host" take docker's 2375 */
		const char *close = memchr(rest, ']', n);
		const char *colon = memchr(close ? close : rest, ':', n - (size_t) ((close ? close : rest) - rest));
		if (asprintf(&c->base_url, "http://%.*s%s", (int) n, rest, colon ? "" : ":2375") < 0)
			c->base_url = NULL;
	} else if (strstr(host, "://")) {
		return berth_error_set(err, EINVAL, "unsupported host %s: only unix:// and tcp:// are supported", host);
	} else {
		return berth_error_set(err, EINVAL, "invalid bind address (%s): unsupported protocol", host);
	}
	if (!c->base_url || (!strncmp(host, "unix://", 7) && !c->socket_path))
		return berth_error_sys(err, ENOMEM, "client");
	return 0;
}

int berth_client_new(const char *host, bool debug, struct berth_client **ret, struct berth_error *err)
{
	static bool curl_ready;
	struct berth_client *c;
	int r;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return berth_error_set(err, EIO, "cannot initialise libcurl");
		curl_ready = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return berth_error_sys(err, ENOMEM, "client");
	c->debug = debug;
	c->host = strdup(host);
	if (!c->host) {
		berth_client_free(c);
		return berth_error_sys(err, ENOMEM, "client");
	}
	r = parse_host(c, host, err);
	if (r < 0) {
		berth_client_free(c);
		return r;
	}
	c->curl = curl_easy_init();
	if (!c->curl) {
		berth_client_free(c);
		return berth_error_set(err, ENOMEM, "cannot create a libcurl handle");
	}
	const char *fixed = getenv("DOCKER_API_VERSION");
	if (fixed && *fixed) {
		snprintf(c->version, sizeof(c->version), "%s", fixed[0] == 'v' ? fixed + 1 : fixed);
		c->negotiated = true;
	}
	*ret = c;
	return 0;
}

void berth_client_free(struct berth_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->host);
	free(c->base_url);
	free(c->socket_path);
	free(c);
}

const char *berth_client_host(const struct berth_client *c)
{
	return c->host;
}

void berth_response_clear(struct berth_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = 0;
}

/* ---- one transfer ---- */

struct transfer {
	struct berth_client *c;
	/* the body, when it is read whole (or when a stream failed) */
	char *body;
	size_t len, cap, max;
	bool too_big;
	/* headers of interest */
	char api_version[HEADER_VALUE_MAX];
	char os_type[HEADER_VALUE_MAX];
	char content_type[HEADER_VALUE_MAX];
	bool experimental;
	/* streaming */
	struct berth_jsonsplitter *splitter;
	berth_client_message_cb cb;
	void *userdata;
	int cb_r;
	struct berth_error cb_err;
	/* a body read from, or an answer written to, a descriptor (-1: none) */
	int in_fd, out_fd;
	char **path_stat; /* the request's */
};

/* The value of a header line, trimmed; *len 0 when there is none. */
static const char *header_trim(const char *line, size_t n, size_t *len)
{
	const char *v = memchr(line, ':', n);
	*len = 0;
	if (!v)
		return line;
	v++;
	*len = n - (size_t) (v - line);
	while (*len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		(*len)--;
	}
	while (*len > 0 && (v[*len - 1] == '\r' || v[*len - 1] == '\n' || v[*len - 1] == ' '))
		(*len)--;
	return v;
}

static void header_value(const char *line, size_t n, char out[HEADER_VALUE_MAX])
{
	size_t len;
	const char *v = header_trim(line, n, &len);
	snprintf(out, HEADER_VALUE_MAX, "%.*s", (int) len, v);
}

static bool header_is(const char *line, size_t n, const char *name)
{
	size_t l = strlen(name);
	return n > l && line[l] == ':' && !strncasecmp(line, name, l);
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nitems;
	char v[HEADER_VALUE_MAX] = "";

	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after a 100 Continue): forget the last one's */
		t->api_version[0] = t->os_type[0] = t->content_type[0] = '\0';
		t->experimental = false;
	} else if (header_is(line, n, "API-Version")) {
		header_value(line, n, t->api_version);
	} else if (header_is(line, n, "OSType")) {
		header_value(line, n, t->os_type);
	} else if (header_is(line, n, "Content-Type")) {
		header_value(line, n, t->content_type);
	} else if (t->path_stat && header_is(line, n, "X-Docker-Container-Path-Stat") && n < 64 * 1024) {
		/* base64 JSON holding a link target: longer than the others */
		size_t len;
		const char *value = header_trim(line, n, &len);
		free(*t->path_stat);
		*t->path_stat = strndup(value, len);
	} else if (header_is(line, n, "Docker-Experimental")) {
		header_value(line, n, v);
		t->experimental = !strcasecmp(v, "true");
	}
	return n;
}

static bool append_body(struct transfer *t, const char *data, size_t n)
{
	if (t->too_big || t->len + n > t->max) {
		t->too_big = true;
		return true; /* keep reading; the size is reported at the end */
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 8192;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *b = realloc(t->body, cap);
		if (!b)
			return false;
		t->body = b;
		t->cap = cap;
	}
	memcpy(t->body + t->len, data, n);
	t->len += n;
	t->body[t->len] = '\0';
	return true;
}

static int on_stream_value(void *userdata, const char *value, size_t len, struct berth_error *err)
{
	struct transfer *t = userdata;
	_cleanup_jsonmessage_ struct berth_jsonmessage m = { 0 };
	int r = berth_jsonmessage_parse(value, len, &m, err);
	if (r < 0)
		return r;
	return t->cb(t->userdata, &m, err);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(t->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (t->out_fd >= 0 && status < 400) {
		if (berth_write_all(t->out_fd, data, n) < 0) {
			t->cb_r = berth_error_sys(&t->cb_err, errno, "write the daemon's answer");
			return 0;
		}
		return n;
	}
	if (t->splitter && status < 400) {
		t->cb_r = berth_jsonsplitter_feed(t->splitter, data, n, on_stream_value, t, &t->cb_err);
		return t->cb_r < 0 ? 0 : n;
	}
	return append_body(t, data, n) ? n : 0;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct transfer *t = userdata;
	ssize_t n;
	do
		n = read(t->in_fd, buf, size * nitems);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		t->cb_r = berth_error_sys(&t->cb_err, errno, "read the request body");
		return CURL_READFUNC_ABORT;
	}
	return (size_t) n;
}

static int connect_error(struct berth_client *c, CURLcode code, const char *method, const char *url,
			 const char *detail, struct berth_error *err)
{
	long os_errno = 0;
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) {
		if (os_errno == EACCES)
			return berth_error_set(err, EACCES,
					       "permission denied while trying to connect to the berth daemon socket at %s",
					       c->host);
		return berth_error_set(err, ECONNREFUSED,
				       "Cannot connect to the berth daemon at %s. Is the daemon running?", c->host);
	}
	return berth_error_set(err, EIO, "error during connect: %s \"%s\": %s", method, url,
			       detail[0] ? detail : curl_easy_strerror(code));
}

static int errno_of_status(long status)
{
	switch (status) {
	case 400:
		return EINVAL;
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EBUSY;
	case 501:
		return ENOTSUP;
	default:
		return EIO;
	}
}

/* docker's checkResponseErr */
static int status_error(const struct transfer *t, long status, const char *method, const char *url,
			struct berth_error *err)
{
	int code = errno_of_status(status);
	if (t->len == 0)
		return berth_error_set(err, code,
				       "request returned %ld for API route and version %s, check if the server "
				       "supports the requested API version",
				       status, url);
	bool is_json = !strncasecmp(t->content_type, "application/json", 16);
	if (is_json && strcmp(method, "HEAD") != 0) {
		json_error_t jerr;
		_cleanup_json_ json_t *j = json_loadb(t->body, t->len, 0, &jerr);
		const char *msg = json_string_value(json_object_get(j, "message"));
		if (!j)
			return berth_error_set(err, code, "Error reading JSON: %s", jerr.text);
		/* strings.TrimSpace */
		if (!msg)
			msg = "";
		while (*msg == ' ' || *msg == '\n' || *msg == '\t' || *msg == '\r')
			msg++;
		size_t n = strlen(msg);
		while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\n' || msg[n - 1] == '\t' || msg[n - 1] == '\r'))
			n--;
		return berth_error_set(err, code, "Error response from daemon: %.*s", (int) n, msg);
	}
	size_t s = 0, n = t->len;
	while (s < n && (t->body[s] == ' ' || t->body[s] == '\n' || t->body[s] == '\r' || t->body[s] == '\t'))
		s++;
	while (n > s && (t->body[n - 1] == ' ' || t->body[n - 1] == '\n' || t->body[n - 1] == '\r'))
		n--;
	return berth_error_set(err, code, "Error response from daemon: %.*s", (int) (n - s), t->body + s);
}

static struct curl_slist *request_headers(const struct berth_request *req, struct berth_error *err)
{
	struct curl_slist *h = NULL, *n;
	_cleanup_free_ char *auth = NULL, *ctype = NULL;

	/* no "Expect: 100-continue" round trip */
	h = curl_slist_append(NULL, "Expect:");
	if (h && req->body_from_fd) {
		n = curl_slist_append(h, "Transfer-Encoding: chunked");
		h = n ? n : (curl_slist_free_all(h), NULL);
	}
	if (h && (req->body || req->body_from_fd) && asprintf(&ctype, "Content-Type: %s",
				       req->content_type ? req->content_type : "application/json") >= 0) {
		n = curl_slist_append(h, ctype);
		h = n ? n : (curl_slist_free_all(h), NULL);
	}
	if (h && req->registry_auth && asprintf(&auth, "X-Registry-Auth: %s", req->registry_auth) >= 0) {
		n = curl_slist_append(h, auth);
		h = n ? n : (curl_slist_free_all(h), NULL);
	}
	if (!h)
		berth_error_sys(err, ENOMEM, "request headers");
	return h;
}

static void setup_handle(struct berth_client *c, const struct berth_request *req, const char *method, const char *url,
			 struct curl_slist *headers, struct transfer *t)
{
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->socket_path) {
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	}
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION " (linux)");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (req->body_from_fd) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, t);
	} else if (strcmp(method, "GET") != 0 || req->body) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (req->body ? req->body_len : 0));
	}
}

/* Run one request to url; t collects what came back. */
static int perform(struct berth_client *c, const struct berth_request *req, const char *url, struct transfer *t,
		   long *ret_status, struct berth_error *err)
{
	const char *method = req->method ? req->method : "GET";
	char detail[CURL_ERROR_SIZE] = "";
	long status = 0;

	struct curl_slist *headers = request_headers(req, err);
	if (!headers)
		return -ENOMEM;
	t->path_stat = req->path_stat;
	setup_handle(c, req, method, url, headers, t);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, detail);
	CURLcode code = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (c->debug)
		fprintf(stderr, "DEBU %s %s -> %ld\n", method, url, status);

	*ret_status = code == CURLE_OK || t->cb_r < 0 ? status : 0;
	if (t->cb_r < 0) {
		*err = t->cb_err;
		return t->cb_r;
	}
	if (code != CURLE_OK)
		return connect_error(c, code, method, url, detail, err);
	if (status >= 400)
		return status_error(t, status, method, url, err);
	if (t->too_big)
		return berth_error_set(err, EFBIG, "the daemon's answer to %s %s is larger than %zu bytes", method,
				       url, t->max);
	if (t->splitter)
		return berth_jsonsplitter_finish(t->splitter, err);
	return 0;
}

/* ---- version negotiation ---- */

static void parse_version(const char *v, long *major, long *minor)
{
	char *end;
	*major = strtol(v, &end, 10);
	*minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
}

static bool version_less(const char *a, const char *b)
{
	long amaj, amin, bmaj, bmin;
	parse_version(a, &amaj, &amin);
	parse_version(b, &bmaj, &bmin);
	return amaj < bmaj || (amaj == bmaj && amin < bmin);
}

static int do_ping(struct berth_client *c, struct berth_error *err)
{
	struct transfer t = { .c = c, .max = 64 * 1024, .in_fd = -1, .out_fd = -1 };
	const struct berth_request req = { .method = "GET", .path = "/_ping" };
	_cleanup_free_ char *url = NULL;
	long status = 0;

	if (asprintf(&url, "%s/_ping", c->base_url) < 0)
		return berth_error_sys(err, ENOMEM, "ping");
	int r = perform(c, &req, url, &t, &status, err);
	free(t.body);
	/* an error status still carries the version headers (docker uses them) */
	if (r < 0 && status == 0)
		return r;
	snprintf(c->ping_version, sizeof(c->ping_version), "%s", t.api_version);
	snprintf(c->ping_os_type, sizeof(c->ping_os_type), "%s", t.os_type);
	c->ping_experimental = t.experimental;
	if (!c->negotiated) {
		const char *server = t.api_version[0] ? t.api_version : BERTH_CLIENT_API_FALLBACK;
		const char *use = version_less(server, BERTH_CLIENT_API_VERSION) ? server : BERTH_CLIENT_API_VERSION;
		snprintf(c->version, sizeof(c->version), "%s", use);
		c->negotiated = true;
	}
	return 0;
}

int berth_client_ping(struct berth_client *c, struct berth_ping *ret, struct berth_error *err)
{
	int r = do_ping(c, err);
	if (r < 0)
		return r;
	ret->api_version = c->ping_version;
	ret->os_type = c->ping_os_type;
	ret->experimental = c->ping_experimental;
	return 0;
}

int berth_client_api_version(struct berth_client *c, const char **ret, struct berth_error *err)
{
	if (!c->negotiated) {
		int r = do_ping(c, err);
		if (r < 0)
			return r;
	}
	*ret = c->version;
	return 0;
}

/* ---- requests ---- */

static int versioned_url(struct berth_client *c, const char *path, char **ret, struct berth_error *err)
{
	const char *v;
	int r = berth_client_api_version(c, &v, err);
	if (r < 0)
		return r;
	if (asprintf(ret, "%s/v%s%s", c->base_url, v, path) < 0)
		return berth_error_sys(err, ENOMEM, "request");
	return 0;
}

int berth_client_do(struct berth_client *c, const struct berth_request *req, struct berth_response *ret,
		    struct berth_error *err)
{
	struct transfer t = { .c = c, .max = BERTH_CLIENT_BODY_MAX, .in_fd = req->body_fd, .out_fd = -1 };
	_cleanup_free_ char *url = NULL;
	long status = 0;

	memset(ret, 0, sizeof(*ret));
	int r = versioned_url(c, req->path, &url, err);
	if (r < 0)
		return r;
	r = perform(c, req, url, &t, &status, err);
	ret->status = status;
	ret->body = t.body;
	ret->len = t.len;
	return r;
}

int berth_client_do_json(struct berth_client *c, const struct berth_request *req, json_t **ret,
			 struct berth_error *err)
{
	_cleanup_response_ struct berth_response resp = { 0 };
	int r = berth_client_do(c, req, &resp, err);
	if (r < 0)
		return r;
	if (!ret)
		return 0;
	return bjson_parse(resp.body ? resp.body : "", resp.len, "the daemon's answer", ret, err);
}

int berth_client_stream(struct berth_client *c, const struct berth_request *req, berth_client_message_cb cb,
			void *userdata, struct berth_error *err)
{
	struct transfer t = { .c = c, .max = 1024 * 1024, .cb = cb, .userdata = userdata, .in_fd = req->body_fd,
			      .out_fd = -1 };
	_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
	_cleanup_free_ char *url = NULL;
	long status = 0;

	int r = versioned_url(c, req->path, &url, err);
	if (r < 0)
		return r;
	r = berth_jsonsplitter_new(0, &s, err);
	if (r < 0)
		return r;
	t.splitter = s;
	r = perform(c, req, url, &t, &status, err);
	free(t.body);
	return r;
}

int berth_client_download(struct berth_client *c, const struct berth_request *req, int out_fd,
			  struct berth_error *err)
{
	/* an error body is read whole, bounded */
	struct transfer t = { .c = c, .max = 1024 * 1024, .in_fd = req->body_fd, .out_fd = out_fd };
	_cleanup_free_ char *url = NULL;
	long status = 0;
	int r = versioned_url(c, req->path, &url, err);
	if (r == 0)
		r = perform(c, req, url, &t, &status, err);
	free(t.body);
	return r;
}

/* ---- paths ---- */

void berth_path_init(struct berth_path *p, const char *path)
{
	memset(p, 0, sizeof(*p));
	berth_path_append(p, path);
}

static void path_put(struct berth_path *p, const char *s, size_t n)
{
	if (p->failed)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 128;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *b = realloc(p->s, cap);
		if (!b) {
			p->failed = true;
			return;
		}
		p->s = b;
		p->cap = cap;
	}
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

void berth_path_append(struct berth_path *p, const char *text)
{
	path_put(p, text, strlen(text));
}

static void path_escaped(struct berth_path *p, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char ch = (unsigned char) *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch) || (ch && strchr(keep, ch))) {
			path_put(p, s, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			path_put(p, e, 3);
		}
	}
}

void berth_path_segment(struct berth_path *p, const char *segment)
{
	path_escaped(p, segment, "/:@+");
}

void berth_path_query(struct berth_path *p, const char *key, const char *value)
{
	path_put(p, p->has_query ? "&" : "?", 1);
	p->has_query = true;
	path_escaped(p, key, "");
	path_put(p, "=", 1);
	path_escaped(p, value, "");
}

void berth_path_query_json(struct berth_path *p, const char *key, json_t *value)
{
	if (!value || (json_is_object(value) && json_object_size(value) == 0))
		return;
	char *s = bjson_dump(value);
	if (!s) {
		p->failed = true;
		return;
	}
	berth_path_query(p, key, s);
	free(s);
}

const char *berth_path_get(struct berth_path *p, struct berth_error *err)
{
	if (p->failed || !p->s) {
		berth_error_sys(err, ENOMEM, "request path");
		return NULL;
	}
	return p->s;
}

void berth_path_clear(struct berth_path *p)
{
	free(p->s);
	memset(p, 0, sizeof(*p));
}
