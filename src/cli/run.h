/* What the container commands share: creating a container as `docker
 * create` does (pulling a missing image), and the attached session of
 * `run`, `start -a` and `attach`, the streams copied between the user's
 * terminal and the container as docker's hijackedIOStreamer does.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "commands.h"
#include "error.h"
#include "hijack.h"

/* ---- creating ---- */

struct berth_create_opts {
	const char *name;     /* --name, or NULL */
	const char *pull;     /* --pull: "missing" (default), "always", "never" */
	const char *platform; /* --platform, or NULL */
	bool quiet;	      /* -q: no pull progress */
};

/* POST /containers/create with body (Config with HostConfig and
 * NetworkingConfig inside, as the API takes it).  An image that is not
 * there is pulled as docker does ("Unable to find image 'X' locally" and
 * the progress on stderr) and the create tried again; the daemon's
 * warnings are printed ("WARNING: ..."). ret: the ID, 65 bytes. */
int berth_container_create(struct berth_cli *cli, json_t *body, const struct berth_create_opts *o, char ret[65],
			   struct berth_error *err);

/* ---- the attached session ---- */

#define BERTH_DETACH_KEYS_MAX 16

struct berth_stream_opts {
	const char *id;	   /* the container (the exec with exec), for resize and kill */
	bool exec;	   /* id is an exec's: its tty resized at /exec/ID/resize */
	bool tty;	   /* the container has a terminal: raw bytes, not frames */
	bool in;	   /* copy stdin to the container (then half-close at EOF) */
	bool out;	   /* some output stream is attached */
	bool sig_proxy;	   /* forward SIGINT, SIGTERM... as POST /kill?signal= */
	bool monitor_size; /* send the terminal's size again on SIGWINCH */
	unsigned char detach_keys[BERTH_DETACH_KEYS_MAX];
	size_t n_detach_keys; /* 0: ctrl-p,ctrl-q */
};

/* What berth_stream_run returns when the user typed the detach keys. */
#define BERTH_STREAM_DETACHED 1

/* POST /containers/ID/attach?stream=1&stdin=&stdout=&stderr=, hijacked. */
int berth_attach_open(struct berth_client *c, const char *id, bool in, bool out, bool err_, struct berth_conn **ret,
		      struct berth_error *err);
/* POST /containers/ID/wait?condition=C, its head read (the daemon then
 * knows of the waiter); the answer is read by berth_wait_result. */
int berth_wait_open(struct berth_client *c, const char *id, const char *condition, struct berth_conn **ret,
		    struct berth_error *err);
/* The exit status the wait answers (125 after printing docker's message
 * when it answers an error). */
int berth_wait_result(struct berth_conn *conn, int *ret_status, struct berth_error *err);

/* Copy the streams until the container's output ends (or, with no output
 * attached, stdin does): 0, BERTH_STREAM_DETACHED, or a negative errno.
 * The terminal is raw while stdin is copied to a container's tty, and
 * restored on every way out. */
int berth_stream_run(struct berth_client *c, struct berth_conn *conn, const struct berth_stream_opts *o,
		     struct berth_error *err);

/* Send the terminal's size (stdout's) to the container's tty: POST
 * /containers/ID/resize?h=&w=, a daemon without it (404) ignored.  delta
 * is added to both (docker's attach resizes to +1 first). */
void berth_tty_resize(struct berth_client *c, const char *id, int delta);
/* The same after a start: retried a few times, as docker does, with its
 * message when it never works. */
void berth_tty_resize_started(struct berth_client *c, const char *id);
/* The same for an exec's tty (POST /exec/ID/resize), without the message
 * when the exec ended before its size could be set. */
void berth_exec_resize_started(struct berth_client *c, const char *exec_id);
/* The terminal's rows and columns (0 when stdout is not one). */
void berth_tty_size(int *rows, int *cols);

/* docker's exit status for a container that did not start: 127 for "not
 * found" errors, 126 for "permission denied", 125 otherwise. */
int berth_start_error_status(const char *msg);

/* "GET /containers/ID/json": the inspect document. */
int berth_container_inspect(struct berth_client *c, const char *id, json_t **ret, struct berth_error *err);
/* docker's "berth: MESSAGE\n\nRun 'berth run --help' for more
 * information" on stderr; returns status. */
int berth_cli_run_error(struct berth_cli *cli, int status, const char *msg);
/* "'berth start' requires at least 1 argument" with docker's "See" hint
 * for the commands that take one or more; returns 1. */
int berth_cli_min_args_error(struct berth_cli *cli, const struct berth_cmd_info *info);
/* The same for commands that take n or more ("requires at least 2 arguments"). */
int berth_cli_min_n_args_error(struct berth_cli *cli, const struct berth_cmd_info *info, int n);

/* ---- the commands' flows (cmd_run_flow.c) ---- */

struct berth_run_flags;
/* berth create: the container made, its ID printed. */
int berth_create_container_cmd(struct berth_cli *cli, struct berth_run_flags *rf, json_t *body);
/* berth run: create, attach, wait, start, copy the streams; the exit
 * status is the container's (125, 126, 127 for what docker maps). */
int berth_run_container(struct berth_cli *cli, struct berth_run_flags *rf, json_t *body);
