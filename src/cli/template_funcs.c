/* The functions a template can call: Go's builtins (and, or, not, len,
 * index, slice, print, printf, println, html, js, urlquery, eq, ne, lt, le,
 * gt, ge) and docker's (json, split, join, title, lower, upper, pad,
 * truncate), with the arguments and error messages Go gives.  Arguments
 * arrive checked against the parameter types by the executor; a nil value
 * (a missing key or JSON null) is NULL. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

static int call_fail(struct tpl_call *c, int code, const char *fmt, ...) BERTH_PRINTF(3, 4);
static int call_fail(struct tpl_call *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return -code;
}

bool tpl_charge(size_t *budget, size_t bytes)
{
	if (bytes > *budget)
		return false;
	*budget -= bytes;
	return true;
}

static int charge(struct tpl_call *c, size_t bytes)
{
	if (tpl_charge(c->budget, bytes))
		return 0;
	size_t max = c->budget_max;
	return call_fail(c, E2BIG, "values made by the template exceed %zu %s", max >= (1 << 20) ? max >> 20 : max,
			 max >= (1 << 20) ? "MiB" : "bytes");
}

static int ret_new(struct tpl_call *c, json_t *v)
{
	if (!v)
		return call_fail(c, ENOMEM, "out of memory");
	c->ret = v;
	return 0;
}

/* Take the buffer's contents as the string result. */
static int ret_buf(struct tpl_call *c, struct tpl_buf *b)
{
	int r = 0;
	if (b->state != TPL_BUF_OK)
		r = call_fail(c, tpl_buf_errno(b), "%s", tpl_buf_strerror(b));
	else if ((r = charge(c, b->len + 64)) == 0)
		r = ret_new(c, json_stringn_nocheck(b->data ? b->data : "", b->len));
	tpl_buf_free(b);
	return r;
}

static const char *str(const json_t *v)
{
	return json_string_value(v);
}

static size_t len_of(const json_t *v)
{
	return json_string_length(v);
}

/* ---- Go builtins ---- */

static int fn_not(struct tpl_call *c)
{
	return ret_new(c, json_boolean(!tpl_truth(c->argv[0])));
}

static int fn_len(struct tpl_call *c)
{
	json_t *v = c->argv[0];
	if (!v)
		return call_fail(c, EINVAL, "len of nil pointer");
	if (json_is_string(v))
		return ret_new(c, json_integer((json_int_t) len_of(v)));
	if (json_is_array(v))
		return ret_new(c, json_integer((json_int_t) json_array_size(v)));
	if (json_is_object(v))
		return ret_new(c, json_integer((json_int_t) json_object_size(v)));
	return call_fail(c, EINVAL, "len of type %s", tpl_type_name(v));
}

static int index_arg(struct tpl_call *c, const json_t *index, size_t cap, size_t *ret)
{
	if (!index)
		return call_fail(c, EINVAL, "cannot index slice/array with nil");
	if (!json_is_integer(index))
		return call_fail(c, EINVAL, "cannot index slice/array with type %s", tpl_type_name(index));
	json_int_t x = json_integer_value(index);
	if (x < 0 || (uint64_t) x > cap)
		return call_fail(c, EINVAL, "index out of range: %" JSON_INTEGER_FORMAT, x);
	*ret = (size_t) x;
	return 0;
}

static int fn_index(struct tpl_call *c)
{
	json_t *item = c->argv[0];
	if (!item)
		return call_fail(c, EINVAL, "index of untyped nil");
	for (size_t i = 1; i < c->argc; i++) {
		json_t *index = c->argv[i];
		size_t x = 0;
		int r;
		if (json_is_null(item))
			return call_fail(c, EINVAL, "index of nil pointer");
		if (json_is_array(item) || json_is_string(item)) {
			bool s = json_is_string(item);
			size_t n = s ? len_of(item) : json_array_size(item);
			if ((r = index_arg(c, index, n, &x)) < 0)
				return r;
			if (x == n) /* Go's check lets len through; reflect then panics */
				return call_fail(c, EINVAL, "reflect: %s index out of range", s ? "string" : "slice");
			if (!s) {
				item = json_array_get(item, x);
				continue;
			}
			if (i + 1 < c->argc)
				return call_fail(c, EINVAL, "can't index item of type uint8");
			return ret_new(c, json_integer((unsigned char) str(item)[x]));
		}
		if (!json_is_object(item))
			return call_fail(c, EINVAL, "can't index item of type %s", tpl_type_name(item));
		if (!index)
			return call_fail(c, EINVAL, "value is nil; should be of type string");
		if (!json_is_string(index))
			return call_fail(c, EINVAL, "value has type %s; should be string", tpl_type_name(index));
		item = json_object_getn(item, str(index), len_of(index));
		if (!item)
			item = json_null(); /* the map's zero value: a nil interface */
	}
	c->ret = json_incref(item);
	return 0;
}

static int fn_slice(struct tpl_call *c)
{
	json_t *item = c->argv[0];
	size_t n_idx = c->argc - 1, idx[3] = { 0, 0, 0 }, cap;
	int r;

	if (!item)
		return call_fail(c, EINVAL, "slice of untyped nil");
	if (n_idx > 3)
		return call_fail(c, EINVAL, "too many slice indexes: %zu", n_idx);
	if (json_is_string(item)) {
		if (n_idx == 3)
			return call_fail(c, EINVAL, "cannot 3-index slice a string");
		cap = len_of(item);
	} else if (json_is_array(item)) {
		cap = json_array_size(item);
	} else {
		return call_fail(c, EINVAL, "can't slice item of type %s", tpl_type_name(item));
	}
	idx[1] = cap;
	for (size_t i = 0; i < n_idx; i++)
		if ((r = index_arg(c, c->argv[i + 1], cap, &idx[i])) < 0)
			return r;
	if (idx[0] > idx[1])
		return call_fail(c, EINVAL, "invalid slice index: %zu > %zu", idx[0], idx[1]);
	if (n_idx == 3 && idx[1] > idx[2])
		return call_fail(c, EINVAL, "invalid slice index: %zu > %zu", idx[1], idx[2]);
	if ((r = charge(c, (idx[1] - idx[0]) * 16 + 64)) < 0)
		return r;
	if (json_is_string(item))
		return ret_new(c, json_stringn_nocheck(str(item) + idx[0], idx[1] - idx[0]));
	json_t *a = json_array();
	for (size_t i = idx[0]; a && i < idx[1]; i++)
		if (json_array_append(a, json_array_get(item, i)) < 0) {
			json_decref(a);
			a = NULL;
		}
	return ret_new(c, a);
}

static int fn_print(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	tpl_fmt_sprint(&b, c->argv, c->argc, false);
	return ret_buf(c, &b);
}

static int fn_println(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	tpl_fmt_sprint(&b, c->argv, c->argc, true);
	return ret_buf(c, &b);
}

static int fn_printf(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	tpl_fmt_sprintf(&b, str(c->argv[0]), len_of(c->argv[0]), c->argv + 1, c->argc - 1);
	return ret_buf(c, &b);
}

/* ---- comparisons ---- */

enum kind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

static enum kind basic_kind(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
	case JSON_FALSE: return K_BOOL;
	case JSON_INTEGER: return K_INT;
	case JSON_REAL: return K_FLOAT;
	case JSON_STRING: return K_STRING;
	default: return K_INVALID;
	}
}

/* An int against a float64, exactly (a cast would round large ints);
 * 2 when f is NaN, which is unordered. */
static int int_float_cmp(json_int_t i, double f)
{
	if (isnan(f))
		return 2;
	if (f >= 0x1p63)
		return -1;
	if (f < -0x1p63)
		return 1;
	json_int_t t = (json_int_t) f; /* in range: truncates toward zero */
	if (i != t)
		return i < t ? -1 : 1;
	double frac = f - (double) t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* JSON does not keep Go's types: docker's float64 fields arrive as
 * integers when their value is whole ("2", not "2.0"), so an int and a
 * float64 compare as numbers where Go would refuse the mix. */
static bool mixed_numbers(enum kind k1, enum kind k2)
{
	return (k1 == K_INT && k2 == K_FLOAT) || (k1 == K_FLOAT && k2 == K_INT);
}

static int number_cmp(const json_t *a, const json_t *b)
{
	if (json_is_integer(a))
		return int_float_cmp(json_integer_value(a), json_real_value(b));
	int c = int_float_cmp(json_integer_value(b), json_real_value(a));
	return c == 2 ? 2 : -c;
}

static int str_cmp(const json_t *a, const json_t *b)
{
	size_t na = len_of(a), nb = len_of(b);
	int r = memcmp(str(a), str(b), na < nb ? na : nb);
	return r != 0 ? r : na < nb ? -1 : na > nb;
}

/* Go's messages show the values, formatted with %s and %v. */
static int not_comparable(struct tpl_call *c, const json_t *a, const json_t *b)
{
	struct tpl_buf sa = { 0 }, sb = { 0 };
	json_t *va = (json_t *) a, *vb = (json_t *) b;
	int r;
	tpl_fmt_sprintf(&sb, "%s", 2, &vb, 1);
	if (json_typeof(a) != json_typeof(b)) {
		tpl_fmt_sprintf(&sa, "%s", 2, &va, 1);
		tpl_buf_free(&sb);
		tpl_fmt_sprintf(&sb, "%v", 2, &vb, 1);
		r = call_fail(c, EINVAL, "non-comparable types %s: %s, %s: %s", sa.data ? sa.data : "",
			      tpl_type_name(a), tpl_type_name(b), sb.data ? sb.data : "");
	} else {
		r = call_fail(c, EINVAL, "non-comparable type %s: %s", sb.data ? sb.data : "", tpl_type_name(b));
	}
	tpl_buf_free(&sa);
	tpl_buf_free(&sb);
	return r;
}

static int equal(struct tpl_call *c, const json_t *a, const json_t *b, bool *ret)
{
	enum kind k1 = basic_kind(a), k2 = basic_kind(b);
	*ret = false;
	if (mixed_numbers(k1, k2)) {
		*ret = number_cmp(a, b) == 0;
		return 0;
	}
	if (k1 != k2) {
		if (a && b)
			return call_fail(c, EINVAL, "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case K_BOOL: *ret = json_is_true(a) == json_is_true(b); break;
	case K_INT: *ret = json_integer_value(a) == json_integer_value(b); break;
	case K_FLOAT: *ret = json_real_value(a) == json_real_value(b); break;
	case K_STRING: *ret = str_cmp(a, b) == 0; break;
	case K_INVALID:
		/* nil equals only nil; slices and maps are not comparable */
		if (a && b)
			return not_comparable(c, a, b);
		*ret = !a && !b;
		break;
	}
	return 0;
}

static int fn_eq(struct tpl_call *c)
{
	if (c->argc < 2)
		return call_fail(c, EINVAL, "missing argument for comparison");
	for (size_t i = 1; i < c->argc; i++) {
		bool t;
		int r = equal(c, c->argv[0], c->argv[i], &t);
		if (r < 0)
			return r;
		if (t)
			return ret_new(c, json_true());
	}
	return ret_new(c, json_false());
}

static int fn_ne(struct tpl_call *c)
{
	bool t = false;
	int r = equal(c, c->argv[0], c->argv[1], &t);
	return r < 0 ? r : ret_new(c, json_boolean(!t));
}

static int less(struct tpl_call *c, const json_t *a, const json_t *b, bool *ret)
{
	enum kind k1 = basic_kind(a), k2 = basic_kind(b);
	if (k1 == K_INVALID || k2 == K_INVALID)
		return call_fail(c, EINVAL, "invalid type for comparison");
	if (mixed_numbers(k1, k2)) {
		*ret = number_cmp(a, b) == -1;
		return 0;
	}
	if (k1 != k2)
		return call_fail(c, EINVAL, "incompatible types for comparison");
	switch (k1) {
	case K_INT: *ret = json_integer_value(a) < json_integer_value(b); break;
	case K_FLOAT: *ret = json_real_value(a) < json_real_value(b); break;
	case K_STRING: *ret = str_cmp(a, b) < 0; break;
	default: return call_fail(c, EINVAL, "invalid type for comparison");
	}
	return 0;
}

static int less_equal(struct tpl_call *c, bool *ret)
{
	int r = less(c, c->argv[0], c->argv[1], ret);
	if (r < 0 || *ret)
		return r;
	return equal(c, c->argv[0], c->argv[1], ret);
}

static int fn_lt(struct tpl_call *c)
{
	bool t = false;
	int r = less(c, c->argv[0], c->argv[1], &t);
	return r < 0 ? r : ret_new(c, json_boolean(t));
}

static int fn_le(struct tpl_call *c)
{
	bool t = false;
	int r = less_equal(c, &t);
	return r < 0 ? r : ret_new(c, json_boolean(t));
}

static int fn_gt(struct tpl_call *c)
{
	bool t = false;
	int r = less_equal(c, &t);
	return r < 0 ? r : ret_new(c, json_boolean(!t));
}

static int fn_ge(struct tpl_call *c)
{
	bool t = false;
	int r = less(c, c->argv[0], c->argv[1], &t);
	return r < 0 ? r : ret_new(c, json_boolean(!t));
}

/* ---- escapers: one string argument as is, otherwise fmt.Sprint ----
 *
 * Go turns each nil argument into the text "<no value>" first (it prints
 * the invalid value an escaper is handed as an action would), and Sprint
 * then spaces it as the string it has become. */

static void escaper_input(struct tpl_call *c, struct tpl_buf *in)
{
	if (c->argc == 1 && json_is_string(c->argv[0])) {
		tpl_buf_put(in, str(c->argv[0]), len_of(c->argv[0]));
		return;
	}
	json_t *no_value = json_string("<no value>");
	json_t **args = calloc(c->argc ? c->argc : 1, sizeof(*args));
	if (!no_value || !args) {
		in->state = TPL_BUF_NOMEM;
	} else {
		for (size_t i = 0; i < c->argc; i++)
			args[i] = c->argv[i] ? c->argv[i] : no_value;
		tpl_fmt_sprint(in, args, c->argc, false);
	}
	free(args);
	if (no_value)
		json_decref(no_value);
}

static int fn_html(struct tpl_call *c)
{
	struct tpl_buf in = { 0 }, out = { 0 };
	escaper_input(c, &in);
	for (size_t i = 0; i < in.len; i++) {
		switch (in.data[i]) {
		case '"': tpl_buf_puts(&out, "&#34;"); break;
		case '\'': tpl_buf_puts(&out, "&#39;"); break;
		case '&': tpl_buf_puts(&out, "&amp;"); break;
		case '<': tpl_buf_puts(&out, "&lt;"); break;
		case '>': tpl_buf_puts(&out, "&gt;"); break;
		case '\0': tpl_utf8_put(&out, TPL_RUNE_ERROR); break;
		default: tpl_buf_putc(&out, in.data[i]); break;
		}
	}
	if (in.state != TPL_BUF_OK)
		out.state = in.state;
	tpl_buf_free(&in);
	return ret_buf(c, &out);
}

static int fn_js(struct tpl_call *c)
{
	struct tpl_buf in = { 0 }, out = { 0 };
	escaper_input(c, &in);
	for (size_t i = 0; i < in.len;) {
		unsigned char ch = (unsigned char) in.data[i];
		if (ch >= 0x80) {
			uint32_t r;
			size_t w = tpl_utf8_decode(in.data + i, in.len - i, &r);
			if (tpl_rune_is_print(r))
				tpl_buf_put(&out, in.data + i, w);
			else
				tpl_buf_printf(&out, "\\u%04X", (unsigned) r);
			i += w;
			continue;
		}
		const char *esc = NULL;
		switch (ch) {
		case '\\': esc = "\\\\"; break;
		case '\'': esc = "\\'"; break;
		case '"': esc = "\\\""; break;
		case '<': esc = "\\u003C"; break;
		case '>': esc = "\\u003E"; break;
		case '&': esc = "\\u0026"; break;
		case '=': esc = "\\u003D"; break;
		default: break;
		}
		if (esc)
			tpl_buf_puts(&out, esc);
		else if (ch < ' ')
			tpl_buf_printf(&out, "\\u00%02X", ch);
		else
			tpl_buf_putc(&out, (char) ch);
		i++;
	}
	if (in.state != TPL_BUF_OK)
		out.state = in.state;
	tpl_buf_free(&in);
	return ret_buf(c, &out);
}

static int fn_urlquery(struct tpl_call *c)
{
	struct tpl_buf in = { 0 }, out = { 0 };
	escaper_input(c, &in);
	for (size_t i = 0; i < in.len; i++) {
		unsigned char ch = (unsigned char) in.data[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    (ch != '\0' && strchr("-_.~", ch) != NULL))
			tpl_buf_putc(&out, (char) ch);
		else if (ch == ' ')
			tpl_buf_putc(&out, '+');
		else
			tpl_buf_printf(&out, "%%%02X", ch);
	}
	if (in.state != TPL_BUF_OK)
		out.state = in.state;
	tpl_buf_free(&in);
	return ret_buf(c, &out);
}

/* ---- docker's functions ---- */

static int fn_json(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	tpl_json_encode(&b, c->argv[0], c->sorted, 0);
	return ret_buf(c, &b);
}

/* strings.Split: "" splits into characters; a missing separator gives one
 * element. */
static int fn_split(struct tpl_call *c)
{
	const char *s = str(c->argv[0]), *sep = str(c->argv[1]);
	size_t n = len_of(c->argv[0]), sn = len_of(c->argv[1]), parts = 1;
	uint32_t r;
	int rc;

	if (sn == 0)
		parts = tpl_utf8_count(s, n);
	else
		for (const char *p = s; (p = memmem(p, n - (size_t) (p - s), sep, sn)); p += sn)
			parts++;
	if ((rc = charge(c, parts * 64 + n)) < 0)
		return rc;
	json_t *a = json_array();
	size_t i = 0;
	while (a && parts-- > 0) {
		size_t w;
		if (sn == 0) {
			w = tpl_utf8_decode(s + i, n - i, &r);
		} else {
			const char *p = parts ? memmem(s + i, n - i, sep, sn) : NULL;
			w = p ? (size_t) (p - (s + i)) : n - i;
		}
		if (json_array_append_new(a, json_stringn_nocheck(s + i, w)) < 0) {
			json_decref(a);
			a = NULL;
		}
		i += w + sn;
	}
	return ret_new(c, a);
}

static int fn_join(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	json_t *list = c->argv[0];
	for (size_t i = 0; i < json_array_size(list); i++) {
		if (i > 0)
			tpl_buf_put(&b, str(c->argv[1]), len_of(c->argv[1]));
		json_t *e = json_array_get(list, i);
		tpl_buf_put(&b, str(e), len_of(e));
	}
	return ret_buf(c, &b);
}

enum case_op { CASE_LOWER, CASE_UPPER, CASE_TITLE };

/* strings.Map with a case mapping; invalid bytes become U+FFFD, as Go's. */
static int map_case(struct tpl_call *c, enum case_op op)
{
	struct tpl_buf b = { 0 };
	const char *s = str(c->argv[0]);
	size_t n = len_of(c->argv[0]);
	uint32_t prev = ' ';
	for (size_t i = 0; i < n;) {
		uint32_t r;
		i += tpl_utf8_decode(s + i, n - i, &r);
		uint32_t out = r;
		if (op == CASE_LOWER) {
			out = tpl_rune_lower(r);
		} else if (op == CASE_UPPER) {
			out = tpl_rune_upper(r);
		} else {
			/* strings.Title: a letter after a separator is capitalised */
			bool sep = prev < 0x80 ? !(prev == '_' || (prev >= '0' && prev <= '9') ||
						   ((prev | 0x20) >= 'a' && (prev | 0x20) <= 'z'))
					       : tpl_rune_is_space(prev);
			if (sep)
				out = tpl_rune_title(r);
			prev = r;
		}
		tpl_utf8_put(&b, out);
	}
	return ret_buf(c, &b);
}

static int fn_lower(struct tpl_call *c)
{
	return map_case(c, CASE_LOWER);
}

static int fn_upper(struct tpl_call *c)
{
	return map_case(c, CASE_UPPER);
}

static int fn_title(struct tpl_call *c)
{
	return map_case(c, CASE_TITLE);
}

static int fn_pad(struct tpl_call *c)
{
	struct tpl_buf b = { 0 };
	size_t n = len_of(c->argv[0]);
	json_int_t left = json_integer_value(c->argv[1]), right = json_integer_value(c->argv[2]);
	if (n == 0)
		return ret_buf(c, &b);
	if (left < 0 || right < 0)
		return call_fail(c, EINVAL, "strings: negative Repeat count");
	if ((uint64_t) left > TPL_STRING_MAX || (uint64_t) right > TPL_STRING_MAX)
		return call_fail(c, E2BIG, "%s", "value exceeds the size limit of 16 MiB");
	tpl_buf_fill(&b, ' ', (size_t) left);
	tpl_buf_put(&b, str(c->argv[0]), n);
	tpl_buf_fill(&b, ' ', (size_t) right);
	return ret_buf(c, &b);
}

static int fn_truncate(struct tpl_call *c)
{
	size_t n = len_of(c->argv[0]);
	json_int_t len = json_integer_value(c->argv[1]);
	if (len < 0) /* Go slices s[:len] and panics */
		return call_fail(c, EINVAL, "runtime error: slice bounds out of range [:%" JSON_INTEGER_FORMAT "]",
				 len);
	if ((uint64_t) len >= n)
		return ret_new(c, json_incref(c->argv[0]));
	return ret_new(c, json_stringn_nocheck(str(c->argv[0]), (size_t) len));
}

/* docker's header functions keep the column title as it is. */
static int fn_first(struct tpl_call *c)
{
	return ret_new(c, json_incref(c->argv[0]));
}

#define V TPL_P_VALUE
#define A TPL_P_ANY
#define S TPL_P_STRING
#define I TPL_P_INT

static const struct tpl_func funcs[] = {
	[TPL_FUNC_AND] = { "and", { V, V }, 2, true, NULL },
	[TPL_FUNC_OR] = { "or", { V, V }, 2, true, NULL },
	{ "not", { V }, 1, false, fn_not },
	{ "len", { V }, 1, false, fn_len },
	{ "index", { V, V }, 2, true, fn_index },
	{ "slice", { V, V }, 2, true, fn_slice },
	{ "print", { A }, 1, true, fn_print },
	{ "printf", { S, A }, 2, true, fn_printf },
	{ "println", { A }, 1, true, fn_println },
	{ "html", { A }, 1, true, fn_html },
	{ "js", { A }, 1, true, fn_js },
	{ "urlquery", { A }, 1, true, fn_urlquery },
	{ "eq", { V, V }, 2, true, fn_eq },
	{ "ne", { V, V }, 2, false, fn_ne },
	{ "lt", { V, V }, 2, false, fn_lt },
	{ "le", { V, V }, 2, false, fn_le },
	{ "gt", { V, V }, 2, false, fn_gt },
	{ "ge", { V, V }, 2, false, fn_ge },
	{ "json", { A }, 1, false, fn_json },
	{ "split", { S, S }, 2, false, fn_split },
	{ "join", { TPL_P_STRV, S }, 2, false, fn_join },
	{ "title", { S }, 1, false, fn_title },
	{ "lower", { S }, 1, false, fn_lower },
	{ "upper", { S }, 1, false, fn_upper },
	{ "pad", { S, I, I }, 3, false, fn_pad },
	{ "truncate", { S, I }, 2, false, fn_truncate },
};

/* docker's HeaderFunctions: different signatures, the title unchanged. */
static const struct tpl_func header_funcs[] = {
	{ "json", { S }, 1, false, fn_first },     { "split", { S, S }, 2, false, fn_first },
	{ "join", { S, S }, 2, false, fn_first },  { "title", { S }, 1, false, fn_first },
	{ "lower", { S }, 1, false, fn_first },    { "upper", { S }, 1, false, fn_first },
	{ "truncate", { S, I }, 2, false, fn_first },
};

#undef V
#undef A
#undef S
#undef I

int tpl_func_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == len && memcmp(funcs[i].name, name, len) == 0)
			return (int) i;
	return -1;
}

const struct tpl_func *tpl_func_get(int index, bool header)
{
	const struct tpl_func *f = &funcs[index];
	if (header)
		for (size_t i = 0; i < sizeof(header_funcs) / sizeof(header_funcs[0]); i++)
			if (strcmp(header_funcs[i].name, f->name) == 0)
				return &header_funcs[i];
	return f;
}

const char *tpl_param_name(enum tpl_param p)
{
	switch (p) {
	case TPL_P_VALUE: return "reflect.Value";
	case TPL_P_ANY: return "interface {}";
	case TPL_P_STRING: return "string";
	case TPL_P_INT: return "int";
	case TPL_P_STRV: return "[]string";
	case TPL_P_UNTYPED: break;
	}
	return "interface {}";
}
