/* GET /containers/{id}/logs: the json-file log the shim writes, replayed
 * (since, until, tail, timestamps) and followed while the container runs,
 * framed as docker frames attach output when there is no tty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "json.h"

#define LOG_LINE_MAX (64u << 10)
#define TAIL_MAX 100000
/* max-file's bound (berth-shim's --log-max-files) */
#define LOG_FILES_MAX 1000

struct log_entry {
	char *text; /* framed or raw, ready to send */
	size_t len;
};

struct log_stream {
	struct berth_engine *engine;
	char id[65], path[4096];
	FILE *f;
	ino_t ino;
	bool out, errs, follow, timestamps, tty;
	int64_t since, until; /* nanoseconds; 0: none */
	/* the tail, replayed first */
	struct log_entry *tail;
	size_t tail_n, tail_next, tail_cap;
	char *pending;
	size_t pending_len, pending_off;
	int idle_checks;
};

static int64_t parse_param_time(const char *s)
{
	if (!s || !*s)
		return 0;
	double v = strtod(s, NULL);
	return (int64_t) (v * 1e9);
}

static int64_t parse_log_time(const char *s)
{
	struct tm tm = { 0 };
	long long frac = 0;
	char digits[16] = "";
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%15[0-9]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, digits) < 6)
		return 0;
	size_t n = strlen(digits);
	frac = atoll(digits);
	for (; n < 9; n++)
		frac *= 10;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t) timegm(&tm) * 1000000000 + frac;
}

/* "2006-01-02T15:04:05.000000000Z"; the file's own text when it did not parse. */
static void format_fixed_time(int64_t t, const char *when, char out[64])
{
	time_t secs = (time_t) (t / 1000000000);
	struct tm tm;
	if (t <= 0 || !gmtime_r(&secs, &tm)) {
		snprintf(out, 64, "%s", when);
		return;
	}
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 64 - n, ".%09lldZ", (long long) (t % 1000000000));
}

/* One log line -> what goes to the client (NULL: skipped). */
static char *format_entry(struct log_stream *s, const char *line, size_t *ret_len)
{
	json_error_t jerr;
	_cleanup_json_ json_t *e = json_loads(line, 0, &jerr);
	const char *log = json_string_value(json_object_get(e, "log"));
	const char *stream = json_string_value(json_object_get(e, "stream"));
	const char *when = json_string_value(json_object_get(e, "time"));
	if (!log || !stream)
		return NULL;
	bool is_err = strcmp(stream, "stderr") == 0;
	if ((is_err && !s->errs) || (!is_err && !s->out))
		return NULL;
	int64_t t = parse_log_time(when);
	if ((s->since && t < s->since) || (s->until && t > s->until))
		return NULL;
	size_t log_len = json_string_length(json_object_get(e, "log"));
	/* dockerd's prefix has all nine digits (RFC3339NanoFixed); the file's
	 * "time" drops trailing zeros */
	char stamp[64] = "";
	if (s->timestamps && when)
		format_fixed_time(t, when, stamp);
	size_t prefix = stamp[0] ? strlen(stamp) + 1 : 0;
	size_t header = s->tty ? 0 : 8;
	char *out = malloc(header + prefix + log_len);
	if (!out)
		return NULL;
	size_t payload = prefix + log_len;
	if (header)
		api_frame_header((unsigned char *) out, is_err ? 2 : 1, payload);
	if (prefix) {
		memcpy(out + header, stamp, prefix - 1);
		out[header + prefix - 1] = ' ';
	}
	memcpy(out + header + prefix, log, log_len);
	*ret_len = header + payload;
	return out;
}

/* The next line of the file, without its '\n' (NULL at the end for now). */
static char *next_line(struct log_stream *s)
{
	char *line = NULL;
	size_t cap = 0;
	long at = ftell(s->f);
	ssize_t n = getline(&line, &cap, s->f);
	if (n <= 0 || line[n - 1] != '\n' || (size_t) n > LOG_LINE_MAX) {
		/* a line still being written: read it again later */
		if (n > 0 && line[n - 1] != '\n')
			fseek(s->f, at, SEEK_SET);
		clearerr(s->f);
		free(line);
		return NULL;
	}
	line[n - 1] = '\0';
	return line;
}

/* The entries of s->f into the tail ring (the last tail_cap of them). */
static void load_tail_from(struct log_stream *s)
{
	char *line;
	while ((line = next_line(s))) {
		size_t len;
		char *out = format_entry(s, line, &len);
		free(line);
		if (!out)
			continue;
		if (!s->tail_cap) {
			free(out);
			continue;
		}
		struct log_entry *slot = &s->tail[(s->tail_next + s->tail_n) % s->tail_cap];
		if (s->tail_n == s->tail_cap) {
			free(s->tail[s->tail_next].text);
			slot = &s->tail[s->tail_next];
			s->tail_next = (s->tail_next + 1) % s->tail_cap;
		} else {
			s->tail_n++;
		}
		*slot = (struct log_entry){ out, len };
	}
}

/* The tail of the whole log: the rotated files (FILE.N ... FILE.1, oldest
 * first, as docker's json-file reader takes them), then the live one,
 * which s->f has open. */
static void load_tail(struct log_stream *s, long tail)
{
	char path[sizeof(s->path) + 16];
	unsigned rotated = 0;
	s->tail_cap = (size_t) tail;
	s->tail = s->tail_cap ? calloc(s->tail_cap, sizeof(*s->tail)) : NULL;
	if (!s->tail)
		s->tail_cap = 0;
	while (rotated < LOG_FILES_MAX) {
		snprintf(path, sizeof(path), "%s.%u", s->path, rotated + 1);
		if (access(path, F_OK) < 0)
			break;
		rotated++;
	}
	FILE *live = s->f;
	for (unsigned i = rotated; i >= 1; i--) {
		snprintf(path, sizeof(path), "%s.%u", s->path, i);
		if (!(s->f = fopen(path, "re")))
			continue;
		load_tail_from(s);
		fclose(s->f);
	}
	s->f = live;
	load_tail_from(s);
}

static bool still_running(struct log_stream *s)
{
	struct berth_container_io io;
	struct berth_error err = { 0 };
	return berth_engine_container_io(s->engine, s->id, &io, &err) == 0 && io.running;
}

/* The log was rotated: go on in the new file. */
static void follow_rotation(struct log_stream *s)
{
	struct stat st;
	if (stat(s->path, &st) == 0 && st.st_ino != s->ino) {
		FILE *f = fopen(s->path, "re");
		if (f) {
			fclose(s->f);
			s->f = f;
			s->ino = st.st_ino;
		}
	}
}

/* The next chunk to send: the tail first, then new lines; NULL at the end. */
static bool fill(struct log_stream *s)
{
	if (s->tail_n > 0) {
		struct log_entry *e = &s->tail[s->tail_next];
		s->pending = e->text;
		s->pending_len = e->len;
		e->text = NULL;
		s->tail_next = (s->tail_next + 1) % s->tail_cap;
		s->tail_n--;
		return true;
	}
	for (;;) {
		char *line = s->follow ? next_line(s) : NULL;
		if (line) {
			s->pending = format_entry(s, line, &s->pending_len);
			free(line);
			if (s->pending)
				return true;
			continue;
		}
		if (!s->follow)
			return false;
		/* at the end: wait for more while the container runs (the last
		 * lines are in the file before it is recorded as exited) */
		if (!still_running(s) && ++s->idle_checks > 2)
			return false;
		usleep(100000);
		follow_rotation(s);
	}
}

static ssize_t logs_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void) pos;
	struct log_stream *s = cls;
	if (s->pending_off == s->pending_len) {
		free(s->pending);
		s->pending = NULL;
		s->pending_off = s->pending_len = 0;
		if (!fill(s))
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t k = s->pending_len - s->pending_off < max ? s->pending_len - s->pending_off : max;
	memcpy(buf, s->pending + s->pending_off, k);
	s->pending_off += k;
	return (ssize_t) k;
}

static void logs_free(void *cls)
{
	struct log_stream *s = cls;
	if (s->f)
		fclose(s->f);
	for (size_t i = 0; i < s->tail_cap; i++)
		free(s->tail[i].text);
	free(s->tail);
	free(s->pending);
	free(s);
}

enum MHD_Result api_container_logs(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct berth_container_io io;
	if (berth_engine_container_io(req->engine, req->param, &io, &err) < 0)
		return api_reply_error(req, &err);
	struct log_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->engine = req->engine;
	snprintf(s->id, sizeof(s->id), "%s", io.id);
	snprintf(s->path, sizeof(s->path), "%s", io.log_path);
	s->out = api_query_bool(req, "stdout", false);
	s->errs = api_query_bool(req, "stderr", false);
	s->follow = api_query_bool(req, "follow", false);
	s->timestamps = api_query_bool(req, "timestamps", false);
	s->tty = io.tty;
	s->since = parse_param_time(api_query(req, "since"));
	s->until = parse_param_time(api_query(req, "until"));
	if (!s->out && !s->errs) {
		free(s);
		return api_reply_message(req, MHD_HTTP_BAD_REQUEST, "Bad parameters: you must choose at least one stream");
	}
	const char *tail = api_query(req, "tail");
	long n = tail && *tail && strcmp(tail, "all") != 0 ? strtol(tail, NULL, 10) : TAIL_MAX;
	n = n < 0 ? TAIL_MAX : n > TAIL_MAX ? TAIL_MAX : n;
	s->f = fopen(s->path, "re");
	struct stat st;
	if (s->f && fstat(fileno(s->f), &st) == 0)
		s->ino = st.st_ino;
	if (!s->f && !(s->f = fopen("/dev/null", "re"))) {
		free(s);
		return MHD_NO;
	}
	load_tail(s, n);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32768, logs_read, s, logs_free);
	if (!r) {
		logs_free(s);
		return MHD_NO;
	}
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				io.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}
