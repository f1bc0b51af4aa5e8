/*
 * engine_asn - wires an ASN table (src/enrich) into the engine's
 * baselines: the network of an address is its ASN, and its country goes
 * into the per-account baselines. Used by `analyze` and `serve` alike.
 */
#ifndef MW_ENGINE_ASN_H
#define MW_ENGINE_ASN_H

#include "engine.h"

struct asn_table;

/* engine_config_use_asn - set c->network_of and c->country_of to look
 * addresses up in t (NULL: leave both unset); t must outlive the engine */
void engine_config_use_asn(struct engine_config *c, const struct asn_table *t);

#endif
