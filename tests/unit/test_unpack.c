/* Unpacking layers: every kind of entry and attribute, whiteouts in both
 * modes, and hostile layers that must fail without writing a byte outside
 * the snapshot.  Runs as root (devices, ownership, trusted.* xattrs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "file.h"
#include "layer_reader.h"
#include "unpack.h"

/* ---- fixture: <tmp>/snap is the snapshot, <tmp>/sentinel must never change ---- */

struct hostile;

struct fx {
	const struct hostile *hostile; /* the case, for test_hostile */
	char dir[64];
	char sentinel[96];
	int snapfd; /* O_PATH, as a caller might hand it over */
};

static void fx_snap_reset(struct fx *f)
{
	struct berth_error err = { 0 };
	_cleanup_close_ int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dfd >= 0);
	if (f->snapfd >= 0)
		close(f->snapfd);
	assert_int_equal(berth_remove_tree_at(dfd, "snap", &err), 0);
	assert_int_equal(mkdirat(dfd, "snap", 0755), 0);
	f->snapfd = openat(dfd, "snap", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->snapfd >= 0);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[160];
	int fd;

	f->hostile = *state; /* cmocka's prestate, or NULL */
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-unpack-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sentinel, sizeof(f->sentinel), "%s/sentinel", f->dir);
	assert_int_equal(mkdir(f->sentinel, 0755), 0);
	snprintf(path, sizeof(path), "%s/file", f->sentinel);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	f->snapfd = -1;
	fx_snap_reset(f);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct berth_error err = { 0 };
	_cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	close(f->snapfd);
	assert_int_equal(berth_remove_tree_at(tmp, f->dir + strlen("/tmp/"), &err), 0);
	free(f);
	return 0;
}

static int count_entries(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	return n;
}

/* Nothing but snap and sentinel next to each other; sentinel holds its
 * one file, unchanged; nothing appeared in /etc. */
static void assert_outside_untouched(struct fx *f)
{
	char path[160], buf[16] = { 0 };
	struct stat st;
	int fd;

	assert_int_equal(count_entries(f->dir), 2);
	assert_int_equal(count_entries(f->sentinel), 1);
	snprintf(path, sizeof(path), "%s/file", f->sentinel);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_nlink, 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_string_equal(buf, "keep");
	assert_int_equal(lstat("/etc/berth-unpack-test-x", &st), -1);
}

/* ---- building layers with libarchive's writer ---- */

struct tb {
	struct archive *a;
	unsigned char *buf;
	size_t cap, used;
};

static void tb_open(struct tb *t, int filter)
{
	t->cap = 16 << 20;
	t->buf = malloc(t->cap);
	t->used = 0;
	t->a = archive_write_new();
	/* Full pax: every entry keeps its nanoseconds. */
	assert_int_equal(archive_write_set_format_pax(t->a), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(t->a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(t->a, t->buf, t->cap, &t->used), ARCHIVE_OK);
}

static void tb_close(struct tb *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
	t->a = NULL;
}

static struct archive_entry *ent(const char *name, mode_t type, mode_t perm)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1600000000, 0);
	return e;
}

static void tb_put(struct tb *t, struct archive_entry *e, const void *data, size_t len)
{
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL)
		archive_entry_set_size(e, (la_int64_t) len);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t) len);
	archive_entry_free(e);
}

static void tb_file(struct tb *t, const char *name, const char *data)
{
	tb_put(t, ent(name, AE_IFREG, 0644), data, strlen(data));
}

static void tb_dir(struct tb *t, const char *name)
{
	tb_put(t, ent(name, AE_IFDIR, 0755), NULL, 0);
}

static void tb_symlink(struct tb *t, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFLNK, 0777);
	archive_entry_set_symlink(e, target);
	tb_put(t, e, NULL, 0);
}

static void tb_hardlink(struct tb *t, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFREG, 0644);
	archive_entry_set_hardlink(e, target);
	archive_entry_set_size(e, 0);
	tb_put(t, e, NULL, 0);
}

static void tb_xattr(struct tb *t, const char *name, mode_t type, const char *key, const char *value)
{
	struct archive_entry *e = ent(name, type, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_xattr_add_entry(e, key, value, strlen(value));
	tb_put(t, e, NULL, 0);
}

/* ---- unpacking ---- */

struct memsrc {
	const unsigned char *p;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct memsrc *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	(void) err;
	if (n > 0)
		memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t) n;
}

static int unpack_bytes(struct fx *f, const void *p, size_t len, const struct berth_unpack_options *o,
			char diff_id[BERTH_DIGEST_MAX], struct berth_unpack_stats *st, struct berth_error *err)
{
	struct memsrc m = { p, len, 0 };
	struct berth_layer_source src = { mem_read, &m };
	memset(err, 0, sizeof(*err));
	return berth_unpack_layer(&src, f->snapfd, o, diff_id, st, err);
}

static void unpack_ok(struct fx *f, struct tb *t, const struct berth_unpack_options *o, struct berth_unpack_stats *st)
{
	struct berth_error err;
	struct berth_unpack_stats ignored;
	if (unpack_bytes(f, t->buf, t->used, o, NULL, st ? st : &ignored, &err) < 0)
		fail_msg("unpack failed: %s", err.msg);
}

static const struct berth_unpack_options modes[] = {
	{ .whiteout = BERTH_WHITEOUT_OVERLAY },
	{ .whiteout = BERTH_WHITEOUT_APPLY },
	{ .whiteout = BERTH_WHITEOUT_OVERLAY, .force_walk = true },
	{ .whiteout = BERTH_WHITEOUT_APPLY, .force_walk = true },
};

static struct stat lst(struct fx *f, const char *path)
{
	struct stat st;
	if (fstatat(f->snapfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return st;
}

static bool exists(struct fx *f, const char *path)
{
	struct stat st;
	return fstatat(f->snapfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_content(struct fx *f, const char *path, const char *want)
{
	char buf[256] = { 0 };
	_cleanup_close_ int fd = openat(f->snapfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	assert_string_equal(buf, want);
}

static ssize_t xattr_get(struct fx *f, const char *path, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(f->snapfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	return fgetxattr(fd, name, buf, size);
}

static bool is_opaque(struct fx *f, const char *path)
{
	char v[4] = { 0 };
	return xattr_get(f, path, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static bool is_whiteout(struct fx *f, const char *path)
{
	struct stat st = lst(f, path);
	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* ---- every kind of entry and attribute ---- */

static void build_kinds(struct tb *t)
{
	static const unsigned char cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 }; /* v2, cap_net_bind_service */
	struct archive_entry *e;
	static char big[1 << 20];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char) (i * 31 + i / 4096);
	e = ent("./", AE_IFDIR, 0711);
	archive_entry_set_mtime(e, 1000, 0);
	tb_put(t, e, NULL, 0);
	e = ent("dir/", AE_IFDIR, 0750);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1001);
	archive_entry_set_mtime(e, 1234567890, 500000000);
	archive_entry_set_atime(e, 1111, 7);
	tb_put(t, e, NULL, 0);
	e = ent("dir/file", AE_IFREG, 0640);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1001);
	archive_entry_set_mtime(e, 1500000000, 123456789);
	archive_entry_xattr_add_entry(e, "user.test", "v1", 2);
	archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof(cap));
	archive_entry_xattr_add_entry(e, "trusted.other", "x", 1);
	archive_entry_xattr_add_entry(e, "security.selinux", "system_u:object_r:etc_t:s0", 26);
	tb_put(t, e, "hello", 5);
	tb_put(t, ent("dir/suid", AE_IFREG, 04755), "x", 1);
	e = ent("dir/sgid", AE_IFREG, 02755);
	archive_entry_set_gid(e, 50);
	tb_put(t, e, "y", 1);
	tb_put(t, ent("sticky/", AE_IFDIR, 01777), NULL, 0);
	e = ent("dir/link", AE_IFLNK, 0777);
	archive_entry_set_symlink(e, "file");
	archive_entry_set_uid(e, 1000);
	archive_entry_set_mtime(e, 1400000000, 42);
	tb_put(t, e, NULL, 0);
	tb_hardlink(t, "dir/hard", "dir/file");
	e = ent("dev/null", AE_IFCHR, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	tb_put(t, e, NULL, 0);
	e = ent("dev/loop0", AE_IFBLK, 0660);
	archive_entry_set_rdevmajor(e, 7);
	archive_entry_set_rdevminor(e, 0);
	archive_entry_set_gid(e, 6);
	tb_put(t, e, NULL, 0);
	tb_put(t, ent("fifo", AE_IFIFO, 0620), NULL, 0);
	tb_put(t, ent("big", AE_IFREG, 0600), big, sizeof(big));
	tb_file(t, "empty", "");
	tb_dir(t, "dir/sub/");
	tb_file(t, "dir/sub/x", "child written after dir's entry");
}

static void check_kinds(struct fx *f, const struct berth_unpack_stats *st)
{
	struct stat s;
	char buf[64];
	ssize_t n;

	assert_int_equal(fstat(f->snapfd, &s), 0);
	assert_int_equal(s.st_mode & 07777, 0711);
	assert_int_equal(s.st_mtim.tv_sec, 1000);
	s = lst(f, "dir");
	assert_true(S_ISDIR(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0750);
	assert_int_equal(s.st_uid, 1000);
	assert_int_equal(s.st_gid, 1001);
	/* Set after dir/sub and dir/sub/x were written into it. */
	assert_int_equal(s.st_mtim.tv_sec, 1234567890);
	assert_int_equal(s.st_mtim.tv_nsec, 500000000);
	assert_int_equal(s.st_atim.tv_sec, 1111);
	s = lst(f, "dir/file");
	assert_true(S_ISREG(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0640);
	assert_int_equal(s.st_uid, 1000);
	assert_int_equal(s.st_gid, 1001);
	assert_int_equal(s.st_mtim.tv_sec, 1500000000);
	assert_int_equal(s.st_mtim.tv_nsec, 123456789);
	assert_int_equal(s.st_nlink, 2);
	assert_content(f, "dir/file", "hello");
	n = xattr_get(f, "dir/file", "user.test", buf, sizeof(buf));
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "v1", 2);
	assert_true(xattr_get(f, "dir/file", "security.capability", buf, sizeof(buf)) >= 20);
	assert_int_equal(xattr_get(f, "dir/file", "trusted.other", buf, sizeof(buf)), -1);
	assert_int_equal(lst(f, "dir/suid").st_mode & 07777, 04755);
	s = lst(f, "dir/sgid");
	assert_int_equal(s.st_mode & 07777, 02755);
	assert_int_equal(s.st_gid, 50);
	assert_int_equal(lst(f, "sticky").st_mode & 07777, 01777);
	s = lst(f, "dir/link");
	assert_true(S_ISLNK(s.st_mode));
	assert_int_equal(s.st_uid, 1000);
	assert_int_equal(s.st_mtim.tv_sec, 1400000000);
	assert_int_equal(s.st_mtim.tv_nsec, 42);
	n = readlinkat(f->snapfd, "dir/link", buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "file", 4);
	assert_int_equal(lst(f, "dir/hard").st_ino, lst(f, "dir/file").st_ino);
	s = lst(f, "dev/null");
	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(1, 3));
	assert_int_equal(s.st_mode & 07777, 0666);
	s = lst(f, "dev/loop0");
	assert_true(S_ISBLK(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(7, 0));
	assert_int_equal(s.st_gid, 6);
	/* dev had no entry: made 0755 root:root. */
	s = lst(f, "dev");
	assert_int_equal(s.st_mode & 07777, 0755);
	assert_int_equal(s.st_uid, 0);
	s = lst(f, "fifo");
	assert_true(S_ISFIFO(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 0620);
	assert_int_equal(lst(f, "big").st_size, 1 << 20);
	assert_int_equal(lst(f, "empty").st_size, 0);
	assert_content(f, "dir/sub/x", "child written after dir's entry");

	assert_int_equal(st->entries, 15);
	assert_int_equal(st->files, 6);
	assert_int_equal(st->dirs, 4);
	assert_int_equal(st->symlinks, 1);
	assert_int_equal(st->hardlinks, 1);
	assert_int_equal(st->devices, 2);
	assert_int_equal(st->fifos, 1);
	/* libarchive's pax writer records each xattr twice (SCHILY.xattr and
	 * LIBARCHIVE.xattr) and its reader reports both. */
	assert_true(st->xattrs_dropped == 2 || st->xattrs_dropped == 4);
	assert_int_equal(st->bytes, 5 + 1 + 1 + (1 << 20) + strlen("child written after dir's entry"));
}

static void test_kinds_roundtrip(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(modes); i++) {
		struct tb t;
		struct berth_unpack_stats st;
		fx_snap_reset(f);
		tb_open(&t, ARCHIVE_FILTER_NONE);
		build_kinds(&t);
		tb_close(&t);
		unpack_ok(f, &t, &modes[i], &st);
		check_kinds(f, &st);
		assert_outside_untouched(f);
		free(t.buf);
	}
}

/* The diff_id is the sha256 of the uncompressed tar, whatever the
 * compression; the same tree comes out. */
static void test_diff_id_each_compression(void **state)
{
	struct fx *f = *state;
	static const int filters[] = { ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD };
	char plain_digest[BERTH_DIGEST_MAX];
	struct berth_error err = { 0 };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(filters); i++) {
		struct tb plain, t;
		struct berth_unpack_stats st;
		char diff_id[BERTH_DIGEST_MAX];

		tb_open(&plain, ARCHIVE_FILTER_NONE);
		build_kinds(&plain);
		tb_close(&plain);
		assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, plain.buf, plain.used, plain_digest, &err), 0);
		tb_open(&t, filters[i]);
		build_kinds(&t);
		tb_close(&t);
		fx_snap_reset(f);
		if (unpack_bytes(f, t.buf, t.used, &modes[0], diff_id, &st, &err) < 0)
			fail_msg("unpack: %s", err.msg);
		assert_string_equal(diff_id, plain_digest);
		check_kinds(f, &st);
		free(plain.buf);
		free(t.buf);
	}
}

static void test_parents_created_and_replaced(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(modes); i++) {
		struct tb t;
		struct stat s;

		fx_snap_reset(f);
		tb_open(&t, ARCHIVE_FILTER_NONE);
		tb_file(&t, "a/b/c/file", "deep");
		tb_file(&t, "x", "one");
		tb_file(&t, "x", "two");
		tb_put(&t, ent("d/", AE_IFDIR, 0700), NULL, 0);
		tb_file(&t, "d/keep", "kept");
		tb_put(&t, ent("d/", AE_IFDIR, 0755), NULL, 0); /* metadata only */
		tb_dir(&t, "f/");
		tb_file(&t, "f/child", "gone with f");
		tb_file(&t, "f", "now a file");
		tb_file(&t, "s", "was a file");
		tb_dir(&t, "s/");
		tb_dir(&t, "l/");
		tb_file(&t, "l/child", "gone with l");
		tb_symlink(&t, "l", "target");
		tb_close(&t);
		unpack_ok(f, &t, &modes[i], NULL);
		free(t.buf);

		s = lst(f, "a/b/c");
		assert_true(S_ISDIR(s.st_mode));
		assert_int_equal(s.st_mode & 07777, 0755);
		assert_int_equal(s.st_uid, 0);
		assert_content(f, "a/b/c/file", "deep");
		assert_content(f, "x", "two");
		assert_content(f, "d/keep", "kept");
		assert_int_equal(lst(f, "d").st_mode & 07777, 0755);
		assert_true(S_ISREG(lst(f, "f").st_mode));
		assert_content(f, "f", "now a file");
		assert_true(S_ISDIR(lst(f, "s").st_mode));
		assert_true(S_ISLNK(lst(f, "l").st_mode));
		assert_outside_untouched(f);
	}
}

/* A later entry replacing a directory must not leave the cached parent fd
 * of that directory in use: the next entry under the old name fails. */
static void test_replaced_dir_not_reused(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(modes); i++) {
		struct tb t;
		struct berth_error err;
		struct berth_unpack_stats st;

		fx_snap_reset(f);
		tb_open(&t, ARCHIVE_FILTER_NONE);
		tb_dir(&t, "c/");
		tb_file(&t, "c/one", "1");
		tb_file(&t, "c", "a file now");
		tb_file(&t, "c/two", "2");
		tb_close(&t);
		assert_true(unpack_bytes(f, t.buf, t.used, &modes[i], NULL, &st, &err) < 0);
		assert_non_null(strstr(err.msg, "layer entry \"c/two\""));
		assert_non_null(strstr(err.msg, "is not a directory"));
		free(t.buf);
	}
}

static void test_whiteouts_overlay(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(modes); i += 2) {
		struct tb t;
		struct berth_unpack_stats st;

		fx_snap_reset(f);
		tb_open(&t, ARCHIVE_FILTER_NONE);
		tb_dir(&t, "a/");
		tb_file(&t, "a/.wh.gone", "");
		tb_file(&t, ".wh.top", "");
		tb_dir(&t, "o/");
		tb_file(&t, "o/.wh..wh..opq", "");
		tb_file(&t, "o/new", "n");
		tb_file(&t, "p/.wh..wh..opq", ""); /* p itself has no entry */
		/* A whiteout and a directory of the same name, both orders:
		 * the directory must not merge with the lower one. */
		tb_file(&t, ".wh.w", "");
		tb_dir(&t, "w/");
		tb_dir(&t, "v/");
		tb_file(&t, "v/x", "x");
		tb_file(&t, ".wh.v", "");
		tb_file(&t, "u", "file");
		tb_file(&t, ".wh.u", "");
		tb_file(&t, ".wh.z", "");
		tb_file(&t, "z/b", "under a whiteout's name");
		tb_close(&t);
		unpack_ok(f, &t, &modes[i], &st);
		free(t.buf);

		assert_true(is_whiteout(f, "a/gone"));
		assert_true(is_whiteout(f, "top"));
		assert_false(exists(f, "a/.wh.gone"));
		assert_false(exists(f, ".wh.top"));
		assert_false(exists(f, "o/.wh..wh..opq"));
		assert_true(is_opaque(f, "o"));
		assert_content(f, "o/new", "n");
		assert_true(is_opaque(f, "p"));
		assert_false(is_opaque(f, "a"));
		assert_true(S_ISDIR(lst(f, "w").st_mode));
		assert_true(is_opaque(f, "w"));
		assert_true(is_opaque(f, "v"));
		assert_content(f, "v/x", "x");
		assert_content(f, "u", "file");
		assert_true(is_opaque(f, "z"));
		assert_content(f, "z/b", "under a whiteout's name");
		assert_int_equal(st.whiteouts, 6);
		assert_int_equal(st.opaques, 2);
		assert_outside_untouched(f);
	}
}

static void build_base(struct tb *t)
{
	tb_dir(t, "etc/");
	tb_file(t, "etc/passwd", "root");
	tb_file(t, "etc/gone", "bye");
	tb_dir(t, "dir/");
	tb_dir(t, "dir/sub/");
	tb_file(t, "dir/sub/deep", "bye");
	tb_dir(t, "opq1/");
	tb_file(t, "opq1/old", "bye");
	tb_dir(t, "opq1/keepdir/");
	tb_file(t, "opq1/keepdir/oldfile", "bye");
	tb_dir(t, "opq2/");
	tb_file(t, "opq2/old", "bye");
	tb_file(t, "a/b/c/bar", "bye");
	tb_dir(t, "w/");
	tb_file(t, "w/old", "bye");
	tb_dir(t, "v/");
	tb_file(t, "v/old", "bye");
	tb_file(t, "z/old", "bye");
	tb_symlink(t, "lib", "usr/lib");
	tb_symlink(t, "esc", "../sentinel");
	tb_symlink(t, "root", "/");
}

/* APPLY: whiteouts remove what the parent layer had, opaque directories
 * keep this layer's own entries whatever their order. */
static void test_whiteouts_apply(void **state)
{
	struct fx *f = *state;

	for (size_t i = 1; i < BERTH_ARRAY_SIZE(modes); i += 2) {
		struct tb base, t;
		struct berth_unpack_stats st;

		fx_snap_reset(f);
		tb_open(&base, ARCHIVE_FILTER_NONE);
		build_base(&base);
		tb_close(&base);
		unpack_ok(f, &base, &modes[i], NULL);
		free(base.buf);

		tb_open(&t, ARCHIVE_FILTER_NONE);
		tb_file(&t, "etc/.wh.gone", "");
		tb_file(&t, ".wh.dir", "");
		tb_dir(&t, "opq1/");
		tb_file(&t, "opq1/.wh..wh..opq", ""); /* opaque first */
		tb_file(&t, "opq1/new", "n");
		tb_file(&t, "opq1/keepdir/newfile", "n");
		tb_file(&t, "opq2/new", "n");
		tb_file(&t, "opq2/.wh..wh..opq", ""); /* opaque last */
		tb_file(&t, "a/b/c/foo", "n"); /* parents implied */
		tb_file(&t, "a/.wh..wh..opq", "");
		tb_file(&t, ".wh.w", "");
		tb_dir(&t, "w/");
		tb_file(&t, "w/mine", "n");
		tb_dir(&t, "v/");
		tb_file(&t, "v/mine", "n");
		tb_file(&t, ".wh.v", "");
		/* Through parent-layer symlinks: replaced by directories, as an
		 * overlayfs upper directory hides a lower symlink. */
		tb_file(&t, "lib/x", "n");
		tb_file(&t, "esc/file", "not the sentinel");
		tb_file(&t, ".wh.root", "");
		tb_file(&t, ".wh.z", "");
		tb_file(&t, "z/b", "n");
		tb_close(&t);
		unpack_ok(f, &t, &modes[i], &st);
		free(t.buf);

		assert_false(exists(f, "etc/gone"));
		assert_content(f, "etc/passwd", "root");
		assert_false(exists(f, "dir"));
		assert_false(exists(f, "opq1/old"));
		assert_false(exists(f, "opq1/keepdir/oldfile"));
		assert_content(f, "opq1/new", "n");
		assert_content(f, "opq1/keepdir/newfile", "n");
		assert_false(exists(f, "opq2/old"));
		assert_content(f, "opq2/new", "n");
		assert_false(exists(f, "a/b/c/bar"));
		assert_content(f, "a/b/c/foo", "n");
		assert_false(exists(f, "w/old"));
		assert_content(f, "w/mine", "n");
		assert_false(exists(f, "v/old"));
		assert_content(f, "v/mine", "n");
		assert_true(S_ISDIR(lst(f, "lib").st_mode));
		assert_content(f, "lib/x", "n");
		assert_true(S_ISDIR(lst(f, "esc").st_mode));
		assert_content(f, "esc/file", "not the sentinel");
		assert_false(exists(f, "root"));
		assert_false(exists(f, "z/old"));
		assert_content(f, "z/b", "n");
		/* No whiteout device and no xattr in a full tree. */
		assert_false(is_opaque(f, "opq1"));
		assert_int_equal(st.whiteouts, 6);
		assert_int_equal(st.opaques, 3);
		assert_outside_untouched(f);
	}
}

/* APPLY: hard links are never resolved through a parent-layer symlink. */
static void test_apply_hardlink_through_parent_symlink(void **state)
{
	struct fx *f = *state;
	struct tb base, t;
	struct berth_error err;
	struct berth_unpack_stats st;

	fx_snap_reset(f);
	tb_open(&base, ARCHIVE_FILTER_NONE);
	build_base(&base);
	tb_close(&base);
	unpack_ok(f, &base, &modes[1], NULL);
	free(base.buf);
	tb_open(&t, ARCHIVE_FILTER_NONE);
	tb_hardlink(&t, "h", "esc/file");
	tb_close(&t);
	assert_true(unpack_bytes(f, t.buf, t.used, &modes[1], NULL, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "hard link target \"esc/file\""));
	assert_non_null(strstr(err.msg, "is a symlink"));
	free(t.buf);
	assert_outside_untouched(f);
}

static void test_misc_layers(void **state)
{
	struct fx *f = *state;
	struct berth_error err;
	struct berth_unpack_stats st;
	struct tb t;
	struct berth_unpack_options shifted = { .id_shift.size = 65536 };
	char longname[400];

	/* An empty stream is an empty layer (as in docker). */
	fx_snap_reset(f);
	assert_int_equal(unpack_bytes(f, "", 0, &modes[0], NULL, &st, &err), 0);
	assert_int_equal(st.entries, 0);
	/* aufs metadata is skipped. */
	tb_open(&t, ARCHIVE_FILTER_NONE);
	tb_dir(&t, ".wh..wh.plnk/");
	tb_file(&t, ".wh..wh.plnk/123.456", "x");
	/* A long name goes through a pax header. */
	snprintf(longname, sizeof(longname), "%0200d/%0100d", 1, 2);
	tb_file(&t, longname, "long");
	tb_close(&t);
	unpack_ok(f, &t, &modes[0], &st);
	assert_int_equal(st.skipped, 2);
	assert_false(exists(f, ".wh..wh.plnk"));
	assert_content(f, longname, "long");
	assert_int_equal(unpack_bytes(f, t.buf, t.used, &shifted, NULL, &st, &err), -EOPNOTSUPP);
	free(t.buf);
}

/* ---- hostile layers ---- */

/* One entry of a hostile layer.  kind: f file (arg: data), d dir,
 * l symlink / h hard link (arg: target, "@" standing for the sentinel
 * directory's absolute path), c char device (arg: "major:minor"),
 * x dir with the xattr arg, y file with the xattr arg, B a 200 kB file,
 * N a file with a 300-byte name, U a file owned by uid 2^40. */
struct spec {
	char kind;
	const char *name, *arg;
};

struct hostile {
	const char *name;
	struct spec entries[5];
	const char *needle; /* in the error; NULL: must succeed */
	int filter;
	size_t cut; /* bytes taken off the end */
	void (*check)(struct fx *f); /* when it succeeds */
	void (*mangle)(struct tb *t); /* applied to the finished archive */
};

static void spec_put(struct tb *t, struct fx *f, const struct spec *sp)
{
	static char big[200000], longname[301];
	struct archive_entry *e;
	char arg[256];

	snprintf(arg, sizeof(arg), "%s%s", sp->arg && sp->arg[0] == '@' ? f->sentinel : "",
		 sp->arg ? sp->arg + (sp->arg[0] == '@') : "");
	switch (sp->kind) {
	case 'f':
		return tb_file(t, sp->name, arg);
	case 'd':
		return tb_dir(t, sp->name);
	case 'l':
		return tb_symlink(t, sp->name, arg);
	case 'h':
		return tb_hardlink(t, sp->name, arg);
	case 'x':
		return tb_xattr(t, sp->name, AE_IFDIR, arg, "y");
	case 'y':
		return tb_xattr(t, sp->name, AE_IFREG, arg, "");
	case 'c':
		e = ent(sp->name, AE_IFCHR, 0644);
		archive_entry_set_rdevmajor(e, (dev_t) atoi(arg));
		archive_entry_set_rdevminor(e, (dev_t) atoi(strchr(arg, ':') + 1));
		return tb_put(t, e, NULL, 0);
	case 'B':
		memset(big, 'z', sizeof(big));
		return tb_put(t, ent(sp->name, AE_IFREG, 0644), big, sizeof(big));
	case 'N':
		memset(longname, 'n', sizeof(longname) - 1);
		return tb_file(t, longname, "");
	case 'U':
		e = ent(sp->name, AE_IFREG, 0644);
		archive_entry_set_uid(e, 1ll << 40);
		return tb_put(t, e, NULL, 0);
	default:
		fail_msg("bad spec kind %c", sp->kind);
	}
}

static void c_hardlink_to_outside_symlink(struct fx *f)
{
	assert_true(S_ISLNK(lst(f, "l").st_mode));
	assert_content(f, "h", "replaces h, not what it points to");
}

static void c_device(struct fx *f)
{
	struct stat s = lst(f, "dev/kmsg");
	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(1, 11));
}

static void m_garbage(struct tb *t)
{
	for (size_t i = 0; i < 2000; i++)
		t->buf[i] = (unsigned char) "not a tar at all\n"[i % 17];
}

static void m_zstd_header(struct tb *t)
{
	t->buf[4] |= 0x08; /* a reserved bit of the frame header */
}

static const struct hostile hostiles[] = {
	{ "dotdot", { { 'f', "../x", "escape" } }, "layer entry \"../x\": path leaves the layer root" },
	{ "dotdot_inner", { { 'f', "a/../../x", "escape" } }, "path leaves the layer root" },
	{ "absolute", { { 'f', "/etc/berth-unpack-test-x", "escape" } }, "absolute path" },
	{ "symlink_root", { { 'l', "a", "/" }, { 'f', "a/etc/berth-unpack-test-x", "x" } }, "\"a\" is a symlink" },
	{ "symlink_up", { { 'l', "a", ".." }, { 'f', "a/x", "escape" } }, "\"a\" is a symlink" },
	{ "symlink_sentinel", { { 'l', "a", "../sentinel" }, { 'f', "a/file", "overwritten" } }, "\"a\" is a symlink" },
	{ "symlink_then_hardlink", { { 'l', "s", "@" }, { 'h', "h", "s/file" } },
	  "hard link target \"s/file\": \"s\" is a symlink" },
	{ "hardlink_up", { { 'h', "h", "../../outside" } }, "hard link target \"../../outside\": path leaves" },
	/* Linked as a symlink, never followed; then replaced, not written
	 * through. */
	{ "hardlink_to_outside_symlink",
	  { { 'l', "l", "@/file" }, { 'h', "h", "l" }, { 'f', "h", "replaces h, not what it points to" } },
	  NULL, 0, 0, c_hardlink_to_outside_symlink },
	{ "dir_then_symlink",
	  { { 'd', "d/" }, { 'f', "d/f", "inside" }, { 'l', "d", "../sentinel" }, { 'f', "d/x", "escape" } },
	  "layer entry \"d/x\": \"d\" is a symlink" },
	{ "whiteout_dotdot", { { 'f', "a/.wh...", "" } }, "invalid whiteout" },
	{ "whiteout_dot", { { 'f', ".wh..", "" } }, "invalid whiteout" },
	{ "whiteout_empty", { { 'd', ".wh./" } }, "invalid whiteout" },
	{ "whiteout_through_symlink", { { 'l', "d", "../sentinel" }, { 'f', "d/.wh.file", "" } }, "\"d\" is a symlink" },
	{ "opaque_through_symlink", { { 'l', "d", "../sentinel" }, { 'f', "d/.wh..wh..opq", "" } },
	  "\"d\" is a symlink" },
	{ "xattr_redirect", { { 'x', "d/", "trusted.overlay.redirect" } },
	  "xattr \"trusted.overlay.redirect\" is overlayfs metadata" },
	{ "xattr_opaque", { { 'x', "d/", "trusted.overlay.opaque" } },
	  "xattr \"trusted.overlay.opaque\" is overlayfs metadata" },
	{ "xattr_user_overlay", { { 'y', "f", "user.overlay.metacopy" } }, "is overlayfs metadata" },
	/* A device node is allowed: it is only a node inside the snapshot. */
	{ "device", { { 'c', "dev/kmsg", "1:11" } }, NULL, 0, 0, c_device },
	{ "truncated_tar", { { 'B', "big" } }, "Truncated", ARCHIVE_FILTER_NONE, 100000 },
	{ "truncated_gzip", { { 'B', "big" } }, "gzip layer: truncated", ARCHIVE_FILTER_GZIP, 100 },
	{ "corrupt_zstd", { { 'B', "big" } }, "zstd layer: corrupt data", ARCHIVE_FILTER_ZSTD, 0, NULL, m_zstd_header },
	{ "garbage", { { 'f', "ignored", "" } }, "malformed tar: Unrecognized archive format", 0, 0, NULL, m_garbage },
	{ "file_as_parent", { { 'f', "a", "file" }, { 'f', "a/x", "under a file" } }, "\"a\" is not a directory" },
	{ "hardlink_missing", { { 'h', "h", "nothing/here" } }, "hard link target \"nothing/here\"" },
	{ "hardlink_dir", { { 'd', "d/" }, { 'h', "h", "d" } }, "create hard link to \"d\"" },
	{ "whiteout_component", { { 'f', ".wh.a/b", "" } }, "has a whiteout name" },
	{ "long_component", { { 'N', "" } }, "longer than 255 bytes" },
	{ "huge_uid", { { 'U', "f" } }, "uid 1099511627776 out of range" },
	{ "root_not_dir", { { 'l', ".", "/etc" } }, "names the layer root but is not a directory" },
};

static void run_hostile(struct fx *f, const struct hostile *h, const struct berth_unpack_options *o)
{
	struct tb t;
	struct berth_error err;
	struct berth_unpack_stats st;
	int r;

	fx_snap_reset(f);
	tb_open(&t, h->filter);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(h->entries) && h->entries[i].kind; i++)
		spec_put(&t, f, &h->entries[i]);
	tb_close(&t);
	if (h->mangle)
		h->mangle(&t);
	r = unpack_bytes(f, t.buf, t.used - h->cut, o, NULL, &st, &err);
	free(t.buf);
	if (h->needle == NULL) {
		if (r < 0)
			fail_msg("%s: unpack failed: %s", h->name, err.msg);
		h->check(f);
	} else {
		if (r >= 0)
			fail_msg("%s (mode %d, walk %d): unpack succeeded", h->name, o->whiteout, o->force_walk);
		if (strstr(err.msg, h->needle) == NULL)
			fail_msg("%s: error \"%s\" does not say \"%s\"", h->name, err.msg, h->needle);
	}
	assert_outside_untouched(f);
}

/* One cmocka test per hostile layer, each run in both modes, with openat2
 * and with the O_NOFOLLOW walk. */
static void test_hostile(void **state)
{
	struct fx *f = *state;

	for (size_t m = 0; m < BERTH_ARRAY_SIZE(modes); m++)
		run_hostile(f, f->hostile, &modes[m]);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup_teardown(test_kinds_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_diff_id_each_compression, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parents_created_and_replaced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_replaced_dir_not_reused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_whiteouts_overlay, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_whiteouts_apply, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_hardlink_through_parent_symlink, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_misc_layers, fx_setup, fx_teardown),
	};
	struct CMUnitTest tests[BERTH_ARRAY_SIZE(fixed) + BERTH_ARRAY_SIZE(hostiles)];
	char names[BERTH_ARRAY_SIZE(hostiles)][64];
	size_t n = 0;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(hostiles); i++) {
		snprintf(names[i], sizeof(names[i]), "test_hostile_%s", hostiles[i].name);
		tests[n++] = (struct CMUnitTest){ names[i], test_hostile, fx_setup, fx_teardown,
						  (void *) &hostiles[i] };
	}
	return _cmocka_run_group_tests("unpack", tests, n, NULL, NULL);
}
