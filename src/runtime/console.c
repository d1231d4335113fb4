#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "mount.h"
#include "path.h"

static int open_slave(int master, char *name, size_t size, struct berth_error *err)
{
	unsigned int n;
	int slave;

	if (ioctl(master, TIOCGPTN, &n) < 0)
		return berth_error_sys(err, errno, "get the pty number");
	snprintf(name, size, "/dev/pts/%u", n);
	/* TIOCGPTPEER opens the peer of this very master, whatever the path
	 * /dev/pts/N resolves to. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 && errno == EINVAL)
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berth_error_sys(err, errno, "open %s", name);
	return slave;
}

static int bind_dev_console(int slave, struct berth_error *err)
{
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), target = -1, mnt = -1;
	struct berth_mount_req req = { .what = "/dev/console", .srcfd = slave, .copyup_fromfd = -1 };

	if (rootfd < 0)
		return berth_error_sys(err, errno, "open /");
	target = berth_create_file_in_root(rootfd, "the container", "/dev/console", 0600, err);
	if (target < 0)
		return target;
	mnt = berth_mount_make(&req, target, err);
	return mnt < 0 ? mnt : 0;
}

int berth_console_create(int sock, const struct berth_process *p, bool bind_console, struct berth_error *err)
{
	_cleanup_close_ int master = -1, slave = -1;
	char name[64];
	int unlock = 0;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_error_sys(err, errno, "open /dev/ptmx in the container (is devpts mounted on /dev/pts?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berth_error_sys(err, errno, "unlock the pty");
	slave = open_slave(master, name, sizeof(name), err);
	if (slave < 0)
		return slave;
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short) p->console_height,
				      .ws_col = (unsigned short) p->console_width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return berth_error_sys(err, errno, "set the console size");
	}
	if (bind_console && bind_dev_console(slave, err) < 0)
		return -err->code;
	if (berth_send_fd(sock, master, name, strlen(name), err) < 0)
		return berth_error_wrap(err, "send the pty master to the console socket");
	return berth_steal_fd(&slave);
}

int berth_console_attach(int slave, struct berth_error *err)
{
	if (setsid() < 0 && errno != EPERM)
		return berth_error_sys(err, errno, "start a new session");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_error_sys(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return berth_error_sys(err, errno, "attach the pty as fd %d", fd);
	return 0;
}
