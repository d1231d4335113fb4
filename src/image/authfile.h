/* Registry credentials in the docker CLI's config file, so that
 * `berth login` and `docker login` share them.
 *
 * The file is $DOCKER_CONFIG/config.json, or $HOME/.docker/config.json:
 *
 *     {
 *         "auths": {
 *             "https://index.docker.io/v1/": { "auth": "base64(user:password)" },
 *             "registry.example.com:5000": { "auth": "...", "identitytoken": "..." }
 *         },
 *         "credsStore": "desktop",
 *         "credHelpers": { "123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
 *         ... every other key belongs to the CLI and is kept as it is
 *     }
 *
 * Keys follow the docker CLI: Docker Hub (docker.io, index.docker.io) is
 * always "https://index.docker.io/v1/"; any other registry is its
 * host[:port], and an entry written by older clients as a URL
 * ("https://host/v1/", "http://host:5000") is found by its host name.
 *
 * Credential helpers (credsStore, credHelpers) are not run by berth: a
 * lookup, store or erase for a registry whose credentials a helper keeps
 * fails with ENOTSUP and says so; registries no helper keeps are unaffected.
 *
 * The in-memory object is not locked: give each thread its own, or share
 * one for lookups only.  The jansson tree holds the encoded credentials in
 * memory jansson frees without wiping.
 */
#pragma once

#include <stddef.h>

#include "error.h"
#include "registry_auth.h"

#define BERTH_AUTHFILE_MAX (4 * 1024 * 1024)
/* The key the docker CLI uses for Docker Hub. */
#define BERTH_AUTHFILE_INDEX_SERVER "https://index.docker.io/v1/"

struct berth_authfile;

/* The config directory: docker_config if set and not empty, else
 * home + "/.docker".  ENOENT when neither is usable. */
int berth_authfile_dir_from(const char *docker_config, const char *home, char **ret, struct berth_error *err);
/* The same from $DOCKER_CONFIG and $HOME (or the passwd entry of the
 * effective user when HOME is unset). */
int berth_authfile_dir(char **ret, struct berth_error *err);
/* berth_authfile_dir() + "/config.json". */
int berth_authfile_default_path(char **ret, struct berth_error *err);

/* The key credentials for `server` are stored under: the index server for
 * Docker Hub ("", "docker.io", "index.docker.io", or the key itself),
 * otherwise the host[:port] of server (a URL is reduced to its host). */
int berth_authfile_key(const char *server, char **ret, struct berth_error *err);

/* Read a config file.  A missing file is an empty config; a malformed one
 * is an error naming the file and the JSON path of the bad field.  Every
 * `auths` entry is checked, as the docker CLI refuses the whole file for
 * one bad entry. */
int berth_authfile_load(const char *path, struct berth_authfile **ret, struct berth_error *err);
/* The same from memory; `what` names the source in messages.  Empty text is
 * an empty config. */
int berth_authfile_parse(const char *text, size_t len, const char *what, struct berth_authfile **ret,
			 struct berth_error *err);
void berth_authfile_free(struct berth_authfile *f);
static inline void berth_authfile_freep(struct berth_authfile **f)
{
	if (*f)
		berth_authfile_free(*f);
}
#define _cleanup_authfile_ __attribute__((cleanup(berth_authfile_freep)))

/* Credentials for a registry host ("docker.io", "registry.example.com:5000").
 * Returns 1 and fills ret (server_address is the key of the entry used),
 * 0 when the file has none for it (ret all NULL), or a negative errno:
 * -ENOTSUP when a credential helper keeps them. */
int berth_authfile_lookup(const struct berth_authfile *f, const char *registry, struct berth_registry_credentials *ret,
			  struct berth_error *err);

/* Put credentials for `server` into the object (under berth_authfile_key):
 * `auth` = base64(username:password), and `identitytoken` /
 * `registrytoken` when set; other keys of an existing entry stay.  A user
 * name is required with a password and must not contain ':'. */
int berth_authfile_set(struct berth_authfile *f, const char *server, const struct berth_registry_credentials *c,
		       struct berth_error *err);
/* Remove the entries `docker logout server` removes: the key, and for
 * registries other than Docker Hub also server as given, its host, and
 * "http://host" / "https://host".  Returns how many were removed. */
int berth_authfile_unset(struct berth_authfile *f, const char *server, struct berth_error *err);

/* Write the object to path atomically, mode 0600, creating the directory
 * (0700) if needed.  A symlinked config.json is written through. */
int berth_authfile_save(const struct berth_authfile *f, const char *path, struct berth_error *err);

/* load + set + save: `berth login`. */
int berth_authfile_store(const char *path, const char *server, const struct berth_registry_credentials *c,
			 struct berth_error *err);
/* load + unset + save (only when something was removed): `berth logout`.
 * Returns how many entries were removed. */
int berth_authfile_erase(const char *path, const char *server, struct berth_error *err);
