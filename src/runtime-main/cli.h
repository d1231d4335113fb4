/* berth-runtime's command line: runc's commands and flags, so podman,
 * containerd and dockerd can call it in runc's place. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "error.h"

struct cli {
	const char *root;
	bool debug;
	bool systemd_cgroup;
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv, struct berth_error *err);
	const char *usage;
	const char *summary;
};

extern const struct cli_command *const cli_commands[];

/* Parse this command's options; returns the index of the first argument or
 * a negative error.  Options stop at the first argument, as in runc. */
typedef int (*cli_option_fn)(int opt, const char *arg, void *ctx, struct berth_error *err);
int cli_parse(int argc, char **argv, const char *cmd, const struct option *opts, cli_option_fn fn, void *ctx,
	      struct berth_error *err);

int cli_parse_int(const char *what, const char *text, int min, int max, int *ret, struct berth_error *err);

/* Exactly one argument, the container id. */
int cli_one_id(int argc, char **argv, int first, const char *cmd, const char **ret, struct berth_error *err);

/* The exit code a command asks for beyond success/failure (run, exec). */
extern int cli_exit_code;
