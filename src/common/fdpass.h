/* Passing descriptors over unix sockets (SCM_RIGHTS). */
#pragma once

#include <stddef.h>

#include "error.h"

/* Send fd with `data` (at least one byte: an empty payload is sent as "\0"). */
int berth_send_fd(int sock, int fd, const void *data, size_t len, struct berth_error *err);

/* Receive one fd (O_CLOEXEC) and up to `size` bytes of payload. */
int berth_recv_fd(int sock, int *ret_fd, void *data, size_t size, size_t *ret_len, struct berth_error *err);

/* Connect a SOCK_STREAM unix socket to path; paths longer than sun_path are
 * reached through an O_PATH descriptor of their directory. */
int berth_unix_connect(const char *path, struct berth_error *err);
