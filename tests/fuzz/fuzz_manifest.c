/* Manifests, indexes and image configs come from registries and archives
 * berth does not trust: any bytes must parse into a structure that keeps
 * the documented bounds, or fail with an error naming the document, never
 * a crash, a leak or undefined behaviour.  Every input goes through every
 * parser, with and without a Content-Type. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct berth_error *err, const char *prefix)
{
	if (err->msg[0] == '\0' || err->code <= 0 || strncmp(err->msg, prefix, strlen(prefix)) != 0)
		__builtin_trap();
}

static void check_descriptor(const struct berth_descriptor *d)
{
	struct berth_error err = { 0 };
	if (!d->media_type || d->size < 0 || d->size > BERTH_DESCRIPTOR_SIZE_MAX ||
	    berth_digest_validate(d->digest, NULL, &err) < 0)
		__builtin_trap();
}

static void try_manifest(const char *body, size_t len, const char *content_type)
{
	struct berth_error err = { 0 };
	struct berth_manifest *m = NULL;
	if (berth_manifest_parse(body, len, content_type, &m, &err) < 0) {
		check_error(&err, "manifest");
		return;
	}
	if (m->n_layers > BERTH_MANIFEST_LAYERS_MAX || !berth_media_type_is_image_config(m->config.media_type) ||
	    m->config.size > BERTH_IMAGE_CONFIG_MAX || berth_manifest_type_is_index(m->type))
		__builtin_trap();
	check_descriptor(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		check_descriptor(&m->layers[i].desc);
	berth_manifest_free(m);
}

static void try_index(const char *body, size_t len, const char *content_type)
{
	static const char *const wants[] = { "linux/amd64", "linux/arm64", "linux/arm/v6", "linux/amd64/v3" };
	struct berth_error err = { 0 };
	struct berth_index *idx = NULL;
	if (berth_index_parse(body, len, content_type, &idx, &err) < 0) {
		check_error(&err, "index");
		return;
	}
	if (idx->n_manifests > BERTH_INDEX_ENTRIES_MAX || !berth_manifest_type_is_index(idx->type))
		__builtin_trap();
	for (size_t i = 0; i < idx->n_manifests; i++)
		check_descriptor(&idx->manifests[i]);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct berth_platform want;
		const struct berth_descriptor *d = NULL;
		if (berth_platform_parse(wants[i], &want, &err) < 0)
			__builtin_trap();
		if (berth_index_select(idx, &want, &d, &err) == 0 &&
		    (d < idx->manifests || d >= idx->manifests + idx->n_manifests))
			__builtin_trap();
	}
	berth_index_free(idx);
}

static void try_config(const char *body, size_t len)
{
	struct berth_error err = { 0 };
	struct berth_image_config *c = NULL;
	char chain[8][BERTH_DIGEST_MAX];
	if (berth_image_config_parse(body, len, &c, &err) < 0) {
		check_error(&err, "image config");
		return;
	}
	if (!c->architecture || !c->os || c->n_diff_ids > BERTH_MANIFEST_LAYERS_MAX ||
	    c->n_history > BERTH_IMAGE_HISTORY_MAX)
		__builtin_trap();
	size_t n = c->n_diff_ids < 8 ? c->n_diff_ids : 8;
	if (berth_chain_ids((const char(*)[BERTH_DIGEST_MAX]) c->diff_ids, n, chain, &err) < 0)
		__builtin_trap(); /* diff_ids were validated */
	berth_image_config_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	struct berth_error err = { 0 };
	enum berth_manifest_type t;

	if (berth_manifest_detect(body, size, NULL, &t, &err) < 0)
		check_error(&err, "manifest");
	try_manifest(body, size, NULL);
	try_manifest(body, size, BERTH_MEDIA_DOCKER_MANIFEST);
	try_index(body, size, NULL);
	try_index(body, size, "application/vnd.oci.image.index.v1+json; charset=utf-8");
	try_config(body, size);
	return 0;
}
