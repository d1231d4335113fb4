/* GET /containers/{id}/stats and POST /containers/{id}/update. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "json.h"

#define STATS_INTERVAL_MS 1000
#define STATS_TICK_MS 100

struct stats_stream {
	struct berth_engine *engine;
	char id[4096];
	json_t *prev;  /* the last sample sent */
	json_t *first; /* taken by the handler, sent first */
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A second after the last sample, in small steps so that a daemon
 * shutting down is not held up.  false: it is. */
static bool wait_interval(struct berth_engine *e)
{
	int64_t until = monotonic_ms() + STATS_INTERVAL_MS;
	for (int64_t now = monotonic_ms(); now < until; now = monotonic_ms()) {
		if (e->shutting_down)
			return false;
		int64_t left = until - now < STATS_TICK_MS ? until - now : STATS_TICK_MS;
		struct timespec ts = { 0, (long) left * 1000000 };
		nanosleep(&ts, NULL);
	}
	return !e->shutting_down;
}

/* The next sample of a stream, once a second, as dockerd's collector
 * publishes them; the stream ends when the container is gone. */
static json_t *stats_next(void *ctx)
{
	struct stats_stream *s = ctx;
	struct berth_error err = { 0 };
	json_t *msg = NULL;
	if (s->first) {
		msg = s->first;
		s->first = NULL;
	} else if (!wait_interval(s->engine) || berth_engine_container_stats(s->engine, s->id, s->prev, &msg, &err) < 0) {
		return NULL;
	}
	json_decref(s->prev);
	/* a stopped container's zeroed sample is no base for the next one */
	s->prev = json_object_get(msg, "cpu_stats") && json_object_get(json_object_get(msg, "cpu_stats"), "online_cpus")
			  ? json_incref(msg)
			  : NULL;
	return msg;
}

static void stats_free(void *ctx)
{
	struct stats_stream *s = ctx;
	json_decref(s->prev);
	json_decref(s->first);
	free(s);
}

enum MHD_Result api_container_stats(struct api_request *req)
{
	struct berth_error err = { 0 };
	bool stream = api_query_bool(req, "stream", true);
	bool one_shot = req->version >= 141 && api_query_bool(req, "one-shot", false);
	json_t *first = NULL, *second = NULL;
	if (stream && one_shot)
		return api_reply_message(req, MHD_HTTP_BAD_REQUEST, "cannot have stream=true and one-shot=true");
	if (berth_engine_container_stats(req->engine, req->param, NULL, &first, &err) < 0)
		return api_reply_error(req, &err);
	if (!stream) {
		/* dockerd primes the CPU figures with a first sample it does not send */
		bool running = json_object_get(json_object_get(first, "cpu_stats"), "online_cpus") != NULL;
		if (one_shot || !running || !wait_interval(req->engine))
			return api_reply_json(req, MHD_HTTP_OK, first);
		int r = berth_engine_container_stats(req->engine, req->param, first, &second, &err);
		json_decref(first);
		return r < 0 ? api_reply_error(req, &err) : api_reply_json(req, MHD_HTTP_OK, second);
	}
	struct stats_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(first);
		return MHD_NO;
	}
	s->engine = req->engine;
	s->first = first;
	snprintf(s->id, sizeof(s->id), "%s", json_string_value(json_object_get(first, "id")));
	return api_stream_reply_pull(req, stats_next, stats_free, s);
}

enum MHD_Result api_container_update(struct api_request *req)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *body = NULL;
	json_t *warnings = NULL;
	if (api_body_json(req, &body, &err) < 0 ||
	    berth_engine_container_update(req->engine, req->param, body, &warnings, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "Warnings", warnings));
}
