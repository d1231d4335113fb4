/* berth exec: a command run in a running container as docker exec runs it
 * (cli/command/container/exec.go): the environment files read first, the
 * container inspected (its "No such container" before anything else), the
 * terminal checked, the exec created, then started hijacked with its
 * streams copied by the session of run and attach (or started detached
 * with -d), and its exit code, read back from the exec's inspect, made
 * berth's exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "run.h"
#include "runopts.h"

static const struct berth_cmd_info exec_info = {
	"[OPTIONS] CONTAINER COMMAND [ARG...]",
	"Execute a command in a running container",
	"  -d, --detach               Detached mode: run command in the background\n"
	"      --detach-keys string   Override the key sequence for detaching a\n"
	"                             container\n"
	"  -e, --env list             Set environment variables\n"
	"      --env-file list        Read in a file of environment variables\n"
	"  -i, --interactive          Keep STDIN open even if not attached\n"
	"      --privileged           Give extended privileges to the command\n"
	"  -t, --tty                  Allocate a pseudo-TTY\n"
	"  -u, --user string          Username or UID (format:\n"
	"                             \"<name|uid>[:<group|gid>]\")\n"
	"  -w, --workdir string       Working directory inside the container\n",
};

struct exec_opts {
	bool detach, interactive, tty, privileged;
	const char *user, *workdir, *detach_keys; /* borrowed from argv */
	json_t *env, *env_files;		  /* the -e and --env-file values, in order */
};

static void exec_opts_clear(struct exec_opts *o)
{
	json_decref(o->env);
	json_decref(o->env_files);
}

/* The exec's create body (docker's parseExec): the files' variables first,
 * then -e's; all streams attached unless -d. */
static int exec_body(const struct exec_opts *o, char **cmd, int ncmd, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *env = json_array(), *args = json_array();
	json_t *v;
	size_t i;
	int r;
	if (!env || !args)
		return berth_error_sys(err, ENOMEM, "exec");
	json_array_foreach(o->env_files, i, v)
	{
		if ((r = berth_runopt_kv_file(json_string_value(v), true, env, err)) < 0)
			return r;
	}
	json_array_extend(env, o->env);
	for (int k = 0; k < ncmd; k++)
		json_array_append_new(args, json_string_nocheck(cmd[k]));
	*ret = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:s, s:O, s:s, s:O}", "User", o->user ? o->user : "",
			 "Privileged", o->privileged, "Tty", o->tty, "AttachStdin", !o->detach && o->interactive,
			 "AttachStdout", !o->detach, "AttachStderr", !o->detach, "DetachKeys",
			 o->detach_keys ? o->detach_keys : "", "Env", env, "WorkingDir", o->workdir ? o->workdir : "",
			 "Cmd", args);
	if (!*ret)
		return berth_error_sys(err, ENOMEM, "exec");
	if (o->tty) {
		int rows, cols;
		berth_tty_size(&rows, &cols);
		json_object_set_new(*ret, "ConsoleSize", json_pack("[i,i]", rows, cols));
	}
	return 0;
}

/* POST /containers/NAME/exec: the exec's ID, 65 bytes. */
static int exec_create(struct berth_client *c, const char *container, json_t *body, char id[65],
		       struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *answer = NULL;
	_cleanup_free_ char *text = bjson_dump(body);
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, container);
	berth_path_append(&p, "/exec");
	const char *path = berth_path_get(&p, err);
	if (!path || !text)
		return berth_error_sys(err, ENOMEM, "exec");
	const struct berth_request req = { .method = "POST", .path = path, .body = text, .body_len = strlen(text) };
	int r = berth_client_do_json(c, &req, &answer, err);
	if (r < 0)
		return r;
	const char *s = json_string_value(json_object_get(answer, "Id"));
	if (!s || !*s)
		return berth_error_set(err, EPROTO, "exec ID empty");
	snprintf(id, 65, "%s", s);
	return 0;
}

/* POST /exec/ID/start: hijacked into *ret, or with -d (ret NULL) answered
 * at once. */
static int exec_start(struct berth_client *c, const char *id, json_t *create, struct berth_conn **ret,
		      struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_conn_ struct berth_conn *conn = NULL;
	_cleanup_json_ json_t *body = json_pack("{s:b, s:O}", "Detach", !ret, "Tty", json_object_get(create, "Tty"));
	json_t *size = json_object_get(create, "ConsoleSize");
	if (body && size)
		json_object_set(body, "ConsoleSize", size);
	_cleanup_free_ char *text = body ? bjson_dump(body) : NULL;
	berth_path_init(&p, "/exec/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/start");
	const char *path = berth_path_get(&p, err);
	if (!path || !text)
		return berth_error_sys(err, ENOMEM, "exec start");
	if (!ret) {
		const struct berth_request req = {
			.method = "POST", .path = path, .body = text, .body_len = strlen(text)
		};
		return berth_client_do_json(c, &req, NULL, err);
	}
	int r = berth_conn_open(c, &conn, err);
	if (r == 0)
		r = berth_conn_request(conn, "POST", path, text, true, err);
	if (r < 0)
		return r;
	if (berth_conn_status(conn) != 101 && berth_conn_status(conn) != 200)
		return berth_error_set(err, EPROTO, "Error response from daemon: exec start answered %ld",
				       berth_conn_status(conn));
	*ret = berth_steal_ptr(&conn);
	return 0;
}

/* GET /exec/ID/json: its ExitCode. */
static int exec_exit_code(struct berth_client *c, const char *id, int *ret, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	berth_path_init(&p, "/exec/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/json");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c, &(struct berth_request){ .path = path }, &doc, err);
	if (r < 0)
		return r;
	*ret = (int) json_integer_value(json_object_get(doc, "ExitCode"));
	return 0;
}

/* Start attached, copy the streams, read the exit code (docker's
 * interactiveExec). */
static int exec_attached(struct berth_client *c, const char *id, const struct exec_opts *o, json_t *create)
{
	_cleanup_conn_ struct berth_conn *conn = NULL;
	struct berth_error err = { 0 };
	struct berth_stream_opts so = {
		.id = id,
		.exec = true,
		.tty = o->tty,
		.in = o->interactive,
		.out = true,
		.monitor_size = o->tty && isatty(STDIN_FILENO),
	};
	int status = 0;
	if (o->detach_keys && berth_runopt_detach_keys(o->detach_keys, so.detach_keys, sizeof(so.detach_keys),
						       &so.n_detach_keys, &err) < 0)
		so.n_detach_keys = 0;
	if (exec_start(c, id, create, &conn, &err) < 0) {
		/* dockerd upgrades, writes why the command could not run in the
		 * stream and has inspect say 126; a daemon that answers the
		 * start with that error (berthd) gets the same status here */
		int code = berth_start_error_status(err.msg);
		berth_cli_fail(&err);
		return code == 125 ? 1 : code;
	}
	if (so.monitor_size)
		berth_exec_resize_started(c, id);
	int r = berth_stream_run(c, conn, &so, &err);
	if (r == BERTH_STREAM_DETACHED) {
		/* docker's exec, like its attach, reports the detach as its error */
		fflush(stdout);
		fprintf(stderr, "read escape sequence\n");
		return 1;
	}
	if (r < 0 || exec_exit_code(c, id, &status, &err) < 0)
		return berth_cli_fail(&err);
	return status;
}

static int exec_run(struct berth_cli *cli, const char *container, const struct exec_opts *o, char **cmd, int ncmd)
{
	_cleanup_json_ json_t *body = NULL, *doc = NULL;
	struct berth_error err = { 0 };
	struct berth_client *c;
	char id[65];

	if (exec_body(o, cmd, ncmd, &body, &err) < 0 || berth_cli_client(cli, &c, &err) < 0 ||
	    berth_container_inspect(c, container, &doc, &err) < 0)
		return berth_cli_fail(&err);
	/* before the create, which would leave an exec behind */
	if (!o->detach && o->tty && o->interactive && !isatty(STDIN_FILENO)) {
		berth_error_set(&err, ENOTTY, "the input device is not a TTY");
		return berth_cli_fail(&err);
	}
	if (exec_create(c, container, body, id, &err) < 0)
		return berth_cli_fail(&err);
	if (!o->detach)
		return exec_attached(c, id, o, body);
	if (exec_start(c, id, body, NULL, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}

/* One flag; -1 to go on, else the exit status. */
static int exec_flag(struct berth_cli *cli, struct exec_opts *o, int opt)
{
	struct berth_error err = { 0 };
	bool *b = opt == 'd' ? &o->detach : opt == 'i' ? &o->interactive : opt == 't' ? &o->tty : &o->privileged;
	static const char *const names[] = { ['d'] = "-d, --detach", ['i'] = "-i, --interactive",
					     ['t'] = "-t, --tty", ['P'] = "--privileged" };
	switch (opt) {
	case 'd':
	case 'i':
	case 't':
	case 'P':
		return berth_cli_parse_bool(cli, &exec_info, names[opt], optarg, b) < 0 ? BERTH_EXIT_USAGE : -1;
	case 'e':
		if (berth_runopt_env(optarg, o->env, &err) < 0)
			return berth_cli_flag_error(cli, &exec_info, "invalid argument \"%s\" for \"-e, --env\" flag: %s",
						    optarg, err.msg);
		return -1;
	case 'E':
		return json_array_append_new(o->env_files, json_string_nocheck(optarg)) < 0 ? 1 : -1;
	case 'u':
		o->user = optarg;
		return -1;
	case 'w':
		o->workdir = optarg;
		return -1;
	case 'K':
		o->detach_keys = optarg;
		return -1;
	default:
		return opt == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
}

int berth_cmd_exec(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "detach", optional_argument, NULL, 'd' },	 { "detach-keys", required_argument, NULL, 'K' },
		{ "env", required_argument, NULL, 'e' },	 { "env-file", required_argument, NULL, 'E' },
		{ "interactive", optional_argument, NULL, 'i' }, { "privileged", optional_argument, NULL, 'P' },
		{ "tty", optional_argument, NULL, 't' },	 { "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },	 { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_opts o = { .env = json_array(), .env_files = json_array() };
	int opt, status = -1;

	if (!o.env || !o.env_files) {
		struct berth_error err = { 0 };
		exec_opts_clear(&o);
		berth_error_sys(&err, ENOMEM, "exec");
		return berth_cli_fail(&err);
	}
	/* '+': the options end at the container's name, as docker's
	 * SetInterspersed(false), and the command's own are left alone */
	while (status < 0 && (opt = berth_cli_getopt(cli, &exec_info, argc, argv, "+:dite:u:w:h", longopts)) != -1)
		status = exec_flag(cli, &o, opt);
	if (status < 0 && argc - optind < 2)
		status = berth_cli_min_n_args_error(cli, &exec_info, 2);
	if (status < 0)
		status = exec_run(cli, argv[optind], &o, argv + optind + 1, argc - optind - 1);
	exec_opts_clear(&o);
	return status;
}
