/* Extracting a layer's tar stream into a snapshot directory.
 *
 * A layer is hostile input.  Whatever its entries say, nothing is written
 * outside the snapshot directory:
 *   - names that are absolute or have a ".." component are refused;
 *   - every parent directory is opened beneath the snapshot without
 *     following any symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS,
 *     or a walk of O_NOFOLLOW|O_DIRECTORY opens), so an entry written
 *     "through" a symlink the layer planted is refused, not followed;
 *   - files are created with *at() calls relative to that parent, and
 *     ownership, modes and times are never set through a symlink;
 *   - hard link targets are resolved the same way and never followed;
 *   - xattrs that steer overlayfs (trusted.overlay.*, user.overlay.*) are
 *     refused.
 * libarchive is used only to parse the tar format; it never touches the
 * file system.
 *
 * Whiteouts (".wh.NAME", ".wh..wh..opq") are turned into what the snapshot
 * kind needs: overlayfs whiteouts (OVERLAY) or removals (APPLY).  Both
 * modes give the same merged tree.
 *
 * On failure the snapshot directory is left half-written: the caller
 * removes it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "layer_reader.h"

enum berth_whiteout_mode {
	/* The directory is one overlayfs lower layer of its own: ".wh.NAME"
	 * becomes the 0/0 character device NAME, ".wh..wh..opq" the xattr
	 * trusted.overlay.opaque="y" on its directory. */
	BERTH_WHITEOUT_OVERLAY,
	/* The directory holds a copy of the parent layer's tree and the layer
	 * is applied on top: ".wh.NAME" removes NAME, ".wh..wh..opq" removes
	 * what the directory held before this layer (whatever the order of
	 * the entries, this layer's own entries stay). */
	BERTH_WHITEOUT_APPLY,
	/* Not a layer but a plain archive (docker cp): ".wh." names are
	 * files like any other, and nothing is removed but what an entry
	 * replaces. */
	BERTH_WHITEOUT_KEEP,
};

struct berth_unpack_options {
	enum berth_whiteout_mode whiteout;
	/* Leave ownership to the calling user (unprivileged tests, rootless
	 * unpack); setuid/setgid bits are still applied. */
	bool skip_chown;
	/* Every entry owned by this uid:gid instead of the archive's
	 * (docker cp -a into a container with a User). */
	struct {
		bool set;
		uid_t uid;
		gid_t gid;
	} owner;
	/* docker cp's noOverwriteDirNonDir: an entry may not replace a
	 * directory with a non-directory or the other way round. */
	bool no_overwrite_dir_nondir;
	/* Reserved for user-namespaced snapshots: map layer ids 0..size-1 to
	 * base..base+size-1.  Not implemented yet: size must be 0. */
	struct {
		uint32_t uid_base, gid_base, size;
	} id_shift;
	/* Tests: resolve paths with the O_NOFOLLOW walk even when the kernel
	 * has openat2, to exercise the fallback. */
	bool force_walk;
};

struct berth_unpack_stats {
	uint64_t entries; /* tar entries read, whiteouts and skipped ones included */
	uint64_t bytes; /* regular file data written */
	uint64_t files, dirs, symlinks, hardlinks, devices, fifos;
	uint64_t whiteouts; /* ".wh.NAME" entries */
	uint64_t opaques; /* ".wh..wh..opq" entries */
	uint64_t skipped; /* sockets, aufs metadata (".wh..wh.plnk" and the like) */
	uint64_t xattrs_dropped; /* xattrs not allowed in a layer (see unpack_entry.c) */
};

/* Bounds on outside input, beyond libarchive's own (1 MiB per pax or GNU
 * long-name header). */
#define BERTH_UNPACK_MAX_XATTRS 128 /* per entry */
#define BERTH_UNPACK_MAX_XATTR_VALUE 65536 /* XATTR_SIZE_MAX */
/* APPLY mode remembers every path the layer wrote (for opaque whiteouts
 * that come after the entries they must spare). */
#define BERTH_UNPACK_MAX_TRACKED_PATHS (8u << 20)

/* Extract the tar stream of `reader` into the directory `dirfd` until the
 * tar's end; then the caller calls berth_layer_reader_finish() for the
 * diff_id (and to check the rest of the compressed stream).  ret_stats may
 * be NULL; it is filled on failure too (what was done so far). */
int berth_unpack_tar(struct berth_layer_reader *reader, int dirfd, const struct berth_unpack_options *opts,
		     struct berth_unpack_stats *ret_stats, struct berth_error *err);

/* The whole job for one blob: open a reader on `source`, extract, finish.
 * ret_diff_id (may be NULL) gets "sha256:<hex>" of the uncompressed tar. */
int berth_unpack_layer(const struct berth_layer_source *source, int dirfd, const struct berth_unpack_options *opts,
		       char ret_diff_id[BERTH_DIGEST_MAX], struct berth_unpack_stats *ret_stats,
		       struct berth_error *err);

#ifdef BERTH_UNPACK_INTERNAL
/* Shared by unpack.c (the tar loop, names, path resolution) and
 * unpack_entry.c (making each kind of entry); not part of the API. */
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

struct archive;
struct archive_entry;
struct berth_pathset;

struct berth_unpack_dirmeta {
	char *path; /* "" for the root */
	mode_t mode;
	bool has_times;
	struct timespec times[2];
};

struct berth_unpack {
	const struct berth_unpack_options *opts;
	struct berth_unpack_stats stats;
	int rootfd; /* O_RDONLY|O_DIRECTORY: fsetxattr works on it */
	bool no_openat2;

	/* The tar stream: libarchive pulls it from the reader through buf. */
	struct berth_layer_reader *reader;
	unsigned char *buf;
	bool src_failed;
	struct berth_error src_err;

	/* The last parent directory opened, by normalised path: entries
	 * come grouped by directory, so most reuse it. */
	char cache_path[PATH_MAX];
	size_t cache_len;
	int cache_fd;

	/* APPLY mode: the paths this layer wrote, and their ancestors. */
	struct berth_pathset *written;

	/* Directory modes and times, set once everything is written. */
	struct berth_unpack_dirmeta *dirs;
	size_t n_dirs, cap_dirs;

	char path[PATH_MAX]; /* the current entry, normalised */
	char target[PATH_MAX]; /* its hard link target, normalised */
};

/* unpack.c */
int berth_unpack_normalize(const char *raw, char out[PATH_MAX], size_t *ret_len, struct berth_error *err);
const char *berth_unpack_quote(const char *s, char *buf, size_t size);
/* A borrowed fd of directory path[0..len) (cached; valid until the next
 * call), created with missing parents when `create`. */
int berth_unpack_parent_open(struct berth_unpack *u, const char *path, size_t len, struct berth_error *err);
/* The same, not cached, never creating: an fd the caller closes. */
int berth_unpack_dir_open(struct berth_unpack *u, const char *path, size_t len, struct berth_error *err);
/* Something below directory keep_fd was removed: forget the cached parent
 * unless it is keep_fd itself (which the caller is still using). */
void berth_unpack_cache_invalidate(struct berth_unpack *u, int keep_fd);
bool berth_unpack_written(const struct berth_unpack *u, const char *path, size_t len);
int berth_unpack_dir_defer(struct berth_unpack *u, const char *path, mode_t mode, const struct timespec *times,
			   struct berth_error *err);
int berth_unpack_tar_error(struct berth_unpack *u, struct archive *a, struct berth_error *err);

/* unpack_entry.c: each returns 0 or -errno with err saying what failed
 * (the caller adds the entry's name).  pfd is the entry's parent
 * directory, u->path its normalised path. */
int berth_unpack_entry_make(struct berth_unpack *u, struct archive *a, struct archive_entry *e, int pfd,
			    const char *base, struct berth_error *err);
int berth_unpack_entry_root(struct berth_unpack *u, struct archive_entry *e, struct berth_error *err);
/* dir is the whiteout's directory ("" for the root), pfd that directory. */
int berth_unpack_whiteout(struct berth_unpack *u, int pfd, const char *dir, const char *name,
			  struct berth_error *err);
int berth_unpack_opaque(struct berth_unpack *u, int pfd, const char *dir, struct berth_error *err);
#endif
