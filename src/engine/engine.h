/* The engine: what berthd is, below its API.  It owns the daemon's state
 * under --root (metadata database, content store, snapshots) and --exec-root,
 * and implements docker's semantics on top of the image library (naming,
 * untag-versus-delete, prune) and, later, of containers.
 *
 * Opening the engine is also its crash recovery: a lock makes a second
 * daemon on the same root fail, snapshots half made by an interrupted pull
 * are removed, and ingest files are kept so a new pull resumes them. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "content.h"
#include "db.h"
#include "error.h"
#include "events.h"
#include "gc.h"
#include "images.h"
#include "pull.h"
#include "registries_conf.h"
#include "snapshot.h"
#include "volumes.h"

struct berth_engine_options {
	const char *root;		/* /var/lib/berth */
	const char *exec_root;		/* /run/berth */
	const char *storage_driver;	/* NULL: probe (overlay, else copy) */
	const char *registries_conf;	/* NULL: /etc/containers/registries.conf */
	const char *certs_dir;		/* NULL: /etc/docker/certs.d */
	const char *const *insecure_registries;
	int max_concurrent_downloads;	/* 0: 3 */
	int pull_attempts;		/* 0: 5 */
	int pull_retry_base_ms;		/* 0: 1000 */
	const char *runtime;		/* the OCI runtime; NULL: berth-runtime */
	const char *shim;		/* NULL: berth-shim */
	const char *init_path;		/* docker run --init's binary; NULL: look for one */
};

struct berth_engine {
	char *root, *exec_root, *certs_dir;
	int root_fd;
	int lock_fd;
	struct berth_db *db;
	struct berth_content *content;
	struct berth_snapshotter *snapshots;
	struct berth_volumes *volumes; /* volumes.c: docker volumes of the local driver */
	struct berth_registries *registries;
	struct berth_events *events;
	struct berth_pull_env pull_env;
	/* Pulls hold it shared; garbage collection exclusively, so it never
	 * sweeps what a running pull has made but not yet recorded. */
	pthread_rwlock_t gc_lock;
	int64_t started_nano;
	char id[37]; /* docker info's ID: a UUID made at the first start, kept in ROOT/engine-id */
	volatile int shutting_down;
	struct engine_containers *containers; /* engine_containers.c */
};

/* Stop what runs (pulls, event streams) so that the daemon can exit. */
void berth_engine_shutdown(struct berth_engine *e);

int berth_engine_open(const struct berth_engine_options *opts, struct berth_engine **ret, struct berth_error *err);
void berth_engine_close(struct berth_engine *e);

/* ---- images (engine_images.c) ---- */

/* Find the image a user names: a full or short image ID, or a reference
 * (tag or digest, normalised as docker does). */
int berth_engine_image_lookup(struct berth_engine *e, const char *name, char ret_id[BERTH_DIGEST_MAX],
			      struct berth_error *err);

struct berth_engine_pull {
	const char *image;		/* "busybox", "127.0.0.1:5000/x" */
	const char *tag;		/* docker's separate tag parameter, or NULL */
	const char *platform;		/* NULL: the host's */
	const struct berth_registry_credentials *credentials;
	const volatile int *cancel;
	berth_pull_progress_fn progress;
	void *progress_ctx;
};

struct berth_engine_pull_result {
	char id[BERTH_DIGEST_MAX];
	char target[BERTH_DIGEST_MAX];
	char familiar[1024];		/* "busybox:latest", as docker's Status line names it */
	bool updated;			/* false: the name already pointed at this image */
};

int berth_engine_pull(struct berth_engine *e, const struct berth_engine_pull *req,
		      struct berth_engine_pull_result *ret, struct berth_error *err);

/* docker tag SOURCE REPO[:TAG] */
int berth_engine_image_tag(struct berth_engine *e, const char *source, const char *repo, const char *tag,
			   struct berth_error *err);

/* docker rmi: a JSON array of {"Untagged": ref} and {"Deleted": id}. */
int berth_engine_image_remove(struct berth_engine *e, const char *name, bool force, bool noprune, json_t **ret,
			      struct berth_error *err);

/* docker image prune: {"ImagesDeleted": [...], "SpaceReclaimed": n}.
 * all: every image without a container, not only dangling ones. */
int berth_engine_image_prune(struct berth_engine *e, bool all, json_t *filters, json_t **ret,
			     struct berth_error *err);

/* The parsed image config and manifest of an image (references of the
 * caller). */
int berth_engine_image_config(struct berth_engine *e, const char *id, json_t **ret, struct berth_error *err);

/* Remove what no image needs; holds the GC lock exclusively.  flags:
 * berth_gc_flags. */
int berth_engine_gc(struct berth_engine *e, unsigned flags, struct berth_gc_stats *ret, struct berth_error *err);

/* ---- import (engine_import.c) ---- */

/* The largest archive docker import takes (as sent, and decompressed). */
#define BERTH_ENGINE_IMPORT_MAX (UINT64_C(64) << 30)

/* A new anonymous file under ROOT/tmp for an upload (O_TMPFILE, or a file
 * unlinked at once): nothing is left behind whatever happens.  The caller
 * closes it. */
int berth_engine_upload_file(struct berth_engine *e, struct berth_error *err);

/* An upload compressed with xz or bzip2, which the layer reader does not
 * read, decompressed into a new upload file (*ret_fd, at offset 0); *ret_fd
 * is -1 when the upload is read as it is (plain, gzip, zstd).  what starts
 * the messages ("import"); the output is bounded by BERTH_ENGINE_IMPORT_MAX. */
int berth_engine_upload_plain(struct berth_engine *e, int fd, const volatile int *cancel, const char *what,
			      int *ret_fd, struct berth_error *err);

struct berth_engine_import {
	int fd;				/* the archive, read from offset 0 */
	const char *repo, *tag;		/* docker's repo (may hold the tag) and tag; no repo: untagged */
	const char *message;		/* the history comment; NULL or "": "Imported from -" */
	const char *const *changes;	/* Dockerfile instructions (import_changes.h) */
	size_t n_changes;
	const char *platform;		/* "linux/arm64"; NULL or "": the host's */
	const volatile int *cancel;
};

/* What can be checked before the archive arrives: the name, the platform,
 * the changes. */
int berth_engine_import_check(struct berth_engine *e, const struct berth_engine_import *req,
			      struct berth_error *err);

/* docker import: the archive (a plain, gzip, zstd, xz or bzip2 tar) as a
 * one-layer image; *ret_id its ID.  A bad archive is EINVAL with the
 * unpacker's message, and leaves nothing stored. */
int berth_engine_import(struct berth_engine *e, const struct berth_engine_import *req, char ret_id[BERTH_DIGEST_MAX],
			struct berth_error *err);

/* ---- volumes (volumes.c; the rest of their API is in volumes.h) ---- */

/* The host directory of named volume `name`, created when missing (as
 * `docker run -v name:/x` does) and its driver options mounted; *ret_path
 * is malloc'ed.  berth_engine_volume_path_cb is the same with the engine
 * as a void *: container_spec.h's volume_path callback (volume_ctx = e). */
int berth_engine_volume_path(struct berth_engine *e, const char *name, char **ret_path, struct berth_error *err);
int berth_engine_volume_path_cb(void *engine, const char *name, char **ret_path, struct berth_error *err);

static inline void berth_engine_closep(struct berth_engine **e)
{
	berth_engine_close(*e);
}
