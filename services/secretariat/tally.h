/* tally: pure rules of the secretariat's decisions (no sockets, no SQL):
 * which charter version is in force, how a vote is counted, the meeting
 * lifecycle, and the deadlines derived from business time.
 *
 * Rules (DESIGN 1.5), stated once here and tested in test_tally.c:
 *  - Eligible units are frozen at the opening: the units ADMITTED when the
 *    vote opens. A unit admitted later cannot vote on it.
 *  - A unit suspended (or gone) mid-vote stays in the denominator; a ballot
 *    it cast before the suspension counts; it cannot cast one afterwards
 *    (CastVote refuses a unit that is not ADMITTED now).
 *  - The rules are those of the charter version in force at the opening; an
 *    amendment adopted mid-vote applies to votes opened after it.
 *  - A ballot cast at or after closes_at is late and never counts.
 *  - Quorum: participating units (for, against, abstain, objection) * 1000
 *    >= quorum_permille * eligible. No eligible unit: no quorum.
 *  - Pass: abstentions are not votes cast; cast = for + against; adopted if
 *    cast > 0 and for * 1000 >= pass_permille * cast (ties fail under the
 *    default 501; a charter naming 500 lets a tie pass).
 *  - Consent decisions: adopted unless one eligible unit objects in time;
 *    silence is consent, so no quorum applies.
 *  - Without any charter: version 0, quorum 500, pass 501 (simple majority
 *    of votes cast, half of the units taking part). */
#ifndef COGOV_TALLY_H
#define COGOV_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cogov/v1/envelope.pb-c.h"

typedef struct charter_rules {
    uint32_t version;
    uint32_t quorum_permille;
    uint32_t pass_permille;
    uint32_t extraordinary_permille;
} charter_rules_t;

/* A charter version as tracked from coordination's stream. */
typedef struct charter_ver {
    uint32_t version;
    const char *effective_on; /* "YYYY-MM-DD" */
    charter_rules_t rules;
} charter_ver_t;

/* The rules in force on `on` ("YYYY-MM-DD"): the highest version whose
 * effective_on <= on; the defaults (version 0) when none is. */
charter_rules_t charter_in_force(const charter_ver_t *v, size_t n,
                                 const char *on);
charter_rules_t charter_default(void);

typedef struct tally_ballot {
    const char *member_id;
    Cogov__V1__VoteChoice choice;
    int64_t cast_at;
} tally_ballot_t;

typedef struct tally_in {
    const char *const *eligible; /* units ADMITTED at the opening */
    size_t n_eligible;
    const tally_ballot_t *ballots;
    size_t n_ballots;
    charter_rules_t rules; /* of the version in force at the opening */
    bool consent;
    int64_t closes_at; /* 0: no closing time (meeting vote) */
} tally_in_t;

typedef struct tally_out {
    Cogov__V1__MotionStatus outcome; /* ADOPTED, REJECTED or NO_QUORUM */
    uint32_t eligible, participated;
    uint32_t votes_for, votes_against, abstentions, objections;
    uint32_t ignored; /* late, duplicate or from a unit not eligible */
    bool quorum_met;
} tally_out_t;

/* Count the ballots. Duplicates (a second ballot of the same unit) count
 * once, the first. */
void tally(const tally_in_t *in, tally_out_t *out);

/* True when every eligible unit has a counted ballot (early close). */
bool tally_all_voted(const tally_in_t *in);

/* The choices allowed: FOR/AGAINST/ABSTAIN in a vote, FOR/OBJECTION in a
 * consent decision. */
bool tally_choice_ok(bool consent, Cogov__V1__VoteChoice choice);

/* Meeting lifecycle: SCHEDULED -> HELD -> MINUTES_PUBLISHED, SCHEDULED ->
 * CANCELLED. Nothing else, no self-transitions. */
bool meeting_transition_ok(Cogov__V1__MeetingStatus from,
                           Cogov__V1__MeetingStatus to);

/* Inquiry steps: ROUTE and ANSWER from OPEN or ROUTED, RATE from ANSWERED
 * (`to` is the status the step leads to: ROUTED, ANSWERED, RATED). */
bool inquiry_transition_ok(Cogov__V1__InquiryStatus from,
                           Cogov__V1__InquiryStatus to);

/* Extraordinary meetings (DESIGN 1.5). Rule: only requests of units
 * ADMITTED at the count are counted (a unit suspended or gone after it
 * requested no longer counts; reinstated, it counts again); the denominator
 * is the ADMITTED units at the count; the share is that of the charter in
 * force on the day of the count. Reached when counted > 0 and
 * counted * 1000 >= permille * admitted (no admitted unit: never). The
 * count is made at each request and on each calendar tick while the subject
 * has not convened a meeting; a meeting is convened once per subject. */
bool extraordinary_reached(uint32_t counted, uint32_t admitted,
                           uint32_t permille);

/* The subject's id "extra-<16 hex>" (FNV-1a of the subject with leading and
 * trailing ASCII white space removed); buf >= 24. */
void extraordinary_subject_id(const char *subject, char *buf, size_t size);

/* An action item's follow-up from its task: no task (have_task false) or
 * PROPOSED / APPROVED: NOT_STARTED; IN_PROGRESS; COMPLETED: DONE;
 * CANCELLED. */
Cogov__V1__FollowUp follow_up_of(bool have_task, Cogov__V1__TaskStatus st);

/* Business-time date ("YYYY-MM-DD", buf >= 11) of t at utc_offset_s. */
void date_of(int64_t t, long utc_offset_s, char *buf, size_t size);

/* Days in seconds, for the SLA and reminder deadlines. */
#define DAY_S 86400

#endif
