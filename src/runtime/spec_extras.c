/* The rest of config-linux.md and config.md's Linux process: sysctl,
 * personality, scheduler, ioPriority, memoryPolicy, netDevices, intelRdt. */
#include <errno.h>
#include <linux/ioprio.h>
#include <linux/mempolicy.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

#include "cleanup.h"
#include "json.h"
#include "spec.h"

#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_RECLAIM 0x02
#define SCHED_FLAG_DL_OVERRUN 0x04
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13)
#endif

struct name_value {
	const char *name;
	long value;
};

static int lookup(const struct name_value *table, size_t n, const char *name, long *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0) {
			*ret = table[i].value;
			return 0;
		}
	return -EINVAL;
}

static const struct name_value sched_policies[] = {
	{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },	{ "SCHED_RR", SCHED_RR },
	{ "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", SCHED_ISO },	{ "SCHED_IDLE", SCHED_IDLE },
	{ "SCHED_DEADLINE", SCHED_DEADLINE },
};
static const struct name_value sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK }, { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
	{ "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },	   { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
	{ "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },	   { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};
static const struct name_value io_classes[] = {
	{ "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT }, { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
	{ "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};
static const struct name_value mpol_modes[] = {
	{ "MPOL_DEFAULT", MPOL_DEFAULT },	  { "MPOL_BIND", MPOL_BIND },
	{ "MPOL_INTERLEAVE", MPOL_INTERLEAVE },	  { "MPOL_WEIGHTED_INTERLEAVE", MPOL_WEIGHTED_INTERLEAVE },
	{ "MPOL_PREFERRED", MPOL_PREFERRED },	  { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
	{ "MPOL_LOCAL", MPOL_LOCAL },
};
static const struct name_value mpol_flags[] = {
	{ "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING },
	{ "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
	{ "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
};

static int parse_scheduler(json_t *process, const char *parent, struct berth_scheduler *s, struct berth_error *err)
{
	_cleanup_free_ const char **flags = NULL;
	char path[BJSON_PATH_MAX];
	const char *policy;
	json_t *obj;
	int64_t v;
	size_t n;
	long val;
	int r;

	r = bjson_get_object(process, parent, "scheduler", false, &obj, err);
	if (r <= 0)
		return r;
	bjson_path_key(path, parent, "scheduler");
	if ((r = bjson_get_string(obj, path, "policy", true, &policy, err)) < 0)
		return r;
	if (lookup(sched_policies, BERTH_ARRAY_SIZE(sched_policies), policy, &val) < 0)
		return berth_error_set(err, EINVAL, "%s.policy: unknown policy \"%s\"", path, policy);
	s->policy = (int) val;
	if ((r = bjson_get_int(obj, path, "nice", false, -20, 19, &v, err)) < 0)
		return r;
	s->nice = r > 0 ? (int32_t) v : 0;
	if ((r = bjson_get_int(obj, path, "priority", false, 0, 99, &v, err)) < 0)
		return r;
	s->priority = r > 0 ? (int32_t) v : 0;
	if ((r = bjson_get_uint64(obj, path, "runtime", false, &s->runtime, err)) < 0 ||
	    (r = bjson_get_uint64(obj, path, "deadline", false, &s->deadline, err)) < 0 ||
	    (r = bjson_get_uint64(obj, path, "period", false, &s->period, err)) < 0 ||
	    (r = bjson_get_strv(obj, path, "flags", false, false, &flags, &n, err)) < 0)
		return r;
	for (size_t i = 0; flags && i < n; i++) {
		if (lookup(sched_flags, BERTH_ARRAY_SIZE(sched_flags), flags[i], &val) < 0)
			return berth_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"", path, i, flags[i]);
		s->flags |= (uint64_t) val;
	}
	if ((s->policy == SCHED_FIFO || s->policy == SCHED_RR) && s->priority == 0)
		return berth_error_set(err, EINVAL, "%s.priority: %s needs a priority from 1 to 99", path, policy);
	s->set = true;
	return 0;
}

static int parse_io_priority(json_t *process, const char *parent, struct berth_io_priority *io,
			     struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	const char *cls;
	json_t *obj;
	int64_t level;
	long val;
	int r;

	r = bjson_get_object(process, parent, "ioPriority", false, &obj, err);
	if (r <= 0)
		return r;
	bjson_path_key(path, parent, "ioPriority");
	if ((r = bjson_get_string(obj, path, "class", true, &cls, err)) < 0 ||
	    (r = bjson_get_int(obj, path, "priority", true, 0, 7, &level, err)) < 0)
		return r;
	if (lookup(io_classes, BERTH_ARRAY_SIZE(io_classes), cls, &val) < 0)
		return berth_error_set(err, EINVAL, "%s.class: unknown class \"%s\"", path, cls);
	io->ioclass = (int) val;
	io->level = (int) level;
	io->set = true;
	return 0;
}

int berth_process_extras_parse(json_t *process, const char *path, struct berth_process *p, struct berth_error *err)
{
	int r;

	if ((r = parse_scheduler(process, path, &p->scheduler, err)) < 0)
		return r;
	return parse_io_priority(process, path, &p->io_priority, err);
}

int berth_parse_cpu_list(const char *text, unsigned long *mask, size_t max_bits, unsigned long *ret_highest)
{
	const size_t word = sizeof(unsigned long) * 8;
	unsigned long highest = 0;

	for (const char *p = text; *p;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -EINVAL;
		}
		if (b >= max_bits)
			return -ERANGE;
		for (unsigned long i = a; i <= b; i++)
			mask[i / word] |= 1UL << (i % word);
		highest = b > highest ? b : highest;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	*ret_highest = highest;
	return 0;
}

static int parse_memory_policy(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	struct berth_memory_policy *m = &spec->memory_policy;
	_cleanup_free_ const char **flags = NULL;
	const char *mode, *nodes = NULL;
	const char *path = "linux.memoryPolicy";
	unsigned long highest;
	json_t *obj;
	size_t n;
	long val;
	int r;

	r = bjson_get_object(lx, "linux", "memoryPolicy", false, &obj, err);
	if (r <= 0)
		return r;
	if ((r = bjson_get_string(obj, path, "mode", true, &mode, err)) < 0 ||
	    (r = bjson_get_string(obj, path, "nodes", false, &nodes, err)) < 0 ||
	    (r = bjson_get_strv(obj, path, "flags", false, false, &flags, &n, err)) < 0)
		return r;
	if (lookup(mpol_modes, BERTH_ARRAY_SIZE(mpol_modes), mode, &val) < 0)
		return berth_error_set(err, EINVAL, "%s.mode: unknown mode \"%s\"", path, mode);
	m->mode = (int) val;
	for (size_t i = 0; flags && i < n; i++) {
		if (lookup(mpol_flags, BERTH_ARRAY_SIZE(mpol_flags), flags[i], &val) < 0)
			return berth_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"", path, i, flags[i]);
		m->flags |= (unsigned) val;
	}
	if (nodes && nodes[0]) {
		if (berth_parse_cpu_list(nodes, m->nodemask, sizeof(m->nodemask) * 8, &highest) < 0)
			return berth_error_set(err, EINVAL, "%s.nodes: \"%s\" is not a node list like 0-3,7", path, nodes);
		m->maxnode = highest + 2;
	}
	if ((m->mode == MPOL_DEFAULT || m->mode == MPOL_LOCAL) && m->maxnode)
		return berth_error_set(err, EINVAL, "%s.nodes: %s takes no nodes", path, mode);
	if ((m->mode == MPOL_BIND || m->mode == MPOL_INTERLEAVE || m->mode == MPOL_PREFERRED_MANY ||
	     m->mode == MPOL_WEIGHTED_INTERLEAVE) &&
	    !m->maxnode)
		return berth_error_set(err, EINVAL, "%s.nodes: %s needs at least one node", path, mode);
	m->set = true;
	return 0;
}

static int parse_personality(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	_cleanup_free_ const char **flags = NULL;
	const char *domain;
	json_t *obj;
	size_t n;
	int r;

	r = bjson_get_object(lx, "linux", "personality", false, &obj, err);
	if (r <= 0)
		return r;
	if ((r = bjson_get_string(obj, "linux.personality", "domain", true, &domain, err)) < 0 ||
	    (r = bjson_get_strv(obj, "linux.personality", "flags", false, false, &flags, &n, err)) < 0)
		return r;
	if (strcmp(domain, "LINUX") == 0)
		spec->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		spec->personality = PER_LINUX32;
	else
		return berth_error_set(err, EINVAL, "linux.personality.domain: must be LINUX or LINUX32, not \"%s\"", domain);
	if (flags && n > 0)
		return berth_error_set(err, EINVAL, "linux.personality.flags: no flags are supported (got \"%s\")", flags[0]);
	spec->has_personality = true;
	return 0;
}

/* A sysctl is allowed only when it belongs to a namespace the container
 * has of its own: otherwise writing it would change the host. */
static int check_sysctl(const struct berth_spec *spec, const char *key, struct berth_error *err)
{
	static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
						"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
	bool own_ipc = spec->ns[BERTH_NS_IPC].enabled, own_net = spec->ns[BERTH_NS_NETWORK].enabled;

	if (key[0] == '\0' || strstr(key, "..") || key[0] == '.' || key[0] == '/')
		return berth_error_set(err, EINVAL, "linux.sysctl: \"%s\" is not a sysctl name", key);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(ipc_keys); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			goto ipc;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		goto ipc;
	if (strncmp(key, "net.", 4) == 0) {
		if (!own_net)
			return berth_error_set(err, EPERM,
					       "linux.sysctl: %s is not namespaced for this container: it needs its own "
					       "network namespace",
					       key);
		return 0;
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return berth_error_set(err, EINVAL, "linux.sysctl: set %s through the hostname and domainname fields", key);
	return berth_error_set(err, EPERM,
			       "linux.sysctl: %s is not namespaced: setting it from a container would change the host",
			       key);
ipc:
	if (!own_ipc)
		return berth_error_set(err, EPERM,
				       "linux.sysctl: %s is not namespaced for this container: it needs its own ipc "
				       "namespace",
				       key);
	return 0;
}

static int parse_net_devices(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	const char *host;
	json_t *v;
	int r;

	r = bjson_get_object(lx, "linux", "netDevices", false, &spec->net_devices, err);
	if (r <= 0)
		return r;
	if (!spec->ns[BERTH_NS_NETWORK].enabled && json_object_size(spec->net_devices))
		return berth_error_set(err, EINVAL,
				       "linux.netDevices: moving devices needs a network namespace of the container's own");
	json_object_foreach (spec->net_devices, host, v) {
		char path[BJSON_PATH_MAX];
		const char *name = NULL;

		bjson_path_key(path, "linux.netDevices", host);
		if (host[0] == '\0' || strlen(host) >= IFNAMSIZ || strchr(host, '/'))
			return berth_error_set(err, EINVAL, "%s: \"%s\" is not an interface name", path, host);
		if (!json_is_object(v))
			return berth_error_set(err, EINVAL, "%s: must be an object", path);
		if ((r = bjson_get_string(v, path, "name", false, &name, err)) < 0)
			return r;
		if (name && (name[0] == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/')))
			return berth_error_set(err, EINVAL, "%s.name: \"%s\" is not an interface name", path, name);
	}
	return 0;
}

static int parse_intel_rdt(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	_cleanup_free_ const char **schemata = NULL;
	const char *clos = NULL, *l3 = NULL, *mb = NULL;
	json_t *obj;
	bool b;
	int r;

	r = bjson_get_object(lx, "linux", "intelRdt", false, &obj, err);
	if (r <= 0)
		return r;
	spec->intel_rdt = obj;
	if ((r = bjson_get_string(obj, "linux.intelRdt", "closID", false, &clos, err)) < 0 ||
	    (r = bjson_get_string(obj, "linux.intelRdt", "l3CacheSchema", false, &l3, err)) < 0 ||
	    (r = bjson_get_string(obj, "linux.intelRdt", "memBwSchema", false, &mb, err)) < 0 ||
	    (r = bjson_get_strv(obj, "linux.intelRdt", "schemata", false, false, &schemata, NULL, err)) < 0 ||
	    (r = bjson_get_bool(obj, "linux.intelRdt", "enableMonitoring", false, &b, err)) < 0)
		return r;
	if (r > 0 && b)
		return berth_error_set(err, ENOTSUP, "linux.intelRdt.enableMonitoring: monitoring groups are not supported");
	if (mb && strncmp(mb, "MB:", 3) != 0)
		return berth_error_set(err, EINVAL, "linux.intelRdt.memBwSchema: must start with MB:");
	if ((l3 && strchr(l3, '\n')) || (mb && strchr(mb, '\n')))
		return berth_error_set(err, EINVAL, "linux.intelRdt: schemata must not contain newlines");
	return 0;
}

int berth_linux_extras_parse(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	const char *key;
	json_t *v;
	int r;

	if (spec->sysctl) {
		json_object_foreach (spec->sysctl, key, v) {
			if (!json_is_string(v))
				return berth_error_set(err, EINVAL, "linux.sysctl.%s: must be a string", key);
			if ((r = check_sysctl(spec, key, err)) < 0)
				return r;
		}
	}
	if ((r = parse_personality(spec, lx, err)) < 0 || (r = parse_memory_policy(spec, lx, err)) < 0 ||
	    (r = parse_net_devices(spec, lx, err)) < 0 || (r = parse_intel_rdt(spec, lx, err)) < 0)
		return r;
	return 0;
}
