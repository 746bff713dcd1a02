/* admin: pause/resume, store snapshots (SQLite backup API) and accepting a
 * restored producer's new epoch. */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pb.h"
#include "svc_int.h"
#include "util.h"

struct admin {
    svc_t *s;
    bool paused;
    int64_t until_ms; /* monotonic deadline of the pause */
    char by[PRINCIPAL_NAME_MAX];
    char reason[64];
};

admin_t *
admin_new(svc_t *s)
{
    admin_t *a = xcalloc(1, sizeof(*a));
    a->s = s;
    return a;
}

void
admin_destroy(admin_t **ap)
{
    if (ap == NULL || *ap == NULL)
        return;
    free(*ap);
    *ap = NULL;
}

bool
admin_paused(admin_t *a)
{
    if (a == NULL || !a->paused)
        return false;
    if (now_mono_ms() < a->until_ms)
        return true;
    a->paused = false;
    log_warn("admin.pause_expired", "by=%s reason=%s", log_q(a->by),
             log_q(a->reason));
    return false;
}

bool
admin_is_request(const Cogov__V1__Request *req)
{
    switch (req->body_case) {
    case COGOV__V1__REQUEST__BODY_PAUSE:
    case COGOV__V1__REQUEST__BODY_RESUME:
    case COGOV__V1__REQUEST__BODY_BACKUP:
    case COGOV__V1__REQUEST__BODY_ACCEPT_EPOCH:
        return true;
    default:
        return false;
    }
}

void
admin_fill_status(admin_t *a, Cogov__V1__ServiceStatus *st)
{
    st->paused = admin_paused(a);
    st->has_paused = 1;
    int64_t rh = 0;
    if (store_meta_get_int(svc_store(a->s), "restored_head", &rh) == 0 &&
        rh > 0) {
        st->restored_head = (uint64_t)rh;
        st->has_restored_head = 1;
    }
}

/* ---- copying a database with the backup API ----------------------------- */

static int
sqlite_errno(int rc)
{
    return store_errno(rc) != 0 ? store_errno(rc) : -EIO;
}

static int
fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) != 0 ? -errno : 0;
    close(fd);
    return rc;
}

static char *
dir_of(const char *path)
{
    char *d = xstrdup(path);
    char *slash = strrchr(d, '/');
    if (slash == NULL) {
        free(d);
        return xstrdup(".");
    }
    if (slash == d)
        slash[1] = '\0';
    else
        *slash = '\0';
    return d;
}

static int
query_u64(sqlite3 *db, const char *sql, uint64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = (uint64_t)sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* A fresh epoch and the restore mark, in the copy (not yet renamed). */
static int
mark_restored(sqlite3 *db, uint64_t *epoch, char *err, size_t errlen)
{
    uint64_t v = 0;
    while (v == 0) {
        if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v) &&
            errno != EINTR) {
            snprintf(err, errlen, "getrandom: %s", strerror(errno));
            return -errno;
        }
        v &= (uint64_t)INT64_MAX;
    }
    char *sql =
        xasprintf("BEGIN IMMEDIATE;"
                  "INSERT INTO meta(key, value) VALUES('epoch', %lld) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
                  "INSERT INTO meta(key, value) VALUES('restored_head', "
                  "(SELECT COALESCE(MAX(seq), 0) FROM outbox)) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
                  "COMMIT;",
                  (long long)v);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    free(sql);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "new epoch: %s", msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return sqlite_errno(rc);
    }
    *epoch = v;
    return 0;
}

/* Hold back seqs head+1..reserve_to in the copy's new epoch: one
 * seq_reserved event each, so that the producer's next event is
 * reserve_to + 1 (store.c numbers from MAX(seq)). The producer's name and
 * business time come from its head event. */
static int
reserve_seqs(sqlite3 *db, uint64_t old_epoch, uint64_t new_epoch,
             uint64_t reserve_to, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL, *ins = NULL;
    Cogov__V1__Event *last = NULL;
    uint64_t head = 0;
    int rc = query_u64(db, "SELECT COALESCE(MAX(seq), 0) FROM outbox", &head);
    if (rc != SQLITE_OK || reserve_to <= head)
        goto done;
    rc = sqlite3_prepare_v2(db, "SELECT event FROM outbox WHERE seq = ?1", -1,
                            &st, NULL);
    if (rc != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(st, 1, (int64_t)head);
    if (sqlite3_step(st) == SQLITE_ROW)
        last =
            cogov__v1__event__unpack(NULL, (size_t)sqlite3_column_bytes(st, 0),
                                     sqlite3_column_blob(st, 0));
    if (last == NULL || str_empty(last->producer)) {
        snprintf(err, errlen,
                 "reserving seqs: no head event to name the "
                 "producer");
        rc = SQLITE_CORRUPT;
        goto done;
    }
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto done;
    rc = sqlite3_prepare_v2(
        db,
        "INSERT INTO outbox(seq, type, correlation_id, causation_id, "
        "recorded_at, event) VALUES(?1, 'seq_reserved', ?2, NULL, ?3, ?4)",
        -1, &ins, NULL);
    char corr[48];
    snprintf(corr, sizeof(corr), "restore-%llx", (unsigned long long)new_epoch);
    int64_t now_us = now_wall_us();
    Cogov__V1__SeqReserved sr = COGOV__V1__SEQ_RESERVED__INIT;
    sr.restored_head = head;
    sr.has_restored_head = 1;
    sr.old_epoch = old_epoch;
    sr.has_old_epoch = 1;
    sr.reserved_to = reserve_to;
    sr.has_reserved_to = 1;
    Cogov__V1__Event ev = COGOV__V1__EVENT__INIT;
    ev.producer = last->producer;
    ev.epoch = new_epoch;
    ev.has_epoch = 1;
    ev.has_seq = 1;
    ev.type = "seq_reserved";
    ev.occurred_at = last->occurred_at;
    ev.has_occurred_at = 1;
    ev.recorded_at = now_us;
    ev.has_recorded_at = 1;
    ev.actor = "system:restore";
    ev.correlation_id = corr;
    ev.payload_case = COGOV__V1__EVENT__PAYLOAD_SEQ_RESERVED;
    ev.seq_reserved = &sr;
    for (uint64_t seq = head + 1; rc == SQLITE_OK && seq <= reserve_to; seq++) {
        ev.seq = seq;
        size_t len = 0;
        uint8_t *buf = pb_pack((ProtobufCMessage *)&ev, &len);
        sqlite3_bind_int64(ins, 1, (int64_t)seq);
        sqlite3_bind_text(ins, 2, corr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, now_us);
        sqlite3_bind_blob(ins, 4, buf, (int)len, SQLITE_STATIC);
        rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
        sqlite3_reset(ins);
        free(buf);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
done:
    if (rc != SQLITE_OK && err[0] == 0)
        snprintf(err, errlen, "reserving seqs: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    if (last != NULL)
        cogov__v1__event__free_unpacked(last, NULL);
    return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

/* Copy src (an open connection, read in one snapshot) to dst_path through
 * dst_path.tmp; optionally mark the copy as a single-store restore. */
static int
copy_db(sqlite3 *src, const char *dst_path, bool new_epoch, uint64_t reserve_to,
        uint64_t *head, uint64_t *epoch, char *err, size_t errlen)
{
    char *tmp = xasprintf("%s.tmp", dst_path);
    sqlite3 *dst = NULL;
    int rc = 0;
    uint64_t h = 0, e = 0;
    (void)unlink(tmp);
    int src_rc = sqlite3_open_v2(
        tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src_rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", tmp,
                 dst ? sqlite3_errmsg(dst) : "cannot open");
        rc = sqlite_errno(src_rc);
        goto done;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
        rc = -EIO;
        goto done;
    }
    /* One step for the whole database: one read snapshot of the source. */
    int step = sqlite3_backup_step(b, -1);
    int fin = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE || fin != SQLITE_OK) {
        snprintf(err, errlen, "backup: %s", sqlite3_errstr(step));
        rc = sqlite_errno(step != SQLITE_DONE ? step : fin);
        goto done;
    }
    uint64_t old_e = 0;
    (void)query_u64(dst, "SELECT value FROM meta WHERE key = 'epoch'", &old_e);
    if (new_epoch && (rc = mark_restored(dst, &e, err, errlen)) != 0)
        goto done;
    if (new_epoch &&
        (rc = reserve_seqs(dst, old_e, e, reserve_to, err, errlen)) != 0)
        goto done;
    if (query_u64(dst, "SELECT COALESCE(MAX(seq), 0) FROM outbox", &h) !=
            SQLITE_OK ||
        query_u64(dst, "SELECT value FROM meta WHERE key = 'epoch'", &e) !=
            SQLITE_OK) {
        snprintf(err, errlen, "%s: not a cogov store (%s)", tmp,
                 sqlite3_errmsg(dst));
        rc = -EINVAL;
        goto done;
    }
    uint64_t ok = 0;
    sqlite3_stmt *qc = NULL;
    if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &qc, NULL) ==
            SQLITE_OK &&
        sqlite3_step(qc) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(qc, 0), "ok") == 0)
        ok = 1;
    sqlite3_finalize(qc);
    if (!ok) {
        snprintf(err, errlen, "%s: quick_check failed", tmp);
        rc = -EIO;
        goto done;
    }
    /* Closing the last connection checkpoints and removes tmp's WAL. */
    if (sqlite3_close(dst) != SQLITE_OK) {
        snprintf(err, errlen, "%s: close: %s", tmp, sqlite3_errmsg(dst));
        rc = -EIO;
        goto done;
    }
    dst = NULL;
    if ((rc = fsync_path(tmp, O_RDONLY)) != 0) {
        snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(-rc));
        goto done;
    }
    /* The old database's WAL must not be replayed onto the new file. */
    char *wal = xasprintf("%s-wal", dst_path),
         *shm = xasprintf("%s-shm", dst_path);
    (void)unlink(wal);
    (void)unlink(shm);
    free(wal);
    free(shm);
    if (rename(tmp, dst_path) != 0) {
        rc = -errno;
        snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
        goto done;
    }
    char *d = dir_of(dst_path);
    (void)fsync_path(d, O_RDONLY | O_DIRECTORY);
    free(d);
    if (head != NULL)
        *head = h;
    if (epoch != NULL)
        *epoch = e;
done:
    if (dst != NULL)
        sqlite3_close(dst);
    if (rc != 0)
        (void)unlink(tmp);
    free(tmp);
    return rc;
}

int
admin_copy_store(const char *src_path, const char *dst_path, bool new_epoch,
                 uint64_t reserve_to, uint64_t *head, uint64_t *epoch,
                 char *err, size_t errlen)
{
    sqlite3 *src = NULL;
    int rc = sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", src_path,
                 src ? sqlite3_errmsg(src) : "cannot open");
        sqlite3_close(src);
        return sqlite_errno(rc);
    }
    rc =
        copy_db(src, dst_path, new_epoch, reserve_to, head, epoch, err, errlen);
    sqlite3_close(src);
    return rc;
}

/* ---- requests ------------------------------------------------------------ */

static Cogov__V1__AdminResult *
result_new(admin_t *a, Cogov__V1__Reply *rep)
{
    Cogov__V1__AdminResult *r = xmalloc(sizeof(*r));
    cogov__v1__admin_result__init(r);
    r->service = xstrdup(svc_name(a->s));
    r->paused = admin_paused(a);
    r->has_paused = 1;
    if (r->paused) {
        r->paused_ms_left = a->until_ms - now_mono_ms();
        r->has_paused_ms_left = 1;
    }
    r->epoch = store_epoch(svc_store(a->s));
    r->has_epoch = 1;
    r->head_seq = store_head(svc_store(a->s));
    r->has_head_seq = 1;
    size_t n = 0;
    while (svc_follow_at(a->s, n) != NULL)
        n++;
    r->cursors = xcalloc(n + 1, sizeof(*r->cursors));
    for (size_t i = 0; i < n; i++) {
        r->cursors[i] = xmalloc(sizeof(*r->cursors[i]));
        cogov__v1__cursor_status__init(r->cursors[i]);
        follow_status(svc_follow_at(a->s, i), r->cursors[i]);
    }
    r->n_cursors = n;
    rep->body_case = COGOV__V1__REPLY__BODY_ADMIN;
    rep->admin = r;
    return r;
}

static Cogov__V1__StatusCode
do_pause(admin_t *a, const principal_t *who, const Cogov__V1__Pause *p,
         Cogov__V1__Reply *rep)
{
    int64_t ttl =
        p->has_ttl_ms && p->ttl_ms > 0 ? p->ttl_ms : ADMIN_PAUSE_DEFAULT_MS;
    if (ttl > ADMIN_PAUSE_MAX_MS)
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                        "ttl_ms: at most %d", ADMIN_PAUSE_MAX_MS);
    bool renew = admin_paused(a);
    a->paused = true;
    a->until_ms = now_mono_ms() + ttl;
    str_copy(a->by, sizeof(a->by), who->name);
    str_copy(a->reason, sizeof(a->reason),
             str_empty(p->reason) ? "-" : p->reason);
    log_notice("admin.paused", "by=%s reason=%s ttl_ms=%lld renewed=%d",
               log_q(a->by), log_q(a->reason), (long long)ttl, renew);
    result_new(a, rep);
    return COGOV__V1__STATUS_CODE__STATUS_OK;
}

static Cogov__V1__StatusCode
do_resume(admin_t *a, const principal_t *who, Cogov__V1__Reply *rep)
{
    bool was = admin_paused(a);
    a->paused = false;
    if (was)
        log_notice("admin.resumed", "by=%s", log_q(who->name));
    result_new(a, rep);
    return COGOV__V1__STATUS_CODE__STATUS_OK;
}

static Cogov__V1__StatusCode
do_backup(admin_t *a, const Cogov__V1__Backup *b, Cogov__V1__Reply *rep)
{
    store_t *st = svc_store(a->s);
    if (str_empty(b->dir) || b->dir[0] != '/')
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                        "dir: an absolute path is required");
    if (!admin_paused(a))
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_CONFLICT,
                        "not paused: a backup is taken only while paused "
                        "(cogovctl backup pauses every daemon first)");
    if (store_in_tx(st))
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                        "a transaction is open; retry");
    if (mkdir(b->dir, 0750) != 0 && errno != EEXIST)
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                        "%s: %s", b->dir, strerror(errno));
    char *path = xasprintf("%s/%s.db", b->dir, svc_name(a->s));
    char err[512] = "";
    uint64_t head = 0, epoch = 0;
    int rc =
        copy_db(store_db(st), path, false, 0, &head, &epoch, err, sizeof(err));
    if (rc != 0) {
        log_error("admin.backup_failed", "file=%s error=%s", log_q(path),
                  log_q(err));
        free(path);
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                        "backup: %s", err);
    }
    struct stat sb;
    Cogov__V1__AdminResult *r = result_new(a, rep);
    r->head_seq = head; /* what the snapshot holds */
    r->epoch = epoch;
    r->file = path;
    if (stat(path, &sb) == 0) {
        r->bytes = (int64_t)sb.st_size;
        r->has_bytes = 1;
    }
    log_notice("admin.backup", "file=%s bytes=%lld head=%llu epoch=%llu",
               log_q(path), (long long)r->bytes, (unsigned long long)head,
               (unsigned long long)epoch);
    return COGOV__V1__STATUS_CODE__STATUS_OK;
}

static Cogov__V1__StatusCode
do_accept(admin_t *a, const principal_t *who, const Cogov__V1__AcceptEpoch *e,
          Cogov__V1__Reply *rep)
{
    follow_t *f = NULL;
    for (size_t i = 0; e->producer != NULL && svc_follow_at(a->s, i); i++)
        if (strcmp(follow_producer(svc_follow_at(a->s, i)), e->producer) == 0)
            f = svc_follow_at(a->s, i);
    if (f == NULL)
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND,
                        "producer: cogov-%s does not follow '%s'",
                        svc_name(a->s), e->producer ? e->producer : "");
    if (!e->has_epoch || e->epoch == 0)
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                        "epoch: the producer's new epoch is required");
    if (store_in_tx(svc_store(a->s)))
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                        "a transaction is open; retry");
    char err[256] = "";
    uint64_t from = e->has_from_seq ? e->from_seq : UINT64_MAX;
    int rc = follow_accept_epoch(f, e->epoch, from, err, sizeof(err));
    if (rc == -EALREADY) {
        result_new(a, rep);
        return COGOV__V1__STATUS_CODE__STATUS_OK; /* accepted before */
    }
    if (rc != 0)
        return svc_fail(rep,
                        rc == -EINVAL
                            ? COGOV__V1__STATUS_CODE__STATUS_CONFLICT
                            : COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE,
                        "%s", err);
    log_notice("stream.epoch_accepted",
               "producer=%s epoch=%llu applied=%llu "
               "by=%s",
               e->producer, (unsigned long long)e->epoch,
               (unsigned long long)follow_applied(f), log_q(who->name));
    result_new(a, rep);
    return COGOV__V1__STATUS_CODE__STATUS_OK;
}

Cogov__V1__StatusCode
admin_handle(admin_t *a, const principal_t *who, const Cogov__V1__Request *req,
             Cogov__V1__Reply *rep)
{
    if (!principal_has(who, role_bit(COGOV__V1__ROLE__ROLE_OPERATOR)))
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED,
                        "%s: only an OPERATOR may do this", who->name);
    switch (req->body_case) {
    case COGOV__V1__REQUEST__BODY_PAUSE:
        return do_pause(a, who, req->pause, rep);
    case COGOV__V1__REQUEST__BODY_RESUME:
        return do_resume(a, who, rep);
    case COGOV__V1__REQUEST__BODY_BACKUP:
        return do_backup(a, req->backup, rep);
    case COGOV__V1__REQUEST__BODY_ACCEPT_EPOCH:
        return do_accept(a, who, req->accept_epoch, rep);
    default:
        return svc_fail(rep, COGOV__V1__STATUS_CODE__STATUS_INVALID,
                        "not an operations request");
    }
}
