/* linux.seccomp: validated with config.json, compiled to BPF by libseccomp
 * in the runtime process (while the init is busy mounting), and loaded by
 * the container process itself, as late as possible before exec. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Check a seccomp object: every action, operator, architecture and flag
 * known, errnoRet only where the action takes one.  `path` names it in
 * errors ("linux.seccomp"). */
int berth_seccomp_validate(json_t *seccomp, const char *path, struct berth_error *err);

/* Does any rule (or the default) use SCMP_ACT_NOTIFY? */
bool berth_seccomp_uses_notify(json_t *seccomp);

/* Compile to a BPF program in a sealed memfd (returned). Unknown syscall
 * names are skipped, as runc does: a profile may name newer calls. */
int berth_seccomp_compile(json_t *seccomp, int *ret_memfd, struct berth_error *err);

/* seccomp(2) flags the profile asks for (log, spec_allow, wait_killable_recv). */
unsigned berth_seccomp_flags(json_t *seccomp);

/* A compiled program, read back for loading. */
struct berth_seccomp_program {
	void *filter; /* struct sock_filter[] */
	unsigned short len;
	unsigned flags;
	bool notify;
};

int berth_seccomp_program_read(int memfd, json_t *seccomp, struct berth_seccomp_program *ret, struct berth_error *err);
void berth_seccomp_program_release(struct berth_seccomp_program *p);

/* Load into the calling process; with notify, *ret_listener gets the
 * notification fd (else -1). */
int berth_seccomp_load(const struct berth_seccomp_program *p, int *ret_listener, struct berth_error *err);

/* Send the container process state and the notification fd to the agent
 * connected at sock (config-linux.md "The Container Process State"). */
int berth_seccomp_send_listener(int sock, int listener, pid_t pid, json_t *seccomp, json_t *state,
				struct berth_error *err);
