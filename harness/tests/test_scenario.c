/*
 * Tests of the scenario loader (hs_scenario) and its position index
 * (hs_jsonpos).
 *
 * The bad files under fixtures/scenarios/bad/ are tests as data: each one
 * carries one mistake, and the table below says where the loader must place
 * it and what it must say. A bad file without a row fails the suite, so a
 * new case is a new file plus one line here.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario/hs_jsonpos.h"
#include "scenario/hs_scenario.h"
#include "tests/test_util.h"

#define GOOD_DIR "fixtures/scenarios/good"
#define BAD_DIR "fixtures/scenarios/bad"

typedef struct bad_case {
    const char *file;
    int line, col;
    const char *says;      /* a fragment the message must contain */
} bad_case;

static const bad_case bad_cases[] = {
    { "request-no-id.json", 6, 5, "steps[1]: missing required key \"id\"" },
    { "request-type-not-agent.json", 6, 52,
      "steps[1].type: names an agent request's type alias: only with \"kind\": \"agent\"" },
    { "expect-error-kind-typo.json", 6, 39,
      "steps[1].error: unknown value \"unknown_typ\"; did you mean \"unknown_type\"?" },
    { "health-says-nothing.json", 6, 33, "steps[1].state: says nothing" },
    { "close-reason-no-code.json", 6, 23, "steps[1].reason: needs a \"code\"" },
    { "close-reserved-code.json", 6, 31, "steps[1].code: 1005 is reserved" },
    { "conn-before-connect.json", 5, 5,
      "steps[0]: connection \"main\" is used before any connect step" },
    { "conn-other-name.json", 6, 32,
      "add {\"step\": \"connect\", \"conn\": \"second\"}" },
    { "connect-header-crlf.json", 5, 59,
      "steps[0].headers.X-Bad: must not contain control characters" },
    { "connect-path.json", 5, 33, "steps[0].path: must start with '/'" },
    { "connect-status-range.json", 5, 42,
      "expect_status: must be a whole number from 100 to 599, not 99" },
    { "connect-token-and-raw.json", 5, 44,
      "steps[0].token_raw: give \"token\" or \"token_raw\", not both" },
    { "connect-token-and-token-of.json", 6, 58,
      "steps[1].token_of: give one of \"token\", \"token_raw\" and \"token_of\"" },
    { "connect-token-of-unknown.json", 6, 50,
      "steps[1].token_of: connection \"first\" has not connected before this step" },
    { "connect-token-unknown.json", 5, 34,
      "steps[0].token: unknown value \"expird\"; did you mean \"expired\"?" },
    { "control-char-key.json", 6, 37, "unknown key \"\\x1b[2J\" in an \"expect\"" },
    { "duplicate-key.json", 4, 9, "not valid JSON: duplicate object key" },
    { "empty.json", 1, 1, "not valid JSON" },
    { "expect-close-1006.json", 6, 38, "write \"abnormal\"" },
    { "expect-close-word.json", 6, 38,
      "steps[1].code: must be a close code from 1000 to 4999, \"any\", \"abnormal\", "
      "\"shutdown\", \"keepalive\" or \"slow_consumer\"" },
    { "memory-both.json", 5, 39,
      "steps[0].max_growth_kib: give \"mark\" or \"max_growth_kib\", not both" },
    { "storm-no-clients.json", 5, 5, "steps[0]: missing required key \"clients\"" },
    { "wire-bad-opcode.json", 6, 32,
      "steps[1].drop[0]: unknown value \"pnog\"; did you mean \"pong\"?" },
    { "wire-delay-negative.json", 5, 56,
      "steps[0].wire.delay.close: must be a whole number from 0 to 600000, not -5" },
    { "expect-events-degraded.json", 6, 63,
      "steps[1].degraded: must be true or false, not a string" },
    { "expect-match-missing.json", 6, 5,
      "steps[1]: missing required key \"match\"" },
    { "expect-match-not-object.json", 6, 33,
      "steps[1].match: must be a matcher object" },
    { "expect-match-operator.json", 6, 67,
      "steps[1].match[\"payload.code\"]: bad matcher:" },
    { "fault-duplicate.json", 6, 14, "is already listed as faults[0]" },
    { "fault-misspelt.json", 5, 14,
      "did you mean \"gateway/bridge/create\"?" },
    { "fault-mode.json", 5, 44,
      "allowed: always, once, probability, after, nth" },
    { "fault-n-missing.json", 5, 5, "faults[0]: missing key \"n\"" },
    { "fault-not-object.json", 4, 14, "faults[0]: must be an object" },
    { "fault-probability-forbidden.json", 5, 36,
      "faults[0].probability: only allowed with \"mode\": \"probability\"" },
    { "fault-probability-missing.json", 5, 5,
      "faults[0]: missing key \"probability\"" },
    { "fault-probability-range.json", 5, 74, "not 1.5" },
    { "fault-step-disable-mode.json", 5, 70,
      "steps[0].mode: only allowed when \"enable\" is true" },
    { "fault-step-enable-missing.json", 5, 5,
      "steps[0]: missing required key \"enable\"" },
    { "fault-step-posix-enable.json", 5, 31,
      "steps[0].name: a POSIX fault needs its errno, so a step cannot enable" },
    { "fault-step-posix-unlisted.json", 7, 31,
      "steps[1].name: \"posix/io/net/recv\" is not in \"posix_faults\"" },
    { "fault-step-expect-fire.json", 5, 69,
      "unknown key \"expect_fire\" in a \"fault\" step" },
    { "fault-unknown.json", 5, 14, "harness/common/faults.def" },
    { "frame-opcode-missing.json", 6, 31,
      "steps[1].frame: missing required key \"opcode\"" },
    { "frame-opcode-range.json", 6, 42,
      "steps[1].frame.opcode: must be a whole number from 0 to 15, not 16" },
    { "frame-two-payloads.json", 6, 66,
      "steps[1].frame.payload_hex: give \"payload_hex\" or \"payload_text\"" },
    { "frame-unknown-key.json", 6, 45,
      "unknown key \"mask\" in a frame; did you mean \"masked\"?" },
    { "health-wait.json", 5, 62, "steps[0].wait: must be true or false" },
    { "http-method.json", 5, 32, "steps[0].method: must be an HTTP method" },
    { "http-path-missing.json", 5, 5, "steps[0]: missing required key \"path\"" },
    { "id-bad-chars.json", 2, 9, "id: must start with a lower-case letter" },
    { "id-mismatch.json", 2, 9,
      "id: \"something-else\" does not match the file name \"id-mismatch.json\"" },
    { "invalid-utf8.json", 3, 15, "not valid JSON: unable to decode byte 0xe9" },
    { "missing-title.json", 1, 1, "top level: missing required key \"title\"" },
    { "no-expectation.json", 5, 12,
      "steps: scenario has no expectation of its own: the contract alone is "
      "not a test" },
    { "nul-byte.json", 3, 13, "not valid JSON" },
    { "posix-errno-missing.json", 5, 5,
      "posix_faults[0]: missing required key \"errno\"" },
    { "posix-prefix.json", 5, 14, "starting with \"posix/\" or \"libc/\"" },
    { "raw-escape-bytes.json", 3, 12, "invalid token near '\\x1b'" },
    { "seed-unknown.json", 4, 11,
      "seed: unknown value \"deps500\"; did you mean \"deps-500\"?" },
    { "send-bad-hex.json", 6, 36,
      "steps[1].binary_hex: character 5, \"g\", is not a hex digit" },
    { "send-no-payload.json", 6, 5, "steps[1]: a send step needs one of:" },
    { "send-odd-hex.json", 6, 33, "odd number of hex digits" },
    { "send-raw-empty.json", 6, 33, "steps[1].raw_hex: must hold at least one" },
    { "send-repeat.json", 6, 45, "from 1 to 100000, not 100001" },
    { "send-split-byte.json", 6, 33, "the byte at character 1 has one hex digit" },
    { "send-two-payloads.json", 6, 35, "steps[1].json: give only one of:" },
    { "sleep-missing-ms.json", 6, 23,
      "unknown key \"seconds\" in a \"sleep\" step; allowed: step, conn, "
      "timeout_ms, only, ms" },
    { "step-missing-kind.json", 6, 5, "steps[1]: missing required key \"step\"" },
    { "step-not-object.json", 6, 5, "steps[1]: must be a step object" },
    { "step-unknown-key.json", 6, 24,
      "steps[1]: unknown key \"mtach\" in an \"expect\" step; did you mean "
      "\"match\"?" },
    { "step-unknown-kind.json", 5, 14, "did you mean \"connect\"?" },
    { "steps-empty.json", 4, 12, "steps: must hold at least one step" },
    { "syntax-trailing-comma.json", 7, 3, "not valid JSON: unexpected token" },
    { "tags-not-strings.json", 4, 18, "tags[1]: must be a string" },
    { "target-args.json", 4, 22, "target.args: must be an array of strings" },
    { "target-max-message.json", 4, 29,
      "target.max_message: must be a whole number 1 or more, not 0" },
    { "target-unknown-key.json", 4, 28,
      "target: unknown key \"startup_delay\" in \"target\"; did you mean "
      "\"startup_delay_ms\"?" },
    { "timeout-range.json", 4, 17, "timeout_ms: must be a whole number from 1" },
    { "timeout-real.json", 4, 22, "not a decimal number" },
    { "title-empty.json", 3, 12, "title: must not be empty" },
    { "top-not-object.json", 1, 1, "top level: must be an object, not an array" },
    { "unknown-top-key.json", 3, 3,
      "top level: unknown key \"titel\"; did you mean \"title\"?" },
};

#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

/* Messages quote untrusted files: nothing but printable ASCII may leak. */
static void assert_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            fail_msg("byte 0x%02x at offset %zu of a message", *p,
                     (size_t)(p - (const unsigned char *)s));
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The suite reads fixtures relative to the repository root, wherever run. */
static int find_root(void **state)
{
    struct stat st;

    for (int up = 0; up < 6; up++) {
        if (stat(BAD_DIR, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        if (chdir("..") != 0)
            break;
    }
    fprintf(stderr, "cannot find %s above the working directory\n", BAD_DIR);
    return -1;
}

static hs_scenario *load_good(const char *file)
{
    char path[512], err[1024];
    hs_scenario *s = NULL;

    snprintf(path, sizeof(path), "%s/%s", GOOD_DIR, file);
    if (hs_scenario_load(path, &s, err, sizeof(err)) != HS_SCN_OK)
        fail_msg("%s", err);
    return s;
}

static hs_scenario *parse_ok(const char *text)
{
    char err[1024];
    hs_scenario *s = NULL;

    if (hs_scenario_parse("inline", text, strlen(text), &s, err,
                          sizeof(err)) != HS_SCN_OK)
        fail_msg("%s", err);
    return s;
}

/* Parse text that must fail; the message must contain says. */
static void parse_bad(const char *name, const char *text, const char *says)
{
    char err[1024] = "";
    hs_scenario *s = (hs_scenario *)&s;

    assert_int_equal(hs_scenario_parse(name, text, strlen(text), &s, err,
                                       sizeof(err)), HS_SCN_ERR);
    assert_null(s);
    assert_printable(err);
    if (!strstr(err, says))
        fail_msg("message \"%s\" lacks \"%s\"", err, says);
}

/* ---- bad files -------------------------------------------------------- */

static void test_bad_files(void **state)
{
    for (size_t i = 0; i < NBAD; i++) {
        const bad_case *b = &bad_cases[i];
        char path[512], prefix[600], err[1024] = "";
        hs_scenario *s = (hs_scenario *)&s;

        snprintf(path, sizeof(path), "%s/%s", BAD_DIR, b->file);
        snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", path, b->line, b->col);
        assert_int_equal(hs_scenario_load(path, &s, err, sizeof(err)),
                         HS_SCN_ERR);
        assert_null(s);
        assert_printable(err);
        if (strncmp(err, prefix, strlen(prefix)) != 0)
            fail_msg("%s: expected position %d:%d, got \"%s\"", b->file,
                     b->line, b->col, err);
        if (!strstr(err, b->says))
            fail_msg("%s: message \"%s\" lacks \"%s\"", b->file, err, b->says);
    }
}

static int in_table(const char *file)
{
    for (size_t i = 0; i < NBAD; i++)
        if (strcmp(bad_cases[i].file, file) == 0)
            return 1;
    return 0;
}

/* A bad file nobody states the expectation for tests nothing. */
static void test_bad_files_all_listed(void **state)
{
    DIR *d = opendir(BAD_DIR);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".json"))
            continue;
        n++;
        if (!in_table(e->d_name))
            fail_msg("%s/%s has no row in bad_cases", BAD_DIR, e->d_name);
    }
    closedir(d);
    assert_int_equal(n, NBAD);
}

/* ---- good files ------------------------------------------------------- */

static void test_good_files_load(void **state)
{
    DIR *d = opendir(GOOD_DIR);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".json"))
            continue;
        hs_scenario_free(load_good(e->d_name));
        n++;
    }
    closedir(d);
    assert_cmp_int(n, >=, 3);
}

static void test_defaults_scenario(void **state)
{
    hs_scenario *s = load_good("minimal.json");

    assert_string_equal(s->file, GOOD_DIR "/minimal.json");
    assert_string_equal(s->id, "minimal");
    assert_string_equal(s->title, "one request answered");
    assert_null(s->seed);
    assert_null(s->description);
    assert_non_null(s->tags);
    assert_null(s->tags[0]);
    assert_int_equal(s->timeout_ms, 20000);
    assert_int_equal(s->step_timeout_ms, 5000);
    assert_int_equal(s->target.echo, 0);
    assert_int_equal(s->target.settings[HS_SET_STARTUP_DELAY_MS], -1);
    assert_int_equal(s->target.settings[HS_SET_MAX_MESSAGE], -1);
    assert_int_equal(s->target.settings[HS_SET_READY_QUEUE], -1);
    assert_int_equal(s->target.wait_ready, 1);
    assert_non_null(s->target.args);
    assert_null(s->target.args[0]);
    assert_int_equal(s->nfaults, 0);
    assert_int_equal(s->nposix, 0);
    assert_int_equal(s->nsteps, 3);
    hs_scenario_free(s);
}

static void test_defaults_steps(void **state)
{
    hs_scenario *s = load_good("minimal.json");
    hs_step *c = &s->steps[0], *m = &s->steps[1], *ev = &s->steps[2];

    assert_int_equal(c->kind, HS_STEP_CONNECT);
    assert_int_equal(c->line, 5);
    assert_int_equal(c->index, 0);
    assert_string_equal(c->conn, "main");
    assert_string_equal(c->user, "main");
    assert_string_equal(c->token, "valid");
    assert_null(c->token_raw);
    /* Where the token goes and the path are the target's: its profile says. */
    assert_null(c->token_in);
    assert_null(c->path);
    assert_int_equal(c->expect_status, 101);
    assert_null(c->headers);
    assert_null(c->ws_key);
    assert_null(c->ws_version);
    assert_null(c->subprotocol);
    assert_int_equal(c->omit_upgrade, 0);
    assert_int_equal(c->timeout_ms, 0);

    assert_int_equal(m->kind, HS_STEP_SEND);
    assert_int_equal(m->line, 6);
    assert_int_equal(m->index, 1);
    assert_string_equal(m->conn, "main");
    assert_int_equal(m->payload_kind, HS_PAYLOAD_JSON);
    assert_string_equal(json_string_value(json_object_get(m->json, "id")), "r1");
    assert_int_equal(m->repeat, 1);
    assert_int_equal(m->chop, 0);
    assert_int_equal(m->frame.fin, 1);
    assert_int_equal(m->frame.masked, 1);
    assert_int_equal(m->frame.declared_len, -1);

    assert_int_equal(ev->kind, HS_STEP_EXPECT_EVENTS);
    assert_string_equal(ev->request_id, "r1");
    assert_int_equal(ev->degraded, -1);
    hs_scenario_free(s);
}

static void test_every_step_top(void **state)
{
    hs_scenario *s = load_good("every-step.json");

    assert_string_equal(s->seed, "deps-500");
    assert_string_equal(s->tags[0], "degradation");
    assert_string_equal(s->tags[1], "format");
    assert_null(s->tags[2]);
    assert_int_equal(s->timeout_ms, 30000);
    assert_int_equal(s->step_timeout_ms, 2500);
    assert_int_equal(s->target.echo, 1);
    assert_int_equal(s->target.settings[HS_SET_STARTUP_DELAY_MS], 0);
    assert_int_equal(s->target.settings[HS_SET_MAX_MESSAGE], 65536);
    assert_int_equal(s->target.settings[HS_SET_READY_QUEUE], 8);
    assert_int_equal(s->target.wait_ready, 0);
    assert_string_equal(s->target.args[1], "debug");
    assert_null(s->target.args[2]);
    assert_int_equal(s->nfaults, 5);
    assert_int_equal(s->faults[0].mode, HS_FAULT_ALWAYS);
    assert_int_equal(s->faults[0].expect_fire, 1);
    assert_int_equal(s->faults[0].line, 18);
    assert_int_equal(s->faults[1].mode, HS_FAULT_ONCE);
    assert_int_equal(s->faults[1].expect_fire, 0);
    assert_int_equal(s->faults[2].mode, HS_FAULT_PROBABILITY);
    assert_cmp_dbl(s->faults[2].probability, ==, 0.25);
    assert_int_equal(s->faults[3].mode, HS_FAULT_AFTER);
    assert_int_equal(s->faults[3].n, 2);
    assert_int_equal(s->faults[4].mode, HS_FAULT_NTH);
    assert_string_equal(s->faults[4].name, "gateway/log/state_enum");
    assert_int_equal(s->nposix, 1);
    assert_string_equal(s->posix_faults[0].name, "posix/io/net/send");
    assert_cmp_dbl(s->posix_faults[0].probability, ==, 0.01);
    assert_int_equal(s->posix_faults[0].err, 104);
    assert_int_equal(s->posix_faults[0].line, 25);
    hs_scenario_free(s);
}

static void test_every_step_connect(void **state)
{
    hs_scenario *s = load_good("every-step.json");
    hs_step *a = &s->steps[0], *b = &s->steps[1];

    assert_string_equal(a->conn, "alice");
    assert_string_equal(a->user, "alice@example");
    assert_string_equal(a->token, "expired");
    assert_string_equal(a->token_in, "query");
    assert_string_equal(a->path, "/ws?x=1");
    assert_string_equal(json_string_value(json_object_get(a->headers, "X-Trace")),
                        "t-1");
    assert_string_equal(a->ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_string_equal(a->ws_version, "13");
    assert_string_equal(a->subprotocol, "chat.v1");
    assert_int_equal(a->timeout_ms, 1500);
    assert_string_equal(b->conn, "bob");
    assert_string_equal(b->user, "bob");
    assert_string_equal(b->token_raw, "abc.def.ghi");
    hs_scenario_free(s);
}

static void test_every_step_send(void **state)
{
    static const unsigned char bin[] = { 0x00, 0x01, 0xfe, 0xff };
    static const unsigned char raw[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                         0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    hs_scenario *s = load_good("every-step.json");
    hs_step *st = s->steps;

    assert_int_equal(st[2].repeat, 3);
    assert_int_equal(st[2].chop, 7);
    assert_int_equal(st[3].payload_kind, HS_PAYLOAD_TEXT);
    assert_int_equal(st[3].nbytes, 10);
    assert_memory_equal(st[3].bytes, "plain text", 10);
    assert_int_equal(st[4].payload_kind, HS_PAYLOAD_BINARY);
    assert_int_equal(st[4].nbytes, sizeof(bin));
    assert_memory_equal(st[4].bytes, bin, sizeof(bin));
    assert_int_equal(st[5].payload_kind, HS_PAYLOAD_RAW);
    assert_int_equal(st[5].nbytes, sizeof(raw));
    assert_memory_equal(st[5].bytes, raw, sizeof(raw));
    assert_int_equal(st[6].payload_kind, HS_PAYLOAD_FRAME);
    assert_int_equal(st[6].frame.opcode, 1);
    assert_int_equal(st[6].frame.fin, 0);
    assert_int_equal(st[6].frame.rsv, 4);
    assert_int_equal(st[6].frame.masked, 0);
    assert_int_equal(st[6].frame.declared_len, 126);
    assert_int_equal(st[6].nbytes, 2);
    assert_memory_equal(st[6].bytes, "Hi", 2);
    assert_int_equal(st[7].payload_kind, HS_PAYLOAD_FRAME);
    assert_int_equal(st[7].frame.opcode, 9);
    assert_int_equal(st[7].frame.fin, 1);
    assert_int_equal(st[7].frame.declared_len, -1);
    assert_non_null(st[7].bytes);
    assert_int_equal(st[7].nbytes, 0);
    hs_scenario_free(s);
}

static void test_every_step_rest(void **state)
{
    hs_scenario *s = load_good("every-step.json");
    hs_step *st = s->steps;

    assert_int_equal(st[8].kind, HS_STEP_EXPECT);
    assert_non_null(json_object_get(st[8].match, "payload.code"));
    assert_int_equal(st[9].degraded, 0);
    assert_int_equal(st[10].kind, HS_STEP_CLOSE);
    assert_int_equal(st[10].send_code, 1000);
    assert_string_equal(st[10].reason, "bye");
    assert_int_equal(st[11].close_code, 1000);
    assert_int_equal(st[12].close_code, -1);
    assert_int_equal(st[13].kind, HS_STEP_DISCONNECT);
    assert_string_equal(st[14].method, "POST");
    assert_string_equal(st[14].path, "/health");
    assert_string_equal(st[14].body, "{}");
    assert_int_equal(st[14].expect_status, 405);
    assert_non_null(st[14].match);
    assert_int_equal(st[15].kind, HS_STEP_HEALTH);
    assert_int_equal(st[15].wait, 1);
    assert_int_equal(st[16].enable, 0);
    assert_string_equal(st[16].fault.name, "gateway/bridge/create");
    assert_int_equal(st[17].enable, 1);
    assert_int_equal(st[17].fault.mode, HS_FAULT_PROBABILITY);
    assert_cmp_dbl(st[17].fault.probability, ==, 1.0);
    assert_int_equal(st[17].fault.expect_fire, 1);
    assert_int_equal(st[18].sleep_ms, 50);
    assert_string_equal(st[19].fault.name, "posix/io/net/send");
    assert_int_equal(st[19].enable, 0);
    hs_scenario_free(s);
}

/* ---- inline edge cases ------------------------------------------------ */

#define HEAD "{\"id\": \"x\", \"title\": \"t\", "
#define CONNECT "{\"step\": \"connect\"}"
#define EXPECT "{\"step\": \"expect\", \"match\": {}}"

static void test_parse_name_rules(void **state)
{
    const char *text;
    hs_scenario *s = parse_ok(HEAD "\"steps\": [" CONNECT ", " EXPECT "]}");

    assert_string_equal(s->file, "inline");
    hs_scenario_free(s);
    parse_bad("dir/y.json", HEAD "\"steps\": [" CONNECT ", " EXPECT "]}",
              "dir/y.json:1:8: id: \"x\" does not match the file name \"y.json\"");
    s = NULL;
    text = HEAD "\"steps\": [" CONNECT ", " EXPECT "]}";
    assert_int_equal(hs_scenario_parse("z.json", text, strlen(text), &s, NULL, 0),
                     HS_SCN_ERR);
    assert_null(s);
    assert_int_equal(hs_scenario_parse("x.json", text, strlen(text), &s, NULL, 0),
                     HS_SCN_OK);
    hs_scenario_free(s);
}

static void test_parse_defaults_by_kind(void **state)
{
    hs_scenario *s = parse_ok(HEAD "\"steps\": ["
        "{\"step\": \"http\", \"path\": \"/health\"},"
        "{\"step\": \"connect\", \"conn\": \"c2\"},"
        "{\"step\": \"expect_close\", \"conn\": \"c2\"},"
        "{\"step\": \"close\", \"conn\": \"c2\"},"
        "{\"step\": \"expect_close\", \"conn\": \"c2\", \"code\": \"any\"}]}");

    assert_int_equal(s->steps[0].expect_status, 200);
    assert_string_equal(s->steps[0].method, "GET");
    assert_null(s->steps[0].match);
    assert_null(s->steps[0].token);
    assert_string_equal(s->steps[1].user, "c2");
    assert_int_equal(s->steps[2].close_code, 0);
    assert_int_equal(s->steps[3].send_code, 0);
    assert_null(s->steps[3].reason);
    assert_int_equal(s->steps[4].close_code, 0);
    hs_scenario_free(s);
}

static void test_parse_expectation_rule(void **state)
{
    hs_scenario *s;

    parse_bad("n", HEAD "\"steps\": [{\"step\": \"connect\", \"expect_status\": 101}]}",
              "no expectation of its own");
    parse_bad("n", HEAD "\"steps\": [{\"step\": \"sleep\", \"ms\": 5}]}",
              "no expectation of its own");
    s = parse_ok(HEAD "\"steps\": [{\"step\": \"health\", \"match\": {}}]}");
    hs_scenario_free(s);
    s = parse_ok(HEAD "\"steps\": [" CONNECT ", {\"step\": \"expect_close\"}]}");
    hs_scenario_free(s);
}

static void test_parse_conn_reuse(void **state)
{
    hs_scenario *s = parse_ok(HEAD "\"steps\": [" CONNECT ", "
        "{\"step\": \"disconnect\"}, " CONNECT ", " EXPECT "]}");

    hs_scenario_free(s);
    parse_bad("n", HEAD "\"steps\": [{\"step\": \"connect\", \"conn\": \"a\"}, "
              "{\"step\": \"close\", \"conn\": \"b\"}, " EXPECT "]}",
              "n:1:97: steps[1].conn: connection \"b\" is used before");
}

static void test_parse_hex_forms(void **state)
{
    hs_scenario *s = parse_ok(HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", "
        "\"binary_hex\": \" 0A\\tbC \\n\\r ff \"}, {\"step\": \"send\", "
        "\"binary_hex\": \"\"}, " EXPECT "]}");

    assert_int_equal(s->steps[1].nbytes, 3);
    assert_memory_equal(s->steps[1].bytes, "\x0a\xbc\xff", 3);
    assert_non_null(s->steps[2].bytes);
    assert_int_equal(s->steps[2].nbytes, 0);
    hs_scenario_free(s);
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", "
              "\"binary_hex\": \"0a\\u00e9\"}]}", "character 3, \"\\xc3\", is not");
}

static void test_parse_fault_step(void **state)
{
    hs_scenario *s = parse_ok(HEAD "\"steps\": [{\"step\": \"fault\", "
        "\"name\": \"gateway/db/session\", \"enable\": true, \"mode\": \"once\"}, "
        "{\"step\": \"health\", \"match\": {}}]}");

    assert_int_equal(s->steps[0].kind, HS_STEP_FAULT);
    assert_int_equal(s->steps[0].enable, 1);
    assert_string_equal(s->steps[0].fault.name, "gateway/db/session");
    assert_int_equal(s->steps[0].fault.mode, HS_FAULT_ONCE);
    assert_int_equal(s->steps[0].fault.expect_fire, 1);
    hs_scenario_free(s);
    parse_bad("n", HEAD "\"steps\": [{\"step\": \"fault\", \"name\": "
              "\"gateway/db/sesion\", \"enable\": true}]}",
              "did you mean \"gateway/db/session\"?");
    parse_bad("n", HEAD "\"steps\": [{\"step\": \"fault\", \"name\": "
              "\"gateway/db/session\", \"enable\": true, \"mode\": \"nth\", "
              "\"n\": 4}]}", "n:1:109: steps[0].mode: \"nth\" cannot be set at run "
              "time");
    parse_bad("n", HEAD "\"steps\": [{\"step\": \"fault\", \"name\": "
              "\"gateway/db/session\", \"enable\": true, \"n\": 4}]}",
              "steps[0].n: only allowed with \"mode\": \"after\" or \"nth\"");
}

/* Keys are decoded before they are placed: escapes must not lose the spot. */
static void test_parse_escaped_key_position(void **state)
{
    parse_bad("n", "{\"id\": \"x\",\n \"title\": \"t\",\n \"st\\u0065ps\": ["
              "{\"step\": \"connect\", \"h\\u00e9\\u00e9ders\": 1}]}",
              "n:3:37: steps[0]: unknown key \"h\\xc3\\xa9\\xc3\\xa9ders\"");
    parse_bad("n", "{\"id\": \"x\", \"title\": \"t\", \"steps\": [{\"step\": "
              "\"connect\", \"headers\": {\"a/b~c\": \"1\"}}]}",
              "n:1:69: steps[0].headers[\"a/b~c\"]: is not a valid header name");
    parse_bad("n", "{\"id\": \"x\", \"title\": \"\\u00e9t\\u00e9\", \"t\\u00e9\": 1}",
              "n:1:39: top level: unknown key \"t\\xc3\\xa9\"");
}

/* Columns count characters, as jansson's do. */
static void test_parse_utf8_columns(void **state)
{
    parse_bad("n", "{\"id\": \"x\", \"title\": \"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\", "
              "\"seed\": 1}", "n:1:39: seed: must be a string");
}

/* ---- conformance cases ------------------------------------------------ */

#define CONF "{\"id\": \"c\", \"title\": \"t\", \"rfc\": \"RFC 6455 5.2\", " \
             "\"expect\": \"fails with 1002\", "

static const char conformance_text[] = CONF "\"steps\": ["
    "{\"step\": \"connect\", \"path\": \"/echo\", \"token\": \"missing\", "
    " \"deflate\": {\"server_no_context_takeover\": true, \"server_max_window_bits\": 10, "
    "  \"client_max_window_bits\": true, \"needs_client_context\": true}, "
    " \"omit_connection\": true, \"expect_headers\": {\"X-Seen\": \"yes\"}, "
    " \"outcomes\": {\"refused\": \"informational\", \"declined\": \"ok\", "
    "  \"incomplete\": \"non_strict\"}},"
    "{\"step\": \"send\", \"text\": \"ab\", \"size\": 5, \"fragment\": 2, \"compress\": true},"
    "{\"step\": \"send\", \"text_hex\": \"ce ba ff\"},"
    "{\"step\": \"send\", \"frame\": {\"opcode\": 9, \"payload_text\": \"p\", "
    " \"len_form\": 64}, \"size\": 3},"
    "{\"step\": \"expect_message\", \"binary_hex\": \"00 ff\", \"size\": 3, "
    " \"outcomes\": {\"too_big\": \"informational\"}},"
    "{\"step\": \"expect_message\", \"pong_text\": \"ppp\"},"
    "{\"step\": \"expect_close\", \"codes\": [1002, 1005], \"probe_ms\": 100, "
    " \"outcomes\": {\"answered\": \"non_strict\"}},"
    "{\"step\": \"close\", \"code\": 1000, \"codes\": [1000], "
    " \"outcomes\": {\"dropped\": \"failed\"}}]}";

static void test_conformance_keys(void **state)
{
    hs_scenario *s = parse_ok(conformance_text);
    hs_step *c = &s->steps[0], *st = s->steps;
    size_t n = 0;
    unsigned char *p;

    assert_string_equal(s->rfc, "RFC 6455 5.2");
    assert_string_equal(s->expect, "fails with 1002");
    assert_string_equal(c->extensions, "permessage-deflate; server_no_context_takeover; "
                        "server_max_window_bits=10; client_max_window_bits");
    assert_int_equal(c->needs_client_context, 1);
    assert_int_equal(c->omit_connection, 1);
    assert_string_equal(json_string_value(json_object_get(c->expect_headers, "X-Seen")),
                        "yes");
    assert_int_equal(c->outcomes[HS_OUT_REFUSED], HS_TIER_INFORMATIONAL);
    assert_int_equal(c->outcomes[HS_OUT_DECLINED], HS_TIER_OK);
    assert_int_equal(c->outcomes[HS_OUT_INCOMPLETE], HS_TIER_NON_STRICT);
    assert_int_equal(c->outcomes[HS_OUT_ACCEPTED], -1);
    assert_int_equal(st[1].payload_kind, HS_PAYLOAD_TEXT);
    assert_int_equal(st[1].size, 5);
    assert_int_equal(st[1].fragment, 2);
    assert_int_equal(st[1].compress, 1);
    p = hs_step_payload(&st[1], &n);
    assert_int_equal(n, 5);
    assert_memory_equal(p, "ababa", 6);
    free(p);
    assert_int_equal(st[2].payload_kind, HS_PAYLOAD_TEXT);
    assert_int_equal(st[2].nbytes, 3);
    assert_int_equal(st[2].bytes[2], 0xff);
    assert_int_equal(st[3].frame.len_form, 64);
    assert_int_equal(st[3].size, 3);
    assert_int_equal(st[4].kind, HS_STEP_EXPECT_MESSAGE);
    assert_int_equal(st[4].payload_kind, HS_PAYLOAD_BINARY);
    assert_int_equal(st[4].outcomes[HS_OUT_TOO_BIG], HS_TIER_INFORMATIONAL);
    assert_int_equal(st[5].payload_kind, HS_PAYLOAD_PONG);
    assert_int_equal(st[6].ncodes, 2);
    assert_int_equal(st[6].codes[1], 1005);
    assert_int_equal(st[6].outcomes[HS_OUT_ANSWERED], HS_TIER_NON_STRICT);
    assert_int_equal(st[6].probe_ms, 100);
    assert_int_equal(st[7].codes[0], 1000);
    assert_int_equal(st[7].outcomes[HS_OUT_DROPPED], HS_TIER_FAILED);
    assert_string_equal(hs_step_kind_name(HS_STEP_EXPECT_MESSAGE), "expect_message");
    assert_string_equal(hs_tier_key(HS_TIER_NON_STRICT), "non_strict");
    assert_string_equal(hs_outcome_key(HS_OUT_TOO_BIG), "too_big");
    assert_string_equal(hs_outcome_key(HS_OUT_COUNT), "unknown");
    hs_scenario_free(s);
}

static void test_conformance_rules(void **state)
{
    parse_bad("n", HEAD "\"rfc\": \"RFC 6455\", \"steps\": [" CONNECT ", " EXPECT "]}",
              "missing key \"expect\", required with \"rfc\"");
    parse_bad("n", HEAD "\"expect\": \"x\", \"steps\": [" CONNECT ", " EXPECT "]}",
              "expect: only allowed with \"rfc\"");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"outcomes\": {\"closed\": \"ok\"}}]}",
              "steps[1].outcomes: only applies in a conformance case");
    parse_bad("n", CONF "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"outcomes\": {\"match\": \"ok\"}}]}",
              "unknown outcome \"match\" for this step");
    parse_bad("n", CONF "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"outcomes\": {\"closed\": \"nonstrict\"}}]}",
              "did you mean \"non_strict\"?");
    parse_bad("n", CONF "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"codes\": [1002, 1006]}]}", "steps[1].codes[1]: 1006 never travels");
    parse_bad("n", CONF "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"codes\": []}]}", "must be a non-empty array of close codes");
    parse_bad("n", CONF "\"steps\": [" CONNECT ", {\"step\": \"expect_close\", "
              "\"code\": 1002, \"codes\": [1002]}]}", "give \"code\" or \"codes\", not both");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"extensions\": \"x\", "
              "\"deflate\": {}}, " EXPECT "]}", "give \"extensions\" or \"deflate\"");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"deflate\": "
              "{\"server_max_window_bits\": 16}}, " EXPECT "]}",
              "steps[0].deflate.server_max_window_bits: must be a whole number from 8 to 15");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"deflate\": "
              "{\"client_max_window_bits\": \"9\"}}, " EXPECT "]}",
              "or true to offer the parameter without a value");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"deflate\": "
              "{\"server_no_context\": true}}, " EXPECT "]}",
              "did you mean \"server_no_context_takeover\"?");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"handshake\": false, "
              "\"outcomes\": {}}, " EXPECT "]}", "only applies to a WebSocket upgrade");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"handshake\": false, "
              "\"chop\": 1}, " EXPECT "]}", "steps[0].chop: only applies to a WebSocket upgrade");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"http_version\": \"2\"}, "
              EXPECT "]}", "steps[0].http_version: unknown value \"2\"; allowed: 1.0, 1.1");
    parse_bad("n", CONF "\"steps\": [{\"step\": \"connect\", \"method\": \"G T\"}, "
              EXPECT "]}", "steps[0].method: must be an HTTP method name");
}

/* The request line and Host of an upgrade, spelled out. */
static void test_connect_request_keys(void **state)
{
    hs_scenario *s = parse_ok(CONF "\"steps\": [{\"step\": \"connect\", \"method\": "
                              "\"POST\", \"http_version\": \"1.0\", \"omit_host\": true, "
                              "\"absolute_uri\": true, \"chop\": 3}, " EXPECT "]}");
    const hs_step *c = &s->steps[0];

    assert_string_equal(c->method, "POST");
    assert_string_equal(c->http_version, "1.0");
    assert_int_equal(c->omit_host, 1);
    assert_int_equal(c->absolute_uri, 1);
    assert_int_equal(c->chop, 3);
    hs_scenario_free(s);
}

static void test_conformance_send_rules(void **state)
{
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"json\": 1, "
              "\"size\": 4}, " EXPECT "]}", "steps[1].size: repeats the payload of");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"text\": \"\", "
              "\"size\": 4}, " EXPECT "]}", "needs a payload of at least one byte");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"frame\": "
              "{\"opcode\": 1}, \"fragment\": 4}, " EXPECT "]}",
              "steps[1].fragment: shapes a message given by");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"raw_hex\": "
              "\"81\", \"compress\": true}, " EXPECT "]}", "steps[1].compress: shapes");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"frame\": "
              "{\"opcode\": 1, \"len_form\": 32}}, " EXPECT "]}",
              "frame.len_form: must be one of: 16, 64");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"expect_message\"}]}",
              "an expect_message step needs one of: text, text_hex");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"expect_message\", "
              "\"text\": \"a\", \"pong_hex\": \"61\"}]}", "give only one of:");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"expect_message\", "
              "\"pong_text\": \"\", \"size\": 2}]}", "needs a payload of at least one byte");
}

static void test_parse_limits(void **state)
{
    size_t big = (size_t)HS_SCN_MAX_BYTES + 1;
    char *text = malloc(big + 1);
    char err[256];
    hs_scenario *s = NULL;

    assert_non_null(text);
    memset(text, ' ', big);
    text[big] = '\0';
    assert_int_equal(hs_scenario_parse("big", text, big, &s, err, sizeof(err)),
                     HS_SCN_ERR);
    assert_non_null(strstr(err, "more than a scenario may hold"));
    assert_null(s);
    free(text);
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", "
              "\"chop\": 0, \"text\": \"a\"}]}", "steps[1].chop: must be a whole");
    parse_bad("n", HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"json\": "
              "1, \"repeat\": 9223372036854775807}]}", "not 9223372036854775807");
}

/* Nesting deeper than jansson allows is a syntax error, not a crash. */
static void test_parse_deep_nesting(void **state)
{
    const char *pre = HEAD "\"steps\": [" CONNECT ", {\"step\": \"send\", \"json\": ";
    const char *post = "}, {\"step\": \"sleep\", \"ms\": 0}]}";
    size_t depths[] = { 500, 5000 };

    for (size_t k = 0; k < 2; k++) {
        size_t d = depths[k], n = strlen(pre) + 2 * d + strlen(post) + 1;
        char *text = malloc(n), *p = text;

        assert_non_null(text);
        p += sprintf(p, "%s", pre);
        memset(p, '[', d);
        memset(p + d, ']', d);
        p += 2 * d;
        sprintf(p, "%s", post);
        parse_bad("n", text, k == 0 ? "steps[2].ms: must be a whole number"
                                    : "not valid JSON: maximum parsing depth");
        free(text);
    }
}

static void test_parse_small_err_buffer(void **state)
{
    char err[8];
    hs_scenario *s = NULL;
    const char *text = "{\"id\": 1}";

    memset(err, 'Z', sizeof(err));
    assert_int_equal(hs_scenario_parse("n", text, strlen(text), &s, err,
                                       sizeof(err)), HS_SCN_ERR);
    assert_string_equal(err, "n:1:8: ");
}

static void test_load_missing_file(void **state)
{
    char err[256];
    hs_scenario *s = NULL;

    assert_int_equal(hs_scenario_load(BAD_DIR "/no-such-file.json", &s, err,
                                      sizeof(err)), HS_SCN_ERR);
    assert_null(s);
    assert_non_null(strstr(err, "no-such-file.json: cannot open:"));
    assert_int_equal(hs_scenario_load(BAD_DIR, &s, err, sizeof(err)),
                     HS_SCN_ERR);
    assert_non_null(strstr(err, "cannot read"));
}

static void test_kind_names_and_seeds(void **state)
{
    static const char *const names[] = {
        "connect", "send", "expect", "expect_events", "expect_close", "close",
        "disconnect", "http", "health", "fault", "sleep"
    };
    size_t n = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_string_equal(hs_step_kind_name((hs_step_kind)i), names[i]);
    assert_string_equal(hs_step_kind_name((hs_step_kind)99), "unknown");
    while (hs_seed_ids[n])
        n++;
    assert_int_equal(n, 9);
    assert_string_equal(hs_seed_ids[6], "deps-500");
}

/* ---- robustness ------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 16);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void parse_any(const char *text, size_t len)
{
    char err[512];
    hs_scenario *s = NULL;

    if (hs_scenario_parse("fuzz", text, len, &s, err, sizeof(err)) == HS_SCN_OK)
        hs_scenario_free(s);
    else
        assert_printable(err);
}

/* Every prefix of a rich file, and seeded random damage to it. */
static void test_mangled_input(void **state)
{
    size_t len, n = 0;
    char *base = slurp(GOOD_DIR "/every-step.json", &len);
    char *buf = malloc(len + 16);
    uint32_t seed = 12345;

    assert_non_null(buf);
    for (size_t i = 0; i <= len; i++)
        parse_any(base, i);
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, base, len);
        n = len;
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(seed >> 24);
        }
        parse_any(buf, n);
    }
    free(buf);
    free(base);
}

/* ---- the schema for editors agrees with the loader ------------------- */

#define SCHEMA "scenarios/schema.json"
#define PROBE "\"zzzzzzzzzz\": 1"

static json_t *load_schema(void)
{
    json_error_t je;
    json_t *schema = json_load_file(SCHEMA, JSON_REJECT_DUPLICATES, &je);

    if (!schema)
        fail_msg("%s:%d:%d: %s", SCHEMA, je.line, je.column, je.text);
    return schema;
}

/* The list of keys an unknown key's message offers for the probed object. */
static const char *allowed_keys(const char *text, char *err, size_t errlen)
{
    hs_scenario *s = NULL;
    const char *list;

    assert_int_equal(hs_scenario_parse("probe", text, strlen(text), &s, err,
                                       errlen), HS_SCN_ERR);
    list = strstr(err, "allowed: ");
    if (!list)
        fail_msg("no key list in \"%s\"", err);
    return list + strlen("allowed: ");
}

/* Is key one of the items of a ", "-separated list? */
static int listed(const char *list, const char *key)
{
    size_t k = strlen(key);
    const char *p = list;

    while (p) {
        if (strncmp(p, key, k) == 0 && (p[k] == ',' || p[k] == '\0'))
            return 1;
        p = strstr(p, ", ");
        if (p)
            p += 2;
    }
    return 0;
}

/* The loader's allowed keys and the schema's properties are the same set. */
static void same_keys(const char *text, const json_t *props)
{
    char err[1024];
    const char *list = allowed_keys(text, err, sizeof(err)), *key;
    size_t n = 1;
    json_t *v;

    assert_non_null(props);
    for (const char *p = list; *p; p++)
        n += *p == ',';
    json_object_foreach((json_t *)props, key, v)
        if (!listed(list, key))
            fail_msg("schema key \"%s\" is not accepted by the loader (%s)",
                     key, list);
    if (n != json_object_size(props))
        fail_msg("loader accepts %zu keys, schema lists %zu: %s", n,
                 json_object_size(props), list);
}

static json_t *def(json_t *schema, const char *name)
{
    return json_object_get(json_object_get(schema, "$defs"), name);
}

static void test_schema_keys(void **state)
{
    json_t *schema = load_schema(), *top = json_object_get(schema, "properties");
    char text[256];

    same_keys("{" PROBE "}", top);
    same_keys("{\"target\": {" PROBE "}}",
              json_object_get(json_object_get(top, "target"), "properties"));
    same_keys("{\"faults\": [{" PROBE "}]}",
              json_object_get(def(schema, "fault"), "properties"));
    same_keys("{\"posix_faults\": [{" PROBE "}]}",
              json_object_get(def(schema, "posixFault"), "properties"));
    same_keys("{\"steps\": [" CONNECT ", {\"step\": \"send\", \"frame\": {"
              PROBE "}}]}", json_object_get(def(schema, "frame"), "properties"));
    same_keys("{\"steps\": [" CONNECT ", {\"step\": \"wire\", \"send\": {"
              PROBE "}}]}", json_object_get(def(schema, "wireDir"), "properties"));
    same_keys("{\"steps\": [{\"step\": \"connect\", \"wire\": {" PROBE "}}]}",
              json_object_get(json_object_get(json_object_get(def(schema, "step_connect"),
                              "properties"), "wire"), "properties"));
    for (int k = HS_STEP_CONNECT; k <= HS_STEP_LAST; k++) {
        char name[64];

        snprintf(text, sizeof(text), "{\"steps\": [{\"step\": \"%s\", " PROBE
                 "}]}", hs_step_kind_name((hs_step_kind)k));
        snprintf(name, sizeof(name), "step_%s", hs_step_kind_name((hs_step_kind)k));
        same_keys(text, json_object_get(def(schema, name), "properties"));
    }
    json_decref(schema);
}

static void same_enum(const json_t *values, const char *const *names, size_t n)
{
    assert_true(json_is_array(values));
    assert_int_equal(json_array_size(values), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(values, i)),
                            names[i]);
}

static void test_schema_enums(void **state)
{
    static const char *const faults[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    };
    const char *kinds[HS_STEP_LAST + 1];
    json_t *schema = load_schema();
    json_t *step = json_object_get(def(schema, "step"), "properties");

    for (int k = HS_STEP_CONNECT; k <= HS_STEP_LAST; k++)
        kinds[k] = hs_step_kind_name((hs_step_kind)k);
    same_enum(json_object_get(def(schema, "faultName"), "enum"), faults,
              sizeof(faults) / sizeof(faults[0]));
    same_enum(json_object_get(json_object_get(json_object_get(schema,
              "properties"), "seed"), "enum"), hs_seed_ids, 9);
    same_enum(json_object_get(json_object_get(step, "step"), "enum"), kinds,
              HS_STEP_LAST + 1);
    json_decref(schema);
}

/* ---- the position index ----------------------------------------------- */

static const char pos_text[] =
    "{\"a\": [1, {\"b/c\": true, \"t~\": null}],\n"
    " \"\\u00e9\\ud83d\\ude00x\": \"v\", \"\xc3\xa9\xf0\x9f\x98\x80\": 2}";

static void expect_pos(const hs_jsonpos *ix, const char *path, int rc,
                       int line, int col, int key_line, int key_col)
{
    hs_jpos p = { 0, 0, 0, 0 };

    assert_int_equal(hs_jsonpos_find(ix, path, &p), rc);
    if (p.line != line || p.col != col || p.key_line != key_line ||
        p.key_col != key_col)
        fail_msg("%s: got %d:%d key %d:%d, want %d:%d key %d:%d", path, p.line,
                 p.col, p.key_line, p.key_col, line, col, key_line, key_col);
}

static void test_jsonpos_paths(void **state)
{
    hs_jsonpos *ix = NULL;

    assert_int_equal(hs_jsonpos_build(pos_text, strlen(pos_text), &ix),
                     HS_JPOS_OK);
    expect_pos(ix, "", 0, 1, 1, 0, 0);
    expect_pos(ix, "a", 0, 1, 7, 1, 2);
    expect_pos(ix, "a/0", 0, 1, 8, 0, 0);
    expect_pos(ix, "a/1", 0, 1, 11, 0, 0);
    expect_pos(ix, "a/1/b~1c", 0, 1, 19, 1, 12);
    expect_pos(ix, "a/1/t~0", 0, 1, 31, 1, 25);
    expect_pos(ix, "\xc3\xa9\xf0\x9f\x98\x80x", 0, 2, 25, 2, 2);
    expect_pos(ix, "\xc3\xa9\xf0\x9f\x98\x80", 0, 2, 36, 2, 30);
    expect_pos(ix, "a/1/zzz", 1, 1, 11, 0, 0);
    expect_pos(ix, "a/5/b", 1, 1, 7, 1, 2);
    expect_pos(ix, "b/c", 1, 1, 1, 0, 0);
    hs_jsonpos_free(ix);
}

static void test_jsonpos_depth(void **state)
{
    size_t depth = HS_JPOS_MAX_DEPTH + 20;
    char text[512], path[512] = "";
    hs_jsonpos *ix = NULL;

    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    assert_int_equal(hs_jsonpos_build(text, strlen(text), &ix), HS_JPOS_OK);
    for (size_t i = 1; i < depth; i++) {
        hs_jpos p;

        assert_int_equal(hs_jsonpos_path_add(path, sizeof(path), "0"),
                         HS_JPOS_OK);
        assert_int_equal(hs_jsonpos_find(ix, path, &p), i <= HS_JPOS_MAX_DEPTH ? 0 : 1);
        assert_int_equal(p.col, i <= HS_JPOS_MAX_DEPTH ? (int)i + 1
                                                      : HS_JPOS_MAX_DEPTH + 1);
    }
    hs_jsonpos_free(ix);
}

static void test_jsonpos_damaged(void **state)
{
    static const char *const texts[] = {
        "", "   ", "{", "{\"a\"", "{\"a\": [1, 2", "\"unterminated", "{\"a\\u12",
        "{\"a\": }", "]]]", "{\"k\": \"\\q\"}", "[1,,2]", "{1: 2}"
    };
    hs_jsonpos *ix = NULL;
    hs_jpos p;

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_int_equal(hs_jsonpos_build(texts[i], strlen(texts[i]), &ix),
                         HS_JPOS_OK);
        hs_jsonpos_find(ix, "a/1", &p);
        hs_jsonpos_free(ix);
    }
    assert_int_equal(hs_jsonpos_build("{\"a\": [1, 2", 11, &ix), HS_JPOS_OK);
    expect_pos(ix, "a/1", 0, 1, 11, 0, 0);
    hs_jsonpos_free(ix);
    assert_int_equal(hs_jsonpos_build("", 0, &ix), HS_JPOS_OK);
    assert_int_equal(hs_jsonpos_find(ix, "", &p), HS_JPOS_ERR);
    hs_jsonpos_free(ix);
}

static void test_jsonpos_path_add(void **state)
{
    char buf[8] = "ab";

    assert_int_equal(hs_jsonpos_path_add(buf, sizeof(buf), "c/d"), HS_JPOS_OK);
    assert_string_equal(buf, "ab/c~1d");
    assert_int_equal(hs_jsonpos_path_add(buf, sizeof(buf), "x"), HS_JPOS_ERR);
    assert_string_equal(buf, "ab/c~1d");
    buf[0] = '\0';
    assert_int_equal(hs_jsonpos_path_add(buf, sizeof(buf), "~"), HS_JPOS_OK);
    assert_string_equal(buf, "~0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_files_all_listed),
        cmocka_unit_test(test_good_files_load),
        cmocka_unit_test(test_defaults_scenario),
        cmocka_unit_test(test_defaults_steps),
        cmocka_unit_test(test_every_step_top),
        cmocka_unit_test(test_every_step_connect),
        cmocka_unit_test(test_every_step_send),
        cmocka_unit_test(test_every_step_rest),
        cmocka_unit_test(test_parse_name_rules),
        cmocka_unit_test(test_parse_defaults_by_kind),
        cmocka_unit_test(test_parse_expectation_rule),
        cmocka_unit_test(test_parse_conn_reuse),
        cmocka_unit_test(test_parse_hex_forms),
        cmocka_unit_test(test_parse_fault_step),
        cmocka_unit_test(test_parse_escaped_key_position),
        cmocka_unit_test(test_parse_utf8_columns),
        cmocka_unit_test(test_conformance_keys),
        cmocka_unit_test(test_conformance_rules),
        cmocka_unit_test(test_connect_request_keys),
        cmocka_unit_test(test_conformance_send_rules),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_deep_nesting),
        cmocka_unit_test(test_parse_small_err_buffer),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_kind_names_and_seeds),
        cmocka_unit_test(test_mangled_input),
        cmocka_unit_test(test_schema_keys),
        cmocka_unit_test(test_schema_enums),
        cmocka_unit_test(test_jsonpos_paths),
        cmocka_unit_test(test_jsonpos_depth),
        cmocka_unit_test(test_jsonpos_damaged),
        cmocka_unit_test(test_jsonpos_path_add),
    };

    return cmocka_run_group_tests(tests, find_root, NULL);
}
