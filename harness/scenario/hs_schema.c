/*
 * hs_schema: table-driven validation of JSON files. See hs_schema.h.
 *
 * Messages are built from an hs_where chain: walked up once for the index
 * path that finds the position (scenario/hs_jsonpos) and once for the name
 * people read. Both are bounded (WHERE_MAX steps, fixed buffers), since a
 * file may nest as deep as it likes.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_buf.h"
#include "scenario/hs_jsonpos.h"
#include "scenario/hs_schema.h"

#define PATH_MAX_LEN 1024
#define WHERE_MAX 16

/* ---- where a value sits, for messages --------------------------------- */

enum { AT_VALUE, AT_KEY };

hs_where hs_where_member(const hs_where *up, const char *key)
{
    hs_where w = { up, key, 0 };
    return w;
}

hs_where hs_where_element(const hs_where *up, size_t index)
{
    hs_where w = { up, NULL, index };
    return w;
}

/*
 * Escape src for a message: printable ASCII stays, any other byte becomes
 * \xNN, so a file can never put terminal controls on a screen. Long input is
 * cut with "...". With quotes, the result is a quoted string.
 */
static const char *escape(char *dst, size_t size, const char *src,
                          int quotes)
{
    size_t n = 0, room = size - (quotes ? 5 : 4);

    if (quotes)
        dst[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char piece[8];
        size_t k;

        if (quotes && (*p == '"' || *p == '\\'))
            snprintf(piece, sizeof(piece), "\\%c", *p);
        else if (*p < 0x20 || *p > 0x7e)
            snprintf(piece, sizeof(piece), "\\x%02x", *p);
        else
            snprintf(piece, sizeof(piece), "%c", *p);
        k = strlen(piece);
        if (n + k > room) {
            memcpy(dst + n, "...", 3);
            n += 3;
            break;
        }
        memcpy(dst + n, piece, k);
        n += k;
    }
    if (quotes)
        dst[n++] = '"';
    dst[n] = '\0';
    return dst;
}

const char *hs_schema_escape(char *dst, size_t size, const char *src)
{
    return escape(dst, size, src, 0);
}

const char *hs_schema_quote(char *dst, size_t size, const char *src)
{
    return escape(dst, size, src, 1);
}

/* Keys shown bare in a field path: short, and nothing needing escapes. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_-$", *s))
            return 0;
    return 1;
}

static void human_segment(const hs_where *w, char *human, size_t hsize)
{
    size_t len = strlen(human);
    char q[HS_SCHEMA_QUOTE_MAX];

    if (!w->key)
        snprintf(human + len, hsize - len, "[%zu]", w->index);
    else if (plain_name(w->key))
        snprintf(human + len, hsize - len, "%s%s", len ? "." : "", w->key);
    else
        snprintf(human + len, hsize - len, "[%s]",
                 hs_schema_quote(q, sizeof(q), w->key));
}

/*
 * The two spellings of a place: the index path ("steps/3/match") and the
 * one people read ("steps[3].match"). A segment too long for the index path
 * ends it there, so the position falls back to the nearest ancestor.
 */
static void where_paths(const hs_where *w, char *path, size_t psize,
                        char *human, size_t hsize)
{
    const hs_where *chain[WHERE_MAX];
    size_t n = 0;
    int path_ok = 1;

    for (; w && n < WHERE_MAX; w = w->up)
        chain[n++] = w;
    path[0] = '\0';
    if (human)
        human[0] = '\0';
    while (n-- > 0) {
        char seg[32];
        const char *s = chain[n]->key;

        if (!s) {
            snprintf(seg, sizeof(seg), "%zu", chain[n]->index);
            s = seg;
        }
        if (path_ok && hs_jsonpos_path_add(path, psize, s) != HS_JPOS_OK)
            path_ok = 0;
        if (human)
            human_segment(chain[n], human, hsize);
    }
    if (human && !human[0])
        snprintf(human, hsize, "top level");
}

static hs_jpos position(const hs_schema_ctx *c, const hs_where *w, int at)
{
    char path[PATH_MAX_LEN];
    hs_jpos p = { 1, 1, 0, 0 };
    int r;

    where_paths(w, path, sizeof(path), NULL, 0);
    r = c->pos ? hs_jsonpos_find(c->pos, path, &p) : HS_JPOS_ERR;
    if (r == HS_JPOS_ERR) {
        p.line = p.col = 1;
    } else if (at == AT_KEY && r == 0 && p.key_line > 0) {
        p.line = p.key_line;
        p.col = p.key_col;
    }
    return p;
}

/*
 * Write "FILE:LINE:COL: FIELD: message". name is the field the message is
 * about, spot the value (or key) whose position is given.
 */
static int vfail(const hs_schema_ctx *c, const hs_where *name,
                 const hs_where *spot, int at, const char *fmt, va_list ap)
{
    char path[PATH_MAX_LEN], human[256], msg[768];
    hs_jpos p = position(c, spot, at);

    if (!c->err || c->errlen == 0)
        return HS_SCHEMA_ERR;
    where_paths(name, path, sizeof(path), human, sizeof(human));
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(c->err, c->errlen, "%s:%d:%d: %s: %s", c->name, p.line, p.col,
             human, msg);
    return HS_SCHEMA_ERR;
}

int hs_schema_fail(const hs_schema_ctx *c, const hs_where *w,
                   const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, w, w, AT_VALUE, fmt, ap);
    va_end(ap);
    return r;
}

int hs_schema_fail_key(const hs_schema_ctx *c, const hs_where *name,
                       const hs_where *spot, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, name, spot, AT_KEY, fmt, ap);
    va_end(ap);
    return r;
}

int hs_schema_line(const hs_schema_ctx *c, const hs_where *w)
{
    return position(c, w, AT_VALUE).line;
}

const char *hs_schema_found(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a whole number";
    case JSON_REAL: return "a decimal number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* ---- suggestions ------------------------------------------------------ */

#define EDIT_MAX 64

/*
 * Optimal string alignment distance: Levenshtein plus adjacent swaps, the
 * commonest typo ("tyep"). Long strings are not compared (SIZE_MAX).
 */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[3][EDIT_MAX + 1];

    if (la > EDIT_MAX || lb > EDIT_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = row[i % 3], *prev = row[(i - 1) % 3];
        size_t *prev2 = row[(i + 1) % 3];

        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t d = prev[j - 1] + cost;

            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
    }
    return row[la % 3][lb];
}

/* The allowed name s was most likely meant as, or NULL when none is close. */
const char *hs_schema_closest(const char *const *names, const char *s)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, ls = strlen(s);

    for (size_t i = 0; names[i]; i++) {
        size_t d = edit_distance(names[i], s), limit = strlen(names[i]) / 3;

        if (limit < 1)
            limit = 1;
        if (d <= limit && d < ls && d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    for (size_t i = 0; !best && ls >= 4 && names[i]; i++)
        if (strstr(names[i], s))
            best = names[i];
    return best;
}

const char *hs_schema_join(char *dst, size_t size, const char *const *names)
{
    size_t n = 0;

    dst[0] = '\0';
    for (size_t i = 0; names[i] && n < size; i++)
        n += snprintf(dst + n, size - n, "%s%s", i ? ", " : "", names[i]);
    return dst;
}

/* "...; did you mean "x"?" when one is close, else the full list. */
void hs_schema_advice(char *dst, size_t size, const char *const *names,
                      const char *s)
{
    const char *near = hs_schema_closest(names, s);
    char list[600];

    if (near)
        snprintf(dst, size, "did you mean \"%s\"?", near);
    else
        snprintf(dst, size, "allowed: %s",
                 hs_schema_join(list, sizeof(list), names));
}

/* ---- walking objects -------------------------------------------------- */

static const hs_field *find_field(const hs_table *tabs, size_t ntabs,
                                  const char *key, void **base)
{
    for (size_t t = 0; t < ntabs; t++)
        for (const hs_field *f = tabs[t].fields; f->key; f++)
            if (strcmp(f->key, key) == 0) {
                if (base)
                    *base = tabs[t].base;
                return f;
            }
    return NULL;
}

static int unknown_key(const hs_schema_ctx *c, const hs_where *w,
                       const char *key, const hs_table *tabs, size_t ntabs,
                       const char *what)
{
    const char *names[64];
    size_t n = 0;
    char q[HS_SCHEMA_QUOTE_MAX], hint[700];
    hs_where m = hs_where_member(w, key);

    for (size_t t = 0; t < ntabs; t++)
        for (const hs_field *f = tabs[t].fields; f->key && n < 63; f++)
            names[n++] = f->key;
    names[n] = NULL;
    hs_schema_advice(hint, sizeof(hint), names, key);
    return hs_schema_fail_key(c, w, &m, "unknown key %s%s; %s",
                              hs_schema_quote(q, sizeof(q), key), what, hint);
}

/*
 * Unknown keys are refused before any value is looked at: a typo explains
 * more than the "missing key" it causes.
 */
int hs_schema_object(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                     const hs_table *tabs, size_t ntabs, const char *what)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return hs_schema_fail(c, w, "must be an object, not %s",
                              hs_schema_found(obj));
    json_object_foreach(obj, key, v)
        if (!find_field(tabs, ntabs, key, NULL))
            return unknown_key(c, w, key, tabs, ntabs, what);
    json_object_foreach(obj, key, v) {
        void *base = NULL;
        const hs_field *f = find_field(tabs, ntabs, key, &base);
        hs_where m = hs_where_member(w, key);

        if (f->parse && f->parse(c, &m, v, (char *)base + f->off, f) != 0)
            return HS_SCHEMA_ERR;
    }
    return HS_SCHEMA_OK;
}

int hs_schema_require(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      const char *key)
{
    if (json_object_get(obj, key))
        return HS_SCHEMA_OK;
    return hs_schema_fail(c, w, "missing required key \"%s\"", key);
}

int hs_schema_present_iff(const hs_schema_ctx *c, const hs_where *w,
                          json_t *obj, const char *key, int wanted,
                          const char *when)
{
    int has = json_object_get(obj, key) != NULL;
    hs_where m = hs_where_member(w, key);

    if (wanted && !has)
        return hs_schema_fail(c, w, "missing key \"%s\", required %s", key,
                              when);
    if (!wanted && has)
        return hs_schema_fail_key(c, &m, &m, "only allowed %s", when);
    return HS_SCHEMA_OK;
}

/* ---- values ----------------------------------------------------------- */

int hs_schema_int(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                  long long lo, long long hi, long long *out)
{
    char range[80];

    if (hi == LLONG_MAX)
        snprintf(range, sizeof(range), "%lld or more", lo);
    else
        snprintf(range, sizeof(range), "from %lld to %lld", lo, hi);
    if (!json_is_integer(v))
        return hs_schema_fail(c, w, "must be a whole number %s, not %s", range,
                              hs_schema_found(v));
    *out = json_integer_value(v);
    if (*out < lo || *out > hi)
        return hs_schema_fail(c, w, "must be a whole number %s, not %lld",
                              range, *out);
    return HS_SCHEMA_OK;
}

int hs_field_int(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                 void *dst, const hs_field *f)
{
    long long x;

    if (hs_schema_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCHEMA_ERR;
    *(int *)dst = (int)x;
    return HS_SCHEMA_OK;
}

int hs_field_long(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    long long x;

    if (hs_schema_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCHEMA_ERR;
    *(long *)dst = (long)x;
    return HS_SCHEMA_OK;
}

int hs_field_size(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    long long x;

    if (hs_schema_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCHEMA_ERR;
    *(size_t *)dst = (size_t)x;
    return HS_SCHEMA_OK;
}

int hs_field_i64(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                 void *dst, const hs_field *f)
{
    long long x;

    if (hs_schema_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCHEMA_ERR;
    *(int64_t *)dst = (int64_t)x;
    return HS_SCHEMA_OK;
}

int hs_field_bool(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    if (!json_is_boolean(v))
        return hs_schema_fail(c, w, "must be true or false, not %s",
                              hs_schema_found(v));
    *(int *)dst = json_is_true(v);
    return HS_SCHEMA_OK;
}

int hs_field_prob(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    double p;

    if (!json_is_number(v))
        return hs_schema_fail(c, w, "must be a probability (a number above 0 "
                              "and at most 1, e.g. 0.25), not %s",
                              hs_schema_found(v));
    p = json_number_value(v);
    if (!(p > 0.0 && p <= 1.0))
        return hs_schema_fail(c, w, "must be above 0 and at most 1 (e.g. "
                              "0.25), not %g", p);
    *(double *)dst = p;
    return HS_SCHEMA_OK;
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 1;
    return 0;
}

int hs_schema_string(const hs_schema_ctx *c, const hs_where *w,
                     const json_t *v, int rules, const char **out)
{
    if (!json_is_string(v))
        return hs_schema_fail(c, w, "must be a string, not %s",
                              hs_schema_found(v));
    *out = json_string_value(v);
    if ((rules & HS_STR_NONEMPTY) && **out == '\0')
        return hs_schema_fail(c, w, "must not be empty");
    if ((rules & HS_STR_LINE) && has_control(*out))
        return hs_schema_fail(c, w, "must not contain control characters "
                              "such as CR or LF: it goes into the HTTP "
                              "request");
    return HS_SCHEMA_OK;
}

int hs_schema_store_string(const hs_schema_ctx *c, const hs_where *w,
                           const char *s, char **dst)
{
    char *copy = strdup(s);

    if (!copy)
        return hs_schema_fail(c, w, "out of memory");
    free(*dst);
    *dst = copy;
    return HS_SCHEMA_OK;
}

int hs_field_string(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                    void *dst, const hs_field *f)
{
    const char *s = NULL;

    if (hs_schema_string(c, w, v, f->tag, &s) != 0)
        return HS_SCHEMA_ERR;
    return hs_schema_store_string(c, w, s, dst);
}

int hs_schema_enum(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                   const char *const *names, int *out)
{
    char q[HS_SCHEMA_QUOTE_MAX], hint[700];
    const char *s = NULL;

    if (hs_schema_string(c, w, v, 0, &s) != 0)
        return HS_SCHEMA_ERR;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return HS_SCHEMA_OK;
        }
    hs_schema_advice(hint, sizeof(hint), names, s);
    return hs_schema_fail(c, w, "unknown value %s; %s",
                          hs_schema_quote(q, sizeof(q), s), hint);
}

int hs_field_enum(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f)
{
    return hs_schema_enum(c, w, v, f->names, dst);
}

/* One of a few numbers, spelled in f->names ("16", "64"). */
int hs_field_enum_int(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                      void *dst, const hs_field *f)
{
    char num[24], list[64];

    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        for (size_t i = 0; f->names[i]; i++)
            if (strcmp(f->names[i], num) == 0) {
                *(int *)dst = (int)json_integer_value(v);
                return HS_SCHEMA_OK;
            }
    }
    return hs_schema_fail(c, w, "must be one of: %s",
                          hs_schema_join(list, sizeof(list), f->names));
}

int hs_field_enum_str(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                      void *dst, const hs_field *f)
{
    int i;

    if (hs_schema_enum(c, w, v, f->names, &i) != 0)
        return HS_SCHEMA_ERR;
    return hs_schema_store_string(c, w, f->names[i], dst);
}

int hs_schema_array(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                    const char *of)
{
    if (!json_is_array(v))
        return hs_schema_fail(c, w, "must be an array of %s, not %s", of,
                              hs_schema_found(v));
    return HS_SCHEMA_OK;
}

void hs_schema_strlist_free(char **list)
{
    if (!list)
        return;
    for (size_t i = 0; list[i]; i++)
        free(list[i]);
    free(list);
}

int hs_field_strlist(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                     void *dst, const hs_field *f)
{
    size_t n;
    char **list;

    if (hs_schema_array(c, w, v, "strings") != 0)
        return HS_SCHEMA_ERR;
    n = json_array_size(v);
    list = calloc(n + 1, sizeof(*list));
    if (!list)
        return hs_schema_fail(c, w, "out of memory");
    for (size_t i = 0; i < n; i++) {
        hs_where e = hs_where_element(w, i);
        const char *s = NULL;

        if (hs_schema_string(c, &e, json_array_get(v, i), f->tag, &s) != 0 ||
            hs_schema_store_string(c, &e, s, &list[i]) != 0) {
            hs_schema_strlist_free(list);
            return HS_SCHEMA_ERR;
        }
    }
    hs_schema_strlist_free(*(char ***)dst);
    *(char ***)dst = list;
    return HS_SCHEMA_OK;
}

size_t hs_schema_count_keys(json_t *obj, const char *const *names,
                            const char **second)
{
    const char *key;
    json_t *v;
    size_t n = 0;

    json_object_foreach(obj, key, v)
        for (size_t i = 0; names[i]; i++) {
            if (strcmp(key, names[i]) != 0)
                continue;
            n++;
            if (n == 2)
                *second = key;
        }
    return n;
}

const char *hs_schema_first_key(json_t *obj, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        if (json_object_get(obj, keys[i]))
            return keys[i];
    return NULL;
}

/* ---- documents -------------------------------------------------------- */

/* A syntax error, placed by jansson; its text may quote the input. */
static int syntax_error(const char *name, const json_error_t *je, char *err,
                        size_t errlen)
{
    char safe[200];

    hs_errf(err, errlen, "%s:%d:%d: not valid JSON: %s", name,
            je->line > 0 ? je->line : 1, je->column > 0 ? je->column : 1,
            hs_schema_escape(safe, sizeof(safe), je->text));
    return HS_SCHEMA_ERR;
}

int hs_schema_doc_parse(hs_schema_doc *d, const char *name, const char *text,
                        size_t len, size_t max, const char *noun, char *err,
                        size_t errlen)
{
    json_error_t je;

    memset(d, 0, sizeof(*d));
    if (len > max) {
        hs_errf(err, errlen, "%s: %zu bytes is more than %s may hold (%zu)",
                name, len, noun, max);
        return HS_SCHEMA_ERR;
    }
    d->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!d->root)
        return syntax_error(name, &je, err, errlen);
    if (hs_jsonpos_build(text, len, &d->pos) != HS_JPOS_OK) {
        hs_schema_doc_free(d);
        hs_errf(err, errlen, "%s: out of memory", name);
        return HS_SCHEMA_ERR;
    }
    d->ctx.name = name;
    d->ctx.pos = d->pos;
    d->ctx.err = err;
    d->ctx.errlen = errlen;
    return HS_SCHEMA_OK;
}

void hs_schema_doc_free(hs_schema_doc *d)
{
    json_decref(d->root);
    hs_jsonpos_free(d->pos);
    memset(d, 0, sizeof(*d));
}

int hs_schema_read_file(const char *path, size_t max, char **text,
                        size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    int failed, e;

    if (!f) {
        hs_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return HS_SCHEMA_ERR;
    }
    buf = max < SIZE_MAX ? malloc(max + 1) : NULL;
    if (!buf) {
        fclose(f);
        hs_errf(err, errlen, "%s: out of memory", path);
        return HS_SCHEMA_ERR;
    }
    n = fread(buf, 1, max + 1, f);
    failed = ferror(f);
    e = errno;
    fclose(f);
    if (failed) {
        free(buf);
        hs_errf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return HS_SCHEMA_ERR;
    }
    *text = buf;
    *len = n;
    return HS_SCHEMA_OK;
}
