/* Copying a directory tree between descriptors, keeping what a filesystem
 * image needs: types, modes, owners, times, symlinks, device nodes. */
#pragma once

#include "error.h"

/* Copy the contents of srcdirfd into dstdirfd (both directories). */
int berth_copy_tree(int srcdirfd, int dstdirfd, struct berth_error *err);
