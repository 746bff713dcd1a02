/* cogovctl_util: the CLI's pure helpers — buffers, display width, JSON,
 * protobuf rendering, enum names, tables, CSV. No sockets, no files. */
#include "cogovctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "pb.h"
#include "util.h"
#include "validate.h"
#include "cogov/v1/types.pb-c.h"

/* ---- sbuf ---------------------------------------------------------------- */

void
sbuf_init(sbuf_t *b)
{
    b->cap = 64;
    b->len = 0;
    b->p = xmalloc(b->cap);
    b->p[0] = 0;
}

void
sbuf_free(sbuf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void
sbuf_reset(sbuf_t *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = 0;
}

void
sbuf_add(sbuf_t *b, const void *data, size_t n)
{
    if (b->p == NULL)
        sbuf_init(b);
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap *= 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

void
sbuf_puts(sbuf_t *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void
sbuf_putc(sbuf_t *b, char c)
{
    sbuf_add(b, &c, 1);
}

void
sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sbuf_add(b, small, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sbuf_add(b, big, (size_t)n);
    free(big);
}

char *
str_trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    size_t i = 0;
    while (s[i] != 0 && isspace((unsigned char)s[i]))
        i++;
    if (i > 0)
        memmove(s, s + i, n - i + 1);
    return s;
}

/* ---- UTF-8 and display width ------------------------------------------- */

int
utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return -1;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    int len;
    uint32_t c, min;
    if ((u[0] & 0xe0) == 0xc0) {
        len = 2;
        c = u[0] & 0x1f;
        min = 0x80;
    } else if ((u[0] & 0xf0) == 0xe0) {
        len = 3;
        c = u[0] & 0x0f;
        min = 0x800;
    } else if ((u[0] & 0xf8) == 0xf0) {
        len = 4;
        c = u[0] & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if ((size_t)len > n)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *cp = c;
    return len;
}

/* East Asian Wide and Fullwidth blocks, for when wcwidth() does not know
 * the character (a C locale). */
static bool
cp_is_wide(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
           (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
           (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
           (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
           (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
           (c >= 0x20000 && c <= 0x3fffd);
}

int
cp_width(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7f)
        return 0;
    if (cp < 0x7f)
        return 1;
    int w = wcwidth((wchar_t)cp);
    if (w >= 0) {
        /* A locale without East Asian widths says 1 for CJK. */
        if (w == 1 && cp_is_wide(cp))
            return 2;
        return w;
    }
    return cp_is_wide(cp) ? 2 : 1;
}

size_t
str_width(const char *s)
{
    size_t w = 0;
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode(s + i, n - i, &cp);
        if (l < 0) {
            w++;
            i++;
            continue;
        }
        w += (size_t)cp_width(cp);
        i += (size_t)l;
    }
    return w;
}

void
sbuf_put_width(sbuf_t *b, const char *s, size_t maxw)
{
    if (s == NULL)
        s = "";
    if (str_width(s) <= maxw) {
        sbuf_puts(b, s);
        return;
    }
    /* Room for the ellipsis (1 column). */
    size_t budget = maxw > 0 ? maxw - 1 : 0, w = 0, i = 0, n = strlen(s);
    while (i < n) {
        uint32_t cp;
        int l = utf8_decode(s + i, n - i, &cp);
        size_t cw = l < 0 ? 1 : (size_t)cp_width(cp);
        if (l < 0)
            l = 1;
        if (w + cw > budget)
            break;
        sbuf_add(b, s + i, (size_t)l);
        w += cw;
        i += (size_t)l;
    }
    if (maxw > 0)
        sbuf_puts(b, "\xe2\x80\xa6"); /* … */
}

void
sbuf_pad(sbuf_t *b, const char *s, size_t w, bool right)
{
    if (s == NULL)
        s = "";
    size_t sw = str_width(s);
    if (right)
        for (size_t i = sw; i < w; i++)
            sbuf_putc(b, ' ');
    sbuf_puts(b, s);
    if (!right)
        for (size_t i = sw; i < w; i++)
            sbuf_putc(b, ' ');
}

/* ---- JSON -------------------------------------------------------------- */

void
json_quote(sbuf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            uint32_t cp;
            int l = utf8_decode(s + i, n - i, &cp);
            if (l < 0) {
                sbuf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
                i++;
            } else {
                sbuf_add(b, s + i, (size_t)l);
                i += (size_t)l;
            }
            continue;
        }
        switch (ch) {
        case '"':
            sbuf_puts(b, "\\\"");
            break;
        case '\\':
            sbuf_puts(b, "\\\\");
            break;
        case '\n':
            sbuf_puts(b, "\\n");
            break;
        case '\r':
            sbuf_puts(b, "\\r");
            break;
        case '\t':
            sbuf_puts(b, "\\t");
            break;
        case '\b':
            sbuf_puts(b, "\\b");
            break;
        case '\f':
            sbuf_puts(b, "\\f");
            break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                char u[7] = {'\\',         'u',          '0', '0',
                             hex[ch >> 4], hex[ch & 15], 0};
                sbuf_puts(b, u);
            } else {
                sbuf_putc(b, (char)ch);
            }
        }
        i++;
    }
    sbuf_putc(b, '"');
}

void
jw_init(jw_t *w, sbuf_t *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->first[0] = true;
}

/* Before any value: a comma unless first at this depth or after a key. */
static void
jw_sep(jw_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        sbuf_putc(w->out, ',');
    w->first[w->depth] = false;
}

static void
jw_open(jw_t *w, char ch)
{
    jw_sep(w);
    sbuf_putc(w->out, ch);
    if (w->depth + 1 < JW_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void
jw_close(jw_t *w, char ch)
{
    sbuf_putc(w->out, ch);
    if (w->depth > 0)
        w->depth--;
}

void
jw_obj(jw_t *w)
{
    jw_open(w, '{');
}
void
jw_obj_end(jw_t *w)
{
    jw_close(w, '}');
}
void
jw_arr(jw_t *w)
{
    jw_open(w, '[');
}
void
jw_arr_end(jw_t *w)
{
    jw_close(w, ']');
}

void
jw_key(jw_t *w, const char *key)
{
    jw_sep(w);
    json_quote(w->out, key, strlen(key));
    sbuf_putc(w->out, ':');
    w->after_key = true;
}

void
jw_str(jw_t *w, const char *s)
{
    if (s == NULL) {
        jw_null(w);
        return;
    }
    jw_sep(w);
    json_quote(w->out, s, strlen(s));
}

void
jw_int(jw_t *w, int64_t v)
{
    jw_sep(w);
    sbuf_printf(w->out, "%lld", (long long)v);
}

void
jw_uint(jw_t *w, uint64_t v)
{
    jw_sep(w);
    sbuf_printf(w->out, "%llu", (unsigned long long)v);
}

void
jw_bool(jw_t *w, bool v)
{
    jw_sep(w);
    sbuf_puts(w->out, v ? "true" : "false");
}

void
jw_null(jw_t *w)
{
    jw_sep(w);
    sbuf_puts(w->out, "null");
}

/* ---- enums ----------------------------------------------------------------
 */

static size_t
enum_prefix_len(const ProtobufCEnumDescriptor *d)
{
    const ProtobufCEnumValue *v0 = protobuf_c_enum_descriptor_get_value(d, 0);
    if (v0 == NULL)
        return 0;
    size_t n = strlen(v0->name), u = strlen("UNSPECIFIED");
    if (n >= u && strcmp(v0->name + n - u, "UNSPECIFIED") == 0)
        return n - u;
    return 0;
}

const char *
enum_short(const ProtobufCEnumDescriptor *d, int value)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(d, value);
    if (v == NULL)
        return NULL;
    size_t p = enum_prefix_len(d);
    const ProtobufCEnumValue *v0 = protobuf_c_enum_descriptor_get_value(d, 0);
    if (p == 0 || strlen(v->name) <= p || strncmp(v->name, v0->name, p) != 0)
        return v->name;
    return v->name + p;
}

/* Case-insensitive compare treating '-' as '_'. */
static bool
name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = *a == '-' ? '_' : toupper((unsigned char)*a);
        int cb = *b == '-' ? '_' : toupper((unsigned char)*b);
        if (ca != cb)
            return false;
        if (ca == 0)
            return true;
    }
}

int
enum_parse(const ProtobufCEnumDescriptor *d, const char *s)
{
    if (str_empty(s))
        return -1;
    size_t p = enum_prefix_len(d);
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        if (v->value == 0)
            continue;
        if (name_eq(s, v->name) ||
            (strlen(v->name) > p && name_eq(s, v->name + p)))
            return v->value;
    }
    return -1;
}

int
member_type_parse(const char *s)
{
    static const struct {
        const char *zh;
        int type;
    } aliases[] = {
        {"政府部门", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_GOVERNMENT_DEPARTMENT},
        {"园区管委会", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_PARK_COMMITTEE},
        {"龙头企业", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_LEADING_ENTERPRISE},
        {"企业", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_ENTERPRISE},
        {"普通高校", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY},
        {"本科高校", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY},
        {"高校", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_UNIVERSITY},
        {"高职院校",
         COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_HIGHER_VOCATIONAL_COLLEGE},
        {"中职学校",
         COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_SECONDARY_VOCATIONAL_SCHOOL},
        {"科研院所", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_RESEARCH_INSTITUTE},
        {"行业协会", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_INDUSTRY_ASSOCIATION},
        {"运营公司", COGOV__V1__MEMBER_TYPE__MEMBER_TYPE_OPERATING_COMPANY},
    };
    int t = enum_parse(&cogov__v1__member_type__descriptor, s);
    if (t >= 0 || s == NULL)
        return t;
    for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
        if (strcmp(s, aliases[i].zh) == 0)
            return aliases[i].type;
    return -1;
}

const char *
enum_text(const ProtobufCEnumDescriptor *d, int value)
{
    static char bufs[4][24];
    static unsigned next;
    const char *s = enum_short(d, value);
    if (s != NULL)
        return s;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%d", value);
    return b;
}

const char *
status_text(int code)
{
    return enum_text(&cogov__v1__status_code__descriptor, code);
}

int
status_exit(int code)
{
    switch (code) {
    case COGOV__V1__STATUS_CODE__STATUS_OK:
        return CTL_EXIT_OK;
    case COGOV__V1__STATUS_CODE__STATUS_INVALID:
        return CTL_EXIT_INVALID;
    case COGOV__V1__STATUS_CODE__STATUS_NOT_FOUND:
        return CTL_EXIT_NOT_FOUND;
    case COGOV__V1__STATUS_CODE__STATUS_PERMISSION_DENIED:
    case COGOV__V1__STATUS_CODE__STATUS_UNAUTHENTICATED:
        return CTL_EXIT_DENIED;
    case COGOV__V1__STATUS_CODE__STATUS_CONFLICT:
        return CTL_EXIT_CONFLICT;
    case COGOV__V1__STATUS_CODE__STATUS_UNAVAILABLE:
        return CTL_EXIT_UNAVAILABLE;
    default:
        return CTL_EXIT_INTERNAL;
    }
}

/* ---- formatting --------------------------------------------------------- */

void
fmt_time(int64_t t, int utc_offset_s, char *buf, size_t size)
{
    if (t == 0) {
        str_copy(buf, size, "-");
        return;
    }
    time_format(t, utc_offset_s, buf, size);
}

void
fmt_duration(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, size, "%lldm%02llds", (long long)(s / 60),
                 (long long)(s % 60));
    else
        snprintf(buf, size, "%llds", (long long)s);
}

void
fmt_bytes(int64_t n, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, size, "%lld B", (long long)n);
        return;
    }
    double v = (double)n;
    size_t u = 0;
    v /= 1024;
    while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* ---- protobuf rendering ------------------------------------------------- */

/* Is field f of m present (for optional and oneof fields)? */
static bool
pb_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    const void *member = base + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return true;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
        f->type == PROTOBUF_C_TYPE_STRING) {
        const void *p = *(const void *const *)member;
        return p != NULL &&
               (f->label == PROTOBUF_C_LABEL_REQUIRED || p != f->default_value);
    }
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    return true;
}

static void
base64(sbuf_t *b, const uint8_t *d, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sbuf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                     i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        sbuf_add(b, q, 4);
    }
    sbuf_putc(b, '"');
}

static void
pbjson_value(jw_t *w, const ProtobufCFieldDescriptor *f, const void *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        jw_int(w, *(const int32_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        jw_uint(w, *(const uint32_t *)v);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        jw_int(w, *(const int64_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        jw_uint(w, *(const uint64_t *)v);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        jw_sep(w);
        sbuf_printf(w->out, "%.9g", (double)*(const float *)v);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        jw_sep(w);
        sbuf_printf(w->out, "%.17g", *(const double *)v);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        jw_bool(w, *(const protobuf_c_boolean *)v != 0);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int e = *(const int *)v;
        const char *s = enum_short(f->descriptor, e);
        if (s != NULL)
            jw_str(w, s);
        else
            jw_int(w, e);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        jw_str(w, *(char *const *)v);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = v;
        jw_sep(w);
        base64(w->out, bd->data, bd->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)v;
        if (sub == NULL)
            jw_null(w);
        else
            pbjson_message(w, sub);
        break;
    }
    }
}

void
pbjson_fields(jw_t *w, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!pb_present(m, f))
            continue;
        jw_key(w, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(const char *const *)(base + f->offset);
            size_t es = pb_elem_size(f->type);
            jw_arr(w);
            for (size_t k = 0; k < n; k++)
                pbjson_value(w, f, arr + k * es);
            jw_arr_end(w);
        } else {
            pbjson_value(w, f, base + f->offset);
        }
    }
}

void
pbjson_message(jw_t *w, const ProtobufCMessage *m)
{
    jw_obj(w);
    pbjson_fields(w, m);
    jw_obj_end(w);
}

const ProtobufCMessage *
pb_oneof_message(const ProtobufCMessage *m, uint32_t case_value)
{
    if (case_value == 0)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(m->descriptor, case_value);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
        !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || !pb_present(m, f))
        return NULL;
    return *(const ProtobufCMessage *const *)((const char *)m + f->offset);
}

/* Is an int64 field a business time (Unix seconds)? recorded_at is wall
 * microseconds and handled by the caller. */
static bool
is_time_field(const ProtobufCFieldDescriptor *f)
{
    static const char *const names[] = {"now", "previous", "to",
                                        "business_time"};
    if (f->type != PROTOBUF_C_TYPE_INT64)
        return false;
    size_t n = strlen(f->name);
    if (n > 3 && strcmp(f->name + n - 3, "_at") == 0)
        return true;
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(f->name, names[i]) == 0)
            return true;
    return false;
}

/* Text of one scalar value (not a message). */
static void
pbtext_value(sbuf_t *b, const ProtobufCFieldDescriptor *f, const void *v,
             int off)
{
    char tb[32];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        sbuf_printf(b, "%d", *(const int32_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        sbuf_printf(b, "%u", *(const uint32_t *)v);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t x = *(const int64_t *)v;
        if (strcmp(f->name, "recorded_at") == 0) {
            fmt_time(x / 1000000, off, tb, sizeof tb);
            sbuf_puts(b, tb);
        } else if (is_time_field(f)) {
            fmt_time(x, off, tb, sizeof tb);
            sbuf_puts(b, tb);
        } else {
            sbuf_printf(b, "%lld", (long long)x);
        }
        break;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        sbuf_printf(b, "%llu", (unsigned long long)*(const uint64_t *)v);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        sbuf_printf(b, "%g", (double)*(const float *)v);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        sbuf_printf(b, "%g", *(const double *)v);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        sbuf_puts(b, *(const protobuf_c_boolean *)v ? "yes" : "no");
        break;
    case PROTOBUF_C_TYPE_ENUM:
        sbuf_puts(b, enum_text(f->descriptor, *(const int *)v));
        break;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)v;
        sbuf_puts(b, s != NULL ? s : "");
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        sbuf_printf(b, "<%zu bytes>", ((const ProtobufCBinaryData *)v)->len);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        sbuf_puts(b, "{...}");
        break;
    }
}

/* Text of a nested message on one line: "producer=a seq=3". */
static void
pbtext_inline(sbuf_t *b, const ProtobufCMessage *m, int off)
{
    pbsummary(b, m, off);
}

static void
pbshow_line(sbuf_t *b, const char *label, size_t lw, const char *val)
{
    sbuf_pad(b, label, lw, false);
    sbuf_puts(b, "  ");
    /* Multi-line text is indented under its label. */
    for (const char *p = val; *p != 0; p++) {
        sbuf_putc(b, *p);
        if (*p == '\n' && p[1] != 0)
            for (size_t i = 0; i < lw + 2; i++)
                sbuf_putc(b, ' ');
    }
    sbuf_putc(b, '\n');
}

void
pbshow(sbuf_t *b, const ProtobufCMessage *m, int utc_offset_s)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    size_t lw = 0;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (pb_present(m, &d->fields[i]) && strlen(d->fields[i].name) > lw)
            lw = strlen(d->fields[i].name);
    sbuf_t v = {0};
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!pb_present(m, f))
            continue;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            sbuf_reset(&v);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                pbtext_inline(
                    &v, *(const ProtobufCMessage *const *)(base + f->offset),
                    utc_offset_s);
            else
                pbtext_value(&v, f, base + f->offset, utc_offset_s);
            pbshow_line(b, f->name, lw, v.p);
            continue;
        }
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *arr = *(const char *const *)(base + f->offset);
        size_t es = pb_elem_size(f->type);
        if (n == 0)
            pbshow_line(b, f->name, lw, "-");
        for (size_t k = 0; k < n; k++) {
            sbuf_reset(&v);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                pbtext_inline(&v,
                              *(const ProtobufCMessage *const *)(arr + k * es),
                              utc_offset_s);
            else
                pbtext_value(&v, f, arr + k * es, utc_offset_s);
            pbshow_line(b, k == 0 ? f->name : "", lw, v.p);
        }
    }
    sbuf_free(&v);
}

void
pbsummary(sbuf_t *b, const ProtobufCMessage *m, int utc_offset_s)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    sbuf_t v = {0};
    bool first = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!pb_present(m, f) || strcmp(f->name, "body") == 0)
            continue;
        sbuf_reset(&v);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (n == 0)
                continue;
            sbuf_printf(&v, "%zu", n);
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            continue;
        } else {
            pbtext_value(&v, f, base + f->offset, utc_offset_s);
        }
        if (!first)
            sbuf_putc(b, ' ');
        first = false;
        sbuf_puts(b, f->name);
        sbuf_putc(b, '=');
        bool quote = strchr(v.p, ' ') != NULL || v.len == 0;
        if (quote)
            sbuf_putc(b, '"');
        /* Newlines would break the one-line format. */
        for (char *p = v.p; *p != 0; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        sbuf_put_width(b, v.p, 40);
        if (quote)
            sbuf_putc(b, '"');
    }
    sbuf_free(&v);
}

/* ---- tables -------------------------------------------------------------- */

struct table {
    size_t ncols;
    char **hdr;
    bool *right;
    char **cells;
    size_t ncells;
    size_t cap;
};

table_t *
table_new(size_t ncols, const char *const *headers)
{
    table_t *t = xcalloc(1, sizeof *t);
    t->ncols = ncols;
    t->hdr = xcalloc(ncols, sizeof *t->hdr);
    t->right = xcalloc(ncols, sizeof *t->right);
    for (size_t i = 0; i < ncols; i++) {
        const char *h = headers[i];
        if (h[0] == '>') {
            t->right[i] = true;
            h++;
        }
        t->hdr[i] = xstrdup(h);
    }
    return t;
}

void
table_destroy(table_t **tp)
{
    table_t *t = *tp;
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->hdr[i]);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->hdr);
    free(t->right);
    free(t->cells);
    free(t);
    *tp = NULL;
}

void
table_cell(table_t *t, const char *s)
{
    if (t->ncells == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cells = xrealloc(t->cells, t->cap * sizeof *t->cells);
    }
    char *c = xstrdup(str_empty(s) ? "-" : s);
    /* One row per line: control characters become spaces. */
    for (char *p = c; *p != 0; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    t->cells[t->ncells++] = c;
}

void
table_cellf(table_t *t, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    table_cell(t, s);
    free(s);
}

void
table_render(const table_t *t, sbuf_t *out)
{
    size_t *w = xcalloc(t->ncols, sizeof *w);
    for (size_t c = 0; c < t->ncols; c++)
        w[c] = str_width(t->hdr[c]);
    for (size_t i = 0; i < t->ncells; i++) {
        size_t sw = str_width(t->cells[i]);
        if (sw > w[i % t->ncols])
            w[i % t->ncols] = sw;
    }
    size_t nrows = (t->ncells + t->ncols - 1) / t->ncols;
    for (size_t r = 0; r <= nrows; r++) {
        size_t start = out->len;
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s;
            if (r == 0)
                s = t->hdr[c];
            else if ((r - 1) * t->ncols + c < t->ncells)
                s = t->cells[(r - 1) * t->ncols + c];
            else
                s = "";
            if (c > 0)
                sbuf_puts(out, "  ");
            sbuf_pad(out, s, w[c], t->right[c]);
        }
        /* No trailing blanks. */
        while (out->len > start && out->p[out->len - 1] == ' ')
            out->p[--out->len] = 0;
        sbuf_putc(out, '\n');
    }
    free(w);
}

void
list_render(sbuf_t *b, bool json, ProtobufCMessage *const *items, size_t n,
            void (*row)(table_t *t, const ProtobufCMessage *m), size_t ncols,
            const char *const *hdr)
{
    if (json) {
        jw_t w;
        jw_init(&w, b);
        jw_arr(&w);
        for (size_t i = 0; i < n; i++)
            pbjson_message(&w, items[i]);
        jw_arr_end(&w);
        sbuf_putc(b, '\n');
        return;
    }
    table_t *t = table_new(ncols, hdr);
    for (size_t i = 0; i < n; i++)
        row(t, items[i]);
    table_render(t, b);
    table_destroy(&t);
}

/* ---- options ------------------------------------------------------------- */

int
ctl_opt_store(ctl_t *c, int idx, const char *value, void *arg)
{
    (void)c;
    ((const char **)arg)[idx] = value != NULL ? value : "1";
    return 0;
}

/* ---- CSV --------------------------------------------------------------- */

void
csv_init(csv_t *c, const char *data, size_t len)
{
    c->data = data;
    c->len = len;
    c->pos = 0;
    c->line = 1;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        c->pos = 3;
}

void
csv_row_clear(csv_row_t *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->fields[i]);
    free(row->fields);
    row->fields = NULL;
    row->n = 0;
    row->line = 0;
}

static void
csv_push(csv_row_t *row, sbuf_t *f)
{
    row->fields = xrealloc(row->fields, (row->n + 1) * sizeof *row->fields);
    row->fields[row->n++] = xstrdup(f->p != NULL ? f->p : "");
    sbuf_reset(f);
}

int
csv_next(csv_t *c, csv_row_t *row, char *err, size_t errlen)
{
    csv_row_clear(row);
    /* Skip blank lines. */
    for (;;) {
        if (c->pos >= c->len)
            return 0;
        if (c->data[c->pos] == '\n') {
            c->pos++;
            c->line++;
        } else if (c->data[c->pos] == '\r' && c->pos + 1 < c->len &&
                   c->data[c->pos + 1] == '\n') {
            c->pos += 2;
            c->line++;
        } else {
            break;
        }
    }
    row->line = c->line;
    sbuf_t f = {0};
    sbuf_init(&f);
    int rc = 1;
    for (;;) {
        /* At the start of a field. */
        if (c->pos < c->len && c->data[c->pos] == '"') {
            size_t qline = c->line;
            c->pos++;
            for (;;) {
                if (c->pos >= c->len) {
                    snprintf(err, errlen, "line %zu: unterminated quoted field",
                             qline);
                    rc = -EINVAL;
                    goto done;
                }
                char ch = c->data[c->pos++];
                if (ch == '"') {
                    if (c->pos < c->len && c->data[c->pos] == '"') {
                        sbuf_putc(&f, '"');
                        c->pos++;
                        continue;
                    }
                    break;
                }
                if (ch == '\n')
                    c->line++;
                sbuf_putc(&f, ch);
            }
            /* After the closing quote: a separator or the end of the record. */
            if (c->pos < c->len && c->data[c->pos] != ',' &&
                c->data[c->pos] != '\n' &&
                !(c->data[c->pos] == '\r' &&
                  (c->pos + 1 == c->len || c->data[c->pos + 1] == '\n'))) {
                snprintf(err, errlen, "line %zu: text after a closing quote",
                         c->line);
                rc = -EINVAL;
                goto done;
            }
        } else {
            while (c->pos < c->len) {
                char ch = c->data[c->pos];
                if (ch == ',' || ch == '\n')
                    break;
                if (ch == '\r' &&
                    (c->pos + 1 == c->len || c->data[c->pos + 1] == '\n'))
                    break;
                if (ch == '"') {
                    snprintf(err, errlen,
                             "line %zu: quote inside an unquoted field",
                             c->line);
                    rc = -EINVAL;
                    goto done;
                }
                sbuf_putc(&f, ch);
                c->pos++;
            }
        }
        csv_push(row, &f);
        if (c->pos >= c->len)
            break;
        char ch = c->data[c->pos++];
        if (ch == ',')
            continue;
        if (ch == '\r' && c->pos < c->len && c->data[c->pos] == '\n')
            c->pos++;
        c->line++;
        break;
    }
    /* A whole record read: its text must be UTF-8 (the next record starts
     * where this one ended, so no resynchronization). */
    for (size_t i = 0; i < row->n; i++)
        if (!valid_utf8(row->fields[i], strlen(row->fields[i]))) {
            snprintf(err, errlen, "line %zu: field %zu is not valid UTF-8",
                     row->line, i + 1);
            csv_row_clear(row);
            sbuf_free(&f);
            return -EINVAL;
        }
done:
    sbuf_free(&f);
    if (rc < 0) {
        /* Resynchronize after the bad line so a caller could go on. */
        while (c->pos < c->len && c->data[c->pos] != '\n')
            c->pos++;
        if (c->pos < c->len) {
            c->pos++;
            c->line++;
        }
        csv_row_clear(row);
    }
    return rc;
}

int
import_header(const csv_row_t *hdr, int col[IMP_NCOLS], char *err,
              size_t errlen)
{
    static const char *const names[IMP_NCOLS] = {
        "uscc",         "name",          "type",
        "contact_name", "contact_phone", "contact_email"};
    for (int i = 0; i < IMP_NCOLS; i++)
        col[i] = -1;
    for (size_t k = 0; k < hdr->n; k++) {
        char *h = str_trim(xstrdup(hdr->fields[k]));
        int found = -1;
        for (int i = 0; i < IMP_NCOLS; i++)
            if (name_eq(h, names[i]))
                found = i;
        if (found < 0) {
            snprintf(err, errlen,
                     "line %zu: unknown column \"%s\" (expected "
                     "uscc,name,type,contact_name,contact_phone,contact_email)",
                     hdr->line, h);
            free(h);
            return -EINVAL;
        }
        free(h);
        if (col[found] >= 0) {
            snprintf(err, errlen, "line %zu: column \"%s\" appears twice",
                     hdr->line, names[found]);
            return -EINVAL;
        }
        col[found] = (int)k;
    }
    for (int i = 0; i <= IMP_TYPE; i++) {
        if (col[i] < 0) {
            snprintf(err, errlen, "line %zu: missing column \"%s\"", hdr->line,
                     names[i]);
            return -EINVAL;
        }
    }
    return 0;
}

void
import_request_id(const csv_row_t *row, const char *prefix, char *buf,
                  size_t size)
{
    sbuf_t b = {0};
    sbuf_init(&b);
    for (size_t i = 0; i < row->n; i++) {
        if (i > 0)
            sbuf_putc(&b, 0x1f);
        sbuf_puts(&b, row->fields[i]);
    }
    snprintf(buf, size, "%s-%016llx", prefix,
             (unsigned long long)hash64(b.p, b.len));
    sbuf_free(&b);
}
