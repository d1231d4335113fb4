/* The parts of container_spec.c in other files: mounts, and the "linux"
 * object (namespaces, resources, devices, security). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "container_spec.h"
#include "error.h"

/* Where HostConfig.Init's reaper appears inside the container (docker's). */
#define BERTH_SPEC_INIT_PATH "/sbin/docker-init"

void spec_hostname(const struct berth_container_spec_input *in, char out[65]);

/* HostConfig.Ulimits [{Name, Soft, Hard}] -> process.rlimits. */
int spec_rlimits(json_t *ulimits, json_t **ret, struct berth_error *err);

/* SecurityOpt "no-new-privileges" (or ":true"). */
bool spec_no_new_privileges(json_t *host_config);

int spec_mounts(const struct berth_container_spec_input *in, json_t **ret, struct berth_error *err);

/* caps: the bounding set, for the seccomp profile's conditions. */
int spec_linux(const struct berth_container_spec_input *in, json_t *caps, json_t **ret, struct berth_error *err);
