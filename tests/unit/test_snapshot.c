/* Snapshots: chains, the copy driver, waiting for another preparer,
 * recovery of half-made ones.  Uses the copy driver (no mount needed); the
 * overlay driver is exercised by the daemon's tests. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "db.h"
#include "file.h"
#include "snapshot.h"

struct fixture {
	char dir[64];
	struct berth_db *db;
	struct berth_snapshotter *sn;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct berth_error err = { 0 };
	char path[128];
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-snap-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/db", f->dir);
	assert_int_equal(berth_db_open(path, &f->db, &err), 0);
	assert_int_equal(berth_snapshotter_open(f->db, AT_FDCWD, f->dir, "copy", &f->sn, &err), 0);
	assert_string_equal(berth_snapshotter_driver(f->sn), "copy");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	berth_snapshotter_free(f->sn);
	berth_db_close(f->db);
	berth_remove_tree_at(AT_FDCWD, f->dir, &err);
	free(f);
	return 0;
}

static void put_file(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
}

static void make_layer(struct fixture *f, const char *key, const char *parent, const char *file)
{
	struct berth_error err = { 0 };
	struct berth_snapshot_prep *p = NULL;
	assert_int_equal(berth_snapshot_prepare(f->sn, key, parent, &p, &err), 0);
	put_file(p->dirfd, file, key);
	assert_int_equal(berth_snapshot_commit(f->sn, p, 10, &err), 0);
	berth_snapshot_prep_free(p);
}

static void test_chain_and_copy(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	make_layer(f, "sha256:base", NULL, "a");
	make_layer(f, "sha256:top", "sha256:base", "b");
	int64_t size = 0;
	assert_int_equal(berth_snapshot_stat(f->sn, "sha256:top", &size, &err), 0);
	assert_int_equal(size, 10);
	/* A full tree: the top holds the base's file and its own. */
	char **dirs = NULL;
	assert_int_equal(berth_snapshot_lower_dirs(f->sn, "sha256:top", &dirs, &err), 0);
	assert_non_null(dirs[0]);
	assert_null(dirs[1]);
	char path[512];
	snprintf(path, sizeof(path), "%s/a", dirs[0]);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/b", dirs[0]);
	assert_int_equal(access(path, F_OK), 0);
	for (char **d = dirs; *d; d++)
		free(*d);
	free(dirs);
	/* Committed twice: EEXIST; the parent of a child cannot go. */
	struct berth_snapshot_prep *p = NULL;
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:base", NULL, &p, &err), -EEXIST);
	assert_int_equal(berth_snapshot_remove(f->sn, "sha256:base", &err), -EBUSY);
	assert_int_equal(berth_snapshot_remove(f->sn, "sha256:top", &err), 0);
	assert_int_equal(berth_snapshot_remove(f->sn, "sha256:base", &err), 0);
	assert_int_equal(berth_snapshot_stat(f->sn, "sha256:base", NULL, &err), -ENOENT);
	/* A missing parent is an error, and leaves nothing. */
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:orphan", "sha256:gone", &p, &err), -ENOENT);
	assert_int_equal(berth_snapshot_stat(f->sn, "sha256:orphan", NULL, &err), -ENOENT);
}

struct waiter {
	struct berth_snapshotter *sn;
	int result;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	struct berth_error err = { 0 };
	w->result = berth_snapshot_wait(w->sn, "sha256:busy", &err);
	return NULL;
}

static void test_second_preparer_waits(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	struct berth_snapshot_prep *p = NULL, *q = NULL;
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:busy", NULL, &p, &err), 0);
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:busy", NULL, &q, &err), -EBUSY);
	struct waiter w = { f->sn, 1 };
	pthread_t t;
	pthread_create(&t, NULL, wait_main, &w);
	usleep(50000);
	assert_int_equal(berth_snapshot_commit(f->sn, p, 1, &err), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.result, 0);
	berth_snapshot_prep_free(p);
	/* An aborted one wakes the waiter with ENOENT. */
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:busy2", NULL, &p, &err), 0);
	berth_snapshot_abort(f->sn, p);
	assert_int_equal(berth_snapshot_wait(f->sn, "sha256:busy2", &err), -ENOENT);
}

static void test_reconcile_removes_half_made(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	struct berth_snapshot_prep *p = NULL;
	make_layer(f, "sha256:kept", NULL, "k");
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:half", NULL, &p, &err), 0);
	put_file(p->dirfd, "partial", "x");
	char stray[128];
	snprintf(stray, sizeof(stray), "%s/999", f->dir);
	assert_int_equal(mkdir(stray, 0700), 0);
	berth_snapshot_prep_free(p); /* the daemon died here */
	assert_int_equal(berth_snapshotter_reconcile(f->sn, &err), 0);
	assert_int_equal(berth_snapshot_stat(f->sn, "sha256:kept", NULL, &err), 0);
	assert_int_equal(berth_snapshot_prepare(f->sn, "sha256:half", NULL, &p, &err), 0);
	berth_snapshot_abort(f->sn, p);
	assert_int_equal(access(stray, F_OK), -1);
}

static void test_unknown_driver(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	struct berth_snapshotter *other = NULL;
	assert_int_equal(berth_snapshotter_open(f->db, AT_FDCWD, f->dir, "zfs", &other, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown storage driver"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_and_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_preparer_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_removes_half_made, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_driver, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
