#include "container_top.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

/* Each ps line has at most this many columns (bounded work per line). */
#define MAX_FIELDS 256

static bool ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Split line[0..len) at ASCII whitespace (Go's fieldsASCII). */
static size_t fields(const char *line, size_t len, const char *start[MAX_FIELDS], size_t flen[MAX_FIELDS])
{
	size_t n = 0, i = 0;
	while (i < len && n < MAX_FIELDS) {
		while (i < len && ascii_space(line[i]))
			i++;
		if (i >= len)
			break;
		size_t s = i;
		while (i < len && !ascii_space(line[i]))
			i++;
		start[n] = line + s;
		flen[n++] = i - s;
	}
	return n;
}

int berth_top_check_args(const char *ps_args, struct berth_error *err)
{
	/* " KEY=PID...": renaming the pid column away hides it from us */
	for (const char *eq = strchr(ps_args, '='); eq; eq = strchr(eq + 1, '=')) {
		const char *k = eq;
		while (k > ps_args && !ascii_space(k[-1]))
			k--;
		if (k == ps_args)
			continue; /* dockerd's pattern needs whitespace before the key */
		const char *v = eq + 1;
		while (*v && ascii_space(*v))
			v++;
		if (strncmp(v, "PID", 3) != 0 || ((size_t) (eq - k) == 3 && strncmp(k, "pid", 3) == 0))
			continue;
		size_t vlen = strcspn(v, " \t\n\v\f\r");
		return berth_error_set(err, EINVAL, "specifying \"%.*s=%.*s\" is not allowed", (int) (eq - k), k,
				       (int) vlen, v);
	}
	return 0;
}

int berth_top_argv(const char *ps_args, char ***ret, struct berth_error *err)
{
	size_t n = 2;
	for (const char *s = ps_args; *s; s++)
		n += *s == ' ';
	if (n > 4096)
		return berth_error_set(err, E2BIG, "ps_args: too many arguments");
	char **v = calloc(n + 1, sizeof(*v));
	if (!v || !(v[0] = strdup("ps"))) {
		free(v);
		return berth_error_sys(err, ENOMEM, "top");
	}
	size_t i = 1;
	for (const char *s = ps_args;; i++) {
		size_t len = strcspn(s, " ");
		if (!(v[i] = strndup(s, len))) {
			berth_strv_freep(&v);
			return berth_error_sys(err, ENOMEM, "top");
		}
		if (!s[len])
			break;
		s += len + 1;
	}
	*ret = v;
	return 0;
}

/* ps prints what the processes' command lines hold: bytes that are not
 * UTF-8 become '?' rather than invalid JSON. */
static json_t *text(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	if (j)
		return j;
	char *copy = strndup(s, len);
	for (char *c = copy; c && *c; c++)
		if ((unsigned char) *c >= 0x80)
			*c = '?';
	j = json_string(copy ? copy : "");
	free(copy);
	return j;
}

static bool has_pid(const long *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* The row: the first titles-1 fields, then the rest joined by spaces. */
static json_t *row(const char *start[], const size_t flen[], size_t n, size_t titles)
{
	json_t *r = json_array();
	size_t i = 0;
	for (; i + 1 < titles && i < n; i++)
		json_array_append_new(r, text(start[i], flen[i]));
	if (i < n) {
		size_t len = (size_t) (start[n - 1] + flen[n - 1] - start[i]);
		/* the command keeps its own spacing collapsed to single spaces, as Join does */
		char *joined = malloc(len + 1), *o = joined;
		for (size_t j = i; joined && j < n; j++) {
			if (j > i)
				*o++ = ' ';
			memcpy(o, start[j], flen[j]);
			o += flen[j];
		}
		if (joined) {
			*o = '\0';
			json_array_append_new(r, text(joined, (size_t) (o - joined)));
			free(joined);
		}
	}
	return r;
}

int berth_top_parse(const char *output, const long *pids, size_t n, json_t **ret, struct berth_error *err)
{
	const char *start[MAX_FIELDS];
	size_t flen[MAX_FIELDS];
	size_t len = strcspn(output, "\n");
	size_t titles = fields(output, len, start, flen), pid_index = titles;
	_cleanup_json_ json_t *names = json_array(), *procs = json_array();
	for (size_t i = 0; i < titles; i++) {
		json_array_append_new(names, text(start[i], flen[i]));
		if (pid_index == titles && flen[i] == 3 && strncmp(start[i], "PID", 3) == 0)
			pid_index = i;
	}
	if (pid_index == titles)
		return berth_error_set(err, EINVAL, "Couldn't find PID field in ps output");
	bool in_container = false;
	for (const char *line = output + len; *line;) {
		line += *line == '\n';
		len = strcspn(line, "\n");
		size_t nf = fields(line, len, start, flen);
		const char *this = line;
		line += len;
		if (nf == 0)
			continue;
		if (nf <= pid_index)
			return berth_error_set(err, EINVAL, "Unexpected ps output line: %.*s", (int) (len > 80 ? 80 : len), this);
		if (flen[pid_index] == 1 && start[pid_index][0] == '-') {
			if (in_container)
				json_array_append_new(procs, row(start, flen, nf, titles));
			continue;
		}
		char *end;
		long pid = strtol(start[pid_index], &end, 10);
		if (end != start[pid_index] + flen[pid_index])
			return berth_error_set(err, EINVAL, "Unexpected pid '%.*s'", (int) flen[pid_index], start[pid_index]);
		in_container = has_pid(pids, n, pid);
		if (in_container)
			json_array_append_new(procs, row(start, flen, nf, titles));
	}
	*ret = json_pack("{s:O, s:O}", "Titles", names, "Processes", procs);
	return *ret ? 0 : berth_error_sys(err, ENOMEM, "top");
}
