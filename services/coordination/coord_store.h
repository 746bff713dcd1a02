/* coord_store: coordination's tables and the only SQL of the daemon.
 * Every function runs on the loop thread against the daemon's store; writes
 * run inside the caller's transaction. Errors are negative errno as in
 * store.h (-ENOENT: no such row, -EEXIST: constraint or state changed). */
#ifndef COGOV_COORD_STORE_H
#define COGOV_COORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "store.h"
#include "cogov/v1/envelope.pb-c.h"

/* Schema of the service, for store_open(). */
extern const char *const coord_migrations[];
extern const size_t coord_n_migrations;

/* 1 if the consortium has been founded, 0 if not, or -errno. */
int coord_store_founded(store_t *st);
/* Record the founding (one row; -EEXIST if already founded). */
int coord_store_found(store_t *st, const Cogov__V1__FoundConsortium *f,
                      int64_t at, const char *causation);
/* The consortium as a fresh message (free with
 * protobuf_c_message_free_unpacked(&m->base, NULL)); -ENOENT if none. */
int coord_store_consortium(store_t *st, Cogov__V1__Consortium **out);

/* A member as a fresh message, contacts included when `contacts`; -ENOENT
 * if unknown. */
int coord_store_member(store_t *st, const char *member_id, bool contacts,
                       Cogov__V1__Member **out);
/* The status of a member, UNSPECIFIED (and 0) if never seen. */
int coord_store_member_status(store_t *st, const char *member_id,
                              Cogov__V1__MemberStatus *status);
/* What apply_member checks, in one statement: whether the consortium has
 * been founded, and the member's status (UNSPECIFIED if never seen). */
int coord_store_apply_state(store_t *st, const char *member_id, bool *founded,
                            Cogov__V1__MemberStatus *status);
/* Enter (or re-enter, from REJECTED or EXITED) an application: status
 * APPLIED, member_id = uscc, and a history row from `prev`. -EEXIST if the
 * record exists in another status. */
int coord_store_member_apply(store_t *st, const Cogov__V1__ApplyMember *a,
                             Cogov__V1__MemberStatus prev, int64_t at,
                             const char *causation);
/* Enter a new unit's application (status APPLIED, member_id = uscc, a
 * history row from UNSPECIFIED) if the consortium has been founded and the
 * unit has no record. 1 if entered; 0 if not (not founded, or a record
 * exists: coord_store_apply_state tells which; nothing written); -errno. */
int coord_store_member_enter(store_t *st, const Cogov__V1__ApplyMember *a,
                             int64_t at, const char *causation);
/* Move a member from `from` to `to` with a history row. -EEXIST if its
 * status is no longer `from`, -ENOENT if unknown. reason may be NULL. */
int coord_store_member_change(store_t *st, const char *member_id,
                              Cogov__V1__MemberStatus from,
                              Cogov__V1__MemberStatus to, const char *reason,
                              int64_t at, const char *causation);
/* Members filtered by status and type (UNSPECIFIED: any), ordered by
 * member_id, contacts omitted. */
int coord_store_members(store_t *st, Cogov__V1__MemberStatus status,
                        Cogov__V1__MemberType type,
                        Cogov__V1__MemberList **out);
/* How many history rows a member has (for tests and audits), or -errno. */
int coord_store_history_count(store_t *st, const char *member_id);

/* ---- charter, council, vision, goals (charter.c) ------------------------ */

/* Latest charter version (0 if none), or -errno. */
int coord_store_charter_latest(store_t *st);
/* Insert version v (the caller computed latest + 1). */
int coord_store_charter_add(store_t *st, uint32_t v,
                            const Cogov__V1__AdoptCharter *a, int64_t at,
                            const char *causation);
/* Version v as a fresh message; v 0: the version in force on as_of
 * ("YYYY-MM-DD": the highest version effective on or before it), or the
 * latest when as_of is NULL. -ENOENT if none. */
int coord_store_charter(store_t *st, uint32_t v, const char *as_of,
                        Cogov__V1__Charter **out);

/* Set a seat's holder (member_id NULL: vacant, role/terms kept). */
int coord_store_seat_put(store_t *st, const char *seat_id,
                         Cogov__V1__SeatRole role, const char *member_id,
                         const char *term_start, const char *term_end,
                         int64_t at);
/* A seat as a fresh message (with the holder's name); -ENOENT if none. */
int coord_store_seat(store_t *st, const char *seat_id, Cogov__V1__Seat **out);
int coord_store_secretariat_set(store_t *st, const char *member_id);
/* Replace a committee (row and membership). */
int coord_store_committee_put(store_t *st, const Cogov__V1__FormCommittee *f);
/* Seats, secretariat unit and committees. member_id non-NULL: only those
 * held by / including that unit. */
int coord_store_council(store_t *st, const char *member_id,
                        Cogov__V1__Council **out);

int coord_store_vision_set(store_t *st, const char *text);
int coord_store_goal_put(store_t *st, const Cogov__V1__SetGoal *g);
/* 1 if the goal exists, 0 if not, or -errno. */
int coord_store_goal_exists(store_t *st, const char *goal_id);
/* Goals of a year (0: all) with planned and delivered sums, and the vision. */
int coord_store_goals(store_t *st, uint32_t year, Cogov__V1__GoalList **out);

/* ---- tasks, milestones, progress, pledges (tasks.c) --------------------- */

/* Insert a task in status PROPOSED with its participants and milestones
 * (due_at[i] for milestones[i]). Returns 1 if inserted, 0 if the id exists
 * (INSERT OR IGNORE: reactions rely on it), or -errno. */
int coord_store_task_add(store_t *st, const Cogov__V1__CreateTask *t,
                         const int64_t *due_at, const char *resolution_id,
                         const char *action_item_id, int64_t at,
                         const char *causation);
/* A task as a fresh message; reports included when `reports`; -ENOENT. */
int coord_store_task(store_t *st, const char *task_id, bool reports,
                     int64_t now, Cogov__V1__Task **out);
/* Move a task from `from` to `to`; -EEXIST if no longer `from`. */
int coord_store_task_status(store_t *st, const char *task_id,
                            Cogov__V1__TaskStatus from,
                            Cogov__V1__TaskStatus to, int64_t at);
/* Filtered tasks (without reports), ordered by task_id. */
int coord_store_tasks(store_t *st, Cogov__V1__TaskStatus status,
                      const char *member_id, bool overdue_only, int64_t now,
                      Cogov__V1__TaskList **out);
/* 1 if member_id leads or takes part in the task, 0 if not. */
int coord_store_task_member(store_t *st, const char *task_id,
                            const char *member_id);
/* Add a report; -EEXIST if the report id exists for that task. */
int coord_store_report_add(store_t *st, const Cogov__V1__ReportProgress *r,
                           int64_t at, const char *causation);
/* A report's figures and who corrected it; -ENOENT. */
int coord_store_report(store_t *st, const char *task_id, const char *report_id,
                       Cogov__V1__ProgressReport **out);
/* Mark a milestone done at `at`; -ENOENT unknown, -EEXIST already done. */
int coord_store_milestone_done(store_t *st, const char *task_id,
                               const char *milestone_id, int64_t at);

/* A milestone found by the deadline scan. */
typedef struct coord_due {
    char *task_id;
    char *milestone_id; /* or pledge id */
    char *title;
    int64_t due_at;
    int64_t completed_at;
    bool raised;
} coord_due_t;
/* Undone milestones of APPROVED or IN_PROGRESS tasks, not yet raised, due
 * at or before `tick`; *out is freed with coord_due_free. */
int coord_store_due_milestones(store_t *st, int64_t tick, coord_due_t **out,
                               size_t *n);
int coord_store_milestone_raised(store_t *st, const char *task_id,
                                 const char *milestone_id);
/* PLEDGED pledges due at or before tick. */
int coord_store_due_pledges(store_t *st, int64_t tick, coord_due_t **out,
                            size_t *n);
void coord_due_free(coord_due_t *d, size_t n);

int coord_store_pledge_add(store_t *st, const Cogov__V1__MakePledge *p,
                           int64_t due_at);
int coord_store_pledge(store_t *st, const char *pledge_id,
                       Cogov__V1__Pledge **out);
/* Settle a PLEDGED pledge; -EEXIST if already settled. */
int coord_store_pledge_settle(store_t *st, const char *pledge_id,
                              Cogov__V1__PledgeStatus to, const char *evidence,
                              int64_t at);
int coord_store_pledges(store_t *st, const char *task_id, const char *member_id,
                        Cogov__V1__PledgeStatus status,
                        Cogov__V1__PledgeList **out);

/* ---- escalations (escalations.c) ---------------------------------------- */

/* Returns 1 if inserted, 0 if the case id exists, or -errno. */
int coord_store_escalation_add(store_t *st, const Cogov__V1__Escalation *e);
int coord_store_escalation(store_t *st, const char *case_id,
                           Cogov__V1__Escalation **out);
/* Move a case from `from`; decision/rationale/note set when given. */
int coord_store_escalation_update(store_t *st, const char *case_id,
                                  Cogov__V1__EscalationStatus from,
                                  Cogov__V1__EscalationStatus to,
                                  Cogov__V1__EscalationDecision decision,
                                  const char *rationale, const char *note,
                                  int64_t at);
int coord_store_escalations(store_t *st, Cogov__V1__EscalationStatus status,
                            const char *member_id,
                            Cogov__V1__EscalationList **out);

/* ---- the three lists, occupation map, matches (lists.c) ----------------- */

/* Post a demand / supply: 1 inserted, 0 the same id exists with the same
 * digest (nothing changed), -EEXIST the id exists with other content. */
int coord_store_demand_add(store_t *st, const Cogov__V1__PostDemand *d,
                           int64_t needed_by_at, const char *digest, int64_t at,
                           const char *causation);
/* With matched (sum of accepted matches) and the unit's name; -ENOENT. */
int coord_store_demand(store_t *st, const char *demand_id,
                       Cogov__V1__Demand **out);
/* member_id NULL: all; kind UNSPECIFIED: all; ordered by demand_id. */
int coord_store_demands(store_t *st, const char *member_id,
                        Cogov__V1__DemandKind kind,
                        Cogov__V1__DemandList **out);
int coord_store_supply_add(store_t *st, const Cogov__V1__PostSupply *s,
                           int64_t available_at, const char *digest, int64_t at,
                           const char *causation);
int coord_store_supply(store_t *st, const char *supply_id,
                       Cogov__V1__Supply **out);
int coord_store_supplies(store_t *st, const char *member_id,
                         Cogov__V1__SupplyList **out);

/* Replace the occupation map. */
int coord_store_map_put(store_t *st, const match_map_t *m, const char *source,
                        const char *digest, int64_t at);
/* The map into *m (appended; may be NULL) and/or as a message into *out
 * (may be NULL). An empty map is not an error. */
int coord_store_map(store_t *st, match_map_t *m,
                    Cogov__V1__OccupationMap **out);

/* Pairs of units that share a task that is not cancelled (a < b); pairs'
 * strings owned, freed with coord_coop_free. */
typedef struct coord_coop {
    match_coop_t *pairs;
    size_t n;
} coord_coop_t;
int coord_store_coop(store_t *st, coord_coop_t *out);
void coord_coop_free(coord_coop_t *c);

/* 1 if the pair was accepted, 0 if not, or -errno. */
int coord_store_match_exists(store_t *st, const char *demand_id,
                             const char *supply_id);
/* Record an accepted pair (-EEXIST if already accepted). */
int coord_store_match_add(store_t *st, const char *demand_id,
                          const char *supply_id, const char *task_id,
                          Cogov__V1__TaskKind kind, int64_t quantity, int score,
                          int64_t at);

/* ---- funding (funding.c) ----------------------------------------------- */

/* Record a pool's funding state (insert or replace); only_if_alerted:
 * update a pool that has a row, and do nothing for one that has none
 * (a top-up of a pool never alerted). 1 written, 0 not, or -errno. */
int coord_store_funding_put(store_t *st, const Cogov__V1__FundingAlert *f,
                            bool only_if_alerted);
/* Every pool's row, by pool id, appended to *out (freed with the reply). */
int coord_store_funding(store_t *st, Cogov__V1__FundingAlert ***out, size_t *n);

#endif
