/* Waiting for a container process in the foreground (run, exec without
 * --detach): signals the runtime receives are passed on to it, and with a
 * pty the runtime's stdio is copied to and from the pty master. */
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "error.h"

/* Block the signals that are forwarded, before the child is made, so none
 * is lost in between; *old receives the previous mask. */
void berth_forward_signals_block(sigset_t *old);

/* Wait for our child pid to exit.  master >= 0: proxy stdin/stdout through
 * it (stdin in raw mode when it is a terminal, window size followed).
 * Returns the exit code as a shell reports it (128+signal when killed). */
int berth_supervise(pid_t pid, int pidfd, int master, int *ret_exit_code, struct berth_error *err);
