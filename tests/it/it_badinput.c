/* it_badinput: hostile and broken input against each daemon's endpoint,
 * sent as raw frames by an authenticated operator (DESIGN 2.5): random
 * bytes, truncated and oversized frames, an allocation bomb, extra frames,
 * unknown fields and enum values, invalid UTF-8, out-of-range values and
 * references to nothing. Each gets the right error reply (the oversized
 * frame: a dropped connection), changes nothing in the store, and the
 * daemon keeps serving and stops cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "harness.h"
#include "harness_req.h"
#include "pb.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT

#define MAX_MSG (1 << 20) /* the daemons' default max_msg_bytes */
#define WAIT_MS 5000

typedef struct world {
    cluster_t c;
    keypair_t secr; /* a SECRETARIAT principal */
    char a[19];     /* an admitted unit */
    char b[19];     /* a unit that never applied */
    char notice_a[128];
    void *socks[8]; /* raw connections open, closed by teardown if a
                       failed test left them (zmq_ctx_term waits for them) */
} world_t;

/* ---- raw frames -------------------------------------------------------------
 */

static void *
raw_conn(world_t *w, int which, const keypair_t *kp)
{
    char err[256];
    void *s = sock_client(w->c.zctx, w->c.endpoint[which], kp, w->c.pub[which],
                          0, err, sizeof(err));
    if (s == NULL)
        fprintf(stderr, "sock_client: %s\n", err);
    assert_non_null(s);
    for (size_t i = 0; i < ARRAY_LEN(w->socks); i++)
        if (w->socks[i] == NULL) {
            w->socks[i] = s;
            return s;
        }
    fail_msg("too many raw connections");
    return NULL;
}

static void
raw_close(world_t *w, void *s)
{
    for (size_t i = 0; i < ARRAY_LEN(w->socks); i++)
        if (w->socks[i] == s)
            w->socks[i] = NULL;
    zmq_close(s);
}

static bool
readable_within(void *s, int ms)
{
    zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
    return zmq_poll(&it, 1, ms) > 0;
}

/* Send n frames; wait (bounded) for one reply. NULL on silence. */
static Cogov__V1__Reply *
send_frames(void *s, const uint8_t *const *frames, const size_t *lens, int n,
            int ms)
{
    for (int i = 0; i < n; i++) {
        int rc = zmq_send(s, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0);
        assert_int_equal(rc, (int)lens[i]);
    }
    if (!readable_within(s, ms))
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, s, 0) >= 0);
    assert_false(zmq_msg_more(&m)); /* replies are one frame */
    Cogov__V1__Reply *rep =
        cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    assert_non_null(rep);
    return rep;
}

static Cogov__V1__Reply *
send_bytes(void *s, const uint8_t *data, size_t len)
{
    const uint8_t *f[1] = {data};
    size_t l[1] = {len};
    return send_frames(s, f, l, 1, WAIT_MS);
}

/* Every request carries a correlation id here; see
 * test_no_correlation_id for one without. */
static uint8_t *
pack_req(Cogov__V1__Request *req, size_t *len)
{
    if (req->correlation_id == NULL)
        req->correlation_id = "it-badinput";
    return pb_pack((const ProtobufCMessage *)req, len);
}

/* ---- state ------------------------------------------------------------------
 */

typedef struct snap {
    uint64_t head, rejects, db;
} snap_t;

/* Fail at once, not after timeouts, when a daemon has died. */
static void
assert_alive(world_t *w, int which)
{
    int st = 0;
    pid_t pid = w->c.pid[which];
    if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
        w->c.pid[which] = 0;
        printf("# %s died: %s %d; see %s\n", h_names[which],
               WIFSIGNALED(st) ? "signal" : "exit",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
               w->c.log[which]);
    }
    assert_true(w->c.pid[which] > 0);
}

static snap_t
snap_of(world_t *w, int which)
{
    assert_alive(w, which);
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    Cogov__V1__Reply *rep = cluster_call(&w->c, which, &req, 10000);
    assert_non_null(rep); /* still serving */
    assert_int_equal(rep->code, OK);
    snap_t s = {rep->status->head_seq, rep->status->rejects,
                store_hash(w->c.store[which], NULL)};
    assert_int_not_equal(s.db, 0);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return s;
}

static void
assert_unchanged(world_t *w, int which, const snap_t *before, const char *what)
{
    snap_t now = snap_of(w, which);
    if (now.head != before->head || now.db != before->db)
        printf("# %s: %s changed the store (head %llu -> %llu)\n",
               h_names[which], what, (unsigned long long)before->head,
               (unsigned long long)now.head);
    assert_int_equal(now.head, before->head);
    assert_int_equal(now.db, before->db);
}

/* Send bytes, expect `code` (and `needle` in the error if not NULL), and
 * nothing changed. */
static void
expect(world_t *w, int which, void *conn, const uint8_t *data, size_t len,
       int code, const char *needle, const char *what)
{
    snap_t before = snap_of(w, which);
    Cogov__V1__Reply *rep = send_bytes(conn, data, len);
    if (rep == NULL)
        printf("# %s: %s: no reply\n", h_names[which], what);
    assert_non_null(rep);
    if ((int)rep->code != code ||
        (needle != NULL &&
         (rep->error == NULL || strstr(rep->error, needle) == NULL)))
        printf("# %s: %s: code %d (want %d): %s\n", h_names[which], what,
               rep->code, code, rep->error ? rep->error : "-");
    assert_int_equal(rep->code, code);
    if (needle != NULL)
        assert_non_null(strstr(rep->error, needle));
    if (code != OK)
        assert_false(str_empty(rep->error));
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_unchanged(w, which, &before, what);
}

static void
expect_req(world_t *w, int which, void *conn, Cogov__V1__Request *req, int code,
           const char *needle, const char *what)
{
    size_t len = 0;
    uint8_t *buf = pack_req(req, &len);
    expect(w, which, conn, buf, len, code, needle, what);
    free(buf);
}

/* ---- the world
 * ---------------------------------------------------------------- */

static int
setup(void **state)
{
    world_t *w = xcalloc(1, sizeof(*w));
    cluster_t *c = &w->c;
    assert_int_equal(cluster_init(c, "badin"), 0);
    assert_int_equal(cluster_add_principal(c, "secr-office", "-", "SECRETARIAT",
                                           "-", &w->secr),
                     0);
    assert_int_equal(cluster_start(c, H_COORD), 0);
    assert_int_equal(cluster_start(c, H_SECR), 0);
    uscc_make(501, w->a);
    uscc_make(502, w->b);

    client_t *op = cluster_client(c, H_COORD);
    assert_non_null(op);
    assert_int_equal(h_found(op, "滨江高新技术产业开发区", "2025-01-10"), OK);
    client_destroy(&op);

    Cogov__V1__Request req;
    Cogov__V1__Reply *rep;
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    am.uscc = w->a;
    am.name = "滨江职业技术学院";
    am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE;
    am.has_type = 1;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &am;
    rep = cluster_call(c, H_COORD, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    cogov__v1__reply__free_unpacked(rep, NULL);

    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    dm.member_id = w->a;
    dm.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
    dm.has_decision = 1;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &dm;
    rep = cluster_call(c, H_COORD, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    cogov__v1__reply__free_unpacked(rep, NULL);
    assert_int_equal(cluster_sync(c, 20000), 0);

    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.member_id = w->a;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    rep = cluster_call(c, H_SECR, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->notice_list->n_notices, 1);
    str_copy(w->notice_a, sizeof(w->notice_a),
             rep->notice_list->notices[0]->notice_id);
    cogov__v1__reply__free_unpacked(rep, NULL);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    world_t *w = *state;
    for (size_t i = 0; i < ARRAY_LEN(w->socks); i++)
        if (w->socks[i] != NULL)
            zmq_close(w->socks[i]);
    /* Through all of it: a clean stop. */
    int s = cluster_stop(&w->c, H_SECR);
    int c = cluster_stop(&w->c, H_COORD);
    printf("# stop: secretariat exit %d, coordination exit %d\n", s, c);
    cluster_destroy(&w->c);
    free(w);
    return s == 0 && c == 0 ? 0 : -1;
}

/* ---- framing and decoding, on both daemons
 * ------------------------------------- */

static void
get_status_req(Cogov__V1__Request *req, Cogov__V1__GetStatus *gs)
{
    cogov__v1__get_status__init(gs);
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req->get_status = gs;
}

static void
test_random_bytes(void **state)
{
    world_t *w = *state;
    unsigned seed = test_seed();
    srandom(seed);
    for (int which = 0; which < H_CORE; which++) {
        void *conn = raw_conn(w, which, &w->c.op);
        snap_t before = snap_of(w, which);
        int sent = 0, skipped = 0;
        uint8_t buf[600];
        for (int i = 0; i < 300; i++) {
            size_t len = 1 + (size_t)(random() % (long)sizeof(buf));
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)random();
            /* The rare buffer that happens to be a request with a body is
             * not bad input. */
            Cogov__V1__Request *r = cogov__v1__request__unpack(NULL, len, buf);
            bool has_body =
                r != NULL && r->body_case != COGOV__V1__REQUEST__BODY__NOT_SET;
            if (r != NULL)
                cogov__v1__request__free_unpacked(r, NULL);
            if (has_body) {
                skipped++;
                continue;
            }
            Cogov__V1__Reply *rep = send_bytes(conn, buf, len);
            if (rep == NULL || rep->code != INVALID)
                printf("# %s: random buffer %d (%zu bytes): %s\n",
                       h_names[which], i, len,
                       rep == NULL ? "no reply" : rep->error);
            assert_non_null(rep);
            assert_int_equal(rep->code, INVALID);
            cogov__v1__reply__free_unpacked(rep, NULL);
            sent++;
        }
        printf("# %s: %d random buffers refused, %d skipped\n", h_names[which],
               sent, skipped);
        assert_unchanged(w, which, &before, "random bytes");
        snap_t after = snap_of(w, which);
        assert_true(after.rejects >= before.rejects + (uint64_t)sent);
        raw_close(w, conn);
    }
}

static void
test_truncated(void **state)
{
    world_t *w = *state;
    for (int which = 0; which < H_CORE; which++) {
        void *conn = raw_conn(w, which, &w->c.op);
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
        Cogov__V1__AcknowledgeNotice an = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
        req.request_id = "truncated";
        if (which == H_COORD) {
            am.uscc = w->b;
            am.name = "滨江新材料研究院";
            am.type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_RESEARCH_INSTITUTE;
            am.has_type = 1;
            req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
            req.apply_member = &am;
        } else {
            an.notice_id = w->notice_a;
            an.member_id = w->a;
            req.body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
            req.acknowledge_notice = &an;
        }
        size_t len = 0;
        uint8_t *buf = pack_req(&req, &len);
        snap_t before = snap_of(w, which);
        for (size_t cut = 1; cut < len; cut++) {
            Cogov__V1__Reply *rep = send_bytes(conn, buf, cut);
            assert_non_null(rep);
            if (rep->code != INVALID)
                printf("# %s: cut at %zu of %zu: code %d\n", h_names[which],
                       cut, len, rep->code);
            assert_int_equal(rep->code, INVALID);
            cogov__v1__reply__free_unpacked(rep, NULL);
        }
        assert_unchanged(w, which, &before, "truncated");
        free(buf);
        raw_close(w, conn);
    }
}

static void
test_oversized_frame(void **state)
{
    world_t *w = *state;
    for (int which = 0; which < H_CORE; which++) {
        snap_t before = snap_of(w, which);
        void *conn = raw_conn(w, which, &w->c.op);
        /* A valid request first, so the connection is surely up. */
        Cogov__V1__Request req;
        Cogov__V1__GetStatus gs;
        get_status_req(&req, &gs);
        size_t len = 0;
        uint8_t *ok = pack_req(&req, &len);
        Cogov__V1__Reply *rep = send_bytes(conn, ok, len);
        assert_non_null(rep);
        assert_int_equal(rep->code, OK);
        cogov__v1__reply__free_unpacked(rep, NULL);
        /* One byte over the limit: get_status with a huge request id. */
        size_t big = MAX_MSG + 1;
        uint8_t *buf = xcalloc(1, big);
        memset(buf, 'x', big);
        const uint8_t *f[1] = {buf};
        size_t l[1] = {big};
        rep = send_frames(conn, f, l, 1, 1000);
        assert_null(rep);
        free(buf);
        free(ok);
        raw_close(w, conn);
        /* A fresh connection is served. */
        assert_unchanged(w, which, &before, "oversized frame");
    }
}

static void
test_allocation_bomb(void **state)
{
    world_t *w = *state;
    /* Request.after (field 3): 400,000 empty Positions in 800 KB, then a
     * get_status body (field 21, empty). Decoding them would take tens of
     * megabytes. */
    const size_t n = 400000;
    size_t len = 2 * n + 3;
    assert_true(len < MAX_MSG);
    uint8_t *buf = xmalloc(len);
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = 0x1a;
        buf[2 * i + 1] = 0x00;
    }
    buf[2 * n] = 0xaa; /* (21 << 3) | 2 */
    buf[2 * n + 1] = 0x01;
    buf[2 * n + 2] = 0x00;
    for (int which = 0; which < H_CORE; which++) {
        void *conn = raw_conn(w, which, &w->c.op);
        /* Refused at decoding, by the budget, not after it. */
        expect(w, which, conn, buf, len, INVALID, "too large to decode",
               "allocation bomb");
        raw_close(w, conn);
    }
    free(buf);
}

static void
test_frames(void **state)
{
    world_t *w = *state;
    for (int which = 0; which < H_CORE; which++) {
        void *conn = raw_conn(w, which, &w->c.op);
        Cogov__V1__Request req;
        Cogov__V1__GetStatus gs;
        get_status_req(&req, &gs);
        size_t len = 0;
        uint8_t *ok = pack_req(&req, &len);
        snap_t before = snap_of(w, which);
        for (int n = 2; n <= 4; n++) {
            const uint8_t *f[4] = {ok, ok, (const uint8_t *)"", ok};
            size_t l[4] = {len, len, 0, len};
            Cogov__V1__Reply *rep = send_frames(conn, f, l, n, WAIT_MS);
            assert_non_null(rep);
            assert_int_equal(rep->code, INVALID);
            assert_non_null(strstr(rep->error, "one frame"));
            cogov__v1__reply__free_unpacked(rep, NULL);
        }
        assert_unchanged(w, which, &before, "multi-frame");
        /* An empty frame decodes to a request with nothing in it. */
        expect(w, which, conn, (const uint8_t *)"", 0, INVALID, "no body",
               "empty frame");
        free(ok);

        /* Field 999 (length-delimited, "abc") is no body this daemon
         * knows. */
        static const uint8_t unknown[] = {0x0a, 0x03, 'u', 'n',  'k',
                                          0x12, 0x01, 'c', 0xba, 0x3e,
                                          0x03, 'a',  'b', 'c'};
        expect(w, which, conn, unknown, sizeof(unknown), INVALID, "no body",
               "unknown field 999");

        /* A body of the other daemon. */
        Cogov__V1__Request other = COGOV__V1__REQUEST__INIT;
        Cogov__V1__GetCalendar gc = COGOV__V1__GET_CALENDAR__INIT;
        Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
        if (which == H_SECR) {
            other.body_case = COGOV__V1__REQUEST__BODY_GET_CALENDAR;
            other.get_calendar = &gc;
        } else {
            other.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
            other.list_notices = &ln;
        }
        expect_req(w, which, conn, &other, INVALID, "not served",
                   "another daemon's body");

        /* Envelope fields: invalid UTF-8 and an over-long request id. */
        get_status_req(&req, &gs);
        req.request_id = "bad-\xc3\x28";
        expect_req(w, which, conn, &req, INVALID, "request_id",
                   "request_id invalid UTF-8");
        char long_id[200];
        memset(long_id, 'r', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = 0;
        get_status_req(&req, &gs);
        req.request_id = long_id;
        expect_req(w, which, conn, &req, INVALID, "request_id",
                   "request_id too long");
        raw_close(w, conn);
    }
}

/* ---- coordination's bodies
 * ---------------------------------------------------- */

static void
apply_body(Cogov__V1__Request *req, Cogov__V1__ApplyMember *am,
           const char *uscc, const char *name)
{
    cogov__v1__apply_member__init(am);
    am->uscc = (char *)uscc;
    am->name = (char *)name;
    am->type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am->has_type = 1;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req->apply_member = am;
}

static void
decide_body(Cogov__V1__Request *req, Cogov__V1__DecideMember *dm,
            const char *id, int decision)
{
    cogov__v1__decide_member__init(dm);
    dm->member_id = (char *)id;
    dm->decision = decision;
    dm->has_decision = 1;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req->decide_member = dm;
}

static void
test_coordination_values(void **state)
{
    world_t *w = *state;
    void *conn = raw_conn(w, H_COORD, &w->c.op);
    Cogov__V1__Request req;
    Cogov__V1__ApplyMember am;
    Cogov__V1__DecideMember dm;

    apply_body(&req, &am, w->b, "滨江\xff\xfe有限公司");
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.name",
               "invalid UTF-8 name");
    apply_body(&req, &am, w->b, "滨江有限公司");
    am.type = 99;
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.type",
               "unknown enum value");
    char bad[19];
    memcpy(bad, w->b, sizeof(bad));
    bad[17] = bad[17] == '0' ? '1' : '0';
    apply_body(&req, &am, bad, "滨江有限公司");
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.uscc",
               "wrong check character");
    apply_body(&req, &am, "91330100MA2XXXXX", "滨江有限公司");
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.uscc",
               "short uscc");
    apply_body(&req, &am, w->b, "");
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.name",
               "empty name");
    apply_body(&req, &am, NULL, "滨江有限公司");
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.uscc", "no uscc");
    apply_body(&req, &am, w->b, "滨江有限公司");
    am.has_type = 0;
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.type", "no type");
    size_t n = 10000;
    char *huge = xmalloc(3 * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(huge + 3 * i, "字", 3);
    huge[3 * n] = 0;
    apply_body(&req, &am, w->b, huge);
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.name",
               "10000-character name");
    apply_body(&req, &am, w->b, "滨江有限公司");
    am.contact_name = "张\x01三";
    expect_req(w, H_COORD, conn, &req, INVALID, "apply_member.contact_name",
               "control character");
    free(huge);

    Cogov__V1__FoundConsortium fc = COGOV__V1__FOUND_CONSORTIUM__INIT;
    fc.name = "滨江市第二联合体";
    fc.city = "滨江市";
    fc.park = "滨江高新区";
    fc.lead_department = "滨江市教育局";
    fc.founded_on = "2025-02-30";
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &fc;
    expect_req(w, H_COORD, conn, &req, INVALID, "founded_on", "2025-02-30");
    fc.founded_on = "2025-1-10";
    expect_req(w, H_COORD, conn, &req, INVALID, "founded_on", "malformed date");
    fc.founded_on = "2025-01-10";
    fc.city = "";
    expect_req(w, H_COORD, conn, &req, INVALID, "found_consortium.city",
               "empty city");
    fc.city = "滨江市";
    expect_req(w, H_COORD, conn, &req, CONFLICT, "already founded",
               "founding twice");

    decide_body(&req, &dm, w->b,
                COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    expect_req(w, H_COORD, conn, &req, NOT_FOUND, w->b, "nonexistent member");
    decide_body(&req, &dm, w->a, 99);
    expect_req(w, H_COORD, conn, &req, INVALID, "decide_member.decision",
               "unknown decision");
    decide_body(&req, &dm, w->a,
                COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    dm.has_decision = 0;
    expect_req(w, H_COORD, conn, &req, INVALID, "decide_member.decision",
               "no decision");
    decide_body(&req, &dm, "",
                COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    expect_req(w, H_COORD, conn, &req, INVALID, "decide_member.member_id",
               "empty member id");
    decide_body(&req, &dm, w->a,
                COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT);
    expect_req(w, H_COORD, conn, &req, CONFLICT, NULL, "admitting twice");
    decide_body(&req, &dm, w->a,
                COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_REINSTATE);
    expect_req(w, H_COORD, conn, &req, CONFLICT, NULL,
               "reinstating an admitted unit");

    Cogov__V1__GetMember gm = COGOV__V1__GET_MEMBER__INIT;
    gm.member_id = w->b;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MEMBER;
    req.get_member = &gm;
    expect_req(w, H_COORD, conn, &req, NOT_FOUND, NULL, "get nonexistent");

    Cogov__V1__ListMembers lm = COGOV__V1__LIST_MEMBERS__INIT;
    lm.status = 77;
    lm.has_status = 1;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_MEMBERS;
    req.list_members = &lm;
    expect_req(w, H_COORD, conn, &req, INVALID, "list_members.status",
               "unknown status filter");

    Cogov__V1__AdvanceCalendar ac = COGOV__V1__ADVANCE_CALENDAR__INIT;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_ADVANCE_CALENDAR;
    req.advance_calendar = &ac;
    expect_req(w, H_COORD, conn, &req, INVALID, "advance_calendar.to",
               "no time");
    ac.to = 946684800; /* 2000: before the calendar's start */
    ac.has_to = 1;
    expect_req(w, H_COORD, conn, &req, CONFLICT, "advance_calendar.to",
               "calendar backwards");
    raw_close(w, conn);
}

/* ---- the secretariat's bodies
 * ------------------------------------------------- */

static void
test_secretariat_values(void **state)
{
    world_t *w = *state;
    void *conn = raw_conn(w, H_SECR, &w->secr);
    Cogov__V1__AcknowledgeNotice an = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
    req.acknowledge_notice = &an;

    an.notice_id = "welcome:coordination:999999";
    an.member_id = w->a;
    expect_req(w, H_SECR, conn, &req, NOT_FOUND, "welcome:coordination:999999",
               "nonexistent notice");
    an.notice_id = w->notice_a;
    an.member_id = w->b;
    expect_req(w, H_SECR, conn, &req, CONFLICT, NULL, "not an addressee");
    an.notice_id = "";
    an.member_id = w->a;
    expect_req(w, H_SECR, conn, &req, INVALID, "acknowledge_notice.notice_id",
               "empty notice id");
    an.notice_id = w->notice_a;
    an.member_id = NULL;
    expect_req(w, H_SECR, conn, &req, INVALID, "acknowledge_notice.member_id",
               "no member (secretariat)");
    an.notice_id = "welcome:\xed\xa0\x80"; /* a UTF-16 surrogate */
    an.member_id = w->a;
    expect_req(w, H_SECR, conn, &req, INVALID, "acknowledge_notice.notice_id",
               "surrogate in notice id");

    Cogov__V1__GetNotice gn = COGOV__V1__GET_NOTICE__INIT;
    gn.notice_id = "farewell:coordination:1";
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_GET_NOTICE;
    req.get_notice = &gn;
    expect_req(w, H_SECR, conn, &req, NOT_FOUND, NULL, "get nonexistent");

    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.kind = 42;
    ln.has_kind = 1;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    expect_req(w, H_SECR, conn, &req, INVALID, "list_notices.kind",
               "unknown notice kind");
    raw_close(w, conn);
}

/* A request need not carry a correlation id (proto: optional); the daemon
 * makes one. */
static void
test_no_correlation_id(void **state)
{
    world_t *w = *state;
    for (int which = 0; which < H_CORE; which++) {
        void *conn = raw_conn(w, which, &w->c.op);
        Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
        req.get_status = &gs;
        req.request_id = "no-corr";
        size_t len = 0;
        uint8_t *buf = pb_pack((const ProtobufCMessage *)&req, &len);
        Cogov__V1__Reply *rep = send_bytes(conn, buf, len);
        free(buf);
        assert_non_null(rep);
        assert_int_equal(rep->code, OK);
        assert_false(str_empty(rep->correlation_id));
        cogov__v1__reply__free_unpacked(rep, NULL);
        req.correlation_id = ""; /* present but empty */
        buf = pb_pack((const ProtobufCMessage *)&req, &len);
        rep = send_bytes(conn, buf, len);
        free(buf);
        assert_non_null(rep);
        assert_int_equal(rep->code, OK);
        cogov__v1__reply__free_unpacked(rep, NULL);
        raw_close(w, conn);
        (void)snap_of(w, which);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_oversized_frame),
        cmocka_unit_test(test_allocation_bomb),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_coordination_values),
        cmocka_unit_test(test_secretariat_values),
        cmocka_unit_test(test_no_correlation_id),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
