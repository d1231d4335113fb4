/* Resolving paths inside a root directory without ever leaving it.
 *
 * A container image is hostile input: its symlinks may point at "/etc" or
 * "../../../", and it may race us by swapping directories for symlinks while
 * we work.  Every path that berth resolves inside a rootfs goes through
 * these functions, which treat `rootfd` as "/" for "..", absolute symlinks
 * and absolute paths alike, and never follow /proc magic links.
 *
 * The kernel does this for us with openat2(RESOLVE_IN_ROOT) (Linux 5.6);
 * elsewhere a userspace walk opens one component at a time with O_NOFOLLOW,
 * expands symlinks itself and handles ".." from its own stack of directory
 * descriptors, so a directory moved out of the root cannot carry the walk
 * with it.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open `path` inside rootfd with open(2) `flags` (O_CLOEXEC is implied;
 * O_NOFOLLOW applies to the last component). Returns an fd or -errno. */
int berth_openat_in_root(int rootfd, const char *path, int flags);

/* The same, with an error message naming `path` and the root's `rootname`. */
int berth_open_in_root(int rootfd, const char *rootname, const char *path, int flags, struct berth_error *err);

/* Create every missing directory of `path` inside rootfd (mode for the new
 * ones) and return an O_PATH directory fd of the last one. */
int berth_mkdir_all_in_root(int rootfd, const char *rootname, const char *path, mode_t mode,
			    struct berth_error *err);

/* Make sure `path` exists inside rootfd as a regular file (a mount point for
 * a file bind mount), creating parents as needed; returns an O_PATH fd. */
int berth_create_file_in_root(int rootfd, const char *rootname, const char *path, mode_t mode,
			      struct berth_error *err);

/* Split off the last component: parent gets "a/b" of "a/b/c" (or "/" or
 * "."), returns a pointer to "c" inside path.  parent must hold PATH_MAX. */
const char *berth_path_split(const char *path, char *parent, size_t parent_size);

/* Tests force the userspace walk to exercise it on kernels with openat2. */
void berth_path_force_fallback(bool on);
