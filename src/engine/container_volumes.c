/* The volumes of one container, as dockerd keeps them:
 *
 *   create:  named volumes (-v NAME:/x, --mount type=volume,src=NAME) are
 *            made when missing and referenced; every path the image or
 *            the request declares in Config.Volumes that no bind, mount or
 *            tmpfs covers, and every --mount type=volume without a source,
 *            gets an anonymous volume (a random name, docker's label).
 *            Which anonymous volume serves which path is kept in the
 *            stored HostConfig under BERTH_ANONYMOUS_VOLUMES_KEY (inspect
 *            leaves it out), so a restart of the daemon or of the
 *            container mounts the same ones;
 *   start:   a volume that is still empty gets what the image has at its
 *            path (docker's copy-up), unless the mount says nocopy;
 *   remove:  the references go; with -v (and for --rm) the container's
 *            anonymous volumes go too, as `docker rm -v` removes them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_spec.h"
#include "copy.h"
#include "engine_containers_internal.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "path.h"
#include "volumes.h"

/* "/data/" and "/data" are one destination. */
static void clean_dest(const char *in, char out[4096])
{
	if (in != out)
		snprintf(out, 4096, "%s", in);
	size_t n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
}

/* The destinations the request mounts something on itself. */
static json_t *user_destinations(json_t *host_config)
{
	json_t *dests = json_object(), *v;
	const char *key;
	size_t i;
	char d[4096];
	json_array_foreach(json_object_get(host_config, "Binds"), i, v)
	{
		const char *spec = json_string_value(v), *colon = spec ? strchr(spec, ':') : NULL;
		if (!colon)
			continue;
		snprintf(d, sizeof(d), "%.*s", (int) strcspn(colon + 1, ":"), colon + 1);
		clean_dest(d, d);
		json_object_set_new(dests, d, json_true());
	}
	json_array_foreach(json_object_get(host_config, "Mounts"), i, v)
	{
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (target) {
			clean_dest(target, d);
			json_object_set_new(dests, d, json_true());
		}
	}
	json_object_foreach(json_object_get(host_config, "Tmpfs"), key, v)
	{
		clean_dest(key, d);
		json_object_set_new(dests, d, json_true());
	}
	return dests;
}

static int acquire(struct berth_engine *e, const char *name, const char *id, char ret_name[BERTH_VOLUME_NAME_MAX + 1],
		   struct berth_error *err)
{
	_cleanup_volume_ struct berth_volume vol = { 0 };
	int r = berth_engine_volume_acquire(e, name, id, &vol, err);
	if (r == 0 && ret_name)
		snprintf(ret_name, BERTH_VOLUME_NAME_MAX + 1, "%s", vol.name);
	return r;
}

static int acquire_anonymous(struct berth_engine *e, const char *id, const char *dest, json_t *anonymous,
			     struct berth_error *err)
{
	char name[BERTH_VOLUME_NAME_MAX + 1], d[4096];
	clean_dest(dest, d);
	if (json_object_get(anonymous, d))
		return 0;
	int r = acquire(e, "", id, name, err);
	if (r == 0)
		json_object_set_new(anonymous, d, json_string(name));
	return r;
}

int container_volumes_acquire(struct berth_engine *e, const char *id, json_t *config, json_t *host_config,
			      struct berth_error *err)
{
	_cleanup_json_ json_t *taken = user_destinations(host_config);
	_cleanup_json_ json_t *anonymous = json_object();
	const char *key;
	size_t i;
	json_t *v;
	int r;
	if (!taken || !anonymous)
		return berth_error_sys(err, ENOMEM, "volumes of %s", id);
	json_array_foreach(json_object_get(host_config, "Binds"), i, v)
	{
		const char *spec = json_string_value(v);
		char name[256];
		if (!spec || spec[0] == '/' || strcspn(spec, ":") >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) strcspn(spec, ":"), spec);
		if ((r = acquire(e, name, id, NULL, err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(host_config, "Mounts"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *source = json_string_value(json_object_get(v, "Source"));
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (!type || strcmp(type, "volume") != 0 || !target)
			continue;
		r = source && *source ? acquire(e, source, id, NULL, err)
				      : acquire_anonymous(e, id, target, anonymous, err);
		if (r < 0)
			return r;
	}
	json_object_foreach(json_object_get(config, "Volumes"), key, v)
	{
		char d[4096];
		clean_dest(key, d);
		if (key[0] != '/' || json_object_get(taken, d))
			continue;
		if ((r = acquire_anonymous(e, id, key, anonymous, err)) < 0)
			return r;
	}
	if (json_object_size(anonymous) > 0 &&
	    json_object_set(host_config, BERTH_ANONYMOUS_VOLUMES_KEY, anonymous) < 0)
		return berth_error_sys(err, ENOMEM, "volumes of %s", id);
	return 0;
}

/* ---- copy-up at start ---- */

static bool dir_empty(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return false;
	berth_steal_fd(&fd);
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* What the image has at dest (resolved inside the rootfs: a symlink in the
 * image cannot point the copy elsewhere) into the volume, when the volume
 * is empty. */
static int copy_up(struct berth_engine *e, int rootfd, const char *rootfs, const char *name, const char *dest,
		   struct berth_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r = berth_engine_volume_path(e, name, &path, err);
	if (r < 0)
		return r;
	_cleanup_close_ int dst = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return berth_error_sys(err, errno, "open volume %s", name);
	if (!dir_empty(dst))
		return 0;
	_cleanup_close_ int src = berth_openat_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY);
	if (src < 0)
		return 0; /* nothing there, or not a directory: nothing to copy */
	r = berth_copy_tree_flags(src, dst, BERTH_COPY_XATTRS | BERTH_COPY_HARDLINKS, err);
	if (r < 0)
		return berth_error_wrap(err, "copy %s%s into volume %s", rootfs, dest, name);
	return 0;
}

static bool bind_nocopy(const char *spec)
{
	const char *opts = strchr(spec, ':');
	opts = opts ? strchr(opts + 1, ':') : NULL;
	return opts && strstr(opts, "nocopy");
}

int container_volumes_populate(struct berth_engine *e, const struct berth_container_record *c, const char *rootfs,
			       struct berth_error *err)
{
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	json_t *anonymous = json_object_get(c->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), *v;
	const char *key;
	size_t i;
	int r = 0;
	if (rootfd < 0)
		return berth_error_sys(err, errno, "open %s", rootfs);
	json_array_foreach(json_object_get(c->host_config, "Binds"), i, v)
	{
		const char *spec = json_string_value(v);
		char name[256], dest[4096];
		if (!spec || spec[0] == '/' || !strchr(spec, ':') || strcspn(spec, ":") >= sizeof(name) ||
		    bind_nocopy(spec))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) strcspn(spec, ":"), spec);
		const char *d = spec + strlen(name) + 1;
		snprintf(dest, sizeof(dest), "%.*s", (int) strcspn(d, ":"), d);
		if ((r = copy_up(e, rootfd, rootfs, name, dest, err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(c->host_config, "Mounts"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *source = json_string_value(json_object_get(v, "Source"));
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (!type || strcmp(type, "volume") != 0 || !source || !*source || !target ||
		    json_is_true(json_object_get(json_object_get(v, "VolumeOptions"), "NoCopy")))
			continue;
		if ((r = copy_up(e, rootfd, rootfs, source, target, err)) < 0)
			return r;
	}
	json_object_foreach(anonymous, key, v)
	{
		if (json_is_string(v) && (r = copy_up(e, rootfd, rootfs, json_string_value(v), key, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- events ---- */

static void volume_event(struct berth_engine *e, const char *action, const char *container, const char *name,
			 const char *dest, bool rw)
{
	berth_events_publish(e->events, "volume", action, name,
			     json_pack("{s:s, s:s, s:s, s:s, s:s}", "container", container, "destination", dest, "driver",
				       BERTH_VOLUME_DRIVER, "propagation", "", "read/write", rw ? "true" : "false"));
}

static bool bind_read_only(const char *spec)
{
	const char *opts = strchr(spec, ':');
	opts = opts ? strchr(opts + 1, ':') : NULL;
	if (!opts)
		return false;
	for (const char *o = opts + 1; *o; o += strcspn(o, ","), o += *o == ',')
		if (strncmp(o, "ro", 2) == 0 && (o[2] == ',' || o[2] == '\0'))
			return true;
	return false;
}

void container_volumes_events(struct berth_engine *e, const struct berth_container_record *c, const char *action)
{
	json_t *anonymous = json_object_get(c->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), *v;
	const char *key;
	size_t i;
	json_array_foreach(json_object_get(c->host_config, "Binds"), i, v)
	{
		const char *spec = json_string_value(v);
		char name[256], dest[4096];
		if (!spec || spec[0] == '/' || !strchr(spec, ':') || strcspn(spec, ":") >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) strcspn(spec, ":"), spec);
		const char *d = spec + strlen(name) + 1;
		snprintf(dest, sizeof(dest), "%.*s", (int) strcspn(d, ":"), d);
		volume_event(e, action, c->id, name, dest, !bind_read_only(spec));
	}
	json_array_foreach(json_object_get(c->host_config, "Mounts"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *source = json_string_value(json_object_get(v, "Source"));
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (type && strcmp(type, "volume") == 0 && source && *source && target)
			volume_event(e, action, c->id, source, target, !json_is_true(json_object_get(v, "ReadOnly")));
	}
	json_object_foreach(anonymous, key, v)
	{
		if (json_is_string(v))
			volume_event(e, action, c->id, json_string_value(v), key, true);
	}
}

/* ---- remove ---- */

void container_volumes_remove_anonymous(struct berth_engine *e, const struct berth_container_record *c)
{
	json_t *anonymous = json_object_get(c->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), *v;
	const char *key;
	json_object_foreach(anonymous, key, v)
	{
		struct berth_error err = { 0 };
		const char *name = json_string_value(v);
		/* another container may use it too (--volumes-from, -v NAME:):
		 * then it stays, as dockerd leaves a volume in use */
		int r = name ? berth_engine_volume_remove(e, name, false, &err) : 0;
		if (r < 0 && r != -ENOENT && r != -EBUSY)
			berth_warn("container %s: remove its volume %s: %s", c->id, name, err.msg);
	}
}

json_t *container_public_host_config(json_t *host_config)
{
	if (!json_object_get(host_config, BERTH_ANONYMOUS_VOLUMES_KEY))
		return json_incref(host_config);
	json_t *copy = json_copy(host_config);
	json_object_del(copy, BERTH_ANONYMOUS_VOLUMES_KEY);
	return copy;
}

void container_volumes_anonymous_json(struct berth_engine *e, const struct berth_container_record *c, json_t *mounts)
{
	json_t *anonymous = json_object_get(c->host_config, BERTH_ANONYMOUS_VOLUMES_KEY), *v;
	const char *dest;
	json_object_foreach(anonymous, dest, v)
	{
		const char *name = json_string_value(v);
		struct berth_volume vol = { 0 };
		struct berth_error ignored = { 0 };
		if (!name || berth_volumes_get(e->volumes, name, &vol, &ignored) < 0)
			continue;
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "volume", "Name",
							 name, "Source", vol.mountpoint ? vol.mountpoint : "",
							 "Destination", dest, "Driver", BERTH_VOLUME_DRIVER, "Mode", "",
							 "RW", 1, "Propagation", ""));
		berth_volume_clear(&vol);
	}
}
