/* test_zwatch: ZeroMQ sockets inside a libuv loop (DESIGN 2.4) with real
 * libzmq and libuv: no missed wake-ups under bursts larger than the
 * per-iteration budget, replies sent from inside the read callback, no
 * busy loop while idle, clean close, and input queued before the watcher.
 * Plain (non-CURVE) sockets: zwatch does not care. Every test runs over
 * inproc:// and over ipc:// (in a mkdtemp directory). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>
#include <cmocka.h>

#include "util.h"
#include "zwatch.h"

#define N_BURST 10000
#define BUDGET 64
#define GUARD_MS 10000
#define ECHO_WINDOW 100

enum transport { T_INPROC, T_IPC };

typedef struct zfix {
    enum transport t;
    char dir[64];
    char ep[128];
    void *zctx;
    void *router;
    void *dealer;
    uv_loop_t loop;
    uv_timer_t guard;
    bool timed_out;
    zwatch_t *rw; /* router watcher */
    zwatch_t *dw; /* dealer watcher (echo in the loop) */
    /* router side */
    size_t target; /* stop the loop when received reaches it */
    size_t received;
    size_t calls;
    size_t max_per_call;
    size_t budget_hits; /* budget spent with input still pending */
    bool echo;
    bool close_in_cb; /* zwatch_close + zmq_close from inside the callback */
    size_t close_after;
    int errors; /* out-of-order payloads, failed sends */
    char first_error[160];
    /* dealer side (echo in the loop) */
    size_t sent;
    size_t replies;
    /* thread peer */
    pthread_t th;
    bool th_running;
    bool th_echo; /* the thread also reads the replies */
    int th_hwm;   /* HWM the thread's DEALER uses (0 = unlimited) */
    size_t th_sent;
    size_t th_replies;
    int th_errors;
} zfix_t;

static void
fail_note(zfix_t *f, const char *fmt, ...)
{
    if (f->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->first_error, sizeof(f->first_error), fmt, ap);
        va_end(ap);
    }
}

static int64_t
cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
set_int(void *sock, int opt, int v)
{
    assert_int_equal(zmq_setsockopt(sock, opt, &v, sizeof(v)), 0);
}

static void *
make_dealer(zfix_t *f, int hwm)
{
    void *d = zmq_socket(f->zctx, ZMQ_DEALER);
    assert_non_null(d);
    set_int(d, ZMQ_LINGER, 0);
    set_int(d, ZMQ_SNDHWM, hwm);
    set_int(d, ZMQ_RCVHWM, hwm);
    assert_int_equal(zmq_connect(d, f->ep), 0);
    return d;
}

static void
on_guard(uv_timer_t *t)
{
    zfix_t *f = t->data;
    f->timed_out = true;
    uv_stop(&f->loop);
}

/* The router socket with unlimited HWMs (a ROUTER drops what it cannot
 * queue, and loss is not what these tests are about) and, unless the thread
 * makes its own, a DEALER connected to it. */
static int
setup(void **state)
{
    zfix_t *f = xcalloc(1, sizeof(*f));
    f->t = *(enum transport *)*state;
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    if (f->t == T_IPC) {
        snprintf(f->dir, sizeof(f->dir), "/tmp/cg-zw-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->ep, sizeof(f->ep), "ipc://%s/r.sock", f->dir);
    } else {
        static unsigned n;
        snprintf(f->ep, sizeof(f->ep), "inproc://zwatch-%u", ++n);
    }
    f->router = zmq_socket(f->zctx, ZMQ_ROUTER);
    assert_non_null(f->router);
    set_int(f->router, ZMQ_LINGER, 0);
    set_int(f->router, ZMQ_SNDHWM, 0);
    set_int(f->router, ZMQ_RCVHWM, 0);
    assert_int_equal(zmq_bind(f->router, f->ep), 0);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    *state = f;
    return 0;
}

static void
on_guard_closed(uv_handle_t *h)
{
    (void)h;
}

static int
teardown(void **state)
{
    zfix_t *f = *state;
    if (f->th_running)
        pthread_join(f->th, NULL);
    zwatch_close(&f->rw);
    zwatch_close(&f->dw);
    if (f->router != NULL)
        zmq_close(f->router);
    if (f->dealer != NULL)
        zmq_close(f->dealer);
    if (!uv_is_closing((uv_handle_t *)&f->guard))
        uv_close((uv_handle_t *)&f->guard, on_guard_closed);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int lc = uv_loop_close(&f->loop);
    zmq_ctx_term(f->zctx);
    if (f->dir[0] != 0) {
        char path[128];
        snprintf(path, sizeof(path), "%s/r.sock", f->dir);
        unlink(path);
        rmdir(f->dir);
    }
    free(f);
    assert_int_equal(lc, 0);
    return 0;
}

/* Run the loop until it is stopped (target reached) or the guard fires.
 * The guard's expiry also wakes the loop, and the check handle runs in that
 * same iteration: a callback that stops the loop then would hide a lost
 * wake-up, so the elapsed time counts too. */
static void
run_guarded(zfix_t *f, uint64_t ms)
{
    f->timed_out = false;
    int64_t t0 = now_mono_ms();
    uv_timer_start(&f->guard, on_guard, ms, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&f->guard);
    if (now_mono_ms() - t0 >= (int64_t)ms)
        f->timed_out = true;
}

/* ---- the router's read callback ------------------------------------------ */

static bool
has_input(void *sock)
{
    int ev = 0;
    size_t len = sizeof(ev);
    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 &&
           (ev & ZMQ_POLLIN) != 0;
}

/* Receive at most BUDGET messages (routing id + 4-byte index) with
 * ZMQ_DONTWAIT, check they come in order, echo them if asked. */
static void
on_router(void *arg)
{
    zfix_t *f = arg;
    size_t n = 0;
    f->calls++;
    while (n < BUDGET && f->router != NULL) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, f->router, ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN)
                fail_note(f, "recv id: %s", zmq_strerror(errno));
            zmq_msg_close(&id);
            break;
        }
        zmq_msg_init(&body);
        if (!zmq_msg_more(&id) ||
            zmq_msg_recv(&body, f->router, ZMQ_DONTWAIT) < 0) {
            fail_note(f, "recv body: %s", zmq_strerror(errno));
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            break;
        }
        uint32_t idx = UINT32_MAX;
        if (zmq_msg_size(&body) == sizeof(idx))
            memcpy(&idx, zmq_msg_data(&body), sizeof(idx));
        if (idx != f->received)
            fail_note(f, "message %zu carried index %u", f->received, idx);
        f->received++;
        n++;
        if (f->echo) {
            if (zmq_msg_send(&id, f->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_msg_send(&body, f->router, ZMQ_DONTWAIT) < 0)
                fail_note(f, "echo send: %s", zmq_strerror(errno));
        }
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        if (f->close_in_cb && f->received == f->close_after) {
            /* The watcher and its socket go away from inside the callback,
             * with input still queued and the idle handle possibly on. */
            zwatch_close(&f->rw);
            zmq_close(f->router);
            f->router = NULL;
            uv_stop(&f->loop);
            break;
        }
        if (f->received == f->target)
            uv_stop(&f->loop);
    }
    if (n > f->max_per_call)
        f->max_per_call = n;
    if (n == BUDGET && f->router != NULL && has_input(f->router))
        f->budget_hits++;
}

static void
send_index(void *sock, uint32_t i, int flags)
{
    int rc = zmq_send(sock, &i, sizeof(i), flags);
    assert_int_equal(rc, (int)sizeof(i));
}

static void
check_router_outcome(zfix_t *f, size_t want)
{
    if (f->errors != 0)
        fail_msg("%d errors, first: %s", f->errors, f->first_error);
    if (f->timed_out)
        fail_msg("guard fired: received %zu of %zu in %zu calls", f->received,
                 want, f->calls);
    assert_int_equal(f->received, want);
    assert_true(f->max_per_call <= BUDGET);
    /* Each call takes at most BUDGET: the rest needed further iterations
     * that no new edge of ZMQ_FD necessarily announced. */
    assert_true(f->calls >= (want + BUDGET - 1) / BUDGET);
}

/* ---- a DEALER peer in its own thread ------------------------------------- */

static void *
peer_thread(void *arg)
{
    zfix_t *f = arg;
    void *d = zmq_socket(f->zctx, ZMQ_DEALER);
    /* Linger: the thread closes its socket right after its last send, and
     * what is still in the pipe must reach the router (LINGER 0 dropped the
     * tail of the burst now and then). */
    int v = 5000;
    zmq_setsockopt(d, ZMQ_LINGER, &v, sizeof(v));
    zmq_setsockopt(d, ZMQ_SNDHWM, &f->th_hwm, sizeof(f->th_hwm));
    zmq_setsockopt(d, ZMQ_RCVHWM, &f->th_hwm, sizeof(f->th_hwm));
    if (zmq_connect(d, f->ep) != 0) {
        f->th_errors++;
        zmq_close(d);
        return NULL;
    }
    int64_t deadline = now_mono_ms() + GUARD_MS;
    while (now_mono_ms() < deadline &&
           (f->th_sent < N_BURST || (f->th_echo && f->th_replies < N_BURST))) {
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (f->th_sent < N_BURST)
            it.events |= ZMQ_POLLOUT;
        if (zmq_poll(&it, 1, 100) < 0)
            continue;
        if ((it.revents & ZMQ_POLLOUT) != 0) {
            uint32_t i = (uint32_t)f->th_sent;
            /* Blocking would be fine in this thread; DONTWAIT with POLLOUT
             * lets it read replies while the router's side fills up. */
            if (zmq_send(d, &i, sizeof(i), ZMQ_DONTWAIT) == (int)sizeof(i))
                f->th_sent++;
        }
        if ((it.revents & ZMQ_POLLIN) != 0) {
            uint32_t i = UINT32_MAX;
            while (zmq_recv(d, &i, sizeof(i), ZMQ_DONTWAIT) == (int)sizeof(i)) {
                if (i != f->th_replies)
                    f->th_errors++;
                f->th_replies++;
            }
        }
    }
    zmq_close(d);
    return NULL;
}

static void
start_peer(zfix_t *f, bool echo, int hwm)
{
    f->th_echo = echo;
    f->th_hwm = hwm;
    assert_int_equal(pthread_create(&f->th, NULL, peer_thread, f), 0);
    f->th_running = true;
}

static void
join_peer(zfix_t *f)
{
    pthread_join(f->th, NULL);
    f->th_running = false;
}

/* ---- tests --------------------------------------------------------------- */

/* A peer thread sends N messages while the loop runs (default HWM 1000: the
 * sender is held back by the router draining, 64 per iteration); all N
 * arrive, in order. */
static void
test_burst_concurrent(void **state)
{
    zfix_t *f = *state;
    f->target = N_BURST;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    start_peer(f, false, 1000);
    run_guarded(f, GUARD_MS);
    join_peer(f);
    assert_int_equal(f->th_errors, 0);
    assert_int_equal(f->th_sent, N_BURST);
    check_router_outcome(f, N_BURST);
    printf("# burst: %zu messages in %zu calls, budget spent with input "
           "pending %zu times\n",
           f->received, f->calls, f->budget_hits);
}

/* The whole burst is queued at once, so one edge announces all of it; the
 * budget leaves N - 64 behind after the first call and nothing else will
 * wake the loop but the watcher itself. */
static void
test_burst_one_edge(void **state)
{
    zfix_t *f = *state;
    f->target = N_BURST;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    f->dealer = make_dealer(f, 0);
    for (uint32_t i = 0; i < N_BURST; i++)
        send_index(f->dealer, i, ZMQ_DONTWAIT);
    run_guarded(f, GUARD_MS);
    check_router_outcome(f, N_BURST);
    assert_true(f->budget_hits > 0); /* the budget really left input behind */
}

/* The router echoes from inside its callback (a send there consumes the
 * ZMQ_FD edge) to a peer thread that receives all N replies. */
static void
test_echo_thread_peer(void **state)
{
    zfix_t *f = *state;
    f->target = N_BURST;
    f->echo = true;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    start_peer(f, true, 0);
    run_guarded(f, GUARD_MS);
    /* The router has seen all N; the thread collects the last replies. */
    join_peer(f);
    check_router_outcome(f, N_BURST);
    assert_int_equal(f->th_errors, 0);
    assert_int_equal(f->th_replies, N_BURST);
}

/* Both ends in the same loop: the DEALER's callback reads replies and sends
 * the next requests, the ROUTER's echoes; every send happens inside a
 * callback and may eat the other socket's edge. */
static void
on_dealer(void *arg)
{
    zfix_t *f = arg;
    for (int n = 0; n < BUDGET; n++) {
        uint32_t i = UINT32_MAX;
        if (zmq_recv(f->dealer, &i, sizeof(i), ZMQ_DONTWAIT) != (int)sizeof(i))
            break;
        if (i != f->replies)
            fail_note(f, "reply %zu carried index %u", f->replies, i);
        f->replies++;
        if (f->sent < N_BURST) {
            uint32_t next = (uint32_t)f->sent;
            if (zmq_send(f->dealer, &next, sizeof(next), ZMQ_DONTWAIT) !=
                (int)sizeof(next))
                fail_note(f, "dealer send: %s", zmq_strerror(errno));
            else
                f->sent++;
        }
        if (f->replies == N_BURST)
            uv_stop(&f->loop);
    }
}

static void
test_echo_in_loop(void **state)
{
    zfix_t *f = *state;
    f->target = SIZE_MAX; /* the dealer side stops the loop */
    f->echo = true;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    f->dealer = make_dealer(f, 0);
    f->dw = zwatch_new(&f->loop, f->dealer, on_dealer, f);
    assert_non_null(f->dw);
    /* A window of requests sent from outside any callback: kick. */
    for (; f->sent < ECHO_WINDOW; f->sent++)
        send_index(f->dealer, (uint32_t)f->sent, ZMQ_DONTWAIT);
    zwatch_kick(f->dw);
    run_guarded(f, GUARD_MS);
    if (f->errors != 0)
        fail_msg("%d errors, first: %s", f->errors, f->first_error);
    if (f->timed_out)
        fail_msg("guard fired: %zu requests sent, %zu received by the router, "
                 "%zu replies",
                 f->sent, f->received, f->replies);
    assert_int_equal(f->sent, N_BURST);
    assert_int_equal(f->received, N_BURST);
    assert_int_equal(f->replies, N_BURST);
}

/* Idle: with the watcher installed (after some traffic, so the idle handle
 * has been on) and nothing arriving, the loop sleeps: the callback is not
 * called and the process uses next to no CPU. A busy loop would burn the
 * whole 500 ms. Then one more message still wakes it. */
static void
test_idle_costs_nothing(void **state)
{
    zfix_t *f = *state;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    f->dealer = make_dealer(f, 0);
    f->target = 10;
    for (uint32_t i = 0; i < 10; i++)
        send_index(f->dealer, i, ZMQ_DONTWAIT);
    run_guarded(f, GUARD_MS);
    check_router_outcome(f, 10);

    f->calls = 0;
    int64_t wall0 = now_mono_ms();
    int64_t cpu0 = cpu_ns();
    run_guarded(f, 500); /* the guard is the stop timer here */
    int64_t cpu_ms = (cpu_ns() - cpu0) / 1000000;
    int64_t wall_ms = now_mono_ms() - wall0;
    printf("# idle: %lld ms of CPU in %lld ms, %zu calls\n", (long long)cpu_ms,
           (long long)wall_ms, f->calls);
    assert_true(f->timed_out);
    assert_true(wall_ms >= 450);
    assert_int_equal(f->calls, 0);
    assert_true(cpu_ms < 50);

    f->target = 11;
    send_index(f->dealer, 10, ZMQ_DONTWAIT);
    run_guarded(f, GUARD_MS);
    check_router_outcome(f, 11);
}

/* zwatch_close, zmq_close, uv_run: the loop has nothing left and closes. */
static void
test_close_clean(void **state)
{
    zfix_t *f = *state;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    f->dealer = make_dealer(f, 0);
    f->target = 5;
    for (uint32_t i = 0; i < 5; i++)
        send_index(f->dealer, i, ZMQ_DONTWAIT);
    run_guarded(f, GUARD_MS);
    check_router_outcome(f, 5);
    /* Pending input, idle handle asked for: close anyway. */
    send_index(f->dealer, 5, ZMQ_DONTWAIT);
    zwatch_kick(f->rw);
    zwatch_close(&f->rw);
    assert_null(f->rw);
    zwatch_close(&f->rw); /* NULL is accepted */
    zwatch_close(NULL);
    zwatch_kick(NULL);
    assert_int_equal(zmq_close(f->router), 0);
    f->router = NULL;
    uv_close((uv_handle_t *)&f->guard, on_guard_closed);
    /* Nothing may keep the loop alive: this returns once the close
     * callbacks have run (a live handle would make it block). */
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_alive(&f->loop), 0);
    assert_int_equal(f->received, 5);
}

/* The same from inside the callback, in the middle of a burst. */
static void
test_close_in_callback(void **state)
{
    zfix_t *f = *state;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    f->dealer = make_dealer(f, 0);
    f->target = SIZE_MAX;
    f->close_in_cb = true;
    f->close_after = 100;
    for (uint32_t i = 0; i < 1000; i++)
        send_index(f->dealer, i, ZMQ_DONTWAIT);
    run_guarded(f, GUARD_MS);
    assert_false(f->timed_out);
    assert_null(f->rw);
    assert_null(f->router);
    assert_int_equal(f->received, 100);
    uv_close((uv_handle_t *)&f->guard, on_guard_closed);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_alive(&f->loop), 0);
}

/* Messages already queued (and their edge already consumed) before the
 * watcher exists: no edge will come for them, yet they are delivered. */
static void
test_queued_before_new(void **state)
{
    zfix_t *f = *state;
    f->dealer = make_dealer(f, 0);
    for (uint32_t i = 0; i < 5; i++)
        send_index(f->dealer, i, ZMQ_DONTWAIT);
    /* Wait (bounded) until the router has input; reading ZMQ_EVENTS
     * processes ZeroMQ's commands and so eats the edge of ZMQ_FD. */
    int64_t deadline = now_mono_ms() + GUARD_MS;
    while (!has_input(f->router) && now_mono_ms() < deadline) {
        zmq_pollitem_t it = {f->router, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 100);
    }
    assert_true(has_input(f->router));
    int fd = -1;
    size_t len = sizeof(fd);
    assert_int_equal(zmq_getsockopt(f->router, ZMQ_FD, &fd, &len), 0);
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1, 0);
    printf("# ZMQ_FD readable before zwatch_new: %d\n", ready);
    if (f->t == T_INPROC)
        assert_int_equal(ready, 0); /* no edge pending: the hard case */

    f->target = 5;
    f->rw = zwatch_new(&f->loop, f->router, on_router, f);
    assert_non_null(f->rw);
    run_guarded(f, GUARD_MS);
    check_router_outcome(f, 5);
}

int
main(void)
{
    static enum transport inproc = T_INPROC, ipc = T_IPC;
    /* Every test over both transports, named "<test>/<transport>". */
    /* clang-format off */
#define ON(fn, tr) {#fn "/" #tr, fn, setup, teardown, &tr}
    const struct CMUnitTest tests[] = {
        ON(test_burst_concurrent, inproc),
        ON(test_burst_concurrent, ipc),
        ON(test_burst_one_edge, inproc),
        ON(test_burst_one_edge, ipc),
        ON(test_echo_thread_peer, inproc),
        ON(test_echo_thread_peer, ipc),
        ON(test_echo_in_loop, inproc),
        ON(test_echo_in_loop, ipc),
        ON(test_idle_costs_nothing, inproc),
        ON(test_idle_costs_nothing, ipc),
        ON(test_close_clean, inproc),
        ON(test_close_clean, ipc),
        ON(test_close_in_callback, inproc),
        ON(test_close_in_callback, ipc),
        ON(test_queued_before_new, inproc),
        ON(test_queued_before_new, ipc),
    };
#undef ON
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
