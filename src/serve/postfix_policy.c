/*
 * postfix_policy - the policy delegation request parser (see postfix_policy.h).
 */
#include "postfix_policy.h"

#include <stdio.h>
#include <string.h>

void pfpol_init(struct pfpol_req *r, size_t max_bytes)
{
    r->max_bytes = max_bytes;
    pfpol_reset(r);
}

void pfpol_reset(struct pfpol_req *r)
{
    size_t max = r->max_bytes;
    memset(r, 0, offsetof(struct pfpol_req, arena));
    r->max_bytes = max;
    r->recipient_count = -1;
    r->size = -1;
    r->used = 0;
    r->err[0] = 0;
}

static int64_t number(const char *s, size_t n)
{
    if (!n || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

enum pfpol_rc pfpol_feed(struct pfpol_req *r, const char *line, size_t n)
{
    if (n && line[n - 1] == '\r')
        n--;
    r->bytes += n + 1;
    if (n == 0) {
        if (r->nattrs == 0) {
            snprintf(r->err, sizeof(r->err), "empty request");
            return PFPOL_ERROR;
        }
        return PFPOL_DONE;
    }
    if (r->max_bytes && r->bytes > r->max_bytes) {
        snprintf(r->err, sizeof(r->err), "request larger than %zu bytes", r->max_bytes);
        return PFPOL_ERROR;
    }
    if (++r->nattrs > PFPOL_MAX_ATTRS) {
        snprintf(r->err, sizeof(r->err), "more than %d attributes", PFPOL_MAX_ATTRS);
        return PFPOL_ERROR;
    }
    const char *eq = memchr(line, '=', n);
    if (!eq || eq == line) {
        snprintf(r->err, sizeof(r->err), "line %zu is not name=value", r->nattrs);
        return PFPOL_ERROR;
    }
    size_t kl = (size_t)(eq - line);
    const char *v = eq + 1;
    size_t vl = n - kl - 1;
    struct mw_slice *slot = NULL;
#define KEY(lit) (kl == sizeof(lit) - 1 && !memcmp(line, lit, kl))
    if (KEY("request"))
        slot = &r->request;
    else if (KEY("protocol_state"))
        slot = &r->protocol_state;
    else if (KEY("protocol_name"))
        slot = &r->protocol_name;
    else if (KEY("sasl_username"))
        slot = &r->sasl_username;
    else if (KEY("client_address"))
        slot = &r->client_address;
    else if (KEY("sender"))
        slot = &r->sender;
    else if (KEY("recipient"))
        slot = &r->recipient;
    else if (KEY("queue_id"))
        slot = &r->queue_id;
    else if (KEY("instance"))
        slot = &r->instance;
    else if (KEY("helo_name"))
        slot = &r->helo_name;
    else if (KEY("recipient_count")) {
        r->recipient_count = number(v, vl);
        return PFPOL_MORE;
    } else if (KEY("size")) {
        r->size = number(v, vl);
        return PFPOL_MORE;
    }
#undef KEY
    if (!slot)
        return PFPOL_MORE;
    if (vl > 512 || r->used + vl + 1 > sizeof(r->arena)) {
        snprintf(r->err, sizeof(r->err), "attribute %.*s is too long", (int)(kl > 40 ? 40 : kl), line);
        return PFPOL_ERROR;
    }
    memcpy(r->arena + r->used, v, vl);
    r->arena[r->used + vl] = 0;
    *slot = MW_SLICE(r->arena + r->used, vl);
    r->used += vl + 1;
    if (slot == &r->request)
        r->is_policy = vl == 19 && !memcmp(v, "smtpd_access_policy", 19);
    if (slot == &r->protocol_state) {
        if (vl == 4 && !memcmp(v, "RCPT", 4))
            r->state = PFPOL_STATE_RCPT;
        else if (vl == 14 && !memcmp(v, "END-OF-MESSAGE", 14))
            r->state = PFPOL_STATE_EOM;
        else if (vl == 4 && !memcmp(v, "DATA", 4))
            r->state = PFPOL_STATE_DATA;
        else
            r->state = PFPOL_STATE_OTHER;
    }
    return PFPOL_MORE;
}
