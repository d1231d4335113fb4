#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct berth_events {
	pthread_mutex_t lock;
	pthread_cond_t added;
	json_t *ring[BERTH_EVENTS_RING];
	int64_t nano[BERTH_EVENTS_RING];
	uint64_t next; /* sequence number of the next event */
	bool closed;
	int listeners;
};

void berth_events_listening(struct berth_events *ev, bool joined)
{
	__atomic_add_fetch(&ev->listeners, joined ? 1 : -1, __ATOMIC_RELAXED);
}

int berth_events_listeners(struct berth_events *ev)
{
	return __atomic_load_n(&ev->listeners, __ATOMIC_RELAXED);
}

int64_t berth_events_now_nano(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int berth_events_new(struct berth_events **ret, struct berth_error *err)
{
	struct berth_events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return berth_error_sys(err, ENOMEM, "events");
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->added, &attr);
	pthread_condattr_destroy(&attr);
	*ret = ev;
	return 0;
}

void berth_events_free(struct berth_events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < BERTH_EVENTS_RING; i++)
		json_decref(ev->ring[i]);
	pthread_mutex_destroy(&ev->lock);
	pthread_cond_destroy(&ev->added);
	free(ev);
}

void berth_events_publish(struct berth_events *ev, const char *type, const char *action, const char *id,
			  json_t *attributes)
{
	int64_t now = berth_events_now_nano();
	if (!attributes)
		attributes = json_object();
	json_t *e = json_pack("{s:s, s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", type, "Action", action, "status",
			      action, "Actor", "ID", id, "Attributes", attributes, "scope", "local", "time",
			      (json_int_t) (now / 1000000000), "timeNano", (json_int_t) now);
	if (!e)
		return;
	/* docker's pre-1.22 fields, which its CLI still reads for images */
	json_object_set_new(e, "id", json_string(id));
	json_t *image = json_object_get(attributes, "image");
	if (strcmp(type, "container") == 0 && json_is_string(image))
		json_object_set(e, "from", image);
	pthread_mutex_lock(&ev->lock);
	size_t slot = ev->next % BERTH_EVENTS_RING;
	json_decref(ev->ring[slot]);
	ev->ring[slot] = e;
	ev->nano[slot] = now;
	ev->next++;
	pthread_cond_broadcast(&ev->added);
	pthread_mutex_unlock(&ev->lock);
}

uint64_t berth_events_cursor(struct berth_events *ev, int64_t since_nano)
{
	pthread_mutex_lock(&ev->lock);
	uint64_t first = ev->next > BERTH_EVENTS_RING ? ev->next - BERTH_EVENTS_RING : 0;
	uint64_t c = ev->next;
	if (since_nano >= 0) {
		c = first;
		while (c < ev->next && ev->nano[c % BERTH_EVENTS_RING] < since_nano)
			c++;
	}
	pthread_mutex_unlock(&ev->lock);
	return c;
}

int berth_events_next(struct berth_events *ev, uint64_t *cursor, int timeout_ms, json_t **ret)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms > 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&ev->lock);
	int r = 0;
	while (*cursor >= ev->next && !ev->closed && r == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&ev->added, &ev->lock);
		else if (timeout_ms == 0 || pthread_cond_timedwait(&ev->added, &ev->lock, &deadline) == ETIMEDOUT)
			r = 1; /* timed out */
	}
	if (*cursor < ev->next) {
		uint64_t oldest = ev->next > BERTH_EVENTS_RING ? ev->next - BERTH_EVENTS_RING : 0;
		if (*cursor < oldest)
			*cursor = oldest; /* fell behind: skip what was overwritten */
		*ret = json_incref(ev->ring[*cursor % BERTH_EVENTS_RING]);
		(*cursor)++;
		r = 1;
	} else {
		r = ev->closed ? -ESHUTDOWN : 0;
	}
	pthread_mutex_unlock(&ev->lock);
	return r;
}

void berth_events_close(struct berth_events *ev)
{
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	pthread_cond_broadcast(&ev->added);
	pthread_mutex_unlock(&ev->lock);
}
