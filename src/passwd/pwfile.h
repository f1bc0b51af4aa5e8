/*
 * pwfile - one line of a Dovecot passwd-file ("user:{SCHEME}hash:uid:gid:
 * gecos:home:shell:extra fields", or just "user:{SCHEME}hash"; '#' comments
 * and blank lines skipped) into a self-contained entry: the user, the
 * scheme, the stored hash (NUL-terminated copies) and, for the digest
 * schemes, the decoded bytes.
 *
 * Schemes: SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, MD5-CRYPT, CRYPT/DES-CRYPT
 * (and no {SCHEME}: Dovecot's passwd-file default, CRYPT), ARGON2I,
 * ARGON2ID, SSHA512, SSHA256, SSHA, SMD5, PLAIN/CLEAR/CLEARTEXT/PLAINTEXT,
 * SHA512, SHA256, SHA/SHA1, PLAIN-MD5, LDAP-MD5 and MD5 (Dovecot's alias of
 * MD5-CRYPT when the value starts with $1$, else unsalted MD5); ".HEX",
 * ".B64" or ".BASE64" after the name chooses the encoding, otherwise hex is
 * recognised by its length. Costs that would stall an audit (bcrypt > 16,
 * more than 10M rounds, argon2 over 1 GiB) are refused as errors.
 *
 * pwfile_parse() returns 1 and fills e, 0 for a line without an account
 * (comment, blank, empty password without nopassword), -1 with a message in
 * err (no line number: the caller adds FILE:LINE). No allocation.
 */
#ifndef MW_PWFILE_H
#define MW_PWFILE_H

#include <stddef.h>

enum pwscheme {
    PWS_SHA512_CRYPT,
    PWS_SHA256_CRYPT,
    PWS_BLF_CRYPT,
    PWS_MD5_CRYPT,
    PWS_DES_CRYPT,
    PWS_ARGON2I,
    PWS_ARGON2ID,
    PWS_SSHA512,
    PWS_SSHA256,
    PWS_SSHA,
    PWS_SMD5,
    PWS_PLAIN,
    PWS_SHA512,
    PWS_SHA256,
    PWS_SHA1,
    PWS_MD5,
    PWS_NOPASSWORD, /* empty password with the nopassword extra field */
    PWS_COUNT
};

#define PWFILE_USER_MAX 256
#define PWFILE_HASH_MAX 512

struct pwentry {
    char user[PWFILE_USER_MAX];
    char hash[PWFILE_HASH_MAX]; /* the stored value after {SCHEME}, decoded for PLAIN */
    size_t hash_len;
    enum pwscheme scheme;
    unsigned char raw[PWFILE_HASH_MAX]; /* digest (+ salt) of the digest schemes */
    size_t raw_len, digest_len;
};

int pwfile_parse(const char *line, size_t len, struct pwentry *e, char *err, size_t errlen);

/* pwfile_scheme_name - "SHA512-CRYPT", ... as Dovecot spells it */
const char *pwfile_scheme_name(enum pwscheme s);
/* pwfile_scheme_weakness - NULL for a sound scheme, else why it is weak:
 * "plaintext", "unsalted", "MD5-CRYPT", ... */
const char *pwfile_scheme_weakness(enum pwscheme s);

/* decoders: byte count, or -1 on bad input or when cap is too small */
long pwfile_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap);
long pwfile_hex_decode(const char *s, size_t n, unsigned char *out, size_t cap);

#endif
