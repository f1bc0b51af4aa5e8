/*
 * finding - what a detector concluded: a kind, when it would have fired
 * live (the time of the event that justified it), and what it covers
 * (addresses, networks, accounts) with evidence a person can check.
 *
 * Findings are owned by the engine (engine_finding() creates or returns one
 * by its key); detectors fill them and call engine_finding_changed(). Sets
 * are bounded (FINDING_SET_CAP members kept, the rest counted), so a
 * finding covering a million addresses stays small. finding_write_json()
 * renders the `mailward analyze --json` contract (docs/analyze.md).
 */
#ifndef MW_FINDING_H
#define MW_FINDING_H

#include <stdint.h>

#include "../event/event.h"
#include "../util/outbuf.h"
#include "../util/strset.h"

enum finding_kind {
    FK_BRUTE_FORCE,
    FK_PASSWORD_SPRAY,
    FK_CREDENTIAL_STUFFING,
    FK_ACCOUNT_TAKEOVER,
    FK_OUTBOUND_SPAM,
    FK_BLOCKLISTED,
    FK_CLEARTEXT_AUTH,
    FK_WEAK_PASSWORD,
    FK__COUNT
};

enum finding_severity { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

#define FINDING_SET_CAP 4096
#define FINDING_MAX_NUMS 12
#define FINDING_MAX_EXAMPLES 3

struct finding {
    uint64_t id;                 /* 1, 2, ... in order of detection */
    enum finding_kind kind;
    enum finding_severity severity;
    struct mw_time detected_at;  /* time of the event that made it fire */
    struct mw_time first_seen, last_seen;
    struct strset ips, networks, accounts, labels; /* labels: lists, services... */
    struct {
        const char *name;        /* static string */
        int64_t value;
    } nums[FINDING_MAX_NUMS];
    int nnums;
    struct {
        const char *file;        /* input name (argv: lives as long as the run) */
        uint64_t line;
    } examples[FINDING_MAX_EXAMPLES];
    int nexamples;
    char summary[200];
    /* emission bookkeeping (engine) */
    uint64_t changes, emitted_changes;
    uint64_t emitted_ips, emitted_accounts;
    int emitted;
};

const char *finding_kind_name(enum finding_kind k);
const char *finding_severity_name(enum finding_severity s);
void finding_init(struct finding *f, enum finding_kind kind, uint64_t id);
void finding_free(struct finding *f);
/* finding_set_num - evidence counter by (static) name */
void finding_set_num(struct finding *f, const char *name, int64_t value);
int64_t finding_get_num(const struct finding *f, const char *name);
/* finding_add_example - remember file:line (first FINDING_MAX_EXAMPLES) */
void finding_add_example(struct finding *f, const struct mw_event *ev);
/* finding_seen - widen first/last seen with an event's time */
void finding_seen(struct finding *f, const struct mw_time *t);
/* finding_write_json - one JSON object and a newline; `extra`, if given,
 * may append more fields (",\"name\":value...") before the closing brace */
typedef void (*finding_extra_fn)(struct outbuf *ob, const struct finding *f, void *ctx);
void finding_write_json(struct outbuf *ob, const struct finding *f, finding_extra_fn extra, void *ctx);

#endif
