/*
 * hs_known: known issues, the deviations of a target that a run reports
 * without failing on them. Each entry names a target ("reference", "cmd",
 * "url", a profile's name such as "fastapi", or "*"), a case id (an fnmatch pattern) and the reason, which the
 * results and the report show beside the case: a known failure is
 * "xfailed", and a known issue that no longer fails is "xpassed", so a fix
 * upstream is noticed.
 */
#ifndef HS_KNOWN_H
#define HS_KNOWN_H

#include <stddef.h>
#include <jansson.h>

/*
 * Load fixtures/known-issues.json ({"known_issues": [{"target", "case",
 * "reason"}]}). A missing file gives an empty list; a bad one NULL and err.
 */
json_t *hs_known_load(const char *path, char *err, size_t errlen);

/* An expected failure becomes xfailed, an unexpected pass xpassed. */
void hs_known_apply(json_t *c, const json_t *list, const char *target, const char *profile);

#endif
