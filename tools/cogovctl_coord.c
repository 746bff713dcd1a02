/* cogovctl_coord: coordination's commands — consortium, member (including
 * CSV import) and calendar. */
#include "cogovctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/coordination.pb-c.h"
#include "cogov/v1/types.pb-c.h"

/* Print an OK reply's body and free the reply. */
static int
print_reply(ctl_t *c, Cogov__V1__Reply *rep)
{
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

/* ==== consortium ========================================================= */

enum { CF_NAME, CF_CITY, CF_PARK, CF_LEAD, CF_FOUNDED, CF_POLICY, CF_NEED };
static const ctl_opt_t found_opts[] = {
    {"name", true},       {"city", true},
    {"park", true},       {"lead-department", true},
    {"founded-on", true}, {"policy-basis", true},
    {"need", true},       {NULL, false},
};

typedef struct found_args {
    const char *v[CF_NEED + 1];
    char **policy;
    size_t n_policy;
    char **needs;
    size_t n_needs;
} found_args_t;

static int
found_opt(ctl_t *c, int idx, const char *value, void *arg)
{
    found_args_t *a = arg;
    if (idx == CF_POLICY) {
        a->policy = xrealloc(a->policy, (a->n_policy + 1) * sizeof(char *));
        a->policy[a->n_policy++] = (char *)value;
    } else if (idx == CF_NEED) {
        a->needs = xrealloc(a->needs, (a->n_needs + 1) * sizeof(char *));
        a->needs[a->n_needs++] = (char *)value;
    } else {
        a->v[idx] = value;
    }
    return 0;
}

static int
check_date(ctl_t *c, const char *opt, const char *s)
{
    int64_t t;
    if (strlen(s) != 10 || time_parse(s, CTL_UTC_OFFSET, &t) != 0)
        return ctl_usage(c, "%s: expected YYYY-MM-DD, got '%s'", opt, s);
    return 0;
}

static int
cmd_consortium_found(ctl_t *c, int argc, char **argv)
{
    found_args_t a;
    memset(&a, 0, sizeof a);
    int npos, rc;
    const char *pos[1];
    rc = ctl_parse(c, argc, argv, found_opts, found_opt, &a, pos, 0, &npos);
    if (rc != 0)
        goto done;
    static const char *const need[] = {"--name", "--city", "--park",
                                       "--lead-department", "--founded-on"};
    for (int i = CF_NAME; i <= CF_FOUNDED; i++)
        if (str_empty(a.v[i])) {
            rc = ctl_usage(c, "%s is required", need[i]);
            goto done;
        }
    rc = check_date(c, "--founded-on", a.v[CF_FOUNDED]);
    if (rc != 0)
        goto done;
    Cogov__V1__FoundConsortium body = COGOV__V1__FOUND_CONSORTIUM__INIT;
    body.name = (char *)a.v[CF_NAME];
    body.city = (char *)a.v[CF_CITY];
    body.park = (char *)a.v[CF_PARK];
    body.lead_department = (char *)a.v[CF_LEAD];
    body.founded_on = (char *)a.v[CF_FOUNDED];
    body.n_policy_basis = a.n_policy;
    body.policy_basis = a.policy;
    body.n_practical_needs = a.n_needs;
    body.practical_needs = a.needs;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc == 0)
        rc = print_reply(c, rep);
done:
    free(a.policy);
    free(a.needs);
    return rc;
}

static int
cmd_consortium_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__GetConsortium body = COGOV__V1__GET_CONSORTIUM__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_CONSORTIUM;
    req.get_consortium = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

/* ==== member ============================================================= */

enum { MA_USCC, MA_NAME, MA_TYPE, MA_CNAME, MA_CPHONE, MA_CEMAIL, MA_N };
static const ctl_opt_t apply_opts[] = {
    {"uscc", true},         {"name", true},          {"type", true},
    {"contact-name", true}, {"contact-phone", true}, {"contact-email", true},
    {NULL, false},
};

static int
cmd_member_apply(ctl_t *c, int argc, char **argv)
{
    const char *v[MA_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, apply_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[MA_USCC]) || str_empty(v[MA_NAME]) || str_empty(v[MA_TYPE]))
        return ctl_usage(c, "--uscc, --name and --type are required");
    int type = member_type_parse(v[MA_TYPE]);
    if (type < 0)
        return ctl_usage(c, "--type: unknown member type '%s'", v[MA_TYPE]);
    Cogov__V1__ApplyMember body = COGOV__V1__APPLY_MEMBER__INIT;
    body.uscc = (char *)v[MA_USCC];
    body.name = (char *)v[MA_NAME];
    body.has_type = true;
    body.type = type;
    body.contact_name = (char *)v[MA_CNAME];
    body.contact_phone = (char *)v[MA_CPHONE];
    body.contact_email = (char *)v[MA_CEMAIL];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
    req.apply_member = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

static const ctl_opt_t reason_opts[] = {{"reason", true}, {NULL, false}};

static int
member_decide(ctl_t *c, int argc, char **argv, int decision)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, reason_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "MEMBER_ID is required");
    Cogov__V1__DecideMember body = COGOV__V1__DECIDE_MEMBER__INIT;
    body.member_id = (char *)pos[0];
    body.has_decision = true;
    body.decision = decision;
    body.reason = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
    req.decide_member = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

#define DECIDE_FN(verb, DEC)                                                   \
    static int cmd_member_##verb(ctl_t *c, int argc, char **argv)              \
    {                                                                          \
        return member_decide(                                                  \
            c, argc, argv, COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_##DEC); \
    }
DECIDE_FN(admit, ADMIT)
DECIDE_FN(reject, REJECT)
DECIDE_FN(suspend, SUSPEND)
DECIDE_FN(reinstate, REINSTATE)
DECIDE_FN(exit, EXIT)
DECIDE_FN(expel, EXPEL)

static const ctl_opt_t list_opts[] = {
    {"status", true}, {"type", true}, {NULL, false}};

static void
print_member_list(ctl_t *c, const Cogov__V1__MemberList *ml)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_arr(&w);
        for (size_t i = 0; ml != NULL && i < ml->n_members; i++)
            pbjson_message(&w, &ml->members[i]->base);
        jw_arr_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        static const char *const hdr[] = {"MEMBER_ID", "NAME",    "TYPE",
                                          "STATUS",    "APPLIED", "CHANGED"};
        table_t *t = table_new(ARRAY_LEN(hdr), hdr);
        char tb[32];
        for (size_t i = 0; ml != NULL && i < ml->n_members; i++) {
            const Cogov__V1__Member *m = ml->members[i];
            table_cell(t, m->member_id);
            table_cell(t, m->name);
            table_cell(
                t, m->has_type
                       ? enum_text(&cogov__v1__member_type__descriptor, m->type)
                       : NULL);
            table_cell(t, m->has_status
                              ? enum_text(&cogov__v1__member_status__descriptor,
                                          m->status)
                              : NULL);
            fmt_time(m->has_applied_at ? m->applied_at : 0, CTL_UTC_OFFSET, tb,
                     sizeof tb);
            table_cell(t, tb);
            fmt_time(m->has_changed_at ? m->changed_at : 0, CTL_UTC_OFFSET, tb,
                     sizeof tb);
            table_cell(t, tb);
        }
        table_render(t, &b);
        table_destroy(&t);
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_member_list(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, list_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListMembers body = COGOV__V1__LIST_MEMBERS__INIT;
    if (v[0] != NULL) {
        int s = enum_parse(&cogov__v1__member_status__descriptor, v[0]);
        if (s < 0)
            return ctl_usage(c, "--status: unknown member status '%s'", v[0]);
        body.has_status = true;
        body.status = s;
    }
    if (v[1] != NULL) {
        int t = member_type_parse(v[1]);
        if (t < 0)
            return ctl_usage(c, "--type: unknown member type '%s'", v[1]);
        body.has_type = true;
        body.type = t;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_MEMBERS;
    req.list_members = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    if (rc != 0)
        return rc;
    print_member_list(c, rep->body_case == COGOV__V1__REPLY__BODY_MEMBER_LIST
                             ? rep->member_list
                             : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
cmd_member_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "MEMBER_ID is required");
    Cogov__V1__GetMember body = COGOV__V1__GET_MEMBER__INIT;
    body.member_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_MEMBER;
    req.get_member = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

/* ---- member import ----------------------------------------------------------
 */

typedef struct import_fail {
    size_t line;
    const char *code; /* "INVALID", ... (static) */
    char *error;
} import_fail_t;

typedef struct import_state {
    size_t applied, present, admitted, failed;
    import_fail_t *fails;
    int exit; /* of the first failure */
} import_state_t;

static void import_failed(import_state_t *s, size_t line, const char *code,
                          int exit, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
import_failed(import_state_t *s, size_t line, const char *code, int exit,
              const char *fmt, ...)
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

/* One request for a row. Returns the reply (any status) or NULL with the
 * failure recorded; *fatal set when the daemon does not answer. */
static Cogov__V1__Reply *
import_send(ctl_t *c, import_state_t *s, size_t line, Cogov__V1__Request *req,
            bool *fatal)
{
    char err[512];
    int exit;
    Cogov__V1__Reply *rep =
        ctl_request(c, SVC_COORDINATION, req, 0, 0, &exit, err, sizeof err);
    if (rep == NULL) {
        import_failed(s, line,
                      exit == CTL_EXIT_UNAVAILABLE ? "UNAVAILABLE" : "ERROR",
                      exit, "%s", err);
        *fatal = true;
    }
    return rep;
}

static void
import_reply_failed(import_state_t *s, size_t line, Cogov__V1__Reply *rep)
{
    int code = rep->has_code ? rep->code : 0;
    import_failed(s, line, code ? status_text(code) : "NO_STATUS",
                  status_exit(code), "%s",
                  str_empty(rep->error) ? "(no error text)" : rep->error);
}

/* Apply (and admit) one row; returns false if the import must stop. */
static bool
import_row(ctl_t *c, import_state_t *s, const csv_row_t *row,
           const int col[IMP_NCOLS], bool admit)
{
    const char *f[IMP_NCOLS];
    char *trimmed[IMP_NCOLS] = {0};
    bool fatal = false;
    for (int i = 0; i < IMP_NCOLS; i++) {
        f[i] = NULL;
        if (col[i] >= 0 && (size_t)col[i] < row->n) {
            trimmed[i] = str_trim(xstrdup(row->fields[col[i]]));
            f[i] = trimmed[i][0] ? trimmed[i] : NULL;
        }
    }
    if (f[IMP_USCC] == NULL) {
        import_failed(s, row->line, "INVALID", CTL_EXIT_INVALID,
                      "uscc is empty");
        goto done;
    }
    if (f[IMP_NAME] == NULL) {
        import_failed(s, row->line, "INVALID", CTL_EXIT_INVALID,
                      "name is empty");
        goto done;
    }
    int type = member_type_parse(f[IMP_TYPE]);
    if (type < 0) {
        import_failed(s, row->line, "INVALID", CTL_EXIT_INVALID,
                      "unknown member type '%s'",
                      f[IMP_TYPE] ? f[IMP_TYPE] : "");
        goto done;
    }

    /* Already there? Then nothing to apply (an import re-run, or a unit
     * entered by hand); with --admit it may still need admitting. */
    int status = 0;
    bool present = false;
    {
        Cogov__V1__GetMember gm = COGOV__V1__GET_MEMBER__INIT;
        gm.member_id = (char *)f[IMP_USCC];
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_GET_MEMBER;
        req.get_member = &gm;
        Cogov__V1__Reply *rep = import_send(c, s, row->line, &req, &fatal);
        if (rep == NULL)
            goto done;
        if (rep->has_code && rep->code == COGOV__V1__STATUS_CODE__STATUS_OK &&
            rep->body_case == COGOV__V1__REPLY__BODY_MEMBER) {
            present = true;
            status = rep->member->has_status ? rep->member->status : 0;
        }
        cogov__v1__reply__free_unpacked(rep, NULL);
    }

    if (present) {
        s->present++;
    } else {
        char rid[64];
        import_request_id(row, "import", rid, sizeof rid);
        Cogov__V1__ApplyMember body = COGOV__V1__APPLY_MEMBER__INIT;
        body.uscc = (char *)f[IMP_USCC];
        body.name = (char *)f[IMP_NAME];
        body.has_type = true;
        body.type = type;
        body.contact_name = (char *)f[IMP_CONTACT_NAME];
        body.contact_phone = (char *)f[IMP_CONTACT_PHONE];
        body.contact_email = (char *)f[IMP_CONTACT_EMAIL];
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.request_id = rid;
        req.body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
        req.apply_member = &body;
        Cogov__V1__Reply *rep = import_send(c, s, row->line, &req, &fatal);
        if (rep == NULL)
            goto done;
        if (!rep->has_code || rep->code != COGOV__V1__STATUS_CODE__STATUS_OK) {
            import_reply_failed(s, row->line, rep);
            cogov__v1__reply__free_unpacked(rep, NULL);
            goto done;
        }
        s->applied++;
        status = COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED;
        if (rep->body_case == COGOV__V1__REPLY__BODY_MEMBER &&
            rep->member->has_status)
            status = rep->member->status;
        cogov__v1__reply__free_unpacked(rep, NULL);
    }

    if (admit && status == COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_APPLIED) {
        char rid[64];
        import_request_id(row, "import-admit", rid, sizeof rid);
        Cogov__V1__DecideMember body = COGOV__V1__DECIDE_MEMBER__INIT;
        body.member_id = (char *)f[IMP_USCC];
        body.has_decision = true;
        body.decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
        body.reason = "import --admit";
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.request_id = rid;
        req.body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
        req.decide_member = &body;
        Cogov__V1__Reply *rep = import_send(c, s, row->line, &req, &fatal);
        if (rep == NULL)
            goto done;
        if (!rep->has_code || rep->code != COGOV__V1__STATUS_CODE__STATUS_OK)
            import_reply_failed(s, row->line, rep);
        else
            s->admitted++;
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
done:
    for (int i = 0; i < IMP_NCOLS; i++)
        free(trimmed[i]);
    return !fatal;
}

static char *
read_file_all(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return NULL;
    }
    sbuf_t b = {0};
    sbuf_init(&b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sbuf_add(&b, buf, n);
    if (ferror(f)) {
        *err = EIO;
        fclose(f);
        sbuf_free(&b);
        return NULL;
    }
    fclose(f);
    *len = b.len;
    return b.p;
}

static void
import_report(ctl_t *c, const import_state_t *s, bool admit, bool stopped)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "applied");
        jw_uint(&w, s->applied);
        jw_key(&w, "already_present");
        jw_uint(&w, s->present);
        if (admit) {
            jw_key(&w, "admitted");
            jw_uint(&w, s->admitted);
        }
        jw_key(&w, "failed");
        jw_uint(&w, s->failed);
        jw_key(&w, "stopped");
        jw_bool(&w, stopped);
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
        sbuf_printf(&b, "applied %zu, already present %zu", s->applied,
                    s->present);
        if (admit)
            sbuf_printf(&b, ", admitted %zu", s->admitted);
        sbuf_printf(&b, ", failed %zu\n", s->failed);
        for (size_t i = 0; i < s->failed; i++)
            sbuf_printf(&b, "  line %zu: %s: %s\n", s->fails[i].line,
                        s->fails[i].code, s->fails[i].error);
        if (stopped)
            sbuf_puts(&b, "stopped: the daemon did not answer; re-run the "
                          "import to continue (it is idempotent)\n");
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static const ctl_opt_t import_opts[] = {{"admit", false}, {NULL, false}};

static int
cmd_member_import(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, import_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "FILE.csv is required");
    bool admit = v[0] != NULL;
    size_t len = 0;
    int ferr = 0;
    char *data = read_file_all(pos[0], &len, &ferr);
    if (data == NULL) {
        ctl_err("%s: %s", pos[0], strerror(ferr));
        return CTL_EXIT_USAGE;
    }
    import_state_t s;
    memset(&s, 0, sizeof s);
    csv_t csv;
    csv_row_t row = {0};
    char err[512];
    int col[IMP_NCOLS];
    bool stopped = false;
    csv_init(&csv, data, len);
    int r = csv_next(&csv, &row, err, sizeof err);
    if (r <= 0 || import_header(&row, col, err, sizeof err) != 0) {
        if (r == 0)
            snprintf(
                err, sizeof err,
                "empty file (expected a header line "
                "uscc,name,type,contact_name,contact_phone,contact_email)");
        ctl_err("%s: %s", pos[0], err);
        rc = CTL_EXIT_INVALID;
        goto done;
    }
    for (;;) {
        r = csv_next(&csv, &row, err, sizeof err);
        if (r == 0)
            break;
        if (r < 0) {
            /* err starts with "line N: ". */
            size_t line = (size_t)strtoul(err + 5, NULL, 10);
            const char *msg = strstr(err, ": ");
            import_failed(&s, line, "INVALID", CTL_EXIT_INVALID, "%s",
                          msg ? msg + 2 : err);
            continue;
        }
        if (!import_row(c, &s, &row, col, admit)) {
            stopped = true;
            break;
        }
    }
    import_report(c, &s, admit, stopped);
    rc = s.failed > 0 ? (s.exit ? s.exit : CTL_EXIT_INTERNAL) : CTL_EXIT_OK;
done:
    csv_row_clear(&row);
    for (size_t i = 0; i < s.failed; i++)
        free(s.fails[i].error);
    free(s.fails);
    free(data);
    return rc;
}

/* ==== calendar =========================================================== */

static int
cmd_calendar_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__GetCalendar body = COGOV__V1__GET_CALENDAR__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_CALENDAR;
    req.get_calendar = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

static const ctl_opt_t advance_opts[] = {
    {"to", true}, {"utc-offset", true}, {NULL, false}};

static int
cmd_calendar_advance(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, advance_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[0]))
        return ctl_usage(c, "--to is required");
    int off = CTL_UTC_OFFSET;
    if (v[1] != NULL) {
        char *end = NULL;
        errno = 0;
        long o = strtol(v[1], &end, 10);
        if (errno != 0 || end == v[1] || *end != 0 || o < -86400 || o > 86400)
            return ctl_usage(c,
                             "--utc-offset: seconds east of UTC "
                             "(-86400..86400), got '%s'",
                             v[1]);
        off = (int)o;
    }
    int64_t to;
    if (time_parse(v[0], off, &to) != 0)
        return ctl_usage(c, "--to: expected \"YYYY-MM-DD[ HH:MM]\", got '%s'",
                         v[0]);
    Cogov__V1__AdvanceCalendar body = COGOV__V1__ADVANCE_CALENDAR__INIT;
    body.has_to = true;
    body.to = to;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ADVANCE_CALENDAR;
    req.advance_calendar = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_COORDINATION, &req, &rep);
    return rc == 0 ? print_reply(c, rep) : rc;
}

/* ==== table ================================================================
 */

#define DECIDE_HELP(what)                                                      \
    "Decide on a member unit: " what ". Role: GOV_COORDINATOR.\n"              \
    "Prints the member after the decision.\n"                                  \
    "  --reason TEXT   why (kept with the member and its event)\n"

const ctl_cmd_t ctl_cmds_coord[] = {
    {"consortium", "found",
     "--name N --city C --park P --lead-department D --founded-on YYYY-MM-DD "
     "[--policy-basis TEXT]... [--need TEXT]...",
     "Found the consortium (once per deployment). Role: GOV_COORDINATOR.\n"
     "  --policy-basis TEXT   a policy document it is founded on (repeatable)\n"
     "  --need TEXT           a practical need it answers (repeatable)\n",
     cmd_consortium_found},
    {"consortium", "show", "", "Show the consortium.\n", cmd_consortium_show},
    {"member", "apply",
     "--uscc CODE --name N --type TYPE [--contact-name N] [--contact-phone P] "
     "[--contact-email E]",
     "Enter an application for membership. The member id is the unified\n"
     "social credit code. TYPE (case-insensitive): government_department,\n"
     "park_committee, leading_enterprise, enterprise, university,\n"
     "higher_vocational_college, secondary_vocational_school,\n"
     "research_institute, industry_association, operating_company.\n"
     "Roles: GOV_COORDINATOR, SECRETARIAT, BUREAU_SYSTEM.\n",
     cmd_member_apply},
    {"member", "admit", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("APPLIED -> ADMITTED"), cmd_member_admit},
    {"member", "reject", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("APPLIED -> REJECTED"), cmd_member_reject},
    {"member", "suspend", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("ADMITTED -> SUSPENDED"), cmd_member_suspend},
    {"member", "reinstate", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("SUSPENDED -> ADMITTED"), cmd_member_reinstate},
    {"member", "exit", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("ADMITTED or SUSPENDED -> EXITED"), cmd_member_exit},
    {"member", "expel", "MEMBER_ID [--reason TEXT]",
     DECIDE_HELP("ADMITTED or SUSPENDED -> EXPELLED"), cmd_member_expel},
    {"member", "list", "[--status S] [--type T]",
     "List member units, optionally only those with a status (applied,\n"
     "admitted, suspended, exited, expelled, rejected) or type.\n"
     "--json prints an array of members.\n",
     cmd_member_list},
    {"member", "show", "MEMBER_ID", "Show one member unit.\n", cmd_member_show},
    {"member", "import", "FILE.csv [--admit]",
     "Apply for membership for every row of a CSV file (RFC 4180, UTF-8 with\n"
     "or without BOM) whose header line names the columns\n"
     "  uscc,name,type,contact_name,contact_phone,contact_email\n"
     "(any order; the contact columns may be left out). TYPE as for\n"
     "`member apply`, or its Chinese name (政府部门, 园区管委会, 龙头企业,\n"
     "企业, 普通高校, 高职院校, 中职学校, 科研院所, 行业协会, 运营公司).\n"
     "A unit already present is left alone. Each row's request id is derived\n"
     "from its content, so re-running an import is idempotent.\n"
     "  --admit   also admit each applied unit (role GOV_COORDINATOR)\n"
     "Prints: applied N, already present N[, admitted N], failed N, then one\n"
     "line per failed row with its line number and error. Exits non-zero\n"
     "(the code of the first failure) if any row failed.\n",
     cmd_member_import},
    {"calendar", "show", "", "Show the consortium calendar (business time).\n",
     cmd_calendar_show},
    {"calendar", "advance", "--to \"YYYY-MM-DD[ HH:MM]\" [--utc-offset S]",
     "Move the manual calendar forward and publish one calendar tick.\n"
     "Refused in system mode. Roles: GOV_COORDINATOR, OPERATOR.\n"
     "  --to TIME          business time, read at +08:00 unless:\n"
     "  --utc-offset S     offset of --to in seconds east of UTC (28800)\n",
     cmd_calendar_advance},
    {NULL, NULL, NULL, NULL, NULL},
};
