#include "gc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"

struct gc {
	struct berth_db *db;
	struct berth_content *cs;
	struct berth_snapshotter *sn;
	int (*holds_snapshot)(const char *key, void *ctx);
	void *ctx;
	struct berth_gc_stats *stats;
	struct berth_error *err;
	bool progress;
};

static int sweep_snapshot(const char *key, const char *parent, int64_t size, void *data)
{
	(void) parent;
	struct gc *g = data;
	int r = berth_images_snapshot_used(g->db, key, g->err);
	if (r == 0 && g->holds_snapshot)
		r = g->holds_snapshot(key, g->ctx);
	if (r != 0)
		return r < 0 ? r : 0;
	r = berth_snapshot_remove(g->sn, key, g->err);
	if (r == -EBUSY) {
		berth_error_clear(g->err); /* a child goes first; the next round takes this one */
		return 0;
	}
	if (r < 0)
		return r;
	g->stats->snapshots_removed++;
	g->stats->bytes_reclaimed += (uint64_t) (size > 0 ? size : 0);
	g->progress = true;
	return 0;
}

static int sweep_blob(const char *digest, int64_t size, void *data)
{
	struct gc *g = data;
	int r = berth_images_blob_used(g->db, digest, g->err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = berth_content_delete(g->cs, digest, g->err);
	if (r < 0)
		return r;
	g->stats->blobs_removed++;
	g->stats->bytes_reclaimed += (uint64_t) (size > 0 ? size : 0);
	return 0;
}

int berth_gc_run(struct berth_db *db, struct berth_content *cs, struct berth_snapshotter *sn, unsigned flags,
		 int (*holds_snapshot)(const char *key, void *ctx), void *ctx, struct berth_gc_stats *ret,
		 struct berth_error *err)
{
	struct berth_gc_stats stats = { 0 };
	struct gc g = { db, cs, sn, holds_snapshot, ctx, &stats, err, true };
	int r = 0;
	/* Children before parents: each round removes the leaves. */
	for (int round = 0; r == 0 && g.progress && round < 1000; round++) {
		g.progress = false;
		r = berth_snapshot_walk(sn, sweep_snapshot, &g, err);
	}
	if (r == 0)
		r = berth_content_walk(cs, sweep_blob, &g, err);
	if (r == 0 && (flags & BERTH_GC_INGESTS)) {
		int n = berth_content_prune_ingests(cs, err);
		if (n < 0)
			r = n;
		else
			stats.ingests_removed = (uint64_t) n;
	}
	if (ret)
		*ret = stats;
	return r < 0 ? berth_error_wrap(err, "garbage collection") : 0;
}
