/* The device controller of cgroup v2 is an eBPF program attached to the
 * cgroup (BPF_PROG_TYPE_CGROUP_DEVICE): it sees each access as (type,
 * access, major, minor) and answers 1 (allow) or 0 (deny).
 *
 * The rules keep their v1 meaning: the config's rules in order, then the
 * default devices; the last rule that matches decides, and nothing matching
 * means deny.  So the program tests the rules from the last to the first
 * and returns at the first match. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define AND32_IMM(dst, imm) INSN(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) INSN(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5, R6, R7 };

struct program {
	struct bpf_insn *insns;
	size_t n, cap;
};

static int emit(struct program *p, struct bpf_insn insn)
{
	if (p->n == p->cap) {
		struct bpf_insn *n = realloc(p->insns, (p->cap = p->cap ? p->cap * 2 : 64) * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		p->insns = n;
	}
	p->insns[p->n++] = insn;
	return 0;
}

static int access_mask(const char *access)
{
	int m = 0;

	if (strchr(access, 'm'))
		m |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(access, 'r'))
		m |= BPF_DEVCG_ACC_READ;
	if (strchr(access, 'w'))
		m |= BPF_DEVCG_ACC_WRITE;
	return m;
}

/* One rule: a run of "skip to the next rule unless it matches" tests, then
 * return allow or deny. */
static int emit_rule(struct program *p, const struct berth_device_rule *d)
{
	struct bpf_insn block[8];
	size_t k = 0;
	int mask = access_mask(d->access), r;

	if (d->type != 'a')
		block[k++] = JNE_IMM(R3, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	if (mask != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
		/* Matches only when every requested access is in the rule. */
		block[k++] = MOV32_REG(R7, R4);
		block[k++] = AND32_IMM(R7, ~mask & 7);
		block[k++] = JNE_IMM(R7, 0, 0);
	}
	if (d->major >= 0)
		block[k++] = JNE_IMM(R5, (int32_t) d->major, 0);
	if (d->minor >= 0)
		block[k++] = JNE_IMM(R6, (int32_t) d->minor, 0);
	block[k++] = MOV64_IMM(R0, d->allow ? 1 : 0);
	block[k++] = EXIT();
	for (size_t i = 0; i < k; i++) {
		if (block[i].code == (BPF_JMP | BPF_JNE | BPF_K))
			block[i].off = (int16_t) (k - i - 1);
		if ((r = emit(p, block[i])) < 0)
			return r;
	}
	return 0;
}

/* A rule that matches every access: nothing after it is reachable. */
static bool matches_everything(const struct berth_device_rule *d)
{
	return d->type == 'a' && d->major < 0 && d->minor < 0 && access_mask(d->access) == 7;
}

static int build(struct program *p, const struct berth_device_rule *rules, size_t n)
{
	static const struct bpf_insn prologue[] = {
		LDX_W(R2, R1, 0),	   /* access_type: access << 16 | type */
		MOV32_REG(R3, R2), AND32_IMM(R3, 0xffff), /* type */
		MOV32_REG(R4, R2), RSH32_IMM(R4, 16),	  /* access */
		LDX_W(R5, R1, 4),			  /* major */
		LDX_W(R6, R1, 8),			  /* minor */
	};
	size_t total = n + berth_n_default_device_rules;
	int r;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(prologue); i++)
		if ((r = emit(p, prologue[i])) < 0)
			return r;
	for (size_t i = total; i-- > 0;) {
		const struct berth_device_rule *d = i < n ? &rules[i] : &berth_default_device_rules[i - n];
		if ((r = emit_rule(p, d)) < 0)
			return r;
		/* The verifier refuses unreachable instructions: stop here. */
		if (matches_everything(d))
			return 0;
	}
	if ((r = emit(p, MOV64_IMM(R0, 0))) < 0 || (r = emit(p, EXIT())) < 0)
		return r;
	return 0;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Detach the programs that were there before ours (an `update`). */
static void detach_others(int cgfd, int keep_fd)
{
	uint32_t ids[64];
	union bpf_attr q = { 0 };
	struct bpf_prog_info keep = { 0 };
	union bpf_attr info = { 0 };

	info.info.bpf_fd = (uint32_t) keep_fd;
	info.info.info_len = sizeof(keep);
	info.info.info = (uint64_t) (uintptr_t) &keep;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &info) < 0)
		return;
	q.query.target_fd = (uint32_t) cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t) (uintptr_t) ids;
	q.query.prog_cnt = BERTH_ARRAY_SIZE(ids);
	if (bpf(BPF_PROG_QUERY, &q) < 0)
		return;
	for (uint32_t i = 0; i < q.query.prog_cnt; i++) {
		union bpf_attr get = { 0 }, det = { 0 };
		int fd;

		if (ids[i] == keep.id)
			continue;
		get.prog_id = ids[i];
		fd = (int) bpf(BPF_PROG_GET_FD_BY_ID, &get);
		if (fd < 0)
			continue;
		det.target_fd = (uint32_t) cgfd;
		det.attach_bpf_fd = (uint32_t) fd;
		det.attach_type = BPF_CGROUP_DEVICE;
		bpf(BPF_PROG_DETACH, &det);
		close(fd);
	}
}

int berth_cgroup_v2_devices(const char *dir, const struct berth_device_rule *rules, size_t n,
			    struct berth_error *err)
{
	struct program p = { 0 };
	_cleanup_close_ int cgfd = -1, progfd = -1;
	union bpf_attr load = { 0 }, attach = { 0 };
	int r;

	r = build(&p, rules, n);
	if (r < 0) {
		free(p.insns);
		return berth_error_sys(err, -r, "build the device filter");
	}
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t) (uintptr_t) p.insns;
	load.insn_cnt = (uint32_t) p.n;
	load.license = (uint64_t) (uintptr_t) "Apache-2.0";
	/* No verifier log: a log that does not fit fails the load (ENOSPC)
	 * even when the program is fine.  Ask for one only to explain a
	 * refusal. */
	progfd = (int) bpf(BPF_PROG_LOAD, &load);
	if (progfd < 0 && (errno == EACCES || errno == EINVAL)) {
		_cleanup_free_ char *log = calloc(1, 1 << 16);
		int saved = errno;
		if (log) {
			load.log_buf = (uint64_t) (uintptr_t) log;
			load.log_size = 1 << 16;
			load.log_level = 1;
			bpf(BPF_PROG_LOAD, &load);
		}
		free(p.insns);
		return berth_error_set(err, saved, "load the device filter program: %s: %.300s", strerror(saved),
				       log ? log : "");
	}
	free(p.insns);
	if (progfd < 0)
		return berth_error_sys(err, errno, "load the device filter program (is BPF available?)");
	cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return berth_error_sys(err, errno, "open cgroup %s", dir);
	attach.target_fd = (uint32_t) cgfd;
	attach.attach_bpf_fd = (uint32_t) progfd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attach) < 0)
		return berth_error_sys(err, errno, "attach the device filter to %s", dir);
	detach_others(cgfd, progfd);
	return 0;
}
