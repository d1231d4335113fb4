/* Making one layer entry (file, directory, link, node, whiteout) inside
 * its parent directory, which unpack.c opened beneath the snapshot.
 *
 * Everything here is relative to that parent fd: names are single
 * components, creation is O_EXCL / O_NOFOLLOW (a name taken by anything,
 * a dangling symlink included, is removed first, never followed), and
 * ownership, modes and times go through an fd of the new object or an
 * *at() call that does not follow symlinks. */
#define BERTH_UNPACK_INTERNAL 1
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"

#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define MAX_OPAQUE_DEPTH 128

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

struct meta {
	uid_t uid;
	gid_t gid;
	mode_t perm;
	bool has_times;
	struct timespec times[2]; /* atime, mtime */
};

static long nsec_valid(long n)
{
	return n >= 0 && n < 1000000000 ? n : 0;
}

static int meta_read(struct berth_unpack *u, struct archive_entry *e, struct meta *m, struct berth_error *err)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	/* (uid_t) -1 tells chown "leave it": no file can be owned by it. */
	if (uid < 0 || uid >= (la_int64_t) UINT32_MAX)
		return berth_error_set(err, EINVAL, "uid %lld out of range", (long long) uid);
	if (gid < 0 || gid >= (la_int64_t) UINT32_MAX)
		return berth_error_set(err, EINVAL, "gid %lld out of range", (long long) gid);
	m->uid = (uid_t) uid;
	m->gid = (gid_t) gid;
	if (u->opts->owner.set) {
		m->uid = u->opts->owner.uid;
		m->gid = u->opts->owner.gid;
	}
	m->perm = archive_entry_perm(e) & 07777;
	m->has_times = archive_entry_mtime_is_set(e);
	if (m->has_times) {
		m->times[1] = (struct timespec){ archive_entry_mtime(e), nsec_valid(archive_entry_mtime_nsec(e)) };
		m->times[0] = m->times[1];
		if (archive_entry_atime_is_set(e))
			m->times[0] =
				(struct timespec){ archive_entry_atime(e), nsec_valid(archive_entry_atime_nsec(e)) };
	}
	return 0;
}

/* Which xattrs a layer may carry.
 *
 * Set: user.* (application data) and security.capability (file
 * capabilities, which docker keeps too).
 *
 * Refused, failing the whole unpack: trusted.overlay.* and user.overlay.*
 * (the latter when overlayfs is mounted with "userxattr").  They are
 * overlayfs's own metadata: redirect, opaque, metacopy, origin.  A layer
 * carrying them could make overlayfs show another directory's contents,
 * hide the layers below, or point a file's data elsewhere.  Dropping them
 * silently would also be safe, but no honest layer has them (exporters
 * turn overlay metadata into whiteouts), so one that does is broken or an
 * attack, and saying so beats unpacking a tree that differs from what its
 * author sees.
 *
 * Dropped, counted in stats.xattrs_dropped: everything else.  Other
 * trusted.* need CAP_SYS_ADMIN and belong to the host's privileged
 * services; security.* labels (selinux, ima, evm) come from the host's
 * policy, not from an image. */
enum xattr_verdict {
	XATTR_SET,
	XATTR_DROP,
	XATTR_REFUSE,
};

static enum xattr_verdict xattr_judge(const char *name)
{
	if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
		return XATTR_REFUSE;
	if (strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0)
		return XATTR_SET;
	return XATTR_DROP;
}

/* fd < 0: the entry cannot carry xattrs (symlinks, devices, fifos refuse
 * user.* and have no use for capabilities); allowed ones are dropped. */
static int xattrs_apply(struct berth_unpack *u, struct archive_entry *e, int fd, struct berth_error *err)
{
	const char *name;
	const void *value;
	size_t size;
	int n = archive_entry_xattr_reset(e);

	if (n > BERTH_UNPACK_MAX_XATTRS)
		return berth_error_set(err, E2BIG, "%d xattrs, more than %d", n, BERTH_UNPACK_MAX_XATTRS);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		char quoted[300];
		enum xattr_verdict v = xattr_judge(name);

		berth_unpack_quote(name, quoted, sizeof(quoted));
		if (v == XATTR_REFUSE)
			return berth_error_set(err, EPERM, "xattr \"%s\" is overlayfs metadata, which a layer may not set",
					       quoted);
		if (strlen(name) > XATTR_NAME_MAX || size > BERTH_UNPACK_MAX_XATTR_VALUE)
			return berth_error_set(err, E2BIG, "xattr \"%s\" too large", quoted);
		if (v == XATTR_DROP || fd < 0) {
			u->stats.xattrs_dropped++;
			continue;
		}
		if (fsetxattr(fd, name, value, size, 0) == 0)
			continue;
		/* As docker: a file system without xattrs, or an
		 * unprivileged caller and security.capability. */
		if (errno == ENOTSUP || (errno == EPERM && u->opts->skip_chown)) {
			u->stats.xattrs_dropped++;
			continue;
		}
		return berth_error_sys(err, errno, "set xattr \"%s\"", quoted);
	}
	return 0;
}

/* Owner before mode (chown clears setuid and setgid), mode and xattrs
 * before times, capabilities after chown (which clears them too). */
static int meta_apply_fd(struct berth_unpack *u, struct archive_entry *e, const struct meta *m, int fd,
			 struct berth_error *err)
{
	int r;

	if (!u->opts->skip_chown && fchown(fd, m->uid, m->gid) < 0)
		return berth_error_sys(err, errno, "set owner %u:%u", (unsigned) m->uid, (unsigned) m->gid);
	if (fchmod(fd, m->perm) < 0)
		return berth_error_sys(err, errno, "set mode %04o", (unsigned) m->perm);
	if ((r = xattrs_apply(u, e, fd, err)) < 0)
		return r;
	if (m->has_times && futimens(fd, m->times) < 0)
		return berth_error_sys(err, errno, "set times");
	return 0;
}

/* chmod that never follows a symlink: fchmodat2 (Linux 6.6), else glibc's
 * AT_SYMLINK_NOFOLLOW emulation, which refuses symlinks. */
static int chmod_nofollow(int pfd, const char *base, mode_t mode)
{
	if (syscall(SYS_fchmodat2, pfd, base, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	return fchmodat(pfd, base, mode, AT_SYMLINK_NOFOLLOW);
}

/* For what cannot be opened: symlinks, and nodes (opening a device could
 * do things). */
static int meta_apply_at(struct berth_unpack *u, struct archive_entry *e, const struct meta *m, int pfd,
			 const char *base, bool is_symlink, struct berth_error *err)
{
	int r;

	if (!u->opts->skip_chown && fchownat(pfd, base, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "set owner %u:%u", (unsigned) m->uid, (unsigned) m->gid);
	if (!is_symlink && chmod_nofollow(pfd, base, m->perm) < 0)
		return berth_error_sys(err, errno, "set mode %04o", (unsigned) m->perm);
	if ((r = xattrs_apply(u, e, -1, err)) < 0)
		return r;
	if (m->has_times && utimensat(pfd, base, m->times, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "set times");
	return 0;
}

/* Make room at dirfd/name: whatever is there goes, a directory with all it
 * holds.  keep_fd is the parent the caller still uses (see
 * berth_unpack_cache_invalidate). */
static int remove_existing(struct berth_unpack *u, int keep_fd, int dirfd, const char *name, struct berth_error *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_sys(err, errno, "inspect the existing \"%s\"", name);
	if (S_ISDIR(st.st_mode) && u->opts->no_overwrite_dir_nondir)
		return berth_error_set(err, EEXIST, "cannot overwrite directory \"%s\" with non-directory", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return berth_error_sys(err, errno, "remove the existing \"%s\"", name);
		return 0;
	}
	berth_unpack_cache_invalidate(u, keep_fd);
	return berth_remove_tree_at(dirfd, name, err);
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t) n;
		off += n;
	}
	return 0;
}

/* The data comes in slices of libarchive's read buffer, at their offsets:
 * a sparse entry leaves holes between them. */
static int data_write(struct berth_unpack *u, struct archive *a, struct archive_entry *e, int fd,
		      struct berth_error *err)
{
	la_int64_t end = 0;

	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int ar = archive_read_data_block(a, &buf, &size, &off), r;

		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK)
			return berth_unpack_tar_error(u, a, err);
		if (off < 0 || (uint64_t) off > (uint64_t) INT64_MAX - size)
			return berth_error_set(err, EINVAL, "malformed tar: data at offset %lld", (long long) off);
		if ((r = pwrite_all(fd, buf, size, (off_t) off)) < 0)
			return berth_error_sys(err, -r, "write file data");
		if (off + (la_int64_t) size > end)
			end = off + (la_int64_t) size;
		u->stats.bytes += size;
	}
	/* A sparse file may end in a hole, which no data block reaches. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
		return berth_error_sys(err, errno, "set file size");
	return 0;
}

static int make_file(struct berth_unpack *u, struct archive *a, struct archive_entry *e, int pfd, const char *base,
		     struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	struct meta m;
	int r;

	if ((r = meta_read(u, e, &m, err)) < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || attempt > 0)
			break;
		if ((r = remove_existing(u, pfd, pfd, base, err)) < 0)
			return r;
	}
	if (fd < 0)
		return berth_error_sys(err, errno, "create file");
	if ((r = data_write(u, a, e, fd, err)) < 0 || (r = meta_apply_fd(u, e, &m, fd, err)) < 0)
		return r;
	if (close(berth_steal_fd(&fd)) < 0)
		return berth_error_sys(err, errno, "write file");
	u->stats.files++;
	return 0;
}

static int make_dir(struct berth_unpack *u, struct archive_entry *e, int pfd, const char *base,
		    struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	bool hide_lower = false;
	struct meta m;
	struct stat st;
	int r;

	if ((r = meta_read(u, e, &m, err)) < 0)
		return r;
	/* 0700 until the end of the layer, when the entry's mode is set:
	 * its own entries may still have to be written into it. */
	if (mkdirat(pfd, base, 0700) < 0) {
		if (errno != EEXIST)
			return berth_error_sys(err, errno, "create directory");
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_sys(err, errno, "inspect the existing entry");
		/* A directory over a directory only updates metadata. */
		if (!S_ISDIR(st.st_mode) && u->opts->no_overwrite_dir_nondir)
			return berth_error_set(err, EEXIST, "cannot overwrite non-directory \"%s\" with directory", base);
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(pfd, base, 0) < 0 || mkdirat(pfd, base, 0700) < 0)
				return berth_error_sys(err, errno, "replace the existing entry with a directory");
			/* The non-directory (a whiteout, a file) hid the
			 * lower layers' directory of this name; keep it
			 * hidden, or overlayfs would merge it back in. */
			hide_lower = u->opts->whiteout == BERTH_WHITEOUT_OVERLAY;
		}
	}
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open directory");
	if (!u->opts->skip_chown && fchown(fd, m.uid, m.gid) < 0)
		return berth_error_sys(err, errno, "set owner %u:%u", (unsigned) m.uid, (unsigned) m.gid);
	if ((r = xattrs_apply(u, e, fd, err)) < 0)
		return r;
	if (hide_lower && fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
		return berth_error_sys(err, errno, "mark directory opaque");
	u->stats.dirs++;
	return berth_unpack_dir_defer(u, u->path, m.perm, m.has_times ? m.times : NULL, err);
}

static int make_symlink(struct berth_unpack *u, struct archive_entry *e, int pfd, const char *base,
			struct berth_error *err)
{
	const char *target = archive_entry_symlink(e);
	struct meta m;
	int r = -1;

	if ((r = meta_read(u, e, &m, err)) < 0)
		return r;
	if (target == NULL || target[0] == '\0')
		return berth_error_set(err, EINVAL, "symlink without a target");
	if (strlen(target) >= PATH_MAX)
		return berth_error_set(err, ENAMETOOLONG, "symlink target longer than %d bytes", PATH_MAX - 1);
	/* The target is only data: it is never resolved here. */
	for (int attempt = 0;; attempt++) {
		r = symlinkat(target, pfd, base);
		if (r == 0 || errno != EEXIST || attempt > 0)
			break;
		if ((r = remove_existing(u, pfd, pfd, base, err)) < 0)
			return r;
	}
	if (r < 0)
		return berth_error_sys(err, errno, "create symlink");
	u->stats.symlinks++;
	return meta_apply_at(u, e, &m, pfd, base, true, err);
}

static int make_node(struct berth_unpack *u, struct archive_entry *e, int pfd, const char *base,
		     struct berth_error *err)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	struct meta m;
	int r = -1;

	if ((r = meta_read(u, e, &m, err)) < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		r = mknodat(pfd, base, type | 0600, type == S_IFIFO ? 0 : dev);
		if (r == 0 || errno != EEXIST || attempt > 0)
			break;
		if ((r = remove_existing(u, pfd, pfd, base, err)) < 0)
			return r;
	}
	if (r < 0)
		return berth_error_sys(err, errno, "create %s", type == S_IFIFO ? "fifo" : "device node");
	if (type == S_IFIFO)
		u->stats.fifos++;
	else
		u->stats.devices++;
	return meta_apply_at(u, e, &m, pfd, base, false, err);
}

static bool same_inode(int dfd1, const char *n1, int dfd2, const char *n2)
{
	struct stat a, b;

	return fstatat(dfd1, n1, &a, AT_SYMLINK_NOFOLLOW) == 0 && fstatat(dfd2, n2, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The target is resolved like any parent, beneath the snapshot without
 * symlinks, and linkat() without AT_SYMLINK_FOLLOW links a symlink itself,
 * never what it points to. */
static int make_hardlink(struct berth_unpack *u, struct archive_entry *e, int pfd, const char *base,
			 struct berth_error *err)
{
	_cleanup_close_ int tfd = -1;
	const char *raw = archive_entry_hardlink(e), *tbase, *slash;
	char quoted[300];
	size_t tlen;
	int r;

	berth_unpack_quote(raw, quoted, sizeof(quoted));
	if ((r = berth_unpack_normalize(raw, u->target, &tlen, err)) < 0)
		return berth_error_wrap(err, "hard link target \"%s\"", quoted);
	if (tlen == 0)
		return berth_error_set(err, EINVAL, "hard link to the layer root");
	slash = memrchr(u->target, '/', tlen);
	tbase = slash ? slash + 1 : u->target;
	tfd = berth_unpack_dir_open(u, u->target, slash ? (size_t) (slash - u->target) : 0, err);
	if (tfd < 0)
		return berth_error_wrap(err, "hard link target \"%s\"", quoted);
	for (int attempt = 0;; attempt++) {
		r = linkat(tfd, tbase, pfd, base, 0);
		if (r == 0 || errno != EEXIST || attempt > 0)
			break;
		if (same_inode(tfd, tbase, pfd, base))
			return 0; /* already that file */
		if ((r = remove_existing(u, pfd, pfd, base, err)) < 0)
			return r;
	}
	if (r < 0 && errno == ENOENT)
		return berth_error_set(err, ENOENT, "hard link target \"%s\" does not exist", quoted);
	if (r < 0)
		return berth_error_sys(err, errno, "create hard link to \"%s\"", quoted);
	u->stats.hardlinks++;
	return 0;
}

int berth_unpack_entry_make(struct berth_unpack *u, struct archive *a, struct archive_entry *e, int pfd,
			    const char *base, struct berth_error *err)
{
	if (archive_entry_hardlink(e) != NULL)
		return make_hardlink(u, e, pfd, base, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return make_file(u, a, e, pfd, base, err);
	case AE_IFDIR:
		return make_dir(u, e, pfd, base, err);
	case AE_IFLNK:
		return make_symlink(u, e, pfd, base, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_node(u, e, pfd, base, err);
	case AE_IFSOCK:
		/* A socket is made by bind(); an archived one has no use. */
		u->stats.skipped++;
		return 0;
	default:
		return berth_error_set(err, EINVAL, "unsupported entry type 0%o", (unsigned) archive_entry_filetype(e));
	}
}

int berth_unpack_entry_root(struct berth_unpack *u, struct archive_entry *e, struct berth_error *err)
{
	struct meta m;
	int r;

	if ((r = meta_read(u, e, &m, err)) < 0)
		return r;
	if (!u->opts->skip_chown && fchown(u->rootfd, m.uid, m.gid) < 0)
		return berth_error_sys(err, errno, "set owner %u:%u", (unsigned) m.uid, (unsigned) m.gid);
	if ((r = xattrs_apply(u, e, u->rootfd, err)) < 0)
		return r;
	u->stats.dirs++;
	return berth_unpack_dir_defer(u, "", m.perm, m.has_times ? m.times : NULL, err);
}

/* APPLY: remove from directory fd what the parent layer put there.  What
 * this layer wrote stays, and below its directories the walk goes on,
 * since a directory entry over a parent-layer directory only merged into
 * it.  path holds the directory's path (PATH_MAX bytes, len used). */
static int opaque_walk(struct berth_unpack *u, int keep_fd, int fd, char *path, size_t len, int depth,
		       struct berth_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int dfd, r;

	if (depth > MAX_OPAQUE_DEPTH)
		return berth_error_set(err, ELOOP, "opaque whiteout: directories nested deeper than %d",
				       MAX_OPAQUE_DEPTH);
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		r = berth_error_sys(err, errno, "opaque whiteout: read directory \"%s\"", path);
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), sub_len = len + (len > 0) + n;
		_cleanup_close_ int sub = -1;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (sub_len >= PATH_MAX)
			return berth_error_set(err, ENAMETOOLONG, "opaque whiteout: path too long under \"%s\"", path);
		snprintf(path + len, PATH_MAX - len, "%s%s", len > 0 ? "/" : "", de->d_name);
		if (!berth_unpack_written(u, path, sub_len))
			r = remove_existing(u, keep_fd, dirfd(d), de->d_name, err);
		else if ((sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			r = opaque_walk(u, keep_fd, sub, path, sub_len, depth + 1, err);
		else
			r = 0; /* ours and not a directory: it stays */
		path[len] = '\0';
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return berth_error_sys(err, errno, "opaque whiteout: read directory \"%s\"", path);
	return 0;
}

int berth_unpack_opaque(struct berth_unpack *u, int pfd, const char *dir, struct berth_error *err)
{
	char path[PATH_MAX];

	if (u->opts->whiteout == BERTH_WHITEOUT_OVERLAY) {
		if (fsetxattr(pfd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
			return berth_error_sys(err, errno, "mark directory opaque");
		return 0;
	}
	snprintf(path, sizeof(path), "%s", dir);
	return opaque_walk(u, pfd, pfd, path, strlen(path), 0, err);
}

static int whiteout_overlay(int pfd, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* Mode 0 and root-owned, as overlayfs makes its own whiteouts. */
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) == 0)
		return 0;
	if (errno != EEXIST)
		return berth_error_sys(err, errno, "create whiteout device");
	/* This layer has NAME itself: a non-directory already hides the
	 * lower NAME; a directory would merge with it, unless opaque. */
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_sys(err, errno, "inspect the existing entry");
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
		return berth_error_sys(err, errno, "mark directory opaque");
	return 0;
}

/* A whiteout removes what the layers below have (the spec: it never hides
 * an entry of its own layer), whatever the order of the entries. */
int berth_unpack_whiteout(struct berth_unpack *u, int pfd, const char *dir, const char *name,
			  struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	int n;

	if (u->opts->whiteout == BERTH_WHITEOUT_OVERLAY)
		return whiteout_overlay(pfd, name, err);
	n = snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", name);
	if (n < 0 || (size_t) n >= sizeof(path))
		return berth_error_set(err, ENAMETOOLONG, "whiteout path too long");
	if (!berth_unpack_written(u, path, (size_t) n))
		return remove_existing(u, pfd, pfd, name, err);
	/* Ours: a non-directory stays; in a directory, what the parent layer
	 * had goes, as an opaque directory would hide it. */
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	return opaque_walk(u, pfd, fd, path, (size_t) n, 0, err);
}
