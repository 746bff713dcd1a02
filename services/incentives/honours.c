/* honours: titles granted by policy rules from published grades (DESIGN
 * 1.3), and withheld from a unit that is suspended, or under a
 * rectification order not yet closed, when the grade is published.
 *
 * The rule is decided in cap order (DESIGN 2.3), not arrival order: the
 * unit's standing is the one in force just before the publication's cap
 * order key (business time, producer, seq). Open orders come from
 * supervision's own stream, so what incentives holds when it applies the
 * publication is exactly what was open then; they are recorded with the
 * honour. Member status comes from coordination's stream, which may be
 * applied before or after supervision's: every status change is logged
 * with its key, and a change that arrives after a publication it precedes
 * re-decides that honour (withheld ↔ granted), so every interleaving ends
 * with the same honours. A withheld honour stays withheld when the order
 * later closes: the title belongs to the round, and the next round's grade
 * decides the next title. */
#include "incentives.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_alloc.h"
#include "inc_store.h"
#include "log.h"
#include "util.h"

#define MS(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x
#define PAY(x) COGOV__V1__EVENT__PAYLOAD_##x

static void
event_key(const Cogov__V1__Event *ev, const char *suffix, char *out,
          size_t outlen)
{
    cap_order_key(ev->occurred_at, ev->producer, ev->seq, suffix, out, outlen);
}

bool
inc_honour_withheld(int status, const char *open_orders, char *why,
                    size_t whylen)
{
    bool susp = status != MS(ADMITTED);
    bool rect = open_orders != NULL && open_orders[0] != 0;

    if (susp && rect)
        snprintf(why, whylen, "%s; rectification %s",
                 status == MS(SUSPENDED) ? "suspended" : "not admitted",
                 open_orders);
    else if (susp)
        snprintf(why, whylen, "%s",
                 status == MS(SUSPENDED) ? "suspended" : "not admitted");
    else if (rect)
        snprintf(why, whylen, "rectification %s", open_orders);
    else if (whylen > 0)
        why[0] = 0;
    return susp || rect;
}

static int
emit(svc_t *s, const svc_ctx_t *c, Cogov__V1__Honour *h)
{
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    int err;

    if (h->withheld) {
        ev.payload_case = PAY(HONOUR_WITHHELD);
        ev.honour_withheld = h;
    } else {
        ev.payload_case = PAY(HONOUR_GRANTED);
        ev.honour_granted = h;
    }
    if ((err = svc_emit(s, c, &ev)) < 0)
        return err;
    if (h->withheld)
        log_info("honour.withheld", "honour=%s member=%s why=%s corr=%s",
                 log_q(h->honour_id), log_q(h->member_id),
                 log_q(h->withheld_reason), log_q(c->correlation_id));
    else
        log_info("honour.granted", "honour=%s member=%s corr=%s",
                 log_q(h->honour_id), log_q(h->member_id),
                 log_q(c->correlation_id));
    return 0;
}

int
inc_honour_decide(svc_t *s, const svc_ctx_t *c, const policy_t *p,
                  const pol_rule_t *r, const Cogov__V1__Event *ev,
                  const char *member_id, const char *round_id, int grade)
{
    Cogov__V1__Honour h = COGOV__V1__HONOUR__INIT;
    store_t *st = svc_store(s);
    char id[200], src[64], key[200], why[256];
    char *orders = NULL;
    int type = 0, status = 0, rect = 0, err;

    err = inc_store_member(st, member_id, &type, &status, &rect);
    if (err == -ENOENT)
        return 0; /* a unit incentives was never told of */
    if (err < 0 || !policy_eligible_type(p, type))
        return err;
    event_key(ev, member_id, key, sizeof key);
    if ((err = inc_store_status_at(st, member_id, key, &status)) < 0 ||
        (err = inc_store_open_orders(st, member_id, &orders)) < 0)
        goto done;
    snprintf(src, sizeof src, "%s:%" PRIu64, ev->producer, ev->seq);
    snprintf(id, sizeof id, "%s:%s@%s/%s", p->id, r->id, src, member_id);
    h.honour_id = id;
    h.member_id = (char *)member_id;
    h.title = (char *)r->title;
    h.policy_id = (char *)p->id;
    h.has_policy_version = h.has_grade = h.has_granted_at = true;
    h.policy_version = p->version;
    h.rule_id = (char *)r->id;
    h.round_id = (char *)(round_id ? round_id : "");
    h.grade = grade;
    h.source_event = src;
    h.granted_at = ev->occurred_at;
    h.has_withheld = true;
    h.withheld = inc_honour_withheld(status, orders, why, sizeof why);
    h.withheld_reason = why;
    err = inc_store_honour_add(st, &h, key, orders);
    if (err <= 0)
        goto done; /* decided before: a replay */
    err = emit(s, c, &h);
done:
    free(orders);
    return err;
}

int
inc_honours_restanding(svc_t *s, const svc_ctx_t *c, const char *member_id,
                       const Cogov__V1__Event *ev)
{
    store_t *st = svc_store(s);
    Cogov__V1__HonourList *l = NULL;
    char key[200], why[256], **orders = NULL;
    int err;

    event_key(ev, "", key, sizeof key);
    err = inc_store_honours_after(st, member_id, key, &l, &orders);
    for (size_t i = 0; err == 0 && i < l->n_honours; i++) {
        Cogov__V1__Honour *h = l->honours[i];
        char hkey[200], producer[64];
        int status = 0;
        /* the honour's own key: its publication's */
        const char *colon = strrchr(h->source_event, ':');
        if (colon == NULL)
            continue;
        snprintf(producer, sizeof producer, "%.*s",
                 (int)(colon - h->source_event), h->source_event);
        cap_order_key(h->granted_at, producer, strtoull(colon + 1, NULL, 10),
                      member_id, hkey, sizeof hkey);
        if ((err = inc_store_status_at(st, member_id, hkey, &status)) < 0)
            break;
        bool w = inc_honour_withheld(status, orders[i], why, sizeof why);
        if (w == (bool)h->withheld &&
            strcmp(why, h->withheld_reason ? h->withheld_reason : "") == 0)
            continue;
        h->has_withheld = true;
        h->withheld = w;
        free(h->withheld_reason);
        h->withheld_reason = xstrdup(why);
        if ((err = inc_store_honour_set(st, h)) == 0)
            err = emit(s, c, h);
    }
    if (l) {
        inc_strv_free(orders, l->n_honours);
        protobuf_c_message_free_unpacked(&l->base, NULL);
    }
    return err;
}
