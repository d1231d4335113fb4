#include "dockerfile_words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- a bounded growable string ---- */

void berth_dfbuf_free(struct berth_dfbuf *b)
{
	free(b->s);
	*b = (struct berth_dfbuf){ 0 };
}

int berth_dfbuf_put(struct berth_dfbuf *b, const char *s, size_t n, struct berth_error *err)
{
	if (b->len + n > BERTH_DF_MAX_WORD)
		return berth_error_set(err, E2BIG, "a word longer than %u bytes", BERTH_DF_MAX_WORD);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->s, cap);
		if (!grown)
			return berth_error_sys(err, ENOMEM, "parse a Dockerfile word");
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int berth_dfbuf_putc(struct berth_dfbuf *b, char c, struct berth_error *err)
{
	return berth_dfbuf_put(b, &c, 1, err);
}

/* An empty word is "" rather than NULL. */
const char *berth_dfbuf_str(const struct berth_dfbuf *b)
{
	return b->s ? b->s : "";
}

bool berth_df_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

const char *berth_df_skip_space(const char *s)
{
	while (*s && berth_df_is_space(*s))
		s++;
	return s;
}

/* ---- words: split as the Dockerfile lexer splits, quotes kept ---- */

void berth_dfwords_free(struct berth_dfwords *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct berth_dfwords){ 0 };
}

/* The end of the raw word at s: whitespace outside quotes ends it. */
static const char *raw_word_end(const char *s, struct berth_error *err)
{
	char quote = 0;
	for (; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			else if (quote == '"' && *s == '\\' && s[1])
				s++;
		} else if (berth_df_is_space(*s)) {
			return s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
		} else if (*s == '\\' && s[1]) {
			s++;
		}
	}
	if (quote) {
		berth_error_set(err, EINVAL, "unexpected end of statement while looking for matching %s",
				quote == '"' ? "double-quote" : "single-quote");
		return NULL;
	}
	return s;
}

int berth_df_split_raw(const char *text, struct berth_dfwords *ret, struct berth_error *err)
{
	struct berth_dfwords w = { 0 };
	size_t cap = 0;
	const char *s = berth_df_skip_space(text);
	while (*s) {
		const char *end = raw_word_end(s, err);
		if (!end) {
			berth_dfwords_free(&w);
			return -EINVAL;
		}
		if (w.n == BERTH_DF_MAX_WORDS) {
			berth_dfwords_free(&w);
			return berth_error_set(err, E2BIG, "more than %u words", BERTH_DF_MAX_WORDS);
		}
		if (w.n == cap) {
			cap = cap ? cap * 2 : 8;
			char **grown = realloc(w.v, cap * sizeof(*grown));
			if (!grown) {
				berth_dfwords_free(&w);
				return berth_error_sys(err, ENOMEM, "parse a Dockerfile word");
			}
			w.v = grown;
		}
		if (!(w.v[w.n] = strndup(s, (size_t) (end - s)))) {
			berth_dfwords_free(&w);
			return berth_error_sys(err, ENOMEM, "parse a Dockerfile word");
		}
		w.n++;
		s = berth_df_skip_space(end);
	}
	*ret = w;
	return 0;
}

/* The first '=' of a raw word outside quotes and escapes, or NULL. */
const char *berth_df_raw_equals(const char *s)
{
	char quote = 0;
	for (; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			else if (quote == '"' && *s == '\\' && s[1])
				s++;
		} else if (*s == '=') {
			return s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
		} else if (*s == '\\' && s[1]) {
			s++;
		}
	}
	return NULL;
}

/* ---- substitution and quote removal ---- */

static const char *env_lookup(json_t *env, const char *name, size_t len)
{
	const char *found = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, len) == 0 && s[len] == '=')
			found = s + len + 1; /* the last one wins */
	}
	return found;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static int process(json_t *env, const char *s, size_t len, struct berth_dfbuf *out, int depth, struct berth_error *err);

/* s points after '$'; *used gets the bytes of the reference after '$'. */
static int substitute(json_t *env, const char *s, size_t len, size_t *used, struct berth_dfbuf *out, int depth,
		      struct berth_error *err)
{
	if (len > 0 && name_start(s[0])) {
		size_t n = 1;
		while (n < len && name_char(s[n]))
			n++;
		const char *v = env_lookup(env, s, n);
		*used = n;
		return v ? berth_dfbuf_put(out, v, strlen(v), err) : 0;
	}
	if (len == 0 || s[0] != '{') {
		*used = 0;
		return berth_dfbuf_putc(out, '$', err); /* a lone '$' is itself */
	}
	size_t n = 1;
	while (n < len && name_char(s[n]))
		n++;
	if (n == 1 || n == len)
		return berth_error_set(err, EINVAL, "bad substitution: \"${%.*s\"", (int) (len - 1 > 40 ? 40 : len - 1),
				       s + 1);
	const char *name = s + 1;
	size_t name_len = n - 1;
	const char *v = env_lookup(env, name, name_len);
	if (s[n] == '}') {
		*used = n + 1;
		return v ? berth_dfbuf_put(out, v, strlen(v), err) : 0;
	}
	if (s[n] != ':' || n + 1 >= len || (s[n + 1] != '-' && s[n + 1] != '+'))
		return berth_error_set(err, EINVAL, "unsupported modifier in \"${%.*s...\": want ${%.*s}, ${%.*s:-word} or ${%.*s:+word}",
				       (int) name_len, name, (int) name_len, name, (int) name_len, name, (int) name_len,
				       name);
	char mod = s[n + 1];
	size_t start = n + 2, i = start;
	int open = 1;
	/* The word ends at the matching '}' (it may hold ${...} itself). */
	for (; i < len && open > 0; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '$' && i + 1 < len && s[i + 1] == '{')
			open++, i++;
		else if (s[i] == '}')
			open--;
	}
	if (open > 0)
		return berth_error_set(err, EINVAL, "missing '}' in \"${%.*s\"", (int) name_len, name);
	*used = i;
	bool set = v && *v;
	if ((mod == '-' && set) || (mod == '+' && !set))
		return mod == '-' ? berth_dfbuf_put(out, v, strlen(v), err) : 0;
	if (depth >= BERTH_DF_MAX_NESTING)
		return berth_error_set(err, ELOOP, "substitutions nested deeper than %d", BERTH_DF_MAX_NESTING);
	return process(env, s + start, i - 1 - start, out, depth + 1, err);
}

/* Quote removal, escapes and $ substitution of the raw text s[0..len). */
static int process(json_t *env, const char *s, size_t len, struct berth_dfbuf *out, int depth, struct berth_error *err)
{
	size_t i = 0;
	int r = 0;
	while (r == 0 && i < len) {
		char ch = s[i];
		if (ch == '\'') {
			const char *close = memchr(s + i + 1, '\'', len - i - 1);
			if (!close)
				return berth_error_set(err, EINVAL,
						       "unexpected end of statement while looking for matching single-quote");
			r = berth_dfbuf_put(out, s + i + 1, (size_t) (close - s - i - 1), err);
			i = (size_t) (close - s) + 1;
		} else if (ch == '"') {
			for (i++;; i++) {
				if (i >= len)
					return berth_error_set(err, EINVAL,
							       "unexpected end of statement while looking for matching double-quote");
				if (s[i] == '"')
					break;
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$')) {
					r = berth_dfbuf_putc(out, s[++i], err);
				} else if (s[i] == '$') {
					size_t used = 0;
					r = substitute(env, s + i + 1, len - i - 1, &used, out, depth, err);
					i += used;
				} else {
					r = berth_dfbuf_putc(out, s[i], err);
				}
				if (r < 0)
					return r;
			}
			i++;
		} else if (ch == '\\') {
			r = berth_dfbuf_putc(out, i + 1 < len ? s[i + 1] : '\\', err);
			i += 2;
		} else if (ch == '$') {
			size_t used = 0;
			r = substitute(env, s + i + 1, len - i - 1, &used, out, depth, err);
			i += 1 + used;
		} else {
			r = berth_dfbuf_putc(out, ch, err);
			i++;
		}
	}
	return r;
}

int berth_df_expand(json_t *env, const char *raw, size_t len, struct berth_dfbuf *out, struct berth_error *err)
{
	return process(env, raw, len, out, 0, err);
}
