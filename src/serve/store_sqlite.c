/*
 * store_sqlite - the embedded store of `mailward serve`: one SQLite
 * database (STATE_DIR/mailward.db) in WAL mode (see store.h).
 *
 * synchronous=NORMAL in WAL mode: a committed transaction survives the
 * process being killed (the WAL is in the OS's page cache); a power cut
 * may lose the last moments. Bans and flags are committed at once; audit
 * rows go into an open transaction that store_flush() commits. A busy
 * database (another process holds the lock) is waited for up to 200 ms,
 * then the write fails with an error the daemon logs (serve.c writes its
 * bans and flags again once the store works); nothing here aborts.
 */
#include "store.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define AUDIT_BATCH 2000

struct store {
    sqlite3 *db;
    /* the checkpointer: its own connection and thread, so the WAL's copy
     * back into the database and its fsync never stall the event loop */
    pthread_t ckpt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ckpt_running, ckpt_stop;
    char path[4096];
    sqlite3_stmt *put_ban, *del_ban, *put_flag, *del_flag, *add_held, *ins_finding, *upd_finding, *audit,
        *put_blob, *get_blob;
    int in_batch;  /* a transaction is open (audit rows, or a group) */
    int group;     /* writes join one transaction until store_flush (group commit) */
    int durable;   /* the open transaction holds a ban, flag or held message */
    int batched;
    char err[512];
};

static const char *schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA wal_autocheckpoint=0;" /* checkpoints run on their own thread (below) */
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES('schema','1');"
    "CREATE TABLE IF NOT EXISTS bans(key TEXT PRIMARY KEY, kind TEXT, finding INTEGER, since INTEGER,"
    " until INTEGER);"
    "CREATE TABLE IF NOT EXISTS flags(account TEXT PRIMARY KEY, kind TEXT, finding INTEGER, since INTEGER,"
    " reason TEXT);"
    "CREATE TABLE IF NOT EXISTS held(id INTEGER PRIMARY KEY, time INTEGER, account TEXT, queue_id TEXT,"
    " sender TEXT, recipients INTEGER, reason TEXT, released INTEGER);"
    "CREATE INDEX IF NOT EXISTS held_account ON held(account);"
    "CREATE TABLE IF NOT EXISTS findings(id INTEGER PRIMARY KEY, time INTEGER, kind TEXT, json TEXT);"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER, door TEXT, subject TEXT,"
    " decision TEXT, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS blobs(key TEXT PRIMARY KEY, value BLOB);";

static int fail(struct store *s, const char *what)
{
    snprintf(s->err, sizeof(s->err), "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "no database");
    return -1;
}

const char *store_error(const struct store *s)
{
    return s->err;
}

static int prep(struct store *s, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return fail(s, "prepare");
    return 0;
}

static void *checkpointer(void *arg);

struct store *store_open(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the state directory: %s (set --state-dir)", dir,
                 strerror(errno));
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/mailward.db", dir);
    struct store *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    snprintf(s->path, sizeof(s->path), "%s", path);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 200); /* the event loop waits at most this */
    char *msg = NULL;
    if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot create the schema");
        sqlite3_free(msg);
        store_close(s);
        return NULL;
    }
    if (prep(s, &s->put_ban, "INSERT OR REPLACE INTO bans VALUES(?,?,?,?,?)") ||
        prep(s, &s->del_ban, "DELETE FROM bans WHERE key=?") ||
        prep(s, &s->put_flag, "INSERT OR REPLACE INTO flags VALUES(?,?,?,?,?)") ||
        prep(s, &s->del_flag, "DELETE FROM flags WHERE account=?") ||
        prep(s, &s->add_held, "INSERT INTO held(time,account,queue_id,sender,recipients,reason,released)"
                              " VALUES(?,?,?,?,?,?,0)") ||
        prep(s, &s->ins_finding, "INSERT INTO findings(time,kind,json) VALUES(?,?,?)") ||
        prep(s, &s->upd_finding, "UPDATE findings SET time=?, kind=?, json=? WHERE id=?") ||
        prep(s, &s->audit, "INSERT INTO audit(time,door,subject,decision,reason) VALUES(?,?,?,?,?)") ||
        prep(s, &s->put_blob, "INSERT OR REPLACE INTO blobs VALUES(?,?)") ||
        prep(s, &s->get_blob, "SELECT value FROM blobs WHERE key=?")) {
        snprintf(err, errlen, "%s: %s", path, s->err);
        store_close(s);
        return NULL;
    }
    if (pthread_create(&s->ckpt, NULL, checkpointer, s) == 0)
        s->ckpt_running = 1;
    return s;
}

/* checkpoint the WAL once a second (PASSIVE: never blocks the writer) */
static void *checkpointer(void *arg)
{
    struct store *s = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 1000);
    pthread_mutex_lock(&s->mu);
    while (!s->ckpt_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        if (s->ckpt_stop)
            break;
        pthread_mutex_unlock(&s->mu);
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    sqlite3_close(db);
    return NULL;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->mu);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->ckpt, NULL);
        s->ckpt_running = 0;
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    if (s->db) {
        store_flush(s);
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    if (s->db)
        store_flush(s);
    sqlite3_stmt *all[] = {s->put_ban,  s->del_ban, s->put_flag, s->del_flag, s->add_held,
                           s->ins_finding, s->upd_finding, s->audit, s->put_blob, s->get_blob};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(s->db);
    free(s);
}

/* run a prepared write; SQLITE_DONE is success */
static int step(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return fail(s, what);
    return 0;
}

/* commit pending audit rows first, so a ban is never inside a batch that
 * could be lost */
static int end_batch(struct store *s)
{
    if (!s->in_batch)
        return 0;
    s->in_batch = 0;
    s->batched = 0;
    s->durable = 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, "commit audit");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int store_flush(struct store *s)
{
    return end_batch(s);
}

int store_commit_needed(const struct store *s)
{
    return s->in_batch && s->durable;
}

void store_set_group(struct store *s, int on)
{
    s->group = on;
}

/* before a durable write: alone, it is its own transaction (audit rows
 * batched so far are committed first); in group mode it joins the open
 * transaction, which store_flush() commits */
static void write_begin(struct store *s)
{
    if (!s->group) {
        end_batch(s);
        return;
    }
    if (!s->in_batch && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        s->in_batch = 1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    sqlite3_bind_text(st, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

int store_put_ban(struct store *s, const char *key, const struct guard_ban *b)
{
    write_begin(s);
    s->durable = 1;
    bind_text(s->put_ban, 1, key);
    bind_text(s->put_ban, 2, b->kind);
    sqlite3_bind_int64(s->put_ban, 3, (sqlite3_int64)b->finding);
    sqlite3_bind_int64(s->put_ban, 4, b->since);
    sqlite3_bind_int64(s->put_ban, 5, b->until);
    return step(s, s->put_ban, "save ban");
}

int store_del_ban(struct store *s, const char *key)
{
    write_begin(s);
    s->durable = 1;
    bind_text(s->del_ban, 1, key);
    return step(s, s->del_ban, "delete ban");
}

int store_put_flag(struct store *s, const char *account, const struct guard_flag *f)
{
    write_begin(s);
    s->durable = 1;
    bind_text(s->put_flag, 1, account);
    bind_text(s->put_flag, 2, f->kind);
    sqlite3_bind_int64(s->put_flag, 3, (sqlite3_int64)f->finding);
    sqlite3_bind_int64(s->put_flag, 4, f->since);
    bind_text(s->put_flag, 5, f->reason);
    return step(s, s->put_flag, "save flag");
}

int store_del_flag(struct store *s, const char *account)
{
    write_begin(s);
    s->durable = 1;
    bind_text(s->del_flag, 1, account);
    return step(s, s->del_flag, "delete flag");
}

int64_t store_add_held(struct store *s, const struct store_held *h)
{
    write_begin(s);
    s->durable = 1;
    sqlite3_bind_int64(s->add_held, 1, h->time);
    bind_text(s->add_held, 2, h->account);
    bind_text(s->add_held, 3, h->queue_id);
    bind_text(s->add_held, 4, h->sender);
    sqlite3_bind_int64(s->add_held, 5, h->recipients);
    bind_text(s->add_held, 6, h->reason);
    if (step(s, s->add_held, "save held message") < 0)
        return -1;
    return (int64_t)sqlite3_last_insert_rowid(s->db);
}

int store_held_of(struct store *s, const char *account, void (*fn)(const char *queue_id, void *ctx), void *ctx)
{
    write_begin(s);
    sqlite3_stmt *st;
    if (prep(s, &st, "SELECT DISTINCT queue_id FROM held WHERE account=? AND released=0 AND queue_id<>''") < 0)
        return -1;
    bind_text(st, 1, account);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(st, 0), ctx);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "held of");
}

int store_release_held(struct store *s, const char *account, int64_t when)
{
    write_begin(s);
    s->durable = 1;
    sqlite3_stmt *st;
    if (prep(s, &st, "UPDATE held SET released=? WHERE account=? AND released=0") < 0)
        return -1;
    sqlite3_bind_int64(st, 1, when);
    bind_text(st, 2, account);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "release held");
}

int store_put_finding(struct store *s, uint64_t *id, int64_t time, const char *kind, const char *json)
{
    write_begin(s);
    sqlite3_stmt *st = *id ? s->upd_finding : s->ins_finding;
    sqlite3_bind_int64(st, 1, time);
    bind_text(st, 2, kind);
    bind_text(st, 3, json);
    if (*id)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)*id);
    if (step(s, st, "save finding") < 0)
        return -1;
    if (!*id)
        *id = (uint64_t)sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_audit(struct store *s, int64_t time, const char *door, const char *subject, const char *decision,
                const char *reason)
{
    if (!s->in_batch) {
        if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return fail(s, "begin audit");
        s->in_batch = 1;
    }
    sqlite3_bind_int64(s->audit, 1, time);
    bind_text(s->audit, 2, door);
    bind_text(s->audit, 3, subject);
    bind_text(s->audit, 4, decision);
    bind_text(s->audit, 5, reason);
    int rc = step(s, s->audit, "audit");
    if (++s->batched >= AUDIT_BATCH)
        end_batch(s);
    return rc;
}

int store_put_blob(struct store *s, const char *key, const void *data, size_t n)
{
    write_begin(s);
    bind_text(s->put_blob, 1, key);
    sqlite3_bind_blob(s->put_blob, 2, data, (int)n, SQLITE_TRANSIENT);
    return step(s, s->put_blob, "save blob");
}

int store_get_blob(struct store *s, const char *key, void **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    bind_text(s->get_blob, 1, key);
    int rc = sqlite3_step(s->get_blob);
    if (rc == SQLITE_ROW) {
        int len = sqlite3_column_bytes(s->get_blob, 0);
        const void *p = sqlite3_column_blob(s->get_blob, 0);
        *data = xmalloc((size_t)len + 1);
        if (len)
            memcpy(*data, p, (size_t)len);
        ((char *)*data)[len] = 0;
        *n = (size_t)len;
    }
    sqlite3_reset(s->get_blob);
    sqlite3_clear_bindings(s->get_blob);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, "read blob");
}

int store_load(struct store *s, const struct store_load_cb *cb)
{
    sqlite3_stmt *st;
    int rc;
    if (prep(s, &st, "SELECT key, kind, finding, since, until FROM bans") < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct guard_ban b = {0};
        snprintf(b.kind, sizeof(b.kind), "%s", (const char *)sqlite3_column_text(st, 1));
        b.finding = (uint64_t)sqlite3_column_int64(st, 2);
        b.since = sqlite3_column_int64(st, 3);
        b.until = sqlite3_column_int64(st, 4);
        if (cb->ban)
            cb->ban((const char *)sqlite3_column_text(st, 0), &b, cb->ctx);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, "load bans");
    if (prep(s, &st, "SELECT account, kind, finding, since, reason,"
                     " (SELECT count(*) FROM held h WHERE h.account=flags.account AND h.released=0)"
                     " FROM flags") < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct guard_flag f = {0};
        snprintf(f.kind, sizeof(f.kind), "%s", (const char *)sqlite3_column_text(st, 1));
        f.finding = (uint64_t)sqlite3_column_int64(st, 2);
        f.since = sqlite3_column_int64(st, 3);
        snprintf(f.reason, sizeof(f.reason), "%s", (const char *)sqlite3_column_text(st, 4));
        f.held = (uint32_t)sqlite3_column_int64(st, 5);
        if (cb->flag)
            cb->flag((const char *)sqlite3_column_text(st, 0), &f, cb->ctx);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "load flags");
}

int store_query_json(struct store *s, const char *what, int64_t after, int limit,
                     void (*fn)(const char *json, void *ctx), void *ctx)
{
    end_batch(s);
    const char *sql;
    if (!strcmp(what, "findings"))
        sql = "SELECT json_set(json, '$.id', id) FROM findings WHERE id>? ORDER BY id LIMIT ?";
    else if (!strcmp(what, "held"))
        sql = "SELECT json_object('id',id,'time',strftime('%Y-%m-%dT%H:%M:%SZ',time,'unixepoch'),"
              "'account',account,'queue_id',queue_id,'sender',sender,'recipients',recipients,"
              "'reason',reason,'released',CASE released WHEN 0 THEN json('false') ELSE json('true') END)"
              " FROM held WHERE id>? ORDER BY id LIMIT ?";
    else if (!strcmp(what, "audit"))
        sql = "SELECT json_object('id',id,'time',strftime('%Y-%m-%dT%H:%M:%SZ',time,'unixepoch'),"
              "'door',door,'subject',subject,'decision',decision,'reason',reason)"
              " FROM audit WHERE id>? ORDER BY id LIMIT ?";
    else {
        snprintf(s->err, sizeof(s->err), "unknown query %s", what);
        return -1;
    }
    sqlite3_stmt *st;
    if (prep(s, &st, sql) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(st, 0), ctx);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "query");
}
