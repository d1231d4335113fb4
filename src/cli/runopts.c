#include "runopts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"

/* Go's text for an errno ("no such file or directory"): glibc's with a
 * lower-case first letter. */
static void go_strerror(int code, char out[128])
{
	snprintf(out, 128, "%s", strerror(code));
	out[0] = (char) tolower((unsigned char) out[0]);
}

static int nomem(struct berth_error *err)
{
	return berth_error_sys(err, ENOMEM, "flags");
}

/* ---- numbers ---- */

/* What Go's strconv.ParseFloat accepts in decimal. */
static bool is_go_decimal(const char *s)
{
	bool digits = false;
	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char) *s); s++)
		digits = true;
	if (*s == '.')
		for (s++; isdigit((unsigned char) *s); s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char) *s))
			return false;
		while (isdigit((unsigned char) *s))
			s++;
	}
	return *s == '\0';
}

/* The unit of RAMInBytes: "", "b", "k", "kb", "kib"... -> multiplier. */
static int ram_unit(const char *sfx, double *mul, struct berth_error *err)
{
	char l[4] = "";
	size_t n = strlen(sfx);
	const char *p;

	*mul = 1;
	if (n == 0)
		return 0;
	if (n > 3)
		return berth_error_set(err, EINVAL, "invalid suffix: '%s'", sfx);
	for (size_t i = 0; i < n; i++)
		l[i] = (char) tolower((unsigned char) sfx[i]);
	if (l[0] == 'b')
		return n > 1 ? berth_error_set(err, EINVAL, "invalid suffix: '%s'", l) : 0;
	p = strchr("kmgtp", l[0]);
	if (!p || !l[0] || (n == 2 && l[1] != 'b') || (n == 3 && strcmp(l + 1, "ib") != 0))
		return berth_error_set(err, EINVAL, "invalid suffix: '%s'", l);
	for (const char *u = "kmgtp"; u <= p; u++)
		*mul *= 1024;
	return 0;
}

int berth_runopt_ram_bytes(const char *s, int64_t *ret, struct berth_error *err)
{
	const char *sep = NULL;
	double mul, size;

	/* the number ends at the last digit, dot or blank; the unit follows */
	for (const char *p = s; *p; p++)
		if (isdigit((unsigned char) *p) || *p == '.' || *p == ' ')
			sep = p;
	if (!sep)
		return berth_error_set(err, EINVAL, "invalid size: '%s'", s);
	_cleanup_free_ char *num = strndup(s, (size_t) (sep - s) + (*sep == ' ' ? 0 : 1));
	if (!num)
		return nomem(err);
	if (!is_go_decimal(num))
		return berth_error_set(err, EINVAL, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
	size = strtod(num, NULL);
	if (size < 0)
		return berth_error_set(err, EINVAL, "invalid size: '%s'", s);
	int r = ram_unit(sep + 1, &mul, err);
	if (r < 0)
		return r;
	size *= mul;
	/* Go's conversion of a float too large for int64 gives its minimum */
	*ret = size >= 9223372036854775807.0 ? INT64_MIN : (int64_t) size;
	return 0;
}

int berth_runopt_swap_bytes(const char *s, int64_t *ret, struct berth_error *err)
{
	if (!strcmp(s, "-1")) {
		*ret = -1;
		return 0;
	}
	return berth_runopt_ram_bytes(s, ret, err);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* The prefix of a base-0 number: the base, and where the digits start. */
static int number_base(const char **p)
{
	const char *s = *p;
	if (s[0] != '0' || !s[1])
		return 10;
	switch (s[1]) {
	case 'x':
	case 'X':
		*p = s + 2;
		return 16;
	case 'b':
	case 'B':
		*p = s + 2;
		return 2;
	case 'o':
	case 'O':
		*p = s + 2;
		return 8;
	default:
		*p = s + 1;
		return 8;
	}
}

int berth_runopt_int(const char *s, int base, int64_t *ret, struct berth_error *err)
{
	const char *p = s;
	bool neg = false, any = false, overflow = false;
	uint64_t v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int b = base == 0 ? number_base(&p) : base;
	for (; *p; p++) {
		if (*p == '_' && base == 0)
			continue;
		int d = digit_value(*p);
		if (d >= b)
			return berth_error_set(err, EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
		if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) b)
			overflow = true;
		else
			v = v * (uint64_t) b + (uint64_t) d;
		any = true;
	}
	if (!any)
		return berth_error_set(err, EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
	if (overflow || v > (uint64_t) INT64_MAX + (neg ? 1 : 0))
		return berth_error_set(err, ERANGE, "strconv.ParseInt: parsing \"%s\": value out of range", s);
	*ret = neg ? (v > (uint64_t) INT64_MAX ? INT64_MIN : -(int64_t) v) : (int64_t) v;
	return 0;
}

/* "a/b" as big.Rat reads it, times 1e9. */
static int nano_fraction(const char *s, const char *slash, int64_t *ret, struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	int64_t a, b;
	_cleanup_free_ char *num = strndup(s, (size_t) (slash - s));
	if (!num)
		return nomem(err);
	if (berth_runopt_int(num, 0, &a, &ignored) < 0 || slash[1] == '-' || slash[1] == '+' ||
	    berth_runopt_int(slash + 1, 0, &b, &ignored) < 0 || b == 0)
		return berth_error_set(err, EINVAL, "failed to parse %s as a rational number", s);
	__int128 n = (__int128) a * 1000000000;
	if (n % b != 0)
		return berth_error_set(err, EINVAL, "value is too precise");
	n /= b;
	if (n > INT64_MAX || n < INT64_MIN)
		return berth_error_set(err, ERANGE, "value is too large");
	*ret = (int64_t) n;
	return 0;
}

int berth_runopt_nano_cpus(const char *s, int64_t *ret, struct berth_error *err)
{
	const char *slash = strchr(s, '/'), *p = s;
	char digits[20];
	size_t nd = 0;
	long frac_digits = 0, exp10 = 0;
	bool neg = false, in_frac = false;

	if (slash)
		return nano_fraction(s, slash, ret, err);
	if (!is_go_decimal(s))
		return berth_error_set(err, EINVAL, "failed to parse %s as a rational number", s);
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	/* value = digits * 10^(exp10 - frac_digits); leading zeros dropped */
	for (; isdigit((unsigned char) *p) || *p == '.'; p++) {
		if (*p == '.') {
			in_frac = true;
			continue;
		}
		frac_digits += in_frac;
		if (nd == 0 && *p == '0')
			continue;
		if (nd == sizeof(digits))
			return berth_error_set(err, ERANGE, "value is too large");
		digits[nd++] = *p;
	}
	if (*p == 'e' || *p == 'E')
		exp10 = strtol(p + 1, NULL, 10);
	if (exp10 > 1000 || exp10 < -1000)
		exp10 = exp10 > 0 ? 1000 : -1000;
	long shift = 9 + exp10 - frac_digits;
	while (shift < 0 && nd > 0 && digits[nd - 1] == '0') {
		nd--;
		shift++;
	}
	if (nd == 0) {
		*ret = 0;
		return 0;
	}
	if (shift < 0)
		return berth_error_set(err, EINVAL, "value is too precise");
	if ((long) nd + shift > 18)
		return berth_error_set(err, ERANGE, "value is too large");
	int64_t v = 0;
	for (size_t i = 0; i < nd; i++)
		v = v * 10 + (digits[i] - '0');
	for (long i = 0; i < shift; i++)
		v *= 10;
	*ret = neg ? -v : v;
	return 0;
}

/* ---- ulimits ---- */

static bool ulimit_name_known(const char *name)
{
	static const char *const names[] = {
		"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
		"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
	};
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int berth_runopt_ulimit(const char *s, json_t **ret, struct berth_error *err)
{
	const char *eq = strchr(s, '=');
	int64_t soft, hard;
	int r;

	if (!eq)
		return berth_error_set(err, EINVAL, "invalid ulimit argument: %s", s);
	_cleanup_free_ char *name = strndup(s, (size_t) (eq - s));
	_cleanup_free_ char *values = strdup(eq + 1);
	if (!name || !values)
		return nomem(err);
	if (!ulimit_name_known(name))
		return berth_error_set(err, EINVAL, "invalid ulimit type: %s", name);
	char *colon = strchr(values, ':');
	if (colon && strchr(colon + 1, ':'))
		return berth_error_set(err, EINVAL,
				       "too many limit value arguments - %s, can only have up to two, `soft[:hard]`",
				       values);
	if (colon) {
		*colon = '\0';
		if ((r = berth_runopt_int(colon + 1, 10, &hard, err)) < 0)
			return r;
	}
	if ((r = berth_runopt_int(values, 10, &soft, err)) < 0)
		return r;
	if (!colon)
		hard = soft;
	if (hard != -1 && soft > hard)
		return berth_error_set(err, EINVAL,
				       "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
				       (long long) soft, (long long) hard);
	*ret = json_pack("{s:s, s:I, s:I}", "Name", name, "Hard", (json_int_t) hard, "Soft", (json_int_t) soft);
	return *ret ? 0 : nomem(err);
}

/* ---- environment, labels and other key=value lists ---- */

int berth_runopt_env(const char *s, json_t *env, struct berth_error *err)
{
	const char *eq = strchr(s, '=');
	_cleanup_free_ char *k = eq ? strndup(s, (size_t) (eq - s)) : strdup(s), *kv = NULL;
	if (!k)
		return nomem(err);
	if (!*k)
		return berth_error_set(err, EINVAL, "invalid environment variable: %s", s);
	const char *v = eq ? NULL : getenv(k);
	if (v && asprintf(&kv, "%s=%s", k, v) < 0)
		return nomem(err);
	return json_array_append_new(env, json_string(kv ? kv : s)) < 0 ? nomem(err) : 0;
}

/* One line of an env or label file. */
static int kv_file_line(const char *path, char *line, bool env_lookup, json_t *out, struct berth_error *err)
{
	while (isspace((unsigned char) *line))
		line++;
	if (!*line || *line == '#')
		return 0;
	char *eq = strchr(line, '=');
	size_t klen = eq ? (size_t) (eq - line) : strlen(line);
	_cleanup_free_ char *k = strndup(line, klen), *kv = NULL;
	if (!k)
		return nomem(err);
	if (strpbrk(k, " \t"))
		return berth_error_set(err, EINVAL, "invalid env file (%s): variable '%s' contains whitespaces", path,
				       k);
	if (!*k)
		return berth_error_set(err, EINVAL, "invalid env file (%s): no variable name on line '%s'", path, line);
	if (!eq) {
		const char *v = env_lookup ? getenv(k) : NULL;
		if (!v)
			return 0;
		if (asprintf(&kv, "%s=%s", k, v) < 0)
			return nomem(err);
	}
	return json_array_append_new(out, json_string(kv ? kv : line)) < 0 ? nomem(err) : 0;
}

int berth_runopt_kv_file(const char *path, bool env_lookup, json_t *out, struct berth_error *err)
{
	char msg[128];
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool first = true;

	if (!f) {
		go_strerror(errno, msg);
		return berth_error_set(err, errno, "open %s: %s", path, msg);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		char *l = line;
		if (first && !strncmp(l, "\xef\xbb\xbf", 3))
			l += 3;
		first = false;
		int r = kv_file_line(path, l, env_lookup, out, err);
		if (r < 0)
			return r;
	}
	if (ferror(f)) {
		int code = errno ? errno : EIO;
		go_strerror(code, msg);
		return berth_error_set(err, code, "invalid env file (%s): read %s: %s", path, path, msg);
	}
	return 0;
}

void berth_runopt_kv(const char *s, json_t *map)
{
	const char *eq = strchr(s, '=');
	_cleanup_free_ char *k = eq ? strndup(s, (size_t) (eq - s)) : strdup(s);
	if (k)
		json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

int berth_runopt_label(const char *s, json_t *map, struct berth_error *err)
{
	size_t klen = strcspn(s, "=");
	const char *k = s;
	while (klen > 0 && isspace((unsigned char) *k))
		k++, klen--;
	while (klen > 0 && isspace((unsigned char) k[klen - 1]))
		klen--;
	if (klen == 0)
		return berth_error_set(err, EINVAL, "invalid label '%s': empty name", s);
	berth_runopt_kv(s, map);
	return 0;
}

int berth_runopt_sysctl(const char *s, json_t *map, struct berth_error *err)
{
	static const char *const names[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	const char *eq = strchr(s, '=');
	size_t klen = eq ? (size_t) (eq - s) : 0;
	bool ok = klen > 0 && (!strncmp(s, "net.", 4) || !strncmp(s, "fs.mqueue.", 10));
	for (size_t i = 0; !ok && klen > 0 && i < BERTH_ARRAY_SIZE(names); i++)
		ok = strlen(names[i]) == klen && !strncmp(names[i], s, klen);
	if (!ok)
		return berth_error_set(err, EINVAL, "sysctl '%s' is not allowed", s);
	berth_runopt_kv(s, map);
	return 0;
}

void berth_runopt_tmpfs(const char *s, json_t *map)
{
	const char *colon = strchr(s, ':');
	_cleanup_free_ char *path = colon ? strndup(s, (size_t) (colon - s)) : strdup(s);
	if (path)
		json_object_set_new(map, path, json_string(colon ? colon + 1 : ""));
}

int berth_runopt_add_host(const char *s, char **ret, struct berth_error *err)
{
	const char *sep = strchr(s, '=');
	if (!sep)
		sep = strchr(s, ':');
	if (!sep || sep == s || memchr(s, ':', (size_t) (sep - s)))
		return berth_error_set(err, EINVAL, "bad format for add-host: \"%s\"", s);
	_cleanup_free_ char *ip = strdup(sep + 1);
	if (!ip)
		return nomem(err);
	if (strcmp(ip, "host-gateway") != 0) {
		size_t n = strlen(ip);
		if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
			memmove(ip, ip + 1, n - 2);
			ip[n - 2] = '\0';
		}
		unsigned char buf[sizeof(struct in6_addr)];
		_cleanup_free_ char *trimmed = strdup(ip);
		char *t = trimmed;
		if (!t)
			return nomem(err);
		while (isspace((unsigned char) *t))
			t++;
		for (size_t e = strlen(t); e > 0 && isspace((unsigned char) t[e - 1]); e--)
			t[e - 1] = '\0';
		if (inet_pton(AF_INET, t, buf) != 1 && inet_pton(AF_INET6, t, buf) != 1)
			return berth_error_set(err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
	}
	if (asprintf(ret, "%.*s:%s", (int) (sep - s), s, ip) < 0)
		return nomem(err);
	return 0;
}

int berth_runopt_restart(const char *s, json_t **ret, struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	const char *colon = strchr(s, ':');
	int64_t count = 0;

	if (colon == s)
		return berth_error_set(err, EINVAL, "invalid restart policy format: no policy provided before colon");
	if (colon && colon[1] &&
	    (berth_runopt_int(colon + 1, 10, &count, &ignored) < 0 || count > INT32_MAX || count < INT32_MIN))
		return berth_error_set(err, EINVAL,
				       "invalid restart policy format: maximum retry count must be an "
				       "integer");
	_cleanup_free_ char *name = colon ? strndup(s, (size_t) (colon - s)) : strdup(s);
	if (!name)
		return nomem(err);
	*ret = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t) count);
	return *ret ? 0 : nomem(err);
}

int berth_runopt_attach_stream(const char *s, struct berth_error *err)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return berth_error_set(err, EINVAL, "valid streams are STDIN, STDOUT and STDERR");
}

/* ---- capabilities and security options ---- */

static int cap_normalize(json_t *list, json_t *out, struct berth_error *err)
{
	json_t *v;
	size_t i;
	json_array_foreach(list, i, v)
	{
		_cleanup_free_ char *up = strdup(json_string_value(v) ? json_string_value(v) : ""), *name = NULL;
		if (!up)
			return nomem(err);
		for (char *c = up; *c; c++)
			*c = (char) toupper((unsigned char) *c);
		bool keep = !strcmp(up, "ALL") || !strncmp(up, "CAP_", 4);
		if (asprintf(&name, "%s%s", keep ? "" : "CAP_", up) < 0)
			return nomem(err);
		json_object_set_new(out, name, json_true());
	}
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of set, sorted; NULL when none. */
static json_t *sorted_keys(json_t *set)
{
	const char *k;
	json_t *v, *out;
	size_t n = 0;
	_cleanup_free_ const char **keys = calloc(json_object_size(set) + 1, sizeof(*keys));
	if (!keys)
		return NULL;
	json_object_foreach(set, k, v)
	{
		keys[n++] = k;
	}
	if (n == 0)
		return NULL;
	qsort(keys, n, sizeof(*keys), compare_strings);
	out = json_array();
	for (size_t i = 0; out && i < n; i++)
		json_array_append_new(out, json_string(keys[i]));
	return out;
}

int berth_runopt_capabilities(json_t *add, json_t *drop, json_t **ret_add, json_t **ret_drop, struct berth_error *err)
{
	_cleanup_json_ json_t *a = json_object(), *d = json_object();
	int r = a && d ? 0 : nomem(err);
	if (r == 0)
		r = cap_normalize(add, a, err);
	if (r == 0)
		r = cap_normalize(drop, d, err);
	if (r < 0)
		return r;
	*ret_add = sorted_keys(a);
	*ret_drop = sorted_keys(d);
	return 0;
}

/* "seccomp=FILE": the profile, compacted, in place of the file name. */
static int seccomp_profile(json_t *opts, size_t i, const char *file, struct berth_error *err)
{
	char msg[128];
	_cleanup_free_ char *compact = NULL, *opt = NULL;
	_cleanup_json_ json_t *profile = NULL;
	json_error_t jerr;
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f) {
		go_strerror(errno, msg);
		return berth_error_set(err, errno, "opening seccomp profile (%s) failed: open %s: %s", file, file, msg);
	}
	profile = json_loadf(f, JSON_DECODE_ANY, &jerr);
	if (!profile)
		return berth_error_set(err, EINVAL, "compacting json for seccomp profile (%s) failed: %s", file,
				       jerr.text);
	compact = json_dumps(profile, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!compact || asprintf(&opt, "seccomp=%s", compact) < 0)
		return nomem(err);
	return json_array_set_new(opts, i, json_string(opt)) < 0 ? nomem(err) : 0;
}

int berth_runopt_security(json_t *opts, bool *ret_unconfined_paths, struct berth_error *err)
{
	*ret_unconfined_paths = false;
	for (size_t i = 0; i < json_array_size(opts); i++) {
		const char *opt = json_string_value(json_array_get(opts, i));
		size_t klen = strcspn(opt, "=");
		if (!opt[klen] && strcmp(opt, "no-new-privileges") != 0)
			klen = strcspn(opt, ":");
		const char *v = opt[klen] ? opt + klen + 1 : NULL;
		if ((!v || !*v) && strcmp(opt, "no-new-privileges") != 0)
			return berth_error_set(err, EINVAL, "Invalid --security-opt: \"%s\"", opt);
		if (klen == 7 && !strncmp(opt, "seccomp", 7) && strcmp(v, "builtin") != 0 &&
		    strcmp(v, "unconfined") != 0) {
			int r = seccomp_profile(opts, i, v, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < json_array_size(opts);) {
		if (!strcmp(json_string_value(json_array_get(opts, i)), "systempaths=unconfined")) {
			json_array_remove(opts, i);
			*ret_unconfined_paths = true;
		} else {
			i++;
		}
	}
	return 0;
}

/* ---- detach keys ---- */

static int ctrl_key(const char *key)
{
	static const char specials[] = "@[\\]^_";
	if (strncmp(key, "ctrl-", 5) != 0 || strlen(key) != 6)
		return -1;
	char c = key[5];
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 1;
	const char *s = strchr(specials, c);
	if (!s || !c)
		return -1;
	return s == specials ? 0 : 27 + (int) (s - specials) - 1;
}

int berth_runopt_detach_keys(const char *s, unsigned char *out, size_t max, size_t *ret_len, struct berth_error *err)
{
	_cleanup_free_ char *copy = strdup(s);
	size_t n = 0;
	char *save = NULL;

	if (!copy)
		return nomem(err);
	for (char *key = strtok_r(copy, ",", &save); key; key = strtok_r(NULL, ",", &save)) {
		int code = strlen(key) == 1 ? (unsigned char) key[0] : ctrl_key(key);
		if (code < 0)
			return berth_error_set(err, EINVAL, "Unknown character: '%s'", key);
		if (n == max)
			return berth_error_set(err, EINVAL, "too many detach keys");
		out[n++] = (unsigned char) code;
	}
	*ret_len = n;
	return 0;
}
