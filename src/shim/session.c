/* A process's stdio as the shim holds it (see shim.h: struct session).
 *
 * Without a terminal: three pipes.  The runtime gets the far ends as its own
 * stdio and passes them to the process (runc's "pass-through" mode), the
 * shim keeps the read ends of stdout and stderr and, with --stdin, the write
 * end of stdin; without --stdin the process's stdin is /dev/null, as docker
 * gives a container without OpenStdin.  With a terminal: the runtime is
 * given --console-socket, the pty master arrives over it (SCM_RIGHTS) and is
 * both the output (one stream, docker's stdout) and the input.
 *
 * The streams are watched only once the runtime's command succeeded: if it
 * fails, what it wrote on the process's stderr is its error message, read
 * from the pipe by runtime.c.
 *
 * After the process exits its streams are read until they end (EOF; EIO for
 * a pty whose slave is closed) or until SHIM_DRAIN_MS passed, since a
 * daemonized grandchild may hold them open for ever.  Then the exit is
 * recorded and the session is finished: exit file, `wait` replies, EOF to the
 * attachers.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "file.h"
#include "proc.h"
#include "shim_log.h"

const char *session_name(const struct session *s, char *buf, size_t size)
{
	if (s->exec_id)
		snprintf(buf, size, "exec session %s", s->exec_id);
	else
		snprintf(buf, size, "container %s", s->shim->opt.id);
	return buf;
}

static bool is_container(const struct session *s)
{
	return s == &s->shim->container;
}

static void stream_end(struct session *s, struct stream *st)
{
	struct shim *shim = s->shim;

	if (is_container(s) && shim->log)
		jsonlog_flush(shim->log, &st->line, st->id == 1 ? "stdout" : "stderr", shim_now_unix_ns());
	if (st->watch.fd == s->pty_master) {
		/* The pty has no process left on its slave side: nothing to
		 * resize, and input would go nowhere. */
		s->pty_master = -1;
		session_close_stdin(s);
	}
	shim_watch_close(shim, &st->watch);
}

static void on_stream(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct stream *st = shim_container_of(w, struct stream, watch);
	struct session *s = st->session;
	ssize_t n;

	(void) events;
	n = read(w->fd, shim->iobuf, SHIM_IOBUF_SIZE);
	if (n > 0) {
		if (is_container(s) && shim->log)
			jsonlog_feed(shim->log, &st->line, st->id == 1 ? "stdout" : "stderr", shim->iobuf, (size_t) n,
				     shim_now_unix_ns());
		attach_output(s, st->id, shim->iobuf, (size_t) n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	stream_end(s, st);
	session_check_drain(s, shim_now_ms());
}

static void on_stdin(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct session *s = shim_container_of(w, struct session, stdin_watch);

	(void) shim;
	if (events & EPOLLERR) {
		/* The process closed its stdin: what the clients send is moot. */
		session_close_stdin(s);
		return;
	}
	attach_stdin_unblocked(s);
}

static void on_console(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct session *s = shim_container_of(w, struct session, console_listener);
	struct berth_error err = { 0 };
	char name[160];

	(void) shim;
	(void) events;
	if (s->pty_master < 0 && session_take_console(s, &err) < 0 && err.code != EAGAIN)
		shim_warn("%s: %s", session_name(s, name, sizeof(name)), err.msg);
}

static int make_pipe(int *ret_read, int *ret_write, bool nonblock_read, bool nonblock_write, struct berth_error *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "create a pipe");
	if ((nonblock_read && fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) ||
	    (nonblock_write && fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return berth_error_sys(err, e, "make a pipe non-blocking");
	}
	*ret_read = p[0];
	*ret_write = p[1];
	return 0;
}

static int console_listen(struct session *s, struct berth_error *err)
{
	struct shim *shim = s->shim;
	char name[32], path[4200];
	int fd;

	/* A short name, so the absolute path the runtime connects to fits in
	 * sun_path whenever the state directory's path does. */
	if (s->exec_id)
		snprintf(name, sizeof(name), "pty-%u.sock", ++shim->console_seq);
	else
		snprintf(name, sizeof(name), "console.sock");
	fd = shim_listen(name, err);
	if (fd < 0)
		return fd;
	s->console_listener.fd = fd;
	snprintf(path, sizeof(path), "%s/%s", shim->opt.state_dir, name);
	s->console_path = strdup(path);
	if (s->console_path == NULL)
		return berth_error_sys(err, ENOMEM, "console socket");
	if (shim_watch_add(shim, &s->console_listener, EPOLLIN) < 0)
		return berth_error_sys(err, errno, "watch %s", name);
	return 0;
}

void session_prepare(struct shim *shim, struct session *s)
{
	s->shim = shim;
	s->pty_master = -1;
	s->stdin_watch.fd = -1;
	s->stdin_watch.on_event = on_stdin;
	s->attach_listener.fd = -1;
	s->console_listener.fd = -1;
	s->console_listener.on_event = on_console;
	for (int i = 0; i < 3; i++)
		s->child_stdio[i] = -1;
	for (int i = 0; i < 2; i++) {
		s->out[i].watch.fd = -1;
		s->out[i].watch.on_event = on_stream;
		s->out[i].session = s;
		s->out[i].id = (uint8_t) (i + 1);
	}
}

int session_init(struct session *s, struct berth_error *err)
{
	if (s->tty)
		return console_listen(s, err); /* input goes to the master too */
	if (s->want_stdin && make_pipe(&s->child_stdio[0], &s->stdin_watch.fd, false, true, err) < 0)
		return -err->code;
	if (make_pipe(&s->out[0].watch.fd, &s->child_stdio[1], true, false, err) < 0 ||
	    make_pipe(&s->out[1].watch.fd, &s->child_stdio[2], true, false, err) < 0)
		return -err->code;
	return 0;
}

int session_take_console(struct session *s, struct berth_error *err)
{
	struct shim *shim = s->shim;
	_cleanup_close_ int conn = -1, master = -1;
	char name[64];
	int r;

	conn = accept4(s->console_listener.fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return berth_error_sys(err, errno, "accept on the console socket");
	r = berth_recv_fd(conn, &master, name, sizeof(name) - 1, NULL, err);
	if (r < 0)
		return berth_error_wrap(err, "console socket");
	if (fcntl(master, F_SETFL, O_NONBLOCK) < 0)
		return berth_error_sys(err, errno, "make the pty master non-blocking");
	if (s->want_stdin) {
		/* Input is written to a second descriptor of the master, so
		 * that writability is watched apart from readability. */
		s->stdin_watch.fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
		if (s->stdin_watch.fd < 0)
			return berth_error_sys(err, errno, "duplicate the pty master");
	}
	s->pty_master = s->out[0].watch.fd = berth_steal_fd(&master);
	shim_watch_close(shim, &s->console_listener);
	unlink(strrchr(s->console_path, '/') + 1);
	return 0;
}

void session_release_child_stdio(struct session *s)
{
	for (int i = 0; i < 3; i++) {
		if (s->child_stdio[i] >= 0)
			close(s->child_stdio[i]);
		s->child_stdio[i] = -1;
	}
}

int session_started(struct session *s, struct berth_error *err)
{
	struct shim *shim = s->shim;

	/* Our copies of the process's ends must go, or the streams would
	 * never see EOF. */
	session_release_child_stdio(s);
	if (s->tty && s->pty_master < 0)
		return berth_error_set(err, EPROTO, "the runtime sent no pty master to the console socket");
	for (int i = 0; i < 2; i++)
		if (s->out[i].watch.fd >= 0 && shim_watch_add(shim, &s->out[i].watch, EPOLLIN) < 0)
			return berth_error_sys(err, errno, "watch the process's output");
	return 0;
}

void session_close_stdin(struct session *s)
{
	if (s->stdin_watch.fd < 0)
		return;
	if (s->tty && s->pty_master >= 0) {
		/* A pty cannot be half-closed: the process gets what a user's
		 * ^D gives, end of input for a read on an empty line. */
		(void) !write(s->stdin_watch.fd, "\x04", 1);
	}
	shim_watch_close(s->shim, &s->stdin_watch);
	s->stdin_blocked = false;
	attach_drop_stdin(s);
}

int session_resize(struct session *s, unsigned short rows, unsigned short cols, struct berth_error *err)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	char name[160];

	if (!s->tty)
		return berth_error_set(err, ENOTTY, "%s has no terminal", session_name(s, name, sizeof(name)));
	if (s->pty_master < 0)
		return berth_error_set(err, ENOTTY, "the terminal of %s is closed", session_name(s, name, sizeof(name)));
	if (ioctl(s->pty_master, TIOCSWINSZ, &ws) < 0)
		return berth_error_sys(err, errno, "resize the terminal of %s", session_name(s, name, sizeof(name)));
	return 0;
}

void session_add_waiter(struct session *s, struct control_conn *conn)
{
	if (s->finished) {
		control_reply(s->shim, conn, "exited %d", s->exit_code);
		return;
	}
	conn->waiting_on = s;
	conn->next_waiter = s->waiters;
	s->waiters = conn;
}

void session_exited(struct session *s, int status)
{
	char name[160];

	s->exited = true;
	s->exit_code = berth_exit_code(status);
	s->exit_ns = shim_now_unix_ns();
	s->drain_deadline = shim_now_ms() + SHIM_DRAIN_MS;
	shim_info("%s: pid %d exited with %d", session_name(s, name, sizeof(name)), (int) s->pid, s->exit_code);
	session_close_stdin(s);
	session_check_drain(s, shim_now_ms());
}

/* exit file: "CODE UNIX_NANOS\n", written to a temporary file, fsync'ed and
 * renamed, so a reader (berthd after a restart) sees all of it or none. */
static void write_exit_file(struct session *s)
{
	struct berth_error err = { 0 };
	char name[SHIM_EXEC_ID_MAX + 16], data[64];
	int len;

	if (s->exec_id)
		snprintf(name, sizeof(name), "exec-%s.exit", s->exec_id);
	else
		snprintf(name, sizeof(name), "exit");
	len = snprintf(data, sizeof(data), "%d %lld\n", s->exit_code, (long long) s->exit_ns);
	if (berth_write_file_atomic(AT_FDCWD, name, data, (size_t) len, 0644, BERTH_WRITE_DURABLE, &err) < 0)
		shim_warn("record the exit: %s", err.msg);
}

static void session_finish(struct session *s)
{
	struct shim *shim = s->shim;

	write_exit_file(s);
	while (s->waiters) {
		struct control_conn *conn = s->waiters;
		s->waiters = conn->next_waiter;
		conn->waiting_on = NULL;
		control_reply(shim, conn, "exited %d", s->exit_code);
	}
	attach_session_ended(s);
	s->finished = true;
	if (is_container(s))
		lifecycle_container_finished(shim);
	else
		exec_finished(s);
}

void session_check_drain(struct session *s, int64_t now_ms)
{
	bool open = s->out[0].watch.fd >= 0 || s->out[1].watch.fd >= 0;

	if (!s->exited || s->finished)
		return;
	if (open && now_ms < s->drain_deadline)
		return;
	if (open) {
		char name[160];
		shim_warn("%s: output still open %d ms after the exit (a process outside holds it?); closing it",
			  session_name(s, name, sizeof(name)), SHIM_DRAIN_MS);
	}
	for (int i = 0; i < 2; i++)
		if (s->out[i].watch.fd >= 0)
			stream_end(s, &s->out[i]);
	session_finish(s);
}

void session_cleanup(struct session *s)
{
	struct shim *shim = s->shim;

	attach_close_all(s);
	for (int i = 0; i < 2; i++) {
		shim_watch_close(shim, &s->out[i].watch);
		free(s->out[i].line.buf);
		s->out[i].line.buf = NULL;
	}
	shim_watch_close(shim, &s->stdin_watch);
	shim_watch_close(shim, &s->console_listener);
	if (s->console_path)
		unlink(strrchr(s->console_path, '/') + 1);
	free(s->console_path);
	s->console_path = NULL;
	session_release_child_stdio(s);
	outbuf_free(&s->replay);
}
