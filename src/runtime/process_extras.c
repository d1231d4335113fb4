#include "process_extras.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "log.h"

int berth_sysctl_apply(const struct berth_spec *spec, struct berth_error *err)
{
	const char *key;
	json_t *value;

	if (spec->sysctl == NULL)
		return 0;
	json_object_foreach (spec->sysctl, key, value) {
		char path[PATH_MAX] = "/proc/sys/";
		size_t n = strlen(path);
		const char *v = json_string_value(value);

		/* net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward; a key may
		 * also be given with slashes already. */
		for (const char *k = key; *k && n < sizeof(path) - 1; k++)
			path[n++] = *k == '.' ? '/' : *k;
		path[n] = '\0';
		if (berth_write_file_at(AT_FDCWD, path, v, strlen(v), err) < 0)
			return berth_error_wrap(err, "linux.sysctl: set %s to \"%s\"", key, v);
	}
	return 0;
}

/* glibc has no sched_setattr wrapper: the kernel's struct sched_attr. */
struct kernel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

int berth_process_apply_priorities(const struct berth_process *p, struct berth_error *err)
{
	if (p->scheduler.set) {
		struct kernel_sched_attr attr = {
			.size = sizeof(attr),
			.sched_policy = (uint32_t) p->scheduler.policy,
			.sched_flags = p->scheduler.flags,
			.sched_nice = p->scheduler.nice,
			.sched_priority = (uint32_t) p->scheduler.priority,
			.sched_runtime = p->scheduler.runtime,
			.sched_deadline = p->scheduler.deadline,
			.sched_period = p->scheduler.period,
		};
		if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
			return berth_error_sys(err, errno, "process.scheduler: sched_setattr");
	}
	if (p->io_priority.set &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(p->io_priority.ioclass, p->io_priority.level)) < 0)
		return berth_error_sys(err, errno, "process.ioPriority: ioprio_set");
	return 0;
}

int berth_linux_apply_personality_and_mempolicy(const struct berth_spec *spec, struct berth_error *err)
{
	const struct berth_memory_policy *m = &spec->memory_policy;

	if (spec->has_personality && personality(spec->personality) < 0)
		return berth_error_sys(err, errno, "linux.personality");
	if (m->set && syscall(SYS_set_mempolicy, m->mode | (int) m->flags, m->maxnode ? m->nodemask : NULL, m->maxnode) < 0)
		return berth_error_sys(err, errno, "linux.memoryPolicy: set_mempolicy");
	return 0;
}

static bool lsm_active(const char *name)
{
	char buf[512];
	_cleanup_close_ int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	size_t len = strlen(name);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, name)) != NULL; p += len)
		if ((p == buf || p[-1] == ',') && (p[len] == ',' || p[len] == '\0' || p[len] == '\n'))
			return true;
	return false;
}

/* A mount label only names files for SELinux: without SELinux it confines
 * nothing, so it is skipped with a warning (as runc and crun do, and as the
 * runtime-tools conformance suite expects), where a process label that
 * cannot be applied is an error: it would run the process unconfined. */
int berth_lsm_check_mount_label(const char *label, struct berth_error *err)
{
	(void) err;
	if (label && label[0] && !lsm_active("selinux"))
		berth_warn("linux.mountLabel: SELinux is not enabled on this host; the label is not applied");
	return 0;
}

int berth_lsm_check(const struct berth_process *p, struct berth_error *err)
{
	if (p->apparmor_profile && p->apparmor_profile[0] && !lsm_active("apparmor"))
		return berth_error_set(err, ENOTSUP,
				       "process.apparmorProfile: AppArmor is not enabled on this host (not in "
				       "/sys/kernel/security/lsm)");
	if (p->selinux_label && p->selinux_label[0] && !lsm_active("selinux"))
		return berth_error_set(err, ENOTSUP,
				       "process.selinuxLabel: SELinux is not enabled on this host (not in "
				       "/sys/kernel/security/lsm)");
	return 0;
}

int berth_lsm_apply_on_exec(const struct berth_process *p, struct berth_error *err)
{
	char value[1024];
	int n;

	if (p->apparmor_profile && p->apparmor_profile[0]) {
		n = snprintf(value, sizeof(value), "exec %s", p->apparmor_profile);
		/* Newer kernels keep each LSM's attributes in a directory of its own. */
		if (berth_write_file_at(AT_FDCWD, "/proc/self/attr/apparmor/exec", value, (size_t) n, err) < 0 &&
		    berth_write_file_at(AT_FDCWD, "/proc/self/attr/exec", value, (size_t) n, err) < 0)
			return berth_error_wrap(err, "process.apparmorProfile %s", p->apparmor_profile);
	}
	if (p->selinux_label && p->selinux_label[0]) {
		if (berth_write_file_at(AT_FDCWD, "/proc/self/attr/keycreate", p->selinux_label, strlen(p->selinux_label),
					err) < 0 ||
		    berth_write_file_at(AT_FDCWD, "/proc/self/attr/exec", p->selinux_label, strlen(p->selinux_label), err) < 0)
			return berth_error_wrap(err, "process.selinuxLabel %s", p->selinux_label);
	}
	return 0;
}
