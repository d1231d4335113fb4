/* The /containers endpoints: create, start, stop, kill, wait, delete, inspect, list,
 * attach (hijacked with 101 UPGRADED) and logs. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "file.h"
#include "json.h"
#include "log.h"

/* "/containers/ID/SUFFIX" -> ID in req->param */
static bool match_id(struct api_request *req, const char *suffix)
{
	const char *p = req->path + strlen("/containers/");
	size_t n = strlen(p), s = strlen(suffix);
	if (n <= s || strcmp(p + n - s, suffix) != 0 || memchr(p, '/', n - s))
		return false;
	snprintf(req->param, sizeof(req->param), "%.*s", (int) (n - s), p);
	return true;
}

static enum MHD_Result reply_empty(struct api_request *req, unsigned status)
{
	return api_reply_json(req, status, NULL);
}

static enum MHD_Result container_create(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	char id[65];
	if (api_body_json(req, &body, &err) < 0 ||
	    berth_engine_container_create(req->engine, api_query(req, "name"), body, id, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_CREATED, json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
}

static enum MHD_Result container_start(struct api_request *req)
{
	struct berth_error err = { 0 };
	int r = berth_engine_container_start(req->engine, req->param, &err);
	if (r == -EALREADY)
		return reply_empty(req, MHD_HTTP_NOT_MODIFIED);
	return r < 0 ? api_reply_error(req, &err) : reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_stop(struct api_request *req)
{
	struct berth_error err = { 0 };
	const char *t = api_query(req, "t");
	int r = berth_engine_container_stop(req->engine, req->param, t && *t ? atoi(t) : -1, api_query(req, "signal"),
					    &err);
	if (r == -EALREADY)
		return reply_empty(req, MHD_HTTP_NOT_MODIFIED);
	return r < 0 ? api_reply_error(req, &err) : reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_kill(struct api_request *req)
{
	struct berth_error err = { 0 };
	if (berth_engine_container_kill(req->engine, req->param, api_query(req, "signal"), &err) < 0)
		return api_reply_error(req, &err);
	return reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_delete(struct api_request *req)
{
	struct berth_error err = { 0 };
	if (berth_engine_container_remove(req->engine, req->param, api_query_bool(req, "force", false),
					  api_query_bool(req, "v", false), &err) < 0)
		return api_reply_error(req, &err);
	return reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_inspect(struct api_request *req)
{
	struct berth_error err = { 0 };
	json_t *out = NULL;
	if (berth_engine_container_inspect(req->engine, req->param, api_query_bool(req, "size", false), &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result container_list(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	const char *limit = api_query(req, "limit");
	if (api_query_filters(req, &filters, &err) < 0 ||
	    berth_engine_container_list(req->engine, api_query_bool(req, "all", false), limit ? atoi(limit) : 0,
					api_query_bool(req, "size", false), filters, &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

/* ---- wait: the headers at once, the body at the exit ---- */

struct wait_stream {
	struct berth_engine *engine;
	struct berth_container_waiter w;
	int step;
	bool finished;
};

static ssize_t wait_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	struct wait_stream *s = cls;
	if (s->step == 0) {
		/* whitespace, so that the headers go out now: the docker CLI
		 * starts the container only once they came back */
		s->step = 1;
		buf[0] = ' ';
		return 1;
	}
	if (s->step == 2)
		return MHD_CONTENT_READER_END_OF_STREAM;
	int64_t code = 0;
	berth_engine_container_wait_finish(s->engine, &s->w, &code);
	s->finished = true;
	s->step = 2;
	int n = snprintf(buf, max, "{\"Error\":null,\"StatusCode\":%lld}\n", (long long) code);
	return n < 0 || (size_t) n >= max ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void wait_free(void *cls)
{
	struct wait_stream *s = cls;
	if (!s->finished) {
		/* the client left before the exit: give the waiter back */
		s->w.done = true;
		int64_t code;
		berth_engine_container_wait_finish(s->engine, &s->w, &code);
	}
	free(s);
}

static enum MHD_Result container_wait(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct wait_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->engine = req->engine;
	if (berth_engine_container_wait_prepare(req->engine, req->param, api_query(req, "condition"), &s->w, &err) < 0) {
		free(s);
		return api_reply_error(req, &err);
	}
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, wait_read, s, wait_free);
	if (!r) {
		wait_free(s);
		return MHD_NO;
	}
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}

/* ---- attach: 101, then bytes both ways between the client and the shim ---- */

struct attach_session {
	struct berth_engine *engine;
	char id[4096];
	bool in, out, err;
	/* an exec's stdio, connected before the upgrade; -1 for a container */
	int exec_fd;
	bool exec_pending; /* an exec to start once upgraded */
	bool tty;	   /* raw bytes; else docker's 8-byte frames */
	struct berth_attach *attach; /* a container's, registered before the upgrade */
	char exec_id[65];
};

/* forward_eof: pass the end of from's input on (a client's end of stdin
 * for a session that takes stdin); otherwise the end only stops reading,
 * so a client that closes its side early still gets all the output. */
static void pump(int from, int to, bool *open_from, bool forward_eof)
{
	char buf[32768];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0) {
		*open_from = false;
		if (forward_eof)
			shutdown(to, SHUT_WR);
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t) (n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*open_from = false;
			return;
		}
		off += w;
	}
}

/* Until the shim ends the container's side (its exit), copy both ways;
 * a daemon that stops lets go (the container goes on). */
static void proxy(struct berth_engine *e, int client, int shim, bool with_stdin)
{
	bool client_open = true, shim_open = true;
	while (shim_open && !e->shutting_down) {
		struct pollfd p[2] = { { .fd = shim, .events = POLLIN }, { .fd = client_open ? client : -1, .events = POLLIN } };
		int n = poll(p, 2, 500);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[0].revents)
			pump(shim, client, &shim_open, true);
		if (client_open && p[1].revents)
			pump(client, shim, &client_open, with_stdin);
	}
}

/* The shim's side of a session: an exec started now, or a container's
 * attach handed over at its start. */
static int session_connect(struct attach_session *a, int *shim, struct berth_error *err)
{
	bool tty, in;
	if (a->exec_fd >= 0) {
		*shim = a->exec_fd;
		return 0;
	}
	if (a->exec_pending)
		return berth_engine_exec_start(a->engine, a->exec_id, false, shim, &tty, &in, err);
	return berth_engine_container_attach_wait(a->engine, a->attach, shim, err);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	(void) conn;
	(void) con_cls;
	struct attach_session *a = cls;
	struct berth_error err = { 0 };
	int shim = -1;
	if (session_connect(a, &shim, &err) == 0) {
		if (extra_in_size > 0 && write(shim, extra_in, extra_in_size) < 0)
			berth_debug("attach %s: %s", a->id, strerror(errno));
		proxy(a->engine, sock, shim, a->in);
		close(shim);
		/* the client asks for the exit code next: have it recorded */
		if (a->exec_id[0] && berth_engine_exec_wait(a->engine, a->exec_id, &err) < 0)
			berth_debug("exec %s: %s", a->exec_id, err.msg);
	} else {
		/* past the 101 an error can only be told in the stream, on stdout,
		 * as dockerd tells it */
		unsigned char line[8 + sizeof(err.msg) + 2];
		size_t n = (size_t) snprintf((char *) line + 8, sizeof(line) - 8, "%s\r\n", err.msg);
		size_t off = a->tty ? 8 : 0;
		if (!a->tty) {
			api_frame_header(line, 1, n);
			n += 8;
		}
		if (a->exec_pending && berth_write_all(sock, line + off, n) < 0)
			berth_debug("exec %s: %s", a->exec_id, strerror(errno));
		berth_debug("attach %s: %s", a->id, err.msg);
	}
	free(a);
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

static void abandon_session(void *ctx)
{
	struct attach_session *a = ctx;
	if (a->exec_fd >= 0)
		close(a->exec_fd);
	if (a->attach)
		berth_engine_container_attach_cancel(a->engine, a->attach);
	free(a);
}

static enum MHD_Result reply_upgrade(struct api_request *req, struct attach_session *a, bool tty)
{
	a->tty = tty;
	struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, a);
	if (!r) {
		abandon_session(a);
		return MHD_NO;
	}
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "tcp");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	if (res == MHD_YES) {
		req->abandon = abandon_session;
		req->abandon_ctx = a;
	} else {
		abandon_session(a);
	}
	return res;
}

static enum MHD_Result container_attach(struct api_request *req)
{
	struct berth_error err = { 0 };
	bool tty = false;
	struct attach_session *a = calloc(1, sizeof(*a));
	if (!a)
		return MHD_NO;
	a->engine = req->engine;
	snprintf(a->id, sizeof(a->id), "%s", req->param);
	a->in = api_query_bool(req, "stdin", false);
	a->out = api_query_bool(req, "stdout", false);
	a->err = api_query_bool(req, "stderr", false);
	a->exec_fd = -1;
	if (berth_engine_container_attach_begin(req->engine, req->param, a->in, a->out, a->err, &a->attach, &tty, &err) <
	    0) {
		free(a);
		return api_reply_error(req, &err);
	}
	return reply_upgrade(req, a, tty);
}

static enum MHD_Result container_pause(struct api_request *req, bool pause)
{
	struct berth_error err = { 0 };
	if (berth_engine_container_pause(req->engine, req->param, pause, &err) < 0)
		return api_reply_error(req, &err);
	return reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_restart(struct api_request *req)
{
	struct berth_error err = { 0 };
	const char *t = api_query(req, "t");
	if (berth_engine_container_restart(req->engine, req->param, t && *t ? atoi(t) : -1, &err) < 0)
		return api_reply_error(req, &err);
	return reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_rename(struct api_request *req)
{
	struct berth_error err = { 0 };
	const char *name = api_query(req, "name");
	if (!name || !*name)
		return api_reply_message(req, MHD_HTTP_BAD_REQUEST, "missing parameter: name");
	if (berth_engine_container_rename(req->engine, req->param, name, &err) < 0)
		return api_reply_error(req, &err);
	return reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result container_prune(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	json_t *out = NULL;
	if (api_query_filters(req, &filters, &err) < 0 || berth_engine_container_prune(req->engine, filters, &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result container_top(struct api_request *req)
{
	struct berth_error err = { 0 };
	json_t *out = NULL;
	if (berth_engine_container_top(req->engine, req->param, api_query(req, "ps_args"), &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

/* ---- exec ---- */

static enum MHD_Result exec_create(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	char id[65];
	if (api_body_json(req, &body, &err) < 0 || berth_engine_exec_create(req->engine, req->param, body, id, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_CREATED, json_pack("{s:s}", "Id", id));
}

static enum MHD_Result exec_start(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	int fd = -1;
	bool tty = false, in = false;
	if (api_body_json(req, &body, &err) < 0)
		return api_reply_error(req, &err);
	bool detach = json_is_true(json_object_get(body, "Detach"));
	if (detach) {
		if (berth_engine_exec_start(req->engine, req->param, true, &fd, &tty, &in, &err) < 0)
			return api_reply_error(req, &err);
		return api_reply_json(req, MHD_HTTP_OK, NULL);
	}
	if (berth_engine_exec_check(req->engine, req->param, &tty, &in, &err) < 0)
		return api_reply_error(req, &err);
	struct attach_session *a = calloc(1, sizeof(*a));
	if (!a)
		return MHD_NO;
	/* started in on_upgrade, once the 101 is out */
	*a = (struct attach_session){ .engine = req->engine, .exec_fd = -1, .in = in, .exec_pending = true };
	snprintf(a->id, sizeof(a->id), "%s", req->param);
	snprintf(a->exec_id, sizeof(a->exec_id), "%s", req->param);
	return reply_upgrade(req, a, tty);
}

static enum MHD_Result exec_inspect(struct api_request *req)
{
	struct berth_error err = { 0 };
	json_t *out = NULL;
	if (berth_engine_exec_inspect(req->engine, req->param, &out, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static enum MHD_Result resize(struct api_request *req, const char *exec_id)
{
	struct berth_error err = { 0 };
	const char *h = api_query(req, "h"), *w = api_query(req, "w");
	if (berth_engine_resize(req->engine, req->param, exec_id, h ? atoi(h) : 0, w ? atoi(w) : 0, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, NULL);
}

/* "/exec/ID/SUFFIX" */
static bool match_exec(struct api_request *req, const char *suffix)
{
	const char *p = req->path + strlen("/exec/");
	size_t n = strlen(p), s = strlen(suffix);
	if (strncmp(req->path, "/exec/", 6) != 0 || n <= s || strcmp(p + n - s, suffix) != 0 || memchr(p, '/', n - s))
		return false;
	snprintf(req->param, sizeof(req->param), "%.*s", (int) (n - s), p);
	return true;
}

enum MHD_Result api_route_containers(struct api_request *req, bool *handled)
{
	const char *m = req->method, *p = req->path;
	*handled = true;
	if (strcmp(p, "/containers/create") == 0 && strcmp(m, "POST") == 0)
		return container_create(req);
	if (strcmp(p, "/containers/json") == 0 && strcmp(m, "GET") == 0)
		return container_list(req);
	if (strcmp(p, "/containers/prune") == 0 && strcmp(m, "POST") == 0)
		return container_prune(req);
	if (strcmp(m, "POST") == 0 && match_exec(req, "/start"))
		return exec_start(req);
	if (strcmp(m, "POST") == 0 && match_exec(req, "/resize"))
		return resize(req, req->param);
	if (strcmp(m, "GET") == 0 && match_exec(req, "/json"))
		return exec_inspect(req);
	if (strncmp(p, "/containers/", 12) != 0 || strlen(p) <= 12) {
		*handled = false;
		return MHD_NO;
	}
	if (strcmp(m, "POST") == 0) {
		if (match_id(req, "/start"))
			return container_start(req);
		if (match_id(req, "/stop"))
			return container_stop(req);
		if (match_id(req, "/kill"))
			return container_kill(req);
		if (match_id(req, "/wait"))
			return container_wait(req);
		if (match_id(req, "/attach"))
			return container_attach(req);
		if (match_id(req, "/exec"))
			return exec_create(req);
		if (match_id(req, "/pause"))
			return container_pause(req, true);
		if (match_id(req, "/unpause"))
			return container_pause(req, false);
		if (match_id(req, "/restart"))
			return container_restart(req);
		if (match_id(req, "/rename"))
			return container_rename(req);
		if (match_id(req, "/resize"))
			return resize(req, NULL);
		if (match_id(req, "/update"))
			return api_container_update(req);
	}
	if (strcmp(m, "GET") == 0 && match_id(req, "/json"))
		return container_inspect(req);
	if (strcmp(m, "GET") == 0 && match_id(req, "/top"))
		return container_top(req);
	if (strcmp(m, "GET") == 0 && match_id(req, "/stats"))
		return api_container_stats(req);
	if (strcmp(m, "GET") == 0 && match_id(req, "/logs"))
		return api_container_logs(req);
	if (strcmp(m, "GET") == 0 && match_id(req, "/export"))
		return api_container_export(req);
	if (strcmp(m, "GET") == 0 && match_id(req, "/changes"))
		return api_container_changes(req);
	if (strcmp(m, "DELETE") == 0 && !strchr(p + 12, '/')) {
		snprintf(req->param, sizeof(req->param), "%s", p + 12);
		return container_delete(req);
	}
	*handled = false;
	return MHD_NO;
}
