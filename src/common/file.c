#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int berth_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			    unsigned flags, struct berth_error *err)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	int r;

	r = snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int) getpid());
	if (r < 0 || (size_t) r >= sizeof(tmp))
		return berth_error_sys(err, ENAMETOOLONG, "write %s", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_error_sys(err, errno, "create %s", tmp);
	r = berth_write_all(fd, data, len);
	if (r == 0 && (flags & BERTH_WRITE_DURABLE) && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return berth_error_sys(err, -r, "write %s", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = errno;
		unlinkat(dirfd, tmp, 0);
		return berth_error_sys(err, r, "rename %s to %s", tmp, name);
	}
	return 0;
}

int berth_read_file_at(int dirfd, const char *path, size_t max_size, char **ret, size_t *ret_len,
		       struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, len = 0;

	/* "" reads dirfd itself: a file opened safely inside a root. */
	fd = *path ? openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", path);
	/* Room for max_size bytes, one more to notice a larger file, and the NUL. */
	if (cap > max_size + 2)
		cap = max_size + 2;
	buf = malloc(cap);
	if (buf == NULL)
		return berth_error_sys(err, ENOMEM, "read %s", path);
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *nbuf;
			if (cap >= max_size + 2)
				return berth_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max_size);
			cap = cap * 2 > max_size + 2 ? max_size + 2 : cap * 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL)
				return berth_error_sys(err, ENOMEM, "read %s", path);
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_sys(err, errno, "read %s", path);
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > max_size)
			return berth_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max_size);
	}
	buf[len] = '\0';
	*ret = berth_steal_ptr(&buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int berth_write_file_at(int dirfd, const char *path, const void *data, size_t len, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", path);
	n = write(fd, data, len);
	if (n < 0)
		return berth_error_sys(err, errno, "write %s", path);
	if ((size_t) n != len)
		return berth_error_set(err, EIO, "write %s: short write", path);
	return 0;
}

static int remove_children(int dirfd, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r = 0;

	if (depth > 64)
		return -ELOOP;
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			_cleanup_close_ int sub =
				openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = -errno;
				continue;
			}
			remove_children(sub, depth + 1);
			if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				r = -errno;
			continue;
		}
		r = -errno;
	}
	return r;
}

int berth_remove_tree_at(int dirfd, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno == ENOTDIR) {
		if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		return berth_error_sys(err, errno, "remove %s", name);
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", name);
	r = remove_children(fd, 0);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error_sys(err, errno, "remove %s", name);
	(void) r;
	return 0;
}

int berth_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	/* Parents are nearly always there: one mkdir, not one per component. */
	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 ? -errno : 0;
}
