/* cogovctl_inc: incentives' commands — pool, policy, award, ledger. Money
 * is given and shown in whole fen (tables add yuan as "1234.56"). */
#include "cogovctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/incentives.pb-c.h"

#define RB(x) COGOV__V1__REQUEST__BODY_##x

static int
opt_store(ctl_t *c, int idx, const char *value, void *arg)
{
    (void)c;
    ((const char **)arg)[idx] = value != NULL ? value : "1";
    return 0;
}

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

    rc =
        ctl_parse(c, argc, argv, pool_create_opts, opt_store, v, pos, 1, &npos);
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

    rc = ctl_parse(c, argc, argv, topup_opts, opt_store, v, pos, 1, &npos);
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
print_pools(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {
        "POOL_ID",       "SOURCE",         ">YEAR",           ">BUDGET_FEN",
        ">APPROVED_FEN", ">DISBURSED_FEN", ">AVAILABLE_YUAN", ">QUEUED_FEN"};
    const Cogov__V1__PoolList *l = rep->pool_list;
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    sbuf_t b;
    char y[40];

    (void)c;
    (void)arg;
    sbuf_init(&b);
    for (size_t i = 0; l && i < l->n_pools; i++) {
        const Cogov__V1__Pool *p = l->pools[i];
        table_cell(t, p->pool_id);
        table_cell(t,
                   enum_text(&cogov__v1__pool_source__descriptor, p->source));
        table_cellf(t, "%u", p->fiscal_year);
        table_cellf(t, "%" PRId64, p->budget_fen);
        table_cellf(t, "%" PRId64, p->approved_fen);
        table_cellf(t, "%" PRId64, p->disbursed_fen);
        yuan(p->available_fen, y, sizeof y);
        table_cell(t, y);
        table_cellf(t, "%" PRId64, p->queued_fen);
    }
    table_render(t, &b);
    table_destroy(&t);
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_pool_list(ctl_t *c, int argc, char **argv)
{
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 0, &npos);
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
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
    Cogov__V1__GetPool b = COGOV__V1__GET_POOL__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "POOL_ID is required");
    b.pool_id = (char *)pos[0];
    req.body_case = RB(GET_POOL);
    req.get_pool = &b;
    return run(c, &req, NULL, NULL);
}

/* ---- policy -------------------------------------------------------------- */

static int
cmd_policy_load(ctl_t *c, int argc, char **argv)
{
    const char *pos[1];
    int npos, err,
        rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
    Cogov__V1__LoadPolicy b = COGOV__V1__LOAD_POLICY__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char *text;

    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "FILE is required");
    text = slurp(pos[0], &err);
    if (text == NULL) {
        ctl_err("%s: %s", pos[0], strerror(err));
        return CTL_EXIT_INVALID;
    }
    b.text = text;
    b.source_name = (char *)pos[0];
    req.body_case = RB(LOAD_POLICY);
    req.load_policy = &b;
    rc = run(c, &req, NULL, NULL);
    free(text);
    return rc;
}

static void
print_policies(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"POLICY_ID", ">VERSION", "EFFECTIVE",
                                      "POOL"};
    const Cogov__V1__PolicyList *l = rep->policy_list;
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    sbuf_t b;

    (void)c;
    (void)arg;
    sbuf_init(&b);
    for (size_t i = 0; l && i < l->n_policies; i++) {
        table_cell(t, l->policies[i]->policy_id);
        table_cellf(t, "%u", l->policies[i]->version);
        table_cell(t, l->policies[i]->effective_on);
        table_cell(t, l->policies[i]->pool_id);
    }
    table_render(t, &b);
    table_destroy(&t);
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_policy_list(ctl_t *c, int argc, char **argv)
{
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 0, &npos);
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
print_awards(ctl_t *c, const Cogov__V1__Reply *rep, void *arg)
{
    static const char *const hdr[] = {"AWARD_ID", "KIND",        "STATUS",
                                      "MEMBER",   ">AMOUNT_FEN", "SOURCE"};
    const Cogov__V1__AwardList *l = rep->award_list;
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    sbuf_t b;

    (void)c;
    (void)arg;
    sbuf_init(&b);
    for (size_t i = 0; l && i < l->n_awards; i++) {
        const Cogov__V1__Award *a = l->awards[i];
        table_cell(t, a->award_id);
        table_cell(t, enum_text(&cogov__v1__award_kind__descriptor, a->kind));
        table_cell(t,
                   enum_text(&cogov__v1__award_status__descriptor, a->status));
        table_cell(t, a->member_id);
        table_cellf(t, "%" PRId64, a->amount_fen);
        table_cell(t, a->source_type);
    }
    table_render(t, &b);
    table_destroy(&t);
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_award_list(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0}, *pos[1];
    int npos, rc;
    Cogov__V1__ListAwards b = COGOV__V1__LIST_AWARDS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    rc = ctl_parse(c, argc, argv, award_list_opts, opt_store, v, pos, 0, &npos);
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
    sbuf_printf(&b, "computed %" PRId64 " fen before caps\n", a->raw_fen);
    sbuf_printf(&b, "cap      %s\n",
                str_empty(a->cap_applied) ? "none" : a->cap_applied);
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
    const char *pos[1];
    int npos,
        rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
    Cogov__V1__GetAward b = COGOV__V1__GET_AWARD__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;

    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "AWARD_ID is required");
    b.award_id = (char *)pos[0];
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

    rc = ctl_parse(c, argc, argv, award_op_opts, opt_store, v, pos, 1, &npos);
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
        table_t *t = table_new(ARRAY_LEN(hdr), hdr);
        for (size_t i = 0; l && i < l->n_rows; i++) {
            const Cogov__V1__LedgerRow *r = l->rows[i];
            table_cell(t, r->pool_id);
            table_cell(t, r->member_id);
            table_cellf(t, "%" PRId64, r->proposed_fen);
            table_cellf(t, "%" PRId64, r->approved_fen);
            table_cellf(t, "%" PRId64, r->disbursed_fen);
            table_cellf(t, "%" PRId64, r->held_fen);
            table_cellf(t, "%" PRId64, r->queued_fen);
            table_cellf(t, "%" PRId64, r->rejected_fen);
        }
        table_render(t, &b);
        table_destroy(&t);
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

    rc = ctl_parse(c, argc, argv, ledger_opts, opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    b.pool_id = (char *)v[0];
    b.member_id = (char *)v[1];
    req.body_case = RB(GET_LEDGER);
    req.get_ledger = &b;
    return run(c, &req, print_ledger, &v[2]);
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
    {NULL, NULL, NULL, NULL, NULL},
};
