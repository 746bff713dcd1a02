/* it_fault: exactly-once across crashes. While thousands of units are
 * applied and admitted in a steady stream, the secretariat and, separately,
 * the coordination daemon are killed with SIGKILL at seeded random moments
 * and restarted. Afterwards every admitted unit has exactly one welcome
 * notice (and one notice_published event), no unit that was not admitted has
 * one, every command was applied once, and both stores pass quick_check.
 *
 * COGOV_FAULT_UNITS overrides the number of units (default 2000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "util.h"

#define KILLS 8

typedef struct killer {
    cluster_t *c;
    unsigned seed;
    atomic_int arm;    /* -1 idle, else the daemon to kill */
    atomic_int killed; /* -1 none, else the daemon killed, awaiting restart */
    atomic_bool quit;
} killer_t;

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Kills land a random 0-40 ms after they are armed, so they fall inside
 * requests, commits and batches rather than between them. */
static void *
killer_main(void *arg)
{
    killer_t *k = arg;
    unsigned r = k->seed;
    while (!atomic_load(&k->quit)) {
        int which = atomic_load(&k->arm);
        if (which < 0) {
            nap_ms(1);
            continue;
        }
        nap_ms((int)(rand_r(&r) % 41));
        pid_t pid = k->c->pid[which];
        if (pid > 0)
            kill(pid, SIGKILL);
        atomic_store(&k->killed, which);
        atomic_store(&k->arm, -1);
    }
    return NULL;
}

/* Arm the kill points due by request n, one at a time: a kill waits until
 * the previous victim is back. Targets alternate. */
static void
arm_due(killer_t *k, const int *kill_at, int n, int *due, int *armed)
{
    for (int j = 0; j < KILLS; j++)
        if (kill_at[j] == n)
            (*due)++;
    if (*armed < *due && atomic_load(&k->arm) < 0 &&
        atomic_load(&k->killed) < 0)
        atomic_store(&k->arm, (*armed)++ % 2 == 0 ? H_SECR : H_COORD);
}

/* Reap and restart a killed daemon (main thread: children must be ours). */
static void
restart_if_killed(killer_t *k, int *restarts)
{
    int which = atomic_load(&k->killed);
    if (which < 0)
        return;
    pid_t pid = k->c->pid[which];
    if (pid > 0)
        waitpid(pid, NULL, 0);
    k->c->pid[which] = 0;
    assert_int_equal(cluster_start(k->c, which), 0);
    restarts[which]++;
    printf("# restarted %s\n", h_names[which]);
    atomic_store(&k->killed, -1);
}

/* Send until answered, restarting whatever the killer took down; the same
 * request id every time, so a command that committed before the kill is
 * answered from the stored reply and not applied again. */
static Cogov__V1__Reply *
call_through_faults(cluster_t *c, client_t **cl, killer_t *k,
                    Cogov__V1__Request *req, int *restarts)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        char err[256];
        Cogov__V1__Reply *rep =
            client_call(*cl, req, 500, 1500, err, sizeof(err));
        restart_if_killed(k, restarts);
        if (rep != NULL)
            return rep;
    }
    (void)c;
    return NULL;
}

static void
test_kill9_exactly_once(void **state)
{
    (void)state;
    unsigned seed = test_seed();
    unsigned r = seed;
    const char *env = getenv("COGOV_FAULT_UNITS");
    int units = env != NULL ? atoi(env) : 2000;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "fault"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);

    /* Kill points: request indices, alternating targets. */
    int total_requests = 2 * units;
    int kill_at[KILLS];
    for (int i = 0; i < KILLS; i++)
        kill_at[i] = (int)(rand_r(&r) % (unsigned)total_requests);
    killer_t k = {.c = &c, .seed = rand_r(&r)};
    atomic_init(&k.arm, -1);
    atomic_init(&k.killed, -1);
    atomic_init(&k.quit, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, killer_main, &k), 0);

    client_t *cl = cluster_client(&c, H_COORD);
    assert_non_null(cl);
    int restarts[H_N] = {0, 0};

    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新技术产业开发区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-01-10";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.request_id = "found";
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    Cogov__V1__Reply *rep = call_through_faults(&c, &cl, &k, &req, restarts);
    assert_non_null(rep);
    assert_int_equal(rep->code, COGOV__V1__STATUS_CODE__STATUS_OK);
    cogov__v1__reply__free_unpacked(rep, NULL);

    bool *admitted = xcalloc((size_t)units, sizeof(bool));
    int n_admitted = 0, n = 0, kills_due = 0, kills_armed = 0;
    for (int i = 0; i < units; i++) {
        char uscc[19], name[64], rid[32];
        uscc_make((unsigned)i + 1, uscc);
        snprintf(name, sizeof(name), "滨江第%d精密制造有限公司", i + 1);
        Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
        am.uscc = uscc;
        am.name = name;
        am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
        am.has_type = 1;
        am.contact_name = "王经理";
        Cogov__V1__Request ra = COGOV__V1__REQUEST__INIT;
        snprintf(rid, sizeof(rid), "apply-%d", i);
        ra.request_id = rid;
        ra.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
        ra.apply_member = &am;
        arm_due(&k, kill_at, n++, &kills_due, &kills_armed);
        rep = call_through_faults(&c, &cl, &k, &ra, restarts);
        assert_non_null(rep);
        if (rep->code != COGOV__V1__STATUS_CODE__STATUS_OK)
            fail_msg("apply %d: code %d: %s", i, rep->code, rep->error);
        cogov__v1__reply__free_unpacked(rep, NULL);

        /* One in ten is rejected: it must get no welcome notice. */
        bool admit = rand_r(&r) % 10 != 0;
        Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
        dm.member_id = uscc;
        dm.decision = admit
                          ? COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT
                          : COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REJECT;
        dm.has_decision = 1;
        dm.reason = admit ? "符合条件" : "材料不全";
        Cogov__V1__Request rd = COGOV__V1__REQUEST__INIT;
        snprintf(rid, sizeof(rid), "decide-%d", i);
        rd.request_id = rid;
        rd.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
        rd.decide_member = &dm;
        arm_due(&k, kill_at, n++, &kills_due, &kills_armed);
        rep = call_through_faults(&c, &cl, &k, &rd, restarts);
        assert_non_null(rep);
        if (rep->code != COGOV__V1__STATUS_CODE__STATUS_OK)
            fail_msg("decide %d: code %d: %s", i, rep->code, rep->error);
        cogov__v1__reply__free_unpacked(rep, NULL);
        admitted[i] = admit;
        n_admitted += admit;
    }
    /* Kill points that fell too close together are carried out now, while
     * the secretariat may still be catching up. */
    while (kills_armed < KILLS) {
        for (int w = 0; w < 5000 && atomic_load(&k.arm) >= 0; w++)
            nap_ms(1);
        restart_if_killed(&k, restarts);
        arm_due(&k, kill_at, -1, &kills_due, &kills_armed);
        kills_due = KILLS;
    }
    for (int w = 0; w < 5000 && atomic_load(&k.arm) >= 0; w++)
        nap_ms(1);
    atomic_store(&k.quit, true);
    pthread_join(th, NULL);
    restart_if_killed(&k, restarts);
    client_destroy(&cl);
    printf("# units %d admitted %d restarts: coordination %d, secretariat "
           "%d\n",
           units, n_admitted, restarts[H_COORD], restarts[H_SECR]);
    assert_true(restarts[H_COORD] + restarts[H_SECR] == KILLS);

    assert_int_equal(cluster_sync(&c, 120000), 0);

    /* Every admitted unit has exactly one welcome notice, nobody else has
     * one. */
    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.kind = COGOV__V1__NOTICE_KIND__NOTICE_KIND_WELCOME;
    ln.has_kind = 1;
    Cogov__V1__Request rl = COGOV__V1__REQUEST__INIT;
    rl.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    rl.list_notices = &ln;
    rep = cluster_call(&c, H_SECR, &rl, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, COGOV__V1__STATUS_CODE__STATUS_OK);
    assert_non_null(rep->notice_list);
    int *welcomes = xcalloc((size_t)units, sizeof(int));
    for (size_t i = 0; i < rep->notice_list->n_notices; i++) {
        Cogov__V1__Notice *no = rep->notice_list->notices[i];
        assert_int_equal(no->n_addressees, 1);
        int found = -1;
        for (int u = 0; u < units && found < 0; u++) {
            char uscc[19];
            uscc_make((unsigned)u + 1, uscc);
            if (strcmp(uscc, no->addressees[0]) == 0)
                found = u;
        }
        assert_true(found >= 0);
        welcomes[found]++;
    }
    int wrong = 0;
    for (int u = 0; u < units; u++)
        if (welcomes[u] != (admitted[u] ? 1 : 0)) {
            if (wrong++ < 10)
                printf("# unit %d admitted=%d welcomes=%d\n", u, admitted[u],
                       welcomes[u]);
        }
    assert_int_equal(wrong, 0);
    assert_int_equal(rep->notice_list->n_notices, (size_t)n_admitted);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* Graceful stop, then the stores themselves. */
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_int_equal(store_query_int(c.store[H_SECR], "PRAGMA quick_check"), 1);
    assert_int_equal(store_query_int(c.store[H_COORD], "PRAGMA quick_check"),
                     1);
    /* Each welcome was published as an event exactly once. */
    assert_int_equal(store_query_int(c.store[H_SECR],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type = 'notice_published'"),
                     n_admitted);
    /* Each command was applied once, retries notwithstanding. */
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type = 'member_applied'"),
                     units);
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type = 'member_admitted'"),
                     n_admitted);
    /* The outbox is gapless. */
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT max(seq) - count(*) FROM outbox"),
                     0);
    assert_int_equal(store_query_int(c.store[H_SECR],
                                     "SELECT max(seq) - count(*) FROM outbox"),
                     0);
    free(welcomes);
    free(admitted);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_exactly_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
