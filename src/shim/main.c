/* berth-shim: the per-container monitor (the conmon / containerd-shim role).
 *
 *     berth-shim [OPTIONS] ID
 *
 * The process the caller starts only parses the options and forks.  The
 * child calls setsid() and becomes the shim: a session of its own, so it
 * outlives its caller (berthd restarts, or is SIGKILLed) and no terminal
 * signal of the caller reaches it; it is reparented to init (or to the
 * caller's subreaper), not waited for by anyone.  The first process waits
 * only for the child's report on an internal pipe, passes that line to
 * --sync-fd ("ok PID" or "error MESSAGE"), prints an error on its own
 * stderr, and exits 0 or 1: a caller may use either the line or the exit
 * status.  The child keeps no descriptor of the caller's (the sync fd
 * included: the first process owns it), and its stdio is /dev/null; its
 * diagnostics go to STATE/shim.log.  STATE/shim.pid names the shim while it
 * runs (removed when it exits), so that a restarted berthd can find and
 * check it (the first process's pid is useless for that: it is gone).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "file.h"
#include "shim.h"
#include "shim_log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: berth-shim [OPTIONS] ID\n\n"
		"Create the container ID with an OCI runtime and stay with it: hold its stdio,\n"
		"write its log, reap it and record its exit.\n\n"
		"  --bundle DIR          the OCI bundle (config.json and rootfs)\n"
		"  --state-dir DIR       the shim's directory (sockets, pid, exit, logs); must exist\n"
		"  --runtime PATH        the OCI runtime (default: berth-runtime)\n"
		"  --runtime-root DIR    passed to the runtime as --root\n"
		"  --log-path FILE       the container's log, docker's json-file format\n"
		"  --log-max-size BYTES  rotate the log at this size (0: never)\n"
		"  --log-max-files N     log files kept by rotation, the live one included (default 1)\n"
		"  --terminal            the container has a terminal\n"
		"  --stdin               keep the container's stdin open for attach clients\n"
		"  --stdin-once          close the container's stdin when its first client detaches\n"
		"  --sync-fd N           where to write \"ok PID\" or \"error MESSAGE\" once created\n"
		"  --version, --help\n");
}

/* runc's rule for container ids: also what may safely name a directory. */
static bool id_valid(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '+' || *c == '-' || *c == '.'))
			return false;
	return true;
}

static int parse_number(const char *opt, const char *text, unsigned long long max, unsigned long long *ret,
			struct berth_error *err)
{
	char *end;

	errno = 0;
	if (*text < '0' || *text > '9')
		return berth_error_set(err, EINVAL, "%s: \"%s\" is not a number", opt, text);
	*ret = strtoull(text, &end, 10);
	if (errno || *end != '\0' || *ret > max)
		return berth_error_set(err, EINVAL, "%s: \"%s\" is not a number up to %llu", opt, text, max);
	return 0;
}

/* An executable file: a path as given, or a name found in $PATH. */
static int find_program(const char *name, char **ret, struct berth_error *err)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return berth_error_sys(err, errno, "OCI runtime %s", name);
		*ret = realpath(name, NULL);
		return *ret ? 0 : berth_error_sys(err, errno, "OCI runtime %s", name);
	}
	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && (size_t) snprintf(buf, sizeof(buf), "%.*s/%s", (int) len, path, name) < sizeof(buf) &&
		    access(buf, X_OK) == 0) {
			*ret = strdup(buf);
			return *ret ? 0 : berth_error_sys(err, ENOMEM, "OCI runtime %s", name);
		}
		path += len + (path[len] == ':');
	}
	return berth_error_set(err, ENOENT, "OCI runtime %s: not found in $PATH", name);
}

/* The default runtime: berth-runtime next to this executable, else $PATH. */
static int default_runtime(char **ret, struct berth_error *err)
{
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/berth-runtime", self);
			if (access(cand, X_OK) == 0)
				return find_program(cand, ret, err);
		}
	}
	return find_program("berth-runtime", ret, err);
}

enum { OPT_BUNDLE = 1000, OPT_STATE, OPT_RUNTIME, OPT_ROOT, OPT_LOG, OPT_LOG_SIZE, OPT_LOG_FILES, OPT_TERMINAL,
       OPT_STDIN, OPT_STDIN_ONCE, OPT_SYNC, OPT_VERSION, OPT_HELP };

static int parse_option(int opt, const char *arg, struct shim_options *o, struct berth_error *err)
{
	unsigned long long v;

	switch (opt) {
	case OPT_BUNDLE: o->bundle = arg; break;
	case OPT_STATE: o->state_dir = arg; break;
	case OPT_RUNTIME: o->runtime = arg; break;
	case OPT_ROOT: o->runtime_root = arg; break;
	case OPT_LOG: o->log_path = arg; break;
	case OPT_TERMINAL: o->terminal = true; break;
	case OPT_STDIN: o->stdin = true; break;
	case OPT_STDIN_ONCE: o->stdin_once = true; break;
	case OPT_LOG_SIZE:
		if (parse_number("--log-max-size", arg, UINT64_MAX, &v, err) < 0)
			return -EINVAL;
		o->log_max_size = v;
		break;
	case OPT_LOG_FILES:
		if (parse_number("--log-max-files", arg, 1000, &v, err) < 0)
			return -EINVAL;
		if (v == 0)
			return berth_error_set(err, EINVAL, "--log-max-files: at least 1");
		o->log_max_files = (unsigned) v;
		break;
	case OPT_SYNC:
		if (parse_number("--sync-fd", arg, INT_MAX, &v, err) < 0)
			return -EINVAL;
		if (fcntl((int) v, F_GETFD) < 0)
			return berth_error_sys(err, errno, "--sync-fd %s", arg);
		o->sync_fd = (int) v;
		break;
	default:
		return berth_error_set(err, EINVAL, "unknown option (see berth-shim --help)");
	}
	return 0;
}

/* 1: --help or --version answered; 0: run; <0: error. */
static int parse_args(int argc, char **argv, struct shim_options *o, struct berth_error *err)
{
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "runtime-root", required_argument, NULL, OPT_ROOT },
		{ "log-path", required_argument, NULL, OPT_LOG },
		{ "log-max-size", required_argument, NULL, OPT_LOG_SIZE },
		{ "log-max-files", required_argument, NULL, OPT_LOG_FILES },
		{ "terminal", no_argument, NULL, OPT_TERMINAL },
		{ "stdin", no_argument, NULL, OPT_STDIN },
		{ "stdin-once", no_argument, NULL, OPT_STDIN_ONCE },
		{ "sync-fd", required_argument, NULL, OPT_SYNC },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("berth-shim version %s\ncommit: %s\n", BERTH_VERSION, BERTH_COMMIT);
			return 1;
		}
		if (opt == '?' || opt == ':')
			return berth_error_set(err, EINVAL, "bad option %s (see berth-shim --help)", argv[optind - 1]);
		if (parse_option(opt, optarg, o, err) < 0)
			return -EINVAL;
	}
	if (optind != argc - 1)
		return berth_error_set(err, EINVAL, "expected one container ID (see berth-shim --help)");
	o->id = argv[optind];
	if (!id_valid(o->id))
		return berth_error_set(err, EINVAL, "invalid container ID \"%s\": expected [A-Za-z0-9_+.-]", o->id);
	if (o->bundle == NULL || o->state_dir == NULL)
		return berth_error_set(err, EINVAL, "--bundle and --state-dir are required");
	if (o->stdin_once && !o->stdin)
		return berth_error_set(err, EINVAL, "--stdin-once needs --stdin");
	return 0;
}

/* The option strings main() owns (freed as it returns, in both processes). */
struct resolved {
	char *state_dir, *bundle, *runtime_root, *runtime;
};

static void resolved_free(struct resolved *r)
{
	free(r->state_dir);
	free(r->bundle);
	free(r->runtime_root);
	free(r->runtime);
}

/* Absolute paths: the shim runs in its state directory. */
static int resolve_paths(struct shim_options *o, struct resolved *res, struct berth_error *err)
{
	int r;

	if ((o->state_dir = res->state_dir = realpath(o->state_dir, NULL)) == NULL)
		return berth_error_sys(err, errno, "--state-dir");
	if ((o->bundle = res->bundle = realpath(o->bundle, NULL)) == NULL)
		return berth_error_sys(err, errno, "--bundle");
	if (o->runtime_root && o->runtime_root[0] != '/' &&
	    (o->runtime_root = res->runtime_root = realpath(o->runtime_root, NULL)) == NULL)
		return berth_error_sys(err, errno, "--runtime-root");
	if (o->log_path && o->log_path[0] != '/')
		return berth_error_set(err, EINVAL, "--log-path must be absolute");
	r = o->runtime ? find_program(o->runtime, &res->runtime, err) : default_runtime(&res->runtime, err);
	o->runtime = res->runtime;
	return r;
}

/* Nothing of the caller's stays open in the shim: a descriptor it leaked to
 * us (bats' fd 3, a socket of berthd's) would otherwise live as long as the
 * container, and reach the runtime. */
static void close_inherited(int keep)
{
	if (keep > 3)
		close_range(3, (unsigned) keep - 1, 0);
	close_range((unsigned) keep + 1, ~0U, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		if (null >= 0 && null != i)
			dup2(null, i);
	if (null > 2)
		close(null);
}

static int shim_main(struct shim_options *o, int report_fd)
{
	struct shim shim = { .opt = *o, .report_fd = report_fd, .epfd = -1 };
	struct berth_error err = { 0 };
	char pid[32];
	int r;

	shim.signals.fd = shim.control_listener.fd = -1;
	session_prepare(&shim, &shim.container);
	setsid();
	close_inherited(report_fd);
	if (chdir(o->state_dir) < 0) {
		dprintf(report_fd, "error change to the state directory %s: %s\n", o->state_dir, strerror(errno));
		return 1;
	}
	shim_log_open("shim.log");
	shim_info("shim for container %s starting (runtime %s)", o->id, o->runtime);
	snprintf(shim.runtime_log, sizeof(shim.runtime_log), "%s/runtime.log", o->state_dir);
	snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
	r = berth_write_file_atomic(AT_FDCWD, "shim.pid", pid, strlen(pid), 0644, 0, &err);
	if (r == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		r = berth_error_sys(&err, errno, "become a child subreaper");
	if (r == 0)
		r = shim_loop_init(&shim, &err);
	if (r == 0 && o->log_path)
		r = jsonlog_open(o->log_path, o->log_max_size, o->log_max_files, &shim.log, &err);
	if (r == 0)
		r = lifecycle_create(&shim, &err);
	if (r < 0) {
		shim_warn("container %s: %s", o->id, err.msg);
		dprintf(shim.report_fd, "error %s\n", err.msg);
		shim.report_fd = -1;
		lifecycle_cleanup(&shim);
		unlink("shim.pid");
		return 1;
	}
	shim_loop_run(&shim);
	lifecycle_cleanup(&shim);
	unlink("shim.pid");
	shim_info("shim for container %s exits", o->id);
	return shim.exit_status;
}

/* The first process: pass the child's one line on, exit with its outcome. */
static int relay_report(int from, int sync_fd)
{
	char line[BERTH_ERROR_MAX + 64];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		ssize_t n = read(from, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	if (len == 0 || line[len - 1] != '\n') {
		len = (size_t) snprintf(line, sizeof(line), "error the shim died before it reported\n");
	}
	if (sync_fd >= 0)
		(void) !write(sync_fd, line, strlen(line));
	if (strncmp(line, "ok ", 3) == 0)
		return 0;
	fprintf(stderr, "berth-shim: %s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
	return 1;
}

int main(int argc, char **argv)
{
	struct shim_options o = { .log_max_files = 1, .sync_fd = -1 };
	_cleanup_(resolved_free) struct resolved res = { 0 };
	struct berth_error err = { 0 };
	int pipefd[2], r;
	pid_t pid = -1;

	r = parse_args(argc, argv, &o, &err);
	if (r > 0)
		return 0;
	if (r == 0)
		r = resolve_paths(&o, &res, &err);
	if (r == 0 && pipe2(pipefd, O_CLOEXEC) < 0)
		r = berth_error_sys(&err, errno, "create a pipe");
	/* The child's end must not be 0-2, which become /dev/null there. */
	if (r == 0 && pipefd[1] < 3 && (pipefd[1] = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 3)) < 0)
		r = berth_error_sys(&err, errno, "duplicate a pipe");
	if (r == 0 && (pid = fork()) < 0)
		r = berth_error_sys(&err, errno, "fork");
	if (r < 0) {
		if (o.sync_fd >= 0)
			dprintf(o.sync_fd, "error %s\n", err.msg);
		fprintf(stderr, "berth-shim: %s\n", err.msg);
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		return shim_main(&o, pipefd[1]);
	}
	close(pipefd[1]);
	return relay_report(pipefd[0], o.sync_fd);
}
