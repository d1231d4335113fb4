/* The values of `berth run` / `berth create` flags, parsed as the docker CLI
 * parses them (its opts package, go-units, strconv), into what the create
 * body of the Engine API holds.
 *
 * Every parser fills err with the text docker prints after `invalid argument
 * "VALUE" for "FLAG" flag: ` (or after "berth: " for the checks docker makes
 * once all flags are read) and returns a negative errno.  Pure functions of
 * their arguments, except the two that read a file (--env-file,
 * --label-file, a seccomp profile) or the environment (-e NAME), so that
 * they can be unit-tested.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* ---- numbers ---- */

/* go-units RAMInBytes: "64m", "1g", "1.5G", "100", "1kb", "2 MiB": binary
 * multiples (k = 1024).  "invalid size: 'x'", "invalid suffix: 'x'",
 * "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax". */
int berth_runopt_ram_bytes(const char *s, int64_t *ret, struct berth_error *err);
/* --memory-swap: "-1" (unlimited) or RAMInBytes. */
int berth_runopt_swap_bytes(const char *s, int64_t *ret, struct berth_error *err);
/* --cpus: a decimal ("1.5", ".5", "1e-1") or a fraction ("1/4") of CPUs, in
 * billionths; "failed to parse x as a rational number", "value is too
 * precise". */
int berth_runopt_nano_cpus(const char *s, int64_t *ret, struct berth_error *err);
/* Go's strconv.ParseInt(s, base, 64): base 0 reads the 0x, 0o, 0b and 0
 * prefixes and underscores as pflag's integer flags do; base 10 is plain.
 * "strconv.ParseInt: parsing \"x\": invalid syntax" / "value out of range". */
int berth_runopt_int(const char *s, int base, int64_t *ret, struct berth_error *err);

/* ---- lists and maps ---- */

/* go-units ParseUlimit "nofile=1024[:2048]" -> {"Name","Hard","Soft"}. */
int berth_runopt_ulimit(const char *s, json_t **ret, struct berth_error *err);
/* docker's MountOpt: "type=bind,src=/a,dst=/b,readonly" (CSV, quotes
 * allowed) -> a Mount object.  A relative "./src" becomes absolute against
 * cwd. */
int berth_runopt_mount(const char *s, const char *cwd, json_t **ret, struct berth_error *err);
/* -v: *ret_bind is the HostConfig.Binds entry (malloc'ed) when the spec
 * names a source ("/a:/b:ro", "vol:/data"; "./a" and "~/a" made absolute
 * against cwd and home), or NULL for an anonymous volume, whose path is the
 * whole spec (Config.Volumes). */
int berth_runopt_volume(const char *spec, const char *cwd, const char *home, char **ret_bind, struct berth_error *err);
/* -e: "K=V" as is, "K" from the environment when set there (else as is);
 * appended to env.  "invalid environment variable: =x". */
int berth_runopt_env(const char *s, json_t *env, struct berth_error *err);
/* --env-file / --label-file: the lines of a file as docker reads them (a
 * BOM, blank lines and # comments skipped; "K" alone taken from the
 * environment when env_lookup, else dropped), appended to out.  Errors as
 * docker's: "open F: no such file or directory", "invalid env file (F):
 * variable 'a b' contains whitespaces". */
int berth_runopt_kv_file(const char *path, bool env_lookup, json_t *out, struct berth_error *err);
/* -l / --log-opt / --sysctl / labels from a file: "K=V" (or "K", value "")
 * set in map.  A label needs a name ("invalid label '=x': empty name"); a
 * sysctl must be one a container may set ("sysctl 'x' is not allowed"). */
int berth_runopt_label(const char *s, json_t *map, struct berth_error *err);
int berth_runopt_sysctl(const char *s, json_t *map, struct berth_error *err);
void berth_runopt_kv(const char *s, json_t *map);
/* --tmpfs "/run:size=1m" -> map["/run"] = "size=1m". */
void berth_runopt_tmpfs(const char *s, json_t *map);
/* --add-host "name:ip" or "name=ip" (ip may be in brackets, or
 * host-gateway) -> the "name:ip" the API takes (malloc'ed). */
int berth_runopt_add_host(const char *s, char **ret, struct berth_error *err);
/* --restart "no", "always", "on-failure:3" -> {"Name","MaximumRetryCount"}. */
int berth_runopt_restart(const char *s, json_t **ret, struct berth_error *err);
/* -a: "stdin", "stdout" or "stderr" in any case -> 0, 1, 2. */
int berth_runopt_attach_stream(const char *s, struct berth_error *err);

/* --cap-add / --cap-drop as the docker CLI (28) hands them to the daemon:
 * upper case with the CAP_ prefix ("ALL" kept), without duplicates, sorted;
 * what ALL or a name in both lists means is the daemon's to decide.  add
 * and drop are arrays of the flags' values; the results are new arrays
 * (NULL when empty). */
int berth_runopt_capabilities(json_t *add, json_t *drop, json_t **ret_add, json_t **ret_drop, struct berth_error *err);

/* --security-opt values checked ("Invalid --security-opt: \"x\""), a
 * seccomp profile file replaced by its compacted JSON, and
 * "systempaths=unconfined" taken out: *ret_unconfined_paths tells the
 * caller to send empty MaskedPaths and ReadonlyPaths.  opts is changed in
 * place. */
int berth_runopt_security(json_t *opts, bool *ret_unconfined_paths, struct berth_error *err);

/* --detach-keys "ctrl-p,ctrl-q" -> bytes (at most max); -EINVAL for an
 * unknown key ("Unknown character: 'x'"). */
int berth_runopt_detach_keys(const char *s, unsigned char *out, size_t max, size_t *ret_len, struct berth_error *err);

/* Go's filepath.Abs: path joined to cwd when relative, then cleaned
 * ("a/../b" -> "b", "//x/" -> "/x").  Malloc'ed, NULL when out of memory. */
char *berth_runopt_abs_path(const char *path, const char *cwd);
