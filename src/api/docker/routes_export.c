/* GET /containers/{id}/export (docker export) and /changes (docker diff). */
#include <errno.h>
#include <stdio.h>

#include "api.h"
#include "engine_containers.h"
#include "log.h"
#include "tree_tar.h"

/* libmicrohttpd pulls the tar a block at a time, as the client reads. */
#define EXPORT_BLOCK (64 * 1024)

static ssize_t tar_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	struct berth_tree_tar *x = cls;
	struct berth_error err = { 0 };
	ssize_t n = berth_tree_tar_read(x, buf, max, &err);
	if (n > 0)
		return n;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* The status went out with the first bytes: all that is left is to
	 * cut the answer short, so the client sees an incomplete archive. */
	berth_warn("%s", err.msg);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void tar_free(void *cls)
{
	berth_tree_tar_free(cls);
}

struct MHD_Response *api_tar_response(struct berth_tree_tar *x)
{
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK, tar_reader, x, tar_free);
	if (!r) {
		berth_tree_tar_free(x);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
	return r;
}

enum MHD_Result api_container_export(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct berth_tree_tar *x = NULL;
	if (berth_engine_container_export(req->engine, req->param, &x, &err) < 0)
		return api_reply_error(req, &err);
	struct MHD_Response *r = api_tar_response(x);
	if (!r)
		return MHD_NO;
	api_add_common_headers(r);
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}

enum MHD_Result api_container_changes(struct api_request *req)
{
	struct berth_error err = { 0 };
	json_t *out = NULL;
	if (berth_engine_container_changes(req->engine, req->param, &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}
