/* Resolution inside a root: openat2 and the userspace walk must agree, and
 * neither may leave the root, whatever symlinks the tree holds. */
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

#include "path.h"

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

/* base/root is the root; base/outside is "the host" next to it. */
struct tree {
	char base[64];
	int basefd;
	int rootfd;
};

static void must(int r, const char *what)
{
	if (r < 0)
		fail_msg("%s: %s", what, strerror(errno));
}

static void mkfile(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	must(fd, name);
	must((int) write(fd, content, strlen(content)), name);
	close(fd);
}

static void tree_build(struct tree *t)
{
	char target[PATH_MAX];
	int fd;

	snprintf(t->base, sizeof(t->base), "/tmp/berth-path-XXXXXX");
	assert_non_null(mkdtemp(t->base));
	t->basefd = open(t->base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(t->basefd, "open base");
	must(mkdirat(t->basefd, "root", 0755), "root");
	must(mkdirat(t->basefd, "outside", 0755), "outside");
	fd = openat(t->basefd, "outside", O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(fd, "outside");
	mkfile(fd, "secret", "host secret");
	close(fd);
	t->rootfd = openat(t->basefd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(t->rootfd, "open root");

	must(mkdirat(t->rootfd, "etc", 0755), "etc");
	mkfile(t->rootfd, "etc/passwd", "inside");
	must(mkdirat(t->rootfd, "dir", 0755), "dir");
	must(mkdirat(t->rootfd, "dir/sub", 0755), "dir/sub");
	mkfile(t->rootfd, "dir/file", "f");
	mkfile(t->rootfd, "dir/sub/deep", "d");
	mkfile(t->rootfd, "regular", "r");

	must(symlinkat("../../../etc/passwd", t->rootfd, "dir/up"), "up");
	must(symlinkat("/etc", t->rootfd, "abs_etc"), "abs_etc");
	must(symlinkat("/etc/passwd", t->rootfd, "abs_passwd"), "abs_passwd");
	must(symlinkat("/", t->rootfd, "abs_root"), "abs_root");
	must(symlinkat("../../../../etc", t->rootfd, "dotdot"), "dotdot");
	must(symlinkat("loop2", t->rootfd, "loop1"), "loop1");
	must(symlinkat("loop1", t->rootfd, "loop2"), "loop2");
	must(symlinkat("selfloop", t->rootfd, "selfloop"), "selfloop");
	must(symlinkat("/nonexistent/target", t->rootfd, "dangling"), "dangling");
	must(symlinkat("dir", t->rootfd, "link_to_dir"), "link_to_dir");
	must(symlinkat("dir/file", t->rootfd, "link_to_file"), "link_to_file");
	must(symlinkat("/dir/file", t->rootfd, "abs_link_to_file"), "abs_link_to_file");
	/* Relative and absolute links that name the host's outside/ directory. */
	must(symlinkat("../outside/secret", t->rootfd, "esc"), "esc");
	must(symlinkat("../outside", t->rootfd, "escdir"), "escdir");
	must(symlinkat("../outside/created", t->rootfd, "out_dangle"), "out_dangle");
	snprintf(target, sizeof(target), "%s/outside/secret", t->base);
	must(symlinkat(target, t->rootfd, "esc_abs"), "esc_abs");
	snprintf(target, sizeof(target), "%s/outside", t->base);
	must(symlinkat(target, t->rootfd, "escdir_abs"), "escdir_abs");
	snprintf(target, sizeof(target), "%s/outside/created_abs", t->base);
	must(symlinkat(target, t->rootfd, "out_dangle_abs"), "out_dangle_abs");

	/* chain0 -> chain1 -> ... -> chain40 -> etc/passwd: 41 links from chain0,
	 * 40 from chain1 (the kernel's limit). */
	for (int i = 0; i <= 40; i++) {
		char name[32], to[32];
		snprintf(name, sizeof(name), "chain%d", i);
		if (i == 40)
			snprintf(to, sizeof(to), "etc/passwd");
		else
			snprintf(to, sizeof(to), "chain%d", i + 1);
		must(symlinkat(to, t->rootfd, name), name);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static void tree_destroy(struct tree *t)
{
	close(t->rootfd);
	close(t->basefd);
	assert_int_equal(nftw(t->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static bool exists_at(int dirfd, const char *path)
{
	struct stat st;

	return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- berth_openat_in_root ---- */

struct open_case {
	const char *path;
	int flags;
	const char *expect; /* relative to base, compared with lstat; NULL: an error */
	int expect_errno;
};

/* Result of one open: -errno, or the identity of what was opened. */
struct outcome {
	int err;
	dev_t dev;
	ino_t ino;
};

static struct outcome open_once(const struct tree *t, const struct open_case *c, bool fallback)
{
	struct outcome o = { 0 };
	struct stat st;
	int fd;

	berth_path_force_fallback(fallback);
	fd = berth_openat_in_root(t->rootfd, c->path, c->flags);
	berth_path_force_fallback(false);
	if (fd < 0) {
		o.err = fd;
		return o;
	}
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	o.dev = st.st_dev;
	o.ino = st.st_ino;
	return o;
}

static const char *mode_name(bool fallback)
{
	return fallback ? "fallback" : "openat2";
}

/* Run every case in both modes; report all mismatches, then fail once. */
static void check_open_cases(const struct open_case *cases, size_t n)
{
	struct tree t;
	int failures = 0;

	tree_build(&t);
	for (size_t i = 0; i < n; i++) {
		const struct open_case *c = &cases[i];
		struct outcome got[2];
		struct stat want;

		if (c->expect)
			assert_int_equal(fstatat(t.basefd, c->expect, &want, AT_SYMLINK_NOFOLLOW), 0);
		for (int m = 0; m < 2; m++) {
			got[m] = open_once(&t, c, m == 1);
			if (c->expect && got[m].err < 0) {
				print_error("%s \"%s\" flags %#x: expected %s, got %s\n", mode_name(m), c->path,
					    (unsigned) c->flags, c->expect, strerror(-got[m].err));
				failures++;
			} else if (c->expect && (got[m].ino != want.st_ino || got[m].dev != want.st_dev)) {
				print_error("%s \"%s\" flags %#x: opened the wrong file, expected %s\n", mode_name(m),
					    c->path, (unsigned) c->flags, c->expect);
				failures++;
			} else if (!c->expect && got[m].err != -c->expect_errno) {
				print_error("%s \"%s\" flags %#x: expected %s, got %s\n", mode_name(m), c->path,
					    (unsigned) c->flags, strerror(c->expect_errno),
					    got[m].err ? strerror(-got[m].err) : "success");
				failures++;
			}
		}
		if (got[0].err != got[1].err || got[0].ino != got[1].ino || got[0].dev != got[1].dev) {
			print_error("\"%s\" flags %#x: openat2 and the fallback disagree (%d vs %d)\n", c->path,
				    (unsigned) c->flags, got[0].err, got[1].err);
			failures++;
		}
	}
	/* Nothing was created anywhere by plain opens. */
	assert_false(exists_at(t.basefd, "outside/created"));
	tree_destroy(&t);
	assert_int_equal(failures, 0);
}

static void test_open_plain(void **state)
{
	static const struct open_case cases[] = {
		{ "etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "dir/./sub//deep", O_RDONLY, "root/dir/sub/deep", 0 },
		{ "dir", O_RDONLY | O_DIRECTORY, "root/dir", 0 },
		{ "link_to_dir", O_PATH | O_DIRECTORY, "root/dir", 0 },
		{ "link_to_file", O_RDONLY, "root/dir/file", 0 },
		{ "link_to_dir/sub/../file", O_RDONLY, "root/dir/file", 0 },
		{ "/", O_RDONLY | O_DIRECTORY, "root", 0 },
		{ "nonexistent", O_RDONLY, NULL, ENOENT },
		{ "dir/nonexistent/x", O_PATH, NULL, ENOENT },
		{ "", O_PATH, NULL, ENOENT },
		{ "dangling/", O_PATH, NULL, ENOENT },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_absolute_symlinks(void **state)
{
	static const struct open_case cases[] = {
		{ "/etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "abs_etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "abs_etc", O_PATH | O_DIRECTORY, "root/etc", 0 },
		{ "abs_passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "abs_root/etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "abs_link_to_file", O_RDONLY, "root/dir/file", 0 },
		{ "esc_abs", O_RDONLY, NULL, ENOENT },
		{ "escdir_abs/secret", O_RDONLY, NULL, ENOENT },
		{ "dangling", O_RDONLY, NULL, ENOENT },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_dotdot_clamped(void **state)
{
	static const struct open_case cases[] = {
		{ "../../../etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "/../../etc/../etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "dir/sub/../../etc/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "dir/up", O_RDONLY, "root/etc/passwd", 0 },
		{ "dotdot/passwd", O_RDONLY, "root/etc/passwd", 0 },
		{ "..", O_PATH, "root", 0 },
		{ "../outside/secret", O_RDONLY, NULL, ENOENT },
		{ "esc", O_RDONLY, NULL, ENOENT },
		{ "escdir/secret", O_RDONLY, NULL, ENOENT },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_loops(void **state)
{
	static const struct open_case cases[] = {
		{ "loop1", O_RDONLY, NULL, ELOOP },
		{ "loop1", O_PATH, NULL, ELOOP },
		{ "selfloop/x", O_RDONLY, NULL, ELOOP },
		{ "dir/../loop2/x", O_PATH, NULL, ELOOP },
		{ "chain1", O_RDONLY, "root/etc/passwd", 0 },
		{ "chain0", O_RDONLY, NULL, ELOOP },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_notdir(void **state)
{
	static const struct open_case cases[] = {
		{ "regular/x", O_RDONLY, NULL, ENOTDIR },
		{ "regular/x/y", O_PATH, NULL, ENOTDIR },
		{ "link_to_file/x", O_RDONLY, NULL, ENOTDIR },
		{ "regular", O_RDONLY | O_DIRECTORY, NULL, ENOTDIR },
		{ "regular", O_PATH | O_DIRECTORY, NULL, ENOTDIR },
		{ "regular/", O_RDONLY, NULL, ENOTDIR },
		{ "regular//", O_PATH, NULL, ENOTDIR },
		{ "link_to_file/", O_RDONLY, NULL, ENOTDIR },
		{ "abs_passwd/", O_PATH, NULL, ENOTDIR },
		{ "link_to_dir/", O_PATH, "root/dir", 0 },
		{ "dir/", O_RDONLY, "root/dir", 0 },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_nofollow(void **state)
{
	static const struct open_case cases[] = {
		{ "link_to_file", O_RDONLY | O_NOFOLLOW, NULL, ELOOP },
		{ "abs_passwd", O_RDONLY | O_NOFOLLOW, NULL, ELOOP },
		{ "link_to_file", O_PATH | O_NOFOLLOW, "root/link_to_file", 0 },
		{ "dangling", O_PATH | O_NOFOLLOW, "root/dangling", 0 },
		{ "link_to_dir", O_PATH | O_DIRECTORY | O_NOFOLLOW, NULL, ENOTDIR },
		/* Only the last component is affected. */
		{ "link_to_dir/file", O_RDONLY | O_NOFOLLOW, "root/dir/file", 0 },
		{ "abs_etc/passwd", O_RDONLY | O_NOFOLLOW, "root/etc/passwd", 0 },
		/* A trailing slash makes the kernel follow the last link anyway. */
		{ "link_to_dir/", O_PATH | O_NOFOLLOW, "root/dir", 0 },
		{ "link_to_dir/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "root/dir", 0 },
		{ "link_to_file/", O_PATH | O_NOFOLLOW, NULL, ENOTDIR },
	};

	(void) state;
	check_open_cases(cases, N_CASES(cases));
}

static void test_open_in_root_message(void **state)
{
	struct berth_error err = { 0 };
	char want[256];
	struct tree t;

	(void) state;
	tree_build(&t);
	assert_int_equal(berth_open_in_root(t.rootfd, "/rootfs", "loop1", O_RDONLY, &err), -ELOOP);
	assert_int_equal(err.code, ELOOP);
	snprintf(want, sizeof(want), "open loop1 in /rootfs: %s", strerror(ELOOP));
	assert_string_equal(err.msg, want);
	tree_destroy(&t);
}

/* ---- berth_mkdir_all_in_root / berth_create_file_in_root ---- */

typedef int (*make_fn)(int rootfd, const char *path, struct berth_error *err);

static int do_mkdir(int rootfd, const char *path, struct berth_error *err)
{
	return berth_mkdir_all_in_root(rootfd, "rootfs", path, 0750, err);
}

static int do_create(int rootfd, const char *path, struct berth_error *err)
{
	return berth_create_file_in_root(rootfd, "rootfs", path, 0640, err);
}

/* Where `inside` names the result: relative to base, and "@" stands for
 * "root" followed by base itself (an absolute host path seen from the root). */
static void resolve_inside(const struct tree *t, const char *inside, char *out, size_t size)
{
	if (inside[0] == '@')
		snprintf(out, size, "root%s%s", t->base, inside + 1);
	else
		snprintf(out, size, "%s", inside);
}

/* Run fn on a fresh tree in each mode.  `inside` (relative to base) must be
 * what the returned fd is (NULL: an error is expected); every name in `never`
 * must not exist afterwards.  Returns the result, 0 or -errno, after checking
 * that both modes agree. */
static int make_both(make_fn fn, const char *path, const char *inside, const char *const *never, mode_t type)
{
	char problem[512] = "";
	int res[2];

	for (int m = 0; m < 2 && !problem[0]; m++) {
		struct berth_error err = { 0 };
		char where[PATH_MAX];
		struct stat got, want;
		struct tree t;
		int fd;

		tree_build(&t);
		berth_path_force_fallback(m == 1);
		fd = fn(t.rootfd, path, &err);
		berth_path_force_fallback(false);
		res[m] = fd < 0 ? fd : 0;
		for (size_t i = 0; never && never[i]; i++)
			if (exists_at(t.basefd, never[i]))
				snprintf(problem, sizeof(problem), "%s \"%s\": created %s outside the root",
					 mode_name(m), path, never[i]);
		if (fd >= 0) {
			assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
			assert_int_equal(fstat(fd, &got), 0);
			close(fd);
			if (inside)
				resolve_inside(&t, inside, where, sizeof(where));
			if (problem[0] != '\0') {
				/* already reported: created outside */
			} else if (inside == NULL)
				snprintf(problem, sizeof(problem), "%s \"%s\": succeeded, expected an error",
					 mode_name(m), path);
			else if (fstatat(t.basefd, where, &want, AT_SYMLINK_NOFOLLOW) < 0)
				snprintf(problem, sizeof(problem), "%s \"%s\": succeeded but %s does not exist",
					 mode_name(m), path, where);
			else if ((want.st_mode & S_IFMT) != type || got.st_ino != want.st_ino ||
				 got.st_dev != want.st_dev)
				snprintf(problem, sizeof(problem), "%s \"%s\": the result is not %s", mode_name(m),
					 path, where);
		} else if (!problem[0] && (fd != -err.code || !strstr(err.msg, "in rootfs"))) {
			snprintf(problem, sizeof(problem), "%s \"%s\": bad error %d \"%s\"", mode_name(m), path, fd,
				 err.msg);
		}
		tree_destroy(&t);
	}
	if (problem[0])
		fail_msg("%s", problem);
	if (res[0] != res[1])
		fail_msg("\"%s\": openat2 gives %d, the fallback %d", path, res[0], res[1]);
	return res[0];
}

static void test_mkdir_creates(void **state)
{
	struct berth_error err = { 0 };
	struct stat st;
	struct tree t;
	int fd;

	(void) state;
	assert_int_equal(make_both(do_mkdir, "a/b/c", "root/a/b/c", NULL, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "/a//b/./c/", "root/a/b/c", NULL, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "dir", "root/dir", NULL, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "link_to_dir/new", "root/dir/new", NULL, S_IFDIR), 0);

	/* New directories get the mode (under the umask), old ones keep theirs. */
	tree_build(&t);
	fd = berth_mkdir_all_in_root(t.rootfd, "rootfs", "dir/m1/m2", 0700, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(t.rootfd, "dir/m1", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(t.rootfd, "dir/m1/m2", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(t.rootfd, "dir", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	tree_destroy(&t);
}

static void test_mkdir_through_symlinks(void **state)
{
	static const char *const never_top[] = { "top1", "etc", NULL };
	static const char *const never_out[] = { "outside/new", NULL };

	(void) state;
	assert_int_equal(make_both(do_mkdir, "abs_etc/n1/n2", "root/etc/n1/n2", NULL, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "../../../top1/top2", "root/top1/top2", never_top, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "dotdot/n3", "root/etc/n3", never_top, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "abs_root/etc/n4", "root/etc/n4", NULL, S_IFDIR), 0);
	/* Links to the host's outside/: whatever happens, it is not there. */
	make_both(do_mkdir, "escdir/new", "root/outside/new", never_out, S_IFDIR);
	make_both(do_mkdir, "escdir_abs/new", "@/outside/new", never_out, S_IFDIR);
}

static void test_mkdir_through_dangling_symlinks(void **state)
{
	static const char *const never_out[] = { "outside/created", "outside/created_abs", NULL };

	(void) state;
	/* "/var/run -> /run" in an image without /run: the target is made, inside. */
	assert_int_equal(make_both(do_mkdir, "dangling/secrets/x", "root/nonexistent/target/secrets/x", NULL,
				   S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "dangling", "root/nonexistent/target", NULL, S_IFDIR), 0);
	/* Dangling links that name the host's outside/ are made inside the root. */
	assert_int_equal(make_both(do_mkdir, "out_dangle/x", "root/outside/created/x", never_out, S_IFDIR), 0);
	assert_int_equal(make_both(do_mkdir, "out_dangle_abs/x", "@/outside/created_abs/x", never_out, S_IFDIR), 0);
}

static void test_mkdir_errors(void **state)
{
	(void) state;
	assert_int_equal(make_both(do_mkdir, "loop1/x", NULL, NULL, S_IFDIR), -ELOOP);
	assert_int_equal(make_both(do_mkdir, "selfloop", NULL, NULL, S_IFDIR), -ELOOP);
	assert_int_equal(make_both(do_mkdir, "regular/x", NULL, NULL, S_IFDIR), -ENOTDIR);
	assert_int_equal(make_both(do_mkdir, "regular", NULL, NULL, S_IFDIR), -ENOTDIR);
	assert_int_equal(make_both(do_mkdir, "link_to_file/x/y", NULL, NULL, S_IFDIR), -ENOTDIR);
}

static void test_create_file(void **state)
{
	static const char *const never_top[] = { "newfile3", NULL };
	struct berth_error err = { 0 };
	struct stat st;
	struct tree t;
	int fd;

	(void) state;
	assert_int_equal(make_both(do_create, "newfile", "root/newfile", NULL, S_IFREG), 0);
	assert_int_equal(make_both(do_create, "x/y/newfile", "root/x/y/newfile", NULL, S_IFREG), 0);
	assert_int_equal(make_both(do_create, "abs_etc/newfile2", "root/etc/newfile2", NULL, S_IFREG), 0);
	assert_int_equal(make_both(do_create, "../../newfile3", "root/newfile3", never_top, S_IFREG), 0);
	assert_int_equal(make_both(do_create, "dotdot/new4", "root/etc/new4", NULL, S_IFREG), 0);
	/* Existing files, directly or through links inside the root. */
	assert_int_equal(make_both(do_create, "etc/passwd", "root/etc/passwd", NULL, S_IFREG), 0);
	assert_int_equal(make_both(do_create, "abs_passwd", "root/etc/passwd", NULL, S_IFREG), 0);

	/* The mode of a new file; an existing one is neither truncated nor chmod'ed. */
	tree_build(&t);
	fd = berth_create_file_in_root(t.rootfd, "rootfs", "m/f", 0600, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(t.rootfd, "m/f", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);
	fd = berth_create_file_in_root(t.rootfd, "rootfs", "etc/passwd", 0600, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(t.rootfd, "etc/passwd", &st, 0), 0);
	assert_int_equal(st.st_size, strlen("inside"));
	assert_int_equal(st.st_mode & 07777, 0644);
	tree_destroy(&t);
}

static void test_create_file_hostile(void **state)
{
	static const char *const never[] = { "outside/created", "outside/created_abs", "outside/f", NULL };

	(void) state;
	/* A dangling link as the last component: fail, never create its target. */
	assert_true(make_both(do_create, "out_dangle", NULL, never, S_IFREG) < 0);
	assert_true(make_both(do_create, "out_dangle_abs", NULL, never, S_IFREG) < 0);
	assert_true(make_both(do_create, "dangling", NULL, never, S_IFREG) < 0);
	/* Through links to the host's outside/. */
	make_both(do_create, "escdir/f", "root/outside/f", never, S_IFREG);
	make_both(do_create, "escdir_abs/f", "@/outside/f", never, S_IFREG);
	assert_int_equal(make_both(do_create, "loop1", NULL, never, S_IFREG), -ELOOP);
	assert_int_equal(make_both(do_create, "regular/x", NULL, never, S_IFREG), -ENOTDIR);
}

/* ---- berth_path_split ---- */

static void check_split(const char *path, const char *want_parent, const char *want_base)
{
	char parent[PATH_MAX];
	const char *base;

	memset(parent, 'X', sizeof(parent));
	base = berth_path_split(path, parent, sizeof(parent));
	assert_string_equal(parent, want_parent);
	assert_string_equal(base, want_base);
	/* The base is a pointer into path, not a copy. */
	assert_true(base >= path && base <= path + strlen(path));
}

static void test_path_split(void **state)
{
	char small[4];
	const char *base;

	(void) state;
	check_split("a/b/c", "a/b", "c");
	check_split("/a/b/c", "/a/b", "c");
	check_split("/c", "/", "c");
	check_split("c", ".", "c");
	check_split("./c", ".", "c");
	check_split("../c", "..", "c");

	/* The parent is truncated to its buffer, still terminated. */
	base = berth_path_split("abcdef/g", small, sizeof(small));
	assert_string_equal(small, "abc");
	assert_string_equal(base, "g");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_plain),
		cmocka_unit_test(test_open_absolute_symlinks),
		cmocka_unit_test(test_open_dotdot_clamped),
		cmocka_unit_test(test_open_loops),
		cmocka_unit_test(test_open_notdir),
		cmocka_unit_test(test_open_nofollow),
		cmocka_unit_test(test_open_in_root_message),
		cmocka_unit_test(test_mkdir_creates),
		cmocka_unit_test(test_mkdir_through_symlinks),
		cmocka_unit_test(test_mkdir_through_dangling_symlinks),
		cmocka_unit_test(test_mkdir_errors),
		cmocka_unit_test(test_create_file),
		cmocka_unit_test(test_create_file_hostile),
		cmocka_unit_test(test_path_split),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
