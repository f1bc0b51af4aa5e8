/*
 * dovecot_policy - parse Dovecot auth policy requests, format replies
 * (see dovecot_policy.h). JSON is read with jansson.
 */
#include "dovecot_policy.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum dovecot_cmd dovecot_command(const char *query)
{
    if (!query)
        return DOVECOT_NONE;
    const char *p = query;
    while (p && *p) {
        if (!strncmp(p, "command=", 8)) {
            const char *v = p + 8;
            size_t n = strcspn(v, "&");
            if (n == 5 && !strncmp(v, "allow", 5))
                return DOVECOT_ALLOW;
            if (n == 6 && !strncmp(v, "report", 6))
                return DOVECOT_REPORT;
            return DOVECOT_NONE;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return DOVECOT_NONE;
}

static int keep(struct dovecot_req *r, struct mw_slice *out, const char *s, size_t n)
{
    if (n > 512 || r->used + n + 1 > sizeof(r->arena))
        return -1;
    memcpy(r->arena + r->used, s, n);
    r->arena[r->used + n] = 0;
    *out = MW_SLICE(r->arena + r->used, n);
    r->used += n + 1;
    return 0;
}

static int truthy(json_t *v, bool *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        *out = !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1");
        return 0;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v) != 0;
        return 0;
    }
    return -1;
}

/* the slot of a known string attribute, or NULL; *bit its "seen" bit */
static struct mw_slice *slot_of(struct dovecot_req *r, const char *k, size_t kl, unsigned *bit)
{
#define K(lit, field, b)                                                  \
    if (kl == sizeof(lit) - 1 && !memcmp(k, lit, kl)) {                   \
        *bit = b;                                                         \
        return &r->field;                                                 \
    }
    K("login", login, 1u << 0)
    K("remote", remote, 1u << 1)
    K("pwhash", pwhash, 1u << 2)
    K("protocol", protocol, 1u << 3)
    K("session_id", session_id, 1u << 4)
    K("device_id", device_id, 1u << 5)
    K("fail_type", fail_type, 1u << 6)
    K("local", local, 1u << 7)
    K("local_port", local_port, 1u << 8)
    K("secured", secured, 1u << 9)
#undef K
    *bit = 0;
    return NULL;
}

/* which boolean attribute a key is: 1 success, 2 policy_reject, 3 tls, 0 none */
static int bool_key(const char *k, size_t kl)
{
    if (kl == 7 && !memcmp(k, "success", 7))
        return 1;
    if (kl == 13 && !memcmp(k, "policy_reject", 13))
        return 2;
    if (kl == 3 && !memcmp(k, "tls", 3))
        return 3;
    return 0;
}

static void set_bool(struct dovecot_req *r, int which, bool b)
{
    if (which == 1)
        r->success = b;
    else if (which == 2)
        r->policy_reject = b;
    else if (which == 3)
        r->tls = b;
}

static int walk(struct dovecot_req *r, json_t *obj, int depth, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (json_is_object(v)) {
            if (depth >= 2)
                continue; /* deeper nesting is not Dovecot's */
            if (walk(r, v, depth + 1, err, errlen) < 0)
                return -1;
            continue;
        }
        size_t kl = strlen(key);
        unsigned bit;
        struct mw_slice *slot = slot_of(r, key, kl, &bit);
        int bk = bool_key(key, kl);
        if (bk) {
            bool b;
            if (truthy(v, &b) < 0) {
                snprintf(err, errlen, "attribute %s is not a boolean", key);
                return -1;
            }
            set_bool(r, bk, b);
            continue;
        }
        if (!slot)
            continue; /* unknown attributes are Dovecot's business */
        if (json_is_null(v))
            continue;
        if (!json_is_string(v)) {
            snprintf(err, errlen, "attribute %s is not a string", key);
            return -1;
        }
        if (keep(r, slot, json_string_value(v), json_string_length(v)) < 0) {
            snprintf(err, errlen, "attribute %s is too long", key);
            return -1;
        }
    }
    return 0;
}

/* plain_string - from p, just after an opening quote: the closing quote,
 * or NULL if the string has an escape, a control byte or non-ASCII (the
 * fast path leaves those to jansson) or does not end before end */
static const char *plain_string(const char *p, const char *end)
{
    while (p < end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return NULL;
        p++;
    }
    return p < end ? p : NULL;
}

/* fast_parse - the hot path: Dovecot's bodies are one flat object of
 * plain ASCII strings and booleans. 1 parsed; 0 anything else (escapes,
 * non-ASCII, numbers, nesting, duplicates, errors): the caller then parses
 * with jansson, which also words the errors. Never reads past n. */
static int fast_parse(struct dovecot_req *r, const char *p, size_t n)
{
    const char *end = p + n;
    unsigned seen = 0;
#define WS() while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++
    WS();
    if (p == end || *p++ != '{')
        return 0;
    WS();
    if (p < end && *p == '}') {
        p++;
        WS();
        return p == end;
    }
    for (;;) {
        if (p == end || *p++ != '"')
            return 0;
        const char *k = p;
        if (!(p = plain_string(p, end)))
            return 0;
        size_t kl = (size_t)(p - k);
        p++;
        WS();
        if (p == end || *p++ != ':')
            return 0;
        WS();
        if (p == end)
            return 0;
        unsigned bit;
        struct mw_slice *slot = slot_of(r, k, kl, &bit);
        if (bit) {
            if (seen & bit)
                return 0;
            seen |= bit;
        }
        int bk = bool_key(k, kl);
        if (*p == '"') {
            const char *v = ++p;
            if (!(p = plain_string(p, end)))
                return 0;
            size_t vl = (size_t)(p - v);
            p++;
            if (slot && keep(r, slot, v, vl) < 0)
                return 0;
            if (bk)
                set_bool(r, bk, (vl == 4 && !memcmp(v, "true", 4)) || (vl == 3 && !memcmp(v, "yes", 3)) ||
                                    (vl == 1 && *v == '1'));
        } else if ((size_t)(end - p) >= 4 && !memcmp(p, "true", 4)) {
            if (slot)
                return 0; /* a string attribute as a boolean: let jansson say so */
            p += 4;
            set_bool(r, bk, true);
        } else if ((size_t)(end - p) >= 5 && !memcmp(p, "false", 5)) {
            if (slot)
                return 0;
            p += 5;
            set_bool(r, bk, false);
        } else if ((size_t)(end - p) >= 4 && !memcmp(p, "null", 4)) {
            if (bk)
                return 0;
            p += 4;
        } else {
            return 0; /* numbers, objects, arrays: the general path */
        }
        WS();
        if (p == end)
            return 0;
        if (*p == ',') {
            p++;
            WS();
            continue;
        }
        if (*p++ != '}')
            return 0;
        WS();
        return p == end;
    }
#undef WS
}

static void reset(struct dovecot_req *r)
{
    enum dovecot_cmd cmd = r->command;
    memset(r, 0, offsetof(struct dovecot_req, arena));
    r->command = cmd;
    r->used = 0;
    r->tls = -1;
}

int dovecot_parse(struct dovecot_req *r, const char *body, size_t n, char *err, size_t errlen)
{
    reset(r);
    if (fast_parse(r, body, n))
        return 0;
    return dovecot_parse_json(r, body, n, err, errlen);
}

int dovecot_parse_json(struct dovecot_req *r, const char *body, size_t n, char *err, size_t errlen)
{
    reset(r);
    json_error_t je;
    json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "malformed JSON at byte %d: %s", je.position, je.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the body is not a JSON object");
        rc = -1;
    } else {
        rc = walk(r, root, 0, err, errlen);
    }
    json_decref(root);
    return rc;
}

size_t dovecot_reply(char *buf, size_t cap, int status, const char *msg)
{
    size_t n = (size_t)snprintf(buf, cap, "{\"status\":%d,\"msg\":\"", status);
    for (const char *p = msg ? msg : ""; *p && n + 8 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    if (n + 3 > cap)
        n = cap - 3;
    buf[n++] = '"';
    buf[n++] = '}';
    buf[n] = 0;
    return n;
}

enum mw_service dovecot_service(struct mw_slice p)
{
#define IS(lit) (p.n == sizeof(lit) - 1 && !memcmp(p.p, lit, p.n))
    if (IS("imap"))
        return MW_SVC_IMAP;
    if (IS("pop3"))
        return MW_SVC_POP3;
    if (IS("smtp") || IS("submission"))
        return MW_SVC_SUBMISSION;
    if (IS("sieve") || IS("managesieve"))
        return MW_SVC_SIEVE;
    if (IS("lmtp"))
        return MW_SVC_LMTP;
    return MW_SVC_UNKNOWN;
#undef IS
}
