#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include "caps.h"
#include "cleanup.h"
#include "proc.h"
#include "file.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void berth_exec_target_release(struct berth_exec_target *t)
{
	if (t->envp) {
		for (char **e = t->envp; *e; e++)
			free(*e);
		free(t->envp);
		t->envp = NULL;
	}
}

static const char *env_get(char *const *envp, const char *key)
{
	size_t len = strlen(key);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, key, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* The home directory of uid in the container's /etc/passwd, or "/". */
static char *home_of(uid_t uid)
{
	_cleanup_free_ char *text = NULL;
	struct berth_error ignored;
	char *line, *save = NULL;

	if (berth_read_file_at(AT_FDCWD, "/etc/passwd", 4u << 20, &text, NULL, &ignored) < 0)
		return strdup("/");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 }, *p = line;
		for (int i = 0; i < 7 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (f[5] && f[2] && strtoul(f[2], NULL, 10) == uid && f[2][0] != '\0' && f[5][0] == '/')
			return strdup(f[5]);
	}
	return strdup("/");
}

static int build_env(const struct berth_process *p, const char *const *extra, struct berth_exec_target *t,
		     struct berth_error *err)
{
	size_t n = p->n_env, k = 0;

	for (size_t i = 0; extra && extra[i]; i++)
		n++;
	t->envp = calloc(n + 2, sizeof(char *));
	if (t->envp == NULL)
		return berth_error_sys(err, ENOMEM, "build the environment");
	for (size_t i = 0; i < p->n_env; i++)
		if ((t->envp[k++] = strdup(p->env[i])) == NULL)
			return berth_error_sys(err, ENOMEM, "build the environment");
	for (size_t i = 0; extra && extra[i]; i++)
		if ((t->envp[k++] = strdup(extra[i])) == NULL)
			return berth_error_sys(err, ENOMEM, "build the environment");
	if (env_get(t->envp, "HOME") == NULL) {
		_cleanup_free_ char *home = home_of(p->uid);
		if (home == NULL || asprintf(&t->envp[k++], "HOME=%s", home) < 0)
			return berth_error_sys(err, ENOMEM, "build the environment");
	}
	return 0;
}

static int check_executable(const char *path, const char *arg0, struct berth_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return berth_error_set(err, ENOENT, "exec: \"%s\": stat %s: no such file or directory", arg0, path);
		return berth_error_sys(err, errno, "exec: \"%s\": stat %s", arg0, path);
	}
	if (S_ISDIR(st.st_mode))
		return berth_error_set(err, EACCES, "exec: \"%s\": %s is a directory: permission denied", arg0, path);
	if (!(st.st_mode & 0111))
		return berth_error_set(err, EACCES, "exec: \"%s\": %s: permission denied", arg0, path);
	return 0;
}

static int find_program(const char *arg0, char *const *envp, char *out, size_t size, struct berth_error *err)
{
	const char *pathvar;

	if (strchr(arg0, '/')) {
		snprintf(out, size, "%s", arg0);
		return check_executable(out, arg0, err);
	}
	pathvar = env_get(envp, "PATH");
	if (pathvar == NULL)
		pathvar = DEFAULT_PATH;
	for (const char *dir = pathvar; dir;) {
		const char *end = strchrnul(dir, ':');
		struct stat st;
		int len = (int) (end - dir);

		if (len == 0)
			snprintf(out, size, "./%s", arg0);
		else
			snprintf(out, size, "%.*s/%s", len, dir, arg0);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
		dir = *end ? end + 1 : NULL;
	}
	return berth_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

int berth_process_resolve(const struct berth_process *p, const char *const *extra_env, struct berth_exec_target *t,
			  struct berth_error *err)
{
	char cwd[PATH_MAX];
	int r;

	if (chdir(p->cwd) < 0)
		return berth_error_sys(err, errno, "chdir to cwd %s (process.cwd) in the container", p->cwd);
	/* A cwd reached through a descriptor of the host would show as
	 * "(unreachable)" here; refuse it (CVE-2024-21626). */
	if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
		return berth_error_set(err, EPERM, "cwd %s is outside the container's root", p->cwd);
	if ((r = build_env(p, extra_env, t, err)) < 0)
		return r;
	return find_program(p->args[0], t->envp, t->path, sizeof(t->path), err);
}

int berth_process_set_rlimits(const struct berth_process *p, struct berth_error *err)
{
	static const char *const names[] = {
		[RLIMIT_CPU] = "RLIMIT_CPU",	       [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
		[RLIMIT_DATA] = "RLIMIT_DATA",	       [RLIMIT_STACK] = "RLIMIT_STACK",
		[RLIMIT_CORE] = "RLIMIT_CORE",	       [RLIMIT_RSS] = "RLIMIT_RSS",
		[RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
		[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
		[RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
		[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
		[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
	};

	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct berth_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };

		if (setrlimit(rl->resource, &lim) < 0) {
			int e = errno;
			if (e == EPERM)
				return berth_error_set(err, e,
						       "set %s to %llu/%llu: Operation not permitted (raising a hard "
						       "limit needs CAP_SYS_RESOURCE)",
						       names[rl->resource], (unsigned long long) rl->soft,
						       (unsigned long long) rl->hard);
			return berth_error_sys(err, e, "set %s to %llu/%llu", names[rl->resource],
					       (unsigned long long) rl->soft, (unsigned long long) rl->hard);
		}
	}
	return 0;
}

static int load_seccomp(const struct berth_seccomp_setup *sc, struct berth_error *err)
{
	int listener = -1, r;

	if ((r = berth_seccomp_load(sc->program, &listener, err)) < 0)
		return r;
	if (listener >= 0) {
		r = berth_seccomp_send_listener(sc->agent_sock, listener, sc->host_pid, sc->profile, sc->state, err);
		close(listener);
		close(sc->agent_sock);
	}
	return r;
}

/* The filter may only be loaded with CAP_SYS_ADMIN or no_new_privs: make
 * the permitted set effective for that one call. */
static int load_seccomp_with_caps(const struct berth_seccomp_setup *sc, struct berth_error *err)
{
	cap_t caps = cap_get_proc();
	int r;

	if (caps == NULL)
		return berth_error_sys(err, errno, "read capabilities");
	for (cap_value_t v = 0; v <= berth_caps_last(); v++) {
		cap_flag_value_t permitted;
		if (cap_get_flag(caps, v, CAP_PERMITTED, &permitted) == 0 && permitted == CAP_SET)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
	}
	r = cap_set_proc(caps);
	cap_free(caps);
	if (r < 0)
		return berth_error_sys(err, errno, "raise capabilities to load the seccomp filter");
	return load_seccomp(sc, err);
}

int berth_process_become_user(const struct berth_process *p, bool setgroups_allowed,
			      const struct berth_seccomp_setup *sc, struct berth_error *err)
{
	int r;

	if ((r = berth_caps_drop_bounding(&p->caps, err)) < 0)
		return r;
	/* Keep the permitted set across the uid change; capset then picks
	 * exactly the configured sets. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_error_sys(err, errno, "prctl PR_SET_KEEPCAPS");
	if (setgroups_allowed) {
		if (setgroups(p->n_additional_gids, (const gid_t *) p->additional_gids) < 0)
			return berth_error_sys(err, errno, "set additional groups (process.user.additionalGids)");
	} else if (p->n_additional_gids > 0) {
		return berth_error_set(err, EPERM,
				       "process.user.additionalGids: setgroups is denied in this user namespace");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return berth_error_sys(err, errno, "switch to gid %u (is it mapped in the user namespace?)", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return berth_error_sys(err, errno, "switch to uid %u (is it mapped in the user namespace?)", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berth_error_sys(err, errno, "prctl PR_SET_KEEPCAPS");
	if (sc && sc->program && !p->no_new_privileges && (r = load_seccomp_with_caps(sc, err)) < 0)
		return r;
	return berth_caps_apply(&p->caps, err);
}

/* Descriptors 3 .. 3+preserve_fds-1 were checked to be the caller's
 * (berth_fds_check_inherited) and, being inherited, are not close-on-exec;
 * everything else closes at exec: no descriptor of the runtime or of the
 * host may reach the container (CVE-2024-21626). */
static void close_inherited_fds(int preserve_fds)
{
	berth_fds_cloexec_from(3 + (unsigned int) preserve_fds);
}

int berth_process_exec(const struct berth_process *p, const struct berth_exec_target *t, int preserve_fds,
		       const struct berth_seccomp_setup *sc, struct berth_error *err)
{
	int r;

	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error_sys(err, errno, "set no_new_privs");
	if (sc && sc->program && p->no_new_privileges && (r = load_seccomp(sc, err)) < 0)
		return r;
	if (p->has_umask)
		umask((mode_t) p->umask);
	close_inherited_fds(preserve_fds);
	/* The runtime may have blocked signals (run blocks the ones it
	 * forwards): the program starts with none blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(t->path, (char *const *) p->args, t->envp);
	if (errno == ENOENT)
		return berth_error_set(err, ENOENT, "exec: \"%s\": %s: no such file or directory", p->args[0], t->path);
	if (errno == EACCES)
		return berth_error_set(err, EACCES, "exec: \"%s\": %s: permission denied", p->args[0], t->path);
	return berth_error_sys(err, errno, "exec: \"%s\": %s", p->args[0], t->path);
}
