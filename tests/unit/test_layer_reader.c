/* The layer reader: decompression picked by magic, the diff_id computed on
 * the uncompressed bytes, and clear errors for damaged streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <unistd.h>
#include <zstd.h>

#include "cleanup.h"
#include "digest.h"
#include "layer_reader.h"

/* ---- test data ---- */

struct blob {
	unsigned char *p;
	size_t len, cap;
};

static void blob_add(struct blob *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* A tar with a few files, some of them large enough to span many reader
 * buffers; `filter` is an ARCHIVE_FILTER_* to compress with libarchive. */
static struct blob make_tar(int filter)
{
	struct blob b = { .cap = 8 << 20 };
	struct archive *a = archive_write_new();
	size_t used = 0;

	b.p = malloc(b.cap);
	assert_non_null(b.p);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, b.p, b.cap, &used), ARCHIVE_OK);
	for (int i = 0; i < 4; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t size = i == 2 ? 3 << 20 : (size_t) i * 1000;
		unsigned char *data = malloc(size + 1);
		char name[32];
		/* Half compressible, half noise. */
		for (size_t k = 0; k < size; k++)
			data[k] = (unsigned char) (k % 7 == 0 ? rand() : (int) (k / 512));
		snprintf(name, sizeof(name), "file%d", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t) size);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, size), (la_ssize_t) size);
		archive_entry_free(e);
		free(data);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	b.len = used;
	return b;
}

static struct blob gzip_member(const unsigned char *p, size_t n)
{
	struct blob out = { 0 };
	z_stream z = { 0 };
	unsigned char buf[65536];
	int r;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *) p;
	z.avail_in = (uInt) n;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		r = deflate(&z, Z_FINISH);
		blob_add(&out, buf, sizeof(buf) - z.avail_out);
	} while (r == Z_OK);
	assert_int_equal(r, Z_STREAM_END);
	deflateEnd(&z);
	return out;
}

static void zstd_frame(struct blob *out, const unsigned char *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n), r;
	unsigned char *buf = malloc(cap);

	r = ZSTD_compress(buf, cap, p, n, 3);
	assert_false(ZSTD_isError(r));
	blob_add(out, buf, r);
	free(buf);
}

static void zstd_skippable(struct blob *out, size_t n)
{
	unsigned char hdr[8] = { 0x53, 0x2a, 0x4d, 0x18, (unsigned char) n, (unsigned char) (n >> 8), 0, 0 };
	blob_add(out, hdr, sizeof(hdr));
	for (size_t i = 0; i < n; i++)
		blob_add(out, "s", 1);
}

/* ---- a source over memory, with short reads and injected failures ---- */

struct memsrc {
	const unsigned char *p;
	size_t len, pos, chunk;
	size_t fail_at; /* 0: never */
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct memsrc *m = ctx;
	size_t n = m->len - m->pos;

	if (m->fail_at && m->pos >= m->fail_at)
		return berth_error_set(err, ECONNRESET, "download of blob interrupted");
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	if (n > 0)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t) n;
}

/* Read it all through the reader; 0 and the diff_id, or the error. */
static int read_all(const struct blob *b, size_t chunk, enum berth_compression *comp, char diff_id[BERTH_DIGEST_MAX],
		    uint64_t *size, struct berth_error *err)
{
	struct memsrc m = { .p = b->p, .len = b->len, .chunk = chunk };
	struct berth_layer_source src = { mem_read, &m };
	_cleanup_layer_reader_ struct berth_layer_reader *r = NULL;
	unsigned char buf[4096 + 3];
	ssize_t n;
	int q;

	if ((q = berth_layer_reader_new(&src, &r, err)) < 0)
		return q;
	if (comp)
		*comp = berth_layer_reader_compression(r);
	/* Read part, then let finish drain the rest. */
	for (int i = 0; i < 10 && (n = berth_layer_reader_read(r, buf, sizeof(buf), err)) > 0; i++)
		;
	return berth_layer_reader_finish(r, diff_id, size, err);
}

static void expect_digest(const struct blob *plain, const struct blob *compressed, enum berth_compression want)
{
	struct berth_error err = { 0 };
	char expected[BERTH_DIGEST_MAX], got[BERTH_DIGEST_MAX];
	enum berth_compression comp;
	uint64_t size = 0;
	static const size_t chunks[] = { 0, 1, 7, 4096 };

	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, plain->p, plain->len, expected, &err), 0);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(chunks); i++) {
		/* Byte-at-a-time is slow over megabytes: only for small blobs. */
		if (chunks[i] == 1 && compressed->len > 200000)
			continue;
		if (read_all(compressed, chunks[i], &comp, got, &size, &err) < 0)
			fail_msg("chunk %zu: %s", chunks[i], err.msg);
		assert_int_equal(comp, want);
		assert_string_equal(got, expected);
		assert_int_equal(size, plain->len);
	}
}

static void test_plain(void **state)
{
	(void) state;
	struct blob t = make_tar(ARCHIVE_FILTER_NONE);
	expect_digest(&t, &t, BERTH_COMPRESSION_NONE);
	assert_string_equal(berth_compression_name(BERTH_COMPRESSION_NONE), "none");
	free(t.p);
}

static void test_gzip_libarchive(void **state)
{
	(void) state;
	srand(1);
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	srand(1);
	struct blob gz = make_tar(ARCHIVE_FILTER_GZIP);
	expect_digest(&plain, &gz, BERTH_COMPRESSION_GZIP);
	assert_string_equal(berth_compression_name(BERTH_COMPRESSION_GZIP), "gzip");
	free(plain.p);
	free(gz.p);
}

static void test_zstd_libarchive(void **state)
{
	(void) state;
	srand(2);
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	srand(2);
	struct blob zs = make_tar(ARCHIVE_FILTER_ZSTD);
	expect_digest(&plain, &zs, BERTH_COMPRESSION_ZSTD);
	assert_string_equal(berth_compression_name(BERTH_COMPRESSION_ZSTD), "zstd");
	free(plain.p);
	free(zs.p);
}

/* pigz and some registries write several members; Go reads them as one. */
static void test_gzip_multi_member(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE), all = { 0 };
	size_t cuts[] = { 0, 1, 1000, plain.len / 2, plain.len - 1, plain.len };

	for (size_t i = 0; i + 1 < BERTH_ARRAY_SIZE(cuts); i++) {
		struct blob m = gzip_member(plain.p + cuts[i], cuts[i + 1] - cuts[i]);
		blob_add(&all, m.p, m.len);
		free(m.p);
	}
	expect_digest(&plain, &all, BERTH_COMPRESSION_GZIP);
	free(plain.p);
	free(all.p);
}

static void test_zstd_frames_and_skippable(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE), zs = { 0 }, skip_first = { 0 };
	size_t half = plain.len / 2;

	zstd_frame(&zs, plain.p, half);
	zstd_skippable(&zs, 100);
	zstd_frame(&zs, plain.p + half, plain.len - half);
	expect_digest(&plain, &zs, BERTH_COMPRESSION_ZSTD);
	/* A stream that opens with a skippable frame is zstd too. */
	zstd_skippable(&skip_first, 10);
	blob_add(&skip_first, zs.p, zs.len);
	expect_digest(&plain, &skip_first, BERTH_COMPRESSION_ZSTD);
	free(plain.p);
	free(zs.p);
	free(skip_first.p);
}

static void test_empty_and_tiny(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct blob empty = { 0 }, tiny = { 0 };
	char got[BERTH_DIGEST_MAX];
	uint64_t size = 1;

	assert_int_equal(read_all(&empty, 0, NULL, got, &size, &err), 0);
	assert_string_equal(got, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	blob_add(&tiny, "abc", 3);
	assert_int_equal(read_all(&tiny, 1, NULL, got, &size, &err), 0);
	assert_string_equal(got, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(tiny.p);
}

/* Whatever follows the tar's end-of-archive blocks is part of the blob, so
 * of the diff_id: finish must read it even if the tar reader stopped. */
static void test_finish_drains_trailing_bytes(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	unsigned char zeros[10240] = { 0 };
	blob_add(&plain, zeros, sizeof(zeros));
	struct blob gz = gzip_member(plain.p, plain.len);
	expect_digest(&plain, &gz, BERTH_COMPRESSION_GZIP);
	free(plain.p);
	free(gz.p);
}

static void expect_failure(const struct blob *b, const char *needle)
{
	struct berth_error err = { 0 };
	char got[BERTH_DIGEST_MAX];

	assert_true(read_all(b, 0, NULL, got, NULL, &err) < 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err.msg, needle);
}

static void test_gzip_damage(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	struct blob gz = gzip_member(plain.p, plain.len);
	struct blob b = { 0 };

	/* Cut in the middle, and just before the trailer's last byte. */
	blob_add(&b, gz.p, gz.len / 2);
	expect_failure(&b, "gzip layer: truncated");
	b.len = 0;
	blob_add(&b, gz.p, gz.len - 1);
	expect_failure(&b, "gzip layer: truncated");
	/* A wrong CRC in the trailer. */
	b.len = 0;
	blob_add(&b, gz.p, gz.len);
	b.p[b.len - 6] ^= 0xff;
	expect_failure(&b, "gzip layer: corrupt data");
	/* Garbage in the deflate data. */
	b.len = 0;
	blob_add(&b, gz.p, gz.len);
	memset(b.p + 100, 0xff, 64);
	expect_failure(&b, "gzip layer: corrupt data");
	/* Trailing garbage after the member. */
	b.len = 0;
	blob_add(&b, gz.p, gz.len);
	blob_add(&b, "junk", 4);
	expect_failure(&b, "is not a gzip member");
	/* Only the magic. */
	b.len = 0;
	blob_add(&b, "\x1f\x8b", 2);
	expect_failure(&b, "gzip layer: truncated");
	free(b.p);
	free(gz.p);
	free(plain.p);
}

static void test_zstd_damage(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE), zs = { 0 }, b = { 0 };

	zstd_frame(&zs, plain.p, plain.len);
	blob_add(&b, zs.p, zs.len / 2);
	expect_failure(&b, "zstd layer: truncated");
	b.len = 0;
	blob_add(&b, zs.p, zs.len);
	/* Without a checksum in the frame, damaged blocks may decode to other
	 * bytes (the diff_id catches those); a damaged header never does. */
	b.p[4] |= 0x08; /* a reserved bit of the frame header descriptor */
	expect_failure(&b, "zstd layer: corrupt data");
	b.len = 0;
	blob_add(&b, zs.p, zs.len);
	blob_add(&b, "junk", 4);
	expect_failure(&b, "zstd layer: corrupt data");
	/* The start of another frame, cut short. */
	b.len = 0;
	blob_add(&b, zs.p, zs.len);
	blob_add(&b, zs.p, 6);
	expect_failure(&b, "zstd layer: truncated");
	free(b.p);
	free(zs.p);
	free(plain.p);
}

/* A frame asking for a window larger than 128 MiB is refused, not
 * allocated. */
static void test_zstd_window_limit(void **state)
{
	(void) state;
	struct blob b = { 0 };
	static unsigned char data[4096];
	unsigned char out[8192];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_inBuffer in = { data, sizeof(data), 0 };
	ZSTD_outBuffer ob = { out, sizeof(out), 0 };
	struct berth_error err = { 0 };
	char got[BERTH_DIGEST_MAX];

	/* Streamed without a known size, the frame keeps its 1 GiB window. */
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 30)));
	assert_false(ZSTD_isError(ZSTD_compressStream2(c, &ob, &in, ZSTD_e_continue)));
	in = (ZSTD_inBuffer){ NULL, 0, 0 };
	assert_int_equal(ZSTD_compressStream2(c, &ob, &in, ZSTD_e_end), 0);
	ZSTD_freeCCtx(c);
	blob_add(&b, out, ob.pos);
	assert_true(read_all(&b, 0, NULL, got, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "zstd layer: corrupt data"));
	assert_non_null(strstr(err.msg, "memory"));
	free(b.p);
}

static void test_source_error(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	struct blob gz = gzip_member(plain.p, plain.len);
	struct memsrc m = { .p = gz.p, .len = gz.len, .chunk = 1000, .fail_at = 5000 };
	struct berth_layer_source src = { mem_read, &m };
	_cleanup_layer_reader_ struct berth_layer_reader *r = NULL;
	struct berth_error err = { 0 };
	unsigned char buf[65536];
	ssize_t n;

	assert_int_equal(berth_layer_reader_new(&src, &r, &err), 0);
	while ((n = berth_layer_reader_read(r, buf, sizeof(buf), &err)) > 0)
		;
	assert_int_equal(n, -ECONNRESET);
	assert_non_null(strstr(err.msg, "download of blob interrupted"));
	assert_non_null(strstr(err.msg, "read layer after"));
	/* The failure sticks, and finish reports it too. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(berth_layer_reader_read(r, buf, sizeof(buf), &err), -ECONNRESET);
	assert_int_equal(berth_layer_reader_finish(r, NULL, NULL, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "download of blob interrupted"));
	free(gz.p);
	free(plain.p);
}

static void test_finish_twice_and_fd_source(void **state)
{
	(void) state;
	struct blob plain = make_tar(ARCHIVE_FILTER_NONE);
	char path[] = "/tmp/berth-layer-reader-XXXXXX";
	_cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
	struct berth_error err = { 0 };
	char got[BERTH_DIGEST_MAX], expected[BERTH_DIGEST_MAX];
	_cleanup_layer_reader_ struct berth_layer_reader *r = NULL;
	struct berth_layer_source src;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, plain.p, plain.len), (ssize_t) plain.len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	src = berth_layer_source_fd(fd);
	assert_int_equal(berth_layer_reader_new(&src, &r, &err), 0);
	assert_int_equal(berth_layer_reader_finish(r, got, NULL, &err), 0);
	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, plain.p, plain.len, expected, &err), 0);
	assert_string_equal(got, expected);
	assert_int_equal(berth_layer_reader_compressed_size(r), plain.len);
	assert_int_equal(berth_layer_reader_finish(r, got, NULL, &err), -EALREADY);
	free(plain.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_gzip_libarchive),
		cmocka_unit_test(test_zstd_libarchive),
		cmocka_unit_test(test_gzip_multi_member),
		cmocka_unit_test(test_zstd_frames_and_skippable),
		cmocka_unit_test(test_empty_and_tiny),
		cmocka_unit_test(test_finish_drains_trailing_bytes),
		cmocka_unit_test(test_gzip_damage),
		cmocka_unit_test(test_zstd_damage),
		cmocka_unit_test(test_zstd_window_limit),
		cmocka_unit_test(test_source_error),
		cmocka_unit_test(test_finish_twice_and_fd_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
