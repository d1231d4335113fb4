/* Running config.json hooks: each gets the container state on stdin, its
 * own args and env, and is killed at its timeout. */
#pragma once

#include "error.h"
#include "spec.h"

/* Run every hook of `kind` in order; the first failure stops the list and
 * is returned with the hook's exit status and the tail of its output. */
int berth_hooks_run(const struct berth_spec *spec, enum berth_hook_kind kind, const char *state_json,
		    struct berth_error *err);

/* Run every hook of `kind` whatever happens to the others, logging each
 * failure as a warning (poststop: runtime.md step 13). */
void berth_hooks_run_warn(const struct berth_spec *spec, enum berth_hook_kind kind, const char *state_json);
