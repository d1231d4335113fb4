/* berth image inspect / inspect and berth history: an image's documents,
 * printed as docker prints them (cli/command/image/inspect.go, history.go,
 * formatter_history.go).
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
#include "units.h"

/* ---- image inspect ---- */

static const struct berth_cmd_info inspect_info = {
	"[OPTIONS] IMAGE [IMAGE...]",
	"Display detailed information on one or more images",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"      --type string     Only inspect objects of the given type (berth: \"image\")\n",
};

static void free_docs(char **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	free(docs);
}

int berth_cmd_image_inspect(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "type", required_argument, NULL, 't' },
		{ "size", optional_argument, NULL, 's' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	const char *format = NULL;
	struct berth_client *client;
	int c, status = 0;

	while ((c = berth_cli_getopt(cli, &inspect_info, argc, argv, ":f:sh", longopts)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 't':
			if (strcmp(optarg, "image") != 0) {
				berth_error_set(&err, EINVAL,
						"berth inspect: only images can be inspected (--type image), not \"%s\"",
						optarg);
				return berth_cli_fail(&err);
			}
			break;
		case 's':
			break; /* container sizes: nothing to do for images */
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return berth_cli_usage_error(cli, &inspect_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (berth_cli_client(cli, &client, &err) < 0)
		return berth_cli_fail(&err);

	size_t n = 0, cap = (size_t) (argc - optind);
	char **docs = calloc(cap, sizeof(*docs));
	size_t *lens = calloc(cap, sizeof(*lens));
	char **errors = calloc(cap, sizeof(*errors));
	size_t n_errors = 0;
	if (!docs || !lens || !errors) {
		free(docs);
		free(lens);
		free(errors);
		berth_error_sys(&err, ENOMEM, "inspect");
		return berth_cli_fail(&err);
	}
	for (int i = optind; i < argc; i++) {
		_cleanup_path_ struct berth_path p = { 0 };
		struct berth_response resp = { 0 };
		berth_path_init(&p, "/images/");
		berth_path_segment(&p, argv[i]);
		berth_path_append(&p, "/json");
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
	if (berth_output_inspect(stdout, format, docs, lens, n, &err) < 0)
		status = berth_cli_fail(&err);
	fflush(stdout);
	for (size_t i = 0; i < n_errors; i++) {
		fprintf(stderr, "%s\n", errors[i] ? errors[i] : "out of memory");
		status = 1;
	}
	free_docs(docs, n);
	free_docs(errors, n_errors);
	free(lens);
	return status;
}

/* ---- history ---- */

static const struct berth_cmd_info history_info = {
	"[OPTIONS] IMAGE",
	"Show the history of an image",
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -H, --human           Print sizes and dates in human readable format (default true)\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only show image IDs\n",
};

#define HISTORY_TABLE "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
#define HISTORY_TABLE_NON_HUMAN "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
/* 2000-01-01T00:00:00Z: older creation times are not shown as "N years ago" */
#define HISTORY_EPOCH INT64_C(946684800)

static int add_history_row(json_t *rows, json_t *h, bool human, bool trunc)
{
	char at[BERTH_UNITS_MAX], since[BERTH_UNITS_MAX], size[BERTH_UNITS_MAX], id[BERTH_SHORT_ID_LEN + 1];
	int64_t created = berth_output_int(h, "Created"), sz = berth_output_int(h, "Size");
	_cleanup_free_ char *by = strdup(berth_output_str(h, "CreatedBy")), *cut = NULL;
	json_t *row = json_object();

	if (!row || !by)
		return -ENOMEM;
	for (char *s = by; *s; s++)
		if (*s == '\t')
			*s = ' ';
	if (trunc && !(cut = berth_units_ellipsis(by, 45)))
		return -ENOMEM;
	berth_units_format_time(created, 0, BERTH_TIME_RFC3339, false, at);
	if (!human)
		snprintf(since, sizeof(since), "%s", at);
	else if (created <= HISTORY_EPOCH)
		since[0] = '\0';
	else
		berth_units_since(created, (int64_t) time(NULL), since);
	if (human)
		berth_units_human_size_precision((double) sz, 3, size);
	else
		snprintf(size, sizeof(size), "%lld", (long long) sz);
	berth_units_short_id(berth_output_str(h, "Id"), id);

	berth_output_set_str(row, "Comment", berth_output_str(h, "Comment"));
	berth_output_set_str(row, "CreatedAt", at);
	berth_output_set_str(row, "CreatedBy", trunc ? cut : by);
	berth_output_set_str(row, "CreatedSince", since);
	berth_output_set_str(row, "ID", trunc ? id : berth_output_str(h, "Id"));
	berth_output_set_str(row, "Size", size);
	return json_array_append_new(rows, row) < 0 ? -ENOMEM : 0;
}

static int show_history(struct berth_cli *cli, const char *image, const char *format, bool human, bool quiet,
			bool trunc, struct berth_error *err)
{
	static const char *const header[][2] = {
		{ "ID", "IMAGE" },	   { "CreatedSince", "CREATED" }, { "CreatedAt", "CREATED AT" },
		{ "CreatedBy", "CREATED BY" }, { "Size", "SIZE" },	      { "Comment", "COMMENT" },
	};
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *list = NULL, *rows = json_array();
	_cleanup_json_ json_t *hdr = berth_output_header(header, BERTH_ARRAY_SIZE(header));
	struct berth_client *c;
	json_t *h;
	size_t i;

	berth_path_init(&p, "/images/");
	berth_path_segment(&p, image);
	berth_path_append(&p, "/history");
	const char *path = berth_path_get(&p, err);
	if (!path || !rows || !hdr)
		return berth_error_sys(err, ENOMEM, "history");
	int r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;
	r = berth_client_do_json(c, &(struct berth_request){ .path = path }, &list, err);
	if (r < 0)
		return r;
	json_array_foreach(list, i, h)
	{
		if (add_history_row(rows, h, human, trunc) < 0)
			return berth_error_sys(err, ENOMEM, "history");
	}
	const char *deflt = human ? HISTORY_TABLE : HISTORY_TABLE_NON_HUMAN;
	if (!format || !*format || !strcmp(format, "table"))
		format = quiet ? "{{.ID}}" : deflt;
	return berth_output_list(stdout, format, deflt, hdr, rows, err);
}

int berth_cmd_history(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "human", optional_argument, NULL, 'H' },   { "quiet", optional_argument, NULL, 'q' },
		{ "no-trunc", optional_argument, NULL, 'n' }, { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },	      { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	bool human = true, quiet = false, no_trunc = false;
	const char *format = NULL;
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, &history_info, argc, argv, ":H::qh", longopts)) != -1) {
		switch (c) {
		case 'H':
			r = berth_cli_parse_bool(cli, &history_info, "-H, --human", optarg, &human);
			break;
		case 'q':
			r = berth_cli_parse_bool(cli, &history_info, "-q, --quiet", optarg, &quiet);
			break;
		case 'n':
			r = berth_cli_parse_bool(cli, &history_info, "--no-trunc", optarg, &no_trunc);
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
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &history_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	if (show_history(cli, argv[optind], format, human, quiet, !no_trunc, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
