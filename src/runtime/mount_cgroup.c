/* The "cgroup" mount of config.json: the container sees its own cgroups at
 * the destination, laid out as the host lays them out.
 *
 * On a unified (v2) host that is one cgroup2 mount.  On a v1 or hybrid host
 * (controllers on v1, maybe an empty v2 tree beside them) it is a tmpfs with
 * one entry per hierarchy the host mounts under /sys/fs/cgroup.  With a
 * cgroup namespace each entry is a fresh mount, rooted by the kernel at the
 * container's cgroup; without one, a bind of the container's cgroup
 * directory.  Co-mounted controllers ("cpu,cpuacct") get symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "cgroup.h"
#include "mount.h"
#include "mountinfo.h"
#include "path.h"
#include "rootfs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"

struct hierarchy {
	char *mount_root; /* the cgroup the host mount shows at its top */
	char *mountpoint;
	bool v2;
	char *options; /* v1: the super options to mount it again with */
	char name[256]; /* v1: as /proc/self/cgroup names it ("cpu,cpuacct", "name=systemd") */
};

/* Keep the super options that select a v1 hierarchy: controllers, name=. */
static char *hierarchy_options(const char *superopts)
{
	char *out = calloc(1, strlen(superopts) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const char *p = superopts; p && *p;) {
		const char *end = strchrnul(p, ',');
		size_t len = (size_t) (end - p);
		if (!(len == 2 && (strncmp(p, "rw", 2) == 0 || strncmp(p, "ro", 2) == 0)) &&
		    !(len >= 13 && strncmp(p, "release_agent", 13) == 0)) {
			if (o != out)
				*o++ = ',';
			memcpy(o, p, len);
			o += len;
		}
		p = *end ? end + 1 : NULL;
	}
	*o = '\0';
	return out;
}

static void hierarchies_free(struct hierarchy *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].mount_root);
		free(h[i].mountpoint);
		free(h[i].options);
	}
	free(h);
}

struct hierarchy_list {
	struct hierarchy *h;
	size_t n;
};

/* Keep the cgroup mounts below CGROUP_ROOT. */
static int add_hierarchy(const struct berth_mountinfo_entry *e, void *ctx)
{
	struct hierarchy_list *l = ctx;
	bool v2 = strcmp(e->fstype, "cgroup2") == 0;

	if ((!v2 && strcmp(e->fstype, "cgroup") != 0) || strncmp(e->mountpoint, CGROUP_ROOT, strlen(CGROUP_ROOT)) != 0)
		return 0;
	struct hierarchy *nh = realloc(l->h, (l->n + 1) * sizeof(*nh));
	if (nh == NULL)
		return -ENOMEM;
	l->h = nh;
	struct hierarchy *h = &l->h[l->n];
	*h = (struct hierarchy){ .v2 = v2 };
	h->mount_root = strdup(e->root);
	h->mountpoint = strdup(e->mountpoint);
	h->options = hierarchy_options(e->superopts);
	if (!v2)
		berth_cgroup_hierarchy_name(e->superopts, h->name, sizeof(h->name));
	l->n++;
	return h->mount_root && h->mountpoint && h->options ? 0 : -ENOMEM;
}

static int read_hierarchies(struct hierarchy **ret, size_t *ret_n, struct berth_error *err)
{
	struct hierarchy_list l = { 0 };
	int r = berth_mountinfo_foreach(add_hierarchy, &l, err);

	if (r < 0) {
		hierarchies_free(l.h, l.n);
		return r == -ENOMEM ? berth_error_sys(err, ENOMEM, "list cgroup mounts") : r;
	}
	*ret = l.h;
	*ret_n = l.n;
	return 0;
}

static int mount_hierarchy(struct berth_rootfs *r, const struct berth_mount *m, const struct hierarchy *h,
			   const char *proc_cgroup, int targetfd, const char *what, struct berth_error *err)
{
	_cleanup_close_ int src = -1, mnt = -1;
	struct berth_mount_req req = { .what = what, .srcfd = -1, .copyup_fromfd = -1, .flags = m->opts.flags };
	char own[PATH_MAX], hostdir[PATH_MAX * 2];
	size_t rootlen;

	if (r->cgroupns) {
		req.fstype = h->v2 ? "cgroup2" : "cgroup";
		req.source = req.fstype;
		req.data = h->v2 || h->options[0] == '\0' ? NULL : h->options;
	} else {
		if (berth_cgroup_own_path(proc_cgroup, h->v2 ? "" : h->name, own, sizeof(own)) < 0)
			return berth_error_set(err, ENOENT, "mount %s: no cgroup of ours in the hierarchy at %s", what,
					       h->mountpoint);
		/* The host mount may itself show a subtree (nested runtimes). */
		rootlen = strcmp(h->mount_root, "/") == 0 ? 0 : strlen(h->mount_root);
		if (rootlen && strncmp(own, h->mount_root, rootlen) != 0)
			return berth_error_set(err, ENOENT, "mount %s: our cgroup %s is outside %s", what, own,
					       h->mountpoint);
		snprintf(hostdir, sizeof(hostdir), "%s%s", h->mountpoint, own + rootlen);
		src = open(hostdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (src < 0)
			return berth_error_sys(err, errno, "mount %s: open %s", what, hostdir);
		req.srcfd = src;
	}
	mnt = berth_mount_make(&req, targetfd, err);
	return mnt < 0 ? mnt : 0;
}

static bool host_is_unified(void)
{
	struct statfs sfs;
	return statfs(CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static int mount_v1_layout(struct berth_rootfs *r, const struct berth_mount *m, struct hierarchy *h, size_t n,
			   const char *proc_cgroup, int targetfd, struct berth_error *err)
{
	_cleanup_close_ int tmpfs = -1;
	struct berth_mount_req req = {
		.what = m->destination,
		.fstype = "tmpfs",
		.source = "tmpfs",
		.data = "mode=755",
		.srcfd = -1,
		.copyup_fromfd = -1,
		.flags = (m->opts.flags & ~(unsigned long) MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	};
	int res;

	tmpfs = berth_mount_make(&req, targetfd, err);
	if (tmpfs < 0)
		return tmpfs;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int sub = -1;
		const char *name = h[i].mountpoint + strlen(CGROUP_ROOT);
		char what[PATH_MAX];

		if (*name++ != '/' || *name == '\0' || strchr(name, '/'))
			continue; /* not directly below /sys/fs/cgroup */
		if (mkdirat(tmpfs, name, 0755) < 0 && errno != EEXIST)
			return berth_error_sys(err, errno, "mount %s: create %s", m->destination, name);
		sub = openat(tmpfs, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return berth_error_sys(err, errno, "mount %s: open %s", m->destination, name);
		snprintf(what, sizeof(what), "%s/%s", m->destination, name);
		if ((res = mount_hierarchy(r, m, &h[i], proc_cgroup, sub, what, err)) < 0)
			return res;
		if (strchr(name, ',')) {
			for (const char *c = name; c && *c;) {
				const char *end = strchrnul(c, ',');
				char link[NAME_MAX + 1];
				snprintf(link, sizeof(link), "%.*s", (int) (end - c), c);
				if (symlinkat(name, tmpfs, link) < 0 && errno != EEXIST)
					return berth_error_sys(err, errno, "mount %s: link %s", m->destination, link);
				c = *end ? end + 1 : NULL;
			}
		}
	}
	if (m->opts.flags & MS_RDONLY)
		return berth_mount_setattr(tmpfs, false, MOUNT_ATTR_RDONLY, 0, m->destination, err);
	return 0;
}

int berth_mount_cgroup(struct berth_rootfs *r, const struct berth_mount *m, int targetfd, struct berth_error *err)
{
	_cleanup_free_ char *proc_cgroup = NULL;
	struct hierarchy *h = NULL;
	size_t n = 0;
	int res;

	if ((res = berth_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1u << 20, &proc_cgroup, NULL, err)) < 0)
		return res;
	if ((res = read_hierarchies(&h, &n, err)) < 0)
		return res;
	if (host_is_unified() || strcmp(m->type, "cgroup2") == 0) {
		res = -ENOENT;
		for (size_t i = 0; i < n; i++) {
			if (h[i].v2) {
				res = mount_hierarchy(r, m, &h[i], proc_cgroup, targetfd, m->destination, err);
				break;
			}
		}
		if (res == -ENOENT)
			berth_error_set(err, ENOENT, "mount cgroup2 on %s: the host has no cgroup2 mount", m->destination);
	} else {
		res = mount_v1_layout(r, m, h, n, proc_cgroup, targetfd, err);
	}
	hierarchies_free(h, n);
	return res;
}
