/* svc: the daemon runtime every cogov service runs on. One libuv loop, one
 * store, one ROUTER endpoint that serves commands, queries and the event
 * stream (Fetch with long-poll), one DEALER per followed producer, signals,
 * the ready line and orderly teardown. A service supplies a svc_def_t: its
 * migrations, its route table (request body -> roles -> handler) and its
 * reaction to followed events.
 *
 * Request path (svc.c is the one boundary): frame shape -> budgeted unpack
 * -> principal from ZAP User-Id (looked up per message) -> pb_validate ->
 * route lookup -> role check -> stored-reply check -> handler inside a
 * savepoint of the iteration's group transaction -> commit -> replies.
 */
#ifndef COGOV_SVC_H
#define COGOV_SVC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "store.h"
#include "cogov/v1/envelope.pb-c.h"

typedef struct svc svc_t;

/* Context of one request or one reaction. */
typedef struct svc_ctx {
    const principal_t *who;     /* caller (for reactions: the producer's
                                   SERVICE principal, name = producer) */
    const char *request_id;     /* NULL for reactions */
    const char *correlation_id; /* never NULL */
    const char *causation_id; /* "req:<principal>:<id>" or "<producer>:<seq>" */
    const char *actor;        /* principal name, or the event's actor */
    int64_t now;              /* business time: latest tick applied (for
                                 reactions: the event's occurred_at) */
    const Cogov__V1__Event *event; /* the event being reacted to, or NULL */
} svc_ctx_t;

/* A handler fills rep->body (everything reachable from rep allocated with
 * xmalloc/xstrdup; the runtime frees it) and returns a status. On anything
 * but STATUS_OK its writes are rolled back and its events forgotten; use
 * svc_fail() to set the error text. Runs on the loop, inside a transaction
 * when the route is a write. */
typedef Cogov__V1__StatusCode (*svc_handler_fn)(svc_t *s, void *app,
                                                const svc_ctx_t *c,
                                                const Cogov__V1__Request *req,
                                                Cogov__V1__Reply *rep);

typedef struct svc_route {
    Cogov__V1__Request__BodyCase body;
    uint32_t roles; /* any of these role bits may call it */
    bool write;     /* changes state: transaction, stored reply */
    svc_handler_fn fn;
} svc_route_t;

/* Reaction to one event of a followed stream, inside the consumer's
 * transaction (the cursor advances in the same transaction). Return 0 when
 * applied (or nothing to do), SVC_REACT_REJECT with svc_react_error() set
 * for an event it can never apply (dead letter, cursor moves on), or a
 * negative errno for a transient failure (rolled back, retried with
 * backoff). Must be idempotent and must not depend on arrival order across
 * streams (DESIGN 2.3). */
#define SVC_REACT_REJECT 1
typedef int (*svc_react_fn)(svc_t *s, void *app, const svc_ctx_t *c,
                            const Cogov__V1__Event *ev);

/* A member's whole lifecycle, as payload cases: several services keep their
 * own copy of the register and react to every one of them (reacts_to). */
#define SVC_MEMBER_LIFECYCLE_CASES                                             \
    COGOV__V1__EVENT__PAYLOAD_MEMBER_APPLIED,                                  \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_ADMITTED,                             \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_REJECTED,                             \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_SUSPENDED,                            \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_REINSTATED,                           \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_EXITED,                               \
        COGOV__V1__EVENT__PAYLOAD_MEMBER_EXPELLED

typedef struct svc_def {
    const char *name;              /* "coordination": stream and store name */
    const char *const *migrations; /* service schema, applied in order */
    size_t n_migrations;
    const svc_route_t *routes;
    size_t n_routes;
    const char *const *follows; /* producers whose streams it follows */
    size_t n_follows;
    svc_react_fn react; /* NULL if it follows nothing */
    /* The Event payload cases react() handles, or NULL: all. For any other
     * case react() must return 0 and write nothing: the runtime advances
     * the cursor past such an event without decoding it (follow.c; calendar
     * ticks it decodes always, they move business time). */
    const Cogov__V1__Event__PayloadCase *reacts_to;
    size_t n_reacts_to;
    /* Service-specific config keys (NULL-key terminated) and the object
     * they fill; may be NULL. */
    const cfg_field_t *config;
    void *config_obj;
    size_t config_size; /* sizeof *config_obj: SIGHUP re-reads the file into
                           a scratch copy and takes only the log level */
    /* Make the service's state after the store is open and before the
     * endpoint is bound (NULL: none); return NULL to refuse to start. */
    void *(*app_new)(svc_t *s);
    void (*app_destroy)(void *app);
} svc_def_t;

/* The whole daemon: parse argv (-c FILE, --check-config, --help,
 * --version), config, log, keys (bootstrapped on first start), allow-list,
 * ZAP, store, endpoint, followers, ready line, loop, teardown. Returns the
 * process exit code. */
int svc_main(const svc_def_t *def, int argc, char **argv);

/* ---- for handlers and reactions --------------------------------------- */

/* Append an event to this daemon's outbox in the current transaction,
 * stamping producer/seq/epoch (store), type (from the payload case),
 * occurred_at (c->now if 0), actor, correlation and causation ids from c,
 * and `after` with the cursors applied so far. ev stays the caller's. */
int svc_emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event *ev);

/* Set the reply's error text (printf-style) and return `code`, so a handler
 * can `return svc_fail(rep, STATUS_INVALID, "name: required");`. */
Cogov__V1__StatusCode svc_fail(Cogov__V1__Reply *rep,
                               Cogov__V1__StatusCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the reason a reaction is rejected (dead-lettered). */
void svc_react_error(svc_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Run fn inside a transaction outside a request (timers): fn emits via
 * svc_emit with a ctx it builds (svc_ctx_system gives one). Waiting Fetches
 * are answered after the commit. Returns fn's result or a store error. */
int svc_tx(svc_t *s, int (*fn)(svc_t *s, void *app, void *arg), void *arg);
/* A context for work the daemon starts itself (actor "system:<name>"). */
void svc_ctx_system(svc_t *s, svc_ctx_t *c, char *corr_buf, size_t corr_size);

store_t *svc_store(svc_t *s);
uv_loop_t *svc_loop(svc_t *s);
const char *svc_name(const svc_t *s);
void *svc_app(svc_t *s);

/* Business time: the latest calendar tick applied (0 before the first). The
 * runtime updates it when a followed calendar_tick is applied; coordination,
 * which owns the calendar, sets it when it emits a tick (same transaction). */
int64_t svc_business_time(svc_t *s);
int svc_set_business_time(svc_t *s, int64_t t);

/* Name of an event payload case ("member_admitted"), from the descriptor. */
const char *svc_event_type(const Cogov__V1__Event *ev);

/* Correlation ids: "<prefix>-<wall ms hex>-<counter>"; buf >= 48. */
void svc_new_id(const char *prefix, char *buf, size_t size);

#endif
