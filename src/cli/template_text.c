/* Text helpers shared by the template files: the growable byte buffer,
 * UTF-8 as Go decodes it (an invalid byte is U+FFFD of width 1), rune
 * classes and simple case mapping, strconv's quoting, docker's json
 * encoding, and how Go sees JSON values (type names, truth, map order).
 *
 * Go carries the full Unicode tables; berth carries the scripts container
 * metadata is written in (see the case table below), leaves the case of
 * other scripts alone, and approximates unicode.IsPrint and IsLetter by
 * listing the blocks that are not printable or not letters. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

/* ---- buffer ---- */

static bool buf_reserve(struct tpl_buf *b, size_t n)
{
	if (b->state != TPL_BUF_OK)
		return false;
	if (n > TPL_STRING_MAX - b->len) {
		b->state = TPL_BUF_TOO_BIG;
		return false;
	}
	size_t need = b->len + n;
	if (need + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->state = TPL_BUF_NOMEM;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void tpl_buf_put(struct tpl_buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void tpl_buf_putc(struct tpl_buf *b, char c)
{
	tpl_buf_put(b, &c, 1);
}

void tpl_buf_puts(struct tpl_buf *b, const char *s)
{
	tpl_buf_put(b, s, strlen(s));
}

void tpl_buf_fill(struct tpl_buf *b, char c, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memset(b->data + b->len, c, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void tpl_buf_printf(struct tpl_buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small)) {
		tpl_buf_put(b, small, (size_t) n);
		return;
	}
	if (!buf_reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void tpl_buf_free(struct tpl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *tpl_buf_strerror(const struct tpl_buf *b)
{
	switch (b->state) {
	case TPL_BUF_NOMEM:
		return "out of memory";
	case TPL_BUF_TOO_BIG:
		return "value exceeds the size limit of 16 MiB";
	case TPL_BUF_TOO_DEEP:
		return "value nested too deeply";
	case TPL_BUF_OK:
		break;
	}
	return "no error";
}

int tpl_buf_errno(const struct tpl_buf *b)
{
	return b->state == TPL_BUF_NOMEM ? ENOMEM : b->state == TPL_BUF_TOO_BIG ? E2BIG : ELOOP;
}

/* ---- UTF-8 ---- */

size_t tpl_utf8_decode(const char *s, size_t n, uint32_t *ret)
{
	unsigned char c = (unsigned char) s[0];
	size_t w;
	uint32_t r, min;

	if (c < 0x80) {
		*ret = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		w = 2, r = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		w = 3, r = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		w = 4, r = c & 0x07, min = 0x10000;
	else
		goto bad;
	if (n < w)
		goto bad;
	for (size_t k = 1; k < w; k++) {
		unsigned char cc = (unsigned char) s[k];
		if ((cc & 0xc0) != 0x80)
			goto bad;
		r = r << 6 | (cc & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		goto bad;
	*ret = r;
	return w;
bad:
	*ret = TPL_RUNE_ERROR;
	return 1;
}

void tpl_utf8_put(struct tpl_buf *b, uint32_t r)
{
	char s[4];
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = TPL_RUNE_ERROR;
	if (r < 0x80) {
		tpl_buf_putc(b, (char) r);
	} else if (r < 0x800) {
		s[0] = (char) (0xc0 | r >> 6);
		s[1] = (char) (0x80 | (r & 0x3f));
		tpl_buf_put(b, s, 2);
	} else if (r < 0x10000) {
		s[0] = (char) (0xe0 | r >> 12);
		s[1] = (char) (0x80 | (r >> 6 & 0x3f));
		s[2] = (char) (0x80 | (r & 0x3f));
		tpl_buf_put(b, s, 3);
	} else {
		s[0] = (char) (0xf0 | r >> 18);
		s[1] = (char) (0x80 | (r >> 12 & 0x3f));
		s[2] = (char) (0x80 | (r >> 6 & 0x3f));
		s[3] = (char) (0x80 | (r & 0x3f));
		tpl_buf_put(b, s, 4);
	}
}

size_t tpl_utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	uint32_t r;
	for (size_t i = 0; i < n; count++)
		i += tpl_utf8_decode(s + i, n - i, &r);
	return count;
}

bool tpl_utf8_valid(const char *s, size_t n)
{
	uint32_t r;
	for (size_t i = 0; i < n;) {
		size_t w = tpl_utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == TPL_RUNE_ERROR)
			return false;
		i += w;
	}
	return true;
}

/* ---- Unicode, the parts docker's data needs ----
 *
 * Go maps case with full Unicode tables.  berth covers ASCII, Latin-1, Latin
 * Extended-A and Additional, Greek, Cyrillic, Armenian and fullwidth Latin;
 * other scripts are left as they are.  These are simple (one rune to one
 * rune) mappings, as Go's unicode.ToUpper: 'ß' stays 'ß'. */

struct case_pair {
	uint32_t lo, hi; /* range of the upper-case runes */
	int32_t delta;   /* lower = upper + delta */
	uint8_t stride;  /* 1: every rune; 2: pairs (upper, lower) alternating */
};

static const struct case_pair case_table[] = {
	{ 0x41, 0x5a, 32, 1 },       { 0xc0, 0xd6, 32, 1 },      { 0xd8, 0xde, 32, 1 },
	{ 0x100, 0x12e, 1, 2 },      { 0x132, 0x136, 1, 2 },     { 0x139, 0x147, 1, 2 },
	{ 0x14a, 0x176, 1, 2 },      { 0x179, 0x17d, 1, 2 },     { 0x1cd, 0x1db, 1, 2 },
	{ 0x1de, 0x1ee, 1, 2 },      { 0x1f4, 0x1f4, 1, 1 },     { 0x1f8, 0x21e, 1, 2 },
	{ 0x222, 0x232, 1, 2 },      { 0x386, 0x386, 38, 1 },
	{ 0x388, 0x38a, 37, 1 },     { 0x38c, 0x38c, 64, 1 },    { 0x38e, 0x38f, 63, 1 },
	{ 0x391, 0x3a1, 32, 1 },     { 0x3a3, 0x3ab, 32, 1 },    { 0x400, 0x40f, 80, 1 },
	{ 0x410, 0x42f, 32, 1 },     { 0x460, 0x480, 1, 2 },     { 0x48a, 0x4be, 1, 2 },
	{ 0x4c0, 0x4c0, 15, 1 },     { 0x4c1, 0x4cd, 1, 2 },     { 0x4d0, 0x52e, 1, 2 },
	{ 0x531, 0x556, 48, 1 },     { 0x1e00, 0x1e94, 1, 2 },   { 0x1ea0, 0x1efe, 1, 2 },
	{ 0xff21, 0xff3a, 32, 1 },
};

/* The digraphs DŽ Dž dž, LJ Lj lj, NJ Nj nj, DZ Dz dz have a title case
 * between upper and lower: 0 upper, 1 title, 2 lower. */
static int digraph(uint32_t r, uint32_t *first)
{
	if (r >= 0x1c4 && r <= 0x1cc) {
		*first = 0x1c4 + (r - 0x1c4) / 3 * 3;
		return (int) (r - *first);
	}
	if (r >= 0x1f1 && r <= 0x1f3) {
		*first = 0x1f1;
		return (int) (r - 0x1f1);
	}
	return -1;
}

uint32_t tpl_rune_title(uint32_t r)
{
	uint32_t first;
	return digraph(r, &first) >= 0 ? first + 1 : tpl_rune_upper(r);
}

uint32_t tpl_rune_lower(uint32_t r)
{
	uint32_t first;
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	if (digraph(r, &first) >= 0)
		return first + 2;
	if (r == 0x130)
		return 'i';
	if (r == 0x178)
		return 0xff;
	if (r == 0x1e9e)
		return 0xdf;
	for (size_t i = 0; i < sizeof(case_table) / sizeof(case_table[0]); i++) {
		const struct case_pair *c = &case_table[i];
		if (r >= c->lo && r <= c->hi && (r - c->lo) % c->stride == 0)
			return (uint32_t) ((int32_t) r + c->delta);
	}
	return r;
}

uint32_t tpl_rune_upper(uint32_t r)
{
	uint32_t first;
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	if (digraph(r, &first) >= 0)
		return first;
	switch (r) {
	case 0xb5:
		return 0x39c;
	case 0xff:
		return 0x178;
	case 0x131:
		return 'I';
	case 0x17f:
		return 'S';
	case 0x3c2:
		return 0x3a3;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(case_table) / sizeof(case_table[0]); i++) {
		const struct case_pair *c = &case_table[i];
		uint32_t up = (uint32_t) ((int32_t) r - c->delta);
		if (up >= c->lo && up <= c->hi && (up - c->lo) % c->stride == 0 && up != r)
			return up;
	}
	return r;
}

bool tpl_rune_is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200a;
	}
}

/* unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
 * ASCII space.  Without the tables, the non-printable runes a string is
 * likely to hold are listed: controls, spaces other than ' ', format
 * characters, separators, private use, surrogates and non-characters. */
bool tpl_rune_is_print(uint32_t r)
{
	static const uint32_t not_print[][2] = {
		{ 0x0, 0x1f },         { 0x7f, 0xa0 },       { 0xad, 0xad },       { 0x600, 0x605 },
		{ 0x61c, 0x61c },      { 0x6dd, 0x6dd },     { 0x70f, 0x70f },     { 0x180e, 0x180e },
		{ 0x1680, 0x1680 },    { 0x2000, 0x200f },   { 0x2028, 0x202f },   { 0x205f, 0x206f },
		{ 0x3000, 0x3000 },    { 0xd800, 0xf8ff },   { 0xfdd0, 0xfdef },   { 0xfeff, 0xfeff },
		{ 0xfff0, 0xfffb },    { 0x110bd, 0x110bd }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe00ff },
		{ 0xf0000, 0x10ffff },
	};
	if (r >= 0x20 && r < 0x7f)
		return true;
	if (r > 0x10ffff || (r & 0xfffe) == 0xfffe)
		return false;
	for (size_t i = 0; i < sizeof(not_print) / sizeof(not_print[0]); i++)
		if (r >= not_print[i][0] && r <= not_print[i][1])
			return false;
	return true;
}

bool tpl_rune_is_alnum(uint32_t r)
{
	if (r < 0x80)
		return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	if (r == TPL_RUNE_ERROR || !tpl_rune_is_print(r) || tpl_rune_is_space(r))
		return false;
	/* Punctuation and symbol blocks are not letters; the rest mostly are. */
	if ((r >= 0xa1 && r <= 0xbf && r != 0xaa && r != 0xb5 && r != 0xba) || r == 0xd7 || r == 0xf7)
		return false;
	if ((r >= 0x2000 && r <= 0x2bff) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff01 && r <= 0xff0f) ||
	    (r >= 0xff1a && r <= 0xff20) || (r >= 0xff3b && r <= 0xff40) || (r >= 0xff5b && r <= 0xff65) ||
	    (r >= 0x1f000 && r <= 0x1faff))
		return false;
	return true;
}

/* ---- strconv quoting ---- */

static void put_escaped_rune(struct tpl_buf *b, uint32_t r, char quote, bool ascii_only)
{
	if (r == (uint32_t) (unsigned char) quote || r == '\\') {
		tpl_buf_putc(b, '\\');
		tpl_buf_putc(b, (char) r);
		return;
	}
	if (ascii_only ? (r < 0x80 && tpl_rune_is_print(r)) : tpl_rune_is_print(r)) {
		tpl_utf8_put(b, r);
		return;
	}
	switch (r) {
	case '\a': tpl_buf_puts(b, "\\a"); return;
	case '\b': tpl_buf_puts(b, "\\b"); return;
	case '\f': tpl_buf_puts(b, "\\f"); return;
	case '\n': tpl_buf_puts(b, "\\n"); return;
	case '\r': tpl_buf_puts(b, "\\r"); return;
	case '\t': tpl_buf_puts(b, "\\t"); return;
	case '\v': tpl_buf_puts(b, "\\v"); return;
	default: break;
	}
	if (r < ' ' || r == 0x7f)
		tpl_buf_printf(b, "\\x%02x", (unsigned) r);
	else if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		tpl_buf_printf(b, "\\u%04x", TPL_RUNE_ERROR);
	else if (r < 0x10000)
		tpl_buf_printf(b, "\\u%04x", (unsigned) r);
	else
		tpl_buf_printf(b, "\\U%08x", (unsigned) r);
}

void tpl_quote(struct tpl_buf *b, const char *s, size_t n, bool ascii_only)
{
	tpl_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = tpl_utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == TPL_RUNE_ERROR)
			tpl_buf_printf(b, "\\x%02x", (unsigned) (unsigned char) s[i]);
		else
			put_escaped_rune(b, r, '"', ascii_only);
		i += w;
	}
	tpl_buf_putc(b, '"');
}

void tpl_quote_rune(struct tpl_buf *b, uint32_t r, bool ascii_only)
{
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = TPL_RUNE_ERROR;
	tpl_buf_putc(b, '\'');
	put_escaped_rune(b, r, '\'', ascii_only);
	tpl_buf_putc(b, '\'');
}

bool tpl_can_backquote(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w = tpl_utf8_decode(s + i, n - i, &r);
		i += w;
		if (w > 1) {
			if (r == 0xfeff)
				return false; /* a BOM is invisible */
			continue;
		}
		if (r == TPL_RUNE_ERROR || (r < ' ' && r != '\t') || r == '`' || r == 0x7f)
			return false;
	}
	return true;
}

/* ---- encoding/json ---- */

static void json_put_string(struct tpl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	tpl_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char) s[i];
		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\') {
				i++;
				continue;
			}
			tpl_buf_put(b, s + start, i - start);
			char esc[7] = { '\\', (char) c, 0 };
			switch (c) {
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			case '"': case '\\': break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				break;
			}
			tpl_buf_puts(b, esc);
			start = ++i;
			continue;
		}
		uint32_t r;
		size_t w = tpl_utf8_decode(s + i, n - i, &r);
		if ((w == 1 && r == TPL_RUNE_ERROR) || r == 0x2028 || r == 0x2029) {
			tpl_buf_put(b, s + start, i - start);
			tpl_buf_printf(b, "\\u%04x", (unsigned) r);
			start = i + w;
		}
		i += w;
	}
	tpl_buf_put(b, s + start, n - start);
	tpl_buf_putc(b, '"');
}

static void json_float(struct tpl_buf *b, double f)
{
	double a = fabs(f);
	char fmt = a != 0 && (a < 1e-6 || a >= 1e21) ? 'e' : 'f';
	size_t start = b->len;
	tpl_float_shortest(b, f, fmt);
	if (fmt == 'e' && b->state == TPL_BUF_OK) {
		/* encoding/json writes 1e-07 as 1e-7 */
		char *p = b->data + start;
		size_t n = b->len - start;
		if (n >= 4 && p[n - 4] == 'e' && p[n - 3] == '-' && p[n - 2] == '0') {
			p[n - 2] = p[n - 1];
			b->data[--b->len] = '\0';
		}
	}
}

void tpl_json_encode(struct tpl_buf *b, const json_t *v, bool sorted, int depth)
{
	if (depth > TPL_VALUE_DEPTH_MAX) {
		if (b->state == TPL_BUF_OK)
			b->state = TPL_BUF_TOO_DEEP;
		return;
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL: tpl_buf_puts(b, "null"); break;
	case JSON_TRUE: tpl_buf_puts(b, "true"); break;
	case JSON_FALSE: tpl_buf_puts(b, "false"); break;
	case JSON_INTEGER: tpl_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL: json_float(b, json_real_value(v)); break;
	case JSON_STRING: json_put_string(b, json_string_value(v), json_string_length(v)); break;
	case JSON_ARRAY:
		tpl_buf_putc(b, '[');
		for (size_t i = 0; i < json_array_size(v) && b->state == TPL_BUF_OK; i++) {
			if (i > 0)
				tpl_buf_putc(b, ',');
			tpl_json_encode(b, json_array_get(v, i), sorted, depth + 1);
		}
		tpl_buf_putc(b, ']');
		break;
	case JSON_OBJECT: {
		/* Unsorted, the members come in the order received: docker
		 * encodes its typed structs, whose fields are in declaration
		 * order, the order the daemon sent them in (the daemon's own maps
		 * arrive sorted). */
		struct tpl_member *m = NULL;
		size_t n = 0;
		if (tpl_object_members(v, sorted, &m, &n) < 0) {
			b->state = TPL_BUF_NOMEM;
			return;
		}
		tpl_buf_putc(b, '{');
		for (size_t i = 0; i < n && b->state == TPL_BUF_OK; i++) {
			if (i > 0)
				tpl_buf_putc(b, ',');
			json_put_string(b, m[i].key, m[i].key_len);
			tpl_buf_putc(b, ':');
			tpl_json_encode(b, m[i].value, sorted, depth + 1);
		}
		tpl_buf_putc(b, '}');
		free(m);
		break;
	}
	}
}

/* ---- JSON values as Go values ---- */

static int member_cmp(const void *pa, const void *pb)
{
	const struct tpl_member *a = pa, *b = pb;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);
	if (c != 0)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

int tpl_object_members(const json_t *obj, bool sorted, struct tpl_member **ret, size_t *ret_n)
{
	json_t *o = (json_t *) obj; /* jansson's iteration API is not const */
	size_t n = json_object_size(o), i = 0;
	const char *key;
	size_t key_len;
	json_t *value;

	struct tpl_member *m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	json_object_keylen_foreach(o, key, key_len, value)
	{
		if (i < n)
			m[i++] = (struct tpl_member){ key, key_len, value };
	}
	if (sorted)
		qsort(m, i, sizeof(*m), member_cmp);
	*ret = m;
	*ret_n = i;
	return 0;
}

const char *tpl_type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float64";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_ARRAY: return "[]interface {}";
	case JSON_OBJECT: return "map[string]interface {}";
	case JSON_NULL: break;
	}
	return "interface {}";
}

/* Go's truth: false, 0, nil and empty strings, slices and maps are false. */
bool tpl_truth(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE: return true;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_FALSE:
	case JSON_NULL: break;
	}
	return false;
}
