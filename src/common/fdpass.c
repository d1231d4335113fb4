#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "path.h"

int berth_send_fd(int sock, int fd, const void *data, size_t len, struct berth_error *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *) (len ? data : "\0"), .iov_len = len ? len : 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	for (;;) {
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return berth_error_sys(err, errno, "send descriptor");
	}
}

int berth_recv_fd(int sock, int *ret_fd, void *data, size_t size, size_t *ret_len, struct berth_error *err)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)] = { 0 };
	char dummy;
	struct iovec iov = { .iov_base = size ? data : &dummy, .iov_len = size ? size : 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_sys(err, errno, "receive descriptor");
	if (ret_len)
		*ret_len = (size_t) n;
	if (n == 0)
		return berth_error_set(err, EPIPE, "receive descriptor: the other side closed the connection");
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got); /* only one was asked for */
		}
	}
	if (fd < 0)
		return berth_error_set(err, EBADMSG, "receive descriptor: the message carried none");
	*ret_fd = fd;
	return 0;
}

int berth_unix_connect(const char *path, struct berth_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int sock = -1, dirfd = -1;
	char parent[PATH_MAX];
	const char *base;

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return berth_error_sys(err, errno, "create socket");
	if (strlen(path) < sizeof(addr.sun_path)) {
		memcpy(addr.sun_path, path, strlen(path) + 1);
	} else {
		base = berth_path_split(path, parent, sizeof(parent));
		dirfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return berth_error_sys(err, errno, "connect to %s", path);
		if ((size_t) snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, base) >=
		    sizeof(addr.sun_path))
			return berth_error_sys(err, ENAMETOOLONG, "connect to %s", path);
	}
	while (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
		if (errno != EINTR)
			return berth_error_sys(err, errno, "connect to %s", path);
	}
	return berth_steal_fd(&sock);
}
