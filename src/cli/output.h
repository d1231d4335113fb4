/* Printing what the daemon answered the way the docker CLI prints it:
 * lists through a --format template (or the command's default table),
 * inspect documents indented as Go's json.Indent does, confirmation
 * prompts.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* docker's formatter.Context.Write: format is the user's --format (NULL or
 * "" for the command's default), default_table the command's default
 * ("table {{.ID}}\t..."), header maps field names to column titles, rows is
 * an array of objects with the fields as strings.  Errors in the template
 * read "template parsing error: ..." as docker's do. */
int berth_output_list(FILE *out, const char *format, const char *default_table, json_t *header, json_t *rows,
		      struct berth_error *err);

/* Go's json.Indent(dst, src, "", "    "): the text is kept as the daemon
 * wrote it (key order, escapes, numbers); only blanks change.  Invalid
 * JSON is an error. */
int berth_output_json_indent(FILE *out, const char *raw, size_t len, struct berth_error *err);

/* The inspect commands' output for the documents found (raw JSON texts):
 * without a format, one indented JSON array ("[]" when there is none);
 * "json", the documents in one compact array; otherwise each document
 * through the template, each followed by a newline (an empty line for
 * none). */
int berth_output_inspect(FILE *out, const char *format, char *const *docs, const size_t *lens, size_t n,
			 struct berth_error *err);

/* docker's PromptForConfirmation: print message + " [y/N] " on out, read a
 * line from in; true only for "y" or "Y" (blanks around ignored). */
bool berth_output_confirm(FILE *in, FILE *out, const char *message);

/* Reading the daemon's JSON: a string field or "", an integer field or 0. */
const char *berth_output_str(json_t *obj, const char *key);
int64_t berth_output_int(json_t *obj, const char *key);

/* Rows: set a string field (the daemon's bytes as they are). */
int berth_output_set_str(json_t *obj, const char *key, const char *value);
/* A table header: {field: title} from pairs. */
json_t *berth_output_header(const char *const pairs[][2], size_t n);
