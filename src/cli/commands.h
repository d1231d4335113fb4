/* What the berth command's files share: the global options, the client
 * made from them, docker's wording of usage errors, and one entry point per
 * command.
 *
 * A command is `int berth_cmd_X(struct berth_cli *cli, int argc, char **argv)`
 * with argv[0] its own name; it parses its options with getopt_long (docker's
 * flag names, interspersed with the arguments as cobra allows), calls the
 * API, prints, and returns the exit status: 0, 1 for a failure, 125 for a
 * bad flag (docker's status for it).
 */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "client.h"
#include "error.h"

#define BERTH_EXIT_USAGE 125

/* What berth_cli_getopt returns besides an option: a usage error was
 * printed (exit BERTH_EXIT_USAGE), or the help was (exit 0). */
#define BERTH_GETOPT_USAGE (-2)
#define BERTH_GETOPT_HELP (-3)

struct berth_cli {
	const char *host;	/* -H, $DOCKER_HOST, or the default */
	const char *config_dir; /* --config, else NULL ($DOCKER_CONFIG, ~/.docker) */
	bool debug;
	const char *cmd_path; /* "berth image ls": as the user typed it, for messages */
	struct berth_client *client;
};

/* How a command describes itself in usage errors and --help. */
struct berth_cmd_info {
	const char *usage;   /* "[OPTIONS] [REPOSITORY[:TAG]]" */
	const char *summary; /* "List images" */
	const char *options; /* the Options: block of --help, lines indented by two */
};

/* The client for cli->host, made on first use. */
int berth_cli_client(struct berth_cli *cli, struct berth_client **ret, struct berth_error *err);

/* The path of config.json: --config DIR, $DOCKER_CONFIG, ~/.docker. */
int berth_cli_config_path(struct berth_cli *cli, char **ret, struct berth_error *err);

/* Print err's message on stderr; returns 1, the exit status. */
int berth_cli_fail(const struct berth_error *err);

/* "berth: 'berth images' requires at most 1 argument" + usage hint on
 * stderr; returns status. */
int berth_cli_usage_error(struct berth_cli *cli, const struct berth_cmd_info *info, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A bad flag value: "invalid argument ..." + usage hint on stderr, without
 * the "berth: " prefix (docker's wording); returns BERTH_EXIT_USAGE. */
int berth_cli_flag_error(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --help: usage, summary and options on stdout; returns 0. */
int berth_cli_help(struct berth_cli *cli, const struct berth_cmd_info *info);

/* Run getopt_long over a command's arguments with docker's error wording.
 * Returns the option character, -1 at the end, or BERTH_GETOPT_USAGE after
 * printing a usage error.  Every command's option string must start with
 * ':' and its long options include "help" ('h' is handled here: prints the
 * help and returns BERTH_GETOPT_HELP). */
int berth_cli_getopt(struct berth_cli *cli, const struct berth_cmd_info *info, int argc, char **argv,
		     const char *shortopts, const struct option *longopts);

/* Go's strconv.ParseBool for "--flag=value" (NULL: the flag alone, true);
 * BERTH_GETOPT_USAGE after printing docker's message for a bad value. */
int berth_cli_parse_bool(struct berth_cli *cli, const struct berth_cmd_info *info, const char *flag,
			 const char *value, bool *ret);

/* Add "key=value" of a --filter to filters (a JSON object of arrays, the
 * map[string][]string of the API), as docker's FilterOpt: the key is
 * lowercased and both sides trimmed; a value already there is not repeated.
 * -EINVAL with docker's message for a flag without '='. */
int berth_cli_filter_add(json_t *filters, const char *arg, struct berth_error *err);
/* A --filter flag's value added with berth_cli_filter_add: 0, or
 * BERTH_EXIT_USAGE after docker's "invalid argument" message naming flag. */
int berth_cli_filter_flag(struct berth_cli *cli, const struct berth_cmd_info *info, const char *flag, json_t *filters,
			  const char *arg);
/* The flags of every prune command: -a/--all, -f/--force, --filter (into
 * filters, which the caller owns).  -1: go on; otherwise the exit status
 * (0 after --help, BERTH_EXIT_USAGE after a usage error). */
struct berth_prune_flags {
	bool all, force;
	json_t *filters;
};
int berth_cli_prune_flags(struct berth_cli *cli, const struct berth_cmd_info *info, int argc, char **argv,
			  struct berth_prune_flags *f);
/* Add one key and value as they are. */
int berth_cli_filter_add_value(json_t *filters, const char *key, const char *value, struct berth_error *err);

/* The commands. */
int berth_cmd_images(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_image_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_history(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_tag(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_image_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_system_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_pull(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_login(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_logout(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_version(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_info(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_events(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_ls(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_run(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_start(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_stop(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_kill(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_restart(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_wait(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_attach(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_exec(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_ps(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_logs(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_container_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_stats(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_update(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_system_df(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_container_prune(struct berth_cli *cli, int argc, char **argv);
/* POST /containers/NAME/ACTION (query: key, value pairs, NULL-ended) for
 * argv[optind..argc): each name printed as it is done, the daemon's errors
 * after, as docker does; returns the exit status. */
int berth_cli_each_container(struct berth_cli *cli, const char *action, const char *const *query, int argc,
			     char **argv);
int berth_cmd_pause(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_unpause(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rename(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_top(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_import(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_export(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_diff(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_cp(struct berth_cli *cli, int argc, char **argv);
