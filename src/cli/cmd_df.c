/* berth system df: docker's summary of what images, containers, local
 * volumes and the build cache take (formatter/disk_usage.go), and with -v
 * a table of each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "units.h"

#define DF_TABLE "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

static const struct berth_cmd_info df_info = {
	"[OPTIONS]",
	"Show docker disk usage",
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -v, --verbose         Show detailed information on space usage\n",
};

/* "1.2MB (50%)", or the size alone when there is nothing in total. */
static void reclaimable(int64_t part, int64_t total, char out[2 * BERTH_UNITS_MAX])
{
	char size[BERTH_UNITS_MAX];
	berth_units_human_size((double) part, size);
	if (total > 0)
		snprintf(out, 2 * BERTH_UNITS_MAX, "%s (%lld%%)", size, (long long) (part * 100 / total));
	else
		snprintf(out, 2 * BERTH_UNITS_MAX, "%s", size);
}

static void summary_row(json_t *rows, const char *type, size_t total, int64_t active, int64_t size, const char *reclaim)
{
	char t[32], a[32], s[BERTH_UNITS_MAX];
	json_t *row = json_object();
	snprintf(t, sizeof(t), "%zu", total);
	snprintf(a, sizeof(a), "%lld", (long long) active);
	berth_units_human_size((double) size, s);
	berth_output_set_str(row, "Type", type);
	berth_output_set_str(row, "TotalCount", t);
	berth_output_set_str(row, "Active", a);
	berth_output_set_str(row, "Size", s);
	berth_output_set_str(row, "Reclaimable", reclaim);
	json_array_append_new(rows, row);
}

static json_t *summary(json_t *du)
{
	json_t *rows = json_array(), *v;
	size_t i;
	int64_t active = 0, used = 0, size = 0, free_bytes = 0, layers = berth_output_int(du, "LayersSize");
	char text[2 * BERTH_UNITS_MAX];
	json_t *images = json_object_get(du, "Images"), *cs = json_object_get(du, "Containers");
	json_t *vols = json_object_get(du, "Volumes");
	json_array_foreach(images, i, v) if (berth_output_int(v, "Containers") > 0)
	{
		active++;
		if (berth_output_int(v, "SharedSize") >= 0)
			used += berth_output_int(v, "Size") - berth_output_int(v, "SharedSize");
	}
	reclaimable(layers - used, layers, text);
	summary_row(rows, "Images", json_array_size(images), active, layers, text);
	active = 0;
	json_array_foreach(cs, i, v)
	{
		const char *state = berth_output_str(v, "State");
		bool on = !strcmp(state, "running") || !strcmp(state, "paused") || !strcmp(state, "restarting");
		active += on;
		size += berth_output_int(v, "SizeRw");
		free_bytes += on ? 0 : berth_output_int(v, "SizeRw");
	}
	reclaimable(free_bytes, size, text);
	summary_row(rows, "Containers", json_array_size(cs), active, size, text);
	active = size = free_bytes = 0;
	json_array_foreach(vols, i, v)
	{
		json_t *usage = json_object_get(v, "UsageData");
		int64_t s = berth_output_int(usage, "Size");
		active += berth_output_int(usage, "RefCount") > 0;
		size += s > 0 ? s : 0;
		free_bytes += berth_output_int(usage, "RefCount") == 0 && s > 0 ? s : 0;
	}
	reclaimable(free_bytes, size, text);
	summary_row(rows, "Local Volumes", json_array_size(vols), active, size, text);
	summary_row(rows, "Build Cache", json_array_size(json_object_get(du, "BuildCache")), 0, 0, "0B");
	return rows;
}

/* ---- -v ---- */

static void verbose_images(json_t *du, int64_t now)
{
	json_t *v, *tag;
	size_t i, j;
	printf("Images space usage:\n\n");
	_cleanup_json_ json_t *rows = json_array();
	_cleanup_json_ json_t *hdr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", "REPOSITORY",
					       "Tag", "TAG", "ID", "IMAGE ID", "CreatedSince", "CREATED", "Size", "SIZE",
					       "SharedSize", "SHARED SIZE", "UniqueSize", "UNIQUE SIZE", "Containers",
					       "CONTAINERS");
	json_array_foreach(json_object_get(du, "Images"), i, v)
	{
		char id[BERTH_SHORT_ID_LEN + 1], since[BERTH_UNITS_MAX], size[BERTH_UNITS_MAX], shared[BERTH_UNITS_MAX];
		char unique[BERTH_UNITS_MAX], count[32];
		int64_t s = berth_output_int(v, "Size"), sh = berth_output_int(v, "SharedSize");
		berth_units_short_id(berth_output_str(v, "Id"), id);
		berth_units_since(berth_output_int(v, "Created"), now, since);
		berth_units_human_size_precision((double) s, 3, size);
		berth_units_human_size_precision((double) sh, 3, shared);
		berth_units_human_size((double) (s - (sh > 0 ? sh : 0)), unique);
		snprintf(count, sizeof(count), "%lld", (long long) berth_output_int(v, "Containers"));
		json_t *tags = json_object_get(v, "RepoTags");
		for (j = 0; j < (json_array_size(tags) ? json_array_size(tags) : 1); j++) {
			const char *t = json_string_value(tag = json_array_get(tags, j)), *colon = t ? strrchr(t, ':') : NULL;
			json_t *row = json_object();
			char repo[1024];
			snprintf(repo, sizeof(repo), "%.*s", colon ? (int) (colon - t) : 6, colon ? t : "<none>");
			berth_output_set_str(row, "Repository", repo);
			berth_output_set_str(row, "Tag", colon ? colon + 1 : "<none>");
			berth_output_set_str(row, "ID", id);
			berth_output_set_str(row, "CreatedSince", since);
			berth_output_set_str(row, "Size", size);
			berth_output_set_str(row, "SharedSize", shared);
			berth_output_set_str(row, "UniqueSize", unique);
			berth_output_set_str(row, "Containers", count);
			json_array_append_new(rows, row);
		}
	}
	struct berth_error ignored = { 0 };
	const char *t = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t"
			"{{.UniqueSize}}\t{{.Containers}}";
	berth_output_list(stdout, t, t, hdr, rows, &ignored);
}

static void verbose_containers(json_t *du, int64_t now)
{
	json_t *v;
	size_t i;
	printf("\nContainers space usage:\n\n");
	_cleanup_json_ json_t *rows = json_array();
	_cleanup_json_ json_t *hdr = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID", "Image",
					       "IMAGE", "Command", "COMMAND", "LocalVolumes", "LOCAL VOLUMES", "Size",
					       "SIZE", "RunningFor", "CREATED", "Status", "STATUS", "Names", "NAMES");
	json_array_foreach(json_object_get(du, "Containers"), i, v)
	{
		char id[BERTH_SHORT_ID_LEN + 1], since[BERTH_UNITS_MAX], size[BERTH_UNITS_MAX], vols[32];
		_cleanup_free_ char *cut = berth_units_ellipsis(berth_output_str(v, "Command"), 20);
		_cleanup_free_ char *quoted = NULL;
		json_t *m, *row = json_object();
		size_t k;
		int local = 0;
		const char *name = json_string_value(json_array_get(json_object_get(v, "Names"), 0));
		berth_units_short_id(berth_output_str(v, "Id"), id);
		berth_units_since(berth_output_int(v, "Created"), now, since);
		berth_units_human_size((double) berth_output_int(v, "SizeRw"), size);
		json_array_foreach(json_object_get(v, "Mounts"), k, m) local += !strcmp(berth_output_str(m, "Type"), "volume");
		snprintf(vols, sizeof(vols), "%d", local);
		if (asprintf(&quoted, "\"%s\"", cut ? cut : "") < 0)
			quoted = NULL;
		berth_output_set_str(row, "ID", id);
		berth_output_set_str(row, "Image", berth_output_str(v, "Image"));
		berth_output_set_str(row, "Command", quoted ? quoted : "");
		berth_output_set_str(row, "LocalVolumes", vols);
		berth_output_set_str(row, "Size", size);
		berth_output_set_str(row, "RunningFor", since);
		berth_output_set_str(row, "Status", berth_output_str(v, "Status"));
		berth_output_set_str(row, "Names", name ? name + (name[0] == '/') : "");
		json_array_append_new(rows, row);
	}
	struct berth_error ignored = { 0 };
	const char *t = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t"
			"{{.Status}}\t{{.Names}}";
	berth_output_list(stdout, t, t, hdr, rows, &ignored);
}

static void verbose_volumes(json_t *du)
{
	json_t *v;
	size_t i;
	printf("\nLocal Volumes space usage:\n\n");
	_cleanup_json_ json_t *rows = json_array();
	_cleanup_json_ json_t *hdr = json_pack("{s:s, s:s, s:s}", "Name", "VOLUME NAME", "Links", "LINKS", "Size", "SIZE");
	json_array_foreach(json_object_get(du, "Volumes"), i, v)
	{
		json_t *usage = json_object_get(v, "UsageData"), *row = json_object();
		char links[32], size[BERTH_UNITS_MAX];
		snprintf(links, sizeof(links), "%lld", (long long) berth_output_int(usage, "RefCount"));
		berth_units_human_size((double) berth_output_int(usage, "Size"), size);
		berth_output_set_str(row, "Name", berth_output_str(v, "Name"));
		berth_output_set_str(row, "Links", links);
		berth_output_set_str(row, "Size", size);
		json_array_append_new(rows, row);
	}
	struct berth_error ignored = { 0 };
	const char *t = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
	berth_output_list(stdout, t, t, hdr, rows, &ignored);
	printf("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n");
}

static int df(struct berth_cli *cli, const char *format, bool verbose, struct berth_error *err)
{
	_cleanup_json_ json_t *du = NULL, *rows = NULL;
	_cleanup_json_ json_t *hdr = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL",
					       "Active", "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
	struct berth_client *c;
	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_client_do_json(c, &(struct berth_request){ .path = "/system/df" }, &du, err);
	if (r < 0)
		return r;
	if (verbose && (!format || !*format)) {
		int64_t now = (int64_t) time(NULL);
		verbose_images(du, now);
		verbose_containers(du, now);
		verbose_volumes(du);
		return 0;
	}
	rows = summary(du);
	return berth_output_list(stdout, format && *format ? format : DF_TABLE, DF_TABLE, hdr, rows, err);
}

int berth_cmd_system_df(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "verbose", optional_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	const char *format = NULL;
	bool verbose = false;
	int c;
	while ((c = berth_cli_getopt(cli, &df_info, argc, argv, ":vh", longopts)) != -1) {
		if (c == 'F')
			format = optarg;
		else if (c == 'v') {
			if (berth_cli_parse_bool(cli, &df_info, "-v, --verbose", optarg, &verbose) < 0)
				return BERTH_EXIT_USAGE;
		} else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &df_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	if (df(cli, format, verbose, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
