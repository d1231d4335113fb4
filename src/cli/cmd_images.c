/* berth images / image ls, tag, rmi, image prune: image commands that are
 * one request each, printed as docker does (cli/command/image and
 * cli/command/formatter/image.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "reference.h"
#include "units.h"

/* ---- images ---- */

static const struct berth_cmd_info images_info = {
	"[OPTIONS] [REPOSITORY[:TAG]]",
	"List images",
	"  -a, --all             Show all images (default hides intermediate images)\n"
	"      --digests         Show digests\n"
	"  -f, --filter filter   Filter output based on conditions provided\n"
	"      --format string   Format output using a custom template:\n"
	"                        'table':            Print output in table format with column headers (default)\n"
	"                        'table TEMPLATE':   Print output in table format using the given Go template\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"      --no-trunc        Don't truncate output\n"
	"  -q, --quiet           Only show image IDs\n",
};

#define IMAGE_TABLE                                                                                          \
	"table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}" \
	"\t{{.Size}}"
#define IMAGE_TABLE_DIGEST                                                                                        \
	"table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}" \
	"\t{{.Size}}"
#define IMAGE_RAW                                                                                         \
	"repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: " \
	"{{.Size}}\n"
#define IMAGE_RAW_DIGEST                                                                                  \
	"repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: " \
	"{{.CreatedAt}}\nvirtual_size: {{.Size}}\n"

struct images_opts {
	bool all, quiet, digests, no_trunc;
	const char *format;
	bool need_digest; /* --digests, or the format shows {{.Digest}} */
};

static void size_or_na(int64_t v, char out[BERTH_UNITS_MAX])
{
	if (v == -1)
		snprintf(out, BERTH_UNITS_MAX, "N/A");
	else
		berth_units_human_size((double) v, out);
}

/* One row, its fields as docker's imageContext renders them (alphabetical,
 * as its MarshalJSON's map comes out). */
static int add_image_row(json_t *rows, json_t *img, const struct images_opts *o, const char *repo, const char *tag,
			 const char *digest)
{
	char since[BERTH_UNITS_MAX], at[BERTH_UNITS_MAX], size[BERTH_UNITS_MAX], vsize[BERTH_UNITS_MAX];
	char shared[BERTH_UNITS_MAX], unique[BERTH_UNITS_MAX], containers[32], id[BERTH_SHORT_ID_LEN + 1];
	int64_t created = berth_output_int(img, "Created"), sz = berth_output_int(img, "Size");
	int64_t ssz = berth_output_int(img, "SharedSize"), ncont = berth_output_int(img, "Containers");
	json_t *row = json_object();

	if (!row)
		return -ENOMEM;
	berth_units_since(created, (int64_t) time(NULL), since);
	berth_units_format_time(created, 0, BERTH_TIME_GO_STRING, false, at);
	berth_units_human_size_precision((double) sz, 3, size);
	berth_units_human_size((double) sz, vsize);
	size_or_na(ssz, shared);
	if (sz == -1 || ssz == -1)
		snprintf(unique, sizeof(unique), "N/A");
	else
		berth_units_human_size((double) (sz - ssz), unique);
	if (ncont == -1 || !json_object_get(img, "Containers"))
		snprintf(containers, sizeof(containers), "N/A");
	else
		snprintf(containers, sizeof(containers), "%lld", (long long) ncont);
	berth_units_short_id(berth_output_str(img, "Id"), id);

	berth_output_set_str(row, "Containers", containers);
	berth_output_set_str(row, "CreatedAt", at);
	berth_output_set_str(row, "CreatedSince", since);
	berth_output_set_str(row, "Digest", digest);
	berth_output_set_str(row, "ID", o->no_trunc ? berth_output_str(img, "Id") : id);
	berth_output_set_str(row, "Repository", repo);
	berth_output_set_str(row, "SharedSize", shared);
	berth_output_set_str(row, "Size", size);
	berth_output_set_str(row, "Tag", tag);
	berth_output_set_str(row, "UniqueSize", unique);
	berth_output_set_str(row, "VirtualSize", vsize);
	return json_array_append_new(rows, row) < 0 ? -ENOMEM : 0;
}

static bool is_dangling(json_t *img)
{
	json_t *tags = json_object_get(img, "RepoTags"), *digests = json_object_get(img, "RepoDigests");
	size_t nt = json_array_size(tags), nd = json_array_size(digests);
	if (nt == 0 && nd == 0)
		return true;
	return nt == 1 && nd == 1 &&
	       !strcmp(json_string_value(json_array_get(tags, 0)) ?: "", "<none>:<none>") &&
	       !strcmp(json_string_value(json_array_get(digests, 0)) ?: "", "<none>@<none>");
}

/* {familiar name: [tag or digest, ...]} in the order the names come. */
static json_t *group_refs(json_t *refs, bool digests)
{
	json_t *groups = json_object(), *v;
	size_t i;
	struct berth_error ignored;

	json_array_foreach(refs, i, v)
	{
		_cleanup_reference_ struct berth_reference *ref = NULL;
		char name[BERTH_REFERENCE_MAX];
		const char *s = json_string_value(v);
		if (!s || berth_reference_parse(s, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, &ignored) < 0)
			continue;
		const char *what = digests ? ref->digest : ref->tag;
		if (!what)
			continue;
		berth_reference_familiar_name(ref, name);
		json_t *list = json_object_get(groups, name);
		if (!list) {
			list = json_array();
			json_object_set_new(groups, name, list);
		}
		json_array_append_new(list, json_string_nocheck(what));
	}
	return groups;
}

/* docker's imageFormatTaggedAndDigest */
static int image_rows(json_t *rows, json_t *img, const struct images_opts *o)
{
	_cleanup_json_ json_t *tags = group_refs(json_object_get(img, "RepoTags"), false);
	_cleanup_json_ json_t *digests = group_refs(json_object_get(img, "RepoDigests"), true);
	const char *repo;
	json_t *list, *t, *d;
	size_t i, j;
	int r;

	if (!tags || !digests)
		return -ENOMEM;
	json_object_foreach(tags, repo, list)
	{
		json_t *dl = o->need_digest ? json_incref(json_object_get(digests, repo)) : NULL;
		json_object_del(digests, repo);
		json_array_foreach(list, i, t)
		{
			if (json_array_size(dl) == 0) {
				r = add_image_row(rows, img, o, repo, json_string_value(t), "<none>");
				if (r < 0)
					return r;
			}
			json_array_foreach(dl, j, d)
			{
				r = add_image_row(rows, img, o, repo, json_string_value(t), json_string_value(d));
				if (r < 0)
					return r;
			}
		}
		json_decref(dl);
	}
	json_object_foreach(digests, repo, list)
	{
		if (!o->digests) {
			r = add_image_row(rows, img, o, repo, "<none>", "");
			if (r < 0)
				return r;
			continue;
		}
		json_array_foreach(list, j, d)
		{
			r = add_image_row(rows, img, o, repo, "<none>", json_string_value(d));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* docker's NewImageFormat */
static const char *image_format(const struct images_opts *o, char **owned)
{
	const char *f = o->format && *o->format ? o->format : "table";
	if (!strcmp(f, "table"))
		return o->quiet ? "{{.ID}}" : o->digests ? IMAGE_TABLE_DIGEST : IMAGE_TABLE;
	if (!strcmp(f, "raw"))
		return o->quiet ? "image_id: {{.ID}}" : o->digests ? IMAGE_RAW_DIGEST : IMAGE_RAW;
	if (!strncmp(f, "table", 5) && o->digests && !strstr(f, "{{.Digest}}")) {
		if (asprintf(owned, "%s\t{{.Digest}}", f) < 0)
			return NULL;
		return *owned;
	}
	return f;
}

static int list_images(struct berth_cli *cli, const struct images_opts *o, json_t *filters, struct berth_error *err)
{
	static const char *const header[][2] = {
		{ "ID", "IMAGE ID" },	       { "Repository", "REPOSITORY" }, { "Tag", "TAG" },
		{ "Digest", "DIGEST" },	       { "CreatedSince", "CREATED" },  { "CreatedAt", "CREATED AT" },
		{ "Size", "SIZE" },	       { "Containers", "CONTAINERS" }, { "VirtualSize", "SIZE" },
		{ "SharedSize", "SHARED SIZE" }, { "UniqueSize", "UNIQUE SIZE" },
	};
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *list = NULL, *rows = json_array();
	_cleanup_json_ json_t *hdr = berth_output_header(header, BERTH_ARRAY_SIZE(header));
	_cleanup_free_ char *owned = NULL;
	struct berth_client *c;
	json_t *img;
	size_t i;
	int r;

	berth_path_init(&p, "/images/json");
	if (o->all)
		berth_path_query(&p, "all", "1");
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path || !rows || !hdr)
		return berth_error_sys(err, ENOMEM, "images");
	r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;
	r = berth_client_do_json(c, &(struct berth_request){ .path = path }, &list, err);
	if (r < 0)
		return r;
	json_array_foreach(list, i, img)
	{
		if (is_dangling(img))
			r = add_image_row(rows, img, o, "<none>", "<none>", "<none>");
		else
			r = image_rows(rows, img, o);
		if (r < 0)
			return berth_error_sys(err, -r, "images");
	}
	const char *format = image_format(o, &owned);
	if (!format)
		return berth_error_sys(err, ENOMEM, "images");
	return berth_output_list(stdout, format, IMAGE_TABLE, hdr, rows, err);
}

int berth_cmd_images(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", optional_argument, NULL, 'a' },      { "quiet", optional_argument, NULL, 'q' },
		{ "digests", optional_argument, NULL, 'd' },  { "no-trunc", optional_argument, NULL, 'n' },
		{ "filter", required_argument, NULL, 'f' },   { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },	      { NULL, 0, NULL, 0 },
	};
	struct images_opts o = { 0 };
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	int c;

	while ((c = berth_cli_getopt(cli, &images_info, argc, argv, ":aqf:h", longopts)) != -1) {
		switch (c) {
		case 'a':
			if (berth_cli_parse_bool(cli, &images_info, "-a, --all", optarg, &o.all) < 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'q':
			if (berth_cli_parse_bool(cli, &images_info, "-q, --quiet", optarg, &o.quiet) < 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'd':
			if (berth_cli_parse_bool(cli, &images_info, "--digests", optarg, &o.digests) < 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'n':
			if (berth_cli_parse_bool(cli, &images_info, "--no-trunc", optarg, &o.no_trunc) < 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'f':
			if (berth_cli_filter_flag(cli, &images_info, "-f, --filter", filters, optarg) != 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'F':
			o.format = optarg;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return berth_cli_usage_error(cli, &images_info, 1, "'%s' requires at most 1 argument", cli->cmd_path);
	if (optind < argc && berth_cli_filter_add_value(filters, "reference", argv[optind], &err) < 0)
		return berth_cli_fail(&err);
	o.need_digest = o.digests || (o.format && strstr(o.format, "{{.Digest}}"));
	if (list_images(cli, &o, filters, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- tag ---- */

static const struct berth_cmd_info tag_info = {
	"SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	"Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	"",
};

static int tag_image(struct berth_cli *cli, const char *source, const char *target, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *src = NULL, *ref = NULL;
	_cleanup_path_ struct berth_path p = { 0 };
	char name[BERTH_REFERENCE_MAX];
	struct berth_client *c;
	int r;

	/* a source may also be an image ID: only refuse what is neither */
	if (berth_reference_parse(source, 0, &src, err) < 0 && strspn(source, "0123456789abcdefsha:") != strlen(source))
		return berth_error_set(err, EINVAL, "Error parsing reference: \"%s\" is not a valid repository/tag: %s",
				       source, err->msg);
	r = berth_reference_parse(target, 0, &ref, err);
	if (r < 0)
		return r;
	if (ref->digest)
		return berth_error_set(err, EINVAL, "refusing to create a tag with a digest reference");
	berth_reference_familiar_name(ref, name);
	berth_path_init(&p, "/images/");
	berth_path_segment(&p, source);
	berth_path_append(&p, "/tag");
	berth_path_query(&p, "repo", name);
	berth_path_query(&p, "tag", ref->tag ? ref->tag : BERTH_REFERENCE_DEFAULT_TAG);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;
	return berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, NULL, err);
}

int berth_cmd_tag(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &tag_info, argc, argv, ":h", longopts)) != -1)
		return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (argc - optind != 2)
		return berth_cli_usage_error(cli, &tag_info, 1, "'%s' requires 2 arguments", cli->cmd_path);
	if (tag_image(cli, argv[optind], argv[optind + 1], &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- rmi ---- */

static const struct berth_cmd_info rmi_info = {
	"[OPTIONS] IMAGE [IMAGE...]",
	"Remove one or more images",
	"  -f, --force      Force removal of the image\n"
	"      --no-prune   Do not delete untagged parents\n",
};

static int remove_image(struct berth_client *c, const char *image, bool force, bool no_prune, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *items = NULL;
	json_t *item;
	size_t i;

	berth_path_init(&p, "/images/");
	berth_path_segment(&p, image);
	if (force)
		berth_path_query(&p, "force", "1");
	if (no_prune)
		berth_path_query(&p, "noprune", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c, &(struct berth_request){ .method = "DELETE", .path = path }, &items, err);
	if (r < 0)
		return r;
	json_array_foreach(items, i, item)
	{
		const char *deleted = berth_output_str(item, "Deleted");
		if (*deleted)
			printf("Deleted: %s\n", deleted);
		else
			printf("Untagged: %s\n", berth_output_str(item, "Untagged"));
	}
	return 0;
}

int berth_cmd_rmi(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", optional_argument, NULL, 'f' }, { "no-prune", optional_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	bool force = false, no_prune = false, fatal = false;
	struct berth_client *client;
	int c, r = 0, failures = 0;

	while ((c = berth_cli_getopt(cli, &rmi_info, argc, argv, ":fh", longopts)) != -1) {
		if (c == 'f')
			r = berth_cli_parse_bool(cli, &rmi_info, "-f, --force", optarg, &force);
		else if (c == 'n')
			r = berth_cli_parse_bool(cli, &rmi_info, "--no-prune", optarg, &no_prune);
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_usage_error(cli, &rmi_info, 1, "'%s' requires at least 1 argument", cli->cmd_path);
	if (berth_cli_client(cli, &client, &err) < 0)
		return berth_cli_fail(&err);
	/* as docker: go on past errors and report them all at the end; with
	 * --force, images that do not exist are not a failure */
	_cleanup_free_ char *errors = NULL;
	size_t errors_len = 0;
	FILE *mem = open_memstream(&errors, &errors_len);
	if (!mem) {
		berth_error_sys(&err, errno, "rmi");
		return berth_cli_fail(&err);
	}
	for (int i = optind; i < argc; i++) {
		if (remove_image(client, argv[i], force, no_prune, &err) >= 0)
			continue;
		fatal = fatal || err.code != ENOENT;
		fprintf(mem, "%s%s", failures++ ? "\n" : "", err.msg);
	}
	fclose(mem);
	if (failures == 0)
		return 0;
	fflush(stdout);
	fprintf(stderr, "%s\n", errors);
	return !force || fatal ? 1 : 0;
}
