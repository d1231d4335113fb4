/* --mount and -v of berth run / create, read as the docker CLI reads them
 * (opts/mount.go, the compose loader's ParseVolume): see runopts.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "runopts.h"

static int nomem(struct berth_error *err)
{
	return berth_error_sys(err, ENOMEM, "flags");
}

/* ---- --mount ---- */

/* Go's encoding/csv for one record: fields split at ',', a field in double
 * quotes may hold commas and "" for a quote.  Returns a NULL-terminated
 * array. */
static int csv_fields(const char *s, char ***ret, struct berth_error *err)
{
	size_t n = 0, len = strlen(s);
	_cleanup_strv_ char **v = calloc(len + 2, sizeof(*v));
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!v || !buf)
		return nomem(err);
	const char *p = s;
	for (;;) {
		size_t b = 0;
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p)
					return berth_error_set(err, EINVAL,
							       "parse error on line 1, column %zu: "
							       "extraneous or missing \" in quoted-field",
							       len + 1);
				if (*p == '"' && p[1] == '"')
					buf[b++] = *p++;
				else if (*p == '"')
					break;
				else
					buf[b++] = *p;
			}
			p++;
			if (*p && *p != ',')
				return berth_error_set(err, EINVAL,
						       "parse error on line 1, column %zu: "
						       "extraneous or missing \" in quoted-field",
						       (size_t) (p - s) + 1);
		} else {
			for (; *p && *p != ','; p++) {
				if (*p == '"')
					return berth_error_set(err, EINVAL,
							       "parse error on line 1, column %zu: "
							       "bare \" in non-quoted-field",
							       (size_t) (p - s) + 1);
				buf[b++] = *p;
			}
		}
		if (!(v[n++] = strndup(buf, b)))
			return nomem(err);
		if (!*p)
			break;
		p++;
	}
	*ret = berth_steal_ptr(&v);
	return 0;
}

static int go_parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]))
			return *ret = true, 0;
		if (!strcmp(v, no[i]))
			return *ret = false, 0;
	}
	return -EINVAL;
}

struct mount_spec {
	json_t *m;		       /* Type, Source, Target, ReadOnly, Consistency */
	json_t *bind, *volume, *tmpfs; /* the *Options objects, when used */
};

static json_t *sub_object(json_t **o)
{
	if (!*o)
		*o = json_object();
	return *o;
}

static json_t *volume_options(struct mount_spec *ms)
{
	json_t *v = sub_object(&ms->volume);
	if (v && !json_object_get(v, "DriverConfig"))
		json_object_set_new(v, "DriverConfig", json_object());
	return v;
}

static void set_key_value(json_t *map, const char *kv)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *k = eq ? strndup(kv, (size_t) (eq - kv)) : strdup(kv);
	if (k && *k)
		json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

/* A field without '=': a flag that means true. */
static int mount_flag(struct mount_spec *ms, const char *field, struct berth_error *err)
{
	if (!strcmp(field, "readonly") || !strcmp(field, "ro"))
		json_object_set_new(ms->m, "ReadOnly", json_true());
	else if (!strcmp(field, "volume-nocopy"))
		json_object_set_new(volume_options(ms), "NoCopy", json_true());
	else if (!strcmp(field, "bind-nonrecursive"))
		json_object_set_new(sub_object(&ms->bind), "NonRecursive", json_true());
	else
		return berth_error_set(err, EINVAL, "invalid field '%s' must be a key=value pair", field);
	return 0;
}

static void set_lower(json_t *o, const char *key, const char *val)
{
	_cleanup_free_ char *l = strdup(val);
	for (char *c = l; c && *c; c++)
		*c = (char) tolower((unsigned char) *c);
	if (l)
		json_object_set_new(o, key, json_string(l));
}

static int mount_bool(json_t *o, const char *key, const char *field, const char *val, struct berth_error *err)
{
	bool b;
	if (go_parse_bool(val, &b) < 0)
		return berth_error_set(err, EINVAL, "invalid value for %s: %s", field, val);
	json_object_set_new(o, key, json_boolean(b));
	return 0;
}

static int mount_tmpfs_field(struct mount_spec *ms, const char *key, const char *val, struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	int64_t n;
	if (!strcmp(key, "tmpfs-size")) {
		if (berth_runopt_ram_bytes(val, &n, &ignored) < 0)
			return berth_error_set(err, EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(sub_object(&ms->tmpfs), "SizeBytes", json_integer(n));
		return 0;
	}
	if (berth_runopt_int(val, 8, &n, &ignored) < 0 || n < 0 || n > UINT32_MAX || *val == '-' || *val == '+')
		return berth_error_set(err, EINVAL, "invalid value for %s: %s", key, val);
	json_object_set_new(sub_object(&ms->tmpfs), "Mode", json_integer(n));
	return 0;
}

static int mount_field(struct mount_spec *ms, const char *key, const char *val, const char *field, const char *cwd,
		       struct berth_error *err)
{
	if (!strcmp(key, "type")) {
		set_lower(ms->m, "Type", val);
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		_cleanup_free_ char *abs = NULL;
		if (!strncmp(val, "./", 2) || !strcmp(val, "."))
			abs = berth_runopt_abs_path(val, cwd);
		json_object_set_new(ms->m, "Source", json_string(abs ? abs : val));
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		json_object_set_new(ms->m, "Target", json_string(val));
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		return mount_bool(ms->m, "ReadOnly", key, val, err);
	} else if (!strcmp(key, "consistency")) {
		set_lower(ms->m, "Consistency", val);
	} else if (!strcmp(key, "bind-propagation")) {
		set_lower(sub_object(&ms->bind), "Propagation", val);
	} else if (!strcmp(key, "bind-nonrecursive")) {
		return mount_bool(sub_object(&ms->bind), "NonRecursive", key, val, err);
	} else if (!strcmp(key, "volume-nocopy")) {
		return mount_bool(volume_options(ms), "NoCopy", key, val, err);
	} else if (!strcmp(key, "volume-label")) {
		json_t *v = volume_options(ms), *labels = json_object_get(v, "Labels");
		if (!labels)
			json_object_set_new(v, "Labels", labels = json_object());
		set_key_value(labels, val);
	} else if (!strcmp(key, "volume-driver")) {
		json_object_set_new(json_object_get(volume_options(ms), "DriverConfig"), "Name", json_string(val));
	} else if (!strcmp(key, "volume-opt")) {
		json_t *d = json_object_get(volume_options(ms), "DriverConfig"), *o = json_object_get(d, "Options");
		if (!o)
			json_object_set_new(d, "Options", o = json_object());
		set_key_value(o, val);
	} else if (!strcmp(key, "tmpfs-size") || !strcmp(key, "tmpfs-mode")) {
		return mount_tmpfs_field(ms, key, val, err);
	} else {
		return berth_error_set(err, EINVAL, "unexpected key '%s' in '%s'", key, field);
	}
	return 0;
}

static int mount_check(struct mount_spec *ms, struct berth_error *err)
{
	const char *type = json_string_value(json_object_get(ms->m, "Type"));
	if (!type || !*type)
		return berth_error_set(err, EINVAL, "type is required");
	if (!json_object_get(ms->m, "Target") || !*json_string_value(json_object_get(ms->m, "Target")))
		return berth_error_set(err, EINVAL, "target is required");
	if (ms->volume && strcmp(type, "volume") != 0)
		return berth_error_set(err, EINVAL, "cannot mix 'volume-*' options with mount type '%s'", type);
	if (ms->bind && strcmp(type, "bind") != 0)
		return berth_error_set(err, EINVAL, "cannot mix 'bind-*' options with mount type '%s'", type);
	if (ms->tmpfs && strcmp(type, "tmpfs") != 0)
		return berth_error_set(err, EINVAL, "cannot mix 'tmpfs-*' options with mount type '%s'", type);
	return 0;
}

int berth_runopt_mount(const char *s, const char *cwd, json_t **ret, struct berth_error *err)
{
	_cleanup_strv_ char **fields = NULL;
	struct mount_spec ms = { .m = json_pack("{s:s}", "Type", "volume") };
	int r = ms.m ? 0 : nomem(err);

	if (r == 0 && !*s)
		r = berth_error_set(err, EINVAL, "EOF");
	if (r == 0)
		r = csv_fields(s, &fields, err);

	for (size_t i = 0; r == 0 && fields[i]; i++) {
		char *eq = strchr(fields[i], '=');
		if (!eq) {
			r = mount_flag(&ms, fields[i], err);
			continue;
		}
		_cleanup_free_ char *key = strndup(fields[i], (size_t) (eq - fields[i]));
		r = key ? mount_field(&ms, key, eq + 1, fields[i], cwd, err) : nomem(err);
	}
	if (r == 0)
		r = mount_check(&ms, err);
	if (r == 0 && ms.bind)
		json_object_set(ms.m, "BindOptions", ms.bind);
	if (r == 0 && ms.volume)
		json_object_set(ms.m, "VolumeOptions", ms.volume);
	if (r == 0 && ms.tmpfs)
		json_object_set(ms.m, "TmpfsOptions", ms.tmpfs);
	json_decref(ms.bind);
	json_decref(ms.volume);
	json_decref(ms.tmpfs);
	if (r < 0) {
		json_decref(ms.m);
		return r;
	}
	*ret = ms.m;
	return 0;
}

/* ---- -v ---- */

char *berth_runopt_abs_path(const char *path, const char *cwd)
{
	_cleanup_free_ char *joined = NULL;
	if (asprintf(&joined, "%s/%s", path[0] == '/' ? "" : cwd, path) < 0)
		return NULL;
	char *out = malloc(strlen(joined) + 2);
	size_t n = 0;
	if (!out)
		return NULL;
	for (char *seg = joined, *next; seg; seg = next) {
		next = strchr(seg, '/');
		size_t len = next ? (size_t) (next - seg) : strlen(seg);
		if (next)
			next++;
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

/* The compose loader's ParseVolume, as far as the docker CLI uses it: the
 * source, when the spec names one (length of the first section, 0 for
 * none).  A letter and ':' at the start is a Windows drive, not a
 * separator. */
static size_t volume_source_len(const char *spec)
{
	size_t len = strlen(spec), from = 0;
	if (len <= 2)
		return 0;
	if (isalpha((unsigned char) spec[0]) && spec[1] == ':')
		from = 2;
	const char *colon = strchr(spec + from, ':');
	return colon ? (size_t) (colon - spec) : 0;
}

int berth_runopt_volume(const char *spec, const char *cwd, const char *home, char **ret_bind, struct berth_error *err)
{
	size_t n = volume_source_len(spec);
	_cleanup_free_ char *host = NULL;

	*ret_bind = NULL;
	if (n == 0)
		return 0;
	const char *rest = spec + n;
	_cleanup_free_ char *part = strndup(spec, n);
	if (!part)
		return nomem(err);
	if (part[0] == '.') {
		host = berth_runopt_abs_path(part, cwd);
	} else if (part[0] == '~' && (n == 1 || part[1] == '/') && home) {
		if (asprintf(&host, "%s%s", home, part + 1) < 0)
			host = NULL;
	} else {
		host = berth_steal_ptr(&part);
	}
	if (!host || asprintf(ret_bind, "%s%s", host, rest) < 0) {
		*ret_bind = NULL;
		return nomem(err);
	}
	return 0;
}
