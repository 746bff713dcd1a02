/* cogov-bench: the benchmark (issue 4, DESIGN 2.3). One command starts the
 * real daemons (coordination, secretariat and two cogov-bench-consumer
 * instances posing as incentives and supervision) in a short temp directory,
 * CURVE on, and measures
 *   (a) end-to-end events/s: commands accepted by coordination (a pipelining
 *       load client) until every consumer's cursors reach the heads;
 *   (b) p50/p99/p99.9 latency from the producer's commit (Event.recorded_at)
 *       to each consumer's commit, at a steady offered rate;
 *   (c) RSS of each daemon after (b);
 *   (d) CPU while idle over a 3 s window, and the ready time of each daemon;
 *   (e) optionally (--replay N) how long a fresh consumer takes to replay N
 *       coordination events;
 *   (f) first, the disk alone: fdatasync of two WAL-sized frames at
 *       1,000/s, the floor under every latency of (b);
 * then runs the reference pipeline (reference.c: raw ZeroMQ + SQLite, no
 * cogov runtime) under the same load and prints both side by side with
 * cogov/reference ratios, as a table and as JSON. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "util.h"
#include "validate.h"
#include "cogov/v1/envelope.pb-c.h"

/* reference.c */
int ref_write_keys(const char *dir, char server_pub[41], char client_pub[41],
                   char client_sec[41]);
int ref_producer_main(const char *dir);
int ref_consumer_main(const char *dir, int idx);

#define N_REF_CONSUMERS 3
#define SYNC_POLL_US 5000
#define IDLE_WINDOW_S 3

/* ---- options ------------------------------------------------------------- */

typedef struct opts {
    long n;
    long rate;
    long seconds;
    long replay;
    long window;
    const char *json;
    const char *log_level;
    bool keep;
    bool skip_ref;
    bool skip_cogov;
} opts_t;

/* ---- small helpers ------------------------------------------------------- */

static int64_t
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
sleep_us(int64_t us)
{
    struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void
sleep_until_us(int64_t deadline)
{
    struct timespec ts = {deadline / 1000000,
                          (long)(deadline % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -errno;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -EIO;
}

/* ---- processes ----------------------------------------------------------- */

typedef struct proc {
    char name[32];
    char bin[PATH_MAX];
    char arg1[64], arg2[PATH_MAX], arg3[16]; /* argv after bin */
    char as[32];                             /* COGOV_BENCH_AS or "" */
    char log[160];
    char ipc_path[160]; /* the socket file, "" if it binds none */
    char endpoint[170];
    char pub[KEY_Z85_LEN + 1];
    char store[160];
    pid_t pid;
    int64_t spawn_us;
    double ready_ms; /* < 0: not measured */
    long rss_kib, hwm_kib;
    double idle_cpu_pct;
    double busy_cpu_s;  /* CPU seconds during (a) */
    double busy_sys_s;  /* of which in the kernel (stime) */
    long long busy_csw; /* context switches of all its threads in (a) */
    int exit_code;
    void *st_sock; /* DEALER for GetStatus */
    uint64_t st_no;
} proc_t;

static proc_t *g_procs[16];
static size_t g_nprocs;

static void
kill_leftovers(void)
{
    for (size_t i = 0; i < g_nprocs; i++)
        if (g_procs[i]->pid > 0) {
            kill(g_procs[i]->pid, SIGKILL);
            waitpid(g_procs[i]->pid, NULL, 0);
            g_procs[i]->pid = 0;
        }
}

static int
proc_spawn(proc_t *p)
{
    if (g_nprocs < sizeof(g_procs) / sizeof(g_procs[0])) {
        bool known = false;
        for (size_t i = 0; i < g_nprocs; i++)
            known = known || g_procs[i] == p;
        if (!known)
            g_procs[g_nprocs++] = p;
    }
    p->spawn_us = mono_us();
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        if (p->as[0] != 0)
            setenv("COGOV_BENCH_AS", p->as, 1);
        execl(p->bin, p->bin, p->arg1, p->arg2,
              p->arg3[0] ? p->arg3 : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    p->pid = pid;
    p->exit_code = -1;
    return 0;
}

/* SIGTERM and wait (bounded); the exit code, -1 on a timeout or a signal. */
static int
proc_stop(proc_t *p)
{
    if (p->st_sock != NULL) {
        zmq_close(p->st_sock);
        p->st_sock = NULL;
    }
    if (p->pid <= 0)
        return p->exit_code;
    kill(p->pid, SIGTERM);
    int64_t deadline = mono_us() + 20 * 1000000LL;
    int st = 0;
    while (mono_us() < deadline) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            p->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            return p->exit_code;
        }
        sleep_us(5000);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
    p->exit_code = -1;
    return -1;
}

static void
proc_rss(proc_t *p)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
    FILE *f = fopen(path, "r");
    p->rss_kib = p->hwm_kib = -1;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            p->rss_kib = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            p->hwm_kib = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

/* utime + stime in clock ticks, -1 if unreadable; stime alone in *sys
 * when sys is not NULL. */
static long long
cpu_ticks2(pid_t pid, long long *sys)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *s = strrchr(buf, ')'); /* comm may hold spaces */
    if (s == NULL)
        return -1;
    s += 2; /* field 3, the state: one character */
    while (*s != 0 && *s != ' ')
        s++;
    long long ut = 0, st = 0;
    for (int field = 4; field <= 15 && *s; field++) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (field == 14)
            ut = v;
        if (field == 15)
            st = v;
        s = end;
        while (*s == ' ')
            s++;
    }
    if (sys != NULL)
        *sys = st;
    return ut + st;
}

/* Voluntary + involuntary context switches of every thread of pid. */
static long long
ctx_switches(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    long long sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sp[300], line[256];
        snprintf(sp, sizeof(sp), "%s/%s/status", path, e->d_name);
        FILE *f = fopen(sp, "r");
        if (f == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            const char *v = strstr(line, "ctxt_switches:");
            if (v != NULL)
                sum += strtoll(v + 14, NULL, 10);
        }
        fclose(f);
    }
    closedir(d);
    return sum;
}

static long long
cpu_ticks(pid_t pid)
{
    return cpu_ticks2(pid, NULL);
}

/* ---- request/reply on a DEALER ------------------------------------------ */

static int
send_req(void *sock, Cogov__V1__Request *req)
{
    uint8_t stack[1024];
    size_t len = cogov__v1__request__get_packed_size(req);
    uint8_t *b = len <= sizeof(stack) ? stack : xmalloc(len);
    cogov__v1__request__pack(req, b);
    int rc = zmq_send(sock, b, len, ZMQ_DONTWAIT) < 0 ? -errno : 0;
    if (rc == -EAGAIN) {
        /* At the high-water mark: wait (bounded) rather than drop. */
        int ms = 5000;
        zmq_setsockopt(sock, ZMQ_SNDTIMEO, &ms, sizeof(ms));
        rc = zmq_send(sock, b, len, 0) < 0 ? -errno : 0;
    }
    if (b != stack)
        free(b);
    return rc;
}

/* Wait (bounded) for the reply carrying request_id; others are dropped. */
static Cogov__V1__Reply *
recv_reply_for(void *sock, const char *request_id, int timeout_ms)
{
    int64_t deadline = mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int64_t left = (deadline - mono_us()) / 1000;
        if (left < 0)
            return NULL;
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)left) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        Cogov__V1__Reply *rep =
            cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (rep != NULL && rep->request_id != NULL &&
            strcmp(rep->request_id, request_id) == 0)
            return rep;
        if (rep != NULL)
            cogov__v1__reply__free_unpacked(rep, NULL);
    }
}

typedef struct bench {
    opts_t o;
    char dir[64];
    char keys_dir[96];
    char allow[96];
    void *zctx;
    keypair_t op;     /* cogov's operator key */
    keypair_t ref_cl; /* the reference's client key */
    char ref_pub[KEY_Z85_LEN + 1];
    char self[PATH_MAX];
    char bindir[PATH_MAX];
    proc_t co, se, in, su, rep;
    proc_t rp, rc[N_REF_CONSUMERS];
    bool ref_phase; /* status calls use the reference's client key */
    /* (f) the disk's own fdatasync latency, microseconds (n 0: not run) */
    size_t disk_n;
    double disk_p50, disk_p99, disk_p999;
} bench_t;

static Cogov__V1__Reply *
status_call(bench_t *b, proc_t *p, int timeout_ms)
{
    char err[256], id[32];
    if (p->st_sock == NULL) {
        const keypair_t *kp = b->ref_phase ? &b->ref_cl : &b->op;
        p->st_sock =
            sock_client(b->zctx, p->endpoint, kp, p->pub, 0, err, sizeof(err));
        if (p->st_sock == NULL) {
            fprintf(stderr, "cogov-bench: %s: %s\n", p->name, err);
            return NULL;
        }
    }
    Cogov__V1__GetStatus gs = COGOV__V1__GET_STATUS__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    snprintf(id, sizeof(id), "st-%" PRIu64, ++p->st_no);
    req.request_id = id;
    /* Set, as cogovctl does (svc.c before de6932b crashed without one). */
    req.correlation_id = id;
    req.body_case = COGOV__V1__REQUEST__BODY_GET_STATUS;
    req.get_status = &gs;
    send_req(p->st_sock, &req);
    Cogov__V1__Reply *rep = recv_reply_for(p->st_sock, id, timeout_ms);
    if (rep != NULL && (rep->code != COGOV__V1__STATUS_CODE__STATUS_OK ||
                        rep->body_case != COGOV__V1__REPLY__BODY_STATUS)) {
        cogov__v1__reply__free_unpacked(rep, NULL);
        rep = NULL;
    }
    return rep;
}

/* Spawn and wait (bounded) for the first GetStatus answer: ready time. */
static int
start_and_wait(bench_t *b, proc_t *p)
{
    if (proc_spawn(p) != 0)
        return -1;
    int64_t deadline = p->spawn_us + 20 * 1000000LL;
    struct stat st;
    while (mono_us() < deadline) {
        int ws;
        if (waitpid(p->pid, &ws, WNOHANG) == p->pid) {
            p->pid = 0;
            fprintf(stderr, "cogov-bench: %s exited at start; see %s\n",
                    p->name, p->log);
            return -1;
        }
        if (stat(p->ipc_path, &st) != 0) {
            sleep_us(500);
            continue;
        }
        Cogov__V1__Reply *rep = status_call(b, p, 500);
        if (rep != NULL) {
            p->ready_ms = (double)(mono_us() - p->spawn_us) / 1000.0;
            cogov__v1__reply__free_unpacked(rep, NULL);
            return 0;
        }
    }
    fprintf(stderr, "cogov-bench: %s did not answer in 20 s; see %s\n", p->name,
            p->log);
    return -1;
}

/* ---- the load client ----------------------------------------------------- */

typedef struct load {
    void *sock;
    uint64_t next_k; /* next command number (apply: even, decide: odd) */
    bool found_sent;
    /* one run */
    uint64_t k0, count, sent, acked, failed, send_failed;
    int64_t *send_us;
    int64_t *ack_us; /* latency of each acked command */
    size_t n_ack;
    char first_err[256];
    uint64_t max_head;
} load_t;

static void
command_for(uint64_t k, Cogov__V1__Request *req, Cogov__V1__ApplyMember *am,
            Cogov__V1__DecideMember *dm, char *id, char *corr, char *uscc,
            char *name)
{
    unsigned m = (unsigned)(k / 2);
    uscc_make(m, uscc);
    sprintf(id, "b%" PRIu64, k);
    sprintf(corr, "bench-%" PRIu64, k);
    req->request_id = id;
    req->correlation_id = corr;
    if (k % 2 == 0) {
        sprintf(name, "Bench Unit %u", m);
        am->uscc = uscc;
        am->name = name;
        am->has_type = 1;
        am->type = COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE;
        req->body_case = COGOV__V1__REQUEST__BODY_APPLY_MEMBER;
        req->apply_member = am;
    } else {
        dm->member_id = uscc;
        dm->has_decision = 1;
        dm->decision = COGOV__V1__MEMBER_DECISION__MEMBER_DECISION_ADMIT;
        req->body_case = COGOV__V1__REQUEST__BODY_DECIDE_MEMBER;
        req->decide_member = dm;
    }
}

static void
load_send(load_t *L, uint64_t k)
{
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    Cogov__V1__ApplyMember am = COGOV__V1__APPLY_MEMBER__INIT;
    Cogov__V1__DecideMember dm = COGOV__V1__DECIDE_MEMBER__INIT;
    char id[32], corr[40], uscc[19], name[48];
    command_for(k, &req, &am, &dm, id, corr, uscc, name);
    L->send_us[k - L->k0] = mono_us();
    int rc = send_req(L->sock, &req);
    if (rc != 0 && L->send_failed++ == 0)
        fprintf(stderr, "cogov-bench: send %s: %s\n", id, strerror(-rc));
    L->sent++;
}

static void
load_drain(load_t *L)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, L->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        int64_t now = mono_us();
        Cogov__V1__Reply *rep =
            cogov__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (rep == NULL)
            continue;
        uint64_t k;
        if (rep->request_id != NULL &&
            sscanf(rep->request_id, "b%" SCNu64, &k) == 1 && k >= L->k0 &&
            k < L->k0 + L->count && L->send_us[k - L->k0] > 0) {
            L->acked++;
            L->ack_us[L->n_ack++] = now - L->send_us[k - L->k0];
            L->send_us[k - L->k0] = -1;
            if (rep->code != COGOV__V1__STATUS_CODE__STATUS_OK) {
                if (L->failed++ == 0)
                    snprintf(L->first_err, sizeof(L->first_err),
                             "%s: code %d: %s", rep->request_id, rep->code,
                             rep->error ? rep->error : "");
            }
            for (size_t i = 0; i < rep->n_heads; i++)
                if (rep->heads[i]->seq > L->max_head)
                    L->max_head = rep->heads[i]->seq;
        }
        cogov__v1__reply__free_unpacked(rep, NULL);
    }
}

/* Take replies as they come until the monotonic time `due` (us): ZMQ_FD
 * is edge-triggered, so drain and re-read ZMQ_EVENTS before each ppoll,
 * which sleeps with nanosecond resolution (zmq_poll has only ms). */
static void
load_wait_until(load_t *L, int64_t due)
{
    int fd = -1;
    size_t fdlen = sizeof(fd);
    if (zmq_getsockopt(L->sock, ZMQ_FD, &fd, &fdlen) != 0) {
        sleep_until_us(due);
        return;
    }
    for (;;) {
        load_drain(L);
        int ev = 0;
        size_t evlen = sizeof(ev);
        zmq_getsockopt(L->sock, ZMQ_EVENTS, &ev, &evlen);
        if (ev & ZMQ_POLLIN)
            continue;
        int64_t left = due - mono_us();
        if (left <= 200) {
            sleep_until_us(due); /* the last stretch: absolute deadline */
            return;
        }
        left -= 100;
        struct pollfd pfd = {fd, POLLIN, 0};
        struct timespec ts = {left / 1000000, (long)(left % 1000000) * 1000};
        ppoll(&pfd, 1, &ts, NULL);
    }
}

/* Send `count` commands, either as fast as a window of `window`
 * outstanding requests allows (rate 0) or paced at `rate` per second to
 * absolute deadlines. Returns 0 when every command was answered in time. */
static int
load_run(load_t *L, uint64_t count, long rate, long window, int64_t timeout_us)
{
    L->k0 = L->next_k;
    L->count = count;
    L->sent = L->acked = L->failed = 0;
    L->n_ack = 0;
    L->first_err[0] = 0;
    free(L->send_us);
    free(L->ack_us);
    L->send_us = xcalloc(count + 1, sizeof(int64_t));
    L->ack_us = xcalloc(count + 1, sizeof(int64_t));
    int64_t start = mono_us(), deadline = start + timeout_us;
    double period_us = rate > 0 ? 1e6 / (double)rate : 0;
    while (L->acked < count && mono_us() < deadline) {
        if (rate > 0) {
            if (L->sent < count) {
                int64_t due = start + (int64_t)(period_us * (double)L->sent);
                load_wait_until(L, due);
                load_send(L, L->k0 + L->sent);
                load_drain(L);
                continue;
            }
        } else if (L->sent < count && L->sent - L->acked < (uint64_t)window) {
            while (L->sent < count && L->sent - L->acked < (uint64_t)window)
                load_send(L, L->k0 + L->sent);
            load_drain(L);
            continue;
        }
        zmq_pollitem_t it = {L->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) > 0)
            load_drain(L);
    }
    L->next_k = L->k0 + L->sent;
    if (L->next_k % 2 != 0)
        L->next_k++; /* an apply never lacks its decide in the next run */
    if (L->acked < count) {
        fprintf(stderr,
                "cogov-bench: only %" PRIu64 " of %" PRIu64
                " commands answered in time\n",
                L->acked, count);
        return -1;
    }
    if (L->failed > 0)
        fprintf(stderr, "cogov-bench: %" PRIu64 " commands failed; first: %s\n",
                L->failed, L->first_err);
    return 0;
}

/* found_consortium (cogov) once, before any member. */
static int
load_found(load_t *L)
{
    Cogov__V1__FoundConsortium f = COGOV__V1__FOUND_CONSORTIUM__INIT;
    Cogov__V1__Request req = COGOV__V1__REQUEST__INIT;
    char *basis[] = {"教育部等四部门关于市域产教联合体建设的通知"};
    f.name = "滨江市智能制造市域产教联合体 (bench)";
    f.city = "滨江市";
    f.park = "滨江高新区";
    f.lead_department = "滨江市教育局";
    f.founded_on = "2025-01-01";
    f.n_policy_basis = 1;
    f.policy_basis = basis;
    req.request_id = "found-1";
    req.correlation_id = "bench-found-1";
    req.body_case = COGOV__V1__REQUEST__BODY_FOUND_CONSORTIUM;
    req.found_consortium = &f;
    send_req(L->sock, &req);
    Cogov__V1__Reply *rep = recv_reply_for(L->sock, "found-1", 10000);
    int rc =
        rep != NULL && rep->code == COGOV__V1__STATUS_CODE__STATUS_OK ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "cogov-bench: found_consortium failed: %s\n",
                rep && rep->error ? rep->error : "no answer");
    if (rep != NULL)
        cogov__v1__reply__free_unpacked(rep, NULL);
    return rc;
}

/* ---- statistics ---------------------------------------------------------- */

typedef struct pct {
    size_t n;
    double p50, p99, p999, max; /* microseconds */
} pct_t;

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double
nearest_rank(const int64_t *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t r = (size_t)ceil(q * (double)n);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return (double)v[r - 1];
}

static pct_t
percentiles(int64_t *v, size_t n)
{
    pct_t p = {n, NAN, NAN, NAN, NAN};
    if (n == 0)
        return p;
    qsort(v, n, sizeof(*v), cmp_i64);
    p.p50 = nearest_rank(v, n, 0.50);
    p.p99 = nearest_rank(v, n, 0.99);
    p.p999 = nearest_rank(v, n, 0.999);
    p.max = (double)v[n - 1];
    return p;
}

typedef struct samples {
    int64_t *v;
    size_t n, cap;
} samples_t;

static void
samples_add(samples_t *s, int64_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = x;
}

static sqlite3 *
db_ro(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cogov-bench: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* applied_us - recorded_at_us of a consumer's rows for producer's seqs in
 * (lo, hi]; appended to out and to all. */
static int
consumer_latency(const char *path, const char *producer, uint64_t lo,
                 uint64_t hi, samples_t *out, samples_t *all)
{
    sqlite3 *db = db_ro(path);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (db == NULL)
        return -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT applied_us - recorded_at_us FROM applied "
                           "WHERE producer = ?1 AND seq > ?2 AND seq <= ?3",
                           -1, &st, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_text(st, 1, producer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)lo);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)hi);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        samples_add(out, v);
        if (all != NULL)
            samples_add(all, v);
    }
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "cogov-bench: %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* The secretariat's notices (recorded_at) minus the recorded_at of the
 * coordination event that caused them (causation_id "coordination:<seq>"),
 * for causing seqs in (lo, hi]. */
static int
secretariat_latency(const char *co_path, const char *se_path, uint64_t lo,
                    uint64_t hi, samples_t *out, samples_t *all)
{
    int rc = -1;
    int64_t *rec = xcalloc(hi - lo + 1, sizeof(int64_t));
    sqlite3 *co = db_ro(co_path), *se = db_ro(se_path);
    sqlite3_stmt *st = NULL;
    if (co == NULL || se == NULL)
        goto done;
    if (sqlite3_prepare_v2(co,
                           "SELECT seq, recorded_at FROM outbox WHERE seq > ?1 "
                           "AND seq <= ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)lo);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)hi);
    while (sqlite3_step(st) == SQLITE_ROW)
        rec[sqlite3_column_int64(st, 0) - (sqlite3_int64)lo] =
            sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(se,
                           "SELECT causation_id, recorded_at FROM outbox "
                           "WHERE causation_id LIKE 'coordination:%'",
                           -1, &st, NULL) != SQLITE_OK)
        goto done;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        uint64_t seq;
        if (c == NULL || sscanf(c, "coordination:%" SCNu64, &seq) != 1 ||
            seq <= lo || seq > hi || rec[seq - lo] == 0)
            continue;
        int64_t v = sqlite3_column_int64(st, 1) - rec[seq - lo];
        samples_add(out, v);
        samples_add(all, v);
    }
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "cogov-bench: reading latency of the secretariat "
                        "failed\n");
    sqlite3_finalize(st);
    sqlite3_close(co);
    sqlite3_close(se);
    free(rec);
    return rc;
}

/* ---- (f) the disk itself ------------------------------------------------- */

#define PROBE_FRAME 4120  /* a WAL frame: 24-byte header, 4096-byte page */
#define PROBE_SLOTS 1024  /* frames in the reused file (4 MiB) */
#define PROBE_ROUNDS 1000 /* syncs, paced at 1,000/s like phase (b) */

/* What every pipeline's latency rests on: append two WAL frames (the
 * reference producer's commit; cogov's single-command commit writes five)
 * to a file reused in place, as SQLite reuses its -wal after a checkpoint,
 * and fdatasync it, 1,000 times a second on an idle machine. The same
 * frames cost the same here whether two or six are written (measured: p50
 * 193 -> 215 us), so this is the disk's floor for both pipelines. */
static int
disk_probe(bench_t *b)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/disk-probe", b->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    int64_t *lat = xcalloc(PROBE_ROUNDS, sizeof(*lat));
    static uint8_t frame[PROBE_FRAME];
    memset(frame, 0x5a, sizeof(frame));
    if (fd < 0)
        goto done;
    for (off_t k = 0; k < PROBE_SLOTS; k++)
        if (pwrite(fd, frame, PROBE_FRAME, k * PROBE_FRAME) != PROBE_FRAME)
            goto done;
    if (fdatasync(fd) != 0)
        goto done;
    off_t off = 0;
    int64_t next = mono_us();
    for (int r = 0; r < PROBE_ROUNDS; r++) {
        for (int f = 0; f < 2; f++) { /* header, then page, as SQLite */
            if (pwrite(fd, frame, 24, off) != 24 ||
                pwrite(fd, frame + 24, PROBE_FRAME - 24, off + 24) !=
                    PROBE_FRAME - 24)
                goto done;
            off = off + PROBE_FRAME < (off_t)PROBE_SLOTS * PROBE_FRAME
                      ? off + PROBE_FRAME
                      : 0;
        }
        int64_t t0 = mono_us();
        if (fdatasync(fd) != 0)
            goto done;
        lat[r] = mono_us() - t0;
        next += 1000;
        sleep_until_us(next);
    }
    pct_t p = percentiles(lat, PROBE_ROUNDS);
    b->disk_n = p.n;
    b->disk_p50 = p.p50;
    b->disk_p99 = p.p99;
    b->disk_p999 = p.p999;
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "cogov-bench: disk probe: %s\n", strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(path);
    free(lat);
    return rc;
}

/* ---- results ------------------------------------------------------------- */

#define MAX_CONS 3

typedef struct result {
    bool ran;
    uint64_t commands;
    double accept_s, e2e_s;
    double accept_per_s, events_per_s;
    pct_t ack;           /* request -> reply at the offered rate */
    pct_t lat[MAX_CONS]; /* per consumer */
    pct_t lat_all;
    const char *cons_name[MAX_CONS];
    double offered_rate; /* achieved offered rate in (b) */
    uint64_t lat_commands;
    proc_t *procs[8];
    size_t n_procs;
    double replay_s; /* < 0: not run */
    uint64_t replay_events;
    double client_cpu_s; /* the load client during (a) */
    bool clean_exit;
} result_t;

/* ---- the cogov pipeline -------------------------------------------------- */

static void
proc_setup(bench_t *b, proc_t *p, const char *name, const char *bin,
           const char *sock, const char *as)
{
    memset(p, 0, sizeof(*p));
    str_copy(p->name, sizeof(p->name), name);
    str_copy(p->bin, sizeof(p->bin), bin);
    str_copy(p->as, sizeof(p->as), as ? as : "");
    snprintf(p->log, sizeof(p->log), "%s/%s.log", b->dir, name);
    snprintf(p->store, sizeof(p->store), "%s/%s.db", b->dir, name);
    snprintf(p->ipc_path, sizeof(p->ipc_path), "%s/%s", b->dir, sock);
    snprintf(p->endpoint, sizeof(p->endpoint), "ipc://%s", p->ipc_path);
    p->ready_ms = -1;
    p->idle_cpu_pct = -1;
    p->busy_cpu_s = -1;
    p->busy_sys_s = -1;
    p->rss_kib = p->hwm_kib = -1;
    p->exit_code = -1;
}

static int
write_conf(bench_t *b, proc_t *p, const char *store, const char *extra)
{
    char text[4096], path[200];
    snprintf(path, sizeof(path), "%s/%s.conf", b->dir, p->name);
    snprintf(text, sizeof(text),
             "# cogov-bench\nstore = %s\nkeys_dir = %s\nallow_list = %s\n"
             "log_level = %s\n"
             "coordination_endpoint = %s\nsecretariat_endpoint = %s\n"
             "incentives_endpoint = %s\nsupervision_endpoint = %s\n"
             "metrics_file = %s/%s.prom\n%s",
             store, b->keys_dir, b->allow, b->o.log_level, b->co.endpoint,
             b->se.endpoint, b->in.endpoint, b->su.endpoint, b->dir, p->name,
             extra);
    str_copy(p->arg1, sizeof(p->arg1), "-c");
    str_copy(p->arg2, sizeof(p->arg2), path);
    return write_file(path, text);
}

static const char *
find_bin(bench_t *b, const char *env, const char *rel, char *out, size_t n)
{
    const char *e = getenv(env);
    if (e != NULL)
        snprintf(out, n, "%s", e);
    else
        snprintf(out, n, "%s/%s", b->bindir, rel);
    if (access(out, X_OK) != 0) {
        fprintf(stderr, "cogov-bench: %s not found (build it, or set %s)\n",
                out, env);
        return NULL;
    }
    return out;
}

static uint64_t
cursor_of(const Cogov__V1__ServiceStatus *st, const char *producer)
{
    for (size_t i = 0; i < st->n_cursors; i++)
        if (strcmp(st->cursors[i]->producer, producer) == 0)
            return st->cursors[i]->applied_seq;
    return 0;
}

/* Wait (bounded) until the secretariat has applied coordination up to its
 * head and both bench consumers have applied coordination and the
 * secretariat up to theirs. Returns the monotonic time it was seen, or
 * -1. */
static int64_t
cogov_wait_synced(bench_t *b, int64_t timeout_us)
{
    int64_t deadline = mono_us() + timeout_us;
    while (mono_us() < deadline) {
        Cogov__V1__Reply *co = status_call(b, &b->co, 2000);
        Cogov__V1__Reply *se = co ? status_call(b, &b->se, 2000) : NULL;
        bool done = false;
        if (co != NULL && se != NULL) {
            uint64_t h_co = co->status->head_seq, h_se = se->status->head_seq;
            done = cursor_of(se->status, "coordination") == h_co;
            proc_t *cons[2] = {&b->in, &b->su};
            for (int i = 0; i < 2 && done; i++) {
                Cogov__V1__Reply *c = status_call(b, cons[i], 2000);
                done = c != NULL &&
                       cursor_of(c->status, "coordination") == h_co &&
                       cursor_of(c->status, "secretariat") == h_se;
                if (c != NULL)
                    cogov__v1__reply__free_unpacked(c, NULL);
            }
        }
        if (co != NULL)
            cogov__v1__reply__free_unpacked(co, NULL);
        if (se != NULL)
            cogov__v1__reply__free_unpacked(se, NULL);
        if (done)
            return mono_us();
        sleep_us(SYNC_POLL_US);
    }
    fprintf(stderr, "cogov-bench: consumers did not catch up in time\n");
    return -1;
}

static uint64_t
head_of(bench_t *b, proc_t *p)
{
    Cogov__V1__Reply *r = status_call(b, p, 5000);
    uint64_t h = r ? r->status->head_seq : 0;
    if (r != NULL)
        cogov__v1__reply__free_unpacked(r, NULL);
    return h;
}

static void
measure_idle(proc_t **ps, size_t n)
{
    long long t0[16], t1[16];
    long hz = sysconf(_SC_CLK_TCK);
    sleep_us(500000); /* let replies, long-polls and checkpoints settle */
    for (size_t i = 0; i < n; i++)
        t0[i] = cpu_ticks(ps[i]->pid);
    int64_t w0 = mono_us();
    sleep_us(IDLE_WINDOW_S * 1000000LL);
    double secs = (double)(mono_us() - w0) / 1e6;
    for (size_t i = 0; i < n; i++) {
        t1[i] = cpu_ticks(ps[i]->pid);
        ps[i]->idle_cpu_pct =
            t0[i] < 0 || t1[i] < 0
                ? -1
                : 100.0 * (double)(t1[i] - t0[i]) / (double)hz / secs;
    }
}

/* CPU ticks of each process (and the bench's own, at out[n]); stime in
 * sys[i]. */
static void
ticks_snapshot(proc_t **ps, size_t n, long long *out, long long *sys)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = cpu_ticks2(ps[i]->pid, &sys[i]);
        long long c = ctx_switches(ps[i]->pid);
        ps[i]->busy_csw =
            ps[i]->busy_csw < 0 || c < 0 ? -1 : c - ps[i]->busy_csw;
    }
    out[n] = cpu_ticks2(getpid(), &sys[n]);
}

static int
run_cogov(bench_t *b, result_t *r)
{
    char bin[4][PATH_MAX], err[256];
    int created = 0, rc = -1;
    load_t L;
    memset(&L, 0, sizeof(L));
    r->replay_s = -1;
    snprintf(b->keys_dir, sizeof(b->keys_dir), "%s/keys", b->dir);
    snprintf(b->allow, sizeof(b->allow), "%s/allow.list", b->dir);
    if (!find_bin(b, "COGOV_COORDINATION",
                  "../services/coordination/cogov-coordination", bin[0],
                  sizeof(bin[0])) ||
        !find_bin(b, "COGOV_SECRETARIAT",
                  "../services/secretariat/cogov-secretariat", bin[1],
                  sizeof(bin[1])) ||
        !find_bin(b, "COGOV_BENCH_CONSUMER", "cogov-bench-consumer", bin[2],
                  sizeof(bin[2])))
        return -1;
    if (keys_bootstrap(b->keys_dir, b->allow, &created, err, sizeof(err)) !=
            0 ||
        keys_load(b->keys_dir, "operator", &b->op) != 0) {
        fprintf(stderr, "cogov-bench: keys: %s\n", err);
        return -1;
    }
    proc_setup(b, &b->co, "coordination", bin[0], "co.sock", NULL);
    proc_setup(b, &b->se, "secretariat", bin[1], "se.sock", NULL);
    proc_setup(b, &b->in, "incentives", bin[2], "in.sock", "incentives");
    proc_setup(b, &b->su, "supervision", bin[2], "su.sock", "supervision");
    proc_t *all[4] = {&b->co, &b->se, &b->in, &b->su};
    for (int i = 0; i < 4; i++) {
        if (keys_load_public(b->keys_dir, all[i]->name, all[i]->pub) != 0)
            return -1;
        if (write_conf(b, all[i], all[i]->store,
                       i == 0 ? "calendar_mode = manual\n"
                                "calendar_start = 2025-01-01\n"
                              : "") != 0)
            return -1;
    }
    /* One at a time, so each ready time is its own. */
    for (int i = 0; i < 4; i++)
        if (start_and_wait(b, all[i]) != 0)
            goto done;
    for (int i = 0; i < 4; i++)
        r->procs[r->n_procs++] = all[i];
    r->cons_name[0] = "secretariat";
    r->cons_name[1] = "incentives";
    r->cons_name[2] = "supervision";

    L.sock = sock_client(b->zctx, b->co.endpoint, &b->op, b->co.pub, 0, err,
                         sizeof(err));
    if (L.sock == NULL || load_found(&L) != 0)
        goto done;
    if (cogov_wait_synced(b, 20 * 1000000LL) < 0)
        goto done;

    /* (a) throughput */
    long long t0[5], t1[5], s0[5], s1[5];
    ticks_snapshot(all, 4, t0, s0);
    int64_t start = mono_us();
    if (load_run(&L, (uint64_t)b->o.n, 0, b->o.window,
                 (int64_t)(120 + b->o.n / 500) * 1000000LL) != 0)
        goto done;
    int64_t accepted = mono_us();
    int64_t synced =
        cogov_wait_synced(b, (int64_t)(60 + b->o.n / 500) * 1000000LL);
    if (synced < 0)
        goto done;
    ticks_snapshot(all, 4, t1, s1);
    long hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < 4; i++) {
        all[i]->busy_cpu_s = (double)(t1[i] - t0[i]) / (double)hz;
        all[i]->busy_sys_s = (double)(s1[i] - s0[i]) / (double)hz;
    }
    r->client_cpu_s = (double)(t1[4] - t0[4]) / (double)hz;
    r->commands = (uint64_t)b->o.n;
    r->accept_s = (double)(accepted - start) / 1e6;
    r->e2e_s = (double)(synced - start) / 1e6;
    r->accept_per_s = (double)r->commands / r->accept_s;
    r->events_per_s = (double)r->commands / r->e2e_s;
    fprintf(stderr,
            "cogov: (a) %" PRIu64 " commands accepted in %.2f s, "
            "all consumers done in %.2f s\n",
            r->commands, r->accept_s, r->e2e_s);

    /* (b) latency at the offered rate */
    uint64_t lo = head_of(b, &b->co);
    uint64_t count = (uint64_t)(b->o.rate * b->o.seconds);
    int64_t b0 = mono_us();
    if (load_run(&L, count, b->o.rate, 1 << 20,
                 (int64_t)(b->o.seconds + 60) * 1000000LL) != 0)
        goto done;
    r->offered_rate = (double)count / ((double)(mono_us() - b0) / 1e6);
    r->ack = percentiles(L.ack_us, L.n_ack);
    if (cogov_wait_synced(b, 60 * 1000000LL) < 0)
        goto done;
    uint64_t hi = head_of(b, &b->co);
    r->lat_commands = count;
    fprintf(stderr, "cogov: (b) %" PRIu64 " commands at %.0f/s\n", count,
            r->offered_rate);

    /* (c) RSS, (d) idle CPU */
    for (int i = 0; i < 4; i++)
        proc_rss(all[i]);
    measure_idle(all, 4);

    /* (e) replay */
    if (b->o.replay > 0) {
        for (int i = 1; i < 4; i++)
            proc_stop(all[i]);
        uint64_t h = head_of(b, &b->co);
        if (h < (uint64_t)b->o.replay) {
            uint64_t more = (uint64_t)b->o.replay - h;
            more += more % 2;
            fprintf(stderr, "cogov: (e) generating %" PRIu64 " events\n", more);
            if (load_run(&L, more, 0, b->o.window,
                         (int64_t)(300 + more / 500) * 1000000LL) != 0)
                goto done;
            h = head_of(b, &b->co);
        }
        char store[160];
        snprintf(store, sizeof(store), "%s/replay.db", b->dir);
        proc_setup(b, &b->rep, "supervision", bin[2], "su.sock", "supervision");
        str_copy(b->rep.name, sizeof(b->rep.name), "replay");
        snprintf(b->rep.log, sizeof(b->rep.log), "%s/replay.log", b->dir);
        str_copy(b->rep.pub, sizeof(b->rep.pub), b->su.pub);
        write_conf(b, &b->rep, store, "");
        unlink(b->su.ipc_path);
        /* The secretariat is stopped: follow coordination only. */
        setenv("COGOV_BENCH_FOLLOW_ONLY", "coordination", 1);
        int started = start_and_wait(b, &b->rep);
        unsetenv("COGOV_BENCH_FOLLOW_ONLY");
        if (started != 0)
            goto done;
        int64_t dl = b->rep.spawn_us + 600 * 1000000LL;
        while (mono_us() < dl) {
            Cogov__V1__Reply *s = status_call(b, &b->rep, 2000);
            bool done_ = s != NULL && cursor_of(s->status, "coordination") >= h;
            if (s != NULL)
                cogov__v1__reply__free_unpacked(s, NULL);
            if (done_) {
                r->replay_s = (double)(mono_us() - b->rep.spawn_us) / 1e6;
                r->replay_events = h;
                break;
            }
            sleep_us(10000);
        }
        proc_stop(&b->rep);
        fprintf(stderr, "cogov: (e) replay of %" PRIu64 " events: %.2f s\n", h,
                r->replay_s);
    }

    /* Stop everything, then read the stores. */
    zmq_close(L.sock);
    L.sock = NULL;
    r->clean_exit = true;
    for (int i = 3; i >= 0; i--)
        if (proc_stop(all[i]) != 0)
            r->clean_exit = false;
    samples_t s[MAX_CONS], pooled;
    memset(s, 0, sizeof(s));
    memset(&pooled, 0, sizeof(pooled));
    secretariat_latency(b->co.store, b->se.store, lo, hi, &s[0], &pooled);
    consumer_latency(b->in.store, "coordination", lo, hi, &s[1], &pooled);
    consumer_latency(b->su.store, "coordination", lo, hi, &s[2], &pooled);
    for (int i = 0; i < MAX_CONS; i++) {
        r->lat[i] = percentiles(s[i].v, s[i].n);
        free(s[i].v);
    }
    r->lat_all = percentiles(pooled.v, pooled.n);
    free(pooled.v);
    r->ran = true;
    rc = 0;
done:
    if (L.sock != NULL)
        zmq_close(L.sock);
    free(L.send_us);
    free(L.ack_us);
    if (rc != 0)
        for (int i = 3; i >= 0; i--)
            proc_stop(all[i]);
    return rc;
}

/* ---- the reference pipeline ---------------------------------------------- */

static int64_t
ref_wait_synced(bench_t *b, sqlite3 **dbs, int64_t timeout_us)
{
    int64_t deadline = mono_us() + timeout_us;
    while (mono_us() < deadline) {
        uint64_t h = head_of(b, &b->rp);
        bool done = h > 0;
        for (int i = 0; i < N_REF_CONSUMERS && done; i++) {
            if (dbs[i] == NULL) {
                char path[200];
                snprintf(path, sizeof(path), "%s/ref-c%d.db", b->dir, i);
                if (access(path, R_OK) != 0 || (dbs[i] = db_ro(path)) == NULL) {
                    done = false;
                    break;
                }
            }
            sqlite3_stmt *st = NULL;
            uint64_t seq = 0;
            if (sqlite3_prepare_v2(dbs[i],
                                   "SELECT applied_seq FROM cursor WHERE "
                                   "producer = 'reference'",
                                   -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
                seq = (uint64_t)sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            done = seq == h;
        }
        if (done)
            return mono_us();
        sleep_us(SYNC_POLL_US);
    }
    fprintf(stderr, "cogov-bench: reference consumers did not catch up\n");
    return -1;
}

static int
run_reference(bench_t *b, result_t *r)
{
    char cpub[41], csec[41], err[256];
    int rc = -1;
    load_t L;
    sqlite3 *dbs[N_REF_CONSUMERS] = {NULL};
    memset(&L, 0, sizeof(L));
    r->replay_s = -1;
    b->ref_phase = true;
    if (ref_write_keys(b->dir, b->ref_pub, cpub, csec) != 0) {
        fprintf(stderr, "cogov-bench: zmq_curve_keypair failed\n");
        return -1;
    }
    str_copy(b->ref_cl.pub, sizeof(b->ref_cl.pub), cpub);
    str_copy(b->ref_cl.sec, sizeof(b->ref_cl.sec), csec);
    proc_setup(b, &b->rp, "ref-producer", b->self, "rp.sock", NULL);
    str_copy(b->rp.pub, sizeof(b->rp.pub), b->ref_pub);
    str_copy(b->rp.arg1, sizeof(b->rp.arg1), "--ref-producer");
    str_copy(b->rp.arg2, sizeof(b->rp.arg2), b->dir);
    proc_t *all[1 + N_REF_CONSUMERS] = {&b->rp};
    if (start_and_wait(b, &b->rp) != 0)
        return -1;
    for (int i = 0; i < N_REF_CONSUMERS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ref-consumer-%d", i + 1);
        proc_setup(b, &b->rc[i], name, b->self, "-", NULL);
        b->rc[i].ipc_path[0] = 0;
        str_copy(b->rc[i].arg1, sizeof(b->rc[i].arg1), "--ref-consumer");
        str_copy(b->rc[i].arg2, sizeof(b->rc[i].arg2), b->dir);
        snprintf(b->rc[i].arg3, sizeof(b->rc[i].arg3), "%d", i);
        if (proc_spawn(&b->rc[i]) != 0)
            goto done;
        all[1 + i] = &b->rc[i];
        r->cons_name[i] = b->rc[i].name;
    }
    for (int i = 0; i < 1 + N_REF_CONSUMERS; i++)
        r->procs[r->n_procs++] = all[i];

    L.sock = sock_client(b->zctx, b->rp.endpoint, &b->ref_cl, b->ref_pub, 0,
                         err, sizeof(err));
    if (L.sock == NULL)
        goto done;
    /* A first event, as cogov's found_consortium, so every consumer is
     * connected and has applied something before the clock starts. */
    if (load_run(&L, 2, 0, 2, 20 * 1000000LL) != 0 ||
        ref_wait_synced(b, dbs, 20 * 1000000LL) < 0)
        goto done;

    long long t0[5], t1[5], s0[5], s1[5];
    ticks_snapshot(all, 4, t0, s0);
    int64_t start = mono_us();
    if (load_run(&L, (uint64_t)b->o.n, 0, b->o.window,
                 (int64_t)(120 + b->o.n / 500) * 1000000LL) != 0)
        goto done;
    int64_t accepted = mono_us();
    int64_t synced =
        ref_wait_synced(b, dbs, (int64_t)(60 + b->o.n / 500) * 1000000LL);
    if (synced < 0)
        goto done;
    ticks_snapshot(all, 4, t1, s1);
    long hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < 4; i++) {
        all[i]->busy_cpu_s = (double)(t1[i] - t0[i]) / (double)hz;
        all[i]->busy_sys_s = (double)(s1[i] - s0[i]) / (double)hz;
    }
    r->client_cpu_s = (double)(t1[4] - t0[4]) / (double)hz;
    r->commands = (uint64_t)b->o.n;
    r->accept_s = (double)(accepted - start) / 1e6;
    r->e2e_s = (double)(synced - start) / 1e6;
    r->accept_per_s = (double)r->commands / r->accept_s;
    r->events_per_s = (double)r->commands / r->e2e_s;
    fprintf(stderr,
            "reference: (a) %" PRIu64 " commands accepted in %.2f s, "
            "all consumers done in %.2f s\n",
            r->commands, r->accept_s, r->e2e_s);

    uint64_t lo = head_of(b, &b->rp);
    uint64_t count = (uint64_t)(b->o.rate * b->o.seconds);
    int64_t b0 = mono_us();
    if (load_run(&L, count, b->o.rate, 1 << 20,
                 (int64_t)(b->o.seconds + 60) * 1000000LL) != 0)
        goto done;
    r->offered_rate = (double)count / ((double)(mono_us() - b0) / 1e6);
    r->ack = percentiles(L.ack_us, L.n_ack);
    if (ref_wait_synced(b, dbs, 60 * 1000000LL) < 0)
        goto done;
    uint64_t hi = head_of(b, &b->rp);
    r->lat_commands = count;
    fprintf(stderr, "reference: (b) %" PRIu64 " commands at %.0f/s\n", count,
            r->offered_rate);

    for (int i = 0; i < 4; i++)
        proc_rss(all[i]);
    measure_idle(all, 4);

    zmq_close(L.sock);
    L.sock = NULL;
    for (int i = 0; i < N_REF_CONSUMERS; i++) {
        sqlite3_close(dbs[i]);
        dbs[i] = NULL;
    }
    r->clean_exit = true;
    for (int i = 3; i >= 0; i--)
        if (proc_stop(all[i]) != 0)
            r->clean_exit = false;
    samples_t s[MAX_CONS], pooled;
    memset(s, 0, sizeof(s));
    memset(&pooled, 0, sizeof(pooled));
    for (int i = 0; i < N_REF_CONSUMERS; i++) {
        char path[200];
        snprintf(path, sizeof(path), "%s/ref-c%d.db", b->dir, i);
        consumer_latency(path, "reference", lo, hi, &s[i], &pooled);
        r->lat[i] = percentiles(s[i].v, s[i].n);
        free(s[i].v);
    }
    r->lat_all = percentiles(pooled.v, pooled.n);
    free(pooled.v);
    r->ran = true;
    rc = 0;
done:
    for (int i = 0; i < N_REF_CONSUMERS; i++)
        sqlite3_close(dbs[i]);
    if (L.sock != NULL)
        zmq_close(L.sock);
    free(L.send_us);
    free(L.ack_us);
    if (rc != 0)
        for (int i = 0; i < 1 + N_REF_CONSUMERS; i++)
            if (all[i] != NULL)
                proc_stop(all[i]);
    b->ref_phase = false;
    return rc;
}

/* ---- output -------------------------------------------------------------- */

static void
fmt_num(char *buf, size_t n, double v, const char *fmt)
{
    if (isnan(v) || v < 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, fmt, v);
}

static void
row(const char *label, double c, double r, const char *fmt, const char *target,
    bool ratio)
{
    char a[32], bb[32], q[32];
    fmt_num(a, sizeof(a), c, fmt);
    fmt_num(bb, sizeof(bb), r, fmt);
    if (ratio && !isnan(c) && !isnan(r) && r > 0 && c >= 0)
        snprintf(q, sizeof(q), "%.2f", c / r);
    else
        snprintf(q, sizeof(q), "-");
    printf("%-36s %12s %12s %9s  %s\n", label, a, bb, q, target);
}

static double
max_of(const result_t *r, double (*f)(const proc_t *))
{
    double m = NAN;
    for (size_t i = 0; i < r->n_procs; i++) {
        double v = f(r->procs[i]);
        if (v >= 0 && (isnan(m) || v > m))
            m = v;
    }
    return m;
}

static double
f_rss(const proc_t *p)
{
    return p->rss_kib < 0 ? -1 : (double)p->rss_kib / 1024.0;
}

static double
f_idle(const proc_t *p)
{
    return p->idle_cpu_pct;
}

static double
f_ready(const proc_t *p)
{
    return p->ready_ms;
}

static void
print_table(const bench_t *b, const result_t *c, const result_t *r)
{
    char t[64];
    const double NA = NAN;
#define V(res, expr) ((res)->ran ? (expr) : NA)
    printf("\ncogov-bench: N=%ld commands, rate=%ld/s for %ld s, CURVE on, "
           "%ld CPUs, log_level=%s\n",
           b->o.n, b->o.rate, b->o.seconds, sysconf(_SC_NPROCESSORS_ONLN),
           b->o.log_level);
    printf("%-36s %12s %12s %9s  %s\n", "metric", "cogov", "reference",
           "cogov/ref", "target");
    row("(a) end-to-end events/s", V(c, c->events_per_s), V(r, r->events_per_s),
        "%.0f", "ratio >= 0.50", true);
    row("    commands accepted/s", V(c, c->accept_per_s), V(r, r->accept_per_s),
        "%.0f", "", true);
    row("    end-to-end seconds", V(c, c->e2e_s), V(r, r->e2e_s), "%.2f", "",
        true);
    snprintf(t, sizeof(t), "(b) offered events/s");
    row(t, V(c, c->offered_rate), V(r, r->offered_rate), "%.0f", "", true);
    for (int i = 0; i < MAX_CONS; i++) {
        char label[64];
        printf("    consumer %d: %s | %s\n", i + 1,
               c->cons_name[i] ? c->cons_name[i] : "-",
               r->cons_name[i] ? r->cons_name[i] : "-");
        snprintf(label, sizeof(label), "      p50 ms");
        row(label, V(c, c->lat[i].p50 / 1000), V(r, r->lat[i].p50 / 1000),
            "%.2f", "", true);
        snprintf(label, sizeof(label), "      p99 ms");
        row(label, V(c, c->lat[i].p99 / 1000), V(r, r->lat[i].p99 / 1000),
            "%.2f", "", true);
        snprintf(label, sizeof(label), "      p99.9 ms");
        row(label, V(c, c->lat[i].p999 / 1000), V(r, r->lat[i].p999 / 1000),
            "%.2f", "", true);
    }
    row("    all consumers p50 ms", V(c, c->lat_all.p50 / 1000),
        V(r, r->lat_all.p50 / 1000), "%.2f", "", true);
    row("    all consumers p99 ms", V(c, c->lat_all.p99 / 1000),
        V(r, r->lat_all.p99 / 1000), "%.2f", "ratio <= 1.50", true);
    row("    all consumers p99.9 ms", V(c, c->lat_all.p999 / 1000),
        V(r, r->lat_all.p999 / 1000), "%.2f", "", true);
    row("    all consumers max ms", V(c, c->lat_all.max / 1000),
        V(r, r->lat_all.max / 1000), "%.2f", "", true);
    row("    command ack p50 ms", V(c, c->ack.p50 / 1000),
        V(r, r->ack.p50 / 1000), "%.2f", "", true);
    row("    command ack p99 ms", V(c, c->ack.p99 / 1000),
        V(r, r->ack.p99 / 1000), "%.2f", "", true);
    row("(c) RSS MiB, largest process", V(c, max_of(c, f_rss)),
        V(r, max_of(r, f_rss)), "%.1f", "<= 16 MiB", true);
    row("(d) idle CPU %, busiest process", V(c, max_of(c, f_idle)),
        V(r, max_of(r, f_idle)), "%.2f", "~0", false);
    row("    ready ms, slowest daemon", V(c, max_of(c, f_ready)),
        V(r, max_of(r, f_ready)), "%.1f", "<= 100 ms", true);
    if (b->disk_n > 0) {
        printf("(f) the disk alone: fdatasync of 2 WAL frames at 1,000/s, "
               "idle machine\n");
        row("    p50 ms", b->disk_p50 / 1000, NA, "%.2f", "", false);
        row("    p99 ms", b->disk_p99 / 1000, NA, "%.2f", "", false);
        row("    p99.9 ms", b->disk_p999 / 1000, NA, "%.2f", "", false);
    }
    if (c->ran && c->replay_s >= 0) {
        char label[64];
        snprintf(label, sizeof(label), "(e) replay %" PRIu64 " events, s",
                 c->replay_events);
        row(label, c->replay_s, NA, "%.2f", "1M in <= 15 s", false);
        row("    replay events/s", (double)c->replay_events / c->replay_s, NA,
            "%.0f", ">= 66667", false);
    }
    printf("\n%-22s %9s %9s %9s %10s %11s %6s %8s %5s\n", "process", "ready ms",
           "RSS MiB", "peak MiB", "idle CPU%", "CPU s in (a)", "of sys",
           "csw (a)", "exit");
    const result_t *rs[2] = {c, r};
    for (int k = 0; k < 2; k++) {
        if (!rs[k]->ran)
            continue;
        for (size_t i = 0; i < rs[k]->n_procs; i++) {
            const proc_t *p = rs[k]->procs[i];
            char a[16], m[16], h[16], id[16], bz[16], sy[16];
            fmt_num(a, sizeof(a), p->ready_ms, "%.1f");
            fmt_num(m, sizeof(m), f_rss(p), "%.1f");
            fmt_num(h, sizeof(h),
                    p->hwm_kib < 0 ? -1 : (double)p->hwm_kib / 1024.0, "%.1f");
            fmt_num(id, sizeof(id), p->idle_cpu_pct, "%.2f");
            fmt_num(bz, sizeof(bz), p->busy_cpu_s, "%.2f");
            fmt_num(sy, sizeof(sy), p->busy_sys_s, "%.2f");
            printf("%-22s %9s %9s %9s %10s %11s %6s %8lld %5d\n", p->name, a, m,
                   h, id, bz, sy, p->busy_csw, p->exit_code);
        }
        printf("%-22s %9s %9s %9s %10s %11.2f\n",
               k == 0 ? "load client (cogov)" : "load client (ref)", "", "", "",
               "", rs[k]->client_cpu_s);
    }
#undef V
}

static void
json_num(FILE *f, const char *key, double v, bool comma)
{
    if (isnan(v))
        fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
    else
        fprintf(f, "\"%s\": %.3f%s", key, v, comma ? ", " : "");
}

static void
json_pct(FILE *f, const char *key, const pct_t *p, bool comma)
{
    fprintf(f, "\"%s\": {\"n\": %zu, ", key, p->n);
    json_num(f, "p50_ms", p->p50 / 1000, true);
    json_num(f, "p99_ms", p->p99 / 1000, true);
    json_num(f, "p999_ms", p->p999 / 1000, true);
    json_num(f, "max_ms", p->max / 1000, false);
    fprintf(f, "}%s", comma ? ", " : "");
}

static void
json_result(FILE *f, const char *key, const result_t *r)
{
    fprintf(f, "  \"%s\": ", key);
    if (!r->ran) {
        fprintf(f, "null,\n");
        return;
    }
    fprintf(f, "{\n    ");
    json_num(f, "events_per_s", r->events_per_s, true);
    json_num(f, "accept_per_s", r->accept_per_s, true);
    json_num(f, "e2e_s", r->e2e_s, true);
    json_num(f, "accept_s", r->accept_s, true);
    json_num(f, "offered_rate", r->offered_rate, true);
    json_num(f, "client_cpu_s", r->client_cpu_s, true);
    fprintf(f, "\"clean_exit\": %s,\n    \"latency\": {",
            r->clean_exit ? "true" : "false");
    for (int i = 0; i < MAX_CONS; i++)
        json_pct(f, r->cons_name[i] ? r->cons_name[i] : "-", &r->lat[i], true);
    json_pct(f, "all", &r->lat_all, true);
    json_pct(f, "command_ack", &r->ack, false);
    fprintf(f, "},\n    \"processes\": [");
    for (size_t i = 0; i < r->n_procs; i++) {
        const proc_t *p = r->procs[i];
        fprintf(f, "%s\n      {\"name\": \"%s\", ", i ? "," : "", p->name);
        json_num(f, "ready_ms", p->ready_ms < 0 ? NAN : p->ready_ms, true);
        json_num(f, "rss_mib", p->rss_kib < 0 ? NAN : f_rss(p), true);
        json_num(f, "peak_rss_mib",
                 p->hwm_kib < 0 ? NAN : (double)p->hwm_kib / 1024.0, true);
        json_num(f, "idle_cpu_pct", p->idle_cpu_pct < 0 ? NAN : p->idle_cpu_pct,
                 true);
        json_num(f, "cpu_s_in_a", p->busy_cpu_s < 0 ? NAN : p->busy_cpu_s,
                 true);
        json_num(f, "sys_s_in_a", p->busy_sys_s < 0 ? NAN : p->busy_sys_s,
                 true);
        fprintf(f, "\"context_switches_in_a\": %lld, ", p->busy_csw);
        fprintf(f, "\"exit\": %d}", p->exit_code);
    }
    fprintf(f, "\n    ],\n    ");
    json_num(f, "replay_s", r->replay_s < 0 ? NAN : r->replay_s, true);
    fprintf(f, "\"replay_events\": %" PRIu64 "\n  },\n", r->replay_events);
}

static void
write_json(FILE *f, const bench_t *b, const result_t *c, const result_t *r)
{
    fprintf(f,
            "{\n  \"n\": %ld, \"rate\": %ld, \"seconds\": %ld, "
            "\"window\": %ld, \"cpus\": %ld, \"curve\": true, "
            "\"log_level\": \"%s\",\n",
            b->o.n, b->o.rate, b->o.seconds, b->o.window,
            sysconf(_SC_NPROCESSORS_ONLN), b->o.log_level);
    fprintf(f, "  \"disk_fdatasync\": {");
    json_num(f, "p50_ms", b->disk_n ? b->disk_p50 / 1000 : NAN, true);
    json_num(f, "p99_ms", b->disk_n ? b->disk_p99 / 1000 : NAN, true);
    json_num(f, "p999_ms", b->disk_n ? b->disk_p999 / 1000 : NAN, false);
    fprintf(f, "},\n");
    json_result(f, "cogov", c);
    json_result(f, "reference", r);
    bool both = c->ran && r->ran;
    fprintf(f, "  \"ratios\": {");
    json_num(f, "events_per_s", both ? c->events_per_s / r->events_per_s : NAN,
             true);
    json_num(f, "p50", both ? c->lat_all.p50 / r->lat_all.p50 : NAN, true);
    json_num(f, "p99", both ? c->lat_all.p99 / r->lat_all.p99 : NAN, true);
    json_num(f, "p999", both ? c->lat_all.p999 / r->lat_all.p999 : NAN, true);
    json_num(f, "accept_per_s", both ? c->accept_per_s / r->accept_per_s : NAN,
             true);
    json_num(f, "rss_max", both ? max_of(c, f_rss) / max_of(r, f_rss) : NAN,
             false);
    fprintf(f, "}\n}\n");
}

/* ---- main ---------------------------------------------------------------- */

static void
usage(FILE *f)
{
    fprintf(
        f, "usage: cogov-bench [--n N] [--rate R] [--seconds S] [--replay N]\n"
           "                   [--window W] [--json FILE] [--log-level L]\n"
           "                   [--keep] [--no-reference] [--no-cogov]\n"
           "  --n N          commands in the throughput phase (default 50000)\n"
           "  --rate R       offered events/s in the latency phase (1000)\n"
           "  --seconds S    length of the latency phase (10)\n"
           "  --replay N     also time a fresh consumer replaying N "
           "coordination events\n"
           "  --window W     outstanding requests of the load client (256, "
           "at most 500)\n"
           "  --json FILE    write the figures as JSON to FILE (default: a "
           "JSON block on stdout)\n"
           "  --log-level L  the daemons' log level (default info)\n"
           "  --keep         keep the temp directory (stores, logs)\n"
           "Daemons are found next to this binary in the build tree, or by\n"
           "COGOV_COORDINATION, COGOV_SECRETARIAT, COGOV_BENCH_CONSUMER.\n");
}

int
main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--ref-producer") == 0)
        return ref_producer_main(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "--ref-consumer") == 0)
        return ref_consumer_main(argv[2], atoi(argv[3]));

    static bench_t b;
    b.o = (opts_t){.n = 50000,
                   .rate = 1000,
                   .seconds = 10,
                   .replay = 0,
                   .window = 256,
                   .json = NULL,
                   .log_level = "info"};
    static const struct option lo[] = {
        {"n", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},
        {"replay", required_argument, NULL, 'p'},
        {"window", required_argument, NULL, 'w'},
        {"json", required_argument, NULL, 'j'},
        {"log-level", required_argument, NULL, 'l'},
        {"keep", no_argument, NULL, 'k'},
        {"no-reference", no_argument, NULL, 'R'},
        {"no-cogov", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case 'n':
            b.o.n = atol(optarg);
            break;
        case 'r':
            b.o.rate = atol(optarg);
            break;
        case 's':
            b.o.seconds = atol(optarg);
            break;
        case 'p':
            b.o.replay = atol(optarg);
            break;
        case 'w':
            b.o.window = atol(optarg);
            break;
        case 'j':
            b.o.json = optarg;
            break;
        case 'l':
            b.o.log_level = optarg;
            break;
        case 'k':
            b.o.keep = true;
            break;
        case 'R':
            b.o.skip_ref = true;
            break;
        case 'C':
            b.o.skip_cogov = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    /* The window stays well under the DEALER's default send high-water
     * mark (1000; the writer learns of reads in steps of half of it). */
    if (b.o.n < 2 || b.o.rate < 1 || b.o.seconds < 1 || b.o.window < 1 ||
        b.o.window > 500 || b.o.replay < 0) {
        usage(stderr);
        return 2;
    }
    b.o.n += b.o.n % 2; /* apply + decide pairs */

    ssize_t sl = readlink("/proc/self/exe", b.self, sizeof(b.self) - 1);
    if (sl <= 0) {
        perror("cogov-bench: /proc/self/exe");
        return 1;
    }
    b.self[sl] = 0;
    char tmp[PATH_MAX];
    str_copy(tmp, sizeof(tmp), b.self);
    str_copy(b.bindir, sizeof(b.bindir), dirname(tmp));
    snprintf(b.dir, sizeof(b.dir), "/tmp/cgb-XXXXXX");
    if (mkdtemp(b.dir) == NULL) {
        perror("cogov-bench: mkdtemp");
        return 1;
    }
    atexit(kill_leftovers);
    signal(SIGPIPE, SIG_IGN);
    b.zctx = zmq_ctx_new();
    fprintf(stderr, "cogov-bench: working in %s\n", b.dir);

    static result_t c, r;
    int rc = 0;
    if (disk_probe(&b) != 0)
        rc = 1;
    if (!b.o.skip_cogov && run_cogov(&b, &c) != 0)
        rc = 1;
    if (!b.o.skip_ref && run_reference(&b, &r) != 0)
        rc = 1;

    print_table(&b, &c, &r);
    if (b.o.json != NULL) {
        FILE *f = fopen(b.o.json, "w");
        if (f == NULL) {
            perror(b.o.json);
            rc = 1;
        } else {
            write_json(f, &b, &c, &r);
            fclose(f);
            printf("\nJSON written to %s\n", b.o.json);
        }
    } else {
        printf("\n");
        write_json(stdout, &b, &c, &r);
    }
    for (size_t i = 0; i < g_nprocs; i++)
        if (g_procs[i]->st_sock != NULL) {
            zmq_close(g_procs[i]->st_sock);
            g_procs[i]->st_sock = NULL;
        }
    zmq_ctx_term(b.zctx);
    if (!b.o.keep) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cogov-bench: could not remove %s\n", b.dir);
    } else {
        fprintf(stderr, "cogov-bench: kept %s\n", b.dir);
    }
    return rc;
}
