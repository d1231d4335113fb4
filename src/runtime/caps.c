#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

int berth_caps_last(void)
{
	static int last = -1;
	char buf[16] = { 0 };
	int fd;

	if (last >= 0)
		return last;
	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			last = atoi(buf);
		close(fd);
	}
	if (last <= 0)
		last = CAP_LAST_CAP;
	return last;
}

static bool has(uint64_t set, int cap)
{
	return (set >> cap) & 1;
}

int berth_caps_drop_bounding(const struct berth_capabilities *caps, struct berth_error *err)
{
	int last = berth_caps_last();

	/* No process.capabilities means no capabilities (runc: an empty
	 * set), never "keep the runtime's full set". */
	for (int c = 0; c <= last; c++) {
		if (has(caps->sets[BERTH_CAP_BOUNDING], c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return berth_error_sys(err, errno, "drop capability %d from the bounding set", c);
	}
	return 0;
}

int berth_caps_apply(const struct berth_capabilities *caps, struct berth_error *err)
{
	static const struct {
		enum berth_cap_set set;
		cap_flag_t flag;
	} sets[] = {
		{ BERTH_CAP_EFFECTIVE, CAP_EFFECTIVE },
		{ BERTH_CAP_PERMITTED, CAP_PERMITTED },
		{ BERTH_CAP_INHERITABLE, CAP_INHERITABLE },
	};
	int last = berth_caps_last();
	cap_t c;
	int r = 0;

	c = cap_init();
	if (c == NULL)
		return berth_error_sys(err, errno, "allocate capability state");
	for (size_t s = 0; s < BERTH_ARRAY_SIZE(sets); s++) {
		for (cap_value_t v = 0; v <= last; v++) {
			if (has(caps->sets[sets[s].set], v) && cap_set_flag(c, sets[s].flag, 1, &v, CAP_SET) < 0) {
				r = berth_error_sys(err, errno, "set capability %d", v);
				goto out;
			}
		}
	}
	if (cap_set_proc(c) < 0) {
		r = berth_error_sys(err, errno, "set the process capabilities");
		goto out;
	}
	for (cap_value_t v = 0; v <= last; v++) {
		/* The spec asks for a warning when a capability can't be granted. */
		if (has(caps->sets[BERTH_CAP_AMBIENT], v) && cap_set_ambient(v, CAP_SET) < 0)
			berth_warn("raise ambient capability %d: %s (it must also be permitted and inheritable)", v,
				   strerror(errno));
	}
out:
	cap_free(c);
	return r;
}
