/* cogov-secretariat: secretariat-led communication and consultation (沟通协商,
 * DESIGN 1.5). Table of contents: schema -> routes -> follows coordination
 * and reacts -> svc_main (config, log, keys, store, endpoint, followers,
 * loop, teardown). */
#include "sec_store.h"
#include "secretariat.h"
#include "svc.h"

static const char *const follows[] = {"coordination"};

int
main(int argc, char **argv)
{
    svc_def_t def = {
        .name = "secretariat",
        .migrations = sec_migrations,
        .n_migrations = sec_n_migrations,
        .routes = sec_routes,
        .n_routes = sec_n_routes,
        .follows = follows,
        .n_follows = 1,
        .react = sec_react,
        .config = NULL,
        .config_obj = NULL,
        .app_new = NULL,
        .app_destroy = NULL,
    };

    return svc_main(&def, argc, argv);
}
