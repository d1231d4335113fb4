/* docker import --change: Dockerfile instructions from the request's query
 * applied to an image config.  Any bytes must apply or fail with a message,
 * never crash, leak, loop or grow without bound; a failure leaves the
 * config as it was.  The input is split at NUL bytes into several changes
 * (docker sends one query parameter per --change). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import_changes.h"

#define MAX_CHANGES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *changes[MAX_CHANGES];
	size_t n = 0;
	for (char *p = buf; n < MAX_CHANGES && p <= buf + size; p += strlen(p) + 1)
		changes[n++] = p;
	json_t *config = json_pack("{s:[s, s], s:s, s:[s]}", "Env", "PATH=/bin", "HOME=/root", "WorkingDir", "/srv",
				   "Shell", "/bin/sh");
	char *before = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	struct berth_error err = { 0 };
	if (berth_import_changes_apply(changes, n, config, &err) == 0) {
		char *after = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
		if (!after || !json_is_object(config))
			__builtin_trap();
		free(after);
	} else {
		char *after = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
		if (!err.msg[0] || !before || !after || strcmp(before, after) != 0)
			__builtin_trap();
		free(after);
	}
	free(before);
	json_decref(config);
	free(buf);
	return 0;
}
