/* The lesser container operations: pause and unpause (the runtime's
 * freezer), restart, rename, prune, top. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_top.h"
#include "runtime_cmd.h"
#include "engine_containers_internal.h"
#include "file.h"
#include "label_filter.h"
#include "json.h"

static int set_paused(struct berth_engine *e, const char *what, bool pause, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	bool paused = r == 0 && json_is_true(json_object_get(c.state, "Paused"));
	if (r == 0 && !record_running(&c))
		r = berth_error_set(err, EBUSY, "container %s is not running", c.id);
	else if (r == 0 && pause && paused)
		r = berth_error_set(err, EBUSY, "container %s is already paused", c.id);
	else if (r == 0 && !pause && !paused)
		r = berth_error_set(err, EBUSY, "container %s is not paused", c.id);
	if (r == 0)
		r = container_runtime(e, pause ? "pause" : "resume", c.id, NULL, err);
	if (r == 0) {
		json_object_set_new(c.state, "Paused", json_boolean(pause));
		json_object_set_new(c.state, "Status", json_string(pause ? "paused" : "running"));
		r = berth_containers_set_state(e->db, c.id, c.state, err);
	}
	if (r == 0)
		container_event(e, pause ? "pause" : "unpause", &c, NULL);
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_container_pause(struct berth_engine *e, const char *what, bool pause, struct berth_error *err)
{
	return set_paused(e, what, pause, err);
}

int berth_engine_container_restart(struct berth_engine *e, const char *what, int timeout, struct berth_error *err)
{
	int r = berth_engine_container_stop(e, what, timeout, NULL, err);
	if (r < 0 && r != -EALREADY)
		return r;
	return berth_engine_container_start(e, what, err);
}

int berth_engine_container_rename(struct berth_engine *e, const char *what, const char *name, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	char old[BERTH_CONTAINER_NAME_MAX + 2];
	if (r == 0) {
		snprintf(old, sizeof(old), "/%s", c.name);
		r = berth_containers_rename(e->db, c.id, name, err);
	}
	if (r == 0) {
		snprintf(c.name, sizeof(c.name), "%s", name[0] == '/' ? name + 1 : name);
		container_event(e, "rename", &c, json_pack("{s:s}", "oldName", old));
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

static __thread int64_t tree_bytes;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) path;
	(void) ftw;
	if (flag == FTW_F)
		tree_bytes += st->st_blocks * 512;
	return 0;
}

int berth_engine_container_prune(struct berth_engine *e, json_t *filters, json_t **ret, struct berth_error *err)
{
	struct berth_container_record *v = NULL;
	size_t n = 0;
	int64_t reclaimed = 0;
	const char *key;
	json_t *val;
	json_object_foreach(filters, key, val) {
		if (strcmp(key, "until") != 0 && strcmp(key, "label") != 0 && strcmp(key, "label!") != 0)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	int r = berth_containers_list(e->db, &v, &n, err);
	if (r < 0)
		return r;
	json_t *until = json_array_get(json_object_get(filters, "until"), 0);
	int64_t until_s = until ? atoll(json_string_value(until)) : 0;
	json_t *deleted = json_array();
	for (size_t i = 0; i < n; i++) {
		if (record_running(&v[i]))
			continue;
		if (until_s && v[i].created_nano / 1000000000 >= until_s)
			continue;
		json_t *labels = json_object_get(v[i].config, "Labels");
		/* as dockerd: every "label" matches, and not every "label!" */
		bool ok = berth_labels_match(labels, json_object_get(filters, "label")) &&
			  !(json_array_size(json_object_get(filters, "label!")) &&
			    berth_labels_match(labels, json_object_get(filters, "label!")));
		if (!ok)
			continue;
		char upper[4096 + 16];
		container_dir(e, v[i].id, upper);
		strcat(upper, "/upper");
		tree_bytes = 0;
		nftw(upper, add_size, 16, FTW_PHYS);
		struct berth_error one = { 0 };
		if (berth_engine_container_remove(e, v[i].id, false, false, &one) == 0) {
			json_array_append_new(deleted, json_string(v[i].id));
			reclaimed += tree_bytes;
		}
	}
	berth_container_records_free(v, n);
	*ret = json_pack("{s:o, s:I}", "ContainersDeleted", json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			 "SpaceReclaimed", (json_int_t) reclaimed);
	return 0;
}

int berth_engine_container_counts(struct berth_engine *e, struct berth_container_counts *ret, struct berth_error *err)
{
	struct berth_container_record *v = NULL;
	size_t n = 0;
	int r = berth_containers_list(e->db, &v, &n, err);
	if (r < 0)
		return r;
	*ret = (struct berth_container_counts){ .total = (int) n };
	for (size_t i = 0; i < n; i++) {
		if (json_is_true(json_object_get(v[i].state, "Paused")))
			ret->paused++;
		else if (record_running(&v[i]))
			ret->running++;
		else
			ret->stopped++;
	}
	berth_container_records_free(v, n);
	return 0;
}

int berth_engine_image_user(struct berth_engine *e, const char *image_id, char ret_id[65], bool *ret_running,
			    struct berth_error *err)
{
	struct berth_container_record *v = NULL;
	size_t n = 0;
	int r = berth_containers_list(e->db, &v, &n, err);
	if (r < 0)
		return r;
	int found = 0;
	for (size_t i = 0; i < n && !(found && *ret_running); i++) {
		if (strcmp(v[i].image_id, image_id) != 0)
			continue;
		bool running = record_running(&v[i]);
		if (!found || running) {
			snprintf(ret_id, 65, "%s", v[i].id);
			*ret_running = running;
		}
		found = 1;
	}
	berth_container_records_free(v, n);
	return found;
}

static const char *ps_path(void)
{
	static const char *const paths[] = { "/usr/bin/ps", "/bin/ps" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int berth_engine_container_top(struct berth_engine *e, const char *what, const char *ps_args, json_t **ret,
			       struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_free_ char *out = NULL, *ps_out = NULL;
	_cleanup_free_ long *pids = NULL;
	_cleanup_json_ json_t *list = NULL;
	_cleanup_strv_ char **argv = NULL;
	const char *ps = ps_path();
	if (!ps_args || !*ps_args)
		ps_args = "-ef";
	int r = berth_top_check_args(ps_args, err);
	if (r == 0)
		r = container_resolve(e, what, &c, err);
	if (r == 0 && !record_running(&c))
		r = berth_error_set(err, EBUSY, "container %s is not running", c.id);
	if (r == 0)
		r = container_runtime(e, "ps", c.id, &out, err);
	if (r == 0)
		r = bjson_parse(out, strlen(out), "runtime ps", &list, err);
	if (r == 0 && !ps)
		r = berth_error_set(err, ENOENT, "top: no ps program on the host (procps)");
	if (r == 0)
		r = berth_top_argv(ps_args, &argv, err);
	if (r < 0)
		return r;
	size_t n = 0, i;
	json_t *pid;
	if (!(pids = calloc(json_array_size(list) + 1, sizeof(*pids))))
		return berth_error_sys(err, ENOMEM, "top");
	json_array_foreach(list, i, pid) if (json_is_integer(pid)) pids[n++] = (long) json_integer_value(pid);
	free(argv[0]);
	if (!(argv[0] = strdup(ps)))
		return berth_error_sys(err, ENOMEM, "top");
	if ((r = berth_run_command(argv, &ps_out, err)) < 0)
		return berth_error_wrap(err, "ps");
	return berth_top_parse(ps_out, pids, n, ret, err);
}
