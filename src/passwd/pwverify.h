/*
 * pwverify - does a guess match a stored hash (pwfile.h)? crypt(3) schemes
 * through libxcrypt's crypt_rn, ARGON2I/ARGON2ID through libargon2's
 * argon2_verify, the digest schemes through OpenSSL (SSHA*: digest(guess ||
 * salt) || salt, as Dovecot stores them), PLAIN by comparison.
 *
 * A struct pwverify holds one thread's scratch space (crypt_rn's 32 KiB
 * work area); create one per thread. Returns 1 match, 0 no match, -1 when
 * the hash cannot be checked (message in v->err).
 */
#ifndef MW_PWVERIFY_H
#define MW_PWVERIFY_H

#include "pwfile.h"

#include <stddef.h>

struct pwverify;

struct pwverify *pwverify_create(void);
int pwverify_check(struct pwverify *v, const struct pwentry *e, const char *guess, size_t len);
const char *pwverify_error(const struct pwverify *v);
void pwverify_free(struct pwverify *v);

#endif
