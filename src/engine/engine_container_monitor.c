/* The exits of running containers: a monitor thread per container reads
 * its shim's wait connection; an exit is recorded (State, waiters, the
 * rootfs unmounted, events), then --rm removes the container or its restart
 * policy starts it again, with docker's backoff. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "engine_containers_internal.h"
#include "json.h"
#include "log.h"
#include "shim_client.h"

/* ---- exits ---- */

/* Record an exit (under cs->lock): State, the live entry, waiters, the
 * rootfs unmounted, the die event. */
void record_exit(struct berth_engine *e, const char *id, int code, int64_t when, const char *error)
{
	struct engine_containers *cs = e->containers;
	struct berth_error err = { 0 };
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	char dir[4096], finished[64];
	if (berth_containers_get(e->db, id, &c, &err) < 0)
		return;
	format_time(when ? when : now_nano(), finished);
	json_t *st = c.state;
	json_object_set_new(st, "Status", json_string("exited"));
	json_object_set_new(st, "Running", json_false());
	json_object_set_new(st, "Paused", json_false());
	json_object_set_new(st, "Pid", json_integer(0));
	json_object_set_new(st, "ExitCode", json_integer(code));
	json_object_set_new(st, "FinishedAt", json_string(finished));
	if (error)
		json_object_set_new(st, "Error", json_string(error));
	if (berth_containers_set_state(e->db, id, st, &err) < 0)
		berth_warn("record the exit of %s: %s", id, err.msg);
	health_unwatch(e, id);
	container_dir(e, id, dir);
	if (berth_container_rootfs_unmount(dir, &err) < 0)
		berth_warn("container %s: %s", id, err.msg);
	struct live_container *l = live_find(cs, id);
	if (l) {
		l->running = false;
		l->exit_code = code;
		l->exits++;
	}
	pthread_cond_broadcast(&cs->changed);
	char code_text[16];
	snprintf(code_text, sizeof(code_text), "%d", code);
	container_event(e, "die", &c, json_pack("{s:s}", "exitCode", code_text));
	container_volumes_events(e, &c, "unmount");
}

/* --rm: the container goes when it exits (under cs->lock). */
static void auto_remove(struct berth_engine *e, const char *id)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_error err = { 0 };
	if (berth_containers_get(e->db, id, &c, &err) < 0 ||
	    !json_is_true(json_object_get(c.host_config, "AutoRemove")))
		return;
	if (container_remove_locked(e, &c, false, true, &err) < 0)
		berth_warn("remove container %s (AutoRemove): %s", id, err.msg);
}

bool restart_policy_applies(json_t *host_config, int code, int restarts)
{
	json_t *policy = json_object_get(host_config, "RestartPolicy");
	const char *name = json_string_value(json_object_get(policy, "Name"));
	json_int_t max = json_integer_value(json_object_get(policy, "MaximumRetryCount"));
	if (!name || json_is_true(json_object_get(host_config, "AutoRemove")))
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	return strcmp(name, "on-failure") == 0 && code != 0 && (max <= 0 || restarts < max);
}

/* The restart policy after an exit (under cs->lock, which the backoff's
 * sleep lets go): docker's delay, 100 ms doubling up to a minute, back to
 * 100 ms after a run of 10 s. */
static void maybe_restart(struct berth_engine *e, const char *id)
{
	struct engine_containers *cs = e->containers;
	struct berth_error err = { 0 };
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct live_container *l = live_find(cs, id);
	if (!l || l->stopped_by_user || l->removed || berth_containers_get(e->db, id, &c, &err) < 0)
		return;
	int restarts = (int) json_integer_value(json_object_get(c.state, "RestartCount"));
	if (!restart_policy_applies(c.host_config, (int) l->exit_code, restarts))
		return;
	int64_t ran = now_nano() / 1000000 - l->started_ms;
	l->backoff_ms = ran >= 10000 || l->backoff_ms == 0 ? 100 : l->backoff_ms * 2 > 60000 ? 60000 : l->backoff_ms * 2;
	json_object_set_new(c.state, "Status", json_string("restarting"));
	json_object_set_new(c.state, "Restarting", json_true());
	berth_containers_set_state(e->db, id, c.state, &err);
	uint64_t exits = l->exits;
	l->waiters++; /* the entry stays while the lock is let go */
	int64_t deadline = now_nano() / 1000000 + l->backoff_ms;
	struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };
	while (!l->stopped_by_user && !l->removed && !e->shutting_down &&
	       pthread_cond_timedwait(&cs->changed, &cs->lock, &ts) != ETIMEDOUT)
		;
	l->waiters--;
	bool go = !l->stopped_by_user && !l->removed && !e->shutting_down && l->exits == exits;
	live_release(cs, l);
	berth_container_record_clear(&c);
	if (!go || berth_containers_get(e->db, id, &c, &err) < 0)
		return;
	json_object_set_new(c.state, "Restarting", json_false());
	json_object_set_new(c.state, "RestartCount", json_integer(restarts + 1));
	if (container_start_locked(e, &c, &err) < 0) {
		berth_warn("restart container %s: %s", id, err.msg);
		json_object_set_new(c.state, "Status", json_string("exited"));
		berth_containers_set_state(e->db, id, c.state, &err);
		return;
	}
	container_event(e, "restart", &c, NULL);
}

struct monitor_args {
	struct berth_engine *e;
	char id[BERTH_CONTAINER_ID_LEN + 1];
	int fd;
};

static void *monitor(void *arg)
{
	struct monitor_args *m = arg;
	struct berth_engine *e = m->e;
	struct engine_containers *cs = e->containers;
	struct berth_error err = { 0 };
	char state[4096];
	int code = 0;
	int64_t when = 0;
	int r = berth_shim_wait_end(m->fd, &code, &err);
	pthread_mutex_lock(&cs->lock);
	struct live_container *l = live_find(cs, m->id);
	if (l) {
		l->monitored = false;
		l->monitor_fd = -1;
	}
	close(m->fd);
	if (!e->shutting_down) {
		container_state_dir(e, m->id, state);
		if (r < 0 && berth_shim_read_exit(state, "exit", &code, &when, &(struct berth_error){ 0 }) != 1) {
			/* The shim died without recording: nobody reads the
			 * container's output or reaps it any more, and nothing
			 * would ever delete it from the runtime.  As containerd
			 * does for a dead shim: kill and delete it, exit 137. */
			container_runtime_delete(e, m->id);
			code = 137;
			record_exit(e, m->id, code, 0, "the container's shim exited unexpectedly");
		} else {
			berth_shim_read_exit(state, "exit", &code, &when, &(struct berth_error){ 0 });
			record_exit(e, m->id, code, when, NULL);
		}
		auto_remove(e, m->id);
		maybe_restart(e, m->id);
		if ((l = live_find(cs, m->id)))
			live_release(cs, l);
	}
	cs->monitors--;
	pthread_cond_broadcast(&cs->changed);
	pthread_mutex_unlock(&cs->lock);
	free(m);
	return NULL;
}

/* Start a monitor on a wait connection (under cs->lock). */
int start_monitor(struct berth_engine *e, const char *id, int fd, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	struct monitor_args *m = calloc(1, sizeof(*m));
	struct live_container *l = live_get(cs, id);
	if (!m || !l) {
		free(m);
		close(fd);
		return berth_error_sys(err, ENOMEM, "watch container %s", id);
	}
	*m = (struct monitor_args){ .e = e, .fd = fd };
	snprintf(m->id, sizeof(m->id), "%s", id);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int r = pthread_create(&t, &attr, monitor, m);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(m);
		close(fd);
		return berth_error_sys(err, r, "watch container %s", id);
	}
	l->monitored = true;
	l->running = true;
	l->monitor_fd = fd;
	cs->monitors++;
	return 0;
}

