/* A container's record under the runtime's --root: <root>/<id>/state.json,
 * written atomically, plus the start socket the waiting init listens on.
 *
 * The status is derived from what is really there, never stored: a live
 * init whose start socket still accepts is "created", a live init without
 * it "running", a dead or recycled pid "stopped".  A crash between any two
 * steps therefore cannot leave a status that lies. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define BERTH_STATE_FILE "state.json"
#define BERTH_START_SOCKET "start.sock"

enum berth_status {
	BERTH_STATUS_CREATING,
	BERTH_STATUS_CREATED,
	BERTH_STATUS_RUNNING,
	BERTH_STATUS_PAUSED,
	BERTH_STATUS_STOPPED,
};

struct berth_state {
	json_t *json; /* owns the strings below */
	const char *id;
	pid_t pid;
	uint64_t pid_start_time;
	const char *bundle;
	const char *rootfs;
	const char *created;
	uid_t owner;
	bool creating;	/* create has not finished (or died before it did) */
	json_t *config; /* the config.json the container was created from */
	json_t *cgroup; /* berth_cgroup_to_json(); NULL without one */
	const char *resctrl_dir; /* the resctrl group made for the container, or NULL */
};

const char *berth_status_name(enum berth_status s);

bool berth_container_id_valid(const char *id);

/* Open (and with create, make) the --root directory. */
int berth_state_root_open(const char *root, bool create, struct berth_error *err);

/* Open <root>/<id> for reading and locking; a missing one is
 * "container <id> does not exist" (ENOENT). */
int berth_state_dir_open(int rootfd, const char *id, struct berth_error *err);

/* Hold an exclusive lock on the container's directory while changing it. */
int berth_state_lock(int dirfd, const char *id, struct berth_error *err);

int berth_state_read(int dirfd, const char *id, struct berth_state **ret, struct berth_error *err);
int berth_state_write(int dirfd, const struct berth_state *s, struct berth_error *err);
void berth_state_free(struct berth_state *s);
static inline void berth_state_freep(struct berth_state **s)
{
	if (*s)
		berth_state_free(*s);
}
#define _cleanup_state_ __attribute__((cleanup(berth_state_freep)))

enum berth_status berth_state_status(int dirfd, const struct berth_state *s);

/* The state as runtime.md and runc's `state` print it. */
json_t *berth_state_to_json(const struct berth_state *s, enum berth_status status);
