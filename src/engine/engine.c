#include "engine.h"
#include "engine_containers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"

#define DEFAULT_CERTS_DIR "/etc/docker/certs.d"

static int make_dir(const char *path, mode_t mode, struct berth_error *err)
{
	int r = berth_mkdir_p(path, mode);
	if (r < 0 && r != -EEXIST)
		return berth_error_sys(err, -r, "create %s", path);
	return 0;
}

/* One daemon per root: the lock is held for the engine's life. */
static int lock_root(struct berth_engine *e, struct berth_error *err)
{
	e->lock_fd = openat(e->root_fd, "berthd.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (e->lock_fd < 0)
		return berth_error_sys(err, errno, "open %s/berthd.lock", e->root);
	if (flock(e->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK
			       ? berth_error_set(err, EBUSY, "another berthd is running on %s (it holds %s/berthd.lock)",
						 e->root, e->root)
			       : berth_error_sys(err, errno, "lock %s/berthd.lock", e->root);
	return 0;
}

static int open_registries(struct berth_engine *e, const struct berth_engine_options *o, struct berth_error *err)
{
	const char *path = o->registries_conf ? o->registries_conf : BERTH_REGISTRIES_CONF_PATH;
	int r = berth_registries_load(path, true, &e->registries, err);
	for (size_t i = 0; r == 0 && o->insecure_registries && o->insecure_registries[i]; i++)
		r = berth_registries_add_insecure(e->registries, o->insecure_registries[i], err);
	return r;
}

static int open_stores(struct berth_engine *e, const struct berth_engine_options *o, struct berth_error *err)
{
	char dbpath[4096];
	snprintf(dbpath, sizeof(dbpath), "%s/berth.db", e->root);
	int r = berth_db_open(dbpath, &e->db, err);
	if (r == 0)
		r = berth_images_init(e->db, err);
	if (r == 0)
		r = berth_content_open(e->root_fd, "content", &e->content, err);
	if (r == 0)
		r = berth_snapshotter_open(e->db, e->root_fd, "snapshots", o->storage_driver, &e->snapshots, err);
	/* Recovery: snapshots half made by a pull that died go; ingest files
	 * stay, for the next pull of the same blob to resume. */
	if (r == 0)
		r = berth_snapshotter_reconcile(e->snapshots, err);
	/* Volumes: rows and directories made to agree (interrupted creates
	 * and removals finished, see volumes.h). */
	if (r == 0)
		r = berth_volumes_open(e->db, e->root_fd, e->root, &e->volumes, err);
	if (r == 0)
		r = berth_volumes_reconcile(e->volumes, NULL, err);
	return r;
}

/* ROOT/engine-id, made once (a random UUID, as dockerd's engine-id). */
static int load_engine_id(struct berth_engine *e, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct berth_error ignored = { 0 };
	if (berth_read_file_at(e->root_fd, "engine-id", 64, &text, &len, &ignored) == 0 && len >= 36) {
		snprintf(e->id, sizeof(e->id), "%.36s", text);
		return 0;
	}
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
		return berth_error_sys(err, errno, "make the engine ID: getrandom");
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(e->id, sizeof(e->id), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return berth_write_file_atomic(e->root_fd, "engine-id", e->id, strlen(e->id), 0600, 0, err);
}

int berth_engine_open(const struct berth_engine_options *o, struct berth_engine **ret, struct berth_error *err)
{
	struct berth_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return berth_error_sys(err, ENOMEM, "engine");
	e->root_fd = e->lock_fd = -1;
	pthread_rwlock_init(&e->gc_lock, NULL);
	e->started_nano = berth_events_now_nano();
	e->root = strdup(o->root);
	e->exec_root = strdup(o->exec_root);
	e->certs_dir = strdup(o->certs_dir ? o->certs_dir : DEFAULT_CERTS_DIR);
	int r = e->root && e->exec_root && e->certs_dir ? 0 : berth_error_sys(err, ENOMEM, "engine");
	if (r == 0)
		r = make_dir(o->root, 0711, err);
	if (r == 0)
		r = make_dir(o->exec_root, 0711, err);
	if (r == 0 && (e->root_fd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = berth_error_sys(err, errno, "open %s", o->root);
	if (r == 0)
		r = lock_root(e, err);
	if (r == 0)
		r = load_engine_id(e, err);
	if (r == 0)
		r = open_registries(e, o, err);
	if (r == 0)
		r = open_stores(e, o, err);
	if (r == 0)
		r = berth_events_new(&e->events, err);
	if (r == 0)
		r = berth_engine_containers_open(e, o, err);
	if (r < 0) {
		berth_engine_close(e);
		return r;
	}
	e->pull_env = (struct berth_pull_env){
		.content = e->content,
		.snapshots = e->snapshots,
		.registries = e->registries,
		.certs_dir = e->certs_dir,
		.max_concurrent_downloads = o->max_concurrent_downloads,
		.max_attempts = o->pull_attempts,
		.retry_base_ms = o->pull_retry_base_ms,
		.shutdown = &e->shutting_down,
	};
	*ret = e;
	return 0;
}

void berth_engine_close(struct berth_engine *e)
{
	if (!e)
		return;
	if (e->events)
		berth_events_close(e->events);
	berth_engine_containers_close(e);
	berth_events_free(e->events);
	berth_volumes_free(e->volumes);
	berth_snapshotter_free(e->snapshots);
	berth_content_free(e->content);
	berth_registries_free(e->registries);
	berth_db_close(e->db);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	if (e->root_fd >= 0)
		close(e->root_fd);
	pthread_rwlock_destroy(&e->gc_lock);
	free(e->root);
	free(e->exec_root);
	free(e->certs_dir);
	free(e);
}

void berth_engine_shutdown(struct berth_engine *e)
{
	e->shutting_down = 1;
	if (e->events)
		berth_events_close(e->events);
	berth_engine_containers_wake(e);
}

int berth_engine_gc(struct berth_engine *e, unsigned flags, struct berth_gc_stats *ret, struct berth_error *err)
{
	pthread_rwlock_wrlock(&e->gc_lock);
	int r = berth_gc_run(e->db, e->content, e->snapshots, flags, NULL, NULL, ret, err);
	pthread_rwlock_unlock(&e->gc_lock);
	return r;
}
