/* A layer blob is outside input: any bytes must unpack or fail with a
 * message, never crash, leak or write outside the snapshot.  The snapshot
 * sits four directories deep in a fresh temporary tree, so an escape by a
 * few ".." or a symlink lands in a directory we check: each level must
 * still hold only the next one.  The tree is removed after every input. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const levels[] = { "a", "b", "c", "snap" };

struct memsrc {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct memsrc *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	(void) err;
	/* Short reads, to exercise refills. */
	if (n > 1000)
		n = 1000;
	if (n > 0)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t) n;
}

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
	char top[] = "/tmp/berth-fuzz-unpack.XXXXXX";
	int fds[BERTH_ARRAY_SIZE(levels) + 1];
	struct memsrc m = { data, size, 0 };
	struct berth_layer_source src = { mem_read, &m };
	struct berth_unpack_options o = {
		.whiteout = BERTH_WHITEOUT_OVERLAY,
		.skip_chown = true,
		.force_walk = size & 1, /* both resolvers */
	};
	struct berth_unpack_stats st;
	struct berth_error err = { 0 };
	char diff_id[BERTH_DIGEST_MAX];
	int r;

	if (mkdtemp(top) == NULL)
		abort();
	fds[0] = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(levels); i++) {
		if (fds[i] < 0 || mkdirat(fds[i], levels[i], 0755) < 0)
			abort();
		fds[i + 1] = openat(fds[i], levels[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	r = berth_unpack_layer(&src, fds[BERTH_ARRAY_SIZE(levels)], &o, diff_id, &st, &err);
	if (r < 0 && (err.msg[0] == '\0' || err.code <= 0))
		__builtin_trap(); /* every failure says why */
	if (r == 0 && strncmp(diff_id, "sha256:", 7) != 0)
		__builtin_trap();
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
