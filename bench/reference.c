/* reference: the benchmark's reference pipeline, written without cogov's
 * runtime (no svc, follow, store, auth, pb, log): raw ZeroMQ with CURVE and
 * SQLite, the same shape as cogov's producer -> consumers.
 *
 * Producer: one ROUTER (CURVE server, keys from zmq_curve_keypair, no ZAP
 * handler: libzmq then admits any client key). Each poll round it takes every
 * request that has arrived, runs the commands (apply_member /
 * decide_member: a state row and an outbox row holding the packed Event) in
 * one BEGIN IMMEDIATE transaction (WAL, synchronous=FULL), commits, then
 * replies. Fetch{after_seq, max_events, max_wait_ms} is answered from the
 * outbox at once or, if nothing is new, when a commit brings something or
 * the wait ends (long-poll). The Batch is spliced from the stored event
 * bytes without decoding them.
 *
 * Consumer: one DEALER; Fetch, then apply the whole batch (one row per
 * event, like cogov-bench-consumer) and advance its cursor in one
 * transaction, then Fetch again.
 *
 * Only the wire contract (the protobuf-c code generated from proto/) is
 * shared with cogov, so the load client and the latency readout are the
 * same for both pipelines. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cogov/v1/envelope.pb-c.h"

/* Entry points used by bench.c (cogov-bench re-executes itself with
 * --ref-producer DIR or --ref-consumer DIR I). */
int ref_write_keys(const char *dir, char server_pub[41], char client_pub[41],
                   char client_sec[41]);
int ref_producer_main(const char *dir);
int ref_consumer_main(const char *dir, int idx);

#define REF_FETCH_MAX 1000
#define REF_FETCH_WAIT_MS 10000
#define REF_ROUND_MAX 4096

static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static int64_t
wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
must(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "reference: out of memory\n");
        abort();
    }
    return p;
}

/* ---- keys ---------------------------------------------------------------- */

int
ref_write_keys(const char *dir, char server_pub[41], char client_pub[41],
               char client_sec[41])
{
    char server_sec[41], path[256];
    if (zmq_curve_keypair(server_pub, server_sec) != 0 ||
        zmq_curve_keypair(client_pub, client_sec) != 0)
        return -ENOTSUP;
    snprintf(path, sizeof(path), "%s/ref.keys", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -errno;
    fprintf(f, "%s\n%s\n%s\n%s\n", server_pub, server_sec, client_pub,
            client_sec);
    return fclose(f) == 0 ? 0 : -EIO;
}

static int
read_keys(const char *dir, char keys[4][41])
{
    char path[256];
    snprintf(path, sizeof(path), "%s/ref.keys", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -errno;
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++) {
        char line[128];
        if (fgets(line, sizeof(line), f) == NULL || strlen(line) < 40)
            rc = -EINVAL;
        else {
            memcpy(keys[i], line, 40);
            keys[i][40] = 0;
        }
    }
    fclose(f);
    return rc;
}

/* ---- SQLite -------------------------------------------------------------- */

static sqlite3 *
db_open(const char *path, const char *schema)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "reference: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    char *err = NULL;
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "PRAGMA busy_timeout=5000;",
                     NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "reference: %s: %s\n", path, err ? err : "?");
        sqlite3_free(err);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "reference: %s: %s\n", sql, sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

static int
exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "reference: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -EIO;
    }
    return 0;
}

/* ---- protobuf wire helpers (splicing stored events into a Batch) --------- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf_t;

static void
buf_need(buf_t *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    while (b->len + n > b->cap)
        b->cap = b->cap ? b->cap * 2 : 4096;
    b->p = must(realloc(b->p, b->cap));
}

static void
put_varint(buf_t *b, uint64_t v)
{
    buf_need(b, 10);
    while (v >= 0x80) {
        b->p[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (uint8_t)v;
}

static void
put_bytes(buf_t *b, uint32_t field, const void *data, size_t len)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, len);
    buf_need(b, len);
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void
put_uint(buf_t *b, uint32_t field, uint64_t v)
{
    put_varint(b, (uint64_t)field << 3);
    put_varint(b, v);
}

/* ---- producer ------------------------------------------------------------ */

typedef struct waiter {
    struct waiter *next;
    zmq_msg_t rid;
    char *request_id;
    uint64_t after;
    uint32_t max;
    int64_t deadline;
} waiter_t;

typedef struct outreply {
    zmq_msg_t rid;
    uint8_t *data;
    size_t len;
} outreply_t;

typedef struct producer {
    void *router;
    sqlite3 *db;
    sqlite3_stmt *ins_member, *upd_member, *ins_outbox, *read_outbox;
    uint64_t head, pending_head;
    uint64_t epoch;
    bool in_tx;
    waiter_t *waiters;
    outreply_t *out;
    size_t n_out, cap_out;
    buf_t batch, reply;
} producer_t;

static const char k_producer_schema[] =
    "CREATE TABLE IF NOT EXISTS member(id TEXT PRIMARY KEY, name TEXT, "
    "type INTEGER, status INTEGER) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY, "
    "recorded_at INTEGER, event BLOB);";

static void
queue_reply(producer_t *p, zmq_msg_t *rid, uint8_t *data, size_t len)
{
    if (p->n_out == p->cap_out) {
        p->cap_out = p->cap_out ? p->cap_out * 2 : 256;
        p->out = must(realloc(p->out, p->cap_out * sizeof(*p->out)));
    }
    outreply_t *o = &p->out[p->n_out++];
    zmq_msg_init(&o->rid);
    zmq_msg_copy(&o->rid, rid);
    o->data = data;
    o->len = len;
}

static void
send_one(producer_t *p, zmq_msg_t *rid, const void *data, size_t len)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, rid);
    if (zmq_msg_send(&id, p->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return;
    }
    zmq_send(p->router, data, len, ZMQ_DONTWAIT);
}

static uint8_t *
pack_reply(Cogov__V1__Reply *rep, size_t *len)
{
    *len = cogov__v1__reply__get_packed_size(rep);
    uint8_t *b = must(malloc(*len ? *len : 1));
    cogov__v1__reply__pack(rep, b);
    return b;
}

static void
queue_status(producer_t *p, zmq_msg_t *rid, const char *request_id,
             Cogov__V1__StatusCode code, const char *error)
{
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    Cogov__V1__ServiceStatus st = COGOV__V1__SERVICE_STATUS__INIT;
    rep.has_code = 1;
    rep.code = code;
    rep.request_id = (char *)request_id;
    rep.error = (char *)error;
    if (code == COGOV__V1__STATUS_CODE__STATUS_OK && error == NULL) {
        st.service = "reference";
        st.has_head_seq = 1;
        st.head_seq = p->head;
        rep.body_case = COGOV__V1__REPLY__BODY_STATUS;
        rep.status = &st;
    }
    size_t len;
    uint8_t *b = pack_reply(&rep, &len);
    queue_reply(p, rid, b, len);
}

/* Reply{code OK, request_id, batch{producer, epoch, head, events...}},
 * the events spliced in as stored. */
static void
serve_fetch(producer_t *p, zmq_msg_t *rid, const char *request_id,
            uint64_t after, uint32_t max)
{
    buf_t *b = &p->batch, *r = &p->reply;
    b->len = r->len = 0;
    put_bytes(b, 1, "reference", 9);
    put_uint(b, 2, p->epoch);
    put_uint(b, 3, p->head);
    sqlite3_stmt *st = p->read_outbox;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)p->head);
    sqlite3_bind_int64(st, 3, max);
    while (sqlite3_step(st) == SQLITE_ROW)
        put_bytes(b, 4, sqlite3_column_blob(st, 0),
                  (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_reset(st);
    put_uint(r, 1, COGOV__V1__STATUS_CODE__STATUS_OK);
    if (request_id != NULL)
        put_bytes(r, 3, request_id, strlen(request_id));
    put_bytes(r, 20, b->p, b->len);
    send_one(p, rid, r->p, r->len);
}

static void
serve_waiters(producer_t *p, bool all)
{
    int64_t now = mono_ms();
    waiter_t **pp = &p->waiters;
    while (*pp != NULL) {
        waiter_t *w = *pp;
        if (all || w->after < p->head || now >= w->deadline) {
            *pp = w->next;
            serve_fetch(p, &w->rid, w->request_id, w->after, w->max);
            zmq_msg_close(&w->rid);
            free(w->request_id);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static int
begin_tx(producer_t *p)
{
    if (p->in_tx)
        return 0;
    if (exec_ok(p->db, "BEGIN IMMEDIATE") != 0)
        return -EIO;
    p->in_tx = true;
    p->pending_head = p->head;
    return 0;
}

static int
append_event(producer_t *p, Cogov__V1__Event *ev, const char *rq)
{
    ev->producer = "reference";
    ev->has_seq = 1;
    ev->seq = p->pending_head + 1;
    ev->has_epoch = 1;
    ev->epoch = p->epoch;
    ev->has_recorded_at = 1;
    ev->recorded_at = wall_us();
    ev->causation_id = (char *)rq;
    size_t len = cogov__v1__event__get_packed_size(ev);
    uint8_t stack[1024];
    uint8_t *b = len <= sizeof(stack) ? stack : must(malloc(len));
    cogov__v1__event__pack(ev, b);
    sqlite3_stmt *st = p->ins_outbox;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
    sqlite3_bind_int64(st, 2, ev->recorded_at);
    sqlite3_bind_blob(st, 3, b, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (b != stack)
        free(b);
    if (rc != SQLITE_DONE)
        return -EIO;
    p->pending_head = ev->seq;
    return 0;
}

/* A command: state change + outbox row, inside the round's transaction. */
static Cogov__V1__StatusCode
run_command(producer_t *p, const Cogov__V1__Request *req)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    if (begin_tx(p) != 0)
        return COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE;
    if (req->body_case == COGOV__V1__REQUEST__BODY_APPLY_MEMBER) {
        const Cogov__V1__ApplyMember *a = req->apply_member;
        if (a->uscc == NULL || a->name == NULL)
            return COGOV__V1__STATUS_CODE__STATUS_INVALID;
        sqlite3_stmt *st = p->ins_member;
        sqlite3_bind_text(st, 1, a->uscc, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, a->type);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return COGOV__V1__STATUS_CODE__STATUS_CONFLICT;
        Cogov__V1__MemberApplied ma = COGOV__V1__MEMBER_APPLIED__INIT;
        ma.member_id = a->uscc;
        ma.name = a->name;
        ma.has_type = 1;
        ma.type = a->type;
        ev.type = "member_applied";
        ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_APPLIED;
        ev.member_applied = &ma;
        return append_event(p, &ev, req->request_id) == 0
                   ? COGOV__V1__STATUS_CODE__STATUS_OK
                   : COGOV__V1__STATUS_CODE__STATUS_INTERNAL;
    }
    const Cogov__V1__DecideMember *d = req->decide_member;
    if (d->member_id == NULL)
        return COGOV__V1__STATUS_CODE__STATUS_INVALID;
    sqlite3_stmt *st = p->upd_member;
    sqlite3_bind_text(st, 1, d->member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || sqlite3_changes(p->db) != 1)
        return COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND;
    Cogov__V1__MemberStatusChanged m = COGOV__V1__MEMBER_STATUS_CHANGED__INIT;
    m.member_id = d->member_id;
    m.has_from = m.has_to = 1;
    m.from = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED;
    m.to = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED;
    ev.type = "member_admitted";
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED;
    ev.member_admitted = &m;
    return append_event(p, &ev, req->request_id) == 0
               ? COGOV__V1__STATUS_CODE__STATUS_OK
               : COGOV__V1__STATUS_CODE__STATUS_INTERNAL;
}

static void
take_request(producer_t *p, zmq_msg_t *rid, zmq_msg_t *body)
{
    Cogov__V1__Request *req = cogov__v1__request__unpack(
        NULL, zmq_msg_size(body), zmq_msg_data(body));
    if (req == NULL) {
        queue_status(p, rid, NULL, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                     "malformed request");
        return;
    }
    switch (req->body_case) {
    case COGOV__V1__REQUEST__BODY_FETCH: {
        const Cogov__V1__Fetch *f = req->fetch;
        uint32_t max = f->max_events && f->max_events < REF_FETCH_MAX
                           ? f->max_events
                           : REF_FETCH_MAX;
        uint64_t after = f->after_seq;
        if (after < p->head || f->max_wait_ms == 0) {
            serve_fetch(p, rid, req->request_id, after, max);
            break;
        }
        waiter_t *w = must(calloc(1, sizeof(*w)));
        zmq_msg_init(&w->rid);
        zmq_msg_copy(&w->rid, rid);
        w->request_id = req->request_id ? strdup(req->request_id) : NULL;
        w->after = after;
        w->max = max;
        w->deadline = mono_ms() + f->max_wait_ms;
        w->next = p->waiters;
        p->waiters = w;
        break;
    }
    case COGOV__V1__REQUEST__BODY_GET_STATUS:
        queue_status(p, rid, req->request_id, COGOV__V1__STATUS_CODE__STATUS_OK,
                     NULL);
        break;
    case COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM:
        queue_status(p, rid, req->request_id, COGOV__V1__STATUS_CODE__STATUS_OK,
                     "");
        break;
    case COGOV__V1__REQUEST__BODY_APPLY_MEMBER:
    case COGOV__V1__REQUEST__BODY_DECIDE_MEMBER: {
        Cogov__V1__StatusCode code = run_command(p, req);
        queue_status(p, rid, req->request_id, code,
                     code == COGOV__V1__STATUS_CODE__STATUS_OK ? ""
                                                               : "refused");
        break;
    }
    default:
        queue_status(p, rid, req->request_id,
                     COGOV__V1__STATUS_CODE__STATUS_INVALID, "not served");
        break;
    }
    cogov__v1__request__free_unpacked(req, NULL);
}

static void
flush_round(producer_t *p)
{
    if (p->in_tx) {
        if (exec_ok(p->db, "COMMIT") == 0) {
            p->head = p->pending_head;
        } else {
            exec_ok(p->db, "ROLLBACK");
            fprintf(stderr, "reference: commit failed\n");
        }
        p->in_tx = false;
    }
    for (size_t i = 0; i < p->n_out; i++) {
        send_one(p, &p->out[i].rid, p->out[i].data, p->out[i].len);
        zmq_msg_close(&p->out[i].rid);
        free(p->out[i].data);
    }
    p->n_out = 0;
    if (p->waiters != NULL)
        serve_waiters(p, false);
}

static long
next_timeout(const producer_t *p)
{
    if (p->waiters == NULL)
        return -1;
    int64_t first = INT64_MAX, now = mono_ms();
    for (const waiter_t *w = p->waiters; w != NULL; w = w->next)
        if (w->deadline < first)
            first = w->deadline;
    return first <= now ? 0 : (long)(first - now);
}

int
ref_producer_main(const char *dir)
{
    char keys[4][41], path[256];
    producer_t p;
    memset(&p, 0, sizeof(p));
    install_signals();
    if (read_keys(dir, keys) != 0) {
        fprintf(stderr, "reference: cannot read %s/ref.keys\n", dir);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/ref-producer.db", dir);
    p.db = db_open(path, k_producer_schema);
    if (p.db == NULL)
        return 1;
    p.ins_member = prep(p.db, "INSERT INTO member(id, name, type, status) "
                              "VALUES(?1, ?2, ?3, 1)");
    p.upd_member = prep(p.db, "UPDATE member SET status = 2 WHERE id = ?1 "
                              "AND status = 1");
    p.ins_outbox = prep(p.db, "INSERT INTO outbox(seq, recorded_at, event) "
                              "VALUES(?1, ?2, ?3)");
    p.read_outbox = prep(p.db, "SELECT event FROM outbox WHERE seq > ?1 AND "
                               "seq <= ?2 ORDER BY seq LIMIT ?3");
    sqlite3_stmt *h = prep(p.db, "SELECT coalesce(max(seq), 0) FROM outbox");
    if (!p.ins_member || !p.upd_member || !p.ins_outbox || !p.read_outbox || !h)
        return 1;
    if (sqlite3_step(h) == SQLITE_ROW)
        p.head = (uint64_t)sqlite3_column_int64(h, 0);
    sqlite3_finalize(h);
    p.epoch = 1;

    void *zctx = zmq_ctx_new();
    p.router = zmq_socket(zctx, ZMQ_ROUTER);
    int one = 1, zero = 0, hwm = 100000;
    zmq_setsockopt(p.router, ZMQ_CURVE_SERVER, &one, sizeof(one));
    zmq_setsockopt(p.router, ZMQ_CURVE_SECRETKEY, keys[1], 40);
    zmq_setsockopt(p.router, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(p.router, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(p.router, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    snprintf(path, sizeof(path), "ipc://%s/rp.sock", dir);
    if (zmq_bind(p.router, path) != 0) {
        fprintf(stderr, "reference: bind %s: %s\n", path, zmq_strerror(errno));
        return 1;
    }
    while (!g_stop) {
        zmq_pollitem_t it = {p.router, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, next_timeout(&p));
        if (n < 0 && errno != EINTR)
            break;
        for (int k = 0; k < REF_ROUND_MAX; k++) {
            zmq_msg_t rid, body;
            zmq_msg_init(&rid);
            if (zmq_msg_recv(&rid, p.router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&rid);
                break;
            }
            zmq_msg_init(&body);
            if (zmq_msg_more(&rid) &&
                zmq_msg_recv(&body, p.router, ZMQ_DONTWAIT) >= 0)
                take_request(&p, &rid, &body);
            zmq_msg_close(&body);
            zmq_msg_close(&rid);
        }
        flush_round(&p);
    }
    serve_waiters(&p, true);
    zmq_close(p.router);
    zmq_ctx_term(zctx);
    sqlite3_finalize(p.ins_member);
    sqlite3_finalize(p.upd_member);
    sqlite3_finalize(p.ins_outbox);
    sqlite3_finalize(p.read_outbox);
    sqlite3_close(p.db);
    free(p.out);
    free(p.batch.p);
    free(p.reply.p);
    return 0;
}

/* ---- consumer ------------------------------------------------------------ */

static const char k_consumer_schema[] =
    "CREATE TABLE IF NOT EXISTS applied(producer TEXT NOT NULL, seq INTEGER "
    "NOT NULL, recorded_at_us INTEGER NOT NULL, applied_us INTEGER NOT NULL, "
    "PRIMARY KEY(producer, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cursor(producer TEXT PRIMARY KEY, epoch "
    "INTEGER, applied_seq INTEGER);"
    "INSERT OR IGNORE INTO cursor VALUES('reference', 0, 0);";

int
ref_consumer_main(const char *dir, int idx)
{
    char keys[4][41], path[256];
    install_signals();
    if (read_keys(dir, keys) != 0) {
        fprintf(stderr, "reference: cannot read %s/ref.keys\n", dir);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/ref-c%d.db", dir, idx);
    sqlite3 *db = db_open(path, k_consumer_schema);
    if (db == NULL)
        return 1;
    sqlite3_stmt *ins = prep(db, "INSERT OR IGNORE INTO applied(producer, "
                                 "seq, recorded_at_us, applied_us) "
                                 "VALUES(?1, ?2, ?3, ?4)");
    sqlite3_stmt *cur = prep(db, "UPDATE cursor SET epoch = ?1, "
                                 "applied_seq = ?2 WHERE producer = "
                                 "'reference'");
    sqlite3_stmt *get = prep(db, "SELECT applied_seq FROM cursor WHERE "
                                 "producer = 'reference'");
    if (!ins || !cur || !get)
        return 1;
    uint64_t applied = 0;
    if (sqlite3_step(get) == SQLITE_ROW)
        applied = (uint64_t)sqlite3_column_int64(get, 0);
    sqlite3_finalize(get);

    void *zctx = zmq_ctx_new();
    void *sock = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, keys[0], 40);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, keys[2], 40);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, keys[3], 40);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
    snprintf(path, sizeof(path), "ipc://%s/rp.sock", dir);
    zmq_connect(sock, path);

    uint64_t fetch_no = 0;
    char want[32] = "";
    bool in_flight = false;
    int64_t sent_at = 0;
    while (!g_stop) {
        if (!in_flight) {
            Cogov__V1__Fetch f = COGOV__V1__FETCH__INIT;
            Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
            f.has_after_seq = f.has_max_events = f.has_max_wait_ms = 1;
            f.after_seq = applied;
            f.max_events = REF_FETCH_MAX;
            f.max_wait_ms = REF_FETCH_WAIT_MS;
            snprintf(want, sizeof(want), "f-%" PRIu64, ++fetch_no);
            req.request_id = want;
            req.body_case = COGOV__V1__REQUEST__BODY_FETCH;
            req.fetch = &f;
            uint8_t b[128];
            size_t len = cogov__v1__request__pack(&req, b);
            zmq_send(sock, b, len, ZMQ_DONTWAIT);
            in_flight = true;
            sent_at = mono_ms();
        }
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, 1000);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0) {
            if (mono_ms() - sent_at > REF_FETCH_WAIT_MS * 3 / 2 + 500)
                in_flight = false; /* lost: ask again */
            continue;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        Cogov__V1__Reply *rep = cogov__v1__reply__unpack(
            NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        zmq_msg_close(&msg);
        if (rep == NULL || rep->request_id == NULL ||
            strcmp(rep->request_id, want) != 0 || rep->batch == NULL) {
            if (rep != NULL)
                cogov__v1__reply__free_unpacked(rep, NULL);
            continue;
        }
        in_flight = false;
        Cogov__V1__Batch *b = rep->batch;
        if (b->n_events > 0) {
            uint64_t start = applied;
            int ok = exec_ok(db, "BEGIN IMMEDIATE") == 0;
            for (size_t i = 0; ok && i < b->n_events; i++) {
                const Cogov__V1__Event *ev = b->events[i];
                if (ev->seq <= applied)
                    continue;
                if (ev->seq != applied + 1)
                    break; /* gap: fetch again from the cursor */
                sqlite3_bind_text(ins, 1, "reference", -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 2, (sqlite3_int64)ev->seq);
                sqlite3_bind_int64(ins, 3, ev->recorded_at);
                sqlite3_bind_int64(ins, 4, wall_us());
                ok = sqlite3_step(ins) == SQLITE_DONE;
                sqlite3_reset(ins);
                if (ok)
                    applied = ev->seq;
            }
            if (ok) {
                sqlite3_bind_int64(cur, 1, (sqlite3_int64)b->epoch);
                sqlite3_bind_int64(cur, 2, (sqlite3_int64)applied);
                ok = sqlite3_step(cur) == SQLITE_DONE;
                sqlite3_reset(cur);
            }
            if (!ok || exec_ok(db, "COMMIT") != 0) {
                exec_ok(db, "ROLLBACK");
                applied = start;
            }
        }
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
    zmq_close(sock);
    zmq_ctx_term(zctx);
    sqlite3_finalize(ins);
    sqlite3_finalize(cur);
    sqlite3_close(db);
    return 0;
}
