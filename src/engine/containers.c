#include "containers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "json.h"

static const char *const schema[] = {
	"CREATE TABLE containers ("
	" id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" image_id TEXT NOT NULL,"
	" image TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" config TEXT NOT NULL,"
	" host_config TEXT NOT NULL,"
	" state TEXT NOT NULL);"
	"CREATE INDEX containers_image ON containers (image_id);",
};

int berth_containers_init(struct berth_db *db, struct berth_error *err)
{
	return berth_db_migrate(db, "containers", schema, BERTH_ARRAY_SIZE(schema), err);
}

void berth_container_record_clear(struct berth_container_record *c)
{
	free(c->image);
	json_decref(c->config);
	json_decref(c->host_config);
	json_decref(c->state);
	*c = (struct berth_container_record){ 0 };
}

void berth_container_records_free(struct berth_container_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_container_record_clear(&v[i]);
	free(v);
}

bool berth_container_name_valid(const char *name)
{
	const char *p = name[0] == '/' ? name + 1 : name;
	size_t n = strlen(p);
	if (n < 1 || n > BERTH_CONTAINER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

int berth_container_new_id(char out[BERTH_CONTAINER_ID_LEN + 1], struct berth_error *err)
{
	unsigned char bytes[32];
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes))
		return berth_error_sys(err, errno, "make a container ID: getrandom");
	/* docker avoids all-digit IDs: they could be read as numbers */
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	if (strspn(out, "0123456789") == BERTH_CONTAINER_ID_LEN)
		out[0] = 'a';
	return 0;
}

static const char *const adjectives[] = {
	"amber",  "brisk",  "calm",   "clever", "deep",   "eager",  "fair",	  "gentle", "gold",   "keen",
	"lively", "mellow", "misty",  "nimble", "proud",  "quiet",  "rapid",  "salty",  "silver", "steady",
	"sunny",  "swift",  "tidal",  "vivid",  "wild",	  "windy",  "bold",   "bright", "cool",   "loyal",
};
static const char *const nouns[] = {
	"anchor", "beacon", "buoy",    "cove",	  "current", "dock",    "ferry",  "fjord",  "gull",	 "harbor",
	"helm",	  "jetty",  "keel",    "lagoon",  "mast",    "mooring", "otter",  "pier",   "quay",	 "reef",
	"rudder", "sail",   "schooner", "skiff",  "sloop",   "tide",    "wharf",  "compass", "lantern", "tern",
};

static int name_taken(struct berth_db *db, const char *name, char owner[BERTH_CONTAINER_ID_LEN + 1],
		      struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, "SELECT id FROM containers WHERE name = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, name);
	r = berth_db_step(db, st, err);
	if (r == 1 && owner)
		snprintf(owner, BERTH_CONTAINER_ID_LEN + 1, "%s", (const char *) sqlite3_column_text(st, 0));
	return r;
}

int berth_containers_generate_name(struct berth_db *db, char out[BERTH_CONTAINER_NAME_MAX + 1],
				   struct berth_error *err)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		unsigned int pick[2];
		if (getrandom(pick, sizeof(pick), 0) != (ssize_t) sizeof(pick))
			return berth_error_sys(err, errno, "make a container name: getrandom");
		snprintf(out, BERTH_CONTAINER_NAME_MAX + 1, "%s_%s", adjectives[pick[0] % BERTH_ARRAY_SIZE(adjectives)],
			 nouns[pick[1] % BERTH_ARRAY_SIZE(nouns)]);
		/* after a few collisions, a number makes it free, as docker does */
		if (attempt > 8)
			snprintf(out + strlen(out), BERTH_CONTAINER_NAME_MAX + 1 - strlen(out), "%u", pick[0] % 10000);
		int r = name_taken(db, out, NULL, err);
		if (r <= 0)
			return r;
	}
	return berth_error_set(err, EEXIST, "no free container name found");
}

static int name_conflict(const char *name, const char *owner, struct berth_error *err)
{
	return berth_error_set(err, EEXIST,
			       "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to "
			       "remove (or rename) that container to be able to reuse that name.",
			       name, owner);
}

static char *dump(json_t *v)
{
	return json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
}

int berth_containers_insert(struct berth_db *db, const struct berth_container_record *c, struct berth_error *err)
{
	_cleanup_free_ char *config = dump(c->config), *host = dump(c->host_config), *state = dump(c->state);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char owner[BERTH_CONTAINER_ID_LEN + 1];
	if (!config || !host || !state)
		return berth_error_sys(err, ENOMEM, "record container %s", c->id);
	if (!berth_container_name_valid(c->name))
		return berth_error_set(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
						    "allowed",
				       c->name);
	int r = name_taken(db, c->name, owner, err);
	if (r == 1)
		return name_conflict(c->name, owner, err);
	if (r == 0)
		r = berth_db_prepare(db,
				     "INSERT INTO containers (id, name, image_id, image, created, config, host_config,"
				     " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				     &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, c->id);
	berth_db_bind_text(st, 2, c->name);
	berth_db_bind_text(st, 3, c->image_id);
	berth_db_bind_text(st, 4, c->image ? c->image : "");
	sqlite3_bind_int64(st, 5, c->created_nano);
	berth_db_bind_text(st, 6, config);
	berth_db_bind_text(st, 7, host);
	berth_db_bind_text(st, 8, state);
	r = berth_db_step(db, st, err);
	return r < 0 ? r : 0;
}

static int read_row(sqlite3_stmt *st, struct berth_container_record *c, struct berth_error *err)
{
	const char *texts[3] = { (const char *) sqlite3_column_text(st, 5), (const char *) sqlite3_column_text(st, 6),
				 (const char *) sqlite3_column_text(st, 7) };
	json_t **dst[3] = { &c->config, &c->host_config, &c->state };
	*c = (struct berth_container_record){ 0 };
	snprintf(c->id, sizeof(c->id), "%s", (const char *) sqlite3_column_text(st, 0));
	snprintf(c->name, sizeof(c->name), "%s", (const char *) sqlite3_column_text(st, 1));
	snprintf(c->image_id, sizeof(c->image_id), "%s", (const char *) sqlite3_column_text(st, 2));
	c->image = berth_db_column_strdup(st, 3);
	c->created_nano = sqlite3_column_int64(st, 4);
	for (int i = 0; i < 3; i++) {
		json_error_t jerr;
		*dst[i] = json_loads(texts[i] ? texts[i] : "null", JSON_DECODE_ANY, &jerr);
		if (!*dst[i]) {
			berth_container_record_clear(c);
			return berth_error_set(err, EIO, "container %s: damaged record: %s", c->id, jerr.text);
		}
	}
	if (!c->image) {
		berth_container_record_clear(c);
		return berth_error_sys(err, ENOMEM, "read container");
	}
	return 0;
}

#define COLUMNS "id, name, image_id, image, created, config, host_config, state"

int berth_containers_get(struct berth_db *db, const char *id, struct berth_container_record *ret,
			 struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, "SELECT " COLUMNS " FROM containers WHERE id = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, id);
	r = berth_db_step(db, st, err);
	if (r == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", id);
	return r < 0 ? r : read_row(st, ret, err);
}

int berth_containers_list(struct berth_db *db, struct berth_container_record **ret, size_t *ret_n,
			  struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_container_record *v = NULL;
	size_t n = 0, cap = 0;
	int r = berth_db_prepare(db, "SELECT " COLUMNS " FROM containers ORDER BY created DESC", &st, err);
	while (r == 0 && (r = berth_db_step(db, st, err)) == 1) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct berth_container_record *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				r = berth_error_sys(err, ENOMEM, "list containers");
				break;
			}
			v = nv;
			cap = ncap;
		}
		r = read_row(st, &v[n], err);
		if (r == 0)
			n++;
	}
	if (r < 0) {
		berth_container_records_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

int berth_containers_resolve(struct berth_db *db, const char *what, char ret_id[BERTH_CONTAINER_ID_LEN + 1],
			     struct berth_error *err)
{
	const char *name = what[0] == '/' ? what + 1 : what;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	/* exact ID, then exact name, then an ID prefix (docker's order) */
	int r = berth_db_prepare(db, "SELECT id FROM containers WHERE id = ?1 OR name = ?2 ORDER BY id = ?1 DESC LIMIT 1",
				 &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, what);
	berth_db_bind_text(st, 2, name);
	r = berth_db_step(db, st, err);
	if (r == 1) {
		snprintf(ret_id, BERTH_CONTAINER_ID_LEN + 1, "%s", (const char *) sqlite3_column_text(st, 0));
		return 0;
	}
	if (r < 0)
		return r;
	if (is_hex(what) && strlen(what) < BERTH_CONTAINER_ID_LEN) {
		_cleanup_stmt_ sqlite3_stmt *pre = NULL;
		char pattern[BERTH_CONTAINER_ID_LEN + 2];
		snprintf(pattern, sizeof(pattern), "%s*", what);
		r = berth_db_prepare(db, "SELECT id FROM containers WHERE id GLOB ? LIMIT 2", &pre, err);
		if (r < 0)
			return r;
		berth_db_bind_text(pre, 1, pattern);
		int found = 0;
		while ((r = berth_db_step(db, pre, err)) == 1) {
			if (found++ == 0)
				snprintf(ret_id, BERTH_CONTAINER_ID_LEN + 1, "%s", (const char *) sqlite3_column_text(pre, 0));
		}
		if (r < 0)
			return r;
		if (found == 1)
			return 0;
		if (found > 1)
			return berth_error_set(err, EINVAL, "multiple IDs found with provided prefix: %s", what);
	}
	return berth_error_set(err, ENOENT, "No such container: %s", what);
}

/* Run an UPDATE whose parameters are (value, id): -ENOENT when no row. */
static int update_text(struct berth_db *db, const char *sql, const char *value, const char *id,
		       struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, sql, &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, value);
	berth_db_bind_text(st, 2, id);
	if ((r = berth_db_step(db, st, err)) < 0)
		return r;
	if (sqlite3_changes(berth_db_handle(db)) == 0)
		return berth_error_set(err, ENOENT, "No such container: %s", id);
	return 0;
}

static int update_json(struct berth_db *db, const char *sql, const char *id, json_t *value, struct berth_error *err)
{
	_cleanup_free_ char *text = dump(value);
	if (!text)
		return berth_error_sys(err, ENOMEM, "update container %s", id);
	return update_text(db, sql, text, id, err);
}

int berth_containers_set_state(struct berth_db *db, const char *id, json_t *state, struct berth_error *err)
{
	return update_json(db, "UPDATE containers SET state = ? WHERE id = ?", id, state, err);
}

int berth_containers_set_host_config(struct berth_db *db, const char *id, json_t *host_config,
				     struct berth_error *err)
{
	return update_json(db, "UPDATE containers SET host_config = ? WHERE id = ?", id, host_config, err);
}

int berth_containers_rename(struct berth_db *db, const char *id, const char *name, struct berth_error *err)
{
	const char *bare = name[0] == '/' ? name + 1 : name;
	char owner[BERTH_CONTAINER_ID_LEN + 1];
	if (!berth_container_name_valid(bare))
		return berth_error_set(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
						    "allowed",
				       name);
	int r = name_taken(db, bare, owner, err);
	if (r == 1)
		return strcmp(owner, id) == 0 ? berth_error_set(err, EINVAL, "Renaming a container with the same name as "
									    "its current name")
					      : name_conflict(bare, owner, err);
	if (r < 0)
		return r;
	return update_text(db, "UPDATE containers SET name = ? WHERE id = ?", bare, id, err);
}

int berth_containers_delete(struct berth_db *db, const char *id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, "DELETE FROM containers WHERE id = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, id);
	r = berth_db_step(db, st, err);
	return r < 0 ? r : 0;
}

int berth_containers_count_using_image(struct berth_db *db, const char *image_id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = berth_db_prepare(db, "SELECT COUNT(*) FROM containers WHERE image_id = ?", &st, err);
	if (r < 0)
		return r;
	berth_db_bind_text(st, 1, image_id);
	r = berth_db_step(db, st, err);
	return r == 1 ? sqlite3_column_int(st, 0) : (r < 0 ? r : 0);
}
