/* test_evalrules: supervision's pure rules: the indicator file parser
 * (malformed files refused naming the line), aggregation, every scoring
 * rule, veto, grading, totals, periods and reproducibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../services/supervision/evalrules.c"

static indicator_t inds[IND_MAX];
static char err[256];

static int
parse(const char *text)
{
    return ind_parse("f.txt", text, inds, IND_MAX, err, sizeof err);
}

static void
test_parse_ok(void **state)
{
    (void)state;
    int n = parse("# comment\n\n"
                  "key=A group=basic weight=40 source=sum:progress.x "
                  "rule=linear target=10 target.ENTERPRISE=20 title=甲\n"
                  "key=B group=substantive weight=60 source=ratio:a.b/c.d "
                  "rule=threshold:10,20 # trailing\n"
                  "key=V group=veto source=count:r.o rule=yesno "
                  "direction=down target=0\n");
    assert_int_equal(n, 3);
    assert_string_equal(inds[0].key, "A");
    assert_string_equal(inds[0].title, "甲");
    assert_int_equal(inds[0].agg, AGG_SUM);
    assert_int_equal(ind_target(&inds[0], 4), 20);
    assert_int_equal(ind_target(&inds[0], 5), 10);
    assert_int_equal(inds[1].agg, AGG_RATIO);
    assert_string_equal(inds[1].fact2, "c.d");
    assert_int_equal(inds[1].n_thresholds, 2);
    assert_int_equal(inds[2].group, GROUP_VETO);
    assert_true(inds[2].down);
    assert_int_equal(inds[2].line, 5);
}

static void
expect_error(const char *text, const char *want)
{
    memset(inds, 0x5a, sizeof inds[0]);
    int n = parse(text);
    assert_int_equal(n, -EINVAL);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    /* nothing returned */
    assert_int_equal(((unsigned char *)&inds[0])[0], 0x5a);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    expect_error("key=A group=basic weight=10 source=sum:x\nkey=B group=x "
                 "weight=1 source=sum:y\n",
                 "f.txt:2: group");
    expect_error("key=A group=basic weight=10 source=avg:x\n",
                 "f.txt:1: source");
    expect_error("\n\nkey=A group=basic weight=101 source=sum:x\n",
                 "f.txt:3: weight");
    expect_error("key=A group=basic weight=10 source=sum:x rule=threshold:5,3",
                 "f.txt:1: rule");
    expect_error("key=A group=basic weight=10 source=sum:x\n"
                 "key=A group=basic weight=10 source=sum:x\n",
                 "f.txt:2: key A: already defined on line 1");
    expect_error("key=A group=basic source=sum:x\n", "f.txt:1: weight");
    expect_error("key=V group=veto weight=5 source=count:x\n",
                 "f.txt:1: weight");
    expect_error("key=A group=basic weight=10 source=sum:x bogus\n",
                 "not key=value");
    expect_error("key=A group=basic weight=10 source=sum:x target.MARS=1\n",
                 "unknown member type");
    expect_error("# nothing\n", "no indicators");
    expect_error("key=V group=veto source=count:x\n", "no weighted");
}

static void
test_observe(void **state)
{
    (void)state;
    fact_t f[] = {{"a", 10, 5}, {"a", 30, 7}, {"b", 20, 1}, {"a", 20, 9},
                  {"c", 5, 0},  {"c", 6, 1},  {"c", 7, 1}};
    indicator_t i = {0};
    strcpy(i.fact, "a");
    i.agg = AGG_COUNT;
    assert_int_equal(ind_observe(&i, f, 7), 3);
    i.agg = AGG_SUM;
    assert_int_equal(ind_observe(&i, f, 7), 21);
    i.agg = AGG_LATEST;
    assert_int_equal(ind_observe(&i, f, 7), 7);
    strcpy(i.fact, "c");
    i.agg = AGG_ONTIME;
    assert_int_equal(ind_observe(&i, f, 7), 666);
    i.agg = AGG_RATIO;
    strcpy(i.fact, "b");
    strcpy(i.fact2, "a");
    assert_int_equal(ind_observe(&i, f, 7), 1 * 1000 / 21);
    strcpy(i.fact, "zz");
    i.agg = AGG_ONTIME;
    assert_int_equal(ind_observe(&i, f, 7), -1);
    i.agg = AGG_LATEST;
    assert_int_equal(ind_observe(&i, f, 7), -1);
}

static void
test_score_rules(void **state)
{
    (void)state;
    indicator_t i = {0};
    bool vf;
    i.group = GROUP_BASIC;
    i.weight = 20;
    i.rule = RULE_LINEAR;
    assert_int_equal(ind_score(&i, 0, 40, &vf), 0);
    assert_int_equal(ind_score(&i, 10, 40, &vf), 500);
    assert_int_equal(ind_score(&i, 40, 40, &vf), 2000);
    assert_int_equal(ind_score(&i, 400, 40, &vf), 2000); /* capped */
    assert_int_equal(ind_score(&i, -1, 40, &vf), 0);     /* no data */
    assert_false(vf);
    i.down = true;
    assert_int_equal(ind_score(&i, 30, 40, &vf), 2000);
    assert_int_equal(ind_score(&i, 60, 40, &vf), 1000);
    assert_int_equal(ind_score(&i, 80, 40, &vf), 0);
    assert_int_equal(ind_score(&i, -1, 40, &vf), 2000);
    i.down = false;
    i.rule = RULE_YESNO;
    assert_int_equal(ind_score(&i, 1, 1, &vf), 2000);
    assert_int_equal(ind_score(&i, 0, 1, &vf), 0);
    i.rule = RULE_THRESHOLD;
    i.thresholds[0] = 600;
    i.thresholds[1] = 800;
    i.thresholds[2] = 950;
    i.n_thresholds = 3;
    assert_int_equal(ind_score(&i, 500, 0, &vf), 0);
    assert_int_equal(ind_score(&i, 700, 0, &vf), 666);
    assert_int_equal(ind_score(&i, 800, 0, &vf), 1333);
    assert_int_equal(ind_score(&i, 990, 0, &vf), 2000);
}

static void
test_veto(void **state)
{
    (void)state;
    indicator_t v = {0};
    bool vf = false;
    v.group = GROUP_VETO;
    v.rule = RULE_YESNO;
    v.down = true;
    assert_int_equal(ind_score(&v, 0, 0, &vf), 0);
    assert_false(vf);
    assert_int_equal(ind_score(&v, 1, 0, &vf), 0);
    assert_true(vf);
    /* a failed veto overrides an excellent total */
    assert_int_equal(ind_grade(9900, true, 90, 80, 60), 4);
    assert_int_equal(ind_grade(9900, false, 90, 80, 60), 1);
}

static void
test_grade_and_total(void **state)
{
    (void)state;
    assert_int_equal(ind_grade(9000, false, 90, 80, 60), 1);
    assert_int_equal(ind_grade(8999, false, 90, 80, 60), 2);
    assert_int_equal(ind_grade(8000, false, 90, 80, 60), 2);
    assert_int_equal(ind_grade(6000, false, 90, 80, 60), 3);
    assert_int_equal(ind_grade(5999, false, 90, 80, 60), 4);
    assert_int_equal(ind_grade(7000, false, 70, 65, 50), 1); /* configurable */
    indicator_t in[3];
    memset(in, 0, sizeof in);
    in[0].group = GROUP_BASIC, in[0].weight = 30;
    in[1].group = GROUP_SUBSTANTIVE, in[1].weight = 20;
    in[2].group = GROUP_VETO;
    int64_t sc[3] = {3000, 1000, 0};
    /* 40 of 50 points -> 80.00 of 100 */
    assert_int_equal(ind_total(in, 3, sc), 8000);
}

/* A member's round as handlers.c computes it: observe, target, applies
 * (n/a: -1), score, total over the first n indicators of inds. */
static int64_t
member_total(size_t n, const fact_t *f, size_t nf, int type, int64_t *scores,
             bool *veto_failed)
{
    *veto_failed = false;
    for (size_t k = 0; k < n; k++) {
        bool vf = false;
        int64_t obs = ind_observe(&inds[k], f, nf);
        int64_t tgt = ind_target(&inds[k], type);
        scores[k] = ind_applies(&inds[k], obs, tgt, f, nf)
                        ? ind_score(&inds[k], obs, tgt, &vf)
                        : -1;
        *veto_failed = *veto_failed || vf;
    }
    return ind_total(inds, n, scores);
}

/* n/a: a non-veto on-time share or ratio with nothing to divide by, and an
 * "up" indicator not expected of the type with no evidence, leave the total
 * with their weights; veto indicators always apply. */
static void
test_not_applicable(void **state)
{
    (void)state;
    int n = parse(
        "key=P group=basic weight=20 source=ontime:pledge.on_time "
        "rule=linear target=1000\n"
        "key=Q group=basic weight=20 source=ratio:inq.on_time/inq.asked "
        "rule=threshold:600,800,950 target=950\n"
        "key=D group=basic weight=10 source=ratio:inq.breached/inq.asked "
        "rule=linear direction=down target=100\n"
        "key=S group=substantive weight=40 source=sum:students rule=linear "
        "target=40\n"
        "key=G group=substantive weight=10 source=sum:investment rule=linear "
        "target=100 target.GOVERNMENT_DEPARTMENT=0\n"
        "key=V group=veto source=ontime:meeting.attended rule=yesno "
        "target=500\n"
        "key=W group=veto source=ratio:missed/made rule=yesno direction=down "
        "target=0\n");
    assert_int_equal(n, 7);
    int64_t sc[7];
    bool vf;

    /* only students: P, Q, D undefined -> n/a; G (up, target 100 for an
     * enterprise) applies and scores 0; S 20 of 40 -> 20.00 of 40 */
    fact_t f1[] = {{"students", 10, 20}};
    int64_t t = member_total(7, f1, 1, 4, sc, &vf);
    printf("students only: P %lld Q %lld D %lld S %lld G %lld total %lld\n",
           (long long)sc[0], (long long)sc[1], (long long)sc[2],
           (long long)sc[3], (long long)sc[4], (long long)t);
    assert_int_equal(sc[0], -1);
    assert_int_equal(sc[1], -1);
    assert_int_equal(sc[2], -1); /* not full marks for nothing either */
    assert_int_equal(sc[3], 2000);
    assert_int_equal(sc[4], 0);
    /* (2000 + 0) of S and G's 50 points: 40.00 (it was 2000 + D's 1000 of
     * 100 points, 30.00, when an undefined share scored) */
    assert_int_equal(t, 4000);
    /* the veto indicators apply with no data: V (up) fails, W (down)
     * passes */
    assert_true(ind_applies(&inds[5], -1, 500, f1, 1));
    assert_true(ind_applies(&inds[6], -1, 0, f1, 1));
    assert_true(vf);
    assert_int_equal(ind_grade(t, vf, 90, 80, 60), 4);

    /* the same unit as a government department: G not expected, no
     * investment -> n/a too; S alone decides: 50.00 */
    t = member_total(7, f1, 1, 1, sc, &vf);
    assert_int_equal(sc[4], -1);
    assert_int_equal(t, 5000);

    /* something to divide by: counted again. Pledges 1 of 2 on time (500
     * per mille: 10.00 of 20), inquiries answered 1 of 1 on time (20.00),
     * none breached (a down ratio of 0: 10.00), attendance 1 of 1 (V
     * passes); a numerator without its denominator (inq.breached with no
     * inq.asked) stays n/a */
    fact_t f2[] = {{"students", 10, 20},      {"pledge.on_time", 11, 1},
                   {"pledge.on_time", 12, 0}, {"inq.on_time", 13, 1},
                   {"inq.asked", 13, 1},      {"meeting.attended", 14, 1}};
    t = member_total(7, f2, 6, 4, sc, &vf);
    assert_int_equal(sc[0], 1000);
    assert_int_equal(sc[1], 2000);
    assert_int_equal(sc[2], 1000);
    assert_int_equal(sc[3], 2000);
    assert_int_equal(sc[4], 0);
    assert_false(vf);
    /* 6000 of 100 points */
    assert_int_equal(t, 6000);
    fact_t f3[] = {{"inq.breached", 13, 1}};
    assert_false(
        ind_applies(&inds[2], ind_observe(&inds[2], f3, 1), 100, f3, 1));

    /* nothing applies (P, Q, D alone, nothing to divide by): total 0 */
    t = member_total(3, f1, 1, 4, sc, &vf);
    assert_int_equal(sc[0] + sc[1] + sc[2], -3);
    assert_int_equal(t, 0);
}

static void
test_reproducible(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    printf("seed %u\n", seed);
    srand(seed);
    int n = parse("key=A group=basic weight=30 source=sum:a rule=linear "
                  "target=50\nkey=B group=substantive weight=70 "
                  "source=ontime:b rule=threshold:300,600,900\n"
                  "key=V group=veto source=count:v rule=yesno direction=down "
                  "target=0\n");
    assert_int_equal(n, 3);
    fact_t f[64];
    const char *srcs[] = {"a", "b", "v"};
    /* round 0: any source; round 1: no "b" (B's share is n/a) */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 64; i++)
            f[i] = (fact_t){srcs[round ? 0 : rand() % 2], rand() % 1000,
                            rand() % 10 > 6};
        int64_t t1, t2, s1[3], s2[3];
        bool v1, v2;
        t1 = member_total(3, f, 64, 4, s1, &v1);
        /* same facts in another order: identical numbers */
        for (int i = 0; i < 32; i++) {
            fact_t x = f[i];
            f[i] = f[63 - i];
            f[63 - i] = x;
        }
        t2 = member_total(3, f, 64, 4, s2, &v2);
        assert_int_equal(t1, t2);
        assert_memory_equal(s1, s2, sizeof s1);
        assert_true(v1 == v2);
        if (round == 1)
            assert_int_equal(s1[1], -1);
    }
}

static void
test_periods(void **state)
{
    (void)state;
    int64_t from, to;
    assert_int_equal(period_bounds("2025", 28800, &from, &to), 0);
    assert_int_equal(from, 1735660800); /* 2025-01-01T00:00+08:00 */
    assert_int_equal(to, 1767196800);
    assert_int_equal(period_bounds("2025Q2", 28800, &from, &to), 0);
    assert_int_equal(from, 1743436800); /* 2025-04-01+08:00 */
    assert_int_equal(to, 1751299200);   /* 2025-07-01+08:00 */
    assert_int_equal(period_bounds("2025Q5", 0, &from, &to), -EINVAL);
    assert_int_equal(period_bounds("25", 0, &from, &to), -EINVAL);
    assert_int_equal(date_end("2025-06-30", 28800, &to), 0);
    assert_int_equal(to, 1751299200);
}

static void
test_default_file(void **state)
{
    (void)state;
    /* the repository root from this file's path */
    char path[1024], buf[16384];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *cut = strstr(path, "tests/unit/test_evalrules.c");
    assert_non_null(cut);
    strcpy(cut, "deploy/data/indicators.default");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    int n = parse(buf);
    if (n < 0)
        fail_msg("%s", err);
    assert_true(n >= 10);
    int w = 0, veto = 0;
    for (int i = 0; i < n; i++) {
        w += inds[i].weight;
        veto += inds[i].group == GROUP_VETO;
    }
    assert_int_equal(w, 100);
    assert_true(veto >= 1);
}

static void
test_goal(void **state)
{
    (void)state;
    int64_t pm;
    assert_int_equal(parse("key=U group=basic weight=100 source=count:x "
                           "rule=linear target=1\n"
                           "key=D group=veto source=count:y rule=yesno "
                           "direction=down target=2\n"),
                     2);
    /* up: share of the target, capped; met at the target */
    assert_false(ind_goal(&inds[0], 3, 5, &pm));
    assert_int_equal(pm, 600);
    assert_true(ind_goal(&inds[0], 5, 5, &pm));
    assert_int_equal(pm, 1000);
    assert_true(ind_goal(&inds[0], 9, 5, &pm));
    assert_int_equal(pm, 1000);
    assert_false(ind_goal(&inds[0], 0, 5, &pm));
    assert_int_equal(pm, 0);
    /* no data: not met, no share */
    assert_false(ind_goal(&inds[0], -1, 5, &pm));
    assert_int_equal(pm, -1);
    /* a target of 0 is reached by anything */
    assert_true(ind_goal(&inds[0], 0, 0, &pm));
    assert_int_equal(pm, 1000);
    /* down: met at or below the target */
    assert_true(ind_goal(&inds[1], 2, 2, &pm));
    assert_false(ind_goal(&inds[1], 3, 2, &pm));
    /* an unknown indicator: as up */
    assert_true(ind_goal(NULL, 7, 7, &pm));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_observe),
        cmocka_unit_test(test_score_rules),
        cmocka_unit_test(test_veto),
        cmocka_unit_test(test_not_applicable),
        cmocka_unit_test(test_grade_and_total),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_default_file),
        cmocka_unit_test(test_goal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
