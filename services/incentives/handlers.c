/* handlers: incentives' route table, pool and policy commands, award
 * commands and queries, the ledger (DESIGN 1.3). SQL in inc_store.c; the
 * award lifecycle in awards.c. */
#include "incentives.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inc_store.h"
#include "log.h"
#include "policy.h"
#include "pool_acct.h"
#include "util.h"

#define BODY(x) COGOV__V1__REQUEST__BODY_##x
#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x
#define POOL_MAX_FEN (INT64_MAX / 8)
#define POLICY_TEXT_MAX (64 * 1024)

static Cogov__V1__StatusCode
store_fail(Cogov__V1__Reply *rep, int err, const char *what)
{
    if (err == -EBUSY || err == -ENOSPC)
        return svc_fail(rep, UNAVAILABLE, "%s: %s, try again later", what,
                        strerror(-err));
    return svc_fail(rep, INTERNAL, "%s: %s", what, strerror(-err));
}

/* A principal whose only reading role is MEMBER_REP sees its own unit. */
static bool
confined(const principal_t *p)
{
    return principal_has(p, R(MEMBER_REP)) &&
           !principal_has(p, INC_READ_ROLES & ~R(MEMBER_REP));
}

bool
inc_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 40)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int
emit_pool(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
          const char *pool_id, int64_t amount, const char *reason)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__PoolEvent pe = COGOV__V1__POOL_EVENT__INIT;
    int err = inc_store_pool(svc_store(s), pool_id, &pe.pool);

    if (err < 0)
        return err;
    if (amount) {
        pe.has_amount_fen = true;
        pe.amount_fen = amount;
    }
    pe.reason = (char *)reason;
    ev.payload_case = pc;
    ev.pool_created = &pe;
    err = svc_emit(s, c, &ev);
    protobuf_c_message_free_unpacked(&pe.pool->base, NULL);
    return err;
}

static Cogov__V1__StatusCode
reply_pool(svc_t *s, const char *pool_id, Cogov__V1__Reply *rep)
{
    int err = inc_store_pool(svc_store(s), pool_id, &rep->pool);

    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "pool %s: no such pool", pool_id);
    if (err < 0)
        return store_fail(rep, err, "pool");
    rep->body_case = COGOV__V1__REPLY__BODY_POOL;
    return OK;
}

static Cogov__V1__StatusCode
create_pool(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__CreatePool *cp = req->create_pool;
    Cogov__V1__Pool p = COGOV__V1__POOL__INIT;
    int err;

    (void)app;
    if (!inc_id_ok(cp->pool_id))
        return svc_fail(rep, INVALID,
                        "create_pool.pool_id: 1..40 of "
                        "[A-Za-z0-9._-]");
    if (!cp->has_source || cp->source < 1 || cp->source > 4)
        return svc_fail(rep, INVALID, "create_pool.source: required");
    if (cp->fiscal_year < 2000 || cp->fiscal_year > 2199)
        return svc_fail(rep, INVALID, "create_pool.fiscal_year: 2000..2199");
    if (cp->budget_fen <= 0 || cp->budget_fen > POOL_MAX_FEN)
        return svc_fail(rep, INVALID, "create_pool.budget_fen: > 0 fen");
    p.pool_id = cp->pool_id;
    p.name = str_empty(cp->name) ? cp->pool_id : cp->name;
    p.source = cp->source;
    p.fiscal_year = cp->fiscal_year;
    p.budget_fen = cp->budget_fen;
    p.created_at = c->now;
    err = inc_store_pool_add(svc_store(s), &p);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT,
                        "pool %s exists already (pools are "
                        "never edited; top it up)",
                        cp->pool_id);
    if (err == 0)
        err = emit_pool(s, c, PAY(POOL_CREATED), cp->pool_id, 0, NULL);
    if (err < 0)
        return store_fail(rep, err, "create_pool");
    log_info("pool.created", "pool=%s budget=%" PRId64 " actor=%s corr=%s",
             log_q(cp->pool_id), cp->budget_fen, log_q(c->actor),
             log_q(c->correlation_id));
    return reply_pool(s, cp->pool_id, rep);
}

static Cogov__V1__StatusCode
top_up_pool(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__TopUpPool *t = req->top_up_pool;
    pool_acct_t p;
    int err;

    if (str_empty(t->pool_id))
        return svc_fail(rep, INVALID, "top_up_pool.pool_id: required");
    if (t->amount_fen <= 0 || t->amount_fen > POOL_MAX_FEN)
        return svc_fail(rep, INVALID, "top_up_pool.amount_fen: > 0 fen");
    if (str_empty(t->reason))
        return svc_fail(rep, INVALID, "top_up_pool.reason: required");
    err = inc_store_pool_acct(svc_store(s), t->pool_id, &p);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "pool %s: no such pool", t->pool_id);
    if (err < 0)
        return store_fail(rep, err, "top_up_pool");
    if (pool_top_up(&p, t->amount_fen) < 0 || p.budget > POOL_MAX_FEN)
        return svc_fail(rep, INVALID, "top_up_pool.amount_fen: too large");
    if ((err = inc_store_pool_acct_set(svc_store(s), t->pool_id, &p)) < 0 ||
        (err = emit_pool(s, c, PAY(POOL_TOPPED_UP), t->pool_id, t->amount_fen,
                         t->reason)) < 0 ||
        (err = inc_pool_settle(s, app, c, t->pool_id)) < 0)
        return store_fail(rep, err, "top_up_pool");
    log_info("pool.topped_up", "pool=%s amount=%" PRId64 " actor=%s corr=%s",
             log_q(t->pool_id), t->amount_fen, log_q(c->actor),
             log_q(c->correlation_id));
    return reply_pool(s, t->pool_id, rep);
}

static Cogov__V1__StatusCode
get_pool(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Request *req,
         Cogov__V1__Reply *rep)
{
    (void)app;
    (void)c;
    if (str_empty(req->get_pool->pool_id))
        return svc_fail(rep, INVALID, "get_pool.pool_id: required");
    return reply_pool(s, req->get_pool->pool_id, rep);
}

static Cogov__V1__StatusCode
list_pools(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    int err = inc_store_pools(svc_store(s), &rep->pool_list);

    (void)app;
    (void)c;
    (void)req;
    rep->body_case = COGOV__V1__REPLY__BODY_POOL_LIST;
    return err < 0 ? store_fail(rep, err, "pools") : OK;
}

static Cogov__V1__StatusCode
load_policy(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__LoadPolicy *l = req->load_policy;
    const char *src = str_empty(l->source_name) ? "policy" : l->source_name;
    policy_t *p = xmalloc(sizeof *p);
    char perr[320];
    Cogov__V1__StatusCode code = OK;
    int err;

    (void)app;
    if (str_empty(l->text) || strlen(l->text) > POLICY_TEXT_MAX) {
        code = svc_fail(rep, INVALID, "load_policy.text: 1..%d bytes",
                        POLICY_TEXT_MAX);
        goto done;
    }
    if (policy_parse(l->text, src, p, perr, sizeof perr) < 0) {
        code = svc_fail(rep, INVALID, "%s", perr);
        goto done;
    }
    err = inc_store_policy_add(svc_store(s), p->id, p->version, p->effective_on,
                               p->pool_id, l->text, c->now);
    if (err == -EEXIST) {
        code = svc_fail(rep, CONFLICT,
                        "policy %s version %u is loaded "
                        "already (load a new version)",
                        p->id, p->version);
        goto done;
    }
    if (err < 0) {
        code = store_fail(rep, err, "load_policy");
        goto done;
    }
    rep->policy = xmalloc(sizeof *rep->policy);
    cogov__v1__policy_info__init(rep->policy);
    rep->policy->policy_id = xstrdup(p->id);
    rep->policy->has_version = rep->policy->has_rules = true;
    rep->policy->version = p->version;
    rep->policy->effective_on = xstrdup(p->effective_on);
    rep->policy->pool_id = xstrdup(p->pool_id);
    rep->policy->rules = (uint32_t)p->n_rules;
    rep->body_case = COGOV__V1__REPLY__BODY_POLICY;
    log_info("policy.loaded",
             "policy=%s version=%u effective=%s rules=%zu "
             "actor=%s corr=%s",
             log_q(p->id), p->version, p->effective_on, p->n_rules,
             log_q(c->actor), log_q(c->correlation_id));
done:
    free(p);
    return code;
}

static Cogov__V1__StatusCode
list_policies(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    int err = inc_store_policies(svc_store(s), &rep->policy_list);

    (void)app;
    (void)c;
    (void)req;
    rep->body_case = COGOV__V1__REPLY__BODY_POLICY_LIST;
    return err < 0 ? store_fail(rep, err, "policies") : OK;
}

static Cogov__V1__StatusCode
get_award(svc_t *s, void *app, const svc_ctx_t *c,
          const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *id = req->get_award->award_id;
    int err;

    (void)app;
    if (str_empty(id))
        return svc_fail(rep, INVALID, "get_award.award_id: required");
    err = inc_store_award(svc_store(s), id, &rep->award);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "award %s: no such award", id);
    if (err < 0)
        return store_fail(rep, err, "award");
    rep->body_case = COGOV__V1__REPLY__BODY_AWARD;
    if (confined(c->who) && strcmp(rep->award->member_id, c->who->member_id))
        return svc_fail(rep, DENIED,
                        "award %s: a member representative sees "
                        "its own unit's awards only",
                        id);
    return OK;
}

static Cogov__V1__StatusCode
list_awards(svc_t *s, void *app, const svc_ctx_t *c,
            const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ListAwards *l = req->list_awards;
    const char *member = l->member_id;
    int err;

    (void)app;
    if (confined(c->who)) {
        if (str_empty(member))
            member = c->who->member_id;
        if (member[0] == 0 || strcmp(member, c->who->member_id))
            return svc_fail(rep, DENIED,
                            "list_awards.member_id: a member "
                            "representative lists its own unit's awards only");
    }
    err = inc_store_awards(svc_store(s), member, l->pool_id,
                           l->has_status ? (int)l->status : 0, NULL,
                           &rep->award_list);
    rep->body_case = COGOV__V1__REPLY__BODY_AWARD_LIST;
    return err < 0 ? store_fail(rep, err, "awards") : OK;
}

static Cogov__V1__StatusCode
get_ledger(svc_t *s, void *app, const svc_ctx_t *c,
           const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__GetLedger *l = req->get_ledger;
    const char *member = l->member_id;
    int err;

    (void)app;
    if (confined(c->who)) {
        if (str_empty(member))
            member = c->who->member_id;
        if (member[0] == 0 || strcmp(member, c->who->member_id))
            return svc_fail(rep, DENIED,
                            "get_ledger.member_id: a member "
                            "representative sees its own unit only");
    }
    err = inc_store_ledger(svc_store(s), l->pool_id, member, &rep->ledger);
    rep->body_case = COGOV__V1__REPLY__BODY_LEDGER;
    return err < 0 ? store_fail(rep, err, "ledger") : OK;
}

static Cogov__V1__StatusCode
review_award(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    if (str_empty(req->review_award->award_id))
        return svc_fail(rep, INVALID, "review_award.award_id: required");
    return inc_award_op(s, app, c, req->review_award->award_id, AWARD_REVIEW,
                        req->review_award->note, rep);
}

static Cogov__V1__StatusCode
approve_award(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    if (str_empty(req->approve_award->award_id))
        return svc_fail(rep, INVALID, "approve_award.award_id: required");
    return inc_award_op(s, app, c, req->approve_award->award_id, AWARD_APPROVE,
                        NULL, rep);
}

static Cogov__V1__StatusCode
reject_award(svc_t *s, void *app, const svc_ctx_t *c,
             const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    if (str_empty(req->reject_award->award_id))
        return svc_fail(rep, INVALID, "reject_award.award_id: required");
    if (str_empty(req->reject_award->reason))
        return svc_fail(rep, INVALID, "reject_award.reason: required");
    return inc_award_op(s, app, c, req->reject_award->award_id, AWARD_REJECT,
                        req->reject_award->reason, rep);
}

static Cogov__V1__StatusCode
confirm_disbursement(svc_t *s, void *app, const svc_ctx_t *c,
                     const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ConfirmDisbursement *d = req->confirm_disbursement;

    if (str_empty(d->award_id))
        return svc_fail(rep, INVALID,
                        "confirm_disbursement.award_id: required");
    if (str_empty(d->payment_ref) || strlen(d->payment_ref) > 64)
        return svc_fail(rep, INVALID,
                        "confirm_disbursement.payment_ref: "
                        "1..64 bytes required");
    return inc_award_op(s, app, c, d->award_id, AWARD_DISBURSE, d->payment_ref,
                        rep);
}

#define MANAGE (R(GOV_COORDINATOR) | R(FINANCE_OFFICER))
const svc_route_t inc_routes[] = {
    {BODY(CREATE_POOL), MANAGE, true, create_pool},
    {BODY(TOP_UP_POOL), MANAGE, true, top_up_pool},
    {BODY(GET_POOL), INC_READ_ROLES, false, get_pool},
    {BODY(LIST_POOLS), INC_READ_ROLES, false, list_pools},
    {BODY(LOAD_POLICY), MANAGE, true, load_policy},
    {BODY(LIST_POLICIES), INC_READ_ROLES, false, list_policies},
    {BODY(GET_AWARD), INC_READ_ROLES, false, get_award},
    {BODY(LIST_AWARDS), INC_READ_ROLES, false, list_awards},
    {BODY(REVIEW_AWARD), R(SECRETARIAT), true, review_award},
    {BODY(APPROVE_AWARD), R(FINANCE_OFFICER), true, approve_award},
    {BODY(REJECT_AWARD), R(FINANCE_OFFICER) | R(SECRETARIAT), true,
     reject_award},
    {BODY(CONFIRM_DISBURSEMENT), R(BUREAU_SYSTEM), true, confirm_disbursement},
    {BODY(GET_LEDGER), INC_READ_ROLES, false, get_ledger},
    {BODY(SET_QUALIFICATION), R(GOV_COORDINATOR), true, inc_set_qualification},
    {BODY(RECORD_INVESTMENT), MANAGE, true, inc_record_investment},
    {BODY(WITHDRAW_INVESTMENT), MANAGE, true, inc_withdraw_investment},
    {BODY(REPORT_SURCHARGE), R(BUREAU_SYSTEM), true, inc_report_surcharge},
    {BODY(GET_TAX_CREDIT), INC_READ_ROLES, false, inc_get_tax_credit},
    {BODY(MAKE_GUARANTEE), R(GOV_COORDINATOR), true, inc_make_guarantee},
    {BODY(SETTLE_GUARANTEE), R(GOV_COORDINATOR) | R(BUREAU_SYSTEM), true,
     inc_settle_guarantee},
    {BODY(LIST_GUARANTEES), INC_READ_ROLES, false, inc_list_guarantees},
    {BODY(LIST_HONOURS), INC_READ_ROLES, false, inc_list_honours},
};
const size_t inc_n_routes = ARRAY_LEN(inc_routes);
