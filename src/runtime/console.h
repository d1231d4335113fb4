/* The container's terminal: a pty made inside the container's own devpts,
 * whose master goes to whoever listens on --console-socket. */
#pragma once

#include "error.h"
#include "spec.h"

/* Open a pty from /dev/ptmx (as the current root sees it), size it, send
 * the master over sock, and return the slave.  With bind_console the
 * slave is also bind-mounted on /dev/console. */
int berth_console_create(int sock, const struct berth_process *p, bool bind_console, struct berth_error *err);

/* Make slave the controlling terminal and stdio of this process (which
 * must be able to start a new session). */
int berth_console_attach(int slave, struct berth_error *err);
