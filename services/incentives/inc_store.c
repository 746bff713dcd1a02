/* inc_store: incentives' schema and SQL. */
#include "inc_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define AS(x) COGOV__V1__AWARD_STATUS__AWARD_STATUS_##x

static const char migration_1[] =
    "CREATE TABLE members("
    "  member_id TEXT PRIMARY KEY, type INTEGER NOT NULL,"
    "  status INTEGER NOT NULL);"
    "CREATE TABLE rectifications("
    "  rectification_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,"
    "  open INTEGER NOT NULL);"
    "CREATE TABLE pools("
    "  pool_id TEXT PRIMARY KEY, name TEXT NOT NULL, source INTEGER NOT NULL,"
    "  fiscal_year INTEGER NOT NULL, budget INTEGER NOT NULL,"
    "  approved INTEGER NOT NULL DEFAULT 0,"
    "  disbursed INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    "  low INTEGER NOT NULL DEFAULT 0, exhausted INTEGER NOT NULL DEFAULT 0,"
    "  CHECK (approved >= 0 AND disbursed >= 0"
    "         AND approved + disbursed <= budget));"
    "CREATE TABLE policies("
    "  policy_id TEXT NOT NULL, version INTEGER NOT NULL,"
    "  effective_on TEXT NOT NULL, pool_id TEXT NOT NULL,"
    "  text TEXT NOT NULL, loaded_at INTEGER NOT NULL,"
    "  PRIMARY KEY (policy_id, version));"
    "CREATE TABLE awards("
    "  award_id TEXT PRIMARY KEY, status INTEGER NOT NULL,"
    "  member_id TEXT NOT NULL, pool_id TEXT NOT NULL,"
    "  policy_id TEXT NOT NULL, year INTEGER NOT NULL,"
    "  report_id TEXT, amount INTEGER NOT NULL,"
    "  occurred_at INTEGER NOT NULL, source_event TEXT NOT NULL,"
    "  body BLOB NOT NULL);"
    "CREATE INDEX awards_member ON awards(member_id, status);"
    "CREATE INDEX awards_pool ON awards(pool_id, status, occurred_at);"
    "CREATE INDEX awards_report ON awards(report_id);"
    "CREATE TABLE report_roots(report_id TEXT PRIMARY KEY, root TEXT NOT "
    "NULL);";

/* Claims share caps in cap order (cap_alloc.h); awards know their claim
 * and their version in it (0 entitlement, k the k-th correction, -1 a
 * residual). The 产教融合 qualification and tax credit, guarantees, tasks
 * as coordination announced them, honours. */
static const char migration_2[] =
    "CREATE TABLE claims("
    "  claim_id TEXT PRIMARY KEY, policy_id TEXT NOT NULL,"
    "  policy_version INTEGER NOT NULL, rule_id TEXT NOT NULL, chain TEXT,"
    "  member_id TEXT NOT NULL, year INTEGER NOT NULL, ckey TEXT NOT NULL,"
    "  counts INTEGER NOT NULL DEFAULT 1, alloc INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX claims_order ON claims(policy_id, ckey);"
    "CREATE UNIQUE INDEX claims_chain ON claims(policy_id, rule_id, chain)"
    "  WHERE chain IS NOT NULL;"
    "ALTER TABLE awards ADD COLUMN claim_id TEXT;"
    "ALTER TABLE awards ADD COLUMN ver INTEGER;"
    "CREATE INDEX awards_claim ON awards(claim_id, ver);"
    "CREATE TABLE qualifications("
    "  member_id TEXT PRIMARY KEY, stage INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL DEFAULT 0, since TEXT NOT NULL,"
    "  banned_until TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE investments("
    "  member_id TEXT NOT NULL, investment_id TEXT NOT NULL,"
    "  year INTEGER NOT NULL, amount INTEGER NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  withdrawn INTEGER NOT NULL DEFAULT 0, withdrawn_year INTEGER,"
    "  PRIMARY KEY (member_id, investment_id));"
    "CREATE TABLE surcharges("
    "  member_id TEXT NOT NULL, year INTEGER NOT NULL, due INTEGER NOT NULL,"
    "  report_ref TEXT NOT NULL DEFAULT '', PRIMARY KEY (member_id, year));"
    "CREATE TABLE tasks(task_id TEXT PRIMARY KEY, lead_member_id TEXT);"
    "CREATE TABLE guarantees("
    "  guarantee_id TEXT PRIMARY KEY, task_id TEXT NOT NULL,"
    "  department_id TEXT NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX guarantees_task ON guarantees(task_id);"
    "CREATE INDEX guarantees_dept ON guarantees(department_id);"
    "CREATE TABLE honours("
    "  honour_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,"
    "  body BLOB NOT NULL);";

/* A pool's sums are its entries' sums by status, signed (pool_acct.h):
 * approved may be negative (a deduction approved before the payment it
 * comes off), what the pool owes may not. Stores made before keep their
 * pools; their sums are recomputed from the entries. */
static const char migration_3[] =
    "CREATE TABLE pools_v3("
    "  pool_id TEXT PRIMARY KEY, name TEXT NOT NULL, source INTEGER NOT NULL,"
    "  fiscal_year INTEGER NOT NULL, budget INTEGER NOT NULL,"
    "  approved INTEGER NOT NULL DEFAULT 0,"
    "  disbursed INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    "  low INTEGER NOT NULL DEFAULT 0, exhausted INTEGER NOT NULL DEFAULT 0,"
    "  CHECK (budget >= 0 AND disbursed >= 0 AND disbursed <= budget"
    "         AND approved + disbursed >= 0"
    "         AND approved + disbursed <= budget));"
    "INSERT INTO pools_v3 SELECT p.pool_id, p.name, p.source, p.fiscal_year,"
    "  p.budget,"
    "  (SELECT coalesce(sum(amount), 0) FROM awards a"
    "    WHERE a.pool_id = p.pool_id AND a.status = 2),"
    "  (SELECT coalesce(sum(amount), 0) FROM awards a"
    "    WHERE a.pool_id = p.pool_id AND a.status = 3),"
    "  p.created_at, p.low, p.exhausted FROM pools p;"
    "DROP TABLE pools;"
    "ALTER TABLE pools_v3 RENAME TO pools;"
    "CREATE INDEX awards_member_pool ON awards(member_id, pool_id, year);";

/* Honours are decided on the unit's standing at the publication, in cap
 * order: member status changes are logged with their cap order key (a
 * suspension from coordination may arrive after a publication from
 * supervision that it precedes), and each honour keeps its key, the orders
 * open at its publication and whether it was withheld. */
static const char migration_4[] =
    "CREATE TABLE member_status_log("
    "  member_id TEXT NOT NULL, ckey TEXT NOT NULL, status INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, ckey));"
    "ALTER TABLE honours ADD COLUMN ckey TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE honours ADD COLUMN open_orders TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE honours ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX honours_member ON honours(member_id, ckey);";

const char *const inc_migrations[] = {migration_1, migration_2, migration_3,
                                      migration_4};
const size_t inc_n_migrations = ARRAY_LEN(inc_migrations);

static const char *
col(sqlite3_stmt *q, int i)
{
    const char *s = (const char *)sqlite3_column_text(q, i);
    return s ? s : "";
}

void
inc_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int
inc_store_member_put(store_t *st, const char *member_id, int type, int status)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO members(member_id, type, status) VALUES (?,?,?)"
            " ON CONFLICT(member_id) DO UPDATE SET"
            " type = CASE WHEN excluded.type <> 0 THEN excluded.type"
            " ELSE members.type END, status = excluded.status");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, type);
    sqlite3_bind_int(q, 3, status);
    return store_exec(q);
}

int
inc_store_member_rect(store_t *st, const char *member_id,
                      const char *rectification_id, bool open)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO rectifications(rectification_id, member_id, open)"
            " VALUES (?,?,?) ON CONFLICT(rectification_id) DO UPDATE SET"
            " open = excluded.open");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, rectification_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, open);
    return store_exec(q);
}

int
inc_store_member(store_t *st, const char *member_id, int *type, int *status,
                 int *open_rect)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT type, status, (SELECT count(*) FROM rectifications r"
            " WHERE r.member_id = m.member_id AND r.open)"
            " FROM members m WHERE member_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *type = sqlite3_column_int(q, 0);
    *status = sqlite3_column_int(q, 1);
    *open_rect = sqlite3_column_int(q, 2);
    sqlite3_reset(q);
    return 0;
}

int
inc_store_pool_add(store_t *st, const Cogov__V1__Pool *p)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO pools(pool_id, name, source, fiscal_year, budget,"
            " created_at) VALUES (?,?,?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, p->pool_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, p->name ? p->name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, p->source);
    sqlite3_bind_int(q, 4, (int)p->fiscal_year);
    sqlite3_bind_int64(q, 5, p->budget_fen);
    sqlite3_bind_int64(q, 6, p->created_at);
    return store_exec(q);
}

int
inc_store_pool_acct(store_t *st, const char *pool_id, pool_acct_t *a)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT budget, approved, disbursed FROM pools WHERE pool_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, pool_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    a->budget = sqlite3_column_int64(q, 0);
    a->approved = sqlite3_column_int64(q, 1);
    a->disbursed = sqlite3_column_int64(q, 2);
    sqlite3_reset(q);
    return 0;
}

int
inc_store_pool_acct_set(store_t *st, const char *pool_id, const pool_acct_t *a)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE pools SET budget = ?, approved = ?, disbursed = ?"
            " WHERE pool_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int64(q, 1, a->budget);
    sqlite3_bind_int64(q, 2, a->approved);
    sqlite3_bind_int64(q, 3, a->disbursed);
    sqlite3_bind_text(q, 4, pool_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_pool_flag(store_t *st, const char *pool_id, const char *flag,
                    int *value)
{
    sqlite3_stmt *q =
        store_stmt(st, strcmp(flag, "low") == 0
                           ? "SELECT low FROM pools WHERE pool_id = ?"
                           : "SELECT exhausted FROM pools WHERE pool_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, pool_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *value = sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    return 0;
}

int
inc_store_pool_flag_set(store_t *st, const char *pool_id, const char *flag,
                        int value)
{
    sqlite3_stmt *q = store_stmt(
        st, strcmp(flag, "low") == 0
                ? "UPDATE pools SET low = ? WHERE pool_id = ?"
                : "UPDATE pools SET exhausted = ? WHERE pool_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, value);
    sqlite3_bind_text(q, 2, pool_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

#define POOL_SELECT                                                            \
    "SELECT p.pool_id, p.name, p.source, p.fiscal_year, p.budget,"             \
    " p.approved, p.disbursed, p.created_at,"                                  \
    " (SELECT coalesce(sum(amount), 0) FROM awards a WHERE a.pool_id ="        \
    "  p.pool_id AND a.status = 1),"                                           \
    " (SELECT coalesce(sum(amount), 0) FROM awards a WHERE a.pool_id ="        \
    "  p.pool_id AND a.status = 5),"                                           \
    " (SELECT coalesce(sum(amount), 0) FROM awards a WHERE a.pool_id ="        \
    "  p.pool_id AND a.status = 6)"                                            \
    " FROM pools p"

/* Bind s as text parameter i unless it is NULL or empty (the parameter
 * stays NULL: "?i IS NULL" in the query means any). */
static void
bind_opt(sqlite3_stmt *q, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

/* The one row of sql for id, its body (column 0) unpacked as d into *out:
 * 0, -EIO (it does not unpack: *out NULL) or store_one's error (*out left
 * as it was). */
static int
body_one(store_t *st, const char *sql, const char *id,
         const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    sqlite3_stmt *q = store_stmt(st, sql);
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    err = (*out = store_col_msg(q, 0, d)) ? 0 : -EIO;
    sqlite3_reset(q);
    return err;
}

/* Append the body (column 0) of every row of q, unpacked as d, to arr of
 * n, passing over a row that does not unpack; err: 0 or -errno. */
#define BODY_ROWS(q, d, arr, n, err)                                           \
    while (store_row((q), &(err))) {                                           \
        void *m_ = store_col_msg((q), 0, (d));                                 \
        if (m_ != NULL)                                                        \
            STORE_PUSH(arr, n, m_);                                            \
    }

static Cogov__V1__Pool *
pool_row(sqlite3_stmt *q)
{
    Cogov__V1__Pool *p = xmalloc(sizeof *p);

    cogov__v1__pool__init(p);
    p->pool_id = xstrdup(col(q, 0));
    p->name = xstrdup(col(q, 1));
    p->has_source = true;
    p->source = sqlite3_column_int(q, 2);
    p->has_fiscal_year = true;
    p->fiscal_year = (uint32_t)sqlite3_column_int(q, 3);
    p->has_budget_fen = p->has_approved_fen = p->has_disbursed_fen = true;
    p->budget_fen = sqlite3_column_int64(q, 4);
    p->approved_fen = sqlite3_column_int64(q, 5);
    p->disbursed_fen = sqlite3_column_int64(q, 6);
    p->has_created_at = true;
    p->created_at = sqlite3_column_int64(q, 7);
    p->has_proposed_fen = p->has_held_fen = p->has_queued_fen = true;
    p->proposed_fen = sqlite3_column_int64(q, 8);
    p->held_fen = sqlite3_column_int64(q, 9);
    p->queued_fen = sqlite3_column_int64(q, 10);
    p->has_available_fen = true;
    p->available_fen = p->budget_fen - p->approved_fen - p->disbursed_fen;
    return p;
}

int
inc_store_pool(store_t *st, const char *pool_id, Cogov__V1__Pool **out)
{
    sqlite3_stmt *q = store_stmt(st, POOL_SELECT " WHERE p.pool_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, pool_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *out = pool_row(q);
    sqlite3_reset(q);
    return 0;
}

int
inc_store_pools(store_t *st, Cogov__V1__PoolList **out)
{
    sqlite3_stmt *q = store_stmt(st, POOL_SELECT " ORDER BY p.pool_id");
    Cogov__V1__PoolList *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__pool_list__init(l);
    *out = l;
    if (q == NULL)
        return -EIO;
    while (store_row(q, &err))
        STORE_PUSH(l->pools, l->n_pools, pool_row(q));
    return err;
}

int
inc_store_policy_add(store_t *st, const char *policy_id, uint32_t version,
                     const char *effective_on, const char *pool_id,
                     const char *text, int64_t at)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO policies(policy_id, version, effective_on, pool_id,"
            " text, loaded_at) VALUES (?,?,?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)version);
    sqlite3_bind_text(q, 3, effective_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, pool_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, at);
    return store_exec(q);
}

int
inc_store_policies_on(store_t *st, const char *date, char ***texts, size_t *n)
{
    /* per policy, the latest version that took effect on or before date;
     * among equal dates the higher version */
    sqlite3_stmt *q = store_stmt(
        st, "SELECT text FROM policies p WHERE effective_on <= ?1 AND"
            " version = (SELECT version FROM policies p2 WHERE"
            " p2.policy_id = p.policy_id AND p2.effective_on <= ?1"
            " ORDER BY effective_on DESC, version DESC LIMIT 1)"
            " ORDER BY policy_id");
    int err;

    *texts = NULL;
    *n = 0;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, date, -1, SQLITE_STATIC);
    while (store_row(q, &err))
        STORE_PUSH(*texts, *n, xstrdup(col(q, 0)));
    return err;
}

static Cogov__V1__PolicyInfo *
policy_row(sqlite3_stmt *q)
{
    Cogov__V1__PolicyInfo *p = xmalloc(sizeof *p);

    cogov__v1__policy_info__init(p);
    p->policy_id = xstrdup(col(q, 0));
    p->has_version = true;
    p->version = (uint32_t)sqlite3_column_int(q, 1);
    p->effective_on = xstrdup(col(q, 2));
    p->pool_id = xstrdup(col(q, 3));
    p->text = xstrdup(col(q, 4));
    p->has_loaded_at = true;
    p->loaded_at = sqlite3_column_int64(q, 5);
    return p;
}

int
inc_store_policies(store_t *st, Cogov__V1__PolicyList **out)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT policy_id, version, effective_on, pool_id, text,"
                       " loaded_at FROM policies ORDER BY policy_id, version");
    Cogov__V1__PolicyList *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__policy_list__init(l);
    *out = l;
    if (q == NULL)
        return -EIO;
    while (store_row(q, &err))
        STORE_PUSH(l->policies, l->n_policies, policy_row(q));
    return err;
}

int
inc_store_award_put(store_t *st, const Cogov__V1__Award *a, int year)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO awards(award_id, status, member_id,"
            " pool_id, policy_id, year, report_id, amount, occurred_at,"
            " source_event, body, claim_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(award_id) DO UPDATE SET status = excluded.status,"
            " amount = excluded.amount, body = excluded.body");

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, a->award_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, a->status);
    sqlite3_bind_text(q, 3, a->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, a->pool_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, a->policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, year);
    bind_opt(q, 7, a->report_id);
    sqlite3_bind_int64(q, 8, a->amount_fen);
    sqlite3_bind_int64(q, 9, a->occurred_at);
    sqlite3_bind_text(q, 10, a->source_event, -1, SQLITE_STATIC);
    store_bind_msg(q, 11, &a->base);
    bind_opt(q, 12, a->claim_id);
    return store_exec(q);
}

int
inc_store_award(store_t *st, const char *award_id, Cogov__V1__Award **out)
{
    return body_one(st, "SELECT body FROM awards WHERE award_id = ?", award_id,
                    &cogov__v1__award__descriptor, (ProtobufCMessage **)out);
}

static int
award_list(sqlite3_stmt *q, Cogov__V1__AwardList **out)
{
    Cogov__V1__AwardList *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__award_list__init(l);
    *out = l;
    BODY_ROWS(q, &cogov__v1__award__descriptor, l->awards, l->n_awards, err);
    return err;
}

int
inc_store_awards(store_t *st, const char *member_id, const char *pool_id,
                 int status, const char *report_id, Cogov__V1__AwardList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM awards WHERE (?1 IS NULL OR member_id = ?1)"
            " AND (?2 IS NULL OR pool_id = ?2) AND (?3 = 0 OR status = ?3)"
            " AND (?4 IS NULL OR report_id = ?4)"
            " ORDER BY occurred_at, award_id");
    if (q == NULL) {
        *out = NULL;
        return -EIO;
    }
    bind_opt(q, 1, member_id);
    bind_opt(q, 2, pool_id);
    sqlite3_bind_int(q, 3, status);
    bind_opt(q, 4, report_id);
    return award_list(q, out);
}

int
inc_store_awards_of(store_t *st, const char *member_id, uint32_t statuses,
                    Cogov__V1__AwardList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM awards WHERE member_id = ?"
            " AND ((1 << status) & ?) <> 0 ORDER BY occurred_at, award_id");
    if (q == NULL) {
        *out = NULL;
        return -EIO;
    }
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, statuses);
    return award_list(q, out);
}

int
inc_store_queue(store_t *st, const char *pool_id, Cogov__V1__AwardList **out)
{
    /* source_event is "<producer>:<seq>": order by producer, then seq as a
     * number */
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM awards WHERE pool_id = ? AND status = 6"
            " ORDER BY occurred_at,"
            " substr(source_event, 1, instr(source_event, ':') - 1),"
            " CAST(substr(source_event, instr(source_event, ':') + 1)"
            " AS INTEGER), award_id");
    if (q == NULL) {
        *out = NULL;
        return -EIO;
    }
    sqlite3_bind_text(q, 1, pool_id, -1, SQLITE_STATIC);
    return award_list(q, out);
}

int
inc_store_award_sum(store_t *st, const char *policy_id, const char *member_id,
                    int year, int64_t *sum)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT coalesce(sum(amount), 0) FROM awards WHERE policy_id = ?1"
            " AND (?2 IS NULL OR member_id = ?2) AND (?3 = 0 OR year = ?3)"
            " AND status <> 4");
    int rc;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, policy_id, -1, SQLITE_STATIC);
    if (member_id)
        sqlite3_bind_text(q, 2, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, year);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *sum = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

static Cogov__V1__LedgerRow *
ledger_row(sqlite3_stmt *q)
{
    Cogov__V1__LedgerRow *r = xmalloc(sizeof *r);

    cogov__v1__ledger_row__init(r);
    r->pool_id = xstrdup(col(q, 0));
    r->member_id = xstrdup(col(q, 1));
    r->has_proposed_fen = r->has_approved_fen = r->has_disbursed_fen = true;
    r->has_held_fen = r->has_queued_fen = r->has_rejected_fen = true;
    r->proposed_fen = sqlite3_column_int64(q, 2);
    r->approved_fen = sqlite3_column_int64(q, 3);
    r->disbursed_fen = sqlite3_column_int64(q, 4);
    r->held_fen = sqlite3_column_int64(q, 5);
    r->queued_fen = sqlite3_column_int64(q, 6);
    r->rejected_fen = sqlite3_column_int64(q, 7);
    return r;
}

int
inc_store_ledger(store_t *st, const char *pool_id, const char *member_id,
                 Cogov__V1__Ledger **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT pool_id, member_id,"
            " sum(CASE status WHEN 1 THEN amount ELSE 0 END),"
            " sum(CASE status WHEN 2 THEN amount ELSE 0 END),"
            " sum(CASE status WHEN 3 THEN amount ELSE 0 END),"
            " sum(CASE status WHEN 5 THEN amount ELSE 0 END),"
            " sum(CASE status WHEN 6 THEN amount ELSE 0 END),"
            " sum(CASE status WHEN 4 THEN amount ELSE 0 END)"
            " FROM awards WHERE (?1 IS NULL OR pool_id = ?1)"
            " AND (?2 IS NULL OR member_id = ?2)"
            " GROUP BY pool_id, member_id ORDER BY pool_id, member_id");
    Cogov__V1__Ledger *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__ledger__init(l);
    *out = l;
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, pool_id);
    bind_opt(q, 2, member_id);
    while (store_row(q, &err))
        STORE_PUSH(l->rows, l->n_rows, ledger_row(q));
    return err;
}

int
inc_store_member_net(store_t *st, const char *member_id, const char *pool_id,
                     int year, int64_t *committed, int64_t *paid)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT coalesce(sum(CASE WHEN status IN (2, 3) THEN amount END),"
            " 0), coalesce(sum(CASE WHEN status = 3 THEN amount END), 0)"
            " FROM awards WHERE member_id = ? AND pool_id = ? AND year = ?");
    int rc;

    *committed = *paid = 0;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, pool_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, year);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *committed = sqlite3_column_int64(q, 0);
        *paid = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int
inc_store_report_root(store_t *st, const char *report_id, char **root)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT root FROM report_roots WHERE report_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, report_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *root = xstrdup(col(q, 0));
    sqlite3_reset(q);
    return 0;
}

int
inc_store_report_root_put(store_t *st, const char *report_id, const char *root)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO report_roots(report_id, root) VALUES (?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, report_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, root, -1, SQLITE_STATIC);
    return store_exec(q);
}

/* ---- claims ------------------------------------------------------------ */

int
inc_store_award_ver(store_t *st, const char *award_id, int ver)
{
    sqlite3_stmt *q =
        store_stmt(st, "UPDATE awards SET ver = ? WHERE award_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, ver);
    sqlite3_bind_text(q, 2, award_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_claim_add(store_t *st, const inc_claim_t *c)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO claims(claim_id, policy_id, policy_version, rule_id,"
            " chain, member_id, year, ckey) VALUES (?,?,?,?,?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, c->claim_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, c->policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, (int)c->policy_version);
    sqlite3_bind_text(q, 4, c->rule_id, -1, SQLITE_STATIC);
    if (c->chain && c->chain[0])
        sqlite3_bind_text(q, 5, c->chain, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, c->member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 7, c->year);
    sqlite3_bind_text(q, 8, c->ckey, -1, SQLITE_STATIC);
    return store_exec(q);
}

static void
claim_row(sqlite3_stmt *q, inc_claim_t *c)
{
    c->claim_id = xstrdup(col(q, 0));
    c->policy_id = xstrdup(col(q, 1));
    c->policy_version = (uint32_t)sqlite3_column_int(q, 2);
    c->rule_id = xstrdup(col(q, 3));
    c->chain = xstrdup(col(q, 4));
    c->member_id = xstrdup(col(q, 5));
    c->year = sqlite3_column_int(q, 6);
    c->ckey = xstrdup(col(q, 7));
    c->counts = sqlite3_column_int(q, 8) != 0;
    c->alloc = sqlite3_column_int64(q, 9);
    c->max_ver = sqlite3_column_int(q, 10);
}

#define CLAIM_SELECT                                                           \
    "SELECT claim_id, policy_id, policy_version, rule_id, chain, member_id,"   \
    " year, ckey, counts, alloc, (SELECT coalesce(max(ver), 0) FROM awards a"  \
    " WHERE a.claim_id = c.claim_id) FROM claims c"

void
inc_claim_clear(inc_claim_t *c)
{
    free(c->claim_id);
    free(c->policy_id);
    free(c->rule_id);
    free(c->chain);
    free(c->member_id);
    free(c->ckey);
    memset(c, 0, sizeof *c);
}

void
inc_claims_free(inc_claim_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        inc_claim_clear(&v[i]);
    free(v);
}

int
inc_store_claim(store_t *st, const char *claim_id, const char *policy_id,
                const char *rule_id, const char *chain, inc_claim_t *out)
{
    sqlite3_stmt *q =
        claim_id ? store_stmt(st, CLAIM_SELECT " WHERE claim_id = ?1")
                 : store_stmt(st, CLAIM_SELECT " WHERE policy_id = ?2 AND"
                                               " rule_id = ?3 AND chain = ?4");
    int err;

    if (q == NULL)
        return -EIO;
    if (claim_id)
        sqlite3_bind_text(q, 1, claim_id, -1, SQLITE_STATIC);
    else {
        sqlite3_bind_text(q, 2, policy_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, rule_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, chain, -1, SQLITE_STATIC);
    }
    err = store_one(q);
    if (err < 0)
        return err;
    claim_row(q, out);
    sqlite3_reset(q);
    return 0;
}

int
inc_store_claims_from(store_t *st, const char *policy_id, const char *ckey,
                      inc_claim_t **out, size_t *n)
{
    sqlite3_stmt *q = store_stmt(st, CLAIM_SELECT " WHERE policy_id = ? AND"
                                                  " ckey >= ? ORDER BY ckey");
    int err;

    *out = NULL;
    *n = 0;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ckey, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        claim_row(q, &(*out)[(*n)++]);
    }
    return err;
}

int
inc_store_claims_before(store_t *st, const char *policy_id, const char *ckey,
                        cap_tally_t **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT member_id, year, sum(max(alloc, 0)), sum(alloc) FROM"
            " claims WHERE policy_id = ? AND ckey < ? AND counts"
            " GROUP BY member_id, year");
    int64_t pool = 0;
    int err;

    *out = NULL;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ckey, -1, SQLITE_STATIC);
    *out = cap_tally_new(0);
    while (store_row(q, &err)) {
        int64_t used = sqlite3_column_int64(q, 2);
        cap_tally_seed(*out, col(q, 0), sqlite3_column_int(q, 1), used,
                       sqlite3_column_int64(q, 3));
        pool += used;
    }
    cap_tally_add(*out, "", 0, pool); /* the pool's sum; "" is no member */
    return err;
}

int
inc_store_claim_set(store_t *st, const char *claim_id, bool counts,
                    int64_t alloc)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE claims SET counts = ?, alloc = ? WHERE claim_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, counts);
    sqlite3_bind_int64(q, 2, alloc);
    sqlite3_bind_text(q, 3, claim_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_claim_entries(store_t *st, const char *claim_id,
                        Cogov__V1__AwardList **out, int **vers)
{
    sqlite3_stmt *q =
        store_stmt(st, "SELECT body, ver FROM awards WHERE claim_id = ?"
                       " ORDER BY ver < 0, ver, award_id");
    Cogov__V1__AwardList *l = xmalloc(sizeof *l);
    size_t nv = 0;
    int err;

    cogov__v1__award_list__init(l);
    *out = l;
    *vers = NULL;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, claim_id, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        Cogov__V1__Award *a = (Cogov__V1__Award *)store_col_msg(
            q, 0, &cogov__v1__award__descriptor);
        if (a == NULL)
            continue;
        STORE_PUSH(*vers, nv, sqlite3_column_int(q, 1));
        STORE_PUSH(l->awards, l->n_awards, a);
    }
    return err;
}

int
inc_store_policy_text(store_t *st, const char *policy_id, uint32_t version,
                      char **text)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT text FROM policies WHERE policy_id = ? AND version = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, policy_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)version);
    err = store_one(q);
    if (err < 0)
        return err;
    *text = xstrdup(col(q, 0));
    sqlite3_reset(q);
    return 0;
}

/* ---- 产教融合: qualification and tax credit ---------------------------- */

int
inc_store_qual(store_t *st, const char *member_id, int *stage, int *reason,
               char since[11], char banned[11])
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT stage, reason, since, banned_until FROM qualifications"
            " WHERE member_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    *stage = sqlite3_column_int(q, 0);
    *reason = sqlite3_column_int(q, 1);
    snprintf(since, 11, "%s", col(q, 2));
    snprintf(banned, 11, "%s", col(q, 3));
    sqlite3_reset(q);
    return 0;
}

int
inc_store_qual_put(store_t *st, const char *member_id, int stage, int reason,
                   const char *since, const char *banned)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO qualifications(member_id, stage, reason,"
            " since, banned_until) VALUES (?,?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, stage);
    sqlite3_bind_int(q, 3, reason);
    sqlite3_bind_text(q, 4, since, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, banned, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_invest_add(store_t *st, const char *member_id, const char *inv_id,
                     int year, int64_t amount, const char *desc)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO investments(member_id, investment_id, year, amount,"
            " description) VALUES (?,?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, inv_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, year);
    sqlite3_bind_int64(q, 4, amount);
    sqlite3_bind_text(q, 5, desc ? desc : "", -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_invest_withdraw(store_t *st, const char *member_id,
                          const char *inv_id, int kind, int year)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT withdrawn FROM investments WHERE member_id = ? AND"
            " investment_id = ?");
    int err, w;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, inv_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err < 0)
        return err;
    w = sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    if (w)
        return -EALREADY;
    q = store_stmt(st, "UPDATE investments SET withdrawn = ?,"
                       " withdrawn_year = ? WHERE member_id = ? AND"
                       " investment_id = ?");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_int(q, 1, kind);
    sqlite3_bind_int(q, 2, year);
    sqlite3_bind_text(q, 3, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, inv_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_surcharge_add(store_t *st, const char *member_id, int year,
                        int64_t due, const char *ref)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT INTO surcharges(member_id, year, due, report_ref)"
            " VALUES (?,?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, year);
    sqlite3_bind_int64(q, 3, due);
    sqlite3_bind_text(q, 4, ref ? ref : "", -1, SQLITE_STATIC);
    return store_exec(q);
}

static Cogov__V1__Investment *
investment_row(sqlite3_stmt *q)
{
    Cogov__V1__Investment *v = xmalloc(sizeof *v);

    cogov__v1__investment__init(v);
    v->investment_id = xstrdup(col(q, 0));
    v->has_year = v->has_amount_fen = true;
    v->year = (uint32_t)sqlite3_column_int(q, 1);
    v->amount_fen = sqlite3_column_int64(q, 2);
    v->has_withdrawn = sqlite3_column_int(q, 3) != 0;
    v->withdrawn = sqlite3_column_int(q, 3);
    v->has_withdrawn_year = v->has_withdrawn;
    v->withdrawn_year = (uint32_t)sqlite3_column_int(q, 4);
    v->description = xstrdup(col(q, 5));
    return v;
}

static Cogov__V1__SurchargeYear *
surcharge_row(sqlite3_stmt *q)
{
    Cogov__V1__SurchargeYear *y = xmalloc(sizeof *y);

    cogov__v1__surcharge_year__init(y);
    y->has_year = y->has_due_fen = true;
    y->year = (uint32_t)sqlite3_column_int(q, 0);
    y->due_fen = sqlite3_column_int64(q, 1);
    y->report_ref = xstrdup(col(q, 2));
    return y;
}

int
inc_store_tax_facts(store_t *st, const char *member_id,
                    Cogov__V1__TaxCreditAccount *a)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT investment_id, year, amount, withdrawn,"
            " coalesce(withdrawn_year, 0), description FROM investments"
            " WHERE member_id = ? ORDER BY year, investment_id");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    while (store_row(q, &err))
        STORE_PUSH(a->investments, a->n_investments, investment_row(q));
    if (err < 0)
        return err;
    q = store_stmt(st, "SELECT year, due, report_ref FROM surcharges WHERE"
                       " member_id = ? ORDER BY year");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    while (store_row(q, &err))
        STORE_PUSH(a->years, a->n_years, surcharge_row(q));
    return err;
}

/* ---- tasks, guarantees, honours ---------------------------------------- */

int
inc_store_task_put(store_t *st, const char *task_id, const char *lead)
{
    sqlite3_stmt *q = store_stmt(
        st,
        "INSERT OR IGNORE INTO tasks(task_id, lead_member_id) VALUES (?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, lead ? lead : "", -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_task_exists(store_t *st, const char *task_id)
{
    sqlite3_stmt *q = store_stmt(st, "SELECT 1 FROM tasks WHERE task_id = ?");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, task_id, -1, SQLITE_STATIC);
    err = store_one(q);
    if (err == 0)
        sqlite3_reset(q);
    return err;
}

int
inc_store_guarantee_put(store_t *st, const Cogov__V1__Guarantee *g)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR REPLACE INTO guarantees(guarantee_id, task_id,"
            " department_id, body) VALUES (?,?,?,?)");

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, g->guarantee_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, g->task_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, g->department_id, -1, SQLITE_STATIC);
    store_bind_msg(q, 4, &g->base);
    return store_exec(q);
}

static Cogov__V1__Honour *
honour_row(sqlite3_stmt *q)
{
    return (Cogov__V1__Honour *)store_col_msg(q, 0,
                                              &cogov__v1__honour__descriptor);
}

int
inc_store_guarantee(store_t *st, const char *id, Cogov__V1__Guarantee **out)
{
    return body_one(st, "SELECT body FROM guarantees WHERE guarantee_id = ?",
                    id, &cogov__v1__guarantee__descriptor,
                    (ProtobufCMessage **)out);
}

int
inc_store_guarantees(store_t *st, const char *task_id, const char *dept_id,
                     Cogov__V1__GuaranteeList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM guarantees WHERE (?1 IS NULL OR task_id = ?1)"
            " AND (?2 IS NULL OR department_id = ?2)"
            " ORDER BY task_id, department_id, guarantee_id");
    Cogov__V1__GuaranteeList *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__guarantee_list__init(l);
    *out = l;
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, task_id);
    bind_opt(q, 2, dept_id);
    BODY_ROWS(q, &cogov__v1__guarantee__descriptor, l->guarantees,
              l->n_guarantees, err);
    return err;
}

int
inc_store_honour_add(store_t *st, const Cogov__V1__Honour *h, const char *ckey,
                     const char *open_orders)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO honours(honour_id, member_id, body, ckey,"
            " open_orders, withheld) VALUES (?,?,?,?,?,?)");
    int err;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, h->honour_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, h->member_id, -1, SQLITE_STATIC);
    store_bind_msg(q, 3, &h->base);
    sqlite3_bind_text(q, 4, ckey, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, open_orders, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, h->withheld);
    err = store_exec(q);
    if (err == 0)
        err = sqlite3_changes(store_db(st)) > 0 ? 1 : 0;
    return err;
}

int
inc_store_honour_set(store_t *st, const Cogov__V1__Honour *h)
{
    sqlite3_stmt *q = store_stmt(
        st, "UPDATE honours SET body = ?, withheld = ? WHERE honour_id = ?");

    if (q == NULL)
        return -EIO;
    store_bind_msg(q, 1, &h->base);
    sqlite3_bind_int(q, 2, h->withheld);
    sqlite3_bind_text(q, 3, h->honour_id, -1, SQLITE_STATIC);
    return store_exec(q);
}

int
inc_store_honours_after(store_t *st, const char *member_id, const char *ckey,
                        Cogov__V1__HonourList **out, char ***orders)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body, open_orders FROM honours WHERE member_id = ?"
            " AND ckey > ? ORDER BY ckey, honour_id");
    Cogov__V1__HonourList *l = xmalloc(sizeof *l);
    size_t n = 0;
    int err;

    cogov__v1__honour_list__init(l);
    *out = l;
    *orders = NULL;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ckey, -1, SQLITE_STATIC);
    while (store_row(q, &err)) {
        Cogov__V1__Honour *h = honour_row(q);
        if (h == NULL)
            continue;
        STORE_PUSH(*orders, n, xstrdup(col(q, 1)));
        STORE_PUSH(l->honours, l->n_honours, h);
    }
    return err;
}

int
inc_store_open_orders(store_t *st, const char *member_id, char **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT coalesce(group_concat(rectification_id, ','), '') FROM"
            " (SELECT rectification_id FROM rectifications WHERE member_id = ?"
            " AND open ORDER BY rectification_id)");
    int rc;

    *out = NULL;
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = xstrdup(col(q, 0));
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : store_errno(rc);
}

int
inc_store_status_log(store_t *st, const char *member_id, const char *ckey,
                     int status)
{
    sqlite3_stmt *q = store_stmt(
        st, "INSERT OR IGNORE INTO member_status_log(member_id, ckey, status)"
            " VALUES (?,?,?)");
    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ckey, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, status);
    return store_exec(q);
}

int
inc_store_status_at(store_t *st, const char *member_id, const char *ckey,
                    int *status)
{
    /* a store from before the log knows only the current status */
    sqlite3_stmt *q = store_stmt(
        st, "SELECT coalesce((SELECT status FROM member_status_log"
            " WHERE member_id = ?1 AND ckey < ?2 ORDER BY ckey DESC LIMIT 1),"
            " (SELECT status FROM members WHERE member_id = ?1))");
    int rc, err = 0;

    if (q == NULL)
        return -EIO;
    sqlite3_bind_text(q, 1, member_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ckey, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        *status = sqlite3_column_int(q, 0);
    else
        err = rc == SQLITE_ROW ? -ENOENT : store_errno(rc);
    sqlite3_reset(q);
    return err;
}

int
inc_store_honours(store_t *st, const char *member_id,
                  Cogov__V1__HonourList **out)
{
    sqlite3_stmt *q = store_stmt(
        st, "SELECT body FROM honours WHERE (?1 IS NULL OR member_id = ?1)"
            " ORDER BY member_id, honour_id");
    Cogov__V1__HonourList *l = xmalloc(sizeof *l);
    int err;

    cogov__v1__honour_list__init(l);
    *out = l;
    if (q == NULL)
        return -EIO;
    bind_opt(q, 1, member_id);
    BODY_ROWS(q, &cogov__v1__honour__descriptor, l->honours, l->n_honours, err);
    return err;
}
