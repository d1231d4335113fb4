#include "signals.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

static const struct {
	const char *name;
	int number;
} signal_table[] = {
	{ "SIGHUP", SIGHUP },	  { "SIGINT", SIGINT },	      { "SIGQUIT", SIGQUIT },	{ "SIGILL", SIGILL },
	{ "SIGTRAP", SIGTRAP },	  { "SIGABRT", SIGABRT },     { "SIGIOT", SIGIOT },	{ "SIGBUS", SIGBUS },
	{ "SIGFPE", SIGFPE },	  { "SIGKILL", SIGKILL },     { "SIGUSR1", SIGUSR1 },	{ "SIGSEGV", SIGSEGV },
	{ "SIGUSR2", SIGUSR2 },	  { "SIGPIPE", SIGPIPE },     { "SIGALRM", SIGALRM },	{ "SIGTERM", SIGTERM },
	{ "SIGSTKFLT", SIGSTKFLT }, { "SIGCHLD", SIGCHLD },   { "SIGCLD", SIGCHLD },	{ "SIGCONT", SIGCONT },
	{ "SIGSTOP", SIGSTOP },	  { "SIGTSTP", SIGTSTP },     { "SIGTTIN", SIGTTIN },	{ "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG },	  { "SIGXCPU", SIGXCPU },     { "SIGXFSZ", SIGXFSZ },	{ "SIGVTALRM", SIGVTALRM },
	{ "SIGPROF", SIGPROF },	  { "SIGWINCH", SIGWINCH },   { "SIGIO", SIGIO },	{ "SIGPOLL", SIGPOLL },
	{ "SIGPWR", SIGPWR },	  { "SIGSYS", SIGSYS },
};

const char *berth_signal_name(int sig)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(signal_table); i++)
		if (signal_table[i].number == sig)
			return signal_table[i].name;
	return NULL;
}

static int parse_number(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL; /* digits only: no sign, no spaces */
	if (*s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int berth_signal_parse(const char *text, int *ret, struct berth_error *err)
{
	const char *name = text;
	long n;

	if (parse_number(text, 1, SIGRTMAX, &n) == 0) {
		*ret = (int) n;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(signal_table); i++) {
		if (strcasecmp(signal_table[i].name + 3, name) == 0) {
			*ret = signal_table[i].number;
			return 0;
		}
	}
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = strncasecmp(name, "RTMIN", 5) == 0;
		const char *rest = name + 5;
		long off = 0;
		if (*rest == '\0' ||
		    (*rest == (min ? '+' : '-') && parse_number(rest + 1, 0, SIGRTMAX - SIGRTMIN, &off) == 0)) {
			*ret = min ? SIGRTMIN + (int) off : SIGRTMAX - (int) off;
			return 0;
		}
	}
	return berth_error_set(err, EINVAL, "invalid signal %s", text);
}
