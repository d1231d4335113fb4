/* Unit tests of the pure logic behind berth run / create and the attached
 * streams: the flags' values read as the docker CLI (28.2) reads them
 * (sizes, --cpus, integers, --ulimit, --mount, -v, env files, --restart,
 * --add-host, --sysctl, capabilities, security options, detach keys), the
 * create body made from them, and docker's stdcopy frames.  The expected
 * bodies and messages are what docker 28.2 sent and printed for the same
 * flags (compared through a logging proxy in front of dockerd). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "run_flags.h"
#include "runopts.h"
#include "stdframes.h"

/* ---- helpers ---- */

static void assert_json(json_t *j, const char *expected)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_json_ json_t *want = json_loads(expected, JSON_DECODE_ANY, NULL);
	_cleanup_free_ char *want_text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_non_null(want_text);
	assert_string_equal(text, want_text);
}

static void ram_ok(const char *s, int64_t want)
{
	struct berth_error err = { 0 };
	int64_t v = 0;
	assert_int_equal(berth_runopt_ram_bytes(s, &v, &err), 0);
	assert_int_equal(v, want);
}

static void ram_bad(const char *s, const char *msg)
{
	struct berth_error err = { 0 };
	int64_t v = 0;
	assert_int_equal(berth_runopt_ram_bytes(s, &v, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

/* ---- numbers ---- */

static void test_ram_bytes(void **state)
{
	(void) state;
	ram_ok("64m", 67108864);
	ram_ok("1g", 1073741824);
	ram_ok("1.5g", 1610612736);
	ram_ok("100", 100);
	ram_ok("1kb", 1024);
	ram_ok("1KB", 1024);
	ram_ok("1kib", 1024);
	ram_ok("1 m", 1048576);
	ram_ok("2t", 2199023255552LL);
	ram_ok("1b", 1);
	ram_bad("bad", "invalid size: 'bad'");
	ram_bad("1x", "invalid suffix: 'x'");
	ram_bad("1ki", "invalid suffix: 'ki'");
	ram_bad("1bb", "invalid suffix: 'bb'");
	ram_bad("1kbbb", "invalid suffix: 'kbbb'");
	ram_bad("-1", "invalid size: '-1'");
	ram_bad("1.2.3m", "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
	ram_bad("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax");

	struct berth_error err = { 0 };
	int64_t v = 0;
	assert_int_equal(berth_runopt_swap_bytes("-1", &v, &err), 0);
	assert_int_equal(v, -1);
	assert_int_equal(berth_runopt_swap_bytes("128m", &v, &err), 0);
	assert_int_equal(v, 134217728);
}

static void cpus(const char *s, int64_t want, const char *msg)
{
	struct berth_error err = { 0 };
	int64_t v = 0;
	int r = berth_runopt_nano_cpus(s, &v, &err);
	if (msg) {
		assert_true(r < 0);
		assert_string_equal(err.msg, msg);
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(v, want);
}

static void test_nano_cpus(void **state)
{
	(void) state;
	cpus("1.5", 1500000000, NULL);
	cpus(".5", 500000000, NULL);
	cpus("1e-1", 100000000, NULL);
	cpus("+2", 2000000000, NULL);
	cpus("-1", -1000000000, NULL);
	cpus("0.001", 1000000, NULL);
	cpus("0", 0, NULL);
	cpus("1/4", 250000000, NULL);
	cpus("0.000000001", 1, NULL);
	cpus("1.0000000000", 1000000000, NULL);
	cpus("x", 0, "failed to parse x as a rational number");
	cpus("1/0", 0, "failed to parse 1/0 as a rational number");
	cpus("1/3", 0, "value is too precise");
	cpus("1.0000000001", 0, "value is too precise");
}

static void test_int(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	int64_t v = 0;
	assert_int_equal(berth_runopt_int("0x10", 0, &v, &err), 0);
	assert_int_equal(v, 16);
	assert_int_equal(berth_runopt_int("010", 0, &v, &err), 0);
	assert_int_equal(v, 8);
	assert_int_equal(berth_runopt_int("0b11", 0, &v, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(berth_runopt_int("-5", 0, &v, &err), 0);
	assert_int_equal(v, -5);
	assert_int_equal(berth_runopt_int("0", 0, &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(berth_runopt_int("-9223372036854775808", 10, &v, &err), 0);
	assert_int_equal(v, INT64_MIN);
	assert_int_equal(berth_runopt_int("010", 10, &v, &err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(berth_runopt_int("x", 0, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "strconv.ParseInt: parsing \"x\": invalid syntax");
	assert_int_equal(berth_runopt_int("", 0, &v, &err), -EINVAL);
	assert_int_equal(berth_runopt_int("0x", 0, &v, &err), -EINVAL);
	assert_int_equal(berth_runopt_int("0x10", 10, &v, &err), -EINVAL);
	assert_int_equal(berth_runopt_int("9223372036854775808", 0, &v, &err), -ERANGE);
	assert_string_equal(err.msg, "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
}

/* ---- ulimits, mounts, volumes ---- */

static void ulimit(const char *s, const char *want)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *u = NULL;
	int r = berth_runopt_ulimit(s, &u, &err);
	if (*want != '{') {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err.msg, want);
		return;
	}
	assert_int_equal(r, 0);
	assert_json(u, want);
}

static void test_ulimit(void **state)
{
	(void) state;
	ulimit("nofile=100:200", "{\"Name\":\"nofile\",\"Hard\":200,\"Soft\":100}");
	ulimit("nproc=10", "{\"Name\":\"nproc\",\"Hard\":10,\"Soft\":10}");
	ulimit("nofile=10:-1", "{\"Name\":\"nofile\",\"Hard\":-1,\"Soft\":10}");
	ulimit("bad", "invalid ulimit argument: bad");
	ulimit("foo=1", "invalid ulimit type: foo");
	ulimit("nofile=2:1", "ulimit soft limit must be less than or equal to hard limit: 2 > 1");
	ulimit("nofile=a:b", "strconv.ParseInt: parsing \"b\": invalid syntax");
	ulimit("nofile=1:2:3", "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`");
}

static void mount(const char *s, const char *want)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *m = NULL;
	int r = berth_runopt_mount(s, "/work/dir", &m, &err);
	if (*want != '{') {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err.msg, want);
		return;
	}
	assert_int_equal(r, 0);
	assert_json(m, want);
}

static void test_mount(void **state)
{
	(void) state;
	mount("type=bind,src=/tmp,dst=/b,readonly",
	      "{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/b\",\"ReadOnly\":true}");
	mount("type=volume,source=v2,target=/v2", "{\"Type\":\"volume\",\"Source\":\"v2\",\"Target\":\"/v2\"}");
	mount("dst=/b,ro=true", "{\"Type\":\"volume\",\"Target\":\"/b\",\"ReadOnly\":true}");
	mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777",
	      "{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":1048576,\"Mode\":1023}}");
	mount("type=BIND,src=./x,dst=/b,bind-propagation=rshared",
	      "{\"Type\":\"bind\",\"Source\":\"/work/dir/x\",\"Target\":\"/"
	      "b\",\"BindOptions\":{\"Propagation\":\"rshared\"}}");
	mount("type=volume,dst=/a,volume-opt=x=y,volume-label=l=1,volume-driver=local,volume-nocopy",
	      "{\"Type\":\"volume\",\"Target\":\"/a\",\"VolumeOptions\":{\"NoCopy\":true,\"Labels\":{\"l\":\"1\"},"
	      "\"DriverConfig\":{\"Name\":\"local\",\"Options\":{\"x\":\"y\"}}}}");
	mount("type=volume,\"volume-opt=o=a,b\",dst=/q",
	      "{\"Type\":\"volume\",\"Target\":\"/"
	      "q\",\"VolumeOptions\":{\"DriverConfig\":{\"Options\":{\"o\":\"a,b\"}}}}");
	mount("type=bind", "target is required");
	mount("type=foo", "target is required");
	mount("src=/x,dst=/y,foo=1", "unexpected key 'foo' in 'foo=1'");
	mount("bogus", "invalid field 'bogus' must be a key=value pair");
	mount("type=bind,src=/x,dst=/y,readonly=maybe", "invalid value for readonly: maybe");
	mount("type=tmpfs,dst=/t,tmpfs-size=x", "invalid value for tmpfs-size: x");
	mount("type=bind,dst=/t,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'");
	mount("type=volume,dst=/t,tmpfs-size=1", "cannot mix 'tmpfs-*' options with mount type 'volume'");
	mount("", "EOF");
}

static void volume(const char *spec, const char *want_bind)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *bind = NULL;
	assert_int_equal(berth_runopt_volume(spec, "/work/dir", "/home/u", &bind, &err), 0);
	if (!want_bind)
		assert_null(bind);
	else
		assert_string_equal(bind, want_bind);
}

static void test_volume(void **state)
{
	(void) state;
	volume("/tmp:/mnt/tmp:ro", "/tmp:/mnt/tmp:ro");
	volume("vol1:/data", "vol1:/data");
	volume("/anon", NULL);
	volume("/x:ro", "/x:ro");
	volume("./a:/b", "/work/dir/a:/b");
	volume("../a:/b", "/work/a:/b");
	volume("~/a:/b", "/home/u/a:/b");
	volume("a:b:c:d", "a:b:c:d");
	volume("c:/x", NULL); /* a Windows drive for docker's loader: an anonymous volume */
	volume(":/x", NULL);
	volume("ab", NULL);

	_cleanup_free_ char *a = berth_runopt_abs_path("a//b/./../c/", "/w");
	assert_string_equal(a, "/w/a/c");
	_cleanup_free_ char *b = berth_runopt_abs_path("../..", "/w");
	assert_string_equal(b, "/");
}

/* ---- environment and other lists ---- */

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/test-cli-run.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
	return path;
}

static void test_env_file(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *env = json_array();
	setenv("BERTH_TEST_SET", "fromenv", 1);
	unsetenv("BERTH_TEST_UNSET");
	_cleanup_free_ char *path =
		write_temp("\xef\xbb\xbf"
			   "FIRST=1\n  BERTH_TEST_SET\nBERTH_TEST_UNSET\n\n   # c\n  SP=a b  \r\nEMPTY=\n");
	assert_int_equal(berth_runopt_kv_file(path, true, env, &err), 0);
	assert_json(env, "[\"FIRST=1\",\"BERTH_TEST_SET=fromenv\",\"SP=a b  \",\"EMPTY=\"]");
	unlink(path);

	_cleanup_free_ char *bad = write_temp("a b=1\n");
	char want[256];
	assert_int_equal(berth_runopt_kv_file(bad, true, env, &err), -EINVAL);
	snprintf(want, sizeof(want), "invalid env file (%s): variable 'a b' contains whitespaces", bad);
	assert_string_equal(err.msg, want);
	unlink(bad);

	_cleanup_free_ char *noname = write_temp("=1\n");
	assert_int_equal(berth_runopt_kv_file(noname, true, env, &err), -EINVAL);
	snprintf(want, sizeof(want), "invalid env file (%s): no variable name on line '=1'", noname);
	assert_string_equal(err.msg, want);
	unlink(noname);

	assert_int_equal(berth_runopt_kv_file("/nonexistent/env", true, env, &err), -ENOENT);
	assert_string_equal(err.msg, "open /nonexistent/env: no such file or directory");

	_cleanup_json_ json_t *e = json_array();
	assert_int_equal(berth_runopt_env("BERTH_TEST_SET", e, &err), 0);
	assert_int_equal(berth_runopt_env("BERTH_TEST_UNSET", e, &err), 0);
	assert_int_equal(berth_runopt_env("K=v=w", e, &err), 0);
	assert_json(e, "[\"BERTH_TEST_SET=fromenv\",\"BERTH_TEST_UNSET\",\"K=v=w\"]");
	assert_int_equal(berth_runopt_env("=x", e, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid environment variable: =x");
}

static void test_lists(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *map = json_object(), *restart = NULL;
	_cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL;

	assert_int_equal(berth_runopt_label("a=b=c", map, &err), 0);
	assert_int_equal(berth_runopt_label("k2", map, &err), 0);
	assert_int_equal(berth_runopt_label("=x", map, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid label '=x': empty name");
	assert_json(map, "{\"a\":\"b=c\",\"k2\":\"\"}");

	json_object_clear(map);
	assert_int_equal(berth_runopt_sysctl("net.ipv4.ip_forward=1", map, &err), 0);
	assert_int_equal(berth_runopt_sysctl("kernel.shm_rmid_forced=1", map, &err), 0);
	assert_int_equal(berth_runopt_sysctl("a.b=1", map, &err), -EINVAL);
	assert_string_equal(err.msg, "sysctl 'a.b=1' is not allowed");
	assert_int_equal(berth_runopt_sysctl("net.x", map, &err), -EINVAL);
	assert_json(map, "{\"net.ipv4.ip_forward\":\"1\",\"kernel.shm_rmid_forced\":\"1\"}");

	json_object_clear(map);
	berth_runopt_tmpfs("/run:size=1m", map);
	berth_runopt_tmpfs("/a:b:c", map);
	berth_runopt_tmpfs("/x", map);
	assert_json(map, "{\"/run\":\"size=1m\",\"/a\":\"b:c\",\"/x\":\"\"}");

	assert_int_equal(berth_runopt_add_host("h=1.2.3.4", &h1, &err), 0);
	assert_string_equal(h1, "h:1.2.3.4");
	assert_int_equal(berth_runopt_add_host("h:[::1]", &h2, &err), 0);
	assert_string_equal(h2, "h:::1");
	assert_int_equal(berth_runopt_add_host("gw:host-gateway", &h3, &err), 0);
	assert_int_equal(berth_runopt_add_host("x", &h3, &err), -EINVAL);
	assert_string_equal(err.msg, "bad format for add-host: \"x\"");
	assert_int_equal(berth_runopt_add_host("h:1.2.3", &h3, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid IP address in add-host: \"1.2.3\"");

	assert_int_equal(berth_runopt_restart("on-failure:3", &restart, &err), 0);
	assert_json(restart, "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}");
	assert_int_equal(berth_runopt_restart("always:x", &restart, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid restart policy format: maximum retry count must be an integer");
	assert_int_equal(berth_runopt_restart(":3", &restart, &err), -EINVAL);

	assert_int_equal(berth_runopt_attach_stream("STDERR", &err), 2);
	assert_int_equal(berth_runopt_attach_stream("foo", &err), -EINVAL);
	assert_string_equal(err.msg, "valid streams are STDIN, STDOUT and STDERR");
}

static void test_capabilities_and_security(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *add = json_pack("[s,s,s,s]", "sys_admin", "chown", "CHOWN", "all");
	_cleanup_json_ json_t *drop = json_pack("[s]", "cap_net_raw");
	json_t *ra = NULL, *rd = NULL;
	assert_int_equal(berth_runopt_capabilities(add, drop, &ra, &rd, &err), 0);
	assert_json(ra, "[\"ALL\",\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]");
	assert_json(rd, "[\"CAP_NET_RAW\"]");
	json_decref(ra);
	json_decref(rd);

	_cleanup_json_ json_t *opts =
		json_pack("[s,s,s]", "no-new-privileges", "systempaths=unconfined", "label:disable");
	bool unconfined = false;
	assert_int_equal(berth_runopt_security(opts, &unconfined, &err), 0);
	assert_true(unconfined);
	assert_json(opts, "[\"no-new-privileges\",\"label:disable\"]");
	_cleanup_json_ json_t *bad = json_pack("[s]", "foo");
	assert_int_equal(berth_runopt_security(bad, &unconfined, &err), -EINVAL);
	assert_string_equal(err.msg, "Invalid --security-opt: \"foo\"");

	_cleanup_free_ char *profile = write_temp("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n");
	char opt[128];
	snprintf(opt, sizeof(opt), "seccomp=%s", profile);
	_cleanup_json_ json_t *sec = json_pack("[s]", opt);
	assert_int_equal(berth_runopt_security(sec, &unconfined, &err), 0);
	assert_json(sec, "[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\"}\"]");
	unlink(profile);

	unsigned char keys[16];
	size_t n = 0;
	assert_int_equal(berth_runopt_detach_keys("ctrl-p,ctrl-q", keys, sizeof(keys), &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0], 16);
	assert_int_equal(keys[1], 17);
	assert_int_equal(berth_runopt_detach_keys("a,ctrl-@,ctrl-[", keys, sizeof(keys), &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(keys[0], 'a');
	assert_int_equal(keys[1], 0);
	assert_int_equal(keys[2], 27);
	assert_int_equal(berth_runopt_detach_keys("ctrl-1", keys, sizeof(keys), &n, &err), -EINVAL);
	assert_string_equal(err.msg, "Unknown character: 'ctrl-1'");
}

/* ---- the create body ---- */

static void test_body(void **state)
{
	(void) state;
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	char *args[] = { "-c", "echo hi" };

	setenv("BERTH_TEST_SET", "fromenv", 1);
	_cleanup_free_ char *envfile = write_temp("A=1\n");
	assert_int_equal(berth_run_flags_init(&rf, true), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ENV, "X=1", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ENV_FILE, envfile, &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_VOLUME, "/tmp:/mnt:ro", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_VOLUME, "/anon", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_LABEL, "k=v", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ULIMIT, "nofile=1", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ULIMIT, "nofile=5:6", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ENTRYPOINT, "/bin/sh", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_STOP_TIMEOUT, "5", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_LOG_OPT, "max-size=1m", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ULIMIT, "bad", &err), -EINVAL);
	berth_run_flags_set_bool(&rf, BERTH_RF_INTERACTIVE, true);
	berth_run_flags_set_bool(&rf, BERTH_RF_INIT, true);
	json_object_set_new(rf.host, "Memory", json_integer(67108864));
	json_object_set_new(rf.config, "Hostname", json_string("hh"));

	assert_int_equal(berth_run_flags_body(&rf, "img", args, 2, &body, &err), 0);
	json_t *host = json_object_get(body, "HostConfig");
	assert_string_equal(json_string_value(json_object_get(body, "Hostname")), "hh");
	assert_json(json_object_get(body, "Env"), "[\"A=1\",\"X=1\"]");
	assert_json(json_object_get(body, "Cmd"), "[\"-c\",\"echo hi\"]");
	assert_json(json_object_get(body, "Entrypoint"), "[\"/bin/sh\"]");
	assert_json(json_object_get(body, "Volumes"), "{\"/anon\":{}}");
	assert_json(json_object_get(body, "Labels"), "{\"k\":\"v\"}");
	assert_int_equal(json_integer_value(json_object_get(body, "StopTimeout")), 5);
	assert_true(json_is_true(json_object_get(body, "AttachStdin")));
	assert_true(json_is_true(json_object_get(body, "OpenStdin")));
	assert_true(json_is_true(json_object_get(body, "StdinOnce")));
	assert_true(json_is_true(json_object_get(body, "AttachStdout")));
	assert_json(json_object_get(host, "Binds"), "[\"/tmp:/mnt:ro\"]");
	assert_json(json_object_get(host, "Ulimits"), "[{\"Name\":\"nofile\",\"Hard\":6,\"Soft\":5}]");
	assert_json(json_object_get(host, "RestartPolicy"), "{\"Name\":\"no\",\"MaximumRetryCount\":0}");
	assert_json(json_object_get(host, "LogConfig"), "{\"Type\":\"\",\"Config\":{\"max-size\":\"1m\"}}");
	assert_string_equal(json_string_value(json_object_get(host, "NetworkMode")), "default");
	assert_int_equal(json_integer_value(json_object_get(host, "Memory")), 67108864);
	assert_true(json_is_true(json_object_get(host, "Init")));
	unlink(envfile);
}

static void body_error(const char *what, int code, const char *arg, const char *msg)
{
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	assert_int_equal(berth_run_flags_init(&rf, true), 0);
	if (!strcmp(what, "rm"))
		json_object_set_new(rf.host, "AutoRemove", json_true());
	if (!strcmp(what, "security-opt")) /* a plain list of cmd_run.c's table */
		json_object_set_new(rf.lists, "SecurityOpt", json_pack("[s]", arg));
	else
		assert_int_equal(berth_run_flags_set(&rf, code, arg, &err), 0);
	assert_int_equal(berth_run_flags_body(&rf, "img", NULL, 0, &body, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void test_body_errors(void **state)
{
	(void) state;
	body_error("", BERTH_RF_PID, "foo", "--pid: invalid PID mode");
	body_error("", BERTH_RF_UTS, "foo", "--uts: invalid UTS mode");
	body_error("", BERTH_RF_CGROUPNS, "foo", "--cgroupns: invalid CGROUP mode");
	body_error("", BERTH_RF_RESTART, "always:x",
		   "invalid restart policy format: maximum retry count must be an integer");
	body_error("rm", BERTH_RF_RESTART, "always", "conflicting options: cannot specify both --restart and --rm");
	body_error("security-opt", 0, "foo", "Invalid --security-opt: \"foo\"");

	/* -a stdin alone: no output attached */
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	assert_int_equal(berth_run_flags_init(&rf, true), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_ATTACH, "stdin", &err), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_PID, "container:x", &err), 0);
	assert_int_equal(berth_run_flags_body(&rf, "img", NULL, 0, &body, &err), 0);
	assert_true(json_is_true(json_object_get(body, "AttachStdin")));
	assert_false(json_is_true(json_object_get(body, "AttachStdout")));
	assert_false(json_is_true(json_object_get(body, "StdinOnce")));
	assert_true(json_is_null(json_object_get(body, "Cmd")));
}

/* --health-*: the docker CLI's HealthConfig (omitempty fields) */
static void health_body(const char *cmd, const char *interval, const char *retries, bool none, const char *want)
{
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf;
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	assert_int_equal(berth_run_flags_init(&rf, true), 0);
	if (cmd)
		assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_HEALTH_CMD, cmd, &err), 0);
	if (interval)
		assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_HEALTH_INTERVAL, interval, &err), 0);
	if (retries)
		assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_HEALTH_RETRIES, retries, &err), 0);
	berth_run_flags_set_bool(&rf, BERTH_RF_NO_HEALTHCHECK, none);
	int r = berth_run_flags_body(&rf, "img", NULL, 0, &body, &err);
	if (want && want[0] != '{') {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err.msg, want);
		return;
	}
	assert_int_equal(r, 0);
	if (!want)
		assert_null(json_object_get(body, "Healthcheck"));
	else
		assert_json(json_object_get(body, "Healthcheck"), want);
}

static void test_health_flags(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf;
	health_body(NULL, NULL, NULL, false, NULL);
	health_body("curl -f x", NULL, NULL, false, "{\"Test\":[\"CMD-SHELL\",\"curl -f x\"]}");
	health_body(NULL, "1m30s", "4", false, "{\"Interval\":90000000000,\"Retries\":4}");
	health_body("", "0s", "0", false, NULL); /* zero values are "not given" */
	health_body(NULL, NULL, NULL, true, "{\"Test\":[\"NONE\"]}");
	health_body(NULL, NULL, "2", true, "--no-healthcheck conflicts with --health-* options");
	health_body(NULL, "-1s", NULL, false, "--health-interval cannot be negative");
	health_body(NULL, NULL, "-2", false, "--health-retries cannot be negative");
	assert_int_equal(berth_run_flags_init(&rf, true), 0);
	assert_int_equal(berth_run_flags_set(&rf, BERTH_RF_HEALTH_TIMEOUT, "x", &err), -EINVAL);
	assert_string_equal(err.msg, "time: invalid duration \"x\"");
}

/* ---- stdcopy frames ---- */

struct collected {
	char out[256], err[256];
	size_t nout, nerr;
};

static int collect(void *userdata, int stream, const char *data, size_t len, struct berth_error *err)
{
	(void) err;
	struct collected *c = userdata;
	char *buf = stream == BERTH_STDFRAMES_STDERR ? c->err : c->out;
	size_t *n = stream == BERTH_STDFRAMES_STDERR ? &c->nerr : &c->nout;
	memcpy(buf + *n, data, len);
	*n += len;
	return 0;
}

static void test_stdframes(void **state)
{
	(void) state;
	static const char stream[] = "\x01\0\0\0\0\0\0\x04out\n"
				     "\x02\0\0\0\0\0\0\x04"
				     "err\n"
				     "\x00\0\0\0\0\0\0\x00"
				     "\x01\0\0\0\0\0\0\x02hi";
	size_t len = sizeof(stream) - 1;
	struct berth_error err = { 0 };

	/* every way of cutting the stream in two gives the same */
	for (size_t cut = 0; cut <= len; cut++) {
		struct berth_stdframes f = { 0 };
		struct collected c = { 0 };
		assert_int_equal(berth_stdframes_feed(&f, stream, cut, collect, &c, &err), 0);
		assert_int_equal(berth_stdframes_feed(&f, stream + cut, len - cut, collect, &c, &err), 0);
		assert_int_equal(c.nout, 6);
		assert_memory_equal(c.out, "out\nhi", 6);
		assert_int_equal(c.nerr, 4);
		assert_memory_equal(c.err, "err\n", 4);
	}

	struct berth_stdframes f = { 0 };
	struct collected c = { 0 };
	static const char sys[] = "\x03\0\0\0\0\0\0\x04oops";
	assert_int_equal(berth_stdframes_feed(&f, sys, sizeof(sys) - 1, collect, &c, &err), -EIO);
	assert_string_equal(err.msg, "error from daemon in stream: oops");
	struct berth_stdframes g = { 0 };
	assert_int_equal(berth_stdframes_feed(&g, "\x09\0\0\0\0\0\0\x01x", 9, collect, &c, &err), -EIO);
	assert_string_equal(err.msg, "Unrecognized input header: 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_bytes),
		cmocka_unit_test(test_nano_cpus),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_ulimit),
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_env_file),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_capabilities_and_security),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_health_flags),
		cmocka_unit_test(test_stdframes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
