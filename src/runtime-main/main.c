/* berth-runtime: global options, then one command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth-config.h"
#include "cli.h"
#include "log.h"
#include "sealed_exe.h"

int cli_exit_code = -1;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: berth-runtime [global options] COMMAND [options] [args]\n\n"
		"An OCI runtime with runc's command line.\n\nCommands:\n");
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\nGlobal options:\n"
		     "  --root DIR          state directory (default /run/berth-runtime)\n"
		     "  --log FILE          log file (default: stderr)\n"
		     "  --log-format FMT    text or json\n"
		     "  --debug             log debug messages\n"
		     "  --systemd-cgroup    manage cgroups through systemd (not supported)\n"
		     "  --version, -v       print the version\n");
}

static void default_root(struct cli *cli)
{
	static char buf[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		cli->root = "/run/berth-runtime";
	else if (xdg && xdg[0] == '/')
		cli->root = (snprintf(buf, sizeof(buf), "%s/berth-runtime", xdg), buf);
	else
		cli->root = (snprintf(buf, sizeof(buf), "/tmp/berth-runtime-%u", (unsigned) geteuid()), buf);
}

enum { OPT_ROOT = 1000, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU };

struct globals {
	struct cli *cli;
	const char *log_path;
	enum berth_log_format format;
	bool version, help;
};

static int global_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct globals *g = ctx;

	switch (opt) {
	case OPT_ROOT:
		g->cli->root = arg;
		break;
	case OPT_LOG:
		g->log_path = arg;
		break;
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "json") == 0)
			g->format = BERTH_LOG_JSON;
		else if (strcmp(arg, "text") == 0)
			g->format = BERTH_LOG_TEXT;
		else
			return berth_error_set(err, EINVAL, "--log-format: expected text or json, not %s", arg);
		break;
	case OPT_DEBUG:
		g->cli->debug = true;
		break;
	case OPT_SYSTEMD:
		g->cli->systemd_cgroup = true;
		break;
	case OPT_ROOTLESS:
	case OPT_CRIU:
		break; /* accepted for runc compatibility; rootless is detected */
	case 'v':
		g->version = true;
		break;
	case 'h':
		g->help = true;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static void report(const struct berth_error *err)
{
	if (berth_log_fd() >= 0)
		berth_log(BERTH_LOG_ERROR, "%s", err->msg);
	fprintf(stderr, "berth-runtime: %s\n", err->msg);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
		{ "rootless", required_argument, NULL, OPT_ROOTLESS },
		{ "criu", required_argument, NULL, OPT_CRIU },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	struct globals g = { .cli = &cli, .format = BERTH_LOG_TEXT };
	struct berth_error err = { 0 };
	const struct cli_command *cmd = NULL;
	int first, log_fd = -1, r;

	berth_log_setup("berth-runtime", -1, BERTH_LOG_TEXT, BERTH_LOG_WARNING);
	default_root(&cli);
	first = cli_parse(argc, argv, NULL, options, global_option, &g, &err);
	if (first < 0) {
		report(&err);
		return 1;
	}
	if (g.version) {
		printf("berth-runtime version %s\ncommit: %s\nspec: %s\n", BERTH_VERSION, BERTH_COMMIT, BERTH_OCI_VERSION);
		return 0;
	}
	if (g.help || first >= argc) {
		usage(g.help ? stdout : stderr);
		return g.help ? 0 : 1;
	}
	if (g.log_path) {
		log_fd = open(g.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			berth_error_sys(&err, errno, "open log file %s", g.log_path);
			report(&err);
			return 1;
		}
	}
	berth_log_setup("berth-runtime", log_fd, g.format, cli.debug ? BERTH_LOG_DEBUG : BERTH_LOG_WARNING);
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (strcmp((*c)->name, argv[first]) == 0)
			cmd = *c;
	if (cmd == NULL) {
		berth_error_set(&err, EINVAL, "unknown command %s (see berth-runtime --help)", argv[first]);
		report(&err);
		return 1;
	}
	if (cli.systemd_cgroup) {
		berth_error_set(&err, ENOTSUP, "--systemd-cgroup: the systemd cgroup manager is not supported; "
					       "use the default cgroupfs manager");
		report(&err);
		return 1;
	}
	/* Before anything can become visible inside a container. */
	if ((strcmp(cmd->name, "create") == 0 || strcmp(cmd->name, "run") == 0 || strcmp(cmd->name, "exec") == 0) &&
	    berth_ensure_sealed_exe(argv, &err) < 0) {
		report(&err);
		return 1;
	}
	berth_debug("%s: root %s", cmd->name, cli.root);
	r = cmd->run(&cli, argc - first, argv + first, &err);
	if (r < 0) {
		report(&err);
		return cli_exit_code > 0 ? cli_exit_code : 1;
	}
	return cli_exit_code >= 0 ? cli_exit_code : 0;
}
