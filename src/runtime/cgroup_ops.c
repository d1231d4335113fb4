/* update, pause, resume, ps and events: the operations that act on a
 * container through its cgroup. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "json.h"
#include "resources.h"
#include "state.h"

struct opened {
	int rootfd, dirfd;
	struct berth_state *state;
	enum berth_status status;
	struct berth_cgroup cg;
};

static void opened_release(struct opened *o)
{
	berth_closep(&o->dirfd);
	berth_closep(&o->rootfd);
	berth_state_free(o->state);
	berth_cgroup_release(&o->cg);
}

static int open_with_cgroup(const char *root, const char *id, bool lock, struct opened *o, struct berth_error *err)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->rootfd = o->dirfd = -1;
	o->rootfd = berth_state_root_open(root, false, err);
	if (o->rootfd < 0)
		return err->code == ENOENT ? berth_error_set(err, ENOENT, "container %s does not exist", id) : o->rootfd;
	o->dirfd = berth_state_dir_open(o->rootfd, id, err);
	if (o->dirfd < 0 || (lock && berth_state_lock(o->dirfd, id, err) < 0) ||
	    (r = berth_state_read(o->dirfd, id, &o->state, err)) < 0) {
		r = -berth_error_code(err);
		opened_release(o);
		return r;
	}
	o->status = berth_state_status(o->dirfd, o->state);
	if ((r = berth_cgroup_from_json(o->state->cgroup, &o->cg, err)) < 0) {
		opened_release(o);
		return r;
	}
	if (o->cg.n == 0) {
		opened_release(o);
		return berth_error_set(err, ENOTSUP, "container %s has no cgroup (a rootless container without delegation)",
				       id);
	}
	return 0;
}

/* Overlay `patch` onto `base`, object by object. */
static void merge(json_t *base, json_t *patch)
{
	const char *key;
	json_t *v;

	json_object_foreach (patch, key, v) {
		json_t *old = json_object_get(base, key);
		if (json_is_object(v) && json_is_object(old))
			merge(old, v);
		else
			json_object_set(base, key, v);
	}
}

static int record_resources(struct opened *o, json_t *patch, struct berth_error *err)
{
	json_t *lx = json_object_get(o->state->config, "linux");
	json_t *res;

	if (!json_is_object(lx))
		json_object_set_new(o->state->config, "linux", lx = json_object());
	res = json_object_get(lx, "resources");
	if (!json_is_object(res))
		json_object_set_new(lx, "resources", res = json_object());
	merge(res, patch);
	return berth_state_write(o->dirfd, o->state, err);
}

int berth_container_update(const char *root, const char *id, json_t *resources, struct berth_error *err)
{
	struct berth_resources res;
	struct opened o;
	int r;

	if ((r = berth_resources_parse(resources, "resources", &res, err)) < 0)
		return r;
	if ((r = open_with_cgroup(root, id, true, &o, err)) < 0)
		goto out_res;
	if (o.status == BERTH_STATUS_STOPPED) {
		r = berth_error_set(err, EINVAL, "cannot update container %s: it is stopped", id);
		goto out;
	}
	if (o.cg.version == BERTH_CGROUP_V2 &&
	    (r = berth_cgroup_v2_enable_controllers(getenv("BERTH_CGROUP_V2_ROOT") ? getenv("BERTH_CGROUP_V2_ROOT")
										 : "/sys/fs/cgroup",
						   o.cg.dirs[0].path, &res, err)) < 0)
		goto out;
	/* An update without device rules keeps the ones in force. */
	if (res.n_devices == 0 && o.cg.version == BERTH_CGROUP_V2)
		r = berth_cgroup_v2_apply(o.cg.dirs[0].path, &res, true, err);
	else
		r = berth_cgroup_apply(&o.cg, &res, true, err);
	if (r == 0)
		r = record_resources(&o, resources, err);
out:
	opened_release(&o);
out_res:
	berth_resources_release(&res);
	return r;
}

static int set_frozen(const char *root, const char *id, bool frozen, struct berth_error *err)
{
	struct opened o;
	int r;

	if ((r = open_with_cgroup(root, id, true, &o, err)) < 0)
		return r;
	/* runc pauses a created container too: its init is frozen in place. */
	if (frozen && o.status != BERTH_STATUS_RUNNING && o.status != BERTH_STATUS_CREATED)
		r = berth_error_set(err, EINVAL, "cannot pause container %s: it is %s", id, berth_status_name(o.status));
	else if (!frozen && o.status != BERTH_STATUS_PAUSED)
		r = berth_error_set(err, EINVAL, "cannot resume container %s: it is %s, not paused", id,
				    berth_status_name(o.status));
	else
		r = berth_cgroup_freeze(&o.cg, frozen, err);
	opened_release(&o);
	return r;
}

int berth_container_pause(const char *root, const char *id, struct berth_error *err)
{
	return set_frozen(root, id, true, err);
}

int berth_container_resume(const char *root, const char *id, struct berth_error *err)
{
	return set_frozen(root, id, false, err);
}

int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	struct opened o;
	int r;

	if ((r = open_with_cgroup(root, id, false, &o, err)) < 0)
		return r;
	r = berth_cgroup_pids(&o.cg, ret, ret_n, err);
	opened_release(&o);
	return r;
}

int berth_container_stats(const char *root, const char *id, json_t **ret, struct berth_error *err)
{
	json_t *data = NULL;
	struct opened o;
	int r;

	if ((r = open_with_cgroup(root, id, false, &o, err)) < 0)
		return r;
	r = berth_cgroup_stats(&o.cg, &data, err);
	opened_release(&o);
	if (r < 0)
		return r;
	*ret = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "stats");
}

int berth_container_oom_kills(const char *root, const char *id, uint64_t *ret, struct berth_error *err)
{
	struct opened o;
	int r;

	if ((r = open_with_cgroup(root, id, false, &o, err)) < 0)
		return r;
	r = berth_cgroup_oom_kills(&o.cg, ret);
	opened_release(&o);
	return r;
}

bool berth_container_alive(const char *root, const char *id)
{
	struct berth_error ignored;
	json_t *state = NULL;
	bool alive;

	if (berth_container_state(root, id, &state, &ignored) < 0)
		return false;
	alive = strcmp(json_string_value(json_object_get(state, "status")), "stopped") != 0;
	json_decref(state);
	return alive;
}
