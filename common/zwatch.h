/* zwatch: a ZeroMQ socket inside a libuv loop (DESIGN 2.4).
 *
 * ZMQ_FD is edge-triggered and only says "look at ZMQ_EVENTS". So: a poll
 * handle on ZMQ_FD merely wakes the loop; a check handle calls the user's
 * function while ZMQ_EVENTS has POLLIN (once per loop iteration, so sockets
 * take turns); a prepare handle re-reads ZMQ_EVENTS right before the loop
 * would block and, if input is pending (a send or receive elsewhere may have
 * consumed the edge), starts an idle handle so the loop does not block.
 * Idle sockets cost nothing: no handle is active but the poll. */
#ifndef COGOV_ZWATCH_H
#define COGOV_ZWATCH_H

#include <uv.h>

typedef struct zwatch zwatch_t;

/* Called when the socket has input. Receive with ZMQ_DONTWAIT until EAGAIN
 * or until your per-iteration budget is spent; what is left is offered again
 * on the next iteration. May send on any socket. */
typedef void (*zwatch_fn)(void *arg);

/* NULL if ZMQ_FD cannot be read. The socket stays the caller's. */
zwatch_t *zwatch_new(uv_loop_t *loop, void *zsock, zwatch_fn fn, void *arg);

/* Stop watching and close the handles (memory is freed by the last close
 * callback, so run the loop afterwards). The socket may be zmq_close()d
 * right after this returns. Accepts NULL; sets *wp to NULL. */
void zwatch_close(zwatch_t **wp);

/* Ask for the socket to be looked at on the next iteration even if no edge
 * arrives (used after a send from outside any zwatch callback). */
void zwatch_kick(zwatch_t *w);

#endif
