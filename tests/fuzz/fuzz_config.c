/* config.json is outside input: any bytes must give a spec or an error,
 * never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_spec *spec = NULL;
	struct berth_error err = { 0 };

	/* Unknown capabilities are warnings: keep the fuzzer's output quiet. */
	berth_log_setup("fuzz", -1, BERTH_LOG_TEXT, BERTH_LOG_ERROR);
	if (berth_spec_parse((const char *) data, size, &spec, &err) == 0) {
		/* A parsed spec must be internally consistent. */
		if (spec->process.n_args == 0 || spec->process.args[0] == NULL || spec->process.cwd[0] != '/')
			__builtin_trap();
		for (size_t i = 0; i < spec->n_mounts; i++)
			if (spec->mounts[i].destination[0] != '/')
				__builtin_trap();
		berth_spec_free(spec);
	} else if (err.msg[0] == '\0' || strncmp(err.msg, "config.json", 11) != 0) {
		__builtin_trap(); /* every error names its source */
	}
	return 0;
}
