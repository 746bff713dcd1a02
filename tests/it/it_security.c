/* it_security: the protections of DESIGN 2.5 through the real daemons —
 * CURVE with a ZAP allow-list (unknown keys and plain sockets get nothing),
 * roles checked per message (deny by default, revocation at once on
 * SIGHUP), member representatives confined to their own unit, streams as a
 * permission, idempotency scoped to the principal, and daemons that refuse
 * to start without a sound allow-list or ZAP handler. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "pb.h"
#include "util.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAUTH COGOV__V1__STATUS_CODE__STATUS_UNAUTHENTICATED
#define ADMIT COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT

/* ---- helpers ---------------------------------------------------------------
 */

/* One call with a client the caller keeps; NULL when nothing answered
 * within total_ms. */
static Cogov__V1__Reply *
call_with(client_t *cl, Cogov__V1__Request *req, int total_ms)
{
    char err[256];
    Cogov__V1__Reply *rep =
        client_call(cl, req, total_ms, total_ms, err, sizeof(err));
    if (rep != NULL && rep->code != OK)
        printf("#   -> code %d: %s\n", rep->code, rep->error);
    return rep;
}

/* One call as kp on a fresh connection. */
static Cogov__V1__Reply *
call_as(cluster_t *c, int which, const keypair_t *kp, Cogov__V1__Request *req,
        int total_ms)
{
    client_t *cl = cluster_client_as(c, which, kp);
    assert_non_null(cl);
    Cogov__V1__Reply *rep = call_with(cl, req, total_ms);
    /* The request id may point into the client: forget it. */
    req->request_id = req->correlation_id = NULL;
    client_destroy(&cl);
    return rep;
}

static int
code_as(cluster_t *c, int which, const keypair_t *kp, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep = call_as(c, which, kp, req, 10000);
    assert_non_null(rep);
    int code = rep->code;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return code;
}

static void
req_status(Cogov__V1__Request *req, Cogov__V1__GetStatus *gs)
{
    cogov__v1__get_status__init(gs);
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req->get_status = gs;
}

typedef struct figures {
    uint64_t head, denials, rejects;
} figures_t;

/* The operator's view of a daemon's status; fails the test if it does not
 * answer. */
static figures_t
status_of(cluster_t *c, int which)
{
    Cogov__V1__GetStatus gs;
    Cogov__V1__Request req;
    req_status(&req, &gs);
    Cogov__V1__Reply *rep = call_as(c, which, &c->op, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_STATUS);
    figures_t f = {rep->status->head_seq, rep->status->denials,
                   rep->status->rejects};
    cogov__v1__reply__free_unpacked(rep, NULL);
    return f;
}

/* Wait (bounded) until kp's GetStatus is answered OK by daemon `which`: the
 * reload that added it has taken effect. */
static bool
wait_admitted(cluster_t *c, int which, const keypair_t *kp)
{
    int64_t deadline = now_mono_ms() + 10000;
    while (now_mono_ms() < deadline) {
        Cogov__V1__GetStatus gs;
        Cogov__V1__Request req;
        req_status(&req, &gs);
        Cogov__V1__Reply *rep = call_as(c, which, kp, &req, 300);
        bool ok = rep != NULL && rep->code == OK;
        if (rep != NULL)
            cogov__v1__reply__free_unpacked(rep, NULL);
        if (ok)
            return true;
    }
    return false;
}

/* Reload both daemons (the allow-list is one per deployment). */
static void
hup_all(cluster_t *c)
{
    for (int i = 0; i < H_N; i++)
        if (c->pid[i] > 0)
            assert_int_equal(cluster_hup(c, i, 10000), 0);
}

static void
found_req(Cogov__V1__Request *req, Cogov__V1__FoundConsortium *fc)
{
    cogov__v1__found_consortium__init(fc);
    fc->name = "滨江市智能制造市域产教联合体";
    fc->city = "滨江市";
    fc->park = "滨江高新技术产业开发区";
    fc->lead_department = "滨江市教育局";
    fc->founded_on = "2025-01-10";
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req->found_consortium = fc;
}

static void
apply_req(Cogov__V1__Request *req, Cogov__V1__ApplyMember *am, const char *uscc,
          const char *name, const char *phone)
{
    cogov__v1__apply_member__init(am);
    am->uscc = (char *)uscc;
    am->name = (char *)name;
    am->type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
    am->has_type = 1;
    am->contact_name = "联系人";
    am->contact_phone = (char *)phone;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req->apply_member = am;
}

static void
decide_req(Cogov__V1__Request *req, Cogov__V1__DecideMember *dm, const char *id,
           Cogov__V1__MemberDecision d)
{
    cogov__v1__decide_member__init(dm);
    dm->member_id = (char *)id;
    dm->decision = d;
    dm->has_decision = 1;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req->decide_member = dm;
}

static void
get_member_req(Cogov__V1__Request *req, Cogov__V1__GetMember *gm,
               const char *id)
{
    cogov__v1__get_member__init(gm);
    gm->member_id = (char *)id;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_GET_MEMBER;
    req->get_member = gm;
}

static void
ack_req(Cogov__V1__Request *req, Cogov__V1__AcknowledgeNotice *an,
        const char *notice, const char *member)
{
    cogov__v1__acknowledge_notice__init(an);
    an->notice_id = (char *)notice;
    an->member_id = (char *)member;
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
    req->acknowledge_notice = an;
}

static void
fetch_req(Cogov__V1__Request *req, Cogov__V1__Fetch *f)
{
    cogov__v1__fetch__init(f);
    f->has_max_wait_ms = 1; /* answer at once */
    cogov__v1__request__init(req);
    req->body_case = COGOV__V1__REQUEST__BODY_FETCH;
    req->fetch = f;
}

/* A consortium with units a and b applied (operator). */
static void
setup_consortium(cluster_t *c, const char *a, const char *b)
{
    Cogov__V1__FoundConsortium fc;
    Cogov__V1__ApplyMember am;
    Cogov__V1__Request req;
    found_req(&req, &fc);
    assert_int_equal(code_as(c, H_COORD, &c->op, &req), OK);
    apply_req(&req, &am, a, "滨江数控机床有限公司", "0571-00000001");
    assert_int_equal(code_as(c, H_COORD, &c->op, &req), OK);
    apply_req(&req, &am, b, "滨江精密模具有限公司", "0571-00000002");
    assert_int_equal(code_as(c, H_COORD, &c->op, &req), OK);
}

static uint64_t
members_hash(cluster_t *c)
{
    return store_hash(c->store[H_COORD], "SELECT * FROM members");
}

/* ---- unknown keys and plain sockets ---------------------------------------
 */

/* A raw DEALER with no security at all. */
static void *
plain_dealer(cluster_t *c, int which)
{
    void *s = zmq_socket(c->zctx, ZMQ_DEALER);
    assert_non_null(s);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(s, c->endpoint[which]), 0);
    return s;
}

/* Does anything arrive on s within ms? */
static bool
anything_within(void *s, int ms)
{
    zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
    return zmq_poll(&it, 1, ms) > 0;
}

/* A CURVE DEALER as kp: one connection, no retries. */
static void *
raw_conn(cluster_t *c, int which, const keypair_t *kp)
{
    char err[256];
    void *s = sock_client(c->zctx, c->endpoint[which], kp, c->pub[which], 0,
                          err, sizeof(err));
    if (s == NULL)
        fprintf(stderr, "sock_client: %s\n", err);
    assert_non_null(s);
    return s;
}

/* Send req on s and wait (bounded) for one reply frame. */
static Cogov__V1__Reply *
raw_call(void *s, const Cogov__V1__Request *req, int ms)
{
    Cogov__V1__Request copy = *req;
    if (copy.correlation_id == NULL)
        copy.correlation_id = "it-security";
    size_t len = 0;
    uint8_t *buf = pb_pack((const ProtobufCMessage *)&copy, &len);
    int rc = zmq_send(s, buf, len, 0);
    free(buf);
    assert_int_equal(rc, (int)len);
    if (!anything_within(s, ms))
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, s, 0) >= 0);
    assert_false(zmq_msg_more(&m));
    Cogov__V1__Reply *rep =
        cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    assert_non_null(rep);
    return rep;
}

static void
test_unknown_key_and_plain_socket(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "unknown"), 0);
    for (int w = 0; w < H_CORE; w++)
        assert_int_equal(cluster_start(&c, w), 0);
    for (int w = 0; w < H_CORE; w++) {
        printf("# %s\n", h_names[w]);
        figures_t before = status_of(&c, w);

        /* A well-formed CURVE client whose key is on no list. */
        keypair_t stranger;
        assert_int_equal(keys_generate(&stranger), 0);
        Cogov__V1__GetStatus gs;
        Cogov__V1__Request req;
        req_status(&req, &gs);
        req.request_id = "stranger-1";
        /* Raw, so that even a reply without our request id would show. */
        void *conn = raw_conn(&c, w, &stranger);
        Cogov__V1__Reply *rep = raw_call(conn, &req, 1000);
        assert_null(rep);
        zmq_close(conn);
        figures_t after = status_of(&c, w);
        printf("#   denials %llu -> %llu\n", (unsigned long long)before.denials,
               (unsigned long long)after.denials);
        assert_true(after.denials > before.denials);
        assert_int_equal(after.head, before.head);

        /* No CURVE at all: nothing comes back, not even an error. */
        void *plain = plain_dealer(&c, w);
        Cogov__V1__Request r2;
        req_status(&r2, &gs);
        r2.request_id = "plain-1";
        size_t len = 0;
        uint8_t *buf = pb_pack((ProtobufCMessage *)&r2, &len);
        assert_int_equal(zmq_send(plain, buf, len, 0), (int)len);
        free(buf);
        assert_false(anything_within(plain, 1000));
        zmq_close(plain);

        /* Still serving the operator. */
        figures_t later = status_of(&c, w);
        assert_int_equal(later.head, before.head);
    }
    for (int w = H_N - 1; w >= 0; w--)
        assert_int_equal(cluster_stop(&c, w), 0);
    cluster_destroy(&c);
}

/* ---- roles ------------------------------------------------------------------
 */

static void
test_role_denied(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "roles"), 0);
    for (int w = 0; w < H_CORE; w++)
        assert_int_equal(cluster_start(&c, w), 0);
    char a[19], b[19];
    uscc_make(101, a);
    uscc_make(102, b);
    setup_consortium(&c, a, b);

    keypair_t watcher;
    assert_int_equal(
        cluster_add_principal(&c, "watcher", "-", "OBSERVER", "-", &watcher),
        0);
    hup_all(&c);
    for (int w = 0; w < H_CORE; w++)
        assert_true(wait_admitted(&c, w, &watcher));

    figures_t before = status_of(&c, H_COORD);
    uint64_t mh = members_hash(&c);
    assert_int_not_equal(mh, 0);

    Cogov__V1__FoundConsortium fc;
    Cogov__V1__DecideMember dm;
    Cogov__V1__Request req;
    found_req(&req, &fc);
    fc.name = "另一个联合体";
    assert_int_equal(code_as(&c, H_COORD, &watcher, &req), DENIED);
    decide_req(&req, &dm, a, ADMIT);
    assert_int_equal(code_as(&c, H_COORD, &watcher, &req), DENIED);
    /* The observer may read (a query role) — the denial is about the role,
     * not about the key. */
    Cogov__V1__GetMember gm;
    get_member_req(&req, &gm, a);
    Cogov__V1__Reply *rep = call_as(&c, H_COORD, &watcher, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->member->status,
                     COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED);
    assert_null(rep->member->contact_phone); /* no contacts for observers */
    cogov__v1__reply__free_unpacked(rep, NULL);

    figures_t after = status_of(&c, H_COORD);
    assert_int_equal(after.head, before.head);
    assert_int_equal(members_hash(&c), mh);
    assert_int_equal(after.denials, before.denials + 2);
    for (int w = H_N - 1; w >= 0; w--)
        assert_int_equal(cluster_stop(&c, w), 0);
    cluster_destroy(&c);
}

/* ---- member representatives, revocation -----------------------------------
 */

/* The notice id of the (single) notice addressed to member. */
static void
notice_of(cluster_t *c, const char *member, char *out, size_t n)
{
    Cogov__V1__ListNotices ln = COGOV__V1__LIST_NOTICES__INIT;
    ln.member_id = (char *)member;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &ln;
    Cogov__V1__Reply *rep = call_as(c, H_SECR, &c->op, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->notice_list->n_notices, 1);
    str_copy(out, n, rep->notice_list->notices[0]->notice_id);
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static int
acks_of(cluster_t *c, const char *notice)
{
    Cogov__V1__GetNotice gn = COGOV__V1__GET_NOTICE__INIT;
    gn.notice_id = (char *)notice;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_NOTICE;
    req.get_notice = &gn;
    Cogov__V1__Reply *rep = call_as(c, H_SECR, &c->op, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    int n = (int)rep->notice->n_acknowledged;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return n;
}

static void
test_member_rep_and_revocation(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "rep"), 0);
    for (int w = 0; w < H_CORE; w++)
        assert_int_equal(cluster_start(&c, w), 0);
    char a[19], b[19];
    uscc_make(201, a);
    uscc_make(202, b);
    setup_consortium(&c, a, b);
    Cogov__V1__DecideMember dm;
    Cogov__V1__Request req;
    decide_req(&req, &dm, a, ADMIT);
    assert_int_equal(code_as(&c, H_COORD, &c.op, &req), OK);
    decide_req(&req, &dm, b, ADMIT);
    assert_int_equal(code_as(&c, H_COORD, &c.op, &req), OK);
    assert_int_equal(cluster_sync(&c, 20000), 0);
    char notice_a[128], notice_b[128];
    notice_of(&c, a, notice_a, sizeof(notice_a));
    notice_of(&c, b, notice_b, sizeof(notice_b));

    keypair_t rep_a;
    assert_int_equal(
        cluster_add_principal(&c, "rep-a", a, "MEMBER_REP", "-", &rep_a), 0);
    hup_all(&c);
    for (int w = 0; w < H_CORE; w++)
        assert_true(wait_admitted(&c, w, &rep_a));

    /* Coordination: its own unit with contacts, never another's. */
    figures_t before = status_of(&c, H_COORD);
    Cogov__V1__GetMember gm;
    get_member_req(&req, &gm, b);
    assert_int_equal(code_as(&c, H_COORD, &rep_a, &req), DENIED);
    get_member_req(&req, &gm, a);
    Cogov__V1__Reply *rep = call_as(&c, H_COORD, &rep_a, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_string_equal(rep->member->member_id, a);
    assert_non_null(rep->member->contact_phone);
    assert_string_equal(rep->member->contact_phone, "0571-00000001");
    cogov__v1__reply__free_unpacked(rep, NULL);
    Cogov__V1__ListMembers lm = COGOV__V1__LIST_MEMBERS__INIT;
    cogov__v1__request__init(&req);
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_MEMBERS;
    req.list_members = &lm;
    rep = call_as(&c, H_COORD, &rep_a, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    for (size_t i = 0; i < rep->member_list->n_members; i++) {
        const Cogov__V1__Member *m = rep->member_list->members[i];
        if (strcmp(m->member_id, a) != 0)
            assert_null(m->contact_phone);
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    (void)before;

    /* Secretariat: acknowledges for its own unit only. */
    figures_t sb = status_of(&c, H_SECR);
    uint64_t nh = store_hash(c.store[H_SECR], NULL);
    Cogov__V1__AcknowledgeNotice an;
    ack_req(&req, &an, notice_b, b);
    assert_int_equal(code_as(&c, H_SECR, &rep_a, &req), DENIED);
    ack_req(&req, &an, notice_a, b); /* its notice, the other unit's name */
    assert_int_equal(code_as(&c, H_SECR, &rep_a, &req), DENIED);
    figures_t sa = status_of(&c, H_SECR);
    assert_int_equal(sa.head, sb.head);
    assert_int_equal(store_hash(c.store[H_SECR], NULL), nh);
    assert_int_equal(acks_of(&c, notice_b), 0);
    ack_req(&req, &an, notice_a, a);
    assert_int_equal(code_as(&c, H_SECR, &rep_a, &req), OK);
    assert_int_equal(acks_of(&c, notice_a), 1);
    assert_int_equal(status_of(&c, H_SECR).head, sb.head + 1);

    /* Revocation: the line goes, SIGHUP, and the very next message on the
     * connection that was accepted before is refused. A raw DEALER keeps
     * that one connection for certain (client_t would remake its socket on
     * silence). */
    void *conn[H_N];
    for (int w = 0; w < H_CORE; w++) {
        conn[w] = raw_conn(&c, w, &rep_a);
        get_member_req(&req, &gm, a);
        if (w == H_SECR)
            ack_req(&req, &an, notice_a, a); /* a write, already done */
        req.request_id = "before-revocation";
        rep = raw_call(conn[w], &req, 10000);
        assert_non_null(rep);
        assert_int_equal(rep->code, OK);
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
    assert_int_equal(cluster_remove_principal(&c, "rep-a"), 0);
    hup_all(&c);
    for (int w = 0; w < H_CORE; w++) {
        figures_t d0 = status_of(&c, w);
        get_member_req(&req, &gm, a);
        if (w == H_SECR)
            ack_req(&req, &an, notice_a, a);
        req.request_id = "after-revocation";
        rep = raw_call(conn[w], &req, 10000);
        assert_non_null(rep);
        printf("# %s: revoked: code %d: %s\n", h_names[w], rep->code,
               rep->error);
        assert_int_equal(rep->code, UNAUTH);
        cogov__v1__reply__free_unpacked(rep, NULL);
        figures_t d1 = status_of(&c, w);
        assert_int_equal(d1.denials, d0.denials + 1);
        assert_int_equal(d1.head, d0.head);
        zmq_close(conn[w]);
    }
    for (int w = H_N - 1; w >= 0; w--)
        assert_int_equal(cluster_stop(&c, w), 0);
    cluster_destroy(&c);
}

/* ---- streams ----------------------------------------------------------------
 */

static void
test_fetch_needs_the_stream(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "fetch"), 0);
    keypair_t bureau, watcher;
    /* Added before the start: no reload needed. */
    assert_int_equal(cluster_add_principal(&c, "hr-bureau", "-",
                                           "BUREAU_SYSTEM", "secretariat",
                                           &bureau),
                     0);
    assert_int_equal(
        cluster_add_principal(&c, "watcher", "-", "OBSERVER", "-", &watcher),
        0);
    for (int w = 0; w < H_CORE; w++)
        assert_int_equal(cluster_start(&c, w), 0);
    char a[19], b[19];
    uscc_make(301, a);
    uscc_make(302, b);
    setup_consortium(&c, a, b);

    Cogov__V1__Fetch f;
    Cogov__V1__Request req;
    figures_t before = status_of(&c, H_COORD);
    fetch_req(&req, &f);
    assert_int_equal(code_as(&c, H_COORD, &bureau, &req), DENIED);
    fetch_req(&req, &f);
    assert_int_equal(code_as(&c, H_COORD, &watcher, &req), DENIED);
    assert_int_equal(status_of(&c, H_COORD).denials, before.denials + 2);
    /* The operator reads coordination's stream: the events are there. */
    fetch_req(&req, &f);
    Cogov__V1__Reply *rep = call_as(&c, H_COORD, &c.op, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->batch->n_events, 3);
    cogov__v1__reply__free_unpacked(rep, NULL);

    fetch_req(&req, &f);
    assert_int_equal(code_as(&c, H_SECR, &watcher, &req), DENIED);
    fetch_req(&req, &f);
    rep = call_as(&c, H_SECR, &bureau, &req, 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, OK);
    assert_int_equal(rep->body_case, COGOV__V1__REPLY__BODY_BATCH);
    assert_string_equal(rep->batch->producer, "secretariat");
    cogov__v1__reply__free_unpacked(rep, NULL);
    for (int w = H_N - 1; w >= 0; w--)
        assert_int_equal(cluster_stop(&c, w), 0);
    cluster_destroy(&c);
}

/* ---- idempotency
 * -------------------------------------------------------------- */

static uint8_t *
packed(const Cogov__V1__Reply *rep, size_t *len)
{
    return pb_pack((const ProtobufCMessage *)rep, len);
}

static void
test_idempotency_scoped_to_principal(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "idem"), 0);
    keypair_t secr;
    assert_int_equal(cluster_add_principal(&c, "secr-office", "-",
                                           "SECRETARIAT", "-", &secr),
                     0);
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    Cogov__V1__FoundConsortium fc;
    Cogov__V1__ApplyMember am;
    Cogov__V1__Request req;
    found_req(&req, &fc);
    assert_int_equal(code_as(&c, H_COORD, &c.op, &req), OK);

    char a[19], d[19];
    uscc_make(401, a);
    uscc_make(402, d);
    apply_req(&req, &am, a, "滨江智能装备有限公司", "0571-1");
    req.request_id = "same-1";
    req.correlation_id = "corr-same-1";
    Cogov__V1__Reply *r1 = call_as(&c, H_COORD, &c.op, &req, 10000);
    assert_non_null(r1);
    assert_int_equal(r1->code, OK);
    apply_req(&req, &am, a, "滨江智能装备有限公司", "0571-1");
    req.request_id = "same-1";
    req.correlation_id = "corr-same-1";
    Cogov__V1__Reply *r2 = call_as(&c, H_COORD, &c.op, &req, 10000);
    assert_non_null(r2);
    assert_int_equal(r2->code, OK);
    size_t l1 = 0, l2 = 0;
    uint8_t *p1 = packed(r1, &l1), *p2 = packed(r2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(p1, p2, l1);
    free(p1);
    free(p2);
    cogov__v1__reply__free_unpacked(r1, NULL);
    cogov__v1__reply__free_unpacked(r2, NULL);
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type='member_applied'"),
                     1);

    /* Same id, another body: CONFLICT, nothing applied. */
    uint64_t mh = members_hash(&c);
    uint64_t head = status_of(&c, H_COORD).head;
    apply_req(&req, &am, d, "滨江别的公司", "0571-2");
    req.request_id = "same-1";
    assert_int_equal(code_as(&c, H_COORD, &c.op, &req), CONFLICT);
    assert_int_equal(members_hash(&c), mh);
    assert_int_equal(status_of(&c, H_COORD).head, head);

    /* The same id from another principal is its own request. */
    apply_req(&req, &am, d, "滨江别的公司", "0571-2");
    req.request_id = "same-1";
    Cogov__V1__Reply *r3 = call_as(&c, H_COORD, &secr, &req, 10000);
    assert_non_null(r3);
    assert_int_equal(r3->code, OK);
    assert_int_equal(r3->body_case, COGOV__V1__REPLY__BODY_MEMBER);
    assert_string_equal(r3->member->member_id, d);
    cogov__v1__reply__free_unpacked(r3, NULL);
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type='member_applied'"),
                     2);
    assert_int_equal(
        store_query_int(c.store[H_COORD], "SELECT count(*) FROM members"), 2);
    /* And its retry is answered from its own stored reply. */
    apply_req(&req, &am, d, "滨江别的公司", "0571-2");
    req.request_id = "same-1";
    assert_int_equal(code_as(&c, H_COORD, &secr, &req), OK);
    assert_int_equal(store_query_int(c.store[H_COORD],
                                     "SELECT count(*) FROM outbox WHERE "
                                     "type='member_applied'"),
                     2);
    assert_int_equal(cluster_stop(&c, H_COORD), 0);
    cluster_destroy(&c);
}

/* ---- refusing to start
 * -------------------------------------------------------- */

/* Run a daemon to completion (bounded); its exit status, -1 if it was
 * still running after timeout_ms (then killed). */
static int
run_to_exit(cluster_t *c, int which, int timeout_ms)
{
    const char *bin =
        getenv(which == H_COORD ? "COGOV_COORDINATION" : "COGOV_SECRETARIAT");
    assert_non_null(bin);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(c->log[which], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        execl(bin, bin, "-c", c->conf[which], (char *)NULL);
        _exit(127);
    }
    int64_t deadline = now_mono_ms() + timeout_ms;
    int st = 0;
    while (now_mono_ms() < deadline) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int
count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        if (ch == '\n')
            n++;
    fclose(f);
    return n;
}

static void
test_malformed_allow_list(void **state)
{
    (void)state;
    cluster_t c;
    assert_int_equal(cluster_init(&c, "badallow"), 0);
    /* A running daemon keeps its list when a reload finds a broken one. */
    assert_int_equal(cluster_start(&c, H_COORD), 0);
    int line = count_lines(c.allow) + 1;
    FILE *f = fopen(c.allow, "a");
    assert_non_null(f);
    fprintf(f, "%s intruder - SUPERUSER *\n", c.op.pub);
    fclose(f);
    assert_int_equal(cluster_hup(&c, H_COORD, 10000), 0);
    char where[160];
    snprintf(where, sizeof(where), "%s:%d:", c.allow, line);
    assert_true(
        (h_count_lines(c.log[H_COORD], "event=config.reload_failed") > 0));
    assert_true(h_count_lines(c.log[H_COORD], where) > 0);
    figures_t st = status_of(&c, H_COORD); /* the operator is still served */
    (void)st;
    assert_int_equal(cluster_stop(&c, H_COORD), 0);

    /* A start with that list: refused, non-zero, file:line in the log. */
    for (int w = 0; w < H_CORE; w++) {
        FILE *lf = fopen(c.log[w], "w"); /* a log of this start only */
        assert_non_null(lf);
        fclose(lf);
        int code = run_to_exit(&c, w, 20000);
        printf("# %s exited with %d\n", h_names[w], code);
        assert_true(code > 0 && code < 128);
        assert_true(h_count_lines(c.log[w], where) > 0);
        assert_true(h_count_lines(c.log[w], "unknown role") > 0);
        assert_false(h_count_lines(c.log[w], "event=service.ready") > 0);
        /* An orderly refusal, not a crash on the way out. */
        assert_true(h_count_lines(c.log[w], "event=service.stopped") > 0);
        assert_false(h_count_lines(c.log[w], "Sanitizer") > 0);
    }
    cluster_destroy(&c);
}

/* The ZAP endpoint can be bound once per context: a second handler (as a
 * daemon would meet if something in its process held it) is refused, and
 * svc refuses to start on NULL (open_everything). */
static void
test_zap_bind_refused_when_taken(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    void *first = zap_bind(ctx);
    assert_non_null(first);
    void *second = zap_bind(ctx);
    assert_null(second);
    zmq_close(first);
    zmq_ctx_term(ctx);
}

/* With no ZAP handler in its context, a CURVE server must refuse every
 * client (ZMQ_ZAP_ENFORCE_DOMAIN): without it libzmq accepts any key. */
static void
test_server_without_zap_accepts_nobody(void **state)
{
    (void)state;
    char dir[] = "/tmp/cg-nozap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char ep[64];
    snprintf(ep, sizeof(ep), "ipc://%s/s.sock", dir);
    keypair_t server, client;
    assert_int_equal(keys_generate(&server), 0);
    assert_int_equal(keys_generate(&client), 0);
    void *ctx = zmq_ctx_new();
    char err[256];
    void *srv = sock_server(ctx, ep, &server, 1 << 20, err, sizeof(err));
    assert_non_null(srv);
    void *cli = sock_client(ctx, ep, &client, server.pub, 0, err, sizeof(err));
    assert_non_null(cli);
    assert_int_equal(zmq_send(cli, "hello", 5, 0), 5);
    bool got = anything_within(srv, 1000);
    zmq_close(cli);
    zmq_close(srv);
    zmq_ctx_term(ctx);
    char path[96];
    snprintf(path, sizeof(path), "%s/s.sock", dir);
    unlink(path);
    rmdir(dir);
    assert_false(got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zap_bind_refused_when_taken),
        cmocka_unit_test(test_server_without_zap_accepts_nobody),
        cmocka_unit_test(test_unknown_key_and_plain_socket),
        cmocka_unit_test(test_role_denied),
        cmocka_unit_test(test_member_rep_and_revocation),
        cmocka_unit_test(test_fetch_needs_the_stream),
        cmocka_unit_test(test_idempotency_scoped_to_principal),
        cmocka_unit_test(test_malformed_allow_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
