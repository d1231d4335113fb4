/* A tar of a directory tree (or of one file), made as it is read.
 *
 * docker export and docker cp (GET /containers/{id}/archive) both archive
 * a container's files: libarchive writes the tar (pax where ustar does not
 * fit), a bounded piece at a time as the reader asks for more, so no
 * archive is ever held whole in memory.
 *
 * The walk is by descriptor, each directory opened beneath its parent with
 * O_NOFOLLOW: symlinks are archived as symlinks, never followed, so a
 * container that swaps a directory for a symlink while we walk cannot
 * steer the walk out of its tree.  Other file systems mounted below the
 * top are not entered, unless their mount ID is one the caller allows (a
 * container's volumes, for docker cp).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct berth_tree_tar;

struct berth_tree_tar_options {
	/* Mount IDs (statx STATX_MNT_ID) of file systems the walk may enter
	 * below the top; the top's own is always allowed. */
	const uint64_t *mount_ids;
	size_t n_mount_ids;
	/* A descriptor the tar takes and closes when freed (a mount
	 * namespace to keep alive while the walk needs it), or -1. */
	int hold_fd;
};

/* A tar of `name` in directory dirfd ("." for dirfd itself), its entries
 * named `as`, `as/...` ("" for a top directory whose entries are at the
 * archive's root, without an entry of their own, as docker export has
 * them).  dirfd is duplicated; opts may be NULL; opts->hold_fd is taken
 * even on failure.  -ENOENT when name is
 * not there. */
int berth_tree_tar_new(int dirfd, const char *name, const char *as, const struct berth_tree_tar_options *opts,
		       struct berth_tree_tar **ret, struct berth_error *err);

/* Up to len bytes of the tar; 0 at its end.  After a failure every later
 * call fails the same way. */
ssize_t berth_tree_tar_read(struct berth_tree_tar *x, void *buf, size_t len, struct berth_error *err);

void berth_tree_tar_free(struct berth_tree_tar *x);

/* The names in directory fd without "." and "..", sorted (a tar's order
 * must not depend on the file system's); freed with berth_dir_names_free. */
int berth_dir_names(int fd, char ***ret, size_t *ret_n, struct berth_error *err);
void berth_dir_names_free(char **names, size_t n);
