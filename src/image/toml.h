/* The TOML subset that registries.conf uses: a small, strict scanner.
 * Internal to the image library (registries_conf.c); not part of the API.
 *
 * Hand-written because Debian 12 packages no C TOML library, and the
 * subset containers-registries.conf(5) needs is small:
 *
 *   - comments, blank lines, LF or CRLF line ends;
 *   - keys: bare (A-Za-z0-9_-) or quoted;
 *   - values: basic strings "..." with the TOML escapes (\b \t \n \f \r \"
 *     \\ \uXXXX \UXXXXXXXX), literal strings '...', true / false, decimal
 *     integers, and arrays of these (nested up to 8 deep, over several
 *     lines, with comments and a trailing comma; at most
 *     BERTH_REGISTRIES_ARRAY_MAX elements).
 *   Not supported, reported as an error with the line: multi-line strings,
 *   inline tables, floats, dates, NUL (\u0000) in a string.  Control
 *   characters other than tab are errors everywhere.
 *
 * The caller drives the document structure ([table] headers, key = value
 * lines, dotted keys) with these pieces.  The scanner works over the
 * whole text, which need not be NUL-terminated: `p` moves forward only,
 * `line` follows it, and every error is set in `err` as
 * "<what>: line <n>: <message>" with -EINVAL (-ENOMEM when out of memory).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct berth_toml {
	const char *p, *end;
	unsigned line;
	const char *what; /* names the text in messages */
	struct berth_error *err;
};

enum berth_toml_kind { BERTH_TOML_STRING, BERTH_TOML_BOOL, BERTH_TOML_INT, BERTH_TOML_ARRAY };

struct berth_toml_value {
	enum berth_toml_kind kind;
	char *s;	   /* BERTH_TOML_STRING */
	bool b;		   /* BERTH_TOML_BOOL */
	char **strv;	   /* BERTH_TOML_ARRAY of strings only (NULL-terminated), else NULL */
	size_t n;	   /* BERTH_TOML_ARRAY: elements */
	bool strings_only; /* BERTH_TOML_ARRAY */
};

static inline bool berth_toml_at(const struct berth_toml *t, char c)
{
	return t->p < t->end && *t->p == c;
}

/* A character of a bare key: A-Z a-z 0-9 _ - */
static inline bool berth_toml_is_bare_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Set an error at the current line: "<what>: line <n>: <message>"; -EINVAL. */
int berth_toml_error(struct berth_toml *t, const char *fmt, ...) BERTH_PRINTF(2, 3);

/* Free the first n strings of v, then v; v may be NULL. */
void berth_toml_strv_free(char **v, size_t n);
/* Free what v holds and zero it. */
void berth_toml_value_free(struct berth_toml_value *v);

/* Blanks (space, tab). */
void berth_toml_skip_ws(struct berth_toml *t);
/* A comment up to (not including) the line end, if one starts here. */
int berth_toml_skip_comment(struct berth_toml *t);
/* Consume a line end (LF or CRLF): 1, or 0 if there is none here. */
int berth_toml_newline(struct berth_toml *t);
/* After a header or a value: blanks, a comment, then the end of the line
 * or of the text; anything else is an error. */
int berth_toml_end_of_line(struct berth_toml *t);

/* A bare or quoted key; *ret is allocated. */
int berth_toml_take_key(struct berth_toml *t, char **ret);
/* A value; on error v may hold allocations: berth_toml_value_free() it
 * either way. */
int berth_toml_take_value(struct berth_toml *t, struct berth_toml_value *v);
