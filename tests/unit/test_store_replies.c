/* test_store_replies: store_reply_get answers from the keys the store
 * keeps in memory; it must find every stored reply SQLite holds (a miss
 * would apply a retry twice), across commits, rollbacks, savepoints,
 * expiry and reopening. Checked against SQLite itself after every step of a
 * seeded random run (seed printed; COGOV_TEST_SEED repeats one). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "unit_tmp.h"
#include "util.h"

#define N_PRINCIPALS 3
#define N_IDS 40

static store_t *
open_store(const char *path)
{
    char err[256] = "";
    store_t *s = store_open(path, "t", NULL, 0, err, sizeof(err));

    if (s == NULL)
        fail_msg("store_open %s: %s", path, err);
    return s;
}

/* What SQLite holds for the key: its body_hash, or -ENOENT. */
static int64_t
truth(store_t *s, const char *principal, const char *request_id)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -ENOENT;

    assert_int_equal(sqlite3_prepare_v2(store_db(s),
                                        "SELECT body_hash FROM replies WHERE "
                                        "principal = ?1 AND request_id = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, request_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void
key_of(unsigned k, char *principal, char *request_id)
{
    sprintf(principal, "p%u", k % N_PRINCIPALS);
    sprintf(request_id, "r%u", k / N_PRINCIPALS);
}

static void
check_all(store_t *s, unsigned seed, int step)
{
    char p[16], r[16];

    for (unsigned k = 0; k < N_PRINCIPALS * N_IDS; k++) {
        key_of(k, p, r);
        int64_t want = truth(s, p, r), have = unit_reply_hash(s, p, r);
        if (want != have)
            fail_msg("seed %u step %d: %s/%s stored %" PRId64 ", "
                     "store_reply_get %" PRId64,
                     seed, step, p, r, want, have);
    }
}

/* Random puts, expiries, commits, rollbacks, savepoints and reopenings
 * (with the default generation size: one generation). */
static void
test_replies_match_sqlite(void **state)
{
    struct tmp *t = *state;
    const char *env = getenv("COGOV_TEST_SEED");
    unsigned seed =
        env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
    store_t *s = open_store(t->db);
    int64_t clock = 1000;
    char p[16], r[16];

    printf("test_replies_match_sqlite: seed %u\n", seed);
    srand(seed);
    for (int step = 0; step < 1200; step++) {
        int op = rand() % 100;
        bool tx = store_in_tx(s);

        clock += rand() % 10 == 0 ? -(rand() % 50) : rand() % 20;
        if (op < 45) {
            key_of((unsigned)rand() % (N_PRINCIPALS * N_IDS), p, r);
            int rc = store_reply_put(s, p, r, (uint64_t)rand(), NULL, 0, clock);
            assert_true(rc == 0 || rc == -EEXIST);
        } else if (op < 55) {
            int n = store_reply_expire(s, clock - rand() % 400);
            assert_true(n >= 0);
        } else if (op < 65 && !tx) {
            assert_int_equal(store_begin(s), 0);
        } else if (op < 72 && tx) {
            assert_int_equal(store_commit(s), 0);
        } else if (op < 78 && tx) {
            store_rollback(s);
        } else if (op < 84 && tx && !store_in_savepoint(s)) {
            assert_int_equal(store_savepoint(s), 0);
        } else if (op < 89 && store_in_savepoint(s)) {
            store_rollback_to(s);
        } else if (op < 93 && store_in_savepoint(s)) {
            assert_int_equal(store_release(s), 0);
        } else if (op < 96 && !tx) {
            store_destroy(&s);
            s = open_store(t->db);
        }
        check_all(s, seed, step);
    }
    store_destroy(&s);
}

/* The same with 4 keys per generation: many generations, dropped as
 * expiries commit; a generation dropped too early would lose a key. */
static void
test_replies_match_sqlite_gens(void **state)
{
    size_t saved = store_rkey_gen_keys;
    store_rkey_gen_keys = 4;
    test_replies_match_sqlite(state);
    store_rkey_gen_keys = saved;
}

/* Memory follows the rows: 40 keys in 4-key generations take ten filters;
 * once all but the newest rows have expired, only the generations holding
 * them (and the one being filled) are left. */
static void
test_replies_keys_shrink(void **state)
{
    struct tmp *t = *state;
    size_t saved = store_rkey_gen_keys;
    store_rkey_gen_keys = 4;
    store_t *s = open_store(t->db);
    char p[16], r[16];

    assert_int_equal(store_reply_keys_bytes(s), 0);
    for (unsigned i = 0; i < 40; i++) {
        key_of(i, p, r);
        assert_int_equal(store_reply_put(s, p, r, i, NULL, 0, 1000 + i), 0);
    }
    size_t one = store_reply_keys_bytes(s) / 10;
    assert_true(one > 0);
    assert_int_equal(store_reply_keys_bytes(s), 10 * one);
    assert_int_equal(store_reply_expire(s, 1000 + 38), 38);
    assert_int_equal(store_reply_keys_bytes(s), one); /* rows 38, 39 */
    for (unsigned i = 0; i < 40; i++) {
        key_of(i, p, r);
        assert_int_equal(unit_reply_hash(s, p, r),
                         i < 38 ? -ENOENT : (int64_t)i);
    }
    store_destroy(&s);
    s = open_store(t->db); /* read back at open: the two rows left */
    assert_int_equal(store_reply_keys_bytes(s), one);
    store_destroy(&s);
    store_rkey_gen_keys = saved;
}

/* The cases the random run finds by chance, once each: an expiry rolled
 * back (whole or to a savepoint) keeps its rows findable, a committed one
 * drops them, and a reopened store finds what it stored before. */
static void
test_replies_expiry_rollback(void **state)
{
    struct tmp *t = *state;
    store_t *s = open_store(t->db);

    assert_int_equal(store_reply_put(s, "a", "r1", 1, NULL, 0, 1000), 0);
    assert_int_equal(store_reply_put(s, "a", "r2", 2, NULL, 0, 2000), 0);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_reply_expire(s, 1500), 1);
    store_rollback(s);
    assert_int_equal(unit_reply_hash(s, "a", "r1"), 1);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_savepoint(s), 0);
    assert_int_equal(store_reply_expire(s, 1500), 1);
    store_rollback_to(s);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(unit_reply_hash(s, "a", "r1"), 1);

    /* Put and rolled back: not found; put again later: found. */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_reply_put(s, "a", "r3", 3, NULL, 0, 3000), 0);
    store_rollback(s);
    assert_int_equal(unit_reply_hash(s, "a", "r3"), -ENOENT);
    assert_int_equal(store_reply_put(s, "a", "r3", 4, NULL, 0, 3000), 0);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_reply_expire(s, 1500), 1);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(unit_reply_hash(s, "a", "r1"), -ENOENT);
    assert_int_equal(unit_reply_hash(s, "a", "r2"), 2);

    store_destroy(&s);
    s = open_store(t->db);
    assert_int_equal(unit_reply_hash(s, "a", "r2"), 2);
    assert_int_equal(unit_reply_hash(s, "a", "r3"), 4);
    assert_int_equal(unit_reply_hash(s, "a", "r1"), -ENOENT);
    store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replies_match_sqlite, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_replies_match_sqlite_gens,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_replies_keys_shrink, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_replies_expiry_rollback, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
