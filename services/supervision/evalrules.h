/* evalrules: supervision's pure rules — the indicator file parser, the
 * aggregation of facts, scoring, veto, grading and periods. No SQLite, no
 * ZeroMQ; integer arithmetic only, so the same facts give the same numbers. */
#ifndef COGOV_EVALRULES_H
#define COGOV_EVALRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IND_KEY_MAX 48
#define IND_TEXT_MAX 128
#define IND_MAX 200
#define IND_TARGETS_MAX 10

typedef enum {
    AGG_COUNT,
    AGG_SUM,
    AGG_RATIO,
    AGG_LATEST,
    AGG_ONTIME
} ind_agg_t;
typedef enum { RULE_LINEAR, RULE_THRESHOLD, RULE_YESNO } ind_rule_t;
typedef enum {
    GROUP_BASIC = 1,
    GROUP_SUBSTANTIVE = 2,
    GROUP_VETO = 3
} ind_group_t;

typedef struct indicator {
    char key[IND_KEY_MAX];
    char dimension[IND_TEXT_MAX];
    char title[IND_TEXT_MAX];
    char unit[IND_KEY_MAX];
    ind_group_t group;
    int weight; /* points of 100; veto: 0 */
    ind_agg_t agg;
    char fact[IND_KEY_MAX];  /* fact source ("progress.interns_hosted") */
    char fact2[IND_KEY_MAX]; /* ratio denominator */
    char source[2 * IND_KEY_MAX + 8]; /* as written */
    ind_rule_t rule;
    char rule_text[IND_TEXT_MAX];
    int64_t thresholds[8];
    size_t n_thresholds;
    bool down; /* direction: less is better */
    int64_t target;
    int target_type[IND_TARGETS_MAX]; /* member type numbers */
    int64_t target_value[IND_TARGETS_MAX];
    size_t n_targets;
    unsigned line;
} indicator_t;

/* Member type names as in types.proto without the prefix ("ENTERPRISE"),
 * -> number; 0 if unknown. */
int ind_member_type(const char *name);
const char *ind_member_type_name(int type);

/* Parse an indicator file: one indicator per line, whitespace-separated
 * key=value fields; '#' starts a comment; blank lines ignored.
 *   key=ORDER_CLASS_STUDENTS group=substantive weight=20
 *   source=sum:progress.students_enrolled rule=linear target=40
 *   target.ENTERPRISE=60 direction=up unit=人 dimension=人才培养 title=订单班
 * Returns the number of indicators (>0) filling out[0..max), or -EINVAL with
 * err = "<name>:<line>: <what>". Nothing is returned on error. */
int ind_parse(const char *name, const char *text, indicator_t *out, size_t max,
              char *err, size_t errlen);

/* One fact: a value for a member from a source, at business time at. */
typedef struct fact {
    const char *source;
    int64_t at;
    int64_t value;
} fact_t;

/* The observed value of an indicator over facts (any order; `latest` takes
 * the fact with the greatest at, ties by greatest value). ratio and ontime
 * are per mille; -1 when there is nothing to divide by. */
int64_t ind_observe(const indicator_t *ind, const fact_t *facts, size_t n);

/* The target for a member type (per-type target, else the default). */
int64_t ind_target(const indicator_t *ind, int member_type);

/* Score in hundredths of a point, 0..weight*100, for an observed value and
 * target. For veto indicators *veto_failed is set when the rule is not met
 * in full (score is 0 then). observed -1 (no data) scores 0 except for a
 * "down" indicator, where no data is the best case (ask ind_applies first:
 * a non-veto on-time share or ratio without data is n/a, not scored). */
int64_t ind_score(const indicator_t *ind, int64_t observed, int64_t target,
                  bool *veto_failed);

/* Whether an indicator applies to a member in a round, given what
 * ind_observe gave (observed) and the member's target. A non-veto
 * indicator does not apply — it is n/a, excluded from the total with its
 * weight (the others renormalized), neither scored 0 nor given full marks —
 * when
 *  - it is an on-time share or a ratio with nothing to divide by (observed
 *    -1: the unit made no pledges, received no inquiries), either
 *    direction; or
 *  - it is an "up" indicator whose target for the member's type is zero or
 *    less (nothing is expected of that type) and the member has no fact of
 *    its source(s) in the facts given.
 * Veto indicators always apply (no evidence is judged by their rule), and so
 * do other "down" indicators with something measured. */
bool ind_applies(const indicator_t *ind, int64_t observed, int64_t target,
                 const fact_t *facts, size_t n);

/* Total in hundredths of 100 from the per-indicator scores of the non-veto
 * indicators: sum(scores) * 100 / sum(weights). A negative score marks an
 * indicator that does not apply (ind_applies): neither its score nor its
 * weight counts. 0 when nothing applies. */
int64_t ind_total(const indicator_t *inds, size_t n, const int64_t *scores);

/* The consortium against an annual goal: observed (-1: no data) against
 * target; *permille the share reached, capped at 1000 (-1: no data; 1000
 * for a target <= 0); returns whether it is met (at or below the target
 * for a "down" indicator). */
bool ind_goal(const indicator_t *ind, int64_t observed, int64_t target,
              int64_t *permille);

/* Grade numbers as in supervision.proto: 1 EXCELLENT, 2 GOOD, 3 PASS, 4 FAIL.
 * Thresholds in points (e.g. 90, 80, 60); total in hundredths. */
int ind_grade(int64_t total, bool veto_failed, int excellent, int good,
              int pass);

/* A period "YYYY" or "YYYYQn" -> [from, to) in business time for a zone
 * offset (seconds east of UTC). -EINVAL if malformed. */
int period_bounds(const char *period, long long utc_offset, int64_t *from,
                  int64_t *to);
/* The quarter holding business time t: "YYYYQn" into buf (size >= 7).
 * -ERANGE outside the years period_bounds accepts (2000..2100). */
int period_quarter_at(int64_t t, long long utc_offset, char *buf, size_t size);
/* Unix seconds for a civil date at 00:00 local. */
int64_t civil_to_time(int y, int m, int d, long long utc_offset);
/* "YYYY-MM-DD" -> end of that day (next midnight) local; -EINVAL. */
int date_end(const char *date, long long utc_offset, int64_t *out);

#endif
