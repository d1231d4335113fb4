/* Column alignment equivalent to Go's text/tabwriter without flags.
 *
 * Text is a sequence of cells: a cell ends at '\t' (or '\v'); a line ends at
 * '\n' (or '\f', which also ends the block).  The cells of one column are
 * padded to a common width over each block of consecutive lines that have a
 * cell in that column; the last cell of a line is not part of a column and is
 * not padded.  A column's width is the widest cell (in UTF-8 characters) plus
 * `padding`, and at least `minwidth`.  Text between two 0xff bytes is kept
 * whole (tabs and newlines in it are plain text), as Go's Escape.
 *
 * berth_tabwriter_new() is configured as docker's tables
 * (tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)), which gives
 * "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE".
 *
 * Lines are held until a line without a tab ends, a '\f', or a flush, so
 * call berth_tabwriter_flush() at the end.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct berth_tabwriter;

/* NULL only when memory is exhausted. */
struct berth_tabwriter *berth_tabwriter_new(FILE *out);

/* With padchar '\t', widths are rounded up to multiples of tabwidth and the
 * padding is made of tabs, as in Go. */
struct berth_tabwriter *berth_tabwriter_new_full(FILE *out, size_t minwidth, size_t tabwidth, size_t padding,
						 char padchar);

int berth_tabwriter_write(struct berth_tabwriter *tw, const void *data, size_t len, struct berth_error *err);

/* Write out everything buffered; an unterminated last line is written
 * without a newline.  The writer can be used again afterwards. */
int berth_tabwriter_flush(struct berth_tabwriter *tw, struct berth_error *err);

/* Frees without flushing. */
void berth_tabwriter_free(struct berth_tabwriter *tw);

static inline void berth_tabwriter_freep(struct berth_tabwriter **tw)
{
	berth_tabwriter_free(*tw);
}
#define _cleanup_tabwriter_ __attribute__((cleanup(berth_tabwriter_freep)))
