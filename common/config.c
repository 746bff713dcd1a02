/* config: table-driven "key = value" files with defaults, bounds and
 * file:line errors. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static void *
field_ptr(const cfg_section_t *sec, const cfg_field_t *f)
{
    return (char *)sec->obj + f->offset;
}

static int
parse_int(const char *v, long long *out)
{
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end != 0)
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *out = x;
    return 0;
}

static int
parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Store value into the field; on error write "key: what" to err. */
static int
set_value(const cfg_section_t *sec, const cfg_field_t *f, const char *v,
          char *err, size_t errlen)
{
    void *p = field_ptr(sec, f);
    long long x;
    bool b;
    int rc;

    switch (f->type) {
    case CFG_STRING:
        if (strlen(v) >= CFG_STR_MAX) {
            snprintf(err, errlen, "%s: value longer than %d bytes", f->key,
                     CFG_STR_MAX - 1);
            return -EINVAL;
        }
        str_copy(p, CFG_STR_MAX, v);
        return 0;
    case CFG_INT:
        rc = parse_int(v, &x);
        if (rc == -EINVAL) {
            snprintf(err, errlen, "%s: '%s' is not an integer", f->key, v);
            return -EINVAL;
        }
        if (rc == -ERANGE ||
            ((f->min != 0 || f->max != 0) && (x < f->min || x > f->max))) {
            if (f->min != 0 || f->max != 0)
                snprintf(err, errlen, "%s: %s out of range %lld..%lld", f->key,
                         v, f->min, f->max);
            else
                snprintf(err, errlen, "%s: %s out of range", f->key, v);
            return -EINVAL;
        }
        *(long long *)p = x;
        return 0;
    case CFG_BOOL:
        if (parse_bool(v, &b) < 0) {
            snprintf(err, errlen,
                     "%s: '%s' is not a boolean (true/false, yes/no, on/off, "
                     "1/0)",
                     f->key, v);
            return -EINVAL;
        }
        *(bool *)p = b;
        return 0;
    }
    snprintf(err, errlen, "%s: bad field type", f->key);
    return -EINVAL;
}

void
cfg_defaults(const cfg_section_t *secs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (const cfg_field_t *f = secs[i].fields; f && f->key; f++) {
            char err[CFG_STR_MAX + 64];
            const char *def = f->def;
            if (def == NULL)
                def = f->type == CFG_STRING ? ""
                      : f->type == CFG_INT  ? "0"
                                            : "false";
            int rc = set_value(&secs[i], f, def, err, sizeof err);
            assert(rc == 0 && "bad default in a config table");
            if (rc < 0) /* NDEBUG: leave the field zeroed. */
                memset(field_ptr(&secs[i], f), 0,
                       f->type == CFG_STRING ? CFG_STR_MAX
                       : f->type == CFG_INT  ? sizeof(long long)
                                             : sizeof(bool));
        }
    }
}

/* Find key; *index gets its position among all fields (for duplicates). */
static const cfg_field_t *
lookup(const cfg_section_t *secs, size_t n, const char *key,
       const cfg_section_t **sec, size_t *index)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (const cfg_field_t *f = secs[i].fields; f && f->key; f++, k++) {
            if (strcmp(f->key, key) == 0) {
                *sec = &secs[i];
                *index = k;
                return f;
            }
        }
    }
    return NULL;
}

static size_t
count_fields(const cfg_section_t *secs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (const cfg_field_t *f = secs[i].fields; f && f->key; f++)
            k++;
    return k;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

static char *
trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Strip one pair of surrounding double quotes. */
static char *
unquote(char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = 0;
        return v + 1;
    }
    return v;
}

int
cfg_set(const cfg_section_t *secs, size_t n, const char *key, const char *value,
        char *err, size_t errlen)
{
    const cfg_section_t *sec;
    size_t index;
    const cfg_field_t *f = lookup(secs, n, key, &sec, &index);
    if (f == NULL) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -EINVAL;
    }
    return set_value(sec, f, value ? value : "", err, errlen);
}

int
cfg_load(const cfg_section_t *secs, size_t n, const char *path, char *err,
         size_t errlen)
{
    FILE *fp = NULL;
    char *line = NULL;
    size_t cap = 0;
    bool *seen = NULL;
    unsigned lineno = 0;
    char what[CFG_STR_MAX + 128];
    int rc = 0;

    cfg_defaults(secs, n);
    fp = fopen(path, "r");
    if (fp == NULL) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    seen = xcalloc(count_fields(secs, n) + 1, sizeof *seen);

    while (getline(&line, &cap, fp) >= 0) {
        lineno++;
        char *s = trim(line);
        if (s[0] == 0 || s[0] == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(what, sizeof what, "expected 'key = value'");
            rc = -EINVAL;
            break;
        }
        *eq = 0;
        char *key = trim(s);
        char *value = unquote(trim(eq + 1));
        if (key[0] == 0) {
            snprintf(what, sizeof what, "expected 'key = value'");
            rc = -EINVAL;
            break;
        }
        const cfg_section_t *sec;
        size_t index;
        const cfg_field_t *f = lookup(secs, n, key, &sec, &index);
        if (f == NULL) {
            snprintf(what, sizeof what, "unknown key '%.*s'", CFG_STR_MAX, key);
            rc = -EINVAL;
            break;
        }
        if (seen[index]) {
            snprintf(what, sizeof what, "duplicate key '%s'", key);
            rc = -EINVAL;
            break;
        }
        seen[index] = true;
        rc = set_value(sec, f, value, what, sizeof what);
        if (rc < 0)
            break;
    }
    if (rc == 0 && ferror(fp)) {
        rc = -EIO;
        snprintf(err, errlen, "%s:%u: read error", path, lineno);
    } else if (rc < 0) {
        snprintf(err, errlen, "%s:%u: %s", path, lineno, what);
    }

done:
    free(seen);
    free(line);
    if (fp)
        fclose(fp);
    return rc;
}

static void
write_help(const char *help, FILE *out)
{
    if (str_empty(help))
        return;
    const char *p = help;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "# %.*s\n", (int)len, p);
        p += len;
        if (*p == '\n')
            p++;
    }
}

void
cfg_write_sample(const cfg_section_t *secs, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        for (const cfg_field_t *f = secs[i].fields; f && f->key; f++) {
            const void *p = field_ptr(&secs[i], f);
            write_help(f->help, out);
            switch (f->type) {
            case CFG_STRING: {
                const char *s = p;
                size_t len = strlen(s);
                /* Quote what trimming would otherwise change. */
                bool q = len == 0 || is_space(s[0]) || is_space(s[len - 1]) ||
                         (s[0] == '"' && len >= 2 && s[len - 1] == '"');
                fprintf(out, q ? "%s = \"%s\"\n" : "%s = %s\n", f->key, s);
                break;
            }
            case CFG_INT:
                fprintf(out, "%s = %lld\n", f->key, *(const long long *)p);
                break;
            case CFG_BOOL:
                fprintf(out, "%s = %s\n", f->key,
                        *(const bool *)p ? "true" : "false");
                break;
            }
            fputc('\n', out);
        }
    }
}
