/* notice_texts: the people-facing texts of the notices the secretariat
 * publishes by itself (pure functions: no sockets, no SQL). */
#ifndef COGOV_NOTICE_TEXTS_H
#define COGOV_NOTICE_TEXTS_H

#include <stdbool.h>
#include <stdint.h>

/* A notice caused by an event has the id "<kind>:<producer>:<seq>" of that
 * event ("welcome:coordination:42"), so a replay finds it already there.
 * Returns an xmalloc'd string. */
char *notice_id_for(const char *kind, const char *producer, uint64_t seq);

/* Welcome notice for a unit admitted to the consortium. consortium may be
 * NULL or "" (a generic name is used). *title and *body are xmalloc'd. */
void notice_welcome(const char *consortium, const char *member_name,
                    char **title, char **body);

/* Farewell notice for a unit that exited (expelled = false) or was expelled
 * (expelled = true). *title and *body are xmalloc'd. */
void notice_farewell(const char *consortium, const char *member_name,
                     bool expelled, char **title, char **body);

#endif
