#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

struct berth_hasher {
	EVP_MD_CTX *ctx;
	enum berth_digest_algo algo;
};

static const struct {
	const char *name;
	size_t hex_len;
} algos[] = {
	[BERTH_DIGEST_SHA256] = { "sha256", 64 },
	[BERTH_DIGEST_SHA512] = { "sha512", 128 },
};

static const EVP_MD *algo_md(enum berth_digest_algo algo)
{
	return algo == BERTH_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

int berth_digest_validate(const char *s, enum berth_digest_algo *ret_algo, struct berth_error *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	if (!colon)
		return berth_error_set(err, EINVAL, "invalid digest \"%s\": want algorithm:hex", s ? s : "");
	size_t name_len = (size_t) (colon - s);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(algos); i++) {
		if (strlen(algos[i].name) != name_len || memcmp(s, algos[i].name, name_len) != 0)
			continue;
		const char *hex = colon + 1;
		size_t n = strlen(hex);
		if (n != algos[i].hex_len || strspn(hex, "0123456789abcdef") != n)
			return berth_error_set(err, EINVAL, "invalid digest \"%.*s\": %s wants %zu lowercase hex digits",
					       200, s, algos[i].name, algos[i].hex_len);
		if (ret_algo)
			*ret_algo = (enum berth_digest_algo) i;
		return 0;
	}
	return berth_error_set(err, EINVAL, "unsupported digest algorithm \"%.*s\" (want sha256 or sha512)",
			       (int) (name_len > 32 ? 32 : name_len), s);
}

const char *berth_digest_hex(const char *digest)
{
	const char *colon = strchr(digest, ':');
	return colon ? colon + 1 : digest;
}

void berth_digest_short(const char *digest, char out[13])
{
	snprintf(out, 13, "%s", berth_digest_hex(digest));
}

int berth_hasher_new(enum berth_digest_algo algo, struct berth_hasher **ret, struct berth_error *err)
{
	struct berth_hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return berth_error_sys(err, ENOMEM, "allocate hasher");
	h->algo = algo;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, algo_md(algo), NULL) != 1) {
		berth_hasher_free(h);
		return berth_error_set(err, ENOMEM, "initialise %s hasher", algos[algo].name);
	}
	*ret = h;
	return 0;
}

int berth_hasher_update(struct berth_hasher *h, const void *data, size_t len, struct berth_error *err)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return berth_error_set(err, EIO, "%s update failed", algos[h->algo].name);
	return 0;
}

int berth_hasher_final(struct berth_hasher *h, char out[BERTH_DIGEST_MAX], struct berth_error *err)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int raw_len = 0;
	if (EVP_DigestFinal_ex(h->ctx, raw, &raw_len) != 1)
		return berth_error_set(err, EIO, "%s final failed", algos[h->algo].name);
	static const char hexdigits[] = "0123456789abcdef";
	size_t n = (size_t) snprintf(out, BERTH_DIGEST_MAX, "%s:", algos[h->algo].name);
	for (unsigned int i = 0; i < raw_len && n + 2 < BERTH_DIGEST_MAX; i++) {
		out[n++] = hexdigits[raw[i] >> 4];
		out[n++] = hexdigits[raw[i] & 0xf];
	}
	out[n] = '\0';
	return berth_hasher_reset(h, err);
}

int berth_hasher_reset(struct berth_hasher *h, struct berth_error *err)
{
	if (EVP_DigestInit_ex(h->ctx, algo_md(h->algo), NULL) != 1)
		return berth_error_set(err, EIO, "reset %s hasher", algos[h->algo].name);
	return 0;
}

void berth_hasher_free(struct berth_hasher *h)
{
	if (!h)
		return;
	int saved = errno;
	EVP_MD_CTX_free(h->ctx);
	free(h);
	errno = saved;
}

int berth_digest_buffer(enum berth_digest_algo algo, const void *data, size_t len, char out[BERTH_DIGEST_MAX],
			struct berth_error *err)
{
	_cleanup_hasher_ struct berth_hasher *h = NULL;
	int r = berth_hasher_new(algo, &h, err);
	if (r < 0)
		return r;
	r = berth_hasher_update(h, data, len, err);
	if (r < 0)
		return r;
	return berth_hasher_final(h, out, err);
}

int berth_digest_fd(enum berth_digest_algo algo, int fd, char out[BERTH_DIGEST_MAX], struct berth_error *err)
{
	_cleanup_hasher_ struct berth_hasher *h = NULL;
	int r = berth_hasher_new(algo, &h, err);
	if (r < 0)
		return r;
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_sys(err, errno, "read for digest");
		if (n == 0)
			break;
		r = berth_hasher_update(h, buf, (size_t) n, err);
		if (r < 0)
			return r;
	}
	return berth_hasher_final(h, out, err);
}
