#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "import_changes.h"
#include "json.h"

/* Apply changes (NULL-terminated) to a config given as JSON; the result as
 * compact JSON with sorted keys (the caller frees it). */
static char *apply_to(const char *config_json, const char *const *changes)
{
	struct berth_error err = { 0 };
	json_error_t jerr;
	_cleanup_json_ json_t *config = json_loads(config_json, 0, &jerr);
	size_t n = 0;
	if (!config)
		fail_msg("bad test config: %s", jerr.text);
	while (changes[n])
		n++;
	if (berth_import_changes_apply(changes, n, config, &err) != 0)
		fail_msg("apply: %s", err.msg);
	return json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
}

static void expect(const char *const *changes, const char *want)
{
	char *got = apply_to("{}", changes);
	assert_string_equal(got, want);
	free(got);
}

/* The change fails with a message containing want_msg; config unchanged. */
static void expect_error(const char *change, int want_code, const char *want_msg)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *config = json_pack("{s:[s]}", "Env", "KEEP=1");
	const char *changes[] = { change };
	int r = berth_import_changes_apply(changes, 1, config, &err);
	if (r == 0)
		fail_msg("\"%s\" was accepted", change);
	assert_int_equal(r, -want_code);
	if (!strstr(err.msg, want_msg))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", change, err.msg, want_msg);
	_cleanup_free_ char *after = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(after, "{\"Env\":[\"KEEP=1\"]}");
}

static void test_cmd_entrypoint(void **state)
{
	(void) state;
	expect((const char *const[]){ "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", NULL },
	       "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}");
	expect((const char *const[]){ "cmd echo $HOME  'x'", NULL }, "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo $HOME  'x'\"]}");
	/* not JSON of strings: the shell form, text as written */
	expect((const char *const[]){ "CMD [1, 2]", NULL }, "{\"Cmd\":[\"/bin/sh\",\"-c\",\"[1, 2]\"]}");
	expect((const char *const[]){ "CMD ['a']", NULL }, "{\"Cmd\":[\"/bin/sh\",\"-c\",\"['a']\"]}");
	expect((const char *const[]){ "CMD []", NULL }, "{\"Cmd\":[]}");
	/* ENTRYPOINT drops a CMD unless one came before it in these changes */
	char *got = apply_to("{\"Cmd\":[\"old\"]}", (const char *const[]){ "ENTRYPOINT [\"/init\"]", NULL });
	assert_string_equal(got, "{\"Cmd\":null,\"Entrypoint\":[\"/init\"]}");
	free(got);
	expect((const char *const[]){ "CMD [\"x\"]", "ENTRYPOINT /init --flag", NULL },
	       "{\"Cmd\":[\"x\"],\"Entrypoint\":[\"/bin/sh\",\"-c\",\"/init --flag\"]}");
	/* a Shell in the config makes the shell form */
	got = apply_to("{\"Shell\":[\"/bin/bash\",\"-ec\"]}", (const char *const[]){ "CMD make", NULL });
	assert_string_equal(got, "{\"Cmd\":[\"/bin/bash\",\"-ec\",\"make\"],\"Shell\":[\"/bin/bash\",\"-ec\"]}");
	free(got);
}

static void test_env(void **state)
{
	(void) state;
	expect((const char *const[]){ "ENV A=1", NULL }, "{\"Env\":[\"A=1\"]}");
	expect((const char *const[]){ "ENV A=1 B=\"two words\" C='$A' D=\\$A", NULL },
	       "{\"Env\":[\"A=1\",\"B=two words\",\"C=$A\",\"D=$A\"]}");
	/* the old form: the rest of the line is the value */
	expect((const char *const[]){ "ENV PATH /usr/bin:/bin   with spaces", NULL },
	       "{\"Env\":[\"PATH=/usr/bin:/bin   with spaces\"]}");
	/* substitutions see the Env of before the instruction */
	expect((const char *const[]){ "ENV A=1", "ENV A=2 B=$A", "ENV C=${A}x D=\"${B}\" E=${NOPE:-dflt} F=${A:+set}",
				      NULL },
	       "{\"Env\":[\"A=2\",\"B=1\",\"C=2x\",\"D=1\",\"E=dflt\",\"F=set\"]}");
	/* a key set again replaces its entry in place */
	char *got = apply_to("{\"Env\":[\"PATH=/bin\",\"X=1\"]}", (const char *const[]){ "ENV PATH=$PATH:/opt", NULL });
	assert_string_equal(got, "{\"Env\":[\"PATH=/bin:/opt\",\"X=1\"]}");
	free(got);
	expect((const char *const[]){ "ENV A=${UNSET}end B=$ C=a$", NULL }, "{\"Env\":[\"A=end\",\"B=$\",\"C=a$\"]}");
	expect((const char *const[]){ "ENV A=x=y", NULL }, "{\"Env\":[\"A=x=y\"]}");
}

static void test_workdir_user_label(void **state)
{
	(void) state;
	expect((const char *const[]){ "WORKDIR /tmp", NULL }, "{\"WorkingDir\":\"/tmp\"}");
	expect((const char *const[]){ "WORKDIR /srv", "WORKDIR app/../data/", "WORKDIR .", NULL },
	       "{\"WorkingDir\":\"/srv/data\"}");
	expect((const char *const[]){ "WORKDIR rel", NULL }, "{\"WorkingDir\":\"/rel\"}");
	expect((const char *const[]){ "ENV D=/opt", "WORKDIR $D/x", NULL }, "{\"Env\":[\"D=/opt\"],\"WorkingDir\":\"/opt/x\"}");
	expect((const char *const[]){ "WORKDIR /../..", NULL }, "{\"WorkingDir\":\"/\"}");
	expect((const char *const[]){ "USER 1000:1000", NULL }, "{\"User\":\"1000:1000\"}");
	expect((const char *const[]){ "LABEL a=b \"c d\"=e", "label version 1.0 beta", NULL },
	       "{\"Labels\":{\"a\":\"b\",\"c d\":\"e\",\"version\":\"1.0 beta\"}}");
}

static void test_expose_volume_stopsignal_healthcheck_onbuild(void **state)
{
	(void) state;
	expect((const char *const[]){ "EXPOSE 80 53/UDP 8000-8001/tcp", NULL },
	       "{\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{},\"8000/tcp\":{},\"8001/tcp\":{}}}");
	expect((const char *const[]){ "VOLUME /data /logs", "VOLUME [\"/a b\"]", NULL },
	       "{\"Volumes\":{\"/a b\":{},\"/data\":{},\"/logs\":{}}}");
	expect((const char *const[]){ "STOPSIGNAL SIGQUIT", NULL }, "{\"StopSignal\":\"SIGQUIT\"}");
	expect((const char *const[]){ "STOPSIGNAL 9", NULL }, "{\"StopSignal\":\"9\"}");
	expect((const char *const[]){ "HEALTHCHECK NONE", NULL }, "{\"Healthcheck\":{\"Test\":[\"NONE\"]}}");
	expect((const char *const[]){ "HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f x", NULL },
	       "{\"Healthcheck\":{\"Interval\":90000000000,\"Retries\":3,\"Test\":[\"CMD-SHELL\",\"curl -f x\"],"
	       "\"Timeout\":500000000}}");
	expect((const char *const[]){ "HEALTHCHECK --start-period=1.5s CMD [\"/check\", \"-q\"]", NULL },
	       "{\"Healthcheck\":{\"StartPeriod\":1500000000,\"Test\":[\"CMD\",\"/check\",\"-q\"]}}");
	expect((const char *const[]){ "ONBUILD RUN make", NULL }, "{\"OnBuild\":[\"RUN make\"]}");
}

static void test_lines(void **state)
{
	(void) state;
	/* one --change may hold several lines; continuations and comments */
	expect((const char *const[]){ "# a comment\nENV A=1 \\\n  B=2\n\n  WORKDIR /w  ", NULL },
	       "{\"Env\":[\"A=1\",\"B=2\"],\"WorkingDir\":\"/w\"}");
	expect((const char *const[]){ "CMD echo a \\\n# skipped\n b", NULL }, "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo a  b\"]}");
	expect((const char *const[]){ "ENV A=1 \\", NULL }, "{\"Env\":[\"A=1\"]}");
	expect((const char *const[]){ "", "   ", "#x", NULL }, "{}");
}

static void test_errors(void **state)
{
	(void) state;
	expect_error("RUN make", EINVAL, "RUN is not a valid change command");
	expect_error("from scratch", EINVAL, "FROM is not a valid change command");
	expect_error("CMD", EINVAL, "CMD requires at least one argument");
	expect_error("ENV", EINVAL, "ENV requires at least one argument");
	expect_error("ENV A", EINVAL, "ENV must have two arguments");
	expect_error("ENV A=1 B", EINVAL, "can't find = in \"B\"");
	expect_error("ENV =x", EINVAL, "ENV names can not be blank");
	expect_error("ENV A=\"open", EINVAL, "matching double-quote");
	expect_error("ENV A='open", EINVAL, "matching single-quote");
	expect_error("ENV A=${B", EINVAL, "bad substitution");
	expect_error("ENV A=${B:?x}", EINVAL, "unsupported modifier");
	expect_error("ENV A=${B:-x", EINVAL, "missing '}'");
	expect_error("WORKDIR", EINVAL, "WORKDIR requires exactly one argument");
	expect_error("USER a b", EINVAL, "USER requires exactly one argument");
	expect_error("EXPOSE 70000", EINVAL, "invalid containerPort");
	expect_error("EXPOSE 80/icmp", EINVAL, "invalid proto");
	expect_error("EXPOSE 90-80", EINVAL, "invalid range");
	expect_error("VOLUME [\"\"]", EINVAL, "can not be an empty string");
	expect_error("STOPSIGNAL SIGNOPE", EINVAL, "invalid signal");
	expect_error("HEALTHCHECK --interval=5 CMD x", EINVAL, "invalid duration");
	expect_error("HEALTHCHECK --interval=10us CMD x", EINVAL, "cannot be less than 1ms");
	expect_error("HEALTHCHECK --bogus=1 CMD x", EINVAL, "Unknown flag");
	expect_error("HEALTHCHECK --retries=-1 CMD x", EINVAL, "--retries");
	expect_error("HEALTHCHECK CMD", EINVAL, "Missing command");
	expect_error("HEALTHCHECK RUN x", EINVAL, "Unknown type");
	expect_error("HEALTHCHECK NONE x", EINVAL, "takes no arguments");
	expect_error("ONBUILD ONBUILD RUN x", EINVAL, "Chaining ONBUILD");
	expect_error("ONBUILD FROM x", EINVAL, "isn't allowed as an ONBUILD trigger");
	/* an error in a later instruction leaves the config as it was */
	expect_error("ENV X=1\nBOGUS", EINVAL, "BOGUS is not a valid change command");
}

static void test_bounds(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *config = json_object();
	/* doubling a value: stopped at the word bound, not at memory's end */
	const char *changes[40];
	changes[0] = "ENV A=0123456789abcdef0123456789abcdef";
	for (size_t i = 1; i < 40; i++)
		changes[i] = "ENV A=$A$A";
	assert_int_equal(berth_import_changes_apply(changes, 40, config, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "longer than"));
	/* too many instructions */
	size_t n = BERTH_IMPORT_CHANGES_MAX_INSTRUCTIONS + 1;
	const char **many = calloc(n, sizeof(*many));
	assert_non_null(many);
	for (size_t i = 0; i < n; i++)
		many[i] = "USER x";
	assert_int_equal(berth_import_changes_apply(many, n, config, &err), -E2BIG);
	free(many);
	/* too much input */
	char *big = malloc(BERTH_IMPORT_CHANGES_MAX_INPUT + 16);
	assert_non_null(big);
	memset(big, 'x', BERTH_IMPORT_CHANGES_MAX_INPUT + 15);
	big[BERTH_IMPORT_CHANGES_MAX_INPUT + 15] = '\0';
	memcpy(big, "ENV A=", 6);
	const char *one[] = { big };
	assert_int_equal(berth_import_changes_apply(one, 1, config, &err), -E2BIG);
	free(big);
	/* ranges of ports are bounded in total */
	const char *ports[] = { "EXPOSE 1-65535" };
	assert_int_equal(berth_import_changes_apply(ports, 1, config, &err), -E2BIG);
	assert_int_equal(json_object_size(config), 0);
	/* not an object */
	_cleanup_json_ json_t *arr = json_array();
	const char *cmd[] = { "CMD x" };
	assert_int_equal(berth_import_changes_apply(cmd, 1, arr, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_entrypoint),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_workdir_user_label),
		cmocka_unit_test(test_expose_volume_stopsignal_healthcheck_onbuild),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
