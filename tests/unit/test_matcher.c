/* test_matcher: the occupation <-> major mapping file and the ranking,
 * scores and reasons of talent demand <-> supply pairings. Pure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/coordination/matcher.c"

#define D(day) ((int64_t)(day)*DAY_S)

static const char map_text[] = "\xef\xbb\xbfoccupation,major\r\n"
                               "# 默认对照\r\n"
                               "数控车工,数控技术\r\n"
                               "\r\n"
                               "  电工 , 电气自动化技术 \n"
                               "数控车工,数控技术\n"
                               "软件开发,软件技术";

static void
load(match_map_t *m)
{
    char err[128] = "";
    int rc = match_map_parse(map_text, sizeof map_text - 1, m, err, sizeof err);
    if (rc != 0)
        fail_msg("parse: %s", err);
}

static void
test_map_parse(void **state)
{
    (void)state;
    match_map_t m = {0};
    load(&m);
    assert_int_equal(m.n, 3); /* header, comment, blank, duplicate skipped */
    assert_string_equal(m.pairs[1].occupation, "电工");
    assert_string_equal(m.pairs[1].major, "电气自动化技术");
    assert_true(match_map_fits(&m, "软件开发", "软件技术"));
    assert_false(match_map_fits(&m, "软件开发", "数控技术"));
    char d1[17], d2[17];
    match_map_digest(&m, d1, sizeof d1);
    match_map_clear(&m);
    assert_int_equal(m.n, 0);
    load(&m);
    match_map_digest(&m, d2, sizeof d2);
    assert_string_equal(d1, d2);
    match_map_clear(&m);
}

static void
test_map_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"a,b\nnocomma\n", "line 2: expected \"occupation,major\" (no comma)"},
        {"a,b\n\nx,y,z\n",
         "line 3: expected \"occupation,major\" (more than one comma)"},
        {"a,b\n , b\n", "line 2: occupation is empty"},
        {"a,b\nc,\n", "line 2: major is empty"},
        {"a,b\n\"c\",d\n",
         "line 2: occupation: at most 50 characters, no quotes or control "
         "characters"},
        {"a,b\nc,d\xff\n", "line 2: not valid UTF-8"},
        {"# only a comment\n\n", "line 2: no \"occupation,major\" pairs"},
        {"", "line 1: no \"occupation,major\" pairs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        match_map_t m = {0};
        char err[160] = "";
        int rc = match_map_parse(cases[i].text, strlen(cases[i].text), &m, err,
                                 sizeof err);
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, cases[i].err);
        assert_int_equal(m.n, 0);
        assert_null(m.pairs);
    }
}

static const match_demand_t demand = {"d1", "ENT",        "数控车工",
                                      50,   "2025-09-01", D(100)};

static void
test_score_full(void **state)
{
    (void)state;
    match_map_t m = {0};
    load(&m);
    match_supply_t s = {"s1", "SCH", "数控技术", 60, "2025-06-30", D(40)};
    match_coop_t coop[] = {{"SCH", "ENT"}};
    match_result_t r = {0};
    assert_true(match_score(&m, &demand, &s, coop, 1, &r));
    assert_int_equal(r.score, 100);
    assert_int_equal(r.quantity, 50);
    assert_string_equal(r.reason,
                        "职业“数控车工”对应专业“数控技术”；可供毕业生 60 "
                        "人，足额覆盖需求 50 人；2025-06-30 "
                        "毕业，不晚于需求日期 2025-09-01；双方已有共同任务");
    free(r.reason);
    match_map_clear(&m);
}

static void
test_score_partial_and_late(void **state)
{
    (void)state;
    match_map_t m = {0};
    load(&m);
    match_result_t r = {0};
    /* 40 of 50 (24 points), 30 days late (10 points), no cooperation. */
    match_supply_t s = {"s1", "SCH", "数控技术", 40, "2025-10-01", D(130)};
    assert_true(match_score(&m, &demand, &s, NULL, 0, &r));
    assert_int_equal(r.score, 40 + 24 + 10);
    assert_int_equal(r.quantity, 40);
    assert_non_null(strstr(r.reason, "覆盖需求 50 人的 80%"));
    assert_non_null(strstr(r.reason, "晚于需求日期 2025-09-01 共 30 天"));
    assert_null(strstr(r.reason, "共同任务"));
    free(r.reason);
    /* Far too late: no timing points. */
    s.available_at = D(100 + MATCH_LATE_DAYS + 1);
    assert_true(match_score(&m, &demand, &s, NULL, 0, &r));
    assert_int_equal(r.score, 40 + 24);
    free(r.reason);
    match_map_clear(&m);
}

static void
test_no_match(void **state)
{
    (void)state;
    match_map_t m = {0};
    load(&m);
    match_result_t r = {0};
    match_supply_t s = {"s1", "SCH", "软件技术", 60, "2025-06-30", D(40)};
    assert_false(match_score(&m, &demand, &s, NULL, 0, &r)); /* not mapped */
    s.major = "数控技术";
    s.graduates = 0; /* nothing left */
    assert_false(match_score(&m, &demand, &s, NULL, 0, &r));
    s.graduates = 10;
    match_demand_t d = demand;
    d.headcount = 0;
    assert_false(match_score(&m, &d, &s, NULL, 0, &r));
    assert_null(r.reason);
    match_map_clear(&m);
}

static void
test_propose_ranking(void **state)
{
    (void)state;
    match_map_t m = {0};
    load(&m);
    match_demand_t d[] = {
        {"d2", "ENT2", "电工", 20, "2025-09-01", D(100)},
        {"d1", "ENT", "数控车工", 50, "2025-09-01", D(100)},
    };
    match_supply_t s[] = {
        {"s3", "SCH2", "数控技术", 50, "2025-06-30", D(40)},      /* 90 */
        {"s1", "SCH", "数控技术", 10, "2025-06-30", D(40)},       /* 66 */
        {"s2", "SCH", "电气自动化技术", 20, "2025-06-30", D(40)}, /* 90 */
        {"s4", "SCH", "软件技术", 99, "2025-06-30", D(40)},       /* none */
    };
    match_result_t *r = NULL;
    size_t n = match_propose(&m, d, 2, s, 4, NULL, 0, 0, &r);
    assert_int_equal(n, 3);
    /* Ties broken by demand id, then supply id. */
    assert_string_equal(d[r[0].demand].demand_id, "d1");
    assert_string_equal(s[r[0].supply].supply_id, "s3");
    assert_int_equal(r[0].score, 90);
    assert_string_equal(d[r[1].demand].demand_id, "d2");
    assert_string_equal(s[r[1].supply].supply_id, "s2");
    assert_int_equal(r[1].score, 90);
    assert_string_equal(s[r[2].supply].supply_id, "s1");
    assert_int_equal(r[2].score, 40 + 6 + 20);
    match_results_free(r, n);
    /* Cooperation lifts s1 above the others; limit keeps the best. */
    match_coop_t coop[] = {{"ENT", "SCH"}};
    s[1].graduates = 50;
    n = match_propose(&m, d, 2, s, 4, coop, 1, 1, &r);
    assert_int_equal(n, 1);
    assert_string_equal(s[r[0].supply].supply_id, "s1");
    assert_int_equal(r[0].score, 100);
    match_results_free(r, n);
    match_map_clear(&m);
}

static void
test_task_id(void **state)
{
    (void)state;
    char a[32], b[32], c[32];
    match_task_id("d1", "s1", a, sizeof a);
    match_task_id("d1", "s1", b, sizeof b);
    match_task_id("d1s", "1", c, sizeof c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 6 + 16);
    assert_memory_equal(a, "match-", 6);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_parse),
        cmocka_unit_test(test_map_errors),
        cmocka_unit_test(test_score_full),
        cmocka_unit_test(test_score_partial_and_late),
        cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_propose_ranking),
        cmocka_unit_test(test_task_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
