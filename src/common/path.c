#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINKS 40

static bool force_fallback;
static bool kernel_lacks_openat2;

void berth_path_force_fallback(bool on)
{
	force_fallback = on;
}

/* A stack of directory fds from the root down to the current directory. */
struct walk {
	int *fds;
	size_t depth; /* fds[0] is the root; fds[depth] the current dir */
	size_t cap;
};

static void walk_release(struct walk *w)
{
	/* fds[0] is the caller's rootfd: not ours to close. */
	for (size_t i = 1; i <= w->depth && w->fds; i++)
		close(w->fds[i]);
	free(w->fds);
}

static int walk_push(struct walk *w, int fd)
{
	if (w->depth + 1 >= w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		int *n = realloc(w->fds, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		w->fds = n;
		w->cap = cap;
	}
	w->fds[++w->depth] = fd;
	return 0;
}

static void walk_pop_to(struct walk *w, size_t depth)
{
	while (w->depth > depth)
		close(w->fds[w->depth--]);
}

/* Replace the unwalked rest of the path with "<target>/<rest>". */
static int splice_symlink(char *rest_buf, size_t size, const char *target, const char *rest)
{
	char tmp[PATH_MAX];
	int n = strcmp(rest, "/") == 0 ? snprintf(tmp, sizeof(tmp), "%s/", target)
				       : snprintf(tmp, sizeof(tmp), "%s%s%s", target, *rest ? "/" : "", rest);

	if (n < 0 || (size_t) n >= sizeof(tmp) || (size_t) n >= size)
		return -ENAMETOOLONG;
	memcpy(rest_buf, tmp, (size_t) n + 1);
	return 0;
}

static int open_last(int dirfd, const char *name, int flags)
{
	int fd;

	if (flags & O_PATH) {
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && (flags & O_DIRECTORY)) {
			struct stat st;
			if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
				close(fd);
				return -ENOTDIR;
			}
		}
		return fd < 0 ? -errno : fd;
	}
	/* O_NOFOLLOW: if the entry was swapped for a symlink since we looked,
	 * fail with ELOOP rather than follow it. */
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Take the first component off `rest` into comp.  Returns 1 when the path
 * is used up, 0 with *last (nothing follows) and *slash_after ("name/"),
 * or -ENAMETOOLONG. */
static int next_component(char *rest, char comp[NAME_MAX + 1], bool *last, bool *slash_after)
{
	char *p = rest, *end;
	size_t len;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 1;
	end = strchr(p, '/');
	len = end ? (size_t) (end - p) : strlen(p);
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(comp, p, len);
	comp[len] = '\0';
	p += len;
	/* "name/" must be a directory, as the kernel has it. */
	*slash_after = *p == '/';
	while (*p == '/')
		p++;
	*last = *p == '\0';
	memmove(rest, p, strlen(p) + 1);
	return 0;
}

/* Replace the link at fd (an O_PATH fd) with its target in front of rest;
 * an absolute target starts again from the root. */
static int follow_link(struct walk *w, int fd, char *rest, size_t size, bool trailing_slash, int *links)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (++*links > MAX_SYMLINKS)
		return -ELOOP;
	if (target[0] == '/')
		walk_pop_to(w, 0);
	return splice_symlink(rest, size, target, trailing_slash ? "/" : rest);
}

static int fallback_open(int rootfd, const char *path, int flags)
{
	struct walk w = { 0 };
	char rest[PATH_MAX];
	int links = 0, r;

	if (path[0] == '\0')
		return -ENOENT; /* as open(2): an empty path names nothing */
	if (strlen(path) >= sizeof(rest))
		return -ENAMETOOLONG;
	strcpy(rest, path);
	w.cap = 16;
	w.fds = malloc(w.cap * sizeof(*w.fds));
	if (w.fds == NULL)
		return -ENOMEM;
	w.fds[0] = rootfd; /* the root sits at index 0, never popped */
	w.depth = 0;

	for (;;) {
		char comp[NAME_MAX + 1];
		bool last = false, slash_after = false;
		struct stat st;
		int fd;

		r = next_component(rest, comp, &last, &slash_after);
		if (r < 0)
			goto out;
		if (r == 1) {
			/* The path named a directory we already hold. */
			r = openat(w.fds[w.depth], ".",
				   (flags & O_PATH ? O_PATH : flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL)) | O_CLOEXEC);
			r = r < 0 ? -errno : r;
			goto out;
		}
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (w.depth > 0)
				walk_pop_to(&w, w.depth - 1);
			continue;
		}
		fd = openat(w.fds[w.depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		if (fstat(fd, &st) < 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		/* O_NOFOLLOW spares only a last component without a trailing
		 * slash: "link/" means the directory the link points to. */
		if (S_ISLNK(st.st_mode) && !(last && !slash_after && (flags & O_NOFOLLOW))) {
			r = follow_link(&w, fd, rest, sizeof(rest), last && slash_after, &links);
			close(fd);
			if (r < 0)
				goto out;
			continue;
		}
		if (last) {
			r = slash_after && !S_ISDIR(st.st_mode) ? -ENOTDIR : open_last(w.fds[w.depth], comp, flags);
			close(fd);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			r = -ENOTDIR;
			goto out;
		}
		if ((r = walk_push(&w, fd)) < 0) {
			close(fd);
			goto out;
		}
	}
out:
	walk_release(&w);
	return r;
}

int berth_openat_in_root(int rootfd, const char *path, int flags)
{
	if (!force_fallback && !kernel_lacks_openat2) {
		struct open_how how = {
			.flags = (uint64_t) (flags | O_CLOEXEC),
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		for (int attempt = 0; attempt < 16; attempt++) {
			long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
			if (fd >= 0)
				return (int) fd;
			/* EAGAIN: a concurrent rename raced the walk; try again. */
			if (errno == EAGAIN)
				continue;
			if (errno == ENOSYS || errno == EPERM) {
				/* EPERM: a seccomp filter that predates openat2. */
				kernel_lacks_openat2 = true;
				break;
			}
			return -errno;
		}
		if (!kernel_lacks_openat2)
			return -EAGAIN;
	}
	return fallback_open(rootfd, path, flags & ~O_CREAT);
}

int berth_open_in_root(int rootfd, const char *rootname, const char *path, int flags, struct berth_error *err)
{
	int fd = berth_openat_in_root(rootfd, path, flags);

	if (fd < 0)
		return berth_error_sys(err, -fd, "open %s in %s", path, rootname);
	return fd;
}

const char *berth_path_split(const char *path, char *parent, size_t parent_size)
{
	size_t len = strlen(path);
	const char *base;

	while (len > 1 && path[len - 1] == '/')
		len--;
	base = memrchr(path, '/', len);
	if (base == NULL) {
		snprintf(parent, parent_size, ".");
		return path;
	}
	if (base == path)
		snprintf(parent, parent_size, "/");
	else
		snprintf(parent, parent_size, "%.*s", (int) (base - path), path);
	return base + 1;
}

/* Symlinks to missing directories followed while making a path (as the
 * kernel's own limit on symlinks in one lookup). */
#define MAX_DANGLING_LINKS 40

static int mkdir_all(int rootfd, const char *rootname, const char *path, mode_t mode, int links,
		     struct berth_error *err);

/* parentfd/base exists but does not open as a directory inside the root: a
 * symlink to something missing ("/var/run -> /run" in an image without
 * /run).  Make its target, inside the root, as runc does. */
static int make_link_target(int rootfd, const char *rootname, int parentfd, const char *parent, const char *base,
			    mode_t mode, int links, struct berth_error *err)
{
	char target[PATH_MAX], joined[PATH_MAX * 2];
	ssize_t n = readlinkat(parentfd, base, target, sizeof(target) - 1);
	if (n < 0 && errno == EINVAL)
		return 0; /* not a symlink: made by someone else meanwhile; the next open decides */
	if (n < 0)
		return berth_error_sys(err, errno, "create directory %s/%s in %s", parent, base, rootname);
	target[n] = '\0';
	if (links >= MAX_DANGLING_LINKS)
		return berth_error_sys(err, ELOOP, "create directory %s/%s in %s", parent, base, rootname);
	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target);
	else
		snprintf(joined, sizeof(joined), "%s/%s", parent, target);
	if (strlen(joined) >= PATH_MAX)
		return berth_error_sys(err, ENAMETOOLONG, "create directory %s/%s in %s", parent, base, rootname);
	int fd = mkdir_all(rootfd, rootname, joined, mode, links + 1, err);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int berth_mkdir_all_in_root(int rootfd, const char *rootname, const char *path, mode_t mode,
			    struct berth_error *err)
{
	return mkdir_all(rootfd, rootname, path, mode, 0, err);
}

static int mkdir_all(int rootfd, const char *rootname, const char *path, mode_t mode, int links,
		     struct berth_error *err)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path), i;
	int fd;

	/* Fast path: it is already there. */
	fd = berth_openat_in_root(rootfd, path, O_PATH | O_DIRECTORY);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		return berth_error_sys(err, -fd, "open directory %s in %s", path, rootname);
	if (len >= sizeof(prefix))
		return berth_error_sys(err, ENAMETOOLONG, "create directory %s in %s", path, rootname);

	/* Walk prefixes: each is resolved inside the root before the next
	 * component is created in it, so a symlink anywhere along the way is
	 * followed only within the root. */
	for (i = 0; i <= len; i++) {
		_cleanup_close_ int parentfd = -1;
		char parent[PATH_MAX];
		const char *base;

		if (i < len && (path[i] != '/' || i == 0))
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (prefix[0] == '\0')
			continue;
		fd = berth_openat_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			if (i == len)
				return fd;
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			return berth_error_sys(err, -fd, "open directory %s in %s", prefix, rootname);
		base = berth_path_split(prefix, parent, sizeof(parent));
		parentfd = berth_openat_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
		if (parentfd < 0)
			return berth_error_sys(err, -parentfd, "open directory %s in %s", parent, rootname);
		if (mkdirat(parentfd, base, mode) < 0) {
			if (errno != EEXIST)
				return berth_error_sys(err, errno, "create directory %s in %s", prefix, rootname);
			int r = make_link_target(rootfd, rootname, parentfd, parent, base, mode, links, err);
			if (r < 0)
				return r;
		}
		if (i == len) {
			fd = berth_openat_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
			if (fd < 0)
				return berth_error_sys(err, -fd, "open directory %s in %s", prefix, rootname);
			return fd;
		}
	}
	return berth_error_sys(err, ENOENT, "create directory %s in %s", path, rootname);
}

int berth_create_file_in_root(int rootfd, const char *rootname, const char *path, mode_t mode,
			      struct berth_error *err)
{
	_cleanup_close_ int parentfd = -1;
	char parent[PATH_MAX];
	const char *base;
	int fd;

	fd = berth_openat_in_root(rootfd, path, O_PATH);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		return berth_error_sys(err, -fd, "open %s in %s", path, rootname);
	base = berth_path_split(path, parent, sizeof(parent));
	parentfd = berth_mkdir_all_in_root(rootfd, rootname, parent, 0755, err);
	if (parentfd < 0)
		return parentfd;
	/* O_NOFOLLOW|O_CREAT: a dangling symlink planted here fails (ELOOP)
	 * instead of creating its target outside the root. */
	fd = openat(parentfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s in %s", path, rootname);
	if (fd >= 0)
		close(fd);
	fd = berth_openat_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return berth_error_sys(err, -fd, "open %s in %s", path, rootname);
	return fd;
}
