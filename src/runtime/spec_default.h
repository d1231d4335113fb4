#pragma once

#include <jansson.h>
#include <stdbool.h>

/* A default config.json (runc spec's role); rootless maps only the
 * caller's own uid and gid into a user namespace. */
json_t *berth_spec_default(bool rootless);

/* The features document (features.md), listing only what works. */
json_t *berth_features(void);
