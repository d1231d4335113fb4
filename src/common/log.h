/* The log sink.  A main configures it once (file or stderr, text or JSON);
 * library code reports warnings and debug notes through it and never prints
 * anything else.  Errors travel up as struct berth_error and are printed by
 * the main that receives them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum berth_log_level {
	BERTH_LOG_ERROR,
	BERTH_LOG_WARNING,
	BERTH_LOG_INFO,
	BERTH_LOG_DEBUG,
};

enum berth_log_format {
	BERTH_LOG_TEXT,
	BERTH_LOG_JSON, /* one {"level","msg","time"} object per line, as runc writes for containerd */
};

/* Now, as RFC 3339 with nanoseconds in UTC ("2026-11-23T22:34:00.123456789Z"). */
void berth_timestamp_now(char *buf, size_t size);

/* fd < 0 logs to stderr.  Messages above max_level are dropped. */
void berth_log_setup(const char *progname, int fd, enum berth_log_format format, enum berth_log_level max_level);
bool berth_log_enabled(enum berth_log_level level);
void berth_log(enum berth_log_level level, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* The log descriptor, to keep open across a fork; -1 for stderr. */
int berth_log_fd(void);
const char *berth_log_progname(void);
/* Close the log file and drop later messages: for a process that goes on
 * living in a container, which must not hold a descriptor of the host. */
void berth_log_close(void);

#define berth_warn(...) berth_log(BERTH_LOG_WARNING, __VA_ARGS__)
#define berth_debug(...)                                       \
	do {                                                   \
		if (berth_log_enabled(BERTH_LOG_DEBUG))        \
			berth_log(BERTH_LOG_DEBUG, __VA_ARGS__); \
	} while (0)
