#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "berth-config.h"
#include "cgroup.h"
#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "proc.h"

#define STATE_MAX_SIZE (32u << 20)

const char *berth_status_name(enum berth_status s)
{
	switch (s) {
	case BERTH_STATUS_CREATING:
		return "creating";
	case BERTH_STATUS_CREATED:
		return "created";
	case BERTH_STATUS_RUNNING:
		return "running";
	case BERTH_STATUS_PAUSED:
		return "paused";
	case BERTH_STATUS_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

bool berth_container_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int berth_state_root_open(const char *root, bool create, struct berth_error *err)
{
	int fd, r;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT || !create)
		return berth_error_sys(err, errno, "open state directory %s", root);
	r = berth_mkdir_p(root, 0700);
	if (r < 0 && r != -EEXIST)
		return berth_error_sys(err, -r, "create state directory %s", root);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_sys(err, errno, "open state directory %s", root);
	return fd;
}

int berth_state_dir_open(int rootfd, const char *id, struct berth_error *err)
{
	int fd;

	if (!berth_container_id_valid(id))
		return berth_error_set(err, EINVAL,
				       "invalid container id \"%s\": use 1 to 1024 of the characters A-Z a-z 0-9 _ + - .",
				       id);
	fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_set(err, ENOENT, "container %s does not exist", id);
		return berth_error_sys(err, errno, "open state of container %s", id);
	}
	return fd;
}

int berth_state_lock(int dirfd, const char *id, struct berth_error *err)
{
	while (flock(dirfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_sys(err, errno, "lock container %s", id);
	return 0;
}

void berth_state_free(struct berth_state *s)
{
	if (s == NULL)
		return;
	json_decref(s->json);
	free(s);
}

int berth_state_read(int dirfd, const char *id, struct berth_state **ret, struct berth_error *err)
{
	_cleanup_state_ struct berth_state *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *text = NULL;
	int64_t v;
	size_t len;
	int r;

	if (s == NULL)
		return berth_error_sys(err, ENOMEM, "read state of %s", id);
	r = berth_read_file_at(dirfd, BERTH_STATE_FILE, STATE_MAX_SIZE, &text, &len, err);
	if (r < 0) {
		if (r == -ENOENT)
			return berth_error_set(err, ENOENT, "container %s is still being created", id);
		return berth_error_wrap(err, "read state of container %s", id);
	}
	r = bjson_parse(text, len, "state.json", &s->json, err);
	if (r < 0)
		return berth_error_wrap(err, "container %s", id);
	if ((r = bjson_get_string(s->json, "", "id", true, &s->id, err)) < 0 ||
	    (r = bjson_get_int(s->json, "", "pid", true, 0, INT32_MAX, &v, err)) < 0)
		return berth_error_wrap(err, "container %s: state.json", id);
	s->pid = (pid_t) v;
	if ((r = bjson_get_uint64(s->json, "", "pidStartTime", true, &s->pid_start_time, err)) < 0 ||
	    (r = bjson_get_string(s->json, "", "bundle", true, &s->bundle, err)) < 0 ||
	    (r = bjson_get_string(s->json, "", "rootfs", true, &s->rootfs, err)) < 0 ||
	    (r = bjson_get_string(s->json, "", "created", true, &s->created, err)) < 0 ||
	    (r = bjson_get_int(s->json, "", "owner", true, 0, UINT32_MAX, &v, err)) < 0 ||
	    (r = bjson_get_object(s->json, "", "config", true, &s->config, err)) < 0)
		return berth_error_wrap(err, "container %s: state.json", id);
	s->owner = (uid_t) v;
	if ((r = bjson_get_bool(s->json, "", "creating", false, &s->creating, err)) < 0 ||
	    (r = bjson_get_object(s->json, "", "cgroup", false, &s->cgroup, err)) < 0 ||
	    (r = bjson_get_string(s->json, "", "resctrlDir", false, &s->resctrl_dir, err)) < 0)
		return berth_error_wrap(err, "container %s: state.json", id);
	*ret = berth_steal_ptr(&s);
	return 0;
}

int berth_state_write(int dirfd, const struct berth_state *s, struct berth_error *err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;

	j = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:I, s:b, s:O}", "ociVersion", BERTH_OCI_VERSION, "id",
		      s->id, "pid", (int) s->pid, "pidStartTime", (json_int_t) s->pid_start_time, "bundle", s->bundle,
		      "rootfs", s->rootfs, "created", s->created, "owner", (json_int_t) s->owner, "creating",
		      s->creating, "config", s->config);
	if (j == NULL)
		return berth_error_sys(err, ENOMEM, "encode state of %s", s->id);
	if (s->cgroup)
		json_object_set(j, "cgroup", s->cgroup);
	if (s->resctrl_dir)
		json_object_set_new(j, "resctrlDir", json_string(s->resctrl_dir));
	text = json_dumps(j, JSON_COMPACT);
	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "encode state of %s", s->id);
	return berth_write_file_atomic(dirfd, BERTH_STATE_FILE, text, strlen(text), 0600, 0, err);
}

/* Does the waiting init still accept on its start socket?  A probe that
 * connects and closes at once is ignored by the init. */
static bool start_socket_listening(int dirfd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (sock < 0)
		return false;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, BERTH_START_SOCKET);
	if (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) == 0)
		return true;
	return errno == EAGAIN || errno == EINPROGRESS;
}

enum berth_status berth_state_status(int dirfd, const struct berth_state *s)
{
	if (!berth_proc_alive(s->pid, s->pid_start_time))
		return BERTH_STATUS_STOPPED;
	if (s->creating)
		return BERTH_STATUS_CREATING;
	if (s->cgroup) {
		struct berth_cgroup cg;
		struct berth_error ignored;
		bool frozen = berth_cgroup_from_json(s->cgroup, &cg, &ignored) == 0 && berth_cgroup_is_frozen(&cg);
		berth_cgroup_release(&cg);
		if (frozen)
			return BERTH_STATUS_PAUSED;
	}
	if (faccessat(dirfd, BERTH_START_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0 && start_socket_listening(dirfd))
		return BERTH_STATUS_CREATED;
	return BERTH_STATUS_RUNNING;
}

json_t *berth_state_to_json(const struct berth_state *s, enum berth_status status)
{
	json_t *annotations = json_object_get(s->config, "annotations");
	char owner[16];
	json_t *j;

	/* runc prints a user name; without NSS, "root" or the number. */
	if (s->owner == 0)
		snprintf(owner, sizeof(owner), "root");
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned) s->owner);

	j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", BERTH_OCI_VERSION, "id", s->id,
		      "status", berth_status_name(status), "pid", status == BERTH_STATUS_STOPPED ? 0 : (int) s->pid,
		      "bundle", s->bundle, "rootfs", s->rootfs, "created", s->created, "owner", owner);
	if (j == NULL)
		return NULL;
	if (json_is_object(annotations))
		json_object_set(j, "annotations", annotations);
	return j;
}
