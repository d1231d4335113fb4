#include "container_spec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "berth-config.h"
#include "cleanup.h"
#include "container_spec_internal.h"
#include "json.h"

/* The kernel's capabilities by number (a stable ABI). */
static const char *const all_caps[] = {
	"CAP_CHOWN",	      "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",	 "CAP_FSETID",
	"CAP_KILL",	      "CAP_SETGID",	    "CAP_SETUID",	   "CAP_SETPCAP",	 "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",  "CAP_NET_ADMIN",	   "CAP_NET_RAW",	 "CAP_IPC_LOCK",
	"CAP_IPC_OWNER",      "CAP_SYS_MODULE",	    "CAP_SYS_RAWIO",	   "CAP_SYS_CHROOT",	 "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",      "CAP_SYS_ADMIN",	    "CAP_SYS_BOOT",	   "CAP_SYS_NICE",	 "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",	      "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",	   "CAP_LEASE",		 "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",  "CAP_SETFCAP",	    "CAP_MAC_OVERRIDE",	   "CAP_MAC_ADMIN",	 "CAP_SYSLOG",
	"CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",	   "CAP_PERFMON",	 "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(all_caps) / sizeof(all_caps[0]))

/* docker's default set (moby oci/caps/defaults.go) */
static const char *const default_caps[] = {
	"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",		  "CAP_FOWNER",	    "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID",	   "CAP_SETUID",	  "CAP_SETFCAP",    "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",	  "CAP_AUDIT_WRITE", NULL,
};

/* "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> the index; -1 unknown. */
static int cap_index(const char *name)
{
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (size_t i = 0; i < N_CAPS; i++)
		if (strcasecmp(all_caps[i] + 4, bare) == 0)
			return (int) i;
	return -1;
}

static bool list_has_all(json_t *list)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) if (json_is_string(v) && strcasecmp(json_string_value(v), "ALL") == 0) return true;
	return false;
}

/* Mark (or clear) each named capability; unknown names are errors. */
static int apply_cap_list(json_t *list, const char *what, bool value, bool set[N_CAPS], struct berth_error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		const char *name = json_string_value(v);
		if (!name)
			return berth_error_set(err, EINVAL, "%s[%zu]: want a string", what, i);
		if (strcasecmp(name, "ALL") == 0)
			continue;
		int k = cap_index(name);
		if (k < 0)
			return berth_error_set(err, EINVAL, "unknown capability: \"%s\"", name);
		set[k] = value;
	}
	return 0;
}

int berth_container_caps(json_t *cap_add, json_t *cap_drop, bool privileged, json_t **ret, struct berth_error *err)
{
	bool set[N_CAPS] = { false };
	int r;
	if (privileged || list_has_all(cap_add)) {
		for (size_t i = 0; i < N_CAPS; i++)
			set[i] = true;
	} else if (!list_has_all(cap_drop)) {
		for (const char *const *c = default_caps; *c; c++)
			set[cap_index(*c)] = true;
	}
	if (!privileged) {
		/* docker: drops first, then adds (an added cap that is also
		 * dropped stays) */
		if ((r = apply_cap_list(cap_drop, "CapDrop", false, set, err)) < 0 ||
		    (r = apply_cap_list(cap_add, "CapAdd", true, set, err)) < 0)
			return r;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < N_CAPS; i++)
		if (set[i])
			json_array_append_new(out, json_string(all_caps[i]));
	*ret = out;
	return 0;
}

static json_t *string_array_or_null(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_array(v) ? v : NULL;
}

int berth_container_args(json_t *image_config, json_t *config, json_t **ret, struct berth_error *err)
{
	json_t *entrypoint = string_array_or_null(config, "Entrypoint");
	json_t *cmd = string_array_or_null(config, "Cmd");
	/* As dockerd merges them: a non-empty Entrypoint in the request
	 * replaces the image's and drops the image's Cmd; otherwise an empty
	 * Cmd takes the image's, and a missing (not an empty) Entrypoint too. */
	if (json_array_size(entrypoint) == 0) {
		if (json_array_size(cmd) == 0)
			cmd = string_array_or_null(image_config, "Cmd");
		if (!entrypoint)
			entrypoint = string_array_or_null(image_config, "Entrypoint");
	}
	json_t *args = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(entrypoint, i, v) json_array_append(args, v);
	json_array_foreach(cmd, i, v) json_array_append(args, v);
	json_array_foreach(args, i, v) if (!json_is_string(v))
	{
		json_decref(args);
		return berth_error_set(err, EINVAL, "Cmd and Entrypoint must be arrays of strings");
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		return berth_error_set(err, EINVAL, "no command specified");
	}
	*ret = args;
	return 0;
}

/* Index of KEY=... in an env array, or -1. */
static ssize_t env_find(json_t *env, const char *entry)
{
	size_t key_len = strcspn(entry, "="), i;
	json_t *v;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, entry, key_len) == 0 && (s[key_len] == '=' || s[key_len] == '\0'))
			return (ssize_t) i;
	}
	return -1;
}

static void env_set(json_t *env, const char *entry)
{
	ssize_t at = env_find(env, entry);
	if (at >= 0)
		json_array_set_new(env, (size_t) at, json_string(entry));
	else
		json_array_append_new(env, json_string(entry));
}

json_t *berth_container_env(json_t *image_config, json_t *config, const char *hostname)
{
	json_t *env = json_array(), *v;
	size_t i;
	char entry[512];
	snprintf(entry, sizeof(entry), "HOSTNAME=%s", hostname);
	json_array_append_new(env, json_string(entry));
	if (env_find(json_object_get(image_config, "Env"), "PATH") < 0 &&
	    env_find(json_object_get(config, "Env"), "PATH") < 0)
		json_array_append_new(env, json_string("PATH=" BERTH_DEFAULT_PATH));
	json_array_foreach(json_object_get(image_config, "Env"), i, v) if (json_is_string(v))
		env_set(env, json_string_value(v));
	json_array_foreach(json_object_get(config, "Env"), i, v) if (json_is_string(v))
		env_set(env, json_string_value(v));
	if (json_is_true(json_object_get(config, "Tty")) && env_find(env, "TERM") < 0)
		json_array_append_new(env, json_string("TERM=xterm"));
	return env;
}

/* Config.Hostname, else the first 12 hex of the ID (docker's default). */
void spec_hostname(const struct berth_container_spec_input *in, char out[65])
{
	const char *h = json_string_value(json_object_get(in->config, "Hostname"));
	if (h && *h)
		snprintf(out, 65, "%s", h);
	else
		snprintf(out, 65, "%.12s", in->id);
}

static const char *config_string(const struct berth_container_spec_input *in, const char *key)
{
	const char *v = json_string_value(json_object_get(in->config, key));
	if (!v || !*v)
		v = json_string_value(json_object_get(in->image_config, key));
	return v && *v ? v : NULL;
}

static int spec_process(const struct berth_container_spec_input *in, const char *hostname, json_t **ret,
			struct berth_error *err)
{
	json_t *hc = in->host_config;
	_cleanup_json_ json_t *args = NULL, *caps = NULL, *rlimits = NULL;
	int r = berth_container_args(in->image_config, in->config, &args, err);
	if (r == 0)
		r = berth_container_caps(json_object_get(hc, "CapAdd"), json_object_get(hc, "CapDrop"),
					 json_is_true(json_object_get(hc, "Privileged")), &caps, err);
	if (r == 0)
		r = spec_rlimits(json_object_get(hc, "Ulimits"), &rlimits, err);
	if (r < 0)
		return r;
	if (in->init_path) {
		/* the reaper runs first and execs the program: "init -- ARGS" */
		json_array_insert_new(args, 0, json_string("--"));
		json_array_insert_new(args, 0, json_string(BERTH_SPEC_INIT_PATH));
	}
	const char *cwd = config_string(in, "WorkingDir");
	json_t *sgids = json_array();
	for (size_t i = 0; in->user && i < in->user->n_sgids; i++)
		json_array_append_new(sgids, json_integer(in->user->sgids[i]));
	json_t *env = berth_container_env(in->image_config, in->config, hostname);
	if (in->user && in->user->home && env_find(env, "HOME") < 0) {
		char home[1100];
		snprintf(home, sizeof(home), "HOME=%s", in->user->home);
		json_array_append_new(env, json_string(home));
	}
	json_t *p = json_pack("{s:b, s:{s:I, s:I, s:o}, s:O, s:o, s:s, s:{s:O, s:O, s:O, s:[]}, s:O}", "terminal",
			      json_is_true(json_object_get(in->config, "Tty")), "user", "uid",
			      (json_int_t) (in->user ? in->user->uid : 0), "gid",
			      (json_int_t) (in->user ? in->user->gid : 0), "additionalGids", sgids, "args", args, "env", env,
			      "cwd", cwd ? cwd : "/", "capabilities", "bounding", caps, "effective", caps, "permitted",
			      caps, "ambient", "rlimits", rlimits);
	if (!p)
		return berth_error_sys(err, ENOMEM, "container spec");
	if (json_array_size(sgids) == 0)
		json_object_del(json_object_get(p, "user"), "additionalGids");
	json_object_set_new(p, "noNewPrivileges", json_boolean(spec_no_new_privileges(hc)));
	/* the client's terminal size, so the program sees it from the start */
	json_t *size = json_object_get(hc, "ConsoleSize");
	json_int_t rows = json_integer_value(json_array_get(size, 0)), cols = json_integer_value(json_array_get(size, 1));
	if (json_is_true(json_object_get(in->config, "Tty")) && rows > 0 && cols > 0 && rows < 65536 && cols < 65536)
		json_object_set_new(p, "consoleSize", json_pack("{s:I, s:I}", "height", rows, "width", cols));
	json_t *oom = json_object_get(hc, "OomScoreAdj");
	if (json_is_integer(oom) && json_integer_value(oom) != 0)
		json_object_set(p, "oomScoreAdj", oom);
	*ret = p;
	return 0;
}

int berth_container_spec(const struct berth_container_spec_input *in, json_t **ret, struct berth_error *err)
{
	char hostname[65];
	_cleanup_json_ json_t *process = NULL, *mounts = NULL, *lx = NULL;
	spec_hostname(in, hostname);
	int r = spec_process(in, hostname, &process, err);
	if (r == 0)
		r = spec_mounts(in, &mounts, err);
	if (r == 0)
		r = spec_linux(in, json_object_get(json_object_get(process, "capabilities"), "bounding"), &lx, err);
	if (r < 0)
		return r;
	/* 1.0.2: every field used here is in it, and older runtimes (crun 1.8)
	 * refuse versions newer than theirs */
	json_t *spec = json_pack("{s:s, s:O, s:{s:s, s:b}, s:s, s:O, s:O}", "ociVersion", BERTH_CONTAINER_OCI_VERSION, "process",
				 process, "root", "path", in->rootfs, "readonly",
				 json_is_true(json_object_get(in->host_config, "ReadonlyRootfs")), "hostname", hostname,
				 "mounts", mounts, "linux", lx);
	if (!spec)
		return berth_error_sys(err, ENOMEM, "container spec");
	const char *domain = json_string_value(json_object_get(in->config, "Domainname"));
	if (domain && *domain)
		json_object_set_new(spec, "domainname", json_string(domain));
	json_t *labels = json_object_get(in->config, "Labels");
	if (json_object_size(labels) > 0)
		json_object_set(spec, "annotations", labels);
	*ret = spec;
	return 0;
}
