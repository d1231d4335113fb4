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
	static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
					       "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
					       "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };
	static const char *const operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
						 "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
	static const char *const archs[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS",
					     "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
					     "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
					     "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
					     "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86",
					     "SCMP_ARCH_X86_64", NULL };
	static const char *const flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					     "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
					     NULL };
	static const char *const mpol_modes[] = { "MPOL_DEFAULT",   "MPOL_BIND",	      "MPOL_INTERLEAVE",
						  "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED", "MPOL_PREFERRED_MANY",
						  "MPOL_LOCAL",	    NULL };
	static const char *const mpol_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
						  "MPOL_F_STATIC_NODES", NULL };
	json_t *options = json_array(), *lx;

	/* Recognised and working: idmap and ridmap are refused for now. */
	for (const char *const *o = berth_mount_option_names(); *o; o++)
		if (strcmp(*o, "idmap") != 0 && strcmp(*o, "ridmap") != 0)
			json_array_append_new(options, json_string(*o));
	lx = json_pack("{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:o, s:o}, s:{s:b}, s:{s:b}, "
		       "s:{s:b, s:b, s:b}, s:{s:{s:b}}, s:{s:b}, s:{s:o, s:o}}",
		       "namespaces", strings(ns), "capabilities", capability_names(), "cgroup", "v1", 1, "v2", 1, "systemd",
		       0, "systemdUser", 0, "rdma", 1, "seccomp", "enabled", 1, "actions", strings(actions), "operators",
		       strings(operators), "archs", strings(archs), "knownFlags", strings(flags), "supportedFlags",
		       strings(flags), "apparmor", "enabled", 1, "selinux", "enabled", 1, "intelRdt", "enabled", 1,
		       "schemata", 1, "monitoring", 0, "mountExtensions", "idmap", "enabled", 0, "netDevices",
		       "enabled", 1, "memoryPolicy", "modes", strings(mpol_modes), "flags", strings(mpol_flags));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s}}", "ociVersionMin", "1.0.0", "ociVersionMax",
			 BERTH_OCI_VERSION, "hooks", strings(hooks), "mountOptions", options, "linux", lx, "annotations",
			 "io.github.berth.runtime.version", BERTH_VERSION, "io.github.berth.runtime.commit", BERTH_COMMIT);
}
