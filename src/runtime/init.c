#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "log.h"
#include "proc.h"
#include "console.h"
#include "hooks.h"
#include "json.h"
#include "process.h"
#include "process_extras.h"
#include "rootfs.h"
#include "seccomp_profile.h"
#include "sync.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

char *berth_init_hook_state(const struct berth_init_config *c, const char *status)
{
	_cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", BERTH_OCI_VERSION, "id", c->id,
					     "status", status, "pid", (int) getpid(), "bundle", c->bundle);

	if (j == NULL)
		return NULL;
	if (c->spec->annotations)
		json_object_set(j, "annotations", c->spec->annotations);
	return bjson_dump(j);
}

static int run_hooks_inside(const struct berth_init_config *c, enum berth_hook_kind kind, const char *status,
			    struct berth_error *err)
{
	_cleanup_free_ char *state = NULL;

	if (c->spec->hooks[kind].count == 0)
		return 0;
	state = berth_init_hook_state(c, status);
	if (state == NULL)
		return berth_error_sys(err, ENOMEM, "encode the state for %s hooks", berth_hook_kind_name(kind));
	return berth_hooks_run(c->spec, kind, state, err);
}

static int set_names(const struct berth_spec *spec, struct berth_error *err)
{
	if (spec->hostname && spec->hostname[0] && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return berth_error_sys(err, errno, "set hostname %s", spec->hostname);
	if (spec->domainname && spec->domainname[0] && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return berth_error_sys(err, errno, "set domainname %s", spec->domainname);
	return 0;
}

static int join_session_keyring(const struct berth_init_config *c, struct berth_error *err)
{
	if (c->no_new_keyring)
		return 0;
	/* Keys the host or another container put in our session keyring
	 * must not be reachable: start an empty one named after us. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c->id) < 0 && errno != ENOSYS && errno != EDQUOT &&
	    errno != EACCES)
		return berth_error_sys(err, errno, "join a new session keyring");
	return 0;
}

/* After the parent's GO: become root of a new user namespace. */
static int become_ns_root(const struct berth_spec *spec, struct berth_error *err)
{
	bool root_mapped = false;

	if (!spec->ns[BERTH_NS_USER].enabled || spec->ns[BERTH_NS_USER].path)
		return 0;
	root_mapped = spec->n_uid_mappings == 0; /* the default map is 0 -> the caller */
	for (size_t i = 0; i < spec->n_uid_mappings; i++)
		if (spec->uid_mappings[i].container_id == 0)
			root_mapped = true;
	if (!root_mapped)
		return 0;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return berth_error_sys(err, errno, "become root in the user namespace");
	return 0;
}

/* What the container process needs at exec time. */
struct launch {
	struct berth_exec_target target;
	struct berth_seccomp_program seccomp;
	pid_t host_pid;
};

static int receive_seccomp(const struct berth_init_config *c, struct launch *l, struct berth_error *err)
{
	_cleanup_close_ int memfd = -1;
	int r;

	if (c->spec->seccomp == NULL)
		return 0;
	if ((r = berth_sync_expect_fd(c->sync_fd, BERTH_SYNC_SECCOMP, &memfd, err)) < 0)
		return r;
	return berth_seccomp_program_read(memfd, c->spec->seccomp, &l->seccomp, err);
}

/* Everything up to "created": build the rootfs, run the create-time hooks,
 * pivot, prepare the process. */
static int setup(const struct berth_init_config *c, struct launch *l, struct berth_error *err)
{
	const struct berth_spec *spec = c->spec;
	struct berth_rootfs rootfs = {
		.spec = spec,
		.path = c->rootfs,
		.rootfd = -1,
		.devnullfd = -1,
		.userns = spec->ns[BERTH_NS_USER].enabled,
		.cgroupns = spec->ns[BERTH_NS_CGROUP].enabled,
		.no_pivot = c->no_pivot,
		.callers_mount_ns = !spec->ns[BERTH_NS_MOUNT].enabled,
	};
	_cleanup_close_ int slave = -1;
	int32_t host_pid;
	int r;

	if ((r = berth_sync_expect(c->sync_fd, BERTH_SYNC_GO, &host_pid, err)) < 0)
		return r;
	l->host_pid = host_pid;
	if ((r = become_ns_root(spec, err)) < 0)
		return r;
	/* A new cgroup namespace is rooted where we are now, so it is made
	 * only after the parent has placed us in the container's cgroup. */
	if (spec->ns[BERTH_NS_CGROUP].enabled && !spec->ns[BERTH_NS_CGROUP].path && unshare(CLONE_NEWCGROUP) < 0)
		return berth_error_sys(err, errno, "create the cgroup namespace");
	umask(0);
	if (chdir(c->bundle) < 0)
		return berth_error_sys(err, errno, "chdir to the bundle %s", c->bundle);
	if ((r = join_session_keyring(c, err)) < 0 || (r = set_names(spec, err)) < 0)
		return r;
	r = berth_rootfs_prepare(&rootfs, err);
	if (r < 0 || (r = receive_seccomp(c, l, err)) < 0)
		goto out;
	if (spec->hooks[BERTH_HOOK_PRESTART].count || spec->hooks[BERTH_HOOK_CREATE_RUNTIME].count) {
		if ((r = berth_sync_send(c->sync_fd, BERTH_SYNC_HOOKS, 0, err)) < 0 ||
		    (r = berth_sync_expect(c->sync_fd, BERTH_SYNC_HOOKS_DONE, NULL, err)) < 0)
			goto out;
	}
	if ((r = run_hooks_inside(c, BERTH_HOOK_CREATE_CONTAINER, "created", err)) < 0 ||
	    (r = berth_rootfs_pivot(&rootfs, err)) < 0)
		goto out;
	if (spec->process.terminal) {
		slave = berth_console_create(c->console_fd, &spec->process, true, err);
		if (slave < 0 || (r = berth_console_attach(slave, err)) < 0) {
			r = slave < 0 ? slave : r;
			goto out;
		}
	}
	/* sysctls before the read-only paths make /proc/sys read-only. */
	if ((r = berth_sysctl_apply(spec, err)) < 0 || (r = berth_rootfs_finish(&rootfs, err)) < 0 ||
	    (r = berth_process_set_rlimits(&spec->process, err)) < 0)
		goto out;
	r = berth_process_resolve(&spec->process, c->extra_env, &l->target, err);
out:
	berth_rootfs_release(&rootfs);
	return r;
}

/* Block in accept() until `start` connects and says 'S'.  A connection that
 * closes without a word is a status probe: keep waiting. */
static int wait_for_start(int listen_fd)
{
	for (;;) {
		char cmd;
		ssize_t n;
		int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return -errno;
		}
		do
			n = read(conn, &cmd, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1 && cmd == 'S')
			return conn;
		close(conn);
	}
}

static _noreturn_ void fail_start(int conn, const struct berth_error *err)
{
	dprintf(conn, "E%s", err->msg);
	_exit(1);
}

void berth_init_run(const struct berth_init_config *c)
{
	struct launch l = { .target = { .envp = NULL } };
	struct berth_seccomp_setup sc = { .agent_sock = c->seccomp_agent_fd, .profile = c->spec->seccomp };
	struct berth_error err = { 0 };
	int conn;

	/* If the runtime dies while we are half made, so do we. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Not inspectable through /proc by other processes of the container
	 * (joined namespaces may hold some) while we hold host descriptors;
	 * the final exec makes the program dumpable again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The caller's descriptors (beyond stdio and the preserved ones) must
	 * not reach a hook from the image either, not only the final program. */
	berth_fds_cloexec_from(3 + (unsigned) c->preserve_fds);
	/* Into the container's cgroup before anything can run or fork. */
	if ((c->cgroup_join && berth_cgroup_join_self(c->cgroup_join, &err) < 0) || setup(c, &l, &err) < 0) {
		berth_sync_send_error(c->sync_fd, &err);
		_exit(1);
	}
	/* From "created" on we outlive the runtime that made us. */
	prctl(PR_SET_PDEATHSIG, 0);
	if (berth_sync_send(c->sync_fd, BERTH_SYNC_READY, 0, &err) < 0)
		_exit(1);
	/* "created" may last: hold nothing of the host meanwhile. */
	berth_log_close();
	close(c->sync_fd);
	if (c->console_fd >= 0)
		close(c->console_fd);

	conn = wait_for_start(c->start_fd);
	if (conn < 0)
		_exit(1);
	close(c->start_fd);
	if (run_hooks_inside(c, BERTH_HOOK_START_CONTAINER, "created", &err) < 0)
		fail_start(conn, &err);
	if (l.seccomp.filter) {
		sc.program = &l.seccomp;
		sc.host_pid = l.host_pid;
		sc.state = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", BERTH_OCI_VERSION, "id", c->id, "status",
				     "created", "pid", (int) l.host_pid, "bundle", c->bundle);
		if (sc.state && c->spec->annotations)
			json_object_set(sc.state, "annotations", c->spec->annotations);
	}
	if (berth_process_apply_priorities(&c->spec->process, &err) < 0 ||
	    berth_linux_apply_personality_and_mempolicy(c->spec, &err) < 0 ||
	    berth_process_become_user(&c->spec->process, c->setgroups_allowed, &sc, &err) < 0 ||
	    berth_lsm_apply_on_exec(&c->spec->process, &err) < 0)
		fail_start(conn, &err);
	umask(c->caller_umask);
	/* On success the start connection closes with exec (SOCK_CLOEXEC):
	 * `start` reads EOF and knows the program is running. */
	berth_process_exec(&c->spec->process, &l.target, c->preserve_fds, &sc, &err);
	fail_start(conn, &err);
}
