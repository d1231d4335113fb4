#include "label_filter.h"

#include <string.h>

bool berth_label_matches(json_t *labels, const char *want)
{
	if (!want)
		return false;
	const char *eq = strchr(want, '=');
	json_t *have = json_object_getn(labels, want, eq ? (size_t) (eq - want) : strlen(want));
	return have && (!eq || (json_is_string(have) && strcmp(json_string_value(have), eq + 1) == 0));
}

bool berth_labels_match(json_t *labels, json_t *wanted)
{
	size_t i;
	json_t *w;
	json_array_foreach(wanted, i, w) {
		if (!berth_label_matches(labels, json_string_value(w)))
			return false;
	}
	return true;
}
