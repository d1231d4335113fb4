#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

void berth_mount_flags_to_attr(unsigned long flags, uint64_t *ret_set, uint64_t *ret_clr)
{
	uint64_t set = 0, clr = 0;

	if (flags & MS_RDONLY)
		set |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		set |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		set |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		set |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_NODIRATIME)
		set |= MOUNT_ATTR_NODIRATIME;
	if (flags & MS_NOSYMFOLLOW)
		set |= MOUNT_ATTR_NOSYMFOLLOW;
	if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		clr |= MOUNT_ATTR__ATIME;
		/* mount(2)'s precedence: strictatime, then noatime, then relatime. */
		if (flags & MS_STRICTATIME)
			set |= MOUNT_ATTR_STRICTATIME;
		else if (flags & MS_NOATIME)
			set |= MOUNT_ATTR_NOATIME;
		else
			set |= MOUNT_ATTR_RELATIME;
	}
	*ret_set = set;
	*ret_clr = clr;
}

static bool kernel_lacks_setattr;

/* Without mount_setattr (Linux < 5.12), remount through the mount's own
 * descriptor: it names exactly this mount, however the tree looks. */
static int remount_fallback(int mntfd, uint64_t set, const char *what, struct berth_error *err)
{
	unsigned long flags = MS_REMOUNT | MS_BIND;
	char path[64];

	if (set & MOUNT_ATTR_RDONLY)
		flags |= MS_RDONLY;
	if (set & MOUNT_ATTR_NOSUID)
		flags |= MS_NOSUID;
	if (set & MOUNT_ATTR_NODEV)
		flags |= MS_NODEV;
	if (set & MOUNT_ATTR_NOEXEC)
		flags |= MS_NOEXEC;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mntfd);
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		return berth_error_sys(err, errno, "remount %s", what);
	return 0;
}

int berth_mount_setattr(int mntfd, bool recursive, uint64_t set, uint64_t clr, const char *what,
			struct berth_error *err)
{
	struct mount_attr attr = { .attr_set = set, .attr_clr = clr };

	if (set == 0 && clr == 0)
		return 0;
	if (!kernel_lacks_setattr) {
		if (mount_setattr(mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) == 0)
			return 0;
		if (errno != ENOSYS)
			return berth_error_sys(err, errno, "set mount attributes of %s", what);
		kernel_lacks_setattr = true;
	}
	if (recursive)
		return berth_error_set(err, ENOSYS,
				       "set mount attributes of %s: recursive mount options need mount_setattr "
				       "(Linux 5.12 or newer)",
				       what);
	return remount_fallback(mntfd, set, what, err);
}

int berth_mount_propagation(int mntfd, unsigned long flags, const char *what, struct berth_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", mntfd);
	if (!kernel_lacks_setattr) {
		struct mount_attr attr = { .propagation = flags & ~(unsigned long) MS_REC };
		if (mount_setattr(mntfd, "", AT_EMPTY_PATH | ((flags & MS_REC) ? AT_RECURSIVE : 0), &attr,
				  sizeof(attr)) == 0)
			return 0;
		if (errno != ENOSYS)
			return berth_error_sys(err, errno, "set propagation of %s", what);
		kernel_lacks_setattr = true;
	}
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		return berth_error_sys(err, errno, "set propagation of %s", what);
	return 0;
}

/* Split "a=1,b,c=\"x,y\"" and feed each option to fsconfig. */
static int configure_data(int fsfd, const char *type, const char *data, struct berth_error *err)
{
	_cleanup_free_ char *copy = strdup(data);
	char *p = copy;

	if (copy == NULL)
		return berth_error_sys(err, ENOMEM, "mount %s", type);
	while (p && *p) {
		char *start = p, *eq;
		bool quoted = false;

		for (; *p; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ',' && !quoted)
				break;
		}
		if (*p)
			*p++ = '\0';
		else
			p = NULL;
		if (*start == '\0')
			continue;
		eq = strchr(start, '=');
		if (eq) {
			*eq = '\0';
			if (fsconfig(fsfd, FSCONFIG_SET_STRING, start, eq + 1, 0) < 0)
				return berth_error_sys(err, errno, "mount %s: option %s=%s", type, start, eq + 1);
		} else if (fsconfig(fsfd, FSCONFIG_SET_FLAG, start, NULL, 0) < 0) {
			return berth_error_sys(err, errno, "mount %s: option %s", type, start);
		}
	}
	return 0;
}

/* Superblock flags that fsconfig takes by name; per-mount flags go to fsmount. */
static int configure_sb_flags(int fsfd, const char *type, unsigned long flags, struct berth_error *err)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} sb_flags[] = {
		{ MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_MANDLOCK, "mand" }, { MS_LAZYTIME, "lazytime" },
	};

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(sb_flags); i++)
		if ((flags & sb_flags[i].flag) &&
		    fsconfig(fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
			return berth_error_sys(err, errno, "mount %s: option %s", type, sb_flags[i].name);
	return 0;
}

/* The kernel explains a failed fsconfig in the fs context's log. */
static int explain_create_failure(int fsfd, const struct berth_mount_req *req, int code, struct berth_error *err)
{
	char msg[512];
	ssize_t n = read(fsfd, msg, sizeof(msg) - 1);

	if (n > 2) {
		msg[n] = '\0';
		if (msg[n - 1] == '\n')
			msg[n - 1] = '\0';
		return berth_error_set(err, code, "mount %s on %s: %s (%s)", req->fstype, req->what, strerror(code),
				       msg + 2);
	}
	return berth_error_sys(err, code, "mount %s on %s", req->fstype, req->what);
}

static int new_fs(const struct berth_mount_req *req, struct berth_error *err)
{
	_cleanup_close_ int fsfd = -1;
	uint64_t set, clr;
	int mntfd, r;

	fsfd = fsopen(req->fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		if (errno == ENOSYS)
			return berth_error_set(err, ENOSYS,
					       "mount %s on %s: the kernel lacks fsopen (Linux 5.2 or newer is needed)",
					       req->fstype, req->what);
		return berth_error_sys(err, errno, "mount %s on %s", req->fstype, req->what);
	}
	if (req->source && req->source[0] && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", req->source, 0) < 0)
		return berth_error_sys(err, errno, "mount %s on %s: source %s", req->fstype, req->what, req->source);
	if (req->data && (r = configure_data(fsfd, req->fstype, req->data, err)) < 0)
		return berth_error_wrap(err, "on %s", req->what);
	if ((r = configure_sb_flags(fsfd, req->fstype, req->flags, err)) < 0)
		return berth_error_wrap(err, "on %s", req->what);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return explain_create_failure(fsfd, req, errno, err);
	berth_mount_flags_to_attr(req->flags, &set, &clr);
	/* fsmount takes the atime mode as a value inside the set bits. */
	mntfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned int) set);
	if (mntfd < 0)
		return berth_error_sys(err, errno, "mount %s on %s", req->fstype, req->what);
	return mntfd;
}

static int clone_tree(const struct berth_mount_req *req, struct berth_error *err)
{
	int tree = open_tree(req->srcfd, "",
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (req->recursive_bind ? AT_RECURSIVE : 0));

	if (tree < 0) {
		if (errno == ENOSYS)
			return berth_error_set(err, ENOSYS,
					       "bind mount on %s: the kernel lacks open_tree (Linux 5.2 or newer is needed)",
					       req->what);
		return berth_error_sys(err, errno, "bind mount on %s", req->what);
	}
	return tree;
}


int berth_mount_make(const struct berth_mount_req *req, int targetfd, struct berth_error *err)
{
	_cleanup_close_ int mnt = -1;
	uint64_t set = 0, clr = 0;
	bool deferred = false;
	int r;

	mnt = req->fstype ? new_fs(req, err) : clone_tree(req, err);
	if (mnt < 0)
		return mnt;
	if (!req->fstype) {
		/* A bind takes its flags now, before anyone can see it. */
		berth_mount_flags_to_attr(req->flags, &set, &clr);
		if (kernel_lacks_setattr)
			deferred = set != 0;
		else if ((r = berth_mount_setattr(mnt, false, set, clr, req->what, err)) < 0)
			return r;
	}
	if ((req->rec_set || req->rec_clr) &&
	    (r = berth_mount_setattr(mnt, true, req->rec_set, req->rec_clr, req->what, err)) < 0)
		return r;
	if (req->copyup_fromfd >= 0 && (r = berth_copy_tree(req->copyup_fromfd, mnt, err)) < 0)
		return berth_error_wrap(err, "tmpcopyup into %s", req->what);
	if (move_mount(mnt, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_error_sys(err, errno, "mount %s on %s", req->fstype ? req->fstype : "bind", req->what);
	if (deferred && (r = remount_fallback(mnt, set, req->what, err)) < 0)
		return r;
	for (size_t i = 0; i < req->n_propagation; i++)
		if ((r = berth_mount_propagation(mnt, req->propagation[i], req->what, err)) < 0)
			return r;
	return berth_steal_fd(&mnt);
}
