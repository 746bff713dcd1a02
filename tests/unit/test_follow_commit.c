/* test_follow_commit: the commit a consumer's batch ends with
 * (store_commit_relaxed, used by follow.c): a batch that appended no
 * outbox row asks for no WAL sync and holds back no reply, yet is
 * committed (visible, kept across a reopen); a batch that appended
 * events is made durable as every other commit. */
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
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "util.h"
#include "unit_tmp.h"

static char g_dir[64], g_db[128];

static int
setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_follow_commit.XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    snprintf(g_db, sizeof(g_db), "%s/c.db", g_dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unit_rm_tree(g_dir);
    return 0;
}

static store_t *
open_ok(void)
{
    char err[256] = "";
    store_t *s = store_open(g_db, "supervision", NULL, 0, err, sizeof(err));
    if (s == NULL)
        fail_msg("store_open(%s): %s", g_db, err);
    return s;
}

static void
relaxed_without_events_asks_no_sync(void **state)
{
    (void)state;
    store_t *s = open_ok();
    uint64_t epoch = 0, applied = 0;

    /* A file store syncs in the background: a plain commit counts. */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_cursor_set(s, "coordination", 7, 1), 0);
    assert_int_equal(store_commit(s), 0);
    uint64_t no = store_commit_no(s);
    assert_true(no >= 1);
    assert_int_equal(store_sync(s), 0);
    assert_int_equal(store_durable_no(s), no);

    /* A consumer's batch with no events of its own: committed, not
     * counted, so nothing (no reply, no Fetch) waits for its sync. */
    for (uint64_t seq = 2; seq <= 5; seq++) {
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_cursor_set(s, "coordination", 7, seq), 0);
        assert_int_equal(store_commit_relaxed(s), 0);
        assert_false(store_in_tx(s));
        assert_int_equal(store_commit_no(s), no);
        assert_int_equal(store_durable_no(s), no);
    }
    assert_int_equal(store_cursor_get(s, "coordination", &epoch, &applied), 0);
    assert_int_equal(applied, 5);
    assert_int_equal(store_head(s), 0);

    /* A batch whose reaction emitted: counted and synced like any commit,
     * and its event is served only once durable. */
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.type = "notice_published";
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_cursor_set(s, "coordination", 7, 6), 0);
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_int_equal(store_commit_relaxed(s), 0);
    assert_int_equal(store_head(s), 1);
    assert_int_equal(store_commit_no(s), no + 1);
    assert_int_equal(store_sync(s), 0);
    assert_int_equal(store_durable_no(s), no + 1);
    assert_int_equal(store_durable_head(s), 1);
    store_destroy(&s);

    /* Everything committed is there after a reopen. */
    s = open_ok();
    assert_int_equal(store_cursor_get(s, "coordination", &epoch, &applied), 0);
    assert_int_equal(epoch, 7);
    assert_int_equal(applied, 6);
    assert_int_equal(store_head(s), 1);
    store_destroy(&s);
}

/* Outside a transaction it fails like store_commit, and a rolled-back
 * relaxed batch leaves nothing. */
static void
relaxed_misuse_and_rollback(void **state)
{
    (void)state;
    store_t *s = open_ok();
    uint64_t epoch = 0, applied = 0;

    assert_int_equal(store_commit_relaxed(s), -EINVAL);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_cursor_set(s, "secretariat", 3, 9), 0);
    store_rollback(s);
    assert_int_equal(store_cursor_get(s, "secretariat", &epoch, &applied), 0);
    assert_int_equal(applied, 0);
    store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(relaxed_without_events_asks_no_sync,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(relaxed_misuse_and_rollback, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
