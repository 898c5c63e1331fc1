/*
 * The opening handshake's rules the gateway checks before lws switches
 * (RFC 6455 4.2.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/gw_upgrade.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static gw_upgrade_req valid(void)
{
    gw_upgrade_req r = { .get = 1, .http = "HTTP/1.1", .host = "127.0.0.1:8080",
                         .connection = "Upgrade", .key = KEY, .version = "13",
                         .protocols = "", .served = "wsfault-gateway" };

    return r;
}

static int check(const gw_upgrade_req *r)
{
    const char *why;
    int status = gw_upgrade_check(r, &why);

    assert_true(status == 0 ? why == NULL : why != NULL);
    return status;
}

static void test_a_valid_handshake_passes(void **state)
{
    gw_upgrade_req r = valid();

    assert_int_equal(check(&r), 0);
    r.connection = "keep-alive,  UPGRADE ";
    r.http = "HTTP/2.0";
    r.protocols = " , ";
    assert_int_equal(check(&r), 0);
    r.protocols = "chat, wsfault-gateway";
    assert_int_equal(check(&r), 0);
}

static void test_request_line_and_host(void **state)
{
    gw_upgrade_req r = valid();

    r.get = 0;
    assert_int_equal(check(&r), 400);
    r = valid();
    r.http = "HTTP/1.0";
    assert_int_equal(check(&r), 400);
    r.http = "";
    assert_int_equal(check(&r), 400);
    r = valid();
    r.host = "";
    assert_int_equal(check(&r), 400);
}

static void test_connection_must_name_upgrade(void **state)
{
    gw_upgrade_req r = valid();

    r.connection = "keep-alive";
    assert_int_equal(check(&r), 400);
    r.connection = "upgraded";
    assert_int_equal(check(&r), 400);
    r.connection = "";
    assert_int_equal(check(&r), 400);
}

/* The key decodes to 16 bytes; a repeated field arrives joined with ",". */
static void test_key_is_16_bytes_of_base64(void **state)
{
    static const char *const bad[] = {
        "", "AAAA", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY", "not base64 at all!!!!!==",
        "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ!!", KEY "," KEY, NULL
    };
    gw_upgrade_req r = valid();

    for (int i = 0; bad[i]; i++) {
        r.key = bad[i];
        assert_int_equal(check(&r), 400);
    }
}

/* RFC 6455 4.2.2: 426, the answer naming 13. */
static void test_other_versions_get_426(void **state)
{
    static const char *const bad[] = { "", "8", "12", "14", "abc", "13,13", " 13", NULL };
    gw_upgrade_req r = valid();

    for (int i = 0; bad[i]; i++) {
        r.version = bad[i];
        assert_int_equal(check(&r), 426);
    }
}

static void test_unserved_subprotocols_are_refused(void **state)
{
    gw_upgrade_req r = valid();

    r.protocols = "chat";
    assert_int_equal(check(&r), 400);
    r.protocols = "wsfault-gateway-v2, chat";
    assert_int_equal(check(&r), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_valid_handshake_passes),
        cmocka_unit_test(test_request_line_and_host),
        cmocka_unit_test(test_connection_must_name_upgrade),
        cmocka_unit_test(test_key_is_16_bytes_of_base64),
        cmocka_unit_test(test_other_versions_get_426),
        cmocka_unit_test(test_unserved_subprotocols_are_refused),
    };
    return cmocka_run_group_tests_name("gateway upgrade", tests, NULL, NULL);
}
