/* berth-test-seccomp-agent SOCKET STATE_OUT ERRNO
 *
 * A seccomp agent for tests of SCMP_ACT_NOTIFY: listen on SOCKET, receive
 * the container process state and the notification fd, write the state to
 * STATE_OUT, then answer every notified syscall with -ERRNO until the
 * container goes away.  Prints "ready" once it listens. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "file.h"

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int lfd = -1, conn = -1, listener = -1, out = -1;
	struct berth_error err = { 0 };
	char state[65536];
	size_t len = 0;
	int answer;

	if (argc != 4 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET STATE_OUT ERRNO\n", argv[0]);
		return 2;
	}
	answer = atoi(argv[3]);
	strcpy(addr.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(lfd, 1) < 0) {
		perror("agent: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0 || berth_recv_fd(conn, &listener, state, sizeof(state) - 1, &len, &err) < 0) {
		fprintf(stderr, "agent: %s\n", conn < 0 ? strerror(errno) : err.msg);
		return 1;
	}
	/* The state may come in more than one piece: read to EOF. */
	for (ssize_t n; len < sizeof(state) - 1 && (n = read(conn, state + len, sizeof(state) - 1 - len)) > 0;)
		len += (size_t) n;
	state[len] = '\0';
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || berth_write_all(out, state, len) < 0) {
		perror("agent: write state");
		return 1;
	}
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		struct pollfd p = { .fd = listener, .events = POLLIN };

		if (poll(&p, 1, 30000) <= 0 || (p.revents & POLLHUP))
			return 0; /* the container is gone (or 30 s of silence) */
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return 0;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -answer;
		dprintf(out, "\nsyscall %d answered %d", req.data.nr, answer);
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}
