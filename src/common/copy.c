#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_DEPTH 256

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

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, int depth,
		      struct berth_error *err);

static int copy_dir_contents(int srcdir, int dstdir, int depth, struct berth_error *err)
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
		if ((r = copy_entry(srcdir, dstdir, de->d_name, &st, depth, err)) < 0)
			return r;
	}
	if (errno)
		return berth_error_sys(err, errno, "copy: read directory");
	return 0;
}

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, int depth,
		      struct berth_error *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int r;

	if (S_ISDIR(st->st_mode)) {
		_cleanup_close_ int s = -1, d = -1;
		if (mkdirat(dstdir, name, st->st_mode & 07777) < 0 && errno != EEXIST)
			return berth_error_sys(err, errno, "copy: create directory %s", name);
		s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_error_sys(err, errno, "copy: open directory %s", name);
		if ((r = copy_dir_contents(s, d, depth + 1, err)) < 0)
			return r;
		if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0)
			return berth_error_sys(err, errno, "copy: set owner and mode of %s", name);
		futimens(d, times);
		return 0;
	}
	if (S_ISREG(st->st_mode)) {
		_cleanup_close_ int in = -1, out = -1;
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
		futimens(out, times);
		return 0;
	}
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
	utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW);
	return 0;
}

int berth_copy_tree(int srcdirfd, int dstdirfd, struct berth_error *err)
{
	return copy_dir_contents(srcdirfd, dstdirfd, 0, err);
}
