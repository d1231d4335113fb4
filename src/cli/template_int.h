/* Internals shared by the template files: the lexer's tokens, the parse
 * tree, the execution state, the function table, and the text helpers
 * (UTF-8, Go's quoting, fmt's %v and Printf, encoding/json's encoder).
 *
 *   template_lex.c    text -> tokens (Go's lexer, run to the end up front)
 *   template_parse.c  tokens -> tree (Go's parser, same messages)
 *   template_literal.c  strings, characters and numbers as Go reads them
 *   template_exec.c   tree + json_t -> output
 *   template_funcs.c  index, len, printf, eq, ..., and docker's functions
 *   template_fmt.c    fmt: %v of JSON values, Sprint, Sprintf
 *   template_text.c   UTF-8, case mapping, strconv.Quote, JSON encoding
 *   template_float.c  strconv's float formats
 *   template.c        the public API, docker's --format conventions
 */
#pragma once

#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "template.h"

/* Bounds on what a template can make the engine do. */
#define TPL_NEST_MAX 100                      /* control structures and parentheses */
#define TPL_VALUE_DEPTH_MAX 512               /* nesting of a value printed or encoded */
#define TPL_STEPS_MAX ((size_t) 1 << 23)      /* nodes walked, commands run, loop turns */
#define TPL_ALLOC_MAX ((size_t) 128 << 20)    /* bytes of values made by one execution */
#define TPL_STRING_MAX BERTH_TEMPLATE_OUTPUT_MAX /* one string value */

/* ---- a growable byte buffer; failures are sticky and checked once ---- */

enum tpl_buf_state { TPL_BUF_OK, TPL_BUF_NOMEM, TPL_BUF_TOO_BIG, TPL_BUF_TOO_DEEP };

struct tpl_buf {
	char *data;
	size_t len, cap;
	enum tpl_buf_state state;
};

void tpl_buf_put(struct tpl_buf *b, const void *p, size_t n);
void tpl_buf_putc(struct tpl_buf *b, char c);
void tpl_buf_puts(struct tpl_buf *b, const char *s);
void tpl_buf_fill(struct tpl_buf *b, char c, size_t n);
void tpl_buf_printf(struct tpl_buf *b, const char *fmt, ...) BERTH_PRINTF(2, 3);
void tpl_buf_free(struct tpl_buf *b);
/* A message for a failed buffer ("out of memory", ...). */
const char *tpl_buf_strerror(const struct tpl_buf *b);
int tpl_buf_errno(const struct tpl_buf *b);

/* ---- text helpers (template_text.c) ---- */

#define TPL_RUNE_ERROR 0xfffdu

/* Decode one rune as Go does: an invalid or truncated sequence is
 * TPL_RUNE_ERROR of width 1.  n must be > 0.  Returns the width. */
size_t tpl_utf8_decode(const char *s, size_t n, uint32_t *ret);
void tpl_utf8_put(struct tpl_buf *b, uint32_t r);
size_t tpl_utf8_count(const char *s, size_t n);
bool tpl_utf8_valid(const char *s, size_t n);

uint32_t tpl_rune_upper(uint32_t r);
uint32_t tpl_rune_lower(uint32_t r);
uint32_t tpl_rune_title(uint32_t r);
bool tpl_rune_is_print(uint32_t r);
bool tpl_rune_is_space(uint32_t r);
bool tpl_rune_is_alnum(uint32_t r); /* letter, digit or '_' (Go's isAlphaNumeric) */

/* strconv.Quote / QuoteToASCII (quote '"'), QuoteRune (quote '\''). */
void tpl_quote(struct tpl_buf *b, const char *s, size_t n, bool ascii_only);
void tpl_quote_rune(struct tpl_buf *b, uint32_t r, bool ascii_only);
bool tpl_can_backquote(const char *s, size_t n);

/* A locale whose LC_NUMERIC is "C", for libc's number conversions (made
 * once, shared by all threads); (locale_t) 0 when it cannot be made. */
locale_t tpl_c_numeric(void);
/* strconv.FormatFloat(v, fmt, -1, 64) for fmt 'e', 'E', 'f', 'g', 'G',
 * 'x', 'X', 'b'. */
void tpl_float_shortest(struct tpl_buf *b, double v, char fmt);
/* strconv's 'x', 'X' (prec -1: shortest) and 'b' formats. */
void tpl_float_hex(struct tpl_buf *b, double v, int prec, char fmt);

/* encoding/json with SetEscapeHTML(false), as docker's json function: no
 * trailing newline, <, > and & as they are.  Object members keep the order
 * they arrived in (docker's typed structs), or are sorted by key (docker's
 * list rows, which it marshals as maps). */
void tpl_json_encode(struct tpl_buf *b, const json_t *v, bool sorted, int depth);

/* An object's members, sorted by key (bytes) as Go's maps print, or in the
 * order they arrived in. */
struct tpl_member {
	const char *key;
	size_t key_len;
	json_t *value;
};
int tpl_object_members(const json_t *obj, bool sorted, struct tpl_member **ret, size_t *ret_n);

/* The Go type json.Unmarshal would give v: "string", "float64", ... */
const char *tpl_type_name(const json_t *v);
bool tpl_truth(const json_t *v);

/* ---- fmt (template_fmt.c) ---- */

void tpl_fmt_sprint(struct tpl_buf *b, json_t *const *args, size_t n, bool ln);
void tpl_fmt_sprintf(struct tpl_buf *b, const char *format, size_t len, json_t *const *args, size_t n);

/* ---- tokens (template_lex.c) ---- */

enum tpl_tok {
	TOK_ERROR,
	TOK_EOF,
	TOK_TEXT,
	TOK_LEFT_DELIM,
	TOK_RIGHT_DELIM,
	TOK_SPACE,
	TOK_PIPE,
	TOK_ASSIGN,
	TOK_DECLARE,
	TOK_STRING,
	TOK_RAW_STRING,
	TOK_CHAR_CONSTANT,
	TOK_NUMBER,
	TOK_COMPLEX,
	TOK_VARIABLE,
	TOK_FIELD,
	TOK_DOT,
	TOK_IDENTIFIER,
	TOK_BOOL,
	TOK_NIL,
	TOK_LEFT_PAREN,
	TOK_RIGHT_PAREN,
	TOK_CHAR,
	TOK_KEYWORD, /* the types after this one are keywords */
	TOK_BLOCK,
	TOK_BREAK,
	TOK_CONTINUE,
	TOK_DEFINE,
	TOK_ELSE,
	TOK_END,
	TOK_IF,
	TOK_RANGE,
	TOK_TEMPLATE,
	TOK_WITH,
};

struct tpl_token {
	enum tpl_tok type;
	size_t pos, len; /* the token's text; a TEXT token is already trimmed */
};

/* Tokenise the whole text.  The last token is TOK_EOF, or TOK_ERROR whose
 * message is in errmsg.  Returns 0 or -ENOMEM. */
int tpl_lex(const char *text, size_t len, struct tpl_token **ret, size_t *ret_n, char *errmsg, size_t errmsg_size);

/* ---- the parse tree (template_parse.c) ---- */

struct tpl_str {
	const char *s;
	size_t len;
};

enum tpl_arg_type {
	TPL_ARG_DOT,
	TPL_ARG_NIL,
	TPL_ARG_BOOL,
	TPL_ARG_NUMBER,
	TPL_ARG_STRING,
	TPL_ARG_FIELD,    /* .A.B */
	TPL_ARG_VARIABLE, /* $x.A.B */
	TPL_ARG_FUNC,     /* a function name */
	TPL_ARG_PIPE,     /* ( pipeline ) */
	TPL_ARG_CHAIN,    /* (pipeline).A.B */
};

struct tpl_number {
	bool is_int, is_uint, is_float;
	bool is_complex;     /* only its real part is usable, when the rest is 0 */
	bool ideal_is_float; /* a float when nothing says otherwise */
	int64_t i;
	double f;
	json_t *ideal; /* the constant with no type context; NULL: overflows int */
};

struct tpl_pipe;

struct tpl_arg {
	enum tpl_arg_type type;
	size_t pos, len;     /* source text, for messages */
	size_t loc;          /* where Go says it is: the first trailing field of a chain */
	struct tpl_arg *next; /* the next operand of the command */
	struct tpl_str name; /* VARIABLE ("$x"), FUNC */
	int func;            /* FUNC: index into the function table */
	struct tpl_str *fields;
	size_t n_fields;       /* FIELD, VARIABLE, CHAIN */
	struct tpl_pipe *pipe; /* PIPE */
	struct tpl_arg *base;  /* CHAIN */
	json_t *value;         /* BOOL, STRING (borrowed from the template) */
	struct tpl_number num; /* NUMBER */
};

struct tpl_cmd {
	size_t pos, len;
	struct tpl_cmd *next;
	struct tpl_arg *args;
	size_t n_args;
};

struct tpl_pipe {
	size_t pos, len;
	bool is_assign;
	struct tpl_str decl[2];
	size_t n_decl;
	struct tpl_cmd *cmds;
	size_t n_cmds;
};

enum tpl_node_type {
	TPL_NODE_TEXT,
	TPL_NODE_ACTION,
	TPL_NODE_IF,
	TPL_NODE_RANGE,
	TPL_NODE_WITH,
	TPL_NODE_BREAK,
	TPL_NODE_CONTINUE,
};

struct tpl_node {
	enum tpl_node_type type;
	size_t pos;
	struct tpl_node *next;
	struct tpl_str text;   /* TEXT */
	struct tpl_pipe *pipe; /* ACTION, IF, RANGE, WITH */
	struct tpl_node *list, *else_list;
};

struct tpl_chunk;

struct berth_template {
	char *text; /* what was parsed (after docker's preprocessing) */
	size_t len;
	struct tpl_node *root;
	struct tpl_chunk *arena;
	json_t *constants; /* owns the literal values the tree points to */
	bool is_table, is_default_table, missingkey_error;
	size_t max_steps, max_output, max_alloc; /* TPL_STEPS_MAX and the like */
};

/* Lower limits than the defaults, for the fuzzer: every execution of a
 * hostile template may run up to them, so they set its speed. */
void tpl_set_limits(struct berth_template *t, size_t steps, size_t output, size_t alloc);

/* strconv.Unquote of a "..." or `...` literal; -1 for invalid syntax. */
int tpl_unquote(const char *s, size_t n, struct tpl_buf *out);
/* A number or character constant as Go's parser reads it; -1 with the
 * message in msg when it is not one. */
int tpl_number_parse(const char *s, size_t n, bool char_constant, struct tpl_number *num, struct tpl_buf *msg);

void *tpl_alloc(struct berth_template *t, size_t size);
/* Parse t->text into t->root. */
int tpl_parse(struct berth_template *t, struct berth_error *err);
/* Where a byte offset is, as Go reports it: line from 1, column from 0. */
void tpl_position(const struct berth_template *t, size_t pos, size_t *line, size_t *col);

/* ---- execution (template_exec.c) ---- */

enum tpl_mode {
	TPL_MODE_DOCUMENT, /* inspect and the like: docker's typed structs */
	TPL_MODE_ROW,      /* one row of a list: docker's row context */
	TPL_MODE_HEADER,   /* a table's header: titles, docker's header functions */
};

int tpl_execute(const struct berth_template *t, json_t *data, FILE *out, enum tpl_mode mode,
		struct berth_error *err);

/* ---- functions (template_funcs.c) ---- */

enum tpl_param {
	TPL_P_VALUE,  /* reflect.Value: anything but the nil literal */
	TPL_P_ANY,    /* interface{} */
	TPL_P_STRING, /* string */
	TPL_P_INT,    /* int */
	TPL_P_STRV,   /* []string */
	TPL_P_UNTYPED,
};

struct tpl_call {
	json_t **argv; /* NULL is nil */
	size_t argc;
	json_t *ret;
	size_t *budget; /* bytes the call may still allocate for values */
	size_t budget_max;
	bool sorted;    /* json sorts object keys (a list row) */
	char msg[512];  /* the error, for "error calling NAME: MSG" */
};

struct tpl_func {
	const char *name;
	enum tpl_param params[3];
	size_t n_params;
	bool variadic; /* the last parameter repeats */
	int (*fn)(struct tpl_call *c);
};

enum { TPL_FUNC_AND = 0, TPL_FUNC_OR = 1 };

/* Index of a function, or -1. */
int tpl_func_lookup(const char *name, size_t len);
/* The function to run; docker's header functions replace some. */
const struct tpl_func *tpl_func_get(int index, bool header);
const char *tpl_param_name(enum tpl_param p);
/* Account for `bytes` of new values; false when the budget is spent. */
bool tpl_charge(size_t *budget, size_t bytes);
