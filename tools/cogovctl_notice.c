/* cogovctl_notice: the secretariat's notice commands. */
#include "cogovctl.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cogov/v1/secretariat.pb-c.h"

static const ctl_opt_t list_opts[] = {
    {"member", true}, {"kind", true}, {NULL, false}};

static void
print_notice_list(ctl_t *c, const Cogov__V1__NoticeList *nl)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_arr(&w);
        for (size_t i = 0; nl != NULL && i < nl->n_notices; i++)
            pbjson_message(&w, &nl->notices[i]->base);
        jw_arr_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        static const char *const hdr[] = {"NOTICE_ID", "KIND", "PUBLISHED",
                                          ">ACKED", "TITLE"};
        table_t *t = table_new(ARRAY_LEN(hdr), hdr);
        char tb[32];
        sbuf_t title = {0};
        for (size_t i = 0; nl != NULL && i < nl->n_notices; i++) {
            const Cogov__V1__Notice *n = nl->notices[i];
            table_cell(t, n->notice_id);
            table_cell(
                t, n->has_kind
                       ? enum_text(&cogov__v1__notice_kind__descriptor, n->kind)
                       : NULL);
            fmt_time(n->has_published_at ? n->published_at : 0, CTL_UTC_OFFSET,
                     tb, sizeof tb);
            table_cell(t, tb);
            table_cellf(t, "%zu/%zu", n->n_acknowledged, n->n_addressees);
            sbuf_reset(&title);
            sbuf_put_width(&title, n->title, 60);
            table_cell(t, title.p);
        }
        sbuf_free(&title);
        table_render(t, &b);
        table_destroy(&t);
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

static int
cmd_notice_list(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, list_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    Cogov__V1__ListNotices body = COGOV__V1__LIST_NOTICES__INIT;
    body.member_id = (char *)v[0];
    if (v[1] != NULL) {
        int k = enum_parse(&cogov__v1__notice_kind__descriptor, v[1]);
        if (k < 0)
            return ctl_usage(c,
                             "--kind: expected welcome, farewell, "
                             "general or reminder, got '%s'",
                             v[1]);
        body.has_kind = true;
        body.kind = k;
    }
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_LIST_NOTICES;
    req.list_notices = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, &req, &rep);
    if (rc != 0)
        return rc;
    print_notice_list(c, rep->body_case == COGOV__V1__REPLY__BODY_NOTICE_LIST
                             ? rep->notice_list
                             : NULL);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
cmd_notice_show(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "NOTICE_ID is required");
    Cogov__V1__GetNotice body = COGOV__V1__GET_NOTICE__INIT;
    body.notice_id = (char *)pos[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_NOTICE;
    req.get_notice = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, &req, &rep);
    if (rc != 0)
        return rc;
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static const ctl_opt_t ack_opts[] = {{"member", true}, {NULL, false}};

static int
cmd_notice_ack(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, ack_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "NOTICE_ID is required");
    if (str_empty(v[0]))
        return ctl_usage(c, "--member MEMBER_ID is required");
    Cogov__V1__AcknowledgeNotice body = COGOV__V1__ACKNOWLEDGE_NOTICE__INIT;
    body.notice_id = (char *)pos[0];
    body.member_id = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_ACKNOWLEDGE_NOTICE;
    req.acknowledge_notice = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, &req, &rep);
    if (rc != 0)
        return rc;
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static const ctl_opt_t publish_opts[] = {{"title", true},   {"body", true},
                                         {"all", false},    {"types", true},
                                         {"members", true}, {NULL, false}};

static char **
split_list(char *s, size_t *n)
{
    char **v = NULL;
    *n = 0;
    for (char *tok = s ? strtok(s, ",") : NULL; tok != NULL;
         tok = strtok(NULL, ",")) {
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = tok;
    }
    return v;
}

static int
cmd_notice_publish(ctl_t *c, int argc, char **argv)
{
    const char *v[5] = {0};
    int npos, rc;
    const char *pos[1];
    rc =
        ctl_parse(c, argc, argv, publish_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[0]) || str_empty(v[1]))
        return ctl_usage(c, "--title and --body are required");
    if (v[2] == NULL && v[3] == NULL && v[4] == NULL)
        return ctl_usage(c, "addressees: --all, --types or --members");
    Cogov__V1__PublishNotice body = COGOV__V1__PUBLISH_NOTICE__INIT;
    body.title = (char *)v[0];
    body.body = (char *)v[1];
    body.has_to_all = v[2] != NULL;
    body.to_all = v[2] != NULL;
    char *types = v[3] ? xstrdup(v[3]) : NULL;
    char *members = v[4] ? xstrdup(v[4]) : NULL;
    size_t nt = 0;
    char **tv = split_list(types, &nt);
    Cogov__V1__MemberType *mt = xmalloc((nt + 1) * sizeof *mt);
    for (size_t i = 0; i < nt; i++) {
        int t = member_type_parse(tv[i]);
        if (t <= 0) {
            rc = ctl_usage(c, "--types: unknown member type '%s'", tv[i]);
            goto done;
        }
        mt[i] = t;
    }
    body.n_member_types = nt;
    body.member_types = mt;
    body.member_ids = split_list(members, &body.n_member_ids);
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_PUBLISH_NOTICE;
    req.publish_notice = &body;
    Cogov__V1__Reply *rep;
    rc = ctl_call(c, SVC_SECRETARIAT, &req, &rep);
    if (rc != 0)
        goto done;
    ctl_print_message(c, pb_oneof_message(&rep->base, rep->body_case));
    cogov__v1__reply__free_unpacked(rep, NULL);
    rc = CTL_EXIT_OK;
done:
    free(tv);
    free(mt);
    free(body.member_ids);
    free(types);
    free(members);
    return rc;
}

const ctl_cmd_t ctl_cmds_notice[] = {
    {"notice", "list", "[--member ID] [--kind welcome|farewell|general]",
     "List notices, optionally only those addressed to a member unit or of a\n"
     "kind. ACKED shows acknowledged/addressed. --json prints an array.\n",
     cmd_notice_list},
    {"notice", "show", "NOTICE_ID", "Show one notice with its text.\n",
     cmd_notice_show},
    {"notice", "ack", "NOTICE_ID --member MEMBER_ID",
     "Acknowledge a notice on behalf of a member unit. Roles: MEMBER_REP\n"
     "(own unit) or SECRETARIAT.\n",
     cmd_notice_ack},
    {"notice", "publish",
     "--title T --body B (--all | --types T,T | --members ID,ID)...",
     "Publish a GENERAL notice to every admitted member (--all), the\n"
     "admitted members of some types, and/or named units. Units that have\n"
     "not acknowledged it after notice_remind_days get one reminder notice\n"
     "(kind REMINDER) on a calendar tick. Role: SECRETARIAT.\n",
     cmd_notice_publish},
    {NULL, NULL, NULL, NULL, NULL},
};
