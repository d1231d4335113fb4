/* The init that HostConfig.Init (docker run --init) binds in at
 * /sbin/docker-init and runs first, as dockerd does with its docker-init
 * (tini).  It runs inside the container's image, which may hold no C
 * library at all (busybox), so only a static binary is usable: one whose
 * ELF program headers ask for no interpreter (PT_INTERP).
 */
#pragma once

#include "error.h"

/* Whether path is an executable static ELF binary; the error says why not. */
int berth_init_binary_check(const char *path, struct berth_error *err);

/* The init to use: given (berthd --init-path), which must pass the check;
 * else docker-init next to berthd, then docker-init, tini-static,
 * catatonit, tini in PATH and their usual directories, the first static
 * one.  *ret malloc'ed. */
int berth_init_binary_find(const char *given, char **ret, struct berth_error *err);
