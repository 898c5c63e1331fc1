/*
 * hs_known: known issues. See hs_known.h.
 */
#include "judge/hs_known.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *known_reason(const json_t *list, const char *id, const char *target,
                                const char *profile)
{
    json_t *k;
    size_t i;

    json_array_foreach((json_t *)list, i, k) {
        const char *t = json_string_value(json_object_get(k, "target"));
        const char *c = json_string_value(json_object_get(k, "case"));

        if (t && c && (strcmp(t, "*") == 0 || strcmp(t, target) == 0 ||
                       (profile && strcmp(t, profile) == 0)) &&
            fnmatch(c, id, 0) == 0)
            return json_string_value(json_object_get(k, "reason"));
    }
    return NULL;
}

static int check_known(const json_t *list, const char *path, char *err, size_t errlen)
{
    json_t *k;
    size_t i;

    if (!json_is_array(list)) {
        snprintf(err, errlen, "%s: expected {\"known_issues\": [{\"target\", \"case\", "
                 "\"reason\"}, ...]}", path);
        return -1;
    }
    json_array_foreach((json_t *)list, i, k)
        if (!json_is_string(json_object_get(k, "target")) ||
            !json_is_string(json_object_get(k, "case")) ||
            !json_is_string(json_object_get(k, "reason")) || json_object_size(k) != 3) {
            snprintf(err, errlen, "%s: known_issues[%zu]: needs exactly \"target\", \"case\" "
                     "and \"reason\", all strings", path, i);
            return -1;
        }
    return 0;
}

json_t *hs_known_load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc, *list;

    if (!path || access(path, F_OK) != 0)
        return json_array();
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    list = json_incref(json_object_get(doc, "known_issues"));
    json_decref(doc);
    if (check_known(list, path, err, errlen) != 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

void hs_known_apply(json_t *c, const json_t *list, const char *target, const char *profile)
{
    const char *st = json_string_value(json_object_get(c, "status"));
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *why = id && st ? known_reason(list, id, target, profile) : NULL;

    if (!why || (strcmp(st, "failed") != 0 && strcmp(st, "passed") != 0))
        return;
    json_object_set_new(c, "known_issue", json_string(why));
    json_object_set_new(c, "status", json_string(strcmp(st, "failed") == 0 ? "xfailed"
                                                                           : "xpassed"));
}
