#include "shim_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "file.h"
#include "proc.h"

#define SHIM_CREATE_TIMEOUT_MS 120000
#define SHIM_SYNC_FD 3

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one line from fd within timeout_ms (< 0: forever); the '\n' is
 * dropped.  EOF before a line is -EPIPE. */
static int read_line(int fd, int timeout_ms, char *buf, size_t size, struct berth_error *err, const char *what)
{
	size_t len = 0;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		int wait_ms = deadline < 0 ? -1 : (int) (deadline - now_ms());
		if (deadline >= 0 && wait_ms <= 0)
			return berth_error_set(err, ETIMEDOUT, "%s: no answer after %d ms", what, timeout_ms);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "%s: poll", what);
		if (n == 0)
			continue;
		ssize_t got = read(fd, buf + len, size - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return berth_error_sys(err, errno, "%s: read", what);
		if (got == 0)
			return berth_error_set(err, EPIPE, "%s: closed without an answer", what);
		len += (size_t) got;
		buf[len] = '\0';
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return 0;
		}
		if (len + 1 >= size)
			return berth_error_set(err, EMSGSIZE, "%s: answer longer than %zu bytes", what, size - 1);
	}
}

static void add_arg(char **argv, size_t *n, const char *a)
{
	argv[(*n)++] = (char *) a;
}

int berth_shim_spawn(const struct berth_shim_options *o, pid_t *ret_pid, struct berth_error *err)
{
	char size[32], files[32], sync[16], line[4096];
	char *argv[40];
	size_t n = 0;
	snprintf(size, sizeof(size), "%" PRId64, o->log_max_size);
	snprintf(files, sizeof(files), "%d", o->log_max_files > 0 ? o->log_max_files : 1);
	snprintf(sync, sizeof(sync), "%d", SHIM_SYNC_FD);
	add_arg(argv, &n, o->shim);
	add_arg(argv, &n, "--bundle");
	add_arg(argv, &n, o->bundle);
	add_arg(argv, &n, "--state-dir");
	add_arg(argv, &n, o->state_dir);
	add_arg(argv, &n, "--runtime");
	add_arg(argv, &n, o->runtime);
	add_arg(argv, &n, "--runtime-root");
	add_arg(argv, &n, o->runtime_root);
	if (o->log_path) {
		add_arg(argv, &n, "--log-path");
		add_arg(argv, &n, o->log_path);
		add_arg(argv, &n, "--log-max-size");
		add_arg(argv, &n, size);
		add_arg(argv, &n, "--log-max-files");
		add_arg(argv, &n, files);
	}
	if (o->terminal)
		add_arg(argv, &n, "--terminal");
	if (o->open_stdin)
		add_arg(argv, &n, "--stdin");
	if (o->stdin_once)
		add_arg(argv, &n, "--stdin-once");
	add_arg(argv, &n, "--sync-fd");
	add_arg(argv, &n, sync);
	add_arg(argv, &n, o->id);
	argv[n] = NULL;

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "start the shim of %s: pipe", o->id);
	_cleanup_close_ int reader = fds[0];
	_cleanup_close_ int writer = fds[1];
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, writer, SHIM_SYNC_FD);
	/* nothing of the daemon's may live on in the shim */
	posix_spawn_file_actions_addclosefrom_np(&fa, SHIM_SYNC_FD + 1);
	pid_t pid;
	extern char **environ;
	int r = posix_spawn(&pid, o->shim, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return berth_error_sys(err, r, "start the shim %s", o->shim);
	close(berth_steal_fd(&writer));

	r = read_line(reader, SHIM_CREATE_TIMEOUT_MS, line, sizeof(line), err, "create");
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	/* the first process exits once the shim proper has answered */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return berth_error_wrap(err, "container %s", o->id);
	if (strncmp(line, "ok ", 3) == 0) {
		*ret_pid = (pid_t) atoi(line + 3);
		return 0;
	}
	if (strncmp(line, "error ", 6) == 0)
		return berth_error_set(err, EIO, "%s", line + 6);
	return berth_error_set(err, EPROTO, "container %s: the shim answered \"%.200s\"", o->id, line);
}

int berth_shim_request(const char *state_dir, const char *request, int timeout_ms, char *reply, size_t size,
		       struct berth_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/control.sock", state_dir);
	_cleanup_close_ int sock = berth_unix_connect(path, err);
	if (sock < 0)
		return sock;
	size_t len = strlen(request);
	char *line = malloc(len + 2);
	if (!line)
		return berth_error_sys(err, ENOMEM, "shim request");
	memcpy(line, request, len);
	line[len] = '\n';
	int r = berth_write_all(sock, line, len + 1);
	free(line);
	if (r < 0)
		return berth_error_sys(err, -r, "shim %s: send \"%s\"", state_dir, request);
	r = read_line(sock, timeout_ms, reply, size, err, request);
	if (r < 0)
		return r;
	if (strncmp(reply, "error ", 6) == 0)
		return berth_error_set(err, EIO, "%s", reply + 6);
	return 0;
}

int berth_shim_wait_begin(const char *state_dir, int *ret_fd, struct berth_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/control.sock", state_dir);
	_cleanup_close_ int sock = berth_unix_connect(path, err);
	if (sock < 0)
		return sock;
	int r = berth_write_all(sock, "wait\n", 5);
	if (r < 0)
		return berth_error_sys(err, -r, "shim %s: send wait", state_dir);
	*ret_fd = berth_steal_fd(&sock);
	return 0;
}

int berth_shim_wait_end(int fd, int *ret_code, struct berth_error *err)
{
	char reply[256];
	int r = read_line(fd, -1, reply, sizeof(reply), err, "wait");
	if (r < 0)
		return r;
	if (sscanf(reply, "exited %d", ret_code) != 1)
		return berth_error_set(err, EPROTO, "wait: the shim answered \"%.100s\"", reply);
	return 0;
}

int berth_shim_read_exit(const char *state_dir, const char *name, int *code, int64_t *when_nano,
			 struct berth_error *err)
{
	char path[4096];
	_cleanup_free_ char *text = NULL;
	size_t len;
	long long when = 0;
	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	int r = berth_read_file_at(AT_FDCWD, path, 64, &text, &len, err);
	if (r < 0)
		return r;
	if (sscanf(text, "%d %lld", code, &when) != 2)
		return berth_error_set(err, EPROTO, "%s: not \"CODE UNIX_NANOS\"", path);
	*when_nano = when;
	return 1;
}

int berth_shim_wait_gone(const char *state_dir, int timeout_ms)
{
	char path[4096];
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct berth_error ignored = { 0 };
	struct stat ours, theirs;
	snprintf(path, sizeof(path), "%s/shim.pid", state_dir);
	if (berth_read_file_at(AT_FDCWD, path, 32, &text, &len, &ignored) < 0)
		return 0;
	pid_t pid = (pid_t) atoi(text);
	if (pid <= 0)
		return 0;
	_cleanup_close_ int pidfd = berth_pidfd_open(pid);
	if (pidfd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int) pid);
	if (stat(state_dir, &ours) < 0 || stat(path, &theirs) < 0 || ours.st_dev != theirs.st_dev ||
	    ours.st_ino != theirs.st_ino)
		return 0;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : -ETIMEDOUT;
}
