#include "layer_reader.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "cleanup.h"

/* Large enough that a read of the source, an inflate call and a hash update
 * each move a lot of bytes per call; small enough to keep several unpacks
 * running side by side cheap. */
#define IN_BUF_SIZE (256 * 1024)

/* zstd frames may ask for windows up to 2^31 bytes; the decoder refuses
 * anything above 2^27 (128 MiB, zstd's own default) so that a hostile layer
 * cannot make us allocate gigabytes.  `zstd --long=27` and below decode. */
#define ZSTD_WINDOW_LOG_MAX 27

struct berth_layer_reader {
	struct berth_layer_source src;
	enum berth_compression comp;

	unsigned char *in; /* compressed bytes read ahead from the source */
	size_t in_pos, in_len;
	bool src_eof;

	bool done; /* the uncompressed stream has ended */
	int failed; /* first failure (-errno), repeated by every later call */
	struct berth_error failure;

	z_stream z;
	bool z_ready;
	bool member_ended; /* between two gzip members */
	uint64_t members;

	ZSTD_DCtx *zd;
	bool zstd_in_frame; /* input of a frame consumed, and its end not yet reached */

	struct berth_hasher *hasher;
	uint64_t in_total, out_total;
};

static ssize_t fd_source_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	int fd = (int) (intptr_t) ctx;

	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return berth_error_sys(err, errno, "read layer blob");
	}
}

struct berth_layer_source berth_layer_source_fd(int fd)
{
	return (struct berth_layer_source){ .read = fd_source_read, .ctx = (void *) (intptr_t) fd };
}

const char *berth_compression_name(enum berth_compression c)
{
	switch (c) {
	case BERTH_COMPRESSION_GZIP:
		return "gzip";
	case BERTH_COMPRESSION_ZSTD:
		return "zstd";
	case BERTH_COMPRESSION_NONE:
		break;
	}
	return "none";
}

/* Remember the failure so that a caller who retries (or finish() after a
 * failed read) gets the real cause rather than a confusing second error. */
static ssize_t reader_fail(struct berth_layer_reader *r, int code, struct berth_error *err)
{
	r->failed = code;
	r->failure = *err;
	return code;
}

/* Make at least `want` unconsumed bytes available, unless the source ends
 * first.  Unconsumed bytes move to the front so the rest of the buffer can
 * be filled; a source read may return little, so loop. */
static int source_fill(struct berth_layer_reader *r, size_t want, struct berth_error *err)
{
	if (r->in_pos > 0) {
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	while (r->in_len < want && !r->src_eof) {
		size_t room = IN_BUF_SIZE - r->in_len;
		ssize_t n = r->src.read(r->src.ctx, r->in + r->in_len, room, err);
		if (n < 0)
			return berth_error_wrap(err, "read layer after %llu compressed bytes",
						(unsigned long long) r->in_total);
		if ((size_t) n > room)
			return berth_error_set(err, EIO, "read layer: the source returned %zd bytes for %zu", n, room);
		if (n == 0)
			r->src_eof = true;
		r->in_len += (size_t) n;
		r->in_total += (uint64_t) n;
	}
	return 0;
}

static size_t in_avail(const struct berth_layer_reader *r)
{
	return r->in_len - r->in_pos;
}

static ssize_t plain_read(struct berth_layer_reader *r, void *buf, size_t len, struct berth_error *err)
{
	ssize_t n;

	/* First hand out what detection peeked at; then read straight into the
	 * caller's buffer, with no copy. */
	if (in_avail(r) > 0) {
		size_t k = in_avail(r) < len ? in_avail(r) : len;
		memcpy(buf, r->in + r->in_pos, k);
		r->in_pos += k;
		return (ssize_t) k;
	}
	if (r->src_eof)
		return 0;
	n = r->src.read(r->src.ctx, buf, len, err);
	if (n < 0)
		return berth_error_wrap(err, "read layer after %llu bytes", (unsigned long long) r->in_total);
	if ((size_t) n > len)
		return berth_error_set(err, EIO, "read layer: the source returned %zd bytes for %zu", n, len);
	if (n == 0)
		r->src_eof = true;
	r->in_total += (uint64_t) n;
	return n;
}

/* Docker (Go's gzip reader) reads concatenated members as one stream, and so
 * do we; anything after a member that is not another member is an error
 * there too, so such a blob fails here the same way. */
static int gzip_next_member(struct berth_layer_reader *r, struct berth_error *err)
{
	int q = source_fill(r, 2, err);

	if (q < 0)
		return q;
	if (in_avail(r) == 0) {
		r->done = true;
		return 0;
	}
	if (in_avail(r) < 2 || r->in[r->in_pos] != 0x1f || r->in[r->in_pos + 1] != 0x8b)
		return berth_error_set(err, EINVAL,
				       "gzip layer: data after member %llu (at compressed byte %llu) is not a gzip member",
				       (unsigned long long) r->members,
				       (unsigned long long) (r->in_total - in_avail(r)));
	if (inflateReset(&r->z) != Z_OK)
		return berth_error_set(err, EINVAL, "gzip layer: cannot reset the decompressor");
	r->member_ended = false;
	return 0;
}

static ssize_t gzip_read(struct berth_layer_reader *r, void *buf, size_t len, struct berth_error *err)
{
	uInt out_len = len > UINT_MAX ? UINT_MAX : (uInt) len;

	for (;;) {
		size_t before;
		int q, zr;

		if (r->member_ended) {
			if ((q = gzip_next_member(r, err)) < 0)
				return q;
			if (r->done)
				return 0;
		}
		if (in_avail(r) == 0 && (q = source_fill(r, 1, err)) < 0)
			return q;
		before = in_avail(r);
		r->z.next_in = r->in + r->in_pos;
		r->z.avail_in = (uInt) before;
		r->z.next_out = buf;
		r->z.avail_out = out_len;
		zr = inflate(&r->z, Z_NO_FLUSH);
		r->in_pos += before - r->z.avail_in;
		if (zr == Z_STREAM_END) {
			r->member_ended = true;
			r->members++;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return berth_error_set(err, EINVAL, "gzip layer: corrupt data in member %llu near compressed byte %llu: %s",
					       (unsigned long long) r->members + 1,
					       (unsigned long long) (r->in_total - in_avail(r)),
					       r->z.msg ? r->z.msg : "inflate failed");
		}
		if (out_len - r->z.avail_out > 0)
			return (ssize_t) (out_len - r->z.avail_out);
		if (!r->member_ended && in_avail(r) == 0 && r->src_eof)
			return berth_error_set(err, EINVAL,
					       "gzip layer: truncated: the compressed data ends inside member %llu "
					       "after %llu bytes",
					       (unsigned long long) r->members + 1, (unsigned long long) r->in_total);
	}
}

/* ZSTD_decompressStream runs from one frame into the next by itself and
 * skips skippable frames; it returns 0 when it completes one.  Between
 * frames it asks for the next header, so "not 0" alone does not mean the
 * stream is cut: what does is input taken since the last frame's end. */
static ssize_t zstd_read(struct berth_layer_reader *r, void *buf, size_t len, struct berth_error *err)
{
	for (;;) {
		ZSTD_inBuffer ib;
		ZSTD_outBuffer ob = { .dst = buf, .size = len, .pos = 0 };
		size_t zr;
		int q;

		if (in_avail(r) == 0 && (q = source_fill(r, 1, err)) < 0)
			return q;
		ib = (ZSTD_inBuffer){ .src = r->in, .size = r->in_len, .pos = r->in_pos };
		zr = ZSTD_decompressStream(r->zd, &ob, &ib);
		if (ZSTD_isError(zr))
			return berth_error_set(err, EINVAL, "zstd layer: corrupt data near compressed byte %llu: %s",
					       (unsigned long long) (r->in_total - in_avail(r)), ZSTD_getErrorName(zr));
		if (ib.pos > r->in_pos)
			r->zstd_in_frame = true;
		if (zr == 0)
			r->zstd_in_frame = false;
		r->in_pos = ib.pos;
		if (ob.pos > 0)
			return (ssize_t) ob.pos;
		if (in_avail(r) == 0 && r->src_eof) {
			if (r->zstd_in_frame)
				return berth_error_set(err, EINVAL,
						       "zstd layer: truncated: the compressed data ends inside a frame "
						       "after %llu bytes",
						       (unsigned long long) r->in_total);
			return 0;
		}
	}
}

static enum berth_compression detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return BERTH_COMPRESSION_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return BERTH_COMPRESSION_ZSTD;
	/* A zstd stream may open with a skippable frame (magic 0x184D2A5?),
	 * as containerd recognises too. */
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
		return BERTH_COMPRESSION_ZSTD;
	return BERTH_COMPRESSION_NONE;
}

static int decoder_init(struct berth_layer_reader *r, struct berth_error *err)
{
	if (r->comp == BERTH_COMPRESSION_GZIP) {
		/* 16 + MAX_WBITS: gzip framing only, with the CRC and length
		 * of every member checked at its end. */
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
			return berth_error_set(err, ENOMEM, "gzip layer: cannot set up the decompressor");
		r->z_ready = true;
	} else if (r->comp == BERTH_COMPRESSION_ZSTD) {
		r->zd = ZSTD_createDCtx();
		if (r->zd == NULL)
			return berth_error_set(err, ENOMEM, "zstd layer: cannot set up the decompressor");
		if (ZSTD_isError(ZSTD_DCtx_setParameter(r->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			return berth_error_set(err, EINVAL, "zstd layer: cannot limit the window size");
	}
	return 0;
}

int berth_layer_reader_new(const struct berth_layer_source *source, struct berth_layer_reader **ret,
			   struct berth_error *err)
{
	_cleanup_layer_reader_ struct berth_layer_reader *r = NULL;
	int q;

	if (source == NULL || source->read == NULL)
		return berth_error_set(err, EINVAL, "layer reader: no source");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return berth_error_sys(err, ENOMEM, "allocate layer reader");
	r->src = *source;
	r->in = malloc(IN_BUF_SIZE);
	if (r->in == NULL)
		return berth_error_sys(err, ENOMEM, "allocate layer reader buffer");
	if ((q = berth_hasher_new(BERTH_DIGEST_SHA256, &r->hasher, err)) < 0)
		return q;
	/* Four bytes tell every format apart; a shorter blob is plain data
	 * (and not a valid tar, which the tar reader will say). */
	if ((q = source_fill(r, 4, err)) < 0)
		return q;
	r->comp = detect(r->in, r->in_len);
	if ((q = decoder_init(r, err)) < 0)
		return q;
	*ret = berth_steal_ptr(&r);
	return 0;
}

ssize_t berth_layer_reader_read(struct berth_layer_reader *r, void *buf, size_t len, struct berth_error *err)
{
	ssize_t n;
	int q;

	if (r->failed) {
		*err = r->failure;
		return r->failed;
	}
	if (r->done || len == 0)
		return 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	switch (r->comp) {
	case BERTH_COMPRESSION_GZIP:
		n = gzip_read(r, buf, len, err);
		break;
	case BERTH_COMPRESSION_ZSTD:
		n = zstd_read(r, buf, len, err);
		break;
	case BERTH_COMPRESSION_NONE:
	default:
		n = plain_read(r, buf, len, err);
		break;
	}
	if (n < 0)
		return reader_fail(r, (int) n, err);
	if (n == 0) {
		r->done = true;
		return 0;
	}
	if ((q = berth_hasher_update(r->hasher, buf, (size_t) n, err)) < 0)
		return reader_fail(r, q, err);
	r->out_total += (uint64_t) n;
	return n;
}

int berth_layer_reader_finish(struct berth_layer_reader *r, char diff_id[BERTH_DIGEST_MAX],
			      uint64_t *ret_uncompressed_size, struct berth_error *err)
{
	_cleanup_free_ unsigned char *scratch = NULL;
	char digest[BERTH_DIGEST_MAX];
	ssize_t n;
	int q;

	if (!r->done && !r->failed) {
		scratch = malloc(IN_BUF_SIZE);
		if (scratch == NULL)
			return berth_error_sys(err, ENOMEM, "allocate layer reader buffer");
	}
	do
		n = berth_layer_reader_read(r, scratch, IN_BUF_SIZE, err);
	while (n > 0);
	if (n < 0)
		return (int) n;
	if ((q = berth_hasher_final(r->hasher, digest, err)) < 0)
		return reader_fail(r, q, err);
	/* The hasher was reset by final: make a second finish fail rather
	 * than report the digest of nothing. */
	berth_error_set(&r->failure, EALREADY, "layer reader: already finished");
	r->failed = -EALREADY;
	if (diff_id)
		memcpy(diff_id, digest, sizeof(digest));
	if (ret_uncompressed_size)
		*ret_uncompressed_size = r->out_total;
	return 0;
}

enum berth_compression berth_layer_reader_compression(const struct berth_layer_reader *r)
{
	return r->comp;
}

uint64_t berth_layer_reader_compressed_size(const struct berth_layer_reader *r)
{
	return r->in_total;
}

void berth_layer_reader_free(struct berth_layer_reader *r)
{
	int saved;

	if (r == NULL)
		return;
	saved = errno;
	if (r->z_ready)
		inflateEnd(&r->z);
	ZSTD_freeDCtx(r->zd);
	berth_hasher_free(r->hasher);
	free(r->in);
	free(r);
	errno = saved;
}
