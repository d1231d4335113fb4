/* config.json's "linux" object as dockerd fills it: namespaces by the
 * HostConfig modes, cgroup resources, docker's device allow-list, masked
 * and read-only /proc paths, sysctls and the seccomp profile; plus the
 * process parts that come from HostConfig's security options and ulimits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "container_spec_internal.h"
#include "json.h"
#include "seccomp_docker.h"

static const char *const masked_paths[] = {
	"/proc/asound",	       "/proc/acpi",	   "/proc/interrupts", "/proc/kcore",	   "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware",       "/sys/devices/virtual/powercap",	      NULL,
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* docker's default device cgroup rules: deny all, then mknod of anything
 * and use of the standard devices, ptys and tun. */
static const struct {
	const char *type;
	int major, minor; /* -1: any */
	const char *access;
} default_devices[] = {
	{ "c", -1, -1, "m" },  { "b", -1, -1, "m" },  { "c", 1, 3, "rwm" },  { "c", 1, 8, "rwm" },
	{ "c", 1, 7, "rwm" },  { "c", 5, 0, "rwm" },  { "c", 1, 5, "rwm" },  { "c", 1, 9, "rwm" },
	{ "c", 136, -1, "rwm" }, { "c", 5, 2, "rwm" }, { "c", 10, 200, "rwm" },
};

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static const char *mode_of(json_t *hc, const char *key)
{
	const char *v = json_string_value(json_object_get(hc, key));
	return v ? v : "";
}

/* mode "container:X" joins the path the caller resolved for X. */
static int add_ns(json_t *list, const char *type, const char *mode, const char *path, struct berth_error *err)
{
	bool join = strncmp(mode, "container:", 10) == 0;
	if (join && !path)
		return berth_error_set(err, EINVAL, "namespace %s: no container to join for %s", type, mode);
	json_t *ns = json_pack("{s:s}", "type", type);
	if (join)
		json_object_set_new(ns, "path", json_string(path));
	json_array_append_new(list, ns);
	return 0;
}

/* Each mode: "" (private), "host" (none: the host's), container:X (a path
 * the caller resolved). */
static int spec_namespaces(const struct berth_container_spec_input *in, json_t **ret, struct berth_error *err)
{
	json_t *hc = in->host_config;
	const char *pid = mode_of(hc, "PidMode"), *ipc = mode_of(hc, "IpcMode"), *uts = mode_of(hc, "UTSMode");
	const char *net = mode_of(hc, "NetworkMode");
	_cleanup_json_ json_t *list = json_array();
	int r = add_ns(list, "mount", "", NULL, err);
	if (r == 0 && strcmp(pid, "host") != 0)
		r = add_ns(list, "pid", pid, in->pid_ns_path, err);
	if (r == 0 && strcmp(ipc, "host") != 0)
		r = add_ns(list, "ipc", ipc, in->ipc_ns_path, err);
	if (r == 0 && strcmp(uts, "host") != 0)
		r = add_ns(list, "uts", uts, NULL, err);
	if (r == 0 && strcmp(net, "host") != 0)
		r = add_ns(list, "network", net, in->net_ns_path, err);
	/* docker: a private cgroup namespace on cgroup v2, the host's on v1 */
	if (r == 0 && strcmp(mode_of(hc, "CgroupnsMode"), "private") == 0)
		r = add_ns(list, "cgroup", "", NULL, err);
	if (r < 0)
		return r;
	if (strcmp(uts, "host") == 0 && json_string_length(json_object_get(in->config, "Hostname")) > 0)
		return berth_error_set(err, EINVAL, "conflicting options: hostname and the UTS mode");
	*ret = berth_steal_ptr(&list);
	return 0;
}

static void set_positive(json_t *obj, const char *key, json_t *hc, const char *from)
{
	json_t *v = json_object_get(hc, from);
	if (json_is_integer(v) && json_integer_value(v) > 0)
		json_object_set_new(obj, key, json_integer(json_integer_value(v)));
}

int berth_container_resources(json_t *hc, json_t **ret, struct berth_error *err)
{
	json_t *res = json_object(), *memory = json_object(), *cpu = json_object(), *devices = json_array();
	json_object_set_new(res, "memory", memory);
	json_object_set_new(res, "cpu", cpu);
	json_object_set_new(res, "devices", devices);
	json_array_append_new(devices, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
	if (json_is_true(json_object_get(hc, "Privileged"))) {
		json_array_append_new(devices, json_pack("{s:b, s:s}", "allow", 1, "access", "rwm"));
	} else {
		for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
			json_t *d = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", default_devices[i].type, "access",
					      default_devices[i].access);
			if (default_devices[i].major >= 0)
				json_object_set_new(d, "major", json_integer(default_devices[i].major));
			if (default_devices[i].minor >= 0)
				json_object_set_new(d, "minor", json_integer(default_devices[i].minor));
			json_array_append_new(devices, d);
		}
	}
	set_positive(memory, "limit", hc, "Memory");
	set_positive(memory, "reservation", hc, "MemoryReservation");
	json_t *swap = json_object_get(hc, "MemorySwap");
	json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
	if (json_is_integer(swap) && json_integer_value(swap) != 0) {
		json_int_t s = json_integer_value(swap);
		if (s > 0 && mem > 0 && s < mem) {
			json_decref(res);
			return berth_error_set(err, EINVAL, "Minimum memoryswap limit should be larger than memory limit, "
							    "see usage");
		}
		json_object_set_new(memory, "swap", json_integer(s));
	} else if (mem > 0) {
		/* docker: swap defaults to twice the memory limit */
		json_object_set_new(memory, "swap", json_integer(mem * 2));
	}
	set_positive(cpu, "shares", hc, "CpuShares");
	set_positive(cpu, "quota", hc, "CpuQuota");
	set_positive(cpu, "period", hc, "CpuPeriod");
	json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	if (nano > 0) {
		if (json_integer_value(json_object_get(hc, "CpuQuota")) > 0) {
			json_decref(res);
			return berth_error_set(err, EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be "
							    "set");
		}
		/* docker: a 100 ms period and the quota that many CPUs get */
		json_object_set_new(cpu, "period", json_integer(100000));
		json_object_set_new(cpu, "quota", json_integer(nano / 10000));
	}
	const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
	if (cpus && *cpus)
		json_object_set_new(cpu, "cpus", json_string(cpus));
	const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
	if (mems && *mems)
		json_object_set_new(cpu, "mems", json_string(mems));
	json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
	if (pids > 0)
		json_object_set_new(res, "pids", json_pack("{s:I}", "limit", pids));
	json_int_t weight = json_integer_value(json_object_get(hc, "BlkioWeight"));
	if (weight > 0)
		json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight", weight));
	*ret = res;
	return 0;
}

int spec_rlimits(json_t *ulimits, json_t **ret, struct berth_error *err)
{
	json_t *out = json_array(), *u;
	size_t i;
	json_array_foreach(ulimits, i, u)
	{
		const char *name = json_string_value(json_object_get(u, "Name"));
		json_t *soft = json_object_get(u, "Soft"), *hard = json_object_get(u, "Hard");
		char type[64];
		if (!name || !*name || strlen(name) > 40 || !json_is_integer(soft) || !json_is_integer(hard)) {
			json_decref(out);
			return berth_error_set(err, EINVAL, "HostConfig.Ulimits[%zu]: want {Name, Soft, Hard}", i);
		}
		if (json_integer_value(soft) > json_integer_value(hard)) {
			json_decref(out);
			return berth_error_set(err, EINVAL, "ulimit soft limit must be less than or equal to hard limit: "
							    "%lld > %lld",
					       (long long) json_integer_value(soft), (long long) json_integer_value(hard));
		}
		snprintf(type, sizeof(type), "RLIMIT_%s", name);
		for (char *p = type; *p; p++)
			*p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "type", type, "hard", hard, "soft", soft));
	}
	*ret = out;
	return 0;
}

/* SecurityOpt entries are "key=value" (or docker's old "key:value"). */
static const char *security_opt(json_t *hc, const char *key)
{
	size_t i, n = strlen(key);
	json_t *v;
	json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, key, n) == 0 && (s[n] == '=' || s[n] == ':'))
			return s + n + 1;
		if (s && strcmp(s, key) == 0)
			return "";
	}
	return NULL;
}

bool spec_no_new_privileges(json_t *hc)
{
	const char *v = security_opt(hc, "no-new-privileges");
	return v && (!*v || strcmp(v, "true") == 0);
}

static int spec_seccomp(const struct berth_container_spec_input *in, json_t *caps, json_t **ret,
			struct berth_error *err)
{
	const char *opt = security_opt(in->host_config, "seccomp");
	_cleanup_json_ json_t *custom = NULL;
	json_t *profile = in->seccomp_default;
	*ret = NULL;
	if (json_is_true(json_object_get(in->host_config, "Privileged")) || (opt && strcmp(opt, "unconfined") == 0))
		return 0;
	if (opt && *opt) {
		/* the docker CLI sends the profile file's content */
		int r = bjson_parse(opt, strlen(opt), "seccomp profile", &custom, err);
		if (r < 0)
			return r;
		profile = custom;
	}
	if (!profile)
		return 0;
	const char *names[64] = { NULL };
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(caps, i, v) if (n + 1 < sizeof(names) / sizeof(names[0])) names[n++] = json_string_value(v);
	struct berth_seccomp_target t;
	berth_seccomp_target_host(&t);
	t.caps = names;
	return berth_seccomp_from_docker(profile, &t, ret, err);
}

/* As dockerd: a sysctl of a namespace the container shares with the
 * host would change the host. */
static int check_sysctls(json_t *hc, json_t *sysctls, struct berth_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(sysctls, key, v)
	{
		if (!json_is_string(v))
			return berth_error_set(err, EINVAL, "HostConfig.Sysctls.%s: want a string", key);
		if (strncmp(key, "net.", 4) == 0 && strcmp(mode_of(hc, "NetworkMode"), "host") == 0)
			return berth_error_set(err, EINVAL, "sysctl \"%s\" not allowed in host network namespace", key);
		if ((strncmp(key, "kernel.sem", 10) == 0 || strncmp(key, "kernel.shm", 10) == 0 ||
		     strncmp(key, "kernel.msg", 10) == 0 || strncmp(key, "fs.mqueue.", 10) == 0) &&
		    strcmp(mode_of(hc, "IpcMode"), "host") == 0)
			return berth_error_set(err, EINVAL, "sysctl \"%s\" not allowed with the host's IPC namespace",
					       key);
	}
	return 0;
}

int spec_linux(const struct berth_container_spec_input *in, json_t *caps, json_t **ret, struct berth_error *err)
{
	json_t *hc = in->host_config;
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	_cleanup_json_ json_t *namespaces = NULL, *resources = NULL, *seccomp = NULL;
	int r = spec_namespaces(in, &namespaces, err);
	if (r == 0)
		r = berth_container_resources(hc, &resources, err);
	if (r == 0)
		r = spec_seccomp(in, caps, &seccomp, err);
	if (r < 0)
		return r;
	char cgroup[512];
	snprintf(cgroup, sizeof(cgroup), "%s/%s", in->cgroup_parent ? in->cgroup_parent : "/berth", in->id);
	json_t *lx = json_pack("{s:O, s:O, s:s}", "namespaces", namespaces, "resources", resources, "cgroupsPath",
				  cgroup);
	if (!lx)
		return berth_error_sys(err, ENOMEM, "container spec");
	if (!privileged) {
		json_object_set_new(lx, "maskedPaths", strv_json(masked_paths));
		json_object_set_new(lx, "readonlyPaths", strv_json(readonly_paths));
	}
	if (seccomp)
		json_object_set(lx, "seccomp", seccomp);
	json_t *sysctls = json_object_get(hc, "Sysctls");
	if (json_object_size(sysctls) > 0)
		json_object_set(lx, "sysctl", sysctls);
	if ((r = check_sysctls(hc, sysctls, err)) < 0) {
		json_decref(lx);
		return r;
	}
	*ret = lx;
	return 0;
}
