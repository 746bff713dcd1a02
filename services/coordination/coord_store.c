/* coord_store: coordination's schema and SQL. */
#include "coord_store.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define ST(x) COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_##x

static const char migration_1[] =
    "CREATE TABLE consortium("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  name TEXT NOT NULL, city TEXT NOT NULL, park TEXT NOT NULL,"
    "  lead_department TEXT NOT NULL, founded_on TEXT NOT NULL,"
    "  founded_at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "CREATE TABLE consortium_texts("
    "  list TEXT NOT NULL CHECK (list IN ('policy_basis', 'practical_needs')),"
    "  pos INTEGER NOT NULL, text TEXT NOT NULL,"
    "  PRIMARY KEY (list, pos));"
    "CREATE TABLE members("
    "  member_id TEXT PRIMARY KEY, uscc TEXT NOT NULL, name TEXT NOT NULL,"
    "  type INTEGER NOT NULL, status INTEGER NOT NULL,"
    "  applied_at INTEGER NOT NULL, changed_at INTEGER NOT NULL,"
    "  reason TEXT, contact_name TEXT, contact_phone TEXT,"
    "  contact_email TEXT);"
    "CREATE INDEX members_status ON members(status, member_id);"
    "CREATE TABLE member_history("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  member_id TEXT NOT NULL REFERENCES members(member_id),"
    "  from_status INTEGER NOT NULL, to_status INTEGER NOT NULL,"
    "  reason TEXT, at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "CREATE INDEX member_history_member ON member_history(member_id, id);";

const char *const coord_migrations[] = {migration_1};
const size_t coord_n_migrations = ARRAY_LEN(coord_migrations);

static char *
col_str(sqlite3_stmt *q, int i)
{
    return xstrdup((const char *)sqlite3_column_text(q, i));
}

/* Bind a text, NULL for NULL or "". */
static void
bind_opt(sqlite3_stmt *q, int i, const char *s)
{
    if (str_empty(s))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

/* Step a statement that returns no rows, then reset it. */
static int
exec(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    int err = rc == SQLITE_DONE ? 0 : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
coord_store_founded(store_t *st)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT 1 FROM consortium WHERE id = 1");
    if (q == NULL)
        return -EIO;
    int rc = sqlite3_step(q);
    int r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_errno(rc);
    sqlite3_reset(q);
    return r;
}

static int
put_texts(store_t *st, const char *list, char **items, size_t n)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO consortium_texts(list, pos, text) VALUES (?, ?, ?)");
    if (q == NULL)
        return -EIO;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(q, 1, list, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)i);
        sqlite3_bind_text(q, 3, items[i], -1, SQLITE_STATIC);
        int err = exec(q);
        if (err < 0)
            return err;
    }
    return 0;
}

int
coord_store_found(store_t *st, const Cogov__V1__FoundConsortium *f,
                  int64_t at, const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO consortium(id, name, city, park, lead_department,"
            " founded_on, founded_at, causation_id)"
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, f->city, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, f->park, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, f->lead_department, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, f->founded_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, at);
    sqlite3_bind_text(q, 7, causation, -1, SQLITE_STATIC);
    int err = exec(q);
    if (err == 0)
        err = put_texts(st, "policy_basis", f->policy_basis,
                        f->n_policy_basis);
    if (err == 0)
        err = put_texts(st, "practical_needs", f->practical_needs,
                        f->n_practical_needs);
    return err;
}

static int
get_texts(store_t *st, const char *list, char ***items, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT text FROM consortium_texts WHERE list = ? ORDER BY pos");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, list, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *items = xrealloc(*items, (*n + 1) * sizeof **items);
        (*items)[(*n)++] = col_str(q, 0);
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

int
coord_store_consortium(store_t *st, Cogov__V1__Consortium **out)
{
    Cogov__V1__Consortium *m = NULL;
    sqlite3_stmt *q = store_stmt(
        st, "SELECT name, city, park, lead_department, founded_on, founded_at"
            " FROM consortium WHERE id = 1");
    int err;

    if (q == NULL)
        return -EIO;
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        err = rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
        sqlite3_reset(q);
        return err;
    }
    m = xmalloc(sizeof *m);
    cogov__v1__consortium__init(m);
    m->name = col_str(q, 0);
    m->city = col_str(q, 1);
    m->park = col_str(q, 2);
    m->lead_department = col_str(q, 3);
    m->founded_on = col_str(q, 4);
    m->has_founded_at = true;
    m->founded_at = sqlite3_column_int64(q, 5);
    sqlite3_reset(q);

    err = get_texts(st, "policy_basis", &m->policy_basis, &m->n_policy_basis);
    if (err == 0)
        err = get_texts(st, "practical_needs", &m->practical_needs,
                        &m->n_practical_needs);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return err;
    }
    *out = m;
    return 0;
}

#define MEMBER_COLS                                                          \
    "member_id, uscc, name, type, status, applied_at, changed_at, reason,"   \
    " contact_name, contact_phone, contact_email"

static Cogov__V1__Member *
member_from_row(sqlite3_stmt *q, bool contacts)
{
    Cogov__V1__Member *m = xmalloc(sizeof *m);

    cogov__v1__member__init(m);
    m->member_id = col_str(q, 0);
    m->uscc = col_str(q, 1);
    m->name = col_str(q, 2);
    m->has_type = true;
    m->type = (Cogov__V1__MemberType)sqlite3_column_int(q, 3);
    m->has_status = true;
    m->status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 4);
    m->has_applied_at = true;
    m->applied_at = sqlite3_column_int64(q, 5);
    m->has_changed_at = true;
    m->changed_at = sqlite3_column_int64(q, 6);
    m->reason = col_str(q, 7);
    if (contacts) {
        m->contact_name = col_str(q, 8);
        m->contact_phone = col_str(q, 9);
        m->contact_email = col_str(q, 10);
    }
    return m;
}

int
coord_store_member(store_t *st, const char *member_id, bool contacts,
                   Cogov__V1__Member **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " MEMBER_COLS " FROM members WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int err = 0;
    if (rc == SQLITE_ROW)
        *out = member_from_row(q, contacts);
    else
        err = rc == SQLITE_DONE ? -ENOENT : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
coord_store_member_status(store_t *st, const char *member_id,
                          Cogov__V1__MemberStatus *status)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT status FROM members WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int err = 0;
    if (rc == SQLITE_ROW)
        *status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 0);
    else if (rc == SQLITE_DONE)
        *status = ST(UNSPECIFIED);
    else
        err = store_errno(rc);
    sqlite3_reset(q);
    return err;
}

static int
history_add(store_t *st, const char *member_id, Cogov__V1__MemberStatus from,
            Cogov__V1__MemberStatus to, const char *reason, int64_t at,
            const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO member_history(member_id, from_status, to_status,"
            " reason, at, causation_id) VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)from);
    sqlite3_bind_int(q, 3, (int)to);
    bind_opt(q, 4, reason);
    sqlite3_bind_int64(q, 5, at);
    sqlite3_bind_text(q, 6, causation, -1, SQLITE_STATIC);
    return exec(q);
}

int
coord_store_member_apply(store_t *st, const Cogov__V1__ApplyMember *a,
                         Cogov__V1__MemberStatus prev, int64_t at,
                         const char *causation)
{
    /* A re-application overwrites only a REJECTED or EXITED record. */
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO members(" MEMBER_COLS ")"
            " VALUES (?1, ?1, ?2, ?3, 1, ?4, ?4, NULL, ?5, ?6, ?7)"
            " ON CONFLICT(member_id) DO UPDATE SET name = excluded.name,"
            "  type = excluded.type, status = excluded.status,"
            "  applied_at = excluded.applied_at,"
            "  changed_at = excluded.changed_at, reason = NULL,"
            "  contact_name = excluded.contact_name,"
            "  contact_phone = excluded.contact_phone,"
            "  contact_email = excluded.contact_email"
            " WHERE members.status IN (4, 6)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, a->uscc, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)a->type);
    sqlite3_bind_int64(q, 4, at);
    bind_opt(q, 5, a->contact_name);
    bind_opt(q, 6, a->contact_phone);
    bind_opt(q, 7, a->contact_email);
    int err = exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) != 1)
        return -EEXIST;
    return history_add(st, a->uscc, prev, ST(APPLIED), NULL, at, causation);
}

int
coord_store_member_change(store_t *st, const char *member_id,
                          Cogov__V1__MemberStatus from,
                          Cogov__V1__MemberStatus to, const char *reason,
                          int64_t at, const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE members SET status = ?, changed_at = ?, reason = ?"
            " WHERE member_id = ? AND status = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)to);
    sqlite3_bind_int64(q, 2, at);
    bind_opt(q, 3, reason);
    sqlite3_bind_text(q, 4, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, (int)from);
    int err = exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) != 1) {
        Cogov__V1__MemberStatus now;
        err = coord_store_member_status(st, member_id, &now);
        if (err < 0)
            return err;
        return now == ST(UNSPECIFIED) ? -ENOENT : -EEXIST;
    }
    return history_add(st, member_id, from, to, reason, at, causation);
}

int
coord_store_members(store_t *st, Cogov__V1__MemberStatus status,
                    Cogov__V1__MemberType type, Cogov__V1__MemberList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " MEMBER_COLS " FROM members"
            " WHERE (?1 = 0 OR status = ?1) AND (?2 = 0 OR type = ?2)"
            " ORDER BY member_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)status);
    sqlite3_bind_int(q, 2, (int)type);

    Cogov__V1__MemberList *l = xmalloc(sizeof *l);
    cogov__v1__member_list__init(l);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        l->members =
            xrealloc(l->members, (l->n_members + 1) * sizeof *l->members);
        l->members[l->n_members++] = member_from_row(q, false);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return store_errno(rc);
    }
    *out = l;
    return 0;
}

int
coord_store_history_count(store_t *st, const char *member_id)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT count(*) FROM member_history WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int r = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : store_errno(rc);
    sqlite3_reset(q);
    return r;
}
