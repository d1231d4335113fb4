/* berth login / logout: check credentials through the daemon (POST /auth)
 * and keep them in config.json, shared with the docker CLI
 * (cli/command/registry/login.go, logout.go).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "authfile.h"
#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "registry_auth.h"

static const struct berth_cmd_info login_info = {
	"[OPTIONS] [SERVER]",
	"Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
	"  -p, --password string   Password or Personal Access Token (PAT)\n"
	"      --password-stdin    Take the Password or Personal Access Token (PAT) from stdin\n"
	"  -u, --username string   Username\n",
};

static const struct berth_cmd_info logout_info = {
	"[SERVER]",
	"Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
	"",
};

struct login_opts {
	const char *server; /* as the user named it, or the index server */
	char *user;
	char *password;
	bool password_stdin;
};

/* A line from f without its "\n" (and a "\r" before it); NULL at EOF. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return line;
}

static char *read_password_tty(void)
{
	struct termios old, quiet;
	bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *p = read_line(stdin);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	printf("\n");
	return p;
}

/* docker's PromptUserForCredentials */
static int prompt_credentials(struct login_opts *o, const char *default_user, struct berth_error *err)
{
	if ((!o->user || !o->password) && !isatty(STDIN_FILENO))
		return berth_error_set(err, ENOTTY, "Error: Cannot perform an interactive login from a non TTY device");
	if (!o->user) {
		if (default_user)
			printf("Username (%s): ", default_user);
		else
			printf("Username: ");
		fflush(stdout);
		o->user = read_line(stdin);
		if (o->user && !*o->user && default_user) {
			free(o->user);
			o->user = strdup(default_user);
		}
		if (!o->user || !*o->user)
			return berth_error_set(err, EINVAL, "Error: Non-null Username Required");
	}
	if (!o->password) {
		printf("Password: ");
		fflush(stdout);
		o->password = read_password_tty();
		if (!o->password || !*o->password)
			return berth_error_set(err, EINVAL, "Error: Password Required");
	}
	return 0;
}

/* POST /auth; on success *status is the daemon's "Status" and creds gets
 * the identity token, if the registry gave one, instead of the password. */
static int auth(struct berth_cli *cli, struct berth_registry_credentials *creds, char **status,
		struct berth_error *err)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_json_ json_t *answer = NULL;
	struct berth_client *c;
	int r;

	r = berth_registry_auth_encode_body(creds, &body, err);
	if (r < 0)
		return r;
	r = berth_cli_client(cli, &c, err);
	if (r < 0)
		return r;
	const struct berth_request req = { .method = "POST", .path = "/auth", .body = body, .body_len = strlen(body) };
	r = berth_client_do_json(c, &req, &answer, err);
	explicit_bzero(body, strlen(body));
	if (r < 0)
		return r;
	const char *token = json_string_value(json_object_get(answer, "IdentityToken"));
	if (token && *token) {
		free(creds->password);
		creds->password = NULL;
		free(creds->identity_token);
		creds->identity_token = strdup(token);
		if (!creds->identity_token)
			return berth_error_sys(err, ENOMEM, "login");
	}
	const char *s = json_string_value(json_object_get(answer, "Status"));
	*status = strdup(s ? s : "");
	return *status ? 0 : berth_error_sys(err, ENOMEM, "login");
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Store the credentials; docker's file store warns once that they are kept
 * in the clear, when something changed. */
static int store(const char *path, const char *server, const struct berth_registry_credentials *creds,
		 const struct berth_registry_credentials *old, struct berth_error *err)
{
	bool changed = !same(old->username, creds->username) || !same(old->password, creds->password) ||
		       !same(old->identity_token, creds->identity_token);
	int r = berth_authfile_store(path, server, creds, err);
	if (r < 0)
		return berth_error_wrap(err, "Error saving credentials");
	if (changed && creds->password)
		fprintf(stderr,
			"\nWARNING! Your credentials are stored unencrypted in '%s'.\n"
			"Configure a credential helper to remove this warning. See\n"
			"https://docs.docker.com/go/credential-store/\n\n",
			path);
	return 0;
}

static int login_stored(struct berth_cli *cli, const struct berth_registry_credentials *stored, const char *path,
			const char *server, char **status)
{
	_cleanup_registry_credentials_ struct berth_registry_credentials creds = { 0 };
	struct berth_error err = { 0 };

	fprintf(stderr,
		"Authenticating with existing credentials... [Username: %s]\n\n"
		" Info -> To login with a different account, run 'berth logout' followed by 'berth login'\n\n",
		stored->username);
	if (berth_registry_credentials_copy(stored, &creds, &err) < 0)
		return -ENOMEM;
	if (auth(cli, &creds, status, &err) < 0) {
		if (err.code == EACCES)
			fprintf(stderr, "Stored credentials invalid or expired\n");
		else
			fprintf(stderr, "Login did not succeed, error: %s\n", err.msg);
		return -1;
	}
	return store(path, server, &creds, stored, &err) < 0 ? -1 : 0;
}

static int login(struct berth_cli *cli, struct login_opts *o, struct berth_error *err)
{
	_cleanup_registry_credentials_ struct berth_registry_credentials stored = { 0 }, creds = { 0 };
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	_cleanup_free_ char *path = NULL, *status = NULL;
	int r;

	r = berth_cli_config_path(cli, &path, err);
	if (r >= 0)
		r = berth_authfile_load(path, &f, err);
	if (r >= 0)
		r = berth_authfile_lookup(f, o->server, &stored, err);
	if (r < 0)
		return r;
	if (!o->user && !o->password && stored.username && stored.password &&
	    login_stored(cli, &stored, path, o->server, &status) == 0) {
		printf("%s\n", status);
		return 0;
	}
	r = prompt_credentials(o, stored.username, err);
	if (r < 0)
		return r;
	creds.username = strdup(o->user);
	creds.password = strdup(o->password);
	creds.server_address = strdup(o->server);
	if (!creds.username || !creds.password || !creds.server_address)
		return berth_error_sys(err, ENOMEM, "login");
	free(status);
	status = NULL;
	r = auth(cli, &creds, &status, err);
	if (r < 0)
		return r;
	r = store(path, o->server, &creds, &stored, err);
	if (r < 0)
		return r;
	printf("%s\n", status);
	return 0;
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int berth_cmd_login(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "username", required_argument, NULL, 'u' },	  { "password", required_argument, NULL, 'p' },
		{ "password-stdin", optional_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct login_opts o = { 0 };
	struct berth_error err = { 0 };
	const char *password = NULL;
	int c, status = 0;

	while ((c = berth_cli_getopt(cli, &login_info, argc, argv, ":u:p:h", longopts)) != -1) {
		switch (c) {
		case 'u':
			free(o.user);
			o.user = strdup(optarg);
			break;
		case 'p':
			password = optarg;
			break;
		case 'S':
			if (berth_cli_parse_bool(cli, &login_info, "--password-stdin", optarg, &o.password_stdin) < 0)
				status = BERTH_EXIT_USAGE;
			break;
		case BERTH_GETOPT_HELP:
			goto out;
		default:
			status = BERTH_EXIT_USAGE;
			goto out;
		}
		if (status)
			goto out;
	}
	if (argc - optind > 1) {
		status = berth_cli_usage_error(cli, &login_info, 1, "'%s' requires at most 1 argument", cli->cmd_path);
		goto out;
	}
	if (o.user && !*o.user) {
		free(o.user);
		o.user = NULL;
	}
	if (password && *password) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
		if (o.password_stdin) {
			berth_error_set(&err, EINVAL, "--password and --password-stdin are mutually exclusive");
			status = berth_cli_fail(&err);
			goto out;
		}
		o.password = strdup(password);
	}
	if (o.password_stdin) {
		if (!o.user) {
			berth_error_set(&err, EINVAL, "Must provide --username with --password-stdin");
			status = berth_cli_fail(&err);
			goto out;
		}
		o.password = read_line(stdin);
		if (!o.password)
			o.password = strdup("");
	}
	o.server = optind < argc && strcmp(argv[optind], "docker.io") != 0 ? argv[optind] : BERTH_AUTHFILE_INDEX_SERVER;
	if (login(cli, &o, &err) < 0)
		status = berth_cli_fail(&err);
out:
	free(o.user);
	wipe(o.password);
	return status;
}

/* credentials.ConvertToHostname: "https://host:5000/v1/" -> "host:5000" */
static char *hostname_of(const char *server)
{
	const char *s = server;
	if (!strncmp(s, "http://", 7))
		s += 7;
	else if (!strncmp(s, "https://", 8))
		s += 8;
	return strndup(s, strcspn(s, "/"));
}

int berth_cmd_logout(struct berth_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct berth_error err = { 0 };
	_cleanup_free_ char *path = NULL, *host = NULL;
	int c;

	while ((c = berth_cli_getopt(cli, &logout_info, argc, argv, ":h", longopts)) != -1)
		return c == BERTH_GETOPT_HELP ? 0 : BERTH_EXIT_USAGE;
	if (argc - optind > 1)
		return berth_cli_usage_error(cli, &logout_info, 1, "'%s' requires at most 1 argument", cli->cmd_path);
	bool hub = optind >= argc;
	const char *server = hub ? BERTH_AUTHFILE_INDEX_SERVER : argv[optind];
	host = hub ? strdup(server) : hostname_of(server);
	if (!host || berth_cli_config_path(cli, &path, &err) < 0) {
		if (!host)
			berth_error_sys(&err, ENOMEM, "logout");
		return berth_cli_fail(&err);
	}
	printf("Removing login credentials for %s\n", host);
	fflush(stdout);
	if (berth_authfile_erase(path, server, &err) < 0)
		fprintf(stderr, "WARNING: could not erase credentials:\n%s: %s\n", server, err.msg);
	return 0;
}
