/* berth volume create, ls, inspect, rm, prune: docker's volume commands
 * (cli/command/volume and cli/command/formatter/volume.go), one request
 * each, printed as docker prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "units.h"

/* ---- create ---- */

static const struct berth_cmd_info create_info = {
	"[OPTIONS] [VOLUME]",
	"Create a volume",
	"  -d, --driver string   Specify volume driver name (default \"local\")\n"
	"      --label list      Set metadata for a volume\n"
	"  -o, --opt map         Set driver specific options (default map[])\n",
};

/* "key=value" (or "key", an empty value) into map, as docker's MapOpts and
 * ConvertKVStringsToMap do. */
static int add_kv(json_t *map, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = strndup(arg, eq ? (size_t) (eq - arg) : strlen(arg));
	if (!key || json_object_set_new(map, key, json_string(eq ? eq + 1 : "")) < 0)
		return -ENOMEM;
	return 0;
}

static int create_volume(struct berth_cli *cli, json_t *body, struct berth_error *err)
{
	_cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
	_cleanup_json_ json_t *vol = NULL;
	struct berth_client *c;
	if (!text)
		return berth_error_sys(err, ENOMEM, "volume create");
	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_client_do_json(c,
					 &(struct berth_request){ .method = "POST",
								  .path = "/volumes/create",
								  .body = text,
								  .body_len = strlen(text) },
					 &vol, err);
	if (r == 0)
		printf("%s\n", berth_output_str(vol, "Name"));
	return r;
}

int berth_cmd_volume_create(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "driver", required_argument, NULL, 'd' }, { "label", required_argument, NULL, 'l' },
		{ "opt", required_argument, NULL, 'o' },    { "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *labels = json_object(), *opts = json_object(), *body = json_object();
	const char *driver = "local", *name = "";
	int c;

	if (!labels || !opts || !body)
		return berth_cli_fail(&(struct berth_error){ ENOMEM, "out of memory" });
	while ((c = berth_cli_getopt(cli, &create_info, argc, argv, ":d:o:h", longopts)) != -1) {
		switch (c) {
		case 'd':
			driver = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'l':
			if (strspn(optarg, " \t\n") >= strcspn(optarg, "="))
				return berth_cli_flag_error(cli, &create_info,
							    "invalid argument \"%s\" for \"--label\" flag: invalid label "
							    "'%s': empty name",
							    optarg, optarg);
			if (add_kv(labels, optarg) < 0)
				return berth_cli_fail(&(struct berth_error){ ENOMEM, "out of memory" });
			break;
		case 'o':
			if (add_kv(opts, optarg) < 0)
				return berth_cli_fail(&(struct berth_error){ ENOMEM, "out of memory" });
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return berth_cli_usage_error(cli, &create_info, 1, "'%s' requires at most 1 argument", cli->cmd_path);
	if (optind < argc && *name) {
		berth_error_set(&err, EINVAL,
				"conflicting options: cannot specify a volume-name through both --name and as a "
				"positional arg");
		return berth_cli_fail(&err);
	}
	if (optind < argc)
		name = argv[optind];
	/* docker's CreateOptions, empty maps left out */
	json_object_set_new(body, "Driver", json_string(driver));
	if (json_object_size(opts))
		json_object_set(body, "DriverOpts", opts);
	if (json_object_size(labels))
		json_object_set(body, "Labels", labels);
	json_object_set_new(body, "Name", json_string(name));
	if (create_volume(cli, body, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- ls ---- */

static const struct berth_cmd_info ls_info = {
	"[OPTIONS]",
	"List volumes",
	"  -f, --filter filter   Provide filter values (e.g. \"dangling=true\")\n"
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -q, --quiet           Only display volume names\n",
};

#define VOLUME_TABLE "table {{.Driver}}\t{{.Name}}"

/* sortorder.NaturalLess, as docker sorts the list: runs of digits compare
 * as numbers (then fewer leading zeros first), the rest bytewise, digits
 * before other characters. */
static bool natural_less(const char *a, const char *b)
{
	size_t i = 0, j = 0, la = strlen(a), lb = strlen(b);
	while (i < la && j < lb) {
		bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
		if (da != db)
			return da;
		if (!da) {
			if (a[i] != b[j])
				return (unsigned char) a[i] < (unsigned char) b[j];
			i++, j++;
			continue;
		}
		while (i < la && a[i] == '0')
			i++;
		while (j < lb && b[j] == '0')
			j++;
		size_t nza = i, nzb = j;
		while (i < la && a[i] >= '0' && a[i] <= '9')
			i++;
		while (j < lb && b[j] >= '0' && b[j] <= '9')
			j++;
		if (i - nza != j - nzb)
			return i - nza < j - nzb;
		int cmp = strncmp(a + nza, b + nzb, i - nza);
		if (cmp != 0)
			return cmp < 0;
		if (nza != nzb)
			return nza < nzb;
	}
	return la - i < lb - j;
}

static int by_name(const void *x, const void *y)
{
	const char *a = berth_output_str(*(json_t *const *) x, "Name");
	const char *b = berth_output_str(*(json_t *const *) y, "Name");
	return natural_less(a, b) ? -1 : natural_less(b, a) ? 1 : 0;
}

/* docker's volumeContext: every field a string. */
static int add_volume_row(json_t *rows, json_t *v)
{
	json_t *row = json_object(), *usage = json_object_get(v, "UsageData");
	_cleanup_free_ char *labels = NULL;
	size_t len = 0, n = 0;
	FILE *mem = open_memstream(&labels, &len);
	const char *key;
	json_t *value;
	char links[32] = "N/A", size[BERTH_UNITS_MAX] = "N/A";
	if (!row || !mem) {
		if (mem)
			fclose(mem);
		json_decref(row);
		return -ENOMEM;
	}
	json_object_foreach(json_object_get(v, "Labels"), key, value)
		fprintf(mem, "%s%s=%s", n++ ? "," : "", key, json_string_value(value) ?: "");
	fclose(mem);
	if (json_is_object(usage)) {
		snprintf(links, sizeof(links), "%lld", (long long) berth_output_int(usage, "RefCount"));
		berth_units_human_size((double) berth_output_int(usage, "Size"), size);
	}
	berth_output_set_str(row, "Availability", "N/A");
	berth_output_set_str(row, "Driver", berth_output_str(v, "Driver"));
	berth_output_set_str(row, "Group", "N/A");
	berth_output_set_str(row, "Labels", labels ? labels : "");
	berth_output_set_str(row, "Links", links);
	berth_output_set_str(row, "Mountpoint", berth_output_str(v, "Mountpoint"));
	berth_output_set_str(row, "Name", berth_output_str(v, "Name"));
	berth_output_set_str(row, "Scope", berth_output_str(v, "Scope"));
	berth_output_set_str(row, "Size", size);
	berth_output_set_str(row, "Status", "N/A");
	return json_array_append_new(rows, row) < 0 ? -ENOMEM : 0;
}

static int list_volumes(struct berth_cli *cli, json_t *filters, bool quiet, const char *format, struct berth_error *err)
{
	static const char *const header[][2] = {
		{ "ID", "ID" },		   { "Name", "VOLUME NAME" },	 { "Group", "GROUP" },
		{ "Driver", "DRIVER" },	   { "Scope", "SCOPE" },	 { "Availability", "AVAILABILITY" },
		{ "Mountpoint", "MOUNTPOINT" }, { "Labels", "LABELS" }, { "Links", "LINKS" },
		{ "Size", "SIZE" },	   { "Status", "STATUS" },
	};
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *list = NULL, *rows = json_array();
	_cleanup_json_ json_t *hdr = berth_output_header(header, BERTH_ARRAY_SIZE(header));
	struct berth_client *c;
	berth_path_init(&p, "/volumes");
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path || !rows || !hdr)
		return berth_error_sys(err, ENOMEM, "volume ls");
	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_client_do_json(c, &(struct berth_request){ .path = path }, &list, err);
	if (r < 0)
		return r;
	json_t *vols = json_object_get(list, "Volumes");
	size_t n = json_array_size(vols);
	_cleanup_free_ json_t **sorted = calloc(n + 1, sizeof(*sorted));
	if (!sorted)
		return berth_error_sys(err, ENOMEM, "volume ls");
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(vols, i);
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (size_t i = 0; i < n; i++)
		if (add_volume_row(rows, sorted[i]) < 0)
			return berth_error_sys(err, ENOMEM, "volume ls");
	if (!format || !*format || !strcmp(format, "table"))
		format = quiet ? "{{.Name}}" : VOLUME_TABLE;
	else if (!strcmp(format, "raw"))
		format = quiet ? "name: {{.Name}}" : "name: {{.Name}}\\ndriver: {{.Driver}}\\n";
	return berth_output_list(stdout, format, VOLUME_TABLE, hdr, rows, err);
}

int berth_cmd_volume_ls(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", optional_argument, NULL, 'q' },  { "filter", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { "cluster", optional_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	bool quiet = false, cluster = false;
	const char *format = NULL;
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, &ls_info, argc, argv, ":qf:h", longopts)) != -1) {
		switch (c) {
		case 'q':
			r = berth_cli_parse_bool(cli, &ls_info, "-q, --quiet", optarg, &quiet);
			break;
		case 'C':
			r = berth_cli_parse_bool(cli, &ls_info, "--cluster", optarg, &cluster);
			break;
		case 'f':
			if (berth_cli_filter_flag(cli, &ls_info, "-f, --filter", filters, optarg) != 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'F':
			format = optarg;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &ls_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	if (!filters || list_volumes(cli, filters, quiet, format, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- inspect ---- */

static const struct berth_cmd_info inspect_info = {
	"[OPTIONS] VOLUME [VOLUME...]",
	"Display detailed information on one or more volumes",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n",
};

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every volume's document (the daemon's text, kept as it came), then the
 * errors, as docker's inspect does. */
static int inspect_volumes(struct berth_client *client, char **names, size_t count, const char *format)
{
	struct berth_error err = { 0 };
	char **docs = calloc(count, sizeof(*docs)), **errors = calloc(count, sizeof(*errors));
	size_t *lens = calloc(count, sizeof(*lens)), n = 0, n_errors = 0;
	int status = 0;
	for (size_t i = 0; docs && errors && lens && i < count; i++) {
		_cleanup_path_ struct berth_path p = { 0 };
		struct berth_response resp = { 0 };
		berth_path_init(&p, "/volumes/");
		berth_path_segment(&p, names[i]);
		const char *path = berth_path_get(&p, &err);
		if (path && berth_client_do(client, &(struct berth_request){ .path = path }, &resp, &err) >= 0) {
			docs[n] = resp.body;
			lens[n++] = resp.len;
			continue;
		}
		berth_response_clear(&resp);
		errors[n_errors++] = strdup(err.msg);
		if (err.code == ECONNREFUSED || err.code == EACCES)
			break; /* the next ones would fail the same way */
	}
	if (!docs || !errors || !lens)
		status = berth_cli_fail(&(struct berth_error){ ENOMEM, "out of memory" });
	else if (berth_output_inspect(stdout, format, docs, lens, n, &err) < 0)
		status = berth_cli_fail(&err);
	fflush(stdout);
	for (size_t i = 0; i < n_errors; i++) {
		fprintf(stderr, "%s\n", errors[i] ? errors[i] : "out of memory");
		status = 1;
	}
	free_strings(docs, n);
	free_strings(errors, n_errors);
	free(lens);
	return status;
}

int berth_cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	const char *format = NULL;
	struct berth_client *client;
	int c;

	while ((c = berth_cli_getopt(cli, &inspect_info, argc, argv, ":f:h", longopts)) != -1) {
		if (c == 'f')
			format = optarg;
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_usage_error(cli, &inspect_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (berth_cli_client(cli, &client, &err) < 0)
		return berth_cli_fail(&err);
	return inspect_volumes(client, argv + optind, (size_t) (argc - optind), format);
}

/* ---- rm ---- */

static const struct berth_cmd_info rm_info = {
	"[OPTIONS] VOLUME [VOLUME...]",
	"Remove one or more volumes. You cannot remove a volume that is in use by a container.",
	"  -f, --force   Force the removal of one or more volumes\n",
};

static int remove_volume(struct berth_client *c, const char *name, bool force, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, "/volumes/");
	berth_path_segment(&p, name);
	if (force)
		berth_path_query(&p, "force", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do_json(c, &(struct berth_request){ .method = "DELETE", .path = path }, NULL, err);
}

int berth_cmd_volume_rm(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", optional_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	struct berth_client *client;
	bool force = false;
	int c, failures = 0;

	while ((c = berth_cli_getopt(cli, &rm_info, argc, argv, ":fh", longopts)) != -1) {
		if (c != 'f')
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (berth_cli_parse_bool(cli, &rm_info, "-f, --force", optarg, &force) < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_usage_error(cli, &rm_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (berth_cli_client(cli, &client, &err) < 0)
		return berth_cli_fail(&err);
	/* as docker: every name is tried, the errors reported at the end */
	_cleanup_free_ char *errors = NULL;
	size_t errors_len = 0;
	FILE *mem = open_memstream(&errors, &errors_len);
	if (!mem)
		return berth_cli_fail(&(struct berth_error){ ENOMEM, "out of memory" });
	for (int i = optind; i < argc; i++) {
		if (remove_volume(client, argv[i], force, &err) < 0) {
			fprintf(mem, "%s%s", failures++ ? "\n" : "", err.msg);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	fclose(mem);
	if (failures == 0)
		return 0;
	fflush(stdout);
	fprintf(stderr, "%s\n", errors);
	return 1;
}

/* ---- prune ---- */

static const struct berth_cmd_info prune_info = {
	"[OPTIONS]",
	"Remove unused local volumes",
	"  -a, --all             Remove all unused volumes, not just anonymous ones\n"
	"      --filter filter   Provide filter values (e.g. \"label=<label>\")\n"
	"  -f, --force           Do not prompt for confirmation\n",
};

/* "1.41" -> 141 */
static int api_number(const char *v)
{
	unsigned major = 0, minor = 0;
	return sscanf(v, "%u.%u", &major, &minor) == 2 ? (int) (major * 100 + minor) : 0;
}

static int prune_volumes(struct berth_cli *cli, bool all, bool force, json_t *filters, struct berth_error *err)
{
	static const char anonymous_warning[] = "WARNING! This will remove anonymous local volumes not used by at "
						"least one container.\nAre you sure you want to continue?";
	static const char all_warning[] = "WARNING! This will remove all local volumes not used by at least one "
					  "container.\nAre you sure you want to continue?";
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *report = NULL;
	struct berth_client *c;
	const char *version;
	json_t *name;
	size_t i;
	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_client_api_version(c, &version, err);
	if (r < 0)
		return r;
	/* before API 1.42 the daemon prunes named volumes too: no --all */
	bool old_api = api_number(version) < 142;
	if (all && old_api)
		return berth_error_set(err, EINVAL, "\"--all\" requires API version 1.42, but the berth daemon API "
						    "version is %s",
				       version);
	if (all && json_object_get(filters, "all"))
		return berth_error_set(err, EINVAL, "conflicting options: cannot specify both --all and --filter all=1");
	if (all && berth_cli_filter_add_value(filters, "all", "true", err) < 0)
		return -err->code;
	if (!force && !berth_output_confirm(stdin, stdout, all || old_api ? all_warning : anonymous_warning))
		return 0;
	berth_path_init(&p, "/volumes/prune");
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	r = berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, &report, err);
	if (r < 0)
		return r;
	json_t *deleted = json_object_get(report, "VolumesDeleted");
	uint64_t reclaimed = 0;
	if (json_array_size(deleted) > 0) {
		printf("Deleted Volumes:\n");
		json_array_foreach(deleted, i, name) printf("%s\n", json_string_value(name) ?: "");
		printf("\n");
		reclaimed = (uint64_t) berth_output_int(report, "SpaceReclaimed");
	}
	char size[BERTH_UNITS_MAX];
	berth_units_human_size((double) reclaimed, size);
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

int berth_cmd_volume_prune(struct berth_cli *cli, int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	struct berth_prune_flags f = { .filters = filters };
	int r = filters ? berth_cli_prune_flags(cli, &prune_info, argc, argv, &f) : berth_cli_fail(&err);
	if (r >= 0)
		return r;
	if (prune_volumes(cli, f.all, f.force, filters, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
