/* docker's json-file log (see jsonlog.h).
 *
 * Bytes, as docker writes them (daemon/logger/jsonfilelog): members in the
 * order log, stream, time; the string escaped as its hand-written encoder
 * does, which is Go's encoding/json with HTML escaping except that a tab is
 * \u0009 (there is no \t case): \" \\ \n \r, other control characters and
 * < > & as \u00XX with lowercase hex, invalid UTF-8 as \ufffd byte by byte
 * (utf8.DecodeRune's rules: no overlong forms, no surrogates, nothing past
 * U+10FFFF), U+2028 and U+2029 escaped; "time" in time.RFC3339Nano (UTC,
 * the fraction's trailing zeros trimmed).  Pieces of one cut line carry the
 * time of the first piece, as docker's copier gives them.
 *
 * Rotation, as docker: before an entry that would make the live file pass
 * max-size, log.N-2 -> log.N-1 ... log -> log.1 and a fresh log (max-files
 * 1: the file is emptied).  Unlike docker, which checks the size only
 * after a write and so lets each file pass the limit by one entry, the
 * check comes first, so no file is ever larger than max-size unless a single
 * entry is.
 *
 * An entry is written in pieces from a small stack buffer (a 16 KiB line
 * can encode to 96 KiB: not worth keeping that much memory per shim).  If a
 * piece fails the file is truncated back to where the entry began, so a
 * reader never sees half an object; the entry is dropped.
 */
#include "jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "shim_log.h"

struct jsonlog {
	char *path;
	int fd; /* -1 after a rotation could not open the new file: retried per entry */
	uint64_t size;
	uint64_t max_size;
	unsigned max_files;
	bool failing;     /* writes fail: noted once in shim.log until one succeeds again */
	uint64_t dropped; /* entries lost while failing */
};

static int open_log_file(const char *path, bool truncate)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : 0), 0640);
}

int jsonlog_open(const char *path, uint64_t max_size, unsigned max_files, struct jsonlog **ret,
		 struct berth_error *err)
{
	_cleanup_free_ struct jsonlog *log = calloc(1, sizeof(*log));
	struct stat st;

	if (log == NULL || (log->path = strdup(path)) == NULL) {
		if (log)
			free(log->path);
		return berth_error_sys(err, ENOMEM, "open log %s", path);
	}
	log->fd = open_log_file(path, false);
	if (log->fd < 0 || fstat(log->fd, &st) < 0) {
		int e = errno;
		if (log->fd >= 0)
			close(log->fd);
		free(log->path);
		return berth_error_sys(err, e, "open log %s", path);
	}
	log->size = (uint64_t) st.st_size;
	log->max_size = max_size;
	log->max_files = max_files ? max_files : 1;
	*ret = berth_steal_ptr(&log);
	return 0;
}

void jsonlog_close(struct jsonlog *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
}

void jsonlog_format_time(int64_t unix_ns, char *buf, size_t size)
{
	time_t sec = (time_t) (unix_ns / 1000000000);
	long nsec = (long) (unix_ns % 1000000000);
	char frac[16];
	struct tm tm;
	int digits = 9;

	gmtime_r(&sec, &tm);
	snprintf(frac, sizeof(frac), ".%09ld", nsec);
	while (digits > 0 && frac[digits] == '0')
		digits--;
	frac[digits ? digits + 1 : 0] = '\0';
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* The length of the valid UTF-8 sequence at s (utf8.DecodeRune's rules),
 * or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (b >= 0xc2 && b <= 0xdf)
		need = 2;
	else if (b >= 0xe0 && b <= 0xef)
		need = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0; /* overlong */
	else if (b == 0xed)
		hi = 0x9f; /* surrogates */
	else if (b == 0xf0)
		lo = 0x90; /* overlong */
	else if (b == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (len < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* The escape for one ASCII byte, or NULL when it goes as it is. */
static const char *ascii_escape(unsigned char b, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&')
		return NULL;
	switch (b) {
	case '\\': return "\\\\";
	case '"': return "\\\"";
	case '\n': return "\\n";
	case '\r': return "\\r";
	default:
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[b >> 4];
		tmp[5] = hex[b & 0xf];
		tmp[6] = '\0';
		return tmp;
	}
}

size_t jsonlog_escape(const char *text, size_t len, char *out, size_t out_size, size_t *ret_out)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t i = 0, o = 0;

	while (i < len) {
		char tmp[8];
		const char *esc = NULL;
		size_t take = 1;

		if (s[i] < 0x80) {
			esc = ascii_escape(s[i], tmp);
			if (esc == NULL) /* a run of plain ASCII: one copy */
				while (i + take < len && s[i + take] < 0x80 && ascii_escape(s[i + take], tmp) == NULL)
					take++;
		} else {
			take = utf8_sequence(s + i, len - i);
			if (take == 0) {
				take = 1;
				esc = "\\ufffd";
			} else if (take == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				esc = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			}
		}
		size_t n = esc ? strlen(esc) : take;
		if (out && o + n > out_size) {
			/* Escapes and UTF-8 sequences are never split; a run of
			 * plain ASCII goes in as far as it fits. */
			if (esc || s[i] >= 0x80 || o == out_size)
				break;
			take = n = out_size - o;
		}
		if (out)
			memcpy(out + o, esc ? esc : (const char *) s + i, n);
		o += n;
		i += take;
	}
	*ret_out = o;
	return i;
}

static void note_failure(struct jsonlog *log, const char *what, int e)
{
	log->dropped++;
	if (!log->failing)
		shim_warn("log %s: %s: %s; dropping log entries until writing works again", log->path, what,
			  strerror(e));
	log->failing = true;
}

static void note_success(struct jsonlog *log)
{
	if (log->failing)
		shim_warn("log %s: writing again, %llu entries were dropped", log->path,
			  (unsigned long long) log->dropped);
	log->failing = false;
	log->dropped = 0;
}

static void rotate(struct jsonlog *log)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (log->max_files <= 1) {
		if (log->fd >= 0 && ftruncate(log->fd, 0) == 0)
			log->size = 0;
		return;
	}
	for (unsigned i = log->max_files - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", log->path);
		else
			snprintf(from, sizeof(from), "%s.%u", log->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", log->path, i);
		if (rename(from, to) < 0 && errno != ENOENT) {
			note_failure(log, "rotate", errno);
			return; /* keep appending to the live file: nothing is lost */
		}
	}
	if (log->fd >= 0)
		close(log->fd);
	log->fd = open_log_file(log->path, true);
	log->size = 0;
}

/* Write one entry whose "log" is text (a whole line with its '\n', or a piece). */
static void write_entry(struct jsonlog *log, const char *stream, const char *text, size_t len, int64_t ns)
{
	char stage[4096], when[48];
	size_t escaped, total, fill, done = 0;
	uint64_t start;
	int r = 0;

	jsonlog_format_time(ns, when, sizeof(when));
	jsonlog_escape(text, len, NULL, 0, &escaped);
	total = strlen("{\"log\":\"") + escaped + strlen("\",\"stream\":\"") + strlen(stream) +
		strlen("\",\"time\":\"") + strlen(when) + strlen("\"}\n");
	if (log->max_size && log->size > 0 && log->size + total > log->max_size)
		rotate(log);
	if (log->fd < 0)
		log->fd = open_log_file(log->path, false);
	if (log->fd < 0) {
		note_failure(log, "open", errno);
		return;
	}
	start = log->size;
	fill = (size_t) snprintf(stage, sizeof(stage), "{\"log\":\"");
	while (r == 0) {
		size_t wrote;
		done += jsonlog_escape(text + done, len - done, stage + fill, sizeof(stage) - fill, &wrote);
		fill += wrote;
		if (done == len && sizeof(stage) - fill > 64 + strlen(stream) + strlen(when)) {
			fill += (size_t) snprintf(stage + fill, sizeof(stage) - fill, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
						  stream, when);
			r = berth_write_all(log->fd, stage, fill);
			break;
		}
		r = berth_write_all(log->fd, stage, fill);
		fill = 0;
	}
	if (r < 0) {
		/* Take back what went in: no half objects for the reader. */
		if (ftruncate(log->fd, (off_t) start) < 0) {
			struct stat st;
			if (fstat(log->fd, &st) == 0)
				start = (uint64_t) st.st_size;
		}
		log->size = start;
		note_failure(log, "write", -r);
		return;
	}
	log->size = start + total;
	note_success(log);
}

static int line_append(struct jsonlog_line *line, const char *data, size_t len)
{
	if (line->len + len > line->cap) {
		size_t cap = (line->len + len + 255) & ~(size_t) 255;
		char *buf = realloc(line->buf, cap);
		if (buf == NULL)
			return -ENOMEM;
		line->buf = buf;
		line->cap = cap;
	}
	memcpy(line->buf + line->len, data, len);
	line->len += len;
	return 0;
}

static void line_reset(struct jsonlog_line *line)
{
	free(line->buf);
	line->buf = NULL;
	line->len = line->cap = 0;
}

/* Emit `len` bytes: the held line (if any) followed by data, as one entry. */
static void emit(struct jsonlog *log, struct jsonlog_line *line, const char *stream, const char *data, size_t len,
		 int64_t ns)
{
	if (line->len == 0) {
		write_entry(log, stream, data, len, ns);
		return;
	}
	if (line_append(line, data, len) < 0) {
		note_failure(log, "buffer a line", ENOMEM);
		line_reset(line);
		return;
	}
	write_entry(log, stream, line->buf, line->len, ns);
	line_reset(line);
}

void jsonlog_feed(struct jsonlog *log, struct jsonlog_line *line, const char *stream, const char *data, size_t len,
		  int64_t now_ns)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t content = nl ? (size_t) (nl - data) : len;
		size_t room = JSONLOG_LINE_MAX - line->len;

		if (content > room || (nl == NULL && content == room)) {
			/* The line outgrows an entry: a 16 KiB piece, no '\n'. */
			if (line->partial_ns == 0)
				line->partial_ns = now_ns;
			emit(log, line, stream, data, room, line->partial_ns);
			data += room;
			len -= room;
			continue;
		}
		if (nl) {
			/* A whole line (or the last piece of a cut one) with its '\n'. */
			emit(log, line, stream, data, content + 1, line->partial_ns ? line->partial_ns : now_ns);
			line->partial_ns = 0;
			data += content + 1;
			len -= content + 1;
			continue;
		}
		if (line_append(line, data, len) < 0) {
			note_failure(log, "buffer a line", ENOMEM);
			line_reset(line);
		}
		return;
	}
}

void jsonlog_flush(struct jsonlog *log, struct jsonlog_line *line, const char *stream, int64_t now_ns)
{
	if (line->len > 0)
		write_entry(log, stream, line->buf, line->len, line->partial_ns ? line->partial_ns : now_ns);
	line_reset(line);
	line->partial_ns = 0;
}
