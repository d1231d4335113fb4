/* A --format is outside input: any bytes must give a template or an error,
 * and any template must execute into output or an error against an inspect-
 * like document, without a crash, a leak, undefined behaviour, or unbounded
 * time or memory.  The engine's step, output and value limits bound every
 * execution; they are lowered here so that no input is slow, the same code
 * paths stopping sooner. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "template_int.h"

#define FUZZ_STEPS 20000
#define FUZZ_OUTPUT ((size_t) 256 << 10)
#define FUZZ_ALLOC ((size_t) 4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* The libraries are built with recoverable UBSan checks: make them fatal,
 * so that undefined behaviour there is a finding, not a line in a log. */
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const char fixture[] =
	"{\"Id\":\"4f66ad9a0b2e\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":1234,\"Health\":null,"
	"\"ExitCode\":0},\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"Cmd\":[\"sh\",\"-c\",\"x\"],"
	"\"Labels\":{\"com.example\":\"v1\",\"a\":\"<b>&\",\"\":\"empty\"},\"Entrypoint\":null},"
	"\"Mounts\":[{\"Source\":\"/src\",\"RW\":true},{\"Source\":\"/a\",\"RW\":false}],"
	"\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],"
	"\"443/tcp\":null}},\"Size\":12.5,\"Neg\":-3,\"Zero\":0,\"Big\":1e300,\"Tiny\":5e-324,"
	"\"Uni\":\"h\\u00e9llo \\u2028\\u0000x\",\"Empty\":\"\",\"EArr\":[],\"EObj\":{},"
	"\"Mixed\":[1,\"a\",null,{\"k\":\"v\"},[1,2],2.5,true]}";

static const char header[] = "{\"Id\":\"ID\",\"Name\":\"NAME\",\"Size\":\"SIZE\",\"Mixed\":\"MIXED\"}";

static void check_error(const struct berth_error *err)
{
	/* every error says what failed */
	if (err->code <= 0 || strncmp(err->msg, "template", 8) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *doc, *rows, *head;
	static FILE *sink;
	struct berth_error err = { 0 };
	struct berth_template *t = NULL;

	if (!doc) {
		doc = json_loads(fixture, JSON_ALLOW_NUL, NULL);
		head = json_loads(header, 0, NULL);
		rows = json_array();
		json_array_append(rows, doc);
		json_array_append_new(rows, json_object());
		json_array_append_new(rows, json_null());
		sink = fopen("/dev/null", "w");
		if (!doc || !head || !rows || !sink)
			__builtin_trap();
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	/* inspect: the plain Go template */
	if (berth_template_parse(text, &t, &err) == 0) {
		tpl_set_limits(t, FUZZ_STEPS, FUZZ_OUTPUT, FUZZ_ALLOC);
		if (berth_template_execute(t, doc, sink, &err) < 0)
			check_error(&err);
		if (berth_template_execute_header(t, head, sink, &err) < 0)
			check_error(&err);
		berth_template_set_missingkey_error(t, true);
		if (berth_template_execute(t, NULL, sink, &err) < 0)
			check_error(&err);
		berth_template_free(t);
	} else {
		check_error(&err);
	}

	/* list commands: docker's conventions, tables through the tabwriter */
	t = NULL;
	if (berth_template_parse_format(text, &t, &err) == 0) {
		tpl_set_limits(t, FUZZ_STEPS, FUZZ_OUTPUT, FUZZ_ALLOC);
		if (berth_template_render(t, head, rows, sink, &err) < 0)
			check_error(&err);
		berth_template_free(t);
	} else {
		check_error(&err);
	}
	free(text);
	return 0;
}
