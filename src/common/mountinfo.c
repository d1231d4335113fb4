#include "mountinfo.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"

/* The kernel escapes space, tab, newline and backslash in paths as \ooo. */
static void decode_octal_escapes(char *s)
{
	char *out = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*out++ = (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

static char *next_field(char **p)
{
	char *start = *p;
	if (start == NULL)
		return NULL;
	char *space = strchr(start, ' ');
	if (space) {
		*space = '\0';
		*p = space + 1;
	} else {
		*p = NULL;
	}
	return start;
}

bool berth_mountinfo_parse_line(char *line, struct berth_mountinfo_entry *ret)
{
	/* id parent major:minor root mountpoint options [optional...] - fstype source superopts */
	char *p = line, *fields[6];
	for (int i = 0; i < 6; i++)
		if ((fields[i] = next_field(&p)) == NULL)
			return false;
	/* Optional fields (shared:N, master:N) end at a lone "-". */
	char *f;
	while ((f = next_field(&p)) != NULL && strcmp(f, "-") != 0)
		;
	if (f == NULL)
		return false;
	ret->fstype = next_field(&p);
	ret->source = next_field(&p);
	ret->superopts = p ? p : "";
	if (ret->fstype == NULL || ret->source == NULL)
		return false;
	decode_octal_escapes(fields[3]);
	decode_octal_escapes(fields[4]);
	decode_octal_escapes((char *) ret->source);
	ret->root = fields[3];
	ret->mountpoint = fields[4];
	ret->options = fields[5];
	return true;
}

int berth_mountinfo_foreach(int (*fn)(const struct berth_mountinfo_entry *e, void *ctx), void *ctx,
			    struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r = berth_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16u << 20, &text, NULL, err);
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct berth_mountinfo_entry e;
		if (berth_mountinfo_parse_line(line, &e) && (r = fn(&e, ctx)) < 0)
			return r;
	}
	return 0;
}
