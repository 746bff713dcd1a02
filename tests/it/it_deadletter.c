/* it_deadletter: dead letters through real processes (DESIGN 2.3). The
 * probe (tests/probe) runs as "supervision" and follows coordination and
 * secretariat; COGOV_PROBE_FAIL makes its reaction to member_applied fail
 * after writing, the way a bug would:
 *  - a key collision (SQLite CONSTRAINT -> -EEXIST) is a dead letter: the
 *    stream moves on, nothing of the event stays, cogovctl lists it; a
 *    retry while the bug is still there keeps the row with the new error
 *    and one more attempt; after the fix (the probe restarted without the
 *    variable) a retry applies it exactly once and removes it, a second
 *    retry finds nothing; a discard keeps an audit row with the reason and
 *    applies nothing; retry --all takes the rest;
 *  - a transient failure (-EBUSY) is not: the stream waits, nothing is
 *    dead-lettered, and the event applies once the failure is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness_req.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define OUTSZ (1 << 16)
#define T0 1735747200 /* 2025-01-02 00:00 +08:00 */

static const char *const k_units[] = {"滨江职业技术学院",
                                      "滨江智能装备有限公司", "滨江工业大学"};

/* The probe as "supervision", failing as `fail` says (NULL: fixed). */
static void
probe_start(cluster_t *c, const char *fail)
{
    const char *bin = getenv("COGOV_PROBE");
    assert_non_null(bin);
    setenv("COGOV_SUPERVISION", bin, 1); /* the harness starts it */
    if (fail != NULL)
        setenv("COGOV_PROBE_FAIL", fail, 1);
    else
        unsetenv("COGOV_PROBE_FAIL");
    assert_int_equal(cluster_start(c, H_SUPV), 0);
}

static void
probe_restart(cluster_t *c, const char *fail)
{
    assert_int_equal(cluster_stop(c, H_SUPV), 0);
    probe_start(c, fail);
}

/* cogovctl knows coordination, secretariat and the probe. */
static void
ctl_conf(cluster_t *c)
{
    FILE *f = fopen(c->ctl_conf, "w");
    assert_non_null(f);
    fprintf(f,
            "coordination_endpoint = %s\nsecretariat_endpoint = %s\n"
            "incentives_endpoint =\nsupervision_endpoint = %s\n"
            "keys_dir = %s\nkey = operator\ntimeout_ms = 10000\n",
            c->endpoint[H_COORD], c->endpoint[H_SECR], c->endpoint[H_SUPV],
            c->keys_dir);
    assert_int_equal(fclose(f), 0);
}

static long long
applied(cluster_t *c, unsigned long long seq)
{
    return h_qint(c->store[H_SUPV],
                  "SELECT COUNT(*) FROM applied WHERE producer = "
                  "'coordination' AND seq = %llu",
                  seq);
}

static long long
dead(cluster_t *c)
{
    return h_qint(c->store[H_SUPV], "SELECT COUNT(*) FROM dead_letters");
}

/* Occurrences of needle in the file at path. */
static int
count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

/* Consortium founded and the units applied; the seqs of their
 * member_applied events in coordination's stream into seq[]. */
static void
apply_units(cluster_t *c, size_t n, unsigned base, unsigned long long *seq)
{
    client_t *op = cluster_client(c, H_COORD);
    assert_non_null(op);
    if (base == 0)
        assert_int_equal(h_found(op, "滨江高新区", "2025-01-01"), OK);
    for (size_t i = 0; i < n; i++) {
        char uscc[19];
        uscc_make(base + 700 + (unsigned)i, uscc);
        assert_int_equal(
            h_apply(op, uscc, k_units[i % 3],
                    COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY),
            OK);
        seq[i] = (unsigned long long)h_qint(
            c->store[H_COORD],
            "SELECT MAX(seq) FROM outbox WHERE type = 'member_applied'");
    }
    client_destroy(&op);
}

static void
test_collision_retry_discard(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "dlq"), 0);
    keypair_t observer;
    assert_int_equal(
        cluster_add_principal(&c, "observer", "-", "OBSERVER", "-", &observer),
        0);
    ctl_conf(&c);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    probe_start(&c, "member_applied:collide");
    h_watch(&c);

    unsigned long long s[3];
    apply_units(&c, 3, 0, s);
    /* A tick after them: the stream must get past the three. */
    h_advance_sync(&c, T0);
    long long head = h_qint(c.store[H_COORD], "SELECT MAX(seq) FROM outbox");
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT applied_seq FROM cursors WHERE "
                            "producer = 'coordination'"),
                     head);
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT COUNT(*) FROM applied WHERE type = "
                            "'calendar_tick'"),
                     1);
    assert_int_equal(dead(&c), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(applied(&c, s[i]), 0); /* no partial write */
    assert_int_equal(h_qint(c.store[H_SUPV], "SELECT COUNT(*) FROM claims"), 0);
    assert_int_equal(count_in_file(c.log[H_SUPV], "event=event.dead_letter"),
                     3);

    /* Listed, with the constraint that failed. */
    char *out = malloc(OUTSZ);
    assert_non_null(out);
    const char *list_json[] = {"--json", "deadletter", "list", "supervision",
                               NULL};
    assert_int_equal(h_ctl(&c, out, OUTSZ, list_json), 0);
    printf("# %s", out);
    for (int i = 0; i < 3; i++) {
        char want[48];
        snprintf(want, sizeof want, "\"seq\":%llu", s[i]);
        assert_non_null(strstr(out, want));
    }
    assert_non_null(strstr(out, "constraint violated (EEXIST)"));
    assert_non_null(strstr(out, "UNIQUE constraint failed: claims.key"));
    assert_non_null(strstr(out, "\"total\":3"));
    const char *list[] = {"deadletter", "list", NULL};
    assert_int_equal(h_ctl(&c, out, OUTSZ, list), 0);
    printf("%s", out);
    assert_int_equal(h_lines(out), 4); /* header + 3 */
    assert_non_null(strstr(out, "member_applied"));

    /* Only an OPERATOR may see or touch them. */
    Cogov__V1__ListDeadLetters lq = COGOV__V1__LIST_DEAD_LETTERS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_DEAD_LETTERS;
    req.list_dead_letters = &lq;
    assert_int_equal(h_code_as(&c, H_SUPV, &observer, &req),
                     COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED);
    Cogov__V1__DiscardDeadLetter dq = COGOV__V1__DISCARD_DEAD_LETTER__INIT;
    dq.producer = "coordination";
    dq.seq = s[0];
    dq.has_seq = 1;
    dq.reason = "not mine to decide";
    req.body_case = COGOV__V1__REQUEST__BODY_DISCARD_DEAD_LETTER;
    req.discard_dead_letter = &dq;
    assert_int_equal(h_code_as(&c, H_SUPV, &observer, &req),
                     COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED);
    assert_int_equal(dead(&c), 3);

    /* The bug changed, not fixed: the retry fails with the new error. */
    probe_restart(&c, "member_applied:reject");
    char seq0[24], seq1[24];
    snprintf(seq0, sizeof seq0, "%llu", s[0]);
    snprintf(seq1, sizeof seq1, "%llu", s[1]);
    const char *retry0[] = {"deadletter",   "retry", "supervision",
                            "coordination", seq0,    NULL};
    assert_int_equal(cluster_ctl(&c, out, OUTSZ, retry0), 5);
    assert_int_equal(dead(&c), 3);
    assert_int_equal(applied(&c, s[0]), 0);
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT retried FROM dead_letters WHERE seq = %llu "
                            "AND error = 'probe: told to refuse this event'",
                            s[0]),
                     1);

    /* Fixed: applied exactly once, the row gone; again: nothing to do. */
    probe_restart(&c, NULL);
    assert_int_equal(dead(&c), 3); /* nothing applies them by itself */
    assert_int_equal(h_ctl(&c, out, OUTSZ, retry0), 0);
    printf("%s", out);
    assert_non_null(strstr(out, "retried"));
    assert_int_equal(applied(&c, s[0]), 1);
    assert_int_equal(dead(&c), 2);
    assert_int_equal(count_in_file(c.log[H_SUPV], "event=dead_letter.retried"),
                     1);
    assert_int_equal(cluster_ctl(&c, out, OUTSZ, retry0), 3);
    assert_int_equal(applied(&c, s[0]), 1);

    /* Discarded: kept in the audit trail with who and why, not applied. */
    const char *discard_noreason[] = {"deadletter",   "discard", "supervision",
                                      "coordination", seq1,      NULL};
    assert_int_equal(cluster_ctl(&c, out, OUTSZ, discard_noreason), 1);
    const char *discard[] = {"deadletter",           "discard", "supervision",
                             "coordination",         seq1,      "--reason",
                             "重复申请，已人工核实", NULL};
    assert_int_equal(h_ctl(&c, out, OUTSZ, discard), 0);
    assert_int_equal(applied(&c, s[1]), 0);
    assert_int_equal(dead(&c), 1);
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT COUNT(*) FROM dead_letters_discarded WHERE "
                            "seq = %llu AND discarded_by = 'operator' AND "
                            "reason = '重复申请，已人工核实' AND "
                            "type = 'member_applied'",
                            s[1]),
                     1);
    assert_int_equal(
        count_in_file(c.log[H_SUPV], "event=dead_letter.discarded"), 1);
    const char *list_disc[] = {"deadletter", "list", "supervision",
                               "--discarded", NULL};
    assert_int_equal(h_ctl(&c, out, OUTSZ, list_disc), 0);
    printf("%s", out);
    assert_non_null(strstr(out, "重复申请，已人工核实"));
    const char *retry1[] = {"deadletter",   "retry", "supervision",
                            "coordination", seq1,    NULL};
    assert_int_equal(cluster_ctl(&c, out, OUTSZ, retry1), 3);
    assert_int_equal(applied(&c, s[1]), 0);

    /* The rest, all at once. */
    const char *retry_all[] = {"deadletter",   "retry", "supervision",
                               "coordination", "--all", NULL};
    assert_int_equal(h_ctl(&c, out, OUTSZ, retry_all), 0);
    assert_int_equal(applied(&c, s[2]), 1);
    assert_int_equal(dead(&c), 0);
    assert_int_equal(h_ctl(&c, out, OUTSZ, list), 0);
    assert_non_null(strstr(out, "no open dead letters"));
    assert_int_equal(cluster_ctl(&c, out, OUTSZ, retry_all), 3);

    /* Every event of the stream applied once, but the discarded one. */
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT COUNT(*) FROM applied WHERE producer = "
                            "'coordination'"),
                     head - 1);
    assert_int_equal(h_qint(c.store[H_SUPV],
                            "SELECT COUNT(*) FROM (SELECT seq FROM applied "
                            "GROUP BY producer, seq HAVING COUNT(*) > 1)"),
                     0);
    free(out);
    h_stop_all(&c);
    h_watch(NULL);
    cluster_destroy(&c);
}

static void
test_transient_waits(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "dlqbusy"), 0);
    ctl_conf(&c);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    probe_start(&c, "member_applied:busy");
    h_watch(&c);
    unsigned long long s[1];
    apply_units(&c, 1, 0, s);
    /* Bounded wait for the backoff to come round a few times. */
    int64_t deadline = now_mono_ms() + 20000;
    while (count_in_file(c.log[H_SUPV], "event=follow.retry") < 3 &&
           now_mono_ms() < deadline) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL); /* polling a file, not synchronizing */
    }
    assert_true(count_in_file(c.log[H_SUPV], "event=follow.retry") >= 3);
    assert_int_equal(dead(&c), 0);
    assert_int_equal(applied(&c, s[0]), 0);
    assert_true(h_qint(c.store[H_SUPV],
                       "SELECT COALESCE((SELECT applied_seq FROM cursors "
                       "WHERE producer = 'coordination'), 0)") <
                (long long)s[0]);
    probe_restart(&c, NULL);
    h_sync(&c, 20000);
    assert_int_equal(applied(&c, s[0]), 1);
    assert_int_equal(dead(&c), 0);
    h_stop_all(&c);
    h_watch(NULL);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collision_retry_discard),
        cmocka_unit_test(test_transient_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
