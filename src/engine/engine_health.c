/* Healthchecks: running each container's probe as an exec in it, as
 * dockerd does, and keeping State.Health in the container store (so that
 * it survives a daemon restart; probes resume for re-adopted containers).
 *
 * The scheduler: one thread for every container with a healthcheck, made
 * when the first one starts and gone when the last one stops, so a daemon
 * whose containers have none pays nothing (no thread, no timer, no
 * allocation).  It sleeps on a condition variable until the earliest probe
 * is due.  A due probe runs in a short-lived thread of its own: a probe is
 * an exec through the shim (a runtime command, then up to Timeout of
 * output), and one slow or hung probe must not delay the others' — dockerd
 * runs a goroutine per probe for the same reason.  Between probes a
 * container costs one list entry; there is never more than one probe of a
 * container at a time.
 *
 * Lock order: cs->lock, then h->lock.  The scheduler takes h->lock only; a
 * probe thread records its result under cs->lock (the record's State is
 * read and written under it, as by every other state change).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "duration.h"
#include "engine_containers_internal.h"
#include "fdpass.h"
#include "file.h"
#include "health_config.h"
#include "json.h"
#include "log.h"
#include "shim_client.h"

#define PROBE_START_TIMEOUT_MS 30000 /* dockerd's, for a wedged exec start */
#define PROBE_KILL_WAIT_MS 10000

struct health_entry {
	struct berth_engine *e;
	char id[BERTH_CONTAINER_ID_LEN + 1];
	struct berth_health_params p;
	json_t *argv;
	int64_t started_nano; /* the container's StartedAt */
	int64_t due_ms;	      /* CLOCK_MONOTONIC */
	bool starting;	      /* the status, for the next delay */
	bool probing, stopped;
	struct health_entry *next;
};

struct engine_health {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* on CLOCK_MONOTONIC */
	struct health_entry *list;
	bool scheduler, closing;
	int probes;  /* probe threads running */
	int wake[2]; /* readable once closing: ends the probes' waits */
};

struct probe_result {
	int64_t start, end;
	int exit_code;
	char *output;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void entry_free(struct health_entry *h)
{
	json_decref(h->argv);
	free(h);
}

static void entry_unlink(struct engine_health *h, struct health_entry *x)
{
	for (struct health_entry **p = &h->list; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
}

static bool spawn_detached(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	int r = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return r == 0;
}

/* ---- one probe ---- */

/* Read the probe's output until its end or the deadline: 1 at the end, 0
 * at the deadline, < 0 when the daemon closes. */
static int probe_read(struct engine_health *h, int fd, int64_t deadline_ms, struct berth_health_output *out)
{
	char buf[4096];
	for (;;) {
		int64_t left = deadline_ms - mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = h->wake[0], .events = POLLIN } };
		int r = poll(p, 2, left > 60000 ? 60000 : (int) left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || p[1].revents)
			return -ECANCELED;
		if (r == 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		berth_health_output_feed(out, buf, (size_t) n);
	}
}

/* The exit code the shim recorded for the probe (-1 when it has none). */
static int probe_exit(const char *state, const char *exec_id, int timeout_ms)
{
	char request[128], reply[64];
	struct berth_error ignored = { 0 };
	int code = -1;
	snprintf(request, sizeof(request), "wait-exec %s", exec_id);
	if (berth_shim_request(state, request, timeout_ms < 100 ? 100 : timeout_ms, reply, sizeof(reply), &ignored) == 0)
		sscanf(reply, "exited %d", &code);
	return code;
}

/* Run the probe as an exec, its stdout and stderr kept, killed past its
 * timeout.  0, or an error (the exec did not start): dockerd records -1
 * with the error's text for that. */
static int probe_exec(struct berth_engine *e, struct engine_health *h, const struct health_entry *x,
		      const struct berth_container_record *c, struct probe_result *res, struct berth_error *err)
{
	char exec_id[BERTH_CONTAINER_ID_LEN + 1], state[4096], path[4200], name[128], timeout_text[40];
	_cleanup_json_ json_t *request = json_pack("{s:O}", "Cmd", x->argv), *process = NULL;
	struct berth_health_output out = { 0 };
	int r = berth_container_new_id(exec_id, err);
	if (r < 0)
		return r;
	container_state_dir(e, x->id, state);
	exec_event(e, c, "exec_create", x->argv, exec_id, NULL);
	r = exec_process(e, x->id, request, false, &process, err);
	if (r == 0) {
		exec_event(e, c, "exec_start", x->argv, exec_id, NULL);
		r = exec_launch(e, x->id, exec_id, process, false, false, err);
	}
	_cleanup_close_ int fd = -1;
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/exec-%s.sock", state, exec_id);
		fd = berth_unix_connect(path, err);
		r = fd < 0 ? fd : berth_write_all(fd, "attach stdout stderr\n", 21);
		if (r < 0 && fd >= 0)
			r = berth_error_sys(err, -r, "attach to health probe %s", exec_id);
	}
	if (r == 0) {
		int64_t deadline = mono_ms() + x->p.timeout / 1000000;
		int ended = probe_read(h, fd, deadline, &out);
		if (ended == 1) {
			res->exit_code = probe_exit(state, exec_id, (int) (deadline - mono_ms()));
		} else {
			/* dockerd kills the probe's process, waits for it, and says why */
			char kill_request[128], reply[64];
			struct berth_error ignored = { 0 };
			snprintf(kill_request, sizeof(kill_request), "kill-exec %s 9", exec_id);
			berth_shim_request(state, kill_request, 5000, reply, sizeof(reply), &ignored);
			if (ended == 0)
				probe_exit(state, exec_id, PROBE_KILL_WAIT_MS);
			res->exit_code = -1;
		}
		res->end = now_nano();
		_cleanup_free_ char *text = berth_health_output_text(&out);
		berth_duration_format(x->p.timeout, timeout_text, sizeof(timeout_text));
		if (ended == 1)
			res->output = text ? strdup(text) : NULL;
		else if (asprintf(&res->output, "Health check exceeded timeout (%s)%s%s", timeout_text,
				  text && *text ? ": " : "", text ? text : "") < 0)
			res->output = NULL;
		char code[16];
		snprintf(code, sizeof(code), "%d", res->exit_code);
		exec_event(e, c, "exec_die", NULL, exec_id, json_pack("{s:s}", "exitCode", code));
	}
	/* the probe's files: one per probe would pile up in the state dir */
	_cleanup_close_ int dirfd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(name, sizeof(name), "exec-%s.json", exec_id);
	if (dirfd >= 0)
		unlinkat(dirfd, name, 0);
	snprintf(name, sizeof(name), "exec-%s.exit", exec_id);
	if (dirfd >= 0)
		unlinkat(dirfd, name, 0);
	return r;
}

/* The result into State.Health, under cs->lock: false when the container
 * no longer runs (its entry is done). */
static bool probe_record(struct berth_engine *e, struct health_entry *x, const struct probe_result *res)
{
	struct engine_health *h = e->containers->health;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_error err = { 0 };
	char start[64], end[64];
	pthread_mutex_lock(&h->lock);
	bool stopped = x->stopped || h->closing;
	pthread_mutex_unlock(&h->lock);
	if (stopped || berth_containers_get(e->db, x->id, &c, &err) < 0)
		return false;
	if (!record_running(&c))
		return false;
	json_t *health = json_object_get(c.state, "Health");
	if (!json_is_object(health)) {
		health = berth_health_reset(NULL);
		json_object_set_new(c.state, "Health", health);
	}
	format_time(res->start, start);
	format_time(res->end, end);
	bool changed = berth_health_apply(health, &x->p, res->start - x->started_nano, start, end, res->exit_code,
					  res->output ? res->output : "");
	const char *status = json_string_value(json_object_get(health, "Status"));
	x->starting = status && strcmp(status, "starting") == 0;
	if (berth_containers_set_state(e->db, x->id, c.state, &err) < 0)
		berth_warn("container %s: record its health: %s", x->id, err.msg);
	if (changed) {
		char action[64];
		snprintf(action, sizeof(action), "health_status: %s", status);
		container_event(e, action, &c, NULL);
	}
	return true;
}

static void *probe_thread(void *arg)
{
	struct health_entry *x = arg;
	struct berth_engine *e = x->e;
	struct engine_containers *cs = e->containers;
	struct engine_health *h = cs->health;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_error err = { 0 };
	struct probe_result res = { .start = now_nano() };
	bool run = false, keep = true;

	pthread_mutex_lock(&cs->lock);
	if (berth_containers_get(e->db, x->id, &c, &err) == 0 && record_running(&c))
		run = !json_is_true(json_object_get(c.state, "Paused")); /* as dockerd: no probe while paused */
	else
		keep = false;
	pthread_mutex_unlock(&cs->lock);
	if (run && probe_exec(e, h, x, &c, &res, &err) < 0) {
		res.exit_code = -1;
		res.end = now_nano();
		res.output = strdup(err.msg);
	}
	if (run) {
		pthread_mutex_lock(&cs->lock);
		keep = probe_record(e, x, &res);
		pthread_mutex_unlock(&cs->lock);
	}
	free(res.output);

	pthread_mutex_lock(&h->lock);
	x->probing = false;
	if (!keep)
		x->stopped = true;
	if (x->stopped) {
		entry_unlink(h, x);
		entry_free(x);
	} else {
		x->due_ms = mono_ms() + berth_health_next_delay(&x->p, now_nano() - x->started_nano, x->starting) / 1000000;
	}
	h->probes--;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- the scheduler ---- */

static void *scheduler(void *arg)
{
	struct berth_engine *e = arg;
	struct engine_health *h = e->containers->health;
	pthread_mutex_lock(&h->lock);
	while (!h->closing && h->list) {
		int64_t now = mono_ms(), next = INT64_MAX;
		for (struct health_entry *x = h->list; x; x = x->next) {
			if (x->probing || x->stopped)
				continue;
			if (x->due_ms > now) {
				next = x->due_ms < next ? x->due_ms : next;
				continue;
			}
			x->probing = true;
			h->probes++;
			if (!spawn_detached(probe_thread, x)) {
				/* no thread now: try again in a second */
				x->probing = false;
				h->probes--;
				x->due_ms = now + 1000;
				next = x->due_ms < next ? x->due_ms : next;
			}
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&h->changed, &h->lock);
		} else {
			struct timespec ts = { .tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000 };
			pthread_cond_timedwait(&h->changed, &h->lock, &ts);
		}
	}
	h->scheduler = false;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static struct engine_health *health_get(struct berth_engine *e)
{
	struct engine_containers *cs = e->containers;
	if (cs->health)
		return cs->health;
	struct engine_health *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	if (pipe2(h->wake, O_CLOEXEC) < 0) {
		free(h);
		return NULL;
	}
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->changed, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&h->lock, NULL);
	cs->health = h;
	return h;
}

void health_unwatch(struct berth_engine *e, const char *id)
{
	struct engine_health *h = e->containers->health;
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	for (struct health_entry *x = h->list, *next; x; x = next) {
		next = x->next;
		if (strcmp(x->id, id) != 0 || x->stopped)
			continue;
		x->stopped = true;
		if (!x->probing) { /* else its probe thread frees it */
			entry_unlink(h, x);
			entry_free(x);
		}
	}
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
}

void health_watch(struct berth_engine *e, const struct berth_container_record *c)
{
	struct berth_health_params p;
	if (!berth_health_params(c->config, &p))
		return;
	health_unwatch(e, c->id);
	struct engine_health *h = health_get(e);
	struct health_entry *x = calloc(1, sizeof(*x));
	if (!h || !x || !(x->argv = berth_health_probe_argv(c->config))) {
		free(x);
		berth_warn("container %s: no memory for its healthcheck", c->id);
		return;
	}
	x->e = e;
	snprintf(x->id, sizeof(x->id), "%s", c->id);
	x->p = p;
	x->started_nano = parse_time(json_string_value(json_object_get(c->state, "StartedAt")));
	const char *status = json_string_value(json_object_get(json_object_get(c->state, "Health"), "Status"));
	x->starting = !status || strcmp(status, "starting") == 0;
	int64_t since = now_nano() - x->started_nano;
	x->due_ms = mono_ms() + berth_health_next_delay(&p, since < 0 ? 0 : since, x->starting) / 1000000;
	pthread_mutex_lock(&h->lock);
	x->next = h->list;
	h->list = x;
	if (!h->scheduler && !h->closing) {
		h->scheduler = spawn_detached(scheduler, e);
		if (!h->scheduler)
			berth_warn("container %s: no thread for its healthcheck", c->id);
	}
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
}

void health_container_started(struct berth_engine *e, struct berth_container_record *c)
{
	struct berth_health_params p;
	if (!berth_health_params(c->config, &p))
		return;
	json_object_set_new(c->state, "Health", berth_health_reset(json_object_get(c->state, "Health")));
	health_watch(e, c);
}

void health_close(struct berth_engine *e)
{
	struct engine_health *h = e->containers->health;
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = true;
	(void) !write(h->wake[1], "x", 1);
	pthread_cond_broadcast(&h->changed);
	while (h->scheduler || h->probes > 0)
		pthread_cond_wait(&h->changed, &h->lock);
	while (h->list) {
		struct health_entry *x = h->list;
		h->list = x->next;
		entry_free(x);
	}
	pthread_mutex_unlock(&h->lock);
	close(h->wake[0]);
	close(h->wake[1]);
	pthread_cond_destroy(&h->changed);
	pthread_mutex_destroy(&h->lock);
	free(h);
	e->containers->health = NULL;
}
