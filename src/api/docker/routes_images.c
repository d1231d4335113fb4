/* /images/... */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "cleanup.h"
#include "json.h"
#include "reference.h"
#include "registry_auth.h"

/* ---- POST /images/create?fromImage=...: a pull, streamed ---- */

struct pull_job {
	struct berth_engine *engine;
	struct api_stream *stream;
	char *image, *tag, *platform;
	struct berth_registry_credentials creds;
	volatile int cancel;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool started, done;
	int result;
	struct berth_error err;
};

static void pull_job_free(struct pull_job *j)
{
	berth_registry_credentials_clear(&j->creds);
	free(j->image);
	free(j->tag);
	free(j->platform);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->changed);
	free(j);
}

static void pull_progress(void *ctx, const struct berth_pull_event *ev)
{
	struct pull_job *j = ctx;
	pthread_mutex_lock(&j->lock);
	j->started = true;
	pthread_cond_broadcast(&j->changed);
	pthread_mutex_unlock(&j->lock);
	json_t *msg = api_pull_event_json(ev);
	if (msg && !api_stream_write_json(j->stream, msg))
		j->cancel = 1; /* the client went away: so does the pull */
	json_decref(msg);
}

static void *pull_main(void *arg)
{
	struct pull_job *j = arg;
	struct berth_engine_pull_result res = { 0 };
	struct berth_engine_pull req = {
		.image = j->image,
		.tag = j->tag,
		.platform = j->platform,
		.credentials = &j->creds,
		.cancel = &j->cancel,
		.progress = pull_progress,
		.progress_ctx = j,
	};
	struct berth_error err = { 0 };
	int r = berth_engine_pull(j->engine, &req, &res, &err);
	char status[1200];
	if (r == 0) {
		snprintf(status, sizeof(status), "Status: %s for %s",
			 res.updated ? "Downloaded newer image" : "Image is up to date", res.familiar);
		json_t *msg = json_pack("{s:s}", "status", status);
		api_stream_write_json(j->stream, msg);
		json_decref(msg);
	} else {
		json_t *msg = json_pack("{s:{s:s}, s:s}", "errorDetail", "message", err.msg, "error", err.msg);
		api_stream_write_json(j->stream, msg);
		json_decref(msg);
	}
	api_stream_finish(j->stream);
	pthread_mutex_lock(&j->lock);
	j->result = r;
	j->err = err;
	j->done = true;
	pthread_cond_broadcast(&j->changed);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void pull_job_close(void *ctx)
{
	struct pull_job *j = ctx;
	j->cancel = 1;
	pthread_join(j->thread, NULL);
	pull_job_free(j);
}

static int pull_job_new(struct api_request *req, struct pull_job **ret, struct berth_error *err)
{
	const char *auth = api_header(req, "X-Registry-Auth");
	struct pull_job *j = calloc(1, sizeof(*j));
	if (!j)
		return berth_error_sys(err, ENOMEM, "pull");
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->changed, NULL);
	j->engine = req->engine;
	j->image = strdup(api_query(req, "fromImage"));
	j->tag = api_query(req, "tag") ? strdup(api_query(req, "tag")) : NULL;
	j->platform = api_query(req, "platform") ? strdup(api_query(req, "platform")) : NULL;
	int r = j->image ? 0 : berth_error_sys(err, ENOMEM, "pull");
	if (r == 0 && auth && *auth)
		r = berth_registry_auth_decode_header(auth, strlen(auth), &j->creds, err);
	if (r < 0) {
		pull_job_free(j);
		return r;
	}
	*ret = j;
	return 0;
}

/* ---- POST /images/create?fromSrc=-: docker import ---- */

#define IMPORT_CHANGES_MAX 1000

struct import_changes {
	const char *v[IMPORT_CHANGES_MAX];
	size_t n;
	bool too_many;
};

/* Every changes= of the query (docker sends one per --change). */
static enum MHD_Result collect_changes(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void) kind;
	struct import_changes *c = cls;
	if (strcmp(key, "changes") != 0 || !value || !*value)
		return MHD_YES;
	if (c->n == IMPORT_CHANGES_MAX) {
		c->too_many = true;
		return MHD_NO;
	}
	c->v[c->n++] = value;
	return MHD_YES;
}

static int import_request(struct api_request *req, struct import_changes *changes, struct berth_engine_import *ret,
			  struct berth_error *err)
{
	changes->n = 0;
	changes->too_many = false;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_changes, changes);
	if (changes->too_many)
		return berth_error_set(err, EINVAL, "import: more than %d changes", IMPORT_CHANGES_MAX);
	*ret = (struct berth_engine_import){
		.fd = req->upload_fd,
		.repo = api_query(req, "repo"),
		.tag = api_query(req, "tag"),
		.message = api_query(req, "message"),
		.changes = changes->v,
		.n_changes = changes->n,
		.platform = api_query(req, "platform"),
	};
	return 0;
}

void api_import_upload_begin(struct api_request *req)
{
	const char *src = api_query(req, "fromSrc");
	struct import_changes *changes = calloc(1, sizeof(*changes));
	struct berth_engine_import imp;
	req->upload = true;
	if (!changes) {
		berth_error_sys(&req->upload_err, ENOMEM, "import");
		return;
	}
	if (src && *src && strcmp(src, "-") != 0)
		berth_error_set(&req->upload_err, ENOTSUP,
				"import from a URL (%.200s) is not supported by berthd: it does not download archives; "
				"send the archive itself (docker import FILE, or docker import - < FILE)",
				src);
	else if (import_request(req, changes, &imp, &req->upload_err) == 0 &&
		 berth_engine_import_check(req->engine, &imp, &req->upload_err) == 0)
		req->upload_fd = berth_engine_upload_file(req->engine, &req->upload_err);
	free(changes);
}

static enum MHD_Result images_import(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct berth_engine_import imp;
	char id[BERTH_DIGEST_MAX], line[BERTH_DIGEST_MAX + 32];
	if (req->upload_err.code)
		return api_reply_error(req, &req->upload_err);
	if (!req->upload || req->upload_fd < 0)
		return api_reply_message(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "import: the upload was not stored");
	struct import_changes *changes = calloc(1, sizeof(*changes));
	if (!changes)
		return MHD_NO;
	int r = import_request(req, changes, &imp, &err);
	if (r == 0)
		r = berth_engine_import(req->engine, &imp, id, &err);
	free(changes);
	/* The file is done with: its space goes back now, not when the
	 * client closes the connection. */
	berth_closep(&req->upload_fd);
	if (r < 0)
		return api_reply_error(req, &err);
	/* As dockerd: one JSON message whose status is the new image's ID. */
	snprintf(line, sizeof(line), "{\"status\":\"%s\"}\r\n", id);
	return api_reply_text(req, MHD_HTTP_OK, "application/json", line);
}

static enum MHD_Result images_create(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct pull_job *j = NULL;
	const char *from = api_query(req, "fromImage");
	if (!from)
		return images_import(req);
	if (pull_job_new(req, &j, &err) < 0)
		return api_reply_error(req, &err);
	j->stream = api_stream_new();
	int r = j->stream ? pthread_create(&j->thread, NULL, pull_main, j) : ENOMEM;
	if (r != 0) {
		berth_error_sys(&err, r, "start a pull");
		free(j->stream);
		pull_job_free(j);
		return api_reply_error(req, &err);
	}
	/* As dockerd: errors before the first progress line (no such image,
	 * unauthorized) are a plain error answer; later ones are in the stream. */
	pthread_mutex_lock(&j->lock);
	while (!j->started && !j->done)
		pthread_cond_wait(&j->changed, &j->lock);
	bool failed_early = !j->started && j->result < 0;
	pthread_mutex_unlock(&j->lock);
	if (failed_early) {
		err = j->err;
		pthread_join(j->thread, NULL);
		api_stream_finish(j->stream);
		enum MHD_Result res = api_reply_error(req, &err);
		/* The stream was never handed to the server: free it here. */
		api_stream_reply_discard(j->stream);
		pull_job_free(j);
		return res;
	}
	return api_stream_reply(req, j->stream, pull_job_close, j);
}

/* ---- GET /images/json ---- */

/* docker's reference filter (FamiliarMatch): a glob (path.Match: '*' stops
 * at '/') over "name:tag" / "name@digest", or over the name alone. */
static bool reference_matches(const char *full, json_t *patterns)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	struct berth_error ignored = { 0 };
	char name[BERTH_REFERENCE_MAX], familiar[BERTH_REFERENCE_MAX];
	if (berth_reference_parse(full, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, &ignored) < 0)
		return false;
	berth_reference_familiar_name(ref, name);
	berth_reference_familiar_string(ref, familiar);
	size_t i;
	json_t *p;
	json_array_foreach(patterns, i, p) {
		const char *pat = json_string_value(p);
		if (fnmatch(pat, familiar, FNM_PATHNAME) == 0 || fnmatch(pat, name, FNM_PATHNAME) == 0)
			return true;
	}
	return false;
}

/* The names of refs that the reference filter keeps (all without one): a
 * new NULL-terminated array of borrowed strings. */
static char **matching_refs(char **refs, json_t *patterns)
{
	size_t n = 0;
	while (refs && refs[n])
		n++;
	char **out = calloc(n + 1, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; out && i < n; i++)
		if (json_array_size(patterns) == 0 || reference_matches(refs[i], patterns))
			out[k++] = refs[i];
	return out;
}

/* label=k or label=k=v: every one must hold. */
static bool labels_match(json_t *labels, json_t *wanted)
{
	size_t i;
	json_t *w;
	json_array_foreach(wanted, i, w) {
		const char *s = json_string_value(w), *eq = strchr(s, '=');
		char key[1024];
		snprintf(key, sizeof(key), "%.*s", (int) (eq ? eq - s : (long) strlen(s)), s);
		json_t *v = json_object_get(labels, key);
		if (!v || (eq && (!json_is_string(v) || strcmp(json_string_value(v), eq + 1) != 0)))
			return false;
	}
	return true;
}

struct list_filters {
	json_t *refs, *labels;
	int dangling;		/* -1: no filter */
	bool before_set, since_set;
	int64_t before, since;	/* created of the images named */
	int64_t until;		/* 0: no filter */
};

static int64_t image_created(struct berth_engine *e, const char *id, json_t **ret_config)
{
	json_t *config = NULL;
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, id, &config, &ignored);
	int64_t t = api_parse_rfc3339(json_string_value(json_object_get(config, "created")));
	if (ret_config)
		*ret_config = config;
	else
		json_decref(config);
	return t;
}

/* before=/since=: an image's name or ID, as the filter's reference point. */
static int filter_image_created(struct api_request *req, json_t *filters, const char *key, bool *ret_set,
				int64_t *ret, struct berth_error *err)
{
	json_t *v = json_object_get(filters, key);
	if (json_array_size(v) == 0)
		return 0;
	char id[BERTH_DIGEST_MAX];
	int r = berth_engine_image_lookup(req->engine, json_string_value(json_array_get(v, 0)), id, err);
	if (r < 0)
		return r;
	*ret = image_created(req->engine, id, NULL);
	*ret_set = true;
	return 0;
}

/* until=: Unix seconds (with a fraction), RFC 3339, or a Go duration in
 * s, m or h before now. */
static int parse_until(const char *v, int64_t *ret, struct berth_error *err)
{
	char *end;
	double d = strtod(v, &end);
	if (end != v && *end == '\0') {
		*ret = (int64_t) d;
		return 0;
	}
	if (end != v && (strcmp(end, "s") == 0 || strcmp(end, "m") == 0 || strcmp(end, "h") == 0)) {
		int unit = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
		*ret = (int64_t) time(NULL) - (int64_t) (d * unit);
		return 0;
	}
	int64_t t = api_parse_rfc3339(v);
	if (t == 0)
		return berth_error_set(err, EINVAL, "invalid filter 'until=%s': want a timestamp or a duration", v);
	*ret = t;
	return 0;
}

static int list_filters_parse(struct api_request *req, json_t *filters, struct list_filters *f,
			      struct berth_error *err)
{
	static const char *const accepted[] = { "dangling", "label", "before", "since", "reference", "until" };
	const char *key;
	json_t *v;
	json_object_foreach(filters, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(accepted) / sizeof(*accepted); i++)
			ok = ok || strcmp(key, accepted[i]) == 0;
		if (!ok)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	*f = (struct list_filters){ .dangling = -1 };
	f->refs = json_object_get(filters, "reference");
	f->labels = json_object_get(filters, "label");
	json_t *d = json_object_get(filters, "dangling");
	size_t i;
	json_array_foreach(d, i, v) {
		const char *s = json_string_value(v);
		int want = strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0	 ? 1
			   : strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0 ? 0
										  : -1;
		if (want < 0 || (f->dangling >= 0 && f->dangling != want))
			return berth_error_set(err, EINVAL, "invalid filter 'dangling=%s'", s);
		f->dangling = want;
	}
	int r = filter_image_created(req, filters, "before", &f->before_set, &f->before, err);
	if (r == 0)
		r = filter_image_created(req, filters, "since", &f->since_set, &f->since, err);
	json_t *u = json_array_get(json_object_get(filters, "until"), 0);
	if (r == 0 && u)
		r = parse_until(json_string_value(u), &f->until, err);
	return r;
}

/* One image as dockerd lists it, or NULL when the filters drop it. */
static json_t *list_one(struct api_request *req, const struct berth_image *img, const struct list_filters *f)
{
	json_t *config = NULL, *out = NULL;
	int64_t created = image_created(req->engine, img->id, &config);
	json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
	struct berth_image view = *img;
	view.tags = matching_refs(img->tags, f->refs);
	view.digests = matching_refs(img->digests, f->refs);
	bool keep = view.tags && view.digests;
	if (keep && !view.tags[0] && !view.digests[0])
		/* No name (left): dangling=false and reference= drop it. */
		keep = f->dangling != 0 && json_array_size(f->refs) == 0;
	else if (keep && f->dangling == 1 && view.tags[0])
		keep = false;
	if (keep && json_array_size(f->labels) && !labels_match(labels, f->labels))
		keep = false;
	if (keep && ((f->before_set && created >= f->before) || (f->since_set && created <= f->since) ||
		     (f->until && created >= f->until)))
		keep = false;
	if (keep)
		out = api_image_summary(req->engine, &view, req->version);
	free(view.tags);
	free(view.digests);
	json_decref(config);
	return out;
}

static enum MHD_Result images_list(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	struct list_filters f = { 0 };
	struct berth_image *imgs = NULL;
	size_t n = 0;
	if (api_query_filters(req, &filters, &err) < 0 || list_filters_parse(req, filters, &f, &err) < 0 ||
	    berth_images_list(req->engine->db, &imgs, &n, &err) < 0)
		return api_reply_error(req, &err);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *summary = list_one(req, &imgs[i], &f);
		if (summary)
			json_array_append_new(out, summary);
	}
	berth_images_free(imgs, n);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

/* ---- /images/{name}/... ---- */

static int find_image(struct api_request *req, struct berth_image *img, struct berth_error *err)
{
	char id[BERTH_DIGEST_MAX];
	int r = berth_engine_image_lookup(req->engine, req->param, id, err);
	return r < 0 ? r : berth_images_get(req->engine->db, id, img, err);
}

static enum MHD_Result image_inspect(struct api_request *req, bool history)
{
	struct berth_error err = { 0 };
	struct berth_image img = { 0 };
	if (find_image(req, &img, &err) < 0)
		return api_reply_error(req, &err);
	json_t *out = history ? api_image_history(req->engine, &img) : api_image_inspect(req->engine, &img, req->version);
	berth_image_clear(&img);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result image_tag(struct api_request *req)
{
	struct berth_error err = { 0 };
	const char *repo = api_query(req, "repo");
	if (!repo || !*repo)
		return api_reply_message(req, MHD_HTTP_BAD_REQUEST, "repo is required");
	if (berth_engine_image_tag(req->engine, req->param, repo, api_query(req, "tag"), &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_CREATED, NULL);
}

static enum MHD_Result image_delete(struct api_request *req)
{
	struct berth_error err = { 0 };
	json_t *out = NULL;
	if (berth_engine_image_remove(req->engine, req->param, api_query_bool(req, "force", false),
				      api_query_bool(req, "noprune", false), &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result images_prune(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	if (api_query_filters(req, &filters, &err) < 0)
		return api_reply_error(req, &err);
	/* dangling=false means every unused image (docker image prune -a). */
	json_t *d = json_object_get(filters, "dangling");
	const char *dv = json_string_value(json_array_get(d, 0));
	bool all = dv && (strcmp(dv, "false") == 0 || strcmp(dv, "0") == 0);
	if (all)
		json_object_del(filters, "dangling");
	if (berth_engine_image_prune(req->engine, all, filters, &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

/* "/images/NAME/SUFFIX" -> NAME in req->param; false when it does not fit. */
static bool match_name(struct api_request *req, const char *suffix)
{
	const char *p = req->path + strlen("/images/");
	size_t n = strlen(p), s = strlen(suffix);
	if (n <= s || strcmp(p + n - s, suffix) != 0)
		return false;
	snprintf(req->param, sizeof(req->param), "%.*s", (int) (n - s), p);
	return true;
}

enum MHD_Result api_route_images(struct api_request *req, bool *handled)
{
	const char *m = req->method, *p = req->path;
	*handled = true;
	if (strcmp(p, "/images/create") == 0 && strcmp(m, "POST") == 0)
		return images_create(req);
	if (strcmp(p, "/images/json") == 0 && strcmp(m, "GET") == 0)
		return images_list(req);
	if (strcmp(p, "/images/prune") == 0 && strcmp(m, "POST") == 0)
		return images_prune(req);
	if (strcmp(p, "/images/search") == 0 && strcmp(m, "GET") == 0)
		return api_reply_message(req, MHD_HTTP_NOT_IMPLEMENTED,
					 "image search is not supported by berthd: it serves registries without a search API");
	if (strncmp(p, "/images/", 8) != 0 || strlen(p) <= 8) {
		*handled = false;
		return MHD_NO;
	}
	if (strcmp(m, "GET") == 0 && match_name(req, "/json"))
		return image_inspect(req, false);
	if (strcmp(m, "GET") == 0 && match_name(req, "/history"))
		return image_inspect(req, true);
	if (strcmp(m, "POST") == 0 && match_name(req, "/tag"))
		return image_tag(req);
	if ((strcmp(m, "POST") == 0 && match_name(req, "/push")) || (strcmp(m, "GET") == 0 && match_name(req, "/get")))
		return api_reply_message(req, MHD_HTTP_NOT_IMPLEMENTED, "%s is not supported by this berthd yet", p);
	if (strcmp(m, "DELETE") == 0) {
		snprintf(req->param, sizeof(req->param), "%s", p + 8);
		return image_delete(req);
	}
	*handled = false;
	return MHD_NO;
}
