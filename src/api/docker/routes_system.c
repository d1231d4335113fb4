/* /_ping, /version, /info, /auth, /events */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "event_filter.h"
#include "berth-config.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "json.h"
#include "log.h"
#include "reference.h"
#include "registry.h"
#include "registry_auth.h"

static enum MHD_Result ping(struct api_request *req)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *) "OK", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	api_add_common_headers(r);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-cache, no-store, must-revalidate");
	MHD_add_response_header(r, "Pragma", "no-cache");
	/* No BuildKit here: the CLI uses the classic builder API. */
	MHD_add_response_header(r, "Builder-Version", "1");
	MHD_add_response_header(r, "Swarm", "inactive");
	enum MHD_Result res = MHD_queue_response(req->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return res;
}

static const char *go_arch(const char *machine)
{
	if (strcmp(machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(machine, "aarch64") == 0)
		return "arm64";
	return machine;
}

static enum MHD_Result version(struct api_request *req)
{
	struct utsname u;
	uname(&u);
	json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", BERTH_API_VERSION, "Arch",
				    go_arch(u.machine), "BuildTime", "", "Experimental", "false", "GitCommit",
				    BERTH_COMMIT, "GoVersion", "n/a (C)", "KernelVersion", u.release, "MinAPIVersion",
				    BERTH_API_MIN_VERSION, "Os", "linux");
	json_t *out = json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				"Platform", "Name", "berth", "Components", "Name", "Engine", "Version", BERTH_VERSION,
				"Details", details, "Version", BERTH_VERSION, "ApiVersion", BERTH_API_VERSION,
				"MinAPIVersion", BERTH_API_MIN_VERSION, "GitCommit", BERTH_COMMIT, "GoVersion", "n/a (C)",
				"Os", "linux", "Arch", go_arch(u.machine), "KernelVersion", u.release, "BuildTime", "");
	return api_reply_json(req, MHD_HTTP_OK, out);
}

static json_t *registry_config(struct berth_engine *e)
{
	json_t *cidrs = json_array(), *index = json_object();
	json_array_append_new(cidrs, json_string("127.0.0.0/8"));
	json_array_append_new(cidrs, json_string("::1/128"));
	for (size_t i = 0; e->registries && i < e->registries->n_insecure; i++) {
		const struct berth_insecure_registry *ir = &e->registries->insecure[i];
		char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
		if (ir->host) {
			json_object_set_new(index, ir->host, json_pack("{s:s, s:n, s:b, s:b}", "Name", ir->host, "Mirrors",
								       "Secure", 0, "Official", 0));
		} else if (inet_ntop(ir->family, ir->addr, addr, sizeof(addr))) {
			snprintf(text, sizeof(text), "%s/%u", addr, ir->prefix_len);
			json_array_append_new(cidrs, json_string(text));
		}
	}
	return json_pack("{s:n, s:n, s:o, s:o, s:n}", "AllowNondistributableArtifactsCIDRs",
			 "AllowNondistributableArtifactsHostnames", "InsecureRegistryCIDRs", cidrs, "IndexConfigs", index,
			 "Mirrors");
}

static size_t count_images(struct berth_engine *e)
{
	struct berth_image *imgs = NULL;
	size_t n = 0;
	struct berth_error ignored = { 0 };
	if (berth_images_list(e->db, &imgs, &n, &ignored) == 0)
		berth_images_free(imgs, n);
	return n;
}

static enum MHD_Result info(struct api_request *req)
{
	struct berth_engine *e = req->engine;
	struct utsname u;
	struct sysinfo si;
	char host[256] = "", now[64];
	uname(&u);
	sysinfo(&si);
	gethostname(host, sizeof(host) - 1);
	berth_timestamp_now(now, sizeof(now));
	struct berth_container_counts counts = { 0 };
	struct berth_error err = { 0 };
	if (berth_engine_container_counts(e, &counts, &err) < 0)
		return api_reply_error(req, &err);
	json_t *out = json_pack(
		"{s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:[[s,s]], s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s,"
		" s:s, s:I, s:I, s:s, s:s, s:s, s:b, s:s, s:{s:s, s:b}}",
		"ID", e->id, "Containers", counts.total, "ContainersRunning", counts.running, "ContainersPaused", counts.paused,
		"ContainersStopped", counts.stopped, "Images",
		(json_int_t) count_images(e), "Driver", berth_snapshotter_driver(e->snapshots), "DriverStatus", "Root Dir",
		berth_snapshotter_root(e->snapshots), "MemoryLimit", 1, "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota",
		1, "CPUShares", 1, "CPUSet", 1, "PidsLimit", 1, "SystemTime", now, "LoggingDriver", "json-file",
		"CgroupDriver", "cgroupfs", "KernelVersion", u.release, "OperatingSystem", "berth", "OSType", "linux",
		"Architecture", u.machine, "NCPU", (json_int_t) sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
		(json_int_t) si.totalram * (json_int_t) si.mem_unit, "DockerRootDir", e->root, "Name", host,
		"ServerVersion", BERTH_VERSION, "Debug", berth_log_enabled(BERTH_LOG_DEBUG), "IndexServerAddress",
		"https://index.docker.io/v1/", "Swarm", "LocalNodeState", "inactive", "ControlAvailable", 0);
	json_object_set_new(out, "RegistryConfig", registry_config(e));
	json_object_set_new(out, "CgroupVersion", json_string(access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1"));
	json_object_set_new(out, "SecurityOptions", json_pack("[s,s]", "name=seccomp,profile=builtin", "name=cgroupns"));
	json_object_set_new(out, "Runtimes", json_pack("{s:{s:s}}", "berth-runtime", "path", "berth-runtime"));
	json_object_set_new(out, "DefaultRuntime", json_string("berth-runtime"));
	json_object_set_new(out, "NEventsListener", json_integer(berth_events_listeners(e->events)));
	json_object_set_new(out, "Warnings", json_array());
	json_object_set_new(out, "Labels", json_array());
	return api_reply_json(req, MHD_HTTP_OK, out);
}

/* "https://index.docker.io/v1/", "http://host:5000", "host:5000/x" -> host */
static void server_host(const char *server, char out[512])
{
	const char *p = strstr(server, "://");
	p = p ? p + 3 : server;
	snprintf(out, 512, "%.*s", (int) strcspn(p, "/"), p);
	if (!out[0] || strcmp(out, "index.docker.io") == 0 || strcmp(out, "docker.io") == 0)
		snprintf(out, 512, "%s", BERTH_REFERENCE_DOCKER_HUB_HOST);
}

static enum MHD_Result auth(struct api_request *req)
{
	_cleanup_registry_credentials_ struct berth_registry_credentials creds = { 0 };
	struct berth_error err = { 0 };
	char host[512];
	/* dockerd refuses an empty body; taken as "no credentials", it would
	 * be a login to Docker Hub. */
	if (!req->body || strspn(req->body, " \t\r\n") == req->body_len)
		return api_reply_message(req, MHD_HTTP_BAD_REQUEST,
					 "auth request body: empty; want a JSON object with username, password and "
					 "serveraddress");
	if (berth_registry_auth_decode_body(req->body ? req->body : "", req->body_len, &creds, &err) < 0)
		return api_reply_error(req, &err);
	server_host(creds.server_address ? creds.server_address : "", host);
	struct berth_registry_options o = {
		.host = host,
		.repository = "",
		.insecure = berth_registries_is_insecure(req->engine->registries, host),
		.certs_dir = req->engine->certs_dir,
		.credentials = &creds,
	};
	if (berth_registry_check_login(&o, &err) < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}

/* ---- GET /events ---- */

struct events_reader {
	struct berth_engine *engine;
	uint64_t cursor;
	int64_t until_nano; /* 0: forever */
	json_t *filters;
};

static json_t *events_next(void *ctx)
{
	struct events_reader *r = ctx;
	for (;;) {
		json_t *ev = NULL;
		/* What is already there first (a replay from since), then wait
		 * for more, but never past until. */
		int n = berth_events_next(r->engine->events, &r->cursor, 0, &ev);
		if (n == 0) {
			int timeout = 1000;
			if (r->until_nano) {
				int64_t left = (r->until_nano - berth_events_now_nano()) / 1000000;
				if (left <= 0)
					return NULL;
				timeout = left < 1000 ? (int) left + 1 : 1000;
			}
			n = berth_events_next(r->engine->events, &r->cursor, timeout, &ev);
		}
		if (n < 0)
			return NULL;
		if (n == 0)
			continue;
		int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
		if (r->until_nano && t > r->until_nano) {
			json_decref(ev);
			return NULL;
		}
		if (berth_event_filters_match(r->filters, ev))
			return ev;
		json_decref(ev);
	}
}

static void events_free(void *ctx)
{
	struct events_reader *r = ctx;
	berth_events_listening(r->engine->events, false);
	json_decref(r->filters);
	free(r);
}

/* docker's since/until: Unix seconds, with an optional fraction. */
static int64_t parse_time(const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	double v = strtod(s, &end);
	return (int64_t) (v * 1e9);
}

static enum MHD_Result events(struct api_request *req)
{
	struct berth_error err = { 0 };
	struct events_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return MHD_NO;
	r->engine = req->engine;
	if (api_query_filters(req, &r->filters, &err) < 0 || berth_event_filters_check(r->filters, &err) < 0) {
		json_decref(r->filters);
		free(r);
		return api_reply_error(req, &err);
	}
	/* since=0 replays everything kept; no since, only what comes next. */
	const char *since = api_query(req, "since");
	r->cursor = berth_events_cursor(req->engine->events, since && *since ? parse_time(since) : -1);
	r->until_nano = parse_time(api_query(req, "until"));
	berth_events_listening(req->engine->events, true);
	return api_stream_reply_pull(req, events_next, events_free, r);
}

/* POST /networks/prune, /build/prune:
 * berthd holds no networks or build cache yet, so
 * there is truthfully nothing to remove; answering lets `docker system
 * prune` work.  Each moves to its own routes when the kind arrives. */
static enum MHD_Result prune_nothing(struct api_request *req, const char *list_key)
{
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = NULL;
	if (api_query_filters(req, &filters, &err) < 0)
		return api_reply_error(req, &err);
	json_t *out = json_pack("{s:n}", list_key);
	if (strcmp(list_key, "NetworksDeleted") != 0)
		json_object_set_new(out, "SpaceReclaimed", json_integer(0));
	return api_reply_json(req, MHD_HTTP_OK, out);
}

enum MHD_Result api_route_system(struct api_request *req, bool *handled)
{
	const char *m = req->method, *p = req->path;
	*handled = true;
	if (strcmp(p, "/_ping") == 0 && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0))
		return ping(req);
	if (strcmp(p, "/version") == 0 && strcmp(m, "GET") == 0)
		return version(req);
	if (strcmp(p, "/info") == 0 && strcmp(m, "GET") == 0)
		return info(req);
	if (strcmp(p, "/auth") == 0 && strcmp(m, "POST") == 0)
		return auth(req);
	if (strcmp(p, "/system/df") == 0 && strcmp(m, "GET") == 0)
		return api_system_df(req);
	if (strcmp(p, "/events") == 0 && strcmp(m, "GET") == 0)
		return events(req);
	if (strcmp(m, "POST") == 0) {
		static const char *const prunes[][2] = { { "/networks/prune", "NetworksDeleted" },
							 { "/build/prune", "CachesDeleted" } };
		for (size_t i = 0; i < sizeof(prunes) / sizeof(prunes[0]); i++)
			if (strcmp(p, prunes[i][0]) == 0)
				return prune_nothing(req, prunes[i][1]);
	}
	*handled = false;
	return MHD_NO;
}
