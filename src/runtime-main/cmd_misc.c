/* spec, features, and the commands berth-runtime refuses. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "file.h"
#include "json.h"
#include "spec_default.h"

struct spec_args {
	const char *bundle;
	bool rootless;
};

static int spec_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct spec_args *a = ctx;

	(void) err;
	if (opt == 'b')
		a->bundle = arg;
	else if (opt == 'r')
		a->rootless = true;
	else
		return -EINVAL;
	return 0;
}

static int cmd_spec(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct spec_args a = { .bundle = "." };
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dirfd = -1;
	int first = cli_parse(argc, argv, "spec", options, spec_option, &a, err);

	(void) cli;
	if (first < 0)
		return first;
	dirfd = open(a.bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "spec: open bundle %s", a.bundle);
	if (faccessat(dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return berth_error_set(err, EEXIST, "spec: %s/config.json exists; remove it first", a.bundle);
	spec = berth_spec_default(a.rootless);
	text = spec ? json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "spec");
	return berth_write_file_atomic(dirfd, "config.json", text, strlen(text), 0644, 0, err);
}

static int no_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	(void) opt, (void) arg, (void) ctx, (void) err;
	return -EINVAL;
}

static int cmd_features(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = { { NULL, 0, NULL, 0 } };
	_cleanup_json_ json_t *f = NULL;
	_cleanup_free_ char *text = NULL;

	(void) cli;
	if (cli_parse(argc, argv, "features", options, no_option, NULL, err) < 0)
		return -berth_error_code(err);
	f = berth_features();
	text = f ? json_dumps(f, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "features");
	printf("%s\n", text);
	return 0;
}

static int cmd_unsupported(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	(void) cli, (void) argc;
	return berth_error_set(err, ENOTSUP, "%s is not supported by berth-runtime", argv[0]);
}

const struct cli_command cli_command_spec = { "spec", cmd_spec, "spec [--bundle DIR] [--rootless]",
					      "write a default config.json" };
const struct cli_command cli_command_features = { "features", cmd_features, "features",
						  "print what this runtime supports (features.md)" };
const struct cli_command cli_command_checkpoint = { "checkpoint", cmd_unsupported, "checkpoint ID",
						    "not supported" };
const struct cli_command cli_command_restore = { "restore", cmd_unsupported, "restore ID", "not supported" };
