#include "seccomp_docker.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "json.h"

static const struct {
	const char *machine, *goarch, *scmp;
} arches[] = {
	{ "x86_64", "amd64", "SCMP_ARCH_X86_64" },   { "aarch64", "arm64", "SCMP_ARCH_AARCH64" },
	{ "i686", "386", "SCMP_ARCH_X86" },	     { "armv7l", "arm", "SCMP_ARCH_ARM" },
	{ "ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE" }, { "s390x", "s390x", "SCMP_ARCH_S390X" },
	{ "riscv64", "riscv64", "SCMP_ARCH_RISCV64" },
};

void berth_seccomp_target_host(struct berth_seccomp_target *t)
{
	struct utsname u;
	uname(&u);
	*t = (struct berth_seccomp_target){ 0 };
	snprintf(t->goarch, sizeof(t->goarch), "%.15s", u.machine);
	snprintf(t->kernel, sizeof(t->kernel), "%s", u.release);
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(u.machine, arches[i].machine) == 0) {
			snprintf(t->goarch, sizeof(t->goarch), "%s", arches[i].goarch);
			snprintf(t->scmp_arch, sizeof(t->scmp_arch), "%s", arches[i].scmp);
		}
}

static bool strv_has(const char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcasecmp(*v, s) == 0)
			return true;
	return false;
}

static bool array_has(json_t *array, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(array, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* "4.8" against "6.1.0-18-amd64": whether the kernel is at least that. */
static bool kernel_at_least(const char *kernel, const char *min)
{
	int kmaj = 0, kmin = 0, mmaj = 0, mmin = 0;
	if (sscanf(kernel, "%d.%d", &kmaj, &kmin) < 1 || sscanf(min, "%d.%d", &mmaj, &mmin) < 1)
		return true;
	return kmaj > mmaj || (kmaj == mmaj && kmin >= mmin);
}

/* includes: every condition must hold; excludes: none may. */
static bool rule_applies(json_t *rule, const struct berth_seccomp_target *t)
{
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	json_t *arch = json_object_get(inc, "arches"), *caps = json_object_get(inc, "caps"), *v;
	const char *min_kernel = json_string_value(json_object_get(inc, "minKernel"));
	size_t i;

	if (json_array_size(arch) > 0 && !array_has(arch, t->goarch))
		return false;
	json_array_foreach(caps, i, v) if (!json_is_string(v) || !strv_has(t->caps, json_string_value(v))) return false;
	if (min_kernel && *min_kernel && !kernel_at_least(t->kernel, min_kernel))
		return false;
	if (array_has(json_object_get(exc, "arches"), t->goarch))
		return false;
	json_array_foreach(json_object_get(exc, "caps"), i, v) if (json_is_string(v) &&
								  strv_has(t->caps, json_string_value(v))) return false;
	return true;
}

static int convert_rule(json_t *rule, const char *path, json_t *out, struct berth_error *err)
{
	const char *name = NULL, *action = NULL;
	json_t *names = NULL, *args = NULL, *errno_ret;
	int r;

	if ((r = bjson_get_string(rule, path, "name", false, &name, err)) < 0 ||
	    (r = bjson_get_array(rule, path, "names", false, &names, err)) < 0 ||
	    (r = bjson_get_string(rule, path, "action", true, &action, err)) < 0 ||
	    (r = bjson_get_array(rule, path, "args", false, &args, err)) < 0)
		return r;
	if (name && *name && json_array_size(names) > 0)
		return berth_error_set(err, EINVAL, "%s: use either 'name' or 'names', not both", path);
	json_t *o = json_object();
	json_object_set_new(o, "names", names && json_array_size(names) ? json_deep_copy(names)
									: json_pack("[s]", name ? name : ""));
	json_object_set_new(o, "action", json_string(action));
	if ((errno_ret = json_object_get(rule, "errnoRet")) && json_is_integer(errno_ret))
		json_object_set(o, "errnoRet", errno_ret);
	if (json_array_size(args) > 0)
		json_object_set_new(o, "args", json_deep_copy(args));
	json_array_append_new(out, o);
	return 0;
}

/* The old format lists architectures; the current one maps the native
 * architecture to itself and its sub-architectures. */
static json_t *architectures(json_t *profile, const struct berth_seccomp_target *t)
{
	json_t *given = json_object_get(profile, "architectures"), *entry;
	size_t i;
	if (json_array_size(given) > 0)
		return json_deep_copy(given);
	json_t *out = json_array();
	json_array_foreach(json_object_get(profile, "archMap"), i, entry)
	{
		const char *arch = json_string_value(json_object_get(entry, "architecture"));
		if (!arch || strcmp(arch, t->scmp_arch) != 0)
			continue;
		json_array_append_new(out, json_string(arch));
		json_t *sub = json_object_get(entry, "subArchitectures");
		if (json_is_array(sub))
			json_array_extend(out, sub);
	}
	return out;
}

static void copy_field(json_t *from, json_t *to, const char *key)
{
	json_t *v = json_object_get(from, key);
	if (v && !json_is_null(v))
		json_object_set(to, key, v);
}

int berth_seccomp_from_docker(json_t *profile, const struct berth_seccomp_target *t, json_t **ret,
			      struct berth_error *err)
{
	const char *default_action;
	json_t *syscalls = NULL, *rule;
	char path[BJSON_PATH_MAX];
	size_t i;
	int r;

	if (!json_is_object(profile))
		return berth_error_set(err, EINVAL, "seccomp profile: want a JSON object");
	if ((r = bjson_get_string(profile, "", "defaultAction", true, &default_action, err)) < 0 ||
	    (r = bjson_get_array(profile, "", "syscalls", false, &syscalls, err)) < 0)
		return r;
	_cleanup_json_ json_t *out = json_pack("{s:s, s:o, s:[]}", "defaultAction", default_action, "architectures",
						architectures(profile, t), "syscalls");
	if (!out)
		return berth_error_sys(err, ENOMEM, "seccomp profile");
	copy_field(profile, out, "defaultErrnoRet");
	copy_field(profile, out, "listenerPath");
	copy_field(profile, out, "listenerMetadata");
	copy_field(profile, out, "flags");
	json_array_foreach(syscalls, i, rule)
	{
		bjson_path_index(path, "syscalls", i);
		if (!json_is_object(rule))
			return berth_error_set(err, EINVAL, "%s: want an object", path);
		if (!rule_applies(rule, t))
			continue;
		if ((r = convert_rule(rule, path, json_object_get(out, "syscalls"), err)) < 0)
			return r;
	}
	*ret = berth_steal_ptr(&out);
	return 0;
}
