/*
 * hs_scenario: load and validate scenario files. See hs_scenario.h.
 *
 * Every object of the format is described by a table of fields: the key, a
 * function that checks and stores the value, and where it goes. One generic
 * walker refuses unknown keys and hands each known one to its function, in
 * file order, so the first error reported is the first one in the file.
 * Rules that tie keys together (required, mutually exclusive, required iff)
 * run after the walk, in one small check function per object.
 *
 * Files are untrusted input (the fuzzer feeds them): every string quoted in
 * a message is escaped, nothing recurses without a bound, sizes are capped.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/hs_deflate.h"
#include "scenario/hs_jsonpos.h"
#include "scenario/hs_match.h"
#include "scenario/hs_scenario.h"

const char *const hs_seed_ids[] = {
    "raw-handler", "wrong-setter", "not-ready", "auth-before-accept",
    "session-provider", "handler-leak", "deps-500", "enum-log",
    "missing-mapping", NULL
};

static const char *const fault_names[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    NULL
};

static const char *const token_kinds[] = {
    "valid", "missing", "expired", "forged", "alg_none", "wrong_secret",
    "garbage", "oversized", NULL
};
static const char *const token_places[] = { "header", "query", NULL };

/* The request line's HTTP version: what a server must refuse, and what it takes. */
static const char *const http_versions[] = { "1.0", "1.1", NULL };

/* RFC 6455 5.2: the extended payload length forms a frame may be forced into. */
static const char *const len_forms[] = { "16", "64", NULL };

/* In hs_fault_mode order. */
static const char *const fault_modes[] = {
    "always", "once", "probability", "after", "nth", NULL
};

static const char *const payload_keys[] = {
    "json", "text", "text_hex", "binary_hex", "raw_hex", "frame", NULL
};

/* In hs_tier order. */
static const char *const tier_keys[] = {
    "ok", "informational", "non_strict", "unimplemented", "failed", NULL
};

/* In hs_outcome order. */
static const char *const outcome_keys[] = {
    "accepted", "refused", "dropped", "other", "agreed", "declined", "invalid",
    "restricted", "incomplete", "match", "mismatch", "closed", "too_big", "silent",
    "answered", NULL
};

/* The outcomes each judging step can observe (see hs_scenario.h). */
static const char *const connect_outcomes[] = {
    "accepted", "refused", "dropped", "other", "incomplete", "agreed", "declined",
    "invalid", "restricted", NULL
};
static const char *const message_outcomes[] = {
    "match", "mismatch", "closed", "too_big", "silent", NULL
};
static const char *const close_outcomes[] = {
    "closed", "dropped", "answered", "silent", NULL
};

static const char *const message_keys[] = {
    "text", "text_hex", "binary_hex", "pong_text", "pong_hex", NULL
};

/* Largest generated payload ("size"): the client's own message ceiling. */
#define SIZE_MAX_BYTES (64 * 1024 * 1024)

#define ID_MAX 128
#define PATH_MAX_LEN 1024
#define WHERE_MAX 16
#define QUOTE_MAX 96
#define TIMEOUT_MAX 600000

/* ---- where a value sits, for messages ---------------------------------- */

/* One step down from a parent: an object member or an array element. */
typedef struct where {
    const struct where *up;
    const char *key;       /* member name; NULL for an array element */
    size_t index;
} where;

static where member(const where *up, const char *key)
{
    where w = { up, key, 0 };
    return w;
}

static where element(const where *up, size_t index)
{
    where w = { up, NULL, index };
    return w;
}

typedef struct ctx {
    const char *name;
    const hs_jsonpos *pos;
    char *err;
    size_t errlen;
} ctx;

enum { AT_VALUE, AT_KEY };

/*
 * Escape src for a message: printable ASCII stays, any other byte becomes
 * \xNN, so a file can never put terminal controls on a screen. Long input is
 * cut with "...". With quotes, the result is a quoted string.
 */
static const char *escape(char *dst, size_t size, const char *src, int quotes)
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

static const char *quote(char *dst, size_t size, const char *src)
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

static void human_segment(const where *w, char *human, size_t hsize)
{
    size_t len = strlen(human);
    char q[QUOTE_MAX];

    if (!w->key)
        snprintf(human + len, hsize - len, "[%zu]", w->index);
    else if (plain_name(w->key))
        snprintf(human + len, hsize - len, "%s%s", len ? "." : "", w->key);
    else
        snprintf(human + len, hsize - len, "[%s]", quote(q, sizeof(q), w->key));
}

/*
 * The two spellings of a place: the index path ("steps/3/match") and the
 * one people read ("steps[3].match"). A segment too long for the index path
 * ends it there, so the position falls back to the nearest ancestor.
 */
static void where_paths(const where *w, char *path, size_t psize,
                        char *human, size_t hsize)
{
    const where *chain[WHERE_MAX];
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

static hs_jpos position(const ctx *c, const where *w, int at)
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
static int vfail(const ctx *c, const where *name, const where *spot, int at,
                 const char *fmt, va_list ap)
{
    char path[PATH_MAX_LEN], human[256], msg[768];
    hs_jpos p = position(c, spot, at);

    if (!c->err || c->errlen == 0)
        return HS_SCN_ERR;
    where_paths(name, path, sizeof(path), human, sizeof(human));
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(c->err, c->errlen, "%s:%d:%d: %s: %s", c->name, p.line, p.col,
             human, msg);
    return HS_SCN_ERR;
}

static int fail(const ctx *c, const where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(const ctx *c, const where *w, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, w, w, AT_VALUE, fmt, ap);
    va_end(ap);
    return r;
}

/* An error about a key itself (unknown, forbidden): points at the key. */
static int fail_key(const ctx *c, const where *name, const where *spot,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_key(const ctx *c, const where *name, const where *spot,
                    const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, name, spot, AT_KEY, fmt, ap);
    va_end(ap);
    return r;
}

static int line_of(const ctx *c, const where *w)
{
    return position(c, w, AT_VALUE).line;
}

static const char *found(const json_t *v)
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
static const char *closest(const char *const *names, const char *s)
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

static const char *join(char *dst, size_t size, const char *const *names)
{
    size_t n = 0;

    dst[0] = '\0';
    for (size_t i = 0; names[i] && n < size; i++)
        n += snprintf(dst + n, size - n, "%s%s", i ? ", " : "", names[i]);
    return dst;
}

/* "...; did you mean "x"?" when one is close, else the full list. */
static void advice(char *dst, size_t size, const char *const *names,
                   const char *s)
{
    const char *near = closest(names, s);
    char list[600];

    if (near)
        snprintf(dst, size, "did you mean \"%s\"?", near);
    else
        snprintf(dst, size, "allowed: %s", join(list, sizeof(list), names));
}

/* ---- field tables ----------------------------------------------------- */

typedef struct field field;

/* Check one value and store it at dst. */
typedef int (*field_fn)(const ctx *c, const where *w, json_t *v, void *dst,
                        const field *f);

struct field {
    const char *key;
    field_fn parse;        /* NULL: the caller handles this key */
    size_t off;            /* destination, from the table's base */
    long long lo, hi;      /* bounds of a number */
    const char *const *names; /* values of an enum */
    int tag;               /* per function: string rules, payload kind */
};

/* The fields of one object, and the struct they are stored into. */
typedef struct table {
    const field *fields;
    void *base;
} table;

/* String rules (field.tag of string fields). */
#define STR_NONEMPTY 1
#define STR_LINE 2         /* goes into an HTTP request: no control bytes */

static const field *find_field(const table *tabs, size_t ntabs,
                               const char *key, void **base)
{
    for (size_t t = 0; t < ntabs; t++)
        for (const field *f = tabs[t].fields; f->key; f++)
            if (strcmp(f->key, key) == 0) {
                if (base)
                    *base = tabs[t].base;
                return f;
            }
    return NULL;
}

static int unknown_key(const ctx *c, const where *w, const char *key,
                       const table *tabs, size_t ntabs, const char *what)
{
    const char *names[64];
    size_t n = 0;
    char q[QUOTE_MAX], hint[700];
    where m = member(w, key);

    for (size_t t = 0; t < ntabs; t++)
        for (const field *f = tabs[t].fields; f->key && n < 63; f++)
            names[n++] = f->key;
    names[n] = NULL;
    advice(hint, sizeof(hint), names, key);
    return fail_key(c, w, &m, "unknown key %s%s; %s",
                    quote(q, sizeof(q), key), what, hint);
}

/*
 * Walk an object against its tables: refuse unknown keys first (a typo
 * explains more than the "missing key" it causes), then store each value.
 * what names the object in messages (" in a \"send\" step"), or "".
 */
static int parse_object(const ctx *c, const where *w, json_t *obj,
                        const table *tabs, size_t ntabs, const char *what)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return fail(c, w, "must be an object, not %s", found(obj));
    json_object_foreach(obj, key, v)
        if (!find_field(tabs, ntabs, key, NULL))
            return unknown_key(c, w, key, tabs, ntabs, what);
    json_object_foreach(obj, key, v) {
        void *base = NULL;
        const field *f = find_field(tabs, ntabs, key, &base);
        where m = member(w, key);

        if (f->parse && f->parse(c, &m, v, (char *)base + f->off, f) != 0)
            return HS_SCN_ERR;
    }
    return HS_SCN_OK;
}

static int require(const ctx *c, const where *w, json_t *obj, const char *key)
{
    if (json_object_get(obj, key))
        return HS_SCN_OK;
    return fail(c, w, "missing required key \"%s\"", key);
}

/* A key that must be present exactly when a condition holds. */
static int present_iff(const ctx *c, const where *w, json_t *obj,
                       const char *key, int wanted, const char *when)
{
    int has = json_object_get(obj, key) != NULL;
    where m = member(w, key);

    if (wanted && !has)
        return fail(c, w, "missing key \"%s\", required %s", key, when);
    if (!wanted && has)
        return fail_key(c, &m, &m, "only allowed %s", when);
    return HS_SCN_OK;
}

/* ---- scalar fields ---------------------------------------------------- */

static int want_int(const ctx *c, const where *w, const json_t *v,
                    long long lo, long long hi, long long *out)
{
    char range[80];

    if (hi == LLONG_MAX)
        snprintf(range, sizeof(range), "%lld or more", lo);
    else
        snprintf(range, sizeof(range), "from %lld to %lld", lo, hi);
    if (!json_is_integer(v))
        return fail(c, w, "must be a whole number %s, not %s", range, found(v));
    *out = json_integer_value(v);
    if (*out < lo || *out > hi)
        return fail(c, w, "must be a whole number %s, not %lld", range, *out);
    return HS_SCN_OK;
}

static int f_int(const ctx *c, const where *w, json_t *v, void *dst,
                 const field *f)
{
    long long x;

    if (want_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCN_ERR;
    *(int *)dst = (int)x;
    return HS_SCN_OK;
}

static int f_long(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    long long x;

    if (want_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCN_ERR;
    *(long *)dst = (long)x;
    return HS_SCN_OK;
}

static int f_size(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    long long x;

    if (want_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCN_ERR;
    *(size_t *)dst = (size_t)x;
    return HS_SCN_OK;
}

static int f_i64(const ctx *c, const where *w, json_t *v, void *dst,
                 const field *f)
{
    long long x;

    if (want_int(c, w, v, f->lo, f->hi, &x) != 0)
        return HS_SCN_ERR;
    *(int64_t *)dst = (int64_t)x;
    return HS_SCN_OK;
}

static int f_bool(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    if (!json_is_boolean(v))
        return fail(c, w, "must be true or false, not %s", found(v));
    *(int *)dst = json_is_true(v);
    return HS_SCN_OK;
}

static int f_prob(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    double p;

    if (!json_is_number(v))
        return fail(c, w, "must be a probability (a number above 0 and at "
                    "most 1, e.g. 0.25), not %s", found(v));
    p = json_number_value(v);
    if (!(p > 0.0 && p <= 1.0))
        return fail(c, w, "must be above 0 and at most 1 (e.g. 0.25), not %g", p);
    *(double *)dst = p;
    return HS_SCN_OK;
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 1;
    return 0;
}

static int want_string(const ctx *c, const where *w, const json_t *v,
                       int rules, const char **out)
{
    if (!json_is_string(v))
        return fail(c, w, "must be a string, not %s", found(v));
    *out = json_string_value(v);
    if ((rules & STR_NONEMPTY) && **out == '\0')
        return fail(c, w, "must not be empty");
    if ((rules & STR_LINE) && has_control(*out))
        return fail(c, w, "must not contain control characters such as CR "
                    "or LF: it goes into the HTTP request");
    return HS_SCN_OK;
}

static int store_string(const ctx *c, const where *w, const char *s,
                        char **dst)
{
    char *copy = strdup(s);

    if (!copy)
        return fail(c, w, "out of memory");
    free(*dst);
    *dst = copy;
    return HS_SCN_OK;
}

static int f_string(const ctx *c, const where *w, json_t *v, void *dst,
                    const field *f)
{
    const char *s = NULL;

    if (want_string(c, w, v, f->tag, &s) != 0)
        return HS_SCN_ERR;
    return store_string(c, w, s, dst);
}

static int enum_index(const ctx *c, const where *w, const json_t *v,
                      const char *const *names, int *out)
{
    char q[QUOTE_MAX], hint[700];
    const char *s = NULL;

    if (want_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return HS_SCN_OK;
        }
    advice(hint, sizeof(hint), names, s);
    return fail(c, w, "unknown value %s; %s", quote(q, sizeof(q), s), hint);
}

static int f_enum(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    return enum_index(c, w, v, f->names, dst);
}

/* One of a few numbers, spelled in f->names ("16", "64"). */
static int f_enum_int(const ctx *c, const where *w, json_t *v, void *dst,
                      const field *f)
{
    char num[24], list[64];

    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        for (size_t i = 0; f->names[i]; i++)
            if (strcmp(f->names[i], num) == 0) {
                *(int *)dst = (int)json_integer_value(v);
                return HS_SCN_OK;
            }
    }
    return fail(c, w, "must be one of: %s", join(list, sizeof(list), f->names));
}

static int f_enum_str(const ctx *c, const where *w, json_t *v, void *dst,
                      const field *f)
{
    int i;

    if (enum_index(c, w, v, f->names, &i) != 0)
        return HS_SCN_ERR;
    return store_string(c, w, f->names[i], dst);
}

/* Scenario ids name files and report rows: [a-z0-9][a-z0-9._-]*. */
static int f_id(const ctx *c, const where *w, json_t *v, void *dst,
                const field *f)
{
    const char *s = NULL;
    size_t n;

    if (want_string(c, w, v, STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-");
    if (s[n] != '\0' || s[0] == '.' || s[0] == '_' || s[0] == '-')
        return fail(c, w, "must start with a lower-case letter or digit and "
                    "hold only lower-case letters, digits, '.', '_' and '-' "
                    "(e.g. \"deps-500-bridge\")");
    if (n > ID_MAX)
        return fail(c, w, "is longer than %d characters", ID_MAX);
    return store_string(c, w, s, dst);
}

/* ---- HTTP-bound fields ------------------------------------------------ */

/* RFC 7230 section 3.2.6 token characters: method and header names. */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
            return 0;
    return 1;
}

static int f_method(const ctx *c, const where *w, json_t *v, void *dst,
                    const field *f)
{
    const char *s = NULL;

    if (want_string(c, w, v, STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    if (!is_token(s))
        return fail(c, w, "must be an HTTP method name such as GET or POST "
                    "(letters, digits and !#$%%&'*+-.^_`|~)");
    return store_string(c, w, s, dst);
}

/* The request target goes on the request line as written. */
static int f_path(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    const char *s = NULL;

    if (want_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    if (s[0] != '/')
        return fail(c, w, "must start with '/' (e.g. \"/ws\" or \"/health\")");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return fail(c, w, "must be printable ASCII without spaces: it goes "
                        "on the request line as written (percent-encode the "
                        "rest)");
    return store_string(c, w, s, dst);
}

static int f_headers(const ctx *c, const where *w, json_t *v, void *dst,
                     const field *f)
{
    const char *name, *s;
    json_t *val;

    if (!json_is_object(v))
        return fail(c, w, "must be an object of header name: value, not %s",
                    found(v));
    json_object_foreach(v, name, val) {
        where m = member(w, name);

        if (!is_token(name))
            return fail_key(c, &m, &m, "is not a valid header name (RFC 7230 "
                            "token characters only)");
        if (want_string(c, &m, val, STR_LINE, &s) != 0)
            return HS_SCN_ERR;
    }
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCN_OK;
}

/* ---- payload fields (dst is the step) --------------------------------- */

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s[i] starts a byte that did not decode: say which character is wrong. */
static int hex_error(const ctx *c, const where *w, const char *s, size_t i)
{
    char q[QUOTE_MAX], one[2] = { '\0', '\0' };

    if (hex_digit((unsigned char)s[i]) >= 0 && s[i + 1] != '\0' &&
        !is_blank((unsigned char)s[i + 1]))
        i++;
    if (hex_digit((unsigned char)s[i]) < 0) {
        one[0] = s[i];
        return fail(c, w, "character %zu, %s, is not a hex digit (write bytes "
                    "as pairs such as \"81 85 37 fa\")", i + 1,
                    quote(q, sizeof(q), one));
    }
    if (s[i + 1] == '\0')
        return fail(c, w, "odd number of hex digits: the last byte lacks its "
                    "second digit");
    return fail(c, w, "the byte at character %zu has one hex digit; a byte is "
                "two (e.g. \"0a\"), spaces go only between bytes", i + 1);
}

/* Decode pairs of hex digits; blanks may separate bytes, not split them. */
static int decode_hex(const ctx *c, const where *w, const char *s, size_t len,
                      unsigned char **out, size_t *nout)
{
    unsigned char *buf = malloc(len / 2 + 1);
    size_t n = 0, i = 0;

    if (!buf)
        return fail(c, w, "out of memory");
    while (i < len) {
        int hi, lo;

        if (is_blank((unsigned char)s[i])) {
            i++;
            continue;
        }
        hi = hex_digit((unsigned char)s[i]);
        lo = i + 1 < len ? hex_digit((unsigned char)s[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            free(buf);
            return hex_error(c, w, s, i);
        }
        buf[n++] = (unsigned char)(hi * 16 + lo);
        i += 2;
    }
    *out = buf;
    *nout = n;
    return HS_SCN_OK;
}

static void set_bytes(hs_step *st, unsigned char *bytes, size_t n, int kind)
{
    free(st->bytes);
    st->bytes = bytes;
    st->nbytes = n;
    st->payload_kind = kind;
}

static int f_hex(const ctx *c, const where *w, json_t *v, void *dst,
                 const field *f)
{
    unsigned char *bytes = NULL;
    size_t n = 0;

    if (!json_is_string(v))
        return fail(c, w, "must be a string of hex digits, not %s", found(v));
    if (decode_hex(c, w, json_string_value(v), json_string_length(v),
                   &bytes, &n) != 0)
        return HS_SCN_ERR;
    if (n == 0 && f->tag == HS_PAYLOAD_RAW) {
        free(bytes);
        return fail(c, w, "must hold at least one byte");
    }
    set_bytes(dst, bytes, n, f->tag);
    return HS_SCN_OK;
}

static int f_text(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    const char *s = NULL;
    size_t n;
    unsigned char *bytes;

    if (want_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    n = json_string_length(v);
    bytes = malloc(n + 1);
    if (!bytes)
        return fail(c, w, "out of memory");
    memcpy(bytes, s, n + 1);
    set_bytes(dst, bytes, n, f->tag);
    return HS_SCN_OK;
}

static int f_json(const ctx *c, const where *w, json_t *v, void *dst,
                  const field *f)
{
    hs_step *st = dst;

    json_decref(st->json);
    st->json = json_incref(v);
    st->payload_kind = HS_PAYLOAD_JSON;
    return HS_SCN_OK;
}

/*
 * A matcher, checked by hs_match. When it is refused, each entry is checked
 * alone to point at the one at fault. The message is escaped: it quotes keys.
 */
static int f_match(const ctx *c, const where *w, json_t *v, void *dst,
                   const field *f)
{
    char msg[256], safe[300];
    const char *key;
    json_t *val;

    if (!json_is_object(v))
        return fail(c, w, "must be a matcher object of path: value, not %s",
                    found(v));
    if (hs_match_validate(v, msg, sizeof(msg)) != 0) {
        json_object_foreach(v, key, val) {
            json_t *one = json_pack("{sO}", key, val);
            int bad = one && hs_match_validate(one, msg, sizeof(msg)) != 0;
            where m = member(w, key);

            json_decref(one);
            if (bad)
                return fail(c, &m, "bad matcher: %s",
                            escape(safe, sizeof(safe), msg, 0));
        }
        hs_match_validate(v, msg, sizeof(msg));
        return fail(c, w, "bad matcher: %s", escape(safe, sizeof(safe), msg, 0));
    }
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCN_OK;
}

/* ---- close codes ------------------------------------------------------ */

/* RFC 6455 section 7.4.1: these never travel in a close frame. */
static int never_sent(long long code)
{
    return code == 1005 || code == 1006 || code == 1015;
}

static int f_expect_close_code(const ctx *c, const where *w, json_t *v,
                               void *dst, const field *f)
{
    long long code;

    if (json_is_string(v) && strcmp(json_string_value(v), "any") == 0) {
        *(int *)dst = 0;
        return HS_SCN_OK;
    }
    if (json_is_string(v) && strcmp(json_string_value(v), "abnormal") == 0) {
        *(int *)dst = -1;
        return HS_SCN_OK;
    }
    if (!json_is_integer(v))
        return fail(c, w, "must be a close code from 1000 to 4999, \"any\" or "
                    "\"abnormal\"");
    if (want_int(c, w, v, 1000, 4999, &code) != 0)
        return HS_SCN_ERR;
    if (code == 1006 || code == 1015)
        return fail(c, w, "%lld never travels in a close frame (RFC 6455 "
                    "section 7.4.1); write \"abnormal\" to expect a connection "
                    "that ends without one", code);
    *(int *)dst = (int)code;
    return HS_SCN_OK;
}

static int f_send_close_code(const ctx *c, const where *w, json_t *v,
                             void *dst, const field *f)
{
    long long code;

    if (want_int(c, w, v, 1000, 4999, &code) != 0)
        return HS_SCN_ERR;
    if (never_sent(code) || code == 1004)
        return fail(c, w, "%lld is reserved and must not be sent (RFC 6455 "
                    "section 7.4.1); to see how a peer takes it, send the "
                    "frame spelled out: {\"step\": \"send\", \"frame\": "
                    "{\"opcode\": 8, \"payload_hex\": \"...\"}}", code);
    *(int *)dst = (int)code;
    return HS_SCN_OK;
}

/* A list of close codes a judging step accepts; 1005 stands for a close
 * frame without a code. */
static int f_codes(const ctx *c, const where *w, json_t *v, void *dst,
                   const field *f)
{
    hs_step *st = dst;
    size_t n = json_array_size(v);
    long long code;

    if (!json_is_array(v) || n == 0)
        return fail(c, w, "must be a non-empty array of close codes, e.g. [1002]");
    free(st->codes);
    st->codes = calloc(n, sizeof(int));
    if (!st->codes)
        return fail(c, w, "out of memory");
    st->ncodes = n;
    for (size_t i = 0; i < n; i++) {
        where e = element(w, i);

        if (want_int(c, &e, json_array_get(v, i), 1000, 4999, &code) != 0)
            return HS_SCN_ERR;
        if (code == 1006 || code == 1015)
            return fail(c, &e, "%lld never travels in a close frame (RFC 6455 "
                        "section 7.4.1); a connection that ends without one is "
                        "the outcome \"dropped\"", code);
        st->codes[i] = (int)code;
    }
    return HS_SCN_OK;
}

/*
 * "outcomes": what each observation of a judging step means. f->names
 * lists the outcomes this kind of step can observe.
 */
static int f_outcomes(const ctx *c, const where *w, json_t *v, void *dst,
                      const field *f)
{
    signed char *out = dst;
    const char *key;
    json_t *tier;
    char q[QUOTE_MAX], hint[700];
    int o, t;

    if (!json_is_object(v))
        return fail(c, w, "must be an object of outcome: verdict, e.g. "
                    "{\"closed\": \"ok\", \"answered\": \"non_strict\"}");
    json_object_foreach(v, key, tier) {
        where m = member(w, key);

        for (o = 0; f->names[o] && strcmp(f->names[o], key) != 0; o++)
            ;
        if (!f->names[o]) {
            advice(hint, sizeof(hint), f->names, key);
            return fail_key(c, &m, &m, "unknown outcome %s for this step; %s",
                            quote(q, sizeof(q), key), hint);
        }
        if (enum_index(c, &m, tier, tier_keys, &t) != 0)
            return HS_SCN_ERR;
        for (o = 0; strcmp(outcome_keys[o], key) != 0; o++)
            ;
        out[o] = (signed char)t;
    }
    return HS_SCN_OK;
}

/* client_max_window_bits in an offer: a size, or true for "no value". */
static int f_client_bits(const ctx *c, const where *w, json_t *v, void *dst,
                         const field *f)
{
    if (json_is_true(v)) {
        *(int *)dst = HS_PMD_BITS_NOVALUE;
        return HS_SCN_OK;
    }
    if (!json_is_integer(v))
        return fail(c, w, "must be a window size from 8 to 15, or true to offer "
                    "the parameter without a value (RFC 7692 7.1.2.2)");
    return f_int(c, w, v, dst, f);
}

#define PMD(m) offsetof(hs_pmd_params, m)

static const field deflate_fields[] = {
    { .key = "server_no_context_takeover", .parse = f_bool,
      .off = PMD(server_no_context_takeover) },
    { .key = "client_no_context_takeover", .parse = f_bool,
      .off = PMD(client_no_context_takeover) },
    { .key = "server_max_window_bits", .parse = f_int,
      .off = PMD(server_max_window_bits), .lo = HS_PMD_MIN_BITS, .hi = HS_PMD_MAX_BITS },
    { .key = "client_max_window_bits", .parse = f_client_bits,
      .off = PMD(client_max_window_bits), .lo = HS_PMD_MIN_BITS, .hi = HS_PMD_MAX_BITS },
    { .key = NULL }
};

static const field deflate_step_fields[] = {
    { .key = "needs_client_context", .parse = f_bool,
      .off = offsetof(hs_step, needs_client_context) },
    { .key = NULL }
};

/* A permessage-deflate offer (RFC 7692 7.1), kept as the header it makes. */
static int f_deflate(const ctx *c, const where *w, json_t *v, void *dst,
                     const field *f)
{
    hs_step *st = dst;
    hs_pmd_params p;
    table tabs[] = { { deflate_fields, &p }, { deflate_step_fields, st } };
    char offer[HS_PMD_OFFER_MAX];

    memset(&p, 0, sizeof(p));
    if (parse_object(c, w, v, tabs, 2, " in a permessage-deflate offer") != 0)
        return HS_SCN_ERR;
    if (hs_pmd_offer(&p, offer, sizeof(offer)) != HS_PMD_OK)
        return fail(c, w, "cannot be written as an offer");
    return store_string(c, w, offer, &st->extensions);
}

/* ---- faults ----------------------------------------------------------- */

static int f_fault_name(const ctx *c, const where *w, json_t *v, void *dst,
                        const field *f)
{
    char q[QUOTE_MAX];
    const char *s = NULL, *near;

    if (want_string(c, w, v, STR_NONEMPTY, &s) != 0)
        return HS_SCN_ERR;
    for (size_t i = 0; fault_names[i]; i++)
        if (strcmp(fault_names[i], s) == 0)
            return store_string(c, w, s, dst);
    near = closest(fault_names, s);
    if (near)
        return fail(c, w, "unknown fault point %s; did you mean \"%s\"?",
                    quote(q, sizeof(q), s), near);
    return fail(c, w, "unknown fault point %s; the catalogue is "
                "harness/common/faults.def (build/gateway --list-faults)",
                quote(q, sizeof(q), s));
}

/* Points of libfiu's POSIX preload, not of the gateway's catalogue. */
static int is_posix_name(const char *s)
{
    return (strncmp(s, "posix/", 6) == 0 && s[6] != '\0') ||
           (strncmp(s, "libc/", 5) == 0 && s[5] != '\0');
}

static int f_posix_name(const ctx *c, const where *w, json_t *v, void *dst,
                        const field *f)
{
    const char *s = NULL;

    if (want_string(c, w, v, 0, &s) != 0)
        return HS_SCN_ERR;
    if (!is_posix_name(s))
        return fail(c, w, "must name a libfiu preload point, starting with "
                    "\"posix/\" or \"libc/\" (e.g. \"posix/io/net/send\")");
    return store_string(c, w, s, dst);
}

/*
 * A fault step names a catalogued point, or a POSIX one to switch off at
 * run time (check_posix_steps makes sure the scenario enables it).
 */
static int f_step_fault_name(const ctx *c, const where *w, json_t *v,
                             void *dst, const field *f)
{
    if (json_is_string(v) && is_posix_name(json_string_value(v)))
        return f_posix_name(c, w, v, dst, f);
    return f_fault_name(c, w, v, dst, f);
}

static const field fault_name_field[] = {
    { .key = "name", .parse = f_fault_name, .off = offsetof(hs_fault, name) },
    { .key = NULL }
};

/* How a fault fires: shared by "faults" entries and fault steps. */
static const field fault_core[] = {
    { .key = "mode", .parse = f_enum, .off = offsetof(hs_fault, mode),
      .names = fault_modes },
    { .key = "probability", .parse = f_prob,
      .off = offsetof(hs_fault, probability) },
    { .key = "n", .parse = f_long, .off = offsetof(hs_fault, n),
      .lo = 1, .hi = INT_MAX },
    { .key = NULL }
};

static const field fault_extra[] = {
    { .key = "expect_fire", .parse = f_bool,
      .off = offsetof(hs_fault, expect_fire) },
    { .key = NULL }
};

static const field posix_fields[] = {
    { .key = "name", .parse = f_posix_name,
      .off = offsetof(hs_posix_fault, name) },
    { .key = "probability", .parse = f_prob,
      .off = offsetof(hs_posix_fault, probability) },
    { .key = "errno", .parse = f_int, .off = offsetof(hs_posix_fault, err),
      .lo = 1, .hi = 4095 },
    { .key = NULL }
};

/* probability goes with mode probability, n with after and nth. */
static int check_fault_mode(const ctx *c, const where *w, json_t *obj,
                            const hs_fault *ft)
{
    int wants_n = ft->mode == HS_FAULT_AFTER || ft->mode == HS_FAULT_NTH;

    if (present_iff(c, w, obj, "probability", ft->mode == HS_FAULT_PROBABILITY,
                    "with \"mode\": \"probability\"") != 0)
        return HS_SCN_ERR;
    return present_iff(c, w, obj, "n", wants_n,
                       "with \"mode\": \"after\" or \"nth\"");
}

static void fault_defaults(hs_fault *ft)
{
    ft->mode = HS_FAULT_ALWAYS;
    ft->expect_fire = 1;
}

/*
 * One "faults" entry. Names are catalogued and may appear once, so the list
 * can never grow past the catalogue and the duplicate scan stays short.
 */
static int parse_fault(const ctx *c, const where *w, json_t *obj,
                       hs_fault *all, size_t i)
{
    hs_fault *ft = &all[i];
    table tabs[] = { { fault_name_field, ft }, { fault_core, ft },
                     { fault_extra, ft } };
    where m = member(w, "name");

    fault_defaults(ft);
    ft->line = line_of(c, w);
    if (parse_object(c, w, obj, tabs, 3, " in a fault") != 0 ||
        require(c, w, obj, "name") != 0 ||
        check_fault_mode(c, w, obj, ft) != 0)
        return HS_SCN_ERR;
    for (size_t j = 0; j < i; j++)
        if (strcmp(all[j].name, ft->name) == 0)
            return fail(c, &m, "fault \"%s\" is already listed as faults[%zu]",
                        ft->name, j);
    return HS_SCN_OK;
}

static int want_array(const ctx *c, const where *w, const json_t *v,
                      const char *of)
{
    if (!json_is_array(v))
        return fail(c, w, "must be an array of %s, not %s", of, found(v));
    return HS_SCN_OK;
}

static int f_faults(const ctx *c, const where *w, json_t *v, void *dst,
                    const field *f)
{
    hs_scenario *s = dst;
    size_t n;

    if (want_array(c, w, v, "fault objects") != 0)
        return HS_SCN_ERR;
    n = json_array_size(v);
    s->faults = calloc(n ? n : 1, sizeof(*s->faults));
    if (!s->faults)
        return fail(c, w, "out of memory");
    s->nfaults = n;
    for (size_t i = 0; i < n; i++) {
        where e = element(w, i);

        if (parse_fault(c, &e, json_array_get(v, i), s->faults, i) != 0)
            return HS_SCN_ERR;
    }
    return HS_SCN_OK;
}

static int parse_posix_fault(const ctx *c, const where *w, json_t *obj,
                             hs_posix_fault *pf)
{
    table tabs[] = { { posix_fields, pf } };

    pf->line = line_of(c, w);
    if (parse_object(c, w, obj, tabs, 1, " in a POSIX fault") != 0 ||
        require(c, w, obj, "name") != 0 ||
        require(c, w, obj, "probability") != 0)
        return HS_SCN_ERR;
    return require(c, w, obj, "errno");
}

static int f_posix_faults(const ctx *c, const where *w, json_t *v, void *dst,
                          const field *f)
{
    hs_scenario *s = dst;
    size_t n;

    if (want_array(c, w, v, "POSIX fault objects") != 0)
        return HS_SCN_ERR;
    n = json_array_size(v);
    s->posix_faults = calloc(n ? n : 1, sizeof(*s->posix_faults));
    if (!s->posix_faults)
        return fail(c, w, "out of memory");
    s->nposix = n;
    for (size_t i = 0; i < n; i++) {
        where e = element(w, i);

        if (parse_posix_fault(c, &e, json_array_get(v, i),
                              &s->posix_faults[i]) != 0)
            return HS_SCN_ERR;
    }
    return HS_SCN_OK;
}

/* ---- lists and the target --------------------------------------------- */

static void free_list(char **list)
{
    if (!list)
        return;
    for (size_t i = 0; list[i]; i++)
        free(list[i]);
    free(list);
}

/* An array of strings, stored NULL-terminated; f->tag holds string rules. */
static int f_strlist(const ctx *c, const where *w, json_t *v, void *dst,
                     const field *f)
{
    size_t n;
    char **list;

    if (want_array(c, w, v, "strings") != 0)
        return HS_SCN_ERR;
    n = json_array_size(v);
    list = calloc(n + 1, sizeof(*list));
    if (!list)
        return fail(c, w, "out of memory");
    for (size_t i = 0; i < n; i++) {
        where e = element(w, i);
        const char *s = NULL;

        if (want_string(c, &e, json_array_get(v, i), f->tag, &s) != 0 ||
            store_string(c, &e, s, &list[i]) != 0) {
            free_list(list);
            return HS_SCN_ERR;
        }
    }
    free_list(*(char ***)dst);
    *(char ***)dst = list;
    return HS_SCN_OK;
}

#define TGT(m) offsetof(hs_target_opts, m)

static const field target_fields[] = {
    { .key = "echo", .parse = f_bool, .off = TGT(echo) },
    { .key = "startup_delay_ms", .parse = f_int, .off = TGT(startup_delay_ms),
      .lo = 0, .hi = INT_MAX },
    { .key = "max_message", .parse = f_long, .off = TGT(max_message),
      .lo = 1, .hi = LONG_MAX },
    { .key = "ready_queue", .parse = f_int, .off = TGT(ready_queue),
      .lo = 0, .hi = INT_MAX },
    { .key = "wait_ready", .parse = f_bool, .off = TGT(wait_ready) },
    { .key = "args", .parse = f_strlist, .off = TGT(args) },
    { .key = NULL }
};

static int f_target(const ctx *c, const where *w, json_t *v, void *dst,
                    const field *f)
{
    table tabs[] = { { target_fields, dst } };

    return parse_object(c, w, v, tabs, 1, " in \"target\"");
}

/* ---- steps ------------------------------------------------------------ */

#define STEP(m) offsetof(hs_step, m)

static const field common_fields[] = {
    { .key = "step", .parse = NULL },
    { .key = "conn", .parse = f_string, .off = STEP(conn), .tag = STR_NONEMPTY },
    { .key = "timeout_ms", .parse = f_int, .off = STEP(timeout_ms),
      .lo = 1, .hi = TIMEOUT_MAX },
    { .key = NULL }
};

static const field connect_fields[] = {
    { .key = "user", .parse = f_string, .off = STEP(user), .tag = STR_NONEMPTY },
    { .key = "token", .parse = f_enum_str, .off = STEP(token),
      .names = token_kinds },
    { .key = "token_raw", .parse = f_string, .off = STEP(token_raw),
      .tag = STR_LINE },
    { .key = "token_in", .parse = f_enum_str, .off = STEP(token_in),
      .names = token_places },
    { .key = "path", .parse = f_path, .off = STEP(path) },
    { .key = "expect_status", .parse = f_int, .off = STEP(expect_status),
      .lo = 100, .hi = 599 },
    { .key = "headers", .parse = f_headers, .off = STEP(headers) },
    { .key = "ws_key", .parse = f_string, .off = STEP(ws_key), .tag = STR_LINE },
    { .key = "ws_version", .parse = f_string, .off = STEP(ws_version),
      .tag = STR_LINE },
    { .key = "subprotocol", .parse = f_string, .off = STEP(subprotocol),
      .tag = STR_LINE },
    { .key = "omit_upgrade", .parse = f_bool, .off = STEP(omit_upgrade) },
    { .key = "omit_connection", .parse = f_bool, .off = STEP(omit_connection) },
    { .key = "omit_host", .parse = f_bool, .off = STEP(omit_host) },
    { .key = "method", .parse = f_method, .off = STEP(method) },
    { .key = "http_version", .parse = f_enum_str, .off = STEP(http_version),
      .names = http_versions },
    { .key = "absolute_uri", .parse = f_bool, .off = STEP(absolute_uri) },
    { .key = "chop", .parse = f_size, .off = STEP(chop), .lo = 1, .hi = INT_MAX },
    { .key = "handshake", .parse = f_bool, .off = STEP(handshake) },
    { .key = "extensions", .parse = f_string, .off = STEP(extensions),
      .tag = STR_LINE | STR_NONEMPTY },
    { .key = "deflate", .parse = f_deflate, .off = 0 },
    { .key = "expect_headers", .parse = f_headers, .off = STEP(expect_headers) },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = connect_outcomes },
    { .key = NULL }
};

static const field frame_fields[] = {
    { .key = "opcode", .parse = f_int, .off = STEP(frame.opcode),
      .lo = 0, .hi = 15 },
    { .key = "fin", .parse = f_bool, .off = STEP(frame.fin) },
    { .key = "rsv", .parse = f_int, .off = STEP(frame.rsv), .lo = 0, .hi = 7 },
    { .key = "masked", .parse = f_bool, .off = STEP(frame.masked) },
    { .key = "payload_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_FRAME },
    { .key = "payload_text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_FRAME },
    { .key = "declared_len", .parse = f_i64, .off = STEP(frame.declared_len),
      .lo = 0, .hi = LLONG_MAX },
    { .key = "len_form", .parse = f_enum_int, .off = STEP(frame.len_form),
      .names = len_forms },
    { .key = NULL }
};

/* Of the keys in names, how many obj has; *second is the second one met. */
static size_t count_keys(json_t *obj, const char *const *names,
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

/* The first of keys that obj has, for pointing at it; NULL when none. */
static const char *first_key(json_t *obj, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        if (json_object_get(obj, keys[i]))
            return keys[i];
    return NULL;
}

/*
 * A frame spelled out field by field (RFC 6455 section 5.2), for sending
 * what a well-behaved client never would. dst is the step.
 */
static int f_frame(const ctx *c, const where *w, json_t *v, void *dst,
                   const field *f)
{
    static const char *const payloads[] = { "payload_hex", "payload_text", NULL };
    hs_step *st = dst;
    table tabs[] = { { frame_fields, st } };
    const char *second = NULL;

    if (parse_object(c, w, v, tabs, 1, " in a frame") != 0 ||
        require(c, w, v, "opcode") != 0)
        return HS_SCN_ERR;
    if (count_keys(v, payloads, &second) > 1) {
        where m = member(w, second);
        return fail_key(c, &m, &m, "give \"payload_hex\" or \"payload_text\", "
                        "not both");
    }
    if (!st->bytes) {
        st->bytes = calloc(1, 1);
        if (!st->bytes)
            return fail(c, w, "out of memory");
    }
    st->payload_kind = HS_PAYLOAD_FRAME;
    return HS_SCN_OK;
}

static const field send_fields[] = {
    { .key = "json", .parse = f_json, .off = 0 },
    { .key = "text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "text_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "binary_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_BINARY },
    { .key = "raw_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_RAW },
    { .key = "frame", .parse = f_frame, .off = 0 },
    { .key = "chop", .parse = f_size, .off = STEP(chop), .lo = 1, .hi = INT_MAX },
    { .key = "repeat", .parse = f_int, .off = STEP(repeat), .lo = 1, .hi = 100000 },
    { .key = "size", .parse = f_size, .off = STEP(size), .lo = 1, .hi = SIZE_MAX_BYTES },
    { .key = "fragment", .parse = f_size, .off = STEP(fragment), .lo = 1,
      .hi = SIZE_MAX_BYTES },
    { .key = "compress", .parse = f_bool, .off = STEP(compress) },
    { .key = NULL }
};

static const field expect_message_fields[] = {
    { .key = "text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "text_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_TEXT },
    { .key = "binary_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_BINARY },
    { .key = "pong_text", .parse = f_text, .off = 0, .tag = HS_PAYLOAD_PONG },
    { .key = "pong_hex", .parse = f_hex, .off = 0, .tag = HS_PAYLOAD_PONG },
    { .key = "size", .parse = f_size, .off = STEP(size), .lo = 1, .hi = SIZE_MAX_BYTES },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = message_outcomes },
    { .key = NULL }
};

static const field expect_fields[] = {
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = NULL }
};

static const field expect_events_fields[] = {
    { .key = "request_id", .parse = f_string, .off = STEP(request_id),
      .tag = STR_NONEMPTY },
    { .key = "degraded", .parse = f_bool, .off = STEP(degraded) },
    { .key = NULL }
};

static const field expect_close_fields[] = {
    { .key = "code", .parse = f_expect_close_code, .off = STEP(close_code) },
    { .key = "codes", .parse = f_codes, .off = 0 },
    { .key = "probe_ms", .parse = f_int, .off = STEP(probe_ms), .lo = 1, .hi = 60000 },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = close_outcomes },
    { .key = NULL }
};

static const field close_fields[] = {
    { .key = "code", .parse = f_send_close_code, .off = STEP(send_code) },
    { .key = "reason", .parse = f_string, .off = STEP(reason) },
    { .key = "codes", .parse = f_codes, .off = 0 },
    { .key = "outcomes", .parse = f_outcomes, .off = STEP(outcomes),
      .names = close_outcomes },
    { .key = NULL }
};

static const field no_fields[] = {
    { .key = NULL }
};

static const field http_fields[] = {
    { .key = "method", .parse = f_method, .off = STEP(method) },
    { .key = "path", .parse = f_path, .off = STEP(path) },
    { .key = "headers", .parse = f_headers, .off = STEP(headers) },
    { .key = "body", .parse = f_string, .off = STEP(body) },
    { .key = "expect_status", .parse = f_int, .off = STEP(expect_status),
      .lo = 100, .hi = 599 },
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = NULL }
};

static const field health_fields[] = {
    { .key = "match", .parse = f_match, .off = STEP(match) },
    { .key = "wait", .parse = f_bool, .off = STEP(wait) },
    { .key = NULL }
};

/* mode, probability and n come from fault_core, into step->fault. */
static const field fault_step_fields[] = {
    { .key = "name", .parse = f_step_fault_name, .off = STEP(fault.name) },
    { .key = "enable", .parse = f_bool, .off = STEP(enable) },
    { .key = NULL }
};

static const char *const signal_names[] = { "TERM", "INT", "HUP", "KILL", NULL };

static const field signal_fields[] = {
    { .key = "signal", .parse = f_enum, .off = STEP(signo), .names = signal_names },
    { .key = NULL }
};

static const field sleep_fields[] = {
    { .key = "ms", .parse = f_int, .off = STEP(sleep_ms), .lo = 1, .hi = 60000 },
    { .key = NULL }
};

static int dup_default(const ctx *c, const where *w, char **dst,
                       const char *value)
{
    if (*dst)
        return HS_SCN_OK;
    return store_string(c, w, value, dst);
}

static int check_connect(const ctx *c, const where *w, json_t *obj,
                         hs_step *st)
{
    static const char *const upgrade_only[] = { "extensions", "deflate", "outcomes",
                                                "expect_headers", "omit_host", "method",
                                                "http_version", "absolute_uri", "chop",
                                                NULL };
    where m = member(w, "token_raw");
    const char *k = first_key(obj, upgrade_only);

    if (st->token && st->token_raw)
        return fail_key(c, &m, &m, "give \"token\" or \"token_raw\", not both");
    m = member(w, "deflate");
    if (json_object_get(obj, "extensions") && json_object_get(obj, "deflate"))
        return fail_key(c, &m, &m, "give \"extensions\" or \"deflate\", not both");
    m = member(w, k ? k : "handshake");
    if (k && !st->handshake)
        return fail_key(c, &m, &m, "only applies to a WebSocket upgrade, not to "
                        "\"handshake\": false");
    if (dup_default(c, w, &st->token, "valid") != 0 ||
        dup_default(c, w, &st->token_in, "header") != 0 ||
        dup_default(c, w, &st->path, "/ws") != 0)
        return HS_SCN_ERR;
    return dup_default(c, w, &st->user, st->conn);
}

/*
 * "size" repeats a payload given in the step; "fragment" and "compress"
 * shape a message (text, text_hex or binary_hex), not a frame or raw bytes.
 */
static int check_send_shape(const ctx *c, const where *w, json_t *obj,
                            const hs_step *st)
{
    static const char *const shaping[] = { "fragment", "compress", NULL };
    int message = st->payload_kind == HS_PAYLOAD_TEXT ||
                  st->payload_kind == HS_PAYLOAD_BINARY;
    const char *k = first_key(obj, shaping);
    where m;

    if (json_object_get(obj, "size") && !(message || st->payload_kind == HS_PAYLOAD_FRAME)) {
        m = member(w, "size");
        return fail_key(c, &m, &m, "repeats the payload of \"text\", \"text_hex\", "
                        "\"binary_hex\" or \"frame\" only");
    }
    if (json_object_get(obj, "size") && st->nbytes == 0) {
        m = member(w, "size");
        return fail_key(c, &m, &m, "needs a payload of at least one byte to repeat");
    }
    if (k && !message) {
        m = member(w, k);
        return fail_key(c, &m, &m, "shapes a message given by \"text\", "
                        "\"text_hex\" or \"binary_hex\" only");
    }
    return HS_SCN_OK;
}

static int check_send(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    const char *second = NULL;
    size_t n = count_keys(obj, payload_keys, &second);
    char list[200];

    if (n == 0)
        return fail(c, w, "a send step needs one of: %s",
                    join(list, sizeof(list), payload_keys));
    if (n > 1) {
        where m = member(w, second);
        return fail_key(c, &m, &m, "give only one of: %s",
                        join(list, sizeof(list), payload_keys));
    }
    return check_send_shape(c, w, obj, st);
}

static int check_expect_message(const ctx *c, const where *w, json_t *obj,
                                hs_step *st)
{
    const char *second = NULL;
    size_t n = count_keys(obj, message_keys, &second);
    char list[200];
    where m = member(w, "size");

    if (n == 0)
        return fail(c, w, "an expect_message step needs one of: %s",
                    join(list, sizeof(list), message_keys));
    if (n > 1) {
        where s2 = member(w, second);
        return fail_key(c, &s2, &s2, "give only one of: %s",
                        join(list, sizeof(list), message_keys));
    }
    if (json_object_get(obj, "size") && st->nbytes == 0)
        return fail_key(c, &m, &m, "needs a payload of at least one byte to repeat");
    return HS_SCN_OK;
}

static int check_expect_close(const ctx *c, const where *w, json_t *obj,
                              hs_step *st)
{
    where m = member(w, "codes");

    if (json_object_get(obj, "code") && st->codes)
        return fail_key(c, &m, &m, "give \"code\" or \"codes\", not both");
    return HS_SCN_OK;
}

static int check_expect(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    return require(c, w, obj, "match");
}

static int check_expect_events(const ctx *c, const where *w, json_t *obj,
                               hs_step *st)
{
    return require(c, w, obj, "request_id");
}

/* RFC 6455 section 5.5: a control frame's payload is at most 125 bytes. */
static int check_close(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    where m = member(w, "reason");

    if (st->reason && !st->send_code)
        return fail_key(c, &m, &m, "needs a \"code\": a close frame's reason "
                        "follows its code (RFC 6455 section 5.5.1)");
    if (st->reason && strlen(st->reason) > 123)
        return fail(c, &m, "is %zu bytes; a close reason fits in 123 (RFC 6455 "
                    "section 5.5)", strlen(st->reason));
    return HS_SCN_OK;
}

static int check_http(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    if (require(c, w, obj, "path") != 0)
        return HS_SCN_ERR;
    return dup_default(c, w, &st->method, "GET");
}

static int check_health(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    return require(c, w, obj, "match");
}

/*
 * libfiu's remote control can enable a point always, once or at random, but
 * has no "after n" or "n-th hit": those exist only for "faults", set at start.
 */
static int check_fault_step_mode(const ctx *c, const where *w, json_t *obj,
                                 const hs_fault *ft)
{
    where m = member(w, "mode");

    if (ft->mode == HS_FAULT_AFTER || ft->mode == HS_FAULT_NTH)
        return fail(c, &m, "\"%s\" cannot be set at run time (libfiu's remote "
                    "control has no such mode); enable the fault in \"faults\" "
                    "instead", fault_modes[ft->mode]);
    return check_fault_mode(c, w, obj, ft);
}

static int check_fault(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    static const char *const enabling_only[] = { "mode", "probability", "n", NULL };

    where m = member(w, "name");

    if (require(c, w, obj, "name") != 0 || require(c, w, obj, "enable") != 0)
        return HS_SCN_ERR;
    if (st->enable && is_posix_name(st->fault.name))
        return fail(c, &m, "a POSIX fault needs its errno, so a step cannot "
                    "enable it: list it in \"posix_faults\" (a step may "
                    "disable it)");
    if (st->enable)
        return check_fault_step_mode(c, w, obj, &st->fault);
    for (size_t i = 0; enabling_only[i]; i++)
        if (present_iff(c, w, obj, enabling_only[i], 0,
                        "when \"enable\" is true") != 0)
            return HS_SCN_ERR;
    return HS_SCN_OK;
}

static int check_sleep(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    return require(c, w, obj, "ms");
}

/* "signal" was parsed as an index into signal_names: make it the number. */
static int check_signal(const ctx *c, const where *w, json_t *obj, hs_step *st)
{
    static const int numbers[] = { SIGTERM, SIGINT, SIGHUP, SIGKILL };

    if (require(c, w, obj, "signal") != 0)
        return HS_SCN_ERR;
    st->signo = numbers[st->signo];
    return HS_SCN_OK;
}

/* What a kind of step does with connections and expectations. */
#define K_NEEDS_CONN 1     /* acts on a connection a connect step opened */
#define K_EXPECTS 2        /* checks something of its own */

typedef int (*step_check_fn)(const ctx *c, const where *w, json_t *obj,
                             hs_step *st);

typedef struct step_kind {
    const char *name;
    const field *fields;
    step_check_fn check;
    int flags;
} step_kind;

/* Indexed by hs_step_kind. */
static const step_kind step_kinds[] = {
    [HS_STEP_CONNECT] = { "connect", connect_fields, check_connect, 0 },
    [HS_STEP_SEND] = { "send", send_fields, check_send, K_NEEDS_CONN },
    [HS_STEP_EXPECT] = { "expect", expect_fields, check_expect,
                         K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_EVENTS] = { "expect_events", expect_events_fields,
                                check_expect_events, K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_EXPECT_CLOSE] = { "expect_close", expect_close_fields,
                               check_expect_close, K_NEEDS_CONN | K_EXPECTS },
    [HS_STEP_CLOSE] = { "close", close_fields, check_close, K_NEEDS_CONN },
    [HS_STEP_DISCONNECT] = { "disconnect", no_fields, NULL, K_NEEDS_CONN },
    [HS_STEP_HTTP] = { "http", http_fields, check_http, K_EXPECTS },
    [HS_STEP_HEALTH] = { "health", health_fields, check_health, K_EXPECTS },
    [HS_STEP_FAULT] = { "fault", fault_step_fields, check_fault, 0 },
    [HS_STEP_SLEEP] = { "sleep", sleep_fields, check_sleep, 0 },
    [HS_STEP_SIGNAL] = { "signal", signal_fields, check_signal, 0 },
    [HS_STEP_EXPECT_MESSAGE] = { "expect_message", expect_message_fields,
                                 check_expect_message, K_NEEDS_CONN | K_EXPECTS },
};

#define NKINDS (sizeof(step_kinds) / sizeof(step_kinds[0]))

const char *hs_step_kind_name(hs_step_kind k)
{
    if ((size_t)k >= NKINDS)
        return "unknown";
    return step_kinds[k].name;
}

unsigned char *hs_step_payload(const hs_step *st, size_t *n)
{
    size_t len = st->size && st->nbytes ? st->size : st->nbytes;
    unsigned char *p = malloc(len + 1);

    if (!p)
        return NULL;
    for (size_t off = 0; off < len; off += st->nbytes)
        memcpy(p + off, st->bytes, len - off < st->nbytes ? len - off : st->nbytes);
    p[len] = 0;
    *n = len;
    return p;
}

const char *hs_tier_key(hs_tier t)
{
    if ((unsigned)t > HS_TIER_FAILED)
        return "unknown";
    return tier_keys[t];
}

const char *hs_outcome_key(hs_outcome o)
{
    if ((unsigned)o >= HS_OUT_COUNT)
        return "unknown";
    return outcome_keys[o];
}

static int step_kind_of(const ctx *c, const where *w, json_t *obj,
                        hs_step_kind *out)
{
    const char *names[NKINDS + 1];
    json_t *v = json_object_get(obj, "step");
    where m = member(w, "step");
    int i;

    for (size_t k = 0; k < NKINDS; k++)
        names[k] = step_kinds[k].name;
    names[NKINDS] = NULL;
    if (!json_is_object(obj))
        return fail(c, w, "must be a step object such as {\"step\": "
                    "\"connect\"}, not %s", found(obj));
    if (!v) {
        char list[300];
        return fail(c, w, "missing required key \"step\" (one of: %s)",
                    join(list, sizeof(list), names));
    }
    if (enum_index(c, &m, v, names, &i) != 0)
        return HS_SCN_ERR;
    *out = (hs_step_kind)i;
    return HS_SCN_OK;
}

/* Defaults that parsing may overwrite; string defaults come after. */
static void step_defaults(hs_step *st, hs_step_kind kind, size_t index)
{
    st->kind = kind;
    st->index = (int)index;
    st->repeat = 1;
    st->degraded = -1;
    st->frame.fin = 1;
    st->frame.masked = 1;
    st->frame.declared_len = -1;
    st->handshake = 1;
    memset(st->outcomes, -1, sizeof(st->outcomes));
    fault_defaults(&st->fault);
    if (kind == HS_STEP_CONNECT)
        st->expect_status = 101;
    else if (kind == HS_STEP_HTTP)
        st->expect_status = 200;
}

static int parse_step(const ctx *c, const where *w, json_t *obj, hs_step *st,
                      size_t index)
{
    table tabs[] = { { common_fields, st }, { no_fields, st },
                     { fault_core, &st->fault } };
    hs_step_kind kind = HS_STEP_CONNECT;
    const step_kind *k;
    char what[64];

    if (step_kind_of(c, w, obj, &kind) != 0)
        return HS_SCN_ERR;
    k = &step_kinds[kind];
    step_defaults(st, kind, index);
    st->line = line_of(c, w);
    snprintf(what, sizeof(what), " in %s \"%s\" step",
             strchr("aeiou", k->name[0]) ? "an" : "a", k->name);
    tabs[1].fields = k->fields;
    if (parse_object(c, w, obj, tabs, kind == HS_STEP_FAULT ? 3 : 2, what) != 0)
        return HS_SCN_ERR;
    if (dup_default(c, w, &st->conn, "main") != 0)
        return HS_SCN_ERR;
    return k->check ? k->check(c, w, obj, st) : HS_SCN_OK;
}

/*
 * Steps act on named connections; one used before a connect step opened it
 * is a mistake in the file, not something to find out at run time.
 */
static int check_conn(const ctx *c, const where *w, json_t *obj,
                      const hs_step *st, json_t *opened)
{
    char q[QUOTE_MAX];
    where m = member(w, "conn");
    const where *at = json_object_get(obj, "conn") ? &m : w;

    if (st->kind == HS_STEP_CONNECT) {
        if (json_object_set_new(opened, st->conn, json_true()) != 0)
            return fail(c, w, "out of memory");
        return HS_SCN_OK;
    }
    if (!(step_kinds[st->kind].flags & K_NEEDS_CONN) ||
        json_object_get(opened, st->conn))
        return HS_SCN_OK;
    quote(q, sizeof(q), st->conn);
    if (strcmp(st->conn, "main") == 0)
        return fail(c, at, "connection %s is used before any connect step "
                    "opens it; add {\"step\": \"connect\"} before it", q);
    return fail(c, at, "connection %s is used before any connect step opens "
                "it; add {\"step\": \"connect\", \"conn\": %s} before it", q, q);
}

static int has_outcomes(const hs_step *st)
{
    for (size_t i = 0; i < HS_OUT_COUNT; i++)
        if (st->outcomes[i] >= 0)
            return 1;
    return 0;
}

static int expects_something(const hs_step *st)
{
    if (has_outcomes(st) || st->codes)
        return 1;
    if (st->kind == HS_STEP_CONNECT)
        return st->expect_status != 101 || st->expect_headers != NULL;
    return (step_kinds[st->kind].flags & K_EXPECTS) != 0;
}

static int parse_steps(const ctx *c, const where *w, json_t *v, hs_scenario *s,
                       json_t *opened)
{
    int expects = 0;

    for (size_t i = 0; i < s->nsteps; i++) {
        where e = element(w, i);
        json_t *obj = json_array_get(v, i);

        if (parse_step(c, &e, obj, &s->steps[i], i) != 0 ||
            check_conn(c, &e, obj, &s->steps[i], opened) != 0)
            return HS_SCN_ERR;
        expects |= expects_something(&s->steps[i]);
    }
    if (!expects)
        return fail(c, w, "scenario has no expectation of its own: the "
                    "contract alone is not a test; add an expect, "
                    "expect_events, expect_close, http or health step");
    return HS_SCN_OK;
}

static int f_steps(const ctx *c, const where *w, json_t *v, void *dst,
                   const field *f)
{
    hs_scenario *s = dst;
    json_t *opened;
    int r;

    if (want_array(c, w, v, "step objects") != 0)
        return HS_SCN_ERR;
    if (json_array_size(v) == 0)
        return fail(c, w, "must hold at least one step");
    s->steps = calloc(json_array_size(v), sizeof(*s->steps));
    opened = json_object();
    if (!s->steps || !opened) {
        json_decref(opened);
        return fail(c, w, "out of memory");
    }
    s->nsteps = json_array_size(v);
    r = parse_steps(c, w, v, s, opened);
    json_decref(opened);
    return r;
}

/* ---- the scenario ----------------------------------------------------- */

#define SCN(m) offsetof(hs_scenario, m)

static const field top_fields[] = {
    { .key = "id", .parse = f_id, .off = SCN(id) },
    { .key = "title", .parse = f_string, .off = SCN(title), .tag = STR_NONEMPTY },
    { .key = "description", .parse = f_string, .off = SCN(description) },
    { .key = "rfc", .parse = f_string, .off = SCN(rfc), .tag = STR_NONEMPTY },
    { .key = "expect", .parse = f_string, .off = SCN(expect), .tag = STR_NONEMPTY },
    { .key = "seed", .parse = f_enum_str, .off = SCN(seed), .names = hs_seed_ids },
    { .key = "tags", .parse = f_strlist, .off = SCN(tags), .tag = STR_NONEMPTY },
    { .key = "timeout_ms", .parse = f_int, .off = SCN(timeout_ms),
      .lo = 1, .hi = TIMEOUT_MAX },
    { .key = "step_timeout_ms", .parse = f_int, .off = SCN(step_timeout_ms),
      .lo = 1, .hi = TIMEOUT_MAX },
    { .key = "target", .parse = f_target, .off = SCN(target) },
    { .key = "faults", .parse = f_faults, .off = 0 },
    { .key = "posix_faults", .parse = f_posix_faults, .off = 0 },
    { .key = "steps", .parse = f_steps, .off = 0 },
    { .key = NULL }
};

/* "dir/deps-500-bridge.json" must hold the scenario "deps-500-bridge". */
static int check_file_name(const ctx *c, const hs_scenario *s)
{
    const char *base = strrchr(c->name, '/');
    size_t n, len = strlen(c->name);
    where m = member(NULL, "id");
    char q[QUOTE_MAX];

    if (len < 5 || strcmp(c->name + len - 5, ".json") != 0)
        return HS_SCN_OK;
    base = base ? base + 1 : c->name;
    n = strlen(base) - 5;
    if (strlen(s->id) == n && strncmp(base, s->id, n) == 0)
        return HS_SCN_OK;
    return fail(c, &m, "\"%s\" does not match the file name %s; rename one "
                "so that the file is \"%s.json\"", s->id,
                quote(q, sizeof(q), base), s->id);
}

static int posix_listed(const hs_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nposix; i++)
        if (strcmp(s->posix_faults[i].name, name) == 0)
            return 1;
    return 0;
}

/*
 * A fault step may switch off a POSIX fault only if the scenario switched
 * it on: anything else is a typo that would silently disable nothing.
 */
static int check_posix_steps(const ctx *c, const hs_scenario *s)
{
    where top = member(NULL, "steps");

    for (size_t i = 0; i < s->nsteps; i++) {
        const hs_step *st = &s->steps[i];
        where e = element(&top, i), m = member(&e, "name");
        char q[QUOTE_MAX];

        if (st->kind != HS_STEP_FAULT || !is_posix_name(st->fault.name) ||
            posix_listed(s, st->fault.name))
            continue;
        return fail(c, &m, "%s is not in \"posix_faults\": a step can only "
                    "disable a POSIX fault the scenario enables",
                    quote(q, sizeof(q), st->fault.name));
    }
    return HS_SCN_OK;
}

/* Lists are NULL-terminated even when the file has none. */
static int empty_lists(hs_scenario *s)
{
    if (!s->tags)
        s->tags = calloc(1, sizeof(*s->tags));
    if (!s->target.args)
        s->target.args = calloc(1, sizeof(*s->target.args));
    return s->tags && s->target.args ? HS_SCN_OK : HS_SCN_ERR;
}

/*
 * "rfc" makes a conformance case: it says what it expects, and only its
 * steps map outcomes to verdicts.
 */
static int check_conformance(const ctx *c, json_t *root, const hs_scenario *s)
{
    where top = member(NULL, "steps");

    if (present_iff(c, NULL, root, "expect", s->rfc != NULL,
                    "with \"rfc\" (a conformance case says what it expects)") != 0)
        return HS_SCN_ERR;
    for (size_t i = 0; i < s->nsteps && !s->rfc; i++) {
        where e = element(&top, i), m = member(&e, "outcomes");

        if (has_outcomes(&s->steps[i]))
            return fail_key(c, &m, &m, "only applies in a conformance case: add "
                            "\"rfc\" and \"expect\" at the top");
    }
    return HS_SCN_OK;
}

static int parse_scenario(const ctx *c, json_t *root, hs_scenario *s)
{
    table tabs[] = { { top_fields, s } };

    s->timeout_ms = 20000;
    s->step_timeout_ms = 5000;
    s->target.startup_delay_ms = -1;
    s->target.ready_queue = -1;
    s->target.wait_ready = 1;
    if (parse_object(c, NULL, root, tabs, 1, "") != 0 ||
        require(c, NULL, root, "id") != 0 ||
        require(c, NULL, root, "title") != 0 ||
        require(c, NULL, root, "steps") != 0 ||
        check_posix_steps(c, s) != 0 ||
        check_conformance(c, root, s) != 0 ||
        check_file_name(c, s) != 0)
        return HS_SCN_ERR;
    if (empty_lists(s) != 0)
        return fail(c, NULL, "out of memory");
    return HS_SCN_OK;
}

/* A syntax error, placed by jansson; its text may quote the input. */
static int syntax_error(const char *name, const json_error_t *je, char *err,
                        size_t errlen)
{
    char safe[200];

    if (err && errlen > 0)
        snprintf(err, errlen, "%s:%d:%d: not valid JSON: %s", name,
                 je->line > 0 ? je->line : 1, je->column > 0 ? je->column : 1,
                 escape(safe, sizeof(safe), je->text, 0));
    return HS_SCN_ERR;
}

static int plain_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int plain_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return HS_SCN_ERR;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return HS_SCN_ERR;
}

int hs_scenario_parse(const char *name, const char *text, size_t len,
                      hs_scenario **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = NULL;
    hs_jsonpos *pos = NULL;
    hs_scenario *s = NULL;
    ctx c = { name, NULL, err, errlen };
    int rc = HS_SCN_ERR;

    *out = NULL;
    if (len > HS_SCN_MAX_BYTES)
        return plain_error(err, errlen, "%s: %zu bytes is more than a scenario "
                           "may hold (%d)", name, len, HS_SCN_MAX_BYTES);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return syntax_error(name, &je, err, errlen);
    s = calloc(1, sizeof(*s));
    if (s)
        s->file = strdup(name);
    if (!s || !s->file || hs_jsonpos_build(text, len, &pos) != HS_JPOS_OK) {
        plain_error(err, errlen, "%s: out of memory", name);
        goto out;
    }
    c.pos = pos;
    rc = parse_scenario(&c, root, s);
out:
    json_decref(root);
    hs_jsonpos_free(pos);
    if (rc != HS_SCN_OK)
        hs_scenario_free(s);
    else
        *out = s;
    return rc;
}

/* Read a whole file, refusing one larger than a scenario may be. */
static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (!f)
        return plain_error(err, errlen, "%s: cannot open: %s", path,
                           strerror(errno));
    buf = malloc((size_t)HS_SCN_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return plain_error(err, errlen, "%s: out of memory", path);
    }
    n = fread(buf, 1, (size_t)HS_SCN_MAX_BYTES + 1, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        return plain_error(err, errlen, "%s: cannot read: %s", path,
                           strerror(e));
    }
    fclose(f);
    *text = buf;
    *len = n;
    return HS_SCN_OK;
}

int hs_scenario_load(const char *path, hs_scenario **out, char *err,
                     size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (read_file(path, &text, &len, err, errlen) != HS_SCN_OK)
        return HS_SCN_ERR;
    rc = hs_scenario_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

static void free_step(hs_step *st)
{
    free(st->conn);
    free(st->user);
    free(st->token);
    free(st->token_raw);
    free(st->token_in);
    free(st->path);
    json_decref(st->headers);
    free(st->ws_key);
    free(st->ws_version);
    free(st->http_version);
    free(st->subprotocol);
    free(st->extensions);
    json_decref(st->expect_headers);
    free(st->codes);
    json_decref(st->json);
    free(st->bytes);
    json_decref(st->match);
    free(st->request_id);
    free(st->reason);
    free(st->method);
    free(st->body);
    free(st->fault.name);
}

void hs_scenario_free(hs_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsteps; i++)
        free_step(&s->steps[i]);
    free(s->steps);
    for (size_t i = 0; i < s->nfaults; i++)
        free(s->faults[i].name);
    free(s->faults);
    for (size_t i = 0; i < s->nposix; i++)
        free(s->posix_faults[i].name);
    free(s->posix_faults);
    free_list(s->tags);
    free_list(s->target.args);
    free(s->file);
    free(s->id);
    free(s->title);
    free(s->seed);
    free(s->description);
    free(s->rfc);
    free(s->expect);
    free(s);
}
