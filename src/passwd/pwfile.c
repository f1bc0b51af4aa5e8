/*
 * pwfile - Dovecot passwd-file line parser (pwfile.h).
 */
#include "pwfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[PWS_COUNT] = {
    [PWS_SHA512_CRYPT] = "SHA512-CRYPT", [PWS_SHA256_CRYPT] = "SHA256-CRYPT",
    [PWS_BLF_CRYPT] = "BLF-CRYPT",       [PWS_MD5_CRYPT] = "MD5-CRYPT",
    [PWS_DES_CRYPT] = "DES-CRYPT",       [PWS_ARGON2I] = "ARGON2I",
    [PWS_ARGON2ID] = "ARGON2ID",         [PWS_SSHA512] = "SSHA512",
    [PWS_SSHA256] = "SSHA256",           [PWS_SSHA] = "SSHA",
    [PWS_SMD5] = "SMD5",                 [PWS_PLAIN] = "PLAIN",
    [PWS_SHA512] = "SHA512",             [PWS_SHA256] = "SHA256",
    [PWS_SHA1] = "SHA",                  [PWS_MD5] = "PLAIN-MD5",
    [PWS_NOPASSWORD] = "NOPASSWORD",
};

const char *pwfile_scheme_name(enum pwscheme s) { return (unsigned)s < PWS_COUNT ? names[s] : "?"; }

const char *pwfile_scheme_weakness(enum pwscheme s)
{
    switch (s) {
    case PWS_PLAIN: return "plaintext: the password is stored readable";
    case PWS_SHA512: case PWS_SHA256: case PWS_SHA1: case PWS_MD5:
        return "unsalted fast hash: one guess tests every account, precomputed tables apply";
    case PWS_SSHA512: case PWS_SSHA256: case PWS_SSHA: case PWS_SMD5:
        return "salted fast hash: billions of guesses a second on a GPU";
    case PWS_MD5_CRYPT: return "MD5-CRYPT: obsolete, fast to attack";
    case PWS_DES_CRYPT: return "DES crypt: only 8 characters count, trivially cracked";
    case PWS_NOPASSWORD: return "no password needed (nopassword)";
    default: return NULL;
    }
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long pwfile_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long pwfile_hex_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = hexv((unsigned char)s[2 * i]), b = hexv((unsigned char)s[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return (long)(n / 2);
}

enum enc { ENC_AUTO, ENC_HEX, ENC_B64, ENC_NONE };

struct scheme_def {
    const char *name;
    enum pwscheme s;
    size_t digest; /* bytes, digest schemes */
    enum enc def;
};

static const struct scheme_def defs[] = {
    {"SHA512-CRYPT", PWS_SHA512_CRYPT, 0, ENC_NONE}, {"SHA256-CRYPT", PWS_SHA256_CRYPT, 0, ENC_NONE},
    {"BLF-CRYPT", PWS_BLF_CRYPT, 0, ENC_NONE},       {"MD5-CRYPT", PWS_MD5_CRYPT, 0, ENC_NONE},
    {"CRYPT", PWS_DES_CRYPT, 0, ENC_NONE},           {"DES-CRYPT", PWS_DES_CRYPT, 0, ENC_NONE},
    {"ARGON2I", PWS_ARGON2I, 0, ENC_NONE},           {"ARGON2ID", PWS_ARGON2ID, 0, ENC_NONE},
    {"SSHA512", PWS_SSHA512, 64, ENC_B64},           {"SSHA256", PWS_SSHA256, 32, ENC_B64},
    {"SSHA", PWS_SSHA, 20, ENC_B64},                 {"SMD5", PWS_SMD5, 16, ENC_B64},
    {"PLAIN", PWS_PLAIN, 0, ENC_NONE},               {"CLEAR", PWS_PLAIN, 0, ENC_NONE},
    {"CLEARTEXT", PWS_PLAIN, 0, ENC_NONE},           {"PLAINTEXT", PWS_PLAIN, 0, ENC_NONE},
    {"SHA512", PWS_SHA512, 64, ENC_AUTO},            {"SHA256", PWS_SHA256, 32, ENC_AUTO},
    {"SHA", PWS_SHA1, 20, ENC_AUTO},                 {"SHA1", PWS_SHA1, 20, ENC_AUTO},
    {"PLAIN-MD5", PWS_MD5, 16, ENC_AUTO},            {"LDAP-MD5", PWS_MD5, 16, ENC_AUTO},
    {"MD5", PWS_MD5, 16, ENC_AUTO},
};

/* the crypt(3) family from the hash's own prefix */
static int crypt_kind(const char *h, enum pwscheme *s)
{
    if (strncmp(h, "$6$", 3) == 0) *s = PWS_SHA512_CRYPT;
    else if (strncmp(h, "$5$", 3) == 0) *s = PWS_SHA256_CRYPT;
    else if (strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2a$", 4) == 0)
        *s = PWS_BLF_CRYPT;
    else if (strncmp(h, "$1$", 3) == 0) *s = PWS_MD5_CRYPT;
    else if (strncmp(h, "$argon2id$", 10) == 0) *s = PWS_ARGON2ID;
    else if (strncmp(h, "$argon2i$", 9) == 0) *s = PWS_ARGON2I;
    else if (strlen(h) == 13 && strspn(h, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == 13)
        *s = PWS_DES_CRYPT;
    else
        return -1;
    return 0;
}

/* refuse costs that would stall the audit, and malformed settings */
static int check_cost(const struct pwentry *e, char *err, size_t errlen)
{
    const char *h = e->hash;
    switch (e->scheme) {
    case PWS_BLF_CRYPT: {
        if (e->hash_len != 60 || h[6] != '$') {
            snprintf(err, errlen, "BLF-CRYPT hash is not $2y$NN$ + 53 characters");
            return -1;
        }
        int cost = (h[4] - '0') * 10 + (h[5] - '0');
        if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || cost < 4 || cost > 16) {
            snprintf(err, errlen, "BLF-CRYPT cost %.2s outside 04-16 (too slow to audit or invalid)", h + 4);
            return -1;
        }
        return 0;
    }
    case PWS_SHA512_CRYPT:
    case PWS_SHA256_CRYPT:
        if (strncmp(h + 3, "rounds=", 7) == 0) {
            char *end;
            unsigned long r = strtoul(h + 10, &end, 10);
            if (*end != '$' || r > 10000000ul) {
                snprintf(err, errlen, "%s rounds invalid or above 10000000 (too slow to audit)",
                         pwfile_scheme_name(e->scheme));
                return -1;
            }
        }
        if (!strchr(h + 3, '$')) {
            snprintf(err, errlen, "%s hash has no '$' after the salt", pwfile_scheme_name(e->scheme));
            return -1;
        }
        return 0;
    case PWS_ARGON2I:
    case PWS_ARGON2ID: {
        const char *m = strstr(h, "$m="), *t = strstr(h, ",t="), *p = strstr(h, ",p=");
        if (!m || !t || !p) {
            snprintf(err, errlen, "%s hash lacks $m=...,t=...,p=...", pwfile_scheme_name(e->scheme));
            return -1;
        }
        unsigned long mk = strtoul(m + 3, NULL, 10), tc = strtoul(t + 3, NULL, 10);
        if (mk > (1ul << 20) || tc > 64 || mk == 0 || tc == 0) {
            snprintf(err, errlen, "%s cost m=%lu KiB, t=%lu outside 1 KiB-1 GiB, 1-64 (too slow to audit or invalid)",
                     pwfile_scheme_name(e->scheme), mk, tc);
            return -1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

static int decode_digest(struct pwentry *e, const struct scheme_def *d, enum enc enc, char *err, size_t errlen)
{
    const char *v = e->hash;
    size_t n = e->hash_len;
    long got = -1;
    int salted = d->s == PWS_SSHA512 || d->s == PWS_SSHA256 || d->s == PWS_SSHA || d->s == PWS_SMD5;
    if (enc == ENC_AUTO)
        enc = n == 2 * d->digest && pwfile_hex_decode(v, n, e->raw, sizeof(e->raw)) >= 0 ? ENC_HEX : ENC_B64;
    got = enc == ENC_HEX ? pwfile_hex_decode(v, n, e->raw, sizeof(e->raw))
                         : pwfile_base64_decode(v, n, e->raw, sizeof(e->raw));
    if (got < 0) {
        snprintf(err, errlen, "{%s} value is not valid %s", d->name, enc == ENC_HEX ? "hex" : "base64");
        return -1;
    }
    if (salted ? (size_t)got <= d->digest : (size_t)got != d->digest) {
        snprintf(err, errlen, "{%s} value decodes to %ld bytes; %s%zu expected", d->name, got,
                 salted ? "more than " : "", d->digest);
        return -1;
    }
    e->raw_len = (size_t)got;
    e->digest_len = d->digest;
    return 0;
}

int pwfile_parse(const char *line, size_t len, struct pwentry *e, char *err, size_t errlen)
{
    memset(e, 0, offsetof(struct pwentry, raw));
    e->raw_len = e->digest_len = 0;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len || line[i] == '#')
        return 0;
    if (memchr(line, '\0', len)) {
        snprintf(err, errlen, "NUL byte in the line");
        return -1;
    }
    const char *colon = memchr(line + i, ':', len - i);
    if (!colon) {
        snprintf(err, errlen, "no ':' after the user name (not a passwd-file line)");
        return -1;
    }
    size_t ulen = (size_t)(colon - line) - i;
    if (ulen == 0) {
        snprintf(err, errlen, "empty user name");
        return -1;
    }
    if (ulen >= sizeof(e->user)) {
        snprintf(err, errlen, "user name longer than %zu bytes", sizeof(e->user) - 1);
        return -1;
    }
    memcpy(e->user, line + i, ulen);
    e->user[ulen] = '\0';
    const char *pw = colon + 1, *end = line + len;
    const char *pend = memchr(pw, ':', (size_t)(end - pw));
    if (!pend)
        pend = end;
    /* extra fields: the 8th field on */
    const char *extra = pend;
    for (int f = 2; f < 7 && extra < end; f++) {
        const char *c = memchr(extra + 1, ':', (size_t)(end - extra - 1));
        extra = c ? c : end;
    }
    if (pw == pend) {
        if (extra < end && (memmem(extra, (size_t)(end - extra), "nopassword", 10))) {
            e->scheme = PWS_NOPASSWORD;
            return 1;
        }
        return 0; /* no password: this account cannot log in by password */
    }
    const struct scheme_def *d = NULL;
    enum enc enc = ENC_NONE;
    const char *v = pw;
    if (*pw == '{') {
        const char *close = memchr(pw, '}', (size_t)(pend - pw));
        if (!close) {
            snprintf(err, errlen, "'{' without '}' in the password field");
            return -1;
        }
        char name[40];
        size_t nl = (size_t)(close - pw - 1);
        if (nl == 0 || nl >= sizeof(name)) {
            snprintf(err, errlen, "empty or overlong {SCHEME}");
            return -1;
        }
        memcpy(name, pw + 1, nl);
        name[nl] = '\0';
        char *dot = strchr(name, '.');
        if (dot) {
            *dot++ = '\0';
            if (strcasecmp(dot, "HEX") == 0)
                enc = ENC_HEX;
            else if (strcasecmp(dot, "B64") == 0 || strcasecmp(dot, "BASE64") == 0)
                enc = ENC_B64;
            else {
                snprintf(err, errlen, "unknown encoding .%s in {%s.%s}", dot, name, dot);
                return -1;
            }
        }
        for (size_t k = 0; k < sizeof(defs) / sizeof(defs[0]); k++)
            if (strcasecmp(defs[k].name, name) == 0)
                d = &defs[k];
        if (!d) {
            /* the name is printable as given: it is the file's own text */
            snprintf(err, errlen, "unknown or unsupported scheme {%s}", name);
            return -1;
        }
        v = close + 1;
    }
    size_t vlen = (size_t)(pend - v);
    if (vlen == 0) {
        snprintf(err, errlen, "empty hash after the scheme");
        return -1;
    }
    if (vlen >= sizeof(e->hash)) {
        snprintf(err, errlen, "hash longer than %zu bytes", sizeof(e->hash) - 1);
        return -1;
    }
    memcpy(e->hash, v, vlen);
    e->hash[vlen] = '\0';
    e->hash_len = vlen;
    if (!d) { /* no {SCHEME}: Dovecot's passwd-file default is CRYPT */
        if (crypt_kind(e->hash, &e->scheme) < 0) {
            snprintf(err, errlen, "no {SCHEME} and not a crypt(3) hash");
            return -1;
        }
        return check_cost(e, err, errlen) < 0 ? -1 : 1;
    }
    e->scheme = d->s;
    if (d->s == PWS_MD5 && strncmp(e->hash, "$1$", 3) == 0)
        e->scheme = PWS_MD5_CRYPT; /* Dovecot's {MD5} is MD5-CRYPT */
    if (d->s == PWS_DES_CRYPT && crypt_kind(e->hash, &e->scheme) < 0) {
        snprintf(err, errlen, "{%s} value is not a crypt(3) hash", d->name);
        return -1;
    }
    switch (e->scheme) {
    case PWS_SHA512_CRYPT: case PWS_SHA256_CRYPT: case PWS_BLF_CRYPT: case PWS_MD5_CRYPT:
    case PWS_ARGON2I: case PWS_ARGON2ID: {
        enum pwscheme k;
        if (crypt_kind(e->hash, &k) < 0 || k != e->scheme) {
            snprintf(err, errlen, "{%s} value does not start as a %s hash does", d->name,
                     pwfile_scheme_name(e->scheme));
            return -1;
        }
        return check_cost(e, err, errlen) < 0 ? -1 : 1;
    }
    case PWS_DES_CRYPT:
        return 1;
    case PWS_PLAIN:
        if (enc == ENC_HEX || enc == ENC_B64) {
            unsigned char tmp[PWFILE_HASH_MAX];
            long n = enc == ENC_HEX ? pwfile_hex_decode(e->hash, vlen, tmp, sizeof(tmp) - 1)
                                    : pwfile_base64_decode(e->hash, vlen, tmp, sizeof(tmp) - 1);
            if (n < 0) {
                snprintf(err, errlen, "{%s} value is not valid %s", d->name, enc == ENC_HEX ? "hex" : "base64");
                return -1;
            }
            memcpy(e->hash, tmp, (size_t)n);
            e->hash[n] = '\0';
            e->hash_len = (size_t)n;
            explicit_bzero(tmp, sizeof(tmp));
        }
        return 1;
    default:
        return decode_digest(e, d, enc == ENC_NONE ? d->def : enc, err, errlen) < 0 ? -1 : 1;
    }
}
