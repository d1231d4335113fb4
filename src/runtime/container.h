/* The runtime's operations on containers (runtime.md "Operations"), as the
 * command line and berthd call them.  Nothing here prints or exits. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct berth_create_opts {
	const char *root; /* state directory (--root) */
	const char *id;
	const char *bundle;	    /* NULL: the current directory */
	const char *console_socket; /* where to send the pty master */
	const char *pid_file;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	int console_fd; /* run's own pty socket instead of console_socket; -1 if none */
};

struct berth_created {
	pid_t pid;
	int pidfd;
	bool terminal; /* the init made a pty and sent its master */
};

int berth_container_create(const struct berth_create_opts *o, struct berth_created *ret, struct berth_error *err);
int berth_container_start(const char *root, const char *id, struct berth_error *err);
int berth_container_state(const char *root, const char *id, json_t **ret, struct berth_error *err);
/* Every container under root, as state objects (runc list --format json). */
int berth_container_list(const char *root, json_t **ret, struct berth_error *err);
int berth_container_kill(const char *root, const char *id, int sig, bool all, struct berth_error *err);
int berth_container_delete(const char *root, const char *id, bool force, struct berth_error *err);

struct berth_exec_opts {
	const char *process_file;     /* --process: a process JSON; else args */
	const char *const *args;
	bool tty, tty_set;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	const char *cwd;
	const char *const *env;	     /* appended */
	const char *user;	     /* "UID[:GID]" */
	const char *const *additional_gids;
	const char *const *caps;     /* added to every set */
	bool no_new_privs;
	int preserve_fds;
	int console_fd; /* exec's own pty socket; -1 if none */
};

/* Start a process in a running container.  With detach, returns once it
 * runs (*ret_pid set); otherwise waits and returns its exit code. */
int berth_container_exec(const char *root, const char *id, const struct berth_exec_opts *o, pid_t *ret_pid,
			 struct berth_error *err);

/* cgroup_ops.c: what works through the container's cgroup. */
/* Apply a LinuxResources object to a running container (and record it). */
int berth_container_update(const char *root, const char *id, json_t *resources, struct berth_error *err);
int berth_container_pause(const char *root, const char *id, struct berth_error *err);
int berth_container_resume(const char *root, const char *id, struct berth_error *err);
int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berth_error *err);
/* {"type":"stats","id":...,"data":{cpu, memory, pids, blkio, hugetlb}} */
int berth_container_stats(const char *root, const char *id, json_t **ret, struct berth_error *err);
/* OOM kills so far; -ENOENT without a memory cgroup. */
int berth_container_oom_kills(const char *root, const char *id, uint64_t *ret, struct berth_error *err);
/* Is the container still there and not stopped? */
bool berth_container_alive(const char *root, const char *id);

/* Write a pid file atomically (a temporary file renamed into place). */
int berth_write_pid_file(const char *path, pid_t pid, struct berth_error *err);
