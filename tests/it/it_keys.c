/* it_keys: keys in operation (README "Rotating keys") through the real
 * daemons — a client key rotated with both keys allowed during the overlap
 * and the old one refused after retire + SIGHUP, also on a connection it
 * had open, with no restart; a daemon key rotated (restart with the new
 * pair, its consumers take the new .pub on reconnect, cogovctl reads it
 * per call); limits on connections and parked Fetches per principal; and
 * the daemon's secret key from systemd's $CREDENTIALS_DIRECTORY with a
 * keys_dir it never writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "harness_req.h"
#include "pb.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define UNAUTH COGOV__V1__STATUS_CODE__STATUS_UNAUTHENTICATED
#define UNAVAIL COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define ADMIT COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT

/* ---- helpers --------------------------------------------------------------
 */

/* The value of the first series in a Prometheus textfile whose line
 * contains needle; -1 if none. */
static long long
metric_value(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    long long v = -1;
    while (v < 0 && fgets(line, sizeof(line), f) != NULL) {
        char *p = strstr(line, needle);
        if (line[0] != '#' && p != NULL)
            v = strtoll(p + strlen(needle), NULL, 10);
    }
    fclose(f);
    printf("# %s %s -> %lld\n", path, needle, v);
    return v;
}

static void
status_req(Cogov__V1__Request *req, Cogov__V1__GetStatus *gs)
{
    cogov__v1__get_status__init(gs);
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req->get_status = gs;
}

/* The code of a GetStatus on cl (-1: no answer within ms); the error text
 * into err. */
static int
status_code(client_t *cl, int ms, char *errtext, size_t n)
{
    Cogov__V1__Request req;
    Cogov__V1__GetStatus gs;
    status_req(&req, &gs);
    char err[256];
    Cogov__V1__Reply *rep = client_call(cl, &req, ms, ms, err, sizeof(err));
    if (errtext)
        snprintf(errtext, n, "%s", rep && rep->error ? rep->error : "");
    int code = rep ? (int)rep->code : -1;
    if (rep)
        cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

/* GetStatus as kp on a fresh connection. */
static int
status_as(cluster_t *c, int which, const keypair_t *kp, int ms)
{
    client_t *cl = cluster_client_as(c, which, kp);
    assert_non_null(cl);
    int code = status_code(cl, ms, NULL, 0);
    client_destroy(&cl);
    return code;
}

static void
found(cluster_t *c)
{
    client_t *op = cluster_client(c, H_COORD);
    assert_non_null(op);
    assert_int_equal(h_found(op, "滨江高新技术产业开发区", "2025-01-10"), OK);
    client_destroy(&op);
}

static void
apply_req(Cogov__V1__Request *req, Cogov__V1__ApplyMember *am, const char *uscc,
          const char *name)
{
    cogov__v1__apply_member__init(am);
    am->uscc = (char *)uscc;
    am->name = (char *)name;
    am->type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am->has_type = 1;
    am->contact_name = "联系人";
    am->contact_phone = "0571-88880000";
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req->apply_member = am;
}

/* Apply and admit unit n as the operator. */
static void
admit(cluster_t *c, unsigned n, char uscc[19])
{
    uscc_make(n, uscc);
    char name[64];
    snprintf(name, sizeof(name), "滨江精工机械有限公司%u", n);
    Cogov__V1__Request req;
    Cogov__V1__ApplyMember am;
    apply_req(&req, &am, uscc, name);
    Cogov__V1__Reply *rep = cluster_call(c, H_COORD, &req, 20000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    cogov__v1__reply__free_unpacked(rep, NULL);
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = uscc;
    dm.decision = ADMIT;
    dm.has_decision = 1;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    rep = cluster_call(c, H_COORD, &req, 20000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static long long
welcomes_for(cluster_t *c, const char *uscc)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM notices n JOIN notice_addressees a "
             "USING(notice_id) WHERE n.notice_id LIKE 'welcome:%%' AND "
             "a.member_id = '%s'",
             uscc);
    return store_query_int(c->store[H_SECR], sql);
}

static int
ctl(cluster_t *c, char *out, size_t n, const char *const *argv)
{
    int rc = cluster_ctl(c, out, n, argv);
    printf("# cogovctl %s %s -> %d\n", argv[0], argv[1] ? argv[1] : "", rc);
    if (out != NULL && rc != 0)
        printf("#   %s\n", out);
    return rc;
}

static void
hup_running(cluster_t *c)
{
    for (int i = 0; i < H_N; i++)
        if (c->pid[i] > 0)
            assert_int_equal(cluster_hup(c, i, 10000), 0);
}

static bool
exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* ---- a client key ---------------------------------------------------------
 */

static void
test_client_key_rotation(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "keycli"), 0);
    keypair_t k1, k2;
    assert_int_equal(keys_generate(&k1), 0);
    assert_int_equal(keys_write(c.keys_dir, "hr-bureau", &k1), 0);
    FILE *f = fopen(c.allow, "a");
    assert_non_null(f);
    fprintf(f, "%s hr-bureau - BUREAU_SYSTEM coordination\n", k1.pub);
    fclose(f);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    found(&c);

    /* A connection made with the old key, kept open all along. */
    client_t *old_conn = cluster_client_as(&c, H_COORD, &k1);
    assert_non_null(old_conn);
    assert_int_equal(status_code(old_conn, 5000, NULL, 0), OK);

    /* Rotate: new pair in hr-bureau.key, old kept, both on the list. */
    char out[4096];
    const char *rot[] = {"keys",     "rotate",       "hr-bureau", "--dir",
                         c.keys_dir, "--allow-list", c.allow,     NULL};
    assert_int_equal(ctl(&c, out, sizeof(out), rot), 0);
    assert_non_null(strstr(out, "SIGHUP"));
    assert_true(exists(c.keys_dir, "hr-bureau.old.key"));
    assert_int_equal(keys_load(c.keys_dir, "hr-bureau", &k2), 0);
    assert_string_not_equal(k1.pub, k2.pub);
    assert_int_equal(h_count_lines(c.allow, " hr-bureau "), 2);
    assert_non_null(strstr(out, k2.pub));
    /* Not yet reloaded: the new key is unknown (ZAP refuses: no answer). */
    assert_int_equal(status_as(&c, H_COORD, &k2, 1500), -1);
    hup_running(&c);

    /* Overlap: old and new both work, as one principal — a retry of the same
     * request id with the other key gets the stored reply. */
    char uscc[19];
    uscc_make(7, uscc);
    Cogov__V1__Request req;
    Cogov__V1__ApplyMember am;
    apply_req(&req, &am, uscc, "滨江数控装备有限公司");
    req.request_id = "rot-apply-1";
    client_t *new_conn = cluster_client_as(&c, H_COORD, &k2);
    assert_non_null(new_conn);
    char err[256];
    Cogov__V1__Reply *r1 =
        client_call(new_conn, &req, 5000, 10000, err, sizeof(err));
    assert_non_null(r1);
    assert_int_equal(r1->code, OK);
    apply_req(&req, &am, uscc, "滨江数控装备有限公司");
    req.request_id = "rot-apply-1";
    Cogov__V1__Reply *r2 =
        client_call(old_conn, &req, 5000, 10000, err, sizeof(err));
    assert_non_null(r2);
    assert_int_equal(r2->code, OK);
    printf("# overlap: new key applied, old key's retry answered from the "
           "stored reply\n");
    cogov__v1__reply__free_unpacked(r1, NULL);
    cogov__v1__reply__free_unpacked(r2, NULL);
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM outbox WHERE type = 'member_applied'");
    assert_int_equal(store_query_int(c.store[H_COORD], sql), 1);
    assert_int_equal(status_as(&c, H_COORD, &k1, 5000), OK);
    assert_int_equal(status_as(&c, H_COORD, &k2, 5000), OK);

    /* Retire the old key and reload: refused, also on the connection it
     * had open; the new key goes on. No restart. */
    pid_t pid_before = c.pid[H_COORD];
    const char *ret[] = {"keys",     "retire",       "hr-bureau", "--dir",
                         c.keys_dir, "--allow-list", c.allow,     NULL};
    assert_int_equal(ctl(&c, out, sizeof(out), ret), 0);
    assert_false(exists(c.keys_dir, "hr-bureau.old.key"));
    assert_int_equal(h_count_lines(c.allow, " hr-bureau "), 1);
    assert_int_equal(h_count_lines(c.allow, k1.pub), 0);
    hup_running(&c);
    char why[256];
    int code = status_code(old_conn, 5000, why, sizeof(why));
    printf("# old key on its open connection: code %d (%s)\n", code, why);
    assert_int_equal(code, UNAUTH);
    assert_int_equal(status_as(&c, H_COORD, &k1, 1500), -1);
    assert_true(h_count_lines(c.log[H_COORD], "event=auth.refused") > 0);
    assert_int_equal(status_code(new_conn, 5000, NULL, 0), OK);
    assert_int_equal(c.pid[H_COORD], pid_before);
    assert_true(kill(c.pid[H_COORD], 0) == 0);

    client_destroy(&old_conn);
    client_destroy(&new_conn);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    cluster_destroy(&c);
}

/* ---- a daemon key ---------------------------------------------------------
 */

static void
test_daemon_key_rotation(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "keydmn"), 0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    assert_int_equal(cluster_start(&c, H_SECR), 0);
    found(&c);
    char a[19], b[19], d[19];
    admit(&c, 1, a);
    assert_int_equal(cluster_sync(&c, 30000), 0);
    assert_int_equal(welcomes_for(&c, a), 1);
    char old_pub[KEY_Z85_LEN + 1];
    memcpy(old_pub, c.pub[H_COORD], sizeof(old_pub));
    keypair_t old_pair;
    assert_int_equal(keys_load(c.keys_dir, "coordination", &old_pair), 0);

    /* 1. a new pair beside the old, both allowed */
    char out[4096];
    const char *rot[] = {"keys",     "rotate",       "coordination", "--dir",
                         c.keys_dir, "--allow-list", c.allow,        NULL};
    assert_int_equal(ctl(&c, out, sizeof(out), rot), 0);
    hup_running(&c);
    /* 2. restart coordination: it serves and connects with the new pair */
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_int_equal(
        keys_load_public(c.keys_dir, "coordination", c.pub[H_COORD]), 0);
    assert_string_not_equal(old_pub, c.pub[H_COORD]);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    char fpr[17], needle[64];
    keys_fingerprint(c.pub[H_COORD], fpr);
    snprintf(needle, sizeof(needle), "source=keys_dir key_fpr=%s", fpr);
    assert_true(h_count_lines(c.log[H_COORD], needle) > 0);

    /* The secretariat, still connected with the old server key, takes the
     * new .pub when it reconnects and gets the next admission. */
    admit(&c, 2, b);
    assert_int_equal(cluster_sync(&c, 30000), 0);
    assert_int_equal(welcomes_for(&c, b), 1);
    keys_fingerprint(c.pub[H_COORD], fpr);
    snprintf(needle, sizeof(needle),
             "event=follow.key_changed producer=coordination key_fpr=%s", fpr);
    assert_true(h_count_lines(c.log[H_SECR], needle) > 0);
    /* cogovctl reads the .pub on every call */
    const char *st[] = {"status", NULL};
    assert_int_equal(ctl(&c, out, sizeof(out), st), 0);

    /* 3. retire the old key: everything flows on; the old pair is refused
     * as a client, and a client that still holds the old server key gets
     * no answer. */
    const char *ret[] = {"keys",     "retire",       "coordination", "--dir",
                         c.keys_dir, "--allow-list", c.allow,        NULL};
    assert_int_equal(ctl(&c, out, sizeof(out), ret), 0);
    hup_running(&c);
    admit(&c, 3, d);
    assert_int_equal(cluster_sync(&c, 30000), 0);
    assert_int_equal(welcomes_for(&c, d), 1);
    assert_int_equal(status_as(&c, H_SECR, &old_pair, 1500), -1);
    char err[256];
    client_t *stale = client_new(c.zctx, c.endpoint[H_COORD], &c.op, old_pub,
                                 err, sizeof(err));
    assert_non_null(stale);
    assert_int_equal(status_code(stale, 1500, NULL, 0), -1);
    client_destroy(&stale);
    explicit_bzero(&old_pair, sizeof(old_pair));

    assert_int_equal(cluster_stop(&c, H_SECR), 0);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    cluster_destroy(&c);
}

/* ---- limits per principal -------------------------------------------------
 */

static int
send_req(void *sock, Cogov__V1__Request *req)
{
    size_t len = 0;
    uint8_t *buf = pb_pack((ProtobufCMessage *)req, &len);
    int rc = zmq_send(sock, buf, len, 0);
    free(buf);
    return rc;
}

/* The next reply on sock within ms, or NULL. */
static Cogov__V1__Reply *
recv_rep(void *sock, int ms)
{
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&it, 1, ms) != 1)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0)
        return NULL;
    Cogov__V1__Reply *rep =
        cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return rep;
}

static void
fetch_req(Cogov__V1__Request *req, Cogov__V1__Fetch *f, const char *id,
          uint64_t after)
{
    cogov__v1__fetch__init(f);
    f->after_seq = after;
    f->has_after_seq = 1;
    f->max_wait_ms = 10000;
    f->has_max_wait_ms = 1;
    cogov__v1__request__init(req);
    req->request_id = (char *)id;
    req->body_case = COGOV__V1__REQUEST__BODY_FETCH;
    req->fetch = f;
}

static void
test_limits_per_principal(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "keylim"), 0);
    char metrics[128];
    snprintf(metrics, sizeof(metrics), "%s/coordination.prom", c.dir);
    FILE *f = fopen(c.conf[H_COORD], "a");
    assert_non_null(f);
    fprintf(f,
            "max_connections = 2\nmax_parked_fetches = 1\n"
            "metrics_file = %s\n",
            metrics);
    fclose(f);
    keypair_t lim;
    assert_int_equal(cluster_add_principal(&c, "edu-portal", "-", "OBSERVER",
                                           "coordination", &lim),
                     0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);

    /* Two connections are served, the third is told why it is not. */
    client_t *a = cluster_client_as(&c, H_COORD, &lim);
    client_t *b = cluster_client_as(&c, H_COORD, &lim);
    client_t *x = cluster_client_as(&c, H_COORD, &lim);
    assert_int_equal(status_code(a, 5000, NULL, 0), OK);
    assert_int_equal(status_code(b, 5000, NULL, 0), OK);
    char why[256];
    assert_int_equal(status_code(x, 5000, why, sizeof(why)), UNAVAIL);
    printf("# third connection: UNAVAILABLE: %s\n", why);
    assert_non_null(strstr(why, "limit: edu-portal holds 2 connections"));
    assert_non_null(strstr(why, "max_connections"));
    assert_true(
        (h_count_lines(c.log[H_COORD],
                       "event=limit.connections principal=edu-portal") > 0));
    /* Another principal is not affected. */
    assert_int_equal(status_as(&c, H_COORD, &c.op, 5000), OK);
    /* One closes: the waiting one is admitted (bounded wait for the close
     * to reach the daemon). */
    client_destroy(&a);
    int64_t deadline = now_mono_ms() + 10000;
    int code = UNAVAIL;
    while (code != OK && now_mono_ms() < deadline) {
        code = status_code(x, 5000, NULL, 0);
        if (code != OK)
            usleep(50 * 1000);
    }
    assert_int_equal(code, OK);
    client_destroy(&b);
    client_destroy(&x);

    /* Parked Fetches: one may wait, the second is refused at once. */
    char err[256];
    void *s1 = sock_client(c.zctx, c.endpoint[H_COORD], &lim, c.pub[H_COORD], 0,
                           err, sizeof(err));
    void *s2 = sock_client(c.zctx, c.endpoint[H_COORD], &lim, c.pub[H_COORD], 0,
                           err, sizeof(err));
    assert_non_null(s1);
    assert_non_null(s2);
    Cogov__V1__Request req;
    Cogov__V1__GetStatus gs;
    status_req(&req, &gs);
    req.request_id = "st-0";
    assert_true(send_req(s1, &req) >= 0);
    Cogov__V1__Reply *rep = recv_rep(s1, 5000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    uint64_t head = rep->status->head_seq;
    cogov__v1__reply__free_unpacked(rep, NULL);
    Cogov__V1__Fetch fe;
    fetch_req(&req, &fe, "fetch-1", head);
    assert_true(send_req(s1, &req) >= 0);
    /* A status after it on the same connection: answered only once the
     * Fetch before it was taken (and parked). */
    status_req(&req, &gs);
    req.request_id = "st-1";
    assert_true(send_req(s1, &req) >= 0);
    rep = recv_rep(s1, 5000);
    assert_non_null(rep);
    assert_string_equal(rep->request_id, "st-1");
    cogov__v1__reply__free_unpacked(rep, NULL);
    fetch_req(&req, &fe, "fetch-2", head);
    assert_true(send_req(s2, &req) >= 0);
    rep = recv_rep(s2, 3000); /* at once, well before the 10 s wait */
    assert_non_null(rep);
    printf("# second parked Fetch: code %d: %s\n", rep->code, rep->error);
    assert_int_equal(rep->code, UNAVAIL);
    assert_non_null(strstr(rep->error, "max_parked_fetches"));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_true(
        (h_count_lines(c.log[H_COORD],
                       "event=limit.fetches principal=edu-portal") > 0));
    zmq_close(s1);
    zmq_close(s2);

    /* Counted: the metrics written at stop carry both reasons. */
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    assert_true(metric_value(metrics, "reason=\"limit_connections\"}") >= 1);
    assert_int_equal(metric_value(metrics, "reason=\"limit_fetches\"}"), 1);
    cluster_destroy(&c);
}

/* ---- the secret key from $CREDENTIALS_DIRECTORY ---------------------------
 */

static void
test_credentials_directory(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "keycred"), 0);
    char creds[128], src[160], dst[160], lock[160];
    snprintf(creds, sizeof(creds), "%s/creds", c.dir);
    assert_int_equal(mkdir(creds, 0700), 0);
    /* The secret key only in the credentials directory, as systemd's
     * LoadCredential=coordination.key:... puts it. */
    snprintf(src, sizeof(src), "%s/coordination.key", c.keys_dir);
    snprintf(dst, sizeof(dst), "%s/coordination.key", creds);
    assert_int_equal(rename(src, dst), 0);
    snprintf(lock, sizeof(lock), "%s/.lock", c.keys_dir);
    unlink(lock);
    assert_int_equal(chmod(c.keys_dir, 0555), 0);
    struct stat before, after;
    assert_int_equal(stat(c.keys_dir, &before), 0);

    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    int rc = cluster_start(&c, H_COORD);
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_int_equal(rc, 0);
    assert_true(h_count_lines(c.log[H_COORD], "source=credentials") > 0);
    assert_false(h_count_lines(c.log[H_COORD], "event=keys.created") > 0);
    found(&c); /* it serves with that key */
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    /* keys_dir was not written: no lock, no regenerated key */
    assert_int_equal(stat(c.keys_dir, &after), 0);
    assert_false(access(lock, F_OK) == 0);
    assert_false(access(src, F_OK) == 0);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);

    /* A damaged credential: the daemon refuses to start and says where. */
    FILE *f = fopen(dst, "w");
    assert_non_null(f);
    fputs("public = nonsense\nsecret = nonsense\n", f);
    fclose(f);
    FILE *lf = fopen(c.log[H_COORD], "w");
    assert_non_null(lf);
    fclose(lf);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(c.log[H_COORD], O_WRONLY | O_APPEND);
        dup2(fd, 2);
        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        const char *bin = getenv("COGOV_COORDINATION");
        execl(bin, bin, "-c", c.conf[H_COORD], (char *)NULL);
        _exit(127);
    }
    int st = 0;
    int64_t deadline = now_mono_ms() + 20000;
    pid_t w = 0;
    while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_mono_ms() < deadline)
        usleep(20 * 1000);
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    assert_int_equal(w, pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    assert_true(h_count_lines(c.log[H_COORD], "event=keys.failed") > 0);
    assert_true(h_count_lines(c.log[H_COORD], dst) > 0);
    assert_false(h_count_lines(c.log[H_COORD], "event=service.ready") > 0);

    chmod(c.keys_dir, 0700);
    cluster_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_key_rotation),
        cmocka_unit_test(test_daemon_key_rotation),
        cmocka_unit_test(test_limits_per_principal),
        cmocka_unit_test(test_credentials_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
