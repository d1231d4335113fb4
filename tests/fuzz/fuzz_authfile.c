/* ~/.docker/config.json is written by other programs (and by hand): any
 * bytes must give a config or an error naming the file, never a crash, a
 * leak or undefined behaviour.  What parses must take a login and a logout
 * in memory and answer lookups consistently. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void login_logout(struct berth_authfile *f, const char *server)
{
	struct berth_registry_credentials in = { .username = (char *) "fuzz", .password = (char *) "p:w" };
	struct berth_registry_credentials out = { 0 };
	struct berth_error err = { 0 };
	int r;

	r = berth_authfile_set(f, server, &in, &err);
	if (r == -ENOTSUP)
		return; /* a credential helper keeps this registry */
	if (r < 0)
		__builtin_trap();
	if (berth_authfile_lookup(f, server, &out, &err) != 1 || strcmp(out.username, "fuzz") != 0 ||
	    strcmp(out.password, "p:w") != 0)
		__builtin_trap();
	berth_registry_credentials_clear(&out);
	if (berth_authfile_unset(f, server, &err) < 1)
		__builtin_trap();
	r = berth_authfile_lookup(f, server, &out, &err);
	/* An older URL-keyed entry for the same host may remain, as with docker. */
	if (r < 0)
		__builtin_trap();
	berth_registry_credentials_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const servers[] = { "docker.io", "registry.example.com:5000", "https://legacy.example.com/v1/",
					       "[::1]:5000" };
	struct berth_authfile *f = NULL;
	struct berth_error err = { 0 };
	char *key = NULL;

	if (berth_authfile_parse((const char *) data, size, "config.json", &f, &err) == 0) {
		for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
			struct berth_registry_credentials c = { 0 };
			int r = berth_authfile_lookup(f, servers[i], &c, &err);
			if (r < 0 && r != -ENOTSUP)
				__builtin_trap(); /* the file was checked whole at parse */
			if (r == 1 && berth_registry_credentials_is_anonymous(&c))
				__builtin_trap();
			berth_registry_credentials_clear(&c);
			login_logout(f, servers[i]);
		}
		berth_authfile_free(f);
	} else if (strncmp(err.msg, "config.json", 11) != 0) {
		__builtin_trap(); /* every error names its source */
	}
	/* The input as a server name. */
	char *server = strndup((const char *) data, size < 512 ? size : 512);
	if (server && berth_authfile_key(server, &key, &err) == 0)
		free(key);
	free(server);
	return 0;
}
