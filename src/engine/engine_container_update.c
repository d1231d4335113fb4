/* docker update: a container's resources and restart policy, checked as
 * dockerd checks them, written to its running cgroup by the OCI runtime's
 * `update --resources` and kept in its HostConfig (so inspect shows them and
 * the next start's config.json has them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container_spec.h"
#include "container_stats.h"
#include "engine_containers_internal.h"
#include "file.h"
#include "json.h"
#include "runtime_cmd.h"

#define MIN_MEMORY (6 * 1024 * 1024)

static const char *const int_fields[] = { "Memory",   "MemorySwap", "MemoryReservation", "NanoCpus",	"CpuShares",
					  "CpuQuota", "CpuPeriod",  "PidsLimit",	 "BlkioWeight", NULL };
static const char *const string_fields[] = { "CpusetCpus", "CpusetMems", NULL };

static json_int_t num(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

static int check_types(json_t *body, struct berth_error *err)
{
	for (size_t i = 0; int_fields[i]; i++) {
		json_t *v = json_object_get(body, int_fields[i]);
		if (v && !json_is_null(v) && !json_is_integer(v))
			return berth_error_set(err, EINVAL, "request body: %s: want an integer", int_fields[i]);
	}
	for (size_t i = 0; string_fields[i]; i++) {
		json_t *v = json_object_get(body, string_fields[i]);
		if (v && !json_is_null(v) && !json_is_string(v))
			return berth_error_set(err, EINVAL, "request body: %s: want a string", string_fields[i]);
	}
	json_t *rp = json_object_get(body, "RestartPolicy");
	if (rp && !json_is_null(rp) && !json_is_object(rp))
		return berth_error_set(err, EINVAL, "request body: RestartPolicy: want an object");
	return 0;
}

/* "0-2,4": every CPU below online. */
static int check_cpuset(const char *list, long online, const char *what, struct berth_error *err)
{
	const char *p = list;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 0)
			return berth_error_set(err, EINVAL, "Invalid value %s for cpuset %s", list, what);
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				return berth_error_set(err, EINVAL, "Invalid value %s for cpuset %s", list, what);
		}
		if (*end && *end != ',')
			return berth_error_set(err, EINVAL, "Invalid value %s for cpuset %s", list, what);
		if (online > 0 && b >= online && strcmp(what, "cpus") == 0)
			return berth_error_set(err, EINVAL, "Requested CPUs are not available - requested %s, available: 0-%ld",
					       list, online - 1);
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* dockerd's checks of the request alone (400). */
static int check_request(json_t *b, struct berth_error *err)
{
	json_int_t mem = num(b, "Memory"), swap = num(b, "MemorySwap"), res = num(b, "MemoryReservation");
	json_int_t nano = num(b, "NanoCpus"), quota = num(b, "CpuQuota"), period = num(b, "CpuPeriod");
	json_int_t weight = num(b, "BlkioWeight");
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (mem > 0 && mem < MIN_MEMORY)
		return berth_error_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap > 0 && swap < mem)
		return berth_error_set(err, EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
	if (res > 0 && res < MIN_MEMORY)
		return berth_error_set(err, EINVAL, "Minimum memory reservation allowed is 6MB");
	if (mem > 0 && res > 0 && mem < res)
		return berth_error_set(err, EINVAL,
				       "Minimum memory limit can not be less than memory reservation limit, see usage");
	if (nano > 0 && quota > 0)
		return berth_error_set(err, EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	if (nano < 0 || (nano > 0 && (nano < 10000000 || nano > (json_int_t) online * 1000000000)))
		return berth_error_set(err, EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
				       online, online);
	if (period != 0 && (period < 1000 || period > 1000000))
		return berth_error_set(err, EINVAL,
				       "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
	if (quota > 0 && quota < 1000)
		return berth_error_set(err, EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	if (weight > 0 && (weight < 10 || weight > 1000))
		return berth_error_set(err, EINVAL, "Range of blkio weight is from 10 to 1000");
	const char *cpus = json_string_value(json_object_get(b, "CpusetCpus"));
	const char *mems = json_string_value(json_object_get(b, "CpusetMems"));
	int r = 0;
	if (cpus && *cpus)
		r = check_cpuset(cpus, online, "cpus", err);
	if (r == 0 && mems && *mems)
		r = check_cpuset(mems, 0, "mems", err);
	return r;
}

static int check_restart_policy(json_t *rp, struct berth_error *err)
{
	const char *name = json_string_value(json_object_get(rp, "Name"));
	json_int_t max = num(rp, "MaximumRetryCount");
	if (!name || !*name)
		return 0;
	if (strcmp(name, "no") != 0 && strcmp(name, "always") != 0 && strcmp(name, "unless-stopped") != 0 &&
	    strcmp(name, "on-failure") != 0)
		return berth_error_set(err, EINVAL, "invalid restart policy '%s'", name);
	if (max < 0)
		return berth_error_set(err, EINVAL, "maximum retry count cannot be negative");
	if (max > 0 && strcmp(name, "on-failure") != 0)
		return berth_error_set(err, EINVAL, "maximum retry count cannot be used with restart policy '%s'", name);
	return 0;
}

/* Whether the host's blkio (v1) or io (v2) controller has a weight. */
static bool blkio_weight_supported(void)
{
	struct berth_stats_cgroup cg;
	struct berth_error ignored = { 0 };
	char path[PATH_MAX + 32];
	if (berth_stats_cgroup_resolve("/", &cg, &ignored) < 0)
		return false;
	if (cg.version == 2)
		snprintf(path, sizeof(path), "%s/io.weight", cg.unified);
	else
		snprintf(path, sizeof(path), "%s/blkio.weight", cg.blkio);
	return (cg.version == 2 || cg.blkio[0]) && access(path, F_OK) == 0;
}

/* The request merged into hc as dockerd merges it: zero leaves a field
 * as it is; conflicts with what is set already are 409s. */
static int merge(json_t *hc, json_t *b, const char *id, json_t *warnings, struct berth_error *err)
{
	json_int_t mem = num(b, "Memory"), swap = num(b, "MemorySwap");
	if (num(hc, "NanoCpus") > 0 && num(b, "CpuQuota") > 0)
		return berth_error_set(err, EBUSY, "Cannot update container %s: Conflicting options: CPU Quota cannot be "
						   "updated as NanoCPUs has already been set", id);
	if (num(hc, "NanoCpus") > 0 && num(b, "CpuPeriod") > 0)
		return berth_error_set(err, EBUSY, "Cannot update container %s: Conflicting options: CPU Period cannot be "
						   "updated as NanoCPUs has already been set", id);
	if (num(hc, "CpuQuota") > 0 && num(b, "NanoCpus") > 0)
		return berth_error_set(err, EBUSY, "Cannot update container %s: Conflicting options: NanoCPUs cannot be "
						   "updated as CPU Quota has already been set", id);
	if (mem > 0 && swap == 0 && num(hc, "MemorySwap") > 0 && mem > num(hc, "MemorySwap"))
		return berth_error_set(err, EBUSY, "Cannot update container %s: Memory limit should be smaller than "
						   "already set memoryswap limit, update the memoryswap at the same time", id);
	json_t *rp = json_object_get(b, "RestartPolicy");
	const char *policy = json_string_value(json_object_get(rp, "Name"));
	if (policy && *policy && strcmp(policy, "no") != 0 && json_is_true(json_object_get(hc, "AutoRemove")))
		return berth_error_set(err, EBUSY, "Cannot update container %s: Restart policy cannot be updated because "
						   "AutoRemove is enabled for the container", id);
	for (size_t i = 0; int_fields[i]; i++)
		if (num(b, int_fields[i]) != 0 && strcmp(int_fields[i], "PidsLimit") != 0)
			json_object_set_new(hc, int_fields[i], json_integer(num(b, int_fields[i])));
	for (size_t i = 0; string_fields[i]; i++) {
		const char *v = json_string_value(json_object_get(b, string_fields[i]));
		if (v && *v)
			json_object_set_new(hc, string_fields[i], json_string(v));
	}
	/* PidsLimit: absent leaves it, 0 or less lifts the limit */
	json_t *pids = json_object_get(b, "PidsLimit");
	if (json_is_integer(pids))
		json_object_set_new(hc, "PidsLimit", json_integer(json_integer_value(pids) > 0 ? json_integer_value(pids) : 0));
	if (num(b, "BlkioWeight") > 0 && !blkio_weight_supported()) {
		json_array_append_new(warnings, json_string("Your kernel does not support Block I/O weight or the cgroup "
							    "is not mounted. Weight discarded."));
		json_object_set_new(hc, "BlkioWeight", json_integer(0));
	}
	if (policy && *policy)
		json_object_set_new(hc, "RestartPolicy", json_pack("{s:s, s:I}", "Name", policy, "MaximumRetryCount",
								   num(rp, "MaximumRetryCount")));
	return 0;
}

/* The runtime's `update --resources FILE ID` with hc's resources. */
static int apply(struct berth_engine *e, const char *id, json_t *hc, struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *text = NULL;
	char dir[4096], file[4096 + 32];
	int r = berth_container_resources(hc, &res, err);
	if (r < 0)
		return r;
	json_object_del(res, "devices");
	if (num(hc, "PidsLimit") <= 0)
		json_object_set_new(res, "pids", json_pack("{s:i}", "limit", -1)); /* "max" */
	if (!(text = json_dumps(res, JSON_COMPACT)))
		return berth_error_sys(err, ENOMEM, "update %s", id);
	container_state_dir(e, id, dir);
	snprintf(file, sizeof(file), "%s/update.json", dir);
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open %s", dir);
	if ((r = berth_write_file_atomic(dirfd, "update.json", text, strlen(text), 0600, 0, err)) < 0)
		return r;
	char *argv[] = { cs->runtime, (char *) "--root", cs->runtime_root, (char *) "update", (char *) "--resources",
			 file, (char *) id, NULL };
	r = berth_run_command(argv, NULL, err);
	unlinkat(dirfd, "update.json", 0);
	/* the kernel refusing a limit (below the usage) is the container's state: a conflict */
	if (r < 0) {
		char why[BERTH_ERROR_MAX];
		snprintf(why, sizeof(why), "%s", err->msg);
		return berth_error_set(err, EBUSY, "Cannot update container %s: %s", id, why);
	}
	return 0;
}

int berth_engine_container_update(struct berth_engine *e, const char *what, json_t *body, json_t **ret_warnings,
				  struct berth_error *err)
{
	struct engine_containers *cs = e->containers;
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	_cleanup_json_ json_t *hc = NULL, *warnings = json_array();
	int r = check_types(body, err);
	if (r == 0)
		r = check_request(body, err);
	if (r == 0)
		r = check_restart_policy(json_object_get(body, "RestartPolicy"), err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cs->lock);
	r = container_resolve(e, what, &c, err);
	if (r == 0) {
		hc = json_deep_copy(c.host_config ? c.host_config : json_object());
		r = hc ? merge(hc, body, c.id, warnings, err) : berth_error_sys(err, ENOMEM, "update %s", c.id);
	}
	if (r == 0 && record_running(&c))
		r = apply(e, c.id, hc, err);
	if (r == 0)
		r = berth_containers_set_host_config(e->db, c.id, hc, err);
	if (r == 0)
		container_event(e, "update", &c, NULL);
	pthread_mutex_unlock(&cs->lock);
	if (r == 0)
		*ret_warnings = berth_steal_ptr(&warnings);
	return r;
}
