/* The Engine API's JSON message streams (docker's pkg/jsonmessage), and
 * their display as the docker CLI shows them.
 *
 * `POST /images/create`, `/images/{name}/push`, `/build`, `/images/load` and
 * `GET /events` answer with a stream of JSON objects, one after another
 * (dockerd writes one a line; nothing but JSON's own grammar separates
 * them):
 *
 *     {"status":"Pulling from library/busybox","id":"latest"}
 *     {"status":"Downloading","progressDetail":{"current":36412,"total":1036200},
 *      "progress":"[=>   ]  36.41kB/1.036MB","id":"072fdfcdaa2f"}
 *     {"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}
 *     {"aux":{"ID":"sha256:..."}}
 *
 * Three parts, each usable alone:
 *   - the splitter cuts the byte stream, fed in arbitrary pieces as they
 *     arrive, into whole JSON values (bounded in size);
 *   - berth_jsonmessage_parse reads one into a struct berth_jsonmessage;
 *   - the display is docker's DisplayJSONMessagesStream: on a terminal one
 *     line per layer id, rewritten in place with ANSI cursor movement and
 *     progress bars drawn from progressDetail; elsewhere plain lines, with
 *     every message that carries progress figures left out.
 *
 * Pure logic over buffers and a FILE: no I/O of its own, no clock unless
 * none is given, so that it can be unit-tested and fuzzed.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* One message may be big (an aux with a build's metadata) but not endless. */
#define BERTH_JSONSTREAM_MESSAGE_MAX (16 * 1024 * 1024)

/* ---- splitting a stream into JSON values ---- */

struct berth_jsonsplitter;

/* Called with each complete value (not NUL-terminated).  A negative
 * return stops the feed and is passed on. */
typedef int (*berth_jsonsplitter_cb)(void *userdata, const char *value, size_t len, struct berth_error *err);

/* max: the largest value accepted (0: BERTH_JSONSTREAM_MESSAGE_MAX). */
int berth_jsonsplitter_new(size_t max, struct berth_jsonsplitter **ret, struct berth_error *err);
void berth_jsonsplitter_free(struct berth_jsonsplitter *s);
static inline void berth_jsonsplitter_freep(struct berth_jsonsplitter **s)
{
	berth_jsonsplitter_free(*s);
}
#define _cleanup_jsonsplitter_ __attribute__((cleanup(berth_jsonsplitter_freep)))

/* Feed the next len bytes; cb runs for every value they complete.  Values
 * must be objects or arrays (anything else at the top level is an error,
 * as it is for docker's decoder into a struct). */
int berth_jsonsplitter_feed(struct berth_jsonsplitter *s, const char *data, size_t len, berth_jsonsplitter_cb cb,
			    void *userdata, struct berth_error *err);
/* The end of the stream: an error when a value was left unfinished. */
int berth_jsonsplitter_finish(struct berth_jsonsplitter *s, struct berth_error *err);

/* ---- one message ---- */

struct berth_jsonprogress {
	bool present; /* "progressDetail" was there (even {}) */
	int64_t current, total, start;
	bool hide_counts;
	const char *units; /* NULL or borrowed */
};

struct berth_jsonmessage {
	json_t *root; /* owned; every string below is borrowed from it */
	const char *stream, *status, *id, *from;
	const char *progress_message; /* "progress": the daemon's own rendering */
	struct berth_jsonprogress progress;
	int64_t time, time_nano;
	bool has_error; /* "errorDetail" or "error" */
	int64_t error_code;
	const char *error_message; /* errorDetail.message, else "error"; may be "" */
	json_t *aux;		   /* NULL or borrowed */
};

/* Parse one value from the splitter.  Fields of the wrong type are
 * ignored, as they are harmless to show; a value that is not an object
 * is an error. */
int berth_jsonmessage_parse(const char *text, size_t len, struct berth_jsonmessage *ret, struct berth_error *err);
void berth_jsonmessage_clear(struct berth_jsonmessage *m);
#define _cleanup_jsonmessage_ __attribute__((cleanup(berth_jsonmessage_clear)))

/* JSONProgress.String(): "[====>   ]  1.2MB/4.3MB 5s" for a terminal of
 * `width` columns (the bar from 111 columns, the time left from 51), "" when
 * there is nothing to show.  now_ns is the wall clock. */
void berth_jsonprogress_string(const struct berth_jsonprogress *p, int width, int64_t now_ns, char *out,
			       size_t out_len);

/* ---- the display ---- */

struct berth_jsondisplay {
	bool terminal;
	/* Columns of the terminal; docker uses 200 when it cannot ask. */
	int width;
	/* The wall clock in nanoseconds, for the time left; NULL: the real one. */
	int64_t (*now_ns)(void);
	/* private: the lines of the ids being updated, in order */
	char **ids;
	size_t n_ids, cap_ids;
};

void berth_jsondisplay_init(struct berth_jsondisplay *d, bool terminal, int width);
void berth_jsondisplay_clear(struct berth_jsondisplay *d);
#define _cleanup_jsondisplay_ __attribute__((cleanup(berth_jsondisplay_clear)))

/* Show one message on out as DisplayJSONMessagesStream does.  Messages
 * with "aux" are not shown (the caller handles them).  A message with an
 * error returns -EIO with its text (exactly the daemon's message) in err,
 * after moving the cursor back where it belongs. */
int berth_jsondisplay_message(struct berth_jsondisplay *d, const struct berth_jsonmessage *m, FILE *out,
			      struct berth_error *err);
