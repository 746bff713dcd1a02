/* qualify: the 产教融合型企业 qualification lifecycle and tax credit
 * commands (DESIGN 1.3): stage changes by the lead department, qualifying
 * investments and their withdrawal, the tax bureau's surcharge reports, and
 * the account recomputed from those facts by taxcredit.c. */
#include "incentives.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inc_store.h"
#include "log.h"
#include "taxcredit.h"
#include "util.h"
#include "validate.h"

#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x
#define MT(x) COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_##x
#define INVEST_MAX_FEN (INT64_MAX / 1000)

static void
today_of(const inc_app_t *a, int64_t t, char out[11])
{
    char buf[32];
    time_format(t, (int)a->cfg->utc_offset_s, buf, sizeof buf);
    snprintf(out, 11, "%s", buf);
}

static Cogov__V1__StatusCode
fail_store(Cogov__V1__Reply *rep, int err, const char *what)
{
    return svc_fail(rep, err == -EBUSY ? UNAVAILABLE : INTERNAL, "%s: %s", what,
                    strerror(-err));
}

/* The unit must be an enterprise coordination admitted at some point. */
static Cogov__V1__StatusCode
enterprise(svc_t *s, const char *member_id, const char *what,
           Cogov__V1__Reply *rep)
{
    int type = 0, status = 0, rect = 0;
    int err;

    if (str_empty(member_id))
        return svc_fail(rep, INVALID, "%s.member_id: required", what);
    err = inc_store_member(svc_store(s), member_id, &type, &status, &rect);
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "%s: member %s unknown to incentives",
                        what, member_id);
    if (err < 0)
        return fail_store(rep, err, what);
    if (type != MT(ENTERPRISE) && type != MT(LEADING_ENTERPRISE))
        return svc_fail(rep, INVALID,
                        "%s: member %s is not an enterprise (产教融合型企业 "
                        "are enterprises)",
                        what, member_id);
    return OK;
}

/* The account: stage, facts, and what taxcredit.c computes from them.
 * Fresh message (xmalloc'd); *out NULL on error. */
static int
account(svc_t *s, const char *member_id, Cogov__V1__TaxCreditAccount **out)
{
    Cogov__V1__TaxCreditAccount *a = xmalloc(sizeof *a);
    char since[11] = "", banned[11] = "";
    int stage = 0, reason = 0, disq = 0, err;
    tc_inv_t *inv = NULL;
    tc_year_t *yrs = NULL;
    int64_t balance = 0, recaptured = 0;

    cogov__v1__tax_credit_account__init(a);
    *out = a;
    err =
        inc_store_qual(svc_store(s), member_id, &stage, &reason, since, banned);
    if (err < 0 && err != -ENOENT)
        return err;
    if ((err = inc_store_tax_facts(svc_store(s), member_id, a)) < 0)
        return err;
    a->member_id = xstrdup(member_id);
    a->has_stage = a->has_reason = true;
    a->stage = stage;
    a->reason = reason;
    a->stage_since = xstrdup(since);
    a->banned_until = xstrdup(banned);
    if (banned[0])
        disq = atoi(banned) - TC_BAN_YEARS;
    inv = xcalloc(a->n_investments + 1, sizeof *inv);
    yrs = xcalloc(a->n_years + 1, sizeof *yrs);
    for (size_t i = 0; i < a->n_investments; i++) {
        inv[i].year = (int)a->investments[i]->year;
        inv[i].credit = tc_credit_of(a->investments[i]->amount_fen);
        inv[i].withdrawn_year = a->investments[i]->has_withdrawn
                                    ? (int)a->investments[i]->withdrawn_year
                                    : 0;
    }
    for (size_t k = 0; k < a->n_years; k++) {
        yrs[k].year = (int)a->years[k]->year;
        yrs[k].due = a->years[k]->due_fen;
    }
    tc_compute(inv, a->n_investments, yrs, a->n_years, disq, &balance,
               &recaptured);
    for (size_t i = 0; i < a->n_investments; i++) {
        Cogov__V1__Investment *v = a->investments[i];
        v->has_credit_fen = v->has_used_fen = v->has_recaptured_fen = true;
        v->credit_fen = inv[i].credit;
        v->used_fen = inv[i].used;
        v->recaptured_fen = inv[i].recaptured;
    }
    for (size_t k = 0; k < a->n_years; k++) {
        Cogov__V1__SurchargeYear *y = a->years[k];
        y->has_credit_applied_fen = y->has_payable_fen = true;
        y->has_carried_forward_fen = true;
        y->credit_applied_fen = yrs[k].applied;
        y->payable_fen = yrs[k].payable;
        y->carried_forward_fen = yrs[k].carried;
    }
    a->has_balance_fen = a->has_recaptured_fen = true;
    a->balance_fen = balance;
    a->recaptured_fen = recaptured;
    free(inv);
    free(yrs);
    return 0;
}

static Cogov__V1__StatusCode
reply_account(svc_t *s, const char *member_id, Cogov__V1__Reply *rep)
{
    int err = account(s, member_id, &rep->tax_credit);

    rep->body_case = COGOV__V1__REPLY__BODY_TAX_CREDIT;
    return err < 0 ? fail_store(rep, err, "tax credit") : OK;
}

static int
emit_tax(svc_t *s, const svc_ctx_t *c, Cogov__V1__Event__PayloadCase pc,
         const char *member_id, const char *inv_id, int year)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__TaxCreditEvent te = COGOV__V1__TAX_CREDIT_EVENT__INIT;
    Cogov__V1__TaxCreditAccount *a = NULL;
    int err = account(s, member_id, &a);

    for (size_t i = 0; err == 0 && inv_id && i < a->n_investments; i++)
        if (strcmp(a->investments[i]->investment_id, inv_id) == 0)
            te.investment = a->investments[i];
    for (size_t k = 0; err == 0 && year && k < a->n_years; k++)
        if ((int)a->years[k]->year == year)
            te.year = a->years[k];
    te.member_id = (char *)member_id;
    te.has_balance_fen = te.has_recaptured_fen = true;
    te.balance_fen = a->balance_fen;
    te.recaptured_fen = a->recaptured_fen;
    ev.payload_case = pc;
    ev.investment_recorded = &te; /* the three cases share TaxCreditEvent */
    if (err == 0)
        err = svc_emit(s, c, &ev);
    if (err == 0)
        log_info(pc == PAY(INVESTMENT_RECORDED)    ? "tax.investment_recorded"
                 : pc == PAY(INVESTMENT_WITHDRAWN) ? "tax.investment_withdrawn"
                                                   : "tax.surcharge_reported",
                 "member=%s balance=%" PRId64 " recaptured=%" PRId64
                 " actor=%s corr=%s",
                 log_q(member_id), a->balance_fen, a->recaptured_fen,
                 log_q(c->actor), log_q(c->correlation_id));
    cogov__v1__tax_credit_account__free_unpacked(a, NULL);
    return err;
}

Cogov__V1__StatusCode
inc_set_qualification(svc_t *s, void *app, const svc_ctx_t *c,
                      const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__SetQualification *q = req->set_qualification;
    inc_app_t *a = app;
    int to = (int)q->stage;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    Cogov__V1__QualificationEvent qe = COGOV__V1__QUALIFICATION_EVENT__INIT;
    Cogov__V1__StatusCode code;
    char today[11], since[11] = "", banned[11] = "";
    int stage = 0, reason = 0, err;
    const char *why = NULL;

    if ((code = enterprise(s, q->member_id, "set_qualification", rep)) != OK)
        return code;
    if (!q->has_stage || to < TC_RESERVE_POOL || to > TC_DISQUALIFIED)
        return svc_fail(rep, INVALID, "set_qualification.stage: required");
    if (to == TC_DISQUALIFIED &&
        (!q->has_reason || q->reason < 1 || q->reason > 4))
        return svc_fail(rep, INVALID,
                        "set_qualification.reason: required to disqualify "
                        "(fraud, major accident, students' rights, credit "
                        "blacklist)");
    if (!valid_text(q->note, 500, false))
        return svc_fail(rep, INVALID, "set_qualification.note: 0..500 chars");
    err = inc_store_qual(svc_store(s), q->member_id, &stage, &reason, since,
                         banned);
    if (err < 0 && err != -ENOENT)
        return fail_store(rep, err, "set_qualification");
    today_of(a, c->now, today);
    err = tc_stage_next(stage, to, today, banned, &why);
    if (err == -EPERM)
        return svc_fail(rep, CONFLICT, "member %s: %s (from %s)", q->member_id,
                        why, banned);
    if (err < 0)
        return svc_fail(rep, CONFLICT, "member %s is %s: %s", q->member_id,
                        tc_stage_name(stage), why);
    if (to == TC_DISQUALIFIED) {
        tc_ban_until(today, banned, sizeof banned);
        reason = q->reason;
    }
    if ((err = inc_store_qual_put(svc_store(s), q->member_id, to, reason, today,
                                  banned)) < 0)
        return fail_store(rep, err, "set_qualification");
    qe.member_id = q->member_id;
    qe.has_from = qe.has_to = true;
    qe.from = stage;
    qe.to = q->stage;
    if (to == TC_DISQUALIFIED) {
        qe.has_reason = true;
        qe.reason = reason;
    }
    qe.banned_until = banned;
    qe.note = q->note;
    ev.payload_case = PAY(QUALIFICATION_CHANGED);
    ev.qualification_changed = &qe;
    if ((err = svc_emit(s, c, &ev)) < 0)
        return fail_store(rep, err, "set_qualification");
    log_info("qualification.changed",
             "member=%s from=%s to=%s banned_until=%s actor=%s corr=%s",
             log_q(q->member_id), tc_stage_name(stage), tc_stage_name(to),
             log_q(banned), log_q(c->actor), log_q(c->correlation_id));
    return reply_account(s, q->member_id, rep);
}

Cogov__V1__StatusCode
inc_record_investment(svc_t *s, void *app, const svc_ctx_t *c,
                      const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__RecordInvestment *r = req->record_investment;
    inc_app_t *a = app;
    Cogov__V1__StatusCode code;
    char today[11], since[11], banned[11];
    int stage = 0, reason = 0, err;

    if ((code = enterprise(s, r->member_id, "record_investment", rep)) != OK)
        return code;
    if (!inc_id_ok(r->investment_id))
        return svc_fail(rep, INVALID,
                        "record_investment.investment_id: 1..40 of "
                        "[A-Za-z0-9._-]");
    if (r->amount_fen <= 0 || r->amount_fen > INVEST_MAX_FEN)
        return svc_fail(rep, INVALID, "record_investment.amount_fen: > 0 fen");
    if (!valid_text(r->description, 500, false))
        return svc_fail(rep, INVALID,
                        "record_investment.description: 0..500 chars");
    err = inc_store_qual(svc_store(s), r->member_id, &stage, &reason, since,
                         banned);
    if (err < 0 && err != -ENOENT)
        return fail_store(rep, err, "record_investment");
    if (stage != TC_CERTIFIED)
        return svc_fail(rep, CONFLICT,
                        "member %s is %s: only a certified 产教融合型企业's "
                        "investment earns the credit",
                        r->member_id, tc_stage_name(stage));
    today_of(a, c->now, today);
    err = inc_store_invest_add(svc_store(s), r->member_id, r->investment_id,
                               atoi(today), r->amount_fen, r->description);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT,
                        "investment %s of %s is recorded already",
                        r->investment_id, r->member_id);
    if (err == 0)
        err = emit_tax(s, c, PAY(INVESTMENT_RECORDED), r->member_id,
                       r->investment_id, 0);
    if (err < 0)
        return fail_store(rep, err, "record_investment");
    return reply_account(s, r->member_id, rep);
}

Cogov__V1__StatusCode
inc_withdraw_investment(svc_t *s, void *app, const svc_ctx_t *c,
                        const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__WithdrawInvestment *w = req->withdraw_investment;
    inc_app_t *a = app;
    Cogov__V1__StatusCode code;
    char today[11];
    int err;

    if ((code = enterprise(s, w->member_id, "withdraw_investment", rep)) != OK)
        return code;
    if (str_empty(w->investment_id))
        return svc_fail(rep, INVALID,
                        "withdraw_investment.investment_id: required");
    if (!w->has_kind || w->kind < 1 || w->kind > 2)
        return svc_fail(rep, INVALID,
                        "withdraw_investment.kind: WITHDRAWAL or "
                        "EQUITY_TRANSFER");
    if (!valid_text(w->reason, 500, true))
        return svc_fail(rep, INVALID,
                        "withdraw_investment.reason: 1..500 chars");
    today_of(a, c->now, today);
    err = inc_store_invest_withdraw(svc_store(s), w->member_id,
                                    w->investment_id, w->kind, atoi(today));
    if (err == -ENOENT)
        return svc_fail(rep, NOT_FOUND, "investment %s of %s: not recorded",
                        w->investment_id, w->member_id);
    if (err == -EALREADY)
        return svc_fail(rep, CONFLICT, "investment %s of %s: withdrawn already",
                        w->investment_id, w->member_id);
    if (err == 0)
        err = emit_tax(s, c, PAY(INVESTMENT_WITHDRAWN), w->member_id,
                       w->investment_id, 0);
    if (err < 0)
        return fail_store(rep, err, "withdraw_investment");
    return reply_account(s, w->member_id, rep);
}

Cogov__V1__StatusCode
inc_report_surcharge(svc_t *s, void *app, const svc_ctx_t *c,
                     const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const Cogov__V1__ReportSurcharge *r = req->report_surcharge;
    Cogov__V1__StatusCode code;
    int err;

    (void)app;
    if ((code = enterprise(s, r->member_id, "report_surcharge", rep)) != OK)
        return code;
    if (r->year < 2000 || r->year > 2199)
        return svc_fail(rep, INVALID, "report_surcharge.year: 2000..2199");
    if (!r->has_due_fen || r->due_fen < 0 || r->due_fen > INVEST_MAX_FEN)
        return svc_fail(rep, INVALID, "report_surcharge.due_fen: >= 0 fen");
    if (!valid_text(r->report_ref, 64, false))
        return svc_fail(rep, INVALID, "report_surcharge.report_ref: 0..64");
    err = inc_store_surcharge_add(svc_store(s), r->member_id, (int)r->year,
                                  r->due_fen, r->report_ref);
    if (err == -EEXIST)
        return svc_fail(rep, CONFLICT,
                        "surcharges of %s for %u are reported already",
                        r->member_id, r->year);
    if (err == 0)
        err = emit_tax(s, c, PAY(SURCHARGE_REPORTED), r->member_id, NULL,
                       (int)r->year);
    if (err < 0)
        return fail_store(rep, err, "report_surcharge");
    return reply_account(s, r->member_id, rep);
}

Cogov__V1__StatusCode
inc_get_tax_credit(svc_t *s, void *app, const svc_ctx_t *c,
                   const Cogov__V1__Request *req, Cogov__V1__Reply *rep)
{
    const char *m = req->get_tax_credit->member_id;

    (void)app;
    if (str_empty(m))
        return svc_fail(rep, INVALID, "get_tax_credit.member_id: required");
    if (principal_has(c->who, R(MEMBER_REP)) &&
        !principal_has(c->who, INC_READ_ROLES & ~R(MEMBER_REP)) &&
        strcmp(m, c->who->member_id))
        return svc_fail(rep, DENIED,
                        "get_tax_credit: a member representative sees its "
                        "own unit only");
    return reply_account(s, m, rep);
}
