#include "userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "path.h"

#define LINE_MAX_LEN 4096
#define ID_MAX 0x7fffffffL

void berth_exec_user_clear(struct berth_exec_user *u)
{
	free(u->home);
	u->home = NULL;
}

/* A decimal id in [0, 2^31-1], the whole string. */
static bool parse_id(const char *s, long *ret)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > ID_MAX)
		return false;
	*ret = v;
	return true;
}

/* Walk the lines of a passwd/group text: each line split at ':' into at
 * most max fields (in a copy); comments, blank and overlong lines skipped.
 * fn returns true to stop. */
static bool each_entry(const char *text, size_t max, bool (*fn)(char **f, size_t n, void *ctx), void *ctx)
{
	char line[LINE_MAX_LEN];
	char *fields[8];
	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		const char *next = p[len] ? p + len + 1 : p + len;
		if (len == 0 || len >= sizeof(line) || *p == '#') {
			p = next;
			continue;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		size_t n = 0;
		for (char *s = line; n < max;) {
			fields[n++] = s;
			char *colon = strchr(s, ':');
			if (!colon)
				break;
			*colon = '\0';
			s = colon + 1;
		}
		if (fn(fields, n, ctx))
			return true;
		p = next;
	}
	return false;
}

struct passwd_query {
	const char *name; /* by name, or by uid when NULL */
	long uid;
	bool found;
	long found_uid, found_gid;
	char found_name[256], found_home[1024];
};

static bool match_passwd(char **f, size_t n, void *ctx)
{
	struct passwd_query *q = ctx;
	long uid, gid;
	if (n < 4 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return false;
	q->found = true;
	q->found_uid = uid;
	q->found_gid = gid;
	snprintf(q->found_name, sizeof(q->found_name), "%s", f[0]);
	snprintf(q->found_home, sizeof(q->found_home), "%s", n > 5 ? f[5] : "");
	return true;
}

struct group_query {
	const char *name; /* a group by name or number ... */
	long gid;
	bool found;
	const char *member; /* ... or every group listing this user */
	struct berth_exec_user *u;
};

static bool list_has(char *list, const char *name)
{
	for (char *save = NULL, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (strcmp(m, name) == 0)
			return true;
	return false;
}

static bool match_group(char **f, size_t n, void *ctx)
{
	struct group_query *q = ctx;
	long gid;
	if (n < 3 || !parse_id(f[2], &gid))
		return false;
	if (q->member) {
		if (n > 3 && list_has(f[3], q->member) && q->u->n_sgids < BERTH_USERDB_GROUPS_MAX)
			q->u->sgids[q->u->n_sgids++] = (gid_t) gid;
		return false;
	}
	if (strcmp(f[0], q->name) != 0)
		return false;
	q->found = true;
	q->gid = gid;
	return true;
}

/* A group named by name or number: by name first, as docker looks it up. */
static int resolve_group(const char *group, const char *name, gid_t *ret, struct berth_error *err)
{
	struct group_query q = { .name = name };
	long gid;
	if (group)
		each_entry(group, 4, match_group, &q);
	if (q.found) {
		*ret = (gid_t) q.gid;
		return 0;
	}
	if (parse_id(name, &gid)) {
		*ret = (gid_t) gid;
		return 0;
	}
	return berth_error_set(err, ENOENT, "unable to find group %s: no matching entries in group file", name);
}

static int resolve_user(const char *passwd, const char *name, struct berth_exec_user *u, struct passwd_query *q,
			struct berth_error *err)
{
	long uid;
	*q = (struct passwd_query){ .name = name };
	if (passwd)
		each_entry(passwd, 7, match_passwd, q);
	if (!q->found && parse_id(name, &uid)) {
		/* a uid without an entry runs with gid 0 */
		*q = (struct passwd_query){ .uid = uid };
		if (passwd)
			each_entry(passwd, 7, match_passwd, q);
		if (!q->found) {
			u->uid = (uid_t) uid;
			u->gid = 0;
			return 0;
		}
	}
	if (!q->found)
		return berth_error_set(err, ENOENT, "unable to find user %s: no matching entries in passwd file", name);
	u->uid = (uid_t) q->found_uid;
	u->gid = (gid_t) q->found_gid;
	return 0;
}

int berth_userdb_resolve(const char *passwd, const char *group, const char *user, const char *const *group_add,
			 struct berth_exec_user *ret, struct berth_error *err)
{
	struct berth_exec_user u = { 0 };
	struct passwd_query q = { 0 };
	char name[256];
	const char *colon = user ? strchr(user, ':') : NULL;
	int r;

	snprintf(name, sizeof(name), "%.*s", colon ? (int) (colon - user) : (int) strlen(user ? user : ""),
		 user ? user : "");
	if (colon && (!*name || !colon[1]))
		return berth_error_set(err, EINVAL, "invalid user \"%s\": want user[:group]", user);
	if ((r = resolve_user(passwd, *name ? name : "0", &u, &q, err)) < 0)
		return r;
	if (colon) {
		if ((r = resolve_group(group, colon + 1, &u.gid, err)) < 0)
			return r;
	} else if (q.found && group) {
		struct group_query g = { .member = q.found_name, .u = &u };
		each_entry(group, 4, match_group, &g);
	}
	for (const char *const *a = group_add; a && *a; a++) {
		if (u.n_sgids >= BERTH_USERDB_GROUPS_MAX)
			return berth_error_set(err, E2BIG, "more than %d groups", BERTH_USERDB_GROUPS_MAX);
		if ((r = resolve_group(group, *a, &u.sgids[u.n_sgids], err)) < 0)
			return r;
		u.n_sgids++;
	}
	u.home = strdup(q.found && q.found_home[0] ? q.found_home : "/");
	if (!u.home)
		return berth_error_sys(err, ENOMEM, "resolve user %s", user);
	*ret = u;
	return 0;
}

/* A missing file is no error: a scratch image has none. */
static int read_in_root(int rootfd, const char *rootname, const char *path, char **ret, struct berth_error *err)
{
	size_t len;
	_cleanup_close_ int fd = berth_openat_in_root(rootfd, path, O_RDONLY);
	*ret = NULL;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return berth_error_sys(err, -fd, "open %s in %s", path, rootname);
	int r = berth_read_file_at(fd, "", BERTH_USERDB_FILE_MAX, ret, &len, err);
	if (r < 0)
		return berth_error_wrap(err, "%s in %s", path, rootname);
	return 0;
}

int berth_userdb_resolve_in_root(int rootfd, const char *rootname, const char *user, const char *const *group_add,
				 struct berth_exec_user *ret, struct berth_error *err)
{
	_cleanup_free_ char *passwd = NULL, *group = NULL;
	int r = read_in_root(rootfd, rootname, "/etc/passwd", &passwd, err);
	if (r == 0)
		r = read_in_root(rootfd, rootname, "/etc/group", &group, err);
	if (r < 0)
		return r;
	return berth_userdb_resolve(passwd, group, user, group_add, ret, err);
}
