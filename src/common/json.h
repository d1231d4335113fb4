/* Typed access to jansson values that names the JSON path of a bad field.
 *
 * Every getter takes the parent object, the parent's path ("" at the top)
 * and a key; errors read "<path>: <reason>", for example
 * "process.args: must be a non-empty array of strings".
 *
 * Getters return 1 when the value is present, 0 when it is absent (or JSON
 * null) and not required, and a negative errno with the error filled in
 * otherwise.  Strings are borrowed from the JSON tree: they live as long as it.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BJSON_PATH_MAX 512

static inline void bjson_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(bjson_decrefp)))

void bjson_path_key(char out[BJSON_PATH_MAX], const char *parent, const char *key);
void bjson_path_index(char out[BJSON_PATH_MAX], const char *parent, size_t index);

/* Parse a JSON document held in memory. Integers beyond int64 (an rlimit of
 * 2^64-1, say) are accepted: such a document is re-read with numbers as
 * reals and bjson_get_uint64() recovers the value.  `what` names the source
 * in messages ("config.json"). */
int bjson_parse(const char *text, size_t len, const char *what, json_t **ret, struct berth_error *err);

int bjson_get_object(json_t *obj, const char *parent, const char *key, bool required, json_t **ret,
		     struct berth_error *err);
int bjson_get_array(json_t *obj, const char *parent, const char *key, bool required, json_t **ret,
		    struct berth_error *err);
int bjson_get_string(json_t *obj, const char *parent, const char *key, bool required, const char **ret,
		     struct berth_error *err);
int bjson_get_bool(json_t *obj, const char *parent, const char *key, bool required, bool *ret,
		   struct berth_error *err);
int bjson_get_int(json_t *obj, const char *parent, const char *key, bool required, int64_t min, int64_t max,
		  int64_t *ret, struct berth_error *err);
int bjson_get_uint64(json_t *obj, const char *parent, const char *key, bool required, uint64_t *ret,
		     struct berth_error *err);

/* An array of strings, returned as a malloc'ed NULL-terminated array of
 * borrowed pointers (free only the array).  With nonempty, [] is an error. */
int bjson_get_strv(json_t *obj, const char *parent, const char *key, bool required, bool nonempty,
		   const char ***ret, size_t *ret_len, struct berth_error *err);

/* The same checks for a value already in hand (an array element). */
int bjson_as_uint64(json_t *v, const char *path, uint64_t *ret, struct berth_error *err);
int bjson_as_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *ret, struct berth_error *err);

/* Serialise compactly into a malloc'ed string; NULL only on allocation failure. */
char *bjson_dump(const json_t *j);
