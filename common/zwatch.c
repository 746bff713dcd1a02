/* zwatch: edge-triggered ZMQ_FD integrated with libuv without lost wake-ups
 * or busy loops. See zwatch.h for the scheme. */
#include "zwatch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <zmq.h>

#include "util.h"

struct zwatch {
    uv_poll_t poll;
    uv_check_t check;
    uv_prepare_t prepare;
    uv_idle_t idle;
    void *sock;
    zwatch_fn fn;
    void *arg;
    int open_handles;
    bool closing;
    bool polled; /* ZMQ_FD was readable since the last check */
};

static bool
has_input(zwatch_t *w)
{
    int events = 0;
    size_t len = sizeof(events);
    if (zmq_getsockopt(w->sock, ZMQ_EVENTS, &events, &len) != 0)
        return false;
    return (events & ZMQ_POLLIN) != 0;
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
    /* Only a wake-up: the check handle does the work. */
    zwatch_t *w = h->data;
    (void)status;
    (void)events;
    w->polled = true;
}

static void
on_idle(uv_idle_t *h)
{
    (void)h;
}

static void
on_check(uv_check_t *h)
{
    zwatch_t *w = h->data;
    /* ZMQ_EVENTS costs libzmq two system calls (poll, getpid). A socket
     * with no edge since the prepare handle found it empty (idle stopped)
     * is not asked again: were its edge consumed meanwhile by a send in a
     * callback of this iteration, the next prepare finds the input and
     * keeps the loop from blocking, so it is taken one iteration later. */
    if (w->closing ||
        (!w->polled && !uv_is_active((const uv_handle_t *)&w->idle)))
        return;
    w->polled = false;
    if (has_input(w))
        w->fn(w->arg);
}

static void
on_prepare(uv_prepare_t *h)
{
    zwatch_t *w = h->data;
    if (w->closing)
        return;
    if (has_input(w))
        uv_idle_start(&w->idle, on_idle);
    else
        uv_idle_stop(&w->idle);
}

zwatch_t *
zwatch_new(uv_loop_t *loop, void *zsock, zwatch_fn fn, void *arg)
{
    int fd = -1;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(zsock, ZMQ_FD, &fd, &len) != 0)
        return NULL;
    zwatch_t *w = xcalloc(1, sizeof(*w));
    w->sock = zsock;
    w->fn = fn;
    w->arg = arg;
    w->poll.data = w->check.data = w->prepare.data = w->idle.data = w;
    if (uv_poll_init(loop, &w->poll, fd) != 0) {
        free(w);
        return NULL;
    }
    uv_check_init(loop, &w->check);
    uv_prepare_init(loop, &w->prepare);
    uv_idle_init(loop, &w->idle);
    w->open_handles = 4;
    uv_poll_start(&w->poll, UV_READABLE, on_poll);
    uv_check_start(&w->check, on_check);
    uv_prepare_start(&w->prepare, on_prepare);
    /* Messages may already be queued (the edge came before we watched). */
    uv_idle_start(&w->idle, on_idle);
    return w;
}

static void
on_close(uv_handle_t *h)
{
    zwatch_t *w = h->data;
    if (--w->open_handles == 0)
        free(w);
}

void
zwatch_close(zwatch_t **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    zwatch_t *w = *wp;
    *wp = NULL;
    w->closing = true;
    uv_close((uv_handle_t *)&w->poll, on_close);
    uv_close((uv_handle_t *)&w->check, on_close);
    uv_close((uv_handle_t *)&w->prepare, on_close);
    uv_close((uv_handle_t *)&w->idle, on_close);
}

void
zwatch_kick(zwatch_t *w)
{
    if (w != NULL && !w->closing)
        uv_idle_start(&w->idle, on_idle);
}
