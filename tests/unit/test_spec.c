/* config.json parsing and validation: what is accepted, and the exact
 * message for what is not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "json.h"
#include "spec.h"

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

/* Pieces of a minimal valid config, to build variants inline. */
#define OCI "\"ociVersion\": \"1.2.0\""
#define ROOT "\"root\": {\"path\": \"rootfs\"}"
#define PROC "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"]}"
#define LINUX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}"
#define BASE OCI ", " ROOT
/* A process with extra fields. */
#define PROC_WITH(x) "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], " x "}"
/* A linux section with a mount namespace and extra fields. */
#define LINUX_WITH(x) "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], " x "}"
/* Namespaces after the mount one. */
#define NS_WITH(x) "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, " x "]}"
/* The same with more fields in linux. */
#define NS_AND(ns, x) "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, " ns "], " x "}"
#define DOC(...) "{" BASE ", " __VA_ARGS__ "}"
/* The same with a read-only root. */
#define DOC_RO(...) "{" OCI ", \"root\": {\"path\": \"rootfs\", \"readonly\": true}, " __VA_ARGS__ "}"
#define MAPS "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], " \
	     "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"

static const char minimal[] = DOC(PROC ", " LINUX);

struct bad_case {
	const char *text;
	const char *msg;
};

static struct berth_spec *parse_ok(const char *text)
{
	struct berth_error err = { 0 };
	struct berth_spec *spec = NULL;

	if (berth_spec_parse(text, strlen(text), &spec, &err) < 0)
		fail_msg("unexpected error: %s\nfor: %s", err.msg, text);
	assert_non_null(spec);
	return spec;
}

/* Every case must fail with exactly its message; report all, then fail. */
static void check_bad(const struct bad_case *cases, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		struct berth_error err = { 0 };
		struct berth_spec *spec = (struct berth_spec *) &err; /* must stay untouched */
		int r = berth_spec_parse(cases[i].text, strlen(cases[i].text), &spec, &err);

		if (r >= 0) {
			print_error("accepted: %s\n  expected: %s\n", cases[i].text, cases[i].msg);
			berth_spec_free(spec);
			failures++;
			continue;
		}
		if (r != -EINVAL || err.code != EINVAL || spec != (struct berth_spec *) &err ||
		    strncmp(err.msg, "config.json: ", 13) != 0 || strcmp(err.msg, cases[i].msg) != 0) {
			print_error("for: %s\n  expected: %s\n  got (%d): %s\n", cases[i].text, cases[i].msg, r, err.msg);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_minimal(void **state)
{
	struct berth_spec *spec = parse_ok(minimal);

	(void) state;
	assert_string_equal(spec->oci_version, "1.2.0");
	assert_string_equal(spec->root_path, "rootfs");
	assert_false(spec->root_readonly);
	assert_string_equal(spec->process.cwd, "/");
	assert_int_equal(spec->process.n_args, 1);
	assert_string_equal(spec->process.args[0], "sh");
	assert_null(spec->process.args[1]);
	assert_int_equal(spec->process.n_env, 0);
	assert_false(spec->process.terminal);
	assert_false(spec->process.caps.present);
	assert_int_equal(spec->process.n_rlimits, 0);
	assert_int_equal(spec->n_mounts, 0);
	assert_null(spec->hostname);
	assert_null(spec->annotations);
	assert_int_equal(spec->rootfs_propagation, 0);
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		assert_int_equal(spec->ns[t].enabled, t == BERTH_NS_MOUNT);
		assert_null(spec->ns[t].path);
	}
	for (int k = 0; k < BERTH_HOOK_KIND_COUNT; k++)
		assert_int_equal(spec->hooks[k].count, 0);
	assert_true(json_is_object(spec->json));
	berth_spec_free(spec);
}

static void test_full(void **state)
{
	static const char text[] = DOC(
		"\"hostname\": \"box\", "
		"\"annotations\": {\"org.example\": \"v\"}, "
		"\"mounts\": ["
		"  {\"destination\": \"tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"mode=755\"]},"
		"  {\"destination\": \"/a//b/./c/\", \"type\": \"tmpfs\"},"
		"  {\"destination\": \"/data\", \"source\": \"/host\", \"options\": [\"rbind\", \"ro\"]},"
		"  {\"destination\": \"x/../y\", \"type\": \"proc\"}"
		"], "
		"\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"args\": [\"true\", \"x\"], \"timeout\": 5}],"
		"            \"poststop\": [{\"path\": \"/bin/a\"}, {\"path\": \"/bin/b\", \"env\": [\"A=1\"]}]}, "
		PROC_WITH("\"terminal\": true, \"env\": [\"PATH=/bin\", \"EMPTY=\"], "
			  "\"user\": {\"uid\": 1, \"gid\": 2, \"umask\": 18, \"additionalGids\": [5, 6]}, "
			  "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},"
			  "              {\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615, \"hard\": 18446744073709551615}], "
			  "\"noNewPrivileges\": true, \"oomScoreAdj\": -500") ", "
		"\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"uts\"}, {\"type\": \"pid\"},"
		"                           {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}, {\"type\": \"user\"}], "
		MAPS ", "
		"  \"devices\": [{\"type\": \"c\", \"path\": \"/dev/fuse\", \"major\": 10, \"minor\": 229, \"fileMode\": 438},"
		"              {\"type\": \"p\", \"path\": \"/dev/fifo\"}], "
		"  \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"], "
		"  \"rootfsPropagation\": \"rslave\"}");
	struct berth_spec *spec = parse_ok(text);
	const struct berth_process *p = &spec->process;

	(void) state;
	assert_string_equal(spec->hostname, "box");
	assert_string_equal(json_string_value(json_object_get(spec->annotations, "org.example")), "v");

	assert_int_equal(spec->n_mounts, 4);
	assert_string_equal(spec->mounts[0].destination, "/tmp");
	assert_string_equal(spec->mounts[0].type, "tmpfs");
	assert_true(spec->mounts[0].opts.flags & MS_NOSUID);
	assert_string_equal(spec->mounts[0].opts.data, "mode=755");
	assert_string_equal(spec->mounts[1].destination, "/a/b/c");
	assert_null(spec->mounts[1].source);
	assert_string_equal(spec->mounts[2].destination, "/data");
	assert_true(spec->mounts[2].opts.bind && spec->mounts[2].opts.recursive_bind);
	assert_true(spec->mounts[2].opts.flags & MS_RDONLY);
	assert_null(spec->mounts[2].type);
	assert_string_equal(spec->mounts[3].destination, "/x/../y");

	assert_int_equal(spec->hooks[BERTH_HOOK_PRESTART].count, 1);
	assert_string_equal(spec->hooks[BERTH_HOOK_PRESTART].hooks[0].path, "/bin/true");
	assert_string_equal(spec->hooks[BERTH_HOOK_PRESTART].hooks[0].args[1], "x");
	assert_null(spec->hooks[BERTH_HOOK_PRESTART].hooks[0].env);
	assert_int_equal(spec->hooks[BERTH_HOOK_PRESTART].hooks[0].timeout, 5);
	assert_int_equal(spec->hooks[BERTH_HOOK_POSTSTOP].count, 2);
	assert_int_equal(spec->hooks[BERTH_HOOK_POSTSTOP].hooks[0].timeout, 0);
	assert_string_equal(spec->hooks[BERTH_HOOK_POSTSTOP].hooks[1].env[0], "A=1");
	assert_int_equal(spec->hooks[BERTH_HOOK_POSTSTART].count, 0);

	assert_true(p->terminal);
	assert_int_equal(p->n_env, 2);
	assert_string_equal(p->env[1], "EMPTY=");
	assert_int_equal(p->uid, 1);
	assert_int_equal(p->gid, 2);
	assert_true(p->has_umask);
	assert_int_equal(p->umask, 18);
	assert_int_equal(p->n_additional_gids, 2);
	assert_int_equal(p->additional_gids[1], 6);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);

	assert_true(spec->ns[BERTH_NS_UTS].enabled && spec->ns[BERTH_NS_PID].enabled);
	assert_string_equal(spec->ns[BERTH_NS_NETWORK].path, "/proc/1/ns/net");
	assert_false(spec->ns[BERTH_NS_IPC].enabled);
	assert_int_equal(spec->n_uid_mappings, 1);
	assert_int_equal(spec->uid_mappings[0].host_id, 1000);
	assert_int_equal(spec->n_gid_mappings, 1);
	assert_int_equal(spec->n_devices, 2);
	assert_int_equal(spec->devices[0].type, 'c');
	assert_int_equal(spec->devices[0].major, 10);
	assert_int_equal(spec->devices[0].minor, 229);
	assert_true(spec->devices[0].has_file_mode);
	assert_int_equal(spec->devices[0].file_mode, 0666);
	assert_int_equal(spec->devices[1].type, 'p');
	assert_string_equal(spec->masked_paths[0], "/proc/kcore");
	assert_null(spec->masked_paths[1]);
	assert_string_equal(spec->readonly_paths[0], "/proc/sys");
	assert_int_equal(spec->rootfs_propagation, MS_SLAVE | MS_REC);
	berth_spec_free(spec);
}

static void test_unknown_fields_ignored(void **state)
{
	static const char text[] =
		"{\"ociVersion\": \"1.0.2-dev\", \"futureTopLevel\": {\"x\": [1, 2]}, "
		"\"root\": {\"path\": \"r\", \"future\": 1}, "
		"\"mounts\": [{\"destination\": \"/t\", \"type\": \"tmpfs\", \"futureMountField\": true}], "
		PROC_WITH("\"futureProcessField\": \"x\"") ", "
		LINUX_WITH("\"futureKnob\": {}, \"intelRdt\": {\"closID\": \"x\"}") ", "
		"\"vm\": {\"hypervisor\": {\"path\": \"/x\"}}}";
	struct berth_spec *spec = parse_ok(text);

	(void) state;
	assert_string_equal(spec->oci_version, "1.0.2-dev");
	assert_string_equal(spec->root_path, "r");
	assert_int_equal(spec->n_mounts, 1);
	assert_string_equal(spec->mounts[0].destination, "/t");
	berth_spec_free(spec);
}

static void test_null_is_absent(void **state)
{
	static const char text[] = DOC(
		"\"hostname\": null, \"domainname\": null, \"mounts\": null, \"hooks\": null, \"annotations\": null, "
		PROC_WITH("\"env\": null, \"user\": null, \"capabilities\": null, \"terminal\": null, "
			  "\"rlimits\": null, \"consoleSize\": null, \"oomScoreAdj\": null") ", "
		"\"linux\": {\"namespaces\": [{\"type\": \"mount\", \"path\": null}], \"devices\": null, "
		"            \"uidMappings\": null, \"rootfsPropagation\": null, \"resources\": null}");
	struct berth_spec *spec = parse_ok(text);

	(void) state;
	assert_null(spec->hostname);
	assert_int_equal(spec->n_mounts, 0);
	assert_null(spec->annotations);
	assert_int_equal(spec->process.n_env, 0);
	assert_false(spec->process.caps.present);
	assert_false(spec->process.has_oom_score_adj);
	assert_true(spec->ns[BERTH_NS_MOUNT].enabled);
	assert_null(spec->ns[BERTH_NS_MOUNT].path);
	assert_int_equal(spec->n_devices, 0);
	assert_null(spec->resources_json);
	berth_spec_free(spec);
}

static void test_capabilities(void **state)
{
	static const char text[] = DOC(
		PROC_WITH("\"capabilities\": {\"bounding\": [\"CAP_SYS_ADMIN\", \"CAP_CHOWN\", \"CAP_NOT_A_REAL_ONE\"], "
			  "\"effective\": [\"CAP_NET_RAW\"], \"permitted\": [], \"ambient\": [\"CAP_BOGUS\"]}") ", "
		LINUX);
	struct berth_spec *spec = parse_ok(text);
	const struct berth_capabilities *c = &spec->process.caps;

	(void) state;
	assert_true(c->present);
	assert_true(c->sets[BERTH_CAP_BOUNDING] == ((UINT64_C(1) << 21) | (UINT64_C(1) << 0)));
	assert_true(c->sets[BERTH_CAP_EFFECTIVE] == (UINT64_C(1) << 13));
	assert_true(c->sets[BERTH_CAP_PERMITTED] == 0);
	assert_true(c->sets[BERTH_CAP_INHERITABLE] == 0);
	assert_true(c->sets[BERTH_CAP_AMBIENT] == 0);
	berth_spec_free(spec);
}

static void test_cap_from_name(void **state)
{
	(void) state;
	assert_int_equal(berth_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(berth_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(berth_cap_from_name("CAP_NET_RAW"), 13);
	assert_int_equal(berth_cap_from_name("CAP_NOT_A_REAL_ONE"), -1);
	assert_int_equal(berth_cap_from_name("SYS_ADMIN"), -1);
	assert_int_equal(berth_cap_from_name("CAP_"), -1);
	assert_int_equal(berth_cap_from_name(""), -1);
	assert_int_equal(berth_cap_from_name("21"), -1);
	/* A known name followed by more characters is another, unknown, name. */
	assert_int_equal(berth_cap_from_name("CAP_SYS_ADMIN2"), -1);
	assert_int_equal(berth_cap_from_name("CAP_CHOWN,CAP_KILL"), -1);
}

static void test_bad_top(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"ociVersion\": ", NULL },
		{ "[]", "config.json: the document must be a JSON object" },
		{ "[{\"ociVersion\": \"1.2.0\"}]", "config.json: the document must be a JSON object" },
		{ "{" ROOT ", " PROC ", " LINUX "}", "config.json: ociVersion: required field is missing" },
		{ "{\"ociVersion\": 1, " ROOT ", " PROC ", " LINUX "}", "config.json: ociVersion: must be a string" },
		{ "{\"ociVersion\": \"2.0.0\", " ROOT ", " PROC ", " LINUX "}",
		  "config.json: ociVersion: version 2.0.0 is not supported (this runtime implements 1.x)" },
		{ "{" OCI ", " PROC ", " LINUX "}", "config.json: root: required field is missing" },
		{ "{" OCI ", \"root\": null, " PROC ", " LINUX "}", "config.json: root: required field is missing" },
		{ "{" OCI ", \"root\": {}, " PROC ", " LINUX "}", "config.json: root.path: required field is missing" },
		{ "{" OCI ", \"root\": {\"path\": \"\"}, " PROC ", " LINUX "}", "config.json: root.path: must not be empty" },
		{ "{" OCI ", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}, " PROC ", " LINUX "}",
		  "config.json: root.readonly: must be a boolean" },
		{ DOC(LINUX), "config.json: process: required field is missing" },
		{ DOC(PROC ", " LINUX ", \"hostname\": 5"), "config.json: hostname: must be a string" },
		{ DOC(PROC ", " LINUX ", \"annotations\": {\"a\": \"ok\", \"b\": 1}"),
		  "config.json: annotations.b: must be a string" },
		{ DOC(PROC ", " LINUX ", \"annotations\": {\"n\": null}"), "config.json: annotations.n: must be a string" },
		{ DOC(PROC ", " LINUX ", \"annotations\": []"), "config.json: annotations: must be an object" },
	};
	struct berth_error err = { 0 };
	struct berth_spec *spec = NULL;

	(void) state;
	check_bad(cases + 1, N_CASES(cases) - 1);
	/* Not JSON: jansson's reason, with where it is. */
	assert_int_equal(berth_spec_parse(cases[0].text, strlen(cases[0].text), &spec, &err), -EINVAL);
	assert_null(spec);
	assert_memory_equal(err.msg, "config.json: not valid JSON: line 1, column ", 44);
	assert_int_equal(berth_spec_parse("{}{}", 4, &spec, &err), -EINVAL);
	assert_memory_equal(err.msg, "config.json: not valid JSON: ", 29);
	/* A bare scalar is not a JSON document jansson accepts. */
	assert_int_equal(berth_spec_parse("\"1.0.0\"", 7, &spec, &err), -EINVAL);
	assert_memory_equal(err.msg, "config.json: not valid JSON: ", 29);
	assert_null(spec);
}

static void test_bad_process(void **state)
{
	static const struct bad_case cases[] = {
		{ DOC("\"process\": {\"cwd\": \"/\"}, " LINUX),
		  "config.json: process.args: must be a non-empty array of strings" },
		{ DOC("\"process\": {\"cwd\": \"/\", \"args\": []}, " LINUX),
		  "config.json: process.args: must be a non-empty array of strings" },
		{ DOC("\"process\": {\"cwd\": \"/\", \"args\": [1]}, " LINUX),
		  "config.json: process.args: must be a non-empty array of strings" },
		{ DOC("\"process\": {\"cwd\": \"/\", \"args\": [\"\"]}, " LINUX), "config.json: process.args[0]: must not be empty" },
		{ DOC("\"process\": {\"cwd\": \"tmp\", \"args\": [\"sh\"]}, " LINUX),
		  "config.json: process.cwd: must be an absolute path, not \"tmp\"" },
		{ DOC("\"process\": {\"args\": [\"sh\"]}, " LINUX), "config.json: process.cwd: required field is missing" },
		{ DOC(PROC_WITH("\"env\": [\"A=1\", \"NOEQUALS\"]") ", " LINUX),
		  "config.json: process.env[1]: \"NOEQUALS\" is not of the form KEY=VALUE" },
		{ DOC(PROC_WITH("\"env\": [\"=x\"]") ", " LINUX),
		  "config.json: process.env[0]: \"=x\" is not of the form KEY=VALUE" },
		{ DOC(PROC_WITH("\"user\": {\"uid\": -1, \"gid\": 0}") ", " LINUX),
		  "config.json: process.user.uid: must be an integer from 0 to 4294967294" },
		{ DOC(PROC_WITH("\"oomScoreAdj\": 1001") ", " LINUX),
		  "config.json: process.oomScoreAdj: must be an integer from -1000 to 1000" },
		{ DOC(PROC_WITH("\"capabilities\": {\"bounding\": \"CAP_KILL\"}") ", " LINUX),
		  "config.json: process.capabilities.bounding: must be an array of strings" },
		{ DOC(PROC_WITH("\"rlimits\": [{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]") ", " LINUX),
		  "config.json: process.rlimits[0].type: unknown rlimit RLIMIT_BOGUS" },
		{ DOC(PROC_WITH("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 2},"
				"{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 2},"
				"{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 2}]") ", " LINUX),
		  "config.json: process.rlimits[2].type: RLIMIT_NOFILE is set twice" },
		{ DOC(PROC_WITH("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5}]") ", " LINUX),
		  "config.json: process.rlimits[0]: soft limit 10 exceeds hard limit 5" },
		{ DOC(PROC_WITH("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": -1, \"hard\": 5}]") ", " LINUX),
		  "config.json: process.rlimits[0].soft: must be an unsigned 64-bit integer" },
		{ DOC(PROC_WITH("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]") ", " LINUX),
		  "config.json: process.rlimits[0].hard: required field is missing" },
	};

	(void) state;
	check_bad(cases, N_CASES(cases));
}

static void test_bad_namespaces(void **state)
{
	static const struct bad_case cases[] = {
		{ DOC(PROC ", " NS_WITH("{\"type\": \"bogus\"}")),
		  "config.json: linux.namespaces[1].type: unknown namespace type \"bogus\"" },
		{ DOC(PROC ", " NS_WITH("{\"type\": \"pid\"}, {\"type\": \"pid\"}")),
		  "config.json: linux.namespaces[2].type: namespace pid is listed twice" },
		{ DOC(PROC ", " NS_WITH("{\"type\": \"network\", \"path\": \"proc/1/ns/net\"}")),
		  "config.json: linux.namespaces[1].path: must be an absolute path, not \"proc/1/ns/net\"" },
		/* Without a mount namespace of its own, nothing can be hidden or made read-only. */
		{ DOC(PROC ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}], \"maskedPaths\": [\"/proc/kcore\"]}"),
		  "config.json: linux.maskedPaths, linux.readonlyPaths: hiding paths needs a mount namespace of the "
		  "container's own" },
		{ DOC_RO(PROC ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}"),
		  "config.json: root.readonly: needs a mount namespace of the container's own" },
		{ DOC(PROC ", " LINUX ", \"hostname\": \"box\""),
		  "config.json: hostname: setting it needs a uts namespace in linux.namespaces" },
		{ DOC(PROC ", " LINUX_WITH(MAPS)),
		  "config.json: linux.uidMappings: mappings need a new user namespace in linux.namespaces" },
		{ DOC(PROC ", " NS_AND("{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}", MAPS)),
		  "config.json: linux.uidMappings: mappings need a new user namespace in linux.namespaces" },
		{ DOC(PROC ", " NS_WITH("{\"type\": \"user\"}")),
		  "config.json: linux.uidMappings: a new user namespace needs uidMappings or gidMappings" },
	};

	(void) state;
	check_bad(cases, N_CASES(cases));
}

static void test_bad_mounts(void **state)
{
	static const struct bad_case cases[] = {
		{ DOC("\"mounts\": [{\"type\": \"tmpfs\", \"source\": \"tmpfs\"}], " PROC ", " LINUX),
		  "config.json: mounts[0].destination: required field is missing" },
		{ DOC("\"mounts\": [{\"destination\": \"\", \"type\": \"tmpfs\"}], " PROC ", " LINUX),
		  "config.json: mounts[0].destination: must not be empty" },
		{ DOC("\"mounts\": [{\"destination\": \"/a\", \"type\": \"tmpfs\"}, "
		      "{\"destination\": \"/x\", \"options\": [\"bind\"]}], " PROC ", " LINUX),
		  "config.json: mounts[1].source: a bind mount needs a source" },
		{ DOC("\"mounts\": [{\"destination\": \"/x\", \"source\": \"\", \"options\": [\"rbind\"]}], " PROC ", " LINUX),
		  "config.json: mounts[0].source: a bind mount needs a source" },
		{ DOC("\"mounts\": [{\"destination\": \"/x\", \"source\": \"foo\"}], " PROC ", " LINUX),
		  "config.json: mounts[0].type: required unless the mount is a bind mount" },
		{ DOC("\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"ro\", \"\"]}], " PROC
		      ", " LINUX),
		  "config.json: mounts[0].options[1]: must not be empty" },
		{ DOC("\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": \"ro\"}], " PROC ", " LINUX),
		  "config.json: mounts[0].options: must be an array of strings" },
		{ DOC("\"mounts\": [\"/x\"], " PROC ", " LINUX), "config.json: mounts[0]: must be an object" },
		{ DOC("\"mounts\": {}, " PROC ", " LINUX), "config.json: mounts: must be an array" },
	};

	(void) state;
	check_bad(cases, N_CASES(cases));
}

static void test_bad_hooks_devices_linux(void **state)
{
	static const struct bad_case cases[] = {
		{ DOC(PROC ", " LINUX ", \"hooks\": {\"prestart\": [{\"path\": \"bin/true\"}]}"),
		  "config.json: hooks.prestart[0].path: must be an absolute path, not \"bin/true\"" },
		{ DOC(PROC ", " LINUX ", \"hooks\": {\"poststart\": [{\"path\": \"/a\"}, {\"path\": \"/b\", \"timeout\": 0}]}"),
		  "config.json: hooks.poststart[1].timeout: must be an integer from 1 to 2147483" },
		{ DOC(PROC ", " LINUX ", \"hooks\": {\"createRuntime\": [{\"args\": [\"x\"]}]}"),
		  "config.json: hooks.createRuntime[0].path: required field is missing" },
		{ DOC(PROC ", " LINUX_WITH("\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\", \"major\": 1, \"minor\": 1}]")),
		  "config.json: linux.devices[0].type: must be one of c, b, u, p, not \"x\"" },
		{ DOC(PROC ", " LINUX_WITH("\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"minor\": 1}]")),
		  "config.json: linux.devices[0].major: required field is missing" },
		{ DOC(PROC ", " LINUX_WITH("\"devices\": [{\"type\": \"b\", \"path\": \"dev/x\", \"major\": 1, \"minor\": 1}]")),
		  "config.json: linux.devices[0].path: must be an absolute path, not \"dev/x\"" },
		{ DOC(PROC ", " LINUX_WITH("\"rootfsPropagation\": \"bogus\"")),
		  "config.json: linux.rootfsPropagation: must be shared, slave, private or unbindable, not \"bogus\"" },
		{ DOC(PROC ", " LINUX_WITH("\"maskedPaths\": [\"/ok\", \"proc/kcore\"]")),
		  "config.json: linux.maskedPaths[1]: must be an absolute path, not \"proc/kcore\"" },
		{ DOC(PROC ", " LINUX_WITH("\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}")),
		  "config.json: linux.timeOffsets: offsets need a new time namespace" },
		{ DOC(PROC ", \"linux\": []"), "config.json: linux: must be an object" },
	};

	(void) state;
	check_bad(cases, N_CASES(cases));
}

static void test_mount_destination_cleaned(void **state)
{
	static const char text[] = DOC(
		"\"mounts\": [{\"destination\": \"tmp\", \"type\": \"tmpfs\"}, {\"destination\": \"/a//b/./c/\", \"type\": \"tmpfs\"},"
		"  {\"destination\": \"/\", \"type\": \"tmpfs\"}, {\"destination\": \"./x/\", \"type\": \"tmpfs\"},"
		"  {\"destination\": \"//proc//\", \"type\": \"proc\"}], " PROC ", " LINUX);
	struct berth_spec *spec = parse_ok(text);

	(void) state;
	assert_int_equal(spec->n_mounts, 5);
	assert_string_equal(spec->mounts[0].destination, "/tmp");
	assert_string_equal(spec->mounts[1].destination, "/a/b/c");
	assert_string_equal(spec->mounts[2].destination, "/");
	assert_string_equal(spec->mounts[3].destination, "/x");
	assert_string_equal(spec->mounts[4].destination, "/proc");
	berth_spec_free(spec);
}

static void test_from_json(void **state)
{
	struct berth_error err = { 0 };
	struct berth_spec *spec = NULL;
	json_t *j = NULL;

	(void) state;
	assert_int_equal(bjson_parse(minimal, strlen(minimal), "x", &j, &err), 0);
	assert_int_equal(berth_spec_from_json(j, &spec, &err), 0);
	assert_ptr_equal(spec->json, j);
	assert_string_equal(spec->process.args[0], "sh");
	assert_true(spec->ns[BERTH_NS_MOUNT].enabled);
	berth_spec_free(spec);
	/* The caller's reference is still its own. */
	assert_int_equal(j->refcount, 1);
	assert_string_equal(json_string_value(json_object_get(j, "ociVersion")), "1.2.0");

	/* The same checks and messages as berth_spec_parse. */
	json_object_set_new(json_object_get(j, "process"), "cwd", json_string("rel"));
	spec = NULL;
	assert_int_equal(berth_spec_from_json(j, &spec, &err), -EINVAL);
	assert_null(spec);
	assert_string_equal(err.msg, "config.json: process.cwd: must be an absolute path, not \"rel\"");
	assert_int_equal(j->refcount, 1);
	json_decref(j);

	j = json_array();
	assert_int_equal(berth_spec_from_json(j, &spec, &err), -EINVAL);
	assert_string_equal(err.msg, "config.json: the document must be a JSON object");
	assert_int_equal(j->refcount, 1);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_null_is_absent),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_cap_from_name),
		cmocka_unit_test(test_bad_top),
		cmocka_unit_test(test_bad_process),
		cmocka_unit_test(test_bad_namespaces),
		cmocka_unit_test(test_bad_mounts),
		cmocka_unit_test(test_bad_hooks_devices_linux),
		cmocka_unit_test(test_mount_destination_cleaned),
		cmocka_unit_test(test_from_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
