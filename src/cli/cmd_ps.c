/* berth ps (container ls): docker's table of containers and its --format
 * fields (cli/command/container/list.go, formatter/container.go): the
 * COMMAND quoted and cut to 20 columns, CREATED as "N seconds ago", the
 * STATUS as the daemon words it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "reference.h"
#include "runopts.h"
#include "units.h"

#define PS_TABLE "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

static const struct berth_cmd_info ps_info = {
	"[OPTIONS]",
	"List containers",
	"  -a, --all             Show all containers (default shows just running)\n"
	"  -f, --filter filter   Filter output based on conditions provided\n"
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -n, --last int        Show n last created containers (includes all states) (default -1)\n"
	"  -l, --latest          Show the latest created container (includes all states)\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only display container IDs\n"
	"  -s, --size            Display total file sizes\n",
};

struct ps_opts {
	bool all, latest, no_trunc, quiet, size;
	int64_t last;
	const char *format;
	json_t *filters;
};

/* ---- the fields ---- */

/* Go's strconv.Quote, for the text docker's commands hold. */
static char *go_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * n + 3), *o = out;
	if (!out)
		return NULL;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		const char *esc = c == '"'    ? "\\\""
				  : c == '\\' ? "\\\\"
				  : c == '\n' ? "\\n"
				  : c == '\t' ? "\\t"
				  : c == '\r' ? "\\r"
				  : c == '\a' ? "\\a"
				  : c == '\b' ? "\\b"
				  : c == '\f' ? "\\f"
				  : c == '\v' ? "\\v"
					      : NULL;
		if (esc)
			o += sprintf(o, "%s", esc);
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* The IMAGE column: a short ID for an image given by ID, the name without
 * its digest, "<no image>". */
static void image_field(json_t *c, bool trunc, char out[BERTH_REFERENCE_MAX])
{
	const char *image = berth_output_str(c, "Image");
	char a[BERTH_SHORT_ID_LEN + 1], b[BERTH_SHORT_ID_LEN + 1];
	_cleanup_reference_ struct berth_reference *ref = NULL;
	struct berth_error ignored = { 0 };

	snprintf(out, BERTH_REFERENCE_MAX, "%s", *image ? image : "<no image>");
	if (!*image || !trunc)
		return;
	berth_units_short_id(berth_output_str(c, "ImageID"), a);
	berth_units_short_id(image, b);
	if (!strcmp(a, b)) {
		snprintf(out, BERTH_REFERENCE_MAX, "%s", a);
		return;
	}
	if (berth_reference_parse(image, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, &ignored) < 0)
		return;
	if (ref->digest)
		berth_reference_set_digest(ref, NULL, &ignored);
	berth_reference_familiar_string(ref, out);
}

static void names_field(json_t *c, bool trunc, FILE *f)
{
	json_t *v;
	size_t i;
	bool first = true;
	json_array_foreach(json_object_get(c, "Names"), i, v)
	{
		const char *n = json_string_value(v) ? json_string_value(v) : "";
		n += *n == '/';
		if (trunc) {
			if (!strchr(n, '/')) {
				fputs(n, f);
				return;
			}
			continue;
		}
		fprintf(f, "%s%s", first ? "" : ",", n);
		first = false;
	}
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* "k=v" of each label, or each key of an object, sorted, joined by ','. */
static void joined_keys(json_t *obj, bool with_values, FILE *f)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	char **items = calloc(json_object_size(obj) + 1, sizeof(*items));
	if (!items)
		return;
	json_object_foreach(obj, k, v)
	{
		if (with_values ? asprintf(&items[n], "%s=%s", k, json_string_value(v) ? json_string_value(v) : "") >= 0
				: (items[n] = strdup(k)) != NULL)
			n++;
	}
	qsort(items, n, sizeof(*items), compare_strings);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s", i ? "," : "", items[i]);
		free(items[i]);
	}
	free(items);
}

static void mounts_fields(json_t *c, bool trunc, FILE *names, int *local)
{
	json_t *m;
	size_t i;
	*local = 0;
	json_array_foreach(json_object_get(c, "Mounts"), i, m)
	{
		const char *name =
			*berth_output_str(m, "Name") ? berth_output_str(m, "Name") : berth_output_str(m, "Source");
		_cleanup_free_ char *cut = trunc ? berth_units_ellipsis(name, 15) : NULL;
		fprintf(names, "%s%s", i ? "," : "", cut ? cut : name);
		*local += !strcmp(berth_output_str(m, "Driver"), "local");
	}
}

/* docker's DisplayablePorts, for the ports the daemon lists. */
static void ports_field(json_t *c, FILE *f)
{
	json_t *p;
	size_t i;
	bool first = true;
	json_array_foreach(json_object_get(c, "Ports"), i, p)
	{
		const char *ip = berth_output_str(p, "IP"), *type = berth_output_str(p, "Type");
		int64_t priv = berth_output_int(p, "PrivatePort"), pub = berth_output_int(p, "PublicPort");
		bool v6 = strchr(ip, ':') != NULL;
		fputs(first ? "" : ", ", f);
		first = false;
		if (*ip)
			fprintf(f, "%s%s%s:%lld->%lld/%s", v6 ? "[" : "", ip, v6 ? "]" : "", (long long) pub,
				(long long) priv, type);
		else
			fprintf(f, "%lld/%s", (long long) priv, type);
	}
}

/* A field written by fn into a memory stream. */
#define SET_STREAMED(row, key, stmt)                          \
	do {                                                  \
		char *_buf = NULL;                            \
		size_t _len = 0;                              \
		FILE *f = open_memstream(&_buf, &_len);       \
		if (f) {                                      \
			stmt;                                 \
			fclose(f);                            \
			berth_output_set_str(row, key, _buf); \
		}                                             \
		free(_buf);                                   \
	} while (0)

static int add_row(json_t *rows, json_t *c, bool trunc, int64_t now)
{
	char id[BERTH_SHORT_ID_LEN + 1], image[BERTH_REFERENCE_MAX], at[BERTH_UNITS_MAX], since[BERTH_UNITS_MAX];
	char rw[BERTH_UNITS_MAX], virt[BERTH_UNITS_MAX], size[2 * BERTH_UNITS_MAX + 16], count[16];
	int64_t created = berth_output_int(c, "Created"), rootfs = berth_output_int(c, "SizeRootFs");
	_cleanup_free_ char *cut = trunc ? berth_units_ellipsis(berth_output_str(c, "Command"), 20) : NULL;
	_cleanup_free_ char *command = go_quote(cut ? cut : berth_output_str(c, "Command"));
	json_t *row = json_object();
	int local = 0;

	if (!row || !command || json_array_append_new(rows, row) < 0)
		return -ENOMEM;
	berth_units_short_id(berth_output_str(c, "Id"), id);
	image_field(c, trunc, image);
	berth_units_format_time(created, 0, BERTH_TIME_GO_STRING, false, at);
	berth_units_since(created, now, since);
	berth_units_human_size_precision((double) berth_output_int(c, "SizeRw"), 3, rw);
	berth_units_human_size_precision((double) rootfs, 3, virt);
	snprintf(size, sizeof(size), rootfs > 0 ? "%s (virtual %s)" : "%s", rw, virt);
	berth_output_set_str(row, "Command", command);
	berth_output_set_str(row, "CreatedAt", at);
	berth_output_set_str(row, "ID", trunc ? id : berth_output_str(c, "Id"));
	berth_output_set_str(row, "Image", image);
	SET_STREAMED(row, "Labels", joined_keys(json_object_get(c, "Labels"), true, f));
	SET_STREAMED(row, "Mounts", mounts_fields(c, trunc, f, &local));
	snprintf(count, sizeof(count), "%d", local);
	berth_output_set_str(row, "LocalVolumes", count);
	SET_STREAMED(row, "Names", names_field(c, trunc, f));
	SET_STREAMED(row, "Networks",
		     joined_keys(json_object_get(json_object_get(c, "NetworkSettings"), "Networks"), false, f));
	json_object_set_new(row, "Platform", json_null());
	SET_STREAMED(row, "Ports", ports_field(c, f));
	berth_output_set_str(row, "RunningFor", since);
	berth_output_set_str(row, "Size", size);
	berth_output_set_str(row, "State", berth_output_str(c, "State"));
	berth_output_set_str(row, "Status", berth_output_str(c, "Status"));
	return 0;
}

/* ---- the command ---- */

static int list(struct berth_cli *cli, struct ps_opts *o, struct berth_error *err)
{
	static const char *const header[][2] = {
		{ "ID", "CONTAINER ID" },
		{ "Image", "IMAGE" },
		{ "Command", "COMMAND" },
		{ "CreatedAt", "CREATED AT" },
		{ "RunningFor", "CREATED" },
		{ "Ports", "PORTS" },
		{ "State", "STATE" },
		{ "Status", "STATUS" },
		{ "Size", "SIZE" },
		{ "Names", "NAMES" },
		{ "Labels", "LABELS" },
		{ "Mounts", "MOUNTS" },
		{ "LocalVolumes", "LOCAL VOLUMES" },
		{ "Networks", "NETWORKS" },
		{ "Platform", "PLATFORM" },
	};
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *answer = NULL, *rows = json_array();
	_cleanup_json_ json_t *hdr = berth_output_header(header, BERTH_ARRAY_SIZE(header));
	struct berth_client *c;
	char limit[32];
	json_t *item;
	size_t i;

	const char *format = o->format && *o->format ? o->format : "table";
	bool size = o->size || strstr(format, ".Size");
	if (o->latest && o->last == -1)
		o->last = 1;
	berth_path_init(&p, "/containers/json");
	if (o->all)
		berth_path_query(&p, "all", "1");
	snprintf(limit, sizeof(limit), "%lld", (long long) o->last);
	if (o->last > 0)
		berth_path_query(&p, "limit", limit);
	if (size)
		berth_path_query(&p, "size", "1");
	berth_path_query_json(&p, "filters", o->filters);
	const char *path = berth_path_get(&p, err);
	if (!path || !rows || !hdr)
		return berth_error_sys(err, ENOMEM, "ps");
	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_client_do_json(c, &(struct berth_request){ .path = path }, &answer, err);
	if (r < 0)
		return r;
	int64_t now = (int64_t) time(NULL);
	json_array_foreach(answer, i, item)
	{
		if (add_row(rows, item, !o->no_trunc, now) < 0)
			return berth_error_sys(err, ENOMEM, "ps");
	}
	const char *deflt = o->size ? PS_TABLE "\t{{.Size}}" : PS_TABLE;
	if (!strcmp(format, "table"))
		format = o->quiet ? "{{.ID}}" : deflt;
	return berth_output_list(stdout, format, deflt, hdr, rows, err);
}

static int ps_flag(struct berth_cli *cli, int c, struct ps_opts *o)
{
	struct berth_error e = { 0 };
	switch (c) {
	case 'a':
		return berth_cli_parse_bool(cli, &ps_info, "-a, --all", optarg, &o->all);
	case 'l':
		return berth_cli_parse_bool(cli, &ps_info, "-l, --latest", optarg, &o->latest);
	case 'N':
		return berth_cli_parse_bool(cli, &ps_info, "--no-trunc", optarg, &o->no_trunc);
	case 'q':
		return berth_cli_parse_bool(cli, &ps_info, "-q, --quiet", optarg, &o->quiet);
	case 's':
		return berth_cli_parse_bool(cli, &ps_info, "-s, --size", optarg, &o->size);
	case 'F':
		o->format = optarg;
		return 0;
	case 'f':
		return berth_cli_filter_flag(cli, &ps_info, "-f, --filter", o->filters, optarg) ? -1 : 0;
	case 'n':
		if (berth_runopt_int(optarg, 0, &o->last, &e) < 0) {
			berth_cli_flag_error(cli, &ps_info, "invalid argument \"%s\" for \"-n, --last\" flag: %s",
					     optarg, e.msg);
			return -1;
		}
		return 0;
	default:
		return c == BERTH_GETOPT_HELP ? 1 : -1;
	}
}

int berth_cmd_ps(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", optional_argument, NULL, 'a' },    { "filter", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { "last", required_argument, NULL, 'n' },
		{ "latest", optional_argument, NULL, 'l' }, { "no-trunc", optional_argument, NULL, 'N' },
		{ "quiet", optional_argument, NULL, 'q' },  { "size", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *filters = json_object();
	struct ps_opts o = { .last = -1, .filters = filters };
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &ps_info, argc, argv, ":af:n:lqsh", longopts)) != -1) {
		int r = ps_flag(cli, c, &o); /* 1 after --help */
		if (r != 0)
			return r > 0 ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &ps_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	if (!filters || list(cli, &o, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
