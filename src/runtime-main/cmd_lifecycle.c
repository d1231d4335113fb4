/* start, state, list, kill, delete. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cleanup.h"
#include "container.h"
#include "json.h"
#include "signals.h"

static const struct option no_options[] = { { NULL, 0, NULL, 0 } };

static int no_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	(void) opt, (void) arg, (void) ctx, (void) err;
	return -EINVAL;
}

static int cmd_start(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	const char *id;
	int first = cli_parse(argc, argv, "start", no_options, no_option, NULL, err);

	if (first < 0 || cli_one_id(argc, argv, first, "start", &id, err) < 0)
		return -berth_error_code(err);
	return berth_container_start(cli->root, id, err);
}

static int print_json(json_t *j, struct berth_error *err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "encode JSON");
	printf("%s\n", text);
	return 0;
}

static int cmd_state(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	const char *id;
	int first = cli_parse(argc, argv, "state", no_options, no_option, NULL, err), r;

	if (first < 0 || cli_one_id(argc, argv, first, "state", &id, err) < 0)
		return -berth_error_code(err);
	if ((r = berth_container_state(cli->root, id, &state, err)) < 0)
		return r;
	return print_json(state, err);
}

struct list_args {
	bool json, quiet;
};

static int list_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct list_args *a = ctx;

	if (opt == 'q') {
		a->quiet = true;
		return 0;
	}
	if (opt == 'f') {
		if (strcmp(arg, "json") == 0)
			a->json = true;
		else if (strcmp(arg, "table") != 0)
			return berth_error_set(err, EINVAL, "list: --format must be table or json, not %s", arg);
		return 0;
	}
	return -EINVAL;
}

static void print_table(json_t *list)
{
	size_t i, w_id = 2, w_bundle = 6;
	json_t *c;

	json_array_foreach (list, i, c) {
		size_t a = strlen(json_string_value(json_object_get(c, "id")));
		size_t b = strlen(json_string_value(json_object_get(c, "bundle")));
		w_id = a > w_id ? a : w_id;
		w_bundle = b > w_bundle ? b : w_bundle;
	}
	printf("%-*s   %-8s   %-10s   %-*s   %-30s   %s\n", (int) w_id, "ID", "PID", "STATUS", (int) w_bundle, "BUNDLE",
	       "CREATED", "OWNER");
	json_array_foreach (list, i, c) {
		printf("%-*s   %-8lld   %-10s   %-*s   %-30s   %s\n", (int) w_id,
		       json_string_value(json_object_get(c, "id")), json_integer_value(json_object_get(c, "pid")),
		       json_string_value(json_object_get(c, "status")), (int) w_bundle,
		       json_string_value(json_object_get(c, "bundle")), json_string_value(json_object_get(c, "created")),
		       json_string_value(json_object_get(c, "owner")));
	}
}

static int cmd_list(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *list = NULL;
	struct list_args a = { 0 };
	size_t i;
	json_t *c;
	int first = cli_parse(argc, argv, "list", options, list_option, &a, err), r;

	if (first < 0)
		return first;
	if ((r = berth_container_list(cli->root, &list, err)) < 0)
		return r;
	if (a.quiet) {
		json_array_foreach (list, i, c)
			printf("%s\n", json_string_value(json_object_get(c, "id")));
		return 0;
	}
	if (a.json)
		return print_json(list, err);
	print_table(list);
	return 0;
}

static int kill_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	(void) arg, (void) err;
	if (opt != 'a')
		return -EINVAL;
	*(bool *) ctx = true;
	return 0;
}

static int cmd_kill(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
	bool all = false;
	int sig = 15, first = cli_parse(argc, argv, "kill", options, kill_option, &all, err);

	if (first < 0)
		return first;
	if (first >= argc)
		return berth_error_set(err, EINVAL, "kill: the container id is missing");
	if (argc - first > 2)
		return berth_error_set(err, EINVAL, "kill: expected ID [SIGNAL]");
	if (argc - first == 2 && berth_signal_parse(argv[first + 1], &sig, err) < 0)
		return berth_error_wrap(err, "kill");
	return berth_container_kill(cli->root, argv[first], sig, all, err);
}

static int delete_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	(void) arg, (void) err;
	if (opt != 'f')
		return -EINVAL;
	*(bool *) ctx = true;
	return 0;
}

static int cmd_delete(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	bool force = false;
	const char *id;
	int first = cli_parse(argc, argv, "delete", options, delete_option, &force, err);

	if (first < 0 || cli_one_id(argc, argv, first, "delete", &id, err) < 0)
		return -berth_error_code(err);
	return berth_container_delete(cli->root, id, force, err);
}

const struct cli_command cli_command_start = { "start", cmd_start, "start ID", "start a created container" };
const struct cli_command cli_command_state = { "state", cmd_state, "state ID", "print the state of a container" };
const struct cli_command cli_command_list = { "list", cmd_list, "list [--format table|json] [--quiet]",
					      "list containers" };
const struct cli_command cli_command_kill = { "kill", cmd_kill, "kill [--all] ID [SIGNAL]",
					      "send a signal (default SIGTERM) to a container" };
const struct cli_command cli_command_delete = { "delete", cmd_delete, "delete [--force] ID", "delete a container" };
