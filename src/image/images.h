/* The image store: which images the daemon has, and the names they go by,
 * in the metadata database.
 *
 * An image is its config digest (the image ID).  Names are references:
 * tags ("docker.io/library/busybox:latest") and digests
 * ("docker.io/library/busybox@sha256:..." for what a tag or digest pull
 * resolved to, docker's RepoDigests).  An image pins blobs (its index,
 * manifest, config and layers) and its layer snapshots; garbage collection
 * keeps exactly what some image pins. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "digest.h"
#include "error.h"
#include "pull.h"

struct berth_image {
	char id[BERTH_DIGEST_MAX];
	char manifest[BERTH_DIGEST_MAX];
	char *top_snapshot;     /* NULL for an image without layers */
	int64_t size;
	int64_t created;        /* when it arrived here (Unix seconds) */
	char **tags;            /* full references, NULL-terminated */
	char **digests;         /* full name@digest references, NULL-terminated */
	char **layers;          /* chain IDs, base first, NULL-terminated */
	char **diff_ids;        /* NULL-terminated */
};
void berth_image_clear(struct berth_image *img);
void berth_images_free(struct berth_image *imgs, size_t n);

int berth_images_init(struct berth_db *db, struct berth_error *err);

/* Record a pulled image under `tag_ref` (a full tag reference, or NULL for
 * a pull by digest) and `digest_ref` (name@digest, or NULL).  A tag that
 * named another image moves; *ret_replaced (may be NULL) gets that image's
 * ID, "" when the tag is new or already named this image. */
int berth_images_put(struct berth_db *db, const struct berth_pulled_image *img, const char *tag_ref,
		     const char *digest_ref, char ret_replaced[BERTH_DIGEST_MAX], struct berth_error *err);

/* The image a full reference (tag or name@digest) names: its ID, -ENOENT. */
int berth_images_resolve_ref(struct berth_db *db, const char *ref, char ret_id[BERTH_DIGEST_MAX],
			     struct berth_error *err);

/* The image whose ID starts with prefix (hex, with or without "sha256:"),
 * at least 1 character: -ENOENT, or -EINVAL when several match. */
int berth_images_resolve_id(struct berth_db *db, const char *prefix, char ret_id[BERTH_DIGEST_MAX],
			    struct berth_error *err);

int berth_images_get(struct berth_db *db, const char *id, struct berth_image *ret, struct berth_error *err);
int berth_images_list(struct berth_db *db, struct berth_image **ret, size_t *ret_n, struct berth_error *err);

/* Add a tag (a full tag reference) to an image; a tag naming another image moves. */
int berth_images_tag(struct berth_db *db, const char *id, const char *tag_ref, char ret_replaced[BERTH_DIGEST_MAX],
		     struct berth_error *err);

/* Remove one name (tag or digest reference); -ENOENT when it names nothing. */
int berth_images_untag(struct berth_db *db, const char *ref, struct berth_error *err);

/* Remove an image and its names. */
int berth_images_delete(struct berth_db *db, const char *id, struct berth_error *err);

/* Whether any image pins blob `digest` / snapshot `chain_id`. */
int berth_images_blob_used(struct berth_db *db, const char *digest, struct berth_error *err);
int berth_images_snapshot_used(struct berth_db *db, const char *chain_id, struct berth_error *err);
