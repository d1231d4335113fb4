#include "runtime_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#define OUTPUT_MAX (1u << 20)
#define ERROR_TAIL 512

struct capture {
	int fd;
	char *buf;
	size_t len, cap;
	bool open;
};

/* Append what fd has; the first `limit` bytes are kept (stdout), or the
 * last ones (stderr: its last line is the message). */
static void drain(struct capture *c, size_t limit, bool keep_tail)
{
	char chunk[8192];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			c->open = false;
		return;
	}
	if (keep_tail && c->len + (size_t) n > limit) {
		size_t drop = c->len + (size_t) n > limit ? c->len + (size_t) n - limit : 0;
		drop = drop > c->len ? c->len : drop;
		memmove(c->buf, c->buf + drop, c->len - drop);
		c->len -= drop;
	}
	size_t take = (size_t) n;
	if (c->len + take > limit)
		take = limit - c->len;
	if (c->len + take + 1 > c->cap) {
		size_t ncap = c->len + take + 1 + 4096;
		char *nb = realloc(c->buf, ncap);
		if (!nb)
			return;
		c->buf = nb;
		c->cap = ncap;
	}
	memcpy(c->buf + c->len, chunk, take);
	c->len += take;
	c->buf[c->len] = '\0';
}

int berth_run_command(char *const *argv, char **ret_out, struct berth_error *err)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "run %s: pipe", argv[0]);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return berth_error_sys(err, errno, "run %s: pipe", argv[0]);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid;
	extern char **environ;
	int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errp[1]);
	struct capture o = { .fd = out[0], .open = true }, e = { .fd = errp[0], .open = true };
	if (r != 0) {
		close(out[0]);
		close(errp[0]);
		return berth_error_sys(err, r, "run %s", argv[0]);
	}
	while (o.open || e.open) {
		struct pollfd p[2] = { { .fd = o.open ? o.fd : -1, .events = POLLIN },
				       { .fd = e.open ? e.fd : -1, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			drain(&o, OUTPUT_MAX, false);
		if (p[1].revents)
			drain(&e, ERROR_TAIL, true);
	}
	close(out[0]);
	close(errp[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		while (e.len > 0 && (e.buf[e.len - 1] == '\n' || e.buf[e.len - 1] == ' '))
			e.buf[--e.len] = '\0';
		char *last = e.buf ? strrchr(e.buf, '\n') : NULL;
		r = berth_error_set(err, EIO, "%s", last ? last + 1 : e.buf ? e.buf : "failed");
		free(o.buf);
		free(e.buf);
		return r;
	}
	free(e.buf);
	if (ret_out)
		*ret_out = o.buf ? o.buf : strdup("");
	else
		free(o.buf);
	return 0;
}
