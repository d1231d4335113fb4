/* Scope-bound release of resources with __attribute__((cleanup)).
 *
 *     _cleanup_close_ int fd = open(...);
 *     _cleanup_free_ char *buf = malloc(...);
 *     return berth_steal_fd(&fd);      // hand ownership to the caller
 *
 * Every destructor accepts the "empty" value (NULL, -1) so a variable may be
 * declared before it is known whether it will hold anything.  Destructors keep
 * errno intact so that an error path can still report the original failure.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))

static inline void berth_freep(void *p)
{
	int saved = errno;
	free(*(void **) p);
	errno = saved;
}

static inline void berth_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void berth_fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void berth_closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

/* A NULL-terminated array of malloc'ed strings. */
static inline void berth_strv_freep(char ***v)
{
	if (*v) {
		int saved = errno;
		for (char **s = *v; *s; s++)
			free(*s);
		free(*v);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(berth_freep)
#define _cleanup_close_ _cleanup_(berth_closep)
#define _cleanup_fclose_ _cleanup_(berth_fclosep)
#define _cleanup_closedir_ _cleanup_(berth_closedirp)
#define _cleanup_strv_ _cleanup_(berth_strv_freep)

/* Take the value out of a cleanup variable so its destructor does nothing. */
#define berth_steal_ptr(pp)                      \
	({                                       \
		__typeof__(*(pp)) _stolen = *(pp); \
		*(pp) = NULL;                    \
		_stolen;                         \
	})

static inline int berth_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#define BERTH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
