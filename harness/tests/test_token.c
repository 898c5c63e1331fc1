/*
 * The judge's tokens: each kind is what it claims, checked against the
 * gateway's verifier, and the ws:// URL parser used by --url.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "gateway/gw_auth.h"
#include "gateway/gw_faults.h"
#include "wire/hs_url.h"
#include "wire/hs_token.h"

static int verify(const char *kind, const char *secret)
{
    char err[200], user[128], why[128];
    char *t = hs_token_make(kind, "alice", secret, err, sizeof(err));
    int rc = gw_auth_verify(t, secret, time(NULL), user, sizeof(user), why, sizeof(why));

    if (rc == GW_AUTH_OK)
        assert_string_equal(user, "alice");
    free(t);
    return rc;
}

static void test_valid_is_accepted(void **state)
{
    char secret[33];

    gw_faults_init(1);
    hs_token_secret(secret);
    assert_int_equal(strlen(secret), 32);
    assert_int_equal(verify("valid", secret), GW_AUTH_OK);
}

static void test_hostile_kinds_are_rejected(void **state)
{
    static const char *const kinds[] = { "missing", "expired", "forged", "alg_none",
                                         "wrong_secret", "garbage", "oversized" };

    gw_faults_init(1);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        assert_int_equal(verify(kinds[i], "0123456789abcdef"), GW_AUTH_REJECT);
}

static void test_unknown_kind_is_an_error(void **state)
{
    char err[200] = "";

    assert_null(hs_token_make("sometimes", "alice", "s", err, sizeof(err)));
    assert_non_null(strstr(err, "alg_none"));
}

static void test_forged_keeps_shape(void **state)
{
    char err[200];
    char *t = hs_token_make("forged", "alice", "s3cret", err, sizeof(err));
    char *valid = hs_token_make("valid", "alice", "s3cret", err, sizeof(err));

    /* Same header, another payload, the original signature. */
    assert_non_null(t);
    assert_memory_equal(t, valid, strchr(valid, '.') - valid);
    assert_string_equal(strrchr(t, '.'), strrchr(valid, '.'));
    assert_string_not_equal(t, valid);
    free(t);
    free(valid);
}

static void test_ws_url(void **state)
{
    char host[64], path[64];
    int port;

    assert_int_equal(hs_url_parse_ws("ws://127.0.0.1:9001/echo", host, sizeof(host), &port,
                                     path, sizeof(path)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9001);
    assert_string_equal(path, "/echo");
    assert_int_equal(hs_url_parse_ws("ws://localhost:80", host, sizeof(host), &port,
                                     path, sizeof(path)), 0);
    assert_string_equal(path, "/");
    assert_int_equal(hs_url_parse_ws("http://h:1/", host, sizeof(host), &port, path, sizeof(path)), -1);
    assert_int_equal(hs_url_parse_ws("ws://h/", host, sizeof(host), &port, path, sizeof(path)), -1);
    assert_int_equal(hs_url_parse_ws("ws://h:0/", host, sizeof(host), &port, path, sizeof(path)), -1);
    assert_int_equal(hs_url_parse_ws("ws://h:99999/", host, sizeof(host), &port, path, sizeof(path)), -1);
    assert_int_equal(hs_url_parse_ws("ws://:80/", host, sizeof(host), &port, path, sizeof(path)), -1);
    assert_int_equal(hs_url_parse_ws("ws://h:80x/", host, sizeof(host), &port, path, sizeof(path)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_is_accepted),
        cmocka_unit_test(test_hostile_kinds_are_rejected),
        cmocka_unit_test(test_unknown_kind_is_an_error),
        cmocka_unit_test(test_forged_keeps_shape),
        cmocka_unit_test(test_ws_url),
    };
    return cmocka_run_group_tests_name("tokens and urls", tests, NULL, NULL);
}
