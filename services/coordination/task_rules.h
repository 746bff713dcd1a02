/* task_rules: the task lifecycle, the escalation case lifecycle and the
 * deadline rules, as pure functions (no sockets, no SQL). */
#ifndef COGOV_TASK_RULES_H
#define COGOV_TASK_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "cogov/v1/envelope.pb-c.h"

/* Apply an action to a task in status `from`:
 *   APPROVE  PROPOSED                      -> APPROVED
 *   START    APPROVED                      -> IN_PROGRESS
 *   COMPLETE IN_PROGRESS                   -> COMPLETED
 *   CANCEL   PROPOSED|APPROVED|IN_PROGRESS -> CANCELLED
 * 0 with *to set, -EPERM if the status forbids it, -EINVAL for
 * UNSPECIFIED or unknown values. *to untouched on failure. */
int task_transition(Cogov__V1__TaskStatus from, Cogov__V1__TaskAction a,
                    Cogov__V1__TaskStatus *to);

/* Is a task in this status still open (its milestones and pledges run)? */
bool task_open(Cogov__V1__TaskStatus s);

/* The overdue-once rule: a milestone raises milestone_overdue on a tick at
 * `tick` iff it is undone (completed_at == 0), not raised before, and due
 * at or before tick (catch-up: a tick far ahead raises everything due). */
bool milestone_overdue_now(int64_t due_at, int64_t completed_at, bool raised,
                           int64_t tick);

/* A pledge still PLEDGED whose due time is at or before the tick is
 * missed. */
bool pledge_missed_now(Cogov__V1__PledgeStatus st, int64_t due_at,
                       int64_t tick);

/* Escalation case: OPEN -decide-> DECIDED -close-> CLOSED. `decide` true
 * for a decision, false for closing. 0 with *to, -EPERM otherwise. */
int escalation_transition(Cogov__V1__EscalationStatus from, bool decide,
                          Cogov__V1__EscalationStatus *to);

/* The member decision a case decision carries out (SUSPEND, EXPEL), or
 * MEMBER_DECISION_UNSPECIFIED when it changes no status. */
Cogov__V1__MemberDecision
escalation_member_decision(Cogov__V1__EscalationDecision d);

const char *task_status_name(Cogov__V1__TaskStatus s);

#endif
