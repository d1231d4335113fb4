/* The public side of templates: parsing as docker's formatter prepares a
 * --format, executing, and rendering a list as docker does (rows, then for a
 * table a header and a tabwriter).  The tree lives in an arena owned by the
 * template, freed in one go. */
#include "template.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "tabwriter.h"
#include "template_int.h"

struct tpl_chunk {
	struct tpl_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *tpl_alloc(struct berth_template *t, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size = (size + align - 1) / align * align;
	struct tpl_chunk *c = t->arena;
	if (!c || c->size - c->used < size) {
		size_t n = size > 8192 ? size : 8192;
		c = calloc(1, sizeof(*c) + n);
		if (!c)
			return NULL;
		c->size = n;
		c->next = t->arena;
		t->arena = c;
	}
	void *p = (char *) c->data + c->used;
	c->used += size;
	return p; /* zeroed by calloc */
}

void berth_template_free(struct berth_template *t)
{
	if (!t)
		return;
	int saved = errno;
	for (struct tpl_chunk *c = t->arena, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	if (t->constants)
		json_decref(t->constants);
	free(t->text);
	free(t);
	errno = saved;
}

/* Takes ownership of text (malloc'ed, len bytes, NUL-terminated). */
static int template_new(char *text, size_t len, struct berth_template **ret, struct berth_error *err)
{
	_cleanup_free_ char *owned = text;
	if (!text)
		return berth_error_set(err, ENOMEM, "template: out of memory");
	if (len > BERTH_TEMPLATE_TEXT_MAX)
		return berth_error_set(err, E2BIG, "template: longer than %zu bytes", BERTH_TEMPLATE_TEXT_MAX);
	struct berth_template *t = calloc(1, sizeof(*t));
	if (!t)
		return berth_error_set(err, ENOMEM, "template: out of memory");
	t->text = berth_steal_ptr(&owned);
	t->len = len;
	t->max_steps = TPL_STEPS_MAX;
	t->max_output = BERTH_TEMPLATE_OUTPUT_MAX;
	t->max_alloc = TPL_ALLOC_MAX;
	t->constants = json_array();
	if (!t->constants) {
		berth_template_free(t);
		return berth_error_set(err, ENOMEM, "template: out of memory");
	}
	*ret = t;
	return 0;
}

static int template_parse(char *text, size_t len, bool is_table, bool is_default_table, struct berth_template **ret,
			  struct berth_error *err)
{
	_cleanup_template_ struct berth_template *t = NULL;
	int r = template_new(text, len, &t, err);
	if (r < 0)
		return r;
	t->is_table = is_table;
	t->is_default_table = is_default_table;
	if ((r = tpl_parse(t, err)) < 0)
		return r;
	*ret = berth_steal_ptr(&t);
	return 0;
}

int berth_template_parse(const char *text, struct berth_template **ret, struct berth_error *err)
{
	if (!text || !ret)
		return berth_error_set(err, EINVAL, "template: no template");
	size_t len = strlen(text);
	if (len > BERTH_TEMPLATE_TEXT_MAX)
		return berth_error_set(err, E2BIG, "template: longer than %zu bytes", BERTH_TEMPLATE_TEXT_MAX);
	return template_parse(strdup(text), len, false, false, ret, err);
}

int berth_template_parse_format(const char *format, struct berth_template **ret, struct berth_error *err)
{
	if (!format || !ret)
		return berth_error_set(err, EINVAL, "template: no format");
	if (strcmp(format, "json") == 0)
		return template_parse(strdup("{{json .}}"), 10, false, false, ret, err);
	bool table = strncmp(format, "table", 5) == 0;
	const char *s = table ? format + 5 : format;
	size_t n = strlen(s);
	if (n > BERTH_TEMPLATE_TEXT_MAX)
		return berth_error_set(err, E2BIG, "template: longer than %zu bytes", BERTH_TEMPLATE_TEXT_MAX);
	/* docker: strings.Trim(format, " "), then \t and \n as two
	 * characters become a tab and a newline, scanning left to right */
	while (n > 0 && *s == ' ')
		s++, n--;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	char *text = malloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; text && i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			text[k++] = s[++i] == 't' ? '\t' : '\n';
			continue;
		}
		text[k++] = s[i];
	}
	if (text)
		text[k] = '\0';
	return template_parse(text, k, table, strcmp(format, "table") == 0, ret, err);
}

void tpl_set_limits(struct berth_template *t, size_t steps, size_t output, size_t alloc)
{
	t->max_steps = steps < TPL_STEPS_MAX ? steps : TPL_STEPS_MAX;
	t->max_output = output < BERTH_TEMPLATE_OUTPUT_MAX ? output : BERTH_TEMPLATE_OUTPUT_MAX;
	t->max_alloc = alloc < TPL_ALLOC_MAX ? alloc : TPL_ALLOC_MAX;
}

bool berth_template_is_table(const struct berth_template *t)
{
	return t->is_table;
}

bool berth_template_is_default_table(const struct berth_template *t)
{
	return t->is_default_table;
}

void berth_template_set_missingkey_error(struct berth_template *t, bool on)
{
	t->missingkey_error = on;
}

int berth_template_execute(const struct berth_template *t, json_t *data, FILE *out, struct berth_error *err)
{
	if (!t || !out)
		return berth_error_set(err, EINVAL, "template: nothing to execute");
	return tpl_execute(t, data, out, TPL_MODE_DOCUMENT, err);
}

int berth_template_execute_header(const struct berth_template *t, json_t *header, FILE *out,
				  struct berth_error *err)
{
	if (!t || !out)
		return berth_error_set(err, EINVAL, "template: nothing to execute");
	return tpl_execute(t, header, out, TPL_MODE_HEADER, err);
}

/* Every row followed by a newline, in memory: nothing shows if one fails. */
static int render_rows(const struct berth_template *t, json_t *rows, char **ret, size_t *ret_len,
		       struct berth_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int r = 0;
	if (!mem)
		return berth_error_sys(err, errno, "template: open memory stream");
	for (size_t i = 0; i < json_array_size(rows) && r == 0; i++) {
		r = tpl_execute(t, json_array_get(rows, i), mem, TPL_MODE_ROW, err);
		if (r == 0 && fputc('\n', mem) == EOF)
			r = berth_error_sys(err, errno ? errno : ENOMEM, "template: write row");
	}
	if (fclose(mem) != 0 && r == 0)
		r = berth_error_sys(err, errno ? errno : ENOMEM, "template: write rows");
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The header line; like docker, a header that fails to render is shown
 * as far as it got. */
static int render_header(const struct berth_template *t, json_t *header, struct berth_tabwriter *tw,
			 struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct berth_error ignored = { 0 };
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return berth_error_sys(err, errno, "template: open memory stream");
	(void) tpl_execute(t, header, mem, TPL_MODE_HEADER, &ignored);
	if (fclose(mem) != 0)
		return berth_error_sys(err, errno ? errno : ENOMEM, "template: write header");
	int r = berth_tabwriter_write(tw, buf, len, err);
	return r < 0 ? r : berth_tabwriter_write(tw, "\n", 1, err);
}

int berth_template_render(const struct berth_template *t, json_t *header, json_t *rows, FILE *out,
			  struct berth_error *err)
{
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	int r;

	if (!t || !out || !json_is_array(rows))
		return berth_error_set(err, EINVAL, "template: rows must be a JSON array");
	if ((r = render_rows(t, rows, &body, &len, err)) < 0)
		return r;
	if (!t->is_table) {
		errno = 0;
		if (len > 0 && fwrite(body, 1, len, out) != len)
			return berth_error_sys(err, errno ? errno : EIO, "template: write output");
		return 0;
	}
	_cleanup_tabwriter_ struct berth_tabwriter *tw = berth_tabwriter_new(out);
	if (!tw)
		return berth_error_set(err, ENOMEM, "template: out of memory");
	if (header && (r = render_header(t, header, tw, err)) < 0)
		return r;
	if ((r = berth_tabwriter_write(tw, body, len, err)) < 0)
		return r;
	return berth_tabwriter_flush(tw, err);
}
