#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"
#include "template.h"

int berth_output_list(FILE *out, const char *format, const char *default_table, json_t *header, json_t *rows,
		      struct berth_error *err)
{
	_cleanup_template_ struct berth_template *t = NULL;
	int r;

	r = berth_template_parse_format(format && *format ? format : default_table, &t, err);
	if (r >= 0 && berth_template_is_default_table(t)) {
		berth_template_free(t);
		t = NULL;
		r = berth_template_parse_format(default_table, &t, err);
	}
	if (r < 0)
		return berth_error_wrap(err, "template parsing error");
	/* docker's rows are Go structs: an unknown field is an error there */
	berth_template_set_missingkey_error(t, true);
	r = berth_template_render(t, header, rows, out, err);
	if (r < 0)
		return berth_error_wrap(err, "template parsing error");
	return 0;
}

static void indent(FILE *out, unsigned depth)
{
	fputc('\n', out);
	for (unsigned i = 0; i < depth; i++)
		fputs("    ", out);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int berth_output_json_indent(FILE *out, const char *raw, size_t len, struct berth_error *err)
{
	json_error_t jerr;
	json_t *check = json_loadb(raw, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	unsigned depth = 0;
	bool need_indent = false;

	if (!check)
		return berth_error_set(err, EBADMSG, "the daemon's answer is not JSON: %s", jerr.text);
	json_decref(check);
	for (size_t i = 0; i < len; i++) {
		char c = raw[i];
		if (is_blank(c))
			continue;
		if (need_indent && c != '}' && c != ']') {
			need_indent = false;
			indent(out, depth);
		}
		switch (c) {
		case '{':
		case '[':
			fputc(c, out);
			need_indent = true;
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			if (need_indent)
				need_indent = false; /* "{}" stays compact */
			else
				indent(out, depth);
			fputc(c, out);
			break;
		case ',':
			fputc(c, out);
			indent(out, depth);
			break;
		case ':':
			fputs(": ", out);
			break;
		case '"': {
			size_t start = i++;
			while (i < len && raw[i] != '"')
				i += raw[i] == '\\' ? 2 : 1;
			fwrite(raw + start, 1, (i < len ? i : len - 1) - start + 1, out);
			break;
		}
		default:
			fputc(c, out);
			break;
		}
	}
	return 0;
}

static int inspect_templated(FILE *out, const char *format, char *const *docs, const size_t *lens, size_t n,
			     struct berth_error *err)
{
	_cleanup_template_ struct berth_template *t = NULL;
	int r = berth_template_parse(format, &t, err);
	if (r < 0)
		return berth_error_wrap(err, "template parsing error");
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_t *doc = NULL;
		r = bjson_parse(docs[i], lens[i], "the daemon's answer", &doc, err);
		if (r < 0)
			return r;
		/* render to memory first: a failed execution shows nothing */
		_cleanup_free_ char *buf = NULL;
		size_t buflen = 0;
		FILE *mem = open_memstream(&buf, &buflen);
		if (!mem)
			return berth_error_sys(err, errno, "inspect");
		r = berth_template_execute(t, doc, mem, err);
		fclose(mem);
		if (r < 0)
			return berth_error_wrap(err, "template parsing error");
		fwrite(buf, 1, buflen, out);
		fputc('\n', out);
	}
	return 0;
}

int berth_output_inspect(FILE *out, const char *format, char *const *docs, const size_t *lens, size_t n,
			 struct berth_error *err)
{
	if (format && !strcmp(format, "json")) {
		/* docker 28: the documents as they came, in one compact array */
		fputc('[', out);
		for (size_t i = 0; i < n; i++) {
			size_t len = lens[i];
			while (len > 0 && is_blank(docs[i][len - 1]))
				len--;
			if (i > 0)
				fputc(',', out);
			fwrite(docs[i], 1, len, out);
		}
		fputs("]\n", out);
		return 0;
	}
	if (format && *format) {
		/* as docker's template inspector: an empty line for no documents */
		if (n == 0)
			fputc('\n', out);
		return inspect_templated(out, format, docs, lens, n, err);
	}
	if (n == 0) {
		fputs("[]\n", out);
		return 0;
	}
	/* as docker: the raw documents joined into one array, then indented */
	_cleanup_free_ char *all = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&all, &len);
	if (!mem)
		return berth_error_sys(err, errno, "inspect");
	fputc('[', mem);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', mem);
		fwrite(docs[i], 1, lens[i], mem);
	}
	fputc(']', mem);
	if (fclose(mem) != 0)
		return berth_error_sys(err, ENOMEM, "inspect");
	int r = berth_output_json_indent(out, all, len, err);
	if (r < 0)
		return r;
	fputc('\n', out);
	return 0;
}

bool berth_output_confirm(FILE *in, FILE *out, const char *message)
{
	char line[256];
	fprintf(out, "%s [y/N] ", message);
	fflush(out);
	if (!fgets(line, sizeof(line), in))
		return false;
	char *s = line;
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return !strcasecmp(s, "y");
}

const char *berth_output_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

int64_t berth_output_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (int64_t) json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= -9.2e18 && json_real_value(v) <= 9.2e18)
		return (int64_t) json_real_value(v);
	return 0;
}

int berth_output_set_str(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, json_string_nocheck(value ? value : ""));
}

json_t *berth_output_header(const char *const pairs[][2], size_t n)
{
	json_t *h = json_object();
	for (size_t i = 0; h && i < n; i++)
		berth_output_set_str(h, pairs[i][0], pairs[i][1]);
	return h;
}
