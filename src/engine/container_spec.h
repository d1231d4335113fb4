/* A container's OCI config.json, made from its image's config and the
 * Engine API's create request (Config + HostConfig) the way dockerd makes
 * it: docker's default capabilities, seccomp profile, masked and read-only
 * paths, devices and mounts, the image's Entrypoint/Cmd/Env/WorkingDir/User
 * merged with the request's, HostConfig's resources and security options.
 *
 * Pure: everything that needs the engine's state (the resolved user, the
 * container's own files, named volumes, other containers' namespaces) is
 * resolved by the caller and passed in, so the whole mapping is
 * unit-tested field by field.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "userdb.h"

#define BERTH_CONTAINER_OCI_VERSION "1.0.2"
/* The stored HostConfig's own key: {destination: anonymous volume name}
 * (see container_volumes.c); never shown by inspect. */
#define BERTH_ANONYMOUS_VOLUMES_KEY "BerthAnonymousVolumes"
#define BERTH_DEFAULT_SHM_SIZE (64ll << 20)
#define BERTH_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct berth_container_spec_input {
	const char *id;		  /* 64 hex */
	json_t *image_config;	  /* the image config's "config" object (Env, Cmd, ...); may be NULL */
	json_t *config;		  /* the request's container config (Cmd, Env, Tty, ...) */
	json_t *host_config;	  /* HostConfig; may be NULL */
	const char *rootfs;	  /* the merged root file system */
	const char *hostname_path; /* the container's own /etc/hostname, /etc/hosts, */
	const char *hosts_path;	  /* /etc/resolv.conf, bind-mounted in (NULL: none) */
	const char *resolv_path;
	const char *cgroup_parent; /* "/berth": the container's cgroup is PARENT/ID */
	json_t *seccomp_default;  /* the docker-format default profile; NULL: none on this host */
	const struct berth_exec_user *user; /* resolved from the image's passwd/group */
	const char *init_path;	  /* HostConfig.Init: the reaper to bind in and run first */
	/* Namespaces of other containers (container:NAME modes), as
	 * /proc/PID/ns/... paths resolved by the caller; NULL when unused. */
	const char *pid_ns_path, *ipc_ns_path, *net_ns_path;
	/* A named volume's host directory: 0 with *ret (malloc'ed), or an
	 * error; the caller creates it when missing, as docker does. */
	int (*volume_path)(void *ctx, const char *name, char **ret, struct berth_error *err);
	void *volume_ctx;
};

/* *ret: a new config.json document. */
int berth_container_spec(const struct berth_container_spec_input *in, json_t **ret, struct berth_error *err);

/* The process's argv as docker merges it: the request's Entrypoint replaces
 * the image's (and then the image's Cmd is dropped), the request's Cmd
 * replaces the image's.  An empty result is docker's "no command
 * specified" error. */
int berth_container_args(json_t *image_config, json_t *config, json_t **ret, struct berth_error *err);

/* The environment: the image's, then the request's (a key set again
 * replaces the image's value), PATH defaulted, HOSTNAME first, TERM=xterm
 * with a tty. */
json_t *berth_container_env(json_t *image_config, json_t *config, const char *hostname);

/* Docker's capability set after CapAdd / CapDrop ("ALL", names with or
 * without CAP_, any case); an unknown name is an error. */
int berth_container_caps(json_t *cap_add, json_t *cap_drop, bool privileged, json_t **ret, struct berth_error *err);

/* linux.resources from HostConfig (memory, cpu, pids, blockIO, devices), as
 * at create and for `update`. */
int berth_container_resources(json_t *host_config, json_t **ret, struct berth_error *err);
