/* The parts of an Engine API request berthd parses itself (libmicrohttpd
 * parses HTTP): the URL's version prefix, the filters query parameter,
 * and the X-Registry-Auth header.  The input is split at the first two
 * newlines into those three. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "registry_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *filters = strchr(text, '\n');
	char *auth = NULL;
	if (filters) {
		*filters++ = '\0';
		auth = strchr(filters, '\n');
		if (auth)
			*auth++ = '\0';
	}
	struct berth_error err = { 0 };
	char path[4096];
	int version;
	api_parse_version(text, &version, path, sizeof(path), &err);
	json_t *f = NULL;
	if (filters && api_filters_parse(filters, &f, &err) == 0)
		json_decref(f);
	if (auth) {
		struct berth_registry_credentials c = { 0 };
		if (berth_registry_auth_decode_header(auth, strlen(auth), &c, &err) == 0)
			berth_registry_credentials_clear(&c);
	}
	free(text);
	return 0;
}
