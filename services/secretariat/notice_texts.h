/* notice_texts: the people-facing texts of the notices the secretariat
 * publishes by itself (pure functions: no sockets, no SQL). Every text
 * function fills xmalloc'd *title and *body; a NULL or "" string argument
 * is replaced by a generic wording. */
#ifndef COGOV_NOTICE_TEXTS_H
#define COGOV_NOTICE_TEXTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A notice caused by an event has the id "<kind>:<producer>:<seq>" of that
 * event ("welcome:coordination:42"), so a replay finds it already there.
 * Returns an xmalloc'd string. */
char *notice_id_for(const char *kind, const char *producer, uint64_t seq);
/* The id of the notice to one of several units addressed one by one by the
 * same event: "<kind>:<producer>:<seq>:<member>". xmalloc'd. */
char *notice_id_for_member(const char *kind, const char *producer, uint64_t seq,
                           const char *member_id);

/* The fields of the notice.published log line: what
 * snprintf(buf, size, "notice=%s kind=%d to=%zu corr=%s", notice, kind, to,
 * corr) writes and returns, byte for byte (NULL strings as glibc's
 * "(null)"), without its cost (vsnprintf with four conversions was ~1.7k
 * instructions per notice published). */
size_t notice_published_fields(char *buf, size_t size, const char *notice,
                               int kind, size_t to, const char *corr);

/* "1234.05 元" for 123405 fen (negative: "-1234.05 元"). xmalloc'd. */
char *notice_yuan(int64_t fen);
/* Chinese label of a supervision WarningKind (unknown: a generic one). */
const char *notice_warning_label(int warning_kind);
/* Chinese label of a supervision Grade (UNSPECIFIED or unknown: 未评定). */
const char *notice_grade_label(int grade);

/* Welcome notice for a unit admitted to the consortium. consortium may be
 * NULL or "" (a generic name is used). *title and *body are xmalloc'd. */
void notice_welcome(const char *consortium, const char *member_name,
                    char **title, char **body);

/* Farewell notice for a unit that exited (expelled = false) or was expelled
 * (expelled = true). *title and *body are xmalloc'd. */
void notice_farewell(const char *consortium, const char *member_name,
                     bool expelled, char **title, char **body);

/* Early warning (supervision's warning_raised, WarningKind warning_kind)
 * to the unit concerned; detail is supervision's description. */
void notice_warning(const char *consortium, const char *member_name,
                    int warning_kind, const char *detail, char **title,
                    char **body);

/* Rectification order to the unit: the findings, the evidence required and
 * the deadline due_on ("YYYY-MM-DD"; the order is due at the end of it). */
void notice_rectification(const char *consortium, const char *member_name,
                          const char *findings, const char *evidence,
                          const char *due_on, char **title, char **body);

/* One unit's own evaluation result (privacy: no other unit's): period,
 * total in hundredths of a point, Grade, and the failed veto indicator
 * (veto_failed; veto_key may be empty). */
void notice_evaluation(const char *consortium, const char *member_name,
                       const char *period, int64_t total, int grade,
                       bool veto_failed, const char *veto_key, char **title,
                       char **body);

/* Incentive pool alert to the council: pool nearly spent (exhausted =
 * false, incentives' pool_low) or an award queued for want of funds
 * (exhausted = true, pool_exhausted). Amounts in fen. */
void notice_pool(const char *consortium, bool exhausted, const char *pool_id,
                 int64_t budget_fen, int64_t available_fen, int64_t queued_fen,
                 char **title, char **body);

/* Reminder to a task's lead unit that a milestone is overdue
 * (coordination's milestone_overdue); task_title may be NULL (unknown),
 * due_on "YYYY-MM-DD". */
void notice_milestone_overdue(const char *member_name, const char *task_id,
                              const char *task_title,
                              const char *milestone_title, const char *due_on,
                              char **title, char **body);

#endif
