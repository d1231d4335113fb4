/* berth cp's copy plan and tar streams (see cp_archive.h). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cp_archive.h"
#include "file.h"

#define CP_BLOCK (64 * 1024)

void berth_cp_plan_clear(struct berth_cp_plan *p)
{
	free(p->dir);
	free(p->old_base);
	free(p->new_base);
	p->dir = p->old_base = p->new_base = NULL;
}

/* ---- paths ---- */

char *berth_cp_clean(const char *path)
{
	size_t n = strlen(path);
	bool rooted = path[0] == '/';
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t len = 0, dotdot = 0; /* out[0..dotdot) is ".." elements that cannot be undone */
	if (rooted)
		out[len++] = '/', dotdot = 1;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && path[e] != '/')
			e++;
		size_t el = e - i;
		if (el == 0 || (el == 1 && path[i] == '.')) {
			/* nothing */
		} else if (el == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (len > dotdot) {
				while (len > dotdot && out[len - 1] != '/')
					len--;
				if (len > dotdot)
					len--; /* the separator */
				else if (len > 0 && out[len - 1] == '/' && !rooted)
					len--;
			} else if (!rooted) {
				if (len > 0)
					out[len++] = '/';
				out[len++] = '.';
				out[len++] = '.';
				dotdot = len;
			}
		} else {
			if (len > 0 && out[len - 1] != '/')
				out[len++] = '/';
			memcpy(out + len, path + i, el);
			len += el;
		}
		i = e + 1;
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return out;
}

bool berth_cp_current_dir(const char *path)
{
	size_t n = strlen(path);
	return (n == 1 && path[0] == '.') || (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/');
}

bool berth_cp_asserts_dir(const char *path)
{
	size_t n = strlen(path);
	return (n > 0 && path[n - 1] == '/') || berth_cp_current_dir(path);
}

int berth_cp_split(const char *path, char **dir, char **base, struct berth_error *err)
{
	_cleanup_free_ char *clean = berth_cp_clean(path);
	if (!clean)
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	if (berth_cp_current_dir(path) && strcmp(clean, ".") != 0) {
		*dir = clean;
		*base = strdup(".");
		clean = NULL;
	} else {
		char *slash = strrchr(clean, '/');
		if (!slash) {
			*dir = strdup(".");
			*base = strdup(clean);
		} else if (slash == clean) {
			*dir = strdup("/");
			*base = strdup(clean[1] ? clean + 1 : "/");
		} else {
			*dir = strndup(clean, (size_t) (slash - clean));
			*base = strdup(slash + 1);
		}
	}
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	}
	return 0;
}

char *berth_cp_join(const char *dir, const char *name)
{
	_cleanup_free_ char *joined = NULL;
	if (asprintf(&joined, "%s/%s", dir, name) < 0)
		return NULL;
	return berth_cp_clean(joined);
}

int berth_cp_rebase_name(const char *path, const char *resolved, char **ret_path, char **ret_rebase,
			 struct berth_error *err)
{
	_cleanup_free_ char *p = NULL;
	size_t n = strlen(path);
	const char *suffix = "";

	if (berth_cp_current_dir(path) && !berth_cp_current_dir(resolved))
		suffix = "/.";
	else if (n > 0 && path[n - 1] == '/' && resolved[strlen(resolved) - 1] != '/')
		suffix = "/";
	if (asprintf(&p, "%s%s", resolved, suffix) < 0)
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	/* filepath.Base: of the cleaned path, "." kept */
	char *pd, *rd;
	_cleanup_free_ char *pb = NULL, *rb = NULL;
	if (berth_cp_split(path, &pd, &pb, err) < 0)
		return -ENOMEM;
	free(pd);
	if (berth_cp_split(p, &rd, &rb, err) < 0)
		return -ENOMEM;
	free(rd);
	*ret_rebase = NULL;
	if (strcmp(pb, rb) != 0 && !(*ret_rebase = strdup(pb)))
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	*ret_path = p;
	p = NULL;
	return 0;
}

/* ---- the plan ---- */

static int plan_set(struct berth_cp_plan *ret, const char *dir, const char *old_base, const char *new_base,
		    struct berth_error *err)
{
	ret->dir = strdup(dir);
	ret->old_base = old_base ? strdup(old_base) : NULL;
	ret->new_base = new_base ? strdup(new_base) : NULL;
	if (!ret->dir || (old_base && !ret->old_base) || (new_base && !ret->new_base)) {
		berth_cp_plan_clear(ret);
		return berth_error_sys(err, ENOMEM, "copy plan");
	}
	return 0;
}

int berth_cp_prepare(const struct berth_cp_info *src, const struct berth_cp_info *dst, struct berth_cp_plan *ret,
		     struct berth_error *err)
{
	_cleanup_free_ char *dst_dir = NULL, *dst_base = NULL, *src_dir = NULL, *src_base = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = berth_cp_split(dst->path, &dst_dir, &dst_base, err)) < 0 ||
	    (r = berth_cp_split(src->path, &src_dir, &src_base, err)) < 0)
		return r;
	const char *rebase = src->rebase_name && *src->rebase_name ? src->rebase_name : NULL;
	if (dst->exists && dst->is_dir)
		/* extracted into it as it is, or under the name the link had */
		return plan_set(ret, dst->path, rebase ? src_base : NULL, rebase, err);
	if (dst->exists && src->is_dir)
		return berth_error_set(err, EISDIR, BERTH_CP_ERR_CANNOT_COPY_DIR);
	if (!dst->exists && !src->is_dir && berth_cp_asserts_dir(dst->path))
		return berth_error_set(err, ENOENT, BERTH_CP_ERR_DIR_NOT_EXISTS);
	/* the copy takes the destination's name */
	return plan_set(ret, dst_dir, src_base, dst_base, err);
}

/* name with its leading old_base replaced by new_base (docker's
 * RebaseArchiveEntries), NULL when out of memory. */
static char *rebase(const char *name, const char *old_base, const char *new_base)
{
	if (!old_base)
		return strdup(name);
	size_t n = strlen(old_base);
	/* "./x" from a tar of "dir/." */
	if (strcmp(old_base, ".") != 0 && name[0] == '.' && name[1] == '/' && strncmp(name + 2, old_base, n) == 0)
		name += 2;
	if (strncmp(name, old_base, n) != 0 || (name[n] != '\0' && name[n] != '/'))
		return strdup(name);
	char *out;
	return asprintf(&out, "%s%s", new_base, name + n) < 0 ? NULL : out;
}

/* ---- extraction ---- */

static ssize_t extract_read(struct archive *a, void *userdata, const void **buf)
{
	static __thread char block[CP_BLOCK];
	struct berth_cp_extract *x = userdata;
	ssize_t n;
	do
		n = read(x->fd, block, sizeof(block));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read");
		return -1;
	}
	x->bytes += (uint64_t) n;
	*buf = block;
	return n;
}

/* The entry's names moved under the plan's directory. */
static int place_entry(struct archive_entry *e, const struct berth_cp_plan *plan, struct berth_error *err)
{
	const char *names[2] = { archive_entry_pathname(e), archive_entry_hardlink(e) };
	for (int i = 0; i < 2; i++) {
		if (!names[i])
			continue;
		const char *name = names[i];
		while (*name == '/')
			name++;
		_cleanup_free_ char *renamed = rebase(name, plan->old_base, plan->new_base), *full = NULL;
		if (!renamed || asprintf(&full, "%s/%s", plan->dir, renamed) < 0)
			return berth_error_sys(err, ENOMEM, "extract %s", name);
		if (i == 0)
			archive_entry_set_pathname(e, full);
		else
			archive_entry_set_hardlink(e, full);
	}
	return 0;
}

static int extract_entries(struct berth_cp_extract *x, struct archive *in, struct archive *out,
			   struct berth_error *err)
{
	struct berth_cp_plan plan __attribute__((cleanup(berth_cp_plan_clear))) = { 0 };
	struct archive_entry *e;
	bool first = true;
	int r;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (first) {
			x->src.is_dir = archive_entry_filetype(e) == AE_IFDIR;
			if ((r = berth_cp_prepare(&x->src, &x->dst, &plan, err)) < 0)
				return r;
			/* without symlinks: the secure extraction refuses to go through any */
			char *real = realpath(plan.dir, NULL);
			if (!real)
				return berth_error_sys(err, errno, "lstat %s", plan.dir);
			free(plan.dir);
			plan.dir = real;
			first = false;
		}
		if ((r = place_entry(e, &plan, err)) < 0)
			return r;
		r = archive_write_header(out, e);
		if (r == ARCHIVE_OK && archive_entry_size(e) > 0) {
			const void *buf;
			size_t size;
			int64_t offset;
			while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_OK) {
					r = ARCHIVE_FATAL;
					break;
				}
			if (r == ARCHIVE_EOF)
				r = ARCHIVE_OK;
		}
		if (r >= ARCHIVE_WARN)
			r = archive_write_finish_entry(out);
		if (r < ARCHIVE_WARN) {
			struct archive *bad = archive_errno(out) || archive_error_string(out) ? out : in;
			return berth_error_set(err, archive_errno(bad) > 0 ? archive_errno(bad) : EIO, "%s",
					       archive_error_string(bad) ? archive_error_string(bad) : "extract");
		}
	}
	if (r != ARCHIVE_EOF)
		return berth_error_set(err, EIO, "%s",
				       archive_error_string(in) ? archive_error_string(in) : "read archive");
	return 0;
}

void *berth_cp_extract_thread(void *arg)
{
	struct berth_cp_extract *x = arg;
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();

	if (!in || !out) {
		x->r = berth_error_sys(&x->err, ENOMEM, "extract");
	} else {
		archive_read_support_format_tar(in);
		/* no lchown, as docker's CopyTo; never through a symlink or ".." */
		archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
							    ARCHIVE_EXTRACT_SECURE_SYMLINKS |
							    ARCHIVE_EXTRACT_SECURE_NODOTDOT);
		if (archive_read_open(in, x, NULL, extract_read, NULL) != ARCHIVE_OK)
			x->r = berth_error_set(&x->err, EIO, "%s", archive_error_string(in));
		else
			x->r = extract_entries(x, in, out, &x->err);
		if (x->r == 0 && archive_write_close(out) != ARCHIVE_OK)
			x->r = berth_error_set(&x->err, EIO, "%s", archive_error_string(out));
	}
	archive_read_free(in);
	archive_write_free(out);
	/* a writer still at the other end gets EPIPE instead of waiting */
	close(x->fd);
	x->fd = -1;
	return NULL;
}

/* ---- building ---- */

static ssize_t build_write(struct archive *a, void *userdata, const void *buf, size_t n)
{
	struct berth_cp_build *b = userdata;
	if (berth_write_all(b->fd, buf, n) < 0) {
		archive_set_error(a, errno, "write");
		return -1;
	}
	b->bytes += n;
	return (ssize_t) n;
}

static int archive_fail(struct archive *a, const char *what, struct berth_error *err)
{
	int code = archive_errno(a) > 0 ? archive_errno(a) : EIO;
	const char *msg = archive_error_string(a);
	return berth_error_set(err, code, "%s: %s", what, msg ? msg : strerror(code));
}

static int build_entry(struct berth_cp_build *b, struct archive *disk, struct archive *out, struct archive_entry *e,
		       struct berth_error *err)
{
	static __thread char block[CP_BLOCK];
	const char *name = archive_entry_pathname(e);
	size_t n = strlen(b->path);
	_cleanup_free_ char *renamed = NULL;

	if (strncmp(name, b->path, n) != 0)
		return berth_error_set(err, EIO, "archive %s: unexpected entry %s", b->path, name);
	if (asprintf(&renamed, "%s%s", b->top, name + n) < 0)
		return berth_error_sys(err, ENOMEM, "archive %s", name);
	archive_entry_set_pathname(e, renamed);
	if (archive_write_header(out, e) < ARCHIVE_WARN)
		return archive_fail(out, "archive", err);
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
		ssize_t got;
		while ((got = archive_read_data(disk, block, sizeof(block))) > 0)
			if (archive_write_data(out, block, (size_t) got) < 0)
				return archive_fail(out, "archive", err);
		if (got < 0)
			return archive_fail(disk, name, err);
	}
	if (archive_entry_filetype(e) == AE_IFDIR && archive_read_disk_descend(disk) < ARCHIVE_WARN)
		return archive_fail(disk, name, err);
	return 0;
}

static int build(struct berth_cp_build *b, struct archive *disk, struct archive *out, struct berth_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0, ar;

	if (!e)
		return berth_error_sys(err, ENOMEM, "archive %s", b->path);
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
						     ARCHIVE_READDISK_NO_FFLAGS);
	archive_write_set_format_pax_restricted(out);
	archive_write_set_bytes_in_last_block(out, 1);
	if (archive_write_open(out, b, NULL, build_write, NULL) != ARCHIVE_OK)
		r = archive_fail(out, "archive", err);
	else if (archive_read_disk_open(disk, b->path) != ARCHIVE_OK)
		r = archive_fail(disk, b->path, err);
	while (r == 0 && (ar = archive_read_next_header2(disk, e)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN)
			r = archive_fail(disk, b->path, err);
		else
			r = build_entry(b, disk, out, e, err);
		archive_entry_clear(e);
	}
	if (r == 0 && archive_write_close(out) != ARCHIVE_OK)
		r = archive_fail(out, "archive", err);
	archive_entry_free(e);
	return r;
}

void *berth_cp_build_thread(void *arg)
{
	struct berth_cp_build *b = arg;
	struct archive *disk = archive_read_disk_new(), *out = archive_write_new();

	if (!disk || !out)
		b->r = berth_error_sys(&b->err, ENOMEM, "archive %s", b->path);
	else
		b->r = build(b, disk, out, &b->err);
	archive_read_free(disk);
	archive_write_free(out);
	/* the end of the request's body */
	close(b->fd);
	b->fd = -1;
	return NULL;
}
