/*
 * Fault catalogue, spec parsing and firing modes of the gateway.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/gw_faults.h"
#include "tests/test_util.h"

static int setup(void **state)
{
    gw_faults_init(7);
    gw_faults_reset();
    return 0;
}

static void test_catalogue_has_the_contract_names(void **state)
{
    static const char *const names[] = {
        "gateway/deps/supervisor", "gateway/deps/thread_service",
        "gateway/deps/llm_manager", "gateway/bridge/create",
        "gateway/registry/set_manager", "gateway/router/raw_handler",
        "gateway/router/can_handle", "gateway/log/state_enum",
        "gateway/types/execute_agent", "gateway/startup/slow",
        "gateway/db/session", "gateway/handler/cleanup", "gateway/auth/verify",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_cmp_int(gw_faults_find(names[i]), >=, 0);
    assert_int_equal(gw_faults_count(), sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < gw_faults_count(); i++) {
        assert_non_null(gw_faults_seed(i));
        assert_cmp_uint(strlen(gw_faults_description(i)), >, 10);
    }
}

static void test_spec_parse_modes(void **state)
{
    gw_fault_spec s;
    char err[256];

    assert_int_equal(gw_fault_spec_parse("gateway/db/session", &s, err, sizeof(err)), 0);
    assert_int_equal(s.mode, GW_FAULT_ALWAYS);
    assert_int_equal(gw_fault_spec_parse("gateway/db/session:once", &s, err, sizeof(err)), 0);
    assert_int_equal(s.mode, GW_FAULT_ONCE);
    assert_int_equal(gw_fault_spec_parse("gateway/db/session:p=0.25", &s, err, sizeof(err)), 0);
    assert_int_equal(s.mode, GW_FAULT_PROBABILITY);
    assert_cmp_dbl(s.probability, ==, 0.25);
    assert_int_equal(gw_fault_spec_parse("gateway/db/session:probability=1", &s, err, sizeof(err)), 0);
    assert_int_equal(gw_fault_spec_parse("gateway/db/session:after=3", &s, err, sizeof(err)), 0);
    assert_int_equal(s.mode, GW_FAULT_AFTER);
    assert_int_equal(s.n, 3);
    assert_int_equal(gw_fault_spec_parse("gateway/db/session:nth=2", &s, err, sizeof(err)), 0);
    assert_int_equal(s.mode, GW_FAULT_NTH);
}

static void test_spec_parse_refuses_bad_specs(void **state)
{
    static const char *const bad[] = {
        "gateway/db/sesion", "", ":once", "gateway/db/session:sometimes",
        "gateway/db/session:p=0", "gateway/db/session:p=1.5", "gateway/db/session:p=x",
        "gateway/db/session:after=0", "gateway/db/session:nth=1.5", "gateway/db/session:after=",
    };
    gw_fault_spec s;
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(gw_fault_spec_parse(bad[i], &s, err, sizeof(err)), GW_FAULT_ERR);
        assert_cmp_uint(strlen(err), >, 0);
    }
    gw_fault_spec_parse("gateway/db/sesion", &s, err, sizeof(err));
    assert_non_null(strstr(err, "--list-faults"));
}

static int fire_pattern(const char *spec, int hits, char *out)
{
    gw_fault_spec s;
    char err[256];
    int fired = 0;

    assert_int_equal(gw_fault_spec_parse(spec, &s, err, sizeof(err)), 0);
    assert_int_equal(gw_fault_enable(&s, err, sizeof(err)), 0);
    for (int i = 0; i < hits; i++) {
        int f = gw_fault(s.name);
        out[i] = f ? 'x' : '.';
        fired += f;
    }
    out[hits] = '\0';
    gw_fault_disable(s.name);
    return fired;
}

static void test_modes_fire_as_documented(void **state)
{
    char p[32];

    fire_pattern("gateway/db/session", 4, p);
    assert_string_equal(p, "xxxx");
    fire_pattern("gateway/db/session:once", 4, p);
    assert_string_equal(p, "x...");
    fire_pattern("gateway/db/session:nth=3", 5, p);
    assert_string_equal(p, "..x..");
    fire_pattern("gateway/db/session:after=2", 5, p);
    assert_string_equal(p, "..xxx");
    assert_int_equal(gw_fault("gateway/db/session"), 0);
}

static void test_probability_is_reproducible(void **state)
{
    char a[201], b[201];
    int n;

    gw_faults_init(42);
    n = fire_pattern("gateway/db/session:p=0.5", 200, a);
    gw_faults_init(42);
    fire_pattern("gateway/db/session:p=0.5", 200, b);
    assert_string_equal(a, b);
    assert_in_range(n, 60, 140);
}

static void test_counters_reach_health(void **state)
{
    gw_fault_spec s;
    char err[256];
    json_t *c, *p;

    gw_fault_spec_parse("gateway/bridge/create:once", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    gw_fault("gateway/bridge/create");
    gw_fault("gateway/bridge/create");
    c = gw_faults_counters_json();
    p = json_object_get(c, "gateway/bridge/create");
    assert_int_equal(json_integer_value(json_object_get(p, "reached")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "fired")), 1);
    assert_int_equal(json_object_size(c), gw_faults_count());
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_catalogue_has_the_contract_names, setup),
        cmocka_unit_test_setup(test_spec_parse_modes, setup),
        cmocka_unit_test_setup(test_spec_parse_refuses_bad_specs, setup),
        cmocka_unit_test_setup(test_modes_fire_as_documented, setup),
        cmocka_unit_test_setup(test_probability_is_reproducible, setup),
        cmocka_unit_test_setup(test_counters_reach_health, setup),
    };
    return cmocka_run_group_tests_name("gateway faults", tests, NULL, NULL);
}
