/* `spec`: a default config.json for a busybox-like rootfs, and `features`. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "berth-config.h"
#include "caps.h"
#include "spec.h"
#include "spec_default.h"

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();
	for (; a && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *default_mounts(bool rootless)
{
	json_t *m = json_array();

	json_array_append_new(m, json_pack("{s:s, s:s, s:s}", "destination", "/proc", "type", "proc", "source", "proc"));
	json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/dev", "type", "tmpfs", "source",
					   "tmpfs",
					   "options", strings((const char *[]){ "nosuid", "strictatime", "mode=755",
										"size=65536k", NULL })));
	json_array_append_new(
		m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/dev/pts", "type", "devpts", "source", "devpts",
			     "options",
			     rootless ? strings((const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
								  "mode=0620", NULL })
				      : strings((const char *[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
								  "mode=0620", "gid=5", NULL })));
	json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/dev/shm", "type", "tmpfs", "source",
					   "shm",
					   "options", strings((const char *[]){ "nosuid", "noexec", "nodev", "mode=1777",
										"size=65536k", NULL })));
	json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/dev/mqueue", "type", "mqueue",
					   "source", "mqueue",
					   "options", strings((const char *[]){ "nosuid", "noexec", "nodev", NULL })));
	json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/sys", "type", "sysfs", "source",
					   "sysfs",
					   "options", strings((const char *[]){ "nosuid", "noexec", "nodev", "ro", NULL })));
	if (!rootless)
		json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:o}", "destination", "/sys/fs/cgroup", "type",
						   "cgroup", "source", "cgroup",
						   "options", strings((const char *[]){ "nosuid", "noexec", "nodev",
											"relatime", "ro", NULL })));
	return m;
}

static json_t *namespaces(bool rootless)
{
	static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		json_array_append_new(a, json_pack("{s:s}", "type", types[i]));
	if (rootless)
		json_array_append_new(a, json_pack("{s:s}", "type", "user"));
	return a;
}

json_t *berth_spec_default(bool rootless)
{
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
	static const char *const masked[] = { "/proc/acpi",	   "/proc/asound",	 "/proc/kcore",
					      "/proc/keys",	   "/proc/latency_stats", "/proc/timer_list",
					      "/proc/timer_stats", "/proc/sched_debug",	 "/proc/scsi",
					      "/sys/firmware",	   "/sys/devices/virtual/powercap", NULL };
	static const char *const readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
						NULL };
	json_t *capabilities, *process, *lx;

	capabilities = json_pack("{s:o, s:o, s:o}", "bounding", strings(caps), "effective", strings(caps), "permitted",
				 strings(caps));
	process = json_pack(
		"{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:o, s:[{s:s, s:i, s:i}], s:b}", "terminal", 1, "user", "uid", 0,
		"gid", 0, "args", "sh", "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm", "cwd", "/", "capabilities", capabilities, "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024,
		"soft", 1024, "noNewPrivileges", 1);
	lx = json_pack("{s:o, s:o, s:o}", "namespaces", namespaces(rootless), "maskedPaths", strings(masked),
			  "readonlyPaths", strings(readonly));
	if (rootless) {
		json_object_set_new(lx, "uidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", (int) getuid(), "size", 1));
		json_object_set_new(lx, "gidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", (int) getgid(), "size", 1));
	} else {
		json_object_set_new(lx, "resources",
				    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", BERTH_OCI_VERSION, "process", process,
			 "root", "path", "rootfs", "readonly", 1, "hostname", "berth", "mounts", default_mounts(rootless),
			 "linux", lx);
}

static json_t *capability_names(void)
{
	json_t *a = json_array();

	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		char *name = cap_to_name(c), *up;
		if (name == NULL)
			continue;
		up = name;
		for (char *p = up; *p; p++)
			*p = (char) toupper((unsigned char) *p);
		if (strncmp(up, "CAP_", 4) == 0)
			json_array_append_new(a, json_string(up));
		cap_free(name);
	}
	return a;
}

json_t *berth_features(void)
{
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
					     "poststart", "poststop", NULL };
	static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
	json_t *options = json_array();

	/* Recognised and working: idmap and ridmap are refused for now. */
	for (const char *const *o = berth_mount_option_names(); *o; o++)
		if (strcmp(*o, "idmap") != 0 && strcmp(*o, "ridmap") != 0)
			json_array_append_new(options, json_string(*o));
	return json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b}, s:{s:b}, s:{s:b}, "
			 "s:{s:b}, s:{s:{s:b}}, s:{s:b}}, s:{s:s, s:s}}",
			 "ociVersionMin", "1.0.0", "ociVersionMax", BERTH_OCI_VERSION, "hooks", strings(hooks),
			 "mountOptions", options, "linux", "namespaces", strings(ns), "capabilities",
			 capability_names(), "cgroup", "v1", 0, "v2", 0, "systemd", 0, "systemdUser", 0, "rdma", 0,
			 "seccomp", "enabled", 0, "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt",
			 "enabled", 0, "mountExtensions", "idmap", "enabled", 0, "netDevices", "enabled", 0,
			 "annotations", "io.github.berth.runtime.version", BERTH_VERSION,
			 "io.github.berth.runtime.commit", BERTH_COMMIT);
}
