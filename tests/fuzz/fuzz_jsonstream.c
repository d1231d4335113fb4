/* The daemon's JSON message streams are outside input (a registry's error
 * text, a build's output, progress figures): any bytes, cut into any pieces,
 * must split into values or give an error, and every value must parse and
 * display, on a terminal or not, without a crash, a leak, undefined
 * behaviour or unbounded time.
 *
 * The first two bytes choose the terminal width and how the rest is cut
 * into the pieces a socket would deliver. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* The libraries are built with recoverable UBSan checks: make them fatal,
 * so that undefined behaviour there is a finding, not a line in a log. */
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* Small, so that the limit is reached too. */
#define FUZZ_MESSAGE_MAX (64 * 1024)

struct sink {
	struct berth_jsondisplay term, plain;
	FILE *out;
};

static int64_t fixed_now(void)
{
	return INT64_C(1700000000) * INT64_C(1000000000);
}

static void check_error(const struct berth_error *err)
{
	if (err->code <= 0)
		__builtin_trap();
}

static int on_value(void *userdata, const char *value, size_t len, struct berth_error *err)
{
	struct sink *s = userdata;
	struct berth_jsonmessage m;
	char progress[256];

	/* a value is whole: it starts and ends with its brackets */
	if (len < 2 || (value[0] != '{' && value[0] != '[') || (value[len - 1] != '}' && value[len - 1] != ']'))
		__builtin_trap();
	if (berth_jsonmessage_parse(value, len, &m, err) < 0) {
		check_error(err);
		return 0;
	}
	if (berth_jsondisplay_message(&s->term, &m, s->out, err) < 0)
		check_error(err);
	if (berth_jsondisplay_message(&s->plain, &m, s->out, err) < 0)
		check_error(err);
	for (int width = 40; width <= 120; width += 40) {
		berth_jsonprogress_string(&m.progress, width, fixed_now(), progress, sizeof(progress));
		if (strlen(progress) >= sizeof(progress))
			__builtin_trap();
	}
	berth_jsonmessage_clear(&m);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct berth_error err = { 0 };
	struct berth_jsonsplitter *split = NULL;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		__builtin_trap();
	if (size < 2)
		return 0;
	int width = data[0];
	size_t piece = (size_t) data[1] % 17 + 1;
	data += 2;
	size -= 2;

	struct sink s = { .out = devnull };
	berth_jsondisplay_init(&s.term, true, width);
	berth_jsondisplay_init(&s.plain, false, width);
	s.term.now_ns = s.plain.now_ns = fixed_now;
	if (berth_jsonsplitter_new(FUZZ_MESSAGE_MAX, &split, &err) < 0)
		__builtin_trap();
	int r = 0;
	for (size_t i = 0; i < size && r == 0; i += piece)
		r = berth_jsonsplitter_feed(split, (const char *) data + i, size - i < piece ? size - i : piece, on_value,
					    &s, &err);
	if (r == 0)
		r = berth_jsonsplitter_finish(split, &err);
	if (r < 0)
		check_error(&err);
	berth_jsonsplitter_free(split);
	berth_jsondisplay_clear(&s.term);
	berth_jsondisplay_clear(&s.plain);
	return 0;
}
