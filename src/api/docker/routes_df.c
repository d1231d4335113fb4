/* GET /system/df: images (with the bytes they share and the containers
 * using them), containers (with their sizes), volumes (with UsageData),
 * and an empty build cache. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "engine_containers.h"
#include "json.h"
#include "volumes.h"

enum { DF_IMAGES = 1, DF_CONTAINERS = 2, DF_VOLUMES = 4, DF_BUILD_CACHE = 8 };

static int df_images(struct api_request *req, json_t *out, struct berth_error *err)
{
	struct berth_image *imgs = NULL;
	size_t n = 0;
	_cleanup_json_ json_t *usage = NULL;
	int64_t layers = 0;
	int r = berth_engine_df_images(req->engine, &usage, &layers, err);
	if (r == 0)
		r = berth_images_list(req->engine->db, &imgs, &n, err);
	if (r < 0)
		return r;
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *row = api_image_summary(req->engine, &imgs[i], req->version);
		json_t *u = json_object_get(usage, imgs[i].id);
		json_object_set(row, "SharedSize", json_object_get(u, "SharedSize"));
		json_object_set(row, "Containers", json_object_get(u, "Containers"));
		json_array_append_new(list, row);
	}
	berth_images_free(imgs, n);
	json_object_set_new(out, "LayersSize", json_integer(layers));
	json_object_set_new(out, "Images", list);
	return 0;
}

static int df_volumes(struct api_request *req, json_t *out, struct berth_error *err)
{
	struct berth_volume *v = NULL;
	size_t n = 0;
	_cleanup_json_ json_t *filters = json_object();
	int r = berth_engine_volume_list(req->engine, filters, &v, &n, err);
	if (r < 0)
		return r;
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *row = api_volume_json(&v[i]);
		_cleanup_close_ int fd = open(v[i].mountpoint, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		uint64_t size = fd >= 0 ? berth_volumes_tree_size(fd) : 0;
		json_object_set_new(row, "UsageData", json_pack("{s:I, s:I}", "RefCount", (json_int_t) v[i].refs, "Size",
								(json_int_t) size));
		json_array_append_new(list, row);
	}
	berth_volumes_free_list(v, n);
	json_object_set_new(out, "Volumes", list);
	return 0;
}

/* type= (API 1.42): which parts; the others are null. */
static int df_types(struct api_request *req, unsigned *ret, struct berth_error *err)
{
	const char *t = req->version >= 142 ? api_query(req, "type") : NULL;
	static const struct {
		const char *name;
		unsigned bit;
	} types[] = { { "image", DF_IMAGES }, { "container", DF_CONTAINERS }, { "volume", DF_VOLUMES },
		      { "build-cache", DF_BUILD_CACHE } };
	if (!t || !*t) {
		*ret = DF_IMAGES | DF_CONTAINERS | DF_VOLUMES | DF_BUILD_CACHE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(t, types[i].name) == 0) {
			*ret = types[i].bit;
			return 0;
		}
	return berth_error_set(err, EINVAL, "unknown object type: %s", t);
}

enum MHD_Result api_system_df(struct api_request *req)
{
	struct berth_error err = { 0 };
	unsigned types = 0;
	json_t *containers = NULL;
	_cleanup_json_ json_t *out = json_pack("{s:i, s:n, s:n, s:n, s:n, s:i}", "LayersSize", 0, "Images", "Containers",
					       "Volumes", "BuildCache", "BuilderSize", 0);
	int r = df_types(req, &types, &err);
	if (r == 0 && (types & DF_IMAGES))
		r = df_images(req, out, &err);
	if (r == 0 && (types & DF_CONTAINERS) && (r = berth_engine_df_containers(req->engine, &containers, &err)) == 0)
		json_object_set_new(out, "Containers", containers);
	if (r == 0 && (types & DF_VOLUMES))
		r = df_volumes(req, out, &err);
	if (r == 0 && (types & DF_BUILD_CACHE))
		json_object_set_new(out, "BuildCache", json_array());
	if (r < 0)
		return api_reply_error(req, &err);
	return api_reply_json(req, MHD_HTTP_OK, berth_steal_ptr(&out));
}
