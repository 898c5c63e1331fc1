/*
 * Unit tests for hs_verdict: every behavior tier (OK, NON-STRICT,
 * INFORMATIONAL, UNIMPLEMENTED, FAILED) and every close verdict (OK, WRONG
 * CODE, UNCLEAN) comes out of a judging step, against a scripted server:
 * a thread on a 127.0.0.1 listener that reads the opening handshake,
 * answers with canned bytes, then either closes TCP, waits for the client
 * to close, or keeps what the client sent for the test to inspect.
 * Permessage-deflate is exercised end to end through hs_wsconn here too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "judge/hs_contract.h"
#include "wire/hs_deflate.h"
#include "wire/hs_frame.h"
#include "judge/hs_verdict.h"
#include "tests/test_util.h"

#define CEILING_MS 5000
#define SHORT_MS 150               /* for outcomes that are a timeout */

/* What the scripted server does once it has answered. */
enum { THEN_CLOSE, THEN_WAIT_EOF };

typedef struct fake {
    int lfd, port;
    pthread_t th;
    const char *head;              /* answer head; "%s" takes the accept value;
                                      NULL: close TCP without an answer */
    unsigned char after[512];      /* bytes sent right after the head */
    size_t after_len;
    int then;
    char req[4096];
    unsigned char got[65536];      /* what the client sent after its request */
    size_t got_len;
    int stopped;
} fake;

static int wait_in(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, CEILING_MS) == 1;
}

static void write_all(int fd, const void *b, size_t n)
{
    const char *p = b;
    ssize_t w;

    while (n > 0 && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
        p += w;
        n -= (size_t)w;
    }
}

/* Read the request head; what follows it is the client's first frames. */
static int read_request(fake *f, int fd)
{
    size_t n = 0;
    ssize_t r;
    char *end;

    while ((end = memmem(f->req, n, "\r\n\r\n", 4)) == NULL) {
        if (n >= sizeof(f->req) - 1 || !wait_in(fd))
            return -1;
        r = recv(fd, f->req + n, sizeof(f->req) - 1 - n, 0);
        if (r <= 0)
            return -1;
        n += (size_t)r;
    }
    f->got_len = n - (size_t)(end + 4 - f->req);
    memcpy(f->got, end + 4, f->got_len);
    f->req[end + 4 - f->req] = '\0';
    return 0;
}

static void answer(fake *f, int fd)
{
    char key[64] = "", accept[29], head[1024];
    const char *k = strstr(f->req, "Sec-WebSocket-Key: "), *mark;

    if (k != NULL)
        sscanf(k + 19, "%63[^\r]", key);
    hs_ws_accept_for(key, accept);
    mark = strstr(f->head, "%s");
    if (mark != NULL)
        snprintf(head, sizeof(head), "%.*s%s%s", (int)(mark - f->head), f->head, accept,
                 mark + 2);
    else
        snprintf(head, sizeof(head), "%s", f->head);
    write_all(fd, head, strlen(head));
    write_all(fd, f->after, f->after_len);
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    int fd;
    ssize_t r;

    if (!wait_in(f->lfd))
        return NULL;
    fd = accept(f->lfd, NULL, NULL);
    if (fd >= 0 && read_request(f, fd) == 0 && f->head != NULL) {
        answer(f, fd);
        while (f->then == THEN_WAIT_EOF && wait_in(fd) &&
               (r = recv(fd, f->got + f->got_len, sizeof(f->got) - f->got_len, 0)) > 0)
            f->got_len += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void fake_start(fake *f, const char *head, int then)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int one = 1;

    f->head = head;
    f->then = then;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_cmp_int(f->lfd, >=, 0);
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 1), 0);
    getsockname(f->lfd, (struct sockaddr *)&a, &len);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake *f)
{
    if (f->stopped)
        return;
    pthread_join(f->th, NULL);
    close(f->lfd);
    f->stopped = 1;
}

/* Queue one unmasked server frame to go after the head. */
static void server_frame(fake *f, int fin, int rsv, int opcode, const void *p, size_t n)
{
    hs_frame_spec s = { .fin = fin, .rsv = rsv, .opcode = opcode, .payload = p, .len = n,
                        .declared_len = -1 };
    unsigned char *wire;
    size_t len;

    assert_int_equal(hs_frame_encode(&s, &wire, &len), HS_FRAME_OK);
    assert_cmp_uint(f->after_len + len, <=, sizeof(f->after));
    memcpy(f->after + f->after_len, wire, len);
    f->after_len += len;
    free(wire);
}

static void server_close(fake *f, int code)
{
    unsigned char p[2] = { (unsigned char)(code >> 8), (unsigned char)code };

    server_frame(f, 1, 0, HS_OP_CLOSE, p, 2);
}

#define HEAD_101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
#define PLAIN_101 HEAD_101 "\r\n"
#define DEFLATE_101 HEAD_101 "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"

/* ---- one judged step -------------------------------------------------------- */

typedef struct judged {
    fake f;
    hs_scenario scn;
    hs_step st;
    hs_verdict v;
    hs_client *c;
    json_t *reasons;
    char err[256];
    int rc;
} judged;

static void step_init(hs_step *st, hs_step_kind kind)
{
    memset(st, 0, sizeof(*st));
    st->kind = kind;
    st->index = 1;
    st->line = 7;
    memset(st->outcomes, -1, sizeof(st->outcomes));
}

static void teardown(judged *j)
{
    if (j->c->ws)
        hs_ws_free(j->c->ws);
    j->c->ws = NULL;
    fake_stop(&j->f);
    hs_client_free(j->c);
    hs_verdict_free(&j->v);
    json_decref(j->reasons);
}

static const char *first_reason(const judged *j)
{
    return json_string_value(json_object_get(json_array_get(j->reasons, 0), "message"));
}

/* Queues the server's frames in a fake that has not started yet. */
typedef void (*script_fn)(fake *f);

/* Start the scripted server and connect a client to it; the test judges. */
static void run_script(judged *j, script_fn script, const char *head, int then,
                       const char *extensions)
{
    hs_ws_opts o;

    memset(j, 0, sizeof(*j));
    if (script != NULL)
        script(&j->f);
    j->scn.rfc = "RFC 6455 5.2";
    hs_verdict_init(&j->v, &j->scn);
    j->reasons = json_array();
    j->c = hs_client_new("main", test_reference);
    fake_start(&j->f, head, then);
    memset(&o, 0, sizeof(o));
    o.host = "127.0.0.1";
    o.port = j->f.port;
    o.path = "/echo";
    o.extensions = extensions;
    o.timeout_ms = CEILING_MS;
    o.transcript = j->c->transcript;
    j->c->ws = hs_ws_connect(&o, &j->c->hs, j->err, sizeof(j->err));
}

/* ---- tiers without I/O ----------------------------------------------------- */

static void test_tier_rules(void **state)
{
    hs_scenario s = { .rfc = "RFC 6455 8.1" };
    hs_verdict v;
    hs_step st;
    json_t *reasons = json_array(), *j;

    (void)state;
    step_init(&st, HS_STEP_EXPECT_CLOSE);
    hs_verdict_init(&v, &s);
    assert_true(v.on);
    assert_int_equal(hs_verdict_tier(&v, HS_TIER_OK, &st, reasons, "fine"), 0);
    assert_int_equal(json_array_size(v.notes), 0);
    assert_int_equal(hs_verdict_tier(&v, HS_TIER_NON_STRICT, &st, reasons, "late"), 0);
    assert_int_equal(hs_verdict_tier(&v, HS_TIER_INFORMATIONAL, &st, reasons, "fyi"), 0);
    /* The worst tier wins: informational does not hide non-strict. */
    assert_int_equal(v.behavior, HS_TIER_NON_STRICT);
    assert_int_equal(json_array_size(v.notes), 2);
    assert_non_null(strstr(json_string_value(json_array_get(v.notes, 0)),
                           "NON-STRICT (RFC 6455 8.1), step 1: late"));
    assert_int_equal(json_array_size(reasons), 0);
    assert_false(v.stop);
    assert_int_equal(hs_verdict_tier(&v, HS_TIER_UNIMPLEMENTED, &st, reasons, "no"), -1);
    assert_true(v.stop);
    assert_int_equal(json_array_size(reasons), 0);
    assert_int_equal(hs_verdict_tier(&v, HS_TIER_FAILED, &st, reasons, "broken"), -1);
    assert_int_equal(json_array_size(reasons), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reasons, 0),
                                                          "message")),
                        "FAILED (RFC 6455 8.1): broken");
    j = hs_verdict_json(&v, reasons);
    assert_string_equal(json_string_value(json_object_get(j, "behavior")), "FAILED");
    assert_string_equal(json_string_value(json_object_get(j, "close")), "OK");
    json_decref(j);
    json_decref(reasons);
    hs_verdict_free(&v);
}

/* A failed plain step (clause 0) is FAILED; a contract reason is not. */
static void test_json_from_reasons(void **state)
{
    hs_scenario s = { .rfc = "RFC 6455 5.6" };
    hs_verdict v;
    json_t *reasons = json_array(), *j;

    (void)state;
    hs_verdict_init(&v, &s);
    hs_reason(reasons, 2, 0, 3, "closed with 1011 (contract 2)");
    j = hs_verdict_json(&v, reasons);
    assert_string_equal(json_string_value(json_object_get(j, "behavior")), "OK");
    json_decref(j);
    hs_reason(reasons, 0, 1, 4, "send step on \"main\", which is not connected");
    j = hs_verdict_json(&v, reasons);
    assert_string_equal(json_string_value(json_object_get(j, "behavior")), "FAILED");
    json_decref(j);
    hs_verdict_close_tier(&v, HS_CLOSE_UNCLEAN, "dropped");
    hs_verdict_close_tier(&v, HS_CLOSE_WRONG_CODE, "1000 for 1002");
    j = hs_verdict_json(&v, reasons);
    assert_string_equal(json_string_value(json_object_get(j, "close")), "UNCLEAN");
    assert_int_equal(json_array_size(json_object_get(j, "notes")), 2);
    json_decref(j);
    json_decref(reasons);
    hs_verdict_free(&v);
}

static json_t *results_case(const char *status, const char *behavior, const char *close)
{
    return json_pack("{s:s,s:{s:s,s:s,s:[]}}", "status", status, "verdict", "behavior",
                     behavior, "close", close, "notes");
}

static void test_strict_and_counts(void **state)
{
    json_t *cases = json_array(), *counts;
    char line[300];

    (void)state;
    json_array_append_new(cases, results_case("passed", "OK", "OK"));
    json_array_append_new(cases, results_case("passed", "NON-STRICT", "OK"));
    json_array_append_new(cases, results_case("passed", "INFORMATIONAL", "WRONG CODE"));
    json_array_append_new(cases, results_case("passed", "UNIMPLEMENTED", "OK"));
    json_array_append_new(cases, results_case("failed", "FAILED", "UNCLEAN"));
    json_array_append_new(cases, json_pack("{s:s}", "status", "passed"));
    assert_false(hs_verdict_strict_fails(json_array_get(cases, 0)));
    assert_true(hs_verdict_strict_fails(json_array_get(cases, 1)));
    assert_true(hs_verdict_strict_fails(json_array_get(cases, 2)));
    assert_false(hs_verdict_strict_fails(json_array_get(cases, 3)));
    assert_false(hs_verdict_strict_fails(json_array_get(cases, 5)));
    counts = hs_verdict_counts(cases);
    assert_int_equal(json_integer_value(json_object_get(counts, "cases")), 5);
    hs_verdict_counts_line(counts, line, sizeof(line));
    assert_string_equal(line, "verdicts (5 conformance cases): behavior 1 OK, "
                        "1 NON-STRICT, 1 INFORMATIONAL, 1 UNIMPLEMENTED, 1 FAILED; "
                        "close 3 OK, 1 WRONG CODE, 1 UNCLEAN");
    json_decref(counts);
    json_array_clear(cases);
    counts = hs_verdict_counts(cases);
    hs_verdict_counts_line(counts, line, sizeof(line));
    assert_string_equal(line, "");
    json_decref(counts);
    json_decref(cases);
}

/* ---- expect_message --------------------------------------------------------- */

static void echo_hello(fake *f)
{
    server_frame(f, 1, 0, HS_OP_PONG, "unasked", 7);   /* skipped (5.5.3) */
    server_frame(f, 1, 0, HS_OP_TEXT, "hello", 5);
}

static void expect_text(judged *j, const char *text, int timeout_ms)
{
    step_init(&j->st, HS_STEP_EXPECT_MESSAGE);
    j->st.payload_kind = HS_PAYLOAD_TEXT;
    j->st.bytes = (unsigned char *)text;
    j->st.nbytes = strlen(text);
    j->rc = hs_verdict_expect_message(&j->v, j->c, &j->st, timeout_ms, j->reasons);
}

static void test_message_match_and_mismatch(void **state)
{
    judged j;

    (void)state;
    run_script(&j, echo_hello, PLAIN_101, THEN_WAIT_EOF, NULL);
    assert_non_null(j.c->ws);
    expect_text(&j, "hello", CEILING_MS);
    assert_int_equal(j.rc, 0);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    teardown(&j);

    run_script(&j, echo_hello, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_text(&j, "hellO", CEILING_MS);
    assert_int_equal(j.rc, -1);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    /* The frames that show it, in hex. */
    assert_non_null(strstr(first_reason(&j), "got text message of 5 bytes: "
                           "68 65 6c 6c 6f (outcome mismatch)"));
    teardown(&j);
}

static void close_1009(fake *f)
{
    server_close(f, 1009);
}

static void test_message_too_big_informational(void **state)
{
    judged j;

    (void)state;
    run_script(&j, close_1009, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_text(&j, "x", CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    teardown(&j);

    run_script(&j, close_1009, PLAIN_101, THEN_WAIT_EOF, NULL);
    step_init(&j.st, HS_STEP_EXPECT_MESSAGE);
    j.st.outcomes[HS_OUT_TOO_BIG] = HS_TIER_INFORMATIONAL;
    j.st.payload_kind = HS_PAYLOAD_TEXT;
    j.st.bytes = (unsigned char *)"x";
    j.st.nbytes = 1;
    j.rc = hs_verdict_expect_message(&j.v, j.c, &j.st, CEILING_MS, j.reasons);
    assert_int_equal(j.v.behavior, HS_TIER_INFORMATIONAL);
    assert_int_equal(json_array_size(j.reasons), 0);
    assert_int_equal(j.c->close_code, 1009);
    assert_true(j.c->close_expected);
    /* The connection ended: nothing after this step can run. */
    assert_true(j.v.stop);
    teardown(&j);
}

static void masked_from_server(fake *f)
{
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_TEXT, .masked = 1, .payload =
                        (const unsigned char *)"hi", .len = 2, .declared_len = -1 };
    unsigned char *wire;
    size_t len;

    hs_frame_encode(&s, &wire, &len);
    memcpy(f->after, wire, len);
    f->after_len = len;
    free(wire);
}

static void test_message_silent_and_violation(void **state)
{
    judged j;

    (void)state;
    run_script(&j, NULL, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_text(&j, "x", SHORT_MS);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "(outcome silent)"));
    teardown(&j);

    run_script(&j, masked_from_server, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_text(&j, "hi", CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "masked frame from the server"));
    teardown(&j);
}

/* ---- the server's close ----------------------------------------------------- */

static void close_1002(fake *f)
{
    server_close(f, 1002);
}

static void pong_then_close(fake *f)
{
    server_frame(f, 1, 0, HS_OP_PONG, "probe", 5);
    server_close(f, 1007);
}

static int codes_1002[] = { 1002 };
static int codes_1007[] = { 1007 };

static void expect_close(judged *j, int *codes, size_t n, int timeout_ms)
{
    step_init(&j->st, HS_STEP_EXPECT_CLOSE);
    j->st.codes = codes;
    j->st.ncodes = n;
    j->rc = hs_verdict_expect_close(&j->v, j->c, &j->st, timeout_ms, j->reasons);
}

static void test_close_code_verdicts(void **state)
{
    judged j;

    (void)state;
    run_script(&j, close_1002, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_close(&j, codes_1002, 1, CEILING_MS);
    assert_int_equal(j.rc, 0);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_int_equal(j.v.close, HS_CLOSE_OK);
    assert_true(j.c->close_expected);
    teardown(&j);

    run_script(&j, close_1002, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_close(&j, codes_1007, 1, CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_int_equal(j.v.close, HS_CLOSE_WRONG_CODE);
    assert_non_null(strstr(json_string_value(json_array_get(j.v.notes, 0)),
                           "close WRONG CODE: the server closed with 1002"));
    teardown(&j);

    /* TCP ends without a close frame: allowed by default, but UNCLEAN. */
    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, NULL);
    expect_close(&j, codes_1002, 1, CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_int_equal(j.v.close, HS_CLOSE_UNCLEAN);
    assert_int_equal(j.c->close_code, 1006);
    teardown(&j);
}

/* The probe answered: FAILED by default, NON-STRICT when the step says so
 * (a late failure), and the step after it still sees the close. */
static void test_close_answered(void **state)
{
    judged j;

    (void)state;
    run_script(&j, pong_then_close, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_close(&j, codes_1007, 1, CEILING_MS);
    assert_int_equal(j.rc, -1);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "got pong of 5 bytes: 70 72 6f 62 65"));
    teardown(&j);

    run_script(&j, pong_then_close, PLAIN_101, THEN_WAIT_EOF, NULL);
    step_init(&j.st, HS_STEP_EXPECT_CLOSE);
    j.st.codes = codes_1007;
    j.st.ncodes = 1;
    j.st.outcomes[HS_OUT_ANSWERED] = HS_TIER_NON_STRICT;
    assert_int_equal(hs_verdict_expect_close(&j.v, j.c, &j.st, CEILING_MS, j.reasons), 0);
    assert_int_equal(j.v.behavior, HS_TIER_NON_STRICT);
    /* The step stops at the answer: the case goes on with the connection. */
    assert_int_equal(j.c->close_code, 0);
    expect_close(&j, codes_1007, 1, CEILING_MS);
    assert_int_equal(j.rc, 0);
    assert_int_equal(j.v.behavior, HS_TIER_NON_STRICT);
    assert_int_equal(j.v.close, HS_CLOSE_OK);
    assert_int_equal(json_array_size(j.reasons), 0);
    teardown(&j);

    run_script(&j, NULL, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_close(&j, codes_1002, 1, SHORT_MS);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "did not close"));
    teardown(&j);
}

/* The ping client sent, if any, among the bytes the fake kept. */
static int client_pinged(fake *f)
{
    size_t off = 0, used;
    hs_frame fr;
    int pings = 0;

    while (hs_frame_decode(f->got + off, f->got_len - off, 1 << 20, &fr, &used) ==
           HS_FRAME_OK) {
        pings += fr.opcode == HS_OP_PING && fr.len == 0 && fr.masked;
        off += used;
        hs_frame_free(&fr);
    }
    return pings;
}

/* probe_ms: an empty ping goes out only once the server has been silent
 * that long; one that is closing is sent nothing. */
static void test_close_probe(void **state)
{
    judged j;

    (void)state;
    run_script(&j, NULL, PLAIN_101, THEN_WAIT_EOF, NULL);
    step_init(&j.st, HS_STEP_EXPECT_CLOSE);
    j.st.probe_ms = 20;
    j.rc = hs_verdict_expect_close(&j.v, j.c, &j.st, SHORT_MS, j.reasons);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    hs_ws_free(j.c->ws);
    j.c->ws = NULL;
    fake_stop(&j.f);
    assert_int_equal(client_pinged(&j.f), 1);
    teardown(&j);

    run_script(&j, NULL, PLAIN_101, THEN_WAIT_EOF, NULL);
    expect_close(&j, codes_1002, 1, SHORT_MS);
    hs_ws_free(j.c->ws);
    j.c->ws = NULL;
    fake_stop(&j.f);
    assert_int_equal(client_pinged(&j.f), 0);
    teardown(&j);

    run_script(&j, close_1002, PLAIN_101, THEN_WAIT_EOF, NULL);
    step_init(&j.st, HS_STEP_EXPECT_CLOSE);
    j.st.probe_ms = 1000;
    j.rc = hs_verdict_expect_close(&j.v, j.c, &j.st, CEILING_MS, j.reasons);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    hs_ws_free(j.c->ws);
    j.c->ws = NULL;
    fake_stop(&j.f);
    assert_int_equal(client_pinged(&j.f), 0);
    teardown(&j);
}

static void close_1000(fake *f)
{
    server_close(f, 1000);
}

static void close_1001(fake *f)
{
    server_close(f, 1001);
}

static void text_then_close(fake *f)
{
    server_frame(f, 1, 0, HS_OP_TEXT, "late", 4);
    server_close(f, 1000);
}

static void client_close(judged *j, int code)
{
    step_init(&j->st, HS_STEP_CLOSE);
    j->st.send_code = code;
    j->rc = hs_verdict_close(&j->v, j->c, &j->st, CEILING_MS, j->reasons);
}

static void test_client_close(void **state)
{
    judged j;

    (void)state;
    run_script(&j, close_1000, PLAIN_101, THEN_WAIT_EOF, NULL);
    client_close(&j, 1000);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_int_equal(j.v.close, HS_CLOSE_OK);
    assert_true(j.c->closed_by_us);
    teardown(&j);

    run_script(&j, close_1001, PLAIN_101, THEN_WAIT_EOF, NULL);
    client_close(&j, 1000);
    assert_int_equal(j.v.close, HS_CLOSE_WRONG_CODE);
    teardown(&j);

    run_script(&j, close_1000, PLAIN_101, THEN_WAIT_EOF, NULL);
    client_close(&j, 0);                   /* no code: 1005 or 1000 back */
    assert_int_equal(j.v.close, HS_CLOSE_OK);
    teardown(&j);

    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, NULL);
    client_close(&j, 1000);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_int_equal(j.v.close, HS_CLOSE_UNCLEAN);
    teardown(&j);

    run_script(&j, text_then_close, PLAIN_101, THEN_WAIT_EOF, NULL);
    client_close(&j, 1000);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "(outcome answered)"));
    teardown(&j);
}

static void test_end_close(void **state)
{
    hs_scenario s = { .rfc = "RFC 6455 7.1.2" };
    hs_client *c = hs_client_new("main", test_reference);
    hs_verdict v;

    (void)state;
    hs_verdict_init(&v, &s);
    hs_verdict_end(&v, c, 1000, 1000);
    assert_int_equal(v.close, HS_CLOSE_OK);
    hs_verdict_end(&v, c, 1000, 1001);
    assert_int_equal(v.close, HS_CLOSE_WRONG_CODE);
    hs_verdict_end(&v, c, 1000, 1006);
    assert_int_equal(v.close, HS_CLOSE_UNCLEAN);
    hs_verdict_free(&v);
    hs_client_free(c);
}

/* ---- connect ------------------------------------------------------------------ */

static void judge_connect(judged *j, hs_step *st)
{
    j->rc = hs_verdict_connect(&j->v, j->c, st, j->c->ws ? NULL : j->err, j->reasons);
}

static void test_connect_outcomes(void **state)
{
    judged j;
    hs_step st;

    (void)state;
    step_init(&st, HS_STEP_CONNECT);
    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    teardown(&j);

    /* A refusal where one is owed. */
    st.outcomes[HS_OUT_ACCEPTED] = HS_TIER_FAILED;
    st.outcomes[HS_OUT_REFUSED] = HS_TIER_OK;
    run_script(&j, NULL, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
               THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    /* Nothing later in the case has a connection to run on. */
    assert_int_equal(j.v.stop, 1);
    teardown(&j);

    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, NULL);
    st.outcomes[HS_OUT_ACCEPTED] = -1;
    judge_connect(&j, &st);
    assert_int_equal(j.v.stop, 0);
    st.outcomes[HS_OUT_ACCEPTED] = HS_TIER_FAILED;
    teardown(&j);

    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "(outcome accepted)"));
    teardown(&j);

    /* No HTTP answer at all: dropped, and the close is unclean. */
    run_script(&j, NULL, NULL, THEN_CLOSE, NULL);
    assert_null(j.c->ws);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_int_equal(j.v.close, HS_CLOSE_UNCLEAN);
    teardown(&j);
}

static void test_connect_checks_101(void **state)
{
    judged j;
    hs_step st;

    (void)state;
    step_init(&st, HS_STEP_CONNECT);
    run_script(&j, NULL, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: bm90IGl0\r\n\r\n", THEN_CLOSE,
               NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "Sec-WebSocket-Accept"));
    teardown(&j);

    st.subprotocol = "x-a";
    run_script(&j, NULL, HEAD_101 "Sec-WebSocket-Protocol: x-b\r\n\r\n", THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "subprotocol"));
    teardown(&j);

    run_script(&j, NULL, HEAD_101 "Sec-WebSocket-Protocol: x-a\r\n\r\n", THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    teardown(&j);

    /* An extension nobody offered (RFC 6455 4.1). */
    st.subprotocol = NULL;
    run_script(&j, NULL, DEFLATE_101, THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "(outcome invalid)"));
    teardown(&j);
}

static void test_connect_headers(void **state)
{
    judged j;
    hs_step st;

    (void)state;
    step_init(&st, HS_STEP_CONNECT);
    st.outcomes[HS_OUT_ACCEPTED] = HS_TIER_FAILED;
    st.outcomes[HS_OUT_REFUSED] = HS_TIER_OK;
    st.outcomes[HS_OUT_INCOMPLETE] = HS_TIER_NON_STRICT;
    st.expect_headers = json_pack("{s:s}", "Sec-WebSocket-Version", "13");
    run_script(&j, NULL, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
               "Content-Length: 0\r\n\r\n", THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    teardown(&j);

    run_script(&j, NULL, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
               THEN_CLOSE, NULL);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_NON_STRICT);
    assert_int_equal(json_array_size(j.reasons), 0);
    teardown(&j);
    json_decref(st.expect_headers);
}

/* ---- permessage-deflate through the connection ------------------------------ */

#define OFFER "permessage-deflate; client_max_window_bits"

static void compressed_hello(fake *f)
{
    static const unsigned char hello[] = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };

    server_frame(f, 0, 4, HS_OP_TEXT, hello, 3);
    server_frame(f, 1, 0, HS_OP_CONT, hello + 3, 4);
}

static void rsv1_on_continuation(fake *f)
{
    static const unsigned char hello[] = { 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 };

    server_frame(f, 0, 4, HS_OP_TEXT, hello, 3);
    server_frame(f, 1, 4, HS_OP_CONT, hello + 3, 4);
}

static void test_deflate_agreed_and_inflated(void **state)
{
    judged j;
    hs_step st;

    (void)state;
    step_init(&st, HS_STEP_CONNECT);
    st.extensions = OFFER;
    run_script(&j, compressed_hello, DEFLATE_101, THEN_WAIT_EOF, OFFER);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    assert_true(j.c->hs.deflate);
    expect_text(&j, "Hello", CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_OK);
    teardown(&j);

    run_script(&j, rsv1_on_continuation, DEFLATE_101, THEN_WAIT_EOF, OFFER);
    judge_connect(&j, &st);
    expect_text(&j, "Hello", CEILING_MS);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    assert_non_null(strstr(first_reason(&j), "RFC 7692 6.1"));
    teardown(&j);
}

static void test_deflate_declined_invalid_restricted(void **state)
{
    judged j;
    hs_step st;

    (void)state;
    step_init(&st, HS_STEP_CONNECT);
    st.extensions = OFFER;
    run_script(&j, NULL, PLAIN_101, THEN_CLOSE, OFFER);
    judge_connect(&j, &st);
    assert_int_equal(j.rc, -1);
    assert_int_equal(j.v.behavior, HS_TIER_UNIMPLEMENTED);
    assert_true(j.v.stop);
    assert_int_equal(json_array_size(j.reasons), 0);
    teardown(&j);

    run_script(&j, NULL, HEAD_101 "Sec-WebSocket-Extensions: permessage-deflate; "
               "server_max_window_bits=20\r\n\r\n", THEN_CLOSE, OFFER);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_FAILED);
    teardown(&j);

    st.needs_client_context = 1;
    run_script(&j, NULL, HEAD_101 "Sec-WebSocket-Extensions: permessage-deflate; "
               "client_no_context_takeover\r\n\r\n", THEN_CLOSE, OFFER);
    judge_connect(&j, &st);
    assert_int_equal(j.v.behavior, HS_TIER_UNIMPLEMENTED);
    assert_non_null(strstr(json_string_value(json_array_get(j.v.notes, 0)),
                           "(outcome restricted)"));
    teardown(&j);
}

/* What the client sends compressed: RSV1 on the first frame only, and the
 * payload inflates to the message (RFC 7692 6.1, 7.2.1). */
static void test_deflate_client_sends(void **state)
{
    static const char msg[] = "permessage-deflate permessage-deflate permessage-deflate";
    hs_ws_msg_opts mo = { .fragment = 5, .compress = 1 };
    unsigned char joined[512], *out = NULL;
    size_t off = 0, n = 0, used, outlen = 0;
    hs_pmd_codec *in = NULL;
    hs_frame f;
    judged j;
    char err[200];
    int frames = 0;

    (void)state;
    run_script(&j, NULL, DEFLATE_101, THEN_WAIT_EOF, OFFER);
    assert_int_equal(hs_ws_send_message(j.c->ws, HS_OP_TEXT, (const unsigned char *)msg,
                                        strlen(msg), &mo), HS_WS_OK);
    hs_ws_free(j.c->ws);
    j.c->ws = NULL;
    fake_stop(&j.f);
    while (hs_frame_decode(j.f.got + off, j.f.got_len - off, 1 << 20, &f, &used) == HS_FRAME_OK) {
        assert_int_equal(f.rsv, frames == 0 ? 4 : 0);
        assert_int_equal(f.opcode, frames == 0 ? HS_OP_TEXT : HS_OP_CONT);
        assert_true(f.masked);
        memcpy(joined + n, f.payload, (size_t)f.len);
        n += (size_t)f.len;
        off += used;
        frames++;
        hs_frame_free(&f);
    }
    assert_cmp_int(frames, >, 1);
    assert_int_equal(hs_pmd_codec_new(0, 0, 0, &in), HS_PMD_OK);
    assert_int_equal(hs_pmd_inflate(in, joined, n, 1 << 20, &out, &outlen, err, sizeof(err)),
                     HS_PMD_OK);
    assert_int_equal(outlen, strlen(msg));
    assert_memory_equal(out, msg, outlen);
    free(out);
    hs_pmd_codec_free(in);
    teardown(&j);
}

static void test_compress_needs_agreement(void **state)
{
    hs_ws_msg_opts mo = { .compress = 1 };
    judged j;

    (void)state;
    run_script(&j, NULL, PLAIN_101, THEN_WAIT_EOF, NULL);
    assert_int_equal(hs_ws_send_message(j.c->ws, HS_OP_TEXT, (const unsigned char *)"x", 1,
                                        &mo), HS_WS_ERR);
    assert_non_null(strstr(hs_ws_last_error(j.c->ws), "not agreed"));
    teardown(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tier_rules),
        cmocka_unit_test(test_json_from_reasons),
        cmocka_unit_test(test_strict_and_counts),
        cmocka_unit_test(test_message_match_and_mismatch),
        cmocka_unit_test(test_message_too_big_informational),
        cmocka_unit_test(test_message_silent_and_violation),
        cmocka_unit_test(test_close_code_verdicts),
        cmocka_unit_test(test_close_answered),
        cmocka_unit_test(test_close_probe),
        cmocka_unit_test(test_client_close),
        cmocka_unit_test(test_end_close),
        cmocka_unit_test(test_connect_outcomes),
        cmocka_unit_test(test_connect_checks_101),
        cmocka_unit_test(test_connect_headers),
        cmocka_unit_test(test_deflate_agreed_and_inflated),
        cmocka_unit_test(test_deflate_declined_invalid_restricted),
        cmocka_unit_test(test_deflate_client_sends),
        cmocka_unit_test(test_compress_needs_agreement),
    };

    return cmocka_run_group_tests(tests, test_profile_setup, test_profile_teardown);
}
