/* follow: a consumer of one producer's event stream (DESIGN 2.2, 2.3).
 *
 * One DEALER per producer sends Fetch{after_seq = applied}; each Batch is
 * applied in one transaction holding the reactions' effects, their own new
 * events and the cursor. Duplicates are skipped, a gap means re-fetch, an
 * epoch change or a head that went backwards stops the stream loudly. An
 * event whose `after` stamp names a position of another stream this daemon
 * follows is held until that cursor gets there (causal order); meanwhile the
 * other streams go on. */
#include "svc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "deadletter.h"
#include "log.h"
#include "pb.h"
#include "util.h"

#define RETRY_MIN_MS 100
/* A batch of at least this many events means the stream is ahead of us:
 * the next Fetch waits until this commit is durable (see apply_batch). */
#define FETCH_DEFER_MIN 2
#define RETRY_MAX_MS 5000

/* An event of the batch: decoded, or skipped (a payload case the service
 * does not react to: only skimmed, see take_events). */
typedef struct item {
    const Cogov__V1__Event *ev; /* NULL: skipped */
    bool verify;                /* decoded only to check the skip (below) */
    uint64_t seq;
    size_t pos, n_pos; /* a skipped event's `after`: follow.pos[pos...] */
} item_t;

/* The payload cases the service reacts to (svc_declare_reactions), by
 * field number; g_reacts NULL: all. One service per process. */
static uint8_t *g_reacts;
static uint32_t g_reacts_max;
/* COGOV_VERIFY_SKIPS=1 (the integration tests set it): events that would
 * be skipped are decoded and reacted to anyway, and a reaction that wrote
 * anything or failed stops the daemon (follow.skip_unsafe, abort): a list
 * that lost a case the service's react() handles would otherwise lose its
 * effects silently. */
static bool g_verify_skips;

static bool
skipped_case(Cogov__V1__Event__PayloadCase pc)
{
    return g_reacts != NULL && pc != COGOV__V1__EVENT__PAYLOAD__NOT_SET &&
           ((uint32_t)pc > g_reacts_max || !g_reacts[pc]);
}

void
svc_declare_reactions(const svc_def_t *def)
{
    free(g_reacts);
    g_reacts = NULL;
    g_reacts_max = 0;
    const char *v = getenv("COGOV_VERIFY_SKIPS");
    g_verify_skips = v != NULL && strcmp(v, "1") == 0;
    if (def == NULL || def->reacts_to == NULL)
        return;
    for (size_t i = 0; i < def->n_reacts_to; i++)
        if ((uint32_t)def->reacts_to[i] > g_reacts_max)
            g_reacts_max = (uint32_t)def->reacts_to[i];
    if (g_reacts_max < COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK)
        g_reacts_max = COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK;
    g_reacts = xcalloc(g_reacts_max + 1, 1);
    for (size_t i = 0; i < def->n_reacts_to; i++)
        g_reacts[def->reacts_to[i]] = 1;
    /* the runtime's own: a tick moves business time (apply_one) */
    g_reacts[COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK] = 1;
}

struct follow {
    svc_t *s;
    char producer[32];
    char endpoint[CFG_STR_MAX];
    char server_pub[KEY_Z85_LEN + 1];
    void *sock;
    zwatch_t *w;
    void *mon;           /* PAIR reading sock's monitor events */
    uv_poll_t *mon_poll; /* NULL: no monitor, the reply deadline covers */
    bool lost;           /* the connection dropped since the last handshake */
    uv_timer_t timer;    /* reply deadline, retry backoff */
    bool timer_open;
    uint64_t epoch;   /* 0 until the first batch when nothing was applied */
    uint64_t applied; /* committed cursor */
    uint64_t head_seen;
    bool stopped; /* epoch change / head backwards: needs an operator */
    uint64_t stopped_epoch; /* the producer's epoch when it stopped */
    bool in_flight;
    uint64_t fetch_after; /* next Fetch once this commit is durable, or 0 */
    uint64_t fetch_no;
    char want_id[32];
    int backoff_ms;
    char state[160];
    /* A batch being applied (held for causal order or for a retry). */
    Cogov__V1__Reply *batch_rep; /* decoded into arena */
    pb_arena_t *arena;
    size_t next;             /* index of the next event to apply */
    item_t *items;           /* its events, [batch_rep->batch->n_events] */
    size_t n_items;          /* room in items */
    pb_position_skim_t *pos; /* skipped events' positions (producer names
                                in the arena) */
    size_t n_pos, cap_pos;
};

static void send_fetch(follow_t *f);
static void apply_batch(follow_t *f);

uint64_t
follow_applied(const follow_t *f)
{
    return f->applied;
}

const char *
follow_producer(const follow_t *f)
{
    return f->producer;
}

void
follow_status(const follow_t *f, Cogov__V1__CursorStatus *cs)
{
    cs->producer = xstrdup(f->producer);
    cs->epoch = f->epoch;
    cs->has_epoch = 1;
    cs->applied_seq = f->applied;
    cs->has_applied_seq = 1;
    cs->head_seq = f->head_seen;
    cs->has_head_seq = 1;
    size_t held = 0;
    if (f->batch_rep != NULL && f->batch_rep->batch != NULL)
        held = f->batch_rep->batch->n_events - f->next;
    cs->held = held;
    cs->has_held = 1;
    cs->state = xstrdup(f->state);
}

static void
drop_batch(follow_t *f)
{
    f->batch_rep = NULL;
    pb_arena_reset(f->arena);
    f->next = 0;
}

static void
stop_stream(follow_t *f, const char *event, const char *why)
{
    f->stopped = true;
    snprintf(f->state, sizeof(f->state), "stopped: %s", why);
    log_error(event, "producer=%s error=%s applied=%llu epoch=%llu",
              f->producer, log_q(why), (unsigned long long)f->applied,
              (unsigned long long)f->epoch);
    drop_batch(f);
    uv_timer_stop(&f->timer);
}

static void on_sock(void *arg);

/* A producer that restarts loses the Fetch it had parked, and the DEALER
 * reconnects silently: without a sign we would wait for the reply deadline
 * (fetch_wait_ms * 3/2 + 500). The socket's monitor says when a connection
 * dropped and when a new one completed its handshake; then the Fetch is
 * sent again at once under a new id (a Fetch is a read: the old one's
 * answer, should it still come, is stale and dropped by its id). */
static void
on_mon(follow_t *f)
{
    /* Read to EAGAIN, with no budget (two kinds of rare events): then
     * libzmq has taken every command, and the next event makes ZMQ_FD
     * readable again. Nothing else touches this socket, so, unlike the
     * DEALER, it needs no zwatch (whose prepare and check handles ask
     * ZMQ_EVENTS, two system calls, on every loop iteration). */
    while (f->mon != NULL) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, f->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&msg) >= 2)
            memcpy(&event, zmq_msg_data(&msg), sizeof(event));
        bool more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&msg);
            more = zmq_msg_recv(&msg, f->mon, ZMQ_DONTWAIT) >= 0 &&
                   zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        if (event == ZMQ_EVENT_DISCONNECTED) {
            f->lost = true;
        } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && f->lost) {
            f->lost = false;
            if (!f->in_flight || f->stopped || svc_stopping(f->s))
                continue;
            log_info("follow.reconnected", "producer=%s applied=%llu",
                     f->producer, (unsigned long long)f->applied);
            f->in_flight = false;
            send_fetch(f);
        }
    }
}

static void
on_mon_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    on_mon(h->data);
}

static void
on_mon_closed(uv_handle_t *h)
{
    free(h);
}

static void
monitor_sock(follow_t *f)
{
    static unsigned n_mon;
    char addr[64];
    snprintf(addr, sizeof(addr), "inproc://follow-mon-%u-%s", ++n_mon,
             f->producer);
    int zero = 0;
    /* Our PAIR connects first (inproc allows connect before bind) so the
     * pipe exists the moment the monitor binds: libzmq 4.3.4's
     * monitor_event does not close a frame it fails to send, so an event
     * emitted before a peer is attached leaks its address frame (seen by
     * LeakSanitizer as 74 bytes malloc'd in libzmq). */
    f->mon = zmq_socket(svc_zctx(f->s), ZMQ_PAIR);
    if (f->mon == NULL ||
        zmq_setsockopt(f->mon, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
        zmq_connect(f->mon, addr) != 0)
        goto fail;
    if (zmq_socket_monitor(f->sock, addr,
                           ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        goto fail;
    int fd = -1;
    size_t fd_len = sizeof(fd);
    if (zmq_getsockopt(f->mon, ZMQ_FD, &fd, &fd_len) != 0)
        goto fail;
    f->mon_poll = xmalloc(sizeof(*f->mon_poll));
    if (uv_poll_init(svc_loop(f->s), f->mon_poll, fd) != 0) {
        free(f->mon_poll);
        f->mon_poll = NULL;
        goto fail;
    }
    f->mon_poll->data = f;
    uv_poll_start(f->mon_poll, UV_READABLE, on_mon_poll);
    on_mon(f); /* whatever came before the poll watched */
    return;
fail:
    log_warn("follow.no_monitor", "producer=%s error=%s", f->producer,
             log_q(zmq_strerror(zmq_errno())));
    zmq_socket_monitor(f->sock, NULL, 0);
    if (f->mon != NULL)
        zmq_close(f->mon);
    f->mon = NULL;
}

static int
connect_sock(follow_t *f)
{
    char err[256];
    f->sock = sock_client(svc_zctx(f->s), f->endpoint, svc_keypair(f->s),
                          f->server_pub, 0, err, sizeof(err));
    if (f->sock == NULL) {
        log_error("follow.connect_failed", "producer=%s endpoint=%s error=%s",
                  f->producer, log_q(f->endpoint), log_q(err));
        return -EIO;
    }
    f->lost = false;
    f->w = zwatch_new(svc_loop(f->s), f->sock, on_sock, f);
    if (f->w == NULL)
        return -EIO;
    monitor_sock(f);
    return 0;
}

static void
close_sock(follow_t *f)
{
    if (f->mon_poll != NULL)
        uv_close((uv_handle_t *)f->mon_poll, on_mon_closed);
    f->mon_poll = NULL;
    zwatch_close(&f->w);
    if (f->sock != NULL && f->mon != NULL)
        zmq_socket_monitor(f->sock, NULL, 0);
    if (f->mon != NULL) {
        /* libzmq 4.3.4 leaks event messages left unread in the pair */
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        while (zmq_msg_recv(&msg, f->mon, ZMQ_DONTWAIT) >= 0)
            zmq_msg_close(&msg);
        zmq_msg_close(&msg);
        zmq_close(f->mon);
    }
    f->mon = NULL;
    if (f->sock != NULL)
        zmq_close(f->sock);
    f->sock = NULL;
    f->in_flight = false;
}

static void
on_timer(uv_timer_t *t)
{
    follow_t *f = t->data;
    if (f->stopped || svc_stopping(f->s))
        return;
    if (f->in_flight) {
        /* No answer in time: the producer is down or the connection is
         * stale. Remake the socket (a late reply to the old one is lost with
         * it) and ask again from the committed cursor. */
        log_warn("follow.timeout", "producer=%s applied=%llu", f->producer,
                 (unsigned long long)f->applied);
        snprintf(f->state, sizeof(f->state), "connecting");
        close_sock(f);
        /* The producer may have restarted with a new key (rotation): take
         * its .pub again. */
        char pub[KEY_Z85_LEN + 1];
        if (keys_load_public(svc_conf(f->s)->keys_dir, f->producer, pub) == 0 &&
            strcmp(pub, f->server_pub) != 0) {
            char fpr[17];
            keys_fingerprint(pub, fpr);
            log_notice("follow.key_changed", "producer=%s key_fpr=%s",
                       f->producer, fpr);
            memcpy(f->server_pub, pub, sizeof(pub));
        }
        if (connect_sock(f) != 0) {
            uv_timer_start(&f->timer, on_timer, RETRY_MAX_MS, 0);
            return;
        }
        send_fetch(f);
        return;
    }
    if (f->batch_rep != NULL)
        apply_batch(f); /* retry after a transient failure */
    else
        send_fetch(f);
}

static void
send_fetch(follow_t *f)
{
    if (f->stopped || svc_stopping(f->s) || f->in_flight ||
        f->batch_rep != NULL)
        return;
    f->fetch_after = 0;
    const svc_conf_t *conf = svc_conf(f->s);
    Cogov__V1__Fetch fetch = COGOV__V1__FETCH__INIT;
    fetch.after_seq = f->applied;
    fetch.has_after_seq = 1;
    fetch.max_events = (uint32_t)conf->fetch_max_events;
    fetch.has_max_events = 1;
    fetch.max_wait_ms = (uint32_t)conf->fetch_wait_ms;
    fetch.has_max_wait_ms = 1;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    snprintf(f->want_id, sizeof(f->want_id), "fetch-%llu",
             (unsigned long long)++f->fetch_no);
    req.request_id = f->want_id;
    req.correlation_id = f->want_id;
    req.body_case = COGOV__V1__REQUEST__BODY_FETCH;
    req.fetch = &fetch;
    size_t len = 0;
    uint8_t *buf = pb_pack((ProtobufCMessage *)&req, &len);
    int rc = zmq_send(f->sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
    f->in_flight = true; /* even if the send failed: the timer retries */
    if (rc < 0)
        log_warn("follow.send_failed", "producer=%s error=%s", f->producer,
                 log_q(zmq_strerror(errno)));
    /* The producer answers within max_wait_ms; silence well past it means
     * the request or its answer was lost (producer restarted). */
    uv_timer_start(&f->timer, on_timer,
                   (uint64_t)conf->fetch_wait_ms * 3 / 2 + 500, 0);
}

/* Is the position (producer, seq) an event names reached here? Positions
 * in this stream or of this daemon's own are (order within a stream is
 * the seq's), as are those in streams it does not follow. */
static bool
position_reached(follow_t *f, const char *producer, uint64_t seq)
{
    if (strcmp(producer, f->producer) == 0 ||
        strcmp(producer, svc_name(f->s)) == 0)
        return true;
    uint64_t mine = svc_cursor_of(f->s, producer);
    return mine == UINT64_MAX || mine >= seq;
}

/* Is every position this event names reached here? A skipped event's
 * positions (their names not NUL-terminated) are looked at as the decoded
 * event's would be. */
static bool
causally_ready(follow_t *f, const item_t *it)
{
    const Cogov__V1__Event *ev = it->ev;
    for (size_t i = 0; ev != NULL && i < ev->n_after; i++) {
        const Cogov__V1__Position *p = ev->after[i];
        if (p->producer != NULL && !position_reached(f, p->producer, p->seq))
            return false;
    }
    for (size_t i = 0; ev == NULL && i < it->n_pos; i++) {
        const pb_position_skim_t *p = &f->pos[it->pos + i];
        char name[sizeof(f->producer)];
        /* a name this long is none of the streams followed (f->producer
         * holds theirs): svc_cursor_of would not find it */
        if (p->producer == NULL || p->producer_len >= sizeof(name))
            continue;
        memcpy(name, p->producer, p->producer_len);
        name[p->producer_len] = '\0';
        if (!position_reached(f, name, p->seq))
            return false;
    }
    return true;
}

/* "<producer>:<seq>" into buf (64 bytes; producer is shorter than 32):
 * done for every event, where snprintf cost about 1,000 instructions. */
static void
causation_of(char *buf, const char *producer, uint64_t seq)
{
    char digits[20];
    size_t n = 0, len = strlen(producer);
    do {
        digits[n++] = (char)('0' + seq % 10);
        seq /= 10;
    } while (seq > 0);
    memcpy(buf, producer, len);
    buf[len++] = ':';
    while (n > 0)
        buf[len++] = digits[--n];
    buf[len] = '\0';
}

/* apply_one's answer when a reaction refused an event after writing and
 * no savepoint can undo just that: roll the batch back and apply it again
 * with a savepoint per event. */
#define APPLY_REDO 2

/* Apply one event inside the open transaction. Returns 0 (applied, skipped
 * or dead-lettered), a negative errno (transient: the whole batch is rolled
 * back and retried, so no savepoint is needed for it) or APPLY_REDO.
 *
 * Without `careful` there is no savepoint: SQLite copies every page a
 * savepoint first touches into its sub-journal, which cost about a fifth of
 * a consumer's CPU (profiled), and only a refused event that already wrote
 * something needs it. sqlite3_total_changes tells whether it did. */
static int
apply_one(follow_t *f, const Cogov__V1__Event *ev, bool careful)
{
    svc_t *s = f->s;
    store_t *st = svc_store(s);
    char causation[64];
    causation_of(causation, f->producer, ev->seq);
    const principal_t *who = svc_service_principal(s, f->producer);
    svc_ctx_t c = {
        .who = who,
        .request_id = NULL,
        .correlation_id =
            str_empty(ev->correlation_id) ? causation : ev->correlation_id,
        .causation_id = causation,
        .actor = str_empty(ev->actor) ? f->producer : ev->actor,
        .now = ev->occurred_at,
        .event = ev,
    };
    int rc = careful ? store_savepoint(st) : 0;
    if (rc != 0)
        return rc;
    int64_t bt = svc_business_time(s);
    int64_t changes = store_changes(st);
    if (ev->payload_case == COGOV__V1__EVENT__PAYLOAD__NOT_SET) {
        /* A type this build does not know: a newer producer. Skip, count. */
        svc_count_unknown(s);
        log_notice("event.skipped_unknown", "producer=%s seq=%llu type=%s",
                   f->producer, (unsigned long long)ev->seq, log_q(ev->type));
        rc = 0;
    } else {
        rc = deadletter_react(s, &c, ev); /* deterministic errno: REJECT */
    }
    if (rc == 0 &&
        ev->payload_case == COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK &&
        ev->calendar_tick->now > svc_business_time(s))
        rc = svc_set_business_time(s, ev->calendar_tick->now);
    if (rc == SVC_REACT_REJECT) {
        if (!careful && store_changes(st) != changes) {
            svc_restore_business_time(s, bt);
            return APPLY_REDO;
        }
        store_rollback_to(st);
        svc_restore_business_time(s, bt);
        const char *why = svc_take_react_error(s);
        size_t len = 0;
        uint8_t *buf = pb_pack((const ProtobufCMessage *)ev, &len);
        rc = careful ? store_savepoint(st) : 0;
        if (rc == 0)
            rc = store_dead_letter_add(st, f->producer, ev->seq, ev->type, why,
                                       buf, len);
        free(buf);
        if (rc != 0)
            return rc;
        svc_count_dead_letter(s);
        log_error("event.dead_letter",
                  "producer=%s seq=%llu type=%s corr=%s "
                  "error=%s",
                  f->producer, (unsigned long long)ev->seq, log_q(ev->type),
                  log_q(c.correlation_id), log_q(why));
    } else if (rc != 0) {
        store_rollback_to(st);
        svc_restore_business_time(s, bt);
        return rc;
    }
    return careful ? store_release(st) : 0;
}

static void
schedule_retry(follow_t *f, int err)
{
    f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : RETRY_MIN_MS;
    if (f->backoff_ms > RETRY_MAX_MS)
        f->backoff_ms = RETRY_MAX_MS;
    log_warn("follow.retry", "producer=%s applied=%llu error=%s backoff_ms=%d",
             f->producer, (unsigned long long)f->applied, log_q(strerror(-err)),
             f->backoff_ms);
    uv_timer_start(&f->timer, on_timer, (uint64_t)f->backoff_ms, 0);
}

static void
apply_batch(follow_t *f)
{
    svc_t *s = f->s;
    store_t *st = svc_store(s);
    Cogov__V1__Batch *b = f->batch_rep->batch;
    uint64_t start_applied = f->applied;
    size_t start_next = f->next;
    int64_t start_bt = svc_business_time(s);
    bool gap = false, held = false, careful = false;
redo:;
    int rc = store_begin(st);
    if (rc != 0) {
        schedule_retry(f, rc);
        return;
    }
    while (f->next < b->n_events) {
        const item_t *it = &f->items[f->next];
        if (it->seq <= f->applied) { /* duplicate */
            f->next++;
            continue;
        }
        if (it->seq != f->applied + 1) {
            gap = true;
            break;
        }
        if (!causally_ready(f, it)) {
            held = true;
            break;
        }
        /* a skipped event: the service's reaction would do nothing */
        int64_t before = it->verify ? store_changes(st) : 0;
        rc = it->ev != NULL ? apply_one(f, it->ev, careful) : 0;
        if (it->verify && (rc != 0 || store_changes(st) != before)) {
            log_error("follow.skip_unsafe",
                      "producer=%s seq=%llu type=%s rc=%d "
                      "(the service reacts to a case it does not declare)",
                      f->producer, (unsigned long long)it->seq,
                      log_q(it->ev->type), rc);
            log_buffer(false);
            abort();
        }
        if (rc == APPLY_REDO && !careful) {
            store_rollback(st);
            f->applied = start_applied;
            f->next = start_next;
            svc_restore_business_time(s, start_bt);
            careful = true;
            goto redo;
        }
        if (rc != 0)
            break;
        f->applied = it->seq;
        f->next++;
    }
    /* The cursor moves once per batch, in the batch's transaction: with the
     * effects or not at all. A batch whose reactions emitted nothing asks
     * for no WAL sync of its own (store_commit_relaxed): lost in a power
     * failure, effects and cursor go back together and the producer serves
     * the events again; a kill -9 loses nothing (the page cache keeps it).
     * That saves a consumer an fdatasync and two wakeups per batch. A
     * batch of one event (a stream we keep up with) whose reaction emitted
     * is synced on the loop when nothing else waits (svc_commit_batch):
     * its events are served without a round trip through the checkpointer
     * thread (two wakeups fewer per reaction). */
    if (rc == 0 && f->applied != start_applied)
        rc = store_cursor_set(st, f->producer, f->epoch, f->applied);
    if (rc == 0)
        rc = svc_commit_batch(s, b->n_events == 1);
    if (rc != 0) {
        store_rollback(st);
        f->applied = start_applied;
        f->next = start_next;
        svc_restore_business_time(s, start_bt);
        schedule_retry(f, rc);
        return;
    }
    f->backoff_ms = 0;
    if (f->applied != start_applied)
        svc_after_commit(s, f);
    if (held) {
        snprintf(f->state, sizeof(f->state), "holding for causal order");
        return; /* follow_resume() goes on when another cursor moves */
    }
    snprintf(f->state, sizeof(f->state), "following");
    if (gap)
        log_warn("follow.gap", "producer=%s applied=%llu", f->producer,
                 (unsigned long long)f->applied);
    bool full = b->n_events >= (size_t)svc_conf(s)->fetch_max_events;
    drop_batch(f); /* b is gone */
    /* A stream that gave us several events at once is ahead of us: ask
     * for more only once this commit is durable (follow_durable), so what
     * the producer makes meanwhile comes in one larger batch — one commit
     * and one WAL sync instead of many small ones (the reference pipeline
     * gets the same from its synchronous commits). A batch of one event
     * (a stream we keep up with) fetches again at once: no latency added;
     * so does a full one (a replay: the next is full anyway). */
    if (f->applied - start_applied >= FETCH_DEFER_MIN && !gap && !full &&
        store_durable_no(st) < store_commit_no(st)) {
        f->fetch_after = store_commit_no(st);
        return;
    }
    send_fetch(f);
}

void
follow_durable(follow_t *f)
{
    if (f == NULL || f->fetch_after == 0 ||
        store_durable_no(svc_store(f->s)) < f->fetch_after)
        return;
    f->fetch_after = 0;
    send_fetch(f);
}

int
follow_accept_epoch(follow_t *f, uint64_t epoch, uint64_t from_seq, char *err,
                    size_t errlen)
{
    if (!f->stopped && epoch == f->epoch)
        return -EALREADY;
    if (!f->stopped || epoch != f->stopped_epoch) {
        snprintf(err, errlen,
                 "the %s stream is %s (epoch %llu, producer's %llu), not "
                 "stopped for epoch %llu",
                 f->producer, f->stopped ? "stopped" : "not stopped",
                 (unsigned long long)f->epoch,
                 (unsigned long long)f->stopped_epoch,
                 (unsigned long long)epoch);
        return -EINVAL;
    }
    store_t *st = svc_store(f->s);
    uint64_t applied = from_seq < f->applied ? from_seq : f->applied;
    int rc = store_begin(st);
    if (rc == 0)
        rc = store_cursor_set(st, f->producer, epoch, applied);
    if (rc == 0)
        rc = store_commit(st);
    if (rc != 0) {
        store_rollback(st);
        snprintf(err, errlen, "store: %s", strerror(-rc));
        return rc;
    }
    f->epoch = epoch;
    f->applied = applied;
    f->stopped = false;
    f->head_seen = 0;
    snprintf(f->state, sizeof(f->state), "following");
    if (f->in_flight) { /* a late answer for the old cursor is dropped */
        close_sock(f);
        if (connect_sock(f) != 0) {
            uv_timer_start(&f->timer, on_timer, RETRY_MAX_MS, 0);
            return 0;
        }
    }
    send_fetch(f);
    return 0;
}

void
follow_resume(follow_t *f)
{
    if (f == NULL || f->stopped || f->batch_rep == NULL ||
        uv_is_active((uv_handle_t *)&f->timer))
        return;
    const Cogov__V1__Batch *b = f->batch_rep->batch;
    if (f->next < b->n_events && causally_ready(f, &f->items[f->next]))
        apply_batch(f);
}

static void
take_batch(follow_t *f, Cogov__V1__Reply *rep)
{
    Cogov__V1__Batch *b = rep->batch;
    if (rep->code != COGOV__V1__STATUS_CODE__STATUS_OK || b == NULL) {
        snprintf(f->state, sizeof(f->state), "refused: %s",
                 rep->error ? rep->error : "no batch");
        log_error("follow.refused", "producer=%s code=%d error=%s", f->producer,
                  rep->code, log_q(rep->error));
        pb_arena_reset(f->arena);
        schedule_retry(f, -EACCES);
        return;
    }
    f->stopped_epoch = b->epoch;
    if (f->epoch == 0 && f->applied == 0) {
        f->epoch = b->epoch;
    } else if (b->epoch != f->epoch) {
        char why[128];
        snprintf(why, sizeof(why), "epoch changed from %llu to %llu",
                 (unsigned long long)f->epoch, (unsigned long long)b->epoch);
        pb_arena_reset(f->arena);
        stop_stream(f, "stream.epoch_changed", why);
        return;
    }
    if (b->head_seq < f->applied) {
        char why[128];
        snprintf(why, sizeof(why), "head went backwards to %llu below %llu",
                 (unsigned long long)b->head_seq,
                 (unsigned long long)f->applied);
        pb_arena_reset(f->arena);
        stop_stream(f, "stream.head_backwards", why);
        return;
    }
    f->head_seen = b->head_seq;
    snprintf(f->state, sizeof(f->state), "following");
    if (b->n_events == 0) {
        pb_arena_reset(f->arena);
        send_fetch(f); /* heartbeat: ask again, the producer long-polls */
        return;
    }
    f->batch_rep = rep;
    f->next = 0;
    apply_batch(f);
}

/* The items of rep's batch. When its events came as bytes (lazy: only
 * with g_reacts), each whose payload case the service does not react to is
 * only skimmed (seq and `after`, for the cursor and causal order), the
 * others decoded into the arena, as are those the skim cannot tell
 * (pb_event_take). false if one does not decode: the whole reply is bad, as
 * when it was decoded at once. */
static bool
take_events(follow_t *f, Cogov__V1__Reply *rep, bool lazy)
{
    Cogov__V1__Batch *b = rep->batch;
    if (b == NULL || b->n_events == 0)
        return true;
    if (b->n_events > f->n_items) {
        free(f->items);
        f->items = xcalloc(b->n_events, sizeof(*f->items));
        f->n_items = b->n_events;
    }
    f->n_pos = 0;
    for (size_t i = 0; i < b->n_events; i++) {
        item_t *it = &f->items[i];
        if (!lazy) {
            *it = (item_t){.ev = b->events[i], .seq = b->events[i]->seq};
            it->verify =
                g_verify_skips && skipped_case(b->events[i]->payload_case);
            continue;
        }
        ProtobufCBinaryData bd = ((const ProtobufCBinaryData *)b->events)[i];
        pb_event_skim_t sk;
        const ProtobufCMessage *m;
        int r = pb_event_take(f->arena, bd.data, bd.len,
                              g_verify_skips ? NULL : g_reacts,
                              g_reacts_max + 1, SIZE_MAX, &m, &sk);
        if (r < 0)
            return false;
        if (r == 1) {
            const Cogov__V1__Event *ev = (const Cogov__V1__Event *)m;
            *it = (item_t){.ev = ev, .seq = ev->seq};
            it->verify = g_verify_skips && skipped_case(ev->payload_case);
            continue;
        }
        /* skipped */
        if (f->cap_pos - f->n_pos < sk.n_after) {
            f->cap_pos = f->cap_pos * 2 + PB_SKIM_AFTER;
            f->pos = xrealloc(f->pos, f->cap_pos * sizeof(*f->pos));
        }
        if (sk.n_after > 0) /* f->pos may still be NULL */
            memcpy(f->pos + f->n_pos, sk.after, sk.n_after * sizeof(*f->pos));
        *it = (item_t){.seq = sk.seq, .pos = f->n_pos, .n_pos = sk.n_after};
        f->n_pos += sk.n_after;
    }
    return true;
}

static void
on_sock(void *arg)
{
    follow_t *f = arg;
    for (int n = 0; n < 16 && f->sock != NULL; n++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, f->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        bool more = zmq_msg_more(&msg);
        /* Only an answer to the Fetch in flight is decoded, into the arena
         * (no malloc per field; given back when the batch is dropped): with
         * a batch held, which lives in the arena, no Fetch is in flight and
         * whatever comes is stale. */
        Cogov__V1__Reply *rep = NULL;
        bool want = f->in_flight && f->batch_rep == NULL;
        if (want && !more) {
            pb_arena_reset(f->arena);
            /* a service that reacts to every case gets its events decoded
             * at once (lazy false) */
            bool lazy = false;
            if (g_reacts != NULL)
                rep = (Cogov__V1__Reply *)pb_unpack_arena_lazy(
                    f->arena, &cogov__v1__reply__descriptor, zmq_msg_data(&msg),
                    zmq_msg_size(&msg), SIZE_MAX, &lazy);
            else
                rep = (Cogov__V1__Reply *)pb_unpack_arena(
                    f->arena, &cogov__v1__reply__descriptor, zmq_msg_data(&msg),
                    zmq_msg_size(&msg), SIZE_MAX);
            if (rep != NULL && !take_events(f, rep, lazy))
                rep = NULL; /* an event that does not decode */
        }
        zmq_msg_close(&msg);
        while (more) { /* not our shape: drain */
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, f->sock, ZMQ_DONTWAIT) < 0)
                more = false;
            else
                more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        if (!want)
            continue; /* stale */
        if (rep == NULL) {
            log_warn("follow.bad_reply", "producer=%s", f->producer);
            continue;
        }
        if (rep->request_id == NULL ||
            strcmp(rep->request_id, f->want_id) != 0) {
            pb_arena_reset(f->arena); /* stale */
            continue;
        }
        f->in_flight = false;
        uv_timer_stop(&f->timer);
        if (f->stopped || svc_stopping(f->s)) {
            pb_arena_reset(f->arena);
            continue;
        }
        take_batch(f, rep);
    }
}

follow_t *
follow_new(svc_t *s, const char *producer, const char *endpoint)
{
    const svc_conf_t *conf = svc_conf(s);
    follow_t *f = xcalloc(1, sizeof(*f));
    f->s = s;
    f->arena = pb_arena_new();
    str_copy(f->producer, sizeof(f->producer), producer);
    str_copy(f->endpoint, sizeof(f->endpoint), endpoint);
    snprintf(f->state, sizeof(f->state), "connecting");
    if (keys_load_public(conf->keys_dir, producer, f->server_pub) != 0) {
        log_error("follow.no_key", "producer=%s keys_dir=%s", producer,
                  log_q(conf->keys_dir));
        pb_arena_destroy(&f->arena);
        free(f);
        return NULL;
    }
    if (store_cursor_get(svc_store(s), producer, &f->epoch, &f->applied) != 0) {
        pb_arena_destroy(&f->arena);
        free(f);
        return NULL;
    }
    uv_timer_init(svc_loop(s), &f->timer);
    f->timer.data = f;
    f->timer_open = true;
    if (connect_sock(f) != 0) {
        follow_destroy(&f);
        return NULL;
    }
    log_info("follow.start", "producer=%s endpoint=%s epoch=%llu applied=%llu",
             producer, log_q(endpoint), (unsigned long long)f->epoch,
             (unsigned long long)f->applied);
    send_fetch(f);
    return f;
}

static void
on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void
follow_destroy(follow_t **fp)
{
    if (fp == NULL || *fp == NULL)
        return;
    follow_t *f = *fp;
    *fp = NULL;
    close_sock(f);
    drop_batch(f);
    pb_arena_destroy(&f->arena);
    free(f->items);
    free(f->pos);
    if (f->timer_open)
        uv_close((uv_handle_t *)&f->timer, on_timer_closed);
    else
        free(f);
}
