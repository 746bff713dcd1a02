/* cogovctl_lists: the three lists (三张清单) — demand, supply, match,
 * occupation-map — and the CSV imports of talent demands and progress
 * reports. Imports follow `member import`: every valid row is applied and
 * every bad row is reported with its line; request ids come from the row's
 * content, so a re-run applies nothing twice. */
#include "cogovctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "validate.h"
#include "cogov/v1/coordination.pb-c.h"
#include "cogov/v1/types.pb-c.h"

#define LISTS_FILE_MAX (4 << 20)

/* Repeatable --research: collected into a list. */
typedef struct multi {
    const char **v;
    int rep_idx;
    char **list;
    size_t n;
} multi_t;

static int
opt_multi(ctl_t *c, int idx, const char *value, void *arg)
{
    multi_t *m = arg;
    if (idx == m->rep_idx) {
        m->list = xrealloc(m->list, (m->n + 1) * sizeof(char *));
        m->list[m->n++] = (char *)value;
        return 0;
    }
    return ctl_opt_store(c, idx, value, m->v);
}

static int
call_print(ctl_t *c, Cogov__V1__Request *req)
{
    Cogov__V1__Reply *rep;
    int rc = ctl_call(c, SVC_COORDINATION, req, &rep);
    if (rc != 0)
        return rc;
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
parse_i64(const char *value, int64_t *out)
{
    char *end = NULL;
    if (str_empty(value))
        return -EINVAL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || *end != 0)
        return -EINVAL;
    *out = v;
    return 0;
}

static bool
date_ok(const char *s)
{
    int64_t t;
    return s != NULL && strlen(s) == 10 &&
           time_parse(s, CTL_UTC_OFFSET, &t) == 0;
}

static char *
read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return NULL;
    }
    sbuf_t b;
    sbuf_init(&b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && b.len <= LISTS_FILE_MAX)
        sbuf_add(&b, buf, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || b.len > LISTS_FILE_MAX) {
        *err = bad ? EIO : EFBIG;
        sbuf_free(&b);
        return NULL;
    }
    *len = b.len;
    if (b.p == NULL)
        return xstrdup("");
    return b.p;
}

/* ==== demand ============================================================= */

enum {
    DP_ID,
    DP_UNIT,
    DP_KIND,
    DP_TITLE,
    DP_OCC,
    DP_HEAD,
    DP_LEVEL,
    DP_BY,
    DP_DETAILS,
    DP_N
};
static const ctl_opt_t demand_opts[] = {
    {"id", true},    {"unit", true},       {"kind", true},
    {"title", true}, {"occupation", true}, {"headcount", true},
    {"level", true}, {"needed-by", true},  {"details", true},
    {NULL, false}};

static int
cmd_demand_post(ctl_t *c, int argc, char **argv)
{
    const char *v[DP_N] = {0};
    int npos, kind = COGOV__V1__DEMAND_KIND__DEMAND_KIND_TALENT;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, demand_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[DP_ID]) || str_empty(v[DP_UNIT]))
        return ctl_usage(c, "--id and --unit are required");
    if (v[DP_KIND] != NULL &&
        (kind = enum_parse(&cogov__v1__demand_kind__descriptor, v[DP_KIND])) <
            0)
        return ctl_usage(c, "--kind: one of core_product, technology, talent");
    Cogov__V1__PostDemand body = COGOV__V1__POST_DEMAND__INIT;
    if (v[DP_HEAD] != NULL) {
        if (parse_i64(v[DP_HEAD], &body.headcount) != 0)
            return ctl_usage(c, "--headcount: not a number: '%s'", v[DP_HEAD]);
        body.has_headcount = true;
    }
    if (v[DP_BY] != NULL && !date_ok(v[DP_BY]))
        return ctl_usage(c, "--needed-by: expected YYYY-MM-DD, got '%s'",
                         v[DP_BY]);
    body.demand_id = (char *)v[DP_ID];
    body.member_id = (char *)v[DP_UNIT];
    body.has_kind = true;
    body.kind = kind;
    body.title = (char *)(v[DP_TITLE] ? v[DP_TITLE] : v[DP_OCC]);
    body.occupation = (char *)v[DP_OCC];
    body.skill_level = (char *)v[DP_LEVEL];
    body.needed_by = (char *)v[DP_BY];
    body.details = (char *)v[DP_DETAILS];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_POST_DEMAND;
    req.post_demand = &body;
    return call_print(c, &req);
}

enum { DL_UNIT, DL_KIND, DL_N };
static const ctl_opt_t dlist_opts[] = {
    {"unit", true}, {"kind", true}, {NULL, false}};

static int
cmd_demand_list(ctl_t *c, int argc, char **argv)
{
    const char *v[DL_N] = {0};
    int npos, kind = 0;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, dlist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (v[DL_KIND] != NULL &&
        (kind = enum_parse(&cogov__v1__demand_kind__descriptor, v[DL_KIND])) <
            0)
        return ctl_usage(c, "--kind: one of core_product, technology, talent");
    Cogov__V1__ListDemands body = COGOV__V1__LIST_DEMANDS__INIT;
    body.member_id = (char *)v[DL_UNIT];
    body.has_kind = kind > 0;
    body.kind = kind;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_DEMANDS;
    req.list_demands = &body;
    return call_print(c, &req);
}

/* ==== supply ============================================================= */

enum {
    SP_ID,
    SP_UNIT,
    SP_MAJOR,
    SP_GRAD,
    SP_ON,
    SP_CAP,
    SP_RESEARCH,
    SP_DETAILS,
    SP_N
};
static const ctl_opt_t supply_opts[] = {
    {"id", true},        {"unit", true},         {"major", true},
    {"graduates", true}, {"available-on", true}, {"training-capacity", true},
    {"research", true},  {"details", true},      {NULL, false}};

static int
cmd_supply_post(ctl_t *c, int argc, char **argv)
{
    const char *v[SP_N] = {0};
    multi_t m = {.v = v, .rep_idx = SP_RESEARCH};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, supply_opts, opt_multi, &m, pos, 0, &npos);
    if (rc != 0)
        goto done;
    if (str_empty(v[SP_ID]) || str_empty(v[SP_UNIT]) ||
        str_empty(v[SP_MAJOR]) || str_empty(v[SP_ON])) {
        rc = ctl_usage(c, "--id, --unit, --major and --available-on are "
                          "required");
        goto done;
    }
    Cogov__V1__PostSupply body = COGOV__V1__POST_SUPPLY__INIT;
    if (v[SP_GRAD] != NULL) {
        if (parse_i64(v[SP_GRAD], &body.graduates) != 0) {
            rc = ctl_usage(c, "--graduates: not a number: '%s'", v[SP_GRAD]);
            goto done;
        }
        body.has_graduates = true;
    }
    if (v[SP_CAP] != NULL) {
        if (parse_i64(v[SP_CAP], &body.training_capacity) != 0) {
            rc = ctl_usage(c, "--training-capacity: not a number: '%s'",
                           v[SP_CAP]);
            goto done;
        }
        body.has_training_capacity = true;
    }
    if (!date_ok(v[SP_ON])) {
        rc = ctl_usage(c, "--available-on: expected YYYY-MM-DD, got '%s'",
                       v[SP_ON]);
        goto done;
    }
    body.supply_id = (char *)v[SP_ID];
    body.member_id = (char *)v[SP_UNIT];
    body.major = (char *)v[SP_MAJOR];
    body.available_on = (char *)v[SP_ON];
    body.details = (char *)v[SP_DETAILS];
    body.n_research_capabilities = m.n;
    body.research_capabilities = m.list;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_POST_SUPPLY;
    req.post_supply = &body;
    rc = call_print(c, &req);
done:
    free(m.list);
    return rc;
}

static const ctl_opt_t slist_opts[] = {{"unit", true}, {NULL, false}};

static int
cmd_supply_list(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, slist_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListSupplies body = COGOV__V1__LIST_SUPPLIES__INIT;
    body.member_id = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_SUPPLIES;
    req.list_supplies = &body;
    return call_print(c, &req);
}

/* ==== occupation-map ====================================================== */

static int
cmd_map_load(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "FILE is required");
    size_t len;
    int err = 0;
    char *text = read_file(pos[0], &len, &err);
    if (text == NULL) {
        ctl_err("%s: %s", pos[0], strerror(err));
        return CTL_EXIT_INVALID;
    }
    if (strlen(text) != len) {
        ctl_err("%s: contains a NUL byte", pos[0]);
        free(text);
        return CTL_EXIT_INVALID;
    }
    const char *base = strrchr(pos[0], '/');
    Cogov__V1__LoadOccupationMap body = COGOV__V1__LOAD_OCCUPATION_MAP__INIT;
    body.text = text;
    body.source = (char *)(base ? base + 1 : pos[0]);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LOAD_OCCUPATION_MAP;
    req.load_occupation_map = &body;
    rc = call_print(c, &req);
    free(text);
    return rc;
}

static int
cmd_map_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__GetOccupationMap body = COGOV__V1__GET_OCCUPATION_MAP__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_OCCUPATION_MAP;
    req.get_occupation_map = &body;
    return call_print(c, &req);
}

/* ==== match =============================================================== */

enum { MP_DEMAND, MP_LIMIT, MP_N };
static const ctl_opt_t propose_opts[] = {
    {"demand", true}, {"limit", true}, {NULL, false}};

static int
cmd_match_propose(ctl_t *c, int argc, char **argv)
{
    const char *v[MP_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, propose_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ProposeMatches body = COGOV__V1__PROPOSE_MATCHES__INIT;
    if (v[MP_LIMIT] != NULL) {
        uint64_t l;
        if ((rc = ctl_parse_u64(c, "--limit", v[MP_LIMIT], 100000, &l)) != 0)
            return rc;
        body.has_limit = true;
        body.limit = (uint32_t)l;
    }
    body.demand_id = (char *)v[MP_DEMAND];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_PROPOSE_MATCHES;
    req.propose_matches = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc != 0)
        return rc;
    const Cogov__V1__MatchList *ml =
        rep->body_case == COGOV__V1__REPLY__BODY_MATCH_LIST ? rep->match_list
                                                            : NULL;
    if (c->json || ml == NULL) {
        ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    } else {
        static const char *const hdr[] = {">SCORE",     "DEMAND", "SUPPLY",
                                          "ENTERPRISE", "SCHOOL", ">QTY",
                                          "REASON"};
        table_t *t = table_new(ARRAY_LEN(hdr), hdr);
        for (size_t i = 0; i < ml->n_matches; i++) {
            const Cogov__V1__MatchProposal *m = ml->matches[i];
            table_cellf(t, "%d", m->score);
            table_cell(t, m->demand_id);
            table_cell(t, m->supply_id);
            table_cell(t, m->enterprise_id);
            table_cell(t, m->school_id);
            table_cellf(t, "%lld", (long long)m->quantity);
            table_cell(t, m->reason);
        }
        sbuf_t b;
        sbuf_init(&b);
        table_render(t, &b);
        ctl_flush(&b);
        sbuf_free(&b);
        table_destroy(&t);
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

enum { MA_KIND, MA_TITLE, MA_GOAL, MA_N };
static const ctl_opt_t accept_opts[] = {
    {"kind", true}, {"title", true}, {"goal", true}, {NULL, false}};

static int
cmd_match_accept(ctl_t *c, int argc, char **argv)
{
    const char *v[MA_N] = {0};
    int npos, kind;
    const char *pos[2];
    int rc =
        ctl_parse(c, argc, argv, accept_opts, ctl_opt_store, v, pos, 2, &npos);
    if (rc != 0)
        return rc;
    if (npos != 2 || str_empty(v[MA_KIND]))
        return ctl_usage(c, "DEMAND_ID SUPPLY_ID and --kind are required");
    kind = enum_parse(&cogov__v1__task_kind__descriptor, v[MA_KIND]);
    if (kind < 0)
        return ctl_usage(c, "--kind: order_class, apprenticeship or training");
    Cogov__V1__AcceptMatch body = COGOV__V1__ACCEPT_MATCH__INIT;
    body.demand_id = (char *)pos[0];
    body.supply_id = (char *)pos[1];
    body.has_kind = true;
    body.kind = kind;
    body.title = (char *)v[MA_TITLE];
    body.goal_id = (char *)v[MA_GOAL];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ACCEPT_MATCH;
    req.accept_match = &body;
    return call_print(c, &req);
}

/* ==== import demands / progress =========================================== */

typedef struct fail {
    size_t line;
    const char *code;
    char *error;
} fail_t;

typedef struct imp {
    size_t applied, present, failed;
    fail_t *fails;
    int exit;
    bool stopped;
    char **known; /* ids already in the service (demands) */
    size_t n_known;
} imp_t;

static void imp_fail(imp_t *s, size_t line, const char *code, int exit,
                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
imp_fail(imp_t *s, size_t line, const char *code, int exit, const char *fmt,
         ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    s->fails = xrealloc(s->fails, (s->failed + 1) * sizeof *s->fails);
    s->fails[s->failed].line = line;
    s->fails[s->failed].code = code;
    s->fails[s->failed].error = msg;
    s->failed++;
    if (s->exit == 0)
        s->exit = exit;
}

/* Send one request; NULL (failure recorded, import stopped) when the daemon
 * does not answer. */
static Cogov__V1__Reply *
imp_send(ctl_t *c, imp_t *s, size_t line, Cogov__V1__Request *req)
{
    char err[512];
    int exit;
    Cogov__V1__Reply *rep =
        ctl_request(c, SVC_COORDINATION, req, 0, 0, &exit, err, sizeof err);
    if (rep == NULL) {
        imp_fail(s, line,
                 exit == CTL_EXIT_UNAVAILABLE ? "UNAVAILABLE" : "ERROR", exit,
                 "%s", err);
        s->stopped = true;
    }
    return rep;
}

static bool
rep_ok(const Cogov__V1__Reply *rep)
{
    return rep->has_code && rep->code == COGOV__V1__STATUS_CODE__STATUS_OK;
}

/* Send a write; count it applied, present (already_there) or failed. */
static void
imp_apply(ctl_t *c, imp_t *s, size_t line, Cogov__V1__Request *req,
          bool already_there)
{
    Cogov__V1__Reply *rep = imp_send(c, s, line, req);
    if (rep == NULL)
        return;
    if (rep_ok(rep)) {
        if (already_there)
            s->present++;
        else
            s->applied++;
    } else {
        int code = rep->has_code ? rep->code : 0;
        imp_fail(s, line, code ? status_text(code) : "NO_STATUS",
                 status_exit(code), "%s",
                 str_empty(rep->error) ? "(no error text)" : rep->error);
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
imp_report(ctl_t *c, const imp_t *s)
{
    sbuf_t b;
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "applied");
        jw_uint(&w, s->applied);
        jw_key(&w, "already_present");
        jw_uint(&w, s->present);
        jw_key(&w, "failed");
        jw_uint(&w, s->failed);
        jw_key(&w, "stopped");
        jw_bool(&w, s->stopped);
        jw_key(&w, "failures");
        jw_arr(&w);
        for (size_t i = 0; i < s->failed; i++) {
            jw_obj(&w);
            jw_key(&w, "line");
            jw_uint(&w, s->fails[i].line);
            jw_key(&w, "code");
            jw_str(&w, s->fails[i].code);
            jw_key(&w, "error");
            jw_str(&w, s->fails[i].error);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        sbuf_printf(&b, "applied %zu, already present %zu, failed %zu\n",
                    s->applied, s->present, s->failed);
        for (size_t i = 0; i < s->failed; i++)
            sbuf_printf(&b, "  line %zu: %s: %s\n", s->fails[i].line,
                        s->fails[i].code, s->fails[i].error);
        if (s->stopped)
            sbuf_puts(&b, "stopped: the daemon did not answer; re-run the "
                          "import to continue (it is idempotent)\n");
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

/* A kind of import: its columns (required ones first, n_required of them)
 * and what to do with a row (f[i]: trimmed field of column i, NULL when
 * empty or absent). */
typedef struct imp_kind {
    const char *const *cols;
    size_t n_cols;
    size_t n_required;
    void (*begin)(ctl_t *c, imp_t *s);
    void (*row)(ctl_t *c, imp_t *s, const csv_row_t *row, const char **f);
} imp_kind_t;

static int
imp_header(const imp_kind_t *k, const csv_row_t *hdr, int *col, char *err,
           size_t errlen)
{
    for (size_t i = 0; i < k->n_cols; i++)
        col[i] = -1;
    for (size_t j = 0; j < hdr->n; j++) {
        char *h = str_trim(xstrdup(hdr->fields[j]));
        size_t i;
        for (i = 0; i < k->n_cols; i++)
            if (strcasecmp(h, k->cols[i]) == 0)
                break;
        if (i == k->n_cols || col[i] >= 0) {
            sbuf_t b;
            sbuf_init(&b);
            for (size_t x = 0; x < k->n_cols; x++)
                sbuf_printf(&b, "%s%s", x ? "," : "", k->cols[x]);
            snprintf(err, errlen, "line %zu: %s column \"%s\" (expected %s)",
                     hdr->line, i == k->n_cols ? "unknown" : "repeated", h,
                     b.p);
            sbuf_free(&b);
            free(h);
            return -EINVAL;
        }
        col[i] = (int)j;
        free(h);
    }
    for (size_t i = 0; i < k->n_required; i++)
        if (col[i] < 0) {
            snprintf(err, errlen, "line %zu: missing column \"%s\"", hdr->line,
                     k->cols[i]);
            return -EINVAL;
        }
    return 0;
}

static int
imp_run(ctl_t *c, const imp_kind_t *k, const char *path)
{
    size_t len = 0;
    int ferr = 0;
    char *data = read_file(path, &len, &ferr);
    if (data == NULL) {
        ctl_err("%s: %s", path, strerror(ferr));
        return CTL_EXIT_USAGE;
    }
    imp_t s;
    memset(&s, 0, sizeof s);
    csv_t csv;
    csv_row_t row = {0};
    char err[512];
    int col[16];
    int rc;
    csv_init(&csv, data, len);
    int r = csv_next(&csv, &row, err, sizeof err);
    if (r <= 0 || imp_header(k, &row, col, err, sizeof err) != 0) {
        if (r == 0)
            snprintf(err, sizeof err, "empty file (expected a header line)");
        ctl_err("%s: %s", path, err);
        rc = CTL_EXIT_INVALID;
        goto done;
    }
    if (k->begin != NULL)
        k->begin(c, &s);
    while (!s.stopped && (r = csv_next(&csv, &row, err, sizeof err)) != 0) {
        if (r < 0) {
            size_t line = (size_t)strtoul(err + 5, NULL, 10);
            const char *msg = strstr(err, ": ");
            imp_fail(&s, line, "INVALID", CTL_EXIT_INVALID, "%s",
                     msg ? msg + 2 : err);
            continue;
        }
        const char *f[16];
        char *t[16] = {0};
        bool bad = false;
        for (size_t i = 0; i < k->n_cols; i++) {
            f[i] = NULL;
            if (col[i] < 0 || (size_t)col[i] >= row.n)
                continue;
            const char *raw = row.fields[col[i]];
            if (!valid_utf8(raw, strlen(raw)) && !bad) {
                imp_fail(&s, row.line, "INVALID", CTL_EXIT_INVALID,
                         "%s: not valid UTF-8", k->cols[i]);
                bad = true;
            }
            t[i] = str_trim(xstrdup(raw));
            f[i] = t[i][0] ? t[i] : NULL;
        }
        for (size_t i = 0; !bad && i < k->n_required; i++)
            if (f[i] == NULL) {
                imp_fail(&s, row.line, "INVALID", CTL_EXIT_INVALID,
                         "%s is empty", k->cols[i]);
                bad = true;
            }
        if (!bad)
            k->row(c, &s, &row, f);
        for (size_t i = 0; i < k->n_cols; i++)
            free(t[i]);
    }
    imp_report(c, &s);
    rc = s.failed > 0 ? (s.exit ? s.exit : CTL_EXIT_INTERNAL) : CTL_EXIT_OK;
done:
    csv_row_clear(&row);
    for (size_t i = 0; i < s.failed; i++)
        free(s.fails[i].error);
    free(s.fails);
    for (size_t i = 0; i < s.n_known; i++)
        free(s.known[i]);
    free(s.known);
    free(data);
    return rc;
}

static bool
imp_known(const imp_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_known; i++)
        if (strcmp(s->known[i], id) == 0)
            return true;
    return false;
}

/* ---- demands ---- */

enum {
    ID_UNIT,
    ID_OCC,
    ID_HEAD,
    ID_BY,
    ID_ID,
    ID_KIND,
    ID_TITLE,
    ID_LEVEL,
    ID_DETAILS,
    ID_N
};
static const char *const demand_cols[ID_N] = {
    "member_id", "occupation", "headcount",   "needed_by", "demand_id",
    "kind",      "title",      "skill_level", "details"};

static void
demands_begin(ctl_t *c, imp_t *s)
{
    Cogov__V1__ListDemands body = COGOV__V1__LIST_DEMANDS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_DEMANDS;
    req.list_demands = &body;
    Cogov__V1__Reply *rep = imp_send(c, s, 1, &req);
    if (rep == NULL)
        return;
    if (rep_ok(rep) && rep->body_case == COGOV__V1__REPLY__BODY_DEMAND_LIST) {
        const Cogov__V1__DemandList *l = rep->demand_list;
        s->known = xcalloc(l->n_demands + 1, sizeof *s->known);
        for (size_t i = 0; i < l->n_demands; i++)
            s->known[s->n_known++] = xstrdup(l->demands[i]->demand_id);
    } else {
        imp_fail(s, 1, "ERROR", CTL_EXIT_INTERNAL, "list demands: %s",
                 str_empty(rep->error) ? "no list" : rep->error);
        s->stopped = true;
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
}

static void
demands_row(ctl_t *c, imp_t *s, const csv_row_t *row, const char **f)
{
    int kind = COGOV__V1__DEMAND_KIND__DEMAND_KIND_TALENT;
    if (f[ID_KIND] != NULL &&
        (kind = enum_parse(&cogov__v1__demand_kind__descriptor, f[ID_KIND])) <
            0) {
        imp_fail(s, row->line, "INVALID", CTL_EXIT_INVALID,
                 "kind: unknown '%s' (core_product, technology, talent)",
                 f[ID_KIND]);
        return;
    }
    Cogov__V1__PostDemand body = COGOV__V1__POST_DEMAND__INIT;
    if (parse_i64(f[ID_HEAD], &body.headcount) != 0) {
        imp_fail(s, row->line, "INVALID", CTL_EXIT_INVALID,
                 "headcount: not a number: '%s'", f[ID_HEAD]);
        return;
    }
    if (!date_ok(f[ID_BY])) {
        imp_fail(s, row->line, "INVALID", CTL_EXIT_INVALID,
                 "needed_by: expected YYYY-MM-DD, got '%s'", f[ID_BY]);
        return;
    }
    char did[64], rid[64];
    if (f[ID_ID] == NULL)
        import_request_id(row, "d", did, sizeof did);
    else
        str_copy(did, sizeof did, f[ID_ID]);
    import_request_id(row, "import-demand", rid, sizeof rid);
    body.has_headcount = body.has_kind = true;
    body.demand_id = did;
    body.member_id = (char *)f[ID_UNIT];
    body.kind = kind;
    body.title = (char *)(f[ID_TITLE] ? f[ID_TITLE] : f[ID_OCC]);
    body.occupation = (char *)f[ID_OCC];
    body.needed_by = (char *)f[ID_BY];
    body.skill_level = (char *)f[ID_LEVEL];
    body.details = (char *)f[ID_DETAILS];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.request_id = rid;
    req.body_case = COGOV__V1__REQUEST__BODY_POST_DEMAND;
    req.post_demand = &body;
    imp_apply(c, s, row->line, &req, imp_known(s, did));
}

static const imp_kind_t imp_demands = {demand_cols, ID_N, 4, demands_begin,
                                       demands_row};

/* ---- progress ---- */

enum {
    IP_TASK,
    IP_UNIT,
    IP_REPORT,
    IP_STUDENTS,
    IP_INTERNS,
    IP_HOURS,
    IP_FEN,
    IP_QTY,
    IP_NOTE,
    IP_CORRECTS,
    IP_N
};
static const char *const progress_cols[IP_N] = {
    "task_id",           "member_id",      "report_id",
    "students_enrolled", "interns_hosted", "training_hours",
    "investment_fen",    "quantity",       "note",
    "corrects_report_id"};

/* Is the report already on the task? -1 if the task cannot be read (the
 * report is then sent and the service says why). */
static int
report_present(ctl_t *c, imp_t *s, size_t line, const char *task_id,
               const char *report_id)
{
    Cogov__V1__GetTask body = COGOV__V1__GET_TASK__INIT;
    body.task_id = (char *)task_id;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_TASK;
    req.get_task = &body;
    Cogov__V1__Reply *rep = imp_send(c, s, line, &req);
    if (rep == NULL)
        return -1;
    int r = -1;
    if (rep_ok(rep) && rep->body_case == COGOV__V1__REPLY__BODY_TASK) {
        r = 0;
        for (size_t i = 0; i < rep->task->n_reports; i++)
            if (strcmp(rep->task->reports[i]->report_id, report_id) == 0)
                r = 1;
    }
    cogov__v1__reply__free_unpacked(rep, NULL);
    return r;
}

static void
progress_row(ctl_t *c, imp_t *s, const csv_row_t *row, const char **f)
{
    Cogov__V1__Delivered d = COGOV__V1__DELIVERED__INIT;
    struct {
        int col;
        int64_t *v;
        protobuf_c_boolean *has;
    } nums[] = {
        {IP_STUDENTS, &d.students_enrolled, &d.has_students_enrolled},
        {IP_INTERNS, &d.interns_hosted, &d.has_interns_hosted},
        {IP_HOURS, &d.training_hours, &d.has_training_hours},
        {IP_FEN, &d.investment_fen, &d.has_investment_fen},
        {IP_QTY, &d.quantity, &d.has_quantity},
    };
    for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
        const char *v = f[nums[i].col];
        if (v == NULL)
            continue;
        if (parse_i64(v, nums[i].v) != 0) {
            imp_fail(s, row->line, "INVALID", CTL_EXIT_INVALID,
                     "%s: not a number: '%s'", progress_cols[nums[i].col], v);
            return;
        }
        *nums[i].has = true;
    }
    char rpid[64], rid[64];
    if (f[IP_REPORT] == NULL)
        import_request_id(row, "r", rpid, sizeof rpid);
    else
        str_copy(rpid, sizeof rpid, f[IP_REPORT]);
    import_request_id(row, "import-progress", rid, sizeof rid);
    int present = report_present(c, s, row->line, f[IP_TASK], rpid);
    if (s->stopped)
        return;
    if (present == 1) {
        s->present++;
        return;
    }
    Cogov__V1__ReportProgress body = COGOV__V1__REPORT_PROGRESS__INIT;
    body.task_id = (char *)f[IP_TASK];
    body.report_id = rpid;
    body.member_id = (char *)f[IP_UNIT];
    body.delivered = &d;
    body.note = (char *)f[IP_NOTE];
    body.corrects_report_id = (char *)f[IP_CORRECTS];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.request_id = rid;
    req.body_case = COGOV__V1__REQUEST__BODY_REPORT_PROGRESS;
    req.report_progress = &body;
    imp_apply(c, s, row->line, &req, false);
}

static const imp_kind_t imp_progress = {progress_cols, IP_N, 2, NULL,
                                        progress_row};

static int
cmd_import(ctl_t *c, const imp_kind_t *k, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "FILE.csv is required");
    return imp_run(c, k, pos[0]);
}

static int
cmd_import_demands(ctl_t *c, int argc, char **argv)
{
    return cmd_import(c, &imp_demands, argc, argv);
}

static int
cmd_import_progress(ctl_t *c, int argc, char **argv)
{
    return cmd_import(c, &imp_progress, argc, argv);
}

#define IMPORT_RULE                                                            \
    "UTF-8 with or without BOM, a header row (columns in any order,\n"         \
    "case-insensitive). Every valid row is applied and every bad row is\n"     \
    "reported with its line (exit status of the first failure); request\n"     \
    "ids come from the row's content, so re-running the file applies\n"        \
    "nothing twice.\n"

const ctl_cmd_t ctl_cmds_lists[] = {
    {"demand", "post",
     "--id ID --unit M [--kind K] [--title T] [--occupation O] "
     "[--headcount N] [--level L] [--needed-by YYYY-MM-DD] [--details T]",
     "Post an enterprise's demand (三张清单). KIND: talent (default; needs\n"
     "--occupation, --headcount > 0, --needed-by), core_product or\n"
     "technology (need --title). The unit must be an ADMITTED\n"
     "LEADING_ENTERPRISE or ENTERPRISE.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, BUREAU_SYSTEM, MEMBER_REP (own\n"
     "unit).\n",
     cmd_demand_post},
    {"demand", "list", "[--unit M] [--kind K]",
     "List demands with what accepted matches took. --json prints them.\n",
     cmd_demand_list},
    {"supply", "post",
     "--id ID --unit M --major MAJOR --available-on YYYY-MM-DD "
     "[--graduates N] [--training-capacity N] [--research T]... "
     "[--details T]",
     "Post a school's or institute's supply of one major: expected\n"
     "graduates available on a date, training capacity, research\n"
     "capabilities. The unit must be an ADMITTED UNIVERSITY,\n"
     "HIGHER_VOCATIONAL_COLLEGE, SECONDARY_VOCATIONAL_SCHOOL or\n"
     "RESEARCH_INSTITUTE.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, BUREAU_SYSTEM, MEMBER_REP (own\n"
     "unit).\n",
     cmd_supply_post},
    {"supply", "list", "[--unit M]", "List supply.\n", cmd_supply_list},
    {"occupation-map", "load", "FILE",
     "Replace the occupation <-> major mapping the matcher uses with a\n"
     "file of \"occupation,major\" lines (default:\n"
     "/usr/share/cogov/occupation_major.csv, deploy/data in the source).\n"
     "A malformed line is INVALID naming the line. Role: GOV_COORDINATOR.\n",
     cmd_map_load},
    {"occupation-map", "show", "", "Show the loaded mapping.\n", cmd_map_show},
    {"match", "propose", "[--demand ID] [--limit N]",
     "Propose talent demand <-> supply pairings, ranked by score (0..100:\n"
     "occupation/major fit 40, quantity coverage 30, timing 20, past\n"
     "cooperation 10) with the reason in words.\n",
     cmd_match_propose},
    {"match", "accept",
     "DEMAND_ID SUPPLY_ID --kind KIND [--title T] "
     "[--goal G]",
     "Accept a pairing: a PROPOSED task (KIND order_class, apprenticeship\n"
     "or training) led by the enterprise with the school, planned\n"
     "quantity min(headcount left, graduates left) 人, id derived from\n"
     "the two ids. Role: GOV_COORDINATOR.\n",
     cmd_match_accept},
    {"import", "demands", "FILE.csv",
     "Import talent demands. Columns: member_id, occupation, headcount,\n"
     "needed_by (required); demand_id (derived from the row when empty),\n"
     "kind, title, skill_level, details. " IMPORT_RULE,
     cmd_import_demands},
    {"import", "progress", "FILE.csv",
     "Import progress reports. Columns: task_id, member_id (required);\n"
     "report_id (derived from the row when empty), students_enrolled,\n"
     "interns_hosted, training_hours, investment_fen, quantity, note,\n"
     "corrects_report_id. " IMPORT_RULE,
     cmd_import_progress},
    {NULL, NULL, NULL, NULL, NULL},
};
