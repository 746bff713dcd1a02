/* coord_handlers: what the handler files of coordination share (handlers.c,
 * charter.c, tasks.c, escalations.c): status shorthands, role bits for the
 * static route tables, the common input checks and the handlers themselves
 * for the route table in handlers.c. */
#ifndef COGOV_COORD_HANDLERS_H
#define COGOV_COORD_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

#include "coordination.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define INTERNAL COGOV__V1__STATUS_CODE__STATUS_INTERNAL

/* role_bit() as a constant expression, for the static route table. */
#define R(x) (1u << COGOV__V1__ROLE__ROLE_##x)
#define QUERY_ROLES                                                            \
    (R(GOV_COORDINATOR) | R(SECRETARIAT) | R(SUPERVISOR) |                     \
     R(FINANCE_OFFICER) | R(MEMBER_REP) | R(BUREAU_SYSTEM) | R(OPERATOR) |     \
     R(OBSERVER))

#define ID_MAX_CHARS 64
#define NAME_MAX_CHARS 100
#define TITLE_MAX_CHARS 200
#define TEXT_MAX_CHARS 20000
#define NOTE_MAX_CHARS 2000
#define LIST_MAX_ENTRIES 32
#define QUANTITY_MAX 1000000000000LL /* 10^12: fen of 10 billion yuan */

/* Return early unless a check passed. */
#define CHECK(expr)                                                            \
    do {                                                                       \
        Cogov__V1__StatusCode rc_ = (expr);                                    \
        if (rc_ != OK)                                                         \
            return rc_;                                                        \
    } while (0)

typedef Cogov__V1__StatusCode coord_rc;
#define HANDLER(name)                                                          \
    coord_rc name(svc_t *s, void *app, const svc_ctx_t *c,                     \
                  const Cogov__V1__Request *req, Cogov__V1__Reply *rep)

/* An error reply for a store error (UNAVAILABLE for busy/full). */
coord_rc coord_store_fail(Cogov__V1__Reply *rep, int err, const char *what);
/* A text field: required or not, at most max_chars, no control chars. */
coord_rc coord_text(Cogov__V1__Reply *rep, const char *field, const char *s,
                    size_t max_chars, bool required);
/* An id: required, 1..64 characters of [A-Za-z0-9._:/-]. */
coord_rc coord_id(Cogov__V1__Reply *rep, const char *field, const char *s);
/* A required "YYYY-MM-DD"; *at (if not NULL) gets the business time of the
 * end of that day (the next midnight at the consortium's offset). */
coord_rc coord_date(svc_t *s, Cogov__V1__Reply *rep, const char *field,
                    const char *date, int64_t *end_at);
/* A quantity 0..QUANTITY_MAX. */
coord_rc coord_quantity(Cogov__V1__Reply *rep, const char *field, int64_t v);
/* The member exists (NOT_FOUND) and is ADMITTED (CONFLICT). */
coord_rc coord_admitted(svc_t *s, Cogov__V1__Reply *rep, const char *field,
                        const char *member_id);
/* A MEMBER_REP with no other role than query roles is confined to its own
 * unit. */
bool coord_own_unit_only(const principal_t *p);

/* charter.c */
HANDLER(coord_adopt_charter);
HANDLER(coord_get_charter);
HANDLER(coord_assign_seat);
HANDLER(coord_vacate_seat);
HANDLER(coord_list_seats);
HANDLER(coord_designate_secretariat);
HANDLER(coord_form_committee);
HANDLER(coord_set_vision);
HANDLER(coord_set_goal);
HANDLER(coord_list_goals);

/* tasks.c */
HANDLER(coord_create_task);
HANDLER(coord_change_task_status);
HANDLER(coord_report_progress);
HANDLER(coord_complete_milestone);
HANDLER(coord_get_task);
HANDLER(coord_list_tasks);
HANDLER(coord_make_pledge);
HANDLER(coord_deliver_pledge);
HANDLER(coord_list_pledges);
HANDLER(coord_get_dossier);

/* escalations.c */
HANDLER(coord_open_escalation);
HANDLER(coord_decide_escalation);
HANDLER(coord_close_escalation);
HANDLER(coord_list_escalations);

/* lists.c */
HANDLER(coord_post_demand);
HANDLER(coord_post_supply);
HANDLER(coord_list_demands);
HANDLER(coord_list_supplies);
HANDLER(coord_load_occupation_map);
HANDLER(coord_get_occupation_map);
HANDLER(coord_propose_matches);
HANDLER(coord_accept_match);

#endif
