/*
 * dnsbl - blocklist wording in SMTP replies (see dnsbl.h).
 */
#include "dnsbl.h"
#include "scan.h"

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

/* a list name right after `p`: a host-like token (must contain a dot or be
 * followed by nothing surprising); trailing dots dropped */
static struct mw_slice name_after(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    if (end - p >= 4 && scan_starts(p, (size_t)(end - p), "the ", 4))
        p += 4;
    const char *q = p;
    while (q < end && is_name_char(*q))
        q++;
    while (q > p && (q[-1] == '.' || q[-1] == '-'))
        q--;
    return MW_SLICE(p, (size_t)(q - p));
}

struct known_list {
    const char *needle; /* lowercase */
    size_t len;
    const char *name;
};

#define KL(n, name) {n, sizeof(n) - 1, name}
static const struct known_list known[] = {
    KL("spamhaus", "spamhaus"),
    KL("barracuda", "barracuda"),
    KL("spamcop", "spamcop"),
    KL("sorbs", "sorbs"),
    KL("uceprotect", "uceprotect"),
    KL("abuseat", "cbl.abuseat.org"),
    KL("psbl", "psbl.surriel.com"),
    KL("mailspike", "mailspike"),
    KL("invaluement", "invaluement"),
    KL("s3150", "microsoft"),
    KL("s3140", "microsoft"),
    KL("banned sending ip", "microsoft"),
    KL("[bl21]", "yahoo"),
    KL("[bl22]", "yahoo"),
    KL("[bl23]", "yahoo"),
    KL("spameatingmonkey", "spameatingmonkey"),
    KL("junkemailfilter", "junkemailfilter"),
    KL("0spam", "0spam"),
    KL("blocklist.de", "blocklist.de"),
    KL("cloudmark", "cloudmark"),
    KL("proofpoint", "proofpoint"),
    KL("block list", "unknown"),
    KL("blocklist", "unknown"),
    KL("blacklist", "unknown"),
    KL("dnsbl", "unknown"),
    KL(" rbl", "unknown"),
};

static bool ip_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           c == '.' || c == ':';
}

/* the first bracketed address ("Client host [192.0.2.1]"), else the first
 * bare dotted-quad or IPv6 token ("accepted from 192.0.2.1, because") */
static bool find_listed_ip(const char *text, const char *end, struct mw_slice *listed)
{
    const char *p = text;
    while (p < end) {
        const char *lb = memchr(p, '[', (size_t)(end - p));
        if (!lb)
            break;
        const char *rb = memchr(lb, ']', (size_t)(end - lb));
        if (!rb)
            break;
        if (scan_looks_ip(lb + 1, (size_t)(rb - lb - 1))) {
            *listed = MW_SLICE(lb + 1, (size_t)(rb - lb - 1));
            return true;
        }
        p = rb + 1;
    }
    for (p = text; p < end; p++) {
        if (!ip_char(*p) || (p > text && (ip_char(p[-1]) || p[-1] == '-' || p[-1] == '/')))
            continue;
        const char *q = p;
        while (q < end && ip_char(*q))
            q++;
        size_t n = (size_t)(q - p);
        while (n && (p[n - 1] == '.' || p[n - 1] == ':'))
            n--; /* sentence punctuation */
        int dots = 0, colons = 0;
        for (size_t i = 0; i < n; i++) {
            dots += p[i] == '.';
            colons += p[i] == ':';
        }
        /* IPv6 needs "::" or all 8 groups, so a clock time is no address */
        bool v6 = colons >= 2 && (memmem(p, n, "::", 2) || colons == 7);
        if (((dots == 3 && colons == 0) || v6) && scan_looks_ip(p, n)) {
            *listed = MW_SLICE(p, n);
            return true;
        }
        p = q;
    }
    return false;
}

bool dnsbl_match(const char *text, size_t n, struct mw_slice *list, struct mw_slice *listed)
{
    const char *end = text + n;
    const char *hit;
    struct mw_slice name = {NULL, 0};
    *listed = (struct mw_slice){NULL, 0};

    if ((hit = SCAN_CI_FIND(text, n, "blocked using ")) != NULL) {
        name = name_after(hit + 14, end);
    } else {
        static const char *const verbs[] = {"listed at ", "listed in ", "listed on ",
                                            "listed by ", "blacklisted at ",
                                            "blacklisted by ", "blocklisted by "};
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]) && !name.p; i++) {
            size_t vl = strlen(verbs[i]);
            if ((hit = scan_ci_find(text, n, verbs[i], vl)) != NULL) {
                struct mw_slice cand = name_after(hit + vl, end);
                /* "listed in our blocklist", "listed in 2 lists": keep
                 * only names that look like a zone or a known list */
                if (cand.n && memchr(cand.p, '.', cand.n))
                    name = cand;
            }
        }
    }
    if (!name.n) {
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (scan_ci_find(text, n, known[i].needle, known[i].len)) {
                name = MW_SLICE(known[i].name, strlen(known[i].name));
                break;
            }
        }
    }
    if (!name.n)
        return false;
    *list = name;
    find_listed_ip(text, end, listed);
    return true;
}
