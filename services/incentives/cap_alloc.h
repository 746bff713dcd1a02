/* cap_alloc: caps that do not depend on arrival order (DESIGN 2.3). The
 * claims of a policy (an entitlement and the entries that correct it)
 * share the policy's caps in a deterministic order, the claim's cap order
 * key (business time, producer, seq, suffix), not in the order their
 * events arrived. Each claim's versions (its report and each correction)
 * get the amount the caps allow at its place in that order; the entries
 * of a claim are reconciled to those targets: uncommitted entries change
 * in place, a difference on committed ones becomes a residual entry.
 * Pure: no SQLite, no ZeroMQ. */
#ifndef COGOV_INC_CAP_ALLOC_H
#define COGOV_INC_CAP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The running totals of one pass over a policy's claims in key order. */
typedef struct cap_tally cap_tally_t;

/* pool_used: what the claims before the pass's first one consume. */
cap_tally_t *cap_tally_new(int64_t pool_used);
void cap_tally_destroy(cap_tally_t **t);
/* What the claims of member_id in year before the first one consume:
 * used, the positive claims (against the caps); net, all of them (a
 * penalty is netted against it). */
void cap_tally_seed(cap_tally_t *t, const char *member_id, int year,
                    int64_t used, int64_t net);
/* The member's positive claims so far (what counts against the caps). */
int64_t cap_tally_member(const cap_tally_t *t, const char *member_id, int year);
/* The member's claims so far, penalties deducted. */
int64_t cap_tally_net(const cap_tally_t *t, const char *member_id, int year);
/* The policy's positive claims so far (against its pool cap). */
int64_t cap_tally_pool(const cap_tally_t *t);
/* The next claim in key order was allocated `amount`. A negative amount
 * (a penalty) lowers the member's net only: a penalty frees no cap room,
 * neither the member's nor the policy's. */
void cap_tally_add(cap_tally_t *t, const char *member_id, int year,
                   int64_t amount);

/* The cap order key of a source event: "<occurred_at> <producer> <seq>
 * <suffix>", zero-padded so that byte order is the order. out >= 120. */
void cap_order_key(int64_t occurred_at, const char *producer, uint64_t seq,
                   const char *suffix, char *out, size_t outlen);

/* One entry of a claim. ver >= 0: the claim's version ver (0 the
 * entitlement, k the k-th correction), with the target it is owed;
 * ver < 0: a residual entry. status is the AwardStatus value. */
typedef struct cap_entry {
    int ver;
    int status;
    int64_t amount; /* in; out for entries that changed */
    int64_t target; /* versions only */
    bool changed;   /* out */
} cap_entry_t;

/* True for the statuses whose amount may still change (PROPOSED, HELD). */
bool cap_entry_mutable(int status);
/* Bring the entries to their targets: a mutable version entry takes its
 * target; the difference on committed versions (APPROVED, QUEUED,
 * DISBURSED) less what committed residuals already carry goes to the
 * first mutable residual entry. Returns the amount of a residual entry to
 * create when none is mutable (0: none). REJECTED entries are left alone:
 * what finance refused is not proposed again. */
int64_t cap_reconcile(cap_entry_t *e, size_t n);

#endif
