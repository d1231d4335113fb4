/* berth version and berth info, laid out as docker's
 * (cli/command/system/version.go and info.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "berth-config.h"
#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "tabwriter.h"
#include "template.h"
#include "units.h"

/* docker's status for a --format it cannot parse */
#define EXIT_BAD_FORMAT 64

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static const char *str_of_index(json_t *arr, size_t i)
{
	const char *s = json_string_value(json_array_get(arr, i));
	return s ? s : "";
}

/* fmt's %v of a JSON scalar, as Go prints the typed field */
static void print_value(FILE *out, json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else if (json_is_integer(v))
		fprintf(out, "%lld", (long long) json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", out);
	else if (!v || json_is_null(v))
		fputs("", out);
}

/* Go's runtime.GOARCH for this machine */
static const char *go_arch(void)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" },   { "i386", "386" },
		{ "armv7l", "arm" },   { "armv6l", "arm" },	 { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" },
	};
	static struct utsname u;
	if (uname(&u) < 0)
		return "unknown";
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(map); i++)
		if (!strcmp(u.machine, map[i][0]))
			return map[i][1];
	return u.machine;
}

/* Execute a --format against data, through a tabwriter as docker's
 * version and info do not (info: plain) — tw selects. */
static int run_format(const char *format, json_t *data, bool tw, struct berth_error *err)
{
	_cleanup_template_ struct berth_template *t = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (!strcmp(format, "json"))
		format = "{{json .}}";
	if (berth_template_parse(format, &t, err) < 0) {
		berth_error_wrap(err, "template parsing error");
		fprintf(stderr, "%s\n", err->msg);
		return -EXIT_BAD_FORMAT;
	}
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return berth_error_sys(err, errno, "format");
	int r = berth_template_execute(t, data, mem, err);
	fputc('\n', mem);
	fclose(mem);
	if (!tw) {
		fwrite(buf, 1, len, stdout);
	} else {
		_cleanup_tabwriter_ struct berth_tabwriter *w = berth_tabwriter_new_full(stdout, 20, 1, 1, ' ');
		if (!w || berth_tabwriter_write(w, buf, len, err) < 0 || berth_tabwriter_flush(w, err) < 0)
			return w ? -EIO : berth_error_sys(err, ENOMEM, "format");
	}
	return r < 0 ? berth_error_wrap(err, "template parsing error") : 0;
}

/* ---- version ---- */

static const struct berth_cmd_info version_info = {
	"[OPTIONS]",
	"Show the berth version information",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n",
};

/* Go's time.ANSIC of an RFC 3339 time, in the time's own offset, as
 * docker's reformatDate; the text as it is when it does not parse. */
static void reformat_date(const char *s, char *out, size_t len)
{
	struct berth_error ignored;
	int64_t sec;
	int32_t nsec;
	const char *t = strchr(s, 'T');
	if (!t || berth_units_parse_rfc3339(s, &sec, &nsec, &ignored) < 0) {
		snprintf(out, len, "%s", s);
		return;
	}
	/* the offset: the last '+' or '-' after the 'T', if any */
	long offset = 0;
	const char *z = strrchr(t, '+') ? strrchr(t, '+') : strrchr(t, '-');
	if (z && strlen(z) == 6)
		offset = (z[0] == '-' ? -1 : 1) * (atol(z + 1) * 3600 + atol(z + 4) * 60);
	time_t wall = (time_t) (sec + offset);
	struct tm tm;
	if (!gmtime_r(&wall, &tm) || !strftime(out, len, "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(out, len, "%s", s);
}

static json_t *client_version(struct berth_cli *cli)
{
	struct berth_error ignored;
	struct berth_client *c;
	const char *api = BERTH_CLIENT_API_VERSION;
	if (berth_cli_client(cli, &c, &ignored) >= 0)
		berth_client_api_version(c, &api, &ignored);
	/* "APIVersion" too: docker's templates see the Go field names
	 * ({{.Client.APIVersion}}), its JSON the tags ("ApiVersion") */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", BERTH_VERSION, "ApiVersion", api,
			 "APIVersion", api, "DefaultAPIVersion", BERTH_CLIENT_API_VERSION, "GitCommit", BERTH_COMMIT, "Os",
			 "linux", "Arch", go_arch(), "Context", "default");
}

/* The Engine component docker synthesises when the daemon lists none, and
 * its BuildTime reformatted either way. */
static void fix_components(json_t *server)
{
	char built[64];
	json_t *comps = json_object_get(server, "Components"), *comp;
	size_t i;
	bool found = false;

	json_array_foreach(comps, i, comp)
	{
		json_t *details = json_object_get(comp, "Details");
		if (strcmp(str_of(comp, "Name"), "Engine") != 0 || !details)
			continue;
		found = true;
		if (json_object_get(details, "BuildTime")) {
			reformat_date(str_of(details, "BuildTime"), built, sizeof(built));
			json_object_set_new(details, "BuildTime", json_string(built));
		}
	}
	if (found)
		return;
	reformat_date(str_of(server, "BuildTime"), built, sizeof(built));
	json_t *engine = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "Name", "Engine", "Version",
		str_of(server, "Version"), "Details", "ApiVersion", str_of(server, "ApiVersion"), "MinAPIVersion",
		str_of(server, "MinAPIVersion"), "GitCommit", str_of(server, "GitCommit"), "GoVersion",
		str_of(server, "GoVersion"), "Os", str_of(server, "Os"), "Arch", str_of(server, "Arch"), "BuildTime", built,
		"Experimental", json_is_true(json_object_get(server, "Experimental")) ? "true" : "false");
	if (!comps) {
		comps = json_array();
		json_object_set_new(server, "Components", comps);
	}
	json_array_append_new(comps, engine);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void print_component(FILE *out, json_t *comp)
{
	json_t *details = json_object_get(comp, "Details");
	fprintf(out, "\n %s:", str_of(comp, "Name"));
	if (!strcmp(str_of(comp, "Name"), "Engine")) {
		fprintf(out, "\n  Version:\t%s", str_of(comp, "Version"));
		fprintf(out, "\n  API version:\t%s (minimum version %s)", str_of(details, "ApiVersion"),
			str_of(details, "MinAPIVersion"));
		fprintf(out, "\n  Go version:\t%s", str_of(details, "GoVersion"));
		fprintf(out, "\n  Git commit:\t%s", str_of(details, "GitCommit"));
		fprintf(out, "\n  Built:\t%s", str_of(details, "BuildTime"));
		fprintf(out, "\n  OS/Arch:\t%s/%s", str_of(details, "Os"), str_of(details, "Arch"));
		fprintf(out, "\n  Experimental:\t%s", str_of(details, "Experimental"));
		return;
	}
	fprintf(out, "\n  Version:\t%s", str_of(comp, "Version"));
	size_t n = json_object_size(details), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	if (!keys)
		return;
	json_object_foreach(details, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		fprintf(out, "\n  %s:\t", keys[i]);
		print_value(out, json_object_get(details, keys[i]));
	}
	free(keys);
}

/* docker's defaultVersionTemplate, written out */
static int print_version(json_t *data, struct berth_error *err)
{
	json_t *client = json_object_get(data, "Client"), *server = json_object_get(data, "Server"), *comp;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return berth_error_sys(err, errno, "version");
	fprintf(m, "Client:\n Version:\t%s\n API version:\t%s", str_of(client, "Version"), str_of(client, "ApiVersion"));
	if (strcmp(str_of(client, "ApiVersion"), str_of(client, "DefaultAPIVersion")) != 0)
		fprintf(m, " (downgraded from %s)", str_of(client, "DefaultAPIVersion"));
	fprintf(m, "\n Git commit:\t%s\n OS/Arch:\t%s/%s\n Context:\t%s", str_of(client, "GitCommit"),
		str_of(client, "Os"), str_of(client, "Arch"), str_of(client, "Context"));
	if (server) {
		const char *platform = str_of(json_object_get(server, "Platform"), "Name");
		fprintf(m, "\n\nServer:%s%s", *platform ? " " : "", platform);
		json_array_foreach(json_object_get(server, "Components"), i, comp)
			print_component(m, comp);
	}
	fputc('\n', m);
	fclose(m);
	_cleanup_tabwriter_ struct berth_tabwriter *w = berth_tabwriter_new_full(stdout, 20, 1, 1, ' ');
	if (!w)
		return berth_error_sys(err, ENOMEM, "version");
	int r = berth_tabwriter_write(w, buf, len, err);
	return r < 0 ? r : berth_tabwriter_flush(w, err);
}

int berth_cmd_version(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct berth_error err = { 0 }, server_err = { 0 };
	const char *format = NULL;
	_cleanup_json_ json_t *data = NULL, *server = NULL;
	struct berth_client *c;
	int ch, r;

	while ((ch = berth_cli_getopt(cli, &version_info, argc, argv, ":f:h", longopts)) != -1) {
		if (ch == 'f')
			format = optarg;
		else
			return ch == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &version_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	r = berth_cli_client(cli, &c, &server_err);
	if (r >= 0)
		r = berth_client_do_json(c, &(struct berth_request){ .path = "/version" }, &server, &server_err);
	data = json_pack("{s:o}", "Client", client_version(cli));
	if (!data) {
		berth_error_sys(&err, ENOMEM, "version");
		return berth_cli_fail(&err);
	}
	if (r >= 0 && server) {
		fix_components(server);
		if (json_object_get(server, "ApiVersion"))
			json_object_set(server, "APIVersion", json_object_get(server, "ApiVersion"));
		json_object_set(data, "Server", server);
	}
	if (format && *format) {
		if (!json_object_get(data, "Server"))
			json_object_set_new(data, "Server", json_null());
		r = run_format(format, data, true, &err);
		if (r == -EXIT_BAD_FORMAT)
			return EXIT_BAD_FORMAT;
	} else {
		r = print_version(data, &err);
	}
	if (r < 0)
		return berth_cli_fail(&err);
	if (server_err.code)
		return berth_cli_fail(&server_err);
	return 0;
}

/* ---- info ---- */

static const struct berth_cmd_info info_info = {
	"[OPTIONS]",
	"Display system-wide information",
	"  -f, --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n",
};

/* fmt.Fprintln(out, label, value) of a JSON value */
static void line(FILE *out, const char *label, json_t *v)
{
	fprintf(out, "%s ", label);
	print_value(out, v);
	fputc('\n', out);
}

/* A boolean field, false when the daemon leaves it out (as Go decodes it). */
static void bool_line(FILE *out, const char *label, json_t *obj, const char *key)
{
	fprintf(out, "%s %s\n", label, json_is_true(json_object_get(obj, key)) ? "true" : "false");
}

/* fprintlnNonEmpty: only when the string is not empty */
static void line_nonempty(FILE *out, const char *label, json_t *obj, const char *key)
{
	const char *s = str_of(obj, key);
	if (*s)
		fprintf(out, "%s %s\n", label, s);
}

static void joined(FILE *out, const char *label, json_t *list)
{
	json_t *v;
	size_t i;
	fprintf(out, "%s", label);
	json_array_foreach(list, i, v)
		fprintf(out, " %s", json_string_value(v) ? json_string_value(v) : "");
	if (json_array_size(list) == 0)
		fputc(' ', out);
	fputc('\n', out);
}

static void sorted_keys_line(FILE *out, const char *label, json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	if (!keys)
		return;
	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	fprintf(out, "%s", label);
	for (i = 0; i < n; i++)
		fprintf(out, " %s", keys[i]);
	fputc('\n', out);
	free(keys);
}

/* system.DecodeSecurityOptions: "name=seccomp,profile=default" */
static void security_options(FILE *out, json_t *opts)
{
	json_t *v;
	size_t i;
	if (json_array_size(opts) == 0)
		return;
	fprintf(out, " Security Options:\n");
	json_array_foreach(opts, i, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			continue;
		if (!strstr(s, "name=")) {
			fprintf(out, "  %s\n", s);
			continue;
		}
		_cleanup_free_ char *copy = strdup(s);
		char *save = NULL, *profile = NULL;
		for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
			if (!strncmp(kv, "name=", 5))
				fprintf(out, "  %s\n", kv + 5);
			else if (!strncmp(kv, "profile=", 8))
				profile = kv + 8;
		}
		if (profile)
			fprintf(out, "   Profile: %s\n", profile);
	}
}

static void registries(FILE *out, json_t *reg)
{
	json_t *cidrs = json_object_get(reg, "InsecureRegistryCIDRs"), *index = json_object_get(reg, "IndexConfigs");
	json_t *mirrors = json_object_get(reg, "Mirrors"), *v;
	const char *name;
	size_t i;

	if (json_array_size(cidrs) > 0 || json_object_size(index) > 0) {
		fprintf(out, " Insecure Registries:\n");
		json_object_foreach(index, name, v)
			if (json_is_false(json_object_get(v, "Secure")))
				fprintf(out, "  %s\n", name);
		json_array_foreach(cidrs, i, v)
			fprintf(out, "  %s\n", json_string_value(v) ? json_string_value(v) : "");
	}
	if (json_array_size(mirrors) > 0) {
		fprintf(out, " Registry Mirrors:\n");
		json_array_foreach(mirrors, i, v)
			fprintf(out, "  %s\n", json_string_value(v) ? json_string_value(v) : "");
	}
}

static void pairs(FILE *out, const char *indent, json_t *list)
{
	json_t *p;
	size_t i;
	json_array_foreach(list, i, p)
		fprintf(out, "%s%s: %s\n", indent, str_of_index(p, 0), str_of_index(p, 1));
}

static void swarm_info(FILE *out, json_t *swarm)
{
	const char *state = str_of(swarm, "LocalNodeState");
	fprintf(out, " Swarm: %s\n", state);
	if (!*state || !strcmp(state, "inactive") || !strcmp(state, "locked"))
		return;
	fprintf(out, "  NodeID: %s\n", str_of(swarm, "NodeID"));
	line_nonempty(out, "  Error:", swarm, "Error");
	line(out, "  Is Manager:", json_object_get(swarm, "ControlAvailable"));
	fprintf(out, "  Node Address: %s\n", str_of(swarm, "NodeAddr"));
}

static void server_info(FILE *out, json_t *info, bool client_debug)
{
	json_t *plugins = json_object_get(info, "Plugins"), *v;
	char mem[BERTH_UNITS_MAX];
	size_t i;

	line(out, " Containers:", json_object_get(info, "Containers"));
	line(out, "  Running:", json_object_get(info, "ContainersRunning"));
	line(out, "  Paused:", json_object_get(info, "ContainersPaused"));
	line(out, "  Stopped:", json_object_get(info, "ContainersStopped"));
	line(out, " Images:", json_object_get(info, "Images"));
	line_nonempty(out, " Server Version:", info, "ServerVersion");
	line_nonempty(out, " Storage Driver:", info, "Driver");
	pairs(out, "  ", json_object_get(info, "DriverStatus"));
	pairs(out, " ", json_object_get(info, "SystemStatus"));
	line_nonempty(out, " Logging Driver:", info, "LoggingDriver");
	line_nonempty(out, " Cgroup Driver:", info, "CgroupDriver");
	line_nonempty(out, " Cgroup Version:", info, "CgroupVersion");
	fprintf(out, " Plugins:\n");
	joined(out, "  Volume:", json_object_get(plugins, "Volume"));
	joined(out, "  Network:", json_object_get(plugins, "Network"));
	if (json_array_size(json_object_get(plugins, "Authorization")) > 0)
		joined(out, "  Authorization:", json_object_get(plugins, "Authorization"));
	joined(out, "  Log:", json_object_get(plugins, "Log"));
	if (json_array_size(json_object_get(info, "CDISpecDirs")) > 0) {
		fprintf(out, " CDI spec directories:\n");
		json_array_foreach(json_object_get(info, "CDISpecDirs"), i, v)
			fprintf(out, "  %s\n", json_string_value(v) ? json_string_value(v) : "");
	}
	swarm_info(out, json_object_get(info, "Swarm"));
	if (json_object_size(json_object_get(info, "Runtimes")) > 0) {
		sorted_keys_line(out, " Runtimes:", json_object_get(info, "Runtimes"));
		fprintf(out, " Default Runtime: %s\n", str_of(info, "DefaultRuntime"));
	}
	if (!strcmp(str_of(info, "OSType"), "linux")) {
		fprintf(out, " Init Binary: %s\n", str_of(info, "InitBinary"));
		fprintf(out, " containerd version: %s\n", str_of(json_object_get(info, "ContainerdCommit"), "ID"));
		fprintf(out, " runc version: %s\n", str_of(json_object_get(info, "RuncCommit"), "ID"));
		fprintf(out, " init version: %s\n", str_of(json_object_get(info, "InitCommit"), "ID"));
		security_options(out, json_object_get(info, "SecurityOptions"));
	}
	line_nonempty(out, " Kernel Version:", info, "KernelVersion");
	line_nonempty(out, " Operating System:", info, "OperatingSystem");
	line_nonempty(out, " OSType:", info, "OSType");
	line_nonempty(out, " Architecture:", info, "Architecture");
	line(out, " CPUs:", json_object_get(info, "NCPU"));
	berth_units_bytes_size((double) json_integer_value(json_object_get(info, "MemTotal")), mem);
	fprintf(out, " Total Memory: %s\n", mem);
	line_nonempty(out, " Name:", info, "Name");
	line_nonempty(out, " ID:", info, "ID");
	fprintf(out, " Docker Root Dir: %s\n", str_of(info, "DockerRootDir"));
	bool_line(out, " Debug Mode:", info, "Debug");
	if (json_is_true(json_object_get(info, "Debug")) || client_debug) {
		line(out, "  File Descriptors:", json_object_get(info, "NFd"));
		line(out, "  Goroutines:", json_object_get(info, "NGoroutines"));
		line(out, "  System Time:", json_object_get(info, "SystemTime"));
		line(out, "  EventsListeners:", json_object_get(info, "NEventsListener"));
	}
	line_nonempty(out, " HTTP Proxy:", info, "HttpProxy");
	line_nonempty(out, " HTTPS Proxy:", info, "HttpsProxy");
	line_nonempty(out, " No Proxy:", info, "NoProxy");
	if (json_array_size(json_object_get(info, "Labels")) > 0) {
		fprintf(out, " Labels:\n");
		json_array_foreach(json_object_get(info, "Labels"), i, v)
			fprintf(out, "  %s\n", json_string_value(v) ? json_string_value(v) : "");
	}
	bool_line(out, " Experimental:", info, "ExperimentalBuild");
	registries(out, json_object_get(info, "RegistryConfig"));
	bool_line(out, " Live Restore Enabled:", info, "LiveRestoreEnabled");
	line_nonempty(out, " Product License:", info, "ProductLicense");
	if (json_array_size(json_object_get(info, "DefaultAddressPools")) > 0) {
		fprintf(out, " Default Address Pools:\n");
		json_array_foreach(json_object_get(info, "DefaultAddressPools"), i, v)
			fprintf(out, "   Base: %s, Size: %lld\n", str_of(v, "Base"),
				(long long) json_integer_value(json_object_get(v, "Size")));
	}
	fputc('\n', out);
	fflush(out);
	json_array_foreach(json_object_get(info, "Warnings"), i, v)
		fprintf(stderr, "%s\n", json_string_value(v) ? json_string_value(v) : "");
}

int berth_cmd_info(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct berth_error err = { 0 }, server_err = { 0 };
	const char *format = NULL;
	_cleanup_json_ json_t *info = NULL;
	struct berth_client *c;
	int ch, r;

	while ((ch = berth_cli_getopt(cli, &info_info, argc, argv, ":f:h", longopts)) != -1) {
		if (ch == 'f')
			format = optarg;
		else
			return ch == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &info_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	r = berth_cli_client(cli, &c, &server_err);
	if (r >= 0)
		r = berth_client_do_json(c, &(struct berth_request){ .path = "/info" }, &info, &server_err);

	json_t *client = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:[], s:n}", "Debug", cli->debug, "Version",
				   BERTH_VERSION, "GitCommit", BERTH_COMMIT, "Os", "linux", "Arch", go_arch(), "Context",
				   "default", "Plugins", "Warnings");
	if (format && *format) {
		if (!info)
			info = json_object();
		if (!info || !client) {
			json_decref(client);
			berth_error_sys(&err, ENOMEM, "info");
			return berth_cli_fail(&err);
		}
		json_object_set_new(info, "ClientInfo", client);
		if (server_err.code) {
			json_object_set_new(info, "ServerErrors", json_pack("[s]", server_err.msg));
			fprintf(stderr, "%s\n", server_err.msg);
		}
		r = run_format(format, info, false, &err);
		if (r == -EXIT_BAD_FORMAT)
			return EXIT_BAD_FORMAT;
		return r < 0 ? berth_cli_fail(&err) : 0;
	}
	json_decref(client);
	printf("Client:\n Version:    %s\n Context:    default\n Debug Mode: %s\n\nServer:\n", BERTH_VERSION,
	       cli->debug ? "true" : "false");
	if (!server_err.code) {
		server_info(stdout, info, cli->debug);
		return 0;
	}
	fflush(stdout);
	fprintf(stderr, "ERROR: %s\n", server_err.msg);
	berth_error_set(&err, EIO, "errors pretty printing info");
	return berth_cli_fail(&err);
}
