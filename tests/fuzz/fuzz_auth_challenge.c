/* WWW-Authenticate comes from whatever server answers a registry request:
 * any bytes must give challenges or an error, never a crash, a leak or
 * undefined behaviour, and what parses must hold together. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct berth_auth_challenges *l)
{
	struct berth_error err = { 0 };

	if (l->n_items == 0 || l->n_items > BERTH_AUTH_CHALLENGES_MAX)
		__builtin_trap();
	for (size_t i = 0; i < l->n_items; i++) {
		const struct berth_auth_challenge *c = &l->items[i];
		if (c->scheme == NULL || c->scheme[0] == '\0' || c->n_params > BERTH_AUTH_PARAMS_MAX)
			__builtin_trap();
		if (c->token68 && c->n_params)
			__builtin_trap();
		for (size_t j = 0; j < c->n_params; j++) {
			for (const char *p = c->params[j].name; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					__builtin_trap(); /* names are stored lowercased */
			if (berth_auth_challenge_param(c, c->params[j].name) != c->params[j].value)
				__builtin_trap(); /* no duplicate names */
		}
		if (berth_auth_challenges_find(l, c->scheme) == NULL)
			__builtin_trap();
	}
	const struct berth_auth_challenge *b = berth_auth_challenges_bearer(l);
	char *url = NULL;
	if (b && berth_auth_challenge_token_url(b, NULL, 0, "user name", &url, &err) == 0) {
		for (const char *p = url; *p; p++)
			if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == '#')
				__builtin_trap(); /* a URL curl can take as it is */
		free(url);
	} else if (b && err.msg[0] == '\0') {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_auth_challenges l = { 0 };
	struct berth_error err = { 0 };

	if (berth_auth_challenges_parse(&l, (const char *) data, size, &err) == 0) {
		check(&l);
		/* Appending the same value again stays consistent (or hits the bound). */
		if (berth_auth_challenges_parse(&l, (const char *) data, size, &err) == 0)
			check(&l);
		berth_auth_challenges_clear(&l);
	} else if (strncmp(err.msg, "WWW-Authenticate", 16) != 0 || l.n_items != 0) {
		__builtin_trap();
	}
	return 0;
}
