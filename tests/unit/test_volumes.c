/* The volume store: names and dockerd's messages, create (idempotent,
 * anonymous), references and "in use", remove, what a reopen reconciles,
 * sizes, driver options mounted and unmounted, and the engine's filters,
 * prune and events over it. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "engine.h"
#include "file.h"
#include "json.h"
#include "label_filter.h"
#include "volumes.h"

struct fixture {
	char dir[64];
	int root_fd;
	struct berth_db *db;
	struct berth_volumes *vs;
	struct berth_engine engine; /* only what volumes.c uses: volumes, events */
};

static void open_store(struct fixture *f)
{
	struct berth_error err = { 0 };
	char path[128];
	snprintf(path, sizeof(path), "%s/berth.db", f->dir);
	assert_int_equal(berth_db_open(path, &f->db, &err), 0);
	assert_int_equal(berth_volumes_open(f->db, f->root_fd, f->dir, &f->vs, &err), 0);
	f->engine.volumes = f->vs;
}

static void close_store(struct fixture *f)
{
	berth_volumes_free(f->vs);
	berth_db_close(f->db);
	f->vs = NULL;
	f->db = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct berth_error err = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-volumes-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->root_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->root_fd >= 0);
	assert_int_equal(berth_events_new(&f->engine.events, &err), 0);
	open_store(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char path[128];
	close_store(f);
	berth_events_free(f->engine.events);
	close(f->root_fd);
	/* whatever a failed test left mounted */
	snprintf(path, sizeof(path), "%s/volumes/mnt/_data", f->dir);
	umount2(path, MNT_DETACH);
	berth_remove_tree_at(AT_FDCWD, f->dir, &err);
	free(f);
	return 0;
}

static int create(struct fixture *f, const char *name, json_t *labels, struct berth_volume *ret,
		  struct berth_error *err)
{
	struct berth_volume_create req = { .name = name, .labels = labels };
	return berth_volumes_create(f->vs, &req, ret, NULL, err);
}

static bool exists_at(struct fixture *f, const char *rel)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/volumes/%s", f->dir, rel);
	return lstat(path, &st) == 0;
}

static void write_at(struct fixture *f, const char *rel, const char *text)
{
	char path[512];
	struct berth_error err = { 0 };
	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(berth_write_all(fd, text, strlen(text)), 0);
	(void) err;
}

static void test_names(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	assert_int_equal(berth_volume_name_check("ab", &err), 0);
	assert_int_equal(berth_volume_name_check("0a_b.c-d", &err), 0);
	assert_int_equal(berth_volume_name_check("x", &err), -EINVAL);
	assert_string_equal(err.msg, "volume name is too short, names should be at least two alphanumeric characters");
	assert_int_equal(berth_volume_name_check("../x", &err), -EINVAL);
	assert_string_equal(err.msg, "\"../x\" includes invalid characters for a local volume name, only "
				     "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
				     "use absolute path");
	/* Go's %q: escapes, \x for a byte that is not UTF-8, UTF-8 kept */
	assert_int_equal(berth_volume_name_check("a\x01\"b\n\xff\xc3\xa9", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"a\\x01\\\"b\\n\\xff\xc3\xa9\" includes"));
	assert_int_equal(berth_volume_name_check("_ab", &err), -EINVAL);
	assert_int_equal(berth_volume_name_check("a/b", &err), -EINVAL);
	assert_int_equal(berth_volume_name_check(".x", &err), -EINVAL);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(berth_volume_name_check(long_name, &err), -ENAMETOOLONG);
	long_name[BERTH_VOLUME_NAME_MAX] = '\0';
	assert_int_equal(berth_volume_name_check(long_name, &err), 0);
}

static void test_create_idempotent(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume a = { 0 }, b = { 0 }, c = { 0 };
	_cleanup_json_ json_t *labels = json_pack("{s:s}", "tier", "db"), *other = json_pack("{s:s}", "x", "y");
	bool created = false;
	struct berth_volume_create req = { .name = "data", .labels = labels };
	assert_int_equal(berth_volumes_create(f->vs, &req, &a, &created, &err), 0);
	assert_true(created);
	assert_string_equal(a.name, "data");
	assert_false(a.anonymous);
	assert_true(json_equal(a.labels, labels));
	assert_null(a.options);
	assert_true(exists_at(f, "data/_data"));
	char want[256];
	snprintf(want, sizeof(want), "%s/volumes/data/_data", f->dir);
	assert_string_equal(a.mountpoint, want);
	/* again, with other labels: the existing one, unchanged */
	req.labels = other;
	assert_int_equal(berth_volumes_create(f->vs, &req, &b, &created, &err), 0);
	assert_false(created);
	assert_true(json_equal(b.labels, labels));
	assert_int_equal(b.created_nano, a.created_nano);
	/* a bad name makes nothing, and says what dockerd says */
	assert_int_equal(create(f, "../x", NULL, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "create ../x: \"../x\" includes invalid characters"));
	assert_false(exists_at(f, "../x"));
}

static void test_anonymous(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume a = { 0 }, b = { 0 };
	assert_int_equal(create(f, NULL, NULL, &a, &err), 0);
	assert_int_equal(create(f, "", NULL, &b, &err), 0);
	assert_int_equal(strlen(a.name), 64);
	assert_int_equal(strspn(a.name, "0123456789abcdef"), 64);
	assert_string_not_equal(a.name, b.name);
	assert_true(a.anonymous);
	assert_string_equal(json_string_value(json_object_get(a.labels, BERTH_VOLUME_ANONYMOUS_LABEL)), "");
	struct berth_volume *list = NULL;
	size_t n = 0;
	assert_int_equal(berth_volumes_list(f->vs, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	berth_volumes_free_list(list, n);
}

static void test_refs_and_remove(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 }, got = { 0 };
	assert_int_equal(create(f, "shared", NULL, &v, &err), 0);
	write_at(f, "volumes/shared/_data/f", "12345");
	assert_int_equal(berth_volumes_ref(f->vs, "shared", "c2", &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "shared", "c1", &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "shared", "c1", &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "nothere", "c1", &err), -ENOENT);
	assert_string_equal(err.msg, "get nothere: no such volume");
	assert_int_equal(berth_volumes_get(f->vs, "shared", &got, &err), 0);
	assert_int_equal(got.refs, 2);
	assert_int_equal(berth_volumes_remove(f->vs, "shared", NULL, &err), -EBUSY);
	assert_string_equal(err.msg, "remove shared: volume is in use - [c1, c2]");
	assert_true(exists_at(f, "shared/_data/f"));
	assert_int_equal(berth_volumes_release(f->vs, "c1", &err), 0);
	assert_int_equal(berth_volumes_remove(f->vs, "shared", NULL, &err), -EBUSY);
	assert_string_equal(err.msg, "remove shared: volume is in use - [c2]");
	assert_int_equal(berth_volumes_release(f->vs, "c2", &err), 0);
	uint64_t size = 0;
	assert_int_equal(berth_volumes_remove(f->vs, "shared", &size, &err), 0);
	assert_int_equal(size, 5);
	assert_false(exists_at(f, "shared"));
	assert_false(exists_at(f, ".trash/shared"));
	assert_int_equal(berth_volumes_remove(f->vs, "shared", NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "get shared: no such volume");
}

static bool only_c1(void *ctx, const char *container)
{
	(void) ctx;
	return strcmp(container, "c1") == 0;
}

static void test_release_unknown(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 };
	_cleanup_strv_ char **users = NULL;
	assert_int_equal(create(f, "vol", NULL, &v, &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "vol", "c1", &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "vol", "gone", &err), 0);
	assert_int_equal(berth_volumes_release_unknown(f->vs, only_c1, NULL, &err), 0);
	assert_int_equal(berth_volumes_users(f->vs, "vol", &users, &err), 0);
	assert_string_equal(users[0], "c1");
	assert_null(users[1]);
}

/* A crash at every step of create and remove, and what is not ours. */
static void test_reconcile(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume a = { 0 }, b = { 0 }, c = { 0 }, adopted = { 0 };
	struct berth_volumes_reconcile_stats st = { 0 };
	assert_int_equal(create(f, "keep", NULL, &a, &err), 0);
	write_at(f, "volumes/keep/_data/f", "x");
	assert_int_equal(create(f, "lost", NULL, &b, &err), 0);
	assert_int_equal(create(f, "dying", NULL, &c, &err), 0);
	close_store(f);
	/* a create that died before its row */
	assert_int_equal(mkdirat(f->root_fd, "volumes/halfmade", 0701), 0);
	assert_int_equal(mkdirat(f->root_fd, "volumes/halfmade/_data", 0755), 0);
	assert_int_equal(mkdirat(f->root_fd, "volumes/nodata", 0701), 0);
	/* data without a row */
	assert_int_equal(mkdirat(f->root_fd, "volumes/restored", 0701), 0);
	assert_int_equal(mkdirat(f->root_fd, "volumes/restored/_data", 0755), 0);
	write_at(f, "volumes/restored/_data/precious", "do not lose me");
	/* a row whose directory went */
	struct berth_error ignored = { 0 };
	assert_int_equal(berth_remove_tree_at(f->root_fd, "volumes/lost", &ignored), 0);
	/* a remove that died after its rename */
	assert_int_equal(mkdirat(f->root_fd, "volumes/.trash", 0700), 0);
	assert_int_equal(renameat(f->root_fd, "volumes/dying", f->root_fd, "volumes/.trash/dying"), 0);
	/* not volumes: left alone */
	assert_int_equal(mkdirat(f->root_fd, "volumes/x", 0700), 0);
	write_at(f, "volumes/notes.txt", "mine");

	open_store(f);
	assert_int_equal(berth_volumes_reconcile(f->vs, &st, &err), 0);
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.adopted, 1);
	assert_int_equal(st.recreated, 1);
	assert_int_equal(st.trashed, 1);
	assert_false(exists_at(f, "halfmade"));
	assert_false(exists_at(f, "nodata"));
	assert_true(exists_at(f, "restored/_data/precious"));
	assert_int_equal(berth_volumes_get(f->vs, "restored", &adopted, &err), 0);
	assert_true(exists_at(f, "lost/_data"));
	assert_false(exists_at(f, ".trash/dying"));
	assert_int_equal(berth_volumes_get(f->vs, "dying", NULL, &err), -ENOENT);
	assert_true(exists_at(f, "keep/_data/f"));
	assert_true(exists_at(f, "x"));
	assert_true(exists_at(f, "notes.txt"));
	/* and it is stable */
	assert_int_equal(berth_volumes_reconcile(f->vs, &st, &err), 0);
	assert_int_equal(st.removed + st.adopted + st.recreated + st.trashed, 0);
}

static void test_tree_size(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 };
	char a[512], b[512];
	assert_int_equal(create(f, "sized", NULL, &v, &err), 0);
	write_at(f, "volumes/sized/_data/a", "1234567890");
	assert_int_equal(mkdirat(f->root_fd, "volumes/sized/_data/d", 0755), 0);
	write_at(f, "volumes/sized/_data/d/b", "123");
	snprintf(a, sizeof(a), "%s/volumes/sized/_data/a", f->dir);
	snprintf(b, sizeof(b), "%s/volumes/sized/_data/d/hardlink", f->dir);
	assert_int_equal(link(a, b), 0);
	/* a symlink counts its own length, never its target's */
	write_at(f, "big", "0123456789012345678901234567890123456789");
	snprintf(b, sizeof(b), "%s/volumes/sized/_data/d/s", f->dir);
	snprintf(a, sizeof(a), "%s/big", f->dir);
	assert_int_equal(symlink(a, b), 0);
	_cleanup_close_ int fd = openat(f->root_fd, "volumes/sized/_data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(berth_volumes_tree_size(fd), 10 + 3 + strlen(a));
}

static void test_labels_match(void **state)
{
	(void) state;
	_cleanup_json_ json_t *labels = json_pack("{s:s, s:s}", "a", "1", "b", "");
	_cleanup_json_ json_t *w1 = json_pack("[s]", "a"), *w2 = json_pack("[s, s]", "a=1", "b="),
			      *w3 = json_pack("[s]", "a=2"), *w4 = json_pack("[s]", "c"), *none = json_array();
	assert_true(berth_labels_match(labels, w1));
	assert_true(berth_labels_match(labels, w2));
	assert_false(berth_labels_match(labels, w3));
	assert_false(berth_labels_match(labels, w4));
	assert_true(berth_labels_match(labels, none));
	assert_true(berth_labels_match(NULL, NULL));
	assert_false(berth_labels_match(NULL, w1));
}

/* Driver options are mounted at first use; removal unmounts first and
 * never reaches through a bind mount into the host directory. */
static void test_mount_and_remove(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 }, again = { 0 };
	char host[256], mp_file[512];
	snprintf(host, sizeof(host), "%s/host", f->dir);
	assert_int_equal(mkdir(host, 0755), 0);
	write_at(f, "host/keepme", "host data");
	_cleanup_json_ json_t *opts = json_pack("{s:s, s:s, s:s}", "type", "none", "device", host, "o", "bind,ro");
	struct berth_volume_create req = { .name = "mnt", .options = opts };
	assert_int_equal(berth_volumes_create(f->vs, &req, &v, NULL, &err), 0);
	int r = berth_volumes_mount(f->vs, &v, &err);
	if (r == -EPERM) {
		skip();
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(berth_volumes_mount(f->vs, &v, &err), 0); /* mounted once */
	snprintf(mp_file, sizeof(mp_file), "%s/keepme", v.mountpoint);
	assert_int_equal(access(mp_file, F_OK), 0);
	/* "ro" came from a remount */
	snprintf(mp_file, sizeof(mp_file), "%s/new", v.mountpoint);
	assert_true(open(mp_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0 && errno == EROFS);
	assert_int_equal(berth_volumes_remove(f->vs, "mnt", NULL, &err), 0);
	snprintf(mp_file, sizeof(mp_file), "%s/keepme", host);
	assert_int_equal(access(mp_file, F_OK), 0);
	assert_false(exists_at(f, "mnt"));
	/* a mount that a crash left on an orphan directory is undone too */
	assert_int_equal(berth_volumes_create(f->vs, &req, &again, NULL, &err), 0);
	assert_int_equal(berth_volumes_mount(f->vs, &again, &err), 0);
	close_store(f);
	char path[256];
	snprintf(path, sizeof(path), "%s/berth.db", f->dir);
	struct berth_db *db = NULL;
	assert_int_equal(berth_db_open(path, &db, &err), 0);
	assert_int_equal(berth_db_exec(db, "DELETE FROM volumes", &err), 0);
	berth_db_close(db);
	open_store(f);
	struct berth_volumes_reconcile_stats st = { 0 };
	r = berth_volumes_reconcile(f->vs, &st, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(r, 0);
	/* the mounted host data looks like a volume with data: adopted, not removed */
	assert_int_equal(st.adopted, 1);
	assert_int_equal(access(mp_file, F_OK), 0);
	r = berth_volumes_remove(f->vs, "mnt", NULL, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(access(mp_file, F_OK), 0);
}

static void test_options_checked(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 };
	_cleanup_json_ json_t *bad = json_pack("{s:s}", "bad", "1"), *half = json_pack("{s:s}", "o", "size=1m");
	struct berth_volume_create req = { .name = "opt", .options = bad };
	assert_int_equal(berth_engine_volume_create(&f->engine, "local", &req, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "create opt: invalid option: \"bad\"");
	req.options = half;
	assert_int_equal(berth_engine_volume_create(&f->engine, NULL, &req, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "create opt: missing required option: \"device\"");
	req.options = NULL;
	assert_int_equal(berth_engine_volume_create(&f->engine, "nfs", &req, &v, &err), -ENOENT);
	assert_string_equal(err.msg, "create opt: error looking up volume plugin nfs: plugin \"nfs\" not found");
	assert_false(exists_at(f, "opt"));
}

static size_t list_names(struct fixture *f, const char *filters_json, char *out, size_t size, struct berth_error *err)
{
	_cleanup_json_ json_t *filters = json_loads(filters_json, 0, NULL);
	struct berth_volume *v = NULL;
	size_t n = 0, o = 0;
	out[0] = '\0';
	if (berth_engine_volume_list(&f->engine, filters, &v, &n, err) < 0)
		return (size_t) -1;
	for (size_t i = 0; i < n; i++)
		o += (size_t) snprintf(out + o, size - o, "%s%s", i ? " " : "", v[i].name);
	berth_volumes_free_list(v, n);
	return n;
}

static void test_list_filters(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume a = { 0 }, b = { 0 }, c = { 0 };
	_cleanup_json_ json_t *l1 = json_pack("{s:s}", "app", "web"), *l2 = json_pack("{s:s}", "app", "db");
	char names[1024];
	assert_int_equal(create(f, "web1", l1, &a, &err), 0);
	assert_int_equal(create(f, "db1", l2, &b, &err), 0);
	assert_int_equal(create(f, "other", NULL, &c, &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, "db1", "c1", &err), 0);
	assert_int_equal(list_names(f, "{}", names, sizeof(names), &err), 3);
	assert_string_equal(names, "db1 other web1");
	assert_int_equal(list_names(f, "{\"name\": [\"1$\"]}", names, sizeof(names), &err), 2);
	assert_string_equal(names, "db1 web1");
	assert_int_equal(list_names(f, "{\"label\": [\"app=web\"]}", names, sizeof(names), &err), 1);
	assert_string_equal(names, "web1");
	assert_int_equal(list_names(f, "{\"label\": [\"app\"], \"dangling\": [\"true\"]}", names, sizeof(names), &err), 1);
	assert_string_equal(names, "web1");
	assert_int_equal(list_names(f, "{\"dangling\": [\"0\"]}", names, sizeof(names), &err), 1);
	assert_string_equal(names, "db1");
	assert_int_equal(list_names(f, "{\"driver\": [\"local\"]}", names, sizeof(names), &err), 3);
	assert_int_equal(list_names(f, "{\"driver\": [\"loc\"]}", names, sizeof(names), &err), 0);
	assert_int_equal(list_names(f, "{\"dangling\": [\"maybe\"]}", names, sizeof(names), &err), (size_t) -1);
	assert_string_equal(err.msg, "invalid filter 'dangling=maybe'");
	assert_int_equal(list_names(f, "{\"label!\": [\"a\"]}", names, sizeof(names), &err), (size_t) -1);
	assert_string_equal(err.msg, "invalid filter 'label!'");
}

static void test_prune(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume anon = { 0 }, used = { 0 }, named = { 0 }, kept = { 0 }, opt = { 0 };
	_cleanup_json_ json_t *keep = json_pack("{s:s}", "keep", "yes"), *empty = json_object();
	_cleanup_json_ json_t *opts = json_pack("{s:s, s:s}", "type", "tmpfs", "device", "tmpfs");
	json_t *report = NULL;
	assert_int_equal(create(f, NULL, NULL, &anon, &err), 0);
	char file[512];
	snprintf(file, sizeof(file), "volumes/%s/_data/f", anon.name);
	write_at(f, file, "0123456789");
	assert_int_equal(create(f, NULL, NULL, &used, &err), 0);
	assert_int_equal(berth_volumes_ref(f->vs, used.name, "c1", &err), 0);
	assert_int_equal(create(f, "named", NULL, &named, &err), 0);
	assert_int_equal(create(f, "kept", keep, &kept, &err), 0);
	struct berth_volume_create oreq = { .name = "withopts", .options = opts };
	assert_int_equal(berth_volumes_create(f->vs, &oreq, &opt, NULL, &err), 0);
	uint64_t cursor = berth_events_cursor(f->engine.events, -1);

	/* API >= 1.42: anonymous ones only */
	assert_int_equal(berth_engine_volume_prune(&f->engine, empty, 147, &report, &err), 0);
	assert_int_equal(json_array_size(json_object_get(report, "VolumesDeleted")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(report, "VolumesDeleted"), 0)), anon.name);
	assert_int_equal(json_integer_value(json_object_get(report, "SpaceReclaimed")), 10);
	json_decref(report);
	json_t *ev = NULL;
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "Action")), "destroy");
	json_decref(ev);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "Action")), "prune");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"),
							      "reclaimed")),
			    "10");
	json_decref(ev);

	/* all=true with label!: named ones too, but not "kept", never one in use or with options */
	_cleanup_json_ json_t *filters = json_pack("{s:[s], s:[s]}", "all", "true", "label!", "keep");
	assert_int_equal(berth_engine_volume_prune(&f->engine, filters, 147, &report, &err), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(report, "VolumesDeleted"), 0)), "named");
	assert_int_equal(json_array_size(json_object_get(report, "VolumesDeleted")), 1);
	json_decref(report);
	/* an old API prunes named volumes without being asked */
	assert_int_equal(berth_engine_volume_prune(&f->engine, empty, 141, &report, &err), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(report, "VolumesDeleted"), 0)), "kept");
	json_decref(report);
	assert_int_equal(berth_volumes_get(f->vs, used.name, NULL, &err), 0);
	assert_int_equal(berth_volumes_get(f->vs, "withopts", NULL, &err), 0);
	/* nothing left: [] not null */
	assert_int_equal(berth_engine_volume_prune(&f->engine, empty, 147, &report, &err), 0);
	assert_true(json_is_array(json_object_get(report, "VolumesDeleted")));
	json_decref(report);

	_cleanup_json_ json_t *bad = json_pack("{s:[s]}", "all", "maybe"), *unknown = json_pack("{s:[s]}", "until", "1h");
	assert_int_equal(berth_engine_volume_prune(&f->engine, bad, 147, &report, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'all': strconv.ParseBool: parsing \"maybe\": invalid syntax");
	assert_int_equal(berth_engine_volume_prune(&f->engine, unknown, 147, &report, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'until'");
}

static void test_engine_events_and_path(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_volume_ struct berth_volume v = { 0 }, acquired = { 0 };
	_cleanup_free_ char *path = NULL;
	uint64_t cursor = berth_events_cursor(f->engine.events, -1);
	json_t *ev = NULL;
	/* volume_path creates a missing volume (one create event), then finds it */
	assert_int_equal(berth_engine_volume_path_cb(&f->engine, "fromrun", &path, &err), 0);
	assert_true(exists_at(f, "fromrun/_data"));
	assert_non_null(strstr(path, "/volumes/fromrun/_data"));
	free(path);
	path = NULL;
	assert_int_equal(berth_engine_volume_path(&f->engine, "fromrun", &path, &err), 0);
	assert_int_equal(berth_engine_volume_path(&f->engine, "../etc", &path, &err), -EINVAL);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "Type")), "volume");
	assert_string_equal(json_string_value(json_object_get(ev, "Action")), "create");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID")), "fromrun");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"),
							      "driver")),
			    "local");
	json_decref(ev);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 0);
	/* acquire: an anonymous volume, referenced */
	assert_int_equal(berth_engine_volume_acquire(&f->engine, NULL, "c9", &acquired, &err), 0);
	assert_true(acquired.anonymous);
	assert_int_equal(acquired.refs, 1);
	assert_int_equal(berth_engine_volume_remove(&f->engine, acquired.name, true, &err), -EBUSY);
	assert_int_equal(berth_engine_volume_release(&f->engine, "c9", &err), 0);
	assert_int_equal(berth_engine_volume_remove(&f->engine, acquired.name, false, &err), 0);
	assert_int_equal(berth_engine_volume_remove(&f->engine, acquired.name, false, &err), -ENOENT);
	assert_int_equal(berth_engine_volume_remove(&f->engine, acquired.name, true, &err), 0);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 1); /* create */
	json_decref(ev);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "Action")), "destroy");
	json_decref(ev);
	assert_int_equal(berth_events_next(f->engine.events, &cursor, 0, &ev), 0);
	(void) v;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_create_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anonymous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refs_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_size, setup, teardown),
		cmocka_unit_test(test_labels_match),
		cmocka_unit_test_setup_teardown(test_mount_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_events_and_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
