/* coord_store: coordination's schema and SQL. */
#include "coord_store.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

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

static const char migration_2[] =
    "CREATE TABLE charters("
    "  version INTEGER PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL,"
    "  quorum INTEGER NOT NULL, pass INTEGER NOT NULL,"
    "  extraordinary INTEGER NOT NULL, one_unit INTEGER NOT NULL,"
    "  effective_on TEXT NOT NULL, resolution_id TEXT,"
    "  adopted_at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "CREATE TABLE seats("
    "  seat_id TEXT PRIMARY KEY, role INTEGER NOT NULL, member_id TEXT,"
    "  term_start TEXT, term_end TEXT, changed_at INTEGER NOT NULL);"
    "CREATE TABLE secretariat_unit("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), member_id TEXT NOT NULL);"
    "CREATE TABLE committees("
    "  committee_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  convenor TEXT NOT NULL);"
    "CREATE TABLE committee_members("
    "  committee_id TEXT NOT NULL, member_id TEXT NOT NULL,"
    "  PRIMARY KEY (committee_id, member_id));"
    "CREATE TABLE vision(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  text TEXT NOT NULL);"
    "CREATE TABLE goals("
    "  goal_id TEXT PRIMARY KEY, year INTEGER NOT NULL,"
    "  indicator_code TEXT NOT NULL, title TEXT, target INTEGER NOT NULL,"
    "  unit TEXT);"
    "CREATE TABLE tasks("
    "  task_id TEXT PRIMARY KEY, title TEXT NOT NULL, kind INTEGER NOT NULL,"
    "  lead TEXT NOT NULL, goal_id TEXT, planned INTEGER NOT NULL,"
    "  unit TEXT, status INTEGER NOT NULL, resolution_id TEXT,"
    "  action_item_id TEXT, created_at INTEGER NOT NULL,"
    "  changed_at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "CREATE INDEX tasks_status ON tasks(status, task_id);"
    "CREATE TABLE task_participants("
    "  task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    "  member_id TEXT NOT NULL, PRIMARY KEY (task_id, member_id));"
    "CREATE TABLE milestones("
    "  task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    "  milestone_id TEXT NOT NULL, pos INTEGER NOT NULL,"
    "  title TEXT NOT NULL, due_on TEXT NOT NULL, due_at INTEGER NOT NULL,"
    "  completed_at INTEGER NOT NULL DEFAULT 0,"
    "  overdue_raised INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (task_id, milestone_id));"
    "CREATE INDEX milestones_due ON milestones(due_at)"
    "  WHERE completed_at = 0 AND overdue_raised = 0;"
    "CREATE TABLE reports("
    "  task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    "  report_id TEXT NOT NULL, member_id TEXT NOT NULL,"
    "  students INTEGER NOT NULL, interns INTEGER NOT NULL,"
    "  hours INTEGER NOT NULL, investment_fen INTEGER NOT NULL,"
    "  quantity INTEGER NOT NULL, note TEXT, corrects TEXT,"
    "  reported_at INTEGER NOT NULL, causation_id TEXT NOT NULL,"
    "  PRIMARY KEY (task_id, report_id));"
    "CREATE TABLE pledges("
    "  pledge_id TEXT PRIMARY KEY,"
    "  task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    "  member_id TEXT NOT NULL, kind INTEGER NOT NULL,"
    "  amount_fen INTEGER NOT NULL, description TEXT, due_on TEXT NOT NULL,"
    "  due_at INTEGER NOT NULL, status INTEGER NOT NULL, evidence TEXT,"
    "  settled_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE escalations("
    "  case_id TEXT PRIMARY KEY, source INTEGER NOT NULL,"
    "  subject TEXT NOT NULL, member_id TEXT, details TEXT,"
    "  status INTEGER NOT NULL, decision INTEGER NOT NULL DEFAULT 0,"
    "  rationale TEXT, note TEXT, source_ref TEXT,"
    "  causation_id TEXT NOT NULL, opened_at INTEGER NOT NULL,"
    "  decided_at INTEGER NOT NULL DEFAULT 0);";

/* Issue 5, item 3: the three lists, the occupation map and accepted
 * matches. */
static const char migration_3[] =
    "CREATE TABLE demands("
    "  demand_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,"
    "  kind INTEGER NOT NULL, title TEXT NOT NULL, occupation TEXT,"
    "  headcount INTEGER NOT NULL, skill_level TEXT, needed_by TEXT,"
    "  needed_by_at INTEGER NOT NULL, details TEXT, digest TEXT NOT NULL,"
    "  posted_at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "CREATE INDEX demands_member ON demands(member_id, demand_id);"
    "CREATE TABLE supplies("
    "  supply_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,"
    "  major TEXT NOT NULL, graduates INTEGER NOT NULL,"
    "  available_on TEXT NOT NULL, available_at INTEGER NOT NULL,"
    "  training_capacity INTEGER NOT NULL, research TEXT, details TEXT,"
    "  digest TEXT NOT NULL, posted_at INTEGER NOT NULL,"
    "  causation_id TEXT NOT NULL);"
    "CREATE INDEX supplies_member ON supplies(member_id, supply_id);"
    "CREATE TABLE occupation_map("
    "  pos INTEGER PRIMARY KEY, occupation TEXT NOT NULL,"
    "  major TEXT NOT NULL);"
    "CREATE TABLE occupation_map_info("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), source TEXT,"
    "  digest TEXT NOT NULL, loaded_at INTEGER NOT NULL);"
    "CREATE TABLE matches("
    "  demand_id TEXT NOT NULL REFERENCES demands(demand_id),"
    "  supply_id TEXT NOT NULL REFERENCES supplies(supply_id),"
    "  task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    "  kind INTEGER NOT NULL, quantity INTEGER NOT NULL,"
    "  score INTEGER NOT NULL, accepted_at INTEGER NOT NULL,"
    "  PRIMARY KEY (demand_id, supply_id));"
    "CREATE INDEX matches_supply ON matches(supply_id);";

/* Issue 10: the funding picture from incentives' pool alerts, one row per
 * pool (the latest alert, or lifted by a later top-up). */
static const char migration_4[] =
    "CREATE TABLE funding("
    "  pool_id TEXT PRIMARY KEY, state INTEGER NOT NULL,"
    "  budget INTEGER NOT NULL, available INTEGER NOT NULL,"
    "  queued INTEGER NOT NULL, since INTEGER NOT NULL,"
    "  causation_id TEXT NOT NULL);";

/* The columns of members, as migration 1 made them (migration 6 copies
 * them; the queries use MEMBER_COLS below, the same list). */
#define MEMBER_COLS_V6                                                         \
    "member_id, uscc, name, type, status, applied_at, changed_at, reason,"     \
    " contact_name, contact_phone, contact_email"

/* perf4: member_history without AUTOINCREMENT (no sqlite_sequence update per
 * row). Rows are never deleted, so the next id is still max(id) + 1, as
 * before; rows and ids kept. DROP TABLE removes its sqlite_sequence row. */
static const char migration_5[] =
    "CREATE TABLE member_history_new("
    "  id INTEGER PRIMARY KEY,"
    "  member_id TEXT NOT NULL REFERENCES members(member_id),"
    "  from_status INTEGER NOT NULL, to_status INTEGER NOT NULL,"
    "  reason TEXT, at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "INSERT INTO member_history_new(id, member_id, from_status, to_status,"
    "  reason, at, causation_id)"
    " SELECT id, member_id, from_status, to_status, reason, at, causation_id"
    " FROM member_history;"
    "DROP TABLE member_history;"
    "ALTER TABLE member_history_new RENAME TO member_history;"
    "CREATE INDEX member_history_member ON member_history(member_id, id);";

/* perf (issue 4): members keyed by member_id alone (WITHOUT ROWID: one
 * B-tree, where a rowid table with a TEXT primary key had two), and neither
 * members_status nor member_history_member: no query uses them (the member
 * list filters "?1 = 0 OR status = ?1" in member_id order and scans the
 * key; member_history is only written, and counted for tests; the foreign
 * key looks children up only when a member's key changes or the member is
 * deleted, which never happens). member_history keeps its ids and the
 * foreign key. Both tables are rebuilt (rows kept) because members cannot
 * be dropped under member_history's foreign key: the new history references
 * the new members, and the renames carry the reference along. */
static const char migration_6[] =
    "CREATE TABLE members_v6("
    "  member_id TEXT PRIMARY KEY NOT NULL, uscc TEXT NOT NULL,"
    "  name TEXT NOT NULL, type INTEGER NOT NULL, status INTEGER NOT NULL,"
    "  applied_at INTEGER NOT NULL, changed_at INTEGER NOT NULL,"
    "  reason TEXT, contact_name TEXT, contact_phone TEXT,"
    "  contact_email TEXT) WITHOUT ROWID;"
    "INSERT INTO members_v6(" MEMBER_COLS_V6 ")"
    " SELECT " MEMBER_COLS_V6 " FROM members;"
    "CREATE TABLE member_history_v6("
    "  id INTEGER PRIMARY KEY,"
    "  member_id TEXT NOT NULL REFERENCES members_v6(member_id),"
    "  from_status INTEGER NOT NULL, to_status INTEGER NOT NULL,"
    "  reason TEXT, at INTEGER NOT NULL, causation_id TEXT NOT NULL);"
    "INSERT INTO member_history_v6(id, member_id, from_status, to_status,"
    "  reason, at, causation_id)"
    " SELECT id, member_id, from_status, to_status, reason, at, causation_id"
    " FROM member_history;"
    "DROP TABLE member_history;"
    "DROP TABLE members;"
    "ALTER TABLE members_v6 RENAME TO members;"
    "ALTER TABLE member_history_v6 RENAME TO member_history;";

const char *const coord_migrations[] = {migration_1, migration_2, migration_3,
                                        migration_4, migration_5, migration_6};
const size_t coord_n_migrations = ARRAY_LEN(coord_migrations);

/* Bind a text, NULL for NULL or "". */
static void
bind_opt(sqlite3_stmt *q, int i, const char *s)
{
    if (str_empty(s))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
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
        int err = store_exec(q);
        if (err < 0)
            return err;
    }
    return 0;
}

int
coord_store_found(store_t *st, const Cogov__V1__FoundConsortium *f, int64_t at,
                  const char *causation)
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
    int err = store_exec(q);
    if (err == 0)
        err = put_texts(st, "policy_basis", f->policy_basis, f->n_policy_basis);
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
    int err;
    while (store_row(q, &err))
        STORE_PUSH(*items, *n, store_col_text(q, 0));
    return err;
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
    err = store_one(q);
    if (err < 0)
        return err;
    m = xmalloc(sizeof *m);
    cogov__v1__consortium__init(m);
    m->name = store_col_text(q, 0);
    m->city = store_col_text(q, 1);
    m->park = store_col_text(q, 2);
    m->lead_department = store_col_text(q, 3);
    m->founded_on = store_col_text(q, 4);
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

#define MEMBER_COLS                                                            \
    "member_id, uscc, name, type, status, applied_at, changed_at, reason,"     \
    " contact_name, contact_phone, contact_email"

static Cogov__V1__Member *
member_from_row(sqlite3_stmt *q, bool contacts)
{
    Cogov__V1__Member *m = xmalloc(sizeof *m);

    cogov__v1__member__init(m);
    m->member_id = store_col_text(q, 0);
    m->uscc = store_col_text(q, 1);
    m->name = store_col_text(q, 2);
    m->has_type = true;
    m->type = (Cogov__V1__MemberType)sqlite3_column_int(q, 3);
    m->has_status = true;
    m->status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 4);
    m->has_applied_at = true;
    m->applied_at = sqlite3_column_int64(q, 5);
    m->has_changed_at = true;
    m->changed_at = sqlite3_column_int64(q, 6);
    m->reason = store_col_text(q, 7);
    if (contacts) {
        m->contact_name = store_col_text(q, 8);
        m->contact_phone = store_col_text(q, 9);
        m->contact_email = store_col_text(q, 10);
    }
    return m;
}

int
coord_store_member(store_t *st, const char *member_id, bool contacts,
                   Cogov__V1__Member **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " MEMBER_COLS
                                     " FROM members WHERE member_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = member_from_row(q, contacts);
    sqlite3_reset(q);
    return 0;
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

int
coord_store_apply_state(store_t *st, const char *member_id, bool *founded,
                        Cogov__V1__MemberStatus *status)
{
    /* No row: not founded; status NULL: no such member. */
    sqlite3_stmt *q =
        store_stmt(st, "SELECT m.status FROM consortium c LEFT JOIN members m"
                       " ON m.member_id = ? WHERE c.id = 1");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    *founded = err == 0;
    *status = ST(UNSPECIFIED);
    if (err == -ENOENT)
        return 0;
    if (err < 0)
        return err;
    if (sqlite3_column_type(q, 0) != SQLITE_NULL)
        *status = (Cogov__V1__MemberStatus)sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    return 0;
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
    return store_exec(q);
}

/* ?1 uscc (also the member id), ?2 name, ?3 type, ?4 applied/changed at,
 * ?5..?7 contacts: the VALUES of an apply. */
static void
bind_apply(sqlite3_stmt *q, const Cogov__V1__ApplyMember *a, int64_t at)
{
    sqlite3_bind_text(q, 1, a->uscc, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)a->type);
    sqlite3_bind_int64(q, 4, at);
    bind_opt(q, 5, a->contact_name);
    bind_opt(q, 6, a->contact_phone);
    bind_opt(q, 7, a->contact_email);
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
    bind_apply(q, a, at);
    int err = store_exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) != 1)
        return -EEXIST;
    return history_add(st, a->uscc, prev, ST(APPLIED), NULL, at, causation);
}

int
coord_store_member_enter(store_t *st, const Cogov__V1__ApplyMember *a,
                         int64_t at, const char *causation)
{
    /* Two statements, cheaper than apply_state's join and the upsert (an
     * INSERT ... SELECT from consortium costs more than both); an existing
     * record is left alone (DO NOTHING) for the caller's checks. */
    int err = coord_store_founded(st);
    if (err <= 0)
        return err;
    sqlite3_stmt *q =
        store_stmt(st, "INSERT INTO members(" MEMBER_COLS ")"
                       " VALUES (?1, ?1, ?2, ?3, 1, ?4, ?4, NULL, ?5, ?6, ?7)"
                       " ON CONFLICT(member_id) DO NOTHING");
    if (q == NULL)
        return -EIO;
    bind_apply(q, a, at);
    err = store_exec(q);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) != 1)
        return 0;
    err = history_add(st, a->uscc, ST(UNSPECIFIED), ST(APPLIED), NULL, at,
                      causation);
    return err < 0 ? err : 1;
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
    int err = store_exec(q);
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
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->members, l->n_members, member_from_row(q, false));
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
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

/* ==== issue 5: charter, council, goals, tasks, pledges, escalations ===== */

#define TS(x) COGOV__V1__TASK_STATUS__TASK_STATUS_##x

/* Step a query returning one integer (default `none` when no row). */
static int64_t
one_int(sqlite3_stmt *q, int64_t none, int *err)
{
    int rc = sqlite3_step(q);
    int64_t v = none;
    *err = 0;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    else if (rc != SQLITE_DONE)
        *err = store_errno(rc);
    sqlite3_reset(q);
    return v;
}

int
coord_store_charter_latest(store_t *st)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT max(version) FROM charters");
    int err;
    if (q == NULL)
        return -EIO;
    int64_t v = one_int(q, 0, &err);
    return err < 0 ? err : (int)v;
}

int
coord_store_charter_add(store_t *st, uint32_t v,
                        const Cogov__V1__AdoptCharter *a, int64_t at,
                        const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO charters(version, title, text, quorum, pass,"
            " extraordinary, one_unit, effective_on, resolution_id,"
            " adopted_at, causation_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, v);
    sqlite3_bind_text(q, 2, a->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, a->text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, a->rules->quorum_permille);
    sqlite3_bind_int64(q, 5, a->rules->pass_permille);
    sqlite3_bind_int64(q, 6, a->rules->extraordinary_permille);
    sqlite3_bind_int(q, 7, a->rules->one_unit_one_vote ? 1 : 0);
    sqlite3_bind_text(q, 8, a->effective_on, -1, SQLITE_STATIC);
    bind_opt(q, 9, a->resolution_id);
    sqlite3_bind_int64(q, 10, at);
    sqlite3_bind_text(q, 11, causation, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
coord_store_charter(store_t *st, uint32_t v, const char *as_of,
                    Cogov__V1__Charter **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT version, title, text, quorum, pass, extraordinary,"
            " one_unit, effective_on, resolution_id, adopted_at"
            " FROM charters WHERE (?1 = 0 OR version = ?1)"
            " AND (?2 IS NULL OR effective_on <= ?2)"
            " ORDER BY version DESC LIMIT 1");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, v);
    if (v == 0 && as_of != NULL)
        sqlite3_bind_text(q, 2, as_of, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 2);
    int err = store_one(q);
    if (err < 0)
        return err;
    Cogov__V1__Charter *c = xmalloc(sizeof *c);
    Cogov__V1__CharterRules *r = xmalloc(sizeof *r);
    cogov__v1__charter__init(c);
    cogov__v1__charter_rules__init(r);
    c->has_version = true;
    c->version = (uint32_t)sqlite3_column_int64(q, 0);
    c->title = store_col_text(q, 1);
    c->text = store_col_text(q, 2);
    r->has_quorum_permille = r->has_pass_permille = true;
    r->has_extraordinary_permille = r->has_one_unit_one_vote = true;
    r->quorum_permille = (uint32_t)sqlite3_column_int64(q, 3);
    r->pass_permille = (uint32_t)sqlite3_column_int64(q, 4);
    r->extraordinary_permille = (uint32_t)sqlite3_column_int64(q, 5);
    r->one_unit_one_vote = sqlite3_column_int(q, 6) != 0;
    c->rules = r;
    c->effective_on = store_col_text(q, 7);
    c->resolution_id = store_col_text(q, 8);
    c->has_adopted_at = true;
    c->adopted_at = sqlite3_column_int64(q, 9);
    sqlite3_reset(q);
    *out = c;
    return 0;
}

int
coord_store_seat_put(store_t *st, const char *seat_id, Cogov__V1__SeatRole role,
                     const char *member_id, const char *term_start,
                     const char *term_end, int64_t at)
{
    sqlite3_stmt *q;
    if (member_id == NULL) {
        q = store_stmt(st, "UPDATE seats SET member_id = NULL,"
                           " changed_at = ? WHERE seat_id = ?");
        if (q == NULL)
            return -EIO;
        sqlite3_bind_int64(q, 1, at);
        sqlite3_bind_text(q, 2, seat_id, -1, SQLITE_STATIC);
        int err = store_exec(q);
        if (err == 0 && sqlite3_changes(store_db(st)) != 1)
            err = -ENOENT;
        return err;
    }
    q = store_stmt(st, "INSERT OR REPLACE INTO seats(seat_id, role,"
                       " member_id, term_start, term_end, changed_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, seat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)role);
    sqlite3_bind_text(q, 3, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, term_start, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, term_end, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, at);
    return store_exec(q);
}

#define SEAT_SQL                                                               \
    "SELECT s.seat_id, s.role, s.member_id, s.term_start, s.term_end,"         \
    " m.name FROM seats s LEFT JOIN members m ON m.member_id = s.member_id"

static Cogov__V1__Seat *
seat_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Seat *x = xmalloc(sizeof *x);
    cogov__v1__seat__init(x);
    x->seat_id = store_col_text(q, 0);
    x->has_role = true;
    x->role = (Cogov__V1__SeatRole)sqlite3_column_int(q, 1);
    x->member_id = store_col_text(q, 2);
    x->term_start = store_col_text(q, 3);
    x->term_end = store_col_text(q, 4);
    x->member_name = store_col_text(q, 5);
    return x;
}

int
coord_store_seat(store_t *st, const char *seat_id, Cogov__V1__Seat **out)
{
    sqlite3_stmt *q = store_stmt(st, SEAT_SQL " WHERE s.seat_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, seat_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = seat_from_row(q);
    sqlite3_reset(q);
    return 0;
}

int
coord_store_secretariat_set(store_t *st, const char *member_id)
{
    sqlite3_stmt *q =
        store_stmt(st, "INSERT OR REPLACE INTO secretariat_unit(id, member_id)"
                       " VALUES (1, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
coord_store_committee_put(store_t *st, const Cogov__V1__FormCommittee *f)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO committees(committee_id, name, convenor)"
            " VALUES (?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, f->committee_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, f->convenor_member_id, -1, SQLITE_STATIC);
    int err = store_exec(q);
    if (err < 0)
        return err;
    q = store_stmt(st, "DELETE FROM committee_members WHERE committee_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, f->committee_id, -1, SQLITE_STATIC);
    if ((err = store_exec(q)) < 0)
        return err;
    q = store_stmt(st, "INSERT OR IGNORE INTO committee_members("
                       "committee_id, member_id) VALUES (?, ?)");
    if (q == NULL)
        return -EIO;
    for (size_t i = 0; i < f->n_member_ids; i++) {
        sqlite3_bind_text(q, 1, f->committee_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, f->member_ids[i], -1, SQLITE_STATIC);
        if ((err = store_exec(q)) < 0)
            return err;
    }
    return 0;
}

static int
committee_members(store_t *st, Cogov__V1__Committee *c)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT member_id FROM committee_members WHERE committee_id = ?"
            " ORDER BY member_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, c->committee_id, -1, SQLITE_STATIC);
    int err;
    while (store_row(q, &err))
        STORE_PUSH(c->member_ids, c->n_member_ids, store_col_text(q, 0));
    return err;
}

int
coord_store_council(store_t *st, const char *member_id,
                    Cogov__V1__Council **out)
{
    Cogov__V1__Council *c = xmalloc(sizeof *c);
    int err = 0;
    cogov__v1__council__init(c);

    sqlite3_stmt *q =
        store_stmt(st, SEAT_SQL " WHERE (?1 IS NULL OR s.member_id = ?1)"
                                " ORDER BY s.role, s.seat_id");
    if (q == NULL) {
        err = -EIO;
        goto done;
    }
    bind_opt(q, 1, member_id);
    while (store_row(q, &err))
        STORE_PUSH(c->seats, c->n_seats, seat_from_row(q));
    if (err < 0)
        goto done;
    q = store_stmt(st, "SELECT member_id FROM secretariat_unit WHERE id = 1");
    if (q == NULL) {
        err = -EIO;
        goto done;
    }
    if (sqlite3_step(q) == SQLITE_ROW)
        c->secretariat_member_id = store_col_text(q, 0);
    sqlite3_reset(q);
    q = store_stmt(st,
                   "SELECT committee_id, name, convenor FROM committees c"
                   " WHERE ?1 IS NULL OR convenor = ?1 OR EXISTS (SELECT 1 FROM"
                   " committee_members x WHERE x.committee_id = c.committee_id"
                   " AND x.member_id = ?1) ORDER BY committee_id");
    if (q == NULL) {
        err = -EIO;
        goto done;
    }
    bind_opt(q, 1, member_id);
    while (store_row(q, &err)) {
        Cogov__V1__Committee *m = xmalloc(sizeof *m);
        cogov__v1__committee__init(m);
        m->committee_id = store_col_text(q, 0);
        m->name = store_col_text(q, 1);
        m->convenor_member_id = store_col_text(q, 2);
        STORE_PUSH(c->committees, c->n_committees, m);
    }
    if (err < 0)
        goto done;
    for (size_t i = 0; i < c->n_committees && err == 0; i++)
        err = committee_members(st, c->committees[i]);
done:
    if (err < 0) {
        protobuf_c_message_free_unpacked(&c->base, NULL);
        return err;
    }
    *out = c;
    return 0;
}

int
coord_store_vision_set(store_t *st, const char *text)
{
    sqlite3_stmt *q =
        store_stmt(st, "INSERT OR REPLACE INTO vision(id, text) VALUES (1, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
coord_store_goal_put(store_t *st, const Cogov__V1__SetGoal *g)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO goals(goal_id, year, indicator_code,"
            " title, target, unit) VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, g->goal_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, g->year);
    sqlite3_bind_text(q, 3, g->indicator_code, -1, SQLITE_STATIC);
    bind_opt(q, 4, g->title);
    sqlite3_bind_int64(q, 5, g->target_value);
    bind_opt(q, 6, g->unit);
    return store_exec(q);
}

int
coord_store_goal_exists(store_t *st, const char *goal_id)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT 1 FROM goals WHERE goal_id = ?");
    int err;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, goal_id, -1, SQLITE_STATIC);
    int64_t v = one_int(q, 0, &err);
    return err < 0 ? err : (int)v;
}

/* Reports not replaced by a later correction. */
#define EFFECTIVE_REPORTS                                                      \
    "reports r WHERE NOT EXISTS (SELECT 1 FROM reports c WHERE"                \
    " c.task_id = r.task_id AND c.corrects = r.report_id)"

int
coord_store_goals(store_t *st, uint32_t year, Cogov__V1__GoalList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT g.goal_id, g.year, g.indicator_code, g.title, g.target,"
            " g.unit,"
            " (SELECT coalesce(sum(t.planned), 0) FROM tasks t"
            "   WHERE t.goal_id = g.goal_id AND t.status != 5),"
            " (SELECT coalesce(sum(r.quantity), 0) FROM " EFFECTIVE_REPORTS
            "   AND r.task_id IN (SELECT task_id FROM tasks t"
            "   WHERE t.goal_id = g.goal_id AND t.status != 5)),"
            " (SELECT count(*) FROM tasks t"
            "   WHERE t.goal_id = g.goal_id AND t.status != 5)"
            " FROM goals g WHERE (?1 = 0 OR g.year = ?1)"
            " ORDER BY g.year, g.goal_id");
    if (q == NULL)
        return -EIO;
    Cogov__V1__GoalList *l = xmalloc(sizeof *l);
    cogov__v1__goal_list__init(l);
    sqlite3_bind_int64(q, 1, year);
    int err;
    while (store_row(q, &err)) {
        Cogov__V1__Goal *g = xmalloc(sizeof *g);
        cogov__v1__goal__init(g);
        g->goal_id = store_col_text(q, 0);
        g->has_year = g->has_target_value = g->has_planned = true;
        g->has_delivered = g->has_tasks = true;
        g->year = (uint32_t)sqlite3_column_int64(q, 1);
        g->indicator_code = store_col_text(q, 2);
        g->title = store_col_text(q, 3);
        g->target_value = sqlite3_column_int64(q, 4);
        g->unit = store_col_text(q, 5);
        g->planned = sqlite3_column_int64(q, 6);
        g->delivered = sqlite3_column_int64(q, 7);
        g->tasks = (uint32_t)sqlite3_column_int64(q, 8);
        STORE_PUSH(l->goals, l->n_goals, g);
    }
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    q = store_stmt(st, "SELECT text FROM vision WHERE id = 1");
    if (q != NULL) {
        if (sqlite3_step(q) == SQLITE_ROW)
            l->vision = store_col_text(q, 0);
        sqlite3_reset(q);
    }
    *out = l;
    return 0;
}

/* ---- tasks ----------------------------------------------------------------
 */

int
coord_store_task_add(store_t *st, const Cogov__V1__CreateTask *t,
                     const int64_t *due_at, const char *resolution_id,
                     const char *action_item_id, int64_t at,
                     const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO tasks(task_id, title, kind, lead, goal_id,"
            " planned, unit, status, resolution_id, action_item_id,"
            " created_at, changed_at, causation_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)");
    int err;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)t->kind);
    sqlite3_bind_text(q, 4, t->lead_member_id, -1, SQLITE_STATIC);
    bind_opt(q, 5, t->goal_id);
    sqlite3_bind_int64(q, 6, t->planned_quantity);
    bind_opt(q, 7, t->quantity_unit);
    bind_opt(q, 8, resolution_id);
    bind_opt(q, 9, action_item_id);
    sqlite3_bind_int64(q, 10, at);
    sqlite3_bind_int64(q, 11, at);
    sqlite3_bind_text(q, 12, causation, -1, SQLITE_STATIC);
    if ((err = store_exec(q)) < 0)
        return err;
    if (sqlite3_changes(store_db(st)) == 0)
        return 0;
    q = store_stmt(st, "INSERT OR IGNORE INTO task_participants(task_id,"
                       " member_id) VALUES (?, ?)");
    if (q == NULL)
        return -EIO;
    for (size_t i = 0; i < t->n_participant_ids; i++) {
        sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, t->participant_ids[i], -1, SQLITE_STATIC);
        if ((err = store_exec(q)) < 0)
            return err;
    }
    q = store_stmt(st, "INSERT INTO milestones(task_id, milestone_id, pos,"
                       " title, due_on, due_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    for (size_t i = 0; i < t->n_milestones; i++) {
        const Cogov__V1__MilestoneSpec *m = t->milestones[i];
        sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, m->milestone_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)i);
        sqlite3_bind_text(q, 4, m->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, m->due_on, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, due_at[i]);
        if ((err = store_exec(q)) < 0)
            return err;
    }
    return 1;
}

#define TASK_COLS                                                              \
    "t.task_id, t.title, t.kind, t.lead, t.goal_id, t.planned, t.unit,"        \
    " t.status, t.resolution_id, t.created_at,"                                \
    " (t.status IN (2, 3) AND EXISTS (SELECT 1 FROM milestones m WHERE"        \
    "  m.task_id = t.task_id AND m.completed_at = 0 AND m.due_at <= ?1))"

static Cogov__V1__Task *
task_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Task *t = xmalloc(sizeof *t);
    cogov__v1__task__init(t);
    t->task_id = store_col_text(q, 0);
    t->title = store_col_text(q, 1);
    t->has_kind = t->has_planned_quantity = t->has_status = true;
    t->has_created_at = t->has_overdue = true;
    t->kind = (Cogov__V1__TaskKind)sqlite3_column_int(q, 2);
    t->lead_member_id = store_col_text(q, 3);
    t->goal_id = store_col_text(q, 4);
    t->planned_quantity = sqlite3_column_int64(q, 5);
    t->quantity_unit = store_col_text(q, 6);
    t->status = (Cogov__V1__TaskStatus)sqlite3_column_int(q, 7);
    t->resolution_id = store_col_text(q, 8);
    t->created_at = sqlite3_column_int64(q, 9);
    t->overdue = sqlite3_column_int(q, 10) != 0;
    return t;
}

static Cogov__V1__Delivered *
delivered_from(sqlite3_stmt *q, int i)
{
    Cogov__V1__Delivered *d = xmalloc(sizeof *d);
    cogov__v1__delivered__init(d);
    d->has_students_enrolled = d->has_interns_hosted = true;
    d->has_training_hours = d->has_investment_fen = d->has_quantity = true;
    d->students_enrolled = sqlite3_column_int64(q, i);
    d->interns_hosted = sqlite3_column_int64(q, i + 1);
    d->training_hours = sqlite3_column_int64(q, i + 2);
    d->investment_fen = sqlite3_column_int64(q, i + 3);
    d->quantity = sqlite3_column_int64(q, i + 4);
    return d;
}

/* Participants, milestones, totals and (optionally) reports of t. */
static int
task_fill(store_t *st, Cogov__V1__Task *t, bool reports)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT member_id FROM task_participants WHERE task_id = ?"
            " ORDER BY member_id");
    int rc, err;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
    while (store_row(q, &err))
        STORE_PUSH(t->participant_ids, t->n_participant_ids,
                   store_col_text(q, 0));
    if (err < 0)
        return err;

    q = store_stmt(st, "SELECT milestone_id, title, due_on, due_at,"
                       " completed_at, overdue_raised FROM milestones"
                       " WHERE task_id = ? ORDER BY pos");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        Cogov__V1__Milestone *m = xmalloc(sizeof *m);
        cogov__v1__milestone__init(m);
        m->milestone_id = store_col_text(q, 0);
        m->title = store_col_text(q, 1);
        m->due_on = store_col_text(q, 2);
        m->has_due_at = m->has_completed_at = m->has_overdue_raised = true;
        m->due_at = sqlite3_column_int64(q, 3);
        m->completed_at = sqlite3_column_int64(q, 4);
        m->overdue_raised = sqlite3_column_int(q, 5) != 0;
        STORE_PUSH(t->milestones, t->n_milestones, m);
    }
    if (err < 0)
        return err;

    q = store_stmt(st, "SELECT coalesce(sum(students), 0),"
                       " coalesce(sum(interns), 0), coalesce(sum(hours), 0),"
                       " coalesce(sum(investment_fen), 0),"
                       " coalesce(sum(quantity), 0) FROM " EFFECTIVE_REPORTS
                       " AND r.task_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        t->delivered = delivered_from(q, 0);
    sqlite3_reset(q);
    if (rc != SQLITE_ROW)
        return store_errno(rc);
    if (!reports)
        return 0;

    q = store_stmt(
        st, "SELECT r.report_id, r.member_id, r.students, r.interns, r.hours,"
            " r.investment_fen, r.quantity, r.note, r.corrects, r.reported_at,"
            " (SELECT c.report_id FROM reports c WHERE c.task_id = r.task_id"
            "  AND c.corrects = r.report_id)"
            " FROM reports r WHERE r.task_id = ? ORDER BY r.reported_at,"
            " r.rowid");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, t->task_id, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        Cogov__V1__ProgressReport *r = xmalloc(sizeof *r);
        cogov__v1__progress_report__init(r);
        r->report_id = store_col_text(q, 0);
        r->member_id = store_col_text(q, 1);
        r->delivered = delivered_from(q, 2);
        r->note = store_col_text(q, 7);
        r->corrects_report_id = store_col_text(q, 8);
        r->has_reported_at = true;
        r->reported_at = sqlite3_column_int64(q, 9);
        r->corrected_by = store_col_text(q, 10);
        STORE_PUSH(t->reports, t->n_reports, r);
    }
    return err;
}

int
coord_store_task(store_t *st, const char *task_id, bool reports, int64_t now,
                 Cogov__V1__Task **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " TASK_COLS
                                     " FROM tasks t WHERE t.task_id = ?2");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_text(q, 2, task_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    Cogov__V1__Task *t = task_from_row(q);
    sqlite3_reset(q);
    err = task_fill(st, t, reports);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&t->base, NULL);
        return err;
    }
    *out = t;
    return 0;
}

int
coord_store_task_status(store_t *st, const char *task_id,
                        Cogov__V1__TaskStatus from, Cogov__V1__TaskStatus to,
                        int64_t at)
{
    sqlite3_stmt *q =
        store_stmt(st, "UPDATE tasks SET status = ?, changed_at = ?"
                       " WHERE task_id = ? AND status = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)to);
    sqlite3_bind_int64(q, 2, at);
    sqlite3_bind_text(q, 3, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, (int)from);
    int err = store_exec(q);
    if (err == 0 && sqlite3_changes(store_db(st)) != 1)
        err = -EEXIST;
    return err;
}

int
coord_store_tasks(store_t *st, Cogov__V1__TaskStatus status,
                  const char *member_id, bool overdue_only, int64_t now,
                  Cogov__V1__TaskList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT * FROM (SELECT " TASK_COLS " AS overdue FROM tasks t"
            " WHERE (?2 = 0 OR t.status = ?2) AND (?3 IS NULL OR t.lead = ?3"
            " OR EXISTS (SELECT 1 FROM task_participants p WHERE"
            " p.task_id = t.task_id AND p.member_id = ?3)))"
            " WHERE ?4 = 0 OR overdue ORDER BY task_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_int(q, 2, (int)status);
    bind_opt(q, 3, member_id);
    sqlite3_bind_int(q, 4, overdue_only ? 1 : 0);
    Cogov__V1__TaskList *l = xmalloc(sizeof *l);
    cogov__v1__task_list__init(l);
    int err = 0;
    while (store_row(q, &err))
        STORE_PUSH(l->tasks, l->n_tasks, task_from_row(q));
    for (size_t i = 0; i < l->n_tasks && err == 0; i++)
        err = task_fill(st, l->tasks[i], false);
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

int
coord_store_task_member(store_t *st, const char *task_id, const char *member_id)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT 1 FROM tasks t WHERE t.task_id = ?1 AND (t.lead = ?2 OR"
            " EXISTS (SELECT 1 FROM task_participants p WHERE"
            " p.task_id = ?1 AND p.member_id = ?2))");
    int err;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    int64_t v = one_int(q, 0, &err);
    return err < 0 ? err : (int)v;
}

int
coord_store_report_add(store_t *st, const Cogov__V1__ReportProgress *r,
                       int64_t at, const char *causation)
{
    const Cogov__V1__Delivered *d = r->delivered;
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO reports(task_id, report_id, member_id,"
            " students, interns, hours, investment_fen, quantity, note,"
            " corrects, reported_at, causation_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, r->task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->report_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, d->students_enrolled);
    sqlite3_bind_int64(q, 5, d->interns_hosted);
    sqlite3_bind_int64(q, 6, d->training_hours);
    sqlite3_bind_int64(q, 7, d->investment_fen);
    sqlite3_bind_int64(q, 8, d->quantity);
    bind_opt(q, 9, r->note);
    bind_opt(q, 10, r->corrects_report_id);
    sqlite3_bind_int64(q, 11, at);
    sqlite3_bind_text(q, 12, causation, -1, SQLITE_STATIC);
    int err = store_exec(q);
    if (err == 0 && sqlite3_changes(store_db(st)) != 1)
        err = -EEXIST;
    return err;
}

int
coord_store_report(store_t *st, const char *task_id, const char *report_id,
                   Cogov__V1__ProgressReport **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT r.report_id, r.member_id, r.students, r.interns, r.hours,"
            " r.investment_fen, r.quantity,"
            " (SELECT c.report_id FROM reports c WHERE c.task_id = r.task_id"
            "  AND c.corrects = r.report_id)"
            " FROM reports r WHERE r.task_id = ? AND r.report_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, report_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    Cogov__V1__ProgressReport *r = xmalloc(sizeof *r);
    cogov__v1__progress_report__init(r);
    r->report_id = store_col_text(q, 0);
    r->member_id = store_col_text(q, 1);
    r->delivered = delivered_from(q, 2);
    r->corrected_by = store_col_text(q, 7);
    *out = r;
    sqlite3_reset(q);
    return 0;
}

int
coord_store_milestone_done(store_t *st, const char *task_id,
                           const char *milestone_id, int64_t at)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT completed_at FROM milestones WHERE task_id = ?"
                       " AND milestone_id = ?");
    int err;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, milestone_id, -1, SQLITE_STATIC);
    int64_t done = one_int(q, -1, &err);
    if (err < 0)
        return err;
    if (done < 0)
        return -ENOENT;
    if (done > 0)
        return -EEXIST;
    q = store_stmt(st, "UPDATE milestones SET completed_at = ?"
                       " WHERE task_id = ? AND milestone_id = ?");
    if (q == NULL)
        return -EIO;
    /* completed_at 0 means undone: a completion at business time 0 (never
     * in practice: the calendar starts at calendar_start) counts as 1. */
    sqlite3_bind_int64(q, 1, at > 0 ? at : 1);
    sqlite3_bind_text(q, 2, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, milestone_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

static int
due_rows(sqlite3_stmt *q, coord_due_t **out, size_t *n)
{
    int err;
    *out = NULL;
    *n = 0;
    while (store_row(q, &err)) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        coord_due_t *d = &(*out)[(*n)++];
        d->task_id = store_col_text(q, 0);
        d->milestone_id = store_col_text(q, 1);
        d->title = store_col_text(q, 2);
        d->due_at = sqlite3_column_int64(q, 3);
        d->completed_at = sqlite3_column_int64(q, 4);
        d->raised = sqlite3_column_int(q, 5) != 0;
    }
    if (err < 0) {
        coord_due_free(*out, *n);
        *out = NULL;
        *n = 0;
        return err;
    }
    return 0;
}

int
coord_store_due_milestones(store_t *st, int64_t tick, coord_due_t **out,
                           size_t *n)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT m.task_id, m.milestone_id, m.title, m.due_at,"
                       " m.completed_at, m.overdue_raised FROM milestones m"
                       " JOIN tasks t ON t.task_id = m.task_id"
                       " WHERE m.completed_at = 0 AND m.overdue_raised = 0"
                       " AND m.due_at <= ? AND t.status IN (2, 3)"
                       " ORDER BY m.due_at, m.task_id, m.milestone_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, tick);
    return due_rows(q, out, n);
}

int
coord_store_milestone_raised(store_t *st, const char *task_id,
                             const char *milestone_id)
{
    sqlite3_stmt *q = store_stmt(st, "UPDATE milestones SET overdue_raised = 1"
                                     " WHERE task_id = ? AND milestone_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, milestone_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
coord_store_due_pledges(store_t *st, int64_t tick, coord_due_t **out, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT task_id, pledge_id, description, due_at, settled_at, 0"
            " FROM pledges WHERE status = 1 AND due_at <= ?"
            " ORDER BY due_at, pledge_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, tick);
    return due_rows(q, out, n);
}

void
coord_due_free(coord_due_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].task_id);
        free(d[i].milestone_id);
        free(d[i].title);
    }
    free(d);
}

/* ---- pledges --------------------------------------------------------------
 */

int
coord_store_pledge_add(store_t *st, const Cogov__V1__MakePledge *p,
                       int64_t due_at)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO pledges(pledge_id, task_id, member_id,"
            " kind, amount_fen, description, due_on, due_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, p->pledge_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, p->task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, p->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, (int)p->kind);
    sqlite3_bind_int64(q, 5, p->amount_fen);
    bind_opt(q, 6, p->description);
    sqlite3_bind_text(q, 7, p->due_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, due_at);
    int err = store_exec(q);
    if (err == 0 && sqlite3_changes(store_db(st)) != 1)
        err = -EEXIST;
    return err;
}

#define PLEDGE_COLS                                                            \
    "pledge_id, task_id, member_id, kind, amount_fen, description, due_on,"    \
    " due_at, status, evidence, settled_at"

static Cogov__V1__Pledge *
pledge_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Pledge *p = xmalloc(sizeof *p);
    cogov__v1__pledge__init(p);
    p->pledge_id = store_col_text(q, 0);
    p->task_id = store_col_text(q, 1);
    p->member_id = store_col_text(q, 2);
    p->has_kind = p->has_amount_fen = p->has_due_at = true;
    p->has_status = p->has_settled_at = true;
    p->kind = (Cogov__V1__PledgeKind)sqlite3_column_int(q, 3);
    p->amount_fen = sqlite3_column_int64(q, 4);
    p->description = store_col_text(q, 5);
    p->due_on = store_col_text(q, 6);
    p->due_at = sqlite3_column_int64(q, 7);
    p->status = (Cogov__V1__PledgeStatus)sqlite3_column_int(q, 8);
    p->evidence = store_col_text(q, 9);
    p->settled_at = sqlite3_column_int64(q, 10);
    return p;
}

int
coord_store_pledge(store_t *st, const char *pledge_id, Cogov__V1__Pledge **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " PLEDGE_COLS
                                     " FROM pledges WHERE pledge_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, pledge_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = pledge_from_row(q);
    sqlite3_reset(q);
    return 0;
}

int
coord_store_pledge_settle(store_t *st, const char *pledge_id,
                          Cogov__V1__PledgeStatus to, const char *evidence,
                          int64_t at)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE pledges SET status = ?, evidence = ?, settled_at = ?"
            " WHERE pledge_id = ? AND status = 1");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)to);
    bind_opt(q, 2, evidence);
    sqlite3_bind_int64(q, 3, at);
    sqlite3_bind_text(q, 4, pledge_id, -1, SQLITE_STATIC);
    int err = store_exec(q);
    if (err == 0 && sqlite3_changes(store_db(st)) != 1)
        err = -EEXIST;
    return err;
}

int
coord_store_pledges(store_t *st, const char *task_id, const char *member_id,
                    Cogov__V1__PledgeStatus status, Cogov__V1__PledgeList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " PLEDGE_COLS " FROM pledges WHERE (?1 IS NULL OR"
            " task_id = ?1) AND (?2 IS NULL OR member_id = ?2)"
            " AND (?3 = 0 OR status = ?3) ORDER BY pledge_id");
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, task_id);
    bind_opt(q, 2, member_id);
    sqlite3_bind_int(q, 3, (int)status);
    Cogov__V1__PledgeList *l = xmalloc(sizeof *l);
    cogov__v1__pledge_list__init(l);
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->pledges, l->n_pledges, pledge_from_row(q));
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

/* ---- escalations ----------------------------------------------------------
 */

int
coord_store_escalation_add(store_t *st, const Cogov__V1__Escalation *e)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO escalations(case_id, source, subject,"
            " member_id, details, status, source_ref, causation_id,"
            " opened_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, e->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)e->source);
    sqlite3_bind_text(q, 3, e->subject, -1, SQLITE_STATIC);
    bind_opt(q, 4, e->member_id);
    bind_opt(q, 5, e->details);
    bind_opt(q, 6, e->source_ref);
    sqlite3_bind_text(q, 7, e->causation_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, e->opened_at);
    int err = store_exec(q);
    if (err < 0)
        return err;
    return sqlite3_changes(store_db(st)) == 1 ? 1 : 0;
}

#define ESC_COLS                                                               \
    "case_id, source, subject, member_id, details, status, decision,"          \
    " rationale, note, source_ref, causation_id, opened_at, decided_at"

static Cogov__V1__Escalation *
escalation_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Escalation *e = xmalloc(sizeof *e);
    cogov__v1__escalation__init(e);
    e->case_id = store_col_text(q, 0);
    e->has_source = e->has_status = e->has_decision = true;
    e->has_opened_at = e->has_decided_at = true;
    e->source = (Cogov__V1__EscalationSource)sqlite3_column_int(q, 1);
    e->subject = store_col_text(q, 2);
    e->member_id = store_col_text(q, 3);
    e->details = store_col_text(q, 4);
    e->status = (Cogov__V1__EscalationStatus)sqlite3_column_int(q, 5);
    e->decision = (Cogov__V1__EscalationDecision)sqlite3_column_int(q, 6);
    e->rationale = store_col_text(q, 7);
    e->note = store_col_text(q, 8);
    e->source_ref = store_col_text(q, 9);
    e->causation_id = store_col_text(q, 10);
    e->opened_at = sqlite3_column_int64(q, 11);
    e->decided_at = sqlite3_column_int64(q, 12);
    return e;
}

int
coord_store_escalation(store_t *st, const char *case_id,
                       Cogov__V1__Escalation **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " ESC_COLS
                                     " FROM escalations WHERE case_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, case_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = escalation_from_row(q);
    sqlite3_reset(q);
    return 0;
}

int
coord_store_escalation_update(store_t *st, const char *case_id,
                              Cogov__V1__EscalationStatus from,
                              Cogov__V1__EscalationStatus to,
                              Cogov__V1__EscalationDecision decision,
                              const char *rationale, const char *note,
                              int64_t at)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE escalations SET status = ?1,"
            " decision = CASE WHEN ?2 = 0 THEN decision ELSE ?2 END,"
            " rationale = coalesce(?3, rationale), note = coalesce(?4, note),"
            " decided_at = CASE WHEN ?2 = 0 THEN decided_at ELSE ?5 END"
            " WHERE case_id = ?6 AND status = ?7");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)to);
    sqlite3_bind_int(q, 2, (int)decision);
    bind_opt(q, 3, rationale);
    bind_opt(q, 4, note);
    sqlite3_bind_int64(q, 5, at);
    sqlite3_bind_text(q, 6, case_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 7, (int)from);
    int err = store_exec(q);
    if (err == 0 && sqlite3_changes(store_db(st)) != 1)
        err = -EEXIST;
    return err;
}

int
coord_store_escalations(store_t *st, Cogov__V1__EscalationStatus status,
                        const char *member_id, Cogov__V1__EscalationList **out)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT " ESC_COLS " FROM escalations WHERE (?1 = 0 OR"
                       " status = ?1) AND (?2 IS NULL OR member_id = ?2)"
                       " ORDER BY opened_at, case_id");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, (int)status);
    bind_opt(q, 2, member_id);
    Cogov__V1__EscalationList *l = xmalloc(sizeof *l);
    cogov__v1__escalation_list__init(l);
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->escalations, l->n_escalations, escalation_from_row(q));
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

/* ==== the three lists, the occupation map, matches ====================== */

/* Insert-or-compare: 1 inserted, 0 the same id with the same digest exists,
 * -EEXIST the id exists with other content. */
static int
insert_or_same(store_t *st, sqlite3_stmt *ins, const char *digest_sql,
               const char *id, const char *digest)
{
    int err = store_exec(ins);
    if (err < 0)
        return err;
    if (sqlite3_changes(store_db(st)) == 1)
        return 1;
    sqlite3_stmt *q = store_stmt(st, digest_sql);
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int r = -EEXIST;
    if (rc == SQLITE_ROW)
        r = strcmp((const char *)sqlite3_column_text(q, 0), digest) == 0
                ? 0
                : -EEXIST;
    else if (rc != SQLITE_DONE)
        r = store_errno(rc);
    sqlite3_reset(q);
    return r;
}

int
coord_store_demand_add(store_t *st, const Cogov__V1__PostDemand *d,
                       int64_t needed_by_at, const char *digest, int64_t at,
                       const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO demands(demand_id, member_id, kind, title,"
            " occupation, headcount, skill_level, needed_by, needed_by_at,"
            " details, digest, posted_at, causation_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, d->demand_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, d->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)d->kind);
    sqlite3_bind_text(q, 4, d->title, -1, SQLITE_STATIC);
    bind_opt(q, 5, d->occupation);
    sqlite3_bind_int64(q, 6, d->headcount);
    bind_opt(q, 7, d->skill_level);
    bind_opt(q, 8, d->needed_by);
    sqlite3_bind_int64(q, 9, needed_by_at);
    bind_opt(q, 10, d->details);
    sqlite3_bind_text(q, 11, digest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 12, at);
    sqlite3_bind_text(q, 13, causation, -1, SQLITE_STATIC);
    return insert_or_same(st, q,
                          "SELECT digest FROM demands WHERE demand_id = ?",
                          d->demand_id, digest);
}

#define DEMAND_COLS                                                            \
    "d.demand_id, d.member_id, d.kind, d.title, d.occupation, d.headcount,"    \
    " d.skill_level, d.needed_by, d.needed_by_at, d.details, d.posted_at,"     \
    " (SELECT COALESCE(SUM(quantity), 0) FROM matches x"                       \
    "  WHERE x.demand_id = d.demand_id), m.name"                               \
    " FROM demands d LEFT JOIN members m ON m.member_id = d.member_id"

static Cogov__V1__Demand *
demand_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Demand *d = xmalloc(sizeof *d);
    cogov__v1__demand__init(d);
    d->demand_id = store_col_text(q, 0);
    d->member_id = store_col_text(q, 1);
    d->has_kind = d->has_headcount = d->has_needed_by_at = true;
    d->has_posted_at = d->has_matched = true;
    d->kind = (Cogov__V1__DemandKind)sqlite3_column_int(q, 2);
    d->title = store_col_text(q, 3);
    d->occupation = store_col_text(q, 4);
    d->headcount = sqlite3_column_int64(q, 5);
    d->skill_level = store_col_text(q, 6);
    d->needed_by = store_col_text(q, 7);
    d->needed_by_at = sqlite3_column_int64(q, 8);
    d->details = store_col_text(q, 9);
    d->posted_at = sqlite3_column_int64(q, 10);
    d->matched = sqlite3_column_int64(q, 11);
    d->member_name = store_col_text(q, 12);
    return d;
}

int
coord_store_demand(store_t *st, const char *demand_id, Cogov__V1__Demand **out)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT " DEMAND_COLS " WHERE d.demand_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, demand_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = demand_from_row(q);
    sqlite3_reset(q);
    return 0;
}

int
coord_store_demands(store_t *st, const char *member_id,
                    Cogov__V1__DemandKind kind, Cogov__V1__DemandList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT " DEMAND_COLS " WHERE (?1 IS NULL OR d.member_id = ?1)"
            " AND (?2 = 0 OR d.kind = ?2) ORDER BY d.demand_id");
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, member_id);
    sqlite3_bind_int(q, 2, (int)kind);
    Cogov__V1__DemandList *l = xmalloc(sizeof *l);
    cogov__v1__demand_list__init(l);
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->demands, l->n_demands, demand_from_row(q));
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

int
coord_store_supply_add(store_t *st, const Cogov__V1__PostSupply *s,
                       int64_t available_at, const char *digest, int64_t at,
                       const char *causation)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO supplies(supply_id, member_id, major,"
            " graduates, available_on, available_at, training_capacity,"
            " research, details, digest, posted_at, causation_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    char *research = NULL;
    for (size_t i = 0; i < s->n_research_capabilities; i++) {
        char *next =
            xasprintf("%s%s%s", research ? research : "",
                      research ? "\x1f" : "", s->research_capabilities[i]);
        free(research);
        research = next;
    }
    sqlite3_bind_text(q, 1, s->supply_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, s->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, s->major, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, s->graduates);
    sqlite3_bind_text(q, 5, s->available_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, available_at);
    sqlite3_bind_int64(q, 7, s->training_capacity);
    bind_opt(q, 8, research);
    bind_opt(q, 9, s->details);
    sqlite3_bind_text(q, 10, digest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 11, at);
    sqlite3_bind_text(q, 12, causation, -1, SQLITE_STATIC);
    int err =
        insert_or_same(st, q, "SELECT digest FROM supplies WHERE supply_id = ?",
                       s->supply_id, digest);
    free(research);
    return err;
}

#define SUPPLY_COLS                                                            \
    "s.supply_id, s.member_id, s.major, s.graduates, s.available_on,"          \
    " s.available_at, s.training_capacity, s.research, s.details,"             \
    " s.posted_at, (SELECT COALESCE(SUM(quantity), 0) FROM matches x"          \
    "  WHERE x.supply_id = s.supply_id), m.name"                               \
    " FROM supplies s LEFT JOIN members m ON m.member_id = s.member_id"

static Cogov__V1__Supply *
supply_from_row(sqlite3_stmt *q)
{
    Cogov__V1__Supply *s = xmalloc(sizeof *s);
    cogov__v1__supply__init(s);
    s->supply_id = store_col_text(q, 0);
    s->member_id = store_col_text(q, 1);
    s->major = store_col_text(q, 2);
    s->has_graduates = s->has_available_at = s->has_training_capacity = true;
    s->has_posted_at = s->has_matched = true;
    s->graduates = sqlite3_column_int64(q, 3);
    s->available_on = store_col_text(q, 4);
    s->available_at = sqlite3_column_int64(q, 5);
    s->training_capacity = sqlite3_column_int64(q, 6);
    const char *r = (const char *)sqlite3_column_text(q, 7);
    while (r != NULL && *r) {
        const char *e = strchr(r, 0x1f);
        size_t n = e ? (size_t)(e - r) : strlen(r);
        char *item = xmalloc(n + 1);
        memcpy(item, r, n);
        item[n] = 0;
        STORE_PUSH(s->research_capabilities, s->n_research_capabilities, item);
        r = e ? e + 1 : r + n;
    }
    s->details = store_col_text(q, 8);
    s->posted_at = sqlite3_column_int64(q, 9);
    s->matched = sqlite3_column_int64(q, 10);
    s->member_name = store_col_text(q, 11);
    return s;
}

int
coord_store_supply(store_t *st, const char *supply_id, Cogov__V1__Supply **out)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT " SUPPLY_COLS " WHERE s.supply_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, supply_id, -1, SQLITE_STATIC);
    int err = store_one(q);
    if (err < 0)
        return err;
    *out = supply_from_row(q);
    sqlite3_reset(q);
    return 0;
}

int
coord_store_supplies(store_t *st, const char *member_id,
                     Cogov__V1__SupplyList **out)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT " SUPPLY_COLS
                                     " WHERE (?1 IS NULL OR s.member_id = ?1)"
                                     " ORDER BY s.supply_id");
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, member_id);
    Cogov__V1__SupplyList *l = xmalloc(sizeof *l);
    cogov__v1__supply_list__init(l);
    int err;
    while (store_row(q, &err))
        STORE_PUSH(l->supplies, l->n_supplies, supply_from_row(q));
    if (err < 0) {
        protobuf_c_message_free_unpacked(&l->base, NULL);
        return err;
    }
    *out = l;
    return 0;
}

int
coord_store_map_put(store_t *st, const match_map_t *m, const char *source,
                    const char *digest, int64_t at)
{
    sqlite3_stmt *del = store_stmt(st, "DELETE FROM occupation_map");
    sqlite3_stmt *ins =
        store_stmt(st, "INSERT INTO occupation_map(pos, occupation, major)"
                       " VALUES (?, ?, ?)");
    sqlite3_stmt *info = store_stmt(
        st, "INSERT OR REPLACE INTO occupation_map_info(id, source, digest,"
            " loaded_at) VALUES (1, ?, ?, ?)");
    if (del == NULL || ins == NULL || info == NULL)
        return -EIO;
    int err = store_exec(del);
    for (size_t i = 0; err == 0 && i < m->n; i++) {
        sqlite3_bind_int64(ins, 1, (int64_t)i);
        sqlite3_bind_text(ins, 2, m->pairs[i].occupation, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, m->pairs[i].major, -1, SQLITE_STATIC);
        err = store_exec(ins);
    }
    if (err < 0)
        return err;
    bind_opt(info, 1, source);
    sqlite3_bind_text(info, 2, digest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(info, 3, at);
    return store_exec(info);
}

int
coord_store_map(store_t *st, match_map_t *m, Cogov__V1__OccupationMap **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT occupation, major FROM occupation_map ORDER BY pos");
    sqlite3_stmt *i = store_stmt(
        st, "SELECT source, digest, loaded_at FROM occupation_map_info");
    if (q == NULL || i == NULL)
        return -EIO;
    Cogov__V1__OccupationMap *om = NULL;
    if (out != NULL) {
        om = xmalloc(sizeof *om);
        cogov__v1__occupation_map__init(om);
    }
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (m != NULL) {
            m->pairs = xrealloc(m->pairs, (m->n + 1) * sizeof *m->pairs);
            m->pairs[m->n].occupation = store_col_text(q, 0);
            m->pairs[m->n].major = store_col_text(q, 1);
            m->n++;
        }
        if (om != NULL) {
            Cogov__V1__OccupationPair *p = xmalloc(sizeof *p);
            cogov__v1__occupation_pair__init(p);
            p->occupation = store_col_text(q, 0);
            p->major = store_col_text(q, 1);
            STORE_PUSH(om->pairs, om->n_pairs, p);
        }
    }
    sqlite3_reset(q);
    if (rc == SQLITE_DONE && om != NULL) {
        rc = sqlite3_step(i);
        if (rc == SQLITE_ROW) {
            om->source = store_col_text(i, 0);
            om->digest = store_col_text(i, 1);
            om->has_loaded_at = true;
            om->loaded_at = sqlite3_column_int64(i, 2);
            rc = SQLITE_DONE;
        }
        sqlite3_reset(i);
    }
    if (rc != SQLITE_DONE) {
        if (om != NULL)
            protobuf_c_message_free_unpacked(&om->base, NULL);
        /* The map's own free is in matcher.c, not linked with the store's
         * tests: free the pairs here. */
        for (size_t k = 0; m != NULL && k < m->n; k++) {
            free(m->pairs[k].occupation);
            free(m->pairs[k].major);
        }
        if (m != NULL) {
            free(m->pairs);
            m->pairs = NULL;
            m->n = 0;
        }
        return store_errno(rc);
    }
    if (out != NULL)
        *out = om;
    return 0;
}

int
coord_store_coop(store_t *st, coord_coop_t *out)
{
    sqlite3_stmt *q = store_stmt(
        st, "WITH u(task_id, member_id) AS ("
            "  SELECT task_id, lead FROM tasks WHERE status != 5"
            "  UNION SELECT p.task_id, p.member_id FROM task_participants p"
            "  JOIN tasks t ON t.task_id = p.task_id WHERE t.status != 5)"
            " SELECT DISTINCT a.member_id, b.member_id FROM u a JOIN u b"
            " ON a.task_id = b.task_id AND a.member_id < b.member_id");
    if (q == NULL)
        return -EIO;
    memset(out, 0, sizeof *out);
    int err;
    while (store_row(q, &err)) {
        out->pairs = xrealloc(out->pairs, (out->n + 1) * sizeof *out->pairs);
        out->pairs[out->n].a = store_col_text(q, 0);
        out->pairs[out->n].b = store_col_text(q, 1);
        out->n++;
    }
    if (err < 0) {
        coord_coop_free(out);
        return err;
    }
    return 0;
}

void
coord_coop_free(coord_coop_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free((char *)c->pairs[i].a);
        free((char *)c->pairs[i].b);
    }
    free(c->pairs);
    c->pairs = NULL;
    c->n = 0;
}

int
coord_store_match_exists(store_t *st, const char *demand_id,
                         const char *supply_id)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT 1 FROM matches WHERE demand_id = ? AND supply_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, demand_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, supply_id, -1, SQLITE_STATIC);
    int err;
    int64_t v = one_int(q, 0, &err);
    return err < 0 ? err : (int)v;
}

int
coord_store_match_add(store_t *st, const char *demand_id, const char *supply_id,
                      const char *task_id, Cogov__V1__TaskKind kind,
                      int64_t quantity, int score, int64_t at)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO matches(demand_id, supply_id, task_id, kind,"
            " quantity, score, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, demand_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, supply_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, (int)kind);
    sqlite3_bind_int64(q, 5, quantity);
    sqlite3_bind_int(q, 6, score);
    sqlite3_bind_int64(q, 7, at);
    return store_exec(q);
}

/* ==== issue 10: funding ================================================== */

int
coord_store_funding_put(store_t *st, const Cogov__V1__FundingAlert *f,
                        bool only_if_alerted)
{
    sqlite3_stmt *q = store_stmt(
        st, only_if_alerted
                ? "UPDATE funding SET state = ?2, budget = ?3, available = ?4,"
                  " queued = ?5, since = ?6, causation_id = ?7"
                  " WHERE pool_id = ?1"
                : "INSERT INTO funding(pool_id, state, budget, available,"
                  " queued, since, causation_id)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                  " ON CONFLICT(pool_id) DO UPDATE SET state = ?2,"
                  " budget = ?3, available = ?4, queued = ?5, since = ?6,"
                  " causation_id = ?7");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, f->pool_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)f->state);
    sqlite3_bind_int64(q, 3, f->budget_fen);
    sqlite3_bind_int64(q, 4, f->available_fen);
    sqlite3_bind_int64(q, 5, f->queued_fen);
    sqlite3_bind_int64(q, 6, f->since);
    sqlite3_bind_text(q, 7, f->causation_id, -1, SQLITE_STATIC);
    int err = store_exec(q);
    return err < 0 ? err : sqlite3_changes(store_db(st)) > 0;
}

int
coord_store_funding(store_t *st, Cogov__V1__FundingAlert ***out, size_t *n)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT pool_id, state, budget, available, queued, since,"
            " causation_id FROM funding ORDER BY pool_id");
    int err;
    if (q == NULL)
        return -EIO;
    while (store_row(q, &err)) {
        Cogov__V1__FundingAlert *f = xmalloc(sizeof *f);
        cogov__v1__funding_alert__init(f);
        f->pool_id = store_col_text(q, 0);
        f->has_state = f->has_budget_fen = f->has_available_fen = true;
        f->has_queued_fen = f->has_since = true;
        f->state = (Cogov__V1__FundingState)sqlite3_column_int(q, 1);
        f->budget_fen = sqlite3_column_int64(q, 2);
        f->available_fen = sqlite3_column_int64(q, 3);
        f->queued_fen = sqlite3_column_int64(q, 4);
        f->since = sqlite3_column_int64(q, 5);
        f->causation_id = store_col_text(q, 6);
        STORE_PUSH(*out, *n, f);
    }
    return err;
}
