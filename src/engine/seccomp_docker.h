/* Docker-format seccomp profiles (the one containers-common ships at
 * /usr/share/containers/seccomp.json, and what `--security-opt seccomp=FILE`
 * names) turned into an OCI linux.seccomp object for one container.
 *
 * The docker format is a superset: rules carry conditions (includes /
 * excludes on the architecture, the container's capabilities and the
 * kernel's version) and the architectures come from an archMap keyed by the
 * native architecture.  Conversion keeps the rules whose conditions hold for
 * this container on this host, as dockerd does when it starts a container:
 * a rule that only applies with CAP_SYS_ADMIN is kept for a privileged-ish
 * container and dropped for a default one.
 */
#pragma once

#include <jansson.h>

#include "error.h"

/* What the conditions are evaluated against. */
struct berth_seccomp_target {
	char goarch[16];	 /* "amd64", "arm64", ...: the names docker's profiles use */
	char scmp_arch[32];	 /* "SCMP_ARCH_X86_64": the archMap key */
	char kernel[65];	 /* uname release, "6.1.0-18-amd64" */
	const char *const *caps; /* the container's bounding set, "CAP_..." names, NULL-terminated */
};

/* The target for this host's architecture and kernel (caps left NULL). */
void berth_seccomp_target_host(struct berth_seccomp_target *t);

/* profile (a parsed docker-format document) -> *ret, a new OCI
 * linux.seccomp object.  Errors name the field ("syscalls[3].names: ..."). */
int berth_seccomp_from_docker(json_t *profile, const struct berth_seccomp_target *t, json_t **ret,
			      struct berth_error *err);
