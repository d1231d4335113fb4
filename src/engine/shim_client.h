/* berthd's side of berth-shim: starting one for a container, its control
 * requests, and reading what it recorded.
 *
 * A shim outlives berthd: everything berthd needs to find it again is in
 * its state directory (control.sock, attach.sock, pid, exit), so a
 * restarted daemon reconnects by path alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_shim_options {
	const char *shim;	  /* the berth-shim binary */
	const char *id;
	const char *bundle;
	const char *state_dir;	  /* created by the caller */
	const char *runtime;	  /* the OCI runtime binary */
	const char *runtime_root; /* its --root */
	const char *log_path;	  /* json-file log, NULL: none */
	int64_t log_max_size;	  /* 0: unlimited */
	int log_max_files;
	bool terminal, open_stdin, stdin_once;
};

/* Start a shim and wait until it has created the container (the runtime's
 * create returned): *ret_pid is the container's init.  A failure carries
 * the runtime's own message. */
int berth_shim_spawn(const struct berth_shim_options *o, pid_t *ret_pid, struct berth_error *err);

/* One control request (a line without '\n'); the reply line in reply.
 * "error MESSAGE" replies are returned as -EIO with MESSAGE; -ECONNREFUSED
 * or -ENOENT when no shim listens.  timeout_ms < 0 waits forever (wait). */
int berth_shim_request(const char *state_dir, const char *request, int timeout_ms, char *reply, size_t size,
		       struct berth_error *err);

/* Send `wait` on a connection of its own (before start or kill, so the
 * exit cannot be missed); *ret_fd is read with berth_shim_wait_end. */
int berth_shim_wait_begin(const char *state_dir, int *ret_fd, struct berth_error *err);
/* Block until the container exits: its code; -EPIPE when the shim went
 * away without answering. */
int berth_shim_wait_end(int fd, int *ret_code, struct berth_error *err);

/* The exit the shim recorded: 1 with *code and *when_nano, 0 when there is
 * none yet. */
int berth_shim_read_exit(const char *state_dir, const char *name, int *code, int64_t *when_nano,
			 struct berth_error *err);

/* Wait up to timeout_ms for the shim serving state_dir (STATE/shim.pid, and
 * its working directory is state_dir: a recycled pid is not mistaken for
 * it) to exit: 0 once it is gone (or there is none), -ETIMEDOUT. */
int berth_shim_wait_gone(const char *state_dir, int timeout_ms);
