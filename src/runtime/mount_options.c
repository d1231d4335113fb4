/* Mount option strings (config.md "Linux mount options") -> mount flags. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "spec.h"

enum option_kind {
	OPT_NOOP,
	OPT_SET,	/* flags |= value */
	OPT_CLEAR,	/* flags &= ~value */
	OPT_ATIME,	/* one atime mode replaces the others */
	OPT_PROPAGATION,
	OPT_REC_SET,	/* recursive mount_setattr: set value */
	OPT_REC_CLEAR,	/* recursive mount_setattr: clear value */
	OPT_REC_ATIME,	/* recursive atime mode (an enum in the kernel, not a bit) */
	OPT_BIND,
	OPT_RBIND,
	OPT_TMPCOPYUP,
	OPT_IDMAP,
	OPT_RIDMAP,
};

static const struct mount_option {
	const char *name;
	enum option_kind kind;
	unsigned long value;
} mount_options[] = {
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "bind", OPT_BIND, 0 },
	{ "defaults", OPT_NOOP, 0 },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "idmap", OPT_IDMAP, 0 },
	{ "iversion", OPT_SET, MS_I_VERSION },
	{ "lazytime", OPT_SET, MS_LAZYTIME },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "noatime", OPT_ATIME, MS_NOATIME },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rbind", OPT_RBIND, 0 },
	{ "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
	{ "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
	{ "relatime", OPT_ATIME, MS_RELATIME },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
	{ "ridmap", OPT_RIDMAP, 0 },
	{ "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
	{ "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
	{ "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
	{ "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
	{ "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
	{ "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
	{ "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "silent", OPT_SET, MS_SILENT },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "strictatime", OPT_ATIME, MS_STRICTATIME },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	{ "tmpcopyup", OPT_TMPCOPYUP, 0 },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
};

const char *const *berth_mount_option_names(void)
{
	static const char *names[BERTH_ARRAY_SIZE(mount_options) + 1];

	if (names[0] == NULL)
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(mount_options); i++)
			names[i] = mount_options[i].name;
	return names;
}

static const struct mount_option *find_option(const char *name)
{
	size_t lo = 0, hi = BERTH_ARRAY_SIZE(mount_options);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, mount_options[mid].name);
		if (c == 0)
			return &mount_options[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int append_data(char **data, const char *opt)
{
	size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
	char *n = realloc(*data, old + add + 2);

	if (n == NULL)
		return -ENOMEM;
	if (old)
		n[old++] = ',';
	memcpy(n + old, opt, add + 1);
	*data = n;
	return 0;
}

int berth_mount_options_parse(const char **options, size_t n, struct berth_mount_flags *ret, const char *path,
			      struct berth_error *err)
{
	struct berth_mount_flags f = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct mount_option *o = find_option(options[i]);

		if (o == NULL) {
			if (options[i][0] == '\0') {
				free(f.data);
				return berth_error_set(err, EINVAL, "%s.options[%zu]: must not be empty", path, i);
			}
			if (append_data(&f.data, options[i]) < 0) {
				free(f.data);
				return berth_error_sys(err, ENOMEM, "%s.options", path);
			}
			continue;
		}
		switch (o->kind) {
		case OPT_NOOP:
			break;
		case OPT_SET:
			f.flags |= o->value;
			break;
		case OPT_CLEAR:
			f.flags &= ~o->value;
			break;
		case OPT_ATIME:
			f.flags = (f.flags & ~(unsigned long) (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) | o->value;
			break;
		case OPT_PROPAGATION:
			if (f.n_propagation >= BERTH_ARRAY_SIZE(f.propagation)) {
				free(f.data);
				return berth_error_set(err, EINVAL, "%s.options: too many propagation options", path);
			}
			f.propagation[f.n_propagation++] = o->value;
			break;
		case OPT_REC_SET:
			f.rec_attr_set |= o->value;
			f.rec_attr_clr &= ~(uint64_t) o->value;
			break;
		case OPT_REC_CLEAR:
			f.rec_attr_clr |= o->value;
			f.rec_attr_set &= ~(uint64_t) o->value;
			break;
		case OPT_REC_ATIME:
			f.rec_attr_set = (f.rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | o->value;
			f.rec_attr_clr |= MOUNT_ATTR__ATIME;
			break;
		case OPT_BIND:
			f.bind = true;
			break;
		case OPT_RBIND:
			f.bind = f.recursive_bind = true;
			break;
		case OPT_TMPCOPYUP:
			f.tmpcopyup = true;
			break;
		case OPT_IDMAP:
			f.idmap = true;
			break;
		case OPT_RIDMAP:
			f.idmap = f.recursive_idmap = true;
			break;
		default:
			break;
		}
	}
	*ret = f;
	return 0;
}
