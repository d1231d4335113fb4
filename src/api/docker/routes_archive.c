/* /containers/{id}/archive: docker cp.  GET is the tar of a path (made as
 * the client reads it), HEAD its stat header alone, PUT extracts a tar
 * into a directory; the PUT body is streamed to an unnamed file as an
 * import's is, never held in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "log.h"
#include "tree_tar.h"

#define STAT_HEADER "X-Docker-Container-Path-Stat"

/* "/containers/{id}/archive": the id into req->param. */
static bool match_archive(const char *path, char *id, size_t size)
{
	static const char prefix[] = "/containers/", suffix[] = "/archive";
	size_t len = strlen(path);
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0 || len < sizeof(prefix) + sizeof(suffix) - 1 ||
	    strcmp(path + len - (sizeof(suffix) - 1), suffix) != 0)
		return false;
	size_t n = len - (sizeof(prefix) - 1) - (sizeof(suffix) - 1);
	if (n == 0 || n >= size || memchr(path + sizeof(prefix) - 1, '/', n))
		return false;
	memcpy(id, path + sizeof(prefix) - 1, n);
	id[n] = '\0';
	return true;
}

static const char *path_param(struct api_request *req, struct berth_error *err)
{
	const char *path = api_query(req, "path");
	if (!path || !*path) {
		berth_error_set(err, EINVAL, "bad parameter: path cannot be empty");
		return NULL;
	}
	return path;
}

static enum MHD_Result archive_get(struct api_request *req, bool head)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *stat = NULL;
	struct berth_tree_tar *x = NULL;
	const char *path = path_param(req, &err);
	int r = !path ? -EINVAL
	    : head    ? berth_engine_container_archive_stat(req->engine, req->param, path, &stat, &err)
		      : berth_engine_container_archive_get(req->engine, req->param, path, &stat, &x, &err);
	if (r < 0)
		return api_reply_error(req, &err);
	struct MHD_Response *resp = head ? MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT)
					 : api_tar_response(x);
	if (!resp)
		return MHD_NO;
	api_add_common_headers(resp);
	MHD_add_response_header(resp, STAT_HEADER, stat);
	if (head)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return res;
}

bool api_archive_upload_begin(struct api_request *req, const char *url)
{
	struct berth_error ignored = { 0 };
	if (strcmp(req->method, "PUT") != 0 ||
	    api_parse_version(url, &req->version, req->path, sizeof(req->path), &ignored) < 0 ||
	    !match_archive(req->path, req->param, sizeof(req->param)))
		return false;
	req->upload = true;
	const char *path = path_param(req, &req->upload_err);
	if (path && berth_engine_container_archive_check(req->engine, req->param, &req->upload_err) == 0)
		req->upload_fd = berth_engine_upload_file(req->engine, &req->upload_err);
	return true;
}

static enum MHD_Result archive_put(struct api_request *req)
{
	struct berth_error err = { 0 };
	if (req->upload_err.code)
		return api_reply_error(req, &req->upload_err);
	if (!req->upload || req->upload_fd < 0)
		return api_reply_message(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive: the upload was not stored");
	struct berth_archive_put p = {
		.path = api_query(req, "path"),
		.no_overwrite_dir_nondir = api_query_bool(req, "noOverwriteDirNonDir", false),
		.copy_uid_gid = api_query_bool(req, "copyUIDGID", false),
		.fd = req->upload_fd,
	};
	int r = berth_engine_container_archive_put(req->engine, req->param, &p, &err);
	/* The file's space goes back now, not when the client disconnects. */
	berth_closep(&req->upload_fd);
	if (r < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, NULL);
}

enum MHD_Result api_route_archive(struct api_request *req, bool *handled)
{
	*handled = match_archive(req->path, req->param, sizeof(req->param));
	if (!*handled)
		return MHD_NO;
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		return archive_get(req, strcmp(req->method, "HEAD") == 0);
	if (strcmp(req->method, "PUT") == 0)
		return archive_put(req);
	*handled = false;
	return MHD_NO;
}
