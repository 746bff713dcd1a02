/* member_rules: the member unit's status state machine and its names, as
 * pure functions (no sockets, no SQL) so unit tests can call them. */
#ifndef COGOV_MEMBER_RULES_H
#define COGOV_MEMBER_RULES_H

#include <stdbool.h>

#include "cogov/v1/envelope.pb-c.h"

/* Apply a decision to a member in status `from`:
 *   ADMIT     APPLIED            -> ADMITTED
 *   REJECT    APPLIED            -> REJECTED
 *   SUSPEND   ADMITTED           -> SUSPENDED
 *   REINSTATE SUSPENDED          -> ADMITTED
 *   EXIT      ADMITTED|SUSPENDED -> EXITED
 *   EXPEL     ADMITTED|SUSPENDED -> EXPELLED
 * Returns 0 with *to set, -EPERM if the status forbids the decision, or
 * -EINVAL for UNSPECIFIED or an unknown decision. *to is untouched on
 * failure. */
int member_decide(Cogov__V1__MemberStatus from, Cogov__V1__MemberDecision d,
                  Cogov__V1__MemberStatus *to);

/* May a unit apply (again) while its record is in `current`? A unit never
 * seen is UNSPECIFIED; REJECTED and EXITED units may apply again. */
bool member_may_apply(Cogov__V1__MemberStatus current);

/* The event a decision publishes (COGOV__V1__EVENT__PAYLOAD_MEMBER_*), or
 * PAYLOAD__NOT_SET for UNSPECIFIED/unknown. */
Cogov__V1__Event__PayloadCase
member_decision_event(Cogov__V1__MemberDecision d);

/* Point the event's payload (of the case member_decision_event() gives) at
 * msc. Returns -EINVAL for an unknown decision. */
int member_event_set(Cogov__V1__Event *ev, Cogov__V1__MemberDecision d,
                     Cogov__V1__MemberStatusChanged *msc);

/* "ADMITTED", "admit", ...: static strings, "UNKNOWN" if out of range. */
const char *member_status_name(Cogov__V1__MemberStatus s);
const char *member_decision_verb(Cogov__V1__MemberDecision d);

/* Chinese label of a member type ("高等职业院校"), "未知类型" if unknown. */
const char *member_type_label(Cogov__V1__MemberType t);

#endif
