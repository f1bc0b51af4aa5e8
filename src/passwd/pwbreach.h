/*
 * pwbreach - look a password up in an offline breach corpus in the
 * HaveIBeenPwned "Pwned Passwords" SHA-1 format, without loading it:
 *   - one file of sorted lines "SHA1HEX:COUNT" (40 hex digits, either case,
 *     sorted by hash as the downloader writes them): mmap'd and binary
 *     searched, so a 40 GB file costs about 35 page reads a lookup;
 *   - or a directory of range files named by the first 5 hex digits
 *     (e.g. 5BAA6 or 5BAA6.txt) holding "SUFFIX35:COUNT" lines, as the
 *     range API and haveibeenpwned-downloader's per-prefix mode give.
 * Returns the count (> 0) when found, 0 when not, -1 with err set when the
 * corpus cannot be read. No state is kept between calls.
 */
#ifndef MW_PWBREACH_H
#define MW_PWBREACH_H

#include <stddef.h>

long long pwbreach_lookup(const char *path, const char *pw, size_t len, char *err, size_t errlen);

/* pwbreach_sha1_hex - uppercase SHA-1 hex of pw into out[41]; 0 or -1 */
int pwbreach_sha1_hex(const char *pw, size_t len, char out[41]);

#endif
