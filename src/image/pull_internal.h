/* Shared by pull.c (resolving and running a pull) and pull_layer.c (one
 * layer: its download and its unpack).  Not part of the API. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"
#include "pull.h"
#include "registry.h"

struct pull;

struct layer_job {
	struct pull *p;
	size_t index;
	const struct berth_layer *layer;
	const char *diff_id;
	const char *chain_id;
	const char *parent_chain; /* NULL for the base layer */
	char short_id[13];
	pthread_t unpacker, downloader;
	bool unpacker_started, downloader_started;

	/* Guarded by p->lock. */
	enum berth_layer_state state;
	int source_fd;		/* what the unpacker reads: the ingest file or the blob */
	bool source_ready;	/* source_fd is set */
	uint64_t written;	/* bytes of the blob in source_fd so far */
	bool download_done;	/* the blob is verified and committed */
	bool download_failed;
	bool downloaded;	/* it came from the registry, not the store */
	bool finished;		/* the snapshot exists (committed by us or another) */
	bool failed;
	uint64_t consumed;	/* bytes the unpacker read */
	int64_t size;		/* unpacked bytes */
	int64_t last_report_ms;
};

struct pull {
	const struct berth_pull_env *env;
	const struct berth_pull_options *opts;
	struct berth_registry *reg;
	struct berth_manifest *manifest;
	struct berth_image_config *config;
	bool config_was_local; /* the image is here already: docker reports no layer */
	char (*chain_ids)[BERTH_DIGEST_MAX];
	struct layer_job *jobs;
	size_t n_jobs;

	pthread_mutex_t lock;
	pthread_cond_t changed;
	int downloads_running;
	int max_downloads;
	/* Set by the caller to stop, and by the first failure to stop the rest. */
	volatile int stop;
	int error;
	struct berth_error first_err;
};

/* Report a layer's state (with p->lock held). */
void pull_report_layer(struct pull *p, struct layer_job *j, enum berth_layer_state state, uint64_t current,
		       uint64_t total, int retry_in);

/* Record the first failure and stop everything else (p->lock held). */
void pull_fail(struct pull *p, int r, const struct berth_error *err);

bool pull_stopped(struct pull *p);

/* Wait on p->changed (p->lock held), at most a quarter second. */
void pull_wait(struct pull *p);

/* Start the threads of one layer that needs work. */
int pull_layer_start(struct layer_job *j, struct berth_error *err);
void pull_layer_join(struct layer_job *j);

int64_t pull_now_ms(void);
