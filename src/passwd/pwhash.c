/*
 * pwhash - Dovecot auth-policy password fingerprints (see pwhash.h).
 * Digests come from OpenSSL's EVP interface; the intermediate buffer holding
 * the password is wiped before returning.
 */
#include "pwhash.h"

#include <openssl/evp.h>
#include <string.h>

static const struct {
    const char *name;
    enum pwhash_mech mech;
    unsigned bits;
} mechs[] = {
    {"md5", PWHASH_MD5, 128},           {"sha1", PWHASH_SHA1, 160},
    {"sha256", PWHASH_SHA256, 256},     {"sha384", PWHASH_SHA384, 384},
    {"sha512", PWHASH_SHA512, 512},     {"sha3-256", PWHASH_SHA3_256, 256},
    {"sha3-512", PWHASH_SHA3_512, 512},
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

int pwhash_mech_parse(const char *name, enum pwhash_mech *out)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (strcmp(mechs[i].name, name) == 0) {
            *out = mechs[i].mech;
            return 0;
        }
    return -1;
}

const char *pwhash_mech_name(enum pwhash_mech mech)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (mechs[i].mech == mech)
            return mechs[i].name;
    return "?";
}

unsigned pwhash_digest_bits(enum pwhash_mech mech)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (mechs[i].mech == mech)
            return mechs[i].bits;
    return 0;
}

static const EVP_MD *evp_of(enum pwhash_mech mech)
{
    switch (mech) {
    case PWHASH_MD5: return EVP_md5();
    case PWHASH_SHA1: return EVP_sha1();
    case PWHASH_SHA256: return EVP_sha256();
    case PWHASH_SHA384: return EVP_sha384();
    case PWHASH_SHA512: return EVP_sha512();
    case PWHASH_SHA3_256: return EVP_sha3_256();
    case PWHASH_SHA3_512: return EVP_sha3_512();
    }
    return NULL;
}

size_t pwhash_truncate(unsigned char *buf, size_t len, unsigned bits)
{
    if (bits == 0 || (size_t)bits >= len * 8)
        return len;
    size_t bytes = (bits + 7) / 8;
    unsigned rem = bits % 8;
    if (rem) {
        /* right shift the kept bytes by 8 - rem over the array */
        for (size_t i = bytes - 1; i > 0; i--)
            buf[i] = (unsigned char)((buf[i] >> (8 - rem)) | ((buf[i - 1] & (0xffu >> rem)) << rem));
        buf[0] = (unsigned char)(buf[0] >> (8 - rem));
    }
    return bytes;
}

int pwhash_raw(enum pwhash_mech mech, const char *nonce, const char *user,
               const char *password, size_t password_len, unsigned bits,
               unsigned char *out)
{
    const EVP_MD *md = evp_of(mech);
    if (!md || bits > pwhash_digest_bits(mech))
        return -1;
    if (!nonce)
        nonce = "";
    if (!user)
        user = "";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    unsigned int dlen = 0;
    int ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
             EVP_DigestUpdate(ctx, nonce, strlen(nonce)) == 1 &&
             EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 && /* with its NUL */
             EVP_DigestUpdate(ctx, password, password_len) == 1 &&
             EVP_DigestFinal_ex(ctx, out, &dlen) == 1;
    EVP_MD_CTX_free(ctx); /* OpenSSL cleanses the context */
    if (!ok)
        return -1;
    return (int)pwhash_truncate(out, dlen, bits);
}

int pwhash_compute(enum pwhash_mech mech, const char *nonce, const char *user,
                   const char *password, unsigned bits, char *hex_out)
{
    unsigned char raw[PWHASH_DIGEST_MAX];
    static const char hexd[] = "0123456789abcdef";
    int n = pwhash_raw(mech, nonce, user, password, password ? strlen(password) : 0, bits, raw);
    if (n < 0) {
        hex_out[0] = '\0';
        return -1;
    }
    for (int i = 0; i < n; i++) {
        hex_out[2 * i] = hexd[raw[i] >> 4];
        hex_out[2 * i + 1] = hexd[raw[i] & 15];
    }
    hex_out[2 * n] = '\0';
    return 2 * n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pwhash_from_hex(const char *hex, size_t len, unsigned char *out, size_t cap)
{
    if (len % 2 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return (int)(len / 2);
}
