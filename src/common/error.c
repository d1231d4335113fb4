#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 2, 0))) static void format_into(struct berth_error *err, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		snprintf(err->msg, sizeof(err->msg), "(unformattable error message)");
}

int berth_error_set(struct berth_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code <= 0)
		code = EINVAL;
	err->code = code;
	va_start(ap, fmt);
	format_into(err, fmt, ap);
	va_end(ap);
	return -code;
}

int berth_error_sys(struct berth_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	err->code = code;
	va_start(ap, fmt);
	format_into(err, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(code));
	return -code;
}

int berth_error_wrap(struct berth_error *err, const char *fmt, ...)
{
	char prefix[BERTH_ERROR_MAX];
	char old[BERTH_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	if (err->code <= 0)
		err->code = EIO;
	return -err->code;
}

void berth_error_clear(struct berth_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
