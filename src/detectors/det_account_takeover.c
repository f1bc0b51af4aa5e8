/*
 * det_account_takeover - the attacker got in:
 *  - a successful login from an address that an attack finding (brute
 *    force, spray, stuffing) has named, or, if the login is from a network
 *    new to the account, from an IPv6 /64 holding a campaign's addresses;
 *    flagged at that login;
 *  - or a login from a network (ASN when the caller has a table, else the
 *    /16 or IPv6 /32) or a country the account never used in at least a
 *    day of history, followed within the hour by deliveries to
 *    novel_recipients recipients outside our domains (those of the
 *    accounts that log in; a quarter of that when the login's protocol is
 *    new to the account too):
 *    a traveller's first login abroad and ordinary mail is left alone, a
 *    hijacker's mass mailing is not;
 *  - or logins from addresses (/24, IPv6 /64) new to the account, and
 *    within the hour of such a login, mail submitted from them to
 *    novel_domains distinct domains outside ours that the account never
 *    mailed before (its last DOMAINS are remembered): one message per scraped contact, each at its
 *    own domain, from a proxy in the user's own ISP, which no network or
 *    rate rule sees.
 * One finding per account, critical; the account is registered ("acct:"),
 * so det_outbound_spam holds its mail from then on.
 *
 * History: the account logged in 5+ times, and the engine (or the
 * account's saved baseline) goes back a day for a new network, half a day
 * for a new address.
 *
 * State: a baseline per account (bounded): the networks, addresses,
 * countries and protocols of its logins, the recipient domains it mailed,
 * and the two watches above.
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
#define ADDRS 8
#define COUNTRIES 4
#define DOMAINS 16
#define FRESH_NETS 4
#define FRESH_DOMAINS 32                /* novel_domains is capped at this */
#define HISTORY_US (24 * 3600 * 1000000LL)      /* for a new network's watch */
#define ADDR_HISTORY_US (12 * 3600 * 1000000LL) /* for a new address's */
#define NOVEL_WINDOW_US (3600 * 1000000LL)

struct baseline {
    int64_t first_us;          /* first login seen */
    uint32_t logins;
    uint32_t nets[NETS];       /* ASN, or /16, /32 */
    uint32_t addrs[ADDRS];     /* /24, /64 */
    uint32_t countries[COUNTRIES]; /* 'U' << 8 | 'S' */
    uint32_t domains[DOMAINS]; /* recipient domains outside its own, recent */
    uint16_t nnets, naddrs, ndomains, ncountries;
    uint8_t novel_why;         /* NEW_COUNTRY | NEW_PROTOCOL of the pending watch */
    uint16_t protos;           /* bit per enum mw_service */
    uint32_t domain_seq;       /* domains remembered, for the ring */
    /* watch 1: a login from a new network or country */
    int64_t novel_us;          /* 0 = none pending */
    uint32_t novel_rcpts;      /* recipients sent since */
    char novel_ip[IPADDR_STRLEN];
    uint8_t novel_iplen;
    /* watch 2: logins from new addresses, and the new domains mailed from them */
    uint16_t nfresh_domains;
    uint32_t fresh_nets[FRESH_NETS];
    int64_t fresh_us[FRESH_NETS];   /* 0: slot unused */
    uint32_t fresh_domains[FRESH_DOMAINS];
};

#define NEW_COUNTRY 1
#define NEW_PROTOCOL 2

#define OWN_DOMAINS 64

struct takeover {
    struct ktable *accounts;
    /* the domains of accounts that log in: ours (a reply-all to the
     * sister domain is not mass mail) */
    uint32_t own[OWN_DOMAINS];
    uint16_t nown;
    uint32_t own_seq;
};

static double bl_score(const void *v, void *ctx)
{
    (void)ctx;
    return ((const struct baseline *)v)->logins;
}

/* accounts that log in are the mailboxes, far fewer than addresses */
static size_t accounts_cap(size_t max_keys)
{
    return max_keys / 4 + 64;
}

static void *to_create(struct engine *e)
{
    struct takeover *t = xcalloc(1, sizeof(*t));
    t->accounts = ktable_create(accounts_cap(engine_config(e)->max_keys), sizeof(struct baseline), bl_score, NULL);
    return t;
}

static void to_destroy(void *self)
{
    struct takeover *t = self;
    ktable_free(t->accounts);
    free(t);
}

/* the network of an address for baselines; 0 for loopback (a webmail on
 * the host says nothing about where its user is) */
static uint32_t network_of(const struct engine_config *c, struct mw_slice ip)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK || ipaddr_is_loopback(&a))
        return 0;
    if (c->network_of) {
        uint32_t n = c->network_of(c->network_ctx, ip);
        if (n)
            return n;
    }
    char cidr[IPADDR_CIDRLEN];
    size_t l = ipaddr_format_cidr(&a, ipaddr_net_bits(&a) == 24 ? 16 : 32, cidr);
    return hash32(cidr, l);
}

/* the address's /24 (IPv6 /64): one line, one site; 0 for loopback */
static uint32_t addr_of(struct mw_slice ip)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK || ipaddr_is_loopback(&a))
        return 0;
    char cidr[IPADDR_CIDRLEN];
    size_t l = ipaddr_format_net(&a, cidr);
    return hash32(cidr, l);
}

/* how long the account's baseline goes back: to its first login, or to
 * the engine's first event if that is earlier (an account that did not
 * log in for hours was watched all the same) */
static int64_t history(const struct baseline *b, struct engine *e, int64_t now)
{
    int64_t since = b->first_us;
    int64_t seen = engine_first_us(e);
    if (seen && seen < since)
        since = seen;
    return b->logins > 5 ? now - since : 0;
}

/* the account's takeover finding, created at the first flag; the caller
 * may add evidence, then reports it with flag_done() */
struct flagging {
    struct finding *f;
    bool created;
    int new_ip;
};

static struct flagging flag_open(struct engine *e, const struct attempt *a, const struct mw_event *ev,
                                 struct mw_slice account, struct mw_slice ip, const struct finding *attack,
                                 const char *how, bool by_network, const char *summary)
{
    struct flagging g;
    struct finding *f = g.f = engine_finding(e, FK_ACCOUNT_TAKEOVER, account.p, account.n, ev, &g.created);
    g.new_ip = ip.n ? strset_add(&f->ips, ip.p, ip.n) : 0;
    strset_add(&f->accounts, account.p, account.n);
    strset_add(&f->labels, how, strlen(how));
    finding_seen(f, &ev->time);
    if (a)
        finding_set_num(f, "logins_from_attackers", finding_get_num(f, "logins_from_attackers") + 1);
    if (attack)
        finding_set_num(f, "attack_finding", (int64_t)attack->id);
    finding_add_example(f, ev);
    if (g.created) {
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
            snprintf(f->summary, sizeof(f->summary), "%s", summary ? summary : how);
    }
    return g;
}

static void flag_done(struct engine *e, const struct flagging *g)
{
    engine_finding_changed(e, g->f, g->created || g->new_ip == 1);
}

static void flag(struct engine *e, const struct attempt *a, const struct mw_event *ev, struct mw_slice account,
                 struct mw_slice ip, const struct finding *attack, const char *how, bool by_network)
{
    struct flagging g = flag_open(e, a, ev, account, ip, attack, how, by_network, NULL);
    flag_done(e, &g);
}

void takeover_flag_late(struct engine *e, const struct mw_event *login, struct mw_slice account,
                        struct mw_slice ip, const struct finding *attack)
{
    flag(e, NULL, login, account, ip, attack, finding_kind_name(attack->kind), false);
}

/* is this login from a network (net) the account has a baseline without? */
static bool new_network_for(struct takeover *t, const struct attempt *a, uint32_t net)
{
    struct baseline *b = ktable_get(t->accounts, a->account.p, a->account.n);
    return b && b->logins && net != 0 && !hset_has(b->nets, b->nnets, NETS, net);
}

static void copy_ip(char *dst, uint8_t *len, struct mw_slice ip)
{
    size_t l = ip.n < IPADDR_STRLEN ? ip.n : IPADDR_STRLEN - 1;
    memcpy(dst, ip.p, l);
    *len = (uint8_t)l;
}

static uint32_t domain_hash(struct mw_slice d)
{
    char low[256];
    size_t n = d.n < sizeof(low) ? d.n : sizeof(low);
    for (size_t i = 0; i < n; i++)
        low[i] = (char)((d.p[i] >= 'A' && d.p[i] <= 'Z') ? d.p[i] + 32 : d.p[i]);
    return hash32(low, n);
}

/* baseline upkeep on a success from network net; a new network or
 * country, or a new address, opens a watch */
static void baseline_login(struct takeover *t, struct engine *e, const struct attempt *a, uint32_t net)
{
    const struct engine_config *c = engine_config(e);
    struct baseline *b = ktable_put(t->accounts, a->account.p, a->account.n, NULL);
    int64_t now = a->time.epoch_us;
    if (!b->logins)
        b->first_us = now;
    int64_t known = history(b, e, now);
    b->logins++;
    const char *at = memchr(a->account.p, '@', a->account.n);
    if (at && at + 1 < a->account.p + a->account.n) {
        uint32_t own = domain_hash(MW_SLICE(at + 1, (size_t)(a->account.p + a->account.n - at - 1)));
        hset_keep(t->own, &t->nown, OWN_DOMAINS, own, t->own_seq++);
    }

    uint16_t proto = a->service > MW_SVC_UNKNOWN && a->service < MW_SVC__COUNT ? (uint16_t)(1u << a->service) : 0;
    bool new_proto = proto && !(b->protos & proto);
    b->protos |= proto;

    uint16_t cc = c->country_of ? c->country_of(c->network_ctx, a->ip) : 0;
    bool new_country = cc && b->ncountries && !hset_has(b->countries, b->ncountries, COUNTRIES, cc);
    if (cc)
        hset_keep(b->countries, &b->ncountries, COUNTRIES, cc, b->logins);

    uint32_t addr = addr_of(a->ip);
    if (addr && !hset_has(b->addrs, b->naddrs, ADDRS, addr)) {
        if (known >= ADDR_HISTORY_US && b->naddrs) {
            /* watch 2: what this address mails in the next hour */
            bool open = false;
            int slot = 0;
            for (int i = 0; i < FRESH_NETS; i++) {
                open |= b->fresh_us[i] && now - b->fresh_us[i] <= NOVEL_WINDOW_US;
                if (b->fresh_us[i] < b->fresh_us[slot])
                    slot = i;
            }
            if (!open)
                b->nfresh_domains = 0; /* a watch of its own: count afresh */
            b->fresh_nets[slot] = addr;
            b->fresh_us[slot] = now;
        }
        hset_keep(b->addrs, &b->naddrs, ADDRS, addr, b->logins);
    }

    bool new_net = net && !hset_has(b->nets, b->nnets, NETS, net);
    if ((new_net && b->nnets) || new_country) {
        if (known >= HISTORY_US) {
            b->novel_us = now;
            b->novel_rcpts = 0;
            b->novel_why = (uint8_t)((new_country ? NEW_COUNTRY : 0) | (new_proto ? NEW_PROTOCOL : 0));
            copy_ip(b->novel_ip, &b->novel_iplen, a->ip);
        }
    }
    if (new_net)
        hset_keep(b->nets, &b->nnets, NETS, net, b->logins);
}

/* a recipient outside the sender's own domain (a reply-all to colleagues
 * is not mass mail); *dom is set to its domain */
static bool external(struct mw_slice account, struct mw_slice rcpt, struct mw_slice *dom)
{
    const char *ra = memchr(rcpt.p, '@', rcpt.n);
    const char *aa = memchr(account.p, '@', account.n);
    if (!ra)
        return false;
    *dom = MW_SLICE(ra + 1, (size_t)(rcpt.p + rcpt.n - ra - 1));
    if (!aa)
        return true;
    size_t rl = (size_t)(rcpt.p + rcpt.n - ra), al = (size_t)(account.p + account.n - aa);
    return rl != al || strncasecmp(ra, aa, rl) != 0;
}

/* watch 1: recipients after a login from a new network or country */
static void novel_mail(struct baseline *b, struct engine *e, const struct mw_event *ev)
{
    if (!b->novel_us)
        return;
    if (ev->time.epoch_us - b->novel_us > NOVEL_WINDOW_US) {
        b->novel_us = 0;
        return;
    }
    b->novel_rcpts++;
    uint32_t need = engine_config(e)->novel_recipients;
    if (b->novel_why & NEW_PROTOCOL) {
        need /= 4; /* a protocol it never used either */
        if (need < 5)
            need = 5;
    }
    if (b->novel_rcpts < need)
        return;
    b->novel_us = 0;
    char sum[sizeof(((struct finding *)0)->summary)];
    snprintf(sum, sizeof(sum), "%.*s logged in from %.*s (a new %s%s), then mailed %u recipients within the hour: "
             "compromised",
             (int)ev->account.n, ev->account.p, (int)b->novel_iplen, b->novel_ip,
             (b->novel_why & NEW_COUNTRY) ? "country" : "network",
             (b->novel_why & NEW_PROTOCOL) ? " and protocol" : "", b->novel_rcpts);
    const char *how = (b->novel_why & NEW_COUNTRY) ? "new_country_then_mass_mail" : "new_network_then_mass_mail";
    struct flagging g = flag_open(e, NULL, ev, ev->account, MW_SLICE(b->novel_ip, b->novel_iplen), NULL, how, false, sum);
    finding_set_num(g.f, "recipients_after_login", b->novel_rcpts);
    if (b->novel_why & NEW_PROTOCOL)
        strset_add(&g.f->labels, "new_protocol", 12);
    flag_done(e, &g);
}

/* watch 2: domains never mailed, from addresses new to the account */
static void fresh_mail(struct baseline *b, struct engine *e, const struct mw_event *ev, uint32_t dom)
{
    if (!ev->ip.n)
        return;
    uint32_t addr = addr_of(ev->ip);
    bool watched = false;
    for (int i = 0; i < FRESH_NETS; i++)
        watched |= b->fresh_nets[i] == addr && b->fresh_us[i] &&
                   ev->time.epoch_us - b->fresh_us[i] <= NOVEL_WINDOW_US;
    if (!watched || hset_has(b->domains, b->ndomains, DOMAINS, dom))
        return;
    if (!hset_add(b->fresh_domains, FRESH_DOMAINS, &b->nfresh_domains, dom))
        return;
    uint32_t need = engine_config(e)->novel_domains;
    if (need > FRESH_DOMAINS)
        need = FRESH_DOMAINS;
    if (b->nfresh_domains != need)
        return;
    char sum[sizeof(((struct finding *)0)->summary)];
    snprintf(sum, sizeof(sum), "%.*s logged in from %.*s, new to it, then mailed %u domains it never mailed "
             "within the hour: compromised",
             (int)ev->account.n, ev->account.p, (int)ev->ip.n, ev->ip.p, need);
    struct flagging g =
        flag_open(e, NULL, ev, ev->account, ev->ip, NULL, "new_address_then_new_domains", false, sum);
    finding_set_num(g.f, "new_domains_after_login", need);
    flag_done(e, &g);
}

static void to_event(void *self, struct engine *e, const struct mw_event *ev)
{
    struct takeover *t = self;
    if ((ev->kind != MW_KIND_DELIVERY && ev->kind != MW_KIND_DNSBL_LISTING) || !ev->account.n ||
        !ev->recipient.n)
        return;
    struct baseline *b = ktable_get(t->accounts, ev->account.p, ev->account.n);
    struct mw_slice dom;
    if (!b || !external(ev->account, ev->recipient, &dom))
        return;
    uint32_t dh = domain_hash(dom);
    if (hset_has(t->own, t->nown, OWN_DOMAINS, dh))
        return; /* a domain of ours */
    novel_mail(b, e, ev);
    fresh_mail(b, e, ev, dh);
    hset_keep(b->domains, &b->ndomains, DOMAINS, dh, b->domain_seq++);
}

static void to_attempt(void *self, struct engine *e, const struct attempt *a)
{
    struct takeover *t = self;
    if (!a->success || !a->ip.n || !a->account.n)
        return;
    const struct finding *attack = engine_attacker_of(e, a->ip.p, a->ip.n);
    uint32_t net = network_of(engine_config(e), a->ip);
    bool by_network = false;
    if (!attack && new_network_for(t, a, net)) {
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
    baseline_login(t, e, a, net);
}

static bool plain(const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (k[i] == '\t' || k[i] == '\n' || k[i] == '\r' || !k[i])
            return false;
    return n > 0;
}

static void put_hashes(FILE *f, const uint32_t *set, uint16_t n, uint16_t cap)
{
    fputc('\t', f);
    for (uint16_t i = 0; i < n && i < cap; i++)
        fprintf(f, "%s%08x", i ? "," : "", set[i]);
}

static void save_one(const char *key, size_t keylen, void *value, void *ctx)
{
    const struct baseline *b = value;
    FILE *f = ctx;
    if (!plain(key, keylen))
        return;
    fprintf(f, "account_takeover\t%.*s\t%lld\t%u", (int)keylen, key, (long long)b->first_us, b->logins);
    put_hashes(f, b->nets, b->nnets, NETS);
    put_hashes(f, b->addrs, b->naddrs, ADDRS);
    fputc('\t', f);
    for (uint16_t i = 0; i < b->ncountries && i < COUNTRIES; i++)
        fprintf(f, "%s%c%c", i ? "," : "", (char)(b->countries[i] >> 8), (char)(b->countries[i] & 0xff));
    fprintf(f, "\t%x", b->protos);
    put_hashes(f, b->domains, b->ndomains, DOMAINS);
    fputc('\n', f);
}

static void to_save(void *self, FILE *f)
{
    struct takeover *t = self;
    ktable_foreach(t->accounts, save_one, f);
}

/* "h,h,..." up to a tab or the end; the end of it in *end; -1 if malformed */
static int get_hashes(const char *p, uint32_t *set, uint16_t *n, uint16_t cap, const char **end)
{
    while (*p && *p != '\t' && *p != '\n') {
        char *e;
        unsigned long v = strtoul(p, &e, 16);
        if (e == p || (*e && *e != ',' && *e != '\t' && *e != '\n') || *n >= cap)
            return -1;
        set[(*n)++] = (uint32_t)v;
        p = *e == ',' ? e + 1 : e;
    }
    *end = p;
    return 0;
}

/* "ACCOUNT\tfirst_us\tlogins\tnets[\taddrs\tcountries\tprotocols\tdomains]"
 * (the bracketed fields since countries and domains were added) */
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
    struct baseline nb;
    memset(&nb, 0, sizeof(nb));
    nb.first_us = first;
    nb.logins = logins;
    const char *p = t1 + 1 + used;
    if (get_hashes(p, nb.nets, &nb.nnets, NETS, &p) < 0)
        return -1;
    if (*p == '\t') {
        if (get_hashes(p + 1, nb.addrs, &nb.naddrs, ADDRS, &p) < 0 || *p != '\t')
            return -1;
        p++;
        while (*p && *p != '\t') {
            if (!p[0] || !p[1] || (p[2] && p[2] != ',' && p[2] != '\t') || nb.ncountries >= COUNTRIES)
                return -1;
            nb.countries[nb.ncountries++] = (uint32_t)((uint8_t)p[0] << 8 | (uint8_t)p[1]);
            p += p[2] == ',' ? 3 : 2;
        }
        char *e;
        if (*p != '\t')
            return -1;
        unsigned long protos = strtoul(p + 1, &e, 16);
        if (e == p + 1 || *e != '\t' || protos > 0xffff)
            return -1;
        nb.protos = (uint16_t)protos;
        if (get_hashes(e + 1, nb.domains, &nb.ndomains, DOMAINS, &p) < 0)
            return -1;
        nb.domain_seq = nb.ndomains;
    }
    if (*p && *p != '\n')
        return -1;
    struct baseline *b = ktable_put(t->accounts, line, (size_t)(t1 - line), NULL);
    *b = nb;
    return 0;
}

static size_t to_memory_for(size_t k)
{
    return ktable_size(accounts_cap(k), sizeof(struct baseline));
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
