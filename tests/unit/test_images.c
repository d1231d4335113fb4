/* The image store: names, lookups, what images pin. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "file.h"
#include "images.h"

#define ID_A "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "sha256:aaab000000000000000000000000000000000000000000000000000000000002"

struct fixture {
	char dir[64];
	struct berth_db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct berth_error err = { 0 };
	char path[128];
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-images-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/db", f->dir);
	assert_int_equal(berth_db_open(path, &f->db, &err), 0);
	assert_int_equal(berth_images_init(f->db, &err), 0);
	/* Migrating twice is a no-op. */
	assert_int_equal(berth_images_init(f->db, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	berth_db_close(f->db);
	berth_remove_tree_at(AT_FDCWD, f->dir, &err);
	free(f);
	return 0;
}

static void put(struct fixture *f, const char *id, const char *tag, const char *digest_ref, char replaced[])
{
	struct berth_error err = { 0 };
	char chain[1][BERTH_DIGEST_MAX], diff[1][BERTH_DIGEST_MAX];
	char *blobs[] = { (char *) "sha256:blob-of-" };
	snprintf(chain[0], BERTH_DIGEST_MAX, "sha256:chain-%s", id + 7);
	snprintf(diff[0], BERTH_DIGEST_MAX, "sha256:diff-%s", id + 7);
	struct berth_pulled_image img = {
		.top_snapshot = chain[0],
		.chain_ids = chain,
		.diff_ids = diff,
		.n_layers = 1,
		.blobs = blobs,
		.n_blobs = 1,
		.size = 42,
	};
	snprintf(img.id, sizeof(img.id), "%s", id);
	snprintf(img.manifest, sizeof(img.manifest), "sha256:manifest");
	assert_int_equal(berth_images_put(f->db, &img, tag, digest_ref, replaced, &err), 0);
}

static void test_put_and_resolve(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char replaced[BERTH_DIGEST_MAX], id[BERTH_DIGEST_MAX];
	put(f, ID_A, "docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:m1", replaced);
	assert_string_equal(replaced, "");
	assert_int_equal(berth_images_resolve_ref(f->db, "docker.io/library/busybox:latest", id, &err), 0);
	assert_string_equal(id, ID_A);
	assert_int_equal(berth_images_resolve_ref(f->db, "docker.io/library/busybox@sha256:m1", id, &err), 0);
	assert_int_equal(berth_images_resolve_ref(f->db, "docker.io/library/nope:latest", id, &err), -ENOENT);
	/* IDs by prefix, with or without the algorithm; ambiguous prefixes refused. */
	put(f, ID_B, "docker.io/library/other:1", NULL, replaced);
	assert_int_equal(berth_images_resolve_id(f->db, "aaaa", id, &err), 0);
	assert_string_equal(id, ID_A);
	assert_int_equal(berth_images_resolve_id(f->db, "sha256:aaab", id, &err), 0);
	assert_string_equal(id, ID_B);
	assert_int_equal(berth_images_resolve_id(f->db, "aaa", id, &err), -EINVAL);
	assert_int_equal(berth_images_resolve_id(f->db, "ffff", id, &err), -ENOENT);
	assert_int_equal(berth_images_resolve_id(f->db, "a*", id, &err), -ENOENT);
	/* A tag moves, and says from where. */
	put(f, ID_B, "docker.io/library/busybox:latest", NULL, replaced);
	assert_string_equal(replaced, ID_A);
	struct berth_image img = { 0 };
	assert_int_equal(berth_images_get(f->db, ID_A, &img, &err), 0);
	assert_null(img.tags[0]);
	assert_string_equal(img.digests[0], "docker.io/library/busybox@sha256:m1");
	assert_string_equal(img.layers[0], "sha256:chain-aaaa000000000000000000000000000000000000000000000000000000000001");
	assert_int_equal(img.size, 42);
	berth_image_clear(&img);
}

static void test_tag_untag_delete(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char replaced[BERTH_DIGEST_MAX];
	put(f, ID_A, "docker.io/library/a:1", NULL, replaced);
	assert_int_equal(berth_images_tag(f->db, ID_A, "docker.io/library/a:2", replaced, &err), 0);
	struct berth_image *imgs = NULL;
	size_t n = 0;
	assert_int_equal(berth_images_list(f->db, &imgs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_non_null(imgs[0].tags[1]);
	berth_images_free(imgs, n);
	assert_int_equal(berth_images_untag(f->db, "docker.io/library/a:1", &err), 0);
	assert_int_equal(berth_images_untag(f->db, "docker.io/library/a:1", &err), -ENOENT);
	assert_int_equal(berth_images_blob_used(f->db, "sha256:blob-of-", &err), 1);
	assert_int_equal(berth_images_snapshot_used(f->db,
						    "sha256:chain-aaaa000000000000000000000000000000000000000000000000000000000001",
						    &err),
			 1);
	assert_int_equal(berth_images_delete(f->db, ID_A, &err), 0);
	/* Names, blobs and layers went with the image. */
	char id[BERTH_DIGEST_MAX];
	assert_int_equal(berth_images_resolve_ref(f->db, "docker.io/library/a:2", id, &err), -ENOENT);
	assert_int_equal(berth_images_blob_used(f->db, "sha256:blob-of-", &err), 0);
	struct berth_image img = { 0 };
	assert_int_equal(berth_images_get(f->db, ID_A, &img, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_untag_delete, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
