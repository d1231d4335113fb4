/* exec: a new process inside a running container, in every one of its
 * namespaces, with the container's process settings unless told otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "container.h"
#include "fdpass.h"
#include "file.h"
#include "json.h"
#include "namespaces.h"
#include "proc.h"
#include "process.h"
#include "process_extras.h"
#include "seccomp_cache.h"
#include "seccomp_profile.h"
#include "state.h"
#include "sync.h"

#define PROCESS_FILE_MAX (4u << 20)

struct exec {
	const struct berth_exec_opts *o;
	struct berth_state *state;
	struct berth_spec *spec; /* the container's config */
	json_t *process_json;	 /* --process file, if any */
	struct berth_process proc;
	bool proc_from_file;
	const char **args, **env;
	uint32_t *gids;
	int ns_fds[BERTH_NS_COUNT];
	int root_fd, sync_parent, sync_child, console_fd, seccomp_agent_fd;
	int state_rootfd; /* the runtime's --root, for the seccomp cache */
	bool setgroups_allowed;
	struct berth_cgroup cgroup;    /* the container's, when it has one */
	struct berth_cgroup_join join; /* how the process gets into it (cgroup.h) */
};

static int parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v >= UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*ret = (uint32_t) v;
	return 0;
}

static int load_process_file(struct exec *e, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = berth_read_file_at(AT_FDCWD, e->o->process_file, PROCESS_FILE_MAX, &text, &len, err);
	if (r < 0)
		return berth_error_wrap(err, "--process");
	r = bjson_parse(text, len, e->o->process_file, &e->process_json, err);
	if (r < 0)
		return r;
	if (!json_is_object(e->process_json))
		return berth_error_set(err, EINVAL, "%s: must be a JSON object", e->o->process_file);
	r = berth_process_parse(e->process_json, "process", &e->proc, err);
	if (r < 0)
		return berth_error_wrap(err, "%s", e->o->process_file);
	e->proc_from_file = true;
	/* A process file without capabilities gets the container's, as runc
	 * does: an exec must not have more than the container. */
	if (!e->proc.caps.present)
		e->proc.caps = e->spec->process.caps;
	return 0;
}

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* The container's process with the command line's changes (runc exec's rules). */
static int derive_process(struct exec *e, struct berth_error *err)
{
	const struct berth_exec_opts *o = e->o;
	struct berth_process *p = &e->proc;
	size_t n_env, n_extra = count(o->env), n_gids = count(o->additional_gids);

	*p = e->spec->process; /* borrowed fields; the arrays below replace the ones we change */
	p->args = NULL;
	if (count(o->args) == 0)
		return berth_error_set(err, EINVAL, "exec: give the command to run, or --process");
	e->args = calloc(count(o->args) + 1, sizeof(char *));
	n_env = e->spec->process.n_env;
	e->env = calloc(n_env + n_extra + 1, sizeof(char *));
	if (!e->args || !e->env)
		return berth_error_sys(err, ENOMEM, "exec");
	memcpy(e->args, o->args, count(o->args) * sizeof(char *));
	memcpy(e->env, e->spec->process.env, n_env * sizeof(char *));
	/* --env K=V replaces the container's K, as with runc; new keys append. */
	for (size_t i = 0; i < n_extra; i++) {
		size_t klen = strcspn(o->env[i], "=");
		size_t k;
		for (k = 0; k < n_env; k++)
			if (strncmp(e->env[k], o->env[i], klen) == 0 && e->env[k][klen] == '=')
				break;
		e->env[k] = o->env[i];
		if (k == n_env)
			n_env++;
	}
	p->args = e->args;
	p->n_args = count(o->args);
	p->env = e->env;
	p->n_env = n_env;
	p->terminal = o->tty;
	p->has_console_size = false;
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user) {
		_cleanup_free_ char *copy = strdup(o->user);
		char *colon = copy ? strchr(copy, ':') : NULL;
		if (colon)
			*colon = '\0';
		if (copy == NULL || parse_id(copy, &p->uid) < 0 || (colon && parse_id(colon + 1, &p->gid) < 0))
			return berth_error_set(err, EINVAL, "--user %s: expected UID[:GID] as numbers", o->user);
	}
	if (n_gids) {
		e->gids = calloc(n_gids, sizeof(uint32_t));
		if (e->gids == NULL)
			return berth_error_sys(err, ENOMEM, "exec");
		for (size_t i = 0; i < n_gids; i++)
			if (parse_id(o->additional_gids[i], &e->gids[i]) < 0)
				return berth_error_set(err, EINVAL, "--additional-gids %s: not a group id",
						       o->additional_gids[i]);
		p->additional_gids = e->gids;
		p->n_additional_gids = n_gids;
	}
	for (size_t i = 0; o->caps && o->caps[i]; i++) {
		int cap = berth_cap_from_name(o->caps[i]);
		if (cap < 0 || cap > 63)
			return berth_error_set(err, EINVAL, "--cap %s: unknown capability", o->caps[i]);
		p->caps.present = true;
		p->caps.sets[BERTH_CAP_BOUNDING] |= UINT64_C(1) << cap;
		p->caps.sets[BERTH_CAP_EFFECTIVE] |= UINT64_C(1) << cap;
		p->caps.sets[BERTH_CAP_PERMITTED] |= UINT64_C(1) << cap;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	return 0;
}

/* Open the /proc/PID/ns entries of the init for every namespace it does not share
 * with us, and its root; then check the pid still names the init. */
static int open_container_namespaces(struct exec *e, struct berth_error *err)
{
	const struct berth_state *s = e->state;
	char path[64], self[64];

	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		struct stat theirs, ours;

		if (!e->spec->ns[t].enabled)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) s->pid, berth_ns_proc_name(t));
		snprintf(self, sizeof(self), "/proc/self/ns/%s", berth_ns_proc_name(t));
		if (stat(path, &theirs) < 0)
			return berth_error_sys(err, errno, "exec: open %s", path);
		if (stat(self, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev)
			continue;
		e->ns_fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (e->ns_fds[t] < 0)
			return berth_error_sys(err, errno, "exec: open %s", path);
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int) s->pid);
	e->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0)
		return berth_error_sys(err, errno, "exec: open %s", path);
	if (e->ns_fds[BERTH_NS_USER] >= 0) {
		char buf[16] = { 0 };
		_cleanup_free_ char *text = NULL;
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int) s->pid);
		if (berth_read_file_at(AT_FDCWD, path, sizeof(buf), &text, NULL, err) == 0)
			e->setgroups_allowed = strncmp(text, "allow", 5) == 0;
	}
	if (!berth_proc_alive(s->pid, s->pid_start_time))
		return berth_error_set(err, ESRCH, "exec: container %s is not running", s->id);
	return 0;
}

/* The exec'd process: in every namespace now; finish and exec. */
static _noreturn_ void exec_child(struct exec *e)
{
	struct berth_exec_target target = { .envp = NULL };
	struct berth_seccomp_program program = { 0 };
	struct berth_seccomp_setup sc = { .agent_sock = e->seccomp_agent_fd, .profile = e->spec->seccomp };
	struct berth_error err = { 0 };
	_cleanup_close_ int slave = -1;
	int32_t host_pid;

	/* Dies with the runtime while half made; cleared before exec. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (berth_cgroup_join_self(&e->join, &err) < 0)
		goto fail;
	if (e->spec->seccomp) {
		_cleanup_close_ int memfd = -1;
		if (berth_sync_expect_fd(e->sync_child, BERTH_SYNC_SECCOMP, &memfd, &err) < 0 ||
		    berth_seccomp_program_read(memfd, e->spec->seccomp, &program, &err) < 0)
			goto fail;
		sc.program = &program;
	}
	if (berth_sync_expect(e->sync_child, BERTH_SYNC_GO, &host_pid, &err) < 0)
		goto fail;
	sc.host_pid = host_pid;
	if (sc.program) {
		sc.state = berth_state_to_json(e->state, BERTH_STATUS_RUNNING);
		if (sc.state)
			json_object_set_new(sc.state, "pid", json_integer(e->state->pid));
	}
	if (e->ns_fds[BERTH_NS_USER] >= 0 && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		berth_error_sys(&err, errno, "exec: become root in the user namespace");
		goto fail;
	}
	if (e->proc.terminal) {
		slave = berth_console_create(e->console_fd, &e->proc, false, &err);
		if (slave < 0 || berth_console_attach(slave, &err) < 0)
			goto fail;
	}
	if (berth_process_set_rlimits(&e->proc, &err) < 0 || berth_process_resolve(&e->proc, NULL, &target, &err) < 0 ||
	    berth_process_apply_priorities(&e->proc, &err) < 0 ||
	    berth_process_become_user(&e->proc, e->setgroups_allowed, &sc, &err) < 0 ||
	    berth_lsm_apply_on_exec(&e->proc, &err) < 0)
		goto fail;
	prctl(PR_SET_PDEATHSIG, 0);
	berth_process_exec(&e->proc, &target, e->o->preserve_fds, &sc, &err);
fail:
	berth_sync_send_error(e->sync_child, &err);
	_exit(127);
}

/* Enter the namespaces, then clone the process as the runtime's child. */
static _noreturn_ void joiner(struct exec *e)
{
	struct berth_error err = { 0 };
	pid_t pid;

	/* Nothing of the host may be reachable from the container through
	 * us: not our descriptors (the state root is a directory of the host:
	 * openat(fd, "..") climbs out), and not /proc/PID/fd of a process
	 * that the container's root could inspect while we set up.  Not
	 * dumpable until the exec, which makes it dumpable again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	berth_closep(&e->state_rootfd);
	if (berth_ns_join(e->ns_fds, &err) < 0)
		goto fail;
	if (fchdir(e->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		berth_error_sys(&err, errno, "exec: enter the container's root");
		goto fail;
	}
	/* Straight into the container's v2 cgroup when the kernel lets us (see
	 * cgroup.h); else the runtime writes the pid after. */
	pid = berth_cgroup_clone(&e->join, CLONE_PARENT);
	if (pid > 0 && e->join.cloned_into)
		berth_sync_send(e->sync_child, BERTH_SYNC_CGROUP, 1, &err);
	if (pid == 0)
		exec_child(e);
	if (pid < 0) {
		berth_error_sys(&err, errno, "exec: clone");
		goto fail;
	}
	berth_sync_send(e->sync_child, BERTH_SYNC_PID, pid, &err);
	_exit(0);
fail:
	berth_sync_send_error(e->sync_child, &err);
	_exit(1);
}

static int spawn(struct exec *e, pid_t *ret_pid, int *ret_pidfd, struct berth_error *err)
{
	int sv[2], status, r;
	struct berth_sync_msg msg;
	int32_t pid;
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_sys(err, errno, "exec: socketpair");
	e->sync_parent = sv[0];
	e->sync_child = sv[1];
	/* In a user namespace the process cannot write to the host's tasks
	 * files itself: its pid is written for it. */
	if (e->state->cgroup && ((r = berth_cgroup_from_json(e->state->cgroup, &e->cgroup, err)) < 0 ||
				 (r = berth_cgroup_join_prepare(&e->cgroup, !e->spec->ns[BERTH_NS_USER].enabled,
								&e->join, err)) < 0))
		return r;
	mid = fork();
	if (mid < 0)
		return berth_error_sys(err, errno, "exec: fork");
	if (mid == 0) {
		berth_closep(&e->sync_parent);
		joiner(e);
	}
	berth_closep(&e->sync_child);
	berth_cgroup_join_close(&e->join);
	r = berth_sync_recv(e->sync_parent, &msg, err);
	if (r == 0 && msg.type == BERTH_SYNC_CGROUP) {
		e->join.cloned_into = true;
		r = berth_sync_recv(e->sync_parent, &msg, err);
	}
	if (r == 0 && msg.type == BERTH_SYNC_ERROR)
		r = (*err = msg.err, -berth_error_code(err));
	else if (r == 0 && msg.type != BERTH_SYNC_PID)
		r = berth_error_set(err, EPROTO, "exec: unexpected message %u", msg.type);
	pid = msg.value;
	berth_wait_child(mid, -1, -1, &status);
	if (r < 0)
		return r;
	*ret_pid = pid;
	*ret_pidfd = berth_pidfd_open(pid);
	/* Into the container's cgroup before it runs anything: its limits and
	 * its accounting cover exec'd processes too. */
	if (e->state->cgroup && (r = berth_cgroup_join_finish(&e->cgroup, &e->join, pid, e->state->pid, err)) < 0) {
		kill(pid, SIGKILL);
		berth_wait_child(pid, *ret_pidfd, -1, &status);
		return r;
	}
	if (e->spec->seccomp) {
		_cleanup_close_ int memfd = -1;
		if ((r = berth_seccomp_compile_cached(e->spec->seccomp, e->state_rootfd, &memfd, err)) < 0 ||
		    (r = berth_sync_send_fd(e->sync_parent, BERTH_SYNC_SECCOMP, memfd, err)) < 0)
			return r;
	}
	if ((r = berth_sync_send(e->sync_parent, BERTH_SYNC_GO, pid, err)) < 0)
		return r;
	/* EOF: the sync socket closed with exec.  A message: it failed. */
	r = berth_sync_recv(e->sync_parent, &msg, err);
	if (r == -EPIPE)
		return 0;
	if (r < 0)
		return r;
	if (msg.type == BERTH_SYNC_ERROR) {
		*err = msg.err;
		berth_wait_child(pid, *ret_pidfd, -1, &status);
		return -berth_error_code(err);
	}
	return berth_error_set(err, EPROTO, "exec: unexpected message %u", msg.type);
}

static void exec_release(struct exec *e)
{
	berth_ns_close(e->ns_fds);
	berth_closep(&e->root_fd);
	berth_closep(&e->sync_parent);
	berth_closep(&e->sync_child);
	berth_closep(&e->console_fd);
	berth_closep(&e->seccomp_agent_fd);
	berth_closep(&e->state_rootfd);
	berth_cgroup_join_close(&e->join);
	berth_cgroup_release(&e->cgroup);
	if (e->proc_from_file)
		berth_process_release(&e->proc);
	free(e->args);
	free(e->env);
	free(e->gids);
	berth_spec_free(e->spec);
	json_decref(e->process_json);
	berth_state_free(e->state);
}

static int exec_prepare(struct exec *e, const char *root, const char *id, struct berth_error *err)
{
	_cleanup_close_ int rootfd = -1, dirfd = -1;
	enum berth_status status;
	int r;

	r = berth_fds_check_inherited(e->o->preserve_fds, "--preserve-fds", err);
	if (r < 0)
		return r;
	rootfd = berth_state_root_open(root, false, err);
	if (rootfd < 0)
		return err->code == ENOENT ? berth_error_set(err, ENOENT, "container %s does not exist", id) : rootfd;
	e->state_rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	dirfd = berth_state_dir_open(rootfd, id, err);
	if (dirfd < 0 || (r = berth_state_read(dirfd, id, &e->state, err)) < 0)
		return -err->code;
	status = berth_state_status(dirfd, e->state);
	if (status == BERTH_STATUS_PAUSED)
		return berth_error_set(err, EINVAL, "cannot exec in container %s: it is paused (resume it first)", id);
	if (status != BERTH_STATUS_RUNNING && status != BERTH_STATUS_CREATED)
		return berth_error_set(err, EINVAL, "cannot exec in container %s: it is %s", id, berth_status_name(status));
	if ((r = berth_spec_from_json(e->state->config, &e->spec, err)) < 0)
		return r;
	if ((r = e->o->process_file ? load_process_file(e, err) : derive_process(e, err)) < 0 ||
	    (r = berth_lsm_check(&e->proc, err)) < 0)
		return r;
	if (e->proc.terminal) {
		if (e->o->console_fd >= 0)
			e->console_fd = fcntl(e->o->console_fd, F_DUPFD_CLOEXEC, 3);
		else if (e->o->console_socket)
			e->console_fd = berth_unix_connect(e->o->console_socket, err);
		else
			return berth_error_set(err, EINVAL, "exec: a terminal needs --console-socket");
		if (e->console_fd < 0)
			return berth_error_wrap(err, "--console-socket");
	}
	if (e->spec->seccomp && berth_seccomp_uses_notify(e->spec->seccomp)) {
		const char *path = json_string_value(json_object_get(e->spec->seccomp, "listenerPath"));
		e->seccomp_agent_fd = berth_unix_connect(path, err);
		if (e->seccomp_agent_fd < 0)
			return berth_error_wrap(err, "linux.seccomp.listenerPath");
	}
	return open_container_namespaces(e, err);
}

int berth_container_exec(const char *root, const char *id, const struct berth_exec_opts *o, pid_t *ret_pid,
			 struct berth_error *err)
{
	struct exec e = { .o = o, .root_fd = -1, .sync_parent = -1, .sync_child = -1, .console_fd = -1,
			  .seccomp_agent_fd = -1, .state_rootfd = -1, .setgroups_allowed = true,
			  .join = { .v2_dirfd = -1 } };
	int pidfd = -1, r;
	pid_t pid = 0;

	for (int t = 0; t < BERTH_NS_COUNT; t++)
		e.ns_fds[t] = -1;
	for (size_t i = 0; i < BERTH_CGROUP_MAX_DIRS; i++)
		e.join.tasks_fds[i] = -1;
	if ((r = exec_prepare(&e, root, id, err)) < 0 || (r = spawn(&e, &pid, &pidfd, err)) < 0)
		goto out;
	if (o->pid_file && (r = berth_write_pid_file(o->pid_file, pid, err)) < 0)
		goto out;
	*ret_pid = pid;
out:
	if (pidfd >= 0)
		close(pidfd);
	exec_release(&e);
	return r;
}
