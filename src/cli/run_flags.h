/* The flags of `berth run` / `berth create` as they are read, and the
 * create body made from them at the end, with the checks docker makes then
 * (cli/command/container/opts.go parse()): files read (--env-file,
 * --label-file, a seccomp profile), namespace modes checked, -v split into
 * Binds and Volumes, capabilities normalised.
 *
 * No output and no daemon: cmd_run.c feeds the flags, the unit tests too.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* The flags that are more than one field of the body. */
enum berth_run_flag_code {
	BERTH_RF_ADD_HOST = 1,
	BERTH_RF_ATTACH,
	BERTH_RF_CGROUPNS,
	BERTH_RF_DETACH,
	BERTH_RF_DETACH_KEYS,
	BERTH_RF_IGNORED,
	BERTH_RF_ENTRYPOINT,
	BERTH_RF_ENV,
	BERTH_RF_ENV_FILE,
	BERTH_RF_HEALTH_CMD,
	BERTH_RF_HEALTH_INTERVAL,
	BERTH_RF_HEALTH_RETRIES,
	BERTH_RF_HEALTH_START_INTERVAL,
	BERTH_RF_HEALTH_START_PERIOD,
	BERTH_RF_HEALTH_TIMEOUT,
	BERTH_RF_HELP,
	BERTH_RF_INIT,
	BERTH_RF_INTERACTIVE,
	BERTH_RF_LABEL,
	BERTH_RF_LABEL_FILE,
	BERTH_RF_LOG_DRIVER,
	BERTH_RF_LOG_OPT,
	BERTH_RF_MOUNT,
	BERTH_RF_NAME,
	BERTH_RF_NO_HEALTHCHECK,
	BERTH_RF_PID,
	BERTH_RF_PLATFORM,
	BERTH_RF_PULL,
	BERTH_RF_QUIET,
	BERTH_RF_RESTART,
	BERTH_RF_SIG_PROXY,
	BERTH_RF_STOP_SIGNAL,
	BERTH_RF_STOP_TIMEOUT,
	BERTH_RF_SYSCTL,
	BERTH_RF_TMPFS,
	BERTH_RF_TTY,
	BERTH_RF_ULIMIT,
	BERTH_RF_USERNS,
	BERTH_RF_UTS,
	BERTH_RF_VOLUME,
};

struct berth_run_flags {
	/* fields set as the flags come */
	json_t *config; /* of Config: Hostname, User, WorkingDir... */
	json_t *host;	/* of HostConfig: Memory, NanoCpus, Privileged... */
	/* values kept for the end: "Env", "EnvFile", "Label", "LabelFile",
	 * "Volume", "Mounts", "Tmpfs", "Ulimits", "Sysctls", "LogOpt",
	 * "ExtraHosts", "CapAdd", "CapDrop", "SecurityOpt" */
	json_t *lists;
	char *cwd, *home;
	bool attach[3], attach_given;
	bool interactive, tty, detach, quiet;
	bool sig_proxy, sig_proxy_set;
	bool init, init_set;
	bool entrypoint_set, stop_signal_set, stop_timeout_set;
	int64_t stop_timeout;
	const char *entrypoint, *stop_signal; /* borrowed from argv */
	const char *name, *pull, *platform, *restart, *detach_keys;
	const char *pid, *uts, *userns, *cgroupns, *log_driver;
	/* --health-*: durations in nanoseconds; given: any of them was */
	const char *health_cmd;
	int64_t health_interval, health_timeout, health_start_period, health_start_interval, health_retries;
	bool health_given, no_healthcheck;
};

int berth_run_flags_init(struct berth_run_flags *rf, bool run);
void berth_run_flags_clear(struct berth_run_flags *rf);

/* A flag with a value (arg borrowed: it must outlive rf).  -EINVAL with
 * the text docker shows after `invalid argument "ARG" for "FLAG" flag: `. */
int berth_run_flags_set(struct berth_run_flags *rf, int code, const char *arg, struct berth_error *err);
int berth_run_flags_set_bool(struct berth_run_flags *rf, int code, bool value);

/* The create body for image and its command.  Errors carry docker's text
 * for "berth: TEXT" (exit 125). */
int berth_run_flags_body(struct berth_run_flags *rf, const char *image, char *const *args, int nargs, json_t **ret,
			 struct berth_error *err);
