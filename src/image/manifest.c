#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

#define SCHEMA1_ERROR "schema 1 manifests are not supported; push the image with a newer client"
#define URL_MAX 4096

static const struct {
	const char *media_type;
	enum berth_manifest_type type;
} manifest_types[] = {
	{ BERTH_MEDIA_OCI_MANIFEST, BERTH_MANIFEST_OCI_IMAGE },
	{ BERTH_MEDIA_DOCKER_MANIFEST, BERTH_MANIFEST_DOCKER_IMAGE },
	{ BERTH_MEDIA_OCI_INDEX, BERTH_MANIFEST_OCI_INDEX },
	{ BERTH_MEDIA_DOCKER_LIST, BERTH_MANIFEST_DOCKER_LIST },
};

static const struct {
	const char *media_type;
	enum berth_compression compression;
	bool nondistributable;
} layer_types[] = {
	{ BERTH_MEDIA_OCI_LAYER, BERTH_COMPRESSION_NONE, false },
	{ BERTH_MEDIA_OCI_LAYER_GZIP, BERTH_COMPRESSION_GZIP, false },
	{ BERTH_MEDIA_OCI_LAYER_ZSTD, BERTH_COMPRESSION_ZSTD, false },
	{ BERTH_MEDIA_OCI_LAYER_ND, BERTH_COMPRESSION_NONE, true },
	{ BERTH_MEDIA_OCI_LAYER_ND_GZIP, BERTH_COMPRESSION_GZIP, true },
	{ BERTH_MEDIA_OCI_LAYER_ND_ZSTD, BERTH_COMPRESSION_ZSTD, true },
	{ BERTH_MEDIA_DOCKER_LAYER, BERTH_COMPRESSION_NONE, false },
	{ BERTH_MEDIA_DOCKER_LAYER_GZIP, BERTH_COMPRESSION_GZIP, false },
	{ BERTH_MEDIA_DOCKER_LAYER_ZSTD, BERTH_COMPRESSION_ZSTD, false },
	{ BERTH_MEDIA_DOCKER_FOREIGN, BERTH_COMPRESSION_NONE, true },
	{ BERTH_MEDIA_DOCKER_FOREIGN_GZIP, BERTH_COMPRESSION_GZIP, true },
};

const char *berth_manifest_type_media(enum berth_manifest_type t)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(manifest_types); i++)
		if (manifest_types[i].type == t)
			return manifest_types[i].media_type;
	return "unknown";
}

bool berth_media_type_is_image_config(const char *media_type)
{
	return media_type &&
	       (strcmp(media_type, BERTH_MEDIA_OCI_CONFIG) == 0 || strcmp(media_type, BERTH_MEDIA_DOCKER_CONFIG) == 0);
}

/* "Type/Sub+json; charset=utf-8" -> "type/sub+json": an HTTP header's value
 * without parameters or case, for comparing. */
static void media_type_essence(const char *s, char out[BERTH_MEDIA_TYPE_MAX + 1])
{
	size_t n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s && *s != ';' && n < BERTH_MEDIA_TYPE_MAX; s++)
		out[n++] = (*s >= 'A' && *s <= 'Z') ? (char) (*s - 'A' + 'a') : *s;
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
}

static bool is_schema1_media(const char *essence)
{
	return strcmp(essence, BERTH_MEDIA_DOCKER_V1) == 0 || strcmp(essence, BERTH_MEDIA_DOCKER_V1_SIGNED) == 0 ||
	       strcmp(essence, "application/vnd.docker.distribution.manifest.v1") == 0;
}

static bool lookup_manifest_type(const char *essence, enum berth_manifest_type *ret)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(manifest_types); i++) {
		if (strcmp(essence, manifest_types[i].media_type) == 0) {
			*ret = manifest_types[i].type;
			return true;
		}
	}
	return false;
}

int berth_manifest_type_from_media(const char *media_type, enum berth_manifest_type *ret, struct berth_error *err)
{
	char essence[BERTH_MEDIA_TYPE_MAX + 1];
	media_type_essence(media_type ? media_type : "", essence);
	if (is_schema1_media(essence))
		return berth_error_set(err, ENOTSUP, SCHEMA1_ERROR);
	if (lookup_manifest_type(essence, ret))
		return 0;
	return berth_error_set(err, ENOTSUP, "unsupported manifest media type \"%.*s\"", BERTH_MEDIA_TYPE_MAX,
			       media_type ? media_type : "");
}

/* A Content-Type that says nothing about the kind of manifest. */
static bool media_type_generic(const char *essence)
{
	return essence[0] == '\0' || strcmp(essence, "application/json") == 0 ||
	       strcmp(essence, "application/octet-stream") == 0 || strcmp(essence, "text/plain") == 0;
}

static int detect_json(json_t *root, const char *content_type, enum berth_manifest_type *ret,
		       struct berth_error *err)
{
	int64_t version = 0;
	const char *media = NULL;
	int r;

	if (!json_is_object(root))
		return berth_error_set(err, EINVAL, "not a JSON object");
	r = bjson_get_int(root, "", "schemaVersion", false, INT64_MIN, INT64_MAX, &version, err);
	if (r < 0)
		return r;
	if (r > 0 && version == 1)
		return berth_error_set(err, ENOTSUP, SCHEMA1_ERROR);
	if (r > 0 && version != 2)
		return berth_error_set(err, ENOTSUP, "schemaVersion %" PRId64 " is not supported (want 2)", version);
	r = bjson_get_string(root, "", "mediaType", false, &media, err);
	if (r < 0)
		return r;
	if (r > 0)
		return berth_manifest_type_from_media(media, ret, err);

	char essence[BERTH_MEDIA_TYPE_MAX + 1];
	media_type_essence(content_type ? content_type : "", essence);
	if (!media_type_generic(essence))
		return berth_manifest_type_from_media(content_type, ret, err);
	/* OCI lets mediaType be absent: tell the kind by the fields. */
	if (json_object_get(root, "manifests")) {
		*ret = BERTH_MANIFEST_OCI_INDEX;
		return 0;
	}
	if (json_object_get(root, "config") || json_object_get(root, "layers")) {
		*ret = BERTH_MANIFEST_OCI_IMAGE;
		return 0;
	}
	return berth_error_set(err, EINVAL, "no mediaType, and neither manifests nor config and layers");
}

static int parse_body(const char *body, size_t len, size_t max, const char *what, json_t **ret,
		      struct berth_error *err)
{
	if (len > max)
		return berth_error_set(err, EFBIG, "%s is %zu bytes, more than the limit of %zu", what, len, max);
	if (!body)
		return berth_error_set(err, EINVAL, "%s: no content", what);
	return bjson_parse(body, len, what, ret, err);
}

int berth_manifest_detect(const char *body, size_t len, const char *content_type, enum berth_manifest_type *ret,
			  struct berth_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	int r = parse_body(body, len, BERTH_MANIFEST_MAX, "manifest", &root, err);
	if (r < 0)
		return r;
	r = detect_json(root, content_type, ret, err);
	return r < 0 ? berth_error_wrap(err, "manifest") : 0;
}

/* RFC 6838 restricted-name "/" restricted-name, no parameters. */
static bool media_type_valid(const char *s)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+";
	const char *slash = strchr(s, '/');
	if (!slash || strlen(s) > BERTH_MEDIA_TYPE_MAX)
		return false;
	size_t type_len = (size_t) (slash - s), sub_len = strlen(slash + 1);
	return type_len > 0 && type_len <= 127 && sub_len > 0 && sub_len <= 127 && strspn(s, chars) == type_len &&
	       strspn(slash + 1, chars) == sub_len && s[0] != '-' && slash[1] != '-';
}

static void descriptor_clear(struct berth_descriptor *d)
{
	free(d->media_type);
	free(d->artifact_type);
	if (d->urls)
		for (char **u = d->urls; *u; u++)
			free(*u);
	free(d->urls);
	if (d->annotations)
		json_decref(d->annotations);
	*d = (struct berth_descriptor){ 0 };
}

static int get_media_type(json_t *obj, const char *path, const char *key, bool required, char **ret,
			  struct berth_error *err)
{
	const char *s = NULL;
	char field[BJSON_PATH_MAX];
	int r = bjson_get_string(obj, path, key, required, &s, err);
	if (r <= 0)
		return r;
	bjson_path_key(field, path, key);
	if (!media_type_valid(s))
		return berth_error_set(err, EINVAL, "%s: invalid media type \"%.*s\"", field, 100, s);
	if (!(*ret = strdup(s)))
		return berth_error_sys(err, ENOMEM, "%s: copy", field);
	return 1;
}

/* Foreign layers are fetched from these: only http and https, so a
 * manifest cannot point the fetcher at file:// or other curl schemes. */
static int get_urls(json_t *obj, const char *path, char ***ret, struct berth_error *err)
{
	_cleanup_free_ const char **urls = NULL;
	char field[BJSON_PATH_MAX];
	size_t n = 0;
	int r = bjson_get_strv(obj, path, "urls", false, false, &urls, &n, err);
	if (r <= 0)
		return r;
	bjson_path_key(field, path, "urls");
	if (n > BERTH_DESCRIPTOR_URLS_MAX)
		return berth_error_set(err, E2BIG, "%s: %zu URLs, at most %d are accepted", field, n,
				       BERTH_DESCRIPTOR_URLS_MAX);
	_cleanup_strv_ char **out = calloc(n + 1, sizeof(*out));
	if (!out)
		return berth_error_sys(err, ENOMEM, "%s: allocate", field);
	for (size_t i = 0; i < n; i++) {
		if (strlen(urls[i]) > URL_MAX ||
		    (strncmp(urls[i], "https://", 8) != 0 && strncmp(urls[i], "http://", 7) != 0))
			return berth_error_set(err, EINVAL, "%s[%zu]: \"%.*s\" is not an http or https URL", field, i,
					       100, urls[i]);
		if (!(out[i] = strdup(urls[i])))
			return berth_error_sys(err, ENOMEM, "%s: copy", field);
	}
	*ret = berth_steal_ptr(&out);
	return 1;
}

static int get_annotations(json_t *obj, const char *path, json_t **ret, struct berth_error *err)
{
	json_t *a = NULL, *v;
	const char *key;
	char field[BJSON_PATH_MAX];
	int r = bjson_get_object(obj, path, "annotations", false, &a, err);
	if (r <= 0)
		return r;
	bjson_path_key(field, path, "annotations");
	json_object_foreach (a, key, v)
		if (!json_is_string(v))
			return berth_error_set(err, EINVAL, "%s.%.*s: must be a string", field, 100, key);
	if (!(*ret = json_deep_copy(a)))
		return berth_error_sys(err, ENOMEM, "%s: copy", field);
	return 1;
}

static int get_platform(json_t *obj, const char *path, struct berth_descriptor *d, struct berth_error *err)
{
	json_t *p = NULL;
	const char *os = NULL, *arch = NULL, *variant = NULL;
	char field[BJSON_PATH_MAX];
	int r = bjson_get_object(obj, path, "platform", false, &p, err);
	if (r <= 0)
		return r;
	bjson_path_key(field, path, "platform");
	if ((r = bjson_get_string(p, field, "architecture", true, &arch, err)) < 0 ||
	    (r = bjson_get_string(p, field, "os", true, &os, err)) < 0 ||
	    (r = bjson_get_string(p, field, "variant", false, &variant, err)) < 0)
		return r;
	r = berth_platform_set(&d->platform, os, arch, variant, field, err);
	if (r < 0)
		return r;
	d->has_platform = true;
	return 1;
}

/* A descriptor: mediaType, a digest berth can verify, a size in range. */
static int parse_descriptor(json_t *obj, const char *path, int64_t size_max, struct berth_descriptor *d,
			    struct berth_error *err)
{
	const char *digest = NULL;
	char field[BJSON_PATH_MAX];
	int r;

	*d = (struct berth_descriptor){ 0 };
	if (!json_is_object(obj))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((r = get_media_type(obj, path, "mediaType", true, &d->media_type, err)) < 0)
		return r;
	if ((r = bjson_get_string(obj, path, "digest", true, &digest, err)) < 0)
		return r;
	bjson_path_key(field, path, "digest");
	if (berth_digest_validate(digest, NULL, err) < 0)
		return berth_error_wrap(err, "%s", field);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	if ((r = bjson_get_int(obj, path, "size", true, 0, BERTH_DESCRIPTOR_SIZE_MAX, &d->size, err)) < 0)
		return r;
	bjson_path_key(field, path, "size");
	if (d->size > size_max)
		return berth_error_set(err, EFBIG, "%s: %" PRId64 " bytes is more than the limit of %" PRId64, field,
				       d->size, size_max);
	if ((r = get_media_type(obj, path, "artifactType", false, &d->artifact_type, err)) < 0 ||
	    (r = get_urls(obj, path, &d->urls, err)) < 0 || (r = get_platform(obj, path, d, err)) < 0 ||
	    (r = get_annotations(obj, path, &d->annotations, err)) < 0)
		return r;
	return 0;
}

static int parse_layer(json_t *obj, const char *path, struct berth_layer *l, struct berth_error *err)
{
	int r = parse_descriptor(obj, path, BERTH_DESCRIPTOR_SIZE_MAX, &l->desc, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(layer_types); i++) {
		if (strcmp(l->desc.media_type, layer_types[i].media_type) == 0) {
			l->compression = layer_types[i].compression;
			l->nondistributable = layer_types[i].nondistributable;
			return 0;
		}
	}
	size_t n = strlen(l->desc.media_type);
	if (n > 10 && strcmp(l->desc.media_type + n - 10, "+encrypted") == 0)
		return berth_error_set(err, ENOTSUP, "%s.mediaType: encrypted layers (%s) are not supported", path,
				       l->desc.media_type);
	return berth_error_set(err, ENOTSUP, "%s.mediaType: unsupported layer media type \"%s\"", path,
			       l->desc.media_type);
}

/* Refuse documents that read as both kinds (CVE-2021-41190): another tool
 * could take a different meaning from the same bytes. */
static int check_unambiguous(json_t *root, bool index, struct berth_error *err)
{
	if (index && (json_object_get(root, "config") || json_object_get(root, "layers")))
		return berth_error_set(err, EINVAL, "an index must not have config or layers");
	if (!index && json_object_get(root, "manifests"))
		return berth_error_set(err, EINVAL, "an image manifest must not have manifests");
	return 0;
}

/* Parse, check the size and detect the type; wrong kinds are refused.
 * Errors start with "manifest" or "index". */
static int open_document(const char *body, size_t len, const char *content_type, bool want_index, json_t **ret,
			 enum berth_manifest_type *ret_type, struct berth_error *err)
{
	const char *what = want_index ? "index" : "manifest";
	_cleanup_json_ json_t *root = NULL;
	int r = parse_body(body, len, BERTH_MANIFEST_MAX, what, &root, err);
	if (r < 0)
		return r;
	if ((r = detect_json(root, content_type, ret_type, err)) < 0)
		return berth_error_wrap(err, "%s", what);
	if (berth_manifest_type_is_index(*ret_type) != want_index)
		return berth_error_set(err, EINVAL, "%s: expected %s, got %s (%s)", what,
				       want_index ? "an index" : "an image manifest",
				       want_index ? "an image manifest" : "an index",
				       berth_manifest_type_media(*ret_type));
	if ((r = check_unambiguous(root, want_index, err)) < 0)
		return berth_error_wrap(err, "%s", what);
	*ret = berth_steal_ptr(&root);
	return 0;
}

static int parse_layers(json_t *root, struct berth_manifest *m, struct berth_error *err)
{
	json_t *layers = NULL;
	int r = bjson_get_array(root, "", "layers", true, &layers, err);
	if (r < 0)
		return r;
	size_t n = json_array_size(layers);
	if (n > BERTH_MANIFEST_LAYERS_MAX)
		return berth_error_set(err, E2BIG, "layers: %zu layers, at most %d are supported", n,
				       BERTH_MANIFEST_LAYERS_MAX);
	m->layers = calloc(n ? n : 1, sizeof(*m->layers));
	if (!m->layers)
		return berth_error_sys(err, ENOMEM, "allocate %zu layers", n);
	for (size_t i = 0; i < n; i++) {
		char path[BJSON_PATH_MAX];
		bjson_path_index(path, "layers", i);
		/* counted first, so that a failure frees the one half-filled */
		m->n_layers = i + 1;
		if ((r = parse_layer(json_array_get(layers, i), path, &m->layers[i], err)) < 0)
			return r;
	}
	return 0;
}

static int parse_manifest_fields(json_t *root, struct berth_manifest *m, struct berth_error *err)
{
	json_t *config = NULL, *subject = NULL;
	int r = bjson_get_object(root, "", "config", true, &config, err);
	if (r < 0 || (r = parse_descriptor(config, "config", BERTH_IMAGE_CONFIG_MAX, &m->config, err)) < 0)
		return r;
	if (!berth_media_type_is_image_config(m->config.media_type))
		return berth_error_set(err, ENOTSUP,
				       "config.mediaType: \"%s\" is not a container image (an artifact, perhaps)",
				       m->config.media_type);
	if ((r = get_media_type(root, "", "artifactType", false, &m->artifact_type, err)) < 0)
		return r;
	if ((r = bjson_get_object(root, "", "subject", false, &subject, err)) < 0)
		return r;
	if (r > 0) {
		m->has_subject = true;
		if ((r = parse_descriptor(subject, "subject", BERTH_MANIFEST_MAX, &m->subject, err)) < 0)
			return r;
	}
	if ((r = get_annotations(root, "", &m->annotations, err)) < 0)
		return r;
	return parse_layers(root, m, err);
}

int berth_manifest_parse(const char *body, size_t len, const char *content_type, struct berth_manifest **ret,
			 struct berth_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	_cleanup_manifest_ struct berth_manifest *m = calloc(1, sizeof(*m));
	if (!m)
		return berth_error_sys(err, ENOMEM, "allocate a manifest");
	int r = open_document(body, len, content_type, false, &root, &m->type, err);
	if (r < 0)
		return r;
	if ((r = parse_manifest_fields(root, m, err)) < 0)
		return berth_error_wrap(err, "manifest");
	*ret = berth_steal_ptr(&m);
	return 0;
}

void berth_manifest_free(struct berth_manifest *m)
{
	if (!m)
		return;
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i].desc);
	free(m->layers);
	free(m->artifact_type);
	descriptor_clear(&m->subject);
	if (m->annotations)
		json_decref(m->annotations);
	free(m);
}

static int parse_index_fields(json_t *root, struct berth_index *idx, struct berth_error *err)
{
	json_t *manifests = NULL;
	int r = bjson_get_array(root, "", "manifests", true, &manifests, err);
	if (r < 0 || (r = get_annotations(root, "", &idx->annotations, err)) < 0)
		return r;
	size_t n = json_array_size(manifests);
	if (n > BERTH_INDEX_ENTRIES_MAX)
		return berth_error_set(err, E2BIG, "manifests: %zu entries, at most %d are supported", n,
				       BERTH_INDEX_ENTRIES_MAX);
	idx->manifests = calloc(n ? n : 1, sizeof(*idx->manifests));
	if (!idx->manifests)
		return berth_error_sys(err, ENOMEM, "allocate %zu index entries", n);
	for (size_t i = 0; i < n; i++) {
		char path[BJSON_PATH_MAX];
		json_t *entry = json_array_get(manifests, i);
		const char *media = json_is_object(entry) ? json_string_value(json_object_get(entry, "mediaType")) : NULL;
		enum berth_manifest_type t;
		/* Entries berth would fetch as manifests are bounded as such;
		 * other kinds (unknown ones must not fail) only as blobs. */
		int64_t max = media && lookup_manifest_type(media, &t) ? BERTH_MANIFEST_MAX : BERTH_DESCRIPTOR_SIZE_MAX;
		bjson_path_index(path, "manifests", i);
		idx->n_manifests = i + 1;
		if ((r = parse_descriptor(entry, path, max, &idx->manifests[i], err)) < 0)
			return r;
	}
	return 0;
}

int berth_index_parse(const char *body, size_t len, const char *content_type, struct berth_index **ret,
		      struct berth_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	_cleanup_index_ struct berth_index *idx = calloc(1, sizeof(*idx));
	if (!idx)
		return berth_error_sys(err, ENOMEM, "allocate an index");
	int r = open_document(body, len, content_type, true, &root, &idx->type, err);
	if (r < 0)
		return r;
	if ((r = parse_index_fields(root, idx, err)) < 0)
		return berth_error_wrap(err, "index");
	*ret = berth_steal_ptr(&idx);
	return 0;
}

void berth_index_free(struct berth_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->n_manifests; i++)
		descriptor_clear(&idx->manifests[i]);
	free(idx->manifests);
	if (idx->annotations)
		json_decref(idx->annotations);
	free(idx);
}

/* "; the index offers linux/arm64/v8, linux/arm/v7", within out's size. */
static void describe_offers(const struct berth_index *idx, char *out, size_t size)
{
	size_t n = (size_t) snprintf(out, size, "; the index offers");
	bool any = false;
	for (size_t i = 0; i < idx->n_manifests && n < size; i++) {
		const struct berth_descriptor *d = &idx->manifests[i];
		enum berth_manifest_type t;
		/* "unknown/unknown" entries are build attestations, not images */
		if (!d->has_platform || !lookup_manifest_type(d->media_type, &t) ||
		    strcmp(d->platform.os, "unknown") == 0)
			continue;
		char p[BERTH_PLATFORM_STRING_MAX];
		berth_platform_format(&d->platform, p);
		if (n + strlen(p) + 8 >= size) {
			snprintf(out + n, size - n, ", ...");
			return;
		}
		n += (size_t) snprintf(out + n, size - n, "%s %s", any ? "," : "", p);
		any = true;
	}
	if (!any)
		snprintf(out, size, "; the index lists no image for any platform");
}

int berth_index_select(const struct berth_index *idx, const struct berth_platform *want,
		       const struct berth_descriptor **ret, struct berth_error *err)
{
	const struct berth_descriptor *best = NULL, *unplatformed = NULL;
	int best_rank = -1;
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct berth_descriptor *d = &idx->manifests[i];
		enum berth_manifest_type t;
		if (!lookup_manifest_type(d->media_type, &t))
			continue; /* unknown kinds are skipped, never an error */
		if (!d->has_platform) {
			if (!unplatformed)
				unplatformed = d;
			continue;
		}
		int rank = berth_platform_rank(want, &d->platform);
		if (rank >= 0 && (best_rank < 0 || rank < best_rank)) {
			best = d;
			best_rank = rank;
		}
	}
	if (best || unplatformed) {
		*ret = best ? best : unplatformed;
		return 0;
	}
	char wanted[BERTH_PLATFORM_STRING_MAX], offers[1024];
	berth_platform_format(want, wanted);
	describe_offers(idx, offers, sizeof(offers));
	return berth_error_set(err, ENOENT, "no matching manifest for %s in the manifest list entries%s", wanted,
			       offers);
}

/* Copy an optional string field; *ret stays NULL when it is absent. */
static int dup_string(json_t *obj, const char *path, const char *key, bool required, char **ret,
		      struct berth_error *err)
{
	const char *s = NULL;
	int r = bjson_get_string(obj, path, key, required, &s, err);
	if (r <= 0)
		return r;
	if (!(*ret = strdup(s)))
		return berth_error_sys(err, ENOMEM, "copy %s", key);
	return 1;
}

static int parse_rootfs(json_t *root, struct berth_image_config *c, struct berth_error *err)
{
	json_t *rootfs = NULL, *ids = NULL;
	const char *type = NULL;
	int r;
	if ((r = bjson_get_object(root, "", "rootfs", true, &rootfs, err)) < 0 ||
	    (r = bjson_get_string(rootfs, "rootfs", "type", true, &type, err)) < 0 ||
	    (r = bjson_get_array(rootfs, "rootfs", "diff_ids", true, &ids, err)) < 0)
		return r;
	if (strcmp(type, "layers") != 0)
		return berth_error_set(err, ENOTSUP, "rootfs.type: \"%.*s\" is not supported (want \"layers\")", 64,
				       type);
	size_t n = json_array_size(ids);
	if (n > BERTH_MANIFEST_LAYERS_MAX)
		return berth_error_set(err, E2BIG, "rootfs.diff_ids: %zu layers, at most %d are supported", n,
				       BERTH_MANIFEST_LAYERS_MAX);
	c->diff_ids = calloc(n ? n : 1, sizeof(*c->diff_ids));
	if (!c->diff_ids)
		return berth_error_sys(err, ENOMEM, "allocate %zu diff_ids", n);
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (!id)
			return berth_error_set(err, EINVAL, "rootfs.diff_ids[%zu]: must be a string", i);
		if (berth_digest_validate(id, NULL, err) < 0)
			return berth_error_wrap(err, "rootfs.diff_ids[%zu]", i);
		snprintf(c->diff_ids[i], BERTH_DIGEST_MAX, "%s", id);
	}
	c->n_diff_ids = n;
	return 0;
}

static int parse_history_entry(json_t *e, const char *path, struct berth_history *h, struct berth_error *err)
{
	int r;
	if (!json_is_object(e))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((r = dup_string(e, path, "created", false, &h->created, err)) < 0 ||
	    (r = dup_string(e, path, "created_by", false, &h->created_by, err)) < 0 ||
	    (r = dup_string(e, path, "author", false, &h->author, err)) < 0 ||
	    (r = dup_string(e, path, "comment", false, &h->comment, err)) < 0 ||
	    (r = bjson_get_bool(e, path, "empty_layer", false, &h->empty_layer, err)) < 0)
		return r;
	return 0;
}

static int parse_history(json_t *root, struct berth_image_config *c, struct berth_error *err)
{
	json_t *history = NULL;
	int r = bjson_get_array(root, "", "history", false, &history, err);
	if (r <= 0)
		return r;
	size_t n = json_array_size(history);
	if (n > BERTH_IMAGE_HISTORY_MAX)
		return berth_error_set(err, E2BIG, "history: %zu entries, at most %d are supported", n,
				       BERTH_IMAGE_HISTORY_MAX);
	c->history = calloc(n ? n : 1, sizeof(*c->history));
	if (!c->history)
		return berth_error_sys(err, ENOMEM, "allocate %zu history entries", n);
	for (size_t i = 0; i < n; i++) {
		char path[BJSON_PATH_MAX];
		bjson_path_index(path, "history", i);
		c->n_history = i + 1;
		if ((r = parse_history_entry(json_array_get(history, i), path, &c->history[i], err)) < 0)
			return r;
	}
	return 0;
}

static int parse_config_fields(json_t *root, struct berth_image_config *c, struct berth_error *err)
{
	json_t *config = NULL;
	int r;
	if (!json_is_object(root))
		return berth_error_set(err, EINVAL, "not a JSON object");
	if ((r = dup_string(root, "", "architecture", true, &c->architecture, err)) < 0 ||
	    (r = dup_string(root, "", "os", true, &c->os, err)) < 0 ||
	    (r = dup_string(root, "", "variant", false, &c->variant, err)) < 0 ||
	    (r = dup_string(root, "", "os.version", false, &c->os_version, err)) < 0 ||
	    (r = dup_string(root, "", "created", false, &c->created, err)) < 0 ||
	    (r = dup_string(root, "", "author", false, &c->author, err)) < 0)
		return r;
	if ((r = berth_platform_set(&c->platform, c->os, c->architecture, c->variant, "platform", err)) < 0)
		return r;
	if ((r = bjson_get_object(root, "", "config", false, &config, err)) < 0)
		return r;
	if (config)
		c->config = json_incref(config);
	if ((r = parse_rootfs(root, c, err)) < 0)
		return r;
	return parse_history(root, c, err);
}

int berth_image_config_parse(const char *body, size_t len, struct berth_image_config **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	_cleanup_image_config_ struct berth_image_config *c = calloc(1, sizeof(*c));
	if (!c)
		return berth_error_sys(err, ENOMEM, "allocate an image config");
	int r = parse_body(body, len, BERTH_IMAGE_CONFIG_MAX, "image config", &root, err);
	if (r < 0)
		return r;
	if ((r = parse_config_fields(root, c, err)) < 0)
		return berth_error_wrap(err, "image config");
	*ret = berth_steal_ptr(&c);
	return 0;
}

void berth_image_config_free(struct berth_image_config *c)
{
	if (!c)
		return;
	free(c->architecture);
	free(c->os);
	free(c->variant);
	free(c->os_version);
	free(c->created);
	free(c->author);
	if (c->config)
		json_decref(c->config);
	free(c->diff_ids);
	for (size_t i = 0; i < c->n_history; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].author);
		free(c->history[i].comment);
	}
	free(c->history);
	free(c);
}

int berth_manifest_check_config(const struct berth_manifest *m, const struct berth_image_config *c,
				struct berth_error *err)
{
	if (m->n_layers != c->n_diff_ids)
		return berth_error_set(err, EINVAL, "the manifest has %zu layers but its config (%s) lists %zu diff_ids",
				       m->n_layers, m->config.digest, c->n_diff_ids);
	return 0;
}

int berth_chain_ids(const char (*diff_ids)[BERTH_DIGEST_MAX], size_t n, char (*out)[BERTH_DIGEST_MAX],
		    struct berth_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (berth_digest_validate(diff_ids[i], NULL, err) < 0)
			return berth_error_wrap(err, "chain ID of layer %zu", i);
		if (i == 0) {
			/* memmove: out may be diff_ids itself */
			memmove(out[0], diff_ids[0], strlen(diff_ids[0]) + 1);
			continue;
		}
		char buf[2 * BERTH_DIGEST_MAX + 1];
		int len = snprintf(buf, sizeof(buf), "%s %s", out[i - 1], diff_ids[i]);
		int r = berth_digest_buffer(BERTH_DIGEST_SHA256, buf, (size_t) len, out[i], err);
		if (r < 0)
			return berth_error_wrap(err, "chain ID of layer %zu", i);
	}
	return 0;
}
