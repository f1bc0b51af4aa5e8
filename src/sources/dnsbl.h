/*
 * dnsbl - recognise a remote server's reply that refuses mail because an
 * address is on a DNS blocklist, and name the list.
 *
 * dnsbl_match() reads a reply text (what Postfix shows after "said:", an
 * Exim "SMTP error", a Sendmail dsn text) and returns true when it says
 * "blocked using X", "listed at/in/by/on X", or names a well-known list
 * (Spamhaus, Barracuda, SpamCop, SORBS, UCEPROTECT, Microsoft's S3150
 * block list, Yahoo's [BL21], ...). *list gets the list's name: a slice of
 * the text, or a static name. *listed gets the bracketed address the reply
 * names (e.g. "Client host [192.0.2.1]"), or {NULL,0}.
 */
#ifndef MW_DNSBL_H
#define MW_DNSBL_H

#include <stdbool.h>
#include <stddef.h>

#include "../event/event.h"

bool dnsbl_match(const char *text, size_t n, struct mw_slice *list, struct mw_slice *listed);

#endif
