/*
 * The permessage-deflate offer the gateway takes (RFC 7692 7.1), and what
 * it lets lws answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/gw_pmd.h"

static int choose(const char *header, gw_pmd_conn *st)
{
    memset(st, 0, sizeof(*st));
    return gw_pmd_choose(header, st);
}

static void test_plain_offer_is_taken(void **state)
{
    gw_pmd_conn st;

    assert_int_equal(choose("permessage-deflate", &st), 1);
    assert_int_equal(st.server_no_context, 0);
    assert_int_equal(st.client_no_context, 0);
    assert_int_equal(st.server_bits, 0);
    assert_int_equal(choose("", &st), 0);
    assert_int_equal(choose("x-webkit-deflate-frame", &st), 0);
}

static void test_parameters_are_agreed(void **state)
{
    gw_pmd_conn st;

    assert_int_equal(choose("permessage-deflate; server_no_context_takeover; "
                            "client_no_context_takeover; server_max_window_bits=10; "
                            "client_max_window_bits", &st), 1);
    assert_int_equal(st.server_no_context, 1);
    assert_int_equal(st.client_no_context, 1);
    assert_int_equal(st.server_bits, 10);
    assert_int_equal(choose("permessage-deflate;client_max_window_bits=8", &st), 1);
    assert_int_equal(st.server_bits, 0);
}

/* RFC 7692 7.1: unknown or repeated parameters, bad values: declined. */
static void test_invalid_offers_are_declined(void **state)
{
    static const char *const bad[] = {
        "permessage-deflate; x-unknown",
        "permessage-deflate; x-unknown=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; ;",
        NULL
    };
    gw_pmd_conn st;

    for (int i = 0; bad[i]; i++)
        assert_int_equal(choose(bad[i], &st), 0);
}

/* Valid, but not what lws can be made to answer exactly: declined. */
static void test_offers_lws_cannot_answer_are_declined(void **state)
{
    gw_pmd_conn st;

    assert_int_equal(choose("permessage-deflate; server_max_window_bits=8", &st), 0);
    assert_int_equal(choose("permessage-deflate; server_max_window_bits = 10", &st), 0);
    assert_int_equal(choose("permessage-deflate; server_max_window_bits=010", &st), 0);
    assert_int_equal(choose("permessage-deflate; server_max_window_bits=\"10\"", &st), 0);
    assert_int_equal(choose("permessage-deflate;\tclient_max_window_bits", &st), 0);
    assert_int_equal(choose("permessage -deflate", &st), 0);
    assert_int_equal(choose("Permessage-Deflate", &st), 0);
}

static void test_the_first_acceptable_offer_is_taken(void **state)
{
    gw_pmd_conn st;

    assert_int_equal(choose("permessage-deflate; x-unknown, permessage-deflate; "
                            "server_no_context_takeover", &st), 2);
    assert_int_equal(st.server_no_context, 1);
    assert_int_equal(choose("x-unknown-extension, permessage-deflate; "
                            "client_max_window_bits", &st), 1);
    assert_int_equal(choose("permessage-deflate; client_max_window_bits=10, "
                            "permessage-deflate", &st), 1);
}

/* lws reads on after a bare offer and fails at the next one. */
static void test_a_bare_offer_before_another_is_skipped(void **state)
{
    gw_pmd_conn st;

    assert_int_equal(choose("permessage-deflate, permessage-deflate", &st), 2);
    assert_int_equal(choose("permessage-deflate, permessage-deflate; x-unknown", &st), 0);
}

/* lws 4.1.6 fails a list of 255 bytes or more on its own. */
static void test_long_lists_are_declined(void **state)
{
    char h[300];
    gw_pmd_conn st;

    memset(h, ' ', sizeof(h));
    memcpy(h, "permessage-deflate", 18);
    h[sizeof(h) - 1] = '\0';
    assert_int_equal(choose(h, &st), 0);
    h[200] = '\0';
    assert_int_equal(choose(h, &st), 1);
}

/* lws echoes a parameter of the answer table when the callback says 0. */
static int echoes(gw_pmd_conn *st, int index)
{
    struct lws_ext_option_arg oa = { NULL, index, NULL, 0 };

    return gw_pmd_callback(st, NULL, NULL, NULL, LWS_EXT_CB_OPTION_SET, NULL, &oa, 0) == 0;
}

static void test_only_agreed_parameters_are_echoed(void **state)
{
    gw_pmd_conn st;

    choose("permessage-deflate; server_no_context_takeover; server_max_window_bits=12", &st);
    assert_true(echoes(&st, 0));
    assert_false(echoes(&st, 1));
    assert_false(echoes(&st, 2));
    assert_true(echoes(&st, 2 + 12 - 9));
    assert_false(echoes(&st, 2 + 15 - 9));
    assert_false(echoes(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_offer_is_taken),
        cmocka_unit_test(test_parameters_are_agreed),
        cmocka_unit_test(test_invalid_offers_are_declined),
        cmocka_unit_test(test_offers_lws_cannot_answer_are_declined),
        cmocka_unit_test(test_the_first_acceptable_offer_is_taken),
        cmocka_unit_test(test_a_bare_offer_before_another_is_skipped),
        cmocka_unit_test(test_long_lists_are_declined),
        cmocka_unit_test(test_only_agreed_parameters_are_echoed),
    };
    return cmocka_run_group_tests_name("gateway permessage-deflate", tests, NULL, NULL);
}
