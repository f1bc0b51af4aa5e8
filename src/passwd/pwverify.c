/*
 * pwverify - one guess against one stored hash (pwverify.h).
 */
#include "pwverify.h"

#include "../util/xalloc.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define GUESS_MAX 1024

struct pwverify {
    struct crypt_data cd;
    char guess[GUESS_MAX + 1];
    unsigned char buf[GUESS_MAX + PWFILE_HASH_MAX];
    char err[160];
};

struct pwverify *pwverify_create(void) { return xcalloc(1, sizeof(struct pwverify)); }

void pwverify_free(struct pwverify *v)
{
    if (!v)
        return;
    explicit_bzero(v, sizeof(*v));
    free(v);
}

const char *pwverify_error(const struct pwverify *v) { return v->err; }

static const EVP_MD *md_of(enum pwscheme s)
{
    switch (s) {
    case PWS_SSHA512: case PWS_SHA512: return EVP_sha512();
    case PWS_SSHA256: case PWS_SHA256: return EVP_sha256();
    case PWS_SSHA: case PWS_SHA1: return EVP_sha1();
    case PWS_SMD5: case PWS_MD5: return EVP_md5();
    default: return NULL;
    }
}

int pwverify_check(struct pwverify *v, const struct pwentry *e, const char *guess, size_t len)
{
    if (len > GUESS_MAX)
        return 0;
    switch (e->scheme) {
    case PWS_SHA512_CRYPT: case PWS_SHA256_CRYPT: case PWS_BLF_CRYPT: case PWS_MD5_CRYPT:
    case PWS_DES_CRYPT: {
        memcpy(v->guess, guess, len);
        v->guess[len] = '\0';
        if (memchr(guess, '\0', len)) /* crypt cannot take a NUL */
            return 0;
        const char *h = crypt_rn(v->guess, e->hash, &v->cd, (int)sizeof(v->cd));
        explicit_bzero(v->guess, len);
        if (!h || h[0] == '*') {
            snprintf(v->err, sizeof(v->err), "crypt() refused the %s hash", pwfile_scheme_name(e->scheme));
            return -1;
        }
        return strcmp(h, e->hash) == 0;
    }
    case PWS_ARGON2I: case PWS_ARGON2ID: {
        int rc = argon2_verify(e->hash, guess, len, e->scheme == PWS_ARGON2I ? Argon2_i : Argon2_id);
        if (rc == ARGON2_OK)
            return 1;
        if (rc == ARGON2_VERIFY_MISMATCH)
            return 0;
        snprintf(v->err, sizeof(v->err), "argon2: %s", argon2_error_message(rc));
        return -1;
    }
    case PWS_PLAIN:
        return len == e->hash_len && CRYPTO_memcmp(guess, e->hash, len) == 0;
    case PWS_NOPASSWORD:
        return 0;
    default: {
        const EVP_MD *md = md_of(e->scheme);
        if (!md) {
            snprintf(v->err, sizeof(v->err), "no digest for %s", pwfile_scheme_name(e->scheme));
            return -1;
        }
        size_t salt = e->raw_len - e->digest_len;
        memcpy(v->buf, guess, len);
        memcpy(v->buf + len, e->raw + e->digest_len, salt);
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        int ok = EVP_Digest(v->buf, len + salt, d, &dl, md, NULL) == 1;
        explicit_bzero(v->buf, len);
        if (!ok) {
            snprintf(v->err, sizeof(v->err), "digest failed");
            return -1;
        }
        return dl == e->digest_len && memcmp(d, e->raw, dl) == 0;
    }
    }
}
