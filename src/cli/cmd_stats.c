/* berth stats: docker's table of containers' resource usage
 * (cli/command/container/stats.go, formatter/stats.go): CPU % from two
 * samples a second apart, memory without the inactive page cache, network
 * and block I/O summed, redrawn every second unless --no-stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "units.h"

#define STATS_TABLE "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

static const struct berth_cmd_info stats_info = {
	"[OPTIONS] [CONTAINER...]",
	"Display a live stream of container(s) resource usage statistics",
	"  -a, --all             Show all containers (default shows just running)\n"
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"      --no-stream       Disable streaming stats and only pull the first result\n"
	"      --no-trunc        Do not truncate output\n",
};

struct stats_opts {
	bool all, no_stream, no_trunc;
	const char *format;
};

static uint64_t u(json_t *obj, const char *key)
{
	return (uint64_t) json_integer_value(json_object_get(obj, key));
}

/* docker's calculateCPUPercentUnix, against the sample before (prev may
 * be NULL: the document's own precpu_stats). */
static double cpu_percent(json_t *now, json_t *prev)
{
	json_t *cpu = json_object_get(now, "cpu_stats");
	json_t *pre = prev ? json_object_get(prev, "cpu_stats") : json_object_get(now, "precpu_stats");
	double cpu_delta = (double) u(json_object_get(cpu, "cpu_usage"), "total_usage") -
			   (double) u(json_object_get(pre, "cpu_usage"), "total_usage");
	double sys_delta = (double) u(cpu, "system_cpu_usage") - (double) u(pre, "system_cpu_usage");
	double online = (double) u(cpu, "online_cpus");
	if (online == 0)
		online = (double) json_array_size(json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage"));
	if (sys_delta > 0 && cpu_delta > 0)
		return cpu_delta / sys_delta * online * 100.0;
	return 0;
}

/* docker's calculateMemUsageUnixNoCache: the inactive page cache is not use. */
static double mem_usage(json_t *mem)
{
	json_t *stats = json_object_get(mem, "stats");
	uint64_t usage = u(mem, "usage");
	json_t *v1 = json_object_get(stats, "total_inactive_file");
	uint64_t cache = v1 ? (uint64_t) json_integer_value(v1) : u(stats, "inactive_file");
	return cache < usage ? (double) (usage - cache) : (double) usage;
}

/* The sum of an io_service_bytes_recursive list, by read and write. */
static void block_io(json_t *blkio, double *read, double *write)
{
	json_t *e;
	size_t i;
	*read = *write = 0;
	json_array_foreach(json_object_get(blkio, "io_service_bytes_recursive"), i, e)
	{
		const char *op = berth_output_str(e, "op");
		if (strcasecmp(op, "read") == 0)
			*read += (double) u(e, "value");
		else if (strcasecmp(op, "write") == 0)
			*write += (double) u(e, "value");
	}
}

static json_t *stats_row(const char *asked, json_t *doc, json_t *prev, bool trunc)
{
	char a[BERTH_UNITS_MAX], b[BERTH_UNITS_MAX], text[3 * BERTH_UNITS_MAX], id[BERTH_SHORT_ID_LEN + 1];
	json_t *row = json_object(), *mem = json_object_get(doc, "memory_stats"), *net, *iface;
	const char *name = berth_output_str(doc, "name"), *key;
	double used = mem_usage(mem), limit = (double) u(mem, "limit"), rx = 0, tx = 0, rd, wr;
	berth_units_short_id(berth_output_str(doc, "id"), id);
	berth_output_set_str(row, "Container", asked);
	berth_output_set_str(row, "ID", trunc ? id : berth_output_str(doc, "id"));
	berth_output_set_str(row, "Name", name[0] == '/' ? name + 1 : name);
	snprintf(text, sizeof(text), "%.2f%%", cpu_percent(doc, prev));
	berth_output_set_str(row, "CPUPerc", text);
	berth_units_bytes_size(used, a);
	berth_units_bytes_size(limit, b);
	snprintf(text, sizeof(text), "%s / %s", a, b);
	berth_output_set_str(row, "MemUsage", text);
	snprintf(text, sizeof(text), "%.2f%%", limit > 0 ? used / limit * 100.0 : 0.0);
	berth_output_set_str(row, "MemPerc", text);
	net = json_object_get(doc, "networks");
	json_object_foreach(net, key, iface)
	{
		rx += (double) u(iface, "rx_bytes");
		tx += (double) u(iface, "tx_bytes");
	}
	berth_units_human_size_precision(rx, 3, a);
	berth_units_human_size_precision(tx, 3, b);
	snprintf(text, sizeof(text), "%s / %s", a, b);
	berth_output_set_str(row, "NetIO", text);
	block_io(json_object_get(doc, "blkio_stats"), &rd, &wr);
	berth_units_human_size_precision(rd, 3, a);
	berth_units_human_size_precision(wr, 3, b);
	snprintf(text, sizeof(text), "%s / %s", a, b);
	berth_output_set_str(row, "BlockIO", text);
	snprintf(text, sizeof(text), "%llu", (unsigned long long) u(json_object_get(doc, "pids_stats"), "current"));
	berth_output_set_str(row, "PIDs", text);
	return row;
}

/* One sample of a container without waiting: one-shot where the daemon
 * knows it (API 1.41), else its own precpu figures. */
static int sample(struct berth_client *c, const char *name, json_t **ret, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	const char *version = "1.41";
	berth_client_api_version(c, &version, err);
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, name);
	berth_path_append(&p, "/stats");
	berth_path_query(&p, "stream", "0");
	if (strcmp(version, "1.41") >= 0 && strlen(version) == 4)
		berth_path_query(&p, "one-shot", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do_json(c, &(struct berth_request){ .path = path }, ret, err);
}

/* The names to watch: those given, or the daemon's (running, or all). */
static int targets(struct berth_client *c, struct stats_opts *o, int argc, char **argv, json_t **ret,
		   struct berth_error *err)
{
	_cleanup_json_ json_t *list = NULL;
	json_t *names = json_array(), *item;
	size_t i;
	if (argc > 0) {
		for (int k = 0; k < argc; k++)
			json_array_append_new(names, json_string(argv[k]));
		*ret = names;
		return 0;
	}
	int r = berth_client_do_json(c, &(struct berth_request){ .path = o->all ? "/containers/json?all=1"
										: "/containers/json" },
				     &list, err);
	if (r < 0) {
		json_decref(names);
		return r;
	}
	json_array_foreach(list, i, item) json_array_append_new(names, json_string(berth_output_str(item, "Id")));
	*ret = names;
	return 0;
}

static json_t *stats_header(void)
{
	static const char *const header[][2] = {
		{ "Container", "CONTAINER" }, { "ID", "CONTAINER ID" }, { "Name", "NAME" },
		{ "CPUPerc", "CPU %" },	      { "MemUsage", "MEM USAGE / LIMIT" }, { "MemPerc", "MEM %" },
		{ "NetIO", "NET I/O" },	      { "BlockIO", "BLOCK I/O" },	   { "PIDs", "PIDS" },
	};
	return berth_output_header(header, BERTH_ARRAY_SIZE(header));
}

/* Sample every target; prev (an object by name) holds the samples before
 * and gets these.  Names that failed are left out of the rows, and an
 * error is kept for the caller when they were asked for by name. */
static int round_of(struct berth_client *c, json_t *names, json_t *prev, bool trunc, json_t *rows,
		    struct berth_error *err)
{
	json_t *n;
	size_t i;
	int failed = 0;
	json_array_foreach(names, i, n)
	{
		json_t *doc = NULL;
		const char *name = json_string_value(n);
		if (sample(c, name, &doc, err) < 0) {
			failed = -EIO;
			continue;
		}
		json_array_append_new(rows, stats_row(name, doc, json_object_get(prev, name), trunc));
		json_object_set_new(prev, name, doc);
	}
	return failed;
}

static int show(struct berth_cli *cli, struct stats_opts *o, int argc, char **argv, struct berth_error *err)
{
	_cleanup_json_ json_t *hdr = stats_header(), *prev = json_object();
	struct berth_client *c;
	const char *format = o->format && *o->format ? o->format : STATS_TABLE;
	bool tty = isatty(STDOUT_FILENO);
	int r = berth_cli_client(cli, &c, err);
	for (int round = 0; r == 0; round++) {
		_cleanup_json_ json_t *names = NULL, *rows = json_array();
		if ((r = targets(c, o, argc, argv, &names, err)) < 0)
			return r;
		r = round_of(c, names, prev, !o->no_trunc, rows, err);
		/* a named container that is not there ends it, as docker's */
		if (r < 0 && argc > 0)
			return r;
		r = 0;
		/* the first round only primes the CPU figures */
		if (round > 0 || !o->no_stream) {
			if (tty && !o->no_stream)
				fputs("\033[2J\033[H", stdout);
			if ((r = berth_output_list(stdout, format, STATS_TABLE, hdr, rows, err)) < 0)
				return r;
			fflush(stdout);
			if (o->no_stream)
				return 0;
		}
		sleep(1);
	}
	return r;
}

int berth_cmd_stats(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", optional_argument, NULL, 'a' },       { "format", required_argument, NULL, 'F' },
		{ "no-stream", optional_argument, NULL, 'S' }, { "no-trunc", optional_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },	       { NULL, 0, NULL, 0 },
	};
	struct stats_opts o = { 0 };
	struct berth_error err = { 0 };
	int c, r = 0;
	while ((c = berth_cli_getopt(cli, &stats_info, argc, argv, ":ah", longopts)) != -1) {
		if (c == 'a')
			r = berth_cli_parse_bool(cli, &stats_info, "-a, --all", optarg, &o.all);
		else if (c == 'S')
			r = berth_cli_parse_bool(cli, &stats_info, "--no-stream", optarg, &o.no_stream);
		else if (c == 'N')
			r = berth_cli_parse_bool(cli, &stats_info, "--no-trunc", optarg, &o.no_trunc);
		else if (c == 'F')
			o.format = optarg;
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (show(cli, &o, argc - optind, argv + optind, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
