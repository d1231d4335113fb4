/* The channel between the runtime and a process it is setting up (the
 * container init, an exec'd process), over a SOCK_SEQPACKET pair: each
 * message arrives whole, and EOF means the other side is gone. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum berth_sync_type {
	BERTH_SYNC_ERROR = 1, /* child -> parent: setup failed; the message says why */
	BERTH_SYNC_PID,	      /* intermediate -> parent: the init's pid (host view) */
	BERTH_SYNC_GO,	      /* parent -> child: id maps written, placed in cgroups; go on */
	BERTH_SYNC_HOOKS,     /* child -> parent: mounts are done; run prestart/createRuntime */
	BERTH_SYNC_HOOKS_DONE,
	BERTH_SYNC_READY,     /* child -> parent: created; waiting to be started */
	BERTH_SYNC_SECCOMP,   /* parent -> child: the compiled seccomp filter, as a memfd */
	BERTH_SYNC_CGROUP,    /* intermediate -> parent: the child was cloned into its v2 cgroup */
};

struct berth_sync_msg {
	uint32_t type;
	int32_t value;
	struct berth_error err; /* for BERTH_SYNC_ERROR */
};

int berth_sync_send(int fd, enum berth_sync_type type, int32_t value, struct berth_error *err);
/* Send an error from the child; never fails (the parent sees EOF if it can't). */
void berth_sync_send_error(int fd, const struct berth_error *failure);
/* Receive one message; EOF is reported as EPIPE ("the process exited"). */
int berth_sync_recv(int fd, struct berth_sync_msg *msg, struct berth_error *err);
/* A message that carries a descriptor (SCM_RIGHTS). */
int berth_sync_send_fd(int fd, enum berth_sync_type type, int passfd, struct berth_error *err);
int berth_sync_expect_fd(int fd, enum berth_sync_type type, int *ret_fd, struct berth_error *err);

/* Receive and demand `type`; an ERROR message becomes this call's error. */
int berth_sync_expect(int fd, enum berth_sync_type type, int32_t *ret_value, struct berth_error *err);
