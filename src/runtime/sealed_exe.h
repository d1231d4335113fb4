/* CVE-2019-5736: a process that becomes visible inside a container must
 * not map the host's runtime binary, or the container could open
 * /proc/PID/exe and overwrite it.  The commands that enter containers
 * first re-execute the runtime from a sealed memfd copy of itself. */
#pragma once

#include "error.h"

/* Returns 0 when already running from a sealed copy; otherwise copies,
 * seals and re-executes (never returning), or fails with an error. */
int berth_ensure_sealed_exe(char **argv, struct berth_error *err);
