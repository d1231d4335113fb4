/* docker top: the host's ps, run with the client's options (default
 * "-ef"), cut down to the container's processes (dockerd's
 * parsePSOutput).  Pure: the ps output is given. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* ps_args as dockerd accepts them: no "KEY=PID..." output column renamed
 * away from pid (the PID column must stay findable). */
int berth_top_check_args(const char *ps_args, struct berth_error *err);

/* The ps argv for ps_args (split at single spaces, as dockerd splits):
 * NULL-terminated, argv[0] "ps"; free with berth_strv_freep. */
int berth_top_argv(const char *ps_args, char ***ret, struct berth_error *err);

/* {Titles, Processes} of the lines of output whose PID is one of pids
 * (n of them); thread lines ("-" as PID) follow their process. */
int berth_top_parse(const char *output, const long *pids, size_t n, json_t **ret, struct berth_error *err);
