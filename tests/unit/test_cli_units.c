/* Unit tests of the berth CLI's pure logic: docker's human units (go-units),
 * Go's time and duration formats, and the JSON message stream with its
 * display.  The display is checked byte for byte against what the docker CLI
 * (28.2) printed for the same stream (tests/cli/golden/stream2.*), on a
 * terminal 80 and 200 columns wide and off a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "jsonstream.h"
#include "units.h"

/* ---- the docker CLI's output for tests/cli/golden/stream2.json ---- */

static const char stream2_json[] =
	"{\"status\":\"Pulling from library/demo\",\"id\":\"1.0\"}\n"
	"{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"aaaaaaaaaaaa\"}\n"
	"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"cccccccccccc\"}\n"
	"{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"cccccccccccc\"}\n"
	"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":512,\"total\":123456789},\"progress\":\""
	"[>   ]  512B/123.5MB\",\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":61728394,\"total\":123456789},\"progres"
	"s\":\"[=====>  ]\",\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":999999,\"total\":0},\"id\":\"cccccccccc"
	"cc\"}\n"
	"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":200,\"total\":100},\"id\":\"ccccccccccc"
	"c\"}\n"
	"{\"status\":\"Extracting\",\"progressDetail\":{\"current\":3,\"total\":7,\"units\":\"files\"},\"id\""
	":\"cccccccccccc\"}\n"
	"{\"status\":\"Extracting\",\"progressDetail\":{\"current\":9,\"total\":7,\"units\":\"files\"},\"id\""
	":\"cccccccccccc\"}\n"
	"{\"status\":\"Extracting\",\"progressDetail\":{\"current\":5,\"total\":7,\"hidecounts\":true},\"id\""
	":\"cccccccccccc\"}\n"
	"{\"status\":\"Verifying Checksum\",\"progress\":\"legacy text\",\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"bbbbbbbbbbbb\"}\n"
	"{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"cccccccccccc\"}\n"
	"{\"stream\":\"a stream line\\n\"}\n"
	"{\"aux\":{\"ID\":\"sha256:abc\"}}\n"
	"{\"status\":\"Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\"}\n"
	"{\"status\":\"Status: Downloaded newer image for demo:1.0\"}\n";

static const char stream2_notty[] =
	"1.0: Pulling from library/demo\n"
	"aaaaaaaaaaaa: Already exists\n"
	"bbbbbbbbbbbb: Pulling fs layer\n"
	"cccccccccccc: Pulling fs layer\n"
	"cccccccccccc: Waiting\n"
	"bbbbbbbbbbbb: Verifying Checksum legacy textbbbbbbbbbbbb: Download complete\n"
	"bbbbbbbbbbbb: Pull complete\n"
	"cccccccccccc: Pull complete\n"
	"a stream line\n"
	"Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
	"Status: Downloaded newer image for demo:1.0\n";

static const char stream2_80[] =
	"1.0: Pulling from library/demo\n"
	"\n"
	"\x1b" "[1A\x1b" "[2K\raaaaaaaaaaaa: Already exists \r\x1b" "[1B\n"
	"\x1b" "[1A\x1b" "[2K\rbbbbbbbbbbbb: Pulling fs layer \r\x1b" "[1B\n"
	"\x1b" "[1A\x1b" "[2K\rcccccccccccc: Pulling fs layer \r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc"
	": Waiting \r\x1b" "[1B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Downloading     512B/123.5MB\r\x1b" "[2B\x1b" ""
	"[2A\x1b" "[2K\rbbbbbbbbbbbb: Downloading  61.73MB/123.5MB\r\x1b" "[2B\x1b" "[1A\x1b" "[2K\rcccccccc"
	"cccc: Downloading   1000kB\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Downloading     200B\r\x1b" ""
	"[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Extracting 3/7 files\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccc"
	"cccccc: Extracting 9 files\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Extracting \r\x1b" "[1B\x1b" ""
	"[2Abbbbbbbbbbbb: Verifying Checksum legacy text\x1b" "[2B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Downlo"
	"ad complete \r\x1b" "[2B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Pull complete \r\x1b" "[2B\x1b" "[1A\x1b" ""
	"[2K\rcccccccccccc: Pull complete \r\x1b" "[1Ba stream line\n"
	"Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
	"Status: Downloaded newer image for demo:1.0\n";

static const char stream2_200[] =
	"1.0: Pulling from library/demo\n"
	"\n"
	"\x1b" "[1A\x1b" "[2K\raaaaaaaaaaaa: Already exists \r\x1b" "[1B\n"
	"\x1b" "[1A\x1b" "[2K\rbbbbbbbbbbbb: Pulling fs layer \r\x1b" "[1B\n"
	"\x1b" "[1A\x1b" "[2K\rcccccccccccc: Pulling fs layer \r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc"
	": Waiting \r\x1b" "[1B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Downloading [>                           "
	"                       ]     512B/123.5MB\r\x1b" "[2B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Downloadin"
	"g [========================>                          ]  61.73MB/123.5MB\r\x1b" "[2B\x1b" "[1A\x1b" ""
	"[2K\rcccccccccccc: Downloading   1000kB\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Downloading "
	"[==================================================>]     200B\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rccc"
	"ccccccccc: Extracting [=====================>                             ] 3/7 files\r\x1b" "[1B\x1b" ""
	"[1A\x1b" "[2K\rcccccccccccc: Extracting [==================================================>] 9 fil"
	"es\r\x1b" "[1B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Extracting [===================================> "
	"              ] \r\x1b" "[1B\x1b" "[2Abbbbbbbbbbbb: Verifying Checksum legacy text\x1b" "[2B\x1b" ""
	"[2A\x1b" "[2K\rbbbbbbbbbbbb: Download complete \r\x1b" "[2B\x1b" "[2A\x1b" "[2K\rbbbbbbbbbbbb: Pull"
	" complete \r\x1b" "[2B\x1b" "[1A\x1b" "[2K\rcccccccccccc: Pull complete \r\x1b" "[1Ba stream line\n"
	"Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
	"Status: Downloaded newer image for demo:1.0\n";

/* ---- sizes ---- */

static void check_size(double v, int precision, const char *want)
{
	char out[BERTH_UNITS_MAX];
	berth_units_human_size_precision(v, precision, out);
	assert_string_equal(out, want);
}

static void test_human_size(void **state)
{
	(void) state;
	/* docker images / history: precision 3 */
	check_size(0, 3, "0B");
	check_size(850, 3, "850B");
	check_size(999, 3, "999B");
	check_size(1000, 3, "1kB");
	check_size(251, 3, "251B");
	check_size(4260000, 3, "4.26MB");
	check_size(12100000, 3, "12.1MB");
	check_size(123000000, 3, "123MB");
	check_size(1984292, 3, "1.98MB");
	check_size(1230000000, 3, "1.23GB");
	check_size(999999, 3, "1e+03kB");
	check_size(4265000, 3, "4.26MB"); /* 4.265 is below the half in binary */
	/* go-units TestHumanSize (precision 4) */
	char out[BERTH_UNITS_MAX];
	berth_units_human_size(1000, out);
	assert_string_equal(out, "1kB");
	berth_units_human_size(1024, out);
	assert_string_equal(out, "1.024kB");
	berth_units_human_size(1000000, out);
	assert_string_equal(out, "1MB");
	berth_units_human_size(1048576, out);
	assert_string_equal(out, "1.049MB");
	berth_units_human_size(2e6, out);
	assert_string_equal(out, "2MB");
	berth_units_human_size(3.42e9, out);
	assert_string_equal(out, "3.42GB");
	berth_units_human_size(5.372e12, out);
	assert_string_equal(out, "5.372TB");
	berth_units_human_size(2.22e15, out);
	assert_string_equal(out, "2.22PB");
	berth_units_human_size(1e13 * 1e15, out);
	assert_string_equal(out, "1e+04YB");
	berth_units_human_size(1984292, out);
	assert_string_equal(out, "1.984MB");
	berth_units_human_size(36412, out);
	assert_string_equal(out, "36.41kB");
	berth_units_human_size(999999, out);
	assert_string_equal(out, "1000kB");
}

static void test_bytes_size(void **state)
{
	(void) state;
	char out[BERTH_UNITS_MAX];
	const double kib = 1024, mib = kib * kib, gib = mib * kib, tib = gib * kib, pib = tib * kib;
	berth_units_bytes_size(1024, out);
	assert_string_equal(out, "1KiB");
	berth_units_bytes_size(mib, out);
	assert_string_equal(out, "1MiB");
	berth_units_bytes_size(2 * mib, out);
	assert_string_equal(out, "2MiB");
	berth_units_bytes_size(3.42 * gib, out);
	assert_string_equal(out, "3.42GiB");
	berth_units_bytes_size(5.372 * tib, out);
	assert_string_equal(out, "5.372TiB");
	berth_units_bytes_size(2.22 * pib, out);
	assert_string_equal(out, "2.22PiB");
	berth_units_bytes_size(kib * kib * kib * kib * kib * pib, out);
	assert_string_equal(out, "1.049e+06YiB");
	berth_units_bytes_size(0, out);
	assert_string_equal(out, "0B");
}

/* ---- durations ---- */

#define SEC INT64_C(1000000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define MONTH (30 * DAY)
#define YEAR (365 * DAY)

static void check_duration(int64_t ns, const char *want)
{
	char out[BERTH_UNITS_MAX];
	berth_units_human_duration(ns, out);
	assert_string_equal(out, want);
}

/* go-units' TestHumanDuration, every case */
static void test_human_duration(void **state)
{
	(void) state;
	check_duration(450 * 1000000, "Less than a second");
	check_duration(0, "Less than a second");
	check_duration(-5 * SEC, "Less than a second");
	check_duration(1 * SEC, "1 second");
	check_duration(45 * SEC, "45 seconds");
	check_duration(46 * SEC, "46 seconds");
	check_duration(59 * SEC, "59 seconds");
	check_duration(60 * SEC, "About a minute");
	check_duration(1 * MIN, "About a minute");
	check_duration(3 * MIN, "3 minutes");
	check_duration(35 * MIN, "35 minutes");
	check_duration(35 * MIN + 40 * SEC, "35 minutes");
	check_duration(45 * MIN, "45 minutes");
	check_duration(45 * MIN + 40 * SEC, "45 minutes");
	check_duration(46 * MIN, "46 minutes");
	check_duration(59 * MIN, "59 minutes");
	check_duration(1 * HOUR, "About an hour");
	check_duration(1 * HOUR + 29 * MIN, "About an hour");
	check_duration(1 * HOUR + 31 * MIN, "2 hours");
	check_duration(1 * HOUR + 59 * MIN, "2 hours");
	check_duration(3 * HOUR, "3 hours");
	check_duration(3 * HOUR + 29 * MIN, "3 hours");
	check_duration(3 * HOUR + 31 * MIN, "4 hours");
	check_duration(3 * HOUR + 59 * MIN, "4 hours");
	check_duration(3 * HOUR + 60 * MIN, "4 hours");
	check_duration(24 * HOUR, "24 hours");
	check_duration(1 * DAY + 12 * HOUR, "36 hours");
	check_duration(2 * DAY, "2 days");
	check_duration(7 * DAY, "7 days");
	check_duration(13 * DAY + 5 * HOUR, "13 days");
	check_duration(2 * WEEK, "2 weeks");
	check_duration(2 * WEEK + 4 * DAY, "2 weeks");
	check_duration(3 * WEEK, "3 weeks");
	check_duration(4 * WEEK, "4 weeks");
	check_duration(4 * WEEK + 3 * DAY, "4 weeks");
	check_duration(1 * MONTH, "4 weeks");
	check_duration(1 * MONTH + 2 * WEEK, "6 weeks");
	check_duration(2 * MONTH, "2 months");
	check_duration(2 * MONTH + 2 * WEEK, "2 months");
	check_duration(3 * MONTH, "3 months");
	check_duration(3 * MONTH + 1 * WEEK, "3 months");
	check_duration(5 * MONTH + 2 * WEEK, "5 months");
	check_duration(13 * MONTH, "13 months");
	check_duration(23 * MONTH, "23 months");
	check_duration(24 * MONTH, "24 months");
	check_duration(24 * MONTH + 2 * WEEK, "2 years");
	check_duration(3 * YEAR + 2 * MONTH, "3 years");
}

static void test_since(void **state)
{
	(void) state;
	char out[BERTH_UNITS_MAX];
	berth_units_since(1000, 1000, out);
	assert_string_equal(out, "Less than a second ago");
	berth_units_since(1000, 1090, out);
	assert_string_equal(out, "About a minute ago");
	berth_units_since(0, 14 * 86400, out);
	assert_string_equal(out, "2 weeks ago");
	/* 2024-01-01 seen from 2026-11-24 */
	berth_units_since(1704067200, 1795481912, out);
	assert_string_equal(out, "2 years ago");
	/* a time in the future (clock skew) */
	berth_units_since(2000, 1000, out);
	assert_string_equal(out, "Less than a second ago");
}

static void check_go_duration(int64_t ns, const char *want)
{
	char out[BERTH_UNITS_MAX];
	berth_units_go_duration(ns, out);
	assert_string_equal(out, want);
}

static void test_go_duration_string(void **state)
{
	(void) state;
	/* Go's time package tests (durationTests) */
	check_go_duration(0, "0s");
	check_go_duration(1, "1ns");
	check_go_duration(1100, "1.1\xc2\xb5s");
	check_go_duration(2200000, "2.2ms");
	check_go_duration(INT64_C(3300) * 1000000, "3.3s");
	check_go_duration(4 * MIN + 5 * SEC, "4m5s");
	check_go_duration(4 * MIN + INT64_C(5001) * 1000000, "4m5.001s");
	check_go_duration(5 * HOUR + 6 * MIN + INT64_C(7001) * 1000000, "5h6m7.001s");
	check_go_duration(8 * MIN + 1, "8m0.000000001s");
	check_go_duration(INT64_MAX, "2562047h47m16.854775807s");
	check_go_duration(INT64_MIN, "-2562047h47m16.854775808s");
	check_go_duration(-3 * SEC, "-3s");
	check_go_duration(1 * HOUR, "1h0m0s");
}

static void test_parse_go_duration(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	int64_t d;
	assert_int_equal(berth_units_parse_go_duration("10m", &d, &err), 0);
	assert_true(d == 10 * MIN);
	assert_int_equal(berth_units_parse_go_duration("1h30m", &d, &err), 0);
	assert_true(d == HOUR + 30 * MIN);
	assert_int_equal(berth_units_parse_go_duration("-1.5h", &d, &err), 0);
	assert_true(d == -(HOUR + 30 * MIN));
	assert_int_equal(berth_units_parse_go_duration("300ms", &d, &err), 0);
	assert_true(d == 300 * 1000000);
	assert_int_equal(berth_units_parse_go_duration("2\xc2\xb5s", &d, &err), 0);
	assert_true(d == 2000);
	assert_int_equal(berth_units_parse_go_duration("0", &d, &err), 0);
	assert_true(d == 0);
	assert_int_equal(berth_units_parse_go_duration("10", &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "missing unit"));
	assert_int_equal(berth_units_parse_go_duration("3x", &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown unit"));
	assert_int_equal(berth_units_parse_go_duration("", &d, &err), -EINVAL);
	assert_int_equal(berth_units_parse_go_duration(".s", &d, &err), -EINVAL);
	assert_int_equal(berth_units_parse_go_duration("2026-11-23", &d, &err), -EINVAL);
}

/* ---- times ---- */

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void test_parse_rfc3339(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	int64_t s;
	int32_t ns;
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01T00:00:00Z", &s, &ns, &err), 0);
	assert_true(s == 1704067200);
	assert_int_equal(ns, 0);
	assert_int_equal(berth_units_parse_rfc3339("2026-11-23T10:00:00.123456789+01:00", &s, &ns, &err), 0);
	assert_true(s == 1795428000 - 3600);
	assert_int_equal(ns, 123456789);
	assert_int_equal(berth_units_parse_rfc3339("2026-11-23T10:00:00.5-02:30", &s, &ns, &err), 0);
	assert_true(s == 1795428000 + 9000);
	assert_int_equal(ns, 500000000);
	/* more digits than nanoseconds are cut */
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01T00:00:00.1234567891Z", &s, &ns, &err), 0);
	assert_int_equal(ns, 123456789);
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01T00:00:00", &s, &ns, &err), -EINVAL);
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01", &s, &ns, &err), -EINVAL);
	assert_int_equal(berth_units_parse_rfc3339("2024-13-01T00:00:00Z", &s, &ns, &err), -EINVAL);
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01T25:00:00Z", &s, &ns, &err), -EINVAL);
	assert_int_equal(berth_units_parse_rfc3339("2024-01-01T00:00:00Zjunk", &s, &ns, &err), -EINVAL);
	assert_int_equal(berth_units_parse_rfc3339("", &s, &ns, &err), -EINVAL);
}

static void test_format_time(void **state)
{
	(void) state;
	char out[BERTH_UNITS_MAX];
	set_tz("UTC");
	berth_units_format_time(1795481912, 761707401, BERTH_TIME_RFC3339_NANO_FIXED, false, out);
	assert_string_equal(out, "2026-11-24T00:58:32.761707401Z");
	berth_units_format_time(1795481912, 5, BERTH_TIME_RFC3339_NANO_FIXED, false, out);
	assert_string_equal(out, "2026-11-24T00:58:32.000000005Z");
	berth_units_format_time(1704067200, 0, BERTH_TIME_RFC3339, false, out);
	assert_string_equal(out, "2024-01-01T00:00:00Z");
	berth_units_format_time(1704067200, 0, BERTH_TIME_GO_STRING, false, out);
	assert_string_equal(out, "2024-01-01 00:00:00 +0000 UTC");
	berth_units_format_time(1704067200, 120000000, BERTH_TIME_GO_STRING, true, out);
	assert_string_equal(out, "2024-01-01 00:00:00.12 +0000 UTC");

	set_tz("<+0530>-5:30");
	berth_units_format_time(1704067200, 0, BERTH_TIME_RFC3339, false, out);
	assert_string_equal(out, "2024-01-01T05:30:00+05:30");
	berth_units_format_time(1704067200, 1, BERTH_TIME_RFC3339_NANO_FIXED, false, out);
	assert_string_equal(out, "2024-01-01T05:30:00.000000001+05:30");
	berth_units_format_time(1704067200, 0, BERTH_TIME_GO_STRING, false, out);
	assert_string_equal(out, "2024-01-01 05:30:00 +0530 +0530");
	berth_units_format_time(1704067200, 0, BERTH_TIME_RFC3339, true, out);
	assert_string_equal(out, "2024-01-01T00:00:00Z");
	set_tz("<-03>3");
	berth_units_format_time(1704067200, 0, BERTH_TIME_RFC3339, false, out);
	assert_string_equal(out, "2023-12-31T21:00:00-03:00");
	set_tz("UTC");
}

static void check_timestamp(const char *in, int64_t now, const char *want)
{
	struct berth_error err = { 0 };
	char out[BERTH_UNITS_MAX];
	assert_int_equal(berth_units_timestamp(in, now, out, &err), 0);
	assert_string_equal(out, want);
}

/* docker's GetTimestamp cases (api/types/time/timestamp_test.go) */
static void test_timestamp(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char out[BERTH_UNITS_MAX];
	const int64_t now = 1795481912;

	set_tz("UTC");
	check_timestamp("10m", now, "1795481312");
	check_timestamp("1.5h", now, "1795476512");
	check_timestamp("-10m", now, "1795482512");
	check_timestamp("1ms", now, "1795481911");
	check_timestamp("2006-01-02T15:04:05.123456789Z", now, "1136214245.123456789");
	check_timestamp("2006-01-02T15:04:05.123456789+07:00", now, "1136189045.123456789");
	check_timestamp("2006-01-02T15:04:05Z", now, "1136214245.000000000");
	check_timestamp("2006-01-02T15:04:05+07:00", now, "1136189045.000000000");
	check_timestamp("2006-01-02T15:04Z", now, "1136214240.000000000");
	check_timestamp("2006-01-02T15Z", now, "1136214000.000000000");
	check_timestamp("2006-01-02Z", now, "1136160000.000000000");
	check_timestamp("2006-01-02+07:00", now, "1136134800.000000000");
	check_timestamp("2006-01-02T15:04:05", now, "1136214245.000000000");
	check_timestamp("2006-01-02T15:04", now, "1136214240.000000000");
	check_timestamp("2006-01-02T15", now, "1136214000.000000000");
	check_timestamp("2006-01-02", now, "1136160000.000000000");
	check_timestamp("1136073600", now, "1136073600");
	check_timestamp("1136073600.000000001", now, "1136073600.000000001");
	check_timestamp("0", now, "0");
	/* local time: the offset of now, as Go's FixedZone(reference.Zone()) */
	set_tz("<+02>-2");
	check_timestamp("2006-01-02T15:04:05", now, "1136207045.000000000");
	set_tz("UTC");
	assert_int_equal(berth_units_timestamp("2006-01-02T15:04:05.xZ", now, out, &err), -EINVAL);
	assert_int_equal(berth_units_timestamp("invalid", now, out, &err), -EINVAL);
	assert_string_equal(err.msg, "failed to parse value as time or duration: \"invalid\"");
	assert_int_equal(berth_units_timestamp("", now, out, &err), -EINVAL);
}

static void test_short_id(void **state)
{
	(void) state;
	char out[BERTH_SHORT_ID_LEN + 1];
	berth_units_short_id("sha256:55e0abdc6c022b36d2e4b4985255bbfa691102f51d27d599628244cb77bbcb0c", out);
	assert_string_equal(out, "55e0abdc6c02");
	berth_units_short_id("55e0abdc6c022b36d2e4b4985255bbfa691102f51d27d599628244cb77bbcb0c", out);
	assert_string_equal(out, "55e0abdc6c02");
	berth_units_short_id("<missing>", out);
	assert_string_equal(out, "<missing>");
	berth_units_short_id("", out);
	assert_string_equal(out, "");
	berth_units_short_id("abc", out);
	assert_string_equal(out, "abc");
}

static void check_ellipsis(const char *in, int width, const char *want)
{
	_cleanup_free_ char *out = berth_units_ellipsis(in, width);
	assert_non_null(out);
	assert_string_equal(out, want);
}

/* docker's TestEllipsis */
static void test_ellipsis(void **state)
{
	(void) state;
	check_ellipsis("t🐳ststring", 0, "");
	check_ellipsis("t🐳ststring", 1, "t");
	check_ellipsis("t🐳ststring", 2, "t…");
	check_ellipsis("t🐳ststring", 6, "t🐳st…");
	check_ellipsis("t🐳ststring", 20, "t🐳ststring");
	check_ellipsis("你好世界teststring", 0, "");
	check_ellipsis("你好世界teststring", 1, "你");
	check_ellipsis("你好世界teststring", 3, "你…");
	check_ellipsis("你好世界teststring", 6, "你好…");
	check_ellipsis("你好世界teststring", 20, "你好世界teststring");
	check_ellipsis("test🐳string", 0, "");
	check_ellipsis("test🐳string", 1, "t");
	check_ellipsis("test🐳string", 4, "tes…");
	check_ellipsis("test🐳string", 6, "test…");
	check_ellipsis("test🐳string", 20, "test🐳string");
	check_ellipsis("teststring", 0, "");
	check_ellipsis("teststring", 1, "t");
	check_ellipsis("teststring", 3, "te…");
	check_ellipsis("teststring", 10, "teststring");
	check_ellipsis("teststring", 20, "teststring");
	/* what `docker history` showed for a 47-character CREATED BY */
	check_ellipsis("COPY extras / # links, fifo, setuid, xattr, names", 45,
		       "COPY extras / # links, fifo, setuid, xattr, …");
}

/* ---- the JSON stream ---- */

struct collected {
	char *values[16];
	size_t n;
};

static int collect(void *userdata, const char *value, size_t len, struct berth_error *err)
{
	struct collected *c = userdata;
	(void) err;
	assert_true(c->n < 16);
	c->values[c->n++] = strndup(value, len);
	return 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->values[i]);
	c->n = 0;
}

static void test_splitter_pieces(void **state)
{
	(void) state;
	static const char stream[] = "{\"status\":\"a}\\\"{\"}\n {\"id\":\"x\",\"progressDetail\":{\"current\":1}}"
				     "\r\n[1,{\"a\":[2]}]{\"b\":\"\\\\\"}";
	struct berth_error err = { 0 };
	struct collected c = { 0 };

	/* every way of cutting the stream in two gives the same values */
	for (size_t cut = 0; cut <= sizeof(stream) - 1; cut++) {
		_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
		assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, stream, cut, collect, &c, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, stream + cut, sizeof(stream) - 1 - cut, collect, &c, &err), 0);
		assert_int_equal(berth_jsonsplitter_finish(s, &err), 0);
		assert_int_equal(c.n, 4);
		assert_string_equal(c.values[0], "{\"status\":\"a}\\\"{\"}");
		assert_string_equal(c.values[1], "{\"id\":\"x\",\"progressDetail\":{\"current\":1}}");
		assert_string_equal(c.values[2], "[1,{\"a\":[2]}]");
		assert_string_equal(c.values[3], "{\"b\":\"\\\\\"}");
		collected_free(&c);
	}
	/* byte by byte */
	_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
	assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
	for (size_t i = 0; i < sizeof(stream) - 1; i++)
		assert_int_equal(berth_jsonsplitter_feed(s, stream + i, 1, collect, &c, &err), 0);
	assert_int_equal(c.n, 4);
	collected_free(&c);
}

static int stop_at_second(void *userdata, const char *value, size_t len, struct berth_error *err)
{
	int *n = userdata;
	(void) value;
	(void) len;
	if (++*n == 2)
		return berth_error_set(err, ECANCELED, "stop");
	return 0;
}

static void test_splitter_errors(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct collected c = { 0 };
	{
		_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
		assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, "{} x", 4, collect, &c, &err), -EBADMSG);
		assert_non_null(strstr(err.msg, "invalid character 'x'"));
		collected_free(&c);
	}
	{
		_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
		assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, "{\"a\":", 5, collect, &c, &err), 0);
		assert_int_equal(berth_jsonsplitter_finish(s, &err), -EBADMSG);
		assert_int_equal(c.n, 0);
	}
	{
		/* bounded: a value larger than the limit is refused */
		_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
		char big[64];
		memset(big, ' ', sizeof(big));
		big[0] = '{';
		big[1] = '"';
		assert_int_equal(berth_jsonsplitter_new(16, &s, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, big, sizeof(big), collect, &c, &err), -EMSGSIZE);
	}
	{
		/* an error from the callback stops the feed and comes back */
		_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
		int n = 0;
		assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
		assert_int_equal(berth_jsonsplitter_feed(s, "{}{}{}", 6, stop_at_second, &n, &err), -ECANCELED);
		assert_int_equal(n, 2);
	}
}

static void test_message_parse(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	{
		_cleanup_jsonmessage_ struct berth_jsonmessage m = { 0 };
		static const char t[] = "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":36412,\"total\":1036200,"
					"\"start\":5,\"units\":\"files\",\"hidecounts\":true},\"progress\":\"[=>]\",\"id\":\"072f\","
					"\"time\":7,\"timeNano\":8,\"from\":\"img\",\"stream\":\"\"}";
		assert_int_equal(berth_jsonmessage_parse(t, sizeof(t) - 1, &m, &err), 0);
		assert_string_equal(m.status, "Downloading");
		assert_string_equal(m.id, "072f");
		assert_string_equal(m.progress_message, "[=>]");
		assert_string_equal(m.from, "img");
		assert_null(m.stream); /* empty is absent, as Go's "" */
		assert_true(m.progress.present);
		assert_true(m.progress.current == 36412 && m.progress.total == 1036200 && m.progress.start == 5);
		assert_true(m.progress.hide_counts);
		assert_string_equal(m.progress.units, "files");
		assert_true(m.time == 7 && m.time_nano == 8);
		assert_false(m.has_error);
		assert_null(m.aux);
	}
	{
		_cleanup_jsonmessage_ struct berth_jsonmessage m = { 0 };
		static const char t[] = "{\"errorDetail\":{\"code\":401,\"message\":\"denied\"},\"error\":\"other\"}";
		assert_int_equal(berth_jsonmessage_parse(t, sizeof(t) - 1, &m, &err), 0);
		assert_true(m.has_error);
		assert_true(m.error_code == 401);
		assert_string_equal(m.error_message, "denied");
		assert_false(m.progress.present);
	}
	{
		_cleanup_jsonmessage_ struct berth_jsonmessage m = { 0 };
		static const char t[] = "{\"error\":\"only the old field\",\"aux\":{\"ID\":\"x\"},\"id\":7}";
		assert_int_equal(berth_jsonmessage_parse(t, sizeof(t) - 1, &m, &err), 0);
		assert_true(m.has_error);
		assert_string_equal(m.error_message, "only the old field");
		assert_non_null(m.aux);
		assert_null(m.id); /* wrong type: ignored */
	}
	{
		struct berth_jsonmessage m = { 0 };
		assert_int_equal(berth_jsonmessage_parse("[1]", 3, &m, &err), -EBADMSG);
		assert_int_equal(berth_jsonmessage_parse("{", 1, &m, &err), -EBADMSG);
		assert_null(m.root);
	}
}

static void check_progress(int64_t cur, int64_t total, int64_t start, const char *units, bool hide, int width,
			   int64_t now_ns, const char *want)
{
	struct berth_jsonprogress p = { .present = true, .current = cur, .total = total, .start = start,
					.units = units, .hide_counts = hide };
	char out[512];
	berth_jsonprogress_string(&p, width, now_ns, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_progress_string(void **state)
{
	(void) state;
	const int64_t now = INT64_C(1000) * SEC;
	check_progress(0, 0, 0, NULL, false, 200, now, "");
	check_progress(-1, 0, 0, NULL, false, 200, now, "");
	check_progress(999999, 0, 0, NULL, false, 200, now, "  1000kB");
	check_progress(5, 0, 0, "files", false, 200, now, "5 files");
	check_progress(512, 123456789, 0, NULL, false, 80, now, "    512B/123.5MB");
	check_progress(512, 123456789, 0, NULL, false, 200, now,
		       "[>                                                  ]     512B/123.5MB");
	check_progress(61728394, 123456789, 0, NULL, false, 111, now,
		       "[========================>                          ]  61.73MB/123.5MB");
	check_progress(200, 100, 0, NULL, false, 200, now,
		       "[==================================================>]     200B");
	check_progress(3, 7, 0, "files", false, 80, now, "3/7 files");
	check_progress(9, 7, 0, "files", false, 80, now, "9 files");
	check_progress(5, 7, 0, NULL, true, 200, now, "[===================================>               ] ");
	/* the time left: 50 of 100 in 10 s */
	check_progress(50, 100, 990, NULL, false, 200, now,
		       "[=========================>                         ]      50B/100B 10s");
	check_progress(50, 100, 990, NULL, false, 51, now, "     50B/100B 10s");
	check_progress(50, 100, 990, NULL, false, 50, now, "     50B/100B");
	check_progress(1, 3600, 0 + 999, NULL, false, 80, now, "      1B/3.6kB 59m59s");
	/* complete: no time left */
	check_progress(100, 100, 990, NULL, false, 80, now, "    100B/100B");
	/* figures a hostile daemon sends (found by fuzz-jsonstream): a ratio
	 * beyond int's range is a full bar, not undefined behaviour and a
	 * billion spaces; a negative one an empty bar; a start that overflows
	 * the nanoseconds saturates as Go's time.Sub */
	check_progress(99999999999, 1500, 0, NULL, false, 200, now,
		       "[==================================================>]    100GB");
	check_progress(-5, 100, 0, NULL, false, 200, now,
		       "[>                                                  ]      -5B/100B");
	check_progress(1, 2, INT64_MAX, NULL, false, 80, now, "      1B/2B -2562047h47m16s");
}

static int64_t fixed_now(void)
{
	return INT64_C(1000) * SEC;
}

struct display_run {
	struct berth_jsondisplay d;
	FILE *out;
	int failures;
	char last_error[BERTH_ERROR_MAX];
};

static int display_value(void *userdata, const char *value, size_t len, struct berth_error *err)
{
	struct display_run *run = userdata;
	_cleanup_jsonmessage_ struct berth_jsonmessage m = { 0 };
	int r = berth_jsonmessage_parse(value, len, &m, err);
	if (r < 0)
		return r;
	r = berth_jsondisplay_message(&run->d, &m, run->out, err);
	if (r < 0) {
		run->failures++;
		snprintf(run->last_error, sizeof(run->last_error), "%s", err->msg);
	}
	return r;
}

/* Display a whole stream; returns the output (malloc'ed). */
static char *display_stream(const char *json, bool terminal, int width, int *ret_r, char *ret_error)
{
	struct display_run run = { 0 };
	struct berth_error err = { 0 };
	_cleanup_jsonsplitter_ struct berth_jsonsplitter *s = NULL;
	char *buf = NULL;
	size_t len = 0;

	berth_jsondisplay_init(&run.d, terminal, width);
	run.d.now_ns = fixed_now;
	run.out = open_memstream(&buf, &len);
	assert_non_null(run.out);
	assert_int_equal(berth_jsonsplitter_new(0, &s, &err), 0);
	/* in uneven pieces, as a socket delivers them */
	size_t total = strlen(json), off = 0, step = 7;
	int r = 0;
	while (off < total && r == 0) {
		size_t n = total - off < step ? total - off : step;
		r = berth_jsonsplitter_feed(s, json + off, n, display_value, &run, &err);
		off += n;
		step = step * 3 % 61 + 1;
	}
	fclose(run.out);
	berth_jsondisplay_clear(&run.d);
	*ret_r = r;
	if (ret_error)
		snprintf(ret_error, BERTH_ERROR_MAX, "%s", err.msg);
	return buf;
}

static void test_display_like_docker(void **state)
{
	(void) state;
	int r;
	_cleanup_free_ char *plain = display_stream(stream2_json, false, 200, &r, NULL);
	assert_int_equal(r, 0);
	assert_string_equal(plain, stream2_notty);
	_cleanup_free_ char *narrow = display_stream(stream2_json, true, 80, &r, NULL);
	assert_int_equal(r, 0);
	assert_string_equal(narrow, stream2_80);
	_cleanup_free_ char *wide = display_stream(stream2_json, true, 200, &r, NULL);
	assert_int_equal(r, 0);
	assert_string_equal(wide, stream2_200);
}

static void test_display_error(void **state)
{
	(void) state;
	static const char stream[] = "{\"status\":\"Pulling from library/demo\",\"id\":\"1.0\"}\n"
				     "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbbbbbbbbbbb\"}\n"
				     "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":512,\"total\":1024},"
				     "\"id\":\"bbbbbbbbbbbb\"}\n"
				     "{\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected EOF\"}\n"
				     "{\"status\":\"never shown\"}\n";
	char error[BERTH_ERROR_MAX];
	int r;
	_cleanup_free_ char *plain = display_stream(stream, false, 200, &r, error);
	assert_int_equal(r, -EIO);
	assert_string_equal(error, "unexpected EOF");
	assert_string_equal(plain, "1.0: Pulling from library/demo\nbbbbbbbbbbbb: Pulling fs layer\n");
	/* on a terminal, an error with an id puts the cursor back below */
	static const char with_id[] = "{\"status\":\"x\",\"progressDetail\":{},\"id\":\"a\"}"
				      "{\"errorDetail\":{\"message\":\"boom\"},\"id\":\"a\",\"progressDetail\":{}}";
	_cleanup_free_ char *term = display_stream(with_id, true, 80, &r, error);
	assert_int_equal(r, -EIO);
	assert_string_equal(error, "boom");
	assert_string_equal(term, "\n\x1b[1A\x1b[2K\ra: x \r\x1b[1B\x1b[1A\x1b[1B");
}

static void test_display_times(void **state)
{
	(void) state;
	set_tz("UTC");
	int r;
	static const char stream[] = "{\"status\":\"pull\",\"id\":\"busybox\",\"timeNano\":1795481912761707401,\"time\":1}"
				     "{\"status\":\"x\",\"time\":1795481912,\"from\":\"img\"}";
	_cleanup_free_ char *out = display_stream(stream, false, 200, &r, NULL);
	assert_int_equal(r, 0);
	assert_string_equal(out, "2026-11-24T00:58:32.761707401Z busybox: pull\n"
				 "2026-11-24T00:58:32.000000000Z (from img) x\n");
	/* a time whose year does not fit an int is shown as seconds (found by
	 * fuzz-jsonstream: the year overflowed) */
	_cleanup_free_ char *far = display_stream("{\"status\":\"x\",\"time\":67767976259460800}", false, 200, &r, NULL);
	assert_int_equal(r, 0);
	assert_string_equal(far, "67767976259460800 x\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_size),
		cmocka_unit_test(test_bytes_size),
		cmocka_unit_test(test_human_duration),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_go_duration_string),
		cmocka_unit_test(test_parse_go_duration),
		cmocka_unit_test(test_parse_rfc3339),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_short_id),
		cmocka_unit_test(test_ellipsis),
		cmocka_unit_test(test_splitter_pieces),
		cmocka_unit_test(test_splitter_errors),
		cmocka_unit_test(test_message_parse),
		cmocka_unit_test(test_progress_string),
		cmocka_unit_test(test_display_like_docker),
		cmocka_unit_test(test_display_error),
		cmocka_unit_test(test_display_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
