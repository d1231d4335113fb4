/* What berth-shim reads from outside: control request lines and attach
 * headers from any client of its sockets, and the runtime's JSON log (a
 * runtime is another program; its log may be cut short).  Any bytes must
 * give a parsed request or an error message, never a crash, a read past the
 * input or undefined behaviour.  The json-file encoder is checked on the
 * same bytes (container output is outside input too): its output must be a
 * valid JSON string body, identical however small the output buffer it is
 * written through, and as long as its counting pass said.
 *
 * The input is fed whole to every parser, and line by line to the request
 * parsers, so one corpus covers them all. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonlog.h"
#include "request.h"
#include "runtime_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const char *line, size_t len)
{
	struct berth_error err = { 0 };
	struct shim_request req;
	struct shim_attach_request att;

	if (shim_request_parse(line, len, &req, &err) == 0) {
		bool with_id = req.kind == SHIM_REQUEST_EXEC || req.kind == SHIM_REQUEST_WAIT_EXEC ||
			       req.kind == SHIM_REQUEST_RESIZE_EXEC;
		if (with_id && !shim_exec_id_valid(req.exec_id))
			__builtin_trap();
		if (req.kind == SHIM_REQUEST_EXEC && req.process_path[0] != '/')
			__builtin_trap();
		if (req.kind == SHIM_REQUEST_KILL && (req.signal < 1 || req.signal > 64))
			__builtin_trap();
	} else if (err.msg[0] == '\0' || memchr(err.msg, '\0', sizeof(err.msg)) == NULL) {
		__builtin_trap();
	}
	memset(&err, 0, sizeof(err));
	if (shim_attach_parse(line, len, &att, &err) < 0 && err.msg[0] == '\0')
		__builtin_trap();
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The body of a JSON string as docker writes it: escapes well formed,
 * nothing raw that JSON or HTML would mind, valid UTF-8. */
static void check_json_body(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '\\') {
			if (i + 1 >= len)
				__builtin_trap();
			c = s[++i];
			if (c == 'u') {
				if (i + 4 >= len || !is_hex((char) s[i + 1]) || !is_hex((char) s[i + 2]) ||
				    !is_hex((char) s[i + 3]) || !is_hex((char) s[i + 4]))
					__builtin_trap();
				i += 4;
			} else if (c != '\\' && c != '"' && c != 'n' && c != 'r') {
				__builtin_trap();
			}
			continue;
		}
		if (c < 0x20 || c == '"' || c == '<' || c == '>' || c == '&')
			__builtin_trap();
		if (c >= 0x80) {
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (c < 0xc2 || c > 0xf4 || i + n > len)
				__builtin_trap();
			for (size_t k = 1; k < n; k++)
				if ((s[i + k] & 0xc0) != 0x80)
					__builtin_trap();
			i += n - 1;
		}
	}
}

static void check_escape(const char *text, size_t len)
{
	size_t total, got = 0, done = 0, small_sizes[] = { 6, 7, 64 };
	unsigned char *whole, *piecewise;

	jsonlog_escape(text, len, NULL, 0, &total);
	if (total < len || total > len * 6)
		__builtin_trap();
	whole = malloc(total + 1);
	piecewise = malloc(total + 1);
	if (whole == NULL || piecewise == NULL)
		abort();
	if (jsonlog_escape(text, len, (char *) whole, total, &got) != len || got != total)
		__builtin_trap();
	check_json_body(whole, total);
	/* Through a small buffer, as the log writer does: the same bytes. */
	got = 0;
	for (size_t round = 0; done < len; round++) {
		size_t room = small_sizes[round % 3], wrote;
		if (got + room > total)
			room = total - got;
		size_t took = jsonlog_escape(text + done, len - done, (char *) piecewise + got, room, &wrote);
		if (took == 0 && room >= 6)
			__builtin_trap(); /* no progress with room for any escape */
		done += took;
		got += wrote;
		if (round > 8 * len + 16)
			__builtin_trap();
	}
	if (got != total || memcmp(whole, piecewise, total) != 0)
		__builtin_trap();
	free(whole);
	free(piecewise);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	char out[512], tiny[4], when[48];

	check_request(text, size);
	for (const char *p = text, *end = text + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
		check_request(p, len);
		p += len + 1;
	}
	if (shim_runtime_log_last_error(text, size, out, sizeof(out)) != strlen(out) || strlen(out) >= sizeof(out))
		__builtin_trap();
	for (const char *c = out; *c; c++)
		if ((unsigned char) *c < 0x20)
			__builtin_trap(); /* one line for the reply */
	if (shim_runtime_log_last_error(text, size, tiny, sizeof(tiny)) != strlen(tiny))
		__builtin_trap();
	if (shim_last_text_line(text, size, out, sizeof(out)) != strlen(out))
		__builtin_trap();
	check_escape(text, size);
	if (size >= 8) {
		uint64_t v;
		memcpy(&v, data, sizeof(v));
		/* Any time int64 nanoseconds hold from 1970 on (up to 2255). */
		jsonlog_format_time((int64_t) (v % 9000000000000000000ull), when, sizeof(when));
		if (strlen(when) < 20 || when[strlen(when) - 1] != 'Z')
			__builtin_trap();
	}
	return 0;
}
