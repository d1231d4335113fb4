#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

struct berth_db {
	sqlite3 *handle;
	pthread_mutex_t lock;
};

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return EROFS;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	case SQLITE_NOTFOUND:
		return ENOENT;
	default:
		return EIO;
	}
}

static int db_error(struct berth_db *db, int rc, struct berth_error *err, const char *what)
{
	return berth_error_set(err, sqlite_errno(rc), "database: %s: %s", what,
			       db && db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
}

void berth_db_close(struct berth_db *db)
{
	if (!db)
		return;
	int saved = errno;
	sqlite3_close_v2(db->handle);
	pthread_mutex_destroy(&db->lock);
	free(db);
	errno = saved;
}

void berth_db_lock(struct berth_db *db)
{
	pthread_mutex_lock(&db->lock);
}

void berth_db_unlock(struct berth_db *db)
{
	pthread_mutex_unlock(&db->lock);
}

sqlite3 *berth_db_handle(struct berth_db *db)
{
	return db->handle;
}

int berth_db_exec(struct berth_db *db, const char *sql, struct berth_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->handle, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int r = berth_error_set(err, sqlite_errno(rc), "database: %.60s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

int berth_db_prepare(struct berth_db *db, const char *sql, sqlite3_stmt **ret, struct berth_error *err)
{
	int rc = sqlite3_prepare_v2(db->handle, sql, -1, ret, NULL);
	if (rc != SQLITE_OK) {
		char what[64];
		snprintf(what, sizeof(what), "prepare \"%.40s\"", sql);
		return db_error(db, rc, err, what);
	}
	return 0;
}

int berth_db_step(struct berth_db *db, sqlite3_stmt *stmt, struct berth_error *err)
{
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	char what[64];
	snprintf(what, sizeof(what), "\"%.40s\"", sqlite3_sql(stmt));
	return db_error(db, rc, err, what);
}

int berth_db_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	int rc = s ? sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, idx);
	return rc == SQLITE_OK ? 0 : -sqlite_errno(rc);
}

int berth_db_begin(struct berth_db *db, struct berth_error *err)
{
	return berth_db_exec(db, "BEGIN IMMEDIATE", err);
}

int berth_db_commit(struct berth_db *db, struct berth_error *err)
{
	return berth_db_exec(db, "COMMIT", err);
}

void berth_db_rollback(struct berth_db *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

char *berth_db_column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	return s ? strdup((const char *) s) : NULL;
}

static int db_component_version(struct berth_db *db, const char *component, int *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r = berth_db_exec(db,
			      "CREATE TABLE IF NOT EXISTS schema_versions ("
			      " component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
			      err);
	if (r == 0)
		r = berth_db_prepare(db, "SELECT version FROM schema_versions WHERE component = ?", &stmt, err);
	if (r < 0)
		return r;
	berth_db_bind_text(stmt, 1, component);
	r = berth_db_step(db, stmt, err);
	if (r < 0)
		return r;
	*ret = r == 1 ? sqlite3_column_int(stmt, 0) : 0;
	return 0;
}

static int db_migrate_one(struct berth_db *db, const char *component, const char *sql, size_t to,
			  struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *bump = NULL;
	int r = berth_db_begin(db, err);
	if (r == 0)
		r = berth_db_exec(db, sql, err);
	if (r == 0)
		r = berth_db_prepare(db, "INSERT OR REPLACE INTO schema_versions (component, version) VALUES (?, ?)",
				     &bump, err);
	if (r == 0) {
		berth_db_bind_text(bump, 1, component);
		sqlite3_bind_int64(bump, 2, (sqlite3_int64) to);
		r = berth_db_step(db, bump, err);
	}
	if (r >= 0)
		r = berth_db_commit(db, err);
	if (r < 0) {
		berth_db_rollback(db);
		return berth_error_wrap(err, "migrate %s tables to version %zu", component, to);
	}
	return 0;
}

int berth_db_migrate(struct berth_db *db, const char *component, const char *const *migrations, size_t n,
		     struct berth_error *err)
{
	int version;
	berth_db_lock(db);
	int r = db_component_version(db, component, &version, err);
	if (r == 0 && (version < 0 || (size_t) version > n))
		r = berth_error_set(err, EPROTO, "database: %s tables are at version %d, newer than this berth (%zu)",
				    component, version, n);
	for (size_t i = r == 0 ? (size_t) version : n; i < n && r == 0; i++)
		r = db_migrate_one(db, component, migrations[i], i + 1, err);
	berth_db_unlock(db);
	return r;
}

int berth_db_open(const char *path, struct berth_db **ret, struct berth_error *err)
{
	_cleanup_db_ struct berth_db *db = calloc(1, sizeof(*db));
	if (!db)
		return berth_error_sys(err, ENOMEM, "open database %s", path);
	pthread_mutex_init(&db->lock, NULL);
	int rc = sqlite3_open_v2(path, &db->handle,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
					 SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
				 NULL);
	if (rc != SQLITE_OK)
		return berth_error_set(err, sqlite_errno(rc), "open database %s: %s", path,
				       db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(db->handle, 5000);
	int r = berth_db_exec(db,
			      "PRAGMA journal_mode = WAL;"
			      "PRAGMA synchronous = FULL;"
			      /* the metadata is small: 512 KiB of page cache, not SQLite's
			       * 2 MiB, which an idle daemon would keep for nothing */
			      "PRAGMA cache_size = -512;"
			      "PRAGMA foreign_keys = ON;",
			      err);
	if (r < 0)
		return berth_error_wrap(err, "open database %s", path);
	*ret = berth_steal_ptr(&db);
	return 0;
}
