/* Finding a static init for docker run --init (see init_binary.h). */
#include "init_binary.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define PHDRS_MAX 256

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);
	return n == (ssize_t) len ? 0 : -1;
}

/* 1 when an interpreter is asked for, 0 when not, < 0 when not ELF. */
static int has_interp(int fd)
{
	unsigned char ident[EI_NIDENT];
	if (read_at(fd, ident, sizeof(ident), 0) < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	uint64_t phoff;
	size_t phnum, phsize;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr h;
		if (read_at(fd, &h, sizeof(h), 0) < 0)
			return -ENOEXEC;
		phoff = h.e_phoff, phnum = h.e_phnum, phsize = h.e_phentsize;
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr h;
		if (read_at(fd, &h, sizeof(h), 0) < 0)
			return -ENOEXEC;
		phoff = h.e_phoff, phnum = h.e_phnum, phsize = h.e_phentsize;
	} else {
		return -ENOEXEC;
	}
	size_t want = ident[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (phnum > PHDRS_MAX || phsize < want || phoff > (uint64_t) LLONG_MAX / 2)
		return -ENOEXEC;
	for (size_t i = 0; i < phnum; i++) {
		uint32_t type; /* p_type is the first word of both layouts */
		if (read_at(fd, &type, sizeof(type), (off_t) (phoff + i * phsize)) < 0)
			return -ENOEXEC;
		if (type == PT_INTERP)
			return 1;
	}
	return 0;
}

int berth_init_binary_check(const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return berth_error_sys(err, errno, "init binary %s", path);
	if (fstat(fd, &st) < 0)
		return berth_error_sys(err, errno, "init binary %s", path);
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return berth_error_set(err, ENOEXEC, "init binary %s: not an executable file", path);
	int r = has_interp(fd);
	if (r < 0)
		return berth_error_set(err, ENOEXEC, "init binary %s: not an ELF executable", path);
	if (r == 1)
		return berth_error_set(err, ENOEXEC,
				       "init binary %s: dynamically linked, it would not run in an image without its "
				       "libraries (give a static one: tini-static, catatonit)",
				       path);
	return 0;
}

static bool try(const char *path, char **ret)
{
	struct berth_error ignored = { 0 };
	if (berth_init_binary_check(path, &ignored) < 0)
		return false;
	*ret = strdup(path);
	return *ret != NULL;
}

static bool try_in(const char *dir, size_t dir_len, const char *name, char **ret)
{
	char path[PATH_MAX];
	if (dir_len == 0 || snprintf(path, sizeof(path), "%.*s/%s", (int) dir_len, dir, name) >= (int) sizeof(path))
		return false;
	return try(path, ret);
}

int berth_init_binary_find(const char *given, char **ret, struct berth_error *err)
{
	static const char *const names[] = { "docker-init", "tini-static", "catatonit", "tini" };
	static const char *const usual = "/usr/libexec/docker:/usr/libexec/podman:/usr/local/bin:/usr/bin:/usr/sbin:/bin";
	char self[PATH_MAX];
	*ret = NULL;
	if (given) {
		int r = berth_init_binary_check(given, err);
		return r < 0 ? r : (*ret = strdup(given)) ? 0 : berth_error_sys(err, ENOMEM, "init binary");
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash && try_in(self, (size_t) (slash - self), "docker-init", ret))
			return 0;
	}
	const char *path = getenv("PATH");
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		for (int pass = 0; pass < 2; pass++) {
			const char *list = pass == 0 ? (path ? path : "") : usual;
			for (const char *p = list; *p;) {
				size_t len = strcspn(p, ":");
				if (try_in(p, len, names[i], ret))
					return 0;
				p += len + (p[len] == ':');
			}
		}
	}
	return berth_error_set(err, ENOENT,
			       "no static init binary for --init: none of docker-init, tini-static, catatonit or tini "
			       "in PATH is statically linked (install Debian's tini, or give berthd --init-path)");
}
