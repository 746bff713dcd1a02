/* cogovctl_ops: operations — events tail, status, sync, keys, backup,
 * restore, pause/resume, stream accept, dead letters. */
#include "cogovctl.h"

#include <ctype.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "util.h"

static int
parse_service(ctl_t *c, const char *name, bool must_be_configured)
{
    if (ctl_need_conf(c) != 0)
        return -1;
    int svc = ctl_service_parse(name);
    if (svc < 0) {
        ctl_usage(c,
                  "unknown service '%s' (coordination, incentives, "
                  "supervision, secretariat)",
                  name);
        return -1;
    }
    if (must_be_configured && !ctl_configured(c, svc)) {
        ctl_usage(c,
                  "service '%s' is not configured (%s_endpoint is empty "
                  "in %s)",
                  name, name, c->conf_path);
        return -1;
    }
    return svc;
}

static void
print_reply_error(int svc, const Cogov__V1__Reply *rep)
{
    ctl_err("%s: %s: %s", ctl_service_names[svc],
            rep->has_code ? status_text(rep->code) : "NO_STATUS",
            str_empty(rep->error) ? "(no error text)" : rep->error);
}

/* ==== events tail ===========================================================
 */

#define TAIL_FOLLOW_WAIT_MS 5000

static void
print_event(ctl_t *c, sbuf_t *b, const Cogov__V1__Event *ev)
{
    if (c->json) {
        jw_t w;
        jw_init(&w, b);
        pbjson_message(&w, &ev->base);
        sbuf_putc(b, '\n');
        return;
    }
    char seq[24], tb[32];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
    fmt_time(ev->has_occurred_at ? ev->occurred_at : 0, CTL_UTC_OFFSET, tb,
             sizeof tb);
    sbuf_pad(b, seq, 6, true);
    sbuf_puts(b, "  ");
    sbuf_pad(b, tb, 16, false);
    sbuf_puts(b, "  ");
    sbuf_pad(b, str_empty(ev->type) ? "?" : ev->type, 20, false);
    sbuf_puts(b, "  ");
    sbuf_pad(b, str_empty(ev->actor) ? "-" : ev->actor, 14, false);
    sbuf_puts(b, "  ");
    sbuf_pad(b, str_empty(ev->correlation_id) ? "-" : ev->correlation_id, 20,
             false);
    const ProtobufCMessage *p = pb_oneof_message(&ev->base, ev->payload_case);
    if (p != NULL) {
        sbuf_puts(b, "  ");
        pbsummary(b, p, CTL_UTC_OFFSET);
    } else if (ev->payload_case != 0) {
        sbuf_printf(b, "  (unknown payload %d)", (int)ev->payload_case);
    }
    /* No trailing blanks. */
    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->p[--b->len] = 0;
    sbuf_putc(b, '\n');
}

static const ctl_opt_t tail_opts[] = {
    {"after", true}, {"max", true}, {"follow", false}, {NULL, false}};

static int
cmd_events_tail(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, tail_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "SERVICE is required");
    int svc = parse_service(c, pos[0], true);
    if (svc < 0)
        return CTL_EXIT_USAGE;
    uint64_t after = 0, max = 0;
    if (v[0] != NULL && ctl_parse_u64(c, "--after", v[0], UINT64_MAX, &after))
        return CTL_EXIT_USAGE;
    if (v[1] != NULL && ctl_parse_u64(c, "--max", v[1], UINT64_MAX, &max))
        return CTL_EXIT_USAGE;
    bool follow = v[2] != NULL;
    uint64_t printed = 0, epoch = 0;
    sbuf_t b = {0};
    sbuf_init(&b);
    rc = CTL_EXIT_OK;
    for (;;) {
        if (max > 0 && printed >= max)
            break;
        Cogov__V1__Fetch f = COGOV__V1__FETCH__INIT;
        f.has_after_seq = true;
        f.after_seq = after;
        if (max > 0) {
            uint64_t left = max - printed;
            f.has_max_events = true;
            f.max_events = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
        }
        f.has_max_wait_ms = true;
        f.max_wait_ms = follow ? TAIL_FOLLOW_WAIT_MS : 0;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_FETCH;
        req.fetch = &f;
        char err[512];
        int exit;
        Cogov__V1__Reply *rep = ctl_request(c, svc, &req, (int)f.max_wait_ms, 0,
                                            &exit, err, sizeof err);
        if (rep == NULL) {
            if (follow && exit == CTL_EXIT_UNAVAILABLE) {
                /* A daemon restarting: keep following (client_call already
                 * waited the whole timeout, so this does not spin). */
                ctl_err("%s: UNAVAILABLE: %s (still trying)",
                        ctl_service_names[svc], err);
                continue;
            }
            ctl_err("%s: %s: %s", ctl_service_names[svc],
                    exit == CTL_EXIT_UNAVAILABLE ? "UNAVAILABLE" : "ERROR",
                    err);
            rc = exit;
            break;
        }
        if (exit != CTL_EXIT_OK) {
            print_reply_error(svc, rep);
            cogov__v1__reply__free_unpacked(rep, NULL);
            rc = exit;
            break;
        }
        if (rep->body_case != COGOV__V1__REPLY__BODY_BATCH) {
            ctl_err("%s: INTERNAL: the reply to Fetch carries no batch",
                    ctl_service_names[svc]);
            cogov__v1__reply__free_unpacked(rep, NULL);
            rc = CTL_EXIT_INTERNAL;
            break;
        }
        const Cogov__V1__Batch *batch = rep->batch;
        if (epoch != 0 && batch->epoch != epoch)
            ctl_err("%s: warning: epoch changed from %llu to %llu (store "
                    "restored?)",
                    ctl_service_names[svc], (unsigned long long)epoch,
                    (unsigned long long)batch->epoch);
        epoch = batch->epoch;
        size_t n = batch->n_events;
        for (size_t i = 0; i < n; i++) {
            const Cogov__V1__Event *ev = batch->events[i];
            if (ev->seq <= after)
                continue; /* never print an event twice */
            print_event(c, &b, ev);
            after = ev->seq;
            printed++;
            if (max > 0 && printed >= max)
                break;
        }
        ctl_flush(&b);
        cogov__v1__reply__free_unpacked(rep, NULL);
        if (n == 0 && !follow)
            break;
    }
    sbuf_free(&b);
    return rc;
}

/* ==== status ============================================================== */

typedef struct probe {
    bool asked;
    Cogov__V1__Reply *rep; /* OK reply carrying a status, or NULL */
    int exit;              /* why not */
    char err[256];         /* "UNAVAILABLE: timeout after ..." */
} probe_t;

static const Cogov__V1__ServiceStatus *
probe_status(const probe_t *p)
{
    return p->rep != NULL ? p->rep->status : NULL;
}

static void
probe_clear(probe_t *p)
{
    if (p->rep != NULL)
        cogov__v1__reply__free_unpacked(p->rep, NULL);
    memset(p, 0, sizeof *p);
}

/* Ask svc for its status, waiting at most total_ms (0: the timeout). */
static void
probe_one(ctl_t *c, int svc, probe_t *p, int total_ms)
{
    probe_clear(p);
    p->asked = true;
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    char err[200];
    int exit;
    Cogov__V1__Reply *rep =
        ctl_request(c, svc, &req, 0, total_ms, &exit, err, sizeof err);
    if (rep == NULL) {
        p->exit = exit;
        snprintf(p->err, sizeof p->err, "%s: %s",
                 exit == CTL_EXIT_UNAVAILABLE ? "UNAVAILABLE" : "ERROR", err);
        return;
    }
    if (exit != CTL_EXIT_OK ||
        rep->body_case != COGOV__V1__REPLY__BODY_STATUS) {
        p->exit = exit != CTL_EXIT_OK ? exit : CTL_EXIT_INTERNAL;
        snprintf(p->err, sizeof p->err, "%s: %s",
                 exit != CTL_EXIT_OK && rep->has_code ? status_text(rep->code)
                                                      : "INTERNAL",
                 exit != CTL_EXIT_OK
                     ? (str_empty(rep->error) ? "(no error text)" : rep->error)
                     : "the reply carries no status");
        cogov__v1__reply__free_unpacked(rep, NULL);
        return;
    }
    p->rep = rep;
}

static void
status_json_one(jw_t *w, int svc, const probe_t *p)
{
    const Cogov__V1__ServiceStatus *st = probe_status(p);
    jw_obj(w);
    if (st == NULL || str_empty(st->service)) {
        jw_key(w, "service");
        jw_str(w, ctl_service_names[svc]);
    }
    jw_key(w, "up");
    jw_bool(w, st != NULL);
    if (st != NULL) {
        pbjson_fields(w, &st->base);
    } else {
        jw_key(w, "error");
        jw_str(w, p->err);
    }
    jw_obj_end(w);
}

static void
status_text_all(sbuf_t *b, const probe_t *probes)
{
    static const char *const hdr[] = {
        "SERVICE",   "HEALTH",   "VERSION", ">UPTIME",       ">HEAD",
        ">EPOCH",    ">LAG",     ">STORE",  "BUSINESS_TIME", ">DEAD",
        ">REQUESTS", ">REJECTS", ">DENIALS"};
    table_t *t = table_new(ARRAY_LEN(hdr), hdr);
    char tb[32];
    size_t ncursors = 0;
    for (int s = 0; s < SVC_COUNT; s++) {
        if (!probes[s].asked)
            continue;
        const Cogov__V1__ServiceStatus *st = probe_status(&probes[s]);
        table_cell(t, ctl_service_names[s]);
        if (st == NULL) {
            table_cell(t, probes[s].exit == CTL_EXIT_UNAVAILABLE ? "DOWN"
                                                                 : "ERROR");
            for (size_t k = 2; k < ARRAY_LEN(hdr); k++)
                table_cell(t, "-");
            continue;
        }
        /* One word: ok, paused, or what needs an operator. */
        uint64_t lag = 0;
        bool stopped = false;
        for (size_t i = 0; i < st->n_cursors; i++) {
            const Cogov__V1__CursorStatus *cu = st->cursors[i];
            if (cu->head_seq > cu->applied_seq)
                lag += cu->head_seq - cu->applied_seq;
            stopped |=
                cu->state != NULL && strncmp(cu->state, "stopped", 7) == 0;
        }
        table_cell(t, stopped                ? "STREAM_STOPPED"
                      : st->paused           ? "paused"
                      : st->dead_letters > 0 ? "dead_letters"
                                             : "ok");
        table_cell(t, st->version);
        fmt_duration(st->uptime_s, tb, sizeof tb);
        table_cell(t, tb);
        table_cellf(t, "%llu", (unsigned long long)st->head_seq);
        table_cellf(t, "%llu", (unsigned long long)st->epoch);
        table_cellf(t, "%llu", (unsigned long long)lag);
        fmt_bytes(st->store_bytes, tb, sizeof tb);
        table_cell(t, tb);
        fmt_time(st->business_time, CTL_UTC_OFFSET, tb, sizeof tb);
        table_cell(t, tb);
        table_cellf(t, "%llu", (unsigned long long)st->dead_letters);
        table_cellf(t, "%llu", (unsigned long long)st->requests);
        table_cellf(t, "%llu", (unsigned long long)st->rejects);
        table_cellf(t, "%llu", (unsigned long long)st->denials);
        ncursors += st->n_cursors;
    }
    table_render(t, b);
    table_destroy(&t);

    for (int s = 0; s < SVC_COUNT; s++)
        if (probes[s].asked && probe_status(&probes[s]) == NULL)
            sbuf_printf(b, "%s: %s\n", ctl_service_names[s], probes[s].err);
    if (ncursors == 0)
        return;

    static const char *const chdr[] = {"SERVICE",  "PRODUCER", ">EPOCH",
                                       ">APPLIED", ">HEAD",    ">LAG",
                                       ">HELD",    "STATE"};
    t = table_new(ARRAY_LEN(chdr), chdr);
    for (int s = 0; s < SVC_COUNT; s++) {
        const Cogov__V1__ServiceStatus *st = probe_status(&probes[s]);
        for (size_t i = 0; st != NULL && i < st->n_cursors; i++) {
            const Cogov__V1__CursorStatus *cu = st->cursors[i];
            table_cell(t, ctl_service_names[s]);
            table_cell(t, cu->producer);
            table_cellf(t, "%llu", (unsigned long long)cu->epoch);
            table_cellf(t, "%llu", (unsigned long long)cu->applied_seq);
            table_cellf(t, "%llu", (unsigned long long)cu->head_seq);
            table_cellf(
                t, "%llu",
                (unsigned long long)(cu->head_seq > cu->applied_seq
                                         ? cu->head_seq - cu->applied_seq
                                         : 0));
            table_cellf(t, "%llu", (unsigned long long)cu->held);
            table_cell(t, cu->state);
        }
    }
    sbuf_putc(b, '\n');
    table_render(t, b);
    table_destroy(&t);
}

static int
cmd_status(ctl_t *c, int argc, char **argv)
{
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, NULL, ctl_opt_store, NULL, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;
    int only = -1;
    if (npos == 1 && (only = parse_service(c, pos[0], true)) < 0)
        return CTL_EXIT_USAGE;
    probe_t probes[SVC_COUNT];
    memset(probes, 0, sizeof probes);
    int asked = 0;
    for (int s = 0; s < SVC_COUNT; s++) {
        if ((only >= 0 && s != only) || (only < 0 && !ctl_configured(c, s)))
            continue;
        probe_one(c, s, &probes[s], 0);
        asked++;
        if (probes[s].exit != 0 && rc == 0)
            rc = probes[s].exit;
    }
    if (asked == 0) {
        ctl_err("no daemon is configured in %s", c->conf_path);
        return CTL_EXIT_USAGE;
    }
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        if (only >= 0) {
            status_json_one(&w, only, &probes[only]);
        } else {
            jw_arr(&w);
            for (int s = 0; s < SVC_COUNT; s++)
                if (probes[s].asked)
                    status_json_one(&w, s, &probes[s]);
            jw_arr_end(&w);
        }
        sbuf_putc(&b, '\n');
    } else {
        status_text_all(&b, probes);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    for (int s = 0; s < SVC_COUNT; s++)
        probe_clear(&probes[s]);
    return rc;
}

/* ==== sync ============================================================== */

#define SYNC_PAUSE_MS 20

/* Does every cursor of every daemon stand at its producer's own head with
 * nothing held? Appends what is behind to why (if not NULL). */
static bool
sync_settled(const ctl_t *c, const probe_t *probes, sbuf_t *why)
{
    bool ok = true;
    for (int s = 0; s < SVC_COUNT; s++) {
        if (!ctl_configured(c, s))
            continue;
        const Cogov__V1__ServiceStatus *st = probe_status(&probes[s]);
        if (st == NULL) {
            ok = false;
            if (why != NULL)
                sbuf_printf(why, "  %s: DOWN (%s)\n", ctl_service_names[s],
                            probes[s].err[0] ? probes[s].err : "not asked");
            continue;
        }
        for (size_t i = 0; i < st->n_cursors; i++) {
            const Cogov__V1__CursorStatus *cu = st->cursors[i];
            int p = ctl_service_parse(cu->producer);
            uint64_t head = cu->head_seq;
            const Cogov__V1__ServiceStatus *ps =
                p >= 0 ? probe_status(&probes[p]) : NULL;
            if (ps != NULL)
                head = ps->head_seq;
            if (cu->applied_seq == head && cu->held == 0)
                continue;
            ok = false;
            if (why != NULL)
                sbuf_printf(why,
                            "  %s: cursor %s applied %llu of %llu, "
                            "held %llu, %s\n",
                            ctl_service_names[s],
                            str_empty(cu->producer) ? "?" : cu->producer,
                            (unsigned long long)cu->applied_seq,
                            (unsigned long long)head,
                            (unsigned long long)cu->held,
                            str_empty(cu->state) ? "-" : cu->state);
        }
    }
    return ok;
}

static const ctl_opt_t sync_opts[] = {{"timeout", true}, {NULL, false}};

static int
cmd_sync(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, sync_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    uint64_t secs = 30;
    if (v[0] != NULL && ctl_parse_u64(c, "--timeout", v[0], 86400, &secs))
        return CTL_EXIT_USAGE;
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;
    int nconf = 0;
    for (int s = 0; s < SVC_COUNT; s++)
        nconf += ctl_configured(c, s);
    if (nconf == 0) {
        ctl_err("no daemon is configured in %s", c->conf_path);
        return CTL_EXIT_USAGE;
    }
    int64_t deadline = now_mono_ms() + (int64_t)secs * 1000;
    probe_t probes[SVC_COUNT];
    memset(probes, 0, sizeof probes);
    uint64_t prev[SVC_COUNT] = {0}, cur[SVC_COUNT];
    bool prev_valid = false;
    rc = CTL_EXIT_UNAVAILABLE;
    for (;;) {
        bool all_up = true, timed_out = false;
        for (int s = 0; s < SVC_COUNT; s++) {
            cur[s] = 0;
            if (!ctl_configured(c, s))
                continue;
            int64_t left = deadline - now_mono_ms();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            probe_one(c, s, &probes[s],
                      left < c->timeout_ms ? (int)left : c->timeout_ms);
            const Cogov__V1__ServiceStatus *st = probe_status(&probes[s]);
            if (st == NULL) {
                all_up = false;
                if (probes[s].exit != CTL_EXIT_UNAVAILABLE) {
                    /* Refused (e.g. our key is not allowed): waiting will
                     * not help. */
                    ctl_err("%s: %s", ctl_service_names[s], probes[s].err);
                    rc = probes[s].exit;
                    goto done;
                }
                continue;
            }
            cur[s] = st->head_seq;
        }
        if (timed_out)
            break;
        bool same = prev_valid && all_up && memcmp(prev, cur, sizeof cur) == 0;
        if (all_up && same && sync_settled(c, probes, NULL)) {
            rc = CTL_EXIT_OK;
            break;
        }
        memcpy(prev, cur, sizeof cur);
        prev_valid = all_up;
        if (now_mono_ms() >= deadline)
            break;
        struct timespec ts = {0, SYNC_PAUSE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    sbuf_t b = {0};
    sbuf_init(&b);
    if (rc == CTL_EXIT_OK) {
        if (c->json) {
            jw_t w;
            jw_init(&w, &b);
            jw_obj(&w);
            jw_key(&w, "synced");
            jw_bool(&w, true);
            jw_key(&w, "heads");
            jw_obj(&w);
            for (int s = 0; s < SVC_COUNT; s++)
                if (ctl_configured(c, s)) {
                    jw_key(&w, ctl_service_names[s]);
                    jw_uint(&w, cur[s]);
                }
            jw_obj_end(&w);
            jw_obj_end(&w);
            sbuf_putc(&b, '\n');
        } else {
            sbuf_puts(&b, "in sync:");
            for (int s = 0; s < SVC_COUNT; s++)
                if (ctl_configured(c, s))
                    sbuf_printf(&b, " %s@%llu", ctl_service_names[s],
                                (unsigned long long)cur[s]);
            sbuf_putc(&b, '\n');
        }
        ctl_flush(&b);
    } else {
        sync_settled(c, probes, &b);
        if (b.len == 0)
            sbuf_puts(&b, "  heads still moving\n");
        ctl_err("sync: timeout after %llu s; still behind:\n%.*s",
                (unsigned long long)secs, (int)b.len - 1, b.p);
    }
    sbuf_free(&b);
done:
    for (int s = 0; s < SVC_COUNT; s++)
        probe_clear(&probes[s]);
    return rc;
}

/* ==== keys ==================================================================
 */

static bool
key_name_ok(const char *s)
{
    if (str_empty(s) || s[0] == '.' || strlen(s) >= PRINCIPAL_NAME_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

enum { KG_DIR, KG_ROLES, KG_MEMBER, KG_STREAMS, KG_N };
static const ctl_opt_t keygen_opts[] = {{"dir", true},
                                        {"roles", true},
                                        {"member", true},
                                        {"streams", true},
                                        {NULL, false}};

static int
cmd_keys_generate(ctl_t *c, int argc, char **argv)
{
    const char *v[KG_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, keygen_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "NAME is required");
    if (!key_name_ok(pos[0]))
        return ctl_usage(c, "NAME: letters, digits, '_', '-' and '.' only, "
                            "not starting with '.'");
    const char *dir = v[KG_DIR] ? v[KG_DIR] : c->conf.keys_dir;
    const char *roles = v[KG_ROLES] ? v[KG_ROLES] : "OBSERVER";
    const char *member = str_empty(v[KG_MEMBER]) ? "-" : v[KG_MEMBER];
    const char *streams = str_empty(v[KG_STREAMS]) ? "-" : v[KG_STREAMS];
    /* Check the roles now, so the printed allow-list line is valid. */
    char *r = xstrdup(roles), *save = NULL;
    sbuf_t norm = {0};
    sbuf_init(&norm);
    for (char *tok = strtok_r(r, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        str_trim(tok);
        for (char *q = tok; *q; q++)
            *q = (char)toupper((unsigned char)*q);
        int role = role_parse(tok);
        if (role <= 0) {
            rc = ctl_usage(c, "--roles: unknown role '%s'", tok);
            free(r);
            sbuf_free(&norm);
            return rc;
        }
        if (norm.len > 0)
            sbuf_putc(&norm, ',');
        sbuf_puts(&norm, role_name(role));
    }
    free(r);
    if (norm.len == 0) {
        sbuf_free(&norm);
        return ctl_usage(c, "--roles: at least one role");
    }
    /* The directory itself may be new (one level, private). */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        ctl_err("keys: %s: %s", dir, strerror(errno));
        sbuf_free(&norm);
        return CTL_EXIT_INTERNAL;
    }
    keypair_t kp;
    rc = keys_generate(&kp);
    if (rc == 0)
        rc = keys_write(dir, pos[0], &kp);
    if (rc < 0) {
        ctl_err("keys: %s/%s.key: %s", dir, pos[0],
                rc == -EEXIST ? "exists already (never overwritten)"
                              : strerror(-rc));
        sbuf_free(&norm);
        return rc == -EEXIST ? CTL_EXIT_CONFLICT : CTL_EXIT_INTERNAL;
    }
    char *line =
        xasprintf("%s %s %s %s %s", kp.pub, pos[0], member, norm.p, streams);
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "name");
        jw_str(&w, pos[0]);
        jw_key(&w, "public");
        jw_str(&w, kp.pub);
        jw_key(&w, "key_file");
        char *kf = xasprintf("%s/%s.key", dir, pos[0]);
        jw_str(&w, kf);
        free(kf);
        jw_key(&w, "allow_line");
        jw_str(&w, line);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        sbuf_printf(&b, "public key: %s\n", kp.pub);
        sbuf_printf(&b, "written:    %s/%s.key (secret, 0600), %s/%s.pub\n",
                    dir, pos[0], dir, pos[0]);
        sbuf_puts(&b, "add this line to the allow-list and send SIGHUP to "
                      "the daemons:\n");
        sbuf_printf(&b, "%s\n", line);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    sbuf_free(&norm);
    memset(&kp, 0, sizeof kp);
    free(line);
    return CTL_EXIT_OK;
}

/* The allow-list next to the keys directory: /etc/cogov/keys ->
 * /etc/cogov/allow.list. */
static char *
default_allow_list(const char *dir)
{
    char *d = xstrdup(dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = 0;
    char *slash = strrchr(d, '/');
    char *out;
    if (slash == NULL)
        out = xstrdup("allow.list");
    else if (slash == d)
        out = xstrdup("/allow.list");
    else {
        *slash = 0;
        out = xasprintf("%s/allow.list", d);
    }
    free(d);
    return out;
}

static const ctl_opt_t keyinit_opts[] = {
    {"dir", true}, {"allow-list", true}, {NULL, false}};

static int
cmd_keys_init(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, keyinit_opts, ctl_opt_store, v, pos, 0, &npos);
    if (rc != 0)
        return rc;
    const char *dir = v[0] ? v[0] : c->conf.keys_dir;
    char *allow = v[1] ? xstrdup(v[1]) : default_allow_list(dir);
    int created = 0;
    char err[512] = "";
    rc = keys_bootstrap(dir, allow, &created, err, sizeof err);
    if (rc < 0) {
        ctl_err("keys: %s", err[0] ? err : strerror(-rc));
        free(allow);
        return CTL_EXIT_INTERNAL;
    }
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "dir");
        jw_str(&w, dir);
        jw_key(&w, "allow_list");
        jw_str(&w, allow);
        jw_key(&w, "created");
        jw_int(&w, created);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        sbuf_printf(&b, "created %d key%s in %s; allow-list: %s\n", created,
                    created == 1 ? "" : "s", dir, allow);
        if (created > 0)
            sbuf_printf(&b,
                        "the bootstrap operator key is %s/operator.key "
                        "(roles GOV_COORDINATOR,OPERATOR)\n",
                        dir);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    free(allow);
    return CTL_EXIT_OK;
}

/* ==== key rotation ========================================================
 * keys rotate adds a new key for a principal beside the old one (both
 * allowed: the overlap), keys retire removes the old one. The daemons take
 * either change on SIGHUP; see README "Rotating keys". */

enum { KR_DIR, KR_ALLOW, KR_PUBLIC, KR_N };
static const ctl_opt_t keyrot_opts[] = {
    {"dir", true}, {"allow-list", true}, {"public", true}, {NULL, false}};

static void
key_paths(const char *dir, const char *name, const char *suffix, char **key,
          char **pub)
{
    *key = xasprintf("%s/%s%s.key", dir, name, suffix);
    *pub = xasprintf("%s/%s%s.pub", dir, name, suffix);
}

static int
cmd_keys_rotate(ctl_t *c, int argc, char **argv)
{
    const char *v[KR_N] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, keyrot_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !key_name_ok(pos[0]))
        return ctl_usage(c, "NAME is required (letters, digits, '_', '-', "
                            "'.')");
    const char *dir = v[KR_DIR] ? v[KR_DIR] : c->conf.keys_dir;
    char *allow = v[KR_ALLOW] ? xstrdup(v[KR_ALLOW]) : default_allow_list(dir);
    char err[512] = "", fpr[17];
    char *key = NULL, *pub = NULL, *old_key = NULL, *old_pub = NULL;
    keypair_t kp;
    bool files = v[KR_PUBLIC] == NULL;
    memset(&kp, 0, sizeof kp);
    key_paths(dir, pos[0], "", &key, &pub);
    key_paths(dir, pos[0], ".old", &old_key, &old_pub);
    if (!files) {
        /* the client made its own new key: only the allow-list changes */
        if (str_copy(kp.pub, sizeof kp.pub, v[KR_PUBLIC]) < 0 ||
            strlen(kp.pub) != KEY_Z85_LEN) {
            rc = ctl_usage(c, "--public: a 40-character Z85 public key");
            goto done;
        }
    } else if ((rc = keys_generate(&kp)) < 0) {
        ctl_err("keys: %s", strerror(-rc));
        rc = CTL_EXIT_INTERNAL;
        goto done;
    }
    rc = allow_add_key(allow, pos[0], kp.pub, err, sizeof err);
    if (rc < 0) {
        ctl_err("keys: %s", err);
        rc = rc == -ENOENT   ? CTL_EXIT_NOT_FOUND
             : rc == -EEXIST ? CTL_EXIT_CONFLICT
                             : CTL_EXIT_INTERNAL;
        goto done;
    }
    if (files) {
        /* NAME.key becomes NAME.old.key (until retire); the new pair is
         * NAME.key, which the owner uses from its next start. */
        if (rename(key, old_key) != 0 ||
            (rename(pub, old_pub) != 0 && errno != ENOENT)) {
            ctl_err("keys: %s: %s (the allow-list has the new key already; "
                    "run keys retire --keep to undo)",
                    key, strerror(errno));
            rc = CTL_EXIT_INTERNAL;
            goto done;
        }
        rc = keys_write(dir, pos[0], &kp);
        if (rc < 0) {
            ctl_err("keys: %s: %s", key, strerror(-rc));
            (void)rename(old_key, key);
            (void)rename(old_pub, pub);
            rc = CTL_EXIT_INTERNAL;
            goto done;
        }
    }
    keys_fingerprint(kp.pub, fpr);
    sbuf_t b;
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "name");
        jw_str(&w, pos[0]);
        jw_key(&w, "public");
        jw_str(&w, kp.pub);
        jw_key(&w, "key_fpr");
        jw_str(&w, fpr);
        jw_key(&w, "allow_list");
        jw_str(&w, allow);
        if (files) {
            jw_key(&w, "key_file");
            jw_str(&w, key);
            jw_key(&w, "old_key_file");
            jw_str(&w, old_key);
        }
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        sbuf_printf(&b, "new key of %s: %s (key_fpr=%s), added to %s\n", pos[0],
                    kp.pub, fpr, allow);
        if (files)
            sbuf_printf(&b, "written: %s (old pair kept as %s)\n", key,
                        old_key);
        sbuf_printf(&b,
                    "next: 1. send SIGHUP to every daemon (both keys are "
                    "allowed)\n"
                    "      2. restart what uses the key (a daemon: "
                    "systemctl restart cogov-%s; copy %s to the other hosts' "
                    "keys_dir first)\n"
                    "      3. cogovctl keys retire %s, then SIGHUP again\n",
                    pos[0], pub, pos[0]);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    rc = CTL_EXIT_OK;
done:
    explicit_bzero(&kp, sizeof kp);
    free(allow);
    free(key);
    free(pub);
    free(old_key);
    free(old_pub);
    return rc;
}

static const ctl_opt_t keyret_opts[] = {
    {"dir", true}, {"allow-list", true}, {"keep", true}, {NULL, false}};

static int
cmd_keys_retire(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, keyret_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1 || !key_name_ok(pos[0]))
        return ctl_usage(c, "NAME is required (letters, digits, '_', '-', "
                            "'.')");
    const char *dir = v[0] ? v[0] : c->conf.keys_dir;
    char *allow = v[1] ? xstrdup(v[1]) : default_allow_list(dir);
    char keep[KEY_Z85_LEN + 1] = "", err[512] = "";
    char *old_key = NULL, *old_pub = NULL;
    int removed = 0;
    key_paths(dir, pos[0], ".old", &old_key, &old_pub);
    if (v[2] != NULL) {
        if (str_copy(keep, sizeof keep, v[2]) < 0) {
            rc = ctl_usage(c, "--keep: a 40-character Z85 public key");
            goto done;
        }
    } else if ((rc = keys_load_public(dir, pos[0], keep)) < 0) {
        ctl_err("keys: %s/%s.pub: %s (say --keep KEY)", dir, pos[0],
                strerror(-rc));
        rc = CTL_EXIT_NOT_FOUND;
        goto done;
    }
    rc = allow_retire_keys(allow, pos[0], keep, &removed, err, sizeof err);
    if (rc < 0) {
        ctl_err("keys: %s", err);
        rc = rc == -ENOENT ? CTL_EXIT_NOT_FOUND : CTL_EXIT_INTERNAL;
        goto done;
    }
    if (v[2] == NULL) { /* the old secret is of no use any more */
        (void)unlink(old_key);
        (void)unlink(old_pub);
    }
    sbuf_t b;
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key(&w, "name");
        jw_str(&w, pos[0]);
        jw_key(&w, "kept");
        jw_str(&w, keep);
        jw_key(&w, "removed");
        jw_int(&w, removed);
        jw_obj_end(&w);
        sbuf_putc(&b, '\n');
    } else {
        sbuf_printf(&b,
                    "%s: removed %d old key line%s from %s; send SIGHUP to "
                    "every daemon (connections made with a removed key are "
                    "refused from then on)\n",
                    pos[0], removed, removed == 1 ? "" : "s", allow);
    }
    ctl_flush(&b);
    sbuf_free(&b);
    rc = CTL_EXIT_OK;
done:
    free(allow);
    free(old_key);
    free(old_pub);
    return rc;
}

/* ==== backup, restore, pause, resume, stream accept =======================
 * DESIGN 2.7. cogovctl backup pauses every configured daemon, waits until
 * the streams are quiet, has each daemon snapshot its own store with
 * SQLite's backup API into DIR, checks that the snapshots form one cut
 * (every cursor in a snapshot stands at its producer's head in the
 * producer's snapshot), and resumes — also on failure; a pause it could not
 * lift ends by itself after --ttl. */

#define BACKUP_TTL_S 60
#define BACKUP_QUIET_S 30
#define RESTORE_PROBE_MS 1000

static Cogov__V1__Reply *
admin_call(ctl_t *c, int svc, Cogov__V1__Request *req, int total_ms, int *exit,
           char *err, size_t errlen)
{
    Cogov__V1__Reply *rep =
        ctl_request(c, svc, req, 0, total_ms, exit, err, errlen);
    if (rep == NULL)
        return NULL;
    if (*exit != CTL_EXIT_OK ||
        rep->body_case != COGOV__V1__REPLY__BODY_ADMIN) {
        snprintf(err, errlen, "%s: %s",
                 rep->has_code ? status_text(rep->code) : "NO_STATUS",
                 str_empty(rep->error) ? "(no admin result)" : rep->error);
        if (*exit == CTL_EXIT_OK)
            *exit = CTL_EXIT_INTERNAL;
        cogov__v1__reply__free_unpacked(rep, NULL);
        return NULL;
    }
    return rep;
}

/* admin_call whose reply is not needed: CTL_EXIT_OK or its exit code. */
static int
admin_send(ctl_t *c, int svc, Cogov__V1__Request *req, char *err, size_t errlen)
{
    int exit;
    Cogov__V1__Reply *rep = admin_call(c, svc, req, 0, &exit, err, errlen);
    if (rep == NULL)
        return exit;
    cogov__v1__reply__free_unpacked(rep, NULL);
    return CTL_EXIT_OK;
}

static int
send_pause(ctl_t *c, int svc, uint32_t ttl_ms, const char *reason, char *err,
           size_t errlen)
{
    Cogov__V1__Pause p = COGOV__V1__PAUSE__INIT;
    p.ttl_ms = ttl_ms;
    p.has_ttl_ms = 1;
    p.reason = (char *)reason;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_PAUSE;
    req.pause = &p;
    return admin_send(c, svc, &req, err, errlen);
}

static int
send_resume(ctl_t *c, int svc, char *err, size_t errlen)
{
    Cogov__V1__Resume r = COGOV__V1__RESUME__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RESUME;
    req.resume = &r;
    return admin_send(c, svc, &req, err, errlen);
}

/* Wait until every configured daemon answers, every cursor stands at its
 * producer's head with nothing held, and no head moved between two
 * rounds. heads[] gets the quiet heads. */
static int
wait_quiet(ctl_t *c, int64_t deadline, uint64_t heads[SVC_COUNT])
{
    probe_t probes[SVC_COUNT];
    memset(probes, 0, sizeof probes);
    uint64_t prev[SVC_COUNT] = {0};
    bool prev_valid = false;
    int rc = CTL_EXIT_UNAVAILABLE;
    for (;;) {
        bool all_up = true;
        for (int s = 0; s < SVC_COUNT; s++) {
            heads[s] = 0;
            if (!ctl_configured(c, s))
                continue;
            probe_one(c, s, &probes[s], c->timeout_ms);
            const Cogov__V1__ServiceStatus *st = probe_status(&probes[s]);
            if (st == NULL) {
                all_up = false;
                continue;
            }
            heads[s] = st->head_seq;
        }
        if (all_up && prev_valid && memcmp(prev, heads, sizeof prev) == 0 &&
            sync_settled(c, probes, NULL)) {
            rc = CTL_EXIT_OK;
            break;
        }
        memcpy(prev, heads, sizeof prev);
        prev_valid = all_up;
        if (now_mono_ms() >= deadline) {
            sbuf_t b = {0};
            sbuf_init(&b);
            sync_settled(c, probes, &b);
            ctl_err("backup: the streams did not settle:\n%s",
                    b.len ? b.p : "  heads still moving\n");
            sbuf_free(&b);
            break;
        }
        struct timespec ts = {0, SYNC_PAUSE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int s = 0; s < SVC_COUNT; s++)
        probe_clear(&probes[s]);
    return rc;
}

/* Do the snapshots form one cut? Each cursor must stand at the head of its
 * producer's snapshot. */
static bool
backup_consistent(Cogov__V1__Reply *const *res, sbuf_t *why)
{
    bool ok = true;
    for (int s = 0; s < SVC_COUNT; s++) {
        if (res[s] == NULL)
            continue;
        const Cogov__V1__AdminResult *r = res[s]->admin;
        for (size_t i = 0; i < r->n_cursors; i++) {
            const Cogov__V1__CursorStatus *cu = r->cursors[i];
            int p = ctl_service_parse(cu->producer);
            if (p < 0 || res[p] == NULL)
                continue;
            const Cogov__V1__AdminResult *pr = res[p]->admin;
            /* A cursor that never applied anything takes whatever epoch
             * it meets first. */
            if (cu->applied_seq == pr->head_seq &&
                (cu->epoch == pr->epoch ||
                 (cu->epoch == 0 && cu->applied_seq == 0)))
                continue;
            ok = false;
            sbuf_printf(why,
                        "  %s: cursor %s at %llu (epoch %llu), snapshot head "
                        "%llu (epoch %llu)\n",
                        ctl_service_names[s], cu->producer,
                        (unsigned long long)cu->applied_seq,
                        (unsigned long long)cu->epoch,
                        (unsigned long long)pr->head_seq,
                        (unsigned long long)pr->epoch);
        }
    }
    return ok;
}

static char *
absolute_dir(const char *dir)
{
    if (dir[0] == '/')
        return xstrdup(dir);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    return xasprintf("%s/%s", cwd, dir);
}

static void
write_manifest(const char *dir, Cogov__V1__Reply *const *res, sbuf_t *out)
{
    char tb[32];
    time_format(now_wall_ms() / 1000, 0, tb, sizeof tb);
    sbuf_printf(out, "# cogov backup %s UTC\n", tb);
    sbuf_puts(out, "# service epoch head bytes file | cursors "
                   "producer:epoch:applied\n");
    for (int s = 0; s < SVC_COUNT; s++) {
        if (res[s] == NULL)
            continue;
        const Cogov__V1__AdminResult *r = res[s]->admin;
        sbuf_printf(out, "%s %llu %llu %lld %s", ctl_service_names[s],
                    (unsigned long long)r->epoch,
                    (unsigned long long)r->head_seq, (long long)r->bytes,
                    r->file ? r->file : "-");
        for (size_t i = 0; i < r->n_cursors; i++)
            sbuf_printf(out, "%s%s:%llu:%llu", i ? "," : " | ",
                        r->cursors[i]->producer,
                        (unsigned long long)r->cursors[i]->epoch,
                        (unsigned long long)r->cursors[i]->applied_seq);
        sbuf_putc(out, '\n');
    }
    char *path = xasprintf("%s/MANIFEST", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fwrite(out->p, 1, out->len, f) != out->len ||
        fclose(f) != 0)
        ctl_err("backup: %s: %s (the manifest is printed above instead)", path,
                strerror(errno));
    free(path);
}

static const ctl_opt_t backup_opts[] = {
    {"timeout", true}, {"ttl", true}, {NULL, false}};

static int
cmd_backup(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, backup_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "DIR is required");
    uint64_t quiet_s = BACKUP_QUIET_S, ttl_s = BACKUP_TTL_S;
    if (v[0] != NULL && ctl_parse_u64(c, "--timeout", v[0], 3600, &quiet_s))
        return CTL_EXIT_USAGE;
    if (v[1] != NULL && ctl_parse_u64(c, "--ttl", v[1], 600, &ttl_s))
        return CTL_EXIT_USAGE;
    if (ttl_s == 0)
        return ctl_usage(c, "--ttl: at least 1 second");
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;
    char *dir = absolute_dir(pos[0]);
    if (dir == NULL) {
        ctl_err("backup: getcwd: %s", strerror(errno));
        return CTL_EXIT_INTERNAL;
    }
    Cogov__V1__Reply *res[SVC_COUNT] = {0};
    bool paused[SVC_COUNT] = {0};
    char err[512];
    rc = CTL_EXIT_OK;
    int n = 0;
    for (int s = 0; s < SVC_COUNT && rc == CTL_EXIT_OK; s++) {
        if (!ctl_configured(c, s))
            continue;
        n++;
        rc = send_pause(c, s, (uint32_t)(ttl_s * 1000), "backup", err,
                        sizeof err);
        if (rc != CTL_EXIT_OK)
            ctl_err("backup: pause %s: %s", ctl_service_names[s], err);
        else
            paused[s] = true;
    }
    if (n == 0) {
        ctl_err("no daemon is configured in %s", c->conf_path);
        rc = CTL_EXIT_USAGE;
    }
    if (n < SVC_COUNT && rc == CTL_EXIT_OK)
        ctl_err("backup: warning: only %d of %d daemons are configured; the "
                "backup holds only theirs",
                n, SVC_COUNT);
    uint64_t heads[SVC_COUNT];
    if (rc == CTL_EXIT_OK)
        rc = wait_quiet(c, now_mono_ms() + (int64_t)quiet_s * 1000, heads);
    for (int s = 0; s < SVC_COUNT && rc == CTL_EXIT_OK; s++) {
        if (!paused[s])
            continue;
        Cogov__V1__Backup b = COGOV__V1__BACKUP__INIT;
        b.dir = dir;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_BACKUP;
        req.backup = &b;
        res[s] = admin_call(c, s, &req, 0, &rc, err, sizeof err);
        if (res[s] == NULL)
            ctl_err("backup: %s: %s", ctl_service_names[s], err);
        else if (res[s]->admin->head_seq != heads[s]) {
            ctl_err("backup: %s: head moved from %llu to %llu while paused",
                    ctl_service_names[s], (unsigned long long)heads[s],
                    (unsigned long long)res[s]->admin->head_seq);
            rc = CTL_EXIT_CONFLICT;
        }
    }
    sbuf_t b = {0};
    sbuf_init(&b);
    if (rc == CTL_EXIT_OK && !backup_consistent(res, &b)) {
        ctl_err("backup: the snapshots are not one cut:\n%s", b.p);
        rc = CTL_EXIT_CONFLICT;
    }
    for (int s = 0; s < SVC_COUNT; s++) {
        if (paused[s] && send_resume(c, s, err, sizeof err) != CTL_EXIT_OK)
            ctl_err("backup: resume %s: %s (the pause ends by itself within "
                    "%llu s)",
                    ctl_service_names[s], err, (unsigned long long)ttl_s);
    }
    if (rc == CTL_EXIT_OK) {
        sbuf_reset(&b);
        write_manifest(dir, res, &b);
        if (c->json) {
            sbuf_t j = {0};
            sbuf_init(&j);
            jw_t w;
            jw_init(&w, &j);
            jw_obj(&w);
            jw_key(&w, "dir");
            jw_str(&w, dir);
            jw_key(&w, "stores");
            jw_arr(&w);
            for (int s = 0; s < SVC_COUNT; s++)
                if (res[s] != NULL)
                    pbjson_message(&w, &res[s]->admin->base);
            jw_arr_end(&w);
            jw_obj_end(&w);
            sbuf_putc(&j, '\n');
            ctl_flush(&j);
            sbuf_free(&j);
        } else {
            ctl_flush(&b);
        }
    }
    sbuf_free(&b);
    for (int s = 0; s < SVC_COUNT; s++)
        if (res[s] != NULL)
            cogov__v1__reply__free_unpacked(res[s], NULL);
    free(dir);
    return rc;
}

static const ctl_opt_t restore_opts[] = {
    {"state-dir", true}, {"only", true}, {"above", true}, {NULL, false}};

/* One integer from a store opened read-only (a daemon may have it open); 0
 * when the file, table or row is not there. arg binds ?1 (may be NULL). */
static uint64_t
store_peek(const char *path, const char *sql, const char *arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    uint64_t v = 0;
    struct stat sb;
    if (stat(path, &sb) != 0 ||
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto done;
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (uint64_t)sqlite3_column_int64(st, 0);
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The highest seq of `only`'s stream that anything may have applied from
 * the store being replaced: its consumers' cursors (asked over the wire
 * when they answer, else read from their stores in state), the old store's
 * own head if it is still readable, and --above. Says where it came from
 * into b. */
static uint64_t
applied_floor(ctl_t *c, int only, const char *state, uint64_t above, sbuf_t *b)
{
    const char *prod = ctl_service_names[only];
    uint64_t floor = above;
    const char *why = above > 0 ? "--above" : "";
    char who[64] = "";
    for (int s = 0; s < SVC_COUNT; s++) {
        if (s == only)
            continue;
        uint64_t v = 0;
        bool asked = false;
        if (c->conf_loaded && ctl_configured(c, s)) {
            probe_t p = {0};
            probe_one(c, s, &p, RESTORE_PROBE_MS);
            const Cogov__V1__ServiceStatus *st = probe_status(&p);
            for (size_t i = 0; st != NULL && i < st->n_cursors; i++)
                if (st->cursors[i]->producer != NULL &&
                    strcmp(st->cursors[i]->producer, prod) == 0)
                    v = st->cursors[i]->applied_seq;
            asked = st != NULL;
            probe_clear(&p);
        }
        if (!asked) {
            char *path = xasprintf("%s/%s.db", state, ctl_service_names[s]);
            v = store_peek(
                path, "SELECT applied_seq FROM cursors WHERE producer = ?1",
                prod);
            free(path);
        }
        if (v > floor) {
            floor = v;
            why = "applied by";
            snprintf(who, sizeof who, "%s", ctl_service_names[s]);
        }
    }
    char *old = xasprintf("%s/%s.db", state, prod);
    uint64_t h =
        store_peek(old, "SELECT COALESCE(MAX(seq), 0) FROM outbox", NULL);
    free(old);
    if (h > floor) {
        floor = h;
        why = "the replaced store's head";
        who[0] = 0;
    }
    if (floor > 0)
        sbuf_printf(b, "highest seq of %s known used: %llu (%s%s%s)\n", prod,
                    (unsigned long long)floor, why, who[0] ? " " : "", who);
    return floor;
}

static int
cmd_restore(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, restore_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "DIR is required");
    const char *state = v[0] != NULL ? v[0] : "/var/lib/cogov";
    int only = -1;
    if (v[1] != NULL && (only = ctl_service_parse(v[1])) < 0)
        return ctl_usage(c, "--only: unknown service '%s'", v[1]);
    uint64_t above = 0;
    if (v[2] != NULL &&
        (only < 0 || ctl_parse_u64(c, "--above", v[2], UINT64_MAX / 2, &above)))
        return only < 0 ? ctl_usage(c, "--above goes with --only")
                        : CTL_EXIT_USAGE;
    /* Every store to restore must be there before anything is touched. */
    for (int s = 0; s < SVC_COUNT; s++) {
        if (only >= 0 && s != only)
            continue;
        char *src = xasprintf("%s/%s.db", pos[0], ctl_service_names[s]);
        struct stat sb;
        bool there = stat(src, &sb) == 0;
        if (!there)
            ctl_err("restore: %s: %s", src, strerror(errno));
        free(src);
        if (!there)
            return CTL_EXIT_NOT_FOUND;
        /* A daemon that answers has its store open: refuse. */
        if (c->conf_loaded && ctl_configured(c, s)) {
            probe_t p = {0};
            probe_one(c, s, &p, RESTORE_PROBE_MS);
            bool up = probe_status(&p) != NULL;
            probe_clear(&p);
            if (up) {
                ctl_err("restore: cogov-%s is running; stop the daemons "
                        "first (systemctl stop cogov.target)",
                        ctl_service_names[s]);
                return CTL_EXIT_CONFLICT;
            }
        }
    }
    struct stat dsb;
    bool chown_to_dir = geteuid() == 0 && stat(state, &dsb) == 0;
    sbuf_t b = {0};
    sbuf_init(&b);
    rc = CTL_EXIT_OK;
    /* One store alone: its new epoch must number new events above every seq
     * anything applied from the store it replaces (ids derive from
     * "<producer>:<seq>"). */
    uint64_t reserve_to =
        only >= 0 ? applied_floor(c, only, state, above, &b) : 0;
    for (int s = 0; s < SVC_COUNT && rc == CTL_EXIT_OK; s++) {
        if (only >= 0 && s != only)
            continue;
        char *src = xasprintf("%s/%s.db", pos[0], ctl_service_names[s]);
        char *dst = xasprintf("%s/%s.db", state, ctl_service_names[s]);
        char err[512] = "";
        uint64_t head = 0, epoch = 0;
        int e = admin_copy_store(src, dst, only >= 0, reserve_to, &head, &epoch,
                                 err, sizeof err);
        if (e != 0) {
            ctl_err("restore: %s", err);
            rc = CTL_EXIT_INTERNAL;
        } else {
            if (chown_to_dir && chown(dst, dsb.st_uid, dsb.st_gid) != 0)
                ctl_err("restore: chown %s: %s", dst, strerror(errno));
            sbuf_printf(&b, "restored %s: head %llu, epoch %llu -> %s\n",
                        ctl_service_names[s], (unsigned long long)head,
                        (unsigned long long)epoch, dst);
        }
        free(src);
        free(dst);
    }
    if (rc == CTL_EXIT_OK && only >= 0)
        sbuf_printf(&b,
                    "%s was restored alone: its stream has a new epoch. Its "
                    "consumers stop\n(stream.epoch_changed) until you run, "
                    "with the daemons started:\n  cogovctl stream accept %s\n",
                    ctl_service_names[only], ctl_service_names[only]);
    ctl_flush(&b);
    sbuf_free(&b);
    return rc;
}

static const ctl_opt_t pause_opts[] = {{"ttl", true}, {NULL, false}};

static int
cmd_pause_resume(ctl_t *c, int argc, char **argv, bool pause)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[1];
    int rc = ctl_parse(c, argc, argv, pause ? pause_opts : NULL, ctl_opt_store,
                       v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    uint64_t ttl_s = BACKUP_TTL_S;
    if (v[0] != NULL && ctl_parse_u64(c, "--ttl", v[0], 600, &ttl_s))
        return CTL_EXIT_USAGE;
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;
    int only = -1;
    if (npos == 1 && (only = parse_service(c, pos[0], true)) < 0)
        return CTL_EXIT_USAGE;
    rc = CTL_EXIT_OK;
    for (int s = 0; s < SVC_COUNT; s++) {
        if ((only >= 0 && s != only) || (only < 0 && !ctl_configured(c, s)))
            continue;
        char err[512];
        int e = pause ? send_pause(c, s, (uint32_t)(ttl_s * 1000), "operator",
                                   err, sizeof err)
                      : send_resume(c, s, err, sizeof err);
        if (e != CTL_EXIT_OK) {
            ctl_err("%s: %s", ctl_service_names[s], err);
            if (rc == CTL_EXIT_OK)
                rc = e;
        } else {
            printf("%s %s\n", ctl_service_names[s],
                   pause ? "paused" : "resumed");
        }
    }
    return rc;
}

static int
cmd_pause(ctl_t *c, int argc, char **argv)
{
    return cmd_pause_resume(c, argc, argv, true);
}

static int
cmd_resume(ctl_t *c, int argc, char **argv)
{
    return cmd_pause_resume(c, argc, argv, false);
}

static const ctl_opt_t accept_opts[] = {
    {"on", true}, {"from", true}, {NULL, false}};

static int
cmd_stream_accept(ctl_t *c, int argc, char **argv)
{
    const char *v[2] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, accept_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "PRODUCER is required");
    int prod = parse_service(c, pos[0], true);
    if (prod < 0)
        return CTL_EXIT_USAGE;
    int on = -1;
    if (v[0] != NULL && (on = parse_service(c, v[0], true)) < 0)
        return CTL_EXIT_USAGE;
    uint64_t from = 0;
    bool has_from = v[1] != NULL;
    if (has_from && ctl_parse_u64(c, "--from", v[1], UINT64_MAX, &from))
        return CTL_EXIT_USAGE;
    probe_t pp = {0};
    probe_one(c, prod, &pp, 0);
    const Cogov__V1__ServiceStatus *ps = probe_status(&pp);
    if (ps == NULL) {
        ctl_err("%s: %s", ctl_service_names[prod], pp.err);
        rc = pp.exit;
        probe_clear(&pp);
        return rc;
    }
    uint64_t epoch = ps->epoch;
    if (!has_from) {
        if (!ps->has_restored_head) {
            ctl_err("stream accept: %s has no restore mark (it was not "
                    "restored with cogovctl restore --only); say where to "
                    "go on with --from SEQ (0 replays the whole stream)",
                    ctl_service_names[prod]);
            probe_clear(&pp);
            return CTL_EXIT_USAGE;
        }
        from = ps->restored_head;
    }
    probe_clear(&pp);
    rc = CTL_EXIT_OK;
    int done = 0;
    for (int s = 0; s < SVC_COUNT; s++) {
        if (s == prod || (on >= 0 && s != on) ||
            (on < 0 && !ctl_configured(c, s)))
            continue;
        probe_t p = {0};
        probe_one(c, s, &p, 0);
        const Cogov__V1__ServiceStatus *st = probe_status(&p);
        bool follows = false, current = false;
        for (size_t i = 0; st != NULL && i < st->n_cursors; i++)
            if (strcmp(st->cursors[i]->producer, ctl_service_names[prod]) ==
                0) {
                follows = true;
                current = st->cursors[i]->epoch == epoch &&
                          strncmp(st->cursors[i]->state, "stopped", 7) != 0;
            }
        if (st == NULL) {
            ctl_err("%s: %s", ctl_service_names[s], p.err);
            rc = p.exit;
        }
        probe_clear(&p);
        if (st == NULL || !follows || (current && on < 0))
            continue;
        Cogov__V1__AcceptEpoch a = COGOV__V1__ACCEPT_EPOCH__INIT;
        a.producer = (char *)ctl_service_names[prod];
        a.epoch = epoch;
        a.has_epoch = 1;
        a.from_seq = from;
        a.has_from_seq = 1;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_ACCEPT_EPOCH;
        req.accept_epoch = &a;
        char err[512];
        int exit;
        Cogov__V1__Reply *rep =
            admin_call(c, s, &req, 0, &exit, err, sizeof err);
        if (rep == NULL) {
            ctl_err("%s: %s", ctl_service_names[s], err);
            rc = exit;
            continue;
        }
        for (size_t i = 0; i < rep->admin->n_cursors; i++) {
            const Cogov__V1__CursorStatus *cu = rep->admin->cursors[i];
            if (strcmp(cu->producer, ctl_service_names[prod]) == 0)
                printf("%s: follows %s from epoch %llu, seq %llu\n",
                       ctl_service_names[s], cu->producer,
                       (unsigned long long)cu->epoch,
                       (unsigned long long)cu->applied_seq);
        }
        done++;
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
    if (done == 0 && rc == CTL_EXIT_OK)
        printf("no consumer of %s was waiting for epoch %llu\n",
               ctl_service_names[prod], (unsigned long long)epoch);
    return rc;
}

/* ==== dead letters ==========================================================
 * Events a daemon's reaction could not apply (README "Dead letters"). */

enum { DL_OPEN, DL_OUTCOME, DL_DISCARDED };

static table_t *
dl_table_new(int kind)
{
    static const char *const open_hdr[] = {"SERVICE", "PRODUCER",  ">SEQ",
                                           "TYPE",    ">ATTEMPTS", "FIRST_SEEN",
                                           "ERROR",   "OUTCOME"};
    static const char *const disc_hdr[] = {
        "SERVICE",    "PRODUCER", ">SEQ",      "TYPE", ">ATTEMPTS",
        "FIRST_SEEN", "ERROR",    "DISCARDED", "BY",   "REASON"};
    if (kind == DL_DISCARDED)
        return table_new(ARRAY_LEN(disc_hdr), disc_hdr);
    return table_new(kind == DL_OUTCOME ? 8 : 7, open_hdr);
}

static void
dl_table_rows(table_t *t, const Cogov__V1__DeadLetterList *l, int kind)
{
    for (size_t i = 0; i < l->n_dead_letters; i++) {
        const Cogov__V1__DeadLetter *d = l->dead_letters[i];
        char tb[32];
        table_cell(t, l->service);
        table_cell(t, d->producer);
        table_cellf(t, "%llu", (unsigned long long)d->seq);
        table_cell(t, d->type);
        table_cellf(t, "%u", d->attempts);
        fmt_time(d->first_seen_ms / 1000, CTL_UTC_OFFSET, tb, sizeof tb);
        table_cell(t, tb);
        table_cell(t, d->error);
        if (kind == DL_DISCARDED) {
            fmt_time(d->discarded_ms / 1000, CTL_UTC_OFFSET, tb, sizeof tb);
            table_cell(t, tb);
            table_cell(t, d->discarded_by);
            table_cell(t, d->reason);
        } else if (kind == DL_OUTCOME) {
            table_cell(t, d->outcome);
        }
    }
}

static const ctl_opt_t dl_list_opts[] = {
    {"producer", true}, {"limit", true}, {"discarded", false}, {NULL, false}};

static int
cmd_deadletter_list(ctl_t *c, int argc, char **argv)
{
    const char *v[3] = {0};
    int npos;
    const char *pos[1];
    int rc =
        ctl_parse(c, argc, argv, dl_list_opts, ctl_opt_store, v, pos, 1, &npos);
    if (rc != 0)
        return rc;
    uint64_t limit = 0;
    if (v[1] != NULL && ctl_parse_u64(c, "--limit", v[1], 1000, &limit))
        return CTL_EXIT_USAGE;
    if (v[0] != NULL && ctl_service_parse(v[0]) < 0)
        return ctl_usage(c, "--producer: unknown service '%s'", v[0]);
    if (ctl_need_conf(c) != 0)
        return CTL_EXIT_USAGE;
    int only = -1;
    if (npos == 1 && (only = parse_service(c, pos[0], true)) < 0)
        return CTL_EXIT_USAGE;
    int kind = v[2] != NULL ? DL_DISCARDED : DL_OPEN;
    sbuf_t b;
    sbuf_init(&b);
    jw_t w;
    jw_init(&w, &b);
    if (c->json && only < 0)
        jw_arr(&w);
    table_t *t = dl_table_new(kind);
    size_t rows = 0;
    uint64_t total = 0;
    rc = CTL_EXIT_OK;
    for (int s = 0; s < SVC_COUNT; s++) {
        if ((only >= 0 && s != only) || (only < 0 && !ctl_configured(c, s)))
            continue;
        Cogov__V1__ListDeadLetters q = COGOV__V1__LIST_DEAD_LETTERS__INIT;
        q.producer = (char *)v[0];
        q.limit = (uint32_t)limit;
        q.has_limit = limit > 0;
        q.discarded = kind == DL_DISCARDED;
        q.has_discarded = kind == DL_DISCARDED;
        Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
        req.body_case = COGOV__V1__REQUEST__BODY_LIST_DEAD_LETTERS;
        req.list_dead_letters = &q;
        Cogov__V1__Reply *rep = NULL;
        int e = ctl_call(c, s, &req, &rep);
        if (e != CTL_EXIT_OK) { /* printed; the others are still shown */
            if (rc == CTL_EXIT_OK)
                rc = e;
            continue;
        }
        const Cogov__V1__DeadLetterList *l = rep->dead_letter_list;
        if (l != NULL && c->json) {
            pbjson_message(&w, (const ProtobufCMessage *)l);
        } else if (l != NULL) {
            dl_table_rows(t, l, kind);
            rows += l->n_dead_letters;
            total += l->total;
        }
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
    if (c->json) {
        if (only < 0)
            jw_arr_end(&w);
        sbuf_putc(&b, '\n');
    } else if (rows == 0) {
        sbuf_printf(&b, "no %s dead letters\n",
                    kind == DL_DISCARDED ? "discarded" : "open");
    } else {
        table_render(t, &b);
        if (total > rows)
            sbuf_printf(&b, "(%zu of %llu shown: --limit N)\n", rows,
                        (unsigned long long)total);
    }
    table_destroy(&t);
    ctl_flush(&b);
    sbuf_free(&b);
    return rc;
}

/* Print a Retry or Discard answer: each row and its outcome. Exit 5
 * (CONFLICT) if an event still fails. */
static int
dl_print_outcome(ctl_t *c, const Cogov__V1__Reply *rep)
{
    const Cogov__V1__DeadLetterList *l = rep->dead_letter_list;
    if (l == NULL) {
        ctl_err("no dead-letter list in the answer");
        return CTL_EXIT_INTERNAL;
    }
    size_t failed = 0;
    for (size_t i = 0; i < l->n_dead_letters; i++)
        if (l->dead_letters[i]->outcome != NULL &&
            strcmp(l->dead_letters[i]->outcome, "failed") == 0)
            failed++;
    if (c->json) {
        ctl_print_message(c, (const ProtobufCMessage *)l);
    } else {
        sbuf_t b;
        sbuf_init(&b);
        table_t *t = dl_table_new(DL_OUTCOME);
        dl_table_rows(t, l, DL_OUTCOME);
        table_render(t, &b);
        table_destroy(&t);
        sbuf_printf(&b, "%llu dead letter(s) left on %s\n",
                    (unsigned long long)l->total, l->service);
        ctl_flush(&b);
        sbuf_free(&b);
    }
    if (failed > 0) {
        ctl_err("%zu event(s) still fail; their rows keep the new error",
                failed);
        return CTL_EXIT_CONFLICT;
    }
    return CTL_EXIT_OK;
}

/* SERVICE PRODUCER [SEQ]: the daemon, the producer and the seq (0 if
 * none). */
static int
dl_target(ctl_t *c, const char *const *pos, int npos, bool seq_wanted, int *svc,
          uint64_t *seq)
{
    if (npos < 2)
        return ctl_usage(c, "SERVICE and PRODUCER are required");
    if (seq_wanted && npos != 3)
        return ctl_usage(c, "SEQ is required");
    if (!seq_wanted && npos != 2)
        return ctl_usage(c, "give SEQ or --all, not both");
    if ((*svc = parse_service(c, pos[0], true)) < 0)
        return CTL_EXIT_USAGE;
    if (ctl_service_parse(pos[1]) < 0)
        return ctl_usage(c, "unknown producer '%s'", pos[1]);
    *seq = 0;
    if (seq_wanted &&
        (ctl_parse_u64(c, "SEQ", pos[2], UINT64_MAX, seq) || *seq == 0))
        return *seq == 0 ? ctl_usage(c, "SEQ counts from 1") : CTL_EXIT_USAGE;
    return 0;
}

static const ctl_opt_t dl_retry_opts[] = {{"all", false}, {NULL, false}};

static int
cmd_deadletter_retry(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[3];
    int rc = ctl_parse(c, argc, argv, dl_retry_opts, ctl_opt_store, v, pos, 3,
                       &npos);
    if (rc != 0)
        return rc;
    bool all = v[0] != NULL;
    int svc;
    uint64_t seq;
    if ((rc = dl_target(c, pos, npos, !all, &svc, &seq)) != 0)
        return rc;
    Cogov__V1__RetryDeadLetter q = COGOV__V1__RETRY_DEAD_LETTER__INIT;
    q.producer = (char *)pos[1];
    q.seq = seq;
    q.has_seq = !all;
    q.all = all;
    q.has_all = all;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_RETRY_DEAD_LETTER;
    req.retry_dead_letter = &q;
    Cogov__V1__Reply *rep = NULL;
    if ((rc = ctl_call(c, svc, &req, &rep)) != CTL_EXIT_OK)
        return rc;
    rc = dl_print_outcome(c, rep);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return rc;
}

static const ctl_opt_t dl_discard_opts[] = {{"reason", true}, {NULL, false}};

static int
cmd_deadletter_discard(ctl_t *c, int argc, char **argv)
{
    const char *v[1] = {0};
    int npos;
    const char *pos[3];
    int rc = ctl_parse(c, argc, argv, dl_discard_opts, ctl_opt_store, v, pos, 3,
                       &npos);
    if (rc != 0)
        return rc;
    if (str_empty(v[0]))
        return ctl_usage(c, "--reason TEXT is required (why the event can "
                            "never apply; it is kept)");
    int svc;
    uint64_t seq;
    if ((rc = dl_target(c, pos, npos, true, &svc, &seq)) != 0)
        return rc;
    Cogov__V1__DiscardDeadLetter q = COGOV__V1__DISCARD_DEAD_LETTER__INIT;
    q.producer = (char *)pos[1];
    q.seq = seq;
    q.has_seq = 1;
    q.reason = (char *)v[0];
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    req.body_case = COGOV__V1__REQUEST__BODY_DISCARD_DEAD_LETTER;
    req.discard_dead_letter = &q;
    Cogov__V1__Reply *rep = NULL;
    if ((rc = ctl_call(c, svc, &req, &rep)) != CTL_EXIT_OK)
        return rc;
    rc = dl_print_outcome(c, rep);
    cogov__v1__reply__free_unpacked(rep, NULL);
    return rc;
}

const ctl_cmd_t ctl_cmds_ops[] = {
    {"events", "tail", "SERVICE [--after N] [--max N] [--follow]",
     "Print a daemon's event stream, one line per event: seq, business time,\n"
     "type, actor, correlation id and a summary of the payload. --json\n"
     "prints one JSON object per line (protobuf field names).\n"
     "  --after N   start after seq N (default 0: from the beginning)\n"
     "  --max N     stop after N events\n"
     "  --follow    keep waiting for new events (long-poll); without it,\n"
     "              stop at the end of the stream\n",
     cmd_events_tail},
    {"status", NULL, "[SERVICE]",
     "Health of every configured daemon (or one) in one screen: HEALTH (ok,\n"
     "paused, dead_letters, STREAM_STOPPED, DOWN), version, uptime, stream\n"
     "head and epoch, total LAG of its cursors, store size, business time,\n"
     "dead letters, counters; then each cursor (producer, epoch, applied, "
     "head, lag, held, state). A\n"
     "daemon that does not answer is shown as DOWN and the exit code is 6.\n"
     "--json: an array (one object for a named SERVICE) with \"up\".\n",
     cmd_status},
    {"sync", NULL, "[--timeout SECONDS]",
     "Wait until the daemons are quiet: every configured daemon answers,\n"
     "every cursor has applied its producer's own head with nothing held,\n"
     "and no head moved between two consecutive rounds. On timeout (default\n"
     "30 s) prints what is still behind and exits 6.\n",
     cmd_sync},
    {"keys", "generate",
     "NAME [--dir DIR] [--roles R[,R...]] [--member ID] "
     "[--streams S]",
     "Generate a CURVE keypair: DIR/NAME.key (0600) and DIR/NAME.pub (DIR\n"
     "defaults to the config's keys_dir). Prints the public key and the\n"
     "allow-list line to add:\n"
     "  <public-key> NAME <member-id|-> ROLES STREAMS\n"
     "  --roles R,...   roles for that line (default OBSERVER)\n"
     "  --member ID     the member unit the principal acts for\n"
     "  --streams S     streams it may read: a,b or * (default -)\n",
     cmd_keys_generate},
    {"keys", "init", "[--dir DIR] [--allow-list PATH]",
     "First-start bootstrap: create the daemons' keys and the operator key\n"
     "(roles GOV_COORDINATOR,OPERATOR) that are missing in DIR and write the\n"
     "allow-list if it does not exist (default: allow.list next to DIR).\n"
     "Existing keys and allow-list are never touched.\n",
     cmd_keys_init},
    {"keys", "rotate", "NAME [--dir DIR] [--allow-list PATH] [--public KEY]",
     "Start a key rotation: a new keypair for principal NAME in DIR\n"
     "(NAME.key; the old pair becomes NAME.old.key) and an allow-list line\n"
     "for it with NAME's present grants, beside the old one. Send SIGHUP to\n"
     "the daemons: both keys work. Restart what uses the key, then run\n"
     "keys retire. --public KEY: the client made its own new key; only\n"
     "the allow-list changes.\n",
     cmd_keys_rotate},
    {"keys", "retire", "NAME [--dir DIR] [--allow-list PATH] [--keep KEY]",
     "End a key rotation: remove NAME's allow-list lines whose key is not\n"
     "DIR/NAME.pub (or --keep KEY), and NAME.old.key. After SIGHUP every\n"
     "connection made with a removed key is refused, without restarts.\n",
     cmd_keys_retire},
    {"backup", NULL, "DIR [--timeout S] [--ttl S]",
     "A consistent backup of every configured daemon's store into DIR\n"
     "(absolute or relative to here; created by the daemons, which must be\n"
     "able to write it). Pauses every daemon (commands get UNAVAILABLE\n"
     "\"paused\"), waits until every cursor stands at its producer's head\n"
     "(--timeout, default 30 s), has each daemon snapshot its store with\n"
     "SQLite's backup API into DIR/<service>.db, checks the snapshots are\n"
     "one cut, resumes, and writes DIR/MANIFEST. If cogovctl dies, the\n"
     "pause ends by itself after --ttl (default 60 s).\n",
     cmd_backup},
    {"restore", NULL, "DIR [--state-dir D] [--only SERVICE [--above SEQ]]",
     "Put a backup back, with the daemons stopped (it refuses if one\n"
     "answers): DIR/<service>.db is copied to D/<service>.db (default\n"
     "/var/lib/cogov) with SQLite's backup API, the old WAL removed. All\n"
     "four together need no repair. --only restores one store and gives\n"
     "its stream a new epoch: its consumers stop until `cogovctl stream\n"
     "accept SERVICE`. Its new events are numbered above every seq its\n"
     "consumers applied (asked from those that answer, else read from\n"
     "their stores in D) and above --above SEQ (say the highest seq an\n"
     "outside consumer applied): the seqs between are held back\n"
     "(seq_reserved events). Run it as the daemons' user (or as root: the\n"
     "files get D's owner).\n",
     cmd_restore},
    {"pause", NULL, "[SERVICE] [--ttl S]",
     "Refuse commands (UNAVAILABLE \"paused\") on every configured daemon\n"
     "(or one) for at most --ttl seconds (default 60); queries and streams\n"
     "go on.\n",
     cmd_pause},
    {"resume", NULL, "[SERVICE]", "End a pause.\n", cmd_resume},
    {"stream", "accept", "PRODUCER [--on CONSUMER] [--from SEQ]",
     "After PRODUCER's store was restored alone (new epoch), let its\n"
     "stopped consumers (every configured daemon following it, or --on one)\n"
     "follow the new epoch. Each cursor becomes min(applied, SEQ), SEQ\n"
     "being the head the store was restored at (or --from): events after it\n"
     "are applied (again) — reactions are idempotent, so nothing applied\n"
     "twice doubles — and nothing the consumer applied is undone.\n",
     cmd_stream_accept},
    {"deadletter", "list", "[SERVICE] [--producer P] [--limit N] [--discarded]",
     "Events a daemon's reaction could not apply (refused, or failed with a\n"
     "deterministic error such as a key collision), on every configured\n"
     "daemon or one: service, producer, seq, type, failed retries, when\n"
     "first seen, the latest error. The stream went on past them; each\n"
     "waits for `deadletter retry` after a fix, or `deadletter discard`.\n"
     "  --producer P  only events of producer P\n"
     "  --limit N     at most N per daemon (default 100, at most 1000)\n"
     "  --discarded   the audit trail of discarded ones (who, when, why)\n"
     "--json: an array of {service, dead_letters[], total} (one object for\n"
     "a named SERVICE).\n",
     cmd_deadletter_list},
    {"deadletter", "retry", "SERVICE PRODUCER SEQ|--all",
     "Apply PRODUCER's event SEQ (or --all of PRODUCER's, oldest first)\n"
     "again through SERVICE's reaction, each in one transaction with its\n"
     "effects. Applied: the row goes. Fails again: the row stays with the\n"
     "new error and one more attempt, and the exit code is 5. A transient\n"
     "failure (busy, disk full) changes nothing and exits 6. No such dead\n"
     "letter: 3.\n",
     cmd_deadletter_retry},
    {"deadletter", "discard", "SERVICE PRODUCER SEQ --reason TEXT",
     "Give up on an event that can never apply: its row moves to the\n"
     "audit trail (deadletter list --discarded) with TEXT and your name,\n"
     "and is logged (event=dead_letter.discarded). Nothing of it is\n"
     "applied.\n",
     cmd_deadletter_discard},
    {NULL, NULL, NULL, NULL, NULL},
};
