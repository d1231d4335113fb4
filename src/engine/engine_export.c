/* docker export and docker diff: a container's file system as it is.
 *
 * export writes a plain tar (libarchive, pax where ustar does not fit) of
 * the container's root: the image's layers with the container's changes.
 * A running container's root is its overlay mount; a stopped one's gets a
 * private read-only overlay (its upper dir above the image's layers) that
 * is mounted nowhere: fsmount() without move_mount(), alive only as long as
 * the export holds a descriptor on it, so it needs no unmounting and a
 * crash leaves nothing.  The copy driver's root is a plain tree.
 *
 * The tar itself is tree_tar.c's: made as it is read, never following a
 * symlink, not entering other file systems mounted below the root.
 *
 * diff lists what the container changed: for overlay, its upper dir
 * (whiteouts are deletions; a path the image has is a modification, else an
 * addition); for the copy driver, the two full trees compared. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "engine_containers_internal.h"
#include "tree_tar.h"

#define EXPORT_MAX_DEPTH 256
/* docker diff: at most this many changes are listed. */
#define CHANGES_MAX 1000000

/* ---- the container's root ---- */

static int find_container(struct berth_engine *e, const char *what, struct berth_container_record *c,
			  struct berth_error *err)
{
	char id[BERTH_CONTAINER_ID_LEN + 1];
	int r = berth_containers_resolve(e->db, what, id, err);
	return r < 0 ? r : berth_containers_get(e->db, id, c, err);
}

/* The layer dirs of the container's image, top first (a NULL-terminated
 * array); an image without layers has the container's empty dir. */
static int image_layers(struct berth_engine *e, const struct berth_container_record *c, const char *dir,
			char ***ret, struct berth_error *err)
{
	struct berth_image img = { 0 };
	int r = berth_images_get(e->db, c->image_id, &img, err);
	if (r == 0 && img.top_snapshot) {
		r = berth_snapshot_lower_dirs(e->snapshots, img.top_snapshot, ret, err);
	} else if (r == 0) {
		char **v = calloc(2, sizeof(*v));
		if (!v || asprintf(&v[0], "%s/empty", dir) < 0) {
			free(v);
			r = berth_error_sys(err, ENOMEM, "export");
		} else {
			*ret = v;
		}
	}
	berth_image_clear(&img);
	return r;
}

/* The kernel's own words on a failed fsconfig, from the context's log. */
static void fs_context_message(int fsfd, char *out, size_t size)
{
	out[0] = '\0';
	char line[512];
	ssize_t n;
	while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		snprintf(out, size, "%s", line + (n > 2 && line[1] == ' ' ? 2 : 0));
	}
}

/* A read-only overlay of layers (top first) made with the mount API and
 * attached nowhere; -ENOTSUP when this kernel's overlayfs cannot take the
 * layers one by one ("lowerdir+", Linux 6.5) and they do not fit in one
 * fsconfig string. */
static int detached_overlay(char **layers, const char *joined, int *ret, struct berth_error *err)
{
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return errno == ENOSYS ? -ENOTSUP : berth_error_sys(err, errno, "export: open an overlay context");
	int r = 0;
	for (char **l = layers; r == 0 && *l; l++) {
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", *l, 0) == 0)
			continue;
		if (l != layers || errno != EINVAL)
			r = -errno;
		else if (strlen(joined) >= 256) /* fsconfig's bound on a string */
			return -ENOTSUP;
		else {
			/* an older kernel: all the layers in one string, in a fresh context */
			berth_closep(&fsfd);
			fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
			r = fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", joined, 0) < 0 ? -errno : 0;
			break;
		}
	}
	if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = -errno;
	if (r < 0) {
		char msg[512] = "";
		if (fsfd >= 0)
			fs_context_message(fsfd, msg, sizeof(msg));
		return berth_error_sys(err, -r, "export: make a read-only overlay of %s%s%s", joined, msg[0] ? ": " : "",
				       msg);
	}
	_cleanup_close_ int mfd =
		fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return berth_error_sys(err, errno, "export: mount a read-only overlay of %s", joined);
	int fd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "export: open the read-only overlay");
	*ret = fd;
	return 0;
}

/* The same with mount(2) on a scratch directory under ROOT/tmp, opened and
 * at once detached: only the descriptor keeps it. */
static int legacy_overlay(struct berth_engine *e, const char *joined, int *ret, struct berth_error *err)
{
	char dir[4096];
	_cleanup_free_ char *options = NULL;
	if (asprintf(&options, "lowerdir=%s", joined) < 0)
		return berth_error_sys(err, ENOMEM, "export");
	if (mkdirat(e->root_fd, "tmp", 0700) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "export: create %s/tmp", e->root);
	snprintf(dir, sizeof(dir), "%s/tmp/export-XXXXXX", e->root);
	if (!mkdtemp(dir))
		return berth_error_sys(err, errno, "export: create %s", dir);
	int r = 0, fd = -1;
	if (mount("overlay", dir, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, options) < 0) {
		r = berth_error_sys(err, errno, "export: mount a read-only overlay of %s", joined);
	} else {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			r = berth_error_sys(err, errno, "export: open the read-only overlay");
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	if (r == 0)
		*ret = fd;
	return r;
}

/* A descriptor on the root to export: the running container's mount, the
 * copy driver's tree, or a private overlay of a stopped container. */
static int open_root(struct berth_engine *e, const struct berth_container_record *c, int *ret,
		     struct berth_error *err)
{
	char dir[4096], path[4200];
	container_dir(e, c->id, dir);
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_error_sys(err, errno, "export: open %s", path);
	if (berth_snapshotter_full_trees(e->snapshots)) {
		*ret = berth_steal_fd(&fd);
		return 0;
	}
	/* Mounted (running): the mount point is another device than its
	 * directory.  The descriptor keeps the mount usable even if the
	 * container stops meanwhile and its root is unmounted (lazily). */
	struct stat root, parent;
	if (fstat(fd, &root) < 0 || stat(dir, &parent) < 0)
		return berth_error_sys(err, errno, "export: inspect %s", path);
	if (root.st_dev != parent.st_dev) {
		*ret = berth_steal_fd(&fd);
		return 0;
	}
	/* Stopped: its upper dir over the image's layers. */
	_cleanup_strv_ char **lowers = NULL;
	int r = image_layers(e, c, dir, &lowers, err);
	if (r < 0)
		return berth_error_wrap(err, "export %s", c->id);
	size_t n = 0, len = strlen(dir) + sizeof("/upper");
	while (lowers[n])
		len += strlen(lowers[n++]) + 1;
	_cleanup_strv_ char **layers = calloc(n + 2, sizeof(*layers));
	_cleanup_free_ char *joined = malloc(len);
	if (!layers || !joined || asprintf(&layers[0], "%s/upper", dir) < 0)
		return berth_error_sys(err, ENOMEM, "export");
	strcpy(joined, layers[0]);
	for (size_t i = 0; i < n; i++) {
		layers[i + 1] = berth_steal_ptr(&lowers[i]);
		strcat(joined, ":");
		strcat(joined, layers[i + 1]);
	}
	r = detached_overlay(layers, joined, ret, err);
	return r == -ENOTSUP ? legacy_overlay(e, joined, ret, err) : r;
}

int berth_engine_container_export(struct berth_engine *e, const char *what, struct berth_tree_tar **ret,
				  struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int r = find_container(e, what, &c, err);
	if (r < 0)
		return r;
	_cleanup_close_ int root = -1;
	if ((r = open_root(e, &c, &root, err)) < 0)
		return r;
	if ((r = berth_tree_tar_new(root, ".", "", NULL, ret, err)) < 0)
		return berth_error_wrap(err, "export %s", c.id);
	container_event(e, "export", &c, NULL);
	return 0;
}

/* ---- docker diff ---- */

enum { CHANGE_MODIFIED = 0, CHANGE_ADDED = 1, CHANGE_DELETED = 2 };

struct changes {
	json_t *list;
	size_t n;
	char path[PATH_MAX];
	/* overlay: the image's layer dirs, top first; copy: the image's tree */
	int *lowers;
	size_t n_lowers;
};

static int change_add(struct changes *ch, const char *path, int kind, struct berth_error *err)
{
	if (++ch->n > CHANGES_MAX)
		return berth_error_set(err, E2BIG, "diff: more than %d changes", CHANGES_MAX);
	char p[PATH_MAX + 1];
	snprintf(p, sizeof(p), "/%s", path);
	json_t *item = json_pack("{s:s, s:i}", "Path", p, "Kind", kind);
	if (!item)
		return berth_error_set(err, EINVAL, "diff: a path that is not UTF-8 (/%.100s)", path);
	json_array_append_new(ch->list, item);
	return 0;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* path[0..len) beneath dirfd, its parent opened without any symlink (as
 * the layer's tree has it); 1 and *st when it is there. */
static int stat_beneath(int dirfd, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	_cleanup_close_ int parent = -1;
	const char *base = path;
	if (slash) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path);
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		parent = (int) syscall(SYS_openat2, dirfd, dir, &how, sizeof(how));
		if (parent < 0)
			return 0;
		base = slash + 1;
	}
	return fstatat(slash ? parent : dirfd, base, st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* overlay: is path in the image (the first layer that has it, or a
 * whiteout of it, decides)?  Its stat in *st. */
static bool in_image(const struct changes *ch, const char *path, struct stat *st)
{
	for (size_t i = 0; i < ch->n_lowers; i++) {
		if (stat_beneath(ch->lowers[i], path, st))
			return !is_whiteout(st);
	}
	return false;
}

/* What the runtime makes in the container's root as mount points (docker
 * keeps them in an "init" layer, so its diff never shows them): listed
 * only when they are not what the runtime made (an empty file, an empty
 * directory, a device). */
static bool runtime_made(const char *path, const struct stat *st)
{
	static const char *const paths[] = { "etc/hostname", "etc/hosts", "etc/resolv.conf", ".dockerenv", "dev",
					     "proc", "sys" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (strcmp(path, paths[i]) == 0)
			return (S_ISREG(st->st_mode) && st->st_size == 0) || S_ISDIR(st->st_mode);
	return false;
}

static bool same_meta(const struct stat *a, const struct stat *b)
{
	return (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT) && (a->st_mode & 07777) == (b->st_mode & 07777) &&
	       a->st_uid == b->st_uid && a->st_gid == b->st_gid;
}

static bool same_file(const struct stat *a, const struct stat *b, int dira, int dirb, const char *name)
{
	if (!same_meta(a, b) || a->st_size != b->st_size || a->st_rdev != b->st_rdev ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec)
		return false;
	if (S_ISLNK(a->st_mode)) {
		char ta[PATH_MAX], tb[PATH_MAX];
		ssize_t na = readlinkat(dira, name, ta, sizeof(ta)), nb = readlinkat(dirb, name, tb, sizeof(tb));
		return na == nb && na >= 0 && memcmp(ta, tb, (size_t) na) == 0;
	}
	return true;
}

struct walk {
	int dir;	/* overlay: in the upper layer; copy: in the container's tree */
	int other;	/* copy: the image's directory at the same path, -1 when it has none */
	size_t len;	/* ch->path[0..len): the directory's path and its '/' */
	bool opaque;	/* overlay: the image's contents do not show through */
	int depth;
};

static int walk_changes(struct changes *ch, bool overlay, const struct walk *w, size_t *ret_listed,
			struct berth_error *err);

/* One entry of a directory being walked; *listed counts what was listed. */
static int change_entry(struct changes *ch, bool overlay, const struct walk *w, const char *name, size_t *listed,
			struct berth_error *err)
{
	size_t nl = strlen(name), len = w->len;
	if (len + nl + 2 > sizeof(ch->path))
		return berth_error_set(err, ENAMETOOLONG, "diff: path too long under /%s", ch->path);
	memcpy(ch->path + len, name, nl + 1);
	struct stat st, ost;
	if (fstatat(w->dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	bool there;
	if (overlay) {
		there = !w->opaque && in_image(ch, ch->path, &ost);
		if (is_whiteout(&st))
			/* (a whiteout of nothing: a file added, then removed) */
			return there ? (++*listed, change_add(ch, ch->path, CHANGE_DELETED, err)) : 0;
	} else {
		there = w->other >= 0 && fstatat(w->other, name, &ost, AT_SYMLINK_NOFOLLOW) == 0;
		if (there && !S_ISDIR(st.st_mode) && same_file(&st, &ost, w->dir, w->other, name))
			return 0;
	}
	if (!there && runtime_made(ch->path, &st))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		++*listed;
		return change_add(ch, ch->path, there ? CHANGE_MODIFIED : CHANGE_ADDED, err);
	}
	/* A directory: added, or modified when its own metadata changed or
	 * something below it did. */
	_cleanup_close_ int sub = openat(w->dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int osub = !overlay && there && S_ISDIR(ost.st_mode)
					   ? openat(w->other, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					   : -1;
	if (sub < 0)
		return 0;
	struct walk sw = { .dir = sub, .other = osub, .len = len + nl + 1, .opaque = w->opaque, .depth = w->depth + 1 };
	char v[4];
	bool opaque = overlay && fgetxattr(sub, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
	sw.opaque |= opaque;
	ch->path[len + nl] = '/';
	ch->path[len + nl + 1] = '\0';
	size_t below = 0;
	int r = walk_changes(ch, overlay, &sw, &below, err);
	ch->path[len + nl] = '\0';
	if (r < 0)
		return r;
	if (there && !opaque && below == 0 && same_meta(&st, &ost))
		return 0;
	++*listed;
	return change_add(ch, ch->path, there ? CHANGE_MODIFIED : CHANGE_ADDED, err);
}

static int walk_changes(struct changes *ch, bool overlay, const struct walk *w, size_t *ret_listed,
			struct berth_error *err)
{
	if (w->depth > EXPORT_MAX_DEPTH)
		return berth_error_set(err, ELOOP, "diff: /%s: directories nested deeper than %d", ch->path,
				       EXPORT_MAX_DEPTH);
	char **names = NULL;
	size_t n = 0;
	int r = berth_dir_names(w->dir, &names, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = change_entry(ch, overlay, w, names[i], ret_listed, err);
	berth_dir_names_free(names, n);
	names = NULL;
	n = 0;
	/* copy: what the image has and the container does not */
	if (r == 0 && !overlay && w->other >= 0) {
		r = berth_dir_names(w->other, &names, &n, err);
		for (size_t k = 0; r == 0 && k < n; k++) {
			struct stat st;
			if (fstatat(w->dir, names[k], &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
				continue;
			snprintf(ch->path + w->len, sizeof(ch->path) - w->len, "%s", names[k]);
			++*ret_listed;
			r = change_add(ch, ch->path, CHANGE_DELETED, err);
		}
		berth_dir_names_free(names, n);
	}
	ch->path[w->len] = '\0';
	return r;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *) a, "Path")),
		      json_string_value(json_object_get(*(json_t *const *) b, "Path")));
}

/* [{Path, Kind}], sorted by path as docker sorts them. */
static json_t *sorted(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **items = calloc(n ? n : 1, sizeof(*items));
	json_t *out = json_array();
	if (!items || !out) {
		free(items);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof(*items), path_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	return out;
}

int berth_engine_container_changes(struct berth_engine *e, const char *what, json_t **ret, struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_strv_ char **lowers = NULL;
	struct berth_image img = { 0 };
	char dir[4096], path[4200];
	int r = find_container(e, what, &c, err);
	if (r < 0)
		return r;
	container_dir(e, c.id, dir);
	bool overlay = !berth_snapshotter_full_trees(e->snapshots);
	r = berth_images_get(e->db, c.image_id, &img, err);
	if (r == 0 && img.top_snapshot)
		r = berth_snapshot_lower_dirs(e->snapshots, img.top_snapshot, &lowers, err);
	berth_image_clear(&img);
	if (r < 0)
		return berth_error_wrap(err, "diff %s", c.id);
	struct changes ch = { .list = json_array() };
	size_t n = 0;
	while (lowers && lowers[n])
		n++;
	ch.lowers = calloc(n ? n : 1, sizeof(*ch.lowers));
	if (!ch.list || !ch.lowers)
		r = berth_error_sys(err, ENOMEM, "diff");
	for (size_t i = 0; r == 0 && i < n; i++) {
		ch.lowers[i] = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ch.lowers[i] < 0)
			r = berth_error_sys(err, errno, "diff: open layer %s", lowers[i]);
		else
			ch.n_lowers++;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, overlay ? "upper" : "rootfs");
	_cleanup_close_ int top = r == 0 ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (r == 0 && top < 0)
		r = berth_error_sys(err, errno, "diff: open %s", path);
	size_t listed = 0;
	struct walk w = { .dir = top, .other = overlay || ch.n_lowers == 0 ? -1 : ch.lowers[0] };
	if (r == 0)
		r = walk_changes(&ch, overlay, &w, &listed, err);
	for (size_t i = 0; i < ch.n_lowers; i++)
		close(ch.lowers[i]);
	free(ch.lowers);
	json_t *out = r == 0 ? sorted(ch.list) : NULL;
	json_decref(ch.list);
	if (r == 0 && !out)
		r = berth_error_sys(err, ENOMEM, "diff");
	if (r < 0)
		return r;
	*ret = out;
	return 0;
}
