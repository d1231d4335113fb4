/* Floats as Go's strconv formats them: the shortest digits that read back
 * (for %v, %g and encoding/json), and the hexadecimal and binary forms.
 *
 * The digits come from libc's printf and strtod, which follow LC_NUMERIC;
 * Go never localises numbers, and a CLI that called setlocale() must not
 * either, so every conversion runs under a C locale of its own, switched
 * to for the calling thread only (uselocale) and never freed. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

locale_t tpl_c_numeric(void)
{
	/* Made once and kept for the life of the process; threads racing to
	 * make it agree on the first one stored. */
	static locale_t cached;
	locale_t loc = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
	if (loc)
		return loc;
	loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
	if (!loc)
		return (locale_t) 0;
	locale_t expected = (locale_t) 0;
	if (!__atomic_compare_exchange_n(&cached, &expected, loc, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		freelocale(loc);
		loc = expected;
	}
	return loc;
}

/* digits[0..nd) x 10^(exp - nd + 1) plus or minus one unit in the last
 * digit; if one reads back as v, it replaces the digits. */
static bool neighbour_reads_back(char *digits, int *nd, int *exp, double v)
{
	for (int delta = 1; delta >= -1; delta -= 2) {
		char m[40], s[64];
		int n = *nd, i = n;
		m[0] = '0'; /* room for a carry */
		memcpy(m + 1, digits, (size_t) n);
		m[n + 1] = '\0';
		for (;;) {
			int d = m[i] - '0' + delta;
			if (d >= 0 && d <= 9) {
				m[i] = (char) ('0' + d);
				break;
			}
			m[i] = d < 0 ? '9' : '0';
			if (--i < 0)
				break;
		}
		if (i < 0)
			continue;
		snprintf(s, sizeof(s), "%se%d", m, *exp - n + 1);
		if (strtod(s, NULL) != v)
			continue;
		const char *p = m;
		while (*p == '0' && p[1])
			p++;
		int len = (int) strlen(p);
		*exp += len - n;
		memcpy(digits, p, (size_t) len);
		*nd = len;
		return true;
	}
	return false;
}

/* Shortest decimal digits that read back as v (finite): digits[0..nd)
 * with the decimal point after *dp digits.  The caller has checked that
 * tpl_c_numeric() is available. */
static int float_digits(double v, char digits[32], int *dp)
{
	char s[48];

	v = fabs(v);
	*dp = 0;
	if (v == 0)
		return 0;
	locale_t old = uselocale(tpl_c_numeric());
	/* The fewest digits that read back as the same double.  At each length
	 * the correctly rounded digits are the closest candidate; next to a
	 * power of two the interval that reads back is narrower below than
	 * above, so the next string up can read back when the closest does
	 * not (Go's Ryu finds it: 2^-807 is 5.858190679279809e-244). */
	int nd = 0, exp = 0;
	for (int prec = 0; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*e", prec, v);
		nd = 0;
		const char *p = s;
		for (; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits[nd++] = *p;
		exp = *p == 'e' ? atoi(p + 1) : 0;
		if (strtod(s, NULL) == v || prec == 16 || neighbour_reads_back(digits, &nd, &exp, v))
			break;
	}
	uselocale(old);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	*dp = exp + 1;
	return nd;
}

static void fmt_e(struct tpl_buf *b, bool neg, const char *d, int nd, int dp, int prec, char e)
{
	if (neg)
		tpl_buf_putc(b, '-');
	tpl_buf_putc(b, nd ? d[0] : '0');
	if (prec > 0) {
		tpl_buf_putc(b, '.');
		int i = 1, m = nd < prec + 1 ? nd : prec + 1;
		if (i < m) {
			tpl_buf_put(b, d + i, (size_t) (m - i));
			i = m;
		}
		for (; i <= prec; i++)
			tpl_buf_putc(b, '0');
	}
	tpl_buf_putc(b, e);
	int exp = nd == 0 ? 0 : dp - 1;
	tpl_buf_putc(b, exp < 0 ? '-' : '+');
	tpl_buf_printf(b, "%02d", exp < 0 ? -exp : exp);
}

static void fmt_f(struct tpl_buf *b, bool neg, const char *d, int nd, int dp, int prec)
{
	if (neg)
		tpl_buf_putc(b, '-');
	if (dp > 0) {
		int m = nd < dp ? nd : dp;
		tpl_buf_put(b, d, (size_t) m);
		tpl_buf_fill(b, '0', (size_t) (dp - m));
	} else {
		tpl_buf_putc(b, '0');
	}
	if (prec > 0) {
		tpl_buf_putc(b, '.');
		for (int i = 1; i <= prec; i++) {
			int j = dp + i - 1;
			tpl_buf_putc(b, j >= 0 && j < nd ? d[j] : '0');
		}
	}
}

void tpl_float_hex(struct tpl_buf *b, double v, int prec, char fmt)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	bool neg = bits >> 63;
	int e = (int) (bits >> 52) & 0x7ff;
	uint64_t mant = bits & ((UINT64_C(1) << 52) - 1);
	if (e == 0)
		e = 1; /* subnormal */
	else
		mant |= UINT64_C(1) << 52;
	int exp = e - 1023;
	if (neg)
		tpl_buf_putc(b, '-');
	if (fmt == 'b') { /* mantissa p exponent, both decimal */
		tpl_buf_printf(b, "%llup%s%d", (unsigned long long) mant, exp - 52 >= 0 ? "+" : "", exp - 52);
		return;
	}
	if (mant == 0)
		exp = 0;
	mant <<= 60 - 52; /* the leading 1 at bit 60 */
	while (mant != 0 && (mant & (UINT64_C(1) << 60)) == 0)
		mant <<= 1, exp--;
	if (prec >= 0 && prec < 15) { /* round half to even at prec hex digits */
		unsigned shift = (unsigned) prec * 4;
		uint64_t extra = (mant << shift) & ((UINT64_C(1) << 60) - 1);
		mant >>= 60 - shift;
		if ((extra | (mant & 1)) > (UINT64_C(1) << 59))
			mant++;
		mant <<= 60 - shift;
		if (mant & (UINT64_C(1) << 61))
			mant >>= 1, exp++;
	}
	const char *hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	tpl_buf_putc(b, '0');
	tpl_buf_putc(b, fmt);
	tpl_buf_putc(b, (char) ('0' + ((mant >> 60) & 1)));
	mant <<= 4;
	if ((prec < 0 && mant != 0) || prec > 0)
		tpl_buf_putc(b, '.');
	for (int i = 0; prec < 0 ? mant != 0 : i < prec; i++, mant <<= 4)
		tpl_buf_putc(b, hex[(mant >> 60) & 15]);
	tpl_buf_printf(b, "%c%c%02d", fmt == 'X' ? 'P' : 'p', exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void tpl_float_shortest(struct tpl_buf *b, double v, char fmt)
{
	char d[32];
	int dp;

	if (isnan(v)) {
		tpl_buf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		tpl_buf_puts(b, v < 0 ? "-Inf" : "+Inf");
		return;
	}
	if (fmt == 'x' || fmt == 'X' || fmt == 'b') {
		tpl_float_hex(b, v, -1, fmt);
		return;
	}
	if (!tpl_c_numeric()) {
		b->state = TPL_BUF_NOMEM;
		return;
	}
	int nd = float_digits(v, d, &dp);
	bool neg = signbit(v) != 0;
	int fprec = nd - dp > 0 ? nd - dp : 0;
	switch (fmt) {
	case 'e':
	case 'E':
		fmt_e(b, neg, d, nd, dp, nd > 0 ? nd - 1 : 0, fmt);
		break;
	case 'f':
		fmt_f(b, neg, d, nd, dp, fprec);
		break;
	default: {
		/* %g picks %e when the exponent is < -4 or >= 6 (for the shortest
		 * form Go uses 6 as the precision in this decision). */
		int exp = dp - 1;
		if (exp < -4 || exp >= 6)
			fmt_e(b, neg, d, nd, dp, nd > 0 ? nd - 1 : 0, fmt == 'G' ? 'E' : 'e');
		else
			fmt_f(b, neg, d, nd, dp, fprec);
		break;
	}
	}
}

