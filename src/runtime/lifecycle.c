/* start, state, list, kill and delete (runtime.md "Operations"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "file.h"
#include "hooks.h"
#include "json.h"
#include "log.h"
#include "proc.h"
#include "resctrl.h"
#include "state.h"

#define DELETE_WAIT_MS 10000

/* An opened, locked container: its directory, state and status. */
struct container {
	int rootfd, dirfd;
	struct berth_state *state;
	enum berth_status status;
};

static void container_release(struct container *c)
{
	berth_closep(&c->dirfd);
	berth_closep(&c->rootfd);
	berth_state_free(c->state);
	c->state = NULL;
}

static int container_open(const char *root, const char *id, bool lock, struct container *c, struct berth_error *err)
{
	int r;

	c->rootfd = c->dirfd = -1;
	c->state = NULL;
	c->rootfd = berth_state_root_open(root, false, err);
	if (c->rootfd < 0) {
		if (err->code == ENOENT)
			berth_error_set(err, ENOENT, "container %s does not exist", id);
		return -err->code;
	}
	c->dirfd = berth_state_dir_open(c->rootfd, id, err);
	if (c->dirfd < 0 || (lock && berth_state_lock(c->dirfd, id, err) < 0)) {
		container_release(c);
		return -err->code;
	}
	r = berth_state_read(c->dirfd, id, &c->state, err);
	if (r < 0) {
		container_release(c);
		return r;
	}
	c->status = berth_state_status(c->dirfd, c->state);
	return 0;
}

/* A pidfd for the init that is certainly the init: opened first, then
 * checked, so a recycled pid can never be signalled by mistake. */
static int open_init_pidfd(const struct berth_state *s, struct berth_error *err)
{
	int fd = berth_pidfd_open(s->pid);

	if (fd < 0)
		return berth_error_set(err, ESRCH, "container %s is not running", s->id);
	if (!berth_proc_alive(s->pid, s->pid_start_time)) {
		close(fd);
		return berth_error_set(err, ESRCH, "container %s is not running", s->id);
	}
	return fd;
}

static int signal_pidfd(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static char *hook_state(const struct berth_state *s, enum berth_status status)
{
	_cleanup_json_ json_t *j = berth_state_to_json(s, status);
	return j ? bjson_dump(j) : NULL;
}

static int run_state_hooks(const struct berth_state *s, enum berth_hook_kind kind, enum berth_status status,
			   bool warn_only, struct berth_error *err)
{
	_cleanup_spec_ struct berth_spec *spec = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	r = berth_spec_from_json(s->config, &spec, err);
	if (r < 0 || spec->hooks[kind].count == 0)
		return r;
	text = hook_state(s, status);
	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "encode the state for %s hooks", berth_hook_kind_name(kind));
	/* Until runtime-spec 1.1.0 a failed poststart hook was only a warning
	 * and the lifecycle went on; a bundle gets the lifecycle of the
	 * version it declares. */
	if (kind == BERTH_HOOK_POSTSTART && berth_spec_version_before(spec, 1, 1))
		warn_only = true;
	if (warn_only) {
		berth_hooks_run_warn(spec, kind, text);
		return 0;
	}
	return berth_hooks_run(spec, kind, text, err);
}

/* Connect to the waiting init and tell it to go; its answer is EOF once it
 * has exec'd the program, or "E<message>" if it could not. */
static int trigger_start(struct container *c, struct berth_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char reply[BERTH_ERROR_MAX];
	size_t len = 0;

	if (sock < 0)
		return berth_error_sys(err, errno, "start %s: socket", c->state->id);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", c->dirfd, BERTH_START_SOCKET);
	if (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) < 0)
		return berth_error_sys(err, errno, "start %s: reach the container init", c->state->id);
	if (write(sock, "S", 1) != 1)
		return berth_error_sys(err, errno, "start %s", c->state->id);
	for (;;) {
		ssize_t n = read(sock, reply + len, sizeof(reply) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
		if (len == sizeof(reply) - 1)
			break;
	}
	reply[len] = '\0';
	unlinkat(c->dirfd, BERTH_START_SOCKET, 0);
	if (len > 0 && reply[0] == 'E')
		return berth_error_set(err, EIO, "start container %s: %s", c->state->id, reply + 1);
	return 0;
}

int berth_container_start(const char *root, const char *id, struct berth_error *err)
{
	struct container c;
	int r;

	if ((r = container_open(root, id, true, &c, err)) < 0)
		return r;
	if (c.status != BERTH_STATUS_CREATED) {
		r = berth_error_set(err, EINVAL, "cannot start container %s: it is %s, not created", id,
				    berth_status_name(c.status));
		goto out;
	}
	berth_debug("start %s: triggering", id);
	if ((r = trigger_start(&c, err)) < 0)
		goto out;
	berth_debug("start %s: program running", id);
	r = run_state_hooks(c.state, BERTH_HOOK_POSTSTART, BERTH_STATUS_RUNNING, false, err);
	if (r < 0) {
		/* runtime.md: a failed poststart hook stops the container. */
		_cleanup_close_ int pidfd = open_init_pidfd(c.state, &(struct berth_error){ 0 });
		if (pidfd >= 0)
			signal_pidfd(pidfd, SIGKILL);
	}
out:
	container_release(&c);
	return r;
}

int berth_container_state(const char *root, const char *id, json_t **ret, struct berth_error *err)
{
	struct container c;
	int r;

	if ((r = container_open(root, id, false, &c, err)) < 0)
		return r;
	*ret = berth_state_to_json(c.state, c.status);
	container_release(&c);
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "encode the state of %s", id);
	return 0;
}

int berth_container_list(const char *root, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *list = json_array();
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (list == NULL)
		return berth_error_sys(err, ENOMEM, "list containers");
	d = opendir(root);
	if (d == NULL) {
		if (errno == ENOENT) {
			*ret = berth_steal_ptr(&list);
			return 0;
		}
		return berth_error_sys(err, errno, "list containers in %s", root);
	}
	while ((de = readdir(d)) != NULL) {
		struct berth_error ignored;
		json_t *j = NULL;

		if (de->d_name[0] == '.' || !berth_container_id_valid(de->d_name))
			continue;
		/* A container half made or half deleted is not listed. */
		if (berth_container_state(root, de->d_name, &j, &ignored) < 0)
			continue;
		json_array_append_new(list, j);
	}
	*ret = berth_steal_ptr(&list);
	return 0;
}

static int signal_cgroup(const struct berth_state *s, int sig, bool *done, struct berth_error *err)
{
	struct berth_cgroup cg;
	int r;

	*done = false;
	if (s->cgroup == NULL)
		return 0;
	r = berth_cgroup_from_json(s->cgroup, &cg, err);
	if (r == 0 && cg.n) {
		r = berth_cgroup_signal_all(&cg, sig, err);
		*done = r == 0;
	}
	berth_cgroup_release(&cg);
	return r;
}

/* Every process in the container's own pid namespace (kill --all when the
 * container has no cgroup of its own to walk). */
static int signal_pid_namespace(const struct berth_state *s, int sig, struct berth_error *err)
{
	_cleanup_closedir_ DIR *proc = opendir("/proc");
	struct stat init_ns, own_ns;
	char path[64];
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) s->pid);
	if (stat(path, &init_ns) < 0 || stat("/proc/self/ns/pid", &own_ns) < 0)
		return berth_error_sys(err, errno, "kill --all: find the pid namespace of %s", s->id);
	if (init_ns.st_ino == own_ns.st_ino || proc == NULL)
		return 0; /* host pid namespace: only the init is ours to know */
	while ((de = readdir(proc)) != NULL) {
		struct stat ns;
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == s->pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		if (stat(path, &ns) == 0 && ns.st_ino == init_ns.st_ino && ns.st_dev == init_ns.st_dev)
			kill(pid, sig);
	}
	return 0;
}

int berth_container_kill(const char *root, const char *id, int sig, bool all, struct berth_error *err)
{
	_cleanup_close_ int pidfd = -1;
	struct container c;
	int r;

	if ((r = container_open(root, id, false, &c, err)) < 0)
		return r;
	if (c.status == BERTH_STATUS_STOPPED || c.status == BERTH_STATUS_CREATING) {
		/* A stopped init may leave processes in the cgroup (no pid ns). */
		bool done;
		if (all && c.status == BERTH_STATUS_STOPPED && signal_cgroup(c.state, sig, &done, err) == 0 && done) {
			r = 0;
			goto out;
		}
		r = berth_error_set(err, EINVAL, "cannot kill container %s: it is %s", id, berth_status_name(c.status));
		goto out;
	}
	pidfd = open_init_pidfd(c.state, err);
	if (pidfd < 0) {
		r = pidfd;
		goto out;
	}
	if (all) {
		bool done;
		if ((r = signal_cgroup(c.state, sig, &done, err)) < 0)
			goto out;
		if (!done && (r = signal_pid_namespace(c.state, sig, err)) < 0)
			goto out;
	}
	if ((r = signal_pidfd(pidfd, sig)) < 0)
		r = berth_error_sys(err, -r, "send signal %d to container %s", sig, id);
out:
	container_release(&c);
	return r;
}

static int wait_for_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -ETIMEDOUT;
}

static int stop_for_delete(struct container *c, const char *id, struct berth_error *err)
{
	_cleanup_close_ int pidfd = open_init_pidfd(c->state, err);

	bool done;

	if (pidfd < 0)
		return 0; /* exited meanwhile */
	signal_cgroup(c->state, SIGKILL, &done, err);
	if (!done)
		signal_pid_namespace(c->state, SIGKILL, err);
	signal_pidfd(pidfd, SIGKILL);
	if (c->status == BERTH_STATUS_PAUSED) {
		/* A v1-frozen task dies only once thawed. */
		struct berth_cgroup cg;
		if (berth_cgroup_from_json(c->state->cgroup, &cg, err) == 0)
			berth_cgroup_freeze(&cg, false, err);
		berth_cgroup_release(&cg);
	}
	if (wait_for_exit(pidfd, DELETE_WAIT_MS) < 0)
		return berth_error_set(err, ETIMEDOUT, "delete %s: the container did not die within %d seconds of SIGKILL",
				       id, DELETE_WAIT_MS / 1000);
	return 0;
}

/* No readable state: either there is no such container, or a create died
 * before writing state.json, and then nothing of it runs. */
static int delete_without_state(const char *root, const char *id, bool force, int r, struct berth_error *err)
{
	_cleanup_close_ int rootfd = -1, dirfd = -1;
	struct berth_error ignored;

	if (r != -ENOENT)
		return r;
	rootfd = berth_state_root_open(root, false, &ignored);
	if (rootfd < 0 || faccessat(rootfd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return force ? 0 : r; /* runc: --force ignores a missing container */
	dirfd = berth_state_dir_open(rootfd, id, err);
	if (dirfd < 0)
		return dirfd;
	if (flock(dirfd, LOCK_EX | LOCK_NB) < 0)
		return berth_error_set(err, EBUSY, "cannot delete container %s: it is being created", id);
	/* Under the lock, look again: the directory opened by name may be a
	 * container created since the first look, whose state now exists. */
	if (faccessat(dirfd, BERTH_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return berth_error_set(err, EAGAIN, "cannot delete container %s: it was created meanwhile; try again", id);
	return berth_remove_tree_at(rootfd, id, err);
}

int berth_container_delete(const char *root, const char *id, bool force, struct berth_error *err)
{
	struct berth_error hook_err;
	struct container c;
	int r;

	r = container_open(root, id, true, &c, err);
	if (r < 0)
		return delete_without_state(root, id, force, r, err);
	switch (c.status) {
	case BERTH_STATUS_STOPPED:
		break;
	case BERTH_STATUS_CREATED:
	case BERTH_STATUS_CREATING:
		/* As runc: a container that never ran is deleted without --force. */
		if ((r = stop_for_delete(&c, id, err)) < 0)
			goto out;
		break;
	default:
		if (!force) {
			r = berth_error_set(err, EBUSY, "cannot delete container %s: it is %s (use --force)", id,
					    berth_status_name(c.status));
			goto out;
		}
		if ((r = stop_for_delete(&c, id, err)) < 0)
			goto out;
	}
	if (c.state->cgroup) {
		struct berth_cgroup cg;
		r = berth_cgroup_from_json(c.state->cgroup, &cg, err);
		if (r == 0)
			r = berth_cgroup_destroy(&cg, err);
		berth_cgroup_release(&cg);
		if (r < 0)
			goto out;
	}
	berth_resctrl_remove(c.state->resctrl_dir);
	if ((r = berth_remove_tree_at(c.rootfd, id, err)) < 0)
		goto out;
	/* runtime.md: a failed poststop hook is a warning, and the rest still run. */
	if (run_state_hooks(c.state, BERTH_HOOK_POSTSTOP, BERTH_STATUS_STOPPED, true, &hook_err) < 0)
		berth_warn("%s", hook_err.msg);
out:
	container_release(&c);
	return r;
}
