/* The container store: IDs, names, lookups by ID, name and prefix, state
 * updates, renames, and what survives a reopen. */
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

#include "containers.h"
#include "file.h"
#include "json.h"

#define IMG "sha256:aaaa000000000000000000000000000000000000000000000000000000000001"

struct fixture {
	char dir[64], path[128];
	struct berth_db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct berth_error err = { 0 };
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-containers-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	assert_int_equal(berth_db_open(f->path, &f->db, &err), 0);
	assert_int_equal(berth_containers_init(f->db, &err), 0);
	assert_int_equal(berth_containers_init(f->db, &err), 0);
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

static int insert(struct fixture *f, const char *id, const char *name, int64_t created, struct berth_error *err)
{
	struct berth_container_record c = {
		.image = (char *) "busybox",
		.created_nano = created,
		.config = json_pack("{s:[s]}", "Cmd", "true"),
		.host_config = json_pack("{s:s}", "NetworkMode", "none"),
		.state = json_pack("{s:s}", "Status", "created"),
	};
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.image_id, sizeof(c.image_id), "%s", IMG);
	int r = berth_containers_insert(f->db, &c, err);
	json_decref(c.config);
	json_decref(c.host_config);
	json_decref(c.state);
	return r;
}

#define ID1 "1111aaaa00000000000000000000000000000000000000000000000000000001"
#define ID2 "1111bbbb00000000000000000000000000000000000000000000000000000002"
#define ID3 "2222cccc00000000000000000000000000000000000000000000000000000003"

static void test_names(void **state)
{
	(void) state;
	assert_true(berth_container_name_valid("web"));
	assert_true(berth_container_name_valid("/web-1.a_b"));
	assert_true(berth_container_name_valid("0abc"));
	assert_false(berth_container_name_valid(""));
	assert_false(berth_container_name_valid("/"));
	assert_false(berth_container_name_valid("-web"));
	assert_false(berth_container_name_valid("_web"));
	assert_false(berth_container_name_valid("we b"));
	assert_false(berth_container_name_valid("web/x"));
	char id[BERTH_CONTAINER_ID_LEN + 1], id2[BERTH_CONTAINER_ID_LEN + 1];
	struct berth_error err = { 0 };
	assert_int_equal(berth_container_new_id(id, &err), 0);
	assert_int_equal(berth_container_new_id(id2, &err), 0);
	assert_int_equal(strlen(id), 64);
	assert_int_equal(strspn(id, "0123456789abcdef"), 64);
	assert_string_not_equal(id, id2);
}

static void test_insert_resolve(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char id[BERTH_CONTAINER_ID_LEN + 1];
	assert_int_equal(insert(f, ID1, "web", 1, &err), 0);
	assert_int_equal(insert(f, ID2, "db", 2, &err), 0);
	assert_int_equal(insert(f, ID3, "1111bbbb", 3, &err), 0);
	/* a name in use */
	assert_int_equal(insert(f, ID3 "x", "web", 4, &err), -EEXIST);
	assert_string_equal(err.msg, "Conflict. The container name \"/web\" is already in use by container \"" ID1
				     "\". You have to remove (or rename) that container to be able to reuse that name.");
	assert_int_equal(insert(f, "ffff", "bad name", 4, &err), -EINVAL);
	/* full ID, name (with or without /), unique prefix */
	assert_int_equal(berth_containers_resolve(f->db, ID2, id, &err), 0);
	assert_string_equal(id, ID2);
	assert_int_equal(berth_containers_resolve(f->db, "/web", id, &err), 0);
	assert_string_equal(id, ID1);
	assert_int_equal(berth_containers_resolve(f->db, "2222", id, &err), 0);
	assert_string_equal(id, ID3);
	/* a name wins over a prefix of another container's ID */
	assert_int_equal(berth_containers_resolve(f->db, "1111bbbb", id, &err), 0);
	assert_string_equal(id, ID3);
	assert_int_equal(berth_containers_resolve(f->db, "1111", id, &err), -EINVAL);
	assert_string_equal(err.msg, "multiple IDs found with provided prefix: 1111");
	assert_int_equal(berth_containers_resolve(f->db, "nothere", id, &err), -ENOENT);
	assert_string_equal(err.msg, "No such container: nothere");
	/* a GLOB pattern is not a prefix */
	assert_int_equal(berth_containers_resolve(f->db, "*", id, &err), -ENOENT);
	assert_int_equal(berth_containers_count_using_image(f->db, IMG, &err), 3);
}

static void test_update_rename_delete(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	assert_int_equal(insert(f, ID1, "web", 1, &err), 0);
	assert_int_equal(insert(f, ID2, "db", 2, &err), 0);
	_cleanup_json_ json_t *st = json_pack("{s:s, s:b, s:i}", "Status", "running", "Running", 1, "Pid", 42);
	assert_int_equal(berth_containers_set_state(f->db, ID1, st, &err), 0);
	assert_int_equal(berth_containers_set_state(f->db, "nope", st, &err), -ENOENT);
	assert_int_equal(berth_containers_rename(f->db, ID1, "/front", &err), 0);
	assert_int_equal(berth_containers_rename(f->db, ID1, "db", &err), -EEXIST);
	assert_int_equal(berth_containers_rename(f->db, ID1, "front", &err), -EINVAL);
	assert_int_equal(berth_containers_rename(f->db, ID1, "a b", &err), -EINVAL);

	/* what was written is there after a reopen */
	berth_db_close(f->db);
	assert_int_equal(berth_db_open(f->path, &f->db, &err), 0);
	assert_int_equal(berth_containers_init(f->db, &err), 0);
	struct berth_container_record *v = NULL;
	size_t n = 0;
	assert_int_equal(berth_containers_list(f->db, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, ID2); /* newest first */
	assert_string_equal(v[1].name, "front");
	assert_int_equal(json_integer_value(json_object_get(v[1].state, "Pid")), 42);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v[1].config, "Cmd"), 0)), "true");
	assert_string_equal(v[1].image, "busybox");
	assert_string_equal(v[1].image_id, IMG);
	berth_container_records_free(v, n);

	assert_int_equal(berth_containers_delete(f->db, ID1, &err), 0);
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	assert_int_equal(berth_containers_get(f->db, ID1, &c, &err), -ENOENT);
	assert_int_equal(berth_containers_get(f->db, ID2, &c, &err), 0);
	assert_string_equal(c.name, "db");
	/* the name of a deleted container is free again */
	assert_int_equal(insert(f, ID1, "front", 5, &err), 0);
}

static void test_generated_names(void **state)
{
	struct fixture *f = *state;
	struct berth_error err = { 0 };
	char name[BERTH_CONTAINER_NAME_MAX + 1], id[BERTH_CONTAINER_ID_LEN + 1];
	/* more containers than there are plain adjective_noun pairs */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(berth_containers_generate_name(f->db, name, &err), 0);
		assert_true(berth_container_name_valid(name));
		assert_int_equal(berth_container_new_id(id, &err), 0);
		if (insert(f, id, name, i, &err) != 0)
			fail_msg("generated name %s: %s", name, err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_insert_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_rename_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
