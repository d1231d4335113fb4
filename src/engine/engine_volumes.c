/* docker's volume semantics over the store (volumes.h): the local
 * driver's options, events, the list's and prune's filters, and what the
 * container code calls (acquire, release, volume_path). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine.h"
#include "label_filter.h"
#include "json.h"
#include "volumes.h"

/* The local driver's options: type, device and o, each with what it needs. */
static int check_options(const char *name, json_t *options, struct berth_error *err)
{
	static const char *const needs[][2] = { { "device", "type" }, { "type", "device" }, { "o", "device" } };
	const char *key;
	json_t *v;
	json_object_foreach(options, key, v) {
		if (strcmp(key, "type") && strcmp(key, "device") && strcmp(key, "o"))
			return berth_error_set(err, EINVAL, "create %s: invalid option: \"%s\"", name, key);
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(needs); i++)
		if (json_object_get(options, needs[i][0]) && !json_object_get(options, needs[i][1]))
			return berth_error_set(err, EINVAL, "create %s: missing required option: \"%s\"", name,
					       needs[i][1]);
	return 0;
}

static void volume_event(struct berth_engine *e, const char *action, const char *name)
{
	berth_events_publish(e->events, "volume", action, name, json_pack("{s:s}", "driver", BERTH_VOLUME_DRIVER));
}

int berth_engine_volume_create(struct berth_engine *e, const char *driver, const struct berth_volume_create *req,
			       struct berth_volume *ret, struct berth_error *err)
{
	const char *shown = req->name ? req->name : "";
	bool created = false;
	if (driver && *driver && strcmp(driver, BERTH_VOLUME_DRIVER) != 0)
		return berth_error_set(err, ENOENT, "create %s: error looking up volume plugin %s: plugin \"%s\" not found",
				       shown, driver, driver);
	int r = check_options(shown, req->options, err);
	if (r == 0)
		r = berth_volumes_create(e->volumes, req, ret, &created, err);
	if (r == 0 && created)
		volume_event(e, "create", ret->name);
	return r;
}

int berth_engine_volume_remove(struct berth_engine *e, const char *name, bool force, struct berth_error *err)
{
	int r = berth_volumes_remove(e->volumes, name, NULL, err);
	if (r == -ENOENT && force)
		return 0;
	if (r == 0)
		volume_event(e, "destroy", name);
	return r;
}

static int check_filter_keys(json_t *filters, const char *const *accepted, size_t n, struct berth_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(filters, key, v) {
		size_t i = 0;
		while (i < n && strcmp(key, accepted[i]) != 0)
			i++;
		if (i == n)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	return 0;
}

/* docker's GetBoolOrDefault: -1 when absent. */
static int filter_bool(json_t *filters, const char *key, struct berth_error *err)
{
	json_t *values = json_object_get(filters, key), *v;
	bool yes = false, no = false;
	char joined[512] = "";
	size_t i, o = 0;
	if (!values)
		return -1;
	json_array_foreach(values, i, v) {
		const char *s = json_string_value(v);
		yes = yes || !strcmp(s, "true") || !strcmp(s, "1");
		no = no || !strcmp(s, "false") || !strcmp(s, "0");
		if (o < sizeof(joined))
			o += (size_t) snprintf(joined + o, sizeof(joined) - o, "%s%s", i ? "," : "", s);
	}
	if (yes == no)
		return berth_error_set(err, EINVAL, "invalid filter '%s=%s'", key, joined);
	return yes;
}

/* docker's filters.Match: an exact name or a regular expression found in it. */
static bool name_matches(const char *name, json_t *patterns)
{
	size_t i;
	json_t *p;
	if (!patterns)
		return true;
	json_array_foreach(patterns, i, p) {
		const char *pat = json_string_value(p);
		regex_t re;
		if (!strcmp(pat, name))
			return true;
		if (strlen(pat) > 1024 || regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		bool found = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
		if (found)
			return true;
	}
	return false;
}

static bool driver_matches(json_t *drivers)
{
	size_t i;
	json_t *d;
	if (!drivers)
		return true;
	json_array_foreach(drivers, i, d) if (!strcmp(json_string_value(d), BERTH_VOLUME_DRIVER)) return true;
	return false;
}

int berth_engine_volume_list(struct berth_engine *e, json_t *filters, struct berth_volume **ret, size_t *ret_n,
			     struct berth_error *err)
{
	static const char *const accepted[] = { "dangling", "name", "driver", "label" };
	struct berth_volume *v = NULL;
	size_t n = 0, kept = 0;
	int r = check_filter_keys(filters, accepted, BERTH_ARRAY_SIZE(accepted), err);
	int dangling = r < 0 ? r : filter_bool(filters, "dangling", err);
	if (r < 0 || (dangling < -1) || berth_volumes_list(e->volumes, &v, &n, err) < 0)
		return -err->code;
	for (size_t i = 0; i < n; i++) {
		bool keep = name_matches(v[i].name, json_object_get(filters, "name")) &&
			    driver_matches(json_object_get(filters, "driver")) &&
			    berth_labels_match(v[i].labels, json_object_get(filters, "label")) &&
			    (dangling < 0 || (v[i].refs == 0) == (dangling == 1));
		if (keep)
			v[kept++] = v[i];
		else
			berth_volume_clear(&v[i]);
	}
	*ret = v;
	*ret_n = kept;
	return 0;
}

/* docker's withPrune: "all" is one boolean (strconv.ParseBool). */
static int prune_all(json_t *filters, struct berth_error *err)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	json_t *all = json_object_get(filters, "all");
	if (json_array_size(all) > 1)
		return berth_error_set(err, EINVAL, "invalid filter 'all=[%s %s%s]': only one value is expected",
				       json_string_value(json_array_get(all, 0)), json_string_value(json_array_get(all, 1)),
				       json_array_size(all) > 2 ? " ..." : "");
	const char *s = json_string_value(json_array_get(all, 0));
	for (size_t i = 0; s && i < BERTH_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	if (s)
		return berth_error_set(err, EINVAL, "invalid filter 'all': strconv.ParseBool: parsing \"%s\": invalid syntax",
				       s);
	return 0;
}

static bool prune_selects(const struct berth_volume *v, bool all, json_t *filters)
{
	json_t *not_labels = json_object_get(filters, "label!");
	return v->refs == 0 && json_object_size(v->options) == 0 &&
	       (all || json_object_get(v->labels, BERTH_VOLUME_ANONYMOUS_LABEL)) &&
	       berth_labels_match(v->labels, json_object_get(filters, "label")) &&
	       (json_array_size(not_labels) == 0 || !berth_labels_match(v->labels, not_labels));
}

static int prune_locked(struct berth_engine *e, json_t *filters, bool all, json_t *deleted, uint64_t *reclaimed,
			struct berth_error *err)
{
	struct berth_volume *v = NULL;
	size_t n = 0;
	int r = berth_volumes_list(e->volumes, &v, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct berth_error skipped = { 0 };
		uint64_t size = 0;
		if (!prune_selects(&v[i], all, filters))
			continue;
		/* one that a container took meanwhile stays, as dockerd skips it */
		if (berth_volumes_remove(e->volumes, v[i].name, &size, &skipped) < 0)
			continue;
		volume_event(e, "destroy", v[i].name);
		*reclaimed += size;
		json_array_append_new(deleted, json_string(v[i].name));
	}
	berth_volumes_free_list(v, n);
	return r;
}

int berth_engine_volume_prune(struct berth_engine *e, json_t *filters, int api_version, json_t **ret,
			      struct berth_error *err)
{
	static const char *const accepted[] = { "label", "label!", "all" };
	uint64_t reclaimed = 0;
	int r = check_filter_keys(filters, accepted, BERTH_ARRAY_SIZE(accepted), err);
	int all = r < 0 ? r : prune_all(filters, err);
	if (all < 0)
		return all;
	/* before API 1.42, prune removed named volumes too */
	all = all || api_version < 142;
	if (!berth_volumes_prune_begin(e->volumes))
		return berth_error_set(err, EBUSY, "a prune operation is already running");
	_cleanup_json_ json_t *deleted = json_array();
	r = deleted ? prune_locked(e, filters, all, deleted, &reclaimed, err) : berth_error_sys(err, ENOMEM, "prune");
	berth_volumes_prune_end(e->volumes);
	if (r < 0)
		return r;
	char text[32];
	snprintf(text, sizeof(text), "%llu", (unsigned long long) reclaimed);
	berth_events_publish(e->events, "volume", "prune", "", json_pack("{s:s}", "reclaimed", text));
	*ret = json_pack("{s:O, s:I}", "VolumesDeleted", deleted, "SpaceReclaimed", (json_int_t) reclaimed);
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "prune");
}

int berth_engine_volume_acquire(struct berth_engine *e, const char *name, const char *container,
				struct berth_volume *ret, struct berth_error *err)
{
	struct berth_volume_create req = { .name = name, .ref = container };
	return berth_engine_volume_create(e, NULL, &req, ret, err);
}

int berth_engine_volume_release(struct berth_engine *e, const char *container, struct berth_error *err)
{
	return berth_volumes_release(e->volumes, container, err);
}

int berth_engine_volume_path(struct berth_engine *e, const char *name, char **ret_path, struct berth_error *err)
{
	_cleanup_volume_ struct berth_volume v = { 0 };
	struct berth_volume_create req = { .name = name };
	if (!name || !*name)
		return berth_error_set(err, EINVAL, "a volume mount needs the volume's name");
	int r = berth_engine_volume_create(e, NULL, &req, &v, err);
	if (r == 0)
		r = berth_volumes_mount(e->volumes, &v, err);
	if (r == 0 && !(*ret_path = strdup(v.mountpoint)))
		r = berth_error_sys(err, ENOMEM, "volume %s", name);
	return r;
}

int berth_engine_volume_path_cb(void *engine, const char *name, char **ret_path, struct berth_error *err)
{
	return berth_engine_volume_path(engine, name, ret_path, err);
}
