/*
 * bench_crypt - the reference for bench/run-passwd.sh: a plain loop over
 * libxcrypt's crypt_rn, libargon2's argon2_verify or OpenSSL's digest (for
 * SSHA512), the best `passwd audit` can do per core; and the generator of
 * the passwd-files the audit is timed on (fresh random salts).
 *
 *   bench_crypt gen SCHEME N PREFIX   N lines "PREFIXi@bench.example:{SCHEME}hash"
 *                                     of random 16-character passwords
 *   bench_crypt loop SCHEME N         verify N wrong guesses against one hash,
 *                                     print "SCHEME N seconds hashes/s"
 * SCHEME: SHA512-CRYPT SHA256-CRYPT BLF-CRYPT MD5-CRYPT ARGON2ID ARGON2I SSHA512
 * (Dovecot's defaults: SHA-crypt 5000 rounds, BLF-CRYPT cost 5, ARGON2 as
 * libsodium's interactive limits: t=2, m=64 MiB, p=1).
 * Build: cc -O2 bench/bench_crypt.c -o bench_crypt -lcrypt -largon2 -lcrypto
 */
#include <argon2.h>
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct crypt_data cd;

static void random_pw(char *out, size_t n)
{
    static const char cs[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+";
    unsigned char r[64];
    RAND_bytes(r, (int)n);
    for (size_t i = 0; i < n; i++)
        out[i] = cs[r[i] % (sizeof(cs) - 1)];
    out[n] = '\0';
}

static int b64(const unsigned char *in, int n, char *out)
{
    return EVP_EncodeBlock((unsigned char *)out, in, n);
}

/* hash - the stored form of pw under scheme into out; 0 or -1 */
static int hash(const char *scheme, const char *pw, char *out, size_t cap)
{
    const char *prefix = NULL;
    unsigned long count = 0;
    if (!strcmp(scheme, "SHA512-CRYPT")) prefix = "$6$";
    else if (!strcmp(scheme, "SHA256-CRYPT")) prefix = "$5$";
    else if (!strcmp(scheme, "BLF-CRYPT")) prefix = "$2y$", count = 5;
    else if (!strcmp(scheme, "MD5-CRYPT")) prefix = "$1$";
    if (prefix) {
        char setting[CRYPT_GENSALT_OUTPUT_SIZE];
        if (!crypt_gensalt_rn(prefix, count, NULL, 0, setting, sizeof(setting)))
            return -1;
        const char *h = crypt_rn(pw, setting, &cd, sizeof(cd));
        if (!h || h[0] == '*')
            return -1;
        snprintf(out, cap, "%s", h);
        return 0;
    }
    if (!strcmp(scheme, "ARGON2ID") || !strcmp(scheme, "ARGON2I")) {
        unsigned char salt[16];
        RAND_bytes(salt, sizeof(salt));
        argon2_type t = !strcmp(scheme, "ARGON2ID") ? Argon2_id : Argon2_i;
        return argon2_hash(2, 65536, 1, pw, strlen(pw), salt, sizeof(salt), NULL, 32, out, cap, t,
                           ARGON2_VERSION_13) == ARGON2_OK ? 0 : -1;
    }
    if (!strcmp(scheme, "SSHA512")) {
        unsigned char buf[256], d[64 + 8];
        unsigned int dl;
        size_t n = strlen(pw);
        memcpy(buf, pw, n);
        RAND_bytes(d + 64, 8);
        memcpy(buf + n, d + 64, 8);
        EVP_Digest(buf, n + 8, d, &dl, EVP_sha512(), NULL);
        b64(d, 72, out);
        return 0;
    }
    return -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_crypt gen SCHEME N PREFIX | loop SCHEME N\n");
        return 2;
    }
    const char *scheme = argv[2];
    long n = atol(argv[3]);
    char pw[32], h[512];
    if (!strcmp(argv[1], "gen") && argc >= 5) {
        for (long i = 0; i < n; i++) {
            random_pw(pw, 16);
            if (hash(scheme, pw, h, sizeof(h)) < 0) {
                fprintf(stderr, "bench_crypt: cannot hash %s\n", scheme);
                return 1;
            }
            printf("%s%ld@bench.example:{%s}%s\n", argv[4], i, scheme, h);
        }
        return 0;
    }
    if (strcmp(argv[1], "loop") != 0)
        return 2;
    random_pw(pw, 16);
    if (hash(scheme, pw, h, sizeof(h)) < 0)
        return 1;
    argon2_type t = !strcmp(scheme, "ARGON2I") ? Argon2_i : Argon2_id;
    int is_argon = !strncmp(scheme, "ARGON2", 6), is_ssha = !strcmp(scheme, "SSHA512");
    unsigned char raw[80];
    if (is_ssha)
        EVP_DecodeBlock(raw, (const unsigned char *)h, (int)strlen(h));
    long matched = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        char guess[32];
        snprintf(guess, sizeof(guess), "benchguess%ld", i + 1); /* the audit's list */
        if (is_argon) {
            matched += argon2_verify(h, guess, strlen(guess), t) == ARGON2_OK;
        } else if (is_ssha) {
            unsigned char buf[64], d[64];
            unsigned int dl;
            size_t gl = strlen(guess);
            memcpy(buf, guess, gl);
            memcpy(buf + gl, raw + 64, 8);
            EVP_Digest(buf, gl + 8, d, &dl, EVP_sha512(), NULL);
            matched += memcmp(d, raw, 64) == 0;
        } else {
            const char *r = crypt_rn(guess, h, &cd, sizeof(cd));
            matched += r && strcmp(r, h) == 0;
        }
    }
    double el = now() - t0;
    printf("%s %ld %.3f %.1f\n", scheme, n, el, (double)n / el);
    return matched != 0;
}
