#include "progress.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jsonstream.h"

struct progress_state {
	const struct berth_progress_options *opts;
	struct berth_jsondisplay display;
};

/* term.GetWinsize, with docker's 200 columns when the terminal won't say. */
static int terminal_width(int fd)
{
	struct winsize ws;
	if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return 200;
	return ws.ws_col;
}

static int on_message(void *userdata, const struct berth_jsonmessage *m, struct berth_error *err)
{
	struct progress_state *st = userdata;
	const struct berth_progress_options *o = st->opts;
	int r;

	if (m->aux) {
		return o->aux ? o->aux(o->userdata, m->aux, err) : 0;
	}
	if (!o->out) {
		/* quiet: nothing shown, but an error still ends the pull */
		return m->has_error ? berth_error_set(err, EIO, "%s", m->error_message) : 0;
	}
	if (st->display.terminal)
		st->display.width = terminal_width(o->out_fd);
	r = berth_jsondisplay_message(&st->display, m, o->out, err);
	fflush(o->out);
	return r;
}

int berth_progress_run(struct berth_client *c, const struct berth_request *req,
		       const struct berth_progress_options *opts, struct berth_error *err)
{
	struct progress_state st = { .opts = opts };
	bool terminal = opts->out && opts->out_fd >= 0 && isatty(opts->out_fd);

	berth_jsondisplay_init(&st.display, terminal, terminal ? terminal_width(opts->out_fd) : 200);
	int r = berth_client_stream(c, req, on_message, &st, err);
	berth_jsondisplay_clear(&st.display);
	if (opts->out)
		fflush(opts->out);
	return r;
}
