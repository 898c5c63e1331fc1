/*
 * hs_match: field matchers, the vocabulary of "expect", "http" and "health"
 * steps.
 *
 * A matcher is a JSON object whose keys are dotted paths into the received
 * JSON ("payload.code", "dependencies.bridge.state", "events.0") and whose
 * values are either a literal (compared for equality, numbers by value) or
 * one operator object:
 *   {"$exists": true|false}   the path is present (or absent)
 *   {"$ne": V}                present and not equal to V
 *   {"$in": [V, ...]}         equal to one of the values
 *   {"$gte": N} {"$lte": N}   a number, bounded (both may appear together)
 *   {"$contains": "s"}        a string containing s, or an array with one
 *   {"$type": "string"|"number"|"boolean"|"object"|"array"|"null"}
 */
#ifndef HS_MATCH_H
#define HS_MATCH_H

#include <stddef.h>
#include <jansson.h>

/* Check a matcher's own syntax. 0 when valid; else -1 and err names the key. */
int hs_match_validate(const json_t *matcher, char *err, size_t errlen);

/*
 * Does doc satisfy every entry of matcher? Returns 1 or 0. On 0, why (if not
 * NULL) says which path failed and what was there.
 */
int hs_match(const json_t *matcher, const json_t *doc, char *why, size_t whylen);

/* Resolve a dotted path; array elements by index. NULL when absent. */
json_t *hs_match_path(const json_t *doc, const char *path);

#endif
