/*
 * test_torture: the torture walk's plan (which point, which hit), and one
 * live walk against the reference gateway when it has been built.
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

#include "scenario/hs_scenario.h"
#include "load/hs_torture.h"
#include "tests/test_util.h"

static const char plain[] =
    "{\"id\": \"t\", \"title\": \"t\", \"steps\": ["
    "{\"step\": \"connect\"},"
    "{\"step\": \"send\", \"json\": {\"type\": \"chat\", \"id\": \"r1\"}},"
    "{\"step\": \"expect_events\", \"request_id\": \"r1\"}]}";

static const char enabling[] =
    "{\"id\": \"t\", \"title\": \"t\","
    " \"faults\": [{\"name\": \"gateway/db/session\", \"mode\": \"once\"}],"
    " \"steps\": ["
    "{\"step\": \"connect\"},"
    "{\"step\": \"fault\", \"name\": \"gateway/bridge/create\", \"enable\": true},"
    "{\"step\": \"send\", \"json\": {\"type\": \"chat\", \"id\": \"r1\"}},"
    "{\"step\": \"expect\", \"match\": {\"request_id\": \"r1\"}}]}";

static hs_scenario *parse(const char *text)
{
    hs_scenario *s = NULL;
    char err[512];

    if (hs_scenario_parse("t", text, strlen(text), &s, err, sizeof(err)) != HS_SCN_OK)
        fail_msg("scenario does not load: %s", err);
    return s;
}

/* A golden case as the runner writes it: only "faults" matters here. */
static json_t *golden(void)
{
    return json_pack("{s:{s:{s:i,s:i},s:{s:i,s:i},s:{s:i,s:i},s:{s:i,s:i},s:{s:i,s:i}}}",
                     "faults",
                     "gateway/log/state_enum", "reached", 3, "fired", 0,
                     "gateway/db/session", "reached", 2, "fired", 0,
                     "gateway/deps/supervisor", "reached", 1, "fired", 0,
                     "gateway/auth/verify", "reached", 1, "fired", 0,
                     "gateway/bridge/create", "reached", 0, "fired", 0);
}

static void assert_run(const hs_torture_run *r, const char *name, long k)
{
    assert_string_equal(r->name, name);
    assert_int_equal(r->k, k);
}

/* Every k of every reached point, in catalogue order, k ascending. */
static void plan_walks_every_hit(void **state)
{
    hs_scenario *s = parse(plain);
    json_t *g = golden(), *skipped = json_object();
    hs_torture_run *runs = NULL;
    size_t n = 0;
    char err[256];

    assert_int_equal(hs_torture_plan(s, g, NULL, &runs, &n, skipped, err, sizeof(err)),
                     HS_TORTURE_OK);
    assert_int_equal(n, 6);
    assert_run(&runs[0], "gateway/deps/supervisor", 1);
    assert_run(&runs[1], "gateway/log/state_enum", 1);
    assert_run(&runs[3], "gateway/log/state_enum", 3);
    assert_run(&runs[4], "gateway/db/session", 1);
    assert_run(&runs[5], "gateway/db/session", 2);
    assert_non_null(strstr(json_string_value(json_object_get(skipped, "gateway/auth/verify")),
                           "1013"));
    assert_null(json_object_get(skipped, "gateway/bridge/create"));
    free(runs);
    json_decref(g);
    json_decref(skipped);
    hs_scenario_free(s);
}

/* A point the scenario drives itself, at start or in a step, is left alone. */
static void plan_skips_points_the_scenario_enables(void **state)
{
    hs_scenario *s = parse(enabling);
    json_t *g = golden(), *skipped = json_object();
    hs_torture_run *runs = NULL;
    size_t n = 0;
    char err[256];

    json_object_set_new(json_object_get(json_object_get(g, "faults"), "gateway/bridge/create"),
                        "reached", json_integer(2));
    assert_int_equal(hs_torture_plan(s, g, NULL, &runs, &n, skipped, err, sizeof(err)),
                     HS_TORTURE_OK);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(runs[i].name, "gateway/db/session");
        assert_string_not_equal(runs[i].name, "gateway/bridge/create");
    }
    assert_non_null(json_object_get(skipped, "gateway/db/session"));
    assert_non_null(json_object_get(skipped, "gateway/bridge/create"));
    free(runs);
    json_decref(g);
    json_decref(skipped);
    hs_scenario_free(s);
}

static void only_narrows_and_refuses_nonsense(void **state)
{
    hs_scenario *s = parse(plain);
    json_t *g = golden(), *skipped = json_object();
    hs_torture_run *runs = NULL;
    size_t n = 0;
    char err[256];

    assert_int_equal(hs_torture_plan(s, g, "gateway/log/state_enum", &runs, &n, skipped,
                                     err, sizeof(err)), HS_TORTURE_OK);
    assert_int_equal(n, 3);
    free(runs);
    assert_int_equal(hs_torture_plan(s, g, "gateway/log/state_enum:nth=2", &runs, &n,
                                     skipped, err, sizeof(err)), HS_TORTURE_OK);
    assert_int_equal(n, 1);
    assert_run(&runs[0], "gateway/log/state_enum", 2);
    free(runs);
    assert_int_equal(hs_torture_plan(s, g, "gateway/log/state_enum:nth=0", &runs, &n,
                                     skipped, err, sizeof(err)), HS_TORTURE_ERR);
    assert_non_null(strstr(err, "NAME:nth=K"));
    assert_int_equal(hs_torture_plan(s, g, "gateway/log/state_enum:after=2", &runs, &n,
                                     skipped, err, sizeof(err)), HS_TORTURE_ERR);
    free(runs);
    json_decref(g);
    json_decref(skipped);
    hs_scenario_free(s);
}

/* A golden case without counters (a target without /health): nothing to walk. */
static void no_counters_no_runs(void **state)
{
    hs_scenario *s = parse(plain);
    json_t *g = json_object(), *skipped = json_object();
    hs_torture_run *runs = NULL;
    size_t n = 7;
    char err[256];

    assert_int_equal(hs_torture_plan(s, g, NULL, &runs, &n, skipped, err, sizeof(err)),
                     HS_TORTURE_OK);
    assert_int_equal(n, 0);
    free(runs);
    json_decref(g);
    json_decref(skipped);
    hs_scenario_free(s);
}

/* The walk against the real gateway: every run keeps the contract. */
static void live_walk_keeps_the_contract(void **state)
{
    hs_scenario *s;
    hs_torture_opts o;
    json_t *r;

    if (access("build/gateway", X_OK) != 0)
        skip();
    s = parse(plain);
    memset(&o, 0, sizeof(o));
    o.run.gateway = "build/gateway";
    o.run.profile = test_reference;
    o.run.seed = 1;
    o.run.step_timeout_ms = 2000;
    o.run.workdir = test_dir();
    o.jobs = 2;
    r = hs_torture_scenario(s, &o);
    assert_string_equal(json_string_value(json_object_get(r, "golden")), "passed");
    assert_cmp_int(json_integer_value(json_object_get(r, "runs")), >=, 8);
    assert_int_equal(json_integer_value(json_object_get(r, "failed")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "unreached")), 0);
    json_decref(r);
    hs_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_walks_every_hit),
        cmocka_unit_test(plan_skips_points_the_scenario_enables),
        cmocka_unit_test(only_narrows_and_refuses_nonsense),
        cmocka_unit_test(no_counters_no_runs),
        cmocka_unit_test_setup_teardown(live_walk_keeps_the_contract, test_dir_setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, test_profile_setup, test_profile_teardown);
}
