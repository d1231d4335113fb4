/* Process attributes beyond user and capabilities: scheduler, I/O priority,
 * personality, NUMA memory policy, sysctls, and LSM labels. */
#pragma once

#include "error.h"
#include "spec.h"

/* Inside the container, after pivot_root and before /proc/sys turns read-only. */
int berth_sysctl_apply(const struct berth_spec *spec, struct berth_error *err);

/* Scheduler and I/O priority: while still privileged (SCHED_FIFO wants
 * CAP_SYS_NICE). */
int berth_process_apply_priorities(const struct berth_process *p, struct berth_error *err);

/* Personality and memory policy of the container's init (kept across exec). */
int berth_linux_apply_personality_and_mempolicy(const struct berth_spec *spec, struct berth_error *err);

/* Is the LSM that a label asks for on this host?  A clear error if not. */
int berth_lsm_check(const struct berth_process *p, struct berth_error *err);

/* linux.mountLabel needs SELinux: refuse it clearly without. */
int berth_lsm_check_mount_label(const char *label, struct berth_error *err);

/* Label the next exec (AppArmor "exec <profile>", SELinux context). */
int berth_lsm_apply_on_exec(const struct berth_process *p, struct berth_error *err);
