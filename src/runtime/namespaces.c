#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"

void berth_ns_close(int fds[BERTH_NS_COUNT])
{
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		berth_closep(&fds[t]);
}

int berth_ns_open_paths(const struct berth_spec *spec, int fds[BERTH_NS_COUNT], struct berth_error *err)
{
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		fds[t] = -1;
	for (int t = 0; t < BERTH_NS_COUNT; t++) {
		const char *path = spec->ns[t].path;
		int type;

		if (path == NULL)
			continue;
		fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0) {
			int e = errno;
			berth_ns_close(fds);
			return berth_error_sys(err, e, "linux.namespaces: open %s namespace %s", berth_ns_type_name(t), path);
		}
		type = ioctl(fds[t], NS_GET_NSTYPE);
		if (type != berth_ns_clone_flag(t)) {
			berth_ns_close(fds);
			return berth_error_set(err, EINVAL, "linux.namespaces: %s is not a namespace of type %s", path,
					       berth_ns_type_name(t));
		}
	}
	return 0;
}

int berth_ns_join(const int fds[BERTH_NS_COUNT], struct berth_error *err)
{
	/* The user namespace comes first: joining it grants the capabilities
	 * needed to join the others it owns. */
	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (fds[t] >= 0 && setns(fds[t], berth_ns_clone_flag(t)) < 0)
			return berth_error_sys(err, errno, "join %s namespace", berth_ns_type_name(t));
	return 0;
}

int berth_ns_new_flags(const struct berth_spec *spec)
{
	int flags = 0;

	for (int t = 0; t < BERTH_NS_COUNT; t++)
		if (spec->ns[t].enabled && spec->ns[t].path == NULL)
			flags |= berth_ns_clone_flag(t);
	return flags;
}

static int format_map(const struct berth_id_mapping *m, size_t n, char *buf, size_t size)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, size - off, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m[i].container_id,
				 m[i].host_id, m[i].size);
		if (w < 0 || (size_t) w >= size - off)
			return -E2BIG;
		off += (size_t) w;
	}
	return (int) off;
}

static int write_map(pid_t pid, const char *file, const struct berth_id_mapping *m, size_t n, struct berth_error *err)
{
	char path[64], buf[8192];
	int len = format_map(m, n, buf, sizeof(buf));

	if (len < 0)
		return berth_error_set(err, E2BIG, "linux: too many id mappings for %s", file);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
	if (berth_write_file_at(AT_FDCWD, path, buf, (size_t) len, err) < 0)
		return berth_error_wrap(err, "write the container's %s", file);
	return 0;
}

int berth_userns_write_maps(pid_t pid, const struct berth_spec *spec, struct berth_error *err)
{
	/* A list the config leaves out maps the caller's own id to 0. */
	struct berth_id_mapping own_uid = { 0, (uint32_t) geteuid(), 1 }, own_gid = { 0, (uint32_t) getegid(), 1 };
	const struct berth_id_mapping *uids = spec->n_uid_mappings ? spec->uid_mappings : &own_uid;
	const struct berth_id_mapping *gids = spec->n_gid_mappings ? spec->gid_mappings : &own_gid;
	size_t n_uids = spec->n_uid_mappings ? spec->n_uid_mappings : 1;
	size_t n_gids = spec->n_gid_mappings ? spec->n_gid_mappings : 1;
	char path[64];
	int r;

	if (geteuid() != 0) {
		/* An unprivileged writer may map exactly one id, its own, and only
		 * after giving up setgroups(2) in the namespace. */
		if (n_uids != 1 || uids[0].size != 1 || uids[0].host_id != geteuid())
			return berth_error_set(err, EPERM,
					       "linux.uidMappings: without root, only your own uid %u can be mapped, once",
					       (unsigned) geteuid());
		if (n_gids != 1 || gids[0].size != 1 || gids[0].host_id != getegid())
			return berth_error_set(err, EPERM,
					       "linux.gidMappings: without root, only your own gid %u can be mapped, once",
					       (unsigned) getegid());
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int) pid);
		if (berth_write_file_at(AT_FDCWD, path, "deny", 4, err) < 0)
			return berth_error_wrap(err, "deny setgroups in the container's user namespace");
	}
	if ((r = write_map(pid, "uid_map", uids, n_uids, err)) < 0)
		return r;
	return write_map(pid, "gid_map", gids, n_gids, err);
}

int berth_timens_write_offsets(const struct berth_spec *spec, struct berth_error *err)
{
	char buf[256];
	int n = 0;

	if (spec->time_monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t) n, "monotonic %" PRId64 " %" PRIu32 "\n",
			      spec->time_monotonic.secs, spec->time_monotonic.nanosecs);
	if (spec->time_boottime.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t) n, "boottime %" PRId64 " %" PRIu32 "\n",
			      spec->time_boottime.secs, spec->time_boottime.nanosecs);
	if (n == 0)
		return 0;
	/* One clock per write: the kernel takes them line by line. */
	for (char *line = buf, *end; *line; line = end) {
		end = strchr(line, '\n') + 1;
		if (berth_write_file_at(AT_FDCWD, "/proc/self/timens_offsets", line, (size_t) (end - line), err) < 0)
			return berth_error_wrap(err, "linux.timeOffsets");
	}
	return 0;
}
