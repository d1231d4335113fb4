/* Running the OCI runtime's commands that berthd calls itself (pause,
 * resume, ps, events --stats, update): the rest goes through the shims. */
#pragma once

#include <stddef.h>

#include "error.h"

/* Run argv (argv[0] an absolute path), nothing inherited but /dev/null as
 * stdin; *ret_out gets its stdout (malloc'ed, NUL-terminated, at most
 * 1 MiB; NULL allowed).  A non-zero exit is an error carrying the last
 * line of its stderr. */
int berth_run_command(char *const *argv, char **ret_out, struct berth_error *err);
