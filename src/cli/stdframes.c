#include "stdframes.h"

#include <errno.h>
#include <string.h>

#define STREAM_SYSTEMERR 3

static int frame_start(struct berth_stdframes *f, struct berth_error *err)
{
	f->stream = f->head[0];
	f->left = (uint32_t) f->head[4] << 24 | (uint32_t) f->head[5] << 16 | (uint32_t) f->head[6] << 8 |
		  (uint32_t) f->head[7];
	f->head_len = 0;
	f->error_len = 0;
	if (f->stream > STREAM_SYSTEMERR)
		return berth_error_set(err, EIO, "Unrecognized input header: %d", f->stream);
	return 0;
}

static int frame_end(struct berth_stdframes *f, struct berth_error *err)
{
	if (f->stream != STREAM_SYSTEMERR)
		return 0;
	return berth_error_set(err, EIO, "error from daemon in stream: %.*s", (int) f->error_len, f->error);
}

int berth_stdframes_feed(struct berth_stdframes *f, const char *data, size_t len, berth_stdframes_cb cb, void *userdata,
			 struct berth_error *err)
{
	int r;
	while (len > 0) {
		if (f->left == 0 && f->head_len < sizeof(f->head)) {
			size_t n = sizeof(f->head) - f->head_len;
			n = n < len ? n : len;
			memcpy(f->head + f->head_len, data, n);
			f->head_len += n;
			data += n;
			len -= n;
			if (f->head_len < sizeof(f->head))
				return 0;
			if ((r = frame_start(f, err)) < 0)
				return r;
			if (f->left == 0 && (r = frame_end(f, err)) < 0)
				return r;
			continue;
		}
		size_t n = f->left < len ? f->left : len;
		if (f->stream == STREAM_SYSTEMERR) {
			size_t keep = sizeof(f->error) - f->error_len;
			keep = keep < n ? keep : n;
			memcpy(f->error + f->error_len, data, keep);
			f->error_len += keep;
		} else {
			int stream =
				f->stream == BERTH_STDFRAMES_STDERR ? BERTH_STDFRAMES_STDERR : BERTH_STDFRAMES_STDOUT;
			if ((r = cb(userdata, stream, data, n, err)) < 0)
				return r;
		}
		f->left -= (uint32_t) n;
		data += n;
		len -= n;
		if (f->left == 0 && (r = frame_end(f, err)) < 0)
			return r;
	}
	return 0;
}
