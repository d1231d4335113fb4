/* The container store: every container berthd knows, its name, image,
 * create request and last known state, in the metadata database.
 *
 * The database says what was asked and what was last seen; the shims and
 * the kernel say what runs.  A daemon start reconciles the two (a
 * container recorded as running whose shim is gone has exited).
 *
 * Names are docker's: unique, [a-zA-Z0-9][a-zA-Z0-9_.-]*, shown with a
 * leading "/" by the API and stored without it.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "digest.h"
#include "error.h"

#define BERTH_CONTAINER_ID_LEN 64
#define BERTH_CONTAINER_NAME_MAX 255

struct berth_container_record {
	char id[BERTH_CONTAINER_ID_LEN + 1];
	char name[BERTH_CONTAINER_NAME_MAX + 1];
	char image_id[BERTH_DIGEST_MAX]; /* sha256:... */
	char *image;			 /* the name the user gave ("busybox") */
	int64_t created_nano;
	json_t *config;	     /* the container's Config, merged with the image's */
	json_t *host_config; /* HostConfig */
	json_t *state;	     /* docker's State object */
};
void berth_container_record_clear(struct berth_container_record *c);
void berth_container_records_free(struct berth_container_record *v, size_t n);
#define _cleanup_container_record_ __attribute__((cleanup(berth_container_record_clear)))

int berth_containers_init(struct berth_db *db, struct berth_error *err);

/* Whether a user-given name is valid (a leading "/" is allowed). */
bool berth_container_name_valid(const char *name);

/* A fresh random 64-hex ID, and a free "adjective_noun" name. */
int berth_container_new_id(char out[BERTH_CONTAINER_ID_LEN + 1], struct berth_error *err);
int berth_containers_generate_name(struct berth_db *db, char out[BERTH_CONTAINER_NAME_MAX + 1],
				   struct berth_error *err);

/* Record a new container; a name in use is docker's 409 "Conflict" (-EEXIST). */
int berth_containers_insert(struct berth_db *db, const struct berth_container_record *c, struct berth_error *err);

/* Which container a user means: the full ID, an exact name (with or
 * without "/"), or a unique ID prefix.  -ENOENT "No such container: X";
 * -EINVAL when a prefix is ambiguous. */
int berth_containers_resolve(struct berth_db *db, const char *what, char ret_id[BERTH_CONTAINER_ID_LEN + 1],
			     struct berth_error *err);

int berth_containers_get(struct berth_db *db, const char *id, struct berth_container_record *ret,
			 struct berth_error *err);
/* Every container, newest first. */
int berth_containers_list(struct berth_db *db, struct berth_container_record **ret, size_t *ret_n,
			  struct berth_error *err);

/* Replace the recorded State / HostConfig (a copy is stored). */
int berth_containers_set_state(struct berth_db *db, const char *id, json_t *state, struct berth_error *err);
int berth_containers_set_host_config(struct berth_db *db, const char *id, json_t *host_config,
				     struct berth_error *err);

/* -EEXIST when the new name is taken, -EINVAL when it is not valid. */
int berth_containers_rename(struct berth_db *db, const char *id, const char *name, struct berth_error *err);

int berth_containers_delete(struct berth_db *db, const char *id, struct berth_error *err);

/* How many containers use image_id (an image in use is not pruned). */
int berth_containers_count_using_image(struct berth_db *db, const char *image_id, struct berth_error *err);
