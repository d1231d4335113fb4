/* docker's image semantics over the image library: how a name finds an
 * image, what a pull records, tag, and what pull/tag emit as events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine.h"
#include "engine_internal.h"
#include "log.h"
#include "manifest.h"
#include "reference.h"

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	return n >= min && n <= max && strspn(s, "0123456789abcdef") == n;
}

int berth_engine_image_lookup(struct berth_engine *e, const char *name, char ret_id[BERTH_DIGEST_MAX],
			      struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	char full[BERTH_REFERENCE_MAX];
	struct berth_error ignored = { 0 };

	if (strncmp(name, "sha256:", 7) == 0 && is_hex(name + 7, 1, 64))
		return berth_images_resolve_id(e->db, name, ret_id, err);
	if (berth_reference_parse(name, 0, &ref, &ignored) == 0) {
		berth_reference_string(ref, full);
		if (berth_images_resolve_ref(e->db, full, ret_id, &ignored) == 0)
			return 0;
	}
	/* A short ID: docker accepts any unambiguous prefix. */
	if (is_hex(name, 1, 64) && berth_images_resolve_id(e->db, name, ret_id, &ignored) == 0)
		return 0;
	if (ref) {
		berth_reference_familiar_string(ref, full);
		return berth_error_set(err, ENOENT, "No such image: %s", full);
	}
	return berth_error_set(err, ENOENT, "No such image: %s", name);
}

void engine_image_event(struct berth_engine *e, const char *action, const char *actor, const char *name,
			const char *image)
{
	json_t *attrs = json_object(), *config = NULL;
	struct berth_error ignored = { 0 };
	/* The image's labels first: "name" wins over a label of that name. */
	if (image && berth_engine_image_config(e, image, &config, &ignored) == 0) {
		json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
		const char *key;
		json_t *v;
		json_object_foreach(labels, key, v) {
			if (json_is_string(v))
				json_object_set(attrs, key, v);
		}
	}
	json_decref(config);
	if (name)
		json_object_set_new(attrs, "name", json_string(name));
	berth_events_publish(e->events, "image", action, actor, attrs);
}

/* fromImage and tag as the API gives them: the tag may be a digest. */
static int pull_reference(const struct berth_engine_pull *req, struct berth_reference **ret, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	int r = berth_reference_parse(req->image, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, err);
	if (r < 0)
		return r;
	if (req->tag && *req->tag && strchr(req->tag, ':'))
		r = berth_reference_set_digest(ref, req->tag, err);
	else if (req->tag && *req->tag)
		r = berth_reference_set_tag(ref, req->tag, err);
	else if (!ref->tag && !ref->digest)
		r = berth_reference_set_tag(ref, BERTH_REFERENCE_DEFAULT_TAG, err);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&ref);
	return 0;
}

/* After a failed pull, blobs and snapshots that no image pins go: a bad
 * image leaves nothing behind.  (Its partial downloads went already, with
 * the pull; only a shutdown or a crash leaves them, for a resume.) */
static void cleanup_after_failed_pull(struct berth_engine *e)
{
	struct berth_error ignored = { 0 };
	berth_engine_gc(e, 0, NULL, &ignored);
}

static int record_pull(struct berth_engine *e, const struct berth_reference *ref, const struct berth_pulled_image *img,
		       struct berth_engine_pull_result *ret, struct berth_error *err)
{
	char tag_ref[BERTH_REFERENCE_MAX], digest_ref[BERTH_REFERENCE_MAX], name[BERTH_REFERENCE_MAX];
	char before[BERTH_DIGEST_MAX] = "";
	struct berth_error ignored = { 0 };

	berth_reference_name(ref, name);
	snprintf(digest_ref, sizeof(digest_ref), "%s@%s", name, img->target);
	if (ref->tag) {
		snprintf(tag_ref, sizeof(tag_ref), "%s:%s", name, ref->tag);
		berth_images_resolve_ref(e->db, tag_ref, before, &ignored);
	} else {
		berth_images_resolve_ref(e->db, digest_ref, before, &ignored);
	}
	int r = berth_images_put(e->db, img, ref->tag ? tag_ref : NULL, digest_ref, NULL, err);
	if (r < 0)
		return r;
	snprintf(ret->id, sizeof(ret->id), "%s", img->id);
	snprintf(ret->target, sizeof(ret->target), "%s", img->target);
	berth_reference_familiar_string(ref, ret->familiar);
	ret->updated = strcmp(before, img->id) != 0;
	berth_reference_familiar_name(ref, name);
	engine_image_event(e, "pull", ret->familiar, name, img->id);
	return 0;
}

/* The registry refused us (401/403: no, wrong or insufficient credentials).
 * dockerd answers a pull like this with "pull access denied" and a status
 * other than 401: on a 401 the docker CLI would start an interactive login
 * prompt (and hang without a terminal) instead of showing the error. */
static int pull_denied(const struct berth_reference *ref, struct berth_error *err)
{
	char name[BERTH_REFERENCE_MAX];
	berth_reference_familiar_name(ref, name);
	berth_error_wrap(err, "pull access denied for %s, repository does not exist or may require 'docker login'",
			 name);
	err->code = ENOENT;
	return -ENOENT;
}

/* registries.conf: the mirrors of the name's registry first, then the
 * registry itself (or what its entry redirects to); the first that serves
 * the image wins, and the image keeps the name that was asked for. */
static int pull_from_sources(struct berth_engine *e, struct berth_reference *ref, struct berth_pull_options *o,
			     struct berth_pulled_image *img, struct berth_error *err)
{
	char full[BERTH_REFERENCE_MAX];
	struct berth_pull_source *src = NULL;
	size_t n = 0;
	berth_reference_string(ref, full);
	int r = berth_registries_pull_sources(e->registries, full, &src, &n, err);
	if (r < 0)
		return r;
	if (n == 0)
		return berth_pull(&e->pull_env, o, img, err);
	for (size_t i = 0; i < n; i++) {
		_cleanup_reference_ struct berth_reference *alt = NULL;
		struct berth_error one = { 0 };
		r = berth_reference_parse(src[i].name, 0, &alt, &one);
		if (r == 0) {
			o->ref = alt;
			r = berth_pull(&e->pull_env, o, img, &one);
			o->ref = ref;
		}
		if (r == 0 || (o->cancel && *o->cancel) || i + 1 == n) {
			if (r < 0)
				*err = one;
			break;
		}
		berth_debug("pull %s from %s: %s; trying the next source", full, src[i].name, one.msg);
		berth_pulled_image_clear(img);
		*img = (struct berth_pulled_image){ 0 };
	}
	berth_pull_sources_free(src, n);
	return r;
}

int berth_engine_pull(struct berth_engine *e, const struct berth_engine_pull *req,
		      struct berth_engine_pull_result *ret, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	struct berth_platform platform;
	struct berth_pulled_image img = { 0 };
	int r = pull_reference(req, &ref, err);
	if (r == 0 && req->platform && *req->platform)
		r = berth_platform_parse(req->platform, &platform, err);
	if (r < 0)
		return r;
	struct berth_pull_options o = {
		.ref = ref,
		.platform = req->platform && *req->platform ? &platform : NULL,
		.credentials = req->credentials,
		.cancel = req->cancel,
		.progress = req->progress,
		.progress_ctx = req->progress_ctx,
	};
	pthread_rwlock_rdlock(&e->gc_lock);
	r = pull_from_sources(e, ref, &o, &img, err);
	if (r == 0)
		r = record_pull(e, ref, &img, ret, err);
	pthread_rwlock_unlock(&e->gc_lock);
	berth_pulled_image_clear(&img);
	if (r < 0)
		cleanup_after_failed_pull(e);
	if (r == -EACCES)
		r = pull_denied(ref, err);
	return r;
}

int berth_engine_image_tag(struct berth_engine *e, const char *source, const char *repo, const char *tag,
			   struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	char id[BERTH_DIGEST_MAX], full[BERTH_REFERENCE_MAX], familiar[BERTH_REFERENCE_MAX];
	/* The new name first, as dockerd: a bad one is a 400 whatever the source. */
	int r = berth_reference_parse(repo, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, err);
	if (r == 0 && ref->digest)
		r = berth_error_set(err, EINVAL, "refusing to create a tag with a digest reference");
	if (r == 0 && tag && *tag)
		r = berth_reference_set_tag(ref, tag, err);
	else if (r == 0 && !ref->tag)
		r = berth_reference_set_tag(ref, BERTH_REFERENCE_DEFAULT_TAG, err);
	if (r == 0)
		r = berth_engine_image_lookup(e, source, id, err);
	if (r < 0)
		return r;
	berth_reference_string(ref, full);
	berth_reference_familiar_string(ref, familiar);
	r = berth_images_tag(e->db, id, full, NULL, err);
	if (r == 0)
		engine_image_event(e, "tag", id, familiar, id);
	return r;
}

int berth_engine_image_config(struct berth_engine *e, const char *id, json_t **ret, struct berth_error *err)
{
	_cleanup_free_ char *body = NULL;
	size_t len;
	int r = berth_content_read(e->content, id, BERTH_IMAGE_CONFIG_MAX, &body, &len, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	*ret = json_loadb(body, len, 0, &jerr);
	if (!*ret)
		return berth_error_set(err, EIO, "image config %s: %s", id, jerr.text);
	return 0;
}
