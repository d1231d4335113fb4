/* The parts of cgroup handling that do not depend on the version. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "mountinfo.h"
#include "log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const struct berth_device_rule berth_default_device_rules[] = {
	{ true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },	  { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },	  { true, 'c', 1, 8, "rwm" },
	{ true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },	  { true, 'c', 5, 1, "rwm" },
	{ true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" },
};
const size_t berth_n_default_device_rules = BERTH_ARRAY_SIZE(berth_default_device_rules);

int berth_cg_write(const char *dir, const char *file, const char *value, struct berth_error *err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "write cgroup file %s", path);
	if (write(fd, value, len) != (ssize_t) len)
		return berth_error_sys(err, errno, "write \"%s\" to %s", value, path);
	return 0;
}

int berth_cg_writef(const char *dir, const char *file, struct berth_error *err, const char *fmt, ...)
{
	char value[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return berth_cg_write(dir, file, value, err);
}

int berth_cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int) n;
}

bool berth_cg_has(const char *dir, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

bool berth_cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	char buf[8192];
	size_t klen = strlen(key);

	if (berth_cg_read(dir, file, buf, sizeof(buf)) < 0)
		return false;
	for (char *line = buf; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*ret = strtoull(line + klen + 1, NULL, 10);
			return true;
		}
		line = next;
	}
	return false;
}

const char *berth_cgroup_dir_for(const struct berth_cgroup *cg, const char *controller)
{
	size_t len = strlen(controller);

	for (size_t i = 0; i < cg->n; i++) {
		const char *c = cg->dirs[i].controllers;
		if (cg->version == BERTH_CGROUP_V2 && c[0] == '\0')
			return cg->dirs[i].path;
		for (const char *p = c; p && *p;) {
			const char *end = strchrnul(p, ',');
			if ((size_t) (end - p) == len && strncmp(p, controller, len) == 0)
				return cg->dirs[i].path;
			p = *end ? end + 1 : NULL;
		}
	}
	return NULL;
}

/* The unified (v2) tree's directory, if any: all of v2, or v1's tracker. */
static const char *unified_dir(const struct berth_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i].controllers[0] == '\0')
			return cg->dirs[i].path;
	return NULL;
}

void berth_cgroup_release(struct berth_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->dirs[i].controllers);
		free(cg->dirs[i].path);
	}
	cg->n = 0;
}

static int add_dir(struct berth_cgroup *cg, const char *controllers, const char *path, struct berth_error *err)
{
	if (cg->n == BERTH_CGROUP_MAX_DIRS)
		return berth_error_set(err, E2BIG, "too many cgroup hierarchies");
	cg->dirs[cg->n].controllers = strdup(controllers);
	cg->dirs[cg->n].path = strdup(path);
	if (!cg->dirs[cg->n].controllers || !cg->dirs[cg->n].path)
		return berth_error_sys(err, ENOMEM, "cgroup");
	cg->n++;
	return 0;
}

/* "cgroupsPath": clean, no "..", no systemd "slice:prefix:name". */
static int check_cgroups_path(const char *p, struct berth_error *err)
{
	if (strchr(p, ':'))
		return berth_error_set(err, EINVAL,
				       "linux.cgroupsPath: \"%s\" is a systemd path (slice:prefix:name); the systemd cgroup "
				       "manager is not supported, give a path",
				       p);
	for (const char *c = p; *c;) {
		const char *end = strchrnul(c, '/');
		if (end - c == 2 && c[0] == '.' && c[1] == '.')
			return berth_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" must not contain \"..\"", p);
		c = *end ? end + 1 : end;
	}
	return 0;
}

int berth_cgroup_own_path(const char *proc_cgroup, const char *controllers, char *out, size_t size)
{
	_cleanup_free_ char *copy = strdup(proc_cgroup);
	char *save = NULL;

	if (copy == NULL)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(line, ':'), *path;
		if (c == NULL || (path = strchr(++c, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (strcmp(c, controllers) == 0) {
			snprintf(out, size, "%s", strcmp(path, "/") == 0 ? "" : path);
			return 0;
		}
	}
	return -ENOENT;
}

void berth_cgroup_hierarchy_name(const char *superopts, char *out, size_t size)
{
	static const char *const flags[] = { "rw", "ro", "xattr", "clone_children", "noprefix", "cpuset_v2_mode",
					     "favordynmods" };
	const char *p = superopts;

	out[0] = '\0';
	while (*p) {
		const char *end = strchrnul(p, ',');
		size_t len = (size_t) (end - p);
		bool is_flag = len >= 14 && strncmp(p, "release_agent=", 14) == 0;
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(flags) && !is_flag; i++)
			is_flag = strlen(flags[i]) == len && strncmp(p, flags[i], len) == 0;
		if (!is_flag && len > 0) {
			size_t used = strlen(out);
			snprintf(out + used, size - used, "%s%.*s", used ? "," : "", (int) len, p);
		}
		p = *end ? end + 1 : end;
	}
}

static int resolve_dir(const char *mountpoint, const char *controllers, const char *proc_cgroup, const char *cgpath,
		       struct berth_cgroup *cg, struct berth_error *err)
{
	char own[PATH_MAX] = "", path[PATH_MAX * 2];

	if (cgpath[0] != '/' && berth_cgroup_own_path(proc_cgroup, controllers, own, sizeof(own)) < 0)
		own[0] = '\0';
	snprintf(path, sizeof(path), "%s%s%s%s", mountpoint, own, cgpath[0] == '/' ? "" : "/", cgpath);
	return add_dir(cg, controllers, path, err);
}

struct resolve_ctx {
	const char *cgpath;
	const char *proc_cgroup;
	struct berth_cgroup *cg;
	struct berth_error *err;
};

static int resolve_mount(const struct berth_mountinfo_entry *e, void *data)
{
	struct resolve_ctx *c = data;
	char controllers[256];

	if (strcmp(e->fstype, "cgroup2") == 0)
		return resolve_dir(e->mountpoint, "", c->proc_cgroup, c->cgpath, c->cg, c->err);
	if (strcmp(e->fstype, "cgroup") != 0)
		return 0;
	berth_cgroup_hierarchy_name(e->superopts, controllers, sizeof(controllers));
	return controllers[0] ? resolve_dir(e->mountpoint, controllers, c->proc_cgroup, c->cgpath, c->cg, c->err) : 0;
}

/* The v1 hierarchies and a v2 tree the host mounts, from mountinfo. */
static int resolve_v1(const char *cgpath, const char *proc_cgroup, struct berth_cgroup *cg, struct berth_error *err)
{
	struct resolve_ctx c = { cgpath, proc_cgroup, cg, err };
	return berth_mountinfo_foreach(resolve_mount, &c, err);
}

int berth_cgroup_resolve(const char *cgroups_path, const char *id, struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_free_ char *proc_cgroup = NULL;
	const char *forced = getenv("BERTH_CGROUP_V2_ROOT");
	const char *cgpath = cgroups_path && cgroups_path[0] ? cgroups_path : id;
	struct statfs sfs;
	int r;

	memset(cg, 0, sizeof(*cg));
	if ((r = check_cgroups_path(cgpath, err)) < 0)
		return r;
	if ((r = berth_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1u << 20, &proc_cgroup, NULL, err)) < 0)
		return r;
	/* Tests (and hosts with an unusual layout) may name the v2 tree to use;
	 * then the v2 driver runs even on a v1 host. */
	if (forced && forced[0]) {
		cg->version = BERTH_CGROUP_V2;
		return resolve_dir(forced, "", proc_cgroup, cgpath, cg, err);
	}
	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		cg->version = BERTH_CGROUP_V2;
		return resolve_dir("/sys/fs/cgroup", "", proc_cgroup, cgpath, cg, err);
	}
	cg->version = BERTH_CGROUP_V1;
	r = resolve_v1(cgpath, proc_cgroup, cg, err);
	if (r == 0 && cg->n == 0)
		return berth_error_set(err, ENOENT, "no cgroup hierarchy is mounted");
	return r;
}

/* A v1 cpuset starts with no cpus and no mems, and no task can join it
 * then: give it its parent's, up the tree as needed. */
static int cpuset_inherit(const char *dir, struct berth_error *err)
{
	char parent[PATH_MAX], value[4096];
	const char *files[] = { "cpuset.cpus", "cpuset.mems" };
	char *slash;
	int r;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent)
		return 0;
	*slash = '\0';
	for (int i = 0; i < 2; i++) {
		if (berth_cg_read(dir, files[i], value, sizeof(value)) > 1)
			continue;
		if (berth_cg_read(parent, files[i], value, sizeof(value)) <= 1 &&
		    (r = cpuset_inherit(parent, err)) < 0)
			return r;
		if (berth_cg_read(parent, files[i], value, sizeof(value)) < 0)
			return berth_error_sys(err, errno, "read %s/%s", parent, files[i]);
		if ((r = berth_cg_write(dir, files[i], value, err)) < 0)
			return r;
	}
	return 0;
}


static bool dir_has_processes(const char *dir);

int berth_cgroup_create(struct berth_cgroup *cg, const struct berth_resources *res, struct berth_error *err)
{
	int r;

	for (size_t i = 0; i < cg->n; i++) {
		const char *dir = cg->dirs[i].path;

		r = berth_mkdir_p(dir, 0755);
		if (r == -EEXIST) {
			if (dir_has_processes(dir))
				return berth_error_set(err, EBUSY, "cgroup %s already has processes", dir);
			continue; /* somebody else's: used, never removed */
		} else if (r < 0) {
			if ((r == -EACCES || r == -EPERM || r == -EROFS) && geteuid() != 0) {
				/* Rootless without a delegated cgroup: run without one. */
				if (!berth_resources_empty(res))
					berth_warn("no cgroup for the container (%s: %s): resource limits are not applied",
						   dir, strerror(-r));
				for (size_t j = 0; j < i; j++)
					if (cg->dirs[j].created)
						rmdir(cg->dirs[j].path);
				berth_cgroup_release(cg);
				cg->version = BERTH_CGROUP_NONE;
				return 0;
			}
			return berth_error_sys(err, -r, "create cgroup %s", dir);
		}
		cg->dirs[i].created = true;
		if (cg->version == BERTH_CGROUP_V1 && strstr(cg->dirs[i].controllers, "cpuset") &&
		    (r = cpuset_inherit(dir, err)) < 0)
			return r;
	}
	if (cg->version == BERTH_CGROUP_V2) {
		const char *forced = getenv("BERTH_CGROUP_V2_ROOT");
		return berth_cgroup_v2_enable_controllers(forced && forced[0] ? forced : "/sys/fs/cgroup",
							  cg->dirs[0].path, res, err);
	}
	return 0;
}

int berth_cgroup_apply(struct berth_cgroup *cg, const struct berth_resources *res, bool update,
		       struct berth_error *err)
{
	switch (cg->version) {
	case BERTH_CGROUP_V1:
		return berth_cgroup_v1_apply(cg, res, update, err);
	case BERTH_CGROUP_V2: {
		int r = berth_cgroup_v2_apply(cg->dirs[0].path, res, update, err);
		if (r < 0)
			return r;
		/* Devices are always filtered, with the defaults after the config's rules. */
		return berth_cgroup_v2_devices(cg->dirs[0].path, res->devices, res->n_devices, err);
	}
	default:
		return 0;
	}
}

int berth_cgroup_enter(const struct berth_cgroup *cg, pid_t pid, struct berth_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		int r = berth_cg_writef(cg->dirs[i].path, "cgroup.procs", err, "%d", (int) pid);
		if (r < 0)
			return berth_error_wrap(err, "put process %d in its cgroup", (int) pid);
	}
	return 0;
}

/* On v2 a cgroup that enables controllers for its children takes no
 * process (EBUSY): the container made sub-cgroups (a systemd inside).
 * Join the one its init is in, as runc does. */
static int enter_init_cgroup_v2(pid_t pid, pid_t init_pid, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char path[64], own[PATH_MAX] = "", dir[PATH_MAX * 2];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) init_pid);
	struct berth_error ignored = { 0 };
	if (berth_read_file_at(AT_FDCWD, path, 1 << 16, &text, NULL, &ignored) < 0 ||
	    berth_cgroup_own_path(text, "", own, sizeof(own)) < 0)
		return -EBUSY;
	const char *v2root = getenv("BERTH_CGROUP_V2_ROOT") ? getenv("BERTH_CGROUP_V2_ROOT") : "/sys/fs/cgroup";
	snprintf(dir, sizeof(dir), "%s%s", v2root, own);
	berth_error_clear(err);
	int r = berth_cg_writef(dir, "cgroup.procs", err, "%d", (int) pid);
	return r < 0 ? berth_error_wrap(err, "put process %d in the cgroup of the container's init", (int) pid) : 0;
}

int berth_cgroup_join_prepare(const struct berth_cgroup *cg, bool self, struct berth_cgroup_join *ret,
			      struct berth_error *err)
{
	struct berth_cgroup_join j = { .v2_dirfd = -1, .self = self && cg->version == BERTH_CGROUP_V1 };
	for (size_t i = 0; i < BERTH_CGROUP_MAX_DIRS; i++)
		j.tasks_fds[i] = -1;
	for (size_t i = 0; i < cg->n; i++) {
		const char *dir = cg->dirs[i].path;
		bool v2 = cg->dirs[i].controllers[0] == '\0';
		int fd;
		if (v2) {
			fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			j.v2_dirfd = fd;
		} else if (j.self) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/tasks", dir);
			fd = j.tasks_fds[i] = open(path, O_WRONLY | O_CLOEXEC);
		} else {
			continue;
		}
		if (fd < 0) {
			int r = berth_error_sys(err, errno, "open %s%s", dir, v2 ? "" : "/tasks");
			berth_cgroup_join_close(&j);
			return r;
		}
	}
	*ret = j;
	return 0;
}

int berth_cgroup_join_self(struct berth_cgroup_join *j, struct berth_error *err)
{
	int r = 0;
	for (size_t i = 0; i < BERTH_CGROUP_MAX_DIRS; i++) {
		if (j->tasks_fds[i] < 0)
			continue;
		if (r == 0 && write(j->tasks_fds[i], "0", 1) != 1)
			r = berth_error_sys(err, errno, "join the container's cgroup (v1 tasks)");
		berth_closep(&j->tasks_fds[i]);
	}
	berth_closep(&j->v2_dirfd);
	return r;
}

int berth_cgroup_join_finish(const struct berth_cgroup *cg, const struct berth_cgroup_join *j, pid_t pid,
			     pid_t init_pid, struct berth_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		bool v2 = cg->dirs[i].controllers[0] == '\0';
		if ((v2 && j->cloned_into) || (!v2 && j->self))
			continue;
		int r = berth_cg_writef(cg->dirs[i].path, "cgroup.procs", err, "%d", (int) pid);
		if (r == -EBUSY && v2 && cg->version == BERTH_CGROUP_V2 && init_pid > 0)
			r = enter_init_cgroup_v2(pid, init_pid, err);
		if (r < 0)
			return berth_error_wrap(err, "put process %d in its cgroup", (int) pid);
	}
	return 0;
}

pid_t berth_cgroup_clone(struct berth_cgroup_join *j, int flags)
{
	if (j->v2_dirfd >= 0) {
		/* with CLONE_PARENT the exit signal is the caller's parent's:
		 * clone3 refuses one given */
		struct clone_args args = {
			.flags = (uint64_t) flags | CLONE_INTO_CGROUP,
			.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
			.cgroup = (uint64_t) j->v2_dirfd,
		};
		pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
		if (pid > 0)
			j->cloned_into = true;
		if (pid >= 0)
			return pid;
	}
	return (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

void berth_cgroup_join_close(struct berth_cgroup_join *j)
{
	for (size_t i = 0; i < BERTH_CGROUP_MAX_DIRS; i++)
		berth_closep(&j->tasks_fds[i]);
	berth_closep(&j->v2_dirfd);
}

int berth_cgroup_enter_for_exec(const struct berth_cgroup *cg, pid_t pid, pid_t init_pid, struct berth_error *err)
{
	int r = berth_cgroup_enter(cg, pid, err);
	if (r != -EBUSY || cg->version != BERTH_CGROUP_V2 || cg->n != 1)
		return r;
	r = enter_init_cgroup_v2(pid, init_pid, err);
	return r == -EBUSY ? berth_cgroup_enter(cg, pid, err) : r;
}

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

/* The processes of dir and of every sub-cgroup below it (a container may
 * make its own), as runc's ps and kill --all see them. */
static int collect_procs(const char *dir, int depth, struct pid_list *l, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((r = berth_read_file_at(AT_FDCWD, path, 64u << 20, &text, NULL, err)) < 0)
		return depth > 0 && r == -ENOENT ? 0 : r; /* a sub-cgroup removed meanwhile */
	for (char *p = text; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (l->n == l->cap) {
			pid_t *np = realloc(l->pids, (l->cap = l->cap ? l->cap * 2 : 64) * sizeof(*np));
			if (np == NULL)
				return berth_error_sys(err, ENOMEM, "list the container's processes");
			l->pids = np;
		}
		l->pids[l->n++] = (pid_t) v;
		p = end + (*end == '\n');
	}
	_cleanup_closedir_ DIR *d = depth < 32 ? opendir(dir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int) sizeof(path))
			continue;
		if ((r = collect_procs(path, depth + 1, l, err)) < 0)
			return r;
	}
	return 0;
}

/* Any process in dir or below it: an existing cgroup that holds someone
 * else's processes (in sub-cgroups too) must not become the container's,
 * or kill --all would reach them. */
static bool dir_has_processes(const char *dir)
{
	struct pid_list l = { 0 };
	int r = collect_procs(dir, 0, &l, &(struct berth_error){ 0 });
	free(l.pids);
	return r == 0 && l.n > 0;
}

int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	const char *dir = unified_dir(cg);
	struct pid_list l = { 0 };

	*ret = NULL;
	*ret_n = 0;
	if (cg->n == 0)
		return 0;
	/* Any hierarchy holds every process; pids or memory is always there on v1. */
	if (dir == NULL && (dir = berth_cgroup_dir_for(cg, "pids")) == NULL)
		dir = cg->dirs[0].path;
	int r = collect_procs(dir, 0, &l, err);
	if (r < 0) {
		free(l.pids);
		return r;
	}
	*ret = l.pids;
	*ret_n = l.n;
	return 0;
}

int berth_cgroup_freeze(const struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	if (cg->version == BERTH_CGROUP_V1 && berth_cgroup_dir_for(cg, "freezer"))
		return berth_cgroup_v1_freeze(cg, frozen, err);
	if (unified_dir(cg))
		return berth_cgroup_v2_freeze(unified_dir(cg), frozen, err);
	return berth_error_set(err, ENOTSUP, "pause needs the freezer: no freezer cgroup and no cgroup v2 tree");
}

bool berth_cgroup_is_frozen(const struct berth_cgroup *cg)
{
	const char *dir = berth_cgroup_dir_for(cg, "freezer");
	uint64_t v;
	char buf[64];

	if (cg->version == BERTH_CGROUP_V1 && dir)
		return berth_cg_read(dir, "freezer.state", buf, sizeof(buf)) > 0 && strncmp(buf, "FROZEN", 6) == 0;
	dir = unified_dir(cg);
	return dir && berth_cg_read_key(dir, "cgroup.events", "frozen", &v) && v == 1;
}

int berth_cgroup_signal_all(const struct berth_cgroup *cg, int sig, struct berth_error *err)
{
	const char *v2 = unified_dir(cg);
	_cleanup_free_ pid_t *pids = NULL;
	bool frozen = false;
	size_t n;
	int r;

	if (cg->n == 0)
		return 0;
	if (sig == SIGKILL && v2 && berth_cg_has(v2, "cgroup.kill"))
		return berth_cg_write(v2, "cgroup.kill", "1", err);
	/* Freeze first so that no process forks a child we would miss. */
	if (sig != SIGKILL)
		frozen = berth_cgroup_freeze(cg, true, &(struct berth_error){ 0 }) == 0;
	r = berth_cgroup_pids(cg, &pids, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		kill(pids[i], sig);
	if (frozen)
		berth_cgroup_freeze(cg, false, &(struct berth_error){ 0 });
	return r;
}

/* rmdir a cgroup and, first, the sub-cgroups its processes made (a
 * systemd or a nested engine inside the container); cgroupfs has only
 * directories and knob files, and rmdir ignores the knobs. */
static int remove_cgroup_tree(const char *dir, int depth)
{
	_cleanup_closedir_ DIR *d = depth < 32 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char child[PATH_MAX];
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", dir, de->d_name) < (int) sizeof(child))
			remove_cgroup_tree(child, depth + 1);
	}
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error *err)
{
	int first_error = 0;

	for (size_t i = 0; i < cg->n; i++) {
		const char *dir = cg->dirs[i].path;
		int attempts = 0, r;

		if (!cg->dirs[i].created)
			continue;
		/* A frozen cgroup would hold its processes forever. */
		if (cg->version == BERTH_CGROUP_V1 && strstr(cg->dirs[i].controllers, "freezer"))
			berth_cg_write(dir, "freezer.state", "THAWED", &(struct berth_error){ 0 });
		while ((r = remove_cgroup_tree(dir, 0)) == -EBUSY && ++attempts <= 200) {
			if (attempts == 1)
				berth_cgroup_signal_all(cg, SIGKILL, &(struct berth_error){ 0 });
			nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
		}
		/* Go on with the other hierarchies: leave as little as possible. */
		if (r < 0 && first_error == 0)
			first_error = berth_error_sys(err, -r, "remove cgroup %s", dir);
	}
	return first_error;
}

int berth_cgroup_stats(const struct berth_cgroup *cg, json_t **ret, struct berth_error *err)
{
	json_t *data = json_object();

	if (data == NULL)
		return berth_error_sys(err, ENOMEM, "stats");
	if (cg->version == BERTH_CGROUP_V1)
		berth_cgroup_v1_stats(cg, data);
	else if (cg->version == BERTH_CGROUP_V2)
		berth_cgroup_v2_stats(cg->dirs[0].path, data);
	*ret = data;
	return 0;
}

int berth_cgroup_oom_kills(const struct berth_cgroup *cg, uint64_t *ret)
{
	const char *dir = berth_cgroup_dir_for(cg, "memory");

	*ret = 0;
	if (dir == NULL)
		return -ENOENT;
	if (cg->version == BERTH_CGROUP_V2)
		return berth_cg_read_key(dir, "memory.events", "oom_kill", ret) ? 0 : -ENOENT;
	return berth_cg_read_key(dir, "memory.oom_control", "oom_kill", ret) ? 0 : -ENOENT;
}

json_t *berth_cgroup_to_json(const struct berth_cgroup *cg)
{
	json_t *dirs = json_object();

	json_t *created = json_array();

	for (size_t i = 0; dirs && i < cg->n; i++) {
		json_object_set_new(dirs, cg->dirs[i].controllers, json_string(cg->dirs[i].path));
		if (cg->dirs[i].created)
			json_array_append_new(created, json_string(cg->dirs[i].controllers));
	}
	return json_pack("{s:i, s:o, s:o}", "version", (int) cg->version, "created", created, "dirs", dirs);
}

int berth_cgroup_from_json(json_t *j, struct berth_cgroup *cg, struct berth_error *err)
{
	const char *key;
	json_t *dirs, *v;
	int r;

	memset(cg, 0, sizeof(*cg));
	if (!json_is_object(j))
		return 0;
	cg->version = (enum berth_cgroup_version) json_integer_value(json_object_get(j, "version"));
	dirs = json_object_get(j, "dirs");
	json_object_foreach (dirs, key, v) {
		json_t *created = json_object_get(j, "created"), *c;
		size_t i;
		if (!json_is_string(v))
			return berth_error_set(err, EINVAL, "state.json: cgroup: bad directory for %s", key);
		if ((r = add_dir(cg, key, json_string_value(v), err)) < 0)
			return r;
		json_array_foreach (created, i, c)
			if (json_is_string(c) && strcmp(json_string_value(c), key) == 0)
				cg->dirs[cg->n - 1].created = true;
	}
	return 0;
}
