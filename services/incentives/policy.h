/* policy: incentive policies as data (DESIGN 1.3). A policy is a text of
 * lines "<directive> key=value ..." (README "Incentive policies"); parsing
 * is a pure function with "<file>:<line>: <why>" errors, and so is turning
 * one event's facts into amounts. No SQLite, no ZeroMQ. */
#ifndef COGOV_INC_POLICY_H
#define COGOV_INC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POL_ID_MAX 40
#define POL_MAX_RULES 64

typedef enum {
    RULE_RATE = 1,   /* fen per `per` units of a measure in progress_reported */
    RULE_LUMP = 2,   /* fen once per task_completed of a task kind */
    RULE_GRADE = 3,  /* fen bonus (>0) or penalty (<0) per evaluation grade */
    RULE_HONOUR = 4, /* a title granted per evaluation grade (no money) */
} rule_kind_t;

/* Measures of a progress report (coordination's Delivered). */
typedef enum {
    MEASURE_NONE = 0,
    MEASURE_STUDENTS = 1,       /* students_enrolled (order-class students) */
    MEASURE_INTERN_MONTHS = 2,  /* interns_hosted, counted in intern-months */
    MEASURE_TRAINING_HOURS = 3, /* training_hours */
    MEASURE_QUANTITY = 4,       /* quantity, in the task's unit */
} measure_t;

typedef struct pol_rule {
    char id[POL_ID_MAX + 1];
    rule_kind_t kind;
    int line;
    measure_t measure; /* RATE */
    uint32_t kinds;    /* task kinds it applies to (bit per TaskKind); 0: all */
    int64_t fen;       /* RATE: per `per` units; LUMP; GRADE (signed) */
    int64_t per;       /* RATE: >= 1 */
    int grade;         /* GRADE, HONOUR: supervision's Grade (1 excellent ..
                          4 fail) */
    char title[128];   /* HONOUR: UTF-8, e.g. 优秀成员单位 */
} pol_rule_t;

typedef struct policy {
    char id[POL_ID_MAX + 1];
    uint32_t version;
    char effective_on[11]; /* YYYY-MM-DD */
    char pool_id[POL_ID_MAX + 1];
    int64_t cap_member_year_fen; /* 0: none */
    int64_t cap_pool_fen;        /* 0: none */
    uint32_t eligible_types;     /* bit per MemberType; 0: all */
    size_t n_rules;
    pol_rule_t rules[POL_MAX_RULES];
} policy_t;

/* Parse `text` into *out. On error returns -EINVAL with
 * "<source>:<line>: <why>" in err. Rules that could both apply to the same
 * event with different amounts (same measure or grade, overlapping task
 * kinds) are refused as ambiguous. */
int policy_parse(const char *text, const char *source, policy_t *out, char *err,
                 size_t errlen);

/* fen = qty * rate_fen / per, rounded half up to the fen (half away from
 * zero for negatives); saturates instead of overflowing. */
int64_t policy_rate_fen(int64_t qty, int64_t rate_fen, int64_t per);

bool policy_rule_matches_kind(const pol_rule_t *r, int task_kind);
bool policy_eligible_type(const policy_t *p, int member_type);

/* Apply the caps: raw amount, what this member already has from the policy
 * in the year and what the policy already has in total (both counting
 * every non-rejected award). Returns the capped amount (never below 0 for
 * a positive raw, never changes a negative one) and describes the cap
 * applied in `why` ("" if none). */
int64_t policy_cap(const policy_t *p, int64_t raw, int64_t member_year_used,
                   int64_t pool_used, char *why, size_t whylen);

/* A grade penalty (raw < 0) netted against what the member's earlier
 * claims of the policy in the year come to in cap order (member_net,
 * penalties deducted): -min(-raw, max(member_net, 0)). A penalty is a
 * deduction from the member's awards, never money the member pays, so it
 * is 0 when there is nothing to deduct from. Describes the netting in
 * `why`. raw >= 0 is returned unchanged with why "". */
int64_t policy_deduct(int64_t raw, int64_t member_net, char *why,
                      size_t whylen);

const char *measure_name(measure_t m);

#endif
