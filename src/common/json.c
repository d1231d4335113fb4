#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

void bjson_path_key(char out[BJSON_PATH_MAX], const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, BJSON_PATH_MAX, "%s", key);
	else
		snprintf(out, BJSON_PATH_MAX, "%s.%s", parent, key);
}

void bjson_path_index(char out[BJSON_PATH_MAX], const char *parent, size_t index)
{
	snprintf(out, BJSON_PATH_MAX, "%s[%zu]", parent ? parent : "", index);
}

int bjson_parse(const char *text, size_t len, const char *what, json_t **ret, struct berth_error *err)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL && json_error_code(&jerr) == json_error_numeric_overflow)
		j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (j == NULL)
		return berth_error_set(err, EINVAL, "%s: not valid JSON: line %d, column %d: %s", what, jerr.line,
				       jerr.column, jerr.text);
	*ret = j;
	return 0;
}

/* Look up key; 1 present, 0 absent/null, <0 on a missing required field. */
static int lookup(json_t *obj, const char *parent, const char *key, bool required, json_t **ret,
		  struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		bjson_path_key(path, parent, key);
		return berth_error_set(err, EINVAL, "%s: required field is missing", path);
	}
	*ret = v;
	return 1;
}

static int type_error(const char *parent, const char *key, const char *what, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];

	bjson_path_key(path, parent, key);
	return berth_error_set(err, EINVAL, "%s: must be %s", path, what);
}

int bjson_get_object(json_t *obj, const char *parent, const char *key, bool required, json_t **ret,
		     struct berth_error *err)
{
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_object(v))
		return type_error(parent, key, "an object", err);
	*ret = v;
	return 1;
}

int bjson_get_array(json_t *obj, const char *parent, const char *key, bool required, json_t **ret,
		    struct berth_error *err)
{
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return type_error(parent, key, "an array", err);
	*ret = v;
	return 1;
}

int bjson_get_string(json_t *obj, const char *parent, const char *key, bool required, const char **ret,
		     struct berth_error *err)
{
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return type_error(parent, key, "a string", err);
	*ret = json_string_value(v);
	return 1;
}

int bjson_get_bool(json_t *obj, const char *parent, const char *key, bool required, bool *ret,
		   struct berth_error *err)
{
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return type_error(parent, key, "a boolean", err);
	*ret = json_is_true(v);
	return 1;
}

int bjson_as_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *ret, struct berth_error *err)
{
	int64_t value;

	if (json_is_integer(v)) {
		value = json_integer_value(v);
	} else if (json_is_real(v)) {
		/* Only in documents re-read with integers as reals. */
		double d = json_real_value(v);
		if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
			goto bad;
		value = (int64_t) d;
	} else {
		goto bad;
	}
	if (value < min || value > max)
		goto bad;
	*ret = value;
	return 0;
bad:
	return berth_error_set(err, EINVAL, "%s: must be an integer from %" PRId64 " to %" PRId64, path, min, max);
}

int bjson_as_uint64(json_t *v, const char *path, uint64_t *ret, struct berth_error *err)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t) json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && d >= 0 && d <= 18446744073709551616.0) {
			/* 2^64-1 is not representable as a double: it reads as 2^64. */
			*ret = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t) d;
			return 0;
		}
	}
	return berth_error_set(err, EINVAL, "%s: must be an unsigned 64-bit integer", path);
}

int bjson_get_int(json_t *obj, const char *parent, const char *key, bool required, int64_t min, int64_t max,
		  int64_t *ret, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	bjson_path_key(path, parent, key);
	r = bjson_as_int(v, path, min, max, ret, err);
	return r < 0 ? r : 1;
}

int bjson_get_uint64(json_t *obj, const char *parent, const char *key, bool required, uint64_t *ret,
		     struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r <= 0)
		return r;
	bjson_path_key(path, parent, key);
	r = bjson_as_uint64(v, path, ret, err);
	return r < 0 ? r : 1;
}

int bjson_get_strv(json_t *obj, const char *parent, const char *key, bool required, bool nonempty,
		   const char ***ret, size_t *ret_len, struct berth_error *err)
{
	const char *what = nonempty ? "a non-empty array of strings" : "an array of strings";
	_cleanup_free_ const char **out = NULL;
	size_t i, n;
	json_t *v = NULL;
	int r = lookup(obj, parent, key, required, &v, err);

	if (r < 0) {
		char path[BJSON_PATH_MAX];
		bjson_path_key(path, parent, key);
		return berth_error_set(err, EINVAL, "%s: must be %s", path, what);
	}
	if (r == 0)
		return r;
	if (!json_is_array(v))
		return type_error(parent, key, what, err);
	n = json_array_size(v);
	if (nonempty && n == 0)
		return type_error(parent, key, what, err);
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return berth_error_sys(err, ENOMEM, "allocate %zu strings", n);
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s))
			return type_error(parent, key, what, err);
		out[i] = json_string_value(s);
	}
	*ret = berth_steal_ptr(&out);
	if (ret_len)
		*ret_len = n;
	return 1;
}

char *bjson_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT);
}
