/* The content store: verified publication, resume, one writer per blob. */
#include <errno.h>
#include <fcntl.h>
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
#include "content.h"
#include "file.h"

struct fixture {
	char dir[64];
	struct berth_content *cs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct berth_error err = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-content-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(berth_content_open(AT_FDCWD, f->dir, &f->cs, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	berth_content_free(f->cs);
	berth_remove_tree_at(AT_FDCWD, f->dir, &err);
	free(f);
	return 0;
}

static void digest_of(const char *data, char out[BERTH_DIGEST_MAX])
{
	struct berth_error err = { 0 };
	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, data, strlen(data), out, &err), 0);
}

static void test_write_read_delete(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char d[BERTH_DIGEST_MAX];
	digest_of("hello", d);
	assert_int_equal(berth_content_stat(f->cs, d, NULL, &err), -ENOENT);
	assert_int_equal(berth_content_write(f->cs, d, "hello", 5, &err), 0);
	int64_t size = 0;
	assert_int_equal(berth_content_stat(f->cs, d, &size, &err), 0);
	assert_int_equal(size, 5);
	_cleanup_free_ char *body = NULL;
	size_t len;
	assert_int_equal(berth_content_read(f->cs, d, 100, &body, &len, &err), 0);
	assert_string_equal(body, "hello");
	/* Published blobs are read-only. */
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->dir, berth_digest_hex(d));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(berth_content_read(f->cs, d, 3, &body, &len, &err), -EFBIG);
	assert_int_equal(berth_content_delete(f->cs, d, &err), 0);
	assert_int_equal(berth_content_stat(f->cs, d, NULL, &err), -ENOENT);
	/* Writing the same blob twice is fine. */
	assert_int_equal(berth_content_write(f->cs, d, "hello", 5, &err), 0);
	assert_int_equal(berth_content_write(f->cs, d, "hello", 5, &err), 0);
}

static void test_wrong_digest_publishes_nothing(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char d[BERTH_DIGEST_MAX];
	digest_of("expected", d);
	assert_int_equal(berth_content_write(f->cs, d, "tampered", 8, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "digest mismatch"));
	assert_int_equal(berth_content_stat(f->cs, d, NULL, &err), -ENOENT);
	/* The partial file went too. */
	char path[256];
	snprintf(path, sizeof(path), "%s/ingest/sha256-%s", f->dir, berth_digest_hex(d));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(berth_content_write(f->cs, "sha256:nothex", "x", 1, &err), -EINVAL);
}

static void test_size_is_enforced(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_ingest_ struct berth_ingest *ing = NULL;
	char d[BERTH_DIGEST_MAX];
	digest_of("abcdef", d);
	assert_int_equal(berth_ingest_begin(f->cs, d, 3, &ing, &err), 0);
	assert_int_equal(berth_ingest_write(ing, "abcd", 4, &err), -EFBIG);
	assert_int_equal(berth_ingest_write(ing, "abc", 3, &err), 0);
	assert_int_equal(berth_ingest_commit(ing, &err), -EBADMSG); /* 3 bytes, wrong digest */
	berth_ingest_free(ing);
	ing = NULL;
	/* Short: a size mismatch. */
	assert_int_equal(berth_ingest_begin(f->cs, d, 6, &ing, &err), 0);
	assert_int_equal(berth_ingest_write(ing, "abc", 3, &err), 0);
	assert_int_equal(berth_ingest_commit(ing, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "size mismatch"));
}

static void test_resume_after_interruption(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	struct berth_ingest *ing = NULL;
	char d[BERTH_DIGEST_MAX];
	digest_of("0123456789", d);
	assert_int_equal(berth_ingest_begin(f->cs, d, 10, &ing, &err), 0);
	assert_int_equal(berth_ingest_write(ing, "01234", 5, &err), 0);
	berth_ingest_free(ing); /* a pull that stopped: the partial stays */
	assert_int_equal(berth_ingest_begin(f->cs, d, 10, &ing, &err), 0);
	assert_int_equal(berth_ingest_offset(ing), 5);
	/* A reader sees what is there and follows. */
	_cleanup_close_ int rfd = berth_ingest_open_reader(ing, &err);
	assert_true(rfd >= 0);
	assert_int_equal(berth_ingest_write(ing, "56789", 5, &err), 0);
	char buf[16] = { 0 };
	assert_int_equal(pread(rfd, buf, sizeof(buf), 0), 10);
	assert_string_equal(buf, "0123456789");
	assert_int_equal(berth_ingest_commit(ing, &err), 0);
	berth_ingest_free(ing);
	assert_int_equal(berth_content_stat(f->cs, d, NULL, &err), 0);
	/* Committed: a new writer is told so. */
	assert_int_equal(berth_ingest_begin(f->cs, d, 10, &ing, &err), -EEXIST);
}

static void test_one_writer_per_blob(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	_cleanup_ingest_ struct berth_ingest *a = NULL;
	struct berth_ingest *b = NULL;
	char d[BERTH_DIGEST_MAX];
	digest_of("shared", d);
	assert_int_equal(berth_ingest_begin(f->cs, d, 6, &a, &err), 0);
	assert_int_equal(berth_ingest_begin(f->cs, d, 6, &b, &err), -EBUSY);
	/* The pruner leaves a file that is being written alone... */
	assert_int_equal(berth_content_prune_ingests(f->cs, &err), 0);
	assert_int_equal(berth_ingest_write(a, "shared", 6, &err), 0);
	assert_int_equal(berth_ingest_commit(a, &err), 0);
	/* ...and removes an abandoned one. */
	char d2[BERTH_DIGEST_MAX];
	digest_of("abandoned", d2);
	assert_int_equal(berth_ingest_begin(f->cs, d2, 9, &b, &err), 0);
	assert_int_equal(berth_ingest_write(b, "aban", 4, &err), 0);
	berth_ingest_free(b);
	assert_int_equal(berth_content_prune_ingests(f->cs, &err), 1);
}

static int count_blob(const char *digest, int64_t size, void *ctx)
{
	(void) digest;
	(void) size;
	(*(int *) ctx)++;
	return 0;
}

static void test_walk(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char d[BERTH_DIGEST_MAX];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		char data[8];
		snprintf(data, sizeof(data), "b%d", i);
		digest_of(data, d);
		assert_int_equal(berth_content_write(f->cs, d, data, strlen(data), &err), 0);
	}
	assert_int_equal(berth_content_walk(f->cs, count_blob, &n, &err), 0);
	assert_int_equal(n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_digest_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_is_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_interruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_writer_per_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
