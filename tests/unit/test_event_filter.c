/* docker's /events filters: which keys exist, how each one matches. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "event_filter.h"

static json_t *event(const char *type, const char *action, const char *id, const char *name, const char *image)
{
	json_t *attrs = json_object();
	if (name)
		json_object_set_new(attrs, "name", json_string(name));
	if (image)
		json_object_set_new(attrs, "image", json_string(image));
	json_object_set_new(attrs, "com.example.tier", json_string("web"));
	return json_pack("{s:s, s:s, s:{s:s, s:o}}", "Type", type, "Action", action, "Actor", "ID", id, "Attributes",
			 attrs);
}

static bool matches(const char *filters_json, json_t *ev)
{
	json_t *filters = json_loads(filters_json, 0, NULL);
	assert_non_null(filters);
	bool m = berth_event_filters_match(filters, ev);
	json_decref(filters);
	return m;
}

static void test_container_by_name_or_id_prefix(void **state)
{
	(void) state;
	json_t *start = event("container", "start", "4f3a9c", "web", "busybox:latest");
	json_t *vol = event("volume", "create", "data", NULL, NULL);
	assert_true(matches("{}", start));
	assert_true(matches("{\"container\":[\"web\"]}", start));
	assert_true(matches("{\"container\":[\"4f3a\"]}", start));
	assert_false(matches("{\"container\":[\"db\"]}", start));
	/* Values of one key are ORed; keys are ANDed. */
	assert_true(matches("{\"container\":[\"db\",\"web\"]}", start));
	assert_false(matches("{\"container\":[\"web\"], \"event\":[\"die\"]}", start));
	/* A container filter leaves out a volume that does not share the name. */
	assert_false(matches("{\"container\":[\"web\"]}", vol));
	assert_true(matches("{\"volume\":[\"data\"]}", vol));
	assert_false(matches("{\"volume\":[\"data\"]}", start));
	json_decref(start);
	json_decref(vol);
}

static void test_type_event_image_label(void **state)
{
	(void) state;
	json_t *start = event("container", "start", "4f3a9c", "web", "busybox:latest");
	json_t *health = event("container", "health_status: healthy", "4f3a9c", "web", "busybox:latest");
	json_t *pull = event("image", "pull", "127.0.0.1:5000/busybox:1.36", "127.0.0.1:5000/busybox", NULL);
	assert_true(matches("{\"type\":[\"container\"]}", start));
	assert_false(matches("{\"type\":[\"image\"]}", start));
	assert_true(matches("{\"event\":[\"start\"]}", start));
	assert_false(matches("{\"event\":[\"sta\"]}", start));
	/* health_status alone stands for every health status. */
	assert_true(matches("{\"event\":[\"health_status\"]}", health));
	assert_false(matches("{\"event\":[\"health_status\"]}", start));
	/* image: the container's image attribute, with or without its tag. */
	assert_true(matches("{\"image\":[\"busybox\"]}", start));
	assert_true(matches("{\"image\":[\"busybox:latest\"]}", start));
	assert_false(matches("{\"image\":[\"alpine\"]}", start));
	/* An image event: its ID or name; a registry port is not a tag. */
	assert_true(matches("{\"image\":[\"127.0.0.1:5000/busybox\"]}", pull));
	assert_false(matches("{\"image\":[\"127.0.0.1\"]}", pull));
	assert_true(matches("{\"label\":[\"com.example.tier\"]}", start));
	assert_true(matches("{\"label\":[\"com.example.tier=web\"]}", start));
	assert_false(matches("{\"label\":[\"com.example.tier=db\"]}", start));
	assert_false(matches("{\"label\":[\"com.example.tier\", \"other\"]}", start));
	assert_true(matches("{\"scope\":[\"local\"]}", start));
	assert_false(matches("{\"scope\":[\"swarm\"]}", start));
	json_decref(start);
	json_decref(health);
	json_decref(pull);
}

static void test_unknown_key_refused(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	json_t *ok = json_pack("{s:[s], s:[s]}", "container", "web", "volume", "data");
	json_t *bad = json_pack("{s:[s]}", "colour", "red");
	assert_int_equal(berth_event_filters_check(ok, &err), 0);
	assert_int_equal(berth_event_filters_check(bad, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'colour'");
	json_decref(ok);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_by_name_or_id_prefix),
		cmocka_unit_test(test_type_event_image_label),
		cmocka_unit_test(test_unknown_key_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
