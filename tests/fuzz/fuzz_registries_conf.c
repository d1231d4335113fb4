/* registries.conf is configuration, but a TOML parser is a parser: any
 * bytes must give a configuration or an error naming the file, never a
 * crash, a leak or undefined behaviour, and what parses must be usable. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registries_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct berth_registries *r, const struct berth_registry_entry *e)
{
	struct berth_pull_source *src = NULL;
	struct berth_error err = { 0 };
	char name[4096];
	size_t n = 0;
	int ret;

	if (e->prefix == NULL || (e->location == NULL && e->prefix[0] != '*'))
		__builtin_trap();
	for (size_t i = 0; i < e->n_mirrors; i++)
		if (e->mirrors[i].location == NULL)
			__builtin_trap();
	/* A prefix names a repository it matches (a wildcard, one host under it). */
	snprintf(name, sizeof(name), "%s%s/x/y:tag", e->prefix[0] == '*' ? "a" : "", e->prefix);
	if (e->prefix[0] != '*' && berth_registries_find(r, e->prefix) == NULL)
		__builtin_trap();
	ret = berth_registries_pull_sources(r, name, &src, &n, &err);
	if (ret == 0) {
		if (n == 0 || n > BERTH_REGISTRY_MIRRORS_MAX + 1 || src[n - 1].mirror)
			__builtin_trap();
		berth_pull_sources_free(src, n);
	} else if (ret != -EACCES) {
		__builtin_trap();
	}
	(void) berth_registries_is_insecure(r, e->prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_registries *r = NULL;
	struct berth_error err = { 0 };

	if (berth_registries_parse((const char *) data, size, "registries.conf", &r, &err) == 0) {
		if (r->search == NULL || r->search[r->n_search] != NULL)
			__builtin_trap();
		for (size_t i = 0; i < r->n_entries; i++)
			check_entry(r, &r->entries[i]);
		/* The search entries as --insecure-registry values: accepted or refused, no more. */
		for (size_t i = 0; i < r->n_search; i++)
			if (berth_registries_add_insecure(r, r->search[i], &err) == 0 &&
			    !berth_registries_is_insecure(r, r->search[i]))
				__builtin_trap();
		berth_registries_free(r);
	} else if (strncmp(err.msg, "registries.conf", 15) != 0 || r != NULL) {
		__builtin_trap();
	}
	return 0;
}
