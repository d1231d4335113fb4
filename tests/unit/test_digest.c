#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"

static const char empty_sha256[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_buffer_known_values(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char out[BERTH_DIGEST_MAX];
	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, "", 0, out, &err), 0);
	assert_string_equal(out, empty_sha256);
	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA256, "abc", 3, out, &err), 0);
	assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(berth_digest_buffer(BERTH_DIGEST_SHA512, "abc", 3, out, &err), 0);
	assert_string_equal(out, "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
				 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

static void test_incremental_equals_oneshot(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_hasher_ struct berth_hasher *h = NULL;
	assert_int_equal(berth_hasher_new(BERTH_DIGEST_SHA256, &h, &err), 0);
	assert_int_equal(berth_hasher_update(h, "a", 1, &err), 0);
	assert_int_equal(berth_hasher_update(h, "bc", 2, &err), 0);
	char out[BERTH_DIGEST_MAX];
	assert_int_equal(berth_hasher_final(h, out, &err), 0);
	assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* final resets: the hasher starts over */
	assert_int_equal(berth_hasher_final(h, out, &err), 0);
	assert_string_equal(out, empty_sha256);
}

static void test_fd(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char path[] = "/tmp/berth-digest-XXXXXX";
	_cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	char out[BERTH_DIGEST_MAX];
	assert_int_equal(berth_digest_fd(BERTH_DIGEST_SHA256, fd, out, &err), 0);
	assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_validate(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	enum berth_digest_algo algo = BERTH_DIGEST_SHA512;
	assert_int_equal(berth_digest_validate(empty_sha256, &algo, &err), 0);
	assert_int_equal(algo, BERTH_DIGEST_SHA256);
	assert_string_equal(berth_digest_hex(empty_sha256), empty_sha256 + 7);
	char short_id[13];
	berth_digest_short(empty_sha256, short_id);
	assert_string_equal(short_id, "e3b0c44298fc");

	assert_int_equal(berth_digest_validate("sha256:E3B0", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "64 lowercase hex digits"));
	assert_int_equal(berth_digest_validate("md5:abcd", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unsupported digest algorithm \"md5\""));
	assert_int_equal(berth_digest_validate("nocolon", NULL, &err), -EINVAL);
	assert_int_equal(berth_digest_validate(NULL, NULL, &err), -EINVAL);
	/* one digit short, one too many, a non-hex character */
	char bad[80];
	snprintf(bad, sizeof(bad), "%.70s", empty_sha256);
	assert_int_equal(berth_digest_validate(bad, NULL, &err), -EINVAL);
	snprintf(bad, sizeof(bad), "%s0", empty_sha256);
	assert_int_equal(berth_digest_validate(bad, NULL, &err), -EINVAL);
	snprintf(bad, sizeof(bad), "%s", empty_sha256);
	bad[10] = 'g';
	assert_int_equal(berth_digest_validate(bad, NULL, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffer_known_values),
		cmocka_unit_test(test_incremental_equals_oneshot),
		cmocka_unit_test(test_fd),
		cmocka_unit_test(test_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
