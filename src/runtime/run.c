/* run: create, start, wait, delete, in one foreground command. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fdpass.h"
#include "run.h"
#include "supervise.h"

int berth_container_run(const struct berth_run_opts *o, int *ret_exit_code, struct berth_error *err)
{
	struct berth_create_opts create = o->create;
	struct berth_created created = { .pid = 0, .pidfd = -1 };
	_cleanup_close_ int ours = -1, theirs = -1, master = -1;
	struct berth_error ignored;
	sigset_t old;
	int r;

	/* A terminal with nobody to hand it to: we take the master ourselves
	 * and proxy it to our own stdio, as runc does. */
	if (!create.console_socket && !o->detach) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return berth_error_sys(err, errno, "create the console socket");
		ours = sv[0];
		theirs = sv[1];
		create.console_fd = theirs;
	}
	if (!o->detach)
		berth_forward_signals_block(&old);
	r = berth_container_create(&create, &created, err);
	berth_closep(&theirs);
	if (r < 0)
		goto out;
	if (ours >= 0 && created.terminal && berth_recv_fd(ours, &master, NULL, 0, NULL, err) < 0) {
		r = -berth_error_code(err);
		berth_container_delete(create.root, create.id, true, &ignored);
		goto out;
	}
	r = berth_container_start(create.root, create.id, err);
	if (r < 0) {
		berth_container_delete(create.root, create.id, true, &ignored);
		goto out;
	}
	*ret_exit_code = 0;
	if (o->detach)
		goto out;
	r = berth_supervise(created.pid, created.pidfd, master, ret_exit_code, err);
	if (r == 0 && !o->keep)
		r = berth_container_delete(create.root, create.id, true, err);
out:
	if (!o->detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (created.pidfd >= 0)
		close(created.pidfd);
	return r;
}
