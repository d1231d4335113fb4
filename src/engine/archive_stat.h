/* docker cp's X-Docker-Container-Path-Stat header: base64 of the JSON
 * {name, size, mode, mtime, linkTarget} that dockerd sends with the archive
 * of a path (and alone, for HEAD).  Pure, for the unit tests: the mode is
 * Go's os.FileMode, whose type bits are not the kernel's, and the docker
 * CLI decides from them whether the path is a directory or a symlink. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "error.h"

/* Go's os.FileMode of st_mode: permission bits, setuid/setgid/sticky and
 * the type in Go's own bits (ModeDir 1<<31, ModeSymlink 1<<27, ...). */
uint32_t berth_go_file_mode(mode_t mode);

/* The stat object; link_target "" unless a symlink (dockerd gives its
 * target resolved inside the container, absolute). */
json_t *berth_archive_stat_json(const char *name, const struct stat *st, const char *link_target);

/* The header's value: base64 of the object's compact JSON. */
int berth_archive_stat_header(const char *name, const struct stat *st, const char *link_target, char **ret,
			      struct berth_error *err);

/* Go's filepath.Clean("/" + path): absolute, no ".", "..", or repeated or
 * trailing slashes ("/" for nothing left); -ENAMETOOLONG when it does not
 * fit in size. */
int berth_archive_clean_path(const char *path, char *out, size_t size);

struct berth_unpack_options;
/* PUT's extraction: the archive read from src_fd (plain, gzip or zstd)
 * into directory dirfd, never outside it (engine_archive.c; fuzzed). */
int berth_archive_extract(int dirfd, int src_fd, const struct berth_unpack_options *opts, struct berth_error *err);
