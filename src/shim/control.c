/* The control socket, control.sock: one request line per connection, one
 * reply line ("ok", "ok PID", "running PID", "exited CODE" or "error
 * MESSAGE"), then the shim closes the connection.
 *
 * A request that runs the runtime (start, kill, exec) is answered when the
 * runtime's command ends; `wait` and `wait-exec` when the process's exit is
 * recorded.  Meanwhile the connection stays watched: a client that goes away
 * is forgotten (its waiter removed), so a caller that retries `wait` after
 * every restart does not pile up connections.  At most
 * SHIM_CONTROL_CONNS_MAX connections are open at once; more are closed at
 * once, unanswered.
 *
 * The shim exits soon after the container's exit is recorded, so a caller
 * that needs the exit asks `wait` before it starts or kills the container;
 * one that comes later finds control.sock gone and reads STATE/exit, which
 * is written before any `wait` is answered (containerd keeps its shim until
 * it is told to go; conmon, like this shim, leaves the exit file).
 * `state` says "running PID" for a created container too: the runtime's
 * own `state` tells created from running, the shim only knows alive or not.
 */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim_log.h"

void control_drop(struct shim *shim, struct control_conn *conn)
{
	for (struct control_conn **p = &shim->conns; *p; p = &(*p)->next) {
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	}
	shim->n_conns--;
	if (conn->waiting_on) {
		for (struct control_conn **p = &conn->waiting_on->waiters; *p; p = &(*p)->next_waiter) {
			if (*p == conn) {
				*p = conn->next_waiter;
				break;
			}
		}
	}
	for (struct runtime_call *c = shim->calls; c; c = c->next)
		if (c->conn == conn)
			c->conn = NULL; /* the command goes on; nobody hears of it */
	shim_watch_close(shim, &conn->watch);
	shim_retire(shim, conn);
}

void control_reply(struct shim *shim, struct control_conn *conn, const char *fmt, ...)
{
	char line[BERTH_ERROR_MAX + 64];
	va_list ap;
	int n;

	if (conn == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t) n > sizeof(line) - 2)
		n = (int) sizeof(line) - 2;
	/* One line, whatever the message held. */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	/* A reply line fits in an empty socket buffer; a client that cannot
	 * take it is not waited for. */
	(void) !send(conn->watch.fd, line, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL);
	control_drop(shim, conn);
}

static bool container_gone(struct shim *shim, struct control_conn *conn)
{
	if (shim->container.exited) {
		control_reply(shim, conn, "error container %s is not running (exited with %d)", shim->opt.id,
			      shim->container.exit_code);
		return true;
	}
	return false;
}

static void run_call(struct shim *shim, struct control_conn *conn, enum runtime_call_kind kind, const char *const *args)
{
	struct berth_error err = { 0 };
	struct runtime_stdio stdio = { -1, -1, -1 };
	struct runtime_call *call;

	if (runtime_spawn(shim, kind, args, &stdio, &call, &err) < 0) {
		control_reply(shim, conn, "error %s", err.msg);
		return;
	}
	call->conn = conn;
}

static void do_kill(struct shim *shim, struct control_conn *conn, const struct shim_request *req)
{
	char signal[16];
	const char *args[6];
	int n = 0;

	if (container_gone(shim, conn))
		return;
	snprintf(signal, sizeof(signal), "%d", req->signal);
	args[n++] = "kill";
	if (req->all)
		args[n++] = "--all";
	args[n++] = shim->opt.id;
	args[n++] = signal;
	args[n] = NULL;
	run_call(shim, conn, CALL_KILL, args);
}

static void do_resize(struct shim *shim, struct control_conn *conn, struct session *s, const struct shim_request *req)
{
	struct berth_error err = { 0 };

	if (s == NULL) {
		control_reply(shim, conn, "error no exec session %s", req->exec_id);
		return;
	}
	if (session_resize(s, req->rows, req->cols, &err) < 0)
		control_reply(shim, conn, "error %s", err.msg);
	else
		control_reply(shim, conn, "ok");
}

/* The exec's own process only, as dockerd kills a probe past its timeout.
 * Its pid is still ours to signal: the shim reaps it, and has not yet. */
static void do_kill_exec(struct shim *shim, struct control_conn *conn, struct session *s,
			 const struct shim_request *req)
{
	if (s == NULL) {
		control_reply(shim, conn, "error no exec session %s", req->exec_id);
		return;
	}
	if (!s->exited && s->pid > 0 && kill(s->pid, req->signal) < 0)
		control_reply(shim, conn, "error kill exec %s: %s", req->exec_id, strerror(errno));
	else
		control_reply(shim, conn, "ok");
}

static void dispatch(struct shim *shim, struct control_conn *conn)
{
	struct berth_error err = { 0 };
	struct shim_request req;
	struct session *s;

	if (shim_request_parse(conn->line, conn->len, &req, &err) < 0) {
		control_reply(shim, conn, "error %s", err.msg);
		return;
	}
	switch (req.kind) {
	case SHIM_REQUEST_START:
		attach_settle(&shim->container);
		if (!container_gone(shim, conn))
			run_call(shim, conn, CALL_START, (const char *const[]){ "start", shim->opt.id, NULL });
		break;
	case SHIM_REQUEST_KILL:
		do_kill(shim, conn, &req);
		break;
	case SHIM_REQUEST_RESIZE:
		do_resize(shim, conn, &shim->container, &req);
		break;
	case SHIM_REQUEST_RESIZE_EXEC:
		do_resize(shim, conn, exec_find(shim, req.exec_id), &req);
		break;
	case SHIM_REQUEST_CLOSE_STDIN:
		session_close_stdin(&shim->container);
		control_reply(shim, conn, "ok");
		break;
	case SHIM_REQUEST_WAIT:
		session_add_waiter(&shim->container, conn);
		break;
	case SHIM_REQUEST_EXEC:
		exec_request(shim, conn, &req);
		break;
	case SHIM_REQUEST_WAIT_EXEC:
		s = exec_find(shim, req.exec_id);
		if (s)
			session_add_waiter(s, conn);
		else
			control_reply(shim, conn, "error no exec session %s", req.exec_id);
		break;
	case SHIM_REQUEST_KILL_EXEC:
		do_kill_exec(shim, conn, exec_find(shim, req.exec_id), &req);
		break;
	case SHIM_REQUEST_STATE:
		if (shim->container.exited)
			control_reply(shim, conn, "exited %d", shim->container.exit_code);
		else
			control_reply(shim, conn, "running %d", (int) shim->container.pid);
		break;
	}
}

static void on_conn(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct control_conn *conn = shim_container_of(w, struct control_conn, watch);
	ssize_t n;
	char *nl;

	(void) events;
	n = recv(w->fd, shim->iobuf, SHIM_IOBUF_SIZE, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_drop(shim, conn); /* gone before, or while, its answer was due */
		return;
	}
	if (conn->busy)
		return; /* one request per connection */
	nl = memchr(shim->iobuf, '\n', (size_t) n);
	if (nl)
		n = nl - shim->iobuf;
	if (conn->len + (size_t) n > SHIM_REQUEST_MAX) {
		control_reply(shim, conn, "error request longer than %d bytes", SHIM_REQUEST_MAX);
		return;
	}
	memcpy(conn->line + conn->len, shim->iobuf, (size_t) n);
	conn->len += (size_t) n;
	if (nl == NULL)
		return;
	conn->busy = true;
	dispatch(shim, conn);
}

static void on_control_listener(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct control_conn *conn;
	int fd;

	(void) events;
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (shim->n_conns >= SHIM_CONTROL_CONNS_MAX || (conn = calloc(1, sizeof(*conn))) == NULL) {
		close(fd);
		return;
	}
	conn->watch.fd = fd;
	conn->watch.on_event = on_conn;
	if (shim_watch_add(shim, &conn->watch, EPOLLIN) < 0) {
		close(fd);
		free(conn);
		return;
	}
	conn->next = shim->conns;
	shim->conns = conn;
	shim->n_conns++;
}

int control_listen(struct shim *shim, struct berth_error *err)
{
	int fd = shim_listen("control.sock", err);

	if (fd < 0)
		return fd;
	shim->control_listener.fd = fd;
	shim->control_listener.on_event = on_control_listener;
	if (shim_watch_add(shim, &shim->control_listener, EPOLLIN) < 0)
		return berth_error_sys(err, errno, "watch control.sock");
	return 0;
}
