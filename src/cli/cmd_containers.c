/* berth start, stop, kill, restart, rm, wait, attach and container prune,
 * worded as the docker CLI words them (cli/command/container/start.go,
 * stop.go, kill.go, restart.go, rm.go, wait.go, attach.go, prune.go): the
 * names given are printed back as each one is done, the daemon's errors
 * come after, and the exit status is 1 when any failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "run.h"
#include "runopts.h"
#include "units.h"

/* ---- one request per container ---- */

/* POST /containers/NAME/ACTION with the query pairs given. */
static int container_post(struct berth_client *c, const char *name, const char *action, const char *const *query,
			  struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, name);
	berth_path_append(&p, action);
	for (size_t i = 0; query && query[i]; i += 2)
		if (query[i + 1])
			berth_path_query(&p, query[i], query[i + 1]);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, NULL, err);
}

/* The errors gathered while going through the containers, printed at the
 * end as docker prints its joined error. */
struct failures {
	char *text;
	size_t len;
	FILE *f;
};

static void failure_add(struct failures *fl, const struct berth_error *err)
{
	if (!fl->f && !(fl->f = open_memstream(&fl->text, &fl->len)))
		return;
	fprintf(fl->f, "%s%s", ftell(fl->f) > 0 ? "\n" : "", err->msg);
}

static int failures_end(struct failures *fl)
{
	if (!fl->f)
		return 0;
	fclose(fl->f);
	fflush(stdout);
	fprintf(stderr, "%s\n", fl->text);
	free(fl->text);
	return 1;
}

/* ---- stop, kill, restart ---- */

static const struct berth_cmd_info stop_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Stop one or more running containers",
	"  -s, --signal string   Signal to send to the container\n"
	"  -t, --timeout int     Seconds to wait before killing the container\n",
};

static const struct berth_cmd_info restart_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Restart one or more containers",
	"  -s, --signal string   Signal to send to the container\n"
	"  -t, --timeout int     Seconds to wait before killing the container\n",
};

static const struct berth_cmd_info kill_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Kill one or more running containers",
	"  -s, --signal string   Signal to send to the container\n",
};

/* restart where the daemon has no /restart: stop, then start. */
static int restart_fallback(struct berth_client *c, const char *name, const char *const *query, struct berth_error *err)
{
	int r = container_post(c, name, "/stop", query, err);
	if (r == 0)
		r = container_post(c, name, "/start", NULL, err);
	return r;
}

int berth_cli_each_container(struct berth_cli *cli, const char *action, const char *const *query, int argc, char **argv)
{
	struct failures fl = { 0 };
	struct berth_error err = { 0 };
	struct berth_client *c;

	if (berth_cli_client(cli, &c, &err) < 0)
		return berth_cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		int r = container_post(c, argv[i], action, query, &err);
		if (r == -ENOENT && !strcmp(action, "/restart") && !strstr(err.msg, "No such container"))
			r = restart_fallback(c, argv[i], query, &err);
		if (r < 0) {
			failure_add(&fl, &err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return failures_end(&fl);
}

static const struct option kill_longopts[] = {
	{ "signal", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int stop_like(struct berth_cli *cli, const struct berth_cmd_info *info, const char *action, int argc,
		     char **argv)
{
	static const struct option longopts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ "time", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *signal = NULL, *timeout = NULL;
	bool kill = !strcmp(action, "/kill");
	struct berth_error e = { 0 };
	int64_t t = 0;
	int c;

	/* kill has no timeout: its table ends before it */
	while ((c = berth_cli_getopt(cli, info, argc, argv, kill ? ":s:h" : ":s:t:h",
				     kill ? kill_longopts : longopts)) != -1) {
		switch (c) {
		case 's':
			signal = optarg;
			break;
		case 't':
			if (!kill && berth_runopt_int(optarg, 0, &t, &e) < 0)
				return berth_cli_flag_error(cli, info,
							    "invalid argument \"%s\" for \"-t, --timeout\" flag: %s",
							    optarg, e.msg);
			timeout = optarg;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return berth_cli_min_args_error(cli, info);
	char tbuf[32];
	if (timeout)
		snprintf(tbuf, sizeof(tbuf), "%lld", (long long) t);
	const char *query[] = { "signal", signal && *signal ? signal : NULL, "t", timeout ? tbuf : NULL, NULL };
	return berth_cli_each_container(cli, action, query, argc, argv);
}

int berth_cmd_stop(struct berth_cli *cli, int argc, char **argv)
{
	return stop_like(cli, &stop_info, "/stop", argc, argv);
}

int berth_cmd_restart(struct berth_cli *cli, int argc, char **argv)
{
	return stop_like(cli, &restart_info, "/restart", argc, argv);
}

int berth_cmd_kill(struct berth_cli *cli, int argc, char **argv)
{
	return stop_like(cli, &kill_info, "/kill", argc, argv);
}

/* ---- rm ---- */

static const struct berth_cmd_info rm_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Remove one or more containers",
	"  -f, --force     Force the removal of a running container (uses SIGKILL)\n"
	"  -l, --link      Remove the specified link\n"
	"  -v, --volumes   Remove anonymous volumes associated with the container\n",
};

static int remove_one(struct berth_client *c, const char *name, bool force, bool volumes, bool link,
		      struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	char trimmed[4096];
	size_t s = strspn(name, "/"), n = strlen(name + s);
	while (n > 0 && name[s + n - 1] == '/')
		n--;
	snprintf(trimmed, sizeof(trimmed), "%.*s", (int) n, name + s);
	if (!*trimmed)
		return berth_error_set(err, EINVAL, "Container name cannot be empty");
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, trimmed);
	if (volumes)
		berth_path_query(&p, "v", "1");
	if (link)
		berth_path_query(&p, "link", "1");
	if (force)
		berth_path_query(&p, "force", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do_json(c, &(struct berth_request){ .method = "DELETE", .path = path }, NULL, err);
}

int berth_cmd_rm(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", optional_argument, NULL, 'f' },
		{ "volumes", optional_argument, NULL, 'v' },
		{ "link", optional_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false, volumes = false, link = false;
	struct berth_error err = { 0 };
	struct failures fl = { 0 };
	struct berth_client *c;
	int opt, r = 0;

	while ((opt = berth_cli_getopt(cli, &rm_info, argc, argv, ":fvlh", longopts)) != -1) {
		if (opt == 'f')
			r = berth_cli_parse_bool(cli, &rm_info, "-f, --force", optarg, &force);
		else if (opt == 'v')
			r = berth_cli_parse_bool(cli, &rm_info, "-v, --volumes", optarg, &volumes);
		else if (opt == 'l')
			r = berth_cli_parse_bool(cli, &rm_info, "-l, --link", optarg, &link);
		else
			return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_min_args_error(cli, &rm_info);
	if (berth_cli_client(cli, &c, &err) < 0)
		return berth_cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		if (remove_one(c, argv[i], force, volumes, link, &err) == 0) {
			printf("%s\n", argv[i]);
		} else if (force && err.code == ENOENT) {
			fflush(stdout);
			fprintf(stderr, "%s\n", err.msg); /* docker: said, but not a failure */
		} else {
			failure_add(&fl, &err);
		}
	}
	return failures_end(&fl);
}

/* ---- wait ---- */

static const struct berth_cmd_info wait_info = {
	"CONTAINER [CONTAINER...]",
	"Block until one or more containers stop, then print their exit codes",
	"",
};

int berth_cmd_wait(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct berth_error err = { 0 };
	struct failures fl = { 0 };
	struct berth_client *c;
	int opt;

	while ((opt = berth_cli_getopt(cli, &wait_info, argc, argv, ":h", longopts)) != -1)
		return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (optind >= argc)
		return berth_cli_min_args_error(cli, &wait_info);
	if (berth_cli_client(cli, &c, &err) < 0)
		return berth_cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		_cleanup_conn_ struct berth_conn *w = NULL;
		int status;
		if (berth_wait_open(c, argv[i], NULL, &w, &err) < 0) {
			failure_add(&fl, &err);
			continue;
		}
		berth_wait_result(w, &status, &err);
		printf("%d\n", status);
		fflush(stdout);
	}
	return failures_end(&fl);
}

/* ---- start ---- */

static const struct berth_cmd_info start_info = {
	"[OPTIONS] CONTAINER [CONTAINER...]",
	"Start one or more stopped containers",
	"  -a, --attach               Attach STDOUT/STDERR and forward signals\n"
	"      --detach-keys string   Override the key sequence for detaching a container\n"
	"  -i, --interactive          Attach container's STDIN\n",
};

static void set_detach_keys(struct berth_stream_opts *so, const char *keys)
{
	struct berth_error ignored = { 0 };
	if (keys &&
	    berth_runopt_detach_keys(keys, so->detach_keys, sizeof(so->detach_keys), &so->n_detach_keys, &ignored) < 0)
		so->n_detach_keys = 0;
}

/* start -a: attach, wait, start, stream, the container's status. */
static int start_attached(struct berth_cli *cli, const char *name, bool interactive, const char *keys)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_conn_ struct berth_conn *attach = NULL, *wait = NULL;
	struct berth_error err = { 0 };
	struct berth_client *c;
	int status = 0;

	if (berth_cli_client(cli, &c, &err) < 0 || berth_container_inspect(c, name, &doc, &err) < 0)
		return berth_cli_fail(&err);
	json_t *config = json_object_get(doc, "Config");
	const char *id = json_string_value(json_object_get(doc, "Id"));
	bool auto_remove = json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove"));
	struct berth_stream_opts so = {
		.id = id ? id : name,
		.tty = json_is_true(json_object_get(config, "Tty")),
		.in = interactive && json_is_true(json_object_get(config, "OpenStdin")),
		.out = true,
	};
	so.sig_proxy = !so.tty;
	so.monitor_size = so.tty && isatty(STDOUT_FILENO);
	set_detach_keys(&so, keys);
	if (berth_attach_open(c, so.id, so.in, true, true, &attach, &err) < 0)
		return berth_cli_fail(&err);
	if (berth_wait_open(c, so.id, auto_remove ? "removed" : "next-exit", &wait, &err) < 0)
		fprintf(stderr, "error waiting for container: %s\n", err.msg);
	if (container_post(c, name, "/start", NULL, &err) < 0) {
		berth_conn_free(berth_steal_ptr(&attach));
		if (auto_remove && wait)
			berth_wait_result(wait, &status, &err);
		return berth_cli_fail(&err);
	}
	if (so.monitor_size)
		berth_tty_resize_started(c, so.id);
	int r = berth_stream_run(c, attach, &so, &err);
	if (r == BERTH_STREAM_DETACHED)
		return 0;
	if (r < 0)
		return berth_cli_fail(&err);
	if (!wait)
		return 125;
	berth_wait_result(wait, &status, &err);
	return status;
}

static int start_detached(struct berth_cli *cli, int argc, char **argv)
{
	struct berth_error err = { 0 };
	struct berth_client *c;
	_cleanup_free_ char *failed = NULL;
	size_t len = 0;
	FILE *f = NULL;

	if (berth_cli_client(cli, &c, &err) < 0)
		return berth_cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		if (container_post(c, argv[i], "/start", NULL, &err) == 0) {
			printf("%s\n", argv[i]);
			continue;
		}
		fflush(stdout);
		fprintf(stderr, "%s\n", err.msg);
		if (!f && !(f = open_memstream(&failed, &len)))
			continue;
		fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", argv[i]);
	}
	if (!f)
		return 0;
	fclose(f);
	fflush(stdout);
	fprintf(stderr, "Error: failed to start containers: %s\n", failed);
	return 1;
}

int berth_cmd_start(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "attach", optional_argument, NULL, 'a' },
		{ "interactive", optional_argument, NULL, 'i' },
		{ "detach-keys", required_argument, NULL, 'K' },
		{ "checkpoint", required_argument, NULL, 'C' },
		{ "checkpoint-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool attach = false, interactive = false;
	const char *keys = NULL;
	int opt, r = 0;

	while ((opt = berth_cli_getopt(cli, &start_info, argc, argv, ":aih", longopts)) != -1) {
		if (opt == 'a')
			r = berth_cli_parse_bool(cli, &start_info, "-a, --attach", optarg, &attach);
		else if (opt == 'i')
			r = berth_cli_parse_bool(cli, &start_info, "-i, --interactive", optarg, &interactive);
		else if (opt == 'K')
			keys = optarg;
		else if (opt != 'C' && opt != 'D')
			return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind >= argc)
		return berth_cli_min_args_error(cli, &start_info);
	if (!attach && !interactive)
		return start_detached(cli, argc, argv);
	if (argc - optind > 1) {
		fflush(stdout);
		fprintf(stderr, "you cannot start and attach multiple containers at once\n");
		return 1;
	}
	return start_attached(cli, argv[optind], interactive, keys);
}

/* ---- attach ---- */

static const struct berth_cmd_info attach_info = {
	"[OPTIONS] CONTAINER",
	"Attach local standard input, output, and error streams to a running container",
	"      --detach-keys string   Override the key sequence for detaching a container\n"
	"      --no-stdin             Do not attach STDIN\n"
	"      --sig-proxy            Proxy all received signals to the process (default true)\n",
};

/* docker's check of the state before and after the attach. */
static int attachable(struct berth_client *c, const char *name, json_t **ret, struct berth_error *err)
{
	json_t *doc = NULL;
	int r = berth_container_inspect(c, name, &doc, err);
	if (r < 0)
		return r;
	json_t *state = json_object_get(doc, "State");
	if (!json_is_true(json_object_get(state, "Running")))
		r = berth_error_set(err, EINVAL, "You cannot attach to a stopped container, start it first");
	else if (json_is_true(json_object_get(state, "Paused")))
		r = berth_error_set(err, EINVAL, "You cannot attach to a paused container, unpause it first");
	else if (json_is_true(json_object_get(state, "Restarting")))
		r = berth_error_set(err, EINVAL,
				    "You cannot attach to a restarting container, wait until it is running");
	if (r < 0 || !ret)
		json_decref(doc);
	else
		*ret = doc;
	return r;
}

static int attach_container(struct berth_cli *cli, const char *name, bool no_stdin, bool proxy, const char *keys)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_conn_ struct berth_conn *attach = NULL, *wait = NULL;
	struct berth_error err = { 0 };
	struct berth_client *c;
	int status = 0;

	if (berth_cli_client(cli, &c, &err) < 0 || berth_wait_open(c, name, NULL, &wait, &err) < 0 ||
	    attachable(c, name, &doc, &err) < 0)
		return berth_cli_fail(&err);
	json_t *config = json_object_get(doc, "Config");
	const char *id = json_string_value(json_object_get(doc, "Id"));
	struct berth_stream_opts so = {
		.id = id ? id : name,
		.tty = json_is_true(json_object_get(config, "Tty")),
		.in = !no_stdin && json_is_true(json_object_get(config, "OpenStdin")),
		.out = true,
	};
	so.sig_proxy = proxy && !so.tty;
	so.monitor_size = so.tty && isatty(STDOUT_FILENO);
	set_detach_keys(&so, keys);
	if (so.tty && !no_stdin && !isatty(STDIN_FILENO)) {
		berth_error_set(&err, ENOTTY, "the input device is not a TTY");
		return berth_cli_fail(&err);
	}
	if (berth_attach_open(c, so.id, so.in, true, true, &attach, &err) < 0 || attachable(c, name, NULL, &err) < 0)
		return berth_cli_fail(&err);
	if (so.monitor_size) {
		berth_tty_resize(c, so.id, 1);
		berth_tty_resize(c, so.id, 0);
	}
	int r = berth_stream_run(c, attach, &so, &err);
	if (r == BERTH_STREAM_DETACHED) {
		/* docker's attach reports the detach as its error */
		fprintf(stderr, "read escape sequence\n");
		return 1;
	}
	if (r < 0)
		return berth_cli_fail(&err);
	berth_wait_result(wait, &status, &err);
	return status;
}

int berth_cmd_attach(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-stdin", optional_argument, NULL, 'n' },
		{ "sig-proxy", optional_argument, NULL, 'p' },
		{ "detach-keys", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool no_stdin = false, proxy = true;
	const char *keys = NULL;
	int opt, r = 0;

	while ((opt = berth_cli_getopt(cli, &attach_info, argc, argv, ":h", longopts)) != -1) {
		if (opt == 'n')
			r = berth_cli_parse_bool(cli, &attach_info, "--no-stdin", optarg, &no_stdin);
		else if (opt == 'p')
			r = berth_cli_parse_bool(cli, &attach_info, "--sig-proxy", optarg, &proxy);
		else if (opt == 'K')
			keys = optarg;
		else
			return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &attach_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	return attach_container(cli, argv[optind], no_stdin, proxy, keys);
}

/* ---- container prune ---- */

static const struct berth_cmd_info prune_info = {
	"[OPTIONS]",
	"Remove all stopped containers",
	"      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
	"  -f, --force           Do not prompt for confirmation\n",
};

static int prune(struct berth_cli *cli, json_t *filters, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *report = NULL;
	struct berth_client *c;
	char size[BERTH_UNITS_MAX];
	json_t *id;
	size_t i;

	berth_path_init(&p, "/containers/prune");
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	int r = path ? berth_cli_client(cli, &c, err) : -ENOMEM;
	if (r == 0)
		r = berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, &report, err);
	if (r < 0)
		return r;
	json_t *deleted = json_object_get(report, "ContainersDeleted");
	if (json_array_size(deleted) > 0) {
		printf("Deleted Containers:\n");
		json_array_foreach(deleted, i, id) printf("%s\n", json_string_value(id) ? json_string_value(id) : "");
		printf("\n");
	}
	berth_units_human_size((double) berth_output_int(report, "SpaceReclaimed"), size);
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

int berth_cmd_container_prune(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", optional_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *filters = json_object();
	struct berth_error err = { 0 };
	bool force = false;
	int opt, r = 0;

	while ((opt = berth_cli_getopt(cli, &prune_info, argc, argv, ":fh", longopts)) != -1) {
		if (opt == 'f')
			r = berth_cli_parse_bool(cli, &prune_info, "-f, --force", optarg, &force);
		else if (opt == 'F')
			r = berth_cli_filter_flag(cli, &prune_info, "--filter", filters, optarg) ? -1 : 0;
		else
			return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &prune_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	if (!force && !berth_output_confirm(stdin, stdout,
					    "WARNING! This will remove all stopped containers.\n"
					    "Are you sure you want to continue?"))
		return 0;
	if (!filters || prune(cli, filters, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
