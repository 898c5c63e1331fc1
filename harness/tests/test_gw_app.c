/*
 * The gateway's application logic through a fake transport: every seed
 * failure's fixed behaviour, observed as the frames a client would get.
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

#include "gateway/gw_app.h"
#include "gateway/gw_faults.h"
#include "gateway/gw_types.h"
#include "tests/test_util.h"

#define SECRET "app-secret"

/* What the fake transport saw for one connection. */
typedef struct fake_conn {
    json_t *frames;
    int close_code;
} fake_conn;

static fake_conn conns[8];
static FILE *devnull;

static void fake_send(gw_session *s, const char *text, size_t len)
{
    fake_conn *c = s->transport;
    json_t *j = json_loadb(text, len, 0, NULL);

    assert_non_null(j);
    json_array_append_new(c->frames, j);
}

static void fake_close(gw_session *s, int code, const char *reason)
{
    ((fake_conn *)s->transport)->close_code = code;
}

static const gw_io fake_io = { fake_send, fake_close };

static char *token(const char *sub)
{
    jwt_t *jwt = NULL;
    char *s;

    jwt_new(&jwt);
    jwt_add_grant(jwt, "sub", sub);
    jwt_add_grant_int(jwt, "exp", time(NULL) + 60);
    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)SECRET, (int)strlen(SECRET));
    s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

static gw_app *new_app(int delay_ms, int queue)
{
    gw_app_config cfg = { SECRET, delay_ms, queue };

    return gw_app_new(&cfg, &fake_io);
}

static gw_session *open_as(gw_app *app, int i, const char *user)
{
    char *t = token(user);
    gw_session *s;

    conns[i].frames = json_array();
    conns[i].close_code = 0;
    s = gw_app_open(app, t, &conns[i]);
    free(t);
    return s;
}

static void send_text(gw_app *app, gw_session *s, const char *text)
{
    gw_app_message(app, s, text, strlen(text));
}

static void enable(const char *spec)
{
    gw_fault_spec s;
    char err[200];

    assert_int_equal(gw_fault_spec_parse(spec, &s, err, sizeof(err)), 0);
    assert_int_equal(gw_fault_enable(&s, err, sizeof(err)), 0);
}

static const char *frame_type(int conn, size_t i)
{
    return json_string_value(json_object_get(json_array_get(conns[conn].frames, i), "type"));
}

/* The 5 events for request id, in order, starting at frame 'from'. */
static void assert_events(int conn, size_t from, const char *id, int degraded)
{
    static const char *const names[] = { "agent_started", "agent_thinking",
        "tool_executing", "tool_completed", "agent_completed" };

    for (size_t i = 0; i < 5; i++) {
        json_t *f = json_array_get(conns[conn].frames, from + i);

        assert_non_null(f);
        assert_string_equal(json_string_value(json_object_get(f, "type")), names[i]);
        assert_string_equal(json_string_value(json_object_get(f, "request_id")), id);
        assert_int_equal(json_is_true(json_object_get(f, "degraded")), degraded);
    }
}

static void assert_error(int conn, size_t i, const char *code)
{
    json_t *f = json_array_get(conns[conn].frames, i);

    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "type")), "error");
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "payload"), "code")), code);
}

static int setup(void **state)
{
    gw_faults_init(1);
    gw_faults_reset();
    gw_deps_reset();
    devnull = fopen("/dev/null", "w");
    gw_log_set_stream(devnull);
    return 0;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < 8; i++) {
        json_decref(conns[i].frames);
        conns[i].frames = NULL;
    }
    gw_log_set_stream(NULL);
    fclose(devnull);
    return 0;
}

static void test_every_alias_gets_the_five_events(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;
    const char *type;
    gw_kind kind;
    char msg[128];
    size_t n = 0;

    gw_app_start(app);
    s = open_as(app, 0, "alice");
    for (unsigned i = 0; (type = gw_types_name(i, &kind)); i++) {
        if (kind != GW_KIND_AGENT)
            continue;
        snprintf(msg, sizeof(msg), "{\"type\":\"%s\",\"id\":\"%s\"}", type, type);
        send_text(app, s, msg);
        assert_events(0, n, type, 0);
        n += 5;
    }
    assert_int_equal(n, 30);
    gw_app_free(app);
}

static void test_bad_input_is_answered(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    s = open_as(app, 0, "alice");
    send_text(app, s, "{nope");
    assert_error(0, 0, "invalid_json");
    send_text(app, s, "{\"type\":\"teleport\",\"id\":\"r1\"}");
    assert_error(0, 1, "unknown_type");
    assert_string_equal(json_string_value(json_object_get(json_array_get(conns[0].frames, 1), "request_id")), "r1");
    send_text(app, s, "[1,2]");
    assert_error(0, 2, "invalid_message");
    gw_app_binary(app, s);
    assert_error(0, 3, "binary_unsupported");
    send_text(app, s, "{\"type\":\"ping\",\"id\":7}");
    assert_string_equal(frame_type(0, 4), "pong");
    gw_app_free(app);
}

static void test_missing_mapping_fault_is_an_error_not_silence(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    s = open_as(app, 0, "alice");
    enable("gateway/types/execute_agent:once");
    send_text(app, s, "{\"type\":\"execute_agent\",\"id\":\"r1\"}");
    assert_error(0, 0, "unknown_type");
    send_text(app, s, "{\"type\":\"execute_agent\",\"id\":\"r2\"}");
    assert_events(0, 1, "r2", 0);
    gw_app_free(app);
}

static void test_bad_token_closes_1008_and_processes_nothing(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    conns[0].frames = json_array();
    s = gw_app_open(app, "garbage", &conns[0]);
    assert_int_equal(conns[0].close_code, 1008);
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_int_equal(json_array_size(conns[0].frames), 0);
    gw_app_close(app, s);
    assert_int_equal(gw_app_handlers(app), gw_app_handlers_baseline(app));
    gw_app_free(app);
}

static void test_verifier_failure_closes_1013(void **state)
{
    gw_app *app = new_app(0, 4);

    gw_app_start(app);
    enable("gateway/auth/verify");
    open_as(app, 0, "alice");
    assert_int_equal(conns[0].close_code, 1013);
    gw_app_free(app);
}

static void test_dependency_failure_degrades_with_notice(void **state)
{
    static const char *const faults[] = {
        "gateway/deps/supervisor", "gateway/deps/thread_service",
        "gateway/deps/llm_manager", "gateway/bridge/create",
        "gateway/registry/set_manager",
    };

    for (size_t i = 0; i < 5; i++) {
        gw_app *app = new_app(0, 4);
        gw_session *s;
        json_t *h;

        gw_faults_reset();
        gw_app_start(app);
        enable(faults[i]);
        s = open_as(app, 0, "alice");
        assert_int_equal(conns[0].close_code, 0);
        assert_string_equal(frame_type(0, 0), "system_notice");
        send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
        assert_events(0, 1, "r1", 1);
        h = gw_app_health(app);
        assert_string_equal(json_string_value(json_object_get(h, "status")), "degraded");
        json_decref(h);
        gw_fault_disable(faults[i]);
        json_decref(conns[0].frames);
        conns[0].frames = NULL;
        gw_app_free(app);
    }
}

static void test_recovery_after_fault_off(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;
    json_t *h;

    gw_app_start(app);
    enable("gateway/bridge/create");
    s = open_as(app, 0, "alice");
    gw_app_close(app, s);
    gw_fault_disable("gateway/bridge/create");
    s = open_as(app, 1, "alice");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_events(1, 0, "r1", 0);
    h = gw_app_health(app);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "ready");
    json_decref(h);
    gw_app_free(app);
}

static void test_not_ready_queues_then_answers(void **state)
{
    gw_app *app = new_app(500, 2);
    gw_session *s;
    json_t *h;

    enable("gateway/startup/slow");
    assert_int_equal(gw_app_start(app), 500);
    h = gw_app_health(app);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "starting");
    json_decref(h);
    s = open_as(app, 0, "alice");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"q1\"}");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"q2\"}");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"q3\"}");
    /* The third does not fit: answered at once, with a retry hint. */
    assert_int_equal(json_array_size(conns[0].frames), 1);
    assert_error(0, 0, "not_ready");
    assert_cmp_int(json_integer_value(json_object_get(json_object_get(json_array_get(conns[0].frames, 0), "payload"), "retry_after_ms")), >, 0);
    gw_app_set_ready(app);
    assert_events(0, 1, "q1", 0);
    assert_events(0, 6, "q2", 0);
    gw_app_free(app);
}

static void test_session_provider_failure_spares_the_connection(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    s = open_as(app, 0, "alice");
    enable("gateway/db/session:once");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_error(0, 0, "session_unavailable");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r2\"}");
    assert_events(0, 1, "r2", 0);
    assert_int_equal(conns[0].close_code, 0);
    gw_app_free(app);
}

static void test_handlers_return_to_baseline_even_if_cleanup_fails(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *a, *b;
    size_t base = gw_app_handlers(app);

    gw_app_start(app);
    assert_int_equal(base, gw_app_handlers_baseline(app));
    a = open_as(app, 0, "alice");
    b = open_as(app, 1, "bob");
    assert_cmp_uint(gw_app_handlers(app), >, base);
    enable("gateway/handler/cleanup");
    gw_app_close(app, a);
    gw_app_close(app, b);
    assert_int_equal(gw_app_handlers(app), base);
    assert_int_equal(gw_app_sessions(app), 0);
    gw_app_free(app);
}

static void test_raw_handler_is_refused_and_routing_goes_on(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    enable("gateway/router/raw_handler");
    s = open_as(app, 0, "alice");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_events(0, 0, "r1", 0);
    gw_app_free(app);
}

static void test_can_handle_failure_falls_back_visibly(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    s = open_as(app, 0, "alice");
    enable("gateway/router/can_handle:once");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_string_equal(frame_type(0, 0), "system_notice");
    assert_events(0, 1, "r1", 1);
    gw_app_free(app);
}

static void test_log_failure_leaves_connection_alone(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *s;

    gw_app_start(app);
    enable("gateway/log/state_enum");
    s = open_as(app, 0, "alice");
    send_text(app, s, "{\"type\":\"chat\",\"id\":\"r1\"}");
    assert_events(0, 0, "r1", 0);
    assert_int_equal(conns[0].close_code, 0);
    gw_app_free(app);
}

static void test_events_reach_only_their_user(void **state)
{
    gw_app *app = new_app(0, 4);
    gw_session *a, *b;

    gw_app_start(app);
    a = open_as(app, 0, "alice");
    b = open_as(app, 1, "bob");
    send_text(app, a, "{\"type\":\"chat\",\"id\":\"a1\"}");
    send_text(app, b, "{\"type\":\"chat\",\"id\":\"b1\"}");
    assert_int_equal(json_array_size(conns[0].frames), 5);
    assert_int_equal(json_array_size(conns[1].frames), 5);
    assert_events(0, 0, "a1", 0);
    assert_events(1, 0, "b1", 0);
    gw_app_free(app);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_alias_gets_the_five_events),
        T(test_bad_input_is_answered),
        T(test_missing_mapping_fault_is_an_error_not_silence),
        T(test_bad_token_closes_1008_and_processes_nothing),
        T(test_verifier_failure_closes_1013),
        T(test_dependency_failure_degrades_with_notice),
        T(test_recovery_after_fault_off),
        T(test_not_ready_queues_then_answers),
        T(test_session_provider_failure_spares_the_connection),
        T(test_handlers_return_to_baseline_even_if_cleanup_fails),
        T(test_raw_handler_is_refused_and_routing_goes_on),
        T(test_can_handle_failure_falls_back_visibly),
        T(test_log_failure_leaves_connection_alone),
        T(test_events_reach_only_their_user),
    };
#undef T
    return cmocka_run_group_tests_name("gateway app", tests, NULL, NULL);
}
