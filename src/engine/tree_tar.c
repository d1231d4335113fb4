/* A tar of a tree, made as it is read: see tree_tar.h. */
#include "tree_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define TAR_MAX_DEPTH 256
#define TAR_CHUNK (64 * 1024)
#define TAR_MAX_XATTRS 128
#define TAR_XATTR_LIST_MAX 65536
#define TAR_XATTR_VALUE_MAX 65536

struct level {
	int fd;
	char **names;
	size_t n, next;
	size_t path_len; /* x->path[0..path_len): this directory's path and '/' ("" for the root) */
};

struct berth_tree_tar {
	int top_fd;	  /* the directory holding the top entry */
	char *top_name;	  /* on disk; NULL once archived */
	char *top_as;	  /* in the tar; "" when only what a top directory holds is archived */
	dev_t top_dev;
	uint64_t *mount_ids; /* other file systems the walk may enter */
	int hold_fd;
	size_t n_mount_ids;
	struct archive *a;
	struct archive_entry_linkresolver *links;
	struct level levels[TAR_MAX_DEPTH];
	size_t depth;
	int file_fd; /* the regular file whose data comes next, -1 */
	int64_t file_left;
	bool finished; /* the archive is closed: what is in out is the end */
	int failed;
	struct berth_error failure;
	unsigned char *out; /* tar bytes libarchive made, not read yet */
	size_t out_len, out_pos, out_cap;
	unsigned char *io;  /* file data, xattr values */
	char *xattr_names;
	char path[PATH_MAX];
};

static la_ssize_t tar_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct berth_tree_tar *x = ctx;
	if (x->out_len + len > x->out_cap) {
		size_t cap = x->out_cap ? x->out_cap : TAR_CHUNK;
		while (cap < x->out_len + len)
			cap *= 2;
		unsigned char *grown = realloc(x->out, cap);
		if (!grown) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		x->out = grown;
		x->out_cap = cap;
	}
	memcpy(x->out + x->out_len, buf, len);
	x->out_len += len;
	return (la_ssize_t) len;
}

static int tar_error(struct berth_tree_tar *x, const char *what, struct berth_error *err)
{
	int code = archive_errno(x->a);
	return berth_error_set(err, code > 0 ? code : EIO, "tar: %s %s: %s", what, x->path,
			       archive_error_string(x->a) ? archive_error_string(x->a) : "unknown error");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void berth_dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int berth_dir_names(int fd, char ***ret, size_t *ret_n, struct berth_error *err)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_sys(err, errno, "open directory");
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return berth_error_sys(err, errno, "read directory");
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof(*grown));
			if (!grown) {
				berth_dir_names_free(names, n);
				return berth_error_sys(err, ENOMEM, "read directory");
			}
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name))) {
			berth_dir_names_free(names, n);
			return berth_error_sys(err, ENOMEM, "read directory");
		}
		n++;
	}
	if (errno) {
		int saved = errno;
		berth_dir_names_free(names, n);
		return berth_error_sys(err, saved, "read directory");
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*ret = names;
	*ret_n = n;
	return 0;
}

/* Enter directory fd (taken) whose path, with its '/', is x->path[0..len). */
static int push_dir(struct berth_tree_tar *x, int fd, size_t len, struct berth_error *err)
{
	if (x->depth == TAR_MAX_DEPTH) {
		close(fd);
		return berth_error_set(err, ELOOP, "tar: %s: directories nested deeper than %d", x->path,
				       TAR_MAX_DEPTH);
	}
	struct level *l = &x->levels[x->depth];
	*l = (struct level){ .fd = fd, .path_len = len };
	int r = berth_dir_names(fd, &l->names, &l->n, err);
	if (r < 0) {
		close(fd);
		return berth_error_wrap(err, "tar: /%s", x->path);
	}
	x->depth++;
	return 0;
}

static void pop_dir(struct berth_tree_tar *x)
{
	struct level *l = &x->levels[--x->depth];
	berth_dir_names_free(l->names, l->n);
	close(l->fd);
	*l = (struct level){ .fd = -1 };
}

/* Extended attributes of an open file, but not overlayfs' own. */
static void add_xattrs(struct berth_tree_tar *x, struct archive_entry *e, int fd)
{
	ssize_t n = flistxattr(fd, x->xattr_names, TAR_XATTR_LIST_MAX);
	if (n <= 0)
		return; /* none, not supported, or too many to list: left out */
	int count = 0;
	for (const char *name = x->xattr_names; name < x->xattr_names + n && count < TAR_MAX_XATTRS;
	     name += strlen(name) + 1) {
		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
			continue;
		ssize_t v = fgetxattr(fd, name, x->io, TAR_XATTR_VALUE_MAX);
		if (v < 0)
			continue;
		archive_entry_xattr_add_entry(e, name, x->io, (size_t) v);
		count++;
	}
}

/* Open name in dir without following a symlink, and check that it is
 * still what fstatat saw; -ENOENT when it is gone or was replaced. */
static int open_same(int dir, const char *name, int flags, const struct stat *seen, struct berth_error *err)
{
	int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
			       ? -ENOENT
			       : berth_error_sys(err, errno, "tar: open %s", name);
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_ino != seen->st_ino || st.st_dev != seen->st_dev ||
	    (st.st_mode & S_IFMT) != (seen->st_mode & S_IFMT)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* Whether the walk may enter directory fd, on another file system than
 * the top's. */
static bool may_enter(const struct berth_tree_tar *x, int fd)
{
	struct statx sx;
	if (x->n_mount_ids == 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return false;
	for (size_t i = 0; i < x->n_mount_ids; i++)
		if (x->mount_ids[i] == sx.stx_mnt_id)
			return true;
	return false;
}

/* One entry: `name` in directory dirfd, archived as `as` after the
 * directory's path x->path[0..path_len). */
static int entry(struct berth_tree_tar *x, int dirfd, size_t path_len, const char *name, const char *as,
		 struct berth_error *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_sys(err, errno, "tar: inspect /%.*s%s", (int) path_len,
							     x->path, name);
	size_t len = strlen(as);
	if (path_len + len + 2 > sizeof(x->path))
		return berth_error_set(err, ENAMETOOLONG, "tar: /%.*s%s: path longer than %zu bytes",
				       (int) path_len, x->path, name, sizeof(x->path) - 2);
	memcpy(x->path + path_len, as, len + 1);
	if (S_ISSOCK(st.st_mode))
		return 0; /* as docker: sockets are not archived */

	_cleanup_close_ int fd = -1;
	char target[PATH_MAX];
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = open_same(dirfd, name, S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY, &st, err);
		if (fd == -ENOENT)
			return 0; /* removed or replaced while we looked: the running container's business */
		if (fd < 0)
			return fd;
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return errno == ENOENT || errno == EINVAL ? 0
								  : berth_error_sys(err, errno, "tar: read link /%s", x->path);
		target[n] = '\0';
	}

	struct archive_entry *e = archive_entry_new(), *spare = NULL;
	if (!e)
		return berth_error_sys(err, ENOMEM, "tar");
	archive_entry_copy_stat(e, &st);
	archive_entry_copy_pathname(e, x->path);
	if (S_ISLNK(st.st_mode))
		archive_entry_copy_symlink(e, target);
	if (fd >= 0)
		add_xattrs(x, e, fd);
	if (S_ISREG(st.st_mode))
		archive_entry_linkify(x->links, &e, &spare);
	int r = 0;
	if (e && archive_write_header(x->a, e) < ARCHIVE_WARN)
		r = tar_error(x, "write the header of", err);
	bool data = r == 0 && e && S_ISREG(st.st_mode) && archive_entry_size(e) > 0 && !archive_entry_hardlink(e);
	int64_t size = e ? archive_entry_size(e) : 0;
	archive_entry_free(e);
	archive_entry_free(spare);
	if (r < 0)
		return r;
	if (data) {
		x->file_fd = berth_steal_fd(&fd);
		x->file_left = size;
	}
	/* Below a mount point is another file system: not the container's,
	 * unless it is one of its volumes. */
	if (S_ISDIR(st.st_mode) && (st.st_dev == x->top_dev || may_enter(x, fd))) {
		if (len > 0 && x->path[path_len + len - 1] != '/')
			x->path[path_len + len++] = '/';
		x->path[path_len + len] = '\0';
		return push_dir(x, berth_steal_fd(&fd), path_len + len, err);
	}
	return 0;
}

/* The next piece of a regular file's data. */
static int file_step(struct berth_tree_tar *x, struct berth_error *err)
{
	size_t want = x->file_left < TAR_CHUNK ? (size_t) x->file_left : TAR_CHUNK;
	ssize_t n;
	do
		n = read(x->file_fd, x->io, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_sys(err, errno, "tar: read /%s", x->path);
	if (n > 0 && archive_write_data(x->a, x->io, (size_t) n) < 0)
		return tar_error(x, "write the data of", err);
	x->file_left -= n;
	/* A file that shrank meanwhile is padded with zeros by libarchive; one
	 * that grew is cut at the size its header gave. */
	if (n == 0 || x->file_left <= 0)
		berth_closep(&x->file_fd);
	return 0;
}

static int step(struct berth_tree_tar *x, struct berth_error *err)
{
	if (x->file_fd >= 0)
		return file_step(x, err);
	if (x->top_name) {
		_cleanup_free_ char *name = berth_steal_ptr(&x->top_name);
		return entry(x, x->top_fd, 0, name, x->top_as, err);
	}
	if (x->depth == 0) {
		if (archive_write_close(x->a) != ARCHIVE_OK)
			return tar_error(x, "finish the archive after", err);
		x->finished = true;
		return 0;
	}
	struct level *l = &x->levels[x->depth - 1];
	if (l->next == l->n) {
		pop_dir(x);
		return 0;
	}
	const char *name = l->names[l->next++];
	return entry(x, l->fd, l->path_len, name, name, err);
}

ssize_t berth_tree_tar_read(struct berth_tree_tar *x, void *buf, size_t len, struct berth_error *err)
{
	if (x->failed) {
		*err = x->failure;
		return x->failed;
	}
	while (x->out_pos == x->out_len) {
		x->out_pos = x->out_len = 0;
		if (x->finished)
			return 0;
		int r = step(x, err);
		if (r < 0) {
			x->failed = r;
			x->failure = *err;
			return r;
		}
	}
	size_t n = x->out_len - x->out_pos < len ? x->out_len - x->out_pos : len;
	memcpy(buf, x->out + x->out_pos, n);
	x->out_pos += n;
	return (ssize_t) n;
}

void berth_tree_tar_free(struct berth_tree_tar *x)
{
	if (!x)
		return;
	while (x->depth > 0)
		pop_dir(x);
	berth_closep(&x->file_fd);
	berth_closep(&x->top_fd);
	free(x->top_name);
	free(x->top_as);
	free(x->mount_ids);
	berth_closep(&x->hold_fd);
	if (x->a)
		archive_write_free(x->a);
	if (x->links)
		archive_entry_linkresolver_free(x->links);
	free(x->out);
	free(x->io);
	free(x->xattr_names);
	free(x);
}


static int writer_setup(struct berth_tree_tar *x, struct berth_error *err)
{
	x->io = malloc(TAR_CHUNK > TAR_XATTR_VALUE_MAX ? TAR_CHUNK : TAR_XATTR_VALUE_MAX);
	x->xattr_names = malloc(TAR_XATTR_LIST_MAX);
	x->a = archive_write_new();
	x->links = archive_entry_linkresolver_new();
	if (!x->io || !x->xattr_names || !x->a || !x->links)
		return berth_error_sys(err, ENOMEM, "tar");
	if (archive_write_set_format_pax_restricted(x->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(x->a) != ARCHIVE_OK || archive_write_set_bytes_per_block(x->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(x->a, x, NULL, tar_write, NULL, NULL) != ARCHIVE_OK)
		return berth_error_set(err, EIO, "tar: set up the writer: %s", archive_error_string(x->a));
	archive_entry_linkresolver_set_strategy(x->links, archive_format(x->a));
	return 0;
}

/* The top: its device (the file system the walk stays on) and, for an
 * archive without a top entry, its directory pushed at once. */
static int top_setup(struct berth_tree_tar *x, int dirfd, const char *name, const char *as, struct berth_error *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "tar: inspect %s", name);
	x->top_dev = st.st_dev;
	if (*as) {
		x->top_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		x->top_name = strdup(name);
		x->top_as = strdup(as);
		if (x->top_fd < 0 || !x->top_name || !x->top_as)
			return berth_error_sys(err, x->top_fd < 0 ? errno : ENOMEM, "tar");
		return 0;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "tar: open directory %s", name);
	return push_dir(x, fd, 0, err);
}

int berth_tree_tar_new(int dirfd, const char *name, const char *as, const struct berth_tree_tar_options *opts,
		       struct berth_tree_tar **ret, struct berth_error *err)
{
	struct berth_tree_tar *x = calloc(1, sizeof(*x));
	if (!x) {
		if (opts && opts->hold_fd >= 0)
			close(opts->hold_fd);
		return berth_error_sys(err, ENOMEM, "tar");
	}
	x->top_fd = x->file_fd = -1;
	x->hold_fd = opts ? opts->hold_fd : -1;
	int r = writer_setup(x, err);
	if (r == 0 && opts && opts->n_mount_ids > 0) {
		x->mount_ids = calloc(opts->n_mount_ids, sizeof(*x->mount_ids));
		if (!x->mount_ids)
			r = berth_error_sys(err, ENOMEM, "tar");
		else
			memcpy(x->mount_ids, opts->mount_ids, opts->n_mount_ids * sizeof(*x->mount_ids));
		x->n_mount_ids = opts->n_mount_ids;
	}
	if (r == 0)
		r = top_setup(x, dirfd, name, as, err);
	if (r < 0) {
		berth_tree_tar_free(x);
		return r;
	}
	*ret = x;
	return 0;
}
