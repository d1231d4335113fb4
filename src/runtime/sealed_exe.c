#include "sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static int copy_all(int in, int out, off_t size)
{
	off_t done = 0;

	while (done < size) {
		ssize_t n = sendfile(out, in, NULL, (size_t) (size - done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int berth_ensure_sealed_exe(char **argv, struct berth_error *err)
{
	_cleanup_close_ int self = -1, copy = -1;
	struct stat st;
	int seals, r;

	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berth_error_sys(err, errno, "open /proc/self/exe");
	seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS) {
		/* Re-executed: give ps and top a name instead of the fd number. */
		prctl(PR_SET_NAME, "berth-runtime", 0, 0, 0);
		return 0;
	}
	if (fstat(self, &st) < 0)
		return berth_error_sys(err, errno, "stat /proc/self/exe");
	copy = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0)
		return berth_error_sys(err, errno, "memfd_create (a sealed copy of the runtime, against CVE-2019-5736)");
	if ((r = copy_all(self, copy, st.st_size)) < 0)
		return berth_error_sys(err, -r, "copy the runtime into a memfd");
	if (fcntl(copy, F_ADD_SEALS, SEALS) < 0)
		return berth_error_sys(err, errno, "seal the runtime's memfd copy");
	syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
	return berth_error_sys(err, errno, "re-execute the runtime from its sealed copy");
}
