/* Whole-file reads and writes with bounds and crash safety. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum berth_write_flags {
	/* fsync before the rename, so the new contents survive a power loss,
	 * not only a crash of the process.  Runtime state under /run (a tmpfs,
	 * gone at reboot anyway) does without; the daemon's records do not. */
	BERTH_WRITE_DURABLE = 1 << 0,
};

/* Replace dirfd/name with data: written to a temporary file in the same
 * directory, then renamed over the old one, so a reader (or a crash) sees
 * either the old contents or the new, never a torn file. */
int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			    unsigned flags, struct berth_error *err);

/* Read at most max_size bytes of dirfd/path into a NUL-terminated malloc'ed
 * buffer; a larger file is an error (EFBIG), so outside input stays bounded.
 * An empty path reads dirfd itself, from where it stands. */
int berth_read_file_at(int dirfd, const char *path, size_t max_size, char **ret, size_t *ret_len,
		       struct berth_error *err);

/* One write(2) of data to an existing file (a /proc or /sys knob). */
int berth_write_file_at(int dirfd, const char *path, const void *data, size_t len, struct berth_error *err);

/* Write all of buf to fd, retrying short writes and EINTR. Returns 0 or -errno. */
int berth_write_all(int fd, const void *buf, size_t len);

/* mkdir -p: every missing directory of path (parents 0755, the last `mode`).
 * Returns 0, -EEXIST when the last one was already there, or -errno. */
int berth_mkdir_p(const char *path, mode_t mode);

/* Remove dirfd/name and everything below it; missing is not an error. */
int berth_remove_tree_at(int dirfd, const char *name, struct berth_error *err);
