/* Parsing the control request line and the attach header (see request.h).
 *
 * The input is copied into a bounded local buffer and split into words
 * there, so the parser never writes to, or reads past, the caller's bytes.
 * Every error names the word that was wrong: the message goes back to the
 * client as "error MESSAGE".
 */
#include "request.h"

#include <errno.h>
#include <string.h>

#include "signals.h"

#define MAX_WORDS 8

struct words {
	char buf[SHIM_REQUEST_MAX + 1];
	char *word[MAX_WORDS];
	size_t count;
};

/* Split line into words at runs of spaces.  Control characters (a stray
 * '\r', a NUL) are refused: no valid request holds one, and letting them
 * through would put them into file names and runtime arguments. */
static int split_words(const char *line, size_t len, struct words *w, struct berth_error *err)
{
	char *p;

	if (len > SHIM_REQUEST_MAX)
		return berth_error_set(err, E2BIG, "request longer than %d bytes", SHIM_REQUEST_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) line[i];
		if (c < 0x20 || c == 0x7f)
			return berth_error_set(err, EINVAL, "request holds control character 0x%02x", c);
	}
	memcpy(w->buf, line, len);
	w->buf[len] = '\0';
	w->count = 0;
	p = w->buf;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (w->count == MAX_WORDS)
			return berth_error_set(err, E2BIG, "request has more than %d words", MAX_WORDS);
		w->word[w->count++] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (w->count == 0)
		return berth_error_set(err, EINVAL, "empty request");
	return 0;
}

bool shim_exec_id_valid(const char *id)
{
	size_t len = strlen(id);

	/* No leading dot: ".", ".." and hidden names are not ids. */
	if (len == 0 || len > SHIM_EXEC_ID_MAX || id[0] == '.')
		return false;
	for (const char *c = id; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			  *c == '_' || *c == '-' || *c == '.';
		if (!ok)
			return false;
	}
	return true;
}

static int parse_exec_id(const char *word, char *ret, struct berth_error *err)
{
	if (!shim_exec_id_valid(word))
		return berth_error_set(err, EINVAL,
				       "invalid exec id \"%.*s\": expected 1 to %d of [A-Za-z0-9_.-], not starting with '.'",
				       SHIM_EXEC_ID_MAX, word, SHIM_EXEC_ID_MAX);
	strcpy(ret, word);
	return 0;
}

/* A window dimension: decimal digits only, at most 65535 (struct winsize). */
static int parse_dimension(const char *word, const char *what, unsigned short *ret, struct berth_error *err)
{
	unsigned long v = 0;

	if (*word == '\0' || strlen(word) > 5)
		return berth_error_set(err, EINVAL, "invalid %s \"%.8s\": expected 0 to 65535", what, word);
	for (const char *c = word; *c; c++) {
		if (*c < '0' || *c > '9')
			return berth_error_set(err, EINVAL, "invalid %s \"%s\": expected 0 to 65535", what, word);
		v = v * 10 + (unsigned long) (*c - '0');
	}
	if (v > 65535)
		return berth_error_set(err, EINVAL, "invalid %s \"%s\": expected 0 to 65535", what, word);
	*ret = (unsigned short) v;
	return 0;
}

static int expect_words(const struct words *w, size_t min, size_t max, const char *usage, struct berth_error *err)
{
	if (w->count < min || w->count > max)
		return berth_error_set(err, EINVAL, "usage: %s", usage);
	return 0;
}

static int parse_kill(const struct words *w, struct shim_request *req, struct berth_error *err)
{
	struct berth_error sigerr = { 0 };

	if (expect_words(w, 2, 3, "kill SIGNAL [all]", err) < 0)
		return -EINVAL;
	if (strlen(w->word[1]) > 32 || berth_signal_parse(w->word[1], &req->signal, &sigerr) < 0)
		return berth_error_set(err, EINVAL, "kill: invalid signal \"%.32s\"", w->word[1]);
	if (w->count == 3) {
		if (strcmp(w->word[2], "all") != 0)
			return berth_error_set(err, EINVAL, "kill: unknown option \"%.32s\" (expected all)", w->word[2]);
		req->all = true;
	}
	return 0;
}

/* kill-exec: a health probe past its timeout (berthd's). */
static int parse_kill_exec(const struct words *w, struct shim_request *req, struct berth_error *err)
{
	struct berth_error sigerr = { 0 };

	if (expect_words(w, 3, 3, "kill-exec EXECID SIGNAL", err) < 0 || parse_exec_id(w->word[1], req->exec_id, err) < 0)
		return -EINVAL;
	if (strlen(w->word[2]) > 32 || berth_signal_parse(w->word[2], &req->signal, &sigerr) < 0)
		return berth_error_set(err, EINVAL, "kill-exec: invalid signal \"%.32s\"", w->word[2]);
	return 0;
}

static int parse_exec(const struct words *w, struct shim_request *req, struct berth_error *err)
{
	const char *path;

	if (expect_words(w, 3, 5, "exec EXECID PROCESS_JSON_PATH [tty] [stdin]", err) < 0)
		return -EINVAL;
	if (parse_exec_id(w->word[1], req->exec_id, err) < 0)
		return -EINVAL;
	path = w->word[2];
	/* The runtime is started in the state directory: a relative path
	 * would mean something else to it than to the client. */
	if (path[0] != '/' || strlen(path) >= sizeof(req->process_path))
		return berth_error_set(err, EINVAL, "exec: the process file must be an absolute path shorter than %d bytes",
				       PATH_MAX);
	strcpy(req->process_path, path);
	for (size_t i = 3; i < w->count; i++) {
		bool *flag = strcmp(w->word[i], "tty") == 0 ? &req->tty : strcmp(w->word[i], "stdin") == 0 ? &req->stdin : NULL;
		if (flag == NULL)
			return berth_error_set(err, EINVAL, "exec: unknown option \"%.32s\" (expected tty or stdin)",
					       w->word[i]);
		if (*flag)
			return berth_error_set(err, EINVAL, "exec: option %s given twice", w->word[i]);
		*flag = true;
	}
	return 0;
}

int shim_request_parse(const char *line, size_t len, struct shim_request *ret, struct berth_error *err)
{
	static struct words w; /* 4 KiB: off the stack, the shim is single-threaded */
	struct shim_request req = { 0 };
	const char *verb;
	int r;

	r = split_words(line, len, &w, err);
	if (r < 0)
		return r;
	verb = w.word[0];
	if (strcmp(verb, "start") == 0) {
		req.kind = SHIM_REQUEST_START;
		r = expect_words(&w, 1, 1, "start", err);
	} else if (strcmp(verb, "kill") == 0) {
		req.kind = SHIM_REQUEST_KILL;
		r = parse_kill(&w, &req, err);
	} else if (strcmp(verb, "resize") == 0) {
		req.kind = SHIM_REQUEST_RESIZE;
		r = expect_words(&w, 3, 3, "resize ROWS COLS", err);
		if (r == 0 && (r = parse_dimension(w.word[1], "rows", &req.rows, err)) == 0)
			r = parse_dimension(w.word[2], "columns", &req.cols, err);
	} else if (strcmp(verb, "resize-exec") == 0) {
		req.kind = SHIM_REQUEST_RESIZE_EXEC;
		r = expect_words(&w, 4, 4, "resize-exec EXECID ROWS COLS", err);
		if (r == 0 && (r = parse_exec_id(w.word[1], req.exec_id, err)) == 0 &&
		    (r = parse_dimension(w.word[2], "rows", &req.rows, err)) == 0)
			r = parse_dimension(w.word[3], "columns", &req.cols, err);
	} else if (strcmp(verb, "close-stdin") == 0) {
		req.kind = SHIM_REQUEST_CLOSE_STDIN;
		r = expect_words(&w, 1, 1, "close-stdin", err);
	} else if (strcmp(verb, "wait") == 0) {
		req.kind = SHIM_REQUEST_WAIT;
		r = expect_words(&w, 1, 1, "wait", err);
	} else if (strcmp(verb, "exec") == 0) {
		req.kind = SHIM_REQUEST_EXEC;
		r = parse_exec(&w, &req, err);
	} else if (strcmp(verb, "wait-exec") == 0) {
		req.kind = SHIM_REQUEST_WAIT_EXEC;
		r = expect_words(&w, 2, 2, "wait-exec EXECID", err);
		if (r == 0)
			r = parse_exec_id(w.word[1], req.exec_id, err);
	} else if (strcmp(verb, "kill-exec") == 0) {
		req.kind = SHIM_REQUEST_KILL_EXEC;
		r = parse_kill_exec(&w, &req, err);
	} else if (strcmp(verb, "state") == 0) {
		req.kind = SHIM_REQUEST_STATE;
		r = expect_words(&w, 1, 1, "state", err);
	} else {
		return berth_error_set(err, EINVAL, "unknown request \"%.32s\"", verb);
	}
	if (r < 0)
		return r;
	*ret = req;
	return 0;
}

int shim_attach_parse(const char *line, size_t len, struct shim_attach_request *ret, struct berth_error *err)
{
	static struct words w;
	struct shim_attach_request req = { 0 };
	int r;

	if (len > SHIM_ATTACH_HEADER_MAX)
		return berth_error_set(err, E2BIG, "attach header longer than %d bytes", SHIM_ATTACH_HEADER_MAX);
	r = split_words(line, len, &w, err);
	if (r < 0)
		return r;
	if (strcmp(w.word[0], "attach") != 0)
		return berth_error_set(err, EINVAL, "expected \"attach [stdin] [stdout] [stderr]\", not \"%.16s\"",
				       w.word[0]);
	for (size_t i = 1; i < w.count; i++) {
		const char *s = w.word[i];
		bool *flag = strcmp(s, "stdin") == 0	? &req.want_stdin :
			     strcmp(s, "stdout") == 0	? &req.want_stdout :
			     strcmp(s, "stderr") == 0	? &req.want_stderr :
							  NULL;
		if (flag == NULL)
			return berth_error_set(err, EINVAL, "attach: unknown stream \"%.16s\"", s);
		if (*flag)
			return berth_error_set(err, EINVAL, "attach: stream %s named twice", s);
		*flag = true;
	}
	*ret = req;
	return 0;
}
