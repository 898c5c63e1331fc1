/*
 * hs_jsonpos: a position index over a JSON text. See hs_jsonpos.h.
 *
 * Paths are not stored: each entry keeps a 64-bit FNV-1a hash of its path,
 * built segment by segment as the scan descends, so memory stays linear in
 * the number of values however long the keys or deep the nesting. A hash
 * collision can only misplace an error message, never break anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_hex.h"
#include "scenario/hs_jsonpos.h"

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

typedef struct jp_entry {
    uint64_t hash;
    hs_jpos pos;
} jp_entry;

struct hs_jsonpos {
    jp_entry *v;
    size_t n, cap;
};

/* One open container: its own path hash and how many members it has seen. */
typedef struct jp_frame {
    uint64_t hash;
    int is_object;
    size_t count;
} jp_frame;

typedef struct jp_scan {
    const unsigned char *p, *end;
    int line, col;         /* position of *p */
    hs_jsonpos *ix;
    jp_frame st[HS_JPOS_MAX_DEPTH];
    size_t depth;
} jp_scan;

enum { SCAN_MORE, SCAN_DONE, SCAN_DAMAGE, SCAN_OOM };

static uint64_t hash_byte(uint64_t h, unsigned char b)
{
    return (h ^ b) * FNV_PRIME;
}

/* A NUL separates segments, so "a/b" as one key and a, b as two differ. */
static uint64_t hash_open_segment(uint64_t parent)
{
    return hash_byte(parent, 0);
}

static uint64_t hash_index(uint64_t parent, size_t index)
{
    char digits[32];
    uint64_t h = hash_open_segment(parent);

    snprintf(digits, sizeof(digits), "%zu", index);
    for (const char *d = digits; *d; d++)
        h = hash_byte(h, (unsigned char)*d);
    return h;
}

/*
 * Step over one byte. Columns count characters: UTF-8 continuation bytes
 * do not start a new one.
 */
static void advance(jp_scan *s)
{
    unsigned char b = *s->p++;

    if (b == '\n') {
        s->line++;
        s->col = 1;
    } else if ((b & 0xC0) != 0x80) {
        s->col++;
    }
}

static int at(const jp_scan *s, char c)
{
    return s->p < s->end && *s->p == (unsigned char)c;
}

static void skip_ws(jp_scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        advance(s);
}

static int add_entry(hs_jsonpos *ix, uint64_t hash, hs_jpos pos)
{
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        jp_entry *v;

        if (cap > SIZE_MAX / sizeof(*v))
            return HS_JPOS_ERR;
        v = realloc(ix->v, cap * sizeof(*v));
        if (!v)
            return HS_JPOS_ERR;
        ix->v = v;
        ix->cap = cap;
    }
    ix->v[ix->n].hash = hash;
    ix->v[ix->n].pos = pos;
    ix->n++;
    return HS_JPOS_OK;
}

/* Read the 4 hex digits of a \u escape (the "\u" already consumed). */
static long read_u16(jp_scan *s)
{
    long v = 0;

    for (int i = 0; i < 4; i++) {
        int d = s->p < s->end ? hs_hex_digit(*s->p) : -1;

        if (d < 0)
            return -1;
        v = v * 16 + d;
        advance(s);
    }
    return v;
}

static uint64_t hash_utf8(uint64_t h, unsigned long cp)
{
    if (cp < 0x80)
        return hash_byte(h, (unsigned char)cp);
    if (cp < 0x800) {
        h = hash_byte(h, (unsigned char)(0xC0 | (cp >> 6)));
    } else if (cp < 0x10000) {
        h = hash_byte(h, (unsigned char)(0xE0 | (cp >> 12)));
        h = hash_byte(h, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    } else {
        h = hash_byte(h, (unsigned char)(0xF0 | (cp >> 18)));
        h = hash_byte(h, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
        h = hash_byte(h, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    }
    return hash_byte(h, (unsigned char)(0x80 | (cp & 0x3F)));
}

/*
 * A \u escape, decoded the way a parser stores the key: a surrogate pair
 * becomes one code point. Returns -1 on a malformed escape.
 */
static int hash_u_escape(jp_scan *s, uint64_t *h)
{
    long cp = read_u16(s);

    if (cp < 0)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 &&
        s->p[0] == '\\' && s->p[1] == 'u') {
        const unsigned char *save = s->p;
        int line = s->line, col = s->col;
        long lo;

        advance(s);
        advance(s);
        lo = read_u16(s);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else {
            s->p = save;
            s->line = line;
            s->col = col;
        }
    }
    *h = hash_utf8(*h, (unsigned long)cp);
    return 0;
}

static int escape_byte(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/*
 * Consume a string starting at its opening quote, hashing its decoded bytes
 * into *h. Returns -1 when the text ends or an escape is malformed.
 */
static int scan_string(jp_scan *s, uint64_t *h)
{
    advance(s);
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = *s->p;

        advance(s);
        if (c != '\\') {
            *h = hash_byte(*h, c);
            continue;
        }
        if (s->p >= s->end)
            return -1;
        c = *s->p;
        advance(s);
        if (c == 'u') {
            if (hash_u_escape(s, h) != 0)
                return -1;
        } else if (escape_byte(c) >= 0) {
            *h = hash_byte(*h, (unsigned char)escape_byte(c));
        } else {
            return -1;
        }
    }
    if (s->p >= s->end)
        return -1;
    advance(s);
    return 0;
}

/* Numbers and literals: everything up to the next delimiter. */
static int scan_scalar(jp_scan *s)
{
    const unsigned char *start = s->p;

    while (s->p < s->end && !strchr(",]}:\"{[ \t\r\n", *s->p) && *s->p)
        advance(s);
    return s->p > start ? 0 : -1;
}

/* A container too deep to index: consume it whole, without recursion. */
static int skip_container(jp_scan *s)
{
    size_t open = 0;
    uint64_t ignored = 0;

    do {
        if (s->p >= s->end)
            return -1;
        if (*s->p == '"') {
            if (scan_string(s, &ignored) != 0)
                return -1;
            continue;
        }
        if (*s->p == '{' || *s->p == '[')
            open++;
        else if (*s->p == '}' || *s->p == ']')
            open--;
        advance(s);
    } while (open > 0);
    return 0;
}

/*
 * Consume the value at s->p. A non-empty container is opened (pushed) and
 * SCAN_MORE returned: its first member follows. Anything else is consumed
 * whole and SCAN_DONE returned.
 */
static int scan_value(jp_scan *s, uint64_t hash)
{
    unsigned char c = *s->p;
    uint64_t ignored = 0;

    if (c == '"')
        return scan_string(s, &ignored) == 0 ? SCAN_DONE : SCAN_DAMAGE;
    if (c != '{' && c != '[')
        return scan_scalar(s) == 0 ? SCAN_DONE : SCAN_DAMAGE;
    if (s->depth == HS_JPOS_MAX_DEPTH)
        return skip_container(s) == 0 ? SCAN_DONE : SCAN_DAMAGE;
    advance(s);
    skip_ws(s);
    if (at(s, c == '{' ? '}' : ']')) {
        advance(s);
        return SCAN_DONE;
    }
    s->st[s->depth].hash = hash;
    s->st[s->depth].is_object = c == '{';
    s->st[s->depth].count = 0;
    s->depth++;
    return SCAN_MORE;
}

/*
 * After a value: a comma means another member of the innermost container
 * (SCAN_MORE); closers pop containers until one of those or the end.
 */
static int settle(jp_scan *s)
{
    while (s->depth > 0) {
        jp_frame *top = &s->st[s->depth - 1];

        skip_ws(s);
        if (at(s, ',')) {
            advance(s);
            top->count++;
            return SCAN_MORE;
        }
        if (!at(s, top->is_object ? '}' : ']'))
            return SCAN_DAMAGE;
        advance(s);
        s->depth--;
    }
    return SCAN_DONE;
}

/* Position on the next member's value; compute its path hash and key spot. */
static int next_member(jp_scan *s, uint64_t *hash, hs_jpos *pos)
{
    jp_frame *top = &s->st[s->depth - 1];

    pos->key_line = pos->key_col = 0;
    if (!top->is_object) {
        *hash = hash_index(top->hash, top->count);
        return 0;
    }
    skip_ws(s);
    if (!at(s, '"'))
        return -1;
    pos->key_line = s->line;
    pos->key_col = s->col;
    *hash = hash_open_segment(top->hash);
    if (scan_string(s, hash) != 0)
        return -1;
    skip_ws(s);
    if (!at(s, ':'))
        return -1;
    advance(s);
    return 0;
}

/* The scan proper: iterative, with an explicit stack of open containers. */
static int scan(jp_scan *s)
{
    uint64_t hash = FNV_OFFSET;
    hs_jpos pos = { 0, 0, 0, 0 };
    int r;

    for (;;) {
        skip_ws(s);
        if (s->p >= s->end)
            return HS_JPOS_OK;
        pos.line = s->line;
        pos.col = s->col;
        if (add_entry(s->ix, hash, pos) != HS_JPOS_OK)
            return HS_JPOS_ERR;
        r = scan_value(s, hash);
        if (r == SCAN_DONE)
            r = settle(s);
        if (r != SCAN_MORE || next_member(s, &hash, &pos) != 0)
            return HS_JPOS_OK;
    }
}

static int entry_cmp(const void *a, const void *b)
{
    uint64_t x = ((const jp_entry *)a)->hash, y = ((const jp_entry *)b)->hash;

    return x < y ? -1 : x > y;
}

int hs_jsonpos_build(const char *text, size_t len, hs_jsonpos **out)
{
    jp_scan *s = calloc(1, sizeof(*s));
    hs_jsonpos *ix = calloc(1, sizeof(*ix));

    *out = NULL;
    if (!s || !ix)
        goto error;
    s->p = (const unsigned char *)text;
    s->end = s->p + len;
    s->line = s->col = 1;
    s->ix = ix;
    if (scan(s) != HS_JPOS_OK)
        goto error;
    if (ix->n > 1)
        qsort(ix->v, ix->n, sizeof(*ix->v), entry_cmp);
    free(s);
    *out = ix;
    return HS_JPOS_OK;
error:
    free(s);
    hs_jsonpos_free(ix);
    return HS_JPOS_ERR;
}

void hs_jsonpos_free(hs_jsonpos *ix)
{
    if (!ix)
        return;
    free(ix->v);
    free(ix);
}

static const jp_entry *lookup(const hs_jsonpos *ix, uint64_t hash)
{
    jp_entry key = { .hash = hash };

    if (ix->n == 0)
        return NULL;
    return bsearch(&key, ix->v, ix->n, sizeof(*ix->v), entry_cmp);
}

/*
 * Walk the path segment by segment, undoing the ~0 / ~1 escapes, and keep
 * the deepest prefix that was indexed.
 */
int hs_jsonpos_find(const hs_jsonpos *ix, const char *path, hs_jpos *pos)
{
    uint64_t hash = FNV_OFFSET;
    const jp_entry *best = lookup(ix, hash), *e = best;
    const char *p = path;

    while (*p && e) {
        hash = hash_open_segment(hash);
        for (; *p && *p != '/'; p++) {
            unsigned char c = (unsigned char)*p;

            if (c == '~' && (p[1] == '0' || p[1] == '1'))
                c = *++p == '0' ? '~' : '/';
            hash = hash_byte(hash, c);
        }
        if (*p == '/')
            p++;
        e = lookup(ix, hash);
        if (e)
            best = e;
    }
    if (!best)
        return HS_JPOS_ERR;
    *pos = best->pos;
    return e ? 0 : 1;
}

int hs_jsonpos_path_add(char *buf, size_t size, const char *seg)
{
    size_t len = strlen(buf), need = len + (len > 0) + 1;

    for (const char *c = seg; *c; c++)
        need += (*c == '~' || *c == '/') ? 2 : 1;
    if (need > size)
        return HS_JPOS_ERR;
    if (len > 0)
        buf[len++] = '/';
    for (const char *c = seg; *c; c++) {
        if (*c == '~' || *c == '/') {
            buf[len++] = '~';
            buf[len++] = *c == '~' ? '0' : '1';
        } else {
            buf[len++] = *c;
        }
    }
    buf[len] = '\0';
    return HS_JPOS_OK;
}
