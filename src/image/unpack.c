/* The tar loop of a layer unpack: names, whiteouts, and opening parent
 * directories without ever leaving the snapshot.  Making each kind of entry
 * is in unpack_entry.c. */
#define BERTH_UNPACK_INTERNAL 1
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

/* What libarchive pulls per read callback: large, so that file data comes
 * out of archive_read_data_block() in big slices of this very buffer. */
#define TAR_BUF_SIZE (256 * 1024)

/* Directory metadata waiting for the end of the layer.  Past this many the
 * list is applied early, trading exact directory mtimes for bounded
 * memory on a hostile layer made of millions of directories. */
#define MAX_DEFERRED_DIRS (1u << 20)

#define AUFS_META_PREFIX ".wh..wh."
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME ".wh..wh..opq"

/* ---- the set of paths an APPLY layer wrote ---- */

struct berth_pathset {
	char **slots; /* open addressing; NULL is empty */
	size_t cap, n;
};

static uint64_t path_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 0x100000001b3ull;
	return h;
}

static char **pathset_slot(char **slots, size_t cap, const char *s, size_t len)
{
	size_t i = (size_t) path_hash(s, len) & (cap - 1);

	while (slots[i] && (strncmp(slots[i], s, len) != 0 || slots[i][len] != '\0'))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int pathset_grow(struct berth_pathset *ps)
{
	size_t cap = ps->cap ? ps->cap * 2 : 1024;
	char **slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ps->cap; i++)
		if (ps->slots[i])
			*pathset_slot(slots, cap, ps->slots[i], strlen(ps->slots[i])) = ps->slots[i];
	free(ps->slots);
	ps->slots = slots;
	ps->cap = cap;
	return 0;
}

/* 1 when added, 0 when already there. */
static int pathset_add(struct berth_pathset *ps, const char *s, size_t len)
{
	char **slot;

	if (ps->n + 1 > ps->cap / 2) {
		if (ps->n >= BERTH_UNPACK_MAX_TRACKED_PATHS)
			return -E2BIG;
		if (pathset_grow(ps) < 0)
			return -ENOMEM;
	}
	slot = pathset_slot(ps->slots, ps->cap, s, len);
	if (*slot)
		return 0;
	*slot = strndup(s, len);
	if (*slot == NULL)
		return -ENOMEM;
	ps->n++;
	return 1;
}

static void pathset_free(struct berth_pathset *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->cap; i++)
		free(ps->slots[i]);
	free(ps->slots);
	free(ps);
}

bool berth_unpack_written(const struct berth_unpack *u, const char *path, size_t len)
{
	const struct berth_pathset *ps = u->written;

	return ps && ps->cap && *pathset_slot(ps->slots, ps->cap, path, len) != NULL;
}

/* Record path and its ancestors; an ancestor already there has its own
 * ancestors recorded, so the walk up stops at the first one found. */
static int mark_written(struct berth_unpack *u, const char *path, size_t len, struct berth_error *err)
{
	if (u->written == NULL)
		return 0;
	while (len > 0) {
		const char *slash;
		int r = pathset_add(u->written, path, len);
		if (r == -E2BIG)
			return berth_error_set(err, E2BIG, "the layer has more than %u paths", BERTH_UNPACK_MAX_TRACKED_PATHS);
		if (r < 0)
			return berth_error_sys(err, -r, "remember the layer's paths");
		if (r == 0)
			break;
		slash = memrchr(path, '/', len);
		len = slash ? (size_t) (slash - path) : 0;
	}
	return 0;
}

/* ---- names ---- */

int berth_unpack_normalize(const char *raw, char out[PATH_MAX], size_t *ret_len, struct berth_error *err)
{
	const char *p = raw;
	size_t o = 0;

	if (raw[0] == '/')
		return berth_error_set(err, EINVAL, "absolute path: layer entries are relative to the layer root");
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t) (p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return berth_error_set(err, EINVAL, "path leaves the layer root (\"..\" component)");
		if (n > NAME_MAX)
			return berth_error_set(err, ENAMETOOLONG, "a path component is longer than %d bytes", NAME_MAX);
		if (o + (o > 0) + n >= PATH_MAX)
			return berth_error_set(err, ENAMETOOLONG, "path longer than %d bytes", PATH_MAX - 1);
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	*ret_len = o;
	return 0;
}

/* Names go into messages and logs: escape what is not printable ASCII, and
 * cut what is too long to read. */
const char *berth_unpack_quote(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		if (o + 4 + 3 + 1 > size) { /* room for an escape, "..." and the NUL */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, 5, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* ---- opening directories beneath the snapshot ---- */

/* openat2 with RESOLVE_NO_SYMLINKS does the whole walk in one call and
 * refuses any symlink on the way, ".." never appears (names are
 * normalised), and RESOLVE_BENEATH refuses anything absolute. Returns the
 * fd, or -errno; -ENOSYS when the caller must walk by hand. */
static int beneath_openat2(struct berth_unpack *u, int base, const char *rest)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	if (u->no_openat2 || u->opts->force_walk)
		return -ENOSYS;
	for (int attempt = 0; attempt < 8; attempt++) {
		long fd = syscall(SYS_openat2, base, rest, &how, sizeof(how));
		if (fd >= 0)
			return (int) fd;
		if (errno == EAGAIN)
			continue; /* a rename raced the lookup */
		if (errno == ENOSYS || errno == EPERM || errno == E2BIG) {
			/* EPERM: a seccomp filter older than openat2. */
			u->no_openat2 = true;
			return -ENOSYS;
		}
		return -errno;
	}
	return -EAGAIN;
}

static int dir_create(struct berth_unpack *u, int dfd, const char *name, const char *path, size_t len,
		      struct berth_error *err)
{
	_cleanup_close_ int fd = -1;

	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create directory \"%.*s\"", (int) len, path);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open directory \"%.*s\"", (int) len, path);
	/* Exactly 0755 root:root, whatever the umask and a setgid parent say. */
	if (fchmod(fd, 0755) < 0 || (!u->opts->skip_chown && fchown(fd, 0, 0) < 0))
		return berth_error_sys(err, errno, "set up directory \"%.*s\"", (int) len, path);
	return berth_steal_fd(&fd);
}

/* A whiteout this layer made, then an entry below its name (".wh.a" then
 * "a/b"): the directory the entry needs replaces the whiteout and is
 * opaque, as when a directory entry replaces a whiteout (unpack_entry.c),
 * so the lower layers' "a" stays hidden. */
static int whiteout_to_dir(struct berth_unpack *u, int dfd, const char *name, const char *path, size_t len,
			   struct berth_error *err)
{
	int fd;

	if (unlinkat(dfd, name, 0) < 0)
		return berth_error_sys(err, errno, "replace whiteout \"%.*s\" with a directory", (int) len, path);
	fd = dir_create(u, dfd, name, path, len, err);
	if (fd >= 0 && fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0) {
		close(fd);
		return berth_error_sys(err, errno, "mark directory \"%.*s\" opaque", (int) len, path);
	}
	return fd;
}

/* A component that should be a directory is not one.  In an APPLY layer, a
 * non-directory that came with the parent layer is replaced by the
 * directory this entry needs: overlayfs shows the same thing (an upper
 * directory hides a lower non-directory of that name).  What this layer
 * put there itself (but a whiteout) is refused: an entry is never written
 * through a symlink. */
static int not_a_dir(struct berth_unpack *u, int dfd, const char *name, const char *path, size_t len, bool create,
		     struct berth_error *err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "inspect \"%.*s\"", (int) len, path);
	if (create && u->opts->whiteout == BERTH_WHITEOUT_APPLY && !berth_unpack_written(u, path, len) &&
	    !S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0)
			return berth_error_sys(err, errno, "replace \"%.*s\" with a directory", (int) len, path);
		return dir_create(u, dfd, name, path, len, err);
	}
	if (create && u->opts->whiteout == BERTH_WHITEOUT_OVERLAY && S_ISCHR(st.st_mode) &&
	    st.st_rdev == makedev(0, 0))
		return whiteout_to_dir(u, dfd, name, path, len, err);
	if (S_ISLNK(st.st_mode))
		return berth_error_set(err, ELOOP, "\"%.*s\" is a symlink: entries are never written through symlinks",
				       (int) len, path);
	return berth_error_set(err, ENOTDIR, "\"%.*s\" is not a directory", (int) len, path);
}

/* One O_NOFOLLOW|O_DIRECTORY open per component: the fallback without
 * openat2, and the way missing directories get created (and refusals get
 * a precise message) with it.  path[0..off) is `base`; off is 0 or just
 * after a '/'. */
static int walk_open(struct berth_unpack *u, int base, const char *path, size_t off, size_t len, bool create,
		     struct berth_error *err)
{
	_cleanup_close_ int cur = -1;

	while (off < len) {
		char name[NAME_MAX + 1];
		const char *slash = memchr(path + off, '/', len - off);
		size_t end = slash ? (size_t) (slash - path) : len;
		int dfd = cur >= 0 ? cur : base, fd;

		if (end - off > NAME_MAX)
			return berth_error_set(err, ENAMETOOLONG, "path component too long");
		memcpy(name, path + off, end - off);
		name[end - off] = '\0';
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create)
			fd = dir_create(u, dfd, name, path, end, err);
		else if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
			fd = not_a_dir(u, dfd, name, path, end, create, err);
		else if (fd < 0)
			fd = berth_error_sys(err, errno, "open directory \"%.*s\"", (int) end, path);
		if (fd < 0)
			return fd;
		berth_closep(&cur);
		cur = fd;
		off = end + 1;
	}
	return cur >= 0 ? berth_steal_fd(&cur) : fcntl(base, F_DUPFD_CLOEXEC, 3);
}

static int open_from(struct berth_unpack *u, int base, const char *path, size_t off, size_t len, bool create,
		     struct berth_error *err)
{
	char rest[PATH_MAX];
	int fd;

	memcpy(rest, path + off, len - off);
	rest[len - off] = '\0';
	fd = beneath_openat2(u, base, rest);
	if (fd >= 0)
		return fd;
	if (fd != -ENOSYS && fd != -ENOENT && fd != -ELOOP && fd != -ENOTDIR && fd != -EXDEV)
		return berth_error_sys(err, -fd, "open directory \"%.*s\"", (int) len, path);
	return walk_open(u, base, path, off, len, create, err);
}

void berth_unpack_cache_invalidate(struct berth_unpack *u, int keep_fd)
{
	if (u->cache_fd >= 0 && u->cache_fd != keep_fd) {
		close(u->cache_fd);
		u->cache_fd = -1;
	}
}

int berth_unpack_parent_open(struct berth_unpack *u, const char *path, size_t len, struct berth_error *err)
{
	int base = u->rootfd, fd;
	size_t off = 0;

	if (len == 0)
		return u->rootfd;
	if (u->cache_fd >= 0 && len >= u->cache_len && memcmp(path, u->cache_path, u->cache_len) == 0) {
		if (len == u->cache_len)
			return u->cache_fd;
		/* A subdirectory of the cached one: walk only the rest. */
		if (path[u->cache_len] == '/') {
			base = u->cache_fd;
			off = u->cache_len + 1;
		}
	}
	fd = open_from(u, base, path, off, len, true, err);
	if (fd < 0)
		return fd;
	berth_unpack_cache_invalidate(u, -1);
	memcpy(u->cache_path, path, len);
	u->cache_path[len] = '\0';
	u->cache_len = len;
	u->cache_fd = fd;
	return fd;
}

int berth_unpack_dir_open(struct berth_unpack *u, const char *path, size_t len, struct berth_error *err)
{
	if (len == 0) {
		int fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? berth_error_sys(err, errno, "duplicate the snapshot directory fd") : fd;
	}
	return open_from(u, u->rootfd, path, 0, len, false, err);
}

/* ---- directory metadata, applied last ---- */

static void dirs_clear(struct berth_unpack *u)
{
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	u->n_dirs = 0;
}

/* Newest first, so a directory's mode is set after those of the
 * directories below it (a mode without write or search permission would
 * otherwise stop a caller without CAP_DAC_OVERRIDE); when a layer has a
 * directory twice, the newest entry wins and the older ones are skipped. */
static int dirs_apply(struct berth_unpack *u, struct berth_error *err)
{
	struct berth_pathset done = { 0 };
	int r = 0;

	while (u->n_dirs > 0 && r == 0) {
		struct berth_unpack_dirmeta *d = &u->dirs[u->n_dirs - 1];
		struct berth_error ignored = { 0 };
		_cleanup_close_ int fd = -1;
		int fresh = pathset_add(&done, d->path, strlen(d->path));

		if (fresh < 0)
			r = berth_error_sys(err, -fresh, "set directory metadata");
		else if (fresh > 0)
			fd = berth_unpack_dir_open(u, d->path, strlen(d->path), &ignored);
		/* Gone or no longer a directory: a later entry replaced it. */
		if (fd >= 0 && fchmod(fd, d->mode) < 0)
			r = berth_error_sys(err, errno, "set the mode of directory \"%s\"", d->path);
		else if (fd >= 0 && d->has_times && futimens(fd, d->times) < 0)
			r = berth_error_sys(err, errno, "set the times of directory \"%s\"", d->path);
		free(d->path);
		u->n_dirs--;
	}
	for (size_t i = 0; i < done.cap; i++)
		free(done.slots[i]);
	free(done.slots);
	return r;
}

int berth_unpack_dir_defer(struct berth_unpack *u, const char *path, mode_t mode, const struct timespec *times,
			   struct berth_error *err)
{
	struct berth_unpack_dirmeta *d;
	int r;

	if (u->n_dirs >= MAX_DEFERRED_DIRS && (r = dirs_apply(u, err)) < 0)
		return r;
	if (u->n_dirs == u->cap_dirs) {
		size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 256;
		struct berth_unpack_dirmeta *n = realloc(u->dirs, cap * sizeof(*n));
		if (n == NULL)
			return berth_error_sys(err, ENOMEM, "remember directory metadata");
		u->dirs = n;
		u->cap_dirs = cap;
	}
	d = &u->dirs[u->n_dirs];
	*d = (struct berth_unpack_dirmeta){ .path = strdup(path), .mode = mode, .has_times = times != NULL };
	if (d->path == NULL)
		return berth_error_sys(err, ENOMEM, "remember directory metadata");
	if (times)
		memcpy(d->times, times, sizeof(d->times));
	u->n_dirs++;
	return 0;
}

/* ---- the tar stream ---- */

static la_ssize_t tar_read(struct archive *a, void *ctx, const void **buf)
{
	struct berth_unpack *u = ctx;
	ssize_t n = berth_layer_reader_read(u->reader, u->buf, TAR_BUF_SIZE, &u->src_err);

	if (n < 0) {
		u->src_failed = true;
		archive_set_error(a, (int) -n, "%s", u->src_err.msg);
		return -1;
	}
	*buf = u->buf;
	return n;
}

/* What went wrong in libarchive: the compressed stream (the reader's own
 * message says corrupt, truncated...), or the tar format. */
int berth_unpack_tar_error(struct berth_unpack *u, struct archive *a, struct berth_error *err)
{
	const char *msg = archive_error_string(a);
	int code = archive_errno(a);

	if (u->src_failed) {
		*err = u->src_err;
		return -berth_error_code(err);
	}
	return berth_error_set(err, code > 0 ? code : EINVAL, "malformed tar: %s", msg ? msg : "unknown error");
}

static int whiteout_entry(struct berth_unpack *u, size_t dir_len, const char *base, struct berth_error *err)
{
	const char *name = base + strlen(WHITEOUT_PREFIX);
	int pfd, r;

	if (strcmp(base, OPAQUE_NAME) != 0 &&
	    (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	     strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0))
		return berth_error_set(err, EINVAL, "invalid whiteout: \"%s\" names no file that can exist", base);
	pfd = berth_unpack_parent_open(u, u->path, dir_len, err);
	if (pfd < 0)
		return pfd;
	u->path[dir_len] = '\0'; /* the directory's path, for the whiteout */
	if (strcmp(base, OPAQUE_NAME) == 0) {
		u->stats.opaques++;
		r = berth_unpack_opaque(u, pfd, u->path, err);
	} else {
		u->stats.whiteouts++;
		r = berth_unpack_whiteout(u, pfd, u->path, name, err);
	}
	if (r < 0)
		return r;
	/* The directory holding the whiteout exists in an overlay layer
	 * too: keep the two modes' trees the same. */
	return mark_written(u, u->path, dir_len, err);
}

/* Names the layer may not use: ".wh." is reserved for whiteouts, so no
 * directory on the way can carry it. */
static int check_components(const char *path, size_t dir_len, struct berth_error *err)
{
	size_t i = 0;

	while (i < dir_len) {
		const char *slash = memchr(path + i, '/', dir_len - i);
		size_t end = slash ? (size_t) (slash - path) : dir_len;
		if (end - i >= strlen(WHITEOUT_PREFIX) && memcmp(path + i, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
			return berth_error_set(err, EINVAL, "directory \"%.*s\" has a whiteout name", (int) end, path);
		i = end + 1;
	}
	return 0;
}

static int entry_process(struct berth_unpack *u, struct archive *a, struct archive_entry *e, struct berth_error *err)
{
	const char *raw = archive_entry_pathname(e);
	const char *slash, *base;
	size_t len, dir_len;
	int pfd, r;

	if (raw == NULL)
		return berth_error_set(err, EINVAL, "entry without a name");
	if ((r = berth_unpack_normalize(raw, u->path, &len, err)) < 0)
		return r;
	if (len == 0) {
		if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e) != NULL)
			return berth_error_set(err, EINVAL, "names the layer root but is not a directory");
		return berth_unpack_entry_root(u, e, err);
	}
	if (u->opts->whiteout == BERTH_WHITEOUT_KEEP) {
		slash = memrchr(u->path, '/', len);
		pfd = berth_unpack_parent_open(u, u->path, slash ? (size_t) (slash - u->path) : 0, err);
		return pfd < 0 ? pfd : berth_unpack_entry_make(u, a, e, pfd, slash ? slash + 1 : u->path, err);
	}
	/* aufs kept its own bookkeeping (".wh..wh.plnk", ".wh..wh.aufs") at
	 * the root of old layers; docker skips it, and so do we. */
	if (strncmp(u->path, AUFS_META_PREFIX, strlen(AUFS_META_PREFIX)) == 0 && strcmp(u->path, OPAQUE_NAME) != 0) {
		u->stats.skipped++;
		return 0;
	}
	slash = memrchr(u->path, '/', len);
	dir_len = slash ? (size_t) (slash - u->path) : 0;
	base = slash ? slash + 1 : u->path;
	if ((r = check_components(u->path, dir_len, err)) < 0)
		return r;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return whiteout_entry(u, dir_len, base, err);
	pfd = berth_unpack_parent_open(u, u->path, dir_len, err);
	if (pfd < 0)
		return pfd;
	if ((r = berth_unpack_entry_make(u, a, e, pfd, base, err)) < 0)
		return r;
	return mark_written(u, u->path, len, err);
}

static int tar_loop(struct berth_unpack *u, struct archive *a, struct berth_error *err)
{
	for (;;) {
		struct archive_entry *e;
		char quoted[512];
		int ar = archive_read_next_header(a, &e), r;

		if (ar == ARCHIVE_EOF)
			return 0;
		/* Warnings too: libarchive warns about malformed pax records
		 * and names it could not convert, and a layer with those is
		 * not one to guess about. */
		if (ar != ARCHIVE_OK) {
			berth_unpack_tar_error(u, a, err);
			return berth_error_wrap(err, "read the header after entry %llu",
						(unsigned long long) u->stats.entries);
		}
		u->stats.entries++;
		r = entry_process(u, a, e, err);
		if (r < 0) {
			const char *name = archive_entry_pathname(e);
			return berth_error_wrap(err, "%s \"%s\"",
						u->opts->whiteout == BERTH_WHITEOUT_KEEP ? "archive entry" : "layer entry",
						berth_unpack_quote(name ? name : "", quoted, sizeof(quoted)));
		}
	}
}

static void unpack_release(struct berth_unpack *u)
{
	berth_unpack_cache_invalidate(u, -1);
	berth_closep(&u->rootfd);
	dirs_clear(u);
	free(u->dirs);
	pathset_free(u->written);
	free(u->buf);
	free(u);
}

static int unpack_init(struct berth_unpack **ret, struct berth_layer_reader *reader, int dirfd,
		       const struct berth_unpack_options *opts, struct berth_error *err)
{
	struct berth_unpack *u;

	if (opts->whiteout != BERTH_WHITEOUT_OVERLAY && opts->whiteout != BERTH_WHITEOUT_APPLY &&
	    opts->whiteout != BERTH_WHITEOUT_KEEP)
		return berth_error_set(err, EINVAL, "unpack: unknown whiteout mode %d", (int) opts->whiteout);
	if (opts->id_shift.size != 0)
		return berth_error_set(err, EOPNOTSUPP, "unpack: id shifting is not implemented");
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return berth_error_sys(err, ENOMEM, "allocate unpack state");
	*ret = u;
	u->opts = opts;
	u->reader = reader;
	u->cache_fd = -1;
	/* Our own descriptor of the snapshot: the caller's may be O_PATH,
	 * which fsetxattr and fchown refuse. */
	u->rootfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->rootfd < 0)
		return berth_error_sys(err, errno, "open the snapshot directory");
	u->buf = malloc(TAR_BUF_SIZE);
	if (u->buf == NULL)
		return berth_error_sys(err, ENOMEM, "allocate unpack buffer");
	if (opts->whiteout == BERTH_WHITEOUT_APPLY && (u->written = calloc(1, sizeof(*u->written))) == NULL)
		return berth_error_sys(err, ENOMEM, "allocate unpack state");
	return 0;
}

static int archive_setup(struct berth_unpack *u, struct archive **ret, struct berth_error *err)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return berth_error_sys(err, ENOMEM, "allocate tar reader");
	*ret = a;
	/* Only the tar formats (ustar, pax, GNU), and an empty stream as an
	 * empty layer (Go's tar reader, so docker, takes it as one).  The
	 * compression was undone by the layer reader: no libarchive filter
	 * is enabled, so a doubly-compressed layer is not unpacked. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_format_empty(a) != ARCHIVE_OK)
		return berth_error_set(err, EINVAL, "set up tar reader: %s", archive_error_string(a));
	if (archive_read_open(a, u, NULL, tar_read, NULL) != ARCHIVE_OK)
		return berth_unpack_tar_error(u, a, err);
	return 0;
}

int berth_unpack_tar(struct berth_layer_reader *reader, int dirfd, const struct berth_unpack_options *opts,
		     struct berth_unpack_stats *ret_stats, struct berth_error *err)
{
	struct berth_unpack *u = NULL;
	struct archive *a = NULL;
	int r;

	r = unpack_init(&u, reader, dirfd, opts, err);
	if (r == 0)
		r = archive_setup(u, &a, err);
	if (r == 0)
		r = tar_loop(u, a, err);
	if (r == 0)
		r = dirs_apply(u, err);
	if (a)
		archive_read_free(a);
	if (ret_stats)
		*ret_stats = u ? u->stats : (struct berth_unpack_stats){ 0 };
	if (u)
		unpack_release(u);
	return r;
}

int berth_unpack_layer(const struct berth_layer_source *source, int dirfd, const struct berth_unpack_options *opts,
		       char ret_diff_id[BERTH_DIGEST_MAX], struct berth_unpack_stats *ret_stats,
		       struct berth_error *err)
{
	_cleanup_layer_reader_ struct berth_layer_reader *reader = NULL;
	int r;

	if (ret_stats)
		*ret_stats = (struct berth_unpack_stats){ 0 };
	if ((r = berth_layer_reader_new(source, &reader, err)) < 0)
		return r;
	if ((r = berth_unpack_tar(reader, dirfd, opts, ret_stats, err)) < 0)
		return r;
	return berth_layer_reader_finish(reader, ret_diff_id, NULL, err);
}
