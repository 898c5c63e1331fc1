/*
 * hs_jsonpos: where each value of a JSON text starts.
 *
 * jansson forgets source positions once a text is parsed, yet a useful error
 * about a scenario names FILE:LINE:COL. One scan of the text records, for
 * every value, the line and column of its first character (and of its key,
 * for object members), keyed by the value's path.
 *
 * A path is a list of segments joined by '/': object keys as they decode,
 * array indices in decimal ("steps/3/match"). As in JSON Pointer (RFC 6901)
 * a '~' in a key is written "~0" and a '/' is written "~1". The root is "".
 *
 * Lines and columns are 1-based; a column counts characters, not bytes,
 * the way jansson's own error positions do.
 */
#ifndef HS_JSONPOS_H
#define HS_JSONPOS_H

#include <stddef.h>

#define HS_JPOS_OK 0
#define HS_JPOS_ERR -1

/* Values nested deeper than this are not indexed (their ancestors are). */
#define HS_JPOS_MAX_DEPTH 64

typedef struct hs_jsonpos hs_jsonpos;

typedef struct hs_jpos {
    int line, col;         /* the value's first character */
    int key_line, key_col; /* the opening quote of its key; 0 when none */
} hs_jpos;

/*
 * Index text. The text should be JSON that a parser has already accepted;
 * anything else is indexed up to the first damage, never read past len.
 * Fails only when memory runs out.
 */
int hs_jsonpos_build(const char *text, size_t len, hs_jsonpos **out);

void hs_jsonpos_free(hs_jsonpos *ix);

/*
 * Position of the value at path. When that value was not indexed, the
 * nearest indexed ancestor answers. Returns 0 for the value itself, 1 for an
 * ancestor, HS_JPOS_ERR when nothing is indexed at all.
 */
int hs_jsonpos_find(const hs_jsonpos *ix, const char *path, hs_jpos *pos);

/*
 * Append one segment to a path held in buf (size bytes, NUL-terminated),
 * escaping '~' and '/'. Returns HS_JPOS_ERR, leaving buf unchanged, when it
 * would not fit.
 */
int hs_jsonpos_path_add(char *buf, size_t size, const char *seg);

#endif
