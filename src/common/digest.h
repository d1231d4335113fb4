/* Content digests ("sha256:<hex>", "sha512:<hex>"), the names of everything
 * in the content store.  Hashing goes through OpenSSL's EVP interface, which
 * picks the CPU's SHA extensions when it has them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* "sha512:" + 128 hex digits + NUL */
#define BERTH_DIGEST_MAX 136

enum berth_digest_algo {
	BERTH_DIGEST_SHA256,
	BERTH_DIGEST_SHA512,
};

/* Check that s is a digest berth can verify: a supported algorithm and the
 * right number of lowercase hex digits.  On success *ret_algo (may be NULL)
 * names the algorithm. */
int berth_digest_validate(const char *s, enum berth_digest_algo *ret_algo, struct berth_error *err);

/* The hex part of a validated digest. */
const char *berth_digest_hex(const char *digest);

/* "sha256:" + the first 12 hex digits of the hex part, as docker shortens. */
void berth_digest_short(const char *digest, char out[13]);

struct berth_hasher;

int berth_hasher_new(enum berth_digest_algo algo, struct berth_hasher **ret, struct berth_error *err);
int berth_hasher_update(struct berth_hasher *h, const void *data, size_t len, struct berth_error *err);
/* Writes "algo:hex" to out; the hasher may be reset and reused afterwards. */
int berth_hasher_final(struct berth_hasher *h, char out[BERTH_DIGEST_MAX], struct berth_error *err);
int berth_hasher_reset(struct berth_hasher *h, struct berth_error *err);
void berth_hasher_free(struct berth_hasher *h);

static inline void berth_hasher_freep(struct berth_hasher **h)
{
	berth_hasher_free(*h);
}
#define _cleanup_hasher_ __attribute__((cleanup(berth_hasher_freep)))

/* One-shot digest of a buffer. */
int berth_digest_buffer(enum berth_digest_algo algo, const void *data, size_t len, char out[BERTH_DIGEST_MAX],
			struct berth_error *err);

/* The digest of everything read from fd until EOF. */
int berth_digest_fd(enum berth_digest_algo algo, int fd, char out[BERTH_DIGEST_MAX], struct berth_error *err);
