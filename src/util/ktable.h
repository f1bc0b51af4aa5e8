/*
 * ktable - a hash table with a hard capacity: short string keys (up to
 * KTABLE_KEY_MAX bytes) to fixed-size value records, evicting what matters
 * least when full.
 *
 * The table never grows past `cap` records. Inserting into a full table
 * evicts one record: KTABLE_SAMPLES occupied slots are sampled (with the
 * table's own deterministic generator, so runs repeat exactly) and the one
 * with the lowest score (the caller's callback: "how much does this record
 * matter") goes, approximating least-valuable-first eviction the way Redis
 * approximates LRU. Lookups are open addressing with linear probing; removal
 * shifts back, so there are no tombstones.
 *
 * Values are zeroed on insert; pointers returned stay valid until the next
 * insert or remove. ktable_create/ktable_free own all memory.
 */
#ifndef MW_KTABLE_H
#define MW_KTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTABLE_KEY_MAX 62
#define KTABLE_SAMPLES 8

typedef double (*ktable_score_fn)(const void *value, void *ctx);

struct ktable;

/* ktable_create - at most cap records of value_size bytes each */
struct ktable *ktable_create(size_t cap, size_t value_size, ktable_score_fn score, void *ctx);
void ktable_free(struct ktable *t);
/* ktable_get - the value for key, or NULL */
void *ktable_get(struct ktable *t, const char *key, size_t keylen);
/* ktable_put - the value for key, inserted (zeroed) if absent; *created says which.
 * Keys longer than KTABLE_KEY_MAX are cut (distinct long keys may then share). */
void *ktable_put(struct ktable *t, const char *key, size_t keylen, bool *created);
void ktable_remove(struct ktable *t, const char *key, size_t keylen);
size_t ktable_count(const struct ktable *t);
uint64_t ktable_evictions(const struct ktable *t);
/* ktable_size - memory a table of cap records of value_size bytes will
 * hold (what ktable_bytes reports after ktable_create), without making it */
size_t ktable_size(size_t cap, size_t value_size);
/* ktable_bytes - memory held by the table */
size_t ktable_bytes(const struct ktable *t);
/* ktable_foreach - call fn for each record (no inserts/removes meanwhile) */
void ktable_foreach(struct ktable *t, void (*fn)(const char *key, size_t keylen, void *value, void *ctx),
                    void *ctx);

#endif
