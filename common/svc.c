/* svc: the daemon runtime (lifecycle, the request boundary, the event stream
 * it serves). Consumers of other streams live in follow.c. */
#include "svc_int.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "admin.h"
#include "deadletter.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pb.h"
#include "util.h"
#include "validate.h"

#define SVC_DEFAULT_CONF_DIR "/etc/cogov"
#define FETCH_WAIT_CAP_MS 30000
#define REPLY_MAX_STRING 65536
#define REPLY_MAX_REPEATED 100000

static const char *const k_services[SVC_ENDPOINT_KEYS] = {
    "coordination", "incentives", "supervision", "secretariat"};

typedef struct waiter {
    struct waiter *next;
    zmq_msg_t rid;
    char *request_id;
    char *correlation_id;
    uint64_t after;
    uint32_t max;
    int64_t deadline;
    char who[PRINCIPAL_NAME_MAX]; /* for max_parked_fetches */
} waiter_t;

typedef struct rawbuf {
    uint8_t *p;
    size_t len, cap;
} rawbuf_t;

/* A request whose consistency token is not reached yet. */
typedef struct deferred {
    struct deferred *next;
    zmq_msg_t rid;
    zmq_msg_t body;
    int64_t deadline;
} deferred_t;

/* A write request kept until its group commits, so that it can be applied
 * again if the group has to be rolled back (see redo_group). */
typedef struct held {
    Cogov__V1__Request *req; /* req_decode'd, req_release'd at the flush */
    bool in_arena;           /* req lives in s->req_arena */
    char *given_corr;        /* req's own correlation id, for pb_free */
    char corr[48];           /* the one made up for it, if it had none */
    const principal_t *who;
    const svc_route_t *route;
    uint64_t hash;
} held_t;

/* A reply whose commits are not durable yet. */
typedef struct unsynced {
    zmq_msg_t rid;
    Cogov__V1__Reply *rep;
    uint8_t *packed; /* rep packed without heads (stored reply), or NULL */
    size_t packed_len;
    uint64_t need; /* store_commit_no when it was ready */
} unsynced_t;

/* A reply waiting for the group commit. */
typedef struct pending {
    zmq_msg_t rid;
    Cogov__V1__Reply *rep;
    uint8_t *packed; /* rep packed without heads (stored reply), or NULL */
    size_t packed_len;
    bool write;   /* its effects are in the open transaction */
    held_t *held; /* with write: the request, to apply it again */
} pending_t;

struct svc {
    const svc_def_t *def;
    svc_conf_t conf;
    char conf_path[CFG_STR_MAX];
    uv_loop_t loop;
    bool loop_ready;
    void *zctx;
    keypair_t kp;
    allow_t *allow;
    store_t *store;
    void *app;
    void *zap;
    zwatch_t *zap_w;
    void *router;
    zwatch_t *router_w;
    follow_t *follows[SVC_MAX_FOLLOWS];
    size_t n_follows;
    principal_t
        producers[SVC_MAX_FOLLOWS]; /* SERVICE principals for reactions */
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stats_timer;
    uv_timer_t fetch_timer;
    uv_timer_t deferred_timer;
    uv_prepare_t log_prepare; /* writes the iteration's log lines */
    deferred_t *deferred;
    bool handles_open;
    waiter_t *waiters;
    pending_t *pending;
    size_t n_pending, cap_pending;
    /* replies held until their commits are durable, in order */
    unsynced_t *unsynced;
    size_t unsynced_first, n_unsynced, cap_unsynced;
    uv_async_t durable_async; /* the checkpointer thread synced */
    bool durable_open;
    bool sync_failed;
    bool careful;     /* this group runs each request in a savepoint */
    int64_t group_bt; /* business time when the group began */
    bool stopping;
    bool router_idle; /* on_router found no more requests waiting */
    int exit_code;
    int64_t started_ms;
    int64_t business_time;
    uint64_t last_served_head;
    /* counters */
    uint64_t n_requests, n_rejects, n_denials, n_dead, n_unknown;
    char react_err[512];
    /* svc_emit's `after` stamp */
    Cogov__V1__Position after_pos[SVC_MAX_FOLLOWS];
    Cogov__V1__Position *after_ptr[SVC_MAX_FOLLOWS];
    uint64_t id_counter;
    rawbuf_t fetch_events; /* reused by serve_fetch */
    pb_arena_t *req_arena; /* requests being handled (req_decode) */
    bool debug;            /* log level is debug: request.ok lines are made */
    size_t req_live;       /* of them alive: the arena is reset at 0 */
    notify_t *notify;      /* systemd: READY, STATUS, STOPPING, watchdog */
    metrics_t *metrics;    /* Prometheus textfile figures */
    admin_t *admin;        /* pause, backup, accept epoch (admin.c) */
    conns_t *conns;        /* connections per principal (auth.c) */
};

static void on_deferred_timer(uv_timer_t *t);
static void stop(svc_t *s);
static void synced_here(svc_t *s);
static bool synced_here_replies(svc_t *s);
static void synced_here_serve(svc_t *s);

/* ---- config ------------------------------------------------------------ */

#define CO(f) offsetof(svc_conf_t, f)
static const cfg_field_t k_conf_fields[] = {
    {"state_dir", CFG_STRING, CO(state_dir), "/var/lib/cogov", 0, 0,
     "Directory of the store when `store` is not set."},
    {"store", CFG_STRING, CO(store), "", 0, 0,
     "SQLite store of this daemon (default <state_dir>/<service>.db)."},
    {"keys_dir", CFG_STRING, CO(keys_dir), SVC_DEFAULT_CONF_DIR "/keys", 0, 0,
     "CURVE keys: <name>.key (secret, 0600) and <name>.pub. Created on first "
     "start if missing."},
    {"allow_list", CFG_STRING, CO(allow_list),
     SVC_DEFAULT_CONF_DIR "/allow.list", 0, 0,
     "Principals allowed in: key, name, member unit, roles, streams. Reloaded "
     "on SIGHUP."},
    {"log_level", CFG_STRING, CO(log_level), "info", 0, 0,
     "error, warning, notice, info or debug. Reloaded on SIGHUP."},
    {"coordination_endpoint", CFG_STRING, CO(endpoints[0]),
     "ipc:///run/cogov/coordination.sock", 0, 0,
     "Endpoint of cogov-coordination (tcp://host:port or ipc://path)."},
    {"incentives_endpoint", CFG_STRING, CO(endpoints[1]),
     "ipc:///run/cogov/incentives.sock", 0, 0, "Endpoint of cogov-incentives."},
    {"supervision_endpoint", CFG_STRING, CO(endpoints[2]),
     "ipc:///run/cogov/supervision.sock", 0, 0,
     "Endpoint of cogov-supervision."},
    {"secretariat_endpoint", CFG_STRING, CO(endpoints[3]),
     "ipc:///run/cogov/secretariat.sock", 0, 0,
     "Endpoint of cogov-secretariat."},
    {"max_msg_bytes", CFG_INT, CO(max_msg_bytes), "1048576", 1024, 67108864,
     "Largest frame accepted; a larger one drops the connection."},
    {"unpack_budget", CFG_INT, CO(unpack_budget), "8388608", 65536, 268435456,
     "Bytes protobuf decoding of one request may allocate."},
    {"reply_window_s", CFG_INT, CO(reply_window_s), "86400", 60, 31536000,
     "How long stored replies answer retries of the same request id."},
    {"fetch_max_events", CFG_INT, CO(fetch_max_events), "1000", 1, 100000,
     "Most events in one Batch (served and asked for)."},
    {"fetch_wait_ms", CFG_INT, CO(fetch_wait_ms), "10000", 100, 30000,
     "Long-poll wait this daemon asks of the producers it follows."},
    {"batch_requests", CFG_INT, CO(batch_requests), "256", 1, 100000,
     "Most requests taken per loop iteration into one group commit."},
    {"stats_interval_s", CFG_INT, CO(stats_interval_s), "60", 1, 86400,
     "Period of the event=stats log line."},
    {"consistency_wait_ms", CFG_INT, CO(consistency_wait_ms), "5000", 0, 60000,
     "Longest wait for a request's consistency token."},
    {"metrics_file", CFG_STRING, CO(metrics_file), "", 0, 0,
     "Prometheus textfile written atomically at start, every "
     "stats_interval_s and at stop, e.g. /var/lib/prometheus/node-exporter/"
     "cogov-<service>.prom for node_exporter's textfile collector (empty: "
     "off)."},
    {"max_connections", CFG_INT, CO(max_connections), "64", 0, 100000,
     "Most connections one principal may hold; requests on more get "
     "UNAVAILABLE \"limit: ...\" (0: no limit)."},
    {"max_parked_fetches", CFG_INT, CO(max_parked_fetches), "32", 0, 100000,
     "Most long-poll Fetches one principal may have waiting; more get "
     "UNAVAILABLE \"limit: ...\" (0: no limit)."},
    {"sync_inline", CFG_BOOL, CO(sync_inline), "true", 0, 0,
     "When no more requests wait, the loop makes its group commit durable "
     "itself (fdatasync) and answers at once, instead of handing the sync "
     "to the checkpointer thread and back (lower latency at low load); "
     "under load the thread syncs while the loop goes on."},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static int
load_config(svc_t *s, const char *path, char *err, size_t errlen)
{
    cfg_section_t secs[2] = {{k_conf_fields, &s->conf},
                             {s->def->config, s->def->config_obj}};
    size_t n = s->def->config != NULL ? 2 : 1;
    int rc = cfg_load(secs, n, path, err, errlen);
    if (rc != 0)
        return rc;
    if (str_empty(s->conf.store) &&
        snprintf(s->conf.store, sizeof(s->conf.store), "%s/%s.db",
                 s->conf.state_dir,
                 s->def->name) >= (int)sizeof(s->conf.store)) {
        snprintf(err, errlen, "%s: state_dir: too long", path);
        return -EINVAL;
    }
    if (log_level_parse(s->conf.log_level) < 0) {
        snprintf(err, errlen, "%s: log_level: unknown level '%s'", path,
                 s->conf.log_level);
        return -EINVAL;
    }
    return 0;
}

static const char *
endpoint_of(const svc_t *s, const char *service)
{
    for (size_t i = 0; i < SVC_ENDPOINT_KEYS; i++)
        if (strcmp(k_services[i], service) == 0)
            return s->conf.endpoints[i];
    return NULL;
}

/* ---- small accessors ----------------------------------------------------- */

store_t *
svc_store(svc_t *s)
{
    return s->store;
}

uv_loop_t *
svc_loop(svc_t *s)
{
    return &s->loop;
}

const char *
svc_name(const svc_t *s)
{
    return s->def->name;
}

void *
svc_app(svc_t *s)
{
    return s->app;
}

const svc_conf_t *
svc_conf(const svc_t *s)
{
    return &s->conf;
}

void *
svc_zctx(svc_t *s)
{
    return s->zctx;
}

const keypair_t *
svc_keypair(const svc_t *s)
{
    return &s->kp;
}

bool
svc_stopping(const svc_t *s)
{
    return s->stopping;
}

follow_t *
svc_follow_at(svc_t *s, size_t i)
{
    return i < s->n_follows ? s->follows[i] : NULL;
}

void
svc_count_dead_letter(svc_t *s)
{
    s->n_dead++;
}

void
svc_count_unknown(svc_t *s)
{
    s->n_unknown++;
}

int64_t
svc_business_time(svc_t *s)
{
    return s->business_time;
}

int
svc_set_business_time(svc_t *s, int64_t t)
{
    int rc = store_meta_set_int(s->store, "business_time", t);
    if (rc == 0)
        s->business_time = t;
    return rc;
}

int
svc_react(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    return s->def->react != NULL ? s->def->react(s, s->app, c, ev) : 0;
}

void
svc_restore_business_time(svc_t *s, int64_t t)
{
    s->business_time = t;
}

uint64_t
svc_cursor_of(svc_t *s, const char *producer)
{
    for (size_t i = 0; i < s->n_follows; i++)
        if (strcmp(follow_producer(s->follows[i]), producer) == 0)
            return follow_applied(s->follows[i]);
    return UINT64_MAX;
}

const principal_t *
svc_service_principal(svc_t *s, const char *producer)
{
    for (size_t i = 0; i < s->n_follows; i++)
        if (strcmp(s->producers[i].name, producer) == 0)
            return &s->producers[i];
    return NULL;
}

void
svc_new_id(const char *prefix, char *buf, size_t size)
{
    static uint64_t counter;
    snprintf(buf, size, "%s-%llx-%llu", prefix,
             (unsigned long long)now_wall_ms(), (unsigned long long)++counter);
}

const char *
svc_event_type(const Cogov__V1__Event *ev)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&cogov__v1__event__descriptor,
                                                (unsigned)ev->payload_case);
    return fd != NULL ? fd->name : "unknown";
}

Cogov__V1__StatusCode
svc_fail(Cogov__V1__Reply *rep, Cogov__V1__StatusCode code, const char *fmt,
         ...)
{
    va_list ap;
    char buf[512];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    free(rep->error);
    rep->error = xstrdup(buf);
    return code;
}

void
svc_react_error(svc_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (strcmp(fmt, "%s") == 0) { /* deadletter.c clears it per event */
        const char *text = va_arg(ap, const char *);
        str_copy(s->react_err, sizeof(s->react_err),
                 text != NULL ? text : "(null)");
    } else {
        vsnprintf(s->react_err, sizeof(s->react_err), fmt, ap);
    }
    va_end(ap);
}

const char *
svc_take_react_error(svc_t *s)
{
    return s->react_err[0] != 0 ? s->react_err : "reaction refused the event";
}

/* ---- figures ------------------------------------------------------------ */

/* Commit the open transaction and observe how long it took; `here`: make
 * it durable on this thread too (store_commit_sync). */
static int
timed_commit(svc_t *s, bool here)
{
    uint64_t t0 = uv_hrtime();
    int rc = here ? store_commit_sync(s->store) : store_commit(s->store);
    if (rc == 0)
        metrics_observe_commit(s->metrics, (double)(uv_hrtime() - t0) / 1e9);
    return rc;
}

/* "ok", "invalid", ... for a status code: the enum value's name without
 * "STATUS_", lower case; "unknown" for a code it does not have. */
static void
outcome_name(Cogov__V1__StatusCode code, char *outcome, size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &cogov__v1__status_code__descriptor, code);
    str_copy(outcome, size, "unknown");
    if (v != NULL) {
        str_copy(outcome, size, v->name + 7); /* skip "STATUS_" */
        for (char *p = outcome; *p != '\0'; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
}

static void
count_request(svc_t *s, const char *type, Cogov__V1__StatusCode code)
{
    /* Made once per code (the loop's thread is the only caller). */
    static char names[32][48];
    char other[48];
    const char *outcome = other;
    if ((unsigned)code < 32) {
        if (names[code][0] == '\0')
            outcome_name(code, names[code], sizeof(names[code]));
        outcome = names[code];
    } else {
        outcome_name(code, other, sizeof(other));
    }
    metrics_count_request(s->metrics, type, outcome);
}

static void
count_reject(svc_t *s, const char *reason)
{
    s->n_rejects++;
    metrics_count_reject(s->metrics, reason);
}

static void
count_denial(svc_t *s, const char *kind)
{
    s->n_denials++;
    metrics_count_denial(s->metrics, kind);
}

/* ---- emitting ----------------------------------------------------------- */

int
svc_emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event *ev)
{
    ev->type = (char *)svc_event_type(ev);
    if (!ev->has_occurred_at || ev->occurred_at == 0) {
        ev->occurred_at = c->now;
        ev->has_occurred_at = 1;
    }
    ev->actor = (char *)c->actor;
    ev->correlation_id = (char *)c->correlation_id;
    ev->causation_id = (char *)c->causation_id;
    ev->n_after = 0;
    for (size_t i = 0; i < s->n_follows; i++) {
        Cogov__V1__Position *p = &s->after_pos[i];
        cogov__v1__position__init(p);
        p->producer = (char *)follow_producer(s->follows[i]);
        p->seq = follow_applied(s->follows[i]);
        /* A reaction's own cause counts as applied: the cursor moves past
         * it in this same transaction. */
        if (c->event != NULL && c->event->producer != NULL &&
            strcmp(c->event->producer, p->producer) == 0 &&
            c->event->seq > p->seq)
            p->seq = c->event->seq;
        p->has_seq = 1;
        s->after_ptr[ev->n_after++] = p;
    }
    ev->after = s->after_ptr;
    int rc = store_outbox_append(s->store, ev);
    ev->after = NULL;
    ev->n_after = 0;
    return rc;
}

void
svc_ctx_system(svc_t *s, svc_ctx_t *c, char *corr_buf, size_t corr_size)
{
    static principal_t system_principal;
    static char actor[80];
    memset(c, 0, sizeof(*c));
    snprintf(actor, sizeof(actor), "system:%s", s->def->name);
    str_copy(system_principal.name, sizeof(system_principal.name), actor);
    system_principal.roles = role_bit(COGOV__V1__ROLE__ROLE_SERVICE);
    svc_new_id("sys", corr_buf, corr_size);
    c->who = &system_principal;
    c->correlation_id = corr_buf;
    c->causation_id = corr_buf;
    c->actor = actor;
    c->now = s->business_time;
}

int
svc_tx(svc_t *s, int (*fn)(svc_t *s, void *app, void *arg), void *arg)
{
    if (admin_paused(s->admin))
        return -EAGAIN; /* paused for a backup: timed work waits */
    int rc = store_begin(s->store);
    if (rc != 0)
        return rc;
    int64_t bt = s->business_time;
    rc = fn(s, s->app, arg);
    if (rc == 0)
        rc = timed_commit(s, false);
    if (rc != 0) {
        store_rollback(s->store);
        s->business_time = bt;
        return rc;
    }
    svc_after_commit(s, NULL);
    return 0;
}

/* ---- replies ------------------------------------------------------------- */

static Cogov__V1__Reply *
reply_new(const char *request_id, const char *correlation_id)
{
    Cogov__V1__Reply *rep = xmalloc(sizeof(*rep));
    cogov__v1__reply__init(rep);
    rep->request_id = xstrdup(request_id);
    rep->correlation_id = xstrdup(correlation_id);
    return rep;
}

static void
reply_set_code(Cogov__V1__Reply *rep, Cogov__V1__StatusCode code)
{
    rep->code = code;
    rep->has_code = 1;
}

static void
send_bytes(svc_t *s, zmq_msg_t *rid, const uint8_t *data, size_t len)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, rid);
    if (zmq_msg_send(&id, s->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        log_warn("reply.dropped", "reason=%s", log_q(zmq_strerror(errno)));
        return;
    }
    if (zmq_send(s->router, data, len, ZMQ_DONTWAIT) < 0)
        log_warn("reply.dropped", "reason=%s", log_q(zmq_strerror(errno)));
}

static size_t
put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    return n;
}

static size_t
varint_len(uint64_t v)
{
    size_t n = 1;
    while (v > 0x7f) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Room a stored reply's buffer keeps after its bytes for put_head. */
static size_t
head_room(const svc_t *s)
{
    return strlen(s->def->name) + 32; /* 1+5 tag+len, 1+5+n, 1+10 */
}

/* Reply.heads (field 5) = Position{producer (1), seq (2)} as protobuf-c
 * packs it; returns the bytes written (at most head_room). */
static size_t
put_head(uint8_t *out, const char *producer, uint64_t seq)
{
    size_t n = strlen(producer);
    size_t off = 0;
    out[off++] = (5u << 3) | 2u;
    off += put_varint(out + off, 1 + varint_len(n) + n + 1 + varint_len(seq));
    out[off++] = (1u << 3) | 2u;
    off += put_varint(out + off, n);
    memcpy(out + off, producer, n);
    off += n;
    out[off++] = (2u << 3) | 0u;
    off += put_varint(out + off, seq);
    return off;
}

/* Pack with this daemon's head and send; frees rep and packed. packed, when
 * not NULL, is rep already packed without heads (for its stored reply) in a
 * buffer with head_room() bytes to spare: the head is appended to it as one
 * more field (Reply.heads, field 5) rather than packing rep again; protobuf
 * readers take fields in any order. */
static void
send_packed_reply(svc_t *s, zmq_msg_t *rid, Cogov__V1__Reply *rep,
                  uint8_t *packed, size_t packed_len)
{
    if (packed != NULL) {
        size_t off = packed_len + put_head(packed + packed_len, s->def->name,
                                           store_durable_head(s->store));
        send_bytes(s, rid, packed, off);
        free(packed);
        pb_msg_free((ProtobufCMessage *)rep);
        return;
    }
    Cogov__V1__Position head = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *heads[1] = {&head};
    head.producer = (char *)s->def->name;
    head.seq = store_durable_head(s->store);
    head.has_seq = 1;
    rep->heads = heads;
    rep->n_heads = 1;
    size_t len = 0;
    uint8_t *buf = pb_pack((ProtobufCMessage *)rep, &len);
    rep->heads = NULL;
    rep->n_heads = 0;
    send_bytes(s, rid, buf, len);
    free(buf);
    pb_msg_free((ProtobufCMessage *)rep);
}

static void
send_reply(svc_t *s, zmq_msg_t *rid, Cogov__V1__Reply *rep)
{
    send_packed_reply(s, rid, rep, NULL, 0);
}

static void send_error(svc_t *s, zmq_msg_t *rid, const char *request_id,
                       const char *corr, Cogov__V1__StatusCode code,
                       const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
send_error(svc_t *s, zmq_msg_t *rid, const char *request_id, const char *corr,
           Cogov__V1__StatusCode code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    Cogov__V1__Reply *rep = reply_new(request_id, corr);
    reply_set_code(rep, code);
    rep->error = xstrdup(buf);
    send_reply(s, rid, rep);
}

/* ---- the event stream: Fetch with long-poll ------------------------------ */

/* Batches are sent without decoding the stored events: each outbox row is
 * already a packed Event, and a repeated message field is on the wire just
 * tag + length + bytes. So the Batch is its packed header followed by
 * (0x22, len, event) per event, and the Reply is its packed envelope
 * followed by field 20 (batch) — protobuf readers accept fields in any
 * order. */

/* At least n bytes of room after b->len. */
static void
rb_reserve(rawbuf_t *b, size_t n)
{
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = xrealloc(b->p, b->cap);
    }
}

static void
rb_put(rawbuf_t *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    rb_reserve(b, len);
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void
rb_varint(rawbuf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            tmp[n] |= 0x80;
        n++;
    } while (v != 0);
    rb_put(b, tmp, n);
}

static int
add_event_raw(void *arg, uint64_t seq, const uint8_t *data, size_t len)
{
    rawbuf_t *b = arg;
    (void)seq;
    rb_varint(b, (4u << 3) | 2u); /* Batch.events */
    rb_varint(b, len);
    rb_put(b, data, len);
    return 0;
}

static void
serve_fetch(svc_t *s, zmq_msg_t *rid, const char *request_id, const char *corr,
            uint64_t after, uint32_t max)
{
    Cogov__V1__Batch b = COGOV__V1__BATCH__INIT;
    b.producer = (char *)s->def->name;
    b.epoch = store_epoch(s->store);
    b.has_epoch = 1;
    b.head_seq = store_durable_head(s->store); /* what may be served */
    b.has_head_seq = 1;
    size_t hlen = 0;
    uint8_t *hdr = pb_pack((ProtobufCMessage *)&b, &hlen);

    Cogov__V1__Position head = COGOV__V1__POSITION__INIT;
    Cogov__V1__Position *heads[1] = {&head};
    head.producer = (char *)s->def->name;
    head.seq = b.head_seq;
    head.has_seq = 1;
    Cogov__V1__Reply rep = COGOV__V1__REPLY__INIT;
    rep.code = COGOV__V1__STATUS_CODE__STATUS_OK;
    rep.has_code = 1;
    rep.request_id = (char *)request_id;
    rep.correlation_id = (char *)corr;
    rep.heads = heads;
    rep.n_heads = 1;
    size_t elen = 0;
    uint8_t *env = pb_pack((ProtobufCMessage *)&rep, &elen);

    /* The events are read in after room for what goes before them (the
     * envelope, the batch field's tag and length, the Batch header), so
     * that the message is put together without copying them again. */
    rawbuf_t *events = &s->fetch_events;
    size_t room = elen + 2 + 10 + hlen;
    events->len = 0;
    rb_reserve(events, room);
    events->len = room;
    int rc = store_outbox_read(s->store, after, max, add_event_raw, events);
    if (rc != 0) {
        free(env);
        free(hdr);
        Cogov__V1__Reply *er = reply_new(request_id, corr);
        reply_set_code(er, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE);
        er->error = xasprintf("reading the stream failed: %s", strerror(-rc));
        send_reply(s, rid, er);
        return;
    }
    size_t evlen = events->len - room;
    uint8_t tag[12];
    size_t tlen = put_varint(tag, (20u << 3) | 2u); /* Reply.batch */
    tlen += put_varint(tag + tlen, hlen + evlen);
    uint8_t *start = events->p + room - (elen + tlen + hlen);
    memcpy(start, env, elen);
    memcpy(start + elen, tag, tlen);
    memcpy(start + elen + tlen, hdr, hlen);
    send_bytes(s, rid, start, elen + tlen + hlen + evlen);
    free(env);
    free(hdr);
}

static void
waiter_free(waiter_t *w)
{
    zmq_msg_close(&w->rid);
    free(w->request_id);
    free(w->correlation_id);
    free(w);
}

/* Answer waiters that have something to read or whose time is up. */
static void
serve_waiters(svc_t *s, bool timeouts_only)
{
    uint64_t head = store_durable_head(s->store);
    int64_t now = now_mono_ms();
    waiter_t **pp = &s->waiters;
    while (*pp != NULL) {
        waiter_t *w = *pp;
        bool ready = (!timeouts_only && w->after < head) ||
                     now >= w->deadline || s->stopping;
        if (ready) {
            *pp = w->next;
            serve_fetch(s, &w->rid, w->request_id, w->correlation_id, w->after,
                        w->max);
            waiter_free(w);
        } else {
            pp = &w->next;
        }
    }
    if (s->waiters == NULL && s->handles_open)
        uv_timer_stop(&s->fetch_timer);
}

static void
on_fetch_timer(uv_timer_t *t)
{
    serve_waiters(t->data, true);
}

static void
handle_fetch(svc_t *s, zmq_msg_t *rid, const Cogov__V1__Request *req,
             const principal_t *who)
{
    const Cogov__V1__Fetch *f = req->fetch;
    uint32_t max = f->has_max_events && f->max_events > 0
                       ? f->max_events
                       : (uint32_t)s->conf.fetch_max_events;
    if (max > (uint32_t)s->conf.fetch_max_events)
        max = (uint32_t)s->conf.fetch_max_events;
    uint32_t wait = f->has_max_wait_ms ? f->max_wait_ms : 0;
    if (wait > FETCH_WAIT_CAP_MS)
        wait = FETCH_WAIT_CAP_MS;
    uint64_t after = f->has_after_seq ? f->after_seq : 0;
    /* Something to read, no wait asked, or the reader is ahead of us (a
     * restored store: it must hear at once that the head went backwards). */
    if (after != store_durable_head(s->store) || wait == 0 || s->stopping) {
        serve_fetch(s, rid, req->request_id, req->correlation_id, after, max);
        return;
    }
    size_t parked = 0;
    for (const waiter_t *o = s->waiters; o != NULL; o = o->next)
        parked += strcmp(o->who, who->name) == 0;
    if (s->conf.max_parked_fetches > 0 &&
        parked >= (size_t)s->conf.max_parked_fetches) {
        count_reject(s, "limit_fetches");
        log_warn(
            "limit.fetches", "principal=%s key_fpr=%s parked=%zu limit=%lld",
            log_q(who->name), who->fpr, parked, s->conf.max_parked_fetches);
        send_error(s, rid, req->request_id, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                   "limit: %s has %zu Fetches waiting, at most %lld "
                   "(max_parked_fetches); retry when one is answered",
                   who->name, parked, s->conf.max_parked_fetches);
        return;
    }
    waiter_t *w = xcalloc(1, sizeof(*w));
    str_copy(w->who, sizeof(w->who), who->name);
    zmq_msg_init(&w->rid);
    zmq_msg_copy(&w->rid, rid);
    w->request_id = xstrdup(req->request_id);
    w->correlation_id = xstrdup(req->correlation_id);
    w->after = after;
    w->max = max;
    w->deadline = now_mono_ms() + wait;
    w->next = s->waiters;
    s->waiters = w;
    if (!uv_is_active((uv_handle_t *)&s->fetch_timer))
        uv_timer_start(&s->fetch_timer, on_fetch_timer, 50, 50);
}

void
svc_after_commit(svc_t *s, follow_t *except)
{
    if (store_durable_head(s->store) != s->last_served_head) {
        s->last_served_head = store_durable_head(s->store);
        serve_waiters(s, false);
    }
    for (size_t i = 0; i < s->n_follows; i++)
        if (s->follows[i] != except)
            follow_resume(s->follows[i]);
    /* Deferred requests are looked at from the loop, not from here: this
     * runs inside commits of other paths. */
    if (s->deferred != NULL && s->handles_open)
        uv_timer_start(&s->deferred_timer, on_deferred_timer, 0, 50);
}

/* ---- status -------------------------------------------------------------- */

static Cogov__V1__StatusCode
handle_status(svc_t *s, Cogov__V1__Reply *rep)
{
    Cogov__V1__ServiceStatus *st = xmalloc(sizeof(*st));
    cogov__v1__service_status__init(st);
    st->service = xstrdup(s->def->name);
    st->version = xstrdup(COGOV_VERSION);
    st->uptime_s = (now_mono_ms() - s->started_ms) / 1000;
    st->has_uptime_s = 1;
    st->store_bytes = store_size_bytes(s->store);
    st->has_store_bytes = 1;
    st->epoch = store_epoch(s->store);
    st->has_epoch = 1;
    st->head_seq = store_head(s->store);
    st->has_head_seq = 1;
    st->dead_letters = (uint64_t)store_dead_letter_count(s->store);
    st->has_dead_letters = 1;
    st->requests = s->n_requests;
    st->has_requests = 1;
    st->rejects = s->n_rejects;
    st->has_rejects = 1;
    st->denials = s->n_denials;
    st->has_denials = 1;
    st->business_time = s->business_time;
    st->has_business_time = 1;
    st->skipped_unknown = s->n_unknown;
    st->has_skipped_unknown = 1;
    admin_fill_status(s->admin, st);
    st->n_cursors = s->n_follows;
    st->cursors = xcalloc(s->n_follows + 1, sizeof(*st->cursors));
    for (size_t i = 0; i < s->n_follows; i++) {
        st->cursors[i] = xmalloc(sizeof(*st->cursors[i]));
        cogov__v1__cursor_status__init(st->cursors[i]);
        follow_status(s->follows[i], st->cursors[i]);
    }
    rep->body_case = COGOV__V1__REPLY__BODY_STATUS;
    rep->status = st;
    return COGOV__V1__STATUS_CODE__STATUS_OK;
}

/* ---- the request boundary ------------------------------------------------ */

/* Append text at off in buf, cut as snprintf cuts; returns the new end. */
static size_t
put_text(char *buf, size_t size, size_t off, const char *text)
{
    size_t n = strlen(text);
    if (off + n >= size)
        n = off + 1 < size ? size - 1 - off : 0;
    memcpy(buf + off, text, n);
    buf[off + n] = '\0';
    return off + n;
}

/* "req:<principal>:<request id, or ->" (snprintf's bytes, without its
 * cost on every request). */
static void
causation_of(char *buf, size_t size, const principal_t *who,
             const Cogov__V1__Request *req)
{
    size_t off = put_text(buf, size, 0, "req:");
    off = put_text(buf, size, off, who->name);
    off = put_text(buf, size, off, ":");
    put_text(buf, size, off,
             str_empty(req->request_id) ? "-" : req->request_id);
}

static const svc_route_t *
route_find(const svc_t *s, Cogov__V1__Request__BodyCase body)
{
    for (size_t i = 0; i < s->def->n_routes; i++)
        if (s->def->routes[i].body == body)
            return &s->def->routes[i];
    return deadletter_route(body); /* every daemon's: deadletter.c */
}

static const char *
body_name(const Cogov__V1__Request *req)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(&cogov__v1__request__descriptor,
                                                (unsigned)req->body_case);
    return fd != NULL ? fd->name : "none";
}

/* Hash of what a request asks (its body), to tell a retry from a reuse. */
static uint64_t
body_hash(const Cogov__V1__Request *req)
{
    Cogov__V1__Request copy = *req;
    copy.request_id = NULL;
    copy.correlation_id = NULL;
    copy.n_after = 0;
    copy.after = NULL;
    size_t len = 0;
    uint8_t *buf = pb_pack((ProtobufCMessage *)&copy, &len);
    uint64_t h = hash64(buf, len);
    free(buf);
    return h;
}

static void
pending_add(svc_t *s, zmq_msg_t *rid, Cogov__V1__Reply *rep, bool write)
{
    if (s->n_pending == s->cap_pending) {
        s->cap_pending = s->cap_pending ? s->cap_pending * 2 : 64;
        s->pending = xrealloc(s->pending, s->cap_pending * sizeof(*s->pending));
    }
    pending_t *p = &s->pending[s->n_pending++];
    zmq_msg_init(&p->rid);
    zmq_msg_copy(&p->rid, rid);
    p->rep = rep;
    p->packed = NULL;
    p->packed_len = 0;
    p->write = write;
    p->held = NULL;
}

static void
unsynced_add(svc_t *s, zmq_msg_t *rid, Cogov__V1__Reply *rep, uint8_t *packed,
             size_t packed_len, uint64_t need)
{
    if (s->unsynced_first + s->n_unsynced == s->cap_unsynced) {
        if (s->unsynced_first > 0) {
            memmove(s->unsynced, s->unsynced + s->unsynced_first,
                    s->n_unsynced * sizeof(*s->unsynced));
            s->unsynced_first = 0;
        }
        if (s->n_unsynced == s->cap_unsynced) {
            s->cap_unsynced = s->cap_unsynced ? s->cap_unsynced * 2 : 64;
            s->unsynced =
                xrealloc(s->unsynced, s->cap_unsynced * sizeof(*s->unsynced));
        }
    }
    unsynced_t *u = &s->unsynced[s->unsynced_first + s->n_unsynced++];
    zmq_msg_init(&u->rid);
    zmq_msg_move(&u->rid, rid);
    u->rep = rep;
    u->packed = packed;
    u->packed_len = packed_len;
    u->need = need;
}

/* Requests are decoded into s->req_arena while it holds less than one
 * unpack budget: one bump per field instead of a malloc, and nothing to
 * walk to free them (protobuf-c's free visits all 113 fields). Past that
 * they are decoded with pb_unpack, so that a group of large requests holds
 * at most about one budget more than it did. The arena is reset whenever no
 * request decoded into it is alive. */
static Cogov__V1__Request *
req_decode(svc_t *s, zmq_msg_t *body, bool *in_arena)
{
    size_t budget = (size_t)s->conf.unpack_budget;
    *in_arena = pb_arena_used(s->req_arena) < budget;
    if (!*in_arena)
        return (Cogov__V1__Request *)pb_unpack(&cogov__v1__request__descriptor,
                                               zmq_msg_data(body),
                                               zmq_msg_size(body), budget);
    Cogov__V1__Request *req = (Cogov__V1__Request *)pb_unpack_arena(
        s->req_arena, &cogov__v1__request__descriptor, zmq_msg_data(body),
        zmq_msg_size(body), budget);
    if (req != NULL)
        s->req_live++;
    else if (s->req_live == 0)
        pb_arena_reset(s->req_arena); /* what the failed decode took */
    return req;
}

static void
req_release(svc_t *s, Cogov__V1__Request *req, bool in_arena)
{
    if (req == NULL)
        return;
    if (!in_arena) {
        pb_free((ProtobufCMessage *)req);
        return;
    }
    assert(s->req_live > 0);
    if (--s->req_live == 0)
        pb_arena_reset(s->req_arena);
}

static void
held_free(svc_t *s, held_t **hp)
{
    held_t *h = *hp;
    if (h == NULL)
        return;
    if (h->req->correlation_id == h->corr)
        h->req->correlation_id = h->given_corr;
    req_release(s, h->req, h->in_arena);
    free(h);
    *hp = NULL;
}

/* A retry of a request already applied: the stored reply, else CONFLICT. */
static bool
answer_retry(svc_t *s, zmq_msg_t *rid, const principal_t *who,
             const Cogov__V1__Request *req, uint64_t hash)
{
    uint64_t stored_hash = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (store_reply_get(s->store, who->name, req->request_id, &stored_hash,
                        &bytes, &len) != 0)
        return false;
    Cogov__V1__Reply *rep = NULL;
    if (stored_hash == hash)
        rep = cogov__v1__reply__unpack(NULL, len, bytes);
    free(bytes);
    if (rep == NULL) {
        rep = reply_new(req->request_id, req->correlation_id);
        reply_set_code(rep, COGOV__V1__STATUS_CODE__STATUS_CONFLICT);
        rep->error = xasprintf("request id '%s' was already used for another "
                               "request",
                               req->request_id);
    } else {
        log_info("request.retry", "principal=%s request=%s type=%s corr=%s",
                 log_q(who->name), log_q(req->request_id), body_name(req),
                 log_q(req->correlation_id));
    }
    pending_add(s, rid, rep, false);
    return true;
}

/* Apply a write request inside the group transaction: the handler, then
 * its stored reply. Returns the reply; *wrote tells whether its effects
 * stay in the transaction. Without s->careful no savepoint is taken: SQLite
 * copies every page a savepoint first touches into its sub-journal, about a
 * sixth of a daemon's CPU (profiled), and only a request that fails after
 * writing needs one. Such a request sets *redo (nothing else done): the
 * caller rolls the group back and applies it again carefully. */
static Cogov__V1__Reply *
apply_write(svc_t *s, const principal_t *who, const svc_route_t *r,
            const Cogov__V1__Request *req, uint64_t hash, bool *wrote,
            bool *redo, uint8_t **packed, size_t *packed_len)
{
    char causation[PRINCIPAL_NAME_MAX + 160];
    causation_of(causation, sizeof(causation), who, req);
    svc_ctx_t c = {
        .who = who,
        .request_id = req->request_id,
        .correlation_id = req->correlation_id,
        .causation_id = causation,
        .actor = who->name,
        .now = s->business_time,
        .event = NULL,
    };
    bool idempotent = !str_empty(req->request_id);
    bool careful = s->careful;
    int64_t bt = s->business_time;
    int64_t changes = store_changes(s->store);
    Cogov__V1__Reply *rep = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = 0;
    *wrote = false;
    *redo = false;
    *packed = NULL;
    *packed_len = 0;
    if (careful && (rc = store_savepoint(s->store)) != 0)
        goto store_failed;
    rep = reply_new(req->request_id, req->correlation_id);
    Cogov__V1__StatusCode code = r->fn(s, s->app, &c, req, rep);
    reply_set_code(rep, code);
    if (code != COGOV__V1__STATUS_CODE__STATUS_OK) {
        s->business_time = bt;
        if (!careful && store_changes(s->store) != changes)
            goto redo;
        store_rollback_to(s->store);
        return rep;
    }
    if (idempotent) {
        /* head_room: see send_packed_reply */
        buf = pb_pack_room((ProtobufCMessage *)rep, head_room(s), &len);
        rc = store_reply_put(s->store, who->name, req->request_id, hash, buf,
                             len, now_wall_ms());
        if (rc != 0) {
            free(buf);
            buf = NULL;
            s->business_time = bt;
            if (!careful)
                goto redo;
            store_rollback_to(s->store);
            goto store_failed;
        }
    }
    if (careful && (rc = store_release(s->store)) != 0) {
        free(buf);
        store_rollback_to(s->store);
        s->business_time = bt;
        goto store_failed;
    }
    *wrote = true;
    *packed = buf; /* sent as it is, with the head appended */
    *packed_len = len;
    return rep;
redo:
    pb_msg_free((ProtobufCMessage *)rep);
    *redo = true;
    return NULL;
store_failed:
    /* rep may hold a half-built body; replace it. */
    if (rep != NULL)
        pb_msg_free((ProtobufCMessage *)rep);
    rep = reply_new(req->request_id, req->correlation_id);
    reply_set_code(rep, rc == -ENOSPC || rc == -EBUSY
                            ? COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
                            : COGOV__V1__STATUS_CODE__STATUS_INTERNAL);
    rep->error = xasprintf("store: %s", strerror(-rc));
    return rep;
}

static Cogov__V1__Reply *
store_failed_reply(const Cogov__V1__Request *req, int rc)
{
    Cogov__V1__Reply *rep = reply_new(req->request_id, req->correlation_id);
    reply_set_code(rep, rc == -ENOSPC || rc == -EBUSY
                            ? COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
                            : COGOV__V1__STATUS_CODE__STATUS_INTERNAL);
    rep->error = xasprintf("store: %s", strerror(-rc));
    return rep;
}

/* Roll the group back and apply its writes again, each in a savepoint, in
 * their order; so is every later request of the group. The handlers are
 * functions of the store and the request, so they give the same replies;
 * none has been sent yet. Returns 0 or the store error of the new BEGIN
 * (then every write of the group is answered with it). */
static int
redo_group(svc_t *s)
{
    store_rollback(s->store);
    s->business_time = s->group_bt;
    s->careful = true;
    int rc = store_begin(s->store);
    for (size_t i = 0; i < s->n_pending; i++) {
        pending_t *p = &s->pending[i];
        if (!p->write || p->held == NULL)
            continue;
        held_t *h = p->held;
        pb_msg_free((ProtobufCMessage *)p->rep);
        free(p->packed);
        p->packed = NULL;
        p->packed_len = 0;
        bool wrote = false, redo = false;
        if (rc == 0)
            p->rep = apply_write(s, h->who, h->route, h->req, h->hash, &wrote,
                                 &redo, &p->packed, &p->packed_len);
        else
            p->rep = store_failed_reply(h->req, rc);
        p->write = wrote;
    }
    return rc;
}

static void
run_route(svc_t *s, zmq_msg_t *rid, const principal_t *who,
          const svc_route_t *r, const Cogov__V1__Request *req)
{
    if (!r->write) {
        char causation[PRINCIPAL_NAME_MAX + 160];
        causation_of(causation, sizeof(causation), who, req);
        svc_ctx_t c = {
            .who = who,
            .request_id = req->request_id,
            .correlation_id = req->correlation_id,
            .causation_id = causation,
            .actor = who->name,
            .now = s->business_time,
            .event = NULL,
        };
        Cogov__V1__Reply *rep = reply_new(req->request_id, req->correlation_id);
        reply_set_code(rep, r->fn(s, s->app, &c, req, rep));
        pending_add(s, rid, rep, false);
        return;
    }
    int rc = 0;
    if (!store_in_tx(s->store)) {
        if ((rc = store_begin(s->store)) != 0) {
            pending_add(s, rid, store_failed_reply(req, rc), false);
            return;
        }
        s->careful = false;
        s->group_bt = s->business_time;
    }
    uint64_t hash = 0;
    if (!str_empty(req->request_id)) {
        hash = body_hash(req);
        if (answer_retry(s, rid, who, req, hash))
            return;
    }
    bool wrote = false, redo = false;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    Cogov__V1__Reply *rep =
        apply_write(s, who, r, req, hash, &wrote, &redo, &packed, &packed_len);
    if (redo) {
        rc = redo_group(s);
        rep = rc == 0 ? apply_write(s, who, r, req, hash, &wrote, &redo,
                                    &packed, &packed_len)
                      : store_failed_reply(req, rc);
    }
    pending_add(s, rid, rep, wrote);
    s->pending[s->n_pending - 1].packed = packed;
    s->pending[s->n_pending - 1].packed_len = packed_len;
    if (wrote) {
        held_t *h = xcalloc(1, sizeof(*h));
        h->who = who;
        h->route = r;
        h->hash = hash;
        s->pending[s->n_pending - 1].held = h; /* req: take_request's */
    }
}

static void
log_outcome(svc_t *s, const principal_t *who, const char *request_id,
            const char *type, const Cogov__V1__Reply *rep)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &cogov__v1__status_code__descriptor, rep->code);
    const char *code = v != NULL ? v->name + 7 : "?"; /* skip "STATUS_" */
    if (rep->code == COGOV__V1__STATUS_CODE__STATUS_OK) {
        if (s->debug) /* its log_q arguments cost even when dropped */
            log_debug("request.ok", "principal=%s request=%s type=%s corr=%s",
                      log_q(who ? who->name : "-"), log_q(request_id), type,
                      log_q(rep->correlation_id));
    } else {
        log_notice("request.failed",
                   "principal=%s request=%s type=%s corr=%s code=%s error=%s",
                   log_q(who ? who->name : "-"), log_q(request_id), type,
                   log_q(rep->correlation_id), code, log_q(rep->error));
    }
}

/* One message off the ROUTER: [routing id][request]. */
/* Has this daemon applied as far as the request's consistency token asks?
 * Positions of streams it neither produces nor follows are ignored. */
static bool
token_reached(svc_t *s, const Cogov__V1__Request *req, char *why, size_t n)
{
    for (size_t i = 0; i < req->n_after; i++) {
        const Cogov__V1__Position *p = req->after[i];
        if (p->producer == NULL)
            continue;
        uint64_t have = strcmp(p->producer, s->def->name) == 0
                            ? store_head(s->store)
                            : svc_cursor_of(s, p->producer);
        if (have != UINT64_MAX && have < p->seq) {
            snprintf(why, n, "%s has applied %s only to %llu, not %llu",
                     s->def->name, p->producer, (unsigned long long)have,
                     (unsigned long long)p->seq);
            return false;
        }
    }
    return true;
}

static void
defer_request(svc_t *s, zmq_msg_t *rid, zmq_msg_t *body)
{
    deferred_t *d = xcalloc(1, sizeof(*d));
    zmq_msg_init(&d->rid);
    zmq_msg_copy(&d->rid, rid);
    zmq_msg_init(&d->body);
    zmq_msg_copy(&d->body, body); /* keeps the User-Id metadata */
    d->deadline = now_mono_ms() + s->conf.consistency_wait_ms;
    deferred_t **pp = &s->deferred; /* keep arrival order */
    while (*pp != NULL)
        pp = &(*pp)->next;
    *pp = d;
    if (!uv_is_active((uv_handle_t *)&s->deferred_timer))
        uv_timer_start(&s->deferred_timer, on_deferred_timer, 50, 50);
}

/* deadline: 0 for a request just received; else the time by which its
 * consistency token must be reached. */
static void
take_request(svc_t *s, zmq_msg_t *rid, zmq_msg_t *body, int extra_frames,
             int64_t deadline)
{
    if (deadline == 0)
        s->n_requests++;
    if (extra_frames > 0 || zmq_msg_size(rid) == 0) {
        count_reject(s, "frames");
        log_warn("request.rejected", "reason=%s",
                 log_q("expected exactly one frame per request"));
        send_error(s, rid, NULL, NULL, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "expected exactly one frame per request");
        return;
    }
    const char *user = NULL;
    const principal_t *who = allow_by_msg(s->allow, body, &user);
    /* Decode (bounded) before judging, so that every error reply that can
     * carry the request id does, and the client can match it. */
    bool in_arena = false;
    Cogov__V1__Request *req = req_decode(s, body, &in_arena);
    const char *rq = NULL;
    if (req != NULL && req->request_id != NULL &&
        strlen(req->request_id) <= 128 &&
        valid_utf8(req->request_id, strlen(req->request_id)))
        rq = req->request_id;
    if (who == NULL) {
        count_denial(s, "allow_list");
        log_warn("auth.denied", "principal=%s reason=%s", log_q(user),
                 log_q("not on the allow-list"));
        send_error(s, rid, rq, NULL,
                   COGOV__V1__STATUS_CODE__STATUS_UNAUTHENTICATED,
                   "key is not on the allow-list");
        req_release(s, req, in_arena);
        return;
    }
    if (req == NULL) {
        count_reject(s, "malformed");
        log_warn("request.rejected", "principal=%s reason=%s", log_q(who->name),
                 log_q("malformed or oversized protobuf"));
        send_error(s, rid, NULL, NULL, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "malformed request: not a cogov.v1.Request, or too large "
                   "to decode");
        return;
    }
    size_t nconn = 0;
    if (!conns_admit(s->conns, body, who->name, s->conf.max_connections,
                     &nconn)) {
        count_reject(s, "limit_connections");
        log_warn("limit.connections",
                 "principal=%s key_fpr=%s connections=%zu limit=%lld",
                 log_q(who->name), who->fpr, nconn, s->conf.max_connections);
        send_error(s, rid, rq, NULL, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                   "limit: %s holds %zu connections, at most %lld "
                   "(max_connections); close one and retry",
                   who->name, nconn, s->conf.max_connections);
        req_release(s, req, in_arena);
        return;
    }
    char err[256];
    char corr_buf[48];
    char *given_corr = NULL;
    if (pb_validate((ProtobufCMessage *)req, REPLY_MAX_STRING,
                    REPLY_MAX_REPEATED, err, sizeof(err)) != 0) {
        count_reject(s, "invalid");
        log_warn("request.rejected", "principal=%s reason=%s", log_q(who->name),
                 log_q(err));
        send_error(s, rid, rq, NULL, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "%s", err);
        goto done;
    }
    if (str_empty(req->correlation_id)) {
        svc_new_id(s->def->name, corr_buf, sizeof(corr_buf));
        given_corr = req->correlation_id; /* req_release frees it */
        req->correlation_id = corr_buf;
    }
    if (req->request_id != NULL && strlen(req->request_id) > 128) {
        count_reject(s, "request_id");
        send_error(s, rid, NULL, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "request_id: longer than 128 bytes");
        goto done;
    }
    if (req->n_after > 0 && !token_reached(s, req, err, sizeof(err))) {
        if (deadline == 0 && s->conf.consistency_wait_ms > 0 && !s->stopping) {
            defer_request(s, rid, body);
        } else {
            count_request(s, body_name(req),
                          COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE);
            log_notice("request.failed",
                       "principal=%s request=%s type=%s corr=%s "
                       "code=UNAVAILABLE error=%s",
                       log_q(who->name), log_q(req->request_id), body_name(req),
                       log_q(req->correlation_id), log_q(err));
            send_error(s, rid, req->request_id, req->correlation_id,
                       COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                       "consistency token not reached in %lld ms: %s",
                       s->conf.consistency_wait_ms, err);
        }
        goto done;
    }
    switch (req->body_case) {
    case COGOV__V1__REQUEST__BODY_FETCH:
        if (!principal_may_read(who, s->def->name)) {
            count_denial(s, "stream");
            log_warn("auth.denied", "principal=%s key_fpr=%s type=fetch",
                     log_q(who->name), who->fpr);
            send_error(s, rid, req->request_id, req->correlation_id,
                       COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED,
                       "%s may not read the %s stream", who->name,
                       s->def->name);
            goto done;
        }
        count_request(s, "fetch", COGOV__V1__STATUS_CODE__STATUS_OK);
        handle_fetch(s, rid, req, who);
        goto done;
    case COGOV__V1__REQUEST__BODY_GET_STATUS: {
        Cogov__V1__Reply *rep = reply_new(req->request_id, req->correlation_id);
        reply_set_code(rep, handle_status(s, rep));
        count_request(s, "get_status", rep->code);
        pending_add(s, rid, rep, false);
        goto done;
    }
    case COGOV__V1__REQUEST__BODY_PAUSE:
    case COGOV__V1__REQUEST__BODY_RESUME:
    case COGOV__V1__REQUEST__BODY_BACKUP:
    case COGOV__V1__REQUEST__BODY_ACCEPT_EPOCH: {
        Cogov__V1__Reply *rep = reply_new(req->request_id, req->correlation_id);
        reply_set_code(rep, admin_handle(s->admin, who, req, rep));
        if (rep->code == COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED)
            count_denial(s, "role");
        count_request(s, body_name(req), rep->code);
        log_outcome(s, who, req->request_id, body_name(req), rep);
        pending_add(s, rid, rep, false);
        goto done;
    }
    case COGOV__V1__REQUEST__BODY__NOT_SET:
        count_reject(s, "no_body");
        send_error(s, rid, req->request_id, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "request has no body this daemon knows");
        goto done;
    default:
        break;
    }
    const svc_route_t *r = route_find(s, req->body_case);
    if (r == NULL) {
        count_reject(s, "not_served");
        send_error(s, rid, req->request_id, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_INVALID,
                   "%s is not served by cogov-%s", body_name(req),
                   s->def->name);
        goto done;
    }
    if (!principal_has(who, r->roles)) {
        count_denial(s, "role");
        log_warn("auth.denied", "principal=%s key_fpr=%s type=%s corr=%s",
                 log_q(who->name), who->fpr, body_name(req),
                 log_q(req->correlation_id));
        send_error(s, rid, req->request_id, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED,
                   "%s: %s lacks the role for this", body_name(req), who->name);
        goto done;
    }
    if (r->write && admin_paused(s->admin)) {
        count_request(s, body_name(req),
                      COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE);
        send_error(s, rid, req->request_id, req->correlation_id,
                   COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                   "paused: cogov-%s takes no commands during a backup; "
                   "retry in a few seconds",
                   s->def->name);
        goto done;
    }
    size_t before = s->n_pending;
    run_route(s, rid, who, r, req);
    if (s->n_pending > before) {
        /* Log the outcome now for failures; successes of writes are logged
         * after the commit (see flush_pending). */
        pending_t *p = &s->pending[s->n_pending - 1];
        count_request(s, body_name(req), p->rep->code);
        if (!p->write)
            log_outcome(s, who, req->request_id, body_name(req), p->rep);
        else if (s->debug)
            log_debug("request.ok", "principal=%s request=%s type=%s corr=%s",
                      log_q(who->name), log_q(req->request_id), body_name(req),
                      log_q(req->correlation_id));
        if (p->held != NULL) { /* the group keeps the request */
            held_t *h = p->held;
            h->req = req;
            h->in_arena = in_arena;
            if (req->correlation_id == corr_buf) {
                str_copy(h->corr, sizeof(h->corr), corr_buf);
                req->correlation_id = h->corr;
                h->given_corr = given_corr;
            }
            return;
        }
    }
done:
    if (req->correlation_id == corr_buf)
        req->correlation_id = given_corr;
    req_release(s, req, in_arena);
}

/* Commit the group and send every reply of the iteration. */
static void
flush_pending(svc_t *s)
{
    /* Nothing else to do (no request waits): sync the group's commit here
     * rather than hand it to the checkpointer thread and back. */
    bool here = false;
    if (store_in_tx(s->store)) {
        int64_t bt = s->business_time;
        here = s->router_idle && s->conf.sync_inline && !s->sync_failed;
        int rc = timed_commit(s, here);
        if (rc != 0) {
            store_rollback(s->store);
            (void)bt;
            int64_t stored = 0;
            if (store_meta_get_int(s->store, "business_time", &stored) == 0)
                s->business_time = stored;
            log_error("store.commit_failed", "error=%s requests=%zu",
                      log_q(strerror(-rc)), s->n_pending);
            /* From the group's first write on, every answer may rest on
             * what the rollback took back: a read that saw the write, a
             * refusal because of it ("already applied"), a retry answered
             * from its stored reply. Only answers before it stand. */
            bool seen_write = false;
            for (size_t i = 0; i < s->n_pending; i++) {
                pending_t *p = &s->pending[i];
                seen_write = seen_write || p->write;
                if (!seen_write)
                    continue;
                /* The same ids, so the client matches the answer and
                 * retries with the same request id. */
                Cogov__V1__Reply *rep = p->rep;
                free(p->packed);
                p->packed = NULL;
                p->rep = reply_new(rep->request_id, rep->correlation_id);
                pb_msg_free((ProtobufCMessage *)rep);
                reply_set_code(p->rep,
                               COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE);
                p->rep->error = xasprintf("store commit failed: %s; nothing "
                                          "was applied",
                                          strerror(-rc));
            }
            here = false; /* nothing was committed */
        }
    }
    /* Every reply waits until the commits before it are durable: a write's
     * own, and for a read those whose effects it may have seen, relaxed
     * commits included (store_visible_no numbers and syncs them). Synced
     * here: first the replies held before this group, then this group's,
     * then the parked Fetches (the reference pipeline's order: an answer
     * does not queue behind event batches in the I/O thread). */
    bool serve = here && synced_here_replies(s);
    uint64_t need = s->n_pending > 0 ? store_visible_no(s->store)
                                     : store_commit_no(s->store);
    if (s->n_unsynced == 0 && store_durable_no(s->store) < need)
        (void)store_durable_poll(s->store); /* failure: on_durable stops */
    bool now = s->n_unsynced == 0 && store_durable_no(s->store) >= need;
    for (size_t i = 0; i < s->n_pending; i++) {
        pending_t *p = &s->pending[i];
        if (now)
            send_packed_reply(s, &p->rid, p->rep, p->packed, p->packed_len);
        else
            unsynced_add(s, &p->rid, p->rep, p->packed, p->packed_len, need);
        zmq_msg_close(&p->rid);
        held_free(s, &p->held);
    }
    s->n_pending = 0;
    if (serve)
        synced_here_serve(s);
    svc_after_commit(s, NULL);
}

/* Send the held replies whose commits are durable now (all when `all`,
 * after a final sync). */
static void
release_unsynced(svc_t *s, bool all)
{
    uint64_t durable = store_durable_no(s->store);
    while (s->n_unsynced > 0) {
        unsynced_t *u = &s->unsynced[s->unsynced_first];
        if (!all && u->need > durable)
            break;
        send_packed_reply(s, &u->rid, u->rep, u->packed, u->packed_len);
        zmq_msg_close(&u->rid);
        s->unsynced_first++;
        s->n_unsynced--;
    }
    if (s->n_unsynced == 0)
        s->unsynced_first = 0;
}

static void
drop_unsynced(svc_t *s)
{
    for (size_t i = 0; i < s->n_unsynced; i++) {
        unsynced_t *u = &s->unsynced[s->unsynced_first + i];
        zmq_msg_close(&u->rid);
        pb_msg_free((ProtobufCMessage *)u->rep);
        free(u->packed);
    }
    s->unsynced_first = s->n_unsynced = 0;
}

/* This thread synced (store_commit_sync): release what that made durable
 * as on_durable would. A failed sync is left to on_durable, woken here,
 * as for a failed background sync: nothing more is released (durable_no
 * did not move) and the daemon stops from the loop, not from inside the
 * caller's work. */
static void
synced_here(svc_t *s)
{
    if (synced_here_replies(s))
        synced_here_serve(s);
}

/* The first half of synced_here: the replies held before (false: the
 * sync failed, on_durable will stop the daemon). */
static bool
synced_here_replies(svc_t *s)
{
    if (s->sync_failed)
        return false;
    if (store_durable_poll(s->store) < 0) {
        uv_async_send(&s->durable_async);
        return false;
    }
    release_unsynced(s, false);
    return true;
}

/* The second half: parked Fetches and followers waiting for durability. */
static void
synced_here_serve(svc_t *s)
{
    if (store_durable_head(s->store) != s->last_served_head) {
        s->last_served_head = store_durable_head(s->store);
        serve_waiters(s, false);
    }
    for (size_t i = 0; i < s->n_follows; i++)
        follow_durable(s->follows[i]);
}

int
svc_commit_batch(svc_t *s, bool idle)
{
    store_t *st = s->store;
    if (!idle || !s->conf.sync_inline || s->sync_failed ||
        !store_tx_emitted(st))
        return store_commit_relaxed(st);
    /* A request waiting on the ROUTER is served sooner with the sync on
     * the thread. */
    int ev = 0;
    size_t len = sizeof(ev);
    if (s->router == NULL ||
        zmq_getsockopt(s->router, ZMQ_EVENTS, &ev, &len) != 0 ||
        (ev & ZMQ_POLLIN) != 0)
        return store_commit_relaxed(st);
    int rc = store_commit_sync(st);
    if (rc == 0)
        synced_here(s);
    return rc;
}

/* A sync failed (the thread's, the loop's, or the final one in stop): the
 * state on disk is unknown, so nothing more is sent; the daemon stops with
 * exit code 1, a restart recovers from what the disk holds and the clients
 * retry. Logged once. */
static void
sync_lost(svc_t *s)
{
    if (!s->sync_failed) {
        s->sync_failed = true;
        log_error("service.sync_failed", "head=%llu",
                  (unsigned long long)store_head(s->store));
    }
    drop_unsynced(s);
}

/* The checkpointer thread synced (uv_async: coalesced, on the loop). */
static void
on_durable(uv_async_t *h)
{
    svc_t *s = h->data;
    if (s->sync_failed)
        return;
    if (store_durable_poll(s->store) < 0) {
        sync_lost(s);
        stop(s);
        return;
    }
    release_unsynced(s, false);
    if (store_durable_head(s->store) != s->last_served_head) {
        s->last_served_head = store_durable_head(s->store);
        serve_waiters(s, false);
    }
    for (size_t i = 0; i < s->n_follows; i++)
        follow_durable(s->follows[i]);
}

static void
on_durable_thread(void *arg)
{
    svc_t *s = arg;
    uv_async_send(&s->durable_async);
}

/* Run deferred requests whose token is now reached or whose time is up. */
static void
run_deferred(svc_t *s, bool all)
{
    int64_t now = now_mono_ms();
    deferred_t *list = s->deferred, *keep = NULL, **tail = &keep;
    s->deferred = NULL;
    while (list != NULL) {
        deferred_t *d = list;
        list = d->next;
        d->next = NULL;
        /* Peek at the token without a full decode when still waiting. */
        bool due = all || now >= d->deadline;
        if (!due) {
            Cogov__V1__Request *req = (Cogov__V1__Request *)pb_unpack(
                &cogov__v1__request__descriptor, zmq_msg_data(&d->body),
                zmq_msg_size(&d->body), (size_t)s->conf.unpack_budget);
            char why[160];
            due = req == NULL || token_reached(s, req, why, sizeof(why));
            pb_free((ProtobufCMessage *)req);
        }
        if (due) {
            take_request(s, &d->rid, &d->body, 0, d->deadline);
            zmq_msg_close(&d->rid);
            zmq_msg_close(&d->body);
            free(d);
        } else {
            *tail = d;
            tail = &d->next;
        }
    }
    /* Requests deferred meanwhile went to s->deferred; older ones first. */
    *tail = s->deferred;
    s->deferred = keep;
    if (s->deferred == NULL && s->handles_open)
        uv_timer_stop(&s->deferred_timer);
}

static void
on_deferred_timer(uv_timer_t *t)
{
    svc_t *s = t->data;
    run_deferred(s, false);
    flush_pending(s);
}

static void
on_router(void *arg)
{
    svc_t *s = arg;
    conns_poll(s->conns); /* before the messages: see auth.c */
    bool idle = false;
    for (long long n = 0; n < s->conf.batch_requests && !s->stopping; n++) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, s->router, ZMQ_DONTWAIT) < 0) {
            idle = errno == EAGAIN; /* drained: no more input now */
            zmq_msg_close(&rid);
            break;
        }
        zmq_msg_init(&body);
        int extra = 0;
        if (!zmq_msg_more(&rid) ||
            zmq_msg_recv(&body, s->router, ZMQ_DONTWAIT) < 0) {
            extra = 1; /* a routing id with nothing: shape error */
        } else {
            bool more = zmq_msg_more(&body);
            while (more) {
                zmq_msg_t junk;
                zmq_msg_init(&junk);
                if (zmq_msg_recv(&junk, s->router, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&junk);
                    break;
                }
                more = zmq_msg_more(&junk);
                zmq_msg_close(&junk);
                extra++;
            }
        }
        take_request(s, &rid, &body, extra, 0);
        zmq_msg_close(&body);
        zmq_msg_close(&rid);
    }
    s->router_idle = idle;
    flush_pending(s);
    s->router_idle = false;
}

static void
on_zap(void *arg)
{
    svc_t *s = arg;
    zap_handle(s->zap, s->allow, &s->n_denials);
}

/* ---- lifecycle ------------------------------------------------------------
 */

static void
log_stats(svc_t *s)
{
    char cursors[512] = "";
    size_t off = 0;
    for (size_t i = 0; i < s->n_follows && off < sizeof(cursors); i++) {
        Cogov__V1__CursorStatus cs = COGOV__V1__CURSOR_STATUS__INIT;
        follow_status(s->follows[i], &cs);
        off += (size_t)snprintf(cursors + off, sizeof(cursors) - off,
                                "%s%s:%llu/%llu", i ? "," : "", cs.producer,
                                (unsigned long long)cs.applied_seq,
                                (unsigned long long)cs.head_seq);
        free(cs.state);
        free(cs.producer);
    }
    log_info("stats",
             "head=%llu cursors=%s requests=%llu rejects=%llu denials=%llu "
             "dead_letters=%lld waiters=%d",
             (unsigned long long)store_head(s->store),
             cursors[0] ? cursors : "-", (unsigned long long)s->n_requests,
             (unsigned long long)s->n_rejects, (unsigned long long)s->n_denials,
             (long long)store_dead_letter_count(s->store), s->waiters != NULL);
}

/* One line for systemd's STATUS=: head, each cursor, total lag. */
static void
status_text(svc_t *s, char *buf, size_t size)
{
    size_t off = (size_t)snprintf(buf, size, "head=%llu",
                                  (unsigned long long)store_head(s->store));
    uint64_t lag = 0;
    for (size_t i = 0; i < s->n_follows && off < size; i++) {
        Cogov__V1__CursorStatus cs = COGOV__V1__CURSOR_STATUS__INIT;
        follow_status(s->follows[i], &cs);
        if (cs.head_seq > cs.applied_seq)
            lag += cs.head_seq - cs.applied_seq;
        off += (size_t)snprintf(buf + off, size - off, " %s=%llu/%llu",
                                cs.producer, (unsigned long long)cs.applied_seq,
                                (unsigned long long)cs.head_seq);
        free(cs.state);
        free(cs.producer);
    }
    if (off < size)
        snprintf(buf + off, size - off, " lag=%llu", (unsigned long long)lag);
}

static void
write_metrics(svc_t *s)
{
    if (str_empty(s->conf.metrics_file) || s->store == NULL)
        return;
    metrics_cursor_t cur[SVC_MAX_FOLLOWS];
    Cogov__V1__CursorStatus cs[SVC_MAX_FOLLOWS];
    for (size_t i = 0; i < s->n_follows; i++) {
        cogov__v1__cursor_status__init(&cs[i]);
        follow_status(s->follows[i], &cs[i]);
        cur[i].producer = follow_producer(s->follows[i]);
        cur[i].applied = cs[i].applied_seq;
        cur[i].head = cs[i].head_seq;
    }
    metrics_view_t v = {
        .version = COGOV_VERSION,
        .uptime_s = (now_mono_ms() - s->started_ms) / 1000,
        .head = store_head(s->store),
        .epoch = store_epoch(s->store),
        .store_bytes = store_size_bytes(s->store),
        .business_time = s->business_time,
        .denials_total = s->n_denials,
        .dead_letters = store_dead_letter_count(s->store),
        .skipped_unknown = s->n_unknown,
        .waiters = s->waiters != NULL,
        .cursors = cur,
        .n_cursors = s->n_follows,
    };
    int rc = metrics_write_file(s->metrics, &v, s->conf.metrics_file);
    for (size_t i = 0; i < s->n_follows; i++) {
        free(cs[i].state);
        free(cs[i].producer);
    }
    if (rc != 0)
        log_warn("metrics.write_failed", "file=%s error=%s",
                 log_q(s->conf.metrics_file), log_q(strerror(-rc)));
}

static void
on_stats(uv_timer_t *t)
{
    svc_t *s = t->data;
    char status[480];
    log_stats(s);
    write_metrics(s); /* before STATUS: whoever hears it finds the file */
    status_text(s, status, sizeof(status));
    notify_status(s->notify, status);
    if (store_begin(s->store) == 0) {
        int n = store_reply_expire(s->store, now_wall_ms() -
                                                 s->conf.reply_window_s * 1000);
        if (n < 0 || store_commit(s->store) != 0)
            store_rollback(s->store);
        else if (n > 0)
            log_info("replies.expired", "count=%d", n);
    }
}

static void
on_close_noop(uv_handle_t *h)
{
    (void)h;
}

/* Right before the loop would block: the iteration's log lines, one write. */
static void
on_log_prepare(uv_prepare_t *h)
{
    (void)h;
    log_flush();
}

static void
stop(svc_t *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    if (s->store != NULL) { /* NULL when the start failed before it */
        log_notice("service.stopping", "head=%llu",
                   (unsigned long long)store_head(s->store));
        notify_stopping(s->notify);
        /* Nothing is half-done between callbacks: every request of an
         * iteration was committed and answered before we got here. */
        run_deferred(s, true); /* stopping: each gets its answer */
        flush_pending(s);
        /* What is committed becomes durable now, then every held reply and
         * parked Fetch is answered. */
        if (!s->sync_failed && store_sync(s->store) == 0)
            release_unsynced(s, true);
        else
            sync_lost(s); /* exit code 1 */
        serve_waiters(s, true);
        store_on_durable(s->store, NULL, NULL);
    }
    if (s->durable_open) {
        uv_close((uv_handle_t *)&s->durable_async, on_close_noop);
        s->durable_open = false;
    }
    write_metrics(s); /* the final figures, while the cursors are known */
    for (size_t i = 0; i < s->n_follows; i++)
        follow_destroy(&s->follows[i]);
    s->n_follows = 0;
    zwatch_close(&s->router_w);
    zwatch_close(&s->zap_w);
    /* Stop the ROUTER's monitor (conns) before its pair is closed: libzmq
     * would otherwise go on queueing events nobody reads (leaked, and
     * libzmq#3575: a full pair blocks its I/O thread). */
    if (s->router != NULL && s->conns != NULL)
        zmq_socket_monitor(s->router, NULL, 0);
    conns_destroy(&s->conns);
    if (s->router != NULL) {
        zmq_close(s->router);
        s->router = NULL;
    }
    if (s->zap != NULL) {
        zmq_close(s->zap);
        s->zap = NULL;
    }
    if (s->handles_open) {
        uv_close((uv_handle_t *)&s->stats_timer, on_close_noop);
        uv_close((uv_handle_t *)&s->fetch_timer, on_close_noop);
        uv_close((uv_handle_t *)&s->deferred_timer, on_close_noop);
        uv_close((uv_handle_t *)&s->log_prepare, on_close_noop);
        uv_close((uv_handle_t *)&s->sig_hup, on_close_noop);
        notify_destroy(&s->notify);
        uv_signal_stop(&s->sig_term);
        uv_signal_stop(&s->sig_int);
        s->handles_open = false;
    }
    if (s->app != NULL && s->def->app_destroy != NULL)
        s->def->app_destroy(s->app);
    s->app = NULL;
}

static void
on_term(uv_signal_t *h, int signum)
{
    svc_t *s = h->data;
    if (s->stopping) {
        log_warn("service.killed", "signal=%d", signum);
        _exit(1);
    }
    log_notice("signal", "signal=%d", signum);
    stop(s);
}

/* A second SIGTERM while the loop drains close callbacks must still work:
 * keep the signal handles until the very end. */
static void
on_hup(uv_signal_t *h, int signum)
{
    svc_t *s = h->data;
    (void)signum;
    char err[512];
    allow_t *a = allow_load(s->conf.allow_list, err, sizeof(err));
    if (a == NULL) {
        log_error("config.reload_failed", "file=%s error=%s",
                  log_q(s->conf.allow_list), log_q(err));
    } else {
        allow_destroy(&s->allow);
        s->allow = a;
        log_notice("config.reloaded", "allow_list=%s principals=%zu",
                   log_q(s->conf.allow_list), allow_count(a));
    }
    /* Only the log level is taken from a reloaded file; the rest needs a
     * restart (endpoints, store, keys). */
    svc_conf_t *fresh = xmalloc(sizeof(*fresh));
    void *scratch = xcalloc(1, s->def->config_size + 1);
    cfg_section_t secs[2] = {{k_conf_fields, fresh}, {s->def->config, scratch}};
    if (cfg_load(secs, s->def->config ? 2 : 1, s->conf_path, err,
                 sizeof(err)) == 0) {
        int lvl = log_level_parse(fresh->log_level);
        if (lvl >= 0) {
            log_set_level(lvl);
            s->debug = lvl >= LOG_DEBUG;
        }
    } else {
        log_error("config.reload_failed", "file=%s error=%s",
                  log_q(s->conf_path), log_q(err));
    }
    free(fresh);
    free(scratch);
}

static void
usage(const svc_def_t *def, FILE *f)
{
    fprintf(f,
            "usage: cogov-%s [-c FILE] [--check-config] [--print-config] "
            "[--version] [--help]\n"
            "  -c FILE          configuration (default " SVC_DEFAULT_CONF_DIR
            "/%s.conf)\n"
            "  --check-config   load and check the configuration, then exit\n"
            "  --print-config   print every key with its help and value\n"
            "Signals: SIGTERM/SIGINT stop gracefully (a second one exits at "
            "once); SIGHUP reloads the allow-list and log level.\n",
            def->name, def->name);
}

static int
open_everything(svc_t *s)
{
    char err[512];
    int created = 0;
    if (keys_open_own(s->conf.keys_dir, s->conf.allow_list, s->def->name,
                      &s->kp, &created, err, sizeof(err)) != 0) {
        log_error("keys.failed", "dir=%s error=%s", log_q(s->conf.keys_dir),
                  log_q(err));
        return -1;
    }
    if (created > 0)
        log_notice("keys.created", "dir=%s count=%d allow_list=%s",
                   log_q(s->conf.keys_dir), created, log_q(s->conf.allow_list));
    s->allow = allow_load(s->conf.allow_list, err, sizeof(err));
    if (s->allow == NULL) {
        log_error("config.failed", "error=%s", log_q(err));
        return -1;
    }
    s->zctx = zmq_ctx_new();
    s->zap = zap_bind(s->zctx);
    if (s->zap == NULL) {
        log_error("auth.zap_failed", "error=%s",
                  log_q("cannot bind the ZAP handler; refusing to "
                        "start without authentication"));
        return -1;
    }
    s->store = store_open(s->conf.store, s->def->name, s->def->migrations,
                          s->def->n_migrations, err, sizeof(err));
    if (s->store == NULL) {
        log_error("store.open_failed", "path=%s error=%s", log_q(s->conf.store),
                  log_q(err));
        return -1;
    }
    uv_async_init(&s->loop, &s->durable_async, on_durable);
    s->durable_async.data = s;
    s->durable_open = true;
    store_on_durable(s->store, on_durable_thread, s);
    int64_t bt = 0;
    if (store_meta_get_int(s->store, "business_time", &bt) == 0)
        s->business_time = bt;
    s->last_served_head = store_durable_head(s->store);
    if (s->def->app_new != NULL) {
        s->app = s->def->app_new(s);
        if (s->app == NULL) {
            log_error("service.init_failed", "service=%s", s->def->name);
            return -1;
        }
    }
    const char *ep = endpoint_of(s, s->def->name);
    s->router = sock_server(s->zctx, ep, &s->kp, s->conf.max_msg_bytes, err,
                            sizeof(err));
    if (s->router == NULL) {
        log_error("bind.failed", "endpoint=%s error=%s", log_q(ep), log_q(err));
        return -1;
    }
    s->conns = conns_new(s->zctx, s->router);
    s->zap_w = zwatch_new(&s->loop, s->zap, on_zap, s);
    s->router_w = zwatch_new(&s->loop, s->router, on_router, s);
    for (size_t i = 0; i < s->def->n_follows && i < SVC_MAX_FOLLOWS; i++) {
        const char *p = s->def->follows[i];
        principal_t *pp = &s->producers[i];
        str_copy(pp->name, sizeof(pp->name), p);
        pp->roles = role_bit(COGOV__V1__ROLE__ROLE_SERVICE);
        s->follows[i] = follow_new(s, p, endpoint_of(s, p));
        if (s->follows[i] == NULL) {
            log_error("follow.failed", "producer=%s", p);
            return -1;
        }
        s->n_follows = i + 1;
    }
    return 0;
}

int
svc_main(const svc_def_t *def, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"print-config", no_argument, NULL, 'p'},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    assert(def->config == NULL || def->config_size > 0);
    svc_declare_reactions(def);
    svc_t *s = xcalloc(1, sizeof(*s));
    s->def = def;
    s->exit_code = 1;
    s->started_ms = now_mono_ms();
    snprintf(s->conf_path, sizeof(s->conf_path),
             SVC_DEFAULT_CONF_DIR "/%s.conf", def->name);
    bool check = false, print = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            str_copy(s->conf_path, sizeof(s->conf_path), optarg);
            break;
        case 'k':
            check = true;
            break;
        case 'p':
            print = true;
            break;
        case 'v':
            printf("cogov-%s %s\n", def->name, COGOV_VERSION);
            free(s);
            return 0;
        case 'h':
            usage(def, stdout);
            free(s);
            return 0;
        default:
            usage(def, stderr);
            free(s);
            return 2;
        }
    }
    log_init(def->name);
    char err[512];
    if (load_config(s, s->conf_path, err, sizeof(err)) != 0) {
        log_error("config.failed", "error=%s", log_q(err));
        fprintf(stderr, "cogov-%s: %s\n", def->name, err);
        free(s);
        return 2;
    }
    if (print) {
        cfg_section_t secs[2] = {{k_conf_fields, &s->conf},
                                 {def->config, def->config_obj}};
        cfg_write_sample(secs, def->config ? 2 : 1, stdout);
        free(s);
        return 0;
    }
    if (check) {
        printf("%s: ok\n", s->conf_path);
        free(s);
        return 0;
    }
    log_set_level(log_level_parse(s->conf.log_level));
    s->debug = log_level_parse(s->conf.log_level) >= LOG_DEBUG;
    uv_loop_init(&s->loop);
    s->loop_ready = true;
    uv_timer_init(&s->loop, &s->stats_timer);
    uv_timer_init(&s->loop, &s->fetch_timer);
    uv_timer_init(&s->loop, &s->deferred_timer);
    uv_prepare_init(&s->loop, &s->log_prepare);
    uv_prepare_start(&s->log_prepare, on_log_prepare);
    uv_unref((uv_handle_t *)&s->log_prepare);
    uv_signal_init(&s->loop, &s->sig_term);
    uv_signal_init(&s->loop, &s->sig_int);
    uv_signal_init(&s->loop, &s->sig_hup);
    s->stats_timer.data = s->fetch_timer.data = s->deferred_timer.data = s;
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s;
    s->handles_open = true;
    s->notify = notify_new(&s->loop);
    s->metrics = metrics_new(def->name);
    s->req_arena = pb_arena_new();
    s->admin = admin_new(s);
    uv_signal_start(&s->sig_term, on_term, SIGTERM);
    uv_signal_start(&s->sig_int, on_term, SIGINT);
    uv_signal_start(&s->sig_hup, on_hup, SIGHUP);
    if (open_everything(s) == 0) {
        uint64_t ms = (uint64_t)s->conf.stats_interval_s * 1000;
        uv_timer_start(&s->stats_timer, on_stats, ms, ms);
        log_notice("service.ready",
                   "endpoint=%s store=%s head=%llu epoch=%llu follows=%zu "
                   "version=%s",
                   log_q(endpoint_of(s, def->name)), log_q(s->conf.store),
                   (unsigned long long)store_head(s->store),
                   (unsigned long long)store_epoch(s->store), s->n_follows,
                   COGOV_VERSION);
        char status[480];
        status_text(s, status, sizeof(status));
        write_metrics(s);
        notify_ready(s->notify, status);
        log_buffer(true); /* see on_log_prepare */
        uv_run(&s->loop, UV_RUN_DEFAULT);
        log_buffer(false);
        s->exit_code = 0;
    }
    stop(s);
    if (s->sync_failed) /* also the final sync in stop */
        s->exit_code = 1;
    uv_close((uv_handle_t *)&s->sig_term, on_close_noop);
    uv_close((uv_handle_t *)&s->sig_int, on_close_noop);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    int lc = uv_loop_close(&s->loop);
    if (lc != 0) {
        log_error("service.unclean", "error=%s", log_q(uv_strerror(lc)));
        s->exit_code = 1;
    }
    metrics_destroy(&s->metrics);
    pb_arena_destroy(&s->req_arena);
    admin_destroy(&s->admin);
    free(s->pending);
    drop_unsynced(s);
    free(s->unsynced);
    free(s->fetch_events.p);
    store_destroy(&s->store);
    allow_destroy(&s->allow);
    if (s->zctx != NULL)
        zmq_ctx_term(s->zctx);
    int code = s->exit_code;
    log_notice("service.stopped", "exit=%d", code);
    free(s);
    return code;
}
