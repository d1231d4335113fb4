/* Image manifests, indexes (manifest lists) and image configs: OCI
 * image-spec v1.1 and Docker's schema 2, as a registry or an OCI layout
 * serves them.
 *
 * Every parser takes outside bytes and returns a self-contained structure
 * (strings copied, the JSON tree freed) or an error naming the JSON path of
 * the bad field: "manifest: layers[2].digest: invalid digest ...".  Sizes
 * and counts are bounded before anything is allocated for them.
 *
 * Schema 1 manifests are refused (ENOTSUP), as are artifacts whose config is
 * not an image config and layers berth cannot unpack.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "layer_reader.h" /* enum berth_compression */
#include "platform.h"

/* Bounds shared with the registry client and the content store. */
#define BERTH_MANIFEST_MAX (4u << 20)	  /* a manifest or index body */
#define BERTH_IMAGE_CONFIG_MAX (8u << 20) /* an image config body */
#define BERTH_MANIFEST_LAYERS_MAX 1000
#define BERTH_INDEX_ENTRIES_MAX 1000
#define BERTH_IMAGE_HISTORY_MAX 10000
/* A descriptor's size beyond this (1 TiB) is taken as hostile. */
#define BERTH_DESCRIPTOR_SIZE_MAX (INT64_C(1) << 40)
#define BERTH_DESCRIPTOR_URLS_MAX 16
#define BERTH_MEDIA_TYPE_MAX 255

#define BERTH_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BERTH_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BERTH_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BERTH_MEDIA_OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define BERTH_MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define BERTH_MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define BERTH_MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define BERTH_MEDIA_OCI_LAYER_ND "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define BERTH_MEDIA_OCI_LAYER_ND_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define BERTH_MEDIA_OCI_LAYER_ND_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define BERTH_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BERTH_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BERTH_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BERTH_MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define BERTH_MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define BERTH_MEDIA_DOCKER_LAYER_ZSTD "application/vnd.docker.image.rootfs.diff.tar.zstd"
#define BERTH_MEDIA_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar"
#define BERTH_MEDIA_DOCKER_FOREIGN_GZIP "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define BERTH_MEDIA_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define BERTH_MEDIA_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* The Accept header for fetching a manifest: every kind berth parses, and
 * schema 1 last, so that a registry holding only that sends it and the
 * parser refuses it by name rather than the registry saying "unknown". */
#define BERTH_MANIFEST_ACCEPT                                                              \
	BERTH_MEDIA_OCI_INDEX ", " BERTH_MEDIA_OCI_MANIFEST ", " BERTH_MEDIA_DOCKER_LIST ", " \
		BERTH_MEDIA_DOCKER_MANIFEST ", " BERTH_MEDIA_DOCKER_V1_SIGNED ";q=0.1"

enum berth_manifest_type {
	BERTH_MANIFEST_OCI_IMAGE,
	BERTH_MANIFEST_DOCKER_IMAGE,
	BERTH_MANIFEST_OCI_INDEX,
	BERTH_MANIFEST_DOCKER_LIST,
};

static inline bool berth_manifest_type_is_index(enum berth_manifest_type t)
{
	return t == BERTH_MANIFEST_OCI_INDEX || t == BERTH_MANIFEST_DOCKER_LIST;
}

/* The media type of a manifest type. */
const char *berth_manifest_type_media(enum berth_manifest_type t);

/* The type a manifest media type names (parameters such as "; charset=..."
 * and case ignored): 0 and *ret, -ENOTSUP for schema 1 or any other type. */
int berth_manifest_type_from_media(const char *media_type, enum berth_manifest_type *ret, struct berth_error *err);

/* What a manifest body is: its own mediaType field first, then the
 * content_type the server sent (NULL if none), then its shape (OCI allows
 * the field to be absent).  Schema 1 and unknown types are refused. */
int berth_manifest_detect(const char *body, size_t len, const char *content_type, enum berth_manifest_type *ret,
			  struct berth_error *err);

struct berth_descriptor {
	char *media_type;
	char digest[BERTH_DIGEST_MAX];
	int64_t size;
	char *artifact_type;	/* NULL when absent */
	char **urls;		/* NULL-terminated; NULL when absent */
	bool has_platform;
	struct berth_platform platform; /* normalised; valid with has_platform */
	json_t *annotations;	/* an object of strings owned here; NULL when absent */
};

struct berth_layer {
	struct berth_descriptor desc;
	/* What the media type says; the unpacker trusts the blob's first
	 * bytes over it, as docker does. */
	enum berth_compression compression;
	/* Docker's foreign and OCI's non-distributable layers: fetched from
	 * desc.urls when the registry lacks them, never pushed. */
	bool nondistributable;
};

struct berth_manifest {
	enum berth_manifest_type type;
	struct berth_descriptor config;
	struct berth_layer *layers;
	size_t n_layers;
	char *artifact_type; /* NULL when absent */
	bool has_subject;
	struct berth_descriptor subject;
	json_t *annotations; /* owned; NULL when absent */
};

struct berth_index {
	enum berth_manifest_type type;
	struct berth_descriptor *manifests;
	size_t n_manifests;
	json_t *annotations; /* owned; NULL when absent */
};

/* Parse an image manifest (OCI or Docker schema 2).  content_type as for
 * berth_manifest_detect.  An index, or a config that is not an image
 * config ("... is not a container image"), or an unknown layer type is
 * refused. */
int berth_manifest_parse(const char *body, size_t len, const char *content_type, struct berth_manifest **ret,
			 struct berth_error *err);
void berth_manifest_free(struct berth_manifest *m);
static inline void berth_manifest_freep(struct berth_manifest **m)
{
	berth_manifest_free(*m);
}
#define _cleanup_manifest_ __attribute__((cleanup(berth_manifest_freep)))

/* Parse an image index or Docker manifest list. */
int berth_index_parse(const char *body, size_t len, const char *content_type, struct berth_index **ret,
		      struct berth_error *err);
void berth_index_free(struct berth_index *idx);
static inline void berth_index_freep(struct berth_index **idx)
{
	berth_index_free(*idx);
}
#define _cleanup_index_ __attribute__((cleanup(berth_index_freep)))

/* The entry to pull for `want`: among entries that are manifests or nested
 * indexes, the first with the best berth_platform_rank, else the first
 * without a platform (the caller checks its config's platform, or walks a
 * nested index).  The pointer is borrowed from idx.  When nothing fits:
 * ENOENT, "no matching manifest for linux/amd64 in the manifest list
 * entries; the index offers linux/arm64/v8, linux/arm/v7". */
int berth_index_select(const struct berth_index *idx, const struct berth_platform *want,
		       const struct berth_descriptor **ret, struct berth_error *err);

/* Whether a config media type is an image config (OCI or Docker). */
bool berth_media_type_is_image_config(const char *media_type);

struct berth_history {
	char *created;    /* NULL when absent, as every string here */
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct berth_image_config {
	char *architecture; /* as written in the config */
	char *os;
	char *variant;	  /* NULL when absent */
	char *os_version; /* NULL when absent */
	struct berth_platform platform; /* the three above, normalised */
	char *created;	/* RFC 3339 as written; NULL when absent */
	char *author;	/* NULL when absent */
	json_t *config; /* the "config" object, a reference this holds; NULL when absent */
	char (*diff_ids)[BERTH_DIGEST_MAX];
	size_t n_diff_ids;
	struct berth_history *history;
	size_t n_history;
};

/* Parse an image config (application/vnd.oci.image.config.v1+json or
 * application/vnd.docker.container.image.v1+json).  rootfs.type must be
 * "layers", each diff_id a valid digest.  The number of non-empty history
 * entries is not checked against the layers: real images disagree. */
int berth_image_config_parse(const char *body, size_t len, struct berth_image_config **ret, struct berth_error *err);
void berth_image_config_free(struct berth_image_config *c);
static inline void berth_image_config_freep(struct berth_image_config **c)
{
	berth_image_config_free(*c);
}
#define _cleanup_image_config_ __attribute__((cleanup(berth_image_config_freep)))

/* A manifest and its config belong together: one diff_id per layer. */
int berth_manifest_check_config(const struct berth_manifest *m, const struct berth_image_config *c,
				struct berth_error *err);

/* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " +
 * DiffID(Ln)), as image-spec config.md defines.  out has n entries. */
int berth_chain_ids(const char (*diff_ids)[BERTH_DIGEST_MAX], size_t n, char (*out)[BERTH_DIGEST_MAX],
		    struct berth_error *err);
