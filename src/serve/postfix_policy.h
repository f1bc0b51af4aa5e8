/*
 * postfix_policy - Postfix's policy delegation protocol (SMTPD_POLICY_README)
 * without networking: requests are `name=value` lines ended by an empty
 * line; the reply is `action=...` and an empty line.
 *
 * pfpol_feed() takes one line (without its newline; a trailing \r is
 * dropped) and returns PFPOL_MORE, PFPOL_DONE when the empty line ended a
 * request (the attributes are then in the struct), or PFPOL_ERROR with a
 * reason (a line without '=', a request larger than the limit, too many
 * attributes). Values are copied into the request's own arena; attributes
 * mailward does not use are skipped (still counted against the limits).
 * pfpol_reset() starts the next request.
 */
#ifndef MW_SERVE_POSTFIX_POLICY_H
#define MW_SERVE_POSTFIX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../event/event.h"

enum pfpol_state { PFPOL_STATE_OTHER = 0, PFPOL_STATE_RCPT, PFPOL_STATE_EOM, PFPOL_STATE_DATA };
enum pfpol_rc { PFPOL_MORE = 0, PFPOL_DONE = 1, PFPOL_ERROR = -1 };

#define PFPOL_ARENA 4096
#define PFPOL_MAX_ATTRS 100

struct pfpol_req {
    bool is_policy;           /* request=smtpd_access_policy */
    enum pfpol_state state;
    struct mw_slice request, protocol_state, protocol_name, sasl_username, client_address, sender, recipient,
        queue_id, instance, helo_name;
    int64_t recipient_count, size;  /* -1 unknown */
    size_t bytes, nattrs, max_bytes;
    char arena[PFPOL_ARENA];
    size_t used;
    char err[128];
};

void pfpol_init(struct pfpol_req *r, size_t max_bytes);
void pfpol_reset(struct pfpol_req *r);
enum pfpol_rc pfpol_feed(struct pfpol_req *r, const char *line, size_t n);

#endif
