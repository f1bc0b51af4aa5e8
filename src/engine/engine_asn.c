/*
 * engine_asn - the engine's network_of/country_of callbacks over an ASN
 * table. Lookups are pure (the table is mmap'd and read-only), so replay
 * and the live daemon see the same networks.
 */
#include "engine_asn.h"

#include "../enrich/asn_table.h"
#include "../util/ipaddr.h"

static int lookup(void *ctx, struct mw_slice ip, struct asn_info *info)
{
    struct ipaddr a;
    if (ipaddr_parse(ip.p, ip.n, &a) != IPADDR_OK)
        return 0;
    return asn_table_lookup(ctx, &a, info) == 1;
}

static uint32_t asn_network_of(void *ctx, struct mw_slice ip)
{
    struct asn_info info;
    return lookup(ctx, ip, &info) ? info.asn : 0;
}

/* "US" -> 'U' << 8 | 'S', as engine_config.country_of wants (the state
 * file writes it back as its two letters) */
static uint16_t asn_country_of(void *ctx, struct mw_slice ip)
{
    struct asn_info info;
    if (!lookup(ctx, ip, &info) || !info.country[0] || !info.country[1])
        return 0;
    return (uint16_t)((uint8_t)info.country[0] << 8 | (uint8_t)info.country[1]);
}

void engine_config_use_asn(struct engine_config *c, const struct asn_table *t)
{
    if (!t)
        return;
    c->network_of = asn_network_of;
    c->country_of = asn_country_of;
    c->network_ctx = (void *)t;
}
