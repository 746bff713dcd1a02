/* sec_store: the secretariat's schema and SQL. */
#include "sec_store.h"

#include <errno.h>
#include <stdlib.h>

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

/* Motions, meetings and inquiries are kept as their reply message (packed)
 * with the columns the daemon selects on beside it. */
static const char migration_2[] =
    "CREATE TABLE charters("
    "  version INTEGER PRIMARY KEY, effective_on TEXT NOT NULL,"
    "  quorum_permille INTEGER NOT NULL, pass_permille INTEGER NOT NULL,"
    "  extraordinary_permille INTEGER NOT NULL, title TEXT NOT NULL);"
    "CREATE TABLE seats("
    "  seat_id TEXT PRIMARY KEY, role INTEGER NOT NULL,"
    "  member_id TEXT NOT NULL, term_start TEXT, term_end TEXT);"
    "CREATE TABLE objects("
    "  kind TEXT NOT NULL, id TEXT NOT NULL, status INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL, at INTEGER NOT NULL, body BLOB NOT NULL,"
    "  PRIMARY KEY (kind, id));"
    "CREATE INDEX objects_due ON objects(kind, status, due_at);"
    "CREATE TABLE once(key TEXT PRIMARY KEY);";

/* Coordination's tasks as the secretariat follows them (for the review of
 * resolutions), and the lines of briefings taken from the other streams
 * (tasks started and completed, awards, warnings, evaluations). */
static const char migration_3[] =
    "CREATE TABLE tasks("
    "  task_id TEXT PRIMARY KEY, title TEXT NOT NULL,"
    "  lead_member_id TEXT NOT NULL, resolution_id TEXT NOT NULL,"
    "  action_item_id TEXT NOT NULL, status INTEGER NOT NULL);"
    "CREATE INDEX tasks_item ON tasks(resolution_id, action_item_id);"
    "CREATE TABLE digest("
    "  kind TEXT NOT NULL, id TEXT NOT NULL, member_id TEXT NOT NULL,"
    "  title TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT NOT NULL,"
    "  PRIMARY KEY (kind, id));"
    "CREATE INDEX digest_at ON digest(kind, at, id);";

/* Fewer B-trees per reaction (a member_admitted writes a member, a notice
 * and its addressee: each B-tree is one more seek, one more dirty page and
 * one more WAL frame per commit). members and notice_addressees become
 * WITHOUT ROWID tables keyed by their primary key alone; the indexes no
 * query needs go: notices_published (the listing orders by published_at
 * and rowid, and scans every notice anyway) and notice_addressees_member
 * (every lookup names the notice: the primary key serves it). Rows are
 * kept. */
static const char migration_4[] =
    "DROP INDEX notices_published;"
    "CREATE TABLE members_v4("
    "  member_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  type INTEGER NOT NULL, status INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO members_v4(member_id, name, type, status)"
    "  SELECT member_id, name, type, status FROM members;"
    "DROP TABLE members;"
    "ALTER TABLE members_v4 RENAME TO members;"
    "CREATE TABLE notice_addressees_v4("
    "  notice_id TEXT NOT NULL REFERENCES notices(notice_id),"
    "  member_id TEXT NOT NULL, acknowledged_at INTEGER,"
    "  PRIMARY KEY (notice_id, member_id)) WITHOUT ROWID;"
    "INSERT INTO notice_addressees_v4(notice_id, member_id, acknowledged_at)"
    "  SELECT notice_id, member_id, acknowledged_at FROM notice_addressees;"
    "DROP TABLE notice_addressees;"
    "ALTER TABLE notice_addressees_v4 RENAME TO notice_addressees;";

const char *const sec_migrations[] = {migration_1, migration_2, migration_3,
                                      migration_4};
const size_t sec_n_migrations = ARRAY_LEN(sec_migrations);

int
sec_store_consortium_set(store_t *st, const char *name)
{
    sqlite3_stmt *q =
        store_stmt(st, "INSERT INTO consortium(id, name) VALUES (1, ?)"
                       " ON CONFLICT(id) DO UPDATE SET name = excluded.name");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
sec_store_consortium_name(store_t *st, char **name)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT name FROM consortium WHERE id = 1");
    if (q == NULL)
        return -EIO;
    int err = store_one(q);
    if (err < 0)
        return err;
    *name = store_col_text(q, 0);
    sqlite3_reset(q);
    return 0;
}

int
sec_store_member_put(store_t *st, const char *member_id, const char *name,
                     Cogov__V1__MemberType type, Cogov__V1__MemberStatus status)
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
    return store_exec(q);
}

int
sec_store_member_set(store_t *st, const char *member_id, const char *name,
                     Cogov__V1__MemberType type, Cogov__V1__MemberStatus status)
{
    sqlite3_stmt *q =
        store_stmt(st, "UPDATE members SET name = ?, type = ?, status = ?"
                       " WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)type);
    sqlite3_bind_int(q, 3, (int)status);
    sqlite3_bind_text(q, 4, member_id, -1, SQLITE_STATIC);
    int err = store_exec(q);
    if (err < 0)
        return err;
    return sqlite3_changes(store_db(st)) == 0 ? -ENOENT : 0;
}

int
sec_store_member(store_t *st, const char *member_id, char **name,
                 Cogov__V1__MemberStatus *status)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT name, status FROM members WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    if (name != NULL)
        *name = store_col_text(q, 0);
    if (status != NULL)
        *status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 1);
    sqlite3_reset(q);
    return 0;
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
    err = store_exec(q);
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
        err = store_exec(q);
        if (err < 0)
            return err;
    }
    return 1;
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
    int err;
    while (store_row(q, &err)) {
        STORE_PUSH(n->addressees, n->n_addressees, store_col_text(q, 0));
        if (sqlite3_column_int(q, 1))
            STORE_PUSH(n->acknowledged, n->n_acknowledged,
                       store_col_text(q, 0));
    }
    return err;
}

#define NOTICE_COLS "notice_id, kind, title, body, published_at, causation_id"

static Cogov__V1__Notice *
notice_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Notice *n = xmalloc(sizeof *n);

    cogov__v1__notice__init(n);
    n->notice_id = store_col_text(q, 0);
    n->has_kind = true;
    n->kind = (Cogov__V1__NoticeKind)sqlite3_column_int(q, 1);
    n->title = store_col_text(q, 2);
    n->body = store_col_text(q, 3);
    n->has_published_at = true;
    n->published_at = sqlite3_column_int64(q, 4);
    n->causation_id = store_col_text(q, 5);
    return n;
}

int
sec_store_notice(store_t *st, const char *notice_id, Cogov__V1__Notice **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " NOTICE_COLS
                                     " FROM notices WHERE notice_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, notice_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    Cogov__V1__Notice *n = notice_from_row(q);
    sqlite3_reset(q);
    err = load_addressees(st, n);
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
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->notices, l->n_notices, notice_from_row(q));
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
sec_store_acknowledge(store_t *st, const char *notice_id, const char *member_id,
                      int64_t at)
{
    sqlite3_stmt *q =
        store_stmt(st, "UPDATE notice_addressees SET acknowledged_at = ?"
                       " WHERE notice_id = ? AND member_id = ?"
                       " AND acknowledged_at IS NULL");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_text(q, 2, notice_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, member_id, -1, SQLITE_STATIC);
    int err = store_exec(q);
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
    err = store_one(q);
    if (err == 0)
        sqlite3_reset(q);
    return err;
}

int
sec_store_charter_put(store_t *st, const charter_ver_t *v, const char *title)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO charters(version, effective_on,"
            " quorum_permille, pass_permille, extraordinary_permille, title)"
            " VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, v->version);
    sqlite3_bind_text(q, 2, v->effective_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, v->rules.quorum_permille);
    sqlite3_bind_int64(q, 4, v->rules.pass_permille);
    sqlite3_bind_int64(q, 5, v->rules.extraordinary_permille);
    sqlite3_bind_text(q, 6, title ? title : "", -1, SQLITE_STATIC);
    return store_exec(q);
}

int
sec_store_charter_rules(store_t *st, const char *on, charter_rules_t *out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT version, effective_on, quorum_permille, pass_permille,"
            " extraordinary_permille FROM charters ORDER BY version");
    charter_ver_t *v = NULL;
    size_t n = 0;
    int err;

    if (q == NULL)
        return -EIO;
    while (store_row(q, &err)) {
        v = xrealloc(v, (n + 1) * sizeof *v);
        v[n].version = (uint32_t)sqlite3_column_int64(q, 0);
        v[n].effective_on = store_col_text(q, 1);
        v[n].rules.version = v[n].version;
        v[n].rules.quorum_permille = (uint32_t)sqlite3_column_int64(q, 2);
        v[n].rules.pass_permille = (uint32_t)sqlite3_column_int64(q, 3);
        v[n].rules.extraordinary_permille =
            (uint32_t)sqlite3_column_int64(q, 4);
        n++;
    }
    *out = charter_in_force(v, n, on);
    for (size_t i = 0; i < n; i++)
        free((char *)v[i].effective_on);
    free(v);
    return err;
}

int
sec_store_seat_put(store_t *st, const char *seat_id, int role,
                   const char *member_id, const char *term_start,
                   const char *term_end)
{
    sqlite3_stmt *q =
        store_stmt(st, "INSERT OR REPLACE INTO seats(seat_id, role, member_id,"
                       " term_start, term_end) VALUES (?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, seat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, role);
    sqlite3_bind_text(q, 3, member_id ? member_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, term_start, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, term_end, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
sec_store_seats(store_t *st, char ***ids, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT DISTINCT member_id FROM seats WHERE member_id <> ''"
            " ORDER BY member_id");
    int err;

    if (q == NULL)
        return -EIO;
    *ids = NULL;
    *n = 0;
    while (store_row(q, &err))
        STORE_PUSH(*ids, *n, store_col_text(q, 0));
    return err;
}

int
sec_store_admitted(store_t *st, Cogov__V1__MemberType type, char ***ids,
                   size_t *n)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT member_id FROM members WHERE status = ?"
                       " AND (?2 = 0 OR type = ?2) ORDER BY member_id");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, COGOV__V1__MEMBER_STATUS__MEMBER_STATUS_ADMITTED);
    sqlite3_bind_int(q, 2, (int)type);
    while (store_row(q, &err))
        STORE_PUSH(*ids, *n, store_col_text(q, 0));
    return err;
}

void
sec_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int
sec_store_obj_put(store_t *st, const char *kind, const char *id, int status,
                  int64_t due_at, int64_t at, const ProtobufCMessage *m)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO objects(kind, id, status, due_at, at, body)"
            " VALUES (?, ?, ?, ?, ?, ?)");

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, status);
    sqlite3_bind_int64(q, 4, due_at);
    sqlite3_bind_int64(q, 5, at);
    store_bind_msg(q, 6, m);
    return store_exec(q);
}

int
sec_store_obj(store_t *st, const char *kind, const char *id,
              const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT body FROM objects WHERE kind = ? AND id = ?");

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    return store_one_msg(q, 0, d, out);
}

int
sec_store_objs(store_t *st, const char *kind, int status, int64_t due_before,
               int64_t from, int64_t to, const ProtobufCMessageDescriptor *d,
               ProtobufCMessage ***out, size_t *n)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT body FROM objects WHERE kind = ?1"
                       " AND (?2 = 0 OR status = ?2)"
                       " AND (?3 = 0 OR (due_at > 0 AND due_at <= ?3))"
                       " AND at >= ?4 AND (?5 = 0 OR at < ?5)"
                       " ORDER BY at, id");

    if (q == NULL)
        return -EIO;
    *out = NULL;
    *n = 0;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, status);
    sqlite3_bind_int64(q, 3, due_before);
    sqlite3_bind_int64(q, 4, from);
    sqlite3_bind_int64(q, 5, to);
    return store_rows_msg(q, 0, d, out, n);
}

int
sec_store_once(store_t *st, const char *key)
{
    sqlite3_stmt *q =
        store_stmt(st, "INSERT OR IGNORE INTO once(key) VALUES (?)");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    err = store_exec(q);
    if (err < 0)
        return err;
    return sqlite3_changes(store_db(st)) == 1 ? 1 : 0;
}

int
sec_store_unacked(store_t *st, int64_t published_before, char ***notice_ids,
                  char ***member_ids, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT a.notice_id, a.member_id FROM notice_addressees a"
            " JOIN notices n ON n.notice_id = a.notice_id"
            " WHERE a.acknowledged_at IS NULL AND n.kind = ?"
            " AND n.published_at <= ? ORDER BY a.notice_id, a.member_id");
    size_t m = 0;
    int err;

    if (q == NULL)
        return -EIO;
    *notice_ids = NULL;
    *member_ids = NULL;
    *n = 0;
    sqlite3_bind_int(q, 1, COGOV__V1__NOTICE_KIND__NOTICE_KIND_GENERAL);
    sqlite3_bind_int64(q, 2, published_before);
    while (store_row(q, &err)) {
        STORE_PUSH(*notice_ids, *n, store_col_text(q, 0));
        STORE_PUSH(*member_ids, m, store_col_text(q, 1));
    }
    return err;
}

int
sec_store_task_put(store_t *st, const char *task_id, const char *title,
                   const char *lead, const char *resolution_id,
                   const char *item_id, int status)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO tasks(task_id, title, lead_member_id, resolution_id,"
            " action_item_id, status) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(task_id) DO NOTHING");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, title ? title : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, lead ? lead : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, resolution_id ? resolution_id : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(q, 5, item_id ? item_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, status);
    return store_exec(q);
}

int
sec_store_task_status(store_t *st, const char *task_id, int status)
{
    sqlite3_stmt *q =
        store_stmt(st, "UPDATE tasks SET status = ? WHERE task_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, status);
    sqlite3_bind_text(q, 2, task_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
sec_store_task(store_t *st, const char *task_id, char **title, char **lead,
               int *status)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT title, lead_member_id, status FROM tasks"
                       " WHERE task_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    if (title != NULL)
        *title = store_col_text(q, 0);
    if (lead != NULL)
        *lead = store_col_text(q, 1);
    if (status != NULL)
        *status = sqlite3_column_int(q, 2);
    sqlite3_reset(q);
    return 0;
}

int
sec_store_task_for_item(store_t *st, const char *resolution_id,
                        const char *item_id, char **task_id, int *status)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT task_id, status FROM tasks WHERE resolution_id = ?"
            " AND action_item_id = ? ORDER BY task_id LIMIT 1");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, resolution_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, item_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *task_id = store_col_text(q, 0);
    *status = sqlite3_column_int(q, 1);
    sqlite3_reset(q);
    return 0;
}

int
sec_store_digest_add(store_t *st, const char *kind, const char *id,
                     const char *member_id, const char *title, int64_t at,
                     const char *detail)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO digest(kind, id, member_id, title, at,"
            " detail) VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, member_id ? member_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, title ? title : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, at);
    sqlite3_bind_text(q, 6, detail ? detail : "", -1, SQLITE_STATIC);
    return store_exec(q);
}

int
sec_store_digest(store_t *st, const char *kind, int64_t from, int64_t to,
                 const char *member_id, Cogov__V1__BriefingEntry ***out,
                 size_t *n)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT id, member_id, title, at, detail FROM digest"
                       " WHERE kind = ?1 AND at >= ?2 AND (?3 = 0 OR at < ?3)"
                       " AND (?4 IS NULL OR member_id = ?4) ORDER BY at, id");
    int err;

    if (q == NULL)
        return -EIO;
    *out = NULL;
    *n = 0;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    if (str_empty(member_id))
        sqlite3_bind_null(q, 4);
    else
        sqlite3_bind_text(q, 4, member_id, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        Cogov__V1__BriefingEntry *e = xmalloc(sizeof *e);
        cogov__v1__briefing_entry__init(e);
        e->id = store_col_text(q, 0);
        e->member_id = store_col_text(q, 1);
        e->title = store_col_text(q, 2);
        e->has_at = true;
        e->at = sqlite3_column_int64(q, 3);
        e->detail = store_col_text(q, 4);
        STORE_PUSH(*out, *n, e);
    }
    return err;
}
