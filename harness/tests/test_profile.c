/*
 * Tests of target profiles (hs_profile): the reference profile loads and
 * says what the reference gateway speaks, requests come out of their
 * templates, and each kind of mistake in a profile is refused with the
 * file, line, column and field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "judge/hs_dialect.h"
#include "scenario/hs_profile.h"
#include "tests/test_util.h"

static json_t *reference_json(void)
{
    json_error_t je;
    json_t *j = json_load_file(HS_PROFILE_DEFAULT, 0, &je);

    if (!j)
        fail_msg("%s:%d: %s", HS_PROFILE_DEFAULT, je.line, je.text);
    return j;
}

/* Parse doc (as indented text named "p.json"); the profile or NULL with err. */
static hs_profile *parse_doc(const json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    hs_profile *p = NULL;

    hs_profile_parse("p.json", text, strlen(text), &p, err, errlen);
    free(text);
    return p;
}

/* doc with the value at "a.b" replaced by v (stolen), or removed when NULL. */
static void edit(json_t *doc, const char *path, json_t *v)
{
    char buf[200], *dot, *key = buf;
    json_t *o = doc;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        o = json_object_get(o, key);
        key = dot + 1;
    }
    if (v)
        json_object_set_new(o, key, v);
    else
        json_object_del(o, key);
}

/* The profile with one edit must be refused, the message holding says and
 * starting with "p.json:LINE:COL: ". */
static void assert_refused(const char *path, json_t *v, const char *says)
{
    json_t *doc = reference_json();
    char err[512] = "";
    int line = 0, col = 0;
    hs_profile *p;

    edit(doc, path, v);
    p = parse_doc(doc, err, sizeof(err));
    json_decref(doc);
    if (p) {
        hs_profile_free(p);
        fail_msg("edit of %s accepted, but should be refused (%s)", path, says);
    }
    if (sscanf(err, "p.json:%d:%d: ", &line, &col) != 2 || line < 1 || col < 1)
        fail_msg("no file:line:col in \"%s\"", err);
    if (!strstr(err, says))
        fail_msg("\"%s\" does not say \"%s\"", err, says);
}

static void test_reference_loads(void **state)
{
    char err[512] = "";
    hs_profile *p = NULL;

    assert_int_equal(hs_profile_load(HS_PROFILE_DEFAULT, &p, err, sizeof(err)),
                     HS_PROFILE_OK);
    assert_string_equal(p->name, "reference");
    assert_string_equal(p->app_path, "/ws");
    assert_int_equal(p->token.in, HS_TOKEN_HEADER);
    assert_string_equal(p->token.prefix, "Bearer ");
    assert_string_equal(p->answers.id, "request_id");
    assert_string_equal(p->sent_id, "id");
    assert_cmp_uint(hs_profile_nevents(p), ==, 5);
    assert_string_equal(p->answers.events[4], "agent_completed");
    assert_int_equal(p->leak_signal, HS_LEAK_SIGUSR2);
    assert_non_null(p->leak_done);
    assert_string_equal(p->errors[HS_ERR_NOT_READY], "not_ready");
    assert_string_equal(p->health.path, "/health");
    assert_true(json_is_true(p->health.ready_value));
    assert_cmp_int(p->logs_json, ==, 1);
    assert_non_null(p->lifecycle);
    assert_cmp_int(p->shutdown_close, ==, 1001);
    assert_int_equal(p->hits, HS_HITS_HEALTH);
    hs_profile_free(p);
}

static void test_requests_from_templates(void **state)
{
    char err[512] = "", *text;
    hs_profile *p = NULL;
    json_t *r;

    assert_int_equal(hs_profile_load(HS_PROFILE_DEFAULT, &p, err, sizeof(err)),
                     HS_PROFILE_OK);
    r = hs_profile_request(p, HS_REQ_AGENT, "execute_agent", "r1", "hello {id}");
    text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    /* Only whole placeholder strings are replaced: text is data, not a template. */
    assert_string_equal(text, "{\"id\":\"r1\",\"payload\":{\"text\":\"hello {id}\"},"
                              "\"type\":\"execute_agent\"}");
    free(text);
    json_decref(r);
    r = hs_profile_request(p, HS_REQ_AGENT, NULL, "r2", "x");
    assert_string_equal(json_string_value(json_object_get(r, "type")), "user_message");
    json_decref(r);
    r = hs_profile_request(p, HS_REQ_INVALID_JSON, NULL, "r3", NULL);
    assert_true(json_is_string(r));
    assert_null(json_loads(json_string_value(r), 0, NULL));
    json_decref(r);
    hs_profile_free(p);
}

/* A repeated request is renumbered where the dialect carries its id, even
 * nested: the judge ties each copy's answers to it (send's "repeat"). */
static void test_sent_id_renumbered(void **state)
{
    json_t *doc = reference_json(), *r, *ping;
    char err[512] = "";
    hs_profile *p;

    edit(doc, "requests.agent.message",
         json_pack("{s:s,s:{s:s},s:s}", "type", "{type}", "meta", "rid", "{id}", "text",
                   "{text}"));
    p = parse_doc(doc, err, sizeof(err));
    json_decref(doc);
    assert_non_null(p);
    assert_string_equal(p->sent_id, "meta.rid");
    r = hs_profile_request(p, HS_REQ_AGENT, NULL, "r1", "x");
    assert_int_equal(hs_dialect_set_sent_id(p, r, "r1-2"), 0);
    assert_string_equal(json_string_value(hs_dialect_sent_id(p, r)), "r1-2");
    assert_null(json_object_get(r, "id"));
    ping = json_pack("{s:s}", "type", "ping");
    assert_int_equal(hs_dialect_set_sent_id(p, ping, "x"), -1);
    assert_int_equal(json_object_size(ping), 1);
    json_decref(ping);
    json_decref(r);
    hs_profile_free(p);
}

static void test_no_health_is_allowed(void **state)
{
    json_t *doc = reference_json();
    char err[512] = "";
    hs_profile *p;

    edit(doc, "health", json_null());
    edit(doc, "logs.json_lines", json_false());
    edit(doc, "logs.lifecycle", NULL);
    edit(doc, "logs.leak_check", NULL);
    edit(doc, "fault_hits", json_string("preload"));
    p = parse_doc(doc, err, sizeof(err));
    json_decref(doc);
    assert_non_null(p);
    assert_null(p->health.path);
    assert_null(p->lifecycle);
    assert_int_equal(p->hits, HS_HITS_PRELOAD);
    hs_profile_free(p);
}

static void test_mistakes_refused(void **state)
{
    assert_refused("formt", json_string("x"), "unknown key \"formt\"");
    assert_refused("formt", json_string("x"), "did you mean \"format\"?");
    assert_refused("format", json_string("wsfault-profile/9"),
                   "format: unknown value \"wsfault-profile/9\"");
    assert_refused("name", NULL, "top level: missing required key \"name\"");
    assert_refused("app_path", json_integer(3), "app_path: must be a string");
    assert_refused("token.in", json_string("cookie"), "token.in: unknown value \"cookie\"");
    /* A leak check is only over when its JSON log line says so. */
    assert_refused("logs.json_lines", json_false(), "leak_check: needs \"json_lines\": true");
    assert_refused("logs.leak_check.signal", json_string("SIGKILL"),
                   "logs.leak_check.signal: unknown value \"SIGKILL\"");
    assert_refused("logs.leak_check.signal", json_string("none"), "leave \"leak_check\" out");
    assert_refused("logs.leak_check.done", NULL, "missing required key \"done\"");
    /* No client sends a first-message token: refused, never ignored. */
    assert_refused("token.in", json_string("message"), "token.in: unknown value \"message\"");
    assert_refused("token.name", NULL, "token: missing required key \"name\"");
    assert_refused("requests.ping", NULL, "requests: missing required key \"ping\"");
    assert_refused("requests.ping.message", json_string("ping"), "must be a JSON object");
    assert_refused("requests.agent.message.id", json_string("r1"),
                   "requests.agent.message: has no \"{id}\"");
    assert_refused("requests.agent.aliases", NULL,
                   "requests.agent: missing required key \"aliases\"");
    assert_refused("requests.invalid_json", json_integer(1),
                   "requests.invalid_json: must be the text to send");
    assert_refused("answers.id", json_string("a..b"), "answers.id: not a dotted path");
    assert_refused("answers.error", json_pack("{s:{s:i}}", "type", "$gt", 1),
                   "answers.error");
    assert_refused("health.faults", NULL,
                   "fault_hits: is \"health\", but the health section names no \"faults\"");
    assert_refused("answers.events", json_array(),
                   "answers.events: needs at least one event name");
    assert_refused("errors.not_ready", NULL, "errors: missing required key \"not_ready\"");
    assert_refused("errors.not_redy", json_string("x"), "did you mean \"not_ready\"?");
    assert_refused("health.connections", NULL,
                   "health: missing required key \"connections\"");
    assert_refused("health.dependency_failed", NULL,
                   "health: missing key \"dependency_failed\", required with \"dependencies\"");
    assert_refused("shutdown_close", json_integer(999), "shutdown_close: must be a whole number");
    assert_refused("fault_hits", json_string("maybe"), "fault_hits: unknown value \"maybe\"");
    assert_refused("logs.lifecycle.state", NULL, "logs.lifecycle: missing required key \"state\"");
}

/* Every profile the repository ships loads. */
static void test_shipped_profiles_load(void **state)
{
    static const char *const shipped[] = { HS_PROFILE_DEFAULT,
                                           "fixtures/targets/fastapi/profile.json", NULL };
    char err[512];
    hs_profile *p;

    for (size_t i = 0; shipped[i]; i++) {
        p = NULL;
        if (hs_profile_load(shipped[i], &p, err, sizeof(err)) != HS_PROFILE_OK)
            fail_msg("%s", err);
        hs_profile_free(p);
    }
}

static void test_not_json_names_the_line(void **state)
{
    static const char text[] = "{\n  \"format\": \"wsfault-profile/1\",\n  \"name\": \n}\n";
    char err[512] = "";
    hs_profile *p = NULL;

    assert_int_equal(hs_profile_parse("bad.json", text, strlen(text), &p, err, sizeof(err)),
                     HS_PROFILE_ERR);
    assert_null(p);
    assert_non_null(strstr(err, "bad.json:4:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_loads),
        cmocka_unit_test(test_requests_from_templates),
        cmocka_unit_test(test_sent_id_renumbered),
        cmocka_unit_test(test_no_health_is_allowed),
        cmocka_unit_test(test_mistakes_refused),
        cmocka_unit_test(test_shipped_profiles_load),
        cmocka_unit_test(test_not_json_names_the_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
