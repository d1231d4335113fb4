/* What berth run and berth create do with the body cmd_run.c made
 * (cli/command/container/create.go, run.go): create, pulling the image
 * first when it is missing; for run, attach before the start, send the
 * wait before the start and read it after the output ended, start, copy
 * the streams, and leave with the container's exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authfile.h"
#include "cleanup.h"
#include "json.h"
#include "progress.h"
#include "reference.h"
#include "registry_auth.h"
#include "run.h"
#include "run_flags.h"
#include "runopts.h"

/* ---- messages ---- */

int berth_cli_run_error(struct berth_cli *cli, int status, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "berth: %s\n\nRun '%s --help' for more information\n", msg, cli->cmd_path);
	return status;
}

int berth_cli_min_args_error(struct berth_cli *cli, const struct berth_cmd_info *info)
{
	return berth_cli_min_n_args_error(cli, info, 1);
}

int berth_cli_min_n_args_error(struct berth_cli *cli, const struct berth_cmd_info *info, int n)
{
	fflush(stdout);
	fprintf(stderr,
		"berth: '%s' requires at least %d argument%s\n\nUsage:  %s %s\n\nSee '%s --help' for more "
		"information\n",
		cli->cmd_path, n, n == 1 ? "" : "s", cli->cmd_path, info->usage, cli->cmd_path);
	return 1;
}

int berth_container_inspect(struct berth_client *c, const char *id, json_t **ret, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/json");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	return berth_client_do_json(c, &(struct berth_request){ .path = path }, ret, err);
}

/* ---- pulling a missing image ---- */

/* X-Registry-Auth for ref's registry from config.json, or anonymous. */
static int registry_auth(struct berth_cli *cli, const struct berth_reference *ref, char **ret, struct berth_error *err)
{
	_cleanup_registry_credentials_ struct berth_registry_credentials creds = { 0 };
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	_cleanup_free_ char *path = NULL;
	int r = berth_cli_config_path(cli, &path, err);
	if (r >= 0)
		r = berth_authfile_load(path, &f, err);
	if (r >= 0)
		r = berth_authfile_lookup(f, ref->domain, &creds, err);
	if (r == -ENOTSUP)
		berth_registry_credentials_clear(&creds);
	else if (r < 0)
		return r;
	return berth_registry_auth_encode_header(&creds, ret, err);
}

static int pull_image(struct berth_cli *cli, const struct berth_reference *ref, const struct berth_create_opts *o,
		      struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_free_ char *auth = NULL;
	char familiar[BERTH_REFERENCE_MAX];
	struct berth_client *c;
	int r = registry_auth(cli, ref, &auth, err);
	if (r < 0 || (r = berth_cli_client(cli, &c, err)) < 0)
		return r;
	berth_reference_familiar_name(ref, familiar);
	berth_path_init(&p, "/images/create");
	berth_path_query(&p, "fromImage", familiar);
	berth_path_query(&p, "tag", ref->digest ? ref->digest : ref->tag);
	if (o->platform && *o->platform)
		berth_path_query(&p, "platform", o->platform);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	const struct berth_request req = { .method = "POST", .path = path, .registry_auth = auth };
	const struct berth_progress_options popts = {
		.out = o->quiet ? NULL : stderr,
		.out_fd = o->quiet ? -1 : STDERR_FILENO,
	};
	fflush(stderr);
	r = berth_progress_run(c, &req, &popts, err);
	if (r < 0 && strncmp(err->msg, "Error response from daemon: ", 28) != 0)
		berth_error_wrap(err, "Error response from daemon");
	return r;
}

/* ---- create ---- */

static int request_create(struct berth_client *c, const char *body, const struct berth_create_opts *o, json_t **ret,
			  struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, "/containers/create");
	if (o->name && *o->name)
		berth_path_query(&p, "name", o->name);
	if (o->platform && *o->platform)
		berth_path_query(&p, "platform", o->platform);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	const struct berth_request req = { .method = "POST", .path = path, .body = body, .body_len = strlen(body) };
	return berth_client_do_json(c, &req, ret, err);
}

int berth_container_create(struct berth_cli *cli, json_t *body, const struct berth_create_opts *o, char ret[65],
			   struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference *ref = NULL;
	_cleanup_json_ json_t *answer = NULL;
	_cleanup_free_ char *text = bjson_dump(body);
	struct berth_error ignored = { 0 };
	struct berth_client *c;
	char name[BERTH_REFERENCE_MAX];
	const char *image = json_string_value(json_object_get(body, "Image"));
	int r = berth_cli_client(cli, &c, err);

	if (r < 0)
		return r;
	if (!text)
		return berth_error_sys(err, ENOMEM, "create");
	/* a name (not an image ID) can be pulled */
	if (image && strlen(image) != 64 && strncmp(image, "sha256:", 7) != 0)
		berth_reference_parse(image, 0, &ref, &ignored);
	if (ref && o->pull && !strcmp(o->pull, "always") && (r = pull_image(cli, ref, o, err)) < 0)
		return r;
	r = request_create(c, text, o, &answer, err);
	if (r == -ENOENT && ref && (!o->pull || !strcmp(o->pull, "missing"))) {
		berth_reference_familiar_string(ref, name);
		if (!o->quiet)
			fprintf(stderr, "Unable to find image '%s' locally\n", name);
		if ((r = pull_image(cli, ref, o, err)) < 0)
			return r;
		r = request_create(c, text, o, &answer, err);
	}
	if (r < 0)
		return r;
	json_t *w;
	size_t i;
	json_array_foreach(json_object_get(answer, "Warnings"), i, w)
	{
		fprintf(stderr, "WARNING: %s\n", json_string_value(w) ? json_string_value(w) : "");
	}
	snprintf(ret, 65, "%s",
		 json_string_value(json_object_get(answer, "Id")) ? json_string_value(json_object_get(answer, "Id"))
								  : "");
	return 0;
}

static void create_opts(const struct berth_run_flags *rf, struct berth_create_opts *o)
{
	*o = (struct berth_create_opts){
		.name = rf->name, .pull = rf->pull, .platform = rf->platform, .quiet = rf->quiet
	};
}

static int check_pull_opt(struct berth_cli *cli, const char *pull)
{
	if (!strcmp(pull, "always") || !strcmp(pull, "missing") || !strcmp(pull, "never"))
		return 0;
	char msg[256];
	snprintf(msg, sizeof(msg), "invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"",
		 pull);
	return berth_cli_run_error(cli, BERTH_EXIT_USAGE, msg);
}

int berth_create_container_cmd(struct berth_cli *cli, struct berth_run_flags *rf, json_t *body)
{
	struct berth_error err = { 0 };
	struct berth_create_opts o;
	char id[65];
	int r = check_pull_opt(cli, rf->pull);
	if (r != 0)
		return r;
	if (rf->tty) {
		int rows, cols;
		berth_tty_size(&rows, &cols);
		json_object_set_new(json_object_get(body, "HostConfig"), "ConsoleSize", json_pack("[i,i]", rows, cols));
	}
	create_opts(rf, &o);
	if (berth_container_create(cli, body, &o, id, &err) < 0)
		return berth_cli_fail(&err);
	printf("%s\n", id);
	return 0;
}

/* ---- run ---- */

struct run_state {
	struct berth_cli *cli;
	struct berth_client *c;
	struct berth_run_flags *rf;
	char id[65];
	bool in, out, errs, tty, auto_remove;
	struct berth_conn *attach, *wait;
};

/* The checks and changes of run before the create: the terminal, -d. */
static int run_prepare(struct run_state *s, json_t *body, struct berth_error *err)
{
	s->in = json_is_true(json_object_get(body, "AttachStdin"));
	s->out = json_is_true(json_object_get(body, "AttachStdout"));
	s->errs = json_is_true(json_object_get(body, "AttachStderr"));
	s->tty = json_is_true(json_object_get(body, "Tty"));
	s->auto_remove = json_is_true(json_object_get(json_object_get(body, "HostConfig"), "AutoRemove"));
	if (!s->rf->detach) {
		if (s->tty && s->in && !isatty(STDIN_FILENO))
			return berth_error_set(err, ENOTTY, "the input device is not a TTY");
	} else {
		if (s->rf->attach_given)
			return berth_error_set(err, EINVAL,
					       "conflicting options: cannot specify both --attach and --detach");
		s->in = s->out = s->errs = false;
		json_object_set_new(body, "AttachStdin", json_false());
		json_object_set_new(body, "AttachStdout", json_false());
		json_object_set_new(body, "AttachStderr", json_false());
		json_object_set_new(body, "StdinOnce", json_false());
	}
	if (s->tty) {
		int rows, cols;
		berth_tty_size(&rows, &cols);
		json_object_set_new(json_object_get(body, "HostConfig"), "ConsoleSize", json_pack("[i,i]", rows, cols));
	}
	return 0;
}

static void stream_opts(const struct run_state *s, struct berth_stream_opts *o)
{
	struct berth_error ignored = { 0 };
	*o = (struct berth_stream_opts){
		.id = s->id,
		.tty = s->tty,
		.in = s->in,
		.out = s->out || s->errs,
		.sig_proxy = s->rf->sig_proxy_set ? s->rf->sig_proxy : !s->tty,
		.monitor_size = s->tty && isatty(STDOUT_FILENO),
	};
	if (s->rf->detach_keys && berth_runopt_detach_keys(s->rf->detach_keys, o->detach_keys, sizeof(o->detach_keys),
							   &o->n_detach_keys, &ignored) < 0)
		o->n_detach_keys = 0;
}

/* Start, with docker's words and status when it fails. */
static int run_start(struct run_state *s)
{
	struct berth_error err = { 0 };
	_cleanup_path_ struct berth_path p = { 0 };
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, s->id);
	berth_path_append(&p, "/start");
	const char *path = berth_path_get(&p, &err);
	if (path &&
	    berth_client_do_json(s->c, &(struct berth_request){ .method = "POST", .path = path }, NULL, &err) == 0)
		return 0;
	berth_conn_free(s->attach);
	s->attach = NULL;
	int status = berth_cli_run_error(s->cli, berth_start_error_status(err.msg), err.msg);
	if (s->auto_remove && s->wait) {
		int ignored;
		berth_wait_result(s->wait, &ignored, &err);
	}
	return status;
}

/* After the create: attach, wait, start, stream, the exit status. */
static int run_created(struct run_state *s)
{
	struct berth_error err = { 0 };
	struct berth_stream_opts so;
	int status = 0, r;

	if (!s->out && !s->errs) {
		printf("%s\n", s->id);
		fflush(stdout);
	}
	if ((s->in || s->out || s->errs) &&
	    berth_attach_open(s->c, s->id, s->in, s->out, s->errs, &s->attach, &err) < 0)
		return berth_cli_fail(&err);
	if (!s->rf->detach &&
	    berth_wait_open(s->c, s->id, s->auto_remove ? "removed" : "next-exit", &s->wait, &err) < 0)
		fprintf(stderr, "error waiting for container: %s\n", err.msg);
	if ((status = run_start(s)) != 0)
		return status;
	if (!s->attach)
		return 0;
	stream_opts(s, &so);
	if (so.monitor_size)
		berth_tty_resize_started(s->c, s->id);
	r = berth_stream_run(s->c, s->attach, &so, &err);
	if (r == BERTH_STREAM_DETACHED)
		return 0;
	if (r < 0)
		return berth_cli_fail(&err);
	if (!s->out && !s->errs)
		return 0;
	if (!s->wait)
		return 125;
	berth_wait_result(s->wait, &status, &err);
	return status;
}

int berth_run_container(struct berth_cli *cli, struct berth_run_flags *rf, json_t *body)
{
	struct run_state s = { .cli = cli, .rf = rf };
	struct berth_error err = { 0 };
	struct berth_create_opts o;
	int status = check_pull_opt(cli, rf->pull);

	if (status != 0)
		return status;
	if (run_prepare(&s, body, &err) < 0)
		return berth_cli_fail(&err);
	if (berth_cli_client(cli, &s.c, &err) < 0)
		return berth_cli_run_error(cli, BERTH_EXIT_USAGE, err.msg);
	create_opts(rf, &o);
	if (berth_container_create(cli, body, &o, s.id, &err) < 0)
		return berth_cli_run_error(cli, berth_start_error_status(err.msg), err.msg);
	status = run_created(&s);
	berth_conn_free(s.attach);
	berth_conn_free(s.wait);
	return status;
}
