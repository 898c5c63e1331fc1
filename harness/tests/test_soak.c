/*
 * test_soak: the soak checker judged on synthetic histories. Every kind of
 * violation must be caught and must name the request (or the connection)
 * it concerns; clean histories, failures and injected cuts must not be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "load/hs_soak.h"
#include "load/hs_soakcheck.h"
#include "tests/test_util.h"

static const char *const five[] = { "agent_started", "agent_thinking", "tool_executing",
                                    "tool_completed", "agent_completed" };

typedef struct fx {
    hs_soakcheck_history *h;
    json_t *verdict;
    double t;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    f->h = hs_soakcheck_new(test_reference);
    *state = f;
    return f->h ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;

    json_decref(f->verdict);
    hs_soakcheck_free(f->h);
    free(f);
    return 0;
}

/* A connection of client c, upgraded. */
static void open_conn(fx *f, int c, long conn)
{
    assert_int_equal(hs_soakcheck_upgrade(f->h, c, conn, 101, f->t += 1), HS_SOAKCHECK_OK);
}

static long invoke(fx *f, int c, long conn, int seq, int attempt)
{
    long i = hs_soakcheck_invoke(f->h, c, conn, HS_SOAKCHECK_AGENT, seq, attempt, f->t += 1);

    assert_cmp_int(i, >=, 0);
    return i;
}

static void frame(fx *f, int c, long conn, const char *type, long req, int degraded)
{
    char id[32];
    json_t *j;

    hs_soakcheck_request_id(req, id, sizeof(id));
    j = json_pack("{s:s,s:s,s:b}", "type", type, "request_id", id, "degraded", degraded);
    assert_int_equal(hs_soakcheck_frame(f->h, c, conn, j, f->t += 1), HS_SOAKCHECK_OK);
    json_decref(j);
}

/* The answer as a list of event indexes into five[]. */
static void answer(fx *f, int c, long conn, long req, const int *order, size_t n)
{
    for (size_t i = 0; i < n; i++)
        frame(f, c, conn, five[order[i]], req, 0);
}

static void all_five(fx *f, int c, long conn, long req)
{
    static const int in_order[] = { 0, 1, 2, 3, 4 };

    answer(f, c, conn, req, in_order, 5);
}

static void close_conn(fx *f, int c, long conn)
{
    assert_int_equal(hs_soakcheck_end(f->h, c, conn, 1000, 1, f->t += 1), HS_SOAKCHECK_OK);
}

static int check(fx *f, int transport_faults)
{
    hs_soakcheck_opts o = { transport_faults, 0 };
    int n;

    json_decref(f->verdict);
    n = hs_soakcheck_run(f->h, &o, &f->verdict);
    assert_non_null(f->verdict);
    assert_int_equal(json_integer_value(json_object_get(f->verdict, "violations")), n);
    return n;
}

static json_int_t outcome(fx *f, const char *kind)
{
    return json_integer_value(json_object_get(json_object_get(f->verdict, "outcomes"), kind));
}

/* Some message contains every one of the given strings. */
static void assert_message(fx *f, const char *a, const char *b)
{
    json_t *m;
    size_t i;

    json_array_foreach(json_object_get(f->verdict, "messages"), i, m) {
        const char *s = json_string_value(m);
        if (strstr(s, a) && (!b || strstr(s, b)))
            return;
    }
    fail_msg("no violation message with \"%s\" and \"%s\"", a, b ? b : "");
}

/* Two clients, two requests each, every answer clean: nothing to report. */
static void clean_history_passes(void **state)
{
    fx *f = *state;

    for (int c = 0; c < 2; c++) {
        open_conn(f, c, c);
        for (int s = 0; s < 2; s++)
            all_five(f, c, c, invoke(f, c, c, s, 1));
        close_conn(f, c, c);
    }
    assert_int_equal(check(f, 0), 0);
    assert_int_equal(outcome(f, "ok"), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f->verdict, "final"),
                                                        "logical")), 4);
}

static void lost_event_is_named(void **state)
{
    fx *f = *state;
    static const int lost[] = { 0, 2, 3, 4 };
    long r;

    open_conn(f, 0, 0);
    all_five(f, 0, 0, invoke(f, 0, 0, 0, 1));
    r = invoke(f, 0, 0, 1, 1);
    answer(f, 0, 0, r, lost, 4);
    close_conn(f, 0, 0);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "r1 (client 0, request 1, attempt 1", "agent_thinking lost");
}

static void duplicated_event_is_named(void **state)
{
    fx *f = *state;
    static const int dup[] = { 0, 1, 2, 3, 3, 4 };
    long r;

    open_conn(f, 3, 7);
    r = invoke(f, 3, 7, 5, 1);
    answer(f, 3, 7, r, dup, 6);
    close_conn(f, 3, 7);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "r0 (client 3, request 5", "tool_completed delivered 2 times");
}

static void misordered_event_is_named(void **state)
{
    fx *f = *state;
    static const int swapped[] = { 0, 2, 1, 3, 4 };

    open_conn(f, 0, 0);
    answer(f, 0, 0, invoke(f, 0, 0, 0, 1), swapped, 5);
    close_conn(f, 0, 0);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "r0 (client 0", "misordered");
}

/* Client 1 receives an event of client 0's request: another user's data. */
static void event_for_another_user_is_named(void **state)
{
    fx *f = *state;
    long r;

    open_conn(f, 0, 0);
    open_conn(f, 1, 1);
    r = invoke(f, 0, 0, 0, 1);
    all_five(f, 0, 0, r);
    frame(f, 1, 1, "agent_thinking", r, 0);
    close_conn(f, 0, 0);
    close_conn(f, 1, 1);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "r0 (client 0", "delivered to client 1, another user");
}

static void event_on_another_connection_is_named(void **state)
{
    fx *f = *state;
    long r;

    open_conn(f, 0, 0);
    open_conn(f, 0, 1);
    r = invoke(f, 0, 0, 0, 1);
    all_five(f, 0, 0, r);
    frame(f, 0, 1, "agent_completed", r, 0);
    close_conn(f, 0, 0);
    close_conn(f, 0, 1);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "r0 (client 0", "delivered on connection 1");
}

static void request_without_outcome_is_named(void **state)
{
    fx *f = *state;
    static const int part[] = { 0, 1 };
    long r;

    open_conn(f, 0, 0);
    all_five(f, 0, 0, invoke(f, 0, 0, 0, 1));
    r = invoke(f, 0, 0, 1, 1);
    answer(f, 0, 0, r, part, 2);
    close_conn(f, 0, 0);
    open_conn(f, 1, 1);
    invoke(f, 1, 1, 0, 1);
    assert_int_equal(hs_soakcheck_end(f->h, 1, 1, HS_SOAKCHECK_TIMEOUT, 0, f->t += 1), HS_SOAKCHECK_OK);
    open_conn(f, 2, 2);
    invoke(f, 2, 2, 0, 1);
    assert_int_equal(check(f, 0), 3);
    assert_message(f, "r1 (client 0, request 1", "closed with 1000");
    assert_message(f, "r2 (client 1", "timeout");
    assert_message(f, "r3 (client 2", "still open");
}

/* An injected cut makes the request unknown; the re-send decides it. */
static void cut_is_unknown_only_with_transport_faults(void **state)
{
    fx *f = *state;
    static const int part[] = { 0 };
    json_t *final;

    open_conn(f, 0, 0);
    answer(f, 0, 0, invoke(f, 0, 0, 0, 1), part, 1);
    assert_int_equal(hs_soakcheck_end(f->h, 0, 0, HS_SOAKCHECK_ABNORMAL, 0, f->t += 1), HS_SOAKCHECK_OK);
    open_conn(f, 0, 1);
    all_five(f, 0, 1, invoke(f, 0, 1, 0, 2));
    close_conn(f, 0, 1);
    assert_int_equal(check(f, 1), 0);
    assert_int_equal(outcome(f, "unknown"), 1);
    assert_int_equal(outcome(f, "ok"), 1);
    final = json_object_get(f->verdict, "final");
    assert_int_equal(json_integer_value(json_object_get(final, "logical")), 1);
    assert_int_equal(json_integer_value(json_object_get(final, "ok")), 1);
    assert_int_equal(json_integer_value(json_object_get(final, "unresolved")), 0);
    assert_int_equal(check(f, 0), 2);
    assert_message(f, "connection 0 (client 0) ended without a close frame", NULL);
    assert_message(f, "r0 (client 0", "ended abnormally");
}

static void errors_fail_and_mixed_answers_are_caught(void **state)
{
    fx *f = *state;
    json_t *e = json_pack("{s:s,s:s,s:{s:s}}", "type", "error", "request_id", "r0",
                          "payload", "code", "session_unavailable");
    json_t *e1 = json_pack("{s:s,s:s,s:{s:s}}", "type", "error", "request_id", "r1",
                           "payload", "code", "session_unavailable");
    long r;

    open_conn(f, 0, 0);
    invoke(f, 0, 0, 0, 1);
    hs_soakcheck_frame(f->h, 0, 0, e, f->t += 1);
    r = invoke(f, 0, 0, 1, 1);
    all_five(f, 0, 0, r);
    hs_soakcheck_frame(f->h, 0, 0, e1, f->t += 1);
    close_conn(f, 0, 0);
    json_decref(e);
    json_decref(e1);
    assert_int_equal(check(f, 0), 1);
    assert_int_equal(outcome(f, "failed"), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f->verdict,
                     "failed_codes"), "session_unavailable")), 1);
    assert_message(f, "r1 (client 0", "an error frame and 5 agent events");
}

static void forbidden_closes_and_5xx_are_caught(void **state)
{
    fx *f = *state;

    assert_int_equal(hs_soakcheck_upgrade(f->h, 0, 0, 503, f->t += 1), HS_SOAKCHECK_OK);
    assert_int_equal(hs_soakcheck_end(f->h, 0, 0, 1000, 0, f->t += 1), HS_SOAKCHECK_OK);
    open_conn(f, 1, 1);
    assert_int_equal(hs_soakcheck_end(f->h, 1, 1, 1011, 0, f->t += 1), HS_SOAKCHECK_OK);
    open_conn(f, 2, 2);
    assert_int_equal(hs_soakcheck_end(f->h, 2, 2, 1013, 0, f->t += 1), HS_SOAKCHECK_OK);
    assert_int_equal(check(f, 1), 3);
    assert_message(f, "connection 0 (client 0)", "HTTP 503 instead of 101 (a 5xx)");
    assert_message(f, "connection 1 (client 1)", "1011 (internal error)");
    assert_message(f, "connection 0 (client 0) was closed with 1000", NULL);
}

/* Silence: an upgrade never answered, a client's close never answered. */
static void silent_upgrade_and_close_are_caught(void **state)
{
    fx *f = *state;

    assert_int_equal(hs_soakcheck_end(f->h, 0, 0, HS_SOAKCHECK_TIMEOUT, 0, f->t += 1), HS_SOAKCHECK_OK);
    open_conn(f, 1, 1);
    all_five(f, 1, 1, invoke(f, 1, 1, 0, 1));
    assert_int_equal(hs_soakcheck_end(f->h, 1, 1, HS_SOAKCHECK_TIMEOUT, 1, f->t += 1), HS_SOAKCHECK_OK);
    assert_int_equal(check(f, 1), 2);
    assert_message(f, "connection 0 (client 0)", "upgrade got no answer");
    assert_message(f, "connection 1 (client 1)", "close got no answer");
}

/* A 1013 close before any answer: the request failed, nothing was broken. */
static void close_1013_fails_the_request(void **state)
{
    fx *f = *state;

    open_conn(f, 0, 0);
    invoke(f, 0, 0, 0, 1);
    assert_int_equal(hs_soakcheck_end(f->h, 0, 0, 1013, 0, f->t += 1), HS_SOAKCHECK_OK);
    assert_int_equal(check(f, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f->verdict,
                     "failed_codes"), "close_1013")), 1);
}

static void degraded_before_notice_is_caught(void **state)
{
    fx *f = *state;
    json_t *notice = json_pack("{s:s,s:b}", "type", "system_notice", "degraded", 1);
    long r;

    open_conn(f, 0, 0);
    hs_soakcheck_frame(f->h, 0, 0, notice, f->t += 1);
    r = invoke(f, 0, 0, 0, 1);
    for (int i = 0; i < 5; i++)
        frame(f, 0, 0, five[i], r, 1);
    close_conn(f, 0, 0);
    assert_int_equal(check(f, 0), 0);
    assert_int_equal(outcome(f, "ok_degraded"), 1);
    open_conn(f, 1, 1);
    r = invoke(f, 1, 1, 0, 1);
    for (int i = 0; i < 5; i++)
        frame(f, 1, 1, five[i], r, 1);
    close_conn(f, 1, 1);
    json_decref(notice);
    assert_int_equal(check(f, 0), 1);
    assert_message(f, "connection 1 (client 1)", "before any degraded notice");
}

/* Ids the history never issued, and error codes with control bytes. */
static void foreign_ids_and_hostile_codes(void **state)
{
    fx *f = *state;
    json_t *bogus = json_pack("{s:s,s:s}", "type", "agent_started", "request_id", "r99");
    json_t *noid = json_pack("{s:s,s:{s:s}}", "type", "error", "payload", "code", "bad_request");
    json_t *hostile = json_pack("{s:s,s:s,s:{s:s}}", "type", "error", "request_id", "r1",
                                "payload", "code", "x\x1b[31mred");
    const char *k;
    json_t *m;
    size_t i;

    open_conn(f, 0, 0);
    all_five(f, 0, 0, invoke(f, 0, 0, 0, 1));
    invoke(f, 0, 0, 1, 1);
    hs_soakcheck_frame(f->h, 0, 0, hostile, f->t += 1);
    hs_soakcheck_frame(f->h, 0, 0, bogus, f->t += 1);
    hs_soakcheck_frame(f->h, 0, 0, noid, f->t += 1);
    close_conn(f, 0, 0);
    json_decref(bogus);
    json_decref(noid);
    json_decref(hostile);
    assert_int_equal(check(f, 0), 2);
    assert_message(f, "agent_started frame names a request id that was never sent", NULL);
    assert_message(f, "error frame without a request id", NULL);
    assert_int_equal(outcome(f, "failed"), 1);
    json_array_foreach(json_object_get(f->verdict, "messages"), i, m)
        assert_null(strchr(json_string_value(m), '\x1b'));
    json_object_foreach(json_object_get(f->verdict, "failed_codes"), k, m)
        assert_null(strchr(k, '\x1b'));
}

static void pings_and_latency(void **state)
{
    fx *f = *state;
    json_t *lat;

    open_conn(f, 0, 0);
    for (int s = 0; s < 100; s++) {
        long r = hs_soakcheck_invoke(f->h, 0, 0, HS_SOAKCHECK_PING, s, 1, f->t);
        char id[32];
        json_t *pong;

        hs_soakcheck_request_id(r, id, sizeof(id));
        pong = json_pack("{s:s,s:s}", "type", "pong", "request_id", id);
        hs_soakcheck_frame(f->h, 0, 0, pong, f->t + s + 1);
        json_decref(pong);
    }
    close_conn(f, 0, 0);
    assert_int_equal(check(f, 0), 0);
    assert_int_equal(outcome(f, "ok"), 100);
    lat = json_object_get(f->verdict, "latency_ms");
    assert_int_equal((int)json_real_value(json_object_get(lat, "p50")), 50);
    assert_int_equal((int)json_real_value(json_object_get(lat, "p99")), 99);
    assert_int_equal((int)json_real_value(json_object_get(lat, "max")), 100);
}

/* The whole soak against the real gateway, small: clean, and every
 * request resolved; with faults, some fail and the rest still pass. */
static void live_soak(void **state)
{
    hs_soak_opts o;
    json_t *f = NULL, *fin;
    char err[512];

    if (access("build/gateway", X_OK) != 0)
        skip();
    hs_soak_defaults(&o);
    o.profile = test_reference;
    o.clients = 40;
    o.requests = 10;
    o.rounds = 2;
    o.app_p = 0;
    o.net_p = 0;
    o.quiet = 1;
    assert_int_equal(hs_soak_run(&o, &f, err, sizeof(err)), 0);
    fin = json_object_get(json_object_get(f, "checker"), "final");
    assert_int_equal(json_integer_value(json_object_get(fin, "logical")), 400);
    assert_int_equal(json_integer_value(json_object_get(fin, "ok")), 400);
    assert_int_equal(json_array_size(json_object_get(f, "rss_kib")), 2);
    json_decref(f);
    o.app_p = 0.2;
    o.net_p = 0.02;
    assert_int_equal(hs_soak_run(&o, &f, err, sizeof(err)), 0);
    fin = json_object_get(json_object_get(f, "checker"), "final");
    assert_int_equal(json_integer_value(json_object_get(fin, "logical")), 400);
    assert_cmp_int(json_integer_value(json_object_get(fin, "failed")), >, 0);
    assert_int_equal(json_integer_value(json_object_get(fin, "unresolved")), 0);
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clean_history_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_event_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicated_event_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(misordered_event_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(event_for_another_user_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(event_on_another_connection_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(request_without_outcome_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_is_unknown_only_with_transport_faults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(errors_fail_and_mixed_answers_are_caught, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(forbidden_closes_and_5xx_are_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_upgrade_and_close_are_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(close_1013_fails_the_request, setup, teardown),
        cmocka_unit_test_setup_teardown(degraded_before_notice_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_ids_and_hostile_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(pings_and_latency, setup, teardown),
        cmocka_unit_test(live_soak),
    };

    return cmocka_run_group_tests(tests, test_profile_setup, test_profile_teardown);
}
