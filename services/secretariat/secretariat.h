/* secretariat: the daemon's internal contract between main.c (table of
 * contents), react.c (reactions to coordination's stream) and handlers.c
 * (route table). */
#ifndef COGOV_SECRETARIAT_H
#define COGOV_SECRETARIAT_H

#include "svc.h"

/* react.c: reaction to one event of a followed stream (svc_react_fn). */
int sec_react(svc_t *s, void *app, const svc_ctx_t *c,
              const Cogov__V1__Event *ev);

/* handlers.c: the route table. */
extern const svc_route_t sec_routes[];
extern const size_t sec_n_routes;

#endif
