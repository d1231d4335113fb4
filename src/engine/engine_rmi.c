/* docker rmi and docker image prune, with docker's rules for when removing
 * a name only untags and when it deletes the image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "engine.h"
#include "engine_containers.h"
#include "engine_internal.h"
#include "label_filter.h"
#include "json.h"
#include "reference.h"

/* "docker.io/library/busybox:latest" -> "docker.io/library/busybox" */
static void ref_repository(const char *ref, char out[BERTH_REFERENCE_MAX])
{
	snprintf(out, BERTH_REFERENCE_MAX, "%s", ref);
	char *at = strchr(out, '@');
	if (at) {
		*at = '\0';
		return;
	}
	char *slash = strrchr(out, '/'), *colon = strrchr(out, ':');
	if (colon && (!slash || colon > slash))
		*colon = '\0';
}

static void familiar(const char *full, char out[BERTH_REFERENCE_MAX])
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	struct berth_error ignored = { 0 };
	if (berth_reference_parse(full, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, &ignored) == 0)
		berth_reference_familiar_string(ref, out);
	else
		snprintf(out, BERTH_REFERENCE_MAX, "%s", full);
}

static size_t strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* At most one tag, and every name in one repository (docker's
 * isSingleReference): removing by ID then untags them all without force. */
static bool single_reference(const struct berth_image *img)
{
	char first[BERTH_REFERENCE_MAX] = "", repo[BERTH_REFERENCE_MAX];
	if (strv_len(img->tags) > 1)
		return false;
	for (int pass = 0; pass < 2; pass++) {
		for (char **r = pass ? img->digests : img->tags; r && *r; r++) {
			ref_repository(*r, repo);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", repo);
			else if (strcmp(first, repo) != 0)
				return false;
		}
	}
	return true;
}

/* Remove one name.  dockerd's untag event names the image ID (twice: as
 * the Actor and as its "name"); the digest names that go along with a tag
 * (below) have none. */
static int untag(struct berth_engine *e, const char *id, const char *ref, bool event, json_t *records,
		 struct berth_error *err)
{
	char fam[BERTH_REFERENCE_MAX];
	int r = berth_images_untag(e->db, ref, err);
	if (r < 0)
		return r;
	familiar(ref, fam);
	json_array_append_new(records, json_pack("{s:s}", "Untagged", fam));
	if (event)
		engine_image_event(e, "untag", id, id, id);
	return 0;
}

/* After a tag went: digest names of the same repository go with it when no
 * tag of that repository is left (they would name a repository the user
 * removed). */
static int untag_orphan_digests(struct berth_engine *e, const struct berth_image *img, const char *repo,
				json_t *records, struct berth_error *err)
{
	char other[BERTH_REFERENCE_MAX];
	for (char **t = img->tags; t && *t; t++) {
		ref_repository(*t, other);
		if (strcmp(other, repo) == 0)
			return 0;
	}
	for (char **d = img->digests; d && *d; d++) {
		ref_repository(*d, other);
		if (strcmp(other, repo) == 0) {
			int r = untag(e, img->id, *d, false, records, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void record_removed_layers(struct berth_engine *e, char **layers, json_t *records)
{
	for (size_t n = strv_len(layers); n > 0; n--) {
		struct berth_error ignored = { 0 };
		if (berth_snapshot_stat(e->snapshots, layers[n - 1], NULL, &ignored) == -ENOENT)
			json_array_append_new(records, json_pack("{s:s}", "Deleted", layers[n - 1]));
	}
}

/* The image goes: its remaining names (with force), its record, and then
 * what no other image needs. */
static int delete_image(struct berth_engine *e, const struct berth_image *img, bool force, bool noprune, bool in_use,
			json_t *records, uint64_t *reclaimed, struct berth_error *err)
{
	size_t refs = strv_len(img->tags) + strv_len(img->digests);
	char short_id[13];
	berth_digest_short(img->id, short_id);
	if (refs > 0 && !force)
		return berth_error_set(err, EBUSY,
				       "conflict: unable to delete %s (must be forced) - image is referenced in multiple "
				       "repositories",
				       short_id);
	for (int pass = 0; pass < 2; pass++)
		for (char **r = pass ? img->digests : img->tags; r && *r; r++)
			if (untag(e, img->id, *r, true, records, err) < 0)
				return -err->code;
	/* A container's root is made of the image's layers, and its next
	 * start reads the record: dockerd forgets a stopped container's image
	 * (its layers stay with the container); berthd keeps it, nameless. */
	if (in_use)
		return 0;
	int r = berth_images_delete(e->db, img->id, err);
	if (r < 0)
		return r;
	json_array_append_new(records, json_pack("{s:s}", "Deleted", img->id));
	engine_image_event(e, "delete", img->id, img->id, NULL);
	if (noprune)
		return 0;
	struct berth_gc_stats stats = { 0 };
	r = berth_engine_gc(e, 0, &stats, err);
	if (reclaimed)
		*reclaimed += stats.bytes_reclaimed;
	record_removed_layers(e, img->layers, records);
	return r;
}

/* dockerd's refusals for an image a container uses (user, running or not):
 * the last name of it without force; by ID, a running one at all, a
 * stopped one without force. */
static int rmi_conflict(const struct berth_image *img, const char *name, bool by_id, bool force, int used, bool running,
			const char *user, struct berth_error *err)
{
	char short_id[13];
	berth_digest_short(img->id, short_id);
	if (!used)
		return 0;
	if (!by_id) {
		if (force || !single_reference(img))
			return 0;
		return berth_error_set(err, EBUSY,
				       "conflict: unable to remove repository reference \"%s\" (must force) - container %.12s "
				       "is using its referenced image %s",
				       name, user, short_id);
	}
	if (running)
		return berth_error_set(err, EBUSY,
				       "conflict: unable to delete %s (cannot be forced) - image is being used by running "
				       "container %.12s",
				       short_id, user);
	if (!force && single_reference(img))
		return berth_error_set(err, EBUSY,
				       "conflict: unable to delete %s (must be forced) - image is being used by stopped "
				       "container %.12s",
				       short_id, user);
	return 0;
}

int berth_engine_image_remove(struct berth_engine *e, const char *name, bool force, bool noprune, json_t **ret,
			      struct berth_error *err)
{
	char id[BERTH_DIGEST_MAX];
	struct berth_image img = { 0 };
	_cleanup_(bjson_decrefp) json_t *records = json_array();
	int r = berth_engine_image_lookup(e, name, id, err);
	if (r == 0)
		r = berth_images_get(e->db, id, &img, err);
	if (r < 0)
		return r;
	const char *hex = berth_digest_hex(id);
	bool by_id = strncmp(id, name, strlen(name)) == 0 || strncmp(hex, name, strlen(name)) == 0;
	char user[65] = "";
	bool running = false;
	int used = berth_engine_image_user(e, id, user, &running, err);
	r = used < 0 ? used : rmi_conflict(&img, name, by_id, force, used, running, user, err);
	if (r < 0) {
		berth_image_clear(&img);
		return r;
	}
	if (!by_id) {
		_cleanup_reference_ struct berth_reference *ref = NULL;
		char full[BERTH_REFERENCE_MAX], repo[BERTH_REFERENCE_MAX];
		r = berth_reference_parse(name, 0, &ref, err);
		if (r == 0) {
			berth_reference_string(ref, full);
			berth_reference_name(ref, repo);
			r = untag(e, id, full, true, records, err);
		}
		berth_image_clear(&img);
		if (r == 0)
			r = berth_images_get(e->db, id, &img, err);
		if (r == 0 && !ref->digest)
			r = untag_orphan_digests(e, &img, repo, records, err);
		berth_image_clear(&img);
		if (r == 0)
			r = berth_images_get(e->db, id, &img, err);
		if (r == 0 && strv_len(img.tags) + strv_len(img.digests) > 0) {
			berth_image_clear(&img);
			*ret = berth_steal_ptr(&records);
			return 0;
		}
	} else if (single_reference(&img)) {
		force = true; /* every name goes, as docker does for an ID */
	}
	if (r == 0)
		r = delete_image(e, &img, force, noprune, used > 0, records, NULL, err);
	berth_image_clear(&img);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&records);
	return 0;
}

struct prune_filters {
	int dangling; /* -1: not filtered */
	int64_t until; /* 0: not filtered */
	json_t *labels; /* array of "k" or "k=v", or NULL */
	json_t *not_labels;
};

static bool prune_selects(struct berth_engine *e, const struct berth_image *img, bool all,
			  const struct prune_filters *f)
{
	bool dangling = strv_len(img->tags) == 0;
	if (f->dangling >= 0 ? (dangling != (f->dangling == 1)) : (!all && !dangling))
		return false;
	if (f->until && img->created >= f->until)
		return false;
	if (!f->labels && !f->not_labels)
		return true;
	json_t *config = NULL;
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, img->id, &config, &ignored);
	json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
	bool ok = true;
	size_t i;
	json_t *v;
	json_array_foreach(f->labels, i, v) ok = ok && berth_label_matches(labels, json_string_value(v));
	json_array_foreach(f->not_labels, i, v) ok = ok && !berth_label_matches(labels, json_string_value(v));
	json_decref(config);
	return ok;
}

static int parse_prune_filters(json_t *filters, struct prune_filters *f, struct berth_error *err)
{
	static const char *const accepted[] = { "dangling", "label", "label!", "until" };
	const char *key;
	json_t *value;
	json_object_foreach(filters, key, value) {
		bool known = false;
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(accepted); i++)
			known = known || strcmp(key, accepted[i]) == 0;
		if (!known)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	*f = (struct prune_filters){ .dangling = -1 };
	json_t *d = json_object_get(filters, "dangling");
	if (json_array_size(d) > 0) {
		const char *v = json_string_value(json_array_get(d, 0));
		if (v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
			f->dangling = 1;
		else if (v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0))
			f->dangling = 0;
		else
			return berth_error_set(err, EINVAL, "invalid filter 'dangling=%s'", v ? v : "");
	}
	json_t *u = json_object_get(filters, "until");
	if (json_array_size(u) > 0) {
		const char *v = json_string_value(json_array_get(u, 0));
		char *end;
		long long t = v ? strtoll(v, &end, 10) : 0;
		if (!v || end == v || (*end && *end != '.'))
			return berth_error_set(err, EINVAL, "invalid filter 'until=%s': want a Unix timestamp", v ? v : "");
		f->until = t;
	}
	f->labels = json_object_get(filters, "label");
	f->not_labels = json_object_get(filters, "label!");
	return 0;
}

int berth_engine_image_prune(struct berth_engine *e, bool all, json_t *filters, json_t **ret,
			     struct berth_error *err)
{
	struct prune_filters f;
	struct berth_image *imgs = NULL;
	size_t n = 0;
	uint64_t reclaimed = 0;
	int r = parse_prune_filters(filters, &f, err);
	if (r == 0)
		r = berth_images_list(e->db, &imgs, &n, err);
	if (r < 0)
		return r;
	json_t *deleted = json_array();
	for (size_t i = 0; i < n && r == 0; i++) {
		char user[65];
		bool running = false;
		if (!prune_selects(e, &imgs[i], all, &f))
			continue;
		r = berth_engine_image_user(e, imgs[i].id, user, &running, err);
		if (r != 0) {
			r = r < 0 ? r : 0; /* in use: dockerd's prune leaves it */
			continue;
		}
		/* As docker, which removes each name in turn: every name goes,
		 * whatever repositories they span, then the image. */
		r = delete_image(e, &imgs[i], true, false, false, deleted, &reclaimed, err);
	}
	berth_images_free(imgs, n);
	if (r < 0) {
		json_decref(deleted);
		return r;
	}
	struct berth_gc_stats stats = { 0 };
	r = berth_engine_gc(e, BERTH_GC_INGESTS, &stats, err);
	reclaimed += stats.bytes_reclaimed;
	*ret = json_pack("{s:o, s:I}", "ImagesDeleted", json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			 "SpaceReclaimed", (json_int_t) reclaimed);
	return r;
}
