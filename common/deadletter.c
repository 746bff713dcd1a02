/* deadletter: classification of reaction failures and the operators'
 * list / retry / discard of dead letters (DESIGN 2.3). */
#include "deadletter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "svc_int.h"
#include "util.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define RETRY_MAX 1000 /* rows one RetryDeadLetter{all} takes on */
#define REASON_MAX 500

#define ST(x) COGOV__V1__STATUS_CODE__STATUS_##x

bool
deadletter_transient(int err)
{
    switch (-err) {
    case EBUSY:  /* SQLITE_BUSY / LOCKED */
    case EAGAIN: /* try again */
    case EINTR:
    case EIO:    /* I/O, and every SQLite failure the store does not map */
    case ENOSPC: /* SQLITE_FULL: disk full */
    case EDQUOT:
    case ENOMEM:
    case ENOBUFS:
    case ETIMEDOUT:
    case EROFS:  /* remounted read-only: an operator fixes the disk */
    case EACCES: /* file permissions, likewise */
    case EMFILE:
    case ENFILE:
    case ENOLCK:
        return true;
    default:
        return false;
    }
}

static const struct {
    int err;
    const char *name;
    const char *what;
} k_errs[] = {
    {EEXIST, "EEXIST", "constraint violated"},
    {ENOENT, "ENOENT", "unresolved reference"},
    {EINVAL, "EINVAL", "invalid"},
    {ERANGE, "ERANGE", "out of range"},
    {EPERM, "EPERM", "not allowed in this state"},
    {EPROTO, "EPROTO", "unexpected content"},
    {EOVERFLOW, "EOVERFLOW", "overflow"},
    {EDOM, "EDOM", "out of domain"},
    {EALREADY, "EALREADY", "already done"},
    {ENOTSUP, "ENOTSUP", "not supported"},
};

void
deadletter_describe(int err, const char *detail, char *buf, size_t size)
{
    const char *name = NULL, *what = NULL;
    for (size_t i = 0; i < ARRAY_LEN(k_errs); i++)
        if (k_errs[i].err == -err) {
            name = k_errs[i].name;
            what = k_errs[i].what;
        }
    char num[32];
    if (name == NULL) {
        snprintf(num, sizeof(num), "errno %d", -err);
        name = num;
        what = strerror(-err);
    }
    snprintf(buf, size, "reaction failed: %s (%s)%s%s", what, name,
             str_empty(detail) ? "" : ": ", str_empty(detail) ? "" : detail);
}

int
deadletter_react(svc_t *s, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    svc_react_error(s, "%s", ""); /* no text left from an earlier event */
    int rc = svc_react(s, c, ev);
    if (rc >= 0 || deadletter_transient(rc))
        return rc;
    /* The store's last message tells which constraint; for other errors
     * it may belong to an earlier statement. */
    sqlite3 *db = store_db(svc_store(s));
    const char *detail =
        rc == -EEXIST && (sqlite3_errcode(db) & 0xff) == SQLITE_CONSTRAINT
            ? sqlite3_errmsg(db)
            : NULL;
    char why[400];
    deadletter_describe(rc, detail, why, sizeof(why));
    svc_react_error(s, "%s", why);
    return SVC_REACT_REJECT;
}

/* ---- requests ------------------------------------------------------------ */

static Cogov__V1__DeadLetter *
row_message(const store_dead_letter_t *d, const char *outcome)
{
    Cogov__V1__DeadLetter *m = xmalloc(sizeof(*m));
    cogov__v1__dead_letter__init(m);
    m->id = (uint64_t)d->id;
    m->has_id = 1;
    m->producer = xstrdup(d->producer ? d->producer : "");
    m->seq = d->seq;
    m->has_seq = 1;
    m->type = xstrdup(d->type ? d->type : "");
    m->error = xstrdup(d->error ? d->error : "");
    m->first_seen_ms = d->created_at;
    m->has_first_seen_ms = 1;
    m->attempts = (uint32_t)d->attempts;
    m->has_attempts = 1;
    if (outcome != NULL)
        m->outcome = xstrdup(outcome);
    if (d->discarded_at != 0) {
        m->discarded_ms = d->discarded_at;
        m->has_discarded_ms = 1;
        m->discarded_by = xstrdup(d->discarded_by ? d->discarded_by : "");
        m->reason = xstrdup(d->reason ? d->reason : "");
    }
    return m;
}

static Cogov__V1__DeadLetterList *
list_new(svc_t *s, Cogov__V1__Reply *rep, size_t cap)
{
    Cogov__V1__DeadLetterList *l = xmalloc(sizeof(*l));
    cogov__v1__dead_letter_list__init(l);
    l->service = xstrdup(svc_name(s));
    l->dead_letters = xcalloc(cap ? cap : 1, sizeof(*l->dead_letters));
    rep->body_case = COGOV__V1__REPLY__BODY_DEAD_LETTER_LIST;
    rep->dead_letter_list = l;
    return l;
}

static void
list_total(svc_t *s, Cogov__V1__DeadLetterList *l, bool discarded)
{
    store_t *st = svc_store(s);
    int64_t n = discarded ? store_dead_letter_discarded_count(st)
                          : store_dead_letter_count(st);
    if (n >= 0) {
        l->total = (uint64_t)n;
        l->has_total = 1;
    }
}

static Cogov__V1__StatusCode
handle_list(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    (void)app;
    (void)c;
    const Cogov__V1__ListDeadLetters *q = req->list_dead_letters;
    uint32_t limit = q->has_limit && q->limit > 0 ? q->limit : LIST_DEFAULT;
    if (limit > LIST_MAX)
        limit = LIST_MAX;
    store_dead_letter_t *v = NULL;
    size_t n = 0;
    int rc =
        store_dead_letter_list(svc_store(s), q->producer, 0,
                               q->has_discarded && q->discarded, limit, &v, &n);
    if (rc != 0)
        return svc_fail(rep, ST(UNAVAILABLE), "store: %s", strerror(-rc));
    Cogov__V1__DeadLetterList *l = list_new(s, rep, n);
    for (size_t i = 0; i < n; i++)
        l->dead_letters[l->n_dead_letters++] = row_message(&v[i], NULL);
    list_total(s, l, q->has_discarded && q->discarded);
    store_dead_letter_free(v, n);
    return ST(OK);
}

/* Check producer and seq of a retry or discard. */
static Cogov__V1__StatusCode
check_target(svc_t *s, const char *producer, bool has_seq, uint64_t seq,
             bool all, Cogov__V1__Reply *rep)
{
    if (str_empty(producer))
        return svc_fail(rep, ST(INVALID), "producer: required");
    if (!all && (!has_seq || seq == 0))
        return svc_fail(rep, ST(INVALID), "seq: required (from 1)");
    if (svc_service_principal(s, producer) == NULL)
        return svc_fail(rep, ST(INVALID), "cogov-%s does not follow %s",
                        svc_name(s), producer);
    return ST(OK);
}

/* No open row for producer:seq: say whether it was discarded. */
static Cogov__V1__StatusCode
not_found(svc_t *s, const char *producer, uint64_t seq, bool all,
          Cogov__V1__Reply *rep)
{
    if (all)
        return svc_fail(rep, ST(NOT_FOUND), "no dead letter of %s", producer);
    store_dead_letter_t *v = NULL;
    size_t n = 0;
    if (store_dead_letter_list(svc_store(s), producer, seq, true, 1, &v, &n) ==
            0 &&
        n > 0) {
        Cogov__V1__StatusCode code = svc_fail(
            rep, ST(NOT_FOUND),
            "no dead letter %s:%llu: it was discarded by %s (%s)", producer,
            (unsigned long long)seq, v[0].discarded_by, v[0].reason);
        store_dead_letter_free(v, n);
        return code;
    }
    store_dead_letter_free(v, n);
    return svc_fail(rep, ST(NOT_FOUND), "no dead letter %s:%llu", producer,
                    (unsigned long long)seq);
}

/* Apply one stored event again inside the request's transaction, in a
 * savepoint of its own: applied -> the row goes in the same savepoint;
 * refused -> its writes are undone and the row keeps the new error and one
 * more attempt. Returns 0 (*outcome set) or a transient / store errno
 * (everything of this event undone). */
static int
retry_one(svc_t *s, const store_dead_letter_t *d, const char **outcome,
          const char **why)
{
    store_t *st = svc_store(s);
    Cogov__V1__Event *ev =
        d->event != NULL ? cogov__v1__event__unpack(NULL, d->len, d->event)
                         : NULL;
    int rc = 0;
    *why = NULL;
    if (ev == NULL) {
        *why = "the stored event does not decode";
        *outcome = "failed";
        return store_dead_letter_failed(st, d->id, *why);
    }
    char causation[64];
    snprintf(causation, sizeof(causation), "%s:%llu", d->producer,
             (unsigned long long)d->seq);
    svc_ctx_t c = {
        .who = svc_service_principal(s, d->producer),
        .request_id = NULL,
        .correlation_id =
            str_empty(ev->correlation_id) ? causation : ev->correlation_id,
        .causation_id = causation,
        .actor = str_empty(ev->actor) ? d->producer : ev->actor,
        .now = ev->occurred_at,
        .event = ev,
    };
    /* The runtime's savepoint around this request (after a redo), or the
     * previous event's, is kept: what is applied so far stays. */
    if (store_in_savepoint(st))
        rc = store_release(st);
    if (rc == 0)
        rc = store_savepoint(st);
    if (rc != 0)
        goto done;
    int64_t bt = svc_business_time(s);
    rc = deadletter_react(s, &c, ev);
    if (rc == 0 &&
        ev->payload_case == COGOV__V1__EVENT__PAYLOAD_CALENDAR_TICK &&
        ev->calendar_tick->now > svc_business_time(s))
        rc = svc_set_business_time(s, ev->calendar_tick->now);
    if (rc == 0) {
        rc = store_dead_letter_remove(st, d->id);
        if (rc == 0)
            rc = store_release(st);
        if (rc == 0) {
            *outcome = "retried";
            goto done;
        }
    }
    store_rollback_to(st);
    svc_restore_business_time(s, bt);
    if (rc == SVC_REACT_REJECT) {
        *why = svc_take_react_error(s);
        *outcome = "failed";
        rc = store_dead_letter_failed(st, d->id, *why);
    }
done:
    cogov__v1__event__free_unpacked(ev, NULL);
    return rc;
}

static Cogov__V1__StatusCode
handle_retry(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    (void)app;
    const Cogov__V1__RetryDeadLetter *q = req->retry_dead_letter;
    bool all = q->has_all && q->all;
    Cogov__V1__StatusCode code =
        check_target(s, q->producer, q->has_seq, q->seq, all, rep);
    if (code != ST(OK))
        return code;
    store_t *st = svc_store(s);
    store_dead_letter_t *v = NULL;
    size_t n = 0;
    int rc = store_dead_letter_list(st, q->producer, all ? 0 : q->seq, false,
                                    RETRY_MAX, &v, &n);
    if (rc != 0)
        return svc_fail(rep, ST(UNAVAILABLE), "store: %s", strerror(-rc));
    if (n == 0)
        return not_found(s, q->producer, q->seq, all, rep);
    bool outer = store_in_savepoint(st);
    Cogov__V1__DeadLetterList *l = list_new(s, rep, n);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        store_dead_letter_t *d = &v[i];
        const char *outcome = NULL, *why = NULL;
        rc = retry_one(s, d, &outcome, &why);
        if (rc != 0) {
            code = svc_fail(
                rep, deadletter_transient(rc) ? ST(UNAVAILABLE) : ST(INTERNAL),
                "retrying %s:%llu: %s (transient: nothing of it was applied; "
                "%zu retried before it); try again",
                d->producer, (unsigned long long)d->seq, strerror(-rc), done);
            log_warn("dead_letter.retry_failed",
                     "producer=%s seq=%llu type=%s principal=%s corr=%s "
                     "error=%s",
                     d->producer, (unsigned long long)d->seq, log_q(d->type),
                     log_q(c->who->name), log_q(c->correlation_id),
                     log_q(strerror(-rc)));
            break;
        }
        done++;
        if (why == NULL) {
            log_notice("dead_letter.retried",
                       "producer=%s seq=%llu type=%s principal=%s corr=%s "
                       "attempts=%lld",
                       d->producer, (unsigned long long)d->seq, log_q(d->type),
                       log_q(c->who->name), log_q(c->correlation_id),
                       (long long)d->attempts + 1);
        } else {
            free(d->error);
            d->error = xstrdup(why);
            d->attempts++;
            log_warn("dead_letter.retry_failed",
                     "producer=%s seq=%llu type=%s principal=%s corr=%s "
                     "attempts=%lld error=%s",
                     d->producer, (unsigned long long)d->seq, log_q(d->type),
                     log_q(c->who->name), log_q(c->correlation_id),
                     (long long)d->attempts, log_q(why));
        }
        l->dead_letters[l->n_dead_letters++] = row_message(d, outcome);
    }
    /* Leave the savepoints as they were found. */
    if (outer && !store_in_savepoint(st) && store_savepoint(st) != 0 &&
        code == ST(OK))
        code = svc_fail(rep, ST(INTERNAL), "store: savepoint");
    if (code == ST(OK))
        list_total(s, l, false);
    store_dead_letter_free(v, n);
    return code;
}

static Cogov__V1__StatusCode
handle_discard(svc_t *s, void *app, const svc_ctx_t *c,
               const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    (void)app;
    const Cogov__V1__DiscardDeadLetter *q = req->discard_dead_letter;
    Cogov__V1__StatusCode code =
        check_target(s, q->producer, q->has_seq, q->seq, false, rep);
    if (code != ST(OK))
        return code;
    if (str_empty(q->reason))
        return svc_fail(rep, ST(INVALID),
                        "reason: required (why the event can never apply)");
    if (strlen(q->reason) > REASON_MAX)
        return svc_fail(rep, ST(INVALID), "reason: longer than %d bytes",
                        REASON_MAX);
    store_t *st = svc_store(s);
    store_dead_letter_t *v = NULL;
    size_t n = 0;
    int rc = store_dead_letter_list(st, q->producer, q->seq, false, RETRY_MAX,
                                    &v, &n);
    if (rc != 0)
        return svc_fail(rep, ST(UNAVAILABLE), "store: %s", strerror(-rc));
    if (n == 0)
        return not_found(s, q->producer, q->seq, false, rep);
    Cogov__V1__DeadLetterList *l = list_new(s, rep, n);
    for (size_t i = 0; i < n && code == ST(OK); i++) {
        store_dead_letter_t *d = &v[i];
        rc = store_dead_letter_discard(st, d->id, c->who->name, q->reason);
        if (rc != 0) {
            code = svc_fail(
                rep, deadletter_transient(rc) ? ST(UNAVAILABLE) : ST(INTERNAL),
                "store: %s", strerror(-rc));
            break;
        }
        log_notice("dead_letter.discarded",
                   "producer=%s seq=%llu type=%s principal=%s corr=%s "
                   "attempts=%lld error=%s reason=%s",
                   d->producer, (unsigned long long)d->seq, log_q(d->type),
                   log_q(c->who->name), log_q(c->correlation_id),
                   (long long)d->attempts, log_q(d->error), log_q(q->reason));
        d->discarded_at = now_wall_ms();
        d->discarded_by = xstrdup(c->who->name);
        d->reason = xstrdup(q->reason);
        l->dead_letters[l->n_dead_letters++] = row_message(d, "discarded");
    }
    if (code == ST(OK))
        list_total(s, l, false);
    store_dead_letter_free(v, n);
    return code;
}

#define OPERATOR (1u << COGOV__V1__ROLE__ROLE_OPERATOR)

static const svc_route_t k_routes[] = {
    {COGOV__V1__REQUEST__BODY_LIST_DEAD_LETTERS, OPERATOR, false, handle_list},
    {COGOV__V1__REQUEST__BODY_RETRY_DEAD_LETTER, OPERATOR, true, handle_retry},
    {COGOV__V1__REQUEST__BODY_DISCARD_DEAD_LETTER, OPERATOR, true,
     handle_discard},
};

const svc_route_t *
deadletter_route(Cogov__V1__Request__BodyCase body)
{
    for (size_t i = 0; i < ARRAY_LEN(k_routes); i++)
        if (k_routes[i].body == body)
            return &k_routes[i];
    return NULL;
}
