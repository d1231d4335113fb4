#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_DEPTH 256
#define XATTR_LIST_MAX_BYTES 65536

/* An inode met before under another name: (dev, ino) -> its path in the
 * destination, relative to the destination root. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copy_ctx {
	unsigned flags;
	int dst_root;
	struct link_seen *links;
	size_t n_links, cap_links;
	char path[PATH_MAX]; /* of the directory being copied, relative to the roots */
};

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	for (;;) {
		char buf[65536];
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t) (n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += w;
		}
	}
}

static int copy_entry(struct copy_ctx *c, int srcdir, int dstdir, const char *name, const struct stat *st,
		      int depth, struct berth_error *err);

static int copy_dir_contents(struct copy_ctx *c, int srcdir, int dstdir, int depth, struct berth_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	if (depth > MAX_DEPTH)
		return berth_error_set(err, ELOOP, "copy: directories nested deeper than %d", MAX_DEPTH);
	fd = openat(srcdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "copy: open directory");
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_error_sys(err, errno, "copy: read directory");
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(srcdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_sys(err, errno, "copy: stat %s", de->d_name);
		if ((r = copy_entry(c, srcdir, dstdir, de->d_name, &st, depth, err)) < 0)
			return r;
	}
	if (errno)
		return berth_error_sys(err, errno, "copy: read directory");
	return 0;
}

/* Copy the extended attributes of src to dst (descriptors, or for a
 * symlink the /proc/self/fd paths of both). */
static int copy_xattrs(const char *src, const char *dst, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *list = malloc(XATTR_LIST_MAX_BYTES), *value = malloc(XATTR_SIZE_MAX);
	if (!list || !value)
		return berth_error_sys(err, ENOMEM, "copy: attributes of %s", name);
	ssize_t n = llistxattr(src, list, XATTR_LIST_MAX_BYTES);
	if (n < 0)
		return errno == ENOTSUP ? 0 : berth_error_sys(err, errno, "copy: list attributes of %s", name);
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		ssize_t len = lgetxattr(src, k, value, XATTR_SIZE_MAX);
		if (len < 0)
			return berth_error_sys(err, errno, "copy: read attribute %s of %s", k, name);
		if (lsetxattr(dst, k, value, (size_t) len, 0) < 0)
			return berth_error_sys(err, errno, "copy: set attribute %s of %s", k, name);
	}
	return 0;
}

static int copy_entry_xattrs(struct copy_ctx *c, int srcdir, int dstdir, const char *name, struct berth_error *err)
{
	char src[PATH_MAX + 64], dst[PATH_MAX + 64];
	if (!(c->flags & BERTH_COPY_XATTRS))
		return 0;
	snprintf(src, sizeof(src), "/proc/self/fd/%d/%s", srcdir, name);
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d/%s", dstdir, name);
	return copy_xattrs(src, dst, name, err);
}

static const char *rel_path(struct copy_ctx *c, const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s%s%s", c->path, c->path[0] ? "/" : "", name);
	return out;
}

/* A second name of an inode already copied becomes a link to the copy.
 * Returns 1 when linked, 0 when the inode is new (and now remembered). */
static int link_if_seen(struct copy_ctx *c, int dstdir, const char *name, const struct stat *st,
			struct berth_error *err)
{
	char rel[PATH_MAX];
	if (!(c->flags & BERTH_COPY_HARDLINKS) || st->st_nlink < 2)
		return 0;
	for (size_t i = 0; i < c->n_links; i++) {
		if (c->links[i].dev != st->st_dev || c->links[i].ino != st->st_ino)
			continue;
		if (linkat(c->dst_root, c->links[i].path, dstdir, name, 0) < 0)
			return berth_error_sys(err, errno, "copy: link %s to %s", name, c->links[i].path);
		return 1;
	}
	if (c->n_links == c->cap_links) {
		struct link_seen *nl = realloc(c->links, (c->cap_links = c->cap_links ? c->cap_links * 2 : 64) *
							       sizeof(*nl));
		if (!nl)
			return berth_error_sys(err, ENOMEM, "copy: %s", name);
		c->links = nl;
	}
	char *p = strdup(rel_path(c, name, rel));
	if (!p)
		return berth_error_sys(err, ENOMEM, "copy: %s", name);
	c->links[c->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, p };
	return 0;
}

static int copy_directory(struct copy_ctx *c, int srcdir, int dstdir, const char *name, const struct stat *st,
			  int depth, struct berth_error *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	_cleanup_close_ int s = -1, d = -1;
	size_t saved_len = strlen(c->path);
	char rel[PATH_MAX];
	int r;

	if (mkdirat(dstdir, name, st->st_mode & 07777) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "copy: create directory %s", name);
	s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return berth_error_sys(err, errno, "copy: open directory %s", name);
	snprintf(c->path, sizeof(c->path), "%s", rel_path(c, name, rel));
	r = copy_dir_contents(c, s, d, depth + 1, err);
	c->path[saved_len] = '\0';
	if (r < 0)
		return r;
	if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0)
		return berth_error_sys(err, errno, "copy: set owner and mode of %s", name);
	if ((r = copy_entry_xattrs(c, srcdir, dstdir, name, err)) < 0)
		return r;
	futimens(d, times);
	return 0;
}

static int copy_regular(struct copy_ctx *c, int srcdir, int dstdir, const char *name, const struct stat *st,
			struct berth_error *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	_cleanup_close_ int in = -1, out = -1;
	int r = link_if_seen(c, dstdir, name, st, err);
	if (r != 0)
		return r < 0 ? r : 0;
	in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return berth_error_sys(err, errno, "copy: open %s", name);
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return berth_error_sys(err, errno, "copy: create %s", name);
	if ((r = copy_data(in, out)) < 0)
		return berth_error_sys(err, -r, "copy: write %s", name);
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return berth_error_sys(err, errno, "copy: set owner and mode of %s", name);
	if ((r = copy_entry_xattrs(c, srcdir, dstdir, name, err)) < 0)
		return r;
	futimens(out, times);
	return 0;
}

static int copy_entry(struct copy_ctx *c, int srcdir, int dstdir, const char *name, const struct stat *st,
		      int depth, struct berth_error *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int r;

	if (S_ISDIR(st->st_mode))
		return copy_directory(c, srcdir, dstdir, name, st, depth, err);
	if (S_ISREG(st->st_mode))
		return copy_regular(c, srcdir, dstdir, name, st, err);
	if ((r = link_if_seen(c, dstdir, name, st, err)) != 0)
		return r < 0 ? r : 0;
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error_sys(err, errno, "copy: read link %s", name);
		target[n] = '\0';
		if (symlinkat(target, dstdir, name) < 0)
			return berth_error_sys(err, errno, "copy: create link %s", name);
	} else if (mknodat(dstdir, name, st->st_mode, st->st_rdev) < 0) {
		return berth_error_sys(err, errno, "copy: create node %s", name);
	}
	if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "copy: set owner of %s", name);
	if ((r = copy_entry_xattrs(c, srcdir, dstdir, name, err)) < 0)
		return r;
	utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW);
	return 0;
}

int berth_copy_tree_flags(int srcdirfd, int dstdirfd, unsigned flags, struct berth_error *err)
{
	struct copy_ctx c = { .flags = flags, .dst_root = dstdirfd };
	int r = copy_dir_contents(&c, srcdirfd, dstdirfd, 0, err);
	for (size_t i = 0; i < c.n_links; i++)
		free(c.links[i].path);
	free(c.links);
	return r;
}

int berth_copy_tree(int srcdirfd, int dstdirfd, struct berth_error *err)
{
	return berth_copy_tree_flags(srcdirfd, dstdirfd, 0, err);
}
