/* The daemon's event stream (docker's /events): a bounded ring of recent
 * events that subscribers read from a cursor, waiting for new ones.
 * Publishing never blocks on a slow reader: one that falls behind the ring
 * misses what was overwritten. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define BERTH_EVENTS_RING 1024

struct berth_events;

int berth_events_new(struct berth_events **ret, struct berth_error *err);
void berth_events_free(struct berth_events *ev);

/* Publish {Type, Action, Actor{ID, Attributes}} with docker's legacy fields
 * (status, id, from) and the time.  attributes (may be NULL) is stolen. */
void berth_events_publish(struct berth_events *ev, const char *type, const char *action, const char *id,
			  json_t *attributes);

/* The cursor of the first event at or after since_nano (negative: the next
 * new event), and the next event from a cursor: 1 with *ret (a new reference)
 * and the cursor advanced, 0 on timeout (timeout_ms < 0 waits forever),
 * -ESHUTDOWN once the stream is closed. */
uint64_t berth_events_cursor(struct berth_events *ev, int64_t since_nano);
int berth_events_next(struct berth_events *ev, uint64_t *cursor, int timeout_ms, json_t **ret);

/* How many clients follow the stream (docker's NEventsListener): readers
 * say when they come and go. */
void berth_events_listening(struct berth_events *ev, bool joined);
int berth_events_listeners(struct berth_events *ev);

/* Wake every waiting reader for good (daemon shutdown). */
void berth_events_close(struct berth_events *ev);

int64_t berth_events_now_nano(void);
