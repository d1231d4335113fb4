#include "seccomp_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "seccomp_profile.h"

#define CACHE_DIR "@seccomp-cache" /* '@' is not allowed in container ids */
#define CACHE_MAX_ENTRIES 64
#define KEY_MAX (8u << 20)

/* What decides the compiled program (listenerPath, metadata and flags do
 * not: they are used at load time), plus everything of the compiler. */
static char *cache_key(json_t *profile)
{
	static const char *const fields[] = { "defaultAction", "defaultErrnoRet", "architectures", "syscalls" };
	_cleanup_json_ json_t *key = json_object();
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	char compiler[256];

	if (key == NULL)
		return NULL;
	uname(&u);
	snprintf(compiler, sizeof(compiler), "berth %s %s; libseccomp %u.%u.%u; %s", BERTH_VERSION, BERTH_COMMIT,
		 v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.machine);
	json_object_set_new(key, "compiler", json_string(compiler));
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(fields); i++) {
		json_t *f = json_object_get(profile, fields[i]);
		if (f)
			json_object_set(key, fields[i], f);
	}
	return json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
}

/* FNV-1a: only a file name; the full key is compared on every hit. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

static int lookup(int cachefd, const char *name, const char *key)
{
	char keyfile[64], bpffile[64];
	_cleanup_free_ char *stored = NULL;
	struct berth_error ignored;
	size_t len;

	snprintf(keyfile, sizeof(keyfile), "%s.key", name);
	snprintf(bpffile, sizeof(bpffile), "%s.bpf", name);
	if (berth_read_file_at(cachefd, keyfile, KEY_MAX, &stored, &len, &ignored) < 0)
		return -ENOENT;
	if (len != strlen(key) || memcmp(stored, key, len) != 0)
		return -ENOENT; /* another profile with the same hash: compile */
	return openat(cachefd, bpffile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static size_t count_entries(int cachefd)
{
	_cleanup_closedir_ DIR *d = NULL;
	int fd = fcntl(cachefd, F_DUPFD_CLOEXEC, 3);
	size_t n = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return SIZE_MAX;
	}
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	return n;
}

/* Store the program (then its key: a key without a program never hits). */
static void store(int cachefd, const char *name, const char *key, int memfd)
{
	char keyfile[64], bpffile[64];
	struct berth_error ignored;
	_cleanup_free_ char *bpf = NULL;
	struct stat st;

	if (count_entries(cachefd) >= CACHE_MAX_ENTRIES * 2 || fstat(memfd, &st) < 0 || st.st_size <= 0)
		return;
	bpf = malloc((size_t) st.st_size);
	if (bpf == NULL || pread(memfd, bpf, (size_t) st.st_size, 0) != st.st_size)
		return;
	snprintf(keyfile, sizeof(keyfile), "%s.key", name);
	snprintf(bpffile, sizeof(bpffile), "%s.bpf", name);
	if (berth_write_file_atomic(cachefd, bpffile, bpf, (size_t) st.st_size, 0400, 0, &ignored) == 0)
		berth_write_file_atomic(cachefd, keyfile, key, strlen(key), 0400, 0, &ignored);
}

int berth_seccomp_compile_cached(json_t *profile, int rootfd, int *ret_fd, struct berth_error *err)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_close_ int cachefd = -1;
	char name[32];
	int fd, r;

	if (rootfd < 0 || (key = cache_key(profile)) == NULL)
		return berth_seccomp_compile(profile, ret_fd, err);
	snprintf(name, sizeof(name), "%016llx", (unsigned long long) fnv1a(key));
	if (mkdirat(rootfd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
		return berth_seccomp_compile(profile, ret_fd, err);
	cachefd = openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cachefd < 0)
		return berth_seccomp_compile(profile, ret_fd, err);
	fd = lookup(cachefd, name, key);
	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	if ((r = berth_seccomp_compile(profile, &fd, err)) < 0)
		return r;
	store(cachefd, name, key, fd);
	*ret_fd = fd;
	return 0;
}
