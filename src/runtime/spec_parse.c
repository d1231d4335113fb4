/* config.json -> struct berth_spec: the top level, process, hooks, mounts.
 * The linux section is in spec_linux.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "spec.h"

#define CONFIG_MAX_SIZE (16u << 20)

int berth_linux_parse(struct berth_spec *spec, json_t *lx, struct berth_error *err);
int berth_id_mappings_parse(json_t *obj, const char *parent, const char *key, struct berth_id_mapping **ret,
			    size_t *ret_len, struct berth_error *err);

int berth_cap_from_name(const char *name)
{
	cap_value_t v;

	char *canonical;
	bool exact;

	if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0')
		return -1;
	if (cap_from_name(name, &v) < 0)
		return -1;
	/* libcap matches a prefix ("CAP_KILL9" is CAP_KILL): insist on the
	 * whole name, so a typo is reported instead of granted. */
	canonical = cap_to_name(v);
	exact = canonical && strcasecmp(canonical, name) == 0;
	cap_free(canonical);
	return exact ? (int) v : -1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },	      { "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },	      { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },	      { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimits(json_t *process, struct berth_process *p, struct berth_error *err)
{
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(process, "process", "rlimits", false, &arr, err);
	if (r <= 0)
		return r;
	p->rlimits = calloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
	if (p->rlimits == NULL)
		return berth_error_sys(err, ENOMEM, "process.rlimits");
	json_array_foreach (arr, i, item) {
		struct berth_rlimit *rl = &p->rlimits[i];
		char path[BJSON_PATH_MAX];
		const char *type;
		size_t k;

		bjson_path_index(path, "process.rlimits", i);
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", path);
		if ((r = bjson_get_string(item, path, "type", true, &type, err)) < 0 ||
		    (r = bjson_get_uint64(item, path, "soft", true, &rl->soft, err)) < 0 ||
		    (r = bjson_get_uint64(item, path, "hard", true, &rl->hard, err)) < 0)
			return r;
		for (k = 0; k < BERTH_ARRAY_SIZE(rlimit_names); k++)
			if (strcmp(type, rlimit_names[k].name) == 0)
				break;
		if (k == BERTH_ARRAY_SIZE(rlimit_names))
			return berth_error_set(err, EINVAL, "%s.type: unknown rlimit %s", path, type);
		rl->resource = rlimit_names[k].resource;
		if (rl->soft > rl->hard)
			return berth_error_set(err, EINVAL, "%s: soft limit %llu exceeds hard limit %llu", path,
					       (unsigned long long) rl->soft, (unsigned long long) rl->hard);
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return berth_error_set(err, EINVAL, "%s.type: %s is set twice", path, type);
		p->n_rlimits++;
	}
	return 0;
}

static int parse_capabilities(json_t *process, const char *parent, struct berth_capabilities *caps,
			      struct berth_error *err)
{
	static const char *const set_names[BERTH_CAP_SET_COUNT] = {
		[BERTH_CAP_BOUNDING] = "bounding",   [BERTH_CAP_EFFECTIVE] = "effective",
		[BERTH_CAP_INHERITABLE] = "inheritable", [BERTH_CAP_PERMITTED] = "permitted",
		[BERTH_CAP_AMBIENT] = "ambient",
	};
	char path[BJSON_PATH_MAX];
	json_t *obj;
	int r;

	r = bjson_get_object(process, parent, "capabilities", false, &obj, err);
	if (r <= 0)
		return r;
	caps->present = true;
	bjson_path_key(path, parent, "capabilities");
	for (int s = 0; s < BERTH_CAP_SET_COUNT; s++) {
		_cleanup_free_ const char **names = NULL;
		size_t n;

		r = bjson_get_strv(obj, path, set_names[s], false, false, &names, &n, err);
		if (r < 0)
			return r;
		for (size_t i = 0; r > 0 && i < n; i++) {
			int cap = berth_cap_from_name(names[i]);
			/* The spec asks for a warning, not an error, so that a newer
			 * config still runs on an older kernel or libcap. */
			if (cap < 0 || cap > 63) {
				berth_warn("%s.%s: unknown capability %s, ignored", path, set_names[s], names[i]);
				continue;
			}
			caps->sets[s] |= UINT64_C(1) << cap;
		}
	}
	return 0;
}

static int parse_user(json_t *process, const char *parent, struct berth_process *p, struct berth_error *err)
{
	char path[BJSON_PATH_MAX], gpath[BJSON_PATH_MAX];
	json_t *user, *gids, *g;
	int64_t v;
	size_t i;
	int r;

	r = bjson_get_object(process, parent, "user", false, &user, err);
	if (r <= 0)
		return r;
	bjson_path_key(path, parent, "user");
	if ((r = bjson_get_int(user, path, "uid", true, 0, UINT32_MAX - 1, &v, err)) < 0)
		return r;
	p->uid = (uint32_t) v;
	if ((r = bjson_get_int(user, path, "gid", true, 0, UINT32_MAX - 1, &v, err)) < 0)
		return r;
	p->gid = (uint32_t) v;
	r = bjson_get_int(user, path, "umask", false, 0, 07777, &v, err);
	if (r < 0)
		return r;
	if (r > 0) {
		p->has_umask = true;
		p->umask = (uint32_t) v;
	}
	r = bjson_get_array(user, path, "additionalGids", false, &gids, err);
	if (r <= 0)
		return r;
	p->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
	if (p->additional_gids == NULL)
		return berth_error_sys(err, ENOMEM, "%s.additionalGids", path);
	bjson_path_key(gpath, path, "additionalGids");
	json_array_foreach (gids, i, g) {
		char ipath[BJSON_PATH_MAX];
		bjson_path_index(ipath, gpath, i);
		if ((r = bjson_as_int(g, ipath, 0, UINT32_MAX - 1, &v, err)) < 0)
			return r;
		p->additional_gids[p->n_additional_gids++] = (uint32_t) v;
	}
	return 0;
}

static int parse_console_size(json_t *process, const char *parent, struct berth_process *p, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *cs;
	int64_t v;
	int r;

	r = bjson_get_object(process, parent, "consoleSize", false, &cs, err);
	if (r <= 0)
		return r;
	bjson_path_key(path, parent, "consoleSize");
	if ((r = bjson_get_int(cs, path, "height", true, 0, UINT16_MAX, &v, err)) < 0)
		return r;
	p->console_height = (uint32_t) v;
	if ((r = bjson_get_int(cs, path, "width", true, 0, UINT16_MAX, &v, err)) < 0)
		return r;
	p->console_width = (uint32_t) v;
	p->has_console_size = true;
	return 0;
}

static int check_env(const char **env, const char *path, struct berth_error *err)
{
	for (size_t i = 0; env && env[i]; i++)
		if (strchr(env[i], '=') == NULL || env[i][0] == '=')
			return berth_error_set(err, EINVAL, "%s.env[%zu]: \"%s\" is not of the form KEY=VALUE", path,
					       i, env[i]);
	return 0;
}

int berth_process_parse(json_t *obj, const char *path, struct berth_process *p, struct berth_error *err)
{
	char cpath[BJSON_PATH_MAX];
	int64_t v;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = bjson_get_bool(obj, path, "terminal", false, &p->terminal, err)) < 0 ||
	    (r = parse_console_size(obj, path, p, err)) < 0 ||
	    (r = bjson_get_string(obj, path, "cwd", true, &p->cwd, err)) < 0 ||
	    (r = bjson_get_strv(obj, path, "env", false, false, &p->env, &p->n_env, err)) < 0 ||
	    (r = bjson_get_strv(obj, path, "args", true, true, &p->args, &p->n_args, err)) < 0 ||
	    (r = parse_user(obj, path, p, err)) < 0 || (r = parse_capabilities(obj, path, &p->caps, err)) < 0 ||
	    (r = bjson_get_bool(obj, path, "noNewPrivileges", false, &p->no_new_privileges, err)) < 0 ||
	    (r = bjson_get_string(obj, path, "apparmorProfile", false, &p->apparmor_profile, err)) < 0 ||
	    (r = bjson_get_string(obj, path, "selinuxLabel", false, &p->selinux_label, err)) < 0)
		goto fail;
	if (p->cwd[0] != '/') {
		bjson_path_key(cpath, path, "cwd");
		r = berth_error_set(err, EINVAL, "%s: must be an absolute path, not \"%s\"", cpath, p->cwd);
		goto fail;
	}
	if (p->args[0][0] == '\0') {
		bjson_path_key(cpath, path, "args");
		r = berth_error_set(err, EINVAL, "%s[0]: must not be empty", cpath);
		goto fail;
	}
	if ((r = check_env(p->env, path, err)) < 0)
		goto fail;
	r = bjson_get_int(obj, path, "oomScoreAdj", false, -1000, 1000, &v, err);
	if (r < 0)
		goto fail;
	if (r > 0) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int) v;
	}
	/* rlimits are parsed with the path "process", as config.json has it. */
	if ((r = parse_rlimits(obj, p, err)) < 0 || (r = berth_process_extras_parse(obj, path, p, err)) < 0)
		goto fail;
	return 0;
fail:
	berth_process_release(p);
	return r;
}

void berth_process_release(struct berth_process *p)
{
	free(p->env);
	free(p->args);
	free(p->additional_gids);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

static int parse_hook_list(json_t *hooks, const char *name, struct berth_hook_list *list, struct berth_error *err)
{
	char path[BJSON_PATH_MAX];
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(hooks, "hooks", name, false, &arr, err);
	if (r <= 0)
		return r;
	list->hooks = calloc(json_array_size(arr) + 1, sizeof(*list->hooks));
	if (list->hooks == NULL)
		return berth_error_sys(err, ENOMEM, "hooks.%s", name);
	bjson_path_key(path, "hooks", name);
	json_array_foreach (arr, i, item) {
		struct berth_hook *h = &list->hooks[i];
		char ipath[BJSON_PATH_MAX];

		bjson_path_index(ipath, path, i);
		list->count = i + 1;
		if (!json_is_object(item))
			return berth_error_set(err, EINVAL, "%s: must be an object", ipath);
		if ((r = bjson_get_string(item, ipath, "path", true, &h->path, err)) < 0 ||
		    (r = bjson_get_strv(item, ipath, "args", false, false, &h->args, NULL, err)) < 0 ||
		    (r = bjson_get_strv(item, ipath, "env", false, false, &h->env, NULL, err)) < 0)
			return r;
		if (h->path[0] != '/')
			return berth_error_set(err, EINVAL, "%s.path: must be an absolute path, not \"%s\"", ipath,
					       h->path);
		r = bjson_get_int(item, ipath, "timeout", false, 1, INT32_MAX / 1000, &h->timeout, err);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *berth_hook_kind_name(enum berth_hook_kind kind)
{
	static const char *const names[BERTH_HOOK_KIND_COUNT] = {
		[BERTH_HOOK_PRESTART] = "prestart",
		[BERTH_HOOK_CREATE_RUNTIME] = "createRuntime",
		[BERTH_HOOK_CREATE_CONTAINER] = "createContainer",
		[BERTH_HOOK_START_CONTAINER] = "startContainer",
		[BERTH_HOOK_POSTSTART] = "poststart",
		[BERTH_HOOK_POSTSTOP] = "poststop",
	};
	return names[kind];
}

static int parse_hooks(struct berth_spec *spec, struct berth_error *err)
{
	json_t *hooks;
	int r;

	r = bjson_get_object(spec->json, "", "hooks", false, &hooks, err);
	if (r <= 0)
		return r;
	for (int k = 0; k < BERTH_HOOK_KIND_COUNT; k++)
		if ((r = parse_hook_list(hooks, berth_hook_kind_name(k), &spec->hooks[k], err)) < 0)
			return r;
	return 0;
}

/* "/a//b/./c/" -> "/a/b/c"; relative destinations are taken from "/", as the
 * spec allows for old configs.  ".." is kept: resolution inside the root
 * clamps it at "/" later. */
static char *clean_destination(const char *dest)
{
	size_t len = strlen(dest);
	char *out = malloc(len + 2), *o = out;
	const char *p = dest;

	if (out == NULL)
		return NULL;
	*o++ = '/';
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		n = (size_t) (end - p);
		if (!(n == 1 && p[0] == '.')) {
			if (o[-1] != '/')
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p = end;
	}
	*o = '\0';
	return out;
}

static int parse_mount(json_t *item, const char *path, struct berth_mount *m, struct berth_error *err)
{
	_cleanup_free_ const char **options = NULL;
	const char *dest;
	size_t n_options = 0;
	int r;

	if (!json_is_object(item))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((r = bjson_get_string(item, path, "destination", true, &dest, err)) < 0 ||
	    (r = bjson_get_string(item, path, "type", false, &m->type, err)) < 0 ||
	    (r = bjson_get_string(item, path, "source", false, &m->source, err)) < 0 ||
	    (r = bjson_get_strv(item, path, "options", false, false, &options, &n_options, err)) < 0)
		return r;
	if (dest[0] == '\0')
		return berth_error_set(err, EINVAL, "%s.destination: must not be empty", path);
	m->destination = clean_destination(dest);
	if (m->destination == NULL)
		return berth_error_sys(err, ENOMEM, "%s.destination", path);
	if ((r = berth_mount_options_parse(options, n_options, &m->opts, path, err)) < 0)
		return r;
	/* runc reads "type": "bind" as a bind mount even without the option. */
	if (m->type && strcmp(m->type, "bind") == 0)
		m->opts.bind = true;
	if (m->opts.bind && (m->source == NULL || m->source[0] == '\0'))
		return berth_error_set(err, EINVAL, "%s.source: a bind mount needs a source", path);
	if (!m->opts.bind && (m->type == NULL || m->type[0] == '\0'))
		return berth_error_set(err, EINVAL, "%s.type: required unless the mount is a bind mount", path);
	if ((r = berth_id_mappings_parse(item, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings, err)) < 0 ||
	    (r = berth_id_mappings_parse(item, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings, err)) < 0)
		return r;
	if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
		return berth_error_set(err, EINVAL, "%s: uidMappings and gidMappings must be given together", path);
	if (m->n_uid_mappings > 0 && !m->opts.idmap)
		return berth_error_set(err, EINVAL, "%s: uidMappings need the idmap or ridmap option", path);
	return 0;
}

static int parse_mounts(struct berth_spec *spec, struct berth_error *err)
{
	json_t *arr, *item;
	size_t i;
	int r;

	r = bjson_get_array(spec->json, "", "mounts", false, &arr, err);
	if (r <= 0)
		return r;
	spec->mounts = calloc(json_array_size(arr) + 1, sizeof(*spec->mounts));
	if (spec->mounts == NULL)
		return berth_error_sys(err, ENOMEM, "mounts");
	json_array_foreach (arr, i, item) {
		char path[BJSON_PATH_MAX];
		bjson_path_index(path, "mounts", i);
		spec->n_mounts = i + 1;
		if ((r = parse_mount(item, path, &spec->mounts[i], err)) < 0)
			return r;
	}
	return 0;
}

static int parse_version(struct berth_spec *spec, struct berth_error *err)
{
	int r = bjson_get_string(spec->json, "", "ociVersion", true, &spec->oci_version, err);

	if (r < 0)
		return r;
	if (strncmp(spec->oci_version, "1.", 2) != 0 && strcmp(spec->oci_version, "1") != 0)
		return berth_error_set(err, EINVAL, "ociVersion: version %s is not supported (this runtime implements 1.x)",
				       spec->oci_version);
	return 0;
}

static int parse_top(struct berth_spec *spec, struct berth_error *err)
{
	json_t *root, *process, *lx;
	int r;

	if (!json_is_object(spec->json))
		return berth_error_set(err, EINVAL, "the document must be a JSON object");
	if ((r = parse_version(spec, err)) < 0)
		return r;
	if ((r = bjson_get_object(spec->json, "", "root", true, &root, err)) < 0 ||
	    (r = bjson_get_string(root, "root", "path", true, &spec->root_path, err)) < 0 ||
	    (r = bjson_get_bool(root, "root", "readonly", false, &spec->root_readonly, err)) < 0)
		return r;
	if (spec->root_path[0] == '\0')
		return berth_error_set(err, EINVAL, "root.path: must not be empty");
	if ((r = parse_mounts(spec, err)) < 0)
		return r;
	if ((r = bjson_get_object(spec->json, "", "process", true, &process, err)) < 0 ||
	    (r = berth_process_parse(process, "process", &spec->process, err)) < 0)
		return r;
	if ((r = bjson_get_string(spec->json, "", "hostname", false, &spec->hostname, err)) < 0 ||
	    (r = bjson_get_string(spec->json, "", "domainname", false, &spec->domainname, err)) < 0 ||
	    (r = parse_hooks(spec, err)) < 0 ||
	    (r = bjson_get_object(spec->json, "", "annotations", false, &spec->annotations, err)) < 0)
		return r;
	if (spec->annotations) {
		const char *key;
		json_t *v;
		json_object_foreach (spec->annotations, key, v) {
			if (key[0] == '\0')
				return berth_error_set(err, EINVAL, "annotations: keys must not be empty");
			if (!json_is_string(v))
				return berth_error_set(err, EINVAL, "annotations.%s: must be a string", key);
		}
	}
	r = bjson_get_object(spec->json, "", "linux", false, &lx, err);
	if (r < 0)
		return r;
	return berth_linux_parse(spec, r > 0 ? lx : NULL, err);
}

int berth_spec_parse(const char *text, size_t len, struct berth_spec **ret, struct berth_error *err)
{
	_cleanup_spec_ struct berth_spec *spec = calloc(1, sizeof(*spec));
	int r;

	if (spec == NULL)
		return berth_error_sys(err, ENOMEM, "config.json");
	r = bjson_parse(text, len, "config.json", &spec->json, err);
	if (r < 0)
		return r;
	r = parse_top(spec, err);
	if (r < 0)
		return berth_error_wrap(err, "config.json");
	*ret = berth_steal_ptr(&spec);
	return 0;
}

int berth_spec_from_json(json_t *json, struct berth_spec **ret, struct berth_error *err)
{
	_cleanup_spec_ struct berth_spec *spec = calloc(1, sizeof(*spec));
	int r;

	if (spec == NULL)
		return berth_error_sys(err, ENOMEM, "config.json");
	spec->json = json_incref(json);
	r = parse_top(spec, err);
	if (r < 0)
		return berth_error_wrap(err, "config.json");
	*ret = berth_steal_ptr(&spec);
	return 0;
}

int berth_spec_load(const char *bundle, struct berth_spec **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dirfd = -1;
	size_t len;
	int r;

	dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open bundle %s", bundle);
	r = berth_read_file_at(dirfd, "config.json", CONFIG_MAX_SIZE, &text, &len, err);
	if (r < 0)
		return berth_error_wrap(err, "bundle %s", bundle);
	return berth_spec_parse(text, len, ret, err);
}

void berth_spec_free(struct berth_spec *spec)
{
	if (spec == NULL)
		return;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].opts.data);
		free(spec->mounts[i].uid_mappings);
		free(spec->mounts[i].gid_mappings);
	}
	free(spec->mounts);
	berth_process_release(&spec->process);
	for (int k = 0; k < BERTH_HOOK_KIND_COUNT; k++) {
		for (size_t i = 0; i < spec->hooks[k].count; i++) {
			free(spec->hooks[k].hooks[i].args);
			free(spec->hooks[k].hooks[i].env);
		}
		free(spec->hooks[k].hooks);
	}
	free(spec->uid_mappings);
	free(spec->gid_mappings);
	free(spec->devices);
	free(spec->masked_paths);
	free(spec->readonly_paths);
	berth_resources_release(&spec->resources);
	json_decref(spec->json);
	free(spec);
}

bool berth_spec_version_before(const struct berth_spec *spec, int major, int minor)
{
	int have_major = 0, have_minor = 0;
	if (!spec->oci_version || sscanf(spec->oci_version, "%d.%d", &have_major, &have_minor) < 1)
		return false;
	return have_major < major || (have_major == major && have_minor < minor);
}
