/* The TOML subset registries.conf uses; see toml.h. */
#include "toml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "registries_conf.h" /* BERTH_REGISTRIES_ARRAY_MAX */

#define MAX_DEPTH 8 /* nesting of arrays */

int berth_toml_error(struct berth_toml *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berth_error_set(t->err, EINVAL, "%s: line %u: %s", t->what, t->line, msg);
}

void berth_toml_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void berth_toml_value_free(struct berth_toml_value *v)
{
	free(v->s);
	berth_toml_strv_free(v->strv, v->n);
	memset(v, 0, sizeof(*v));
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

void berth_toml_skip_ws(struct berth_toml *t)
{
	while (berth_toml_at(t, ' ') || berth_toml_at(t, '\t'))
		t->p++;
}

int berth_toml_skip_comment(struct berth_toml *t)
{
	if (!berth_toml_at(t, '#'))
		return 0;
	for (; t->p < t->end && *t->p != '\n'; t->p++)
		if (is_control((unsigned char) *t->p) && !(*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n'))
			return berth_toml_error(t, "control character 0x%02x in a comment", (unsigned char) *t->p);
	return 0;
}

/* Consume a line end (LF or CRLF); 0 if there is none here. */
int berth_toml_newline(struct berth_toml *t)
{
	if (berth_toml_at(t, '\r') && t->p + 1 < t->end && t->p[1] == '\n')
		t->p++;
	if (!berth_toml_at(t, '\n'))
		return 0;
	t->p++;
	t->line++;
	return 1;
}

/* After a header or a value: blanks, a comment, then the end of the line. */
int berth_toml_end_of_line(struct berth_toml *t)
{
	int r, n;

	berth_toml_skip_ws(t);
	r = berth_toml_skip_comment(t);
	if (r < 0)
		return r;
	if (t->p >= t->end || berth_toml_newline(t))
		return 0;
	if (is_control((unsigned char) *t->p))
		return berth_toml_error(t, "control character 0x%02x", (unsigned char) *t->p);
	/* The input is not NUL-terminated: quote at most the rest of the line. */
	for (n = 0; n < 20 && t->p + n < t->end && t->p[n] != '\n' && t->p[n] != '\r'; n++)
		;
	return berth_toml_error(t, "unexpected text after the value: \"%.*s\"", n, t->p);
}

/* Inside an array: blanks, comments and line ends, in any number. */
static int skip_space_lines(struct berth_toml *t)
{
	for (;;) {
		int r;
		berth_toml_skip_ws(t);
		r = berth_toml_skip_comment(t);
		if (r < 0)
			return r;
		if (!berth_toml_newline(t))
			return 0;
	}
}

static int put_utf8(struct berth_toml *t, char *out, size_t *n, unsigned long cp)
{
	int extra = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;

	if (cp == 0)
		return berth_toml_error(t, "\\u0000 (NUL) is not supported in strings");
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return berth_toml_error(t, "\\u escape is not a Unicode scalar value");
	/* UTF-8: a lead byte, then 6 bits per continuation byte. */
	out[(*n)++] = (char) (((0xff00u >> (extra + 1)) & (extra ? 0xff : 0)) | (cp >> (6 * extra)));
	for (int i = extra - 1; i >= 0; i--)
		out[(*n)++] = (char) (0x80 | ((cp >> (6 * i)) & 0x3f));
	return 0;
}

/* After a backslash in a basic string. Output never outgrows the input:
 * \uXXXX is 6 bytes in, at most 3 out; \UXXXXXXXX 10 in, at most 4 out. */
static int take_escape(struct berth_toml *t, char *out, size_t *n)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	const char *hit;
	unsigned long cp = 0;
	size_t digits;

	if (t->p >= t->end)
		return berth_toml_error(t, "unterminated string");
	hit = *t->p ? strchr(from, *t->p) : NULL;
	if (hit) {
		out[(*n)++] = to[hit - from];
		t->p++;
		return 0;
	}
	if (*t->p != 'u' && *t->p != 'U')
		return berth_toml_error(t, "invalid escape \\%c in a string",
					*t->p > 0x20 && *t->p < 0x7f ? *t->p : '?');
	digits = *t->p == 'u' ? 4 : 8;
	t->p++;
	for (size_t i = 0; i < digits; i++, t->p++) {
		const char *d = t->p < t->end && *t->p ? strchr(hex, *t->p) : NULL;
		if (d == NULL)
			return berth_toml_error(t, "\\u escape needs %zu hex digits", digits);
		cp = cp * 16 + (unsigned long) ((d - hex) % 16);
	}
	return put_utf8(t, out, n, cp);
}

static int take_basic_string(struct berth_toml *t, char **ret)
{
	_cleanup_free_ char *out = NULL;
	const char *q;
	size_t n = 0;

	if (t->end - t->p >= 3 && memcmp(t->p, "\"\"\"", 3) == 0)
		return berth_toml_error(t, "multi-line strings are not supported");
	/* Size the buffer by the string's extent, not the rest of the file. */
	for (q = t->p + 1; q < t->end && *q != '"' && *q != '\n'; q++)
		if (*q == '\\' && q + 1 < t->end && q[1] != '\n')
			q++;
	out = malloc((size_t) (q - t->p) + 1);
	if (out == NULL)
		return berth_error_sys(t->err, ENOMEM, "parse %s", t->what);
	for (t->p++; t->p < t->end && *t->p != '"'; ) {
		unsigned char c = (unsigned char) *t->p;
		int r = 0;
		if (c == '\n' || c == '\r')
			return berth_toml_error(t, "unterminated string");
		if (is_control(c))
			return berth_toml_error(t, "control character 0x%02x in a string", c);
		if (c == '\\') {
			t->p++;
			r = take_escape(t, out, &n);
		} else {
			out[n++] = (char) c;
			t->p++;
		}
		if (r < 0)
			return r;
	}
	if (t->p >= t->end)
		return berth_toml_error(t, "unterminated string");
	t->p++;
	out[n] = '\0';
	*ret = berth_steal_ptr(&out);
	return 0;
}

static int take_literal_string(struct berth_toml *t, char **ret)
{
	const char *start;

	if (t->end - t->p >= 3 && memcmp(t->p, "'''", 3) == 0)
		return berth_toml_error(t, "multi-line strings are not supported");
	start = ++t->p;
	for (; t->p < t->end && *t->p != '\''; t->p++) {
		if (*t->p == '\n' || *t->p == '\r')
			return berth_toml_error(t, "unterminated string");
		if (is_control((unsigned char) *t->p))
			return berth_toml_error(t, "control character 0x%02x in a string", (unsigned char) *t->p);
	}
	if (t->p >= t->end)
		return berth_toml_error(t, "unterminated string");
	*ret = strndup(start, (size_t) (t->p++ - start));
	return *ret ? 0 : berth_error_sys(t->err, ENOMEM, "parse %s", t->what);
}

int berth_toml_take_key(struct berth_toml *t, char **ret)
{
	const char *start = t->p;

	if (berth_toml_at(t, '"'))
		return take_basic_string(t, ret);
	if (berth_toml_at(t, '\''))
		return take_literal_string(t, ret);
	while (t->p < t->end && berth_toml_is_bare_key_char(*t->p))
		t->p++;
	if (t->p == start)
		return t->p < t->end && is_control((unsigned char) *t->p)
			       ? berth_toml_error(t, "control character 0x%02x", (unsigned char) *t->p)
			       : berth_toml_error(t, "expected a key");
	*ret = strndup(start, (size_t) (t->p - start));
	return *ret ? 0 : berth_error_sys(t->err, ENOMEM, "parse %s", t->what);
}

static int take_value(struct berth_toml *t, struct berth_toml_value *v, int depth);

static int take_array(struct berth_toml *t, struct berth_toml_value *v, int depth)
{
	size_t cap = 0;
	int r;

	if (depth >= MAX_DEPTH)
		return berth_toml_error(t, "arrays nested deeper than %d", MAX_DEPTH);
	v->kind = BERTH_TOML_ARRAY;
	v->strings_only = true;
	t->p++;
	for (;;) {
		struct berth_toml_value e = { 0 };
		if ((r = skip_space_lines(t)) < 0)
			return r;
		if (berth_toml_at(t, ']'))
			break;
		if (v->n >= BERTH_REGISTRIES_ARRAY_MAX)
			return berth_toml_error(t, "array longer than %d elements", BERTH_REGISTRIES_ARRAY_MAX);
		if ((r = take_value(t, &e, depth + 1)) < 0) {
			berth_toml_value_free(&e);
			return r;
		}
		if (e.kind == BERTH_TOML_STRING && v->strings_only) {
			if (v->n + 1 >= cap) {
				char **nv = reallocarray(v->strv, cap = cap ? cap * 2 : 8, sizeof(*nv));
				if (nv == NULL) {
					berth_toml_value_free(&e);
					return berth_error_sys(t->err, ENOMEM, "parse %s", t->what);
				}
				v->strv = nv;
			}
			v->strv[v->n] = berth_steal_ptr(&e.s);
			v->strv[v->n + 1] = NULL;
		} else if (v->strings_only) {
			/* Mixed or nested: berth uses none of these; keep no strings. */
			berth_toml_strv_free(v->strv, v->n);
			v->strv = NULL;
			v->strings_only = false;
		}
		v->n++;
		berth_toml_value_free(&e);
		if ((r = skip_space_lines(t)) < 0)
			return r;
		if (berth_toml_at(t, ','))
			t->p++;
		else if (!berth_toml_at(t, ']'))
			return t->p >= t->end ? berth_toml_error(t, "unterminated array")
					      : berth_toml_error(t, "expected ',' or ']' in an array");
	}
	t->p++;
	return 0;
}

/* A bare word: true, false, or a decimal integer ([+-]digits, '_' between). */
static int take_word(struct berth_toml *t, struct berth_toml_value *v)
{
	const char *start = t->p;
	size_t len, sign;
	bool ok = true;

	while (t->p < t->end && (berth_toml_is_bare_key_char(*t->p) || *t->p == '+' || *t->p == '.' || *t->p == ':'))
		t->p++;
	len = (size_t) (t->p - start);
	if (len == 4 && memcmp(start, "true", 4) == 0) {
		v->kind = BERTH_TOML_BOOL, v->b = true;
		return 0;
	}
	if (len == 5 && memcmp(start, "false", 5) == 0) {
		v->kind = BERTH_TOML_BOOL, v->b = false;
		return 0;
	}
	if (len == 0)
		return berth_toml_error(t, "expected a value");
	sign = *start == '+' || *start == '-';
	for (size_t i = sign; i < len && ok; i++)
		ok = (start[i] >= '0' && start[i] <= '9') ||
		     (start[i] == '_' && i > sign && start[i - 1] >= '0' && start[i - 1] <= '9' && i + 1 < len);
	if (len > sign && ok) {
		v->kind = BERTH_TOML_INT;
		return 0;
	}
	t->p = start;
	return berth_toml_error(t, "unsupported value \"%.*s\" (strings, booleans, integers and arrays are)",
				(int) len, start);
}

static int take_value(struct berth_toml *t, struct berth_toml_value *v, int depth)
{
	memset(v, 0, sizeof(*v));
	if (berth_toml_at(t, '"') || berth_toml_at(t, '\'')) {
		v->kind = BERTH_TOML_STRING;
		return berth_toml_at(t, '"') ? take_basic_string(t, &v->s) : take_literal_string(t, &v->s);
	}
	if (berth_toml_at(t, '['))
		return take_array(t, v, depth);
	if (berth_toml_at(t, '{'))
		return berth_toml_error(t, "inline tables are not supported");
	return take_word(t, v);
}

int berth_toml_take_value(struct berth_toml *t, struct berth_toml_value *v)
{
	return take_value(t, v, 0);
}
