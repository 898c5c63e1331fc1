/*
 * test_match: the matcher language of expect, http and health steps
 * (hs_match): literals, dotted paths with array indices, every operator on
 * both sides of its edge, what validation refuses and says, and the "why"
 * a mismatch leaves for the failure message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scenario/hs_match.h"
#include "tests/test_util.h"

/* A gateway answer with something at every kind of path. */
static const char doc_text[] =
    "{\"type\": \"error\", \"payload\": {\"code\": \"UNAVAILABLE\", \"retry_after_ms\": 500,"
    " \"ratio\": 0.5, \"degraded\": true, \"detail\": null, \"tags\": [\"a\", \"b\"]},"
    " \"events\": [{\"type\": \"start\"}, {\"type\": \"chunk\", \"n\": 3.0}],"
    " \"faults\": {\"gateway/bridge/create\": {\"fired\": 0}}, \"empty\": \"\"}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

    if (j == NULL)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return j;
}

/* Does the document above satisfy matcher_text? why is filled on a miss. */
static int match_doc(const char *matcher_text, char *why, size_t whylen)
{
    json_t *m = load(matcher_text), *doc = load(doc_text);
    char err[256] = "";
    int r;

    if (hs_match_validate(m, err, sizeof(err)) != 0)
        fail_msg("matcher refused: %s: %s", err, matcher_text);
    r = hs_match(m, doc, why, whylen);
    json_decref(m);
    json_decref(doc);
    return r;
}

static void assert_matches(const char *matcher_text)
{
    char why[512] = "";

    if (!match_doc(matcher_text, why, sizeof(why)))
        fail_msg("%s should match; %s", matcher_text, why);
}

static void assert_misses(const char *matcher_text)
{
    if (match_doc(matcher_text, NULL, 0))
        fail_msg("%s should not match", matcher_text);
}

/* A miss, and the why it leaves. */
static void assert_why(const char *matcher_text, const char *want)
{
    char why[512] = "";

    if (match_doc(matcher_text, why, sizeof(why)))
        fail_msg("%s should not match", matcher_text);
    assert_string_equal(why, want);
}

static void assert_refused(const char *matcher_text, const char *want)
{
    json_t *m = load(matcher_text);
    char err[256] = "";

    if (hs_match_validate(m, err, sizeof(err)) != -1)
        fail_msg("%s should be refused", matcher_text);
    assert_string_equal(err, want);
    json_decref(m);
}

static void test_literals(void **state)
{
    assert_matches("{}");
    assert_matches("{\"type\": \"error\"}");
    assert_matches("{\"payload.retry_after_ms\": 500, \"payload.degraded\": true}");
    assert_matches("{\"payload.detail\": null}");
    assert_matches("{\"payload.tags\": [\"a\", \"b\"]}");
    assert_matches("{\"empty\": \"\"}");
    assert_misses("{\"type\": \"Error\"}");
    assert_misses("{\"payload.retry_after_ms\": \"500\"}");
    assert_misses("{\"payload.degraded\": 1}");
    assert_misses("{\"payload.tags\": [\"b\", \"a\"]}");
    /* Every entry must hold, not just one. */
    assert_misses("{\"type\": \"error\", \"payload.code\": \"OK\"}");
}

/* Numbers compare by value: 500 is 500.0, 3.0 is 3. */
static void test_numbers_by_value(void **state)
{
    assert_matches("{\"payload.retry_after_ms\": 500.0}");
    assert_matches("{\"events.1.n\": 3}");
    assert_matches("{\"payload.ratio\": 0.5}");
    assert_misses("{\"payload.retry_after_ms\": 500.5}");
    assert_matches("{\"events.1.n\": {\"$in\": [1, 3]}}");
    assert_matches("{\"payload.retry_after_ms\": {\"$ne\": 499}}");
    assert_misses("{\"payload.retry_after_ms\": {\"$ne\": 500.0}}");
    /* At any depth: inside a literal object or array, and in $in. */
    assert_matches("{\"events.1\": {\"type\": \"chunk\", \"n\": 3}}");
    assert_matches("{\"events\": [{\"type\": \"start\"}, {\"type\": \"chunk\", \"n\": 3}]}");
    assert_matches("{\"events.1\": {\"$in\": [{\"type\": \"chunk\", \"n\": 3}]}}");
    assert_misses("{\"events.1\": {\"type\": \"chunk\", \"n\": 4}}");
}

/* A path that could never resolve is refused, not a silent "absent" that
 * would make {"$exists": false} pass on any document. */
/* $contains on an array: one of its strings holds the text (a list of
 * reasons). */
static void test_contains_in_a_list(void **state)
{
    assert_matches("{\"payload.tags\": {\"$contains\": \"b\"}}");
    assert_misses("{\"payload.tags\": {\"$contains\": \"z\"}}");
}

static void test_unresolvable_paths_refused(void **state)
{
    char long_seg[300], matcher[400], want[400];

    memset(long_seg, 'a', 256);
    long_seg[256] = '\0';
    snprintf(matcher, sizeof(matcher), "{\"x.%s\": 1}", long_seg);
    assert_refused("{\"a..b\": {\"$exists\": false}}", "\"a..b\": not a dotted path");
    snprintf(want, sizeof(want), "\"x.%s\": not a dotted path", long_seg);
    want[255] = '\0';      /* assert_refused's message buffer holds 256 bytes */
    assert_refused(matcher, want);
    /* Array indices are digits only. */
    assert_misses("{\"events.+1.type\": \"chunk\"}");
    assert_misses("{\"events. 1.type\": \"chunk\"}");
    assert_matches("{\"events.1.type\": \"chunk\"}");
}

/* A literal object is compared whole; a dotted path reaches inside it. */
static void test_nested_objects(void **state)
{
    assert_matches("{\"events.0\": {\"type\": \"start\"}}");
    assert_misses("{\"events.0\": {\"type\": \"start\", \"extra\": 1}}");
    assert_misses("{\"faults.gateway/bridge/create\": {}}");
    assert_matches("{\"faults.gateway/bridge/create\": {\"fired\": 0}}");
    assert_matches("{\"faults.gateway/bridge/create.fired\": 0}");
    /* An object with any key not starting with '$' is a literal, not operators. */
    assert_misses("{\"events.0\": {\"$exists\": true, \"type\": \"start\"}}");
}

static void test_paths(void **state)
{
    json_t *doc = load(doc_text);
    json_t *events = json_object_get(doc, "events");

    assert_ptr_equal(hs_match_path(doc, "type"), json_object_get(doc, "type"));
    assert_ptr_equal(hs_match_path(doc, "events.1"), json_array_get(events, 1));
    assert_string_equal(json_string_value(hs_match_path(doc, "events.1.type")), "chunk");
    assert_string_equal(json_string_value(hs_match_path(doc, "payload.tags.0")), "a");
    assert_int_equal(json_integer_value(hs_match_path(doc, "faults.gateway/bridge/create.fired")),
                     0);
    assert_non_null(hs_match_path(doc, "payload.detail"));
    assert_true(json_is_null(hs_match_path(doc, "payload.detail")));
    assert_null(hs_match_path(doc, "events.2"));
    assert_null(hs_match_path(doc, "events.first"));
    assert_null(hs_match_path(doc, "events.1x"));
    assert_null(hs_match_path(doc, "events.-1"));
    assert_null(hs_match_path(doc, "type.length"));
    assert_null(hs_match_path(doc, "payload.missing"));
    assert_null(hs_match_path(doc, "missing.deeper"));
    assert_null(hs_match_path(doc, "payload..code"));
    json_decref(doc);
}

/* A segment must fit the walk's 256-byte buffer: a longer one is absent,
 * never cut down to a shorter key. */
static void test_long_segment(void **state)
{
    char fits[256], too_long[257];
    json_t *doc = json_object();

    memset(fits, 'k', sizeof(fits) - 1);
    fits[sizeof(fits) - 1] = '\0';
    memset(too_long, 'k', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    json_object_set_new(doc, fits, json_integer(1));
    json_object_set_new(doc, too_long, json_integer(2));
    assert_int_equal(json_integer_value(hs_match_path(doc, fits)), 1);
    assert_null(hs_match_path(doc, too_long));
    json_decref(doc);
}

static void test_exists(void **state)
{
    assert_matches("{\"payload.code\": {\"$exists\": true}}");
    assert_matches("{\"payload.detail\": {\"$exists\": true}}");
    assert_matches("{\"payload.missing\": {\"$exists\": false}}");
    assert_matches("{\"events.5\": {\"$exists\": false}}");
    assert_misses("{\"payload.code\": {\"$exists\": false}}");
    assert_misses("{\"payload.missing\": {\"$exists\": true}}");
}

static void test_ne(void **state)
{
    assert_matches("{\"payload.code\": {\"$ne\": \"OK\"}}");
    assert_matches("{\"payload.detail\": {\"$ne\": 0}}");
    assert_misses("{\"payload.code\": {\"$ne\": \"UNAVAILABLE\"}}");
    /* Absent is not "not equal": $ne needs the field. */
    assert_misses("{\"payload.missing\": {\"$ne\": \"x\"}}");
}

static void test_in(void **state)
{
    assert_matches("{\"payload.code\": {\"$in\": [\"OK\", \"UNAVAILABLE\"]}}");
    assert_matches("{\"payload.detail\": {\"$in\": [null]}}");
    assert_misses("{\"payload.code\": {\"$in\": [\"OK\", \"unavailable\"]}}");
    assert_misses("{\"payload.code\": {\"$in\": []}}");
    assert_misses("{\"payload.missing\": {\"$in\": [null]}}");
}

/* Bounds are inclusive, numbers only, and may be given together. */
static void test_gte_lte(void **state)
{
    assert_matches("{\"payload.retry_after_ms\": {\"$gte\": 500}}");
    assert_matches("{\"payload.retry_after_ms\": {\"$gte\": 499.9}}");
    assert_misses("{\"payload.retry_after_ms\": {\"$gte\": 500.1}}");
    assert_matches("{\"payload.retry_after_ms\": {\"$lte\": 500}}");
    assert_matches("{\"payload.retry_after_ms\": {\"$lte\": 500.1}}");
    assert_misses("{\"payload.retry_after_ms\": {\"$lte\": 499}}");
    assert_matches("{\"payload.ratio\": {\"$gte\": 0, \"$lte\": 1}}");
    assert_misses("{\"payload.ratio\": {\"$gte\": 0.6, \"$lte\": 1}}");
    assert_misses("{\"payload.ratio\": {\"$gte\": 0, \"$lte\": 0.4}}");
    assert_misses("{\"payload.code\": {\"$gte\": 0}}");
    assert_misses("{\"payload.degraded\": {\"$lte\": 1}}");
    assert_misses("{\"payload.missing\": {\"$lte\": 1}}");
}

static void test_contains(void **state)
{
    assert_matches("{\"payload.code\": {\"$contains\": \"AVAIL\"}}");
    assert_matches("{\"payload.code\": {\"$contains\": \"UNAVAILABLE\"}}");
    assert_matches("{\"payload.code\": {\"$contains\": \"\"}}");
    assert_misses("{\"payload.code\": {\"$contains\": \"avail\"}}");
    assert_misses("{\"payload.code\": {\"$contains\": \"UNAVAILABLE!\"}}");
    /* A string, or a string in an array; never a number's digits. */
    assert_matches("{\"payload.tags\": {\"$contains\": \"a\"}}");
    assert_misses("{\"payload.retry_after_ms\": {\"$contains\": \"5\"}}");
}

static void test_type(void **state)
{
    static const char *const cases[][2] = {
        { "payload.code", "string" }, { "payload.retry_after_ms", "number" },
        { "payload.ratio", "number" }, { "events.1.n", "number" },
        { "payload.degraded", "boolean" }, { "payload", "object" },
        { "events", "array" }, { "payload.detail", "null" },
    };
    static const char *const types[] = {
        "string", "number", "boolean", "object", "array", "null",
    };
    char m[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            snprintf(m, sizeof(m), "{\"%s\": {\"$type\": \"%s\"}}", cases[i][0], types[t]);
            if (strcmp(types[t], cases[i][1]) == 0)
                assert_matches(m);
            else
                assert_misses(m);
        }
    /* An absent field has no type, not even null. */
    assert_misses("{\"payload.missing\": {\"$type\": \"null\"}}");
}

/* Several operators on one path: all of them must hold. */
static void test_operators_together(void **state)
{
    assert_matches("{\"payload.code\": {\"$exists\": true, \"$type\": \"string\","
                   " \"$contains\": \"UN\", \"$ne\": \"OK\"}}");
    assert_misses("{\"payload.code\": {\"$exists\": true, \"$type\": \"number\"}}");
    assert_misses("{\"payload.code\": {\"$type\": \"string\", \"$in\": [\"OK\"]}}");
}

static void test_why(void **state)
{
    char why[64] = "untouched";
    json_t *m = load("{\"type\": \"ok\"}"), *doc = load(doc_text);

    assert_why("{\"type\": \"ok\"}", "type: wanted \"ok\", got \"error\"");
    assert_why("{\"payload.missing\": 1}", "payload.missing: wanted 1, got absent");
    assert_why("{\"payload.missing\": {\"$exists\": true}}",
               "payload.missing: wanted {\"$exists\":true}, got absent");
    assert_why("{\"events.0\": {\"$type\": \"array\"}}",
               "events.0: wanted {\"$type\":\"array\"}, got {\"type\":\"start\"}");
    assert_why("{\"payload.retry_after_ms\": {\"$gte\": 0, \"$lte\": 100}}",
               "payload.retry_after_ms: wanted {\"$gte\":0,\"$lte\":100}, got 500");
    /* The first entry that fails is the one named. */
    assert_why("{\"type\": \"error\", \"payload.code\": \"OK\", \"events\": []}",
               "payload.code: wanted \"OK\", got \"UNAVAILABLE\"");
    /* A short buffer is cut, never overrun; a NULL why is allowed. */
    assert_int_equal(hs_match(m, doc, why, 10), 0);
    assert_string_equal(why, "type: wan");
    assert_int_equal(hs_match(m, doc, NULL, 0), 0);
    json_decref(m);
    json_decref(doc);
}

/* What was found is shown compactly, cut at 120 characters with "...". */
static void test_why_long_value(void **state)
{
    char value[241], want[300], why[512] = "";
    json_t *m = load("{\"s\": \"short\"}"), *doc;

    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    doc = json_pack("{s:s}", "s", value);
    assert_int_equal(hs_match(m, doc, why, sizeof(why)), 0);
    snprintf(want, sizeof(want), "s: wanted \"short\", got \"%.119s...", value);
    assert_string_equal(why, want);
    json_decref(doc);
    /* Exactly 120 with its quotes: shown whole. */
    value[118] = '\0';
    doc = json_pack("{s:s}", "s", value);
    assert_int_equal(hs_match(m, doc, why, sizeof(why)), 0);
    snprintf(want, sizeof(want), "s: wanted \"short\", got \"%s\"", value);
    assert_string_equal(why, want);
    json_decref(doc);
    json_decref(m);
}

static void test_validate_accepts(void **state)
{
    static const char *const good[] = {
        "{}",
        "{\"a\": 1, \"a.b.0\": \"x\", \"c\": null, \"d\": [1], \"e\": {\"k\": 1}}",
        "{\"a\": {\"$exists\": false}}",
        "{\"a\": {\"$ne\": {\"any\": [\"value\"]}}}",
        "{\"a\": {\"$in\": []}}",
        "{\"a\": {\"$gte\": -1.5, \"$lte\": 2}}",
        "{\"a\": {\"$contains\": \"\"}}",
        "{\"a\": {\"$type\": \"null\"}}",
        "{\"faults.gateway/bridge/create.fired\": 0}",
    };
    char err[256];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *m = load(good[i]);

        err[0] = '\0';
        if (hs_match_validate(m, err, sizeof(err)) != 0)
            fail_msg("refused %s: %s", good[i], err);
        json_decref(m);
    }
}

static void test_validate_refuses(void **state)
{
    assert_refused("[]", "a matcher must be an object of path: value");
    assert_refused("\"type\"", "a matcher must be an object of path: value");
    assert_refused("{\"\": 1}", "\"\": not a dotted path");
    assert_refused("{\".a\": 1}", "\".a\": not a dotted path");
    assert_refused("{\"a.\": 1}", "\"a.\": not a dotted path");
    assert_refused("{\"a\": {\"$regex\": \"x\"}}",
                   "a: unknown operator \"$regex\" (use $exists, $ne, $in, $gte, $lte, "
                   "$contains, $type)");
    assert_refused("{\"a\": {\"$exists\": 1}}",
                   "a: operator $exists has an argument of the wrong type");
    assert_refused("{\"a\": {\"$in\": \"x\"}}",
                   "a: operator $in has an argument of the wrong type");
    assert_refused("{\"a\": {\"$gte\": \"1\"}}",
                   "a: operator $gte has an argument of the wrong type");
    assert_refused("{\"a\": {\"$lte\": null}}",
                   "a: operator $lte has an argument of the wrong type");
    assert_refused("{\"a\": {\"$contains\": 1}}",
                   "a: operator $contains has an argument of the wrong type");
    assert_refused("{\"a\": {\"$type\": \"integer\"}}",
                   "a: operator $type has an argument of the wrong type");
    assert_refused("{\"a\": {\"$type\": 1}}",
                   "a: operator $type has an argument of the wrong type");
    /* A bad operator is found after good ones, on any path. */
    assert_refused("{\"ok\": 1, \"b.c\": {\"$gte\": 1, \"$lte\": \"2\"}}",
                   "b.c: operator $lte has an argument of the wrong type");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_numbers_by_value),
        cmocka_unit_test(test_nested_objects),
        cmocka_unit_test(test_unresolvable_paths_refused),
        cmocka_unit_test(test_contains_in_a_list),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_long_segment),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_ne),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_gte_lte),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_type),
        cmocka_unit_test(test_operators_together),
        cmocka_unit_test(test_why),
        cmocka_unit_test(test_why_long_value),
        cmocka_unit_test(test_validate_accepts),
        cmocka_unit_test(test_validate_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
