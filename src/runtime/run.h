#pragma once

#include <stdbool.h>

#include "container.h"

struct berth_run_opts {
	struct berth_create_opts create;
	bool detach;
	bool keep;
};

/* create + start, then (without detach) wait with signals forwarded and
 * delete unless keep.  *ret_exit_code: the container's exit status. */
int berth_container_run(const struct berth_run_opts *o, int *ret_exit_code, struct berth_error *err);
