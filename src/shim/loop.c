/* The shim's event loop: one epoll set, signals through a signalfd, deadlines
 * as epoll_wait's timeout (no timer descriptor to keep), and reaping.
 *
 * Signals.  SIGCHLD is the reaping clock: the shim is a child subreaper, so
 * the container's init, exec'd processes and any orphan of the container
 * (a daemonized grandchild in the host's pid namespace) all end up as its
 * children once the runtime that started them exits.  SIGTERM and SIGINT
 * are passed on to the container's init: a shim asked to stop (a system
 * shutdown, an admin's kill) stops its container and still records the
 * exit, which dying at once would lose.  SIGHUP, SIGUSR1, SIGUSR2 and
 * SIGPIPE are ignored: their default action would kill the shim and leave
 * the container without a monitor (SIGPIPE: a client that went away is a
 * write error, not a reason to die).  Children get every disposition back
 * (runtime.c): an ignored SIGPIPE would be inherited by the container.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "shim_log.h"

int64_t shim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t shim_now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int shim_watch_add(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(shim->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	w->registered = true;
	return 0;
}

void shim_watch_set(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || (w->registered && w->events == events))
		return;
	if (!w->registered) {
		if (shim_watch_add(shim, w, events) < 0)
			shim_warn("watch descriptor %d: %s", w->fd, strerror(errno));
		return;
	}
	if (epoll_ctl(shim->epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0)
		w->events = events;
	else
		shim_warn("watch descriptor %d: %s", w->fd, strerror(errno));
}

void shim_watch_close(struct shim *shim, struct shim_watch *w)
{
	if (w->fd < 0)
		return;
	/* Closing drops the registration only when no other descriptor
	 * shares the open file (the pty master is held twice). */
	epoll_ctl(shim->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
	w->events = 0;
	w->registered = false;
}

void shim_retire(struct shim *shim, void *owner)
{
	if (shim->n_retired == shim->cap_retired) {
		size_t cap = shim->cap_retired ? shim->cap_retired * 2 : 8;
		void **v = realloc(shim->retired, cap * sizeof(*v));
		if (v == NULL) {
			/* Leaking one small object beats a use after free. */
			shim_warn("retire: out of memory");
			return;
		}
		shim->retired = v;
		shim->cap_retired = cap;
	}
	shim->retired[shim->n_retired++] = owner;
}

void shim_free_retired(struct shim *shim)
{
	for (size_t i = 0; i < shim->n_retired; i++)
		free(shim->retired[i]);
	shim->n_retired = 0;
}

int shim_listen(const char *name, struct berth_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	mode_t old;
	int r;

	/* The shim runs in its state directory: a relative name binds
	 * whatever the length of the directory's path. */
	if (strlen(name) >= sizeof(addr.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "socket name %s is too long", name);
	strcpy(addr.sun_path, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_sys(err, errno, "create socket %s", name);
	if (unlink(name) < 0 && errno != ENOENT)
		return berth_error_sys(err, errno, "remove stale %s", name);
	old = umask(0177); /* 0600 from the start: never briefly open to others */
	r = bind(fd, (struct sockaddr *) &addr, sizeof(addr));
	umask(old);
	if (r < 0)
		return berth_error_sys(err, errno, "bind %s", name);
	if (listen(fd, 16) < 0)
		return berth_error_sys(err, errno, "listen on %s", name);
	return berth_steal_fd(&fd);
}

void shim_claim_pid(struct shim *shim, pid_t pid)
{
	for (unsigned i = 0; i < shim->n_unclaimed; i++) {
		int status = shim->unclaimed[i].status, now;
		pid_t r;

		if (shim->unclaimed[i].pid != pid)
			continue;
		shim->unclaimed[i] = shim->unclaimed[--shim->n_unclaimed];
		/* A live child with this pid means the entry was an earlier
		 * process whose pid was used again: not this one's exit. */
		r = waitpid(pid, &now, WNOHANG);
		if (r == 0)
			return;
		lifecycle_reaped(shim, pid, r == pid ? now : status);
		return;
	}
}

static void remember_unclaimed(struct shim *shim, pid_t pid, int status)
{
	if (shim->n_unclaimed == BERTH_ARRAY_SIZE(shim->unclaimed)) {
		/* Oldest out: orphans the shim never learns about must not
		 * push out a fresh exit that it is about to claim. */
		memmove(&shim->unclaimed[0], &shim->unclaimed[1],
			sizeof(shim->unclaimed[0]) * (BERTH_ARRAY_SIZE(shim->unclaimed) - 1));
		shim->n_unclaimed--;
	}
	shim->unclaimed[shim->n_unclaimed].pid = pid;
	shim->unclaimed[shim->n_unclaimed].status = status;
	shim->n_unclaimed++;
}

static void reap_children(struct shim *shim)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		if (runtime_reaped(shim, pid, status))
			continue;
		if (!lifecycle_owns_pid(shim, pid)) {
			remember_unclaimed(shim, pid, status);
			continue;
		}
		lifecycle_reaped(shim, pid, status);
	}
}

static void on_signal(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void) events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int) si.ssi_signo;
		if (sig == SIGCHLD)
			continue; /* reaped below, all at once */
		shim_info("received signal %d from pid %u", sig, si.ssi_pid);
		if (shim->container.pid > 0 && !shim->container.exited)
			kill(shim->container.pid, sig); /* our child until reaped: no pid reuse */
	}
	reap_children(shim);
}

int shim_loop_init(struct shim *shim, struct berth_error *err)
{
	sigset_t mask;

	shim->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (shim->epfd < 0)
		return berth_error_sys(err, errno, "create epoll set");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return berth_error_sys(err, errno, "block signals");
	shim->signals.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (shim->signals.fd < 0)
		return berth_error_sys(err, errno, "create signalfd");
	shim->signals.on_event = on_signal;
	if (shim_watch_add(shim, &shim->signals, EPOLLIN) < 0)
		return berth_error_sys(err, errno, "watch signals");
	shim->iobuf = malloc(SHIM_IOBUF_SIZE);
	if (shim->iobuf == NULL)
		return berth_error_sys(err, ENOMEM, "allocate the read buffer");
	return 0;
}

int shim_loop_run(struct shim *shim)
{
	struct epoll_event events[16];

	while (shim->phase != PHASE_DONE) {
		int64_t deadline = lifecycle_next_deadline(shim), timeout = -1;
		int n;

		if (deadline > 0) {
			timeout = deadline - shim_now_ms();
			if (timeout < 0)
				timeout = 0;
			if (timeout > 60000)
				timeout = 60000;
		}
		n = epoll_wait(shim->epfd, events, (int) BERTH_ARRAY_SIZE(events), (int) timeout);
		if (n < 0 && errno != EINTR) {
			shim_warn("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct shim_watch *w = events[i].data.ptr;
			if (w->fd >= 0) /* closed earlier in this batch */
				w->on_event(shim, w, events[i].events);
		}
		shim_free_retired(shim);
		lifecycle_tick(shim, shim_now_ms());
		shim_free_retired(shim);
	}
	return 0;
}
