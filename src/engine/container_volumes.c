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

/* A named volume the container mounts: -v NAME:DEST[:OPTIONS], --mount
 * type=volume,src=NAME, or (when asked for) an anonymous one made at create. */
struct volume_mount {
	const char *name, *dest;
	bool rw, nocopy;
};
typedef int (*volume_mount_fn)(void *ctx, const struct volume_mount *m, struct berth_error *err);

/* -v's options: a comma-separated list ("ro,nocopy", "z"). */
static void bind_options(const char *opts, struct volume_mount *m)
{
	for (const char *o = opts; o && *o; o += strcspn(o, ","), o += *o == ',') {
		size_t n = strcspn(o, ",");
		if (n == 2 && strncmp(o, "ro", 2) == 0)
			m->rw = false;
		else if (n == 6 && strncmp(o, "nocopy", 6) == 0)
			m->nocopy = true;
	}
}

/* fn for each volume of host_config, in its order: Binds, Mounts, then the
 * anonymous ones when asked; the first error stops it. */
static int each_volume(json_t *host_config, bool anonymous, volume_mount_fn fn, void *ctx, struct berth_error *err)
{
	const char *key;
	size_t i;
	json_t *v;
	int r;
	json_array_foreach(json_object_get(host_config, "Binds"), i, v)
	{
		const char *spec = json_string_value(v);
		char name[256], dest[4096];
		if (!spec || spec[0] == '/' || !strchr(spec, ':') || strcspn(spec, ":") >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) strcspn(spec, ":"), spec);
		const char *d = spec + strlen(name) + 1;
		snprintf(dest, sizeof(dest), "%.*s", (int) strcspn(d, ":"), d);
		struct volume_mount m = { .name = name, .dest = dest, .rw = true };
		bind_options(strchr(d, ':') ? strchr(d, ':') + 1 : NULL, &m);
		if ((r = fn(ctx, &m, err)) < 0)
			return r;
	}
	json_array_foreach(json_object_get(host_config, "Mounts"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *source = json_string_value(json_object_get(v, "Source"));
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (!type || strcmp(type, "volume") != 0 || !source || !*source || !target)
			continue;
		struct volume_mount m = {
			.name = source,
			.dest = target,
			.rw = !json_is_true(json_object_get(v, "ReadOnly")),
			.nocopy = json_is_true(json_object_get(json_object_get(v, "VolumeOptions"), "NoCopy")),
		};
		if ((r = fn(ctx, &m, err)) < 0)
			return r;
	}
	json_object_foreach(anonymous ? json_object_get(host_config, BERTH_ANONYMOUS_VOLUMES_KEY) : NULL, key, v)
	{
		struct volume_mount m = { .name = json_string_value(v), .dest = key, .rw = true };
		if (m.name && (r = fn(ctx, &m, err)) < 0)
			return r;
	}
	return 0;
}

struct acquire_ctx {
	struct berth_engine *e;
	const char *id;
};

static int acquire_named(void *ctx, const struct volume_mount *m, struct berth_error *err)
{
	struct acquire_ctx *a = ctx;
	return acquire(a->e, m->name, a->id, NULL, err);
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
	struct acquire_ctx a = { e, id };
	if ((r = each_volume(host_config, false, acquire_named, &a, err)) < 0)
		return r;
	/* --mount type=volume without a source: an anonymous one */
	json_array_foreach(json_object_get(host_config, "Mounts"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *source = json_string_value(json_object_get(v, "Source"));
		const char *target = json_string_value(json_object_get(v, "Target"));
		if (type && strcmp(type, "volume") == 0 && (!source || !*source) && target &&
		    (r = acquire_anonymous(e, id, target, anonymous, err)) < 0)
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

struct populate_ctx {
	struct berth_engine *e;
	int rootfd;
	const char *rootfs;
};

static int populate_one(void *ctx, const struct volume_mount *m, struct berth_error *err)
{
	struct populate_ctx *p = ctx;
	return m->nocopy ? 0 : copy_up(p->e, p->rootfd, p->rootfs, m->name, m->dest, err);
}

int container_volumes_populate(struct berth_engine *e, const struct berth_container_record *c, const char *rootfs,
			       struct berth_error *err)
{
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_sys(err, errno, "open %s", rootfs);
	struct populate_ctx p = { e, rootfd, rootfs };
	return each_volume(c->host_config, true, populate_one, &p, err);
}

/* ---- events ---- */

struct event_ctx {
	struct berth_engine *e;
	const char *action, *container;
};

static int volume_event(void *ctx, const struct volume_mount *m, struct berth_error *err)
{
	(void) err;
	struct event_ctx *x = ctx;
	berth_events_publish(x->e->events, "volume", x->action, m->name,
			     json_pack("{s:s, s:s, s:s, s:s, s:s}", "container", x->container, "destination", m->dest,
				       "driver", BERTH_VOLUME_DRIVER, "propagation", "", "read/write",
				       m->rw ? "true" : "false"));
	return 0;
}

void container_volumes_events(struct berth_engine *e, const struct berth_container_record *c, const char *action)
{
	struct event_ctx x = { e, action, c->id };
	struct berth_error ignored = { 0 };
	each_volume(c->host_config, true, volume_event, &x, &ignored);
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
