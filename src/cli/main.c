/* berth: a docker-compatible command-line client of the Docker Engine API.
 *
 * This file parses the global options (docker's: -H/--host, --config,
 * -D/--debug, -v/--version...) and hands the rest of the command line to
 * one function per command; the shared helpers for option parsing and
 * docker's wording of usage errors live here too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authfile.h"
#include "berth-config.h"
#include "cleanup.h"
#include "client.h"
#include "commands.h"

/* ---- helpers shared by the commands ---- */

int berth_cli_client(struct berth_cli *cli, struct berth_client **ret, struct berth_error *err)
{
	if (!cli->client) {
		int r = berth_client_new(cli->host, cli->debug, &cli->client, err);
		if (r < 0)
			return r;
	}
	*ret = cli->client;
	return 0;
}

int berth_cli_config_path(struct berth_cli *cli, char **ret, struct berth_error *err)
{
	if (cli->config_dir) {
		_cleanup_free_ char *dir = NULL;
		int r = berth_authfile_dir_from(cli->config_dir, NULL, &dir, err);
		if (r < 0)
			return r;
		if (asprintf(ret, "%s/config.json", dir) < 0)
			return berth_error_sys(err, ENOMEM, "config path");
		return 0;
	}
	return berth_authfile_default_path(ret, err);
}

int berth_cli_fail(const struct berth_error *err)
{
	fflush(stdout);
	fprintf(stderr, "%s\n", err->msg);
	return 1;
}

static void usage_hint(struct berth_cli *cli, const struct berth_cmd_info *info)
{
	fprintf(stderr, "\nUsage:  %s %s\n\nRun '%s --help' for more information\n", cli->cmd_path, info->usage,
		cli->cmd_path);
}

int berth_cli_usage_error(struct berth_cli *cli, const struct berth_cmd_info *info, int status, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "berth: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_hint(cli, info);
	return status;
}

int berth_cli_help(struct berth_cli *cli, const struct berth_cmd_info *info)
{
	printf("\nUsage:  %s %s\n\n%s\n", cli->cmd_path, info->usage, info->summary);
	if (info->options && *info->options)
		printf("\nOptions:\n%s", info->options);
	return 0;
}

static int vflag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int vflag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, va_list ap)
{
	fflush(stdout);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	usage_hint(cli, info);
	return BERTH_EXIT_USAGE;
}

int berth_cli_flag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vflag_error(cli, info, fmt, ap);
	va_end(ap);
	return r;
}

/* the same for getopt's errors */
static int flag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int flag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vflag_error(cli, info, fmt, ap);
	va_end(ap);
	return BERTH_GETOPT_USAGE;
}

int berth_cli_getopt(struct berth_cli *cli, const struct berth_cmd_info *info, int argc, char **argv,
		     const char *shortopts, const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	switch (c) {
	case 'h':
		berth_cli_help(cli, info);
		return BERTH_GETOPT_HELP;
	case '?':
		if (optopt)
			return flag_error(cli, info, "unknown shorthand flag: '%c' in -%c", optopt, optopt);
		return flag_error(cli, info, "unknown flag: %.*s", (int) strcspn(arg, "="), arg);
	case ':':
		if (optopt && !(arg[0] == '-' && arg[1] == '-'))
			return flag_error(cli, info, "flag needs an argument: '%c' in -%c", optopt, optopt);
		return flag_error(cli, info, "flag needs an argument: %s", arg);
	default:
		return c;
	}
}

int berth_cli_parse_bool(struct berth_cli *cli, const struct berth_cmd_info *info, const char *flag,
			 const char *value, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	if (!value) {
		*ret = true;
		return 0;
	}
	if (*value == '=')
		value++; /* "-H=false": getopt leaves the '=' of a short flag */
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
		if (!strcmp(value, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(value, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return flag_error(cli, info, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": "
				     "invalid syntax",
			  value, flag, value);
}

static char *trim_dup(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

int berth_cli_filter_flag(struct berth_cli *cli, const struct berth_cmd_info *info, const char *flag, json_t *filters,
			  const char *arg)
{
	struct berth_error err = { 0 };
	if (berth_cli_filter_add(filters, arg, &err) < 0)
		return berth_cli_flag_error(cli, info, "invalid argument \"%s\" for \"%s\" flag: %s", arg, flag, err.msg);
	return 0;
}

int berth_cli_filter_add(json_t *filters, const char *arg, struct berth_error *err)
{
	const char *eq = strchr(arg, '=');
	if (!*arg)
		return 0;
	if (!eq)
		return berth_error_set(err, EINVAL, "bad format of filter (expected name=value)");
	_cleanup_free_ char *key = trim_dup(arg, (size_t) (eq - arg));
	_cleanup_free_ char *value = trim_dup(eq + 1, strlen(eq + 1));
	if (!key || !value)
		return berth_error_sys(err, ENOMEM, "filter");
	for (char *k = key; *k; k++)
		*k = (char) (*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
	return berth_cli_filter_add_value(filters, key, value, err);
}

int berth_cli_filter_add_value(json_t *filters, const char *key, const char *value, struct berth_error *err)
{
	json_t *values = json_object_get(filters, key), *v;
	size_t i;

	if (!values) {
		values = json_array();
		if (!values || json_object_set_new(filters, key, values) < 0)
			return berth_error_sys(err, ENOMEM, "filter");
	}
	json_array_foreach(values, i, v)
	{
		if (!strcmp(json_string_value(v), value))
			return 0;
	}
	if (json_array_append_new(values, json_string_nocheck(value)) < 0)
		return berth_error_sys(err, ENOMEM, "filter");
	return 0;
}

/* ---- dispatch ---- */

struct command {
	const char *name;
	int (*run)(struct berth_cli *cli, int argc, char **argv);
	const char *summary; /* NULL: an alias, not listed */
};

static const struct command top_commands[] = {
	{ "attach", berth_cmd_attach, "Attach local standard input, output, and error streams to a running container" },
	{ "cp", berth_cmd_cp, "Copy files/folders between a container and the local filesystem" },
	{ "create", berth_cmd_create, "Create a new container" },
	{ "diff", berth_cmd_diff, "Inspect changes to files or directories on a container's filesystem" },
	{ "events", berth_cmd_events, "Get real time events from the server" },
	{ "exec", berth_cmd_exec, "Execute a command in a running container" },
	{ "export", berth_cmd_export, "Export a container's filesystem as a tar archive" },
	{ "history", berth_cmd_history, "Show the history of an image" },
	{ "images", berth_cmd_images, "List images" },
	{ "import", berth_cmd_import, "Import the contents from a tarball to create a filesystem image" },
	{ "info", berth_cmd_info, "Display system-wide information" },
	{ "inspect", berth_cmd_inspect, "Return low-level information on berth objects" },
	{ "kill", berth_cmd_kill, "Kill one or more running containers" },
	{ "login", berth_cmd_login, "Authenticate to a registry" },
	{ "logout", berth_cmd_logout, "Log out from a registry" },
	{ "logs", berth_cmd_logs, "Fetch the logs of a container" },
	{ "pause", berth_cmd_pause, "Pause all processes within one or more containers" },
	{ "ps", berth_cmd_ps, "List containers" },
	{ "pull", berth_cmd_pull, "Download an image from a registry" },
	{ "rename", berth_cmd_rename, "Rename a container" },
	{ "restart", berth_cmd_restart, "Restart one or more containers" },
	{ "rm", berth_cmd_rm, "Remove one or more containers" },
	{ "rmi", berth_cmd_rmi, "Remove one or more images" },
	{ "run", berth_cmd_run, "Create and run a new container from an image" },
	{ "start", berth_cmd_start, "Start one or more stopped containers" },
	{ "stats", berth_cmd_stats, "Display a live stream of container(s) resource usage statistics" },
	{ "stop", berth_cmd_stop, "Stop one or more running containers" },
	{ "tag", berth_cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
	{ "top", berth_cmd_top, "Display the running processes of a container" },
	{ "unpause", berth_cmd_unpause, "Unpause all processes within one or more containers" },
	{ "update", berth_cmd_update, "Update configuration of one or more containers" },
	{ "version", berth_cmd_version, "Show the berth version information" },
	{ "wait", berth_cmd_wait, "Block until one or more containers stop, then print their exit codes" },
};

static const struct command container_commands[] = {
	{ "attach", berth_cmd_attach, "Attach local standard input, output, and error streams to a running container" },
	{ "cp", berth_cmd_cp, "Copy files/folders between a container and the local filesystem" },
	{ "create", berth_cmd_create, "Create a new container" },
	{ "diff", berth_cmd_diff, "Inspect changes to files or directories on a container's filesystem" },
	{ "exec", berth_cmd_exec, "Execute a command in a running container" },
	{ "export", berth_cmd_export, "Export a container's filesystem as a tar archive" },
	{ "inspect", berth_cmd_container_inspect, "Display detailed information on one or more containers" },
	{ "kill", berth_cmd_kill, "Kill one or more running containers" },
	{ "logs", berth_cmd_logs, "Fetch the logs of a container" },
	{ "ls", berth_cmd_ps, "List containers" },
	{ "list", berth_cmd_ps, NULL },
	{ "ps", berth_cmd_ps, NULL },
	{ "pause", berth_cmd_pause, "Pause all processes within one or more containers" },
	{ "prune", berth_cmd_container_prune, "Remove all stopped containers" },
	{ "rename", berth_cmd_rename, "Rename a container" },
	{ "restart", berth_cmd_restart, "Restart one or more containers" },
	{ "rm", berth_cmd_rm, "Remove one or more containers" },
	{ "remove", berth_cmd_rm, NULL },
	{ "run", berth_cmd_run, "Create and run a new container from an image" },
	{ "start", berth_cmd_start, "Start one or more stopped containers" },
	{ "stats", berth_cmd_stats, "Display a live stream of container(s) resource usage statistics" },
	{ "stop", berth_cmd_stop, "Stop one or more running containers" },
	{ "top", berth_cmd_top, "Display the running processes of a container" },
	{ "unpause", berth_cmd_unpause, "Unpause all processes within one or more containers" },
	{ "update", berth_cmd_update, "Update configuration of one or more containers" },
	{ "wait", berth_cmd_wait, "Block until one or more containers stop, then print their exit codes" },
};

static const struct command image_commands[] = {
	{ "history", berth_cmd_history, "Show the history of an image" },
	{ "import", berth_cmd_import, "Import the contents from a tarball to create a filesystem image" },
	{ "inspect", berth_cmd_image_inspect, "Display detailed information on one or more images" },
	{ "ls", berth_cmd_images, "List images" },
	{ "list", berth_cmd_images, NULL },
	{ "prune", berth_cmd_image_prune, "Remove unused images" },
	{ "pull", berth_cmd_pull, "Download an image from a registry" },
	{ "rm", berth_cmd_rmi, "Remove one or more images" },
	{ "remove", berth_cmd_rmi, NULL },
	{ "rmi", berth_cmd_rmi, NULL },
	{ "tag", berth_cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
};

static const struct command system_commands[] = {
	{ "df", berth_cmd_system_df, "Show docker disk usage" },
	{ "events", berth_cmd_events, "Get real time events from the server" },
	{ "info", berth_cmd_info, "Display system-wide information" },
	{ "prune", berth_cmd_system_prune, "Remove unused data" },
};

static const struct command volume_commands[] = {
	{ "create", berth_cmd_volume_create, "Create a volume" },
	{ "inspect", berth_cmd_volume_inspect, "Display detailed information on one or more volumes" },
	{ "ls", berth_cmd_volume_ls, "List volumes" },
	{ "list", berth_cmd_volume_ls, NULL },
	{ "prune", berth_cmd_volume_prune, "Remove unused local volumes" },
	{ "rm", berth_cmd_volume_rm, "Remove one or more volumes" },
	{ "remove", berth_cmd_volume_rm, NULL },
};

struct group {
	const char *name;
	const char *summary;
	const struct command *commands;
	size_t n;
};

static const struct group groups[] = {
	{ "container", "Manage containers", container_commands, BERTH_ARRAY_SIZE(container_commands) },
	{ "image", "Manage images", image_commands, BERTH_ARRAY_SIZE(image_commands) },
	{ "system", "Manage berth", system_commands, BERTH_ARRAY_SIZE(system_commands) },
	{ "volume", "Manage volumes", volume_commands, BERTH_ARRAY_SIZE(volume_commands) },
};

static void list_commands(const struct command *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cmds[i].summary)
			printf("  %-11s %s\n", cmds[i].name, cmds[i].summary);
}

static int main_help(void)
{
	printf("\nUsage:  berth [OPTIONS] COMMAND\n\n"
	       "A docker-compatible client for berth's (or docker's) Engine API\n\n"
	       "Commands:\n");
	list_commands(top_commands, BERTH_ARRAY_SIZE(top_commands));
	printf("\nManagement Commands:\n");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(groups); i++)
		printf("  %-11s %s\n", groups[i].name, groups[i].summary);
	printf("\nGlobal Options:\n"
	       "      --config string      Location of client config files (default \"~/.docker\")\n"
	       "  -D, --debug              Enable debug mode\n"
	       "  -H, --host string        Daemon socket to connect to (default %s)\n"
	       "  -h, --help               Print usage\n"
	       "  -v, --version            Print version information and quit\n\n"
	       "Run 'berth COMMAND --help' for more information on a command.\n",
	       BERTH_CLIENT_DEFAULT_HOST);
	return 0;
}

static int group_help(const struct group *g)
{
	printf("\nUsage:  berth %s COMMAND\n\n%s\n\nCommands:\n", g->name, g->summary);
	list_commands(g->commands, g->n);
	printf("\nRun 'berth %s COMMAND --help' for more information on a command.\n", g->name);
	return 0;
}

static const struct command *find(const struct command *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int run(struct berth_cli *cli, const struct command *cmd, const char *path, int argc, char **argv)
{
	cli->cmd_path = path;
	optind = 0; /* GNU getopt: start over for the command's own options */
	return cmd->run(cli, argc, argv);
}

static int dispatch(struct berth_cli *cli, int argc, char **argv)
{
	static char path[128];
	const struct command *cmd = find(top_commands, BERTH_ARRAY_SIZE(top_commands), argv[0]);

	if (cmd) {
		snprintf(path, sizeof(path), "berth %s", argv[0]);
		return run(cli, cmd, path, argc, argv);
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(groups); i++) {
		const struct group *g = &groups[i];
		if (strcmp(argv[0], g->name) != 0)
			continue;
		if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
			return group_help(g);
		cmd = find(g->commands, g->n, argv[1]);
		if (!cmd) {
			fprintf(stderr, "berth: unknown command: berth %s %s\n\nUsage:  berth %s\n\nRun 'berth %s --help' "
					"for more information\n",
				g->name, argv[1], g->name, g->name);
			return 1;
		}
		snprintf(path, sizeof(path), "berth %s %s", g->name, argv[1]);
		return run(cli, cmd, path, argc - 1, argv + 1);
	}
	fprintf(stderr, "berth: unknown command: berth %s\n\nRun 'berth --help' for more information\n", argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },   { "config", required_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'D' },	    { "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	    { "log-level", required_argument, NULL, 'l' },
		{ "context", required_argument, NULL, 'c' }, { NULL, 0, NULL, 0 },
	};
	struct berth_cli cli = { 0 };
	int c, status;

	cli.host = getenv("DOCKER_HOST");
	if (!cli.host || !*cli.host)
		cli.host = BERTH_CLIENT_DEFAULT_HOST;
	cli.config_dir = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:H:Dvhl:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			cli.host = optarg;
			break;
		case 'C':
			cli.config_dir = optarg;
			break;
		case 'D':
			cli.debug = true;
			break;
		case 'v':
			printf("berth version %s, build %s\n", BERTH_VERSION, BERTH_COMMIT);
			return 0;
		case 'h':
			return main_help();
		case 'l':
		case 'c':
			break; /* accepted for docker compatibility; berth has one log level and no contexts */
		case ':':
			fprintf(stderr, "flag needs an argument: %s\nSee 'berth --help'.\n", argv[optind - 1]);
			return BERTH_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(stderr, "unknown shorthand flag: '%c' in -%c\nSee 'berth --help'.\n", optopt,
					optopt);
			else
				fprintf(stderr, "unknown flag: %s\nSee 'berth --help'.\n", argv[optind - 1]);
			return BERTH_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return main_help();
	if (cli.debug)
		fprintf(stderr, "DEBU host %s\n", cli.host);
	status = dispatch(&cli, argc - optind, argv + optind);
	berth_client_free(cli.client);
	if (fflush(stdout) != 0 && status == 0)
		status = 1;
	return status;
}
