/* berth run and berth create: their flags, read as the docker CLI reads
 * them (cli/command/container/opts.go), made into the create body of the
 * Engine API: Config with HostConfig and NetworkingConfig.  The run itself
 * (create, attach, wait, start, the streams) is cmd_run_flow.c's.
 *
 * The flags are a table: the simple ones set a field of Config or
 * HostConfig as they come; the others are collected in struct berth_run_flags
 * and turned into the body at the end, with docker's checks in docker's
 * order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "run.h"
#include "run_flags.h"
#include "runopts.h"

/* ---- the table ---- */

enum flag_kind {
	K_STR,	   /* a string field */
	K_BOOL,	   /* a bool field (--flag, --flag=false) */
	K_INT,	   /* pflag's int: base 0 */
	K_RAM,	   /* go-units RAMInBytes */
	K_SWAP,	   /* RAMInBytes or -1 */
	K_CPUS,	   /* --cpus, in billionths */
	K_LIST,	   /* appended to an array field */
	K_SPECIAL, /* berth_run_flags_set() */
	K_SPECIAL_BOOL,
};

enum flag_where { IN_CONFIG, IN_HOST, IN_NONE };

struct flag {
	const char *name;
	char shorthand;
	enum flag_kind kind;
	enum flag_where where;
	const char *key; /* the field, or for K_SPECIAL* the BERTH_RF_ code */
	int code;
	bool run_only;
};

/* a flag for berth_run_flags_set(), and one for berth_run_flags_set_bool() */
#define S(name, sh, code) { name, sh, K_SPECIAL, IN_NONE, NULL, code, false }
#define SB(name, sh, code) { name, sh, K_SPECIAL_BOOL, IN_NONE, NULL, code, false }

static const struct flag flags[] = {
	S("add-host", 0, BERTH_RF_ADD_HOST),
	S("attach", 'a', BERTH_RF_ATTACH),
	{ "cap-add", 0, K_LIST, IN_NONE, "CapAdd", 0, false },
	{ "cap-drop", 0, K_LIST, IN_NONE, "CapDrop", 0, false },
	{ "cgroup-parent", 0, K_STR, IN_HOST, "CgroupParent", 0, false },
	S("cgroupns", 0, BERTH_RF_CGROUPNS),
	{ "cpu-period", 0, K_INT, IN_HOST, "CpuPeriod", 0, false },
	{ "cpu-quota", 0, K_INT, IN_HOST, "CpuQuota", 0, false },
	{ "cpu-rt-period", 0, K_INT, IN_HOST, "CpuRealtimePeriod", 0, false },
	{ "cpu-rt-runtime", 0, K_INT, IN_HOST, "CpuRealtimeRuntime", 0, false },
	{ "cpu-shares", 'c', K_INT, IN_HOST, "CpuShares", 0, false },
	{ "cpus", 0, K_CPUS, IN_HOST, "NanoCpus", 0, false },
	{ "cpuset-cpus", 0, K_STR, IN_HOST, "CpusetCpus", 0, false },
	{ "cpuset-mems", 0, K_STR, IN_HOST, "CpusetMems", 0, false },
	{ "detach", 'd', K_SPECIAL_BOOL, IN_NONE, NULL, BERTH_RF_DETACH, true },
	{ "detach-keys", 0, K_SPECIAL, IN_NONE, NULL, BERTH_RF_DETACH_KEYS, true },
	SB("disable-content-trust", 0, BERTH_RF_IGNORED),
	{ "dns", 0, K_LIST, IN_HOST, "Dns", 0, false },
	{ "dns-option", 0, K_LIST, IN_HOST, "DnsOptions", 0, false },
	{ "dns-search", 0, K_LIST, IN_HOST, "DnsSearch", 0, false },
	{ "domainname", 0, K_STR, IN_CONFIG, "Domainname", 0, false },
	S("entrypoint", 0, BERTH_RF_ENTRYPOINT),
	S("env", 'e', BERTH_RF_ENV),
	S("env-file", 0, BERTH_RF_ENV_FILE),
	{ "group-add", 0, K_LIST, IN_HOST, "GroupAdd", 0, false },
	S("health-cmd", 0, BERTH_RF_HEALTH_CMD),
	S("health-interval", 0, BERTH_RF_HEALTH_INTERVAL),
	S("health-retries", 0, BERTH_RF_HEALTH_RETRIES),
	S("health-start-interval", 0, BERTH_RF_HEALTH_START_INTERVAL),
	S("health-start-period", 0, BERTH_RF_HEALTH_START_PERIOD),
	S("health-timeout", 0, BERTH_RF_HEALTH_TIMEOUT),
	S("help", 0, BERTH_RF_HELP),
	{ "hostname", 'h', K_STR, IN_CONFIG, "Hostname", 0, false },
	SB("init", 0, BERTH_RF_INIT),
	SB("interactive", 'i', BERTH_RF_INTERACTIVE),
	{ "ipc", 0, K_STR, IN_HOST, "IpcMode", 0, false },
	{ "isolation", 0, K_STR, IN_HOST, "Isolation", 0, false },
	S("label", 'l', BERTH_RF_LABEL),
	S("label-file", 0, BERTH_RF_LABEL_FILE),
	S("log-driver", 0, BERTH_RF_LOG_DRIVER),
	S("log-opt", 0, BERTH_RF_LOG_OPT),
	{ "memory", 'm', K_RAM, IN_HOST, "Memory", 0, false },
	{ "memory-reservation", 0, K_RAM, IN_HOST, "MemoryReservation", 0, false },
	{ "memory-swap", 0, K_SWAP, IN_HOST, "MemorySwap", 0, false },
	{ "memory-swappiness", 0, K_INT, IN_HOST, "MemorySwappiness", 0, false },
	S("mount", 0, BERTH_RF_MOUNT),
	S("name", 0, BERTH_RF_NAME),
	SB("no-healthcheck", 0, BERTH_RF_NO_HEALTHCHECK),
	{ "net", 0, K_STR, IN_HOST, "NetworkMode", 0, false },
	{ "network", 0, K_STR, IN_HOST, "NetworkMode", 0, false },
	{ "oom-kill-disable", 0, K_BOOL, IN_HOST, "OomKillDisable", 0, false },
	{ "oom-score-adj", 0, K_INT, IN_HOST, "OomScoreAdj", 0, false },
	S("pid", 0, BERTH_RF_PID),
	{ "pids-limit", 0, K_INT, IN_HOST, "PidsLimit", 0, false },
	S("platform", 0, BERTH_RF_PLATFORM),
	{ "privileged", 0, K_BOOL, IN_HOST, "Privileged", 0, false },
	{ "publish-all", 'P', K_BOOL, IN_HOST, "PublishAllPorts", 0, false },
	S("pull", 0, BERTH_RF_PULL),
	SB("quiet", 'q', BERTH_RF_QUIET),
	{ "read-only", 0, K_BOOL, IN_HOST, "ReadonlyRootfs", 0, false },
	S("restart", 0, BERTH_RF_RESTART),
	{ "rm", 0, K_BOOL, IN_HOST, "AutoRemove", 0, false },
	{ "runtime", 0, K_STR, IN_HOST, "Runtime", 0, false },
	{ "security-opt", 0, K_LIST, IN_NONE, "SecurityOpt", 0, false },
	{ "shm-size", 0, K_RAM, IN_HOST, "ShmSize", 0, false },
	{ "sig-proxy", 0, K_SPECIAL_BOOL, IN_NONE, NULL, BERTH_RF_SIG_PROXY, true },
	S("stop-signal", 0, BERTH_RF_STOP_SIGNAL),
	S("stop-timeout", 0, BERTH_RF_STOP_TIMEOUT),
	S("sysctl", 0, BERTH_RF_SYSCTL),
	S("tmpfs", 0, BERTH_RF_TMPFS),
	SB("tty", 't', BERTH_RF_TTY),
	S("ulimit", 0, BERTH_RF_ULIMIT),
	{ "user", 'u', K_STR, IN_CONFIG, "User", 0, false },
	S("userns", 0, BERTH_RF_USERNS),
	S("uts", 0, BERTH_RF_UTS),
	S("volume", 'v', BERTH_RF_VOLUME),
	{ "volume-driver", 0, K_STR, IN_HOST, "VolumeDriver", 0, false },
	{ "volumes-from", 0, K_LIST, IN_HOST, "VolumesFrom", 0, false },
	{ "workdir", 'w', K_STR, IN_CONFIG, "WorkingDir", 0, false },
};

#define FLAG_VAL_BASE 256

#define RUN_OPTIONS_COMMON                                                                            \
	"      --add-host list                    Add a custom host-to-IP mapping (host:ip)\n"        \
	"  -a, --attach list                      Attach to STDIN, STDOUT or STDERR\n"                \
	"      --cap-add list                     Add Linux capabilities\n"                           \
	"      --cap-drop list                    Drop Linux capabilities\n"                          \
	"      --cgroup-parent string             Optional parent cgroup for the container\n"         \
	"      --cgroupns string                  Cgroup namespace to use (host|private)\n"           \
	"      --cpu-period int                   Limit CPU CFS (Completely Fair Scheduler) period\n" \
	"      --cpu-quota int                    Limit CPU CFS (Completely Fair Scheduler) quota\n"  \
	"      --cpu-rt-period int                Limit CPU real-time period in microseconds\n"       \
	"      --cpu-rt-runtime int               Limit CPU real-time runtime in microseconds\n"      \
	"  -c, --cpu-shares int                   CPU shares (relative weight)\n"                     \
	"      --cpus decimal                     Number of CPUs\n"                                   \
	"      --cpuset-cpus string               CPUs in which to allow execution (0-3, 0,1)\n"      \
	"      --cpuset-mems string               MEMs in which to allow execution (0-3, 0,1)\n"

#define RUN_OPTIONS_DETACH                                                                              \
	"  -d, --detach                           Run container in background and print container ID\n" \
	"      --detach-keys string               Override the key sequence for detaching a container\n"

#define RUN_OPTIONS_MIDDLE                                                                                           \
	"      --disable-content-trust            Skip image verification (default true)\n"                          \
	"      --dns list                         Set custom DNS servers\n"                                          \
	"      --dns-option list                  Set DNS options\n"                                                 \
	"      --dns-search list                  Set custom DNS search domains\n"                                   \
	"      --domainname string                Container NIS domain name\n"                                       \
	"      --entrypoint string                Overwrite the default ENTRYPOINT of the image\n"                   \
	"  -e, --env list                         Set environment variables\n"                                       \
	"      --env-file list                    Read in a file of environment variables\n"                         \
	"      --group-add list                   Add additional groups to join\n"                                   \
	"      --health-cmd string                Command to run to check health\n" \
	"      --health-interval duration         Time between running the check (ms|s|m|h) (default 0s)\n" \
	"      --health-retries int               Consecutive failures needed to report unhealthy\n" \
	"      --health-start-interval duration   Time between running the check during the start period (ms|s|m|h) (default 0s)\n" \
	"      --health-start-period duration     Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)\n" \
	"      --health-timeout duration          Maximum time to allow one check to run (ms|s|m|h) (default 0s)\n" \
	"      --help                             Print usage\n"                                                     \
	"  -h, --hostname string                  Container host name\n"                                             \
	"      --init                             Run an init inside the container that forwards signals and "       \
	"reaps processes\n"                                                                                          \
	"  -i, --interactive                      Keep STDIN open even if not attached\n"                            \
	"      --ipc string                       IPC mode to use\n"                                                 \
	"      --isolation string                 Container isolation technology\n"                                  \
	"  -l, --label list                       Set meta data on a container\n"                                    \
	"      --label-file list                  Read in a line delimited file of labels\n"                         \
	"      --log-driver string                Logging driver for the container\n"                                \
	"      --log-opt list                     Log driver options\n"                                              \
	"  -m, --memory bytes                     Memory limit\n"                                                    \
	"      --memory-reservation bytes         Memory soft limit\n"                                               \
	"      --memory-swap bytes                Swap limit equal to memory plus swap: '-1' to enable unlimited "   \
	"swap\n"                                                                                                     \
	"      --memory-swappiness int            Tune container memory swappiness (0 to 100) (default -1)\n"        \
	"      --mount mount                      Attach a filesystem mount to the container\n"                      \
	"      --name string                      Assign a name to the container\n"                                  \
	"      --network network                  Connect a container to a network\n"                                \
	"      --no-healthcheck                   Disable any container-specified HEALTHCHECK\n" \
	"      --oom-kill-disable                 Disable OOM Killer\n"                                              \
	"      --oom-score-adj int                Tune host's OOM preferences (-1000 to 1000)\n"                     \
	"      --pid string                       PID namespace to use\n"                                            \
	"      --pids-limit int                   Tune container pids limit (set -1 for unlimited)\n"                \
	"      --platform string                  Set platform if server is multi-platform capable\n"                \
	"      --privileged                       Give extended privileges to this container\n"                      \
	"  -P, --publish-all                      Publish all exposed ports to random ports\n"                       \
	"      --pull string                      Pull image before %s (\"always\", \"missing\", \"never\") "        \
	"(default \"missing\")\n"                                                                                    \
	"  -q, --quiet                            Suppress the pull output\n"                                        \
	"      --read-only                        Mount the container's root filesystem as read only\n"              \
	"      --restart string                   Restart policy to apply when a container exits (default \"no\")\n" \
	"      --rm                               Automatically remove the container and its associated "            \
	"anonymous volumes when it exits\n"                                                                          \
	"      --runtime string                   Runtime to use for this container\n"                               \
	"      --security-opt list                Security Options\n"                                                \
	"      --shm-size bytes                   Size of /dev/shm\n"

#define RUN_OPTIONS_SIG_PROXY \
	"      --sig-proxy                        Proxy received signals to the process (default true)\n"

#define RUN_OPTIONS_END                                                                                 \
	"      --stop-signal string               Signal to stop the container\n"                       \
	"      --stop-timeout int                 Timeout (in seconds) to stop a container\n"           \
	"      --sysctl map                       Sysctl options (default map[])\n"                     \
	"      --tmpfs list                       Mount a tmpfs directory\n"                            \
	"  -t, --tty                              Allocate a pseudo-TTY\n"                              \
	"      --ulimit ulimit                    Ulimit options (default [])\n"                        \
	"  -u, --user string                      Username or UID (format: <name|uid>[:<group|gid>])\n" \
	"      --userns string                    User namespace to use\n"                              \
	"      --uts string                       UTS namespace to use\n"                               \
	"  -v, --volume list                      Bind mount a volume\n"                                \
	"      --volume-driver string             Optional volume driver for the container\n"           \
	"      --volumes-from list                Mount volumes from the specified container(s)\n"      \
	"  -w, --workdir string                   Working directory inside the container\n"

static const struct berth_cmd_info run_info = {
	"[OPTIONS] IMAGE [COMMAND] [ARG...]",
	"Create and run a new container from an image",
	NULL,
};

static const struct berth_cmd_info create_info = {
	"[OPTIONS] IMAGE [COMMAND] [ARG...]",
	"Create a new container",
	NULL,
};

static int print_help(struct berth_cli *cli, bool run)
{
	const struct berth_cmd_info *info = run ? &run_info : &create_info;
	printf("\nUsage:  %s %s\n\n%s\n\nOptions:\n", cli->cmd_path, info->usage, info->summary);
	printf("%s%s", RUN_OPTIONS_COMMON, run ? RUN_OPTIONS_DETACH : "");
	printf(RUN_OPTIONS_MIDDLE, run ? "running" : "creating");
	printf("%s%s", run ? RUN_OPTIONS_SIG_PROXY : "", RUN_OPTIONS_END);
	return 0;
}

/* ---- reading the flags ---- */

/* "-m, --memory" or "--cpus", as pflag names a flag in its messages. */
static void flag_title(const struct flag *f, char out[64])
{
	if (f->shorthand)
		snprintf(out, 64, "-%c, --%s", f->shorthand, f->name);
	else
		snprintf(out, 64, "--%s", f->name);
}

static int flag_value_error(struct berth_cli *cli, bool run, const struct flag *f, const char *value,
			    const struct berth_error *e)
{
	char title[64];
	flag_title(f, title);
	return berth_cli_flag_error(cli, run ? &run_info : &create_info, "invalid argument \"%s\" for \"%s\" flag: %s",
				    value, title, e->msg);
}

static json_t *target(struct berth_run_flags *rf, const struct flag *f)
{
	return f->where == IN_CONFIG ? rf->config : f->where == IN_HOST ? rf->host : rf->lists;
}

/* A flag of the simple kinds: its value into the body. */
static int set_simple(struct berth_cli *cli, bool run, struct berth_run_flags *rf, const struct flag *f,
		      const char *arg)
{
	struct berth_error e = { 0 };
	json_t *t = target(rf, f), *list;
	int64_t n = 0;
	bool b;
	int r = 0;

	switch (f->kind) {
	case K_STR:
		return json_object_set_new(t, f->key, json_string(arg)) < 0 ? -ENOMEM : 0;
	case K_BOOL: {
		char title[64];
		flag_title(f, title);
		if (berth_cli_parse_bool(cli, run ? &run_info : &create_info, title, arg, &b) < 0)
			return BERTH_GETOPT_USAGE;
		return json_object_set_new(t, f->key, json_boolean(b)) < 0 ? -ENOMEM : 0;
	}
	case K_INT:
		r = berth_runopt_int(arg, 0, &n, &e);
		break;
	case K_RAM:
		r = berth_runopt_ram_bytes(arg, &n, &e);
		break;
	case K_SWAP:
		r = berth_runopt_swap_bytes(arg, &n, &e);
		break;
	case K_CPUS:
		r = berth_runopt_nano_cpus(arg, &n, &e);
		break;
	case K_LIST:
	default:
		list = json_object_get(t, f->key);
		if (!list && json_object_set_new(t, f->key, list = json_array()) < 0)
			return -ENOMEM;
		return json_array_append_new(list, json_string(arg)) < 0 ? -ENOMEM : 0;
	}
	if (r < 0) {
		flag_value_error(cli, run, f, arg, &e);
		return BERTH_GETOPT_USAGE;
	}
	return json_object_set_new(t, f->key, json_integer(n)) < 0 ? -ENOMEM : 0;
}

static int set_flag(struct berth_cli *cli, bool run, struct berth_run_flags *rf, const struct flag *f, const char *arg)
{
	struct berth_error e = { 0 };
	char title[64];
	int r;

	if (f->kind == K_SPECIAL_BOOL) {
		bool b;
		flag_title(f, title);
		if (berth_cli_parse_bool(cli, run ? &run_info : &create_info, title, arg, &b) < 0)
			return BERTH_GETOPT_USAGE;
		return berth_run_flags_set_bool(rf, f->code, b);
	}
	if (f->kind != K_SPECIAL)
		return set_simple(cli, run, rf, f, arg);
	if (f->code == BERTH_RF_HELP) {
		print_help(cli, run);
		return BERTH_GETOPT_HELP;
	}
	r = berth_run_flags_set(rf, f->code, arg, &e);
	if (r == -EINVAL) {
		flag_value_error(cli, run, f, arg, &e);
		return BERTH_GETOPT_USAGE;
	}
	return r;
}

/* getopt_long's tables, made from the flags above. */
static void getopt_tables(bool run, struct option *longopts, char *shortopts)
{
	size_t n = 0, s = 0;
	shortopts[s++] = '+';
	shortopts[s++] = ':';
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(flags); i++) {
		const struct flag *f = &flags[i];
		if (f->run_only && !run)
			continue;
		bool boolean = f->kind == K_BOOL || f->kind == K_SPECIAL_BOOL || f->code == BERTH_RF_HELP;
		longopts[n++] = (struct option){ f->name, boolean ? optional_argument : required_argument, NULL,
						 FLAG_VAL_BASE + (int) i };
		if (f->shorthand) {
			shortopts[s++] = f->shorthand;
			if (!boolean)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s] = '\0';
}

static const struct flag *find_flag(int c)
{
	if (c >= FLAG_VAL_BASE && c < FLAG_VAL_BASE + (int) BERTH_ARRAY_SIZE(flags))
		return &flags[c - FLAG_VAL_BASE];
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(flags); i++)
		if (flags[i].shorthand == c)
			return &flags[i];
	return NULL;
}

/* getopt with docker's wording for unknown flags and missing values. */
static int next_flag(struct berth_cli *cli, bool run, int argc, char **argv, const char *shortopts,
		     const struct option *longopts)
{
	const struct berth_cmd_info *info = run ? &run_info : &create_info;
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (c == '?') {
		if (optopt && optopt < FLAG_VAL_BASE)
			return berth_cli_flag_error(cli, info, "unknown shorthand flag: '%c' in -%c", optopt, optopt),
			       BERTH_GETOPT_USAGE;
		return berth_cli_flag_error(cli, info, "unknown flag: %.*s", (int) strcspn(arg, "="), arg),
		       BERTH_GETOPT_USAGE;
	}
	if (c == ':') {
		if (optopt && optopt < FLAG_VAL_BASE && !(arg[0] == '-' && arg[1] == '-'))
			return berth_cli_flag_error(cli, info, "flag needs an argument: '%c' in -%c", optopt, optopt),
			       BERTH_GETOPT_USAGE;
		return berth_cli_flag_error(cli, info, "flag needs an argument: %s", arg), BERTH_GETOPT_USAGE;
	}
	return c;
}

/* Read the flags into rf; returns 0, or the exit status to leave with
 * (BERTH_EXIT_USAGE, or -1 after --help). */
static int read_flags(struct berth_cli *cli, bool run, int argc, char **argv, struct berth_run_flags *rf)
{
	struct option longopts[BERTH_ARRAY_SIZE(flags) + 1];
	char shortopts[2 * BERTH_ARRAY_SIZE(flags) + 3];
	int c;

	getopt_tables(run, longopts, shortopts);
	opterr = 0;
	while ((c = next_flag(cli, run, argc, argv, shortopts, longopts)) != -1) {
		if (c == BERTH_GETOPT_USAGE)
			return BERTH_EXIT_USAGE;
		const struct flag *f = find_flag(c);
		int r = f ? set_flag(cli, run, rf, f, optarg) : BERTH_GETOPT_USAGE;
		if (r == BERTH_GETOPT_HELP)
			return -1;
		if (r == BERTH_GETOPT_USAGE)
			return BERTH_EXIT_USAGE;
		if (r < 0) {
			struct berth_error e = { 0 };
			berth_error_sys(&e, -r, "flags");
			return berth_cli_fail(&e);
		}
	}
	return 0;
}

static int container_cmd(struct berth_cli *cli, bool run, int argc, char **argv)
{
	_cleanup_(berth_run_flags_clear) struct berth_run_flags rf = { 0 };
	_cleanup_json_ json_t *body = NULL;
	struct berth_error err = { 0 };

	if (berth_run_flags_init(&rf, run) < 0) {
		berth_error_sys(&err, ENOMEM, "flags");
		return berth_cli_fail(&err);
	}
	int status = read_flags(cli, run, argc, argv, &rf);
	if (status != 0)
		return status < 0 ? 0 : status;
	if (optind >= argc)
		return berth_cli_min_args_error(cli, run ? &run_info : &create_info);
	if (berth_run_flags_body(&rf, argv[optind], argv + optind + 1, argc - optind - 1, &body, &err) < 0)
		return berth_cli_run_error(cli, BERTH_EXIT_USAGE, err.msg);
	if (!run)
		return berth_create_container_cmd(cli, &rf, body);
	return berth_run_container(cli, &rf, body);
}

int berth_cmd_run(struct berth_cli *cli, int argc, char **argv)
{
	return container_cmd(cli, true, argc, argv);
}

int berth_cmd_create(struct berth_cli *cli, int argc, char **argv)
{
	return container_cmd(cli, false, argc, argv);
}
