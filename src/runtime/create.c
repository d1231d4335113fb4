/* The create operation, from the runtime's side: validate everything, make
 * the state directory, clone the init into its namespaces, answer its
 * requests (id maps, create-time hooks) until it reports "created".  Any
 * failure kills the init and removes the state directory: a failed create
 * leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth-config.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "fdpass.h"
#include "file.h"
#include "hooks.h"
#include "init.h"
#include "json.h"
#include "log.h"
#include "namespaces.h"
#include "netdev.h"
#include "path.h"
#include "proc.h"
#include "resctrl.h"
#include "process_extras.h"
#include "seccomp_cache.h"
#include "seccomp_profile.h"
#include "state.h"
#include "sync.h"

struct create {
	const struct berth_create_opts *o;
	struct berth_spec *spec;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created_at[64];
	char listen_fds_env[32];
	const char *extra_env[3];
	int preserve_fds;
	int ns_fds[BERTH_NS_COUNT];
	int rootfd, dirfd, start_fd, console_fd, sync_parent, sync_child, seccomp_agent_fd;
	bool dir_made;
	pid_t pid;
	int pidfd;
	struct berth_cgroup cgroup;
	struct berth_cgroup_join join; /* how the init gets into it (cgroup.h) */
	json_t *cgroup_json;
	char *resctrl_dir; /* the resctrl group we made, to remove on failure */
};

static int resolve_paths(struct create *c, struct berth_error *err)
{
	char joined[PATH_MAX * 2];
	struct stat st;

	if (realpath(c->o->bundle ? c->o->bundle : ".", c->bundle) == NULL)
		return berth_error_sys(err, errno, "bundle %s", c->o->bundle ? c->o->bundle : ".");
	if (berth_spec_load(c->bundle, &c->spec, err) < 0)
		return -err->code;
	if (c->spec->root_path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", c->spec->root_path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", c->bundle, c->spec->root_path);
	if (realpath(joined, c->rootfs) == NULL)
		return berth_error_sys(err, errno, "config.json: root.path: %s", joined);
	if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error_set(err, ENOTDIR, "config.json: root.path: %s is not a directory", c->rootfs);
	return 0;
}

/* Socket activation: the LISTEN_FDS we were given pass on, as fds 3..,
 * ahead of --preserve-fds, when they are meant for us (LISTEN_PID is our
 * pid, as sd_listen_fds(3) requires); a stale LISTEN_FDS inherited from a
 * socket-activated ancestor is ignored. */
static int inherit_listen_fds(struct create *c, struct berth_error *err)
{
	const char *v = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	char *end;
	long n = 0;

	c->preserve_fds = c->o->preserve_fds;
	if (v && pid && strtol(pid, NULL, 10) == (long) getpid()) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 0 || n > 65536)
			return berth_error_set(err, EINVAL, "LISTEN_FDS=%s: not a count of descriptors", v);
	}
	if (n > 0) {
		c->preserve_fds += (int) n;
		snprintf(c->listen_fds_env, sizeof(c->listen_fds_env), "LISTEN_FDS=%ld", n);
		c->extra_env[0] = c->listen_fds_env;
		c->extra_env[1] = "LISTEN_PID=1";
	}
	return berth_fds_check_inherited(c->preserve_fds, "--preserve-fds and LISTEN_FDS", err);
}

static int check_terminal_options(struct create *c, struct berth_error *err)
{
	bool has_console = c->o->console_socket || c->o->console_fd >= 0;

	if (c->spec->process.terminal && !has_console)
		return berth_error_set(err, EINVAL,
				       "config.json: process.terminal is true, so --console-socket is needed to receive "
				       "the pty");
	if (!c->spec->process.terminal && c->o->console_socket)
		return berth_error_set(err, EINVAL, "--console-socket is given but config.json's process.terminal is false");
	return 0;
}

static int make_start_socket(struct create *c, struct berth_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	c->start_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->start_fd < 0)
		return berth_error_sys(err, errno, "create the start socket");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", c->dirfd, BERTH_START_SOCKET);
	if (bind(c->start_fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
		return berth_error_sys(err, errno, "bind the start socket of %s", c->o->id);
	if (listen(c->start_fd, 8) < 0)
		return berth_error_sys(err, errno, "listen on the start socket of %s", c->o->id);
	return 0;
}

static int make_state_dir(struct create *c, struct berth_error *err)
{
	c->rootfd = berth_state_root_open(c->o->root, true, err);
	if (c->rootfd < 0)
		return c->rootfd;
	if (mkdirat(c->rootfd, c->o->id, 0700) < 0) {
		if (errno == EEXIST)
			return berth_error_set(err, EEXIST, "container %s already exists", c->o->id);
		return berth_error_sys(err, errno, "create state directory %s/%s", c->o->root, c->o->id);
	}
	c->dir_made = true;
	c->dirfd = berth_state_dir_open(c->rootfd, c->o->id, err);
	if (c->dirfd < 0 || berth_state_lock(c->dirfd, c->o->id, err) < 0)
		return -err->code;
	return make_start_socket(c, err);
}

/* What the init must not keep: everything that is the runtime's. */
static void close_parent_fds(struct create *c)
{
	berth_closep(&c->sync_parent);
	berth_closep(&c->dirfd); /* it carries our lock */
	berth_closep(&c->rootfd);
}

static _noreturn_ void intermediate(struct create *c, const struct berth_init_config *ic, int flags)
{
	struct berth_error err = { 0 };
	pid_t pid;

	if (berth_ns_join(c->ns_fds, &err) < 0)
		goto fail;
	berth_ns_close(c->ns_fds);
	if (c->spec->ns[BERTH_NS_TIME].enabled && !c->spec->ns[BERTH_NS_TIME].path) {
		if (unshare(CLONE_NEWTIME) < 0) {
			berth_error_sys(&err, errno, "create the time namespace");
			goto fail;
		}
		if (berth_timens_write_offsets(c->spec, &err) < 0)
			goto fail;
	}
	/* CLONE_PARENT: the init becomes the runtime's child, not ours, so
	 * the runtime can wait for it after we are gone. */
	pid = (pid_t) syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		berth_init_run(ic);
	if (pid < 0) {
		berth_error_sys(&err, errno, "clone the container init");
		goto fail;
	}
	berth_sync_send(c->sync_child, BERTH_SYNC_PID, pid, &err);
	_exit(0);
fail:
	berth_sync_send_error(c->sync_child, &err);
	_exit(1);
}

static bool needs_intermediate(const struct berth_spec *spec)
{
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (spec->ns[t].path)
			return true;
	return spec->ns[BERTH_NS_TIME].enabled;
}

static int spawn(struct create *c, struct berth_error *err)
{
	const struct berth_spec *spec = c->spec;
	mode_t mask = umask(0);
	struct berth_init_config ic = {
		.spec = spec,
		.id = c->o->id,
		.bundle = c->bundle,
		.rootfs = c->rootfs,
		.start_fd = c->start_fd,
		.console_fd = c->console_fd,
		.seccomp_agent_fd = c->seccomp_agent_fd,
		.no_pivot = c->o->no_pivot,
		.no_new_keyring = c->o->no_new_keyring,
		.setgroups_allowed = !(geteuid() != 0 && spec->ns[BERTH_NS_USER].enabled && !spec->ns[BERTH_NS_USER].path),
		.preserve_fds = c->preserve_fds,
		.extra_env = c->extra_env,
		.caller_umask = mask,
		.cgroup_join = &c->join,
	};
	/* cgroup and time namespaces are made later, from inside: see init.c
	 * and intermediate(). */
	int flags = berth_ns_new_flags(spec) & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
	int sv[2], r;

	umask(mask);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_sys(err, errno, "create the sync socket");
	c->sync_parent = sv[0];
	c->sync_child = ic.sync_fd = sv[1];

	if (!needs_intermediate(spec)) {
		c->pid = berth_cgroup_clone(&c->join, flags);
		if (c->pid == 0) {
			close_parent_fds(c);
			berth_init_run(&ic);
		}
		if (c->pid < 0)
			return berth_error_sys(err, errno, "clone the container init");
	} else {
		int32_t pid;
		int status;
		pid_t mid = fork();

		if (mid == 0) {
			close_parent_fds(c);
			intermediate(c, &ic, flags);
		}
		if (mid < 0)
			return berth_error_sys(err, errno, "fork");
		berth_closep(&c->sync_child);
		r = berth_sync_expect(c->sync_parent, BERTH_SYNC_PID, &pid, err);
		berth_wait_child(mid, -1, -1, &status);
		if (r < 0)
			return r;
		c->pid = pid;
	}
	berth_closep(&c->sync_child);
	berth_cgroup_join_close(&c->join);
	/* Only the init may hold these: a copy here would keep the start
	 * socket listening after the init is gone. */
	berth_closep(&c->start_fd);
	berth_closep(&c->console_fd);
	berth_closep(&c->seccomp_agent_fd);
	berth_ns_close(c->ns_fds);
	c->pidfd = berth_pidfd_open(c->pid);
	if (c->pidfd < 0)
		return berth_error_sys(err, -c->pidfd, "pidfd_open %d", (int) c->pid);
	return 0;
}

static int write_state(struct create *c, bool creating, struct berth_error *err)
{
	struct berth_state s = {
		.id = c->o->id,
		.pid = c->pid,
		.bundle = c->bundle,
		.rootfs = c->rootfs,
		.created = c->created_at,
		.owner = geteuid(),
		.creating = creating,
		.config = c->spec->json,
		.cgroup = c->cgroup_json,
		.resctrl_dir = c->resctrl_dir,
	};

	if (berth_proc_stat(c->pid, &s.pid_start_time, NULL) < 0)
		return berth_error_set(err, ESRCH, "the container init exited during setup");
	return berth_state_write(c->dirfd, &s, err);
}

static int run_runtime_hooks(struct create *c, struct berth_error *err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *state = NULL;
	int r;

	/* The environment exists by now (steps 3-4 follow step 2), which is
	 * what the runtime-tools conformance tests and crun report. */
	j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", BERTH_OCI_VERSION, "id", c->o->id, "status",
		      "created", "pid", (int) c->pid, "bundle", c->bundle);
	if (j && c->spec->annotations)
		json_object_set(j, "annotations", c->spec->annotations);
	state = j ? bjson_dump(j) : NULL;
	if (state == NULL)
		return berth_error_sys(err, ENOMEM, "encode the state for hooks");
	if ((r = berth_hooks_run(c->spec, BERTH_HOOK_PRESTART, state, err)) < 0 ||
	    (r = berth_hooks_run(c->spec, BERTH_HOOK_CREATE_RUNTIME, state, err)) < 0)
		return r;
	return 0;
}

static int write_oom_score_adj(struct create *c, struct berth_error *err)
{
	char path[64], value[16];
	int n;

	if (!c->spec->process.has_oom_score_adj)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) c->pid);
	n = snprintf(value, sizeof(value), "%d", c->spec->process.oom_score_adj);
	if (berth_write_file_at(AT_FDCWD, path, value, (size_t) n, err) < 0)
		return berth_error_wrap(err, "process.oomScoreAdj: set to %d", c->spec->process.oom_score_adj);
	return 0;
}

/* The cgroup is made and limited before the init exists (limits first: a
 * v1 cpuset must be set before a task can join it), so that the init can
 * be born in it or move itself there (see cgroup.h). */
static int prepare_cgroup(struct create *c, struct berth_error *err)
{
	const struct berth_spec *spec = c->spec;
	int r;

	if ((r = berth_cgroup_resolve(spec->cgroups_path, c->o->id, &c->cgroup, err)) < 0 ||
	    (r = berth_cgroup_create(&c->cgroup, &spec->resources, err)) < 0)
		return r;
	if (c->cgroup.version == BERTH_CGROUP_NONE)
		return 0;
	c->cgroup_json = berth_cgroup_to_json(&c->cgroup);
	if (c->cgroup_json == NULL)
		return berth_error_sys(err, ENOMEM, "cgroup");
	if ((r = berth_cgroup_apply(&c->cgroup, &spec->resources, false, err)) < 0)
		return r;
	/* In a new user namespace the init's ids are not mapped yet: it could
	 * not write to the host's tasks files; the pid is written for it. */
	return berth_cgroup_join_prepare(&c->cgroup, !spec->ns[BERTH_NS_USER].enabled, &c->join, err);
}

/* Recorded first, so a crash leaves the cgroup findable; then the init is
 * put wherever it did not get by itself. */
static int setup_cgroup(struct create *c, struct berth_error *err)
{
	int r;

	if (c->cgroup.version == BERTH_CGROUP_NONE)
		return 0;
	if ((r = write_state(c, true, err)) < 0 || (r = berth_cgroup_join_finish(&c->cgroup, &c->join, c->pid, 0, err)) < 0)
		return r;
	return 0;
}

/* Answer the init until it is created. */
static int handshake(struct create *c, struct berth_error *err)
{
	const struct berth_spec *spec = c->spec;
	int r;

	berth_debug("create %s: init %d cloned", c->o->id, (int) c->pid);
	if ((r = write_state(c, true, err)) < 0 || (r = setup_cgroup(c, err)) < 0)
		return r;
	berth_debug("create %s: cgroup ready", c->o->id);
	if (spec->ns[BERTH_NS_USER].enabled && !spec->ns[BERTH_NS_USER].path &&
	    (r = berth_userns_write_maps(c->pid, spec, err)) < 0)
		return r;
	if ((r = write_oom_score_adj(c, err)) < 0 || (r = berth_netdevices_move(spec, c->pid, err)) < 0)
		return r;
	if (spec->intel_rdt && (r = berth_resctrl_apply(spec->intel_rdt, c->o->id, c->pid, &c->resctrl_dir, err)) < 0)
		return r;
	if ((r = berth_sync_send(c->sync_parent, BERTH_SYNC_GO, c->pid, err)) < 0)
		return r;
	berth_debug("create %s: init let go", c->o->id);
	/* Compiled here while the init mounts: the two run side by side. */
	if (spec->seccomp) {
		_cleanup_close_ int memfd = -1;
		if ((r = berth_seccomp_compile_cached(spec->seccomp, c->rootfd, &memfd, err)) < 0 ||
		    (r = berth_sync_send_fd(c->sync_parent, BERTH_SYNC_SECCOMP, memfd, err)) < 0)
			return r;
	}
	for (;;) {
		struct berth_sync_msg msg;

		if ((r = berth_sync_recv(c->sync_parent, &msg, err)) < 0)
			return r;
		switch (msg.type) {
		case BERTH_SYNC_HOOKS:
			if ((r = run_runtime_hooks(c, err)) < 0)
				return r;
			if ((r = berth_sync_send(c->sync_parent, BERTH_SYNC_HOOKS_DONE, 0, err)) < 0)
				return r;
			break;
		case BERTH_SYNC_READY:
			berth_debug("create %s: init ready", c->o->id);
			return write_state(c, false, err);
		case BERTH_SYNC_ERROR:
			*err = msg.err;
			return -berth_error_code(err);
		default:
			return berth_error_set(err, EPROTO, "unexpected message %u from the container init", msg.type);
		}
	}
}

static void undo(struct create *c)
{
	struct berth_error ignored;
	int status;

	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		berth_wait_child(c->pid, c->pidfd, -1, &status);
	}
	if (berth_cgroup_destroy(&c->cgroup, &ignored) < 0)
		berth_warn("%s", ignored.msg);
	berth_resctrl_remove(c->resctrl_dir);
	if (c->dir_made)
		berth_remove_tree_at(c->rootfd, c->o->id, &ignored);
}

static void release(struct create *c)
{
	berth_closep(&c->rootfd);
	berth_closep(&c->dirfd);
	berth_closep(&c->start_fd);
	berth_closep(&c->console_fd);
	berth_closep(&c->seccomp_agent_fd);
	berth_closep(&c->sync_parent);
	berth_closep(&c->sync_child);
	berth_ns_close(c->ns_fds);
	berth_spec_free(c->spec);
	berth_cgroup_join_close(&c->join);
	berth_cgroup_release(&c->cgroup);
	json_decref(c->cgroup_json);
	free(c->resctrl_dir);
}

int berth_write_pid_file(const char *path, pid_t pid, struct berth_error *err)
{
	char parent[PATH_MAX], text[16];
	const char *base = berth_path_split(path, parent, sizeof(parent));
	_cleanup_close_ int dirfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int n = snprintf(text, sizeof(text), "%d", (int) pid);

	if (dirfd < 0)
		return berth_error_sys(err, errno, "write pid file %s", path);
	if (berth_write_file_atomic(dirfd, base, text, (size_t) n, 0644, 0, err) < 0)
		return berth_error_wrap(err, "write pid file %s", path);
	return 0;
}

int berth_container_create(const struct berth_create_opts *o, struct berth_created *ret, struct berth_error *err)
{
	struct create c = {
		.o = o,
		.join = { .v2_dirfd = -1 },
		.rootfd = -1,
		.dirfd = -1,
		.start_fd = -1,
		.console_fd = -1,
		.seccomp_agent_fd = -1,
		.sync_parent = -1,
		.sync_child = -1,
		.pidfd = -1,
	};
	int r;

	for (int t = 0; t < BERTH_NS_COUNT; t++)
		c.ns_fds[t] = -1;
	for (size_t i = 0; i < BERTH_CGROUP_MAX_DIRS; i++)
		c.join.tasks_fds[i] = -1;
	if (!berth_container_id_valid(o->id))
		return berth_error_set(err, EINVAL,
				       "invalid container id \"%s\": use 1 to 1024 of the characters A-Z a-z 0-9 _ + - .",
				       o->id);
	berth_timestamp_now(c.created_at, sizeof(c.created_at));
	/* Everything that can be checked without touching the host is checked
	 * before the state directory exists. */
	berth_debug("create %s: start", o->id);
	if ((r = inherit_listen_fds(&c, err)) < 0 || (r = resolve_paths(&c, err)) < 0 || (r = check_terminal_options(&c, err)) < 0 ||
	    (r = berth_lsm_check(&c.spec->process, err)) < 0 ||
	    (r = berth_lsm_check_mount_label(c.spec->mount_label, err)) < 0 ||
	    (r = berth_ns_open_paths(c.spec, c.ns_fds, err)) < 0)
		goto fail;
	if (o->console_fd >= 0) {
		c.console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
		if (c.console_fd < 0) {
			r = berth_error_sys(err, errno, "duplicate the console socket");
			goto fail;
		}
	} else if (o->console_socket) {
		c.console_fd = berth_unix_connect(o->console_socket, err);
		if (c.console_fd < 0) {
			r = berth_error_wrap(err, "--console-socket");
			goto fail;
		}
	}
	if (c.spec->seccomp && berth_seccomp_uses_notify(c.spec->seccomp)) {
		/* Connected now: the agent's path is out of reach after pivot_root. */
		const char *path = json_string_value(json_object_get(c.spec->seccomp, "listenerPath"));
		c.seccomp_agent_fd = berth_unix_connect(path, err);
		if (c.seccomp_agent_fd < 0) {
			r = berth_error_wrap(err, "linux.seccomp.listenerPath");
			goto fail;
		}
	}
	if ((r = make_state_dir(&c, err)) < 0 || (r = prepare_cgroup(&c, err)) < 0 || (r = spawn(&c, err)) < 0 ||
	    (r = handshake(&c, err)) < 0 ||
	    (o->pid_file && (r = berth_write_pid_file(o->pid_file, c.pid, err)) < 0))
		goto fail;
	ret->pid = c.pid;
	ret->terminal = c.spec->process.terminal;
	ret->pidfd = berth_steal_fd(&c.pidfd);
	release(&c);
	return 0;
fail:
	undo(&c);
	berth_closep(&c.pidfd);
	release(&c);
	return r;
}
