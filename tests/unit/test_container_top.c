/* docker top's ps handling: the PID column found, rows cut to the
 * container's processes, threads kept with theirs, the command joined. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "container_top.h"

static const char ps_ef[] = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
			    "root           1       0  0 04:40 ?        00:00:02 /sbin/init\n"
			    "root         812     790  0 05:00 ?        00:00:00 sleep   1000\n"
			    "1000         813     812  0 05:00 pts/0    00:00:00 sh -c echo hi\n"
			    "\n";

static void test_rows_of_the_container(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	long pids[] = { 812, 813 };
	json_t *top = NULL;
	assert_int_equal(berth_top_parse(ps_ef, pids, 2, &top, &err), 0);
	json_t *titles = json_object_get(top, "Titles"), *procs = json_object_get(top, "Processes");
	assert_int_equal(json_array_size(titles), 8);
	assert_string_equal(json_string_value(json_array_get(titles, 7)), "CMD");
	assert_int_equal(json_array_size(procs), 2);
	json_t *sh = json_array_get(procs, 1);
	assert_int_equal(json_array_size(sh), 8);
	assert_string_equal(json_string_value(json_array_get(sh, 1)), "813");
	/* the last column takes the rest of the line, words joined by one space */
	assert_string_equal(json_string_value(json_array_get(sh, 7)), "sh -c echo hi");
	assert_string_equal(json_string_value(json_array_get(json_array_get(procs, 0), 7)), "sleep 1000");
	json_decref(top);
}

static void test_threads_follow_their_process(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	const char *out = "USER PID %CPU COMMAND\n"
			  "root 1 0.0 init\n"
			  "root - 0.0 -\n"
			  "root 9 0.0 sleep\n"
			  "root - 0.0 -\n";
	long pids[] = { 9 };
	json_t *top = NULL;
	assert_int_equal(berth_top_parse(out, pids, 1, &top, &err), 0);
	assert_int_equal(json_array_size(json_object_get(top, "Processes")), 2);
	json_decref(top);
}

static void test_bad_output_and_args(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	json_t *top = NULL;
	long pid = 1;
	assert_int_equal(berth_top_parse("USER COMMAND\nroot init\n", &pid, 1, &top, &err), -EINVAL);
	assert_string_equal(err.msg, "Couldn't find PID field in ps output");
	assert_int_equal(berth_top_parse("USER PID\nroot x1\n", &pid, 1, &top, &err), -EINVAL);
	assert_int_equal(berth_top_parse("A B PID\nonly\n", &pid, 1, &top, &err), -EINVAL);
	assert_int_equal(berth_top_check_args("-o pid,comm", &err), 0);
	assert_int_equal(berth_top_check_args("-o pid=PID", &err), 0);
	assert_int_equal(berth_top_check_args("-o user=PID", &err), -EINVAL);
	assert_string_equal(err.msg, "specifying \"user=PID\" is not allowed");
	char **argv = NULL;
	assert_int_equal(berth_top_argv("aux", &argv, &err), 0);
	assert_string_equal(argv[0], "ps");
	assert_string_equal(argv[1], "aux");
	assert_null(argv[2]);
	berth_strv_freep(&argv);
	assert_int_equal(berth_top_argv("-o pid,comm", &argv, &err), 0);
	assert_string_equal(argv[2], "pid,comm");
	berth_strv_freep(&argv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_of_the_container),
		cmocka_unit_test(test_threads_follow_their_process),
		cmocka_unit_test(test_bad_output_and_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
