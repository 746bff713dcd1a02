/* test_tally: the secretariat's pure decision rules: quorum, pass rule,
 * late and duplicate ballots, suspension and charter amendment mid-vote,
 * consent decisions, the meeting lifecycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/secretariat/tally.c"

#define CH(x) COGOV__V1__VOTE_CHOICE__VOTE_CHOICE_##x
#define MS(x) COGOV__V1__MOTION_STATUS__MOTION_STATUS_##x
#define MT(x) COGOV__V1__MEETING_STATUS__MEETING_STATUS_##x

static const char *const units[] = {"A", "B", "C", "D", "E",
                                    "F", "G", "H", "I", "J"};

static tally_in_t
vote_in(size_t n_eligible, const tally_ballot_t *b, size_t nb)
{
    tally_in_t in = {units, n_eligible, b, nb, {1, 500, 501, 200}, false, 1000};
    return in;
}

static void
test_quorum_not_met(void **state)
{
    (void)state;
    /* 10 eligible, 4 take part: 400 < 500. */
    tally_ballot_t b[] = {{"A", CH(FOR), 1},
                          {"B", CH(FOR), 1},
                          {"C", CH(FOR), 1},
                          {"D", CH(ABSTAIN), 1}};
    tally_in_t in = vote_in(10, b, 4);
    tally_out_t o;
    tally(&in, &o);
    assert_false(o.quorum_met);
    assert_int_equal(o.outcome, MS(NO_QUORUM));
    assert_int_equal(o.participated, 4);
    /* One more unit makes exactly half: met. */
    tally_ballot_t b2[] = {{"A", CH(FOR), 1},
                           {"B", CH(FOR), 1},
                           {"C", CH(FOR), 1},
                           {"D", CH(ABSTAIN), 1},
                           {"E", CH(AGAINST), 1}};
    in = vote_in(10, b2, 5);
    tally(&in, &o);
    assert_true(o.quorum_met);
    assert_int_equal(o.outcome, MS(ADOPTED)); /* 3 for / 4 cast */
}

static void
test_tie(void **state)
{
    (void)state;
    tally_ballot_t b[] = {{"A", CH(FOR), 1},
                          {"B", CH(AGAINST), 1},
                          {"C", CH(FOR), 1},
                          {"D", CH(AGAINST), 1}};
    tally_in_t in = vote_in(4, b, 4);
    tally_out_t o;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(REJECTED)); /* 501: a tie fails */
    in.rules.pass_permille = 500;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED)); /* 500: a tie passes */
}

static void
test_two_thirds(void **state)
{
    (void)state;
    tally_ballot_t b[] = {
        {"A", CH(FOR), 1}, {"B", CH(FOR), 1}, {"C", CH(AGAINST), 1}};
    tally_in_t in = vote_in(3, b, 3);
    tally_out_t o;
    in.rules.pass_permille = 667; /* 2/3 = 666.7 per mille */
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(REJECTED));
    in.rules.pass_permille = 666;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED));
}

static void
test_abstentions_not_cast(void **state)
{
    (void)state;
    /* 1 for, 0 against, 3 abstain: quorum met, 1/1 cast is for. */
    tally_ballot_t b[] = {{"A", CH(FOR), 1},
                          {"B", CH(ABSTAIN), 1},
                          {"C", CH(ABSTAIN), 1},
                          {"D", CH(ABSTAIN), 1}};
    tally_in_t in = vote_in(5, b, 4);
    tally_out_t o;
    tally(&in, &o);
    assert_int_equal(o.abstentions, 3);
    assert_int_equal(o.outcome, MS(ADOPTED));
    /* Only abstentions: nothing cast, rejected (quorum is met). */
    tally_ballot_t b2[] = {
        {"A", CH(ABSTAIN), 1}, {"B", CH(ABSTAIN), 1}, {"C", CH(ABSTAIN), 1}};
    in = vote_in(5, b2, 3);
    tally(&in, &o);
    assert_true(o.quorum_met);
    assert_int_equal(o.outcome, MS(REJECTED));
}

static void
test_late_votes(void **state)
{
    (void)state;
    /* closes_at 1000: a ballot at 999 counts, at 1000 and 2000 not. */
    tally_ballot_t b[] = {
        {"A", CH(AGAINST), 999}, {"B", CH(FOR), 1000}, {"C", CH(FOR), 2000}};
    tally_in_t in = vote_in(3, b, 3);
    tally_out_t o;
    tally(&in, &o);
    assert_int_equal(o.ignored, 2);
    assert_int_equal(o.participated, 1);
    assert_int_equal(o.outcome, MS(NO_QUORUM));
    /* No closing time (meeting vote): all count. */
    in.closes_at = 0;
    tally(&in, &o);
    assert_int_equal(o.participated, 3);
    assert_int_equal(o.outcome, MS(ADOPTED));
}

static void
test_duplicates_and_strangers(void **state)
{
    (void)state;
    /* B votes twice (the first counts), Z is not eligible. */
    tally_ballot_t b[] = {{"B", CH(AGAINST), 1},
                          {"B", CH(FOR), 2},
                          {"Z", CH(FOR), 1},
                          {"A", CH(FOR), 1}};
    tally_in_t in = vote_in(2, b, 4);
    tally_out_t o;
    tally(&in, &o);
    assert_int_equal(o.ignored, 2);
    assert_int_equal(o.votes_for, 1);
    assert_int_equal(o.votes_against, 1);
    assert_int_equal(o.outcome, MS(REJECTED));
    /* An objection in an ordinary vote is not counted. */
    tally_ballot_t b2[] = {{"A", CH(OBJECTION), 1}, {"B", CH(FOR), 1}};
    in = vote_in(2, b2, 2);
    tally(&in, &o);
    assert_int_equal(o.ignored, 1);
    assert_int_equal(o.objections, 0);
}

static void
test_suspended_mid_vote(void **state)
{
    (void)state;
    /* Eligible A..D frozen at the opening. C votes, is then suspended:
     * its ballot counts and the denominator stays 4. D is suspended
     * before voting and (refused by CastVote) never votes: it still
     * counts against the quorum. */
    tally_ballot_t b[] = {{"A", CH(FOR), 1}, {"C", CH(FOR), 2}};
    tally_in_t in = vote_in(4, b, 2);
    tally_out_t o;
    tally(&in, &o);
    assert_int_equal(o.eligible, 4);
    assert_int_equal(o.participated, 2);
    assert_true(o.quorum_met); /* 2/4 = 500 */
    assert_int_equal(o.outcome, MS(ADOPTED));
    assert_false(tally_all_voted(&in));
}

static void
test_charter_amended_mid_vote(void **state)
{
    (void)state;
    charter_ver_t v[] = {
        {1, "2025-01-01", {1, 500, 501, 200}},
        {2, "2025-03-01", {2, 800, 667, 300}},
    };
    charter_rules_t r = charter_in_force(v, 2, "2024-12-31");
    assert_int_equal(r.version, 0);
    assert_int_equal(r.pass_permille, 501);
    r = charter_in_force(v, 2, "2025-02-28");
    assert_int_equal(r.version, 1);
    r = charter_in_force(v, 2, "2025-03-01");
    assert_int_equal(r.version, 2);
    assert_int_equal(r.quorum_permille, 800);
    /* Order of arrival does not matter. */
    charter_ver_t w[] = {v[1], v[0]};
    r = charter_in_force(w, 2, "2025-06-01");
    assert_int_equal(r.version, 2);

    /* A vote opened on 2025-02-20 keeps version 1 although version 2 came
     * into force before it closed: 3 of 5 take part, 2 for 1 against. */
    tally_ballot_t b[] = {
        {"A", CH(FOR), 1}, {"B", CH(FOR), 1}, {"C", CH(AGAINST), 1}};
    tally_in_t in = vote_in(5, b, 3);
    tally_out_t o;
    in.rules = charter_in_force(v, 2, "2025-02-20");
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED));
    in.rules = charter_in_force(v, 2, "2025-03-02"); /* would fail quorum */
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(NO_QUORUM));
}

static void
test_zero_voters(void **state)
{
    (void)state;
    tally_in_t in = vote_in(0, NULL, 0);
    tally_out_t o;
    tally(&in, &o);
    assert_false(o.quorum_met);
    assert_int_equal(o.outcome, MS(NO_QUORUM));
    assert_false(tally_all_voted(&in));
    in = vote_in(3, NULL, 0);
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(NO_QUORUM));
    in.rules.quorum_permille = 0; /* a charter without quorum */
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(REJECTED)); /* nothing cast */
}

static void
test_all_voted_early_close(void **state)
{
    (void)state;
    tally_ballot_t b[] = {
        {"A", CH(FOR), 1}, {"B", CH(ABSTAIN), 1}, {"C", CH(AGAINST), 1}};
    tally_in_t in = vote_in(3, b, 2);
    assert_false(tally_all_voted(&in));
    in.n_ballots = 3;
    assert_true(tally_all_voted(&in));
    /* A duplicate does not make up for a missing unit. */
    tally_ballot_t b2[] = {
        {"A", CH(FOR), 1}, {"A", CH(FOR), 1}, {"B", CH(FOR), 1}};
    in = vote_in(3, b2, 3);
    assert_false(tally_all_voted(&in));
}

static void
test_consent(void **state)
{
    (void)state;
    tally_ballot_t b[] = {{"A", CH(FOR), 1}};
    tally_in_t in = vote_in(10, b, 1);
    tally_out_t o;
    in.consent = true;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED)); /* silence is consent */
    in.n_ballots = 0;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED));
    tally_ballot_t b2[] = {{"A", CH(FOR), 1}, {"B", CH(OBJECTION), 1}};
    in.ballots = b2;
    in.n_ballots = 2;
    tally(&in, &o);
    assert_int_equal(o.objections, 1);
    assert_int_equal(o.outcome, MS(REJECTED));
    /* A late objection does not count. */
    b2[1].cast_at = 1000;
    tally(&in, &o);
    assert_int_equal(o.outcome, MS(ADOPTED));
    /* AGAINST/ABSTAIN are not choices of a consent decision. */
    assert_false(tally_choice_ok(true, CH(AGAINST)));
    assert_false(tally_choice_ok(true, CH(ABSTAIN)));
    assert_false(tally_choice_ok(false, CH(OBJECTION)));
    assert_false(tally_choice_ok(false, CH(UNSPECIFIED)));
    assert_true(tally_choice_ok(false, CH(ABSTAIN)));
}

static void
test_meeting_lifecycle(void **state)
{
    (void)state;
    int ok = 0;
    for (int f = 0; f <= 5; f++)
        for (int t = 0; t <= 5; t++) {
            bool want = (f == MT(SCHEDULED) && t == MT(HELD)) ||
                        (f == MT(SCHEDULED) && t == MT(CANCELLED)) ||
                        (f == MT(HELD) && t == MT(MINUTES_PUBLISHED));
            assert_int_equal(meeting_transition_ok(f, t), want);
            ok += want;
        }
    assert_int_equal(ok, 3);
}

static void
test_inquiry_lifecycle(void **state)
{
    (void)state;
#define IS(x) COGOV__V1__INQUIRY_STATUS__INQUIRY_STATUS_##x
    int ok = 0;
    for (int f = 0; f <= 4; f++)
        for (int t = 0; t <= 4; t++) {
            bool want = ((f == IS(OPEN) || f == IS(ROUTED)) &&
                         (t == IS(ROUTED) || t == IS(ANSWERED))) ||
                        (f == IS(ANSWERED) && t == IS(RATED));
            assert_int_equal(inquiry_transition_ok(f, t), want);
            ok += want;
        }
    assert_int_equal(ok, 5);
#undef IS
}

static void
test_date_of(void **state)
{
    (void)state;
    char d[16];
    date_of(1735660800, 28800, d, sizeof d); /* 2024-12-31T16:00Z */
    assert_string_equal(d, "2025-01-01");
    date_of(1735660799, 28800, d, sizeof d);
    assert_string_equal(d, "2024-12-31");
}

static void
test_extraordinary_share(void **state)
{
    (void)state;
    /* 1/5 of 10 admitted units: 2 reach 200 permille, 1 does not. */
    assert_false(extraordinary_reached(1, 10, 200));
    assert_true(extraordinary_reached(2, 10, 200));
    assert_true(extraordinary_reached(3, 10, 200));
    /* A third of 7: 3 * 1000 = 3000 >= 334 * 7 = 2338; 2 * 1000 < 2338. */
    assert_false(extraordinary_reached(2, 7, 334));
    assert_true(extraordinary_reached(3, 7, 334));
    /* No admitted unit, or no counted request: never. */
    assert_false(extraordinary_reached(0, 0, 200));
    assert_false(extraordinary_reached(0, 10, 0));
    assert_true(extraordinary_reached(1, 10, 0));
    /* Denominator shrinking (units leaving) lets the same requests reach
     * it: 2 of 11 at 200 is 2000 < 2200; 2 of 10 reaches. */
    assert_false(extraordinary_reached(2, 11, 200));
    assert_true(extraordinary_reached(2, 10, 200));
    /* The whole body. */
    assert_true(extraordinary_reached(10, 10, 1000));
    assert_false(extraordinary_reached(9, 10, 1000));
}

static void
test_extraordinary_subject_id(void **state)
{
    char a[32], b[32], c[32];
    (void)state;
    extraordinary_subject_id("调整年度经费", a, sizeof a);
    extraordinary_subject_id("  调整年度经费\n", b, sizeof b);
    extraordinary_subject_id("调整年度经费预算", c, sizeof c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 22);
    assert_memory_equal(a, "extra-", 6);
}

static void
test_follow_up(void **state)
{
#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x
#define FU(x) COGOV__V1__FOLLOW_UP__FOLLOW_UP_##x
    (void)state;
    assert_int_equal(follow_up_of(false, TS(COMPLETED)), FU(NOT_STARTED));
    assert_int_equal(follow_up_of(true, TS(PROPOSED)), FU(NOT_STARTED));
    assert_int_equal(follow_up_of(true, TS(APPROVED)), FU(NOT_STARTED));
    assert_int_equal(follow_up_of(true, TS(IN_PROGRESS)), FU(IN_PROGRESS));
    assert_int_equal(follow_up_of(true, TS(COMPLETED)), FU(DONE));
    assert_int_equal(follow_up_of(true, TS(CANCELLED)), FU(CANCELLED));
#undef TS
#undef FU
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quorum_not_met),
        cmocka_unit_test(test_tie),
        cmocka_unit_test(test_two_thirds),
        cmocka_unit_test(test_abstentions_not_cast),
        cmocka_unit_test(test_late_votes),
        cmocka_unit_test(test_duplicates_and_strangers),
        cmocka_unit_test(test_suspended_mid_vote),
        cmocka_unit_test(test_charter_amended_mid_vote),
        cmocka_unit_test(test_zero_voters),
        cmocka_unit_test(test_all_voted_early_close),
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_meeting_lifecycle),
        cmocka_unit_test(test_inquiry_lifecycle),
        cmocka_unit_test(test_date_of),
        cmocka_unit_test(test_extraordinary_share),
        cmocka_unit_test(test_extraordinary_subject_id),
        cmocka_unit_test(test_follow_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
