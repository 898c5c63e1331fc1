/*
 * test_suite: a run's cases before and after they run. Loading scenario
 * files and folders (order, what is skipped, what stops everything),
 * selection by filter, tag and shard, the totals line, and known issues
 * (hs_known): what a malformed list says, and which results they turn into
 * xfailed or xpassed for which target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/hs_known.h"
#include "judge/hs_suite.h"
#include "tests/test_util.h"

/* Write text to rel inside the scratch folder, creating its folders. */
static void put(const char *rel, const char *text)
{
    char path[PATH_MAX], err[512] = "";

    test_path(path, sizeof(path), rel);
    if (hs_fs_mkparent(path, err, sizeof(err)) != 0 ||
        hs_fs_write_atomic(path, text, strlen(text), err, sizeof(err)) != 0)
        fail_msg("cannot write %s: %s", path, err);
}

/* A scenario file the loader accepts: its id is its base name without
 * the extension. */
static void put_case(const char *rel, const char *tags)
{
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    const char *ext = strrchr(base, '.');
    char text[512];

    snprintf(text, sizeof(text),
             "{\"id\": \"%.*s\", \"title\": \"a case\", \"tags\": [%s],\n"
             " \"steps\": [{\"step\": \"connect\", \"path\": \"/nope\", \"expect_status\": 404}]}\n",
             (int)(ext - base), base, tags);
    put(rel, text);
}

/* The ids of a suite, in order, joined with spaces. */
static const char *ids(const hs_suite *s)
{
    static char buf[1024];
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < s->n && used < sizeof(buf); i++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "",
                                 s->v[i]->id);
    return buf;
}

static void load_ok(const char *const *rels, size_t n, hs_suite *s)
{
    char paths[8][PATH_MAX], err[512] = "";
    const char *argv[8];

    assert_in_range(n, 1, 8);
    for (size_t i = 0; i < n; i++)
        argv[i] = test_path(paths[i], sizeof(paths[i]), rels[i]);
    if (hs_suite_load(argv, n, s, err, sizeof(err)) != HS_SUITE_OK)
        fail_msg("load failed: %s", err);
}

/* Loading must fail; err is what it said. The partial suite is freed. */
static void load_fails(const char *rel, char *err, size_t errlen)
{
    char path[PATH_MAX];
    const char *argv[1] = { test_path(path, sizeof(path), rel) };
    hs_suite s;

    if (hs_suite_load(argv, 1, &s, err, errlen) != HS_SUITE_ERR)
        fail_msg("%s loaded (%s) but should be refused", path, ids(&s));
    hs_suite_free(&s);
}

/* Folders are walked recursively and sorted; only *.json counts, and
 * neither hidden files nor the schema. */
static void test_load_folder(void **state)
{
    const char *const root[] = { "s" };
    char want[PATH_MAX];
    hs_suite s;

    put_case("s/b.json", "");
    put_case("s/a.json", "");
    put_case("s/sub/deeper/d.json", "");
    put_case("s/sub/c.json", "");
    put_case("s/.hidden.json", "");
    put("s/schema.json", "{\"not\": \"a scenario\"}");
    put("s/notes.txt", "not json");
    put_case("s/.git/e.json", "");
    load_ok(root, 1, &s);
    assert_string_equal(ids(&s), "a b c d");
    assert_string_equal(s.v[2]->file, test_path(want, sizeof(want), "s/sub/c.json"));
    hs_suite_free(&s);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
}

/* Each argument is sorted within itself; the order of arguments is kept.
 * A file named directly is loaded whatever its name. */
static void test_load_arguments_in_order(void **state)
{
    const char *const args[] = { "z/b.json", "m", "z/a.json", "odd.scenario" };
    hs_suite s;

    put_case("z/b.json", "");
    put_case("z/a.json", "");
    put_case("m/y.json", "");
    put_case("m/x.json", "");
    put_case("m/skipped.txt", "");
    put_case("odd.scenario", "");
    load_ok(args, 4, &s);
    assert_string_equal(ids(&s), "b x y a odd");
    hs_suite_free(&s);
}

static void test_load_refuses_duplicate_ids(void **state)
{
    char err[1024] = "", want[2 * PATH_MAX + 64], one[PATH_MAX], two[PATH_MAX];

    put_case("dup/one/same.json", "");
    put_case("dup/two/same.json", "");
    load_fails("dup", err, sizeof(err));
    snprintf(want, sizeof(want), "%s: id \"same\" is also used by %s: ids must be unique",
             test_path(two, sizeof(two), "dup/two/same.json"),
             test_path(one, sizeof(one), "dup/one/same.json"));
    assert_string_equal(err, want);
}

/* One bad file stops the whole load, and the message places the mistake. */
static void test_load_stops_at_a_bad_file(void **state)
{
    char err[1024] = "", want[PATH_MAX + 16], path[PATH_MAX];

    put_case("bad/a.json", "");
    put("bad/b.json", "{\"id\": \"b\",\n \"title\": \"x\"\n \"steps\": []}\n");
    put_case("bad/c.json", "");
    load_fails("bad", err, sizeof(err));
    snprintf(want, sizeof(want), "%s:3:", test_path(path, sizeof(path), "bad/b.json"));
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("wanted a message starting with %s, got: %s", want, err);
}

/* A path that is not there, and a load given no paths at all. */
static void test_load_nothing_found(void **state)
{
    char err[1024] = "", want[PATH_MAX + 64], path[PATH_MAX];
    hs_suite s;

    load_fails("missing", err, sizeof(err));
    snprintf(want, sizeof(want), "%s: No such file or directory",
             test_path(path, sizeof(path), "missing"));
    assert_string_equal(err, want);
    assert_int_equal(hs_suite_load(NULL, 0, &s, err, sizeof(err)), HS_SUITE_ERR);
    assert_string_equal(err, "no scenario files (*.json) found in the given paths");
    hs_suite_free(&s);
}

/* Seven cases: c0..c6, even ones tagged "even", c0 and c3 also "slow". */
static void load_seven(hs_suite *s)
{
    static const char *const tags[] = {
        "\"even\", \"slow\"", "", "\"even\"", "\"slow\"", "\"even\"", "", "\"even\"",
    };
    const char *const root[] = { "seven" };
    char rel[64];

    for (int i = 0; i < 7; i++) {
        snprintf(rel, sizeof(rel), "seven/c%d.json", i);
        put_case(rel, tags[i]);
    }
    load_ok(root, 1, s);
}

static const char *select_ids(const char *filter, const char *tag, int k, int n)
{
    hs_suite_opts o = { .filter = filter, .tag = tag, .shard_k = k, .shard_n = n };
    static char buf[1024];
    hs_suite s;

    load_seven(&s);
    hs_suite_select(&s, &o);
    snprintf(buf, sizeof(buf), "%s", ids(&s));
    hs_suite_free(&s);
    return buf;
}

static void test_select_filter_and_tag(void **state)
{
    assert_string_equal(select_ids(NULL, NULL, 0, 0), "c0 c1 c2 c3 c4 c5 c6");
    assert_string_equal(select_ids("c[13]", NULL, 0, 0), "c1 c3");
    assert_string_equal(select_ids("c*", NULL, 0, 0), "c0 c1 c2 c3 c4 c5 c6");
    assert_string_equal(select_ids("c", NULL, 0, 0), "");
    assert_string_equal(select_ids(NULL, "even", 0, 0), "c0 c2 c4 c6");
    assert_string_equal(select_ids(NULL, "slow", 0, 0), "c0 c3");
    assert_string_equal(select_ids(NULL, "eve", 0, 0), "");
    assert_string_equal(select_ids("c[0-3]", "even", 0, 0), "c0 c2");
    assert_string_equal(select_ids(NULL, NULL, 1, 1), "c0 c1 c2 c3 c4 c5 c6");
}

/* Split a list of ids at its spaces. */
static size_t split(const char *list, char id[][16], size_t max)
{
    size_t n = 0;

    for (const char *p = list; *p != '\0' && n < max; n++) {
        size_t len = strcspn(p, " ");

        snprintf(id[n], 16, "%.*s", (int)len, p);
        p += len + (p[len] == ' ');
    }
    return n;
}

/* Shards split the selected cases round-robin: every selected case lands
 * in exactly one of the n shards, and their sizes differ by one at most. */
static void assert_shards_partition(const char *filter, const char *tag, int n,
                                    const char *selected)
{
    char want[16][16], got[16][16];
    size_t nwant = split(selected, want, 16), size[8];
    int shard_of[16] = { 0 };

    assert_in_range(n, 1, 8);
    for (int k = 1; k <= n; k++) {
        size[k - 1] = split(select_ids(filter, tag, k, n), got, 16);
        for (size_t j = 0; j < size[k - 1]; j++) {
            size_t i = 0;

            while (i < nwant && strcmp(want[i], got[j]) != 0)
                i++;
            if (i == nwant)
                fail_msg("shard %d/%d holds %s, which is not selected", k, n, got[j]);
            if (shard_of[i] != 0)
                fail_msg("%s is in shard %d/%d and in shard %d/%d", got[j], shard_of[i], n, k, n);
            shard_of[i] = k;
        }
    }
    for (size_t i = 0; i < nwant; i++)
        if (shard_of[i] == 0)
            fail_msg("%s is in none of %d shards", want[i], n);
    for (int k = 1; k < n; k++) {
        assert_cmp_uint(size[k], <=, size[0]);
        assert_cmp_uint(size[k] + 1, >=, size[0]);
    }
}

static void test_select_shards(void **state)
{
    assert_string_equal(select_ids(NULL, NULL, 1, 3), "c0 c3 c6");
    assert_string_equal(select_ids(NULL, NULL, 2, 3), "c1 c4");
    assert_string_equal(select_ids(NULL, NULL, 3, 3), "c2 c5");
    for (int n = 1; n <= 8; n++)
        assert_shards_partition(NULL, NULL, n, "c0 c1 c2 c3 c4 c5 c6");
    /* The shards split what the filter and tag kept, not the whole suite. */
    assert_string_equal(select_ids(NULL, "even", 1, 2), "c0 c4");
    assert_string_equal(select_ids(NULL, "even", 2, 2), "c2 c6");
    assert_shards_partition(NULL, "even", 3, "c0 c2 c4 c6");
    assert_shards_partition("c[1-5]", NULL, 2, "c1 c2 c3 c4 c5");
}

static void test_totals(void **state)
{
    json_t *cases = json_pack("[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s},{s:s},{s:s},{s:s},{s:i},{}]",
                              "status", "passed", "status", "passed", "status", "failed",
                              "status", "skipped", "status", "xfailed", "status", "xpassed",
                              "status", "flaky", "status", "flaky", "status", "weird",
                              "status", 1);
    json_t *t = hs_suite_totals(cases), *none = json_array(), *z;
    json_t *want = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "passed", 2, "failed", 1,
                             "skipped", 1, "xfailed", 1, "xpassed", 1, "flaky", 2);

    assert_non_null(cases);
    if (!json_equal(t, want))
        fail_msg("totals: %s", json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS));
    z = hs_suite_totals(none);
    assert_int_equal(json_object_size(z), 6);
    assert_int_equal(json_integer_value(json_object_get(z, "flaky")), 0);
    json_decref(cases);
    json_decref(t);
    json_decref(none);
    json_decref(z);
    json_decref(want);
}

/* ---- known issues -------------------------------------------------------- */

static const char known_text[] =
    "{\"known_issues\": [\n"
    "  {\"target\": \"reference\", \"case\": \"handshake-version-*\", \"reason\": \"no 426\"},\n"
    "  {\"target\": \"*\", \"case\": \"masking-unmasked\", \"reason\": \"everyone\"},\n"
    "  {\"target\": \"url\", \"case\": \"handshake-*\", \"reason\": \"remote only\"},\n"
    "  {\"target\": \"*\", \"case\": \"handshake-version-13\", \"reason\": \"later\"}\n"
    "]}\n";

static void test_known_load(void **state)
{
    char path[PATH_MAX], err[512] = "untouched";
    json_t *list;

    list = hs_known_load(test_path(path, sizeof(path), "absent.json"), err, sizeof(err));
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 0);
    assert_string_equal(err, "untouched");
    json_decref(list);
    list = hs_known_load(NULL, err, sizeof(err));
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    put("known.json", known_text);
    list = hs_known_load(test_path(path, sizeof(path), "known.json"), err, sizeof(err));
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "reason")),
                        "remote only");
    json_decref(list);
}

/* A malformed list is refused, and the message starts with its path: the
 * rest of the message is returned. */
static const char *known_error(const char *text)
{
    static char err[PATH_MAX + 256];
    char path[PATH_MAX];

    put("known.json", text);
    test_path(path, sizeof(path), "known.json");
    err[0] = '\0';
    if (hs_known_load(path, err, sizeof(err)) != NULL)
        fail_msg("accepted, but should be refused: %s", text);
    if (strncmp(err, path, strlen(path)) != 0)
        fail_msg("the message does not start with %s: %s", path, err);
    return err + strlen(path);
}

static void assert_known_syntax_error(const char *text, const char *at)
{
    const char *e = known_error(text);

    if (strncmp(e, at, strlen(at)) != 0)
        fail_msg("wanted the place %s first: %s", at, e);
}

static void test_known_load_refuses(void **state)
{
    static const char *const entry =
        ": known_issues[1]: needs exactly \"target\", \"case\" and \"reason\", all strings";
    static const char *const shape =
        ": expected {\"known_issues\": [{\"target\", \"case\", \"reason\"}, ...]}";
    static const char first[] = "{\"known_issues\": [{\"target\": \"*\", \"case\": \"a\", "
                                "\"reason\": \"r\"},\n";
    static const char *const bad_entries[] = {
        "{\"target\": \"*\", \"case\": \"b\"}",
        "{\"target\": \"*\", \"case\": \"b\", \"reason\": 1}",
        "{\"target\": [\"*\"], \"case\": \"b\", \"reason\": \"r\"}",
        "{\"target\": \"*\", \"case\": \"b\", \"reason\": \"r\", \"note\": \"x\"}",
        "\"b\"",
    };
    char text[512];

    assert_known_syntax_error("{\"known_issues\": [", ":1:18: ");
    assert_known_syntax_error("{\"known_issues\": [],\n \"known_issues\": []}", ":2:15: ");
    assert_string_equal(known_error("{}"), shape);
    assert_string_equal(known_error("{\"known_issues\": {}}"), shape);
    assert_string_equal(known_error("[]"), shape);
    for (size_t i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]); i++) {
        snprintf(text, sizeof(text), "%s  %s]}", first, bad_entries[i]);
        assert_string_equal(known_error(text), entry);
    }
}

/* The status (and known_issue) a case ends with after hs_known_apply. */
static void assert_applied(const char *id, const char *status, const char *target,
                           const char *want_status, const char *want_reason)
{
    json_t *list = json_loads(known_text, 0, NULL);
    json_t *c = json_pack("{s:s,s:s}", "id", id, "status", status);
    char got[256], want[256];
    const char *why;

    hs_known_apply(c, json_object_get(list, "known_issues"), target, NULL);
    why = json_string_value(json_object_get(c, "known_issue"));
    snprintf(got, sizeof(got), "%s (%s)", json_string_value(json_object_get(c, "status")),
             why ? why : "no known issue");
    snprintf(want, sizeof(want), "%s (%s)", want_status, want_reason ? want_reason : "no known issue");
    if (strcmp(got, want) != 0)
        fail_msg("%s, %s on %s: wanted %s, got %s", id, status, target, want, got);
    json_decref(c);
    json_decref(list);
}

static void test_known_apply(void **state)
{
    assert_applied("handshake-version-missing", "failed", "reference", "xfailed", "no 426");
    assert_applied("handshake-version-missing", "passed", "reference", "xpassed", "no 426");
    /* Other statuses are left as they are. */
    assert_applied("handshake-version-missing", "skipped", "reference", "skipped", NULL);
    assert_applied("handshake-version-missing", "flaky", "reference", "flaky", NULL);
    /* Not known for this target, or not this case. */
    assert_applied("handshake-version-missing", "failed", "cmd", "failed", NULL);
    assert_applied("handshake-subprotocol", "failed", "reference", "failed", NULL);
    assert_applied("handshake-version", "failed", "reference", "failed", NULL);
    /* "*" is every target; the case is matched whole. */
    assert_applied("masking-unmasked", "failed", "reference", "xfailed", "everyone");
    assert_applied("masking-unmasked", "failed", "cmd", "xfailed", "everyone");
    assert_applied("masking-unmasked", "passed", "url", "xpassed", "everyone");
    assert_applied("masking-unmasked-text", "failed", "url", "failed", NULL);
    /* The first entry that fits gives the reason. */
    assert_applied("handshake-version-13", "failed", "reference", "xfailed", "no 426");
    assert_applied("handshake-version-13", "failed", "url", "xfailed", "remote only");
    assert_applied("handshake-version-13", "failed", "cmd", "xfailed", "later");
    assert_applied("handshake-other", "passed", "url", "xpassed", "remote only");
}

/* An entry may name a target by its profile: "fastapi" whatever the kind. */
static void test_known_apply_profile_name(void **state)
{
    json_t *list = json_pack("[{s:s,s:s,s:s}]", "target", "fastapi", "case", "token-*",
                             "reason", "its request line is capped");
    json_t *c = json_pack("{s:s,s:s}", "id", "token-oversized", "status", "failed");

    hs_known_apply(c, list, "cmd", "reference");
    assert_string_equal(json_string_value(json_object_get(c, "status")), "failed");
    hs_known_apply(c, list, "cmd", "fastapi");
    assert_string_equal(json_string_value(json_object_get(c, "status")), "xfailed");
    json_decref(c);
    json_decref(list);
}

static void test_known_apply_empty_list(void **state)
{
    json_t *list = json_array();
    json_t *c = json_pack("{s:s,s:s}", "id", "a", "status", "failed");

    hs_known_apply(c, list, "reference", NULL);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "failed");
    assert_int_equal(json_object_size(c), 2);
    json_decref(c);
    json_decref(list);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_dir_setup, test_dir_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_apply_profile_name),
        T(test_load_folder),
        T(test_load_arguments_in_order),
        T(test_load_refuses_duplicate_ids),
        T(test_load_stops_at_a_bad_file),
        T(test_load_nothing_found),
        T(test_select_filter_and_tag),
        T(test_select_shards),
        T(test_totals),
        T(test_known_load),
        T(test_known_load_refuses),
        T(test_known_apply),
        T(test_known_apply_empty_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
