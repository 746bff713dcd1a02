/* config: table-driven "key = value" files with defaults, bounds and
 * file:line errors. '#' starts a comment line; blank lines are ignored;
 * whitespace around key and value is trimmed; a value may be wrapped in
 * double quotes. Unknown keys and duplicate keys are errors. */
#ifndef COGOV_CONFIG_H
#define COGOV_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CFG_STR_MAX 256

typedef enum { CFG_STRING, CFG_INT, CFG_BOOL } cfg_type_t;

/* One key. The value lives at `offset` in the section's object:
 * CFG_STRING -> char[CFG_STR_MAX], CFG_INT -> long long, CFG_BOOL -> bool.
 * `def` is the default as text (NULL = "" / 0 / false); min/max bound
 * CFG_INT values (both 0: unbounded). */
typedef struct cfg_field {
    const char *key;
    cfg_type_t type;
    size_t offset;
    const char *def;
    long long min;
    long long max;
    const char *help;
} cfg_field_t;

/* A table and the object it fills; a daemon has a common section and its
 * own, loaded from one file. A table ends with an entry whose key is NULL. */
typedef struct cfg_section {
    const cfg_field_t *fields;
    void *obj;
} cfg_section_t;

/* Set every field of every section to its default. */
void cfg_defaults(const cfg_section_t *secs, size_t n);

/* Defaults, then the file. Returns 0, or -errno with err = "path:line: what"
 * (-ENOENT if the file cannot be opened, -EINVAL for content). On error the
 * objects hold defaults plus whatever came before the bad line. */
int cfg_load(const cfg_section_t *secs, size_t n, const char *path, char *err,
             size_t errlen);

/* Parse one "key = value" setting (as from the command line). */
int cfg_set(const cfg_section_t *secs, size_t n, const char *key,
            const char *value, char *err, size_t errlen);

/* Write a sample file documenting every key with its help and current
 * value. */
void cfg_write_sample(const cfg_section_t *secs, size_t n, FILE *out);

#endif
