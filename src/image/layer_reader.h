/* The uncompressed tar stream of a layer blob, and its diff_id.
 *
 * A layer is stored compressed (gzip or zstd, sometimes not at all); its
 * diff_id (the sha256 that the image config's rootfs.diff_ids lists) is the
 * digest of the *uncompressed* tar.  The reader decompresses and hashes in
 * the same pass, so the layer is read exactly once, straight from the
 * download, with fixed buffers whatever the layer's size.
 *
 *     struct berth_layer_source src = { my_read, my_ctx };
 *     _cleanup_layer_reader_ struct berth_layer_reader *r = NULL;
 *     berth_layer_reader_new(&src, &r, err);
 *     while ((n = berth_layer_reader_read(r, buf, sizeof(buf), err)) > 0)
 *             ...;
 *     berth_layer_reader_finish(r, diff_id, &size, err);
 *
 * The compression is recognised from the first bytes, as docker does, not
 * from the media type: registries and old tools mislabel layers.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

/* Where the compressed bytes come from.  read() fills up to len bytes and
 * returns how many, 0 at the end of the blob, or a negative errno after
 * filling err.  It may block (a download still appending) and may return
 * fewer bytes than asked for. */
struct berth_layer_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct berth_error *err);
	void *ctx;
};

/* A source reading an fd until EOF (a blob already in the content store);
 * the fd stays the caller's. */
struct berth_layer_source berth_layer_source_fd(int fd);

enum berth_compression {
	BERTH_COMPRESSION_NONE,
	BERTH_COMPRESSION_GZIP,
	BERTH_COMPRESSION_ZSTD,
};

/* "none", "gzip", "zstd" */
const char *berth_compression_name(enum berth_compression c);

struct berth_layer_reader;

/* Peeks at the first bytes of the source to pick the decompressor; the
 * source must stay valid until the reader is freed. */
int berth_layer_reader_new(const struct berth_layer_source *source, struct berth_layer_reader **ret,
			   struct berth_error *err);

/* Up to len bytes of the uncompressed stream; 0 at its end, or -errno with
 * err saying what is wrong with the compressed data (corrupt, truncated,
 * trailing garbage) or what the source reported.  After an error every
 * later call fails the same way. */
ssize_t berth_layer_reader_read(struct berth_layer_reader *r, void *buf, size_t len, struct berth_error *err);

/* Read the rest of the stream (whatever follows the tar's end-of-archive
 * blocks is part of the diff_id too), check that the compressed data ended
 * cleanly, and report the diff_id ("sha256:<hex>") and the uncompressed
 * size (either may be NULL). */
int berth_layer_reader_finish(struct berth_layer_reader *r, char diff_id[BERTH_DIGEST_MAX],
			      uint64_t *ret_uncompressed_size, struct berth_error *err);

enum berth_compression berth_layer_reader_compression(const struct berth_layer_reader *r);

/* Bytes taken from the source so far (the compressed size, after finish). */
uint64_t berth_layer_reader_compressed_size(const struct berth_layer_reader *r);

void berth_layer_reader_free(struct berth_layer_reader *r);

static inline void berth_layer_reader_freep(struct berth_layer_reader **r)
{
	berth_layer_reader_free(*r);
}
#define _cleanup_layer_reader_ __attribute__((cleanup(berth_layer_reader_freep)))
