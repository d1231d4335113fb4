/* Running containers: start through a shim, attach, stop, kill, wait,
 * remove.  The monitors that record exits are in engine_container_monitor.c,
 * re-adoption at daemon start in engine_containers_restore.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "container_spec.h"
#include "engine_containers_internal.h"
#include "fdpass.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "shim_client.h"
#include "runtime_cmd.h"
#include "signals.h"
#include "volumes.h"

#define DEFAULT_STOP_TIMEOUT 10
/* the shim's linger after an exit (3 s at most for clients still busy) and
 * its runtime delete */
#define SHIM_GONE_TIMEOUT_MS 5000
#define SECCOMP_DEFAULT_PROFILE "/usr/share/containers/seccomp.json"

int64_t now_nano(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void format_time(int64_t nano, char out[64])
{
	if (nano <= 0) {
		snprintf(out, 64, "0001-01-01T00:00:00Z");
		return;
	}
	time_t s = (time_t) (nano / 1000000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 64 - n, ".%09lldZ", (long long) (nano % 1000000000));
}

void container_dir(struct berth_engine *e, const char *id, char out[4096])
{
	snprintf(out, 4096, "%s/containers/%s", e->root, id);
}

void container_state_dir(struct berth_engine *e, const char *id, char out[4096])
{
	snprintf(out, 4096, "%s/containers/%s", e->exec_root, id);
}

json_t *state_created(void)
{
	char zero[64];
	format_time(0, zero);
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status", "created", "Running", 0,
			 "Paused", 0, "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid", 0, "ExitCode", 0, "Error", "",
			 "StartedAt", zero, "FinishedAt", zero);
}

struct live_container *live_get(struct engine_containers *cs, const char *id)
{
	for (struct live_container *l = cs->live; l; l = l->next)
		if (strcmp(l->id, id) == 0)
			return l;
	struct live_container *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	snprintf(l->id, sizeof(l->id), "%s", id);
	l->monitor_fd = -1;
	l->next = cs->live;
	cs->live = l;
	return l;
}

struct live_container *live_find(struct engine_containers *cs, const char *id)
{
	for (struct live_container *l = cs->live; l; l = l->next)
		if (strcmp(l->id, id) == 0)
			return l;
	return NULL;
}

/* Free a removed container's entry once nobody waits on it. */
void live_release(struct engine_containers *cs, struct live_container *l)
{
	if (!l->removed || l->waiters > 0 || l->monitored)
		return;
	for (struct live_container **p = &cs->live; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			free(l);
			return;
		}
}

void container_event(struct berth_engine *e, const char *action, const struct berth_container_record *c,
		     json_t *extra)
{
	json_t *attrs = json_pack("{s:s, s:s}", "name", c->name, "image", c->image ? c->image : "");
	json_t *labels = json_object_get(c->config, "Labels");
	const char *key;
	json_t *v;
	json_object_foreach(labels, key, v) if (json_is_string(v)) json_object_set(attrs, key, v);
	if (extra)
		json_object_update(attrs, extra);
	json_decref(extra);
	berth_events_publish(e->events, "container", action, c->id, attrs);
}

int container_resolve(struct berth_engine *e, const char *what, struct berth_container_record *c,
		      struct berth_error *err)
{
	char id[BERTH_CONTAINER_ID_LEN + 1];
	int r = berth_containers_resolve(e->db, what, id, err);
	return r < 0 ? r : berth_containers_get(e->db, id, c, err);
}

int container_runtime(struct berth_engine *e, const char *verb, const char *id, char **out, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char *argv[] = { cs->runtime, (char *) "--root", cs->runtime_root, (char *) verb, (char *) id, NULL };
	char *argv_ps[] = { cs->runtime, (char *) "--root", cs->runtime_root, (char *) "ps", (char *) "--format",
			    (char *) "json", (char *) id, NULL };
	return berth_run_command(strcmp(verb, "ps") == 0 ? argv_ps : argv, out, err);
}

void container_runtime_delete(struct berth_engine *e, const char *id)
{
	struct engine_containers *cs = e->containers;
	char *argv[] = { cs->runtime, (char *) "--root", cs->runtime_root, (char *) "delete", (char *) "--force",
			 (char *) id, NULL };
	struct berth_error ignored = { 0 };
	/* "does not exist" is the usual answer: the shim deleted it */
	berth_run_command(argv, NULL, &ignored);
}

bool record_running(const struct berth_container_record *c)
{
	return json_is_true(json_object_get(c->state, "Running"));
}

/* ---- start ---- */

/* config.json in the container's directory, from its record. */
static int write_bundle(struct berth_engine *e, const struct berth_container_record *c, const char *dir,
			struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char rootfs[4096], hostname[4096], hosts[4096], resolv[4096];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	snprintf(hostname, sizeof(hostname), "%s/hostname", dir);
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_sys(err, errno, "open %s", rootfs);
	const char *user = json_string_value(json_object_get(c->config, "User"));
	json_t *group_add = json_object_get(c->host_config, "GroupAdd");
	const char *groups[65] = { NULL };
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(group_add, i, v) if (n < 64 && json_is_string(v)) groups[n++] = json_string_value(v);
	_cleanup_exec_user_ struct berth_exec_user u = { 0 };
	const char *init = NULL;
	int r = berth_userdb_resolve_in_root(rootfd, rootfs, user ? user : "", groups, &u, err);
	if (r == 0 && json_is_true(json_object_get(c->host_config, "Init")))
		r = container_init_path(e, &init, err);
	if (r < 0)
		return r;
	struct berth_container_spec_input in = {
		.id = c->id,
		.image_config = NULL, /* the record's Config is already merged with the image's */
		.config = c->config,
		.host_config = c->host_config,
		.rootfs = rootfs,
		.hostname_path = hostname,
		.hosts_path = hosts,
		.resolv_path = resolv,
		.cgroup_parent = "/berth",
		.seccomp_default = cs->seccomp_default,
		.user = &u,
		.init_path = init,
		.volume_path = berth_engine_volume_path_cb,
		.volume_ctx = e,
	};
	_cleanup_json_ json_t *spec = NULL;
	if ((r = berth_container_spec(&in, &spec, err)) < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(1));
	if (!text)
		return berth_error_sys(err, ENOMEM, "config.json of %s", c->id);
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open %s", dir);
	return berth_write_file_atomic(dirfd, "config.json", text, strlen(text), 0600, 0, err);
}

static int fresh_state_dir(const char *state, struct berth_error *err)
{
	struct berth_error ignored = { 0 };
	berth_remove_tree_at(AT_FDCWD, state, &ignored);
	int r = berth_mkdir_p(state, 0700);
	if (r < 0 && r != -EEXIST)
		return berth_error_sys(err, -r, "mkdir %s", state);
	return 0;
}

static int attach_connect(const char *state, const char *header, int *ret_fd, struct berth_error *err)
{
	char path[4096], line[80];
	snprintf(path, sizeof(path), "%s/attach.sock", state);
	_cleanup_close_ int fd = berth_unix_connect(path, err);
	if (fd < 0)
		return fd;
	int n = snprintf(line, sizeof(line), "%s\n", header);
	int r = berth_write_all(fd, line, (size_t) n);
	if (r < 0)
		return berth_error_sys(err, -r, "attach to %s", state);
	*ret_fd = berth_steal_fd(&fd);
	return 0;
}

/* Hand the waiting attachers their connection (under lock), between the
 * shim's create and the start. */
static void connect_attachers(struct berth_engine *e, const char *id, const char *state, int failed)
{
	struct live_container *l = live_find(e->containers, id);
	for (struct pending_attach *a = l ? l->attaching : NULL; a; a = a->next) {
		struct berth_error err = { 0 };
		if (a->fd >= 0 || a->error)
			continue;
		a->error = failed < 0 ? failed : attach_connect(state, a->header, &a->fd, &err);
	}
	pthread_cond_broadcast(&e->containers->changed);
}

struct berth_attach {
	char id[BERTH_CONTAINER_ID_LEN + 1];
	struct pending_attach pending; /* on the live entry until connected */
	bool queued;
};

int berth_engine_container_attach_begin(struct berth_engine *e, const char *what, bool in, bool out, bool errs,
					struct berth_attach **ret, bool *ret_tty, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_attach *a = calloc(1, sizeof(*a));
	char state[4096];
	if (!a)
		return berth_error_sys(err, ENOMEM, "attach to %s", what);
	a->pending.fd = -1;
	snprintf(a->pending.header, sizeof(a->pending.header), "attach%s%s%s", in ? " stdin" : "",
		 out ? " stdout" : "", errs ? " stderr" : "");
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	if (r == 0) {
		snprintf(a->id, sizeof(a->id), "%s", c.id);
		*ret_tty = json_is_true(json_object_get(c.config, "Tty"));
		container_state_dir(e, c.id, state);
	}
	if (r == 0 && record_running(&c)) {
		r = attach_connect(state, a->pending.header, &a->pending.fd, err);
	} else if (r == 0) {
		/* queued now, before the client hears back: the start it sends
		 * next connects it before the program runs */
		struct live_container *l = live_get(cs, c.id);
		if (!l) {
			r = berth_error_sys(err, ENOMEM, "attach to %s", what);
		} else {
			l->waiters++;
			a->pending.next = l->attaching;
			l->attaching = &a->pending;
			a->queued = true;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

/* Take a's registration off its container (under lock). */
static void attach_dequeue(struct engine_containers *cs, struct berth_attach *a)
{
	struct live_container *l = live_find(cs, a->id);
	for (struct pending_attach **p = l ? &l->attaching : NULL; p && *p; p = &(*p)->next)
		if (*p == &a->pending) {
			*p = a->pending.next;
			break;
		}
	if (l) {
		l->waiters--;
		live_release(cs, l);
	}
}

int berth_engine_container_attach_wait(struct berth_engine *e, struct berth_attach *a, int *ret_fd,
				       struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	int r = 0;
	pthread_mutex_lock(&cs->lock);
	if (a->queued) {
		struct live_container *l = live_find(cs, a->id);
		while (l && a->pending.fd < 0 && !a->pending.error && !l->removed && !e->shutting_down)
			pthread_cond_wait(&cs->changed, &cs->lock);
		attach_dequeue(cs, a);
	}
	pthread_mutex_unlock(&cs->lock);
	if (a->pending.fd >= 0)
		*ret_fd = a->pending.fd;
	else
		r = berth_error_set(err, a->pending.error ? -a->pending.error : ECANCELED,
				    "attach to %s: the container did not start", a->id);
	free(a);
	return r;
}

void berth_engine_container_attach_cancel(struct berth_engine *e, struct berth_attach *a)
{
	struct engine_containers *cs = e->containers;
	pthread_mutex_lock(&cs->lock);
	if (a->queued)
		attach_dequeue(cs, a);
	pthread_mutex_unlock(&cs->lock);
	if (a->pending.fd >= 0)
		close(a->pending.fd);
	free(a);
}

/* The json-file driver's max-size as docker reads it (go-units
 * FromHumanSize: "10m", "512k", "1.5g", "100b"; decimal multiples, an
 * optional i and b); 0 (no limit) when it is not one. */
static int64_t log_max_size(const char *s)
{
	static const char units[] = "kmgtp";
	char *end;
	if (!s || !*s)
		return 0;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return 0;
	if (*end == ' ')
		end++;
	const char *u = *end ? strchr(units, tolower((unsigned char) *end)) : NULL;
	if (u)
		end++;
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return 0;
	for (const char *p = units; u && p <= u; p++)
		v *= 1000;
	return v >= 9e18 ? 0 : (int64_t) v;
}

/* Shim, wait connection, start: the container runs when this returns 0. */
static int run_shim(struct berth_engine *e, const struct berth_container_record *c, const char *dir,
		    const char *state, pid_t *ret_pid, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char log_path[4096], reply[256];
	snprintf(log_path, sizeof(log_path), "%s/%s-json.log", dir, c->id);
	json_t *log_opts = json_object_get(json_object_get(c->host_config, "LogConfig"), "Config");
	const char *max_size = json_string_value(json_object_get(log_opts, "max-size"));
	const char *max_file = json_string_value(json_object_get(log_opts, "max-file"));
	struct berth_shim_options o = {
		.shim = cs->shim,
		.id = c->id,
		.bundle = dir,
		.state_dir = state,
		.runtime = cs->runtime,
		.runtime_root = cs->runtime_root,
		.log_path = log_path,
		.log_max_size = log_max_size(max_size),
		.log_max_files = max_file ? atoi(max_file) : 1,
		.terminal = json_is_true(json_object_get(c->config, "Tty")),
		.open_stdin = json_is_true(json_object_get(c->config, "OpenStdin")),
		.stdin_once = json_is_true(json_object_get(c->config, "StdinOnce")),
	};
	int r = berth_shim_spawn(&o, ret_pid, err);
	if (r < 0)
		return r;
	int fd = -1;
	r = berth_shim_wait_begin(state, &fd, err);
	if (r == 0)
		r = start_monitor(e, c->id, fd, err);
	connect_attachers(e, c->id, state, r);
	if (r == 0)
		r = berth_shim_request(state, "start", 60000, reply, sizeof(reply), err);
	if (r < 0) {
		struct berth_error ignored = { 0 };
		berth_shim_request(state, "kill 9 all", 5000, reply, sizeof(reply), &ignored);
	}
	return r;
}

int container_start_locked(struct berth_engine *e, struct berth_container_record *c, struct berth_error *err)
{
	char dir[4096], state[4096], started[64];
	struct berth_image img = { 0 };
	pid_t pid = 0;
	if (record_running(c))
		return berth_error_set(err, EALREADY, "container %s is already running", c->id);
	container_dir(e, c->id, dir);
	container_state_dir(e, c->id, state);
	int r = berth_images_get(e->db, c->image_id, &img, err);
	if (r == 0)
		r = berth_container_rootfs_mount(e->snapshots, dir, img.top_snapshot, err);
	berth_image_clear(&img);
	if (r == 0) {
		char rootfs[4096];
		snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
		r = container_volumes_populate(e, c, rootfs, err);
	}
	if (r == 0)
		r = write_bundle(e, c, dir, err);
	if (r == 0)
		r = fresh_state_dir(state, err);
	if (r == 0)
		r = run_shim(e, c, dir, state, &pid, err);
	if (r < 0) {
		struct berth_error ignored = { 0 };
		berth_container_rootfs_unmount(dir, &ignored);
		return r;
	}
	format_time(now_nano(), started);
	json_object_set_new(c->state, "Status", json_string("running"));
	json_object_set_new(c->state, "Running", json_true());
	json_object_set_new(c->state, "Pid", json_integer(pid));
	json_object_set_new(c->state, "ExitCode", json_integer(0));
	json_object_set_new(c->state, "Error", json_string(""));
	json_object_set_new(c->state, "StartedAt", json_string(started));
	health_container_started(e, c);
	struct live_container *l = live_get(e->containers, c->id);
	if (l) {
		l->stopped_by_user = false;
		l->started_ms = now_nano() / 1000000;
	}
	/* a container that ran for no time may have exited already */
	if (l && l->running && (r = berth_containers_set_state(e->db, c->id, c->state, err)) < 0)
		return r;
	container_volumes_events(e, c, "mount");
	container_event(e, "start", c, NULL);
	return 0;
}

int berth_engine_container_start(struct berth_engine *e, const char *what, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	if (r == 0)
		r = container_start_locked(e, &c, err);
	if (r < 0 && r != -EALREADY && c.id[0] && json_is_true(json_object_get(c.host_config, "AutoRemove"))) {
		/* --rm: a container that could not start goes too, as with dockerd */
		struct berth_error ignored = { 0 };
		if (container_remove_locked(e, &c, true, true, &ignored) < 0)
			berth_warn("remove container %s after its failed start: %s", c.id, ignored.msg);
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

/* ---- stop, kill, wait ---- */

static int send_signal(struct berth_engine *e, const char *id, int sig, bool all, struct berth_error *err)
{
	char state[4096], request[64], reply[256];
	container_state_dir(e, id, state);
	snprintf(request, sizeof(request), "kill %d%s", sig, all ? " all" : "");
	return berth_shim_request(state, request, 10000, reply, sizeof(reply), err);
}

/* Wait (under cs->lock) until l saw more than `exits` exits, or the
 * deadline (ms since the epoch of CLOCK_REALTIME; 0: none).  true: it did. */
static bool wait_exit(struct engine_containers *cs, struct live_container *l, uint64_t exits, int64_t deadline_ms)
{
	l->waiters++;
	while (l->exits <= exits && !l->removed) {
		if (!deadline_ms) {
			pthread_cond_wait(&cs->changed, &cs->lock);
			continue;
		}
		struct timespec ts = { .tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000 };
		if (pthread_cond_timedwait(&cs->changed, &cs->lock, &ts) == ETIMEDOUT)
			break;
	}
	l->waiters--;
	return l->exits > exits || l->removed;
}

static int parse_signal(const char *text, int dflt, int *ret, struct berth_error *err)
{
	if (!text || !*text) {
		*ret = dflt;
		return 0;
	}
	return berth_signal_parse(text, ret, err);
}

/* Stop a running container (under cs->lock). */
static int stop_locked(struct berth_engine *e, const struct berth_container_record *c, int timeout, int sig,
		       struct berth_error *err)
{
	struct live_container *l = live_get(e->containers, c->id);
	if (!l)
		return berth_error_sys(err, ENOMEM, "stop %s", c->id);
	uint64_t exits = l->exits;
	l->stopped_by_user = true;
	if (json_is_true(json_object_get(c->state, "Paused"))) {
		/* a frozen process takes no signal: thaw it first, as dockerd does */
		struct berth_error ignored = { 0 };
		if (container_runtime(e, "resume", c->id, NULL, &ignored) < 0)
			berth_warn("container %s: resume before stop: %s", c->id, ignored.msg);
	}
	int r = send_signal(e, c->id, sig, false, err);
	if (r < 0 && l->exits > exits)
		return 0; /* it exited meanwhile */
	if (r < 0)
		return r;
	int64_t deadline = now_nano() / 1000000 + (int64_t) timeout * 1000;
	if (timeout > 0 && wait_exit(e->containers, l, exits, deadline))
		return 0;
	/* docker: then SIGKILL, to every process of the container */
	struct berth_error ignored = { 0 };
	send_signal(e, c->id, SIGKILL, true, &ignored);
	if (!wait_exit(e->containers, l, exits, now_nano() / 1000000 + 30000))
		return berth_error_set(err, ETIMEDOUT, "container %s did not exit after SIGKILL", c->id);
	return 0;
}

int berth_engine_container_stop(struct berth_engine *e, const char *what, int timeout, const char *signal,
				struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int sig;
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	if (r == 0 && !record_running(&c))
		r = -EALREADY;
	if (r == 0)
		r = parse_signal(signal ? signal : json_string_value(json_object_get(c.config, "StopSignal")), SIGTERM,
				 &sig, err);
	if (r == 0) {
		json_t *t = json_object_get(c.config, "StopTimeout");
		if (timeout < 0)
			timeout = json_is_integer(t) ? (int) json_integer_value(t) : DEFAULT_STOP_TIMEOUT;
		r = stop_locked(e, &c, timeout, sig, err);
	}
	if (r == 0)
		container_event(e, "stop", &c, NULL);
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_container_kill(struct berth_engine *e, const char *what, const char *signal, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int sig;
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	if (r == 0 && !record_running(&c))
		r = berth_error_set(err, EBUSY, "cannot kill container: %s: container %s is not running", what, c.id);
	if (r == 0)
		r = parse_signal(signal, SIGKILL, &sig, err);
	if (r == 0) {
		struct live_container *l = live_get(cs, c.id);
		if (l && (sig == SIGKILL || sig == SIGTERM))
			l->stopped_by_user = true; /* as docker: no restart after a kill */
		r = send_signal(e, c.id, sig, false, err);
	}
	if (r == 0) {
		char name[32];
		snprintf(name, sizeof(name), "%d", sig);
		container_event(e, "kill", &c, json_pack("{s:s}", "signal", name));
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_container_wait_prepare(struct berth_engine *e, const char *what, const char *condition,
					struct berth_container_waiter *w, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	if (!condition || !*condition)
		condition = "not-running";
	if (strcmp(condition, "not-running") != 0 && strcmp(condition, "next-exit") != 0 &&
	    strcmp(condition, "removed") != 0)
		return berth_error_set(err, EINVAL, "invalid condition: \"%s\"", condition);
	*w = (struct berth_container_waiter){ 0 };
	snprintf(w->condition, sizeof(w->condition), "%s", condition);
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	struct live_container *l = r == 0 ? live_get(cs, c.id) : NULL;
	if (r == 0 && !l)
		r = berth_error_sys(err, ENOMEM, "wait for %s", what);
	if (r == 0) {
		snprintf(w->id, sizeof(w->id), "%s", c.id);
		w->exits = l->exits;
		w->code = json_integer_value(json_object_get(c.state, "ExitCode"));
		w->done = strcmp(condition, "not-running") == 0 && !record_running(&c);
		l->waiters++; /* the entry stays until finish */
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_container_wait_finish(struct berth_engine *e, struct berth_container_waiter *w, int64_t *ret_code)
{
	struct engine_containers *cs = e->containers;
	pthread_mutex_lock(&cs->lock);
	struct live_container *l = live_find(cs, w->id);
	if (l) {
		bool removed = strcmp(w->condition, "removed") == 0;
		while (!w->done && !l->removed && !e->shutting_down && (removed || l->exits <= w->exits))
			pthread_cond_wait(&cs->changed, &cs->lock);
		if (l->exits > w->exits || l->removed)
			w->code = l->exit_code;
		l->waiters--;
		live_release(cs, l);
	}
	*ret_code = w->code;
	pthread_mutex_unlock(&cs->lock);
	return 0;
}

/* ---- remove ---- */

int container_remove_locked(struct berth_engine *e, struct berth_container_record *c, bool force, bool volumes,
			    struct berth_error *err)
{
	char dir[4096], state[4096];
	int r;
	if (record_running(c)) {
		if (!force)
			return berth_error_set(err, EBUSY,
					       "cannot remove container \"/%s\": container is running: stop the container "
					       "before removing or force remove",
					       c->name);
		if ((r = stop_locked(e, c, 0, SIGKILL, err)) < 0)
			return r;
	}
	container_dir(e, c->id, dir);
	container_state_dir(e, c->id, state);
	if ((r = berth_container_rootfs_unmount(dir, err)) < 0)
		return r;
	struct berth_error ignored = { 0 };
	/* After the exit the shim still runs the runtime's delete, which
	 * writes STATE/runtime.log: removing the directory under it could
	 * fail (a file made between the walk and the rmdir) and leak it. */
	if (berth_shim_wait_gone(state, SHIM_GONE_TIMEOUT_MS) < 0)
		berth_warn("container %s: its shim has not exited after %d ms", c->id, SHIM_GONE_TIMEOUT_MS);
	berth_remove_tree_at(AT_FDCWD, state, &ignored);
	if ((r = berth_containers_delete(e->db, c->id, err)) < 0)
		return r;
	/* the record is gone first: a crash now leaves a directory that the
	 * next start removes, never a record without its files */
	if (berth_remove_tree_at(AT_FDCWD, dir, &ignored) < 0)
		berth_warn("remove %s: %s", dir, ignored.msg);
	exec_forget_container(e->containers, c->id);
	if (berth_engine_volume_release(e, c->id, &ignored) < 0)
		berth_warn("container %s: release its volumes: %s", c->id, ignored.msg);
	else if (volumes)
		container_volumes_remove_anonymous(e, c);
	struct live_container *l = live_get(e->containers, c->id);
	if (l) {
		l->removed = true;
		live_release(e->containers, l);
	}
	pthread_cond_broadcast(&e->containers->changed);
	container_event(e, "destroy", c, NULL);
	return 0;
}

int berth_engine_container_remove(struct berth_engine *e, const char *what, bool force, bool volumes,
				  struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	pthread_mutex_lock(&cs->lock);
	int r = container_resolve(e, what, &c, err);
	if (r == 0)
		r = container_remove_locked(e, &c, force, volumes, err);
	pthread_mutex_unlock(&cs->lock);
	return r;
}
