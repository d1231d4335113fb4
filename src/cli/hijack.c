#include "hijack.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "json.h"

#define CONN_BUF       65536
#define HEAD_MAX       (CONN_BUF - 1)
#define ERROR_BODY_MAX (1024 * 1024)

enum body_mode { BODY_TO_EOF, BODY_LENGTH, BODY_CHUNKED };
enum chunk_state { CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER, CHUNK_DONE };

struct berth_conn {
	int fd;
	char *host; /* as the user gave it, for messages */
	char *host_header;
	char version[32];
	long status;
	char content_type[128];
	enum body_mode mode;
	uint64_t left; /* of the body (BODY_LENGTH) or of the chunk */
	enum chunk_state chunk;
	char buf[CONN_BUF];
	size_t off, len;
};

/* ---- connecting ---- */

static int connect_failed(struct berth_conn *conn, int code, struct berth_error *err)
{
	if (code == EACCES)
		return berth_error_set(err, EACCES,
				       "permission denied while trying to connect to the berth daemon socket at %s",
				       conn->host);
	return berth_error_set(err, ECONNREFUSED, "Cannot connect to the berth daemon at %s. Is the daemon running?",
			       conn->host);
}

static int connect_unix(struct berth_conn *conn, const char *path, struct berth_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn->fd < 0)
		return berth_error_sys(err, errno, "socket");
	if (connect(conn->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return connect_failed(conn, errno, err);
	conn->host_header = strdup("api.moby.localhost");
	return conn->host_header ? 0 : berth_error_sys(err, ENOMEM, "connection");
}

/* "tcp://host:port/..." or "http://[::1]:port": host and port (2375). */
static int split_host_port(const char *hostport, char **ret_host, char **ret_port)
{
	size_t n = strcspn(hostport, "/");
	const char *close = hostport[0] == '[' ? memchr(hostport, ']', n) : NULL;
	const char *colon = memchr(close ? close : hostport, ':', n - (size_t) ((close ? close : hostport) - hostport));
	if (close)
		*ret_host = strndup(hostport + 1, (size_t) (close - hostport - 1));
	else
		*ret_host = strndup(hostport, colon ? (size_t) (colon - hostport) : n);
	*ret_port = colon ? strndup(colon + 1, n - (size_t) (colon + 1 - hostport)) : strdup("2375");
	return *ret_host && *ret_port ? 0 : -ENOMEM;
}

static int connect_tcp(struct berth_conn *conn, const char *hostport, struct berth_error *err)
{
	_cleanup_free_ char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int code = ECONNREFUSED;

	if (split_host_port(hostport, &host, &port) < 0)
		return berth_error_sys(err, ENOMEM, "connection");
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return connect_failed(conn, ECONNREFUSED, err);
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			conn->fd = fd;
			break;
		}
		code = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (conn->fd < 0)
		return connect_failed(conn, code, err);
	conn->host_header = strndup(hostport, strcspn(hostport, "/"));
	return conn->host_header ? 0 : berth_error_sys(err, ENOMEM, "connection");
}

int berth_conn_open(struct berth_client *c, struct berth_conn **ret, struct berth_error *err)
{
	const char *host = berth_client_host(c), *version;
	int r = berth_client_api_version(c, &version, err);
	if (r < 0)
		return r;
	struct berth_conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return berth_error_sys(err, ENOMEM, "connection");
	conn->fd = -1;
	snprintf(conn->version, sizeof(conn->version), "%s", version);
	conn->host = strdup(host);
	if (!conn->host)
		r = berth_error_sys(err, ENOMEM, "connection");
	else if (!strncmp(host, "unix://", 7))
		r = connect_unix(conn, host + 7, err);
	else if (!strncmp(host, "tcp://", 6) || !strncmp(host, "http://", 7))
		r = connect_tcp(conn, strstr(host, "://") + 3, err);
	else
		r = berth_error_set(err, EINVAL, "unsupported host %s", host);
	if (r < 0) {
		berth_conn_free(conn);
		return r;
	}
	*ret = conn;
	return 0;
}

void berth_conn_free(struct berth_conn *conn)
{
	if (!conn)
		return;
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn->host);
	free(conn->host_header);
	free(conn);
}

long berth_conn_status(const struct berth_conn *conn)
{
	return conn->status;
}

int berth_conn_fd(const struct berth_conn *conn)
{
	return conn->fd;
}

size_t berth_conn_buffered(const struct berth_conn *conn)
{
	return conn->len - conn->off;
}

/* ---- the request and the answer's head ---- */

static int send_all(int fd, const char *data, size_t len, struct berth_error *err)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "error during connect: write");
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/* More bytes into the buffer (which is then empty or holds an unfinished
 * head at its start): the count read, 0 at the end, or -errno. */
static ssize_t fill(struct berth_conn *conn)
{
	if (conn->off == conn->len)
		conn->off = conn->len = 0;
	if (conn->len == sizeof(conn->buf))
		return -ENOBUFS;
	for (;;) {
		ssize_t n = read(conn->fd, conn->buf + conn->len, sizeof(conn->buf) - conn->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		conn->len += (size_t) n;
		return n;
	}
}

static void header_value(const char *line, const char *name, char *out, size_t max)
{
	size_t l = strlen(name);
	if (strncasecmp(line, name, l) != 0 || line[l] != ':')
		return;
	const char *v = line + l + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	snprintf(out, max, "%s", v);
}

/* The status line and headers, which end at off. */
static int parse_head(struct berth_conn *conn, char *head, struct berth_error *err)
{
	char length[32] = "", encoding[64] = "";
	char *save = NULL, *line = strtok_r(head, "\r\n", &save);

	if (!line || strncmp(line, "HTTP/1.", 7) != 0 || strlen(line) < 12)
		return berth_error_set(err, EPROTO, "error during connect: malformed HTTP response \"%.40s\"",
				       line ? line : "");
	conn->status = strtol(line + 9, NULL, 10);
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		header_value(line, "Content-Type", conn->content_type, sizeof(conn->content_type));
		header_value(line, "Content-Length", length, sizeof(length));
		header_value(line, "Transfer-Encoding", encoding, sizeof(encoding));
	}
	if (conn->status == 101 || conn->status == 204 || conn->status == 304) {
		conn->mode = conn->status == 101 ? BODY_TO_EOF : BODY_LENGTH;
		conn->left = 0;
	} else if (!strcasecmp(encoding, "chunked")) {
		conn->mode = BODY_CHUNKED;
		conn->chunk = CHUNK_SIZE;
	} else if (*length) {
		conn->mode = BODY_LENGTH;
		conn->left = strtoull(length, NULL, 10);
	} else {
		conn->mode = BODY_TO_EOF;
	}
	return 0;
}

static int read_head(struct berth_conn *conn, struct berth_error *err)
{
	for (;;) {
		char *end = memmem(conn->buf, conn->len, "\r\n\r\n", 4);
		if (end) {
			size_t n = (size_t) (end - conn->buf);
			char head[HEAD_MAX + 1];
			memcpy(head, conn->buf, n);
			head[n] = '\0';
			conn->off = n + 4;
			return parse_head(conn, head, err);
		}
		ssize_t r = fill(conn);
		if (r == 0)
			return berth_error_set(err, EPROTO, "error during connect: the daemon closed the connection");
		if (r < 0)
			return berth_error_sys(err, (int) -r, "error during connect: read");
	}
}

static int errno_of_status(long status)
{
	switch (status) {
	case 400:
		return EINVAL;
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	case 409:
		return EBUSY;
	case 501:
		return ENOTSUP;
	default:
		return EIO;
	}
}

/* docker's checkResponseErr, as client.c words it. */
static int status_error(struct berth_conn *conn, const char *path, struct berth_error *err)
{
	int code = errno_of_status(conn->status);
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	if (berth_conn_read_all(conn, ERROR_BODY_MAX, &body, &len, err) < 0 || len == 0)
		return berth_error_set(err, code,
				       "request returned %ld for API route and version %s, check if the server "
				       "supports the requested API version",
				       conn->status, path);
	const char *msg = body;
	_cleanup_json_ json_t *j = NULL;
	if (!strncasecmp(conn->content_type, "application/json", 16)) {
		j = json_loadb(body, len, 0, NULL);
		msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
		if (!j)
			return berth_error_set(err, code, "Error reading JSON: %.200s", body);
		msg = msg ? msg : "";
	}
	while (isspace((unsigned char) *msg))
		msg++;
	size_t n = strlen(msg);
	while (n > 0 && isspace((unsigned char) msg[n - 1]))
		n--;
	return berth_error_set(err, code, "Error response from daemon: %.*s", (int) n, msg);
}

int berth_conn_request(struct berth_conn *conn, const char *method, const char *path, const char *body, bool upgrade,
		       struct berth_error *err)
{
	_cleanup_free_ char *head = NULL;
	size_t body_len = body ? strlen(body) : 0;
	char length[64] = "";
	if (body || strcmp(method, "GET") != 0)
		snprintf(length, sizeof(length), "Content-Length: %zu\r\n", body_len);
	int n = asprintf(&head, "%s /v%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth/%s (linux)\r\n%s%s%s\r\n", method,
			 conn->version, path, conn->host_header, BERTH_VERSION,
			 upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "",
			 body ? "Content-Type: application/json\r\n" : (upgrade ? "Content-Type: text/plain\r\n" : ""),
			 length);
	if (n < 0)
		return berth_error_sys(err, ENOMEM, "request");
	int r = send_all(conn->fd, head, (size_t) n, err);
	if (r == 0 && body_len > 0)
		r = send_all(conn->fd, body, body_len, err);
	if (r == 0)
		r = read_head(conn, err);
	if (r == 0 && conn->status >= 400)
		r = status_error(conn, path, err);
	return r;
}

/* ---- the body ---- */

/* One line of the chunked framing (a size, or the end of a chunk or of
 * the trailers), without its CRLF. */
static int chunk_line(struct berth_conn *conn, char *line, size_t max, struct berth_error *err)
{
	for (;;) {
		char *nl = memchr(conn->buf + conn->off, '\n', conn->len - conn->off);
		if (nl) {
			size_t n = (size_t) (nl - (conn->buf + conn->off));
			size_t keep = n < max - 1 ? n : max - 1;
			memcpy(line, conn->buf + conn->off, keep);
			line[keep] = '\0';
			if (keep > 0 && line[keep - 1] == '\r')
				line[keep - 1] = '\0';
			conn->off += n + 1;
			return 0;
		}
		if (conn->off > 0) {
			memmove(conn->buf, conn->buf + conn->off, conn->len - conn->off);
			conn->len -= conn->off;
			conn->off = 0;
		}
		ssize_t r = fill(conn);
		if (r <= 0)
			return berth_error_set(err, EPROTO, "unexpected EOF in the daemon's chunked answer");
	}
}

/* Move the chunked framing on until payload bytes are next (1) or the
 * body ended (0). */
static int chunk_advance(struct berth_conn *conn, struct berth_error *err)
{
	char line[256];
	int r;
	for (;;) {
		switch (conn->chunk) {
		case CHUNK_DATA:
			return 1;
		case CHUNK_DONE:
			return 0;
		case CHUNK_SIZE:
			if ((r = chunk_line(conn, line, sizeof(line), err)) < 0)
				return r;
			conn->left = strtoull(line, NULL, 16);
			conn->chunk = conn->left > 0 ? CHUNK_DATA : CHUNK_TRAILER;
			break;
		case CHUNK_DATA_END:
			if ((r = chunk_line(conn, line, sizeof(line), err)) < 0)
				return r;
			conn->chunk = CHUNK_SIZE;
			break;
		case CHUNK_TRAILER:
		default:
			if ((r = chunk_line(conn, line, sizeof(line), err)) < 0)
				return r;
			if (!*line)
				conn->chunk = CHUNK_DONE;
			break;
		}
	}
}

ssize_t berth_conn_read(struct berth_conn *conn, char *buf, size_t len, struct berth_error *err)
{
	if (conn->mode == BODY_CHUNKED) {
		int r = chunk_advance(conn, err);
		if (r <= 0)
			return r;
	} else if (conn->mode == BODY_LENGTH && conn->left == 0) {
		return 0;
	}
	if (conn->off == conn->len) {
		ssize_t n = fill(conn);
		if (n < 0)
			return berth_error_sys(err, (int) -n, "reading from the daemon");
		if (n == 0 && conn->mode != BODY_TO_EOF)
			return berth_error_set(err, EPROTO, "unexpected EOF in the daemon's answer");
		if (n == 0)
			return 0;
	}
	size_t n = conn->len - conn->off;
	if (conn->mode != BODY_TO_EOF && n > conn->left)
		n = (size_t) conn->left;
	n = n < len ? n : len;
	memcpy(buf, conn->buf + conn->off, n);
	conn->off += n;
	if (conn->mode != BODY_TO_EOF)
		conn->left -= n;
	if (conn->mode == BODY_CHUNKED && conn->left == 0)
		conn->chunk = CHUNK_DATA_END;
	return (ssize_t) n;
}

int berth_conn_read_all(struct berth_conn *conn, size_t max, char **ret, size_t *ret_len, struct berth_error *err)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *b = realloc(out, cap);
			if (!b)
				return berth_error_sys(err, ENOMEM, "reading the daemon's answer");
			out = b;
		}
		ssize_t n = berth_conn_read(conn, out + len, cap - len - 1, err);
		if (n < 0)
			return (int) n;
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > max)
			return berth_error_set(err, EFBIG, "the daemon's answer is larger than %zu bytes", max);
	}
	if (!out && !(out = malloc(1)))
		return berth_error_sys(err, ENOMEM, "reading the daemon's answer");
	out[len] = '\0';
	*ret = berth_steal_ptr(&out);
	*ret_len = len;
	return 0;
}
