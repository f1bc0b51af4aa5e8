/*
 * finding - finding records and their JSON rendering (see finding.h).
 */
#include "finding.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[FK__COUNT] = {
    [FK_BRUTE_FORCE] = "brute_force",
    [FK_PASSWORD_SPRAY] = "password_spray",
    [FK_CREDENTIAL_STUFFING] = "credential_stuffing",
    [FK_ACCOUNT_TAKEOVER] = "account_takeover",
    [FK_OUTBOUND_SPAM] = "outbound_spam",
    [FK_BLOCKLISTED] = "blocklisted",
    [FK_CLEARTEXT_AUTH] = "cleartext_auth",
    [FK_WEAK_PASSWORD] = "weak_password",
};

const char *finding_kind_name(enum finding_kind k)
{
    return (unsigned)k < FK__COUNT ? kind_names[k] : "unknown";
}

const char *finding_severity_name(enum finding_severity s)
{
    static const char *const n[] = {"low", "medium", "high", "critical"};
    return (unsigned)s <= SEV_CRITICAL ? n[s] : "low";
}

void finding_init(struct finding *f, enum finding_kind kind, uint64_t id)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->id = id;
    strset_init(&f->ips, FINDING_SET_CAP);
    strset_init(&f->networks, FINDING_SET_CAP);
    strset_init(&f->accounts, FINDING_SET_CAP);
    strset_init(&f->labels, 64);
}

void finding_free(struct finding *f)
{
    strset_free(&f->ips);
    strset_free(&f->networks);
    strset_free(&f->accounts);
    strset_free(&f->labels);
}

void finding_set_num(struct finding *f, const char *name, int64_t value)
{
    for (int i = 0; i < f->nnums; i++)
        if (f->nums[i].name == name || strcmp(f->nums[i].name, name) == 0) {
            f->nums[i].value = value;
            return;
        }
    if (f->nnums < FINDING_MAX_NUMS) {
        f->nums[f->nnums].name = name;
        f->nums[f->nnums].value = value;
        f->nnums++;
    }
}

int64_t finding_get_num(const struct finding *f, const char *name)
{
    for (int i = 0; i < f->nnums; i++)
        if (strcmp(f->nums[i].name, name) == 0)
            return f->nums[i].value;
    return 0;
}

void finding_add_example(struct finding *f, const struct mw_event *ev)
{
    if (f->nexamples >= FINDING_MAX_EXAMPLES || !ev->file)
        return;
    f->examples[f->nexamples].file = ev->file;
    f->examples[f->nexamples].line = ev->line;
    f->nexamples++;
}

void finding_seen(struct finding *f, const struct mw_time *t)
{
    if (!f->first_seen.valid || t->epoch_us < f->first_seen.epoch_us)
        f->first_seen = *t;
    if (!f->last_seen.valid || t->epoch_us > f->last_seen.epoch_us)
        f->last_seen = *t;
}

static void json_set(struct outbuf *ob, const char *name, const struct strset *s)
{
    outbuf_puts_lit(ob, ",\"");
    outbuf_puts(ob, name);
    outbuf_puts_lit(ob, "\":[");
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            outbuf_putc(ob, ',');
        outbuf_put_json_string(ob, s->items[i], s->lens[i]);
    }
    outbuf_putc(ob, ']');
    if (s->overflow) {
        outbuf_puts_lit(ob, ",\"");
        outbuf_puts(ob, name);
        outbuf_puts_lit(ob, "_total\":");
        outbuf_put_u64(ob, strset_total(s));
    }
}

static void json_time(struct outbuf *ob, const char *name, const struct mw_time *t)
{
    if (!t->valid)
        return;
    outbuf_puts_lit(ob, ",\"");
    outbuf_puts(ob, name);
    outbuf_puts_lit(ob, "\":\"");
    event_write_time(ob, t);
    outbuf_putc(ob, '"');
}

void finding_write_json(struct outbuf *ob, const struct finding *f, finding_extra_fn extra, void *ctx)
{
    outbuf_puts_lit(ob, "{\"kind\":\"");
    outbuf_puts(ob, finding_kind_name(f->kind));
    outbuf_puts_lit(ob, "\",\"id\":");
    outbuf_put_u64(ob, f->id);
    json_time(ob, "detected_at", &f->detected_at);
    json_time(ob, "first_seen", &f->first_seen);
    json_time(ob, "last_seen", &f->last_seen);
    outbuf_puts_lit(ob, ",\"severity\":\"");
    outbuf_puts(ob, finding_severity_name(f->severity));
    outbuf_putc(ob, '"');
    json_set(ob, "ips", &f->ips);
    if (f->networks.n)
        json_set(ob, "networks", &f->networks);
    json_set(ob, "accounts", &f->accounts);
    if (f->labels.n)
        json_set(ob, "labels", &f->labels);
    outbuf_puts_lit(ob, ",\"evidence\":{");
    for (int i = 0; i < f->nnums; i++) {
        if (i)
            outbuf_putc(ob, ',');
        outbuf_putc(ob, '"');
        outbuf_puts(ob, f->nums[i].name);
        outbuf_puts_lit(ob, "\":");
        outbuf_put_i64(ob, f->nums[i].value);
    }
    if (f->nexamples) {
        if (f->nnums)
            outbuf_putc(ob, ',');
        outbuf_puts_lit(ob, "\"examples\":[");
        for (int i = 0; i < f->nexamples; i++) {
            char loc[600];
            int l = snprintf(loc, sizeof(loc), "%.500s:%llu", f->examples[i].file,
                             (unsigned long long)f->examples[i].line);
            if (i)
                outbuf_putc(ob, ',');
            outbuf_put_json_string(ob, loc, (size_t)l);
        }
        outbuf_putc(ob, ']');
    }
    outbuf_putc(ob, '}');
    if (f->summary[0]) {
        outbuf_puts_lit(ob, ",\"summary\":");
        outbuf_put_json_string(ob, f->summary, strlen(f->summary));
    }
    if (extra)
        extra(ob, f, ctx);
    outbuf_puts_lit(ob, "}\n");
}
