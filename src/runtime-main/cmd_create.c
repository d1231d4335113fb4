/* create and run. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "run.h"

enum { OPT_BUNDLE = 'b', OPT_CONSOLE = 1000, OPT_PIDFILE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE, OPT_DETACH = 'd',
       OPT_KEEP = 1100, OPT_NOSUBREAPER };

static const struct option create_options[] = {
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE },
	{ "pid-file", required_argument, NULL, OPT_PIDFILE },
	{ "no-pivot", no_argument, NULL, OPT_NOPIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "no-subreaper", no_argument, NULL, OPT_NOSUBREAPER },
	{ NULL, 0, NULL, 0 },
};

struct create_args {
	struct berth_run_opts run;
	bool is_run;
};

static int create_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct create_args *a = ctx;
	struct berth_create_opts *o = &a->run.create;

	switch (opt) {
	case OPT_BUNDLE:
		o->bundle = arg;
		return 0;
	case OPT_CONSOLE:
		o->console_socket = arg;
		return 0;
	case OPT_PIDFILE:
		o->pid_file = arg;
		return 0;
	case OPT_NOPIVOT:
		o->no_pivot = true;
		return 0;
	case OPT_NOKEYRING:
		o->no_new_keyring = true;
		return 0;
	case OPT_PRESERVE:
		return cli_parse_int("--preserve-fds", arg, 0, 65536, &o->preserve_fds, err);
	case OPT_DETACH:
	case OPT_KEEP:
	case OPT_NOSUBREAPER:
		if (!a->is_run)
			return berth_error_set(err, EINVAL, "create: unknown option");
		if (opt == OPT_DETACH)
			a->run.detach = true;
		else if (opt == OPT_KEEP)
			a->run.keep = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse(struct cli *cli, int argc, char **argv, struct create_args *a, struct berth_error *err)
{
	const char *cmd = a->is_run ? "run" : "create";
	int first;

	a->run.create.root = cli->root;
	a->run.create.console_fd = -1;
	first = cli_parse(argc, argv, cmd, create_options, create_option, a, err);
	if (first < 0)
		return first;
	return cli_one_id(argc, argv, first, cmd, &a->run.create.id, err);
}

static int cmd_create(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	struct create_args a = { .is_run = false };
	struct berth_created created;
	int r;

	if ((r = parse(cli, argc, argv, &a, err)) < 0)
		return r;
	return berth_container_create(&a.run.create, &created, err);
}

static int cmd_run(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	struct create_args a = { .is_run = true };
	int r;

	if ((r = parse(cli, argc, argv, &a, err)) < 0)
		return r;
	r = berth_container_run(&a.run, &cli_exit_code, err);
	if (r < 0)
		cli_exit_code = -1;
	return r;
}

const struct cli_command cli_command_create = { "create", cmd_create,
						"create [--bundle DIR] [--console-socket PATH] [--pid-file FILE] "
						"[--no-pivot] [--no-new-keyring] [--preserve-fds N] ID",
						"create a container; its process waits for start" };
const struct cli_command cli_command_run = { "run", cmd_run,
					     "run [create options] [--detach] [--keep] ID",
					     "create and start a container, wait for it, delete it" };
