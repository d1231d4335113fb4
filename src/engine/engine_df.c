/* docker system df: what images, their layers and containers take on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine_containers_internal.h"
#include "json.h"
#include "volumes.h"

static int64_t layer_size(struct berth_engine *e, const char *chain_id)
{
	int64_t size = 0;
	struct berth_error ignored = { 0 };
	return berth_snapshot_stat(e->snapshots, chain_id, &size, &ignored) == 0 ? size : 0;
}

/* layers: chain ID -> how many images have it */
static void count_layers(json_t *layers, const struct berth_image *img)
{
	for (char **l = img->layers; l && *l; l++)
		json_object_set_new(layers, *l, json_integer(json_integer_value(json_object_get(layers, *l)) + 1));
}

int berth_engine_df_images(struct berth_engine *e, json_t **ret, int64_t *ret_layers_size, struct berth_error *err)
{
	struct berth_image *imgs = NULL;
	struct berth_container_record *cs = NULL;
	size_t n = 0, nc = 0;
	int r = berth_images_list(e->db, &imgs, &n, err);
	if (r == 0 && (r = berth_containers_list(e->db, &cs, &nc, err)) < 0)
		berth_images_free(imgs, n);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *layers = json_object(), *sizes = json_object();
	json_t *out = json_object();
	for (size_t i = 0; i < n; i++)
		count_layers(layers, &imgs[i]);
	int64_t total = 0;
	const char *key;
	json_t *v;
	json_object_foreach(layers, key, v)
	{
		int64_t size = layer_size(e, key);
		json_object_set_new(sizes, key, json_integer(size));
		total += size;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t shared = 0, users = 0;
		for (char **l = imgs[i].layers; l && *l; l++)
			if (json_integer_value(json_object_get(layers, *l)) > 1)
				shared += json_integer_value(json_object_get(sizes, *l));
		for (size_t j = 0; j < nc; j++)
			users += strcmp(cs[j].image_id, imgs[i].id) == 0;
		json_object_set_new(out, imgs[i].id, json_pack("{s:I, s:I}", "SharedSize", (json_int_t) shared,
							       "Containers", (json_int_t) users));
	}
	berth_images_free(imgs, n);
	berth_container_records_free(cs, nc);
	*ret = out;
	*ret_layers_size = total;
	return 0;
}

/* The bytes the container wrote: its overlay's upper directory. */
static int64_t size_rw(struct berth_engine *e, const char *id)
{
	char dir[4096 + 16];
	container_dir(e, id, dir);
	strcat(dir, "/upper");
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 ? (int64_t) berth_volumes_tree_size(fd) : 0;
}

void container_add_sizes(struct berth_engine *e, const struct berth_container_record *c, json_t *row)
{
	struct berth_image img = { 0 };
	struct berth_error ignored = { 0 };
	int64_t rw = size_rw(e, c->id), image = 0;
	if (berth_images_get(e->db, c->image_id, &img, &ignored) == 0)
		image = img.size;
	berth_image_clear(&img);
	/* dockerd leaves a zero SizeRw out */
	if (rw > 0)
		json_object_set_new(row, "SizeRw", json_integer(rw));
	json_object_set_new(row, "SizeRootFs", json_integer(rw + image));
}

int berth_engine_df_containers(struct berth_engine *e, json_t **ret, struct berth_error *err)
{
	struct berth_container_record *cs = NULL;
	size_t n = 0;
	int r = berth_containers_list(e->db, &cs, &n, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *row = container_list_json(e, &cs[i]);
		container_add_sizes(e, &cs[i], row);
		json_array_append_new(out, row);
	}
	berth_container_records_free(cs, n);
	*ret = out;
	return 0;
}
