/* matcher: the occupation <-> major mapping and the scoring and ranking of
 * talent demand <-> supply pairings (三张清单). Pure: no I/O. */
#include "matcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "validate.h"

#define DAY_S 86400

void
match_map_clear(match_map_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->pairs[i].occupation);
        free(m->pairs[i].major);
    }
    free(m->pairs);
    m->pairs = NULL;
    m->n = 0;
}

bool
match_map_fits(const match_map_t *m, const char *occupation, const char *major)
{
    if (occupation == NULL || major == NULL)
        return false;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->pairs[i].occupation, occupation) == 0 &&
            strcmp(m->pairs[i].major, major) == 0)
            return true;
    return false;
}

void
match_map_digest(const match_map_t *m, char *buf, size_t size)
{
    uint64_t h = hash64("", 0);
    for (size_t i = 0; i < m->n; i++) {
        char *line = xasprintf("%llx\x1f%s\x1f%s", (unsigned long long)h,
                               m->pairs[i].occupation, m->pairs[i].major);
        h = hash64(line, strlen(line));
        free(line);
    }
    snprintf(buf, size, "%016llx", (unsigned long long)h);
}

/* Copy [b, e) trimmed of ASCII blanks. */
static char *
trimmed(const char *b, const char *e)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    char *s = xmalloc((size_t)(e - b) + 1);
    memcpy(s, b, (size_t)(e - b));
    s[e - b] = 0;
    return s;
}

static int
check_name(const char *what, const char *s, size_t line, char *err,
           size_t errlen)
{
    if (s[0] == 0) {
        snprintf(err, errlen, "line %zu: %s is empty", line, what);
        return -EINVAL;
    }
    if (strchr(s, '"') != NULL || !valid_text(s, MATCH_NAME_MAX_CHARS, true) ||
        strchr(s, '\t')) {
        snprintf(err, errlen,
                 "line %zu: %s: at most %d characters, no quotes or control "
                 "characters",
                 line, what, MATCH_NAME_MAX_CHARS);
        return -EINVAL;
    }
    return 0;
}

static int
parse_line(const char *b, const char *e, size_t line, match_map_t *out,
           char *err, size_t errlen)
{
    const char *comma = memchr(b, ',', (size_t)(e - b));
    if (comma == NULL) {
        snprintf(err, errlen,
                 "line %zu: expected \"occupation,major\" (no comma)", line);
        return -EINVAL;
    }
    if (memchr(comma + 1, ',', (size_t)(e - comma - 1)) != NULL) {
        snprintf(err, errlen,
                 "line %zu: expected \"occupation,major\" (more than one "
                 "comma)",
                 line);
        return -EINVAL;
    }
    char *occ = trimmed(b, comma);
    char *maj = trimmed(comma + 1, e);
    int rc = check_name("occupation", occ, line, err, errlen);
    if (rc == 0)
        rc = check_name("major", maj, line, err, errlen);
    if (rc == 0 && line == 1 && strcmp(occ, "occupation") == 0 &&
        strcmp(maj, "major") == 0)
        goto skip; /* header */
    if (rc == 0 && match_map_fits(out, occ, maj))
        goto skip; /* duplicate */
    if (rc == 0 && out->n >= MATCH_MAP_MAX_PAIRS) {
        snprintf(err, errlen, "line %zu: more than %d pairs", line,
                 MATCH_MAP_MAX_PAIRS);
        rc = -EINVAL;
    }
    if (rc != 0)
        goto skip;
    out->pairs = xrealloc(out->pairs, (out->n + 1) * sizeof *out->pairs);
    out->pairs[out->n].occupation = occ;
    out->pairs[out->n].major = maj;
    out->n++;
    return 0;
skip:
    free(occ);
    free(maj);
    return rc;
}

int
match_map_parse(const char *text, size_t len, match_map_t *out, char *err,
                size_t errlen)
{
    match_map_clear(out);
    size_t pos = 0, line = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    if (!valid_utf8(text + pos, len - pos)) {
        /* Name the first line that is not UTF-8. */
        size_t ln = 1, start = pos;
        for (size_t i = pos; i <= len; i++) {
            if (i == len || text[i] == '\n') {
                if (!valid_utf8(text + start, i - start))
                    break;
                ln++;
                start = i + 1;
            }
        }
        snprintf(err, errlen, "line %zu: not valid UTF-8", ln);
        return -EINVAL;
    }
    while (pos < len) {
        line++;
        const char *b = text + pos;
        const char *nl = memchr(b, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        pos = (size_t)(e - text) + (nl ? 1 : 0);
        if (e > b && e[-1] == '\r')
            e--;
        const char *p = b;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (p == e || *p == '#')
            continue;
        if (parse_line(b, e, line, out, err, errlen) < 0) {
            match_map_clear(out);
            return -EINVAL;
        }
    }
    if (out->n == 0) {
        snprintf(err, errlen, "line %zu: no \"occupation,major\" pairs",
                 line ? line : 1);
        return -EINVAL;
    }
    return 0;
}

static bool
cooperated(const match_coop_t *coop, size_t n, const char *x, const char *y)
{
    for (size_t i = 0; i < n; i++)
        if ((strcmp(coop[i].a, x) == 0 && strcmp(coop[i].b, y) == 0) ||
            (strcmp(coop[i].a, y) == 0 && strcmp(coop[i].b, x) == 0))
            return true;
    return false;
}

bool
match_score(const match_map_t *m, const match_demand_t *d,
            const match_supply_t *s, const match_coop_t *coop, size_t n_coop,
            match_result_t *r)
{
    if (d->headcount <= 0 || s->graduates <= 0)
        return false;
    if (!match_map_fits(m, d->occupation, s->major))
        return false;

    int64_t q = d->headcount < s->graduates ? d->headcount : s->graduates;
    int score = MATCH_FIT_POINTS;
    score += (int)(MATCH_QUANTITY_POINTS * q / d->headcount);

    char qty[160], timing[200];
    if (q >= d->headcount)
        snprintf(qty, sizeof qty, "可供毕业生 %lld 人，足额覆盖需求 %lld 人",
                 (long long)s->graduates, (long long)d->headcount);
    else
        snprintf(qty, sizeof qty,
                 "可供毕业生 %lld 人，覆盖需求 %lld 人的 %lld%%",
                 (long long)s->graduates, (long long)d->headcount,
                 (long long)(100 * q / d->headcount));

    if (s->available_at <= d->needed_by_at) {
        score += MATCH_TIMING_POINTS;
        snprintf(timing, sizeof timing, "%s 毕业，不晚于需求日期 %s",
                 s->available_on, d->needed_by);
    } else {
        int64_t late = (s->available_at - d->needed_by_at + DAY_S - 1) / DAY_S;
        if (late <= MATCH_LATE_DAYS)
            score += MATCH_LATE_POINTS;
        snprintf(timing, sizeof timing, "%s 毕业，晚于需求日期 %s 共 %lld 天",
                 s->available_on, d->needed_by, (long long)late);
    }

    bool coop_yes = cooperated(coop, n_coop, d->member_id, s->member_id);
    if (coop_yes)
        score += MATCH_COOP_POINTS;

    r->score = score;
    r->quantity = q;
    r->reason =
        xasprintf("职业“%s”对应专业“%s”；%s；%s%s", d->occupation, s->major,
                  qty, timing, coop_yes ? "；双方已有共同任务" : "");
    return true;
}

/* qsort has no context argument; the comparison only needs the ids, which
 * the results carry through this parallel array. */
typedef struct ranked {
    match_result_t r;
    const char *demand_id;
    const char *supply_id;
} ranked_t;

static int
rank_cmp(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->r.score != y->r.score)
        return x->r.score > y->r.score ? -1 : 1;
    int c = strcmp(x->demand_id, y->demand_id);
    if (c != 0)
        return c;
    return strcmp(x->supply_id, y->supply_id);
}

size_t
match_propose(const match_map_t *m, const match_demand_t *d, size_t n_d,
              const match_supply_t *s, size_t n_s, const match_coop_t *coop,
              size_t n_coop, size_t limit, match_result_t **out)
{
    ranked_t *all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < n_d; i++) {
        for (size_t j = 0; j < n_s; j++) {
            match_result_t r = {0};
            if (!match_score(m, &d[i], &s[j], coop, n_coop, &r))
                continue;
            r.demand = i;
            r.supply = j;
            all = xrealloc(all, (n + 1) * sizeof *all);
            all[n].r = r;
            all[n].demand_id = d[i].demand_id;
            all[n].supply_id = s[j].supply_id;
            n++;
        }
    }
    if (n > 0)
        qsort(all, n, sizeof *all, rank_cmp);
    size_t keep = limit > 0 && limit < n ? limit : n;
    match_result_t *res = keep > 0 ? xmalloc(keep * sizeof *res) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (i < keep)
            res[i] = all[i].r;
        else
            free(all[i].r.reason);
    }
    free(all);
    *out = res;
    return keep;
}

void
match_results_free(match_result_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i].reason);
    free(r);
}

void
match_task_id(const char *demand_id, const char *supply_id, char *buf,
              size_t size)
{
    char *key = xasprintf("%s\x1f%s", demand_id, supply_id);
    snprintf(buf, size, "match-%016llx",
             (unsigned long long)hash64(key, strlen(key)));
    free(key);
}
