/* berth-test-recvtty SOCKET OUTPUT [INPUT]
 *
 * The other end of --console-socket, for tests: listen on SOCKET, receive
 * one pty master, write INPUT (if any) into it, then copy everything the
 * container prints into OUTPUT until the last process holding the pty
 * exits.  Prints "ready" on stdout once it listens, so a test knows when
 * to run `create`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "file.h"

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int lfd = -1, conn = -1, master = -1, out = -1;
	struct berth_error err = { 0 };
	char name[128] = { 0 };

	if (argc < 3 || argc > 4 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET OUTPUT [INPUT]\n", argv[0]);
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(lfd, 1) < 0) {
		perror("recvtty: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0 || berth_recv_fd(conn, &master, name, sizeof(name) - 1, NULL, &err) < 0) {
		fprintf(stderr, "recvtty: %s\n", conn < 0 ? strerror(errno) : err.msg);
		return 1;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		perror("recvtty: open output");
		return 1;
	}
	dprintf(out, "pty:%s\n", name);
	if (argc == 4 && berth_write_all(master, argv[3], strlen(argv[3])) < 0) {
		perror("recvtty: write input");
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0)
			break; /* 20 s without output: give up */
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break; /* EIO: every holder of the slave is gone */
		if (berth_write_all(out, buf, (size_t) n) < 0)
			return 1;
	}
	return 0;
}
