/* cogovctl: the operator and scripting CLI (DESIGN 3). This file: global
 * options, config, connections, option parsing, dispatch and help. The
 * commands live in cogovctl_coord.c, cogovctl_notice.c and
 * cogovctl_ops.c. */
#include "cogovctl.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "util.h"

#define CTL_DEFAULT_CONF "/etc/cogov/cogovctl.conf"

const char *const ctl_service_names[SVC_COUNT] = {"coordination", "incentives",
                                                  "supervision", "secretariat"};

static const cfg_field_t ctl_fields[] = {
    {"coordination_endpoint", CFG_STRING,
     offsetof(ctl_conf_t, endpoint[SVC_COORDINATION]), "", 0, 0,
     "endpoint of cogov-coordination (empty: not deployed)"},
    {"incentives_endpoint", CFG_STRING,
     offsetof(ctl_conf_t, endpoint[SVC_INCENTIVES]), "", 0, 0,
     "endpoint of cogov-incentives (empty: not deployed)"},
    {"supervision_endpoint", CFG_STRING,
     offsetof(ctl_conf_t, endpoint[SVC_SUPERVISION]), "", 0, 0,
     "endpoint of cogov-supervision (empty: not deployed)"},
    {"secretariat_endpoint", CFG_STRING,
     offsetof(ctl_conf_t, endpoint[SVC_SECRETARIAT]), "", 0, 0,
     "endpoint of cogov-secretariat (empty: not deployed)"},
    {"keys_dir", CFG_STRING, offsetof(ctl_conf_t, keys_dir), "/etc/cogov/keys",
     0, 0, "directory of key files; daemons' public keys are <service>.pub"},
    {"key", CFG_STRING, offsetof(ctl_conf_t, key), "operator", 0, 0,
     "name of this client's key in keys_dir (<key>.key)"},
    {"timeout_ms", CFG_INT, offsetof(ctl_conf_t, timeout_ms), "10000", 1,
     3600000, "how long to wait for a daemon's answer, in milliseconds"},
    {NULL, CFG_STRING, 0, NULL, 0, 0, NULL},
};

/* ---- messages ---------------------------------------------------------- */

void
ctl_err(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("cogovctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
ctl_usage(ctl_t *c, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "cogovctl: %s: ", c->cmd_name ? c->cmd_name : "usage");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see: cogovctl %s --help)\n",
            c->cmd_name ? c->cmd_name : "");
    return CTL_EXIT_USAGE;
}

void
ctl_flush(sbuf_t *b)
{
    if (b->len > 0)
        fwrite(b->p, 1, b->len, stdout);
    fflush(stdout);
    sbuf_reset(b);
}

void
ctl_print_message(ctl_t *c, const ProtobufCMessage *m)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    if (c->json) {
        jw_t w;
        jw_init(&w, &b);
        if (m != NULL) {
            pbjson_message(&w, m);
        } else {
            jw_obj(&w);
            jw_key(&w, "ok");
            jw_bool(&w, true);
            jw_obj_end(&w);
        }
        sbuf_putc(&b, '\n');
    } else if (m != NULL) {
        pbshow(&b, m, CTL_UTC_OFFSET);
    } else {
        sbuf_puts(&b, "ok\n");
    }
    ctl_flush(&b);
    sbuf_free(&b);
}

/* ---- services and connections -------------------------------------------- */

int
ctl_service_parse(const char *name)
{
    for (int i = 0; i < SVC_COUNT; i++)
        if (name != NULL && strcmp(name, ctl_service_names[i]) == 0)
            return i;
    return -1;
}

int
ctl_need_conf(const ctl_t *c)
{
    if (c->conf_loaded)
        return 0;
    ctl_err("%s", c->conf_err);
    return CTL_EXIT_USAGE;
}

bool
ctl_configured(const ctl_t *c, int svc)
{
    return c->conf.endpoint[svc][0] != 0;
}

static client_t *
ctl_client(ctl_t *c, int svc, int *exit, char *err, size_t errlen)
{
    if (c->clients[svc] != NULL)
        return c->clients[svc];
    if (!c->conf_loaded) {
        snprintf(err, errlen, "%s", c->conf_err);
        *exit = CTL_EXIT_USAGE;
        return NULL;
    }
    if (!ctl_configured(c, svc)) {
        snprintf(err, errlen, "not configured (%s_endpoint is empty in %s)",
                 ctl_service_names[svc], c->conf_path);
        *exit = CTL_EXIT_USAGE;
        return NULL;
    }
    if (!c->kp_loaded) {
        int rc = keys_load(c->conf.keys_dir, c->conf.key, &c->kp);
        if (rc < 0) {
            snprintf(err, errlen, "cannot load key %s/%s.key: %s",
                     c->conf.keys_dir, c->conf.key, strerror(-rc));
            *exit = CTL_EXIT_USAGE;
            return NULL;
        }
        c->kp_loaded = true;
    }
    char pub[KEY_Z85_LEN + 1];
    int rc = keys_load_public(c->conf.keys_dir, ctl_service_names[svc], pub);
    if (rc < 0) {
        snprintf(err, errlen, "cannot load its public key %s/%s.pub: %s",
                 c->conf.keys_dir, ctl_service_names[svc], strerror(-rc));
        *exit = CTL_EXIT_USAGE;
        return NULL;
    }
    if (c->zctx == NULL)
        c->zctx = zmq_ctx_new();
    char cerr[256] = "";
    c->clients[svc] = client_new(c->zctx, c->conf.endpoint[svc], &c->kp, pub,
                                 cerr, sizeof cerr);
    if (c->clients[svc] == NULL) {
        snprintf(err, errlen, "cannot connect to %s: %s", c->conf.endpoint[svc],
                 cerr);
        *exit = CTL_EXIT_UNAVAILABLE;
        return NULL;
    }
    return c->clients[svc];
}

Cogov__V1__Reply *
ctl_request(ctl_t *c, int svc, Cogov__V1__Request *req, int extra_wait_ms,
            int total_ms, int *exit, char *err, size_t errlen)
{
    client_t *cl = ctl_client(c, svc, exit, err, errlen);
    if (cl == NULL)
        return NULL;
    if (req->correlation_id == NULL)
        req->correlation_id = c->corr;
    if (total_ms <= 0)
        total_ms = c->timeout_ms;
    /* Resend (same request id) a few times within the total, so a daemon
     * restarted mid-call still answers; a resend is harmless. */
    int attempt = total_ms / 3;
    if (attempt < 2000)
        attempt = 2000;
    if (attempt > total_ms)
        attempt = total_ms;
    char cerr[256] = "";
    Cogov__V1__Reply *rep =
        client_call(cl, req, attempt + extra_wait_ms, total_ms + extra_wait_ms,
                    cerr, sizeof cerr);
    if (rep == NULL) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : "no answer");
        *exit = CTL_EXIT_UNAVAILABLE;
        return NULL;
    }
    *exit = rep->has_code ? status_exit(rep->code) : CTL_EXIT_INTERNAL;
    return rep;
}

int
ctl_call(ctl_t *c, int svc, Cogov__V1__Request *req, Cogov__V1__Reply **out)
{
    char err[512];
    int exit = 0;
    *out = NULL;
    Cogov__V1__Reply *rep =
        ctl_request(c, svc, req, 0, 0, &exit, err, sizeof err);
    if (rep == NULL) {
        if (exit == CTL_EXIT_UNAVAILABLE)
            ctl_err("%s: UNAVAILABLE: %s", ctl_service_names[svc], err);
        else
            ctl_err("%s: %s", ctl_service_names[svc], err);
        return exit;
    }
    if (exit != CTL_EXIT_OK) {
        ctl_err("%s: %s: %s", ctl_service_names[svc],
                rep->has_code ? status_text(rep->code) : "NO_STATUS",
                str_empty(rep->error) ? "(no error text)" : rep->error);
        cogov__v1__reply__free_unpacked(rep, NULL);
        return exit;
    }
    *out = rep;
    return CTL_EXIT_OK;
}

/* ---- option parsing ---------------------------------------------------------
 */

int
ctl_parse(ctl_t *c, int argc, char **argv, const ctl_opt_t *opts,
          int (*on_opt)(ctl_t *c, int idx, const char *value, void *arg),
          void *arg, const char **pos, int max_pos, int *npos)
{
    bool only_pos = false;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (only_pos || a[0] != '-' || a[1] == 0) {
            if (*npos >= max_pos)
                return ctl_usage(c, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (a[1] != '-')
            return ctl_usage(c, "unknown option '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        int idx = -1;
        for (int k = 0; opts != NULL && opts[k].name != NULL; k++)
            if (strlen(opts[k].name) == nlen &&
                strncmp(opts[k].name, name, nlen) == 0)
                idx = k;
        if (idx < 0)
            return ctl_usage(c, "unknown option '%.*s'", (int)nlen + 2, a);
        const char *value = NULL;
        if (opts[idx].has_arg) {
            if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return ctl_usage(c, "option '--%s' needs a value",
                                 opts[idx].name);
        } else if (eq != NULL) {
            return ctl_usage(c, "option '--%s' takes no value", opts[idx].name);
        }
        int rc = on_opt(c, idx, value, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
ctl_parse_id(ctl_t *c, int argc, char **argv, const ctl_opt_t *opts,
             int (*on_opt)(ctl_t *c, int idx, const char *value, void *arg),
             void *arg, const char *what, const char **id)
{
    const char *pos[1];
    int npos, rc = ctl_parse(c, argc, argv, opts, on_opt, arg, pos, 1, &npos);
    if (rc != 0)
        return rc;
    if (npos != 1)
        return ctl_usage(c, "%s is required", what);
    *id = pos[0];
    return 0;
}

int
ctl_parse_enum(ctl_t *c, const ProtobufCEnumDescriptor *d, const char *opt,
               const char *value, int *out)
{
    int v = enum_parse(d, value);
    if (v < 0) {
        sbuf_t b;
        sbuf_init(&b);
        for (unsigned i = 0; i < d->n_values; i++)
            if (d->values[i].value != 0) {
                const char *s = enum_short(d, d->values[i].value);
                sbuf_printf(&b, "%s%s", b.len ? ", " : "", s ? s : "?");
            }
        int rc = ctl_usage(c, "%s: unknown value '%s' (one of: %s)", opt, value,
                           b.p);
        sbuf_free(&b);
        return rc;
    }
    *out = v;
    return 0;
}

int
ctl_parse_u64(ctl_t *c, const char *opt, const char *value, uint64_t max,
              uint64_t *out)
{
    char *end = NULL;
    if (value == NULL || value[0] < '0' || value[0] > '9')
        return ctl_usage(c, "%s: not a number: '%s'", opt, value ? value : "");
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno != 0 || *end != 0 || v > max)
        return ctl_usage(c, "%s: bad number '%s' (0..%llu)", opt, value,
                         (unsigned long long)max);
    *out = v;
    return 0;
}

/* ---- help -------------------------------------------------------------- */

static const ctl_cmd_t *const ctl_families[] = {
    ctl_cmds_coord,  ctl_cmds_plan,  ctl_cmds_lists,
    ctl_cmds_notice, ctl_cmds_trace, ctl_cmds_sec,
    ctl_cmds_ops,    ctl_cmds_supv,  ctl_cmds_inc};

static const char ctl_global_help[] =
    "usage: cogovctl [GLOBAL OPTIONS] NOUN [VERB] [ARGS] [--help]\n"
    "\n"
    "The operator and scripting CLI of cogov.\n"
    "\n"
    "Global options (before the noun):\n"
    "  -c FILE         config file (default: $COGOV_CTL_CONF, else\n"
    "                  " CTL_DEFAULT_CONF ")\n"
    "  --json          machine-readable output: one JSON object for a single\n"
    "                  result, an array for a list\n"
    "  --timeout MS    how long to wait for each answer (default: the\n"
    "                  config's timeout_ms, 10000)\n"
    "  --version       print the version\n"
    "  --help          this text\n";

static const char ctl_exit_help[] =
    "\n"
    "Exit codes:\n"
    "  0  OK\n"
    "  1  usage or configuration error\n"
    "  2  INVALID (the daemon refused the input, or a bad input file)\n"
    "  3  NOT_FOUND\n"
    "  4  PERMISSION_DENIED or UNAUTHENTICATED\n"
    "  5  CONFLICT\n"
    "  6  UNAVAILABLE, no answer, or timeout (also: a daemon is DOWN)\n"
    "  7  INTERNAL or anything else\n"
    "Errors are printed to stderr as \"cogovctl: <service>: <STATUS>: "
    "<error>\".\n"
    "\n"
    "Config keys: coordination_endpoint, incentives_endpoint,\n"
    "supervision_endpoint, secretariat_endpoint (empty: not deployed),\n"
    "keys_dir (/etc/cogov/keys), key (operator), timeout_ms (10000).\n";

static void
ctl_cmd_synopsis(sbuf_t *b, const ctl_cmd_t *k)
{
    sbuf_printf(b, "cogovctl %s", k->noun);
    if (k->verb != NULL)
        sbuf_printf(b, " %s", k->verb);
    if (!str_empty(k->args))
        sbuf_printf(b, " %s", k->args);
}

static void
ctl_help_all(FILE *out)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    sbuf_puts(&b, ctl_global_help);
    sbuf_puts(&b, "\nCommands (each has --help):\n");
    for (size_t f = 0; f < ARRAY_LEN(ctl_families); f++)
        for (const ctl_cmd_t *k = ctl_families[f]; k->noun != NULL; k++) {
            sbuf_puts(&b, "  ");
            ctl_cmd_synopsis(&b, k);
            sbuf_putc(&b, '\n');
        }
    sbuf_puts(&b, ctl_exit_help);
    fwrite(b.p, 1, b.len, out);
    sbuf_free(&b);
}

static void
ctl_help_cmd(const ctl_cmd_t *k)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    sbuf_puts(&b, "usage: ");
    ctl_cmd_synopsis(&b, k);
    sbuf_puts(&b, "\n\n");
    sbuf_puts(&b, k->help);
    sbuf_puts(&b, ctl_exit_help);
    fwrite(b.p, 1, b.len, stdout);
    sbuf_free(&b);
}

static void
ctl_help_noun(const char *noun)
{
    printf("commands of '%s' (each has --help):\n", noun);
    for (size_t f = 0; f < ARRAY_LEN(ctl_families); f++)
        for (const ctl_cmd_t *k = ctl_families[f]; k->noun != NULL; k++)
            if (strcmp(k->noun, noun) == 0) {
                sbuf_t b = {0};
                sbuf_init(&b);
                sbuf_puts(&b, "  ");
                ctl_cmd_synopsis(&b, k);
                sbuf_putc(&b, '\n');
                fwrite(b.p, 1, b.len, stdout);
                sbuf_free(&b);
            }
}

/* ---- setup and dispatch
 * ------------------------------------------------------ */

static void
ctl_make_corr(ctl_t *c)
{
    uint8_t r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t x = hash64(&c, sizeof c) ^ (uint64_t)now_wall_ms() ^
                     ((uint64_t)getpid() << 32);
        memcpy(r, &x, sizeof r);
    }
    snprintf(c->corr, sizeof c->corr, "ctl-%02x%02x%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

static void
ctl_load_conf(ctl_t *c, bool explicit_path)
{
    cfg_section_t sec = {ctl_fields, &c->conf};
    char err[400] = "";
    int rc = cfg_load(&sec, 1, c->conf_path, err, sizeof err);
    if (rc == 0) {
        c->conf_loaded = true;
        return;
    }
    if (err[0] == 0)
        snprintf(err, sizeof err, "%s: %s", c->conf_path, strerror(-rc));
    if (rc == -ENOENT && !explicit_path)
        snprintf(c->conf_err, sizeof c->conf_err,
                 "%s (give one with -c FILE or $COGOV_CTL_CONF)", err);
    else
        snprintf(c->conf_err, sizeof c->conf_err, "%s", err);
    /* Defaults stay usable for commands that need no daemon (keys). */
    cfg_defaults(&sec, 1);
}

static const ctl_cmd_t *
ctl_find(const char *noun, const char *verb, bool *noun_known)
{
    *noun_known = false;
    for (size_t f = 0; f < ARRAY_LEN(ctl_families); f++)
        for (const ctl_cmd_t *k = ctl_families[f]; k->noun != NULL; k++) {
            if (strcmp(k->noun, noun) != 0)
                continue;
            *noun_known = true;
            if (k->verb == NULL || (verb != NULL && strcmp(k->verb, verb) == 0))
                return k;
        }
    return NULL;
}

static bool
ctl_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int
main(int argc, char **argv)
{
    ctl_t c;
    memset(&c, 0, sizeof c);
    int rc = CTL_EXIT_USAGE;
    setlocale(LC_ALL, "C.UTF-8");
    /* The library's notices (keys created, ...) would repeat what the
     * command prints itself. */
    log_init("cogovctl");
    log_set_level(LOG_WARNING);

    const char *conf = NULL;
    const char *timeout = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (++i >= argc)
                goto usage_missing;
            conf = argv[i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            conf = a + 9;
        } else if (strcmp(a, "--json") == 0) {
            c.json = true;
        } else if (strcmp(a, "--timeout") == 0) {
            if (++i >= argc)
                goto usage_missing;
            timeout = argv[i];
        } else if (strncmp(a, "--timeout=", 10) == 0) {
            timeout = a + 10;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ctl_help_all(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("cogovctl %s\n", COGOV_VERSION);
            return CTL_EXIT_OK;
        } else {
            ctl_err("unknown global option '%s' (see: cogovctl --help)", a);
            return CTL_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        ctl_help_all(stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        ctl_help_all(stdout);
        return CTL_EXIT_OK;
    }

    const char *noun = argv[i];
    const char *verb = i + 1 < argc ? argv[i + 1] : NULL;
    bool noun_known;
    const ctl_cmd_t *k = ctl_find(noun, verb, &noun_known);
    if (k == NULL) {
        if (!noun_known) {
            ctl_err("unknown command '%s' (see: cogovctl --help)", noun);
            return CTL_EXIT_USAGE;
        }
        if (verb == NULL || strcmp(verb, "--help") == 0 ||
            strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
            ctl_help_noun(noun);
            return verb == NULL ? CTL_EXIT_USAGE : CTL_EXIT_OK;
        }
        ctl_err("unknown command '%s %s' (see: cogovctl %s --help)", noun, verb,
                noun);
        return CTL_EXIT_USAGE;
    }
    /* The command sees argv[0] = its verb (or noun). */
    int cargc = argc - i - (k->verb != NULL ? 1 : 0);
    char **cargv = argv + i + (k->verb != NULL ? 1 : 0);
    char cmd_name[64];
    snprintf(cmd_name, sizeof cmd_name, "%s%s%s", k->noun, k->verb ? " " : "",
             k->verb ? k->verb : "");
    c.cmd_name = cmd_name;
    if (ctl_wants_help(cargc, cargv)) {
        ctl_help_cmd(k);
        return CTL_EXIT_OK;
    }

    if (conf == NULL)
        conf = getenv("COGOV_CTL_CONF");
    bool explicit_path = !str_empty(conf);
    c.conf_path = explicit_path ? conf : CTL_DEFAULT_CONF;
    ctl_load_conf(&c, explicit_path);
    /* A missing config is reported when a daemon is needed, after the
     * command's own arguments were checked (keys need none). */
    c.timeout_ms = (int)c.conf.timeout_ms;
    if (timeout != NULL) {
        uint64_t v;
        if (ctl_parse_u64(&c, "--timeout", timeout, 3600000, &v) != 0)
            return CTL_EXIT_USAGE;
        if (v == 0)
            return ctl_usage(&c, "--timeout must be at least 1 ms");
        c.timeout_ms = (int)v;
    }
    ctl_make_corr(&c);

    rc = k->fn(&c, cargc, cargv);

    for (int s = 0; s < SVC_COUNT; s++)
        client_destroy(&c.clients[s]);
    if (c.zctx != NULL)
        zmq_ctx_term(c.zctx);
    return rc;

usage_missing:
    ctl_err("option '%s' needs a value (see: cogovctl --help)", argv[i - 1]);
    return CTL_EXIT_USAGE;
}
