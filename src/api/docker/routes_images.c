/* /images/... */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum MHD_Result images_create(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct pull_job *j = NULL;
	if (!api_query(req, "fromImage"))
		return api_reply_message(req, MHD_HTTP_NOT_IMPLEMENTED,
					 "importing images (fromSrc) is not supported by this berthd yet");
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

/* docker's reference filter: a glob over "repo" or "repo:tag". */
static bool reference_matches(const struct berth_image *img, json_t *patterns)
{
	size_t i;
	json_t *p;
	json_array_foreach(patterns, i, p) {
		for (char **t = img->tags; t && *t; t++) {
			struct berth_reference *ref = NULL;
			struct berth_error ignored = { 0 };
			char name[BERTH_REFERENCE_MAX], full[BERTH_REFERENCE_MAX];
			if (berth_reference_parse(*t, 0, &ref, &ignored) < 0)
				continue;
			berth_reference_familiar_name(ref, name);
			berth_reference_familiar_string(ref, full);
			berth_reference_free(ref);
			const char *pat = json_string_value(p);
			if (fnmatch(pat, name, 0) == 0 || fnmatch(pat, full, 0) == 0)
				return true;
		}
	}
	return false;
}

static bool label_matches(struct berth_engine *e, const struct berth_image *img, json_t *wanted)
{
	json_t *config = NULL;
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, img->id, &config, &ignored);
	json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
	bool all = true;
	size_t i;
	json_t *w;
	json_array_foreach(wanted, i, w) {
		const char *s = json_string_value(w), *eq = strchr(s, '=');
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int) (eq ? eq - s : (long) strlen(s)), s);
		json_t *v = json_object_get(labels, key);
		if (!v || (eq && (!json_is_string(v) || strcmp(json_string_value(v), eq + 1) != 0)))
			all = false;
	}
	json_decref(config);
	return all;
}

static bool image_selected(struct api_request *req, const struct berth_image *img, json_t *filters)
{
	json_t *dangling = json_object_get(filters, "dangling");
	if (json_array_size(dangling)) {
		bool want = strcmp(json_string_value(json_array_get(dangling, 0)), "true") == 0 ||
			    strcmp(json_string_value(json_array_get(dangling, 0)), "1") == 0;
		if (want != (img->tags == NULL || img->tags[0] == NULL))
			return false;
	}
	json_t *refs = json_object_get(filters, "reference");
	if (json_array_size(refs) && !reference_matches(img, refs))
		return false;
	json_t *labels = json_object_get(filters, "label");
	if (json_array_size(labels) && !label_matches(req->engine, img, labels))
		return false;
	return true;
}

static enum MHD_Result images_list(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	struct berth_image *imgs = NULL;
	size_t n = 0;
	if (api_query_filters(req, &filters, &err) < 0 || berth_images_list(req->engine->db, &imgs, &n, &err) < 0)
		return api_reply_error(req, &err);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		if (image_selected(req, &imgs[i], filters))
			json_array_append_new(out, api_image_summary(req->engine, &imgs[i], req->version));
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
