#include "units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "duration.h"

#define NSEC_PER_SEC INT64_C(1000000000)

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" };

/* go-units getSizeAndUnit + fmt.Sprintf("%.*g%s"): C's %g rounds and trims
 * exactly as Go's does (both print the correctly rounded value, drop
 * trailing zeros, and switch to an exponent at the same place). */
static void custom_size(double size, int precision, double base, const char *const *names, size_t n,
			char out[BERTH_UNITS_MAX])
{
	size_t i = 0;
	while (size >= base && i < n - 1) {
		size /= base;
		i++;
	}
	snprintf(out, BERTH_UNITS_MAX, "%.*g%s", precision, size, names[i]);
}

void berth_units_human_size_precision(double size, int precision, char out[BERTH_UNITS_MAX])
{
	custom_size(size, precision, 1000.0, decimal_units, BERTH_ARRAY_SIZE(decimal_units), out);
}

void berth_units_human_size(double size, char out[BERTH_UNITS_MAX])
{
	berth_units_human_size_precision(size, 4, out);
}

void berth_units_bytes_size(double size, char out[BERTH_UNITS_MAX])
{
	custom_size(size, 4, 1024.0, binary_units, BERTH_ARRAY_SIZE(binary_units), out);
}

/* HumanDuration works on Go's float conversions of the duration and
 * truncates toward zero, except hours, which are rounded. */
void berth_units_human_duration(int64_t ns, char out[BERTH_UNITS_MAX])
{
	double d = (double) ns;
	int64_t seconds = (int64_t) (d / 1e9);
	int64_t minutes = (int64_t) (d / 60e9);
	int64_t hours = (int64_t) (d / 3600e9 + 0.5);

	if (seconds < 1)
		snprintf(out, BERTH_UNITS_MAX, "Less than a second");
	else if (seconds == 1)
		snprintf(out, BERTH_UNITS_MAX, "1 second");
	else if (seconds < 60)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " seconds", seconds);
	else if (minutes == 1)
		snprintf(out, BERTH_UNITS_MAX, "About a minute");
	else if (minutes < 60)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " minutes", minutes);
	else if (hours == 1)
		snprintf(out, BERTH_UNITS_MAX, "About an hour");
	else if (hours < 48)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " months", hours / 24 / 30);
	else
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 " years", (int64_t) (d / 3600e9) / 24 / 365);
}

void berth_units_since(int64_t then_sec, int64_t now_sec, char out[BERTH_UNITS_MAX])
{
	char d[BERTH_UNITS_MAX];
	int64_t diff = now_sec - then_sec;

	/* time.Duration saturates; so does this */
	if (diff > INT64_MAX / NSEC_PER_SEC)
		diff = INT64_MAX / NSEC_PER_SEC;
	if (diff < INT64_MIN / NSEC_PER_SEC)
		diff = INT64_MIN / NSEC_PER_SEC;
	berth_units_human_duration(diff * NSEC_PER_SEC, d);
	snprintf(out, BERTH_UNITS_MAX, "%s ago", d);
}

void berth_units_go_duration(int64_t ns, char out[BERTH_UNITS_MAX])
{
	berth_duration_format(ns, out, BERTH_UNITS_MAX);
}

static const struct {
	const char *name;
	int64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", NSEC_PER_SEC },
	{ "m", 60 * NSEC_PER_SEC },
	{ "h", 3600 * NSEC_PER_SEC },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One "<number>[.<fraction>]<unit>" of a Go duration; adds it to *total. */
static int parse_duration_part(const char **pp, const char *orig, double *total, struct berth_error *err)
{
	const char *p = *pp;
	const char *start = p;
	char *end;
	size_t unit_len = 0;
	int64_t unit = 0;

	while (is_digit(*p) || *p == '.')
		p++;
	if (p == start || (p - start == 1 && *start == '.'))
		return berth_error_set(err, EINVAL, "time: invalid duration \"%s\"", orig);
	double v = strtod(start, &end);
	if (end != p)
		return berth_error_set(err, EINVAL, "time: invalid duration \"%s\"", orig);
	while (p[unit_len] && p[unit_len] != '.' && !is_digit(p[unit_len]))
		unit_len++;
	if (unit_len == 0)
		return berth_error_set(err, EINVAL, "time: missing unit in duration \"%s\"", orig);
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strlen(duration_units[i].name) == unit_len && !strncmp(p, duration_units[i].name, unit_len)) {
			unit = duration_units[i].ns;
			break;
		}
	}
	if (!unit)
		return berth_error_set(err, EINVAL, "time: unknown unit \"%.*s\" in duration \"%s\"", (int) unit_len, p,
				       orig);
	*total += v * (double) unit;
	*pp = p + unit_len;
	return 0;
}

int berth_units_parse_go_duration(const char *s, int64_t *ret_ns, struct berth_error *err)
{
	const char *p = s;
	bool neg = false;
	double total = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ret_ns = 0;
		return 0;
	}
	if (*p == '\0')
		return berth_error_set(err, EINVAL, "time: invalid duration \"%s\"", s);
	while (*p) {
		int r = parse_duration_part(&p, s, &total, err);
		if (r < 0)
			return r;
	}
	if (total > 9.2e18)
		return berth_error_set(err, ERANGE, "time: invalid duration \"%s\"", s);
	*ret_ns = neg ? -(int64_t) total : (int64_t) total;
	return 0;
}

/* Fixed-width decimal field of n digits at *pp. */
static bool parse_fixed(const char **pp, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit((*pp)[i]))
			return false;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*ret = v;
	return true;
}

/* The parts of a time docker's parsers accept: a date, optionally a time
 * of day to hours, minutes, seconds or a fraction, optionally a zone. */
struct time_parts {
	struct tm tm;
	int32_t nsec;
	bool has_zone;
	int offset; /* seconds east of UTC, when has_zone */
	int tcolons;
	bool has_time, has_frac;
};

static bool parse_zone(const char *p, struct time_parts *t)
{
	int zh, zm;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		t->has_zone = true;
		t->offset = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return *p == '\0';
	int sign = *p++ == '-' ? -1 : 1;
	if (!parse_fixed(&p, 2, &zh) || *p++ != ':' || !parse_fixed(&p, 2, &zm) || *p != '\0' || zh > 23 || zm > 59)
		return false;
	t->has_zone = true;
	t->offset = sign * (zh * 3600 + zm * 60);
	return true;
}

static bool parse_clock(const char **pp, struct time_parts *t)
{
	const char *p = *pp;
	t->has_time = true;
	if (!parse_fixed(&p, 2, &t->tm.tm_hour) || t->tm.tm_hour > 23)
		return false;
	if (*p == ':') {
		p++;
		t->tcolons++;
		if (!parse_fixed(&p, 2, &t->tm.tm_min) || t->tm.tm_min > 59)
			return false;
		if (*p == ':') {
			p++;
			t->tcolons++;
			if (!parse_fixed(&p, 2, &t->tm.tm_sec) || t->tm.tm_sec > 60)
				return false;
			if (*p == '.' || *p == ',') {
				int32_t scale = 100000000;
				p++;
				if (!is_digit(*p))
					return false;
				t->has_frac = true;
				for (; is_digit(*p); p++) {
					t->nsec += (int32_t) (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
	}
	*pp = p;
	return true;
}

static bool parse_time_parts(const char *s, struct time_parts *t)
{
	const char *p = s;
	memset(t, 0, sizeof(*t));
	if (!parse_fixed(&p, 4, &t->tm.tm_year) || *p++ != '-' || !parse_fixed(&p, 2, &t->tm.tm_mon) || *p++ != '-' ||
	    !parse_fixed(&p, 2, &t->tm.tm_mday))
		return false;
	if (t->tm.tm_mon < 1 || t->tm.tm_mon > 12 || t->tm.tm_mday < 1 || t->tm.tm_mday > 31)
		return false;
	t->tm.tm_year -= 1900;
	t->tm.tm_mon -= 1;
	if (*p == 'T' || *p == 't') {
		p++;
		if (!parse_clock(&p, t))
			return false;
	}
	return parse_zone(p, t);
}

int berth_units_parse_rfc3339(const char *s, int64_t *ret_sec, int32_t *ret_nsec, struct berth_error *err)
{
	struct time_parts t;
	if (!s || !parse_time_parts(s, &t) || !t.has_time || t.tcolons != 2 || !t.has_zone)
		return berth_error_set(err, EINVAL, "parsing time \"%s\": not an RFC 3339 time", s ? s : "");
	*ret_sec = (int64_t) timegm(&t.tm) - t.offset;
	*ret_nsec = t.nsec;
	return 0;
}

static void format_zone(long offset, bool z_for_utc, bool colon, char *out, size_t len)
{
	long a = offset < 0 ? -offset : offset;
	if (offset == 0 && z_for_utc)
		snprintf(out, len, "Z");
	else
		snprintf(out, len, "%c%02ld%s%02ld", offset < 0 ? '-' : '+', a / 3600, colon ? ":" : "", (a / 60) % 60);
}

void berth_units_format_time(int64_t sec, int32_t nsec, enum berth_time_layout layout, bool utc,
			     char out[BERTH_UNITS_MAX])
{
	time_t tt = (time_t) sec;
	struct tm tm;
	char zone[16], frac[16] = "";

	if (utc ? !gmtime_r(&tt, &tm) : !localtime_r(&tt, &tm)) {
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64, sec);
		return;
	}
	long offset = utc ? 0 : tm.tm_gmtoff;
	switch (layout) {
	case BERTH_TIME_RFC3339:
	case BERTH_TIME_RFC3339_NANO_FIXED:
		format_zone(offset, true, true, zone, sizeof(zone));
		if (layout == BERTH_TIME_RFC3339_NANO_FIXED)
			snprintf(frac, sizeof(frac), ".%09" PRId32, nsec);
		snprintf(out, BERTH_UNITS_MAX, "%04ld-%02d-%02dT%02d:%02d:%02d%s%s", (long) tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, zone);
		break;
	case BERTH_TIME_GO_STRING:
	default:
		format_zone(offset, false, false, zone, sizeof(zone));
		if (nsec > 0) {
			int n = snprintf(frac, sizeof(frac), ".%09" PRId32, nsec);
			while (n > 1 && frac[n - 1] == '0')
				frac[--n] = '\0';
		}
		/* Go prints the numeric offset where the zone has no name */
		snprintf(out, BERTH_UNITS_MAX, "%04ld-%02d-%02d %02d:%02d:%02d%s %s %s", (long) tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, zone,
			 utc ? "UTC" : (tm.tm_zone && *tm.tm_zone ? tm.tm_zone : zone));
		break;
	}
}

/* "SECONDS" or "SECONDS.DIGITS": a Unix timestamp as the API takes it. */
static bool is_unix_timestamp(const char *s)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	return *p == '\0';
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

int berth_units_timestamp(const char *value, int64_t now_sec, char out[BERTH_UNITS_MAX], struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	struct time_parts t;
	int64_t d;

	if (strcmp(value, "0") != 0 && berth_units_parse_go_duration(value, &d, &ignored) == 0) {
		/* reference.Add(-d).Unix(): floor to whole seconds */
		int64_t ns = now_sec * NSEC_PER_SEC - d;
		int64_t s = ns / NSEC_PER_SEC;
		if (ns % NSEC_PER_SEC < 0)
			s--;
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64, s);
		return 0;
	}
	/* Go's rule: a time without 'Z', '+' or three dashes is local time */
	bool local = !strpbrk(value, "zZ+") && count_char(value, '-') != 3;
	if (parse_time_parts(value, &t) && t.has_zone != local && (!t.has_time || t.tcolons == 2 || !t.has_frac)) {
		int64_t offset = t.offset;
		if (local) {
			time_t now = (time_t) now_sec;
			struct tm ltm;
			offset = localtime_r(&now, &ltm) ? ltm.tm_gmtoff : 0;
		}
		int64_t sec = (int64_t) timegm(&t.tm) - offset;
		snprintf(out, BERTH_UNITS_MAX, "%" PRId64 ".%09" PRId32, sec, t.nsec);
		return 0;
	}
	if (strchr(value, '-'))
		return berth_error_set(err, EINVAL, "parsing time \"%s\": not a time docker understands", value);
	if (!is_unix_timestamp(value))
		return berth_error_set(err, EINVAL, "failed to parse value as time or duration: \"%s\"", value);
	snprintf(out, BERTH_UNITS_MAX, "%s", value);
	return 0;
}

void berth_units_short_id(const char *id, char out[BERTH_SHORT_ID_LEN + 1])
{
	const char *colon = strchr(id, ':');
	if (colon)
		id = colon + 1;
	snprintf(out, BERTH_SHORT_ID_LEN + 1, "%.*s", BERTH_SHORT_ID_LEN, id);
}

/* Decode one UTF-8 sequence at s; an invalid byte is one unit of its own. */
static size_t utf8_next(const unsigned char *s, uint32_t *ret)
{
	size_t n;
	uint32_t c = s[0];
	if (c < 0x80) {
		*ret = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
	} else {
		*ret = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*ret = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*ret = c;
	return n;
}

/* East Asian Wide and Fullwidth code points (Unicode TR 11), the ranges
 * golang.org/x/text/width reports as wide: 2 columns. */
static int char_width(uint32_t c)
{
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f },   { 0x231a, 0x231b },   { 0x2329, 0x232a },   { 0x23e9, 0x23ec },
		{ 0x23f0, 0x23f0 },   { 0x23f3, 0x23f3 },   { 0x25fd, 0x25fe },   { 0x2614, 0x2615 },
		{ 0x2648, 0x2653 },   { 0x267f, 0x267f },   { 0x2693, 0x2693 },   { 0x26a1, 0x26a1 },
		{ 0x26aa, 0x26ab },   { 0x26bd, 0x26be },   { 0x26c4, 0x26c5 },   { 0x26ce, 0x26ce },
		{ 0x26d4, 0x26d4 },   { 0x26ea, 0x26ea },   { 0x26f2, 0x26f3 },   { 0x26f5, 0x26f5 },
		{ 0x26fa, 0x26fa },   { 0x26fd, 0x26fd },   { 0x2705, 0x2705 },   { 0x270a, 0x270b },
		{ 0x2728, 0x2728 },   { 0x274c, 0x274c },   { 0x274e, 0x274e },   { 0x2753, 0x2755 },
		{ 0x2757, 0x2757 },   { 0x2795, 0x2797 },   { 0x27b0, 0x27b0 },   { 0x27bf, 0x27bf },
		{ 0x2b1b, 0x2b1c },   { 0x2b50, 0x2b50 },   { 0x2b55, 0x2b55 },   { 0x2e80, 0x303e },
		{ 0x3041, 0x33ff },   { 0x3400, 0x4dbf },   { 0x4e00, 0x9fff },   { 0xa000, 0xa4cf },
		{ 0xa960, 0xa97f },   { 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },   { 0xfe10, 0xfe19 },
		{ 0xfe30, 0xfe6f },   { 0xff00, 0xff60 },   { 0xffe0, 0xffe6 },   { 0x16fe0, 0x18cff },
		{ 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e },
		{ 0x1f191, 0x1f19a }, { 0x1f200, 0x1f251 }, { 0x1f300, 0x1f64f }, { 0x1f680, 0x1f6ff },
		{ 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x3fffd },
	};
	size_t lo = 0, hi = sizeof(wide) / sizeof(wide[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < wide[mid][0])
			hi = mid;
		else if (c > wide[mid][1])
			lo = mid + 1;
		else
			return 2;
	}
	return 1;
}

static char *cut_with_ellipsis(const char *s, size_t len)
{
	char *r = malloc(len + 4);
	if (!r)
		return NULL;
	memcpy(r, s, len);
	memcpy(r + len, "\xe2\x80\xa6", 4); /* U+2026 HORIZONTAL ELLIPSIS and NUL */
	return r;
}

char *berth_units_ellipsis(const char *s, int max_width)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t len = strlen(s), i;
	uint32_t c;
	bool ascii = true;

	if (max_width <= 0)
		return strdup("");
	for (i = 0; i < len; i++)
		ascii = ascii && u[i] < 0x80;
	if (max_width == 1)
		return strndup(s, len ? utf8_next(u, &c) : 0);
	if (ascii)
		return len <= (size_t) max_width ? strdup(s) : cut_with_ellipsis(s, (size_t) max_width - 1);

	/* Go: the first rune whose running width passes max_width - 1 is cut
	 * off, with everything after it, unless it is the first rune */
	int total = 0;
	size_t cut = 0;
	bool decided = false, found = false;
	for (i = 0; i < len;) {
		size_t n = utf8_next(u + i, &c);
		int w = char_width(c);
		if (!decided && total + w > max_width - 1) {
			decided = true;
			found = i > 0;
			cut = i;
		}
		total += w;
		i += n;
	}
	if (total <= max_width || !found)
		return strdup(s);
	return cut_with_ellipsis(s, cut);
}
