#include "duration.h"

#include <stdbool.h>
#include <stdio.h>

#define NSEC_PER_SEC INT64_C(1000000000)

/* Go's fmtFrac: ".12345" for v / 10^prec without trailing zeros, nothing
 * when the fraction is 0.  Writes backwards ending at buf[w]. */
static size_t fmt_frac(char *buf, size_t w, uint64_t *v, int prec)
{
	bool print = false;
	for (int i = 0; i < prec; i++) {
		unsigned digit = (unsigned) (*v % 10);
		print = print || digit != 0;
		if (print)
			buf[--w] = (char) ('0' + digit);
		*v /= 10;
	}
	if (print)
		buf[--w] = '.';
	return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v)
{
	if (v == 0) {
		buf[--w] = '0';
		return w;
	}
	while (v > 0) {
		buf[--w] = (char) ('0' + v % 10);
		v /= 10;
	}
	return w;
}

void berth_duration_format(int64_t ns, char *out, size_t size)
{
	char buf[40];
	size_t w = sizeof(buf) - 1;
	bool neg = ns < 0;
	uint64_t u = neg ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns;

	buf[w] = '\0';
	if (u < (uint64_t) NSEC_PER_SEC) {
		int prec;
		if (u == 0) {
			snprintf(out, size, "0s");
			return;
		}
		buf[--w] = 's';
		if (u < 1000) {
			prec = 0;
			buf[--w] = 'n';
		} else if (u < 1000000) {
			prec = 3;
			buf[--w] = '\xb5'; /* U+00B5 MICRO SIGN in UTF-8 */
			buf[--w] = '\xc2';
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
		w = fmt_frac(buf, w, &u, prec);
		w = fmt_int(buf, w, u);
	} else {
		buf[--w] = 's';
		w = fmt_frac(buf, w, &u, 9);
		w = fmt_int(buf, w, u % 60);
		u /= 60;
		if (u > 0) {
			buf[--w] = 'm';
			w = fmt_int(buf, w, u % 60);
			u /= 60;
			if (u > 0) {
				buf[--w] = 'h';
				w = fmt_int(buf, w, u);
			}
		}
	}
	if (neg)
		buf[--w] = '-';
	snprintf(out, size, "%s", buf + w);
}

