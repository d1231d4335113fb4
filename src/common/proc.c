#include "proc.h"

#include <errno.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int berth_proc_stat(pid_t pid, uint64_t *ret_start_time, char *ret_state)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	char *p;
	ssize_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	if (ret_state)
		*ret_state = *p;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -EBADMSG;
		p++;
	}
	if (ret_start_time)
		*ret_start_time = strtoull(p, NULL, 10);
	return 0;
}

bool berth_proc_alive(pid_t pid, uint64_t start_time)
{
	uint64_t st;
	char state;

	if (pid <= 0 || berth_proc_stat(pid, &st, &state) < 0)
		return false;
	if (state == 'Z' || state == 'X')
		return false;
	return start_time == 0 || st == start_time;
}

int berth_pidfd_open(pid_t pid)
{
	int fd = (int) syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int berth_wait_child(pid_t pid, int pidfd, int timeout_ms, int *ret_status)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, timeout_ms >= 0 ? WNOHANG : 0);
		if (r == pid) {
			*ret_status = status;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (pidfd >= 0) {
				struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
				poll(&pfd, 1, (int) (left > 1000 ? 1000 : left));
			} else {
				usleep(left > 10 ? 10000 : (useconds_t) left * 1000);
			}
		}
	}
}

int berth_exit_code(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 255;
}

void berth_fds_cloexec_from(unsigned int first)
{
	if (close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	struct rlimit rl;
	unsigned int limit = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		limit = rl.rlim_cur < (1u << 20) ? (unsigned int) rl.rlim_cur : (1u << 20);
	for (unsigned int fd = first; fd < limit; fd++)
		fcntl((int) fd, F_SETFD, FD_CLOEXEC);
}

int berth_fds_check_inherited(int n, const char *what, struct berth_error *err)
{
	for (int fd = 3; fd < 3 + n; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0)
			return berth_error_set(err, EBADF, "%s: descriptor %d is not open", what, fd);
		if (flags & FD_CLOEXEC)
			return berth_error_set(err, EBADF, "%s: descriptor %d was not passed by the caller", what, fd);
	}
	return 0;
}
