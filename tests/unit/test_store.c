/* test_store: schema and migrations, transactions and the gapless outbox,
 * cursors, replies, dead letters, meta, durability and corruption. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "store.h"
#include "util.h"
#include "unit_tmp.h"

#define SEED 20250101u

static const char *const MIG3[] = {
    /* v2: not idempotent on purpose, so a re-run would fail the open */
    "CREATE TABLE member(id TEXT PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE INDEX member_name ON member(name);",
    /* v3 */
    "CREATE TABLE goal(id INTEGER PRIMARY KEY, title TEXT);",
    /* v4 */
    "CREATE TABLE task(id INTEGER PRIMARY KEY,\n"
    "  goal INTEGER REFERENCES goal(id));\n"
    "INSERT INTO task(goal) VALUES(NULL);",
};

static store_t *
open_ok(const char *path, size_t n_mig)
{
    char err[256] = "";
    store_t *s =
        store_open(path, "coordination", MIG3, n_mig, err, sizeof(err));
    if (s == NULL)
        fail_msg("store_open(%s, %zu): %s", path, n_mig, err);
    return s;
}

static int
has_table(store_t *s, const char *name)
{
    sqlite3_stmt *st = store_stmt(
        s, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
           "name=?1");
    int n;

    assert_non_null(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return n;
}

static int
append(store_t *s, const char *type, const char *corr)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;

    ev.type = (char *)type;
    ev.correlation_id = (char *)corr;
    return store_outbox_append(s, &ev);
}

/* ---- schema, migrations ------------------------------------------------- */

static void
test_errno_map(void **state)
{
    assert_int_equal(store_errno(SQLITE_OK), 0);
    assert_int_equal(store_errno(SQLITE_ROW), 0);
    assert_int_equal(store_errno(SQLITE_DONE), 0);
    assert_int_equal(store_errno(SQLITE_BUSY), -EBUSY);
    assert_int_equal(store_errno(SQLITE_BUSY_SNAPSHOT), -EBUSY);
    assert_int_equal(store_errno(SQLITE_LOCKED), -EBUSY);
    assert_int_equal(store_errno(SQLITE_FULL), -ENOSPC);
    assert_int_equal(store_errno(SQLITE_CONSTRAINT), -EEXIST);
    assert_int_equal(store_errno(SQLITE_CONSTRAINT_PRIMARYKEY), -EEXIST);
    assert_int_equal(store_errno(SQLITE_NOTFOUND), -ENOENT);
    assert_int_equal(store_errno(SQLITE_CORRUPT), -EIO);
    assert_int_equal(store_errno(SQLITE_IOERR_FSYNC), -EIO);
}

static void
test_open_memory(void **state)
{
    store_t *s = open_ok(":memory:", 2);

    assert_string_equal(store_name(s), "coordination");
    assert_non_null(store_db(s));
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 3);
    assert_true(has_table(s, "meta"));
    assert_true(has_table(s, "outbox"));
    assert_true(has_table(s, "cursors"));
    assert_true(has_table(s, "replies"));
    assert_true(has_table(s, "dead_letters"));
    assert_true(has_table(s, "member"));
    assert_true(has_table(s, "goal"));
    assert_false(has_table(s, "task"));
    /* replies in its second shape: ids in time order, no created_at index */
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "name='replies_created_at'"),
                     0);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM "
                                   "pragma_table_info('replies') WHERE "
                                   "name='id' AND pk=1"),
                     1);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "type='index' AND tbl_name='replies'"),
                     1);
    assert_int_equal(unit_q_int(s, "PRAGMA foreign_keys"), 1);
    assert_int_equal(unit_q_int(s, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(unit_q_int(s, "PRAGMA busy_timeout"), 5000);
    assert_true(store_epoch(s) > 0);
    assert_true(store_epoch(s) <= (uint64_t)INT64_MAX);
    assert_int_equal(store_head(s), 0);
    assert_false(store_in_tx(s));
    assert_true(store_size_bytes(s) > 0);
    store_destroy(&s);
    assert_null(s);
    store_destroy(&s); /* NULL is fine */
}

static void
test_migrations_file(void **state)
{
    struct tmp *t = *state;
    char err[256] = "";
    uint64_t epoch;
    store_t *s = open_ok(t->db, 2);

    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 3);
    epoch = store_epoch(s);
    assert_true(epoch > 0);
    {
        char wal[160];
        struct stat sb;
        snprintf(wal, sizeof(wal), "%s-wal", t->db);
        assert_int_equal(stat(wal, &sb), 0); /* WAL mode */
    }
    store_destroy(&s);

    /* One more: only v4 runs (v2 is not re-runnable, so a re-run fails). */
    s = open_ok(t->db, 3);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 4);
    assert_true(has_table(s, "task"));
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM task"), 1);
    assert_int_equal(store_epoch(s), epoch);
    store_destroy(&s);

    /* Again with 3: nothing to do, the INSERT in v4 did not run twice. */
    s = open_ok(t->db, 3);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM task"), 1);
    assert_int_equal(store_epoch(s), epoch);
    store_destroy(&s);

    /* An older build refuses a newer store. */
    s = store_open(t->db, "coordination", MIG3, 2, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "newer"));
    err[0] = 0;
    s = store_open(t->db, "coordination", NULL, 0, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "newer"));

    /* And the refused opens changed nothing. */
    s = open_ok(t->db, 3);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 4);
    assert_int_equal(store_epoch(s), epoch);
    store_destroy(&s);
}

static void
test_migration_failure_is_atomic(void **state)
{
    struct tmp *t = *state;
    const char *const bad[] = {
        MIG3[0],
        "CREATE TABLE half(x);\nTHIS IS NOT SQL;",
    };
    char err[256] = "";
    store_t *s;

    s = store_open(t->db, "svc", bad, 2, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "migration 3"));

    s = open_ok(t->db, 1);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 2);
    assert_true(has_table(s, "member"));
    assert_false(has_table(s, "half"));
    store_destroy(&s);
}

static void
test_epoch_distinct(void **state)
{
    store_t *a = open_ok(":memory:", 0);
    store_t *b = open_ok(":memory:", 0);
    int64_t v = 0;

    assert_int_equal(unit_q_int(a, "PRAGMA user_version"), 1);
    assert_int_equal(store_meta_get_int(a, "epoch", &v), 0);
    assert_int_equal((uint64_t)v, store_epoch(a));
    /* 63 random bits: equal only with probability 2^-63. */
    assert_int_not_equal(store_epoch(a), store_epoch(b));
    store_destroy(&a);
    store_destroy(&b);
}

static void
test_corrupt_refused(void **state)
{
    struct tmp *t = *state;
    char err[256] = "";
    struct stat sb;
    store_t *s = open_ok(t->db, 2);
    sqlite3_stmt *st;
    uint8_t *junk;
    size_t page = 4096, n;
    unsigned seed = SEED;
    int fd;

    /* Fill enough pages that the middle holds b-tree pages. */
    assert_int_equal(store_begin(s), 0);
    for (int i = 0; i < 2000; i++) {
        char id[32], name[64];
        snprintf(id, sizeof(id), "m%05d", i);
        snprintf(name, sizeof(name), "member name number %d padding", i);
        st = store_stmt(s, "INSERT INTO member(id, name) VALUES(?1, ?2)");
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    }
    assert_int_equal(store_commit(s), 0);
    store_destroy(&s);

    assert_int_equal(stat(t->db, &sb), 0);
    assert_true((size_t)sb.st_size >= 8 * page);
    n = (size_t)sb.st_size / 2;
    print_message("corrupting %zu bytes at %zu of %lld, seed %u\n", n, page * 2,
                  (long long)sb.st_size, seed);
    junk = xmalloc(n);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        junk[i] = (uint8_t)rand();
    fd = open(t->db, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk, n, (off_t)(page * 2)), (ssize_t)n);
    close(fd);
    free(junk);

    s = store_open(t->db, "coordination", MIG3, 2, err, sizeof(err));
    assert_null(s);
    print_message("refused: %s\n", err);
    assert_true(err[0] != 0);
}

static void
test_not_a_database(void **state)
{
    struct tmp *t = *state;
    char err[256] = "";
    FILE *f = fopen(t->db, "w");
    store_t *s;

    assert_non_null(f);
    for (int i = 0; i < 1000; i++)
        fputs("this is not a database file\n", f);
    fclose(f);
    s = store_open(t->db, "x", NULL, 0, err, sizeof(err));
    assert_null(s);
    assert_true(err[0] != 0);
}

static void
test_stmt_cache(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    char buf[64];
    sqlite3_stmt *a, *b, *c;

    snprintf(buf, sizeof(buf), "SELECT 1");
    a = store_stmt(s, buf); /* first seen through buf */
    assert_non_null(a);
    b = store_stmt(s, "SELECT 1"); /* other pointer, same text */
    assert_ptr_equal(a, b);
    snprintf(buf, sizeof(buf), "SELECT 2");
    c = store_stmt(s, buf); /* same pointer, other text */
    assert_non_null(c);
    assert_ptr_not_equal(a, c);
    assert_int_equal(sqlite3_step(c), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(c, 0), 2);
    assert_ptr_equal(store_stmt(s, "SELECT 1"), a);

    /* Returned reset and with bindings cleared. */
    a = store_stmt(s, "SELECT ?1");
    sqlite3_bind_int(a, 1, 42);
    assert_int_equal(sqlite3_step(a), SQLITE_ROW);
    b = store_stmt(s, "SELECT ?1");
    assert_ptr_equal(a, b);
    assert_int_equal(sqlite3_step(b), SQLITE_ROW);
    assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);

    assert_null(store_stmt(s, "SELEKT nonsense"));
    assert_null(store_stmt(s, "SELECT * FROM no_such_table"));
    /* A statement left mid-step must not keep close from succeeding. */
    store_destroy(&s);
}

/* ---- transactions and the outbox ---------------------------------------- */

static void
test_tx_misuse(void **state)
{
    store_t *s = open_ok(":memory:", 0);

    assert_int_equal(store_commit(s), -EINVAL);
    assert_int_equal(store_savepoint(s), -EINVAL);
    assert_int_equal(store_release(s), -EINVAL);
    assert_int_equal(append(s, "x", NULL), -EINVAL); /* outside a tx */
    assert_int_equal(store_begin(s), 0);
    assert_true(store_in_tx(s));
    assert_int_equal(store_begin(s), -EINVAL);
    assert_int_equal(store_savepoint(s), 0);
    assert_int_equal(store_savepoint(s), -EINVAL); /* one level */
    assert_int_equal(store_release(s), 0);
    store_rollback(s);
    assert_false(store_in_tx(s));
    store_rollback(s); /* harmless */
    store_destroy(&s);
}

static void
test_outbox_commit(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;

    assert_int_equal(store_begin(s), 0);
    ev.type = "member_applied";
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_string_equal(ev.producer, "coordination");
    assert_ptr_equal(ev.producer, store_name(s));
    assert_true(ev.has_seq);
    assert_int_equal(ev.seq, 1);
    assert_true(ev.has_epoch);
    assert_int_equal(ev.epoch, store_epoch(s));
    assert_true(ev.has_recorded_at);
    assert_true(ev.recorded_at > 1600000000000000LL); /* microseconds */
    assert_int_equal(append(s, "b", NULL), 0);
    assert_int_equal(append(s, "c", NULL), 0);
    assert_int_equal(store_head(s), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_head(s), 3);
    assert_false(store_in_tx(s));
    store_destroy(&s);
}

static void
test_outbox_rollback_gapless(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "a", NULL), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_head(s), 1);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "lost", NULL), 0);
    assert_int_equal(append(s, "lost", NULL), 0);
    store_rollback(s);
    assert_int_equal(store_head(s), 1);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM outbox"), 1);

    assert_int_equal(store_begin(s), 0);
    ev.type = "b";
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_int_equal(ev.seq, 2); /* reused: no gap */
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_head(s), 2);
    assert_int_equal(unit_q_int(s, "SELECT MAX(seq) FROM outbox"), 2);
    store_destroy(&s);
}

static void
test_outbox_savepoint(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "outer", NULL), 0); /* 1 */
    assert_int_equal(store_meta_set_int(s, "k", 1), 0);
    assert_int_equal(store_savepoint(s), 0);
    assert_int_equal(append(s, "inner", NULL), 0); /* 2, undone */
    assert_int_equal(append(s, "inner", NULL), 0); /* 3, undone */
    assert_int_equal(store_meta_set_int(s, "k", 2), 0);
    store_rollback_to(s);
    assert_true(store_in_tx(s));
    ev.type = "after";
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_int_equal(ev.seq, 2);

    /* A released savepoint keeps its work. */
    assert_int_equal(store_savepoint(s), 0);
    assert_int_equal(append(s, "kept", NULL), 0); /* 3 */
    assert_int_equal(store_release(s), 0);
    assert_int_equal(store_commit(s), 0);

    assert_int_equal(store_head(s), 3);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM outbox"), 3);
    assert_int_equal(
        unit_q_int(s, "SELECT COUNT(*) FROM outbox WHERE type='inner'"), 0);
    {
        int64_t v = 0;
        assert_int_equal(store_meta_get_int(s, "k", &v), 0);
        assert_int_equal(v, 1);
    }
    store_destroy(&s);
}

struct collected {
    int n;
    uint64_t seq[16];
    Cogov__V1__Event *ev[16];
    int stop_at; /* return 7 when n reaches this */
};

static int
collect(void *arg, uint64_t seq, const uint8_t *data, size_t len)
{
    struct collected *c = arg;

    assert_true(c->n < 16);
    c->seq[c->n] = seq;
    c->ev[c->n] = cogov__v1__event__unpack(NULL, len, data);
    assert_non_null(c->ev[c->n]);
    c->n++;
    return c->n == c->stop_at ? 7 : 0;
}

static void
collected_free(struct collected *c)
{
    for (int i = 0; i < c->n; i++)
        cogov__v1__event__free_unpacked(c->ev[i], NULL);
    memset(c, 0, sizeof(*c));
}

static void
test_outbox_read(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    struct collected c = {0};
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    char corr[16], type[16];

    assert_int_equal(store_begin(s), 0);
    for (int i = 1; i <= 5; i++) {
        Cogov__V1__Event e = COGOV__V1__EVENT__INIT;
        snprintf(type, sizeof(type), "t%d", i);
        snprintf(corr, sizeof(corr), "c-%d", i);
        e.type = type;
        e.correlation_id = corr;
        e.causation_id = "req:alice:1";
        e.has_occurred_at = 1;
        e.occurred_at = 1700000000 + i;
        if (i == 5) {
            e.has_recorded_at = 1;
            e.recorded_at = 12345;
        }
        assert_int_equal(store_outbox_append(s, &e), 0);
    }
    assert_int_equal(store_outbox_read(s, 0, 100, collect, &c), 0);
    assert_int_equal(c.n, 0); /* nothing committed yet */
    assert_int_equal(store_commit(s), 0);

    /* An uncommitted append is invisible to readers. */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_int_equal(ev.seq, 6);

    assert_int_equal(store_outbox_read(s, 0, 100, collect, &c), 0);
    assert_int_equal(c.n, 5);
    for (int i = 0; i < 5; i++) {
        Cogov__V1__Event *e = c.ev[i];
        assert_int_equal(c.seq[i], i + 1);
        assert_string_equal(e->producer, "coordination");
        assert_true(e->has_seq);
        assert_int_equal(e->seq, i + 1);
        assert_true(e->has_epoch);
        assert_int_equal(e->epoch, store_epoch(s));
        snprintf(type, sizeof(type), "t%d", i + 1);
        assert_string_equal(e->type, type);
        snprintf(corr, sizeof(corr), "c-%d", i + 1);
        assert_string_equal(e->correlation_id, corr);
        assert_string_equal(e->causation_id, "req:alice:1");
        assert_int_equal(e->occurred_at, 1700000000 + i + 1);
        assert_true(e->has_recorded_at);
        if (i == 4)
            assert_int_equal(e->recorded_at, 12345); /* kept if set */
        else
            assert_true(e->recorded_at > 1600000000000LL);
    }
    collected_free(&c);
    store_rollback(s);

    /* Window and limit. */
    assert_int_equal(store_outbox_read(s, 2, 2, collect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seq[0], 3);
    assert_int_equal(c.seq[1], 4);
    collected_free(&c);
    assert_int_equal(store_outbox_read(s, 5, 10, collect, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_outbox_read(s, 99, 10, collect, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_outbox_read(s, 0, 0, collect, &c), 0);
    assert_int_equal(c.n, 0);

    /* The callback stops the walk. */
    c.stop_at = 2;
    assert_int_equal(store_outbox_read(s, 0, 10, collect, &c), 7);
    assert_int_equal(c.n, 2);
    collected_free(&c);

    /* The columns mirror the event. */
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM outbox WHERE "
                                   "seq=3 AND type='t3' AND "
                                   "correlation_id='c-3' AND "
                                   "causation_id='req:alice:1'"),
                     1);
    store_destroy(&s);
}

static void
test_outbox_null_type(void **state)
{
    store_t *s = open_ok(":memory:", 0);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, NULL, NULL), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(unit_q_int(s,
                                "SELECT COUNT(*) FROM outbox WHERE type='' AND "
                                "correlation_id IS NULL"),
                     1);
    store_destroy(&s);
}

static void
test_durability(void **state)
{
    struct tmp *t = *state;
    store_t *s = open_ok(t->db, 2);
    struct collected c = {0};
    uint64_t epoch = store_epoch(s);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "a", "c-1"), 0);
    assert_int_equal(append(s, "b", "c-1"), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "never", NULL), 0);
    store_destroy(&s); /* open transaction: rolled back */

    s = open_ok(t->db, 2);
    assert_int_equal(store_head(s), 2);
    assert_int_equal(store_epoch(s), epoch);
    assert_int_equal(store_outbox_read(s, 0, 10, collect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ev[1]->type, "b");
    assert_int_equal(c.ev[1]->epoch, epoch);
    collected_free(&c);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "c", NULL), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_head(s), 3);
    store_destroy(&s);
}

/* ---- cursors, replies, dead letters, meta -------------------------------- */

static void
test_cursors(void **state)
{
    struct tmp *t = *state;
    store_t *s = open_ok(t->db, 0);
    uint64_t e = 99, q = 99;

    assert_int_equal(store_cursor_get(s, "incentives", &e, &q), 0);
    assert_int_equal(e, 0);
    assert_int_equal(q, 0);
    assert_int_equal(store_cursor_set(s, "incentives", 77, 5), 0);
    assert_int_equal(store_cursor_set(s, "supervision", 88, 1), 0);
    assert_int_equal(store_cursor_set(s, "incentives", 77, 6), 0);
    assert_int_equal(store_cursor_get(s, "incentives", &e, &q), 0);
    assert_int_equal(e, 77);
    assert_int_equal(q, 6);

    /* In a rolled-back transaction the cursor does not move. */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_cursor_set(s, "incentives", 77, 9), 0);
    store_rollback(s);
    assert_int_equal(store_cursor_get(s, "incentives", &e, &q), 0);
    assert_int_equal(q, 6);
    store_destroy(&s);

    s = open_ok(t->db, 0);
    assert_int_equal(store_cursor_get(s, "incentives", &e, &q), 0);
    assert_int_equal(e, 77);
    assert_int_equal(q, 6);
    assert_int_equal(store_cursor_get(s, "supervision", &e, &q), 0);
    assert_int_equal(e, 88);
    assert_int_equal(q, 1);
    store_destroy(&s);
}

static void
test_replies(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    const uint8_t body[] = {1, 2, 3, 0, 5};
    uint64_t h = 0;
    uint8_t *r = NULL;
    size_t len = 0;

    assert_int_equal(store_reply_get(s, "alice", "r1", &h, &r, &len), -ENOENT);
    assert_null(r);
    assert_int_equal(store_reply_put(s, "alice", "r1", UINT64_MAX - 1, body,
                                     sizeof(body), 1000),
                     0);
    assert_int_equal(store_reply_put(s, "alice", "r2", 7, NULL, 0, 2000), 0);
    assert_int_equal(store_reply_put(s, "bob", "r1", 8, body, 1, 3000), 0);
    /* Same key twice: a constraint error. */
    assert_int_equal(store_reply_put(s, "alice", "r1", 1, body, 1, 4000),
                     -EEXIST);

    assert_int_equal(store_reply_get(s, "alice", "r1", &h, &r, &len), 0);
    assert_int_equal(h, UINT64_MAX - 1);
    assert_int_equal(len, sizeof(body));
    assert_memory_equal(r, body, sizeof(body));
    free(r);
    r = NULL;
    assert_int_equal(store_reply_get(s, "alice", "r2", &h, &r, &len), 0);
    assert_int_equal(h, 7);
    assert_int_equal(len, 0);
    assert_non_null(r);
    free(r);
    r = NULL;

    assert_int_equal(store_reply_expire(s, 1000), 0);
    assert_int_equal(store_reply_expire(s, 2500), 2);
    assert_int_equal(store_reply_get(s, "alice", "r1", &h, &r, &len), -ENOENT);
    assert_int_equal(store_reply_get(s, "alice", "r2", &h, &r, &len), -ENOENT);
    assert_int_equal(store_reply_get(s, "bob", "r1", &h, &r, &len), 0);
    assert_int_equal(h, 8);
    assert_int_equal(len, 1);
    free(r);
    store_destroy(&s);
}

/* Expiry takes the rows in insertion order: a row stamped before an earlier
 * one (the clock stepped back) waits for a later expiry; a row stamped in
 * the future goes once a row stored after it has expired. */
static void
test_replies_expire_order(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    int64_t future = now_wall_ms() + 86400000;

    assert_int_equal(store_reply_put(s, "a", "r1", 1, NULL, 0, 1000), 0);
    assert_int_equal(store_reply_put(s, "a", "r2", 2, NULL, 0, 3000), 0);
    assert_int_equal(store_reply_put(s, "a", "r3", 3, NULL, 0, 2000), 0);
    assert_int_equal(store_reply_put(s, "a", "r4", 4, NULL, 0, future), 0);
    assert_int_equal(store_reply_put(s, "a", "r5", 5, NULL, 0, 4000), 0);

    assert_int_equal(store_reply_expire(s, 500), 0);
    assert_int_equal(store_reply_expire(s, 2500), 1);
    assert_int_equal(unit_reply_hash(s, "a", "r1"), -ENOENT);
    assert_int_equal(unit_reply_hash(s, "a", "r2"), 2);
    assert_int_equal(unit_reply_hash(s, "a", "r3"), 3); /* after r2: kept */

    assert_int_equal(store_reply_expire(s, 3500), 2);
    assert_int_equal(unit_reply_hash(s, "a", "r2"), -ENOENT);
    assert_int_equal(unit_reply_hash(s, "a", "r3"), -ENOENT);
    assert_int_equal(unit_reply_hash(s, "a", "r4"),
                     4); /* nothing after it expired */
    assert_int_equal(unit_reply_hash(s, "a", "r5"), 5);

    assert_int_equal(store_reply_expire(s, 5000), 2);
    assert_int_equal(unit_reply_hash(s, "a", "r4"), -ENOENT);
    assert_int_equal(unit_reply_hash(s, "a", "r5"), -ENOENT);
    assert_int_equal(store_reply_expire(s, 6000), 0); /* empty table */

    /* Ids go on from the highest left; a new row is found and expires. */
    assert_int_equal(store_reply_put(s, "a", "r6", 6, NULL, 0, 7000), 0);
    assert_int_equal(unit_reply_hash(s, "a", "r6"), 6);
    assert_int_equal(store_reply_expire(s, 7001), 1);
    store_destroy(&s);
}

static void
test_dead_letters(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    const uint8_t ev[] = {0x0a, 0x01, 'x'};

    assert_int_equal(store_dead_letter_count(s), 0);
    assert_int_equal(store_dead_letter_add(s, "coordination", 4,
                                           "member_admitted", "no such unit",
                                           ev, sizeof(ev)),
                     0);
    assert_int_equal(
        store_dead_letter_add(s, "supervision", 9, "x", "bug", NULL, 0), 0);
    assert_int_equal(store_dead_letter_count(s), 2);
    assert_int_equal(
        unit_q_int(s, "SELECT COUNT(*) FROM dead_letters WHERE "
                      "producer='coordination' AND seq=4 AND "
                      "type='member_admitted' AND error='no such unit' AND "
                      "length(event)=3 AND retried=0 AND created_at>0"),
        1);
    store_destroy(&s);
}

static void
test_meta(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    int64_t v = 5;

    assert_int_equal(store_meta_get_int(s, "business_time", &v), -ENOENT);
    assert_int_equal(v, 5);
    assert_int_equal(store_meta_set_int(s, "business_time", 1735660800), 0);
    assert_int_equal(store_meta_get_int(s, "business_time", &v), 0);
    assert_int_equal(v, 1735660800);
    assert_int_equal(store_meta_set_int(s, "business_time", -3), 0);
    assert_int_equal(store_meta_get_int(s, "business_time", &v), 0);
    assert_int_equal(v, -3);
    assert_int_equal(store_meta_set_int(s, "max", INT64_MAX), 0);
    assert_int_equal(store_meta_get_int(s, "max", &v), 0);
    assert_true(v == INT64_MAX);
    store_destroy(&s);
}

/* Disk full (simulated with max_page_count): -ENOSPC, and whatever SQLite
 * undid, the committed outbox stays gapless and the head matches it. */
static void
test_disk_full(void **state)
{
    store_t *s = open_ok(":memory:", 0);
    sqlite3_stmt *st;
    char big[3000];
    int rc = 0, i;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(append(s, "a", big), 0);
    assert_int_equal(store_commit(s), 0);

    st = store_stmt(s, "PRAGMA max_page_count = 12");
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_reset(st);
    assert_int_equal(store_begin(s), 0);
    for (i = 0; i < 100 && rc == 0; i++)
        rc = append(s, "b", big);
    assert_int_equal(rc, -ENOSPC);
    if (sqlite3_get_autocommit(store_db(s))) {
        /* SQLite undid the whole transaction: further writes must not
         * autocommit outside it. */
        print_message("transaction rolled back by SQLite\n");
        assert_int_equal(append(s, "c", NULL), -EIO);
        assert_int_equal(store_cursor_set(s, "p", 1, 1), -EIO);
        assert_int_equal(store_meta_set_int(s, "k", 1), -EIO);
    }
    rc = store_commit(s);
    print_message("commit after ENOSPC: %d, head %llu\n", rc,
                  (unsigned long long)store_head(s));
    assert_false(store_in_tx(s));
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM outbox"),
                     (int64_t)store_head(s));
    assert_int_equal(unit_q_int(s, "SELECT MAX(seq) FROM outbox"),
                     (int64_t)store_head(s));
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM cursors"), 0);

    st = store_stmt(s, "PRAGMA max_page_count = 100000");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_reset(st);
    {
        Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
        uint64_t head = store_head(s);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_outbox_append(s, &ev), 0);
        assert_int_equal(ev.seq, head + 1);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_head(s), head + 1);
    }
    assert_int_equal(store_size_bytes(s),
                     unit_q_int(s, "PRAGMA page_count") * 4096);
    store_destroy(&s);
}

static void
test_busy_between_connections(void **state)
{
    struct tmp *t = *state;
    store_t *a = open_ok(t->db, 0);
    store_t *b = open_ok(t->db, 0);

    assert_int_equal(store_epoch(a), store_epoch(b));
    sqlite3_busy_timeout(store_db(b), 0); /* no wait for the test */
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_begin(b), -EBUSY);
    assert_false(store_in_tx(b));
    store_rollback(a);
    assert_int_equal(store_begin(b), 0);
    store_rollback(b);
    store_destroy(&a);
    store_destroy(&b);
}

/* The loop's connection never checkpoints inside a commit; the checkpointer
 * thread copies the WAL into the database once it is large. Observable: the
 * database file grows while nobody but the checkpointer writes to it. */
static void
test_checkpointer(void **state)
{
    struct tmp *t = *state;
    store_t *s = open_ok(t->db, 0);
    struct stat st0, st;
    assert_int_equal(stat(t->db, &st0), 0);
    static uint8_t blob[3000];
    memset(blob, 0x5a, sizeof(blob));
    /* ~1 page per reply row, one commit each: well over CKPT_FRAMES. */
    for (int i = 0; i < 1500; i++) {
        char rid[32];
        snprintf(rid, sizeof(rid), "r%d", i);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_reply_put(s, "p", rid, 1, blob, sizeof(blob), i),
                         0);
        assert_int_equal(store_commit(s), 0);
    }
    /* Nothing was checkpointed by the commits themselves... (the file holds
     * only what open and migrations wrote) */
    assert_int_equal(stat(t->db, &st), 0);
    bool grown = false;
    for (int i = 0; i < 500 && !grown; i++) { /* bounded: 5 s */
        assert_int_equal(stat(t->db, &st), 0);
        grown = st.st_size > st0.st_size + 1000 * 1024;
        if (!grown) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    printf("# db file %lld -> %lld bytes\n", (long long)st0.st_size,
           (long long)st.st_size);
    assert_true(grown);
    store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_map),
        cmocka_unit_test(test_open_memory),
        cmocka_unit_test_setup_teardown(test_migrations_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_migration_failure_is_atomic,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test(test_epoch_distinct),
        cmocka_unit_test_setup_teardown(test_corrupt_refused, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_stmt_cache),
        cmocka_unit_test(test_tx_misuse),
        cmocka_unit_test(test_outbox_commit),
        cmocka_unit_test(test_outbox_rollback_gapless),
        cmocka_unit_test(test_outbox_savepoint),
        cmocka_unit_test(test_outbox_read),
        cmocka_unit_test(test_outbox_null_type),
        cmocka_unit_test_setup_teardown(test_durability, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cursors, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_replies_expire_order),
        cmocka_unit_test(test_dead_letters),
        cmocka_unit_test(test_meta),
        cmocka_unit_test_setup_teardown(test_checkpointer, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test_setup_teardown(test_busy_between_connections,
                                        tmp_setup, tmp_teardown),
    };

    log_init("test_store");
    log_set_level(LOG_DEBUG);
    print_message("seed %u\n", SEED);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
