/* secretariat: the daemon's internal contract between main.c (table of
 * contents), react.c (reactions to coordination's stream and calendar
 * ticks), handlers.c (route table, notices), motions.c (motions, votes,
 * resolutions), meetings.c, inquiries.c and briefing.c. */
#ifndef COGOV_SECRETARIAT_H
#define COGOV_SECRETARIAT_H

#include <stdbool.h>

#include "svc.h"

#define OK COGOV__V1__STATUS_CODE__STATUS_OK
#define INVALID COGOV__V1__STATUS_CODE__STATUS_INVALID
#define NOT_FOUND COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND
#define DENIED COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED
#define CONFLICT COGOV__V1__STATUS_CODE__STATUS_CONFLICT
#define UNAVAILABLE COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE
#define INTERNAL COGOV__V1__STATUS_CODE__STATUS_INTERNAL

/* role_bit() as a constant expression, for the static route table. */
#define R(x) (1u << COGOV__V1__ROLE__ROLE_##x)
#define READ_ROLES                                                             \
    (R(SECRETARIAT) | R(GOV_COORDINATOR) | R(OPERATOR) | R(OBSERVER) |         \
     R(MEMBER_REP) | R(SUPERVISOR))

/* Config keys (main.c). */
typedef struct sec_config {
    long long utc_offset_s;       /* consortium time zone */
    long long inquiry_sla_days;   /* an inquiry unanswered this long breaches */
    long long notice_remind_days; /* remind units that have not acknowledged */
    long long meeting_remind_hours;      /* remind invitees this long before */
    long long extraordinary_notice_days; /* an extraordinary meeting starts
                                            this long after it is convened */
} sec_config_t;

/* The daemon's state (svc_def.app_new's result): the config. */
typedef struct sec_app {
    const sec_config_t *cfg;
} sec_app_t;

/* react.c: reaction to one event of a followed stream (svc_react_fn). */
int sec_react(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Event *ev);

/* react.c: publish a notice (kind, title, body, addressees) under a derived
 * id; emits notice_published only if the id is new. */
int sec_publish_notice(svc_t *s, const svc_ctx_t *c, const char *notice_id,
                       Cogov__V1__NoticeKind kind, const char *title,
                       const char *body, char **addressees, size_t n);

/* handlers.c: the route table and shared helpers. */
extern const svc_route_t sec_routes[];
extern const size_t sec_n_routes;
Cogov__V1__StatusCode sec_store_fail(Cogov__V1__Reply *rep, int err,
                                     const char *what);
/* May the caller act for `member`? SECRETARIAT for any, MEMBER_REP for its
 * own unit. */
bool sec_acts_for(const principal_t *p, const char *member);
/* A principal whose only reading role is MEMBER_REP: it sees what concerns
 * its own unit only (notices addressed to it, inquiries it asked or was
 * asked, meetings it is invited to or convenes, motions by the rule of
 * motions.c). */
bool sec_confined(const principal_t *p);
/* Keep the messages of v for which keep(p, m) is true (it may also trim
 * them); free the others and shorten *n. */
void sec_filter(const principal_t *p, ProtobufCMessage **v, size_t *n,
                bool (*keep)(const principal_t *, ProtobufCMessage *));
/* A known member's status check: OK if ADMITTED, NOT_FOUND / CONFLICT
 * (with the reply's error set) otherwise. */
Cogov__V1__StatusCode sec_need_admitted(svc_t *s, Cogov__V1__Reply *rep,
                                        const char *field, const char *member);
/* Ids of motions, meetings, inquiries: 1..SEC_ID_MAX of [A-Za-z0-9._:-]
 * (no '/': coordination's task id is "res:<motion_id>/<item_id>", at most
 * 64); action item ids 1..SEC_ITEM_ID_MAX of the same. */
#define SEC_ID_MAX 40
#define SEC_ITEM_ID_MAX 16
bool sec_id_ok(const char *s, size_t max);
/* An id given or assigned ("<prefix>-<16 hex>", derived from the principal
 * and the request id), xmalloc'd; NULL if the given one is not valid. */
char *sec_id(const char *given, const char *prefix, const svc_ctx_t *c);

/* motions.c */
Cogov__V1__StatusCode sec_raise_motion(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_open_vote(svc_t *, void *, const svc_ctx_t *,
                                    const Cogov__V1__Request *,
                                    Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_cast_vote(svc_t *, void *, const svc_ctx_t *,
                                    const Cogov__V1__Request *,
                                    Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_get_motion(svc_t *, void *, const svc_ctx_t *,
                                     const Cogov__V1__Request *,
                                     Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_list_motions(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
/* Close the votes due at business time `now`; and those of a meeting held
 * (meeting_id != NULL, now ignored). */
int sec_motions_tick(svc_t *s, const svc_ctx_t *c, int64_t now);
int sec_motions_close_meeting(svc_t *s, const svc_ctx_t *c,
                              const char *meeting_id, int64_t now);

/* meetings.c */
Cogov__V1__StatusCode sec_schedule_meeting(svc_t *, void *, const svc_ctx_t *,
                                           const Cogov__V1__Request *,
                                           Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_meeting_transition(svc_t *, void *, const svc_ctx_t *,
                                             const Cogov__V1__Request *,
                                             Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_rsvp_meeting(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_check_in_meeting(svc_t *, void *, const svc_ctx_t *,
                                           const Cogov__V1__Request *,
                                           Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_get_meeting(svc_t *, void *, const svc_ctx_t *,
                                      const Cogov__V1__Request *,
                                      Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_list_meetings(svc_t *, void *, const svc_ctx_t *,
                                        const Cogov__V1__Request *,
                                        Cogov__V1__Reply *);
/* Schedule a meeting the secretariat convenes by itself (an extraordinary
 * meeting): no place, convenor or agenda. Returns 1 if scheduled (and
 * meeting_scheduled emitted), 0 if a meeting with that id exists, -errno. */
int sec_meeting_convene(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                        const char *meeting_id, Cogov__V1__MeetingKind kind,
                        const char *title, int64_t starts_at, char **invitees,
                        size_t n);
int sec_meetings_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                      int64_t now);

/* inquiries.c */
Cogov__V1__StatusCode sec_ask_inquiry(svc_t *, void *, const svc_ctx_t *,
                                      const Cogov__V1__Request *,
                                      Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_route_inquiry(svc_t *, void *, const svc_ctx_t *,
                                        const Cogov__V1__Request *,
                                        Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_answer_inquiry(svc_t *, void *, const svc_ctx_t *,
                                         const Cogov__V1__Request *,
                                         Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_rate_inquiry(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_get_inquiry(svc_t *, void *, const svc_ctx_t *,
                                      const Cogov__V1__Request *,
                                      Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_list_inquiries(svc_t *, void *, const svc_ctx_t *,
                                         const Cogov__V1__Request *,
                                         Cogov__V1__Reply *);
int sec_inquiries_tick(svc_t *s, const svc_ctx_t *c, int64_t now);

/* extraordinary.c: members' requests for an extraordinary meeting. */
Cogov__V1__StatusCode sec_request_extraordinary(svc_t *, void *,
                                                const svc_ctx_t *,
                                                const Cogov__V1__Request *,
                                                Cogov__V1__Reply *);
Cogov__V1__StatusCode sec_get_extraordinary(svc_t *, void *, const svc_ctx_t *,
                                            const Cogov__V1__Request *,
                                            Cogov__V1__Reply *);
/* Recount the subjects not yet convened (members may have left). */
int sec_extraordinary_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c);

/* review.c: coordination's tasks and the review of resolutions. */
int sec_review_task_event(svc_t *s, const svc_ctx_t *c,
                          const Cogov__V1__Event *ev);
/* Publish the review of every resolution whose review_on is on or before
 * the date of `now`, once. */
int sec_review_tick(svc_t *s, const sec_app_t *a, const svc_ctx_t *c,
                    int64_t now);

/* briefing.c */
Cogov__V1__StatusCode sec_get_briefing(svc_t *, void *, const svc_ctx_t *,
                                       const Cogov__V1__Request *,
                                       Cogov__V1__Reply *);

#endif
