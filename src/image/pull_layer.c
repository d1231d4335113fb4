#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull_internal.h"
#include "unpack.h"

/* Progress lines at most this often per layer, as docker's bars redraw. */
#define REPORT_INTERVAL_MS 100
/* How often a pull waiting for another pull's download looks again. */
#define FOREIGN_WRITER_POLL_MS 200

int64_t pull_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- the unpacker's view of the blob: it follows the download ---- */

static ssize_t follow_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct layer_job *j = ctx;
	struct pull *p = j->p;
	pthread_mutex_lock(&p->lock);
	while (!pull_stopped(p) && !j->download_failed && (!j->source_ready || (j->consumed == j->written &&
										 !j->download_done)))
		pull_wait(p);
	if (pull_stopped(p) || j->download_failed) {
		pthread_mutex_unlock(&p->lock);
		return berth_error_set(err, ECANCELED, "layer %s: download stopped", j->short_id);
	}
	uint64_t avail = j->written - j->consumed, offset = j->consumed;
	int fd = j->source_fd;
	pthread_mutex_unlock(&p->lock);
	if (avail == 0)
		return 0; /* the whole blob was read */
	ssize_t n = pread(fd, buf, len < avail ? len : (size_t) avail, (off_t) offset);
	if (n < 0)
		return berth_error_sys(err, errno, "layer %s: read blob", j->short_id);
	if (n == 0)
		return berth_error_set(err, EIO, "layer %s: blob shorter than downloaded", j->short_id);
	pthread_mutex_lock(&p->lock);
	j->consumed += (uint64_t) n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* ---- download ---- */

static int download_sink(void *ctx, const void *data, size_t len, struct berth_error *err)
{
	void **pair = ctx;
	struct layer_job *j = pair[0];
	struct berth_ingest *ing = pair[1];
	struct pull *p = j->p;
	int r = berth_ingest_write(ing, data, len, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	j->written += len;
	pthread_cond_broadcast(&p->changed);
	int64_t now = pull_now_ms();
	if (now - j->last_report_ms >= REPORT_INTERVAL_MS) {
		j->last_report_ms = now;
		pull_report_layer(p, j, BERTH_LAYER_DOWNLOADING, j->written, (uint64_t) j->layer->desc.size, 0);
	}
	pthread_mutex_unlock(&p->lock);
	return pull_stopped(p) ? berth_error_set(err, ECANCELED, "pull stopped") : 0;
}

/* The blob is (or became) committed by someone: read it from the store. */
static int use_committed_blob(struct layer_job *j, struct berth_error *err)
{
	struct pull *p = j->p;
	int fd = berth_content_open_blob(p->env->content, j->layer->desc.digest, err);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&p->lock);
	j->source_fd = fd;
	j->written = (uint64_t) j->layer->desc.size;
	j->source_ready = j->download_done = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Another pull is downloading the same blob: wait for it to finish (or to
 * give up, and then take over). */
static int begin_ingest(struct layer_job *j, struct berth_ingest **ret, struct berth_error *err)
{
	struct pull *p = j->p;
	bool told = false;
	for (;;) {
		int r = berth_ingest_begin(p->env->content, j->layer->desc.digest, j->layer->desc.size, ret, err);
		if (r != -EBUSY)
			return r;
		if (pull_stopped(p))
			return berth_error_set(err, ECANCELED, "pull stopped");
		if (!told) {
			pthread_mutex_lock(&p->lock);
			pull_report_layer(p, j, BERTH_LAYER_WAITING, 0, 0, 0);
			pthread_mutex_unlock(&p->lock);
			told = true;
		}
		sleep_ms(FOREIGN_WRITER_POLL_MS);
	}
}

static int retry_wait(struct layer_job *j, int attempt)
{
	struct pull *p = j->p;
	int base = p->env->retry_base_ms > 0 ? p->env->retry_base_ms : 1000;
	int delay = base << (attempt - 1);
	for (int left = delay; left > 0 && !pull_stopped(p); left -= 1000) {
		pthread_mutex_lock(&p->lock);
		pull_report_layer(p, j, BERTH_LAYER_RETRYING, 0, 0, (left + 999) / 1000);
		pthread_mutex_unlock(&p->lock);
		sleep_ms(left < 1000 ? left : 1000);
	}
	return pull_stopped(p) ? -ECANCELED : 0;
}

static int fetch_with_retries(struct layer_job *j, struct berth_ingest *ing, struct berth_error *err)
{
	struct pull *p = j->p;
	int attempts = p->env->max_attempts > 0 ? p->env->max_attempts : 5;
	void *pair[2] = { j, ing };
	/* All there already (an earlier download that stopped before its
	 * commit): the commit verifies it. */
	if (berth_ingest_offset(ing) >= (uint64_t) j->layer->desc.size)
		return 0;
	for (int attempt = 1;; attempt++) {
		int r = berth_registry_fetch_blob(p->reg, j->layer->desc.digest, j->layer->desc.size,
						  berth_ingest_offset(ing), download_sink, pair, err);
		if (r == 0 && berth_ingest_offset(ing) < (uint64_t) j->layer->desc.size)
			r = berth_error_set(err, ECONNRESET, "blob %s: the answer ended after %llu of %lld bytes",
					    j->layer->desc.digest, (unsigned long long) berth_ingest_offset(ing),
					    (long long) j->layer->desc.size);
		if (r == 0 || !berth_registry_error_is_transient(r) || attempt >= attempts || pull_stopped(p))
			return r;
		if (retry_wait(j, attempt) < 0)
			return r;
	}
}

static int download(struct layer_job *j, struct berth_error *err)
{
	struct pull *p = j->p;
	_cleanup_ingest_ struct berth_ingest *ing = NULL;
	int r = begin_ingest(j, &ing, err);
	if (r == -EEXIST) {
		berth_error_clear(err);
		return use_committed_blob(j, err);
	}
	if (r < 0)
		return r;
	int fd = berth_ingest_open_reader(ing, err);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&p->lock);
	j->source_fd = fd;
	j->written = berth_ingest_offset(ing); /* a partial file from an earlier attempt */
	j->source_ready = j->downloaded = true;
	pull_report_layer(p, j, BERTH_LAYER_DOWNLOADING, j->written, (uint64_t) j->layer->desc.size, 0);
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	r = fetch_with_retries(j, ing, err);
	if (r < 0) {
		/* A failed pull leaves no partial blob behind (what a hostile
		 * registry sent must not poison the next pull), unless the daemon
		 * is shutting down: then the next pull after the restart resumes. */
		if (!(p->env->shutdown && *p->env->shutdown))
			berth_ingest_discard(ing);
		return r;
	}
	pthread_mutex_lock(&p->lock);
	pull_report_layer(p, j, BERTH_LAYER_VERIFYING, 0, 0, 0);
	pthread_mutex_unlock(&p->lock);
	r = berth_ingest_commit(ing, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	j->download_done = true;
	pull_report_layer(p, j, BERTH_LAYER_DOWNLOADED, 0, 0, 0);
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void *download_main(void *arg)
{
	struct layer_job *j = arg;
	struct pull *p = j->p;
	struct berth_error err = { 0 };

	pthread_mutex_lock(&p->lock);
	if (p->downloads_running >= p->max_downloads)
		pull_report_layer(p, j, BERTH_LAYER_WAITING, 0, 0, 0);
	while (p->downloads_running >= p->max_downloads && !pull_stopped(p))
		pull_wait(p);
	p->downloads_running++;
	pthread_mutex_unlock(&p->lock);

	int r = pull_stopped(p) ? berth_error_set(&err, ECANCELED, "pull stopped") : download(j, &err);

	pthread_mutex_lock(&p->lock);
	p->downloads_running--;
	if (r < 0) {
		j->download_failed = true;
		pull_fail(p, r, &err);
	}
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- unpack ---- */

/* Own the layer's snapshot, or learn that it exists.  1: exists; 0: prep. */
static int claim_snapshot(struct layer_job *j, struct berth_snapshot_prep **prep, struct berth_error *err)
{
	struct pull *p = j->p;
	for (;;) {
		int r = berth_snapshot_prepare(p->env->snapshots, j->chain_id, j->parent_chain, prep, err);
		if (r == -EEXIST) {
			berth_error_clear(err);
			return 1;
		}
		if (r != -EBUSY)
			return r;
		pthread_mutex_lock(&p->lock);
		pull_report_layer(p, j, BERTH_LAYER_WAITING, 0, 0, 0);
		pthread_mutex_unlock(&p->lock);
		r = berth_snapshot_wait(p->env->snapshots, j->chain_id, err);
		if (r == 0)
			return 1;
		if (r != -ENOENT)
			return r;
		berth_error_clear(err); /* the other pull failed: try ourselves */
	}
}

/* The copy driver applies a layer on its parent's full tree: wait for it. */
static int wait_for_parent(struct layer_job *j, struct berth_error *err)
{
	struct pull *p = j->p;
	if (!berth_snapshotter_full_trees(p->env->snapshots) || j->index == 0)
		return 0;
	struct layer_job *parent = &p->jobs[j->index - 1];
	pthread_mutex_lock(&p->lock);
	while (!parent->finished && !pull_stopped(p))
		pull_wait(p);
	bool ok = parent->finished;
	pthread_mutex_unlock(&p->lock);
	return ok ? 0 : berth_error_set(err, ECANCELED, "pull stopped");
}

static int unpack_into(struct layer_job *j, struct berth_snapshot_prep *prep, struct berth_error *err)
{
	struct pull *p = j->p;
	struct berth_layer_source src = { .read = follow_read, .ctx = j };
	struct berth_unpack_options o = {
		.whiteout = berth_snapshotter_full_trees(p->env->snapshots) ? BERTH_WHITEOUT_APPLY
									    : BERTH_WHITEOUT_OVERLAY,
	};
	struct berth_unpack_stats stats = { 0 };
	char diff_id[BERTH_DIGEST_MAX];
	int r = berth_unpack_layer(&src, prep->dirfd, &o, diff_id, &stats, err);
	if (r < 0)
		return berth_error_wrap(err, "layer %s", j->short_id);
	if (strcmp(diff_id, j->diff_id) != 0)
		return berth_error_set(err, EBADMSG, "layer %s: its content is %s, but the image config says %s",
				       j->layer->desc.digest, diff_id, j->diff_id);
	/* Only a verified blob may make a snapshot: wait for the commit. */
	pthread_mutex_lock(&p->lock);
	while (!j->download_done && !j->download_failed && !pull_stopped(p))
		pull_wait(p);
	bool verified = j->download_done;
	j->size = (int64_t) stats.bytes;
	if (verified)
		pull_report_layer(p, j, BERTH_LAYER_EXTRACTING, j->consumed, (uint64_t) j->layer->desc.size, 0);
	pthread_mutex_unlock(&p->lock);
	if (!verified)
		return berth_error_set(err, ECANCELED, "layer %s: download failed", j->short_id);
	return berth_snapshot_commit(p->env->snapshots, prep, (int64_t) stats.bytes, err);
}

static int unpack_layer(struct layer_job *j, struct berth_error *err)
{
	struct pull *p = j->p;
	struct berth_snapshot_prep *prep = NULL;
	int r = wait_for_parent(j, err);
	if (r == 0)
		r = claim_snapshot(j, &prep, err);
	if (r == 1)
		return 0; /* somebody made it meanwhile */
	if (r < 0)
		return r;
	/* The blob: from the store, or downloaded by our downloader. */
	if (berth_content_stat(p->env->content, j->layer->desc.digest, NULL, err) == 0) {
		r = use_committed_blob(j, err);
	} else {
		berth_error_clear(err);
		r = pthread_create(&j->downloader, NULL, download_main, j);
		j->downloader_started = r == 0;
		if (r != 0)
			r = berth_error_sys(err, r, "layer %s: start a download thread", j->short_id);
	}
	if (r == 0)
		r = unpack_into(j, prep, err);
	if (r < 0) {
		berth_snapshot_abort(p->env->snapshots, prep);
		return r;
	}
	berth_snapshot_prep_free(prep);
	return 0;
}

static void *unpack_main(void *arg)
{
	struct layer_job *j = arg;
	struct pull *p = j->p;
	struct berth_error err = { 0 };
	int r = unpack_layer(j, &err);
	if (j->downloader_started) {
		pthread_join(j->downloader, NULL);
		j->downloader_started = false;
	}
	pthread_mutex_lock(&p->lock);
	if (r < 0) {
		j->failed = true;
		pull_fail(p, r, &err);
	} else {
		j->finished = true;
		pull_report_layer(p, j, BERTH_LAYER_COMPLETE, 0, 0, 0);
	}
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int pull_layer_start(struct layer_job *j, struct berth_error *err)
{
	int r = pthread_create(&j->unpacker, NULL, unpack_main, j);
	if (r != 0)
		return berth_error_sys(err, r, "layer %s: start a thread", j->short_id);
	j->unpacker_started = true;
	return 0;
}

void pull_layer_join(struct layer_job *j)
{
	if (j->unpacker_started)
		pthread_join(j->unpacker, NULL);
	j->unpacker_started = false;
	if (j->source_fd >= 0)
		close(j->source_fd);
	j->source_fd = -1;
}
