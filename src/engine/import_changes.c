/* Dockerfile instructions (docker import --change) applied to an image's
 * container config.  See import_changes.h for what is accepted. */
#include "import_changes.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "dockerfile_words.h"
#include "signals.h"

/* Everything the substitutions may produce, all instructions together: the
 * whole image config is bounded by 8 MiB when it is read back. */
#define MAX_OUTPUT (4u << 20)

struct ctx {
	json_t *config;
	json_t *env; /* the Env as it was before the current instruction */
	bool cmd_set;
	size_t output; /* bytes made by substitutions so far */
	size_t ports;  /* ports EXPOSE named so far, ranges expanded */
};

/* A processed word as a new JSON string, counted against MAX_OUTPUT. */
static int word_json(struct ctx *c, const char *raw, size_t len, json_t **ret, struct berth_error *err)
{
	struct berth_dfbuf b = { 0 };
	int r = berth_df_expand(c->env, raw, len, &b, err);
	if (r == 0 && (c->output += b.len) > MAX_OUTPUT)
		r = berth_error_set(err, E2BIG, "the changes make more than %u bytes of values", MAX_OUTPUT);
	if (r == 0 && !(*ret = json_stringn(berth_dfbuf_str(&b), b.len)))
		r = berth_error_set(err, EINVAL, "a value is not valid UTF-8 or holds a NUL byte");
	berth_dfbuf_free(&b);
	return r;
}

static int word_str(struct ctx *c, const char *raw, struct berth_dfbuf *out, struct berth_error *err)
{
	int r = berth_df_expand(c->env, raw, strlen(raw), out, err);
	if (r == 0 && (c->output += out->len) > MAX_OUTPUT)
		r = berth_error_set(err, E2BIG, "the changes make more than %u bytes of values", MAX_OUTPUT);
	return r;
}

/* ---- the config ---- */

static int check_entries(json_t *container, const char *field, struct berth_error *err)
{
	size_t n = json_is_array(container) ? json_array_size(container) : json_object_size(container);
	if (n > BERTH_IMPORT_CHANGES_MAX_ENTRIES)
		return berth_error_set(err, E2BIG, "%s: more than %u entries", field, BERTH_IMPORT_CHANGES_MAX_ENTRIES);
	return 0;
}

/* config[field], made an object when missing or null. */
static json_t *object_field(json_t *config, const char *field)
{
	json_t *o = json_object_get(config, field);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(config, field, o);
	}
	return o;
}

/* A JSON array of strings ("exec form"), or NULL. */
static json_t *json_form(const char *rest)
{
	if (rest[0] != '[')
		return NULL;
	json_t *v = json_loads(rest, JSON_DECODE_ANY, NULL);
	size_t i;
	json_t *item;
	if (!json_is_array(v))
		goto no;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			goto no;
	}
	return v;
no:
	json_decref(v);
	return NULL;
}

/* The exec form, or the config's Shell (default /bin/sh -c) and the text;
 * NULL when the text is not UTF-8. */
static json_t *command(struct ctx *c, const char *rest)
{
	json_t *v = json_form(rest);
	if (v)
		return v;
	json_t *text = json_string(rest);
	if (!text)
		return NULL;
	json_t *shell = json_object_get(c->config, "Shell");
	v = json_array_size(shell) > 0 ? json_deep_copy(shell) : json_pack("[s, s]", "/bin/sh", "-c");
	json_array_append_new(v, text);
	return v;
}

static int do_cmd(struct ctx *c, const char *rest, struct berth_error *err)
{
	if (!*rest)
		return berth_error_set(err, EINVAL, "CMD requires at least one argument");
	json_t *v = command(c, rest);
	if (!v)
		return berth_error_set(err, EINVAL, "CMD: not valid UTF-8");
	json_object_set_new(c->config, "Cmd", v);
	c->cmd_set = true;
	return 0;
}

static int do_entrypoint(struct ctx *c, const char *rest, struct berth_error *err)
{
	if (!*rest)
		return berth_error_set(err, EINVAL, "ENTRYPOINT requires at least one argument");
	json_t *v = command(c, rest);
	if (!v)
		return berth_error_set(err, EINVAL, "ENTRYPOINT: not valid UTF-8");
	json_object_set_new(c->config, "Entrypoint", v);
	/* As docker: a new entrypoint drops the image's CMD unless this
	 * build set one. */
	if (!c->cmd_set)
		json_object_set_new(c->config, "Cmd", json_null());
	return 0;
}

/* KEY=VALUE words, or (the old form) KEY and the rest as its value;
 * fn gets each pair. */
static int key_values(struct ctx *c, const char *what, const char *rest,
		      int (*fn)(struct ctx *c, json_t *key, json_t *value, struct berth_error *err),
		      struct berth_error *err)
{
	struct berth_dfwords w = { 0 };
	int r = berth_df_split_raw(rest, &w, err);
	if (r < 0)
		return r;
	if (w.n == 0) {
		berth_dfwords_free(&w);
		return berth_error_set(err, EINVAL, "%s requires at least one argument", what);
	}
	json_t *key = NULL, *value = NULL;
	if (!berth_df_raw_equals(w.v[0])) {
		/* KEY VALUE...: the value is everything after the first word */
		const char *after = berth_df_skip_space(berth_df_skip_space(rest) + strlen(w.v[0]));
		if (w.n < 2)
			r = berth_error_set(err, EINVAL, "%s must have two arguments", what);
		if (r == 0)
			r = word_json(c, w.v[0], strlen(w.v[0]), &key, err);
		if (r == 0)
			r = word_json(c, after, strlen(after), &value, err);
		if (r == 0)
			r = fn(c, key, value, err);
		json_decref(key);
		json_decref(value);
		berth_dfwords_free(&w);
		return r;
	}
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		const char *eq = berth_df_raw_equals(w.v[i]);
		key = value = NULL;
		if (!eq)
			r = berth_error_set(err, EINVAL,
					    "Syntax error - can't find = in \"%.100s\". Must be of the form: name=value",
					    w.v[i]);
		if (r == 0)
			r = word_json(c, w.v[i], (size_t) (eq - w.v[i]), &key, err);
		if (r == 0)
			r = word_json(c, eq + 1, strlen(eq + 1), &value, err);
		if (r == 0)
			r = fn(c, key, value, err);
		json_decref(key);
		json_decref(value);
	}
	berth_dfwords_free(&w);
	return r;
}

static int env_set(struct ctx *c, json_t *key, json_t *value, struct berth_error *err)
{
	const char *k = json_string_value(key), *v = json_string_value(value);
	size_t klen = json_string_length(key);
	if (klen == 0)
		return berth_error_set(err, EINVAL, "ENV names can not be blank");
	if (memchr(k, '=', klen))
		return berth_error_set(err, EINVAL, "ENV name \"%.100s\" contains '='", k);
	json_t *env = json_object_get(c->config, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(c->config, "Env", env);
	}
	_cleanup_free_ char *entry = NULL;
	if (asprintf(&entry, "%s=%s", k, v) < 0)
		return berth_error_sys(err, ENOMEM, "ENV");
	size_t i;
	json_t *item;
	json_array_foreach(env, i, item) {
		const char *s = json_string_value(item);
		if (s && strncmp(s, k, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
			json_array_set_new(env, i, json_string(entry));
			return 0;
		}
	}
	json_array_append_new(env, json_string(entry));
	return check_entries(env, "Env", err);
}

static int label_set(struct ctx *c, json_t *key, json_t *value, struct berth_error *err)
{
	if (json_string_length(key) == 0)
		return berth_error_set(err, EINVAL, "LABEL names can not be blank");
	json_t *labels = object_field(c->config, "Labels");
	json_object_set(labels, json_string_value(key), value);
	return check_entries(labels, "Labels", err);
}

/* "/a/./b//../c" -> "/a/c"; path is absolute. */
static void clean_path(char *path)
{
	char *out = path, *in = path;
	while (*in) {
		while (*in == '/')
			in++;
		char *end = strchrnul(in, '/');
		size_t n = (size_t) (end - in);
		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* nothing */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in = end;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

static int do_workdir(struct ctx *c, const char *rest, struct berth_error *err)
{
	struct berth_dfbuf b = { 0 };
	int r = word_str(c, rest, &b, err);
	if (r == 0 && b.len == 0)
		r = berth_error_set(err, EINVAL, "WORKDIR requires exactly one argument");
	_cleanup_free_ char *path = NULL;
	if (r == 0) {
		const char *cur = json_string_value(json_object_get(c->config, "WorkingDir"));
		if (b.s[0] == '/' || !cur || !*cur)
			r = asprintf(&path, "/%s", b.s);
		else
			r = asprintf(&path, "/%s/%s", cur, b.s);
		r = r < 0 ? berth_error_sys(err, ENOMEM, "WORKDIR") : 0;
	}
	berth_dfbuf_free(&b);
	if (r < 0)
		return r;
	clean_path(path);
	json_t *v = json_string(path);
	if (!v)
		return berth_error_set(err, EINVAL, "WORKDIR: not valid UTF-8");
	json_object_set_new(c->config, "WorkingDir", v);
	return 0;
}

static int do_user(struct ctx *c, const char *rest, struct berth_error *err)
{
	struct berth_dfwords w = { 0 };
	int r = berth_df_split_raw(rest, &w, err);
	if (r == 0 && w.n != 1)
		r = berth_error_set(err, EINVAL, "USER requires exactly one argument");
	json_t *v = NULL;
	if (r == 0)
		r = word_json(c, w.v[0], strlen(w.v[0]), &v, err);
	if (r == 0 && json_string_length(v) == 0)
		r = berth_error_set(err, EINVAL, "USER requires exactly one argument");
	if (r == 0)
		json_object_set(c->config, "User", v);
	json_decref(v);
	berth_dfwords_free(&w);
	return r;
}

static int parse_port(const char *s, size_t len, unsigned *ret)
{
	if (len == 0 || len > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned) (s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*ret = v;
	return 0;
}

static int expose_one(struct ctx *c, const char *spec, struct berth_error *err)
{
	const char *slash = strchr(spec, '/');
	const char *proto = slash ? slash + 1 : "tcp";
	size_t plen = slash ? (size_t) (slash - spec) : strlen(spec);
	char proto_l[8];
	if (strlen(proto) >= sizeof(proto_l))
		return berth_error_set(err, EINVAL, "invalid proto: %.40s", proto);
	for (size_t i = 0; i <= strlen(proto); i++)
		proto_l[i] = (char) tolower((unsigned char) proto[i]);
	if (strcmp(proto_l, "tcp") != 0 && strcmp(proto_l, "udp") != 0 && strcmp(proto_l, "sctp") != 0)
		return berth_error_set(err, EINVAL, "invalid proto: %s", proto_l);
	const char *dash = memchr(spec, '-', plen);
	unsigned lo, hi;
	if (dash ? parse_port(spec, (size_t) (dash - spec), &lo) < 0 ||
			   parse_port(dash + 1, plen - (size_t) (dash - spec) - 1, &hi) < 0
		 : parse_port(spec, plen, &lo) < 0)
		return berth_error_set(err, EINVAL, "invalid containerPort: %.*s", (int) (plen > 40 ? 40 : plen), spec);
	if (!dash)
		hi = lo;
	if (hi < lo)
		return berth_error_set(err, EINVAL, "invalid range specified for port: %.*s", (int) plen, spec);
	if ((c->ports += hi - lo + 1) > 2 * BERTH_IMPORT_CHANGES_MAX_ENTRIES)
		return berth_error_set(err, E2BIG, "EXPOSE: more than %u ports", 2 * BERTH_IMPORT_CHANGES_MAX_ENTRIES);
	json_t *ports = object_field(c->config, "ExposedPorts");
	for (unsigned p = lo; p <= hi; p++) {
		char key[32];
		snprintf(key, sizeof(key), "%u/%s", p, proto_l);
		json_object_set_new(ports, key, json_object());
	}
	return check_entries(ports, "ExposedPorts", err);
}

static int do_expose(struct ctx *c, const char *rest, struct berth_error *err)
{
	struct berth_dfwords w = { 0 };
	int r = berth_df_split_raw(rest, &w, err);
	if (r == 0 && w.n == 0)
		r = berth_error_set(err, EINVAL, "EXPOSE requires at least one argument");
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		struct berth_dfbuf b = { 0 };
		r = word_str(c, w.v[i], &b, err);
		if (r == 0)
			r = expose_one(c, berth_dfbuf_str(&b), err);
		berth_dfbuf_free(&b);
	}
	berth_dfwords_free(&w);
	return r;
}

static int volume_add(struct ctx *c, const char *path, struct berth_error *err)
{
	const char *p = berth_df_skip_space(path);
	if (!*p)
		return berth_error_set(err, EINVAL, "VOLUME specified can not be an empty string");
	json_t *vols = object_field(c->config, "Volumes");
	if (json_object_set_new(vols, path, json_object()) < 0)
		return berth_error_set(err, EINVAL, "VOLUME: not valid UTF-8");
	return check_entries(vols, "Volumes", err);
}

static int do_volume(struct ctx *c, const char *rest, struct berth_error *err)
{
	json_t *list = json_form(rest);
	int r = 0;
	if (list) {
		size_t i;
		json_t *item;
		if (json_array_size(list) == 0)
			r = berth_error_set(err, EINVAL, "VOLUME requires at least one argument");
		json_array_foreach(list, i, item) {
			if (r == 0)
				r = volume_add(c, json_string_value(item), err);
		}
		json_decref(list);
		return r;
	}
	struct berth_dfwords w = { 0 };
	r = berth_df_split_raw(rest, &w, err);
	if (r == 0 && w.n == 0)
		r = berth_error_set(err, EINVAL, "VOLUME requires at least one argument");
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		struct berth_dfbuf b = { 0 };
		r = word_str(c, w.v[i], &b, err);
		if (r == 0)
			r = volume_add(c, berth_dfbuf_str(&b), err);
		berth_dfbuf_free(&b);
	}
	berth_dfwords_free(&w);
	return r;
}

static int do_stopsignal(struct ctx *c, const char *rest, struct berth_error *err)
{
	struct berth_dfwords w = { 0 };
	struct berth_dfbuf b = { 0 };
	int sig;
	int r = berth_df_split_raw(rest, &w, err);
	if (r == 0 && w.n != 1)
		r = berth_error_set(err, EINVAL, "STOPSIGNAL requires exactly one argument");
	if (r == 0)
		r = word_str(c, w.v[0], &b, err);
	if (r == 0 && berth_signal_parse(berth_dfbuf_str(&b), &sig, err) < 0)
		r = berth_error_set(err, EINVAL, "invalid signal: %.100s", berth_dfbuf_str(&b));
	json_t *v = r == 0 ? json_string(berth_dfbuf_str(&b)) : NULL;
	if (r == 0 && !v)
		r = berth_error_set(err, EINVAL, "STOPSIGNAL: not valid UTF-8");
	if (r == 0)
		json_object_set_new(c->config, "StopSignal", v);
	berth_dfbuf_free(&b);
	berth_dfwords_free(&w);
	return r;
}

/* ---- HEALTHCHECK ---- */

/* A Go duration ("1m30s", "1.5s", "300ms", "0"): nanoseconds. */
static int parse_duration(const char *s, int64_t *ret)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },	       { "us", 1000 },		{ "\xc2\xb5s", 1000 },	 { "\xce\xbcs", 1000 },
		{ "ms", 1000000 },     { "s", 1000000000ull }, { "m", 60000000000ull }, { "h", 3600000000000ull },
	};
	uint64_t total = 0;
	if (strcmp(s, "0") == 0) {
		*ret = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1;
		bool digits = false;
		for (; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (whole > (UINT64_MAX - 9) / 10)
				return -1;
			whole = whole * 10 + (uint64_t) (*s - '0');
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
				if (scale < 1000000000000000000ull) {
					frac = frac * 10 + (uint64_t) (*s - '0');
					scale *= 10;
				}
			}
		}
		if (!digits)
			return -1;
		size_t u = 0, ulen = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
			size_t n = strlen(units[i].name);
			if (strncmp(s, units[i].name, n) == 0 && n > ulen) {
				u = i;
				ulen = n;
			}
		}
		if (ulen == 0)
			return -1;
		s += ulen;
		uint64_t unit = units[u].ns;
		if (whole > (uint64_t) INT64_MAX / unit)
			return -1;
		uint64_t add = whole * unit + (uint64_t) ((long double) frac * (long double) unit / (long double) scale);
		if (add > (uint64_t) INT64_MAX - total)
			return -1;
		total += add;
	}
	*ret = (int64_t) total;
	return 0;
}

static int health_flag(json_t *hc, const char *flag, struct berth_error *err)
{
	static const struct {
		const char *flag, *field;
	} durations[] = {
		{ "interval", "Interval" },
		{ "timeout", "Timeout" },
		{ "start-period", "StartPeriod" },
		{ "start-interval", "StartInterval" },
	};
	const char *eq = strchr(flag, '=');
	size_t n = eq ? (size_t) (eq - flag) : strlen(flag);
	const char *value = eq ? eq + 1 : "";
	for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
		if (strlen(durations[i].flag) != n || strncmp(flag, durations[i].flag, n) != 0)
			continue;
		int64_t d;
		if (parse_duration(value, &d) < 0)
			return berth_error_set(err, EINVAL, "HEALTHCHECK --%s: invalid duration \"%.40s\"", durations[i].flag,
					       value);
		if (d != 0 && d < 1000000)
			return berth_error_set(err, EINVAL, "HEALTHCHECK --%s cannot be less than 1ms", durations[i].flag);
		if (d != 0)
			json_object_set_new(hc, durations[i].field, json_integer(d));
		return 0;
	}
	if (n == 7 && strncmp(flag, "retries", 7) == 0) {
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (!*value || *end || errno || v < 0 || v > INT32_MAX)
			return berth_error_set(err, EINVAL, "HEALTHCHECK --retries: invalid value \"%.40s\"", value);
		if (v != 0)
			json_object_set_new(hc, "Retries", json_integer(v));
		return 0;
	}
	return berth_error_set(err, EINVAL, "Unknown flag: %.*s", (int) (n > 40 ? 40 : n), flag);
}

static int do_healthcheck(struct ctx *c, const char *rest, struct berth_error *err)
{
	const char *s = rest;
	if (strncasecmp(s, "NONE", 4) == 0 && (s[4] == '\0' || berth_df_is_space(s[4]))) {
		if (*berth_df_skip_space(s + 4))
			return berth_error_set(err, EINVAL, "HEALTHCHECK NONE takes no arguments");
		json_object_set_new(c->config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
		return 0;
	}
	json_t *hc = json_object();
	int r = 0;
	while (r == 0 && strncmp(s, "--", 2) == 0) {
		const char *end = s;
		while (*end && !berth_df_is_space(*end))
			end++;
		_cleanup_free_ char *flag = strndup(s + 2, (size_t) (end - s - 2));
		r = flag ? health_flag(hc, flag, err) : berth_error_sys(err, ENOMEM, "HEALTHCHECK");
		s = berth_df_skip_space(end);
	}
	if (r == 0 && !(strncasecmp(s, "CMD", 3) == 0 && (s[3] == '\0' || berth_df_is_space(s[3]))))
		r = berth_error_set(err, EINVAL, "Unknown type \"%.20s\" in HEALTHCHECK (try CMD)", s);
	if (r == 0 && !*(s = berth_df_skip_space(s + 3)))
		r = berth_error_set(err, EINVAL, "Missing command after HEALTHCHECK CMD");
	if (r < 0) {
		json_decref(hc);
		return r;
	}
	json_t *test = json_form(s);
	if (test)
		json_array_insert_new(test, 0, json_string("CMD"));
	else
		test = json_pack("[s, s]", "CMD-SHELL", s);
	if (!test) {
		json_decref(hc);
		return berth_error_set(err, EINVAL, "HEALTHCHECK: not valid UTF-8");
	}
	json_object_set_new(hc, "Test", test);
	json_object_set_new(c->config, "Healthcheck", hc);
	return 0;
}

static int do_onbuild(struct ctx *c, const char *rest, struct berth_error *err)
{
	if (!*rest)
		return berth_error_set(err, EINVAL, "ONBUILD requires at least one argument");
	size_t n = 0;
	while (rest[n] && !berth_df_is_space(rest[n]))
		n++;
	if (n == 7 && strncasecmp(rest, "ONBUILD", 7) == 0)
		return berth_error_set(err, EINVAL, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if ((n == 4 && strncasecmp(rest, "FROM", 4) == 0) || (n == 10 && strncasecmp(rest, "MAINTAINER", 10) == 0))
		return berth_error_set(err, EINVAL, "%.*s isn't allowed as an ONBUILD trigger", (int) n, rest);
	json_t *list = json_object_get(c->config, "OnBuild");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(c->config, "OnBuild", list);
	}
	json_t *v = json_string(rest);
	if (!v)
		return berth_error_set(err, EINVAL, "ONBUILD: not valid UTF-8");
	json_array_append_new(list, v);
	return check_entries(list, "OnBuild", err);
}

/* ---- instructions ---- */

static int do_env(struct ctx *c, const char *rest, struct berth_error *err)
{
	return key_values(c, "ENV", rest, env_set, err);
}

static int do_label(struct ctx *c, const char *rest, struct berth_error *err)
{
	return key_values(c, "LABEL", rest, label_set, err);
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *c, const char *rest, struct berth_error *err);
} instructions[] = {
	{ "CMD", do_cmd },	     { "ENTRYPOINT", do_entrypoint }, { "ENV", do_env },
	{ "LABEL", do_label },	     { "WORKDIR", do_workdir },	      { "USER", do_user },
	{ "EXPOSE", do_expose },     { "VOLUME", do_volume },	      { "STOPSIGNAL", do_stopsignal },
	{ "HEALTHCHECK", do_healthcheck }, { "ONBUILD", do_onbuild },
};

static int instruction(struct ctx *c, char *line, struct berth_error *err)
{
	char *s = (char *) berth_df_skip_space(line);
	size_t n = 0;
	while (s[n] && !berth_df_is_space(s[n]))
		n++;
	char *rest = (char *) berth_df_skip_space(s + n);
	size_t rlen = strlen(rest);
	while (rlen > 0 && berth_df_is_space(rest[rlen - 1]))
		rest[--rlen] = '\0';
	for (size_t i = 0; i < sizeof(instructions) / sizeof(*instructions); i++) {
		if (strlen(instructions[i].name) != n || strncasecmp(s, instructions[i].name, n) != 0)
			continue;
		/* Substitutions see the Env of before the instruction. */
		json_t *env = json_deep_copy(json_object_get(c->config, "Env"));
		c->env = env;
		int r = instructions[i].fn(c, rest, err);
		c->env = NULL;
		json_decref(env);
		return r;
	}
	char name[24];
	size_t k = n < sizeof(name) - 1 ? n : sizeof(name) - 1;
	for (size_t i = 0; i < k; i++)
		name[i] = (char) toupper((unsigned char) s[i]);
	name[k] = '\0';
	return berth_error_set(err, EINVAL, "%s%s is not a valid change command", name, k < n ? "..." : "");
}

/* Split the joined text into logical lines (backslash continuations,
 * comments and blank lines removed) and run each. */
static int run_lines(struct ctx *c, const char *text, struct berth_error *err)
{
	struct berth_dfbuf line = { 0 };
	bool continued = false;
	unsigned count = 0;
	int r = 0;
	const char *p = text;
	while (r == 0 && *p) {
		const char *nl = strchrnul(p, '\n');
		const char *start = berth_df_skip_space(p);
		size_t len = (size_t) (nl - p);
		const char *next = *nl ? nl + 1 : nl;
		if (start >= nl || *start == '#') {
			/* blank or comment: skipped, even inside a continuation */
			p = next;
			continue;
		}
		size_t end = len;
		while (end > 0 && berth_df_is_space(p[end - 1]))
			end--;
		bool cont = end > 0 && p[end - 1] == '\\';
		r = berth_dfbuf_put(&line, p, cont ? end - 1 : len, err);
		continued = cont;
		p = next;
		if (r < 0 || cont)
			continue;
		if (++count > BERTH_IMPORT_CHANGES_MAX_INSTRUCTIONS)
			r = berth_error_set(err, E2BIG, "more than %u instructions", BERTH_IMPORT_CHANGES_MAX_INSTRUCTIONS);
		if (r == 0)
			r = instruction(c, line.s, err);
		line.len = 0;
		continued = false;
	}
	if (r == 0 && continued && line.len > 0)
		r = instruction(c, line.s, err);
	berth_dfbuf_free(&line);
	return r;
}

int berth_import_changes_apply(const char *const *changes, size_t n, json_t *config, struct berth_error *err)
{
	if (!json_is_object(config))
		return berth_error_set(err, EINVAL, "changes: the config is not an object");
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += strlen(changes[i]) + 1;
		if (total > BERTH_IMPORT_CHANGES_MAX_INPUT)
			return berth_error_set(err, E2BIG, "changes: more than %u bytes", BERTH_IMPORT_CHANGES_MAX_INPUT);
	}
	_cleanup_free_ char *text = malloc(total + 1);
	if (!text)
		return berth_error_sys(err, ENOMEM, "changes");
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(changes[i]);
		memcpy(text + off, changes[i], len);
		off += len;
		text[off++] = '\n';
	}
	text[off] = '\0';
	struct ctx c = { .config = json_deep_copy(config) };
	if (!c.config)
		return berth_error_sys(err, ENOMEM, "changes");
	int r = run_lines(&c, text, err);
	if (r == 0) {
		json_object_clear(config);
		json_object_update(config, c.config);
	}
	json_decref(c.config);
	return r;
}
