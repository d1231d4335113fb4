/* Building answers, reading requests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "berth-config.h"
#include "json.h"

void api_add_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Api-Version", BERTH_API_VERSION);
	MHD_add_response_header(r, "Server", "berth/" BERTH_VERSION " (linux)");
	MHD_add_response_header(r, "Docker-Experimental", "false");
	MHD_add_response_header(r, "Ostype", "linux");
}

static enum MHD_Result queue_buffer(struct api_request *req, unsigned status, const char *content_type, char *buf,
				    size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	api_add_common_headers(r);
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	enum MHD_Result res = MHD_queue_response(req->conn, status, r);
	MHD_destroy_response(r);
	return res;
}

enum MHD_Result api_reply_json(struct api_request *req, unsigned status, json_t *body)
{
	if (!body)
		return queue_buffer(req, status, NULL, NULL, 0);
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!text)
		return MHD_NO;
	size_t n = strlen(text);
	/* dockerd ends JSON answers with a newline; some clients split on it. */
	char *line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return MHD_NO;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return queue_buffer(req, status, "application/json", line, n + 1);
}

enum MHD_Result api_reply_text(struct api_request *req, unsigned status, const char *content_type, const char *text)
{
	char *copy = strdup(text);
	return copy ? queue_buffer(req, status, content_type, copy, strlen(copy)) : MHD_NO;
}

unsigned api_status_for(int code)
{
	switch (code < 0 ? -code : code) {
	case ENOENT:
		return MHD_HTTP_NOT_FOUND;
	case EEXIST:
	case EBUSY:
		return MHD_HTTP_CONFLICT;
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
		return MHD_HTTP_BAD_REQUEST;
	case EACCES:
		return MHD_HTTP_UNAUTHORIZED;
	case EPERM:
		return MHD_HTTP_FORBIDDEN;
	case ENOTSUP:
	case ENOSYS:
		return MHD_HTTP_NOT_IMPLEMENTED;
	case EFBIG:
		return 413;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

enum MHD_Result api_reply_error(struct api_request *req, const struct berth_error *err)
{
	unsigned status = api_status_for(err->code);
	return api_reply_json(req, status, json_pack("{s:s}", "message", err->msg[0] ? err->msg : "error"));
}

enum MHD_Result api_reply_message(struct api_request *req, unsigned status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return api_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

const char *api_query(struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool api_query_bool(struct api_request *req, const char *name, bool dflt)
{
	const char *v = api_query(req, name);
	if (!v)
		return dflt;
	/* dockerd: anything but "", "0", "no", "false", "none" is true */
	return !(v[0] == '\0' || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
		 strcasecmp(v, "none") == 0);
}

const char *api_header(struct api_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int api_body_json(struct api_request *req, json_t **ret, struct berth_error *err)
{
	if (req->body_len == 0) {
		*ret = json_object();
		return 0;
	}
	int r = bjson_parse(req->body, req->body_len, "request body", ret, err);
	if (r == 0 && !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return berth_error_set(err, EINVAL, "request body: want a JSON object");
	}
	return r;
}

/* Old clients send {"dangling": {"true": true}}, new ones {"dangling": ["true"]}. */
static int normalise_filter(const char *key, json_t *v, json_t *out, struct berth_error *err)
{
	json_t *list = json_array();
	size_t i;
	json_t *item;
	const char *k;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			if (!json_is_string(item)) {
				json_decref(list);
				return berth_error_set(err, EINVAL, "filters: %s: want strings", key);
			}
			json_array_append(list, item);
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, item) {
			if (json_is_true(item))
				json_array_append_new(list, json_string(k));
		}
	} else {
		json_decref(list);
		return berth_error_set(err, EINVAL, "filters: %s: want a list of values", key);
	}
	json_object_set_new(out, key, list);
	return 0;
}

int api_query_filters(struct api_request *req, json_t **ret, struct berth_error *err)
{
	return api_filters_parse(api_query(req, "filters"), ret, err);
}

int api_filters_parse(const char *text, json_t **ret, struct berth_error *err)
{
	json_t *out = json_object();
	if (!text || !*text) {
		*ret = out;
		return 0;
	}
	json_t *in = NULL;
	int r = bjson_parse(text, strlen(text), "filters", &in, err);
	if (r == 0 && !json_is_object(in))
		r = berth_error_set(err, EINVAL, "filters: want a JSON object");
	const char *key;
	json_t *v;
	if (r == 0) {
		json_object_foreach(in, key, v) {
			if ((r = normalise_filter(key, v, out, err)) < 0)
				break;
		}
	}
	json_decref(in);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}

int api_parse_version(const char *url, int *ret_version, char *path, size_t size, struct berth_error *err)
{
	int version = BERTH_API_VERSION_NUM;
	const char *rest = url;
	if (strncmp(url, "/v", 2) == 0 && url[2] >= '0' && url[2] <= '9') {
		char *end;
		long major = strtol(url + 2, &end, 10), minor = 0;
		if (*end == '.')
			minor = strtol(end + 1, &end, 10);
		if (*end == '/' || *end == '\0') {
			if (major != 1 || minor < 0 || minor > 99)
				return berth_error_set(err, EINVAL, "invalid API version in %.200s", url);
			version = (int) (major * 100 + minor);
			rest = end;
		}
	}
	if (version < BERTH_API_MIN_VERSION_NUM)
		return berth_error_set(err, EINVAL,
				       "client version 1.%d is too old. Minimum supported API version is %s, please upgrade "
				       "your client to a newer version",
				       version % 100, BERTH_API_MIN_VERSION);
	if (version > BERTH_API_VERSION_NUM)
		return berth_error_set(err, EINVAL, "client version 1.%d is too new. Maximum supported API version is %s",
				       version % 100, BERTH_API_VERSION);
	if (strlen(rest) >= size)
		return berth_error_set(err, ENAMETOOLONG, "request path longer than %zu bytes", size - 1);
	snprintf(path, size, "%s", *rest ? rest : "/");
	*ret_version = version;
	return 0;
}

void api_frame_header(unsigned char out[8], int stream, size_t len)
{
	out[0] = (unsigned char) stream;
	out[1] = out[2] = out[3] = 0;
	out[4] = (unsigned char) (len >> 24);
	out[5] = (unsigned char) (len >> 16);
	out[6] = (unsigned char) (len >> 8);
	out[7] = (unsigned char) len;
}
