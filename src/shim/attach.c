/* Attach sockets: attach.sock for the container, exec-EXECID.sock per exec.
 *
 * A client sends "attach [stdin] [stdout] [stderr]\n" and from then on
 * receives the output it asked for as it comes: without a terminal each
 * read of a stream as one frame of the Docker Engine API's attach stream
 * ([stream byte, 0, 0, 0, big-endian uint32 length] + payload), with a
 * terminal the raw bytes.  What it sends after the header is the process's
 * stdin, if it asked for stdin and the process has one (otherwise it is read
 * and dropped, so the client never blocks on us).
 *
 * A slow client never blocks anyone: output is sent without waiting, what
 * the socket does not take is queued for that client alone, and a client
 * whose queue passes SHIM_ATTACHER_QUEUE_MAX is cut off (noted in shim.log).
 * Stdin goes the other way: when the process does not read, the client's
 * bytes wait in its queue and the shim stops reading that client, so the
 * backpressure reaches the client, not the shim's memory.
 *
 * StdinOnce (--stdin-once; always for exec sessions, as docker closes an
 * exec's stdin when its attached stdin ends): when a client that asked for
 * stdin ends its input (EOF or disconnect), the process's stdin is closed
 * once what that client sent was written.
 *
 * When the session ends every client gets what is queued for it, then EOF.
 */
#include "shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim_log.h"

int outbuf_append(struct outbuf *b, const void *data, size_t len, size_t max)
{
	if (b->len + len > max)
		return -ENOBUFS;
	if (b->head + b->len + len > b->cap) {
		if (b->head > 0) {
			memmove(b->data, b->data + b->head, b->len);
			b->head = 0;
		}
		if (b->len + len > b->cap) {
			size_t cap = b->cap ? b->cap : 4096;
			while (cap < b->len + len)
				cap *= 2;
			char *d = realloc(b->data, cap);
			if (d == NULL)
				return -ENOMEM;
			b->data = d;
			b->cap = cap;
		}
	}
	memcpy(b->data + b->head + b->len, data, len);
	b->len += len;
	return 0;
}

void outbuf_consume(struct outbuf *b, size_t n)
{
	b->head += n;
	b->len -= n;
	if (b->len == 0)
		outbuf_free(b); /* idle clients hold no memory */
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->head = b->len = b->cap = 0;
}

static void attacher_update(struct attacher *a)
{
	uint32_t events = 0;

	if (!a->closing && !a->in_eof && a->in.len == 0)
		events |= EPOLLIN;
	if (a->out.len > 0)
		events |= EPOLLOUT;
	shim_watch_set(a->session->shim, &a->watch, events);
}

/* The client's input is over and written: StdinOnce closes the process's.
 * Not a terminal's, as dockerd: a client that detaches (ctrl-p ctrl-q) or
 * goes away leaves the shell running for the next attach. */
static void attacher_input_done(struct attacher *a)
{
	struct session *s = a->session;

	if (a->want_stdin && s->stdin_once && !s->tty && s->stdin_watch.fd >= 0) {
		shim_info("closing the stdin of %s: its client detached (stdin once)",
			  s->exec_id ? s->exec_id : s->shim->opt.id);
		session_close_stdin(s);
	}
}

static void attacher_retire(struct attacher *a, const char *why)
{
	struct session *s = a->session;
	struct shim *shim = s->shim;
	bool had_input = a->in.len > 0;

	if (why)
		shim_warn("attach client of %s dropped: %s", s->exec_id ? s->exec_id : shim->opt.id, why);
	for (struct attacher **p = &s->attachers; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	s->n_attachers--;
	shim_watch_close(shim, &a->watch);
	outbuf_free(&a->out);
	outbuf_free(&a->in);
	if (!a->in_eof && !a->closing)
		attacher_input_done(a); /* a disconnect is a detach */
	if (had_input)
		attach_stdin_unblocked(s); /* the next client's input may go now */
	shim_retire(shim, a);
}

/* Send what the socket takes now and queue the rest. */
static void attacher_send(struct attacher *a, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *) iov, .msg_iovlen = (size_t) iovcnt };
	ssize_t n = 0;

	if (a->out.len == 0) {
		n = sendmsg(a->watch.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			attacher_retire(a, NULL); /* the client went away */
			return;
		}
		if (n < 0)
			n = 0;
	}
	for (int i = 0; i < iovcnt; i++) {
		size_t skip = (size_t) n < iov[i].iov_len ? (size_t) n : iov[i].iov_len;
		n -= (ssize_t) skip;
		if (skip < iov[i].iov_len &&
		    outbuf_append(&a->out, (char *) iov[i].iov_base + skip, iov[i].iov_len - skip, SHIM_ATTACHER_QUEUE_MAX) < 0) {
			attacher_retire(a, "it does not read its output (queue full)");
			return;
		}
	}
	attacher_update(a);
}

static bool attacher_wants(const struct attacher *a, uint8_t stream)
{
	if (a->session->tty)
		return a->want_stdout || a->want_stderr;
	return stream == 1 ? a->want_stdout : a->want_stderr;
}

static void frame_header(uint8_t stream, size_t len, unsigned char hdr[8])
{
	uint32_t be = htonl((uint32_t) len);

	hdr[0] = stream;
	hdr[1] = hdr[2] = hdr[3] = 0;
	memcpy(hdr + 4, &be, 4);
}

static void attacher_output(struct attacher *a, uint8_t stream, const char *data, size_t len)
{
	unsigned char hdr[8];
	struct iovec iov[2] = { { hdr, 8 }, { (void *) data, len } };

	if (!attacher_wants(a, stream))
		return;
	frame_header(stream, len, hdr);
	if (a->session->tty)
		attacher_send(a, &iov[1], 1);
	else
		attacher_send(a, iov, 2);
}

void attach_output(struct session *s, uint8_t stream, const char *data, size_t len)
{
	struct attacher *a = s->attachers, *next;

	if (s->replaying) {
		unsigned char hdr[8];
		frame_header(stream, len, hdr);
		if (outbuf_append(&s->replay, hdr, 8, SHIM_EXEC_REPLAY_MAX) < 0 ||
		    outbuf_append(&s->replay, data, len, SHIM_EXEC_REPLAY_MAX) < 0) {
			shim_warn("exec session %s: output before the first attach passed %d bytes; the rest is not kept",
				  s->exec_id, SHIM_EXEC_REPLAY_MAX);
			s->replaying = false; /* what is kept still goes to the first client */
		}
	}
	for (; a; a = next) {
		next = a->next; /* a may be cut off */
		if (a->header_done && !a->closing)
			attacher_output(a, stream, data, len);
	}
}

/* The first client of an exec session gets what the process wrote before. */
static void replay_to(struct session *s, struct attacher *a)
{
	struct outbuf replay = s->replay;
	size_t off = replay.head, end = replay.head + replay.len;

	s->replay = (struct outbuf){ 0 };
	s->replaying = false;
	while (off + 8 <= end && a->watch.fd >= 0) {
		uint32_t be;
		memcpy(&be, replay.data + off + 4, 4);
		size_t len = ntohl(be);
		if (off + 8 + len > end)
			break;
		attacher_output(a, (uint8_t) replay.data[off], replay.data + off + 8, len);
		off += 8 + len;
	}
	outbuf_free(&replay);
}

/* Input from a client for the process's stdin. */
static void attacher_stdin(struct attacher *a, const char *data, size_t len)
{
	struct session *s = a->session;

	if (!a->want_stdin || s->stdin_watch.fd < 0 || len == 0)
		return;
	if (!s->stdin_blocked) {
		ssize_t n = write(s->stdin_watch.fd, data, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			session_close_stdin(s); /* EPIPE: the process closed its stdin */
			return;
		}
		if (n > 0) {
			data += n;
			len -= (size_t) n;
		}
		if (len == 0)
			return;
	}
	/* At most one read's worth: reading stops until it is written. */
	if (outbuf_append(&a->in, data, len, SHIM_IOBUF_SIZE) < 0) {
		attacher_retire(a, "out of memory for its input");
		return;
	}
	s->stdin_blocked = true;
	shim_watch_set(s->shim, &s->stdin_watch, EPOLLOUT);
}

void attach_stdin_unblocked(struct session *s)
{
	if (s->stdin_watch.fd < 0) {
		s->stdin_blocked = false;
		return;
	}
	for (struct attacher *a = s->attachers, *next; a; a = next) {
		next = a->next;
		while (a->in.len > 0) {
			ssize_t n = write(s->stdin_watch.fd, a->in.data + a->in.head, a->in.len);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return; /* still blocked: wait for EPOLLOUT again */
			if (n < 0) {
				session_close_stdin(s);
				return;
			}
			outbuf_consume(&a->in, (size_t) n);
		}
		if (a->in_eof)
			attacher_input_done(a);
		else
			attacher_update(a);
		if (s->stdin_watch.fd < 0)
			return;
	}
	s->stdin_blocked = false;
	shim_watch_set(s->shim, &s->stdin_watch, 0); /* EPOLLERR still tells a closed reader */
}

void attach_drop_stdin(struct session *s)
{
	for (struct attacher *a = s->attachers; a; a = a->next) {
		outbuf_free(&a->in);
		if (a->watch.fd >= 0)
			attacher_update(a);
	}
}

static int attacher_header(struct attacher *a, const char **data, size_t *len)
{
	struct berth_error err = { 0 };
	struct shim_attach_request req;
	const char *nl = memchr(*data, '\n', *len);
	size_t take = nl ? (size_t) (nl - *data) : *len;

	if (a->header_len + take > SHIM_ATTACH_HEADER_MAX) {
		berth_error_set(&err, E2BIG, "attach header longer than %d bytes", SHIM_ATTACH_HEADER_MAX);
		goto refuse;
	}
	memcpy(a->header + a->header_len, *data, take);
	a->header_len += take;
	*data += nl ? take + 1 : take;
	*len -= nl ? take + 1 : take;
	if (nl == NULL)
		return 0;
	if (shim_attach_parse(a->header, a->header_len, &req, &err) < 0)
		goto refuse;
	a->header_done = true;
	a->want_stdin = req.want_stdin;
	a->want_stdout = req.want_stdout;
	a->want_stderr = req.want_stderr;
	if (a->session->replaying)
		replay_to(a->session, a);
	if (a->watch.fd < 0)
		return -1;
	if (a->session->finished) {
		/* The first client of an exec that already ended: the kept
		 * output, then EOF, and the socket goes. */
		a->closing = true;
		exec_close_socket(a->session);
		if (a->out.len == 0) {
			attacher_retire(a, NULL);
			return -1;
		}
	}
	return 0;
refuse:
	(void) !send(a->watch.fd, "error ", 6, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void) !send(a->watch.fd, err.msg, strlen(err.msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void) !send(a->watch.fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	attacher_retire(a, NULL);
	return -1;
}

static void attacher_read(struct shim *shim, struct attacher *a, uint32_t events)
{
	const char *data = shim->iobuf;
	ssize_t n = recv(a->watch.fd, shim->iobuf, SHIM_IOBUF_SIZE, MSG_DONTWAIT);
	size_t len;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		a->in_eof = true;
		if (n < 0 || (events & EPOLLHUP)) {
			attacher_retire(a, NULL);
			return;
		}
		if (a->in.len == 0)
			attacher_input_done(a);
		attacher_update(a);
		return;
	}
	len = (size_t) n;
	if (!a->header_done && attacher_header(a, &data, &len) < 0)
		return;
	if (a->header_done)
		attacher_stdin(a, data, len);
	if (a->watch.fd >= 0)
		attacher_update(a);
}

static void on_attacher(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct attacher *a = shim_container_of(w, struct attacher, watch);

	if ((events & EPOLLOUT) && a->out.len > 0) {
		ssize_t n = send(w->fd, a->out.data + a->out.head, a->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			attacher_retire(a, NULL);
			return;
		}
		if (n > 0)
			outbuf_consume(&a->out, (size_t) n);
	}
	if (a->closing && a->out.len == 0) {
		attacher_retire(a, NULL); /* all of its output is out: EOF */
		return;
	}
	if (events & EPOLLIN) {
		attacher_read(shim, a, events);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		attacher_retire(a, NULL);
		return;
	}
	attacher_update(a);
}

static void on_attach_listener(struct shim *shim, struct shim_watch *w, uint32_t events)
{
	struct session *s = shim_container_of(w, struct session, attach_listener);
	struct attacher *a, **tail;
	int fd;

	(void) events;
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* After the end (unless an exec's output waits for its first
	 * client), or past the limit: EOF at once. */
	if ((s->finished && !s->replaying) || s->n_attachers >= SHIM_ATTACHERS_MAX || (a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return;
	}
	a->session = s;
	a->watch.fd = fd;
	a->watch.on_event = on_attacher;
	if (shim_watch_add(shim, &a->watch, EPOLLIN) < 0) {
		close(fd);
		free(a);
		return;
	}
	/* In arrival order: stdin from several clients goes in that order. */
	for (tail = &s->attachers; *tail; tail = &(*tail)->next)
		;
	*tail = a;
	s->n_attachers++;
}

void attach_settle(struct session *s)
{
	if (s->attach_listener.fd < 0)
		return;
	for (int i = 0; i < SHIM_ATTACHERS_MAX; i++) {
		unsigned before = s->n_attachers;
		on_attach_listener(s->shim, &s->attach_listener, EPOLLIN);
		if (s->n_attachers == before)
			break;
	}
	for (struct attacher *a = s->attachers, *next; a; a = next) {
		next = a->next;
		if (!a->header_done)
			attacher_read(s->shim, a, EPOLLIN);
	}
}

int attach_listen(struct session *s, const char *name, struct berth_error *err)
{
	int fd = shim_listen(name, err);

	if (fd < 0)
		return fd;
	s->attach_listener.fd = fd;
	s->attach_listener.on_event = on_attach_listener;
	if (shim_watch_add(s->shim, &s->attach_listener, EPOLLIN) < 0)
		return berth_error_sys(err, errno, "watch %s", name);
	return 0;
}

void attach_session_ended(struct session *s)
{
	for (struct attacher *a = s->attachers, *next; a; a = next) {
		next = a->next;
		/* A client of an exec that connected but whose header is not
		 * read yet is the one the kept output waits for: it gets it,
		 * then EOF, once its header is in (see the header's reading). */
		if (!a->header_done && s->replaying)
			continue;
		a->closing = true;
		outbuf_free(&a->in);
		if (a->out.len == 0)
			attacher_retire(a, NULL);
		else
			attacher_update(a);
	}
}

unsigned attach_lingering(const struct shim *shim)
{
	unsigned n = shim->container.n_attachers;

	for (const struct session *s = shim->execs; s; s = s->next)
		n += s->n_attachers;
	return n;
}

void attach_close_all(struct session *s)
{
	while (s->attachers) {
		s->attachers->closing = true;
		attacher_retire(s->attachers, NULL);
	}
	shim_watch_close(s->shim, &s->attach_listener);
}
