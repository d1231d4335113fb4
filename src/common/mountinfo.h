/* /proc/self/mountinfo, parsed once for every reader: the fields split and
 * the octal escapes (\040 for a space...) of paths decoded. */
#pragma once

#include <stdbool.h>

#include "error.h"

struct berth_mountinfo_entry {
	const char *root;        /* the path inside the filesystem shown at the mount point */
	const char *mountpoint;
	const char *options;     /* per-mount options */
	const char *fstype;
	const char *source;
	const char *superopts;   /* per-superblock options */
};

/* Parse one line in place; false when it is not a well-formed entry. */
bool berth_mountinfo_parse_line(char *line, struct berth_mountinfo_entry *ret);

/* Call fn for every entry of /proc/self/mountinfo, in order; a negative
 * return from fn stops the walk and is returned. */
int berth_mountinfo_foreach(int (*fn)(const struct berth_mountinfo_entry *e, void *ctx), void *ctx,
			    struct berth_error *err);
