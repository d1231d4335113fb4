/* docker cp's PUT: the uploaded archive is outside input, extracted into a
 * directory of a container that may hold symlinks of its own making.  Any
 * bytes must extract or fail with a message, never crash, leak or write
 * outside the directory: it sits four directories deep in a fresh
 * temporary tree and holds symlinks to "/" and to "../../../..", so an
 * escape by ".." or through a symlink lands in a directory we check.  The
 * tree is removed after every input. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "archive_stat.h"
#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const levels[] = { "a", "b", "c", "snap" };

/* The only entry of dirfd is `name`. */
static void check_only(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, name) != 0) {
			fprintf(stderr, "unpack wrote \"%s\" outside the snapshot\n", de->d_name);
			__builtin_trap();
		}
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char top[] = "/tmp/berth-fuzz-archive.XXXXXX";
	int fds[BERTH_ARRAY_SIZE(levels) + 1];
	struct berth_unpack_options o = {
		.whiteout = BERTH_WHITEOUT_KEEP,
		.skip_chown = true,
		.force_walk = size & 1, /* both resolvers */
		.no_overwrite_dir_nondir = size & 2,
	};
	struct berth_error err = { 0 };
	int r;

	if (mkdtemp(top) == NULL)
		abort();
	fds[0] = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(levels); i++) {
		if (fds[i] < 0 || mkdirat(fds[i], levels[i], 0755) < 0)
			abort();
		fds[i + 1] = openat(fds[i], levels[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	int dir = fds[BERTH_ARRAY_SIZE(levels)];
	if (dir < 0 || symlinkat("/", dir, "root") < 0 || symlinkat("../../../..", dir, "up") < 0 ||
	    mkdirat(dir, "sub", 0755) < 0)
		abort();
	int src = memfd_create("archive", MFD_CLOEXEC);
	if (src < 0 || (size > 0 && write(src, data, size) != (ssize_t) size) || lseek(src, 0, SEEK_SET) < 0)
		abort();
	r = berth_archive_extract(dir, src, &o, &err);
	close(src);
	if (r < 0 && (err.msg[0] == '\0' || err.code <= 0))
		__builtin_trap(); /* every failure says why */
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(levels); i++)
		check_only(fds[i], levels[i]);

	for (size_t i = 0; i <= BERTH_ARRAY_SIZE(levels); i++)
		close(fds[i]);
	{
		_cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (berth_remove_tree_at(tmp, top + strlen("/tmp/"), &err) < 0)
			abort();
	}
	return 0;
}
