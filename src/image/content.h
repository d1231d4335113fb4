/* The content store: blobs named by their digest.
 *
 *   <root>/blobs/<algo>/<hex>    verified, immutable
 *   <root>/ingest/<algo>-<hex>   a blob being written (kept for resume)
 *
 * A blob becomes visible under blobs/ only after its size and digest were
 * checked and its data reached the disk (write to the ingest file, fsync,
 * rename, fsync the directory), so whatever is in blobs/ can be trusted
 * without rehashing.  One writer per blob: the ingest file is flock()ed by
 * its writer; a second pull of the same blob is told EBUSY and waits for the
 * blob to appear instead of downloading it again.  The store is safe to use
 * from several threads: it has no mutable state of its own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

struct berth_content;

/* Open (creating it if needed) the store at dirfd/path. */
int berth_content_open(int dirfd, const char *path, struct berth_content **ret, struct berth_error *err);
void berth_content_free(struct berth_content *cs);

/* 0 when the blob exists (its size in *ret_size, may be NULL); -ENOENT if not. */
int berth_content_stat(struct berth_content *cs, const char *digest, int64_t *ret_size, struct berth_error *err);

/* An O_RDONLY descriptor on a committed blob. */
int berth_content_open_blob(struct berth_content *cs, const char *digest, struct berth_error *err);

/* A whole (small) blob into a NUL-terminated buffer; larger than max: -EFBIG. */
int berth_content_read(struct berth_content *cs, const char *digest, size_t max, char **ret, size_t *ret_len,
		       struct berth_error *err);

/* Store a blob held in memory, verified against expected_digest.  Already
 * there: 0.  Another writer of the same blob is waited for (30 s at most). */
int berth_content_write(struct berth_content *cs, const char *expected_digest, const void *data, size_t len,
			struct berth_error *err);

int berth_content_delete(struct berth_content *cs, const char *digest, struct berth_error *err);

/* Call fn for each committed blob; a negative return from fn stops the walk. */
int berth_content_walk(struct berth_content *cs, int (*fn)(const char *digest, int64_t size, void *ctx), void *ctx,
		       struct berth_error *err);

/* Remove ingest files nobody is writing (after an interrupted pull that will
 * not be resumed).  Returns the number removed. */
int berth_content_prune_ingests(struct berth_content *cs, struct berth_error *err);

struct berth_ingest;

/* Start (or resume) writing the blob `digest` of `size` bytes.
 *   -EEXIST  the blob is already committed: nothing to do
 *   -EBUSY   another writer holds it: wait for it to appear
 * A partial file left by an earlier attempt is resumed: its bytes are hashed
 * again and writing continues at berth_ingest_offset(). */
int berth_ingest_begin(struct berth_content *cs, const char *digest, int64_t size, struct berth_ingest **ret,
		       struct berth_error *err);

uint64_t berth_ingest_offset(const struct berth_ingest *ing);

/* Append; more bytes than the declared size is an error (EFBIG). */
int berth_ingest_write(struct berth_ingest *ing, const void *data, size_t len, struct berth_error *err);

/* Throw away what was written and start again at offset 0. */
int berth_ingest_restart(struct berth_ingest *ing, struct berth_error *err);

/* A new read-only descriptor on the ingest file, for a reader that follows
 * the writer (unpacking while downloading).  It stays valid after commit. */
int berth_ingest_open_reader(struct berth_ingest *ing, struct berth_error *err);

/* Check size and digest, make the data durable and publish the blob.  On a
 * mismatch the partial file is removed and -EBADMSG returned. */
int berth_ingest_commit(struct berth_ingest *ing, struct berth_error *err);

/* Remove the partial file (its data is known bad). */
void berth_ingest_discard(struct berth_ingest *ing);

/* Close and unlock; an uncommitted partial file stays for a later resume. */
void berth_ingest_free(struct berth_ingest *ing);

static inline void berth_content_freep(struct berth_content **cs)
{
	berth_content_free(*cs);
}
static inline void berth_ingest_freep(struct berth_ingest **ing)
{
	berth_ingest_free(*ing);
}
#define _cleanup_content_ __attribute__((cleanup(berth_content_freep)))
#define _cleanup_ingest_ __attribute__((cleanup(berth_ingest_freep)))
