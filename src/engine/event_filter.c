#include "event_filter.h"

#include <errno.h>
#include <string.h>

#include "label_filter.h"

static const char *const known_keys[] = {
	"config", "container", "daemon", "event",  "image",  "label", "network",
	"node",	  "plugin",    "scope",	 "secret", "service", "type", "volume",
};

int berth_event_filters_check(json_t *filters, struct berth_error *err)
{
	const char *key;
	json_t *values;
	json_object_foreach(filters, key, values) {
		bool known = false;
		for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]) && !known; i++)
			known = strcmp(key, known_keys[i]) == 0;
		if (!known)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	return 0;
}

static json_t *values_of(json_t *filters, const char *key)
{
	json_t *list = json_object_get(filters, key);
	return json_array_size(list) ? list : NULL;
}

static bool exact(json_t *values, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v) {
		if (s && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* docker's fuzzy match: a filter value that is a prefix of s (a short ID). */
static bool prefix(json_t *values, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v) {
		const char *want = json_string_value(v);
		if (s && strncmp(s, want, strlen(want)) == 0)
			return true;
	}
	return false;
}

/* "busybox:1.36" -> "busybox"; a digest or a registry port is not a tag. */
static bool exact_untagged(json_t *values, const char *s)
{
	if (!s)
		return false;
	const char *colon = strrchr(s, ':');
	if (!colon || strchr(s, '@') || strchr(colon, '/'))
		return false;
	char untagged[512];
	size_t n = (size_t) (colon - s);
	if (n >= sizeof(untagged))
		return false;
	memcpy(untagged, s, n);
	untagged[n] = '\0';
	return exact(values, untagged);
}

static const char *attribute(json_t *event, const char *name)
{
	json_t *attrs = json_object_get(json_object_get(event, "Actor"), "Attributes");
	return json_string_value(json_object_get(attrs, name));
}

static const char *actor_id(json_t *event)
{
	return json_string_value(json_object_get(json_object_get(event, "Actor"), "ID"));
}

static bool match_name(json_t *filters, const char *key, json_t *event)
{
	json_t *values = values_of(filters, key);
	return !values || prefix(values, actor_id(event)) || prefix(values, attribute(event, "name"));
}

/* Docker lets "health_status" stand for "health_status: healthy" and the
 * exec actions for theirs with the command: those match as prefixes. */
static bool match_action(json_t *filters, json_t *event)
{
	json_t *values = values_of(filters, "event");
	if (!values)
		return true;
	const char *action = json_string_value(json_object_get(event, "Action"));
	static const char *const loose[] = { "health_status", "exec_create", "exec_start" };
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		if (exact(values, loose[i]))
			return prefix(values, action);
	}
	return exact(values, action);
}

static bool match_image(json_t *filters, json_t *event)
{
	json_t *values = values_of(filters, "image");
	if (!values)
		return true;
	const char *type = json_string_value(json_object_get(event, "Type"));
	const char *name = attribute(event, type && strcmp(type, "image") == 0 ? "name" : "image");
	const char *id = actor_id(event);
	return exact(values, id) || exact(values, name) || exact_untagged(values, id) ||
	       exact_untagged(values, name);
}

bool berth_event_filters_match(json_t *filters, json_t *event)
{
	json_t *types = values_of(filters, "type");
	if (types && !exact(types, json_string_value(json_object_get(event, "Type"))))
		return false;
	json_t *scopes = values_of(filters, "scope");
	if (scopes && !exact(scopes, "local"))
		return false;
	static const char *const named[] = { "container", "volume", "network", "daemon", "plugin",
					     "node",	  "service", "secret",  "config" };
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!match_name(filters, named[i], event))
			return false;
	}
	return match_action(filters, event) && match_image(filters, event) &&
	       berth_labels_match(json_object_get(json_object_get(event, "Actor"), "Attributes"),
				  values_of(filters, "label"));
}
