/* config.json "linux" section -> struct berth_spec, and the checks that
 * span sections (a hostname needs a UTS namespace, and so on). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "json.h"
#include "seccomp_profile.h"
#include "spec.h"

int berth_linux_parse(struct berth_spec *spec, json_t *lx, struct berth_error *err);
int berth_id_mappings_parse(json_t *obj, const char *parent, const char *key, struct berth_id_mapping **ret,
			    size_t *ret_len, struct berth_error *err);

static const struct {
	const char *name;
	const char *proc_name;
	int clone_flag;
} ns_table[BERTH_NS_COUNT] = {
	[BERTH_NS_USER] = { "user", "user", CLONE_NEWUSER },
	[BERTH_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
	[BERTH_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[BERTH_NS_NETWORK] = { "network", "net", CLONE_NEWNET },
	[BERTH_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[BERTH_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[BERTH_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[BERTH_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *berth_ns_type_name(enum berth_ns_type t)
{
	return ns_table[t].name;
}

const char *berth_ns_proc_name(enum berth_ns_type t)
{
	return ns_table[t].proc_name;
}

int berth_ns_clone_flag(enum berth_ns_type t)
{
	return ns_table[t].clone_flag;
}

int berth_ns_type_from_name(const char *name)
{
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (strcmp(ns_table[t].name, name) == 0)
			return t;
	return -1;
}

static int parse_namespaces(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(lx, "linux", "namespaces", false, &arr, err);
	if (r <= 0)
		return r;
	json_array_foreach (arr, i, item) {
		char path[BJSON_PATH_MAX];
		const char *type, *nspath = NULL;
		int t;

		bjson_path_index(path, "linux.namespaces", i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", path);
		if ((r = bjson_get_string(item, path, "type", true, &type, err)) < 0 ||
		    (r = bjson_get_string(item, path, "path", false, &nspath, err)) < 0)
			return r;
		t = berth_ns_type_from_name(type);
		if (t < 0)
			return berth_error_set(err, EINVAL, "%s.type: unknown namespace type \"%s\"", path, type);
		if (spec->ns[t].enabled)
			return berth_error_set(err, EINVAL, "%s.type: namespace %s is listed twice", path, type);
		if (nspath && nspath[0] == '\0')
			nspath = NULL;
		if (nspath && nspath[0] != '/')
			return berth_error_set(err, EINVAL, "%s.path: must be an absolute path, not \"%s\"", path, nspath);
		spec->ns[t].enabled = true;
		spec->ns[t].path = nspath;
	}
	return 0;
}

int berth_id_mappings_parse(json_t *obj, const char *parent, const char *key, struct berth_id_mapping **ret,
			    size_t *ret_len, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(obj, parent, key, false, &arr, err);
	if (r <= 0)
		return r;
	bjson_path_key(path, parent, key);
	*ret = calloc(json_array_size(arr) + 1, sizeof(**ret));
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "%s", path);
	json_array_foreach (arr, i, item) {
		struct berth_id_mapping *m = &(*ret)[i];
		char ipath[BJSON_PATH_MAX];
		int64_t v;

		bjson_path_index(ipath, path, i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		if ((r = bjson_get_int(item, ipath, "containerID", true, 0, UINT32_MAX, &v, err)) < 0)
			return r;
		m->container_id = (uint32_t) v;
		if ((r = bjson_get_int(item, ipath, "hostID", true, 0, UINT32_MAX, &v, err)) < 0)
			return r;
		m->host_id = (uint32_t) v;
		if ((r = bjson_get_int(item, ipath, "size", true, 1, UINT32_MAX, &v, err)) < 0)
			return r;
		m->size = (uint32_t) v;
		if ((uint64_t) m->container_id + m->size > UINT32_MAX + UINT64_C(1) ||
		    (uint64_t) m->host_id + m->size > UINT32_MAX + UINT64_C(1))
			return berth_error_set(err, EINVAL, "%s: the range overflows 32 bits", ipath);
		*ret_len = i + 1;
	}
	return 0;
}

static int parse_time_offsets(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	const char *clock;
	json_t *obj, *v;
	int r;

	r = bjson_get_object(lx, "linux", "timeOffsets", false, &obj, err);
	if (r <= 0)
		return r;
	json_object_foreach (obj, clock, v) {
		struct berth_time_offset *t;
		char path[BJSON_PATH_MAX];
		int64_t n;

		bjson_path_key(path, "linux.timeOffsets", clock);
		if (strcmp(clock, "monotonic") == 0)
			t = &spec->time_monotonic;
		else if (strcmp(clock, "boottime") == 0)
			t = &spec->time_boottime;
		else
			return berth_error_set(err, EINVAL, "%s: unknown clock (monotonic or boottime)", path);
		if (!json_is_object(v))
			return berth_error_set(err, EINVAL, "%s: must be an object", path);
		t->set = true;
		if ((r = bjson_get_int(v, path, "secs", false, INT64_MIN, INT64_MAX, &t->secs, err)) < 0)
			return r;
		if ((r = bjson_get_int(v, path, "nanosecs", false, 0, 999999999, &n, err)) < 0)
			return r;
		t->nanosecs = (uint32_t) (r > 0 ? n : 0);
	}
	return 0;
}

static int parse_device(json_t *item, const char *path, struct berth_device *d, struct berth_error *err)
{
	const char *type;
	int64_t v;
	int r;

	if (!json_is_object(item))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((r = bjson_get_string(item, path, "type", true, &type, err)) < 0 ||
	    (r = bjson_get_string(item, path, "path", true, &d->path, err)) < 0)
		return r;
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return berth_error_set(err, EINVAL, "%s.type: must be one of c, b, u, p, not \"%s\"", path, type);
	d->type = type[0];
	if (d->path[0] != '/')
		return berth_error_set(err, EINVAL, "%s.path: must be an absolute path, not \"%s\"", path, d->path);
	r = bjson_get_int(item, path, "major", d->type != 'p', 0, 0xfff, &d->major, err);
	if (r < 0)
		return r;
	r = bjson_get_int(item, path, "minor", d->type != 'p', 0, 0xfffff, &d->minor, err);
	if (r < 0)
		return r;
	r = bjson_get_int(item, path, "fileMode", false, 0, 07777, &v, err);
	if (r < 0)
		return r;
	if ((d->has_file_mode = r > 0))
		d->file_mode = (uint32_t) v;
	r = bjson_get_int(item, path, "uid", false, 0, UINT32_MAX - 1, &v, err);
	if (r < 0)
		return r;
	if ((d->has_uid = r > 0))
		d->uid = (uint32_t) v;
	r = bjson_get_int(item, path, "gid", false, 0, UINT32_MAX - 1, &v, err);
	if (r < 0)
		return r;
	if ((d->has_gid = r > 0))
		d->gid = (uint32_t) v;
	return 0;
}

static int parse_devices(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(lx, "linux", "devices", false, &arr, err);
	if (r <= 0)
		return r;
	spec->devices = calloc(json_array_size(arr) + 1, sizeof(*spec->devices));
	if (spec->devices == NULL)
		return berth_error_sys(err, ENOMEM, "linux.devices");
	json_array_foreach (arr, i, item) {
		char path[BJSON_PATH_MAX];
		bjson_path_index(path, "linux.devices", i);
		if ((r = parse_device(item, path, &spec->devices[i], err)) < 0)
			return r;
		spec->n_devices = i + 1;
	}
	return 0;
}

static int parse_path_list(json_t *lx, const char *key, const char ***ret, struct berth_error *err)
{
	size_t n;
	int r = bjson_get_strv(lx, "linux", key, false, false, ret, &n, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((*ret)[i][0] != '/')
			return berth_error_set(err, EINVAL, "linux.%s[%zu]: must be an absolute path, not \"%s\"", key, i,
					       (*ret)[i]);
	return 0;
}

static int parse_propagation(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} table[] = {
		{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
		{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
		{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	const char *v;
	int r = bjson_get_string(lx, "linux", "rootfsPropagation", false, &v, err);

	if (r <= 0 || v[0] == '\0')
		return r < 0 ? r : 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(table); i++) {
		if (strcmp(v, table[i].name) == 0) {
			spec->rootfs_propagation = table[i].flags;
			return 0;
		}
	}
	return berth_error_set(err, EINVAL,
			       "linux.rootfsPropagation: must be shared, slave, private or unbindable, not \"%s\"", v);
}

/* Checks that need more than one field. */
static int check_consistency(struct berth_spec *spec, struct berth_error *err)
{
	struct berth_namespace *user = &spec->ns[BERTH_NS_USER];

	/* Without a mount namespace of its own the container's mounts are made
	 * in the caller's (what such a config asks for, as with runc), and
	 * nothing could hide /proc files from it. */
	if (!spec->ns[BERTH_NS_MOUNT].enabled &&
	    ((spec->masked_paths && spec->masked_paths[0]) || (spec->readonly_paths && spec->readonly_paths[0])))
		return berth_error_set(err, EINVAL,
				       "linux.maskedPaths, linux.readonlyPaths: hiding paths needs a mount namespace of "
				       "the container's own");
	if (!spec->ns[BERTH_NS_MOUNT].enabled && spec->root_readonly)
		return berth_error_set(err, EINVAL, "root.readonly: needs a mount namespace of the container's own");
	if (spec->hostname && spec->hostname[0] && !spec->ns[BERTH_NS_UTS].enabled)
		return berth_error_set(err, EINVAL, "hostname: setting it needs a uts namespace in linux.namespaces");
	if (spec->domainname && spec->domainname[0] && !spec->ns[BERTH_NS_UTS].enabled)
		return berth_error_set(err, EINVAL, "domainname: setting it needs a uts namespace in linux.namespaces");
	if ((spec->n_uid_mappings || spec->n_gid_mappings) && !(user->enabled && user->path == NULL))
		return berth_error_set(err, EINVAL,
				       "linux.uidMappings: mappings need a new user namespace in linux.namespaces");
	if (user->enabled && user->path == NULL && spec->n_uid_mappings == 0 && spec->n_gid_mappings == 0)
		return berth_error_set(err, EINVAL,
				       "linux.uidMappings: a new user namespace needs uidMappings or gidMappings");
	if ((spec->time_monotonic.set || spec->time_boottime.set) &&
	    !(spec->ns[BERTH_NS_TIME].enabled && spec->ns[BERTH_NS_TIME].path == NULL))
		return berth_error_set(err, EINVAL, "linux.timeOffsets: offsets need a new time namespace");
	return 0;
}

int berth_linux_parse(struct berth_spec *spec, json_t *lx, struct berth_error *err)
{
	int r;

	if (lx) {
		if ((r = parse_namespaces(spec, lx, err)) < 0 ||
		    (r = berth_id_mappings_parse(lx, "linux", "uidMappings", &spec->uid_mappings,
						 &spec->n_uid_mappings, err)) < 0 ||
		    (r = berth_id_mappings_parse(lx, "linux", "gidMappings", &spec->gid_mappings,
						 &spec->n_gid_mappings, err)) < 0 ||
		    (r = parse_time_offsets(spec, lx, err)) < 0 || (r = parse_devices(spec, lx, err)) < 0 ||
		    (r = parse_path_list(lx, "maskedPaths", &spec->masked_paths, err)) < 0 ||
		    (r = parse_path_list(lx, "readonlyPaths", &spec->readonly_paths, err)) < 0 ||
		    (r = parse_propagation(spec, lx, err)) < 0 ||
		    (r = bjson_get_string(lx, "linux", "mountLabel", false, &spec->mount_label, err)) < 0 ||
		    (r = bjson_get_string(lx, "linux", "cgroupsPath", false, &spec->cgroups_path, err)) < 0 ||
		    (r = bjson_get_object(lx, "linux", "resources", false, &spec->resources_json, err)) < 0 ||
		    (r = berth_resources_parse(spec->resources_json, "linux.resources", &spec->resources, err)) < 0 ||
		    (r = bjson_get_object(lx, "linux", "sysctl", false, &spec->sysctl, err)) < 0 ||
		    (r = bjson_get_object(lx, "linux", "seccomp", false, &spec->seccomp, err)) < 0 ||
		    (spec->seccomp && (r = berth_seccomp_validate(spec->seccomp, "linux.seccomp", err)) < 0))
			return r;
		if ((r = berth_linux_extras_parse(spec, lx, err)) < 0)
			return r;
	}
	return check_consistency(spec, err);
}
