/* Namespaces from the runtime's side: opening and checking the ones a
 * config asks to join, joining them, and writing a new user namespace's
 * id maps. */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Open every namespace `path` of the spec into fds[] (others -1) and check
 * that each is a namespace of the listed type. */
int berth_ns_open_paths(const struct berth_spec *spec, int fds[BERTH_NS_COUNT], struct berth_error *err);
void berth_ns_close(int fds[BERTH_NS_COUNT]);

/* setns() into every open fd, the user namespace first. */
int berth_ns_join(const int fds[BERTH_NS_COUNT], struct berth_error *err);

/* clone(2) flags for the namespaces the spec creates. */
int berth_ns_new_flags(const struct berth_spec *spec);

/* Write setgroups, uid_map and gid_map of pid's new user namespace.  A
 * caller who is not root may map only its own ids, with setgroups denied. */
int berth_userns_write_maps(pid_t pid, const struct berth_spec *spec, struct berth_error *err);

/* Write the time namespace offsets of the current process's children. */
int berth_timens_write_offsets(const struct berth_spec *spec, struct berth_error *err);
