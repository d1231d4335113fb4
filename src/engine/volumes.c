/* The volume store: rows and directories (see volumes.h); docker's
 * semantics over it are in engine_volumes.c. */
#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "events.h"
#include "file.h"
#include "json.h"
#include "mountinfo.h"

#define TRASH ".trash"
#define SIZE_MAX_DEPTH 128
#define OPTION_O_MAX 4096

static const char *const schema[] = {
	"CREATE TABLE volumes ("
	" name TEXT PRIMARY KEY,"
	" driver TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" labels TEXT NOT NULL,"
	" options TEXT NOT NULL,"
	" anonymous INTEGER NOT NULL);"
	"CREATE TABLE volume_refs ("
	" volume TEXT NOT NULL,"
	" container TEXT NOT NULL,"
	" PRIMARY KEY (volume, container));"
	"CREATE INDEX volume_refs_container ON volume_refs (container);",
};

struct berth_volumes {
	struct berth_db *db;
	int dir_fd; /* ROOT/volumes */
	char *dir;  /* its path, symlinks resolved (as /proc/self/mountinfo shows it) */
	/* One create, remove or reference at a time: a row and its directory
	 * change together.  Taken before the database lock, never after. */
	pthread_mutex_t lock;
	int pruning;
};

void berth_volume_clear(struct berth_volume *v)
{
	json_decref(v->labels);
	json_decref(v->options);
	free(v->mountpoint);
	*v = (struct berth_volume){ 0 };
}

void berth_volumes_free_list(struct berth_volume *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_volume_clear(&v[i]);
	free(v);
}

int berth_volumes_open(struct berth_db *db, int root_fd, const char *root, struct berth_volumes **ret,
		       struct berth_error *err)
{
	_cleanup_free_ char *real = realpath(root, NULL);
	if (!real)
		return berth_error_sys(err, errno, "resolve %s", root);
	if (mkdirat(root_fd, "volumes", 0701) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s/volumes", root);
	struct berth_volumes *vs = calloc(1, sizeof(*vs));
	if (!vs)
		return berth_error_sys(err, ENOMEM, "volumes");
	pthread_mutex_init(&vs->lock, NULL);
	vs->db = db;
	vs->dir_fd = openat(root_fd, "volumes", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = vs->dir_fd >= 0 ? 0 : berth_error_sys(err, errno, "open %s/volumes", root);
	if (r == 0 && asprintf(&vs->dir, "%s/volumes", real) < 0) {
		vs->dir = NULL;
		r = berth_error_sys(err, ENOMEM, "volumes");
	}
	if (r == 0)
		r = berth_db_migrate(db, "volumes", schema, BERTH_ARRAY_SIZE(schema), err);
	if (r < 0) {
		berth_volumes_free(vs);
		return r;
	}
	*ret = vs;
	return 0;
}

void berth_volumes_free(struct berth_volumes *vs)
{
	if (!vs)
		return;
	if (vs->dir_fd >= 0)
		close(vs->dir_fd);
	pthread_mutex_destroy(&vs->lock);
	free(vs->dir);
	free(vs);
}

/* ---- names ---- */

/* The length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Go's escape for c (strconv.Quote), or 0. */
static char go_escape(unsigned char c)
{
	switch (c) {
	case '\a': return 'a';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\v': return 'v';
	case '\\': return '\\';
	case '"': return '"';
	default: return 0;
	}
}

/* Go's %q of s (the first 256 bytes), as dockerd quotes a name. */
static void go_quote(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t o = (size_t) snprintf(out, size, "\"");
	for (size_t i = 0; p[i] && i < 256 && o + 12 < size; i++) {
		size_t u = p[i] >= 0x80 ? utf8_len(p + i) : 0;
		if (go_escape(p[i])) {
			o += (size_t) snprintf(out + o, size - o, "\\%c", go_escape(p[i]));
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			out[o++] = (char) p[i];
		} else if (u == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			o += (size_t) snprintf(out + o, size - o, "\\u%04x", p[i + 1]); /* C1 controls */
			i++;
		} else if (u > 0) {
			memcpy(out + o, p + i, u);
			o += u;
			i += u - 1;
		} else {
			o += (size_t) snprintf(out + o, size - o, "\\x%02x", p[i]);
		}
	}
	snprintf(out + o, size - o, "\"");
}

int berth_volume_name_check(const char *name, struct berth_error *err)
{
	size_t n = strlen(name);
	if (n == 1)
		return berth_error_set(err, EINVAL,
				       "volume name is too short, names should be at least two alphanumeric characters");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))
			continue;
		char quoted[1300];
		go_quote(name, quoted, sizeof(quoted));
		return berth_error_set(err, EINVAL,
				       "%s includes invalid characters for a local volume name, only "
				       "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
				       "directory, use absolute path",
				       quoted);
	}
	if (n > BERTH_VOLUME_NAME_MAX)
		return berth_error_set(err, ENAMETOOLONG, "volume name is too long: at most %d characters",
				       BERTH_VOLUME_NAME_MAX);
	return 0;
}

static int random_name(char out[65], struct berth_error *err)
{
	unsigned char bytes[32];
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes))
		return berth_error_sys(err, errno, "make a volume name: getrandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* ---- rows ---- */

#define COLUMNS                                                                                              \
	"SELECT name, created, labels, options, anonymous,"                                                  \
	" (SELECT COUNT(*) FROM volume_refs r WHERE r.volume = volumes.name) FROM volumes"

static json_t *column_json(sqlite3_stmt *st, int col)
{
	const char *text = (const char *) sqlite3_column_text(st, col);
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int read_row(struct berth_volumes *vs, sqlite3_stmt *st, struct berth_volume *v, struct berth_error *err)
{
	*v = (struct berth_volume){ 0 };
	snprintf(v->name, sizeof(v->name), "%s", (const char *) sqlite3_column_text(st, 0));
	v->created_nano = sqlite3_column_int64(st, 1);
	v->labels = column_json(st, 2);
	v->options = column_json(st, 3);
	v->anonymous = sqlite3_column_int(st, 4) != 0;
	v->refs = sqlite3_column_int64(st, 5);
	if (asprintf(&v->mountpoint, "%s/%s/_data", vs->dir, v->name) < 0) {
		v->mountpoint = NULL;
		berth_volume_clear(v);
		return berth_error_sys(err, ENOMEM, "volume %s", v->name);
	}
	return 0;
}

/* 1 with *ret filled, 0 when there is no such row; db locked by the caller. */
static int find_row(struct berth_volumes *vs, const char *name, struct berth_volume *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(vs->db, COLUMNS " WHERE name = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, name);
	r = berth_db_step(vs->db, st, err);
	if (r == 1 && ret)
		r = read_row(vs, st, ret, err) < 0 ? -err->code : 1;
	return r;
}

static int locked_find(struct berth_volumes *vs, const char *name, struct berth_volume *ret, struct berth_error *err)
{
	berth_db_lock(vs->db);
	int r = find_row(vs, name, ret, err);
	berth_db_unlock(vs->db);
	return r;
}

/* One statement with text parameters (NULL-terminated); db not locked. */
static int exec_text(struct berth_volumes *vs, const char *sql, const char *const *params, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	berth_db_lock(vs->db);
	int r = berth_db_prepare(vs->db, sql, &st, err);
	for (int i = 0; r == 0 && params[i]; i++)
		r = berth_db_bind_text(st, i + 1, params[i]);
	if (r == 0)
		r = berth_db_step(vs->db, st, err);
	berth_db_unlock(vs->db);
	return r < 0 ? r : 0;
}

static int insert_row(struct berth_volumes *vs, const char *name, int64_t created, json_t *labels, json_t *options,
		      bool anonymous, struct berth_error *err)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS;
	_cleanup_free_ char *l = json_dumps(labels ? labels : json_null(), flags);
	_cleanup_free_ char *o = json_dumps(options ? options : json_null(), flags);
	char when[32];
	if (!l || !o)
		return berth_error_sys(err, ENOMEM, "record volume %s", name);
	snprintf(when, sizeof(when), "%lld", (long long) created);
	const char *params[] = { name, BERTH_VOLUME_DRIVER, when, l, o, anonymous ? "1" : "0", NULL };
	return exec_text(vs,
			 "INSERT INTO volumes (name, driver, created, labels, options, anonymous)"
			 " VALUES (?, ?, CAST(? AS INTEGER), ?, ?, CAST(? AS INTEGER))",
			 params, err);
}

/* ---- directories ---- */

/* NAME and NAME/_data, durable before the row that makes them a volume. */
static int make_dirs(struct berth_volumes *vs, const char *name, struct berth_error *err)
{
	if (mkdirat(vs->dir_fd, name, 0701) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s/%s", vs->dir, name);
	_cleanup_close_ int fd = openat(vs->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s/%s", vs->dir, name);
	if (mkdirat(fd, "_data", 0755) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s/%s/_data", vs->dir, name);
	if (fsync(fd) < 0 || fsync(vs->dir_fd) < 0)
		return berth_error_sys(err, errno, "sync %s/%s", vs->dir, name);
	return 0;
}

/* Stops the walk (a negative return) at path. */
static int find_mount(const struct berth_mountinfo_entry *e, void *ctx)
{
	return strcmp(e->mountpoint, ctx) == 0 ? -EEXIST : 0;
}

/* Unreadable mountinfo counts as mounted: nothing is removed through a
 * mount that could not be ruled out. */
static bool is_mounted(const char *path)
{
	struct berth_error ignored = { 0 };
	return berth_mountinfo_foreach(find_mount, (void *) path, &ignored) < 0;
}

/* Unmount whatever is mounted on PARENT/NAME/_data; -EBUSY when something
 * stays, so that its tree is never removed through the mount. */
static int unmount_data(const char *parent, const char *name, struct berth_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s/_data", parent, name);
	for (int i = 0; i < 32 && is_mounted(path); i++)
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL)
			return berth_error_sys(err, errno, "unmount %s", path);
	if (is_mounted(path))
		return berth_error_set(err, EBUSY, "unmount %s: still mounted", path);
	return 0;
}

static int open_trash(struct berth_volumes *vs, struct berth_error *err)
{
	if (mkdirat(vs->dir_fd, TRASH, 0700) < 0 && errno != EEXIST)
		return berth_error_sys(err, errno, "create %s/" TRASH, vs->dir);
	int fd = openat(vs->dir_fd, TRASH, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? fd : berth_error_sys(err, errno, "open %s/" TRASH, vs->dir);
}

/* Remove .trash/NAME (unmounted first). */
static int empty_trash(struct berth_volumes *vs, int trash_fd, const char *name, struct berth_error *err)
{
	char trash[PATH_MAX];
	snprintf(trash, sizeof(trash), "%s/" TRASH, vs->dir);
	int r = unmount_data(trash, name, err);
	return r < 0 ? r : berth_remove_tree_at(trash_fd, name, err);
}

/* Directory, then row: see volumes.h. */
static int remove_locked(struct berth_volumes *vs, const char *name, struct berth_error *err)
{
	_cleanup_close_ int trash_fd = open_trash(vs, err);
	if (trash_fd < 0)
		return trash_fd;
	int r = unmount_data(vs->dir, name, err);
	if (r == 0)
		r = empty_trash(vs, trash_fd, name, err); /* a leftover of an earlier failure */
	if (r == 0 && renameat(vs->dir_fd, name, trash_fd, name) < 0 && errno != ENOENT)
		r = berth_error_sys(err, errno, "move %s/%s to %s/" TRASH, vs->dir, name, vs->dir);
	if (r == 0) {
		const char *params[] = { name, NULL };
		r = exec_text(vs, "DELETE FROM volumes WHERE name = ?", params, err);
	}
	if (r < 0)
		return berth_error_wrap(err, "remove %s", name);
	/* The volume is gone; a tree that resists is retried at the next start. */
	struct berth_error ignored = { 0 };
	empty_trash(vs, trash_fd, name, &ignored);
	return 0;
}

/* ---- sizes ---- */

struct inode_set {
	uint64_t *slots; /* open addressing; 0 is empty */
	size_t cap, n;
};

/* true when (dev, ino) was there already; else it is added. */
static bool inode_seen(struct inode_set *s, dev_t dev, ino_t ino)
{
	uint64_t key = ((uint64_t) ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t) dev;
	key = key ? key : 1;
	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *slots = calloc(cap, sizeof(*slots));
		for (size_t i = 0; slots && i < s->cap; i++) {
			size_t j = s->slots[i] % cap;
			while (s->slots[i] && slots[j])
				j = (j + 1) % cap;
			if (s->slots[i])
				slots[j] = s->slots[i];
		}
		if (slots) {
			free(s->slots);
			s->slots = slots;
			s->cap = cap;
		} else if (s->n >= s->cap) {
			return false; /* no room: counted twice at worst */
		}
	}
	size_t i = key % s->cap;
	while (s->slots[i] && s->slots[i] != key)
		i = (i + 1) % s->cap;
	if (s->slots[i])
		return true;
	s->slots[i] = key;
	s->n++;
	return false;
}

static uint64_t tree_size(int dirfd, int depth, struct inode_set *seen)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	uint64_t size = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < SIZE_MAX_DEPTH) {
			_cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				size += tree_size(sub, depth + 1, seen);
		} else if (!S_ISDIR(st.st_mode) && st.st_size > 0 && !inode_seen(seen, st.st_dev, st.st_ino)) {
			size += (uint64_t) st.st_size;
		}
	}
	return size;
}

uint64_t berth_volumes_tree_size(int dirfd)
{
	struct inode_set seen = { 0 };
	uint64_t size = tree_size(dirfd, 0, &seen);
	free(seen.slots);
	return size;
}

static uint64_t data_size(struct berth_volumes *vs, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/_data", name);
	_cleanup_close_ int fd = openat(vs->dir_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? berth_volumes_tree_size(fd) : 0;
}

/* ---- the store's operations ---- */

static int add_ref(struct berth_volumes *vs, const char *name, const char *container, struct berth_error *err)
{
	const char *params[] = { name, container, NULL };
	return exec_text(vs, "INSERT OR IGNORE INTO volume_refs (volume, container) VALUES (?, ?)", params, err);
}

static int create_locked(struct berth_volumes *vs, const struct berth_volume_create *req, const char *name,
			 struct berth_volume *ret, bool *ret_created, struct berth_error *err)
{
	int r = berth_volume_name_check(name, err);
	if (r == 0)
		r = locked_find(vs, name, NULL, err);
	if (r == 0) {
		bool anonymous = !req->name || !*req->name;
		_cleanup_json_ json_t *labels = req->labels ? json_deep_copy(req->labels) : NULL;
		if (anonymous && !labels)
			labels = json_object();
		if (anonymous && json_object_set_new(labels, BERTH_VOLUME_ANONYMOUS_LABEL, json_string("")) < 0)
			return berth_error_sys(err, ENOMEM, "create %s", name);
		anonymous = anonymous || json_object_get(labels, BERTH_VOLUME_ANONYMOUS_LABEL);
		r = make_dirs(vs, name, err);
		if (r == 0)
			r = insert_row(vs, name, berth_events_now_nano(), labels, req->options, anonymous, err);
		if (r < 0) {
			struct berth_error ignored = { 0 };
			berth_remove_tree_at(vs->dir_fd, name, &ignored);
		} else if (ret_created) {
			*ret_created = true;
		}
	}
	if (r >= 0 && req->ref)
		r = add_ref(vs, name, req->ref, err);
	if (r >= 0)
		r = locked_find(vs, name, ret, err) == 1 ? 0 : berth_error_set(err, EIO, "volume %s vanished", name);
	return r < 0 ? berth_error_wrap(err, "create %s", name) : 0;
}

int berth_volumes_create(struct berth_volumes *vs, const struct berth_volume_create *req, struct berth_volume *ret,
			 bool *ret_created, struct berth_error *err)
{
	char generated[65];
	const char *name = req->name && *req->name ? req->name : generated;
	if (ret_created)
		*ret_created = false;
	if (name == generated && random_name(generated, err) < 0)
		return -err->code;
	pthread_mutex_lock(&vs->lock);
	int r = create_locked(vs, req, name, ret, ret_created, err);
	pthread_mutex_unlock(&vs->lock);
	return r;
}

int berth_volumes_get(struct berth_volumes *vs, const char *name, struct berth_volume *ret, struct berth_error *err)
{
	int r = locked_find(vs, name, ret, err);
	if (r == 0)
		return berth_error_set(err, ENOENT, "get %s: no such volume", name);
	return r < 0 ? r : 0;
}

int berth_volumes_list(struct berth_volumes *vs, struct berth_volume **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_volume *v = NULL;
	size_t n = 0;
	berth_db_lock(vs->db);
	int r = berth_db_prepare(vs->db, COLUMNS " ORDER BY name", &st, err);
	while (r == 0 && (r = berth_db_step(vs->db, st, err)) == 1) {
		struct berth_volume *grown = realloc(v, (n + 1) * sizeof(*v));
		if (!grown) {
			r = berth_error_sys(err, ENOMEM, "list volumes");
			break;
		}
		v = grown;
		r = read_row(vs, st, &v[n], err);
		if (r == 0)
			n++;
	}
	berth_db_unlock(vs->db);
	if (r < 0) {
		berth_volumes_free_list(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The users as docker's message lists them: "[a, b]". */
static int in_use_error(struct berth_volumes *vs, const char *name, struct berth_error *err)
{
	_cleanup_strv_ char **users = NULL;
	char list[1024] = "";
	size_t o = 0;
	if (berth_volumes_users(vs, name, &users, err) < 0)
		return -err->code;
	for (size_t i = 0; users[i] && o < sizeof(list); i++)
		o += (size_t) snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", users[i]);
	return berth_error_set(err, EBUSY, "remove %s: volume is in use - [%s]", name, list);
}

int berth_volumes_remove(struct berth_volumes *vs, const char *name, uint64_t *ret_size, struct berth_error *err)
{
	_cleanup_volume_ struct berth_volume v = { 0 };
	pthread_mutex_lock(&vs->lock);
	int r = berth_volumes_get(vs, name, &v, err);
	if (r == 0 && v.refs > 0)
		r = in_use_error(vs, name, err);
	if (r == 0 && ret_size)
		*ret_size = data_size(vs, name);
	if (r == 0)
		r = remove_locked(vs, name, err);
	pthread_mutex_unlock(&vs->lock);
	return r;
}

int berth_volumes_ref(struct berth_volumes *vs, const char *name, const char *container, struct berth_error *err)
{
	pthread_mutex_lock(&vs->lock);
	int r = berth_volumes_get(vs, name, NULL, err);
	if (r == 0)
		r = add_ref(vs, name, container, err);
	pthread_mutex_unlock(&vs->lock);
	return r;
}

int berth_volumes_release(struct berth_volumes *vs, const char *container, struct berth_error *err)
{
	const char *params[] = { container, NULL };
	pthread_mutex_lock(&vs->lock);
	int r = exec_text(vs, "DELETE FROM volume_refs WHERE container = ?", params, err);
	pthread_mutex_unlock(&vs->lock);
	return r;
}

/* The first column of a query, as a NULL-terminated array. */
static int query_strv(struct berth_volumes *vs, const char *sql, const char *param, char ***ret,
		      struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	size_t n = 0;
	berth_db_lock(vs->db);
	int r = v ? berth_db_prepare(vs->db, sql, &st, err) : berth_error_sys(err, ENOMEM, "volumes");
	if (r == 0 && param)
		berth_db_bind_text(st, 1, param);
	while (r == 0 && (r = berth_db_step(vs->db, st, err)) == 1) {
		char **grown = realloc(v, (n + 2) * sizeof(char *));
		if (!grown) {
			r = berth_error_sys(err, ENOMEM, "volumes");
			break;
		}
		v = grown;
		v[n] = berth_db_column_strdup(st, 0);
		v[++n] = NULL;
		r = v[n - 1] ? 0 : berth_error_sys(err, ENOMEM, "volumes");
	}
	berth_db_unlock(vs->db);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&v);
	return 0;
}

int berth_volumes_users(struct berth_volumes *vs, const char *name, char ***ret, struct berth_error *err)
{
	return query_strv(vs, "SELECT container FROM volume_refs WHERE volume = ? ORDER BY container", name, ret, err);
}

int berth_volumes_release_unknown(struct berth_volumes *vs, bool (*exists)(void *ctx, const char *container),
				  void *ctx, struct berth_error *err)
{
	_cleanup_strv_ char **users = NULL;
	int r = query_strv(vs, "SELECT DISTINCT container FROM volume_refs", NULL, &users, err);
	for (size_t i = 0; r == 0 && users[i]; i++)
		if (!exists(ctx, users[i]))
			r = berth_volumes_release(vs, users[i], err);
	return r;
}

bool berth_volumes_prune_begin(struct berth_volumes *vs)
{
	return __atomic_exchange_n(&vs->pruning, 1, __ATOMIC_ACQ_REL) == 0;
}

void berth_volumes_prune_end(struct berth_volumes *vs)
{
	__atomic_store_n(&vs->pruning, 0, __ATOMIC_RELEASE);
}

/* ---- reconcile ---- */

static bool dir_is_empty(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return errno == ENOENT;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

/* Interrupted removals: the row goes (if the crash left it), then the tree. */
static int reconcile_trash(struct berth_volumes *vs, struct berth_volumes_reconcile_stats *st,
			   struct berth_error *err)
{
	_cleanup_close_ int trash_fd = open_trash(vs, err);
	if (trash_fd < 0)
		return trash_fd;
	int fd = fcntl(trash_fd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_error_sys(err, errno, "read %s/" TRASH, vs->dir);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		const char *params[] = { de->d_name, NULL };
		int r = exec_text(vs, "DELETE FROM volumes WHERE name = ?", params, err);
		if (r == 0)
			r = empty_trash(vs, trash_fd, de->d_name, err);
		if (r < 0)
			return r;
		st->trashed++;
	}
	return 0;
}

static int reconcile_entry(struct berth_volumes *vs, const char *name, struct berth_volumes_reconcile_stats *st,
			   struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	struct stat sb;
	char data[PATH_MAX];
	if (berth_volume_name_check(name, &ignored) < 0 || fstatat(vs->dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(sb.st_mode))
		return 0; /* not ours: left alone */
	int r = locked_find(vs, name, NULL, err);
	if (r != 0)
		return r < 0 ? r : 0;
	snprintf(data, sizeof(data), "%s/_data", name);
	if (dir_is_empty(vs->dir_fd, data)) {
		/* a create that died before its row: nothing in it yet */
		r = unmount_data(vs->dir, name, err);
		if (r == 0)
			r = berth_remove_tree_at(vs->dir_fd, name, err);
		st->removed += r == 0;
		return r;
	}
	/* data without a row (a database restored from a backup...): kept,
	 * as dockerd's local driver lists every directory it finds */
	r = make_dirs(vs, name, err);
	if (r == 0)
		r = insert_row(vs, name, (int64_t) sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec, NULL, NULL, false,
			       err);
	st->adopted += r == 0;
	return r;
}

static int reconcile_dirs(struct berth_volumes *vs, struct berth_volumes_reconcile_stats *st, struct berth_error *err)
{
	int fd = fcntl(vs->dir_fd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_error_sys(err, errno, "read %s", vs->dir);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		int r = reconcile_entry(vs, de->d_name, st, err);
		if (r < 0)
			return berth_error_wrap(err, "reconcile volume %s", de->d_name);
	}
	return 0;
}

int berth_volumes_reconcile(struct berth_volumes *vs, struct berth_volumes_reconcile_stats *stats,
			    struct berth_error *err)
{
	struct berth_volumes_reconcile_stats st = { 0 };
	struct berth_volume *v = NULL;
	size_t n = 0;
	pthread_mutex_lock(&vs->lock);
	int r = reconcile_trash(vs, &st, err);
	if (r == 0)
		r = reconcile_dirs(vs, &st, err);
	if (r == 0)
		r = berth_volumes_list(vs, &v, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char data[PATH_MAX];
		struct stat sb;
		snprintf(data, sizeof(data), "%s/_data", v[i].name);
		if (fstatat(vs->dir_fd, data, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
			continue;
		r = make_dirs(vs, v[i].name, err);
		st.recreated += r == 0;
	}
	pthread_mutex_unlock(&vs->lock);
	berth_volumes_free_list(v, n);
	if (stats)
		*stats = st;
	return r;
}

/* ---- mounting driver options ---- */

struct mount_flag {
	const char *name;
	unsigned long set, clear;
};

static const struct mount_flag mount_flags[] = {
	{ "ro", MS_RDONLY, 0 },	      { "rw", 0, MS_RDONLY },	    { "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },     { "nodev", MS_NODEV, 0 },	    { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },   { "exec", 0, MS_NOEXEC },	    { "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS }, { "dirsync", MS_DIRSYNC, 0 }, { "noatime", MS_NOATIME, 0 },
	{ "atime", 0, MS_NOATIME },   { "nodiratime", MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME }, { "strictatime", MS_STRICTATIME, 0 }, { "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 }, { "defaults", 0, 0 },
};

/* "o": flags to *flags, the rest (comma-separated) to data. */
static int parse_o(const char *o, unsigned long *flags, char *data, size_t size, struct berth_error *err)
{
	char buf[OPTION_O_MAX];
	size_t d = 0;
	if (strlen(o) >= sizeof(buf))
		return berth_error_set(err, EINVAL, "option o is longer than %d bytes", OPTION_O_MAX - 1);
	snprintf(buf, sizeof(buf), "%s", o);
	data[0] = '\0';
	for (char *save = NULL, *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < BERTH_ARRAY_SIZE(mount_flags) && strcmp(mount_flags[i].name, opt) != 0)
			i++;
		if (i < BERTH_ARRAY_SIZE(mount_flags))
			*flags = (*flags | mount_flags[i].set) & ~mount_flags[i].clear;
		else
			d += (size_t) snprintf(data + d, size - d, "%s%s", d ? "," : "", opt);
	}
	return 0;
}

/* Mount on NAME/_data through its descriptor (no path followed twice);
 * a bind mount takes its other flags from a remount of the new mount. */
static int mount_data(struct berth_volumes *vs, const struct berth_volume *v, const char *device, const char *type,
		      unsigned long flags, const char *data, struct berth_error *err)
{
	char path[PATH_MAX], target[64];
	snprintf(path, sizeof(path), "%s/_data", v->name);
	_cleanup_close_ int fd = openat(vs->dir_fd, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open %s", v->mountpoint);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	unsigned long first = flags & MS_BIND ? flags & (MS_BIND | MS_REC) : flags;
	if (mount(device, target, type, first, *data ? data : NULL) < 0)
		return berth_error_sys(err, errno, "mount %s (type %s) on %s", device, type, v->mountpoint);
	if (!(flags & MS_BIND) || !(flags & ~(MS_BIND | MS_REC)))
		return 0;
	_cleanup_close_ int top = openat(vs->dir_fd, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", top);
	if (top < 0 || mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC), NULL) < 0) {
		int saved = errno;
		umount2(v->mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW);
		return berth_error_sys(err, saved, "remount the bind mount on %s with its flags", v->mountpoint);
	}
	return 0;
}

int berth_volumes_mount(struct berth_volumes *vs, const struct berth_volume *v, struct berth_error *err)
{
	const char *type = json_string_value(json_object_get(v->options, "type"));
	const char *device = json_string_value(json_object_get(v->options, "device"));
	const char *o = json_string_value(json_object_get(v->options, "o"));
	unsigned long flags = 0;
	char data[OPTION_O_MAX];
	if (!device || !type)
		return 0;
	int r = parse_o(o ? o : "", &flags, data, sizeof(data), err);
	if (r < 0)
		return berth_error_wrap(err, "mount volume %s", v->name);
	pthread_mutex_lock(&vs->lock);
	if (!is_mounted(v->mountpoint))
		r = mount_data(vs, v, device, type, flags, data, err);
	pthread_mutex_unlock(&vs->lock);
	return r < 0 ? berth_error_wrap(err, "mount volume %s", v->name) : 0;
}
