/* cogov-bench-consumer: a minimal daemon on the cogov runtime for the
 * benchmark. It poses as "incentives" or "supervision" (COGOV_BENCH_AS, read
 * before svc_main, so it uses that daemon's endpoint and key), follows
 * coordination and secretariat, and records for every event it applies
 * (producer, seq, the producer's recorded_at, its own wall clock now) in the
 * same transaction as its cursor. cogov-bench reads that table afterwards
 * to compute commit-to-commit latency. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "svc.h"
#include "util.h"

static const char *const migrations[] = {
    "CREATE TABLE applied(\n"
    "  producer TEXT NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  recorded_at_us INTEGER NOT NULL,\n"
    "  applied_us INTEGER NOT NULL,\n"
    "  PRIMARY KEY(producer, seq)\n"
    ") WITHOUT ROWID;\n",
};

static const char *const follows[] = {"coordination", "secretariat"};

/* COGOV_BENCH_REJECT_EVERY, read once in main (not per event). */
static long g_reject_every;

static int
react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO applied(producer, seq, recorded_at_us, "
        "applied_us) VALUES(?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = store_stmt(svc_store(s), sql);
    int rc;

    (void)app;
    (void)c;
    if (st == NULL)
        return -EIO; /* transient: rolled back, retried */
    sqlite3_bind_text(st, 1, ev->producer ? ev->producer : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
    sqlite3_bind_int64(st, 3, ev->recorded_at);
    sqlite3_bind_int64(st, 4, now_wall_us());
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_errno(rc);
    /* COGOV_BENCH_REJECT_EVERY=K: refuse every K-th coordination event
     * after writing its row, to exercise the runtime's roll-back-and-redo
     * of a batch (the row must not stay, the event must be dead-lettered). */
    long k = g_reject_every;
    if (k > 0 && ev->producer != NULL &&
        strcmp(ev->producer, "coordination") == 0 &&
        ev->seq % (uint64_t)k == 0) {
        svc_react_error(s, "bench: refused seq %llu on purpose",
                        (unsigned long long)ev->seq);
        return SVC_REACT_REJECT;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *as = getenv("COGOV_BENCH_AS");

    if (as == NULL ||
        (strcmp(as, "incentives") != 0 && strcmp(as, "supervision") != 0)) {
        fprintf(stderr, "cogov-bench-consumer: set COGOV_BENCH_AS to "
                        "\"incentives\" or \"supervision\"\n");
        return 2;
    }
    const char *every = getenv("COGOV_BENCH_REJECT_EVERY");
    g_reject_every = every != NULL ? strtol(every, NULL, 10) : 0;
    /* COGOV_BENCH_FOLLOW_ONLY=coordination: follow that stream only (the
     * replay phase runs with the secretariat stopped; following it too
     * would hold every coordination event stamped after a secretariat
     * position, for causal order). */
    const char *only = getenv("COGOV_BENCH_FOLLOW_ONLY");
    const char *const *fl = follows;
    size_t n_fl = ARRAY_LEN(follows);
    for (size_t i = 0; only != NULL && i < ARRAY_LEN(follows); i++)
        if (strcmp(only, follows[i]) == 0) {
            fl = &follows[i];
            n_fl = 1;
        }
    svc_def_t def = {
        .name = as,
        .migrations = migrations,
        .n_migrations = ARRAY_LEN(migrations),
        .routes = NULL,
        .n_routes = 0,
        .follows = fl,
        .n_follows = n_fl,
        .react = react,
        .config = NULL,
        .config_obj = NULL,
        .app_new = NULL,
        .app_destroy = NULL,
    };

    return svc_main(&def, argc, argv);
}
