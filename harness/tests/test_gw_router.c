/*
 * Router: registration validation and routing that survives a failing
 * can_handle (seed raw-handler); owner removal and reclaim (handler-leak).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/gw_faults.h"
#include "gateway/gw_router.h"

static const char *last_handled;

static int yes(const gw_handler *h, const gw_msg *m) { return 1; }
static int no(const gw_handler *h, const gw_msg *m) { return 0; }
static int broken(const gw_handler *h, const gw_msg *m) { return -1; }

static int record(const gw_handler *h, struct gw_session *s, const gw_msg *m)
{
    last_handled = h->name;
    return 0;
}

static int setup(void **state)
{
    gw_faults_init(1);
    gw_faults_reset();
    last_handled = NULL;
    return 0;
}

static void add(gw_router *r, const char *name, int (*can)(const gw_handler *, const gw_msg *),
                unsigned long owner)
{
    gw_handler h = { name, can, record, NULL, owner };
    char err[200];

    assert_int_equal(gw_router_register(r, &h, err, sizeof(err)), GW_ROUTER_OK);
}

static void test_registration_refuses_raw_functions(void **state)
{
    gw_router r;
    gw_handler raw = { "raw", NULL, record, NULL, 1 };
    gw_handler half = { "half", yes, NULL, NULL, 1 };
    char err[200];

    gw_router_init(&r);
    assert_int_equal(gw_router_register(&r, &raw, err, sizeof(err)), GW_ROUTER_ERR);
    assert_non_null(strstr(err, "\"raw\""));
    assert_non_null(strstr(err, "can_handle"));
    assert_int_equal(gw_router_register(&r, &half, err, sizeof(err)), GW_ROUTER_ERR);
    assert_int_equal(gw_router_register(&r, NULL, err, sizeof(err)), GW_ROUTER_ERR);
    assert_int_equal(gw_router_count(&r), 0);
    gw_router_free(&r);
}

static void test_owner_first_then_global(void **state)
{
    gw_router r;
    gw_msg m = { "chat", GW_KIND_AGENT, NULL, NULL };

    gw_router_init(&r);
    add(&r, "global", yes, 0);
    add(&r, "other-conn", yes, 2);
    add(&r, "mine", yes, 1);
    assert_int_equal(gw_router_route(&r, NULL, 1, &m, NULL), 0);
    assert_string_equal(last_handled, "mine");
    assert_int_equal(gw_router_route(&r, NULL, 3, &m, NULL), 0);
    assert_string_equal(last_handled, "global");
    gw_router_free(&r);
}

static void test_failing_can_handle_is_skipped(void **state)
{
    gw_router r;
    gw_msg m = { "chat", GW_KIND_AGENT, NULL, NULL };
    int failed = 0;

    gw_router_init(&r);
    add(&r, "broken", broken, 1);
    add(&r, "not-mine", no, 1);
    add(&r, "fallback", yes, 0);
    assert_int_equal(gw_router_route(&r, NULL, 1, &m, &failed), 0);
    assert_string_equal(last_handled, "fallback");
    assert_int_equal(failed, 1);
    gw_router_free(&r);
}

static void test_can_handle_fault_skips_to_next(void **state)
{
    gw_router r;
    gw_msg m = { "chat", GW_KIND_AGENT, NULL, NULL };
    gw_fault_spec s;
    char err[128];
    int failed = 0;

    gw_router_init(&r);
    add(&r, "mine", yes, 1);
    add(&r, "fallback", yes, 0);
    gw_fault_spec_parse("gateway/router/can_handle:once", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    assert_int_equal(gw_router_route(&r, NULL, 1, &m, &failed), 0);
    assert_string_equal(last_handled, "fallback");
    assert_int_equal(failed, 1);
    gw_router_free(&r);
}

static void test_nobody_takes_it(void **state)
{
    gw_router r;
    gw_msg m = { "chat", GW_KIND_AGENT, NULL, NULL };

    gw_router_init(&r);
    add(&r, "no", no, 0);
    assert_int_equal(gw_router_route(&r, NULL, 1, &m, NULL), GW_ROUTE_NONE);
    gw_router_free(&r);
}

static void test_remove_and_reclaim(void **state)
{
    gw_router r;
    gw_fault_spec s;
    char err[128];

    gw_router_init(&r);
    add(&r, "global", yes, 0);
    add(&r, "a1", yes, 1);
    add(&r, "b", yes, 2);
    add(&r, "a2", yes, 1);
    assert_int_equal(gw_router_remove_owner(&r, 1), 2);
    assert_int_equal(gw_router_count(&r), 2);
    gw_fault_spec_parse("gateway/handler/cleanup", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    assert_int_equal(gw_router_remove_owner(&r, 2), -1);
    assert_int_equal(gw_router_count(&r), 2);
    assert_int_equal(gw_router_reclaim(&r, 2), 1);
    assert_int_equal(gw_router_count(&r), 1);
    assert_int_equal(gw_router_reclaim(&r, 0), 0);
    gw_router_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registration_refuses_raw_functions, setup),
        cmocka_unit_test_setup(test_owner_first_then_global, setup),
        cmocka_unit_test_setup(test_failing_can_handle_is_skipped, setup),
        cmocka_unit_test_setup(test_can_handle_fault_skips_to_next, setup),
        cmocka_unit_test_setup(test_nobody_takes_it, setup),
        cmocka_unit_test_setup(test_remove_and_reclaim, setup),
    };
    return cmocka_run_group_tests_name("gateway router", tests, NULL, NULL);
}
