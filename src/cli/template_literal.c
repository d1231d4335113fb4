/* The literals of Go templates: strconv's Unquote and UnquoteChar for
 * strings and character constants, and ParseInt / ParseUint / ParseFloat
 * with base prefixes and '_' separators for numbers, with Go's errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* strconv.UnquoteChar: one character or escape of a literal quoted with
 * `quote`.  Returns the bytes consumed, or 0 for invalid syntax. */
static size_t unquote_char(const char *s, size_t n, char quote, uint32_t *ret, bool *multibyte)
{
	unsigned char c = (unsigned char) s[0];
	*multibyte = false;
	if (c == (unsigned char) quote)
		return 0;
	if (c >= 0x80) {
		*multibyte = true;
		return tpl_utf8_decode(s, n, ret);
	}
	if (c != '\\') {
		*ret = c;
		return 1;
	}
	if (n < 2)
		return 0;
	const char *simple = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	for (const char *e = simple; *e; e += 2)
		if (s[1] == e[0]) {
			*ret = (unsigned char) e[1];
			return 2;
		}
	size_t digits = s[1] == 'x' ? 2 : s[1] == 'u' ? 4 : s[1] == 'U' ? 8 : 0;
	uint32_t v = 0;
	if (digits) {
		if (n - 2 < digits)
			return 0;
		for (size_t i = 0; i < digits; i++) {
			int h = hex_value(s[2 + i]);
			if (h < 0)
				return 0;
			v = v << 4 | (uint32_t) h;
		}
		if (s[1] != 'x') {
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				return 0;
			*multibyte = true;
		}
		*ret = v;
		return 2 + digits;
	}
	if (s[1] >= '0' && s[1] <= '7') {
		if (n < 4)
			return 0;
		for (size_t i = 1; i < 4; i++) {
			if (s[i] < '0' || s[i] > '7')
				return 0;
			v = v * 8 + (uint32_t) (s[i] - '0');
		}
		if (v > 255)
			return 0;
		*ret = v;
		return 4;
	}
	if ((s[1] == '\'' || s[1] == '"') && s[1] == quote) {
		*ret = (unsigned char) s[1];
		return 2;
	}
	return 0;
}

/* strconv.Unquote of a "..." or `...` literal the lexer delimited. */
int tpl_unquote(const char *s, size_t n, struct tpl_buf *out)
{
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < n; i++)
			if (s[i] != '\r') /* Go drops carriage returns from raw strings */
				tpl_buf_putc(out, s[i]);
		return 0;
	}
	s++, n -= 2;
	if (!memchr(s, '\\', n) && tpl_utf8_valid(s, n)) {
		tpl_buf_put(out, s, n);
		return 0;
	}
	for (size_t i = 0; i < n;) {
		uint32_t r;
		bool multibyte;
		size_t w = unquote_char(s + i, n - i, '"', &r, &multibyte);
		if (w == 0)
			return -1;
		if (r < 0x80 || !multibyte)
			tpl_buf_putc(out, (char) r);
		else
			tpl_utf8_put(out, r);
		i += w;
	}
	return 0;
}

/* Go's underscoreOK: '_' only between digits (or after a base prefix). */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;
	if (n >= 1 && (s[0] == '-' || s[0] == '+'))
		s++, n--;
	if (n >= 2 && s[0] == '0' && strchr("bBoOxX", s[1]) && s[1]) {
		i = 2;
		saw = '0';
		hex = s[1] == 'x' || s[1] == 'X';
	}
	for (; i < n; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (hex && hex_value(s[i]) >= 0)) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseUint(s, 0, 64) */
static bool parse_uint(const char *s, size_t n, uint64_t *ret)
{
	const char *orig = s;
	size_t orig_n = n;
	unsigned base = 10;
	bool underscores = false;
	uint64_t v = 0;

	if (n == 0)
		return false;
	if (s[0] == '0') {
		char b = n >= 3 ? s[1] : 0;
		base = b == 'b' || b == 'B' ? 2 : b == 'o' || b == 'O' ? 8 : b == 'x' || b == 'X' ? 16 : 0;
		if (base)
			s += 2, n -= 2;
		else
			base = 8, s++, n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_') {
			underscores = true;
			continue;
		}
		int d = hex_value(s[i]);
		if (d < 0 || (unsigned) d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t) d) / base)
			return false;
		v = v * base + (uint64_t) d;
	}
	if (underscores && !underscore_ok(orig, orig_n))
		return false;
	*ret = v;
	return true;
}

/* strconv.ParseInt(s, 0, 64) */
static bool parse_int(const char *s, size_t n, int64_t *ret)
{
	bool neg = false;
	uint64_t u;
	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		neg = s[0] == '-', s++, n--;
	if (!parse_uint(s, n, &u))
		return false;
	if (neg ? u > (uint64_t) INT64_MAX + 1 : u > (uint64_t) INT64_MAX)
		return false;
	*ret = neg ? (int64_t) (0 - u) : (int64_t) u;
	return true;
}

/* strconv.ParseFloat(s, 64) for what the lexer lets through: decimal with
 * '.', 'e', '_', or hexadecimal with a 'p' exponent. */
static bool parse_float(const char *s, size_t n, double *ret)
{
	char clean[128];
	size_t k = 0, i = 0, digits = 0;
	bool hex = false;

	if (n >= sizeof(clean) || (memchr(s, '_', n) && !underscore_ok(s, n)))
		return false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		clean[k++] = s[i++];
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		hex = true, clean[k++] = s[i++], clean[k++] = s[i++];
	bool dot = false, exp = false;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '_')
			continue;
		if ((hex ? hex_value(c) >= 0 : (c >= '0' && c <= '9')) && !exp)
			digits++;
		else if (c == '.' && !dot && !exp)
			dot = true;
		else if ((hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E')) && !exp && digits) {
			exp = true;
			clean[k++] = c;
			if (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'))
				clean[k++] = s[++i];
			if (i + 1 >= n || s[i + 1] < '0' || s[i + 1] > '9')
				return false;
			continue;
		} else if (!(exp && c >= '0' && c <= '9'))
			return false;
		clean[k++] = c;
	}
	if (digits == 0 || (hex && !exp))
		return false;
	clean[k] = '\0';
	double v = strtod_l(clean, NULL, tpl_c_numeric()); /* checked by tpl_number_parse() */
	if (isinf(v))
		return false; /* out of range: Go's ParseFloat fails */
	*ret = v;
	return true;
}

static bool text_has_any(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]) && s[i])
			return true;
	return false;
}

/* A complex constant: "1+2i" (the lexer has checked its shape) or an
 * imaginary "2i".  JSON has no complex values, so one is only usable where
 * its imaginary part is zero and an int or float is expected; the parse
 * still accepts it, as Go's does, so that errors come in Go's order. */
static bool parse_complex(const char *s, size_t n, struct tpl_number *num)
{
	double re = 0, im;
	size_t split = 0;
	for (size_t i = 1; i + 1 < n; i++)
		if ((s[i] == '+' || s[i] == '-') && s[i - 1] != 'e' && s[i - 1] != 'E' && s[i - 1] != 'p' &&
		    s[i - 1] != 'P')
			split = i;
	if (split && !parse_float(s, split, &re))
		return false;
	if (!parse_float(s + split, n - 1 - split, &im))
		return false;
	*num = (struct tpl_number){ .is_complex = true };
	if (im != 0)
		return true;
	num->is_float = true;
	num->f = re;
	if (re >= -0x1p63 && re < 0x1p63 && (double) (int64_t) re == re) {
		num->is_int = true;
		num->i = (int64_t) re;
	}
	num->is_uint = re >= 0 && re < 0x1p64 && num->is_int;
	return true;
}

/* Go's NumberNode: the same text may be an int, a uint and a float; which
 * is used depends on the parameter it is passed to. */
int tpl_number_parse(const char *s, size_t n, bool char_constant, struct tpl_number *num, struct tpl_buf *msg)
{
	*num = (struct tpl_number){ 0 };
	if (!tpl_c_numeric()) {
		msg->state = TPL_BUF_NOMEM;
		return -1;
	}
	if (!char_constant && s[n - 1] == 'i' && parse_complex(s, n, num))
		return 0;
	if (char_constant) {
		uint32_t rune;
		bool multibyte;
		size_t w = unquote_char(s + 1, n - 1, '\'', &rune, &multibyte);
		if (w == 0) {
			tpl_buf_puts(msg, "invalid syntax");
			return -1;
		}
		if (w + 2 != n) {
			tpl_buf_printf(msg, "malformed character constant: %.*s", (int) n, s);
			return -1;
		}
		*num = (struct tpl_number){ .is_int = true, .is_uint = true, .is_float = true, .i = rune, .f = rune };
		return 0;
	}
	uint64_t u;
	num->is_uint = parse_uint(s, n, &u);
	num->is_int = parse_int(s, n, &num->i);
	if (num->is_int) {
		num->is_float = true;
		num->f = (double) num->i;
	} else if (num->is_uint) {
		num->is_float = true;
		num->f = (double) u;
	} else if (parse_float(s, n, &num->f)) {
		if (!text_has_any(s, n, ".eEpP")) {
			tpl_buf_puts(msg, "integer overflow: ");
			tpl_quote(msg, s, n, false);
			return -1;
		}
		num->is_float = true;
		if (num->f >= -0x1p63 && num->f < 0x1p63 && (double) (int64_t) num->f == num->f) {
			num->is_int = true;
			num->i = (int64_t) num->f;
		}
	} else {
		tpl_buf_puts(msg, "illegal number syntax: ");
		tpl_quote(msg, s, n, false);
		return -1;
	}
	/* Without a type to convert to, the text decides (Go's idealConstant). */
	bool hex_int = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !text_has_any(s, n, "pP");
	num->ideal_is_float = num->is_float && !hex_int && text_has_any(s, n, ".eEpP");
	return 0;
}
