/* docker exec: a process definition made from the container's own (its
 * capabilities, limits and environment) with the request's changes, run by
 * the container's shim, whose exec socket carries the stdio.  Exec records
 * live in memory, as dockerd keeps them, and go with their container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_spec.h"
#include "engine_containers_internal.h"
#include "fdpass.h"
#include "file.h"
#include "json.h"
#include "shim_client.h"

#define CONFIG_MAX (4u << 20)
#define EXECS_MAX 4096

struct exec_record {
	char id[65], container[65];
	json_t *request;
	bool tty, in, out, errs, started;
	int failed_code; /* the process never ran: 126 or 127, as a shell says */
	struct exec_record *next;
};

static struct exec_record *exec_find(struct engine_containers *cs, const char *id)
{
	for (struct exec_record *x = cs->execs; x; x = x->next)
		if (strcmp(x->id, id) == 0)
			return x;
	return NULL;
}

void exec_forget_container(struct engine_containers *cs, const char *container)
{
	for (struct exec_record **p = &cs->execs; *p;) {
		struct exec_record *x = *p;
		if (strcmp(x->container, container) == 0) {
			*p = x->next;
			json_decref(x->request);
			free(x);
			cs->n_execs--;
		} else {
			p = &x->next;
		}
	}
}

void exec_forget_all(struct engine_containers *cs)
{
	while (cs->execs) {
		struct exec_record *x = cs->execs;
		cs->execs = x->next;
		json_decref(x->request);
		free(x);
	}
	cs->n_execs = 0;
}

void exec_event(struct berth_engine *e, const struct berth_container_record *c, const char *verb, json_t *argv,
		const char *exec_id, json_t *extra)
{
	char action[512];
	size_t n = (size_t) snprintf(action, sizeof(action), "%s:", verb), i;
	json_t *v;
	json_array_foreach(argv, i, v) if (n < sizeof(action)) n +=
		(size_t) snprintf(action + n, sizeof(action) - n, " %s", json_string_value(v));
	if (!extra)
		extra = json_object();
	json_object_set_new(extra, "execID", json_string(exec_id));
	container_event(e, argv ? action : verb, c, extra);
}

int berth_engine_exec_create(struct berth_engine *e, const char *what, json_t *body, char ret_id[65],
			     struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char id[BERTH_CONTAINER_ID_LEN + 1];
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	json_t *cmd = json_object_get(body, "Cmd");
	if (!json_is_object(body))
		return berth_error_set(err, EINVAL, "exec config: want a JSON object");
	if (json_array_size(cmd) == 0)
		return berth_error_set(err, EINVAL, "No exec command specified");
	pthread_mutex_lock(&cs->lock);
	int r = berth_containers_resolve(e->db, what, id, err);
	if (r == 0)
		r = berth_containers_get(e->db, id, &c, err);
	if (r == 0 && !record_running(&c))
		r = berth_error_set(err, EBUSY, "container %s is not running", c.id);
	if (r == 0 && json_is_true(json_object_get(c.state, "Paused")))
		r = berth_error_set(err, EBUSY, "container %s is paused, unpause the container before exec", c.id);
	if (r == 0 && cs->n_execs >= EXECS_MAX)
		r = berth_error_set(err, EAGAIN, "too many exec sessions (%d)", EXECS_MAX);
	struct exec_record *x = r == 0 ? calloc(1, sizeof(*x)) : NULL;
	if (r == 0 && !x)
		r = berth_error_sys(err, ENOMEM, "exec in %s", what);
	if (r == 0 && (r = berth_container_new_id(x->id, err)) == 0) {
		snprintf(x->container, sizeof(x->container), "%s", c.id);
		x->request = json_deep_copy(body);
		x->tty = json_is_true(json_object_get(body, "Tty"));
		x->in = json_is_true(json_object_get(body, "AttachStdin"));
		x->out = json_is_true(json_object_get(body, "AttachStdout"));
		x->errs = json_is_true(json_object_get(body, "AttachStderr"));
		x->next = cs->execs;
		cs->execs = x;
		cs->n_execs++;
		snprintf(ret_id, 65, "%s", x->id);
		exec_event(e, &c, "exec_create", cmd, x->id, NULL);
	} else {
		free(x);
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int exec_process(struct berth_engine *e, const char *container, json_t *req, bool tty, json_t **ret,
		 struct berth_error *err)
{
	char dir[4096], rootfs[4200];
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *config = NULL;
	size_t len;
	container_dir(e, container, dir);
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open %s", dir);
	int r = berth_read_file_at(dirfd, "config.json", CONFIG_MAX, &text, &len, err);
	if (r == 0)
		r = bjson_parse(text, len, "config.json", &config, err);
	if (r < 0)
		return r;
	json_t *p = json_deep_copy(json_object_get(config, "process"));
	json_t *v;
	size_t i;
	json_object_set(p, "args", json_object_get(req, "Cmd"));
	json_object_set_new(p, "terminal", json_boolean(tty));
	json_t *env = json_object_get(p, "env");
	json_array_foreach(json_object_get(req, "Env"), i, v) json_array_append(env, v);
	const char *cwd = json_string_value(json_object_get(req, "WorkingDir"));
	if (cwd && *cwd)
		json_object_set_new(p, "cwd", json_string(cwd));
	const char *user = json_string_value(json_object_get(req, "User"));
	if (user && *user) {
		snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
		_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_exec_user_ struct berth_exec_user u = { 0 };
		if (rootfd < 0 || (r = berth_userdb_resolve_in_root(rootfd, rootfs, user, NULL, &u, err)) < 0) {
			json_decref(p);
			return rootfd < 0 ? berth_error_sys(err, errno, "open %s", rootfs) : r;
		}
		json_t *sgids = json_array();
		for (size_t k = 0; k < u.n_sgids; k++)
			json_array_append_new(sgids, json_integer(u.sgids[k]));
		json_object_set_new(p, "user", json_pack("{s:I, s:I, s:o}", "uid", (json_int_t) u.uid, "gid",
							 (json_int_t) u.gid, "additionalGids", sgids));
	}
	if (json_is_true(json_object_get(req, "Privileged"))) {
		json_t *caps = NULL;
		if (berth_container_caps(NULL, NULL, true, &caps, err) == 0) {
			json_t *c = json_object_get(p, "capabilities");
			json_object_set(c, "bounding", caps);
			json_object_set(c, "effective", caps);
			json_object_set(c, "permitted", caps);
			json_decref(caps);
		}
	}
	*ret = p;
	return 0;
}

int exec_launch(struct berth_engine *e, const char *container, const char *exec_id, json_t *process, bool tty,
		bool in, struct berth_error *err)
{
	char state[4096], name[100], path[4200], request[4400], reply[256];
	container_state_dir(e, container, state);
	snprintf(name, sizeof(name), "exec-%s.json", exec_id);
	snprintf(path, sizeof(path), "%s/%s", state, name);
	_cleanup_free_ char *text = json_dumps(process, JSON_COMPACT);
	_cleanup_close_ int dirfd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = !text	   ? berth_error_sys(err, ENOMEM, "exec %s", exec_id)
		: dirfd < 0 ? berth_error_sys(err, errno, "open %s", state)
			    : berth_write_file_atomic(dirfd, name, text, strlen(text), 0600, 0, err);
	if (r < 0)
		return r;
	snprintf(request, sizeof(request), "exec %s %s%s%s", exec_id, path, tty ? " tty" : "", in ? " stdin" : "");
	return berth_shim_request(state, request, 30000, reply, sizeof(reply), err);
}

/* The exec, when it exists and has not been started (under lock). */
static int exec_startable(struct engine_containers *cs, const char *exec_id, struct exec_record **ret,
			  struct berth_error *err)
{
	struct exec_record *x = exec_find(cs, exec_id);
	if (!x)
		return berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	if (x->started)
		return berth_error_set(err, EBUSY, "Error: Exec command %s is already running", exec_id);
	*ret = x;
	return 0;
}

int berth_engine_exec_start(struct berth_engine *e, const char *exec_id, bool detach, int *ret_fd, bool *ret_tty,
			    bool *ret_stdin, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char state[4096], path[4200], header[64];
	_cleanup_json_ json_t *process = NULL;
	pthread_mutex_lock(&cs->lock);
	struct exec_record *x = NULL;
	int r = exec_startable(cs, exec_id, &x, err);
	if (r == 0)
		r = exec_process(e, x->container, x->request, x->tty, &process, err);
	if (r == 0 && (r = exec_launch(e, x->container, x->id, process, x->tty, x->in && !detach, err)) < 0) {
		/* as dockerd: the exec is over, with a shell's status for a command
		 * that is not there (127) or cannot run (126) */
		x->started = true;
		x->failed_code = strstr(err->msg, "no such file") || strstr(err->msg, "not found") ? 127 : 126;
		berth_error_wrap(err, "OCI runtime exec failed");
	}
	if (r == 0) {
		_cleanup_container_record_ struct berth_container_record c = { 0 };
		struct berth_error ignored = { 0 };
		if (berth_containers_get(e->db, x->container, &c, &ignored) == 0)
			exec_event(e, &c, "exec_start", json_object_get(x->request, "Cmd"), x->id, NULL);
		container_state_dir(e, x->container, state);
		x->started = true;
		*ret_tty = x->tty;
		*ret_stdin = x->in;
		*ret_fd = -1;
		snprintf(path, sizeof(path), "%s/exec-%s.sock", state, x->id);
		snprintf(header, sizeof(header), "attach%s%s%s\n", x->in ? " stdin" : "", x->out ? " stdout" : "",
			 x->errs ? " stderr" : "");
		if (!detach) {
			int fd = berth_unix_connect(path, err);
			if (fd >= 0 && berth_write_all(fd, header, strlen(header)) < 0) {
				close(fd);
				fd = berth_error_sys(err, EPIPE, "attach to exec %s", exec_id);
			}
			r = fd < 0 ? fd : 0;
			*ret_fd = fd;
		}
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_exec_check(struct berth_engine *e, const char *exec_id, bool *ret_tty, bool *ret_stdin,
			    struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	pthread_mutex_lock(&cs->lock);
	struct exec_record *x = NULL;
	int r = exec_startable(cs, exec_id, &x, err);
	if (r == 0)
		r = container_resolve(e, x->container, &c, err);
	if (r == 0 && !record_running(&c))
		r = berth_error_set(err, EBUSY, "container %s is not running", c.id);
	if (r == 0) {
		*ret_tty = x->tty;
		*ret_stdin = x->in;
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_exec_wait(struct berth_engine *e, const char *exec_id, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char state[4096], request[100], reply[256], container[BERTH_CONTAINER_ID_LEN + 1];
	pthread_mutex_lock(&cs->lock);
	struct exec_record *x = exec_find(cs, exec_id);
	if (x) {
		container_state_dir(e, x->container, state);
		snprintf(container, sizeof(container), "%s", x->container);
	}
	pthread_mutex_unlock(&cs->lock);
	if (!x)
		return berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	snprintf(request, sizeof(request), "wait-exec %s", exec_id);
	int r = berth_shim_request(state, request, 30000, reply, sizeof(reply), err);
	int code;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	struct berth_error ignored = { 0 };
	if (r == 0 && sscanf(reply, "exited %d", &code) == 1 && berth_containers_get(e->db, container, &c, &ignored) == 0) {
		char text[16];
		snprintf(text, sizeof(text), "%d", code);
		exec_event(e, &c, "exec_die", NULL, exec_id, json_pack("{s:s}", "exitCode", text));
	}
	return r;
}

int berth_engine_exec_inspect(struct berth_engine *e, const char *exec_id, json_t **ret, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char state[4096], name[100], pidfile[4200];
	int code = 0;
	int64_t when = 0;
	pthread_mutex_lock(&cs->lock);
	struct exec_record *x = exec_find(cs, exec_id);
	int r = x ? 0 : berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
	if (r == 0) {
		container_state_dir(e, x->container, state);
		snprintf(name, sizeof(name), "exec-%s.exit", x->id);
		struct berth_error ignored = { 0 };
		bool exited = berth_shim_read_exit(state, name, &code, &when, &ignored) == 1;
		if (x->failed_code) {
			exited = true;
			code = x->failed_code;
		}
		long pid = 0;
		snprintf(pidfile, sizeof(pidfile), "%s/exec-%s.pid", state, x->id);
		FILE *f = fopen(pidfile, "re");
		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		json_t *cmd = json_object_get(x->request, "Cmd");
		json_t *args = json_array();
		for (size_t i = 1; i < json_array_size(cmd); i++)
			json_array_append(args, json_array_get(cmd, i));
		const char *user = json_string_value(json_object_get(x->request, "User"));
		*ret = json_pack("{s:s, s:b, s:o, s:{s:s, s:o, s:b, s:s, s:b}, s:b, s:b, s:b, s:s, s:s, s:I}", "ID",
				 x->id, "Running", x->started && !exited, "ExitCode",
				 exited ? json_integer(code) : json_null(), "ProcessConfig", "entrypoint",
				 json_string_value(json_array_get(cmd, 0)), "arguments", args, "tty", x->tty, "user",
				 user ? user : "", "privileged", json_is_true(json_object_get(x->request, "Privileged")),
				 "OpenStdin", x->in, "OpenStderr", x->errs, "OpenStdout", x->out, "ContainerID",
				 x->container, "DetachKeys", "", "Pid", (json_int_t) pid);
		if (!*ret)
			r = berth_error_sys(err, ENOMEM, "inspect exec %s", exec_id);
	}
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int berth_engine_resize(struct berth_engine *e, const char *what, const char *exec_id, int rows, int cols,
			struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	char id[BERTH_CONTAINER_ID_LEN + 1], state[4096], request[256], reply[256];
	if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535)
		return berth_error_set(err, EINVAL, "invalid terminal size %dx%d", rows, cols);
	pthread_mutex_lock(&cs->lock);
	int r = 0;
	if (exec_id) {
		struct exec_record *x = exec_find(cs, exec_id);
		if (!x)
			r = berth_error_set(err, ENOENT, "No such exec instance: %s", exec_id);
		else
			snprintf(id, sizeof(id), "%s", x->container);
	} else {
		r = berth_containers_resolve(e->db, what, id, err);
	}
	pthread_mutex_unlock(&cs->lock);
	if (r < 0)
		return r;
	container_state_dir(e, id, state);
	if (exec_id)
		snprintf(request, sizeof(request), "resize-exec %s %d %d", exec_id, rows, cols);
	else
		snprintf(request, sizeof(request), "resize %d %d", rows, cols);
	return berth_shim_request(state, request, 10000, reply, sizeof(reply), err);
}
