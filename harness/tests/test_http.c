/*
 * hs_http against a scripted server in a thread: it accepts one
 * connection, reads the request, sends its pieces (one send() each), then
 * either closes or holds the connection open until the test releases it.
 * Holding proves the client finished by framing, not by end of file.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "wire/hs_http.h"
#include "tests/test_util.h"

#define TIMEOUT_MS 5000

typedef struct server {
    int lfd;
    int port;
    const char *pieces[10];     /* sent in order, NULL-terminated */
    size_t big;                 /* then this many 'x' bytes */
    int hold;                   /* keep the connection open until released */
    int release[2];             /* the test writes here (or closes) to release */
    char request[8192];         /* what the server read */
    size_t request_len;
    pthread_t th;
} server;

/* Read the request head, and a body if it announced one. */
static void read_request(server *s, int fd)
{
    const char *end = NULL, *cl;
    size_t want = 0;

    while (s->request_len + 1 < sizeof s->request) {
        ssize_t n = recv(fd, s->request + s->request_len,
                         sizeof s->request - 1 - s->request_len, 0);

        if (n <= 0)
            break;
        s->request_len += (size_t)n;
        s->request[s->request_len] = '\0';
        end = strstr(s->request, "\r\n\r\n");
        cl = strstr(s->request, "Content-Length: ");
        want = cl ? strtoul(cl + 16, NULL, 10) : 0;
        if (end && s->request_len >= (size_t)(end - s->request) + 4 + want)
            break;
    }
}

static void send_big(int fd, size_t n)
{
    char buf[65536];

    memset(buf, 'x', sizeof buf);
    while (n > 0) {
        ssize_t w = send(fd, buf, n < sizeof buf ? n : sizeof buf, MSG_NOSIGNAL);

        if (w <= 0)
            return;
        n -= (size_t)w;
    }
}

/* Returns when the test writes to or closes the release pipe. */
static void wait_release(const server *s)
{
    struct pollfd p = { .fd = s->release[0], .events = POLLIN };

    poll(&p, 1, -1);
}

static void *serve(void *arg)
{
    server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    read_request(s, fd);
    for (int i = 0; s->pieces[i]; i++)
        send(fd, s->pieces[i], strlen(s->pieces[i]), MSG_NOSIGNAL);
    send_big(fd, s->big);
    if (s->hold)
        wait_release(s);
    close(fd);
    return NULL;
}

static void server_start(server *s)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_cmp_int(s->lfd, >=, 0);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pipe(s->release), 0);
    assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    close(s->release[1]);
    pthread_join(s->th, NULL);
    close(s->release[0]);
    close(s->lfd);
}

/* GET path from the server, expecting rc; the response is left in r. */
static int get(server *s, const char *method, const char *path, int timeout_ms,
               hs_http_resp *r, char *err, size_t errlen)
{
    return hs_http_request("127.0.0.1", s->port, method, path, NULL, NULL, timeout_ms, r, err,
                           errlen);
}

static void test_content_length_json(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        "Content-Length: 11\r\n\r\n{\"a\": true}" } };
    hs_http_resp r;
    char err[256] = "", host[64];

    server_start(&s);
    assert_int_equal(get(&s, NULL, "/health", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
    assert_string_equal(json_string_value(json_object_get(r.headers, "content-type")),
                        "application/json");
    assert_int_equal(r.body_len, 11);
    assert_string_equal(r.body, "{\"a\": true}");
    assert_true(json_is_true(json_object_get(r.json, "a")));
    server_stop(&s);
    assert_memory_equal(s.request, "GET /health HTTP/1.1\r\n", 22);
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    assert_non_null(strstr(s.request, host));
    assert_non_null(strstr(s.request, "\r\nConnection: close\r\n"));
    assert_null(strstr(s.request, "Content-Length"));
    hs_http_resp_free(&r);
}

static void test_chunked_with_extension_and_trailer(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                                        "5;ext=1\r\nhel", "lo\r\n",
                                        "6\r\n world\r\n", "0\r\nX-Trailer: 1\r\n", "\r\n" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.body_len, 11);
    assert_string_equal(r.body, "hello world");
    assert_null(r.json);
    hs_http_resp_free(&r);
    server_stop(&s);
}

static void test_large_chunked_body(void **state)
{
    static char chunk[8 + 4096 + 2];
    server s = { .hold = 1 };
    hs_http_resp r;
    char err[256] = "";
    size_t k = 0;

    memcpy(chunk, "1000\r\n", 6);
    memset(chunk + 6, 'y', 4096);
    memcpy(chunk + 6 + 4096, "\r\n", 3);
    s.pieces[k++] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (; k < 7; k++)
        s.pieces[k] = chunk;
    s.pieces[k] = "0\r\n\r\n";
    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.body_len, 6 * 4096);
    assert_int_equal(r.body[0], 'y');
    assert_int_equal(r.body[6 * 4096 - 1], 'y');
    hs_http_resp_free(&r);
    server_stop(&s);
}

static void test_eof_terminated_http10(void **state)
{
    server s = { .pieces = { "HTTP/1.0 200 OK\r\nX-Dup: a\r\nx-dup: b\r\n\r\n", "plain ",
                             "text" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_string_equal(r.status_line, "HTTP/1.0 200 OK");
    assert_string_equal(r.body, "plain text");
    assert_null(r.json);
    assert_string_equal(json_string_value(json_object_get(r.headers, "x-dup")), "a, b");
    hs_http_resp_free(&r);
    server_stop(&s);
}

static void test_status_500(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 500 Internal Server Error\r\n"
                                        "Content-Length: 0\r\n\r\n" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/ws", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    hs_http_resp_free(&r);
    server_stop(&s);
}

static void test_never_answers_times_out(void **state)
{
    server s = { .hold = 1 };
    hs_http_resp r;
    char err[256] = "";
    double t0 = hs_now_ms();

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", 300, &r, err, sizeof err), HS_HTTP_ETIMEOUT);
    assert_cmp_dbl(hs_now_ms() - t0, >=, 300);
    assert_cmp_dbl(hs_now_ms() - t0, <, TIMEOUT_MS);
    assert_non_null(strstr(err, "no complete answer within 300 ms"));
    assert_null(r.headers);
    hs_http_resp_free(&r);
    server_stop(&s);
}

/* Head arrives, body never completes: the ceiling covers the whole exchange. */
static void test_partial_body_times_out(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", 300, &r, err, sizeof err), HS_HTTP_ETIMEOUT);
    assert_null(r.body);
    server_stop(&s);
}

static void test_post_body_and_headers(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n[]" } };
    const char *headers[] = { "X-Test: 1", "Host: example", NULL };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(hs_http_request("127.0.0.1", s.port, "POST", "/x?y=1", headers, "payload",
                                     TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.status, 201);
    assert_true(json_is_array(r.json));
    hs_http_resp_free(&r);
    server_stop(&s);
    assert_memory_equal(s.request, "POST /x?y=1 HTTP/1.1\r\n", 22);
    assert_non_null(strstr(s.request, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(s.request, "\r\nHost: example\r\n"));
    assert_null(strstr(s.request, "Host: 127.0.0.1"));
    assert_non_null(strstr(s.request, "\r\nContent-Length: 7\r\n"));
    assert_string_equal(s.request + s.request_len - 11, "\r\n\r\npayload");
}

static void test_head_and_101_have_no_body(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" } };
    server u = { .hold = 1, .pieces = { "HTTP/1.1 101 Switching Protocols\r\n"
                                        "Upgrade: websocket\r\n\r\n" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "HEAD", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.body_len, 0);
    hs_http_resp_free(&r);
    server_stop(&s);
    server_start(&u);
    assert_int_equal(get(&u, "GET", "/ws", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.status, 101);
    assert_int_equal(r.body_len, 0);
    hs_http_resp_free(&r);
    server_stop(&u);
}

static void test_refused_fails_fast(void **state)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    hs_http_resp r;
    char err[256] = "";
    double t0;

    /* A port that was just free: bound, never listened on, closed. */
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    t0 = hs_now_ms();
    assert_int_equal(hs_http_request("127.0.0.1", ntohs(sa.sin_port), "GET", "/", NULL, NULL,
                                     TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, <, TIMEOUT_MS / 5);
    assert_non_null(strstr(err, "Connection refused"));
}

static void expect_error(const char *response, int hold, const char *why)
{
    server s = { .hold = hold, .pieces = { response } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_ERR);
    if (!strstr(err, why))
        print_message("error was: %s\n", err);
    assert_non_null(strstr(err, why));
    assert_null(r.body);
    assert_null(r.headers);
    server_stop(&s);
}

static void test_protocol_errors(void **state)
{
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 17000000\r\n\r\n", 1, "over the");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0,
                 "closed after 3 body bytes");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nabcde", 1,
                 "invalid Content-Length");
    expect_error("FOO 200 OK\r\n\r\n", 1, "not an HTTP/1.x status line");
    expect_error("HTTP/1.1 2000 OK\r\n\r\n", 1, "not an HTTP/1.x status line");
    expect_error("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 1, "malformed header field");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1,
                 "malformed chunked body");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 1,
                 "malformed chunked body");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0,
                 "inside a chunked body");
    expect_error("HTTP/1.1 200 OK\r\n", 0, "before a complete response head");
}

static void test_eof_body_over_cap(void **state)
{
    server s = { .pieces = { "HTTP/1.1 200 OK\r\n\r\n" }, .big = HS_HTTP_MAX_BODY + 1 };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS * 2, &r, err, sizeof err), HS_HTTP_ERR);
    assert_non_null(strstr(err, "over the cap"));
    server_stop(&s);
}

static void test_eof_body_at_cap(void **state)
{
    server s = { .pieces = { "HTTP/1.1 200 OK\r\n\r\n" }, .big = HS_HTTP_MAX_BODY };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS * 2, &r, err, sizeof err), HS_HTTP_OK);
    assert_int_equal(r.body_len, HS_HTTP_MAX_BODY);
    hs_http_resp_free(&r);
    server_stop(&s);
}

/* The peer's bytes are made safe where they are stored for display. */
static void test_unsafe_bytes_sanitised(void **state)
{
    server s = { .hold = 1, .pieces = { "HTTP/1.1 200 O\x1b[2JK\r\nX-Bin: a\xff" "b\r\n"
                                        "X-Path: C:\\dir \xc3\xa9\r\n"
                                        "Content-Length: 0\r\n\r\n" } };
    hs_http_resp r;
    char err[256] = "";

    server_start(&s);
    assert_int_equal(get(&s, "GET", "/", TIMEOUT_MS, &r, err, sizeof err), HS_HTTP_OK);
    assert_string_equal(r.status_line, "HTTP/1.1 200 O?[2JK");
    assert_string_equal(json_string_value(json_object_get(r.headers, "x-bin")), "a\\xFFb");
    /* Clean UTF-8 text is kept as sent: no escaping to undo. */
    assert_string_equal(json_string_value(json_object_get(r.headers, "x-path")),
                        "C:\\dir \xc3\xa9");
    hs_http_resp_free(&r);
    server_stop(&s);
}

/* Refused before any connection is made. */
static void test_request_injection_refused(void **state)
{
    const char *bad_header[] = { "X-A: 1\r\nX-B: 2", NULL };
    const char *no_colon[] = { "X-A 1", NULL };
    hs_http_resp r;
    char err[256] = "";

    assert_int_equal(hs_http_request("127.0.0.1", 1, "GET", "/", bad_header, NULL, 100, &r,
                                     err, sizeof err), HS_HTTP_ERR);
    assert_non_null(strstr(err, "request header 1"));
    assert_int_equal(hs_http_request("127.0.0.1", 1, "GET", "/", no_colon, NULL, 100, &r,
                                     err, sizeof err), HS_HTTP_ERR);
    assert_int_equal(hs_http_request("127.0.0.1", 1, "GET", "/a b", NULL, NULL, 100, &r, err,
                                     sizeof err), HS_HTTP_ERR);
    assert_int_equal(hs_http_request("127.0.0.1", 1, "GE T", "/", NULL, NULL, 100, &r, err,
                                     sizeof err), HS_HTTP_ERR);
    hs_http_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length_json),
        cmocka_unit_test(test_chunked_with_extension_and_trailer),
        cmocka_unit_test(test_large_chunked_body),
        cmocka_unit_test(test_eof_terminated_http10),
        cmocka_unit_test(test_status_500),
        cmocka_unit_test(test_never_answers_times_out),
        cmocka_unit_test(test_partial_body_times_out),
        cmocka_unit_test(test_post_body_and_headers),
        cmocka_unit_test(test_head_and_101_have_no_body),
        cmocka_unit_test(test_refused_fails_fast),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_eof_body_over_cap),
        cmocka_unit_test(test_eof_body_at_cap),
        cmocka_unit_test(test_unsafe_bytes_sanitised),
        cmocka_unit_test(test_request_injection_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
