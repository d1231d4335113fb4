/* The event ring: replay from a time, waiting, falling behind, closing. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "events.h"

static void test_publish_and_replay(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_events *ev = NULL;
	assert_int_equal(berth_events_new(&ev, &err), 0);
	uint64_t live = berth_events_cursor(ev, -1);
	berth_events_publish(ev, "image", "pull", "busybox:latest", json_pack("{s:s}", "name", "busybox"));
	int64_t middle = berth_events_now_nano();
	berth_events_publish(ev, "image", "tag", "sha256:x", NULL);
	json_t *e = NULL;
	/* A cursor taken before sees both; since=middle only the second. */
	assert_int_equal(berth_events_next(ev, &live, 0, &e), 1);
	assert_string_equal(json_string_value(json_object_get(e, "Action")), "pull");
	assert_string_equal(json_string_value(json_object_get(e, "status")), "pull");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(e, "Actor"), "Attributes"),
							       "name")),
			    "busybox");
	json_decref(e);
	uint64_t since = berth_events_cursor(ev, middle);
	assert_int_equal(berth_events_next(ev, &since, 0, &e), 1);
	assert_string_equal(json_string_value(json_object_get(e, "Action")), "tag");
	json_decref(e);
	uint64_t all = berth_events_cursor(ev, 0);
	assert_int_equal(all, 0);
	/* Nothing new: a timeout says 0. */
	assert_int_equal(berth_events_next(ev, &since, 20, &e), 0);
	berth_events_free(ev);
}

static void test_reader_behind_the_ring(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_events *ev = NULL;
	assert_int_equal(berth_events_new(&ev, &err), 0);
	uint64_t c = berth_events_cursor(ev, -1);
	for (int i = 0; i < BERTH_EVENTS_RING + 10; i++)
		berth_events_publish(ev, "image", "tag", "x", NULL);
	json_t *e = NULL;
	assert_int_equal(berth_events_next(ev, &c, 0, &e), 1);
	json_decref(e);
	/* It skipped what was overwritten: the oldest kept was event 10. */
	assert_int_equal(c, 11);
	berth_events_free(ev);
}

static void *closer(void *arg)
{
	usleep(30000);
	berth_events_close(arg);
	return NULL;
}

static void test_close_wakes_readers(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_events *ev = NULL;
	assert_int_equal(berth_events_new(&ev, &err), 0);
	uint64_t c = berth_events_cursor(ev, -1);
	pthread_t t;
	pthread_create(&t, NULL, closer, ev);
	json_t *e = NULL;
	assert_int_equal(berth_events_next(ev, &c, -1, &e), -ESHUTDOWN);
	pthread_join(t, NULL);
	berth_events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_and_replay),
		cmocka_unit_test(test_reader_behind_the_ring),
		cmocka_unit_test(test_close_wakes_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
