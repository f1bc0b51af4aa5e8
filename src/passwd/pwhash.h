/*
 * pwhash - Dovecot's auth-policy password fingerprint ("hashed_password",
 * sent as pwhash= to a policy server), and nothing else.
 *
 * Dovecot 2.3 (src/auth/auth-policy.c) computes
 *     H(nonce || user || '\0' || password)
 * with H = auth_policy_hash_mech (default sha256), where user is the
 * requested login user (else the user, else ""), then keeps the first
 * auth_policy_hash_truncate bits (default 12; 0 = the whole digest) shifted
 * right into ceil(bits/8) bytes (lib/buffer.c buffer_truncate_rshift_bits)
 * and renders them in lowercase hex: 12 bits -> 4 hex digits, "0abc".
 *
 * No allocation, no global state; thread-safe. Errors are return values.
 */
#ifndef MW_PWHASH_H
#define MW_PWHASH_H

#include <stddef.h>

enum pwhash_mech {
    PWHASH_MD5,
    PWHASH_SHA1,
    PWHASH_SHA256,
    PWHASH_SHA384,
    PWHASH_SHA512,
    PWHASH_SHA3_256,
    PWHASH_SHA3_512,
};

#define PWHASH_DIGEST_MAX 64                     /* bytes, sha512 */
#define PWHASH_HEX_MAX (2 * PWHASH_DIGEST_MAX + 1) /* with the NUL */

/* pwhash_mech_parse - Dovecot's names ("md5", "sha1", "sha256", "sha384",
 * "sha512", "sha3-256", "sha3-512"); 0 and *out set, -1 if unknown */
int pwhash_mech_parse(const char *name, enum pwhash_mech *out);
const char *pwhash_mech_name(enum pwhash_mech mech);
/* pwhash_digest_bits - digest size of mech in bits */
unsigned pwhash_digest_bits(enum pwhash_mech mech);

/* pwhash_truncate - buffer_truncate_rshift_bits: keep the first `bits` bits
 * of buf[0..len) right-aligned in ceil(bits/8) bytes, in place; returns the
 * new length. bits == 0 or bits >= 8*len leaves buf whole. */
size_t pwhash_truncate(unsigned char *buf, size_t len, unsigned bits);

/* pwhash_raw - the truncated fingerprint as bytes into out (at least
 * PWHASH_DIGEST_MAX); returns its length, or -1 if bits exceeds the digest
 * size or the hash failed. user NULL is hashed as "". */
int pwhash_raw(enum pwhash_mech mech, const char *nonce, const char *user,
               const char *password, size_t password_len, unsigned bits,
               unsigned char *out);

/* pwhash_compute - the fingerprint as Dovecot prints it, lowercase hex,
 * NUL-terminated, into hex_out (PWHASH_HEX_MAX bytes); returns the number
 * of hex digits, or -1 (as pwhash_raw). */
int pwhash_compute(enum pwhash_mech mech, const char *nonce, const char *user,
                   const char *password, unsigned bits, char *hex_out);

/* pwhash_from_hex - parse a fingerprint as received (hex, either case)
 * into bytes; returns the byte count, -1 if not even-length hex or too long */
int pwhash_from_hex(const char *hex, size_t len, unsigned char *out, size_t cap);

#endif
