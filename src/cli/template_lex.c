/* The lexer of Go's text/template, run over the whole text before parsing.
 *
 * Go's lexer is a state machine feeding the parser on demand; producing all
 * tokens first gives the parser the same sequence (it stops at the first
 * error token either way) and lets it look back freely.  Trim markers are
 * applied here, as in Go: "{{- " removes the white space before the action,
 * " -}}" the white space after it. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

#define LEFT_DELIM "{{"
#define RIGHT_DELIM "}}"

struct lexer {
	const char *in;
	size_t len;
	size_t pos;
	int paren_depth;
	struct tpl_token *toks;
	size_t n, cap;
	char *errmsg;
	size_t errmsg_size;
	bool nomem;
};

enum lex_state { ST_TEXT, ST_ACTION, ST_DONE };

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool at(const struct lexer *l, size_t pos, const char *s)
{
	size_t n = strlen(s);
	return pos <= l->len && l->len - pos >= n && memcmp(l->in + pos, s, n) == 0;
}

static void emit(struct lexer *l, enum tpl_tok type, size_t start, size_t end)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct tpl_token *t = realloc(l->toks, cap * sizeof(*t));
		if (!t) {
			l->nomem = true;
			return;
		}
		l->toks = t;
		l->cap = cap;
	}
	l->toks[l->n++] = (struct tpl_token){ type, start, end - start };
}

static enum lex_state lex_error(struct lexer *l, size_t start, const char *fmt, ...) BERTH_PRINTF(3, 4);
static enum lex_state lex_error(struct lexer *l, size_t start, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->errmsg, l->errmsg_size, fmt, ap);
	va_end(ap);
	emit(l, TOK_ERROR, start, start);
	return ST_DONE;
}

/* Go's %#U of the rune at pos: U+0022 '"' */
static enum lex_state lex_bad_rune(struct lexer *l, size_t start, size_t pos, const char *what)
{
	uint32_t r = 0;
	struct tpl_buf b = { 0 };
	if (pos < l->len)
		tpl_utf8_decode(l->in + pos, l->len - pos, &r);
	else
		r = 0xffffffffu; /* EOF; Go prints U+FFFFFFFFFFFFFFFF, keep it short */
	if (r <= 0x10ffff && tpl_rune_is_print(r)) {
		tpl_buf_printf(&b, "U+%04X '", (unsigned) r);
		tpl_utf8_put(&b, r);
		tpl_buf_putc(&b, '\'');
	} else if (r <= 0x10ffff) {
		tpl_buf_printf(&b, "U+%04X", (unsigned) r);
	} else {
		tpl_buf_puts(&b, "EOF");
	}
	enum lex_state s = lex_error(l, start, "%s %s", what, b.data ? b.data : "");
	tpl_buf_free(&b);
	return s;
}

static bool has_left_trim(const struct lexer *l, size_t pos)
{
	return pos + 1 < l->len && l->in[pos] == '-' && is_space(l->in[pos + 1]);
}

static bool has_right_trim(const struct lexer *l, size_t pos)
{
	return pos + 1 < l->len && is_space(l->in[pos]) && l->in[pos + 1] == '-';
}

static bool at_right_delim(const struct lexer *l, size_t pos, bool *trim)
{
	*trim = has_right_trim(l, pos) && at(l, pos + 2, RIGHT_DELIM);
	return *trim || at(l, pos, RIGHT_DELIM);
}

static size_t skip_space(const struct lexer *l, size_t pos)
{
	while (pos < l->len && is_space(l->in[pos]))
		pos++;
	return pos;
}

static bool alnum_at(const struct lexer *l, size_t pos, size_t *width)
{
	uint32_t r;
	if (pos >= l->len)
		return false;
	*width = tpl_utf8_decode(l->in + pos, l->len - pos, &r);
	return tpl_rune_is_alnum(r);
}

static bool at_terminator(const struct lexer *l, size_t pos)
{
	if (pos >= l->len)
		return true;
	char c = l->in[pos];
	return is_space(c) || (c != '\0' && strchr(".,|:()", c) != NULL) || at(l, pos, RIGHT_DELIM);
}

static enum lex_state lex_comment(struct lexer *l, size_t start)
{
	size_t pos = start + 2;
	const char *end = memmem(l->in + pos, l->len - pos, "*/", 2);
	bool trim;

	if (!end)
		return lex_error(l, start, "unclosed comment");
	pos = (size_t) (end - l->in) + 2;
	if (!at_right_delim(l, pos, &trim))
		return lex_error(l, start, "comment ends before closing delimiter");
	pos += (trim ? 2 : 0) + 2;
	l->pos = trim ? skip_space(l, pos) : pos;
	return ST_TEXT;
}

static enum lex_state lex_text(struct lexer *l)
{
	const char *p = memmem(l->in + l->pos, l->len - l->pos, LEFT_DELIM, 2);
	if (!p) {
		if (l->len > l->pos)
			emit(l, TOK_TEXT, l->pos, l->len);
		emit(l, TOK_EOF, l->len, l->len);
		return ST_DONE;
	}
	size_t x = (size_t) (p - l->in), end = x;
	bool trim = has_left_trim(l, x + 2);
	if (trim)
		while (end > l->pos && is_space(l->in[end - 1]))
			end--;
	if (end > l->pos)
		emit(l, TOK_TEXT, l->pos, end);
	size_t after = x + 2 + (trim ? 2 : 0);
	if (at(l, after, "/*"))
		return lex_comment(l, after);
	emit(l, TOK_LEFT_DELIM, x, x + 2);
	l->pos = after;
	l->paren_depth = 0;
	return ST_ACTION;
}

/* ".Field" or "$var"; a lone "." or "$" is dot or the root variable. */
static void lex_field_or_variable(struct lexer *l, enum tpl_tok type)
{
	size_t start = l->pos, w;
	l->pos++;
	if (at_terminator(l, l->pos)) {
		emit(l, type == TOK_VARIABLE ? TOK_VARIABLE : TOK_DOT, start, l->pos);
		return;
	}
	while (alnum_at(l, l->pos, &w))
		l->pos += w;
	if (!at_terminator(l, l->pos)) {
		lex_bad_rune(l, start, l->pos, "bad character");
		return;
	}
	emit(l, type, start, l->pos);
}

static void lex_identifier(struct lexer *l)
{
	static const struct {
		const char *word;
		enum tpl_tok type;
	} keywords[] = {
		{ "block", TOK_BLOCK }, { "break", TOK_BREAK }, { "continue", TOK_CONTINUE },
		{ "define", TOK_DEFINE }, { "else", TOK_ELSE }, { "end", TOK_END },
		{ "if", TOK_IF }, { "range", TOK_RANGE }, { "nil", TOK_NIL },
		{ "template", TOK_TEMPLATE }, { "with", TOK_WITH }, { "true", TOK_BOOL },
		{ "false", TOK_BOOL },
	};
	size_t start = l->pos, w;
	while (alnum_at(l, l->pos, &w))
		l->pos += w;
	if (!at_terminator(l, l->pos)) {
		lex_bad_rune(l, start, l->pos, "bad character");
		return;
	}
	enum tpl_tok type = TOK_IDENTIFIER;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (l->pos - start == strlen(keywords[i].word) &&
		    memcmp(l->in + start, keywords[i].word, l->pos - start) == 0)
			type = keywords[i].type;
	emit(l, type, start, l->pos);
}

static bool accept(struct lexer *l, const char *valid)
{
	if (l->pos < l->len && l->in[l->pos] != '\0' && strchr(valid, l->in[l->pos])) {
		l->pos++;
		return true;
	}
	return false;
}

static void accept_run(struct lexer *l, const char *valid)
{
	while (accept(l, valid))
		;
}

/* Go's scanNumber: the shape only; the value is checked by the parser. */
static bool scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";
	size_t w;
	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (alnum_at(l, l->pos, &w)) {
		l->pos += w;
		return false;
	}
	return true;
}

static enum lex_state lex_number(struct lexer *l)
{
	size_t start = l->pos;
	struct tpl_buf q = { 0 };
	enum tpl_tok type = TOK_NUMBER;

	bool ok = scan_number(l);
	if (ok && l->pos < l->len && (l->in[l->pos] == '+' || l->in[l->pos] == '-')) {
		/* complex: 1+2i, no spaces, must end in 'i' */
		ok = scan_number(l) && l->in[l->pos - 1] == 'i';
		type = TOK_COMPLEX;
	}
	if (!ok) {
		tpl_quote(&q, l->in + start, l->pos - start, false);
		lex_error(l, start, "bad number syntax: %s", q.data ? q.data : "\"\"");
		tpl_buf_free(&q);
		return ST_DONE;
	}
	emit(l, type, start, l->pos);
	return ST_ACTION;
}

/* A quoted string or character constant; backslash escapes the next byte. */
static enum lex_state lex_quote(struct lexer *l, char quote, enum tpl_tok type, const char *what)
{
	size_t start = l->pos++;
	for (;;) {
		if (l->pos >= l->len || l->in[l->pos] == '\n')
			return lex_error(l, start, "unterminated %s", what);
		char c = l->in[l->pos++];
		if (c == '\\') {
			if (l->pos >= l->len || l->in[l->pos] == '\n')
				return lex_error(l, start, "unterminated %s", what);
			l->pos++;
		} else if (c == quote) {
			break;
		}
	}
	emit(l, type, start, l->pos);
	return ST_ACTION;
}

static enum lex_state lex_raw_quote(struct lexer *l)
{
	size_t start = l->pos++;
	const char *end = memchr(l->in + l->pos, '`', l->len - l->pos);
	if (!end)
		return lex_error(l, start, "unterminated raw quoted string");
	l->pos = (size_t) (end - l->in) + 1;
	emit(l, TOK_RAW_STRING, start, l->pos);
	return ST_ACTION;
}

static enum lex_state lex_space(struct lexer *l)
{
	size_t start = l->pos, n = 0;
	while (l->pos < l->len && is_space(l->in[l->pos]))
		l->pos++, n++;
	/* A space followed by "-}}" is the right trim marker, not a space. */
	if (has_right_trim(l, l->pos - 1) && at(l, l->pos + 1, RIGHT_DELIM)) {
		l->pos--;
		if (n == 1)
			return ST_ACTION;
	}
	emit(l, TOK_SPACE, start, l->pos);
	return ST_ACTION;
}

static enum lex_state lex_punct(struct lexer *l, char c)
{
	size_t start = l->pos++;
	switch (c) {
	case '=':
		emit(l, TOK_ASSIGN, start, l->pos);
		break;
	case ':':
		if (l->pos >= l->len || l->in[l->pos] != '=')
			return lex_error(l, start, "expected :=");
		emit(l, TOK_DECLARE, start, ++l->pos);
		break;
	case '|':
		emit(l, TOK_PIPE, start, l->pos);
		break;
	case '(':
		emit(l, TOK_LEFT_PAREN, start, l->pos);
		l->paren_depth++;
		break;
	case ')':
		emit(l, TOK_RIGHT_PAREN, start, l->pos);
		if (--l->paren_depth < 0)
			return lex_bad_rune(l, start, start, "unexpected right paren");
		break;
	default:
		emit(l, TOK_CHAR, start, l->pos);
		break;
	}
	return ST_ACTION;
}

static enum lex_state lex_inside_action(struct lexer *l)
{
	bool trim;
	size_t w;

	if (at_right_delim(l, l->pos, &trim)) {
		if (l->paren_depth != 0)
			return lex_error(l, l->pos, "unclosed left paren");
		if (trim)
			l->pos += 2;
		emit(l, TOK_RIGHT_DELIM, l->pos, l->pos + 2);
		l->pos += 2;
		if (trim)
			l->pos = skip_space(l, l->pos);
		return ST_TEXT;
	}
	if (l->pos >= l->len)
		return lex_error(l, l->pos, "unclosed action");
	char c = l->in[l->pos];
	if (is_space(c))
		return lex_space(l);
	switch (c) {
	case '"':
		return lex_quote(l, '"', TOK_STRING, "quoted string");
	case '\'':
		return lex_quote(l, '\'', TOK_CHAR_CONSTANT, "character constant");
	case '`':
		return lex_raw_quote(l);
	case '$':
		lex_field_or_variable(l, TOK_VARIABLE);
		return ST_ACTION;
	case '.':
		/* ".field" unless a digit follows: ".5" is a number */
		if (l->pos + 1 < l->len && (l->in[l->pos + 1] < '0' || l->in[l->pos + 1] > '9')) {
			lex_field_or_variable(l, TOK_FIELD);
			return ST_ACTION;
		}
		return lex_number(l);
	default:
		break;
	}
	if (c == '+' || c == '-' || (c >= '0' && c <= '9'))
		return lex_number(l);
	if (alnum_at(l, l->pos, &w)) {
		lex_identifier(l);
		return ST_ACTION;
	}
	if (c >= 0x20 && c < 0x7f)
		return lex_punct(l, c);
	return lex_bad_rune(l, l->pos, l->pos, "unrecognized character in action:");
}

int tpl_lex(const char *text, size_t len, struct tpl_token **ret, size_t *ret_n, char *errmsg, size_t errmsg_size)
{
	struct lexer l = { .in = text, .len = len, .errmsg = errmsg, .errmsg_size = errmsg_size };
	enum lex_state s = ST_TEXT;

	errmsg[0] = '\0';
	while (s != ST_DONE && !l.nomem) {
		if (s == ST_TEXT)
			s = lex_text(&l);
		else
			s = lex_inside_action(&l);
		/* A failure inside an action helper emits TOK_ERROR and returns. */
		if (l.n > 0 && l.toks[l.n - 1].type == TOK_ERROR)
			s = ST_DONE;
	}
	if (l.nomem) {
		free(l.toks);
		return -ENOMEM;
	}
	*ret = l.toks;
	*ret_n = l.n;
	return 0;
}
