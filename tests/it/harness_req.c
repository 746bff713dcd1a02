/* harness_req: calls and coordination commands shared by the integration
 * tests (see harness_req.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "harness_req.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define OK COGOV__V1__STATUS_CODE__STATUS_OK

static cluster_t *g_watched;

void
h_watch(cluster_t *c)
{
    g_watched = c;
}

/* False (and reaped, named) if daemon `which` has exited. */
static bool
still_runs(cluster_t *c, int which)
{
    int st = 0;
    pid_t pid = c->pid[which];
    if (pid <= 0 || waitpid(pid, &st, WNOHANG) != pid)
        return true;
    c->pid[which] = 0;
    printf("# %s died: %s %d; see %s\n", h_names[which],
           WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), c->log[which]);
    return false;
}

void
h_alive(cluster_t *c, int which)
{
    assert_true(still_runs(c, which));
    assert_true(c->pid[which] > 0);
}

Cogov__V1__Reply *
h_call(client_t *cl, Cogov__V1__Request *req)
{
    char err[256];
    if (g_watched != NULL)
        for (int i = 0; i < H_N; i++)
            assert_true(still_runs(g_watched, i));
    Cogov__V1__Reply *rep =
        client_call(cl, req, H_WAIT_MS, H_WAIT_MS, err, sizeof err);
    if (rep == NULL)
        printf("# no reply: %s\n", err);
    assert_non_null(rep);
    req->request_id = req->correlation_id = NULL;
    return rep;
}

Cogov__V1__Reply *
h_want(client_t *cl, Cogov__V1__Request *req, int want, const char *what)
{
    Cogov__V1__Reply *rep = h_call(cl, req);
    if ((int)rep->code != want)
        printf("# %s: code %d want %d: %s\n", what, rep->code, want,
               rep->error ? rep->error : "-");
    assert_int_equal(rep->code, want);
    return rep;
}

void
h_want_free(client_t *cl, Cogov__V1__Request *req, int want, const char *what)
{
    cogov__v1__reply__free_unpacked(h_want(cl, req, want, what), NULL);
}

/* The reply's code, printed (with `who`) when not OK; the reply freed. */
static int
code_of(Cogov__V1__Reply *rep, const char *who)
{
    int code = rep->code;
    if (code != OK)
        printf("#   %s -> code %d: %s\n", who, code,
               rep->error ? rep->error : "-");
    cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

int
h_code(client_t *cl, Cogov__V1__Request *req)
{
    return code_of(h_call(cl, req), "call");
}

Cogov__V1__Reply *
h_call_as(cluster_t *c, int which, const keypair_t *kp, Cogov__V1__Request *req)
{
    client_t *cl = cluster_client_as(c, which, kp);
    assert_non_null(cl);
    Cogov__V1__Reply *rep = h_call(cl, req);
    if (rep->code != OK)
        printf("#   %s -> code %d: %s\n", h_names[which], rep->code,
               rep->error ? rep->error : "-");
    client_destroy(&cl);
    return rep;
}

int
h_code_as(cluster_t *c, int which, const keypair_t *kp, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep = h_call_as(c, which, kp, req);
    int code = rep->code;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

void
h_stop_all(cluster_t *c)
{
    for (int i = 0; i < H_N; i++)
        if (c->pid[i] > 0)
            assert_int_equal(cluster_stop(c, i), 0);
}

void
h_conf_derive(cluster_t *c, int which, const char *dst, const char *const *set)
{
    FILE *in = fopen(c->conf[which], "r");
    FILE *out = fopen(dst, "w");
    size_t n = 0;
    char line[1024];

    assert_non_null(in);
    assert_non_null(out);
    while (set[2 * n] != NULL)
        n++;
    bool *done = xcalloc(n ? n : 1, sizeof *done);
    while (fgets(line, sizeof line, in) != NULL) {
        size_t i = 0;
        for (; i < n; i++) {
            size_t kl = strlen(set[2 * i]);
            if (strncmp(line, set[2 * i], kl) == 0 &&
                strncmp(line + kl, " =", 2) == 0)
                break;
        }
        if (i == n) {
            fputs(line, out);
            continue;
        }
        fprintf(out, "%s = %s\n", set[2 * i], set[2 * i + 1]);
        done[i] = true;
    }
    for (size_t i = 0; i < n; i++)
        if (!done[i])
            fprintf(out, "%s = %s\n", set[2 * i], set[2 * i + 1]);
    free(done);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

pid_t
h_spawn(const char *env, const char *conf, const char *log)
{
    const char *bin = getenv(env);
    assert_non_null(bin);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        /* a skipped event's reaction must write nothing (follow.c) */
        setenv("COGOV_VERIFY_SKIPS", "1", 0);
        execl(bin, bin, "-c", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

void
h_reap(pid_t pid, const char *log)
{
    int st = 0;
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("# pid %d: exit status 0x%x; see %s\n", (int)pid, st, log);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

void
h_sync(cluster_t *c, int ms)
{
    int rc = cluster_sync(c, ms);
    if (rc != 0)
        printf("# cluster_sync: %d\n", rc);
    assert_int_equal(rc, 0);
}

int
h_ctl(cluster_t *c, char *out, size_t outsz, const char *const *argv)
{
    if (out != NULL && outsz > 0)
        out[0] = 0;
    int rc = cluster_ctl(c, out, outsz, argv);
    if (rc != 0)
        printf("# cogovctl %s %s: exit %d\n%s", argv[0], argv[1] ? argv[1] : "",
               rc, out != NULL ? out : "");
    return rc;
}

long long
h_qint(const char *path, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return store_query_int(path, sql);
}

void
h_want_error(client_t *cl, Cogov__V1__Request *req, int code,
             const char *needle, const char *what)
{
    Cogov__V1__Reply *rep = h_call(cl, req);
    if ((int)rep->code != code ||
        (needle != NULL &&
         (rep->error == NULL || strstr(rep->error, needle) == NULL)))
        printf("# %s: code %d (want %d): %s\n", what, rep->code, code,
               rep->error ? rep->error : "-");
    assert_int_equal(rep->code, code);
    assert_false(str_empty(rep->error));
    if (needle != NULL)
        assert_non_null(strstr(rep->error, needle));
    cogov__v1__reply__free_unpacked(rep, NULL);
}

void
h_refused(client_t *cl, Cogov__V1__Request *req, int code, const char *needle,
          const char *what, const char *store)
{
    const char *head_sql = "SELECT coalesce(max(seq),0) FROM outbox";
    uint64_t before = store_hash(store, NULL);
    long long head = store_query_int(store, head_sql);
    assert_int_not_equal(before, 0);
    h_want_error(cl, req, code, needle, what);
    long long after = store_query_int(store, head_sql);
    if (after != head)
        printf("# %s changed the outbox (head %lld -> %lld)\n", what, head,
               after);
    assert_int_equal(after, head);
    assert_int_equal(store_hash(store, NULL), before);
}

char *
h_dump(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(q); i++) {
            const unsigned char *t = sqlite3_column_text(q, i);
            fprintf(out, "%s%s", i ? "|" : "", t ? (const char *)t : "");
        }
        fputc('\n', out);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    fclose(out);
    return text;
}

size_t
h_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- coordination ------------------------------------------------------- */

int
h_found(client_t *cl, const char *park, const char *on)
{
    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市智能制造市域产教联合体";
    fc.city = "滨江市";
    fc.park = (char *)park;
    fc.lead_department = "滨江市教育局";
    fc.founded_on = (char *)on;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(FOUND_CONSORTIUM);
    req.found_consortium = &fc;
    return h_code(cl, &req);
}

int
h_apply(client_t *cl, const char *uscc, const char *name,
        Cogov__V1__MemberType type)
{
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = (char *)uscc;
    am.name = (char *)name;
    am.has_type = true;
    am.type = type;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(APPLY_MEMBER);
    req.apply_member = &am;
    return h_code(cl, &req);
}

int
h_decide(client_t *cl, const char *id, Cogov__V1__MemberDecision d)
{
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = (char *)id;
    dm.has_decision = true;
    dm.decision = d;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DECIDE_MEMBER);
    req.decide_member = &dm;
    return h_code(cl, &req);
}

int
h_admit(client_t *cl, const char *uscc, const char *name,
        Cogov__V1__MemberType type)
{
    int code = h_apply(cl, uscc, name, type);
    if (code != OK)
        return code;
    return h_decide(cl, uscc,
                    COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
}

int
h_charter(client_t *cl)
{
    Cogov__V1__CharterRules rules = COGOV__V1__CHARTER_RULES__INIT;
    rules.has_quorum_permille = rules.has_pass_permille = true;
    rules.has_extraordinary_permille = true;
    rules.quorum_permille = 500;
    rules.pass_permille = 667;
    rules.extraordinary_permille = 200;
    Cogov__V1__AdoptCharter ad = COGOV__V1__ADOPT_CHARTER__INIT;
    ad.title = "联合体章程";
    ad.text = "第一条 ……";
    ad.rules = &rules;
    ad.effective_on = "2025-01-01";
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(ADOPT_CHARTER);
    req.adopt_charter = &ad;
    return h_code(cl, &req);
}

int
h_advance(client_t *cl, int64_t to)
{
    Cogov__V1__AdvanceCalendar ac = COGOV__V1__ADVANCE_CALENDAR__INIT;
    ac.has_to = true;
    ac.to = to;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(ADVANCE_CALENDAR);
    req.advance_calendar = &ac;
    return h_code(cl, &req);
}

void
h_advance_sync(cluster_t *c, int64_t to)
{
    client_t *op = cluster_client(c, H_COORD);
    assert_non_null(op);
    assert_int_equal(h_advance(op, to), OK);
    client_destroy(&op);
    h_sync(c, 20000);
}

int64_t
h_time(const char *date)
{
    int64_t t = 0;
    assert_int_equal(time_parse(date, 28800, &t), 0);
    return t;
}

int
h_change_task(client_t *cl, const char *id, Cogov__V1__TaskAction a)
{
    Cogov__V1__ChangeTaskStatus ch = COGOV__V1__CHANGE_TASK_STATUS__INIT;
    ch.task_id = (char *)id;
    ch.has_action = true;
    ch.action = a;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(CHANGE_TASK_STATUS);
    req.change_task_status = &ch;
    return h_code(cl, &req);
}
