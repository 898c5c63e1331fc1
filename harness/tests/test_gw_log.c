/*
 * Structured logs: one JSON object per line, states as strings, and a
 * serialisation failure reported in the line (seed enum-log).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/gw_faults.h"
#include "gateway/gw_log.h"
#include "tests/test_util.h"

static char *buf;
static size_t len;
static FILE *mem;

static int setup(void **state)
{
    gw_faults_init(1);
    gw_faults_reset();
    mem = open_memstream(&buf, &len);
    gw_log_set_stream(mem);
    return 0;
}

static int teardown(void **state)
{
    gw_log_set_stream(NULL);
    fclose(mem);
    free(buf);
    return 0;
}

/* Parse the single line written so far. */
static json_t *only_line(void)
{
    json_error_t e;
    json_t *j;

    fflush(mem);
    assert_non_null(strchr(buf, '\n'));
    assert_cmp_int(strchr(buf, '\n') - buf, ==, len - 1);
    j = json_loads(buf, 0, &e);
    assert_non_null(j);
    return j;
}

static void test_every_state_has_a_distinct_name(void **state)
{
    for (int a = GW_STATE_CONNECTING; a <= GW_STATE_CLOSED; a++) {
        assert_string_not_equal(gw_conn_state_name(a), "unknown");
        for (int b = a + 1; b <= GW_STATE_CLOSED; b++)
            assert_string_not_equal(gw_conn_state_name(a), gw_conn_state_name(b));
    }
    assert_string_equal(gw_conn_state_name((gw_conn_state)99), "unknown");
}

static void test_state_is_logged_as_string(void **state)
{
    json_t *j;

    assert_int_equal(gw_log_state(3, "alice", GW_STATE_AUTHENTICATED), 0);
    j = only_line();
    assert_string_equal(json_string_value(json_object_get(j, "state")), "authenticated");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "conn_state");
    assert_int_equal(json_integer_value(json_object_get(j, "conn")), 3);
    json_decref(j);
}

static void test_serialisation_failure_stays_in_the_line(void **state)
{
    gw_fault_spec s;
    char err[128];
    json_t *j;

    gw_fault_spec_parse("gateway/log/state_enum", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    assert_int_equal(gw_log_state(3, NULL, GW_STATE_READY), -1);
    j = only_line();
    assert_true(json_is_null(json_object_get(j, "state")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "log_error")), "not serialisable"));
    json_decref(j);
}

static void test_hostile_fields_stay_one_line(void **state)
{
    json_t *j;

    gw_log("info", "x", json_pack("{s:s}", "peer", "line1\nline2\r\x1b[31m\"}"));
    j = only_line();
    assert_string_equal(json_string_value(json_object_get(j, "peer")), "line1\nline2\r\x1b[31m\"}");
    json_decref(j);
}

/* The head and the fields make one object, with or without fields. */
static void test_line_head_and_fields(void **state)
{
    json_t *j;

    gw_log("warn", "bare", NULL);
    j = only_line();
    assert_int_equal(json_object_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "bare");
    assert_int_equal(strlen(json_string_value(json_object_get(j, "ts"))), 24);
    json_decref(j);
    fseek(mem, 0, SEEK_SET);
    gw_log("info", "two", json_pack("{s:i,s:s}", "a", 1, "b", "\u00e9"));
    j = only_line();
    assert_int_equal(json_object_size(j), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "b")), "\u00e9");
    json_decref(j);
}

/* Discarding: the fields are taken (and freed), nothing is written. */
static void test_discard_writes_nothing(void **state)
{
    gw_fault_spec s;
    char err[128];

    gw_log_set_discard(1);
    gw_log("info", "dropped", json_pack("{s:i}", "a", 1));
    assert_int_equal(gw_log_state(1, "alice", GW_STATE_READY), 0);
    /* The state's fault point still decides, unwritten line or not. */
    gw_fault_spec_parse("gateway/log/state_enum", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    assert_int_equal(gw_log_state(1, "alice", GW_STATE_READY), -1);
    gw_log_set_discard(0);
    fflush(mem);
    assert_int_equal(len, 0);
}

static void test_lws_lines_are_wrapped(void **state)
{
    json_t *j;

    gw_log_lws(1, "E: something broke\n");
    j = only_line();
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "E: something broke");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_has_a_distinct_name),
        cmocka_unit_test_setup_teardown(test_state_is_logged_as_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serialisation_failure_stays_in_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_fields_stay_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lws_lines_are_wrapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_head_and_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_writes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests_name("gateway log", tests, NULL, NULL);
}
