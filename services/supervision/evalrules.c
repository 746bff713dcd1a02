/* evalrules: indicator parsing, aggregation, scoring, grading, periods. */
#include "evalrules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    "",
    "GOVERNMENT_DEPARTMENT",
    "PARK_COMMITTEE",
    "LEADING_ENTERPRISE",
    "ENTERPRISE",
    "UNIVERSITY",
    "HIGHER_VOCATIONAL_COLLEGE",
    "SECONDARY_VOCATIONAL_SCHOOL",
    "RESEARCH_INSTITUTE",
    "INDUSTRY_ASSOCIATION",
    "OPERATING_COMPANY",
};

int
ind_member_type(const char *name)
{
    for (size_t i = 1; i < sizeof type_names / sizeof *type_names; i++)
        if (strcmp(name, type_names[i]) == 0)
            return (int)i;
    return 0;
}

const char *
ind_member_type_name(int type)
{
    if (type <= 0 || (size_t)type >= sizeof type_names / sizeof *type_names)
        return "";
    return type_names[type];
}

static int
parse_fail(char *err, size_t errlen, const char *name, unsigned line,
           const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%u: %s", name, line, msg);
    return -EINVAL;
}

static bool
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    if (*s == 0)
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != 0 || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool
key_ok(const char *s, bool dots)
{
    if (*s == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || (dots && *s == '.')))
            return false;
    return true;
}

static bool
copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

static int
parse_source(indicator_t *ind, const char *v)
{
    static const char *const aggs[] = {"count", "sum", "ratio", "latest",
                                       "ontime"};
    const char *colon = strchr(v, ':');
    size_t i;

    if (colon == NULL)
        return -1;
    for (i = 0; i < 5; i++)
        if (strlen(aggs[i]) == (size_t)(colon - v) &&
            strncmp(v, aggs[i], (size_t)(colon - v)) == 0)
            break;
    if (i == 5)
        return -1;
    ind->agg = (ind_agg_t)i;
    const char *sel = colon + 1;
    const char *slash = strchr(sel, '/');
    if (ind->agg == AGG_RATIO) {
        if (slash == NULL || (size_t)(slash - sel) >= IND_KEY_MAX)
            return -1;
        memcpy(ind->fact, sel, (size_t)(slash - sel));
        ind->fact[slash - sel] = 0;
        if (!copy(ind->fact2, sizeof ind->fact2, slash + 1) ||
            !key_ok(ind->fact2, true))
            return -1;
    } else if (slash != NULL || !copy(ind->fact, sizeof ind->fact, sel)) {
        return -1;
    }
    if (!key_ok(ind->fact, true))
        return -1;
    copy(ind->source, sizeof ind->source, v);
    return 0;
}

static int
parse_rule(indicator_t *ind, const char *v)
{
    if (!copy(ind->rule_text, sizeof ind->rule_text, v))
        return -1;
    if (strcmp(v, "linear") == 0) {
        ind->rule = RULE_LINEAR;
        return 0;
    }
    if (strcmp(v, "yesno") == 0) {
        ind->rule = RULE_YESNO;
        return 0;
    }
    if (strncmp(v, "threshold:", 10) != 0)
        return -1;
    ind->rule = RULE_THRESHOLD;
    char buf[IND_TEXT_MAX];
    copy(buf, sizeof buf, v + 10);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        int64_t x;
        if (ind->n_thresholds == 8 || !parse_int(t, 0, INT64_MAX / 2000, &x))
            return -1;
        if (ind->n_thresholds > 0 &&
            x <= ind->thresholds[ind->n_thresholds - 1])
            return -1;
        ind->thresholds[ind->n_thresholds++] = x;
    }
    return ind->n_thresholds > 0 ? 0 : -1;
}

/* One line's fields into *ind; -EINVAL with err set. */
static int
parse_line(const char *name, unsigned line, char *text, indicator_t *ind,
           char *err, size_t errlen)
{
    char *save = NULL;
    bool have_weight = false, have_source = false, have_group = false;

    memset(ind, 0, sizeof *ind);
    ind->line = line;
    ind->target = 1;
    ind->rule = RULE_LINEAR;
    copy(ind->rule_text, sizeof ind->rule_text, "linear");
    for (char *f = strtok_r(text, " \t\r", &save); f;
         f = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(f, '=');
        int64_t x;
        if (eq == NULL || eq == f)
            return parse_fail(err, errlen, name, line,
                              "field \"%.40s\" is not key=value", f);
        *eq = 0;
        const char *k = f, *v = eq + 1;
        if (*v == 0)
            return parse_fail(err, errlen, name, line, "%s: empty value", k);
        if (strcmp(k, "key") == 0) {
            if (!key_ok(v, false) || !copy(ind->key, sizeof ind->key, v))
                return parse_fail(err, errlen, name, line,
                                  "key: letters, digits and _ only, at most %d",
                                  IND_KEY_MAX - 1);
        } else if (strcmp(k, "group") == 0) {
            if (strcmp(v, "basic") == 0)
                ind->group = GROUP_BASIC;
            else if (strcmp(v, "substantive") == 0)
                ind->group = GROUP_SUBSTANTIVE;
            else if (strcmp(v, "veto") == 0)
                ind->group = GROUP_VETO;
            else
                return parse_fail(err, errlen, name, line,
                                  "group: basic, substantive or veto");
            have_group = true;
        } else if (strcmp(k, "weight") == 0) {
            if (!parse_int(v, 0, 100, &x))
                return parse_fail(err, errlen, name, line, "weight: 0..100");
            ind->weight = (int)x;
            have_weight = true;
        } else if (strcmp(k, "source") == 0) {
            if (parse_source(ind, v) < 0)
                return parse_fail(err, errlen, name, line,
                                  "source: count|sum|latest|ontime:FACT or "
                                  "ratio:FACT/FACT");
            have_source = true;
        } else if (strcmp(k, "rule") == 0) {
            if (parse_rule(ind, v) < 0)
                return parse_fail(err, errlen, name, line,
                                  "rule: linear, yesno or threshold:A,B,... "
                                  "(ascending)");
        } else if (strcmp(k, "target") == 0) {
            if (!parse_int(v, 0, INT64_MAX / 2000, &x))
                return parse_fail(err, errlen, name, line,
                                  "target: integer >= 0");
            ind->target = x;
        } else if (strncmp(k, "target.", 7) == 0) {
            int t = ind_member_type(k + 7);
            if (t == 0)
                return parse_fail(err, errlen, name, line,
                                  "%s: unknown member type", k);
            if (ind->n_targets == IND_TARGETS_MAX ||
                !parse_int(v, 0, INT64_MAX / 2000, &x))
                return parse_fail(err, errlen, name, line, "%s: integer >= 0",
                                  k);
            ind->target_type[ind->n_targets] = t;
            ind->target_value[ind->n_targets++] = x;
        } else if (strcmp(k, "direction") == 0) {
            if (strcmp(v, "up") != 0 && strcmp(v, "down") != 0)
                return parse_fail(err, errlen, name, line,
                                  "direction: up or down");
            ind->down = strcmp(v, "down") == 0;
        } else if (strcmp(k, "unit") == 0) {
            if (!copy(ind->unit, sizeof ind->unit, v))
                return parse_fail(err, errlen, name, line, "unit: too long");
        } else if (strcmp(k, "dimension") == 0) {
            if (!copy(ind->dimension, sizeof ind->dimension, v))
                return parse_fail(err, errlen, name, line,
                                  "dimension: too long");
        } else if (strcmp(k, "title") == 0) {
            if (!copy(ind->title, sizeof ind->title, v))
                return parse_fail(err, errlen, name, line, "title: too long");
        } else {
            return parse_fail(err, errlen, name, line,
                              "unknown field \"%.40s\"", k);
        }
    }
    if (ind->key[0] == 0)
        return parse_fail(err, errlen, name, line, "key: required");
    if (!have_group || !have_source)
        return parse_fail(err, errlen, name, line,
                          "group and source: required");
    if (ind->group == GROUP_VETO && have_weight && ind->weight != 0)
        return parse_fail(err, errlen, name, line,
                          "weight: a veto indicator "
                          "carries no weight");
    if (ind->group != GROUP_VETO && (!have_weight || ind->weight == 0))
        return parse_fail(err, errlen, name, line, "weight: required, 1..100");
    if (ind->title[0] == 0)
        copy(ind->title, sizeof ind->title, ind->key);
    return 0;
}

int
ind_parse(const char *name, const char *text, indicator_t *out, size_t max,
          char *err, size_t errlen)
{
    indicator_t *tmp = calloc(max ? max : 1, sizeof *tmp);
    size_t n = 0;
    unsigned line = 0;
    int weights = 0;
    int rc = 0;
    const char *p = text;

    if (tmp == NULL)
        abort();
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char buf[1024];
        line++;
        if (len >= sizeof buf) {
            rc = parse_fail(err, errlen, name, line,
                            "line longer than %zu bytes", sizeof buf - 1);
            goto done;
        }
        memcpy(buf, p, len);
        buf[len] = 0;
        p += len + (nl ? 1 : 0);
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        if (strspn(buf, " \t\r") == strlen(buf))
            continue;
        if (n == max) {
            rc = parse_fail(err, errlen, name, line, "more than %zu indicators",
                            max);
            goto done;
        }
        rc = parse_line(name, line, buf, &tmp[n], err, errlen);
        if (rc < 0)
            goto done;
        for (size_t i = 0; i < n; i++)
            if (strcmp(tmp[i].key, tmp[n].key) == 0) {
                rc = parse_fail(err, errlen, name, line,
                                "key %s: already defined on line %u",
                                tmp[n].key, tmp[i].line);
                goto done;
            }
        weights += tmp[n].weight;
        n++;
    }
    if (n == 0) {
        rc = parse_fail(err, errlen, name, line, "no indicators");
        goto done;
    }
    if (weights == 0) {
        rc = parse_fail(err, errlen, name, line, "no weighted indicator");
        goto done;
    }
    memcpy(out, tmp, n * sizeof *tmp);
    rc = (int)n;
done:
    free(tmp);
    return rc;
}

int64_t
ind_observe(const indicator_t *ind, const fact_t *facts, size_t n)
{
    int64_t count = 0, sum = 0, sum2 = 0, latest = -1, latest_at = 0;
    bool have_latest = false;

    for (size_t i = 0; i < n; i++) {
        const fact_t *f = &facts[i];
        if (strcmp(f->source, ind->fact) == 0) {
            count++;
            sum += f->value;
            if (!have_latest || f->at > latest_at ||
                (f->at == latest_at && f->value > latest)) {
                latest = f->value;
                latest_at = f->at;
                have_latest = true;
            }
        } else if (ind->agg == AGG_RATIO &&
                   strcmp(f->source, ind->fact2) == 0) {
            sum2 += f->value;
        }
    }
    switch (ind->agg) {
    case AGG_COUNT:
        return count;
    case AGG_SUM:
        return sum;
    case AGG_LATEST:
        return have_latest ? latest : -1;
    case AGG_RATIO:
        return sum2 > 0 ? sum * 1000 / sum2 : -1;
    case AGG_ONTIME:
        return count > 0 ? sum * 1000 / count : -1;
    }
    return -1;
}

int64_t
ind_target(const indicator_t *ind, int member_type)
{
    for (size_t i = 0; i < ind->n_targets; i++)
        if (ind->target_type[i] == member_type)
            return ind->target_value[i];
    return ind->target;
}

int64_t
ind_score(const indicator_t *ind, int64_t observed, int64_t target,
          bool *veto_failed)
{
    int64_t full = ind->group == GROUP_VETO ? 100 : (int64_t)ind->weight * 100;
    int64_t score = 0;

    if (observed < 0) {
        score = ind->down ? full : 0;
    } else if (ind->rule == RULE_YESNO) {
        bool met = ind->down ? observed <= target : observed >= target;
        score = met ? full : 0;
    } else if (ind->rule == RULE_THRESHOLD) {
        size_t met = 0;
        for (size_t i = 0; i < ind->n_thresholds; i++)
            if (ind->down ? observed <= ind->thresholds[i]
                          : observed >= ind->thresholds[i])
                met++;
        score = full * (int64_t)met / (int64_t)ind->n_thresholds;
    } else if (!ind->down) {
        /* linear to the target, capped at full marks */
        if (target <= 0 || observed >= target)
            score = full;
        else
            score = full * observed / target;
    } else {
        /* down: full at or below the target, nothing at twice it */
        if (observed <= target)
            score = full;
        else if (target <= 0 || observed >= 2 * target)
            score = 0;
        else
            score = full * (2 * target - observed) / target;
    }
    if (veto_failed != NULL)
        *veto_failed = ind->group == GROUP_VETO && score < full;
    return ind->group == GROUP_VETO ? 0 : score;
}

bool
ind_applies(const indicator_t *ind, int64_t observed, int64_t target,
            const fact_t *facts, size_t n)
{
    if (ind->group == GROUP_VETO)
        return true;
    /* an undefined share measures nothing: not a 0, not full marks */
    if (observed < 0 && (ind->agg == AGG_RATIO || ind->agg == AGG_ONTIME))
        return false;
    if (ind->down || target > 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (strcmp(facts[i].source, ind->fact) == 0 ||
            (ind->agg == AGG_RATIO && strcmp(facts[i].source, ind->fact2) == 0))
            return true;
    return false;
}

int64_t
ind_total(const indicator_t *inds, size_t n, const int64_t *scores)
{
    int64_t sum = 0, weights = 0;

    for (size_t i = 0; i < n; i++) {
        if (inds[i].group == GROUP_VETO || scores[i] < 0)
            continue;
        sum += scores[i];
        weights += inds[i].weight;
    }
    return weights > 0 ? sum * 100 / weights : 0;
}

bool
ind_goal(const indicator_t *ind, int64_t observed, int64_t target,
         int64_t *permille)
{
    bool down = ind != NULL && ind->down;

    if (observed < 0) {
        *permille = -1;
        return false;
    }
    if (target <= 0 || observed >= target)
        *permille = 1000;
    else
        *permille = observed * 1000 / target;
    return down ? observed <= target : observed >= target;
}

int
ind_grade(int64_t total, bool veto_failed, int excellent, int good, int pass)
{
    if (veto_failed)
        return 4;
    if (total >= (int64_t)excellent * 100)
        return 1;
    if (total >= (int64_t)good * 100)
        return 2;
    if (total >= (int64_t)pass * 100)
        return 3;
    return 4;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t
civil_to_time(int y, int m, int d, long long utc_offset)
{
    return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 - utc_offset;
}

int
period_bounds(const char *period, long long utc_offset, int64_t *from,
              int64_t *to)
{
    int y, q = 0;
    size_t n = period ? strlen(period) : 0;

    if (n != 4 && n != 6)
        return -EINVAL;
    for (size_t i = 0; i < 4; i++)
        if (period[i] < '0' || period[i] > '9')
            return -EINVAL;
    y = atoi(period);
    if (y < 2000 || y > 2100)
        return -EINVAL;
    if (n == 6) {
        if (period[4] != 'Q' || period[5] < '1' || period[5] > '4')
            return -EINVAL;
        q = period[5] - '0';
    }
    if (q == 0) {
        *from = civil_to_time(y, 1, 1, utc_offset);
        *to = civil_to_time(y + 1, 1, 1, utc_offset);
    } else {
        *from = civil_to_time(y, 3 * q - 2, 1, utc_offset);
        *to = q == 4 ? civil_to_time(y + 1, 1, 1, utc_offset)
                     : civil_to_time(y, 3 * q + 1, 1, utc_offset);
    }
    return 0;
}

int
period_quarter_at(int64_t t, long long utc_offset, char *buf, size_t size)
{
    int64_t local = t + utc_offset;
    int64_t days = (local >= 0 ? local : local - 86399) / 86400;
    /* civil from days (Hinnant) */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);

    if (y < 2000 || y > 2100)
        return -ERANGE;
    snprintf(buf, size, "%04dQ%u", (int)y, (m + 2) / 3);
    return 0;
}

int
date_end(const char *date, long long utc_offset, int64_t *out)
{
    int y, m, d;
    char tail;

    if (date == NULL || strlen(date) != 10 ||
        sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return -EINVAL;
    *out = civil_to_time(y, m, d, utc_offset) + 86400;
    return 0;
}
