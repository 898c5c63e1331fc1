/*
 * Token checks: only a signed, unexpired HS256 token with a subject passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <jwt.h>

#include "gateway/gw_auth.h"
#include "gateway/gw_faults.h"

#define SECRET "unit-secret"

static char *make_token(const char *secret, jwt_alg_t alg, const char *sub, long exp)
{
    jwt_t *jwt = NULL;
    char *s;

    assert_int_equal(jwt_new(&jwt), 0);
    if (sub)
        jwt_add_grant(jwt, "sub", sub);
    if (exp)
        jwt_add_grant_int(jwt, "exp", exp);
    if (alg != JWT_ALG_NONE)
        jwt_set_alg(jwt, alg, (const unsigned char *)secret, (int)strlen(secret));
    s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

static int verify(const char *token, char *user)
{
    char why[128];

    return gw_auth_verify(token, SECRET, time(NULL), user, 128, why, sizeof(why));
}

static int setup(void **state)
{
    gw_faults_init(1);
    gw_faults_reset();
    return 0;
}

static void test_valid_token_names_the_user(void **state)
{
    char user[128] = "";
    char *t = make_token(SECRET, JWT_ALG_HS256, "alice", time(NULL) + 60);

    assert_int_equal(verify(t, user), GW_AUTH_OK);
    assert_string_equal(user, "alice");
    free(t);
}

static void test_bad_tokens_are_rejected(void **state)
{
    char user[128];
    char *expired = make_token(SECRET, JWT_ALG_HS256, "alice", time(NULL) - 5);
    char *forged = make_token("other-secret", JWT_ALG_HS256, "alice", time(NULL) + 60);
    char *none = make_token(SECRET, JWT_ALG_NONE, "alice", time(NULL) + 60);
    char *hs512 = make_token(SECRET, JWT_ALG_HS512, "alice", time(NULL) + 60);
    char *nosub = make_token(SECRET, JWT_ALG_HS256, NULL, time(NULL) + 60);
    char huge[GW_AUTH_MAX_TOKEN + 10];

    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_int_equal(verify(expired, user), GW_AUTH_REJECT);
    assert_int_equal(verify(forged, user), GW_AUTH_REJECT);
    assert_int_equal(verify(none, user), GW_AUTH_REJECT);
    assert_int_equal(verify(hs512, user), GW_AUTH_REJECT);
    assert_int_equal(verify(nosub, user), GW_AUTH_REJECT);
    assert_int_equal(verify("", user), GW_AUTH_REJECT);
    assert_int_equal(verify(NULL, user), GW_AUTH_REJECT);
    assert_int_equal(verify("not.a.token", user), GW_AUTH_REJECT);
    assert_int_equal(verify(huge, user), GW_AUTH_REJECT);
    free(expired);
    free(forged);
    free(none);
    free(hs512);
    free(nosub);
}

static int verify_at(const char *token, const char *secret, time_t now, char *why)
{
    char user[128];

    return gw_auth_verify(token, secret, now, user, sizeof(user), why, 128);
}

/* A token seen before is not decoded again, but judged just as strictly. */
static void test_kept_verdicts_stay_strict(void **state)
{
    time_t now = time(NULL);
    char *t = make_token(SECRET, JWT_ALG_HS256, "alice", now + 60), why[128];
    char *tampered = strdup(t), *many[200];
    size_t last = strlen(tampered) - 1;

    gw_auth_forget_all();
    assert_int_equal(verify_at(t, SECRET, now, why), GW_AUTH_OK);
    /* Expiry is checked on every use, not when the token was first seen. */
    assert_int_equal(verify_at(t, SECRET, now + 120, why), GW_AUTH_REJECT);
    assert_string_equal(why, "token expired");
    /* One byte of the signature changed: decoded afresh, refused. */
    tampered[last] = tampered[last] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_at(tampered, SECRET, now, why), GW_AUTH_REJECT);
    assert_string_equal(why, "token malformed or signature invalid");
    /* The same text under another secret is another verdict. */
    assert_int_equal(verify_at(t, "other-secret", now, why), GW_AUTH_REJECT);
    assert_int_equal(verify_at(t, SECRET, now, why), GW_AUTH_OK);
    /* More tokens than slots: each still verified, the first one again too. */
    for (int i = 0; i < 200; i++) {
        char sub[16];

        snprintf(sub, sizeof(sub), "user%d", i);
        many[i] = make_token(SECRET, JWT_ALG_HS256, sub, now + 60);
        assert_int_equal(verify_at(many[i], SECRET, now, why), GW_AUTH_OK);
    }
    assert_int_equal(verify_at(t, SECRET, now, why), GW_AUTH_OK);
    for (int i = 0; i < 200; i++)
        free(many[i]);
    free(tampered);
    free(t);
}

static void test_verifier_failure_is_unavailable_not_reject(void **state)
{
    gw_fault_spec s;
    char err[128], user[128];
    char *t = make_token(SECRET, JWT_ALG_HS256, "alice", time(NULL) + 60);

    /* Known to the verifier already: the fault point still comes first. */
    assert_int_equal(verify(t, user), GW_AUTH_OK);
    gw_fault_spec_parse("gateway/auth/verify", &s, err, sizeof(err));
    gw_fault_enable(&s, err, sizeof(err));
    assert_int_equal(verify(t, user), GW_AUTH_UNAVAILABLE);
    gw_fault_disable("gateway/auth/verify");
    assert_int_equal(verify(t, user), GW_AUTH_OK);
    free(t);
}

static void test_bearer_header(void **state)
{
    assert_string_equal(gw_auth_bearer("Bearer abc"), "abc");
    assert_string_equal(gw_auth_bearer("bearer   abc"), "abc");
    assert_null(gw_auth_bearer("Basic abc"));
    assert_null(gw_auth_bearer("Bearer "));
    assert_null(gw_auth_bearer(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid_token_names_the_user, setup),
        cmocka_unit_test_setup(test_bad_tokens_are_rejected, setup),
        cmocka_unit_test_setup(test_kept_verdicts_stay_strict, setup),
        cmocka_unit_test_setup(test_verifier_failure_is_unavailable_not_reject, setup),
        cmocka_unit_test_setup(test_bearer_header, setup),
    };
    return cmocka_run_group_tests_name("gateway auth", tests, NULL, NULL);
}
