/*
 * logline - timestamp and syslog header parsing (see logline.h).
 * Hot path: every input line passes here once, so no allocation, no
 * locale, no libc time conversion per line.
 */
#include "logline.h"

#include <string.h>

long logline_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

void logline_clock_init(struct logline_clock *c, int start_year, time_t mtime,
                        bool tz_set, int tz_min)
{
    memset(c, 0, sizeof(*c));
    c->start_year = start_year;
    c->mtime = mtime;
    c->tz_set = tz_set;
    c->default_tz_min = tz_min;
}

static inline int dig(char c)
{
    return (unsigned)(c - '0') < 10;
}

static inline int d2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int month_of(const char *s)
{
    /* "Jan".."Dec", case as syslog writes it */
    switch (s[0]) {
    case 'J':
        if (s[1] == 'a' && s[2] == 'n') return 1;
        if (s[1] == 'u' && s[2] == 'n') return 6;
        if (s[1] == 'u' && s[2] == 'l') return 7;
        return 0;
    case 'F': return (s[1] == 'e' && s[2] == 'b') ? 2 : 0;
    case 'M':
        if (s[1] == 'a' && s[2] == 'r') return 3;
        if (s[1] == 'a' && s[2] == 'y') return 5;
        return 0;
    case 'A':
        if (s[1] == 'p' && s[2] == 'r') return 4;
        if (s[1] == 'u' && s[2] == 'g') return 8;
        return 0;
    case 'S': return (s[1] == 'e' && s[2] == 'p') ? 9 : 0;
    case 'O': return (s[1] == 'c' && s[2] == 't') ? 10 : 0;
    case 'N': return (s[1] == 'o' && s[2] == 'v') ? 11 : 0;
    case 'D': return (s[1] == 'e' && s[2] == 'c') ? 12 : 0;
    default: return 0;
    }
}

static int days_in_month(int y, int m)
{
    static const unsigned char dm[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m];
}

static void finish_time(struct mw_time *t, const struct logline_clock *c)
{
    if (!t->has_tz && c && c->tz_set) {
        t->has_tz = true;
        t->tz_min = (int16_t)c->default_tz_min;
    }
    long days = logline_days_from_civil(t->year, t->mon, t->mday);
    int64_t secs = (int64_t)days * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
    if (t->has_tz)
        secs -= (int64_t)t->tz_min * 60;
    t->epoch_us = secs * 1000000 + t->usec;
    t->valid = true;
}

static int valid_clock(int hh, int mm, int ss)
{
    return hh < 24 && mm < 60 && ss <= 60;
}

/* parse ".ffffff" at s; returns chars consumed */
static size_t parse_frac(const char *s, size_t n, struct mw_time *t)
{
    if (n < 2 || (s[0] != '.' && s[0] != ',') || !dig(s[1]))
        return 0;
    size_t i = 1;
    uint32_t us = 0;
    int nd = 0;
    while (i < n && dig(s[i])) {
        if (nd < 6) {
            us = us * 10 + (uint32_t)(s[i] - '0');
            nd++;
        }
        i++;
    }
    for (int k = nd; k < 6; k++)
        us *= 10;
    t->usec = us;
    t->frac_digits = (uint8_t)nd;
    return i;
}

/* parse a zone: Z, +HH:MM, +HHMM, +HH; returns chars consumed */
static size_t parse_zone(const char *s, size_t n, struct mw_time *t)
{
    if (n >= 1 && s[0] == 'Z') {
        t->has_tz = true;
        t->tz_min = 0;
        return 1;
    }
    if (n < 3 || (s[0] != '+' && s[0] != '-') || !dig(s[1]) || !dig(s[2]))
        return 0;
    int hh = d2(s + 1), mm = 0;
    size_t i = 3;
    if (n >= 6 && s[3] == ':' && dig(s[4]) && dig(s[5])) {
        mm = d2(s + 4);
        i = 6;
    } else if (n >= 5 && dig(s[3]) && dig(s[4])) {
        mm = d2(s + 3);
        i = 5;
    }
    if (hh > 23 || mm > 59)
        return 0;
    int off = hh * 60 + mm;
    t->tz_min = (int16_t)(s[0] == '-' ? -off : off);
    t->has_tz = true;
    return i;
}

/* YYYY-MM-DD?HH:MM:SS at s (sep is 'T' or ' '); returns consumed or 0 */
static size_t parse_isodate(const char *s, size_t n, struct mw_time *t, char *sep_out)
{
    if (n < 19 || !dig(s[0]) || !dig(s[1]) || !dig(s[2]) || !dig(s[3]) || s[4] != '-' ||
        !dig(s[5]) || !dig(s[6]) || s[7] != '-' || !dig(s[8]) || !dig(s[9]) ||
        (s[10] != 'T' && s[10] != ' ') || !dig(s[11]) || !dig(s[12]) || s[13] != ':' ||
        !dig(s[14]) || !dig(s[15]) || s[16] != ':' || !dig(s[17]) || !dig(s[18]))
        return 0;
    int y = d2(s) * 100 + d2(s + 2), mo = d2(s + 5), d = d2(s + 8);
    int hh = d2(s + 11), mm = d2(s + 14), ss = d2(s + 17);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || !valid_clock(hh, mm, ss))
        return 0;
    t->year = (int16_t)y;
    t->mon = (uint8_t)mo;
    t->mday = (uint8_t)d;
    t->hour = (uint8_t)hh;
    t->min = (uint8_t)mm;
    t->sec = (uint8_t)ss;
    *sep_out = s[10];
    size_t i = 19;
    i += parse_frac(s + i, n - i, t);
    return i;
}

static const char hexval[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
    ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13,
    ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static void set_from_unix(struct mw_time *t, int64_t unix_s, uint32_t usec, int frac_digits);

/* "@" + 16 hex seconds label + 8 hex nanoseconds (TAI64N, djb convention:
 * label = 2^62 + 10 + unix seconds). Returns consumed or 0. */
static size_t parse_tai64n(const char *s, size_t n, struct mw_time *t)
{
    if (n < 25 || s[0] != '@')
        return 0;
    uint64_t sec = 0;
    uint32_t nano = 0;
    for (int i = 1; i <= 24; i++) {
        int v = hexval[(unsigned char)s[i]];
        if (!v)
            return 0;
        if (i <= 16)
            sec = (sec << 4) | (uint64_t)(v - 1);
        else
            nano = (nano << 4) | (uint32_t)(v - 1);
    }
    const uint64_t base = (uint64_t)1 << 62;
    if (sec < base + 10 || sec > base + 10 + 253402300799ull || nano >= 1000000000u)
        return 0;
    set_from_unix(t, (int64_t)(sec - base - 10), nano / 1000, 6);
    return 25;
}

/* fill civil fields from Unix seconds (UTC) */
static void set_from_unix(struct mw_time *t, int64_t unix_s, uint32_t usec, int frac_digits)
{
    int64_t days = unix_s / 86400;
    int64_t rem = unix_s % 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    t->year = (int16_t)y;
    t->mon = (uint8_t)m;
    t->mday = (uint8_t)d;
    t->hour = (uint8_t)(rem / 3600);
    t->min = (uint8_t)(rem / 60 % 60);
    t->sec = (uint8_t)(rem % 60);
    t->usec = usec;
    t->frac_digits = (uint8_t)frac_digits;
    t->has_tz = true;
    t->tz_min = 0;
}

/* journalctl -o short-unix: "1795413936.277060" */
static size_t parse_unix(const char *s, size_t n, struct mw_time *t)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < n && i < 12 && dig(s[i]))
        v = v * 10 + (s[i++] - '0');
    if (i < 9 || i >= n || s[i] != '.')
        return 0;
    size_t f = parse_frac(s + i, n - i, t);
    if (!f)
        return 0;
    uint32_t us = t->usec;
    int fd = t->frac_digits;
    set_from_unix(t, v, us, fd);
    return i + f;
}

/* "Mmm dd HH:MM:SS" (day may be space padded); returns consumed or 0 */
static size_t parse_classic(const char *s, size_t n, struct mw_time *t, struct logline_clock *c)
{
    if (n < 15 || s[3] != ' ')
        return 0;
    int mo = month_of(s);
    if (!mo)
        return 0;
    int d;
    if (s[4] == ' ' && dig(s[5]))
        d = s[5] - '0';
    else if (dig(s[4]) && dig(s[5]))
        d = d2(s + 4);
    else
        return 0;
    if (s[6] != ' ' || !dig(s[7]) || !dig(s[8]) || s[9] != ':' || !dig(s[10]) ||
        !dig(s[11]) || s[12] != ':' || !dig(s[13]) || !dig(s[14]))
        return 0;
    int hh = d2(s + 7), mm = d2(s + 10), ss = d2(s + 13);
    if (d < 1 || d > 31 || !valid_clock(hh, mm, ss))
        return 0;

    /* year inference */
    if (!c) {
        t->year = 1970;
    } else {
        if (c->last_mon == 0) {
            if (c->start_year) {
                c->year = c->start_year;
            } else {
                struct tm tm;
                time_t mt = c->mtime ? c->mtime : time(NULL);
                gmtime_r(&mt, &tm);
                c->year = tm.tm_year + 1900;
                if (mo > tm.tm_mon + 1)
                    c->year--;
            }
        } else if (mo < c->last_mon) {
            c->year++;
            c->year_rollovers++;
        }
        c->last_mon = mo;
        t->year = (int16_t)c->year;
    }
    if (d > days_in_month(t->year, mo))
        return 0;
    t->mon = (uint8_t)mo;
    t->mday = (uint8_t)d;
    t->hour = (uint8_t)hh;
    t->min = (uint8_t)mm;
    t->sec = (uint8_t)ss;
    size_t i = 15;
    i += parse_frac(s + i, n - i, t);
    return i;
}

/* skip "Www " of journalctl short-full */
static int is_weekday(const char *s)
{
    static const char wd[] = "MonTueWedThuFriSatSun";
    for (int i = 0; i < 21; i += 3)
        if (s[0] == wd[i] && s[1] == wd[i + 1] && s[2] == wd[i + 2])
            return 1;
    return 0;
}

static size_t parse_time(const char *s, size_t n, struct logline *ll, struct logline_clock *c)
{
    struct mw_time *t = &ll->time;
    size_t i;
    char sep = 0;
    if (n == 0)
        return 0;
    if (dig(s[0])) {
        i = parse_isodate(s, n, t, &sep);
        if (!i)
            return parse_unix(s, n, t);
        if (sep == 'T') {
            i += parse_zone(s + i, n - i, t);
        } else {
            ll->space_date = true;
            /* optional " +0100" or " UTC" after a space-separated date */
            if (i + 1 < n && s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-')) {
                size_t z = parse_zone(s + i + 1, n - i - 1, t);
                if (z && (i + 1 + z == n || s[i + 1 + z] == ' '))
                    i += 1 + z;
                else
                    t->has_tz = false;
            }
        }
        return i;
    }
    if (s[0] == '@')
        return parse_tai64n(s, n, t);
    if (n > 4 && s[3] == ' ' && is_weekday(s) && dig(s[4])) {
        /* short-full: "Mon 2026-11-23 06:05:36 UTC" */
        i = parse_isodate(s + 4, n - 4, t, &sep);
        if (!i || sep != ' ')
            return 0;
        i += 4;
        if (i + 4 <= n && s[i] == ' ' &&
            ((s[i + 1] == 'U' && s[i + 2] == 'T' && s[i + 3] == 'C') ||
             (s[i + 1] == 'G' && s[i + 2] == 'M' && s[i + 3] == 'T'))) {
            t->has_tz = true;
            t->tz_min = 0;
            i += 4;
        } else if (i + 1 < n && s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-')) {
            size_t z = parse_zone(s + i + 1, n - i - 1, t);
            if (z)
                i += 1 + z;
        } else if (i + 1 < n && s[i] == ' ') {
            /* a zone abbreviation we cannot resolve (CET, EST): skip it */
            size_t j = i + 1;
            while (j < n && s[j] >= 'A' && s[j] <= 'Z')
                j++;
            if (j > i + 1 && j - i - 1 <= 5 && (j == n || s[j] == ' '))
                i = j;
        }
        return i;
    }
    return parse_classic(s, n, t, c);
}

/* "HOST APP PROCID MSGID [SD|-] MSG" after an RFC 5424 timestamp */
static int split_rfc5424(const char *p, size_t n, struct logline *ll)
{
    const char *end = p + n;
    struct mw_slice f[4];
    for (int k = 0; k < 4; k++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp)
            return 0;
        f[k] = MW_SLICE(p, (size_t)(sp - p));
        p = sp + 1;
    }
    /* structured data: "-" or one or more [..] elements */
    if (p < end && *p == '-') {
        p++;
    } else {
        while (p < end && *p == '[') {
            const char *rb = memchr(p, ']', (size_t)(end - p));
            if (!rb)
                return 0;
            p = rb + 1;
        }
    }
    if (p < end && *p == ' ')
        p++;
    if (p + 3 <= end && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3; /* BOM */
    ll->shape = LL_SYSLOG;
    if (!(f[0].n == 1 && f[0].p[0] == '-'))
        ll->host = f[0];
    ll->program = f[1];
    if (!(f[2].n == 1 && f[2].p[0] == '-'))
        ll->pid = f[2];
    ll->msg = MW_SLICE(p, (size_t)(end - p));
    return 1;
}

int logline_split(const char *s, size_t n, struct logline *ll, struct logline_clock *c)
{
    memset(ll, 0, sizeof(*ll));
    /* a syslog priority "<34>" as network captures carry it */
    if (n > 3 && s[0] == '<') {
        size_t j = 1;
        while (j < n && j < 5 && dig(s[j]))
            j++;
        if (j > 1 && j < n && s[j] == '>') {
            s += j + 1;
            n -= j + 1;
        }
    }
    /* RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" */
    bool rfc5424 = false;
    if (n > 2 && s[0] == '1' && s[1] == ' ' && dig(s[2])) {
        rfc5424 = true;
        s += 2;
        n -= 2;
    }
    size_t i = parse_time(s, n, ll, c);
    if (!i || (i < n && s[i] != ' ')) {
        memset(&ll->time, 0, sizeof(ll->time));
        ll->shape = LL_NONE;
        ll->msg = MW_SLICE(s, n);
        ll->space_date = false;
        return 0;
    }
    finish_time(&ll->time, c);
    while (i < n && s[i] == ' ')
        i++;
    const char *p = s + i;
    size_t rest = n - i;
    if (rfc5424)
        return split_rfc5424(p, rest, ll);

    /* first token */
    const char *sp1 = memchr(p, ' ', rest);
    size_t t1 = sp1 ? (size_t)(sp1 - p) : rest;
    const char *prog;
    size_t plen;
    if (t1 >= 2 && p[t1 - 1] == ':') {
        ll->shape = LL_NOHOST;
        prog = p;
        plen = t1 - 1;
        ll->msg = sp1 ? MW_SLICE(sp1 + 1, rest - t1 - 1) : MW_SLICE(p + t1, 0);
    } else if (sp1) {
        const char *q = sp1 + 1;
        size_t qrest = rest - t1 - 1;
        const char *sp2 = memchr(q, ' ', qrest);
        size_t t2 = sp2 ? (size_t)(sp2 - q) : qrest;
        if (t2 >= 2 && q[t2 - 1] == ':') {
            ll->shape = LL_SYSLOG;
            ll->host = MW_SLICE(p, t1);
            prog = q;
            plen = t2 - 1;
            ll->msg = sp2 ? MW_SLICE(sp2 + 1, qrest - t2 - 1) : MW_SLICE(q + t2, 0);
        } else {
            ll->shape = LL_BARE;
            ll->msg = MW_SLICE(p, rest);
            return 1;
        }
    } else {
        ll->shape = LL_BARE;
        ll->msg = MW_SLICE(p, rest);
        return 1;
    }
    /* strip [pid] */
    if (plen > 2 && prog[plen - 1] == ']') {
        const char *lb = memchr(prog, '[', plen);
        if (lb) {
            ll->pid = MW_SLICE(lb + 1, (size_t)(prog + plen - 1 - (lb + 1)));
            plen = (size_t)(lb - prog);
        }
    }
    ll->program = MW_SLICE(prog, plen);
    return 1;
}
