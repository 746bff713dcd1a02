/* it_causal: causal order across two producers through real processes
 * (DESIGN 2.3). The probe (tests/probe, posing as "supervision") follows
 * coordination and secretariat. With coordination down it can read the
 * secretariat's stream but must hold every event whose `after` stamp names
 * a coordination position it has not applied; when coordination comes back
 * it applies both streams, releasing each held event as soon as its stamp
 * is reached, each event exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define WAIT_MS 30000

/* ---- the probe as a third process ---------------------------------------- */

typedef struct probe {
    char conf[96];
    char log[96];
    char store[96];
    char endpoint[128];
    char pub[KEY_Z85_LEN + 1];
    pid_t pid;
} probe_t;

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Its config: the cluster's keys, allow-list and endpoints, its own store,
 * and batches of at most fetch_max events so that it interleaves the two
 * streams finely. */
static int
probe_init(cluster_t *c, probe_t *p, int fetch_max)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->conf, sizeof(p->conf), "%s/probe.conf", c->dir);
    snprintf(p->log, sizeof(p->log), "%s/probe.log", c->dir);
    snprintf(p->store, sizeof(p->store), "%s/probe.db", c->dir);
    snprintf(p->endpoint, sizeof(p->endpoint), "ipc://%s/su.sock", c->dir);
    int rc = keys_load_public(c->keys_dir, "supervision", p->pub);
    if (rc != 0)
        return rc;
    FILE *f = fopen(p->conf, "w");
    if (f == NULL)
        return -errno;
    fprintf(
        f,
        "# probe config\nstore = %s\nkeys_dir = %s\nallow_list = %s\n"
        "log_level = debug\ncoordination_endpoint = %s\n"
        "secretariat_endpoint = %s\nincentives_endpoint = ipc://%s/in.sock\n"
        "supervision_endpoint = %s\nfetch_wait_ms = 500\n"
        "fetch_max_events = %d\nstats_interval_s = 5\n",
        p->store, c->keys_dir, c->allow, c->endpoint[H_COORD],
        c->endpoint[H_SECR], c->dir, p->endpoint, fetch_max);
    return fclose(f) == 0 ? 0 : -EIO;
}

/* GetStatus of the probe; NULL on no answer. Free the reply. */
static Cogov__V1__Reply *
probe_status(cluster_t *c, probe_t *p, int total_ms)
{
    char err[256];
    client_t *cl =
        client_new(c->zctx, p->endpoint, &c->op, p->pub, err, sizeof(err));
    if (cl == NULL)
        return NULL;
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    Cogov__V1__Reply *rep =
        client_call(cl, &req, total_ms < 1000 ? total_ms : 1000, total_ms, err,
                    sizeof(err));
    client_destroy(&cl);
    if (rep != NULL &&
        (rep->code != OK || rep->body_case != COGOV__V1__REPLY__BODY_STATUS)) {
        cogov__v1__reply__free_unpacked(rep, NULL);
        rep = NULL;
    }
    return rep;
}

static int
probe_start(cluster_t *c, probe_t *p)
{
    const char *bin = getenv("COGOV_PROBE");
    if (bin == NULL) {
        fprintf(stderr, "COGOV_PROBE is not set\n");
        return -EINVAL;
    }
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "-c", p->conf, (char *)NULL);
        _exit(127);
    }
    p->pid = pid;
    int64_t deadline = now_mono_ms() + 20000;
    while (now_mono_ms() < deadline) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            p->pid = 0;
            fprintf(stderr, "probe exited at start (status %d); see %s\n", st,
                    p->log);
            return -ECHILD;
        }
        Cogov__V1__Reply *rep = probe_status(c, p, 300);
        if (rep != NULL) {
            cogov__v1__reply__free_unpacked(rep, NULL);
            return 0;
        }
    }
    fprintf(stderr, "probe did not answer within 20 s; see %s\n", p->log);
    return -ETIMEDOUT;
}

/* SIGTERM, bounded wait; the exit status, -1 on timeout or signal death. */
static int
probe_stop(probe_t *p)
{
    if (p->pid <= 0)
        return 0;
    kill(p->pid, SIGTERM);
    int64_t deadline = now_mono_ms() + 20000;
    int st = 0;
    while (now_mono_ms() < deadline) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
    return -1;
}

static const Cogov__V1__CursorStatus *
cursor_of(const Cogov__V1__ServiceStatus *st, const char *producer)
{
    for (size_t i = 0; i < st->n_cursors; i++)
        if (strcmp(st->cursors[i]->producer, producer) == 0)
            return st->cursors[i];
    return NULL;
}

/* ---- driving coordination ------------------------------------------------ */

static int
call_code(cluster_t *c, int which, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep = cluster_call(c, which, req, 10000);
    assert_non_null(rep);
    int code = rep->code;
    if (code != OK)
        printf("# %s: code %d: %s\n", h_names[which], code, rep->error);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

static int
found(cluster_t *c)
{
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新技术产业开发区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-01-10";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    return call_code(c, H_COORD, &req);
}

static int
apply(cluster_t *c, const char *uscc, const char *name)
{
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = (char *)uscc;
    am.name = (char *)name;
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am.has_type = 1;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    return call_code(c, H_COORD, &req);
}

static int
admit(cluster_t *c, const char *id)
{
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = (char *)id;
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
    dm.has_decision = 1;
    dm.reason = "理事会决定";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    return call_code(c, H_COORD, &req);
}

/* The coordination position each secretariat event's stamp names, by seq
 * (index 0 unused), read from the secretariat's outbox. */
static uint64_t *
secretariat_stamps(cluster_t *c, uint64_t head)
{
    uint64_t *k = xcalloc(head + 1, sizeof(*k));
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(
        sqlite3_open_v2(c->store[H_SECR], &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT seq, event FROM outbox "
                                        "ORDER BY seq",
                                        -1, &q, NULL),
                     SQLITE_OK);
    uint64_t rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(q, 0);
        Cogov__V1__Event *ev =
            cogov__v1__event__unpack(NULL, (size_t)sqlite3_column_bytes(q, 1),
                                     sqlite3_column_blob(q, 1));
        assert_non_null(ev);
        assert_true(seq >= 1 && seq <= head);
        for (size_t i = 0; i < ev->n_after; i++)
            if (ev->after[i]->producer != NULL &&
                strcmp(ev->after[i]->producer, "coordination") == 0)
                k[seq] = ev->after[i]->seq;
        cogov__v1__event__free_unpacked(ev, NULL);
        rows++;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_int_equal(rows, head);
    return k;
}

static long long
q_int(const char *path, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return store_query_int(path, sql);
}

/* ---- the test ------------------------------------------------------------ */

static void
test_hold_and_release(void **state)
{
    (void)state;
    unsigned seed = test_seed();
    srand(seed);
    int n_units = 16 + rand() % 9;  /* 16..24 */
    int fetch_max = 1 + rand() % 3; /* 1..3 events per probe batch */
    printf("# units %d, probe fetch_max_events %d\n", n_units, fetch_max);

    cluster_t c;
    probe_t p;
    assert_int_equal(cluster_init(&c, "causal"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    assert_int_equal(found(&c), OK);

    /* Applications and admissions in a seeded interleaving: an admission
     * may come right after its application or much later. */
    char(*ids)[19] = xcalloc((size_t)n_units, sizeof(*ids));
    int applied = 0, admitted = 0;
    while (admitted < n_units) {
        if (applied < n_units && (applied == admitted || rand() % 2 == 0)) {
            char name[64];
            uscc_make(5000u + (unsigned)applied, ids[applied]);
            snprintf(name, sizeof(name), "滨江第%d精密制造有限公司",
                     applied + 1);
            assert_int_equal(apply(&c, ids[applied], name), OK);
            applied++;
        } else {
            assert_int_equal(admit(&c, ids[admitted]), OK);
            admitted++;
        }
    }
    assert_int_equal(cluster_sync(&c, WAIT_MS), 0);

    long long head_c = q_int(c.store[H_COORD], "SELECT max(seq) FROM outbox");
    long long head_s = q_int(c.store[H_SECR], "SELECT max(seq) FROM outbox");
    printf("# heads: coordination %lld, secretariat %lld\n", head_c, head_s);
    assert_true(head_c >= 1 + 2 * n_units);
    assert_int_equal(head_s, n_units); /* one welcome per admission */
    uint64_t *stamp = secretariat_stamps(&c, (uint64_t)head_s);
    uint64_t first_stamped = 0; /* first secretariat seq naming coord:k>0 */
    for (long long s = 1; s <= head_s; s++)
        if (stamp[s] > 0) {
            first_stamped = (uint64_t)s;
            break;
        }
    assert_true(first_stamped >= 1);
    printf(
        "# first stamped secretariat event: seq %llu after coordination:%llu\n",
        (unsigned long long)first_stamped,
        (unsigned long long)stamp[first_stamped]);

    /* Coordination goes away; the probe starts and can read only the
     * secretariat's stream. */
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_int_equal(probe_init(&c, &p, fetch_max), 0);
    assert_int_equal(probe_start(&c, &p), 0);

    /* Bounded wait until the secretariat stream is held. */
    bool held = false;
    int64_t deadline = now_mono_ms() + WAIT_MS;
    while (!held && now_mono_ms() < deadline) {
        Cogov__V1__Reply *rep = probe_status(&c, &p, 2000);
        if (rep != NULL) {
            const Cogov__V1__CursorStatus *cs =
                cursor_of(rep->status, "secretariat");
            assert_non_null(cs);
            held = cs->held > 0;
            cogov__v1__reply__free_unpacked(rep, NULL);
        }
        if (!held)
            sleep_ms(20);
    }
    assert_true(held);
    /* And it stays held, across the probe's coordination fetch timing out
     * and reconnecting (1.25 s with fetch_wait_ms 500). */
    int64_t watch_until = now_mono_ms() + 2000;
    int looks = 0;
    while (now_mono_ms() < watch_until) {
        Cogov__V1__Reply *rep = probe_status(&c, &p, 2000);
        assert_non_null(rep);
        const Cogov__V1__CursorStatus *cs =
            cursor_of(rep->status, "secretariat");
        const Cogov__V1__CursorStatus *cc =
            cursor_of(rep->status, "coordination");
        assert_non_null(cs);
        assert_non_null(cc);
        if (looks++ == 0)
            printf("# held: secretariat applied %llu held %llu state '%s'; "
                   "coordination applied %llu state '%s'\n",
                   (unsigned long long)cs->applied_seq,
                   (unsigned long long)cs->held, cs->state,
                   (unsigned long long)cc->applied_seq, cc->state);
        assert_int_equal(cc->applied_seq, 0);
        assert_true(cs->applied_seq < first_stamped);
        assert_true(cs->held > 0);
        assert_non_null(strstr(cs->state, "holding"));
        cogov__v1__reply__free_unpacked(rep, NULL);
        sleep_ms(100);
    }
    assert_int_equal(q_int(p.store, "SELECT count(*) FROM applied WHERE "
                                    "producer='coordination'"),
                     0);
    assert_int_equal(q_int(p.store,
                           "SELECT count(*) FROM applied WHERE "
                           "producer='secretariat' AND "
                           "(seq >= %llu OR cursor_coordination < "
                           "after_coordination)",
                           (unsigned long long)first_stamped),
                     0);

    /* Coordination comes back: both streams reach their heads. */
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    bool caught_up = false;
    deadline = now_mono_ms() + WAIT_MS;
    while (!caught_up && now_mono_ms() < deadline) {
        Cogov__V1__Reply *rep = probe_status(&c, &p, 2000);
        if (rep != NULL) {
            const Cogov__V1__CursorStatus *cs =
                cursor_of(rep->status, "secretariat");
            const Cogov__V1__CursorStatus *cc =
                cursor_of(rep->status, "coordination");
            caught_up = cs != NULL && cc != NULL &&
                        cs->applied_seq == (uint64_t)head_s &&
                        cc->applied_seq == (uint64_t)head_c && cs->held == 0;
            cogov__v1__reply__free_unpacked(rep, NULL);
        }
        if (!caught_up)
            sleep_ms(20);
    }
    assert_true(caught_up);

    assert_int_equal(probe_stop(&p), 0);
    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);

    /* Causal order: no secretariat event was applied before the
     * coordination position its stamp names. */
    assert_int_equal(q_int(p.store, "SELECT count(*) FROM applied WHERE "
                                    "producer='secretariat' AND "
                                    "cursor_coordination < after_coordination"),
                     0);
    /* What the stamps are for (DESIGN 2.3): an event never reaches a
     * consumer before the event it reacts to. Every welcome is caused by an
     * admission ("coordination:k"); the probe must have applied k first.
     * This fails if a reaction's stamp leaves out the event being reacted
     * to (svc_emit stamping the cursor from before that event). */
    long long caused = q_int(p.store, "SELECT count(*) FROM applied WHERE "
                                      "producer='secretariat' AND "
                                      "causation_id LIKE 'coordination:%%'");
    assert_int_equal(caused, head_s);
    long long overtaken = q_int(
        p.store, "SELECT count(*) FROM applied WHERE producer='secretariat' "
                 "AND causation_id LIKE 'coordination:%%' AND "
                 "cursor_coordination < CAST(substr(causation_id, 14) AS "
                 "INTEGER)");
    if (overtaken != 0)
        printf("# %lld of %lld secretariat events were applied before the "
               "coordination event that caused them; their stamps name "
               "coordination:k-1 for a reaction to coordination:k\n",
               overtaken, caused);
    assert_int_equal(overtaken, 0);
    /* The stamps the probe saw are the ones the secretariat wrote. */
    for (long long s = 1; s <= head_s; s++)
        assert_int_equal(q_int(p.store,
                               "SELECT after_coordination FROM "
                               "applied WHERE producer='secretariat' "
                               "AND seq=%lld",
                               s),
                         (long long)stamp[s]);
    /* Each stream in its own order, every event exactly once. */
    static const char *const producers[] = {"coordination", "secretariat"};
    long long heads[] = {head_c, head_s};
    for (int i = 0; i < 2; i++) {
        const char *pr = producers[i];
        assert_int_equal(q_int(p.store,
                               "SELECT count(*) FROM applied WHERE "
                               "producer='%s'",
                               pr),
                         heads[i]);
        assert_int_equal(q_int(p.store,
                               "SELECT count(DISTINCT seq) FROM "
                               "applied WHERE producer='%s'",
                               pr),
                         heads[i]);
        assert_int_equal(q_int(p.store,
                               "SELECT max(seq) FROM applied WHERE "
                               "producer='%s'",
                               pr),
                         heads[i]);
        assert_int_equal(q_int(p.store,
                               "SELECT count(*) FROM applied WHERE "
                               "producer='%s' AND cursor_%s > seq - 1",
                               pr, pr),
                         0);
    }
    /* The stream that was not held was never blocked by the other: while
     * coordination caught up in small batches, held secretariat events were
     * released as soon as their stamps were reached, not at the end. */
    long long early = q_int(p.store,
                            "SELECT count(*) FROM applied WHERE "
                            "producer='secretariat' AND "
                            "cursor_coordination < %lld",
                            head_c);
    long long min_stamp =
        q_int(p.store, "SELECT min(after_coordination) FROM "
                       "applied WHERE producer='secretariat'");
    printf("# secretariat events released before coordination's head: %lld "
           "of %lld (first stamp coordination:%lld)\n",
           early, head_s, min_stamp);
    if (min_stamp + fetch_max <= head_c)
        assert_true(early > 0);

    free(stamp);
    free(ids);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_and_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
