/* Which events a /events reader asked for: docker's event filters over
 * normalised filters ({key: [values]}, as api_filters_parse makes them). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* -EINVAL with docker's message for a key /events does not know. */
int berth_event_filters_check(json_t *filters, struct berth_error *err);

/* Every given key must match (keys are ANDed, values of one key ORed):
 * type and event exactly; container, volume, network, daemon, plugin by the
 * actor's ID or name attribute, a prefix being enough; image by ID or name,
 * with or without its tag; label as "key" or "key=value" on the attributes. */
bool berth_event_filters_match(json_t *filters, json_t *event);
