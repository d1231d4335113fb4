/* config.json as typed C: the result of parsing and validating a bundle's
 * configuration before anything is created.
 *
 * Strings are borrowed from `json`, which the spec owns; arrays are owned.
 * Everything here has been checked for type and shape; what can only be
 * checked against the host (does the rootfs exist, is that path a network
 * namespace) is checked by the create step before it changes anything.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "resources.h"

enum berth_ns_type {
	BERTH_NS_USER, /* first: joining or creating it first lets the others be owned by it */
	BERTH_NS_MOUNT,
	BERTH_NS_PID,
	BERTH_NS_NETWORK,
	BERTH_NS_IPC,
	BERTH_NS_UTS,
	BERTH_NS_CGROUP,
	BERTH_NS_TIME,
	BERTH_NS_COUNT,
};

struct berth_namespace {
	bool enabled;	  /* listed in linux.namespaces */
	const char *path; /* join this one; NULL: create a new one */
};

struct berth_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

/* What one mount entry's options amount to. */
struct berth_mount_flags {
	unsigned long flags;	  /* MS_* for mount(2) */
	unsigned long propagation[4]; /* MS_SHARED|MS_REC, ... applied in order */
	size_t n_propagation;
	uint64_t rec_attr_set;	  /* MOUNT_ATTR_* applied with AT_RECURSIVE (rro, rnosuid, ...) */
	uint64_t rec_attr_clr;
	bool bind;		  /* bind or rbind */
	bool recursive_bind;	  /* rbind */
	bool tmpcopyup;
	bool idmap;		  /* idmap or ridmap */
	bool recursive_idmap;
	char *data;		  /* filesystem-specific options, comma-joined; NULL if none */
};

struct berth_mount {
	char *destination; /* absolute, cleaned */
	const char *type;  /* may be NULL for bind mounts */
	const char *source;
	struct berth_mount_flags opts;
	struct berth_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct berth_device {
	char type; /* c, b, u or p */
	const char *path;
	int64_t major, minor;
	uint32_t file_mode;
	bool has_file_mode;
	uint32_t uid, gid;
	bool has_uid, has_gid;
};

struct berth_rlimit {
	int resource;
	uint64_t soft, hard;
};

enum berth_cap_set {
	BERTH_CAP_BOUNDING,
	BERTH_CAP_EFFECTIVE,
	BERTH_CAP_INHERITABLE,
	BERTH_CAP_PERMITTED,
	BERTH_CAP_AMBIENT,
	BERTH_CAP_SET_COUNT,
};

struct berth_capabilities {
	bool present;			    /* process.capabilities was given */
	uint64_t sets[BERTH_CAP_SET_COUNT]; /* bit n: capability n */
};

struct berth_scheduler {
	bool set;
	int policy;
	int32_t nice, priority;
	uint64_t flags;
	uint64_t runtime, deadline, period;
};

struct berth_io_priority {
	bool set;
	int ioclass; /* IOPRIO_CLASS_* */
	int level;   /* 0..7 */
};

struct berth_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	const char *cwd;
	const char **env; /* NULL-terminated */
	size_t n_env;
	const char **args; /* NULL-terminated, at least one */
	size_t n_args;
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	struct berth_rlimit *rlimits;
	size_t n_rlimits;
	struct berth_capabilities caps;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	const char *apparmor_profile;
	const char *selinux_label;
	struct berth_scheduler scheduler;
	struct berth_io_priority io_priority;
};

struct berth_memory_policy {
	bool set;
	int mode;
	unsigned flags;
	unsigned long nodemask[16]; /* nodes 0..1023 */
	unsigned long maxnode;	    /* highest node + 2, 0 without nodes */
};

enum berth_hook_kind {
	BERTH_HOOK_PRESTART,
	BERTH_HOOK_CREATE_RUNTIME,
	BERTH_HOOK_CREATE_CONTAINER,
	BERTH_HOOK_START_CONTAINER,
	BERTH_HOOK_POSTSTART,
	BERTH_HOOK_POSTSTOP,
	BERTH_HOOK_KIND_COUNT,
};

struct berth_hook {
	const char *path;
	const char **args; /* NULL-terminated; NULL: argv is just path */
	const char **env;  /* NULL-terminated; NULL: empty environment */
	int64_t timeout;   /* seconds; 0: none */
};

struct berth_hook_list {
	struct berth_hook *hooks;
	size_t count;
};

struct berth_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct berth_spec {
	json_t *json;
	const char *oci_version;
	const char *root_path;
	bool root_readonly;
	struct berth_mount *mounts;
	size_t n_mounts;
	struct berth_process process;
	const char *hostname;
	const char *domainname;
	struct berth_hook_list hooks[BERTH_HOOK_KIND_COUNT];
	json_t *annotations; /* borrowed object, may be NULL */

	struct berth_namespace ns[BERTH_NS_COUNT];
	struct berth_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct berth_time_offset time_monotonic, time_boottime;
	struct berth_device *devices;
	size_t n_devices;
	const char **masked_paths; /* NULL-terminated */
	const char **readonly_paths;
	unsigned long rootfs_propagation; /* MS_* flags; 0: default (rslave) */
	const char *mount_label;
	const char *cgroups_path;
	json_t *resources_json; /* linux.resources, borrowed */
	struct berth_resources resources;
	json_t *sysctl;	   /* linux.sysctl, borrowed: key -> string */
	json_t *seccomp;   /* linux.seccomp, borrowed */
	json_t *intel_rdt; /* linux.intelRdt, borrowed */
	json_t *net_devices; /* linux.netDevices, borrowed: host name -> {name} */
	bool has_personality;
	unsigned long personality;
	struct berth_memory_policy memory_policy;
};

/* spec_extras.c: the rest of config-linux.md */
int berth_process_extras_parse(json_t *process, const char *path, struct berth_process *p, struct berth_error *err);
int berth_linux_extras_parse(struct berth_spec *spec, json_t *lx, struct berth_error *err);
/* "0-3,7" -> bits; -EINVAL if malformed or beyond max. */
int berth_parse_cpu_list(const char *text, unsigned long *mask, size_t max_bits, unsigned long *ret_highest);

/* Parse and validate config.json text. Errors read "config.json: <path>: <reason>". */
int berth_spec_parse(const char *text, size_t len, struct berth_spec **ret, struct berth_error *err);

/* The same for a document already parsed (the copy kept in state.json). */
int berth_spec_from_json(json_t *json, struct berth_spec **ret, struct berth_error *err);

/* Whether the config's ociVersion is older than MAJOR.MINOR (the lifecycle
 * changed between spec versions). */
bool berth_spec_version_before(const struct berth_spec *spec, int major, int minor);

/* Load <bundle>/config.json. */
int berth_spec_load(const char *bundle, struct berth_spec **ret, struct berth_error *err);

/* Parse a process object (the same shape as config.json's "process") for exec. */
int berth_process_parse(json_t *obj, const char *path, struct berth_process *ret, struct berth_error *err);
void berth_process_release(struct berth_process *p);

void berth_spec_free(struct berth_spec *spec);
static inline void berth_spec_freep(struct berth_spec **s)
{
	if (*s)
		berth_spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(berth_spec_freep)))

const char *berth_hook_kind_name(enum berth_hook_kind kind); /* "createRuntime" */
const char *berth_ns_type_name(enum berth_ns_type t);
int berth_ns_type_from_name(const char *name); /* -1 if unknown */
int berth_ns_clone_flag(enum berth_ns_type t);
const char *berth_ns_proc_name(enum berth_ns_type t); /* "mnt", "net": the /proc/PID/ns entry */

/* Mount options of one entry -> flags; unknown options become fs data. */
int berth_mount_options_parse(const char **options, size_t n, struct berth_mount_flags *ret, const char *path,
			      struct berth_error *err);
/* All option names berth recognises, for `features`. */
const char *const *berth_mount_option_names(void);

/* A capability name ("CAP_SYS_ADMIN") -> number; -1 if unknown. */
int berth_cap_from_name(const char *name);
