/* Docker volumes of the "local" driver.
 *
 * A volume is a row in the metadata database (component "volumes": name,
 * driver, creation time, labels, driver options, whether it is anonymous)
 * and a directory ROOT/volumes/NAME/_data, its Mountpoint.  The row and
 * the directory change together under the store's lock, in an order that
 * a crash cannot turn into lost data:
 *
 *   create:  mkdir NAME/_data (fsync'ed), then INSERT the row.  A crash in
 *            between leaves an empty directory without a row.
 *   remove:  rename NAME to .trash/NAME, DELETE the row, remove the tree.
 *   reconcile (at every daemon start, berth_volumes_reconcile):
 *            .trash entries: finish the removal (row and tree);
 *            a directory without a row: an interrupted create (nothing or
 *            an empty _data in it) is removed; one holding data is adopted
 *            as a volume, as dockerd's local driver lists what it finds;
 *            a row without a directory: the directory is made again.
 *
 * Names are docker's: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 255 bytes (one
 * directory entry); an empty name makes an anonymous volume with a random
 * 64-hex name and docker's label "com.docker.volume.anonymous".
 *
 * Driver options (type, device, o) are stored as given and mounted on
 * _data at first use (berth_engine_volume_path); every removal unmounts
 * _data before it touches the tree, so a bind-mounted host directory is
 * never emptied.
 *
 * Users: containers.  A volume a container uses carries a reference (the
 * container's ID) in the table volume_refs; a volume with references
 * cannot be removed (docker's 409 "volume is in use - [IDs]"), is not
 * dangling, is never pruned.  The container code keeps them:
 *
 *   container create:  berth_engine_volume_acquire(e, name, id, ...) for
 *                      each named or anonymous volume it mounts (creates
 *                      a missing one, as `docker run -v name:/x` does, and
 *                      takes the reference atomically with that lookup,
 *                      so a concurrent `volume rm` cannot slip in between);
 *   container start:   berth_engine_volume_path() (container_spec.h's
 *                      volume_path callback: berth_engine_volume_path_cb
 *                      with volume_ctx = the engine) for the path;
 *   container remove:  berth_engine_volume_release(e, id), then, for
 *                      `docker rm -v`, berth_engine_volume_remove() of its
 *                      anonymous volumes;
 *   engine open:       berth_volumes_release_unknown() with a predicate
 *                      "does this container exist" drops references a
 *                      crash left behind (a container removed whose
 *                      references were not yet released).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "error.h"

#define BERTH_VOLUME_NAME_MAX 255
#define BERTH_VOLUME_DRIVER "local"
#define BERTH_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

struct berth_engine;
struct berth_volumes;

struct berth_volume {
	char name[BERTH_VOLUME_NAME_MAX + 1];
	int64_t created_nano;
	json_t *labels;	  /* an object, or NULL when none were given (docker's null) */
	json_t *options;  /* DriverOpts: the same */
	bool anonymous;
	int64_t refs;	  /* how many containers use it */
	char *mountpoint; /* ROOT/volumes/NAME/_data */
};
void berth_volume_clear(struct berth_volume *v);
void berth_volumes_free_list(struct berth_volume *v, size_t n);
#define _cleanup_volume_ __attribute__((cleanup(berth_volume_clear)))

/* ROOT/volumes is made (0701) and the tables migrated. */
int berth_volumes_open(struct berth_db *db, int root_fd, const char *root, struct berth_volumes **ret,
		       struct berth_error *err);
void berth_volumes_free(struct berth_volumes *vs);

struct berth_volumes_reconcile_stats {
	unsigned removed, adopted, recreated, trashed;
};
/* Make the directories agree with the rows (see above); stats may be NULL. */
int berth_volumes_reconcile(struct berth_volumes *vs, struct berth_volumes_reconcile_stats *stats,
			    struct berth_error *err);

/* 0 when name is a valid local volume name; else -EINVAL with dockerd's
 * message (without its "create NAME: " prefix). */
int berth_volume_name_check(const char *name, struct berth_error *err);

struct berth_volume_create {
	const char *name;    /* NULL or "": anonymous */
	json_t *labels;	     /* borrowed; NULL: none */
	json_t *options;     /* borrowed; keys type, device, o (checked by the caller) */
	const char *ref;     /* a container ID to reference the volume with, or NULL */
};
/* Create a volume, or find the one of that name (docker's create is
 * idempotent: labels and options of the existing one stay).  *ret_created
 * (may be NULL) says which. */
int berth_volumes_create(struct berth_volumes *vs, const struct berth_volume_create *req, struct berth_volume *ret,
			 bool *ret_created, struct berth_error *err);

/* -ENOENT "get NAME: no such volume". */
int berth_volumes_get(struct berth_volumes *vs, const char *name, struct berth_volume *ret, struct berth_error *err);
/* Every volume, by name. */
int berth_volumes_list(struct berth_volumes *vs, struct berth_volume **ret, size_t *ret_n, struct berth_error *err);

/* -ENOENT as get; -EBUSY "remove NAME: volume is in use - [ID, ...]".
 * *ret_size (may be NULL): the bytes its _data held (docker's du). */
int berth_volumes_remove(struct berth_volumes *vs, const char *name, uint64_t *ret_size, struct berth_error *err);

/* References (see above).  ref: -ENOENT when the volume is gone. */
int berth_volumes_ref(struct berth_volumes *vs, const char *name, const char *container, struct berth_error *err);
int berth_volumes_release(struct berth_volumes *vs, const char *container, struct berth_error *err);
/* The containers using a volume: a NULL-terminated array (free with
 * berth_strv_freep). */
int berth_volumes_users(struct berth_volumes *vs, const char *name, char ***ret, struct berth_error *err);
/* Drop the references of containers for which exists() is false. */
int berth_volumes_release_unknown(struct berth_volumes *vs, bool (*exists)(void *ctx, const char *container),
				  void *ctx, struct berth_error *err);

/* Mount the volume's driver options on its _data unless mounted already
 * (a volume without options: nothing to do). */
int berth_volumes_mount(struct berth_volumes *vs, const struct berth_volume *v, struct berth_error *err);

/* The bytes of regular files (hard links once) under dirfd, as docker's
 * directory.Size counts them; never follows a symlink. */
uint64_t berth_volumes_tree_size(int dirfd);

/* One prune at a time (docker's "a prune operation is already running"). */
bool berth_volumes_prune_begin(struct berth_volumes *vs);
void berth_volumes_prune_end(struct berth_volumes *vs);

/* ---- docker's semantics over the store (engine_volumes.c) ---- */

/* POST /volumes/create: driver "" or "local" (another one: -ENOENT as
 * dockerd's missing plugin); options checked as the local driver does.
 * A "create" event when the volume is new. */
int berth_engine_volume_create(struct berth_engine *e, const char *driver, const struct berth_volume_create *req,
			       struct berth_volume *ret, struct berth_error *err);

/* DELETE /volumes/NAME: force makes a missing volume no error.  A
 * "destroy" event. */
int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force, struct berth_error *err);

/* GET /volumes: filters name (exact or regular expression), driver,
 * label (key or key=value), dangling (true: no container uses it). */
int berth_engine_volume_list(struct berth_engine *e, json_t *filters, struct berth_volume **ret, size_t *ret_n,
			     struct berth_error *err);

/* POST /volumes/prune: unused local volumes without driver options;
 * anonymous ones only unless filter all=true (which API < 1.42 implies);
 * filters label, label!.  *ret: {"VolumesDeleted": [...], "SpaceReclaimed": n}. */
int berth_engine_volume_prune(struct berth_engine *e, json_t *filters, int api_version, json_t **ret,
			      struct berth_error *err);

/* A container's volume: created when missing (name NULL or "": a new
 * anonymous one) and referenced by container, atomically; *ret the volume. */
int berth_engine_volume_acquire(struct berth_engine *e, const char *name, const char *container,
				struct berth_volume *ret, struct berth_error *err);
/* Every reference of a removed container. */
int berth_engine_volume_release(struct berth_engine *e, const char *container, struct berth_error *err);
