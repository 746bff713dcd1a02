/* test_deadletter: which reaction failures are dead letters and which are
 * transient (deadletter_transient, deadletter_describe), and the store's
 * dead-letter rows: listed, marked failed, removed, discarded into the
 * audit trail (in-memory SQLite). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deadletter.h"
#include "store.h"
#include "util.h"

static void
test_transient(void **state)
{
    (void)state;
    /* Busy, I/O, disk full, memory: retried with backoff. */
    static const int transient[] = {-EBUSY,  -EAGAIN, -EIO,    -ENOSPC,
                                    -ENOMEM, -EDQUOT, -EINTR,  -ETIMEDOUT,
                                    -EROFS,  -EACCES, -EMFILE, -ENFILE};
    for (size_t i = 0; i < ARRAY_LEN(transient); i++) {
        if (!deadletter_transient(transient[i]))
            fail_msg("%s should be transient", strerror(-transient[i]));
    }
    /* Deterministic: the same event fails the same way again. */
    static const int dead[] = {-EEXIST,  -ENOENT, -EINVAL,    -ERANGE,
                               -EPERM,   -EPROTO, -EOVERFLOW, -EDOM,
                               -ENOTSUP, -EBADMSG};
    for (size_t i = 0; i < ARRAY_LEN(dead); i++) {
        if (deadletter_transient(dead[i]))
            fail_msg("%s should be a dead letter", strerror(-dead[i]));
    }
}

static void
test_describe(void **state)
{
    (void)state;
    char buf[256];
    deadletter_describe(-EEXIST, "UNIQUE constraint failed: awards.id", buf,
                        sizeof buf);
    assert_string_equal(buf, "reaction failed: constraint violated (EEXIST): "
                             "UNIQUE constraint failed: awards.id");
    deadletter_describe(-ENOENT, NULL, buf, sizeof buf);
    assert_string_equal(buf, "reaction failed: unresolved reference (ENOENT)");
    deadletter_describe(-EBADMSG, "", buf, sizeof buf);
    assert_non_null(strstr(buf, "(errno 74)"));
    char small[16];
    deadletter_describe(-EINVAL, "long detail text", small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1); /* cut, terminated */
}

static store_t *
open_mem(void)
{
    char err[256];
    store_t *st =
        store_open(":memory:", "supervision", NULL, 0, err, sizeof err);
    if (st == NULL)
        fail_msg("store_open: %s", err);
    return st;
}

static void
add(store_t *st, const char *producer, uint64_t seq, const char *why)
{
    static const uint8_t ev[] = {0x08, 0x01};
    assert_int_equal(store_dead_letter_add(st, producer, seq, "member_applied",
                                           why, ev, sizeof ev),
                     0);
}

static void
test_store_rows(void **state)
{
    (void)state;
    store_t *st = open_mem();
    assert_int_equal(store_begin(st), 0);
    add(st, "coordination", 5, "e5");
    add(st, "secretariat", 2, "e2");
    add(st, "coordination", 9, "e9");
    assert_int_equal(store_commit(st), 0);

    store_dead_letter_t *v = NULL;
    size_t n = 0;
    assert_int_equal(store_dead_letter_list(st, NULL, 0, false, 100, &v, &n),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].seq, 5); /* oldest first */
    assert_string_equal(v[1].producer, "secretariat");
    assert_int_equal(v[2].len, 2);
    assert_int_equal(v[2].event[0], 0x08);
    assert_true(v[0].created_at > 0);
    int64_t id9 = v[2].id, id5 = v[0].id;
    store_dead_letter_free(v, n);
    assert_int_equal(
        store_dead_letter_list(st, "coordination", 0, false, 1, &v, &n), 0);
    assert_int_equal(n, 1); /* limit */
    store_dead_letter_free(v, n);
    assert_int_equal(
        store_dead_letter_list(st, "coordination", 9, false, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, id9);
    store_dead_letter_free(v, n);

    /* A retry failed again; then one applied; then one discarded. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_dead_letter_failed(st, id9, "again"), 0);
    assert_int_equal(store_dead_letter_failed(st, id9, "and again"), 0);
    assert_int_equal(store_dead_letter_remove(st, id5), 0);
    assert_int_equal(store_dead_letter_remove(st, id5), -ENOENT);
    assert_int_equal(store_dead_letter_failed(st, id5, "x"), -ENOENT);
    assert_int_equal(store_dead_letter_discard(st, id9, "operator", "人工核实"),
                     0);
    assert_int_equal(store_dead_letter_discard(st, id9, "operator", "again"),
                     -ENOENT);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_dead_letter_count(st), 1);
    assert_int_equal(store_dead_letter_discarded_count(st), 1);
    assert_int_equal(store_dead_letter_list(st, NULL, 0, true, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, id9);
    assert_int_equal(v[0].seq, 9);
    assert_int_equal(v[0].attempts, 2);
    assert_string_equal(v[0].error, "and again");
    assert_string_equal(v[0].discarded_by, "operator");
    assert_string_equal(v[0].reason, "人工核实");
    assert_true(v[0].discarded_at > 0);
    assert_int_equal(v[0].len, 2); /* the event is kept too */
    store_dead_letter_free(v, n);

    /* A rolled-back discard leaves the row where it was. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_savepoint(st), 0);
    assert_true(store_in_savepoint(st));
    assert_int_equal(
        store_dead_letter_list(st, "secretariat", 2, false, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_dead_letter_discard(st, v[0].id, "op", "r"), 0);
    store_dead_letter_free(v, n);
    store_rollback_to(st);
    assert_false(store_in_savepoint(st));
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_dead_letter_count(st), 1);
    assert_int_equal(store_dead_letter_discarded_count(st), 1);
    store_destroy(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transient),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_store_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
