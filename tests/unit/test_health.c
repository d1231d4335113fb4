/* Unit tests of health_config.c: the Healthcheck merge and checks as
 * dockerd makes them, the probe's argv, docker's schedule (start period,
 * start interval), what a result does to State.Health, the probe output's
 * frames, 4096-byte cut and UTF-8 repair; and Go's duration text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "duration.h"
#include "health_config.h"
#include "json.h"

#define MS INT64_C(1000000)
#define S (1000 * MS)

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_json(json_t *j, const char *expected)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_json_ json_t *want = json_loads(expected, JSON_DECODE_ANY, NULL);
	_cleanup_free_ char *want_text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_string_equal(text, want_text);
}

static void merge(const char *image, const char *request, const char *want)
{
	_cleanup_json_ json_t *i = image ? parse(image) : NULL, *r = request ? parse(request) : NULL;
	_cleanup_json_ json_t *m = berth_health_merge(i, r);
	if (!want) {
		assert_null(m);
		return;
	}
	assert_json(m, want);
}

static void test_merge(void **state)
{
	(void) state;
	merge(NULL, NULL, NULL);
	merge("{\"Test\":[\"CMD\",\"true\"],\"Interval\":5}", NULL, "{\"Test\":[\"CMD\",\"true\"],\"Interval\":5}");
	merge(NULL, "{\"Test\":[\"CMD-SHELL\",\"x\"]}", "{\"Test\":[\"CMD-SHELL\",\"x\"]}");
	/* the request's set fields win, its unset ones come from the image */
	merge("{\"Test\":[\"CMD\",\"a\"],\"Interval\":5,\"Timeout\":6,\"Retries\":2,\"StartPeriod\":7,\"StartInterval\":8}",
	      "{\"Interval\":50,\"Retries\":0}",
	      "{\"Test\":[\"CMD\",\"a\"],\"Interval\":50,\"Timeout\":6,\"Retries\":2,\"StartPeriod\":7,\"StartInterval\":8}");
	merge("{\"Test\":[\"CMD\",\"a\"],\"Retries\":2}", "{\"Test\":[],\"Retries\":9}",
	      "{\"Test\":[\"CMD\",\"a\"],\"Retries\":9}");
	/* NONE replaces the test only, as dockerd's merge does */
	merge("{\"Test\":[\"CMD\",\"a\"],\"Interval\":5}", "{\"Test\":[\"NONE\"]}", "{\"Test\":[\"NONE\"],\"Interval\":5}");
}

static void bad(const char *hc, const char *msg)
{
	_cleanup_json_ json_t *j = parse(hc);
	struct berth_error err = { 0 };
	assert_int_equal(berth_health_validate(j, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void test_validate(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *ok = parse("{\"Test\":[\"CMD\",\"x\"],\"Interval\":1000000,\"Retries\":0}");
	assert_int_equal(berth_health_validate(ok, &err), 0);
	assert_int_equal(berth_health_validate(NULL, &err), 0);
	bad("{\"Interval\":999999}", "Interval in Healthcheck cannot be less than 1ms");
	bad("{\"Timeout\":-1}", "Timeout in Healthcheck cannot be less than 1ms");
	bad("{\"StartPeriod\":5}", "StartPeriod in Healthcheck cannot be less than 1ms");
	bad("{\"StartInterval\":5}", "StartInterval in Healthcheck cannot be less than 1ms");
	bad("{\"Retries\":-1}", "Retries in Healthcheck cannot be negative");
	bad("{\"Interval\":\"1s\"}", "Healthcheck.Interval: want an integer (nanoseconds)");
	bad("{\"Test\":[1]}", "Healthcheck.Test: want an array of strings");
}

static void params(const char *config, bool want, const char *argv)
{
	_cleanup_json_ json_t *c = parse(config);
	struct berth_health_params p;
	assert_int_equal(berth_health_params(c, &p), want);
	_cleanup_json_ json_t *a = berth_health_probe_argv(c);
	if (!argv) {
		assert_null(a);
		return;
	}
	assert_json(a, argv);
}

static void test_params_and_argv(void **state)
{
	(void) state;
	params("{}", false, NULL);
	params("{\"Healthcheck\":{\"Test\":[\"NONE\"]}}", false, NULL);
	params("{\"Healthcheck\":{\"Test\":[]}}", false, NULL);
	params("{\"Healthcheck\":{\"Test\":[\"CMD\"]}}", false, NULL);
	params("{\"Healthcheck\":{\"Test\":[\"HTTP\",\"x\"]}}", false, NULL);
	params("{\"Healthcheck\":{\"Test\":[\"CMD\",\"curl\",\"-f\",\"x\"]}}", true, "[\"curl\",\"-f\",\"x\"]");
	params("{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"exit 1\"]}}", true, "[\"/bin/sh\",\"-c\",\"exit 1\"]");
	params("{\"Shell\":[\"/bin/bash\",\"-ec\"],\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"x\"]}}", true,
	       "[\"/bin/bash\",\"-ec\",\"x\"]");

	_cleanup_json_ json_t *c = parse("{\"Healthcheck\":{\"Test\":[\"CMD\",\"x\"]}}");
	struct berth_health_params p;
	assert_true(berth_health_params(c, &p));
	assert_int_equal(p.interval, 30 * S);
	assert_int_equal(p.timeout, 30 * S);
	assert_int_equal(p.start_period, 0);
	assert_int_equal(p.start_interval, 5 * S);
	assert_int_equal(p.retries, 3);
}

static void test_schedule(void **state)
{
	(void) state;
	struct berth_health_params p = { .interval = 10 * S, .timeout = S, .start_period = 0, .start_interval = S,
					 .retries = 3 };
	assert_int_equal(berth_health_next_delay(&p, 0, true), 10 * S);
	p.start_period = 60 * S;
	/* within the start period: the start interval while starting */
	assert_int_equal(berth_health_next_delay(&p, 5 * S, true), S);
	assert_int_equal(berth_health_next_delay(&p, 5 * S, false), 10 * S);
	/* a probe at the end of the start period */
	assert_int_equal(berth_health_next_delay(&p, 55 * S, true), 5 * S);
	assert_int_equal(berth_health_next_delay(&p, 61 * S, true), 10 * S);
}

static bool apply(json_t *h, const struct berth_health_params *p, int64_t since, int code)
{
	return berth_health_apply(h, p, since, "s", "e", code, "out");
}

static void test_apply(void **state)
{
	(void) state;
	struct berth_health_params p = { .interval = S, .timeout = S, .start_period = 10 * S, .start_interval = S,
					 .retries = 2 };
	_cleanup_json_ json_t *h = berth_health_reset(NULL);
	assert_json(h, "{\"Status\":\"starting\",\"FailingStreak\":0,\"Log\":[]}");
	/* failures in the start period do not count while starting */
	assert_false(apply(h, &p, 1 * S, 1));
	assert_int_equal(json_integer_value(json_object_get(h, "FailingStreak")), 0);
	assert_false(apply(h, &p, 11 * S, 1));
	assert_int_equal(json_integer_value(json_object_get(h, "FailingStreak")), 1);
	assert_true(apply(h, &p, 12 * S, 1));
	assert_string_equal(json_string_value(json_object_get(h, "Status")), "unhealthy");
	assert_true(apply(h, &p, 13 * S, 0));
	assert_string_equal(json_string_value(json_object_get(h, "Status")), "healthy");
	assert_int_equal(json_integer_value(json_object_get(h, "FailingStreak")), 0);
	/* healthy: one failure is a streak of 1, still healthy */
	assert_false(apply(h, &p, 14 * S, -1));
	assert_string_equal(json_string_value(json_object_get(h, "Status")), "healthy");
	/* the last 5 only, oldest first */
	for (int i = 0; i < 4; i++)
		apply(h, &p, 15 * S, 0);
	json_t *log = json_object_get(h, "Log");
	assert_int_equal(json_array_size(log), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(log, 0), "ExitCode")), -1);
	assert_json(json_array_get(log, 4), "{\"Start\":\"s\",\"End\":\"e\",\"ExitCode\":0,\"Output\":\"out\"}");
	/* a restart: starting again, the log kept */
	_cleanup_json_ json_t *again = berth_health_reset(h);
	assert_string_equal(json_string_value(json_object_get(again, "Status")), "starting");
	assert_int_equal(json_array_size(json_object_get(again, "Log")), 5);
}

static void frame(struct berth_health_output *o, int stream, const char *data, size_t len, size_t step)
{
	unsigned char buf[8 + 8192];
	buf[0] = (unsigned char) stream;
	buf[1] = buf[2] = buf[3] = 0;
	buf[4] = (unsigned char) (len >> 24), buf[5] = (unsigned char) (len >> 16);
	buf[6] = (unsigned char) (len >> 8), buf[7] = (unsigned char) len;
	memcpy(buf + 8, data, len);
	for (size_t i = 0; i < len + 8; i += step)
		berth_health_output_feed(o, buf + i, len + 8 - i < step ? len + 8 - i : step);
}

static void test_output(void **state)
{
	(void) state;
	struct berth_health_output o = { 0 };
	frame(&o, 1, "out\n", 4, 3);
	frame(&o, 2, "err\n", 4, 1);
	frame(&o, 1, "", 0, 1);
	_cleanup_free_ char *text = berth_health_output_text(&o);
	assert_string_equal(text, "out\nerr\n");

	/* 4096 bytes, then "..." */
	struct berth_health_output big = { 0 };
	char data[5000];
	memset(data, 'a', sizeof(data));
	frame(&big, 1, data, 3000, 4096);
	frame(&big, 2, data, 2000, 7);
	_cleanup_free_ char *cut = berth_health_output_text(&big);
	assert_int_equal(strlen(cut), 4096 + 3);
	assert_string_equal(cut + 4096, "...");

	/* not UTF-8: U+FFFD per bad byte, as Go's JSON encoder */
	struct berth_health_output bin = { 0 };
	frame(&bin, 1, "a\xff\xc3\xa9\xe2\x82", 6, 6);
	_cleanup_free_ char *fixed = berth_health_output_text(&bin);
	assert_string_equal(fixed, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
}

static void duration(int64_t ns, const char *want)
{
	char out[40];
	berth_duration_format(ns, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_duration(void **state)
{
	(void) state;
	duration(300 * MS, "300ms");
	duration(30 * S, "30s");
	duration(1500 * MS, "1.5s");
	duration(90 * S, "1m30s");
	duration(3600 * S, "1h0m0s");
	duration(1, "1ns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),	 cmocka_unit_test(test_validate), cmocka_unit_test(test_params_and_argv),
		cmocka_unit_test(test_schedule), cmocka_unit_test(test_apply),	  cmocka_unit_test(test_output),
		cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
