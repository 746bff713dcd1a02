/* metrics: a daemon's figures in the Prometheus text exposition format
 * (0.0.4), written as a textfile for node_exporter's textfile collector.
 *
 * Counters the request path bumps live here (requests by type and outcome,
 * rejects by reason, denials by kind, the commit latency histogram); the
 * figures the runtime already keeps (head, cursors, store size...) are
 * passed in a view when writing. Every series carries service="<name>". */
#ifndef COGOV_METRICS_H
#define COGOV_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct metrics metrics_t;

typedef struct metrics_cursor {
    const char *producer;
    uint64_t applied;
    uint64_t head; /* the producer's head as last seen */
} metrics_cursor_t;

typedef struct metrics_view {
    const char *version;
    int64_t uptime_s;
    uint64_t head;
    uint64_t epoch;
    int64_t store_bytes;
    int64_t business_time;  /* unix seconds, 0 before the first tick */
    uint64_t denials_total; /* every denial, ZAP ones included */
    int64_t dead_letters;
    uint64_t skipped_unknown;
    int waiters;
    const metrics_cursor_t *cursors;
    size_t n_cursors;
} metrics_view_t;

/* Returns a new collector for service `service` (copied). Never NULL. */
metrics_t *metrics_new(const char *service);
/* Accepts NULL; sets *mp to NULL. */
void metrics_destroy(metrics_t **mp);

/* type: the request body ("apply_member"); outcome: the status code in
 * lower case without STATUS_ ("ok", "invalid"). Strings are copied. */
void metrics_count_request(metrics_t *m, const char *type, const char *outcome);
/* reason: a short snake_case word ("malformed", "frames"). */
void metrics_count_reject(metrics_t *m, const char *reason);
/* kind: "allow_list", "role", "stream". Denials counted elsewhere (the ZAP
 * handler's) are the rest of view->denials_total, written as kind="zap". */
void metrics_count_denial(metrics_t *m, const char *kind);
/* One committed transaction took `seconds`. */
void metrics_observe_commit(metrics_t *m, double seconds);

/* Resident set size of this process in bytes (from /proc), -1 if unknown. */
int64_t metrics_rss_bytes(void);

/* Write the exposition to f. Returns 0 or -EIO. */
int metrics_write(const metrics_t *m, const metrics_view_t *v, FILE *f);
/* Write it to `path` atomically: a temp file beside it, then rename, so a
 * reader never sees half a file. Returns 0 or a negative errno. */
int metrics_write_file(const metrics_t *m, const metrics_view_t *v,
                       const char *path);

/* Check text against the exposition format strictly: HELP/TYPE lines, one
 * TYPE per family before its samples, samples of a family together, metric
 * and label names, quoted and escaped label values, numeric values, no
 * duplicate series, counters named *_total, histograms with cumulative
 * buckets ending in le="+Inf" equal to _count. Returns 0, or -EINVAL with
 * err = "line N: what". (The daemon's output is checked with it in tests;
 * operators can use promtool.) */
int metrics_check(const char *text, char *err, size_t errlen);

#endif
