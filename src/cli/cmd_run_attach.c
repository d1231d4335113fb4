/* The attached session of berth run, start -a and attach: the hijacked
 * connection's output demultiplexed onto stdout and stderr (raw with a
 * tty), stdin copied in and half-closed at its end, the terminal raw while
 * it feeds a container's tty, its size sent on SIGWINCH, signals forwarded
 * to the container, the detach keys (cli/command/container/hijack.go,
 * tty.go, signals.go).
 *
 * One thread and one poll loop: the socket, stdin, and a signalfd for the
 * signals the session handles (blocked while it runs).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "run.h"
#include "signals.h"
#include "stdframes.h"

/* ---- the terminal ---- */

static struct termios saved_termios;
static bool termios_saved;

static void terminal_restore(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
		termios_saved = false;
	}
}

/* docker's term.MakeRaw on stdin, undone at exit whatever happens. */
static void terminal_make_raw(void)
{
	static bool registered;
	struct termios raw;
	if (termios_saved || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	raw = saved_termios;
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (!registered) {
		atexit(terminal_restore);
		registered = true;
	}
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
		termios_saved = true;
}

void berth_tty_size(int *rows, int *cols)
{
	struct winsize ws = { 0 };
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		ws.ws_row = ws.ws_col = 0;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

/* POST /containers/ID/resize or, for an exec's tty, /exec/ID/resize. */
static int resize_once(struct berth_client *c, bool exec, const char *id, int delta, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	char h[16], w[16];
	int rows, cols;
	berth_tty_size(&rows, &cols);
	if (rows == 0 && cols == 0)
		return 0;
	snprintf(h, sizeof(h), "%d", rows + delta);
	snprintf(w, sizeof(w), "%d", cols + delta);
	berth_path_init(&p, exec ? "/exec/" : "/containers/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/resize");
	berth_path_query(&p, "h", h);
	berth_path_query(&p, "w", w);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_client_do_json(c, &(struct berth_request){ .method = "POST", .path = path }, NULL, err);
	/* a 404 that names no container or exec: a daemon without resize */
	return r == -ENOENT && !strstr(err->msg, "No such ") ? 0 : r;
}

void berth_tty_resize(struct berth_client *c, const char *id, int delta)
{
	struct berth_error err = { 0 };
	resize_once(c, false, id, delta, &err);
}

/* An exec that ended (or never started) has no tty left to size. */
static bool exec_gone(struct berth_client *c, const char *id)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	struct berth_error err = { 0 };
	berth_path_init(&p, "/exec/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/json");
	const char *path = berth_path_get(&p, &err);
	if (!path || berth_client_do_json(c, &(struct berth_request){ .path = path }, &doc, &err) < 0)
		return true;
	return json_is_integer(json_object_get(doc, "ExitCode"));
}

static void resize_started(struct berth_client *c, bool exec, const char *id)
{
	struct berth_error err = { 0 };
	for (int retry = 0; resize_once(c, exec, id, 0, &err) < 0; retry++) {
		/* docker retries beside the stream, which ends first: no word then */
		if (exec && exec_gone(c, id))
			return;
		if (retry == 10) {
			fprintf(stderr, "failed to resize tty, using default size\n");
			return;
		}
		nanosleep(&(struct timespec){ .tv_nsec = (retry + 1) * 10 * 1000000L }, NULL);
	}
}

void berth_tty_resize_started(struct berth_client *c, const char *id)
{
	resize_started(c, false, id);
}

void berth_exec_resize_started(struct berth_client *c, const char *exec_id)
{
	resize_started(c, true, exec_id);
}

/* ---- opening the connections ---- */

int berth_attach_open(struct berth_client *c, const char *id, bool in, bool out, bool err_, struct berth_conn **ret,
		      struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_conn_ struct berth_conn *conn = NULL;
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/attach");
	berth_path_query(&p, "stream", "1");
	if (in)
		berth_path_query(&p, "stdin", "1");
	if (out)
		berth_path_query(&p, "stdout", "1");
	if (err_)
		berth_path_query(&p, "stderr", "1");
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_conn_open(c, &conn, err);
	if (r == 0)
		r = berth_conn_request(conn, "POST", path, NULL, true, err);
	if (r < 0)
		return r;
	if (berth_conn_status(conn) != 101 && berth_conn_status(conn) != 200)
		return berth_error_set(err, EPROTO, "Error response from daemon: attach answered %ld",
				       berth_conn_status(conn));
	*ret = berth_steal_ptr(&conn);
	return 0;
}

int berth_wait_open(struct berth_client *c, const char *id, const char *condition, struct berth_conn **ret,
		    struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_conn_ struct berth_conn *conn = NULL;
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, id);
	berth_path_append(&p, "/wait");
	if (condition && *condition)
		berth_path_query(&p, "condition", condition);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	int r = berth_conn_open(c, &conn, err);
	if (r == 0)
		r = berth_conn_request(conn, "POST", path, NULL, false, err);
	if (r < 0)
		return r;
	*ret = berth_steal_ptr(&conn);
	return 0;
}

int berth_wait_result(struct berth_conn *conn, int *ret_status, struct berth_error *err)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_json_ json_t *j = NULL;
	size_t len = 0;
	int r = berth_conn_read_all(conn, 1024 * 1024, &body, &len, err);
	if (r == 0)
		r = bjson_parse(body, len, "the daemon's answer", &j, err);
	if (r < 0) {
		fprintf(stderr, "error waiting for container: %s\n", err->msg);
		*ret_status = 125;
		return 0;
	}
	const char *msg = json_string_value(json_object_get(json_object_get(j, "Error"), "Message"));
	if (msg && *msg) {
		fprintf(stderr, "Error waiting for container: %s\n", msg);
		*ret_status = 125;
		return 0;
	}
	*ret_status = (int) json_integer_value(json_object_get(j, "StatusCode"));
	return 0;
}

int berth_start_error_status(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "system cannot find the file specified"))
		return 127;
	if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
		return 126;
	return 125;
}

/* ---- the session ---- */

/* The signals a session handles. */
static const int session_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct session {
	struct berth_client *c;
	struct berth_conn *conn;
	const struct berth_stream_opts *o;
	struct berth_stdframes frames;
	int sfd;
	sigset_t old_mask;
	struct sigaction old_actions[BERTH_ARRAY_SIZE(session_sigs)];
	bool actions_saved;
	bool in_open, in_eof, out_open, detached;
	char pending[32768]; /* stdin bytes not sent yet */
	size_t pending_off, pending_len;
	size_t detach_match;
};

static int write_all(int fd, const char *data, size_t len, struct berth_error *err)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "write");
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

static int on_frame(void *userdata, int stream, const char *data, size_t len, struct berth_error *err)
{
	(void) userdata;
	return write_all(stream == BERTH_STDFRAMES_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, len, err);
}

static int handle_output(struct session *s, struct berth_error *err)
{
	char buf[32768];
	ssize_t n = berth_conn_read(s->conn, buf, sizeof(buf), err);
	if (n <= 0) {
		/* the end of the container's output: give the terminal back first */
		s->out_open = false;
		terminal_restore();
		return (int) n;
	}
	if (s->o->tty)
		return write_all(STDOUT_FILENO, buf, (size_t) n, err);
	return berth_stdframes_feed(&s->frames, buf, (size_t) n, on_frame, s, err);
}

static void queue_input(struct session *s, const char *data, size_t len)
{
	memcpy(s->pending + s->pending_len, data, len);
	s->pending_len += len;
}

/* stdin bytes through docker's escape proxy: the detach keys are held back
 * while they match, and end the session when all came. */
static void filter_input(struct session *s, const char *buf, size_t n)
{
	static const unsigned char dflt[] = { 16, 17 }; /* ctrl-p, ctrl-q */
	const unsigned char *keys = s->o->n_detach_keys ? s->o->detach_keys : dflt;
	size_t nkeys = s->o->n_detach_keys ? s->o->n_detach_keys : sizeof(dflt);
	bool escape = s->o->tty;

	for (size_t i = 0; i < n && !s->detached; i++) {
		unsigned char b = (unsigned char) buf[i];
		if (escape && b == keys[s->detach_match]) {
			if (++s->detach_match == nkeys)
				s->detached = true;
			continue;
		}
		if (s->detach_match > 0) {
			queue_input(s, (const char *) keys, s->detach_match);
			s->detach_match = 0;
			if (escape && b == keys[0]) {
				s->detach_match = 1;
				continue;
			}
		}
		queue_input(s, (const char *) &b, 1);
	}
}

static void input_done(struct session *s)
{
	s->in_open = false;
	shutdown(berth_conn_fd(s->conn), SHUT_WR);
	terminal_restore();
}

static void handle_stdin(struct session *s)
{
	char buf[sizeof(s->pending) / 2 - BERTH_DETACH_KEYS_MAX];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* its end, or a stdin that cannot be read: the same to the container */
		s->in_eof = true;
		if (s->pending_len == s->pending_off)
			input_done(s);
		return;
	}
	s->pending_off = s->pending_len = 0;
	filter_input(s, buf, (size_t) n);
}

static void flush_input(struct session *s)
{
	ssize_t n = send(berth_conn_fd(s->conn), s->pending + s->pending_off, s->pending_len - s->pending_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* the container's stdin went away; its output tells the rest */
		s->in_open = false;
		s->pending_off = s->pending_len = 0;
		return;
	}
	s->pending_off += (size_t) n;
	if (s->pending_off == s->pending_len && s->in_eof)
		input_done(s);
}

static void forward_signal(struct session *s, int sig)
{
	struct berth_error err = { 0 };
	_cleanup_path_ struct berth_path p = { 0 };
	const char *name = berth_signal_name(sig);
	char num[16];
	snprintf(num, sizeof(num), "%d", sig);
	if (name && !strncmp(name, "SIG", 3))
		name += 3;
	berth_path_init(&p, "/containers/");
	berth_path_segment(&p, s->o->id);
	berth_path_append(&p, "/kill");
	berth_path_query(&p, "signal", name ? name : num);
	const char *path = berth_path_get(&p, &err);
	if (path)
		berth_client_do_json(s->c, &(struct berth_request){ .method = "POST", .path = path }, NULL, &err);
}

static void handle_signal(struct session *s)
{
	struct signalfd_siginfo si;
	if (read(s->sfd, &si, sizeof(si)) != sizeof(si))
		return;
	int sig = (int) si.ssi_signo;
	if (sig == SIGWINCH) {
		if (s->o->monitor_size) {
			struct berth_error ignored = { 0 };
			resize_once(s->c, s->o->exec, s->o->id, 0, &ignored);
		}
		return;
	}
	if (s->o->sig_proxy) {
		forward_signal(s, sig);
		return;
	}
	/* not ours to forward: die of it, as docker would, the terminal back */
	terminal_restore();
	signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	raise(sig);
}

/* The signals blocked and read from a signalfd; one that was ignored (as a
 * shell ignores SIGINT for what it runs in the background) is taken too,
 * as docker's signal.Notify does. */
static int session_signals(struct session *s, struct berth_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(session_sigs); i++)
		sigaddset(&set, session_sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, &s->old_mask) < 0)
		return berth_error_sys(err, errno, "sigprocmask");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(session_sigs); i++)
		sigaction(session_sigs[i], &(struct sigaction){ .sa_handler = SIG_DFL }, &s->old_actions[i]);
	s->actions_saved = true;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0)
		return berth_error_sys(err, errno, "signalfd");
	return 0;
}

/* One round of the loop. */
static int session_step(struct session *s, struct berth_error *err)
{
	bool sending = s->pending_off < s->pending_len;
	struct pollfd p[3] = {
		{ .fd = berth_conn_fd(s->conn),
		  .events = (short) ((s->out_open ? POLLIN : 0) | (sending ? POLLOUT : 0)) },
		{ .fd = s->in_open && !sending && !s->in_eof ? STDIN_FILENO : -1, .events = POLLIN },
		{ .fd = s->sfd, .events = POLLIN },
	};
	if (s->out_open && berth_conn_buffered(s->conn) > 0)
		return handle_output(s, err);
	if (poll(p, 3, -1) < 0)
		return errno == EINTR ? 0 : berth_error_sys(err, errno, "poll");
	int r = 0;
	if (p[2].revents)
		handle_signal(s);
	if (!s->out_open && (p[0].revents & (POLLHUP | POLLERR)))
		s->in_open = false; /* no output attached, and the daemon hung up */
	if (s->out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		r = handle_output(s, err);
	if (r == 0 && sending && (p[0].revents & POLLOUT))
		flush_input(s);
	if (r == 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
		handle_stdin(s);
	if (r == 0 && !s->detached && s->in_open && s->pending_off < s->pending_len)
		flush_input(s);
	return r;
}

int berth_stream_run(struct berth_client *c, struct berth_conn *conn, const struct berth_stream_opts *o,
		     struct berth_error *err)
{
	struct session s = { .c = c, .conn = conn, .o = o, .sfd = -1, .in_open = o->in, .out_open = o->out };
	int r;

	fflush(stdout);
	fflush(stderr);
	if (o->in && o->tty && isatty(STDIN_FILENO))
		terminal_make_raw();
	if (!o->in)
		shutdown(berth_conn_fd(conn), SHUT_WR);
	r = session_signals(&s, err);
	while (r == 0 && !s.detached && (s.out_open || (!o->out && s.in_open)))
		r = session_step(&s, err);
	terminal_restore();
	if (s.sfd >= 0)
		close(s.sfd);
	for (size_t i = 0; s.actions_saved && i < BERTH_ARRAY_SIZE(session_sigs); i++)
		sigaction(session_sigs[i], &s.old_actions[i], NULL);
	sigprocmask(SIG_SETMASK, &s.old_mask, NULL);
	if (r < 0)
		return r;
	return s.detached ? BERTH_STREAM_DETACHED : 0;
}
