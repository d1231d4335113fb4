/* docker cp: GET, HEAD and PUT /containers/{id}/archive.
 *
 * Every path is the container's: it is resolved with openat2
 * (RESOLVE_IN_ROOT, or path.c's walk) beneath a descriptor of the
 * container's root, so ".." and absolute symlinks stay inside it even when
 * the container's own processes swap directories for symlinks while we
 * work; the archive is then made (tree_tar.c) or extracted (unpack.c, which
 * never writes through a symlink) relative to the descriptor found.
 *
 * Which root:
 *   running   /proc/PID/root: the container's mount namespace as its
 *             processes see it, volumes, binds and tmpfs mounts included;
 *   otherwise a private mount namespace made by a short-lived thread: the
 *             overlay of the container's upper dir and its image's layers
 *             (read-only for GET: the upper dir as the top lower dir;
 *             writable for PUT) with its binds and volumes mounted on top.
 *             A descriptor of the namespace keeps it alive while we work;
 *             when the last one is closed the kernel takes every mount
 *             down, so nothing is left on the host, even after a crash.
 * A PUT into a container that is not running holds the containers' lock, so
 * that a start cannot mount the same upper dir meanwhile.
 *
 * The tar of a GET is made as the client reads it; a PUT's archive was
 * streamed to an unnamed file by the API server (never to memory) and is
 * extracted from there. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "archive_stat.h"
#include "cleanup.h"
#include "container_rootfs.h"
#include "container_spec_internal.h"
#include "json.h"
#include "engine_containers_internal.h"
#include "layer_reader.h"
#include "log.h"
#include "path.h"
#include "tree_tar.h"
#include "unpack.h"
#include "userdb.h"

#define SYMLINK_MAX_HOPS 40

/* ---- the container's root ---- */

struct croot {
	int root_fd;	   /* O_PATH: the container's "/" */
	int ns_fd;	   /* the private mount namespace, -1 for a running container */
	uint64_t root_mnt; /* the mount ID of the root */
	uint64_t *mount_ids; /* the container's own mounts (volumes, binds, tmpfs) */
	size_t n_mount_ids;
};

static void croot_clear(struct croot *r)
{
	berth_closep(&r->root_fd);
	berth_closep(&r->ns_fd);
	free(r->mount_ids);
	r->mount_ids = NULL;
}
#define _cleanup_croot_ __attribute__((cleanup(croot_clear)))

static uint64_t mount_id(int fd)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

/* What dockerd mounts itself (proc, /dev, sysfs...) is not the user's. */
static bool user_mount(json_t *m)
{
	static const char *const system[] = { "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue",
					      "/dev/shm", BERTH_SPEC_INIT_PATH };
	const char *dest = json_string_value(json_object_get(m, "destination"));
	for (size_t i = 0; i < sizeof(system) / sizeof(*system); i++)
		if (strcmp(dest, system[i]) == 0)
			return false;
	return true;
}

/* The container's mounts as its config.json has them. */
static int container_mounts(struct berth_engine *e, const struct berth_container_record *c, json_t **ret,
			    struct berth_error *err)
{
	char dir[4096], hostname[4200], hosts[4200], resolv[4200];
	container_dir(e, c->id, dir);
	snprintf(hostname, sizeof(hostname), "%s/hostname", dir);
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
	struct berth_container_spec_input in = {
		.id = c->id,
		.config = c->config,
		.host_config = c->host_config,
		.hostname_path = hostname,
		.hosts_path = hosts,
		.resolv_path = resolv,
		.volume_path = berth_engine_volume_path_cb,
		.volume_ctx = e,
	};
	return spec_mounts(&in, ret, err);
}

/* The mount IDs of the container's own directory mounts, seen from root:
 * the archive of a directory enters them (as docker's does its volumes). */
static int collect_mount_ids(struct croot *r, json_t *mounts, struct berth_error *err)
{
	size_t i, n = 0;
	json_t *m;
	r->root_mnt = mount_id(r->root_fd);
	r->mount_ids = calloc(json_array_size(mounts) + 1, sizeof(*r->mount_ids));
	if (!r->mount_ids)
		return berth_error_sys(err, ENOMEM, "archive");
	json_array_foreach(mounts, i, m)
	{
		if (!user_mount(m))
			continue;
		_cleanup_close_ int fd = berth_openat_in_root(
			r->root_fd, json_string_value(json_object_get(m, "destination")), O_PATH | O_DIRECTORY);
		uint64_t id = fd >= 0 ? mount_id(fd) : 0;
		if (id && id != r->root_mnt)
			r->mount_ids[n++] = id;
	}
	r->n_mount_ids = n;
	return 0;
}

static bool has_option(json_t *m, const char *opt)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(m, "options"), i, v) if (json_is_string(v) && strcmp(json_string_value(v), opt) == 0)
		return true;
	return false;
}

/* A bind (or a volume, which is a bind of its directory) onto its
 * destination inside root, the destination resolved in the root; one that
 * is missing (a container never started has no mount points yet) is left
 * out. */
static int bind_in_root(int root_fd, json_t *m, struct berth_error *err)
{
	const char *dest = json_string_value(json_object_get(m, "destination"));
	const char *src = json_string_value(json_object_get(m, "source"));
	_cleanup_close_ int target = berth_openat_in_root(root_fd, dest, O_PATH);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0;
	if (target < 0)
		return berth_error_sys(err, -target, "archive: open the mount point %s", dest);
	_cleanup_close_ int tree = (int) open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return berth_error_sys(err, errno, "archive: clone the mount of %s", src);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (has_option(m, "ro") &&
	    mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return berth_error_sys(err, errno, "archive: make the mount of %s read-only", src);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_error_sys(err, errno, "archive: mount %s on %s", src, dest);
	return 0;
}

struct ns_job {
	struct berth_engine *e;
	const struct berth_container_record *c;
	json_t *mounts;
	bool writable;
	struct croot *out;
	int r;
	struct berth_error err;
};

/* In the thread's own mount namespace: the root and its binds. */
static int ns_build(struct ns_job *j)
{
	char dir[4096], target[4200], options[8400];
	container_dir(j->e, j->c->id, dir);
	snprintf(target, sizeof(target), "%s/rootfs", dir);
	if (unshare(CLONE_NEWNS) < 0)
		return berth_error_sys(&j->err, errno, "archive: make a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berth_error_sys(&j->err, errno, "archive: make the mount namespace private");
	if (!berth_snapshotter_full_trees(j->e->snapshots)) {
		struct berth_image img = { 0 };
		_cleanup_free_ char *lower = NULL;
		int r = berth_images_get(j->e->db, j->c->image_id, &img, &j->err);
		if (r == 0)
			r = berth_container_rootfs_lowerdir(j->e->snapshots, dir, img.top_snapshot, &lower, &j->err);
		berth_image_clear(&img);
		if (r < 0)
			return r;
		/* Read-only, the upper dir is one more lower dir: no work dir,
		 * nothing written, whatever else mounts the container. */
		if (j->writable)
			snprintf(options, sizeof(options), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
		else
			snprintf(options, sizeof(options), "lowerdir=%s/upper:%s", dir, lower);
		if (mount("overlay", target, "overlay", j->writable ? 0 : MS_RDONLY, options) < 0)
			return berth_error_sys(&j->err, errno, "archive: mount the root of %s", j->c->id);
	}
	j->out->root_fd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (j->out->root_fd < 0)
		return berth_error_sys(&j->err, errno, "archive: open %s", target);
	size_t i;
	json_t *m;
	json_array_foreach(j->mounts, i, m)
	{
		const char *type = json_string_value(json_object_get(m, "type"));
		int r = user_mount(m) && strcmp(type, "bind") == 0 ? bind_in_root(j->out->root_fd, m, &j->err) : 0;
		if (r < 0)
			return r;
	}
	j->out->ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (j->out->ns_fd < 0)
		return berth_error_sys(&j->err, errno, "archive: hold the mount namespace");
	return 0;
}

static void *ns_thread(void *arg)
{
	struct ns_job *j = arg;
	j->r = ns_build(j);
	return NULL;
}

static int croot_open_stopped(struct berth_engine *e, const struct berth_container_record *c, json_t *mounts,
			      bool writable, struct croot *r, struct berth_error *err)
{
	struct ns_job j = { .e = e, .c = c, .mounts = mounts, .writable = writable, .out = r };
	pthread_t t;
	int rc = pthread_create(&t, NULL, ns_thread, &j);
	if (rc != 0)
		return berth_error_sys(err, rc, "archive: start a thread");
	pthread_join(t, NULL);
	if (j.r < 0) {
		*err = j.err;
		return j.r;
	}
	return 0;
}

static int croot_open(struct berth_engine *e, const struct berth_container_record *c, bool writable,
		      struct croot *r, struct berth_error *err)
{
	_cleanup_json_ json_t *mounts = NULL;
	*r = (struct croot){ .root_fd = -1, .ns_fd = -1 };
	int rc = container_mounts(e, c, &mounts, err);
	if (rc < 0)
		return berth_error_wrap(err, "archive %s", c->id);
	json_int_t pid = json_integer_value(json_object_get(c->state, "Pid"));
	if (record_running(c) && pid > 0) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/%lld/root", (long long) pid);
		r->root_fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->root_fd < 0)
			return berth_error_sys(err, errno, "archive: open the root of %s (%s)", c->id, proc);
		/* The pid was read before the open: make sure it is still the
		 * container's, not a recycled one. */
		_cleanup_container_record_ struct berth_container_record now = { 0 };
		if (berth_containers_get(e->db, c->id, &now, err) < 0)
			return -berth_error_code(err);
		if (!record_running(&now) || json_integer_value(json_object_get(now.state, "Pid")) != pid)
			return berth_error_set(err, EAGAIN, "container %s stopped while its root was opened", c->id);
	} else if ((rc = croot_open_stopped(e, c, mounts, writable, r, err)) < 0) {
		return rc;
	}
	return collect_mount_ids(r, mounts, err);
}

/* ---- paths, as dockerd resolves them ---- */

/* "/" + path, cleaned, with a trailing "/" or "/." kept (they ask for the
 * directory a symlink points to); *ret_follow when there is one. */
static int abs_path(const char *path, char out[PATH_MAX], bool *ret_follow, struct berth_error *err)
{
	size_t len = strlen(path);
	bool dot = len >= 2 && strcmp(path + len - 2, "/.") == 0;
	bool slash = len > 0 && path[len - 1] == '/';
	if (berth_archive_clean_path(path, out, PATH_MAX) < 0)
		return berth_error_set(err, ENAMETOOLONG, "path %.100s... is too long", path);
	size_t n = strlen(out);
	if ((dot || slash) && n + 3 > PATH_MAX)
		return berth_error_set(err, ENAMETOOLONG, "path %.100s... is too long", path);
	if (dot && n > 1)
		strcat(out, "/.");
	else if (slash && n > 1)
		strcat(out, "/");
	*ret_follow = dot || slash;
	return 0;
}

/* Go's filepath.Base: what the archive's top entry is called. */
static const char *base_name(const char *abs, char out[NAME_MAX + 2])
{
	size_t len = strlen(abs);
	while (len > 1 && abs[len - 1] == '/')
		len--;
	if (len == 1 && abs[0] == '/')
		return "/";
	const char *start = abs + len;
	while (start > abs && start[-1] != '/')
		start--;
	snprintf(out, NAME_MAX + 2, "%.*s", (int) (abs + len - start), start);
	return out;
}

static int not_found(const char *path, const struct berth_container_record *c, struct berth_error *err)
{
	return berth_error_set(err, ENOENT, "Could not find the file %s in container %s", path, c->name[0] == '/' ? c->name + 1 : c->name);
}

/* The entry the path names: its directory (followed) and its name in it
 * (".", followed too, for a trailing "/" or "/."). */
struct target {
	int dir_fd;
	char name[NAME_MAX + 1];
	char abs[PATH_MAX];
	char base[NAME_MAX + 2];
	const char *as;
	struct stat st;
};

static int resolve_target(const struct croot *r, const struct berth_container_record *c, const char *path,
			  struct target *t, struct berth_error *err)
{
	bool follow;
	t->dir_fd = -1;
	int rc = abs_path(path, t->abs, &follow, err);
	if (rc < 0)
		return rc;
	t->as = base_name(t->abs, t->base);
	if (follow || strcmp(t->abs, "/") == 0) {
		t->dir_fd = berth_openat_in_root(r->root_fd, t->abs, O_RDONLY | O_DIRECTORY);
		strcpy(t->name, ".");
	} else {
		char parent[PATH_MAX];
		snprintf(t->name, sizeof(t->name), "%s", berth_path_split(t->abs, parent, sizeof(parent)));
		t->dir_fd = berth_openat_in_root(r->root_fd, parent, O_RDONLY | O_DIRECTORY);
	}
	if (t->dir_fd == -ENOENT || t->dir_fd == -ENOTDIR || t->dir_fd == -ELOOP)
		return not_found(path, c, err);
	if (t->dir_fd < 0)
		return berth_error_sys(err, -t->dir_fd, "archive: open %s in container %s", t->abs, c->id);
	if (fstatat(t->dir_fd, t->name, &t->st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? not_found(path, c, err)
				       : berth_error_sys(err, errno, "archive: inspect %s in container %s", t->abs, c->id);
	return 0;
}

/* A symlink's target the way dockerd reports it: absolute in the
 * container, each symlink on the way followed (within the root). */
static void link_target(const struct croot *r, const struct target *t, char out[PATH_MAX])
{
	char cur[PATH_MAX], link[PATH_MAX], joined[2 * PATH_MAX + 2];
	snprintf(cur, sizeof(cur), "%s", t->abs);
	out[0] = '\0';
	for (int hop = 0; hop < SYMLINK_MAX_HOPS; hop++) {
		char parent[PATH_MAX];
		const char *name = berth_path_split(cur, parent, sizeof(parent));
		_cleanup_close_ int dir = berth_openat_in_root(r->root_fd, parent, O_RDONLY | O_DIRECTORY);
		ssize_t n = dir >= 0 ? readlinkat(dir, name, link, sizeof(link) - 1) : -1;
		if (n < 0)
			break; /* not a symlink (any more): where the chain ends */
		link[n] = '\0';
		snprintf(joined, sizeof(joined), "%s/%s", link[0] == '/' ? "" : parent, link);
		if (berth_archive_clean_path(joined, cur, sizeof(cur)) < 0)
			break;
		snprintf(out, PATH_MAX, "%s", cur);
	}
}

static int find(struct berth_engine *e, const char *what, struct berth_container_record *c, struct berth_error *err)
{
	return container_resolve(e, what, c, err);
}

/* ---- GET and HEAD ---- */

static int stat_header(const struct croot *r, struct target *t, char **ret, struct berth_error *err)
{
	char target[PATH_MAX] = "";
	if (S_ISLNK(t->st.st_mode))
		link_target(r, t, target);
	return berth_archive_stat_header(t->as, &t->st, target, ret, err);
}

int berth_engine_container_archive_stat(struct berth_engine *e, const char *what, const char *path, char **ret_header,
					struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_croot_ struct croot r = { .root_fd = -1, .ns_fd = -1 };
	struct target t;
	int rc = find(e, what, &c, err);
	if (rc == 0)
		rc = croot_open(e, &c, false, &r, err);
	if (rc < 0)
		return rc;
	rc = resolve_target(&r, &c, path, &t, err);
	if (rc == 0)
		rc = stat_header(&r, &t, ret_header, err);
	berth_closep(&t.dir_fd);
	return rc;
}

int berth_engine_container_archive_get(struct berth_engine *e, const char *what, const char *path, char **ret_header,
				       struct berth_tree_tar **ret, struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_croot_ struct croot r = { .root_fd = -1, .ns_fd = -1 };
	_cleanup_free_ char *header = NULL;
	struct target t = { .dir_fd = -1 };
	int rc = find(e, what, &c, err);
	if (rc == 0)
		rc = croot_open(e, &c, false, &r, err);
	if (rc == 0)
		rc = resolve_target(&r, &c, path, &t, err);
	if (rc == 0)
		rc = stat_header(&r, &t, &header, err);
	/* The tar holds its own descriptors, and one of the private mount
	 * namespace: without it the namespace's mounts would be taken apart
	 * (its volumes cut off the root) when ours is closed. */
	struct berth_tree_tar_options opts = { .mount_ids = r.mount_ids, .n_mount_ids = r.n_mount_ids, .hold_fd = -1 };
	if (rc == 0 && r.ns_fd >= 0 && (opts.hold_fd = fcntl(r.ns_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		rc = berth_error_sys(err, errno, "archive: hold the mount namespace");
	if (rc == 0)
		rc = berth_tree_tar_new(t.dir_fd, t.name, t.as, &opts, ret, err);
	berth_closep(&t.dir_fd);
	if (rc < 0)
		return rc;
	container_event(e, "archive-path", &c, NULL);
	*ret_header = berth_steal_ptr(&header);
	return 0;
}

/* ---- PUT ---- */

static ssize_t upload_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	int fd = *(int *) ctx;
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? berth_error_sys(err, errno, "read the uploaded archive") : n;
}

/* docker cp -a into a container with a User: everything becomes the
 * user's, as the container's /etc/passwd and /etc/group say. */
static int archive_owner(const struct croot *r, const struct berth_container_record *c,
			 struct berth_unpack_options *o, struct berth_error *err)
{
	const char *user = json_string_value(json_object_get(c->config, "User"));
	if (!user || !*user)
		return 0;
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	_cleanup_close_ int fd = openat(r->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *none[] = { NULL };
	int rc = fd < 0 ? berth_error_sys(err, errno, "archive: open the root of %s", c->id)
			: berth_userdb_resolve_in_root(fd, "the container", user, none, &u, err);
	if (rc < 0)
		return rc;
	o->owner.set = true;
	o->owner.uid = u.uid;
	o->owner.gid = u.gid;
	return 0;
}

/* Where the archive goes: an existing directory, writable. */
static int extract_point(const struct croot *r, const struct berth_container_record *c, const char *path, int *ret,
			 struct berth_error *err)
{
	char abs[PATH_MAX];
	bool follow;
	int rc = abs_path(path, abs, &follow, err);
	if (rc < 0)
		return rc;
	_cleanup_close_ int fd = berth_openat_in_root(r->root_fd, abs, O_PATH);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return not_found(path, c, err);
	if (fd < 0)
		return berth_error_sys(err, -fd, "archive: open %s in container %s", abs, c->id);
	struct stat st;
	struct statvfs vfs;
	if (fstat(fd, &st) < 0 || fstatvfs(fd, &vfs) < 0)
		return berth_error_sys(err, errno, "archive: inspect %s in container %s", abs, c->id);
	if (!S_ISDIR(st.st_mode))
		return berth_error_set(err, EINVAL, "extraction point is not a directory");
	bool on_root = mount_id(fd) == r->root_mnt;
	if (on_root && ((vfs.f_flag & ST_RDONLY) || json_is_true(json_object_get(c->host_config, "ReadonlyRootfs"))))
		return berth_error_set(err, EROFS, "container rootfs is marked read-only");
	if (vfs.f_flag & ST_RDONLY)
		return berth_error_set(err, EROFS, "mounted volume is marked read-only");
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_error_sys(err, errno, "archive: open %s in container %s", abs, c->id);
	*ret = dir;
	return 0;
}

int berth_archive_extract(int dirfd, int src_fd, const struct berth_unpack_options *opts, struct berth_error *err)
{
	struct berth_layer_source src = { .read = upload_read, .ctx = &src_fd };
	_cleanup_layer_reader_ struct berth_layer_reader *reader = NULL;
	int rc = berth_layer_reader_new(&src, &reader, err);
	if (rc == 0)
		rc = berth_unpack_tar(reader, dirfd, opts, NULL, err);
	return rc;
}

static int put_in(struct berth_engine *e, const struct berth_container_record *c,
		  const struct berth_archive_put *p, struct berth_error *err)
{
	_cleanup_croot_ struct croot r = { .root_fd = -1, .ns_fd = -1 };
	_cleanup_close_ int dir = -1, plain = -1;
	struct berth_unpack_options o = { .whiteout = BERTH_WHITEOUT_KEEP,
					  .no_overwrite_dir_nondir = p->no_overwrite_dir_nondir };
	int rc = croot_open(e, c, true, &r, err);
	if (rc == 0)
		rc = extract_point(&r, c, p->path, &dir, err);
	if (rc == 0 && p->copy_uid_gid)
		rc = archive_owner(&r, c, &o, err);
	if (rc == 0 && lseek(p->fd, 0, SEEK_SET) < 0)
		rc = berth_error_sys(err, errno, "archive: rewind the uploaded archive");
	/* xz and bzip2 too, as dockerd takes them */
	if (rc == 0)
		rc = berth_engine_upload_plain(e, p->fd, NULL, "archive", &plain, err);
	if (rc == 0 && (rc = berth_archive_extract(dir, plain >= 0 ? plain : p->fd, &o, err)) < 0)
		berth_error_wrap(err, "extract to %s in container %s", p->path, c->id);
	return rc;
}

int berth_engine_container_archive_put(struct berth_engine *e, const char *what, const struct berth_archive_put *p,
				       struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int rc = find(e, what, &c, err);
	if (rc < 0)
		return rc;
	if (record_running(&c)) {
		rc = put_in(e, &c, p, err);
	} else {
		/* No start while the upper dir is mounted here too. */
		pthread_mutex_lock(&cs->lock);
		berth_container_record_clear(&c);
		rc = find(e, what, &c, err);
		if (rc == 0)
			rc = put_in(e, &c, p, err);
		pthread_mutex_unlock(&cs->lock);
	}
	if (rc == 0)
		container_event(e, "extract-to-dir", &c, NULL);
	return rc;
}

int berth_engine_container_archive_check(struct berth_engine *e, const char *what, struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	return find(e, what, &c, err);
}
