#include "authfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"

struct berth_authfile {
	json_t *root; /* the whole document: keys berth does not know survive a save */
	char *what;   /* the file name, for messages */
};

/* --- where the file is ------------------------------------------------------ */

int berth_authfile_dir_from(const char *docker_config, const char *home, char **ret, struct berth_error *err)
{
	int r;

	if (docker_config && docker_config[0])
		r = asprintf(ret, "%s", docker_config);
	else if (home && home[0])
		r = asprintf(ret, "%s/.docker", strcmp(home, "/") == 0 ? "" : home);
	else
		return berth_error_set(err, ENOENT,
				       "find the docker config directory: neither DOCKER_CONFIG nor HOME is set");
	if (r < 0) {
		*ret = NULL;
		return berth_error_sys(err, ENOMEM, "find the docker config directory");
	}
	return 0;
}

int berth_authfile_dir(char **ret, struct berth_error *err)
{
	const char *home = getenv("HOME");
	struct passwd pw, *found = NULL;
	char buf[4096];

	/* As the docker CLI: $HOME, else the user's home from the passwd database. */
	if ((home == NULL || home[0] == '\0') && getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found)
		home = found->pw_dir;
	return berth_authfile_dir_from(getenv("DOCKER_CONFIG"), home, ret, err);
}

int berth_authfile_default_path(char **ret, struct berth_error *err)
{
	_cleanup_free_ char *dir = NULL;
	int r = berth_authfile_dir(&dir, err);

	if (r < 0)
		return r;
	if (asprintf(ret, "%s/config.json", dir) < 0) {
		*ret = NULL;
		return berth_error_sys(err, ENOMEM, "find the docker config file");
	}
	return 0;
}

/* --- keys --------------------------------------------------------------------- */

static bool is_hub(const char *server)
{
	return server[0] == '\0' || strcasecmp(server, "docker.io") == 0 || strcasecmp(server, "index.docker.io") == 0 ||
	       strcmp(server, BERTH_AUTHFILE_INDEX_SERVER) == 0;
}

/* The host[:port] of a key, as the docker CLI's ConvertToHostname: a URL
 * ("scheme://[user@]host[:port]/...") gives its host and port (IPv6 in
 * brackets only with a port), anything else what precedes the first '/'. */
static char *key_hostname(const char *key)
{
	const char *a = strstr(key, "://");

	if (a) {
		size_t alen, hlen;
		const char *at, *host, *port = NULL;
		a += 3;
		alen = strcspn(a, "/?#");
		at = memrchr(a, '@', alen);
		if (at) {
			alen -= (size_t) (at + 1 - a);
			a = at + 1;
		}
		host = a;
		hlen = alen;
		if (a[0] == '[' && memchr(a, ']', alen)) {
			const char *close = memchr(a, ']', alen);
			host = a + 1;
			hlen = (size_t) (close - host);
			if (close + 1 < a + alen && close[1] == ':')
				port = close + 2;
		} else if (memchr(a, ':', alen)) {
			const char *colon = memrchr(a, ':', alen);
			hlen = (size_t) (colon - a);
			port = colon + 1;
		}
		if (hlen > 0) {
			char *out = NULL;
			int plen = port ? (int) (a + alen - port) : 0;
			bool brackets = plen > 0 && memchr(host, ':', hlen);
			if (plen == 0)
				return strndup(host, hlen);
			if (asprintf(&out, "%s%.*s%s:%.*s", brackets ? "[" : "", (int) hlen, host, brackets ? "]" : "",
				     plen, port) < 0)
				return NULL;
			return out;
		}
	}
	return strndup(key, strcspn(key, "/"));
}

int berth_authfile_key(const char *server, char **ret, struct berth_error *err)
{
	*ret = is_hub(server) ? strdup(BERTH_AUTHFILE_INDEX_SERVER) : key_hostname(server);
	if (*ret == NULL)
		return berth_error_sys(err, ENOMEM, "credentials key of %s", server);
	return 0;
}

/* --- loading -------------------------------------------------------------------- */

static int validate(json_t *root, const char *what, struct berth_error *err)
{
	json_t *auths = NULL, *helpers = NULL, *entry;
	const char *key, *s;
	int r;

	if (!json_is_object(root))
		return berth_error_set(err, EINVAL, "%s: must be a JSON object", what);
	if (bjson_get_object(root, "", "auths", false, &auths, err) < 0 ||
	    bjson_get_string(root, "", "credsStore", false, &s, err) < 0 ||
	    bjson_get_object(root, "", "credHelpers", false, &helpers, err) < 0)
		return berth_error_wrap(err, "%s", what);
	json_object_foreach (helpers, key, entry) {
		if (bjson_get_string(helpers, "credHelpers", key, true, &s, err) < 0)
			return berth_error_wrap(err, "%s", what);
	}
	json_object_foreach (auths, key, entry) {
		_cleanup_registry_credentials_ struct berth_registry_credentials c = { 0 };
		char path[BJSON_PATH_MAX];
		bjson_path_key(path, "auths", key);
		r = berth_registry_auth_from_json(entry, what, path, BERTH_AUTH_JSON_AUTH_FIRST, &c, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool only_blanks(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
			return false;
	return true;
}

static int authfile_new(json_t *root, const char *what, struct berth_authfile **ret, struct berth_error *err)
{
	struct berth_authfile *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->what = strdup(what)) == NULL) {
		free(f);
		json_decref(root);
		return berth_error_sys(err, ENOMEM, "load %s", what);
	}
	f->root = root;
	*ret = f;
	return 0;
}

int berth_authfile_parse(const char *text, size_t len, const char *what, struct berth_authfile **ret,
			 struct berth_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	int r;

	/* The docker CLI reads an empty file as an empty config. */
	if (len == 0 || only_blanks(text, len)) {
		root = json_object();
		if (root == NULL)
			return berth_error_sys(err, ENOMEM, "load %s", what);
	} else {
		r = bjson_parse(text, len, what, &root, err);
		if (r < 0)
			return r;
		r = validate(root, what, err);
		if (r < 0)
			return r;
	}
	return authfile_new(berth_steal_ptr(&root), what, ret, err);
}

int berth_authfile_load(const char *path, struct berth_authfile **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = berth_read_file_at(AT_FDCWD, path, BERTH_AUTHFILE_MAX, &text, &len, err);
	if (r == -ENOENT)
		return berth_authfile_parse("", 0, path, ret, err);
	if (r < 0)
		return r;
	r = berth_authfile_parse(text, len, path, ret, err);
	explicit_bzero(text, len);
	return r;
}

void berth_authfile_free(struct berth_authfile *f)
{
	if (f) {
		json_decref(f->root);
		free(f->what);
		free(f);
	}
}

/* --- lookups ---------------------------------------------------------------------- */

/* The entry for a key: exactly, or else (not for Docker Hub, as in the
 * CLI) the first whose key reduces to the same host name. */
static json_t *find_entry(const struct berth_authfile *f, const char *key, bool hub, const char **ret_key)
{
	json_t *auths = json_object_get(f->root, "auths"), *entry;
	const char *k;

	if (!json_is_object(auths))
		return NULL;
	entry = json_object_get(auths, key);
	if (entry || hub) {
		*ret_key = key;
		return entry;
	}
	json_object_foreach (auths, k, entry) {
		_cleanup_free_ char *host = key_hostname(k);
		if (host && strcmp(host, key) == 0) {
			*ret_key = k;
			return entry;
		}
	}
	return NULL;
}

/* The credential helper that keeps a key's credentials, if any: a
 * credHelpers entry, else credsStore.  *ret_field names the setting. */
static const char *helper_for(const struct berth_authfile *f, const char *key, const char **ret_field)
{
	const char *h = json_string_value(json_object_get(json_object_get(f->root, "credHelpers"), key));

	*ret_field = "credHelpers";
	if (h == NULL) {
		h = json_string_value(json_object_get(f->root, "credsStore"));
		*ret_field = "credsStore";
	}
	return h && h[0] ? h : NULL;
}

static int helper_error(const struct berth_authfile *f, const char *key, const char *helper, const char *field,
			struct berth_error *err)
{
	return berth_error_set(err, ENOTSUP,
			       "%s: %s: credentials for %s are kept by docker-credential-%s; credential helpers are "
			       "not supported",
			       f->what, field, key, helper);
}

int berth_authfile_lookup(const struct berth_authfile *f, const char *registry, struct berth_registry_credentials *ret,
			  struct berth_error *err)
{
	_cleanup_free_ char *key = NULL;
	char path[BJSON_PATH_MAX];
	const char *entry_key = NULL, *field, *helper;
	json_t *entry;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = berth_authfile_key(registry, &key, err);
	if (r < 0)
		return r;
	entry = find_entry(f, key, is_hub(registry), &entry_key);
	helper = helper_for(f, key, &field);
	/* credsStore applies to every registry, but only those the file lists
	 * (as "{}") have credentials in it: the rest are anonymous. */
	if (helper && (entry || strcmp(field, "credHelpers") == 0))
		return helper_error(f, key, helper, field, err);
	if (entry == NULL)
		return 0;
	bjson_path_key(path, "auths", entry_key);
	r = berth_registry_auth_from_json(entry, f->what, path, BERTH_AUTH_JSON_AUTH_FIRST, ret, err);
	if (r < 0)
		return r;
	if (berth_registry_credentials_is_anonymous(ret)) {
		berth_registry_credentials_clear(ret);
		return 0;
	}
	free(ret->server_address);
	ret->server_address = strdup(entry_key);
	if (ret->server_address == NULL) {
		berth_registry_credentials_clear(ret);
		return berth_error_sys(err, ENOMEM, "look up credentials for %s", registry);
	}
	return 1;
}

/* --- changes ---------------------------------------------------------------------- */

static int get_auths(struct berth_authfile *f, json_t **ret, struct berth_error *err)
{
	json_t *auths = json_object_get(f->root, "auths");

	if (auths == NULL || json_is_null(auths)) {
		auths = json_object();
		if (auths == NULL || json_object_set_new(f->root, "auths", auths) < 0)
			return berth_error_sys(err, ENOMEM, "update %s", f->what);
	}
	*ret = auths;
	return 0;
}

/* A copy of the old entry without its credentials, so other fields (email,
 * whatever a newer CLI adds) stay. */
static int entry_base(json_t *old, json_t **ret, struct berth_error *err)
{
	static const char *const cred_keys[] = { "auth",	  "username",	   "password",
						 "identitytoken", "registrytoken", "serveraddress" };
	_cleanup_json_ json_t *e = json_is_object(old) ? json_deep_copy(old) : json_object();
	const char *k;
	json_t *v;
	void *tmp;

	if (e == NULL)
		return berth_error_sys(err, ENOMEM, "update credentials");
	json_object_foreach_safe (e, tmp, k, v) {
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(cred_keys); i++)
			if (strcasecmp(k, cred_keys[i]) == 0) {
				json_object_del(e, k);
				break;
			}
	}
	*ret = berth_steal_ptr(&e);
	return 0;
}

static int set_string(json_t *obj, const char *key, const char *value, struct berth_error *err)
{
	json_t *s;

	if (value == NULL || value[0] == '\0')
		return 0;
	s = json_string(value);
	if (s == NULL)
		return berth_error_set(err, EINVAL, "store credentials: %s is not valid UTF-8", key);
	if (json_object_set_new(obj, key, s) < 0)
		return berth_error_sys(err, ENOMEM, "store credentials");
	return 0;
}

static int check_storable(const struct berth_registry_credentials *c, struct berth_error *err)
{
	bool user = c->username && c->username[0], pass = c->password && c->password[0];

	/* The CLI refuses an `auth` with an empty user name: don't write one. */
	if (pass && !user)
		return berth_error_set(err, EINVAL, "store credentials: a user name is required with a password");
	if (user && strchr(c->username, ':'))
		return berth_error_set(err, EINVAL, "store credentials: the user name must not contain ':'");
	if (berth_registry_credentials_is_anonymous(c))
		return berth_error_set(err, EINVAL, "store credentials: no credentials given");
	return 0;
}

int berth_authfile_set(struct berth_authfile *f, const char *server, const struct berth_registry_credentials *c,
		       struct berth_error *err)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_free_ char *auth = NULL;
	_cleanup_json_ json_t *entry = NULL;
	const char *field, *helper;
	json_t *auths = NULL;
	int r;

	r = check_storable(c, err);
	if (r == 0)
		r = berth_authfile_key(server, &key, err);
	if (r < 0)
		return r;
	helper = helper_for(f, key, &field);
	if (helper)
		return helper_error(f, key, helper, field, err);
	r = get_auths(f, &auths, err);
	if (r == 0)
		r = entry_base(json_object_get(auths, key), &entry, err);
	if (r == 0 && c->username && c->username[0])
		r = berth_registry_auth_encode_basic(c->username, c->password, &auth, err);
	if (r == 0)
		r = set_string(entry, "auth", auth, err);
	if (r == 0)
		r = set_string(entry, "identitytoken", c->identity_token, err);
	if (r == 0)
		r = set_string(entry, "registrytoken", c->registry_token, err);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	if (r < 0)
		return r;
	if (json_object_set(auths, key, entry) < 0)
		return berth_error_sys(err, ENOMEM, "store credentials for %s", key);
	return 0;
}

int berth_authfile_unset(struct berth_authfile *f, const char *server, struct berth_error *err)
{
	_cleanup_free_ char *key = NULL;
	char *names[4] = { NULL };
	json_t *auths = json_object_get(f->root, "auths");
	const char *field, *helper, *found = NULL;
	int r, removed = 0;

	r = berth_authfile_key(server, &key, err);
	if (r < 0)
		return r;
	helper = helper_for(f, key, &field);
	if (helper && (find_entry(f, key, is_hub(server), &found) || strcmp(field, "credHelpers") == 0))
		return helper_error(f, key, helper, field, err);
	if (!json_is_object(auths))
		return 0;
	/* As `docker logout`: the forms older clients stored a registry under. */
	if (!is_hub(server) && (asprintf(&names[0], "%s", server) < 0 || asprintf(&names[1], "http://%s", key) < 0 ||
				asprintf(&names[2], "https://%s", key) < 0))
		r = berth_error_sys(err, ENOMEM, "remove credentials for %s", server);
	if (r == 0 && json_object_del(auths, key) == 0)
		removed++;
	for (size_t i = 0; r == 0 && i < 3 && names[i]; i++)
		if (json_object_del(auths, names[i]) == 0)
			removed++;
	for (size_t i = 0; i < 3; i++)
		free(names[i]);
	return r < 0 ? r : removed;
}

/* json_dumps indents with spaces; the CLI writes tabs.  Outside strings
 * (where a newline is always escaped) every space after a newline is
 * indentation, so the swap is exact. */
static void indent_with_tabs(char *s)
{
	for (char *p = strchr(s, '\n'); p; p = strchr(p, '\n'))
		for (p++; *p == ' '; p++)
			*p = '\t';
}

static int write_config(const char *path, const char *data, struct berth_error *err)
{
	_cleanup_free_ char *dir_copy = strdup(path);
	_cleanup_free_ char *base_copy = strdup(path);
	_cleanup_close_ int dirfd = -1;
	const char *dir, *base;
	int r;

	if (dir_copy == NULL || base_copy == NULL)
		return berth_error_sys(err, ENOMEM, "save %s", path);
	dir = dirname(dir_copy);
	base = basename(base_copy);
	r = berth_mkdir_p(dir, 0700);
	if (r < 0 && r != -EEXIST)
		return berth_error_sys(err, -r, "create %s", dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_sys(err, errno, "open %s", dir);
	r = berth_write_file_atomic(dirfd, base, data, strlen(data), 0600, BERTH_WRITE_DURABLE, err);
	return r < 0 ? berth_error_wrap(err, "save %s", path) : 0;
}

int berth_authfile_save(const struct berth_authfile *f, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *data = json_dumps(f->root, JSON_INDENT(1));
	_cleanup_free_ char *real = NULL;
	int r;

	if (data == NULL)
		return berth_error_sys(err, ENOMEM, "save %s", path);
	indent_with_tabs(data);
	/* Replace the file a symlink points to, not the symlink. */
	real = realpath(path, NULL);
	r = write_config(real ? real : path, data, err);
	explicit_bzero(data, strlen(data));
	return r;
}

int berth_authfile_store(const char *path, const char *server, const struct berth_registry_credentials *c,
			 struct berth_error *err)
{
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	int r = berth_authfile_load(path, &f, err);

	if (r == 0)
		r = berth_authfile_set(f, server, c, err);
	if (r == 0)
		r = berth_authfile_save(f, path, err);
	return r;
}

int berth_authfile_erase(const char *path, const char *server, struct berth_error *err)
{
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	int r = berth_authfile_load(path, &f, err), removed;

	if (r < 0)
		return r;
	removed = berth_authfile_unset(f, server, err);
	if (removed <= 0)
		return removed;
	r = berth_authfile_save(f, path, err);
	return r < 0 ? r : removed;
}
