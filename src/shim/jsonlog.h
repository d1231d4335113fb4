/* The container's log in docker's json-file format, with docker's rotation.
 *
 *     {"log":"hello\n","stream":"stdout","time":"2026-11-24T10:00:00.123456789Z"}
 *
 * One object per line.  A line of output is one entry ("log" ends in "\n");
 * a line longer than JSONLOG_LINE_MAX is written as pieces of that size
 * without the "\n" (docker's partial messages), and so is what is left of
 * an unfinished line when its stream ends.
 *
 * A failed write (a full disk) drops the entry and never blocks or stops
 * anything: the container's output keeps flowing to attachers, the failure
 * is noted once in shim.log, and the next entry tries again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* docker's copier buffer: lines are cut into pieces of 16 KiB. */
#define JSONLOG_LINE_MAX (16 * 1024)

struct jsonlog;

/* The unfinished line of one stream, held until its '\n' comes. */
struct jsonlog_line {
	char *buf; /* malloc'ed only while a line is unfinished */
	size_t len, cap;
	int64_t partial_ns; /* time of the first piece of a line being cut; 0 when none */
};

/* Open (append to) path.  max_size 0: no rotation.  max_files: how many
 * files rotation keeps, the live one included (at least 1). */
int jsonlog_open(const char *path, uint64_t max_size, unsigned max_files, struct jsonlog **ret,
		 struct berth_error *err);
void jsonlog_close(struct jsonlog *log);

/* Output of `stream` ("stdout" or "stderr"), read at now_ns (unix nanos). */
void jsonlog_feed(struct jsonlog *log, struct jsonlog_line *line, const char *stream, const char *data, size_t len,
		  int64_t now_ns);

/* The stream ended: write its unfinished line as a partial entry. */
void jsonlog_flush(struct jsonlog *log, struct jsonlog_line *line, const char *stream, int64_t now_ns);

/* Go's RFC 3339 with nanoseconds, UTC, trailing zeros of the fraction
 * trimmed (time.RFC3339Nano, as docker writes "time").  size >= 40. */
void jsonlog_format_time(int64_t unix_ns, char *buf, size_t size);

/* Encode text as the body of a JSON string the way docker's json-file
 * does.  Writes at most out_size bytes, never splitting an escape; returns
 * how many input bytes were consumed and sets *ret_out to the bytes
 * written.  With out == NULL only counts (*ret_out: the encoded length). */
size_t jsonlog_escape(const char *text, size_t len, char *out, size_t out_size, size_t *ret_out);
