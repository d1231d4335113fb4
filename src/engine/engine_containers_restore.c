/* The containers' side of opening and closing the engine: finding the
 * runtime and the shim, and re-adopting what still runs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "engine_containers_internal.h"
#include "file.h"
#include "init_binary.h"
#include "json.h"
#include "log.h"
#include "shim_client.h"
#include "volumes.h"

#define SECCOMP_DEFAULT_PROFILE "/usr/share/containers/seccomp.json"

/* A helper binary: given, else next to berthd (installed), else in the
 * build tree (src/daemon/../DIR/NAME), else NAME from PATH. */
static char *find_binary(const char *given, const char *build_dir, const char *name)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	if (given)
		return strdup(given);
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/%s", self, name);
		if (access(path, X_OK) == 0)
			return strdup(path);
		snprintf(path, sizeof(path), "%s/../%s/%s", self, build_dir, name);
		if (access(path, X_OK) == 0)
			return realpath(path, NULL);
	}
	return strdup(name);
}

int container_init_path(struct berth_engine *e, const char **ret, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	if (!cs->init_path) {
		struct berth_error why = { 0 };
		/* a request error (400), never a 404: the docker CLI would pull */
		if (berth_init_binary_find(cs->init_given, &cs->init_path, &why) < 0)
			return berth_error_set(err, EINVAL, "--init: %s", why.msg);
	}
	*ret = cs->init_path;
	return 0;
}

/* One container recorded as running, at daemon start. */
static void readopt(struct berth_engine *e, const struct berth_container_record *c)
{
	char state[4096], reply[256];
	struct berth_error err = { 0 };
	int code = 0, fd = -1;
	int64_t when = 0;
	container_state_dir(e, c->id, state);
	if (berth_shim_read_exit(state, "exit", &code, &when, &err) == 1) {
		record_exit(e, c->id, code, when, NULL);
		return;
	}
	if (berth_shim_request(state, "state", 5000, reply, sizeof(reply), &err) == 0 &&
	    strncmp(reply, "running", 7) == 0 && berth_shim_wait_begin(state, &fd, &err) == 0 &&
	    start_monitor(e, c->id, fd, &err) == 0) {
		berth_debug("container %s: re-adopted its shim", c->id);
		health_watch(e, c);
		return;
	}
	/* no shim and no exit: the host rebooted, or the shim was killed and
	 * the container may still run, unreaped and unread: kill it */
	container_runtime_delete(e, c->id);
	record_exit(e, c->id, 255, 0, "the container's shim was gone when berthd started");
	/* as dockerd at boot: always and unless-stopped containers come back */
	const char *policy = json_string_value(json_object_get(json_object_get(c->host_config, "RestartPolicy"), "Name"));
	if (policy && (strcmp(policy, "always") == 0 || strcmp(policy, "unless-stopped") == 0)) {
		_cleanup_container_record_ struct berth_container_record fresh = { 0 };
		if (berth_containers_get(e->db, c->id, &fresh, &err) < 0 || container_start_locked(e, &fresh, &err) < 0)
			berth_warn("restart container %s at daemon start: %s", c->id, err.msg);
	}
}

/* A container recorded as not running whose state directory has no exit
 * file: berthd died in the middle of its start, after the shim was spawned.
 * The start was never acknowledged and the record says it does not run, so
 * it must not run on unseen: kill and delete it, wait (a little) for its
 * shim to finish, and drop the state directory, so that the container
 * starts again or is removed as any created one. */
static void stop_unrecorded(struct berth_engine *e, const struct berth_container_record *c)
{
	char state[4096];
	struct berth_error err = { 0 };
	int code = 0;
	int64_t when = 0;
	container_state_dir(e, c->id, state);
	if (access(state, F_OK) < 0 || berth_shim_read_exit(state, "exit", &code, &when, &err) == 1)
		return;
	berth_warn("container %s: berthd stopped while it started; killing what it left", c->id);
	container_runtime_delete(e, c->id);
	if (berth_shim_wait_gone(state, 10000) < 0)
		berth_warn("container %s: its shim did not end", c->id);
	berth_remove_tree_at(AT_FDCWD, state, &err);
}

static int restore(struct berth_engine *e, struct berth_error *err)
{
	struct berth_container_record *v = NULL;
	size_t n = 0;
	int r = berth_containers_list(e->db, &v, &n, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&e->containers->lock);
	for (size_t i = 0; i < n; i++) {
		if (record_running(&v[i])) {
			readopt(e, &v[i]);
		} else {
			/* a stopped container holds no mount */
			char dir[4096];
			struct berth_error ignored = { 0 };
			stop_unrecorded(e, &v[i]);
			container_dir(e, v[i].id, dir);
			berth_container_rootfs_unmount(dir, &ignored);
		}
	}
	pthread_mutex_unlock(&e->containers->lock);
	berth_container_records_free(v, n);
	return 0;
}

/* Directories of containers whose record is gone (a crash mid-remove). */
static void remove_orphan_dirs(struct berth_engine *e)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/containers", e->root);
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != BERTH_CONTAINER_ID_LEN)
			continue;
		_cleanup_container_record_ struct berth_container_record c = { 0 };
		struct berth_error err = { 0 };
		if (berth_containers_get(e->db, de->d_name, &c, &err) != -ENOENT)
			continue;
		char dir[4096];
		container_dir(e, de->d_name, dir);
		berth_container_rootfs_unmount(dir, &err);
		berth_remove_tree_at(AT_FDCWD, dir, &err);
	}
}

static bool container_exists(void *ctx, const char *id)
{
	struct berth_engine *e = ctx;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_error err = { 0 };
	/* only a certain "no such row" drops the references */
	return berth_containers_get(e->db, id, &c, &err) != -ENOENT;
}

int berth_engine_containers_open(struct berth_engine *e, const struct berth_engine_options *o,
				 struct berth_error *err)
{
	struct engine_containers *cs = calloc(1, sizeof(*cs));
	char path[4096];
	if (!cs)
		return berth_error_sys(err, ENOMEM, "containers");
	e->containers = cs;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_cond_init(&cs->changed, NULL);
	cs->runtime = find_binary(o->runtime, "runtime-main", "berth-runtime");
	cs->shim = find_binary(o->shim, "shim", "berth-shim");
	cs->init_given = o->init_path ? strdup(o->init_path) : NULL;
	snprintf(path, sizeof(path), "%s/runtime", e->exec_root);
	cs->runtime_root = strdup(path);
	if (!cs->runtime || !cs->shim || !cs->runtime_root)
		return berth_error_sys(err, ENOMEM, "containers");
	json_error_t jerr;
	cs->seccomp_default = json_load_file(SECCOMP_DEFAULT_PROFILE, 0, &jerr);
	if (!cs->seccomp_default)
		berth_warn("no default seccomp profile (%s: %s): containers run without one unless given",
			   SECCOMP_DEFAULT_PROFILE, jerr.text);
	int r = berth_containers_init(e->db, err);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/containers", e->root);
		r = berth_mkdir_p(path, 0710);
		r = r == -EEXIST ? 0 : r < 0 ? berth_error_sys(err, -r, "mkdir %s", path) : 0;
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/containers", e->exec_root);
		r = berth_mkdir_p(path, 0700);
		r = r == -EEXIST ? 0 : r < 0 ? berth_error_sys(err, -r, "mkdir %s", path) : 0;
	}
	if (r == 0)
		r = restore(e, err);
	if (r == 0)
		remove_orphan_dirs(e);
	/* a crash between a container's removal and the release of its
	 * volumes left references that would keep them in use forever */
	if (r == 0)
		r = berth_volumes_release_unknown(e->volumes, container_exists, e, err);
	return r;
}

void berth_engine_containers_wake(struct berth_engine *e)
{
	if (!e->containers)
		return;
	pthread_mutex_lock(&e->containers->lock);
	pthread_cond_broadcast(&e->containers->changed);
	pthread_mutex_unlock(&e->containers->lock);
}

void berth_engine_containers_close(struct berth_engine *e)
{
	struct engine_containers *cs = e->containers;
	if (!cs)
		return;
	health_close(e); /* its probes take cs->lock */
	pthread_mutex_lock(&cs->lock);
	/* wake the monitors without recording anything: the containers go on */
	for (struct live_container *l = cs->live; l; l = l->next)
		if (l->monitor_fd >= 0)
			shutdown(l->monitor_fd, SHUT_RDWR);
	while (cs->monitors > 0)
		pthread_cond_wait(&cs->changed, &cs->lock);
	exec_forget_all(cs);
	pthread_mutex_unlock(&cs->lock);
	while (cs->live) {
		struct live_container *next = cs->live->next;
		free(cs->live);
		cs->live = next;
	}
	json_decref(cs->seccomp_default);
	free(cs->runtime);
	free(cs->shim);
	free(cs->init_given);
	free(cs->init_path);
	free(cs->runtime_root);
	pthread_cond_destroy(&cs->changed);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
	e->containers = NULL;
}

int berth_engine_container_io(struct berth_engine *e, const char *what, struct berth_container_io *ret,
			      struct berth_error *err)
{
	char id[BERTH_CONTAINER_ID_LEN + 1], dir[4096], state[4096];
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int r = berth_containers_resolve(e->db, what, id, err);
	if (r == 0)
		r = berth_containers_get(e->db, id, &c, err);
	if (r < 0)
		return r;
	*ret = (struct berth_container_io){ 0 };
	snprintf(ret->id, sizeof(ret->id), "%s", id);
	container_dir(e, id, dir);
	container_state_dir(e, id, state);
	snprintf(ret->log_path, sizeof(ret->log_path), "%s/%s-json.log", dir, id);
	ret->running = record_running(&c);
	ret->tty = json_is_true(json_object_get(c.config, "Tty"));
	if (ret->running)
		snprintf(ret->attach_socket, sizeof(ret->attach_socket), "%s/attach.sock", state);
	return 0;
}
