/*
 * hs_match: field matchers for expect, http and health steps. See hs_match.h
 * for the vocabulary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/hs_match.h"

static const char *const match_ops[] = {
    "$exists", "$ne", "$in", "$gte", "$lte", "$contains", "$type", NULL
};

static const char *const match_types[] = {
    "string", "number", "boolean", "object", "array", "null", NULL
};

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* An operator object is an object whose every key starts with '$'. */
static int is_operator(const json_t *v)
{
    const char *k;
    json_t *x;

    if (!json_is_object(v) || json_object_size(v) == 0)
        return 0;
    json_object_foreach((json_t *)v, k, x)
        if (k[0] != '$')
            return 0;
    return 1;
}

static int validate_op(const char *path, const char *op, const json_t *arg,
                       char *err, size_t errlen)
{
    if (!in_list(op, match_ops)) {
        snprintf(err, errlen, "%s: unknown operator \"%s\" (use $exists, $ne, "
                 "$in, $gte, $lte, $contains, $type)", path, op);
        return -1;
    }
    if (strcmp(op, "$exists") == 0 && !json_is_boolean(arg))
        goto bad;
    if (strcmp(op, "$in") == 0 && !json_is_array(arg))
        goto bad;
    if ((strcmp(op, "$gte") == 0 || strcmp(op, "$lte") == 0) && !json_is_number(arg))
        goto bad;
    if (strcmp(op, "$contains") == 0 && !json_is_string(arg))
        goto bad;
    if (strcmp(op, "$type") == 0 &&
        (!json_is_string(arg) || !in_list(json_string_value(arg), match_types)))
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "%s: operator %s has an argument of the wrong type",
             path, op);
    return -1;
}

#define SEG_MAX 256     /* longest path segment, terminator included */

/* Every segment non-empty and short enough: a path that cannot resolve
 * would make {"$exists": false} pass whatever the document holds. */
static int path_ok(const char *path)
{
    const char *p = path;

    for (;;) {
        size_t n = strcspn(p, ".");

        if (n == 0 || n >= SEG_MAX)
            return 0;
        if (p[n] == '\0')
            return 1;
        p += n + 1;
    }
}

int hs_match_validate(const json_t *matcher, char *err, size_t errlen)
{
    const char *path, *op;
    json_t *v, *arg;

    if (!json_is_object(matcher)) {
        snprintf(err, errlen, "a matcher must be an object of path: value");
        return -1;
    }
    json_object_foreach((json_t *)matcher, path, v) {
        if (!path_ok(path)) {
            snprintf(err, errlen, "\"%s\": not a dotted path", path);
            return -1;
        }
        if (!is_operator(v))
            continue;
        json_object_foreach(v, op, arg)
            if (validate_op(path, op, arg, err, errlen) != 0)
                return -1;
    }
    return 0;
}

json_t *hs_match_path(const json_t *doc, const char *path)
{
    char seg[SEG_MAX];
    const char *p = path;
    json_t *cur = (json_t *)doc;

    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *end;

        if (n == 0 || n >= sizeof(seg))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (json_is_array(cur)) {
            /* Digits only: strtoul alone would take "+1" and " 1" for 1. */
            unsigned long i = strtoul(seg, &end, 10);
            cur = *end || strspn(seg, "0123456789") != n ? NULL : json_array_get(cur, i);
        } else {
            cur = json_is_object(cur) ? json_object_get(cur, seg) : NULL;
        }
        p += n + (dot ? 1 : 0);
    }
    return cur;
}

static int values_equal(const json_t *a, const json_t *b);

static int objects_equal(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;

    if (json_object_size(a) != json_object_size(b))
        return 0;
    json_object_foreach((json_t *)a, k, v)
        if (!values_equal(v, json_object_get(b, k)))
            return 0;
    return 1;
}

static int arrays_equal(const json_t *a, const json_t *b)
{
    size_t n = json_array_size(a);

    if (n != json_array_size(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
            return 0;
    return 1;
}

/* Numbers compare by value at any depth, so 3 matches 3.0 inside objects
 * and arrays too; everything else as jansson. */
static int values_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_object(a) && json_is_object(b))
        return objects_equal(a, b);
    if (json_is_array(a) && json_is_array(b))
        return arrays_equal(a, b);
    return json_equal((json_t *)a, (json_t *)b);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* A string holding s, or an array with such a string (a list of reasons). */
static int contains(const json_t *v, const char *s)
{
    json_t *x;
    size_t i;

    if (json_is_string(v))
        return strstr(json_string_value(v), s) != NULL;
    json_array_foreach((json_t *)v, i, x)
        if (json_is_string(x) && strstr(json_string_value(x), s))
            return 1;
    return 0;
}

static int op_holds(const char *op, const json_t *arg, const json_t *v)
{
    if (strcmp(op, "$exists") == 0)
        return (v != NULL) == json_is_true(arg);
    if (!v)
        return 0;
    if (strcmp(op, "$ne") == 0)
        return !values_equal(v, arg);
    if (strcmp(op, "$in") == 0) {
        size_t i;
        json_t *x;
        json_array_foreach(arg, i, x)
            if (values_equal(v, x))
                return 1;
        return 0;
    }
    if (strcmp(op, "$gte") == 0)
        return json_is_number(v) && json_number_value(v) >= json_number_value(arg);
    if (strcmp(op, "$lte") == 0)
        return json_is_number(v) && json_number_value(v) <= json_number_value(arg);
    if (strcmp(op, "$contains") == 0)
        return contains(v, json_string_value(arg));
    return strcmp(type_name(v), json_string_value(arg)) == 0;
}

/* Describe what was found at a path, compactly, for failure messages. */
static void describe(const json_t *v, char *buf, size_t len)
{
    char *s;

    if (!v) {
        snprintf(buf, len, "absent");
        return;
    }
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(buf, len, "%.120s%s", s ? s : "?", s && strlen(s) > 120 ? "..." : "");
    free(s);
}

int hs_match(const json_t *matcher, const json_t *doc, char *why, size_t whylen)
{
    const char *path, *op;
    json_t *want, *arg;
    char seen[160];

    json_object_foreach((json_t *)matcher, path, want) {
        json_t *v = hs_match_path(doc, path);
        int ok = 1;

        if (is_operator(want)) {
            json_object_foreach(want, op, arg)
                ok = ok && op_holds(op, arg, v);
        } else {
            ok = v && values_equal(v, want);
        }
        if (!ok) {
            if (why) {
                char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
                describe(v, seen, sizeof(seen));
                snprintf(why, whylen, "%s: wanted %.100s, got %s", path,
                         w ? w : "?", seen);
                free(w);
            }
            return 0;
        }
    }
    return 1;
}
