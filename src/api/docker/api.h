/* The Docker Engine API over HTTP/1.1 (libmicrohttpd, one thread per
 * connection).  server.c accepts requests, strips the /v1.NN/ prefix and
 * routes them; routes_*.c implement the endpoints on top of the engine;
 * the helpers here build answers the way dockerd does. */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"

/* The API version berth speaks (docker 27's) and the oldest it accepts. */
#define BERTH_API_VERSION "1.47"
#define BERTH_API_VERSION_NUM 147
#define BERTH_API_MIN_VERSION "1.24"
#define BERTH_API_MIN_VERSION_NUM 124

/* JSON bodies of requests (auth, tags, create...) are small. */
#define BERTH_API_BODY_MAX (1u << 20)
/* ...but an archive to import is streamed to a file, up to this. */
#define BERTH_API_UPLOAD_MAX BERTH_ENGINE_IMPORT_MAX

struct berth_api_server;

struct api_request {
	struct berth_api_server *server;
	struct berth_engine *engine;
	struct MHD_Connection *conn;
	const char *method;
	char path[4096];	/* without the version prefix, decoded */
	int version;		/* 147 for 1.47: the client's, or ours without a prefix */
	char *body;
	size_t body_len;
	bool body_too_large;
	/* An import (POST /images/create without fromImage): the body goes to
	 * an anonymous file under the engine's root, never to memory. */
	bool upload;
	int upload_fd;		/* -1 unless upload; closed when the upload failed */
	uint64_t upload_len;
	bool upload_too_large;	/* more than BERTH_API_UPLOAD_MAX: 413 */
	struct berth_error upload_err; /* code != 0: refused, the body is discarded */
	/* Route parameters: the {name} of /images/{name}/json. */
	char param[4096];
	/* An upgrade (attach, exec start) answered but not yet handed over:
	 * when the request ends without it (the client left before the 101
	 * went out), abandon(abandon_ctx) releases what was prepared for it. */
	void (*abandon)(void *ctx);
	void *abandon_ctx;
};

typedef enum MHD_Result (*api_handler)(struct api_request *req);

/* ---- answers ---- */

/* docker's 8-byte header of a stream frame (attach, logs and exec without
 * a tty): the stream (1 stdout, 2 stderr), then the length, big-endian. */
void api_frame_header(unsigned char out[8], int stream, size_t len);

/* status and a JSON body (stolen; NULL for none) */
enum MHD_Result api_reply_json(struct api_request *req, unsigned status, json_t *body);
enum MHD_Result api_reply_text(struct api_request *req, unsigned status, const char *content_type, const char *text);
/* {"message": err->msg}, with the status docker gives that kind of error. */
enum MHD_Result api_reply_error(struct api_request *req, const struct berth_error *err);
enum MHD_Result api_reply_message(struct api_request *req, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
unsigned api_status_for(int code);

/* Headers every answer carries (API-Version, Server, ...). */
void api_add_common_headers(struct MHD_Response *r);

/* ---- request helpers ---- */

const char *api_query(struct api_request *req, const char *name);
/* "1", "true", "True": docker's boolean query values. */
bool api_query_bool(struct api_request *req, const char *name, bool dflt);
const char *api_header(struct api_request *req, const char *name);
/* The body as a JSON object ({} when empty). */
int api_body_json(struct api_request *req, json_t **ret, struct berth_error *err);
/* docker's filters parameter: {"k": ["v"...]} (or the old {"k": {"v": true}})
 * normalised to arrays; {} when absent. */
int api_query_filters(struct api_request *req, json_t **ret, struct berth_error *err);
int api_filters_parse(const char *text, json_t **ret, struct berth_error *err);

/* "/v1.47/images/json" -> 147 and "/images/json"; no prefix: our version.
 * Versions outside [min, ours] are refused with docker's messages. */
int api_parse_version(const char *url, int *ret_version, char *path, size_t size, struct berth_error *err);

/* ---- streamed answers (pull progress, events) ---- */

struct api_stream;

/* A chunked application/json answer whose lines come from another thread
 * (api_stream_write) or from a pull function run by the reader itself. */
struct api_stream *api_stream_new(void);
/* Append a JSON message and a newline; false once the client is gone. */
bool api_stream_write_json(struct api_stream *s, json_t *msg);
void api_stream_finish(struct api_stream *s);
bool api_stream_client_gone(struct api_stream *s);
/* Queue the answer; the stream is freed by the server when it ends, after
 * on_close (may be NULL) ran (to stop and join the producer). */
enum MHD_Result api_stream_reply(struct api_request *req, struct api_stream *s, void (*on_close)(void *ctx),
				 void *ctx);
/* Free a stream that was never handed to api_stream_reply. */
void api_stream_reply_discard(struct api_stream *s);
/* A stream whose reader calls next() for more (blocking allowed): it
 * returns a message, NULL to end. */
enum MHD_Result api_stream_reply_pull(struct api_request *req, json_t *(*next)(void *ctx), void (*free_ctx)(void *ctx),
				      void *ctx);

/* ---- routes ---- */

enum MHD_Result api_route_system(struct api_request *req, bool *handled);
enum MHD_Result api_route_images(struct api_request *req, bool *handled);
enum MHD_Result api_route_volumes(struct api_request *req, bool *handled);
enum MHD_Result api_route_containers(struct api_request *req, bool *handled);
/* /containers/{id}/archive (routes_archive.c); a PUT's body is an upload,
 * begun (the container and path checked, the file opened) with its
 * headers: true when the request is one. */
enum MHD_Result api_route_archive(struct api_request *req, bool *handled);
bool api_archive_upload_begin(struct api_request *req, const char *url);
/* POST /images/create without fromImage, when its headers are in: check
 * what can be checked and open the file the body goes to (routes_images.c);
 * a refusal is kept in req->upload_err and answered after the body. */
void api_import_upload_begin(struct api_request *req);
/* GET /containers/{id}/export and /changes (routes_export.c); the ID in req->param */
/* A streamed application/x-tar answer that reads x as the client reads
 * (x is taken, freed with the response; NULL when out of memory). */
struct berth_tree_tar;
struct MHD_Response *api_tar_response(struct berth_tree_tar *x);
enum MHD_Result api_container_export(struct api_request *req);
enum MHD_Result api_container_changes(struct api_request *req);
/* GET /containers/{id}/logs (container_logs.c); the ID in req->param */
enum MHD_Result api_container_logs(struct api_request *req);
/* GET /containers/{id}/stats, POST /containers/{id}/update (routes_stats.c) */
enum MHD_Result api_container_stats(struct api_request *req);
enum MHD_Result api_container_update(struct api_request *req);
/* GET /system/df (routes_df.c) */
enum MHD_Result api_system_df(struct api_request *req);
/* dockerd's Volume document (routes_volumes.c) */
struct berth_volume;
json_t *api_volume_json(const struct berth_volume *v);

/* JSON views of images (image_json.c) */
/* RFC 3339 ("2024-01-01T00:00:00.5+01:00") -> Unix seconds; 0 if unreadable. */
int64_t api_parse_rfc3339(const char *s);
json_t *api_image_summary(struct berth_engine *e, const struct berth_image *img, int version);
json_t *api_image_inspect(struct berth_engine *e, const struct berth_image *img, int version);
json_t *api_image_history(struct berth_engine *e, const struct berth_image *img);
/* docker's progress message for a pull event */
json_t *api_pull_event_json(const struct berth_pull_event *ev);

/* ---- the server ---- */

struct berth_api_options {
	int listen_fd;		/* a bound, listening unix or TCP socket */
	const char *daemon_name;
};

int berth_api_start(struct berth_engine *engine, const struct berth_api_options *opts, struct berth_api_server **ret,
		    struct berth_error *err);
void berth_api_stop(struct berth_api_server *s);

/* Make a listening unix socket at path (0660, group "berth" when that
 * group exists), replacing a stale one. */
int berth_api_listen_unix(const char *path, struct berth_error *err);
