/* Executing a parsed template against a jansson value, with Go's rules.
 *
 * Values are json_t references owned by whoever holds them; NULL is Go's
 * "no value" (a missing key, nil data).  JSON null is Go's nil interface:
 * it is a value inside arrays and objects, but a pipeline's result that is
 * null becomes "no value", as Go digs one level into interface{} results.
 * The difference shows in a field chain: .Missing.X is "no value" while
 * .Null.X is "nil pointer evaluating interface {}.X", as in Go.
 *
 * Every walk and command costs a step and values made by functions are
 * charged to a budget, so a template cannot run or allocate without bound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

struct var {
	struct tpl_str name;
	json_t *value; /* owned; NULL is no value */
};

struct exec {
	const struct berth_template *t;
	FILE *out;
	size_t written;
	bool header, missingkey_error;
	bool sorted; /* json sorts object keys */
	struct var *vars;
	size_t n_vars, cap_vars;
	size_t steps, budget;
	/* The node being evaluated, as Go's s.at(): one of these, and where
	 * Go says it is. */
	const struct tpl_arg *at_arg;
	const struct tpl_cmd *at_cmd;
	const struct tpl_pipe *at_pipe;
	size_t at_loc;
	struct berth_error *err;
};

/* The previous command's result, passed on as the last argument. */
struct final {
	json_t *value;
	bool present;
};

enum { FLOW_BREAK = 1, FLOW_CONTINUE = 2 };

static const struct final no_final = { NULL, false };

static json_t *ref(json_t *v)
{
	return v ? json_incref(v) : NULL;
}

static void unref(json_t *v)
{
	if (v)
		json_decref(v);
}

static void at_node(struct exec *x, const struct tpl_arg *a, const struct tpl_cmd *cmd, const struct tpl_pipe *pipe,
		    size_t loc)
{
	x->at_arg = a;
	x->at_cmd = cmd;
	x->at_pipe = pipe;
	x->at_loc = loc;
}

static void at_pipe(struct exec *x, const struct tpl_pipe *pipe)
{
	at_node(x, NULL, NULL, pipe, pipe->pos);
}

static void at_cmd(struct exec *x, const struct tpl_cmd *cmd)
{
	at_node(x, NULL, cmd, NULL, cmd->pos);
}

/* A parenthesized pipeline is where its first token is, as in Go. */
static void at_arg(struct exec *x, const struct tpl_arg *a)
{
	at_node(x, a, NULL, NULL, a->type == TPL_ARG_PIPE ? a->pipe->pos : a->loc);
}

/* Go's Node.String(): the node rebuilt from the tree, so the text in a
 * message is spaced the same however the template was written. */
static void write_pipe(struct tpl_buf *b, const struct berth_template *t, const struct tpl_pipe *pipe);

static void write_arg(struct tpl_buf *b, const struct berth_template *t, const struct tpl_arg *a)
{
	switch (a->type) {
	case TPL_ARG_PIPE:
		write_pipe(b, t, a->pipe);
		return;
	case TPL_ARG_CHAIN:
		if (a->base->type == TPL_ARG_PIPE)
			tpl_buf_putc(b, '(');
		write_arg(b, t, a->base);
		if (a->base->type == TPL_ARG_PIPE)
			tpl_buf_putc(b, ')');
		for (size_t i = 0; i < a->n_fields; i++) {
			tpl_buf_putc(b, '.');
			tpl_buf_put(b, a->fields[i].s, a->fields[i].len);
		}
		return;
	default: /* a literal, field or variable is written as it reads */
		tpl_buf_put(b, t->text + a->pos, a->len);
		return;
	}
}

static void write_cmd(struct tpl_buf *b, const struct berth_template *t, const struct tpl_cmd *cmd)
{
	for (const struct tpl_arg *a = cmd->args; a; a = a->next) {
		if (a != cmd->args)
			tpl_buf_putc(b, ' ');
		if (a->type == TPL_ARG_PIPE)
			tpl_buf_putc(b, '(');
		write_arg(b, t, a);
		if (a->type == TPL_ARG_PIPE)
			tpl_buf_putc(b, ')');
	}
}

static void write_pipe(struct tpl_buf *b, const struct berth_template *t, const struct tpl_pipe *pipe)
{
	for (size_t i = 0; i < pipe->n_decl; i++) {
		if (i > 0)
			tpl_buf_puts(b, ", ");
		tpl_buf_put(b, pipe->decl[i].s, pipe->decl[i].len);
	}
	if (pipe->n_decl > 0)
		tpl_buf_puts(b, " := "); /* also for "=", as Go writes it */
	for (const struct tpl_cmd *c = pipe->cmds; c; c = c->next) {
		if (c != pipe->cmds)
			tpl_buf_puts(b, " | ");
		write_cmd(b, t, c);
	}
}

static int fail(struct exec *x, int code, const char *fmt, ...) BERTH_PRINTF(3, 4);
static int fail(struct exec *x, int code, const char *fmt, ...)
{
	char msg[1024];
	struct tpl_buf node = { 0 };
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->at_arg)
		write_arg(&node, x->t, x->at_arg);
	else if (x->at_cmd)
		write_cmd(&node, x->t, x->at_cmd);
	else if (x->at_pipe)
		write_pipe(&node, x->t, x->at_pipe);
	tpl_position(x->t, x->at_loc, &line, &col);
	/* the node is cut where a long one would crowd out the message */
	int n = node.len > 200 ? 200 : (int) node.len;
	int r = berth_error_set(x->err, code, "template: :%zu:%zu: executing \"\" at <%.*s%s>: %s", line, col, n,
				node.data ? node.data : "", (size_t) n < node.len ? "..." : "", msg);
	tpl_buf_free(&node);
	return r;
}

/* "WHAT NODE", the node written as Go writes it. */
static int fail_with_arg(struct exec *x, const char *what, const struct tpl_arg *a)
{
	struct tpl_buf b = { 0 };
	write_arg(&b, x->t, a);
	int n = b.len > 200 ? 200 : (int) b.len;
	char text[256];
	snprintf(text, sizeof(text), "%.*s%s", n, b.data ? b.data : "", (size_t) n < b.len ? "..." : "");
	tpl_buf_free(&b);
	return fail(x, EINVAL, "%s %s", what, text);
}

static int step(struct exec *x)
{
	if (++x->steps <= x->t->max_steps)
		return 0;
	return fail(x, E2BIG, "template execution exceeded %zu steps", x->t->max_steps);
}

static int out_write(struct exec *x, const char *s, size_t n)
{
	size_t max = x->t->max_output;
	if (n > max - x->written)
		return fail(x, E2BIG, "output exceeds %zu %s", max >= (1 << 20) ? max >> 20 : max,
			    max >= (1 << 20) ? "MiB" : "bytes");
	errno = 0;
	if (n > 0 && fwrite(s, 1, n, x->out) != n)
		return berth_error_sys(x->err, errno ? errno : EIO, "template: write output");
	x->written += n;
	return 0;
}

/* ---- variables ---- */

static int push_var(struct exec *x, struct tpl_str name, json_t *value)
{
	if (x->n_vars == x->cap_vars) {
		size_t cap = x->cap_vars ? x->cap_vars * 2 : 8;
		struct var *v = realloc(x->vars, cap * sizeof(*v));
		if (!v)
			return berth_error_set(x->err, ENOMEM, "template: out of memory");
		x->vars = v;
		x->cap_vars = cap;
	}
	x->vars[x->n_vars++] = (struct var){ name, ref(value) };
	return 0;
}

static void pop_vars(struct exec *x, size_t mark)
{
	while (x->n_vars > mark)
		unref(x->vars[--x->n_vars].value);
}

static struct var *find_var(struct exec *x, struct tpl_str name)
{
	for (size_t i = x->n_vars; i-- > 0;)
		if (x->vars[i].name.len == name.len && memcmp(x->vars[i].name.s, name.s, name.len) == 0)
			return &x->vars[i];
	return NULL;
}

static int set_var(struct exec *x, struct tpl_str name, json_t *value)
{
	struct var *v = find_var(x, name);
	if (!v)
		return fail(x, EINVAL, "undefined variable: %.*s", (int) name.len, name.s);
	json_t *old = v->value;
	v->value = ref(value);
	unref(old);
	return 0;
}

/* ---- evaluation ---- */

static int eval_pipeline(struct exec *x, const struct tpl_pipe *pipe, json_t *dot, json_t **ret);
static int eval_arg(struct exec *x, json_t *dot, enum tpl_param param, const struct tpl_arg *a, json_t **ret);

static int eval_field(struct exec *x, struct tpl_str name, json_t *receiver, bool has_args, json_t **ret)
{
	int n = (int) name.len;
	*ret = NULL;
	if (!receiver) {
		if (x->missingkey_error)
			return fail(x, ENOENT, "nil data; no entry for key \"%.*s\"", n, name.s);
		return 0;
	}
	if (json_is_null(receiver))
		return fail(x, EINVAL, "nil pointer evaluating interface {}.%.*s", n, name.s);
	if (!json_is_object(receiver))
		return fail(x, EINVAL, "can't evaluate field %.*s in type %s", n, name.s, tpl_type_name(receiver));
	if (has_args)
		return fail(x, EINVAL, "%.*s is not a method but has arguments", n, name.s);
	json_t *v = json_object_getn(receiver, name.s, name.len);
	if (!v && x->missingkey_error)
		return fail(x, ENOENT, "map has no entry for key \"%.*s\"", n, name.s);
	*ret = ref(v);
	return 0;
}

static int eval_field_chain(struct exec *x, json_t *receiver, const struct tpl_arg *a, bool has_args, json_t **ret)
{
	json_t *cur = ref(receiver);
	for (size_t i = 0; i < a->n_fields; i++) {
		json_t *next;
		int r = eval_field(x, a->fields[i], cur, has_args && i + 1 == a->n_fields, &next);
		unref(cur);
		if (r < 0)
			return r;
		cur = next;
	}
	*ret = cur;
	return 0;
}

static bool has_args(const struct tpl_cmd *cmd, struct final final)
{
	return (cmd && cmd->n_args > 1) || final.present;
}

static int not_a_function(struct exec *x, const struct tpl_cmd *cmd, struct final final)
{
	if (!has_args(cmd, final))
		return 0;
	return fail_with_arg(x, "can't give argument to non-function", cmd->args);
}

/* Check a value against a parameter type as Go's validateType does;
 * takes the reference v. */
static int validate(struct exec *x, json_t *v, enum tpl_param param, json_t **ret)
{
	bool ok = true;
	*ret = NULL;
	switch (param) {
	case TPL_P_VALUE:
	case TPL_P_ANY:
		if (v && json_is_null(v)) { /* both forms of nil reach functions as nil */
			unref(v);
			v = NULL;
		}
		break;
	case TPL_P_UNTYPED:
		break;
	case TPL_P_STRING:
		ok = v && json_is_string(v);
		break;
	case TPL_P_INT:
		ok = v && json_is_integer(v);
		break;
	case TPL_P_STRV:
		ok = !v || json_is_array(v);
		for (size_t i = 0; ok && i < json_array_size(v); i++)
			ok = json_is_string(json_array_get(v, i));
		break;
	}
	if (ok) {
		*ret = v;
		return 0;
	}
	const char *type = tpl_type_name(v);
	const char *want = tpl_param_name(param);
	unref(v);
	if (!v)
		return fail(x, EINVAL, "invalid value; expected %s", want);
	return fail(x, EINVAL, "wrong type for value; expected %s; got %s", want, type);
}

/* A literal argument: its type comes from the parameter (Go's evalArg). */
static int eval_literal(struct exec *x, enum tpl_param param, const struct tpl_arg *a, json_t **ret)
{
	int n = (int) a->len;
	const char *s = x->t->text + a->pos;
	*ret = NULL;
	switch (param) {
	case TPL_P_STRING:
		if (a->type != TPL_ARG_STRING)
			return fail(x, EINVAL, "expected string; found %.*s", n, s);
		*ret = ref(a->value);
		return 0;
	case TPL_P_INT:
		if (a->type != TPL_ARG_NUMBER || !a->num.is_int)
			return fail(x, EINVAL, "expected integer; found %.*s", n, s);
		*ret = json_integer(a->num.i);
		return *ret ? 0 : fail(x, ENOMEM, "out of memory");
	case TPL_P_STRV:
		return fail(x, EINVAL, "can't handle %.*s for arg of type []string", n, s);
	default:
		break;
	}
	if (a->type == TPL_ARG_NUMBER) {
		if (a->num.is_complex)
			return fail(x, EINVAL, "complex numbers are not supported: %.*s", n, s);
		if (!a->num.ideal)
			return fail(x, ERANGE, "%.*s overflows int", n, s);
		*ret = ref(a->num.ideal);
		return 0;
	}
	*ret = ref(a->value); /* BOOL, STRING */
	return 0;
}

static int eval_and_or(struct exec *x, json_t *dot, const struct tpl_arg *args, bool is_or, struct final final,
		       json_t **ret)
{
	json_t *v = NULL;
	for (const struct tpl_arg *a = args; a; a = a->next) {
		unref(v);
		int r = eval_arg(x, dot, TPL_P_VALUE, a, &v);
		if (r < 0)
			return r;
		if (tpl_truth(v) == is_or) { /* Go short-circuits since 1.18 */
			*ret = v;
			return 0;
		}
	}
	if (final.present) {
		unref(v);
		v = final.value && !json_is_null(final.value) ? ref(final.value) : NULL;
	}
	*ret = v;
	return 0;
}

static int call_function(struct exec *x, const struct tpl_func *f, json_t **argv, size_t argc,
			 const struct tpl_arg *a, const struct tpl_cmd *cmd, json_t **ret)
{
	struct tpl_call c = { .argv = argv, .argc = argc, .budget = &x->budget, .budget_max = x->t->max_alloc,
			      .sorted = x->sorted };
	int r = step(x);
	if (r == 0)
		r = f->fn(&c);
	if (r < 0) {
		if (cmd)
			at_cmd(x, cmd);
		else
			at_arg(x, a);
		return fail(x, -r, "error calling %s: %s", f->name, c.msg);
	}
	*ret = c.ret;
	return 0;
}

static int eval_function(struct exec *x, json_t *dot, const struct tpl_arg *a, const struct tpl_cmd *cmd,
			 struct final final, json_t **ret)
{
	const struct tpl_func *f = tpl_func_get(a->func, x->header);
	const struct tpl_arg *args = cmd ? cmd->args->next : NULL;
	size_t nargs = cmd ? cmd->n_args - 1 : 0, num_in = nargs + final.present, i = 0;
	int r = 0;

	at_arg(x, a);
	*ret = NULL;
	if (f->variadic && num_in < f->n_params - 1)
		return fail(x, EINVAL, "wrong number of args for %s: want at least %zu got %zu", f->name,
			    f->n_params - 1, nargs);
	if (!f->variadic && num_in != f->n_params)
		return fail(x, EINVAL, "wrong number of args for %s: want %zu got %zu", f->name, f->n_params, num_in);
	if (a->func == TPL_FUNC_AND || a->func == TPL_FUNC_OR)
		return eval_and_or(x, dot, args, a->func == TPL_FUNC_OR, final, ret);

	json_t **argv = calloc(num_in ? num_in : 1, sizeof(*argv));
	if (!argv)
		return fail(x, ENOMEM, "out of memory");
	for (; r == 0 && args; args = args->next, i++)
		r = eval_arg(x, dot, f->params[i < f->n_params ? i : f->n_params - 1], args, &argv[i]);
	/* A bad final argument is reported where Go reports it: at the last
	 * argument evaluated, or the function name when there is none. */
	if (r == 0 && final.present)
		r = validate(x, ref(final.value), f->params[i < f->n_params ? i : f->n_params - 1], &argv[i]);
	if (r == 0)
		r = call_function(x, f, argv, num_in, a, cmd, ret);
	for (size_t k = 0; k < num_in; k++)
		unref(argv[k]);
	free(argv);
	return r;
}

static int eval_variable(struct exec *x, const struct tpl_arg *a, const struct tpl_cmd *cmd, struct final final,
			 json_t **ret)
{
	at_arg(x, a);
	*ret = NULL;
	struct var *v = find_var(x, a->name);
	if (!v)
		return fail(x, EINVAL, "undefined variable: %.*s", (int) a->name.len, a->name.s);
	if (a->n_fields == 0) {
		int r = not_a_function(x, cmd, final);
		if (r == 0)
			*ret = ref(v->value);
		return r;
	}
	return eval_field_chain(x, v->value, a, has_args(cmd, final), ret);
}

/* (pipeline).Field */
static int eval_chain(struct exec *x, json_t *dot, const struct tpl_arg *a, const struct tpl_cmd *cmd,
		      struct final final, json_t **ret)
{
	json_t *base;
	at_arg(x, a);
	*ret = NULL;
	if (a->base->type == TPL_ARG_NIL)
		return fail_with_arg(x, "indirection through explicit nil in", a);
	/* Go reports a bad field of the chain at its base */
	int r = eval_arg(x, dot, TPL_P_UNTYPED, a->base, &base);
	if (r < 0)
		return r;
	r = eval_field_chain(x, base, a, has_args(cmd, final), ret);
	unref(base);
	return r;
}

static int eval_arg(struct exec *x, json_t *dot, enum tpl_param param, const struct tpl_arg *a, json_t **ret)
{
	json_t *v = NULL;
	int r;

	at_arg(x, a);
	*ret = NULL;
	switch (a->type) {
	case TPL_ARG_DOT:
		return validate(x, ref(dot), param, ret);
	case TPL_ARG_NIL:
		/* nil is a zero reflect.Value, a nil interface{} or []string */
		if (param != TPL_P_STRING && param != TPL_P_INT)
			return 0;
		return fail(x, EINVAL, "cannot assign nil to %s", tpl_param_name(param));
	case TPL_ARG_FIELD:
		r = eval_field_chain(x, dot, a, false, &v);
		break;
	case TPL_ARG_VARIABLE:
		r = eval_variable(x, a, NULL, no_final, &v);
		break;
	case TPL_ARG_PIPE:
		r = eval_pipeline(x, a->pipe, dot, &v);
		break;
	case TPL_ARG_FUNC:
		r = eval_function(x, dot, a, NULL, no_final, &v);
		break;
	case TPL_ARG_CHAIN:
		r = eval_chain(x, dot, a, NULL, no_final, &v);
		break;
	default:
		return eval_literal(x, param, a, ret);
	}
	if (r < 0)
		return r;
	/* Go reports a value of the wrong type at the last node evaluated,
	 * which for (pipeline) is inside it, so the position is left as is. */
	return validate(x, v, param, ret);
}

static int eval_command(struct exec *x, json_t *dot, const struct tpl_cmd *cmd, struct final final, json_t **ret)
{
	const struct tpl_arg *a = cmd->args;
	int r;

	*ret = NULL;
	switch (a->type) {
	case TPL_ARG_FIELD:
		at_arg(x, a);
		return eval_field_chain(x, dot, a, has_args(cmd, final), ret);
	case TPL_ARG_CHAIN:
		return eval_chain(x, dot, a, cmd, final, ret);
	case TPL_ARG_FUNC:
		return eval_function(x, dot, a, cmd, final, ret);
	case TPL_ARG_VARIABLE:
		return eval_variable(x, a, cmd, final, ret);
	default:
		break;
	}
	if (a->type != TPL_ARG_PIPE) /* Go reports (pipeline) 1 where it was */
		at_arg(x, a);
	if ((r = not_a_function(x, cmd, final)) < 0)
		return r;
	switch (a->type) {
	case TPL_ARG_PIPE:
		return eval_pipeline(x, a->pipe, dot, ret);
	case TPL_ARG_DOT:
		*ret = ref(dot);
		return 0;
	case TPL_ARG_NIL:
		return fail(x, EINVAL, "nil is not a command");
	default:
		return eval_literal(x, TPL_P_ANY, a, ret);
	}
}

static int eval_pipeline(struct exec *x, const struct tpl_pipe *pipe, json_t *dot, json_t **ret)
{
	struct final final = no_final;
	int r;

	at_pipe(x, pipe);
	*ret = NULL;
	if ((r = step(x)) < 0)
		return r;
	for (const struct tpl_cmd *cmd = pipe->cmds; cmd; cmd = cmd->next) {
		json_t *v;
		r = eval_command(x, dot, cmd, final, &v);
		unref(final.value);
		final.value = NULL;
		if (r < 0)
			return r;
		if (v && json_is_null(v)) { /* Go digs into interface{}: nil is no value */
			unref(v);
			v = NULL;
		}
		final = (struct final){ v, true };
	}
	for (size_t i = 0; i < pipe->n_decl && r == 0; i++)
		r = pipe->is_assign ? set_var(x, pipe->decl[i], final.value) : push_var(x, pipe->decl[i], final.value);
	if (r < 0) {
		unref(final.value);
		return r;
	}
	*ret = final.value;
	return 0;
}

/* ---- walking the tree ---- */

static int walk_list(struct exec *x, const struct tpl_node *node, json_t *dot);

static int print_value(struct exec *x, const struct tpl_pipe *pipe, json_t *v)
{
	struct tpl_buf b = { 0 };
	int r;
	if (!v)
		return out_write(x, "<no value>", 10);
	tpl_fmt_sprint(&b, &v, 1, false);
	at_pipe(x, pipe);
	if (b.state != TPL_BUF_OK)
		r = fail(x, tpl_buf_errno(&b), "%s", tpl_buf_strerror(&b));
	else
		r = out_write(x, b.data ? b.data : "", b.len);
	tpl_buf_free(&b);
	return r;
}

static int walk_if_with(struct exec *x, const struct tpl_node *node, json_t *dot)
{
	size_t mark = x->n_vars;
	json_t *v;
	int r = eval_pipeline(x, node->pipe, dot, &v);
	if (r == 0) {
		if (tpl_truth(v))
			r = walk_list(x, node->list, node->type == TPL_NODE_WITH ? v : dot);
		else
			r = walk_list(x, node->else_list, dot);
	}
	pop_vars(x, mark);
	unref(v);
	return r;
}

/* One turn of a range: the variables get the key and the element. */
static int range_turn(struct exec *x, const struct tpl_node *node, size_t mark, json_t *index, json_t *elem)
{
	const struct tpl_pipe *pipe = node->pipe;
	int r = index ? step(x) : berth_error_set(x->err, ENOMEM, "template: out of memory");
	if (r == 0 && pipe->n_decl > 0) {
		if (pipe->is_assign) {
			r = set_var(x, pipe->decl[pipe->n_decl - 1], elem);
			if (r == 0 && pipe->n_decl > 1)
				r = set_var(x, pipe->decl[0], index);
		} else {
			json_t *old = x->vars[mark - 1].value;
			x->vars[mark - 1].value = ref(elem);
			unref(old);
			if (pipe->n_decl > 1) {
				old = x->vars[mark - 2].value;
				x->vars[mark - 2].value = ref(index);
				unref(old);
			}
		}
	}
	if (r == 0)
		r = walk_list(x, node->list, elem);
	pop_vars(x, mark);
	unref(index);
	return r == FLOW_CONTINUE ? 0 : r;
}

static int range_object(struct exec *x, const struct tpl_node *node, size_t mark, json_t *obj)
{
	struct tpl_member *m;
	size_t n;
	int r = 0;
	if (tpl_object_members(obj, true, &m, &n) < 0)
		return berth_error_set(x->err, ENOMEM, "template: out of memory");
	for (size_t i = 0; i < n && r == 0; i++)
		r = range_turn(x, node, mark, json_stringn_nocheck(m[i].key, m[i].key_len), m[i].value);
	free(m);
	return r;
}

/* Go 1.24 ranges over an integer n: dot is 0 .. n-1, one variable at most. */
static int range_int(struct exec *x, const struct tpl_node *node, json_t *v, bool *empty)
{
	json_int_t n = json_integer_value(v);
	int r = 0;
	if (node->pipe->n_decl > 1) {
		struct tpl_buf b = { 0 };
		tpl_fmt_sprint(&b, &v, 1, false);
		r = fail(x, EINVAL, "can't use %s to iterate over more than one variable", b.data ? b.data : "");
		tpl_buf_free(&b);
		return r;
	}
	*empty = n <= 0;
	for (json_int_t i = 0; i < n && r == 0; i++) {
		json_t *elem = json_integer(i);
		/* the element doubles as the index no variable receives */
		r = elem ? range_turn(x, node, x->n_vars, ref(elem), elem)
			 : berth_error_set(x->err, ENOMEM, "template: out of memory");
		unref(elem);
	}
	return r;
}

static int walk_range(struct exec *x, const struct tpl_node *node, json_t *dot)
{
	size_t mark0 = x->n_vars;
	json_t *v;
	int r = eval_pipeline(x, node->pipe, dot, &v);
	bool empty = true;

	if (r == 0 && json_is_array(v) && json_array_size(v) > 0) {
		empty = false;
		for (size_t i = 0; i < json_array_size(v) && r == 0; i++)
			r = range_turn(x, node, x->n_vars, json_integer((json_int_t) i), json_array_get(v, i));
	} else if (r == 0 && json_is_object(v) && json_object_size(v) > 0) {
		empty = false;
		r = range_object(x, node, x->n_vars, v);
	} else if (r == 0 && json_is_integer(v)) {
		r = range_int(x, node, v, &empty);
	} else if (r == 0 && v && !json_is_array(v) && !json_is_object(v)) {
		struct tpl_buf b = { 0 };
		tpl_fmt_sprint(&b, &v, 1, false);
		r = fail(x, EINVAL, "range can't iterate over %s", b.data ? b.data : "");
		tpl_buf_free(&b);
	}
	if (r == FLOW_BREAK)
		r = 0;
	if (r == 0 && empty)
		r = walk_list(x, node->else_list, dot);
	pop_vars(x, mark0);
	unref(v);
	return r;
}

static int walk(struct exec *x, const struct tpl_node *node, json_t *dot)
{
	int r = step(x);
	if (r < 0)
		return r;
	switch (node->type) {
	case TPL_NODE_TEXT:
		return out_write(x, node->text.s, node->text.len);
	case TPL_NODE_ACTION: {
		json_t *v;
		/* variables declared here live until the enclosing {{end}} */
		r = eval_pipeline(x, node->pipe, dot, &v);
		if (r == 0 && node->pipe->n_decl == 0)
			r = print_value(x, node->pipe, v);
		unref(v);
		return r;
	}
	case TPL_NODE_IF:
	case TPL_NODE_WITH:
		return walk_if_with(x, node, dot);
	case TPL_NODE_RANGE:
		return walk_range(x, node, dot);
	case TPL_NODE_BREAK:
		return FLOW_BREAK;
	case TPL_NODE_CONTINUE:
		return FLOW_CONTINUE;
	}
	return 0;
}

static int walk_list(struct exec *x, const struct tpl_node *node, json_t *dot)
{
	for (; node; node = node->next) {
		int r = walk(x, node, dot);
		if (r != 0)
			return r;
	}
	return 0;
}

int tpl_execute(const struct berth_template *t, json_t *data, FILE *out, enum tpl_mode mode,
		struct berth_error *err)
{
	bool header = mode == TPL_MODE_HEADER;
	struct exec x = { .t = t, .out = out, .header = header, .sorted = mode == TPL_MODE_ROW,
			  .budget = t->max_alloc, .err = err };
	/* a header is a map of titles: a field without one is not an error */
	x.missingkey_error = t->missingkey_error && !header;
	if (data && json_is_null(data))
		data = NULL; /* Execute(w, nil): no data at all */
	int r = push_var(&x, (struct tpl_str){ "$", 1 }, data);
	if (r == 0)
		r = walk_list(&x, t->root, data);
	pop_vars(&x, 0);
	free(x.vars);
	return r < 0 ? r : 0;
}
