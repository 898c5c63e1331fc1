/*
 * test_history: the history file (load, add, trim, save), the choice of a
 * baseline, and every list of the regression diff, including the edges of
 * its thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/hs_fsutil.h"
#include "output/hs_history.h"
#include "output/hs_results.h"
#include "tests/test_util.h"

/* An entry built by hand: "id:status:ms" triples, NULL-terminated. */
static json_t *entry(const char *run, ...)
{
    json_t *cases = json_object();
    va_list ap;
    const char *id;

    va_start(ap, run);
    for (id = va_arg(ap, const char *); id != NULL; id = va_arg(ap, const char *)) {
        const char *st = va_arg(ap, const char *);
        double ms = va_arg(ap, double);

        json_object_set_new(cases, id, json_pack("{s:s,s:f}", "status", st,
                                                 "duration_ms", ms));
    }
    va_end(ap);
    return json_pack("{s:s,s:s,s:s,s:s,s:o}", "format", HS_HISTORY_FORMAT, "run", run,
                     "date", "2026-01-01T00:00:00Z", "commit", run, "cases", cases);
}

static json_t *history(json_t *first, ...)
{
    json_t *runs = json_array(), *e;
    va_list ap;

    va_start(ap, first);
    for (e = first; e != NULL; e = va_arg(ap, json_t *))
        json_array_append_new(runs, e);
    va_end(ap);
    return runs;
}

static const json_t *item(const json_t *diff, const char *list, size_t i)
{
    return json_array_get(json_object_get(diff, list), i);
}

static size_t count(const json_t *diff, const char *list)
{
    return json_array_size(json_object_get(diff, list));
}

static void test_status_names(void **state)
{
    assert_int_equal(hs_history_status("passed"), HS_STATUS_PASSED);
    assert_int_equal(hs_history_status("xpassed"), HS_STATUS_XPASSED);
    assert_int_equal(hs_history_status("nope"), -1);
    assert_int_equal(hs_history_status(NULL), -1);
    assert_string_equal(hs_history_status_name(HS_STATUS_FLAKY), "flaky");
    assert_string_equal(hs_history_status_name(99), "unknown");
    assert_true(hs_history_failing(HS_STATUS_FAILED));
    assert_true(hs_history_failing(HS_STATUS_XPASSED));
    assert_false(hs_history_failing(HS_STATUS_FLAKY));
    assert_false(hs_history_failing(HS_STATUS_XFAILED));
}

static void test_median(void **state)
{
    json_t *odd = json_pack("{s:[f,f,f], s:f}", "durations_ms", 30.0, 10.0, 20.0,
                            "duration_ms", 99.0);
    json_t *even = json_pack("{s:[f,f,f,f]}", "durations_ms", 40.0, 10.0, 30.0, 20.0);
    json_t *single = json_pack("{s:f}", "duration_ms", 7.5);

    assert_cmp_dbl(hs_history_median(odd), ==, 20.0);
    assert_cmp_dbl(hs_history_median(even), ==, 25.0);
    assert_cmp_dbl(hs_history_median(single), ==, 7.5);
    assert_cmp_dbl(hs_history_median(NULL), ==, 0.0);
    json_decref(odd);
    json_decref(even);
    json_decref(single);
}

static void test_entry_of_doc(void **state)
{
    json_t *doc = json_pack(
        "{s:s, s:{s:s,s:s,s:s,s:s,s:s}, s:[{s:s,s:s,s:[f,f,f]},"
        " {s:s,s:s,s:f,s:{s:s,s:s,s:s}}]}",
        "format", HS_RESULTS_FORMAT, "run", "id", "r1", "started_at", "2026-11-22T22:15:00Z",
        "git_commit", "abc", "target", "build/gateway", "command", "build/harness x",
        "cases", "id", "a", "status", "flaky", "durations_ms", 5.0, 1.0, 3.0,
        "id", "b", "status", "passed", "duration_ms", 2.0,
        "verdict", "behavior", "OK", "close", "WRONG CODE", "extra", "dropped");
    json_t *e = hs_history_entry(doc);
    const json_t *cases = json_object_get(e, "cases");

    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "format")), HS_HISTORY_FORMAT);
    assert_string_equal(json_string_value(json_object_get(e, "run")), "r1");
    assert_string_equal(json_string_value(json_object_get(e, "commit")), "abc");
    assert_string_equal(json_string_value(json_object_get(e, "date")), "2026-11-22T22:15:00Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(cases, "a"),
                                                          "status")), "flaky");
    assert_cmp_dbl(json_real_value(json_object_get(json_object_get(cases, "a"), "duration_ms")),
                   ==, 3.0);
    assert_null(json_object_get(json_object_get(cases, "a"), "verdict"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(cases, "b"), "verdict"), "close")), "WRONG CODE");
    assert_null(json_object_get(json_object_get(json_object_get(cases, "b"), "verdict"),
                                "extra"));
    json_decref(e);
    json_decref(doc);
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(hs_fs_write_atomic(path, text, strlen(text), NULL, 0), 0);
}

static void test_load_missing_is_empty(void **state)
{
    char path[128];
    json_t *runs = NULL;
    size_t skipped = 99;

    test_path(path, sizeof(path), "none/history.jsonl");
    assert_int_equal(hs_history_load(path, &runs, &skipped, NULL, 0), 0);
    assert_int_equal(json_array_size(runs), 0);
    assert_int_equal(skipped, 0);
    json_decref(runs);
}

/* A torn or foreign line must not block every later run. */
static void test_load_skips_bad_lines(void **state)
{
    char path[128];
    json_t *runs = NULL;
    size_t skipped = 0;

    test_path(path, sizeof(path), "mixed.jsonl");
    write_text(path,
               "{\"format\":\"wsfault-history/1\",\"run\":\"r1\",\"cases\":{}}\n"
               "\n"
               " \t\r\n"
               "{\"format\":\"wsfault-history/1\",\"run\":\"r2\",\"cas\n"
               "{\"format\":\"other/1\",\"run\":\"r3\",\"cases\":{}}\n"
               "[1,2]\n"
               "{\"format\":\"wsfault-history/1\",\"run\":\"r4\",\"cases\":{}}");
    assert_int_equal(hs_history_load(path, &runs, &skipped, NULL, 0), 0);
    assert_int_equal(json_array_size(runs), 2);
    assert_int_equal(skipped, 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 1), "run")),
                        "r4");
    json_decref(runs);
}

static void test_load_unreadable_fails(void **state)
{
    char err[256] = "";
    json_t *runs = NULL;

    assert_int_equal(hs_history_load(test_dir(), &runs, NULL, err, sizeof(err)), -1);
    assert_null(runs);
    assert_non_null(strstr(err, test_dir()));
}

static void test_add_replaces_and_trims(void **state)
{
    json_t *runs = json_array();
    char id[16];
    int i;

    for (i = 0; i < 25; i++) {
        snprintf(id, sizeof(id), "r%02d", i);
        assert_int_equal(hs_history_add(runs, entry(id, NULL), HS_HISTORY_KEEP), 0);
    }
    assert_int_equal(json_array_size(runs), HS_HISTORY_KEEP);
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "run")),
                        "r05");
    assert_int_equal(hs_history_add(runs, entry("r10", "x", "failed", 1.0, NULL),
                                    HS_HISTORY_KEEP), 0);
    assert_int_equal(json_array_size(runs), HS_HISTORY_KEEP);
    assert_non_null(json_object_get(json_object_get(json_array_get(runs, 5), "cases"), "x"));
    assert_int_equal(hs_history_add(runs, json_pack("{s:s}", "run", "bad"), 20), -1);
    json_decref(runs);
}

static void test_save_load_round_trip(void **state)
{
    char path[128], *text = NULL;
    json_t *runs = history(entry("r1", "a", "passed", 1.0, NULL),
                           entry("r2", "a\xe2\x80\xa8<b>", "failed", 2.0, NULL), NULL);
    json_t *back = NULL;
    size_t n = 0, i, lines = 0;

    test_path(path, sizeof(path), "deep/er/history.jsonl");
    assert_int_equal(hs_history_save(runs, path, NULL, 0), 0);
    assert_int_equal(hs_fs_read_file(path, &text, &n, NULL, 0), 0);
    for (i = 0; i < n; i++) {
        lines += text[i] == '\n';
        assert_cmp_int((unsigned char)text[i], <, 0x80);
    }
    assert_int_equal(lines, 2);
    assert_int_equal(hs_history_load(path, &back, NULL, NULL, 0), 0);
    assert_true(json_equal(runs, back));
    free(text);
    json_decref(runs);
    json_decref(back);
}

static void test_previous(void **state)
{
    json_t *runs = history(entry("r1", NULL), entry("r2", NULL), entry("r3", NULL), NULL);
    json_t *empty = json_array();

    assert_string_equal(json_string_value(json_object_get(hs_history_previous(runs, "r2"),
                                                          "run")), "r1");
    assert_string_equal(json_string_value(json_object_get(hs_history_previous(runs, "new"),
                                                          "run")), "r3");
    assert_null(hs_history_previous(runs, "r1"));
    assert_null(hs_history_previous(empty, "r1"));
    json_decref(runs);
    json_decref(empty);
}

static void test_baseline_pinned_and_previous(void **state)
{
    char path[128], err[256] = "";
    json_t *runs = history(entry("r1", NULL), entry("r2", NULL), NULL);
    json_t *base = NULL;

    test_path(path, sizeof(path), "pinned.json");
    write_text(path, "{\"format\":\"wsfault-results/1\",\"run\":{\"id\":\"p\"},"
                     "\"cases\":[{\"id\":\"a\",\"status\":\"passed\"}]}");
    assert_int_equal(hs_history_baseline(path, runs, "r2", &base, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(base, "run")), "p");
    json_decref(base);
    assert_int_equal(hs_history_baseline(NULL, runs, "r2", &base, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(base, "run")), "r1");
    json_decref(base);
    write_text(path, "{\"format\":\"wsfault-results/2\",\"cases\":[]}");
    assert_int_equal(hs_history_baseline(path, runs, "r2", &base, err, sizeof(err)), -1);
    assert_null(base);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "format"));
    assert_int_equal(hs_history_baseline("/nonexistent/b.json", runs, "r2", &base, err,
                                         sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/b.json"));
    json_decref(runs);
}

static json_t *diff_of(const json_t *now, const json_t *base, const json_t *runs)
{
    static const hs_diff_opts opts = HS_DIFF_OPTS_DEFAULT;
    json_t *d = hs_history_diff(now, base, runs, &opts);

    assert_non_null(d);
    return d;
}

static void test_diff_status_lists(void **state)
{
    json_t *base = entry("b", "stays", "passed", 1.0, "breaks", "passed", 1.0,
                         "heals", "failed", 1.0, "gone", "passed", 1.0,
                         "skips", "passed", 1.0, "xp", "xfailed", 1.0,
                         "wobbles", "failed", 1.0, NULL);
    json_t *now = entry("n", "stays", "passed", 1.0, "breaks", "failed", 1.0,
                        "heals", "passed", 1.0, "fresh", "failed", 1.0,
                        "skips", "skipped", 1.0, "xp", "xpassed", 1.0,
                        "wobbles", "flaky", 1.0, NULL);
    json_t *d = diff_of(now, base, NULL);

    assert_int_equal(count(d, "new_failures"), 3);
    assert_string_equal(json_string_value(json_object_get(item(d, "new_failures", 0), "id")),
                        "breaks");
    assert_string_equal(json_string_value(json_object_get(item(d, "new_failures", 0), "was")),
                        "passed");
    assert_true(json_is_null(json_object_get(item(d, "new_failures", 1), "was")));
    assert_string_equal(json_string_value(json_object_get(item(d, "new_failures", 2), "now")),
                        "xpassed");
    assert_int_equal(count(d, "fixed"), 1);
    assert_string_equal(json_string_value(json_object_get(item(d, "fixed", 0), "id")), "heals");
    assert_int_equal(count(d, "newly_skipped"), 1);
    assert_int_equal(count(d, "flaky"), 1);
    assert_int_equal(count(d, "added"), 1);
    assert_string_equal(json_string_value(item(d, "added", 0)), "fresh");
    assert_int_equal(count(d, "removed"), 1);
    assert_string_equal(json_string_value(item(d, "removed", 0)), "gone");
    assert_int_equal(count(d, "still_failing"), 0);
    json_decref(d);
    json_decref(base);
    json_decref(now);
}

static void test_diff_without_baseline(void **state)
{
    json_t *now = entry("n", "a", "failed", 1.0, "b", "passed", 1.0, NULL);
    json_t *d = diff_of(now, NULL, NULL);

    assert_int_equal(count(d, "new_failures"), 1);
    assert_int_equal(count(d, "added"), 0);
    assert_int_equal(count(d, "removed"), 0);
    json_decref(d);
    json_decref(now);
}

/* The streak walks back through the history until the case last passed. */
static void test_diff_still_failing_since(void **state)
{
    json_t *runs = history(entry("r1", "a", "failed", 1.0, NULL),
                           entry("r2", "a", "passed", 1.0, NULL),
                           entry("r3", "a", "failed", 1.0, NULL),
                           entry("r4", "a", "xpassed", 1.0, NULL), NULL);
    json_t *now = entry("r5", "a", "failed", 1.0, NULL);
    json_t *d = diff_of(now, json_array_get(runs, 3), runs);
    const json_t *it = item(d, "still_failing", 0);

    assert_int_equal(count(d, "still_failing"), 1);
    assert_string_equal(json_string_value(json_object_get(it, "since")), "r3");
    assert_string_equal(json_string_value(json_object_get(it, "since_commit")), "r3");
    assert_int_equal(json_integer_value(json_object_get(it, "runs")), 3);
    assert_false(json_is_true(json_object_get(it, "at_least")));
    assert_int_equal(count(d, "new_failures"), 0);
    json_decref(d);
    json_array_append_new(runs, now);
    d = diff_of(now, json_array_get(runs, 3), runs);
    assert_string_equal(json_string_value(json_object_get(item(d, "still_failing", 0),
                                                          "since")), "r3");
    json_decref(d);
    json_decref(runs);
}

static void test_diff_streak_past_history(void **state)
{
    json_t *runs = json_array(), *now, *d;
    char id[16];
    int i;

    for (i = 0; i < HS_HISTORY_KEEP; i++) {
        snprintf(id, sizeof(id), "r%02d", i);
        json_array_append_new(runs, entry(id, "a", "failed", 1.0, NULL));
    }
    now = entry("now", "a", "failed", 1.0, NULL);
    d = diff_of(now, json_array_get(runs, HS_HISTORY_KEEP - 1), runs);
    assert_true(json_is_true(json_object_get(item(d, "still_failing", 0), "at_least")));
    assert_string_equal(json_string_value(json_object_get(item(d, "still_failing", 0),
                                                          "since")), "r00");
    json_decref(d);
    json_array_remove(runs, 0);
    d = diff_of(now, json_array_get(runs, HS_HISTORY_KEEP - 2), runs);
    assert_false(json_is_true(json_object_get(item(d, "still_failing", 0), "at_least")));
    json_decref(d);
    json_decref(now);
    json_decref(runs);
}

static void test_diff_flaky(void **state)
{
    json_t *runs = history(entry("r1", "h", "passed", 1.0, "two", "passed", 1.0, NULL),
                           entry("r2", "h", "failed", 1.0, "two", "failed", 1.0, NULL),
                           entry("r3", "h", "skipped", 1.0, "two", "passed", 1.0, NULL),
                           entry("r4", "h", "passed", 1.0, "two", "passed", 1.0, NULL), NULL);
    json_t *now = entry("r5", "h", "failed", 1.0, "two", "passed", 1.0,
                        "rep", "flaky", 1.0, NULL);
    json_t *d = diff_of(now, json_array_get(runs, 3), runs);

    assert_int_equal(count(d, "flaky"), 2);
    assert_string_equal(json_string_value(json_object_get(item(d, "flaky", 0), "id")), "h");
    assert_string_equal(json_string_value(json_object_get(item(d, "flaky", 0), "why")),
                        "history");
    assert_int_equal(json_integer_value(json_object_get(item(d, "flaky", 0), "flips")), 3);
    assert_string_equal(json_string_value(json_object_get(item(d, "flaky", 1), "why")),
                        "repeats");
    json_decref(d);
    json_decref(now);
    json_decref(runs);
}

/* Relative alone or absolute alone is noise; both together are a regression. */
static void test_diff_timing_thresholds(void **state)
{
    json_t *base = entry("b", "tiny", "passed", 2.0, "big", "passed", 1000.0,
                         "both", "passed", 100.0, "edge", "passed", 100.0,
                         "skip", "skipped", 1.0, NULL);
    json_t *now = entry("n", "tiny", "passed", 40.0, "big", "passed", 1400.0,
                        "both", "passed", 250.0, "edge", "passed", 150.0,
                        "skip", "passed", 900.0, NULL);
    json_t *d = diff_of(now, base, NULL);
    hs_diff_opts loose = { 0.4, 50.0, 3 };

    assert_int_equal(count(d, "slower"), 1);
    assert_string_equal(json_string_value(json_object_get(item(d, "slower", 0), "id")), "both");
    assert_cmp_dbl(json_real_value(json_object_get(item(d, "slower", 0), "was_ms")), ==, 100.0);
    assert_cmp_dbl(json_real_value(json_object_get(item(d, "slower", 0), "now_ms")), ==, 250.0);
    json_decref(d);
    d = hs_history_diff(now, base, NULL, &loose);
    assert_int_equal(count(d, "slower"), 2);
    assert_string_equal(json_string_value(json_object_get(item(d, "slower", 1), "id")), "edge");
    json_decref(d);
    json_decref(base);
    json_decref(now);
}

static void test_diff_verdicts(void **state)
{
    json_t *base = entry("b", "c1", "passed", 1.0, "c2", "passed", 1.0, "c3", "passed", 1.0,
                         NULL);
    json_t *now = entry("n", "c1", "passed", 1.0, "c2", "passed", 1.0, "c3", "passed", 1.0,
                        NULL);
    json_t *d;

    json_object_set_new(json_object_get(json_object_get(base, "cases"), "c1"), "verdict",
                        json_pack("{s:s,s:s}", "behavior", "OK", "close", "OK"));
    json_object_set_new(json_object_get(json_object_get(now, "cases"), "c1"), "verdict",
                        json_pack("{s:s,s:s}", "behavior", "OK", "close", "UNCLEAN"));
    json_object_set_new(json_object_get(json_object_get(base, "cases"), "c2"), "verdict",
                        json_pack("{s:s,s:s}", "behavior", "OK", "close", "OK"));
    json_object_set_new(json_object_get(json_object_get(now, "cases"), "c2"), "verdict",
                        json_pack("{s:s,s:s}", "behavior", "OK", "close", "OK"));
    d = diff_of(now, base, NULL);
    assert_int_equal(count(d, "verdicts"), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        item(d, "verdicts", 0), "now"), "close")), "UNCLEAN");
    json_decref(d);
    json_decref(base);
    json_decref(now);
}

static void test_diff_unchanged_is_empty(void **state)
{
    json_t *base = entry("b", "a", "passed", 10.0, "f", "failed", 10.0, NULL);
    json_t *now = entry("n", "a", "passed", 11.0, "f", "failed", 10.0, NULL);
    json_t *d = diff_of(now, base, NULL);
    const char *key;
    json_t *list;

    json_object_foreach(d, key, list)
        if (strcmp(key, "still_failing") != 0)
            assert_int_equal(json_array_size(list), 0);
    assert_int_equal(count(d, "still_failing"), 1);
    json_decref(d);
    json_decref(base);
    json_decref(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_entry_of_doc),
        cmocka_unit_test(test_load_missing_is_empty),
        cmocka_unit_test(test_load_skips_bad_lines),
        cmocka_unit_test(test_load_unreadable_fails),
        cmocka_unit_test(test_add_replaces_and_trims),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_previous),
        cmocka_unit_test(test_baseline_pinned_and_previous),
        cmocka_unit_test(test_diff_status_lists),
        cmocka_unit_test(test_diff_without_baseline),
        cmocka_unit_test(test_diff_still_failing_since),
        cmocka_unit_test(test_diff_streak_past_history),
        cmocka_unit_test(test_diff_flaky),
        cmocka_unit_test(test_diff_timing_thresholds),
        cmocka_unit_test(test_diff_verdicts),
        cmocka_unit_test(test_diff_unchanged_is_empty),
    };

    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
