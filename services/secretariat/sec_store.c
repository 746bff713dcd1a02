/* sec_store: the secretariat's schema and SQL. */
#include "sec_store.h"

#include <errno.h>

#include "util.h"

static const char migration_1[] =
    "CREATE TABLE consortium("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL);"
    "CREATE TABLE members("
    "  member_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  type INTEGER NOT NULL, status INTEGER NOT NULL);"
    "CREATE TABLE notices("
    "  notice_id TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
    "  title TEXT NOT NULL, body TEXT NOT NULL,"
    "  published_at INTEGER NOT NULL, causation_id TEXT);"
    "CREATE INDEX notices_published ON notices(published_at, notice_id);"
    "CREATE TABLE notice_addressees("
    "  notice_id TEXT NOT NULL REFERENCES notices(notice_id),"
    "  member_id TEXT NOT NULL, acknowledged_at INTEGER,"
    "  PRIMARY KEY (notice_id, member_id));"
    "CREATE INDEX notice_addressees_member"
    "  ON notice_addressees(member_id, notice_id);";

const char *const sec_migrations[] = {migration_1};
const size_t sec_n_migrations = ARRAY_LEN(sec_migrations);

static char *
col_str(sqlite3_stmt *q, int i)
{
    return xstrdup((const char *)sqlite3_column_text(q, i));
}

static int
exec(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    int err = rc == SQLITE_DONE ? 0 : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
sec_store_consortium_set(store_t *st, const char *name)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO consortium(id, name) VALUES (1, ?)"
            " ON CONFLICT(id) DO UPDATE SET name = excluded.name");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    return exec(q);
}

int
sec_store_consortium_name(store_t *st, char **name)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT name FROM consortium WHERE id = 1");
    if (q == NULL)
        return -EIO;
    int rc = sqlite3_step(q);
    int err = 0;
    if (rc == SQLITE_ROW)
        *name = col_str(q, 0);
    else
        err = rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
sec_store_member_put(store_t *st, const char *member_id, const char *name,
                     Cogov__V1__MemberType type,
                     Cogov__V1__MemberStatus status)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO members(member_id, name, type, status)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(member_id) DO UPDATE SET"
            " name = excluded.name, type = excluded.type,"
            " status = excluded.status");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)type);
    sqlite3_bind_int(q, 4, (int)status);
    return exec(q);
}

int
sec_store_member(store_t *st, const char *member_id, char **name,
                 Cogov__V1__MemberStatus *status)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT name, status FROM members WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int err = 0;
    if (rc == SQLITE_ROW) {
        if (name != NULL)
            *name = col_str(q, 0);
        if (status != NULL)
            *status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 1);
    } else {
        err = rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
    }
    sqlite3_reset(q);
    return err;
}

int
sec_store_notice_add(store_t *st, const Cogov__V1__Notice *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO notices(notice_id, kind, title, body,"
            " published_at, causation_id) VALUES (?, ?, ?, ?, ?, ?)");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, n->notice_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)n->kind);
    sqlite3_bind_text(q, 3, n->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, n->body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, n->published_at);
    sqlite3_bind_text(q, 6, n->causation_id, -1, SQLITE_STATIC);
    err = exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) == 0)
        return 0;

    q = store_stmt(st, "INSERT OR IGNORE INTO notice_addressees(notice_id,"
                       " member_id) VALUES (?, ?)");
    if (q == NULL)
        return -EIO;
    for (size_t i = 0; i < n->n_addressees; i++) {
        sqlite3_bind_text(q, 1, n->notice_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, n->addressees[i], -1, SQLITE_STATIC);
        err = exec(q);
        if (err < 0)
            return err;
    }
    return 1;
}

static void
push(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static int
load_addressees(store_t *st, Cogov__V1__Notice *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT member_id, acknowledged_at IS NOT NULL"
            " FROM notice_addressees WHERE notice_id = ? ORDER BY member_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, n->notice_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        push(&n->addressees, &n->n_addressees, col_str(q, 0));
        if (sqlite3_column_int(q, 1))
            push(&n->acknowledged, &n->n_acknowledged, col_str(q, 0));
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

#define NOTICE_COLS "notice_id, kind, title, body, published_at, causation_id"

static Cogov__V1__Notice *
notice_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Notice *n = xmalloc(sizeof *n);

    cogov__v1__notice__init(n);
    n->notice_id = col_str(q, 0);
    n->has_kind = true;
    n->kind = (Cogov__V1__NoticeKind)sqlite3_column_int(q, 1);
    n->title = col_str(q, 2);
    n->body = col_str(q, 3);
    n->has_published_at = true;
    n->published_at = sqlite3_column_int64(q, 4);
    n->causation_id = col_str(q, 5);
    return n;
}

int
sec_store_notice(store_t *st, const char *notice_id, Cogov__V1__Notice **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " NOTICE_COLS " FROM notices WHERE notice_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, notice_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        int err = rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
        sqlite3_reset(q);
        return err;
    }
    Cogov__V1__Notice *n = notice_from_row(q);
    sqlite3_reset(q);
    int err = load_addressees(st, n);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&n->base, NULL);
        return err;
    }
    *out = n;
    return 0;
}

int
sec_store_notices(store_t *st, const char *member_id,
                  Cogov__V1__NoticeKind kind, Cogov__V1__NoticeList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " NOTICE_COLS " FROM notices n"
            " WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM notice_addressees a"
            "  WHERE a.notice_id = n.notice_id AND a.member_id = ?1))"
            " AND (?2 = 0 OR kind = ?2)"
            " ORDER BY published_at, n.rowid");
    if (q == NULL)
        return -EIO;
    if (str_empty(member_id))
        sqlite3_bind_null(q, 1);
    else
        sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)kind);

    Cogov__V1__NoticeList *l = xmalloc(sizeof *l);
    cogov__v1__notice_list__init(l);
    int rc, err = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        Cogov__V1__Notice *n = notice_from_row(q);
        l->notices = xrealloc(l->notices, (l->n_notices + 1) * sizeof *l->notices);
        l->notices[l->n_notices++] = n;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        err = store_errno(rc);
    /* Addressees after the walk: one statement active at a time. */
    for (size_t i = 0; err == 0 && i < l->n_notices; i++)
        err = load_addressees(st, l->notices[i]);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

int
sec_store_acknowledge(store_t *st, const char *notice_id,
                      const char *member_id, int64_t at)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE notice_addressees SET acknowledged_at = ?"
            " WHERE notice_id = ? AND member_id = ?"
            " AND acknowledged_at IS NULL");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_text(q, 2, notice_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, member_id, -1, SQLITE_STATIC);
    int err = exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) == 1)
        return 1;

    q = store_stmt(st, "SELECT 1 FROM notice_addressees"
                       " WHERE notice_id = ? AND member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, notice_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    err = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
    sqlite3_reset(q);
    return err;
}
