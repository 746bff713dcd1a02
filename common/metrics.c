/* metrics: counters, a histogram and the Prometheus text writer. */
#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define METRICS_LABEL_MAX 64

/* Commit latency buckets, seconds (SQLite WAL commits: sub-ms to seconds
 * when the disk is slow or a checkpoint competes). */
static const double k_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof(k_buckets) / sizeof(k_buckets[0]))

typedef struct series {
    char a[METRICS_LABEL_MAX];
    char b[METRICS_LABEL_MAX];
    uint64_t n;
} series_t;

/* Series in the order first counted (the order written), found through
 * an open-addressing index of their labels' hash: the request path counts
 * one per request, and a linear walk compared strings against every series
 * before it. */
typedef struct family {
    series_t *v;
    size_t n, cap;
    uint32_t *slots; /* series index + 1, 0: empty */
    size_t n_slots;  /* a power of two, at least twice n; 0 before any */
} family_t;

struct metrics {
    char service[METRICS_LABEL_MAX];
    family_t requests;        /* a = type, b = outcome */
    family_t rejects;         /* a = reason */
    family_t denials;         /* a = kind */
    uint64_t hist[N_BUCKETS]; /* non-cumulative per bucket */
    uint64_t hist_count;
    double hist_sum;
};

metrics_t *
metrics_new(const char *service)
{
    metrics_t *m = xcalloc(1, sizeof(*m));
    str_copy(m->service, sizeof(m->service), service);
    return m;
}

void
metrics_destroy(metrics_t **mp)
{
    metrics_t *m = *mp;
    if (m == NULL)
        return;
    free(m->requests.v);
    free(m->requests.slots);
    free(m->rejects.v);
    free(m->rejects.slots);
    free(m->denials.v);
    free(m->denials.slots);
    free(m);
    *mp = NULL;
}

/* A hash of a label as stored (at most METRICS_LABEL_MAX - 1 bytes,
 * str_copy's truncation), 8 bytes a step: a hit is confirmed by comparing
 * the label. */
static uint64_t
label_hash(uint64_t h, const char *v, size_t n)
{
    uint64_t w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, v + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)v[i]) * 0x100000001b3ULL;
    return (h ^ n) * 0x100000001b3ULL;
}

static uint64_t
labels_hash(const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = label_hash(0xcbf29ce484222325ULL, a, na);
    h = label_hash(h, b, nb);
    return h ^ (h >> 29);
}

/* Is the stored (truncated) label the given one's first n bytes? */
static bool
label_equal(const char *stored, const char *given, size_t n)
{
    return memcmp(stored, given, n) == 0 && stored[n] == '\0';
}

static size_t
label_len(const char *v)
{
    return strnlen(v, METRICS_LABEL_MAX - 1);
}

static void
slot_put(family_t *f, size_t idx, uint64_t h)
{
    size_t mask = f->n_slots - 1;
    size_t i = (size_t)h & mask;
    while (f->slots[i] != 0)
        i = (i + 1) & mask;
    f->slots[i] = (uint32_t)idx + 1;
}

static void
family_add(family_t *f, const char *a, const char *b)
{
    a = a != NULL ? a : "";
    b = b != NULL ? b : "";
    size_t na = label_len(a), nb = label_len(b);
    uint64_t h = labels_hash(a, na, b, nb);
    if (f->n_slots != 0) {
        size_t mask = f->n_slots - 1;
        for (size_t i = (size_t)h & mask; f->slots[i] != 0;
             i = (i + 1) & mask) {
            series_t *s = &f->v[f->slots[i] - 1];
            if (label_equal(s->a, a, na) && label_equal(s->b, b, nb)) {
                s->n++;
                return;
            }
        }
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
    }
    series_t *s = &f->v[f->n++];
    str_copy(s->a, sizeof(s->a), a);
    str_copy(s->b, sizeof(s->b), b);
    s->n = 1;
    if (f->n * 2 > f->n_slots) {
        free(f->slots);
        f->n_slots = f->n_slots ? f->n_slots * 2 : 32;
        f->slots = xcalloc(f->n_slots, sizeof(*f->slots));
        for (size_t i = 0; i < f->n; i++)
            slot_put(f, i,
                     labels_hash(f->v[i].a, strlen(f->v[i].a), f->v[i].b,
                                 strlen(f->v[i].b)));
    } else {
        slot_put(f, f->n - 1, h);
    }
}

void
metrics_count_request(metrics_t *m, const char *type, const char *outcome)
{
    family_add(&m->requests, type, outcome);
}

void
metrics_count_reject(metrics_t *m, const char *reason)
{
    family_add(&m->rejects, reason, NULL);
}

void
metrics_count_denial(metrics_t *m, const char *kind)
{
    family_add(&m->denials, kind, NULL);
}

void
metrics_observe_commit(metrics_t *m, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    size_t i = 0;
    while (i < N_BUCKETS && seconds > k_buckets[i])
        i++;
    if (i < N_BUCKETS)
        m->hist[i]++;
    m->hist_count++;
    m->hist_sum += seconds;
}

int64_t
metrics_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    long long size = 0, resident = 0;
    int got = fscanf(f, "%lld %lld", &size, &resident);
    fclose(f);
    if (got != 2)
        return -1;
    return (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
}

/* A label value with \, " and newline escaped, as the format asks. */
static void
put_label(FILE *f, const char *v)
{
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '"')
            fputs("\\\"", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{service="x"[,k="v"]...} — the caller prints the value. */
static void
series(FILE *f, const metrics_t *m, const char *name, const char *k1,
       const char *v1, const char *k2, const char *v2)
{
    fprintf(f, "%s{service=\"", name);
    put_label(f, m->service);
    fputc('"', f);
    if (k1 != NULL) {
        fprintf(f, ",%s=\"", k1);
        put_label(f, v1);
        fputc('"', f);
    }
    if (k2 != NULL) {
        fprintf(f, ",%s=\"", k2);
        put_label(f, v2);
        fputc('"', f);
    }
    fputs("} ", f);
}

static void
gauge(FILE *f, const metrics_t *m, const char *name, const char *help,
      long long v)
{
    head(f, name, "gauge", help);
    series(f, m, name, NULL, NULL, NULL, NULL);
    fprintf(f, "%lld\n", v);
}

int
metrics_write(const metrics_t *m, const metrics_view_t *v, FILE *f)
{
    head(f, "cogov_info", "gauge", "Build of the daemon (always 1).");
    series(f, m, "cogov_info", "version", v->version ? v->version : "", NULL,
           NULL);
    fputs("1\n", f);
    gauge(f, m, "cogov_uptime_seconds", "Seconds since the daemon started.",
          (long long)v->uptime_s);
    gauge(f, m, "cogov_resident_memory_bytes",
          "Resident set size of the daemon.", (long long)metrics_rss_bytes());
    gauge(f, m, "cogov_store_bytes", "Size of the daemon's SQLite store.",
          (long long)v->store_bytes);
    gauge(f, m, "cogov_stream_head",
          "Sequence number of the last event of this daemon's stream.",
          (long long)v->head);
    gauge(f, m, "cogov_stream_epoch", "Epoch of this daemon's stream.",
          (long long)v->epoch);
    gauge(f, m, "cogov_business_time_seconds",
          "Business time: the latest calendar tick applied (unix seconds).",
          (long long)v->business_time);
    gauge(f, m, "cogov_fetch_waiters",
          "1 when long-polling Fetches are waiting for new events.",
          (long long)v->waiters);
    gauge(f, m, "cogov_dead_letters",
          "Events of followed streams this daemon could never apply.",
          (long long)v->dead_letters);

    static const char *const cur[3][2] = {
        {"cogov_cursor_applied", "Last event of a followed stream applied."},
        {"cogov_cursor_head", "Head of a followed stream as last seen."},
        {"cogov_cursor_lag", "Events of a followed stream not applied yet."},
    };
    for (int k = 0; k < 3; k++) {
        head(f, cur[k][0], "gauge", cur[k][1]);
        for (size_t i = 0; i < v->n_cursors; i++) {
            const metrics_cursor_t *c = &v->cursors[i];
            uint64_t x = k == 0                 ? c->applied
                         : k == 1               ? c->head
                         : c->head > c->applied ? c->head - c->applied
                                                : 0;
            series(f, m, cur[k][0], "producer", c->producer, NULL, NULL);
            fprintf(f, "%llu\n", (unsigned long long)x);
        }
    }

    head(f, "cogov_requests_total", "counter",
         "Requests decoded and routed, by body type and outcome.");
    for (size_t i = 0; i < m->requests.n; i++) {
        series(f, m, "cogov_requests_total", "type", m->requests.v[i].a,
               "outcome", m->requests.v[i].b);
        fprintf(f, "%llu\n", (unsigned long long)m->requests.v[i].n);
    }
    head(f, "cogov_rejects_total", "counter",
         "Inputs refused before reaching a handler, by reason.");
    for (size_t i = 0; i < m->rejects.n; i++) {
        series(f, m, "cogov_rejects_total", "reason", m->rejects.v[i].a, NULL,
               NULL);
        fprintf(f, "%llu\n", (unsigned long long)m->rejects.v[i].n);
    }
    head(f, "cogov_denials_total", "counter",
         "Authentication and permission denials, by kind.");
    uint64_t counted = 0;
    for (size_t i = 0; i < m->denials.n; i++) {
        series(f, m, "cogov_denials_total", "kind", m->denials.v[i].a, NULL,
               NULL);
        fprintf(f, "%llu\n", (unsigned long long)m->denials.v[i].n);
        counted += m->denials.v[i].n;
    }
    series(f, m, "cogov_denials_total", "kind", "zap", NULL, NULL);
    fprintf(f, "%llu\n",
            (unsigned long long)(v->denials_total > counted
                                     ? v->denials_total - counted
                                     : 0));
    head(f, "cogov_skipped_unknown_total", "counter",
         "Events of unknown type skipped by this daemon's consumers.");
    series(f, m, "cogov_skipped_unknown_total", NULL, NULL, NULL, NULL);
    fprintf(f, "%llu\n", (unsigned long long)v->skipped_unknown);

    head(f, "cogov_commit_duration_seconds", "histogram",
         "Time to commit one group transaction of requests.");
    uint64_t cum = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        char le[32];
        cum += m->hist[i];
        snprintf(le, sizeof(le), "%g", k_buckets[i]);
        series(f, m, "cogov_commit_duration_seconds_bucket", "le", le, NULL,
               NULL);
        fprintf(f, "%llu\n", (unsigned long long)cum);
    }
    series(f, m, "cogov_commit_duration_seconds_bucket", "le", "+Inf", NULL,
           NULL);
    fprintf(f, "%llu\n", (unsigned long long)m->hist_count);
    series(f, m, "cogov_commit_duration_seconds_sum", NULL, NULL, NULL, NULL);
    fprintf(f, "%.9f\n", m->hist_sum);
    series(f, m, "cogov_commit_duration_seconds_count", NULL, NULL, NULL, NULL);
    fprintf(f, "%llu\n", (unsigned long long)m->hist_count);
    return ferror(f) ? -EIO : 0;
}

int
metrics_write_file(const metrics_t *m, const metrics_view_t *v,
                   const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
        (int)sizeof(tmp))
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -errno;
    int rc = metrics_write(m, v, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* ---- format check ------------------------------------------------------- */

static bool
name_ok(const char *p, size_t n, bool colon)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     c == '_' || (colon && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static bool
value_ok(const char *v)
{
    if (strcmp(v, "+Inf") == 0 || strcmp(v, "-Inf") == 0 ||
        strcmp(v, "NaN") == 0)
        return true;
    char *end = NULL;
    errno = 0;
    (void)strtod(v, &end);
    return end != v && *end == '\0' && errno == 0;
}

#define CHECK_FAIL(...)                                                        \
    do {                                                                       \
        snprintf(err, errlen, "line %d: ", lineno);                            \
        size_t l_ = strlen(err);                                               \
        snprintf(err + l_, errlen - l_, __VA_ARGS__);                          \
        rc = -EINVAL;                                                          \
        goto done;                                                             \
    } while (0)

int
metrics_check(const char *text, char *err, size_t errlen)
{
    int rc = 0, lineno = 0;
    char fam[256] = "", type[16] = "";
    /* seen families and series, newline-separated, for duplicate checks */
    size_t seen_cap = 2 * strlen(text) + 4;
    char *fams = xcalloc(1, seen_cap), *sers = xcalloc(1, seen_cap);
    size_t nf = 0, ns = 0;
    double last_bucket = -1, last_le = -1, inf_bucket = -1;
    const char *p = text;
    if (*p != '\0' && text[strlen(text) - 1] != '\n') {
        lineno = 0;
        CHECK_FAIL("text does not end with a newline");
    }
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = (size_t)(eol - p);
        char line[1024];
        lineno++;
        if (len >= sizeof(line))
            CHECK_FAIL("line too long");
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol + 1;
        if (len == 0)
            continue;
        if (line[0] == '#') {
            char kw[8] = "", nm[256] = "";
            int off = 0;
            if (sscanf(line, "# %7s %255s %n", kw, nm, &off) < 2)
                continue; /* a plain comment */
            if (strcmp(kw, "HELP") != 0 && strcmp(kw, "TYPE") != 0)
                continue;
            if (!name_ok(nm, strlen(nm), true))
                CHECK_FAIL("bad metric name '%s'", nm);
            if (strcmp(kw, "TYPE") == 0) {
                const char *t = line + off;
                if (strcmp(t, "counter") && strcmp(t, "gauge") &&
                    strcmp(t, "histogram") && strcmp(t, "summary") &&
                    strcmp(t, "untyped"))
                    CHECK_FAIL("unknown type '%s'", t);
                char key[260];
                snprintf(key, sizeof(key), "\n%s\n", nm);
                if (strstr(fams, key) != NULL)
                    CHECK_FAIL("second TYPE for %s", nm);
                nf += (size_t)snprintf(fams + nf, seen_cap - nf, "\n%s\n", nm);
                if (strcmp(t, "counter") == 0 &&
                    (strlen(nm) < 6 || strcmp(nm + strlen(nm) - 6, "_total")))
                    CHECK_FAIL("counter %s is not named *_total", nm);
                str_copy(fam, sizeof(fam), nm);
                str_copy(type, sizeof(type), t);
                last_bucket = last_le = inf_bucket = -1;
            }
            continue;
        }
        /* name{labels} value [timestamp] */
        size_t n = 0;
        while (line[n] != '\0' && line[n] != '{' && line[n] != ' ')
            n++;
        if (!name_ok(line, n, true))
            CHECK_FAIL("bad metric name");
        char name[256];
        if (n >= sizeof(name))
            CHECK_FAIL("metric name too long");
        memcpy(name, line, n);
        name[n] = '\0';
        const char *suffix = "";
        if (fam[0] != '\0' && strncmp(name, fam, strlen(fam)) == 0)
            suffix = name + strlen(fam);
        else
            CHECK_FAIL("sample %s outside its family (TYPE %s)", name, fam);
        bool hist = strcmp(type, "histogram") == 0;
        if (hist ? (strcmp(suffix, "_bucket") && strcmp(suffix, "_sum") &&
                    strcmp(suffix, "_count"))
                 : suffix[0] != '\0')
            CHECK_FAIL("sample %s does not belong to %s %s", name, type, fam);
        size_t i = n;
        char le[64] = "";
        if (line[i] == '{') {
            i++;
            while (line[i] != '}') {
                size_t k = i;
                while (line[i] != '\0' && line[i] != '=')
                    i++;
                if (line[i] != '=' || !name_ok(line + k, i - k, false))
                    CHECK_FAIL("bad label name");
                bool is_le = i - k == 2 && strncmp(line + k, "le", 2) == 0;
                i++;
                if (line[i] != '"')
                    CHECK_FAIL("label value not quoted");
                i++;
                size_t vs = i;
                while (line[i] != '"') {
                    if (line[i] == '\0')
                        CHECK_FAIL("unterminated label value");
                    if (line[i] == '\\') {
                        i++;
                        if (line[i] != '\\' && line[i] != '"' && line[i] != 'n')
                            CHECK_FAIL("bad escape in label value");
                    }
                    i++;
                }
                if (is_le && i - vs < sizeof(le)) {
                    memcpy(le, line + vs, i - vs);
                    le[i - vs] = '\0';
                }
                i++;
                if (line[i] == ',')
                    i++;
                else if (line[i] != '}')
                    CHECK_FAIL("expected , or } after a label");
            }
            i++;
        }
        if (line[i] != ' ')
            CHECK_FAIL("expected a space before the value");
        char key[1024];
        snprintf(key, sizeof(key), "\n%.*s\n", (int)i, line);
        if (strstr(sers, key) != NULL)
            CHECK_FAIL("duplicate series %.*s", (int)i, line);
        ns += (size_t)snprintf(sers + ns, seen_cap - ns, "\n%.*s\n", (int)i,
                               line);
        char val[128] = "", ts[64] = "", extra[8] = "";
        int got = sscanf(line + i + 1, "%127s %63s %7s", val, ts, extra);
        if (got < 1 || got > 2 || !value_ok(val))
            CHECK_FAIL("bad value '%s'", line + i + 1);
        if (hist && strcmp(suffix, "_bucket") == 0) {
            if (le[0] == '\0' || !value_ok(le))
                CHECK_FAIL("bucket without a numeric le");
            double b = strtod(val, NULL);
            double l = strcmp(le, "+Inf") == 0 ? 1e308 : strtod(le, NULL);
            if (l <= last_le || b < last_bucket)
                CHECK_FAIL("buckets not increasing or not cumulative");
            last_le = l;
            last_bucket = b;
            if (strcmp(le, "+Inf") == 0)
                inf_bucket = b;
        } else if (hist && strcmp(suffix, "_count") == 0 &&
                   strtod(val, NULL) != inf_bucket) {
            CHECK_FAIL("_count differs from the le=\"+Inf\" bucket");
        }
    }
done:
    free(fams);
    free(sers);
    return rc;
}
