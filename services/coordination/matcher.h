/* matcher: the three lists' matching rule (三张清单, DESIGN 1.2) as pure
 * functions — the occupation <-> major mapping file and the scoring of
 * talent demand <-> supply pairings. No SQLite, no ZeroMQ. */
#ifndef COGOV_MATCHER_H
#define COGOV_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MATCH_NAME_MAX_CHARS 50 /* an occupation or a major */
#define MATCH_MAP_MAX_PAIRS 5000

/* Score parts (total 100). */
#define MATCH_FIT_POINTS 40
#define MATCH_QUANTITY_POINTS 30
#define MATCH_TIMING_POINTS 20
#define MATCH_LATE_POINTS 10 /* graduates at most MATCH_LATE_DAYS late */
#define MATCH_LATE_DAYS 90
#define MATCH_COOP_POINTS 10

typedef struct match_pair {
    char *occupation;
    char *major;
} match_pair_t;

/* The mapping: pairs in file order, duplicates dropped. */
typedef struct match_map {
    match_pair_t *pairs;
    size_t n;
} match_map_t;

/* Parse a mapping file (UTF-8, BOM allowed, LF or CRLF): one
 * "occupation,major" a line, both trimmed, non-empty, at most
 * MATCH_NAME_MAX_CHARS characters, no quotes or control characters; blank
 * lines and lines starting with '#' are skipped; a first line
 * "occupation,major" is a header. On success *out (cleared first) owns the
 * pairs; on a malformed line returns -EINVAL with err = "line N: what" and
 * *out empty. An empty mapping is -EINVAL too. */
int match_map_parse(const char *text, size_t len, match_map_t *out, char *err,
                    size_t errlen);
void match_map_clear(match_map_t *m);
/* Is the occupation mapped to the major? */
bool match_map_fits(const match_map_t *m, const char *occupation,
                    const char *major);
/* "%016llx" of hash64 over the pairs (order-sensitive); buf >= 17. */
void match_map_digest(const match_map_t *m, char *buf, size_t size);

/* A talent demand with the headcount still to be filled. */
typedef struct match_demand {
    const char *demand_id;
    const char *member_id; /* the enterprise */
    const char *occupation;
    int64_t headcount;     /* left: headcount - matched */
    const char *needed_by; /* "YYYY-MM-DD" */
    int64_t needed_by_at;
} match_demand_t;

/* A supply with the graduates still available. */
typedef struct match_supply {
    const char *supply_id;
    const char *member_id; /* the school */
    const char *major;
    int64_t graduates;        /* left: graduates - matched */
    const char *available_on; /* "YYYY-MM-DD" */
    int64_t available_at;
} match_supply_t;

/* Units that already share a task (either order). */
typedef struct match_coop {
    const char *a;
    const char *b;
} match_coop_t;

typedef struct match_result {
    size_t demand; /* index into the demands */
    size_t supply; /* index into the supplies */
    int score;     /* 0..100 */
    int64_t quantity;
    char *reason; /* Chinese, owned */
} match_result_t;

/* Score one pairing. Returns false (no pairing) when the occupation is not
 * mapped to the major or either side has nothing left; else fills *r
 * (reason owned by the caller; demand/supply indexes left 0). */
bool match_score(const match_map_t *m, const match_demand_t *d,
                 const match_supply_t *s, const match_coop_t *coop,
                 size_t n_coop, match_result_t *r);

/* Every pairing of the demands with the supplies, ranked by score
 * (descending), then demand id, then supply id; at most `limit` (0: all).
 * *out is freed with match_results_free. Returns the count. */
size_t match_propose(const match_map_t *m, const match_demand_t *d, size_t n_d,
                     const match_supply_t *s, size_t n_s,
                     const match_coop_t *coop, size_t n_coop, size_t limit,
                     match_result_t **out);
void match_results_free(match_result_t *r, size_t n);

/* The task id AcceptMatch derives: "match-<16 hex of hash64 over
 * demand_id 0x1f supply_id>"; buf >= 24. */
void match_task_id(const char *demand_id, const char *supply_id, char *buf,
                   size_t size);

#endif
