/* update, pause, resume, ps, events. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "file.h"
#include "json.h"

#define RESOURCES_MAX (4u << 20)

enum { OPT_RESOURCES = 'r', OPT_MEMORY = 1000, OPT_MEMSWAP, OPT_MEMRES, OPT_KMEM, OPT_SHARES, OPT_QUOTA, OPT_PERIOD,
       OPT_RT_PERIOD, OPT_RT_RUNTIME, OPT_CPUS, OPT_MEMS, OPT_PIDS, OPT_BLKIO };

struct update_args {
	const char *resources_file;
	json_t *flags; /* the flags as a LinuxResources object */
};

/* "512m", "1g", "-1", "1024" -> bytes (memory flags take units, as runc's). */
static int parse_size(const char *text, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	int64_t mult = 1;

	if (end == text || errno == ERANGE)
		return -EINVAL;
	if (*end) {
		switch (*end | 0x20) {
		case 'k': mult = 1024; break;
		case 'm': mult = 1024 * 1024; break;
		case 'g': mult = 1024LL * 1024 * 1024; break;
		case 't': mult = 1024LL * 1024 * 1024 * 1024; break;
		case 'b': break;
		default: return -EINVAL;
		}
		if (end[1] && !((end[1] | 0x20) == 'b' && end[2] == '\0'))
			return -EINVAL;
	}
	if (v < 0) {
		*ret = -1;
		return 0;
	}
	return __builtin_mul_overflow((int64_t) v, mult, ret) ? -EINVAL : 0;
}

static int set_number(json_t *flags, const char *section, const char *key, const char *text, bool size,
		      struct berth_error *err)
{
	json_t *sec = json_object_get(flags, section);
	int64_t v;
	char *end;

	if (size) {
		if (parse_size(text, &v) < 0)
			return berth_error_set(err, EINVAL, "update: %s.%s: \"%s\" is not a size", section, key, text);
	} else {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno || end == text || *end)
			return berth_error_set(err, EINVAL, "update: %s.%s: \"%s\" is not a number", section, key, text);
	}
	if (sec == NULL)
		json_object_set_new(flags, section, sec = json_object());
	json_object_set_new(sec, key, json_integer(v));
	return 0;
}

static int update_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct update_args *a = ctx;
	json_t *f = a->flags;

	switch (opt) {
	case OPT_RESOURCES:
		a->resources_file = arg;
		return 0;
	case OPT_MEMORY:
		return set_number(f, "memory", "limit", arg, true, err);
	case OPT_MEMSWAP:
		return set_number(f, "memory", "swap", arg, true, err);
	case OPT_MEMRES:
		return set_number(f, "memory", "reservation", arg, true, err);
	case OPT_KMEM:
		return 0; /* kernel memory limits are gone from the kernel; accepted and ignored as runc does */
	case OPT_SHARES:
		return set_number(f, "cpu", "shares", arg, false, err);
	case OPT_QUOTA:
		return set_number(f, "cpu", "quota", arg, false, err);
	case OPT_PERIOD:
		return set_number(f, "cpu", "period", arg, false, err);
	case OPT_RT_PERIOD:
		return set_number(f, "cpu", "realtimePeriod", arg, false, err);
	case OPT_RT_RUNTIME:
		return set_number(f, "cpu", "realtimeRuntime", arg, false, err);
	case OPT_CPUS:
	case OPT_MEMS: {
		json_t *cpu = json_object_get(f, "cpu");
		if (cpu == NULL)
			json_object_set_new(f, "cpu", cpu = json_object());
		json_object_set_new(cpu, opt == OPT_CPUS ? "cpus" : "mems", json_string(arg));
		return 0;
	}
	case OPT_PIDS:
		return set_number(f, "pids", "limit", arg, false, err);
	case OPT_BLKIO:
		return set_number(f, "blockIO", "weight", arg, false, err);
	default:
		return -EINVAL;
	}
}

static int read_resources(const char *file, json_t **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = berth_read_file_at(AT_FDCWD, strcmp(file, "-") == 0 ? "/dev/stdin" : file, RESOURCES_MAX, &text, &len, err);
	if (r < 0)
		return berth_error_wrap(err, "update --resources");
	return bjson_parse(text, len, strcmp(file, "-") == 0 ? "resources (stdin)" : file, ret, err);
}

static int cmd_update(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = {
		{ "resources", required_argument, NULL, OPT_RESOURCES },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "memory-swap", required_argument, NULL, OPT_MEMSWAP },
		{ "memory-reservation", required_argument, NULL, OPT_MEMRES },
		{ "kernel-memory", required_argument, NULL, OPT_KMEM },
		{ "kernel-memory-tcp", required_argument, NULL, OPT_KMEM },
		{ "cpu-shares", required_argument, NULL, OPT_SHARES },
		{ "cpu-quota", required_argument, NULL, OPT_QUOTA },
		{ "cpu-period", required_argument, NULL, OPT_PERIOD },
		{ "cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD },
		{ "cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME },
		{ "cpuset-cpus", required_argument, NULL, OPT_CPUS },
		{ "cpuset-mems", required_argument, NULL, OPT_MEMS },
		{ "pids-limit", required_argument, NULL, OPT_PIDS },
		{ "blkio-weight", required_argument, NULL, OPT_BLKIO },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *flags = json_object(), *from_file = NULL;
	struct update_args a = { .flags = flags };
	const char *id;
	int first, r;

	first = cli_parse(argc, argv, "update", options, update_option, &a, err);
	if (first < 0 || cli_one_id(argc, argv, first, "update", &id, err) < 0)
		return -berth_error_code(err);
	if (a.resources_file) {
		if ((r = read_resources(a.resources_file, &from_file, err)) < 0)
			return r;
		if (!json_is_object(from_file))
			return berth_error_set(err, EINVAL, "update --resources: must be a JSON object");
	}
	/* Flags override what the file says. */
	if (from_file)
		json_object_update_recursive(from_file, flags);
	return berth_container_update(cli->root, id, from_file ? from_file : flags, err);
}

static int no_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	(void) opt, (void) arg, (void) ctx, (void) err;
	return -EINVAL;
}

static const struct option no_options[] = { { NULL, 0, NULL, 0 } };

static int cmd_pause(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	const char *id;
	int first = cli_parse(argc, argv, "pause", no_options, no_option, NULL, err);

	if (first < 0 || cli_one_id(argc, argv, first, "pause", &id, err) < 0)
		return -berth_error_code(err);
	return berth_container_pause(cli->root, id, err);
}

static int cmd_resume(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	const char *id;
	int first = cli_parse(argc, argv, "resume", no_options, no_option, NULL, err);

	if (first < 0 || cli_one_id(argc, argv, first, "resume", &id, err) < 0)
		return -berth_error_code(err);
	return berth_container_resume(cli->root, id, err);
}

static int ps_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	if (opt != 'f')
		return -EINVAL;
	if (strcmp(arg, "json") == 0)
		*(bool *) ctx = true;
	else if (strcmp(arg, "table") != 0)
		return berth_error_set(err, EINVAL, "ps: --format must be table or json, not %s", arg);
	return 0;
}

static bool contains(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* runc prints ps(1)'s own table, keeping the header and the container's lines. */
static int print_ps_table(const pid_t *pids, size_t n, char **ps_args, struct berth_error *err)
{
	char *argv[64] = { "ps" };
	int fds[2], status, pid_col = -1;
	_cleanup_fclose_ FILE *in = NULL;
	char line[4096];
	size_t k = 1;
	pid_t child;

	if (ps_args[0] == NULL)
		argv[k++] = "-ef";
	for (size_t i = 0; ps_args[i] && k < 63; i++)
		argv[k++] = ps_args[i];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "ps: pipe");
	child = fork();
	if (child == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	for (int row = 0; in && fgets(line, sizeof(line), in); row++) {
		if (row == 0) {
			char copy[4096], *save = NULL;
			int col = 0;
			snprintf(copy, sizeof(copy), "%s", line);
			for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save), col++)
				if (strcmp(w, "PID") == 0)
					pid_col = col;
			fputs(line, stdout);
			continue;
		}
		char copy[4096], *save = NULL, *w;
		int col = 0;
		snprintf(copy, sizeof(copy), "%s", line);
		for (w = strtok_r(copy, " \t\n", &save); w && col < pid_col; w = strtok_r(NULL, " \t\n", &save))
			col++;
		if (w && contains(pids, n, strtol(w, NULL, 10)))
			fputs(line, stdout);
	}
	waitpid(child, &status, 0);
	if (pid_col < 0)
		return berth_error_set(err, EINVAL, "ps: no PID column in ps's output (give ps options that print it)");
	return 0;
}

static int cmd_ps(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	_cleanup_free_ pid_t *pids = NULL;
	bool json = false;
	size_t n;
	int first = cli_parse(argc, argv, "ps", options, ps_option, &json, err), r;

	if (first < 0)
		return first;
	if (first >= argc)
		return berth_error_set(err, EINVAL, "ps: the container id is missing");
	if ((r = berth_container_pids(cli->root, argv[first], &pids, &n, err)) < 0)
		return r;
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int) pids[i]);
		printf("]\n");
		return 0;
	}
	return print_ps_table(pids, n, argv + first + 1, err);
}

struct events_args {
	bool stats_once;
	int interval_ms;
};

static int events_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct events_args *a = ctx;
	char *end;
	double v;

	if (opt == 's') {
		a->stats_once = true;
		return 0;
	}
	if (opt != 'i')
		return -EINVAL;
	/* Go durations as runc takes them: 5s, 500ms, 1m. */
	v = strtod(arg, &end);
	if (end == arg || v <= 0)
		return berth_error_set(err, EINVAL, "events: --interval \"%s\" is not a duration like 5s", arg);
	if (strcmp(end, "ms") == 0)
		a->interval_ms = (int) v;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		a->interval_ms = (int) (v * 1000);
	else if (strcmp(end, "m") == 0)
		a->interval_ms = (int) (v * 60000);
	else
		return berth_error_set(err, EINVAL, "events: --interval \"%s\" is not a duration like 5s", arg);
	return 0;
}

static int print_stats(const char *root, const char *id, struct berth_error *err)
{
	_cleanup_json_ json_t *stats = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if ((r = berth_container_stats(root, id, &stats, err)) < 0)
		return r;
	text = bjson_dump(stats);
	printf("%s\n", text ? text : "{}");
	fflush(stdout);
	return 0;
}

static int cmd_events(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct events_args a = { .interval_ms = 5000 };
	uint64_t ooms = 0, now;
	const char *id;
	int first = cli_parse(argc, argv, "events", options, events_option, &a, err), r, waited = 0;

	if (first < 0 || cli_one_id(argc, argv, first, "events", &id, err) < 0)
		return -berth_error_code(err);
	if (a.stats_once)
		return print_stats(cli->root, id, err);
	berth_container_oom_kills(cli->root, id, &ooms, err);
	/* Stats every interval; OOM kills looked for every 100 ms in between. */
	while (berth_container_alive(cli->root, id)) {
		if (waited >= a.interval_ms || waited == 0) {
			if ((r = print_stats(cli->root, id, err)) < 0)
				return r;
			waited = 0;
		}
		if (berth_container_oom_kills(cli->root, id, &now, err) == 0 && now > ooms) {
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
			fflush(stdout);
			ooms = now;
		}
		poll(NULL, 0, 100);
		waited += 100;
	}
	/* An OOM kill often ends the container: report it after the fact too. */
	if (berth_container_oom_kills(cli->root, id, &now, err) == 0 && now > ooms)
		printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
	return 0;
}

const struct cli_command cli_command_update = {
	"update", cmd_update,
	"update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--cpu-shares N] "
	"[--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID",
	"change the resource limits of a running container"
};
const struct cli_command cli_command_pause = { "pause", cmd_pause, "pause ID", "freeze every process of a container" };
const struct cli_command cli_command_resume = { "resume", cmd_resume, "resume ID", "thaw a paused container" };
const struct cli_command cli_command_ps = { "ps", cmd_ps, "ps [--format table|json] ID [ps options]",
					   "list the processes of a container" };
const struct cli_command cli_command_events = { "events", cmd_events, "events [--stats] [--interval 5s] ID",
						"print resource statistics and OOM events" };
