#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "proc.h"

static void forwardable(sigset_t *set)
{
	sigfillset(set);
	/* Not forwarded: the ones about us (children, the terminal we proxy),
	 * and the ones that cannot be caught anyway. */
	sigdelset(set, SIGCHLD);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGTTIN);
	sigdelset(set, SIGTTOU);
	sigdelset(set, SIGTSTP);
	sigdelset(set, SIGPIPE);
}

void berth_forward_signals_block(sigset_t *old)
{
	sigset_t set;

	forwardable(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void copy_window_size(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable from `from` to `to`; false at EOF or error. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	return berth_write_all(to, buf, (size_t) n) == 0;
}

int berth_supervise(pid_t pid, int pidfd, int master, int *ret_exit_code, struct berth_error *err)
{
	_cleanup_close_ int sfd = -1;
	struct termios saved;
	bool raw = false, stdin_open = master >= 0, master_open = master >= 0;
	sigset_t set;
	int status;

	forwardable(&set);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return berth_error_sys(err, errno, "signalfd");
	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		t.c_oflag = saved.c_oflag; /* keep output processing: \n stays \r\n */
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
		copy_window_size(master);
	}
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = master_open ? master : -1, .events = POLLIN },
		};

		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				if (si.ssi_signo == SIGWINCH && master >= 0)
					copy_window_size(master);
				else
					syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL, 0);
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			stdin_open = pump(STDIN_FILENO, master);
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			master_open = pump(master, STDOUT_FILENO);
		if (p[1].revents & POLLIN)
			break;
	}
	if (master_open) {
		/* The last words of the process are still in the pty. */
		fcntl(master, F_SETFL, O_NONBLOCK);
		while (pump(master, STDOUT_FILENO)) {
			struct pollfd p = { .fd = master, .events = POLLIN };
			if (poll(&p, 1, 0) <= 0)
				break;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (berth_wait_child(pid, pidfd, -1, &status) < 0)
		return berth_error_sys(err, errno, "wait for process %d", (int) pid);
	*ret_exit_code = berth_exit_code(status);
	return 0;
}
