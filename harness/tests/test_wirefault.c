/*
 * Unit tests for hs_wirefault: jitter that repeats with the seed and stays
 * within its bounds, pieces that honour slices and rates, the rate's clock,
 * opcode names, and the one-line description transcripts carry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/hs_wirefault.h"

/* The same seed and name give the same waits; another name other ones. */
static void test_jitter_seeded(void **state)
{
    hs_wire_dir d = { .latency_ms = 50, .jitter_ms = 20 };
    hs_wire_state a, b, c;
    int same = 1, differ = 0;

    hs_wire_seed(&a, 7, "slow");
    hs_wire_seed(&b, 7, "slow");
    hs_wire_seed(&c, 7, "other");
    for (int i = 0; i < 200; i++) {
        int x = hs_wire_latency(&a, &d), y = hs_wire_latency(&b, &d);

        assert_in_range(x, 30, 70);
        same &= x == y;
        differ |= x != hs_wire_latency(&c, &d);
    }
    assert_true(same);
    assert_true(differ);
}

static void test_latency_never_negative(void **state)
{
    hs_wire_dir d = { .latency_ms = 5, .jitter_ms = 50 };
    hs_wire_state s;

    hs_wire_seed(&s, 1, "c");
    for (int i = 0; i < 500; i++)
        assert_in_range(hs_wire_latency(&s, &d), 0, 55);
}

static void test_piece(void **state)
{
    hs_wire_dir none = { 0 }, sliced = { .slice = 3 }, slow = { .rate = 400 };
    hs_wire_dir trickle = { .rate = 5 };

    assert_int_equal(hs_wire_piece(&none, 1000), 1000);
    assert_int_equal(hs_wire_piece(&sliced, 1000), 3);
    assert_int_equal(hs_wire_piece(&sliced, 2), 2);
    /* A tenth of a second's worth, and never nothing. */
    assert_int_equal(hs_wire_piece(&slow, 1000), 40);
    assert_int_equal(hs_wire_piece(&trickle, 1000), 1);
}

/* 400 bytes/s: 40 bytes take 100 ms; time already idle is not saved up. */
static void test_rate_clock(void **state)
{
    hs_wire_dir d = { .rate = 400 };
    double free_ms = 0;

    hs_wire_spent(&d, &free_ms, 40, 1000.0);
    assert_float_equal(free_ms, 1100.0, 0.001);
    hs_wire_spent(&d, &free_ms, 40, 1050.0);
    assert_float_equal(free_ms, 1200.0, 0.001);
    hs_wire_spent(&d, &free_ms, 40, 5000.0);
    assert_float_equal(free_ms, 5100.0, 0.001);
}

static void test_opcode_names(void **state)
{
    assert_int_equal(hs_wire_opcode("pong"), 0xA);
    assert_int_equal(hs_wire_opcode("close"), 0x8);
    assert_int_equal(hs_wire_opcode("text"), 0x1);
    assert_int_equal(hs_wire_opcode("teleport"), -1);
    assert_string_equal(hs_wire_opcode_name(0x9), "ping");
    assert_string_equal(hs_wire_opcode_name(0x3), "reserved");
    assert_string_equal(hs_wire_opcode_name(99), "reserved");
}

static void test_describe(void **state)
{
    hs_wire w = { 0 };
    char buf[512];

    assert_false(hs_wire_any(&w));
    assert_string_equal(hs_wire_describe(&w, buf, sizeof(buf)), "none");
    w.blackhole = 1;
    w.send.latency_ms = 60;
    w.send.jitter_ms = 40;
    w.drop = 1u << 0xA;
    w.delay_ms[0x8] = 1500;
    assert_true(hs_wire_any(&w));
    assert_string_equal(hs_wire_describe(&w, buf, sizeof(buf)),
                        "blackhole (nothing sent, nothing read); send: latency 60+-40 ms; "
                        "delay our close frames 1500 ms; drop our pong frames");
    memset(&w, 0, sizeof(w));
    w.delay_ms[0x8] = 1;
    assert_true(hs_wire_any(&w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jitter_seeded),
        cmocka_unit_test(test_latency_never_negative),
        cmocka_unit_test(test_piece),
        cmocka_unit_test(test_rate_clock),
        cmocka_unit_test(test_opcode_names),
        cmocka_unit_test(test_describe),
    };

    return cmocka_run_group_tests_name("hs_wirefault", tests, NULL, NULL);
}
