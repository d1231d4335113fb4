/* berth pause, unpause, rename and top, worded as the docker CLI words them
 * (cli/command/container/pause.go, unpause.go, rename.go, top.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "tabwriter.h"

static const struct berth_cmd_info pause_info = {
	"CONTAINER [CONTAINER...]",
	"Pause all processes within one or more containers",
	"",
};

static const struct berth_cmd_info unpause_info = {
	"CONTAINER [CONTAINER...]",
	"Unpause all processes within one or more containers",
	"",
};

static int no_options(struct berth_cli *cli, const struct berth_cmd_info *info, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = berth_cli_getopt(cli, info, argc, argv, ":h", longopts)) != -1)
		return c == BERTH_GETOPT_HELP ? BERTH_GETOPT_HELP : BERTH_GETOPT_USAGE;
	return 0;
}

static int pause_or_unpause(struct berth_cli *cli, const struct berth_cmd_info *info, const char *action, int argc,
			    char **argv)
{
	int r = no_options(cli, info, argc, argv);
	if (r != 0)
		return r == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (argc - optind < 1)
		return berth_cli_usage_error(cli, info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	return berth_cli_each_container(cli, action, NULL, argc, argv);
}

int berth_cmd_pause(struct berth_cli *cli, int argc, char **argv)
{
	return pause_or_unpause(cli, &pause_info, "/pause", argc, argv);
}

int berth_cmd_unpause(struct berth_cli *cli, int argc, char **argv)
{
	return pause_or_unpause(cli, &unpause_info, "/unpause", argc, argv);
}

/* ---- rename ---- */

static const struct berth_cmd_info rename_info = {
	"CONTAINER NEW_NAME",
	"Rename a container",
	"",
};

int berth_cmd_rename(struct berth_cli *cli, int argc, char **argv)
{
	_cleanup_path_ struct berth_path p = { 0 };
	struct berth_error err = { 0 };
	struct berth_client *c;
	int r = no_options(cli, &rename_info, argc, argv);
	if (r != 0)
		return r == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (argc - optind != 2)
		return berth_cli_usage_error(cli, &rename_info, 1, "'%s' requires 2 arguments", cli->cmd_path);
	const char *old = argv[optind], *name = argv[optind + 1];
	/* the docker CLI's own checks, before asking */
	if (!*old || !*name) {
		berth_error_set(&err, EINVAL, "Error: Neither old nor new names may be empty");
		return berth_cli_fail(&err);
	}
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, old);
	berth_path_append(&p, "/rename");
	berth_path_query(&p, "name", name);
	const char *path = berth_path_get(&p, &err);
	if (!path || berth_cli_client(cli, &c, &err) < 0 ||
	    berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		berth_error_set(&err, EIO, "Error: failed to rename container named %s", old);
		return berth_cli_fail(&err);
	}
	return 0;
}

/* ---- top ---- */

static const struct berth_cmd_info top_info = {
	"CONTAINER [ps OPTIONS]",
	"Display the running processes of a container",
	"",
};

static int top_print(json_t *answer, struct berth_error *err)
{
	/* docker's own writer for top: minwidth 20, padding 3 */
	_cleanup_tabwriter_ struct berth_tabwriter *tw = berth_tabwriter_new_full(stdout, 20, 1, 3, ' ');
	_cleanup_free_ char *text = NULL;
	size_t len = 0, i, j;
	json_t *row, *cell;
	FILE *f = open_memstream(&text, &len);
	if (!tw || !f) {
		if (f)
			fclose(f);
		return berth_error_sys(err, ENOMEM, "top");
	}
	json_array_foreach(json_object_get(answer, "Titles"), i, cell) fprintf(f, "%s%s", i ? "\t" : "",
									     json_string_value(cell));
	fputc('\n', f);
	json_array_foreach(json_object_get(answer, "Processes"), i, row)
	{
		json_array_foreach(row, j, cell) fprintf(f, "%s%s", j ? "\t" : "", json_string_value(cell));
		fputc('\n', f);
	}
	fclose(f);
	int r = berth_tabwriter_write(tw, text, len, err);
	return r < 0 ? r : berth_tabwriter_flush(tw, err);
}

int berth_cmd_top(struct berth_cli *cli, int argc, char **argv)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *answer = NULL;
	_cleanup_free_ char *ps_args = NULL;
	struct berth_error err = { 0 };
	struct berth_client *c;
	/* the ps options are the container's arguments: stop at the first one */
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return berth_cli_help(cli, &top_info);
	if (argc < 2)
		return berth_cli_usage_error(cli, &top_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	size_t len = 0;
	FILE *f = open_memstream(&ps_args, &len);
	if (!f)
		return berth_cli_fail(&err);
	for (int i = 2; i < argc; i++)
		fprintf(f, "%s%s", i > 2 ? " " : "", argv[i]);
	fclose(f);
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, argv[1]);
	berth_path_append(&p, "/top");
	if (argc > 2)
		berth_path_query(&p, "ps_args", ps_args);
	const char *path = berth_path_get(&p, &err);
	if (!path || berth_cli_client(cli, &c, &err) < 0 ||
	    berth_client_do_json(c, &(struct berth_request){ .path = path }, &answer, &err) < 0 ||
	    top_print(answer, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
