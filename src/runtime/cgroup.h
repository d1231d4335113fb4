/* The container's cgroup, behind one interface with two drivers chosen by
 * what the host mounts: v1 (a hierarchy per controller, as on this hybrid
 * host, where the empty v2 tree is joined too, for its cgroup.kill,
 * cgroup.freeze and cgroup.events) and v2 (the unified hierarchy).
 *
 * Every file is written through the cgroup's directory, so the drivers run
 * as well against a fake cgroupfs in a temporary directory (unit tests). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "resources.h"

#define BERTH_CGROUP_MAX_DIRS 24

enum berth_cgroup_version {
	BERTH_CGROUP_NONE = 0, /* rootless without delegation: no cgroup */
	BERTH_CGROUP_V1 = 1,
	BERTH_CGROUP_V2 = 2,
};

struct berth_cgroup_dir {
	char *controllers; /* v1: "cpu,cpuacct", "memory", "name=systemd"; "" for a v2 tree */
	char *path;	   /* absolute directory of the container's cgroup */
	bool created;	   /* made by us: ours to remove (and to empty) */
};

struct berth_cgroup {
	enum berth_cgroup_version version;
	struct berth_cgroup_dir dirs[BERTH_CGROUP_MAX_DIRS];
	size_t n;
};

/* Where the container's cgroup is: cgroupsPath absolute (from each
 * hierarchy's root), relative or absent (from our own cgroup, "<id>"). */
int berth_cgroup_resolve(const char *cgroups_path, const char *id, struct berth_cgroup *ret, struct berth_error *err);

/* Make the directories (refusing a cgroup that already has processes) and,
 * on v2, enable the controllers the resources need. */
int berth_cgroup_create(struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err);

/* Write the limits.  update: an `update` of a running container (v2 checks
 * checkBeforeUpdate). */
int berth_cgroup_apply(struct berth_cgroup *cg, const struct berth_resources *res, bool update,
		       struct berth_error *err);

int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid, struct berth_error *err);

/* Putting a new process in the cgroup without moving it afterwards.
 * Writing a pid to cgroup.procs takes the kernel's global threadgroup
 * lock, and taking it when nobody has lately waits a whole RCU grace
 * period (15 ms and more: most of a container's start).  Two ways skip the
 * lock: a clone straight into a v2 directory (CLONE_INTO_CGROUP), and a
 * single thread moving itself into a v1 hierarchy ("0" written to its
 * tasks file).  prepare opens what the new process needs; the process
 * calls join_self first thing; the runtime then calls join_finish, which
 * writes the pid wherever neither way was taken (an old kernel, a user
 * namespace whose ids are not mapped yet). */
struct berth_cgroup_join {
	int v2_dirfd;				/* the v2 (or hybrid's unified) directory, or -1 */
	int tasks_fds[BERTH_CGROUP_MAX_DIRS]; /* v1 tasks files, write-only; -1 */
	bool self;				/* the process joins the v1 hierarchies itself */
	bool cloned_into;			/* the clone went into v2_dirfd */
};
int berth_cgroup_join_prepare(const struct berth_cgroup *cg, bool self, struct berth_cgroup_join *ret,
			      struct berth_error *err);
/* In the new process; closes the descriptors. */
int berth_cgroup_join_self(struct berth_cgroup_join *j, struct berth_error *err);
/* init_pid: for an exec, the container's init (on v2, a container that
 * made sub-cgroups takes the exec'd process where its init is); 0 for the
 * init itself. */
int berth_cgroup_join_finish(const struct berth_cgroup *cg, const struct berth_cgroup_join *j, pid_t pid,
			     pid_t init_pid, struct berth_error *err);
/* clone (flags: namespaces, CLONE_PARENT; SIGCHLD is added) straight
 * into j's v2 directory when there is one, setting cloned_into in the
 * parent; a plain clone when the kernel refuses (no clone3, an old kernel,
 * a cgroup that takes no process), join_finish then writing the pid.
 * Returns as clone does. */
pid_t berth_cgroup_clone(struct berth_cgroup_join *j, int flags);
void berth_cgroup_join_close(struct berth_cgroup_join *j);

/* The processes in the container's cgroup. */
int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err);

/* Signal every process (SIGKILL through cgroup.kill when there is one;
 * otherwise frozen, signalled, thawed, so nothing forks past us). */
int berth_cgroup_signal_all(const struct berth_cgroup *cg, int sig, struct berth_error *err);

int berth_cgroup_freeze(const struct berth_cgroup *cg, bool frozen, struct berth_error *err);
bool berth_cgroup_is_frozen(const struct berth_cgroup *cg);

/* Statistics as runc's `events --stats` data object. */
int berth_cgroup_stats(const struct berth_cgroup *cg, json_t **ret, struct berth_error *err);
/* The OOM-kill count (memory.events oom_kill on v2, memory.oom_control on v1). */
int berth_cgroup_oom_kills(const struct berth_cgroup *cg, uint64_t *ret);

/* Remove the directories create made, killing anything left in them
 * first; a cgroup that was there before is never touched. */
int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error *err);

json_t *berth_cgroup_to_json(const struct berth_cgroup *cg);
int berth_cgroup_from_json(json_t *j, struct berth_cgroup *ret, struct berth_error *err);
void berth_cgroup_release(struct berth_cgroup *cg);

/* The directory that holds a controller's files; NULL if not mounted. */
const char *berth_cgroup_dir_for(const struct berth_cgroup *cg, const char *controller);

/* Drivers (cgroup_v1.c, cgroup_v2.c). */
int berth_cgroup_v1_apply(const struct berth_cgroup *cg, const struct berth_resources *res, bool update,
			  struct berth_error *err);
int berth_cgroup_v1_freeze(const struct berth_cgroup *cg, bool frozen, struct berth_error *err);
int berth_cgroup_v1_stats(const struct berth_cgroup *cg, json_t *data);
int berth_cgroup_v2_enable_controllers(const char *root, const char *leaf, const struct berth_resources *res,
				       struct berth_error *err);
int berth_cgroup_v2_apply(const char *dir, const struct berth_resources *res, bool update, struct berth_error *err);
int berth_cgroup_v2_freeze(const char *dir, bool frozen, struct berth_error *err);
int berth_cgroup_v2_stats(const char *dir, json_t *data);
/* cgroup_v2_devices.c: the device rules as an eBPF program on the cgroup. */
int berth_cgroup_v2_devices(const char *dir, const struct berth_device_rule *rules, size_t n,
			    struct berth_error *err);

/* Small file helpers shared by the drivers. */
int berth_cg_write(const char *dir, const char *file, const char *value, struct berth_error *err);
int berth_cg_writef(const char *dir, const char *file, struct berth_error *err, const char *fmt, ...)
	BERTH_PRINTF(4, 5);
int berth_cg_read(const char *dir, const char *file, char *buf, size_t size);
bool berth_cg_has(const char *dir, const char *file);
/* A key's value in a "key value" file (memory.stat, memory.events). */
bool berth_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret);

/* The default allow rules every container gets after the config's own:
 * mknod of anything, and the default devices (null, zero, full, random,
 * urandom, tty, console, ptmx, pts). */
extern const struct berth_device_rule berth_default_device_rules[];
extern const size_t berth_n_default_device_rules;

/* Our own cgroup (from /proc/self/cgroup's text) in the hierarchy named by
 * its controllers ("cpu,cpuacct", "name=systemd"; "" for v2); "" for the
 * root.  -ENOENT when that hierarchy has no line. */
int berth_cgroup_own_path(const char *proc_cgroup, const char *controllers, char *out, size_t size);

/* The name of a v1 hierarchy as /proc/self/cgroup spells it: the
 * superblock options less the flags (rw, xattr, release_agent=...). */
void berth_cgroup_hierarchy_name(const char *superopts, char *out, size_t size);

/* Put an exec'd process in the container's cgroup; on v2, when that cgroup
 * has children with controllers (EBUSY), in the init's own cgroup. */
int berth_cgroup_enter_for_exec(const struct berth_cgroup *cg, pid_t pid, pid_t init_pid, struct berth_error *err);
