/* The docker CLI's human units, reproduced exactly, for berth's output.
 *
 * Sizes follow github.com/docker/go-units: HumanSizeWithPrecision divides by
 * 1000 while the value is >= 1000 ("B", "kB", "MB", ...) and prints
 * fmt.Sprintf("%.*g%s"), so 4260000 is "4.26MB", 999999 at precision 3 is
 * "1e+03kB" (as docker prints it), 0 is "0B".  BytesSize is the binary form
 * ("7.667GiB").  Durations are go-units' HumanDuration ("About a minute",
 * "2 weeks"); `docker images` appends " ago".  Times are printed and parsed
 * as Go's time package does for the layouts docker uses.
 *
 * Pure functions of their arguments (the current time is passed in), so that
 * they can be unit-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

/* Room for any string made here. */
#define BERTH_UNITS_MAX 64
/* docker's short IDs: 12 hex digits. */
#define BERTH_SHORT_ID_LEN 12

/* go-units HumanSizeWithPrecision(size, precision): decimal units. */
void berth_units_human_size_precision(double size, int precision, char out[BERTH_UNITS_MAX]);
/* go-units HumanSize: precision 4. */
void berth_units_human_size(double size, char out[BERTH_UNITS_MAX]);
/* go-units BytesSize: binary units, precision 4 ("1.5GiB"). */
void berth_units_bytes_size(double size, char out[BERTH_UNITS_MAX]);

/* go-units HumanDuration of a duration in nanoseconds: "Less than a second",
 * "1 second", "About a minute", "3 hours", "2 weeks", "5 years"... */
void berth_units_human_duration(int64_t nanoseconds, char out[BERTH_UNITS_MAX]);
/* HumanDuration(now - then) + " ago", as `docker images` prints CREATED. */
void berth_units_since(int64_t then_sec, int64_t now_sec, char out[BERTH_UNITS_MAX]);

/* Go's time.Duration.String() ("0s", "1.5s", "2m3s", "1h0m0s", "250ms"). */
void berth_units_go_duration(int64_t nanoseconds, char out[BERTH_UNITS_MAX]);
/* Go's time.ParseDuration: "300ms", "-1.5h", "2h45m", units ns us µs ms s m h. */
int berth_units_parse_go_duration(const char *s, int64_t *ret_ns, struct berth_error *err);

/* Parse an RFC 3339 time ("2026-11-23T10:00:00.123456789+01:00", "...Z"),
 * as the Engine API writes them.  Fractions beyond nanoseconds are cut. */
int berth_units_parse_rfc3339(const char *s, int64_t *ret_sec, int32_t *ret_nsec, struct berth_error *err);

/* The layouts of Go's time.Format the docker CLI uses, in the local time
 * zone (TZ), or UTC when utc is true:
 *   RFC3339           "2006-01-02T15:04:05Z07:00"
 *   RFC3339_NANO_FIXED "2006-01-02T15:04:05.000000000Z07:00" (events)
 *   GO_STRING         "2006-01-02 15:04:05.999999999 -0700 MST" (time.String)
 * A zero offset is written "Z" in the RFC 3339 layouts, as Go does. */
enum berth_time_layout {
	BERTH_TIME_RFC3339,
	BERTH_TIME_RFC3339_NANO_FIXED,
	BERTH_TIME_GO_STRING,
};
void berth_units_format_time(int64_t sec, int32_t nsec, enum berth_time_layout layout, bool utc,
			     char out[BERTH_UNITS_MAX]);

/* docker's GetTimestamp for --since / --until: a Go duration (relative to
 * now), an RFC 3339 time or date (local time when no zone is given), or a
 * Unix timestamp ("1700000000", "1700000000.5") passed through.  The result
 * is what the API takes: "SECONDS" or "SECONDS.NANOSECONDS". */
int berth_units_timestamp(const char *value, int64_t now_sec, char out[BERTH_UNITS_MAX], struct berth_error *err);

/* docker's stringid.TruncateID: drop everything up to the first ':' and
 * keep at most 12 characters ("sha256:0123456789abcdef..." -> "0123456789ab"). */
void berth_units_short_id(const char *id, char out[BERTH_SHORT_ID_LEN + 1]);

/* docker's formatter.Ellipsis: s cut to max_width display columns with a
 * trailing "…" (wide East Asian characters count 2).  Malloc'ed; NULL only
 * when out of memory. */
char *berth_units_ellipsis(const char *s, int max_width);
