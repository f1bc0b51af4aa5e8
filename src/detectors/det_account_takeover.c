/*
 * det_account_takeover - the attacker got in:
 *  - a successful login from an address that an attack finding (brute
 *    force, spray, stuffing) has named, or, if the login is from a network
 *    new to the account, from an IPv6 /64 holding a campaign's addresses;
 *    flagged at that login;
 *  - or a login from a network (ASN when the caller has a table, else the
 *    /16 or IPv6 /32) the account never used in at least a day of history,
 *    followed within the hour by deliveries to novel_recipients recipients
 *    outside the account's own domain: a traveller's
 *    first login abroad and ordinary mail is left alone, a hijacker's
 *    mass mailing is not.
 * One finding per account, critical; the account is registered ("acct:"),
 * so det_outbound_spam holds its mail from then on.
 *
 * State: a baseline per account (the networks of its logins, bounded).
 */
#include "detector.h"
#include "../util/hset.h"
#include "../util/ipaddr.h"
#include "../util/ktable.h"
#include "../util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NETS 8
#define HISTORY_US (24 * 3600 * 1000000LL)
#define NOVEL_WINDOW_US (3600 * 1000000LL)

struct baseline {
    int64_t first_us;          /* first login seen */
    uint32_t logins;
    uint32_t nets[NETS];
    uint16_t nnets;
    int64_t novel_us;          /* login from a new network, 0 = none pending */
    uint32_t novel_rcpts;      /* recipients sent since */
    char novel_ip[IPADDR_STRLEN];
    uint8_t novel_iplen;
};

struct takeover {
    struct ktable *accounts;
};

static double bl_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct baseline *)v)->logins;
}

static void *to_create(struct engine *e)
{
    struct takeover *t = xcalloc(1, sizeof(*t));
    t->accounts = ktable_create(engine_config(e)->max_keys / 2 + 64, sizeof(struct baseline), bl_score, NULL);
    return t;
}

static void to_destroy(void *self)
{
    struct takeover *t = self;
    ktable_free(t->accounts);
    free(t);
}

/* the network of an address for baselines */
static uint32_t network_of(const struct engine_config *c, struct mw_slice ip)
{
    if (c->network_of) {
        uint32_t n = c->network_of(c->network_ctx, ip);
        if (n)
            return n;
    }
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    char cidr[IPADDR_CIDRLEN];
    size_t l = ipaddr_format_cidr(&a, ipaddr_net_bits(&a) == 24 ? 16 : 32, cidr);
    return hash32(cidr, l);
}

static void flag(struct engine *e, const struct attempt *a, const struct mw_event *ev, struct mw_slice account,
                 struct mw_slice ip, const struct finding *attack, const char *how, bool by_network)
{
    bool created;
    struct finding *f = engine_finding(e, FK_ACCOUNT_TAKEOVER, account.p, account.n, ev, &created);
    int new_ip = ip.n ? strset_add(&f->ips, ip.p, ip.n) : 0;
    strset_add(&f->accounts, account.p, account.n);
    strset_add(&f->labels, how, strlen(how));
    finding_seen(f, &ev->time);
    if (a)
        finding_set_num(f, "logins_from_attackers", finding_get_num(f, "logins_from_attackers") + 1);
    if (attack)
        finding_set_num(f, "attack_finding", (int64_t)attack->id);
    finding_add_example(f, ev);
    if (created) {
        /* the account's mail from now on is the attacker's (det_outbound_spam) */
        char key[160];
        int kl = snprintf(key, sizeof(key), "acct:%.*s", (int)(account.n > 140 ? 140 : account.n), account.p);
        engine_attacker_add(e, key, (size_t)kl, f);
        f->severity = SEV_CRITICAL;
        if (attack)
            snprintf(f->summary, sizeof(f->summary),
                     "%.*s logged in from %.*s, %s of %s finding #%llu: the account is compromised",
                     (int)account.n, account.p, (int)ip.n, ip.p,
                     by_network ? "new to the account and in a network" : "an address", how,
                     (unsigned long long)attack->id);
        else
            snprintf(f->summary, sizeof(f->summary),
                     "%.*s logged in from %.*s, a network it never used, then mailed many recipients: "
                     "the account is compromised",
                     (int)account.n, account.p, (int)ip.n, ip.p);
    }
    engine_finding_changed(e, f, created || new_ip == 1);
}

void takeover_flag_late(struct engine *e, const struct mw_event *login, struct mw_slice account,
                        struct mw_slice ip, const struct finding *attack)
{
    flag(e, NULL, login, account, ip, attack, finding_kind_name(attack->kind), false);
}

/* is this login from a network the account has a baseline without? */
static bool new_network_for(struct takeover *t, struct engine *e, const struct attempt *a)
{
    struct baseline *b = ktable_get(t->accounts, a->account.p, a->account.n);
    if (!b || !b->logins)
        return false;
    uint32_t net = network_of(engine_config(e), a->ip);
    for (uint16_t i = 0; i < b->nnets && i < NETS; i++)
        if (b->nets[i] == net)
            return false;
    return net != 0;
}

/* baseline upkeep on a success; a new network opens a watch window */
static void baseline_login(struct takeover *t, struct engine *e, const struct attempt *a)
{
    struct baseline *b = ktable_put(t->accounts, a->account.p, a->account.n, NULL);
    int64_t now = a->time.epoch_us;
    if (!b->logins)
        b->first_us = now;
    b->logins++;
    uint32_t net = network_of(engine_config(e), a->ip);
    if (!net)
        return;
    bool known = false;
    for (uint16_t i = 0; i < b->nnets && i < NETS; i++)
        known |= b->nets[i] == net;
    if (known)
        return;
    if (b->logins > 5 && now - b->first_us >= HISTORY_US && b->nnets) {
        b->novel_us = now;
        b->novel_rcpts = 0;
        size_t l = a->ip.n < sizeof(b->novel_ip) ? a->ip.n : sizeof(b->novel_ip) - 1;
        memcpy(b->novel_ip, a->ip.p, l);
        b->novel_iplen = (uint8_t)l;
    }
    if (b->nnets < NETS)
        b->nets[b->nnets++] = net;
    else
        b->nets[(b->logins) % NETS] = net; /* keep recent ones */
}

/* a recipient outside the sender's own domain (a reply-all to colleagues
 * is not mass mail) */
static bool external(struct mw_slice account, struct mw_slice rcpt)
{
    const char *ra = memchr(rcpt.p, '@', rcpt.n);
    const char *aa = memchr(account.p, '@', account.n);
    if (!ra)
        return false;
    if (!aa)
        return true;
    size_t rl = (size_t)(rcpt.p + rcpt.n - ra), al = (size_t)(account.p + account.n - aa);
    return rl != al || strncasecmp(ra, aa, rl) != 0;
}

static void to_event(void *self, struct engine *e, const struct mw_event *ev)
{
    struct takeover *t = self;
    if ((ev->kind != MW_KIND_DELIVERY && ev->kind != MW_KIND_DNSBL_LISTING) || !ev->account.n ||
        !ev->recipient.n)
        return;
    struct baseline *b = ktable_get(t->accounts, ev->account.p, ev->account.n);
    if (!b || !b->novel_us)
        return;
    if (ev->time.epoch_us - b->novel_us > NOVEL_WINDOW_US) {
        b->novel_us = 0;
        return;
    }
    if (!external(ev->account, ev->recipient))
        return;
    b->novel_rcpts++;
    if (b->novel_rcpts < engine_config(e)->novel_recipients)
        return;
    b->novel_us = 0;
    flag(e, NULL, ev, ev->account, MW_SLICE(b->novel_ip, b->novel_iplen), NULL, "new_network_then_mass_mail",
         false);
}

static void to_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct takeover *t = self;
    if (!a->success || !a->ip.n || !a->account.n)
        return;
    const struct finding *attack = engine_attacker_of(e, a->ip.p, a->ip.n);
    bool by_network = false;
    if (!attack && new_network_for(t, e, a)) {
        /* a network holding a campaign's addresses counts only for a login
         * that is new to the account: users at home in a /24 that attack
         * proxies share are not the attackers */
        struct ipaddr ip;
        char cidr[IPADDR_CIDRLEN], key[64];
        /* IPv6 /64s only: one customer or site each. An IPv4 /24 of a
         * residential ISP holds proxies and real users side by side (the
         * simulator's residential mix flagged dozens of users that way) */
        if (ipaddr_parse(a->ip.p, a->ip.n, &ip) == IPADDR_OK && ipaddr_net_bits(&ip) == 64) {
            ipaddr_format_net(&ip, cidr);
            int n = snprintf(key, sizeof(key), "net:%s", cidr);
            attack = engine_attacker_of(e, key, (size_t)n);
            by_network = attack != NULL;
        }
    }
    if (attack && attack->kind != FK_ACCOUNT_TAKEOVER && attack->kind != FK_OUTBOUND_SPAM) {
        flag(e, a, a->ev, a->account, a->ip, attack, finding_kind_name(attack->kind), by_network);
        return; /* an attacker's login teaches the baseline nothing */
    }
    baseline_login(t, e, a);
}

static bool plain(const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (k[i] == '\t' || k[i] == '\n' || k[i] == '\r' || !k[i])
            return false;
    return n > 0;
}

static void save_one(const char *key, size_t keylen, void *value, void *ctx)
{
    const struct baseline *b = value;
    if (!plain(key, keylen))
        return;
    fprintf(ctx, "account_takeover\t%.*s\t%lld\t%u\t", (int)keylen, key, (long long)b->first_us, b->logins);
    for (uint16_t i = 0; i < b->nnets && i < NETS; i++)
        fprintf(ctx, "%s%08x", i ? "," : "", b->nets[i]);
    fputc('\n', ctx);
}

static void to_save(void *self, FILE *f)
{
    struct takeover *t = self;
    ktable_foreach(t->accounts, save_one, f);
}

/* "ACCOUNT\tfirst_us\tlogins\tnet,net,..." */
static int to_load(void *self, const char *line)
{
    struct takeover *t = self;
    const char *t1 = strchr(line, '\t');
    if (!t1 || t1 == line)
        return -1;
    long long first;
    unsigned logins;
    int used = 0;
    if (sscanf(t1 + 1, "%lld\t%u\t%n", &first, &logins, &used) != 2 || !used)
        return -1;
    struct baseline *b = ktable_put(t->accounts, line, (size_t)(t1 - line), NULL);
    memset(b, 0, sizeof(*b));
    b->first_us = first;
    b->logins = logins;
    for (const char *p = t1 + 1 + used; *p && b->nnets < NETS;) {
        char *end;
        unsigned long v = strtoul(p, &end, 16);
        if (end == p || (*end && *end != ','))
            return -1;
        b->nets[b->nnets++] = (uint32_t)v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static size_t to_memory_for(size_t k)
{
    return ktable_size(k / 2 + 64, sizeof(struct baseline));
}

const struct detector_ops det_account_takeover = {
    .name = "account_takeover",
    .create = to_create,
    .on_attempt = to_attempt,
    .on_event = to_event,
    .save = to_save,
    .load = to_load,
    .memory_for = to_memory_for,
    .destroy = to_destroy,
};
