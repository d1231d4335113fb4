#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proc.h"

#define OUTPUT_TAIL 2048

/* The last OUTPUT_TAIL bytes a hook printed, for the error message. */
struct tail {
	char buf[OUTPUT_TAIL + 1];
	size_t len;
};

static void tail_add(struct tail *t, const char *data, size_t n)
{
	if (n >= OUTPUT_TAIL) {
		memcpy(t->buf, data + n - OUTPUT_TAIL, OUTPUT_TAIL);
		t->len = OUTPUT_TAIL;
		return;
	}
	if (t->len + n > OUTPUT_TAIL) {
		size_t drop = t->len + n - OUTPUT_TAIL;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _noreturn_ void exec_hook(const struct berth_hook *h, int in, int out)
{
	static const char *const empty_env[] = { NULL };
	const char *default_argv[] = { h->path, NULL };

	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	/* A hook gets its stdio and nothing else of ours or our caller's. */
	berth_fds_cloexec_from(3);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	execve(h->path, (char *const *) (h->args && h->args[0] ? h->args : default_argv),
	       (char *const *) (h->env ? h->env : empty_env));
	dprintf(STDERR_FILENO, "exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

/* Feed stdin, collect output and wait for the exit, all before the deadline. */
static int supervise(pid_t pid, int pidfd, int *in_w, int out_r, const char *state, int64_t deadline, struct tail *t,
		     int *ret_status)
{
	size_t state_len = strlen(state), written = 0;
	bool exited = false, output_open = true;

	while (!exited) {
		struct pollfd p[3] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = output_open ? out_r : -1, .events = POLLIN },
			{ .fd = *in_w, .events = POLLOUT },
		};
		int timeout = -1;

		if (deadline >= 0) {
			int64_t left = deadline - monotonic_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			timeout = (int) left;
		}
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t n = read(out_r, buf, sizeof(buf));
			if (n > 0)
				tail_add(t, buf, (size_t) n);
			else if (n == 0)
				output_open = false;
		}
		if (*in_w >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(*in_w, state + written, state_len - written);
			if (n > 0)
				written += (size_t) n;
			/* EPIPE: the hook does not read stdin. That is its right. */
			if (n < 0 || written == state_len)
				berth_closep(in_w);
		}
		if (p[0].revents & POLLIN)
			exited = true;
	}
	berth_closep(in_w);
	/* Whatever it printed just before exiting is still in the pipe. */
	for (;;) {
		char buf[4096];
		ssize_t n = read(out_r, buf, sizeof(buf));
		if (n <= 0)
			break;
		tail_add(t, buf, (size_t) n);
	}
	return berth_wait_child(pid, pidfd, 0, ret_status) == 0 ? 0 : -ECHILD;
}

static int run_one(const struct berth_hook *h, const char *kind, size_t index, const char *state,
		   struct berth_error *err)
{
	_cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1, pidfd = -1;
	int in[2], out[2], status = 0, r;
	int64_t deadline = h->timeout > 0 ? monotonic_ms() + h->timeout * 1000 : -1;
	struct tail t = { .len = 0 };
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "%s hook %s: pipe", kind, h->path);
	in_r = in[0], in_w = in[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "%s hook %s: pipe", kind, h->path);
	out_r = out[0], out_w = out[1];
	pid = fork();
	if (pid < 0)
		return berth_error_sys(err, errno, "%s hook %s: fork", kind, h->path);
	if (pid == 0)
		exec_hook(h, in_r, out_w);
	berth_closep(&in_r);
	berth_closep(&out_w);
	pidfd = berth_pidfd_open(pid);
	if (pidfd < 0) {
		kill(pid, SIGKILL);
		berth_wait_child(pid, -1, -1, &status);
		return berth_error_sys(err, -pidfd, "%s hook %s: pidfd_open", kind, h->path);
	}
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	r = supervise(pid, pidfd, &in_w, out_r, state, deadline, &t, &status);
	if (r == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		berth_wait_child(pid, pidfd, -1, &status);
		return berth_error_set(err, ETIMEDOUT, "%s hook #%zu (%s) timed out after %lld seconds", kind, index,
				       h->path, (long long) h->timeout);
	}
	if (r < 0)
		return berth_error_sys(err, -r, "%s hook #%zu (%s)", kind, index, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	t.buf[t.len] = '\0';
	while (t.len && (t.buf[t.len - 1] == '\n' || t.buf[t.len - 1] == ' '))
		t.buf[--t.len] = '\0';
	if (WIFSIGNALED(status))
		return berth_error_set(err, EIO, "%s hook #%zu (%s) was killed by signal %d%s%s", kind, index, h->path,
				       WTERMSIG(status), t.len ? ": " : "", t.buf);
	return berth_error_set(err, EIO, "%s hook #%zu (%s) failed with exit status %d%s%s", kind, index, h->path,
			       WEXITSTATUS(status), t.len ? ": " : "", t.buf);
}

int berth_hooks_run(const struct berth_spec *spec, enum berth_hook_kind kind, const char *state_json,
		    struct berth_error *err)
{
	const struct berth_hook_list *list = &spec->hooks[kind];

	for (size_t i = 0; i < list->count; i++) {
		int r = run_one(&list->hooks[i], berth_hook_kind_name(kind), i, state_json, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void berth_hooks_run_warn(const struct berth_spec *spec, enum berth_hook_kind kind, const char *state_json)
{
	const struct berth_hook_list *list = &spec->hooks[kind];

	for (size_t i = 0; i < list->count; i++) {
		struct berth_error err = { 0 };
		if (run_one(&list->hooks[i], berth_hook_kind_name(kind), i, state_json, &err) < 0)
			berth_warn("%s", err.msg);
	}
}
