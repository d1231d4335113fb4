/* Chunked JSON answers that go on while work happens: the pull progress
 * (written by the pulling thread) and the event stream (read on demand).
 * With one thread per connection, the reader callback may block until
 * there is more to send. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* A client that reads nothing makes the producer wait, never the memory
 * grow: a pull stops at this much unsent progress. */
#define STREAM_PENDING_MAX (4u << 20)

struct api_stream {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char *buf;
	size_t len, off, cap;
	bool finished;
	bool client_gone;
	void (*on_close)(void *ctx);
	void *ctx;
};

struct api_stream *api_stream_new(void)
{
	struct api_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	return s;
}

static void stream_free(struct api_stream *s)
{
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	free(s->buf);
	free(s);
}

bool api_stream_write_json(struct api_stream *s, json_t *msg)
{
	char *line = json_dumps(msg, JSON_COMPACT);
	if (!line)
		return false;
	size_t n = strlen(line);
	pthread_mutex_lock(&s->lock);
	while (!s->client_gone && s->len - s->off + n + 1 > STREAM_PENDING_MAX)
		pthread_cond_wait(&s->changed, &s->lock);
	bool ok = !s->client_gone;
	if (ok && s->len + n + 1 > s->cap) {
		/* Compact what was sent before growing. */
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *grown = realloc(s->buf, cap);
		if (grown) {
			s->buf = grown;
			s->cap = cap;
		}
		ok = grown != NULL;
	}
	if (ok) {
		memcpy(s->buf + s->len, line, n);
		s->buf[s->len + n] = '\n';
		s->len += n + 1;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	free(line);
	return ok;
}

void api_stream_finish(struct api_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

bool api_stream_client_gone(struct api_stream *s)
{
	pthread_mutex_lock(&s->lock);
	bool gone = s->client_gone;
	pthread_mutex_unlock(&s->lock);
	return gone;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	struct api_stream *s = cls;
	pthread_mutex_lock(&s->lock);
	while (s->off == s->len && !s->finished)
		pthread_cond_wait(&s->changed, &s->lock);
	ssize_t n = MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off < s->len) {
		size_t k = s->len - s->off < max ? s->len - s->off : max;
		memcpy(buf, s->buf + s->off, k);
		s->off += k;
		n = (ssize_t) k;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void stream_closed(void *cls)
{
	struct api_stream *s = cls;
	pthread_mutex_lock(&s->lock);
	s->client_gone = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	if (s->on_close)
		s->on_close(s->ctx);
	stream_free(s);
}

enum MHD_Result api_stream_reply(struct api_request *req, struct api_stream *s, void (*on_close)(void *ctx),
				 void *ctx)
{
	s->on_close = on_close;
	s->ctx = ctx;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s,
								   stream_closed);
	if (!r) {
		stream_closed(s);
		return MHD_NO;
	}
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}

struct pull_stream {
	json_t *(*next)(void *ctx);
	void (*free_ctx)(void *ctx);
	void *ctx;
	char *pending;
	size_t len, off;
};

static ssize_t pull_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	struct pull_stream *p = cls;
	while (p->off == p->len) {
		free(p->pending);
		p->pending = NULL;
		p->off = p->len = 0;
		json_t *msg = p->next(p->ctx);
		if (!msg)
			return MHD_CONTENT_READER_END_OF_STREAM;
		char *line = json_dumps(msg, JSON_COMPACT);
		json_decref(msg);
		if (!line)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		size_t n = strlen(line);
		char *grown = realloc(line, n + 2);
		if (!grown) {
			free(line);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		p->pending = grown;
		p->pending[n] = '\n';
		p->len = n + 1;
	}
	size_t k = p->len - p->off < max ? p->len - p->off : max;
	memcpy(buf, p->pending + p->off, k);
	p->off += k;
	return (ssize_t) k;
}

static void pull_stream_free(void *cls)
{
	struct pull_stream *p = cls;
	if (p->free_ctx)
		p->free_ctx(p->ctx);
	free(p->pending);
	free(p);
}

enum MHD_Result api_stream_reply_pull(struct api_request *req, json_t *(*next)(void *ctx), void (*free_ctx)(void *ctx),
				      void *ctx)
{
	struct pull_stream *p = calloc(1, sizeof(*p));
	if (!p) {
		if (free_ctx)
			free_ctx(ctx);
		return MHD_NO;
	}
	*p = (struct pull_stream){ .next = next, .free_ctx = free_ctx, .ctx = ctx };
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, pull_stream_read, p,
								   pull_stream_free);
	if (!r) {
		pull_stream_free(p);
		return MHD_NO;
	}
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}

void api_stream_reply_discard(struct api_stream *s)
{
	stream_free(s);
}
