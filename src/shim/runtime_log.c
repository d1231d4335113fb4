/* Reading the runtime's error message from its JSON log (see runtime_log.h).
 *
 * The log is written by another program and may be cut short (a runtime
 * killed mid-write, a full disk), so every step checks the end of its line
 * and a line that does not scan is skipped, never guessed at.
 */
#include "runtime_log.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const char *p, *end;
};

/* Output that never overflows: bytes past the end are counted, not written. */
struct sink {
	char *buf;
	size_t size, len;
};

static void sink_put(struct sink *s, char c)
{
	if (s->buf && s->len + 1 < s->size)
		s->buf[s->len++] = c;
}

static void sink_put_utf8(struct sink *s, uint32_t cp)
{
	if (cp < 0x80) {
		/* One line for the caller: a line break or tab in a message
		 * becomes a space, other control characters are dropped. */
		if (cp == '\n' || cp == '\r' || cp == '\t')
			sink_put(s, ' ');
		else if (cp >= 0x20 && cp != 0x7f)
			sink_put(s, (char) cp);
		return;
	}
	/* Never split a sequence at the end of the buffer. */
	size_t need = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	if (s->buf == NULL || s->len + need + 1 > s->size) {
		s->size = s->len; /* full: later ASCII must not follow a hole */
		return;
	}
	if (need == 2) {
		sink_put(s, (char) (0xc0 | (cp >> 6)));
	} else if (need == 3) {
		sink_put(s, (char) (0xe0 | (cp >> 12)));
		sink_put(s, (char) (0x80 | ((cp >> 6) & 0x3f)));
	} else {
		sink_put(s, (char) (0xf0 | (cp >> 18)));
		sink_put(s, (char) (0x80 | ((cp >> 12) & 0x3f)));
		sink_put(s, (char) (0x80 | ((cp >> 6) & 0x3f)));
	}
	sink_put(s, (char) (0x80 | (cp & 0x3f)));
}

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p, const char *end, uint32_t *ret)
{
	uint32_t v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char h = p[i];
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (uint32_t) (h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (uint32_t) (h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (uint32_t) (h - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

/* A \uXXXX escape at c->p (after the backslash and 'u'), with a following
 * low surrogate when the first is a high one; a lone surrogate is U+FFFD. */
static int read_unicode_escape(struct cursor *c, uint32_t *ret)
{
	uint32_t cp, low;

	if (hex4(c->p, c->end, &cp) < 0)
		return -1;
	c->p += 4;
	if (cp >= 0xd800 && cp <= 0xdbff && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u' &&
	    hex4(c->p + 2, c->end, &low) == 0 && low >= 0xdc00 && low <= 0xdfff) {
		c->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	} else if (cp >= 0xd800 && cp <= 0xdfff) {
		cp = 0xfffd;
	}
	*ret = cp;
	return 0;
}

/* A JSON string starting at c->p (the opening quote), decoded into s. */
static int read_string(struct cursor *c, struct sink *s)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char) *c->p++;
		uint32_t cp;

		if (ch == '"')
			return 0;
		if (ch != '\\') {
			if (ch >= 0x80) /* UTF-8 passes through as it came */
				sink_put(s, (char) ch);
			else
				sink_put_utf8(s, ch);
			continue;
		}
		if (c->p >= c->end)
			return -1;
		switch (*c->p++) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (read_unicode_escape(c, &cp) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		sink_put_utf8(s, cp);
	}
	return -1; /* the line ended inside the string */
}

/* Skip a value that is not wanted: a string, a nested object or array (by
 * depth, strings inside taken whole), or a bare word (number, true, null). */
static int skip_value(struct cursor *c)
{
	struct sink none = { 0 };
	int depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;
		if (ch == '"') {
			if (read_string(c, &none) < 0)
				return -1;
		} else if (ch == '{' || ch == '[') {
			depth++;
			c->p++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return 0;
			depth--;
			c->p++;
		} else if (ch == ',' && depth == 0) {
			return 0;
		} else {
			c->p++;
		}
		if (depth == 0 && c->p < c->end && (*c->p == ',' || *c->p == '}'))
			return 0;
	}
	return depth == 0 ? 0 : -1;
}

/* The string value of the top-level member `key` of the object on
 * [line, end), decoded into out.  Returns 1 when found, 0 when not, -1 when
 * the line is not a flat JSON object. */
static int find_member(const char *line, const char *end, const char *key, char *out, size_t size)
{
	struct cursor c = { line, end };
	char name[16];

	skip_space(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return -1;
	for (;;) {
		struct sink k = { name, sizeof(name), 0 };
		skip_space(&c);
		if (c.p < c.end && *c.p == '}')
			return 0;
		if (read_string(&c, &k) < 0)
			return -1;
		name[k.len] = '\0';
		skip_space(&c);
		if (c.p >= c.end || *c.p++ != ':')
			return -1;
		skip_space(&c);
		if (strcmp(name, key) == 0 && c.p < c.end && *c.p == '"') {
			struct sink v = { out, size, 0 };
			if (read_string(&c, &v) < 0)
				return -1;
			out[v.len] = '\0';
			return 1;
		}
		if (skip_value(&c) < 0)
			return -1;
		skip_space(&c);
		if (c.p >= c.end)
			return -1;
		if (*c.p == '}')
			return 0;
		if (*c.p++ != ',')
			return -1;
	}
}

size_t shim_runtime_log_last_error(const char *buf, size_t len, char *out, size_t size)
{
	const char *end = buf + len;

	if (size == 0)
		return 0;
	out[0] = '\0';
	/* From the last line back: the newest error is the one that ended the run. */
	while (end > buf) {
		const char *start = end;
		char level[16];

		while (start > buf && start[-1] != '\n')
			start--;
		if (find_member(start, end, "level", level, sizeof(level)) == 1 &&
		    (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0) &&
		    find_member(start, end, "msg", out, size) == 1 && out[0] != '\0')
			return strlen(out);
		out[0] = '\0';
		end = start > buf ? start - 1 : buf;
	}
	return 0;
}

static bool is_blank(char c)
{
	return (unsigned char) c <= ' ' || c == 0x7f;
}

size_t shim_last_text_line(const char *buf, size_t len, char *out, size_t size)
{
	const char *end = buf + len, *start;
	size_t n = 0;

	if (size == 0)
		return 0;
	out[0] = '\0';
	while (end > buf && is_blank(end[-1]))
		end--;
	start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	while (start < end && is_blank(*start))
		start++;
	for (const char *p = start; p < end && n + 1 < size; p++)
		out[n++] = (unsigned char) *p < 0x20 || *p == 0x7f ? ' ' : *p;
	out[n] = '\0';
	return n;
}
