/* Go's text/tabwriter (no flags), computed without recursion.
 *
 * Go formats column by column recursively, one level per column; a row with
 * a hundred thousand tabs would be as deep a C stack.  The same widths come
 * from one pass: a column block is a maximal run of consecutive lines that
 * all have a cell in that column, so walking the lines in order and keeping
 * the block "open" for every column the previous line also had gives each
 * cell its block, and each block its width.
 */
#include "tabwriter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define TW_ESCAPE '\xff'

struct tw_cell {
	size_t size;   /* bytes of text */
	int64_t width; /* characters; Go lets an unterminated escape make it negative */
	size_t block;  /* the column block, for every cell but a line's last */
};

struct tw_line {
	struct tw_cell *cells;
	size_t n, cap;
};

struct berth_tabwriter {
	FILE *out;
	size_t minwidth, tabwidth, padding;
	char padchar;
	char *text; /* the bytes of all buffered cells, in order */
	size_t len, cap;
	size_t counted;      /* text[counted, len) is not yet in cell.width */
	struct tw_cell cell; /* the cell being collected */
	bool in_escape;
	struct tw_line *lines; /* the last line is the one being collected */
	size_t n_lines, cap_lines;
	size_t *block_width;
	size_t n_blocks, cap_blocks;
	size_t *open_block; /* per column: the block the previous line was in */
	size_t cap_open;
	bool broken; /* an allocation failed: the buffered state is not trustworthy */
};

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return false;
		n *= 2;
	}
	void *q = realloc(*p, n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Characters as Go's utf8.RuneCount counts them: an invalid byte is one. */
static size_t rune_count(const unsigned char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		unsigned char c = s[i];
		size_t w = 1;
		uint32_t min = 0;
		if (c >= 0xc2 && c <= 0xdf)
			w = 2, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			w = 3, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			w = 4, min = 0x10000;
		if (w > 1 && i + w <= n) {
			uint32_t r = c & (0xff >> (w + 1));
			bool ok = true;
			for (size_t k = 1; k < w; k++) {
				if ((s[i + k] & 0xc0) != 0x80) {
					ok = false;
					break;
				}
				r = r << 6 | (s[i + k] & 0x3f);
			}
			if (ok && r >= min && r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff)) {
				i += w;
				continue;
			}
		}
		i++;
	}
	return count;
}

static bool tw_append(struct berth_tabwriter *tw, const char *p, size_t n)
{
	if (n == 0)
		return true;
	if (!grow((void **) &tw->text, &tw->cap, tw->len + n, 1))
		return false;
	memcpy(tw->text + tw->len, p, n);
	tw->len += n;
	tw->cell.size += n;
	return true;
}

static void tw_update_width(struct berth_tabwriter *tw)
{
	if (tw->len > tw->counted)
		tw->cell.width +=
			(int64_t) rune_count((const unsigned char *) tw->text + tw->counted, tw->len - tw->counted);
	tw->counted = tw->len;
}

/* Returns the number of cells of the current line, 0 when out of memory. */
static size_t tw_terminate_cell(struct berth_tabwriter *tw)
{
	struct tw_line *line = &tw->lines[tw->n_lines - 1];
	if (!grow((void **) &line->cells, &line->cap, line->n + 1, sizeof(struct tw_cell)))
		return 0;
	line->cells[line->n++] = tw->cell;
	memset(&tw->cell, 0, sizeof(tw->cell));
	return line->n;
}

static bool tw_add_line(struct berth_tabwriter *tw)
{
	if (!grow((void **) &tw->lines, &tw->cap_lines, tw->n_lines + 1, sizeof(struct tw_line)))
		return false;
	memset(&tw->lines[tw->n_lines++], 0, sizeof(struct tw_line));
	return true;
}

static void tw_reset(struct berth_tabwriter *tw)
{
	for (size_t i = 0; i < tw->n_lines; i++)
		free(tw->lines[i].cells);
	tw->n_lines = 0;
	tw->len = tw->counted = 0;
	tw->n_blocks = 0;
	memset(&tw->cell, 0, sizeof(tw->cell));
	tw->in_escape = false;
}

/* Give every cell but the last of each line its column block and each block
 * its width: max(minwidth, widest cell + padding). */
static bool tw_assign_blocks(struct berth_tabwriter *tw)
{
	size_t open = 0; /* columns 0..open-1 continue the previous line's blocks */
	for (size_t i = 0; i < tw->n_lines; i++) {
		struct tw_line *line = &tw->lines[i];
		size_t columns = line->n > 0 ? line->n - 1 : 0;
		if (!grow((void **) &tw->open_block, &tw->cap_open, columns, sizeof(size_t)))
			return false;
		for (size_t c = 0; c < columns; c++) {
			if (c >= open) {
				if (!grow((void **) &tw->block_width, &tw->cap_blocks, tw->n_blocks + 1, sizeof(size_t)))
					return false;
				tw->block_width[tw->n_blocks] = tw->minwidth;
				tw->open_block[c] = tw->n_blocks++;
			}
			struct tw_cell *cell = &line->cells[c];
			cell->block = tw->open_block[c];
			int64_t w = cell->width + (int64_t) tw->padding;
			if (w > (int64_t) tw->block_width[cell->block])
				tw->block_width[cell->block] = (size_t) w;
		}
		open = columns;
	}
	return true;
}

static bool tw_put_repeat(FILE *out, char c, int64_t n)
{
	char chunk[64];
	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		size_t k = n > (int64_t) sizeof(chunk) ? sizeof(chunk) : (size_t) n;
		if (fwrite(chunk, 1, k, out) != k)
			return false;
		n -= (int64_t) k;
	}
	return true;
}

static bool tw_pad(struct berth_tabwriter *tw, int64_t textw, int64_t cellw)
{
	if (tw->padchar != '\t')
		return tw_put_repeat(tw->out, tw->padchar, cellw - textw);
	if (tw->tabwidth == 0)
		return true; /* tabs have no width: no padding is possible */
	int64_t tab = (int64_t) tw->tabwidth;
	cellw = (cellw + tab - 1) / tab * tab;
	return tw_put_repeat(tw->out, '\t', (cellw - textw + tab - 1) / tab);
}

static int tw_write_lines(struct berth_tabwriter *tw, struct berth_error *err)
{
	size_t pos = 0;
	errno = 0;
	for (size_t i = 0; i < tw->n_lines; i++) {
		const struct tw_line *line = &tw->lines[i];
		for (size_t j = 0; j < line->n; j++) {
			const struct tw_cell *c = &line->cells[j];
			if (c->size > 0 && fwrite(tw->text + pos, 1, c->size, tw->out) != c->size)
				goto fail;
			pos += c->size;
			if (j + 1 < line->n && !tw_pad(tw, c->width, (int64_t) tw->block_width[c->block]))
				goto fail;
		}
		/* The last buffered line has no newline yet. */
		if (i + 1 < tw->n_lines && fputc('\n', tw->out) == EOF)
			goto fail;
	}
	return 0;
fail:
	return berth_error_sys(err, errno ? errno : EIO, "write table");
}

static int tw_flush_lines(struct berth_tabwriter *tw, struct berth_error *err)
{
	if (tw->cell.size > 0) {
		if (tw->in_escape) {
			/* Go ends an unterminated escape here, not counting its 0xff twice. */
			tw_update_width(tw);
			tw->cell.width -= 2;
			tw->in_escape = false;
		}
		if (tw_terminate_cell(tw) == 0)
			goto nomem;
	}
	if (!tw_assign_blocks(tw))
		goto nomem;
	int r = tw_write_lines(tw, err);
	tw_reset(tw);
	if (!tw_add_line(tw))
		goto nomem;
	return r;
nomem:
	tw->broken = true;
	return berth_error_set(err, ENOMEM, "table: out of memory");
}

struct berth_tabwriter *berth_tabwriter_new_full(FILE *out, size_t minwidth, size_t tabwidth, size_t padding,
						 char padchar)
{
	struct berth_tabwriter *tw = calloc(1, sizeof(*tw));
	if (!tw)
		return NULL;
	tw->out = out;
	tw->minwidth = minwidth;
	tw->tabwidth = tabwidth;
	tw->padding = padding;
	tw->padchar = padchar;
	if (!tw_add_line(tw)) {
		free(tw);
		return NULL;
	}
	return tw;
}

struct berth_tabwriter *berth_tabwriter_new(FILE *out)
{
	/* docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
	return berth_tabwriter_new_full(out, 10, 1, 3, ' ');
}

/* One byte outside an escape that ends a cell; returns 0 or an error. */
static int tw_end_cell(struct berth_tabwriter *tw, char ch, struct berth_error *err)
{
	tw_update_width(tw);
	size_t ncells = tw_terminate_cell(tw);
	if (ncells == 0)
		goto nomem;
	if (ch == '\n' || ch == '\f') {
		if (!tw_add_line(tw))
			goto nomem;
		/* A line of one cell cannot widen any column, so what is buffered
		 * is final; a form feed ends the block on purpose. */
		if (ch == '\f' || ncells == 1)
			return tw_flush_lines(tw, err);
	}
	return 0;
nomem:
	tw->broken = true;
	return berth_error_set(err, ENOMEM, "table: out of memory");
}

int berth_tabwriter_write(struct berth_tabwriter *tw, const void *data, size_t len, struct berth_error *err)
{
	const char *buf = data;
	size_t n = 0; /* buf[n, i) is text not yet appended */
	if (tw->broken)
		return berth_error_set(err, ENOMEM, "table: out of memory");
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (tw->in_escape) {
			if (ch == TW_ESCAPE) {
				if (!tw_append(tw, buf + n, i + 1 - n))
					goto nomem;
				n = i + 1;
				tw_update_width(tw);
				tw->cell.width -= 2; /* the two 0xff bytes take no room */
				tw->in_escape = false;
			}
			continue;
		}
		if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f') {
			if (!tw_append(tw, buf + n, i - n))
				goto nomem;
			n = i + 1;
			int r = tw_end_cell(tw, ch, err);
			if (r < 0)
				return r;
		} else if (ch == TW_ESCAPE) {
			if (!tw_append(tw, buf + n, i - n))
				goto nomem;
			tw_update_width(tw);
			n = i; /* the 0xff stays in the text */
			tw->in_escape = true;
		}
	}
	if (!tw_append(tw, buf + n, len - n))
		goto nomem;
	return 0;
nomem:
	tw->broken = true;
	return berth_error_set(err, ENOMEM, "table: out of memory");
}

int berth_tabwriter_flush(struct berth_tabwriter *tw, struct berth_error *err)
{
	if (tw->broken)
		return berth_error_set(err, ENOMEM, "table: out of memory");
	int r = tw_flush_lines(tw, err);
	if (r < 0)
		return r;
	if (fflush(tw->out) == EOF)
		return berth_error_sys(err, errno ? errno : EIO, "write table");
	return 0;
}

void berth_tabwriter_free(struct berth_tabwriter *tw)
{
	if (!tw)
		return;
	int saved = errno;
	tw_reset(tw);
	free(tw->lines);
	free(tw->text);
	free(tw->block_width);
	free(tw->open_block);
	free(tw);
	errno = saved;
}
