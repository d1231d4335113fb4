/* Healthchecks as dockerd defines them (see health_config.h). */
#include "health_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECOND INT64_C(1000000000)
#define MINIMUM_DURATION INT64_C(1000000) /* dockerd's 1ms */
#define DEFAULT_INTERVAL (30 * SECOND)
#define DEFAULT_TIMEOUT (30 * SECOND)
#define DEFAULT_START_INTERVAL (5 * SECOND)
#define DEFAULT_RETRIES 3

static const char *const durations[] = { "Interval", "Timeout", "StartPeriod", "StartInterval" };

json_t *berth_health_merge(json_t *image_hc, json_t *request_hc)
{
	if (!json_is_object(request_hc))
		return json_is_object(image_hc) ? json_deep_copy(image_hc) : NULL;
	json_t *hc = json_deep_copy(request_hc);
	if (!hc || !json_is_object(image_hc))
		return hc;
	if (json_array_size(json_object_get(hc, "Test")) == 0 && json_object_get(image_hc, "Test"))
		json_object_set(hc, "Test", json_object_get(image_hc, "Test"));
	for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++)
		if (json_integer_value(json_object_get(hc, durations[i])) == 0 && json_object_get(image_hc, durations[i]))
			json_object_set(hc, durations[i], json_object_get(image_hc, durations[i]));
	if (json_integer_value(json_object_get(hc, "Retries")) == 0 && json_object_get(image_hc, "Retries"))
		json_object_set(hc, "Retries", json_object_get(image_hc, "Retries"));
	return hc;
}

int berth_health_validate(json_t *hc, struct berth_error *err)
{
	if (!hc || json_is_null(hc))
		return 0;
	if (!json_is_object(hc))
		return berth_error_set(err, EINVAL, "Healthcheck: want a JSON object");
	json_t *test = json_object_get(hc, "Test"), *v;
	size_t i;
	if (test && !json_is_null(test) && !json_is_array(test))
		return berth_error_set(err, EINVAL, "Healthcheck.Test: want an array of strings");
	json_array_foreach(test, i, v) if (!json_is_string(v)) return berth_error_set(
		err, EINVAL, "Healthcheck.Test: want an array of strings");
	for (i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
		json_t *d = json_object_get(hc, durations[i]);
		if (d && !json_is_null(d) && !json_is_integer(d))
			return berth_error_set(err, EINVAL, "Healthcheck.%s: want an integer (nanoseconds)", durations[i]);
		json_int_t ns = json_integer_value(d);
		if (ns != 0 && ns < MINIMUM_DURATION)
			return berth_error_set(err, EINVAL, "%s in Healthcheck cannot be less than 1ms", durations[i]);
	}
	json_t *retries = json_object_get(hc, "Retries");
	if (retries && !json_is_null(retries) && !json_is_integer(retries))
		return berth_error_set(err, EINVAL, "Healthcheck.Retries: want an integer");
	if (json_integer_value(retries) < 0)
		return berth_error_set(err, EINVAL, "Retries in Healthcheck cannot be negative");
	return 0;
}

static const char *probe_type(json_t *config)
{
	json_t *test = json_object_get(json_object_get(config, "Healthcheck"), "Test");
	const char *type = json_string_value(json_array_get(test, 0));
	if (!type || (strcmp(type, "CMD") != 0 && strcmp(type, "CMD-SHELL") != 0) || json_array_size(test) < 2)
		return NULL;
	return type;
}

static int64_t or_default(json_t *hc, const char *key, int64_t dflt)
{
	json_int_t v = json_integer_value(json_object_get(hc, key));
	return v > 0 ? v : dflt;
}

bool berth_health_params(json_t *config, struct berth_health_params *ret)
{
	json_t *hc = json_object_get(config, "Healthcheck");
	if (!probe_type(config))
		return false;
	ret->interval = or_default(hc, "Interval", DEFAULT_INTERVAL);
	ret->timeout = or_default(hc, "Timeout", DEFAULT_TIMEOUT);
	ret->start_period = or_default(hc, "StartPeriod", 0);
	ret->start_interval = or_default(hc, "StartInterval", DEFAULT_START_INTERVAL);
	ret->retries = (int) or_default(hc, "Retries", DEFAULT_RETRIES);
	return true;
}

json_t *berth_health_probe_argv(json_t *config)
{
	const char *type = probe_type(config);
	if (!type)
		return NULL;
	json_t *test = json_object_get(json_object_get(config, "Healthcheck"), "Test");
	json_t *argv = json_array(), *shell = json_object_get(config, "Shell");
	if (!argv)
		return NULL;
	if (strcmp(type, "CMD-SHELL") == 0) {
		if (json_array_size(shell) > 0) {
			json_array_extend(argv, shell);
		} else {
			json_array_append_new(argv, json_string("/bin/sh"));
			json_array_append_new(argv, json_string("-c"));
		}
	}
	for (size_t i = 1; i < json_array_size(test); i++)
		json_array_append(argv, json_array_get(test, i));
	return argv;
}

int64_t berth_health_next_delay(const struct berth_health_params *p, int64_t since_start, bool starting)
{
	/* a probe runs as soon as the start period ends */
	if (since_start >= p->start_period)
		return p->interval;
	int64_t left = p->start_period - since_start;
	if (left < p->interval)
		return left;
	return starting ? p->start_interval : p->interval;
}

json_t *berth_health_reset(json_t *old)
{
	json_t *log = json_object_get(old, "Log");
	return json_pack("{s:s, s:i, s:o}", "Status", "starting", "FailingStreak", 0, "Log",
			 json_is_array(log) ? json_incref(log) : json_array());
}

bool berth_health_apply(json_t *health, const struct berth_health_params *p, int64_t start_since_started,
			const char *start, const char *end, int exit_code, const char *output)
{
	json_t *log = json_object_get(health, "Log");
	if (!json_is_array(log)) {
		log = json_array();
		json_object_set_new(health, "Log", log);
	}
	while (json_array_size(log) >= BERTH_HEALTH_LOG_MAX)
		json_array_remove(log, 0);
	json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", start, "End", end, "ExitCode", exit_code,
					     "Output", output));
	const char *old = json_string_value(json_object_get(health, "Status"));
	char was[16];
	snprintf(was, sizeof(was), "%s", old ? old : "");
	json_int_t streak = json_integer_value(json_object_get(health, "FailingStreak"));
	if (exit_code == 0) {
		json_object_set_new(health, "FailingStreak", json_integer(0));
		json_object_set_new(health, "Status", json_string("healthy"));
	} else if (strcmp(was, "starting") != 0 || start_since_started >= p->start_period) {
		/* failures while starting within the start period do not count */
		json_object_set_new(health, "FailingStreak", json_integer(++streak));
		if (streak >= p->retries)
			json_object_set_new(health, "Status", json_string("unhealthy"));
	}
	return strcmp(was, json_string_value(json_object_get(health, "Status"))) != 0;
}

void berth_health_output_feed(struct berth_health_output *o, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	while (n > 0) {
		if (o->frame_left == 0) {
			size_t take = sizeof(o->header) - o->header_len;
			take = take < n ? take : n;
			memcpy(o->header + o->header_len, p, take);
			o->header_len += take;
			p += take;
			n -= take;
			if (o->header_len == sizeof(o->header)) {
				o->frame_left = (uint32_t) o->header[4] << 24 | (uint32_t) o->header[5] << 16 |
						(uint32_t) o->header[6] << 8 | o->header[7];
				o->header_len = 0;
			}
			continue;
		}
		size_t take = o->frame_left < n ? o->frame_left : n;
		size_t room = sizeof(o->data) - o->len;
		size_t keep = take < room ? take : room;
		memcpy(o->data + o->len, p, keep);
		o->len += keep;
		o->truncated |= keep < take;
		o->frame_left -= (uint32_t) take;
		p += take;
		n -= take;
	}
}

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		   : s[0] >= 0xf0 && s[0] <= 0xf4			   ? 4
									   : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

char *berth_health_output_text(const struct berth_health_output *o)
{
	char *out = malloc(o->len * 3 + 4), *w = out;
	const unsigned char *s = (const unsigned char *) o->data;
	if (!out)
		return NULL;
	for (size_t i = 0; i < o->len;) {
		size_t len = utf8_valid(s + i, o->len - i);
		if (len == 0) {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			i++;
		} else {
			memcpy(w, s + i, len);
			w += len;
			i += len;
		}
	}
	if (o->truncated)
		memcpy(w, "...", 3), w += 3;
	*w = '\0';
	return out;
}
