/* berth update: new resource limits and restart policy for containers
 * (cli/command/container/update.go): the flags given make the body, each
 * container is updated in turn and its name printed, the daemon's warnings
 * go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "run.h"
#include "runopts.h"

static const struct berth_cmd_info update_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Update configuration of one or more containers",
	"      --blkio-weight uint16        Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)\n"
	"      --cpu-period int             Limit CPU CFS (Completely Fair Scheduler) period\n"
	"      --cpu-quota int              Limit CPU CFS (Completely Fair Scheduler) quota\n"
	"  -c, --cpu-shares int             CPU shares (relative weight)\n"
	"      --cpus decimal               Number of CPUs\n"
	"      --cpuset-cpus string         CPUs in which to allow execution (0-3, 0,1)\n"
	"      --cpuset-mems string         MEMs in which to allow execution (0-3, 0,1)\n"
	"  -m, --memory bytes               Memory limit\n"
	"      --memory-reservation bytes   Memory soft limit\n"
	"      --memory-swap bytes          Swap limit equal to memory plus swap: -1 to enable unlimited swap\n"
	"      --pids-limit int             Tune container pids limit (set -1 for unlimited)\n"
	"      --restart string             Restart policy to apply when a container exits\n",
};

#define FLAG_ERROR(cli, ...) (berth_cli_flag_error(cli, &update_info, __VA_ARGS__), -1)

enum { O_BLKIO = 1000, O_PERIOD, O_QUOTA, O_CPUS, O_CPUSET, O_MEMS, O_RESERVATION, O_SWAP, O_PIDS, O_RESTART };

/* One flag into the body: 0; a bad value is docker's flag error (-1);
 * 1 after --help. */
static int update_flag(struct berth_cli *cli, int c, json_t *body)
{
	static const struct {
		int opt;
		const char *flag, *key;
		int (*parse)(const char *s, int64_t *ret, struct berth_error *err);
	} sized[] = {
		{ 'm', "-m, --memory", "Memory", berth_runopt_ram_bytes },
		{ O_RESERVATION, "--memory-reservation", "MemoryReservation", berth_runopt_ram_bytes },
		{ O_SWAP, "--memory-swap", "MemorySwap", berth_runopt_swap_bytes },
		{ O_CPUS, "--cpus", "NanoCpus", berth_runopt_nano_cpus },
	};
	static const struct {
		int opt;
		const char *flag, *key;
	} ints[] = { { 'c', "-c, --cpu-shares", "CpuShares" }, { O_PERIOD, "--cpu-period", "CpuPeriod" },
		     { O_QUOTA, "--cpu-quota", "CpuQuota" },	{ O_PIDS, "--pids-limit", "PidsLimit" },
		     { O_BLKIO, "--blkio-weight", "BlkioWeight" } };
	struct berth_error e = { 0 };
	int64_t v = 0;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(sized); i++)
		if (sized[i].opt == c) {
			if (sized[i].parse(optarg, &v, &e) < 0)
				return FLAG_ERROR(cli, "invalid argument \"%s\" for \"%s\" flag: %s",
							    optarg, sized[i].flag, e.msg);
			return json_object_set_new(body, sized[i].key, json_integer(v)) < 0 ? -1 : 0;
		}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(ints); i++)
		if (ints[i].opt == c) {
			if (berth_runopt_int(optarg, 0, &v, &e) < 0 || (ints[i].opt == O_BLKIO && (v < 0 || v > 65535)))
				return FLAG_ERROR(cli, "invalid argument \"%s\" for \"%s\" flag: %s",
							    optarg, ints[i].flag, e.msg[0] ? e.msg : "value out of range");
			return json_object_set_new(body, ints[i].key, json_integer(v)) < 0 ? -1 : 0;
		}
	if (c == O_CPUSET || c == O_MEMS)
		return json_object_set_new(body, c == O_CPUSET ? "CpusetCpus" : "CpusetMems", json_string(optarg));
	if (c == O_RESTART) {
		json_t *policy = NULL;
		if (berth_runopt_restart(optarg, &policy, &e) < 0)
			return FLAG_ERROR(cli, "%s", e.msg);
		return json_object_set_new(body, "RestartPolicy", policy);
	}
	return c == BERTH_GETOPT_HELP ? 1 : -1;
}

static int update_one(struct berth_client *c, const char *name, const char *body, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *answer = NULL;
	json_t *w;
	size_t i;
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, name);
	berth_path_append(&p, "/update");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c,
				     &(struct berth_request){ .method = "POST", .path = path, .body = body,
							      .body_len = strlen(body) },
				     &answer, err);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(answer, "Warnings"), i, w) fprintf(stderr, "%s\n", json_string_value(w));
	return 0;
}

int berth_cmd_update(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "blkio-weight", required_argument, NULL, O_BLKIO },
		{ "cpu-period", required_argument, NULL, O_PERIOD },
		{ "cpu-quota", required_argument, NULL, O_QUOTA },
		{ "cpu-shares", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "cpuset-cpus", required_argument, NULL, O_CPUSET },
		{ "cpuset-mems", required_argument, NULL, O_MEMS },
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-reservation", required_argument, NULL, O_RESERVATION },
		{ "memory-swap", required_argument, NULL, O_SWAP },
		{ "pids-limit", required_argument, NULL, O_PIDS },
		{ "restart", required_argument, NULL, O_RESTART },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *body = json_object();
	struct berth_error err = { 0 };
	struct berth_client *c;
	int opt, status = 0;
	while ((opt = berth_cli_getopt(cli, &update_info, argc, argv, ":c:m:h", longopts)) != -1) {
		int r = update_flag(cli, opt, body);
		if (r != 0)
			return r > 0 ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_min_args_error(cli, &update_info);
	if (json_object_size(body) == 0) {
		fprintf(stderr, "you must provide one or more flags when using this command\n");
		return 1;
	}
	_cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
	if (!text || berth_cli_client(cli, &c, &err) < 0)
		return berth_cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		if (update_one(c, argv[i], text, &err) < 0) {
			fflush(stdout);
			fprintf(stderr, "%s\n", err.msg);
			status = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}
