/* Snapshots: the filesystems that image layers unpack into and containers
 * run on, under <root>/<id>/{fs,work}.
 *
 * A committed snapshot holds one layer chain, keyed by its chain ID, and is
 * shared by every image that has that chain.  An active snapshot (a
 * container's) is writable, keyed by the container, on top of a committed
 * parent.  Two drivers behind one table:
 *   overlay  each committed snapshot holds only its layer's changes, with
 *            overlayfs whiteouts; layers of one image unpack in parallel;
 *            a container mounts overlay(lower = the chain, upper = its own)
 *   copy     each committed snapshot is a full tree: its parent's, copied,
 *            with the layer applied; a container gets a copy too.  For
 *            hosts whose filesystem cannot be an overlay upper layer.
 * Snapshots are recorded in the metadata database; a snapshot being
 * prepared when the daemon died is removed by berth_snapshotter_reconcile. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "error.h"

#define BERTH_SNAPSHOT_KEY_MAX 160

struct berth_snapshotter;

/* driver: "overlay", "copy" or NULL to probe (overlay when the kernel can
 * mount one on this filesystem with an upper dir). */
int berth_snapshotter_open(struct berth_db *db, int dirfd, const char *path, const char *driver,
			   struct berth_snapshotter **ret, struct berth_error *err);
void berth_snapshotter_free(struct berth_snapshotter *sn);

const char *berth_snapshotter_driver(const struct berth_snapshotter *sn);
const char *berth_snapshotter_root(const struct berth_snapshotter *sn);
/* Whether snapshots are full trees (copy: a layer's whiteouts delete from
 * the parent's copy) rather than one layer each (overlay: whiteouts stay as
 * overlayfs whiteouts, and layers can be unpacked before their parents). */
bool berth_snapshotter_full_trees(const struct berth_snapshotter *sn);

/* Remove what an interrupted daemon left: snapshots still being prepared
 * and directories the database does not know. */
int berth_snapshotter_reconcile(struct berth_snapshotter *sn, struct berth_error *err);

/* 0 when a committed snapshot `key` exists (its size in *ret_size), -ENOENT. */
int berth_snapshot_stat(struct berth_snapshotter *sn, const char *key, int64_t *ret_size, struct berth_error *err);

struct berth_snapshot_prep {
	int64_t id;
	int dirfd; /* the directory to unpack into */
	char key[BERTH_SNAPSHOT_KEY_MAX];
};

/* Make a directory for layer snapshot `key` on top of committed `parent`
 * (NULL for a base layer).  With the copy driver it starts as a copy of the
 * parent.  -EEXIST: already committed; -EBUSY: another pull is preparing it
 * (wait with berth_snapshot_wait). */
int berth_snapshot_prepare(struct berth_snapshotter *sn, const char *key, const char *parent,
			   struct berth_snapshot_prep **ret, struct berth_error *err);
int berth_snapshot_commit(struct berth_snapshotter *sn, struct berth_snapshot_prep *prep, int64_t size,
			  struct berth_error *err);
/* Remove an uncommitted snapshot and free prep. */
void berth_snapshot_abort(struct berth_snapshotter *sn, struct berth_snapshot_prep *prep);
void berth_snapshot_prep_free(struct berth_snapshot_prep *prep);

/* Wait until nobody prepares `key` any more: 0 when it got committed,
 * -ENOENT when that attempt failed (the caller may try itself). */
int berth_snapshot_wait(struct berth_snapshotter *sn, const char *key, struct berth_error *err);

/* The layer directories of committed snapshot `key` and its ancestors, top
 * first, as overlayfs lowerdir wants them (overlay); or the one full tree
 * (copy).  A NULL-terminated array of malloc'ed paths. */
int berth_snapshot_lower_dirs(struct berth_snapshotter *sn, const char *key, char ***ret, struct berth_error *err);

/* Remove committed snapshot `key`; -EBUSY when another snapshot has it as
 * parent. */
int berth_snapshot_remove(struct berth_snapshotter *sn, const char *key, struct berth_error *err);

/* Call fn for every committed snapshot (key, parent or NULL, size). */
int berth_snapshot_walk(struct berth_snapshotter *sn,
			int (*fn)(const char *key, const char *parent, int64_t size, void *ctx), void *ctx,
			struct berth_error *err);

static inline void berth_snapshotter_freep(struct berth_snapshotter **sn)
{
	berth_snapshotter_free(*sn);
}
#define _cleanup_snapshotter_ __attribute__((cleanup(berth_snapshotter_freep)))
