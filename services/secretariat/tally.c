/* tally: the secretariat's pure decision rules (see tally.h). */
#include "tally.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CH(x) COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_##x
#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MT(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x

charter_rules_t
charter_default(void)
{
    charter_rules_t r = {0, 500, 501, 200};
    return r;
}

charter_rules_t
charter_in_force(const charter_ver_t *v, size_t n, const char *on)
{
    charter_rules_t best = charter_default();
    bool found = false;

    for (size_t i = 0; i < n; i++) {
        if (v[i].effective_on == NULL || strcmp(v[i].effective_on, on) > 0)
            continue;
        if (!found || v[i].version > best.version) {
            best = v[i].rules;
            best.version = v[i].version;
            found = true;
        }
    }
    return best;
}

static bool
is_eligible(const tally_in_t *in, const char *member)
{
    for (size_t i = 0; i < in->n_eligible; i++)
        if (strcmp(in->eligible[i], member) == 0)
            return true;
    return false;
}

/* Ballot i counts: eligible unit, in time, first ballot of its unit. */
static bool
counts(const tally_in_t *in, size_t i)
{
    const tally_ballot_t *b = &in->ballots[i];

    if (b->member_id == NULL || !is_eligible(in, b->member_id))
        return false;
    if (in->closes_at > 0 && b->cast_at >= in->closes_at)
        return false;
    if (!tally_choice_ok(in->consent, b->choice))
        return false;
    for (size_t j = 0; j < i; j++)
        if (in->ballots[j].member_id != NULL &&
            strcmp(in->ballots[j].member_id, b->member_id) == 0 &&
            counts(in, j))
            return false;
    return true;
}

void
tally(const tally_in_t *in, tally_out_t *out)
{
    memset(out, 0, sizeof *out);
    out->eligible = (uint32_t)in->n_eligible;
    for (size_t i = 0; i < in->n_ballots; i++) {
        if (!counts(in, i)) {
            out->ignored++;
            continue;
        }
        out->participated++;
        switch (in->ballots[i].choice) {
        case CH(FOR):
            out->votes_for++;
            break;
        case CH(AGAINST):
            out->votes_against++;
            break;
        case CH(ABSTAIN):
            out->abstentions++;
            break;
        case CH(OBJECTION):
            out->objections++;
            break;
        default:
            break;
        }
    }
    out->quorum_met = out->eligible > 0 &&
                      (uint64_t)out->participated * 1000 >=
                          (uint64_t)in->rules.quorum_permille * out->eligible;
    if (in->consent) {
        out->outcome = out->objections == 0 ? MS(ADOPTED) : MS(REJECTED);
        return;
    }
    if (!out->quorum_met) {
        out->outcome = MS(NO_QUORUM);
        return;
    }
    uint64_t cast = (uint64_t)out->votes_for + out->votes_against;
    out->outcome = cast > 0 && (uint64_t)out->votes_for * 1000 >=
                                   (uint64_t)in->rules.pass_permille * cast
                       ? MS(ADOPTED)
                       : MS(REJECTED);
}

bool
tally_all_voted(const tally_in_t *in)
{
    tally_out_t o;

    if (in->n_eligible == 0)
        return false;
    tally(in, &o);
    return o.participated == o.eligible;
}

bool
tally_choice_ok(bool consent, Cogov__V1__VoteChoice choice)
{
    if (consent)
        return choice == CH(FOR) || choice == CH(OBJECTION);
    return choice == CH(FOR) || choice == CH(AGAINST) || choice == CH(ABSTAIN);
}

bool
meeting_transition_ok(Cogov__V1__MeetingStatus from,
                      Cogov__V1__MeetingStatus to)
{
    switch (from) {
    case MT(SCHEDULED):
        return to == MT(HELD) || to == MT(CANCELLED);
    case MT(HELD):
        return to == MT(MINUTES_PUBLISHED);
    default:
        return false;
    }
}

bool
inquiry_transition_ok(Cogov__V1__InquiryStatus from,
                      Cogov__V1__InquiryStatus to)
{
    bool open = from == COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_OPEN ||
                from == COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_ROUTED;
    switch (to) {
    case COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_ROUTED:
    case COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_ANSWERED:
        return open;
    case COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_RATED:
        return from == COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_ANSWERED;
    default:
        return false;
    }
}

void
date_of(int64_t t, long utc_offset_s, char *buf, size_t size)
{
    time_t x = (time_t)(t + utc_offset_s);
    struct tm tm;

    gmtime_r(&x, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

bool
extraordinary_reached(uint32_t counted, uint32_t admitted, uint32_t permille)
{
    return admitted > 0 && counted > 0 &&
           (uint64_t)counted * 1000 >= (uint64_t)permille * admitted;
}

void
extraordinary_subject_id(const char *subject, char *buf, size_t size)
{
    const char *b = subject ? subject : "";
    size_t n;
    uint64_t h = 0xcbf29ce484222325ULL;

    while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
        b++;
    n = strlen(b);
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t' || b[n - 1] == '\n' ||
                     b[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)b[i]) * 0x100000001b3ULL;
    snprintf(buf, size, "extra-%016llx", (unsigned long long)h);
}

Cogov__V1__FollowUp
follow_up_of(bool have_task, Cogov__V1__TaskStatus st)
{
    if (!have_task)
        return COGOV__V1__FOLLOW_UP__FOLLOW_UP_NOT_STARTED;
    switch (st) {
    case COGOV__V1__TASK_STATUS__TASK_STATUS_IN_PROGRESS:
        return COGOV__V1__FOLLOW_UP__FOLLOW_UP_IN_PROGRESS;
    case COGOV__V1__TASK_STATUS__TASK_STATUS_COMPLETED:
        return COGOV__V1__FOLLOW_UP__FOLLOW_UP_DONE;
    case COGOV__V1__TASK_STATUS__TASK_STATUS_CANCELLED:
        return COGOV__V1__FOLLOW_UP__FOLLOW_UP_CANCELLED;
    default:
        return COGOV__V1__FOLLOW_UP__FOLLOW_UP_NOT_STARTED;
    }
}

#undef CH
#undef MS
#undef MT
