/* bjson_*: parsing, typed getters and the messages they give. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

/* One document holding a value of every type, under "o" (parent path "top"). */
static const char doc_text[] = "{\"o\": {"
			       "\"obj\": {\"x\": 1},"
			       "\"arr\": [1, 2],"
			       "\"str\": \"hello\","
			       "\"t\": true,"
			       "\"f\": false,"
			       "\"int\": -42,"
			       "\"real\": 1.5,"
			       "\"big\": 9223372036854775807,"
			       "\"nul\": null,"
			       "\"strs\": [\"a\", \"b\", \"c\"],"
			       "\"empty\": [],"
			       "\"mixed\": [\"a\", 1]"
			       "}}";

static json_t *load(const char *text)
{
	struct berth_error err = { 0 };
	json_t *j = NULL;

	if (bjson_parse(text, strlen(text), "test", &j, &err) < 0)
		fail_msg("parse: %s", err.msg);
	return j;
}

static json_t *doc_o(json_t *doc)
{
	json_t *o = json_object_get(doc, "o");

	assert_non_null(o);
	return o;
}

static void expect_error(int r, const struct berth_error *err, const char *msg)
{
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err->code, EINVAL);
	assert_string_equal(err->msg, msg);
}

static void test_parse_ok(void **state)
{
	struct berth_error err = { 0 };
	json_t *j = NULL;
	const char *text = "{\"a\": [1, \"x\"]}";

	(void) state;
	assert_int_equal(bjson_parse(text, strlen(text), "t", &j, &err), 0);
	assert_true(json_is_object(j));
	assert_true(json_is_array(json_object_get(j, "a")));
	json_decref(j);

	/* Only len bytes are read: trailing garbage past len is ignored. */
	assert_int_equal(bjson_parse("{}garbage", 2, "t", &j, &err), 0);
	assert_true(json_is_object(j));
	json_decref(j);
}

static void test_parse_invalid(void **state)
{
	struct berth_error err = { 0 };
	json_t *j = NULL;
	const char *text = "{\n  \"a\": 1,\n  \"b\": ?\n}";
	const char *prefix = "config.json: not valid JSON: line 3, column ";
	int r;

	(void) state;
	r = bjson_parse(text, strlen(text), "config.json", &j, &err);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_null(j);
	assert_memory_equal(err.msg, prefix, strlen(prefix));
	/* A column number and jansson's reason follow. */
	assert_true(err.msg[strlen(prefix)] >= '0' && err.msg[strlen(prefix)] <= '9');
	assert_non_null(strstr(err.msg + strlen(prefix), ": "));

	/* Empty input, trailing garbage and a truncated document. */
	assert_int_equal(bjson_parse("", 0, "x", &j, &err), -EINVAL);
	assert_memory_equal(err.msg, "x: not valid JSON: line 1, column ", 34);
	assert_int_equal(bjson_parse("{} x", 4, "x", &j, &err), -EINVAL);
	assert_int_equal(bjson_parse("{\"a\": ", 6, "x", &j, &err), -EINVAL);
	assert_null(j);
}

static void test_parse_duplicate_keys(void **state)
{
	struct berth_error err = { 0 };
	json_t *j = NULL;
	const char *text = "{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2}}";

	(void) state;
	assert_int_equal(bjson_parse(text, strlen(text), "dup", &j, &err), -EINVAL);
	assert_null(j);
	assert_memory_equal(err.msg, "dup: not valid JSON: line 1", 27);
	assert_non_null(strstr(err.msg, "duplicate"));
}

static void test_parse_uint64_max(void **state)
{
	struct berth_error err = { 0 };
	const char *text = "{\"max\": 18446744073709551615, \"n\": 7, \"neg\": -1, \"i\": -5}";
	json_t *j = NULL;
	uint64_t u = 0;
	int64_t i = 0;

	(void) state;
	assert_int_equal(bjson_parse(text, strlen(text), "r", &j, &err), 0);
	assert_int_equal(bjson_get_uint64(j, "", "max", true, &u, &err), 1);
	assert_true(u == UINT64_MAX);
	/* Small numbers in such a document still read back exactly. */
	assert_int_equal(bjson_get_uint64(j, "", "n", true, &u, &err), 1);
	assert_true(u == 7);
	assert_int_equal(bjson_get_int(j, "", "i", true, -10, 10, &i, &err), 1);
	assert_true(i == -5);
	expect_error(bjson_get_uint64(j, "", "neg", true, &u, &err), &err, "neg: must be an unsigned 64-bit integer");
	expect_error(bjson_get_int(j, "", "max", true, 0, INT64_MAX, &i, &err), &err,
		     "max: must be an integer from 0 to 9223372036854775807");
	json_decref(j);
}

static void test_get_object_array(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load(doc_text), *o = doc_o(doc), *v = NULL;

	(void) state;
	assert_int_equal(bjson_get_object(o, "top", "obj", true, &v, &err), 1);
	assert_ptr_equal(v, json_object_get(o, "obj"));
	v = (json_t *) &err; /* sentinel: absent must not touch it */
	assert_int_equal(bjson_get_object(o, "top", "missing", false, &v, &err), 0);
	assert_ptr_equal(v, (json_t *) &err);
	assert_int_equal(bjson_get_object(o, "top", "nul", false, &v, &err), 0);
	assert_ptr_equal(v, (json_t *) &err);
	expect_error(bjson_get_object(o, "top", "missing", true, &v, &err), &err,
		     "top.missing: required field is missing");
	expect_error(bjson_get_object(o, "top", "nul", true, &v, &err), &err, "top.nul: required field is missing");
	expect_error(bjson_get_object(o, "top", "arr", true, &v, &err), &err, "top.arr: must be an object");
	expect_error(bjson_get_object(o, "", "str", false, &v, &err), &err, "str: must be an object");
	/* A NULL parent object is just "absent". */
	assert_int_equal(bjson_get_object(NULL, "top", "obj", false, &v, &err), 0);

	assert_int_equal(bjson_get_array(o, "top", "arr", true, &v, &err), 1);
	assert_ptr_equal(v, json_object_get(o, "arr"));
	assert_int_equal(bjson_get_array(o, "top", "missing", false, &v, &err), 0);
	assert_int_equal(bjson_get_array(o, "top", "nul", false, &v, &err), 0);
	expect_error(bjson_get_array(o, "top", "missing", true, &v, &err), &err,
		     "top.missing: required field is missing");
	expect_error(bjson_get_array(o, "top", "obj", true, &v, &err), &err, "top.obj: must be an array");
	json_decref(doc);
}

static void test_get_string_bool(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load(doc_text), *o = doc_o(doc);
	const char *s = "untouched";
	bool b = false;

	(void) state;
	assert_int_equal(bjson_get_string(o, "top", "str", true, &s, &err), 1);
	assert_string_equal(s, "hello");
	s = "untouched";
	assert_int_equal(bjson_get_string(o, "top", "missing", false, &s, &err), 0);
	assert_int_equal(bjson_get_string(o, "top", "nul", false, &s, &err), 0);
	assert_string_equal(s, "untouched");
	expect_error(bjson_get_string(o, "top", "missing", true, &s, &err), &err,
		     "top.missing: required field is missing");
	expect_error(bjson_get_string(o, "top", "int", true, &s, &err), &err, "top.int: must be a string");
	expect_error(bjson_get_string(o, "top", "t", false, &s, &err), &err, "top.t: must be a string");

	assert_int_equal(bjson_get_bool(o, "top", "t", true, &b, &err), 1);
	assert_true(b);
	assert_int_equal(bjson_get_bool(o, "top", "f", true, &b, &err), 1);
	assert_false(b);
	b = true;
	assert_int_equal(bjson_get_bool(o, "top", "missing", false, &b, &err), 0);
	assert_int_equal(bjson_get_bool(o, "top", "nul", false, &b, &err), 0);
	assert_true(b);
	expect_error(bjson_get_bool(o, "top", "nul", true, &b, &err), &err, "top.nul: required field is missing");
	expect_error(bjson_get_bool(o, "top", "str", true, &b, &err), &err, "top.str: must be a boolean");
	expect_error(bjson_get_bool(o, "top", "int", true, &b, &err), &err, "top.int: must be a boolean");
	json_decref(doc);
}

static void test_get_int(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load(doc_text), *o = doc_o(doc);
	int64_t v = 99;

	(void) state;
	assert_int_equal(bjson_get_int(o, "top", "int", true, -100, 100, &v, &err), 1);
	assert_true(v == -42);
	/* The bounds are inclusive. */
	assert_int_equal(bjson_get_int(o, "top", "int", true, -42, -42, &v, &err), 1);
	assert_int_equal(bjson_get_int(o, "top", "big", true, 0, INT64_MAX, &v, &err), 1);
	assert_true(v == INT64_MAX);
	v = 99;
	assert_int_equal(bjson_get_int(o, "top", "missing", false, 0, 1, &v, &err), 0);
	assert_int_equal(bjson_get_int(o, "top", "nul", false, 0, 1, &v, &err), 0);
	assert_true(v == 99);
	expect_error(bjson_get_int(o, "top", "missing", true, 0, 1, &v, &err), &err,
		     "top.missing: required field is missing");
	expect_error(bjson_get_int(o, "top", "int", true, 0, 10, &v, &err), &err,
		     "top.int: must be an integer from 0 to 10");
	expect_error(bjson_get_int(o, "top", "int", true, -41, 10, &v, &err), &err,
		     "top.int: must be an integer from -41 to 10");
	expect_error(bjson_get_int(o, "top", "real", true, 0, 10, &v, &err), &err,
		     "top.real: must be an integer from 0 to 10");
	expect_error(bjson_get_int(o, "top", "str", true, 0, 10, &v, &err), &err,
		     "top.str: must be an integer from 0 to 10");
	expect_error(bjson_get_int(o, "top", "t", true, 0, 10, &v, &err), &err,
		     "top.t: must be an integer from 0 to 10");
	assert_true(v == 99);
	json_decref(doc);
}

static void test_get_uint64(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load(doc_text), *o = doc_o(doc);
	uint64_t v = 99;

	(void) state;
	assert_int_equal(bjson_get_uint64(o, "top", "big", true, &v, &err), 1);
	assert_true(v == (uint64_t) INT64_MAX);
	v = 99;
	assert_int_equal(bjson_get_uint64(o, "top", "missing", false, &v, &err), 0);
	assert_int_equal(bjson_get_uint64(o, "top", "nul", false, &v, &err), 0);
	assert_true(v == 99);
	expect_error(bjson_get_uint64(o, "top", "missing", true, &v, &err), &err,
		     "top.missing: required field is missing");
	expect_error(bjson_get_uint64(o, "top", "int", true, &v, &err), &err,
		     "top.int: must be an unsigned 64-bit integer");
	expect_error(bjson_get_uint64(o, "top", "real", true, &v, &err), &err,
		     "top.real: must be an unsigned 64-bit integer");
	expect_error(bjson_get_uint64(o, "top", "str", true, &v, &err), &err,
		     "top.str: must be an unsigned 64-bit integer");
	assert_true(v == 99);
	json_decref(doc);
}

static void test_as_int_uint64(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load("[5, -1, \"x\", 2.0]");
	int64_t i = 0;
	uint64_t u = 0;

	(void) state;
	assert_int_equal(bjson_as_int(json_array_get(doc, 0), "a[0]", 0, 5, &i, &err), 0);
	assert_true(i == 5);
	expect_error(bjson_as_int(json_array_get(doc, 0), "a[0]", 0, 4, &i, &err), &err,
		     "a[0]: must be an integer from 0 to 4");
	assert_int_equal(bjson_as_uint64(json_array_get(doc, 0), "a[0]", &u, &err), 0);
	assert_true(u == 5);
	expect_error(bjson_as_uint64(json_array_get(doc, 1), "a[1]", &u, &err), &err,
		     "a[1]: must be an unsigned 64-bit integer");
	expect_error(bjson_as_int(json_array_get(doc, 2), "a[2]", 0, 4, &i, &err), &err,
		     "a[2]: must be an integer from 0 to 4");
	json_decref(doc);
}

static void test_get_strv(void **state)
{
	struct berth_error err = { 0 };
	json_t *doc = load(doc_text), *o = doc_o(doc);
	const char **v = NULL;
	size_t n = 99;

	(void) state;
	assert_int_equal(bjson_get_strv(o, "top", "strs", true, true, &v, &n, &err), 1);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	assert_null(v[3]);
	/* Borrowed: the strings are the tree's own. */
	assert_ptr_equal(v[0], json_string_value(json_array_get(json_object_get(o, "strs"), 0)));
	free(v);

	v = NULL;
	assert_int_equal(bjson_get_strv(o, "top", "empty", true, false, &v, &n, &err), 1);
	assert_int_equal(n, 0);
	assert_non_null(v);
	assert_null(v[0]);
	free(v);

	/* ret_len may be NULL. */
	v = NULL;
	assert_int_equal(bjson_get_strv(o, "top", "strs", true, false, &v, NULL, &err), 1);
	assert_string_equal(v[2], "c");
	free(v);

	v = NULL;
	n = 99;
	assert_int_equal(bjson_get_strv(o, "top", "missing", false, true, &v, &n, &err), 0);
	assert_int_equal(bjson_get_strv(o, "top", "nul", false, true, &v, &n, &err), 0);
	assert_null(v);
	assert_int_equal(n, 99);

	expect_error(bjson_get_strv(o, "top", "missing", true, false, &v, &n, &err), &err,
		     "top.missing: must be an array of strings");
	expect_error(bjson_get_strv(o, "top", "empty", true, true, &v, &n, &err), &err,
		     "top.empty: must be a non-empty array of strings");
	expect_error(bjson_get_strv(o, "top", "mixed", true, false, &v, &n, &err), &err,
		     "top.mixed: must be an array of strings");
	expect_error(bjson_get_strv(o, "top", "mixed", true, true, &v, &n, &err), &err,
		     "top.mixed: must be a non-empty array of strings");
	expect_error(bjson_get_strv(o, "top", "str", true, false, &v, &n, &err), &err,
		     "top.str: must be an array of strings");
	expect_error(bjson_get_strv(o, "", "obj", false, true, &v, &n, &err), &err,
		     "obj: must be a non-empty array of strings");
	assert_null(v);
	json_decref(doc);
}

static void test_path_key_index(void **state)
{
	char out[BJSON_PATH_MAX], tmp[BJSON_PATH_MAX];
	char *longp;

	(void) state;
	bjson_path_key(out, "", "key");
	assert_string_equal(out, "key");
	bjson_path_key(out, NULL, "key");
	assert_string_equal(out, "key");
	bjson_path_key(out, "a", "b");
	assert_string_equal(out, "a.b");
	bjson_path_index(out, "a.b", 3);
	assert_string_equal(out, "a.b[3]");
	bjson_path_index(out, "", 0);
	assert_string_equal(out, "[0]");
	memcpy(tmp, out, sizeof(tmp));
	bjson_path_index(tmp, "mounts", 12);
	bjson_path_key(out, tmp, "options");
	assert_string_equal(out, "mounts[12].options");

	/* Paths longer than BJSON_PATH_MAX are cut, never overflow. */
	longp = malloc(2 * BJSON_PATH_MAX);
	assert_non_null(longp);
	memset(longp, 'q', 2 * BJSON_PATH_MAX - 1);
	longp[2 * BJSON_PATH_MAX - 1] = '\0';
	bjson_path_key(out, longp, "k");
	assert_int_equal(strlen(out), BJSON_PATH_MAX - 1);
	bjson_path_index(out, longp, 7);
	assert_int_equal(strlen(out), BJSON_PATH_MAX - 1);
	free(longp);
}

static void test_dump(void **state)
{
	json_t *j = json_pack("{s:i, s:[s]}", "a", 1, "b", "x");
	char *s = bjson_dump(j);

	(void) state;
	assert_non_null(s);
	assert_null(strchr(s, ' '));
	assert_null(strchr(s, '\n'));
	assert_non_null(strstr(s, "\"a\":1"));
	assert_non_null(strstr(s, "\"b\":[\"x\"]"));
	free(s);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_duplicate_keys),
		cmocka_unit_test(test_parse_uint64_max),
		cmocka_unit_test(test_get_object_array),
		cmocka_unit_test(test_get_string_bool),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_get_uint64),
		cmocka_unit_test(test_as_int_uint64),
		cmocka_unit_test(test_get_strv),
		cmocka_unit_test(test_path_key_index),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
