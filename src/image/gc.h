/* Garbage collection of the content store and the snapshots: whatever no
 * image (and no other holder the caller names, such as a container) pins
 * is removed.  Callers make sure no pull runs meanwhile (the engine holds
 * its pull/GC lock), since a pull's blobs and snapshots are pinned only
 * once it records its image. */
#pragma once

#include <stdint.h>

#include "content.h"
#include "db.h"
#include "error.h"
#include "snapshot.h"

struct berth_gc_stats {
	uint64_t blobs_removed, snapshots_removed, ingests_removed;
	uint64_t bytes_reclaimed;
};

enum berth_gc_flags {
	/* Also remove ingest files nobody writes: partial downloads that a
	 * later pull would otherwise resume. */
	BERTH_GC_INGESTS = 1 << 0,
};

/* holds_snapshot (may be NULL) says whether something besides images uses
 * a committed snapshot (1), or not (0). */
int berth_gc_run(struct berth_db *db, struct berth_content *cs, struct berth_snapshotter *sn, unsigned flags,
		 int (*holds_snapshot)(const char *key, void *ctx), void *ctx, struct berth_gc_stats *ret,
		 struct berth_error *err);
