#include "jsonstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "units.h"

/* ---- splitter ---- */

struct berth_jsonsplitter {
	char *buf;
	size_t len, cap, max;
	unsigned depth;
	bool in_string, escape;
};

int berth_jsonsplitter_new(size_t max, struct berth_jsonsplitter **ret, struct berth_error *err)
{
	struct berth_jsonsplitter *s = calloc(1, sizeof(*s));
	if (!s)
		return berth_error_sys(err, ENOMEM, "JSON stream");
	s->max = max ? max : BERTH_JSONSTREAM_MESSAGE_MAX;
	*ret = s;
	return 0;
}

void berth_jsonsplitter_free(struct berth_jsonsplitter *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s);
}

static int splitter_append(struct berth_jsonsplitter *s, const char *data, size_t n, struct berth_error *err)
{
	if (n == 0)
		return 0;
	if (s->len + n > s->max)
		return berth_error_set(err, EMSGSIZE, "JSON stream: a message is larger than %zu bytes", s->max);
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *b = realloc(s->buf, cap);
		if (!b)
			return berth_error_sys(err, ENOMEM, "JSON stream");
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Advance the scanner over c (inside a value); true when it ends the value. */
static bool splitter_step(struct berth_jsonsplitter *s, char c)
{
	if (s->in_string) {
		if (s->escape)
			s->escape = false;
		else if (c == '\\')
			s->escape = true;
		else if (c == '"')
			s->in_string = false;
		return false;
	}
	switch (c) {
	case '"':
		s->in_string = true;
		return false;
	case '{':
	case '[':
		s->depth++;
		return false;
	case '}':
	case ']':
		return --s->depth == 0;
	default:
		return false;
	}
}

int berth_jsonsplitter_feed(struct berth_jsonsplitter *s, const char *data, size_t len, berth_jsonsplitter_cb cb,
			    void *userdata, struct berth_error *err)
{
	size_t i = 0;
	int r;

	while (i < len) {
		if (s->depth == 0) {
			/* between values: only blanks, then '{' or '[' */
			if (is_json_space(data[i])) {
				i++;
				continue;
			}
			if (data[i] != '{' && data[i] != '[')
				return berth_error_set(err, EBADMSG,
						       "JSON stream: invalid character '%c' looking for beginning of value",
						       data[i]);
		}
		size_t start = i;
		bool done = false;
		while (i < len && !done)
			done = splitter_step(s, data[i++]);
		r = splitter_append(s, data + start, i - start, err);
		if (r < 0)
			return r;
		if (done) {
			size_t n = s->len;
			s->len = 0;
			r = cb(userdata, s->buf, n, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int berth_jsonsplitter_finish(struct berth_jsonsplitter *s, struct berth_error *err)
{
	if (s->depth > 0 || s->len > 0)
		return berth_error_set(err, EBADMSG, "JSON stream: unexpected end of a message");
	return 0;
}

/* ---- one message ---- */

static const char *get_string(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

static int64_t get_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (int64_t) json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= -9.2e18 && d <= 9.2e18)
			return (int64_t) d;
	}
	return 0;
}

int berth_jsonmessage_parse(const char *text, size_t len, struct berth_jsonmessage *ret, struct berth_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	json_t *v;

	memset(ret, 0, sizeof(*ret));
	if (!root)
		return berth_error_set(err, EBADMSG, "JSON stream: %s", jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return berth_error_set(err, EBADMSG, "JSON stream: a message is not an object");
	}
	ret->root = root;
	ret->stream = get_string(root, "stream");
	ret->status = get_string(root, "status");
	ret->id = get_string(root, "id");
	ret->from = get_string(root, "from");
	ret->progress_message = get_string(root, "progress");
	ret->time = get_int(root, "time");
	ret->time_nano = get_int(root, "timeNano");
	v = json_object_get(root, "progressDetail");
	if (json_is_object(v)) {
		ret->progress.present = true;
		ret->progress.current = get_int(v, "current");
		ret->progress.total = get_int(v, "total");
		ret->progress.start = get_int(v, "start");
		ret->progress.hide_counts = json_is_true(json_object_get(v, "hidecounts"));
		ret->progress.units = get_string(v, "units");
	}
	v = json_object_get(root, "errorDetail");
	if (json_is_object(v)) {
		ret->has_error = true;
		ret->error_code = get_int(v, "code");
		ret->error_message = json_string_value(json_object_get(v, "message"));
	}
	if (!ret->error_message || !*ret->error_message) {
		const char *e = get_string(root, "error");
		if (e) {
			ret->has_error = true;
			ret->error_message = e;
		}
	}
	if (ret->has_error && !ret->error_message)
		ret->error_message = "";
	v = json_object_get(root, "aux");
	if (v && !json_is_null(v))
		ret->aux = v;
	return 0;
}

void berth_jsonmessage_clear(struct berth_jsonmessage *m)
{
	if (m->root)
		json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

/* ---- JSONProgress.String() ---- */

static void append(char *out, size_t out_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *out, size_t out_len, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;
	if (used + 1 >= out_len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, out_len - used, fmt, ap);
	va_end(ap);
}

static void progress_numbers(const struct berth_jsonprogress *p, char *out, size_t out_len)
{
	char cur[BERTH_UNITS_MAX], tot[BERTH_UNITS_MAX];
	if (p->hide_counts)
		return;
	if (!p->units) {
		berth_units_human_size((double) p->current, cur);
		berth_units_human_size((double) p->total, tot);
		if (p->current > p->total)
			append(out, out_len, "%8s", cur);
		else
			append(out, out_len, "%8s/%s", cur, tot);
	} else if (p->current > p->total) {
		append(out, out_len, "%" PRId64 " %s", p->current, p->units);
	} else {
		append(out, out_len, "%" PRId64 "/%" PRId64 " %s", p->current, p->total, p->units);
	}
}

/* now_ns - start seconds, in nanoseconds, saturated as Go's time.Sub. */
static int64_t since_ns(int64_t now_ns, int64_t start)
{
	const int64_t second = INT64_C(1000000000);
	int64_t now_sec = now_ns / second, now_frac = now_ns % second;
	if (now_frac < 0)
		now_sec--, now_frac += second;
	if ((start > 0 && now_sec < INT64_MIN + start) || (start < 0 && now_sec > INT64_MAX + start))
		return start > 0 ? INT64_MIN : INT64_MAX;
	int64_t sec = now_sec - start;
	if (sec > INT64_MAX / second - 1)
		return INT64_MAX;
	if (sec < INT64_MIN / second + 1)
		return INT64_MIN;
	return sec * second + now_frac;
}

void berth_jsonprogress_string(const struct berth_jsonprogress *p, int width, int64_t now_ns, char *out,
			       size_t out_len)
{
	char num[BERTH_UNITS_MAX];

	out[0] = '\0';
	if (out_len < 2 || (p->current <= 0 && p->total <= 0))
		return;
	if (p->total <= 0) {
		if (!p->units) {
			berth_units_human_size((double) p->current, num);
			append(out, out_len, "%8s", num);
		} else {
			append(out, out_len, "%" PRId64 " %s", p->current, p->units);
		}
		return;
	}
	/* Clamped before the conversion: the figures come from the daemon and a
	 * ratio out of int's range would be undefined.  Go panics on a negative
	 * bar; berth draws an empty one. */
	double ratio = (double) p->current / (double) p->total * 100;
	int percentage = ratio >= 100 ? 50 : ratio <= 0 ? 0 : (int) ratio / 2;
	if (width > 110) {
		char bar[64];
		memset(bar, '=', (size_t) percentage);
		bar[percentage] = '>';
		memset(bar + percentage + 1, ' ', (size_t) (50 - percentage));
		bar[51] = '\0';
		append(out, out_len, "[%s] ", bar);
	}
	progress_numbers(p, out, out_len);
	if (p->current > 0 && p->start > 0 && percentage < 50) {
		/* Go's Duration arithmetic, whole seconds at the end; time.Sub
		 * saturates where the nanoseconds overflow */
		int64_t from_start = since_ns(now_ns, p->start);
		int64_t per_entry = from_start / p->current;
		int64_t left = (int64_t) ((uint64_t) (p->total - p->current) * (uint64_t) per_entry);
		left = left / INT64_C(1000000000) * INT64_C(1000000000);
		if (width > 50) {
			berth_units_go_duration(left, num);
			append(out, out_len, " %s", num);
		}
	}
}

/* ---- the display ---- */

#define PROGRESS_MAX 512

void berth_jsondisplay_init(struct berth_jsondisplay *d, bool terminal, int width)
{
	memset(d, 0, sizeof(*d));
	d->terminal = terminal;
	d->width = width;
}

static void ids_reset(struct berth_jsondisplay *d)
{
	for (size_t i = 0; i < d->n_ids; i++)
		free(d->ids[i]);
	d->n_ids = 0;
}

void berth_jsondisplay_clear(struct berth_jsondisplay *d)
{
	ids_reset(d);
	free(d->ids);
	d->ids = NULL;
	d->cap_ids = 0;
}

static int64_t real_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* The line of id counted from the first progress line; added at the end
 * when new (*added set). */
static int ids_line(struct berth_jsondisplay *d, const char *id, size_t *ret, bool *added, struct berth_error *err)
{
	for (size_t i = 0; i < d->n_ids; i++) {
		if (!strcmp(d->ids[i], id)) {
			*ret = i;
			*added = false;
			return 0;
		}
	}
	if (d->n_ids == d->cap_ids) {
		size_t cap = d->cap_ids ? d->cap_ids * 2 : 16;
		char **n = realloc(d->ids, cap * sizeof(*n));
		if (!n)
			return berth_error_sys(err, ENOMEM, "progress display");
		d->ids = n;
		d->cap_ids = cap;
	}
	d->ids[d->n_ids] = strdup(id);
	if (!d->ids[d->n_ids])
		return berth_error_sys(err, ENOMEM, "progress display");
	*ret = d->n_ids++;
	*added = true;
	return 0;
}

/* Past about year 2^31 the broken-down year no longer fits an int; such a
 * time (only a hostile daemon sends one) is shown as its number of seconds,
 * as the units formatter shows a time it cannot break down. */
#define TIME_SEC_MAX INT64_C(67000000000000000)

static void format_time(int64_t sec, int32_t nsec, char out[BERTH_UNITS_MAX])
{
	if (sec > TIME_SEC_MAX)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64, sec);
	else
		berth_units_format_time(sec, nsec, BERTH_TIME_RFC3339_NANO_FIXED, false, out);
}

/* JSONMessage.Display */
static int display_one(struct berth_jsondisplay *d, const struct berth_jsonmessage *m, FILE *out,
		       struct berth_error *err)
{
	char progress[PROGRESS_MAX] = "";
	char when[BERTH_UNITS_MAX];
	const char *endl = "";
	const char *status = m->status ? m->status : "";

	if (m->has_error)
		return berth_error_set(err, EIO, "%s", m->error_message);
	if (m->progress.present)
		berth_jsonprogress_string(&m->progress, d->width, d->now_ns ? d->now_ns() : real_now_ns(), progress,
					  sizeof(progress));
	if (d->terminal && !m->stream && m->progress.present) {
		fputs("\x1b[2K\r", out);
		endl = "\r";
	} else if (m->progress.present && progress[0]) {
		return 0; /* no progress figures off a terminal */
	}
	if (m->time_nano) {
		int64_t s = m->time_nano / INT64_C(1000000000), ns = m->time_nano % INT64_C(1000000000);
		if (ns < 0) {
			s--;
			ns += INT64_C(1000000000);
		}
		format_time(s, (int32_t) ns, when);
		fprintf(out, "%s ", when);
	} else if (m->time) {
		format_time(m->time, 0, when);
		fprintf(out, "%s ", when);
	}
	if (m->id)
		fprintf(out, "%s: ", m->id);
	if (m->from)
		fprintf(out, "(from %s) ", m->from);
	if (m->progress.present && d->terminal)
		fprintf(out, "%s %s%s", status, progress, endl);
	else if (m->progress_message)
		fprintf(out, "%s %s%s", status, m->progress_message, endl);
	else if (m->stream)
		fprintf(out, "%s%s", m->stream, endl);
	else
		fprintf(out, "%s%s\n", status, endl);
	return 0;
}

int berth_jsondisplay_message(struct berth_jsondisplay *d, const struct berth_jsonmessage *m, FILE *out,
			      struct berth_error *err)
{
	size_t diff = 0;
	int r;

	if (m->aux)
		return 0;
	if (m->id && (m->progress.present || m->progress_message)) {
		size_t line = 0;
		bool added = false;
		r = ids_line(d, m->id, &line, &added, err);
		if (r < 0)
			return r;
		if (added && d->terminal)
			fputs("\n", out);
		diff = d->n_ids - line;
		if (d->terminal && diff > 0)
			fprintf(out, "\x1b[%zuA", diff);
	} else {
		/* anything else ends the block of lines being updated */
		ids_reset(d);
	}
	r = display_one(d, m, out, err);
	if (m->id && d->terminal && diff > 0)
		fprintf(out, "\x1b[%zuB", diff);
	return r;
}
