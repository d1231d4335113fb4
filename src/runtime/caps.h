/* Capabilities of the container process (config.md "Linux Process"). */
#pragma once

#include "error.h"
#include "spec.h"

/* Drop from the bounding set everything not listed (needs CAP_SETPCAP, so
 * it runs while the process is still fully privileged). */
int berth_caps_drop_bounding(const struct berth_capabilities *caps, struct berth_error *err);

/* Set effective, permitted and inheritable, then raise the ambient ones.
 * Runs after the switch to the container user (with PR_SET_KEEPCAPS). */
int berth_caps_apply(const struct berth_capabilities *caps, struct berth_error *err);

/* The highest capability the running kernel knows. */
int berth_caps_last(void);
