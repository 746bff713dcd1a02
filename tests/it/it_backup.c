/* it_backup: backup and restore through the real daemons (DESIGN 2.7).
 *  - a pause refuses commands with a retryable "paused" UNAVAILABLE, keeps
 *    queries going and ends by itself when its time is up;
 *  - cogovctl backup of all four stores, changes after it, a full restore:
 *    everything consistent (cogovctl sync settles, no stream stopped), the
 *    changes after the backup gone, new work flows again;
 *  - one store restored alone: its consumers stop loudly on the new epoch
 *    until `cogovctl stream accept`, then follow it again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

static void
sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE

static char g_units[8][20];

/* Code of a request as the operator; err (may be NULL) gets the text. */
static int
call(cluster_t *c, int which, Cogov__V1__Request *req, char *err, size_t n)
{
    Cogov__V1__Reply *rep = cluster_call(c, which, req, 10000);
    assert_non_null(rep);
    int code = rep->code;
    if (err != NULL)
        str_copy(err, n, rep->error ? rep->error : "");
    cogov__v1__reply__free_unpacked(rep, NULL);
    req->request_id = req->correlation_id = NULL;
    return code;
}

static int
apply(cluster_t *c, int i, char *err, size_t n)
{
    static const char *const names[] = {
        "滨江职业技术学院",     "滨江智能装备有限公司", "滨江工业大学",
        "滨江精密机械有限公司", "滨江市技师学院",       "滨江机器人研究院"};
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = g_units[i];
    am.name = (char *)names[i % 6];
    am.has_type = 1;
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    return call(c, H_COORD, &req, err, n);
}

static void
admit(cluster_t *c, int i)
{
    assert_int_equal(apply(c, i, NULL, 0), OK);
    const char *argv[] = {"member", "admit", g_units[i], NULL};
    assert_int_equal(cluster_ctl(c, NULL, 0, argv), 0);
}

static void
start_world(cluster_t *c, const char *tag)
{
    for (unsigned i = 0; i < 8; i++)
        uscc_make(700 + i, g_units[i]);
    assert_int_equal(cluster_init(c, tag), 0);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_start(c, i), 0);
    assert_int_equal(cluster_ctl_conf_all(c, "operator"), 0);
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-01-01";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    assert_int_equal(call(c, H_COORD, &req, NULL, 0), OK);
}

static long long
count(cluster_t *c, int which, const char *sql)
{
    return store_query_int(c->store[which], sql);
}

typedef struct figures {
    long long members, notices, inc_members, supv_members;
} figures_t;

static figures_t
figures(cluster_t *c)
{
    figures_t f = {
        count(c, H_COORD, "SELECT count(*) FROM members"),
        count(c, H_SECR, "SELECT count(*) FROM notices"),
        count(c, H_INCE, "SELECT count(*) FROM members"),
        count(c, H_SUPV, "SELECT count(*) FROM members"),
    };
    printf("# members=%lld notices=%lld incentives.members=%lld "
           "supervision.members=%lld\n",
           f.members, f.notices, f.inc_members, f.supv_members);
    return f;
}

static bool
file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static void
test_pause_refuses_and_expires(void **state)
{
    (void)state;
    cluster_t c;
    start_world(&c, "pause");
    const char *pause[] = {"pause", "coordination", "--ttl", "1", NULL};
    char out[4096];
    assert_int_equal(cluster_ctl(&c, out, sizeof out, pause), 0);
    assert_non_null(strstr(out, "coordination paused"));
    char err[512];
    assert_int_equal(apply(&c, 0, err, sizeof err), UNAVAILABLE);
    printf("# while paused: %s\n", err);
    assert_non_null(strstr(err, "paused"));
    /* queries go on */
    const char *st[] = {"status", "coordination", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, st), 0);
    /* the pause ends by itself (1 s); bounded wait on the outcome */
    int64_t deadline = now_mono_ms() + 10000;
    int code;
    while ((code = apply(&c, 0, err, sizeof err)) == UNAVAILABLE &&
           now_mono_ms() < deadline)
        sleep_ms(50);
    assert_int_equal(code, OK);
    assert_true(file_has(c.log[H_COORD], "event=admin.pause_expired"));
    /* an explicit resume ends a long pause at once */
    const char *pause60[] = {"pause", "coordination", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, pause60), 0);
    assert_int_equal(apply(&c, 1, err, sizeof err), UNAVAILABLE);
    const char *resume[] = {"resume", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, resume), 0);
    assert_int_equal(apply(&c, 1, err, sizeof err), OK);
    /* a backup without a pause is refused by the daemon */
    char dir[160];
    snprintf(dir, sizeof dir, "%s/nopause", c.dir);
    Cogov__V1__Backup b = COGOV__V1__BACKUP__INIT;
    b.dir = dir;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_BACKUP;
    req.backup = &b;
    assert_int_equal(call(&c, H_COORD, &req, err, sizeof err),
                     COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    cluster_destroy(&c);
}

static void
test_full_restore(void **state)
{
    (void)state;
    cluster_t c;
    start_world(&c, "bkfull");
    for (int i = 0; i < 3; i++)
        admit(&c, i);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    char bk[128], out[8192];
    snprintf(bk, sizeof bk, "%s/bk", c.dir);
    const char *backup[] = {"backup", bk, NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, backup), 0);
    printf("%s", out);
    figures_t at_backup = figures(&c);
    assert_int_equal(at_backup.members, 3);
    assert_true(at_backup.notices >= 3); /* three welcomes */
    for (int i = 0; i < H_N; i++) {
        char p[192];
        snprintf(p, sizeof p, "%s/%s.db", bk, h_names[i]);
        struct stat sb;
        assert_int_equal(stat(p, &sb), 0);
    }
    char manifest[160];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", bk);
    assert_true(file_has(manifest, "coordination "));
    /* the daemons resumed: commands work again */
    admit(&c, 3);
    admit(&c, 4);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    figures_t later = figures(&c);
    assert_int_equal(later.members, 5);
    assert_true(later.notices > at_backup.notices);

    /* a restore refuses while a daemon runs */
    const char *restore[] = {"restore", bk, "--state-dir", c.dir, NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, restore), 5);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    assert_int_equal(cluster_ctl(&c, out, sizeof out, restore), 0);
    printf("%s", out);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_start(&c, i), 0);
    /* consistent: every cursor reaches its producer's head, none stops */
    assert_int_equal(cluster_sync(&c, 20000), 0);
    const char *st[] = {"status", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, st), 0);
    assert_null(strstr(out, "stopped"));
    figures_t restored = figures(&c);
    assert_memory_equal(&restored, &at_backup, sizeof restored);
    const char *show[] = {"member", "show", g_units[3], NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, show), 3);
    /* and work goes on from there: a new admission is welcomed */
    admit(&c, 5);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    figures_t after = figures(&c);
    assert_int_equal(after.members, at_backup.members + 1);
    assert_true(after.notices > at_backup.notices);
    assert_int_equal(after.inc_members, at_backup.inc_members + 1);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    cluster_destroy(&c);
}

/* Wait (bounded) until `cogovctl status` shows want (or stops showing it). */
static bool
status_shows(cluster_t *c, const char *want, bool present, char *out, size_t n)
{
    const char *st[] = {"status", NULL};
    int64_t deadline = now_mono_ms() + 20000;
    while (now_mono_ms() < deadline) {
        cluster_ctl(c, out, n, st);
        if ((strstr(out, want) != NULL) == present)
            return true;
        sleep_ms(100);
    }
    return false;
}

static void
test_single_restore_and_accept(void **state)
{
    (void)state;
    cluster_t c;
    start_world(&c, "bkone");
    for (int i = 0; i < 2; i++)
        admit(&c, i);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    char bk[128], out[8192];
    snprintf(bk, sizeof bk, "%s/bk", c.dir);
    const char *backup[] = {"backup", bk, NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, backup), 0);
    /* after the backup: an admission the consumers apply — the secretariat
     * welcomes unit 2 with a notice id derived from the admission's seq */
    long long head_at_backup =
        count(&c, H_COORD, "SELECT COALESCE(MAX(seq), 0) FROM outbox");
    admit(&c, 2);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    long long notices = count(&c, H_SECR, "SELECT count(*) FROM notices");
    long long applied_before = count(
        &c, H_SECR,
        "SELECT applied_seq FROM cursors WHERE producer = 'coordination'");
    char lost_welcome[64];
    snprintf(lost_welcome, sizeof lost_welcome, "welcome:coordination:%lld",
             applied_before);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notices WHERE notice_id = '%s'",
             lost_welcome);
    assert_int_equal(count(&c, H_SECR, sql), 1);
    printf("# backup at head %lld; the lost admission of unit 2 is seq %lld\n",
           head_at_backup, applied_before);

    /* coordination's store alone comes back from the backup */
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    const char *restore[] = {
        "restore", bk, "--state-dir", c.dir, "--only", "coordination", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, restore), 0);
    printf("%s", out);
    assert_non_null(strstr(out, "stream accept coordination"));
    /* the seqs the consumers applied from the lost part are held back */
    char known[96];
    snprintf(known, sizeof known,
             "highest seq of coordination known used: %lld", applied_before);
    assert_non_null(strstr(out, known));
    assert_int_equal(count(&c, H_COORD,
                           "SELECT count(*) FROM outbox WHERE type = "
                           "'seq_reserved'"),
                     applied_before - head_at_backup);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    /* its consumers stop loudly */
    assert_true(status_shows(&c, "stopped", true, out, sizeof out));
    printf("%s", out);
    int64_t deadline = now_mono_ms() + 20000;
    while (!file_has(c.log[H_SECR], "event=stream.epoch_changed") &&
           !file_has(c.log[H_SECR], "event=stream.head_backwards") &&
           now_mono_ms() < deadline)
        sleep_ms(50);
    assert_true(file_has(c.log[H_SECR], "event=stream.epoch_changed"));
    /* all three consumers of coordination say so in status */
    deadline = now_mono_ms() + 20000;
    int stopped = 0;
    while (stopped < 3 && now_mono_ms() < deadline) {
        const char *st[] = {"status", NULL};
        cluster_ctl(&c, out, sizeof out, st);
        stopped = 0;
        for (const char *p = out; (p = strstr(p, "stopped: epoch changed"));
             p++)
            stopped++;
        if (stopped < 3)
            sleep_ms(100);
    }
    assert_int_equal(stopped, 3);
    /* nothing flows while stopped: an admission is not welcomed */
    admit(&c, 3);
    /* the operator accepts the new epoch on every consumer */
    const char *accept[] = {"stream", "accept", "coordination", NULL};
    assert_int_equal(cluster_ctl(&c, out, sizeof out, accept), 0);
    printf("%s", out);
    assert_non_null(strstr(out, "secretariat: follows coordination"));
    assert_non_null(strstr(out, "incentives: follows coordination"));
    assert_non_null(strstr(out, "supervision: follows coordination"));
    assert_true(file_has(c.log[H_SECR], "event=stream.epoch_accepted"));
    /* accepting again finds nobody waiting */
    assert_int_equal(cluster_ctl(&c, out, sizeof out, accept), 0);
    assert_non_null(strstr(out, "no consumer"));
    /* the streams flow again: the admission made while stopped is
     * welcomed, and every cursor reaches the new head */
    assert_int_equal(cluster_sync(&c, 20000), 0);
    assert_true(status_shows(&c, "stopped", false, out, sizeof out));
    /* unit 3's admission, made in the new epoch, is numbered above every seq
     * the consumers applied in the old one: its welcome is not mistaken for
     * unit 2's (lost) one, which stays */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notices WHERE notice_id = '%s'",
             lost_welcome);
    assert_int_equal(count(&c, H_SECR, sql), 1);
    assert_true(count(&c, H_COORD,
                      "SELECT MIN(seq) FROM outbox WHERE type = "
                      "'member_admitted' AND seq > (SELECT MAX(seq) FROM "
                      "outbox WHERE type = 'seq_reserved')") > applied_before);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notice_addressees WHERE member_id = '%s'",
             g_units[3]);
    printf("# notices before %lld, now %lld\n", notices,
           count(&c, H_SECR, "SELECT count(*) FROM notices"));
    assert_int_equal(count(&c, H_SECR, sql), 1); /* its welcome */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM members WHERE member_id = '%s'", g_units[3]);
    assert_int_equal(count(&c, H_INCE, sql), 1);
    for (int i = 0; i < H_N; i++)
        assert_int_equal(cluster_stop(&c, i), 0);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_refuses_and_expires),
        cmocka_unit_test(test_full_restore),
        cmocka_unit_test(test_single_restore_and_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
