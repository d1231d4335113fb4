/* An image's /etc/passwd and /etc/group decide who a container runs as:
 * any bytes in either file, and any --user string, must resolve or fail
 * with a message, never crash, leak or read out of bounds.  The input is
 * split at the first two NUL bytes: user spec, passwd, group. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	const char *user = buf;
	const char *passwd = user + strlen(user) + 1;
	const char *group = passwd + strlen(passwd) + 1; /* at most buf + size + 2 */
	static const char *const add[] = { "wheel", "12", NULL };
	struct berth_error err = { 0 };
	struct berth_exec_user u = { 0 };
	if (berth_userdb_resolve(passwd, group, user, add, &u, &err) == 0) {
		if (!u.home || u.n_sgids > BERTH_USERDB_GROUPS_MAX)
			__builtin_trap();
		berth_exec_user_clear(&u);
	} else if (!err.msg[0] || u.home) {
		__builtin_trap();
	}
	free(buf);
	return 0;
}
