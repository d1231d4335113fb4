/* berthd: the daemon.  Parses its flags, opens the engine (which recovers
 * what a crash left), listens, serves the Engine API until SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "berth-config.h"
#include "cleanup.h"
#include "engine.h"
#include "file.h"
#include "log.h"

#define MAX_HOSTS 8
#define MAX_INSECURE 64

struct options {
	struct berth_engine_options engine;
	const char *hosts[MAX_HOSTS];
	size_t n_hosts;
	const char *insecure[MAX_INSECURE + 1];
	size_t n_insecure;
	const char *pidfile;
	enum berth_log_level log_level;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: berthd [OPTIONS]\n\n"
		   "The berth daemon: serves the Docker Engine API.\n\n"
		   "Options:\n"
		   "      --root DIR                    state directory (default /var/lib/berth)\n"
		   "      --exec-root DIR               runtime state directory (default /run/berth)\n"
		   "  -H, --host unix://PATH            socket to listen on (default unix:///run/berth/berth.sock)\n"
		   "      --pidfile FILE                write the daemon's pid there (default /run/berth/berthd.pid)\n"
		   "      --insecure-registry HOST|CIDR  allow plain HTTP / unverified TLS (repeatable)\n"
		   "      --max-concurrent-downloads N  layers downloaded at once per pull (default 3)\n"
		   "      --storage-driver overlay|copy snapshots (default: overlay when the kernel can)\n"
		   "      --registry-certs-dir DIR      per-registry TLS files (default /etc/docker/certs.d)\n"
		   "      --registries-conf FILE        mirrors and insecure registries (default /etc/containers/registries.conf)\n"
		   "      --runtime PATH                the OCI runtime (default berth-runtime; runc, crun work)\n"
		   "      --shim PATH                   the per-container monitor (default berth-shim)\n"
		   "      --init-path PATH              the static init of run --init (default docker-init, tini-static)\n"
		   "      --log-level debug|info|warn|error\n"
		   "  -D, --debug                       same as --log-level debug\n"
		   "  -v, --version                     print the version\n");
}

static int parse_level(const char *s, enum berth_log_level *ret)
{
	static const struct {
		const char *name;
		enum berth_log_level level;
	} levels[] = { { "debug", BERTH_LOG_DEBUG }, { "info", BERTH_LOG_INFO },   { "warn", BERTH_LOG_WARNING },
		       { "warning", BERTH_LOG_WARNING }, { "error", BERTH_LOG_ERROR }, { "fatal", BERTH_LOG_ERROR } };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(levels); i++)
		if (strcmp(s, levels[i].name) == 0) {
			*ret = levels[i].level;
			return 0;
		}
	return -EINVAL;
}

enum { OPT_ROOT = 256, OPT_EXEC_ROOT, OPT_PIDFILE, OPT_INSECURE, OPT_DOWNLOADS, OPT_DRIVER, OPT_CERTS,
       OPT_REGISTRIES, OPT_LOG_LEVEL, OPT_RETRY_DELAY, OPT_RUNTIME, OPT_SHIM,
       OPT_INIT_PATH };

static int parse_one(int c, struct options *o)
{
	char *end;
	switch (c) {
	case OPT_ROOT: o->engine.root = optarg; return 0;
	case OPT_EXEC_ROOT: o->engine.exec_root = optarg; return 0;
	case 'H':
		if (o->n_hosts == MAX_HOSTS)
			return -E2BIG;
		o->hosts[o->n_hosts++] = optarg;
		return 0;
	case OPT_PIDFILE: o->pidfile = optarg; return 0;
	case OPT_INSECURE:
		if (o->n_insecure == MAX_INSECURE)
			return -E2BIG;
		o->insecure[o->n_insecure++] = optarg;
		return 0;
	case OPT_DOWNLOADS:
		o->engine.max_concurrent_downloads = (int) strtol(optarg, &end, 10);
		return *end || o->engine.max_concurrent_downloads < 1 || o->engine.max_concurrent_downloads > 64 ? -EINVAL : 0;
	case OPT_RETRY_DELAY:
		o->engine.pull_retry_base_ms = (int) strtol(optarg, &end, 10);
		return *end || o->engine.pull_retry_base_ms < 1 ? -EINVAL : 0;
	case OPT_DRIVER: o->engine.storage_driver = optarg; return 0;
	case OPT_CERTS: o->engine.certs_dir = optarg; return 0;
	case OPT_REGISTRIES: o->engine.registries_conf = optarg; return 0;
	case OPT_RUNTIME: o->engine.runtime = optarg; return 0;
	case OPT_SHIM: o->engine.shim = optarg; return 0;
	case OPT_INIT_PATH: o->engine.init_path = optarg; return 0;
	case OPT_LOG_LEVEL: return parse_level(optarg, &o->log_level);
	case 'D': o->log_level = BERTH_LOG_DEBUG; return 0;
	default: return -EINVAL;
	}
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "exec-root", required_argument, NULL, OPT_EXEC_ROOT },
		{ "host", required_argument, NULL, 'H' },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "insecure-registry", required_argument, NULL, OPT_INSECURE },
		{ "max-concurrent-downloads", required_argument, NULL, OPT_DOWNLOADS },
		{ "storage-driver", required_argument, NULL, OPT_DRIVER },
		{ "registry-certs-dir", required_argument, NULL, OPT_CERTS },
		{ "registries-conf", required_argument, NULL, OPT_REGISTRIES },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "shim", required_argument, NULL, OPT_SHIM },
		{ "init-path", required_argument, NULL, OPT_INIT_PATH },
		{ "pull-retry-delay-ms", required_argument, NULL, OPT_RETRY_DELAY },
		{ "debug", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "H:Dvh", longopts, NULL)) != -1) {
		if (c == 'v') {
			printf("berthd version %s, build %s\n", BERTH_VERSION, BERTH_COMMIT);
			exit(0);
		}
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || parse_one(c, o) < 0) {
			if (c != '?')
				fprintf(stderr, "berthd: invalid value for --%s: %s\n",
					longopts[0].name ? "option" : "", optarg ? optarg : "");
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "berthd: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Only unix sockets: a TCP listener would need TLS with client
 * certificates, which berthd does not offer yet. */
static int listen_host(const char *host, int *ret, struct berth_error *err)
{
	if (strncmp(host, "unix://", 7) == 0)
		host += 7;
	else if (strstr(host, "://"))
		return berth_error_set(err, ENOTSUP,
				       "-H %s: only unix:// sockets are served (TCP needs TLS with client certificates, "
				       "not supported yet)",
				       host);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", host);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int r = berth_mkdir_p(dir, 0711);
		if (r < 0 && r != -EEXIST)
			return berth_error_sys(err, -r, "create %s", dir);
	}
	int fd = berth_api_listen_unix(host, err);
	if (fd < 0)
		return fd;
	*ret = fd;
	return 0;
}

static int write_pidfile(const char *path, struct berth_error *err)
{
	char text[32], dir[4096];
	snprintf(text, sizeof(text), "%d\n", (int) getpid());
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = path;
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		berth_mkdir_p(dir[0] ? dir : "/", 0711);
	}
	_cleanup_close_ int dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_sys(err, errno, "open the directory of %s", path);
	return berth_write_file_atomic(dfd, name, text, strlen(text), 0644, 0, err);
}

static const char *unix_path(const char *host)
{
	return strncmp(host, "unix://", 7) == 0 ? host + 7 : host;
}

static int serve(struct options *o, struct berth_error *err)
{
	_cleanup_(berth_engine_closep) struct berth_engine *engine = NULL;
	struct berth_api_server *servers[MAX_HOSTS] = { 0 };
	sigset_t stop;
	int r = berth_engine_open(&o->engine, &engine, err);
	if (r < 0)
		return r;
	/* Signals go to sigwait below, not to any thread the server starts. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; r == 0 && i < o->n_hosts; i++) {
		int fd = -1;
		r = listen_host(o->hosts[i], &fd, err);
		if (r == 0) {
			struct berth_api_options a = { .listen_fd = fd };
			r = berth_api_start(engine, &a, &servers[i], err);
			if (r < 0)
				close(fd);
		}
	}
	if (r == 0)
		r = write_pidfile(o->pidfile, err);
	if (r == 0) {
		berth_log(BERTH_LOG_INFO, "berthd %s serving the Engine API (%s) on %s, root %s, storage %s", BERTH_VERSION,
			  BERTH_API_VERSION, o->hosts[0], o->engine.root, berth_snapshotter_driver(engine->snapshots));
		for (;;) {
			int sig = 0;
			sigwait(&stop, &sig);
			if (sig != SIGHUP)
				break;
		}
		berth_log(BERTH_LOG_INFO, "berthd shutting down");
	}
	berth_engine_shutdown(engine);
	for (size_t i = 0; i < o->n_hosts; i++) {
		if (servers[i]) {
			berth_api_stop(servers[i]);
			unlink(unix_path(o->hosts[i]));
		}
	}
	if (r == 0)
		unlink(o->pidfile);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {
		.engine = { .root = "/var/lib/berth", .exec_root = "/run/berth" },
		.pidfile = "/run/berth/berthd.pid",
		.log_level = BERTH_LOG_INFO,
	};
	struct berth_error err = { 0 };
	/* A thread per connection and one per running container, each with a
	 * malloc arena of its own by default: a few arenas serve them all, so
	 * the daemon's memory does not grow with its containers. */
	mallopt(M_ARENA_MAX, 2);
	/* Layer tars carry UTF-8 names (pax): libarchive converts them to the
	 * locale's charset, which must therefore be UTF-8 whatever the
	 * daemon's environment says. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	if (parse(argc, argv, &o) < 0)
		return 125;
	if (o.n_hosts == 0)
		o.hosts[o.n_hosts++] = "unix:///run/berth/berth.sock";
	o.engine.insecure_registries = o.insecure;
	berth_log_setup("berthd", -1, BERTH_LOG_TEXT, o.log_level);
	if (serve(&o, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.msg);
		return 1;
	}
	return 0;
}
