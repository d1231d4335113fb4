/* Exec sessions: `exec EXECID PROCESS_JSON_PATH [tty] [stdin]` runs
 * `RUNTIME exec --process F --detach --pid-file STATE/exec-EXECID.pid
 * [--console-socket S] ID` with pipes or a pty of its own, served on
 * STATE/exec-EXECID.sock like attach.sock, its exit recorded in
 * STATE/exec-EXECID.exit ("CODE UNIX_NANOS").
 *
 * With --detach the process runs before any client can attach, so its
 * output until the first client arrives is kept (SHIM_EXEC_REPLAY_MAX) and
 * given to that client; docker attaches before it starts an exec, and this
 * gives the same result without a second round trip.  The stdin of an exec
 * is closed when its attached stdin ends, as docker does for exec.
 *
 * When the process ends before its first client attached (a short command:
 * the `ok` reply and the client's connect come after it), the socket stays
 * for SHIM_EXEC_LINGER_MS so that the client still gets the output, then EOF.
 *
 * A finished session stays known (for `wait-exec`) with its descriptors
 * closed and its socket and pid file removed; past SHIM_EXECS_MAX finished
 * sessions the oldest are forgotten (their exit files remain).
 */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim_log.h"

struct session *exec_find(struct shim *shim, const char *exec_id)
{
	for (struct session *s = shim->execs; s; s = s->next)
		if (strcmp(s->exec_id, exec_id) == 0)
			return s;
	return NULL;
}

static void exec_file(const struct session *s, const char *suffix, char *buf, size_t size)
{
	snprintf(buf, size, "exec-%s.%s", s->exec_id, suffix);
}

/* Close and free a session that is no longer in shim->execs. */
void exec_release(struct session *s)
{
	char name[SHIM_EXEC_ID_MAX + 16];

	session_cleanup(s);
	exec_file(s, "sock", name, sizeof(name));
	unlink(name);
	exec_file(s, "pid", name, sizeof(name));
	unlink(name);
	free(s->exec_id);
	shim_retire(s->shim, s);
}

static void exec_remove(struct shim *shim, struct session *s)
{
	for (struct session **p = &shim->execs; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	shim->n_execs--;
	exec_release(s);
}

/* Forget the oldest finished sessions beyond the limit (the list is newest
 * first, so the last finished ones are the oldest). */
static void exec_prune(struct shim *shim)
{
	while (shim->n_execs > SHIM_EXECS_MAX) {
		struct session *oldest = NULL;
		for (struct session *s = shim->execs; s; s = s->next)
			if (s->finished && s->n_attachers == 0 && s->waiters == NULL && s->attach_listener.fd < 0)
				oldest = s;
		if (oldest == NULL)
			return;
		exec_remove(shim, oldest);
	}
}

static unsigned execs_active(const struct shim *shim)
{
	unsigned n = 0;

	for (const struct session *s = shim->execs; s; s = s->next)
		n += !s->finished;
	return n;
}

static int exec_start(struct shim *shim, struct session *s, struct control_conn *conn, const struct shim_request *req,
		      struct berth_error *err)
{
	char sock[SHIM_EXEC_ID_MAX + 16], pidfile[4400];
	struct runtime_stdio stdio = { -1, -1, -1 };
	struct runtime_call *call;
	const char *args[14];
	size_t n = 0;

	if (session_init(s, err) < 0)
		return -err->code;
	exec_file(s, "sock", sock, sizeof(sock));
	if (attach_listen(s, sock, err) < 0)
		return -err->code;
	snprintf(pidfile, sizeof(pidfile), "%s/exec-%s.pid", shim->opt.state_dir, s->exec_id);
	args[n++] = "exec";
	args[n++] = "--process";
	args[n++] = req->process_path;
	args[n++] = "--detach";
	args[n++] = "--pid-file";
	args[n++] = pidfile;
	if (s->tty) {
		args[n++] = "--console-socket";
		args[n++] = s->console_path;
	} else {
		stdio = (struct runtime_stdio){ s->child_stdio[0], s->child_stdio[1], s->child_stdio[2] };
	}
	args[n++] = shim->opt.id;
	args[n] = NULL;
	if (runtime_spawn(shim, CALL_EXEC, args, &stdio, &call, err) < 0)
		return -err->code;
	call->session = s;
	call->conn = conn;
	return 0;
}

void exec_request(struct shim *shim, struct control_conn *conn, const struct shim_request *req)
{
	struct berth_error err = { 0 };
	struct session *s;

	if (shim->container.exited) {
		control_reply(shim, conn, "error container %s is not running", shim->opt.id);
		return;
	}
	if (exec_find(shim, req->exec_id)) {
		control_reply(shim, conn, "error exec session %s already exists", req->exec_id);
		return;
	}
	if (execs_active(shim) >= SHIM_EXECS_MAX) {
		control_reply(shim, conn, "error container %s already runs %d exec sessions", shim->opt.id,
			      SHIM_EXECS_MAX);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->exec_id = strdup(req->exec_id)) == NULL) {
		free(s);
		control_reply(shim, conn, "error exec session %s: out of memory", req->exec_id);
		return;
	}
	session_prepare(shim, s);
	s->tty = req->tty;
	s->want_stdin = req->stdin;
	s->stdin_once = true;
	s->replaying = true;
	s->next = shim->execs;
	shim->execs = s;
	shim->n_execs++;
	if (exec_start(shim, s, conn, req, &err) < 0) {
		exec_remove(shim, s);
		control_reply(shim, conn, "error exec session %s: %s", req->exec_id, err.msg);
		return;
	}
	exec_prune(shim);
}

void exec_call_done(struct shim *shim, struct runtime_call *call, int status)
{
	struct session *s = call->session;
	struct berth_error err = { 0 };
	char msg[BERTH_ERROR_MAX], pidfile[SHIM_EXEC_ID_MAX + 16];

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		runtime_call_error(shim, call, status, msg, sizeof(msg));
		shim_warn("exec session %s: %s", s->exec_id, msg);
		control_reply(shim, call->conn, "error %s", msg);
		exec_remove(shim, s);
		return;
	}
	exec_file(s, "pid", pidfile, sizeof(pidfile));
	if (runtime_read_pid(pidfile, &s->pid, &err) < 0 ||
	    (s->tty && s->pty_master < 0 && session_take_console(s, &err) < 0 && err.code != EAGAIN) ||
	    session_started(s, &err) < 0) {
		/* The process runs but cannot be served: it goes on alone. */
		shim_warn("exec session %s: %s", s->exec_id, err.msg);
		control_reply(shim, call->conn, "error exec session %s: %s", s->exec_id, err.msg);
		exec_remove(shim, s);
		return;
	}
	shim_info("exec session %s: pid %d", s->exec_id, (int) s->pid);
	control_reply(shim, call->conn, "ok %d", (int) s->pid);
	shim_claim_pid(shim, s->pid);
}

void exec_close_socket(struct session *s)
{
	char name[SHIM_EXEC_ID_MAX + 16];

	/* Clients still taking their last output keep their own sockets. */
	shim_watch_close(s->shim, &s->attach_listener);
	exec_file(s, "sock", name, sizeof(name));
	unlink(name);
	outbuf_free(&s->replay);
	s->replaying = false;
	exec_prune(s->shim);
}

void exec_finished(struct session *s)
{
	char name[SHIM_EXEC_ID_MAX + 16];

	exec_file(s, "pid", name, sizeof(name));
	unlink(name);
	/* Nobody attached yet: a short process can end before its client
	 * had the `ok` reply.  The socket stays a while for that client,
	 * which gets the kept output and then EOF. */
	if (s->replaying && s->attach_listener.fd >= 0) {
		s->linger_deadline = shim_now_ms() + SHIM_EXEC_LINGER_MS;
		return;
	}
	exec_close_socket(s);
}

void exec_tick(struct shim *shim, int64_t now_ms)
{
	for (struct session *s = shim->execs, *next; s; s = next) {
		next = s->next;
		if (s->finished && s->attach_listener.fd >= 0 && now_ms >= s->linger_deadline)
			exec_close_socket(s);
	}
}
