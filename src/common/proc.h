/* Process helpers: identity checks that survive pid reuse, waiting with a
 * deadline, exit statuses as shells report them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot) and
 * field 3 (state letter); together with the pid they name one process. */
int berth_proc_stat(pid_t pid, uint64_t *ret_start_time, char *ret_state);

/* Is pid alive (not a zombie) and the same process that started at
 * start_time?  start_time 0 skips the identity check. */
bool berth_proc_alive(pid_t pid, uint64_t start_time);

int berth_pidfd_open(pid_t pid);

/* Wait for a child to exit, at most timeout_ms (negative: forever).
 * Returns 0 with the wait status, -ETIMEDOUT, or another -errno. */
int berth_wait_child(pid_t pid, int pidfd, int timeout_ms, int *ret_status);

/* An exit status as a shell reports it: the code, or 128+signal. */
int berth_exit_code(int wait_status);

/* Mark every descriptor from `first` up close-on-exec (close_range, or a
 * loop up to the descriptor limit on kernels before 5.11). */
void berth_fds_cloexec_from(unsigned int first);

/* The caller promised descriptors 3 .. 3+n-1 (--preserve-fds, LISTEN_FDS).
 * Each must be open and inherited: an inherited descriptor survived an exec,
 * so it cannot be close-on-exec, while every descriptor berth opens is.  A
 * slot the caller left empty is an error, not a place where one of berth's
 * own descriptors could slip into the container. */
int berth_fds_check_inherited(int n, const char *what, struct berth_error *err);
