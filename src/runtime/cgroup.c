/* The parts of cgroup handling that do not depend on the version. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
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

/* Our own cgroup in the hierarchy with these controllers ("" for v2). */
static int own_cgroup(const char *proc_cgroup, const char *controllers, char *out, size_t size)
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

static int resolve_dir(const char *mountpoint, const char *controllers, const char *proc_cgroup, const char *cgpath,
		       struct berth_cgroup *cg, struct berth_error *err)
{
	char own[PATH_MAX] = "", path[PATH_MAX * 2];

	if (cgpath[0] != '/' && own_cgroup(proc_cgroup, controllers, own, sizeof(own)) < 0)
		own[0] = '\0';
	snprintf(path, sizeof(path), "%s%s%s%s", mountpoint, own, cgpath[0] == '/' ? "" : "/", cgpath);
	return add_dir(cg, controllers, path, err);
}

/* The v1 hierarchies and a v2 tree the host mounts, from mountinfo. */
static int resolve_v1(const char *cgpath, const char *proc_cgroup, struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	if ((r = berth_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16u << 20, &text, NULL, err)) < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mountpoint[PATH_MAX], fstype[32], superopts[512], controllers[256] = "";
		char *sep = strstr(line, " - "), *osave = NULL;

		if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mountpoint) != 1 ||
		    sscanf(sep + 3, "%31s %*s %511s", fstype, superopts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if ((r = resolve_dir(mountpoint, "", proc_cgroup, cgpath, cg, err)) < 0)
				return r;
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0)
			continue;
		/* The hierarchy's name is its super options less rw/ro and flags. */
		for (char *o = strtok_r(superopts, ",", &osave); o; o = strtok_r(NULL, ",", &osave)) {
			if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0 || strcmp(o, "xattr") == 0 ||
			    strcmp(o, "clone_children") == 0 || strcmp(o, "noprefix") == 0 || strncmp(o, "release_agent=", 14) == 0 ||
			    strcmp(o, "cpuset_v2_mode") == 0 || strcmp(o, "favordynmods") == 0)
				continue;
			if (controllers[0])
				strncat(controllers, ",", sizeof(controllers) - strlen(controllers) - 1);
			strncat(controllers, o, sizeof(controllers) - strlen(controllers) - 1);
		}
		if (controllers[0] && (r = resolve_dir(mountpoint, controllers, proc_cgroup, cgpath, cg, err)) < 0)
			return r;
	}
	return 0;
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

static bool dir_has_processes(const char *dir)
{
	char buf[16];
	return berth_cg_read(dir, "cgroup.procs", buf, sizeof(buf)) > 0;
}

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
		return berth_cgroup_v1_apply(cg, res, err);
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

int berth_cgroup_pids(const struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	const char *dir = unified_dir(cg);
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	char path[PATH_MAX];
	size_t n = 0, cap = 0;
	int r;

	if (cg->n == 0) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	/* Any hierarchy holds every process; pids or memory is always there on v1. */
	if (dir == NULL && (dir = berth_cgroup_dir_for(cg, "pids")) == NULL)
		dir = cg->dirs[0].path;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((r = berth_read_file_at(AT_FDCWD, path, 64u << 20, &text, NULL, err)) < 0)
		return r;
	for (char *p = text; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (n == cap) {
			pid_t *np = realloc(pids, (cap = cap ? cap * 2 : 64) * sizeof(*np));
			if (np == NULL)
				return berth_error_sys(err, ENOMEM, "list the container's processes");
			pids = np;
		}
		pids[n++] = (pid_t) v;
		p = end + (*end == '\n');
	}
	*ret = berth_steal_ptr(&pids);
	*ret_n = n;
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

int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		const char *dir = cg->dirs[i].path;
		int attempts = 0;

		if (!cg->dirs[i].created)
			continue;
		/* A frozen cgroup would hold its processes forever. */
		if (cg->version == BERTH_CGROUP_V1 && strstr(cg->dirs[i].controllers, "freezer"))
			berth_cg_write(dir, "freezer.state", "THAWED", &(struct berth_error){ 0 });
		while (rmdir(dir) < 0) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || ++attempts > 200)
				return berth_error_sys(err, errno, "remove cgroup %s", dir);
			if (attempts == 1)
				berth_cgroup_signal_all(cg, SIGKILL, &(struct berth_error){ 0 });
			nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
		}
	}
	return 0;
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
