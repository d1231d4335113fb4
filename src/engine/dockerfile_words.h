/* The words of a Dockerfile instruction, as the Dockerfile lexer reads
 * them: split at whitespace outside quotes (quotes kept, for the caller
 * to see which '=' separates a key), then expanded: quote removal,
 * backslash escapes and $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word} replaced
 * from an Env list ("K=V" strings, the last one wins).  Used by docker
 * import --change; a Dockerfile build will use it too.
 *
 * Pure: no I/O.  Every size is bounded below. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* One word (a value, a path, a command line) after expansion. */
#define BERTH_DF_MAX_WORD 65536
/* Words of one instruction. */
#define BERTH_DF_MAX_WORDS 65536
/* ${a:-${b:-${c}}}: nesting of substitution words. */
#define BERTH_DF_MAX_NESTING 16

/* A growable string bounded by BERTH_DF_MAX_WORD (-E2BIG past it). */
struct berth_dfbuf {
	char *s;
	size_t len, cap;
};
void berth_dfbuf_free(struct berth_dfbuf *b);
int berth_dfbuf_put(struct berth_dfbuf *b, const char *s, size_t n, struct berth_error *err);
int berth_dfbuf_putc(struct berth_dfbuf *b, char c, struct berth_error *err);
/* The text so far; "" (never NULL) for an empty word. */
const char *berth_dfbuf_str(const struct berth_dfbuf *b);

bool berth_df_is_space(char c);
const char *berth_df_skip_space(const char *s);

/* Raw words, quotes and escapes still in them. */
struct berth_dfwords {
	char **v;
	size_t n;
};
void berth_dfwords_free(struct berth_dfwords *w);
int berth_df_split_raw(const char *text, struct berth_dfwords *ret, struct berth_error *err);
/* The first '=' of a raw word outside quotes and escapes, or NULL. */
const char *berth_df_raw_equals(const char *s);

/* Expand raw[0..len) into out (appended): quotes, escapes, substitutions. */
int berth_df_expand(json_t *env, const char *raw, size_t len, struct berth_dfbuf *out, struct berth_error *err);
