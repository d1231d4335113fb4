/* berth pull: POST /images/create with the credentials of the image's
 * registry from config.json, the daemon's progress shown as docker shows
 * it, then the full reference on the last line
 * (cli/command/image/pull.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authfile.h"
#include "cleanup.h"
#include "commands.h"
#include "progress.h"
#include "reference.h"
#include "registry_auth.h"

static const struct berth_cmd_info pull_info = {
	"[OPTIONS] NAME[:TAG|@DIGEST]",
	"Download an image from a registry",
	"  -a, --all-tags                Download all tagged images in the repository\n"
	"      --disable-content-trust   Skip image verification (default true)\n"
	"      --platform string         Set platform if server is multi-platform capable\n"
	"  -q, --quiet                   Suppress verbose output\n",
};

struct pull_opts {
	bool all_tags, quiet;
	const char *platform;
};

/* X-Registry-Auth for the registry of ref: what config.json holds for it,
 * or anonymous ("e30=", "{}", as docker sends). */
static int registry_auth_header(struct berth_cli *cli, const struct berth_reference *ref, char **ret,
				struct berth_error *err)
{
	_cleanup_registry_credentials_ struct berth_registry_credentials creds = { 0 };
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = berth_cli_config_path(cli, &path, err);
	if (r >= 0)
		r = berth_authfile_load(path, &f, err);
	if (r >= 0)
		r = berth_authfile_lookup(f, ref->domain, &creds, err);
	if (r == -ENOTSUP) {
		/* a credential helper keeps them: berth does not run helpers */
		fprintf(stderr, "WARNING: %s; pulling anonymously\n", err->msg);
		berth_registry_credentials_clear(&creds);
	} else if (r < 0) {
		return r;
	}
	return berth_registry_auth_encode_header(&creds, ret, err);
}

static int pull(struct berth_cli *cli, const char *name, const struct pull_opts *o, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_free_ char *auth = NULL;
	char familiar[BERTH_REFERENCE_MAX], full[BERTH_REFERENCE_MAX];
	struct berth_client *c;
	int r;

	r = berth_reference_parse(name, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, err);
	if (r < 0)
		return r;
	bool name_only = !ref->tag && !ref->digest;
	if (o->all_tags && !name_only)
		return berth_error_set(err, EINVAL, "tag can't be used with --all-tags/-a");
	if (!o->all_tags && name_only) {
		r = berth_reference_set_tag(ref, BERTH_REFERENCE_DEFAULT_TAG, err);
		if (r < 0)
			return r;
		if (!o->quiet)
			printf("Using default tag: %s\n", BERTH_REFERENCE_DEFAULT_TAG);
	}
	r = registry_auth_header(cli, ref, &auth, err);
	if (r < 0)
		return r;

	berth_reference_familiar_name(ref, familiar);
	berth_path_init(&p, "/images/create");
	berth_path_query(&p, "fromImage", familiar);
	if (!o->all_tags)
		berth_path_query(&p, "tag", ref->digest ? ref->digest : ref->tag);
	if (o->platform && *o->platform) {
		_cleanup_free_ char *lower = strdup(o->platform);
		if (!lower)
			return berth_error_sys(err, ENOMEM, "pull");
		for (char *s = lower; *s; s++)
			*s = (char) (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
		berth_path_query(&p, "platform", lower);
	}
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;

	const struct berth_request req = { .method = "POST", .path = path, .registry_auth = auth };
	const struct berth_progress_options popts = {
		.out = o->quiet ? NULL : stdout,
		.out_fd = o->quiet ? -1 : STDOUT_FILENO,
	};
	fflush(stdout);
	r = berth_progress_run(c, &req, &popts, err);
	if (r < 0)
		return r;
	berth_reference_string(ref, full);
	printf("%s\n", full);
	return 0;
}

int berth_cmd_pull(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all-tags", optional_argument, NULL, 'a' },
		{ "quiet", optional_argument, NULL, 'q' },
		{ "platform", required_argument, NULL, 'P' },
		{ "disable-content-trust", optional_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pull_opts o = { .platform = getenv("DOCKER_DEFAULT_PLATFORM") };
	struct berth_error err = { 0 };
	bool ignored;
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, &pull_info, argc, argv, ":aqh", longopts)) != -1) {
		switch (c) {
		case 'a':
			r = berth_cli_parse_bool(cli, &pull_info, "-a, --all-tags", optarg, &o.all_tags);
			break;
		case 'q':
			r = berth_cli_parse_bool(cli, &pull_info, "-q, --quiet", optarg, &o.quiet);
			break;
		case 'P':
			o.platform = optarg;
			break;
		case 'T':
			/* berth has no content trust; accepted as docker's default */
			r = berth_cli_parse_bool(cli, &pull_info, "--disable-content-trust", optarg, &ignored);
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &pull_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	if (pull(cli, argv[optind], &o, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
