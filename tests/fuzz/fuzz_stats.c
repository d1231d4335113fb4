/* docker stats reads text the kernel writes but a container shapes (its
 * interfaces' names in net/dev, its cgroup's keys and devices): any bytes
 * in /proc/stat, net/dev, io.stat, the v1 blkio lines, memory.stat,
 * cpu.stat, cpuacct.stat and the one-number files must give a document or
 * nothing, never crash, leak or read out of bounds.
 *
 * The input is split at NUL bytes into the files below, in that order; the
 * cgroup files go into a fake cgroupfs (one directory serving as every v1
 * controller and as the v2 unified directory), read with both versions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cgroup_files[] = {
	"io.stat",
	"memory.stat",
	"cpu.stat",
	"blkio.io_service_bytes_recursive",
	"blkio.throttle.io_serviced_recursive",
	"blkio.sectors_recursive",
	"cpuacct.stat",
	"cpuacct.usage_percpu",
	"cpuacct.usage",
	"pids.current",
	"pids.max",
	"memory.max",
	"memory.limit_in_bytes",
	"memory.usage_in_bytes",
};
#define N_CGROUP_FILES (sizeof(cgroup_files) / sizeof(cgroup_files[0]))

static char dir[PATH_MAX];

static void remove_dir(void)
{
	for (size_t i = 0; i < N_CGROUP_FILES; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s", dir, cgroup_files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void write_file(const char *name, const char *text, size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n <= 0)
			abort();
		text += n;
		len -= (size_t) n;
	}
	close(fd);
}

/* The next NUL-terminated piece of [*p, end): "" past the end. */
static const char *piece(const char **p, const char *end, size_t *len)
{
	const char *s = *p < end ? *p : end;
	*len = strnlen(s, (size_t) (end - s));
	*p = s + *len + (s + *len < end ? 1 : 0);
	return s;
}

static void read_both(void)
{
	struct berth_stats_cgroup cg = { .version = 1 };
	struct berth_error err = { 0 };
	json_t *doc = NULL;

	snprintf(cg.memory, sizeof(cg.memory), "%s", dir);
	snprintf(cg.cpu, sizeof(cg.cpu), "%s", dir);
	snprintf(cg.cpuacct, sizeof(cg.cpuacct), "%s", dir);
	snprintf(cg.pids, sizeof(cg.pids), "%s", dir);
	snprintf(cg.blkio, sizeof(cg.blkio), "%s", dir);
	if (berth_stats_cgroup_read(&cg, 1 << 30, &doc, &err) == 0) {
		free(json_dumps(doc, JSON_COMPACT));
		json_decref(doc);
	}
	struct berth_stats_cgroup v2 = { .version = 2 };
	snprintf(v2.unified, sizeof(v2.unified), "%s", dir);
	if (berth_stats_cgroup_read(&v2, 0, &doc, &err) == 0) {
		free(json_dumps(doc, JSON_COMPACT));
		json_decref(doc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/berth-fuzz-stats.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *p = buf, *end = buf + size;
	size_t len;

	/* the host's texts, parsed from memory */
	const char *proc_stat = piece(&p, end, &len);
	(void) berth_stats_system_cpu(proc_stat, 100);
	const char *net_dev = piece(&p, end, &len);
	json_t *nets = berth_stats_net_dev(net_dev);
	free(json_dumps(nets, JSON_COMPACT));
	json_decref(nets);
	/* the cgroup's files, through the readers */
	for (size_t i = 0; i < N_CGROUP_FILES; i++) {
		const char *text = piece(&p, end, &len);
		write_file(cgroup_files[i], text, len);
	}
	read_both();
	free(buf);
	return 0;
}
