/* /volumes/...: docker volumes of the local driver (src/engine/volumes.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cleanup.h"
#include "json.h"

/* RFC 3339 in the daemon's time zone, seconds only, as dockerd's
 * time.Format(time.RFC3339): "2024-01-02T03:04:05Z", "...+01:00". */
static void rfc3339(int64_t nano, char out[64])
{
	time_t t = (time_t) (nano / 1000000000);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
	if (off == 0)
		snprintf(out + n, 64 - n, "Z");
	else
		snprintf(out + n, 64 - n, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
}

/* dockerd's Volume, its fields in its order; Labels and Options null when
 * the volume was made without them. */
json_t *api_volume_json(const struct berth_volume *v)
{
	char created[64];
	rfc3339(v->created_nano, created);
	return json_pack("{s:s, s:s, s:O?, s:s, s:s, s:O?, s:s}", "CreatedAt", created, "Driver", BERTH_VOLUME_DRIVER,
			 "Labels", v->labels, "Mountpoint", v->mountpoint, "Name", v->name, "Options", v->options, "Scope",
			 "local");
}

/* Errors name what the client sent, which may not be UTF-8 (a path): such
 * bytes are shown as '?', JSON being UTF-8 only. */
static enum MHD_Result reply_error(struct api_request *req, struct berth_error *err)
{
	json_t *probe = json_string(err->msg);
	if (!probe) {
		for (char *p = err->msg; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
	}
	json_decref(probe);
	return api_reply_error(req, err);
}

static enum MHD_Result volumes_list(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	struct berth_volume *v = NULL;
	size_t n = 0;
	if (api_query_filters(req, &filters, &err) < 0 ||
	    berth_engine_volume_list(req->engine, filters, &v, &n, &err) < 0)
		return reply_error(req, &err);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, api_volume_json(&v[i]));
	berth_volumes_free_list(v, n);
	return api_reply_json(req, MHD_HTTP_OK, json_pack("{s:o, s:n}", "Volumes", list, "Warnings"));
}

/* A string field of the body: absent and null are "". */
static int body_string(json_t *body, const char *key, const char **ret, struct berth_error *err)
{
	json_t *v = json_object_get(body, key);
	*ret = "";
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berth_error_set(err, EINVAL, "request body: %s: want a string", key);
	*ret = json_string_value(v);
	return 0;
}

/* A map[string]string field: absent and null are NULL. */
static int body_map(json_t *body, const char *key, json_t **ret, struct berth_error *err)
{
	json_t *v = json_object_get(body, key), *item;
	const char *k;
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return berth_error_set(err, EINVAL, "request body: %s: want an object of strings", key);
	json_object_foreach(v, k, item) {
		if (!json_is_string(item))
			return berth_error_set(err, EINVAL, "request body: %s.%s: want a string", key, k);
	}
	*ret = v;
	return 0;
}

static enum MHD_Result volume_create(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	_cleanup_volume_ struct berth_volume v = { 0 };
	struct berth_volume_create c = { 0 };
	const char *driver = "";
	json_t *parsed = NULL; /* api_body_json leaves it dangling on a non-object */
	if (api_body_json(req, &parsed, &err) < 0)
		return reply_error(req, &err);
	body = parsed;
	if (body_string(body, "Name", &c.name, &err) < 0 ||
	    body_string(body, "Driver", &driver, &err) < 0 || body_map(body, "DriverOpts", &c.options, &err) < 0 ||
	    body_map(body, "Labels", &c.labels, &err) < 0 ||
	    berth_engine_volume_create(req->engine, driver, &c, &v, &err) < 0)
		return reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_CREATED, api_volume_json(&v));
}

static enum MHD_Result volume_inspect(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 };
	if (berth_volumes_get(req->engine->volumes, req->param, &v, &err) < 0)
		return reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, api_volume_json(&v));
}

static enum MHD_Result volume_delete(struct api_request *req)
{
	struct berth_error err = { 0 };
	if (berth_engine_volume_remove(req->engine, req->param, api_query_bool(req, "force", false), &err) < 0)
		return reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_NO_CONTENT, NULL);
}

static enum MHD_Result volumes_prune(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	if (api_query_filters(req, &filters, &err) < 0 ||
	    berth_engine_volume_prune(req->engine, filters, req->version, &out, &err) < 0)
		return reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

enum MHD_Result api_route_volumes(struct api_request *req, bool *handled)
{
	const char *m = req->method, *p = req->path;
	*handled = true;
	if (strcmp(p, "/volumes") == 0 && strcmp(m, "GET") == 0)
		return volumes_list(req);
	if (strcmp(p, "/volumes/create") == 0 && strcmp(m, "POST") == 0)
		return volume_create(req);
	if (strcmp(p, "/volumes/prune") == 0 && strcmp(m, "POST") == 0)
		return volumes_prune(req);
	/* /volumes/NAME: one path segment, as dockerd's router takes it */
	if (strncmp(p, "/volumes/", 9) == 0 && p[9] && !strchr(p + 9, '/')) {
		snprintf(req->param, sizeof(req->param), "%s", p + 9);
		if (strcmp(m, "GET") == 0)
			return volume_inspect(req);
		if (strcmp(m, "DELETE") == 0)
			return volume_delete(req);
	}
	*handled = false;
	return MHD_NO;
}
