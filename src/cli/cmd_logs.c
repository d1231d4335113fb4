/* berth logs: the container's log as the daemon keeps it, demultiplexed
 * onto stdout and stderr (raw for a container with a terminal), followed
 * with -f (cli/command/container/logs.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "hijack.h"
#include "json.h"
#include "run.h"
#include "stdframes.h"
#include "units.h"

static const struct berth_cmd_info logs_info = {
	"[OPTIONS] CONTAINER",
	"Fetch the logs of a container",
	"      --details        Show extra details provided to logs\n"
	"  -f, --follow         Follow log output\n"
	"      --since string   Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
	"for 42 minutes)\n"
	"  -n, --tail string    Number of lines to show from the end of the logs (default \"all\")\n"
	"  -t, --timestamps     Show timestamps\n"
	"      --until string   Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
	"\"42m\" for 42 minutes)\n",
};

struct logs_opts {
	bool details, follow, timestamps;
	const char *since, *until, *tail;
};

static int write_all(int fd, const char *data, size_t len, struct berth_error *err)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "write");
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

static int on_frame(void *userdata, int stream, const char *data, size_t len, struct berth_error *err)
{
	(void) userdata;
	return write_all(stream == BERTH_STDFRAMES_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, len, err);
}

/* since / until as the API takes them; docker's wording when bad. */
static int time_query(struct berth_path *p, const char *key, const char *value, struct berth_error *err)
{
	char ts[BERTH_UNITS_MAX];
	if (!value || !*value)
		return 0;
	if (berth_units_timestamp(value, (int64_t) time(NULL), ts, err) < 0)
		return berth_error_wrap(err, "invalid value for \"%s\"", key);
	berth_path_query(p, key, ts);
	return 0;
}

static int logs_path(const char *name, const struct logs_opts *o, struct berth_path *p, struct berth_error *err)
{
	berth_path_init(p, "/containers/");
	berth_path_segment(p, name);
	berth_path_append(p, "/logs");
	berth_path_query(p, "stdout", "1");
	berth_path_query(p, "stderr", "1");
	int r = time_query(p, "since", o->since, err);
	if (r == 0)
		r = time_query(p, "until", o->until, err);
	if (r < 0)
		return r;
	if (o->timestamps)
		berth_path_query(p, "timestamps", "1");
	if (o->details)
		berth_path_query(p, "details", "1");
	if (o->follow)
		berth_path_query(p, "follow", "1");
	berth_path_query(p, "tail", o->tail);
	return 0;
}

static int show_logs(struct berth_cli *cli, const char *name, const struct logs_opts *o, struct berth_error *err)
{
	_cleanup_path_ struct berth_path p = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_conn_ struct berth_conn *conn = NULL;
	struct berth_stdframes frames = { 0 };
	struct berth_client *c;
	char buf[32768];
	ssize_t n;

	int r = berth_cli_client(cli, &c, err);
	if (r == 0)
		r = berth_container_inspect(c, name, &doc, err);
	if (r == 0)
		r = logs_path(name, o, &p, err);
	const char *path = r == 0 ? berth_path_get(&p, err) : NULL;
	if (!path)
		return r < 0 ? r : -ENOMEM;
	bool tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
	if ((r = berth_conn_open(c, &conn, err)) < 0 ||
	    (r = berth_conn_request(conn, "GET", path, NULL, false, err)) < 0)
		return r;
	fflush(stdout);
	while ((n = berth_conn_read(conn, buf, sizeof(buf), err)) > 0) {
		r = tty ? write_all(STDOUT_FILENO, buf, (size_t) n, err)
			: berth_stdframes_feed(&frames, buf, (size_t) n, on_frame, NULL, err);
		if (r < 0)
			return r;
	}
	return (int) n;
}

int berth_cmd_logs(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "details", optional_argument, NULL, 'D' },
		{ "follow", optional_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "tail", required_argument, NULL, 'n' },
		{ "timestamps", optional_argument, NULL, 't' },
		{ "until", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct logs_opts o = { .tail = "all" };
	struct berth_error err = { 0 };
	int c, r = 0;

	while ((c = berth_cli_getopt(cli, &logs_info, argc, argv, ":fn:th", longopts)) != -1) {
		if (c == 'D')
			r = berth_cli_parse_bool(cli, &logs_info, "--details", optarg, &o.details);
		else if (c == 'f')
			r = berth_cli_parse_bool(cli, &logs_info, "-f, --follow", optarg, &o.follow);
		else if (c == 't')
			r = berth_cli_parse_bool(cli, &logs_info, "-t, --timestamps", optarg, &o.timestamps);
		else if (c == 'S')
			o.since = optarg;
		else if (c == 'U')
			o.until = optarg;
		else if (c == 'n')
			o.tail = optarg;
		else
			return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
		if (r < 0)
			return BERTH_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return berth_cli_usage_error(cli, &logs_info, 1, "'%s' requires 1 argument", cli->cmd_path);
	if (show_logs(cli, argv[optind], &o, &err) < 0)
		return berth_cli_fail(&err);
	return 0;
}
