/* Compiled seccomp filters, cached under the runtime's state root.
 *
 * libseccomp takes 15-30 ms to compile docker's default profile (~430
 * syscalls for three architectures), more than everything else create
 * does; and almost every container uses one of a handful of profiles.  The
 * cache is keyed by the parts of the profile that decide the program,
 * compared byte for byte on a hit (the hash only names the file), so a
 * collision can never hand a container another profile's filter. */
#pragma once

#include <jansson.h>

#include "error.h"

/* The compiled program for `profile` as a read-only fd: from the cache in
 * rootfd's "@seccomp-cache" when it is there, else compiled and stored.
 * rootfd < 0: compile without the cache. */
int berth_seccomp_compile_cached(json_t *profile, int rootfd, int *ret_fd, struct berth_error *err);
