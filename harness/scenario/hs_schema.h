/*
 * hs_schema: table-driven validation of a JSON file, refusing a bad one
 * with a message that names the file, line, column and field at fault:
 *
 *     scenarios/x.json:6:33: steps[1].frame.opcode: must be a whole number
 *     from 0 to 15, not 16
 *
 * A file format is written as data: one table of fields per kind of
 * object, each field naming its key, the function that checks the value
 * and where in a struct the value goes. The engine walks an object against
 * its tables; the format's own code only builds structs and states the
 * rules that tie keys together.
 *
 * The table format
 * ----------------
 * A table is an array of hs_field ended by { .key = NULL }:
 *
 *     #define CFG(m) offsetof(my_config, m)
 *     static const char *const modes[] = { "fast", "safe", NULL };
 *     static const hs_field config_fields[] = {
 *         { .key = "name", .parse = hs_field_string, .off = CFG(name),
 *           .tag = HS_STR_NONEMPTY },
 *         { .key = "port", .parse = hs_field_int, .off = CFG(port),
 *           .lo = 1, .hi = 65535 },
 *         { .key = "mode", .parse = hs_field_enum, .off = CFG(mode),
 *           .names = modes },
 *         { .key = NULL }
 *     };
 *
 *     hs_schema_doc d;
 *     hs_table tabs[] = { { config_fields, &config } };
 *
 *     if (hs_schema_doc_parse(&d, path, text, len, MAX, "a config", err,
 *                             errlen) != HS_SCHEMA_OK)
 *         return error;
 *     rc = hs_schema_object(&d.ctx, NULL, d.root, tabs, 1, "");
 *     if (rc == HS_SCHEMA_OK)
 *         rc = hs_schema_require(&d.ctx, NULL, d.root, "name");
 *     hs_schema_doc_free(&d);
 *
 * - key: the member name. Any key in no table of the object is refused,
 *   before any value is checked (a typo explains more than the "missing
 *   key" it causes), with "did you mean" when a known key is close (the
 *   first 63 keys of an object's tables take part).
 * - parse: checks the value and stores it at base + off, where base comes
 *   from the hs_table the field was found in. NULL: the key is allowed and
 *   left to the caller (e.g. the key that says which kind of object it is).
 * - lo, hi: inclusive bounds of a whole number (hi LLONG_MAX: no upper one).
 * - names: the allowed values of an enum, NULL-terminated; what "did you
 *   mean" draws from. A format's own functions may give it other meanings.
 * - tag: string rules (HS_STR_*) for the string functions; free for a
 *   format's own functions.
 *
 * Several tables may describe one object (groups of keys shared between
 * objects, or stored into different structs); a key is looked up in them
 * in order. Values are handed to their functions in file order, so the
 * first error reported is the first one in the file. A nested object is a
 * field whose function calls hs_schema_object on the value with tables of
 * its own.
 *
 * Rules between keys (required, one of several, only with another) are a
 * small check function run after the walk, written with hs_schema_require,
 * hs_schema_present_iff, hs_schema_count_keys and hs_schema_first_key.
 *
 * Places and messages
 * -------------------
 * An hs_where is one step down from its parent (an object member or array
 * element), built on the stack as the walk descends; NULL is the top
 * level. Messages read "FILE:LINE:COL: FIELD: what is wrong", FIELD
 * written for people ("steps[3].match", "headers[\"x y\"]", "top level"),
 * the position from the scenario/hs_jsonpos index. Duplicate keys are
 * refused when the text is parsed.
 *
 * Files are untrusted input: every string quoted in a message goes through
 * hs_schema_quote or hs_schema_escape, a field path is cut at a fixed
 * depth, and a document larger than its format allows is refused before
 * it is parsed.
 *
 * Functions that validate return HS_SCHEMA_OK, or HS_SCHEMA_ERR with the
 * message written into the context's err.
 */
#ifndef HS_SCHEMA_H
#define HS_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

#include "scenario/hs_jsonpos.h"

#define HS_SCHEMA_OK 0
#define HS_SCHEMA_ERR -1

/* Room for a quoted value in a message; longer ones are cut with "...". */
#define HS_SCHEMA_QUOTE_MAX 96

/* The document being validated: what messages name and where they go. */
typedef struct hs_schema_ctx {
    const char *name;      /* the file, as messages name it */
    const hs_jsonpos *pos; /* NULL: every message points at 1:1 */
    char *err;             /* may be NULL */
    size_t errlen;
} hs_schema_ctx;

/* One step down from a parent: an object member or an array element. */
typedef struct hs_where {
    const struct hs_where *up; /* NULL: the parent is the top level */
    const char *key;       /* member name; NULL for an array element */
    size_t index;
} hs_where;

hs_where hs_where_member(const hs_where *up, const char *key);
hs_where hs_where_element(const hs_where *up, size_t index);

typedef struct hs_field hs_field;

/* Check one value (at w) and store it at dst. */
typedef int (*hs_field_fn)(const hs_schema_ctx *c, const hs_where *w,
                           json_t *v, void *dst, const hs_field *f);

struct hs_field {
    const char *key;
    hs_field_fn parse;
    size_t off;
    long long lo, hi;
    const char *const *names;
    int tag;
};

/* The fields of one object, and the struct they are stored into. */
typedef struct hs_table {
    const hs_field *fields;
    void *base;
} hs_table;

/* String rules (hs_field.tag of the string functions). */
#define HS_STR_NONEMPTY 1
#define HS_STR_LINE 2      /* goes into an HTTP request: no control bytes */

/* ---- documents ---- */

/* A parsed document and the context its messages need. */
typedef struct hs_schema_doc {
    json_t *root;
    hs_jsonpos *pos;
    hs_schema_ctx ctx;
} hs_schema_doc;

/*
 * Parse text as one JSON document and index its positions. More than max
 * bytes is refused ("NAME: N bytes is more than NOUN may hold (MAX)"), as
 * are invalid JSON and duplicate keys ("NAME:LINE:COL: not valid JSON:
 * ..."). On HS_SCHEMA_OK free d with hs_schema_doc_free; on error it holds
 * nothing. Messages about the document go to err.
 */
int hs_schema_doc_parse(hs_schema_doc *d, const char *name, const char *text,
                        size_t len, size_t max, const char *noun, char *err,
                        size_t errlen);

void hs_schema_doc_free(hs_schema_doc *d);

/*
 * Read a whole file into a malloc'd buffer. At most max + 1 bytes are
 * read, enough for hs_schema_doc_parse to refuse a file that is too large
 * without reading all of it.
 */
int hs_schema_read_file(const char *path, size_t max, char **text,
                        size_t *len, char *err, size_t errlen);

/* ---- walking objects ---- */

/*
 * Check obj against its tables: an object, with no key outside them, each
 * value accepted by its field's function. what names the object in the
 * unknown-key message (" in a frame"), or is "".
 */
int hs_schema_object(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                     const hs_table *tabs, size_t ntabs, const char *what);

/* "missing required key" unless obj has key. */
int hs_schema_require(const hs_schema_ctx *c, const hs_where *w, json_t *obj,
                      const char *key);

/*
 * A key that must be present exactly when wanted holds; when says when
 * ("with \"mode\": \"probability\"").
 */
int hs_schema_present_iff(const hs_schema_ctx *c, const hs_where *w,
                          json_t *obj, const char *key, int wanted,
                          const char *when);

/* Of the keys in names, how many obj has; *second is the second one met. */
size_t hs_schema_count_keys(json_t *obj, const char *const *names,
                            const char **second);

/* The first of keys that obj has, for pointing at it; NULL when none. */
const char *hs_schema_first_key(json_t *obj, const char *const *keys);

/* ---- checking single values (for a format's own field functions) ---- */

/* A whole number from lo to hi. */
int hs_schema_int(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                  long long lo, long long hi, long long *out);

/* A string keeping the HS_STR_* rules; *out points into v. */
int hs_schema_string(const hs_schema_ctx *c, const hs_where *w,
                     const json_t *v, int rules, const char **out);

/* Replace *dst with a copy of s. */
int hs_schema_store_string(const hs_schema_ctx *c, const hs_where *w,
                           const char *s, char **dst);

/* A string among names; *out is its index. */
int hs_schema_enum(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                   const char *const *names, int *out);

/* An array; of says of what, for the message ("step objects"). */
int hs_schema_array(const hs_schema_ctx *c, const hs_where *w, const json_t *v,
                    const char *of);

/* ---- field functions ---- */

int hs_field_int(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                 void *dst, const hs_field *f);      /* int, lo..hi */
int hs_field_long(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f);     /* long, lo..hi */
int hs_field_size(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f);     /* size_t, lo..hi */
int hs_field_i64(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                 void *dst, const hs_field *f);      /* int64_t, lo..hi */
int hs_field_bool(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f);     /* int, 0 or 1 */
/* double above 0 and at most 1 */
int hs_field_prob(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f);
/* char *, malloc'd copy; tag holds HS_STR_* rules */
int hs_field_string(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                    void *dst, const hs_field *f);
/* int (or an enum type): the index of the value in names */
int hs_field_enum(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                  void *dst, const hs_field *f);
/* int: one of a few numbers, spelled as strings in names ("16", "64") */
int hs_field_enum_int(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                      void *dst, const hs_field *f);
/* char *: a copy of the value, which must be one of names */
int hs_field_enum_str(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                      void *dst, const hs_field *f);
/* char **: an array of strings, NULL-terminated; tag holds HS_STR_* rules */
int hs_field_strlist(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                     void *dst, const hs_field *f);

/* Free a list hs_field_strlist made; NULL is fine. */
void hs_schema_strlist_free(char **list);

/* ---- messages ---- */

/*
 * "FILE:LINE:COL: FIELD: message" about the value at w; always returns
 * HS_SCHEMA_ERR.
 */
int hs_schema_fail(const hs_schema_ctx *c, const hs_where *w,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The same about a key itself (unknown, forbidden, one too many): name is
 * the field the message is about, spot the member whose key it points at.
 */
int hs_schema_fail_key(const hs_schema_ctx *c, const hs_where *name,
                       const hs_where *spot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Line of the value at w (1 when unknown), for structs that keep theirs. */
int hs_schema_line(const hs_schema_ctx *c, const hs_where *w);

/* What a value is, for "not ..." ("a string", "a whole number", "null"). */
const char *hs_schema_found(const json_t *v);

/*
 * src made safe for a message in dst (size bytes): printable ASCII stays,
 * other bytes become \xNN, long input ends in "...". hs_schema_quote also
 * puts it in double quotes, escaping '"' and '\'. Both return dst.
 */
const char *hs_schema_escape(char *dst, size_t size, const char *src);
const char *hs_schema_quote(char *dst, size_t size, const char *src);

/* names joined with ", " into dst; returns dst. */
const char *hs_schema_join(char *dst, size_t size, const char *const *names);

/* The one of names s was most likely meant as, or NULL when none is close. */
const char *hs_schema_closest(const char *const *names, const char *s);

/* "did you mean \"x\"?" when one of names is close to s, else the list. */
void hs_schema_advice(char *dst, size_t size, const char *const *names,
                      const char *s);

#endif
