/* linux.intelRdt: the container in a resctrl group (config-linux.md
 * "IntelRdt").  Without a mounted resctrl filesystem: a clear error. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Set the group up and put pid in it.  *ret_created_dir is the group this
 * call made (to remove on delete), or NULL. */
int berth_resctrl_apply(json_t *intel_rdt, const char *id, pid_t pid, char **ret_created_dir,
			struct berth_error *err);
void berth_resctrl_remove(const char *dir);
