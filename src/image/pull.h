/* Pulling an image: resolve the reference to a manifest for the wanted
 * platform, fetch its config, then get every layer into a snapshot.
 *
 * Layers are downloaded several at a time (3 by default), each straight
 * into the content store, and unpacked while they download: the unpacker
 * follows the ingest file as it grows, so a layer's extraction ends moments
 * after its last byte arrives.  With the overlay driver all layers of an
 * image unpack in parallel (each is its own lower dir); with the copy
 * driver in order.  A snapshot is committed only after both the blob's
 * digest and the layer's diff_id were checked.  Failed transfers are
 * retried with backoff and resumed where they stopped (HTTP Range).
 *
 * The pull reports its progress as docker does, per layer, through a
 * callback that is called from one thread at a time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "content.h"
#include "digest.h"
#include "error.h"
#include "platform.h"
#include "reference.h"
#include "registries_conf.h"
#include "registry_auth.h"
#include "snapshot.h"

enum berth_pull_event_kind {
	BERTH_PULL_RESOLVED,	/* "Pulling from library/busybox", id: the tag */
	BERTH_PULL_LAYER,	/* a layer changed state or made progress */
	BERTH_PULL_DIGEST,	/* "Digest: sha256:..." */
};

enum berth_layer_state {
	BERTH_LAYER_ALREADY_EXISTS,
	BERTH_LAYER_PULLING,	 /* "Pulling fs layer" */
	BERTH_LAYER_WAITING,	 /* for a download slot, or for another pull of the same blob */
	BERTH_LAYER_DOWNLOADING, /* current/total bytes */
	BERTH_LAYER_RETRYING,	 /* retry_in seconds */
	BERTH_LAYER_VERIFYING,
	BERTH_LAYER_DOWNLOADED,	 /* "Download complete" */
	BERTH_LAYER_EXTRACTING,	 /* current/total compressed bytes consumed */
	BERTH_LAYER_COMPLETE,	 /* "Pull complete" */
};

struct berth_pull_event {
	enum berth_pull_event_kind kind;
	const char *id;	     /* the layer's short digest, the tag, or NULL */
	enum berth_layer_state state;
	uint64_t current, total;
	int retry_in;
	const char *text;     /* RESOLVED: the repository's familiar name; DIGEST: the digest */
};

typedef void (*berth_pull_progress_fn)(void *ctx, const struct berth_pull_event *ev);

/* What the pull works with: shared by every pull of a daemon. */
struct berth_pull_env {
	struct berth_content *content;
	struct berth_snapshotter *snapshots;
	const struct berth_registries *registries; /* insecure hosts, mirrors; may be NULL */
	const char *certs_dir;			    /* /etc/docker/certs.d */
	int max_concurrent_downloads;		    /* 0: 3 */
	int max_attempts;			    /* 0: 5 */
	int retry_base_ms;			    /* 0: 1000 (then doubled each time) */
	const volatile int *shutdown;		    /* non-zero stops every pull (daemon exit) */
};

struct berth_pull_options {
	const struct berth_reference *ref;	/* with a tag or a digest */
	const struct berth_platform *platform;	/* NULL: the host's */
	const struct berth_registry_credentials *credentials; /* NULL: anonymous */
	const volatile int *cancel;
	berth_pull_progress_fn progress;
	void *progress_ctx;
};

/* What was pulled, for the image store. */
struct berth_pulled_image {
	char id[BERTH_DIGEST_MAX];	       /* the config digest: the image ID */
	char manifest[BERTH_DIGEST_MAX];       /* the platform's manifest */
	char target[BERTH_DIGEST_MAX];	       /* what the reference resolved to (index or manifest) */
	char *top_snapshot;		       /* chain ID of the last layer; NULL without layers */
	char (*chain_ids)[BERTH_DIGEST_MAX];
	char (*diff_ids)[BERTH_DIGEST_MAX];
	char (*layer_blobs)[BERTH_DIGEST_MAX];
	size_t n_layers;
	char **blobs;			       /* every blob the image pins (index, manifest, config, layers) */
	size_t n_blobs;
	int64_t size;			       /* unpacked bytes of all layers */
	struct berth_platform platform;
	bool downloaded;		       /* false: everything was here already */
};
void berth_pulled_image_clear(struct berth_pulled_image *p);

int berth_pull(const struct berth_pull_env *env, const struct berth_pull_options *opts, struct berth_pulled_image *ret,
	       struct berth_error *err);
