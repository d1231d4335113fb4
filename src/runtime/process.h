/* Turning a set-up process into the container's process: its rlimits, user,
 * capabilities, working directory, environment and finally execve. */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "error.h"
#include "seccomp_profile.h"
#include "spec.h"

struct berth_exec_target {
	char path[PATH_MAX]; /* the program, found through PATH */
	char **envp;	     /* NULL-terminated, owned */
};

/* chdir to process.cwd (inside the current root), build the environment
 * (process.env, then extra_env, HOME from /etc/passwd if unset) and find
 * args[0].  Errors say "exec: ..." as runc's do, so that callers that map
 * them to exit codes 126/127 keep working. */
int berth_process_resolve(const struct berth_process *p, const char *const *extra_env, struct berth_exec_target *t,
			  struct berth_error *err);
void berth_exec_target_release(struct berth_exec_target *t);

int berth_process_set_rlimits(const struct berth_process *p, struct berth_error *err);

/* The seccomp filter to load and, for SCMP_ACT_NOTIFY, whom to tell. */
struct berth_seccomp_setup {
	const struct berth_seccomp_program *program; /* NULL: no filter */
	int agent_sock;				     /* connected to listenerPath; -1 */
	json_t *profile;			     /* linux.seccomp */
	json_t *state;				     /* the container's state, for the agent */
	pid_t host_pid;
};

/* Switch to process.user keeping the configured capabilities.  Without
 * no_new_privs the seccomp filter is loaded here, right after the uid
 * change, while CAP_SYS_ADMIN is still effective (the kernel's condition). */
int berth_process_become_user(const struct berth_process *p, bool setgroups_allowed,
			      const struct berth_seccomp_setup *sc, struct berth_error *err);

/* no_new_privs (then the seccomp filter, the last thing before exec),
 * umask, descriptors (stdio and the next preserve_fds stay, the rest close
 * on exec), then execve.  Returns only on failure. */
int berth_process_exec(const struct berth_process *p, const struct berth_exec_target *t, int preserve_fds,
		       const struct berth_seccomp_setup *sc, struct berth_error *err);
