#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"

static void lowercase(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char) (*s - 'A' + 'a');
}

static void set_field(char field[BERTH_PLATFORM_FIELD_MAX], const char *value)
{
	snprintf(field, BERTH_PLATFORM_FIELD_MAX, "%s", value);
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

void berth_platform_normalize(struct berth_platform *p)
{
	lowercase(p->os);
	lowercase(p->architecture);
	lowercase(p->variant);
	if (strcmp(p->os, "macos") == 0)
		set_field(p->os, "darwin");

	char *arch = p->architecture, *variant = p->variant;
	if (is_one_of(arch, (const char *const[]){ "i386", "i486", "i586", "i686", NULL })) {
		set_field(arch, "386");
		variant[0] = '\0';
	} else if (is_one_of(arch, (const char *const[]){ "x86_64", "x86-64", "amd64", NULL })) {
		set_field(arch, "amd64");
		if (strcmp(variant, "v1") == 0)
			variant[0] = '\0';
	} else if (is_one_of(arch, (const char *const[]){ "aarch64", "arm64", NULL })) {
		set_field(arch, "arm64");
		/* containerd drops v8 here and re-adds it when matching; berth
		 * keeps it explicit so that formatting shows what docker shows. */
		if (is_one_of(variant, (const char *const[]){ "", "8", "v8", NULL }))
			set_field(variant, "v8");
	} else if (strcmp(arch, "armhf") == 0) {
		set_field(arch, "arm");
		set_field(variant, "v7");
	} else if (strcmp(arch, "armel") == 0) {
		set_field(arch, "arm");
		set_field(variant, "v6");
	} else if (strcmp(arch, "arm") == 0) {
		if (is_one_of(variant, (const char *const[]){ "", "7", NULL }))
			set_field(variant, "v7");
		else if (is_one_of(variant, (const char *const[]){ "5", "6", "8", NULL }))
			snprintf(variant, BERTH_PLATFORM_FIELD_MAX, "v%c", variant[0]);
	}
}

static bool field_valid(const char *s, bool allow_empty)
{
	size_t n = strlen(s);
	if (n >= BERTH_PLATFORM_FIELD_MAX || (n == 0 && !allow_empty))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int berth_platform_set(struct berth_platform *ret, const char *os, const char *architecture, const char *variant,
		       const char *what, struct berth_error *err)
{
	const char *names[] = { "os", "architecture", "variant" };
	const char *values[] = { os ? os : "", architecture ? architecture : "", variant ? variant : "" };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(values); i++)
		if (!field_valid(values[i], i == 2))
			return berth_error_set(err, EINVAL, "%s: invalid %s \"%.*s\": want 1 to %d of [A-Za-z0-9_.-]",
					       what, names[i], 64, values[i], BERTH_PLATFORM_FIELD_MAX - 1);
	struct berth_platform p;
	set_field(p.os, values[0]);
	set_field(p.architecture, values[1]);
	set_field(p.variant, values[2]);
	berth_platform_normalize(&p);
	*ret = p;
	return 0;
}

static bool os_known(const char *os)
{
	static const char *const known[] = { "aix",	"android", "darwin",  "dragonfly", "freebsd", "hurd",
					     "illumos", "ios",	   "js",      "linux",	   "nacl",    "netbsd",
					     "openbsd", "plan9",   "solaris", "windows",   "zos",     NULL };
	return is_one_of(os, known);
}

static bool arch_known(const char *arch)
{
	static const char *const known[] = { "386",	"amd64",       "amd64p32", "arm",	  "armbe",
					     "arm64",	"arm64be",     "ppc64",	   "ppc64le",	  "loong64",
					     "mips",	"mipsle",      "mips64",   "mips64le",	  "mips64p32",
					     "mips64p32le", "ppc",     "riscv",	   "riscv64",	  "s390",
					     "s390x",	"sparc",       "sparc64",  "wasm",	  NULL };
	return is_one_of(arch, known);
}

/* One component: an architecture (on linux) or an OS (on the host's
 * architecture), as containerd reads "arm64" or "linux". */
static int parse_single(const char *s, struct berth_platform *ret, struct berth_error *err)
{
	struct berth_platform p = { .os = "linux" };
	set_field(p.architecture, s);
	berth_platform_normalize(&p);
	if (arch_known(p.architecture)) {
		*ret = p;
		return 0;
	}
	char os[BERTH_PLATFORM_FIELD_MAX];
	set_field(os, s);
	lowercase(os);
	if (strcmp(os, "macos") == 0)
		set_field(os, "darwin");
	if (!os_known(os))
		return berth_error_set(err, EINVAL, "invalid platform \"%s\": unknown operating system or architecture",
				       s);
	int r = berth_platform_host(&p, err);
	if (r < 0)
		return r;
	set_field(p.os, os);
	*ret = p;
	return 0;
}

int berth_platform_parse(const char *s, struct berth_platform *ret, struct berth_error *err)
{
	char buf[BERTH_PLATFORM_STRING_MAX];
	char *parts[4] = { NULL };
	size_t n = 0;

	if (!s || strlen(s) >= sizeof(buf))
		return berth_error_set(err, EINVAL, "invalid platform \"%.*s\": want os/arch[/variant]", 100,
				       s ? s : "");
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *p = buf, *slash; n < BERTH_ARRAY_SIZE(parts); p = slash + 1) {
		parts[n++] = p;
		if (!(slash = strchr(p, '/')))
			break;
		*slash = '\0';
	}
	if (n == BERTH_ARRAY_SIZE(parts))
		return berth_error_set(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
	for (size_t i = 0; i < n; i++)
		if (!field_valid(parts[i], false))
			return berth_error_set(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
	if (n == 1)
		return parse_single(parts[0], ret, err);
	return berth_platform_set(ret, parts[0], parts[1], n == 3 ? parts[2] : NULL, "platform", err);
}

int berth_platform_host(struct berth_platform *ret, struct berth_error *err)
{
	struct utsname u;
	if (uname(&u) < 0)
		return berth_error_sys(err, errno, "uname");
	struct berth_platform p = { .os = "linux" };
	const char *m = u.machine;
	if (strncmp(m, "armv", 4) == 0 && m[4] >= '5' && m[4] <= '8') {
		/* armv7l, armv6l, armv5tel; armv8l is 32-bit arm on a 64-bit CPU */
		set_field(p.architecture, "arm");
		snprintf(p.variant, sizeof(p.variant), "v%c", m[4]);
	} else if (strcmp(m, "loongarch64") == 0) {
		set_field(p.architecture, "loong64");
	} else if (strcmp(m, "mips64") == 0 || strcmp(m, "mips") == 0) {
		/* uname does not tell the byte order: the build does */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		snprintf(p.architecture, sizeof(p.architecture), "%sle", m);
#else
		set_field(p.architecture, m);
#endif
	} else {
		set_field(p.architecture, m);
	}
	berth_platform_normalize(&p);
	*ret = p;
	return 0;
}

/* A variant "vN" with a small N; -1 otherwise. */
static int variant_number(const char *v)
{
	if (v[0] != 'v' || v[1] < '0' || v[1] > '9')
		return -1;
	char *end;
	long n = strtol(v + 1, &end, 10);
	return (*end || n > 64) ? -1 : (int) n;
}

#define VECTOR_MAX 96

struct vector {
	struct berth_platform p[VECTOR_MAX];
	size_t n;
};

static void vector_add(struct vector *v, const char *os, const char *arch, const char *variant)
{
	if (v->n >= VECTOR_MAX)
		return;
	struct berth_platform *p = &v->p[v->n++];
	set_field(p->os, os);
	set_field(p->architecture, arch);
	set_field(p->variant, variant);
	berth_platform_normalize(p);
}

/* arm/vN, then each older arm variant down to v5. */
static void vector_arm(struct vector *v, const char *os, const char *variant)
{
	vector_add(v, os, "arm", variant);
	int n = variant_number(variant);
	for (int i = n - 1; n > 5 && i >= 5; i--) {
		char var[16];
		snprintf(var, sizeof(var), "v%d", i);
		vector_add(v, os, "arm", var);
	}
}

/* "vMAJ.MIN", or "vMAJ" for minor 0 */
static const char *arm64_variant(char buf[16], int major, int minor)
{
	if (minor)
		snprintf(buf, 16, "v%d.%d", major, minor);
	else
		snprintf(buf, 16, "v%d", major);
	return buf;
}

/* arm64/vMAJ[.MIN]: older minors, v9.x also v8.(x+5) and below (v9.0
 * forked from v8.5), then 32-bit arm. */
static void vector_arm64(struct vector *v, const char *os, const char *variant)
{
	char var[16];
	int major = -1, minor = 0;
	vector_add(v, os, "arm64", variant);
	if (variant[0] == 'v' && variant[1] >= '8' && variant[1] <= '9' &&
	    (variant[2] == '\0' || (variant[2] == '.' && variant[3] >= '0' && variant[3] <= '9' && !variant[4]))) {
		major = variant[1] - '0';
		minor = variant[2] ? variant[3] - '0' : 0;
	}
	if (major == 9) {
		for (int i = minor - 1; i >= 0; i--) {
			vector_add(v, os, "arm64", arm64_variant(var, 9, i));
		}
		minor += 5;
		major = 8;
		snprintf(var, sizeof(var), "v8.%d", minor);
		vector_add(v, os, "arm64", var);
	}
	for (int i = minor - 1; major == 8 && i >= 0; i--) {
		vector_add(v, os, "arm64", arm64_variant(var, 8, i));
	}
	if (strncmp(variant, "v8.", 3) == 0 || strncmp(variant, "v9.", 3) == 0)
		variant = "v8";
	vector_arm(v, os, variant);
}

/* The platforms that run on `want`, best first, as containerd orders them. */
static void platform_vector(const struct berth_platform *want, struct vector *v)
{
	const char *os = want->os, *arch = want->architecture, *variant = want->variant;
	v->n = 0;
	if (strcmp(arch, "amd64") == 0) {
		vector_add(v, os, arch, variant);
		int n = variant_number(variant);
		for (int i = n - 1; n > 1 && i >= 1; i--) {
			char var[16];
			snprintf(var, sizeof(var), "v%d", i);
			vector_add(v, os, arch, var);
		}
		vector_add(v, os, "386", "");
	} else if (strcmp(arch, "arm") == 0) {
		vector_arm(v, os, variant);
	} else if (strcmp(arch, "arm64") == 0) {
		vector_arm64(v, os, variant);
	} else {
		vector_add(v, os, arch, variant);
	}
}

static bool platform_equal(const struct berth_platform *a, const struct berth_platform *b)
{
	return strcmp(a->os, b->os) == 0 && strcmp(a->architecture, b->architecture) == 0 &&
	       strcmp(a->variant, b->variant) == 0;
}

int berth_platform_rank(const struct berth_platform *want, const struct berth_platform *have)
{
	struct berth_platform w = *want, h = *have;
	berth_platform_normalize(&w);
	berth_platform_normalize(&h);
	struct vector v;
	platform_vector(&w, &v);
	for (size_t i = 0; i < v.n; i++)
		if (platform_equal(&v.p[i], &h))
			return (int) i;
	return -1;
}

void berth_platform_format(const struct berth_platform *p, char out[BERTH_PLATFORM_STRING_MAX])
{
	snprintf(out, BERTH_PLATFORM_STRING_MAX, "%s/%s%s%s", p->os, p->architecture, p->variant[0] ? "/" : "",
		 p->variant);
}
