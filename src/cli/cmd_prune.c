/* berth image prune and berth system prune: removing what nothing uses,
 * with docker's warnings, confirmation and report. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "units.h"

/* ---- image prune ---- */

static const struct berth_cmd_info prune_info = {
	"[OPTIONS]",
	"Remove unused images",
	"  -a, --all             Remove all unused images, not just dangling ones\n"
	"      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
	"  -f, --force           Do not prompt for confirmation\n",
};

/* POST /images/prune; prints docker's "Deleted Images:" block when
 * something went and adds what it reclaimed. */
static int request_image_prune(struct berth_client *c, json_t *filters, uint64_t *reclaimed, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *report = NULL;
	json_t *item, *deleted;
	size_t i;
	berth_path_init(&p, "/images/prune");
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, &report, err);
	if (r < 0)
		return r;
	deleted = json_object_get(report, "ImagesDeleted");
	if (json_array_size(deleted) > 0) {
		printf("Deleted Images:\n");
		json_array_foreach(deleted, i, item)
		{
			if (*berth_output_str(item, "Untagged"))
				printf("untagged: %s\n", berth_output_str(item, "Untagged"));
			if (*berth_output_str(item, "Deleted"))
				printf("deleted: %s\n", berth_output_str(item, "Deleted"));
		}
		printf("\n");
	}
	*reclaimed += (uint64_t) berth_output_int(report, "SpaceReclaimed");
	return 0;
}

/* Another kind's prune (containers, networks, volumes, build cache):
 * docker's "Deleted KIND:" block of the IDs or names in list_key. */
static int request_other_prune(struct berth_client *c, const char *endpoint, json_t *filters, const char *title,
			       const char *list_key, uint64_t *reclaimed, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *report = NULL;
	json_t *item;
	size_t i;
	berth_path_init(&p, endpoint);
	if (filters)
		berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, &report, err);
	if (r < 0)
		return r;
	json_t *list = json_object_get(report, list_key);
	if (json_array_size(list) > 0) {
		printf("%s\n", title);
		json_array_foreach(list, i, item) printf("%s\n", json_string_value(item) ? json_string_value(item) : "");
		printf("\n");
	}
	*reclaimed += (uint64_t) berth_output_int(report, "SpaceReclaimed");
	return 0;
}

static void print_reclaimed(uint64_t reclaimed)
{
	char size[BERTH_UNITS_MAX];
	berth_units_human_size((double) reclaimed, size);
	printf("Total reclaimed space: %s\n", size);
}

static int prune_images(struct berth_cli *cli, bool all, bool force, json_t *filters, struct berth_error *err)
{
	static const char dangling_warning[] = "WARNING! This will remove all dangling images.\n"
					       "Are you sure you want to continue?";
	static const char all_warning[] = "WARNING! This will remove all images without at least one container "
					  "associated to them.\nAre you sure you want to continue?";
	struct berth_client *c;
	uint64_t reclaimed = 0;
	int r = berth_cli_filter_add_value(filters, "dangling", all ? "false" : "true", err);
	if (r < 0)
		return r;
	if (!force && !berth_output_confirm(stdin, stdout, all ? all_warning : dangling_warning))
		return 0;
	if ((r = berth_cli_client(cli, &c, err)) < 0 || (r = request_image_prune(c, filters, &reclaimed, err)) < 0)
		return r;
	print_reclaimed(reclaimed);
	return 0;
}

int berth_cli_prune_flags(struct berth_cli *cli, const struct berth_cmd_info *info, int argc, char **argv,
			  struct berth_prune_flags *f)
{
	static const struct option longopts[] = {
		{ "all", optional_argument, NULL, 'a' },    { "force", optional_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = 0;
	while ((c = berth_cli_getopt(cli, info, argc, argv, ":afh", longopts)) != -1) {
		switch (c) {
		case 'a':
			r = berth_cli_parse_bool(cli, info, "-a, --all", optarg, &f->all);
			break;
		case 'f':
			r = berth_cli_parse_bool(cli, info, "-f, --force", optarg, &f->force);
			break;
		case 'F':
			if (berth_cli_filter_flag(cli, info, "--filter", f->filters, optarg) != 0)
				return BERTH_EXIT_USAGE;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, info, 1, "'%s' accepts no arguments", cli->cmd_path);
	return -1;
}

int berth_cmd_image_prune(struct berth_cli *cli, int argc, char **argv)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	struct berth_prune_flags f = { .filters = filters };
	int r = filters ? berth_cli_prune_flags(cli, &prune_info, argc, argv, &f) : berth_cli_fail(&err);
	if (r >= 0)
		return r;
	if (prune_images(cli, f.all, f.force, filters, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* ---- system prune ---- */

static const struct berth_cmd_info system_prune_info = {
	"[OPTIONS]",
	"Remove unused data",
	"  -a, --all             Remove all unused images not just dangling ones\n"
	"      --filter filter   Provide filter values (e.g. \"label=<key>=<value>\")\n"
	"  -f, --force           Do not prompt for confirmation\n"
	"      --volumes         Prune anonymous volumes\n",
};

static bool confirm_system_prune(bool all, bool volumes)
{
	char warning[512];
	snprintf(warning, sizeof(warning),
		 "WARNING! This will remove:\n"
		 "  - all stopped containers\n"
		 "  - all networks not used by at least one container\n%s%s%s\n"
		 "Are you sure you want to continue?",
		 volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
		 all ? "  - all images without at least one container associated to them\n" : "  - all dangling images\n",
		 all ? "  - all build cache\n" : "  - unused build cache\n");
	return berth_output_confirm(stdin, stdout, warning);
}

static int prune_system(struct berth_cli *cli, bool all, bool volumes, json_t *filters, struct berth_error *err)
{
	struct berth_client *c;
	uint64_t reclaimed = 0;
	_cleanup_json_ json_t *image_filters = json_deep_copy(filters);
	int r = image_filters ? berth_cli_filter_add_value(image_filters, "dangling", all ? "false" : "true", err)
			      : berth_error_sys(err, ENOMEM, "system prune");
	if (r == 0)
		r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = request_other_prune(c, "/containers/prune", filters, "Deleted Containers:", "ContainersDeleted",
					&reclaimed, err);
	if (r == 0)
		r = request_other_prune(c, "/networks/prune", filters, "Deleted Networks:", "NetworksDeleted",
					&reclaimed, err);
	if (r == 0 && volumes)
		r = request_other_prune(c, "/volumes/prune", filters, "Deleted Volumes:", "VolumesDeleted", &reclaimed,
					err);
	if (r == 0)
		r = request_image_prune(c, image_filters, &reclaimed, err);
	if (r == 0)
		r = request_other_prune(c, all ? "/build/prune?all=1" : "/build/prune", NULL,
					"Deleted build cache objects:", "CachesDeleted", &reclaimed, err);
	if (r < 0)
		return r;
	print_reclaimed(reclaimed);
	return 0;
}

int berth_cmd_system_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", optional_argument, NULL, 'a' },    { "force", optional_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' }, { "volumes", optional_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	bool all = false, force = false, volumes = false;
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, &system_prune_info, argc, argv, ":afh", longopts)) != -1) {
		switch (c) {
		case 'a':
			r = berth_cli_parse_bool(cli, &system_prune_info, "-a, --all", optarg, &all);
			break;
		case 'f':
			r = berth_cli_parse_bool(cli, &system_prune_info, "-f, --force", optarg, &force);
			break;
		case 'V':
			r = berth_cli_parse_bool(cli, &system_prune_info, "--volumes", optarg, &volumes);
			break;
		case 'F':
			if (berth_cli_filter_flag(cli, &system_prune_info, "--filter", filters, optarg) != 0)
				return BERTH_EXIT_USAGE;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &system_prune_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	if (!force && !confirm_system_prune(all, volumes))
		return 0;
	if (!filters || prune_system(cli, all, volumes, filters, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
