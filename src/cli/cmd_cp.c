/* berth cp: files between a container and the local filesystem, as the
 * docker CLI copies them (cli/command/container/cp.go): the container's
 * side through GET, HEAD and PUT /containers/ID/archive, the local side a
 * tar extracted or built as it streams (cp_archive.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "cp_archive.h"
#include "json.h"
#include "registry_auth.h"
#include "units.h"

/* Go's os.FileMode bits the decisions look at. */
#define GO_MODE_DIR (1u << 31)
#define GO_MODE_SYMLINK (1u << 27)
#define GO_MODE_DEVICE (1u << 26)
#define GO_MODE_IRREGULAR (1u << 19)

static const struct berth_cmd_info cp_info = {
	"[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
	"Copy files/folders between a container and the local filesystem\n\n"
	"Use '-' as the source to read a tar archive from stdin\n"
	"and extract it to a directory destination in a container.\n"
	"Use '-' as the destination to stream a tar archive of a\n"
	"container source to stdout.",
	"  -a, --archive       Archive mode (copy all uid/gid information)\n"
	"  -L, --follow-link   Always follow symbol link in SRC_PATH\n"
	"  -q, --quiet         Suppress progress output during copy. Progress\n"
	"                      output is automatically suppressed if no terminal\n"
	"                      is attached\n",
};

struct cp_opts {
	bool archive, follow_link, quiet;
	const char *container;
	const char *src, *dst;
};

/* An error of a system call as Go words it: "lstat /x: no such file or directory". */
static int go_sys_error(struct berth_error *err, int code, const char *op, const char *path)
{
	char what[128];
	snprintf(what, sizeof(what), "%s", strerror(code));
	what[0] = (char) tolower((unsigned char) what[0]);
	return berth_error_set(err, code, "%s %s: %s", op, path, what);
}

/* docker's splitCpArg: "CONTAINER:PATH", unless a local path (absolute, or
 * starting with "." before its colon). */
static const char *split_arg(const char *arg, char **container)
{
	*container = NULL;
	if (arg[0] == '/')
		return arg;
	const char *colon = strchr(arg, ':');
	if (!colon || arg[0] == '.')
		return arg;
	*container = strndup(arg, (size_t) (colon - arg));
	return colon + 1;
}

/* resolveLocalPath: absolute and clean, keeping a trailing "/" or "/.". */
static int resolve_local(const char *path, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *cwd = NULL, *joined = NULL, *clean = NULL;
	if (path[0] != '/') {
		if (!(cwd = getcwd(NULL, 0)))
			return berth_error_sys(err, errno, "getwd");
		if (asprintf(&joined, "%s/%s", cwd, path) < 0)
			return berth_error_sys(err, ENOMEM, "copy %s", path);
	}
	if (!(clean = berth_cp_clean(joined ? joined : path)))
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	size_t n = strlen(clean);
	const char *suffix = "";
	if (berth_cp_current_dir(path) && !berth_cp_current_dir(clean))
		suffix = clean[n - 1] == '/' ? "." : "/.";
	else if (path[strlen(path) - 1] == '/' && clean[n - 1] != '/')
		suffix = "/";
	if (asprintf(ret, "%s%s", clean, suffix) < 0)
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	return 0;
}

/* ---- the container's side ---- */

static int archive_path(const char *container, const char *path, const struct cp_opts *o, struct berth_path *p,
			const char **ret, struct berth_error *err)
{
	berth_path_init(p, "/containers/");
	berth_path_segment(p, container);
	berth_path_append(p, "/archive");
	berth_path_query(p, "path", path);
	if (o) {
		berth_path_query(p, "noOverwriteDirNonDir", "true");
		if (o->archive)
			berth_path_query(p, "copyUIDGID", "true");
	}
	*ret = berth_path_get(p, err);
	return *ret ? 0 : -ENOMEM;
}

struct cp_stat {
	uint32_t mode;
	char *link_target;
};

static void cp_stat_clear(struct cp_stat *s)
{
	free(s->link_target);
	s->link_target = NULL;
}

/* HEAD: the X-Docker-Container-Path-Stat of a path in the container. */
static int stat_path(struct berth_client *c, const char *container, const char *path, struct cp_stat *ret,
		     struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_response_ struct berth_response resp = { 0 };
	_cleanup_free_ char *header = NULL, *json = NULL;
	_cleanup_json_ json_t *j = NULL;
	const char *url;
	size_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = archive_path(container, path, NULL, &p, &url, err)) < 0)
		return r;
	const struct berth_request req = { .method = "HEAD", .path = url, .body_fd = -1, .path_stat = &header };
	if ((r = berth_client_do(c, &req, &resp, err)) < 0)
		return r;
	if (!header || berth_base64_decode(header, strlen(header), BERTH_BASE64_LENIENT, &json, &len, err) < 0 ||
	    !(j = json_loadb(json, len, 0, NULL)))
		return berth_error_set(err, EIO, "unable to get resource stat from response");
	ret->mode = (uint32_t) json_integer_value(json_object_get(j, "mode"));
	const char *link = json_string_value(json_object_get(j, "linkTarget"));
	if (link && *link && !(ret->link_target = strdup(link)))
		return berth_error_sys(err, ENOMEM, "stat %s", path);
	return 0;
}

/* A link target in the container, joined with the link's directory when
 * relative. */
static int link_in_container(const char *link_path, const char *target, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL;
	int r;
	if (target[0] == '/') {
		*ret = strdup(target);
	} else {
		if ((r = berth_cp_split(link_path, &dir, &base, err)) < 0)
			return r;
		*ret = berth_cp_join(dir, target);
	}
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "copy %s", link_path);
}

static void print_copied(uint64_t bytes, const char *container, const char *path)
{
	char size[BERTH_UNITS_MAX];
	berth_units_human_size_precision((double) bytes, 3, size);
	fprintf(stderr, "Successfully copied %s to %s%s%s\n", size, container ? container : "", container ? ":" : "",
		path);
}

/* ---- from the container ---- */

/* docker's ValidateOutputPath. */
static int validate_output(const char *path, struct berth_error *err)
{
	_cleanup_free_ char *clean = berth_cp_clean(path), *dir = NULL, *base = NULL;
	struct stat st;
	int r;

	if (!clean)
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	if ((r = berth_cp_split(clean, &dir, &base, err)) < 0)
		return r;
	if (strcmp(dir, ".") != 0 && stat(dir, &st) < 0 && errno == ENOENT)
		return berth_error_set(err, ENOENT, "invalid output path: directory \"%s\" does not exist", dir);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : go_sys_error(err, errno, "stat", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL,
				       "invalid output path: \"%s\" must be a directory or a regular file: got %s", path,
				       S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "an irregular file");
	return 0;
}

/* docker's CopyInfoDestinationPath: a symlink at the end is followed, a
 * missing path needs its parent directory. */
static int local_destination(const char *path, struct berth_cp_info *ret, char **ret_path, struct berth_error *err)
{
	_cleanup_free_ char *cur = strdup(path);
	struct stat st;
	int r, n = 0;

	if (!cur)
		return berth_error_sys(err, ENOMEM, "copy %s", path);
	while ((r = lstat(cur, &st)) == 0 && S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		if (++n > 11)
			return berth_error_set(err, ELOOP, "too many symlinks in %s", path);
		ssize_t len = readlink(cur, target, sizeof(target) - 1);
		if (len < 0)
			return go_sys_error(err, errno, "readlink", cur);
		target[len] = '\0';
		char *next;
		if ((r = link_in_container(cur, target, &next, err)) < 0)
			return r;
		free(cur);
		cur = next;
	}
	memset(ret, 0, sizeof(*ret));
	if (r < 0) {
		_cleanup_free_ char *dir = NULL, *base = NULL;
		if (errno != ENOENT)
			return go_sys_error(err, errno, "lstat", cur);
		if ((r = berth_cp_split(cur, &dir, &base, err)) < 0)
			return r;
		if (stat(dir, &st) < 0)
			return go_sys_error(err, errno, "stat", dir);
		if (!S_ISDIR(st.st_mode))
			return berth_error_set(err, ENOTDIR, BERTH_CP_ERR_NOT_DIR);
	} else {
		ret->exists = true;
		ret->is_dir = S_ISDIR(st.st_mode);
	}
	ret->path = *ret_path = cur;
	cur = NULL;
	return 0;
}

/* -L: the link's target is fetched, under the link's name. */
static int follow_source(struct berth_client *c, const struct cp_opts *o, char **src, char **rebase)
{
	struct cp_stat st __attribute__((cleanup(cp_stat_clear))) = { 0 };
	struct berth_error ignored = { 0 };
	_cleanup_free_ char *target = NULL;
	char *resolved;

	/* as docker, a failed stat leaves the GET to say what is wrong */
	if (stat_path(c, o->container, *src, &st, &ignored) < 0 || !(st.mode & GO_MODE_SYMLINK) || !st.link_target)
		return 0;
	if (link_in_container(*src, st.link_target, &target, &ignored) < 0 ||
	    berth_cp_rebase_name(*src, target, &resolved, rebase, &ignored) < 0)
		return -ENOMEM;
	free(*src);
	*src = resolved;
	return 0;
}

static int extract_download(struct berth_client *c, const struct berth_request *req, struct berth_cp_extract *x,
			    struct berth_error *err)
{
	int p[2];
	pthread_t thread;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "pipe");
	x->fd = p[0];
	int r = pthread_create(&thread, NULL, berth_cp_extract_thread, x);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		return berth_error_sys(err, r, "copy: start the extraction");
	}
	r = berth_client_download(c, req, p[1], err);
	close(p[1]);
	pthread_join(thread, NULL);
	/* the extraction's own failure (the download then only saw EPIPE) */
	if (x->r < 0 && (r == 0 || err->code == EPIPE)) {
		*err = x->err;
		return x->r;
	}
	return r;
}

static int copy_from_container(struct berth_cli *cli, const struct cp_opts *o, struct berth_error *err)
{
	_cleanup_free_ char *dst = NULL, *src = strdup(o->src), *rebase = NULL, *dst_path = NULL;
	_cleanup_path_ struct berth_path p = { 0 };
	struct berth_client *c;
	const char *url;
	int r;

	if (!src)
		return berth_error_sys(err, ENOMEM, "copy");
	bool to_stdout = !strcmp(o->dst, "-");
	if (!to_stdout && ((r = resolve_local(o->dst, &dst, err)) < 0 || (r = validate_output(dst, err)) < 0))
		return r;
	if ((r = berth_cli_client(cli, &c, err)) < 0)
		return r;
	if (o->follow_link && (r = follow_source(c, o, &src, &rebase)) < 0)
		return berth_error_sys(err, -r, "copy %s", o->src);
	if ((r = archive_path(o->container, src, NULL, &p, &url, err)) < 0)
		return r;
	const struct berth_request req = { .path = url, .body_fd = -1 };
	if (to_stdout)
		return berth_client_download(c, &req, STDOUT_FILENO, err);

	struct berth_cp_extract x = { .src = { .path = src, .exists = true, .rebase_name = rebase } };
	if ((r = local_destination(dst, &x.dst, &dst_path, err)) < 0)
		return r;
	if ((r = extract_download(c, &req, &x, err)) < 0)
		return r;
	if (!o->quiet)
		print_copied(x.bytes, NULL, dst);
	return 0;
}

/* ---- into the container ---- */

/* docker's CopyInfoSourcePath: with -L, or a trailing "/", a symlink is
 * followed and the copy keeps its name. */
static int local_source(const char *path, bool follow, char **resolved, char **rebase, struct berth_error *err)
{
	size_t n = strlen(path);
	*rebase = NULL;
	if (!follow && path[n - 1] != '/') {
		*resolved = strdup(path);
		return *resolved ? 0 : berth_error_sys(err, ENOMEM, "copy %s", path);
	}
	_cleanup_free_ char *real = realpath(path, NULL);
	if (!real)
		return go_sys_error(err, errno, "lstat", path);
	return berth_cp_rebase_name(path, real, resolved, rebase, err);
}

/* The container's destination, a symlink there followed once. */
static int container_destination(struct berth_client *c, const struct cp_opts *o, struct berth_cp_info *ret,
				 char **ret_path, struct berth_error *err)
{
	struct cp_stat st __attribute__((cleanup(cp_stat_clear))) = { 0 };
	struct berth_error ignored = { 0 };
	char *path = strdup(o->dst);
	int r;

	if (!path)
		return berth_error_sys(err, ENOMEM, "copy");
	r = stat_path(c, o->container, path, &st, &ignored);
	if (r == 0 && (st.mode & GO_MODE_SYMLINK) && st.link_target) {
		char *target;
		if (link_in_container(path, st.link_target, &target, err) < 0) {
			free(path);
			return -ENOMEM;
		}
		free(path);
		path = target;
		cp_stat_clear(&st);
		r = stat_path(c, o->container, path, &st, &ignored);
	}
	*ret_path = path;
	if (r == 0 && (st.mode & (GO_MODE_DEVICE | GO_MODE_IRREGULAR)))
		return berth_error_set(err, EINVAL, "destination \"%s:%s\" must be a directory or a regular file: got %s",
				       o->container, o->dst, st.mode & GO_MODE_DEVICE ? "a device" : "an irregular file");
	/* a failed stat: the parent may still be there, the PUT says */
	*ret = (struct berth_cp_info){ .path = path, .exists = r == 0, .is_dir = r == 0 && (st.mode & GO_MODE_DIR) };
	return 0;
}

static int upload_build(struct berth_client *c, const struct berth_request *req, struct berth_cp_build *b,
			struct berth_error *err)
{
	_cleanup_response_ struct berth_response resp = { 0 };
	struct berth_request put = *req;
	int p[2];
	pthread_t thread;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_sys(err, errno, "pipe");
	b->fd = p[1];
	int r = pthread_create(&thread, NULL, berth_cp_build_thread, b);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		return berth_error_sys(err, r, "copy: start the archive");
	}
	put.body_from_fd = true;
	put.body_fd = p[0];
	r = berth_client_do(c, &put, &resp, err);
	close(p[0]);
	pthread_join(thread, NULL);
	if (b->r < 0 && b->err.code != EPIPE) {
		*err = b->err;
		return b->r;
	}
	return r;
}

static int copy_to_container(struct berth_cli *cli, const struct cp_opts *o, struct berth_error *err)
{
	_cleanup_free_ char *src = NULL, *dst_path = NULL, *resolved = NULL, *rebase = NULL, *walk = NULL;
	_cleanup_free_ char *src_dir = NULL, *src_base = NULL;
	struct berth_cp_plan plan __attribute__((cleanup(berth_cp_plan_clear))) = { 0 };
	_cleanup_path_ struct berth_path p = { 0 };
	struct berth_cp_info dst;
	struct berth_client *c;
	const char *url;
	struct stat st;
	int r;

	bool from_stdin = !strcmp(o->src, "-");
	if (!from_stdin && (r = resolve_local(o->src, &src, err)) < 0)
		return r;
	if ((r = berth_cli_client(cli, &c, err)) < 0 || (r = container_destination(c, o, &dst, &dst_path, err)) < 0)
		return r;
	if (from_stdin) {
		_cleanup_response_ struct berth_response resp = { 0 };
		if (!dst.is_dir)
			return berth_error_set(err, ENOTDIR, "destination \"%s:%s\" must be a directory", o->container,
					       o->dst);
		if ((r = archive_path(o->container, dst.path, o, &p, &url, err)) < 0)
			return r;
		const struct berth_request req = { .method = "PUT", .path = url, .content_type = "application/x-tar",
						   .body_from_fd = true, .body_fd = STDIN_FILENO };
		return berth_client_do(c, &req, &resp, err);
	}
	if ((r = local_source(src, o->follow_link, &resolved, &rebase, err)) < 0)
		return r;
	if (lstat(resolved, &st) < 0)
		return go_sys_error(err, errno, "lstat", resolved);
	const struct berth_cp_info info = { .path = resolved, .exists = true, .is_dir = S_ISDIR(st.st_mode),
					    .rebase_name = rebase };
	if ((r = berth_cp_prepare(&info, &dst, &plan, err)) < 0 ||
	    (r = berth_cp_split(resolved, &src_dir, &src_base, err)) < 0)
		return r;
	if (!(walk = berth_cp_clean(resolved)))
		return berth_error_sys(err, ENOMEM, "copy %s", o->src);
	if ((r = archive_path(o->container, plan.dir, o, &p, &url, err)) < 0)
		return r;
	struct berth_cp_build b = { .path = walk, .top = plan.new_base ? plan.new_base : rebase ? rebase : src_base };
	const struct berth_request req = { .method = "PUT", .path = url, .content_type = "application/x-tar" };
	if ((r = upload_build(c, &req, &b, err)) < 0)
		return r;
	if (!o->quiet)
		print_copied(b.bytes, o->container, dst.path);
	return 0;
}

int berth_cmd_cp(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "archive", no_argument, NULL, 'a' }, { "follow-link", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_opts o = { .quiet = !isatty(STDOUT_FILENO) };
	_cleanup_free_ char *src_container = NULL, *dst_container = NULL;
	struct berth_error err = { 0 };
	int c;

	while ((c = berth_cli_getopt(cli, &cp_info, argc, argv, ":aLqh", longopts)) != -1) {
		switch (c) {
		case 'a':
			o.archive = true;
			break;
		case 'L':
			o.follow_link = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return berth_cli_usage_error(cli, &cp_info, 1, "'%s' requires 2 arguments", cli->cmd_path);
	if (!*argv[optind])
		return berth_cli_fail(&(struct berth_error){ EINVAL, "source can not be empty" });
	if (!*argv[optind + 1])
		return berth_cli_fail(&(struct berth_error){ EINVAL, "destination can not be empty" });
	o.src = split_arg(argv[optind], &src_container);
	o.dst = split_arg(argv[optind + 1], &dst_container);
	if (src_container && dst_container)
		return berth_cli_fail(&(struct berth_error){ EINVAL, "copying between containers is not supported" });
	if (!src_container && !dst_container)
		return berth_cli_fail(&(struct berth_error){ EINVAL, "must specify at least one container source" });
	/* a write into a pipe whose reader stopped fails instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	o.container = src_container ? src_container : dst_container;
	int r = src_container ? copy_from_container(cli, &o, &err) : copy_to_container(cli, &o, &err);
	return r < 0 ? berth_cli_fail(&err) : 0;
}
