#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "platform.h"

/* Parse s and compare its formatted, normalised form. */
static void check(const char *s, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_platform p;
	char out[BERTH_PLATFORM_STRING_MAX];
	if (berth_platform_parse(s, &p, &err) != 0)
		fail_msg("parse \"%s\": %s", s, err.msg);
	berth_platform_format(&p, out);
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\" gave \"%s\", want \"%s\"", s, out, want);
}

static void check_bad(const char *s, const char *want)
{
	struct berth_error err = { 0 };
	struct berth_platform p;
	if (berth_platform_parse(s, &p, &err) != -EINVAL)
		fail_msg("\"%s\" should be refused", s ? s : "(null)");
	if (!strstr(err.msg, want))
		fail_msg("\"%s\": error \"%s\" does not contain \"%s\"", s ? s : "(null)", err.msg, want);
}

static struct berth_platform plat(const char *s)
{
	struct berth_error err = { 0 };
	struct berth_platform p;
	if (berth_platform_parse(s, &p, &err) != 0)
		fail_msg("parse \"%s\": %s", s, err.msg);
	return p;
}

static int rank(const char *want, const char *have)
{
	struct berth_platform w = plat(want), h = plat(have);
	return berth_platform_rank(&w, &h);
}

static void test_parse_aliases(void **state)
{
	(void) state;
	check("linux/amd64", "linux/amd64");
	check("linux/x86_64", "linux/amd64");
	check("linux/x86-64", "linux/amd64");
	check("linux/amd64/v1", "linux/amd64");
	check("linux/amd64/v3", "linux/amd64/v3");
	check("LINUX/AMD64", "linux/amd64");
	check("linux/i386", "linux/386");
	check("linux/386", "linux/386");
	check("linux/i686", "linux/386");
	check("linux/aarch64", "linux/arm64/v8");
	check("linux/arm64", "linux/arm64/v8");
	check("linux/arm64/v8", "linux/arm64/v8");
	check("linux/arm64/8", "linux/arm64/v8");
	check("linux/arm64/v8.2", "linux/arm64/v8.2");
	check("linux/arm64/v9", "linux/arm64/v9");
	check("linux/armhf", "linux/arm/v7");
	check("linux/armel", "linux/arm/v6");
	check("linux/arm", "linux/arm/v7");
	check("linux/arm/7", "linux/arm/v7");
	check("linux/arm/v7", "linux/arm/v7");
	check("linux/arm/6", "linux/arm/v6");
	check("linux/arm/v5", "linux/arm/v5");
	check("linux/arm/8", "linux/arm/v8");
	check("linux/ppc64le", "linux/ppc64le");
	check("linux/s390x", "linux/s390x");
	check("linux/riscv64", "linux/riscv64");
	check("windows/amd64", "windows/amd64");
	check("macos/arm64", "darwin/arm64/v8");
	/* a single architecture means linux */
	check("amd64", "linux/amd64");
	check("x86_64", "linux/amd64");
	check("aarch64", "linux/arm64/v8");
	check("arm64", "linux/arm64/v8");
	check("armhf", "linux/arm/v7");
	check("i386", "linux/386");
	check("s390x", "linux/s390x");
}

static void test_parse_os_only(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_platform host, p;
	assert_int_equal(berth_platform_host(&host, &err), 0);
	assert_int_equal(berth_platform_parse("linux", &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, host.architecture);
	assert_int_equal(berth_platform_parse("windows", &p, &err), 0);
	assert_string_equal(p.os, "windows");
}

static void test_parse_errors(void **state)
{
	(void) state;
	check_bad(NULL, "want os/arch");
	check_bad("", "want os/arch");
	check_bad("linux/", "want os/arch");
	check_bad("/amd64", "want os/arch");
	check_bad("linux//v7", "want os/arch");
	check_bad("linux/arm/v7/extra", "want os/arch");
	check_bad("linux/*", "want os/arch");
	check_bad("linux/amd 64", "want os/arch");
	check_bad("linux(10.0)/amd64", "want os/arch");
	check_bad("nonsense", "unknown operating system or architecture");
	check_bad("linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "want os/arch");
	char long_input[400];
	memset(long_input, 'a', sizeof(long_input) - 1);
	long_input[sizeof(long_input) - 1] = '\0';
	check_bad(long_input, "want os/arch");
}

static void test_set(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_platform p;
	char out[BERTH_PLATFORM_STRING_MAX];
	assert_int_equal(berth_platform_set(&p, "linux", "aarch64", NULL, "manifests[0].platform", &err), 0);
	berth_platform_format(&p, out);
	assert_string_equal(out, "linux/arm64/v8");
	assert_int_equal(berth_platform_set(&p, "linux", "arm", "", "x", &err), 0);
	assert_string_equal(p.variant, "v7");
	assert_int_equal(berth_platform_set(&p, "unknown", "unknown", NULL, "x", &err), 0);
	assert_int_equal(berth_platform_set(&p, "", "amd64", NULL, "manifests[1].platform", &err), -EINVAL);
	assert_string_equal(err.msg, "manifests[1].platform: invalid os \"\": want 1 to 31 of [A-Za-z0-9_.-]");
	assert_int_equal(berth_platform_set(&p, "linux", NULL, NULL, "x", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid architecture"));
	assert_int_equal(berth_platform_set(&p, "linux", "amd64", "v/3", "x", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid variant"));

	/* normalising twice changes nothing */
	struct berth_platform q = p;
	assert_int_equal(berth_platform_set(&q, "Linux", "ARMHF", NULL, "x", &err), 0);
	p = q;
	berth_platform_normalize(&q);
	assert_memory_equal(&p, &q, sizeof(p));
}

static void test_host(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_platform host;
	struct utsname u;
	assert_int_equal(berth_platform_host(&host, &err), 0);
	assert_int_equal(uname(&u), 0);
	assert_string_equal(host.os, "linux");
	if (strcmp(u.machine, "x86_64") == 0) {
		assert_string_equal(host.architecture, "amd64");
		assert_string_equal(host.variant, "");
	} else if (strcmp(u.machine, "aarch64") == 0) {
		assert_string_equal(host.architecture, "arm64");
		assert_string_equal(host.variant, "v8");
	}
	/* the host always runs what it is */
	assert_int_equal(berth_platform_rank(&host, &host), 0);
}

static void test_match_exact_and_aliases(void **state)
{
	(void) state;
	assert_int_equal(rank("linux/amd64", "linux/amd64"), 0);
	assert_int_equal(rank("linux/amd64", "linux/x86_64"), 0);
	assert_int_equal(rank("linux/arm64", "linux/arm64/v8"), 0);
	assert_int_equal(rank("linux/arm64/v8", "linux/aarch64"), 0);
	assert_int_equal(rank("linux/arm/v7", "linux/armhf"), 0);
	assert_int_equal(rank("linux/arm", "linux/arm/v7"), 0);

	/* an index entry may come unnormalised; arm64 without variant is v8 */
	struct berth_platform want = plat("linux/arm64/v8"), have = { .os = "linux", .architecture = "arm64" };
	assert_int_equal(berth_platform_rank(&want, &have), 0);
	struct berth_platform amd = { .os = "Linux", .architecture = "X86_64", .variant = "v1" };
	want = plat("linux/amd64");
	assert_int_equal(berth_platform_rank(&want, &amd), 0);

	assert_int_equal(rank("linux/amd64", "linux/arm64"), -1);
	assert_int_equal(rank("linux/amd64", "windows/amd64"), -1);
	assert_int_equal(rank("linux/ppc64le", "linux/ppc64le"), 0);
	assert_int_equal(rank("linux/ppc64le", "linux/ppc64"), -1);
	assert_false(berth_platform_match(&want, &have));
	assert_true(berth_platform_match(&want, &amd));
}

static void test_match_fallbacks(void **state)
{
	(void) state;
	/* amd64 runs 386; amd64/v3 runs v2, v1 and 386; amd64 does not run v2 */
	assert_int_equal(rank("linux/amd64", "linux/386"), 1);
	assert_int_equal(rank("linux/amd64/v3", "linux/amd64/v3"), 0);
	assert_int_equal(rank("linux/amd64/v3", "linux/amd64/v2"), 1);
	assert_int_equal(rank("linux/amd64/v3", "linux/amd64"), 2);
	assert_int_equal(rank("linux/amd64/v3", "linux/386"), 3);
	assert_int_equal(rank("linux/amd64", "linux/amd64/v2"), -1);
	assert_int_equal(rank("linux/386", "linux/amd64"), -1);

	/* arm/v7 runs v6 and v5, not v8 */
	assert_int_equal(rank("linux/arm/v7", "linux/arm/v6"), 1);
	assert_int_equal(rank("linux/arm/v7", "linux/arm/v5"), 2);
	assert_int_equal(rank("linux/arm/v7", "linux/arm/v8"), -1);
	assert_int_equal(rank("linux/arm/v6", "linux/arm/v7"), -1);
	assert_int_equal(rank("linux/arm/v5", "linux/arm/v5"), 0);

	/* arm64 runs 32-bit arm v8..v5 after itself */
	assert_int_equal(rank("linux/arm64", "linux/arm/v8"), 1);
	assert_int_equal(rank("linux/arm64", "linux/arm/v7"), 2);
	assert_int_equal(rank("linux/arm64", "linux/arm/v5"), 4);
	assert_int_equal(rank("linux/arm64", "linux/amd64"), -1);
	/* arm64/v8.2 runs v8.1 and v8; v8 does not run v8.1 */
	assert_int_equal(rank("linux/arm64/v8.2", "linux/arm64/v8.1"), 1);
	assert_int_equal(rank("linux/arm64/v8.2", "linux/arm64"), 2);
	assert_int_equal(rank("linux/arm64", "linux/arm64/v8.1"), -1);
	/* v9.x also runs v8.(x+5) and below */
	assert_int_equal(rank("linux/arm64/v9.1", "linux/arm64/v9"), 1);
	assert_int_equal(rank("linux/arm64/v9.1", "linux/arm64/v8.6"), 2);
	assert_int_equal(rank("linux/arm64/v9.1", "linux/arm64/v8.5"), 3);
	assert_int_equal(rank("linux/arm64/v9.1", "linux/arm64/v8"), 8);
	assert_int_equal(rank("linux/arm64/v9.1", "linux/arm/v7"), 10);
	assert_int_equal(rank("linux/arm64/v9", "linux/arm64/v8.5"), 1);

	/* huge variant numbers do not make huge vectors */
	assert_int_equal(rank("linux/amd64/v99999999", "linux/amd64/v99999999"), 0);
	assert_int_equal(rank("linux/amd64/v99999999", "linux/amd64"), -1);
	assert_int_equal(rank("linux/amd64/v99999999", "linux/386"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_aliases),
		cmocka_unit_test(test_parse_os_only),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_match_exact_and_aliases),
		cmocka_unit_test(test_match_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
