#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authfile.h"
#include "cleanup.h"
#include "file.h"
#include "json.h"

static struct berth_authfile *parse_ok(const char *text)
{
	struct berth_error err = { 0 };
	struct berth_authfile *f = NULL;

	if (berth_authfile_parse(text, strlen(text), "config.json", &f, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	return f;
}

static void parse_fails(const char *text, const char *expect)
{
	struct berth_error err = { 0 };
	struct berth_authfile *f = NULL;

	if (berth_authfile_parse(text, strlen(text), "config.json", &f, &err) >= 0)
		fail_msg("parsed, expected an error containing \"%s\"", expect);
	if (strstr(err.msg, expect) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, expect);
}

static void key_is(const char *server, const char *expect)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *key = NULL;

	assert_int_equal(berth_authfile_key(server, &key, &err), 0);
	if (strcmp(key, expect) != 0)
		fail_msg("key of \"%s\" is \"%s\", expected \"%s\"", server, key, expect);
}

static void test_paths(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char *dir = NULL;

	assert_int_equal(berth_authfile_dir_from("/etc/dc", "/home/u", &dir, &err), 0);
	assert_string_equal(dir, "/etc/dc");
	free(dir);
	assert_int_equal(berth_authfile_dir_from("", "/home/u", &dir, &err), 0);
	assert_string_equal(dir, "/home/u/.docker");
	free(dir);
	assert_int_equal(berth_authfile_dir_from(NULL, "/", &dir, &err), 0);
	assert_string_equal(dir, "/.docker");
	free(dir);
	assert_int_equal(berth_authfile_dir_from(NULL, "", &dir, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "neither DOCKER_CONFIG nor HOME"));

	setenv("DOCKER_CONFIG", "/tmp/some-docker-config", 1);
	assert_int_equal(berth_authfile_default_path(&dir, &err), 0);
	assert_string_equal(dir, "/tmp/some-docker-config/config.json");
	free(dir);
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", "/home/x", 1);
	assert_int_equal(berth_authfile_dir(&dir, &err), 0);
	assert_string_equal(dir, "/home/x/.docker");
	free(dir);
	unsetenv("HOME");
	/* From the passwd entry. */
	assert_int_equal(berth_authfile_dir(&dir, &err), 0);
	assert_non_null(strstr(dir, "/.docker"));
	free(dir);
}

static void test_keys(void **state)
{
	(void) state;
	key_is("", BERTH_AUTHFILE_INDEX_SERVER);
	key_is("docker.io", BERTH_AUTHFILE_INDEX_SERVER);
	key_is("index.docker.io", BERTH_AUTHFILE_INDEX_SERVER);
	key_is("https://index.docker.io/v1/", BERTH_AUTHFILE_INDEX_SERVER);
	key_is("registry-1.docker.io", "registry-1.docker.io");
	key_is("myreg:5000", "myreg:5000");
	key_is("myreg:5000/some/path", "myreg:5000");
	key_is("https://myreg:5000/v1/", "myreg:5000");
	key_is("http://user:pw@myreg/x", "myreg");
	key_is("https://[::1]:5000/v2/", "[::1]:5000");
	key_is("https://[::1]/", "::1");
	key_is("https://host:/", "host");
	key_is("https://", "https:");
}

static const char sample[] = "{\n"
			     "  \"auths\": {\n"
			     "    \"https://index.docker.io/v1/\": { \"auth\": \"aHViOmh1YnB3\" },\n"
			     "    \"docker.io\": { \"auth\": \"bm90OnVzZWQ=\" },\n"
			     "    \"myreg:5000\": { \"auth\": \"YWxpY2U6cDpxOnI=\", \"email\": \"a@b\" },\n"
			     "    \"https://legacy.example.com/v1/\": { \"username\": \"old\", \"password\": \"pw\" },\n"
			     "    \"http://plain.example.com\": { \"auth\": \"cDpx\", \"identitytoken\": \"idt\" },\n"
			     "    \"empty.example.com\": {}\n"
			     "  },\n"
			     "  \"psFormat\": \"table {{.ID}}\"\n"
			     "}\n";

static void test_lookup(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	_cleanup_authfile_ struct berth_authfile *f = parse_ok(sample);
	_cleanup_registry_credentials_ struct berth_registry_credentials c = { 0 };

	assert_int_equal(berth_authfile_lookup(f, "docker.io", &c, &err), 1);
	assert_string_equal(c.username, "hub");
	assert_string_equal(c.password, "hubpw");
	assert_string_equal(c.server_address, BERTH_AUTHFILE_INDEX_SERVER);
	berth_registry_credentials_clear(&c);
	assert_int_equal(berth_authfile_lookup(f, "index.docker.io", &c, &err), 1);
	assert_string_equal(c.username, "hub");
	berth_registry_credentials_clear(&c);

	assert_int_equal(berth_authfile_lookup(f, "myreg:5000", &c, &err), 1);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "p:q:r");
	berth_registry_credentials_clear(&c);
	assert_int_equal(berth_authfile_lookup(f, "myreg", &c, &err), 0);
	assert_true(berth_registry_credentials_is_anonymous(&c));

	/* Keys older clients wrote as URLs are found by host. */
	assert_int_equal(berth_authfile_lookup(f, "legacy.example.com", &c, &err), 1);
	assert_string_equal(c.username, "old");
	assert_string_equal(c.password, "pw");
	assert_string_equal(c.server_address, "https://legacy.example.com/v1/");
	berth_registry_credentials_clear(&c);
	assert_int_equal(berth_authfile_lookup(f, "plain.example.com", &c, &err), 1);
	assert_string_equal(c.identity_token, "idt");
	assert_string_equal(c.username, "p");
	berth_registry_credentials_clear(&c);

	assert_int_equal(berth_authfile_lookup(f, "empty.example.com", &c, &err), 0);
	assert_int_equal(berth_authfile_lookup(f, "quay.io", &c, &err), 0);

	/* Docker Hub is only ever its index-server key. */
	_cleanup_authfile_ struct berth_authfile *g = parse_ok("{\"auths\":{\"docker.io\":{\"auth\":\"dTpw\"}}}");
	assert_int_equal(berth_authfile_lookup(g, "docker.io", &c, &err), 0);
}

static void test_helpers(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	struct berth_registry_credentials c = { 0 };
	_cleanup_authfile_ struct berth_authfile *f = parse_ok(
		"{\"auths\":{\"https://index.docker.io/v1/\":{},\"file.example.com\":{\"auth\":\"dTpw\"}},"
		"\"credsStore\":\"desktop\",\"credHelpers\":{\"ecr.example.com\":\"ecr-login\"}}");

	assert_int_equal(berth_authfile_lookup(f, "ecr.example.com", &c, &err), -ENOTSUP);
	assert_string_equal(err.msg, "config.json: credHelpers: credentials for ecr.example.com are kept by "
				     "docker-credential-ecr-login; credential helpers are not supported");
	assert_int_equal(berth_authfile_lookup(f, "docker.io", &c, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "credsStore"));
	assert_non_null(strstr(err.msg, "docker-credential-desktop"));
	/* credsStore keeps what the file lists; the rest is anonymous. */
	assert_int_equal(berth_authfile_lookup(f, "quay.io", &c, &err), 0);
	assert_int_equal(berth_authfile_lookup(f, "file.example.com", &c, &err), -ENOTSUP);

	struct berth_registry_credentials in = { .username = (char *) "u", .password = (char *) "p" };
	assert_int_equal(berth_authfile_set(f, "quay.io", &in, &err), -ENOTSUP);
	assert_int_equal(berth_authfile_unset(f, "docker.io", &err), -ENOTSUP);
	assert_int_equal(berth_authfile_unset(f, "quay.io", &err), 0);

	/* Only credHelpers: other registries work normally. */
	_cleanup_authfile_ struct berth_authfile *g =
		parse_ok("{\"auths\":{\"a.com\":{\"auth\":\"dTpw\"}},\"credsStore\":\"\",\"credHelpers\":{\"b.com\":\"x\"}}");
	assert_int_equal(berth_authfile_lookup(g, "a.com", &c, &err), 1);
	berth_registry_credentials_clear(&c);
	assert_int_equal(berth_authfile_lookup(g, "b.com", &c, &err), -ENOTSUP);
	assert_int_equal(berth_authfile_set(g, "a.com", &in, &err), 0);
}

static void test_malformed(void **state)
{
	(void) state;
	parse_fails("{\"auths\": ", "config.json: not valid JSON: line 1");
	parse_fails("[]", "config.json: must be a JSON object");
	parse_fails("{\"auths\": []}", "config.json: auths: must be an object");
	parse_fails("{\"auths\": {\"r\": 1}}", "config.json: auths.r: must be a JSON object");
	parse_fails("{\"auths\": {\"r\": {\"auth\": \"%%%\"}}}", "config.json: auths.r.auth: not valid base64");
	parse_fails("{\"auths\": {\"r\": {\"auth\": \"dXNlcg==\"}}}", "config.json: auths.r.auth: not base64 of");
	parse_fails("{\"auths\": {\"r\": {\"Auth\": \"Og==\"}}}", "config.json: auths.r.Auth: not base64 of");
	parse_fails("{\"auths\": {\"r\": {\"username\": 5}}}", "config.json: auths.r.username: must be a string");
	parse_fails("{\"credsStore\": 1}", "config.json: credsStore: must be a string");
	parse_fails("{\"credHelpers\": {\"x\": 1}}", "config.json: credHelpers.x: must be a string");
	parse_fails("{\"a\":1,\"a\":2}", "not valid JSON");
	parse_fails("{\"auths\":{\"r\":{\"password\":\"a\\u0000b\"}}}", "not valid JSON");

	/* Empty files and null auths are empty configs; other keys are anyone's. */
	struct berth_error err = { 0 };
	struct berth_registry_credentials c = { 0 };
	struct berth_authfile *f = parse_ok(" \n\t");
	assert_int_equal(berth_authfile_lookup(f, "docker.io", &c, &err), 0);
	berth_authfile_free(f);
	f = parse_ok("{\"auths\":null,\"psFormat\":[1,{\"x\":null}]}");
	assert_int_equal(berth_authfile_lookup(f, "docker.io", &c, &err), 0);
	berth_authfile_free(f);
}

static char *read_text(const char *path)
{
	struct berth_error err = { 0 };
	char *text = NULL;

	assert_int_equal(berth_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err), 0);
	return text;
}

static void test_store_erase(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char tmp[] = "/tmp/berth-authfile-XXXXXX";
	char dir[128], path[160];
	struct stat st;
	_cleanup_registry_credentials_ struct berth_registry_credentials c = { 0 };
	struct berth_registry_credentials in = { .username = (char *) "bob", .password = (char *) "pa:ss" };

	assert_non_null(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/sub", tmp);
	snprintf(path, sizeof(path), "%s/config.json", dir);

	/* The first login creates the directory (0700) and the file (0600). */
	assert_int_equal(berth_authfile_store(path, "docker.io", &in, &err), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	_cleanup_free_ char *text = read_text(path);
	assert_string_equal(text, "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n"
				  "\t\t\t\"auth\": \"Ym9iOnBhOnNz\"\n\t\t}\n\t}\n}");

	/* Other keys of the file and of the entry survive. */
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"auths\":{\"myreg:5000\":{\"auth\":\"eDp5\",\"email\":\"e@x\",\"Password\":\"old\"},"
	      "\"http://myreg:5000\":{},\"https://myreg:5000\":{},\"other\":{}},"
	      "\"HttpHeaders\":{\"X-Meta\":\"1\"},\"plugins\":{\"p\":{\"k\":\"v\"}},\"future\":[true]}",
	      fp);
	fclose(fp);
	struct berth_registry_credentials tok = { .username = (char *) "bob", .identity_token = (char *) "refresh" };
	assert_int_equal(berth_authfile_store(path, "https://myreg:5000/v1/", &tok, &err), 0);
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	assert_int_equal(berth_authfile_load(path, &f, &err), 0);
	assert_int_equal(berth_authfile_lookup(f, "myreg:5000", &c, &err), 1);
	assert_string_equal(c.username, "bob");
	assert_null(c.password);
	assert_string_equal(c.identity_token, "refresh");
	free(text);
	text = read_text(path);
	assert_non_null(strstr(text, "\"email\": \"e@x\""));
	assert_null(strstr(text, "Password"));
	assert_non_null(strstr(text, "\"X-Meta\": \"1\""));
	assert_non_null(strstr(text, "\"future\": ["));
	assert_non_null(strstr(text, "\"k\": \"v\""));

	/* Logout removes every spelling of the registry, once. */
	assert_int_equal(berth_authfile_erase(path, "myreg:5000", &err), 3);
	assert_int_equal(berth_authfile_erase(path, "myreg:5000", &err), 0);
	assert_int_equal(berth_authfile_erase(path, "docker.io", &err), 0);
	free(text);
	text = read_text(path);
	assert_null(strstr(text, "myreg"));
	assert_non_null(strstr(text, "\"other\""));

	assert_int_equal(berth_remove_tree_at(AT_FDCWD, tmp, &err), 0);
}

static void test_store_edges(void **state)
{
	(void) state;
	struct berth_error err = { 0 };
	char tmp[] = "/tmp/berth-authfile-XXXXXX";
	char path[160];
	struct stat st;
	_cleanup_free_ char *text = NULL;
	_cleanup_authfile_ struct berth_authfile *f = NULL;
	struct berth_registry_credentials c = { 0 };
	struct berth_registry_credentials in = { .username = (char *) "bob", .password = (char *) "pa:ss" };
	FILE *fp;

	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/config.json", tmp);

	/* Refusals. */
	struct berth_registry_credentials bad = { .password = (char *) "p" };
	assert_int_equal(berth_authfile_store(path, "a.com", &bad, &err), -EINVAL);
	bad.username = (char *) "a:b";
	assert_int_equal(berth_authfile_store(path, "a.com", &bad, &err), -EINVAL);
	struct berth_registry_credentials none = { 0 };
	assert_int_equal(berth_authfile_store(path, "a.com", &none, &err), -EINVAL);

	/* Through a symlink: the target is replaced, the link stays. */
	char target[200], link[200];
	snprintf(target, sizeof(target), "%s/real.json", tmp);
	snprintf(link, sizeof(link), "%s/config.json", tmp);
	fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("{\"auths\":{\"other\":{}}}", fp);
	fclose(fp);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(berth_authfile_store(link, "c.com", &in, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	text = read_text(target);
	assert_non_null(strstr(text, "\"c.com\""));
	assert_non_null(strstr(text, "\"other\""));

	/* A missing file is empty; a huge one is refused. */
	assert_int_equal(berth_authfile_load("/nonexistent/berth/config.json", &f, &err), 0);
	assert_int_equal(berth_authfile_lookup(f, "c.com", &c, &err), 0);
	berth_authfile_free(f);
	f = NULL;
	fp = fopen(target, "w");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, BERTH_AUTHFILE_MAX, SEEK_SET), 0);
	fputc(' ', fp);
	fclose(fp);
	assert_int_equal(berth_authfile_load(link, &f, &err), -EFBIG);

	assert_int_equal(berth_remove_tree_at(AT_FDCWD, tmp, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),	  cmocka_unit_test(test_keys),	     cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_helpers),	  cmocka_unit_test(test_malformed), cmocka_unit_test(test_store_erase),
		cmocka_unit_test(test_store_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
