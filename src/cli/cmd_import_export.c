/* berth import, export and diff: a root filesystem tar into a one-layer
 * image (POST /images/create?fromSrc=-, the tar streamed from a file or
 * stdin), a container's filesystem out as a tar (GET
 * /containers/ID/export), and what a container changed (GET
 * /containers/ID/changes), as the docker CLI does them
 * (cli/command/image/import.go, container/export.go, container/diff.go).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "progress.h"
#include "reference.h"

/* ---- import ---- */

static const struct berth_cmd_info import_info = {
	"[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	"Import the contents from a tarball to create a filesystem image",
	"  -c, --change list         Apply Dockerfile instruction to the created image\n"
	"  -m, --message string      Set commit message for imported image\n"
	"      --platform string     Set platform if server is multi-platform capable\n",
};

struct import_opts {
	const char *message, *platform;
	const char *changes[64];
	size_t n_changes;
};

static bool is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static int import_image(struct berth_cli *cli, const char *source, const char *repo, const struct import_opts *o,
			struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_close_ int fd = -1;
	struct berth_client *c;
	int r;

	if (repo) {
		/* refused here, before the upload, as docker does */
		_cleanup_reference_ struct berth_reference *ref = NULL;
		if ((r = berth_reference_parse(repo, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, err)) < 0)
			return r;
	}
	bool stream = !is_url(source);
	if (stream && strcmp(source, "-") != 0) {
		fd = open(source, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return berth_error_sys(err, errno, "open %s", source);
	}
	berth_path_init(&p, "/images/create");
	berth_path_query(&p, "fromSrc", stream ? "-" : source);
	berth_path_query(&p, "repo", repo ? repo : "");
	berth_path_query(&p, "tag", "");
	berth_path_query(&p, "message", o->message ? o->message : "");
	if (o->platform && *o->platform)
		berth_path_query(&p, "platform", o->platform);
	for (size_t i = 0; i < o->n_changes; i++)
		berth_path_query(&p, "changes", o->changes[i]);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	if ((r = berth_cli_client(cli, &c, err)) < 0)
		return r;
	const struct berth_request req = {
		.method = "POST",
		.path = path,
		.content_type = "application/x-tar",
		.body_from_fd = stream,
		.body_fd = fd >= 0 ? fd : STDIN_FILENO,
	};
	const struct berth_progress_options popts = { .out = stdout, .out_fd = STDOUT_FILENO };
	fflush(stdout);
	return berth_progress_run(c, &req, &popts, err);
}

int berth_cmd_import(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "change", required_argument, NULL, 'c' },  { "message", required_argument, NULL, 'm' },
		{ "platform", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { .platform = getenv("DOCKER_DEFAULT_PLATFORM") };
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &import_info, argc, argv, ":c:m:h", longopts)) != -1) {
		switch (c) {
		case 'c':
			if (o.n_changes == sizeof(o.changes) / sizeof(o.changes[0]))
				return berth_cli_flag_error(cli, &import_info, "too many --change instructions (at most %zu)",
							    sizeof(o.changes) / sizeof(o.changes[0]));
			o.changes[o.n_changes++] = optarg;
			break;
		case 'm':
			o.message = optarg;
			break;
		case 'P':
			o.platform = optarg;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	int n = argc - optind;
	if (n < 1)
		return berth_cli_usage_error(cli, &import_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (n > 2)
		return berth_cli_usage_error(cli, &import_info, 1, "'%s' requires at most 2 arguments", cli->cmd_path);
	if (import_image(cli, argv[optind], n == 2 ? argv[optind + 1] : NULL, &o, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- export ---- */

static const struct berth_cmd_info export_info = {
	"[OPTIONS] CONTAINER",
	"Export a container's filesystem as a tar archive",
	"  -o, --output string   Write to a file, instead of STDOUT\n",
};

static int export_container(struct berth_cli *cli, const char *container, const char *output, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *tmp = NULL;
	struct berth_client *c;
	int r;

	if (!output && isatty(STDOUT_FILENO))
		return berth_error_set(err, EINVAL,
				       "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, container);
	berth_path_append(&p, "/export");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	if ((r = berth_cli_client(cli, &c, err)) < 0)
		return r;
	/* -o: a temporary file renamed into place, so a failed export leaves
	 * no half-written archive under the name asked for. */
	if (output) {
		if (asprintf(&tmp, "%s.berth-export-XXXXXX", output) < 0)
			return berth_error_sys(err, ENOMEM, "export");
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			return berth_error_sys(err, errno, "failed to export container: create %s", output);
	}
	r = berth_client_download(c, &(struct berth_request){ .path = path, .body_fd = -1 }, fd >= 0 ? fd : STDOUT_FILENO,
				  err);
	mode_t mask = umask(0);
	umask(mask);
	/* the mode os.Create gives, as docker's -o file has */
	if (r == 0 && fd >= 0 && (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0 || rename(tmp, output) < 0))
		r = berth_error_sys(err, errno, "failed to export container: write %s", output);
	if (r < 0 && tmp)
		unlink(tmp);
	return r;
}

int berth_cmd_export(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &export_info, argc, argv, ":o:h", longopts)) != -1) {
		if (c == 'o')
			output = optarg;
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &export_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	if (export_container(cli, argv[optind], output, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- diff ---- */

static const struct berth_cmd_info diff_info = {
	"CONTAINER",
	"Inspect changes to files or directories on a container's filesystem",
	"",
};

static int diff_container(struct berth_cli *cli, const char *container, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *changes = NULL;
	struct berth_client *c;
	size_t i;
	json_t *change;
	int r;

	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, container);
	berth_path_append(&p, "/changes");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	if ((r = berth_cli_client(cli, &c, err)) < 0)
		return r;
	if ((r = berth_client_do_json(c, &(struct berth_request){ .path = path, .body_fd = -1 }, &changes, err)) < 0)
		return r;
	json_array_foreach(changes, i, change)
	{
		/* the API's Kind: 0 modified, 1 added, 2 deleted */
		static const char kinds[] = "CAD";
		json_int_t kind = json_integer_value(json_object_get(change, "Kind"));
		printf("%c %s\n", kind >= 0 && kind <= 2 ? kinds[kind] : '?', berth_output_str(change, "Path"));
	}
	return 0;
}

int berth_cmd_diff(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &diff_info, argc, argv, ":h", longopts)) != -1)
		return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &diff_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	if (diff_container(cli, argv[optind], &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
