/* Who a container's process runs as: docker's `--user name|uid[:group|gid]`
 * and `--group-add`, resolved against the image's own /etc/passwd and
 * /etc/group, as dockerd does (never the host's).
 *
 *   ""          uid 0, gid 0 (root's entry, if any, gives the home)
 *   "name"      the passwd entry; an unknown name is an error
 *   "1000"      that uid, with its passwd entry's gid if there is one, else 0
 *   "u:g"       g by name or number replaces the entry's gid; no other
 *               groups are added then
 *   otherwise   the groups of /etc/group that list the user's name are the
 *               supplementary groups; --group-add entries follow them
 *
 * The parsing works on the files' text, so that it can be tested and fuzzed
 * without a root file system.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Larger passwd or group files are refused: they come from the image. */
#define BERTH_USERDB_FILE_MAX (4u << 20)
#define BERTH_USERDB_GROUPS_MAX 256

struct berth_exec_user {
	uid_t uid;
	gid_t gid;
	gid_t sgids[BERTH_USERDB_GROUPS_MAX];
	size_t n_sgids;
	char *home; /* malloc'ed; "/" when the entry has none */
};

void berth_exec_user_clear(struct berth_exec_user *u);
#define _cleanup_exec_user_ __attribute__((cleanup(berth_exec_user_clear)))

/* passwd and group are the files' contents (NULL: the file is missing). */
int berth_userdb_resolve(const char *passwd, const char *group, const char *user, const char *const *group_add,
			 struct berth_exec_user *ret, struct berth_error *err);

/* The same, reading etc/passwd and etc/group inside rootfd (never following
 * a symlink out of it); rootname names the root in messages. */
int berth_userdb_resolve_in_root(int rootfd, const char *rootname, const char *user, const char *const *group_add,
				 struct berth_exec_user *ret, struct berth_error *err);
