/* Image references come from users and from API requests: any bytes must
 * give a normalised reference or docker's "invalid reference format",
 * never a crash, a leak or undefined behaviour.  A parsed reference must
 * print within its buffer and parse back to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const char *s, unsigned flags)
{
	struct berth_error err = { 0 };
	struct berth_reference *r = NULL, *again = NULL;
	char out[BERTH_REFERENCE_MAX], out2[BERTH_REFERENCE_MAX];

	if (berth_reference_parse(s, flags, &r, &err) < 0) {
		if (strncmp(err.msg, "invalid reference format", 24) != 0 &&
		    strncmp(err.msg, "invalid repository name", 23) != 0)
			__builtin_trap();
		return;
	}
	if (!r->domain[0] || strlen(r->path) > BERTH_REFERENCE_PATH_MAX ||
	    strlen(r->domain) > BERTH_REFERENCE_DOMAIN_MAX || (r->tag && !berth_reference_tag_valid(r->tag)) ||
	    (r->digest && berth_digest_validate(r->digest, NULL, &err) < 0))
		__builtin_trap();
	if (!(flags & BERTH_REFERENCE_NO_DEFAULT_TAG) && !r->tag && !r->digest)
		__builtin_trap();
	berth_reference_string(r, out);
	if (strlen(out) + 1 >= BERTH_REFERENCE_MAX)
		__builtin_trap(); /* would have been truncated */
	/* the normalised form is a fixed point */
	if (berth_reference_parse(out, flags, &again, &err) < 0)
		__builtin_trap();
	berth_reference_string(again, out2);
	if (strcmp(out, out2) != 0)
		__builtin_trap();
	berth_reference_familiar_string(r, out);
	berth_reference_familiar_name(r, out);
	(void) berth_reference_registry_host(r);
	berth_reference_free(again);
	berth_reference_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_one(s, 0);
	check_one(s, BERTH_REFERENCE_NO_DEFAULT_TAG);
	free(s);
	return 0;
}
