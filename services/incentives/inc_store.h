/* inc_store: incentives' tables and the only SQL of the daemon. Every
 * function runs on the loop thread; writes run inside the caller's
 * transaction. Errors are negative errno as in store.h. */
#ifndef COGOV_INC_STORE_H
#define COGOV_INC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_alloc.h"
#include "pool_acct.h"
#include "store.h"
#include "cogov/v1/envelope.pb-c.h"

extern const char *const inc_migrations[];
extern const size_t inc_n_migrations;

/* Members as coordination announced them, and how many rectifications are
 * open for each (supervision). */
int inc_store_member_put(store_t *st, const char *member_id, int type,
                         int status);
int inc_store_member_rect(store_t *st, const char *member_id,
                          const char *rectification_id, bool open);
/* -ENOENT if never heard of. open_rect: rectifications still open. */
int inc_store_member(store_t *st, const char *member_id, int *type, int *status,
                     int *open_rect);

/* Pools: descriptive fields and the accounting. add: -EEXIST if present. */
int inc_store_pool_add(store_t *st, const Cogov__V1__Pool *p);
int inc_store_pool_acct(store_t *st, const char *pool_id, pool_acct_t *a);
int inc_store_pool_acct_set(store_t *st, const char *pool_id,
                            const pool_acct_t *a);
/* Flags raised once ("low", "exhausted"); set 0 again by a top-up. */
int inc_store_pool_flag(store_t *st, const char *pool_id, const char *flag,
                        int *value);
int inc_store_pool_flag_set(store_t *st, const char *pool_id, const char *flag,
                            int value);
/* A pool with its sums by status (fresh message; free unpacked). */
int inc_store_pool(store_t *st, const char *pool_id, Cogov__V1__Pool **out);
int inc_store_pools(store_t *st, Cogov__V1__PoolList **out);

/* Policies: -EEXIST if (id, version) is loaded already. */
int inc_store_policy_add(store_t *st, const char *policy_id, uint32_t version,
                         const char *effective_on, const char *pool_id,
                         const char *text, int64_t at);
/* Texts of the version of each policy in force on `date` (the highest
 * effective_on <= date). xmalloc'd; free with inc_strv_free. */
int inc_store_policies_on(store_t *st, const char *date, char ***texts,
                          size_t *n);
int inc_store_policies(store_t *st, Cogov__V1__PolicyList **out);
void inc_strv_free(char **v, size_t n);

/* Awards, kept as the packed message with selection columns. put: insert
 * or replace (year: the calendar year of a->occurred_at, for caps). get:
 * -ENOENT. */
int inc_store_award_put(store_t *st, const Cogov__V1__Award *a, int year);
int inc_store_award(store_t *st, const char *award_id, Cogov__V1__Award **out);
/* Filters NULL / 0: any. report_id: the awards computed from that report. */
int inc_store_awards(store_t *st, const char *member_id, const char *pool_id,
                     int status, const char *report_id,
                     Cogov__V1__AwardList **out);
/* Awards of member_id in `statuses` (bit per AwardStatus). */
int inc_store_awards_of(store_t *st, const char *member_id, uint32_t statuses,
                        Cogov__V1__AwardList **out);
/* QUEUED awards of a pool in queue order (occurred_at, producer, seq). */
int inc_store_queue(store_t *st, const char *pool_id,
                    Cogov__V1__AwardList **out);
/* Sum of non-rejected amounts of a policy (member NULL: all members; year
 * 0: all years). */
int inc_store_award_sum(store_t *st, const char *policy_id,
                        const char *member_id, int year, int64_t *sum);
int inc_store_ledger(store_t *st, const char *pool_id, const char *member_id,
                     Cogov__V1__Ledger **out);
/* What member_id has from pool_id in year: committed, its APPROVED and
 * DISBURSED entries; paid, its DISBURSED ones (signed sums: deductions
 * included). A deduction may not take either below 0. */
int inc_store_member_net(store_t *st, const char *member_id,
                         const char *pool_id, int year, int64_t *committed,
                         int64_t *paid);

/* Progress reports and the first report of their correction chain. */
int inc_store_report_root(store_t *st, const char *report_id, char **root);
int inc_store_report_root_put(store_t *st, const char *report_id,
                              const char *root);

/* ---- claims (cap_alloc.h) ---------------------------------------------- */
typedef struct inc_claim {
    char *claim_id; /* the entitlement's award id */
    char *policy_id;
    uint32_t policy_version;
    char *rule_id;
    char *chain; /* report chain root, "" if none */
    char *member_id;
    int year;
    char *ckey; /* cap order key */
    bool counts;
    int64_t alloc;
    int max_ver; /* highest version of its entries */
} inc_claim_t;

/* Set an award's version in its claim (after its first put). */
int inc_store_award_ver(store_t *st, const char *award_id, int ver);
int inc_store_claim_add(store_t *st, const inc_claim_t *c);
/* By claim_id, or (claim_id NULL) by (policy, rule, chain). -ENOENT. Free
 * the fields with inc_claim_clear. */
int inc_store_claim(store_t *st, const char *claim_id, const char *policy_id,
                    const char *rule_id, const char *chain, inc_claim_t *out);
/* The claims of a policy at or after ckey in cap order. */
int inc_store_claims_from(store_t *st, const char *policy_id, const char *ckey,
                          inc_claim_t **out, size_t *n);
void inc_claims_free(inc_claim_t *v, size_t n);
void inc_claim_clear(inc_claim_t *c);
/* A tally seeded with what the counting claims before ckey consume. */
int inc_store_claims_before(store_t *st, const char *policy_id,
                            const char *ckey, cap_tally_t **out);
int inc_store_claim_set(store_t *st, const char *claim_id, bool counts,
                        int64_t alloc);
/* The entries of a claim: versions in order, then residuals; vers[i] is
 * the version of awards[i] (xmalloc'd). */
int inc_store_claim_entries(store_t *st, const char *claim_id,
                            Cogov__V1__AwardList **out, int **vers);
int inc_store_policy_text(store_t *st, const char *policy_id, uint32_t version,
                          char **text);

/* ---- 产教融合: qualification and tax credit ---------------------------- */
/* -ENOENT if the unit never entered the lifecycle. since/banned >= 11. */
int inc_store_qual(store_t *st, const char *member_id, int *stage, int *reason,
                   char since[11], char banned[11]);
int inc_store_qual_put(store_t *st, const char *member_id, int stage,
                       int reason, const char *since, const char *banned);
/* -EEXIST if recorded already. */
int inc_store_invest_add(store_t *st, const char *member_id, const char *inv_id,
                         int year, int64_t amount, const char *desc);
/* -ENOENT, or -EALREADY if withdrawn already. kind: WithdrawalKind. */
int inc_store_invest_withdraw(store_t *st, const char *member_id,
                              const char *inv_id, int kind, int year);
/* -EEXIST if that year was reported already. */
int inc_store_surcharge_add(store_t *st, const char *member_id, int year,
                            int64_t due, const char *ref);
/* Append the unit's investments (year, id order) and surcharge years (the
 * recorded fields only) to a. */
int inc_store_tax_facts(store_t *st, const char *member_id,
                        Cogov__V1__TaxCreditAccount *a);

/* ---- tasks, guarantees, honours ---------------------------------------- */
int inc_store_task_put(store_t *st, const char *task_id, const char *lead);
/* 0 if coordination announced it, -ENOENT otherwise. */
int inc_store_task_exists(store_t *st, const char *task_id);
int inc_store_guarantee_put(store_t *st, const Cogov__V1__Guarantee *g);
int inc_store_guarantee(store_t *st, const char *id,
                        Cogov__V1__Guarantee **out);
int inc_store_guarantees(store_t *st, const char *task_id, const char *dept_id,
                         Cogov__V1__GuaranteeList **out);
/* Record the decision on an honour (granted or withheld, h->withheld) with
 * its cap order key (the publication's) and the unit's rectification
 * orders open at the publication ("" none). 1 if recorded now, 0 if it
 * was already (idempotent: the first decision's row is kept). */
int inc_store_honour_add(store_t *st, const Cogov__V1__Honour *h,
                         const char *ckey, const char *open_orders);
/* Replace a recorded honour's body (the decision changed). */
int inc_store_honour_set(store_t *st, const Cogov__V1__Honour *h);
int inc_store_honours(store_t *st, const char *member_id,
                      Cogov__V1__HonourList **out);
/* The member's honours published after ckey (cap order), each with the
 * orders open at its publication (*orders[i], caller frees both with
 * inc_strv_free / protobuf_c_message_free_unpacked). */
int inc_store_honours_after(store_t *st, const char *member_id,
                            const char *ckey, Cogov__V1__HonourList **out,
                            char ***orders);
/* The unit's rectification orders open now, comma-separated in id order
 * ("" none; caller frees). */
int inc_store_open_orders(store_t *st, const char *member_id, char **out);
/* A member status change at cap order key ckey (idempotent). */
int inc_store_status_log(store_t *st, const char *member_id, const char *ckey,
                         int status);
/* The member's status in force just before ckey: the last change before
 * it, else the current status; -ENOENT for a unit never seen. */
int inc_store_status_at(store_t *st, const char *member_id, const char *ckey,
                        int *status);

#endif
