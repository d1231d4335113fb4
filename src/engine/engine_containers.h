/* Containers in the engine: docker's semantics (create, start, stop, kill,
 * wait, remove, inspect, list) over the container store, the container's
 * root file system, its config.json and its berth-shim.
 *
 * What runs is the shims' business; the engine keeps, per container it
 * knows to be running, a monitor thread blocked in the shim's `wait`
 * request.  When it answers, the exit is recorded (State, an event) and
 * waiters are woken.  A daemon start re-adopts running containers: a shim
 * that still answers gets a new monitor; one that is gone left its exit
 * file (the container exited meanwhile) or nothing (the host rebooted or the
 * shim was killed: the container is recorded as exited).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "error.h"

int berth_engine_containers_open(struct berth_engine *e, const struct berth_engine_options *o,
				 struct berth_error *err);
/* Wake whoever waits on a container (attach, wait): the daemon stops. */
void berth_engine_containers_wake(struct berth_engine *e);
/* Stop watching (running containers go on, as docker's live restore). */
void berth_engine_containers_close(struct berth_engine *e);

/* POST /containers/create: body is the Config with HostConfig inside;
 * name may be NULL.  *ret_id: the new container's ID. */
int berth_engine_container_create(struct berth_engine *e, const char *name, json_t *body, char ret_id[65],
				  struct berth_error *err);

/* -EALREADY when it runs already (docker's 304). */
int berth_engine_container_start(struct berth_engine *e, const char *what, struct berth_error *err);

/* The stop signal, then SIGKILL after timeout seconds (< 0: the
 * container's StopTimeout, else 10).  -EALREADY when it is not running. */
int berth_engine_container_stop(struct berth_engine *e, const char *what, int timeout, const char *signal,
				struct berth_error *err);

/* signal NULL: SIGKILL.  -EBUSY (409) "is not running". */
int berth_engine_container_kill(struct berth_engine *e, const char *what, const char *signal, struct berth_error *err);

/* docker wait in two steps, so that an exit between the request and the
 * start of the wait (the docker CLI starts the container once the wait's
 * headers came back) is not missed: prepare notes where the container
 * stands, finish blocks.  condition: "not-running" (default), "next-exit",
 * "removed". */
struct berth_container_waiter {
	char id[65];
	char condition[16];
	uint64_t exits;
	bool done;	  /* nothing to wait for */
	int64_t code;
};
int berth_engine_container_wait_prepare(struct berth_engine *e, const char *what, const char *condition,
					struct berth_container_waiter *w, struct berth_error *err);
/* *ret_code: the exit code. */
int berth_engine_container_wait_finish(struct berth_engine *e, struct berth_container_waiter *w, int64_t *ret_code);

/* volumes: its anonymous volumes go too (docker rm -v). */
int berth_engine_container_remove(struct berth_engine *e, const char *what, bool force, bool volumes,
				  struct berth_error *err);

/* docker's inspect document. */
/* size: SizeRw and SizeRootFs too (they take a walk of the container's upper directory). */
int berth_engine_container_inspect(struct berth_engine *e, const char *what, bool size, json_t **ret,
				   struct berth_error *err);

/* docker's list: all (else running only), limit (<= 0: no limit), filters
 * id, name, label, status, ancestor, exited. */
int berth_engine_container_list(struct berth_engine *e, bool all, int limit, bool size, json_t *filters, json_t **ret,
				struct berth_error *err);

/* A connection to the container's stdio as the shim serves it (docker's
 * multiplexed frames without a tty, raw bytes with one).  begin registers
 * the attach (for a container not running yet, before the client can send
 * its start), wait hands over the socket once it is connected (at the
 * start) and frees the handle. */
struct berth_attach;
int berth_engine_container_attach_begin(struct berth_engine *e, const char *what, bool in, bool out, bool errs,
					struct berth_attach **ret, bool *ret_tty, struct berth_error *err);
int berth_engine_container_attach_wait(struct berth_engine *e, struct berth_attach *a, int *ret_fd,
				       struct berth_error *err);
/* The client went away before the upgrade: drop the registration (and a
 * connection made for it) and free the handle. */
void berth_engine_container_attach_cancel(struct berth_engine *e, struct berth_attach *a);

/* docker exec: create (body: Cmd, Env, WorkingDir, User, Tty, Attach*,
 * Privileged), start (the stdio socket in *ret_fd unless detach), wait for
 * its end, inspect. */
int berth_engine_exec_create(struct berth_engine *e, const char *what, json_t *body, char ret_id[65],
			     struct berth_error *err);
int berth_engine_exec_start(struct berth_engine *e, const char *exec_id, bool detach, int *ret_fd, bool *ret_tty,
			    bool *ret_stdin, struct berth_error *err);
int berth_engine_exec_wait(struct berth_engine *e, const char *exec_id, struct berth_error *err);
/* What start would refuse (no such exec, started already, its container
 * not running), checked without starting: an attached start answers 101
 * first and starts the process after, as dockerd does, so that its first
 * output never travels with the 101's headers (clients such as docker-py
 * lose what comes in the same read). */
int berth_engine_exec_check(struct berth_engine *e, const char *exec_id, bool *ret_tty, bool *ret_stdin,
			    struct berth_error *err);
int berth_engine_exec_inspect(struct berth_engine *e, const char *exec_id, json_t **ret, struct berth_error *err);

/* The terminal size of a container (exec_id NULL) or of an exec session. */
int berth_engine_resize(struct berth_engine *e, const char *what, const char *exec_id, int rows, int cols,
			struct berth_error *err);

/* engine_container_ops.c */
int berth_engine_container_pause(struct berth_engine *e, const char *what, bool pause, struct berth_error *err);
int berth_engine_container_restart(struct berth_engine *e, const char *what, int timeout, struct berth_error *err);
int berth_engine_container_rename(struct berth_engine *e, const char *what, const char *name, struct berth_error *err);
/* Every stopped container (filters until, label): {ContainersDeleted, SpaceReclaimed}. */
int berth_engine_container_prune(struct berth_engine *e, json_t *filters, json_t **ret, struct berth_error *err);
/* docker info's counts. */
struct berth_container_counts {
	int total, running, paused, stopped;
};
int berth_engine_container_counts(struct berth_engine *e, struct berth_container_counts *ret, struct berth_error *err);
/* A container using image_id, a running one first: 1 with its ID and
 * whether it runs, 0 when none does. */
int berth_engine_image_user(struct berth_engine *e, const char *image_id, char ret_id[65], bool *ret_running,
			    struct berth_error *err);
/* docker top: {Titles, Processes}. */
/* docker top: the host's ps with ps_args (NULL or "": -ef), the container's rows. */
int berth_engine_container_top(struct berth_engine *e, const char *what, const char *ps_args, json_t **ret,
			       struct berth_error *err);

/* engine_export.c: docker export, a plain tar of the container's file
 * system as it is (the image's layers and the container's changes), made
 * as it is read: berth_tree_tar_read gives its next bytes (0 at the end). */
struct berth_tree_tar;
int berth_engine_container_export(struct berth_engine *e, const char *what, struct berth_tree_tar **ret,
				  struct berth_error *err);
/* engine_archive.c: docker cp.  The X-Docker-Container-Path-Stat value of
 * a path in the container (-ENOENT: docker's "Could not find the file"),
 * and with GET the tar of it, made as it is read. */
int berth_engine_container_archive_stat(struct berth_engine *e, const char *what, const char *path, char **ret_header,
					struct berth_error *err);
int berth_engine_container_archive_get(struct berth_engine *e, const char *what, const char *path, char **ret_header,
				       struct berth_tree_tar **ret, struct berth_error *err);
/* PUT: the archive in fd (plain, gzip, zstd, xz or bzip2) extracted into the
 * directory path; the container is checked first by _check, when the
 * upload begins. */
struct berth_archive_put {
	const char *path;
	bool no_overwrite_dir_nondir;
	bool copy_uid_gid;
	int fd;
};
int berth_engine_container_archive_check(struct berth_engine *e, const char *what, struct berth_error *err);
int berth_engine_container_archive_put(struct berth_engine *e, const char *what, const struct berth_archive_put *p,
				       struct berth_error *err);
/* docker diff: [{"Path": "/x", "Kind": 0 modified, 1 added, 2 deleted}], by path. */
int berth_engine_container_changes(struct berth_engine *e, const char *what, json_t **ret, struct berth_error *err);

struct berth_container_io {
	char id[65];
	char attach_socket[4096]; /* the shim's; "" when not running */
	char log_path[4096];
	bool tty, running;
};

/* Where a container's output is: for attach and logs. */
int berth_engine_container_io(struct berth_engine *e, const char *what, struct berth_container_io *ret,
			      struct berth_error *err);

/* engine_container_stats.c: docker stats, one sample: docker's document
 * (read, pids, blkio, cpu, memory, networks...); prev (may be NULL) is the
 * sample before, its cpu_stats become precpu_stats.  A container that does
 * not run gives docker's zeroed document. */
int berth_engine_container_stats(struct berth_engine *e, const char *what, json_t *prev, json_t **ret,
				 struct berth_error *err);
/* engine_container_update.c: docker update (body: Memory, MemorySwap,
 * MemoryReservation, NanoCpus, CpuShares, CpuQuota, CpuPeriod, CpusetCpus,
 * CpusetMems, PidsLimit, BlkioWeight, RestartPolicy); *ret_warnings: an array. */
int berth_engine_container_update(struct berth_engine *e, const char *what, json_t *body, json_t **ret_warnings,
				  struct berth_error *err);

/* engine_df.c: system df.  Images: per image ID {"SharedSize", "Containers"}
 * and the bytes of every layer once; containers: list rows with SizeRw and
 * SizeRootFs. */
int berth_engine_df_images(struct berth_engine *e, json_t **ret, int64_t *ret_layers_size, struct berth_error *err);
int berth_engine_df_containers(struct berth_engine *e, json_t **ret, struct berth_error *err);
