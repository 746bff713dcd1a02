/* unit_tmp: a temp directory per test for the unit tests that need files
 * (cmocka setup/teardown), removed with everything in it, and a one-number
 * query on a store. Include after <cmocka.h>. */
#ifndef COGOV_UNIT_TMP_H
#define COGOV_UNIT_TMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store.h"
#include "util.h"

struct tmp {
    char dir[64];
    char db[128]; /* <dir>/s.db */
};

static inline int
unit_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove dir and everything below it. */
static inline void
unit_rm_tree(const char *dir)
{
    nftw(dir, unit_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline int
tmp_setup(void **state)
{
    struct tmp *t = xcalloc(1, sizeof(*t));

    snprintf(t->dir, sizeof(t->dir), "/tmp/cogov-unit.XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    snprintf(t->db, sizeof(t->db), "%s/s.db", t->dir);
    *state = t;
    return 0;
}

static inline int
tmp_teardown(void **state)
{
    struct tmp *t = *state;

    unit_rm_tree(t->dir);
    free(t);
    return 0;
}

/* The first column of the one row sql returns (COUNT(*) and the like). */
static inline int64_t
unit_q_int(store_t *s, const char *sql)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    int64_t n;

    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* The body hash of the stored reply for (principal, request_id), or the
 * negative errno store_reply_get gives (-ENOENT: none). */
static inline int64_t
unit_reply_hash(store_t *s, const char *principal, const char *request_id)
{
    uint64_t h = 0;
    uint8_t *r = NULL;
    size_t len = 0;
    int rc = store_reply_get(s, principal, request_id, &h, &r, &len);

    free(r);
    return rc < 0 ? rc : (int64_t)h;
}

#endif
