/* svc_int: the runtime's private parts shared by svc.c (server, lifecycle)
 * and follow.c (stream consumers). Not for services. */
#ifndef COGOV_SVC_INT_H
#define COGOV_SVC_INT_H

#include "svc.h"
#include "zwatch.h"

#define SVC_MAX_FOLLOWS 8
#define SVC_ENDPOINT_KEYS 4

typedef struct svc_conf {
    char state_dir[CFG_STR_MAX];
    char store[CFG_STR_MAX];
    char keys_dir[CFG_STR_MAX];
    char allow_list[CFG_STR_MAX];
    char log_level[CFG_STR_MAX];
    char endpoints[SVC_ENDPOINT_KEYS]
                  [CFG_STR_MAX]; /* coordination, incentives,
                                    supervision, secretariat */
    long long max_msg_bytes;
    long long unpack_budget;
    long long reply_window_s;
    long long fetch_max_events;
    long long fetch_wait_ms;
    long long batch_requests;
    long long stats_interval_s;
    long long consistency_wait_ms;
    char metrics_file[CFG_STR_MAX]; /* Prometheus textfile, "" = off */
    long long max_connections;      /* per principal, 0 = no limit */
    long long max_parked_fetches;   /* per principal, 0 = no limit */
    bool sync_inline; /* an idle loop syncs its group commit itself */
} svc_conf_t;

typedef struct follow follow_t;

/* Stream consumer of one producer (follow.c). */
follow_t *follow_new(svc_t *s, const char *producer, const char *endpoint);
void follow_destroy(follow_t **fp);
/* The store's durable commit count moved: send a Fetch deferred until its
 * last commit was durable. */
void follow_durable(follow_t *f);
/* Try to go on applying a batch held for causal order. */
void follow_resume(follow_t *f);
uint64_t follow_applied(const follow_t *f);
const char *follow_producer(const follow_t *f);
void follow_status(const follow_t *f, Cogov__V1__CursorStatus *cs);
/* Operator accepts the producer's new epoch (admin.c): cursor becomes
 * (epoch, min(applied, from_seq)), stored, and the stream goes on. -EINVAL
 * (err set) if the stream is not stopped for another epoch, -EALREADY if
 * it follows that epoch already, or a store error. */
int follow_accept_epoch(follow_t *f, uint64_t epoch, uint64_t from_seq,
                        char *err, size_t errlen);

/* Runtime services used by follow.c. */
const svc_conf_t *svc_conf(const svc_t *s);
void *svc_zctx(svc_t *s);
const keypair_t *svc_keypair(const svc_t *s);
/* After a commit that may have advanced the head or a cursor: answer waiting
 * Fetches, resume held batches of other followers. */
void svc_after_commit(svc_t *s, follow_t *except);
/* Commit a follower's batch: store_commit_relaxed, except that a batch
 * that emitted events, committed when `idle` (the caller expects nothing
 * more to apply soon, e.g. a batch of one event), with sync_inline on and
 * no request waiting on the ROUTER, is made durable on the loop
 * (store_commit_sync) and what that releases (held replies, parked
 * Fetches, deferred Fetches of followers) is released before this
 * returns. A failed sync there is handled as a failed background sync
 * (nothing more released, the daemon stops from the loop later). 0, or
 * as store_commit (not committed). */
int svc_commit_batch(svc_t *s, bool idle);
/* Give the stream consumers (follow.c) def->reacts_to (svc_main does, before
 * the followers start); reacts_to NULL: every event is decoded. */
void svc_declare_reactions(const svc_def_t *def);
/* Applied position of producer in this daemon, or UINT64_MAX if this daemon
 * does not follow it (its events cannot be held for it). */
uint64_t svc_cursor_of(svc_t *s, const char *producer);
void svc_count_dead_letter(svc_t *s);
void svc_count_unknown(svc_t *s);
const char *svc_take_react_error(svc_t *s);
/* Principal standing for a producer's stream in reactions. */
const principal_t *svc_service_principal(svc_t *s, const char *producer);
bool svc_stopping(const svc_t *s);
/* The i-th follower, NULL past the last (admin.c). */
follow_t *svc_follow_at(svc_t *s, size_t i);
/* Run the service's reaction (0 if it has none). */
int svc_react(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev);
/* Forget an in-memory business time change that was rolled back. */
void svc_restore_business_time(svc_t *s, int64_t t);

#endif
