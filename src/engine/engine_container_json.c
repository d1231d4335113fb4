/* docker inspect and docker ps documents of containers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container_rootfs.h"
#include "container_spec.h"
#include "engine_containers_internal.h"
#include "label_filter.h"
#include "json.h"
#include "volumes.h"

int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	long long nsec = 0;
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%lld", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &nsec) < 6 ||
	    tm.tm_year < 1970)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t) timegm(&tm) * 1000000000 + nsec;
}

/* go-units' HumanDuration, which `docker ps` shows. */
static void human_duration(int64_t seconds, char out[64])
{
	int64_t minutes = seconds / 60, hours = minutes / 60;
	if (seconds < 1)
		snprintf(out, 64, "Less than a second");
	else if (seconds == 1)
		snprintf(out, 64, "1 second");
	else if (seconds < 60)
		snprintf(out, 64, "%lld seconds", (long long) seconds);
	else if (minutes == 1)
		snprintf(out, 64, "About a minute");
	else if (minutes < 60)
		snprintf(out, 64, "%lld minutes", (long long) minutes);
	else if (hours == 1)
		snprintf(out, 64, "About an hour");
	else if (hours < 48)
		snprintf(out, 64, "%lld hours", (long long) hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, 64, "%lld days", (long long) hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(out, 64, "%lld weeks", (long long) hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(out, 64, "%lld months", (long long) hours / 24 / 30);
	else
		snprintf(out, 64, "%lld years", (long long) hours / 24 / 365);
}

/* "none" for a container without a healthcheck, as dockerd's view. */
static const char *health_status(const struct berth_container_record *c)
{
	const char *h = json_string_value(json_object_get(json_object_get(c->state, "Health"), "Status"));
	return h ? h : "none";
}

static void status_text(const struct berth_container_record *c, char out[128])
{
	json_t *st = c->state;
	const char *status = json_string_value(json_object_get(st, "Status"));
	char d[64];
	int64_t now = now_nano();
	if (status && strcmp(status, "running") == 0) {
		human_duration((now - parse_time(json_string_value(json_object_get(st, "StartedAt")))) / 1000000000, d);
		const char *health = json_string_value(json_object_get(json_object_get(st, "Health"), "Status"));
		bool starting = health && strcmp(health, "starting") == 0;
		if (json_is_true(json_object_get(st, "Paused")))
			snprintf(out, 128, "Up %s (Paused)", d);
		else if (health)
			snprintf(out, 128, "Up %s (%s%s)", d, starting ? "health: " : "", health);
		else
			snprintf(out, 128, "Up %s", d);
	} else if (status && strcmp(status, "exited") == 0) {
		human_duration((now - parse_time(json_string_value(json_object_get(st, "FinishedAt")))) / 1000000000, d);
		snprintf(out, 128, "Exited (%lld) %s ago", (long long) json_integer_value(json_object_get(st, "ExitCode")), d);
	} else {
		snprintf(out, 128, "%s", status && strcmp(status, "created") == 0 ? "Created" : (status ? status : ""));
	}
}

/* Path and Args as docker shows them: the command that runs. */
static void path_args(const struct berth_container_record *c, const char **path, json_t **args)
{
	_cleanup_json_ json_t *empty = json_object();
	json_t *all = NULL;
	struct berth_error ignored = { 0 };
	*path = "";
	*args = json_array();
	if (berth_container_args(empty, c->config, &all, &ignored) < 0)
		return;
	json_t *first = json_array_get(all, 0);
	static __thread char buf[4096];
	snprintf(buf, sizeof(buf), "%s", json_string_value(first));
	*path = buf;
	for (size_t i = 1; i < json_array_size(all); i++)
		json_array_append(*args, json_array_get(all, i));
	json_decref(all);
}

/* One entry of inspect's Mounts: a bind or a named volume. */
static json_t *mount_json(struct berth_engine *e, const char *type, const char *source, const char *dest,
			  const char *mode, bool rw)
{
	bool volume = strcmp(type, "volume") == 0;
	json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:s}", "Type", type, "Destination", dest, "Mode", mode, "RW", rw,
			      "Propagation", volume ? "" : "rprivate");
	if (!volume) {
		json_object_set_new(m, "Source", json_string(source));
		return m;
	}
	struct berth_volume v = { 0 };
	struct berth_error ignored = { 0 };
	bool known = berth_volumes_get(e->volumes, source, &v, &ignored) == 0;
	json_object_set_new(m, "Name", json_string(source));
	json_object_set_new(m, "Source", json_string(known && v.mountpoint ? v.mountpoint : ""));
	json_object_set_new(m, "Driver", json_string("local"));
	berth_volume_clear(&v);
	return m;
}

/* docker's Mounts: HostConfig.Binds ("SOURCE:DEST[:OPTIONS]", a name for
 * a volume) and HostConfig.Mounts of type bind and volume. */
static json_t *mounts_json(struct berth_engine *e, json_t *host_config)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(host_config, "Binds"), i, v) {
		char buf[4096], *dest, *mode;
		const char *spec = json_string_value(v);
		if (!spec || strlen(spec) >= sizeof(buf))
			continue;
		snprintf(buf, sizeof(buf), "%s", spec);
		if (!(dest = strchr(buf, ':')))
			continue;
		*dest++ = '\0';
		mode = strchr(dest, ':');
		if (mode)
			*mode++ = '\0';
		bool ro = mode && (strcmp(mode, "ro") == 0 || strncmp(mode, "ro,", 3) == 0 || strstr(mode, ",ro"));
		bool volume = buf[0] != '/';
		/* dockerd shows a named volume's default mode as "z" */
		json_array_append_new(out, mount_json(e, volume ? "volume" : "bind", buf, dest,
						      mode ? mode : volume ? "z" : "", !ro));
	}
	json_array_foreach(json_object_get(host_config, "Mounts"), i, v) {
		const char *type = json_string_value(json_object_get(v, "Type"));
		const char *src = json_string_value(json_object_get(v, "Source"));
		const char *dest = json_string_value(json_object_get(v, "Target"));
		if (!type || !dest || (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0))
			continue;
		/* an anonymous volume: container_volumes_anonymous_json has it, by its name */
		if (strcmp(type, "volume") == 0 && (!src || !*src))
			continue;
		json_t *m = mount_json(e, type, src ? src : "", dest, "", !json_is_true(json_object_get(v, "ReadOnly")));
		if (strcmp(type, "tmpfs") == 0)
			json_object_set_new(m, "Propagation", json_string(""));
		json_array_append_new(out, m);
	}
	return out;
}

/* What dockerd's inspect shows for HostConfig fields a create request left
 * out (clients such as docker-py read some of them unconditionally). */
static json_t *host_config_json(const json_t *host_config)
{
	json_t *hc = json_deep_copy(host_config);
	json_t *defaults = json_pack(
		"{s:{s:s, s:{}}, s:{s:s, s:i}, s:b, s:b, s:b, s:b, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
		" s:I, s:s, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n}",
		"LogConfig", "Type", "json-file", "Config", "RestartPolicy", "Name", "no", "MaximumRetryCount", 0,
		"AutoRemove", 0, "Privileged", 0, "ReadonlyRootfs", 0, "PublishAllPorts", 0, "ShmSize",
		(json_int_t) BERTH_DEFAULT_SHM_SIZE, "IpcMode", "private", "PidMode", "", "UTSMode", "", "UsernsMode", "",
		"CgroupParent", "", "Memory", (json_int_t) 0, "MemorySwap", (json_int_t) 0, "NanoCpus", (json_int_t) 0,
		"CpuShares", (json_int_t) 0, "CpuPeriod", (json_int_t) 0, "CpuQuota", (json_int_t) 0, "CpusetCpus", "",
		"Binds", "CapAdd", "CapDrop", "Dns", "ExtraHosts", "SecurityOpt", "Ulimits", "PidsLimit",
		"Tmpfs", "VolumesFrom");
	if (!hc || !defaults) {
		json_decref(defaults);
		return hc ? hc : json_object();
	}
	/* the docker CLI sends these empty; dockerd fills them at create */
	json_t *log = json_object_get(hc, "LogConfig");
	if (json_is_object(log) && json_string_length(json_object_get(log, "Type")) == 0)
		json_object_del(hc, "LogConfig");
	if (json_integer_value(json_object_get(hc, "ShmSize")) <= 0)
		json_object_del(hc, "ShmSize");
	json_object_update_missing(hc, defaults);
	json_decref(defaults);
	return hc;
}

json_t *container_inspect_json(struct berth_engine *e, const struct berth_container_record *c)
{
	char dir[4096], file[4200], created[64];
	const char *path;
	json_t *args;
	container_dir(e, c->id, dir);
	format_time(c->created_nano, created);
	path_args(c, &path, &args);
	json_t *config = json_deep_copy(c->config);
	if (json_string_length(json_object_get(config, "Hostname")) == 0) {
		char h[16];
		snprintf(h, sizeof(h), "%.12s", c->id);
		json_object_set_new(config, "Hostname", json_string(h));
	}
	json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "Id", c->id, "Created", created, "Path", path, "Args",
				args, "State", json_deep_copy(c->state), "Image", c->image_id);
	snprintf(file, sizeof(file), "%s/resolv.conf", dir);
	json_object_set_new(out, "ResolvConfPath", json_string(file));
	snprintf(file, sizeof(file), "%s/hostname", dir);
	json_object_set_new(out, "HostnamePath", json_string(file));
	snprintf(file, sizeof(file), "%s/hosts", dir);
	json_object_set_new(out, "HostsPath", json_string(file));
	snprintf(file, sizeof(file), "%s/%s-json.log", dir, c->id);
	json_object_set_new(out, "LogPath", json_string(file));
	snprintf(file, sizeof(file), "/%s", c->name);
	json_object_set_new(out, "Name", json_string(file));
	json_object_set_new(out, "RestartCount", json_integer(json_integer_value(json_object_get(c->state, "RestartCount"))));
	json_object_del(json_object_get(out, "State"), "RestartCount");
	json_object_set_new(out, "Driver", json_string(berth_snapshotter_driver(e->snapshots)));
	json_object_set_new(out, "Platform", json_string("linux"));
	json_object_set_new(out, "MountLabel", json_string(""));
	json_object_set_new(out, "ProcessLabel", json_string(""));
	json_object_set_new(out, "AppArmorProfile", json_string(""));
	json_object_set_new(out, "ExecIDs", json_null());
	json_t *public_host_config = container_public_host_config(c->host_config);
	json_object_set_new(out, "HostConfig", host_config_json(public_host_config));
	json_decref(public_host_config);
	json_t *graph = json_object();
	if (!berth_snapshotter_full_trees(e->snapshots)) {
		struct berth_image img = { 0 };
		struct berth_error ignored = { 0 };
		_cleanup_free_ char *lower = NULL;
		if (berth_images_get(e->db, c->image_id, &img, &ignored) == 0 &&
		    berth_container_rootfs_lowerdir(e->snapshots, dir, img.top_snapshot, &lower, &ignored) == 0)
			json_object_set_new(graph, "LowerDir", json_string(lower));
		berth_image_clear(&img);
		snprintf(file, sizeof(file), "%s/rootfs", dir);
		json_object_set_new(graph, "MergedDir", json_string(file));
		snprintf(file, sizeof(file), "%s/upper", dir);
		json_object_set_new(graph, "UpperDir", json_string(file));
		snprintf(file, sizeof(file), "%s/work", dir);
		json_object_set_new(graph, "WorkDir", json_string(file));
	}
	json_object_set_new(out, "GraphDriver",
			    json_pack("{s:o, s:s}", "Data", graph, "Name", berth_snapshotter_driver(e->snapshots)));
	json_t *mounts = mounts_json(e, c->host_config);
	container_volumes_anonymous_json(e, c, mounts);
	json_object_set_new(out, "Mounts", mounts);
	json_object_set_new(out, "Config", config);
	json_object_set_new(out, "NetworkSettings",
			    json_pack("{s:s, s:s, s:s, s:{}, s:{}}", "Bridge", "", "SandboxID", "", "SandboxKey", "", "Ports",
				      "Networks"));
	return out;
}

json_t *container_list_json(struct berth_engine *e, const struct berth_container_record *c)
{
	const char *path;
	json_t *args, *v;
	size_t i;
	char name[300], status[128];
	path_args(c, &path, &args);
	char *command = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&command, &size);
	if (f) {
		fputs(path, f);
		/* dockerd's list: an argument with a space in single quotes */
		json_array_foreach(args, i, v)
		{
			const char *a = json_string_value(v);
			fprintf(f, strchr(a, ' ') ? " '%s'" : " %s", a);
		}
		fclose(f);
	}
	json_decref(args);
	snprintf(name, sizeof(name), "/%s", c->name);
	status_text(c, status);
	const char *net = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	json_t *mounts = mounts_json(e, c->host_config);
	container_volumes_anonymous_json(e, c, mounts);
	json_t *row = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:[], s:O, s:s, s:s, s:{s:s}, s:{s:{}}, s:o}", "Id",
				c->id, "Names", name, "Image", c->image ? c->image : "", "ImageID", c->image_id,
				"Command", command ? command : "", "Created", (json_int_t) (c->created_nano / 1000000000),
				"Ports", "Labels", json_object_get(c->config, "Labels"), "State",
				json_string_value(json_object_get(c->state, "Status")), "Status", status, "HostConfig",
				"NetworkMode", net ? net : "bridge", "NetworkSettings", "Networks", "Mounts", mounts);
	free(command);
	json_t *health = json_object_get(c->state, "Health");
	if (row)
		json_object_set_new(row, "Health",
				    json_pack("{s:s, s:I}", "Status", health_status(c), "FailingStreak",
					      (json_int_t) json_integer_value(json_object_get(health, "FailingStreak"))));
	return row;
}

/* ---- the engine's calls ---- */

int berth_engine_container_inspect(struct berth_engine *e, const char *what, bool size, json_t **ret,
				   struct berth_error *err)
{
	_cleanup_container_record_ struct berth_container_record c = { 0 };
	int r = container_resolve(e, what, &c, err);
	if (r < 0)
		return r;
	*ret = container_inspect_json(e, &c);
	if (*ret && size)
		container_add_sizes(e, &c, *ret);
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "inspect %s", what);
}

static bool any_matches(json_t *values, bool (*match)(const char *v, const struct berth_container_record *c),
			const struct berth_container_record *c)
{
	size_t i;
	json_t *v;
	if (!values)
		return true;
	json_array_foreach(values, i, v) if (match(json_string_value(v), c)) return true;
	return false;
}

static bool match_id(const char *v, const struct berth_container_record *c)
{
	return v && strncmp(c->id, v, strlen(v)) == 0;
}

static bool match_name(const char *v, const struct berth_container_record *c)
{
	return v && strstr(c->name, v[0] == '/' ? v + 1 : v);
}

static bool match_status(const char *v, const struct berth_container_record *c)
{
	return v && strcmp(v, json_string_value(json_object_get(c->state, "Status"))) == 0;
}

static bool match_ancestor(const char *v, const struct berth_container_record *c)
{
	return v && (strcmp(v, c->image ? c->image : "") == 0 || strcmp(v, c->image_id) == 0 ||
		     strncmp(c->image_id + 7, v, strlen(v)) == 0);
}

static bool match_exited(const char *v, const struct berth_container_record *c)
{
	return v && strcmp(json_string_value(json_object_get(c->state, "Status")), "exited") == 0 &&
	       atoll(v) == json_integer_value(json_object_get(c->state, "ExitCode"));
}

static bool match_health(const char *v, const struct berth_container_record *c)
{
	return v && strcmp(v, health_status(c)) == 0;
}

static int check_filters(json_t *filters, struct berth_error *err)
{
	static const char *const known[] = { "id", "name", "label", "status", "ancestor", "exited", "health", NULL };
	static const char *const healths[] = { "starting", "healthy", "unhealthy", "none", NULL };
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(filters, "health"), i, h)
	{
		const char *const *k = healths;
		while (*k && strcmp(*k, json_string_value(h) ? json_string_value(h) : "") != 0)
			k++;
		if (!*k)
			return berth_error_set(err, EINVAL, "Unrecognised filter value for health: %s",
					       json_string_value(h) ? json_string_value(h) : "");
	}
	const char *key;
	json_t *v;
	json_object_foreach(filters, key, v)
	{
		const char *const *k = known;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k)
			return berth_error_set(err, EINVAL, "invalid filter '%s'", key);
	}
	return 0;
}

int berth_engine_container_list(struct berth_engine *e, bool all, int limit, bool size, json_t *filters, json_t **ret,
				struct berth_error *err)
{
	struct berth_container_record *v = NULL;
	size_t n = 0;
	int r = check_filters(filters, err);
	if (r == 0)
		r = berth_containers_list(e->db, &v, &n, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	/* a status or exited filter, or a limit, looks at stopped ones too */
	if (limit > 0 || json_object_get(filters, "status") || json_object_get(filters, "exited"))
		all = true;
	for (size_t i = 0; i < n && (limit <= 0 || json_array_size(out) < (size_t) limit); i++) {
		const struct berth_container_record *c = &v[i];
		if (!all && !record_running(c))
			continue;
		if (!any_matches(json_object_get(filters, "id"), match_id, c) ||
		    !any_matches(json_object_get(filters, "name"), match_name, c) ||
		    !any_matches(json_object_get(filters, "status"), match_status, c) ||
		    !any_matches(json_object_get(filters, "ancestor"), match_ancestor, c) ||
		    !any_matches(json_object_get(filters, "exited"), match_exited, c) ||
		    !any_matches(json_object_get(filters, "health"), match_health, c))
			continue;
		if (!berth_labels_match(json_object_get(c->config, "Labels"), json_object_get(filters, "label")))
			continue;
		json_t *row = container_list_json(e, c);
		if (row && size)
			container_add_sizes(e, c, row);
		json_array_append_new(out, row);
	}
	berth_container_records_free(v, n);
	*ret = out;
	return 0;
}
