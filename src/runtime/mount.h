/* Mount primitives that work on descriptors, never on paths.
 *
 * A new mount is first made detached (fsmount for a filesystem, open_tree
 * for a bind), configured while nobody can see it, then attached with
 * move_mount onto a target descriptor that was resolved inside the root.
 * There is no window in which a read-only mount is writable, and no path
 * lookup a planted symlink could redirect. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

/* One mount to make.  With fstype set, a new filesystem of that type from
 * `source` with `data`; otherwise a bind of the file or tree at srcfd. */
struct berth_mount_req {
	const char *what; /* the destination, for messages */
	const char *fstype;
	const char *source;
	const char *data;
	int srcfd;
	bool recursive_bind;
	unsigned long flags;	  /* MS_* (per-mount flags and superblock flags) */
	uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* for the whole tree */
	const unsigned long *propagation;
	size_t n_propagation;
	int copyup_fromfd; /* >= 0: copy this directory's contents into the new mount */
};

/* Make the mount detached, configure it, attach it onto targetfd.  Returns
 * the attached mount's fd (a handle on exactly this mount) or -errno. */
int berth_mount_make(const struct berth_mount_req *req, int targetfd, struct berth_error *err);

/* Set propagation (MS_SHARED, MS_SLAVE|MS_REC, ...) of the mount at fd. */
int berth_mount_propagation(int mntfd, unsigned long flags, const char *what, struct berth_error *err);

/* Apply MOUNT_ATTR_* set/clear, optionally to every submount. */
int berth_mount_setattr(int mntfd, bool recursive, uint64_t set, uint64_t clr, const char *what,
			struct berth_error *err);

/* MS_* per-mount flags -> MOUNT_ATTR_* (set, clear). */
void berth_mount_flags_to_attr(unsigned long flags, uint64_t *ret_set, uint64_t *ret_clr);
