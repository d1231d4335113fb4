/* config.json mounts as dockerd makes them: its defaults (proc, a tmpfs
 * /dev, devpts, sysfs, cgroup, mqueue, /dev/shm), the container's own
 * /etc/hostname, /etc/hosts and /etc/resolv.conf, then the user's mounts
 * (-v binds and volumes, --mount, --tmpfs), which replace a default at the
 * same destination; sorted so that a parent is mounted before its children.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "container_spec_internal.h"
#include "file.h"
#include "json.h"

static json_t *mount_new(const char *dest, const char *type, const char *source, const char *options)
{
	json_t *opts = json_array();
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", options);
	for (char *save = NULL, *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save))
		json_array_append_new(opts, json_string(o));
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source, "options", opts);
}

static void add_defaults(const struct berth_container_spec_input *in, json_t *out)
{
	bool privileged = json_is_true(json_object_get(in->host_config, "Privileged"));
	json_int_t shm = json_integer_value(json_object_get(in->host_config, "ShmSize"));
	char shm_opts[128];
	snprintf(shm_opts, sizeof(shm_opts), "nosuid,noexec,nodev,mode=1777,size=%lld",
		 (long long) (shm > 0 ? shm : BERTH_DEFAULT_SHM_SIZE));
	json_array_append_new(out, mount_new("/proc", "proc", "proc", "nosuid,noexec,nodev"));
	json_array_append_new(out, mount_new("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(out, mount_new("/dev/pts", "devpts", "devpts",
					     "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_array_append_new(out, mount_new("/sys", "sysfs", "sysfs", privileged ? "nosuid,noexec,nodev,rw"
										      : "nosuid,noexec,nodev,ro"));
	json_array_append_new(out, mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
					     privileged ? "rw,nosuid,noexec,nodev,relatime"
							: "ro,nosuid,noexec,nodev,relatime"));
	json_array_append_new(out, mount_new("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	const char *ipc = json_string_value(json_object_get(in->host_config, "IpcMode"));
	if (ipc && strcmp(ipc, "host") == 0)
		json_array_append_new(out, mount_new("/dev/shm", "bind", "/dev/shm", "rbind,rprivate"));
	else if (!ipc || strcmp(ipc, "none") != 0)
		json_array_append_new(out, mount_new("/dev/shm", "tmpfs", "shm", shm_opts));
	const struct {
		const char *dest, *source;
	} files[] = { { "/etc/resolv.conf", in->resolv_path },
		      { "/etc/hostname", in->hostname_path },
		      { "/etc/hosts", in->hosts_path } };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].source)
			json_array_append_new(out, mount_new(files[i].dest, "bind", files[i].source, "rbind,rprivate"));
	if (in->init_path)
		json_array_append_new(out, mount_new(BERTH_SPEC_INIT_PATH, "bind", in->init_path, "rbind,ro,rprivate"));
}

static bool is_propagation(const char *o)
{
	static const char *const modes[] = { "shared", "slave", "private", "rshared", "rslave", "rprivate", NULL };
	for (const char *const *m = modes; *m; m++)
		if (strcmp(o, *m) == 0)
			return true;
	return false;
}

/* -v SOURCE:DEST[:OPTIONS]: a host path (created when missing, as docker
 * does) or a named volume. */
static int bind_from_spec(const struct berth_container_spec_input *in, const char *spec, json_t **ret,
			  struct berth_error *err)
{
	char buf[4096], *fields[3] = { NULL };
	size_t n = 0;
	if (strlen(spec) >= sizeof(buf))
		return berth_error_set(err, EINVAL, "invalid volume specification: '%.64s...': too long", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *p = buf; n < 3;) {
		fields[n++] = p;
		char *colon = strchr(p, ':');
		if (!colon)
			break;
		*colon = '\0';
		p = colon + 1;
	}
	if (n < 2 || !*fields[0] || !*fields[1] || (n == 3 && strchr(fields[2], ':')))
		return berth_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
	if (fields[1][0] != '/')
		return berth_error_set(err, EINVAL, "invalid volume specification: '%s': invalid mount config for type "
						    "\"bind\": invalid mount path: '%s' mount path must be absolute",
				       spec, fields[1]);
	char opts[256] = "rbind";
	bool propagation = false;
	for (char *save = NULL, *o = n == 3 ? strtok_r(fields[2], ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0 || is_propagation(o)) {
			propagation |= is_propagation(o);
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",%s", o);
		} else if (strcmp(o, "z") != 0 && strcmp(o, "Z") != 0 && strcmp(o, "nocopy") != 0) {
			return berth_error_set(err, EINVAL, "invalid volume specification: '%s': invalid mode: %s", spec,
					       o);
		}
	}
	if (!propagation)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",rprivate");
	_cleanup_free_ char *source = NULL;
	if (fields[0][0] == '/') {
		struct stat st;
		if (stat(fields[0], &st) < 0 && berth_mkdir_p(fields[0], 0755) < 0)
			return berth_error_sys(err, errno, "create the bind source %s", fields[0]);
		source = strdup(fields[0]);
	} else {
		int r = in->volume_path ? in->volume_path(in->volume_ctx, fields[0], &source, err)
					: berth_error_set(err, ENOTSUP, "volume %s: volumes are not available", fields[0]);
		if (r < 0)
			return r;
	}
	if (!source)
		return berth_error_sys(err, ENOMEM, "mount %s", spec);
	*ret = mount_new(fields[1], "bind", source, opts);
	return 0;
}

/* The anonymous volume made at create for a destination, or NULL. */
static const char *anonymous_volume(const struct berth_container_spec_input *in, const char *dest)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s", dest);
	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	return json_string_value(json_object_get(json_object_get(in->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), d));
}

/* --mount type=bind|volume|tmpfs (the API's HostConfig.Mounts). */
static int mount_from_object(const struct berth_container_spec_input *in, json_t *m, size_t index, json_t **ret,
			     struct berth_error *err)
{
	const char *type = json_string_value(json_object_get(m, "Type"));
	const char *src = json_string_value(json_object_get(m, "Source"));
	const char *target = json_string_value(json_object_get(m, "Target"));
	bool ro = json_is_true(json_object_get(m, "ReadOnly"));
	if (!type || !target || target[0] != '/')
		return berth_error_set(err, EINVAL,
				       "HostConfig.Mounts[%zu]: invalid mount config for type \"%s\": invalid mount path: "
				       "'%s' mount path must be absolute",
				       index, type ? type : "", target ? target : "");
	if (strcmp(type, "tmpfs") == 0) {
		json_t *t = json_object_get(m, "TmpfsOptions");
		json_int_t size = json_integer_value(json_object_get(t, "SizeBytes"));
		json_int_t mode = json_integer_value(json_object_get(t, "Mode"));
		char opts[128];
		snprintf(opts, sizeof(opts), "nosuid,nodev,noexec%s", ro ? ",ro" : "");
		if (size > 0)
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",size=%lld", (long long) size);
		if (mode > 0)
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",mode=%llo", (long long) mode);
		*ret = mount_new(target, "tmpfs", "tmpfs", opts);
		return 0;
	}
	_cleanup_free_ char *source = NULL;
	if (strcmp(type, "bind") == 0) {
		struct stat st;
		if (!src || src[0] != '/')
			return berth_error_set(err, EINVAL, "HostConfig.Mounts[%zu]: invalid mount config for type \"bind\": "
							    "invalid mount path: '%s' mount path must be absolute",
					       index, src ? src : "");
		if (stat(src, &st) < 0)
			return berth_error_set(err, EINVAL, "invalid mount config for type \"bind\": bind source path does "
							    "not exist: %s",
					       src);
		source = strdup(src);
	} else if (strcmp(type, "volume") == 0) {
		if (!src || !*src)
			src = anonymous_volume(in, target);
		int r = in->volume_path && src && *src
				? in->volume_path(in->volume_ctx, src, &source, err)
				: berth_error_set(err, ENOTSUP, "HostConfig.Mounts[%zu]: a volume needs a name", index);
		if (r < 0)
			return r;
	} else {
		return berth_error_set(err, EINVAL, "HostConfig.Mounts[%zu]: mount type unknown: \"%s\"", index, type);
	}
	if (!source)
		return berth_error_sys(err, ENOMEM, "mount %s", target);
	const char *prop = json_string_value(json_object_get(json_object_get(m, "BindOptions"), "Propagation"));
	char opts[128];
	snprintf(opts, sizeof(opts), "rbind,%s,%s", ro ? "ro" : "rw", prop && is_propagation(prop) ? prop : "rprivate");
	*ret = mount_new(target, "bind", source, opts);
	return 0;
}

/* Replace a mount at the same destination, or refuse a user duplicate. */
static int add_user_mount(json_t *mounts, size_t n_defaults, json_t *m, struct berth_error *err)
{
	const char *dest = json_string_value(json_object_get(m, "destination"));
	size_t i;
	json_t *v;
	json_array_foreach(mounts, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "destination")), dest) != 0)
			continue;
		if (i >= n_defaults) {
			int r = berth_error_set(err, EINVAL, "Duplicate mount point: %s", dest);
			json_decref(m);
			return r;
		}
		json_array_set_new(mounts, i, m);
		return 0;
	}
	json_array_append_new(mounts, m);
	return 0;
}

static size_t depth(json_t *m)
{
	size_t n = 0;
	for (const char *p = json_string_value(json_object_get(m, "destination")); *p; p++)
		n += *p == '/' && p[1] && p[1] != '/';
	return n;
}

/* Stable insertion sort by depth: the defaults keep docker's order. */
static void sort_by_depth(json_t *mounts)
{
	size_t n = json_array_size(mounts);
	for (size_t i = 1; i < n; i++) {
		json_t *m = json_incref(json_array_get(mounts, i));
		size_t j = i;
		while (j > 0 && depth(json_array_get(mounts, j - 1)) > depth(m)) {
			json_array_set(mounts, j, json_array_get(mounts, j - 1));
			j--;
		}
		json_array_set_new(mounts, j, m);
	}
}

/* Config.Volumes paths that got an anonymous volume and that nothing else
 * mounts on. */
static int anonymous_mounts(const struct berth_container_spec_input *in, json_t *out, size_t n_defaults,
			    struct berth_error *err)
{
	const char *dest;
	json_t *name, *m;
	size_t i;
	json_object_foreach(json_object_get(in->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), dest, name)
	{
		bool taken = false;
		json_array_foreach(out, i, m)
		{
			if (i >= n_defaults && strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
				taken = true;
		}
		if (taken || !json_is_string(name))
			continue;
		_cleanup_free_ char *source = NULL;
		int r = in->volume_path ? in->volume_path(in->volume_ctx, json_string_value(name), &source, err)
					: berth_error_set(err, ENOTSUP, "volume %s: volumes are not available",
							  json_string_value(name));
		if (r < 0)
			return r;
		if ((r = add_user_mount(out, n_defaults, mount_new(dest, "bind", source, "rbind,rw,rprivate"), err)) < 0)
			return r;
	}
	return 0;
}

int spec_mounts(const struct berth_container_spec_input *in, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *out = json_array();
	json_t *hc = in->host_config, *v, *m = NULL;
	const char *key;
	size_t i;
	int r;
	add_defaults(in, out);
	size_t n_defaults = json_array_size(out);
	json_array_foreach(json_object_get(hc, "Binds"), i, v)
	{
		if (!json_is_string(v))
			return berth_error_set(err, EINVAL, "HostConfig.Binds[%zu]: want a string", i);
		if ((r = bind_from_spec(in, json_string_value(v), &m, err)) < 0 ||
		    (r = add_user_mount(out, n_defaults, m, err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(hc, "Mounts"), i, v)
	{
		if ((r = mount_from_object(in, v, i, &m, err)) < 0 || (r = add_user_mount(out, n_defaults, m, err)) < 0)
			return r;
	}
	json_object_foreach(json_object_get(hc, "Tmpfs"), key, v)
	{
		const char *opts = json_string_value(v);
		char all[512];
		if (key[0] != '/')
			return berth_error_set(err, EINVAL, "invalid mount path: '%s' mount path must be absolute", key);
		snprintf(all, sizeof(all), "nosuid,nodev,noexec%s%s", opts && *opts ? "," : "", opts ? opts : "");
		if ((r = add_user_mount(out, n_defaults, mount_new(key, "tmpfs", "tmpfs", all), err)) < 0)
			return r;
	}
	if ((r = anonymous_mounts(in, out, n_defaults, err)) < 0)
		return r;
	sort_by_depth(out);
	*ret = berth_steal_ptr(&out);
	return 0;
}
