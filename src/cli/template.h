/* Go text/template, the subset docker users type in --format.
 *
 * A template is parsed once and executed against a jansson value: one JSON
 * object per row for list commands (`berth images --format`), the whole
 * inspect document for `berth inspect --format`.  Execution follows Go's
 * rules for what json.Unmarshal yields (maps, slices, strings, numbers,
 * bools, nil): a missing key prints "<no value>", values print as fmt's %v
 * would, and the functions are Go's builtins plus docker's (json, join,
 * split, title, lower, upper, pad, truncate).  A JSON integer is a Go int
 * and any other number a float64.  Where docker's typed structs accept what
 * json.Unmarshal's types would not (join of an array of strings, a number
 * from the data as a slice index) berth does as docker does.
 *
 * Everything a hostile template can make grow is bounded: the template text,
 * nesting, the output (BERTH_TEMPLATE_OUTPUT_MAX), the values built while
 * executing and the number of evaluation steps.
 *
 * Library code: nothing is printed except to the FILE* a caller passes, and
 * on an execution error that FILE* may hold partial output (as with Go);
 * callers that must not show it write to a memory stream first, as
 * berth_template_render() does.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

#define BERTH_TEMPLATE_TEXT_MAX ((size_t) 1 << 20)    /* bytes of template source */
#define BERTH_TEMPLATE_OUTPUT_MAX ((size_t) 16 << 20) /* bytes one execution may write */

struct berth_template;

/* Parse Go template text as docker's templates.Parse does (used for
 * `inspect --format`): no preprocessing, no "table".
 * Errors read "template: :LINE:COL: unexpected \"}\" in operand". */
int berth_template_parse(const char *text, struct berth_template **ret, struct berth_error *err);

/* Parse a list command's --format as docker's formatter does: a format that
 * begins with "table" is a table whose rows are the rest; the format is then
 * trimmed of spaces and the two-character sequences \t and \n become a tab and
 * a newline.  "table" alone is the command's default table: the template is
 * empty and berth_template_is_default_table() says so, so the caller parses its
 * own default instead.  "json" alone means "{{json .}}" (docker 23+). */
int berth_template_parse_format(const char *format, struct berth_template **ret, struct berth_error *err);

bool berth_template_is_table(const struct berth_template *t);
bool berth_template_is_default_table(const struct berth_template *t);

/* Go's Option("missingkey=error"): a missing map key is an error instead of
 * "<no value>" (what docker's typed rows give for an unknown field).  Off by
 * default, as in Go.  Header executions never use it. */
void berth_template_set_missingkey_error(struct berth_template *t, bool on);

/* Execute against data (borrowed; NULL is Go's nil data), a document as
 * docker's typed structs would hold it: {{json .}} keeps the members of an
 * object in the order they arrived in.  Returns 0, or a negative errno with
 * err filled ("template: :1:2: executing \"\" at <.A.B>: can't evaluate
 * field B in type string"). */
int berth_template_execute(const struct berth_template *t, json_t *data, FILE *out, struct berth_error *err);

/* Execute against a table header: an object mapping each field name to its
 * column title ({"ID": "IMAGE ID", ...}).  docker swaps in functions that
 * leave a title intact (json, split, join, title, lower, upper, truncate
 * return their first argument; pad still pads, to keep columns aligned). */
int berth_template_execute_header(const struct berth_template *t, json_t *header, FILE *out,
				  struct berth_error *err);

/* Everything docker's formatter does with a list: each row of `rows` (a JSON
 * array) is rendered and followed by a newline; for a table, the header line
 * (rendered from `header`, errors ignored as docker does; NULL for none)
 * comes first and the whole block goes through a tabwriter set up as
 * docker's.  Nothing is written when a row fails.  docker marshals a row as
 * a map, so {{json .}} of a row has its keys sorted. */
int berth_template_render(const struct berth_template *t, json_t *header, json_t *rows, FILE *out,
			  struct berth_error *err);

void berth_template_free(struct berth_template *t);

static inline void berth_template_freep(struct berth_template **t)
{
	berth_template_free(*t);
}
#define _cleanup_template_ __attribute__((cleanup(berth_template_freep)))
