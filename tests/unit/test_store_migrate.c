/* test_store_migrate: stores made by the previous code go through the
 * schema changes of issue 4 with their rows kept: the common replies table
 * (second shape, ensured at open) and coordination's migration 6 (members
 * WITHOUT ROWID, unused indexes gone). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../services/coordination/coord_store.c"
#include "log.h"
#include "unit_tmp.h"

#define MS(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x

/* The common schema (version 1) as the previous code made it: replies with
 * PRIMARY KEY(principal, request_id) and an index on created_at. */
static const char OLD_COMMON[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;\n"
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, type TEXT NOT NULL,\n"
    "  correlation_id TEXT, causation_id TEXT, recorded_at INTEGER NOT NULL,\n"
    "  event BLOB NOT NULL);\n"
    "CREATE TABLE cursors(producer TEXT PRIMARY KEY NOT NULL,\n"
    "  epoch INTEGER NOT NULL, applied_seq INTEGER NOT NULL,\n"
    "  updated_at INTEGER NOT NULL);\n"
    "CREATE TABLE replies(principal TEXT NOT NULL, request_id TEXT NOT NULL,\n"
    "  body_hash INTEGER NOT NULL, reply BLOB NOT NULL,\n"
    "  created_at INTEGER NOT NULL, PRIMARY KEY(principal, request_id));\n"
    "CREATE INDEX replies_created_at ON replies(created_at);\n"
    "CREATE TABLE dead_letters(id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  producer TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,\n"
    "  error TEXT NOT NULL, event BLOB, created_at INTEGER NOT NULL,\n"
    "  retried INTEGER NOT NULL DEFAULT 0);\n"
    "INSERT INTO meta(key, value) VALUES('epoch', 4242);\n"
    "PRAGMA user_version = 1;\n";

static store_t *
open_n(const char *path, size_t n_mig)
{
    char err[256] = "";
    store_t *s = store_open(path, "coordination", coord_migrations, n_mig, err,
                            sizeof(err));
    if (s == NULL)
        fail_msg("store_open(%s, %zu): %s", path, n_mig, err);
    return s;
}

/* Every row of sql as one text line each, in the query's order, joined. */
static char *
rows_text(store_t *s, const char *sql)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    char *out = xstrdup("");
    int err;

    assert_non_null(st);
    while (store_row(st, &err)) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            char *next = xasprintf("%s%s%s", out, i ? "|" : "", v ? v : "NULL");
            free(out);
            out = next;
        }
        char *next = xasprintf("%s\n", out);
        free(out);
        out = next;
    }
    assert_int_equal(err, 0);
    return out;
}

static void
quick_check_ok(store_t *s)
{
    char *r = rows_text(s, "PRAGMA quick_check");
    assert_string_equal(r, "ok\n");
    free(r);
    r = rows_text(s, "PRAGMA foreign_key_check");
    assert_string_equal(r, "");
    free(r);
}

static void
reply_is(store_t *s, const char *principal, const char *request_id,
         uint64_t hash, const char *body)
{
    uint64_t h = 0;
    uint8_t *r = NULL;
    size_t len = 0;

    assert_int_equal(store_reply_get(s, principal, request_id, &h, &r, &len),
                     0);
    assert_int_equal(h, hash);
    assert_int_equal(len, strlen(body));
    assert_memory_equal(r, body, len);
    free(r);
}

/* ---- replies: version 1's table to the second shape --------------------- */

static void
test_replies_upgrade(void **state)
{
    struct tmp *t = *state;
    sqlite3 *db = NULL;
    char *got;

    /* A store of the previous code, rows stored out of time order (a
     * wall clock stepped back) and a hash with the top bit set. */
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, OLD_COMMON, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO replies VALUES('alice', 'late', 3, "
                     "  CAST('third' AS BLOB), 3000);"
                     "INSERT INTO replies VALUES('alice', 'early', "
                     "  -6148914691236517206, CAST('first' AS BLOB), 1000);"
                     "INSERT INTO replies VALUES('bob', 'late', 4, "
                     "  CAST('bob''s' AS BLOB), 2000);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    store_t *s = open_n(t->db, 0);
    quick_check_ok(s);
    assert_int_equal(store_epoch(s), 4242);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 1);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "name = 'replies_created_at'"),
                     0);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "name = 'replies_v2'"),
                     0);
    /* ids in time order */
    got = rows_text(s, "SELECT principal, request_id, created_at FROM replies "
                       "ORDER BY id");
    assert_string_equal(got, "alice|early|1000\nbob|late|2000\n"
                             "alice|late|3000\n");
    free(got);

    /* A retry finds its stored reply; the same key cannot be stored twice. */
    reply_is(s, "alice", "early", 0xAAAAAAAAAAAAAAAAull, "first");
    reply_is(s, "bob", "late", 4, "bob's");
    reply_is(s, "alice", "late", 3, "third");
    assert_int_equal(
        store_reply_put(s, "alice", "late", 9, (const uint8_t *)"x", 1, 5000),
        -EEXIST);
    assert_int_equal(store_reply_put(s, "carol", "late", 5,
                                     (const uint8_t *)"carol", 5, 4000),
                     0);
    store_destroy(&s);

    /* Opened again: nothing to convert, the rows as they were. */
    s = open_n(t->db, 0);
    quick_check_ok(s);
    reply_is(s, "carol", "late", 5, "carol");
    reply_is(s, "alice", "early", 0xAAAAAAAAAAAAAAAAull, "first");

    /* Expiry works on the converted rows. */
    assert_int_equal(store_reply_expire(s, 1000), 0);
    assert_int_equal(store_reply_expire(s, 2500), 2);
    assert_int_equal(store_reply_get(s, "alice", "early", &(uint64_t){0},
                                     &(uint8_t *){NULL}, &(size_t){0}),
                     -ENOENT);
    reply_is(s, "alice", "late", 3, "third");
    assert_int_equal(store_reply_expire(s, 10000), 2);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM replies"), 0);
    quick_check_ok(s);
    store_destroy(&s);
}

/* ---- coordination: migration 6 ------------------------------------------ */

static void
apply(store_t *st, const char *id, const char *name,
      Cogov__V1__MemberStatus prev, int64_t at)
{
    Cogov__V1__ApplyMember a = COGOV__V1__APPLY_MEMBER__INIT;
    a.uscc = (char *)id;
    a.name = (char *)name;
    a.has_type = 1;
    a.type = MT(ENTERPRISE);
    a.contact_name = "张敏";
    a.contact_email = "zm@example.cn";
    assert_int_equal(coord_store_member_apply(st, &a, prev, at, "req:t:a"), 0);
}

static const char MEMBERS_DUMP[] =
    "SELECT " MEMBER_COLS " FROM members ORDER BY member_id";
static const char HISTORY_DUMP[] =
    "SELECT id, member_id, from_status, to_status, reason, at, causation_id "
    "FROM member_history ORDER BY id";

static void
test_coordination_members(void **state)
{
    struct tmp *t = *state;
    Cogov__V1__Member *m = NULL;

    /* The previous code's coordination store: migrations 1 to 5. */
    assert_true(coord_n_migrations >= 6);
    store_t *s = open_n(t->db, 5);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"), 6);
    assert_int_equal(store_begin(s), 0);
    apply(s, "M1", "滨江职业技术学院", MS(UNSPECIFIED), 100);
    apply(s, "M2", "Second Unit", MS(UNSPECIFIED), 110);
    apply(s, "M3", "Third Unit", MS(UNSPECIFIED), 120);
    assert_int_equal(coord_store_member_change(s, "M1", MS(APPLIED),
                                               MS(ADMITTED), NULL, 200,
                                               "req:t:b"),
                     0);
    assert_int_equal(coord_store_member_change(s, "M2", MS(APPLIED),
                                               MS(REJECTED), "名额已满", 210,
                                               "req:t:c"),
                     0);
    apply(s, "M2", "Second Unit again", MS(REJECTED), 300);
    assert_int_equal(store_commit(s), 0);
    char *members = rows_text(s, MEMBERS_DUMP);
    char *history = rows_text(s, HISTORY_DUMP);
    assert_non_null(strstr(history, "名额已满"));
    store_destroy(&s);

    s = open_n(t->db, coord_n_migrations);
    assert_int_equal(unit_q_int(s, "PRAGMA user_version"),
                     1 + (int64_t)coord_n_migrations);
    quick_check_ok(s);
    char *got = rows_text(s, MEMBERS_DUMP);
    assert_string_equal(got, members);
    free(got);
    got = rows_text(s, HISTORY_DUMP);
    assert_string_equal(got, history);
    free(got);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "name IN ('members_status', "
                                   "'member_history_member', 'members_v6', "
                                   "'member_history_v6')"),
                     0);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                   "name = 'members' AND sql LIKE "
                                   "'%WITHOUT ROWID'"),
                     1);
    assert_int_equal(unit_q_int(s, "SELECT COUNT(*) FROM "
                                   "pragma_foreign_key_list('member_history') "
                                   "WHERE \"table\" = 'members' AND "
                                   "\"from\" = 'member_id'"),
                     1);

    /* The member functions on the migrated tables. */
    assert_int_equal(coord_store_member(s, "M2", true, &m), 0);
    assert_string_equal(m->name, "Second Unit again");
    assert_int_equal(m->status, MS(APPLIED));
    assert_int_equal(m->applied_at, 300);
    assert_string_equal(m->contact_email, "zm@example.cn");
    assert_null(m->reason);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    assert_int_equal(coord_store_history_count(s, "M2"), 3);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(coord_store_member_change(s, "M3", MS(APPLIED),
                                               MS(ADMITTED), NULL, 400,
                                               "req:t:d"),
                     0);
    assert_int_equal(coord_store_member_change(s, "M3", MS(APPLIED),
                                               MS(ADMITTED), NULL, 401,
                                               "req:t:e"),
                     -EEXIST);
    assert_int_equal(coord_store_member_change(s, "NOPE", MS(APPLIED),
                                               MS(ADMITTED), NULL, 402,
                                               "req:t:f"),
                     -ENOENT);
    apply(s, "M4", "Fourth Unit", MS(UNSPECIFIED), 410);
    /* The foreign key still holds. */
    sqlite3_stmt *q = store_stmt(
        s, "INSERT INTO member_history(member_id, from_status, to_status, at,"
           " causation_id) VALUES ('NOPE', 0, 1, 1, 'x')");
    assert_non_null(q);
    assert_int_equal(store_exec(q), -EEXIST);
    assert_int_equal(store_commit(s), 0);
    /* History ids go on after the kept ones. */
    got = rows_text(s, "SELECT member_id, to_status FROM member_history "
                       "WHERE id > 6 ORDER BY id");
    assert_string_equal(got, "M3|2\nM4|1\n");
    free(got);
    assert_int_equal(unit_q_int(s, "SELECT max(id) FROM member_history"), 8);
    Cogov__V1__MemberList *l = NULL;
    assert_int_equal(coord_store_members(s, MS(ADMITTED), 0, &l), 0);
    assert_int_equal(l->n_members, 2);
    assert_string_equal(l->members[0]->member_id, "M1");
    assert_string_equal(l->members[1]->member_id, "M3");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    quick_check_ok(s);
    store_destroy(&s);
    free(members);
    free(history);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replies_upgrade, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_coordination_members, tmp_setup,
                                        tmp_teardown),
    };
    log_init("test_store_migrate");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
