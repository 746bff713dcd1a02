/* test_store_durable: what a reply waits for (store_visible_no) and a
 * commit made durable on the loop's thread (store_commit_sync).
 *
 * - A read after a relaxed commit (a consumer's batch that asked for no
 *   sync) must wait until a sync covers that commit: store_visible_no gives
 *   it a number, asks the checkpointer thread for it, and durable_no
 *   reaches it only once the thread has synced. Without a relaxed commit
 *   since the last counted one, nothing new is numbered or asked.
 * - store_commit_sync is durable when it returns, without the thread being
 *   asked (its notify is not called); a failed fdatasync there leaves the
 *   commit in place, durable_no where it was, and store_durable_poll
 *   reports -EIO from then on, as for a failed background sync.
 *
 * fdatasync is interposed (this executable's definition wins over libc's
 * for the store and for SQLite) so a failure can be injected. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "util.h"
#include "unit_tmp.h"

static char g_dir[64], g_db[128];
static atomic_bool g_fail_sync;
static atomic_int g_syncs; /* fdatasync calls */

int
fdatasync(int fd)
{
    atomic_fetch_add(&g_syncs, 1);
    if (atomic_load(&g_fail_sync)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

/* The checkpointer's notify: counted, and waited for with a condition
 * variable (bounded, so a missing notify fails the test). */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_notified;

static void
on_notify(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_mu);
    g_notified++;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static int
notified(void)
{
    pthread_mutex_lock(&g_mu);
    int n = g_notified;
    pthread_mutex_unlock(&g_mu);
    return n;
}

/* Poll until durable_no reaches `no`, woken by each notify; false after
 * 10 s without it. */
static bool
wait_durable(store_t *s, uint64_t no)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g_mu);
    for (;;) {
        int seen = g_notified;
        pthread_mutex_unlock(&g_mu);
        if (store_durable_poll(s) < 0)
            return false;
        if (store_durable_no(s) >= no)
            return true;
        pthread_mutex_lock(&g_mu);
        while (g_notified == seen)
            if (pthread_cond_timedwait(&g_cv, &g_mu, &until) == ETIMEDOUT) {
                pthread_mutex_unlock(&g_mu);
                return false;
            }
    }
}

static int
setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_store_durable.XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    snprintf(g_db, sizeof(g_db), "%s/d.db", g_dir);
    atomic_store(&g_fail_sync, false);
    pthread_mutex_lock(&g_mu);
    g_notified = 0;
    pthread_mutex_unlock(&g_mu);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    atomic_store(&g_fail_sync, false);
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
    store_on_durable(s, on_notify, NULL);
    return s;
}

static void
cursor_commit(store_t *s, uint64_t seq, bool relaxed)
{
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_cursor_set(s, "coordination", 7, seq), 0);
    assert_int_equal(relaxed ? store_commit_relaxed(s) : store_commit(s), 0);
}

/* A relaxed commit, then a read: the read's number covers the relaxed
 * commit and is not durable until the thread has synced it. */
static void
read_after_relaxed_waits_for_sync(void **state)
{
    (void)state;
    store_t *s = open_ok();
    cursor_commit(s, 1, false);
    assert_int_equal(store_sync(s), 0);
    uint64_t no = store_commit_no(s);
    assert_int_equal(store_durable_no(s), no);

    cursor_commit(s, 2, true);
    cursor_commit(s, 3, true);
    assert_int_equal(store_commit_no(s), no); /* relaxed: not counted */
    uint64_t need = store_visible_no(s);
    assert_int_equal(need, no + 1); /* both numbered at once */
    assert_int_equal(store_commit_no(s), no + 1);
    assert_int_equal(store_visible_no(s), need); /* asked once */
    /* Not released before a sync: durable_no moves only when the thread
     * reports one (the loop's copy changes at store_durable_poll). */
    assert_int_equal(store_durable_no(s), no);
    assert_true(wait_durable(s, need));
    assert_int_equal(store_durable_no(s), need);
    assert_int_equal(store_head(s), 0); /* no event: head unmoved */
    store_destroy(&s);
}

/* No relaxed commit since the last counted one: a read waits for nothing
 * more, and no sync is asked for it. */
static void
read_without_relaxed_asks_nothing(void **state)
{
    (void)state;
    store_t *s = open_ok();
    cursor_commit(s, 1, false);
    assert_int_equal(store_sync(s), 0);
    uint64_t no = store_commit_no(s);
    int syncs = atomic_load(&g_syncs);
    int notes = notified();
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_visible_no(s), no);
    assert_int_equal(store_commit_no(s), no);
    assert_int_equal(store_durable_no(s), no);
    /* store_sync with everything synced calls no fdatasync either. */
    assert_int_equal(store_sync(s), 0);
    assert_int_equal(atomic_load(&g_syncs), syncs);
    assert_int_equal(notified(), notes);

    /* A relaxed commit followed by a counted one: the counted one's sync
     * covers it, so the read asks for nothing of its own. */
    cursor_commit(s, 2, true);
    cursor_commit(s, 3, false);
    assert_int_equal(store_visible_no(s), no + 1);
    assert_int_equal(store_commit_no(s), no + 1);
    assert_true(wait_durable(s, no + 1));
    store_destroy(&s);
}

/* store_commit_sync: durable on return (relaxed commits before it too),
 * the event servable, the thread neither asked nor notified. */
static void
commit_sync_is_durable_at_once(void **state)
{
    (void)state;
    store_t *s = open_ok();
    cursor_commit(s, 1, true);
    int notes = notified();
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.type = "warning_issued";
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(store_begin(s), 0);
        assert_true(!store_tx_emitted(s));
        assert_int_equal(store_outbox_append(s, &ev), 0);
        assert_true(store_tx_emitted(s));
        int syncs = atomic_load(&g_syncs);
        assert_int_equal(store_commit_sync(s), 0);
        assert_int_equal(atomic_load(&g_syncs), syncs + 1);
        assert_int_equal(store_head(s), (uint64_t)i);
        assert_int_equal(store_durable_head(s), (uint64_t)i);
        assert_int_equal(store_durable_no(s), store_commit_no(s));
        assert_int_equal(store_visible_no(s), store_commit_no(s));
    }
    assert_int_equal(store_commit_no(s), 3);
    assert_int_equal(notified(), notes);
    /* Outside a transaction it fails like store_commit. */
    assert_int_equal(store_commit_sync(s), -EINVAL);
    store_destroy(&s);
}

/* A failed inline sync: the commit stays (it is in the WAL), nothing more
 * becomes durable, and every later poll or sync says -EIO. */
static void
commit_sync_failure_is_a_sync_failure(void **state)
{
    (void)state;
    store_t *s = open_ok();
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.type = "warning_issued";
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_outbox_append(s, &ev), 0);
    assert_int_equal(store_commit_sync(s), 0);
    uint64_t no = store_commit_no(s);
    assert_int_equal(store_durable_no(s), no);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_outbox_append(s, &ev), 0);
    atomic_store(&g_fail_sync, true);
    assert_int_equal(store_commit_sync(s), 0); /* committed */
    atomic_store(&g_fail_sync, false);
    assert_int_equal(store_head(s), 2);
    assert_int_equal(store_commit_no(s), no + 1);
    assert_int_equal(store_durable_poll(s), -EIO);
    assert_int_equal(store_durable_no(s), no); /* nothing released */
    assert_int_equal(store_durable_head(s), 1);
    /* A later sync must not "succeed": the data may be gone. */
    assert_int_equal(store_sync(s), -EIO);
    assert_int_equal(store_durable_poll(s), -EIO);
    assert_int_equal(store_durable_head(s), 1);
    store_destroy(&s);

    /* The commit happened: it is there after a reopen. */
    s = open_ok();
    assert_int_equal(store_head(s), 2);
    store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_after_relaxed_waits_for_sync,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(read_without_relaxed_asks_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(commit_sync_is_durable_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(commit_sync_failure_is_a_sync_failure,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
