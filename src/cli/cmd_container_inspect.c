/* berth inspect and berth container inspect: the daemon's documents as
 * docker prints them (cli/command/system/inspect.go,
 * cli/command/container/inspect.go).  `inspect` without --type looks for
 * each name as docker does: a container, else an image, a network, a
 * volume; "Error: No such object: NAME" when none is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "output.h"

static const struct berth_cmd_info inspect_info = {
	"[OPTIONS] NAME|ID [NAME|ID...]",
	"Return low-level information on berth objects",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -s, --size            Display total file sizes if the type is container\n"
	"      --type string     Only inspect objects of the given type\n",
};

static const struct berth_cmd_info container_inspect_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Display detailed information on one or more containers",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"  -s, --size            Display total file sizes\n",
};

/* The kinds `inspect` knows, in the order docker tries them. */
static const struct kind {
	const char *name;
	const char *prefix, *suffix;
} kinds[] = {
	{ "container", "/containers/", "/json" },
	{ "image", "/images/", "/json" },
	{ "network", "/networks/", "" },
	{ "volume", "/volumes/", "" },
};

/* docker's types, for its message about an unknown one. */
static const char types_message[] = "must be one of \"config\", \"container\", \"image\", \"network\", \"node\", "
				    "\"plugin\", \"secret\", \"service\", \"task\", \"volume\"";

struct found {
	char **docs;
	size_t *lens;
	size_t n;
	FILE *errors; /* the messages, printed after the documents */
	char *error_text;
	size_t error_len;
};

static int fetch(struct berth_client *c, const struct kind *k, const char *name, bool size, struct berth_response *resp,
		 struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, k->prefix);
	berth_path_segment(&p, name);
	berth_path_append(&p, k->suffix);
	if (size && !strcmp(k->name, "container"))
		berth_path_query(&p, "size", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do(c, &(struct berth_request){ .path = path }, resp, err);
}

/* One name: its document added, or its error noted.  type NULL: any. */
static int inspect_one(struct berth_client *c, const char *type, const char *name, bool size, struct found *f,
		       struct berth_error *err)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(kinds); i++) {
		struct berth_response resp = { 0 };
		if (type && strcmp(type, kinds[i].name) != 0)
			continue;
		int r = fetch(c, &kinds[i], name, size, &resp, err);
		if (r == 0) {
			f->docs[f->n] = resp.body;
			f->lens[f->n++] = resp.len;
			return 0;
		}
		berth_response_clear(&resp);
		if (type || (r != -ENOENT && r != -ENOTSUP)) {
			fprintf(f->errors, "%s\n", err->msg);
			return r;
		}
	}
	fprintf(f->errors, "Error: No such object: %s\n", name);
	return -ENOENT;
}

static int inspect(struct berth_cli *cli, const char *type, const char *format, bool size, int argc, char **argv)
{
	struct berth_error err = { 0 };
	struct berth_client *c;
	size_t cap = (size_t) (argc - optind);
	struct found f = { .docs = calloc(cap, sizeof(char *)), .lens = calloc(cap, sizeof(size_t)) };
	int status = 0;

	f.errors = open_memstream(&f.error_text, &f.error_len);
	if (!f.docs || !f.lens || !f.errors) {
		berth_error_sys(&err, ENOMEM, "inspect");
		status = berth_cli_fail(&err);
	} else if (berth_cli_client(cli, &c, &err) < 0) {
		status = berth_cli_fail(&err);
	} else {
		for (int i = optind; i < argc; i++) {
			int r = inspect_one(c, type, argv[i], size, &f, &err);
			if (r == -ECONNREFUSED || r == -EACCES)
				break;
		}
		if (berth_output_inspect(stdout, format, f.docs, f.lens, f.n, &err) < 0)
			status = berth_cli_fail(&err);
	}
	if (f.errors)
		fclose(f.errors);
	fflush(stdout);
	if (f.error_len > 0) {
		fputs(f.error_text, stderr);
		status = 1;
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.docs[i]);
	free(f.docs);
	free(f.lens);
	free(f.error_text);
	return status;
}

static int inspect_cmd(struct berth_cli *cli, const struct berth_cmd_info *info, const char *fixed_type, int argc,
		       char **argv)
{
	/* container inspect has no --type: its table ends before it */
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "size", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
		{ "type", required_argument, NULL, 't' },   { NULL, 0, NULL, 0 },
	};
	static const struct option any_longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "size", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *type = fixed_type;
	bool size = false;
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, info, argc, argv, ":f:sh", fixed_type ? longopts : any_longopts)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 's')
			r = berth_cli_parse_bool(cli, info, "-s, --size", optarg, &size);
		else if (c == 't' && !fixed_type)
			type = optarg;
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_usage_error(cli, info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (type && !*type)
		type = NULL;
	bool known = !type;
	for (size_t i = 0; type && i < BERTH_ARRAY_SIZE(kinds); i++)
		known = known || !strcmp(type, kinds[i].name);
	if (!known) {
		fflush(stdout);
		fprintf(stderr, "unknown type: \"%s\": %s\n", type, types_message);
		return 1;
	}
	return inspect(cli, type, format, size, argc, argv);
}

int berth_cmd_inspect(struct berth_cli *cli, int argc, char **argv)
{
	return inspect_cmd(cli, &inspect_info, NULL, argc, argv);
}

int berth_cmd_container_inspect(struct berth_cli *cli, int argc, char **argv)
{
	return inspect_cmd(cli, &container_inspect_info, "container", argc, argv);
}
