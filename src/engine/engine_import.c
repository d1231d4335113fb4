/* docker import: a tar archive (plain, gzip, zstd; xz and bzip2 are
 * decompressed first) becomes a one-layer image.
 *
 * The archive arrives in an anonymous file under ROOT/tmp (the API server
 * streams the request body there).  Then:
 *   1. one pass decompresses it to learn the layer's diff_id (its chain ID,
 *      the snapshot's key) and hashes the compressed bytes (the blob);
 *   2. a second pass writes the blob into the content store (verified at
 *      commit as every blob) while the safe unpacker extracts the tar into
 *      the snapshot, exactly as for a pulled layer: ".." and absolute names,
 *      writes through symlinks, overlayfs xattrs are refused;
 *   3. an OCI image config and manifest are made and stored, and the image
 *      recorded.
 * A failure leaves nothing: the ingest file is discarded, the snapshot
 * aborted, and what was committed already is collected. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "engine_internal.h"
#include "file.h"
#include "import_changes.h"
#include "json.h"
#include "layer_reader.h"
#include "manifest.h"
#include "reference.h"
#include "unpack.h"

#define IO_BUF_SIZE (256 * 1024)
/* How often an import waiting for another writer of the same blob looks. */
#define FOREIGN_WRITER_POLL_MS 100

int berth_engine_upload_file(struct berth_engine *e, struct berth_error *err)
{
	if (mkdirat(e->root_fd, "tmp", 0700) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s/tmp", e->root);
	int fd = openat(e->root_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return berth_error_sys(err, errno, "create a temporary file in %s/tmp", e->root);
	/* No O_TMPFILE on this file system: a named file, unlinked at once. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/tmp/import-XXXXXX", e->root);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "create %s", path);
	if (unlink(path) < 0) {
		int saved = errno;
		close(fd);
		return berth_error_sys(err, saved, "remove %s", path);
	}
	return fd;
}

/* ---- what the request names ---- */

/* repo (which may hold a tag) and tag, as dockerd combines them: a full
 * tag reference in out, "" for an untagged image. */
static int import_reference(const struct berth_engine_import *req, char out[BERTH_REFERENCE_MAX],
			    char familiar[BERTH_REFERENCE_MAX], struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	out[0] = familiar[0] = '\0';
	if (!req->repo || !*req->repo)
		return 0;
	int r = berth_reference_parse(req->repo, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, err);
	if (r == 0 && (ref->digest || (req->tag && strchr(req->tag, ':'))))
		r = berth_error_set(err, EINVAL, "cannot import digest reference");
	if (r == 0 && req->tag && *req->tag)
		r = berth_reference_set_tag(ref, req->tag, err);
	else if (r == 0 && !ref->tag)
		r = berth_reference_set_tag(ref, BERTH_REFERENCE_DEFAULT_TAG, err);
	if (r < 0)
		return r;
	berth_reference_string(ref, out);
	berth_reference_familiar_string(ref, familiar);
	return 0;
}

static int import_platform(const struct berth_engine_import *req, struct berth_platform *ret, struct berth_error *err)
{
	int r = req->platform && *req->platform ? berth_platform_parse(req->platform, ret, err)
						: berth_platform_host(ret, err);
	if (r < 0)
		return r;
	if (strcmp(ret->os, "linux") != 0)
		return berth_error_set(err, EINVAL, "image operating system \"%s\" cannot be used on this platform",
				       ret->os);
	return 0;
}

/* The container config the changes make from nothing. */
static int import_config(const struct berth_engine_import *req, json_t **ret, struct berth_error *err)
{
	json_t *config = json_object();
	if (!config)
		return berth_error_sys(err, ENOMEM, "import");
	int r = berth_import_changes_apply(req->changes, req->n_changes, config, err);
	if (r < 0) {
		json_decref(config);
		return r;
	}
	*ret = config;
	return 0;
}

int berth_engine_import_check(struct berth_engine *e, const struct berth_engine_import *req, struct berth_error *err)
{
	(void) e;
	char ref[BERTH_REFERENCE_MAX], familiar[BERTH_REFERENCE_MAX];
	struct berth_platform platform;
	_cleanup_json_ json_t *config = NULL;
	int r = import_reference(req, ref, familiar, err);
	if (r == 0)
		r = import_platform(req, &platform, err);
	if (r == 0)
		r = import_config(req, &config, err);
	return r;
}

/* ---- reading the archive ---- */

struct source {
	int fd;
	struct berth_hasher *hasher; /* pass 1: the digest of the blob */
	struct berth_ingest *ing;    /* pass 2: the blob into the store */
	uint64_t bytes;
	const volatile int *cancel, *shutdown;
};

static bool stopped(const struct source *s)
{
	return (s->cancel && *s->cancel) || (s->shutdown && *s->shutdown);
}

static ssize_t source_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct source *s = ctx;
	if (stopped(s))
		return berth_error_set(err, ECANCELED, "import cancelled");
	ssize_t n;
	do
		n = read(s->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_sys(err, errno, "read the uploaded archive");
	int r = 0;
	if (n > 0 && s->hasher)
		r = berth_hasher_update(s->hasher, buf, (size_t) n, err);
	if (r == 0 && n > 0 && s->ing)
		r = berth_ingest_write(s->ing, buf, (size_t) n, err);
	if (r < 0)
		return r;
	s->bytes += (uint64_t) n;
	return n;
}

static int rewind_fd(int fd, struct berth_error *err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_sys(err, errno, "rewind the uploaded archive");
	return 0;
}

/* The archive's own problems are the client's (400); the host's (a full
 * disk, no memory, a cancellation) stay what they are. */
static int archive_error(struct berth_error *err)
{
	switch (err->code) {
	case ENOSPC:
	case EDQUOT:
	case ENOMEM:
	case EIO:
	case EROFS:
	case EMFILE:
	case ENFILE:
	case ECANCELED:
	case EACCES:
	case EBUSY:
		break;
	default:
		err->code = EINVAL;
	}
	return berth_error_wrap(err, "import");
}

/* xz and bzip2, which the layer reader does not read (docker import and
 * docker cp's PUT do). */
static bool needs_predecompress(int fd)
{
	unsigned char m[6] = { 0 };
	ssize_t n = pread(fd, m, sizeof(m), 0);
	if (n < 3)
		return false;
	bool xz = n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0;
	bool bz2 = m[0] == 'B' && m[1] == 'Z' && m[2] == 'h';
	return xz || bz2;
}

static int predecompress(struct berth_engine *e, int fd, const volatile int *cancel, const char *what, int *ret_fd,
			 struct berth_error *err)
{
	_cleanup_close_ int out = berth_engine_upload_file(e, err);
	if (out < 0)
		return out;
	struct archive *a = archive_read_new();
	if (!a)
		return berth_error_sys(err, ENOMEM, "%s: decompress", what);
	struct archive_entry *entry;
	_cleanup_free_ char *buf = malloc(IO_BUF_SIZE);
	int r = 0;
	if (!buf)
		r = berth_error_sys(err, ENOMEM, "%s: decompress", what);
	if (r == 0 && (archive_read_support_filter_xz(a) != ARCHIVE_OK ||
		       archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
		       archive_read_support_format_raw(a) != ARCHIVE_OK))
		r = berth_error_set(err, ENOTSUP, "%s: xz and bzip2 archives are not supported by this build", what);
	if (r == 0 && (rewind_fd(fd, err) < 0 || archive_read_open_fd(a, fd, IO_BUF_SIZE) != ARCHIVE_OK ||
		       archive_read_next_header(a, &entry) != ARCHIVE_OK))
		r = berth_error_set(err, EINVAL, "%s: decompress the archive: %s", what,
				    archive_error_string(a) ? archive_error_string(a) : "unreadable");
	uint64_t total = 0;
	while (r == 0) {
		if ((cancel && *cancel) || e->shutting_down) {
			r = berth_error_set(err, ECANCELED, "%s cancelled", what);
			break;
		}
		la_ssize_t n = archive_read_data(a, buf, IO_BUF_SIZE);
		if (n == 0)
			break;
		if (n < 0) {
			r = berth_error_set(err, EINVAL, "%s: decompress the archive: %s", what,
					    archive_error_string(a) ? archive_error_string(a) : "corrupt data");
			break;
		}
		if ((total += (uint64_t) n) > BERTH_ENGINE_IMPORT_MAX) {
			r = berth_error_set(err, EFBIG, "%s: the archive decompresses to more than %llu bytes", what,
					    (unsigned long long) BERTH_ENGINE_IMPORT_MAX);
			break;
		}
		int w = berth_write_all(out, buf, (size_t) n);
		if (w < 0)
			r = berth_error_sys(err, -w, "%s: write the decompressed archive", what);
	}
	archive_read_free(a);
	if (r == 0)
		r = rewind_fd(out, err);
	if (r < 0)
		return r;
	*ret_fd = berth_steal_fd(&out);
	return 0;
}

int berth_engine_upload_plain(struct berth_engine *e, int fd, const volatile int *cancel, const char *what,
			      int *ret_fd, struct berth_error *err)
{
	*ret_fd = -1;
	return needs_predecompress(fd) ? predecompress(e, fd, cancel, what, ret_fd, err) : 0;
}

struct layer_info {
	char blob[BERTH_DIGEST_MAX];
	char diff_id[BERTH_DIGEST_MAX];
	uint64_t size;
	enum berth_compression compression;
};

/* Pass 1: the blob's digest and size, the diff_id, the compression. */
static int scan(struct berth_engine *e, const struct berth_engine_import *req, int fd, struct layer_info *li,
		struct berth_error *err)
{
	_cleanup_hasher_ struct berth_hasher *h = NULL;
	_cleanup_layer_reader_ struct berth_layer_reader *reader = NULL;
	_cleanup_free_ char *buf = malloc(IO_BUF_SIZE);
	struct source src = { .fd = fd, .cancel = req->cancel, .shutdown = &e->shutting_down };
	struct berth_layer_source ls = { .read = source_read, .ctx = &src };
	if (!buf)
		return berth_error_sys(err, ENOMEM, "import");
	int r = rewind_fd(fd, err);
	if (r == 0)
		r = berth_hasher_new(BERTH_DIGEST_SHA256, &h, err);
	src.hasher = h;
	if (r == 0 && (r = berth_layer_reader_new(&ls, &reader, err)) < 0)
		return archive_error(err);
	for (ssize_t n = 1; r == 0 && n > 0;) {
		n = berth_layer_reader_read(reader, buf, IO_BUF_SIZE, err);
		if (n < 0)
			return archive_error(err);
	}
	uint64_t uncompressed = 0;
	if (r == 0 && berth_layer_reader_finish(reader, li->diff_id, &uncompressed, err) < 0)
		return archive_error(err);
	if (r == 0 && uncompressed > BERTH_ENGINE_IMPORT_MAX)
		r = berth_error_set(err, EFBIG, "import: the archive decompresses to more than %llu bytes",
				    (unsigned long long) BERTH_ENGINE_IMPORT_MAX);
	if (r == 0)
		r = berth_hasher_final(h, li->blob, err);
	li->size = src.bytes;
	li->compression = reader ? berth_layer_reader_compression(reader) : BERTH_COMPRESSION_NONE;
	return r;
}

/* ---- the layer: blob and snapshot ---- */

struct layer_job {
	struct berth_engine *e;
	const struct berth_engine_import *req;
	int fd;
	struct layer_info li;
	struct berth_snapshot_prep *prep; /* NULL: the snapshot exists */
	struct berth_ingest *ing;	  /* NULL: the blob exists */
	bool blob_committed, snapshot_committed;
	int64_t snapshot_size;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static bool job_stopped(const struct layer_job *j)
{
	return (j->req->cancel && *j->req->cancel) || j->e->shutting_down;
}

/* Own the snapshot, or learn that it is there (another import or a pull
 * of the same layer). */
static int claim_snapshot(struct layer_job *j, struct berth_error *err)
{
	for (;;) {
		int r = berth_snapshot_prepare(j->e->snapshots, j->li.diff_id, NULL, &j->prep, err);
		if (r == -EEXIST) {
			j->prep = NULL;
			berth_error_clear(err);
			return berth_snapshot_stat(j->e->snapshots, j->li.diff_id, &j->snapshot_size, err);
		}
		if (r != -EBUSY)
			return r;
		r = berth_snapshot_wait(j->e->snapshots, j->li.diff_id, err);
		if (r < 0 && r != -ENOENT)
			return r;
		berth_error_clear(err);
	}
}

static int claim_blob(struct layer_job *j, struct berth_error *err)
{
	for (;;) {
		int r = berth_ingest_begin(j->e->content, j->li.blob, (int64_t) j->li.size, &j->ing, err);
		if (r == -EEXIST) {
			j->ing = NULL;
			berth_error_clear(err);
			return 0;
		}
		if (r == 0 && berth_ingest_offset(j->ing) > 0)
			r = berth_ingest_restart(j->ing, err);
		if (r != -EBUSY)
			return r;
		if (job_stopped(j))
			return berth_error_set(err, ECANCELED, "import cancelled");
		berth_error_clear(err);
		sleep_ms(FOREIGN_WRITER_POLL_MS);
	}
}

/* Pass 2: the blob into its ingest file and the tar into the snapshot. */
static int store_layer(struct layer_job *j, struct berth_error *err)
{
	struct source src = { .fd = j->fd, .ing = j->ing, .cancel = j->req->cancel,
			      .shutdown = &j->e->shutting_down };
	struct berth_layer_source ls = { .read = source_read, .ctx = &src };
	int r = rewind_fd(j->fd, err);
	if (r < 0)
		return r;
	if (j->prep) {
		struct berth_unpack_options o = {
			.whiteout = berth_snapshotter_full_trees(j->e->snapshots) ? BERTH_WHITEOUT_APPLY
										  : BERTH_WHITEOUT_OVERLAY,
		};
		struct berth_unpack_stats stats = { 0 };
		char diff_id[BERTH_DIGEST_MAX];
		if (berth_unpack_layer(&ls, j->prep->dirfd, &o, diff_id, &stats, err) < 0)
			return archive_error(err);
		if (strcmp(diff_id, j->li.diff_id) != 0)
			return berth_error_set(err, EIO, "import: the archive changed while it was read (%s, then %s)",
					       j->li.diff_id, diff_id);
		j->snapshot_size = (int64_t) stats.bytes;
	}
	/* Whatever the unpacker left unread goes into the blob too. */
	_cleanup_free_ char *buf = j->ing ? malloc(IO_BUF_SIZE) : NULL;
	if (j->ing && !buf)
		return berth_error_sys(err, ENOMEM, "import");
	for (ssize_t n = 1; j->ing && n > 0;) {
		n = source_read(&src, buf, IO_BUF_SIZE, err);
		if (n < 0)
			return (int) n;
	}
	if (j->ing) {
		if ((r = berth_ingest_commit(j->ing, err)) < 0)
			return berth_error_wrap(err, "import");
		j->blob_committed = true;
	}
	if (j->prep) {
		if ((r = berth_snapshot_commit(j->e->snapshots, j->prep, j->snapshot_size, err)) < 0)
			return r;
		j->snapshot_committed = true;
	}
	return 0;
}

static void layer_job_release(struct layer_job *j, bool failed)
{
	if (j->ing) {
		if (failed && !j->blob_committed)
			berth_ingest_discard(j->ing);
		berth_ingest_free(j->ing);
		j->ing = NULL;
	}
	if (j->prep) {
		if (failed && !j->snapshot_committed)
			berth_snapshot_abort(j->e->snapshots, j->prep);
		else
			berth_snapshot_prep_free(j->prep);
		j->prep = NULL;
	}
}

/* ---- config, manifest, record ---- */

/* Go's RFC 3339 with nanoseconds (trailing zeros dropped), UTC. */
static void rfc3339_now(char out[64])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ts.tv_nsec) {
		char frac[16];
		snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
		size_t k = strlen(frac);
		while (k > 0 && frac[k - 1] == '0')
			frac[--k] = '\0';
		n += (size_t) snprintf(out + n, 64 - n, ".%s", frac);
	}
	snprintf(out + n, 64 - n, "Z");
}

static const char *layer_media_type(enum berth_compression c)
{
	switch (c) {
	case BERTH_COMPRESSION_GZIP:
		return BERTH_MEDIA_OCI_LAYER_GZIP;
	case BERTH_COMPRESSION_ZSTD:
		return BERTH_MEDIA_OCI_LAYER_ZSTD;
	case BERTH_COMPRESSION_NONE:
		break;
	}
	return BERTH_MEDIA_OCI_LAYER;
}

/* Serialise and store a JSON document as a blob; its digest and size. */
static int store_json(struct berth_engine *e, json_t *doc, char digest[BERTH_DIGEST_MAX], size_t *ret_len,
		      struct berth_error *err)
{
	_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return berth_error_sys(err, ENOMEM, "import");
	size_t len = strlen(text);
	int r = berth_digest_buffer(BERTH_DIGEST_SHA256, text, len, digest, err);
	if (r == 0)
		r = berth_content_write(e->content, digest, text, len, err);
	*ret_len = len;
	return r;
}

static int make_image(struct berth_engine *e, const struct berth_engine_import *req, const struct layer_job *j,
		      const struct berth_platform *platform, json_t *config, char config_digest[BERTH_DIGEST_MAX],
		      char manifest_digest[BERTH_DIGEST_MAX], struct berth_error *err)
{
	char now[64];
	rfc3339_now(now);
	const char *comment = req->message && *req->message ? req->message : "Imported from -";
	json_t *history = json_pack("[{s:s, s:s, s:s}]", "created", now, "created_by", "", "comment", comment);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:o, s:s}", "architecture",
				platform->architecture, "os", platform->os, "created", now, "config", config, "rootfs",
				"type", "layers", "diff_ids", j->li.diff_id, "history", history, "comment", comment);
	if (!doc)
		return berth_error_set(err, EINVAL, "import: the message is not valid UTF-8");
	if (platform->variant[0])
		json_object_set_new(doc, "variant", json_string(platform->variant));
	size_t config_len = 0, manifest_len = 0;
	int r = store_json(e, doc, config_digest, &config_len, err);
	json_decref(doc);
	if (r < 0)
		return r;
	json_t *manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
				     "mediaType", BERTH_MEDIA_OCI_MANIFEST, "config", "mediaType", BERTH_MEDIA_OCI_CONFIG,
				     "digest", config_digest, "size", (json_int_t) config_len, "layers", "mediaType",
				     layer_media_type(j->li.compression), "digest", j->li.blob, "size",
				     (json_int_t) j->li.size);
	if (!manifest)
		return berth_error_sys(err, ENOMEM, "import");
	r = store_json(e, manifest, manifest_digest, &manifest_len, err);
	json_decref(manifest);
	return r;
}

static int record(struct berth_engine *e, const struct layer_job *j, const struct berth_platform *platform,
		  const char *config_digest, const char *manifest_digest, const char *tag_ref, struct berth_error *err)
{
	char chain[1][BERTH_DIGEST_MAX], diff[1][BERTH_DIGEST_MAX], layer[1][BERTH_DIGEST_MAX];
	char *blobs[3] = { (char *) manifest_digest, (char *) config_digest, layer[0] };
	snprintf(chain[0], sizeof(chain[0]), "%s", j->li.diff_id);
	snprintf(diff[0], sizeof(diff[0]), "%s", j->li.diff_id);
	snprintf(layer[0], sizeof(layer[0]), "%s", j->li.blob);
	struct berth_pulled_image img = {
		.top_snapshot = chain[0],
		.chain_ids = chain,
		.diff_ids = diff,
		.layer_blobs = layer,
		.n_layers = 1,
		.blobs = blobs,
		.n_blobs = 3,
		.size = j->snapshot_size,
		.platform = *platform,
	};
	snprintf(img.id, sizeof(img.id), "%s", config_digest);
	snprintf(img.manifest, sizeof(img.manifest), "%s", manifest_digest);
	snprintf(img.target, sizeof(img.target), "%s", manifest_digest);
	return berth_images_put(e->db, &img, tag_ref[0] ? tag_ref : NULL, NULL, NULL, err);
}

/* Everything under the GC lock (held shared): what is made is pinned only
 * once the image is recorded. */
static int import_locked(struct berth_engine *e, const struct berth_engine_import *req, struct layer_job *j,
			 const struct berth_platform *platform, json_t *config, const char *tag_ref,
			 char ret_id[BERTH_DIGEST_MAX], bool *ret_stored, struct berth_error *err)
{
	char config_digest[BERTH_DIGEST_MAX], manifest_digest[BERTH_DIGEST_MAX];
	int r = claim_snapshot(j, err);
	if (r == 0)
		r = claim_blob(j, err);
	if (r == 0 && (j->prep || j->ing))
		r = store_layer(j, err);
	*ret_stored = j->blob_committed || j->snapshot_committed;
	layer_job_release(j, r < 0);
	if (r < 0)
		return r;
	*ret_stored = true;
	r = make_image(e, req, j, platform, config, config_digest, manifest_digest, err);
	if (r == 0)
		r = record(e, j, platform, config_digest, manifest_digest, tag_ref, err);
	if (r == 0)
		snprintf(ret_id, BERTH_DIGEST_MAX, "%s", config_digest);
	return r;
}

int berth_engine_import(struct berth_engine *e, const struct berth_engine_import *req, char ret_id[BERTH_DIGEST_MAX],
			struct berth_error *err)
{
	char tag_ref[BERTH_REFERENCE_MAX], familiar[BERTH_REFERENCE_MAX];
	struct berth_platform platform;
	_cleanup_json_ json_t *config = NULL;
	_cleanup_close_ int plain = -1;
	struct layer_job j = { .e = e, .req = req, .fd = req->fd };
	int r = import_reference(req, tag_ref, familiar, err);
	if (r == 0)
		r = import_platform(req, &platform, err);
	if (r == 0)
		r = import_config(req, &config, err);
	if (r == 0 && (r = berth_engine_upload_plain(e, req->fd, req->cancel, "import", &plain, err)) == 0 &&
	    plain >= 0)
		j.fd = plain;
	if (r == 0)
		r = scan(e, req, j.fd, &j.li, err);
	if (r < 0)
		return r;
	bool stored = false;
	pthread_rwlock_rdlock(&e->gc_lock);
	r = import_locked(e, req, &j, &platform, config, tag_ref, ret_id, &stored, err);
	pthread_rwlock_unlock(&e->gc_lock);
	if (r < 0) {
		/* What was committed before the failure is pinned by nothing. */
		if (stored) {
			struct berth_error ignored = { 0 };
			berth_engine_gc(e, 0, NULL, &ignored);
		}
		return r;
	}
	if (tag_ref[0])
		engine_image_event(e, "tag", ret_id, familiar, ret_id);
	engine_image_event(e, "import", ret_id, ret_id, ret_id);
	return 0;
}
