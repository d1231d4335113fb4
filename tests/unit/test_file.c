/* Atomic writes, bounded reads, tree removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"

struct tmp {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "/tmp/berth-file-XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		free(t);
		return -1;
	}
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = t;
	return t->fd < 0 ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	int r;

	close(t->fd);
	r = nftw(t->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return r;
}

static void put(int dirfd, const char *name, const char *content, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
}

/* The whole of dirfd/name, compared with want. */
static void assert_contents(int dirfd, const char *name, const void *want, size_t len)
{
	char buf[8192];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t) len);
	assert_memory_equal(buf, want, len);
}

/* How many entries dirfd holds, besides . and .. */
static int count_entries(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	rewinddir(d); /* the offset is shared with dirfd */
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_atomic_write_new(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	struct stat st;

	assert_int_equal(berth_write_file_atomic(t->fd, "f", "hello\n", 6, 0640, 0, &err), 0);
	assert_contents(t->fd, "f", "hello\n", 6);
	assert_int_equal(fstatat(t->fd, "f", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	/* No temporary file is left next to it. */
	assert_int_equal(count_entries(t->fd), 1);

	/* Durable writes give the same result; so does an empty file. */
	assert_int_equal(berth_write_file_atomic(t->fd, "g", "x", 1, 0600, BERTH_WRITE_DURABLE, &err), 0);
	assert_contents(t->fd, "g", "x", 1);
	assert_int_equal(fstatat(t->fd, "g", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(berth_write_file_atomic(t->fd, "empty", "", 0, 0644, 0, &err), 0);
	assert_int_equal(fstatat(t->fd, "empty", &st, 0), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(count_entries(t->fd), 3);
}

static void test_atomic_write_replaces(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	static const char binary[] = { 'a', '\0', 'b', '\n', '\0' };
	struct stat before, after;
	int reader;

	put(t->fd, "f", "old contents, longer than the new", 0600);
	assert_int_equal(fstatat(t->fd, "f", &before, 0), 0);
	/* A reader holding the old file keeps seeing the old contents. */
	reader = openat(t->fd, "f", O_RDONLY | O_CLOEXEC);
	assert_true(reader >= 0);

	assert_int_equal(berth_write_file_atomic(t->fd, "f", "new", 3, 0644, 0, &err), 0);
	assert_contents(t->fd, "f", "new", 3);
	assert_int_equal(fstatat(t->fd, "f", &after, 0), 0);
	assert_int_equal(after.st_size, 3);
	assert_int_equal(after.st_mode & 07777, 0644);
	assert_true(before.st_ino != after.st_ino); /* renamed over, not rewritten */
	{
		char buf[64];
		ssize_t n = read(reader, buf, sizeof(buf));
		assert_int_equal(n, (ssize_t) strlen("old contents, longer than the new"));
		close(reader);
	}
	assert_int_equal(count_entries(t->fd), 1);

	/* Binary data with NULs goes through whole. */
	assert_int_equal(berth_write_file_atomic(t->fd, "f", binary, sizeof(binary), 0644, 0, &err), 0);
	assert_contents(t->fd, "f", binary, sizeof(binary));
	assert_int_equal(count_entries(t->fd), 1);
}

static void test_atomic_write_replaces_symlink_itself(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	struct stat st;

	put(t->fd, "victim", "keep me", 0644);
	assert_int_equal(symlinkat("victim", t->fd, "link"), 0);
	assert_int_equal(berth_write_file_atomic(t->fd, "link", "new", 3, 0644, 0, &err), 0);
	/* The link is replaced by a file; what it pointed to is untouched. */
	assert_int_equal(fstatat(t->fd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_contents(t->fd, "link", "new", 3);
	assert_contents(t->fd, "victim", "keep me", 7);
	assert_int_equal(count_entries(t->fd), 2);
}

static void test_atomic_write_failure_cleans_up(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	int r;

	/* A directory cannot be replaced by a file: the rename fails. */
	assert_int_equal(mkdirat(t->fd, "d", 0755), 0);
	assert_int_equal(mkdirat(t->fd, "d/child", 0755), 0);
	r = berth_write_file_atomic(t->fd, "d", "x", 1, 0644, 0, &err);
	assert_true(r < 0);
	assert_int_equal(r, -err.code);
	assert_true(err.msg[0] != '\0');
	assert_true(exists_at(t->fd, "d/child"));
	/* ...and the temporary file is gone. */
	assert_int_equal(count_entries(t->fd), 1);

	/* A name too long for the temporary file is refused cleanly. */
	{
		char name[NAME_MAX + 1];
		memset(name, 'n', NAME_MAX);
		name[NAME_MAX] = '\0';
		r = berth_write_file_atomic(t->fd, name, "x", 1, 0644, 0, &err);
		assert_true(r < 0);
		assert_int_equal(r, -err.code);
		assert_int_equal(count_entries(t->fd), 1);
	}
}

static void test_read_file(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	char *buf = NULL;
	size_t len = 99;

	put(t->fd, "f", "hello world", 0644);
	assert_int_equal(berth_read_file_at(t->fd, "f", 1024, &buf, &len, &err), 0);
	assert_int_equal(len, 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(buf[11], '\0');
	free(buf);

	/* ret_len may be NULL. */
	buf = NULL;
	assert_int_equal(berth_read_file_at(t->fd, "f", 1024, &buf, NULL, &err), 0);
	assert_string_equal(buf, "hello world");
	free(buf);

	put(t->fd, "empty", "", 0644);
	buf = NULL;
	assert_int_equal(berth_read_file_at(t->fd, "empty", 1024, &buf, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	/* A path relative to the directory, and a missing file. */
	assert_int_equal(mkdirat(t->fd, "sub", 0755), 0);
	put(t->fd, "sub/g", "g", 0644);
	buf = NULL;
	assert_int_equal(berth_read_file_at(t->fd, "sub/g", 16, &buf, &len, &err), 0);
	assert_string_equal(buf, "g");
	free(buf);
	buf = NULL;
	assert_int_equal(berth_read_file_at(t->fd, "missing", 16, &buf, &len, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "missing"));
	assert_null(buf);
}

/* A file of `size` bytes read with a bound of `max`. */
static int read_sized(int dirfd, size_t size, size_t max, struct berth_error *err)
{
	char *data = malloc(size + 1), *buf = NULL;
	size_t len = 0;
	int fd, r;

	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (char) ('a' + i % 26);
	fd = openat(dirfd, "sized", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(berth_write_all(fd, data, size), 0);
	close(fd);
	r = berth_read_file_at(dirfd, "sized", max, &buf, &len, err);
	if (r == 0) {
		assert_int_equal(len, size);
		assert_memory_equal(buf, data, size);
		assert_int_equal(buf[size], '\0');
		free(buf);
	} else {
		assert_null(buf);
	}
	free(data);
	return r;
}

static void test_read_file_bound(void **state)
{
	static const size_t sizes[] = { 1, 100, 4095, 4096, 4097, 8191, 8192, 10000, 65535 };
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	int failures = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		int r;

		/* Exactly at the bound: accepted. */
		r = read_sized(t->fd, n, n, &err);
		if (r != 0) {
			print_error("a file of %zu bytes with max_size %zu: %s\n", n, n, err.msg);
			failures++;
		}
		/* One byte over: EFBIG. */
		err.code = 0;
		r = read_sized(t->fd, n, n - 1, &err);
		if (r != -EFBIG || err.code != EFBIG) {
			print_error("a file of %zu bytes with max_size %zu: got %d, expected -EFBIG\n", n, n - 1, r);
			failures++;
		}
		/* Well under the bound. */
		r = read_sized(t->fd, n, 2 * n + 5000, &err);
		if (r != 0) {
			print_error("a file of %zu bytes with max_size %zu: %s\n", n, 2 * n + 5000, err.msg);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_remove_tree(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	int keep;
	char path[64];

	/* A nested tree with files, symlinks, an empty and a read-only directory,
	 * and a symlink to a directory outside that must not be followed. */
	assert_int_equal(mkdirat(t->fd, "keep", 0755), 0);
	put(t->fd, "keep/precious", "p", 0644);
	assert_int_equal(mkdirat(t->fd, "tree", 0755), 0);
	assert_int_equal(mkdirat(t->fd, "tree/a", 0755), 0);
	assert_int_equal(mkdirat(t->fd, "tree/a/b", 0755), 0);
	assert_int_equal(mkdirat(t->fd, "tree/a/b/c", 0755), 0);
	assert_int_equal(mkdirat(t->fd, "tree/empty", 0755), 0);
	put(t->fd, "tree/top", "t", 0644);
	put(t->fd, "tree/a/b/c/deep", "d", 0600);
	assert_int_equal(symlinkat("../keep", t->fd, "tree/a/tokeep"), 0);
	assert_int_equal(symlinkat("/nonexistent", t->fd, "tree/a/b/dangling"), 0);
	snprintf(path, sizeof(path), "%s/keep", t->path);
	assert_int_equal(symlinkat(path, t->fd, "tree/a/b/abskeep"), 0);
	assert_int_equal(mkdirat(t->fd, "tree/ro", 0755), 0);
	put(t->fd, "tree/ro/f", "f", 0444);
	assert_int_equal(fchmodat(t->fd, "tree/ro", 0555, 0), 0);
	for (int i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "tree/n%d", i);
		assert_int_equal(mkdirat(t->fd, path, 0755), 0);
	}

	assert_int_equal(berth_remove_tree_at(t->fd, "tree", &err), 0);
	assert_false(exists_at(t->fd, "tree"));
	assert_true(exists_at(t->fd, "keep/precious"));
	assert_int_equal(count_entries(t->fd), 1);
	keep = openat(t->fd, "keep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(keep >= 0);
	assert_int_equal(count_entries(keep), 1);
	close(keep);

	/* Missing is not an error; a plain file and a symlink are removed. */
	assert_int_equal(berth_remove_tree_at(t->fd, "tree", &err), 0);
	assert_int_equal(berth_remove_tree_at(t->fd, "never-existed", &err), 0);
	put(t->fd, "plain", "x", 0644);
	assert_int_equal(berth_remove_tree_at(t->fd, "plain", &err), 0);
	assert_false(exists_at(t->fd, "plain"));
	assert_int_equal(symlinkat("keep", t->fd, "dirlink"), 0);
	assert_int_equal(berth_remove_tree_at(t->fd, "dirlink", &err), 0);
	assert_false(exists_at(t->fd, "dirlink"));
	assert_true(exists_at(t->fd, "keep/precious"));
}

static void test_remove_tree_deep(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };
	int fd;

	/* 40 levels, each with a file. */
	assert_int_equal(mkdirat(t->fd, "deep", 0755), 0);
	fd = openat(t->fd, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 40; i++) {
		int next;
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		put(fd, "f", "f", 0644);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	assert_int_equal(berth_remove_tree_at(t->fd, "deep", &err), 0);
	assert_false(exists_at(t->fd, "deep"));
	assert_int_equal(count_entries(t->fd), 0);
}

static void test_write_file_at(void **state)
{
	struct tmp *t = *state;
	struct berth_error err = { 0 };

	put(t->fd, "knob", "old value", 0644);
	assert_int_equal(berth_write_file_at(t->fd, "knob", "1", 1, &err), 0);
	/* One write at offset 0, no truncation (as for /proc knobs). */
	assert_contents(t->fd, "knob", "1ld value", 9);
	/* It never creates the file. */
	assert_int_equal(berth_write_file_at(t->fd, "absent", "1", 1, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_false(exists_at(t->fd, "absent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_write_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_replaces_symlink_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_at, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
