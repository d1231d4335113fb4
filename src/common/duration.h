/* Go's time.Duration.String(), which docker prints in its messages
 * ("Health check exceeded timeout (1.5s)") and the CLI in its output. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* "0s", "1ns", "1.1µs", "2.2ms", "1.5s", "2m3s", "1h0m0s". */
void berth_duration_format(int64_t nanoseconds, char *out, size_t size);
