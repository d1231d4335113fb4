#include "resctrl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"

#define RESCTRL_ROOT "/sys/fs/resctrl"
#define RDTGROUP_SUPER_MAGIC 0x7655821

static int write_schemata(const char *dir, json_t *rdt, bool existed, struct berth_error *err)
{
	const char *l3 = json_string_value(json_object_get(rdt, "l3CacheSchema"));
	const char *mb = json_string_value(json_object_get(rdt, "memBwSchema"));
	json_t *list = json_object_get(rdt, "schemata"), *line;
	size_t i;
	int r;

	if (existed && (l3 || mb)) {
		/* A group that exists must already say what we would write. */
		char current[8192];
		if (berth_cg_read(dir, "schemata", current, sizeof(current)) < 0)
			return berth_error_sys(err, errno, "linux.intelRdt: read %s/schemata", dir);
		if ((l3 && !strstr(current, l3)) || (mb && !strstr(current, mb)))
			return berth_error_set(err, EEXIST,
					       "linux.intelRdt: the existing group %s has other schemata than the config's",
					       dir);
		return 0;
	}
	if (l3 && (r = berth_cg_write(dir, "schemata", l3, err)) < 0)
		return r;
	if (mb && (r = berth_cg_write(dir, "schemata", mb, err)) < 0)
		return r;
	json_array_foreach (list, i, line)
		if ((r = berth_cg_write(dir, "schemata", json_string_value(line), err)) < 0)
			return r;
	return 0;
}

int berth_resctrl_apply(json_t *rdt, const char *id, pid_t pid, char **ret_created_dir, struct berth_error *err)
{
	const char *clos = json_string_value(json_object_get(rdt, "closID"));
	bool schemata = json_object_get(rdt, "l3CacheSchema") || json_object_get(rdt, "memBwSchema") ||
			json_object_get(rdt, "schemata");
	char dir[PATH_MAX];
	struct statfs sfs;
	bool existed = true;
	int r;

	*ret_created_dir = NULL;
	if (statfs(RESCTRL_ROOT, &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
		return berth_error_set(err, ENOTSUP, "linux.intelRdt: no resctrl filesystem is mounted at %s", RESCTRL_ROOT);
	if (clos && strcmp(clos, "/") == 0)
		snprintf(dir, sizeof(dir), "%s", RESCTRL_ROOT);
	else
		snprintf(dir, sizeof(dir), "%s/%s", RESCTRL_ROOT, clos ? clos : id);
	if (clos && strchr(clos, '/') && strcmp(clos, "/") != 0)
		return berth_error_set(err, EINVAL, "linux.intelRdt.closID: \"%s\" must be a name or \"/\"", clos);
	if (mkdir(dir, 0755) == 0) {
		existed = false;
	} else if (errno != EEXIST) {
		return berth_error_sys(err, errno, "linux.intelRdt: create %s", dir);
	} else if (clos == NULL) {
		return berth_error_set(err, EEXIST, "linux.intelRdt: %s already exists", dir);
	}
	if (clos && !schemata && !existed) {
		rmdir(dir);
		return berth_error_set(err, ENOENT, "linux.intelRdt: the group %s does not exist", clos);
	}
	if ((r = write_schemata(dir, rdt, existed, err)) < 0 || (r = berth_cg_writef(dir, "tasks", err, "%d", (int) pid)) < 0) {
		if (!existed)
			rmdir(dir);
		return r;
	}
	/* Only the group named after the container is ours to remove later. */
	if (!existed && clos == NULL)
		*ret_created_dir = strdup(dir);
	return 0;
}

void berth_resctrl_remove(const char *dir)
{
	if (dir && strncmp(dir, RESCTRL_ROOT "/", strlen(RESCTRL_ROOT) + 1) == 0)
		rmdir(dir);
}
