/* The container init: the cloned child that builds the container from the
 * inside, waits to be started, then becomes the user's process. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "spec.h"

struct berth_init_config {
	const struct berth_spec *spec;
	const char *id;
	const char *bundle;
	const char *rootfs;
	int sync_fd;	/* our end of the SOCK_SEQPACKET pair */
	int start_fd;	/* the listening start socket */
	int console_fd; /* where the pty master goes; -1 without a terminal */
	int seccomp_agent_fd; /* connected to linux.seccomp.listenerPath; -1 */
	bool no_pivot;
	bool no_new_keyring;
	bool setgroups_allowed;
	int preserve_fds;	     /* fds after stdio that the process keeps */
	const char *const *extra_env; /* LISTEN_FDS, LISTEN_PID */
	mode_t caller_umask;
	struct berth_cgroup_join *cgroup_join; /* joined first thing (cgroup.h); NULL: none */
};

/* Never returns: exits on failure after reporting it, or execs. */
__attribute__((noreturn)) void berth_init_run(const struct berth_init_config *c);

/* The state JSON handed to hooks run from inside the container. */
char *berth_init_hook_state(const struct berth_init_config *c, const char *status);
