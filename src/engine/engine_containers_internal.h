/* Shared between engine_containers*.c; not part of the engine's API. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "containers.h"
#include "engine.h"
#include "engine_containers.h"

/* An attach to a container that is not running yet: connected by start,
 * before the program runs, so no output is missed. */
struct pending_attach {
	char header[64]; /* "attach stdin stdout stderr" */
	int fd;		 /* -1 until connected */
	int error;	 /* set instead when the start failed */
	struct pending_attach *next;
};

/* What the engine knows of a container beyond its record: the monitor of a
 * running one, and the exits it saw, for waiters. */
struct live_container {
	char id[BERTH_CONTAINER_ID_LEN + 1];
	bool running, monitored, removed;
	int monitor_fd; /* the shim's wait connection, -1 */
	int waiters;	/* threads in wait: the entry outlives a remove for them */
	uint64_t exits; /* how many exits were seen */
	bool stopped_by_user; /* docker stop / kill: no restart policy applies */
	int64_t started_ms;   /* for the restart backoff's reset */
	int backoff_ms;
	struct pending_attach *attaching;
	int64_t exit_code;
	struct live_container *next;
};

struct engine_containers {
	pthread_mutex_t lock; /* the list, and one lifecycle operation at a time */
	pthread_cond_t changed;
	struct live_container *live;
	char *runtime, *shim, *runtime_root;
	json_t *seccomp_default;
	int monitors; /* monitor threads still running */
	struct exec_record *execs; /* engine_container_exec.c */
	int n_execs;
	struct engine_health *health; /* engine_health.c; NULL until a container has a healthcheck */
	char *init_given, *init_path; /* berthd --init-path; the init found (init_binary.h) */
};

/* Exec records go with their container, and at close. */
void exec_forget_container(struct engine_containers *cs, const char *container);
void exec_forget_all(struct engine_containers *cs);

/* The container's process (from its config.json) with an exec request's
 * changes (Cmd, Env, WorkingDir, User, Privileged). */
int exec_process(struct berth_engine *e, const char *container, json_t *request, bool tty, json_t **ret,
		 struct berth_error *err);
/* Write the process file and have the shim run it as exec_id (its stdio on
 * EXEC_ROOT/containers/ID/exec-EXECID.sock). */
int exec_launch(struct berth_engine *e, const char *container, const char *exec_id, json_t *process, bool tty,
		bool in, struct berth_error *err);

/* engine_health.c: the container (under cs->lock) was started (State.Health
 * reset to starting), re-adopted (kept), or stopped; close at shutdown. */
void health_container_started(struct berth_engine *e, struct berth_container_record *c);
void health_watch(struct berth_engine *e, const struct berth_container_record *c);
void health_unwatch(struct berth_engine *e, const char *id);
void health_close(struct berth_engine *e);

/* The static init for HostConfig.Init (under cs->lock): found on first
 * use, or the reason there is none. */
int container_init_path(struct berth_engine *e, const char **ret, struct berth_error *err);

/* ROOT/containers/ID and EXEC_ROOT/containers/ID */
void container_dir(struct berth_engine *e, const char *id, char out[4096]);
void container_state_dir(struct berth_engine *e, const char *id, char out[4096]);

/* The live entry of id (made when missing); under lock. */
struct live_container *live_get(struct engine_containers *cs, const char *id);

struct live_container *live_find(struct engine_containers *cs, const char *id);
/* Free a removed container's entry once nobody waits on it (under lock). */
void live_release(struct engine_containers *cs, struct live_container *l);
bool record_running(const struct berth_container_record *c);
/* docker rm (under lock); volumes: its anonymous volumes too. */
int container_remove_locked(struct berth_engine *e, struct berth_container_record *c, bool force, bool volumes,
			    struct berth_error *err);

/* An exit, recorded (under lock): State, waiters, rootfs, die event. */
void record_exit(struct berth_engine *e, const char *id, int code, int64_t when, const char *error);
/* Watch a running container through a shim wait connection (fd taken). */
int start_monitor(struct berth_engine *e, const char *id, int fd, struct berth_error *err);

/* The container a user means (ID, name or ID prefix), read. */
int container_resolve(struct berth_engine *e, const char *what, struct berth_container_record *c,
		      struct berth_error *err);
/* The OCI runtime's VERB on the container (pause, resume; ps with
 * --format json), run by berthd itself; *out (may be NULL) its stdout. */
int container_runtime(struct berth_engine *e, const char *verb, const char *id, char **out, struct berth_error *err);
/* The OCI runtime's `delete --force` of the container: whatever of it still
 * runs is killed, the runtime's state and cgroup go; errors are ignored
 * (for a container the runtime no longer knows there is nothing to do). */
void container_runtime_delete(struct berth_engine *e, const char *id);

/* Start a container (under lock): the record's state is updated. */
int container_start_locked(struct berth_engine *e, struct berth_container_record *c, struct berth_error *err);
/* Whether HostConfig.RestartPolicy restarts a container that exited with
 * code (restarts: how many times it was restarted already). */
bool restart_policy_applies(json_t *host_config, int code, int restarts);

/* RFC 3339 with nanoseconds, UTC; docker's zero time for 0. */
void format_time(int64_t nano, char out[64]);
/* Back to nanoseconds since the epoch (0 for the zero time). */
int64_t parse_time(const char *s);
int64_t now_nano(void);

/* State documents as docker shows them. */
json_t *state_created(void);

void container_event(struct berth_engine *e, const char *action, const struct berth_container_record *c,
		     json_t *extra);
/* dockerd's exec events: "exec_create: CMD ARGS" (verb alone when argv is
 * NULL), the execID attribute and extra's (stolen). */
void exec_event(struct berth_engine *e, const struct berth_container_record *c, const char *verb, json_t *argv,
		const char *exec_id, json_t *extra);

/* ---- container_volumes.c: a container's named and anonymous volumes ---- */
/* Acquire every volume the container mounts, making the anonymous ones
 * (recorded in host_config). */
int container_volumes_acquire(struct berth_engine *e, const char *id, json_t *config, json_t *host_config,
			      struct berth_error *err);
/* docker's copy-up: an empty volume gets what the image has at its path. */
int container_volumes_populate(struct berth_engine *e, const struct berth_container_record *c, const char *rootfs,
			       struct berth_error *err);
/* docker's volume "mount" (at start) and "unmount" (at exit) events. */
void container_volumes_events(struct berth_engine *e, const struct berth_container_record *c, const char *action);
/* rm -v and --rm: the container's anonymous volumes, once released. */
void container_volumes_remove_anonymous(struct berth_engine *e, const struct berth_container_record *c);
/* Append inspect's Mounts entries of the anonymous volumes. */
void container_volumes_anonymous_json(struct berth_engine *e, const struct berth_container_record *c, json_t *mounts);
/* HostConfig as inspect shows it: without berthd's own key (a new reference). */
json_t *container_public_host_config(json_t *host_config);

/* The inspect document and the list row of a record. */
json_t *container_inspect_json(struct berth_engine *e, const struct berth_container_record *c);
json_t *container_list_json(struct berth_engine *e, const struct berth_container_record *c);
/* SizeRw (what the container wrote, left out when 0) and SizeRootFs. */
void container_add_sizes(struct berth_engine *e, const struct berth_container_record *c, json_t *row);
