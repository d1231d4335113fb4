/* The container's life as the shim sees it: create, the exit, the way out.
 *
 * create: `RUNTIME create --bundle B --pid-file STATE/pid [--console-socket
 * S] ID` with the session's stdio.  Its end is reported once, to the first
 * process (main.c), which passes it to --sync-fd: "ok PID" once the sockets
 * are listening (a caller may connect the moment it reads the line), or
 * "error MESSAGE" once everything the shim made is gone again.  A failed
 * create is not followed by `delete`: the runtime undoes its own failed
 * create, and the id might name somebody else's container (an "already
 * exists" failure).  Only when create succeeded and the shim then fails
 * (no pty arrived, a socket cannot be bound) does it delete the container
 * before reporting.
 *
 * Exit: the init is reaped (phase EXITED); its output is drained; the log's
 * unfinished lines are written; the exit file is written; every `wait` is
 * answered and the attachers get EOF after their queued output (session.c).
 * Then (STOPPING) runtime commands still running and exec sessions get
 * SHIM_LINGER_MS to end, `RUNTIME delete --force ID` runs (DELETING), and
 * the shim removes its sockets and exits 0.  The exit file and the logs stay
 * for the caller.
 *
 * If the shim itself is SIGKILLed, nobody reads the container's output any
 * more: its next write to stdout or stderr raises SIGPIPE (EPIPE if it
 * ignores that), exactly as with conmon; nobody records its exit (no exit
 * file), and the runtime still has its state until someone deletes it.
 */
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim_log.h"

static void report(struct shim *shim, const char *fmt, ...) BERTH_PRINTF(2, 3);

static void report(struct shim *shim, const char *fmt, ...)
{
	char line[BERTH_ERROR_MAX + 64];
	va_list ap;
	int n;

	if (shim->report_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t) n > sizeof(line) - 2)
		n = (int) sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	/* The first process may be gone (killed with its caller): EPIPE,
	 * which changes nothing for the container. */
	(void) !write(shim->report_fd, line, (size_t) n);
	close(shim->report_fd);
	shim->report_fd = -1;
}

int lifecycle_create(struct shim *shim, struct berth_error *err)
{
	struct session *s = &shim->container;
	char pidfile[4200];
	const char *args[12];
	struct runtime_stdio stdio = { -1, -1, -1 };
	struct runtime_call *call;
	size_t n = 0;

	s->tty = shim->opt.terminal;
	s->want_stdin = shim->opt.stdin;
	s->stdin_once = shim->opt.stdin_once;
	if (session_init(s, err) < 0)
		return -err->code;
	snprintf(pidfile, sizeof(pidfile), "%s/pid", shim->opt.state_dir);
	args[n++] = "create";
	args[n++] = "--bundle";
	args[n++] = shim->opt.bundle;
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
	if (runtime_spawn(shim, CALL_CREATE, args, &stdio, &call, err) < 0)
		return -err->code;
	call->session = s;
	shim->phase = PHASE_CREATING;
	return 0;
}

static void start_delete(struct shim *shim)
{
	struct berth_error err = { 0 };
	struct runtime_stdio stdio = { -1, -1, -1 };
	struct runtime_call *call;

	shim->phase = PHASE_DELETING;
	shim->phase_deadline = shim_now_ms() + SHIM_DELETE_TIMEOUT_MS;
	if (runtime_spawn(shim, CALL_DELETE, (const char *const[]){ "delete", "--force", shim->opt.id, NULL }, &stdio,
			  &call, &err) < 0) {
		shim_warn("delete container %s: %s", shim->opt.id, err.msg);
		shim->phase = PHASE_DONE;
	}
}

/* Create succeeded but the shim cannot serve the container: undo it, and
 * report once the container is gone. */
static void abandon_created(struct shim *shim, const char *msg)
{
	shim_warn("container %s created but not served: %s", shim->opt.id, msg);
	/* Its end (the delete kills it) is no exit to record. */
	shim->container.exited = shim->container.finished = true;
	snprintf(shim->fail_msg, sizeof(shim->fail_msg), "%s", msg);
	shim->exit_status = 1;
	start_delete(shim);
}

static void create_succeeded(struct shim *shim)
{
	struct session *s = &shim->container;
	struct berth_error err = { 0 };

	if (runtime_read_pid("pid", &s->pid, &err) < 0 ||
	    (s->tty && s->pty_master < 0 && session_take_console(s, &err) < 0 && err.code != EAGAIN) ||
	    session_started(s, &err) < 0 || control_listen(shim, &err) < 0 || attach_listen(s, "attach.sock", &err) < 0) {
		abandon_created(shim, err.msg);
		return;
	}
	shim->phase = PHASE_RUNNING;
	shim_info("container %s created, init pid %d", shim->opt.id, (int) s->pid);
	report(shim, "ok %d", (int) s->pid);
	shim_claim_pid(shim, s->pid); /* killed before we knew its pid? */
}

static void create_failed(struct shim *shim, struct runtime_call *call, int status)
{
	char msg[BERTH_ERROR_MAX];

	runtime_call_error(shim, call, status, msg, sizeof(msg));
	shim_warn("create container %s: %s", shim->opt.id, msg);
	session_cleanup(&shim->container);
	unlink("pid");
	shim->exit_status = 1;
	shim->phase = PHASE_DONE;
	report(shim, "error %s", msg);
}

void lifecycle_call_done(struct shim *shim, struct runtime_call *call, int status)
{
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (call->kind == CALL_CREATE) {
		if (ok)
			create_succeeded(shim);
		else
			create_failed(shim, call, status);
		return;
	}
	/* delete */
	if (!ok) {
		char msg[BERTH_ERROR_MAX];
		runtime_call_error(shim, call, status, msg, sizeof(msg));
		shim_warn("delete container %s: %s", shim->opt.id, msg);
	}
	if (shim->fail_msg[0]) {
		session_cleanup(&shim->container);
		unlink("pid");
		report(shim, "error %s", shim->fail_msg);
	}
	shim->phase = PHASE_DONE;
}

bool lifecycle_owns_pid(const struct shim *shim, pid_t pid)
{
	if (shim->container.pid == pid && !shim->container.exited)
		return true;
	for (const struct session *s = shim->execs; s; s = s->next)
		if (s->pid == pid && !s->exited)
			return true;
	return false;
}

void lifecycle_reaped(struct shim *shim, pid_t pid, int status)
{
	if (shim->container.pid == pid && !shim->container.exited) {
		if (shim->phase == PHASE_RUNNING)
			shim->phase = PHASE_EXITED;
		session_exited(&shim->container, status);
		return;
	}
	for (struct session *s = shim->execs; s; s = s->next) {
		if (s->pid == pid && !s->exited) {
			session_exited(s, status);
			return;
		}
	}
}

void lifecycle_container_finished(struct shim *shim)
{
	if (shim->phase != PHASE_EXITED)
		return;
	shim_info("container %s: exit %d recorded", shim->opt.id, shim->container.exit_code);
	shim->phase = PHASE_STOPPING;
	shim->phase_deadline = shim_now_ms() + SHIM_LINGER_MS;
}

static bool execs_running(const struct shim *shim)
{
	for (const struct session *s = shim->execs; s; s = s->next)
		if (!s->finished && s->pid > 0)
			return true;
	return false;
}

void lifecycle_tick(struct shim *shim, int64_t now_ms)
{
	session_check_drain(&shim->container, now_ms);
	for (struct session *s = shim->execs; s; s = s->next)
		session_check_drain(s, now_ms);
	exec_tick(shim, now_ms);
	if (shim->phase == PHASE_STOPPING) {
		bool busy = runtime_calls_pending(shim, true) > 0 || attach_lingering(shim) > 0 || execs_running(shim);
		if (!busy || now_ms >= shim->phase_deadline) {
			if (busy)
				shim_warn("container %s: not waiting longer for clients, runtime commands and exec "
					  "sessions (%d ms)",
					  shim->opt.id, SHIM_LINGER_MS);
			start_delete(shim);
		}
	} else if (shim->phase == PHASE_DELETING && now_ms >= shim->phase_deadline) {
		shim_warn("container %s: `delete --force` did not end in %d ms; leaving it", shim->opt.id,
			  SHIM_DELETE_TIMEOUT_MS);
		shim->phase = PHASE_DONE;
	}
}

int64_t lifecycle_next_deadline(const struct shim *shim)
{
	int64_t next = 0;

	if (shim->phase == PHASE_STOPPING || shim->phase == PHASE_DELETING)
		next = shim->phase_deadline;
	if (shim->container.exited && !shim->container.finished &&
	    (next == 0 || shim->container.drain_deadline < next))
		next = shim->container.drain_deadline;
	for (const struct session *s = shim->execs; s; s = s->next) {
		if (s->exited && !s->finished && (next == 0 || s->drain_deadline < next))
			next = s->drain_deadline;
		if (s->finished && s->attach_listener.fd >= 0 && (next == 0 || s->linger_deadline < next))
			next = s->linger_deadline;
	}
	return next;
}

/* The way out: every client still connected gets an answer or EOF, every
 * socket the shim bound is removed. */
void lifecycle_cleanup(struct shim *shim)
{
	while (shim->conns)
		control_reply(shim, shim->conns, "error the shim of container %s is exiting", shim->opt.id);
	shim_watch_close(shim, &shim->control_listener);
	unlink("control.sock");
	session_cleanup(&shim->container);
	unlink("attach.sock");
	while (shim->execs) {
		struct session *s = shim->execs;
		shim->execs = s->next;
		exec_release(s);
	}
	while (shim->calls) {
		struct runtime_call *c = shim->calls;
		shim->calls = c->next;
		shim_warn("runtime command (pid %d) still running as the shim exits", (int) c->pid);
		shim_watch_close(shim, &c->capture);
		free(c);
	}
	report(shim, "error the shim exited before the container was created");
	jsonlog_close(shim->log);
	shim->log = NULL;
	shim_watch_close(shim, &shim->signals);
	shim_free_retired(shim);
	free(shim->iobuf);
	shim->iobuf = NULL;
	free(shim->retired);
	shim->retired = NULL;
	close(shim->epfd);
}
