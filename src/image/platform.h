/* Platforms ("linux/amd64", "linux/arm64/v8", "linux/arm/v7"): parsing,
 * normalisation, the host's platform, and matching an image's platform
 * against the one wanted, as containerd (and so docker) do.
 *
 * Normalised form: lowercase; x86_64 / x86-64 -> amd64 (variant v1 dropped,
 * it is amd64's baseline); i386 / i486 / i586 / i686 -> 386; aarch64 -> arm64
 * with variant v8 made explicit ("", "8", "v8" -> "v8", so "linux/arm64"
 * formats as "linux/arm64/v8", as containerd's parser and docker's image
 * inspect show it); armhf -> arm/v7, armel -> arm/v6, arm without a variant
 * -> arm/v7, "5".."8" -> "v5".."v8"; macos -> darwin.
 */
#pragma once

#include <stdbool.h>

#include "error.h"

#define BERTH_PLATFORM_FIELD_MAX 32
/* "os/architecture/variant" and the NUL */
#define BERTH_PLATFORM_STRING_MAX (3 * BERTH_PLATFORM_FIELD_MAX)

struct berth_platform {
	char os[BERTH_PLATFORM_FIELD_MAX];
	char architecture[BERTH_PLATFORM_FIELD_MAX];
	char variant[BERTH_PLATFORM_FIELD_MAX]; /* "" when there is none */
};

/* Parse "os/arch[/variant]" or a single "arch" (os linux) or "os" (the
 * host's architecture), and normalise it. */
int berth_platform_parse(const char *s, struct berth_platform *ret, struct berth_error *err);

/* Fill from separate fields (an index entry's or an image config's);
 * variant may be NULL.  Each field is at most BERTH_PLATFORM_FIELD_MAX - 1
 * bytes of [A-Za-z0-9_.-]; `what` names the source in errors. */
int berth_platform_set(struct berth_platform *ret, const char *os, const char *architecture, const char *variant,
		       const char *what, struct berth_error *err);

/* Normalise in place (idempotent). */
void berth_platform_normalize(struct berth_platform *p);

/* The platform of the running kernel, from uname(2). */
int berth_platform_host(struct berth_platform *ret, struct berth_error *err);

/* How well an image built for `have` suits a host wanting `want`: 0 is an
 * exact match, higher numbers are older compatible variants (arm64/v8.2
 * runs v8.1; amd64/v3 runs v2, v1 and 386; arm64 runs arm/v8..v5; arm/v7
 * runs v6 and v5); -1 means it does not run.  Both are normalised first. */
int berth_platform_rank(const struct berth_platform *want, const struct berth_platform *have);

static inline bool berth_platform_match(const struct berth_platform *want, const struct berth_platform *have)
{
	return berth_platform_rank(want, have) >= 0;
}

/* "linux/arm64/v8", "linux/amd64" */
void berth_platform_format(const struct berth_platform *p, char out[BERTH_PLATFORM_STRING_MAX]);
