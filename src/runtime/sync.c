#include "sync.h"

#include "fdpass.h"
#include <unistd.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int berth_sync_send(int fd, enum berth_sync_type type, int32_t value, struct berth_error *err)
{
	struct berth_sync_msg msg = { .type = type, .value = value };
	/* Only the header travels unless there is an error to carry. */
	size_t len = offsetof(struct berth_sync_msg, err);

	while (send(fd, &msg, len, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return berth_error_sys(err, errno, "sync with the container process");
	return 0;
}

void berth_sync_send_error(int fd, const struct berth_error *failure)
{
	struct berth_sync_msg msg = { .type = BERTH_SYNC_ERROR, .value = failure->code };
	size_t len;

	msg.err.code = failure->code;
	memcpy(msg.err.msg, failure->msg, sizeof(msg.err.msg));
	msg.err.msg[sizeof(msg.err.msg) - 1] = '\0';
	len = offsetof(struct berth_sync_msg, err.msg) + strlen(msg.err.msg) + 1;
	while (send(fd, &msg, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

int berth_sync_recv(int fd, struct berth_sync_msg *msg, struct berth_error *err)
{
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	do
		n = recv(fd, msg, sizeof(*msg), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_sys(err, errno, "sync with the container process");
	if (n == 0)
		return berth_error_set(err, EPIPE, "the container process exited during setup");
	if ((size_t) n < offsetof(struct berth_sync_msg, err))
		return berth_error_set(err, EBADMSG, "sync with the container process: short message");
	msg->err.msg[sizeof(msg->err.msg) - 1] = '\0';
	return 0;
}

int berth_sync_expect(int fd, enum berth_sync_type type, int32_t *ret_value, struct berth_error *err)
{
	struct berth_sync_msg msg;
	int r = berth_sync_recv(fd, &msg, err);

	if (r < 0)
		return r;
	if (msg.type == BERTH_SYNC_ERROR) {
		*err = msg.err;
		if (err->code <= 0)
			err->code = EIO;
		return -err->code;
	}
	if (msg.type != type)
		return berth_error_set(err, EPROTO, "sync with the container process: expected message %u, got %u",
				       type, msg.type);
	if (ret_value)
		*ret_value = msg.value;
	return 0;
}

int berth_sync_send_fd(int fd, enum berth_sync_type type, int passfd, struct berth_error *err)
{
	struct berth_sync_msg msg = { .type = type };

	if (berth_send_fd(fd, passfd, &msg, offsetof(struct berth_sync_msg, err), err) < 0)
		return berth_error_wrap(err, "sync with the container process");
	return 0;
}

int berth_sync_expect_fd(int fd, enum berth_sync_type type, int *ret_fd, struct berth_error *err)
{
	struct berth_sync_msg msg;
	size_t len = 0;
	int passed = -1;

	memset(&msg, 0, sizeof(msg));
	if (berth_recv_fd(fd, &passed, &msg, sizeof(msg), &len, err) < 0) {
		/* No descriptor: an error message from the other side, or EOF. */
		if (len >= offsetof(struct berth_sync_msg, err) && msg.type == BERTH_SYNC_ERROR) {
			msg.err.msg[sizeof(msg.err.msg) - 1] = '\0';
			*err = msg.err;
		}
		return -berth_error_code(err);
	}
	if (msg.type != type) {
		close(passed);
		return berth_error_set(err, EPROTO, "sync with the container process: expected message %u, got %u",
				       type, msg.type);
	}
	*ret_fd = passed;
	return 0;
}
