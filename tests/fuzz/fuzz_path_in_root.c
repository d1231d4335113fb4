/* Path resolution inside a root must never leave it, whatever the path and
 * whatever symlinks the root holds.  The root is a fixed tree with hostile
 * links; the input is the path.  Both resolvers (openat2 and the userspace
 * walk) must agree, and whatever they open must be inside the tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int rootfd = -1;
static ino_t inodes[64];
static size_t n_inodes;
static dev_t root_dev;

static void remember(const char *path)
{
	struct stat st;
	if (fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && n_inodes < 64)
		inodes[n_inodes++] = st.st_ino;
}

static void make_tree(void)
{
	char dir[] = "/tmp/berth-fuzz-root.XXXXXX";
	static const char *const links[][2] = {
		{ "abs", "/" },	     { "etc-link", "/etc" }, { "up", "../../.." },   { "a/b/back", "../../up" },
		{ "loop1", "loop2" }, { "loop2", "loop1" },   { "a/self", "." },	      { "dangling", "/nowhere/x" },
		{ "proc", "/proc/self/root" },
	};

	if (mkdtemp(dir) == NULL)
		abort();
	rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	mkdirat(rootfd, "a", 0755);
	mkdirat(rootfd, "a/b", 0755);
	mkdirat(rootfd, "etc", 0755);
	close(openat(rootfd, "etc/passwd", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	close(openat(rootfd, "a/b/file", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		symlinkat(links[i][0 + 1], rootfd, links[i][0]);
	remember(".");
	remember("a");
	remember("a/b");
	remember("etc");
	remember("etc/passwd");
	remember("a/b/file");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		remember(links[i][0]);
	struct stat st;
	fstat(rootfd, &st);
	root_dev = st.st_dev;
}

static void check_inside(int fd)
{
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0)
		abort();
	for (size_t i = 0; i < n_inodes; i++)
		if (st.st_ino == inodes[i] && st.st_dev == root_dev)
			return;
	fprintf(stderr, "resolved outside the root: inode %lu\n", (unsigned long) st.st_ino);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	int a, b;

	if (rootfd < 0)
		make_tree();
	if (size >= sizeof(path))
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (strlen(path) != size)
		return 0; /* NUL inside: not a path */

	berth_path_force_fallback(false);
	a = berth_openat_in_root(rootfd, path, O_PATH);
	berth_path_force_fallback(true);
	b = berth_openat_in_root(rootfd, path, O_PATH);
	check_inside(a);
	check_inside(b);
	if ((a >= 0) != (b >= 0)) {
		fprintf(stderr, "resolvers disagree on \"%s\": openat2 %d, walk %d\n", path, a, b);
		abort();
	}
	if (a >= 0) {
		struct stat sa, sb;
		fstat(a, &sa);
		fstat(b, &sb);
		if (sa.st_ino != sb.st_ino) {
			fprintf(stderr, "resolvers disagree on \"%s\"\n", path);
			abort();
		}
	}
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return 0;
}
