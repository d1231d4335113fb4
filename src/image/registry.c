#include "registry.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "registry_http.h"

#define TOKEN_ANSWER_MAX (1u << 20)
#define ERROR_BODY_MAX (64u << 10)

/* Schema 1 is listed last so that a registry holding only that sends it and
 * we can refuse it by name, instead of a bare "manifest unknown". */
static const char *const manifest_accept =
	"Accept: application/vnd.oci.image.index.v1+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

void berth_registry_manifest_clear(struct berth_registry_manifest *m)
{
	free(m->body);
	free(m->media_type);
	*m = (struct berth_registry_manifest){ 0 };
}

bool berth_registry_error_is_transient(int code)
{
	switch (code < 0 ? -code : code) {
	case ECONNRESET:
	case ETIMEDOUT:
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case EAGAIN:
		return true;
	default:
		return false;
	}
}

/* An error for a non-success answer: the formatted context, then what the
 * registry said ("manifest unknown: manifest unknown"). */
BERTH_PRINTF(3, 4)
static int status_error(const struct http_response *resp, struct berth_error *err, const char *fmt, ...)
{
	char text[512], context[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
	berth_registry_error_text(resp, text, sizeof(text));
	int code = resp->status == 401 || resp->status == 403 ? EACCES
		 : resp->status == 404				 ? ENOENT
		 : resp->status == 429 || resp->status >= 500	 ? EAGAIN
								 : EIO;
	return berth_error_set(err, code, "%s: %s", context, text);
}

void berth_registry_free(struct berth_registry *reg)
{
	if (!reg)
		return;
	berth_registry_http_cleanup(reg);
	pthread_mutex_destroy(&reg->auth_lock);
	berth_registry_credentials_clear(&reg->creds);
	free(reg->host);
	free(reg->repository);
	free(reg->certs_dir);
	free(reg->bearer_realm);
	free(reg->bearer_service);
	if (reg->token)
		explicit_bzero(reg->token, strlen(reg->token));
	free(reg->token);
	free(reg);
}

const char *berth_registry_scheme(const struct berth_registry *reg)
{
	return strncmp(reg->base, "https:", 6) == 0 ? "https" : "http";
}

/* Remember what a 401 asked for.  Called with auth_lock held. */
static void learn_challenge(struct berth_registry *reg, const struct berth_auth_challenges *ch)
{
	const struct berth_auth_challenge *bearer = berth_auth_challenges_bearer(ch);
	const char *realm = bearer ? berth_auth_challenge_param(bearer, "realm") : NULL;
	if (realm) {
		const char *service = berth_auth_challenge_param(bearer, "service");
		free(reg->bearer_realm);
		free(reg->bearer_service);
		reg->bearer_realm = strdup(realm);
		reg->bearer_service = service ? strdup(service) : NULL;
	} else if (berth_auth_challenges_find(ch, "Basic")) {
		reg->wants_basic = true;
	}
}

static int parse_token_answer(struct berth_registry *reg, const struct http_response *resp, struct berth_error *err)
{
	json_t *j = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
	const char *token = json_string_value(json_object_get(j, "token"));
	if (!token || !*token)
		token = json_string_value(json_object_get(j, "access_token"));
	if (!token || !*token) {
		json_decref(j);
		return berth_error_set(err, EPROTO, "registry %s: the token service answered without a token", reg->host);
	}
	json_int_t expires = json_integer_value(json_object_get(j, "expires_in"));
	free(reg->token);
	reg->token = strdup(token);
	/* The spec's default lifetime is 60 s; renew a little early. */
	reg->token_expiry = time(NULL) + (expires > 20 ? expires : 60) - 10;
	json_decref(j);
	return reg->token ? 0 : berth_error_sys(err, ENOMEM, "registry %s: token", reg->host);
}

/* Get a bearer token for this repository.  Called with auth_lock held. */
static int fetch_token(struct berth_registry *reg, struct berth_error *err)
{
	char scope[512];
	snprintf(scope, sizeof(scope), "repository:%s:%s", reg->repository, reg->push ? "pull,push" : "pull");
	const char *scopes[] = { scope };
	/* A login asks for no repository: a token for the service will do. */
	size_t n_scopes = reg->repository[0] ? 1 : 0;
	const struct berth_registry_credentials *c = &reg->creds;
	_cleanup_free_ char *url = NULL, *form = NULL, *userpwd = NULL;
	struct http_response resp = { 0 };
	struct http_request req = { .body_max = TOKEN_ANSWER_MAX, .verify_tls = reg->verify_tls };
	int r;

	if (c->identity_token) {
		/* An identity token from a login is an OAuth2 refresh token. */
		_cleanup_free_ char *rt = NULL, *svc = NULL, *sc = NULL;
		if (berth_url_query_escape(c->identity_token, &rt, err) < 0 ||
		    berth_url_query_escape(reg->bearer_service ? reg->bearer_service : "", &svc, err) < 0 ||
		    berth_url_query_escape(n_scopes ? scope : "", &sc, err) < 0)
			return -err->code;
		if (asprintf(&form, "grant_type=refresh_token&refresh_token=%s&service=%s&scope=%s&client_id=berth", rt,
			     svc, sc) < 0)
			return berth_error_sys(err, ENOMEM, "token request");
		req.url = reg->bearer_realm;
		req.method = "POST";
		req.post_fields = form;
	} else {
		r = berth_auth_token_url(reg->bearer_realm, reg->bearer_service, scopes, n_scopes, c->username, &url, err);
		if (r < 0)
			return r;
		req.url = url;
		if (c->username && asprintf(&userpwd, "%s:%s", c->username, c->password ? c->password : "") < 0)
			return berth_error_sys(err, ENOMEM, "token request");
		req.basic_userpwd = userpwd;
	}
	r = berth_registry_http(reg, &req, &resp, err);
	if (r == 0 && resp.status != 200)
		r = status_error(&resp, err, "registry %s: token service", reg->host);
	if (r == 0)
		r = parse_token_answer(reg, &resp, err);
	http_response_clear(&resp);
	if (userpwd)
		explicit_bzero(userpwd, strlen(userpwd));
	return r;
}

/* The Authorization header value for the next request, or NULL. */
static int authorization(struct berth_registry *reg, bool renew, char **ret, struct berth_error *err)
{
	int r = 0;
	*ret = NULL;
	pthread_mutex_lock(&reg->auth_lock);
	if (reg->creds.registry_token) {
		r = asprintf(ret, "Bearer %s", reg->creds.registry_token) < 0 ? -ENOMEM : 0;
	} else if (reg->bearer_realm) {
		if (renew || !reg->token || time(NULL) >= reg->token_expiry)
			r = fetch_token(reg, err);
		if (r == 0)
			r = asprintf(ret, "Bearer %s", reg->token) < 0 ? -ENOMEM : 0;
	} else if (reg->wants_basic && reg->creds.username) {
		_cleanup_free_ char *b64 = NULL;
		r = berth_registry_auth_encode_basic(reg->creds.username, reg->creds.password ? reg->creds.password : "",
						     &b64, err);
		if (r == 0)
			r = asprintf(ret, "Basic %s", b64) < 0 ? -ENOMEM : 0;
	}
	pthread_mutex_unlock(&reg->auth_lock);
	if (r == -ENOMEM)
		return berth_error_sys(err, ENOMEM, "registry %s: authorization", reg->host);
	return r;
}

/* A request with authentication: a 401 is answered once, after learning
 * the challenge it carries. */
static int authed_request(struct berth_registry *reg, struct http_request *req, struct http_response *resp,
			  struct berth_error *err)
{
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *auth = NULL;
		int r = authorization(reg, attempt > 0, &auth, err);
		if (r < 0)
			return r;
		req->authorization = auth;
		req->verify_tls = reg->verify_tls;
		r = berth_registry_http(reg, req, resp, err);
		req->authorization = NULL;
		if (auth)
			explicit_bzero(auth, strlen(auth));
		if (r < 0 || resp->status != 401 || attempt > 0 || resp->challenges.n_items == 0)
			return r;
		pthread_mutex_lock(&reg->auth_lock);
		learn_challenge(reg, &resp->challenges);
		pthread_mutex_unlock(&reg->auth_lock);
		http_response_clear(resp);
	}
}

/* GET /v2/: which scheme answers, and what authentication it wants. */
static int probe(struct berth_registry *reg, struct berth_error *err)
{
	const char *schemes[] = { "https", "http" };
	int r = 0;
	for (size_t i = 0; i < (reg->insecure ? 2u : 1u); i++) {
		char url[400];
		struct http_response resp = { 0 };
		snprintf(reg->base, sizeof(reg->base), "%s://%s", schemes[i], reg->host);
		snprintf(url, sizeof(url), "%s/v2/", reg->base);
		reg->verify_tls = !reg->insecure;
		struct http_request req = { .url = url, .verify_tls = reg->verify_tls, .body_max = ERROR_BODY_MAX };
		r = berth_registry_http(reg, &req, &resp, err);
		if (r == 0 && resp.status == 401)
			learn_challenge(reg, &resp.challenges);
		else if (r == 0 && resp.status != 200)
			r = status_error(&resp, err, "registry %s: /v2/", reg->host);
		http_response_clear(&resp);
		if (r == 0 || r == -ECANCELED)
			return r;
	}
	return r;
}

int berth_registry_open(const struct berth_registry_options *opts, struct berth_registry **ret,
			struct berth_error *err)
{
	struct berth_registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return berth_error_sys(err, ENOMEM, "registry %s", opts->host);
	pthread_mutex_init(&reg->auth_lock, NULL);
	reg->host = strdup(opts->host);
	reg->repository = strdup(opts->repository);
	reg->certs_dir = opts->certs_dir ? strdup(opts->certs_dir) : NULL;
	reg->insecure = opts->insecure;
	reg->push = opts->push;
	reg->cancelled = opts->cancelled;
	reg->cancel_ctx = opts->cancel_ctx;
	int r = 0;
	if (!reg->host || !reg->repository || (opts->certs_dir && !reg->certs_dir))
		r = berth_error_sys(err, ENOMEM, "registry %s", opts->host);
	if (r == 0 && opts->credentials)
		r = berth_registry_credentials_copy(opts->credentials, &reg->creds, err);
	if (r == 0)
		r = berth_registry_http_init(reg, err);
	if (r == 0)
		r = probe(reg, err);
	if (r < 0) {
		berth_registry_free(reg);
		return r;
	}
	*ret = reg;
	return 0;
}

static int verify_manifest_digest(struct berth_registry *reg, const char *reference, struct berth_registry_manifest *m,
				  const char *header_digest, struct berth_error *err)
{
	enum berth_digest_algo algo = BERTH_DIGEST_SHA256;
	bool by_digest = strchr(reference, ':') != NULL;
	if (by_digest && berth_digest_validate(reference, &algo, err) < 0)
		return -err->code;
	int r = berth_digest_buffer(algo, m->body, m->len, m->digest, err);
	if (r < 0)
		return r;
	if (by_digest && strcmp(m->digest, reference) != 0)
		return berth_error_set(err, EBADMSG, "registry %s: manifest %s: content hashes to %s", reg->host,
				       reference, m->digest);
	if (!by_digest && header_digest && strncmp(header_digest, "sha256:", 7) == 0 &&
	    strcmp(header_digest, m->digest) != 0)
		return berth_error_set(err, EBADMSG, "registry %s: manifest %s:%s: Docker-Content-Digest %s, content hashes to %s",
				       reg->host, reg->repository, reference, header_digest, m->digest);
	return 0;
}

int berth_registry_get_manifest(struct berth_registry *reg, const char *reference, size_t max,
				struct berth_registry_manifest *ret, struct berth_error *err)
{
	char url[1024], what[600];
	const char *headers[] = { manifest_accept, NULL };
	struct http_response resp = { 0 };
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", reg->base, reg->repository, reference);
	snprintf(what, sizeof(what), "%s/%s%s%s", reg->host, reg->repository, strchr(reference, ':') ? "@" : ":",
		 reference);
	struct http_request req = { .url = url, .headers = headers, .body_max = max };
	int r = authed_request(reg, &req, &resp, err);
	if (r == -EFBIG)
		r = berth_error_set(err, EFBIG, "manifest for %s is larger than %zu bytes", what, max);
	else if (r == 0 && resp.status == 404)
		r = status_error(&resp, err, "manifest for %s not found", what);
	else if (r == 0 && resp.status != 200)
		r = status_error(&resp, err, "manifest for %s", what);
	if (r == 0) {
		*ret = (struct berth_registry_manifest){ .body = berth_steal_ptr(&resp.body), .len = resp.len };
		ret->media_type = resp.content_type ? berth_steal_ptr(&resp.content_type) : NULL;
		r = verify_manifest_digest(reg, reference, ret, resp.docker_digest, err);
		if (r < 0)
			berth_registry_manifest_clear(ret);
	}
	http_response_clear(&resp);
	return r;
}

int berth_registry_fetch_blob(struct berth_registry *reg, const char *digest, int64_t size, uint64_t offset,
			      berth_registry_sink sink, void *ctx, struct berth_error *err)
{
	char url[1024];
	struct http_response resp = { 0 };
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", reg->base, reg->repository, digest);
	struct http_request req = { .url = url, .range_from = offset, .sink = sink, .sink_ctx = ctx,
				    .body_max = ERROR_BODY_MAX, .expect_size = size };
	int r = authed_request(reg, &req, &resp, err);
	if (r == 0 && (resp.status < 200 || resp.status >= 300))
		r = status_error(&resp, err, "blob %s", digest);
	else if (r == 0 && resp.status == 206 && offset == 0)
		r = berth_error_set(err, EPROTO, "blob %s: a partial answer to a request for all of it", digest);
	http_response_clear(&resp);
	return r;
}

struct memory_sink {
	char *buf;
	size_t len, max;
	const char *digest;
};

static int memory_sink_write(void *ctx, const void *data, size_t len, struct berth_error *err)
{
	struct memory_sink *m = ctx;
	if (m->len + len > m->max)
		return berth_error_set(err, EFBIG, "blob %s is larger than %zu bytes", m->digest, m->max);
	char *grown = realloc(m->buf, m->len + len + 1);
	if (!grown)
		return berth_error_sys(err, ENOMEM, "blob %s", m->digest);
	m->buf = grown;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

int berth_registry_fetch_small_blob(struct berth_registry *reg, const char *digest, size_t max, char **ret,
				    size_t *ret_len, struct berth_error *err)
{
	enum berth_digest_algo algo;
	char got[BERTH_DIGEST_MAX];
	struct memory_sink m = { .max = max, .digest = digest };
	int r = berth_digest_validate(digest, &algo, err);
	if (r == 0)
		r = berth_registry_fetch_blob(reg, digest, -1, 0, memory_sink_write, &m, err);
	if (r == 0 && !m.buf && (m.buf = strdup("")) == NULL)
		r = berth_error_sys(err, ENOMEM, "blob %s", digest);
	if (r == 0)
		r = berth_digest_buffer(algo, m.buf, m.len, got, err);
	if (r == 0 && strcmp(got, digest) != 0)
		r = berth_error_set(err, EBADMSG, "blob %s: digest mismatch: content hashes to %s", digest, got);
	if (r < 0) {
		free(m.buf);
		return r;
	}
	*ret = m.buf;
	*ret_len = m.len;
	return 0;
}

int berth_registry_check_login(const struct berth_registry_options *opts, struct berth_error *err)
{
	_cleanup_registry_ struct berth_registry *reg = NULL;
	int r = berth_registry_open(opts, &reg, err);
	if (r < 0)
		return r;
	if (!reg->bearer_realm && !reg->wants_basic)
		return 0; /* the registry asks for nothing: any credentials do */
	/* A token, or /v2/ again with the credentials, must be granted. */
	char url[400];
	struct http_response resp = { 0 };
	snprintf(url, sizeof(url), "%s/v2/", reg->base);
	struct http_request req = { .url = url, .body_max = ERROR_BODY_MAX };
	r = authed_request(reg, &req, &resp, err);
	if (r == 0 && resp.status == 401) /* dockerd's words, which scripts match */
		r = berth_error_set(err, EACCES, "login attempt to %s failed with status: 401 Unauthorized", url);
	else if (r == 0 && resp.status != 200)
		r = status_error(&resp, err, "login to %s", reg->host);
	http_response_clear(&resp);
	return r;
}
