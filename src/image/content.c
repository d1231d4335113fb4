#include "content.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"

/* Start writeback every this many bytes, so the fsync at commit finds little
 * left to write instead of stalling on the whole blob. */
#define WRITEBACK_CHUNK (8u << 20)

/* berth_content_write waits this long for another writer of the same blob. */
#define SMALL_WRITER_POLL_MS 10
#define SMALL_WRITER_WAIT_MS 30000

static const char *const algo_names[] = { "sha256", "sha512" };

struct berth_content {
	int root_fd;
	int blobs_fd[2]; /* blobs/sha256, blobs/sha512 */
	int ingest_fd;
};

struct berth_ingest {
	struct berth_content *cs;
	int fd;
	char digest[BERTH_DIGEST_MAX];
	char name[NAME_MAX + 1];
	enum berth_digest_algo algo;
	uint64_t size;
	uint64_t offset;
	uint64_t synced;
	struct berth_hasher *hasher;
	bool committed;
};

static int open_dir_at(int dirfd, const char *name, int *ret, struct berth_error *err)
{
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s", name);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", name);
	*ret = fd;
	return 0;
}

void berth_content_free(struct berth_content *cs)
{
	if (!cs)
		return;
	int saved = errno;
	if (cs->root_fd >= 0)
		close(cs->root_fd);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cs->blobs_fd); i++)
		if (cs->blobs_fd[i] >= 0)
			close(cs->blobs_fd[i]);
	if (cs->ingest_fd >= 0)
		close(cs->ingest_fd);
	free(cs);
	errno = saved;
}

int berth_content_open(int dirfd, const char *path, struct berth_content **ret, struct berth_error *err)
{
	_cleanup_content_ struct berth_content *cs = calloc(1, sizeof(*cs));
	_cleanup_close_ int blobs = -1;
	int r;

	if (!cs)
		return berth_error_sys(err, ENOMEM, "open content store %s", path);
	cs->root_fd = cs->ingest_fd = cs->blobs_fd[0] = cs->blobs_fd[1] = -1;
	r = open_dir_at(dirfd, path, &cs->root_fd, err);
	if (r == 0)
		r = open_dir_at(cs->root_fd, "blobs", &blobs, err);
	for (size_t i = 0; r == 0 && i < BERTH_ARRAY_SIZE(algo_names); i++)
		r = open_dir_at(blobs, algo_names[i], &cs->blobs_fd[i], err);
	if (r == 0)
		r = open_dir_at(cs->root_fd, "ingest", &cs->ingest_fd, err);
	if (r < 0)
		return berth_error_wrap(err, "open content store %s", path);
	*ret = berth_steal_ptr(&cs);
	return 0;
}

/* The directory and file name of a blob, after checking the digest. */
static int blob_location(struct berth_content *cs, const char *digest, int *ret_dirfd, const char **ret_name,
			 struct berth_error *err)
{
	enum berth_digest_algo algo;
	int r = berth_digest_validate(digest, &algo, err);
	if (r < 0)
		return r;
	*ret_dirfd = cs->blobs_fd[algo];
	*ret_name = berth_digest_hex(digest);
	return 0;
}

int berth_content_stat(struct berth_content *cs, const char *digest, int64_t *ret_size, struct berth_error *err)
{
	int dirfd;
	const char *name;
	struct stat st;
	int r = blob_location(cs, digest, &dirfd, &name, err);
	if (r < 0)
		return r;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? berth_error_set(err, ENOENT, "blob %s not found", digest)
				       : berth_error_sys(err, errno, "stat blob %s", digest);
	if (ret_size)
		*ret_size = st.st_size;
	return 0;
}

int berth_content_open_blob(struct berth_content *cs, const char *digest, struct berth_error *err)
{
	int dirfd;
	const char *name;
	int r = blob_location(cs, digest, &dirfd, &name, err);
	if (r < 0)
		return r;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? berth_error_set(err, ENOENT, "blob %s not found", digest)
				       : berth_error_sys(err, errno, "open blob %s", digest);
	return fd;
}

int berth_content_read(struct berth_content *cs, const char *digest, size_t max, char **ret, size_t *ret_len,
		       struct berth_error *err)
{
	int dirfd;
	const char *name;
	int r = blob_location(cs, digest, &dirfd, &name, err);
	if (r < 0)
		return r;
	r = berth_read_file_at(dirfd, name, max, ret, ret_len, err);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "blob %s not found", digest);
	return r < 0 ? berth_error_wrap(err, "read blob %s", digest) : 0;
}

int berth_content_write(struct berth_content *cs, const char *expected_digest, const void *data, size_t len,
			struct berth_error *err)
{
	_cleanup_ingest_ struct berth_ingest *ing = NULL;
	int r;
	/* Another writer of the same blob (a concurrent pull of the same
	 * manifest) holds it briefly: wait for it to commit or give up. */
	for (int waited_ms = 0;; waited_ms += SMALL_WRITER_POLL_MS) {
		r = berth_ingest_begin(cs, expected_digest, (int64_t) len, &ing, err);
		if (r != -EBUSY || waited_ms >= SMALL_WRITER_WAIT_MS)
			break;
		berth_error_clear(err);
		nanosleep(&(struct timespec){ .tv_nsec = SMALL_WRITER_POLL_MS * 1000000L }, NULL);
	}
	if (r == -EEXIST) {
		berth_error_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	r = berth_ingest_restart(ing, err);
	if (r == 0)
		r = berth_ingest_write(ing, data, len, err);
	if (r == 0)
		return berth_ingest_commit(ing, err);
	berth_ingest_discard(ing);
	return r;
}

int berth_content_delete(struct berth_content *cs, const char *digest, struct berth_error *err)
{
	int dirfd;
	const char *name;
	int r = blob_location(cs, digest, &dirfd, &name, err);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return berth_error_sys(err, errno, "remove blob %s", digest);
	return 0;
}

static int walk_algo(struct berth_content *cs, size_t algo, int (*fn)(const char *, int64_t, void *), void *ctx,
		     struct berth_error *err)
{
	int fd = openat(cs->blobs_fd[algo], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open blobs/%s", algo_names[algo]);
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return berth_error_sys(err, errno, "read blobs/%s", algo_names[algo]);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(dir))) {
		char digest[BERTH_DIGEST_MAX];
		struct stat st;
		snprintf(digest, sizeof(digest), "%s:%s", algo_names[algo], de->d_name);
		if (berth_digest_validate(digest, NULL, err) < 0) {
			berth_error_clear(err); /* temp files, ".", "..": not blobs */
			continue;
		}
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		int r = fn(digest, st.st_size, ctx);
		if (r < 0)
			return r;
	}
	if (errno)
		return berth_error_sys(err, errno, "read blobs/%s", algo_names[algo]);
	return 0;
}

int berth_content_walk(struct berth_content *cs, int (*fn)(const char *digest, int64_t size, void *ctx), void *ctx,
		       struct berth_error *err)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(algo_names); i++) {
		int r = walk_algo(cs, i, fn, ctx, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int berth_content_prune_ingests(struct berth_content *cs, struct berth_error *err)
{
	int fd = openat(cs->ingest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open ingest directory");
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return berth_error_sys(err, errno, "read ingest directory");
	}
	int removed = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int f = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		/* Only files nobody holds: a running pull keeps its lock. */
		if (f < 0 || flock(f, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
			removed++;
	}
	return removed;
}

void berth_ingest_free(struct berth_ingest *ing)
{
	if (!ing)
		return;
	int saved = errno;
	if (ing->fd >= 0)
		close(ing->fd); /* drops the flock */
	berth_hasher_free(ing->hasher);
	free(ing);
	errno = saved;
}

/* Hash what an earlier attempt left, so writing can continue after it. */
static int ingest_rehash(struct berth_ingest *ing, struct berth_error *err)
{
	struct stat st;
	if (fstat(ing->fd, &st) < 0)
		return berth_error_sys(err, errno, "stat ingest %s", ing->name);
	if ((uint64_t) st.st_size > ing->size)
		return berth_ingest_restart(ing, err);
	char *buf = malloc(1 << 20);
	if (!buf)
		return berth_error_sys(err, ENOMEM, "resume %s", ing->name);
	uint64_t done = 0;
	int r = 0;
	while (r == 0 && done < (uint64_t) st.st_size) {
		ssize_t n = pread(ing->fd, buf, 1 << 20, (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = berth_error_sys(err, n < 0 ? errno : EIO, "read ingest %s", ing->name);
			break;
		}
		r = berth_hasher_update(ing->hasher, buf, (size_t) n, err);
		done += (uint64_t) n;
	}
	free(buf);
	ing->offset = ing->synced = done;
	return r;
}

/* Open and lock the ingest file.  A pruner may unlink the file between our
 * open and our lock; then the lock is on an orphan, so open again. */
static int ingest_open_locked(struct berth_ingest *ing, struct berth_error *err)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat held, named;
		ing->fd = openat(ing->cs->ingest_fd, ing->name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (ing->fd < 0)
			return berth_error_sys(err, errno, "open ingest %s", ing->name);
		if (flock(ing->fd, LOCK_EX | LOCK_NB) < 0)
			return errno == EWOULDBLOCK ? berth_error_set(err, EBUSY, "blob %s is being written", ing->digest)
						    : berth_error_sys(err, errno, "lock ingest %s", ing->name);
		if (fstat(ing->fd, &held) == 0 && fstatat(ing->cs->ingest_fd, ing->name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_ino == named.st_ino && held.st_dev == named.st_dev)
			return 0;
		close(ing->fd);
		ing->fd = -1;
	}
	return berth_error_set(err, EAGAIN, "lock ingest %s: it keeps being removed", ing->name);
}

int berth_ingest_begin(struct berth_content *cs, const char *digest, int64_t size, struct berth_ingest **ret,
		       struct berth_error *err)
{
	enum berth_digest_algo algo;
	int r = berth_digest_validate(digest, &algo, err);
	if (r < 0)
		return r;
	if (size < 0)
		return berth_error_set(err, EINVAL, "blob %s: negative size %lld", digest, (long long) size);
	if (berth_content_stat(cs, digest, NULL, err) == 0)
		return berth_error_set(err, EEXIST, "blob %s already exists", digest);
	berth_error_clear(err);

	_cleanup_ingest_ struct berth_ingest *ing = calloc(1, sizeof(*ing));
	if (!ing)
		return berth_error_sys(err, ENOMEM, "ingest %s", digest);
	ing->cs = cs;
	ing->fd = -1;
	ing->algo = algo;
	ing->size = (uint64_t) size;
	snprintf(ing->digest, sizeof(ing->digest), "%s", digest);
	snprintf(ing->name, sizeof(ing->name), "%s-%s", algo_names[algo], berth_digest_hex(digest));
	r = ingest_open_locked(ing, err);
	if (r < 0)
		return r;
	/* The writer that held the lock may have committed meanwhile. */
	if (berth_content_stat(cs, digest, NULL, err) == 0) {
		unlinkat(cs->ingest_fd, ing->name, 0);
		return berth_error_set(err, EEXIST, "blob %s already exists", digest);
	}
	berth_error_clear(err);
	r = berth_hasher_new(algo, &ing->hasher, err);
	if (r == 0)
		r = ingest_rehash(ing, err);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&ing);
	return 0;
}

uint64_t berth_ingest_offset(const struct berth_ingest *ing)
{
	return ing->offset;
}

int berth_ingest_write(struct berth_ingest *ing, const void *data, size_t len, struct berth_error *err)
{
	if (len > ing->size - ing->offset)
		return berth_error_set(err, EFBIG, "blob %s: more data than its declared size of %llu bytes",
				       ing->digest, (unsigned long long) ing->size);
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = pwrite(ing->fd, p, left, (off_t) ing->offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "write ingest %s", ing->name);
		p += n;
		left -= (size_t) n;
		ing->offset += (uint64_t) n;
	}
	int r = berth_hasher_update(ing->hasher, data, len, err);
	if (r < 0)
		return r;
	if (ing->offset - ing->synced >= WRITEBACK_CHUNK) {
		sync_file_range(ing->fd, (off_t) ing->synced, (off_t) (ing->offset - ing->synced),
				SYNC_FILE_RANGE_WRITE);
		ing->synced = ing->offset;
	}
	return 0;
}

int berth_ingest_restart(struct berth_ingest *ing, struct berth_error *err)
{
	if (ftruncate(ing->fd, 0) < 0)
		return berth_error_sys(err, errno, "truncate ingest %s", ing->name);
	ing->offset = ing->synced = 0;
	return berth_hasher_reset(ing->hasher, err);
}

int berth_ingest_open_reader(struct berth_ingest *ing, struct berth_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ing->fd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "reopen ingest %s", ing->name);
	return fd;
}

static int ingest_verify(struct berth_ingest *ing, struct berth_error *err)
{
	char got[BERTH_DIGEST_MAX];
	if (ing->offset != ing->size)
		return berth_error_set(err, EBADMSG, "blob %s: size mismatch: got %llu bytes, want %llu", ing->digest,
				       (unsigned long long) ing->offset, (unsigned long long) ing->size);
	int r = berth_hasher_final(ing->hasher, got, err);
	if (r < 0)
		return r;
	if (strcmp(got, ing->digest) != 0)
		return berth_error_set(err, EBADMSG, "blob %s: digest mismatch: content hashes to %s", ing->digest, got);
	return 0;
}

int berth_ingest_commit(struct berth_ingest *ing, struct berth_error *err)
{
	int r = ingest_verify(ing, err);
	if (r < 0) {
		berth_ingest_discard(ing);
		return r;
	}
	if (fsync(ing->fd) < 0)
		return berth_error_sys(err, errno, "sync blob %s", ing->digest);
	int blobs_fd = ing->cs->blobs_fd[ing->algo];
	if (renameat(ing->cs->ingest_fd, ing->name, blobs_fd, berth_digest_hex(ing->digest)) < 0)
		return berth_error_sys(err, errno, "commit blob %s", ing->digest);
	if (fchmod(ing->fd, 0444) < 0 || fsync(blobs_fd) < 0)
		return berth_error_sys(err, errno, "commit blob %s", ing->digest);
	ing->committed = true;
	return 0;
}

void berth_ingest_discard(struct berth_ingest *ing)
{
	if (!ing->committed)
		unlinkat(ing->cs->ingest_fd, ing->name, 0);
}
