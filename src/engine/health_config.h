/* Healthchecks as dockerd defines them, without I/O: the request's
 * Healthcheck merged over the image's, its checks, the probe's argv, when
 * the next probe runs, what a result does to State.Health, and the probe's
 * output as dockerd keeps it (stdout and stderr together, 4096 bytes, "..."
 * when cut).  engine_health.c runs the probes; tests/unit/test_health.c
 * drives this file.
 *
 * Durations are nanoseconds, as the API carries them; 0 means the default:
 * 30s interval, 30s timeout, no start period, 5s start interval, 3 retries.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BERTH_HEALTH_OUTPUT_MAX 4096
#define BERTH_HEALTH_LOG_MAX 5

struct berth_health_params {
	int64_t interval, timeout, start_period, start_interval; /* defaults applied */
	int retries;
};

/* Config.Healthcheck as dockerd stores it: the request's when it has one,
 * with its unset fields (empty Test, zero durations and retries) taken from
 * the image's.  A new reference, or NULL when neither has one. */
json_t *berth_health_merge(json_t *image_healthcheck, json_t *request_healthcheck);

/* dockerd's checks of a create request's Healthcheck (NULL passes). */
int berth_health_validate(json_t *healthcheck, struct berth_error *err);

/* Whether Config (merged) has a probe to run (CMD or CMD-SHELL; NONE, an
 * empty Test or an unknown type have none), with its parameters. */
bool berth_health_params(json_t *config, struct berth_health_params *ret);

/* The probe's argv: CMD's words, or CMD-SHELL's command after Config.Shell
 * (default /bin/sh -c).  NULL when there is no probe. */
json_t *berth_health_probe_argv(json_t *config);

/* How long to wait before the next probe: dockerd's getInterval, with
 * since_start the time since the container started and starting whether
 * its status is still "starting". */
int64_t berth_health_next_delay(const struct berth_health_params *p, int64_t since_start, bool starting);

/* A fresh State.Health for a (re)started container: status starting, no
 * failing streak, the log kept from old (may be NULL). */
json_t *berth_health_reset(json_t *old);

/* One probe's result applied to State.Health (changed in place): the log
 * (the last 5), the failing streak and the status.  start_since_started:
 * when the probe started, relative to the container's start (failures in
 * the start period do not count while it is starting).  true when the
 * status changed. */
bool berth_health_apply(json_t *health, const struct berth_health_params *p, int64_t start_since_started,
			const char *start, const char *end, int exit_code, const char *output);

/* The probe's output: the shim's stdout/stderr frames (8-byte headers)
 * taken apart as they come, the payload kept up to 4096 bytes. */
struct berth_health_output {
	unsigned char header[8];
	size_t header_len;
	uint32_t frame_left;
	char data[BERTH_HEALTH_OUTPUT_MAX];
	size_t len;
	bool truncated;
};
void berth_health_output_feed(struct berth_health_output *o, const void *buf, size_t n);
/* The text: invalid UTF-8 replaced by U+FFFD (as Go's JSON encoder does),
 * "..." after a cut.  malloc'ed; NULL without memory. */
char *berth_health_output_text(const struct berth_health_output *o);
