/*
 * milter_traits - content traits of one message (see milter_traits.h):
 * MIME part choice, transfer decoding, HTML to text, URL counting and the
 * Subject comparison. Bounded: every loop walks the kept bytes once (MIME
 * nesting at most 4 deep), and the buffers are at most a few times the
 * kept body.
 */
#include "milter_traits.h"

#include "../util/outbuf.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 4
#define MAX_LINKS 16
#define ONE_LINK_OTHER 20      /* "essentially one URL": at most this much else */
#define SHORT_LINK_OTHER 300   /* a short body with one link */
#define CLOSING_LINE 60        /* a closing line ("Thanks, Bob") is at most this long */
#define CHARS_CAP 100000

void content_msg_init(struct content_msg *m, size_t body_max)
{
    memset(m, 0, sizeof(*m));
    m->body_max = body_max;
    /* the buffer comes with the first body chunk (unauthenticated
     * connections never need one) */
}

void content_msg_free(struct content_msg *m)
{
    free(m->body);
    m->body = NULL;
}

void content_msg_reset(struct content_msg *m)
{
    char *b = m->body;
    size_t max = m->body_max;
    memset(m, 0, sizeof(*m));
    m->body = b;
    m->body_max = max;
}

static void copy_trim(char *dst, size_t cap, const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    snprintf(dst, cap, "%s", v);
    size_t n = strlen(dst);
    while (n && isspace((unsigned char)dst[n - 1]))
        dst[--n] = 0;
}

void content_msg_header(struct content_msg *m, const char *name, const char *value)
{
    if (!name || !value)
        return;
    if (!strcasecmp(name, "Subject")) {
        if (m->has_subject)
            return; /* the first one counts (the one clients show) */
        m->has_subject = true;
        content_decode_subject(value, m->subject, sizeof(m->subject));
    } else if (!strcasecmp(name, "Content-Type")) {
        copy_trim(m->ctype, sizeof(m->ctype), value);
    } else if (!strcasecmp(name, "Content-Transfer-Encoding")) {
        copy_trim(m->cte, sizeof(m->cte), value);
    }
}

void content_msg_body(struct content_msg *m, const unsigned char *p, size_t n)
{
    m->body_total += n;
    if (!m->body && m->body_max)
        m->body = xmalloc(m->body_max);
    size_t room = m->body_max - m->body_n;
    if (n > room)
        n = room;
    if (n)
        memcpy(m->body + m->body_n, p, n);
    m->body_n += n;
}

void content_msg_traits(const struct content_msg *m, struct content_traits *t)
{
    memset(t, 0, sizeof(*t));
    t->rcpts = m->rcpts;
    t->subject_empty = !m->has_subject || !m->subject[0];
    t->subject_is_user = m->has_subject && content_subject_is_user(m->subject, m->account, m->sender);
    content_body(m->ctype, m->cte, m->body ? m->body : "", m->body_n, t);
    if (m->body_total > m->body_n) {
        t->truncated = true;
        t->body_one_link = t->body_short_link = false;
    }
}

/* ---- Subject ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* base64 of p[0..n) appended to ob; stops at '=' */
static void b64_decode(const char *p, size_t n, struct outbuf *ob)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '=')
            break;
        int v = b64val((unsigned char)p[i]);
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            outbuf_putc(ob, (char)((acc >> bits) & 0xff));
        }
    }
}

/* one encoded word at p ("=?cs?E?text?="): decoded into ob, its length
 * returned; 0 if p is not one */
static size_t encoded_word(const char *p, struct outbuf *ob)
{
    if (p[0] != '=' || p[1] != '?')
        return 0;
    const char *cs_end = strchr(p + 2, '?');
    if (!cs_end || !cs_end[1] || cs_end[2] != '?')
        return 0;
    char enc = (char)toupper((unsigned char)cs_end[1]);
    if (enc != 'B' && enc != 'Q')
        return 0;
    const char *text = cs_end + 3;
    const char *end = strstr(text, "?=");
    if (!end)
        return 0;
    size_t n = (size_t)(end - text);
    if (enc == 'B') {
        b64_decode(text, n, ob);
    } else {
        for (size_t i = 0; i < n; i++) {
            int h, l;
            if (text[i] == '_')
                outbuf_putc(ob, ' ');
            else if (text[i] == '=' && i + 2 < n && (h = hexval((unsigned char)text[i + 1])) >= 0 &&
                     (l = hexval((unsigned char)text[i + 2])) >= 0) {
                outbuf_putc(ob, (char)(h * 16 + l));
                i += 2;
            } else
                outbuf_putc(ob, text[i]);
        }
    }
    return (size_t)(end + 2 - p);
}

void content_decode_subject(const char *in, char *out, size_t cap)
{
    struct outbuf ob;
    outbuf_init(&ob, 256);
    const char *p = in;
    bool after_word = false;
    while (*p) {
        size_t used = encoded_word(p, &ob);
        if (used) {
            p += used;
            after_word = true;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            /* whitespace between two encoded words is not part of the text */
            const char *q = p;
            while (isspace((unsigned char)*q))
                q++;
            if (after_word && q[0] == '=' && q[1] == '?') {
                struct outbuf probe;
                outbuf_init(&probe, 64);
                bool word = encoded_word(q, &probe) > 0;
                outbuf_free(&probe);
                if (word) {
                    p = q;
                    continue;
                }
            }
            outbuf_putc(&ob, ' ');
            p = q;
            after_word = false;
            continue;
        }
        outbuf_putc(&ob, *p++);
        after_word = false;
    }
    /* collapse and trim the spaces (and those the decoding brought) */
    size_t o = 0;
    bool sp = true;
    for (size_t i = 0; i < ob.len && o + 1 < cap; i++) {
        char c = ob.p[i];
        if (c == '\t' || c == '\r' || c == '\n')
            c = ' ';
        if (c == ' ' && sp)
            continue;
        sp = c == ' ';
        out[o++] = c;
    }
    while (o && out[o - 1] == ' ')
        o--;
    if (cap)
        out[o] = 0;
    outbuf_free(&ob);
}

static bool eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
    return an && an == bn && !strncasecmp(a, b, an);
}

bool content_subject_is_user(const char *subject, const char *account, const char *sender)
{
    size_t sn = strlen(subject);
    if (!sn)
        return false;
    const char *names[2] = {account, sender};
    for (int i = 0; i < 2; i++) {
        const char *a = names[i];
        if (!a || !*a)
            continue;
        size_t an = strlen(a);
        if (eq_ci(subject, sn, a, an))
            return true;
        const char *at = strrchr(a, '@');
        if (at && eq_ci(subject, sn, a, (size_t)(at - a)))
            return true;
    }
    return false;
}

/* ---- the body ---- */

/* the value of parameter name (e.g. "boundary") in a header value */
static bool header_param(const char *h, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = h; (p = strchr(p, ';')); ) {
        p++;
        while (isspace((unsigned char)*p))
            p++;
        if (strncasecmp(p, name, nl) || p[nl] != '=')
            continue;
        p += nl + 1;
        size_t o = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && o + 1 < cap)
                out[o++] = *p++;
        } else {
            while (*p && *p != ';' && !isspace((unsigned char)*p) && o + 1 < cap)
                out[o++] = *p++;
        }
        out[o] = 0;
        return o > 0;
    }
    return false;
}

static bool type_is(const char *ctype, const char *want)
{
    size_t n = strlen(want);
    while (isspace((unsigned char)*ctype))
        ctype++;
    return !strncasecmp(ctype, want, n);
}

static void transfer_decode(const char *cte, const char *p, size_t n, struct outbuf *ob)
{
    while (cte && isspace((unsigned char)*cte))
        cte++;
    if (cte && !strncasecmp(cte, "base64", 6)) {
        b64_decode(p, n, ob);
    } else if (cte && !strncasecmp(cte, "quoted-printable", 16)) {
        for (size_t i = 0; i < n; i++) {
            if (p[i] != '=') {
                outbuf_putc(ob, p[i]);
                continue;
            }
            if (i + 1 < n && p[i + 1] == '\n') {
                i += 1; /* soft line break */
            } else if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
                i += 2;
            } else if (i + 2 < n && hexval((unsigned char)p[i + 1]) >= 0 && hexval((unsigned char)p[i + 2]) >= 0) {
                outbuf_putc(ob, (char)(hexval((unsigned char)p[i + 1]) * 16 + hexval((unsigned char)p[i + 2])));
                i += 2;
            } else {
                outbuf_putc(ob, '=');
            }
        }
    } else {
        outbuf_put(ob, p, n);
    }
}

static bool url_start(const char *p, size_t n)
{
    return (n > 7 && !strncasecmp(p, "http://", 7)) || (n > 8 && !strncasecmp(p, "https://", 8)) ||
           (n > 4 && !strncasecmp(p, "www.", 4));
}

/* case-insensitive search for needle (lower case) in p[0..n) */
static const char *find_ci(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(p + i, needle, k))
            return p + i;
    return NULL;
}

/* HTML to text: tags dropped, script/style/head skipped, a link's text
 * replaced by its URL on a line of its own, a few entities decoded */
static void html_text(const char *p, size_t n, struct outbuf *ob)
{
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (c == '&') {
            static const struct {
                const char *name;
                char c;
            } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
                        {"&#39;", '\''}, {"&nbsp;", ' '}, {"&#160;", ' '}};
            size_t e;
            for (e = 0; e < sizeof(ents) / sizeof(ents[0]); e++) {
                size_t k = strlen(ents[e].name);
                if (i + k <= n && !strncasecmp(p + i, ents[e].name, k)) {
                    outbuf_putc(ob, ents[e].c);
                    i += k;
                    break;
                }
            }
            if (e == sizeof(ents) / sizeof(ents[0])) {
                outbuf_putc(ob, c);
                i++;
            }
            continue;
        }
        if (c != '<') {
            outbuf_putc(ob, c);
            i++;
            continue;
        }
        if (i + 4 <= n && !strncmp(p + i, "<!--", 4)) {
            const char *e = find_ci(p + i + 4, n - i - 4, "-->");
            i = e ? (size_t)(e - p) + 3 : n;
            continue;
        }
        const char *gt = memchr(p + i, '>', n - i);
        size_t tag_end = gt ? (size_t)(gt - p) + 1 : n;
        const char *t = p + i + 1;
        size_t tl = tag_end - i - 1;
        char name[16];
        size_t nl = 0;
        bool closing = tl && t[0] == '/';
        for (size_t k = closing; k < tl && nl + 1 < sizeof(name) && isalnum((unsigned char)t[k]); k++)
            name[nl++] = (char)tolower((unsigned char)t[k]);
        name[nl] = 0;
        i = tag_end;
        if (closing) {
            if (!strcmp(name, "p") || !strcmp(name, "div") || !strcmp(name, "tr") || !strcmp(name, "li"))
                outbuf_putc(ob, '\n');
            continue;
        }
        if (!strcmp(name, "script") || !strcmp(name, "style") || !strcmp(name, "head") ||
            !strcmp(name, "title")) {
            char close[24];
            snprintf(close, sizeof(close), "</%s", name);
            const char *e = find_ci(p + i, n - i, close);
            if (!e) {
                i = n;
                continue;
            }
            const char *g = memchr(e, '>', (size_t)(p + n - e));
            i = g ? (size_t)(g - p) + 1 : n;
            continue;
        }
        if (!strcmp(name, "a")) {
            const char *h = find_ci(t, tl, "href");
            if (h) {
                const char *v = h + 4;
                const char *end = t + tl;
                while (v < end && (isspace((unsigned char)*v) || *v == '='))
                    v++;
                char q = (v < end && (*v == '"' || *v == '\'')) ? *v++ : 0;
                const char *ve = v;
                while (ve < end && (q ? *ve != q : !isspace((unsigned char)*ve) && *ve != '>'))
                    ve++;
                if (url_start(v, (size_t)(ve - v))) {
                    outbuf_putc(ob, '\n');
                    outbuf_put(ob, v, (size_t)(ve - v));
                    outbuf_putc(ob, '\n');
                    /* the link's own text is the link */
                    const char *e = find_ci(p + i, n - i, "</a");
                    if (e) {
                        const char *g = memchr(e, '>', (size_t)(p + n - e));
                        i = g ? (size_t)(g - p) + 1 : n;
                    }
                }
            }
            continue;
        }
        if (!strcmp(name, "br") || !strcmp(name, "p") || !strcmp(name, "div") || !strcmp(name, "tr") ||
            !strcmp(name, "li") || (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]))
            outbuf_putc(ob, '\n');
    }
}

enum pick { PICK_NONE, PICK_PLAIN, PICK_HTML };

/* the text of a MIME entity: the first text/plain part, else the first
 * text/html part, transfer-decoded, into ob */
static enum pick pick_text(const char *ctype, const char *cte, const char *p, size_t n, int depth,
                           struct outbuf *ob)
{
    if (!ctype || !*ctype || type_is(ctype, "text/plain")) {
        transfer_decode(cte, p, n, ob);
        return PICK_PLAIN;
    }
    if (type_is(ctype, "text/html")) {
        transfer_decode(cte, p, n, ob);
        return PICK_HTML;
    }
    if (!type_is(ctype, "multipart/") || depth >= MAX_DEPTH)
        return PICK_NONE;
    char boundary[128];
    if (!header_param(ctype, "boundary", boundary, sizeof(boundary))) {
        transfer_decode(NULL, p, n, ob); /* broken MIME: look at it as it is */
        return PICK_PLAIN;
    }
    size_t bl = strlen(boundary);
    struct outbuf html;
    outbuf_init(&html, 256);
    bool have_html = false;
    enum pick got = PICK_NONE;
    /* walk the lines; a part starts after a "--boundary" line */
    const char *part = NULL;
    size_t i = 0;
    for (;;) {
        const char *line = p + (i < n ? i : n);
        const char *nl = i < n ? memchr(line, '\n', n - i) : NULL;
        size_t ll = nl ? (size_t)(nl - line) : (i < n ? n - i : 0);
        bool delim = ll >= 2 + bl && line[0] == '-' && line[1] == '-' && !memcmp(line + 2, boundary, bl);
        bool last = i >= n;
        if ((delim || last) && part) {
            /* the part ends before this line (and its CRLF) */
            size_t pn = (size_t)(line - part);
            /* its headers */
            char pt[256] = "", pcte[64] = "";
            size_t j = 0;
            while (j < pn) {
                const char *hl = part + j;
                const char *hn = memchr(hl, '\n', pn - j);
                size_t hlen = hn ? (size_t)(hn - hl) : pn - j;
                j += hlen + (hn ? 1 : 0);
                size_t t = hlen;
                if (t && hl[t - 1] == '\r')
                    t--;
                if (!t)
                    break; /* the blank line: the content follows */
                char h[320];
                snprintf(h, sizeof(h), "%.*s", (int)(t < sizeof(h) - 1 ? t : sizeof(h) - 1), hl);
                /* a folded line continues the one before (Content-Type params) */
                if ((h[0] == ' ' || h[0] == '\t') && pt[0]) {
                    strncat(pt, h, sizeof(pt) - strlen(pt) - 1);
                    continue;
                }
                if (!strncasecmp(h, "Content-Type:", 13))
                    copy_trim(pt, sizeof(pt), h + 13);
                else if (!strncasecmp(h, "Content-Transfer-Encoding:", 26))
                    copy_trim(pcte, sizeof(pcte), h + 26);
            }
            struct outbuf sub;
            outbuf_init(&sub, 256);
            enum pick k = pick_text(pt[0] ? pt : "text/plain", pcte, part + j, j <= pn ? pn - j : 0, depth + 1, &sub);
            if (k == PICK_PLAIN && got == PICK_NONE) {
                outbuf_put(ob, sub.p, sub.len);
                got = PICK_PLAIN;
            } else if (k == PICK_HTML && !have_html) {
                outbuf_put(&html, sub.p, sub.len);
                have_html = true;
            }
            outbuf_free(&sub);
            part = NULL;
            if (got == PICK_PLAIN)
                break;
        }
        if (last)
            break;
        if (delim) {
            if (ll >= 4 + bl && line[2 + bl] == '-' && line[3 + bl] == '-')
                break; /* the closing delimiter */
            part = nl ? nl + 1 : p + n;
        }
        i += ll + 1;
    }
    if (got == PICK_NONE && have_html) {
        outbuf_put(ob, html.p, html.len);
        got = PICK_HTML;
    }
    outbuf_free(&html);
    return got;
}

struct line_stat {
    uint32_t urls, other;
};

static void trim_url(const char **s, size_t *n)
{
    while (*n && strchr("<([\"'", (*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n && strchr(".,;:!?)]}>\"'", (*s)[*n - 1]))
        (*n)--;
    while (*n > 1 && (*s)[*n - 1] == '/')
        (*n)--;
}

void content_body(const char *ctype, const char *cte, const char *body, size_t n, struct content_traits *t)
{
    t->links = t->other_chars = 0;
    t->body_one_link = t->body_short_link = false;
    struct outbuf raw, text;
    outbuf_init(&raw, n + 16);
    enum pick k = pick_text(ctype, cte, body, n, 0, &raw);
    if (k == PICK_NONE) {
        outbuf_free(&raw);
        return;
    }
    if (k == PICK_HTML) {
        outbuf_init(&text, raw.len + 16);
        html_text(raw.p, raw.len, &text);
        outbuf_free(&raw);
    } else {
        text = raw;
    }
    /* the lines that are not empty, up to the signature */
    const char *links[MAX_LINKS];
    size_t link_n[MAX_LINKS];
    uint32_t nlinks = 0;
    struct line_stat *ls = NULL;
    size_t nls = 0, cap = 0;
    size_t i = 0;
    while (i < text.len) {
        const char *line = text.p + i;
        const char *nl = memchr(line, '\n', text.len - i);
        size_t ll = nl ? (size_t)(nl - line) : text.len - i;
        i += ll + 1;
        const char *a = line, *e = line + ll;
        while (a < e && isspace((unsigned char)*a))
            a++;
        while (e > a && isspace((unsigned char)e[-1]))
            e--;
        if (a == e)
            continue;
        if (e - a == 2 && a[0] == '-' && a[1] == '-')
            break; /* "-- ": the signature follows */
        struct line_stat st = {0, 0};
        for (const char *w = a; w < e;) {
            while (w < e && isspace((unsigned char)*w))
                w++;
            const char *we = w;
            while (we < e && !isspace((unsigned char)*we))
                we++;
            const char *u = w;
            size_t un = (size_t)(we - w);
            trim_url(&u, &un);
            if (un && url_start(u, un)) {
                st.urls++;
                uint32_t j;
                for (j = 0; j < nlinks; j++)
                    if (link_n[j] == un && !memcmp(links[j], u, un))
                        break;
                if (j == nlinks && nlinks < MAX_LINKS) {
                    links[nlinks] = u;
                    link_n[nlinks++] = un;
                }
            } else if (st.other < CHARS_CAP) {
                st.other += (uint32_t)(we - w);
            }
            w = we;
        }
        if (nls == cap) {
            cap = cap ? cap * 2 : 32;
            ls = xrealloc(ls, cap * sizeof(*ls));
        }
        ls[nls++] = st;
    }
    /* up to two short closing lines after the last link ("Thanks", a name) */
    size_t end = nls;
    for (int k2 = 0; k2 < 2 && end > 1 && !ls[end - 1].urls && ls[end - 1].other <= CLOSING_LINE; k2++) {
        bool link_before = false;
        for (size_t j = 0; j + 1 < end; j++)
            link_before |= ls[j].urls > 0;
        if (!link_before)
            break;
        end--;
    }
    uint64_t other = 0;
    for (size_t j = 0; j < end; j++)
        other += ls[j].other;
    t->links = nlinks;
    t->other_chars = other > CHARS_CAP ? CHARS_CAP : (uint32_t)other;
    if (nlinks == 1 && other <= ONE_LINK_OTHER)
        t->body_one_link = true;
    else if (nlinks == 1 && other <= SHORT_LINK_OTHER)
        t->body_short_link = true;
    free(ls);
    outbuf_free(&text);
}

size_t content_traits_text(const struct content_traits *t, uint32_t many_rcpts, char *out, size_t cap)
{
    const char *parts[5];
    int np = 0;
    if (t->subject_is_user)
        parts[np++] = "subject is the user name";
    if (t->subject_empty)
        parts[np++] = "empty subject";
    if (t->body_one_link)
        parts[np++] = "body is one link";
    if (t->body_short_link)
        parts[np++] = "short body with one link";
    if (many_rcpts && t->rcpts >= many_rcpts)
        parts[np++] = "many recipients";
    size_t o = 0;
    if (cap)
        out[0] = 0;
    if (!np)
        return (size_t)snprintf(out, cap, "no trait");
    for (int i = 0; i < np; i++) {
        int w = snprintf(out + o, cap > o ? cap - o : 0, "%s%s", i ? ", " : "", parts[i]);
        if (w < 0)
            break;
        o += (size_t)w;
        if (o >= cap) {
            o = cap ? cap - 1 : 0;
            break;
        }
    }
    return o;
}
