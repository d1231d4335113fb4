#include "pull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull_internal.h"

void berth_pulled_image_clear(struct berth_pulled_image *p)
{
	free(p->top_snapshot);
	free(p->chain_ids);
	free(p->diff_ids);
	free(p->layer_blobs);
	for (size_t i = 0; i < p->n_blobs; i++)
		free(p->blobs[i]);
	free(p->blobs);
	*p = (struct berth_pulled_image){ 0 };
}

bool pull_stopped(struct pull *p)
{
	return p->stop != 0 || (p->opts->cancel && *p->opts->cancel) || (p->env->shutdown && *p->env->shutdown);
}

static bool pull_stopped_cb(void *ctx)
{
	return pull_stopped(ctx);
}

void pull_wait(struct pull *p)
{
	/* Bounded, so that a cancellation by the caller (a flag, not a
	 * signal on our condition) is noticed soon. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 250 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&p->changed, &p->lock, &ts);
}

void pull_fail(struct pull *p, int r, const struct berth_error *err)
{
	/* The first real failure is the one to report, not the cancellations
	 * it caused in the other layers. */
	if (p->error == 0 || (p->error == -ECANCELED && r != -ECANCELED)) {
		p->error = r;
		p->first_err = *err;
	}
	p->stop = 1;
	pthread_cond_broadcast(&p->changed);
}

void pull_report_layer(struct pull *p, struct layer_job *j, enum berth_layer_state state, uint64_t current,
		       uint64_t total, int retry_in)
{
	j->state = state;
	if (!p->opts->progress)
		return;
	struct berth_pull_event ev = {
		.kind = BERTH_PULL_LAYER,
		.id = j->short_id,
		.state = state,
		.current = current,
		.total = total,
		.retry_in = retry_in,
	};
	p->opts->progress(p->opts->progress_ctx, &ev);
}

static void report(struct pull *p, enum berth_pull_event_kind kind, const char *id, const char *text)
{
	if (!p->opts->progress)
		return;
	struct berth_pull_event ev = { .kind = kind, .id = id, .text = text };
	pthread_mutex_lock(&p->lock);
	p->opts->progress(p->opts->progress_ctx, &ev);
	pthread_mutex_unlock(&p->lock);
}

static int add_blob(struct berth_pulled_image *out, const char *digest, struct berth_error *err)
{
	for (size_t i = 0; i < out->n_blobs; i++)
		if (strcmp(out->blobs[i], digest) == 0)
			return 0;
	char **grown = realloc(out->blobs, (out->n_blobs + 1) * sizeof(*grown));
	if (!grown || !(grown[out->n_blobs] = strdup(digest))) {
		if (grown)
			out->blobs = grown;
		return berth_error_sys(err, ENOMEM, "pull");
	}
	out->blobs = grown;
	out->n_blobs++;
	return 0;
}

/* A manifest from the store when it is there, else from the registry (and
 * then into the store). */
static int get_manifest(struct pull *p, const char *reference, struct berth_registry_manifest *m,
			struct berth_error *err)
{
	int r = berth_registry_get_manifest(p->reg, reference, BERTH_MANIFEST_MAX, m, err);
	if (r < 0)
		return r;
	return berth_content_write(p->env->content, m->digest, m->body, m->len, err);
}

/* Open the registry that serves the reference: a mirror first when
 * registries.conf names one, then the registry itself. */
static int open_registry(struct pull *p, struct berth_error *err)
{
	const struct berth_reference *ref = p->opts->ref;
	const char *host = berth_reference_registry_host(ref);
	bool insecure = p->env->registries && berth_registries_is_insecure(p->env->registries, ref->domain);
	struct berth_registry_options o = {
		.host = host,
		.repository = ref->path,
		.insecure = insecure,
		.certs_dir = p->env->certs_dir,
		.credentials = p->opts->credentials,
		.cancelled = pull_stopped_cb,
		.cancel_ctx = p,
	};
	return berth_registry_open(&o, &p->reg, err);
}

/* Tag or digest to the platform's manifest; the index, when there is one,
 * is kept too. */
static int resolve(struct pull *p, struct berth_pulled_image *out, struct berth_registry_manifest *m,
		   struct berth_error *err)
{
	const struct berth_reference *ref = p->opts->ref;
	const char *wanted = ref->digest ? ref->digest : ref->tag;
	enum berth_manifest_type type;
	int r = get_manifest(p, wanted, m, err);
	if (r == 0)
		r = berth_manifest_detect(m->body, m->len, m->media_type, &type, err);
	if (r < 0)
		return r;
	snprintf(out->target, sizeof(out->target), "%s", m->digest);
	if (!berth_manifest_type_is_index(type))
		return add_blob(out, m->digest, err);

	_cleanup_index_ struct berth_index *idx = NULL;
	const struct berth_descriptor *chosen;
	struct berth_platform host;
	const struct berth_platform *want = p->opts->platform;
	if (!want && (r = berth_platform_host(&host, err)) == 0)
		want = &host;
	if (r == 0)
		r = berth_index_parse(m->body, m->len, m->media_type, &idx, err);
	if (r == 0)
		r = berth_index_select(idx, want, &chosen, err);
	if (r == 0)
		r = add_blob(out, m->digest, err);
	if (r < 0)
		return r;
	char digest[BERTH_DIGEST_MAX];
	snprintf(digest, sizeof(digest), "%s", chosen->digest);
	berth_registry_manifest_clear(m);
	r = get_manifest(p, digest, m, err);
	if (r == 0)
		r = berth_manifest_detect(m->body, m->len, m->media_type, &type, err);
	if (r == 0 && berth_manifest_type_is_index(type))
		return berth_error_set(err, ENOTSUP, "manifest %s: nested indexes are not supported", digest);
	return r < 0 ? r : add_blob(out, m->digest, err);
}

static int get_config(struct pull *p, struct berth_error *err)
{
	const struct berth_descriptor *d = &p->manifest->config;
	_cleanup_free_ char *body = NULL;
	size_t len;
	if (d->size > (int64_t) BERTH_IMAGE_CONFIG_MAX)
		return berth_error_set(err, EFBIG, "image config %s: %lld bytes, more than %u", d->digest,
				       (long long) d->size, BERTH_IMAGE_CONFIG_MAX);
	int r = berth_content_read(p->env->content, d->digest, BERTH_IMAGE_CONFIG_MAX, &body, &len, err);
	p->config_was_local = r == 0;
	if (r == -ENOENT) {
		berth_error_clear(err);
		r = berth_registry_fetch_small_blob(p->reg, d->digest, BERTH_IMAGE_CONFIG_MAX, &body, &len, err);
		if (r == 0 && (int64_t) len != d->size)
			r = berth_error_set(err, EBADMSG, "image config %s: %zu bytes, the manifest says %lld", d->digest,
					    len, (long long) d->size);
		if (r == 0)
			r = berth_content_write(p->env->content, d->digest, body, len, err);
	}
	if (r == 0)
		r = berth_image_config_parse(body, len, &p->config, err);
	if (r == 0)
		r = berth_manifest_check_config(p->manifest, p->config, err);
	return r;
}

/* With an explicit --platform, an image for another one is an error, as
 * docker reports it; without, the host runs what it gets (emulation). */
static int check_platform(struct pull *p, struct berth_error *err)
{
	const struct berth_platform *want = p->opts->platform;
	if (!want || berth_platform_match(want, &p->config->platform))
		return 0;
	char w[BERTH_PLATFORM_STRING_MAX], h[BERTH_PLATFORM_STRING_MAX];
	berth_platform_format(want, w);
	berth_platform_format(&p->config->platform, h);
	return berth_error_set(err, ENOENT,
			       "image with reference %s was found but does not match the specified platform: wanted %s, "
			       "actual: %s",
			       p->opts->ref->path, w, h);
}

static int plan_layers(struct pull *p, struct berth_error *err)
{
	size_t n = p->manifest->n_layers;
	p->chain_ids = calloc(n ? n : 1, sizeof(*p->chain_ids));
	p->jobs = calloc(n ? n : 1, sizeof(*p->jobs));
	if (!p->chain_ids || !p->jobs)
		return berth_error_sys(err, ENOMEM, "pull");
	int r = berth_chain_ids((const char(*)[BERTH_DIGEST_MAX]) p->config->diff_ids, n, p->chain_ids, err);
	if (r < 0)
		return r;
	p->n_jobs = n;
	for (size_t i = 0; i < n; i++) {
		struct layer_job *j = &p->jobs[i];
		j->p = p;
		j->index = i;
		j->layer = &p->manifest->layers[i];
		j->diff_id = p->config->diff_ids[i];
		j->chain_id = p->chain_ids[i];
		j->parent_chain = i ? p->chain_ids[i - 1] : NULL;
		j->source_fd = -1;
		berth_digest_short(j->layer->desc.digest, j->short_id);
	}
	return 0;
}

/* Announce every layer, start the ones that need work, wait for all. */
static int run_layers(struct pull *p, bool *ret_downloaded, struct berth_error *err)
{
	size_t present = 0;
	for (size_t i = 0; i < p->n_jobs; i++) {
		struct berth_error ignored = { 0 };
		p->jobs[i].finished = berth_snapshot_stat(p->env->snapshots, p->jobs[i].chain_id, NULL, &ignored) == 0;
		present += p->jobs[i].finished;
	}
	/* As docker: an image that is all here (its config and every layer)
	 * reports no layer at all; otherwise each layer says what it needs. */
	bool quiet = p->config_was_local && present == p->n_jobs;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n_jobs && !quiet; i++)
		pull_report_layer(p, &p->jobs[i], p->jobs[i].finished ? BERTH_LAYER_ALREADY_EXISTS : BERTH_LAYER_PULLING, 0,
				  0, 0);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->n_jobs; i++) {
		struct berth_error start_err = { 0 };
		if (p->jobs[i].finished || pull_stopped(p))
			continue;
		int r = pull_layer_start(&p->jobs[i], &start_err);
		if (r < 0) {
			pthread_mutex_lock(&p->lock);
			pull_fail(p, r, &start_err);
			pthread_mutex_unlock(&p->lock);
		}
	}
	*ret_downloaded = false;
	for (size_t i = 0; i < p->n_jobs; i++) {
		pull_layer_join(&p->jobs[i]);
		*ret_downloaded |= p->jobs[i].downloaded;
	}
	if (p->error < 0) {
		*err = p->first_err;
		return p->error;
	}
	if (p->opts->cancel && *p->opts->cancel)
		return berth_error_set(err, ECANCELED, "pull cancelled");
	return 0;
}

static int fill_result(struct pull *p, struct berth_pulled_image *out, struct berth_error *err)
{
	size_t n = p->n_jobs;
	snprintf(out->id, sizeof(out->id), "%s", p->manifest->config.digest);
	out->platform = p->config->platform;
	out->n_layers = n;
	out->chain_ids = calloc(n ? n : 1, sizeof(*out->chain_ids));
	out->diff_ids = calloc(n ? n : 1, sizeof(*out->diff_ids));
	out->layer_blobs = calloc(n ? n : 1, sizeof(*out->layer_blobs));
	if (!out->chain_ids || !out->diff_ids || !out->layer_blobs)
		return berth_error_sys(err, ENOMEM, "pull");
	int r = add_blob(out, p->manifest->config.digest, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		int64_t size = 0;
		memcpy(out->chain_ids[i], p->chain_ids[i], BERTH_DIGEST_MAX);
		memcpy(out->diff_ids[i], p->config->diff_ids[i], BERTH_DIGEST_MAX);
		memcpy(out->layer_blobs[i], p->manifest->layers[i].desc.digest, BERTH_DIGEST_MAX);
		if (berth_snapshot_stat(p->env->snapshots, p->chain_ids[i], &size, err) < 0)
			return berth_error_wrap(err, "layer %s", p->jobs[i].short_id);
		out->size += size;
		/* A layer that was here as a snapshot needs no blob. */
		if (berth_content_stat(p->env->content, out->layer_blobs[i], NULL, &(struct berth_error){ 0 }) == 0)
			r = add_blob(out, out->layer_blobs[i], err);
	}
	if (r == 0 && n > 0 && !(out->top_snapshot = strdup(p->chain_ids[n - 1])))
		r = berth_error_sys(err, ENOMEM, "pull");
	return r;
}

static void pull_release(struct pull *p)
{
	berth_registry_free(p->reg);
	berth_manifest_free(p->manifest);
	berth_image_config_free(p->config);
	free(p->chain_ids);
	free(p->jobs);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
}

static int pull_run(struct pull *p, struct berth_pulled_image *out, struct berth_error *err)
{
	struct berth_registry_manifest m = { 0 };
	char name[BERTH_REFERENCE_MAX];
	int r = open_registry(p, err);
	if (r == 0)
		r = resolve(p, out, &m, err);
	if (r == 0)
		r = berth_manifest_parse(m.body, m.len, m.media_type, &p->manifest, err);
	if (r == 0)
		snprintf(out->manifest, sizeof(out->manifest), "%s", m.digest);
	berth_registry_manifest_clear(&m);
	if (r == 0)
		r = get_config(p, err);
	if (r == 0)
		r = check_platform(p, err);
	if (r == 0)
		r = plan_layers(p, err);
	if (r < 0)
		return r;
	/* docker names the repository path alone: "Pulling from library/busybox" */
	snprintf(name, BERTH_REFERENCE_MAX, "%s", p->opts->ref->path);
	report(p, BERTH_PULL_RESOLVED, p->opts->ref->digest ? p->opts->ref->digest : p->opts->ref->tag, name);
	r = run_layers(p, &out->downloaded, err);
	if (r == 0)
		r = fill_result(p, out, err);
	if (r == 0)
		report(p, BERTH_PULL_DIGEST, NULL, out->target);
	return r;
}

int berth_pull(const struct berth_pull_env *env, const struct berth_pull_options *opts, struct berth_pulled_image *ret,
	       struct berth_error *err)
{
	struct pull p = { .env = env, .opts = opts };
	struct berth_pulled_image out = { 0 };
	if (!opts->ref->tag && !opts->ref->digest)
		return berth_error_set(err, EINVAL, "pull: the reference needs a tag or a digest");
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	p.max_downloads = env->max_concurrent_downloads > 0 ? env->max_concurrent_downloads : 3;
	int r = pull_run(&p, &out, err);
	pull_release(&p);
	if (r < 0) {
		berth_pulled_image_clear(&out);
		return r;
	}
	*ret = out;
	return 0;
}
