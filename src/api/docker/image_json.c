/* Images as the Engine API shows them: /images/json summaries, inspect,
 * history, and the pull progress messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "reference.h"

static json_t *familiar_list(char **refs)
{
	json_t *a = json_array();
	for (char **r = refs; r && *r; r++) {
		struct berth_reference *ref = NULL;
		struct berth_error ignored = { 0 };
		char out[BERTH_REFERENCE_MAX];
		if (berth_reference_parse(*r, BERTH_REFERENCE_NO_DEFAULT_TAG, &ref, &ignored) == 0) {
			berth_reference_familiar_string(ref, out);
			json_array_append_new(a, json_string(out));
			berth_reference_free(ref);
		}
	}
	return a;
}

/* RFC 3339 "2023-05-19T20:19:22.751398522Z" -> Unix seconds (0 if unreadable). */
int64_t api_parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	if (!s)
		return 0;
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	int64_t t = (int64_t) timegm(&tm);
	while (*rest == '.' || (*rest >= '0' && *rest <= '9'))
		rest++;
	if (*rest == '+' || *rest == '-') {
		int hh = 0, mm = 0;
		if (sscanf(rest + 1, "%d:%d", &hh, &mm) == 2)
			t -= (*rest == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
	}
	return t;
}

static json_t *config_field(json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key);
	return v ? json_incref(v) : json_null();
}

json_t *api_image_summary(struct berth_engine *e, const struct berth_image *img, int version)
{
	json_t *config = NULL;
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, img->id, &config, &ignored);
	json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
	int64_t created = api_parse_rfc3339(json_string_value(json_object_get(config, "created")));
	json_t *s = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:O, s:i}", "Id", img->id, "ParentId", "", "RepoTags",
			      familiar_list(img->tags), "RepoDigests", familiar_list(img->digests), "Created",
			      (json_int_t) created, "Size", (json_int_t) img->size, "SharedSize", (json_int_t) -1,
			      "Labels", json_is_object(labels) && json_object_size(labels) ? labels : json_null(),
			      "Containers", -1);
	if (version < 144)
		json_object_set_new(s, "VirtualSize", json_integer(img->size));
	json_decref(config);
	return s;
}

/* The image config's "config" in docker's ContainerConfig shape. */
static json_t *inspect_config(json_t *c)
{
	static const char *const strings[] = { "Hostname", "Domainname", "User" };
	static const char *const bools[] = { "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin",
					     "StdinOnce" };
	json_t *out = json_object();
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
		json_object_set_new(out, strings[i], json_string(json_string_value(json_object_get(c, strings[i])) ?: ""));
	for (size_t i = 0; i < sizeof(bools) / sizeof(*bools); i++)
		json_object_set_new(out, bools[i], json_boolean(json_is_true(json_object_get(c, bools[i]))));
	if (json_object_get(c, "ExposedPorts"))
		json_object_set(out, "ExposedPorts", json_object_get(c, "ExposedPorts"));
	json_object_set_new(out, "Env", config_field(c, "Env"));
	json_object_set_new(out, "Cmd", config_field(c, "Cmd"));
	if (json_object_get(c, "Healthcheck"))
		json_object_set(out, "Healthcheck", json_object_get(c, "Healthcheck"));
	if (json_object_get(c, "ArgsEscaped"))
		json_object_set(out, "ArgsEscaped", json_object_get(c, "ArgsEscaped"));
	json_object_set_new(out, "Image", json_string(json_string_value(json_object_get(c, "Image")) ?: ""));
	json_object_set_new(out, "Volumes", config_field(c, "Volumes"));
	json_object_set_new(out, "WorkingDir", json_string(json_string_value(json_object_get(c, "WorkingDir")) ?: ""));
	json_object_set_new(out, "Entrypoint", config_field(c, "Entrypoint"));
	json_object_set_new(out, "OnBuild", config_field(c, "OnBuild"));
	json_object_set_new(out, "Labels", config_field(c, "Labels"));
	if (json_object_get(c, "StopSignal"))
		json_object_set(out, "StopSignal", json_object_get(c, "StopSignal"));
	if (json_object_get(c, "Shell"))
		json_object_set(out, "Shell", json_object_get(c, "Shell"));
	return out;
}

/* GraphDriver: where the layers are, as overlay2 reports them. */
static json_t *graph_driver(struct berth_engine *e, const struct berth_image *img)
{
	json_t *data = json_object();
	char **dirs = NULL;
	struct berth_error ignored = { 0 };
	if (img->top_snapshot && berth_snapshot_lower_dirs(e->snapshots, img->top_snapshot, &dirs, &ignored) == 0) {
		size_t len = 1;
		for (char **d = dirs; *d; d++)
			len += strlen(*d) + 1;
		char *joined = calloc(1, len);
		for (char **d = dirs; joined && *d; d++) {
			if (d != dirs)
				strcat(joined, ":");
			strcat(joined, *d);
		}
		json_object_set_new(data, "LowerDir", json_string(joined ? joined : ""));
		free(joined);
		for (char **d = dirs; *d; d++)
			free(*d);
		free(dirs);
	}
	const char *driver = berth_snapshotter_driver(e->snapshots);
	return json_pack("{s:o, s:s}", "Data", data, "Name", strcmp(driver, "overlay") == 0 ? "overlay2" : driver);
}

json_t *api_image_inspect(struct berth_engine *e, const struct berth_image *img, int version)
{
	json_t *config = NULL;
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, img->id, &config, &ignored);
	json_t *layers = json_array();
	for (char **d = img->diff_ids; d && *d; d++)
		json_array_append_new(layers, json_string(*d));
	const char *created = json_string_value(json_object_get(config, "created"));
	json_t *out = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o}", "Id", img->id, "RepoTags",
				familiar_list(img->tags), "RepoDigests", familiar_list(img->digests), "Parent", "",
				"Comment", json_string_value(json_object_get(config, "comment")) ?: "", "Created",
				created ? created : "", "DockerVersion",
				json_string_value(json_object_get(config, "docker_version")) ?: "", "Author",
				json_string_value(json_object_get(config, "author")) ?: "", "Config",
				inspect_config(json_object_get(config, "config")));
	json_object_set_new(out, "Architecture", config_field(config, "architecture"));
	if (json_object_get(config, "variant"))
		json_object_set_new(out, "Variant", config_field(config, "variant"));
	json_object_set_new(out, "Os", config_field(config, "os"));
	if (json_object_get(config, "os.version"))
		json_object_set_new(out, "OsVersion", config_field(config, "os.version"));
	json_object_set_new(out, "Size", json_integer(img->size));
	if (version < 144)
		json_object_set_new(out, "VirtualSize", json_integer(img->size));
	if (version < 145) {
		json_object_set_new(out, "Container", json_string(""));
		json_object_set_new(out, "ContainerConfig", inspect_config(NULL));
	}
	json_object_set_new(out, "GraphDriver", graph_driver(e, img));
	json_object_set_new(out, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers));
	json_object_set_new(out, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
	json_decref(config);
	return out;
}

json_t *api_image_history(struct berth_engine *e, const struct berth_image *img)
{
	json_t *config = NULL, *out = json_array();
	struct berth_error ignored = { 0 };
	berth_engine_image_config(e, img->id, &config, &ignored);
	json_t *history = json_object_get(config, "history");
	size_t n = json_array_size(history), layer = 0;
	/* Oldest first here; each non-empty entry is the next layer. */
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(history, i);
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		int64_t size = 0;
		if (!empty && img->layers && img->layers[layer]) {
			berth_snapshot_stat(e->snapshots, img->layers[layer], &size, &ignored);
			layer++;
		}
		int64_t created = api_parse_rfc3339(json_string_value(json_object_get(h, "created")));
		json_t *entry = json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>", "Created",
					  (json_int_t) created, "CreatedBy",
					  json_string_value(json_object_get(h, "created_by")) ?: "", "Tags", "Size",
					  (json_int_t) size, "Comment",
					  json_string_value(json_object_get(h, "comment")) ?: "");
		json_array_insert_new(out, 0, entry);
	}
	/* The newest entry is the image itself, with its names. */
	json_t *top = json_array_get(out, 0);
	if (top) {
		json_object_set_new(top, "Id", json_string(img->id));
		json_t *tags = familiar_list(img->tags);
		if (json_array_size(tags) == 0) {
			json_decref(tags);
			tags = json_null();
		}
		json_object_set_new(top, "Tags", tags);
	}
	json_decref(config);
	return out;
}

static void human_size(double v, char out[32])
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	size_t i = 0;
	while (v >= 1000 && i + 1 < sizeof(units) / sizeof(*units)) {
		v /= 1000;
		i++;
	}
	snprintf(out, 32, "%.4g%s", v, units[i]);
}

/* docker's text bar: "[=====>      ]  1.234MB/5.678MB" */
static json_t *progress_text(uint64_t current, uint64_t total)
{
	char bar[64], cur[32], tot[32], out[160];
	int filled = total ? (int) (current * 50 / total) : 0;
	if (filled > 50)
		filled = 50;
	memset(bar, '=', (size_t) filled);
	bar[filled] = '>';
	memset(bar + filled + 1, ' ', (size_t) (50 - filled));
	bar[51] = '\0';
	human_size((double) current, cur);
	human_size((double) total, tot);
	snprintf(out, sizeof(out), "[%s] %8s/%s", bar, cur, tot);
	return json_string(out);
}

static const char *state_text(enum berth_layer_state s)
{
	switch (s) {
	case BERTH_LAYER_ALREADY_EXISTS: return "Already exists";
	case BERTH_LAYER_PULLING: return "Pulling fs layer";
	case BERTH_LAYER_WAITING: return "Waiting";
	case BERTH_LAYER_DOWNLOADING: return "Downloading";
	case BERTH_LAYER_RETRYING: return "Retrying";
	case BERTH_LAYER_VERIFYING: return "Verifying Checksum";
	case BERTH_LAYER_DOWNLOADED: return "Download complete";
	case BERTH_LAYER_EXTRACTING: return "Extracting";
	case BERTH_LAYER_COMPLETE: return "Pull complete";
	}
	return "";
}

json_t *api_pull_event_json(const struct berth_pull_event *ev)
{
	char text[256];
	switch (ev->kind) {
	case BERTH_PULL_RESOLVED:
		snprintf(text, sizeof(text), "Pulling from %s", ev->text);
		return json_pack("{s:s, s:s}", "status", text, "id", ev->id ? ev->id : "");
	case BERTH_PULL_DIGEST:
		snprintf(text, sizeof(text), "Digest: %s", ev->text);
		return json_pack("{s:s}", "status", text);
	case BERTH_PULL_LAYER:
		break;
	}
	if (ev->state == BERTH_LAYER_RETRYING) {
		snprintf(text, sizeof(text), "Retrying in %d second%s", ev->retry_in, ev->retry_in == 1 ? "" : "s");
		return json_pack("{s:s, s:{}, s:s}", "status", text, "progressDetail", "id", ev->id);
	}
	if ((ev->state == BERTH_LAYER_DOWNLOADING || ev->state == BERTH_LAYER_EXTRACTING) && ev->total)
		return json_pack("{s:s, s:{s:I, s:I}, s:o, s:s}", "status", state_text(ev->state), "progressDetail",
				 "current", (json_int_t) ev->current, "total", (json_int_t) ev->total, "progress",
				 progress_text(ev->current, ev->total), "id", ev->id);
	return json_pack("{s:s, s:{}, s:s}", "status", state_text(ev->state), "progressDetail", "id", ev->id);
}
