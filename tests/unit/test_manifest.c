#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"

#define D1 "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
#define D2 "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"
#define D3 "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"
#define D4 "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736"
#define D5 "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
#define D6 "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"

/* sha256 of "a", "b", "c", and the chain IDs printf/sha256sum gave for them */
#define HA "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define HB "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define HC "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
#define HAB "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676"
#define HABC "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106"

static const char oci_manifest[] = "{\n"
				   "  \"schemaVersion\": 2,\n"
				   "  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
				   "  \"config\": {\n"
				   "    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
				   "    \"digest\": \"" D1 "\",\n"
				   "    \"size\": 7023\n"
				   "  },\n"
				   "  \"layers\": [\n"
				   "    { \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
				   "      \"digest\": \"" D2 "\", \"size\": 32654 },\n"
				   "    { \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\",\n"
				   "      \"digest\": \"" D3 "\", \"size\": 16724 },\n"
				   "    { \"mediaType\": \"application/vnd.oci.image.layer.v1.tar\",\n"
				   "      \"digest\": \"" D4 "\", \"size\": 73109,\n"
				   "      \"annotations\": { \"org.example.layer\": \"x\" } }\n"
				   "  ],\n"
				   "  \"subject\": {\n"
				   "    \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
				   "    \"digest\": \"" D6 "\",\n"
				   "    \"size\": 7682\n"
				   "  },\n"
				   "  \"annotations\": { \"com.example.key1\": \"value1\" }\n"
				   "}\n";

static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1469,"
	"\"digest\":\"" D1 "\"},"
	"\"layers\":["
	"{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"size\":1000,"
	"\"digest\":\"" D2 "\",\"urls\":[\"https://mcr.microsoft.com/v2/windows/blobs/" D2 "\"]},"
	"{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":2000,"
	"\"digest\":\"" D3 "\"}]}";

/* A multi-platform index as buildx pushes it: two images and an attestation. */
static const char oci_index[] =
	"{\n"
	"  \"schemaVersion\": 2,\n"
	"  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
	"  \"manifests\": [\n"
	"    { \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 7143,\n"
	"      \"digest\": \"" D5 "\",\n"
	"      \"platform\": { \"architecture\": \"amd64\", \"os\": \"linux\" } },\n"
	"    { \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 7682,\n"
	"      \"digest\": \"" D6 "\",\n"
	"      \"platform\": { \"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\" } },\n"
	"    { \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"size\": 566,\n"
	"      \"digest\": \"" D4 "\",\n"
	"      \"annotations\": { \"vnd.docker.reference.digest\": \"" D5 "\",\n"
	"                         \"vnd.docker.reference.type\": \"attestation-manifest\" },\n"
	"      \"platform\": { \"architecture\": \"unknown\", \"os\": \"unknown\" } }\n"
	"  ],\n"
	"  \"annotations\": { \"com.example.key1\": \"value1\" }\n"
	"}\n";

static const char docker_list[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D1
	"\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v5\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D2
	"\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D3
	"\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D4
	"\",\"platform\":{\"architecture\":\"386\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D5
	"\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,\"digest\":\"" D6
	"\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}]}";

static const char image_config[] =
	"{\n"
	"  \"created\": \"2015-10-31T22:22:56.015925234Z\",\n"
	"  \"author\": \"Alyssa P. Hacker <alyspdev@example.com>\",\n"
	"  \"architecture\": \"arm\",\n"
	"  \"variant\": \"v7\",\n"
	"  \"os\": \"linux\",\n"
	"  \"config\": {\n"
	"    \"User\": \"alice\",\n"
	"    \"Env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\n"
	"    \"Cmd\": [\"--foreground\"]\n"
	"  },\n"
	"  \"rootfs\": {\n"
	"    \"diff_ids\": [\"" HA "\", \"" HB "\"],\n"
	"    \"type\": \"layers\"\n"
	"  },\n"
	"  \"history\": [\n"
	"    { \"created\": \"2015-10-31T22:22:54.690851953Z\",\n"
	"      \"created_by\": \"/bin/sh -c #(nop) ADD file:a3bc1e in /\" },\n"
	"    { \"created\": \"2015-10-31T22:22:55.613815829Z\",\n"
	"      \"created_by\": \"/bin/sh -c #(nop) CMD [\\\"sh\\\"]\",\n"
	"      \"empty_layer\": true },\n"
	"    { \"created_by\": \"/bin/sh -c apk add curl\", \"comment\": \"buildkit\", \"author\": \"me\" }\n"
	"  ]\n"
	"}\n";

static char *fmt(const char *f, ...) BERTH_PRINTF(1, 2);
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, f);
	assert_true(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

/* An image manifest with one layer of the given media type. */
static char *manifest_with_layer(const char *media)
{
	return fmt("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_CONFIG
		   "\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"" D2
		   "\",\"size\":1}]}",
		   media);
}

static void manifest_fails(const char *body, const char *content_type, int code, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_manifest *m = NULL;
	int r = berth_manifest_parse(body, strlen(body), content_type, &m, &err);
	assert_null(m);
	if (r != -code)
		fail_msg("parse returned %d (%s), want %d", r, err.msg, -code);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
}

static void index_fails(const char *body, const char *content_type, int code, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_index *idx = NULL;
	int r = berth_index_parse(body, strlen(body), content_type, &idx, &err);
	assert_null(idx);
	if (r != -code)
		fail_msg("parse returned %d (%s), want %d", r, err.msg, -code);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
}

static void config_fails(const char *body, int code, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_image_config *c = NULL;
	int r = berth_image_config_parse(body, strlen(body), &c, &err);
	assert_null(c);
	if (r != -code)
		fail_msg("parse returned %d (%s), want %d", r, err.msg, -code);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
}

static enum berth_manifest_type detect(const char *body, const char *content_type)
{
	struct berth_error err = { 0 };
	enum berth_manifest_type t;
	if (berth_manifest_detect(body, strlen(body), content_type, &t, &err) != 0)
		fail_msg("detect: %s", err.msg);
	return t;
}

static void test_detect_media_types(void **state)
{
	(void) state;
	assert_int_equal(detect(oci_manifest, NULL), BERTH_MANIFEST_OCI_IMAGE);
	assert_int_equal(detect(docker_manifest, NULL), BERTH_MANIFEST_DOCKER_IMAGE);
	assert_int_equal(detect(oci_index, NULL), BERTH_MANIFEST_OCI_INDEX);
	assert_int_equal(detect(docker_list, NULL), BERTH_MANIFEST_DOCKER_LIST);
	/* the body's own mediaType wins over the header */
	assert_int_equal(detect(docker_list, BERTH_MEDIA_OCI_MANIFEST), BERTH_MANIFEST_DOCKER_LIST);

	/* without mediaType: the Content-Type, parameters and case ignored */
	const char *bare = "{\"schemaVersion\":2,\"manifests\":[]}";
	assert_int_equal(detect(bare, "application/vnd.docker.distribution.manifest.list.v2+json"),
			 BERTH_MANIFEST_DOCKER_LIST);
	assert_int_equal(detect(bare, " Application/VND.OCI.image.index.v1+json ; charset=utf-8"),
			 BERTH_MANIFEST_OCI_INDEX);
	/* and without a useful Content-Type: the shape */
	assert_int_equal(detect(bare, NULL), BERTH_MANIFEST_OCI_INDEX);
	assert_int_equal(detect(bare, "application/json"), BERTH_MANIFEST_OCI_INDEX);
	assert_int_equal(detect("{\"config\":{},\"layers\":[]}", "application/octet-stream"),
			 BERTH_MANIFEST_OCI_IMAGE);

	for (int t = BERTH_MANIFEST_OCI_IMAGE; t <= BERTH_MANIFEST_DOCKER_LIST; t++) {
		struct berth_error err = { 0 };
		enum berth_manifest_type got;
		assert_int_equal(berth_manifest_type_from_media(berth_manifest_type_media(t), &got, &err), 0);
		assert_int_equal(got, t);
	}
	assert_true(berth_manifest_type_is_index(BERTH_MANIFEST_DOCKER_LIST));
	assert_false(berth_manifest_type_is_index(BERTH_MANIFEST_DOCKER_IMAGE));
	assert_non_null(strstr(BERTH_MANIFEST_ACCEPT, BERTH_MEDIA_OCI_INDEX));
}

static void test_detect_refusals(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	enum berth_manifest_type t;
	const char *schema1 = "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"latest\","
			      "\"architecture\":\"amd64\",\"fsLayers\":[],\"history\":[],\"signatures\":[]}";
	static const char *const msg = "schema 1 manifests are not supported; push the image with a newer client";

	assert_int_equal(berth_manifest_detect(schema1, strlen(schema1), NULL, &t, &err), -ENOTSUP);
	assert_string_equal(err.msg, "manifest: schema 1 manifests are not supported; push the image with a newer client");
	manifest_fails(schema1, BERTH_MEDIA_DOCKER_V1_SIGNED, ENOTSUP, msg);
	index_fails(schema1, NULL, ENOTSUP, msg);
	manifest_fails("{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json\"}", NULL, ENOTSUP,
		       msg);
	manifest_fails("{\"config\":{},\"layers\":[]}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
		       ENOTSUP, msg);
	assert_int_equal(berth_manifest_type_from_media(BERTH_MEDIA_DOCKER_V1_SIGNED, &t, &err), -ENOTSUP);
	assert_string_equal(err.msg, msg);

	manifest_fails("{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}", NULL, ENOTSUP,
		       "unsupported manifest media type \"application/vnd.oci.artifact.manifest.v1+json\"");
	manifest_fails("{\"schemaVersion\":2}", "text/html", ENOTSUP, "unsupported manifest media type \"text/html\"");
	manifest_fails("{\"schemaVersion\":3,\"config\":{},\"layers\":[]}", NULL, ENOTSUP, "schemaVersion 3");
	manifest_fails("{\"schemaVersion\":\"2\"}", NULL, EINVAL, "schemaVersion: must be an integer");
	manifest_fails("{\"mediaType\":7}", NULL, EINVAL, "mediaType: must be a string");
	manifest_fails("{}", NULL, EINVAL, "no mediaType, and neither manifests nor config and layers");
	manifest_fails("[]", NULL, EINVAL, "manifest: not a JSON object");
	manifest_fails("{\"config\":", NULL, EINVAL, "manifest: not valid JSON");
	manifest_fails("", NULL, EINVAL, "manifest: not valid JSON");
	assert_int_equal(berth_manifest_detect(NULL, 0, NULL, &t, &err), -EINVAL);
}

static void test_parse_oci_manifest(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_manifest_ struct berth_manifest *m = NULL;
	assert_int_equal(berth_manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m, &err), 0);
	assert_int_equal(m->type, BERTH_MANIFEST_OCI_IMAGE);
	assert_string_equal(m->config.media_type, BERTH_MEDIA_OCI_CONFIG);
	assert_string_equal(m->config.digest, D1);
	assert_int_equal(m->config.size, 7023);
	assert_int_equal(m->n_layers, 3);
	assert_int_equal(m->layers[0].compression, BERTH_COMPRESSION_GZIP);
	assert_int_equal(m->layers[1].compression, BERTH_COMPRESSION_ZSTD);
	assert_int_equal(m->layers[2].compression, BERTH_COMPRESSION_NONE);
	assert_string_equal(m->layers[2].desc.digest, D4);
	assert_int_equal(m->layers[2].desc.size, 73109);
	assert_false(m->layers[0].nondistributable);
	assert_null(m->layers[0].desc.urls);
	assert_null(m->layers[0].desc.annotations);
	assert_string_equal(json_string_value(json_object_get(m->layers[2].desc.annotations, "org.example.layer")), "x");
	assert_true(m->has_subject);
	assert_string_equal(m->subject.digest, D6);
	assert_string_equal(json_string_value(json_object_get(m->annotations, "com.example.key1")), "value1");
	assert_null(m->artifact_type);
	assert_string_equal(berth_compression_name(m->layers[1].compression), "zstd");
}

static void test_parse_docker_manifest(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_manifest_ struct berth_manifest *m = NULL;
	assert_int_equal(berth_manifest_parse(docker_manifest, strlen(docker_manifest), BERTH_MEDIA_DOCKER_MANIFEST,
					      &m, &err),
			 0);
	assert_int_equal(m->type, BERTH_MANIFEST_DOCKER_IMAGE);
	assert_string_equal(m->config.media_type, BERTH_MEDIA_DOCKER_CONFIG);
	assert_int_equal(m->n_layers, 2);
	assert_true(m->layers[0].nondistributable);
	assert_int_equal(m->layers[0].compression, BERTH_COMPRESSION_GZIP);
	assert_non_null(m->layers[0].desc.urls);
	assert_string_equal(m->layers[0].desc.urls[0], "https://mcr.microsoft.com/v2/windows/blobs/" D2);
	assert_null(m->layers[0].desc.urls[1]);
	assert_false(m->layers[1].nondistributable);
	assert_false(m->has_subject);
}

static void test_layer_media_types(void **state)
{
	(void) state;
	static const struct {
		const char *media;
		enum berth_compression compression;
		bool nondistributable;
	} cases[] = {
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
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		struct berth_error err = { 0 };
		_cleanup_free_ char *body = manifest_with_layer(cases[i].media);
		_cleanup_manifest_ struct berth_manifest *m = NULL;
		if (berth_manifest_parse(body, strlen(body), NULL, &m, &err) != 0)
			fail_msg("%s: %s", cases[i].media, err.msg);
		assert_int_equal(m->layers[0].compression, cases[i].compression);
		assert_int_equal(m->layers[0].nondistributable, cases[i].nondistributable);
	}

	_cleanup_free_ char *unknown = manifest_with_layer("application/vnd.example.data.v1.tar+xz");
	manifest_fails(unknown, NULL, ENOTSUP,
		       "manifest: layers[0].mediaType: unsupported layer media type \"application/vnd.example.data.v1.tar+xz\"");
	_cleanup_free_ char *encrypted = manifest_with_layer("application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
	manifest_fails(encrypted, NULL, ENOTSUP, "encrypted layers");
	_cleanup_free_ char *empty = manifest_with_layer(BERTH_MEDIA_OCI_EMPTY);
	manifest_fails(empty, NULL, ENOTSUP, "unsupported layer media type");
}

static void test_artifacts_refused(void **state)
{
	(void) state;
	const char *helm = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
			   "\"digest\":\"" D1 "\",\"size\":117},\"layers\":[{\"mediaType\":"
			   "\"application/vnd.cncf.helm.chart.content.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":2487}]}";
	manifest_fails(helm, NULL, ENOTSUP,
		       "manifest: config.mediaType: \"application/vnd.cncf.helm.config.v1+json\" is not a container image");
	const char *empty = "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\","
			    "\"artifactType\":\"application/vnd.example+type\",\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_EMPTY
			    "\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\","
			    "\"size\":2},\"layers\":[]}";
	manifest_fails(empty, NULL, ENOTSUP, "is not a container image");
	assert_true(berth_media_type_is_image_config(BERTH_MEDIA_DOCKER_CONFIG));
	assert_false(berth_media_type_is_image_config(NULL));
}

static void test_descriptor_validation(void **state)
{
	(void) state;
#define M(layer) "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_CONFIG "\",\"digest\":\"" D1 \
		 "\",\"size\":1},\"layers\":[" layer "]}"
#define L(rest) "{\"mediaType\":\"" BERTH_MEDIA_OCI_LAYER_GZIP "\"" rest "}"
	manifest_fails(M("{\"digest\":\"" D2 "\",\"size\":1}"), NULL, EINVAL,
		       "manifest: layers[0].mediaType: required field is missing");
	manifest_fails(M(L(",\"size\":1")), NULL, EINVAL, "layers[0].digest: required field is missing");
	manifest_fails(M(L(",\"digest\":\"" D2 "\"")), NULL, EINVAL, "layers[0].size: required field is missing");
	manifest_fails(M(L(",\"digest\":\"sha256:abc\",\"size\":1")), NULL, EINVAL,
		       "layers[0].digest: invalid digest \"sha256:abc\"");
	manifest_fails(M(L(",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\",\"size\":1")), NULL, EINVAL,
		       "layers[0].digest: unsupported digest algorithm");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":-1")), NULL, EINVAL,
		       "layers[0].size: must be an integer from 0 to");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1.5")), NULL, EINVAL, "layers[0].size");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":\"1\"")), NULL, EINVAL, "layers[0].size");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":99999999999999999999")), NULL, EINVAL, "layers[0].size");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1099511627777")), NULL, EINVAL, "layers[0].size");
	manifest_fails(M("{\"mediaType\":\"not a type\",\"digest\":\"" D2 "\",\"size\":1}"), NULL, EINVAL,
		       "layers[0].mediaType: invalid media type \"not a type\"");
	manifest_fails(M("{\"mediaType\":\"application/\",\"digest\":\"" D2 "\",\"size\":1}"), NULL, EINVAL,
		       "invalid media type");
	manifest_fails(M("7"), NULL, EINVAL, "layers[0]: must be an object");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1,\"urls\":[\"file:///etc/shadow\"]")), NULL, EINVAL,
		       "layers[0].urls[0]: \"file:///etc/shadow\" is not an http or https URL");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1,\"urls\":[1]")), NULL, EINVAL, "layers[0].urls");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1,\"annotations\":{\"a\":1}")), NULL, EINVAL,
		       "layers[0].annotations.a: must be a string");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1,\"platform\":{\"os\":\"linux\"}")), NULL, EINVAL,
		       "layers[0].platform.architecture: required field is missing");
	manifest_fails(M(L(",\"digest\":\"" D2 "\",\"size\":1,\"artifactType\":\"x\"")), NULL, EINVAL,
		       "layers[0].artifactType: invalid media type");
	/* a config over 8 MiB is refused from its descriptor */
	manifest_fails("{\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_CONFIG "\",\"digest\":\"" D1
		       "\",\"size\":8388609},\"layers\":[]}",
		       NULL, EFBIG, "config.size: 8388609 bytes is more than the limit of 8388608");
	manifest_fails("{\"layers\":[]}", NULL, EINVAL, "manifest: config: required field is missing");
	manifest_fails("{\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":1}}",
		       NULL, EINVAL, "manifest: layers: required field is missing");
#undef L
#undef M
}

static void test_wrong_kind_and_ambiguity(void **state)
{
	(void) state;
	manifest_fails(oci_index, NULL, EINVAL,
		       "manifest: expected an image manifest, got an index (application/vnd.oci.image.index.v1+json)");
	index_fails(docker_manifest, NULL, EINVAL, "index: expected an index, got an image manifest");
	/* documents that read as both kinds */
	manifest_fails("{\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\",\"config\":{},\"layers\":[],\"manifests\":[]}",
		       NULL, EINVAL, "an image manifest must not have manifests");
	index_fails("{\"mediaType\":\"" BERTH_MEDIA_OCI_INDEX "\",\"manifests\":[],\"layers\":[]}", NULL, EINVAL,
		    "an index must not have config or layers");
	index_fails("{\"manifests\":[],\"config\":{}}", NULL, EINVAL, "an index must not have config or layers");
}

/* A manifest with n layers, built in a malloc'ed buffer. */
static char *many_layers(size_t n)
{
	size_t cap = 256 + n * 320, len;
	char *s = malloc(cap);
	assert_non_null(s);
	len = (size_t) snprintf(s, cap, "{\"config\":{\"mediaType\":\"" BERTH_MEDIA_OCI_CONFIG "\",\"digest\":\"" D1
				     "\",\"size\":1},\"layers\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t) snprintf(s + len, cap - len, "%s{\"mediaType\":\"" BERTH_MEDIA_OCI_LAYER_GZIP
							       "\",\"digest\":\"" D2 "\",\"size\":%zu}",
					 i ? "," : "", i);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static char *many_entries(size_t n)
{
	size_t cap = 256 + n * 320, len;
	char *s = malloc(cap);
	assert_non_null(s);
	len = (size_t) snprintf(s, cap, "{\"manifests\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t) snprintf(s + len, cap - len,
					 "%s{\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D2
					 "\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}}",
					 i ? "," : "", i);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static void test_limits(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_free_ char *ok = many_layers(1000), *over = many_layers(1001);
	_cleanup_manifest_ struct berth_manifest *m = NULL;
	assert_int_equal(berth_manifest_parse(ok, strlen(ok), NULL, &m, &err), 0);
	assert_int_equal(m->n_layers, 1000);
	manifest_fails(over, NULL, E2BIG, "manifest: layers: 1001 layers, at most 1000 are supported");

	_cleanup_free_ char *entries = many_entries(1000), *too_many = many_entries(1001);
	_cleanup_index_ struct berth_index *idx = NULL;
	assert_int_equal(berth_index_parse(entries, strlen(entries), NULL, &idx, &err), 0);
	assert_int_equal(idx->n_manifests, 1000);
	index_fails(too_many, NULL, E2BIG, "index: manifests: 1001 entries, at most 1000 are supported");

	/* bodies over the limits are refused before parsing */
	size_t big = BERTH_MANIFEST_MAX + 1;
	_cleanup_free_ char *body = malloc(big);
	assert_non_null(body);
	memset(body, ' ', big);
	struct berth_manifest *none = NULL;
	assert_int_equal(berth_manifest_parse(body, big, NULL, &none, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "manifest is 4194305 bytes, more than the limit of 4194304"));
	struct berth_index *no_index = NULL;
	assert_int_equal(berth_index_parse(body, big, NULL, &no_index, &err), -EFBIG);
	struct berth_image_config *c = NULL;
	assert_int_equal(berth_image_config_parse(body, BERTH_IMAGE_CONFIG_MAX + 1, &c, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "image config is 8388609 bytes"));
	enum berth_manifest_type t;
	assert_int_equal(berth_manifest_detect(body, big, NULL, &t, &err), -EFBIG);

	/* an index entry that is a manifest is bounded as one */
	index_fails("{\"manifests\":[{\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D1
		    "\",\"size\":4194305}]}",
		    NULL, EFBIG, "index: manifests[0].size: 4194305 bytes is more than the limit of 4194304");
}

static const struct berth_descriptor *select_for(const struct berth_index *idx, const char *platform)
{
	struct berth_error err = { 0 };
	struct berth_platform want;
	const struct berth_descriptor *d = NULL;
	if (berth_platform_parse(platform, &want, &err) != 0 || berth_index_select(idx, &want, &d, &err) != 0)
		fail_msg("select %s: %s", platform, err.msg);
	return d;
}

static void test_oci_index(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_index_ struct berth_index *idx = NULL;
	assert_int_equal(berth_index_parse(oci_index, strlen(oci_index), BERTH_MEDIA_OCI_INDEX, &idx, &err), 0);
	assert_int_equal(idx->type, BERTH_MANIFEST_OCI_INDEX);
	assert_int_equal(idx->n_manifests, 3);
	assert_true(idx->manifests[0].has_platform);
	assert_string_equal(idx->manifests[1].platform.variant, "v8");
	assert_string_equal(json_string_value(json_object_get(idx->manifests[2].annotations,
							      "vnd.docker.reference.type")),
			    "attestation-manifest");
	assert_string_equal(json_string_value(json_object_get(idx->annotations, "com.example.key1")), "value1");

	assert_string_equal(select_for(idx, "linux/amd64")->digest, D5);
	assert_string_equal(select_for(idx, "linux/arm64")->digest, D6);
	assert_string_equal(select_for(idx, "linux/aarch64")->digest, D6);
	assert_string_equal(select_for(idx, "linux/arm64/v8.2")->digest, D6);

	struct berth_platform want;
	const struct berth_descriptor *d = NULL;
	assert_int_equal(berth_platform_parse("linux/arm/v7", &want, &err), 0);
	assert_int_equal(berth_index_select(idx, &want, &d, &err), -ENOENT);
	assert_null(d);
	assert_string_equal(err.msg, "no matching manifest for linux/arm/v7 in the manifest list entries; "
				     "the index offers linux/amd64, linux/arm64/v8");
	assert_int_equal(berth_platform_parse("windows/amd64", &want, &err), 0);
	assert_int_equal(berth_index_select(idx, &want, &d, &err), -ENOENT);
}

static void test_docker_list_best_match(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_index_ struct berth_index *idx = NULL;
	assert_int_equal(berth_index_parse(docker_list, strlen(docker_list), NULL, &idx, &err), 0);
	assert_int_equal(idx->type, BERTH_MANIFEST_DOCKER_LIST);
	assert_int_equal(idx->n_manifests, 6);
	/* the best variant wins even when an older one comes first */
	assert_string_equal(select_for(idx, "linux/arm/v7")->digest, D3);
	assert_string_equal(select_for(idx, "linux/arm/v6")->digest, D2);
	assert_string_equal(select_for(idx, "linux/arm/v5")->digest, D1);
	assert_string_equal(select_for(idx, "linux/arm/v8")->digest, D3);
	assert_string_equal(select_for(idx, "linux/amd64")->digest, D5);
	assert_string_equal(select_for(idx, "linux/386")->digest, D4);
	assert_string_equal(select_for(idx, "linux/arm64")->digest, D6);
	assert_string_equal(select_for(idx, "linux/amd64/v3")->digest, D5);

	/* amd64 falls back to 386 when that is all there is */
	const char *only386 = "{\"manifests\":[{\"mediaType\":\"" BERTH_MEDIA_DOCKER_MANIFEST "\",\"size\":1,"
			      "\"digest\":\"" D4 "\",\"platform\":{\"architecture\":\"386\",\"os\":\"linux\"}}]}";
	_cleanup_index_ struct berth_index *i386 = NULL;
	assert_int_equal(berth_index_parse(only386, strlen(only386), BERTH_MEDIA_DOCKER_LIST, &i386, &err), 0);
	assert_string_equal(select_for(i386, "linux/amd64")->digest, D4);
}

static void test_index_entries_without_platform(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	/* an unknown kind is skipped (never an error), a platformless
	 * manifest is the fallback, a nested index qualifies too */
	const char *body = "{\"schemaVersion\":2,\"manifests\":["
			   "{\"mediaType\":\"application/vnd.example.sbom.v1+json\",\"digest\":\"" D1 "\",\"size\":9999999,"
			   "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
			   "{\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":10},"
			   "{\"mediaType\":\"" BERTH_MEDIA_OCI_INDEX "\",\"digest\":\"" D3 "\",\"size\":10,"
			   "\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"}}]}";
	_cleanup_index_ struct berth_index *idx = NULL;
	assert_int_equal(berth_index_parse(body, strlen(body), NULL, &idx, &err), 0);
	assert_string_equal(select_for(idx, "linux/amd64")->digest, D2);
	assert_string_equal(select_for(idx, "linux/s390x")->digest, D3);

	/* an empty index selects nothing, and says so */
	_cleanup_index_ struct berth_index *empty = NULL;
	assert_int_equal(berth_index_parse("{\"manifests\":[]}", 16, NULL, &empty, &err), 0);
	struct berth_platform want;
	const struct berth_descriptor *d = NULL;
	assert_int_equal(berth_platform_parse("linux/amd64", &want, &err), 0);
	assert_int_equal(berth_index_select(empty, &want, &d, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "the index lists no image for any platform"));

	index_fails("{\"manifests\":{}}", NULL, EINVAL, "index: manifests: must be an array");
	index_fails("{\"manifests\":[{\"mediaType\":\"" BERTH_MEDIA_OCI_MANIFEST "\",\"digest\":\"" D1
		    "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"a b\"}}]}",
		    NULL, EINVAL, "index: manifests[0].platform: invalid architecture \"a b\"");
}

static void test_image_config(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_image_config_ struct berth_image_config *c = NULL;
	assert_int_equal(berth_image_config_parse(image_config, strlen(image_config), &c, &err), 0);
	assert_string_equal(c->architecture, "arm");
	assert_string_equal(c->os, "linux");
	assert_string_equal(c->variant, "v7");
	assert_null(c->os_version);
	assert_string_equal(c->platform.architecture, "arm");
	assert_string_equal(c->platform.variant, "v7");
	assert_string_equal(c->created, "2015-10-31T22:22:56.015925234Z");
	assert_string_equal(c->author, "Alyssa P. Hacker <alyspdev@example.com>");
	/* the config object outlives the document it came from */
	assert_non_null(c->config);
	assert_string_equal(json_string_value(json_object_get(c->config, "User")), "alice");
	assert_int_equal(json_array_size(json_object_get(c->config, "Env")), 1);
	assert_int_equal(c->n_diff_ids, 2);
	assert_string_equal(c->diff_ids[0], HA);
	assert_string_equal(c->diff_ids[1], HB);
	/* three history entries, two of them layers, for two diff_ids */
	assert_int_equal(c->n_history, 3);
	assert_string_equal(c->history[0].created_by, "/bin/sh -c #(nop) ADD file:a3bc1e in /");
	assert_false(c->history[0].empty_layer);
	assert_true(c->history[1].empty_layer);
	assert_null(c->history[2].created);
	assert_string_equal(c->history[2].comment, "buildkit");
	assert_string_equal(c->history[2].author, "me");

	/* the minimum: no config, no history, no layers */
	const char *minimal = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":null,"
			      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	_cleanup_image_config_ struct berth_image_config *m = NULL;
	assert_int_equal(berth_image_config_parse(minimal, strlen(minimal), &m, &err), 0);
	assert_null(m->config);
	assert_int_equal(m->n_diff_ids, 0);
	assert_int_equal(m->n_history, 0);
	assert_null(m->variant);
	berth_image_config_free(NULL);
}

static void test_image_config_refusals(void **state)
{
	(void) state;
#define C(rest) "{\"architecture\":\"amd64\",\"os\":\"linux\"" rest "}"
#define R(ids) ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" ids "]}"
	config_fails(C(""), EINVAL, "image config: rootfs: required field is missing");
	config_fails(C(",\"rootfs\":{\"type\":\"zfs\",\"diff_ids\":[]}"), ENOTSUP,
		     "image config: rootfs.type: \"zfs\" is not supported (want \"layers\")");
	config_fails(C(",\"rootfs\":{\"diff_ids\":[]}"), EINVAL, "rootfs.type: required field is missing");
	config_fails(C(",\"rootfs\":{\"type\":\"layers\"}"), EINVAL, "rootfs.diff_ids: required field is missing");
	config_fails(C(R("\"sha256:abc\"")), EINVAL, "image config: rootfs.diff_ids[0]: invalid digest");
	config_fails(C(R("\"" HA "\",7")), EINVAL, "image config: rootfs.diff_ids[1]: must be a string");
	config_fails(C(R("") ",\"history\":[7]"), EINVAL, "image config: history[0]: must be an object");
	config_fails(C(R("") ",\"history\":[{\"empty_layer\":\"yes\"}]"), EINVAL,
		     "history[0].empty_layer: must be a boolean");
	config_fails(C(R("") ",\"history\":[{\"created_by\":1}]"), EINVAL, "history[0].created_by: must be a string");
	config_fails(C(R("") ",\"config\":[]"), EINVAL, "image config: config: must be an object");
	config_fails("{\"os\":\"linux\"" R("") "}", EINVAL, "image config: architecture: required field is missing");
	config_fails("{\"architecture\":\"amd64\"" R("") "}", EINVAL, "image config: os: required field is missing");
	config_fails("{\"architecture\":\"x86 64\",\"os\":\"linux\"" R("") "}", EINVAL,
		     "image config: platform: invalid architecture");
	config_fails("[1]", EINVAL, "image config: not a JSON object");
	config_fails("{", EINVAL, "image config: not valid JSON");
#undef R
#undef C
}

static void test_chain_ids(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	const char ids[3][BERTH_DIGEST_MAX] = { HA, HB, HC };
	char out[3][BERTH_DIGEST_MAX];
	assert_int_equal(berth_chain_ids(ids, 3, out, &err), 0);
	assert_string_equal(out[0], HA);
	assert_string_equal(out[1], HAB);
	assert_string_equal(out[2], HABC);
	assert_int_equal(berth_chain_ids(ids, 0, out, &err), 0);

	/* in place: the output may be the input */
	char inplace[3][BERTH_DIGEST_MAX] = { HA, HB, HC };
	assert_int_equal(berth_chain_ids((const char(*)[BERTH_DIGEST_MAX]) inplace, 3, inplace, &err), 0);
	assert_string_equal(inplace[2], HABC);

	const char bad[2][BERTH_DIGEST_MAX] = { HA, "sha256:b" };
	assert_int_equal(berth_chain_ids(bad, 2, out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "chain ID of layer 1: invalid digest"));

	/* from a parsed config */
	_cleanup_image_config_ struct berth_image_config *c = NULL;
	assert_int_equal(berth_image_config_parse(image_config, strlen(image_config), &c, &err), 0);
	assert_int_equal(berth_chain_ids((const char(*)[BERTH_DIGEST_MAX]) c->diff_ids, c->n_diff_ids, out, &err),
			 0);
	assert_string_equal(out[1], HAB);
}

static void test_check_config(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_manifest_ struct berth_manifest *m = NULL;
	_cleanup_image_config_ struct berth_image_config *c = NULL;
	assert_int_equal(berth_manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m, &err), 0);
	assert_int_equal(berth_image_config_parse(image_config, strlen(image_config), &c, &err), 0);
	assert_int_equal(berth_manifest_check_config(m, c, &err), -EINVAL);
	assert_string_equal(err.msg, "the manifest has 3 layers but its config (" D1 ") lists 2 diff_ids");
	m->n_layers = 2; /* put back below, so that every layer is freed */
	assert_int_equal(berth_manifest_check_config(m, c, &err), 0);
	m->n_layers = 3;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_media_types),
		cmocka_unit_test(test_detect_refusals),
		cmocka_unit_test(test_parse_oci_manifest),
		cmocka_unit_test(test_parse_docker_manifest),
		cmocka_unit_test(test_layer_media_types),
		cmocka_unit_test(test_artifacts_refused),
		cmocka_unit_test(test_descriptor_validation),
		cmocka_unit_test(test_wrong_kind_and_ambiguity),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_oci_index),
		cmocka_unit_test(test_docker_list_best_match),
		cmocka_unit_test(test_index_entries_without_platform),
		cmocka_unit_test(test_image_config),
		cmocka_unit_test(test_image_config_refusals),
		cmocka_unit_test(test_chain_ids),
		cmocka_unit_test(test_check_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
