#include "images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

static const char *const schema[] = {
	"CREATE TABLE images ("
	" id TEXT PRIMARY KEY,"
	" manifest TEXT NOT NULL,"
	" top_snapshot TEXT,"
	" size INTEGER NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE image_refs ("
	" ref TEXT PRIMARY KEY,"
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL CHECK (kind IN ('tag', 'digest')),"
	" created INTEGER NOT NULL);"
	"CREATE INDEX image_refs_image ON image_refs (image_id);"
	"CREATE TABLE image_blobs ("
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	" digest TEXT NOT NULL,"
	" PRIMARY KEY (image_id, digest));"
	"CREATE INDEX image_blobs_digest ON image_blobs (digest);"
	"CREATE TABLE image_layers ("
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"
	" chain_id TEXT NOT NULL,"
	" diff_id TEXT NOT NULL,"
	" PRIMARY KEY (image_id, idx));"
	"CREATE INDEX image_layers_chain ON image_layers (chain_id);",
};

int berth_images_init(struct berth_db *db, struct berth_error *err)
{
	return berth_db_migrate(db, "images", schema, BERTH_ARRAY_SIZE(schema), err);
}

void berth_image_clear(struct berth_image *img)
{
	free(img->top_snapshot);
	berth_strv_freep(&img->tags);
	berth_strv_freep(&img->digests);
	berth_strv_freep(&img->layers);
	berth_strv_freep(&img->diff_ids);
	*img = (struct berth_image){ 0 };
}

void berth_images_free(struct berth_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_image_clear(&imgs[i]);
	free(imgs);
}

/* Run one statement with text parameters (NULL-terminated list). */
static int exec_text(struct berth_db *db, const char *sql, const char *const *params, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, sql, &st, err);
	for (int i = 0; r == 0 && params && params[i]; i++)
		r = berth_db_bind_text(st, i + 1, params[i]);
	if (r == 0)
		r = berth_db_step(db, st, err);
	return r < 0 ? r : 0;
}

/* The image a ref names, "" when none; db locked. */
static int ref_owner(struct berth_db *db, const char *ref, char out[BERTH_DIGEST_MAX], struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	out[0] = '\0';
	int r = berth_db_prepare(db, "SELECT image_id FROM image_refs WHERE ref = ?", &st, err);
	if (r == 0) {
		berth_db_bind_text(st, 1, ref);
		r = berth_db_step(db, st, err);
		if (r == 1)
			snprintf(out, BERTH_DIGEST_MAX, "%s", (const char *) sqlite3_column_text(st, 0));
	}
	return r < 0 ? r : 0;
}

/* Point ref at id; db locked, inside a transaction. */
static int set_ref(struct berth_db *db, const char *ref, const char *kind, const char *id,
		   char ret_replaced[BERTH_DIGEST_MAX], struct berth_error *err)
{
	char owner[BERTH_DIGEST_MAX], now[32];
	int r = ref_owner(db, ref, owner, err);
	if (r < 0)
		return r;
	if (ret_replaced)
		snprintf(ret_replaced, BERTH_DIGEST_MAX, "%s", strcmp(owner, id) == 0 ? "" : owner);
	snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
	const char *params[] = { ref, id, kind, now, NULL };
	return exec_text(db, "INSERT OR REPLACE INTO image_refs (ref, image_id, kind, created) VALUES (?, ?, ?, ?)",
			 params, err);
}

static int insert_image(struct berth_db *db, const struct berth_pulled_image *img, struct berth_error *err)
{
	char size[32], now[32];
	snprintf(size, sizeof(size), "%lld", (long long) img->size);
	snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	/* An image pulled again keeps its arrival time. */
	int r = berth_db_prepare(db,
				 "INSERT INTO images (id, manifest, top_snapshot, size, created) VALUES (?, ?, ?, ?, ?)"
				 " ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest,"
				 " top_snapshot = excluded.top_snapshot, size = excluded.size",
				 &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, img->id);
	berth_db_bind_text(st, 2, img->manifest);
	berth_db_bind_text(st, 3, img->top_snapshot);
	sqlite3_bind_int64(st, 4, img->size);
	berth_db_bind_text(st, 5, now);
	r = berth_db_step(db, st, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < img->n_blobs; i++) {
		const char *params[] = { img->id, img->blobs[i], NULL };
		r = exec_text(db, "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)", params, err);
	}
	for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
		char idx[32];
		snprintf(idx, sizeof(idx), "%zu", i);
		const char *params[] = { img->id, idx, img->chain_ids[i], img->diff_ids[i], NULL };
		r = exec_text(db, "INSERT OR REPLACE INTO image_layers (image_id, idx, chain_id, diff_id) VALUES (?, ?, ?, ?)",
			      params, err);
	}
	return r < 0 ? r : 0;
}

int berth_images_put(struct berth_db *db, const struct berth_pulled_image *img, const char *tag_ref,
		     const char *digest_ref, char ret_replaced[BERTH_DIGEST_MAX], struct berth_error *err)
{
	if (ret_replaced)
		ret_replaced[0] = '\0';
	berth_db_lock(db);
	int r = berth_db_begin(db, err);
	if (r == 0)
		r = insert_image(db, img, err);
	if (r == 0 && tag_ref)
		r = set_ref(db, tag_ref, "tag", img->id, ret_replaced, err);
	if (r == 0 && digest_ref)
		r = set_ref(db, digest_ref, "digest", img->id, NULL, err);
	if (r == 0)
		r = berth_db_commit(db, err);
	if (r < 0)
		berth_db_rollback(db);
	berth_db_unlock(db);
	return r < 0 ? berth_error_wrap(err, "record image %s", img->id) : 0;
}

int berth_images_resolve_ref(struct berth_db *db, const char *ref, char ret_id[BERTH_DIGEST_MAX],
			     struct berth_error *err)
{
	berth_db_lock(db);
	int r = ref_owner(db, ref, ret_id, err);
	berth_db_unlock(db);
	if (r == 0 && !ret_id[0])
		return berth_error_set(err, ENOENT, "No such image: %s", ref);
	return r;
}

int berth_images_resolve_id(struct berth_db *db, const char *prefix, char ret_id[BERTH_DIGEST_MAX],
			    struct berth_error *err)
{
	const char *hex = strncmp(prefix, "sha256:", 7) == 0 ? prefix + 7 : prefix;
	size_t n = strlen(hex);
	if (n == 0 || n > 64 || strspn(hex, "0123456789abcdef") != n)
		return berth_error_set(err, ENOENT, "No such image: %s", prefix);
	char pattern[80];
	snprintf(pattern, sizeof(pattern), "sha256:%s*", hex);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int found = 0;
	berth_db_lock(db);
	int r = berth_db_prepare(db, "SELECT id FROM images WHERE id GLOB ? LIMIT 2", &st, err);
	if (r == 0)
		berth_db_bind_text(st, 1, pattern);
	while (r == 0 && (r = berth_db_step(db, st, err)) == 1) {
		if (found++ == 0)
			snprintf(ret_id, BERTH_DIGEST_MAX, "%s", (const char *) sqlite3_column_text(st, 0));
		r = 0;
	}
	berth_db_unlock(db);
	if (r < 0)
		return r;
	if (found == 0)
		return berth_error_set(err, ENOENT, "No such image: %s", prefix);
	if (found > 1)
		return berth_error_set(err, EINVAL, "%s: ambiguous image ID prefix; give more of it", prefix);
	return 0;
}

/* A NULL-terminated list of the first column of a query with one text
 * parameter; db locked. */
static int query_strv(struct berth_db *db, const char *sql, const char *param, char ***ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	size_t n = 0;
	int r = v ? berth_db_prepare(db, sql, &st, err) : berth_error_sys(err, ENOMEM, "images");
	if (r == 0)
		berth_db_bind_text(st, 1, param);
	while (r == 0 && (r = berth_db_step(db, st, err)) == 1) {
		char **grown = realloc(v, (n + 2) * sizeof(char *));
		if (!grown)
			return berth_error_sys(err, ENOMEM, "images");
		v = grown;
		v[n] = berth_db_column_strdup(st, 0);
		v[++n] = NULL;
		r = v[n - 1] ? 0 : berth_error_sys(err, ENOMEM, "images");
	}
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&v);
	return 0;
}

static int fill_image(struct berth_db *db, sqlite3_stmt *row, struct berth_image *img, struct berth_error *err)
{
	*img = (struct berth_image){ 0 };
	snprintf(img->id, sizeof(img->id), "%s", (const char *) sqlite3_column_text(row, 0));
	snprintf(img->manifest, sizeof(img->manifest), "%s", (const char *) sqlite3_column_text(row, 1));
	img->top_snapshot = berth_db_column_strdup(row, 2);
	img->size = sqlite3_column_int64(row, 3);
	img->created = sqlite3_column_int64(row, 4);
	int r = query_strv(db, "SELECT ref FROM image_refs WHERE image_id = ? AND kind = 'tag' ORDER BY ref",
			   img->id, &img->tags, err);
	if (r == 0)
		r = query_strv(db, "SELECT ref FROM image_refs WHERE image_id = ? AND kind = 'digest' ORDER BY ref",
			       img->id, &img->digests, err);
	if (r == 0)
		r = query_strv(db, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx", img->id,
			       &img->layers, err);
	if (r == 0)
		r = query_strv(db, "SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY idx", img->id,
			       &img->diff_ids, err);
	if (r < 0)
		berth_image_clear(img);
	return r;
}

#define IMAGE_COLUMNS "SELECT id, manifest, top_snapshot, size, created FROM images"

int berth_images_get(struct berth_db *db, const char *id, struct berth_image *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	berth_db_lock(db);
	int r = berth_db_prepare(db, IMAGE_COLUMNS " WHERE id = ?", &st, err);
	if (r == 0) {
		berth_db_bind_text(st, 1, id);
		r = berth_db_step(db, st, err);
		if (r == 1)
			r = fill_image(db, st, ret, err);
		else if (r == 0)
			r = berth_error_set(err, ENOENT, "No such image: %s", id);
	}
	berth_db_unlock(db);
	return r;
}

int berth_images_list(struct berth_db *db, struct berth_image **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_image *imgs = NULL;
	size_t n = 0;
	berth_db_lock(db);
	int r = berth_db_prepare(db, IMAGE_COLUMNS " ORDER BY created DESC, id", &st, err);
	while (r == 0 && (r = berth_db_step(db, st, err)) == 1) {
		struct berth_image *grown = realloc(imgs, (n + 1) * sizeof(*imgs));
		if (!grown) {
			r = berth_error_sys(err, ENOMEM, "list images");
			break;
		}
		imgs = grown;
		r = fill_image(db, st, &imgs[n], err);
		if (r == 0)
			n++;
	}
	berth_db_unlock(db);
	if (r < 0) {
		berth_images_free(imgs, n);
		return r;
	}
	*ret = imgs;
	*ret_n = n;
	return 0;
}

int berth_images_tag(struct berth_db *db, const char *id, const char *tag_ref, char ret_replaced[BERTH_DIGEST_MAX],
		     struct berth_error *err)
{
	berth_db_lock(db);
	int r = berth_db_begin(db, err);
	if (r == 0)
		r = set_ref(db, tag_ref, "tag", id, ret_replaced, err);
	if (r == 0)
		r = berth_db_commit(db, err);
	if (r < 0)
		berth_db_rollback(db);
	berth_db_unlock(db);
	return r;
}

int berth_images_untag(struct berth_db *db, const char *ref, struct berth_error *err)
{
	const char *params[] = { ref, NULL };
	berth_db_lock(db);
	int r = exec_text(db, "DELETE FROM image_refs WHERE ref = ?", params, err);
	int changed = sqlite3_changes(berth_db_handle(db));
	berth_db_unlock(db);
	if (r == 0 && changed == 0)
		return berth_error_set(err, ENOENT, "No such image: %s", ref);
	return r;
}

int berth_images_delete(struct berth_db *db, const char *id, struct berth_error *err)
{
	const char *params[] = { id, NULL };
	berth_db_lock(db);
	int r = exec_text(db, "DELETE FROM images WHERE id = ?", params, err);
	berth_db_unlock(db);
	return r;
}

static int exists(struct berth_db *db, const char *sql, const char *param, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	berth_db_lock(db);
	int r = berth_db_prepare(db, sql, &st, err);
	if (r == 0) {
		berth_db_bind_text(st, 1, param);
		r = berth_db_step(db, st, err);
	}
	berth_db_unlock(db);
	return r;
}

int berth_images_blob_used(struct berth_db *db, const char *digest, struct berth_error *err)
{
	return exists(db, "SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1", digest, err);
}

int berth_images_snapshot_used(struct berth_db *db, const char *chain_id, struct berth_error *err)
{
	return exists(db, "SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1", chain_id, err);
}
