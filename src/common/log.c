#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

static int log_fd = -1;
static bool log_discard;
static enum berth_log_format log_format = BERTH_LOG_TEXT;
static enum berth_log_level log_max = BERTH_LOG_WARNING;
static const char *log_progname = "berth";

static const char *const level_names[] = {
	[BERTH_LOG_ERROR] = "error",
	[BERTH_LOG_WARNING] = "warning",
	[BERTH_LOG_INFO] = "info",
	[BERTH_LOG_DEBUG] = "debug",
};

void berth_log_setup(const char *progname, int fd, enum berth_log_format format, enum berth_log_level max_level)
{
	log_progname = progname;
	log_fd = fd;
	log_format = format;
	log_max = max_level;
}

bool berth_log_enabled(enum berth_log_level level)
{
	return level <= log_max;
}

int berth_log_fd(void)
{
	return log_fd;
}

const char *berth_log_progname(void)
{
	return log_progname;
}

void berth_timestamp_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

void berth_log(enum berth_log_level level, const char *fmt, ...)
{
	char msg[BERTH_ERROR_MAX + 256];
	char when[64];
	va_list ap;
	int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;

	if (!berth_log_enabled(level) || log_discard)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berth_timestamp_now(when, sizeof(when));

	if (log_format == BERTH_LOG_JSON) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", when);
		char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (line) {
			struct iovec iov[2] = { { line, strlen(line) }, { "\n", 1 } };
			(void) !writev(fd, iov, 2);
		}
		free(line);
		json_decref(j);
		return;
	}
	if (log_fd >= 0)
		dprintf(fd, "%s %s %s[%d]: %s\n", when, level_names[level], log_progname, (int) getpid(), msg);
	else
		dprintf(fd, "%s: %s: %s\n", log_progname, level_names[level], msg);
}

void berth_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_discard = true;
}
