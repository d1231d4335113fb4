#include "archive_stat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "json.h"
#include "registry_auth.h"

/* Go's os.FileMode type and special bits (io/fs). */
#define GO_MODE_DIR (UINT32_C(1) << 31)
#define GO_MODE_SYMLINK (UINT32_C(1) << 27)
#define GO_MODE_DEVICE (UINT32_C(1) << 26)
#define GO_MODE_NAMED_PIPE (UINT32_C(1) << 25)
#define GO_MODE_SOCKET (UINT32_C(1) << 24)
#define GO_MODE_SETUID (UINT32_C(1) << 23)
#define GO_MODE_SETGID (UINT32_C(1) << 22)
#define GO_MODE_CHAR_DEVICE (UINT32_C(1) << 21)
#define GO_MODE_STICKY (UINT32_C(1) << 20)

uint32_t berth_go_file_mode(mode_t mode)
{
	uint32_t m = mode & 0777;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		m |= GO_MODE_DIR;
		break;
	case S_IFLNK:
		m |= GO_MODE_SYMLINK;
		break;
	case S_IFBLK:
		m |= GO_MODE_DEVICE;
		break;
	case S_IFCHR:
		m |= GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE;
		break;
	case S_IFIFO:
		m |= GO_MODE_NAMED_PIPE;
		break;
	case S_IFSOCK:
		m |= GO_MODE_SOCKET;
		break;
	default:
		break;
	}
	if (mode & S_ISUID)
		m |= GO_MODE_SETUID;
	if (mode & S_ISGID)
		m |= GO_MODE_SETGID;
	if (mode & S_ISVTX)
		m |= GO_MODE_STICKY;
	return m;
}

/* Go's time.RFC3339Nano in UTC: the fraction without trailing zeros, none
 * at all for a whole second. */
static void rfc3339_nano(const struct timespec *t, char out[64])
{
	struct tm tm;
	time_t s = t->tv_sec;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	long ns = t->tv_nsec;
	if (ns > 0 && ns < 1000000000) {
		char frac[16];
		snprintf(frac, sizeof(frac), "%09ld", ns);
		size_t len = strlen(frac);
		while (len > 0 && frac[len - 1] == '0')
			frac[--len] = '\0';
		n += (size_t) snprintf(out + n, 64 - n, ".%s", frac);
	}
	snprintf(out + n, 64 - n, "Z");
}

json_t *berth_archive_stat_json(const char *name, const struct stat *st, const char *link_target)
{
	char mtime[64];
	rfc3339_nano(&st->st_mtim, mtime);
	return json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t) st->st_size, "mode",
			 (json_int_t) berth_go_file_mode(st->st_mode), "mtime", mtime, "linkTarget",
			 link_target ? link_target : "");
}

int berth_archive_stat_header(const char *name, const struct stat *st, const char *link_target, char **ret,
			      struct berth_error *err)
{
	_cleanup_json_ json_t *o = berth_archive_stat_json(name, st, link_target);
	if (!o)
		return berth_error_set(err, EINVAL, "stat of %.200s: a name that is not UTF-8", name);
	/* dockerd's field order, as Go's encoding/json writes the struct */
	_cleanup_free_ char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return berth_error_sys(err, ENOMEM, "stat of %s", name);
	return berth_base64_encode(text, strlen(text), 0, ret, err);
}

int berth_archive_clean_path(const char *path, char *out, size_t size)
{
	if (size < 2)
		return -ENAMETOOLONG;
	size_t n = 0; /* out[0..n): the result so far, without a trailing '/' */
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t len = (size_t) (end - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the '/' before it; at the root ".." stays there */
		} else {
			if (n + 1 + len + 1 > size)
				return -ENAMETOOLONG;
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = end;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}
