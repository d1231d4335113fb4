/* The multiplexed streams of the Engine API (docker's stdcopy): what
 * `attach` and `logs` send for a container without a terminal.  Each frame
 * is an 8-byte header [STREAM, 0, 0, 0, SIZE as big-endian 32 bits] and
 * SIZE bytes of the stream: 0 stdin and 1 stdout (both shown on stdout),
 * 2 stderr, 3 an error of the daemon's (docker ends the copy with it).
 *
 * The reader takes the bytes in whatever pieces the socket gives and hands
 * each frame's payload on as it comes, without waiting for the frame's end
 * (only the daemon's error is collected whole).  Pure logic, for the unit
 * tests and the fuzzer.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BERTH_STDFRAMES_STDOUT 1
#define BERTH_STDFRAMES_STDERR 2
/* The most of the daemon's error text kept. */
#define BERTH_STDFRAMES_ERROR_MAX 4096

struct berth_stdframes {
	unsigned char head[8];
	size_t head_len;
	uint32_t left; /* of the current frame's payload */
	int stream;    /* of the current frame */
	char error[BERTH_STDFRAMES_ERROR_MAX];
	size_t error_len;
};

/* stream: BERTH_STDFRAMES_STDOUT or _STDERR.  A negative return stops the
 * feed and is passed on. */
typedef int (*berth_stdframes_cb)(void *userdata, int stream, const char *data, size_t len, struct berth_error *err);

/* Feed the next bytes.  -EIO for a frame of the daemon's error ("error from
 * daemon in stream: TEXT") or an unknown stream ("Unrecognized input
 * header: N"), as docker's StdCopy. */
int berth_stdframes_feed(struct berth_stdframes *f, const char *data, size_t len, berth_stdframes_cb cb, void *userdata,
			 struct berth_error *err);
