/* STATE/shim.log (see shim_log.h). */
#include "shim_log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "jsonlog.h"

static int shim_log_fd = -1;

void shim_log_open(const char *path)
{
	if (shim_log_fd >= 0)
		close(shim_log_fd);
	shim_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
}

void shim_log(const char *level, const char *fmt, ...)
{
	char msg[BERTH_ERROR_MAX + 128], when[48];
	struct timespec ts;
	va_list ap;

	if (shim_log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	jsonlog_format_time((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec, when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write per line: a line is never torn by a later one. */
	dprintf(shim_log_fd, "%s %s berth-shim[%d]: %s\n", when, level, (int) getpid(), msg);
}
