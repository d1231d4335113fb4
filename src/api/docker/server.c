#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "file.h"
#include "log.h"

struct berth_api_server {
	struct MHD_Daemon *daemon;
	struct berth_engine *engine;
	int listen_fd;
};

static int split_version(const char *url, struct api_request *req, struct berth_error *err)
{
	return api_parse_version(url, &req->version, req->path, sizeof(req->path), err);
}

static enum MHD_Result dispatch(struct api_request *req)
{
	struct berth_error err = { 0 };
	bool handled = false;
	enum MHD_Result r;

	berth_debug("api: %s %s (1.%d)", req->method, req->path, req->version % 100);
	if (req->upload_too_large)
		return api_reply_message(req, 413, "import: the archive is larger than %llu bytes",
					 (unsigned long long) BERTH_API_UPLOAD_MAX);
	if (req->body_too_large)
		return api_reply_message(req, 413, "request body larger than %u bytes",
					 BERTH_API_BODY_MAX);
	r = api_route_system(req, &handled);
	if (!handled)
		r = api_route_images(req, &handled);
	if (!handled)
		r = api_route_volumes(req, &handled);
	if (!handled)
		r = api_route_archive(req, &handled);
	if (!handled)
		r = api_route_containers(req, &handled);
	if (handled)
		return r;
	berth_error_set(&err, ENOENT, "page not found");
	return api_reply_error(req, &err);
}

/* docker import: POST /images/create without fromImage (an empty
 * fromImage is a pull of a bad name, 400).  Its body is streamed to a file. */
static bool is_import(struct api_request *req, const char *url)
{
	struct berth_error ignored = { 0 };
	const char *from = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "fromImage");
	return strcmp(req->method, "POST") == 0 && !from && split_version(url, req, &ignored) == 0 &&
	       strcmp(req->path, "/images/create") == 0;
}

/* A piece of an import's body, into the upload file; past the bound, or
 * after a failed write, the rest is read and dropped (the answer comes once
 * the body is in: libmicrohttpd queues none while it is uploading). */
static void upload_write(struct api_request *req, const char *data, size_t n)
{
	if (!req->upload_too_large && req->upload_len + n > BERTH_API_UPLOAD_MAX) {
		req->upload_too_large = true;
		berth_closep(&req->upload_fd);
	}
	req->upload_len += n;
	if (req->upload_fd < 0)
		return;
	int r = berth_write_all(req->upload_fd, data, n);
	if (r < 0) {
		berth_error_sys(&req->upload_err, -r, "import: store the uploaded archive");
		berth_closep(&req->upload_fd);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	(void) version;
	struct berth_api_server *s = cls;
	struct api_request *req = *con_cls;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->server = s;
		req->engine = s->engine;
		req->conn = conn;
		req->method = method;
		req->upload_fd = -1;
		*con_cls = req;
		if (is_import(req, url))
			api_import_upload_begin(req);
		else
			api_archive_upload_begin(req, url);
		return MHD_YES;
	}
	if (*upload_data_size > 0 && req->upload) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		upload_write(req, upload_data, n);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->body_too_large || req->body_len + n > BERTH_API_BODY_MAX) {
			req->body_too_large = true;
			return MHD_YES;
		}
		char *grown = realloc(req->body, req->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		req->body = grown;
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	struct berth_error err = { 0 };
	if (split_version(url, req, &err) < 0)
		return api_reply_error(req, &err);
	return dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void) cls, (void) conn;
	struct api_request *req = *con_cls;
	if (!req)
		return;
	/* MHD runs the upgrade handler only after a request that completed
	 * well; otherwise it never runs and the session is ours to drop. */
	if (req->abandon && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		req->abandon(req->abandon_ctx);
	berth_closep(&req->upload_fd);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	(void) cls;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	berth_debug("http: %s", msg);
}

int berth_api_start(struct berth_engine *engine, const struct berth_api_options *opts, struct berth_api_server **ret,
		    struct berth_error *err)
{
	struct berth_api_server *s = calloc(1, sizeof(*s));
	if (!s)
		return berth_error_sys(err, ENOMEM, "API server");
	s->engine = engine;
	s->listen_fd = opts->listen_fd;
	/* One thread per connection: a pull or an event stream may block in
	 * its reader for as long as the client listens. */
	s->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
					     MHD_ALLOW_UPGRADE | MHD_USE_ITC | MHD_USE_ERROR_LOG,
				     0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, s,
				     MHD_OPTION_LISTEN_SOCKET, opts->listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				     s, MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
	if (!s->daemon) {
		free(s);
		return berth_error_set(err, EIO, "start the API server (libmicrohttpd)");
	}
	*ret = s;
	return 0;
}

void berth_api_stop(struct berth_api_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
}

/* A socket file nobody answers on is left over from a daemon that died. */
static int remove_stale_socket(const char *path, struct berth_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berth_error_sys(err, errno, "stat %s", path);
	if (!S_ISSOCK(st.st_mode))
		return berth_error_set(err, EEXIST, "%s exists and is not a socket", path);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0)
		return berth_error_set(err, EADDRINUSE, "%s: a daemon is listening there already", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_error_sys(err, errno, "remove stale socket %s", path);
	return 0;
}

int berth_api_listen_unix(const char *path, struct berth_error *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "socket path %s is too long", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int r = remove_stale_socket(path, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_sys(err, errno, "socket for %s", path);
	/* Bound with no access at all, then opened to the group: no window
	 * in which anyone may connect. */
	mode_t old = umask(0777);
	r = bind(fd, (struct sockaddr *) &a, sizeof(a));
	umask(old);
	if (r < 0)
		return berth_error_sys(err, errno, "bind %s", path);
	struct group gr, *found = NULL;
	char buf[4096];
	if (getgrnam_r("berth", &gr, buf, sizeof(buf), &found) == 0 && found && chown(path, 0, found->gr_gid) < 0)
		return berth_error_sys(err, errno, "chown %s to group berth", path);
	if (chmod(path, 0660) < 0)
		return berth_error_sys(err, errno, "chmod %s", path);
	if (listen(fd, 128) < 0)
		return berth_error_sys(err, errno, "listen on %s", path);
	return berth_steal_fd(&fd);
}
