/* Go's fmt for the values a JSON document holds: Sprint, Sprintln and
 * Sprintf with flags, width, precision, argument indexes and Go's
 * "%!verb(type=value)" for mismatches.  Values print as Go prints what
 * json.Unmarshal yields: a string raw, an integer in decimal, a float64 in
 * its shortest %g, true/false, an array "[a b]", an object "map[k:v]"
 * with sorted keys, a nil "<nil>".  A width or a verb applies to each
 * element of an array or object, as in Go. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

struct fmt_flags {
	bool plus, minus, sharp, space, zero, sharp_v;
	bool wid_present, prec_present;
	int wid, prec;
};

struct pp {
	struct tpl_buf *b;
	struct fmt_flags f;
};

static void print_arg(struct pp *p, const json_t *v, uint32_t verb, int depth);

static void write_padding(struct pp *p, long n)
{
	if (n > 0)
		tpl_buf_fill(p->b, p->f.zero ? '0' : ' ', (size_t) n);
}

/* Pad to the width, counted in characters. */
static void pad(struct pp *p, const char *s, size_t n)
{
	if (!p->f.wid_present || p->f.wid == 0) {
		tpl_buf_put(p->b, s, n);
		return;
	}
	long width = p->f.wid - (long) tpl_utf8_count(s, n);
	if (!p->f.minus) {
		write_padding(p, width);
		tpl_buf_put(p->b, s, n);
	} else {
		tpl_buf_put(p->b, s, n);
		write_padding(p, width);
	}
}

static void pad_str(struct pp *p, const char *s)
{
	pad(p, s, strlen(s));
}

/* "%!d(string=" ... ")" around the value printed with %v. */
static void bad_verb_open(struct pp *p, uint32_t verb, const char *type)
{
	tpl_buf_puts(p->b, "%!");
	tpl_utf8_put(p->b, verb);
	tpl_buf_putc(p->b, '(');
	if (type) {
		tpl_buf_puts(p->b, type);
		tpl_buf_putc(p->b, '=');
	}
}

/* ---- integers ---- */

static void fmt_integer(struct pp *p, uint64_t u, unsigned base, bool is_signed, uint32_t verb, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	bool negative = is_signed && (int64_t) u < 0;
	char d[72];
	int nd = 0;
	long prec = 0;

	if (negative)
		u = 0 - u;
	if (p->f.prec_present) {
		prec = p->f.prec;
		if (prec == 0 && u == 0) { /* "%.0d" of 0 prints nothing but padding */
			bool z = p->f.zero;
			p->f.zero = false;
			write_padding(p, p->f.wid);
			p->f.zero = z;
			return;
		}
	} else if (p->f.zero && p->f.wid_present) {
		prec = p->f.wid - (negative || p->f.plus || p->f.space);
	}
	do
		d[nd++] = digits[u % base];
	while ((u /= base) > 0);

	struct tpl_buf s = { 0 };
	if (negative)
		tpl_buf_putc(&s, '-');
	else if (p->f.plus)
		tpl_buf_putc(&s, '+');
	else if (p->f.space)
		tpl_buf_putc(&s, ' ');
	if (verb == 'O')
		tpl_buf_puts(&s, "0o");
	long zeros = prec - nd > 0 ? prec - nd : 0;
	if (p->f.sharp) {
		if (base == 2)
			tpl_buf_puts(&s, "0b");
		else if (base == 16)
			tpl_buf_put(&s, (const char[]){ '0', digits[16] }, 2);
		else if (base == 8 && zeros == 0 && d[nd - 1] != '0')
			tpl_buf_putc(&s, '0');
	}
	tpl_buf_fill(&s, '0', (size_t) zeros);
	while (nd > 0)
		tpl_buf_putc(&s, d[--nd]);
	/* zero padding was done as precision; the rest pads with spaces */
	bool z = p->f.zero;
	p->f.zero = false;
	if (s.state != TPL_BUF_OK && p->b->state == TPL_BUF_OK)
		p->b->state = s.state;
	pad(p, s.data ? s.data : "", s.len);
	p->f.zero = z;
	tpl_buf_free(&s);
}

static void fmt_unicode(struct pp *p, uint64_t u)
{
	struct tpl_buf s = { 0 };
	int prec = p->f.prec_present && p->f.prec > 4 ? p->f.prec : 4;
	tpl_buf_printf(&s, "U+%0*llX", prec, (unsigned long long) u);
	if (p->f.sharp && u <= 0x10ffff && tpl_rune_is_print((uint32_t) u)) {
		tpl_buf_puts(&s, " '");
		tpl_utf8_put(&s, (uint32_t) u);
		tpl_buf_putc(&s, '\'');
	}
	bool z = p->f.zero;
	p->f.zero = false;
	pad(p, s.data ? s.data : "", s.len);
	p->f.zero = z;
	tpl_buf_free(&s);
}

static void fmt_int(struct pp *p, json_int_t v, uint32_t verb)
{
	uint64_t u = (uint64_t) v;
	uint32_t r = (uint64_t) v > 0x10ffff ? TPL_RUNE_ERROR : (uint32_t) v;
	struct tpl_buf s = { 0 };

	switch (verb) {
	case 'v':
	case 'd': fmt_integer(p, u, 10, true, verb, false); return;
	case 'b': fmt_integer(p, u, 2, true, verb, false); return;
	case 'o':
	case 'O': fmt_integer(p, u, 8, true, verb, false); return;
	case 'x': fmt_integer(p, u, 16, true, verb, false); return;
	case 'X': fmt_integer(p, u, 16, true, verb, true); return;
	case 'U': fmt_unicode(p, u); return;
	case 'c':
	case 'q':
		if (verb == 'c')
			tpl_utf8_put(&s, r);
		else
			tpl_quote_rune(&s, r, p->f.plus);
		pad(p, s.data ? s.data : "", s.len);
		tpl_buf_free(&s);
		return;
	default:
		bad_verb_open(p, verb, "int");
		fmt_int(p, v, 'v');
		tpl_buf_putc(p->b, ')');
	}
}

/* ---- floats ---- */

static int c_snprintf(char *s, size_t n, char verb, int prec, double v)
{
	switch (verb) {
	case 'e': return snprintf(s, n, "%.*e", prec, v);
	case 'E': return snprintf(s, n, "%.*E", prec, v);
	case 'g': return snprintf(s, n, "%.*g", prec, v);
	case 'G': return snprintf(s, n, "%.*G", prec, v);
	default: return snprintf(s, n, "%.*f", prec, v);
	}
}

/* C's printf for an explicit precision (Go's digits are the same then). */
static void c_float(struct tpl_buf *b, double v, char verb, int prec)
{
	locale_t loc = tpl_c_numeric();
	if (!loc) {
		b->state = TPL_BUF_NOMEM;
		return;
	}
	locale_t old = uselocale(loc);
	int n = c_snprintf(NULL, 0, verb, prec, v);
	if (n > 0 && (size_t) n <= TPL_STRING_MAX) {
		char *s = malloc((size_t) n + 1);
		if (s) {
			c_snprintf(s, (size_t) n + 1, verb, prec, v);
			tpl_buf_put(b, s, (size_t) n);
			free(s);
		} else {
			b->state = TPL_BUF_NOMEM;
		}
	} else if (n > 0) {
		b->state = TPL_BUF_TOO_BIG;
	}
	uselocale(old);
}

/* Go's '#' flag: keep a decimal point and the trailing zeros %g drops. */
static void float_sharp(struct tpl_buf *num, uint32_t verb, int prec)
{
	int digits = (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') ? (prec == -1 ? 6 : prec) : 0;
	bool hex = verb == 'x' || verb == 'X';
	struct tpl_buf tail = { 0 };
	bool point = false, nonzero = false;
	for (size_t i = 1; i < num->len; i++) {
		char c = num->data[i];
		if (c == '.') {
			point = true;
		} else if (c == 'p' || c == 'P' || (!hex && (c == 'e' || c == 'E'))) {
			tpl_buf_put(&tail, num->data + i, num->len - i);
			num->len = i;
			break;
		} else {
			if (c != '0')
				nonzero = true;
			if (nonzero)
				digits--;
		}
	}
	if (!point) {
		if (num->len == 2 && num->data[1] == '0')
			digits--;
		tpl_buf_putc(num, '.');
	}
	if (digits > 0)
		tpl_buf_fill(num, '0', (size_t) digits);
	tpl_buf_put(num, tail.data, tail.len);
	tpl_buf_free(&tail);
}

static void fmt_float(struct pp *p, double v, uint32_t verb, int prec)
{
	struct tpl_buf num = { 0 };
	if (p->f.prec_present)
		prec = p->f.prec;
	tpl_buf_putc(&num, '+'); /* room for a sign */
	if (prec < 0 || verb == 'b')
		tpl_float_shortest(&num, v, (char) verb);
	else if (verb == 'x' || verb == 'X')
		tpl_float_hex(&num, v, prec, (char) verb);
	else
		c_float(&num, v, (char) verb, prec);
	if (num.state != TPL_BUF_OK || num.len < 2) {
		if (p->b->state == TPL_BUF_OK)
			p->b->state = num.state == TPL_BUF_OK ? TPL_BUF_NOMEM : num.state;
		tpl_buf_free(&num);
		return;
	}
	char *s = num.data;
	size_t n = num.len;
	if (s[1] == '-' || s[1] == '+')
		s++, n--;
	if (p->f.space && s[0] == '+' && !p->f.plus)
		s[0] = ' ';
	if (s[1] == 'I' || s[1] == 'N' || s[1] == 'i' || s[1] == 'n') {
		bool z = p->f.zero;
		p->f.zero = false;
		if ((s[1] == 'N' || s[1] == 'n') && !p->f.space && !p->f.plus)
			s++, n--;
		pad(p, s, n);
		p->f.zero = z;
	} else {
		if (p->f.sharp && verb != 'b') {
			struct tpl_buf t = { 0 };
			tpl_buf_put(&t, s, n);
			float_sharp(&t, verb, prec);
			tpl_buf_free(&num);
			num = t;
			s = num.data ? num.data : (char *) "+";
			n = num.data ? num.len : 1;
		}
		if (p->f.plus || s[0] != '+') {
			if (p->f.zero && p->f.wid_present && (size_t) p->f.wid > n) {
				tpl_buf_putc(p->b, s[0]); /* the sign goes before the zeros */
				write_padding(p, p->f.wid - (long) n);
				tpl_buf_put(p->b, s + 1, n - 1);
			} else {
				pad(p, s, n);
			}
		} else {
			pad(p, s + 1, n - 1);
		}
	}
	tpl_buf_free(&num);
}

static void fmt_real(struct pp *p, double v, uint32_t verb)
{
	switch (verb) {
	case 'v': fmt_float(p, v, 'g', -1); return;
	case 'b':
	case 'x':
	case 'X':
	case 'g':
	case 'G': fmt_float(p, v, verb, -1); return;
	case 'e':
	case 'E':
	case 'f': fmt_float(p, v, verb, 6); return;
	case 'F': fmt_float(p, v, 'f', 6); return;
	default:
		bad_verb_open(p, verb, "float64");
		fmt_real(p, v, 'v');
		tpl_buf_putc(p->b, ')');
	}
}

/* ---- strings ---- */

/* The first prec characters when a precision is given. */
static size_t truncated(const struct pp *p, const char *s, size_t n)
{
	if (!p->f.prec_present)
		return n;
	size_t i = 0;
	uint32_t r;
	for (int k = 0; k < p->f.prec && i < n; k++)
		i += tpl_utf8_decode(s + i, n - i, &r);
	return i;
}

static void fmt_q(struct pp *p, const char *s, size_t n)
{
	struct tpl_buf q = { 0 };
	n = truncated(p, s, n);
	if (p->f.sharp && tpl_can_backquote(s, n)) {
		tpl_buf_putc(&q, '`');
		tpl_buf_put(&q, s, n);
		tpl_buf_putc(&q, '`');
	} else {
		tpl_quote(&q, s, n, p->f.plus);
	}
	pad(p, q.data ? q.data : "", q.len);
	tpl_buf_free(&q);
}

static void fmt_sx(struct pp *p, const char *s, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	size_t len = n;
	if (p->f.prec_present && (size_t) p->f.prec < len)
		len = (size_t) p->f.prec;
	if (len == 0) {
		if (p->f.wid_present)
			write_padding(p, p->f.wid);
		return;
	}
	size_t width = 2 * len;
	if (p->f.space)
		width = (p->f.sharp ? width * 2 : width) + len - 1;
	else if (p->f.sharp)
		width += 2;
	if (p->f.wid_present && (size_t) p->f.wid > width && !p->f.minus)
		write_padding(p, p->f.wid - (long) width);
	for (size_t i = 0; i < len; i++) {
		if (p->f.sharp && (i == 0 || p->f.space))
			tpl_buf_put(p->b, (const char[]){ '0', digits[16] }, 2);
		unsigned char c = (unsigned char) s[i];
		tpl_buf_put(p->b, (const char[]){ digits[c >> 4], digits[c & 0xf] }, 2);
		if (p->f.space && i + 1 < len)
			tpl_buf_putc(p->b, ' ');
	}
	if (p->f.wid_present && (size_t) p->f.wid > width && p->f.minus)
		write_padding(p, p->f.wid - (long) width);
}

static void fmt_string(struct pp *p, const char *s, size_t n, uint32_t verb)
{
	switch (verb) {
	case 'v':
		if (p->f.sharp_v) {
			fmt_q(p, s, n);
			return;
		}
		pad(p, s, truncated(p, s, n));
		return;
	case 's': pad(p, s, truncated(p, s, n)); return;
	case 'x': fmt_sx(p, s, n, false); return;
	case 'X': fmt_sx(p, s, n, true); return;
	case 'q': fmt_q(p, s, n); return;
	default:
		bad_verb_open(p, verb, "string");
		fmt_string(p, s, n, 'v');
		tpl_buf_putc(p->b, ')');
	}
}

static void fmt_bool(struct pp *p, bool v, uint32_t verb)
{
	if (verb == 't' || verb == 'v') {
		pad_str(p, v ? "true" : "false");
		return;
	}
	bad_verb_open(p, verb, "bool");
	fmt_bool(p, v, 'v');
	tpl_buf_putc(p->b, ')');
}

/* ---- values ---- */

static void print_container(struct pp *p, const json_t *v, uint32_t verb, int depth)
{
	bool go = p->f.sharp_v; /* %#v: Go syntax */
	const char *sep = go ? ", " : " ";

	if (json_is_array(v)) {
		tpl_buf_puts(p->b, go ? "[]interface {}{" : "[");
		for (size_t i = 0; i < json_array_size(v) && p->b->state == TPL_BUF_OK; i++) {
			if (i > 0)
				tpl_buf_puts(p->b, sep);
			print_arg(p, json_array_get(v, i), verb, depth + 1);
		}
		tpl_buf_putc(p->b, go ? '}' : ']');
		return;
	}
	struct tpl_member *m = NULL;
	size_t n = 0;
	if (tpl_object_members(v, true, &m, &n) < 0) {
		p->b->state = TPL_BUF_NOMEM;
		return;
	}
	tpl_buf_puts(p->b, go ? "map[string]interface {}{" : "map[");
	for (size_t i = 0; i < n && p->b->state == TPL_BUF_OK; i++) {
		if (i > 0)
			tpl_buf_puts(p->b, sep);
		fmt_string(p, m[i].key, m[i].key_len, verb);
		tpl_buf_putc(p->b, ':');
		print_arg(p, m[i].value, verb, depth + 1);
	}
	tpl_buf_putc(p->b, go ? '}' : ']');
	free(m);
}

/* printArg (depth 0) and printValue (elements) in one: they differ only
 * for nil, which an element prints without padding. */
static void print_arg(struct pp *p, const json_t *v, uint32_t verb, int depth)
{
	if (depth > TPL_VALUE_DEPTH_MAX) {
		if (p->b->state == TPL_BUF_OK)
			p->b->state = TPL_BUF_TOO_DEEP;
		return;
	}
	if (!v || json_is_null(v)) {
		if (depth > 0)
			tpl_buf_puts(p->b, p->f.sharp_v ? "interface {}(nil)" : "<nil>");
		else if (verb == 'T' || verb == 'v')
			pad_str(p, "<nil>");
		else {
			bad_verb_open(p, verb, NULL);
			tpl_buf_puts(p->b, "<nil>)");
		}
		return;
	}
	if (verb == 'T' && depth == 0) {
		const char *type = tpl_type_name(v);
		pad(p, type, truncated(p, type, strlen(type)));
		return;
	}
	switch (json_typeof(v)) {
	case JSON_TRUE:
	case JSON_FALSE: fmt_bool(p, json_is_true(v), verb); break;
	case JSON_INTEGER: fmt_int(p, json_integer_value(v), verb); break;
	case JSON_REAL: fmt_real(p, json_real_value(v), verb); break;
	case JSON_STRING: fmt_string(p, json_string_value(v), json_string_length(v), verb); break;
	default:
		if (verb == 'w') { /* only Errorf has %w: Go rejects the whole value */
			bad_verb_open(p, verb, tpl_type_name(v));
			print_container(p, v, 'v', depth);
			tpl_buf_putc(p->b, ')');
			break;
		}
		print_container(p, v, verb, depth);
		break;
	}
}

void tpl_fmt_sprint(struct tpl_buf *b, json_t *const *args, size_t n, bool ln)
{
	struct pp p = { .b = b };
	bool prev_string = false;
	for (size_t i = 0; i < n; i++) {
		bool is_string = args[i] && json_is_string(args[i]);
		/* Sprint spaces operands when neither is a string; Sprintln always */
		if (i > 0 && (ln || (!is_string && !prev_string)))
			tpl_buf_putc(b, ' ');
		print_arg(&p, args[i], 'v', 0);
		prev_string = is_string;
	}
	if (ln)
		tpl_buf_putc(b, '\n');
}

/* ---- Sprintf ---- */

static bool too_large(long x)
{
	return x > 1000000 || x < -1000000;
}

/* Go's parsenum; a crazy long number skips to the end of the format. */
static bool parse_num(const char *s, size_t *i, size_t end, int *ret)
{
	long num = 0;
	bool isnum = false;
	size_t k = *i;
	for (; k < end && s[k] >= '0' && s[k] <= '9'; k++) {
		if (too_large(num)) {
			*i = end;
			*ret = 0;
			return false;
		}
		num = num * 10 + (s[k] - '0');
		isnum = true;
	}
	*i = k;
	*ret = (int) num;
	return isnum;
}

struct printf_state {
	const char *format;
	size_t end, i;
	json_t *const *a;
	size_t na, arg_num;
	bool reordered, good_arg_num;
};

/* An explicit argument index "[n]"; returns whether one was found. */
static bool arg_number(struct printf_state *st)
{
	const char *s = st->format + st->i;
	size_t n = st->end - st->i;
	if (n == 0 || s[0] != '[')
		return false;
	st->reordered = true;
	size_t wid = 1;
	bool ok = false;
	int index = 0;
	if (n >= 3) {
		for (size_t k = 1; k < n; k++) {
			if (s[k] != ']')
				continue;
			size_t j = 1;
			ok = parse_num(s, &j, k, &index) && j == k;
			wid = k + 1;
			index--;
			break;
		}
	}
	st->i += wid;
	if (ok && index >= 0 && (size_t) index < st->na) {
		st->arg_num = (size_t) index;
		return true;
	}
	st->good_arg_num = false;
	return ok;
}

static bool int_from_arg(struct printf_state *st, int *ret)
{
	bool is_int = false;
	*ret = 0;
	if (st->arg_num < st->na) {
		const json_t *v = st->a[st->arg_num++];
		if (v && json_is_integer(v) && !too_large((long) json_integer_value(v)) &&
		    json_integer_value(v) > -2000000 && json_integer_value(v) < 2000000) {
			*ret = (int) json_integer_value(v);
			is_int = true;
		}
	}
	return is_int;
}

/* Flags, argument index, width and precision of one directive. */
static bool parse_directive(struct pp *p, struct printf_state *st)
{
	struct fmt_flags *f = &p->f;
	for (; st->i < st->end; st->i++) {
		char c = st->format[st->i];
		if (c == '#')
			f->sharp = true;
		else if (c == '0')
			f->zero = !f->minus;
		else if (c == '+')
			f->plus = true;
		else if (c == '-')
			f->minus = true, f->zero = false;
		else if (c == ' ')
			f->space = true;
		else
			break;
	}
	bool after_index = arg_number(st);
	if (st->i < st->end && st->format[st->i] == '*') {
		st->i++;
		f->wid_present = int_from_arg(st, &f->wid);
		if (!f->wid_present)
			tpl_buf_puts(p->b, "%!(BADWIDTH)");
		if (f->wid < 0)
			f->wid = -f->wid, f->minus = true, f->zero = false;
		after_index = false;
	} else {
		f->wid_present = parse_num(st->format, &st->i, st->end, &f->wid);
		if (after_index && f->wid_present)
			st->good_arg_num = false; /* "%[3]2d" */
	}
	if (st->i + 1 < st->end && st->format[st->i] == '.') {
		st->i++;
		if (after_index)
			st->good_arg_num = false; /* "%[3].2d" */
		after_index = arg_number(st);
		if (st->i < st->end && st->format[st->i] == '*') {
			st->i++;
			f->prec_present = int_from_arg(st, &f->prec);
			if (f->prec < 0)
				f->prec = 0, f->prec_present = false;
			if (!f->prec_present)
				tpl_buf_puts(p->b, "%!(BADPREC)");
			after_index = false;
		} else {
			parse_num(st->format, &st->i, st->end, &f->prec); /* "%.d" is precision 0 */
			f->prec_present = true;
		}
	}
	if (!after_index)
		arg_number(st);
	return st->i < st->end;
}

static void print_extra(struct pp *p, const struct printf_state *st)
{
	memset(&p->f, 0, sizeof(p->f));
	tpl_buf_puts(p->b, "%!(EXTRA ");
	for (size_t k = st->arg_num; k < st->na; k++) {
		if (k > st->arg_num)
			tpl_buf_puts(p->b, ", ");
		if (!st->a[k] || json_is_null(st->a[k])) {
			tpl_buf_puts(p->b, "<nil>");
			continue;
		}
		tpl_buf_puts(p->b, tpl_type_name(st->a[k]));
		tpl_buf_putc(p->b, '=');
		print_arg(p, st->a[k], 'v', 0);
	}
	tpl_buf_putc(p->b, ')');
}

void tpl_fmt_sprintf(struct tpl_buf *b, const char *format, size_t len, json_t *const *a, size_t na)
{
	struct pp p = { .b = b };
	struct printf_state st = { .format = format, .end = len, .a = a, .na = na };

	while (st.i < st.end && b->state == TPL_BUF_OK) {
		size_t last = st.i;
		const char *pct = memchr(format + st.i, '%', st.end - st.i);
		st.i = pct ? (size_t) (pct - format) : st.end;
		tpl_buf_put(b, format + last, st.i - last);
		if (st.i >= st.end)
			break;
		st.i++;
		memset(&p.f, 0, sizeof(p.f));
		st.good_arg_num = true;
		if (!parse_directive(&p, &st)) {
			tpl_buf_puts(b, "%!(NOVERB)");
			break;
		}
		uint32_t verb;
		st.i += tpl_utf8_decode(format + st.i, st.end - st.i, &verb);
		if (verb == '%') {
			tpl_buf_putc(b, '%'); /* takes no operand, ignores width */
		} else if (!st.good_arg_num || st.arg_num >= st.na) {
			bad_verb_open(&p, verb, NULL);
			tpl_buf_puts(b, st.good_arg_num ? "MISSING)" : "BADINDEX)");
		} else {
			if (verb == 'v') {
				/* %#v is Go syntax; %+v names struct fields, which JSON
				 * values have none of, so it is plain %v */
				p.f.sharp_v = p.f.sharp, p.f.sharp = false;
				p.f.plus = false;
			}
			print_arg(&p, a[st.arg_num++], verb, 0);
		}
	}
	if (!st.reordered && st.arg_num < na)
		print_extra(&p, &st);
}
