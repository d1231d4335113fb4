/* Copying a directory tree between descriptors, keeping what a filesystem
 * image needs: types, modes, owners, times, symlinks, device nodes. */
#pragma once

#include "error.h"

enum berth_copy_flags {
	/* Extended attributes too (security.capability, trusted.overlay.*,
	 * user.*): what an image layer's files carry. */
	BERTH_COPY_XATTRS = 1 << 0,
	/* Files linked more than once stay one inode with several names. */
	BERTH_COPY_HARDLINKS = 1 << 1,
};

/* Copy the contents of srcdirfd into dstdirfd (both directories). */
int berth_copy_tree(int srcdirfd, int dstdirfd, struct berth_error *err);
int berth_copy_tree_flags(int srcdirfd, int dstdirfd, unsigned flags, struct berth_error *err);
