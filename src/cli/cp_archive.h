/* The local half of berth cp, as the docker CLI's pkg/archive copy helpers
 * do it: how a source and a destination combine (where the tar goes and
 * which name its top entry takes), and the two streams, each run in a
 * thread of its own on one end of a pipe so that nothing is held whole:
 * a tar from the daemon extracted under a local directory as it arrives,
 * and a tar of a local path built as the daemon reads it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* docker's errors of a copy plan, worded as its pkg/archive words them. */
#define BERTH_CP_ERR_NOT_DIR "not a directory"
#define BERTH_CP_ERR_DIR_NOT_EXISTS "no such directory"
#define BERTH_CP_ERR_CANNOT_COPY_DIR "cannot copy directory"

/* docker's archive.CopyInfo. */
struct berth_cp_info {
	const char *path;
	bool exists, is_dir;
	const char *rebase_name; /* NULL: none */
};

/* Where a copy's tar is extracted, and the rename of its top entry from
 * the source's own base name (old_base NULL: the names are kept): docker's
 * two renames (to the rebase name, then to the destination's) in one. */
struct berth_cp_plan {
	char *dir;
	char *old_base, *new_base;
};
void berth_cp_plan_clear(struct berth_cp_plan *p);

/* docker's PrepareArchiveCopy. */
int berth_cp_prepare(const struct berth_cp_info *src, const struct berth_cp_info *dst, struct berth_cp_plan *ret,
		     struct berth_error *err);

/* ---- paths, with Go's filepath semantics ---- */

/* filepath.Clean, malloc'd (NULL: out of memory). */
char *berth_cp_clean(const char *path);
/* The path ends with "/" or "/." (or is "."): docker's assertsDirectory. */
bool berth_cp_asserts_dir(const char *path);
/* The last element is ".". */
bool berth_cp_current_dir(const char *path);
/* SplitPathDirEntry: Clean'd dir and base, "." kept as the base of "x/.". */
int berth_cp_split(const char *path, char **dir, char **base, struct berth_error *err);
/* filepath.Join(dir, name) cleaned, malloc'd. */
char *berth_cp_join(const char *dir, const char *name);
/* GetRebaseName: the resolved path keeps path's trailing "/" or "/.", and
 * the name to rebase to when the last element changed (NULL: none). */
int berth_cp_rebase_name(const char *path, const char *resolved, char **ret_path, char **ret_rebase,
			 struct berth_error *err);

/* ---- the streams ---- */

/* Extraction of the tar read from fd: the plan is made when its first
 * entry (the copied path itself) says whether the source is a directory. */
struct berth_cp_extract {
	int fd;
	struct berth_cp_info src, dst;
	uint64_t bytes; /* read from fd */
	int r;
	struct berth_error err;
};
void *berth_cp_extract_thread(void *arg);

/* A tar of path written to fd, closed at the end: its top entry is named
 * top, and the entries keep the local files' uid and gid. */
struct berth_cp_build {
	int fd;
	const char *path;
	const char *top;
	uint64_t bytes; /* written to fd */
	int r;
	struct berth_error err;
};
void *berth_cp_build_thread(void *arg);
