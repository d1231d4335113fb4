/* Showing a JSON message stream (a pull's progress) on the user's terminal
 * or in a log, as the docker CLI's jsonstream.Display does: the stream is
 * read from the daemon message by message and drawn as it arrives.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "client.h"
#include "error.h"

struct berth_progress_options {
	FILE *out;   /* NULL: show nothing (pull -q), but still fail on errors */
	int out_fd;  /* for isatty() and the terminal width; -1: not a terminal */
	/* Called for messages with "aux" (may be NULL). */
	int (*aux)(void *userdata, json_t *aux, struct berth_error *err);
	void *userdata;
};

/* Send req and display its answer.  An error message in the stream ends
 * the display and is returned in err (the daemon's text, unprefixed, as
 * docker prints it). */
int berth_progress_run(struct berth_client *c, const struct berth_request *req,
		       const struct berth_progress_options *opts, struct berth_error *err);
