/* The daemon's metadata database: SQLite, in WAL mode with full syncs, so a
 * committed transaction survives a crash or a power loss.
 *
 * One connection is shared by every thread of the daemon.  SQLite serialises
 * single calls by itself, but a transaction spans many calls: whoever runs
 * statements holds the database lock (berth_db_lock) for the whole
 * operation, so two threads' statements never mix in one transaction. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct berth_db;

/* Open path (created if missing). */
int berth_db_open(const char *path, struct berth_db **ret, struct berth_error *err);

/* Bring one component's tables up to date: migrations[i] is the SQL that
 * takes the component from version i to i+1, each run in its own
 * transaction.  Components (images, snapshots, containers...) keep their own
 * versions, so each module owns its schema.  A version newer than this
 * program knows is refused. */
int berth_db_migrate(struct berth_db *db, const char *component, const char *const *migrations, size_t n,
		     struct berth_error *err);
void berth_db_close(struct berth_db *db);

void berth_db_lock(struct berth_db *db);
void berth_db_unlock(struct berth_db *db);

sqlite3 *berth_db_handle(struct berth_db *db);

/* Run SQL without results (several statements allowed). */
int berth_db_exec(struct berth_db *db, const char *sql, struct berth_error *err);

/* Prepare one statement; errors name the SQL's first words. */
int berth_db_prepare(struct berth_db *db, const char *sql, sqlite3_stmt **ret, struct berth_error *err);

/* Step a statement: 1 for a row, 0 when done, negative on error. */
int berth_db_step(struct berth_db *db, sqlite3_stmt *stmt, struct berth_error *err);

/* Bind a text or NULL (when s is NULL) to parameter idx (1-based). */
int berth_db_bind_text(sqlite3_stmt *stmt, int idx, const char *s);

int berth_db_begin(struct berth_db *db, struct berth_error *err);
int berth_db_commit(struct berth_db *db, struct berth_error *err);
/* Roll back when a transaction is open; safe to call after a failed commit. */
void berth_db_rollback(struct berth_db *db);

/* A column as a malloc'ed string (NULL for SQL NULL); NULL also on ENOMEM. */
char *berth_db_column_strdup(sqlite3_stmt *stmt, int col);

static inline void berth_db_finalizep(sqlite3_stmt **s)
{
	if (*s)
		sqlite3_finalize(*s);
}
static inline void berth_db_closep(struct berth_db **db)
{
	berth_db_close(*db);
}
#define _cleanup_stmt_ __attribute__((cleanup(berth_db_finalizep)))
#define _cleanup_db_ __attribute__((cleanup(berth_db_closep)))
