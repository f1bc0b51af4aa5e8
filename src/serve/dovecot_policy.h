/*
 * dovecot_policy - Dovecot's auth policy requests (the HTTP JSON body and
 * the ?command= of the URL) and replies, without any networking.
 *
 * Dovecot (2.2.27+) POSTs a JSON object of its auth_policy_request_attributes
 * (by default login, pwhash, remote, device_id, protocol, session_id; the
 * report also carries success, policy_reject, and fail_type in 2.3) to
 * URL?command=allow before authenticating and URL?command=report after.
 * Attribute values are strings (success/policy_reject/tls are booleans, or
 * strings in older versions); unknown attributes are ignored; nested
 * objects are flattened by name ("attrs":{"x":..} as x). dovecot_parse()
 * fills a struct dovecot_req whose strings point into `arena` (owned by the
 * request); it returns 0, or -1 with a reason in err (malformed JSON, not an
 * object, a value too long, no command).
 */
#ifndef MW_SERVE_DOVECOT_POLICY_H
#define MW_SERVE_DOVECOT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../event/event.h"

enum dovecot_cmd { DOVECOT_NONE = 0, DOVECOT_ALLOW, DOVECOT_REPORT };

#define DOVECOT_ARENA 2048

struct dovecot_req {
    enum dovecot_cmd command;
    struct mw_slice login, remote, pwhash, protocol, session_id, device_id, fail_type, local, local_port, secured;
    bool success, policy_reject;
    int tls;                  /* 1, 0, -1 unknown */
    char arena[DOVECOT_ARENA];
    size_t used;
};

/* dovecot_command - the command of a query string ("command=allow&..."), or NONE */
enum dovecot_cmd dovecot_command(const char *query);
int dovecot_parse(struct dovecot_req *r, const char *body, size_t n, char *err, size_t errlen);
/* dovecot_parse_json - the same with jansson only (dovecot_parse takes a
 * fast path for flat ASCII bodies, as Dovecot sends them, and falls back
 * to this; the fuzz target checks that both agree) */
int dovecot_parse_json(struct dovecot_req *r, const char *body, size_t n, char *err, size_t errlen);
/* dovecot_reply - {"status":N,"msg":"..."} into buf (msg JSON-escaped); length */
size_t dovecot_reply(char *buf, size_t cap, int status, const char *msg);
/* dovecot_service - the event service of a Dovecot protocol name */
enum mw_service dovecot_service(struct mw_slice protocol);

#endif
