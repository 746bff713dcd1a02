/* test_client: client_call against a small CURVE ROUTER in a thread. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "auth.h"
#include "client.h"
#include "util.h"

enum srv_mode {
    ECHO,        /* answer every request */
    DROP_FIRST,  /* ignore the first request, answer the rest */
    DROP_ALL,    /* never answer */
    STRAY_FIRST, /* send a reply for another request id before the real one */
};

#define MAX_SEEN 16
#define SERVER_LIFETIME_MS 30000

typedef struct srv {
    void *zctx;
    char ctl_ep[32];
    char ep[128];
    keypair_t kp;
    const allow_t *al;
    enum srv_mode mode;
    pthread_t th;
    void *ctl; /* main thread's end of the control pair */
    /* written by the server thread, read after join */
    int seen;
    char ids[MAX_SEEN][64];
    uint8_t rids[MAX_SEEN][8]; /* ROUTER routing id of each copy's peer */
    char err[256];
} srv_t;

typedef struct fixture {
    char dir[64];
    void *zctx;
    allow_t *al;
    keypair_t alice; /* on the allow-list */
    client_t *cli;   /* destroyed by the teardown */
    srv_t srv;
} fixture_t;

/* ---- the server thread ------------------------------------------------- */

static void
send_reply(void *router, zmq_msg_t *rid, const char *request_id,
           const char *corr, const char *user)
{
    Cogov__V1__Reply r = COGOV__V1__REPLY__INIT;
    char *text = xasprintf("echo:%s", user ? user : "");
    zmq_msg_t id;
    uint8_t *buf;
    size_t len;

    r.has_code = 1;
    r.code = COGOV__V1__STATUS_CODE__STATUS_OK;
    r.request_id = (char *)request_id;
    r.correlation_id = (char *)corr;
    r.error = text;
    len = cogov__v1__reply__get_packed_size(&r);
    buf = xmalloc(len);
    cogov__v1__reply__pack(&r, buf);
    zmq_msg_init(&id);
    zmq_msg_copy(&id, rid);
    zmq_msg_send(&id, router, ZMQ_SNDMORE);
    zmq_send(router, buf, len, 0);
    zmq_msg_close(&id);
    free(buf);
    free(text);
}

static void
serve_one(srv_t *s, void *router)
{
    zmq_msg_t rid, body;
    Cogov__V1__Request *req;
    const char *user;

    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, router, ZMQ_DONTWAIT) < 0)
        goto done;
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&body, router, 0) < 0)
        goto done;
    req = cogov__v1__request__unpack(NULL, zmq_msg_size(&body),
                                     zmq_msg_data(&body));
    if (req == NULL) {
        snprintf(s->err, sizeof s->err, "request did not unpack");
        goto done;
    }
    user = zmq_msg_gets(&body, "User-Id");
    if (s->seen < MAX_SEEN) {
        snprintf(s->ids[s->seen], sizeof s->ids[0], "%s",
                 req->request_id ? req->request_id : "(null)");
        memcpy(s->rids[s->seen], zmq_msg_data(&rid),
               zmq_msg_size(&rid) < 8 ? zmq_msg_size(&rid) : 8);
    }
    s->seen++;
    switch (s->mode) {
    case DROP_ALL:
        break;
    case DROP_FIRST:
        if (s->seen == 1)
            break;
        /* fall through */
    case ECHO:
        send_reply(router, &rid, req->request_id, req->correlation_id, user);
        break;
    case STRAY_FIRST:
        send_reply(router, &rid, "stale-request", req->correlation_id, user);
        send_reply(router, &rid, req->request_id, req->correlation_id, user);
        break;
    }
    cogov__v1__request__free_unpacked(req, NULL);
done:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

static void *
server_main(void *arg)
{
    srv_t *s = arg;
    void *ctl = zmq_socket(s->zctx, ZMQ_PAIR);
    void *zap = zap_bind(s->zctx);
    void *router = NULL;
    int64_t end = now_mono_ms() + SERVER_LIFETIME_MS;
    int zero = 0;

    zmq_setsockopt(ctl, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(ctl, s->ctl_ep);
    if (zap)
        router =
            sock_server(s->zctx, s->ep, &s->kp, 1 << 20, s->err, sizeof s->err);
    else
        snprintf(s->err, sizeof s->err, "zap_bind failed");
    zmq_send(ctl, router ? "ready" : "fail", router ? 5 : 4, 0);
    while (router && now_mono_ms() < end) {
        zmq_pollitem_t it[3] = {{.socket = ctl, .events = ZMQ_POLLIN},
                                {.socket = zap, .events = ZMQ_POLLIN},
                                {.socket = router, .events = ZMQ_POLLIN}};
        uint64_t denied = 0;

        if (zmq_poll(it, 3, 1000) < 0)
            break;
        if (it[0].revents & ZMQ_POLLIN)
            break; /* stop */
        zap_handle(zap, s->al, &denied);
        if (it[2].revents & ZMQ_POLLIN)
            serve_one(s, router);
    }
    if (router)
        zmq_close(router);
    if (zap)
        zmq_close(zap);
    zmq_close(ctl);
    return NULL;
}

static void
server_start(fixture_t *f, enum srv_mode mode)
{
    static int n;
    srv_t *s = &f->srv;
    char buf[8] = "";
    int zero = 0, timeout = 10000;

    memset(s, 0, sizeof *s);
    s->zctx = f->zctx;
    s->mode = mode;
    s->al = f->al;
    s->kp = (keypair_t){0};
    assert_int_equal(keys_generate(&s->kp), 0);
    snprintf(s->ep, sizeof s->ep, "ipc://%s/s.sock", f->dir);
    snprintf(s->ctl_ep, sizeof s->ctl_ep, "inproc://ctl-%d", n++);
    s->ctl = zmq_socket(f->zctx, ZMQ_PAIR);
    zmq_setsockopt(s->ctl, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->ctl, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s->ctl, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    assert_int_equal(zmq_bind(s->ctl, s->ctl_ep), 0);
    assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
    assert_true(zmq_recv(s->ctl, buf, sizeof buf - 1, 0) > 0);
    if (strcmp(buf, "ready") != 0)
        fail_msg("server did not start: %s", s->err);
}

static void
server_stop(fixture_t *f)
{
    srv_t *s = &f->srv;

    if (s->ctl == NULL)
        return;
    zmq_send(s->ctl, "stop", 4, 0);
    pthread_join(s->th, NULL);
    zmq_close(s->ctl);
    s->ctl = NULL;
    if (s->err[0])
        fail_msg("server: %s", s->err);
}

/* ---- fixture ----------------------------------------------------------- */

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *fw)
{
    (void)st;
    (void)flag;
    (void)fw;
    return remove(p);
}

static int
setup(void **state)
{
    fixture_t *f = xcalloc(1, sizeof *f);
    char path[128], err[256];
    FILE *fp;

    snprintf(f->dir, sizeof f->dir, "/tmp/cgvXXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(keys_generate(&f->alice), 0);
    snprintf(path, sizeof path, "%s/allow", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s alice - OPERATOR *\n", f->alice.pub);
    fclose(fp);
    f->al = allow_load(path, err, sizeof err);
    assert_non_null(f->al);
    f->zctx = zmq_ctx_new();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;

    client_destroy(&f->cli);
    if (f->srv.ctl) {
        zmq_send(f->srv.ctl, "stop", 4, 0);
        pthread_join(f->srv.th, NULL);
        zmq_close(f->srv.ctl);
    }
    zmq_ctx_term(f->zctx);
    allow_destroy(&f->al);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static client_t *
new_client(fixture_t *f, const keypair_t *kp)
{
    char err[256];
    client_t *c =
        client_new(f->zctx, f->srv.ep, kp, f->srv.kp.pub, err, sizeof err);

    if (c == NULL)
        fail_msg("client_new: %s", err);
    f->cli = c;
    return c;
}

static bool
is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    }
    return true;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_echo_generated_ids(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    char err[256] = "", first[64];
    client_t *c;

    server_start(f, ECHO);
    c = new_client(f, &f->alice);
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    rep = client_call(c, &req, 2000, 10000, err, sizeof err);
    if (rep == NULL)
        fail_msg("client_call: %s", err);
    assert_non_null(req.request_id);
    assert_true(is_hex(req.request_id, 16));
    assert_non_null(req.correlation_id);
    assert_memory_equal(req.correlation_id, "c-", 2);
    assert_true(is_hex(req.correlation_id + 2, 16));
    assert_int_equal(rep->code, COGOV__V1__STATUS_CODE__STATUS_OK);
    assert_string_equal(rep->request_id, req.request_id);
    assert_string_equal(rep->correlation_id, req.correlation_id);
    assert_string_equal(rep->error, "echo:alice"); /* the ZAP User-Id */
    snprintf(first, sizeof first, "%s", req.request_id);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* the same request again keeps its id (an idempotent retry) */
    rep = client_call(c, &req, 2000, 10000, err, sizeof err);
    assert_non_null(rep);
    assert_string_equal(rep->request_id, first);
    cogov__v1__reply__free_unpacked(rep, NULL);

    /* a fresh request gets a fresh id */
    req.request_id = NULL;
    req.correlation_id = NULL;
    rep = client_call(c, &req, 2000, 10000, err, sizeof err);
    assert_non_null(rep);
    assert_string_not_equal(req.request_id, first);
    assert_string_equal(rep->request_id, req.request_id);
    cogov__v1__reply__free_unpacked(rep, NULL);

    client_destroy(&f->cli);
    assert_null(f->cli);
    client_destroy(&f->cli);
    server_stop(f);
    assert_int_equal(f->srv.seen, 3);
}

static void
test_echo_given_ids(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    char err[256] = "";
    client_t *c;

    server_start(f, ECHO);
    c = new_client(f, &f->alice);
    req.request_id = "my-request-1";
    req.correlation_id = "corr-9";
    rep = client_call(c, &req, 2000, 10000, err, sizeof err);
    if (rep == NULL)
        fail_msg("client_call: %s", err);
    assert_string_equal(req.request_id, "my-request-1");
    assert_string_equal(rep->request_id, "my-request-1");
    assert_string_equal(rep->correlation_id, "corr-9");
    cogov__v1__reply__free_unpacked(rep, NULL);
    client_destroy(&f->cli);
    server_stop(f);
    assert_int_equal(f->srv.seen, 1);
    assert_string_equal(f->srv.ids[0], "my-request-1");
}

/* The first copy is lost; the client resends on a fresh socket with the
 * same request id and gets the answer to the second copy. */
static void
test_retry_same_id(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    char err[256] = "", id[64];
    client_t *c;

    server_start(f, DROP_FIRST);
    c = new_client(f, &f->alice);
    rep = client_call(c, &req, 300, 10000, err, sizeof err);
    if (rep == NULL)
        fail_msg("client_call: %s", err);
    snprintf(id, sizeof id, "%s", req.request_id);
    assert_string_equal(rep->request_id, id);
    cogov__v1__reply__free_unpacked(rep, NULL);
    client_destroy(&f->cli);
    server_stop(f);
    assert_int_equal(f->srv.seen, 2);
    assert_string_equal(f->srv.ids[0], id);
    assert_string_equal(f->srv.ids[1], id);
    /* the second copy came over a fresh connection */
    assert_memory_not_equal(f->srv.rids[0], f->srv.rids[1], 8);
}

/* A reply for some other request id is skipped, not returned. */
static void
test_stray_reply_ignored(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__Reply *rep;
    char err[256] = "";
    client_t *c;

    server_start(f, STRAY_FIRST);
    c = new_client(f, &f->alice);
    rep = client_call(c, &req, 2000, 10000, err, sizeof err);
    if (rep == NULL)
        fail_msg("client_call: %s", err);
    assert_string_not_equal(rep->request_id, "stale-request");
    assert_string_equal(rep->request_id, req.request_id);
    cogov__v1__reply__free_unpacked(rep, NULL);
    client_destroy(&f->cli);
    server_stop(f);
    assert_int_equal(f->srv.seen, 1);
}

static void
test_timeout(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char err[256] = "";
    int64_t start, took;
    client_t *c;

    server_start(f, DROP_ALL);
    c = new_client(f, &f->alice);
    start = now_mono_ms();
    assert_null(client_call(c, &req, 150, 700, err, sizeof err));
    took = now_mono_ms() - start;
    assert_string_equal(err, "timeout after 700 ms");
    assert_true(took >= 700);
    assert_true(took < 5000);
    client_destroy(&f->cli);
    server_stop(f);
    /* every attempt resent the same request */
    assert_true(f->srv.seen >= 2);
    for (int i = 1; i < f->srv.seen && i < MAX_SEEN; i++)
        assert_string_equal(f->srv.ids[i], f->srv.ids[0]);
}

/* A key that is not on the allow-list never reaches the server. */
static void
test_unknown_key_times_out(void **state)
{
    fixture_t *f = *state;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char err[256] = "";
    keypair_t mallory;
    client_t *c;

    assert_int_equal(keys_generate(&mallory), 0);
    server_start(f, ECHO);
    c = new_client(f, &mallory);
    assert_null(client_call(c, &req, 200, 500, err, sizeof err));
    assert_non_null(strstr(err, "timeout"));
    client_destroy(&f->cli);
    server_stop(f);
    assert_int_equal(f->srv.seen, 0);
}

static void
test_client_new_bad_keys(void **state)
{
    fixture_t *f = *state;
    keypair_t bad = f->alice;
    char err[256] = "";

    bad.pub[5] = 0;
    assert_null(client_new(f->zctx, "ipc:///tmp/none", &bad, f->alice.pub, err,
                           sizeof err));
    assert_true(err[0] != 0);
    err[0] = 0;
    assert_null(client_new(f->zctx, "ipc:///tmp/none", &f->alice, "x", err,
                           sizeof err));
    assert_true(err[0] != 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_generated_ids, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_echo_given_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_same_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_reply_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_times_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client_new_bad_keys, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
