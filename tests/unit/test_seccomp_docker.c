#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "seccomp_docker.h"

static const char *const default_caps[] = { "CAP_CHOWN", "CAP_KILL", "CAP_AUDIT_WRITE", NULL };
static const char *const admin_caps[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", NULL };

static struct berth_seccomp_target target(const char *goarch, const char *kernel, const char *const *caps)
{
	struct berth_seccomp_target t = { .caps = caps };
	snprintf(t.goarch, sizeof(t.goarch), "%s", goarch);
	snprintf(t.scmp_arch, sizeof(t.scmp_arch), "%s",
		 strcmp(goarch, "amd64") == 0 ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64");
	snprintf(t.kernel, sizeof(t.kernel), "%s", kernel);
	return t;
}

static json_t *convert(const char *profile, const struct berth_seccomp_target *t)
{
	struct berth_error err = { 0 };
	json_error_t jerr;
	_cleanup_json_ json_t *in = json_loads(profile, 0, &jerr);
	json_t *out = NULL;
	if (!in)
		fail_msg("bad test profile: %s", jerr.text);
	if (berth_seccomp_from_docker(in, t, &out, &err) != 0)
		fail_msg("convert: %s", err.msg);
	return out;
}

/* The names of every kept rule, joined with ',' in order. */
static void kept_names(json_t *oci, char *buf, size_t size)
{
	size_t i, j;
	json_t *rule, *name;
	buf[0] = '\0';
	json_array_foreach(json_object_get(oci, "syscalls"), i, rule)
		json_array_foreach(json_object_get(rule, "names"), j, name)
	{
		if (buf[0])
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, json_string_value(name), size - strlen(buf) - 1);
	}
}

/* The action of the first kept rule that names syscall ("" if none). */
static const char *action_of(json_t *oci, const char *syscall)
{
	size_t i, j;
	json_t *rule, *name;
	json_array_foreach(json_object_get(oci, "syscalls"), i, rule)
		json_array_foreach(json_object_get(rule, "names"), j, name)
	{
		if (strcmp(json_string_value(name), syscall) == 0)
			return json_string_value(json_object_get(rule, "action"));
	}
	return "";
}

static const char conditions[] = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
				 " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\":"
				 " [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]}, {\"architecture\": \"SCMP_ARCH_AARCH64\","
				 " \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
				 " \"syscalls\": ["
				 "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
				 "  {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\", \"x32\"]}},"
				 "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
				 "  {\"names\": [\"umount2\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
				 "  {\"names\": [\"newcall\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"5.8\"}},"
				 "  {\"names\": [\"notarm\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"arches\": [\"arm64\"]}},"
				 "  {\"name\": \"oldstyle\", \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}"
				 "]}";

static void test_conditions_default_container(void **state)
{
	(void) state;
	struct berth_seccomp_target t = target("amd64", "6.1.0-18-amd64", default_caps);
	_cleanup_json_ json_t *oci = convert(conditions, &t);
	char names[512];
	kept_names(oci, names, sizeof(names));
	assert_string_equal(names, "read,write,arch_prctl,umount2,newcall,notarm,oldstyle");
	assert_string_equal(json_string_value(json_object_get(oci, "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(oci, "defaultErrnoRet")), 38);
	char *arches = json_dumps(json_object_get(oci, "architectures"), JSON_COMPACT);
	assert_string_equal(arches, "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
	free(arches);
	/* errnoRet and args survive; "name" became "names" */
	json_t *rules = json_object_get(oci, "syscalls");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, 2), "errnoRet")), 1);
	json_t *args = json_object_get(json_array_get(rules, 5), "args");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(args, 0), "value")), 8);
	assert_null(json_object_get(oci, "archMap"));
}

static void test_conditions_admin_old_kernel_arm(void **state)
{
	(void) state;
	struct berth_seccomp_target t = target("arm64", "5.4.0", admin_caps);
	_cleanup_json_ json_t *oci = convert(conditions, &t);
	char names[512];
	kept_names(oci, names, sizeof(names));
	/* CAP_SYS_ADMIN: mount allowed, the umount2 refusal gone; 5.4 < 5.8;
	 * not amd64, and arm64 excluded */
	assert_string_equal(names, "read,write,mount,oldstyle");
	char *arches = json_dumps(json_object_get(oci, "architectures"), JSON_COMPACT);
	assert_string_equal(arches, "[\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"]");
	free(arches);
}

static void test_bad_profiles(void **state)
{
	(void) state;
	struct berth_seccomp_target t = target("amd64", "6.1", default_caps);
	static const struct {
		const char *profile, *want;
	} cases[] = {
		{ "[]", "want a JSON object" },
		{ "{\"syscalls\": []}", "defaultAction" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "syscalls" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [7]}", "syscalls[0]" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}", "syscalls[0].action" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", \"names\": [\"b\"], \"action\": "
		  "\"SCMP_ACT_ALLOW\"}]}",
		  "either 'name' or 'names'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct berth_error err = { 0 };
		_cleanup_json_ json_t *in = json_loads(cases[i].profile, 0, NULL);
		json_t *out = NULL;
		assert_non_null(in);
		if (berth_seccomp_from_docker(in, &t, &out, &err) != -EINVAL)
			fail_msg("%s: should be refused", cases[i].profile);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("%s: error \"%s\" does not name \"%s\"", cases[i].profile, err.msg, cases[i].want);
		assert_null(out);
	}
}

/* containers-common's profile, when installed: a default container may not
 * call bpf, one with CAP_SYS_ADMIN may. */
static void test_containers_common_profile(void **state)
{
	(void) state;
	json_error_t jerr;
	_cleanup_json_ json_t *in = json_load_file("/usr/share/containers/seccomp.json", 0, &jerr);
	if (!in)
		skip();
	struct berth_error err = { 0 };
	struct berth_seccomp_target t;
	berth_seccomp_target_host(&t);
	assert_true(t.scmp_arch[0] != '\0');
	t.caps = default_caps;
	_cleanup_json_ json_t *plain = NULL, *admin = NULL;
	assert_int_equal(berth_seccomp_from_docker(in, &t, &plain, &err), 0);
	t.caps = admin_caps;
	assert_int_equal(berth_seccomp_from_docker(in, &t, &admin, &err), 0);
	assert_string_equal(action_of(plain, "read"), "SCMP_ACT_ALLOW");
	assert_string_equal(action_of(plain, "bpf"), "SCMP_ACT_ERRNO");
	assert_string_equal(action_of(admin, "bpf"), "SCMP_ACT_ALLOW");
	assert_int_equal(json_array_size(json_object_get(plain, "architectures")) > 0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions_default_container),
		cmocka_unit_test(test_conditions_admin_old_kernel_arm),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_containers_common_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
