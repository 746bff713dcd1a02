/* cogovctl_supv: supervision's commands (issue 7) — indicator, evaluation,
 * warning, rectification, health and facts. Syntax is checked here
 * (periods, dates, enum names); everything else is the service's to judge.
 * Scores travel as hundredths of a point and are shown as 87.50. */
#include "cogovctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/supervision.pb-c.h"
#include "cogov/v1/types.pb-c.h"

#define SUPV_FILE_MAX (64 * 1024) /* LoadIndicators.text limit */
#define BODY(x) COGOV__V1__REQUEST__BODY_##x

/* "YYYY" or "YYYYQn" (n 1..4). */
static int
check_period(ctl_t *c, const char *opt, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n == 4 || (n == 6 && s[4] == 'Q' && s[5] >= '1' && s[5] <= '4');
    for (size_t i = 0; ok && i < 4; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (!ok)
        return ctl_usage(c, "%s: expected YYYY or YYYYQn, got '%s'", opt,
                         s ? s : "");
    return 0;
}

static int
check_date(ctl_t *c, const char *opt, const char *s)
{
    int64_t t;
    if (s == NULL || strlen(s) != 10 || time_parse(s, CTL_UTC_OFFSET, &t) != 0)
        return ctl_usage(c, "%s: expected YYYY-MM-DD, got '%s'", opt,
                         s ? s : "");
    return 0;
}

/* Hundredths of a point as "87.50". */
static void
fmt_score(int64_t v, char *buf, size_t size)
{
    const char *sign = v < 0 ? "-" : "";
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, size, "%s%" PRIu64 ".%02" PRIu64, sign, a / 100, a % 100);
}

/* An indicator's score; a negative one is an indicator that does not apply
 * to the unit (no target for its type, no evidence): excluded. */
static void
fmt_ind_score(int64_t v, char *buf, size_t size)
{
    if (v < 0)
        snprintf(buf, size, "n/a");
    else
        fmt_score(v, buf, size);
}

static const char *
grade_text(int g)
{
    static const char *const zh[] = {"-", "EXCELLENT 优秀", "GOOD 良好",
                                     "PASS 合格", "FAIL 不合格"};
    return g >= 1 && g <= 4 ? zh[g] : "-";
}

static const char *
dash(const char *s)
{
    return str_empty(s) ? "-" : s;
}

/* Send to supervision; on OK hand the reply over. */
static int
call(ctl_t *c, Cogov__V1__Request *req, Cogov__V1__Reply **rep)
{
    return ctl_call(c, SVC_SUPERVISION, req, rep);
}

/* Print a list: an array of the items with --json, else the table. */
static void
print_list(ctl_t *c, ProtobufCMessage *const *items, size_t n,
           void (*row)(table_t *t, const ProtobufCMessage *m), size_t ncols,
           const char *const *hdr)
{
    sbuf_t b;
    sbuf_init(&b);
    list_render(&b, c->json, items, n, row, ncols, hdr);
    ctl_flush(&b);
    sbuf_free(&b);
}

static char *
read_file(const char *path, int *rc)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        ctl_err("%s: %s", path, strerror(errno));
        *rc = CTL_EXIT_INVALID;
        return NULL;
    }
    sbuf_t b;
    sbuf_init(&b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && b.len <= SUPV_FILE_MAX)
        sbuf_add(&b, buf, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || b.len > SUPV_FILE_MAX) {
        ctl_err("%s: %s", path, bad ? "read error" : "larger than 64 KiB");
        sbuf_free(&b);
        *rc = CTL_EXIT_INVALID;
        return NULL;
    }
    *rc = 0;
    return b.p;
}

/* ==== indicator =========================================================== */

static int
print_set(ctl_t *c, Cogov__V1__Reply *rep)
{
    const Cogov__V1__IndicatorSet *s =
        rep->body_case == COGOV__V1__REPLY__BODY_INDICATOR_SET
            ? rep->indicator_set
            : NULL;
    if (c->json || s == NULL) {
        ctl_print_message(c, s ? &s->base : NULL);
        cogov__v1__reply__free_unpacked(rep, NULL);
        return CTL_EXIT_OK;
    }
    sbuf_t b;
    char tb[32];
    sbuf_init(&b);
    fmt_time(s->loaded_at, CTL_UTC_OFFSET, tb, sizeof tb);
    sbuf_printf(&b, "version %u  %s  loaded %s  %zu indicator(s)\n\n",
                s->version, dash(s->name), tb, s->n_indicators);
    static const char *const hdr[] = {"KEY",  "GROUP",   ">WEIGHT", "SOURCE",
                                      "RULE", ">TARGET", "DIR",     "TITLE"};
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    for (size_t i = 0; i < s->n_indicators; i++) {
        const Cogov__V1__Indicator *x = s->indicators[i];
        table_cell(t, x->key);
        table_cell(t, x->has_group
                          ? enum_text(&cogov__v1__indicator_group__descriptor,
                                      x->group)
                          : NULL);
        table_cellf(t, "%u", x->weight);
        table_cell(t, x->source);
        table_cell(t, x->rule);
        sbuf_t tg;
        sbuf_init(&tg);
        sbuf_printf(&tg, "%" PRId64, x->target);
        for (size_t k = 0; k < x->n_targets; k++)
            sbuf_printf(&tg, " %s", x->targets[k]);
        table_cell(t, tg.p);
        sbuf_free(&tg);
        table_cell(t, x->direction);
        table_cell(t, x->title);
    }
    table_render(t, &b);
    table_destroy(&t);
    ctl_flush(&b);
    sbuf_free(&b);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
cmd_indicator_load(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "FILE is required");
    char *text = read_file(pos[0], &rc);
    if (text == NULL)
        return rc;
    const char *base = strrchr(pos[0], '/');
    Cogov__V1__LoadIndicators body = COGOV__V1__LOAD_INDICATORS__INIT;
    body.name = (char *)(base != NULL ? base + 1 : pos[0]);
    body.text = text;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LOAD_INDICATORS);
    req.load_indicators = &body;
    Cogov__V1__Reply *rep;
    rc = call(c, &req, &rep);
    free(text);
    return rc == 0 ? print_set(c, rep) : rc;
}

static const ctl_opt_t version_opts[] = {{"version", true}, {NULL, false}};

static int
cmd_indicator_list(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, version_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListIndicators body = COGOV__V1__LIST_INDICATORS__INIT;
    if (v[0] != NULL) {
        uint64_t ver;
        if ((rc = ctl_parse_u64(c, "--version", v[0], UINT32_MAX, &ver)) != 0)
            return rc;
        body.has_version = true;
        body.version = (uint32_t)ver;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_INDICATORS);
    req.list_indicators = &body;
    Cogov__V1__Reply *rep;
    rc = call(c, &req, &rep);
    return rc == 0 ? print_set(c, rep) : rc;
}

/* ==== evaluation ========================================================== */

static void
round_header(sbuf_t *b, const Cogov__V1__Round *r)
{
    char t1[32], t2[32], tot[32];
    fmt_time(r->from, CTL_UTC_OFFSET, t1, sizeof t1);
    fmt_time(r->to, CTL_UTC_OFFSET, t2, sizeof t2);
    fmt_score(r->consortium_total, tot, sizeof tot);
    sbuf_printf(b, "round       %s\nperiod      %s  [%s, %s)\n", r->round_id,
                dash(r->period), t1, t2);
    sbuf_printf(b, "status      %s\nindicators  version %u\n",
                r->has_status
                    ? enum_text(&cogov__v1__round_status__descriptor, r->status)
                    : "-",
                r->indicator_version);
    sbuf_printf(b, "consortium  %s  %s\n", tot,
                grade_text((int)r->consortium_grade));
    fmt_time(r->drafted_at, CTL_UTC_OFFSET, t1, sizeof t1);
    fmt_time(r->published_at, CTL_UTC_OFFSET, t2, sizeof t2);
    sbuf_printf(b, "drafted     %s\npublished   %s\n", t1, t2);
    if (!str_empty(r->note))
        sbuf_printf(b, "note        %s\n", r->note);
}

static void goals_table(sbuf_t *b, const Cogov__V1__Round *r);

static void
print_round(ctl_t *c, const Cogov__V1__Round *r)
{
    if (c->json || r == NULL) {
        ctl_print_message(c, r ? &r->base : NULL);
        return;
    }
    sbuf_t b;
    char tb[32];
    sbuf_init(&b);
    round_header(&b, r);
    sbuf_putc(&b, '\n');
    static const char *const hdr[] = {"MEMBER", "NAME",  "TYPE",
                                      ">TOTAL", "GRADE", "VETO"};
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    for (size_t i = 0; i < r->n_results; i++) {
        const Cogov__V1__MemberResult *m = r->results[i];
        table_cell(t, m->member_id);
        table_cell(t, m->name);
        table_cell(t,
                   m->has_type
                       ? enum_text(&cogov__v1__member_type__descriptor, m->type)
                       : NULL);
        fmt_score(m->total, tb, sizeof tb);
        table_cell(t, tb);
        table_cell(t, grade_text((int)m->grade));
        table_cell(t, m->veto_failed ? m->veto_key : NULL);
    }
    table_render(t, &b);
    table_destroy(&t);
    goals_table(&b, r);
    /* The breakdown, member by member. */
    static const char *const hs[] = {"KEY", ">OBSERVED", ">TARGET", ">SCORE",
                                     "VETO"};
    for (size_t i = 0; i < r->n_results; i++) {
        const Cogov__V1__MemberResult *m = r->results[i];
        sbuf_printf(&b, "\n%s %s\n", m->member_id, dash(m->name));
        t = table_new(ARRAY_LEN(hs), hs);
        for (size_t k = 0; k < m->n_scores; k++) {
            const Cogov__V1__IndicatorScore *x = m->scores[k];
            table_cell(t, x->key);
            if (x->observed < 0)
                table_cell(t, "no data");
            else
                table_cellf(t, "%" PRId64, x->observed);
            table_cellf(t, "%" PRId64, x->target);
            fmt_ind_score(x->score, tb, sizeof tb);
            table_cell(t, tb);
            table_cell(t, x->veto_failed ? "FAILED" : NULL);
        }
        table_render(t, &b);
        table_destroy(&t);
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
call_round(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = call(c, req, &rep);
    if (rc != 0)
        return rc;
    print_round(c, rep->body_case == COGOV__V1__REPLY__BODY_ROUND ? rep->round
                                                                  : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
cmd_eval_draft(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "PERIOD is required (YYYY or YYYYQn)");
    if ((rc = check_period(c, "PERIOD", pos[0])) != 0)
        return rc;
    Cogov__V1__DraftRound body = COGOV__V1__DRAFT_ROUND__INIT;
    body.period = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DRAFT_ROUND);
    req.draft_round = &body;
    return call_round(c, &req);
}

static const ctl_opt_t note_opts[] = {{"note", true}, {NULL, false}};

static int
cmd_eval_review(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, note_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "ROUND_ID is required");
    Cogov__V1__ReviewRound body = COGOV__V1__REVIEW_ROUND__INIT;
    body.round_id = (char *)pos[0];
    body.note = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(REVIEW_ROUND);
    req.review_round = &body;
    return call_round(c, &req);
}

static int
cmd_eval_publish(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "ROUND_ID is required");
    Cogov__V1__PublishRound body = COGOV__V1__PUBLISH_ROUND__INIT;
    body.round_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(PUBLISH_ROUND);
    req.publish_round = &body;
    return call_round(c, &req);
}

static const ctl_opt_t member_opts[] = {{"member", true}, {NULL, false}};

static int
cmd_eval_show(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, member_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "ROUND_ID is required");
    Cogov__V1__GetRound body = COGOV__V1__GET_ROUND__INIT;
    body.round_id = (char *)pos[0];
    body.member_id = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_ROUND);
    req.get_round = &body;
    return call_round(c, &req);
}

static void
round_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Round *r = (const Cogov__V1__Round *)m;
    char tb[32];
    table_cell(t, r->round_id);
    table_cell(t, r->period);
    table_cell(t,
               r->has_status
                   ? enum_text(&cogov__v1__round_status__descriptor, r->status)
                   : NULL);
    table_cellf(t, "%u", r->indicator_version);
    fmt_score(r->consortium_total, tb, sizeof tb);
    table_cell(t, tb);
    table_cell(t, grade_text((int)r->consortium_grade));
    fmt_time(r->published_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, tb);
}

static int
cmd_eval_list(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListRounds body = COGOV__V1__LIST_ROUNDS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_ROUNDS);
    req.list_rounds = &body;
    Cogov__V1__Reply *rep;
    if ((rc = call(c, &req, &rep)) != 0)
        return rc;
    const Cogov__V1__RoundList *l =
        rep->body_case == COGOV__V1__REPLY__BODY_ROUND_LIST ? rep->round_list
                                                            : NULL;
    static const char *const hdr[] = {"ROUND",  "PERIOD", "STATUS",   ">IND",
                                      ">TOTAL", "GRADE",  "PUBLISHED"};
    print_list(c, l ? (ProtobufCMessage *const *)l->rounds : NULL,
               l ? l->n_rounds : 0, round_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== warning ============================================================= */

static void
warning_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__WarningRaised *w = (const Cogov__V1__WarningRaised *)m;
    char tb[32];
    table_cell(t, w->warning_id);
    table_cell(t, w->has_kind
                      ? enum_text(&cogov__v1__warning_kind__descriptor, w->kind)
                      : NULL);
    table_cell(t, w->member_id);
    fmt_time(w->raised_at, CTL_UTC_OFFSET, tb, sizeof tb);
    table_cell(t, tb);
    table_cell(t, w->detail);
}

enum { WL_MEMBER, WL_KIND, WL_N };
static const ctl_opt_t wlist_opts[] = {
    {"member", true}, {"kind", true}, {NULL, false}};

static int
cmd_warning_list(ctl_t *c, int argc, char **argv)
{
    const char *v[WL_N] = {0};
    int npos, kind = 0;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, wlist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListWarnings body = COGOV__V1__LIST_WARNINGS__INIT;
    body.member_id = (char *)v[WL_MEMBER];
    if (v[WL_KIND] != NULL) {
        if ((rc = ctl_parse_enum(c, &cogov__v1__warning_kind__descriptor,
                                 "--kind", v[WL_KIND], &kind)) != 0)
            return rc;
        body.has_kind = true;
        body.kind = kind;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_WARNINGS);
    req.list_warnings = &body;
    Cogov__V1__Reply *rep;
    if ((rc = call(c, &req, &rep)) != 0)
        return rc;
    const Cogov__V1__WarningList *l =
        rep->body_case == COGOV__V1__REPLY__BODY_WARNING_LIST
            ? rep->warning_list
            : NULL;
    static const char *const hdr[] = {"WARNING", "KIND", "MEMBER", "RAISED",
                                      "DETAIL"};
    print_list(c, l ? (ProtobufCMessage *const *)l->warnings : NULL,
               l ? l->n_warnings : 0, warning_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== rectification ======================================================= */

static int
call_rect(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = call(c, req, &rep);
    if (rc != 0)
        return rc;
    ctl_print_message(c, rep->body_case == COGOV__V1__REPLY__BODY_RECTIFICATION
                             ? &rep->rectification->base
                             : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

enum {
    RI_MEMBER,
    RI_FINDINGS,
    RI_EVIDENCE,
    RI_DUE,
    RI_WARNING,
    RI_ROUND,
    RI_ID,
    RI_N
};
static const ctl_opt_t issue_opts[] = {
    {"member", true},  {"findings", true}, {"evidence", true}, {"due", true},
    {"warning", true}, {"round", true},    {"id", true},       {NULL, false}};

static int
cmd_rect_issue(ctl_t *c, int argc, char **argv)
{
    const char *v[RI_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, issue_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[RI_MEMBER]) || str_empty(v[RI_FINDINGS]) ||
        v[RI_DUE] == NULL)
        return ctl_usage(c, "--member, --findings and --due are required");
    if ((rc = check_date(c, "--due", v[RI_DUE])) != 0)
        return rc;
    Cogov__V1__IssueRectification body = COGOV__V1__ISSUE_RECTIFICATION__INIT;
    body.rectification_id = (char *)v[RI_ID];
    body.member_id = (char *)v[RI_MEMBER];
    body.findings = (char *)v[RI_FINDINGS];
    body.required_evidence = (char *)v[RI_EVIDENCE];
    body.due_on = (char *)v[RI_DUE];
    body.warning_id = (char *)v[RI_WARNING];
    body.round_id = (char *)v[RI_ROUND];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(ISSUE_RECTIFICATION);
    req.issue_rectification = &body;
    return call_rect(c, &req);
}

enum { RR_TEXT, RR_EVIDENCE, RR_N };
static const ctl_opt_t report_opts[] = {
    {"text", true}, {"evidence", true}, {NULL, false}};

static int
cmd_rect_report(ctl_t *c, int argc, char **argv)
{
    const char *v[RR_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, report_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "RECTIFICATION_ID is required");
    if (str_empty(v[RR_TEXT]))
        return ctl_usage(c, "--text is required");
    Cogov__V1__SubmitRectificationReport body =
        COGOV__V1__SUBMIT_RECTIFICATION_REPORT__INIT;
    body.rectification_id = (char *)pos[0];
    body.report = (char *)v[RR_TEXT];
    body.evidence = (char *)v[RR_EVIDENCE];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(SUBMIT_RECTIFICATION_REPORT);
    req.submit_rectification_report = &body;
    return call_rect(c, &req);
}

static int
rect_decide(ctl_t *c, int argc, char **argv, bool accept)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, note_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "RECTIFICATION_ID is required");
    Cogov__V1__DecideRectification body = COGOV__V1__DECIDE_RECTIFICATION__INIT;
    body.rectification_id = (char *)pos[0];
    body.has_accept = true;
    body.accept = accept;
    body.note = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(DECIDE_RECTIFICATION);
    req.decide_rectification = &body;
    return call_rect(c, &req);
}

static int
cmd_rect_accept(ctl_t *c, int argc, char **argv)
{
    return rect_decide(c, argc, argv, true);
}

static int
cmd_rect_return(ctl_t *c, int argc, char **argv)
{
    return rect_decide(c, argc, argv, false);
}

static int
cmd_rect_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "RECTIFICATION_ID is required");
    Cogov__V1__GetRectification body = COGOV__V1__GET_RECTIFICATION__INIT;
    body.rectification_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_RECTIFICATION);
    req.get_rectification = &body;
    return call_rect(c, &req);
}

static void
rect_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Rectification *r = (const Cogov__V1__Rectification *)m;
    table_cell(t, r->rectification_id);
    table_cell(t, r->member_id);
    table_cell(t, r->has_status
                      ? enum_text(&cogov__v1__rectification_status__descriptor,
                                  r->status)
                      : NULL);
    table_cell(t, r->due_on);
    table_cell(t, r->overdue ? "yes" : "no");
    table_cell(t, r->findings);
}

enum { RL_MEMBER, RL_STATUS, RL_N };
static const ctl_opt_t rlist_opts[] = {
    {"member", true}, {"status", true}, {NULL, false}};

static int
cmd_rect_list(ctl_t *c, int argc, char **argv)
{
    const char *v[RL_N] = {0};
    int npos, st = 0;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, rlist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListRectifications body = COGOV__V1__LIST_RECTIFICATIONS__INIT;
    body.member_id = (char *)v[RL_MEMBER];
    if (v[RL_STATUS] != NULL) {
        if ((rc =
                 ctl_parse_enum(c, &cogov__v1__rectification_status__descriptor,
                                "--status", v[RL_STATUS], &st)) != 0)
            return rc;
        body.has_status = true;
        body.status = st;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_RECTIFICATIONS);
    req.list_rectifications = &body;
    Cogov__V1__Reply *rep;
    if ((rc = call(c, &req, &rep)) != 0)
        return rc;
    const Cogov__V1__RectificationList *l =
        rep->body_case == COGOV__V1__REPLY__BODY_RECTIFICATION_LIST
            ? rep->rectification_list
            : NULL;
    static const char *const hdr[] = {"RECTIFICATION", "MEMBER",  "STATUS",
                                      "DUE",           "OVERDUE", "FINDINGS"};
    print_list(c, l ? (ProtobufCMessage *const *)l->rectifications : NULL,
               l ? l->n_rectifications : 0, rect_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== reports: scorecard, evaluation report ============================== */

/* One CSV cell (RFC 4180): quoted when it holds a comma, quote or line
 * break. */
static void
csv_cell(sbuf_t *b, bool first, const char *s)
{
    if (!first)
        sbuf_putc(b, ',');
    s = s ? s : "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            sbuf_putc(b, '"');
        sbuf_putc(b, *s);
    }
    sbuf_putc(b, '"');
}

static void
csv_row(sbuf_t *b, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        csv_cell(b, i == 0, cells[i]);
    sbuf_puts(b, "\r\n");
}

static const Cogov__V1__Indicator *
indicator_of(const Cogov__V1__IndicatorSet *set, const char *key)
{
    for (size_t i = 0; set && i < set->n_indicators; i++)
        if (strcmp(set->indicators[i]->key, key) == 0)
            return set->indicators[i];
    return NULL;
}

static const char *
grade_short(int g)
{
    return g >= 1 && g <= 4 ? enum_text(&cogov__v1__grade__descriptor, g) : "";
}

/* The round and the indicator set it was computed with (for titles and
 * weights). *rep_set may be NULL if the set is gone. */
static int
fetch_round(ctl_t *c, const char *round_id, const char *member,
            Cogov__V1__Reply **rep_round, Cogov__V1__Reply **rep_set)
{
    Cogov__V1__GetRound gr = COGOV__V1__GET_ROUND__INIT;
    gr.round_id = (char *)round_id;
    gr.member_id = (char *)member;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_ROUND);
    req.get_round = &gr;
    int rc = call(c, &req, rep_round);
    if (rc != 0)
        return rc;
    if ((*rep_round)->body_case != COGOV__V1__REPLY__BODY_ROUND) {
        cogov__v1__reply__free_unpacked(*rep_round, NULL);
        ctl_err("supervision: no round in the reply");
        return CTL_EXIT_UNAVAILABLE;
    }
    Cogov__V1__ListIndicators li = COGOV__V1__LIST_INDICATORS__INIT;
    li.has_version = true;
    li.version = (*rep_round)->round->indicator_version;
    cogov__v1__request__init(&req);
    req.body_case = BODY(LIST_INDICATORS);
    req.list_indicators = &li;
    if (call(c, &req, rep_set) != 0 ||
        (*rep_set)->body_case != COGOV__V1__REPLY__BODY_INDICATOR_SET) {
        /* titles are a nicety: the numbers are in the round */
        *rep_set = NULL;
    }
    return 0;
}

/* Columns of a scorecard / report score row. */
static const char *const score_hdr[] = {
    "round_id", "period", "status", "member_id",  "name",
    "type",     "key",    "title",  "group",      "weight",
    "observed", "target", "score",  "veto_failed"};

static void
score_csv(sbuf_t *b, const Cogov__V1__Round *r,
          const Cogov__V1__MemberResult *m, const Cogov__V1__IndicatorSet *set)
{
    char obs[32], tgt[32], sc[32], wt[16], tot[32];
    const char *status =
        enum_text(&cogov__v1__round_status__descriptor, r->status);
    const char *type = enum_text(&cogov__v1__member_type__descriptor, m->type);
    for (size_t k = 0; k < m->n_scores; k++) {
        const Cogov__V1__IndicatorScore *x = m->scores[k];
        const Cogov__V1__Indicator *ind = indicator_of(set, x->key);
        snprintf(obs, sizeof obs, "%" PRId64, x->observed);
        snprintf(tgt, sizeof tgt, "%" PRId64, x->target);
        fmt_ind_score(x->score, sc, sizeof sc);
        snprintf(wt, sizeof wt, "%u", ind ? ind->weight : 0);
        const char *cells[] = {
            r->round_id,
            r->period,
            status,
            m->member_id,
            m->name,
            type,
            x->key,
            ind ? ind->title : "",
            ind ? enum_text(&cogov__v1__indicator_group__descriptor, ind->group)
                : "",
            wt,
            x->observed < 0 ? "" : obs,
            tgt,
            sc,
            x->veto_failed ? "true" : "false"};
        csv_row(b, cells, ARRAY_LEN(cells));
    }
    fmt_score(m->total, tot, sizeof tot);
    const char *cells[] = {r->round_id, r->period,
                           status,      m->member_id,
                           m->name,     type,
                           "TOTAL",     grade_short((int)m->grade),
                           "",          "100",
                           "",          "",
                           tot,         m->veto_failed ? "true" : "false"};
    csv_row(b, cells, ARRAY_LEN(cells));
}

static void
score_json(jw_t *w, const Cogov__V1__MemberResult *m,
           const Cogov__V1__IndicatorSet *set)
{
    char tb[32];
    jw_key(w, "member_id");
    jw_str(w, m->member_id);
    jw_key(w, "name");
    jw_str(w, m->name);
    jw_key(w, "type");
    jw_str(w, enum_short(&cogov__v1__member_type__descriptor, m->type));
    fmt_score(m->total, tb, sizeof tb);
    jw_key(w, "total");
    jw_str(w, tb);
    jw_key(w, "total_hundredths");
    jw_int(w, m->total);
    jw_key(w, "grade");
    jw_str(w, enum_short(&cogov__v1__grade__descriptor, m->grade));
    jw_key(w, "veto_failed");
    jw_bool(w, m->veto_failed);
    jw_key(w, "veto_key");
    jw_str(w, m->veto_key);
    jw_key(w, "scores");
    jw_arr(w);
    for (size_t k = 0; k < m->n_scores; k++) {
        const Cogov__V1__IndicatorScore *x = m->scores[k];
        const Cogov__V1__Indicator *ind = indicator_of(set, x->key);
        jw_obj(w);
        jw_key(w, "key");
        jw_str(w, x->key);
        jw_key(w, "title");
        jw_str(w, ind ? ind->title : NULL);
        jw_key(w, "dimension");
        jw_str(w, ind ? ind->dimension : NULL);
        jw_key(w, "group");
        jw_str(w, ind ? enum_short(&cogov__v1__indicator_group__descriptor,
                                   ind->group)
                      : NULL);
        jw_key(w, "weight");
        jw_uint(w, ind ? ind->weight : 0);
        jw_key(w, "observed");
        if (x->observed < 0)
            jw_null(w);
        else
            jw_int(w, x->observed);
        jw_key(w, "target");
        jw_int(w, x->target);
        fmt_ind_score(x->score, tb, sizeof tb);
        jw_key(w, "score");
        jw_str(w, tb);
        jw_key(w, "veto_failed");
        jw_bool(w, x->veto_failed);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void
score_table(sbuf_t *b, const Cogov__V1__MemberResult *m,
            const Cogov__V1__IndicatorSet *set)
{
    static const char *const hs[] = {
        "KEY", "TITLE", ">WEIGHT", ">OBSERVED", ">TARGET", ">SCORE", "VETO"};
    char tb[32];
    table_t *t = table_new(ARRAY_LEN(hs), hs);
    for (size_t k = 0; k < m->n_scores; k++) {
        const Cogov__V1__IndicatorScore *x = m->scores[k];
        const Cogov__V1__Indicator *ind = indicator_of(set, x->key);
        table_cell(t, x->key);
        table_cell(t, ind ? ind->title : NULL);
        if (ind &&
            ind->group != COGOV__V1__INDICATOR_GROUP__INDICATOR_GROUP_VETO)
            table_cellf(t, "%u", ind->weight);
        else
            table_cell(t, ind ? "veto" : NULL);
        if (x->observed < 0)
            table_cell(t, "no data");
        else
            table_cellf(t, "%" PRId64, x->observed);
        table_cellf(t, "%" PRId64, x->target);
        fmt_ind_score(x->score, tb, sizeof tb);
        table_cell(t, tb);
        table_cell(t, x->veto_failed ? "FAILED" : NULL);
    }
    table_render(t, b);
    table_destroy(&t);
}

enum { RP_PERIOD, RP_CSV, RP_JSON, RP_N };
static const ctl_opt_t report_fmt_opts[] = {
    {"period", true}, {"csv", false}, {"json", false}, {NULL, false}};

static int
cmd_scorecard(ctl_t *c, int argc, char **argv)
{
    const char *v[RP_N] = {0};
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, report_fmt_opts, ctl_opt_store, v, pos, 1,
                       &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || v[RP_PERIOD] == NULL)
        return ctl_usage(c, "MEMBER and --period are required");
    if ((rc = check_period(c, "--period", v[RP_PERIOD])) != 0)
        return rc;
    if (v[RP_CSV] && (v[RP_JSON] || c->json))
        return ctl_usage(c, "--csv and --json exclude each other");
    bool json = c->json || v[RP_JSON] != NULL;
    char round_id[32];
    snprintf(round_id, sizeof round_id, "round-%s", v[RP_PERIOD]);
    Cogov__V1__Reply *rr = NULL, *rs = NULL, *rh = NULL;
    if ((rc = fetch_round(c, round_id, pos[0], &rr, &rs)) != 0)
        return rc;
    const Cogov__V1__Round *r = rr->round;
    const Cogov__V1__IndicatorSet *set = rs ? rs->indicator_set : NULL;
    if (r->n_results != 1) {
        ctl_err("%s: member %s was not evaluated in %s", round_id, pos[0],
                round_id);
        rc = CTL_EXIT_NOT_FOUND;
        goto done;
    }
    const Cogov__V1__MemberResult *m = r->results[0];
    Cogov__V1__GetHealth gh = COGOV__V1__GET_HEALTH__INIT;
    gh.member_id = (char *)pos[0];
    gh.period = (char *)v[RP_PERIOD];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_HEALTH);
    req.get_health = &gh;
    if (call(c, &req, &rh) != 0)
        rh = NULL;
    const Cogov__V1__HealthRow *hrow =
        rh && rh->body_case == COGOV__V1__REPLY__BODY_HEALTH &&
                rh->health->n_rows > 0
            ? rh->health->rows[0]
            : NULL;
    sbuf_t b;
    sbuf_init(&b);
    if (v[RP_CSV]) {
        csv_row(&b, score_hdr, ARRAY_LEN(score_hdr));
        score_csv(&b, r, m, set);
    } else if (json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "round_id");
        jw_str(&w, r->round_id);
        jw_key(&w, "period");
        jw_str(&w, r->period);
        jw_key(&w, "status");
        jw_str(&w, enum_short(&cogov__v1__round_status__descriptor, r->status));
        jw_key(&w, "indicator_version");
        jw_uint(&w, r->indicator_version);
        score_json(&w, m, set);
        jw_key(&w, "health");
        jw_arr(&w);
        for (size_t k = 0; hrow && k < hrow->n_figures; k++)
            pbjson_message(&w, &hrow->figures[k]->base);
        jw_arr_end(&w);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        char tb[32];
        fmt_score(m->total, tb, sizeof tb);
        sbuf_printf(&b, "scorecard   %s %s (%s)\n", m->member_id, dash(m->name),
                    enum_text(&cogov__v1__member_type__descriptor, m->type));
        sbuf_printf(&b, "round       %s  period %s  %s  indicators v%u\n",
                    r->round_id, r->period,
                    enum_text(&cogov__v1__round_status__descriptor, r->status),
                    r->indicator_version);
        sbuf_printf(&b, "total       %s  %s%s%s\n\n", tb,
                    grade_text((int)m->grade),
                    m->veto_failed ? "  veto failed: " : "",
                    m->veto_failed ? m->veto_key : "");
        score_table(&b, m, set);
        if (hrow) {
            sbuf_puts(&b, "\nhealth\n");
            for (size_t k = 0; k < hrow->n_figures; k++) {
                const Cogov__V1__HealthFigure *f = hrow->figures[k];
                if (f->permille < 0)
                    sbuf_printf(&b, "  %-24s -\n", f->name);
                else
                    sbuf_printf(&b,
                                "  %-24s %" PRId64 ".%" PRId64 "%% (%" PRId64
                                "/%" PRId64 ")\n",
                                f->name, f->permille / 10, f->permille % 10,
                                f->numerator, f->denominator);
            }
        }
    }
    ctl_flush(&b);
    sbuf_free(&b);
    rc = CTL_EXIT_OK;
done:
    cogov__v1__reply__free_unpacked(rr, NULL);
    if (rs)
        cogov__v1__reply__free_unpacked(rs, NULL);
    if (rh)
        cogov__v1__reply__free_unpacked(rh, NULL);
    return rc;
}

static void
goals_table(sbuf_t *b, const Cogov__V1__Round *r)
{
    if (r->n_goals == 0)
        return;
    static const char *const hg[] = {"GOAL",    "INDICATOR", "TITLE",
                                     ">TARGET", ">OBSERVED", ">REACHED",
                                     "MET"};
    table_t *t = table_new(ARRAY_LEN(hg), hg);
    for (size_t i = 0; i < r->n_goals; i++) {
        const Cogov__V1__GoalResult *g = r->goals[i];
        table_cell(t, g->goal_id);
        table_cell(t, g->indicator_code);
        table_cell(t, g->title);
        table_cellf(t, "%" PRId64 "%s", g->target, g->unit ? g->unit : "");
        if (!g->known)
            table_cell(t, "no such indicator");
        else if (g->observed < 0)
            table_cell(t, "no data");
        else
            table_cellf(t, "%" PRId64, g->observed);
        if (g->permille < 0)
            table_cell(t, "-");
        else
            table_cellf(t, "%" PRId64 ".%" PRId64 "%%", g->permille / 10,
                        g->permille % 10);
        table_cell(t, g->met ? "yes" : "no");
    }
    sbuf_printf(b, "\nannual goals (year to the end of %s)\n", r->period);
    table_render(t, b);
    table_destroy(&t);
}

enum { RE_CSV, RE_JSON, RE_N };
static const ctl_opt_t report_opts2[] = {
    {"csv", false}, {"json", false}, {NULL, false}};

static int
cmd_eval_report(ctl_t *c, int argc, char **argv)
{
    const char *v[RE_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, report_opts2, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "ROUND_ID is required");
    if (v[RE_CSV] && (v[RE_JSON] || c->json))
        return ctl_usage(c, "--csv and --json exclude each other");
    bool json = c->json || v[RE_JSON] != NULL;
    Cogov__V1__Reply *rr = NULL, *rs = NULL;
    if ((rc = fetch_round(c, pos[0], NULL, &rr, &rs)) != 0)
        return rc;
    const Cogov__V1__Round *r = rr->round;
    const Cogov__V1__IndicatorSet *set = rs ? rs->indicator_set : NULL;
    sbuf_t b;
    sbuf_init(&b);
    if (v[RE_CSV]) {
        csv_row(&b, score_hdr, ARRAY_LEN(score_hdr));
        for (size_t i = 0; i < r->n_results; i++)
            score_csv(&b, r, r->results[i], set);
        char tot[32], tgt[32], obs[32];
        fmt_score(r->consortium_total, tot, sizeof tot);
        const char *status =
            enum_text(&cogov__v1__round_status__descriptor, r->status);
        const char *cells[] = {r->round_id,
                               r->period,
                               status,
                               "*",
                               "联合体 consortium",
                               "",
                               "TOTAL",
                               grade_short((int)r->consortium_grade),
                               "",
                               "100",
                               "",
                               "",
                               tot,
                               "false"};
        csv_row(&b, cells, ARRAY_LEN(cells));
        for (size_t i = 0; i < r->n_goals; i++) {
            const Cogov__V1__GoalResult *g = r->goals[i];
            char reached[32];
            snprintf(tgt, sizeof tgt, "%" PRId64, g->target);
            snprintf(obs, sizeof obs, "%" PRId64, g->observed);
            snprintf(reached, sizeof reached, "%" PRId64 ".%" PRId64,
                     g->permille / 10, g->permille % 10);
            const char *gc[] = {r->round_id,
                                r->period,
                                status,
                                "*",
                                "联合体 consortium",
                                "",
                                g->indicator_code,
                                g->title,
                                "goal",
                                g->goal_id,
                                g->observed < 0 ? "" : obs,
                                tgt,
                                g->permille < 0 ? "" : reached,
                                g->met ? "met" : "not met"};
            csv_row(&b, gc, ARRAY_LEN(gc));
        }
    } else if (json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "round_id");
        jw_str(&w, r->round_id);
        jw_key(&w, "period");
        jw_str(&w, r->period);
        jw_key(&w, "status");
        jw_str(&w, enum_short(&cogov__v1__round_status__descriptor, r->status));
        jw_key(&w, "indicator_version");
        jw_uint(&w, r->indicator_version);
        char tb[32];
        fmt_score(r->consortium_total, tb, sizeof tb);
        jw_key(&w, "consortium_total");
        jw_str(&w, tb);
        jw_key(&w, "consortium_grade");
        jw_str(&w,
               enum_short(&cogov__v1__grade__descriptor, r->consortium_grade));
        jw_key(&w, "goals");
        jw_arr(&w);
        for (size_t i = 0; i < r->n_goals; i++)
            pbjson_message(&w, &r->goals[i]->base);
        jw_arr_end(&w);
        jw_key(&w, "members");
        jw_arr(&w);
        for (size_t i = 0; i < r->n_results; i++) {
            jw_obj(&w);
            score_json(&w, r->results[i], set);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        round_header(&b, r);
        goals_table(&b, r);
        sbuf_putc(&b, '\n');
        static const char *const hdr[] = {"MEMBER", "NAME",  "TYPE",
                                          ">TOTAL", "GRADE", "VETO"};
        table_t *t = table_new(ARRAY_LEN(hdr), hdr);
        char tb[32];
        for (size_t i = 0; i < r->n_results; i++) {
            const Cogov__V1__MemberResult *m = r->results[i];
            table_cell(t, m->member_id);
            table_cell(t, m->name);
            table_cell(t,
                       enum_text(&cogov__v1__member_type__descriptor, m->type));
            fmt_score(m->total, tb, sizeof tb);
            table_cell(t, tb);
            table_cell(t, grade_text((int)m->grade));
            table_cell(t, m->veto_failed ? m->veto_key : NULL);
        }
        table_render(t, &b);
        table_destroy(&t);
        for (size_t i = 0; i < r->n_results; i++) {
            sbuf_printf(&b, "\n%s %s\n", r->results[i]->member_id,
                        dash(r->results[i]->name));
            score_table(&b, r->results[i], set);
        }
    }
    ctl_flush(&b);
    sbuf_free(&b);
    cogov__v1__reply__free_unpacked(rr, NULL);
    if (rs)
        cogov__v1__reply__free_unpacked(rs, NULL);
    return CTL_EXIT_OK;
}

/* ==== health, facts ======================================================= */

enum { HE_MEMBER, HE_PERIOD, HE_EXPLAIN, HE_N };
static const ctl_opt_t health_opts[] = {
    {"member", true}, {"period", true}, {"explain", false}, {NULL, false}};

static void
print_health(ctl_t *c, const Cogov__V1__Health *h)
{
    if (c->json || h == NULL) {
        ctl_print_message(c, h ? &h->base : NULL);
        return;
    }
    sbuf_t b;
    sbuf_init(&b);
    sbuf_printf(&b, "period  %s\n\n",
                str_empty(h->period) ? "all time" : h->period);
    /* Columns: the figures of the first row (every row has the same). */
    size_t nf = h->n_rows > 0 ? h->rows[0]->n_figures : 0;
    const char **hdr = xmalloc((nf + 2) * sizeof *hdr);
    char **names = xmalloc((nf + 1) * sizeof *names);
    hdr[0] = "MEMBER";
    hdr[1] = "NAME";
    for (size_t k = 0; k < nf; k++) {
        names[k] = xasprintf(">%s", h->rows[0]->figures[k]->name);
        hdr[k + 2] = names[k];
    }
    table_t *t = table_new(nf + 2, hdr);
    for (size_t i = 0; i < h->n_rows; i++) {
        const Cogov__V1__HealthRow *r = h->rows[i];
        table_cell(t, str_empty(r->member_id) ? "*" : r->member_id);
        table_cell(t, r->name);
        for (size_t k = 0; k < nf; k++) {
            const Cogov__V1__HealthFigure *f =
                k < r->n_figures ? r->figures[k] : NULL;
            if (f == NULL || f->permille < 0)
                table_cell(t, "-");
            else
                table_cellf(
                    t, "%" PRId64 ".%" PRId64 "%% (%" PRId64 "/%" PRId64 ")",
                    f->permille / 10, f->permille % 10, f->numerator,
                    f->denominator);
        }
    }
    table_render(t, &b);
    table_destroy(&t);
    bool head = false;
    for (size_t k = 0; k < nf; k++) {
        const Cogov__V1__HealthFigure *f = h->rows[0]->figures[k];
        if (str_empty(f->definition))
            continue;
        if (!head)
            sbuf_puts(&b, "\nDefinitions:\n");
        head = true;
        sbuf_printf(&b, "  %s: %s\n", f->name, f->definition);
    }
    for (size_t k = 0; k < nf; k++)
        free(names[k]);
    free(names);
    free(hdr);
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_health(ctl_t *c, int argc, char **argv)
{
    const char *v[HE_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, health_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (v[HE_PERIOD] != NULL &&
        (rc = check_period(c, "--period", v[HE_PERIOD])) != 0)
        return rc;
    Cogov__V1__GetHealth body = COGOV__V1__GET_HEALTH__INIT;
    body.member_id = (char *)v[HE_MEMBER];
    body.period = (char *)v[HE_PERIOD];
    body.has_explain = true;
    body.explain = v[HE_EXPLAIN] != NULL;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(GET_HEALTH);
    req.get_health = &body;
    Cogov__V1__Reply *rep;
    if ((rc = call(c, &req, &rep)) != 0)
        return rc;
    print_health(c, rep->body_case == COGOV__V1__REPLY__BODY_HEALTH
                        ? rep->health
                        : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static void
fact_row(table_t *t, const ProtobufCMessage *m)
{
    const Cogov__V1__Fact *f = (const Cogov__V1__Fact *)m;
    table_cell(t, f->member_id);
    table_cell(t, f->day);
    table_cell(t, f->source);
    table_cellf(t, "%" PRId64, f->value);
    table_cell(t, f->event_id);
}

enum { FA_MEMBER, FA_PERIOD, FA_N };
static const ctl_opt_t facts_opts[] = {
    {"member", true}, {"period", true}, {NULL, false}};

static int
cmd_facts(ctl_t *c, int argc, char **argv)
{
    const char *v[FA_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, facts_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (v[FA_PERIOD] != NULL &&
        (rc = check_period(c, "--period", v[FA_PERIOD])) != 0)
        return rc;
    Cogov__V1__ListFacts body = COGOV__V1__LIST_FACTS__INIT;
    body.member_id = (char *)v[FA_MEMBER];
    body.period = (char *)v[FA_PERIOD];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = BODY(LIST_FACTS);
    req.list_facts = &body;
    Cogov__V1__Reply *rep;
    if ((rc = call(c, &req, &rep)) != 0)
        return rc;
    const Cogov__V1__FactList *l =
        rep->body_case == COGOV__V1__REPLY__BODY_FACT_LIST ? rep->fact_list
                                                           : NULL;
    static const char *const hdr[] = {"MEMBER", "DAY", "SOURCE", ">VALUE",
                                      "EVENT"};
    print_list(c, l ? (ProtobufCMessage *const *)l->facts : NULL,
               l ? l->n_facts : 0, fact_row, ARRAY_LEN(hdr), hdr);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== the table =========================================================== */

#define SUP "Role: SUPERVISOR.\n"
#define READ                                                                   \
    "Roles: GOV_COORDINATOR, SECRETARIAT, SUPERVISOR, OPERATOR, OBSERVER,\n"   \
    "MEMBER_REP (own unit only).\n"

const ctl_cmd_t ctl_cmds_supv[] = {
    {"indicator", "load", "FILE",
     "Load an indicator system (指标体系) from FILE (README \"Indicator\n"
     "files\"; at most 64 KiB). A malformed file is refused (exit 2, the\n"
     "error names the line) and nothing changes; a valid one becomes the\n"
     "next version. Prints the loaded set.\n" SUP,
     cmd_indicator_load},
    {"indicator", "list", "[--version N]",
     "The indicators of a version (default: the latest). --json prints the\n"
     "IndicatorSet object.\n" READ,
     cmd_indicator_list},
    {"evaluation", "draft", "PERIOD",
     "Compute (or re-compute) the evaluation round of PERIOD (YYYY or\n"
     "YYYYQn) from the latest indicators and the facts so far; its id is\n"
     "round-PERIOD. The first calendar tick past a period's end drafts it\n"
     "already (supervision's auto_rounds); drafting it again recomputes\n"
     "it (the same facts give the same numbers) and a reviewed round goes\n"
     "back to draft. A published round is frozen (exit 5). Each draft\n"
     "emits round_drafted. Scores are points of 100, shown with two\n"
     "decimals; n/a: the indicator does not apply to the unit (an on-time\n"
     "share or ratio with nothing to divide by, or a zero target for its\n"
     "type and no evidence) and its weight is left out of the total.\n" SUP,
     cmd_eval_draft},
    {"evaluation", "review", "ROUND_ID [--note T]",
     "Mark a drafted round reviewed.\n" SUP, cmd_eval_review},
    {"evaluation", "publish", "ROUND_ID",
     "Publish and freeze a reviewed round (emits evaluation_published with\n"
     "every member's grade and breakdown).\n" SUP,
     cmd_eval_publish},
    {"evaluation", "show", "ROUND_ID [--member M]",
     "A round: the consortium's total and grade, each member's total, grade\n"
     "and failed veto, and each member's per-indicator breakdown. --json\n"
     "prints the Round object.\n" READ,
     cmd_eval_show},
    {"evaluation", "list", "",
     "The rounds (without results). --json prints an array.\n" READ,
     cmd_eval_list},
    {"evaluation", "report", "ROUND_ID [--csv | --json]",
     "The consortium's evaluation report: the round, the consortium against\n"
     "its annual goals, every member's total and grade and every member's\n"
     "breakdown with indicator titles and weights. --csv: one row per\n"
     "member and indicator (key TOTAL: the member's total and grade), a\n"
     "consortium row (member *) and one row per goal (group 'goal', score:\n"
     "share of the target reached, veto_failed: met / not met). --json: one\n"
     "object.\n" READ,
     cmd_eval_report},
    {"scorecard", NULL, "MEMBER --period P [--csv | --json]",
     "A member's scorecard for a period (YYYY or YYYYQn): its result in\n"
     "round-P (drafted, reviewed or published) indicator by indicator, and\n"
     "its collaboration health in the period. --csv: one row per indicator\n"
     "and a TOTAL row (columns as evaluation report). --json: one object.\n"
     "Exit 3 if there is no such round or the member is not in it.\n" READ,
     cmd_scorecard},
    {"warning", "list", "[--member M] [--kind K]",
     "Early warnings (预警), each raised once per cause. KIND:\n"
     "milestone_overdue, inactive, absence_streak, pledge_missed,\n"
     "inquiry_overdue, pool_low. --json prints an array.\n" READ,
     cmd_warning_list},
    {"rectification", "issue",
     "--member M --findings T --due YYYY-MM-DD [--evidence T] "
     "[--warning ID] [--round ID] [--id ID]",
     "Issue a rectification order (整改) to an ADMITTED or SUSPENDED unit,\n"
     "due at the end of --due; --evidence is the evidence required. Without\n"
     "--id the id is derived from the request.\n" SUP,
     cmd_rect_issue},
    {"rectification", "report", "ID --text T [--evidence T]",
     "Submit the unit's report on an ISSUED or RETURNED order.\n"
     "Roles: SUPERVISOR, MEMBER_REP of the owner unit.\n",
     cmd_rect_report},
    {"rectification", "accept", "ID [--note T]",
     "Accept the report: the order is closed.\n" SUP, cmd_rect_accept},
    {"rectification", "return", "ID --note T",
     "Return the report for revision (a note is required).\n" SUP,
     cmd_rect_return},
    {"rectification", "show", "ID", "One order.\n" READ, cmd_rect_show},
    {"rectification", "list", "[--member M] [--status S]",
     "Orders (status: issued, reported, returned, accepted). --json prints\n"
     "an array.\n" READ,
     cmd_rect_list},
    {"health", NULL, "[--member M] [--period P] [--explain]",
     "Collaboration health (协作健康度) per member and for the consortium\n"
     "(row *): each figure as a share with numerator/denominator, '-' when\n"
     "there is no data. --explain adds each figure's definition. --json\n"
     "prints the Health object.\n" READ,
     cmd_health},
    {"facts", NULL, "[--member M] [--period P]",
     "The evidence folded from the event streams: per member, day, source,\n"
     "value and the event it came from. --json prints an array.\n" READ,
     cmd_facts},
    {NULL, NULL, NULL, NULL, NULL},
};
