#include "run_flags.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "runopts.h"
#include "units.h"

int berth_run_flags_init(struct berth_run_flags *rf, bool run)
{
	(void) run;
	char cwd[PATH_MAX];
	memset(rf, 0, sizeof(*rf));
	rf->sig_proxy = true;
	rf->pull = "missing";
	rf->restart = "no";
	rf->config = json_object();
	rf->host = json_object();
	rf->lists = json_object();
	rf->cwd = strdup(getcwd(cwd, sizeof(cwd)) ? cwd : "/");
	rf->home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	return rf->config && rf->host && rf->lists && rf->cwd ? 0 : -ENOMEM;
}

void berth_run_flags_clear(struct berth_run_flags *rf)
{
	json_decref(rf->config);
	json_decref(rf->host);
	json_decref(rf->lists);
	free(rf->cwd);
	free(rf->home);
	memset(rf, 0, sizeof(*rf));
}

/* The list (or, for "Sysctls", the object) kept under key. */
static json_t *kept(struct berth_run_flags *rf, const char *key, bool object)
{
	json_t *v = json_object_get(rf->lists, key);
	if (!v && json_object_set_new(rf->lists, key, v = object ? json_object() : json_array()) < 0)
		return NULL;
	return v;
}

static int keep(struct berth_run_flags *rf, const char *key, json_t *value)
{
	json_t *list = kept(rf, key, false);
	if (!list || !value || json_array_append_new(list, value) < 0)
		return -ENOMEM;
	return 0;
}

/* --ulimit: a later value for the same name replaces the first. */
static int keep_ulimit(struct berth_run_flags *rf, json_t *u)
{
	json_t *list = kept(rf, "Ulimits", false), *v;
	size_t i;
	if (!list) {
		json_decref(u);
		return -ENOMEM;
	}
	json_array_foreach(list, i, v)
	{
		if (json_equal(json_object_get(v, "Name"), json_object_get(u, "Name")))
			return json_array_set_new(list, i, u) < 0 ? -ENOMEM : 0;
	}
	return json_array_append_new(list, u) < 0 ? -ENOMEM : 0;
}

/* --health-*: pflag's durations and int, as the docker CLI reads them. */
static int set_health(struct berth_run_flags *rf, int code, const char *arg, struct berth_error *err)
{
	int64_t *v = code == BERTH_RF_HEALTH_INTERVAL	     ? &rf->health_interval
		     : code == BERTH_RF_HEALTH_TIMEOUT	     ? &rf->health_timeout
		     : code == BERTH_RF_HEALTH_START_PERIOD  ? &rf->health_start_period
		     : code == BERTH_RF_HEALTH_START_INTERVAL ? &rf->health_start_interval
							      : &rf->health_retries;
	int r = code == BERTH_RF_HEALTH_RETRIES ? berth_runopt_int(arg, 0, v, err)
						: berth_units_parse_go_duration(arg, v, err);
	if (r < 0)
		return -EINVAL;
	/* docker tells "given" by a non-zero value */
	rf->health_given |= *v != 0;
	return 0;
}

/* The flags that check their value as it comes. */
static int set_checked(struct berth_run_flags *rf, int code, const char *arg, struct berth_error *err)
{
	_cleanup_free_ char *host = NULL;
	json_t *v = NULL;
	int r;
	switch (code) {
	case BERTH_RF_ADD_HOST:
		if ((r = berth_runopt_add_host(arg, &host, err)) < 0)
			return r;
		return keep(rf, "ExtraHosts", json_string(host));
	case BERTH_RF_ATTACH:
		if ((r = berth_runopt_attach_stream(arg, err)) < 0)
			return r;
		rf->attach[r] = rf->attach_given = true;
		return 0;
	case BERTH_RF_ENV:
		return berth_runopt_env(arg, kept(rf, "Env", false), err);
	case BERTH_RF_HEALTH_INTERVAL:
	case BERTH_RF_HEALTH_RETRIES:
	case BERTH_RF_HEALTH_START_INTERVAL:
	case BERTH_RF_HEALTH_START_PERIOD:
	case BERTH_RF_HEALTH_TIMEOUT:
		return set_health(rf, code, arg, err);
	case BERTH_RF_LABEL: {
		_cleanup_json_ json_t *scratch = json_object();
		if (!scratch)
			return -ENOMEM;
		if ((r = berth_runopt_label(arg, scratch, err)) < 0)
			return r;
		return keep(rf, "Label", json_string(arg));
	}
	case BERTH_RF_MOUNT:
		if ((r = berth_runopt_mount(arg, rf->cwd, &v, err)) < 0)
			return r;
		return keep(rf, "Mounts", v);
	case BERTH_RF_STOP_TIMEOUT:
		if ((r = berth_runopt_int(arg, 0, &rf->stop_timeout, err)) < 0)
			return r;
		rf->stop_timeout_set = true;
		return 0;
	case BERTH_RF_SYSCTL:
		return berth_runopt_sysctl(arg, kept(rf, "Sysctls", true), err);
	case BERTH_RF_ULIMIT:
	default:
		if ((r = berth_runopt_ulimit(arg, &v, err)) < 0)
			return r;
		return keep_ulimit(rf, v);
	}
}

int berth_run_flags_set(struct berth_run_flags *rf, int code, const char *arg, struct berth_error *err)
{
	switch (code) {
	case BERTH_RF_CGROUPNS:
		rf->cgroupns = arg;
		return 0;
	case BERTH_RF_DETACH_KEYS:
		rf->detach_keys = arg;
		return 0;
	case BERTH_RF_ENTRYPOINT:
		rf->entrypoint = arg;
		rf->entrypoint_set = true;
		return 0;
	case BERTH_RF_ENV_FILE:
		return keep(rf, "EnvFile", json_string(arg));
	case BERTH_RF_HEALTH_CMD:
		rf->health_cmd = arg;
		rf->health_given |= *arg != '\0';
		return 0;
	case BERTH_RF_LABEL_FILE:
		return keep(rf, "LabelFile", json_string(arg));
	case BERTH_RF_LOG_DRIVER:
		rf->log_driver = arg;
		return 0;
	case BERTH_RF_LOG_OPT:
		return keep(rf, "LogOpt", json_string(arg));
	case BERTH_RF_NAME:
		rf->name = arg;
		return 0;
	case BERTH_RF_PID:
		rf->pid = arg;
		return 0;
	case BERTH_RF_PLATFORM:
		rf->platform = arg;
		return 0;
	case BERTH_RF_PULL:
		rf->pull = arg;
		return 0;
	case BERTH_RF_RESTART:
		rf->restart = arg;
		return 0;
	case BERTH_RF_STOP_SIGNAL:
		rf->stop_signal = arg;
		rf->stop_signal_set = true;
		return 0;
	case BERTH_RF_TMPFS:
		return keep(rf, "Tmpfs", json_string(arg));
	case BERTH_RF_USERNS:
		rf->userns = arg;
		return 0;
	case BERTH_RF_UTS:
		rf->uts = arg;
		return 0;
	case BERTH_RF_VOLUME:
		return keep(rf, "Volume", json_string(arg));
	default:
		return set_checked(rf, code, arg, err);
	}
}

int berth_run_flags_set_bool(struct berth_run_flags *rf, int code, bool value)
{
	switch (code) {
	case BERTH_RF_DETACH:
		rf->detach = value;
		break;
	case BERTH_RF_INIT:
		rf->init = value;
		rf->init_set = true;
		break;
	case BERTH_RF_INTERACTIVE:
		rf->interactive = value;
		break;
	case BERTH_RF_NO_HEALTHCHECK:
		rf->no_healthcheck = value;
		break;
	case BERTH_RF_QUIET:
		rf->quiet = value;
		break;
	case BERTH_RF_SIG_PROXY:
		rf->sig_proxy = value;
		rf->sig_proxy_set = true;
		break;
	case BERTH_RF_TTY:
		rf->tty = value;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the body ---- */

static json_t *strings_or_null(char *const *v, int n)
{
	if (n == 0)
		return json_null();
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* -v: Binds for those with a source, Volumes for the others. */
static int volumes(struct berth_run_flags *rf, json_t *host, json_t *config, struct berth_error *err)
{
	json_t *v, *binds = json_array(), *vols = json_object();
	size_t i;
	json_object_set_new(host, "Binds", binds);
	json_object_set_new(config, "Volumes", vols);
	if (!binds || !vols)
		return berth_error_sys(err, ENOMEM, "volumes");
	json_array_foreach(json_object_get(rf->lists, "Volume"), i, v)
	{
		_cleanup_free_ char *bind = NULL;
		int r = berth_runopt_volume(json_string_value(v), rf->cwd, rf->home, &bind, err);
		if (r < 0)
			return r;
		if (bind)
			json_array_append_new(binds, json_string(bind));
		else
			json_object_set_new(vols, json_string_value(v), json_object());
	}
	if (json_array_size(binds) == 0)
		json_object_set_new(host, "Binds", json_null());
	return 0;
}

/* Env and Labels: the files first, then the flags. */
static int env_and_labels(struct berth_run_flags *rf, json_t *config, struct berth_error *err)
{
	_cleanup_json_ json_t *env = json_array(), *labels = json_array(), *map = json_object();
	json_t *v;
	size_t i;
	int r;
	if (!env || !labels || !map)
		return berth_error_sys(err, ENOMEM, "environment");
	json_array_foreach(json_object_get(rf->lists, "EnvFile"), i, v)
	{
		if ((r = berth_runopt_kv_file(json_string_value(v), true, env, err)) < 0)
			return r;
	}
	json_array_extend(env, kept(rf, "Env", false));
	json_array_foreach(json_object_get(rf->lists, "LabelFile"), i, v)
	{
		if ((r = berth_runopt_kv_file(json_string_value(v), false, labels, err)) < 0)
			return r;
	}
	json_array_extend(labels, kept(rf, "Label", false));
	json_array_foreach(labels, i, v) berth_runopt_kv(json_string_value(v), map);
	json_object_set(config, "Env", json_array_size(env) ? env : json_null());
	json_object_set(config, "Labels", map);
	return 0;
}

static bool mode_valid(const char *mode, const char *const *ok, bool container_ok)
{
	if (!mode || !*mode)
		return true;
	for (; *ok; ok++)
		if (!strcmp(mode, *ok))
			return true;
	return container_ok && !strncmp(mode, "container:", 10) && mode[10];
}

static int namespaces(struct berth_run_flags *rf, json_t *host, struct berth_error *err)
{
	static const char *const host_only[] = { "host", NULL };
	static const char *const cgroupns[] = { "host", "private", NULL };
	if (!mode_valid(rf->pid, host_only, true))
		return berth_error_set(err, EINVAL, "--pid: invalid PID mode");
	if (!mode_valid(rf->uts, host_only, false))
		return berth_error_set(err, EINVAL, "--uts: invalid UTS mode");
	if (!mode_valid(rf->userns, host_only, false))
		return berth_error_set(err, EINVAL, "--userns: invalid USER mode");
	if (!mode_valid(rf->cgroupns, cgroupns, false))
		return berth_error_set(err, EINVAL, "--cgroupns: invalid CGROUP mode");
	json_object_set_new(host, "PidMode", json_string(rf->pid ? rf->pid : ""));
	json_object_set_new(host, "UTSMode", json_string(rf->uts ? rf->uts : ""));
	json_object_set_new(host, "UsernsMode", json_string(rf->userns ? rf->userns : ""));
	json_object_set_new(host, "CgroupnsMode", json_string(rf->cgroupns ? rf->cgroupns : ""));
	return 0;
}

/* --restart, --log-driver / --log-opt, --security-opt, --cap-add/drop. */
static int policies(struct berth_run_flags *rf, json_t *host, struct berth_error *err)
{
	json_t *restart = NULL, *v, *opts = json_object(), *add = NULL, *drop = NULL;
	size_t i;
	bool unconfined;
	int r = berth_runopt_restart(rf->restart, &restart, err);
	if (r < 0) {
		json_decref(opts);
		return r;
	}
	json_object_set_new(host, "RestartPolicy", restart);
	json_array_foreach(json_object_get(rf->lists, "LogOpt"), i, v) berth_runopt_kv(json_string_value(v), opts);
	json_object_set_new(host, "LogConfig",
			    json_pack("{s:s, s:o}", "Type", rf->log_driver ? rf->log_driver : "", "Config", opts));
	if (rf->log_driver && !strcmp(rf->log_driver, "none") && json_object_size(opts) > 0)
		return berth_error_set(err, EINVAL, "invalid logging opts for driver none");
	json_t *sec = kept(rf, "SecurityOpt", false);
	if ((r = berth_runopt_security(sec, &unconfined, err)) < 0)
		return r;
	json_object_set(host, "SecurityOpt", json_array_size(sec) ? sec : json_null());
	if (unconfined) {
		json_object_set_new(host, "MaskedPaths", json_array());
		json_object_set_new(host, "ReadonlyPaths", json_array());
	}
	if ((r = berth_runopt_capabilities(kept(rf, "CapAdd", false), kept(rf, "CapDrop", false), &add, &drop, err)) <
	    0)
		return r;
	json_object_set_new(host, "CapAdd", add ? add : json_null());
	json_object_set_new(host, "CapDrop", drop ? drop : json_null());
	return 0;
}

/* What HostConfig holds when no flag set it, as the docker CLI sends. */
static void host_defaults(struct berth_run_flags *rf, json_t *host)
{
	static const char *const lists[] = { "Dns", "DnsOptions", "DnsSearch" };
	json_t *tmpfs = json_object(), *v;
	size_t i;
	for (i = 0; i < BERTH_ARRAY_SIZE(lists); i++)
		if (!json_object_get(host, lists[i]))
			json_object_set_new(host, lists[i], json_array());
	if (!json_object_get(host, "NetworkMode"))
		json_object_set_new(host, "NetworkMode", json_string("default"));
	if (!json_object_get(host, "AutoRemove"))
		json_object_set_new(host, "AutoRemove", json_false());
	if (!json_object_get(host, "MemorySwappiness"))
		json_object_set_new(host, "MemorySwappiness", json_integer(-1));
	json_object_set_new(host, "ConsoleSize", json_pack("[i,i]", 0, 0));
	v = json_object_get(rf->lists, "ExtraHosts");
	json_object_set_new(host, "ExtraHosts", v ? json_incref(v) : json_null());
	json_object_set(host, "Ulimits", kept(rf, "Ulimits", false));
	if (json_object_get(rf->lists, "Sysctls"))
		json_object_set(host, "Sysctls", json_object_get(rf->lists, "Sysctls"));
	if (json_object_get(rf->lists, "Mounts"))
		json_object_set(host, "Mounts", json_object_get(rf->lists, "Mounts"));
	json_array_foreach(json_object_get(rf->lists, "Tmpfs"), i, v) berth_runopt_tmpfs(json_string_value(v), tmpfs);
	if (json_object_size(tmpfs) > 0)
		json_object_set(host, "Tmpfs", tmpfs);
	json_decref(tmpfs);
	if (rf->init_set)
		json_object_set_new(host, "Init", json_boolean(rf->init));
}

/* Config.Healthcheck as the docker CLI makes it (HealthConfig's fields are
 * omitempty): NULL when no flag asked for one. */
static int healthcheck(struct berth_run_flags *rf, json_t **ret, struct berth_error *err)
{
	static const char *const names[] = { "interval", "timeout", "retries", "start-period", "start-interval" };
	static const char *const keys[] = { "Interval", "Timeout", "Retries", "StartPeriod", "StartInterval" };
	int64_t values[] = { rf->health_interval, rf->health_timeout, rf->health_retries, rf->health_start_period,
			     rf->health_start_interval };
	*ret = NULL;
	if (rf->no_healthcheck) {
		if (rf->health_given)
			return berth_error_set(err, EINVAL, "--no-healthcheck conflicts with --health-* options");
		*ret = json_pack("{s:[s]}", "Test", "NONE");
		return *ret ? 0 : berth_error_sys(err, ENOMEM, "healthcheck");
	}
	if (!rf->health_given)
		return 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(values); i++)
		if (values[i] < 0)
			return berth_error_set(err, EINVAL, "--health-%s cannot be negative", names[i]);
	json_t *hc = json_object();
	if (hc && rf->health_cmd && *rf->health_cmd)
		json_object_set_new(hc, "Test", json_pack("[s,s]", "CMD-SHELL", rf->health_cmd));
	for (size_t i = 0; hc && i < BERTH_ARRAY_SIZE(values); i++)
		if (values[i] != 0)
			json_object_set_new(hc, keys[i], json_integer(values[i]));
	*ret = hc;
	return hc ? 0 : berth_error_sys(err, ENOMEM, "healthcheck");
}

static void config_string(json_t *body, json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key);
	json_object_set_new(body, key, v ? json_incref(v) : json_string(""));
}

/* Config's fields in the order the docker CLI writes them. */
static json_t *config_object(struct berth_run_flags *rf, const char *image, char *const *args, int nargs,
			     json_t *config)
{
	bool in = rf->attach[0] || rf->interactive;
	bool out = rf->attach_given ? rf->attach[1] : true, errs = rf->attach_given ? rf->attach[2] : true;
	json_t *body = json_object();
	config_string(body, rf->config, "Hostname");
	config_string(body, rf->config, "Domainname");
	config_string(body, rf->config, "User");
	json_object_set_new(body, "AttachStdin", json_boolean(in));
	json_object_set_new(body, "AttachStdout", json_boolean(out));
	json_object_set_new(body, "AttachStderr", json_boolean(errs));
	json_object_set_new(body, "Tty", json_boolean(rf->tty));
	json_object_set_new(body, "OpenStdin", json_boolean(rf->interactive));
	/* attached with stdin open: its end closes the container's */
	json_object_set_new(body, "StdinOnce", json_boolean(rf->interactive && in));
	json_object_set(body, "Env", json_object_get(config, "Env"));
	json_object_set_new(body, "Cmd", strings_or_null(args, nargs));
	if (json_object_get(config, "Healthcheck"))
		json_object_set(body, "Healthcheck", json_object_get(config, "Healthcheck"));
	json_object_set_new(body, "Image", json_string(image));
	json_object_set(body, "Volumes", json_object_get(config, "Volumes"));
	config_string(body, rf->config, "WorkingDir");
	if (rf->entrypoint_set)
		json_object_set_new(body, "Entrypoint", json_pack("[s]", rf->entrypoint));
	else
		json_object_set_new(body, "Entrypoint", json_null());
	json_object_set(body, "Labels", json_object_get(config, "Labels"));
	if (rf->stop_signal_set)
		json_object_set_new(body, "StopSignal", json_string(rf->stop_signal));
	if (rf->stop_timeout_set)
		json_object_set_new(body, "StopTimeout", json_integer(rf->stop_timeout));
	return body;
}

int berth_run_flags_body(struct berth_run_flags *rf, const char *image, char *const *args, int nargs, json_t **ret,
			 struct berth_error *err)
{
	_cleanup_json_ json_t *config = json_object(), *host = json_deep_copy(rf->host);
	int r = config && host ? 0 : berth_error_sys(err, ENOMEM, "create body");

	if (r == 0)
		r = volumes(rf, host, config, err);
	if (r == 0)
		r = env_and_labels(rf, config, err);
	if (r == 0)
		r = namespaces(rf, host, err);
	if (r == 0)
		r = policies(rf, host, err);
	json_t *health = NULL;
	if (r == 0)
		r = healthcheck(rf, &health, err);
	if (r < 0)
		return r;
	if (health)
		json_object_set_new(config, "Healthcheck", health);
	const char *policy = json_string_value(json_object_get(json_object_get(host, "RestartPolicy"), "Name"));
	if (json_is_true(json_object_get(host, "AutoRemove")) && policy && *policy && strcmp(policy, "no") != 0)
		return berth_error_set(err, EINVAL, "conflicting options: cannot specify both --restart and --rm");
	host_defaults(rf, host);
	json_t *body = config_object(rf, image, args, nargs, config);
	if (!body)
		return berth_error_sys(err, ENOMEM, "create body");
	json_object_set(body, "HostConfig", host);
	json_object_set_new(body, "NetworkingConfig", json_pack("{s:{}}", "EndpointsConfig"));
	*ret = body;
	return 0;
}
