#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "file.h"

/* A chain of layers deeper than any registry accepts is a loop in the
 * database, not an image. */
#define MAX_CHAIN_DEPTH 1000

struct berth_snapshotter {
	struct berth_db *db;
	int root_fd;
	char root[PATH_MAX];
	bool full_trees;
	/* Signalled whenever a snapshot stops being prepared. */
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

static const char *const schema[] = {
	"CREATE TABLE snapshots ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" key TEXT NOT NULL UNIQUE,"
	" parent TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('preparing', 'committed')),"
	" size INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX snapshots_parent ON snapshots (parent);",
};

/* Can this filesystem hold overlayfs upper and work dirs, and can the
 * kernel mount one?  Tried for real in a scratch directory. */
static bool overlay_works(int root_fd, const char *root)
{
	char dir[PATH_MAX], opts[PATH_MAX * 3 + 64];
	bool ok = false;

	snprintf(dir, sizeof(dir), "%s/probe-%d", root, (int) getpid());
	berth_remove_tree_at(root_fd, dir + strlen(root) + 1, &(struct berth_error){ 0 });
	if (mkdir(dir, 0700) < 0)
		return false;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && mkdirat(fd, "lower", 0755) == 0 && mkdirat(fd, "upper", 0755) == 0 &&
	    mkdirat(fd, "work", 0755) == 0 && mkdirat(fd, "merged", 0755) == 0 &&
	    mknodat(fd, "lower/wh", S_IFCHR | 0000, makedev(0, 0)) == 0) {
		snprintf(opts, sizeof(opts), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", dir, dir, dir);
		char merged[PATH_MAX + 16];
		snprintf(merged, sizeof(merged), "%s/merged", dir);
		if (mount("overlay", merged, "overlay", 0, opts) == 0) {
			ok = true;
			umount2(merged, MNT_DETACH);
		}
	}
	berth_remove_tree_at(root_fd, dir + strlen(root) + 1, &(struct berth_error){ 0 });
	return ok;
}

void berth_snapshotter_free(struct berth_snapshotter *sn)
{
	if (!sn)
		return;
	if (sn->root_fd >= 0)
		close(sn->root_fd);
	pthread_mutex_destroy(&sn->lock);
	pthread_cond_destroy(&sn->changed);
	free(sn);
}

int berth_snapshotter_open(struct berth_db *db, int dirfd, const char *path, const char *driver,
			   struct berth_snapshotter **ret, struct berth_error *err)
{
	_cleanup_snapshotter_ struct berth_snapshotter *sn = calloc(1, sizeof(*sn));
	if (!sn)
		return berth_error_sys(err, ENOMEM, "open snapshots");
	sn->db = db;
	sn->root_fd = -1;
	pthread_mutex_init(&sn->lock, NULL);
	pthread_cond_init(&sn->changed, NULL);
	if (mkdirat(dirfd, path, 0711) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s", path);
	sn->root_fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sn->root_fd < 0)
		return berth_error_sys(err, errno, "open %s", path);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", sn->root_fd);
	ssize_t n = readlink(self, sn->root, sizeof(sn->root) - 1);
	if (n < 0 || n >= (ssize_t) sizeof(sn->root) - 1)
		return berth_error_sys(err, n < 0 ? errno : ENAMETOOLONG, "resolve %s", path);
	sn->root[n] = '\0';

	if (driver == NULL)
		sn->full_trees = !overlay_works(sn->root_fd, sn->root);
	else if (strcmp(driver, "overlay") == 0 || strcmp(driver, "overlay2") == 0 || strcmp(driver, "overlayfs") == 0)
		sn->full_trees = false;
	else if (strcmp(driver, "copy") == 0 || strcmp(driver, "vfs") == 0)
		sn->full_trees = true;
	else
		return berth_error_set(err, EINVAL, "unknown storage driver \"%s\" (want overlay or copy)", driver);
	if (driver && !sn->full_trees && !overlay_works(sn->root_fd, sn->root))
		return berth_error_set(err, ENOTSUP, "storage driver overlay: cannot mount overlayfs on %s", sn->root);
	int r = berth_db_migrate(db, "snapshots", schema, BERTH_ARRAY_SIZE(schema), err);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&sn);
	return 0;
}

const char *berth_snapshotter_driver(const struct berth_snapshotter *sn)
{
	return sn->full_trees ? "copy" : "overlay";
}

const char *berth_snapshotter_root(const struct berth_snapshotter *sn)
{
	return sn->root;
}

bool berth_snapshotter_full_trees(const struct berth_snapshotter *sn)
{
	return sn->full_trees;
}

static void id_name(int64_t id, char out[32])
{
	snprintf(out, 32, "%lld", (long long) id);
}

/* Look a snapshot up: 0 with its fields, -ENOENT when there is none. */
static int snapshot_lookup(struct berth_snapshotter *sn, const char *key, int64_t *ret_id, bool *ret_committed,
			   char **ret_parent, int64_t *ret_size, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(sn->db, "SELECT id, state, parent, size FROM snapshots WHERE key = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, key);
	r = berth_db_step(sn->db, st, err);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (ret_id)
		*ret_id = sqlite3_column_int64(st, 0);
	if (ret_committed)
		*ret_committed = strcmp((const char *) sqlite3_column_text(st, 1), "committed") == 0;
	if (ret_parent)
		*ret_parent = berth_db_column_strdup(st, 2);
	if (ret_size)
		*ret_size = sqlite3_column_int64(st, 3);
	return 0;
}

int berth_snapshot_stat(struct berth_snapshotter *sn, const char *key, int64_t *ret_size, struct berth_error *err)
{
	bool committed = false;
	berth_db_lock(sn->db);
	int r = snapshot_lookup(sn, key, NULL, &committed, NULL, ret_size, err);
	berth_db_unlock(sn->db);
	if (r == 0 && !committed)
		r = -ENOENT;
	return r == -ENOENT ? berth_error_set(err, ENOENT, "snapshot %s not found", key) : r;
}

/* Record the snapshot as being prepared; its id names its directory. */
static int insert_preparing(struct berth_snapshotter *sn, const char *key, const char *parent, int64_t *ret_id,
			    struct berth_error *err)
{
	bool committed = false;
	int64_t id;
	berth_db_lock(sn->db);
	int r = snapshot_lookup(sn, key, &id, &committed, NULL, NULL, err);
	if (r == 0) {
		r = committed ? berth_error_set(err, EEXIST, "snapshot %s exists", key)
			      : berth_error_set(err, EBUSY, "snapshot %s is being prepared", key);
	} else if (r == -ENOENT) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		r = berth_db_prepare(sn->db,
				     "INSERT INTO snapshots (key, parent, state, created) VALUES (?, ?, 'preparing', ?)",
				     &st, err);
		if (r == 0) {
			berth_db_bind_text(st, 1, key);
			berth_db_bind_text(st, 2, parent);
			sqlite3_bind_int64(st, 3, (sqlite3_int64) time(NULL));
			r = berth_db_step(sn->db, st, err);
		}
		if (r >= 0) {
			*ret_id = sqlite3_last_insert_rowid(berth_db_handle(sn->db));
			r = 0;
		}
	}
	berth_db_unlock(sn->db);
	return r;
}

static int delete_row(struct berth_snapshotter *sn, int64_t id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	berth_db_lock(sn->db);
	int r = berth_db_prepare(sn->db, "DELETE FROM snapshots WHERE id = ?", &st, err);
	if (r == 0) {
		sqlite3_bind_int64(st, 1, id);
		r = berth_db_step(sn->db, st, err);
	}
	berth_db_unlock(sn->db);
	return r < 0 ? r : 0;
}

static void notify_changed(struct berth_snapshotter *sn)
{
	pthread_mutex_lock(&sn->lock);
	pthread_cond_broadcast(&sn->changed);
	pthread_mutex_unlock(&sn->lock);
}

/* The copy driver starts a snapshot as a copy of its parent's tree. */
static int copy_parent(struct berth_snapshotter *sn, const char *parent, int dirfd, struct berth_error *err)
{
	int64_t parent_id;
	bool committed = false;
	char name[64];

	berth_db_lock(sn->db);
	int r = snapshot_lookup(sn, parent, &parent_id, &committed, NULL, NULL, err);
	berth_db_unlock(sn->db);
	if (r == 0 && !committed)
		r = -ENOENT;
	if (r < 0)
		return r == -ENOENT ? berth_error_set(err, ENOENT, "parent snapshot %s not found", parent) : r;
	snprintf(name, sizeof(name), "%lld/fs", (long long) parent_id);
	_cleanup_close_ int src = openat(sn->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (src < 0)
		return berth_error_sys(err, errno, "open parent snapshot %s", parent);
	struct stat st;
	if (fstat(src, &st) < 0 || fchown(dirfd, st.st_uid, st.st_gid) < 0 || fchmod(dirfd, st.st_mode & 07777) < 0)
		return berth_error_sys(err, errno, "copy the root of parent snapshot %s", parent);
	return berth_copy_tree_flags(src, dirfd, BERTH_COPY_XATTRS | BERTH_COPY_HARDLINKS, err);
}

static int make_snapshot_dir(struct berth_snapshotter *sn, struct berth_snapshot_prep *p, const char *parent,
			     struct berth_error *err)
{
	char name[32];
	id_name(p->id, name);
	if (mkdirat(sn->root_fd, name, 0700) < 0)
		return berth_error_sys(err, errno, "create snapshot directory %s/%s", sn->root, name);
	_cleanup_close_ int dir = openat(sn->root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir < 0 || mkdirat(dir, "fs", 0755) < 0)
		return berth_error_sys(err, errno, "create snapshot directory %s/%s/fs", sn->root, name);
	p->dirfd = openat(dir, "fs", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (p->dirfd < 0)
		return berth_error_sys(err, errno, "open snapshot directory %s/%s/fs", sn->root, name);
	if (sn->full_trees && parent)
		return copy_parent(sn, parent, p->dirfd, err);
	return 0;
}

int berth_snapshot_prepare(struct berth_snapshotter *sn, const char *key, const char *parent,
			   struct berth_snapshot_prep **ret, struct berth_error *err)
{
	if (strlen(key) >= BERTH_SNAPSHOT_KEY_MAX)
		return berth_error_set(err, ENAMETOOLONG, "snapshot key %.40s...: too long", key);
	struct berth_snapshot_prep *p = calloc(1, sizeof(*p));
	if (!p)
		return berth_error_sys(err, ENOMEM, "prepare snapshot %s", key);
	p->dirfd = -1;
	snprintf(p->key, sizeof(p->key), "%s", key);
	int r = insert_preparing(sn, key, parent, &p->id, err);
	if (r < 0) {
		free(p);
		return r;
	}
	r = make_snapshot_dir(sn, p, parent, err);
	if (r < 0) {
		berth_error_wrap(err, "prepare snapshot %s", key);
		berth_snapshot_abort(sn, p);
		return r;
	}
	*ret = p;
	return 0;
}

int berth_snapshot_commit(struct berth_snapshotter *sn, struct berth_snapshot_prep *prep, int64_t size,
			  struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	berth_db_lock(sn->db);
	int r = berth_db_prepare(sn->db, "UPDATE snapshots SET state = 'committed', size = ? WHERE id = ?", &st, err);
	if (r == 0) {
		sqlite3_bind_int64(st, 1, size);
		sqlite3_bind_int64(st, 2, prep->id);
		r = berth_db_step(sn->db, st, err);
	}
	berth_db_unlock(sn->db);
	notify_changed(sn);
	return r < 0 ? berth_error_wrap(err, "commit snapshot %s", prep->key) : 0;
}

void berth_snapshot_prep_free(struct berth_snapshot_prep *prep)
{
	if (!prep)
		return;
	if (prep->dirfd >= 0)
		close(prep->dirfd);
	free(prep);
}

void berth_snapshot_abort(struct berth_snapshotter *sn, struct berth_snapshot_prep *prep)
{
	char name[32];
	struct berth_error ignored = { 0 };

	id_name(prep->id, name);
	/* Directory first: a crash in between leaves a 'preparing' row, which
	 * reconcile removes; never a row that points at nothing. */
	berth_remove_tree_at(sn->root_fd, name, &ignored);
	delete_row(sn, prep->id, &ignored);
	notify_changed(sn);
	berth_snapshot_prep_free(prep);
}

int berth_snapshot_wait(struct berth_snapshotter *sn, const char *key, struct berth_error *err)
{
	for (;;) {
		bool committed = false;
		berth_db_lock(sn->db);
		pthread_mutex_lock(&sn->lock);
		int r = snapshot_lookup(sn, key, NULL, &committed, NULL, NULL, err);
		berth_db_unlock(sn->db);
		if (r < 0 || committed) {
			pthread_mutex_unlock(&sn->lock);
			return r == -ENOENT ? berth_error_set(err, ENOENT, "snapshot %s was not made", key) : r;
		}
		/* Holding sn->lock from the lookup on: a commit or abort that
		 * happens now signals after we wait, not before. */
		pthread_cond_wait(&sn->changed, &sn->lock);
		pthread_mutex_unlock(&sn->lock);
	}
}

int berth_snapshot_lower_dirs(struct berth_snapshotter *sn, const char *key, char ***ret, struct berth_error *err)
{
	_cleanup_strv_ char **dirs = calloc(MAX_CHAIN_DEPTH + 1, sizeof(char *));
	_cleanup_free_ char *cur = strdup(key);
	size_t n = 0;
	int r = 0;

	if (!dirs || !cur)
		return berth_error_sys(err, ENOMEM, "snapshot %s", key);
	berth_db_lock(sn->db);
	while (cur && n < MAX_CHAIN_DEPTH) {
		int64_t id;
		bool committed = false;
		char *parent = NULL;
		r = snapshot_lookup(sn, cur, &id, &committed, &parent, NULL, err);
		if (r == 0 && !committed)
			r = -ENOENT;
		if (r < 0) {
			free(parent);
			break;
		}
		if (asprintf(&dirs[n++], "%s/%lld/fs", sn->root, (long long) id) < 0) {
			dirs[--n] = NULL;
			free(parent);
			r = berth_error_sys(err, ENOMEM, "snapshot %s", key);
			break;
		}
		free(cur);
		/* A full tree holds its ancestors already. */
		cur = sn->full_trees ? (free(parent), NULL) : parent;
	}
	berth_db_unlock(sn->db);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "snapshot %s (in the chain of %s) not found", cur, key);
	if (r < 0)
		return r;
	if (cur)
		return berth_error_set(err, ELOOP, "snapshot %s: chain deeper than %d layers", key, MAX_CHAIN_DEPTH);
	*ret = berth_steal_ptr(&dirs);
	return 0;
}

int berth_snapshot_remove(struct berth_snapshotter *sn, const char *key, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *children = NULL;
	int64_t id;
	char name[32];

	berth_db_lock(sn->db);
	int r = snapshot_lookup(sn, key, &id, NULL, NULL, NULL, err);
	if (r == 0)
		r = berth_db_prepare(sn->db, "SELECT 1 FROM snapshots WHERE parent = ? LIMIT 1", &children, err);
	if (r == 0) {
		berth_db_bind_text(children, 1, key);
		r = berth_db_step(sn->db, children, err);
		if (r == 1)
			r = berth_error_set(err, EBUSY, "snapshot %s has children", key);
	}
	berth_db_unlock(sn->db);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* Row first: a crash in between leaves a directory that reconcile
	 * removes, never a row whose files are half gone. */
	r = delete_row(sn, id, err);
	if (r < 0)
		return r;
	id_name(id, name);
	return berth_remove_tree_at(sn->root_fd, name, err);
}

int berth_snapshot_walk(struct berth_snapshotter *sn,
			int (*fn)(const char *key, const char *parent, int64_t size, void *ctx), void *ctx,
			struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	/* Collected first, called after: fn may use the database itself. */
	struct row {
		char *key, *parent;
		int64_t size;
	} *rows = NULL;
	size_t n = 0, cap = 0;

	berth_db_lock(sn->db);
	int r = berth_db_prepare(sn->db, "SELECT key, parent, size FROM snapshots WHERE state = 'committed'", &st, err);
	while (r == 0 && (r = berth_db_step(sn->db, st, err)) == 1) {
		if (n == cap) {
			struct row *nr = realloc(rows, (cap = cap ? cap * 2 : 32) * sizeof(*rows));
			if (!nr) {
				r = berth_error_sys(err, ENOMEM, "list snapshots");
				break;
			}
			rows = nr;
		}
		rows[n] = (struct row){ berth_db_column_strdup(st, 0), berth_db_column_strdup(st, 1),
					sqlite3_column_int64(st, 2) };
		n++;
		r = 0;
	}
	berth_db_unlock(sn->db);
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && rows[i].key)
			r = fn(rows[i].key, rows[i].parent, rows[i].size, ctx);
		free(rows[i].key);
		free(rows[i].parent);
	}
	free(rows);
	return r < 0 ? r : 0;
}

static bool id_known(struct berth_snapshotter *sn, const char *name, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char *end;
	long long id = strtoll(name, &end, 10);
	if (*end || end == name)
		return false;
	bool known = false;
	berth_db_lock(sn->db);
	if (berth_db_prepare(sn->db, "SELECT 1 FROM snapshots WHERE id = ?", &st, err) == 0) {
		sqlite3_bind_int64(st, 1, id);
		known = berth_db_step(sn->db, st, err) == 1;
	}
	berth_db_unlock(sn->db);
	return known;
}

int berth_snapshotter_reconcile(struct berth_snapshotter *sn, struct berth_error *err)
{
	berth_db_lock(sn->db);
	int r = berth_db_exec(sn->db, "DELETE FROM snapshots WHERE state = 'preparing'", err);
	berth_db_unlock(sn->db);
	if (r < 0)
		return r;
	int fd = openat(sn->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", sn->root);
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return berth_error_sys(err, errno, "read %s", sn->root);
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || id_known(sn, de->d_name, err))
			continue;
		r = berth_remove_tree_at(dirfd(dir), de->d_name, err);
		if (r < 0)
			return berth_error_wrap(err, "remove stale snapshot directory %s/%s", sn->root, de->d_name);
	}
	return 0;
}
