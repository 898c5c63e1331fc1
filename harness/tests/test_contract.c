/*
 * The degradation contract: its table holds the seven clauses, each
 * clause fires on what breaks it, names itself, and stays quiet on a
 * clean record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "judge/hs_client.h"
#include "judge/hs_contract.h"
#include "tests/test_util.h"

typedef struct fixture {
    hs_record rec;
    hs_client *clients[2];
    json_t *reasons;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->clients[0] = hs_client_new("main", test_reference);
    f->clients[0]->app = 1;
    f->clients[0]->hs.status = 101;
    f->rec.profile = test_reference;
    f->rec.clients = f->clients;
    f->rec.nclients = 1;
    f->rec.http_statuses = json_array();
    f->rec.faults_enabled = json_array();
    f->rec.has_health = 1;
    f->rec.health_final = json_pack("{s:s,s:{},s:{}}", "status", "ready", "dependencies", "faults");
    f->rec.health_settled = json_pack("{s:i,s:i,s:i}", "connections", 0, "handlers", 1,
                                      "handlers_baseline", 1);
    f->rec.spawned = 1;
    f->rec.stop_status = 0;     /* exited 0 */
    f->rec.stderr_text = "{\"event\":\"ready\"}\n{\"event\":\"conn_state\",\"state\":\"ready\"}\n";
    f->reasons = json_array();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    hs_client_free(f->clients[0]);
    json_decref(f->rec.http_statuses);
    json_decref(f->rec.faults_enabled);
    json_decref(f->rec.health_final);
    json_decref(f->rec.health_settled);
    json_decref(f->reasons);
    free(f);
    return 0;
}

/* The one reason added names this clause, and its message says so too. */
static void assert_clause(fixture *f, int clause, const char *fragment)
{
    json_t *r = json_array_get(f->reasons, 0);
    char tag[32];

    assert_int_equal(json_array_size(f->reasons), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "clause")), clause);
    snprintf(tag, sizeof(tag), "(contract %d)", clause);
    assert_non_null(strstr(json_string_value(json_object_get(r, "message")), tag));
    assert_non_null(strstr(json_string_value(json_object_get(r, "message")), fragment));
}

static void send_request(hs_client *c, const char *id)
{
    json_t *m = json_pack("{s:s,s:s}", "type", "chat", "id", id);

    hs_client_sent(c, m);
    json_decref(m);
}

static void answer(hs_client *c, const char *id, const char *type)
{
    hs_request *r = hs_client_request(c, id);

    json_array_append_new(r->events, json_string(type));
    r->terminal |= strcmp(type, "agent_completed") == 0 || strcmp(type, "error") == 0;
}

/* Seven clauses in order, each named after its own judge, and no others. */
static void test_clause_table(void **state)
{
    static const struct {
        const char *name;
        hs_clause_judge judge;
    } judges[] = {
        { "upgrade", hs_contract_upgrade }, { "close", hs_contract_close },
        { "answers", hs_contract_answers }, { "visible", hs_contract_visible },
        { "survival", hs_contract_survival }, { "logs", hs_contract_logs },
        { "fired", hs_contract_fired },
    };
    const hs_clause *k;

    assert_int_equal(HS_CONTRACT_CLAUSES, 7);
    for (int i = 1; i <= HS_CONTRACT_CLAUSES; i++) {
        k = hs_contract_clause(i);
        assert_non_null(k);
        assert_int_equal(k->number, i);
        assert_string_equal(k->name, judges[i - 1].name);
        assert_true(strlen(k->text) > 0);
        assert_true(k->judge == judges[i - 1].judge);
    }
    assert_null(hs_contract_clause(0));
    assert_null(hs_contract_clause(-1));
    assert_null(hs_contract_clause(HS_CONTRACT_CLAUSES + 1));
    assert_null(hs_contract_clause((1LL << 32) + 1));
}

static void test_clean_record_passes(void **state)
{
    fixture *f = *state;

    send_request(f->clients[0], "r1");
    answer(f->clients[0], "r1", "agent_started");
    answer(f->clients[0], "r1", "agent_thinking");
    answer(f->clients[0], "r1", "tool_executing");
    answer(f->clients[0], "r1", "tool_completed");
    answer(f->clients[0], "r1", "agent_completed");
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause1_upgrade_500(void **state)
{
    fixture *f = *state;

    f->clients[0]->hs.status = 500;
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 1, "HTTP 500");
}

static void test_clause1_http_step_503(void **state)
{
    fixture *f = *state;

    json_array_append_new(f->rec.http_statuses, json_pack("{s:i,s:i,s:i,s:s}", "step", 2,
                                                          "line", 9, "status", 503,
                                                          "what", "GET /health"));
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 1, "GET /health answered HTTP 503");
}

static void test_clause2_close_1011(void **state)
{
    fixture *f = *state;

    f->clients[0]->close_code = 1011;
    f->clients[0]->close_expected = 1;
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 2, "1011");
}

static void test_clause2_abnormal_unless_transport_faults(void **state)
{
    fixture *f = *state;

    f->clients[0]->close_code = 1006;
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 2, "without a close frame");
    json_array_clear(f->reasons);
    f->rec.transport_faults = 1;
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause2_unexpected_server_close(void **state)
{
    fixture *f = *state;

    f->clients[0]->close_code = 1008;
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 2, "did not expect");
    json_array_clear(f->reasons);
    f->clients[0]->close_expected = 1;
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause3_silence(void **state)
{
    fixture *f = *state;

    send_request(f->clients[0], "r1");
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 3, "request r1 on main got no terminal answer");
}

/* A flood left unanswered: ten reasons and one count, the total still counted. */
static void test_clause3_flood_summarised(void **state)
{
    fixture *f = *state;
    char id[16];
    const char *last;

    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof(id), "f%d", i);
        send_request(f->clients[0], id);
    }
    assert_int_equal(hs_contract_answers(&f->rec, f->reasons), 25);
    assert_int_equal(json_array_size(f->reasons), 11);
    last = json_string_value(json_object_get(json_array_get(f->reasons, 10), "message"));
    assert_non_null(strstr(last, "and 15 more requests on main"));
}

/* A 1011 on a connection the target ended as a dead peer, as its profile
 * says it does, is not a crash; the same code anywhere else is. */
static void test_clause2_keepalive_1011(void **state)
{
    fixture *f = *state;

    f->clients[0]->close_code = 1011;
    f->clients[0]->close_expected = 1;
    f->clients[0]->keepalive_close = 1;
    assert_int_equal(hs_contract_close(&f->rec, f->reasons), 0);
    f->clients[0]->keepalive_close = 0;
    assert_int_equal(hs_contract_close(&f->rec, f->reasons), 1);
    assert_clause(f, 2, "1011");
}

static void test_clause3_misordered_or_duplicated(void **state)
{
    fixture *f = *state;

    send_request(f->clients[0], "r1");
    answer(f->clients[0], "r1", "agent_thinking");
    answer(f->clients[0], "r1", "agent_started");
    answer(f->clients[0], "r1", "tool_executing");
    answer(f->clients[0], "r1", "tool_completed");
    answer(f->clients[0], "r1", "agent_completed");
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 3, "not the 5 events in order");
}

/* A terminal event alone is not an answer: the events between were lost. */
static void test_clause3_incomplete(void **state)
{
    fixture *f = *state;

    send_request(f->clients[0], "r1");
    answer(f->clients[0], "r1", "agent_started");
    answer(f->clients[0], "r1", "agent_completed");
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 3, "not the 5 events in order");
}

static void test_clause3_exempt_after_expected_close(void **state)
{
    fixture *f = *state;

    send_request(f->clients[0], "r1");
    f->clients[0]->close_code = 1008;
    f->clients[0]->close_expected = 1;
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause4_degraded_without_notice(void **state)
{
    fixture *f = *state;

    f->clients[0]->degraded_before_notice = 1;
    json_object_set_new(f->rec.health_final, "status", json_string("degraded"));
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 4, "before any degraded notice");
}

static void test_clause4_health_silent(void **state)
{
    fixture *f = *state;

    f->clients[0]->notices = 1;
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 4, "its health names no failed dependency");
    json_array_clear(f->reasons);
    json_object_set_new(json_object_get(f->rec.health_final, "dependencies"), "bridge",
                        json_pack("{s:s,s:i}", "state", "failed", "failures", 1));
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause5_death_exit_leaks_sanitizer(void **state)
{
    fixture *f = *state;

    f->rec.died = 1;
    f->rec.stop_status = SIGSEGV;  /* a wait status: killed by signal 11 */
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 5, "died during the scenario");
    json_array_clear(f->reasons);
    f->rec.died = 0;
    f->rec.stop_status = 1 << 8;   /* exited 1 */
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 5, "did not shut down cleanly");
    json_array_clear(f->reasons);
    f->rec.stop_status = 0;
    json_object_set_new(f->rec.health_settled, "handlers", json_integer(3));
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 5, "3 handlers (baseline 1)");
    json_array_clear(f->reasons);
    json_object_set_new(f->rec.health_settled, "handlers", json_integer(1));
    f->rec.stderr_text = "{\"a\":1}\n==1==ERROR: AddressSanitizer: heap-use-after-free\n";
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 5, "heap-use-after-free");
}

static void test_clause6_logs(void **state)
{
    fixture *f = *state;

    f->rec.stderr_text = "{\"a\":1}\nplain text line\n";
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 6, "log line 2 is not one JSON object");
    json_array_clear(f->reasons);
    f->rec.stderr_text = "{\"event\":\"conn_state\",\"state\":3}\n";
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 6, "state that is not a string");
    json_array_clear(f->reasons);
    f->rec.stderr_text = "{\"event\":\"conn_state\",\"state\":null,\"log_error\":\"x\"}\n";
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

static void test_clause7_never_fired(void **state)
{
    fixture *f = *state;

    json_array_append_new(f->rec.faults_enabled, json_pack("{s:s,s:b}", "name",
                                                           "gateway/bridge/create", "expect_fire", 1));
    json_object_set_new(json_object_get(f->rec.health_final, "faults"), "gateway/bridge/create",
                        json_pack("{s:i,s:i}", "reached", 0, "fired", 0));
    hs_contract_check(&f->rec, f->reasons);
    assert_clause(f, 7, "gateway/bridge/create enabled but never fired");
    json_array_clear(f->reasons);
    json_object_set_new(json_object_get(f->rec.health_final, "faults"), "gateway/bridge/create",
                        json_pack("{s:i,s:i}", "reached", 2, "fired", 1));
    assert_int_equal(hs_contract_check(&f->rec, f->reasons), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clause_table),
        T(test_clean_record_passes),
        T(test_clause1_upgrade_500),
        T(test_clause1_http_step_503),
        T(test_clause2_close_1011),
        T(test_clause2_abnormal_unless_transport_faults),
        T(test_clause2_unexpected_server_close),
        T(test_clause3_silence),
        T(test_clause3_flood_summarised),
        T(test_clause2_keepalive_1011),
        T(test_clause3_misordered_or_duplicated),
        T(test_clause3_incomplete),
        T(test_clause3_exempt_after_expected_close),
        T(test_clause4_degraded_without_notice),
        T(test_clause4_health_silent),
        T(test_clause5_death_exit_leaks_sanitizer),
        T(test_clause6_logs),
        T(test_clause7_never_fired),
    };
#undef T
    return cmocka_run_group_tests_name("contract", tests, test_profile_setup, test_profile_teardown);
}
