/* cogovctl: declarations shared by the CLI's files. cogovctl_util.c holds
 * the pure helpers (no sockets, no files), unit-tested by
 * tests/unit/test_ctl.c, which includes that .c directly. */
#ifndef COGOVCTL_H
#define COGOVCTL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auth.h"
#include "client.h"
#include "config.h"
#include "cogov/v1/envelope.pb-c.h"

/* ---- exit codes (documented in `cogovctl --help`) ------------------------ */
#define CTL_EXIT_OK 0
#define CTL_EXIT_USAGE 1       /* usage or configuration error */
#define CTL_EXIT_INVALID 2     /* STATUS_INVALID, or a bad input file */
#define CTL_EXIT_NOT_FOUND 3   /* STATUS_NOT_FOUND */
#define CTL_EXIT_DENIED 4      /* STATUS_PERMISSION_DENIED, UNAUTHENTICATED */
#define CTL_EXIT_CONFLICT 5    /* STATUS_CONFLICT */
#define CTL_EXIT_UNAVAILABLE 6 /* STATUS_UNAVAILABLE, no answer, timeout */
#define CTL_EXIT_INTERNAL 7    /* STATUS_INTERNAL and anything else */

/* Business time is shown at +08:00 (Asia/Shanghai) unless told otherwise. */
#define CTL_UTC_OFFSET 28800

/* ==== pure helpers: cogovctl_util.c ===================================== */

/* A growing, always NUL-terminated byte buffer. */
typedef struct sbuf {
    char *p;
    size_t len;
    size_t cap;
} sbuf_t;

void sbuf_init(sbuf_t *b);
void sbuf_free(sbuf_t *b);
void sbuf_reset(sbuf_t *b);
void sbuf_add(sbuf_t *b, const void *data, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_putc(sbuf_t *b, char c);
void sbuf_printf(sbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Decode one UTF-8 sequence at s (n bytes available): returns its length
 * (1..4) and sets *cp, or -1 if it is not valid UTF-8 (overlong, surrogate,
 * truncated, > U+10FFFF). */
int utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Display columns of a code point / a UTF-8 string on a terminal: CJK and
 * other wide characters 2, combining marks 0, invalid bytes 1 each. Uses
 * wcwidth() (call setlocale(LC_ALL, "C.UTF-8") first) with a built-in
 * fallback for East Asian wide ranges when the locale does not know them. */
int cp_width(uint32_t cp);
size_t str_width(const char *s);
/* Append s to b cut to at most maxw columns, ending with "…" if cut. */
void sbuf_put_width(sbuf_t *b, const char *s, size_t maxw);
/* Append s padded with spaces to w columns (left-aligned, or right if
 * right). */
void sbuf_pad(sbuf_t *b, const char *s, size_t w, bool right);

/* ---- JSON ---------------------------------------------------------------- */
/* Append s (n bytes) as a JSON string literal: quotes, backslash and control
 * characters escaped; invalid UTF-8 replaced by U+FFFD so the output is
 * always valid JSON. */
void json_quote(sbuf_t *b, const char *s, size_t n);

/* A tiny streaming writer that places commas and colons itself. */
#define JW_MAX_DEPTH 32
typedef struct jw {
    sbuf_t *out;
    int depth;
    bool first[JW_MAX_DEPTH]; /* no element yet at this depth */
    bool after_key;
} jw_t;

void jw_init(jw_t *w, sbuf_t *out);
void jw_obj(jw_t *w);
void jw_obj_end(jw_t *w);
void jw_arr(jw_t *w);
void jw_arr_end(jw_t *w);
void jw_key(jw_t *w, const char *key);
void jw_str(jw_t *w, const char *s); /* NULL -> null */
void jw_int(jw_t *w, int64_t v);
void jw_uint(jw_t *w, uint64_t v);
void jw_bool(jw_t *w, bool v);
void jw_null(jw_t *w);

/* Write every present field of m into the currently open object, by
 * protobuf field name: scalars as numbers, enums as their short names
 * (below), strings as strings, bytes as base64, messages as objects,
 * repeated fields as arrays (always written, possibly empty), the set member
 * of a oneof under its own name. */
void pbjson_fields(jw_t *w, const ProtobufCMessage *m);
/* The same wrapped in {}. */
void pbjson_message(jw_t *w, const ProtobufCMessage *m);

/* ---- enums ------------------------------------------------------------- */
/* Name of an enum value without its prefix ("MEMBER_STATUS_ADMITTED" ->
 * "ADMITTED"); the prefix is the name of value 0 minus "UNSPECIFIED".
 * NULL if the value is unknown. */
const char *enum_short(const ProtobufCEnumDescriptor *d, int value);
/* Parse a value by its short or full name, case-insensitive, '-' allowed
 * for '_'. Value 0 (UNSPECIFIED) is not accepted. Returns the value or
 * -1. */
int enum_parse(const ProtobufCEnumDescriptor *d, const char *s);
/* enum_parse on MemberType, plus the usual Chinese names (政府部门, 龙头企业,
 * 高职院校, ...) that spreadsheets carry. */
int member_type_parse(const char *s);
/* Short name or the number as text, in one of 4 rotating static buffers. */
const char *enum_text(const ProtobufCEnumDescriptor *d, int value);
/* "OK", "INVALID", ... for a status code. */
const char *status_text(int code);
/* Exit code for a reply status code. */
int status_exit(int code);

/* ---- formatting -------------------------------------------------------- */
/* Business time "YYYY-MM-DD HH:MM" at offset, or "-" if t == 0; buf >= 32. */
void fmt_time(int64_t t, int utc_offset_s, char *buf, size_t size);
/* "3d04h", "2h05m", "42s". */
void fmt_duration(int64_t s, char *buf, size_t size);
/* "812 B", "1.5 KiB", "12.0 MiB". */
void fmt_bytes(int64_t n, char *buf, size_t size);

/* Print the present fields of m as aligned "name  value" lines (times
 * formatted, enums short, repeated values one per line). */
void pbshow(sbuf_t *b, const ProtobufCMessage *m, int utc_offset_s);
/* One-line "key=value key=value" summary of m's scalar fields (long
 * strings cut, repeated fields as counts, "body" left out). */
void pbsummary(sbuf_t *b, const ProtobufCMessage *m, int utc_offset_s);
/* The message set in a oneof (by its case value = field number), or
 * NULL. */
const ProtobufCMessage *pb_oneof_message(const ProtobufCMessage *m,
                                         uint32_t case_value);

/* ---- tables -------------------------------------------------------------- */
typedef struct table table_t;
/* headers: ncols names; a name starting with '>' is right-aligned (the '>'
 * is not shown). */
table_t *table_new(size_t ncols, const char *const *headers);
void table_destroy(table_t **tp);
/* Append one cell (copied; NULL -> "-"); rows fill left to right. */
void table_cell(table_t *t, const char *s);
void table_cellf(table_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Columns separated by two spaces, widths by display width, no trailing
 * blanks. */
void table_render(const table_t *t, sbuf_t *out);
/* n messages as a list into b: a JSON array of them (json), else a table
 * of ncols columns headed hdr with a row each by row(t, item). */
void list_render(sbuf_t *b, bool json, ProtobufCMessage *const *items, size_t n,
                 void (*row)(table_t *t, const ProtobufCMessage *m),
                 size_t ncols, const char *const *hdr);

/* ---- CSV (RFC 4180) ------------------------------------------------------ */
typedef struct csv_row {
    size_t n;
    char **fields;
    size_t line; /* physical line the record starts on, from 1 */
} csv_row_t;

typedef struct csv {
    const char *data;
    size_t len;
    size_t pos;
    size_t line;
} csv_t;

/* data must stay valid while reading; a UTF-8 BOM is skipped. */
void csv_init(csv_t *c, const char *data, size_t len);
/* Read the next record into row (cleared first). Blank lines are skipped.
 * Returns 1 for a record, 0 at the end, -EINVAL with err = "line N: what"
 * for a malformed record (unterminated quote, text after a closing
 * quote, a quote inside an unquoted field). */
int csv_next(csv_t *c, csv_row_t *row, char *err, size_t errlen);
void csv_row_clear(csv_row_t *row);

/* Member import: map a header row to column indexes. */
enum {
    IMP_USCC,
    IMP_NAME,
    IMP_TYPE,
    IMP_CONTACT_NAME,
    IMP_CONTACT_PHONE,
    IMP_CONTACT_EMAIL,
    IMP_NCOLS
};
/* col[i] = index of IMP_* column i in the header or -1 if absent. uscc,
 * name and type are required; unknown or repeated columns are errors.
 * Header names are matched case-insensitively after trimming. */
int import_header(const csv_row_t *hdr, int col[IMP_NCOLS], char *err,
                  size_t errlen);
/* The request id of a row: "<prefix>-<16 hex of hash64 over the fields
 * joined by 0x1f>", stable across runs. buf >= 64. */
void import_request_id(const csv_row_t *row, const char *prefix, char *buf,
                       size_t size);

/* Trim ASCII whitespace in place; returns s. */
char *str_trim(char *s);

/* ==== the CLI: cogovctl.c ================================================ */

enum {
    SVC_COORDINATION,
    SVC_INCENTIVES,
    SVC_SUPERVISION,
    SVC_SECRETARIAT,
    SVC_COUNT
};
extern const char *const ctl_service_names[SVC_COUNT];
/* "coordination" -> SVC_COORDINATION, or -1. */
int ctl_service_parse(const char *name);

typedef struct ctl_conf {
    char endpoint[SVC_COUNT][CFG_STR_MAX];
    char keys_dir[CFG_STR_MAX];
    char key[CFG_STR_MAX];
    long long timeout_ms;
} ctl_conf_t;

typedef struct ctl {
    ctl_conf_t conf;
    const char *conf_path;
    bool conf_loaded;
    char conf_err[512];
    bool json;
    int timeout_ms; /* total per request */
    char corr[48];  /* "ctl-<hex>", one per invocation */
    void *zctx;
    keypair_t kp;
    bool kp_loaded;
    client_t *clients[SVC_COUNT];
    const char *cmd_name; /* "member apply", for messages */
} ctl_t;

/* Print "cogovctl: <what>" to stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error for the current command: message, "see --help", returns
 * CTL_EXIT_USAGE. */
int ctl_usage(ctl_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 0 if the config was loaded, else prints why and returns
 * CTL_EXIT_USAGE. */
int ctl_need_conf(const ctl_t *c);
/* Is the service configured (non-empty endpoint)? */
bool ctl_configured(const ctl_t *c, int svc);

/* Send req to svc and wait: extra_wait_ms is added to each attempt (for
 * long-poll Fetch); total_ms 0 means the configured timeout. The
 * correlation id is the invocation's unless req already has one. Returns
 * the reply, or NULL with err (not configured, keys, no answer) and *exit
 * set. Does not print. */
Cogov__V1__Reply *ctl_request(ctl_t *c, int svc, Cogov__V1__Request *req,
                              int extra_wait_ms, int total_ms, int *exit,
                              char *err, size_t errlen);
/* ctl_request, then: a reply that is not OK is printed as "cogovctl:
 * <service>: <STATUS>: <error>" and freed. Returns the exit code; *out is
 * the OK reply (free with cogov__v1__reply__free_unpacked). */
int ctl_call(ctl_t *c, int svc, Cogov__V1__Request *req,
             Cogov__V1__Reply **out);

/* Write b to stdout (and reset it). */
void ctl_flush(sbuf_t *b);
/* Print a reply body: JSON object with --json, else pbshow. */
void ctl_print_message(ctl_t *c, const ProtobufCMessage *m);

/* Getopt-style option parsing for commands. */
typedef struct ctl_opt {
    const char *name; /* long name without "--" */
    bool has_arg;
} ctl_opt_t;
/* Parse argv[1..] (argv[0] is the verb): options from opts (any order,
 * "--name value" or "--name=value", "--" ends options) and positional
 * arguments. Calls on_opt(idx, value, arg) for each option and collects
 * positionals into pos[0..*npos). Returns 0 or CTL_EXIT_USAGE (printed). */
int ctl_parse(ctl_t *c, int argc, char **argv, const ctl_opt_t *opts,
              int (*on_opt)(ctl_t *c, int idx, const char *value, void *arg),
              void *arg, const char **pos, int max_pos, int *npos);
/* ctl_parse for a command that takes exactly one positional argument,
 * named `what` in the usage error ("<what> is required") when it is
 * missing; *id is it. Returns 0 or CTL_EXIT_USAGE (printed). */
int ctl_parse_id(ctl_t *c, int argc, char **argv, const ctl_opt_t *opts,
                 int (*on_opt)(ctl_t *c, int idx, const char *value, void *arg),
                 void *arg, const char *what, const char **id);
/* An on_opt for ctl_parse: option idx's value into ((const char **)arg)[idx]
 * (the last one wins; "1" for a flag). In cogovctl_util.c. */
int ctl_opt_store(ctl_t *c, int idx, const char *value, void *arg);
/* Parse value as one of d's values (enum_parse); a usage error naming opt
 * and listing the accepted values if it is none. */
int ctl_parse_enum(ctl_t *c, const ProtobufCEnumDescriptor *d, const char *opt,
                   const char *value, int *out);
/* Parse a non-negative integer option; CTL_EXIT_USAGE (printed) if bad. */
int ctl_parse_u64(ctl_t *c, const char *opt, const char *value, uint64_t max,
                  uint64_t *out);

/* ---- command families ------------------------------------------------------
 */
typedef int (*ctl_cmd_fn)(ctl_t *c, int argc, char **argv);

typedef struct ctl_cmd {
    const char *noun;
    const char *verb; /* NULL: the noun alone is the command */
    const char *args; /* synopsis after the noun and verb */
    const char *help; /* description, may span lines */
    ctl_cmd_fn fn;
} ctl_cmd_t;

extern const ctl_cmd_t ctl_cmds_coord[];  /* cogovctl_coord.c */
extern const ctl_cmd_t ctl_cmds_notice[]; /* cogovctl_notice.c */
extern const ctl_cmd_t ctl_cmds_ops[];    /* cogovctl_ops.c */
extern const ctl_cmd_t ctl_cmds_plan[];   /* cogovctl_plan.c */
extern const ctl_cmd_t ctl_cmds_sec[];    /* cogovctl_sec.c */
extern const ctl_cmd_t ctl_cmds_supv[];   /* cogovctl_supv.c */
extern const ctl_cmd_t ctl_cmds_lists[];  /* cogovctl_lists.c */
extern const ctl_cmd_t ctl_cmds_inc[];    /* cogovctl_inc.c */
extern const ctl_cmd_t ctl_cmds_trace[];  /* cogovctl_trace.c */

#endif
