#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_spec.h"
#include "json.h"
#include "spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return v;
}

/* Compact JSON of v, for comparisons (static buffer). */
static const char *S(json_t *v)
{
	static char buf[8192];
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}

static int fake_volume(void *ctx, const char *name, char **ret, struct berth_error *err)
{
	(void) ctx;
	if (strcmp(name, "bad") == 0)
		return berth_error_set(err, EINVAL, "volume bad: refused");
	if (asprintf(ret, "/var/lib/berth/volumes/%s/_data", name) < 0)
		return -ENOMEM;
	return 0;
}

/* Build a spec from a config and a host config (JSON texts). */
static int build(const char *image, const char *config, const char *host, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *ic = J(image), *c = J(config), *hc = J(host);
	_cleanup_json_ json_t *seccomp = J("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
					   "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}, "
					   "{\"architecture\": \"SCMP_ARCH_AARCH64\"}], \"syscalls\": "
					   "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
					   "{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", "
					   "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}");
	struct berth_exec_user user = { .uid = 1000, .gid = 1000, .sgids = { 10, 29 }, .n_sgids = 2, .home = "/home/app" };
	struct berth_container_spec_input in = {
		.id = ID,
		.image_config = ic,
		.config = c,
		.host_config = hc,
		.rootfs = "/var/lib/berth/containers/" ID "/rootfs",
		.hostname_path = "/var/lib/berth/containers/" ID "/hostname",
		.hosts_path = "/var/lib/berth/containers/" ID "/hosts",
		.resolv_path = "/var/lib/berth/containers/" ID "/resolv.conf",
		.cgroup_parent = "/berth",
		.seccomp_default = seccomp,
		.user = &user,
		.volume_path = fake_volume,
	};
	return berth_container_spec(&in, ret, err);
}

static json_t *build_ok(const char *image, const char *config, const char *host)
{
	struct berth_error err = { 0 };
	json_t *spec = NULL;
	if (build(image, config, host, &spec, &err) != 0)
		fail_msg("build: %s", err.msg);
	/* whatever we make, berth-runtime must take */
	struct berth_spec *parsed = NULL;
	if (berth_spec_from_json(spec, &parsed, &err) != 0)
		fail_msg("berth-runtime refuses the spec: %s\n%s", err.msg, S(spec));
	berth_spec_free(parsed);
	return spec;
}

static void build_bad(const char *config, const char *host, const char *want)
{
	struct berth_error err = { 0 };
	json_t *spec = NULL;
	if (build("{\"Cmd\": [\"sh\"]}", config, host, &spec, &err) == 0)
		fail_msg("%s / %s should be refused", config, host);
	if (!strstr(err.msg, want))
		fail_msg("%s / %s: error \"%s\" does not contain \"%s\"", config, host, err.msg, want);
	assert_null(spec);
}

static void check_args(const char *image, const char *config, const char *want)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *ic = J(image), *c = J(config), *args = NULL;
	int r = berth_container_args(ic, c, &args, &err);
	if (r != 0)
		fail_msg("%s + %s: %s", image, config, err.msg);
	if (strcmp(S(args), want) != 0)
		fail_msg("%s + %s: %s, want %s", image, config, S(args), want);
}

static void test_args(void **state)
{
	(void) state;
	const char *img = "{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"a\", \"b\"]}";
	check_args(img, "{}", "[\"/ep\",\"a\",\"b\"]");
	check_args(img, "{\"Cmd\": [\"c\"]}", "[\"/ep\",\"c\"]");
	/* a new entrypoint drops the image's Cmd */
	check_args(img, "{\"Entrypoint\": [\"/other\"]}", "[\"/other\"]");
	check_args(img, "{\"Entrypoint\": [\"/other\"], \"Cmd\": [\"x\"]}", "[\"/other\",\"x\"]");
	/* an empty entrypoint: the request's Cmd alone */
	check_args(img, "{\"Entrypoint\": [], \"Cmd\": [\"sh\"]}", "[\"sh\"]");
	check_args("{\"Cmd\": [\"sh\"]}", "{\"Cmd\": null}", "[\"sh\"]");
	/* --entrypoint "": the image's Cmd alone */
	check_args(img, "{\"Entrypoint\": []}", "[\"a\",\"b\"]");
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *empty = J("{}"), *args = NULL;
	assert_int_equal(berth_container_args(empty, empty, &args, &err), -EINVAL);
	assert_string_equal(err.msg, "no command specified");
	_cleanup_json_ json_t *nonstr = J("{\"Cmd\": [1]}");
	assert_int_equal(berth_container_args(empty, nonstr, &args, &err), -EINVAL);
}

static void test_env(void **state)
{
	(void) state;
	_cleanup_json_ json_t *ic = J("{\"Env\": [\"PATH=/img/bin\", \"A=1\", \"B=2\"]}");
	_cleanup_json_ json_t *c = J("{\"Env\": [\"B=3\", \"C\"], \"Tty\": true}");
	_cleanup_json_ json_t *env = berth_container_env(ic, c, "web");
	assert_string_equal(S(env), "[\"HOSTNAME=web\",\"PATH=/img/bin\",\"A=1\",\"B=3\",\"C\",\"TERM=xterm\"]");
	_cleanup_json_ json_t *none = J("{}");
	_cleanup_json_ json_t *env2 = berth_container_env(none, none, "h");
	assert_string_equal(S(env2), "[\"HOSTNAME=h\",\"PATH=" BERTH_DEFAULT_PATH "\"]");
}

static void check_caps(const char *add, const char *drop, bool privileged, const char *want_has, const char *want_not,
		       size_t want_n)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *a = J(add), *d = J(drop), *caps = NULL;
	if (berth_container_caps(a, d, privileged, &caps, &err) != 0)
		fail_msg("caps %s %s: %s", add, drop, err.msg);
	const char *s = S(caps);
	if (want_has && !strstr(s, want_has))
		fail_msg("caps %s %s: %s lacks %s", add, drop, s, want_has);
	if (want_not && strstr(s, want_not))
		fail_msg("caps %s %s: %s has %s", add, drop, s, want_not);
	if (want_n && json_array_size(caps) != want_n)
		fail_msg("caps %s %s: %zu caps, want %zu", add, drop, json_array_size(caps), want_n);
}

static void test_caps(void **state)
{
	(void) state;
	check_caps("[]", "[]", false, "\"CAP_CHOWN\"", "CAP_SYS_ADMIN", 14);
	check_caps("[\"NET_ADMIN\", \"cap_sys_time\"]", "[\"chown\"]", false, "CAP_NET_ADMIN", "CAP_CHOWN", 15);
	check_caps("[\"ALL\"]", "[\"MKNOD\"]", false, "CAP_SYS_ADMIN", "CAP_MKNOD", 40);
	check_caps("[\"KILL\"]", "[\"ALL\"]", false, "CAP_KILL", "CAP_CHOWN", 1);
	check_caps("[]", "[]", true, "CAP_BPF", NULL, 41);
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *bad = J("[\"CAP_NOPE\"]"), *none = J("[]"), *caps = NULL;
	assert_int_equal(berth_container_caps(bad, none, false, &caps, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown capability: \"CAP_NOPE\"");
}

/* The mount at dest in a spec, or NULL. */
static json_t *mount_at(json_t *spec, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(spec, "mounts"), i, m) if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0) return m;
	return NULL;
}

static void test_defaults(void **state)
{
	(void) state;
	_cleanup_json_ json_t *spec = build_ok("{\"Cmd\": [\"sh\"], \"WorkingDir\": \"/srv\", \"User\": \"app\"}",
					       "{\"Image\": \"busybox\"}", "{}");
	json_t *p = json_object_get(spec, "process");
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/srv");
	assert_string_equal(S(json_object_get(p, "user")), "{\"uid\":1000,\"gid\":1000,\"additionalGids\":[10,29]}");
	assert_string_equal(json_string_value(json_object_get(spec, "hostname")), "0123456789ab");
	assert_false(json_is_true(json_object_get(p, "terminal")));
	assert_false(json_is_true(json_object_get(p, "noNewPrivileges")));
	assert_non_null(strstr(S(json_object_get(p, "env")), "\"HOME=/home/app\""));
	assert_int_equal(json_array_size(json_object_get(json_object_get(p, "capabilities"), "bounding")), 14);
	assert_string_equal(S(json_object_get(json_object_get(spec, "root"), "readonly")), "false");
	/* docker's default mounts, parents first */
	const char *order[] = { "/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/dev/shm" };
	json_t *mounts = json_object_get(spec, "mounts");
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, i), "destination")), order[i]);
	assert_string_equal(S(json_object_get(mount_at(spec, "/dev/shm"), "options")),
			    "[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=67108864\"]");
	assert_non_null(strstr(S(json_object_get(mount_at(spec, "/sys"), "options")), "\"ro\""));
	assert_string_equal(json_string_value(json_object_get(mount_at(spec, "/etc/hosts"), "source")),
			    "/var/lib/berth/containers/" ID "/hosts");
	json_t *lx = json_object_get(spec, "linux");
	assert_string_equal(json_string_value(json_object_get(lx, "cgroupsPath")), "/berth/" ID);
	assert_non_null(strstr(S(json_object_get(lx, "maskedPaths")), "\"/proc/kcore\""));
	assert_non_null(strstr(S(json_object_get(lx, "readonlyPaths")), "\"/proc/sys\""));
	assert_string_equal(S(json_object_get(lx, "namespaces")),
			    "[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
			    "{\"type\":\"network\"}]");
	json_t *devices = json_object_get(json_object_get(lx, "resources"), "devices");
	assert_string_equal(S(json_array_get(devices, 0)), "{\"allow\":false,\"access\":\"rwm\"}");
	assert_non_null(strstr(S(devices), "{\"allow\":true,\"type\":\"c\",\"access\":\"rwm\",\"major\":1,\"minor\":3}"));
	/* the default profile, without the CAP_SYS_ADMIN rule */
	json_t *seccomp = json_object_get(lx, "seccomp");
	assert_non_null(seccomp);
	assert_null(strstr(S(seccomp), "bpf"));
}

static void test_host_config(void **state)
{
	(void) state;
	_cleanup_json_ json_t *spec = build_ok(
		"{\"Cmd\": [\"sh\"]}", "{\"Tty\": true, \"Hostname\": \"web\", \"Domainname\": \"example.org\", "
				       "\"Labels\": {\"a\": \"b\"}}",
		"{\"Memory\": 67108864, \"NanoCpus\": 1500000000, \"PidsLimit\": 64, \"CpuShares\": 512, "
		"\"CpusetCpus\": \"0\", \"ReadonlyRootfs\": true, \"CapAdd\": [\"SYS_ADMIN\"], \"CapDrop\": [\"NET_RAW\"], "
		"\"SecurityOpt\": [\"no-new-privileges\"], \"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1024, "
		"\"Hard\": 2048}], \"Sysctls\": {\"kernel.shmmax\": \"1000000\"}, \"ShmSize\": 1048576, "
		"\"OomScoreAdj\": 100, \"NetworkMode\": \"host\", \"PidMode\": \"host\"}");
	json_t *p = json_object_get(spec, "process"), *lx = json_object_get(spec, "linux");
	json_t *res = json_object_get(lx, "resources");
	assert_true(json_is_true(json_object_get(p, "terminal")));
	assert_true(json_is_true(json_object_get(p, "noNewPrivileges")));
	assert_int_equal(json_integer_value(json_object_get(p, "oomScoreAdj")), 100);
	assert_string_equal(S(json_object_get(p, "rlimits")), "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":2048,\"soft\":1024}]");
	assert_string_equal(json_string_value(json_object_get(spec, "hostname")), "web");
	assert_string_equal(json_string_value(json_object_get(spec, "domainname")), "example.org");
	assert_string_equal(S(json_object_get(spec, "annotations")), "{\"a\":\"b\"}");
	assert_true(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")));
	assert_string_equal(S(json_object_get(res, "memory")), "{\"limit\":67108864,\"swap\":134217728}");
	assert_string_equal(S(json_object_get(res, "cpu")), "{\"shares\":512,\"period\":100000,\"quota\":150000,\"cpus\":\"0\"}");
	assert_string_equal(S(json_object_get(res, "pids")), "{\"limit\":64}");
	assert_string_equal(S(json_object_get(lx, "sysctl")), "{\"kernel.shmmax\":\"1000000\"}");
	assert_string_equal(S(json_object_get(lx, "namespaces")),
			    "[{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}]");
	const char *caps = S(json_object_get(json_object_get(p, "capabilities"), "bounding"));
	assert_non_null(strstr(caps, "CAP_SYS_ADMIN"));
	assert_null(strstr(caps, "CAP_NET_RAW"));
	/* CAP_SYS_ADMIN brings the profile's rule for it */
	assert_non_null(strstr(S(json_object_get(lx, "seccomp")), "bpf"));
	assert_non_null(strstr(S(json_object_get(mount_at(spec, "/dev/shm"), "options")), "size=1048576"));
}

static void test_privileged_and_unconfined(void **state)
{
	(void) state;
	_cleanup_json_ json_t *priv = build_ok("{\"Cmd\": [\"sh\"]}", "{}", "{\"Privileged\": true}");
	json_t *lx = json_object_get(priv, "linux");
	assert_null(json_object_get(lx, "seccomp"));
	assert_null(json_object_get(lx, "maskedPaths"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(priv, "process"), "capabilities"),
							 "bounding")),
			 41);
	assert_non_null(strstr(S(json_object_get(mount_at(priv, "/sys"), "options")), "\"rw\""));
	_cleanup_json_ json_t *unconf = build_ok("{\"Cmd\": [\"sh\"]}", "{}", "{\"SecurityOpt\": [\"seccomp=unconfined\"]}");
	assert_null(json_object_get(json_object_get(unconf, "linux"), "seccomp"));
	/* a profile given as its content, as the docker CLI sends it */
	_cleanup_json_ json_t *custom = build_ok(
		"{\"Cmd\": [\"sh\"]}", "{}",
		"{\"SecurityOpt\": [\"seccomp={\\\"defaultAction\\\": \\\"SCMP_ACT_ALLOW\\\", \\\"syscalls\\\": "
		"[{\\\"names\\\": [\\\"mkdir\\\"], \\\"action\\\": \\\"SCMP_ACT_ERRNO\\\", \\\"errnoRet\\\": 1}]}\"]}");
	json_t *sc = json_object_get(json_object_get(custom, "linux"), "seccomp");
	assert_string_equal(json_string_value(json_object_get(sc, "defaultAction")), "SCMP_ACT_ALLOW");
	assert_non_null(strstr(S(sc), "mkdir"));
}

static void test_user_mounts(void **state)
{
	(void) state;
	char dir[] = "/tmp/berth-spec.XXXXXX", missing[64];
	assert_non_null(mkdtemp(dir));
	snprintf(missing, sizeof(missing), "%s/new/sub", dir);
	char host[1024];
	snprintf(host, sizeof(host),
		 "{\"Binds\": [\"%s:/data:ro\", \"%s:/made\", \"named:/vol/x:rshared\"], "
		 "\"Mounts\": [{\"Type\": \"tmpfs\", \"Target\": \"/scratch\", \"TmpfsOptions\": {\"SizeBytes\": 1024, "
		 "\"Mode\": 448}}, {\"Type\": \"volume\", \"Source\": \"v2\", \"Target\": \"/v2\", \"ReadOnly\": true}, "
		 "{\"Type\": \"bind\", \"Source\": \"%s\", \"Target\": \"/b\"}], "
		 "\"Tmpfs\": {\"/run\": \"size=65536k\", \"/dev/shm\": \"size=1m\"}}",
		 dir, missing, dir);
	_cleanup_json_ json_t *spec = build_ok("{\"Cmd\": [\"sh\"]}", "{}", host);
	assert_string_equal(S(json_object_get(mount_at(spec, "/data"), "options")), "[\"rbind\",\"ro\",\"rprivate\"]");
	struct stat st;
	assert_int_equal(stat(missing, &st), 0); /* -v creates a missing host dir */
	json_t *vol = mount_at(spec, "/vol/x");
	assert_string_equal(json_string_value(json_object_get(vol, "source")), "/var/lib/berth/volumes/named/_data");
	assert_string_equal(S(json_object_get(vol, "options")), "[\"rbind\",\"rshared\"]");
	assert_string_equal(S(json_object_get(mount_at(spec, "/scratch"), "options")),
			    "[\"nosuid\",\"nodev\",\"noexec\",\"size=1024\",\"mode=700\"]");
	assert_string_equal(S(json_object_get(mount_at(spec, "/v2"), "options")), "[\"rbind\",\"ro\",\"rprivate\"]");
	assert_string_equal(S(json_object_get(mount_at(spec, "/b"), "options")), "[\"rbind\",\"rw\",\"rprivate\"]");
	/* --tmpfs /dev/shm replaces docker's /dev/shm, in its place */
	json_t *shm = mount_at(spec, "/dev/shm");
	assert_string_equal(S(json_object_get(shm, "options")), "[\"nosuid\",\"nodev\",\"noexec\",\"size=1m\"]");
	/* parents before children, whatever the order given */
	size_t i, last = 0;
	json_t *m;
	json_array_foreach(json_object_get(spec, "mounts"), i, m)
	{
		size_t d = 0;
		for (const char *c = json_string_value(json_object_get(m, "destination")); *c; c++)
			d += *c == '/';
		assert_true(d >= last);
		last = d;
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_bad_requests(void **state)
{
	(void) state;
	build_bad("{}", "{\"Binds\": [\"/a\"]}", "invalid volume specification: '/a'");
	build_bad("{}", "{\"Binds\": [\"/a:rel\"]}", "mount path must be absolute");
	build_bad("{}", "{\"Binds\": [\"/tmp:/x:bogus\"]}", "invalid mode: bogus");
	build_bad("{}", "{\"Binds\": [\"/tmp:/x\", \"/tmp:/x\"]}", "Duplicate mount point: /x");
	build_bad("{}", "{\"Binds\": [\"bad:/x\"]}", "volume bad: refused");
	build_bad("{}", "{\"Binds\": [7]}", "HostConfig.Binds[0]");
	build_bad("{}", "{\"Mounts\": [{\"Type\": \"bind\", \"Source\": \"/no/such/dir\", \"Target\": \"/x\"}]}",
		  "bind source path does not exist: /no/such/dir");
	build_bad("{}", "{\"Mounts\": [{\"Type\": \"npipe\", \"Source\": \"x\", \"Target\": \"/x\"}]}",
		  "mount type unknown");
	build_bad("{}", "{\"Tmpfs\": {\"rel\": \"\"}}", "must be absolute");
	build_bad("{}", "{\"CapAdd\": [\"BOGUS\"]}", "unknown capability: \"BOGUS\"");
	build_bad("{}", "{\"Memory\": 100000000, \"MemorySwap\": 1000}", "memoryswap limit");
	build_bad("{}", "{\"NanoCpus\": 1000000000, \"CpuQuota\": 50000}", "Nano CPUs and CPU Quota");
	build_bad("{}", "{\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 10, \"Hard\": 5}]}", "soft limit");
	build_bad("{}", "{\"Ulimits\": [{\"Name\": \"nofile\"}]}", "HostConfig.Ulimits[0]");
	build_bad("{}", "{\"SecurityOpt\": [\"seccomp={not json\"]}", "seccomp profile");
	build_bad("{}", "{\"PidMode\": \"container:other\"}", "namespace pid: no container to join for container:other");
	build_bad("{}", "{\"NetworkMode\": \"host\", \"Sysctls\": {\"net.ipv4.ip_forward\": \"1\"}}",
		  "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
	build_bad("{\"Hostname\": \"x\"}", "{\"UTSMode\": \"host\"}", "conflicting options: hostname");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),	 cmocka_unit_test(test_env),
		cmocka_unit_test(test_caps),	 cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_host_config), cmocka_unit_test(test_privileged_and_unconfined),
		cmocka_unit_test(test_user_mounts), cmocka_unit_test(test_bad_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
