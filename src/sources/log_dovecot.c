/*
 * log_dovecot - Dovecot's log lines: login processes (imap-login,
 * pop3-login, submission-login, managesieve-login) and the auth / auth-worker
 * passdb lines, through syslog ("dovecot: imap-login: ...") or Dovecot's own
 * log file ("imap-login: Info: ..."). Versions 2.2 to 2.4.
 *
 * Events: auth_success / plaintext_login from "Login:" lines; auth_failure
 * from "(auth failed, N attempts ...)", "(tried to use disallowed plaintext
 * auth)" and passdb lines ("Password mismatch", "unknown user",
 * "pam_authenticate() failed", ...). Lines at Error/Warning/Fatal/Panic level
 * are server-side trouble and never become auth_failure. A password that
 * auth_verbose_passwords=plain put into the log is never copied out.
 */
#include "parser_int.h"

#include <strings.h>

static bool is_dovecot_service(struct mw_slice s)
{
    if (s.n >= 6 && memcmp(s.p + s.n - 6, "-login", 6) == 0)
        return true;
    if (SLICE_EQ(s, "auth") || SCAN_STARTS(s.p, s.n, "auth(") ||
        SCAN_STARTS(s.p, s.n, "auth-worker("))
        return true;
    return false;
}

bool log_dovecot_match(const struct logline *ll)
{
    struct mw_slice prog = ll->program;
    if (SLICE_EQ(prog, "dovecot"))
        return true;
    return ll->shape == LL_NOHOST && is_dovecot_service(prog);
}

/* strip "Info: " and friends; returns false for levels that are server-side */
static bool strip_level(const char **s, size_t *n)
{
    const char *p = *s;
    size_t l = *n;
    if (l < 6)
        return true;
    switch (p[0]) {
    case 'I':
        if (SCAN_STARTS(p, l, "Info: ")) {
            *s += 6;
            *n -= 6;
        }
        return true;
    case 'D':
        return !SCAN_STARTS(p, l, "Debug: ");
    case 'W':
        return !SCAN_STARTS(p, l, "Warning: ");
    case 'E':
        return !SCAN_STARTS(p, l, "Error: ");
    case 'F':
        return !SCAN_STARTS(p, l, "Fatal: ");
    case 'P':
        return !SCAN_STARTS(p, l, "Panic: ");
    default:
        return true;
    }
}

static enum mw_service login_service(struct mw_slice sub)
{
    /* "imap-login" -> imap */
    struct mw_slice w = MW_SLICE(sub.p, sub.n - 6);
    if (SLICE_EQ(w, "managesieve"))
        return MW_SVC_SIEVE;
    return parser_service_from_word(w);
}

static bool cleartext_method(struct mw_slice m)
{
    return m.n == 0 || SLICE_EQ(m, "PLAIN") || SLICE_EQ(m, "LOGIN") ||
           SLICE_EQ(m, "XOAUTH2") || SLICE_EQ(m, "OAUTHBEARER");
}

/* "(auth failed, 3 attempts in 12 secs)" -> 3 */
static int32_t attempts_after(const char *p, const char *end)
{
    int32_t v = 0;
    int nd = 0;
    while (p < end && *p >= '0' && *p <= '9' && nd < 9) {
        v = v * 10 + (*p - '0');
        p++;
        nd++;
    }
    return nd ? v : -1;
}

/* the ", "-separated tokens after "user=<...>": TLS markers */
static void tls_markers(const char *s, size_t n, struct mw_event *ev)
{
    const char *end = s + n;
    const char *p = s;
    ev->tls = 0;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *tend = c ? c : end;
        while (p < tend && *p == ' ')
            p++;
        size_t tl = (size_t)(tend - p);
        /* 2.4 can print the typo "TSL" for TLS */
        if (tl >= 3 && (memcmp(p, "TLS", 3) == 0 || memcmp(p, "TSL", 3) == 0) &&
            (tl == 3 || p[3] == ':' || p[3] == ' '))
            ev->tls = SCAN_STARTS(p, tl, "TLS handshaking") ? 0 : 1;
        else if (tl == 7 && memcmp(p, "secured", 7) == 0)
            ev->secured = true;
        if (!c)
            break;
        p = c + 1;
    }
}

static int parse_login(const char *s, size_t n, struct mw_slice sub, struct mw_event *ev)
{
    const char *end = s + n;
    const char *user = SCAN_FIND(s, n, "user=<");
    if (!user)
        return 0;
    size_t headlen = (size_t)(user - s);
    const char *fields = user;
    size_t flen = (size_t)(end - user);

    if (SCAN_STARTS(s, headlen, "Login: ") || SCAN_STARTS(s, headlen, "Logged in: ")) {
        ev->kind = MW_KIND_AUTH_SUCCESS;
    } else {
        const char *af = scan_find(s, headlen, "(auth failed, ", 14);
        if (af) {
            ev->kind = MW_KIND_AUTH_FAILURE;
            ev->attempts = attempts_after(af + 14, user);
        } else if (scan_find(s, headlen, "disallowed plaintext auth", 25) ||
                   scan_find(s, headlen, "disallowed cleartext auth", 25) ||
                   scan_find(s, headlen, "Plaintext authentication disabled", 33) ||
                   scan_find(s, headlen, "Cleartext authentication disabled", 33)) {
            ev->kind = MW_KIND_AUTH_FAILURE;
            ev->reason = MW_SLICE_LIT("plaintext_disallowed");
        } else {
            return 0;
        }
    }
    ev->service = login_service(sub);
    ev->account = SCAN_ANGLE(fields, flen, "user=<");
    ev->method = SCAN_KV(fields, flen, "method=", ", ");
    ev->ip = SCAN_KV(fields, flen, "rip=", ", ");
    ev->session = SCAN_ANGLE(fields, flen, "session=<");
    if (ev->account.p && ev->account.n == 0)
        ev->account = (struct mw_slice){NULL, 0};
    if (!ev->method.n)
        ev->method = (struct mw_slice){NULL, 0};
    if (!ev->ip.n)
        ev->ip = (struct mw_slice){NULL, 0};
    tls_markers(fields, flen, ev);
    if (ev->kind == MW_KIND_AUTH_SUCCESS && ev->tls == 0 && !ev->secured &&
        cleartext_method(ev->method))
        ev->kind = MW_KIND_PLAINTEXT_LOGIN;
    if (ev->kind == MW_KIND_AUTH_FAILURE && !ev->reason.p && !ev->account.p &&
        ev->attempts == 0)
        return 0;
    return 1;
}

static const char *const passdbs[] = {
    "passwd-file(", "passwd(", "shadow(", "pam(", "sql(", "ldap(", "bsdauth(",
    "checkpassword(", "static(", "lua(", "oauth2(", "imap(", "dict(", "vpopmail(",
    "policy(", "sasl(", "ldap-bind(",
};

/* find "<passdb>(" at s or after a ": " */
static const char *find_passdb(const char *s, size_t n, size_t *namelen)
{
    const char *end = s + n;
    const char *p = s;
    for (;;) {
        for (size_t i = 0; i < sizeof(passdbs) / sizeof(passdbs[0]); i++) {
            size_t l = strlen(passdbs[i]);
            if ((size_t)(end - p) >= l && memcmp(p, passdbs[i], l) == 0) {
                *namelen = l - 1;
                return p;
            }
        }
        const char *c = memmem(p, (size_t)(end - p), ": ", 2);
        if (!c)
            return NULL;
        p = c + 2;
    }
}

/* (user,ip[,<session>]) -> parts, parsed from the right so commas in the
 * user name survive */
static void passdb_args(const char *a, size_t n, struct mw_event *ev)
{
    const char *end = a + n;
    if (n >= 1 && end[-1] == ',') /* empty session: "ldap(grace,192.0.2.1,)" */
        end--;
    if ((size_t)(end - a) >= 2 && end[-1] == '>') {
        const char *lt = NULL;
        for (const char *q = end - 2; q > a; q--)
            if (*q == '<' && q[-1] == ',') {
                lt = q;
                break;
            }
        if (lt) {
            ev->session = MW_SLICE(lt + 1, (size_t)(end - 1 - lt - 1));
            end = lt - 1;
        }
    }
    const char *comma = NULL;
    for (const char *q = end - 1; q >= a; q--)
        if (*q == ',') {
            comma = q;
            break;
        }
    if (comma) {
        struct mw_slice ip = MW_SLICE(comma + 1, (size_t)(end - comma - 1));
        if (ip.n && scan_looks_ip(ip.p, ip.n))
            ev->ip = ip;
        ev->account = MW_SLICE(a, (size_t)(comma - a));
    } else {
        ev->account = MW_SLICE(a, (size_t)(end - a));
    }
    if (ev->account.n == 0 || (ev->account.n == 1 && ev->account.p[0] == '?'))
        ev->account = (struct mw_slice){NULL, 0};
}

/* the reason text of a passdb line -> reason slug; {NULL,0} when the line
 * is not a client's final failure (server trouble, "trying the next passdb") */
static struct mw_slice passdb_reason(const char *text, size_t tl)
{
    static const struct mw_slice none = {NULL, 0};
    if (SCAN_FIND(text, tl, "trying the next userdb"))
        return none; /* a userdb lookup after the password was accepted */
    if (SCAN_STARTS(text, tl, "Password mismatch") || SCAN_STARTS(text, tl, "invalid credentials") ||
        SCAN_STARTS(text, tl, "Invalid credentials"))
        return MW_SLICE_LIT("password_mismatch");
    if (SCAN_STARTS(text, tl, "unknown user"))
        return MW_SLICE_LIT("unknown_user");
    if (SCAN_STARTS(text, tl, "pam_authenticate() failed: ")) {
        const char *why = text + 27;
        size_t wl = tl - 27;
        if (SCAN_STARTS(why, wl, "User not known"))
            return MW_SLICE_LIT("unknown_user");
        if (SCAN_STARTS(why, wl, "Authentication failure"))
            return MW_SLICE_LIT("password_mismatch");
        /* PAM_PERM_DENIED may come from an account module after a right password */
        if (SCAN_STARTS(why, wl, "Permission denied") ||
            SCAN_STARTS(why, wl, "Authentication token is no longer valid") ||
            SCAN_STARTS(why, wl, "Maximum number of tries exceeded"))
            return MW_SLICE_LIT("pam_failure");
        return none; /* PAM module or system trouble: server-side */
    }
    if (SCAN_STARTS(text, tl, "Authentication failure due to policy server refusal"))
        return MW_SLICE_LIT("policy_reject");
    if (SCAN_STARTS(text, tl, "Login failed"))
        return MW_SLICE_LIT("password_mismatch"); /* checkpassword */
    return none;
}

static void passdb_fingerprint(const char *text, size_t tl, struct mw_event *ev)
{
    const char *end = text + tl;
    const char *fp = SCAN_FIND(text, tl, "(SHA1 of given password: ");
    if (fp) {
        const char *h = fp + 25;
        const char *e = memchr(h, ')', (size_t)(end - h));
        if (e && e > h)
            ev->pw_fingerprint = MW_SLICE(h, (size_t)(e - h));
    }
}

static int emit_passdb(struct mw_slice reason, const char *text, size_t tl, struct mw_event *ev)
{
    if (!reason.p)
        return 0;
    /* "- trying the next passdb": another passdb may still accept the
     * password, so this is no failed login yet; the login process's line
     * (same session) gives the verdict. The fingerprint is kept. */
    if (SCAN_FIND(text, tl, "trying the next passdb")) {
        ev->kind = MW_KIND_PASSDB_MISS;
    } else {
        ev->kind = MW_KIND_AUTH_FAILURE;
        ev->attempts = 1;
    }
    ev->reason = reason;
    passdb_fingerprint(text, tl, ev);
    return 1;
}

/* Dovecot 2.2/2.3: "passwd-file(user,ip,<session>): Password mismatch ..." */
static int parse_passdb(const char *s, size_t n, struct mw_event *ev)
{
    size_t namelen;
    const char *db = find_passdb(s, n, &namelen);
    if (!db)
        return 0;
    const char *end = s + n;
    const char *args = db + namelen + 1;
    const char *close = memmem(args, (size_t)(end - args), "): ", 3);
    if (!close)
        return 0;
    const char *text = close + 3;
    size_t tl = (size_t)(end - text);
    struct mw_slice reason = passdb_reason(text, tl);
    if (!reason.p)
        return 0;
    passdb_args(args, (size_t)(close - args), ev);
    return emit_passdb(reason, text, tl, ev);
}

/* Dovecot 2.4 writes "sasl:plain"; the login lines say "PLAIN" */
static struct mw_slice canonical_mech(struct mw_slice m)
{
    static const char *const mechs[] = {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5",
                                        "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2",
                                        "OAUTHBEARER", "EXTERNAL", "ANONYMOUS", "APOP",
                                        "GSSAPI", "NTLM", "OTP"};
    for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
        if (strlen(mechs[i]) == m.n && strncasecmp(mechs[i], m.p, m.n) == 0)
            return MW_SLICE(mechs[i], m.n);
    return m;
}

/* Dovecot 2.4: the request is in the prefix, "auth(user,ip,sasl:plain)<session>"
 * or "auth-worker(user,ip)<pid><session>", and the message is
 * "[request [N]: ][Info: ]passdb-name: Password mismatch ..." */
static int parse_passdb24(struct mw_slice sub, const char *s, size_t n, struct mw_event *ev)
{
    const char *lp = memchr(sub.p, '(', sub.n);
    const char *send = sub.p + sub.n;
    const char *rp = NULL;
    for (const char *q = send - 1; q > lp; q--)
        if (*q == ')') {
            rp = q;
            break;
        }
    if (!lp || !rp)
        return 0;
    /* args: user,ip[,sasl:mech] */
    const char *a = lp + 1;
    size_t an = (size_t)(rp - a);
    const char *last = NULL;
    for (const char *q = rp - 1; q >= a; q--)
        if (*q == ',') {
            last = q;
            break;
        }
    if (last && SCAN_STARTS(last + 1, (size_t)(rp - last - 1), "sasl:")) {
        struct mw_slice mech = MW_SLICE(last + 6, (size_t)(rp - last - 6));
        if (mech.n)
            ev->method = canonical_mech(mech);
        an = (size_t)(last - a);
    }
    passdb_args(a, an, ev);
    /* session: the last <...> after the parens */
    const char *lt = NULL;
    for (const char *q = send - 1; q > rp; q--)
        if (*q == '<') {
            lt = q;
            break;
        }
    if (lt && send[-1] == '>' && send - 1 > lt + 1) {
        struct mw_slice sess = MW_SLICE(lt + 1, (size_t)(send - 1 - lt - 1));
        /* "<pid>" alone is not a session */
        size_t digits = 0;
        while (digits < sess.n && sess.p[digits] >= '0' && sess.p[digits] <= '9')
            digits++;
        if (digits != sess.n)
            ev->session = sess;
    }
    if (SCAN_STARTS(s, n, "request [")) {
        const char *c = memmem(s, n, "]: ", 3);
        if (!c)
            return 0;
        n -= (size_t)(c + 3 - s);
        s = c + 3;
    }
    if (!strip_level(&s, &n))
        return 0;
    /* "passwd-file: " / "unix_user: " - the passdb's name */
    const char *c = memmem(s, n, ": ", 2);
    if (c) {
        size_t w = (size_t)(c - s);
        bool word = w > 0 && w < 64 && !memchr(s, ' ', w);
        if (word) {
            n -= w + 2;
            s = c + 2;
        }
    }
    return emit_passdb(passdb_reason(s, n), s, n, ev);
}

int log_dovecot_parse(struct mw_parser *p, const struct logline *ll, struct mw_event *ev)
{
    (void)p;
    const char *s = ll->msg.p;
    size_t n = ll->msg.n;
    struct mw_slice sub;
    if (SLICE_EQ(ll->program, "dovecot")) {
        /* syslog: "imap-login: Login: ..." */
        const char *c = memmem(s, n, ": ", 2);
        if (!c)
            return 0;
        sub = MW_SLICE(s, (size_t)(c - s));
        n -= (size_t)(c + 2 - s);
        s = c + 2;
    } else {
        sub = ll->program;
    }
    if (!strip_level(&s, &n))
        return 0;
    if (sub.n > 6 && memcmp(sub.p + sub.n - 6, "-login", 6) == 0)
        return parse_login(s, n, sub, ev);
    if (SCAN_STARTS(sub.p, sub.n, "auth(") ||
        (SCAN_STARTS(sub.p, sub.n, "auth-worker(") && memchr(sub.p, ',', sub.n)))
        return parse_passdb24(sub, s, n, ev);
    if (SLICE_EQ(sub, "auth") || SCAN_STARTS(sub.p, sub.n, "auth-worker("))
        return parse_passdb(s, n, ev);
    return 0;
}
