/* store: one SQLite database per daemon: schema, migrations, transactions,
 * the outbox, cursors, stored replies, dead letters and meta. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "pb.h"
#include "util.h"

/* Version 1: the tables every daemon has. The service's migrations follow as
 * versions 2..n+1. Never edit a shipped migration; add a new one. */
static const char SCHEMA_COMMON[] =
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value)\n"
    "  WITHOUT ROWID;\n"
    "CREATE TABLE outbox(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  type TEXT NOT NULL,\n"
    "  correlation_id TEXT,\n"
    "  causation_id TEXT,\n"
    "  recorded_at INTEGER NOT NULL,\n"
    "  event BLOB NOT NULL);\n"
    "CREATE TABLE cursors(\n"
    "  producer TEXT PRIMARY KEY NOT NULL,\n"
    "  epoch INTEGER NOT NULL,\n"
    "  applied_seq INTEGER NOT NULL,\n"
    "  updated_at INTEGER NOT NULL);\n"
    "CREATE TABLE replies(\n"
    "  principal TEXT NOT NULL,\n"
    "  request_id TEXT NOT NULL,\n"
    "  body_hash INTEGER NOT NULL,\n"
    "  reply BLOB NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY(principal, request_id));\n"
    "CREATE INDEX replies_created_at ON replies(created_at);\n"
    "CREATE TABLE dead_letters(\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  producer TEXT NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  type TEXT NOT NULL,\n"
    "  error TEXT NOT NULL,\n"
    "  event BLOB,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  retried INTEGER NOT NULL DEFAULT 0);\n";

/* Discarded dead letters (cogovctl deadletter discard): the audit trail. */
static const char SCHEMA_DISCARDED[] =
    "CREATE TABLE IF NOT EXISTS dead_letters_discarded(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  producer TEXT NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  type TEXT NOT NULL,\n"
    "  error TEXT NOT NULL,\n"
    "  event BLOB,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  retried INTEGER NOT NULL,\n"
    "  discarded_at INTEGER NOT NULL,\n"
    "  discarded_by TEXT NOT NULL,\n"
    "  reason TEXT NOT NULL);\n";

/* Stored replies, second shape (ensured at open, like SCHEMA_DISCARDED: the
 * common schema is version 1 and the services' versions follow it). Two
 * B-trees where version 1 had three (rowid table, primary key and a
 * created_at index): rows are numbered in insertion order, which is time
 * order, so expiry deletes a range of ids (store_reply_expire) and needs no
 * index on created_at; the unique key, request id first (the principal is
 * mostly the same few names), finds a retry. An older store's rows are
 * copied oldest first, so its ids are in time order too. */
static const char REPLIES_V2[] =
    "CREATE TABLE replies_v2(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  principal TEXT NOT NULL,\n"
    "  request_id TEXT NOT NULL,\n"
    "  body_hash INTEGER NOT NULL,\n"
    "  reply BLOB NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  UNIQUE(request_id, principal));\n"
    "INSERT INTO replies_v2(principal, request_id, body_hash, reply,\n"
    "  created_at)\n"
    "  SELECT principal, request_id, body_hash, reply, created_at\n"
    "  FROM replies ORDER BY created_at, rowid;\n"
    "DROP TABLE replies;\n"
    "ALTER TABLE replies_v2 RENAME TO replies;\n";

/* A stored reply's key in memory: hash of (principal, request id), and the
 * id of the last row stored under it. */
/* One generation of stored-reply keys (see "replies" below). */
struct rk_gen {
    uint64_t *bits; /* a Bloom filter of RK_GEN_BITS bits */
    size_t n;       /* keys added */
    int64_t max_id; /* the newest row id among them */
};

struct stmt_entry {
    const char *key; /* the caller's pointer, for the fast path */
    char *sql;       /* our copy of the text */
    sqlite3_stmt *stmt;
};

/* The WAL checkpointer: the one other thread of a daemon (DESIGN 2.1). It
 * has its own connection and runs PASSIVE checkpoints when the loop's
 * connection reports a WAL of CKPT_FRAMES frames or more, and once a second
 * when there is anything to do; the loop's connection never checkpoints
 * inside a commit (that caused 15-20 ms p99 spikes).
 *
 * It also makes the loop's commits durable. The loop's connection commits
 * with synchronous=NORMAL: COMMIT returns once the WAL frames are written
 * to the -wal file (the page cache, which survives a kill -9), and this
 * thread fdatasync()s that file (through a descriptor of its own: fsync is
 * per inode) whenever a commit asks for it, before any checkpoint work, so
 * the loop goes on with the next batch meanwhile. SQLite's WAL keeps
 * commits in order, so "commit n is durable" means every commit up to n is
 * (recovery stops at the first frame whose checksum fails). */
#define CKPT_FRAMES 1000

typedef struct ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *db;
    char *name;
    bool wanted;
    bool quit;
    int frames; /* WAL size last reported by the loop's commits */
    int wal_fd; /* -1: no background sync (commits are synchronous=FULL) */
    uint64_t hook_no;   /* commits that wrote frames (loop thread only) */
    uint64_t sync_want; /* the loop asks for commits up to this */
    uint64_t sync_done; /* durable up to this */
    int sync_err;       /* errno of a failed fdatasync: no more syncs */
    bool relaxed; /* the commit under way asks no sync (loop thread only) */
    /* The commit under way is synced by the loop itself (store_commit_sync):
     * the thread is not asked for it (loop thread only). */
    bool inline_sync;
    /* Relaxed commits were made since the last counted one: no number
     * covers them yet (loop thread only; see store_visible_no). */
    bool relaxed_since;
    void (*notify)(void *);
    void *notify_arg;
} ckpt_t;

/* A commit that moved the outbox head, until it is durable. */
typedef struct mark {
    uint64_t no, head;
} mark_t;

struct store {
    sqlite3 *db;
    ckpt_t *ckpt;
    char *name;
    uint64_t epoch;
    uint64_t head;         /* last committed outbox seq */
    uint64_t pending;      /* last outbox seq inside the open transaction */
    uint64_t sp_head;      /* pending at the savepoint */
    uint64_t durable_no;   /* commits known durable (loop's copy) */
    uint64_t durable_head; /* outbox head of the last durable commit */
    mark_t *marks;         /* FIFO of commits not yet durable */
    size_t marks_first, marks_len, marks_cap;
    bool in_tx;
    bool in_sp;
    struct stmt_entry *stmts;
    size_t n_stmts, cap_stmts;
    uint32_t *slots; /* by key pointer: index + 1 into stmts, 0 empty */
    size_t n_slots;  /* a power of two, at least twice n_stmts */
    /* The keys of the stored replies (see "replies" below). */
    struct rk_gen *rk_gens; /* oldest first */
    size_t rk_ngens;
    bool rk_off;     /* too many: every lookup asks SQLite */
    bool rk_expired; /* the open transaction expired replies */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ckpt_start(store_t *s, const char *path, char *why, size_t whylen);
static int rkeys_load(store_t *s, char *err, size_t errlen);
static void rkeys_expired(store_t *s);
static void rkeys_free(store_t *s);

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int
store_exec(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    int err = rc == SQLITE_DONE ? 0 : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

char *
store_col_text(sqlite3_stmt *q, int i)
{
    return xstrdup((const char *)sqlite3_column_text(q, i));
}

int
store_one(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);

    if (rc == SQLITE_ROW)
        return 0;
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
}

bool
store_row(sqlite3_stmt *q, int *err)
{
    int rc = sqlite3_step(q);

    *err = 0;
    if (rc == SQLITE_ROW)
        return true;
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        *err = store_errno(rc);
    return false;
}

ProtobufCMessage *
store_col_msg(sqlite3_stmt *q, int i, const ProtobufCMessageDescriptor *d)
{
    return protobuf_c_message_unpack(
        d, NULL, (size_t)sqlite3_column_bytes(q, i), sqlite3_column_blob(q, i));
}

int
store_bind_msg(sqlite3_stmt *q, int i, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(len);

    protobuf_c_message_pack(m, buf);
    return sqlite3_bind_blob64(q, i, buf, len, free);
}

int
store_one_msg(sqlite3_stmt *q, int i, const ProtobufCMessageDescriptor *d,
              ProtobufCMessage **out)
{
    int err = store_one(q);

    *out = NULL;
    if (err < 0)
        return err;
    *out = store_col_msg(q, i, d);
    sqlite3_reset(q);
    return *out ? 0 : -EBADMSG; /* a stored blob that does not decode */
}

int
store_rows_msg(sqlite3_stmt *q, int i, const ProtobufCMessageDescriptor *d,
               ProtobufCMessage ***v, size_t *n)
{
    int err;

    while (store_row(q, &err)) {
        ProtobufCMessage *m = store_col_msg(q, i, d);
        if (m == NULL) {
            sqlite3_reset(q);
            return -EBADMSG;
        }
        STORE_PUSH(*v, *n, m);
    }
    return err;
}

int
store_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_CONSTRAINT:
        return -EEXIST;
    case SQLITE_NOTFOUND:
        return -ENOENT;
    /* Deterministic: the same statement on the same state fails the same
     * way (a bug), so a reaction that meets one is dead-lettered rather
     * than retried forever (common/deadletter.c classifies errnos). */
    case SQLITE_ERROR: /* SQL logic error: no such column, syntax */
        return -EPROTO;
    case SQLITE_MISMATCH:
        return -EINVAL;
    case SQLITE_RANGE:
        return -ERANGE;
    case SQLITE_TOOBIG:
        return -E2BIG;
    /* Transient or the machine's: retried with backoff. */
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_READONLY:
        return -EROFS;
    default: /* IOERR, CORRUPT, CANTOPEN, PROTOCOL, ... */
        return -EIO;
    }
}

/* Log a failed call and map its code. A constraint violation is usually an
 * expected outcome the caller turns into a reply, so it is logged at debug. */
static int
db_fail(store_t *s, const char *sql, int rc)
{
    int prio = (rc & 0xff) == SQLITE_CONSTRAINT ? LOG_DEBUG : LOG_ERR;

    log_emit(prio, "store.error", "store=%s sql=%s rc=%d msg=%s",
             log_q(s->name), log_q(sql), rc, log_q(sqlite3_errmsg(s->db)));
    return store_errno(rc);
}

/* SQLite rolls a transaction back by itself after some errors (disk full,
 * I/O). Writing on after that would autocommit outside the caller's unit of
 * work, so every write checks first. */
static int
tx_lost(store_t *s)
{
    if (s->in_tx && sqlite3_get_autocommit(s->db)) {
        log_error("store.tx_lost", "store=%s", log_q(s->name));
        return -EIO;
    }
    return 0;
}

/* Step a statement that returns no rows, then reset it. */
static int
step_done(store_t *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int ret = 0;

    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_fail(s, sqlite3_sql(st), rc);
    sqlite3_reset(st);
    return ret;
}

/* Prepare (cached), run to completion, reset. For fixed SQL without
 * parameters: transaction control. */
static int
exec_cached(store_t *s, const char *sql)
{
    sqlite3_stmt *st = store_stmt(s, sql);

    if (st == NULL)
        return -EIO;
    return step_done(s, st);
}

static size_t
slot_of(const store_t *s, const char *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (s->n_slots - 1);
}

/* Entry i into the pointer index (rebuilt twice as large when half full). */
static void
slots_add(store_t *s, size_t i)
{
    if (2 * (i + 1) > s->n_slots) {
        free(s->slots);
        s->n_slots = s->n_slots ? 2 * s->n_slots : 64;
        s->slots = xcalloc(s->n_slots, sizeof(*s->slots));
        for (size_t k = 0; k < i; k++)
            slots_add(s, k);
    }
    size_t j = slot_of(s, s->stmts[i].key);
    while (s->slots[j] != 0)
        j = (j + 1) & (s->n_slots - 1);
    s->slots[j] = (uint32_t)(i + 1);
}

sqlite3_stmt *
store_stmt(store_t *s, const char *sql)
{
    struct stmt_entry *e = NULL;
    sqlite3_stmt *st;
    size_t i;
    int rc;

    /* Callers pass string literals: the pointer finds the entry and the
     * text confirms it (a reused buffer could hold other SQL). */
    for (i = s->n_slots ? slot_of(s, sql) : 0; s->n_slots && s->slots[i];
         i = (i + 1) & (s->n_slots - 1)) {
        struct stmt_entry *c = &s->stmts[s->slots[i] - 1];
        if (c->key == sql && strcmp(c->sql, sql) == 0) {
            e = c;
            break;
        }
    }
    for (i = 0; e == NULL && i < s->n_stmts; i++) {
        if (strcmp(s->stmts[i].sql, sql) == 0)
            e = &s->stmts[i];
    }
    if (e != NULL) {
        sqlite3_reset(e->stmt);
        sqlite3_clear_bindings(e->stmt);
        return e->stmt;
    }

    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                            NULL);
    if (rc != SQLITE_OK) {
        db_fail(s, sql, rc);
        return NULL;
    }
    if (st == NULL) { /* empty or comment-only text */
        log_error("store.error", "store=%s sql=%s msg=%s", log_q(s->name),
                  log_q(sql), log_q("no statement"));
        return NULL;
    }
    if (s->n_stmts == s->cap_stmts) {
        s->cap_stmts = s->cap_stmts ? 2 * s->cap_stmts : 32;
        s->stmts = xrealloc(s->stmts, s->cap_stmts * sizeof(*s->stmts));
    }
    e = &s->stmts[s->n_stmts++];
    e->key = sql;
    e->sql = xstrdup(sql);
    e->stmt = st;
    slots_add(s, s->n_stmts - 1);
    return st;
}

/* ---- open ---------------------------------------------------------------- */

/* One-row queries at open, before the store (and its cache) exists. */
static int
query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto done;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_NOTFOUND;
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int
query_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto done;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, size, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_NOTFOUND;
    }
done:
    sqlite3_finalize(st);
    return rc;
}

static int
check_integrity(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc, rows = 0, ret = 0;

    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "quick_check: %s", sqlite3_errmsg(db));
        ret = -EIO;
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (rows++ == 0 && t != NULL && strcmp((const char *)t, "ok") == 0)
            continue;
        if (ret == 0)
            set_err(err, errlen, "quick_check: %s",
                    t ? (const char *)t : "(null)");
        ret = -EIO;
        break;
    }
    if (ret < 0 && err != NULL) /* one log line, one error line */
        for (char *p = err; *p; p++)
            if (*p == '\n')
                *p = ' ';
    if (ret == 0 && rc != SQLITE_DONE) {
        set_err(err, errlen, "quick_check: %s", sqlite3_errmsg(db));
        ret = -EIO;
    } else if (ret == 0 && rows == 0) {
        set_err(err, errlen, "quick_check: no result");
        ret = -EIO;
    }
done:
    sqlite3_finalize(st);
    return ret;
}

/* A schema transaction failed: say what ("<what>: <SQLite's message>"),
 * free msg, roll back what is open, return a negative errno. */
static int
schema_tx_fail(sqlite3 *db, int rc, char *msg, const char *what, char *err,
               size_t errlen)
{
    set_err(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return store_errno(rc) ? store_errno(rc) : -EIO;
}

/* Apply version `target` (1 = common schema) in its own transaction. The
 * version is re-read under the write lock, so two processes opening the
 * same new store do not both migrate it. */
static int
migrate_one(sqlite3 *db, int target, const char *script, char *err,
            size_t errlen)
{
    char *msg = NULL;
    char sql[64];
    int64_t cur = 0;
    int rc;

    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    rc = query_int(db, "PRAGMA user_version", &cur);
    if (rc != SQLITE_OK)
        goto fail;
    if (cur >= target) { /* someone else got there first */
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        return 0;
    }
    rc = sqlite3_exec(db, script, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
    rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    return 0;
fail:
    snprintf(sql, sizeof(sql), "migration %d", target);
    return schema_tx_fail(db, rc, msg, sql, err, errlen);
}

static int
migrate(sqlite3 *db, const char *const *migrations, size_t n_migrations,
        char *err, size_t errlen)
{
    int64_t cur = 0;
    int64_t latest = 1 + (int64_t)n_migrations;
    int rc;

    rc = query_int(db, "PRAGMA user_version", &cur);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "user_version: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    if (cur > latest) {
        set_err(err, errlen,
                "store version %" PRId64 " is newer than this build (%" PRId64
                ")",
                cur, latest);
        return -EPROTO;
    }
    for (int64_t v = cur + 1; v <= latest; v++) {
        const char *script = v == 1 ? SCHEMA_COMMON : migrations[v - 2];
        rc = migrate_one(db, (int)v, script, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Give an older store's replies table the second shape (REPLIES_V2), in
 * its own transaction; the shape is re-read under the write lock, so two
 * processes opening the same store do not both convert it. */
static int
upgrade_replies(sqlite3 *db, char *err, size_t errlen)
{
    static const char has_id_sql[] = "SELECT COUNT(*) FROM "
                                     "pragma_table_info('replies') "
                                     "WHERE name = 'id'";
    char *msg = NULL;
    int64_t has_id = 0;
    int rc;

    rc = query_int(db, has_id_sql, &has_id);
    if (rc == SQLITE_OK && has_id > 0)
        return 0; /* the usual case: no write lock taken */
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    rc = query_int(db, has_id_sql, &has_id);
    if (rc != SQLITE_OK)
        goto fail;
    if (has_id == 0) {
        rc = sqlite3_exec(db, REPLIES_V2, NULL, NULL, &msg);
        if (rc != SQLITE_OK)
            goto fail;
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        goto fail;
    return 0;
fail:
    return schema_tx_fail(db, rc, msg, "replies", err, errlen);
}

static uint64_t
random_epoch(void)
{
    uint64_t v = 0;

    while (v == 0) {
        ssize_t n = getrandom(&v, sizeof(v), 0);
        if (n != (ssize_t)sizeof(v)) {
            if (n < 0 && errno == EINTR)
                continue;
            abort(); /* the kernel always has entropy for us after boot */
        }
        v &= (uint64_t)INT64_MAX;
    }
    return v;
}

static int
load_epoch(store_t *s, char *err, size_t errlen)
{
    int64_t v = 0;
    int rc;

    rc = store_meta_get_int(s, "epoch", &v);
    if (rc == -ENOENT) {
        /* INSERT OR IGNORE + re-read: a concurrent opener's epoch wins. */
        sqlite3_stmt *st = store_stmt(
            s, "INSERT OR IGNORE INTO meta(key, value) VALUES('epoch', ?1)");
        if (st == NULL) {
            rc = -EIO;
        } else {
            sqlite3_bind_int64(st, 1, (int64_t)random_epoch());
            rc = step_done(s, st);
        }
        if (rc == 0)
            rc = store_meta_get_int(s, "epoch", &v);
    }
    if (rc == 0 && v <= 0)
        rc = -EIO;
    if (rc < 0) {
        set_err(err, errlen, "epoch: %s", strerror(-rc));
        return rc;
    }
    s->epoch = (uint64_t)v;
    return 0;
}

static int
load_head(store_t *s, char *err, size_t errlen)
{
    int64_t v = 0;
    int rc = query_int(s->db, "SELECT COALESCE(MAX(seq), 0) FROM outbox", &v);

    if (rc != SQLITE_OK || v < 0) {
        set_err(err, errlen, "outbox head: %s", sqlite3_errmsg(s->db));
        return -EIO;
    }
    s->head = s->pending = s->durable_head = (uint64_t)v;
    return 0;
}

static bool
is_memory_path(const char *path)
{
    return path[0] == 0 || strcmp(path, ":memory:") == 0 ||
           strncmp(path, "file::memory:", 13) == 0;
}

/* Before SQLite's first use in the process: no memory statistics. With
 * them every allocation and free inside SQLite takes a global mutex (about
 * 40 per request on coordination); nothing here reads them
 * (sqlite3_memory_used, a soft heap limit). Too late once SQLite is
 * initialized (SQLITE_MISUSE, nothing changed): then they stay on. */
static void
sqlite_configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

store_t *
store_open(const char *path, const char *name, const char *const *migrations,
           size_t n_migrations, char *err, size_t errlen)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    store_t *s = NULL;
    sqlite3 *db = NULL;
    char why[512] = "";
    char mode[32];
    int rc;

    if (path == NULL || name == NULL ||
        (n_migrations > 0 && migrations == NULL)) {
        set_err(why, sizeof(why), "store_open: bad arguments");
        goto fail;
    }
    pthread_once(&configured, sqlite_configure);
    rc = sqlite3_open_v2(
        path, &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        set_err(why, sizeof(why), "open: %s",
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    if (!is_memory_path(path)) {
        rc = query_text(db, "PRAGMA journal_mode=WAL", mode, sizeof(mode));
        if (rc != SQLITE_OK || strcmp(mode, "wal") != 0) {
            set_err(why, sizeof(why), "journal_mode=WAL: %s",
                    rc != SQLITE_OK ? sqlite3_errmsg(db) : mode);
            goto fail;
        }
    }
    rc = sqlite3_exec(db,
                      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                      "PRAGMA temp_store=MEMORY; "
                      "PRAGMA busy_timeout=5000",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(why, sizeof(why), "pragmas: %s", sqlite3_errmsg(db));
        goto fail;
    }
    if (check_integrity(db, why, sizeof(why)) < 0)
        goto fail;
    if (migrate(db, migrations, n_migrations, why, sizeof(why)) < 0)
        goto fail;
    /* Not in SCHEMA_COMMON: version 1 is shipped and the services' versions
     * follow it, so a table every daemon gets later is ensured here. */
    if (sqlite3_exec(db, SCHEMA_DISCARDED, NULL, NULL, NULL) != SQLITE_OK) {
        set_err(why, sizeof(why), "dead_letters_discarded: %s",
                sqlite3_errmsg(db));
        goto fail;
    }
    if (upgrade_replies(db, why, sizeof(why)) < 0)
        goto fail;

    s = xcalloc(1, sizeof(*s));
    s->db = db;
    db = NULL;
    s->name = xstrdup(name);
    if (load_epoch(s, why, sizeof(why)) < 0 ||
        load_head(s, why, sizeof(why)) < 0 ||
        rkeys_load(s, why, sizeof(why)) < 0)
        goto fail;
    if (!is_memory_path(path) && ckpt_start(s, path, why, sizeof(why)) < 0)
        goto fail;
    return s;
fail:
    log_error("store.open_failed", "store=%s path=%s err=%s", log_q(name),
              log_q(path), log_q(why));
    set_err(err, errlen, "%s: %s", path ? path : "(null)", why);
    store_destroy(&s);
    sqlite3_close(db);
    return NULL;
}

static void
mono_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool
mono_reached(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec ||
           (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* With c->mu held (released during the fdatasync). */
static void
sync_once(ckpt_t *c)
{
    uint64_t target = c->sync_want;
    pthread_mutex_unlock(&c->mu);
    int rc = fdatasync(c->wal_fd);
    int e = errno;
    pthread_mutex_lock(&c->mu);
    if (rc == 0) {
        /* The loop may have synced further meanwhile (store_sync). */
        if (target > c->sync_done)
            c->sync_done = target;
    } else {
        c->sync_err = e;
        log_error("store.sync_failed", "store=%s error=%s", log_q(c->name),
                  log_q(strerror(e)));
    }
    if (c->notify != NULL)
        c->notify(c->notify_arg);
}

static void *
ckpt_main(void *arg)
{
    ckpt_t *c = arg;
    struct timespec next; /* the next timed checkpoint */
    mono_in(&next, 1000);
    pthread_mutex_lock(&c->mu);
    while (!c->quit) {
        if (c->sync_want > c->sync_done && c->sync_err == 0) {
            sync_once(c); /* first: a reply or an event waits */
            continue;
        }
        bool due = mono_reached(&next);
        if (!c->wanted && !(due && c->frames > 0)) {
            if (due)
                mono_in(&next, 1000);
            pthread_cond_timedwait(&c->cv, &c->mu, &next);
            continue;
        }
        c->wanted = false;
        /* A checkpoint syncs the WAL before it copies frames (the pages it
         * has already copied were synced by an earlier one), so once it has
         * run, every commit that asked before it began is durable. */
        uint64_t asked = c->sync_want;
        pthread_mutex_unlock(&c->mu);
        int log_frames = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(
            c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            log_warn("store.checkpoint_failed", "store=%s rc=%d msg=%s",
                     log_q(c->name), rc, log_q(sqlite3_errmsg(c->db)));
        pthread_mutex_lock(&c->mu);
        if (rc == SQLITE_OK && done == log_frames)
            c->frames = 0;
        if (rc == SQLITE_OK && asked > c->sync_done && c->sync_err == 0 &&
            c->wal_fd >= 0) {
            c->sync_done = asked;
            if (c->notify != NULL)
                c->notify(c->notify_arg);
        }
        mono_in(&next, 1000);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Called by SQLite on the loop's connection after each commit. */
static int
on_wal_commit(void *arg, sqlite3 *db, const char *dbname, int frames)
{
    ckpt_t *c = arg;
    (void)db;
    (void)dbname;
    pthread_mutex_lock(&c->mu);
    c->frames = frames;
    bool wake = false;
    if (c->relaxed) {
        c->relaxed_since = true;
    } else {
        /* Numbered: its sync covers the relaxed commits before it. */
        c->hook_no++;
        c->relaxed_since = false;
        if (c->wal_fd >= 0 && !c->inline_sync) {
            c->sync_want = c->hook_no;
            wake = true;
        }
    }
    if (frames >= CKPT_FRAMES && !c->wanted)
        c->wanted = wake = true;
    if (wake)
        pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

static int
ckpt_start(store_t *s, const char *path, char *why, size_t whylen)
{
    ckpt_t *c = xcalloc(1, sizeof(*c));
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        set_err(why, whylen, "checkpointer: %s",
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    sqlite3_busy_timeout(c->db, 1000);
    /* Until a connection has read the header it does not know the database
     * is in WAL mode, and checkpoints do nothing (log = -1). */
    sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    /* Its checkpoints sync the WAL first, then the database (the loop's
     * durability counts on the first). */
    sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    c->name = xstrdup(s->name);
    /* The -wal file exists while a connection has the database open (the
     * open read it). A commit of a process killed before its sync is in
     * the page cache: make it durable before anything is served. Without
     * the descriptor the loop keeps synchronous=FULL. */
    char *wal = xasprintf("%s-wal", path);
    c->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
    if (c->wal_fd >= 0 && fdatasync(c->wal_fd) != 0) {
        set_err(why, whylen, "sync %s: %s", wal, strerror(errno));
        free(wal);
        close(c->wal_fd);
        sqlite3_close(c->db);
        free(c->name);
        free(c);
        return -1;
    }
    if (c->wal_fd < 0)
        log_warn("store.no_background_sync", "store=%s path=%s error=%s",
                 log_q(s->name), log_q(wal), log_q(strerror(errno)));
    free(wal);
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
        set_err(why, whylen, "checkpointer: cannot start its thread");
        sqlite3_close(c->db);
        if (c->wal_fd >= 0)
            close(c->wal_fd);
        free(c->name);
        free(c);
        return -1;
    }
    sqlite3_exec(s->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
    if (c->wal_fd >= 0)
        sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    sqlite3_wal_hook(s->db, on_wal_commit, c);
    s->ckpt = c;
    return 0;
}

static void
ckpt_stop(store_t *s)
{
    ckpt_t *c = s->ckpt;
    if (c == NULL)
        return;
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->quit = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    if (c->wal_fd >= 0)
        close(c->wal_fd);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->name);
    free(c);
    s->ckpt = NULL;
}

void
store_destroy(store_t **sp)
{
    store_t *s;
    int rc;

    if (sp == NULL || *sp == NULL)
        return;
    s = *sp;
    if (s->in_tx)
        store_rollback(s);
    ckpt_stop(s);
    for (size_t i = 0; i < s->n_stmts; i++) {
        sqlite3_finalize(s->stmts[i].stmt);
        free(s->stmts[i].sql);
    }
    free(s->stmts);
    free(s->slots);
    free(s->marks);
    rkeys_free(s);
    rc = sqlite3_close(s->db);
    if (rc != SQLITE_OK)
        log_error("store.close_failed", "store=%s rc=%d msg=%s", log_q(s->name),
                  rc, log_q(sqlite3_errmsg(s->db)));
    free(s->name);
    free(s);
    *sp = NULL;
}

sqlite3 *
store_db(store_t *s)
{
    return s->db;
}

const char *
store_name(const store_t *s)
{
    return s->name;
}

uint64_t
store_epoch(const store_t *s)
{
    return s->epoch;
}

uint64_t
store_head(const store_t *s)
{
    return s->head;
}

/* ---- durability ------------------------------------------------------------
 */

static bool
background_sync(const store_t *s)
{
    return s->ckpt != NULL && s->ckpt->wal_fd >= 0;
}

uint64_t
store_commit_no(const store_t *s)
{
    return s->ckpt != NULL ? s->ckpt->hook_no : 0;
}

uint64_t
store_durable_no(const store_t *s)
{
    return background_sync(s) ? s->durable_no : store_commit_no(s);
}

uint64_t
store_durable_head(const store_t *s)
{
    return background_sync(s) ? s->durable_head : s->head;
}

static void
marks_take(store_t *s, uint64_t done)
{
    if (done < s->durable_no) /* never backwards */
        return;
    s->durable_no = done;
    while (s->marks_len > 0 && s->marks[s->marks_first].no <= done) {
        s->durable_head = s->marks[s->marks_first].head;
        s->marks_first++;
        s->marks_len--;
    }
    if (s->marks_len == 0)
        s->marks_first = 0;
}

static void
marks_push(store_t *s, uint64_t no, uint64_t head)
{
    if (s->marks_first + s->marks_len == s->marks_cap) {
        if (s->marks_first > 0) {
            memmove(s->marks, s->marks + s->marks_first,
                    s->marks_len * sizeof(*s->marks));
            s->marks_first = 0;
        }
        if (s->marks_len == s->marks_cap) {
            s->marks_cap = s->marks_cap ? s->marks_cap * 2 : 64;
            s->marks = xrealloc(s->marks, s->marks_cap * sizeof(*s->marks));
        }
    }
    s->marks[s->marks_first + s->marks_len++] = (mark_t){no, head};
}

int
store_durable_poll(store_t *s)
{
    if (!background_sync(s))
        return 0;
    ckpt_t *c = s->ckpt;
    pthread_mutex_lock(&c->mu);
    uint64_t done = c->sync_done;
    int err = c->sync_err;
    pthread_mutex_unlock(&c->mu);
    if (err != 0)
        return -EIO;
    if (done <= s->durable_no)
        return 0;
    marks_take(s, done);
    return 1;
}

void
store_on_durable(store_t *s, void (*fn)(void *), void *arg)
{
    if (s->ckpt == NULL)
        return;
    pthread_mutex_lock(&s->ckpt->mu);
    s->ckpt->notify = fn;
    s->ckpt->notify_arg = arg;
    pthread_mutex_unlock(&s->ckpt->mu);
}

/* Give the relaxed commits made since the last counted one a number of
 * their own (loop thread only): a sync of that number covers them. */
static bool
number_relaxed(ckpt_t *c)
{
    if (!c->relaxed_since)
        return false;
    c->relaxed_since = false;
    c->hook_no++;
    return true;
}

uint64_t
store_visible_no(store_t *s)
{
    if (!background_sync(s))
        return store_commit_no(s);
    ckpt_t *c = s->ckpt;
    if (number_relaxed(c)) {
        pthread_mutex_lock(&c->mu);
        c->sync_want = c->hook_no;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    return c->hook_no;
}

int
store_sync(store_t *s)
{
    if (!background_sync(s))
        return 0;
    ckpt_t *c = s->ckpt;
    number_relaxed(c);
    uint64_t target = c->hook_no;
    pthread_mutex_lock(&c->mu);
    int err = c->sync_err;
    uint64_t done = c->sync_done;
    pthread_mutex_unlock(&c->mu);
    if (err != 0) /* a later fsync may "succeed" with the data lost */
        return -EIO;
    if (done < target) {
        if (fdatasync(c->wal_fd) != 0) {
            err = errno;
            log_error("store.sync_failed", "store=%s error=%s", log_q(s->name),
                      log_q(strerror(err)));
            pthread_mutex_lock(&c->mu);
            c->sync_err = err;
            pthread_mutex_unlock(&c->mu);
            return -EIO;
        }
        pthread_mutex_lock(&c->mu);
        if (c->sync_done < target)
            c->sync_done = target;
        pthread_mutex_unlock(&c->mu);
    }
    return store_durable_poll(s) < 0 ? -EIO : 0;
}

/* ---- transactions -------------------------------------------------------- */

int
store_begin(store_t *s)
{
    int rc;

    if (s->in_tx)
        return -EINVAL;
    rc = exec_cached(s, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    s->in_tx = true;
    s->in_sp = false;
    s->pending = s->head;
    return 0;
}

int
store_commit(store_t *s)
{
    int rc;

    if (!s->in_tx)
        return -EINVAL;
    rc = tx_lost(s);
    if (rc == 0)
        rc = exec_cached(s, "COMMIT");
    if (rc < 0) {
        /* No side effects on failure: the whole unit is undone. */
        store_rollback(s);
        return rc;
    }
    s->in_tx = false;
    s->in_sp = false;
    if (s->pending != s->head && background_sync(s))
        marks_push(s, s->ckpt->hook_no, s->pending);
    s->head = s->pending;
    if (s->rk_expired)
        rkeys_expired(s);
    return 0;
}

int
store_commit_relaxed(store_t *s)
{
    if (!s->in_tx || s->pending != s->head || !background_sync(s))
        return store_commit(s);
    s->ckpt->relaxed = true;
    int rc = store_commit(s);
    s->ckpt->relaxed = false;
    return rc;
}

bool
store_tx_emitted(const store_t *s)
{
    return s->in_tx && s->pending != s->head;
}

int
store_commit_sync(store_t *s)
{
    if (!background_sync(s))
        return store_commit(s);
    s->ckpt->inline_sync = true;
    int rc = store_commit(s);
    s->ckpt->inline_sync = false;
    if (rc < 0)
        return rc;
    /* Committed. A failed sync is the thread's failure too: recorded in
     * sync_err, reported by every store_durable_poll from now on. */
    (void)store_sync(s);
    return 0;
}

void
store_rollback(store_t *s)
{
    if (!s->in_tx)
        return;
    if (!sqlite3_get_autocommit(s->db))
        exec_cached(s, "ROLLBACK");
    s->in_tx = false;
    s->in_sp = false;
    s->pending = s->head;
    s->rk_expired = false;
}

int
store_savepoint(store_t *s)
{
    int rc;

    if (!s->in_tx || s->in_sp)
        return -EINVAL;
    rc = tx_lost(s);
    if (rc == 0)
        rc = exec_cached(s, "SAVEPOINT store_sp");
    if (rc < 0)
        return rc;
    s->in_sp = true;
    s->sp_head = s->pending;
    return 0;
}

int
store_release(store_t *s)
{
    int rc;

    if (!s->in_sp)
        return -EINVAL;
    rc = tx_lost(s);
    if (rc == 0)
        rc = exec_cached(s, "RELEASE store_sp");
    if (rc < 0)
        return rc;
    s->in_sp = false;
    return 0;
}

void
store_rollback_to(store_t *s)
{
    if (!s->in_sp)
        return;
    if (tx_lost(s) == 0) {
        exec_cached(s, "ROLLBACK TO store_sp");
        exec_cached(s, "RELEASE store_sp");
    }
    s->in_sp = false;
    s->pending = s->sp_head;
}

int
store_in_tx(const store_t *s)
{
    return s->in_tx;
}

int
store_in_savepoint(const store_t *s)
{
    return s->in_sp;
}

int64_t
store_changes(store_t *s)
{
    return (int64_t)sqlite3_total_changes64(s->db);
}

/* ---- outbox -------------------------------------------------------------- */

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int
store_outbox_append(store_t *s, Cogov__V1__Event *ev)
{
    static const char sql[] =
        "INSERT INTO outbox(seq, type, correlation_id, causation_id, "
        "recorded_at, event) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    Cogov__V1__Event saved = *ev;
    sqlite3_stmt *st;
    uint8_t *buf = NULL;
    size_t len;
    int rc;

    if (!s->in_tx)
        return -EINVAL;
    rc = tx_lost(s);
    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;

    ev->producer = s->name;
    ev->has_seq = 1;
    ev->seq = s->pending + 1;
    ev->has_epoch = 1;
    ev->epoch = s->epoch;
    if (!ev->has_recorded_at || ev->recorded_at == 0) {
        ev->has_recorded_at = 1;
        ev->recorded_at = now_wall_us();
    }
    buf = pb_pack(&ev->base, &len); /* Event is nearly all one oneof */

    sqlite3_bind_int64(st, 1, (int64_t)ev->seq);
    sqlite3_bind_text(st, 2, ev->type ? ev->type : "", -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, ev->correlation_id);
    bind_text_or_null(st, 4, ev->causation_id);
    sqlite3_bind_int64(st, 5, ev->recorded_at);
    sqlite3_bind_blob(st, 6, buf, (int)len, SQLITE_STATIC);
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    free(buf);
    if (rc < 0) {
        *ev = saved;
        return rc;
    }
    s->pending = ev->seq;
    return 0;
}

int
store_outbox_read(store_t *s, uint64_t after, uint32_t max, store_event_fn cb,
                  void *arg)
{
    static const char sql[] = "SELECT seq, event FROM outbox "
                              "WHERE seq > ?1 AND seq <= ?2 "
                              "ORDER BY seq LIMIT ?3";
    sqlite3_stmt *st;
    int rc, ret = 0;

    /* Only durable rows: bounded by the durable head, which also hides
     * this connection's own uncommitted appends. */
    uint64_t head = store_durable_head(s);
    if (max == 0 || after >= head)
        return 0;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, (int64_t)after);
    sqlite3_bind_int64(st, 2, (int64_t)head);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        const uint8_t *data = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);

        ret = cb(arg, seq, data, len);
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_fail(s, sql, rc);
    /* Reset now: a statement left mid-walk holds a read snapshot. */
    sqlite3_reset(st);
    return ret;
}

/* ---- cursors ------------------------------------------------------------- */

int
store_cursor_get(store_t *s, const char *producer, uint64_t *epoch,
                 uint64_t *seq)
{
    static const char sql[] =
        "SELECT epoch, applied_seq FROM cursors WHERE producer = ?1";
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc, ret = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, producer, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *epoch = (uint64_t)sqlite3_column_int64(st, 0);
        *seq = (uint64_t)sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        *epoch = 0;
        *seq = 0;
    } else {
        ret = db_fail(s, sql, rc);
    }
    sqlite3_reset(st);
    return ret;
}

int
store_cursor_set(store_t *s, const char *producer, uint64_t epoch, uint64_t seq)
{
    static const char sql[] =
        "INSERT INTO cursors(producer, epoch, applied_seq, updated_at) "
        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(producer) DO UPDATE SET "
        "epoch = excluded.epoch, applied_seq = excluded.applied_seq, "
        "updated_at = excluded.updated_at";
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, producer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)epoch);
    sqlite3_bind_int64(st, 3, (int64_t)seq);
    sqlite3_bind_int64(st, 4, now_wall_ms());
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- replies ------------------------------------------------------------- */

/* Almost every write is not a retry, and asking SQLite whether it is costs
 * a statement (~4.4k instructions). So the store keeps the keys of its
 * stored replies in memory and asks SQLite only about a key it may hold.
 * The keys are a superset of the rows: a key goes in when its row is
 * inserted (and stays if that is rolled back: one needless lookup), and
 * goes out only after an expiry has committed, by id: expiry deletes a
 * prefix of ids, so no row is below the smallest id then committed (read
 * after the commit, so an expiry rolled back, whole or to a savepoint,
 * drops nothing). This needs every write to `replies` to go through this
 * store_t, as the outbox head already does.
 *
 * The keys are Bloom filters by generation: a generation takes
 * store_rkey_gen_keys keys (16 bits each, 7 probes: about 1 in 1,500
 * lookups of an absent key goes to SQLite anyway) and remembers the newest
 * row id among them; it goes as a whole once that id is below every row
 * left. So memory follows the rows the reply window holds, 2 bytes a key
 * (128 KiB per 65,536 replies), where a hash table of keys and ids took 32
 * and put a busy coordination daemon past its RSS budget. Past RK_MAX_BYTES
 * of filters the keys are dropped and every lookup asks SQLite, until the
 * store is opened again. */
#define RK_PROBES 7
#define RK_MAX_BYTES (2u << 20) /* 2 MiB: a million keys by default */
size_t store_rkey_gen_keys = 65536;

static size_t
rk_gen_bits(void)
{
    size_t bits = 64;
    while (bits < store_rkey_gen_keys * 16)
        bits *= 2;
    return bits;
}

static uint64_t
rkey_hash(const char *principal, const char *request_id)
{
    uint64_t h = hash64(request_id, strlen(request_id));
    h ^= hash64(principal, strlen(principal)) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return h;
}

/* Probe i of key h: double hashing, the step odd so the probes differ. */
#define RK_PROBE(h, i, mask)                                                   \
    (((h) + (uint64_t)(i) * (((h) >> 32) * 0x9e3779b97f4a7c15ULL | 1)) & (mask))

static bool
rkey_has(const store_t *s, uint64_t h)
{
    uint64_t mask = rk_gen_bits() - 1;
    for (size_t g = s->rk_ngens; g-- > 0;) {
        const uint64_t *bits = s->rk_gens[g].bits;
        int i = 0;
        for (; i < RK_PROBES; i++) {
            uint64_t b = RK_PROBE(h, i, mask);
            if ((bits[b >> 6] & (1ULL << (b & 63))) == 0)
                break;
        }
        if (i == RK_PROBES)
            return true;
    }
    return false;
}

static void
rkeys_free(store_t *s)
{
    for (size_t g = 0; g < s->rk_ngens; g++)
        free(s->rk_gens[g].bits);
    free(s->rk_gens);
    s->rk_gens = NULL;
    s->rk_ngens = 0;
}

static void
rkey_add(store_t *s, uint64_t h, int64_t id)
{
    if (s->rk_off)
        return;
    size_t nbits = rk_gen_bits();
    struct rk_gen *g = s->rk_ngens ? &s->rk_gens[s->rk_ngens - 1] : NULL;
    if (g == NULL || g->n >= store_rkey_gen_keys) {
        if ((s->rk_ngens + 1) * (nbits / 8) > RK_MAX_BYTES) {
            rkeys_free(s);
            s->rk_off = true;
            return;
        }
        s->rk_gens =
            xrealloc(s->rk_gens, (s->rk_ngens + 1) * sizeof(*s->rk_gens));
        g = &s->rk_gens[s->rk_ngens++];
        *g = (struct rk_gen){xcalloc(nbits / 64, sizeof(uint64_t)), 0,
                             INT64_MIN};
    }
    for (int i = 0; i < RK_PROBES; i++) {
        uint64_t b = RK_PROBE(h, i, nbits - 1);
        g->bits[b >> 6] |= 1ULL << (b & 63);
    }
    g->n++;
    if (id > g->max_id)
        g->max_id = id;
}

size_t
store_reply_keys_bytes(const store_t *s)
{
    return s->rk_ngens * (rk_gen_bits() / 8);
}

/* After an expiry committed: drop the generations whose rows are all
 * gone. */
static void
rkeys_expired(store_t *s)
{
    sqlite3_stmt *st;
    int64_t min_id = INT64_MAX; /* no rows: no keys */

    s->rk_expired = false;
    if (s->rk_off || s->rk_ngens == 0)
        return;
    st = store_stmt(s, "SELECT min(id) FROM replies");
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        if (st != NULL)
            sqlite3_reset(st);
        return; /* keys kept: a superset still */
    }
    if (sqlite3_column_type(st, 0) != SQLITE_NULL)
        min_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    size_t kept = 0;
    for (size_t g = 0; g < s->rk_ngens; g++) {
        /* the one being filled stays, even if its rows are gone */
        if (s->rk_gens[g].max_id < min_id && g + 1 < s->rk_ngens)
            free(s->rk_gens[g].bits);
        else
            s->rk_gens[kept++] = s->rk_gens[g];
    }
    s->rk_ngens = kept;
}

/* At open: the keys of the rows there are. */
static int
rkeys_load(store_t *s, char *err, size_t errlen)
{
    static const char sql[] = "SELECT id, principal, request_id FROM replies";
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc;

    if (st == NULL) {
        set_err(err, errlen, "replies: %s", sqlite3_errmsg(s->db));
        return -EIO;
    }
    s->rk_off = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !s->rk_off)
        rkey_add(s,
                 rkey_hash((const char *)sqlite3_column_text(st, 1),
                           (const char *)sqlite3_column_text(st, 2)),
                 sqlite3_column_int64(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_err(err, errlen, "replies: %s", sqlite3_errmsg(s->db));
        return -EIO;
    }
    return 0;
}

int
store_reply_get(store_t *s, const char *principal, const char *request_id,
                uint64_t *hash, uint8_t **reply, size_t *len)
{
    static const char sql[] = "SELECT body_hash, reply FROM replies "
                              "WHERE principal = ?1 AND request_id = ?2";
    sqlite3_stmt *st;
    int rc, ret = 0;

    if (!s->rk_off && !rkey_has(s, rkey_hash(principal, request_id)))
        return -ENOENT;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, request_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 1);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);

        *hash = (uint64_t)sqlite3_column_int64(st, 0);
        *reply = xmalloc(n ? n : 1);
        if (n)
            memcpy(*reply, b, n);
        *len = n;
    } else if (rc == SQLITE_DONE) {
        ret = -ENOENT;
    } else {
        ret = db_fail(s, sql, rc);
    }
    sqlite3_reset(st);
    return ret;
}

int
store_reply_put(store_t *s, const char *principal, const char *request_id,
                uint64_t hash, const uint8_t *reply, size_t len, int64_t now_ms)
{
    static const char sql[] =
        "INSERT INTO replies(principal, request_id, body_hash, reply, "
        "created_at) VALUES(?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)hash);
    if (len == 0)
        sqlite3_bind_zeroblob(st, 4, 0);
    else
        sqlite3_bind_blob(st, 4, reply, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    if (rc == 0)
        rkey_add(s, rkey_hash(principal, request_id),
                 sqlite3_last_insert_rowid(s->db));
    return rc;
}

/* Rows are in time order by id (REPLIES_V2), so the expired ones are a
 * prefix: everything up to the last row created before before_ms that
 * comes before the first row in the window. The scan stops there, so its
 * cost is what it deletes. A wall clock stepped back leaves rows stamped
 * before before_ms after that first row: they go with a later expiry
 * (kept longer, never shorter). A row stamped in the future (a clock
 * stepped forward, then back) does not hold back the rows after it: it
 * goes once a row stored after it has expired. */
int
store_reply_expire(store_t *s, int64_t before_ms)
{
    static const char sql[] =
        "DELETE FROM replies WHERE id <= ("
        " SELECT max(id) FROM replies WHERE created_at < ?1 AND id < ("
        "  SELECT IFNULL(("
        "   SELECT id FROM replies WHERE created_at >= ?1 AND created_at <= ?2"
        "   ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM replies))))";
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, now_wall_ms());
    rc = step_done(s, st);
    if (rc < 0)
        return rc;
    rc = sqlite3_changes(s->db);
    if (rc > 0) {
        /* The keys go once the deletion is committed (store_commit); in
         * autocommit, now. */
        s->rk_expired = true;
        if (!s->in_tx)
            rkeys_expired(s);
    }
    return rc;
}

/* ---- dead letters -------------------------------------------------------- */

int
store_dead_letter_add(store_t *s, const char *producer, uint64_t seq,
                      const char *type, const char *error, const uint8_t *event,
                      size_t len)
{
    static const char sql[] =
        "INSERT INTO dead_letters(producer, seq, type, error, event, "
        "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, producer ? producer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    sqlite3_bind_text(st, 3, type ? type : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, error ? error : "", -1, SQLITE_STATIC);
    if (event == NULL)
        sqlite3_bind_null(st, 5);
    else
        sqlite3_bind_blob(st, 5, event, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_wall_ms());
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Run a single-integer query through the cache. */
static int64_t
stmt_int(store_t *s, const char *sql)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    int64_t v;
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        v = -ENOENT;
    else
        v = db_fail(s, sql, rc);
    sqlite3_reset(st);
    return v;
}

int64_t
store_dead_letter_count(store_t *s)
{
    return stmt_int(s, "SELECT COUNT(*) FROM dead_letters");
}

int64_t
store_dead_letter_discarded_count(store_t *s)
{
    return stmt_int(s, "SELECT COUNT(*) FROM dead_letters_discarded");
}

static const char DL_LIST_OPEN[] =
    "SELECT id, producer, seq, type, error, event, created_at, retried, 0, "
    "NULL, NULL FROM dead_letters WHERE (?1 = '' OR producer = ?1) AND "
    "(?2 = 0 OR seq = ?2) ORDER BY id LIMIT ?3";
static const char DL_LIST_DISCARDED[] =
    "SELECT id, producer, seq, type, error, event, created_at, retried, "
    "discarded_at, discarded_by, reason FROM dead_letters_discarded WHERE "
    "(?1 = '' OR producer = ?1) AND (?2 = 0 OR seq = ?2) ORDER BY id LIMIT ?3";

int
store_dead_letter_list(store_t *s, const char *producer, uint64_t seq,
                       bool discarded, uint32_t limit,
                       store_dead_letter_t **out, size_t *n)
{
    const char *sql = discarded ? DL_LIST_DISCARDED : DL_LIST_OPEN;
    sqlite3_stmt *st = store_stmt(s, sql);
    store_dead_letter_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc, ret = 0;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, producer ? producer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            v = xrealloc(v, cap * sizeof(*v));
        }
        store_dead_letter_t *d = &v[len++];
        memset(d, 0, sizeof(*d));
        d->id = sqlite3_column_int64(st, 0);
        d->producer = store_col_text(st, 1);
        d->seq = (uint64_t)sqlite3_column_int64(st, 2);
        d->type = store_col_text(st, 3);
        d->error = store_col_text(st, 4);
        d->len = (size_t)sqlite3_column_bytes(st, 5);
        if (d->len > 0) {
            d->event = xmalloc(d->len);
            memcpy(d->event, sqlite3_column_blob(st, 5), d->len);
        }
        d->created_at = sqlite3_column_int64(st, 6);
        d->attempts = sqlite3_column_int64(st, 7);
        d->discarded_at = sqlite3_column_int64(st, 8);
        d->discarded_by = store_col_text(st, 9);
        d->reason = store_col_text(st, 10);
    }
    if (rc != SQLITE_DONE)
        ret = db_fail(s, sql, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (ret != 0) {
        store_dead_letter_free(v, len);
        return ret;
    }
    *out = v;
    *n = len;
    return 0;
}

void
store_dead_letter_free(store_dead_letter_t *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].producer);
        free(v[i].type);
        free(v[i].error);
        free(v[i].event);
        free(v[i].discarded_by);
        free(v[i].reason);
    }
    free(v);
}

/* Run a write on one dead letter by id: -ENOENT if no row changed. */
static int
dl_write(store_t *s, const char *sql, int64_t id, const char *a, const char *b,
         bool stamp)
{
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    if (a != NULL)
        sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
    if (stamp)
        sqlite3_bind_int64(st, 4, now_wall_ms());
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = -ENOENT;
    return rc;
}

int
store_dead_letter_remove(store_t *s, int64_t id)
{
    return dl_write(s, "DELETE FROM dead_letters WHERE id = ?1", id, NULL, NULL,
                    false);
}

int
store_dead_letter_failed(store_t *s, int64_t id, const char *error)
{
    return dl_write(s,
                    "UPDATE dead_letters SET error = ?2, retried = retried + 1 "
                    "WHERE id = ?1",
                    id, error ? error : "", NULL, false);
}

int
store_dead_letter_discard(store_t *s, int64_t id, const char *by,
                          const char *reason)
{
    int rc = dl_write(
        s,
        "INSERT INTO dead_letters_discarded(id, producer, seq, type, error, "
        "event, created_at, retried, discarded_at, discarded_by, reason) "
        "SELECT id, producer, seq, type, error, event, created_at, retried, "
        "?4, ?2, ?3 FROM dead_letters WHERE id = ?1",
        id, by ? by : "", reason ? reason : "", true);
    if (rc == 0)
        rc = store_dead_letter_remove(s, id);
    return rc;
}

/* ---- meta ---------------------------------------------------------------- */

int
store_meta_get_int(store_t *s, const char *key, int64_t *value)
{
    static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc, ret = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        ret = -ENOENT;
    else
        ret = db_fail(s, sql, rc);
    sqlite3_reset(st);
    return ret;
}

int
store_meta_set_int(store_t *s, const char *key, int64_t value)
{
    static const char sql[] =
        "INSERT INTO meta(key, value) VALUES(?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st;
    int rc = tx_lost(s);

    if (rc < 0)
        return rc;
    st = store_stmt(s, sql);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    rc = step_done(s, st);
    sqlite3_clear_bindings(st);
    return rc;
}

int64_t
store_size_bytes(store_t *s)
{
    int64_t pages = stmt_int(s, "PRAGMA page_count");
    int64_t size;

    if (pages < 0)
        return pages;
    size = stmt_int(s, "PRAGMA page_size");
    if (size < 0)
        return size;
    return pages * size;
}
