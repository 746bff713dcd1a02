/* cogov-probe: a test consumer on the real runtime. It poses as a third
 * daemon named "supervision" (so it binds supervision_endpoint and uses the
 * supervision key keys_bootstrap makes), follows both coordination and
 * secretariat, serves no commands of its own (only the runtime's built-in
 * GetStatus and Fetch) and records every event it applies, with the
 * cursors it had applied at that moment, in its own table:
 *
 *   applied(id, producer, seq, type, cursor_coordination,
 *           cursor_secretariat, after, after_coordination,
 *           after_secretariat, causation_id)
 *
 * `after` is the event's stamp as text ("coordination:5,..."),
 * after_<producer> the position the stamp names for that producer (0 if
 * none). The cursors are read from the store inside the applying
 * transaction: the other stream's cursor is what this daemon has applied,
 * the event's own stream reads seq - 1 (the runtime advances it after the
 * reaction). No uniqueness constraint: an event applied twice shows up
 * twice, which is what the integration tests look for.
 *
 * COGOV_PROBE_FAIL=TYPE[:MODE] makes the reaction to every event of TYPE
 * fail after it wrote its `applied` row (a partial write the runtime must
 * undo), the way a buggy reaction would (it_deadletter):
 *   collide  a real key collision: the same key inserted twice into
 *            claims(key PRIMARY KEY) -> SQLite CONSTRAINT -> -EEXIST
 *   reject   SVC_REACT_REJECT with a reason
 *   busy     -EBUSY, a transient failure (the stream must wait)
 * The variable is read at start: restart without it to "fix the bug". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "svc.h"
#include "util.h"

static const char *const probe_migrations[] = {
    "CREATE TABLE applied (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  producer TEXT NOT NULL,\n"
    "  seq INTEGER NOT NULL,\n"
    "  type TEXT NOT NULL,\n"
    "  cursor_coordination INTEGER NOT NULL,\n"
    "  cursor_secretariat INTEGER NOT NULL,\n"
    "  after TEXT NOT NULL,\n"
    "  after_coordination INTEGER NOT NULL,\n"
    "  after_secretariat INTEGER NOT NULL,\n"
    "  causation_id TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX applied_by_event ON applied(producer, seq);\n",
    "CREATE TABLE claims (key TEXT PRIMARY KEY NOT NULL);\n",
};

enum { FAIL_COLLIDE, FAIL_REJECT, FAIL_BUSY };

typedef struct probe {
    char fail_type[64]; /* "" = nothing fails */
    int fail_mode;
} probe_t;

static void *
probe_new(svc_t *s)
{
    (void)s;
    probe_t *p = xcalloc(1, sizeof(*p));
    const char *env = getenv("COGOV_PROBE_FAIL");
    if (str_empty(env))
        return p;
    str_copy(p->fail_type, sizeof(p->fail_type), env);
    char *colon = strchr(p->fail_type, ':');
    const char *mode = "collide";
    if (colon != NULL) {
        *colon = 0;
        mode = env + (colon - p->fail_type) + 1;
    }
    if (strcmp(mode, "collide") == 0) {
        p->fail_mode = FAIL_COLLIDE;
    } else if (strcmp(mode, "reject") == 0) {
        p->fail_mode = FAIL_REJECT;
    } else if (strcmp(mode, "busy") == 0) {
        p->fail_mode = FAIL_BUSY;
    } else {
        log_error("probe.bad_fail", "mode=%s", log_q(mode));
        free(p);
        return NULL;
    }
    log_notice("probe.fail", "type=%s mode=%s", log_q(p->fail_type),
               log_q(mode));
    return p;
}

static void
probe_destroy(void *app)
{
    free(app);
}

/* The failure COGOV_PROBE_FAIL asks for, after the applied row. */
static int
probe_fail(svc_t *s, const probe_t *p)
{
    if (p->fail_mode == FAIL_REJECT) {
        svc_react_error(s, "probe: told to refuse this event");
        return SVC_REACT_REJECT;
    }
    if (p->fail_mode == FAIL_BUSY)
        return -EBUSY;
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        sqlite3_stmt *q =
            store_stmt(svc_store(s), "INSERT INTO claims (key) VALUES ('x')");
        if (q == NULL)
            return -EIO;
        rc = store_errno(sqlite3_step(q));
        sqlite3_reset(q);
    }
    return rc;
}

static const char *const probe_follows[] = {"coordination", "secretariat"};

/* The stamp as text, and the positions it names for the two streams. */
static void
stamp_text(const Cogov__V1__Event *ev, char *buf, size_t size,
           uint64_t *after_coord, uint64_t *after_secr)
{
    size_t off = 0;
    buf[0] = 0;
    *after_coord = *after_secr = 0;
    for (size_t i = 0; i < ev->n_after; i++) {
        const Cogov__V1__Position *p = ev->after[i];
        const char *name = p->producer != NULL ? p->producer : "";
        if (strcmp(name, "coordination") == 0)
            *after_coord = p->seq;
        else if (strcmp(name, "secretariat") == 0)
            *after_secr = p->seq;
        int n = snprintf(buf + off, size - off, "%s%s:%" PRIu64,
                         i > 0 ? "," : "", name, p->seq);
        if (n < 0 || (size_t)n >= size - off)
            break;
        off += (size_t)n;
    }
}

static int
probe_react(svc_t *s, void *app, const svc_ctx_t *c, const Cogov__V1__Event *ev)
{
    const probe_t *p = app;
    store_t *st = svc_store(s);
    uint64_t epoch = 0, cur_coord = 0, cur_secr = 0;
    int rc = store_cursor_get(st, "coordination", &epoch, &cur_coord);
    if (rc == 0)
        rc = store_cursor_get(st, "secretariat", &epoch, &cur_secr);
    if (rc != 0)
        return rc;
    char after[256];
    uint64_t after_coord, after_secr;
    stamp_text(ev, after, sizeof(after), &after_coord, &after_secr);
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO applied (producer, seq, type, cursor_coordination, "
            "cursor_secretariat, after, after_coordination, after_secretariat, "
            "causation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, ev->producer != NULL ? ev->producer : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)ev->seq);
    sqlite3_bind_text(q, 3, ev->type != NULL ? ev->type : svc_event_type(ev),
                      -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)cur_coord);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)cur_secr);
    sqlite3_bind_text(q, 6, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)after_coord);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)after_secr);
    sqlite3_bind_text(q, 9, ev->causation_id != NULL ? ev->causation_id : "",
                      -1, SQLITE_STATIC);
    rc = store_errno(sqlite3_step(q));
    sqlite3_reset(q);
    if (rc == 0 && p->fail_type[0] != 0 && ev->type != NULL &&
        strcmp(ev->type, p->fail_type) == 0)
        return probe_fail(s, p);
    if (rc == 0)
        log_debug("probe.applied",
                  "producer=%s seq=%" PRIu64 " type=%s "
                  "coordination=%" PRIu64 " secretariat=%" PRIu64 " after=%s "
                  "corr=%s",
                  ev->producer, ev->seq, log_q(ev->type), cur_coord, cur_secr,
                  log_q(after), log_q(c->correlation_id));
    return rc;
}

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "supervision",
        .migrations = probe_migrations,
        .n_migrations = ARRAY_LEN(probe_migrations),
        .routes = NULL,
        .n_routes = 0,
        .follows = probe_follows,
        .n_follows = ARRAY_LEN(probe_follows),
        .react = probe_react,
        .config = NULL,
        .config_obj = NULL,
        .app_new = probe_new,
        .app_destroy = probe_destroy,
    };

    return svc_main(&def, argc, argv);
}
