/* docker's label filters (filters.MatchKVList): "key" asks for the label,
 * "key=value" for the label with that value.  One implementation for every
 * list, prune and /events filter. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* want in labels (an object of strings; NULL: none). */
bool berth_label_matches(json_t *labels, const char *want);

/* Every string of wanted (an array) in labels; true when wanted is empty. */
bool berth_labels_match(json_t *labels, json_t *wanted);
