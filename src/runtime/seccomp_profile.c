#include "seccomp_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth-config.h"
#include "cleanup.h"
#include "fdpass.h"
#include "json.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const struct {
	const char *name;
	uint32_t action;
	bool takes_errno;
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* OCI names -> libseccomp's. */
static const struct {
	const char *oci, *libseccomp;
} archs[] = {
	{ "SCMP_ARCH_X86", "x86" },		{ "SCMP_ARCH_X86_64", "x86_64" },
	{ "SCMP_ARCH_X32", "x32" },		{ "SCMP_ARCH_ARM", "arm" },
	{ "SCMP_ARCH_AARCH64", "aarch64" },	{ "SCMP_ARCH_MIPS", "mips" },
	{ "SCMP_ARCH_MIPS64", "mips64" },	{ "SCMP_ARCH_MIPS64N32", "mips64n32" },
	{ "SCMP_ARCH_MIPSEL", "mipsel" },	{ "SCMP_ARCH_MIPSEL64", "mipsel64" },
	{ "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" }, { "SCMP_ARCH_PPC", "ppc" },
	{ "SCMP_ARCH_PPC64", "ppc64" },		{ "SCMP_ARCH_PPC64LE", "ppc64le" },
	{ "SCMP_ARCH_S390", "s390" },		{ "SCMP_ARCH_S390X", "s390x" },
	{ "SCMP_ARCH_PARISC", "parisc" },	{ "SCMP_ARCH_PARISC64", "parisc64" },
	{ "SCMP_ARCH_RISCV64", "riscv64" },	{ "SCMP_ARCH_LOONGARCH64", "loongarch64" },
	{ "SCMP_ARCH_M68K", "m68k" },		{ "SCMP_ARCH_SH", "sh" },
	{ "SCMP_ARCH_SHEB", "sheb" },
};

static const struct {
	const char *name;
	unsigned flag;
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", 0 }, /* one thread: nothing to synchronise */
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static int find_action(const char *name)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			return (int) i;
	return -1;
}

static int check_action(json_t *obj, const char *path, const char *action_key, const char *errno_key,
			struct berth_error *err)
{
	const char *name;
	int64_t e;
	int r, a;

	if ((r = bjson_get_string(obj, path, action_key, true, &name, err)) < 0)
		return r;
	a = find_action(name);
	if (a < 0)
		return berth_error_set(err, EINVAL, "%s.%s: unknown action \"%s\"", path, action_key, name);
	r = bjson_get_int(obj, path, errno_key, false, 0, 4095, &e, err);
	if (r < 0)
		return r;
	if (r > 0 && !actions[a].takes_errno)
		return berth_error_set(err, EINVAL, "%s.%s: %s does not take an errno", path, errno_key, name);
	return 0;
}

static int check_syscall(json_t *sc, const char *path, struct berth_error *err)
{
	_cleanup_free_ const char **names = NULL;
	json_t *args, *arg;
	size_t i;
	int r;

	if (!json_is_object(sc))
		return berth_error_set(err, EINVAL, "%s: must be an object", path);
	if ((r = bjson_get_strv(sc, path, "names", true, true, &names, NULL, err)) < 0 ||
	    (r = check_action(sc, path, "action", "errnoRet", err)) < 0)
		return r;
	r = bjson_get_array(sc, path, "args", false, &args, err);
	if (r <= 0)
		return r;
	json_array_foreach (args, i, arg) {
		char apath[BJSON_PATH_MAX], base[BJSON_PATH_MAX];
		const char *op;
		uint64_t v;
		int64_t index;
		size_t k;

		bjson_path_key(base, path, "args");
		bjson_path_index(apath, base, i);
		if (!json_is_object(arg))
			return berth_error_set(err, EINVAL, "%s: must be an object", apath);
		if ((r = bjson_get_int(arg, apath, "index", true, 0, 5, &index, err)) < 0 ||
		    (r = bjson_get_uint64(arg, apath, "value", true, &v, err)) < 0 ||
		    (r = bjson_get_uint64(arg, apath, "valueTwo", false, &v, err)) < 0 ||
		    (r = bjson_get_string(arg, apath, "op", true, &op, err)) < 0)
			return r;
		for (k = 0; k < BERTH_ARRAY_SIZE(operators); k++)
			if (strcmp(operators[k].name, op) == 0)
				break;
		if (k == BERTH_ARRAY_SIZE(operators))
			return berth_error_set(err, EINVAL, "%s.op: unknown operator \"%s\"", apath, op);
	}
	return 0;
}

int berth_seccomp_validate(json_t *s, const char *path, struct berth_error *err)
{
	_cleanup_free_ const char **arch = NULL, **flag = NULL;
	const char *listener = NULL, *metadata = NULL;
	json_t *syscalls, *sc;
	size_t n, i;
	int r;

	if ((r = check_action(s, path, "defaultAction", "defaultErrnoRet", err)) < 0 ||
	    (r = bjson_get_strv(s, path, "architectures", false, false, &arch, &n, err)) < 0)
		return r;
	for (i = 0; arch && i < n; i++) {
		size_t k;
		for (k = 0; k < BERTH_ARRAY_SIZE(archs); k++)
			if (strcmp(archs[k].oci, arch[i]) == 0)
				break;
		if (k == BERTH_ARRAY_SIZE(archs))
			return berth_error_set(err, EINVAL, "%s.architectures[%zu]: unknown architecture \"%s\"", path, i,
					       arch[i]);
	}
	if ((r = bjson_get_strv(s, path, "flags", false, false, &flag, &n, err)) < 0)
		return r;
	for (i = 0; flag && i < n; i++) {
		size_t k;
		for (k = 0; k < BERTH_ARRAY_SIZE(filter_flags); k++)
			if (strcmp(filter_flags[k].name, flag[i]) == 0)
				break;
		if (k == BERTH_ARRAY_SIZE(filter_flags))
			return berth_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"", path, i, flag[i]);
	}
	if ((r = bjson_get_string(s, path, "listenerPath", false, &listener, err)) < 0 ||
	    (r = bjson_get_string(s, path, "listenerMetadata", false, &metadata, err)) < 0)
		return r;
	if (metadata && !listener)
		return berth_error_set(err, EINVAL, "%s.listenerMetadata: needs listenerPath", path);
	if (berth_seccomp_uses_notify(s) && (listener == NULL || listener[0] == '\0'))
		return berth_error_set(err, EINVAL, "%s: SCMP_ACT_NOTIFY needs listenerPath", path);
	r = bjson_get_array(s, path, "syscalls", false, &syscalls, err);
	if (r <= 0)
		return r;
	json_array_foreach (syscalls, i, sc) {
		char spath[BJSON_PATH_MAX], base[BJSON_PATH_MAX];
		bjson_path_key(base, path, "syscalls");
		bjson_path_index(spath, base, i);
		if ((r = check_syscall(sc, spath, err)) < 0)
			return r;
	}
	return 0;
}

bool berth_seccomp_uses_notify(json_t *s)
{
	json_t *syscalls = json_object_get(s, "syscalls"), *sc;
	size_t i;

	if (json_is_string(json_object_get(s, "defaultAction")) &&
	    strcmp(json_string_value(json_object_get(s, "defaultAction")), "SCMP_ACT_NOTIFY") == 0)
		return true;
	json_array_foreach (syscalls, i, sc) {
		json_t *a = json_object_get(sc, "action");
		if (json_is_string(a) && strcmp(json_string_value(a), "SCMP_ACT_NOTIFY") == 0)
			return true;
	}
	return false;
}

unsigned berth_seccomp_flags(json_t *s)
{
	json_t *list = json_object_get(s, "flags"), *f;
	unsigned out = 0;
	size_t i;

	json_array_foreach (list, i, f)
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(filter_flags); k++)
			if (json_is_string(f) && strcmp(filter_flags[k].name, json_string_value(f)) == 0)
				out |= filter_flags[k].flag;
	return out;
}

/* An action with its errno (validated already). */
static uint32_t action_of(json_t *obj, const char *action_key, const char *errno_key)
{
	int a = find_action(json_string_value(json_object_get(obj, action_key)));
	json_t *e = json_object_get(obj, errno_key);
	uint32_t eno = EPERM; /* the spec's default errno */

	if (json_is_integer(e))
		eno = (uint32_t) json_integer_value(e);
	if (a < 0)
		return SCMP_ACT_KILL_THREAD;
	if (actions[a].action == SCMP_ACT_ERRNO(0))
		return SCMP_ACT_ERRNO(eno);
	if (actions[a].action == SCMP_ACT_TRACE(0))
		return SCMP_ACT_TRACE(eno);
	return actions[a].action;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, json_t *args, const char *name,
		    struct berth_error *err)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;
	size_t n = json_array_size(args), i;
	json_t *arg;
	int r;

	if (n > 6)
		return berth_error_set(err, EINVAL, "linux.seccomp: %s: more than 6 argument conditions", name);
	json_array_foreach (args, i, arg) {
		const char *op = json_string_value(json_object_get(arg, "op"));
		struct berth_error ignored;
		uint64_t value = 0, two = 0;

		cmp[i].arg = (unsigned) json_integer_value(json_object_get(arg, "index"));
		bjson_as_uint64(json_object_get(arg, "value"), "value", &value, &ignored);
		if (json_object_get(arg, "valueTwo"))
			bjson_as_uint64(json_object_get(arg, "valueTwo"), "valueTwo", &two, &ignored);
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(operators); k++)
			if (strcmp(operators[k].name, op) == 0)
				cmp[i].op = operators[k].op;
		cmp[i].datum_a = value;
		cmp[i].datum_b = two;
		for (size_t j = 0; j < i; j++)
			repeated = repeated || cmp[j].arg == cmp[i].arg;
	}
	/* libseccomp cannot AND two conditions on one argument: such rules
	 * mean "any of them" and become one rule each, as in runc. */
	/* Not the "exact" variant: libseccomp translates the call for each
	 * listed architecture (socketcall multiplexing on x86, say). */
	if (repeated) {
		for (i = 0; i < n; i++)
			if ((r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i])) < 0 && r != -EEXIST)
				return berth_error_sys(err, -r, "linux.seccomp: add a rule for %s", name);
		return 0;
	}
	r = seccomp_rule_add_array(ctx, action, nr, (unsigned) n, cmp);
	if (r < 0 && r != -EEXIST)
		return berth_error_sys(err, -r, "linux.seccomp: add a rule for %s", name);
	return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, json_t *s, uint32_t default_action, struct berth_error *err)
{
	json_t *syscalls = json_object_get(s, "syscalls"), *sc;
	size_t i;
	int r;

	json_array_foreach (syscalls, i, sc) {
		uint32_t action = action_of(sc, "action", "errnoRet");
		json_t *names = json_object_get(sc, "names"), *name;
		size_t k;

		/* A rule whose action is the default adds nothing (and libseccomp refuses it). */
		if (action == default_action)
			continue;
		json_array_foreach (names, k, name) {
			int nr = seccomp_syscall_resolve_name(json_string_value(name));
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown to this libseccomp: skipped, as runc does */
			if ((r = add_rule(ctx, action, nr, json_object_get(sc, "args"), json_string_value(name), err)) < 0)
				return r;
		}
	}
	return 0;
}

int berth_seccomp_compile(json_t *s, int *ret_memfd, struct berth_error *err)
{
	json_t *arch_list = json_object_get(s, "architectures"), *a;
	uint32_t default_action;
	scmp_filter_ctx ctx;
	int memfd = -1, r;
	size_t i;

	default_action = action_of(s, "defaultAction", "defaultErrnoRet");
	ctx = seccomp_init(default_action);
	if (ctx == NULL)
		return berth_error_set(err, EINVAL, "linux.seccomp: libseccomp refused the default action");
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary tree of syscalls: large profiles (docker's has ~350
	 * calls) are then O(log n) per syscall instead of a linear scan. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	json_array_foreach (arch_list, i, a) {
		for (size_t k = 0; k < BERTH_ARRAY_SIZE(archs); k++) {
			uint32_t arch;
			if (strcmp(archs[k].oci, json_string_value(a)) != 0)
				continue;
			arch = seccomp_arch_resolve_name(archs[k].libseccomp);
			if (arch && (r = seccomp_arch_add(ctx, arch)) < 0 && r != -EEXIST) {
				r = berth_error_sys(err, -r, "linux.seccomp.architectures[%zu]: add %s", i, archs[k].oci);
				goto out;
			}
		}
	}
	if ((r = add_syscalls(ctx, s, default_action, err)) < 0)
		goto out;
	memfd = memfd_create("berth-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0) {
		r = berth_error_sys(err, errno, "linux.seccomp: memfd_create");
		goto out;
	}
	if ((r = seccomp_export_bpf(ctx, memfd)) < 0) {
		r = berth_error_sys(err, -r, "linux.seccomp: export the filter");
		goto out;
	}
	fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	*ret_memfd = memfd;
	memfd = -1;
	r = 0;
out:
	if (memfd >= 0)
		close(memfd);
	seccomp_release(ctx);
	return r;
}

int berth_seccomp_program_read(int memfd, json_t *s, struct berth_seccomp_program *p, struct berth_error *err)
{
	struct stat st;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (fstat(memfd, &st) < 0)
		return berth_error_sys(err, errno, "seccomp: stat the filter");
	if (st.st_size <= 0 || st.st_size % (off_t) sizeof(struct sock_filter) != 0 ||
	    st.st_size / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_error_set(err, E2BIG, "seccomp: the filter has %lld bytes: not a program the kernel takes",
				       (long long) st.st_size);
	p->filter = malloc((size_t) st.st_size);
	if (p->filter == NULL)
		return berth_error_sys(err, ENOMEM, "seccomp");
	n = pread(memfd, p->filter, (size_t) st.st_size, 0);
	if (n != st.st_size) {
		berth_seccomp_program_release(p);
		return berth_error_sys(err, errno ? errno : EIO, "seccomp: read the filter");
	}
	p->len = (unsigned short) (st.st_size / (off_t) sizeof(struct sock_filter));
	p->flags = berth_seccomp_flags(s);
	p->notify = berth_seccomp_uses_notify(s);
	return 0;
}

void berth_seccomp_program_release(struct berth_seccomp_program *p)
{
	free(p->filter);
	p->filter = NULL;
}

int berth_seccomp_load(const struct berth_seccomp_program *p, int *ret_listener, struct berth_error *err)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->filter };
	unsigned flags = p->flags | (p->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
	long r;

	*ret_listener = -1;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0 && errno == EINVAL && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
		return berth_error_sys(err, errno,
				       "load the seccomp filter (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs Linux 5.19)");
	if (r < 0)
		return berth_error_sys(err, errno, "load the seccomp filter");
	if (p->notify)
		*ret_listener = (int) r;
	return 0;
}

int berth_seccomp_send_listener(int sock, int listener, pid_t pid, json_t *s, json_t *state,
				struct berth_error *err)
{
	_cleanup_json_ json_t *msg = NULL;
	_cleanup_free_ char *text = NULL;
	json_t *metadata = json_object_get(s, "listenerMetadata");

	msg = json_pack("{s:s, s:[s], s:i, s:O}", "ociVersion", BERTH_OCI_VERSION, "fds", "seccompFd", "pid", (int) pid,
			"state", state);
	if (msg && json_is_string(metadata))
		json_object_set(msg, "metadata", metadata);
	text = msg ? bjson_dump(msg) : NULL;
	if (text == NULL)
		return berth_error_sys(err, ENOMEM, "seccomp: encode the container process state");
	if (berth_send_fd(sock, listener, text, strlen(text), err) < 0)
		return berth_error_wrap(err, "seccomp: send the notification fd to linux.seccomp.listenerPath");
	return 0;
}
