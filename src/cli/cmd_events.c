/* berth events: GET /events, each event printed as it arrives, in docker's
 * one-line form or through --format (cli/command/system/events.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "template.h"
#include "units.h"

static const struct berth_cmd_info events_info = {
	"[OPTIONS]",
	"Get real time events from the server",
	"  -f, --filter filter   Filter output based on conditions provided\n"
	"      --format string   Format output using a custom template:\n"
	"                        'json':             Print in JSON format\n"
	"                        'TEMPLATE':         Print output using the given Go template.\n"
	"      --since string    Show all events created since timestamp\n"
	"      --until string    Stream events until this timestamp\n",
};

/* docker's status for a --format it cannot parse */
#define EXIT_BAD_FORMAT 64

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* prettyPrintEvent: "TIME TYPE ACTION ID (k=v, k=v)", attributes sorted */
static void pretty_print(json_t *ev)
{
	char when[BERTH_UNITS_MAX];
	json_t *actor = json_object_get(ev, "Actor"), *attrs = json_object_get(actor, "Attributes"), *v;
	int64_t nano = json_integer_value(json_object_get(ev, "timeNano"));
	int64_t sec = json_integer_value(json_object_get(ev, "time"));
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	const char *id = json_string_value(json_object_get(actor, "ID"));

	if (nano) {
		int64_t s = nano / 1000000000, ns = nano % 1000000000;
		if (ns < 0) {
			s--;
			ns += 1000000000;
		}
		berth_units_format_time(s, (int32_t) ns, BERTH_TIME_RFC3339_NANO_FIXED, false, when);
		printf("%s ", when);
	} else if (sec) {
		berth_units_format_time(sec, 0, BERTH_TIME_RFC3339_NANO_FIXED, false, when);
		printf("%s ", when);
	}
	printf("%s %s %s", type ? type : "", action ? action : "", id ? id : "");
	size_t n = json_object_size(attrs), i = 0;
	if (n > 0) {
		const char **keys = calloc(n, sizeof(*keys));
		const char *k;
		if (keys) {
			json_object_foreach(attrs, k, v)
				keys[i++] = k;
			qsort(keys, n, sizeof(*keys), cmp_str);
			printf(" (");
			for (i = 0; i < n; i++) {
				const char *s = json_string_value(json_object_get(attrs, keys[i]));
				printf("%s%s=%s", i ? ", " : "", keys[i], s ? s : "");
			}
			printf(")");
			free(keys);
		}
	}
	printf("\n");
}

struct events_state {
	struct berth_template *tmpl; /* NULL: docker's one-line form */
	bool go_names;		     /* add the Go field names for the template */
};

/* docker's templates see events.Message, a Go struct: its field names
 * (.ID, .Status, .TimeNano) and every field, even one the daemon left out.
 * Its JSON ({{json .}}) is what the daemon sent. */
static void add_go_names(json_t *ev)
{
	static const char *const strings[][2] = {
		{ "status", "Status" }, { "id", "ID" }, { "from", "From" }, { "scope", "Scope" },
		{ "Type", "Type" },     { "Action", "Action" },
	};
	static const char *const numbers[][2] = { { "time", "Time" }, { "timeNano", "TimeNano" } };
	json_t *v;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(strings); i++) {
		v = json_object_get(ev, strings[i][0]);
		json_object_set_new(ev, strings[i][1], json_is_string(v) ? json_incref(v) : json_string(""));
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(numbers); i++) {
		v = json_object_get(ev, numbers[i][0]);
		json_object_set_new(ev, numbers[i][1], json_is_integer(v) ? json_incref(v) : json_integer(0));
	}
	json_t *actor = json_object_get(ev, "Actor");
	if (!json_is_object(actor)) {
		actor = json_object();
		json_object_set_new(ev, "Actor", actor);
	}
	if (!json_is_string(json_object_get(actor, "ID")))
		json_object_set_new(actor, "ID", json_string(""));
	if (!json_object_get(actor, "Attributes"))
		json_object_set_new(actor, "Attributes", json_null());
}

static int on_event(void *userdata, const struct berth_jsonmessage *m, struct berth_error *err)
{
	struct events_state *st = userdata;

	if (m->has_error)
		return berth_error_set(err, EIO, "%s", m->error_message);
	if (!st->tmpl) {
		pretty_print(m->root);
	} else {
		if (st->go_names)
			add_go_names(m->root);
		int r = berth_template_execute(st->tmpl, m->root, stdout, err);
		printf("\n");
		if (r < 0)
			return r;
	}
	fflush(stdout);
	return 0;
}

static int add_time(struct berth_path *p, const char *key, const char *value, struct berth_error *err)
{
	char ts[BERTH_UNITS_MAX];
	if (!value || !*value)
		return 0;
	int r = berth_units_timestamp(value, (int64_t) time(NULL), ts, err);
	if (r < 0)
		return r;
	berth_path_query(p, key, ts);
	return 0;
}

static int stream_events(struct berth_cli *cli, const char *since, const char *until, json_t *filters,
			 struct berth_template *tmpl, bool go_names, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	struct events_state st = { .tmpl = tmpl, .go_names = go_names };
	struct berth_client *c;
	int r;

	berth_path_init(&p, "/events");
	r = add_time(&p, "since", since, err);
	if (r >= 0)
		r = add_time(&p, "until", until, err);
	if (r < 0)
		return r;
	berth_path_query_json(&p, "filters", filters);
	const char *path = berth_path_get(&p, err);
	if (!path)
		return -ENOMEM;
	r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;
	return berth_client_stream(c, &(struct berth_request){ .path = path }, on_event, &st, err);
}

int berth_cmd_events(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 'S' },  { "until", required_argument, NULL, 'U' },
		{ "filter", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_json_ json_t *filters = json_object();
	_cleanup_template_ struct berth_template *tmpl = NULL;
	const char *since = NULL, *until = NULL, *format = NULL;
	int c;

	while ((c = berth_cli_getopt(cli, &events_info, argc, argv, ":f:h", longopts)) != -1) {
		switch (c) {
		case 'S':
			since = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case 'f':
			if (berth_cli_filter_flag(cli, &events_info, "-f, --filter", filters, optarg) != 0)
				return BERTH_EXIT_USAGE;
			break;
		case 'F':
			format = optarg;
			break;
		case BERTH_GETOPT_HELP:
			return 0;
		default:
			return BERTH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return berth_cli_usage_error(cli, &events_info, 1, "'%s' accepts no arguments", cli->cmd_path);
	bool go_names = format && strcmp(format, "json") != 0 && strcmp(format, "{{json .}}") != 0;
	if (format && *format) {
		if (berth_template_parse(strcmp(format, "json") ? format : "{{json .}}", &tmpl, &err) < 0) {
			berth_error_wrap(&err, "Error parsing format");
			berth_cli_fail(&err);
			return EXIT_BAD_FORMAT;
		}
	}
	if (!filters || stream_events(cli, since, until, filters, tmpl, go_names, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
