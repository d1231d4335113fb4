/* The parser of Go's text/template: tokens -> tree, with Go's grammar and
 * Go's error messages.  Positions in messages are "line:column" where Go
 * gives only the line, since a --format is usually one line long.
 *
 * Variables are checked as Go checks them: a "$x" must have been declared
 * earlier in an enclosing scope, scopes end at {{end}}.  Function names are
 * resolved here, so an unknown function fails the parse, as in Go.
 *
 * The grammar is Go 1.24's: {{else with}} (1.23) as well as {{else if}};
 * {{define}}, {{template}} and {{block}} are refused, a --format being one
 * template. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

struct parser {
	struct berth_template *t;
	const char *in;
	struct tpl_token *toks;
	size_t n, cur;
	const char *lexmsg;
	struct tpl_str *vars; /* the variables in scope, innermost last */
	size_t n_vars, cap_vars;
	int range_depth, depth;
	size_t action_line; /* line of the action being parsed, 0 outside */
	struct berth_error *err;
};

enum mark { MARK_NONE, MARK_END, MARK_ELSE };

/* ---- tokens ---- */

static const struct tpl_token *tok_at(const struct parser *p, size_t i)
{
	return &p->toks[i < p->n ? i : p->n - 1];
}

static const struct tpl_token *next(struct parser *p)
{
	return tok_at(p, p->cur++);
}

static void backup(struct parser *p)
{
	p->cur--;
}

static const struct tpl_token *peek(const struct parser *p)
{
	return tok_at(p, p->cur);
}

static const struct tpl_token *next_non_space(struct parser *p)
{
	const struct tpl_token *t;
	do
		t = next(p);
	while (t->type == TOK_SPACE);
	return t;
}

static const struct tpl_token *peek_non_space(struct parser *p)
{
	const struct tpl_token *t = next_non_space(p);
	backup(p);
	return t;
}

/* ---- errors ---- */

void tpl_position(const struct berth_template *t, size_t pos, size_t *line, size_t *col)
{
	size_t l = 1, start = 0;
	for (size_t i = 0; i < pos && i < t->len; i++)
		if (t->text[i] == '\n')
			l++, start = i + 1;
	*line = l;
	*col = pos - start;
}

static int perr(struct parser *p, size_t pos, const char *fmt, ...) BERTH_PRINTF(3, 4);
static int perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[BERTH_ERROR_MAX];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tpl_position(p->t, pos, &line, &col);
	return berth_error_set(p->err, EINVAL, "template: :%zu:%zu: %s", line, col, msg);
}

static int nomem(struct parser *p)
{
	return berth_error_set(p->err, ENOMEM, "template: out of memory");
}

/* Go's item.String(): EOF, the lexer's message, <keyword> or the quoted
 * text, cut at 10 characters. */
static void describe(const struct parser *p, const struct tpl_token *t, struct tpl_buf *b)
{
	if (t->type == TOK_EOF) {
		tpl_buf_puts(b, "EOF");
	} else if (t->type == TOK_ERROR) {
		tpl_buf_puts(b, p->lexmsg);
	} else if (t->type > TOK_KEYWORD || t->type == TOK_DOT || t->type == TOK_NIL) {
		/* Go lists "." and nil among its keywords */
		tpl_buf_printf(b, "<%.*s>", (int) t->len, p->in + t->pos);
	} else {
		size_t n = 0, runes = 0;
		uint32_t r;
		while (n < t->len && runes < 10) {
			n += tpl_utf8_decode(p->in + t->pos + n, t->len - n, &r);
			runes++;
		}
		tpl_quote(b, p->in + t->pos, n, false);
		if (t->len > 10) /* Go counts bytes here but cuts at 10 characters */
			tpl_buf_puts(b, "...");
	}
}

static int unexpected(struct parser *p, const struct tpl_token *t, const char *context)
{
	struct tpl_buf b = { 0 };
	size_t line, col;
	int r;

	if (t->type == TOK_ERROR) {
		char extra[64] = "";
		tpl_position(p->t, t->pos, &line, &col);
		if (p->action_line != 0 && p->action_line != line) {
			size_t n = strlen(p->lexmsg);
			bool action = n >= 7 && strcmp(p->lexmsg + n - 7, " action") == 0;
			snprintf(extra, sizeof(extra), "%s started at :%zu", action ? "" : " in action", p->action_line);
		}
		return perr(p, t->pos, "%s%s", p->lexmsg, extra);
	}
	describe(p, t, &b);
	r = perr(p, t->pos, "unexpected %s in %s", b.data ? b.data : "", context);
	tpl_buf_free(&b);
	return r;
}

static int expect(struct parser *p, enum tpl_tok type, const char *context)
{
	const struct tpl_token *t = next_non_space(p);
	return t->type == type ? 0 : unexpected(p, t, context);
}

/* ---- variables ---- */

static int push_var(struct parser *p, const char *s, size_t len)
{
	if (p->n_vars == p->cap_vars) {
		size_t cap = p->cap_vars ? p->cap_vars * 2 : 8;
		struct tpl_str *v = realloc(p->vars, cap * sizeof(*v));
		if (!v)
			return nomem(p);
		p->vars = v;
		p->cap_vars = cap;
	}
	p->vars[p->n_vars++] = (struct tpl_str){ s, len };
	return 0;
}

static bool var_known(const struct parser *p, const char *s, size_t len)
{
	for (size_t i = p->n_vars; i-- > 0;)
		if (p->vars[i].len == len && memcmp(p->vars[i].s, s, len) == 0)
			return true;
	return false;
}

/* ---- literals ---- */

static json_t *keep_constant(struct parser *p, json_t *v)
{
	if (!v || json_array_append_new(p->t->constants, v) < 0)
		return NULL;
	return v; /* borrowed: the template's constants array owns it */
}

/* Go's NumberNode: the same text may be an int, a uint and a float; which
 * is used depends on the parameter it is passed to. */
static int parse_number(struct parser *p, const struct tpl_token *t, struct tpl_number *num)
{
	struct tpl_buf msg = { 0 };
	int r = tpl_number_parse(p->in + t->pos, t->len, t->type == TOK_CHAR_CONSTANT, num, &msg);
	if (r < 0) {
		r = msg.state == TPL_BUF_OK ? perr(p, t->pos, "%s", msg.data ? msg.data : "invalid syntax") : nomem(p);
		tpl_buf_free(&msg);
		return r;
	}
	if (num->is_complex)
		return 0; /* no value of its own: "not supported" when executed */
	if (num->ideal_is_float)
		num->ideal = keep_constant(p, json_real(num->f));
	else if (num->is_int)
		num->ideal = keep_constant(p, json_integer(num->i));
	else
		return 0; /* a uint beyond int64: "overflows int" when executed */
	return num->ideal ? 0 : nomem(p);
}

/* ---- the grammar ---- */

static int parse_pipeline(struct parser *p, const char *context, enum tpl_tok end, struct tpl_pipe **ret,
			  const struct tpl_token **ret_end);
static int parse_list(struct parser *p, struct tpl_node **ret, enum mark *ret_mark, size_t *ret_pos);

static struct tpl_arg *new_arg(struct parser *p, enum tpl_arg_type type, const struct tpl_token *t)
{
	struct tpl_arg *a = tpl_alloc(p->t, sizeof(*a));
	if (a) {
		a->type = type;
		a->pos = a->loc = t->pos;
		a->len = t->len;
	}
	return a;
}

static int parse_paren(struct parser *p, const struct tpl_token *t, struct tpl_arg **ret)
{
	const struct tpl_token *end;
	struct tpl_arg *a = new_arg(p, TPL_ARG_PIPE, t);
	if (!a)
		return nomem(p);
	if (++p->depth > TPL_NEST_MAX)
		return perr(p, t->pos, "template nested too deeply (more than %d levels)", TPL_NEST_MAX);
	int r = parse_pipeline(p, "parenthesized pipeline", TOK_RIGHT_PAREN, &a->pipe, &end);
	p->depth--;
	if (r < 0)
		return r;
	a->len = end->pos + end->len - a->pos;
	*ret = a;
	return 0;
}

static int parse_string(struct parser *p, const struct tpl_token *t, struct tpl_arg **ret)
{
	struct tpl_buf b = { 0 };
	struct tpl_arg *a = new_arg(p, TPL_ARG_STRING, t);
	if (!a)
		return nomem(p);
	if (tpl_unquote(p->in + t->pos, t->len, &b) < 0) {
		tpl_buf_free(&b);
		return perr(p, t->pos, "invalid syntax");
	}
	if (b.state != TPL_BUF_OK) {
		tpl_buf_free(&b);
		return nomem(p);
	}
	a->value = keep_constant(p, json_stringn_nocheck(b.data ? b.data : "", b.len));
	tpl_buf_free(&b);
	if (!a->value)
		return nomem(p);
	*ret = a;
	return 0;
}

/* One operand without trailing fields; *ret is NULL when the token cannot
 * start one (it is left unread). */
static int parse_term(struct parser *p, struct tpl_arg **ret)
{
	const struct tpl_token *t = next_non_space(p);
	const char *s = p->in + t->pos;
	struct tpl_arg *a = NULL;

	*ret = NULL;
	switch (t->type) {
	case TOK_IDENTIFIER: {
		int f = tpl_func_lookup(s, t->len);
		if (f < 0) {
			struct tpl_buf q = { 0 };
			tpl_quote(&q, s, t->len, false);
			int r = perr(p, t->pos, "function %s not defined", q.data ? q.data : "");
			tpl_buf_free(&q);
			return r;
		}
		if ((a = new_arg(p, TPL_ARG_FUNC, t)))
			a->func = f, a->name = (struct tpl_str){ s, t->len };
		break;
	}
	case TOK_DOT:
		a = new_arg(p, TPL_ARG_DOT, t);
		break;
	case TOK_NIL:
		a = new_arg(p, TPL_ARG_NIL, t);
		break;
	case TOK_VARIABLE:
		if (!var_known(p, s, t->len))
			return perr(p, t->pos, "undefined variable \"%.*s\"", (int) t->len, s);
		if ((a = new_arg(p, TPL_ARG_VARIABLE, t)))
			a->name = (struct tpl_str){ s, t->len };
		break;
	case TOK_FIELD:
		if ((a = new_arg(p, TPL_ARG_FIELD, t)) && (a->fields = tpl_alloc(p->t, sizeof(*a->fields)))) {
			a->fields[0] = (struct tpl_str){ s + 1, t->len - 1 };
			a->n_fields = 1;
		} else {
			a = NULL;
		}
		break;
	case TOK_BOOL:
		if ((a = new_arg(p, TPL_ARG_BOOL, t)))
			a->value = json_boolean(s[0] == 't');
		break;
	case TOK_CHAR_CONSTANT:
	case TOK_COMPLEX:
	case TOK_NUMBER: {
		if (!(a = new_arg(p, TPL_ARG_NUMBER, t)))
			break;
		int r = parse_number(p, t, &a->num);
		if (r < 0)
			return r;
		break;
	}
	case TOK_LEFT_PAREN:
		return parse_paren(p, t, ret);
	case TOK_STRING:
	case TOK_RAW_STRING:
		return parse_string(p, t, ret);
	default:
		backup(p);
		return 0;
	}
	if (!a)
		return nomem(p);
	*ret = a;
	return 0;
}

/* A term and the fields that follow it: .A.B, $x.A, (pipeline).A */
static int parse_operand(struct parser *p, struct tpl_arg **ret)
{
	struct tpl_arg *a;
	int r = parse_term(p, &a);
	size_t k = 0;

	*ret = a;
	if (r < 0 || !a)
		return r;
	while (tok_at(p, p->cur + k)->type == TOK_FIELD)
		k++;
	if (k == 0)
		return 0;
	if (a->type == TPL_ARG_BOOL || a->type == TPL_ARG_STRING || a->type == TPL_ARG_NUMBER ||
	    a->type == TPL_ARG_NIL || a->type == TPL_ARG_DOT) {
		struct tpl_buf q = { 0 };
		tpl_quote(&q, p->in + a->pos, a->len, false);
		r = perr(p, tok_at(p, p->cur)->pos, "unexpected . after term %s", q.data ? q.data : "");
		tpl_buf_free(&q);
		return r;
	}
	if (a->type != TPL_ARG_FIELD && a->type != TPL_ARG_VARIABLE) {
		struct tpl_arg *chain = tpl_alloc(p->t, sizeof(*chain));
		if (!chain)
			return nomem(p);
		*chain = (struct tpl_arg){ .type = TPL_ARG_CHAIN, .pos = a->pos, .len = a->len, .base = a };
		a = chain;
	}
	a->loc = tok_at(p, p->cur)->pos;
	struct tpl_str *f = tpl_alloc(p->t, (a->n_fields + k) * sizeof(*f));
	if (!f)
		return nomem(p);
	if (a->n_fields)
		memcpy(f, a->fields, a->n_fields * sizeof(*f));
	for (size_t i = 0; i < k; i++) {
		const struct tpl_token *t = next(p);
		f[a->n_fields + i] = (struct tpl_str){ p->in + t->pos + 1, t->len - 1 };
		a->len = t->pos + t->len - a->pos;
	}
	a->fields = f;
	a->n_fields += k;
	*ret = a;
	return 0;
}

static int parse_command(struct parser *p, struct tpl_cmd **ret)
{
	struct tpl_cmd *cmd = tpl_alloc(p->t, sizeof(*cmd));
	struct tpl_arg **tail;
	if (!cmd)
		return nomem(p);
	tail = &cmd->args;
	for (;;) {
		struct tpl_arg *a;
		peek_non_space(p);
		int r = parse_operand(p, &a);
		if (r < 0)
			return r;
		if (a) {
			if (cmd->n_args == 0)
				cmd->pos = a->pos;
			cmd->len = a->pos + a->len - cmd->pos;
			*tail = a;
			tail = &a->next;
			cmd->n_args++;
		}
		const struct tpl_token *t = next(p);
		if (t->type == TOK_SPACE)
			continue;
		if (t->type == TOK_RIGHT_DELIM || t->type == TOK_RIGHT_PAREN)
			backup(p);
		else if (t->type != TOK_PIPE)
			return unexpected(p, t, "operand");
		break;
	}
	if (cmd->n_args == 0)
		return perr(p, peek(p)->pos, "empty command");
	*ret = cmd;
	return 0;
}

/* "$x :=", "$x =", "$i, $e :=" at the start of a pipeline. */
static int parse_declarations(struct parser *p, struct tpl_pipe *pipe, const char *context)
{
	for (;;) {
		const struct tpl_token *v = peek_non_space(p);
		if (v->type != TOK_VARIABLE)
			return 0;
		size_t at_var = p->cur;
		next(p);
		const struct tpl_token *nx = peek_non_space(p);
		bool comma = nx->type == TOK_CHAR && p->in[nx->pos] == ',';
		if (nx->type != TOK_ASSIGN && nx->type != TOK_DECLARE && !comma) {
			p->cur = at_var; /* "$x" is an operand */
			return 0;
		}
		next_non_space(p);
		if (pipe->n_decl >= 2)
			return perr(p, v->pos, "too many declarations in %s", context);
		pipe->decl[pipe->n_decl++] = (struct tpl_str){ p->in + v->pos, v->len };
		int r = push_var(p, p->in + v->pos, v->len);
		if (r < 0)
			return r;
		if (!comma) {
			pipe->is_assign = nx->type == TOK_ASSIGN;
			return 0;
		}
		if (strcmp(context, "range") != 0 || pipe->n_decl >= 2)
			return perr(p, nx->pos, "too many declarations in %s", context);
		enum tpl_tok k = peek_non_space(p)->type;
		if (k != TOK_VARIABLE && k != TOK_RIGHT_DELIM && k != TOK_RIGHT_PAREN)
			return perr(p, peek_non_space(p)->pos, "range can only initialize variables");
	}
}

static int check_pipeline(struct parser *p, const struct tpl_pipe *pipe, const char *context, size_t pos)
{
	if (pipe->n_cmds == 0)
		return perr(p, pos, "missing value for %s", context);
	int stage = 2;
	for (const struct tpl_cmd *c = pipe->cmds ? pipe->cmds->next : NULL; c; c = c->next, stage++) {
		enum tpl_arg_type t = c->args->type;
		if (t == TPL_ARG_BOOL || t == TPL_ARG_DOT || t == TPL_ARG_NIL || t == TPL_ARG_NUMBER ||
		    t == TPL_ARG_STRING)
			return perr(p, c->pos, "non executable command in pipeline stage %d", stage);
	}
	return 0;
}

static int parse_pipeline(struct parser *p, const char *context, enum tpl_tok end, struct tpl_pipe **ret,
			  const struct tpl_token **ret_end)
{
	struct tpl_pipe *pipe = tpl_alloc(p->t, sizeof(*pipe));
	struct tpl_cmd **tail;
	if (!pipe)
		return nomem(p);
	pipe->pos = peek_non_space(p)->pos;
	tail = &pipe->cmds;
	int r = parse_declarations(p, pipe, context);
	if (r < 0)
		return r;
	for (;;) {
		const struct tpl_token *t = next_non_space(p);
		if (t->type == end) {
			r = check_pipeline(p, pipe, context, t->pos);
			if (r < 0)
				return r;
			*ret = pipe;
			if (ret_end)
				*ret_end = t;
			return 0;
		}
		switch (t->type) {
		case TOK_BOOL: case TOK_CHAR_CONSTANT: case TOK_COMPLEX: case TOK_DOT: case TOK_FIELD:
		case TOK_IDENTIFIER: case TOK_NUMBER: case TOK_NIL: case TOK_RAW_STRING: case TOK_STRING:
		case TOK_VARIABLE: case TOK_LEFT_PAREN: {
			struct tpl_cmd *cmd = NULL;
			backup(p);
			r = parse_command(p, &cmd);
			if (r < 0)
				return r;
			*tail = cmd;
			tail = &cmd->next;
			pipe->n_cmds++;
			pipe->len = cmd->pos + cmd->len - pipe->pos;
			break;
		}
		default:
			return unexpected(p, t, context);
		}
	}
}

static int parse_control(struct parser *p, enum tpl_node_type type, const char *context, size_t pos,
			 struct tpl_node **ret)
{
	struct tpl_node *node = tpl_alloc(p->t, sizeof(*node));
	size_t saved_vars = p->n_vars, mark_pos;
	enum mark mark;
	int r;

	if (!node)
		return nomem(p);
	if (++p->depth > TPL_NEST_MAX)
		return perr(p, pos, "template nested too deeply (more than %d levels)", TPL_NEST_MAX);
	node->type = type;
	node->pos = pos;
	r = parse_pipeline(p, context, TOK_RIGHT_DELIM, &node->pipe, NULL);
	if (r < 0)
		return r;
	p->range_depth += type == TPL_NODE_RANGE;
	r = parse_list(p, &node->list, &mark, &mark_pos);
	p->range_depth -= type == TPL_NODE_RANGE;
	if (r < 0)
		return r;
	if (mark == MARK_ELSE) {
		if (type == TPL_NODE_IF && peek(p)->type == TOK_IF) {
			/* {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with one {{end}} */
			r = parse_control(p, TPL_NODE_IF, "if", next(p)->pos, &node->else_list);
		} else if (type == TPL_NODE_WITH && peek(p)->type == TOK_WITH) {
			r = parse_control(p, TPL_NODE_WITH, "with", next(p)->pos, &node->else_list); /* Go 1.23 */
		} else {
			r = parse_list(p, &node->else_list, &mark, &mark_pos);
			if (r == 0 && mark != MARK_END)
				r = perr(p, mark_pos, "expected end; found {{else}}");
		}
		if (r < 0)
			return r;
	}
	p->n_vars = saved_vars;
	p->depth--;
	*ret = node;
	return 0;
}

static int parse_loop_control(struct parser *p, const struct tpl_token *t, struct tpl_node **ret)
{
	const char *what = t->type == TOK_BREAK ? "{{break}}" : "{{continue}}";
	const struct tpl_token *nx = next_non_space(p);
	if (nx->type != TOK_RIGHT_DELIM)
		return unexpected(p, nx, what);
	if (p->range_depth == 0)
		return perr(p, t->pos, "%s outside {{range}}", what);
	struct tpl_node *node = tpl_alloc(p->t, sizeof(*node));
	if (!node)
		return nomem(p);
	node->type = t->type == TOK_BREAK ? TPL_NODE_BREAK : TPL_NODE_CONTINUE;
	node->pos = t->pos;
	*ret = node;
	return 0;
}

static int parse_action(struct parser *p, struct tpl_node **ret, enum mark *mark, size_t *mark_pos)
{
	const struct tpl_token *t = next_non_space(p);
	*mark_pos = t->pos;
	switch (t->type) {
	case TOK_BLOCK:
	case TOK_DEFINE:
	case TOK_TEMPLATE:
		return perr(p, t->pos, "{{%.*s}} is not supported: a format is a single template", (int) t->len,
			    p->in + t->pos);
	case TOK_BREAK:
	case TOK_CONTINUE:
		return parse_loop_control(p, t, ret);
	case TOK_ELSE:
		*mark = MARK_ELSE;
		/* "else if", "else with": leave the keyword for the enclosing
		 * control to read */
		if (peek_non_space(p)->type == TOK_IF || peek_non_space(p)->type == TOK_WITH)
			return 0;
		return expect(p, TOK_RIGHT_DELIM, "else");
	case TOK_END:
		*mark = MARK_END;
		return expect(p, TOK_RIGHT_DELIM, "end");
	case TOK_IF:
		return parse_control(p, TPL_NODE_IF, "if", t->pos, ret);
	case TOK_RANGE:
		return parse_control(p, TPL_NODE_RANGE, "range", t->pos, ret);
	case TOK_WITH:
		return parse_control(p, TPL_NODE_WITH, "with", t->pos, ret);
	default:
		break;
	}
	backup(p);
	struct tpl_node *node = tpl_alloc(p->t, sizeof(*node));
	if (!node)
		return nomem(p);
	node->type = TPL_NODE_ACTION;
	node->pos = t->pos;
	*ret = node;
	return parse_pipeline(p, "command", TOK_RIGHT_DELIM, &node->pipe, NULL);
}

static int parse_text_or_action(struct parser *p, struct tpl_node **ret, enum mark *mark, size_t *mark_pos)
{
	const struct tpl_token *t = next_non_space(p);
	*ret = NULL;
	*mark = MARK_NONE;
	if (t->type == TOK_TEXT) {
		struct tpl_node *node = tpl_alloc(p->t, sizeof(*node));
		if (!node)
			return nomem(p);
		node->type = TPL_NODE_TEXT;
		node->pos = t->pos;
		node->text = (struct tpl_str){ p->in + t->pos, t->len };
		*ret = node;
		return 0;
	}
	if (t->type != TOK_LEFT_DELIM)
		return unexpected(p, t, "input");
	size_t line, col;
	tpl_position(p->t, t->pos, &line, &col);
	p->action_line = line;
	int r = parse_action(p, ret, mark, mark_pos);
	p->action_line = 0;
	return r;
}

/* The nodes up to {{end}} or {{else}}, which *ret_mark reports. */
static int parse_list(struct parser *p, struct tpl_node **ret, enum mark *ret_mark, size_t *ret_pos)
{
	struct tpl_node **tail = ret;
	*ret = NULL;
	for (;;) {
		struct tpl_node *node;
		const struct tpl_token *t = peek_non_space(p);
		if (t->type == TOK_EOF)
			return perr(p, t->pos, "unexpected EOF");
		int r = parse_text_or_action(p, &node, ret_mark, ret_pos);
		if (r < 0)
			return r;
		if (*ret_mark != MARK_NONE)
			return 0;
		*tail = node;
		tail = &node->next;
	}
}

int tpl_parse(struct berth_template *t, struct berth_error *err)
{
	char lexmsg[256];
	struct parser p = { .t = t, .in = t->text, .lexmsg = lexmsg, .err = err };
	struct tpl_node **tail = &t->root;
	int r;

	if (tpl_lex(t->text, t->len, &p.toks, &p.n, lexmsg, sizeof(lexmsg)) < 0)
		return nomem(&p);
	r = push_var(&p, "$", 1);
	while (r == 0 && peek(&p)->type != TOK_EOF) {
		struct tpl_node *node;
		enum mark mark;
		size_t mark_pos;
		r = parse_text_or_action(&p, &node, &mark, &mark_pos);
		if (r == 0 && mark != MARK_NONE)
			r = perr(&p, mark_pos, "unexpected {{%s}}", mark == MARK_END ? "end" : "else");
		if (r == 0) {
			*tail = node;
			tail = &node->next;
		}
	}
	free(p.toks);
	free(p.vars);
	return r;
}
