/* policy: parse policy texts and compute amounts (pure; see policy.h). */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

static const char *const task_kinds[] = {NULL,
                                         "order_class",
                                         "apprenticeship",
                                         "industry_college",
                                         "practice_base",
                                         "tech_project",
                                         "teacher_exchange",
                                         "curriculum",
                                         "training",
                                         "other"};
static const char *const member_types[] = {NULL,
                                           "government_department",
                                           "park_committee",
                                           "leading_enterprise",
                                           "enterprise",
                                           "university",
                                           "higher_vocational_college",
                                           "secondary_vocational_school",
                                           "research_institute",
                                           "industry_association",
                                           "operating_company"};
/* supervision's Grade, by value */
static const char *const grades[] = {NULL, "excellent", "good", "pass", "fail"};
static const char *const measures[] = {NULL, "students", "intern_months",
                                       "training_hours", "quantity"};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define KV_MAX 12

typedef struct kv {
    char key[24];
    char val[128];
    bool used;
} kv_t;

typedef struct pctx {
    const char *source;
    int line;
    char *err;
    size_t errlen;
} pctx_t;

static int
perr(pctx_t *p, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->source, p->line);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

const char *
measure_name(measure_t m)
{
    return m > 0 && (size_t)m < N(measures) ? measures[m] : "?";
}

static int
lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* "a,b,c" of names -> bit set; -1 on an unknown name. */
static int
name_set(pctx_t *p, const char *key, const char *val, const char *const *names,
         size_t n, uint32_t *out)
{
    char buf[128];
    char *save = NULL;

    snprintf(buf, sizeof buf, "%s", val);
    *out = 0;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        int i = lookup(names, n, t);
        if (i < 0)
            return perr(p, "%s: unknown name \"%s\"", key, t);
        *out |= 1u << i;
    }
    if (*out == 0)
        return perr(p, "%s: empty list", key);
    return 0;
}

/* Decimal integer, digits only (a sign only if allow_neg), no fractions:
 * money is whole fen. */
static int
parse_int(pctx_t *p, const char *key, const char *s, bool allow_neg,
          int64_t min, int64_t max, int64_t *out)
{
    const char *d = s;
    int64_t v = 0;
    bool neg = false;

    if (allow_neg && *d == '-') {
        neg = true;
        d++;
    }
    if (*d == 0)
        return perr(p, "%s: a whole number is required", key);
    for (; *d; d++) {
        if (!isdigit((unsigned char)*d))
            return perr(p,
                        "%s: \"%s\" is not a whole number (money is in "
                        "whole fen)",
                        key, s);
        if (v > (INT64_MAX - 9) / 10)
            return perr(p, "%s: too large", key);
        v = v * 10 + (*d - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return perr(p, "%s: %s out of range [%lld, %lld]", key, s,
                    (long long)min, (long long)max);
    *out = v;
    return 0;
}

static int
split_kv(pctx_t *p, char *rest, kv_t *kv, size_t *n)
{
    char *save = NULL;

    *n = 0;
    for (char *t = strtok_r(rest, " \t", &save); t;
         t = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL || eq == t || eq[1] == 0)
            return perr(p, "\"%s\": expected key=value", t);
        *eq = 0;
        if (strlen(t) >= sizeof kv[0].key || strlen(eq + 1) >= sizeof kv[0].val)
            return perr(p, "\"%s\": key or value too long", t);
        for (size_t i = 0; i < *n; i++)
            if (strcmp(kv[i].key, t) == 0)
                return perr(p, "%s: given twice", t);
        if (*n == KV_MAX)
            return perr(p, "too many keys");
        snprintf(kv[*n].key, sizeof kv[0].key, "%s", t);
        snprintf(kv[*n].val, sizeof kv[0].val, "%s", eq + 1);
        kv[*n].used = false;
        (*n)++;
    }
    return 0;
}

static const char *
get(kv_t *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) {
            kv[i].used = true;
            return kv[i].val;
        }
    return NULL;
}

static int
need(pctx_t *p, kv_t *kv, size_t n, const char *key, const char **out)
{
    *out = get(kv, n, key);
    return *out ? 0 : perr(p, "%s= is required", key);
}

static int
no_unknown(pctx_t *p, const kv_t *kv, size_t n, const char *directive)
{
    for (size_t i = 0; i < n; i++)
        if (!kv[i].used)
            return perr(p, "%s: unknown key \"%s\"", directive, kv[i].key);
    return 0;
}

static bool
id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > POL_ID_MAX)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static bool
kinds_overlap(uint32_t a, uint32_t b)
{
    return a == 0 || b == 0 || (a & b) != 0;
}

static int
parse_rule(pctx_t *p, policy_t *pol, const char *dir, kv_t *kv, size_t n)
{
    pol_rule_t r;
    const char *v;
    int err;

    memset(&r, 0, sizeof r);
    r.line = p->line;
    if (pol->n_rules == POL_MAX_RULES)
        return perr(p, "more than %d rules", POL_MAX_RULES);
    if ((err = need(p, kv, n, "id", &v)) < 0)
        return err;
    if (!id_ok(v))
        return perr(p, "id: 1..%d of [A-Za-z0-9._-]", POL_ID_MAX);
    snprintf(r.id, sizeof r.id, "%s", v);
    if ((v = get(kv, n, "kinds")) != NULL &&
        (err = name_set(p, "kinds", v, task_kinds, N(task_kinds), &r.kinds)) <
            0)
        return err;
    if (strcmp(dir, "rate") == 0) {
        int m;
        r.kind = RULE_RATE;
        if ((err = need(p, kv, n, "measure", &v)) < 0)
            return err;
        if ((m = lookup(measures, N(measures), v)) < 0)
            return perr(p,
                        "measure: \"%s\" is not one of students, "
                        "intern_months, training_hours, quantity",
                        v);
        r.measure = (measure_t)m;
        if ((err = need(p, kv, n, "fen", &v)) < 0 ||
            (err = parse_int(p, "fen", v, false, 1, INT32_MAX, &r.fen)) < 0)
            return err;
        r.per = 1;
        if ((v = get(kv, n, "per")) != NULL &&
            (err = parse_int(p, "per", v, false, 1, 1000000, &r.per)) < 0)
            return err;
    } else if (strcmp(dir, "lump") == 0) {
        r.kind = RULE_LUMP;
        if ((err = need(p, kv, n, "fen", &v)) < 0 ||
            (err = parse_int(p, "fen", v, false, 1, INT32_MAX * 100LL,
                             &r.fen)) < 0)
            return err;
    } else if (strcmp(dir, "honour") == 0) {
        r.kind = RULE_HONOUR;
        if ((err = need(p, kv, n, "grade", &v)) < 0)
            return err;
        if (lookup(grades, N(grades), v) < 0)
            return perr(p, "grade: one of excellent, good, pass, fail");
        r.grade = lookup(grades, N(grades), v);
        if ((err = need(p, kv, n, "title", &v)) < 0)
            return err;
        if (!valid_text(v, 40, true))
            return perr(p, "title: 1..40 characters of UTF-8 text");
        snprintf(r.title, sizeof r.title, "%s", v);
    } else {
        r.kind = RULE_GRADE;
        if ((err = need(p, kv, n, "grade", &v)) < 0)
            return err;
        if (lookup(grades, N(grades), v) < 0)
            return perr(p, "grade: one of excellent, good, pass, fail");
        r.grade = lookup(grades, N(grades), v);
        if ((err = need(p, kv, n, "fen", &v)) < 0 ||
            (err = parse_int(p, "fen", v, true, -INT32_MAX * 100LL,
                             INT32_MAX * 100LL, &r.fen)) < 0)
            return err;
        if (r.fen == 0)
            return perr(p, "fen: a grade rule of 0 fen does nothing");
    }
    if ((err = no_unknown(p, kv, n, dir)) < 0)
        return err;
    for (size_t i = 0; i < pol->n_rules; i++) {
        const pol_rule_t *o = &pol->rules[i];
        if (strcmp(o->id, r.id) == 0)
            return perr(p, "rule id \"%s\" already used on line %d", r.id,
                        o->line);
        if (o->kind != r.kind)
            continue;
        if ((r.kind == RULE_RATE && o->measure == r.measure &&
             kinds_overlap(o->kinds, r.kinds)) ||
            (r.kind == RULE_LUMP && kinds_overlap(o->kinds, r.kinds)) ||
            ((r.kind == RULE_GRADE || r.kind == RULE_HONOUR) &&
             o->grade == r.grade && kinds_overlap(o->kinds, r.kinds)))
            return perr(p,
                        "ambiguous: rule \"%s\" overlaps rule \"%s\" "
                        "(line %d) for the same events",
                        r.id, o->id, o->line);
    }
    pol->rules[pol->n_rules++] = r;
    return 0;
}

static int
parse_line(pctx_t *p, policy_t *pol, char *line, bool *seen_policy)
{
    kv_t kv[KV_MAX];
    size_t n;
    char *dir = line, *rest;
    const char *v;
    int err;

    while (*dir == ' ' || *dir == '\t')
        dir++;
    if (*dir == 0 || *dir == '#')
        return 0;
    rest = dir + strcspn(dir, " \t");
    if (*rest)
        *rest++ = 0;
    if ((err = split_kv(p, rest, kv, &n)) < 0)
        return err;
    if (strcmp(dir, "policy") == 0) {
        int64_t ver;
        if (*seen_policy)
            return perr(p, "a second \"policy\" line: one policy per text");
        if ((err = need(p, kv, n, "id", &v)) < 0)
            return err;
        if (!id_ok(v))
            return perr(p, "id: 1..%d of [A-Za-z0-9._-]", POL_ID_MAX);
        snprintf(pol->id, sizeof pol->id, "%s", v);
        if ((err = need(p, kv, n, "version", &v)) < 0 ||
            (err = parse_int(p, "version", v, false, 1, 1000000, &ver)) < 0)
            return err;
        pol->version = (uint32_t)ver;
        if ((err = need(p, kv, n, "effective", &v)) < 0)
            return err;
        if (!valid_date(v))
            return perr(p, "effective: \"%s\" is not a date YYYY-MM-DD", v);
        snprintf(pol->effective_on, sizeof pol->effective_on, "%s", v);
        if ((err = need(p, kv, n, "pool", &v)) < 0)
            return err;
        if (!id_ok(v))
            return perr(p, "pool: 1..%d of [A-Za-z0-9._-]", POL_ID_MAX);
        snprintf(pol->pool_id, sizeof pol->pool_id, "%s", v);
        *seen_policy = true;
        return no_unknown(p, kv, n, dir);
    }
    if (!*seen_policy)
        return perr(p, "\"%s\" before the \"policy\" line", dir);
    if (strcmp(dir, "cap") == 0) {
        if (n != 1)
            return perr(p, "cap: exactly one of member_year_fen=, pool_fen=");
        if ((v = get(kv, n, "member_year_fen")) != NULL) {
            if (pol->cap_member_year_fen)
                return perr(p, "ambiguous: member_year_fen capped twice");
            return parse_int(p, "member_year_fen", v, false, 1, INT64_MAX / 4,
                             &pol->cap_member_year_fen);
        }
        if ((v = get(kv, n, "pool_fen")) != NULL) {
            if (pol->cap_pool_fen)
                return perr(p, "ambiguous: pool_fen capped twice");
            return parse_int(p, "pool_fen", v, false, 1, INT64_MAX / 4,
                             &pol->cap_pool_fen);
        }
        return no_unknown(p, kv, n, dir);
    }
    if (strcmp(dir, "eligible") == 0) {
        if (pol->eligible_types)
            return perr(p, "ambiguous: a second \"eligible\" line");
        if ((err = need(p, kv, n, "types", &v)) < 0 ||
            (err = name_set(p, "types", v, member_types, N(member_types),
                            &pol->eligible_types)) < 0)
            return err;
        return no_unknown(p, kv, n, dir);
    }
    if (strcmp(dir, "rate") == 0 || strcmp(dir, "lump") == 0 ||
        strcmp(dir, "grade") == 0 || strcmp(dir, "honour") == 0)
        return parse_rule(p, pol, dir, kv, n);
    return perr(p,
                "unknown directive \"%s\" (policy, eligible, cap, rate, "
                "lump, grade, honour)",
                dir);
}

int
policy_parse(const char *text, const char *source, policy_t *out, char *err,
             size_t errlen)
{
    pctx_t p = {source ? source : "policy", 0, err, errlen};
    bool seen = false;
    const char *s = text;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = 0;
    while (rc == 0 && s && *s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char line[512];

        p.line++;
        if (len >= sizeof line)
            return perr(&p, "line longer than %zu bytes", sizeof line - 1);
        memcpy(line, s, len);
        line[len] = 0;
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        rc = parse_line(&p, out, line, &seen);
        s = nl ? nl + 1 : NULL;
    }
    if (rc == 0 && !seen) {
        p.line = p.line ? p.line : 1;
        return perr(&p, "no \"policy\" line");
    }
    if (rc == 0 && out->n_rules == 0)
        return perr(&p, "policy %s has no rules", out->id);
    return rc;
}

int64_t
policy_rate_fen(int64_t qty, int64_t rate_fen, int64_t per)
{
    __int128 num = (__int128)qty * rate_fen;
    __int128 q;
    bool neg = num < 0;

    if (per <= 0)
        return 0;
    if (neg)
        num = -num;
    q = (num + per / 2) / per; /* half up: a remainder >= per/2 rounds up */
    if (q > INT64_MAX / 2)
        q = INT64_MAX / 2;
    return neg ? -(int64_t)q : (int64_t)q;
}

bool
policy_rule_matches_kind(const pol_rule_t *r, int task_kind)
{
    return r->kinds == 0 ||
           (task_kind > 0 && task_kind < 32 && (r->kinds & (1u << task_kind)));
}

bool
policy_eligible_type(const policy_t *p, int member_type)
{
    return p->eligible_types == 0 ||
           (member_type > 0 && member_type < 32 &&
            (p->eligible_types & (1u << member_type)));
}

int64_t
policy_cap(const policy_t *p, int64_t raw, int64_t member_year_used,
           int64_t pool_used, char *why, size_t whylen)
{
    int64_t amt = raw;

    if (whylen)
        why[0] = 0;
    if (raw <= 0)
        return raw;
    if (p->cap_member_year_fen > 0) {
        int64_t left = p->cap_member_year_fen - member_year_used;
        if (left < 0)
            left = 0;
        if (amt > left) {
            amt = left;
            snprintf(why, whylen, "member-year cap %lld fen, %lld used",
                     (long long)p->cap_member_year_fen,
                     (long long)member_year_used);
        }
    }
    if (p->cap_pool_fen > 0) {
        int64_t left = p->cap_pool_fen - pool_used;
        if (left < 0)
            left = 0;
        if (amt > left) {
            amt = left;
            snprintf(why, whylen, "policy pool cap %lld fen, %lld used",
                     (long long)p->cap_pool_fen, (long long)pool_used);
        }
    }
    return amt;
}

int64_t
policy_deduct(int64_t raw, int64_t member_net, char *why, size_t whylen)
{
    int64_t room = member_net > 0 ? member_net : 0;
    int64_t amt = raw < -room ? -room : raw;

    if (whylen)
        why[0] = 0;
    if (raw >= 0)
        return raw;
    if (amt != raw)
        snprintf(why, whylen,
                 "penalty %lld fen netted against the %lld fen the member's "
                 "earlier claims of this policy in the year come to: "
                 "limited to %lld fen",
                 (long long)raw, (long long)room, (long long)amt);
    else
        snprintf(why, whylen,
                 "penalty netted against the %lld fen the member's earlier "
                 "claims of this policy in the year come to",
                 (long long)room);
    return amt;
}
