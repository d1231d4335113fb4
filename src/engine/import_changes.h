/* docker import --change (and, later, docker commit --change): Dockerfile
 * instructions applied to an image's container config.
 *
 *     CMD ["/bin/sh", "-c", "echo hi"]       exec form (a JSON array of strings)
 *     CMD echo hi                             shell form: the config's Shell
 *                                             (default /bin/sh -c) + the text
 *     ENTRYPOINT ...                          as CMD; resets Cmd unless a CMD
 *                                             came before it, as docker does
 *     ENV A=1 B="two words"   ENV A 1         the second form: the rest is the value
 *     LABEL a=b "c d"=e
 *     WORKDIR /srv   WORKDIR sub              relative: below the current one
 *     USER 1000:1000
 *     EXPOSE 80 53/udp 8000-8002/tcp
 *     VOLUME /data   VOLUME ["/a", "/b"]
 *     STOPSIGNAL SIGTERM
 *     HEALTHCHECK NONE   HEALTHCHECK --interval=5s --retries=3 CMD curl -f x
 *     ONBUILD RUN make
 *
 * All changes are joined with newlines and read as one Dockerfile, as
 * docker does: a trailing backslash continues a line, lines starting with
 * '#' are comments.  Words are split as the Dockerfile shell lexer splits
 * them ('single', "double" quotes, backslash escapes) and, except in CMD,
 * ENTRYPOINT, HEALTHCHECK and ONBUILD, $VAR, ${VAR}, ${VAR:-word} and
 * ${VAR:+word} are replaced with the config's Env as it stood before the
 * instruction.
 *
 * Pure: no I/O.  The input is outside input, bounded below. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* All the changes together, in bytes (they come in a URL's query, which
 * the server bounds far below this anyway). */
#define BERTH_IMPORT_CHANGES_MAX_INPUT (64u << 10)
#define BERTH_IMPORT_CHANGES_MAX_INSTRUCTIONS 1000
/* Env, Labels, ExposedPorts, Volumes, OnBuild entries of the result. */
#define BERTH_IMPORT_CHANGES_MAX_ENTRIES 4096

/* Apply changes[0..n) to config, docker's container config object (Cmd,
 * Entrypoint, Env, WorkingDir, User, Labels, ExposedPorts, Volumes,
 * StopSignal, Healthcheck, OnBuild; Shell is read for shell forms).  On
 * error config is left as it was and err says which instruction was wrong
 * and why. */
int berth_import_changes_apply(const char *const *changes, size_t n, json_t *config, struct berth_error *err);
