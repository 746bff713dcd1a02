/* supv_store: supervision's schema and SQL. */
#include "supv_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char migration_1[] =
    "CREATE TABLE members("
    "  member_id TEXT PRIMARY KEY, name TEXT NOT NULL, type INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, since INTEGER NOT NULL);"
    "CREATE TABLE facts("
    "  event_id TEXT NOT NULL, member_id TEXT NOT NULL, source TEXT NOT NULL,"
    "  at INTEGER NOT NULL, value INTEGER NOT NULL,"
    "  PRIMARY KEY (event_id, member_id, source));"
    "CREATE INDEX facts_member ON facts(member_id, source, at);"
    "CREATE INDEX facts_at ON facts(at);"
    "CREATE TABLE indicator_sets("
    "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL,"
    "  loaded_at INTEGER NOT NULL);"
    "CREATE TABLE objects("
    "  kind TEXT NOT NULL, id TEXT NOT NULL, member_id TEXT NOT NULL,"
    "  status INTEGER NOT NULL, due_at INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  body BLOB NOT NULL, PRIMARY KEY (kind, id));"
    "CREATE INDEX objects_member ON objects(kind, member_id, at);"
    "CREATE INDEX objects_due ON objects(kind, status, due_at);";

const char *const supv_migrations[] = {migration_1};
const size_t supv_n_migrations = ARRAY_LEN(supv_migrations);

static char *
col_str(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return xstrdup(t ? (const char *)t : "");
}

int
supv_store_member_put(store_t *st, const char *member_id, const char *name,
                      int type, int status, int64_t since)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO members(member_id, name, type, status, since)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(member_id) DO UPDATE SET"
            " name = excluded.name, type = excluded.type,"
            " status = excluded.status, since = excluded.since");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, type);
    sqlite3_bind_int(q, 4, status);
    sqlite3_bind_int64(q, 5, since);
    return store_exec(q);
}

int
supv_store_member(store_t *st, const char *member_id, char **name, int *type,
                  int *status)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT name, type, status FROM members WHERE member_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    if (name)
        *name = col_str(q, 0);
    if (type)
        *type = sqlite3_column_int(q, 1);
    if (status)
        *status = sqlite3_column_int(q, 2);
    sqlite3_reset(q);
    return 0;
}

int
supv_store_members(store_t *st, supv_member_t **out, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT m.member_id, m.name, m.type, m.status,"
            " MAX(m.since, COALESCE((SELECT MAX(f.at) FROM facts f"
            "   WHERE f.member_id = m.member_id AND f.value > 0"
            "   AND f.source NOT IN ('pledge.missed', 'milestone.overdue',"
            "   'inquiry.breached', 'rectification.overdue')), 0))"
            " FROM members m WHERE m.status IN (2, 3) ORDER BY m.member_id");
    int err;

    *out = NULL;
    *n = 0;
    if (q == NULL)
        return -EIO;
    while (store_row(q, &err)) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        supv_member_t *m = &(*out)[(*n)++];
        m->member_id = col_str(q, 0);
        m->name = col_str(q, 1);
        m->type = sqlite3_column_int(q, 2);
        m->status = sqlite3_column_int(q, 3);
        m->last_active = sqlite3_column_int64(q, 4);
    }
    return err;
}

void
supv_members_free(supv_member_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].member_id);
        free(m[i].name);
    }
    free(m);
}

int
supv_store_fact_add(store_t *st, const char *event_id, const char *member_id,
                    const char *source, int64_t at, int64_t value)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO facts(event_id, member_id, source, at,"
            " value) VALUES (?, ?, ?, ?, ?)");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, at);
    sqlite3_bind_int64(q, 5, value);
    err = store_exec(q);
    if (err < 0)
        return err;
    return sqlite3_changes(store_db(st)) > 0 ? 1 : 0;
}

int
supv_store_facts(store_t *st, const char *member_id, int64_t from, int64_t to,
                 supv_fact_t **out, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT member_id, source, event_id, at, value FROM facts"
            " WHERE (?1 IS NULL OR member_id = ?1) AND at >= ?2"
            " AND (?3 = 0 OR at < ?3)"
            " ORDER BY member_id, at, event_id, source");
    int err;

    *out = NULL;
    *n = 0;
    if (q == NULL)
        return -EIO;
    if (member_id)
        sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, from);
    sqlite3_bind_int64(q, 3, to);
    while (store_row(q, &err)) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        supv_fact_t *f = &(*out)[(*n)++];
        f->member_id = col_str(q, 0);
        f->source = col_str(q, 1);
        f->event_id = col_str(q, 2);
        f->at = sqlite3_column_int64(q, 3);
        f->value = sqlite3_column_int64(q, 4);
    }
    return err;
}

void
supv_facts_free(supv_fact_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].member_id);
        free(f[i].source);
        free(f[i].event_id);
    }
    free(f);
}

int
supv_store_recent(store_t *st, const char *member_id, const char *source,
                  size_t limit, int64_t *values, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT value FROM facts WHERE member_id = ? AND source = ?"
            " ORDER BY at DESC, event_id DESC LIMIT ?");
    int rc;

    *n = 0;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (int64_t)limit);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < limit)
        values[(*n)++] = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int
supv_store_indicators_put(store_t *st, const char *name, const char *text,
                          int64_t at, uint32_t *version)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO indicator_sets(version, name, text, loaded_at)"
            " VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM"
            " indicator_sets), ?, ?, ?) RETURNING version");
    int rc, err = 0;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, at);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *version = (uint32_t)sqlite3_column_int(q, 0);
        rc = sqlite3_step(q);
    }
    if (rc != SQLITE_DONE)
        err = store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
supv_store_indicators_get(store_t *st, uint32_t version, uint32_t *out_ver,
                          char **name, char **text, int64_t *at)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT version, name, text, loaded_at FROM indicator_sets"
            " WHERE ?1 = 0 OR version = ?1 ORDER BY version DESC LIMIT 1");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, version);
    err = store_one(q);
    if (err < 0)
        return err;
    *out_ver = (uint32_t)sqlite3_column_int(q, 0);
    *name = col_str(q, 1);
    *text = col_str(q, 2);
    *at = sqlite3_column_int64(q, 3);
    sqlite3_reset(q);
    return 0;
}

static int
obj_write(store_t *st, const char *sql, const char *kind, const char *id,
          const char *member_id, int status, int64_t due_at, int64_t at,
          const ProtobufCMessage *m)
{
    sqlite3_stmt *q = store_stmt(st, sql);
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, member_id ? member_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, status);
    sqlite3_bind_int64(q, 5, due_at);
    sqlite3_bind_int64(q, 6, at);
    store_bind_msg(q, 7, m);
    err = store_exec(q);
    if (err < 0)
        return err;
    return sqlite3_changes(store_db(st)) > 0 ? 1 : 0;
}

int
supv_store_obj_put(store_t *st, const char *kind, const char *id,
                   const char *member_id, int status, int64_t due_at,
                   int64_t at, const ProtobufCMessage *m)
{
    int err =
        obj_write(st,
                  "INSERT OR REPLACE INTO objects(kind, id, member_id, status,"
                  " due_at, at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  kind, id, member_id, status, due_at, at, m);
    return err < 0 ? err : 0;
}

int
supv_store_obj_add(store_t *st, const char *kind, const char *id,
                   const char *member_id, int status, int64_t due_at,
                   int64_t at, const ProtobufCMessage *m)
{
    return obj_write(
        st,
        "INSERT OR IGNORE INTO objects(kind, id, member_id, status,"
        " due_at, at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
        kind, id, member_id, status, due_at, at, m);
}

int
supv_store_obj(store_t *st, const char *kind, const char *id,
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
supv_store_objs(store_t *st, const char *kind, const char *member_id,
                int status, int64_t due_before,
                const ProtobufCMessageDescriptor *d, ProtobufCMessage ***out,
                size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM objects WHERE kind = ?1"
            " AND (?2 IS NULL OR member_id = ?2) AND (?3 = 0 OR status = ?3)"
            " AND (?4 = 0 OR (due_at > 0 AND due_at <= ?4))"
            " ORDER BY at, id");

    *out = NULL;
    *n = 0;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    if (member_id)
        sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, status);
    sqlite3_bind_int64(q, 4, due_before);
    return store_rows_msg(q, 0, d, out, n);
}

void
supv_objs_free(ProtobufCMessage **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(v[i], NULL);
    free(v);
}
