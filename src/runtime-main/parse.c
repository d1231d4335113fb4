/* Option parsing shared by the commands: getopt_long_only, so runc's
 * single-dash long flags (-bundle x) work as well as --bundle=x. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse(int argc, char **argv, const char *cmd, const struct option *opts, cli_option_fn fn, void *ctx,
	      struct berth_error *err)
{
	char shortopts[128] = "+:";
	size_t n = strlen(shortopts);

	/* Single-letter aliases are the options whose val is a letter. */
	for (const struct option *o = opts; o->name && n + 3 < sizeof(shortopts); o++) {
		if (o->val > 0 && o->val < 128 && o->val != 'h' && strchr(shortopts, o->val) == NULL) {
			shortopts[n++] = (char) o->val;
			if (o->has_arg == required_argument)
				shortopts[n++] = ':';
		}
	}
	shortopts[n] = '\0';
	optind = 0; /* reset getopt for each parse */
	opterr = 0;
	for (;;) {
		int opt = getopt_long_only(argc, argv, shortopts, opts, NULL), r;

		if (opt == -1)
			break;
		if (opt == '?')
			return berth_error_set(err, EINVAL, "%s%sunknown option %s", cmd ? cmd : "", cmd ? ": " : "",
					       argv[optind - 1]);
		if (opt == ':')
			return berth_error_set(err, EINVAL, "%s%soption %s needs a value", cmd ? cmd : "", cmd ? ": " : "",
					       argv[optind - 1]);
		r = fn(opt, optarg, ctx, err);
		if (r < 0) {
			if (err->code == 0)
				berth_error_set(err, EINVAL, "%s: bad option %s", cmd ? cmd : "berth-runtime",
						argv[optind - 1]);
			return -berth_error_code(err);
		}
	}
	return optind;
}

int cli_parse_int(const char *what, const char *text, int min, int max, int *ret, struct berth_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
		return berth_error_set(err, EINVAL, "%s: expected a number from %d to %d, not \"%s\"", what, min, max, text);
	*ret = (int) v;
	return 0;
}

int cli_one_id(int argc, char **argv, int first, const char *cmd, const char **ret, struct berth_error *err)
{
	if (first >= argc)
		return berth_error_set(err, EINVAL, "%s: the container id is missing", cmd);
	if (argc - first > 1)
		return berth_error_set(err, EINVAL, "%s: one container id expected, got %d arguments", cmd, argc - first);
	*ret = argv[first];
	return 0;
}
