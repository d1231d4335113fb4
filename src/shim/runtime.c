/* Running the OCI runtime: `RUNTIME [--root R] --log STATE/runtime.log
 * --log-format json COMMAND ...`, the command line runc, crun and
 * berth-runtime share.
 *
 * Every command runs as a child the loop does not wait for: its end comes as
 * SIGCHLD like any other, so a slow `start` (poststart hooks) or `exec` never
 * stops the shim from moving output, and two requests can run at once.  The
 * runtime's stdout and stderr go to a pipe the loop reads as it goes (a
 * chatty hook must not fill it and hang the runtime), except where they are
 * a process's stdio: create and exec without a terminal hand the runtime
 * the pipes that the process inherits.
 *
 * A failed command's message is, in this order: the "msg" of the last error
 * line the runtime appended to runtime.log during the call, the last line it
 * wrote on stderr (the capture pipe, or the process's stderr pipe that
 * nobody else read yet), and last the exit status.  Two commands failing at
 * the same moment can read each other's line from the shared log; the
 * message is for a human, so that is accepted rather than a log per call.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "runtime_log.h"
#include "shim_log.h"

/* The tail of runtime.log read for the error: lines are short, the file is not. */
#define RUNTIME_LOG_TAIL (64 * 1024)
#define MAX_ARGS 24

static void keep_tail(struct runtime_call *call, const char *data, size_t len)
{
	size_t room = sizeof(call->stderr_tail) - 1;

	if (len >= room) {
		memcpy(call->stderr_tail, data + len - room, room);
		call->stderr_len = room;
		return;
	}
	if (call->stderr_len + len > room) {
		size_t drop = call->stderr_len + len - room;
		memmove(call->stderr_tail, call->stderr_tail + drop, call->stderr_len - drop);
		call->stderr_len -= drop;
	}
	memcpy(call->stderr_tail + call->stderr_len, data, len);
	call->stderr_len += len;
}

static void on_capture(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct runtime_call *call = shim_container_of(w, struct runtime_call, capture);
	ssize_t n;

	(void) events;
	n = read(w->fd, shim->iobuf, SHIM_IOBUF_SIZE);
	if (n > 0)
		keep_tail(call, shim->iobuf, (size_t) n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		shim_watch_close(shim, w);
}

static _noreturn_ void exec_runtime(const char *runtime, char *const *argv, const int stdio[3])
{
	static const int reset[] = { SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGCHLD };
	sigset_t none;
	int null = -1;

	/* Ignored dispositions and the blocked mask survive execve: the
	 * runtime, and through it the container, must start from defaults. */
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(reset); i++)
		signal(reset[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < 3; i++) {
		int fd = stdio[i];
		if (fd < 0) {
			if (null < 0)
				null = open("/dev/null", O_RDWR | O_CLOEXEC);
			fd = null;
		}
		/* Every source is 3 or above (0-2 are the shim's /dev/null),
		 * so dup2 makes a fresh, inheritable descriptor. */
		if (fd >= 0 && dup2(fd, i) < 0)
			_exit(127);
	}
	execv(runtime, argv);
	dprintf(STDERR_FILENO, "execute the OCI runtime %s: %s\n", runtime, strerror(errno));
	_exit(127);
}

static int64_t runtime_log_size(const struct shim *shim)
{
	struct stat st;

	return stat(shim->runtime_log, &st) == 0 ? (int64_t) st.st_size : 0;
}

static int build_argv(const struct shim *shim, const char *const *args, const char **argv, struct berth_error *err)
{
	size_t n = 0;

	argv[n++] = shim->opt.runtime;
	if (shim->opt.runtime_root) {
		argv[n++] = "--root";
		argv[n++] = shim->opt.runtime_root;
	}
	argv[n++] = "--log";
	argv[n++] = shim->runtime_log;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	for (; *args; args++) {
		if (n + 1 >= MAX_ARGS)
			return berth_error_set(err, E2BIG, "too many runtime arguments");
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return 0;
}

int runtime_spawn(struct shim *shim, enum runtime_call_kind kind, const char *const *args,
		  const struct runtime_stdio *stdio, struct runtime_call **ret, struct berth_error *err)
{
	_cleanup_free_ struct runtime_call *call = calloc(1, sizeof(*call));
	_cleanup_close_ int capture_write = -1;
	const char *argv[MAX_ARGS];
	int child_stdio[3] = { stdio->in, stdio->out, stdio->err };
	int p[2];

	if (call == NULL)
		return berth_error_sys(err, ENOMEM, "run the runtime");
	/* A client that sends a request and hangs up frees its connection
	 * slot at once: this bounds the commands it can leave running. */
	if (kind != CALL_DELETE && runtime_calls_pending(shim, false) >= SHIM_CALLS_MAX)
		return berth_error_set(err, EAGAIN, "%u runtime commands are already running", SHIM_CALLS_MAX);
	call->kind = kind;
	call->capture.fd = -1;
	call->capture.on_event = on_capture;
	if (build_argv(shim, args, argv, err) < 0)
		return -err->code;
	if (stdio->out < 0 || stdio->err < 0) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return berth_error_sys(err, errno, "create a pipe for the runtime's output");
		call->capture.fd = p[0];
		capture_write = p[1];
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		if (child_stdio[1] < 0)
			child_stdio[1] = capture_write;
		if (child_stdio[2] < 0)
			child_stdio[2] = capture_write;
	}
	call->log_offset = runtime_log_size(shim);
	call->pid = fork();
	if (call->pid < 0) {
		int e = errno;
		berth_closep(&call->capture.fd);
		return berth_error_sys(err, e, "fork for the runtime's %s", args[0]);
	}
	if (call->pid == 0)
		exec_runtime(shim->opt.runtime, (char *const *) argv, child_stdio);
	if (call->capture.fd >= 0 && shim_watch_add(shim, &call->capture, EPOLLIN) < 0)
		shim_warn("watch the runtime's output: %s", strerror(errno)); /* read when it ends */
	shim_info("runtime %s started (pid %d)", args[0], (int) call->pid);
	call->next = shim->calls;
	shim->calls = call;
	*ret = berth_steal_ptr(&call);
	return 0;
}

/* What the runtime appended to runtime.log during the call (its tail). */
static size_t error_from_log(const struct shim *shim, const struct runtime_call *call, char *out, size_t size)
{
	_cleanup_close_ int fd = open(shim->runtime_log, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	int64_t from;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= call->log_offset)
		return 0;
	from = st.st_size - call->log_offset > RUNTIME_LOG_TAIL ? st.st_size - RUNTIME_LOG_TAIL : call->log_offset;
	buf = malloc((size_t) (st.st_size - from));
	if (buf == NULL)
		return 0;
	n = pread(fd, buf, (size_t) (st.st_size - from), from);
	if (n <= 0)
		return 0;
	return shim_runtime_log_last_error(buf, (size_t) n, out, size);
}

void runtime_call_error(struct shim *shim, struct runtime_call *call, int status, char *out, size_t size)
{
	struct session *s = call->session;

	if (error_from_log(shim, call, out, size) > 0)
		return;
	if (shim_last_text_line(call->stderr_tail, call->stderr_len, out, size) > 0)
		return;
	if (s && !s->tty && s->out[1].watch.fd >= 0 && !s->out[1].watch.registered) {
		/* The process's stderr, which was the runtime's: nothing else
		 * reads it before the command succeeded. */
		ssize_t n = read(s->out[1].watch.fd, shim->iobuf, SHIM_IOBUF_SIZE);
		if (n > 0 && shim_last_text_line(shim->iobuf, (size_t) n, out, size) > 0)
			return;
	}
	if (WIFSIGNALED(status))
		snprintf(out, size, "the OCI runtime %s was killed by signal %d", shim->opt.runtime, WTERMSIG(status));
	else
		snprintf(out, size, "the OCI runtime %s failed with exit status %d", shim->opt.runtime,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

unsigned runtime_calls_pending(const struct shim *shim, bool except_delete)
{
	unsigned n = 0;

	for (const struct runtime_call *c = shim->calls; c; c = c->next)
		if (!except_delete || c->kind != CALL_DELETE)
			n++;
	return n;
}

static void reply_ok_or_error(struct shim *shim, struct runtime_call *call, int status)
{
	char msg[BERTH_ERROR_MAX];

	if (call->conn == NULL)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		control_reply(shim, call->conn, "ok");
		return;
	}
	runtime_call_error(shim, call, status, msg, sizeof(msg));
	control_reply(shim, call->conn, "error %s", msg);
}

bool runtime_reaped(struct shim *shim, pid_t pid, int status)
{
	struct runtime_call *call = NULL;

	for (struct runtime_call **p = &shim->calls; *p; p = &(*p)->next) {
		if ((*p)->pid == pid) {
			call = *p;
			*p = call->next;
			break;
		}
	}
	if (call == NULL)
		return false;
	/* What is left in the pipe, if no grandchild keeps it open. */
	while (call->capture.fd >= 0) {
		ssize_t n = read(call->capture.fd, shim->iobuf, SHIM_IOBUF_SIZE);
		if (n <= 0)
			break;
		keep_tail(call, shim->iobuf, (size_t) n);
	}
	shim_watch_close(shim, &call->capture);
	switch (call->kind) {
	case CALL_CREATE:
	case CALL_DELETE:
		lifecycle_call_done(shim, call, status);
		break;
	case CALL_EXEC:
		exec_call_done(shim, call, status);
		break;
	case CALL_START:
	case CALL_KILL:
		reply_ok_or_error(shim, call, status);
		break;
	}
	shim_retire(shim, call);
	return true;
}

int runtime_read_pid(const char *name, pid_t *ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char *end;
	long pid;

	if (berth_read_file_at(AT_FDCWD, name, 64, &text, NULL, err) < 0)
		return berth_error_wrap(err, "the pid file the runtime wrote");
	errno = 0;
	pid = strtol(text, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == text || *end != '\0' || pid <= 0 || pid > 1 << 22)
		return berth_error_set(err, EBADMSG, "pid file %s: \"%.20s\" is not a pid", name, text);
	*ret = (pid_t) pid;
	return 0;
}
