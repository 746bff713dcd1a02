/* cogovctl_inc: incentives' commands — pool, policy, award, ledger, tax
 * (产教融合型企业 qualification and credit), guarantee, honour. Money
 * is given and shown in whole fen (tables add yuan as "1234.56"). */
#include "cogovctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/incentives.pb-c.h"

#define RB(x) COGOV__V1__REQUEST__BODY_##x

/* "12345" fen -> "123.45" (integers only, never floats). */
static void
yuan(int64_t fen, char *buf, size_t size)
{
    uint64_t a = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
    snprintf(buf, size, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", a / 100,
             a % 100);
}

static int
parse_fen(ctl_t *c, const char *opt, const char *v, int64_t *out)
{
    uint64_t u;
    int rc = ctl_parse_u64(c, opt, v, (uint64_t)INT64_MAX / 8, &u);
    *out = (int64_t)u;
    return rc;
}

/* Send, print the reply's message (or the custom printer), free. */
static int
run(ctl_t *c, Cogov__V1__Request *req,
    void (*print)(ctl_t *c, const Cogov__V1__Reply *rep, void *arg), void *arg)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_INCENTIVES, req, &rep);
    if (rc != 0)
        return rc;
    if (print && !c->json)
        print(c, rep, arg);
    else
        ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* A table of n messages, a row each by row(), to stdout. */
static void
print_table(ProtobufCMessage *const *items, size_t n,
            void (*row)(table_t *t, const ProtobufCMessage *m), size_t ncols,
            const char *const *hdr)
{
    sbuf_t b;

    sbuf_init(&b);
    list_render(&b, false, items, n, row, ncols, hdr);
    ctl_flush(&b);
    sbuf_free(&b);
}
#define PRINT_TABLE(items, n, row, hdr)                                        \
    print_table((ProtobufCMessage *const *)(items), (n), (row),                \
                ARRAY_LEN(hdr), (hdr))

static char *
slurp(const char *path, int *err)
{
    FILE *f = fopen(path, "rb");
    sbuf_t b;
    char buf[4096];
    size_t n;

    *err = 0;
    if (f == NULL) {
        *err = errno;
        return NULL;
    }
    sbuf_init(&b);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && b.len < 128 * 1024)
        sbuf_add(&b, buf, n);
    fclose(f);
    return b.p;
}

/* ---- pool ---------------------------------------------------------------- */

static const ctl_opt_t pool_create_opts[] = {{"name", true},
                                             {"source", true},
                                             {"year", true},
                                             {"budget-fen", true},
                                             {NULL, false}};

static int
cmd_pool_create(ctl_t *c, int argc, char **argv)
{
    const char *v[4] = {0}, *pos[1];
    int npos, rc, src;
    uint64_t year = 0;
    Cogov__V1__CreatePool b = COGOV__V1__CREATE_POOL__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, pool_create_opts, ctl_opt_store, v, pos, 1,
                   &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !v[1] || !v[2] || !v[3])
        return ctl_usage(c, "POOL_ID, --source, --year and --budget-fen are "
                            "required");
    src = enum_parse(&cogov__v1__pool_source__descriptor, v[1]);
    if (src < 0)
        return ctl_usage(c, "--source: municipal-finance, district, "
                            "special-fund or enterprise-contribution");
    if ((rc = ctl_parse_u64(c, "--year", v[2], 2199, &year)) != 0 ||
        (rc = parse_fen(c, "--budget-fen", v[3], &b.budget_fen)) != 0)
        return rc;
    b.pool_id = (char *)pos[0];
    b.name = (char *)v[0];
    b.has_source = b.has_fiscal_year = b.has_budget_fen = true;
    b.source = src;
    b.fiscal_year = (uint32_t)year;
    req.body_case = RB(CREATE_POOL);
    req.create_pool = &b;
    return run(c, &req, NULL, NULL);
}

static const ctl_opt_t topup_opts[] = {
    {"amount-fen", true}, {"reason", true}, {NULL, false}};

static int
cmd_pool_topup(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__TopUpPool b = COGOV__V1__TOP_UP_POOL__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, topup_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !v[0] || str_empty(v[1]))
        return ctl_usage(c, "POOL_ID, --amount-fen and --reason are required");
    if ((rc = parse_fen(c, "--amount-fen", v[0], &b.amount_fen)) != 0)
        return rc;
    b.has_amount_fen = true;
    b.pool_id = (char *)pos[0];
    b.reason = (char *)v[1];
    req.body_case = RB(TOP_UP_POOL);
    req.top_up_pool = &b;
    return run(c, &req, NULL, NULL);
}

static void
pool_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Pool *p = (const Cogov__V1__Pool *)m;
    char y[40];

    table_cell(t, p->pool_id);
    table_cell(t, enum_text(&cogov__v1__pool_source__descriptor, p->source));
    table_cellf(t, "%u", p->fiscal_year);
    table_cellf(t, "%" PRId64, p->budget_fen);
    table_cellf(t, "%" PRId64, p->approved_fen);
    table_cellf(t, "%" PRId64, p->disbursed_fen);
    yuan(p->available_fen, y, sizeof y);
    table_cell(t, y);
    table_cellf(t, "%" PRId64, p->queued_fen);
}

static void
print_pools(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {
        "POOL_ID",       "SOURCE",         ">YEAR",           ">BUDGET_FEN",
        ">APPROVED_FEN", ">DISBURSED_FEN", ">AVAILABLE_YUAN", ">QUEUED_FEN"};
    const Cogov__V1__PoolList *l = rep->pool_list;

    (void)c;
    (void)arg;
    PRINT_TABLE(l ? l->pools : NULL, l ? l->n_pools : 0, pool_row, hdr);
}

static int
cmd_pool_list(ctl_t *c, int argc, char **argv)
{
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    Cogov__V1__ListPools b = COGOV__V1__LIST_POOLS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    req.body_case = RB(LIST_POOLS);
    req.list_pools = &b;
    if (c->json)
        return run(c, &req, NULL, NULL);
    return run(c, &req, print_pools, NULL);
}

static int
cmd_pool_show(ctl_t *c, int argc, char **argv)
{
    const char *id;
    int rc =
        ctl_parse_id(c, argc, argv, NULL, ctl_opt_store, NULL, "POOL_ID", &id);
    Cogov__V1__GetPool b = COGOV__V1__GET_POOL__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    b.pool_id = (char *)id;
    req.body_case = RB(GET_POOL);
    req.get_pool = &b;
    return run(c, &req, NULL, NULL);
}

/* ---- policy -------------------------------------------------------------- */

static int
cmd_policy_load(ctl_t *c, int argc, char **argv)
{
    const char *path;
    int err, rc = ctl_parse_id(c, argc, argv, NULL, ctl_opt_store, NULL, "FILE",
                               &path);
    Cogov__V1__LoadPolicy b = COGOV__V1__LOAD_POLICY__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char *text;

    if (rc != 0)
        return rc;
    text = slurp(path, &err);
    if (text == NULL) {
        ctl_err("%s: %s", path, strerror(err));
        return CTL_EXIT_INVALID;
    }
    b.text = text;
    b.source_name = (char *)path;
    req.body_case = RB(LOAD_POLICY);
    req.load_policy = &b;
    rc = run(c, &req, NULL, NULL);
    free(text);
    return rc;
}

static void
policy_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__PolicyInfo *p = (const Cogov__V1__PolicyInfo *)m;

    table_cell(t, p->policy_id);
    table_cellf(t, "%u", p->version);
    table_cell(t, p->effective_on);
    table_cell(t, p->pool_id);
}

static void
print_policies(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"POLICY_ID", ">VERSION", "EFFECTIVE",
                                      "POOL"};
    const Cogov__V1__PolicyList *l = rep->policy_list;

    (void)c;
    (void)arg;
    PRINT_TABLE(l ? l->policies : NULL, l ? l->n_policies : 0, policy_row, hdr);
}

static int
cmd_policy_list(ctl_t *c, int argc, char **argv)
{
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    Cogov__V1__ListPolicies b = COGOV__V1__LIST_POLICIES__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    req.body_case = RB(LIST_POLICIES);
    req.list_policies = &b;
    return run(c, &req, print_policies, NULL);
}

/* ---- award --------------------------------------------------------------- */

static const ctl_opt_t award_list_opts[] = {
    {"member", true}, {"pool", true}, {"status", true}, {NULL, false}};

static void
award_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Award *a = (const Cogov__V1__Award *)m;

    table_cell(t, a->award_id);
    table_cell(t, enum_text(&cogov__v1__award_kind__descriptor, a->kind));
    table_cell(t, enum_text(&cogov__v1__award_status__descriptor, a->status));
    table_cell(t, a->member_id);
    table_cellf(t, "%" PRId64, a->amount_fen);
    table_cell(t, a->source_type);
}

static void
print_awards(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"AWARD_ID", "KIND",        "STATUS",
                                      "MEMBER",   ">AMOUNT_FEN", "SOURCE"};
    const Cogov__V1__AwardList *l = rep->award_list;

    (void)c;
    (void)arg;
    PRINT_TABLE(l ? l->awards : NULL, l ? l->n_awards : 0, award_row, hdr);
}

static int
cmd_award_list(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__ListAwards b = COGOV__V1__LIST_AWARDS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, award_list_opts, ctl_opt_store, v, pos, 0,
                   &npos);
    if (rc != 0)
        return rc;
    b.member_id = (char *)v[0];
    b.pool_id = (char *)v[1];
    if (v[2]) {
        int s = enum_parse(&cogov__v1__award_status__descriptor, v[2]);
        if (s < 0)
            return ctl_usage(c, "--status: proposed, approved, disbursed, "
                                "rejected, held or queued");
        b.has_status = true;
        b.status = s;
    }
    req.body_case = RB(LIST_AWARDS);
    req.list_awards = &b;
    return run(c, &req, print_awards, NULL);
}

static void
print_explain(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    const Cogov__V1__Award *a = rep->award;
    sbuf_t b;
    char y[40];

    (void)c;
    (void)arg;
    sbuf_init(&b);
    yuan(a->amount_fen, y, sizeof y);
    sbuf_printf(&b, "award    %s (%s, %s)\n", a->award_id,
                enum_text(&cogov__v1__award_kind__descriptor, a->kind),
                enum_text(&cogov__v1__award_status__descriptor, a->status));
    sbuf_printf(&b, "amount   %" PRId64 " fen (%s yuan) to %s from pool %s\n",
                a->amount_fen, y, a->member_id, a->pool_id);
    sbuf_printf(&b, "policy   %s version %u, rule %s\n", a->policy_id,
                a->policy_version, a->rule_id);
    sbuf_printf(&b, "source   %s %s", a->source_event, a->source_type);
    if (!str_empty(a->task_id))
        sbuf_printf(&b, " task %s", a->task_id);
    if (!str_empty(a->report_id))
        sbuf_printf(&b, " report %s", a->report_id);
    sbuf_puts(&b, "\n");
    if (a->has_quantity)
        sbuf_printf(&b, "quantity %" PRId64 "\n", a->quantity);
    if (a->raw_fen < 0) {
        /* a grade penalty: a deduction, not a payment (README) */
        sbuf_printf(&b, "penalty  %" PRId64 " fen by the rule\n", a->raw_fen);
        sbuf_printf(&b, "netting  %s\n",
                    str_empty(a->cap_applied) ? "none" : a->cap_applied);
        sbuf_puts(&b, "deducts  from the member's awards of this pool and "
                      "year, never below nothing: approved only while its "
                      "approved and paid awards there cover it, confirmed "
                      "only while the paid ones do\n");
    } else {
        sbuf_printf(&b, "computed %" PRId64 " fen before caps\n", a->raw_fen);
        sbuf_printf(&b, "cap      %s\n",
                    str_empty(a->cap_applied) ? "none" : a->cap_applied);
    }
    if (!str_empty(a->corrects_award_id))
        sbuf_printf(&b, "corrects %s\n", a->corrects_award_id);
    if (!str_empty(a->payment_ref))
        sbuf_printf(&b, "paid     %s\n", a->payment_ref);
    sbuf_printf(&b, "why      %s\n", a->explanation ? a->explanation : "-");
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
award_get(ctl_t *c, int argc, char **argv, bool explain)
{
    const char *id;
    int rc =
        ctl_parse_id(c, argc, argv, NULL, ctl_opt_store, NULL, "AWARD_ID", &id);
    Cogov__V1__GetAward b = COGOV__V1__GET_AWARD__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    b.award_id = (char *)id;
    req.body_case = RB(GET_AWARD);
    req.get_award = &b;
    return run(c, &req, explain ? print_explain : NULL, NULL);
}

static int
cmd_award_show(ctl_t *c, int argc, char **argv)
{
    return award_get(c, argc, argv, false);
}

static int
cmd_award_explain(ctl_t *c, int argc, char **argv)
{
    return award_get(c, argc, argv, true);
}

static const ctl_opt_t award_op_opts[] = {
    {"note", true}, {"reason", true}, {"payment-ref", true}, {NULL, false}};

static int
award_op(ctl_t *c, int argc, char **argv, Cogov__V1__Request__BodyCase body)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__ReviewAward rv = COGOV__V1__REVIEW_AWARD__INIT;
    Cogov__V1__ApproveAward ap = COGOV__V1__APPROVE_AWARD__INIT;
    Cogov__V1__RejectAward rj = COGOV__V1__REJECT_AWARD__INIT;
    Cogov__V1__ConfirmDisbursement cd = COGOV__V1__CONFIRM_DISBURSEMENT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, award_op_opts, ctl_opt_store, v, pos, 1,
                   &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "AWARD_ID is required");
    req.body_case = body;
    switch (body) {
    case RB(REVIEW_AWARD):
        rv.award_id = (char *)pos[0];
        rv.note = (char *)v[0];
        req.review_award = &rv;
        break;
    case RB(APPROVE_AWARD):
        ap.award_id = (char *)pos[0];
        req.approve_award = &ap;
        break;
    case RB(REJECT_AWARD):
        if (str_empty(v[1]))
            return ctl_usage(c, "--reason is required");
        rj.award_id = (char *)pos[0];
        rj.reason = (char *)v[1];
        req.reject_award = &rj;
        break;
    default:
        if (str_empty(v[2]))
            return ctl_usage(c, "--payment-ref is required");
        cd.award_id = (char *)pos[0];
        cd.payment_ref = (char *)v[2];
        req.confirm_disbursement = &cd;
        break;
    }
    return run(c, &req, NULL, NULL);
}

static int
cmd_award_review(ctl_t *c, int argc, char **argv)
{
    return award_op(c, argc, argv, RB(REVIEW_AWARD));
}
static int
cmd_award_approve(ctl_t *c, int argc, char **argv)
{
    return award_op(c, argc, argv, RB(APPROVE_AWARD));
}
static int
cmd_award_reject(ctl_t *c, int argc, char **argv)
{
    return award_op(c, argc, argv, RB(REJECT_AWARD));
}
static int
cmd_award_disburse(ctl_t *c, int argc, char **argv)
{
    return award_op(c, argc, argv, RB(CONFIRM_DISBURSEMENT));
}

/* ---- ledger -------------------------------------------------------------- */

static const ctl_opt_t ledger_opts[] = {
    {"pool", true}, {"member", true}, {"csv", false}, {NULL, false}};

static void
ledger_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__LedgerRow *r = (const Cogov__V1__LedgerRow *)m;

    table_cell(t, r->pool_id);
    table_cell(t, r->member_id);
    table_cellf(t, "%" PRId64, r->proposed_fen);
    table_cellf(t, "%" PRId64, r->approved_fen);
    table_cellf(t, "%" PRId64, r->disbursed_fen);
    table_cellf(t, "%" PRId64, r->held_fen);
    table_cellf(t, "%" PRId64, r->queued_fen);
    table_cellf(t, "%" PRId64, r->rejected_fen);
}

static void
print_ledger(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {
        "POOL",           "MEMBER",    ">PROPOSED_FEN", ">APPROVED_FEN",
        ">DISBURSED_FEN", ">HELD_FEN", ">QUEUED_FEN",   ">REJECTED_FEN"};
    const Cogov__V1__Ledger *l = rep->ledger;
    bool csv = *(const char **)arg != NULL;
    sbuf_t b;

    (void)c;
    sbuf_init(&b);
    if (csv) {
        /* RFC 4180; ids are [A-Za-z0-9._-] and USCCs, never quoted */
        sbuf_puts(&b, "pool_id,member_id,proposed_fen,approved_fen,"
                      "disbursed_fen,held_fen,queued_fen,rejected_fen\r\n");
        for (size_t i = 0; l && i < l->n_rows; i++) {
            const Cogov__V1__LedgerRow *r = l->rows[i];
            sbuf_printf(&b,
                        "%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                        ",%" PRId64 ",%" PRId64 "\r\n",
                        r->pool_id, r->member_id, r->proposed_fen,
                        r->approved_fen, r->disbursed_fen, r->held_fen,
                        r->queued_fen, r->rejected_fen);
        }
    } else {
        list_render(&b, false, l ? (ProtobufCMessage *const *)l->rows : NULL,
                    l ? l->n_rows : 0, ledger_row, ARRAY_LEN(hdr), hdr);
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_ledger(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__GetLedger b = COGOV__V1__GET_LEDGER__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, ledger_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    b.pool_id = (char *)v[0];
    b.member_id = (char *)v[1];
    req.body_case = RB(GET_LEDGER);
    req.get_ledger = &b;
    return run(c, &req, print_ledger, &v[2]);
}

/* ---- 产教融合型企业: qualification and tax credit --------------------------
 */

static void
investment_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Investment *v = (const Cogov__V1__Investment *)m;

    table_cell(t, v->investment_id);
    table_cellf(t, "%u", v->year);
    table_cellf(t, "%" PRId64, v->amount_fen);
    table_cellf(t, "%" PRId64, v->credit_fen);
    table_cellf(t, "%" PRId64, v->used_fen);
    if (v->has_withdrawn && v->withdrawn)
        table_cellf(
            t, "%s %u",
            enum_text(&cogov__v1__withdrawal_kind__descriptor, v->withdrawn),
            v->withdrawn_year);
    else
        table_cell(t, "-");
    table_cellf(t, "%" PRId64, v->recaptured_fen);
}

static void
surcharge_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__SurchargeYear *y = (const Cogov__V1__SurchargeYear *)m;

    table_cellf(t, "%u", y->year);
    table_cellf(t, "%" PRId64, y->due_fen);
    table_cellf(t, "%" PRId64, y->credit_applied_fen);
    table_cellf(t, "%" PRId64, y->payable_fen);
    table_cellf(t, "%" PRId64, y->carried_forward_fen);
}

static void
print_tax(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const ih[] = {
        "INVESTMENT", ">YEAR",     ">AMOUNT_FEN",    ">CREDIT_FEN",
        ">USED_FEN",  "WITHDRAWN", ">RECAPTURED_FEN"};
    static const char *const yh[] = {">YEAR", ">DUE_FEN", ">APPLIED_FEN",
                                     ">PAYABLE_FEN", ">CARRIED_FWD_FEN"};
    const Cogov__V1__TaxCreditAccount *a = rep->tax_credit;
    sbuf_t b;
    char y1[40], y2[40];

    (void)arg;
    if (a == NULL)
        return;
    sbuf_init(&b);
    yuan(a->balance_fen, y1, sizeof y1);
    yuan(a->recaptured_fen, y2, sizeof y2);
    sbuf_printf(
        &b,
        "member %s  stage %s%s%s  since %s%s%s\n"
        "credit balance %" PRId64 " fen (%s yuan), recaptured %" PRId64
        " fen (%s yuan)\n\n",
        a->member_id,
        enum_text(&cogov__v1__qualification_stage__descriptor, a->stage),
        a->stage == 4 ? " " : "",
        a->stage == 4
            ? enum_text(&cogov__v1__disqualify_reason__descriptor, a->reason)
            : "",
        a->stage_since ? a->stage_since : "",
        !str_empty(a->banned_until) ? "  may apply again from " : "",
        a->banned_until ? a->banned_until : "", a->balance_fen, y1,
        a->recaptured_fen, y2);
    list_render(&b, false, (ProtobufCMessage *const *)a->investments,
                a->n_investments, investment_row, ARRAY_LEN(ih), ih);
    sbuf_printf(&b, "\n");
    list_render(&b, false, (ProtobufCMessage *const *)a->years, a->n_years,
                surcharge_row, ARRAY_LEN(yh), yh);
    (void)c;
    ctl_flush(&b);
    sbuf_free(&b);
}

static const ctl_opt_t qualify_opts[] = {
    {"stage", true}, {"reason", true}, {"note", true}, {NULL, false}};

static int
cmd_tax_qualify(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc, st, why = 0;
    Cogov__V1__SetQualification b = COGOV__V1__SET_QUALIFICATION__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc =
        ctl_parse(c, argc, argv, qualify_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !v[0])
        return ctl_usage(c, "MEMBER_ID and --stage are required");
    st = enum_parse(&cogov__v1__qualification_stage__descriptor, v[0]);
    if (st <= 0)
        return ctl_usage(c, "--stage: reserve-pool, cultivation, certified "
                            "or disqualified");
    if (v[1] && (why = enum_parse(&cogov__v1__disqualify_reason__descriptor,
                                  v[1])) <= 0)
        return ctl_usage(c, "--reason: fraud, major-accident, "
                            "student-rights or credit-blacklist");
    b.member_id = (char *)pos[0];
    b.has_stage = true;
    b.stage = st;
    b.has_reason = why > 0;
    b.reason = why;
    b.note = (char *)v[2];
    req.body_case = RB(SET_QUALIFICATION);
    req.set_qualification = &b;
    return run(c, &req, print_tax, NULL);
}

static const ctl_opt_t invest_opts[] = {
    {"amount-fen", true}, {"description", true}, {NULL, false}};

static int
cmd_tax_invest(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0}, *pos[2];
    int npos, rc;
    Cogov__V1__RecordInvestment b = COGOV__V1__RECORD_INVESTMENT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, invest_opts, ctl_opt_store, v, pos, 2, &npos);
    if (rc != 0)
        return rc;
    if (npos != 2 || !v[0])
        return ctl_usage(c, "MEMBER_ID INVESTMENT_ID and --amount-fen are "
                            "required");
    if ((rc = parse_fen(c, "--amount-fen", v[0], &b.amount_fen)) != 0)
        return rc;
    b.has_amount_fen = true;
    b.member_id = (char *)pos[0];
    b.investment_id = (char *)pos[1];
    b.description = (char *)v[1];
    req.body_case = RB(RECORD_INVESTMENT);
    req.record_investment = &b;
    return run(c, &req, print_tax, NULL);
}

static const ctl_opt_t withdraw_opts[] = {
    {"kind", true}, {"reason", true}, {NULL, false}};

static int
cmd_tax_withdraw(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0}, *pos[2];
    int npos, rc, k;
    Cogov__V1__WithdrawInvestment b = COGOV__V1__WITHDRAW_INVESTMENT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, withdraw_opts, ctl_opt_store, v, pos, 2,
                   &npos);
    if (rc != 0)
        return rc;
    if (npos != 2 || !v[0] || str_empty(v[1]))
        return ctl_usage(c, "MEMBER_ID INVESTMENT_ID, --kind and --reason "
                            "are required");
    k = enum_parse(&cogov__v1__withdrawal_kind__descriptor, v[0]);
    if (k <= 0)
        return ctl_usage(c, "--kind: withdrawal or equity-transfer");
    b.member_id = (char *)pos[0];
    b.investment_id = (char *)pos[1];
    b.has_kind = true;
    b.kind = k;
    b.reason = (char *)v[1];
    req.body_case = RB(WITHDRAW_INVESTMENT);
    req.withdraw_investment = &b;
    return run(c, &req, print_tax, NULL);
}

static const ctl_opt_t surcharge_opts[] = {
    {"year", true}, {"due-fen", true}, {"ref", true}, {NULL, false}};

static int
cmd_tax_surcharge(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    uint64_t year = 0;
    Cogov__V1__ReportSurcharge b = COGOV__V1__REPORT_SURCHARGE__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, surcharge_opts, ctl_opt_store, v, pos, 1,
                   &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !v[0] || !v[1])
        return ctl_usage(c, "MEMBER_ID, --year and --due-fen are required");
    if ((rc = ctl_parse_u64(c, "--year", v[0], 2199, &year)) != 0 ||
        (rc = parse_fen(c, "--due-fen", v[1], &b.due_fen)) != 0)
        return rc;
    b.member_id = (char *)pos[0];
    b.has_year = b.has_due_fen = true;
    b.year = (uint32_t)year;
    b.report_ref = (char *)v[2];
    req.body_case = RB(REPORT_SURCHARGE);
    req.report_surcharge = &b;
    return run(c, &req, print_tax, NULL);
}

static int
cmd_tax_show(ctl_t *c, int argc, char **argv)
{
    const char *id;
    int rc = ctl_parse_id(c, argc, argv, NULL, ctl_opt_store, NULL, "MEMBER_ID",
                          &id);
    Cogov__V1__GetTaxCredit b = COGOV__V1__GET_TAX_CREDIT__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    b.member_id = (char *)id;
    req.body_case = RB(GET_TAX_CREDIT);
    req.get_tax_credit = &b;
    return run(c, &req, print_tax, NULL);
}

/* ---- guarantees and honours ---------------------------------------------- */

static void
guarantee_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Guarantee *g = (const Cogov__V1__Guarantee *)m;

    table_cell(t, g->guarantee_id);
    table_cell(t, g->department_id);
    table_cell(t, g->task_id);
    table_cell(t, enum_text(&cogov__v1__guarantee_kind__descriptor, g->kind));
    table_cellf(t, "%" PRId64, g->quantity);
    table_cell(t, g->due_on ? g->due_on : "");
    table_cell(t,
               enum_text(&cogov__v1__guarantee_status__descriptor, g->status));
    table_cellf(t, "%" PRId64, g->delivered_quantity);
}

static void
print_guarantees(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"GUARANTEE", "DEPARTMENT", "TASK",
                                      "KIND",      ">QUANTITY",  "DUE",
                                      "STATUS",    ">DELIVERED"};
    const Cogov__V1__GuaranteeList *l = rep->guarantee_list;

    (void)c;
    (void)arg;
    if (rep->body_case == COGOV__V1__REPLY__BODY_GUARANTEE)
        PRINT_TABLE(&rep->guarantee, 1, guarantee_row, hdr);
    else
        PRINT_TABLE(l ? l->guarantees : NULL, l ? l->n_guarantees : 0,
                    guarantee_row, hdr);
}

static const ctl_opt_t gmake_opts[] = {
    {"department", true}, {"task", true}, {"kind", true}, {"quantity", true},
    {"due", true},        {"note", true}, {NULL, false}};

static int
cmd_guarantee_make(ctl_t *c, int argc, char **argv)
{
    const char *v[6] = {0}, *pos[1];
    int npos, rc, k;
    uint64_t q = 0;
    Cogov__V1__MakeGuarantee b = COGOV__V1__MAKE_GUARANTEE__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, gmake_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !v[0] || !v[1] || !v[2] || !v[3])
        return ctl_usage(c, "GUARANTEE_ID, --department, --task, --kind and "
                            "--quantity are required");
    k = enum_parse(&cogov__v1__guarantee_kind__descriptor, v[2]);
    if (k <= 0)
        return ctl_usage(c, "--kind: funding (fen), land (m2) or "
                            "staff-quota (posts)");
    if ((rc = ctl_parse_u64(c, "--quantity", v[3], (uint64_t)INT64_MAX / 8,
                            &q)) != 0)
        return rc;
    b.guarantee_id = (char *)pos[0];
    b.department_id = (char *)v[0];
    b.task_id = (char *)v[1];
    b.has_kind = b.has_quantity = true;
    b.kind = k;
    b.quantity = (int64_t)q;
    b.due_on = (char *)v[4];
    b.note = (char *)v[5];
    req.body_case = RB(MAKE_GUARANTEE);
    req.make_guarantee = &b;
    return run(c, &req, print_guarantees, NULL);
}

static const ctl_opt_t gsettle_opts[] = {
    {"delivered", true}, {"missed", false}, {"note", true}, {NULL, false}};

static int
cmd_guarantee_settle(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    uint64_t q = 0;
    Cogov__V1__SettleGuarantee b = COGOV__V1__SETTLE_GUARANTEE__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc =
        ctl_parse(c, argc, argv, gsettle_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || (!v[0] == !v[1]))
        return ctl_usage(c, "GUARANTEE_ID and one of --delivered QUANTITY, "
                            "--missed are required");
    if (v[0] && (rc = ctl_parse_u64(c, "--delivered", v[0],
                                    (uint64_t)INT64_MAX / 8, &q)) != 0)
        return rc;
    b.guarantee_id = (char *)pos[0];
    b.has_delivered = true;
    b.delivered = v[0] != NULL;
    b.has_delivered_quantity = v[0] != NULL;
    b.delivered_quantity = (int64_t)q;
    b.note = (char *)v[2];
    req.body_case = RB(SETTLE_GUARANTEE);
    req.settle_guarantee = &b;
    return run(c, &req, print_guarantees, NULL);
}

static const ctl_opt_t glist_opts[] = {
    {"task", true}, {"department", true}, {NULL, false}};

static int
cmd_guarantee_list(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__ListGuarantees b = COGOV__V1__LIST_GUARANTEES__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, glist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    b.task_id = (char *)v[0];
    b.department_id = (char *)v[1];
    req.body_case = RB(LIST_GUARANTEES);
    req.list_guarantees = &b;
    return run(c, &req, print_guarantees, NULL);
}

static void
honour_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Honour *h = (const Cogov__V1__Honour *)m;

    table_cell(t, h->member_id);
    table_cell(t, h->title);
    table_cell(t, h->round_id ? h->round_id : "");
    table_cell(t, h->withheld ? "WITHHELD" : "GRANTED");
    table_cellf(t, "%s v%u", h->policy_id, h->policy_version);
    table_cell(t, h->honour_id);
    table_cell(t, h->withheld && h->withheld_reason ? h->withheld_reason : "-");
}

static void
print_honours(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"MEMBER", "TITLE",     "ROUND", "STATUS",
                                      "POLICY", "HONOUR_ID", "WHY"};
    const Cogov__V1__HonourList *l = rep->honour_list;

    (void)c;
    (void)arg;
    PRINT_TABLE(l ? l->honours : NULL, l ? l->n_honours : 0, honour_row, hdr);
}

static const ctl_opt_t honour_opts[] = {{"member", true}, {NULL, false}};

static int
cmd_honour_list(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__ListHonours b = COGOV__V1__LIST_HONOURS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, honour_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    b.member_id = (char *)v[0];
    req.body_case = RB(LIST_HONOURS);
    req.list_honours = &b;
    return run(c, &req, print_honours, NULL);
}

const ctl_cmd_t ctl_cmds_inc[] = {
    {"pool", "create",
     "POOL_ID --source S --year Y --budget-fen N [--name NAME]",
     "Create a fund pool (source: municipal-finance, district, special-fund,\n"
     "enterprise-contribution). Never edited afterwards: top it up.\n"
     "Roles: GOV_COORDINATOR, FINANCE_OFFICER.\n",
     cmd_pool_create},
    {"pool", "topup", "POOL_ID --amount-fen N --reason TEXT",
     "Add money to a pool; queued awards are funded in order.\n"
     "Roles: GOV_COORDINATOR, FINANCE_OFFICER.\n",
     cmd_pool_topup},
    {"pool", "list", "", "Pools with budget, approved, disbursed, queued.\n",
     cmd_pool_list},
    {"pool", "show", "POOL_ID", "One pool with its sums by award status.\n",
     cmd_pool_show},
    {"policy", "load", "FILE",
     "Load a policy version from FILE (format: deploy/data/policies.sample);\n"
     "a malformed or ambiguous rule is refused with FILE:LINE.\n"
     "Roles: GOV_COORDINATOR, FINANCE_OFFICER.\n",
     cmd_policy_load},
    {"policy", "list", "", "Loaded policy versions.\n", cmd_policy_list},
    {"award", "list", "[--member ID] [--pool ID] [--status S]",
     "Awards computed from events.\n", cmd_award_list},
    {"award", "show", "AWARD_ID", "One award.\n", cmd_award_show},
    {"award", "explain", "AWARD_ID",
     "Why this amount: policy version and rule, source event and quantity,\n"
     "the cap applied.\n",
     cmd_award_explain},
    {"award", "review", "AWARD_ID [--note TEXT]",
     "Secretariat review of a PROPOSED award. Role: SECRETARIAT.\n",
     cmd_award_review},
    {"award", "approve", "AWARD_ID",
     "Approve a reviewed award (QUEUED if the pool cannot cover it).\n"
     "Role: FINANCE_OFFICER.\n",
     cmd_award_approve},
    {"award", "reject", "AWARD_ID --reason TEXT",
     "Reject a PROPOSED, QUEUED or HELD award. Roles: FINANCE_OFFICER,\n"
     "SECRETARIAT.\n",
     cmd_award_reject},
    {"award", "disburse", "AWARD_ID --payment-ref REF",
     "Confirm payment of an APPROVED award. Role: BUREAU_SYSTEM.\n",
     cmd_award_disburse},
    {"ledger", NULL, "[--pool ID] [--member ID] [--csv]",
     "Sums per pool and member by award status; --csv for the finance\n"
     "bureau (fen, CRLF line ends).\n",
     cmd_ledger},
    {"tax", "qualify", "MEMBER_ID --stage S [--reason R] [--note TEXT]",
     "Move an enterprise through the 产教融合型企业 lifecycle (stage:\n"
     "reserve-pool, cultivation, certified, disqualified; disqualifying needs\n"
     "--reason fraud, major-accident, student-rights or credit-blacklist and\n"
     "bars reapplying for 5 years). Role: GOV_COORDINATOR.\n",
     cmd_tax_qualify},
    {"tax", "invest",
     "MEMBER_ID INVESTMENT_ID --amount-fen N [--description T]",
     "Record a certified enterprise's qualifying investment this business\n"
     "year: 30% of it (half up to the fen) becomes credit.\n"
     "Roles: GOV_COORDINATOR, FINANCE_OFFICER.\n",
     cmd_tax_invest},
    {"tax", "withdraw",
     "MEMBER_ID INVESTMENT_ID --kind withdrawal|equity-transfer --reason T",
     "The investment was withdrawn or the equity transferred: its credit\n"
     "ends and what was used of it is recaptured.\n"
     "Roles: GOV_COORDINATOR, FINANCE_OFFICER.\n",
     cmd_tax_withdraw},
    {"tax", "surcharge", "MEMBER_ID --year Y --due-fen N [--ref REF]",
     "The tax bureau reports the education surcharges due for a year; the\n"
     "credit is applied oldest first, the rest carried forward.\n"
     "Role: BUREAU_SYSTEM.\n",
     cmd_tax_surcharge},
    {"tax", "show", "MEMBER_ID",
     "Stage, ban, investments with credit used and recaptured, and per year\n"
     "the surcharges due, credit applied, payable and carried forward.\n",
     cmd_tax_show},
    {"guarantee", "make",
     "ID --department D --task T --kind K --quantity N [--due DATE] "
     "[--note T]",
     "A government department commits to a task (kind: funding in fen,\n"
     "land in m2, staff-quota in posts). Role: GOV_COORDINATOR.\n",
     cmd_guarantee_make},
    {"guarantee", "settle", "ID --delivered QUANTITY | --missed [--note T]",
     "Record that a guarantee was delivered or missed (once).\n"
     "Roles: GOV_COORDINATOR, BUREAU_SYSTEM.\n",
     cmd_guarantee_settle},
    {"guarantee", "list", "[--task T] [--department D]",
     "Guarantees per task and per department, delivered or not.\n",
     cmd_guarantee_list},
    {"honour", "list", "[--member ID]",
     "Honours decided from published evaluation grades by policy rules:\n"
     "GRANTED, or WITHHELD (WHY) when the unit was suspended or under a\n"
     "rectification order not yet closed at the publication.\n",
     cmd_honour_list},
    {NULL, NULL, NULL, NULL, NULL},
};
