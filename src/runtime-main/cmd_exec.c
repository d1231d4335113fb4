/* exec. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fdpass.h"
#include "proc.h"
#include "supervise.h"

enum { OPT_PIDFILE = 1000, OPT_CONSOLE, OPT_CWD, OPT_NNP, OPT_PRESERVE, OPT_LABEL, OPT_APPARMOR, OPT_IGNORE_PAUSED,
       OPT_CGROUP };

#define MAX_LIST 256

struct exec_args {
	struct berth_exec_opts o;
	const char *env[MAX_LIST + 1];
	const char *gids[MAX_LIST + 1];
	const char *caps[MAX_LIST + 1];
	size_t n_env, n_gids, n_caps;
};

static int append(const char **list, size_t *n, const char *arg, const char *what, struct berth_error *err)
{
	if (*n >= MAX_LIST)
		return berth_error_set(err, E2BIG, "exec: more than %d %s", MAX_LIST, what);
	list[(*n)++] = arg;
	return 0;
}

static int exec_option(int opt, const char *arg, void *ctx, struct berth_error *err)
{
	struct exec_args *a = ctx;

	switch (opt) {
	case 'p':
		a->o.process_file = arg;
		return 0;
	case 't':
		a->o.tty = true;
		return 0;
	case 'd':
		a->o.detach = true;
		return 0;
	case OPT_PIDFILE:
		a->o.pid_file = arg;
		return 0;
	case OPT_CONSOLE:
		a->o.console_socket = arg;
		return 0;
	case OPT_CWD:
		a->o.cwd = arg;
		return 0;
	case 'e':
		return append(a->env, &a->n_env, arg, "--env", err);
	case 'u':
		a->o.user = arg;
		return 0;
	case 'g':
		return append(a->gids, &a->n_gids, arg, "--additional-gids", err);
	case 'c':
		return append(a->caps, &a->n_caps, arg, "--cap", err);
	case OPT_NNP:
		a->o.no_new_privs = true;
		return 0;
	case OPT_PRESERVE:
		return cli_parse_int("--preserve-fds", arg, 0, 65536, &a->o.preserve_fds, err);
	case OPT_LABEL:
	case OPT_APPARMOR:
		return berth_error_set(err, ENOTSUP, "exec: %s is not supported on this host",
				       opt == OPT_LABEL ? "--process-label" : "--apparmor");
	case OPT_IGNORE_PAUSED:
	case OPT_CGROUP:
		return 0;
	default:
		return -EINVAL;
	}
}

static int cmd_exec(struct cli *cli, int argc, char **argv, struct berth_error *err)
{
	static const struct option options[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, OPT_PIDFILE },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, OPT_NNP },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
		{ "process-label", required_argument, NULL, OPT_LABEL },
		{ "apparmor", required_argument, NULL, OPT_APPARMOR },
		{ "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_args a = { .o = { .console_fd = -1 } };
	_cleanup_close_ int ours = -1, theirs = -1, master = -1, pidfd = -1;
	sigset_t old;
	pid_t pid;
	int first, r;

	first = cli_parse(argc, argv, "exec", options, exec_option, &a, err);
	if (first < 0)
		return first;
	if (first >= argc)
		return berth_error_set(err, EINVAL, "exec: the container id is missing");
	a.o.env = a.env;
	a.o.additional_gids = a.gids;
	a.o.caps = a.caps;
	a.o.args = (const char *const *) argv + first + 1;
	if (a.o.process_file && argc - first > 1)
		return berth_error_set(err, EINVAL, "exec: give either --process or a command, not both");
	/* A terminal nobody else receives: take it and proxy it here. */
	if (!a.o.console_socket && !a.o.detach) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return berth_error_sys(err, errno, "exec: socketpair");
		ours = sv[0];
		theirs = sv[1];
		a.o.console_fd = theirs;
	}
	if (!a.o.detach)
		berth_forward_signals_block(&old);
	r = berth_container_exec(cli->root, argv[first], &a.o, &pid, err);
	berth_closep(&theirs);
	if (r < 0 || a.o.detach)
		goto out;
	/* With --console-socket the master went there, not to us. */
	if (a.o.tty && ours >= 0 && berth_recv_fd(ours, &master, NULL, 0, NULL, err) < 0) {
		r = -berth_error_code(err);
		goto out;
	}
	pidfd = berth_pidfd_open(pid);
	if (pidfd < 0) {
		r = berth_error_sys(err, -pidfd, "exec: pidfd_open");
		goto out;
	}
	r = berth_supervise(pid, pidfd, master, &cli_exit_code, err);
out:
	if (!a.o.detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

const struct cli_command cli_command_exec = {
	"exec", cmd_exec,
	"exec [--process FILE | [options] ID COMMAND [ARGS...]] (options: --tty --detach --pid-file F "
	"--console-socket P --cwd D --env K=V --user UID[:GID] --additional-gids G --cap C --no-new-privs "
	"--preserve-fds N)",
	"run a process in a running container"
};
