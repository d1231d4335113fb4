#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "reference.h"

#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DIGEST "sha256:" D64

/* Parse s and compare the normalised string and the familiar forms. */
static void check(const char *s, unsigned flags, const char *normalized, const char *familiar_name,
		  const char *familiar)
{
	struct berth_error err = { 0 };
	_cleanup_reference_ struct berth_reference *r = NULL;
	char out[BERTH_REFERENCE_MAX];

	if (berth_reference_parse(s, flags, &r, &err) != 0)
		fail_msg("parse \"%s\": %s", s, err.msg);
	berth_reference_string(r, out);
	if (strcmp(out, normalized) != 0)
		fail_msg("\"%s\" normalised to \"%s\", want \"%s\"", s, out, normalized);
	berth_reference_familiar_name(r, out);
	if (strcmp(out, familiar_name) != 0)
		fail_msg("\"%s\" familiar name \"%s\", want \"%s\"", s, out, familiar_name);
	berth_reference_familiar_string(r, out);
	if (strcmp(out, familiar) != 0)
		fail_msg("\"%s\" familiar string \"%s\", want \"%s\"", s, out, familiar);
}

/* Parse must fail with EINVAL and a message containing want. */
static void check_bad(const char *s, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_reference *r = NULL;
	int ret = berth_reference_parse(s, 0, &r, &err);
	if (ret != -EINVAL)
		fail_msg("\"%s\": parse returned %d, want -EINVAL", s, ret);
	assert_null(r);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\": error \"%s\" does not contain \"%s\"", s, err.msg, want);
}

static void test_docker_hub_normalisation(void **state)
{
	(void) state;
	check("busybox", 0, "docker.io/library/busybox:latest", "busybox", "busybox:latest");
	check("busybox:1.36", 0, "docker.io/library/busybox:1.36", "busybox", "busybox:1.36");
	check("library/busybox", 0, "docker.io/library/busybox:latest", "busybox", "busybox:latest");
	check("docker.io/busybox", 0, "docker.io/library/busybox:latest", "busybox", "busybox:latest");
	check("docker.io/library/busybox", 0, "docker.io/library/busybox:latest", "busybox", "busybox:latest");
	check("index.docker.io/busybox", 0, "docker.io/library/busybox:latest", "busybox", "busybox:latest");
	check("index.docker.io/user/repo:v1", 0, "docker.io/user/repo:v1", "user/repo", "user/repo:v1");
	check("user/repo", 0, "docker.io/user/repo:latest", "user/repo", "user/repo:latest");
	check("dmcgowan/myapp", 0, "docker.io/dmcgowan/myapp:latest", "dmcgowan/myapp", "dmcgowan/myapp:latest");
	check("a/b/c/d", 0, "docker.io/a/b/c/d:latest", "a/b/c/d", "a/b/c/d:latest");
	/* a nested library/ path keeps its prefix in the familiar form */
	check("library/a/b", 0, "docker.io/library/a/b:latest", "library/a/b", "library/a/b:latest");
}

static void test_registries(void **state)
{
	(void) state;
	check("localhost/x", 0, "localhost/x:latest", "localhost/x", "localhost/x:latest");
	check("localhost:5000/x", 0, "localhost:5000/x:latest", "localhost:5000/x", "localhost:5000/x:latest");
	check("localhost:5000/a/b:t", 0, "localhost:5000/a/b:t", "localhost:5000/a/b", "localhost:5000/a/b:t");
	check("quay.io/coreos/etcd:v3.5", 0, "quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd", "quay.io/coreos/etcd:v3.5");
	check("gcr.io/x", 0, "gcr.io/x:latest", "gcr.io/x", "gcr.io/x:latest");
	check("127.0.0.1:5000/x", 0, "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x", "127.0.0.1:5000/x:latest");
	check("[::1]:5000/x", 0, "[::1]:5000/x:latest", "[::1]:5000/x", "[::1]:5000/x:latest");
	check("[fe80::1]/x:tag", 0, "[fe80::1]/x:tag", "[fe80::1]/x", "[fe80::1]/x:tag");
	check("registry:5000/x", 0, "registry:5000/x:latest", "registry:5000/x", "registry:5000/x:latest");
	check("my-registry.example.com/team/app", 0, "my-registry.example.com/team/app:latest",
	      "my-registry.example.com/team/app", "my-registry.example.com/team/app:latest");
	/* an uppercase first component is a domain (distribution/reference v0.6) */
	check("Example.com/x", 0, "Example.com/x:latest", "Example.com/x", "Example.com/x:latest");
	check("REGISTRY/x", 0, "REGISTRY/x:latest", "REGISTRY/x", "REGISTRY/x:latest");
	/* a component without '.' or ':' is a Hub namespace, localhost only as a domain */
	check("registry/x", 0, "docker.io/registry/x:latest", "registry/x", "registry/x:latest");
	/* a single component is never a domain: "localhost:5000" is localhost, tag 5000 */
	check("localhost", 0, "docker.io/library/localhost:latest", "localhost", "localhost:latest");
	check("localhost:5000", 0, "docker.io/library/localhost:5000", "localhost", "localhost:5000");

	struct berth_error err = { 0 };
	_cleanup_reference_ struct berth_reference *hub = NULL, *other = NULL;
	assert_int_equal(berth_reference_parse("busybox", 0, &hub, &err), 0);
	assert_string_equal(berth_reference_registry_host(hub), "registry-1.docker.io");
	assert_string_equal(hub->domain, "docker.io");
	assert_string_equal(hub->path, "library/busybox");
	assert_int_equal(berth_reference_parse("localhost:5000/x", 0, &other, &err), 0);
	assert_string_equal(berth_reference_registry_host(other), "localhost:5000");
}

static void test_tags_and_digests(void **state)
{
	(void) state;
	check("busybox@" DIGEST, 0, "docker.io/library/busybox@" DIGEST, "busybox", "busybox@" DIGEST);
	check("busybox:1.36@" DIGEST, 0, "docker.io/library/busybox:1.36@" DIGEST, "busybox",
	      "busybox:1.36@" DIGEST);
	check("localhost:5000/x:t@" DIGEST, 0, "localhost:5000/x:t@" DIGEST, "localhost:5000/x",
	      "localhost:5000/x:t@" DIGEST);
	check("busybox:Tag_1.2-rc", 0, "docker.io/library/busybox:Tag_1.2-rc", "busybox", "busybox:Tag_1.2-rc");
	check("busybox:_x", 0, "docker.io/library/busybox:_x", "busybox", "busybox:_x");
	/* the tag's 128-character limit */
	char buf[300];
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "busybox:");
	memset(buf + 8, 'a', 128);
	struct berth_error err = { 0 };
	_cleanup_reference_ struct berth_reference *r = NULL;
	assert_int_equal(berth_reference_parse(buf, 0, &r, &err), 0);
	assert_int_equal(strlen(r->tag), 128);
	buf[8 + 128] = 'a';
	check_bad(buf, "invalid reference format");

	_cleanup_reference_ struct berth_reference *d = NULL;
	assert_int_equal(berth_reference_parse("busybox@" DIGEST, 0, &d, &err), 0);
	assert_null(d->tag);
	assert_string_equal(d->digest, DIGEST);

	/* sha512 digests */
	check("x@sha512:" D64 D64, 0, "docker.io/library/x@sha512:" D64 D64, "x", "x@sha512:" D64 D64);
}

static void test_no_default_tag(void **state)
{
	(void) state;
	check("busybox", BERTH_REFERENCE_NO_DEFAULT_TAG, "docker.io/library/busybox", "busybox", "busybox");
	check("busybox:1", BERTH_REFERENCE_NO_DEFAULT_TAG, "docker.io/library/busybox:1", "busybox", "busybox:1");
	check("user/repo", BERTH_REFERENCE_NO_DEFAULT_TAG, "docker.io/user/repo", "user/repo", "user/repo");

	struct berth_error err = { 0 };
	_cleanup_reference_ struct berth_reference *r = NULL;
	assert_int_equal(berth_reference_parse("busybox", BERTH_REFERENCE_NO_DEFAULT_TAG, &r, &err), 0);
	assert_null(r->tag);
	assert_null(r->digest);
	char out[BERTH_REFERENCE_MAX];
	berth_reference_name(r, out);
	assert_string_equal(out, "docker.io/library/busybox");
}

static void test_path_grammar(void **state)
{
	(void) state;
	check("a.b/c", 0, "a.b/c:latest", "a.b/c", "a.b/c:latest"); /* a.b is a domain */
	check("a_b", 0, "docker.io/library/a_b:latest", "a_b", "a_b:latest");
	check("a__b", 0, "docker.io/library/a__b:latest", "a__b", "a__b:latest");
	check("a---b", 0, "docker.io/library/a---b:latest", "a---b", "a---b:latest");
	check("a.b", 0, "docker.io/library/a.b:latest", "a.b", "a.b:latest");
	check("x/a.b-c_d__e", 0, "docker.io/x/a.b-c_d__e:latest", "x/a.b-c_d__e", "x/a.b-c_d__e:latest");
	check("0/1", 0, "docker.io/0/1:latest", "0/1", "0/1:latest");

	check_bad("a___b", "invalid reference format");
	check_bad("a..b", "invalid reference format");
	check_bad("a._b", "invalid reference format");
	check_bad("-ab", "invalid reference format");
	check_bad("ab-", "invalid reference format");
	check_bad("_ab", "invalid reference format");
	check_bad("ab.", "invalid reference format");
	check_bad("a//b", "invalid reference format");
	check_bad("user/repo/", "invalid reference format");
	check_bad("/busybox", "invalid reference format");
	check_bad("foo bar", "invalid reference format");
	check_bad("busybox\n", "invalid reference format");
}

static void test_errors(void **state)
{
	(void) state;
	check_bad("", "invalid reference format");
	check_bad("Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase");
	check_bad("user/Repo", "invalid reference format: repository name (user/Repo) must be lowercase");
	check_bad("localhost:5000/Foo", "invalid reference format: repository name (Foo) must be lowercase");
	/* the case check stops at the first ':' as docker's does */
	check_bad("Busybox:tag", "repository name (library/Busybox) must be lowercase");
	/* an invalid uppercase domain that is a valid path once lowercased */
	check_bad("Foo_bar/x", "invalid reference format: repository name must be lowercase");
	check_bad(D64, "invalid repository name (" D64 "), cannot specify 64-byte hexadecimal strings");
	check_bad("busybox:", "invalid reference format");
	check_bad("busybox@", "invalid reference format");
	check_bad("busybox:a:b", "invalid reference format");
	check_bad("busybox:.x", "invalid reference format");
	check_bad("busybox:-x", "invalid reference format");
	check_bad("busybox@sha256:abc", "invalid reference format");
	check_bad("busybox@@" DIGEST, "invalid reference format");
	check_bad("busybox@" DIGEST "@" DIGEST, "invalid reference format");
	check_bad("busybox@sha256:" D64 "0", "invalid reference format: invalid digest");
	check_bad("busybox@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		  "invalid reference format: invalid digest");
	check_bad("busybox@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm");
	check_bad("busybox@sha256:" D64 ":x", "invalid reference format");
	check_bad("[::1/x", "invalid reference format");
	check_bad("[]:5000/x", "invalid reference format");
	check_bad("localhost:/x", "invalid reference format");
	check_bad("localhost:50a0/x", "invalid reference format");
	check_bad("-a.com/x", "invalid reference format");
	check_bad("a-.com/x", "invalid reference format");
	check_bad("a..com/x", "invalid reference format");
	/* docker would take this as a domain-less path; berth refuses it */
	check_bad("foo_bar.com/x", "invalid registry domain");
	check_bad("busybox:tag/x", "invalid reference format");
}

static void test_length_limits(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char buf[2048];

	/* "library/" + 247 = 255: the limit exactly */
	memset(buf, 0, sizeof(buf));
	memset(buf, 'a', 247);
	_cleanup_reference_ struct berth_reference *r = NULL;
	assert_int_equal(berth_reference_parse(buf, 0, &r, &err), 0);
	assert_int_equal(strlen(r->path), 255);
	buf[247] = 'a';
	check_bad(buf, "repository name must not be more than 255 characters");

	/* a long domain: 255 accepted, 256 refused */
	memset(buf, 0, sizeof(buf));
	memset(buf, 'a', 251);
	memcpy(buf + 251, ".com/x", 6);
	_cleanup_reference_ struct berth_reference *d = NULL;
	assert_int_equal(berth_reference_parse(buf, 0, &d, &err), 0);
	memset(buf, 0, sizeof(buf));
	memset(buf, 'a', 252);
	memcpy(buf + 252, ".com/x", 6);
	check_bad(buf, "registry domain must not be more than 255 characters");

	/* anything over the buffer size is refused before it is examined */
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	check_bad(buf, "longer than 1023 bytes");

	/* the longest parts together still fit the output buffers */
	char *p = buf;
	memset(p, 'a', 251);
	p += 251;
	p += sprintf(p, ".com/");
	memset(p, 'b', 255);
	p += 255;
	*p++ = ':';
	memset(p, 'T', 128);
	p += 128;
	sprintf(p, "@sha512:%s%s", D64, D64);
	_cleanup_reference_ struct berth_reference *big = NULL;
	assert_int_equal(berth_reference_parse(buf, 0, &big, &err), 0);
	char out[BERTH_REFERENCE_MAX];
	berth_reference_string(big, out);
	assert_string_equal(out, buf);
}

static void test_setters_and_dup(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_reference_ struct berth_reference *r = NULL, *c = NULL;
	char out[BERTH_REFERENCE_MAX];

	assert_int_equal(berth_reference_parse("busybox", BERTH_REFERENCE_NO_DEFAULT_TAG, &r, &err), 0);
	assert_int_equal(berth_reference_set_tag(r, "1.36", &err), 0);
	berth_reference_string(r, out);
	assert_string_equal(out, "docker.io/library/busybox:1.36");
	assert_int_equal(berth_reference_set_tag(r, "bad tag", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid tag format"));
	assert_int_equal(berth_reference_set_tag(r, ".x", &err), -EINVAL);
	assert_int_equal(berth_reference_set_digest(r, "sha256:abc", &err), -EINVAL);
	assert_int_equal(berth_reference_set_digest(r, DIGEST, &err), 0);
	assert_int_equal(berth_reference_dup(r, &c, &err), 0);
	assert_int_equal(berth_reference_set_tag(r, NULL, &err), 0);
	berth_reference_string(r, out);
	assert_string_equal(out, "docker.io/library/busybox@" DIGEST);
	berth_reference_string(c, out);
	assert_string_equal(out, "docker.io/library/busybox:1.36@" DIGEST);
	assert_int_equal(berth_reference_set_digest(c, NULL, &err), 0);
	berth_reference_familiar_string(c, out);
	assert_string_equal(out, "busybox:1.36");

	assert_true(berth_reference_tag_valid("latest"));
	assert_false(berth_reference_tag_valid(""));
	assert_false(berth_reference_tag_valid(NULL));
	assert_false(berth_reference_tag_valid("a/b"));
	berth_reference_free(NULL);
}

/* The valid and invalid names of distribution/reference's own tests. */
static void test_docker_name_tables(void **state)
{
	(void) state;
	static const char *const valid[] = {
		"docker/docker", "library/debian", "debian", "docker.io/docker/docker", "docker.io/library/debian",
		"docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian",
		"index.docker.io/debian", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian",
		"127.0.0.1:5000/debian", "192.168.0.1", "192.168.0.1:80", "192.168.0.1:8/debian",
		"192.168.0.2:25000/debian", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
		"[fc00::1]:5000/docker", "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
		"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker",
		"DOCKER/docker", "docker-rules/docker", "docker---rules/docker", "doc/docker", "d/docker", "jess/t",
		"dock__er/docker", "test-com:8080/foo", "xn--n3h.com:18080/foo", "test_com/foo",
	};
	static const char *const invalid[] = {
		"https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker",
		"-docker.io/docker/docker", "docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker",
		"[fc00::1]", "[fc00::1]:5000", "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian",
		"[2001:db8:3:4::192.0.2.33]:5000/debian",
		"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker-/docker",
		"-docker-/docker", "____/____", "_docker/_docker", "dock..er/docker", "dock_.er/docker",
		"dock-.er/docker", "docker/",
		"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
		"because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_"
		"255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
	};
	struct berth_error err = { 0 };
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(valid); i++) {
		_cleanup_reference_ struct berth_reference *r = NULL;
		if (berth_reference_parse(valid[i], 0, &r, &err) != 0)
			fail_msg("\"%s\" should be valid: %s", valid[i], err.msg);
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(invalid); i++) {
		struct berth_reference *r = NULL;
		if (berth_reference_parse(invalid[i], 0, &r, &err) != -EINVAL)
			fail_msg("\"%s\" should be invalid", invalid[i]);
	}
	check("test_com/foo", 0, "docker.io/test_com/foo:latest", "test_com/foo", "test_com/foo:latest");
	check("192.168.0.1:80", 0, "docker.io/library/192.168.0.1:80", "192.168.0.1", "192.168.0.1:80");
	check("Foo/bar", 0, "Foo/bar:latest", "Foo/bar", "Foo/bar:latest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_hub_normalisation),
		cmocka_unit_test(test_registries),
		cmocka_unit_test(test_tags_and_digests),
		cmocka_unit_test(test_no_default_tag),
		cmocka_unit_test(test_path_grammar),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_setters_and_dup),
		cmocka_unit_test(test_docker_name_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
