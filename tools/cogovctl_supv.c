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

/* Options are collected into vals[idx] (last one wins; "1" for a flag). */
static int
opt_store(ctl_t *c, int idx, const char *value, void *arg)
{
    (void)c;
    ((const char **)arg)[idx] = value != NULL ? value : "1";
    return 0;
}

static int
parse_enum(ctl_t *c, const ProtobufCEnumDescriptor *d, const char *opt,
           const char *value, int *out)
{
    int v = enum_parse(d, value);
    if (v < 0) {
        sbuf_t b;
        sbuf_init(&b);
        for (unsigned i = 0; i < d->n_values; i++)
            if (d->values[i].value != 0) {
                const char *s = enum_short(d, d->values[i].value);
                sbuf_printf(&b, "%s%s", b.len ? ", " : "", s ? s : "?");
            }
        int rc = ctl_usage(c, "%s: unknown value '%s' (one of: %s)", opt, value,
                           b.p);
        sbuf_free(&b);
        return rc;
    }
    *out = v;
    return 0;
}

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
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_arr(&w);
        for (size_t i = 0; i < n; i++)
            pbjson_message(&w, items[i]);
        jw_arr_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        table_t *t = table_new(ncols, hdr);
        for (size_t i = 0; i < n; i++)
            row(t, items[i]);
        table_render(t, &b);
        table_destroy(&t);
    }
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
    int rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
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
        ctl_parse(c, argc, argv, version_opts, opt_store, v, pos, 0, &npos);
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
            fmt_score(x->score, tb, sizeof tb);
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
    int rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, note_opts, opt_store, v, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, member_opts, opt_store, v, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 0, &npos);
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
    int rc = ctl_parse(c, argc, argv, wlist_opts, opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListWarnings body = COGOV__V1__LIST_WARNINGS__INIT;
    body.member_id = (char *)v[WL_MEMBER];
    if (v[WL_KIND] != NULL) {
        if ((rc = parse_enum(c, &cogov__v1__warning_kind__descriptor, "--kind",
                             v[WL_KIND], &kind)) != 0)
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
    int rc = ctl_parse(c, argc, argv, issue_opts, opt_store, v, pos, 0, &npos);
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
    int rc = ctl_parse(c, argc, argv, report_opts, opt_store, v, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, note_opts, opt_store, v, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, NULL, opt_store, NULL, pos, 1, &npos);
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
    int rc = ctl_parse(c, argc, argv, rlist_opts, opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListRectifications body = COGOV__V1__LIST_RECTIFICATIONS__INIT;
    body.member_id = (char *)v[RL_MEMBER];
    if (v[RL_STATUS] != NULL) {
        if ((rc = parse_enum(c, &cogov__v1__rectification_status__descriptor,
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
    int rc = ctl_parse(c, argc, argv, health_opts, opt_store, v, pos, 0, &npos);
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
    int rc = ctl_parse(c, argc, argv, facts_opts, opt_store, v, pos, 0, &npos);
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
     "next version. Prints the loaded set." SUP,
     cmd_indicator_load},
    {"indicator", "list", "[--version N]",
     "The indicators of a version (default: the latest). --json prints the\n"
     "IndicatorSet object.\n" READ,
     cmd_indicator_list},
    {"evaluation", "draft", "PERIOD",
     "Compute (or re-compute) the evaluation round of PERIOD (YYYY or\n"
     "YYYYQn) from the latest indicators and the facts so far; its id is\n"
     "round-PERIOD. A published round is frozen (exit 5). Scores are\n"
     "points of 100, shown with two decimals." SUP,
     cmd_eval_draft},
    {"evaluation", "review", "ROUND_ID [--note T]",
     "Mark a drafted round reviewed." SUP, cmd_eval_review},
    {"evaluation", "publish", "ROUND_ID",
     "Publish and freeze a reviewed round (emits evaluation_published with\n"
     "every member's grade and breakdown)." SUP,
     cmd_eval_publish},
    {"evaluation", "show", "ROUND_ID [--member M]",
     "A round: the consortium's total and grade, each member's total, grade\n"
     "and failed veto, and each member's per-indicator breakdown. --json\n"
     "prints the Round object.\n" READ,
     cmd_eval_show},
    {"evaluation", "list", "",
     "The rounds (without results). --json prints an array.\n" READ,
     cmd_eval_list},
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
     "--id the id is derived from the request." SUP,
     cmd_rect_issue},
    {"rectification", "report", "ID --text T [--evidence T]",
     "Submit the unit's report on an ISSUED or RETURNED order.\n"
     "Roles: SUPERVISOR, MEMBER_REP of the owner unit.\n",
     cmd_rect_report},
    {"rectification", "accept", "ID [--note T]",
     "Accept the report: the order is closed." SUP, cmd_rect_accept},
    {"rectification", "return", "ID --note T",
     "Return the report for revision (a note is required)." SUP,
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
