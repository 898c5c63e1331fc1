/*
 * Unit tests for hs_wsconn and hs_transcript against a fake server inside
 * the test: a thread on a 127.0.0.1 listener (port 0) accepts, reads the
 * request and answers canned bytes; after the handshake the thread hands its
 * socket to the test, which plays the server step by step. Every wait is a
 * poll() with a ceiling; nothing sleeps for a fixed time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wire/hs_frame.h"
#include "wire/hs_transcript.h"
#include "wire/hs_wsconn.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"
#include "tests/test_util.h"

#define CEILING_MS 5000

/* The RFC 6455 1.3 example key and the accept value it must produce. */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define HEAD_101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: "

/* What the fake server does once it has answered. */
enum { FAKE_KEEP, FAKE_CLOSE, FAKE_WAIT_EOF };

typedef struct fake {
    int lfd;
    int port;
    int sfd;                       /* accepted socket, the test's after join */
    pthread_t th;
    const void *reply;             /* written after the request, or NULL */
    size_t reply_len;
    int accept_from_key;           /* answer 101 with the request key's accept */
    int then;
    char req[8192];
    size_t req_len;
    unsigned char in[1 << 16];     /* frames from the client, not yet read */
    size_t in_len;
} fake;

/*
 * Chopped writes cannot be told apart at the receiving end (TCP merges
 * them), so the test stands in for send() itself: it records the size of
 * each call made on one watched socket, then does the real system call.
 * The fake server writes with sendto() so it is never counted.
 */
#define WATCH_ANY -2            /* watch_fd: every socket the client opens */

static int watch_fd = -1;
static size_t send_sizes[64];
static size_t send_calls;

ssize_t send(int fd, const void *b, size_t n, int flags)
{
    if ((fd == watch_fd || watch_fd == WATCH_ANY) &&
        send_calls < sizeof(send_sizes) / sizeof(send_sizes[0]))
        send_sizes[send_calls++] = n;
    return syscall(SYS_sendto, fd, b, n, flags, NULL, 0);
}

static int wait_in(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, CEILING_MS) == 1;
}

static void write_exact(int fd, const void *b, size_t n)
{
    const char *p = b;
    ssize_t w;

    while (n > 0) {
        w = sendto(fd, p, n, MSG_NOSIGNAL, NULL, 0);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Read the request head into f->req; 0 when it ended with a blank line. */
static int fake_read_request(fake *f)
{
    ssize_t r;

    while (memmem(f->req, f->req_len, "\r\n\r\n", 4) == NULL) {
        if (f->req_len >= sizeof(f->req) - 1 || !wait_in(f->sfd))
            return -1;
        r = recv(f->sfd, f->req + f->req_len, sizeof(f->req) - 1 - f->req_len, 0);
        if (r <= 0)
            return -1;
        f->req_len += (size_t)r;
    }
    f->req[f->req_len] = '\0';
    return 0;
}

static void fake_answer_key(fake *f)
{
    char key[64] = "", accept[29], head[256];
    const char *k = strstr(f->req, "Sec-WebSocket-Key: ");

    if (k != NULL)
        sscanf(k + 19, "%63[^\r]", key);
    hs_ws_accept_for(key, accept);
    snprintf(head, sizeof(head), HEAD_101 "%s\r\n\r\n", accept);
    write_exact(f->sfd, head, strlen(head));
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    char sink[256];

    if (!wait_in(f->lfd))
        return NULL;
    f->sfd = accept(f->lfd, NULL, NULL);
    if (f->sfd < 0 || fake_read_request(f) != 0)
        return NULL;
    if (f->accept_from_key)
        fake_answer_key(f);
    if (f->reply != NULL)
        write_exact(f->sfd, f->reply, f->reply_len);
    if (f->then == FAKE_WAIT_EOF)
        while (wait_in(f->sfd) && recv(f->sfd, sink, sizeof(sink), 0) > 0)
            continue;
    if (f->then != FAKE_KEEP) {
        close(f->sfd);
        f->sfd = -1;
    }
    return NULL;
}

static void fake_start(fake *f)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->sfd = -1;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_cmp_int(f->lfd, >=, 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_join(fake *f)
{
    pthread_join(f->th, NULL);
    close(f->lfd);
}

static void fake_end(fake *f)
{
    if (f->sfd >= 0)
        close(f->sfd);
    f->sfd = -1;
}

static hs_ws_opts opts_for(const fake *f, const char *key, json_t *transcript)
{
    hs_ws_opts o = { .host = "127.0.0.1", .port = f->port, .path = "/ws",
                     .key = key, .timeout_ms = CEILING_MS,
                     .transcript = transcript };

    return o;
}

/* Connect to a fake answering the RFC example 101 plus extra bytes. */
static hs_wsconn *open_rfc(fake *f, const void *extra, size_t n, json_t *t)
{
    static char reply[1024];
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    size_t hl;

    memset(f, 0, sizeof(*f));
    hl = (size_t)snprintf(reply, sizeof(reply), HEAD_101 RFC_ACCEPT "\r\n\r\n");
    if (n > 0)
        memcpy(reply + hl, extra, n);
    f->reply = reply;
    f->reply_len = hl + n;
    fake_start(f);
    o = opts_for(f, RFC_KEY, t);
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(f);
    assert_non_null(c);
    assert_int_equal(hs.status, 101);
    assert_true(hs.accept_ok);
    hs_ws_handshake_free(&hs);
    return c;
}

/* The server side: one unmasked frame. */
static void srv_frame(const fake *f, int fin, int opcode, const void *p, size_t n)
{
    hs_frame_spec s = { .fin = fin, .opcode = opcode, .payload = p, .len = n,
                        .declared_len = -1 };
    unsigned char *out;
    size_t len;

    assert_int_equal(hs_frame_encode(&s, &out, &len), HS_FRAME_OK);
    write_exact(f->sfd, out, len);
    free(out);
}

/* The server side: read one frame the client sent. */
static void srv_read_frame(fake *f, hs_frame *fr)
{
    size_t used;
    ssize_t r;

    for (;;) {
        if (hs_frame_decode(f->in, f->in_len, sizeof(f->in), fr, &used) == HS_FRAME_OK) {
            memmove(f->in, f->in + used, f->in_len - used);
            f->in_len -= used;
            return;
        }
        assert_true(wait_in(f->sfd));
        r = recv(f->sfd, f->in + f->in_len, sizeof(f->in) - f->in_len, 0);
        assert_cmp_int(r, >, 0);
        f->in_len += (size_t)r;
    }
}

static int unread_bytes(int fd)
{
    int n = -1;

    ioctl(fd, FIONREAD, &n);
    return n;
}

/* Does the transcript hold an entry with these dir, what and opcode? */
static json_t *find_entry(json_t *t, const char *dir, const char *what, int opcode)
{
    size_t i;
    json_t *e;

    json_array_foreach(t, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "dir")), dir) != 0 ||
            strcmp(json_string_value(json_object_get(e, "what")), what) != 0)
            continue;
        if (opcode < 0 || json_integer_value(json_object_get(e, "opcode")) == opcode)
            return e;
    }
    return NULL;
}

/* ---- handshake ---------------------------------------------------------- */

static void test_accept_rfc_example(void **state)
{
    char out[29];

    hs_ws_accept_for(RFC_KEY, out);
    assert_string_equal(out, RFC_ACCEPT);
}

static void test_handshake_101_accept_ok(void **state)
{
    static const char *const extra[] = { "X-Test: 1", NULL };
    json_t *t = hs_transcript_new();
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    fake f = { .reply = HEAD_101 RFC_ACCEPT "\r\nX-Dup: a\r\nx-dup: b\r\n\r\n" };

    f.reply_len = strlen(f.reply);
    fake_start(&f);
    o = opts_for(&f, RFC_KEY, t);
    o.path = "/ws?token=abc";
    o.extra_headers = extra;
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_int_equal(hs.status, 101);
    assert_true(hs.accept_ok);
    assert_string_equal(hs.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_string_equal(json_string_value(json_object_get(hs.headers, "upgrade")),
                        "websocket");
    assert_string_equal(json_string_value(json_object_get(hs.headers, "x-dup")),
                        "a, b");
    assert_non_null(strstr(f.req, "GET /ws?token=abc HTTP/1.1\r\n"));
    assert_non_null(strstr(f.req, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strstr(f.req, "\r\nConnection: Upgrade\r\n"));
    assert_non_null(strstr(f.req, "\r\nSec-WebSocket-Key: " RFC_KEY "\r\n"));
    assert_non_null(strstr(f.req, "\r\nSec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(f.req, "\r\nX-Test: 1\r\n"));
    assert_non_null(find_entry(t, "sent", "handshake", -1));
    assert_non_null(find_entry(t, "recv", "handshake", -1));
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);
    json_decref(t);
}

/* A random key (RFC 6455 4.1: 16 random bytes, base64) still verifies. */
static void test_handshake_random_key(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256], key1[64] = "", key2[64] = "";
    hs_wsconn *c;
    fake f = { .accept_from_key = 1 };
    int i;

    for (i = 0; i < 2; i++) {
        memset(&f, 0, sizeof(f));
        f.accept_from_key = 1;
        fake_start(&f);
        o = opts_for(&f, NULL, NULL);
        c = hs_ws_connect(&o, &hs, err, sizeof(err));
        fake_join(&f);
        assert_non_null(c);
        assert_true(hs.accept_ok);
        sscanf(strstr(f.req, "Sec-WebSocket-Key: ") + 19, "%63[^\r]", i ? key2 : key1);
        hs_ws_handshake_free(&hs);
        hs_ws_free(c);
        fake_end(&f);
    }
    assert_int_equal(strlen(key1), 24);
    assert_string_equal(key1 + 22, "==");
    assert_string_not_equal(key1, key2);
}

static void test_handshake_wrong_accept(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    fake f = { .reply = HEAD_101 "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n" };

    f.reply_len = strlen(f.reply);
    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_int_equal(hs.status, 101);
    assert_false(hs.accept_ok);
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);
}

/* Headers left out or changed on request; a 400 is returned, not an error. */
static void test_handshake_omissions(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    fake f = { .reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" };

    f.reply_len = strlen(f.reply);
    fake_start(&f);
    o = opts_for(&f, "", NULL);
    o.version = "";
    o.omit_upgrade = 1;
    o.omit_connection = 1;
    o.protocol = "chat";
    o.extensions = "permessage-deflate";
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_int_equal(hs.status, 400);
    assert_false(hs.accept_ok);
    assert_string_equal(hs.body, "");
    assert_null(strstr(f.req, "Upgrade:"));
    assert_null(strstr(f.req, "Connection:"));
    assert_null(strstr(f.req, "Sec-WebSocket-Key:"));
    assert_null(strstr(f.req, "Sec-WebSocket-Version:"));
    assert_non_null(strstr(f.req, "\r\nSec-WebSocket-Protocol: chat\r\n"));
    assert_non_null(strstr(f.req, "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"));
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);

    memset(&f, 0, sizeof(f));
    f.accept_from_key = 1;
    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    o.version = "8";
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_non_null(strstr(f.req, "\r\nSec-WebSocket-Version: 8\r\n"));
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);
}

/* The request line and Host as asked; the request written in pieces. */
static void test_handshake_request_line(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256], line[128];
    hs_wsconn *c;
    fake f = { .reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" };

    f.reply_len = strlen(f.reply);
    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    o.method = "POST";
    o.http_version = "1.0";
    o.omit_host = 1;
    o.absolute_uri = 1;
    o.chop = 64;
    watch_fd = WATCH_ANY;
    send_calls = 0;
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    watch_fd = -1;
    fake_join(&f);
    assert_non_null(c);
    snprintf(line, sizeof(line), "POST http://127.0.0.1:%d/ws HTTP/1.0\r\n", f.port);
    assert_memory_equal(f.req, line, strlen(line));
    assert_null(strstr(f.req, "Host:"));
    assert_int_equal(send_calls, (f.req_len + 63) / 64);
    assert_int_equal(send_sizes[0], 64);
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);

    memset(&f, 0, sizeof(f));
    f.accept_from_key = 1;
    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    snprintf(line, sizeof(line), "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", f.port);
    assert_memory_equal(f.req, line, strlen(line));
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
    fake_end(&f);
}

/* A 500's body is kept, with invalid UTF-8 and escapes made harmless. */
static void test_handshake_500_body(void **state)
{
    static const char reply[] = "HTTP/1.1 500 Internal Server Error\r\n"
                                "Content-Length: 12\r\n\r\n" "oops \xff\x1b[31m!"
                                "ignored";
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    fake f = { .reply = reply, .reply_len = sizeof(reply) - 1 };

    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_int_equal(hs.status, 500);
    assert_false(hs.accept_ok);
    assert_string_equal(hs.body, "oops \xEF\xBF\xBD\xEF\xBF\xBD[31m!");
    hs_ws_handshake_free(&hs);
    assert_null(hs.headers);
    hs_ws_free(c);
    fake_end(&f);
}

/* A body without a length, ended by the server closing TCP. */
static void test_handshake_body_until_close(void **state)
{
    static const char reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                "Connection: close\r\n\r\nnot ready";
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256];
    hs_wsconn *c;
    fake f = { .reply = reply, .reply_len = sizeof(reply) - 1, .then = FAKE_CLOSE };

    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    c = hs_ws_connect(&o, &hs, err, sizeof(err));
    fake_join(&f);
    assert_non_null(c);
    assert_int_equal(hs.status, 503);
    assert_string_equal(hs.body, "not ready");
    assert_true(hs_ws_closed(c));
    hs_ws_handshake_free(&hs);
    hs_ws_free(c);
}

/* A loopback port with nothing listening: bound, never listened on. */
static int unused_port(int *fd)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static void test_connect_refused(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256] = "";
    fake f;
    int fd;

    memset(&f, 0, sizeof(f));
    f.port = unused_port(&fd);
    o = opts_for(&f, NULL, NULL);
    assert_null(hs_ws_connect(&o, &hs, err, sizeof(err)));
    assert_non_null(strstr(err, "refused"));
    hs_ws_handshake_free(&hs);
    close(fd);
}

static void test_eof_before_head(void **state)
{
    static const char partial[] = "HTTP/1.1 101 Switching";
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256] = "";
    fake f = { .reply = partial, .reply_len = sizeof(partial) - 1,
               .then = FAKE_CLOSE };

    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    assert_null(hs_ws_connect(&o, &hs, err, sizeof(err)));
    fake_join(&f);
    assert_non_null(strstr(err, "closed TCP before the response head"));
    hs_ws_handshake_free(&hs);
}

static void test_timeout_before_head(void **state)
{
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256] = "";
    fake f = { .then = FAKE_WAIT_EOF };

    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    o.timeout_ms = 100;
    assert_null(hs_ws_connect(&o, &hs, err, sizeof(err)));
    fake_join(&f);
    assert_non_null(strstr(err, "no complete response head within 100 ms"));
    hs_ws_handshake_free(&hs);
}

static void test_not_http(void **state)
{
    static const char reply[] = "SSH-2.0-OpenSSH\r\n\r\n";
    hs_ws_handshake hs;
    hs_ws_opts o;
    char err[256] = "";
    fake f = { .reply = reply, .reply_len = sizeof(reply) - 1 };

    fake_start(&f);
    o = opts_for(&f, RFC_KEY, NULL);
    assert_null(hs_ws_connect(&o, &hs, err, sizeof(err)));
    fake_join(&f);
    assert_non_null(strstr(err, "not HTTP"));
    hs_ws_handshake_free(&hs);
    fake_end(&f);
}

/* ---- frames and messages ------------------------------------------------- */

/* Bytes that follow the 101 head in the same segment are not lost. */
static void test_frame_with_head(void **state)
{
    static const unsigned char early[] = { 0x81, 0x05, 'e', 'a', 'r', 'l', 'y' };
    hs_wsconn *c;
    hs_frame fr;
    fake f;

    c = open_rfc(&f, early, sizeof(early), NULL);
    assert_int_equal(unread_bytes(hs_ws_fd(c)), 0);
    assert_int_equal(hs_ws_recv_frame(c, 0, &fr), HS_WS_OK);
    assert_string_equal((char *)fr.payload, "early");
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* A frame that arrives a few bytes at a time is assembled across reads. */
static void test_frame_split_across_writes(void **state)
{
    static const unsigned char wire[] = { 0x81, 0x0C, 's', 'p', 'l', 'i', 't',
                                          ' ', 'f', 'r', 'a', 'm', 'e', '!' };
    static const size_t cuts[] = { 1, 3, 9, sizeof(wire) };
    hs_wsconn *c;
    hs_frame fr;
    size_t i, from = 0;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        write_exact(f.sfd, wire + from, cuts[i] - from);
        from = cuts[i];
        assert_true(wait_in(hs_ws_fd(c)));
        if (i + 1 < sizeof(cuts) / sizeof(cuts[0])) {
            assert_int_equal(hs_ws_recv_frame(c, 0, &fr), HS_WS_TIMEOUT);
            assert_int_equal(unread_bytes(hs_ws_fd(c)), 0);
        }
    }
    assert_int_equal(hs_ws_recv_frame(c, 0, &fr), HS_WS_OK);
    assert_int_equal(fr.opcode, HS_OP_TEXT);
    assert_int_equal(fr.len, 12);
    assert_string_equal((char *)fr.payload, "split frame!");
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* RFC 6455 5.4 and 5.5.2: fragments with control frames between them. */
static void test_fragments_with_ping(void **state)
{
    json_t *t = hs_transcript_new();
    hs_wsconn *c;
    hs_ws_msg m;
    hs_frame fr;
    fake f;

    c = open_rfc(&f, NULL, 0, t);
    srv_frame(&f, 0, HS_OP_TEXT, "Hel", 3);
    srv_frame(&f, 1, HS_OP_PING, "p1", 2);
    srv_frame(&f, 0, HS_OP_CONT, "lo ", 3);
    srv_frame(&f, 1, HS_OP_PONG, "zz", 2);
    srv_frame(&f, 1, HS_OP_CONT, "world", 5);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_OK);
    assert_int_equal(m.opcode, HS_OP_TEXT);
    assert_int_equal(m.len, 11);
    assert_string_equal((char *)m.data, "Hello world");
    hs_ws_msg_free(&m);

    srv_read_frame(&f, &fr);
    assert_int_equal(fr.opcode, HS_OP_PONG);
    assert_true(fr.masked);
    assert_true(fr.fin);
    assert_string_equal((char *)fr.payload, "p1");
    hs_frame_free(&fr);
    assert_non_null(find_entry(t, "recv", "frame", HS_OP_PING));
    assert_non_null(find_entry(t, "sent", "frame", HS_OP_PONG));
    hs_ws_free(c);
    fake_end(&f);
    json_decref(t);
}

/* RFC 6455 5.5.1: the peer's close is echoed, then TCP's end is awaited. */
static void test_close_1000_echoed(void **state)
{
    static const unsigned char bye[] = { 0x03, 0xE8, 'b', 'y', 'e' };
    hs_wsconn *c;
    hs_ws_msg m;
    hs_frame fr;
    fake f;
    int code;

    c = open_rfc(&f, NULL, 0, NULL);
    assert_int_equal(hs_ws_close_code(c), 0);
    srv_frame(&f, 1, HS_OP_CLOSE, bye, sizeof(bye));
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_OK);
    assert_int_equal(m.opcode, HS_OP_CLOSE);
    assert_int_equal(m.close_code, 1000);
    assert_string_equal(m.close_reason, "bye");
    assert_int_equal(hs_ws_close_code(c), 1000);
    hs_ws_msg_free(&m);

    srv_read_frame(&f, &fr);
    assert_int_equal(fr.opcode, HS_OP_CLOSE);
    assert_true(fr.masked);
    assert_int_equal(fr.len, 2);
    code = (fr.payload[0] << 8) | fr.payload[1];
    assert_int_equal(code, 1000);
    hs_frame_free(&fr);

    /* Data after the close frame is not a message (RFC 6455 5.5.1). */
    assert_false(hs_ws_closed(c));
    srv_frame(&f, 1, HS_OP_TEXT, "late", 4);
    fake_end(&f);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_EOF);
    assert_null(m.data);
    assert_true(hs_ws_closed(c));
    assert_int_equal(hs_ws_close_code(c), 1000);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_EOF);
    hs_ws_free(c);
}

/* A close without a code reads as 1005 and is answered without a code. */
static void test_close_without_code(void **state)
{
    hs_wsconn *c;
    hs_ws_msg m;
    hs_frame fr;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    srv_frame(&f, 1, HS_OP_CLOSE, NULL, 0);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_OK);
    assert_int_equal(m.opcode, HS_OP_CLOSE);
    assert_int_equal(m.close_code, 1005);
    srv_read_frame(&f, &fr);
    assert_int_equal(fr.opcode, HS_OP_CLOSE);
    assert_int_equal(fr.len, 0);
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* RFC 6455 7.1.5: TCP ended with no close frame is 1006. */
static void test_eof_without_close_is_1006(void **state)
{
    hs_wsconn *c;
    hs_ws_msg m;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    srv_frame(&f, 0, HS_OP_TEXT, "half", 4);
    fake_end(&f);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_EOF);
    assert_null(m.data);
    assert_true(hs_ws_closed(c));
    assert_int_equal(hs_ws_close_code(c), 1006);
    hs_ws_free(c);
}

/* Client-initiated close: ours goes out, theirs and TCP's end come back. */
static void test_client_close(void **state)
{
    static const unsigned char theirs[] = { 0x03, 0xE8 };
    hs_wsconn *c;
    hs_frame fr;
    fake f;
    int peer = 0;

    c = open_rfc(&f, NULL, 0, NULL);
    srv_frame(&f, 1, HS_OP_CLOSE, theirs, sizeof(theirs));
    shutdown(f.sfd, SHUT_WR);
    assert_int_equal(hs_ws_close(c, 1001, "going", CEILING_MS, &peer), HS_WS_OK);
    assert_int_equal(peer, 1000);
    assert_true(hs_ws_closed(c));
    srv_read_frame(&f, &fr);
    assert_int_equal(fr.opcode, HS_OP_CLOSE);
    assert_true(fr.masked);
    assert_int_equal(fr.len, 7);
    assert_int_equal((fr.payload[0] << 8) | fr.payload[1], 1001);
    assert_memory_equal(fr.payload + 2, "going", 5);
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* TCP ends without the peer's close frame: 1006. */
static void test_client_close_eof(void **state)
{
    hs_wsconn *c;
    fake f;
    int peer = 0;

    c = open_rfc(&f, NULL, 0, NULL);
    shutdown(f.sfd, SHUT_WR);
    assert_int_equal(hs_ws_close(c, 1000, NULL, CEILING_MS, &peer), HS_WS_EOF);
    assert_int_equal(peer, 1006);
    hs_ws_free(c);
    fake_end(&f);
}

/* A close handshake the peer never finishes ends at the ceiling. */
static void test_client_close_timeout(void **state)
{
    hs_wsconn *c;
    fake f;
    int peer = -1;

    c = open_rfc(&f, NULL, 0, NULL);
    assert_int_equal(hs_ws_close(c, 1000, NULL, 50, &peer), HS_WS_TIMEOUT);
    assert_int_equal(peer, 0);
    hs_ws_free(c);
    fake_end(&f);
}

static void test_recv_timeout(void **state)
{
    hs_wsconn *c;
    hs_ws_msg m;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    assert_int_equal(hs_ws_recv_message(c, 50, &m), HS_WS_TIMEOUT);
    hs_ws_free(c);
    fake_end(&f);
}

/* Masked with a fresh key per frame (RFC 6455 5.3), chopped or whole. */
static void test_send_masking_and_chop(void **state)
{
    static const unsigned char raw[] = { 0x89, 0x00 };
    unsigned char big[300];
    hs_frame_spec s = { .fin = 1, .opcode = HS_OP_BINARY, .masked = 1,
                        .payload = big, .len = sizeof(big), .declared_len = -1 };
    unsigned char key1[4];
    hs_wsconn *c;
    hs_frame fr;
    fake f;

    memset(big, 0xAB, sizeof(big));
    c = open_rfc(&f, NULL, 0, NULL);
    assert_int_equal(hs_ws_send_text(c, "hi", 2), HS_WS_OK);
    srv_read_frame(&f, &fr);
    assert_true(fr.masked);
    assert_true(fr.fin);
    assert_int_equal(fr.opcode, HS_OP_TEXT);
    assert_string_equal((char *)fr.payload, "hi");
    memcpy(key1, fr.key, 4);
    hs_frame_free(&fr);

    watch_fd = hs_ws_fd(c);
    send_calls = 0;
    assert_int_equal(hs_ws_send(c, &s, 100), HS_WS_OK);
    watch_fd = -1;
    /* 2 + 2 + 4 header bytes and 300 payload bytes: 308 in 100-byte writes. */
    assert_int_equal(send_calls, 4);
    assert_int_equal(send_sizes[0], 100);
    assert_int_equal(send_sizes[2], 100);
    assert_int_equal(send_sizes[3], 8);
    srv_read_frame(&f, &fr);
    assert_true(fr.masked);
    assert_memory_not_equal(fr.key, key1, 4);
    assert_int_equal(fr.len, sizeof(big));
    assert_memory_equal(fr.payload, big, sizeof(big));
    hs_frame_free(&fr);

    s.masked = 0;
    s.rsv = 4;
    assert_int_equal(hs_ws_send(c, &s, 1), HS_WS_OK);
    srv_read_frame(&f, &fr);
    assert_false(fr.masked);
    assert_int_equal(fr.rsv, 4);
    hs_frame_free(&fr);

    s.masked = 1;
    s.fixed_key = 1;
    memcpy(s.key, "\x01\x02\x03\x04", 4);
    assert_int_equal(hs_ws_send(c, &s, 0), HS_WS_OK);
    srv_read_frame(&f, &fr);
    assert_memory_equal(fr.key, "\x01\x02\x03\x04", 4);
    hs_frame_free(&fr);

    assert_int_equal(hs_ws_send_raw(c, raw, sizeof(raw), 1), HS_WS_OK);
    srv_read_frame(&f, &fr);
    assert_int_equal(fr.opcode, HS_OP_PING);
    assert_false(fr.masked);
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* A peer that reset the connection is an error code, not SIGPIPE. */
static void test_send_after_reset(void **state)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    hs_wsconn *c;
    fake f;
    int i, r = HS_WS_OK;

    c = open_rfc(&f, NULL, 0, NULL);
    setsockopt(f.sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    fake_end(&f);
    for (i = 0; i < 10 && r == HS_WS_OK; i++)
        r = hs_ws_send_text(c, "x", 1);
    assert_int_equal(r, HS_WS_ERR);
    assert_non_null(strstr(hs_ws_last_error(c), "send"));
    /* The reset is reported once; from then on the socket gives EPIPE. */
    assert_int_equal(hs_ws_send_text(c, "x", 1), HS_WS_ERR);
    assert_non_null(strstr(hs_ws_last_error(c), "Broken pipe"));
    hs_ws_free(c);
}

/* Frames a server must never send are HS_WS_PROTO for recv_message. */
static void test_peer_violations(void **state)
{
    static const unsigned char masked[] = { 0x81, 0x81, 1, 2, 3, 4, 'a' ^ 1 };
    static const unsigned char rsv[] = { 0xC1, 0x01, 'a' };
    static const unsigned char reserved[] = { 0x83, 0x00 };
    static const unsigned char bad_utf8[] = { 0x81, 0x02, 0xC0, 0x80 };
    static const unsigned char stray_cont[] = { 0x80, 0x01, 'a' };
    static const unsigned char frag_ping[] = { 0x09, 0x00 };
    static const unsigned char bad_code[] = { 0x88, 0x02, 0x03, 0xED };
    static const unsigned char *const cases[] = { masked, rsv, reserved, bad_utf8,
                                                  stray_cont, frag_ping, bad_code };
    static const size_t lens[] = { sizeof(masked), sizeof(rsv), sizeof(reserved),
                                   sizeof(bad_utf8), sizeof(stray_cont),
                                   sizeof(frag_ping), sizeof(bad_code) };
    hs_wsconn *c;
    hs_ws_msg m;
    fake f;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = open_rfc(&f, cases[i], lens[i], NULL);
        assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_PROTO);
        assert_non_null(strstr(hs_ws_last_error(c), "RFC 6455"));
        hs_ws_free(c);
        fake_end(&f);
    }
}

/* Undecodable or oversized headers fail at once, without the payload. */
static void test_undecodable_frames(void **state)
{
    static const unsigned char msb[] = { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1 };
    static const unsigned char huge[] = { 0x82, 0x7F, 0, 0, 0, 0, 0x04, 0, 0, 1 };
    hs_wsconn *c;
    hs_frame fr;
    fake f;

    c = open_rfc(&f, msb, sizeof(msb), NULL);
    assert_int_equal(hs_ws_recv_frame(c, CEILING_MS, &fr), HS_WS_PROTO);
    hs_ws_free(c);
    fake_end(&f);
    c = open_rfc(&f, huge, sizeof(huge), NULL);
    assert_int_equal(hs_ws_recv_frame(c, CEILING_MS, &fr), HS_WS_PROTO);
    assert_non_null(strstr(hs_ws_last_error(c), "64 MiB"));
    hs_ws_free(c);
    fake_end(&f);
}

/* ---- wire faults (hs_wirefault) ------------------------------------------- */

/* Wait up to ms for fd to be readable: 1 when it is. */
static int wait_in_ms(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 1;
}

/* The first entry of kind what whose text holds text, or NULL. */
static json_t *find_text(json_t *t, const char *what, const char *text)
{
    size_t i;
    json_t *e;

    json_array_foreach(t, i, e)
        if (strcmp(json_string_value(json_object_get(e, "what")), what) == 0 &&
            strstr(json_string_value(json_object_get(e, "text")) ?: "", text))
            return e;
    return NULL;
}

/* Pongs dropped: the ping is read and the message after it delivered, but
 * nothing reaches the server, and the transcript says why. */
static void test_wire_drop_pong(void **state)
{
    hs_wire w = { .drop = 1u << HS_OP_PONG };
    json_t *t = hs_transcript_new();
    hs_wsconn *c;
    hs_ws_msg m;
    fake f;

    c = open_rfc(&f, NULL, 0, t);
    hs_ws_set_wire(c, &w);
    srv_frame(&f, 1, HS_OP_PING, "p1", 2);
    srv_frame(&f, 1, HS_OP_TEXT, "after", 5);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_OK);
    assert_string_equal((char *)m.data, "after");
    hs_ws_msg_free(&m);
    assert_false(wait_in_ms(f.sfd, 100));
    assert_null(find_entry(t, "sent", "frame", HS_OP_PONG));
    assert_non_null(find_text(t, "wire", "our pong frame dropped"));
    hs_ws_free(c);
    fake_end(&f);
    json_decref(t);
}

/* A split header: its first byte alone, then the rest; slices: pieces of
 * at most that many bytes. The server reads the same frame either way. */
static void test_wire_split_and_slices(void **state)
{
    hs_wire split = { .split_header = 1 }, sliced = { .send = { .slice = 3 } };
    hs_wsconn *c;
    hs_frame fr;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    hs_ws_set_wire(c, &split);
    watch_fd = hs_ws_fd(c);
    send_calls = 0;
    assert_int_equal(hs_ws_send_text(c, "hi", 2), HS_WS_OK);
    /* 2 header bytes, 4 of mask, 2 of payload: 1, then 7. */
    assert_int_equal(send_calls, 2);
    assert_int_equal(send_sizes[0], 1);
    assert_int_equal(send_sizes[1], 7);
    srv_read_frame(&f, &fr);
    assert_string_equal((char *)fr.payload, "hi");
    hs_frame_free(&fr);

    hs_ws_set_wire(c, &sliced);
    send_calls = 0;
    assert_int_equal(hs_ws_send_text(c, "hi", 2), HS_WS_OK);
    watch_fd = -1;
    assert_int_equal(send_calls, 3);
    assert_int_equal(send_sizes[0], 3);
    assert_int_equal(send_sizes[2], 2);
    srv_read_frame(&f, &fr);
    assert_string_equal((char *)fr.payload, "hi");
    hs_frame_free(&fr);
    hs_ws_free(c);
    fake_end(&f);
}

/* stop_reading leaves the server's bytes in our kernel until the judge
 * observes; blackhole sends nothing. */
static void test_wire_stop_reading_and_blackhole(void **state)
{
    hs_wire stop = { .stop_reading = 1 }, hole = { .blackhole = 1 };
    hs_wsconn *c;
    hs_ws_msg m;
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    hs_ws_set_wire(c, &stop);
    srv_frame(&f, 1, HS_OP_TEXT, "unread", 6);
    assert_int_equal(hs_ws_recv_message(c, 100, &m), HS_WS_TIMEOUT);
    assert_false(hs_ws_reading(c));
    assert_cmp_int(unread_bytes(hs_ws_fd(c)), >, 0);
    hs_ws_observe(c, 1);
    assert_int_equal(hs_ws_recv_message(c, CEILING_MS, &m), HS_WS_OK);
    assert_string_equal((char *)m.data, "unread");
    hs_ws_msg_free(&m);

    hs_ws_set_wire(c, &hole);
    assert_int_equal(hs_ws_send_text(c, "lost", 4), HS_WS_OK);
    assert_false(wait_in_ms(f.sfd, 100));
    hs_ws_free(c);
    fake_end(&f);
}

/* A reset reaches the server as ECONNRESET, not a FIN. */
static void test_wire_reset(void **state)
{
    hs_wsconn *c;
    char b[8];
    fake f;

    c = open_rfc(&f, NULL, 0, NULL);
    hs_ws_reset(c);
    assert_true(wait_in(f.sfd));
    assert_int_equal(recv(f.sfd, b, sizeof(b), 0), -1);
    assert_int_equal(errno, ECONNRESET);
    hs_ws_free(c);
    fake_end(&f);
}

/* ---- transcript ----------------------------------------------------------- */

static void test_sanitize(void **state)
{
    char *s = hs_escape_sanitize((const unsigned char *)"ok\xC3\xA9\xFF\x00\x1b\t\xC2\x85", 10);

    assert_string_equal(s, "ok\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\t\xEF\xBF\xBD");
    free(s);
}

static void test_transcript_frame_fields(void **state)
{
    static const unsigned char close_p[] = { 0x03, 0xF0, 'b', 'a', 'd', 0xFF };
    unsigned char big[300];
    hs_frame fr = { .fin = 1, .opcode = HS_OP_CLOSE, .len = sizeof(close_p),
                    .payload = (unsigned char *)close_p };
    hs_frame_spec s = { .fin = 0, .rsv = 2, .opcode = HS_OP_BINARY, .masked = 1,
                        .payload = big, .len = sizeof(big), .declared_len = 5,
                        .len_form = 64 };
    json_t *t = hs_transcript_new(), *e;

    memset(big, 'z', sizeof(big));
    hs_transcript_frame(t, "recv", &fr);
    e = json_array_get(t, 0);
    assert_string_equal(json_string_value(json_object_get(e, "op")), "close");
    assert_int_equal(json_integer_value(json_object_get(e, "close_code")), 1008);
    assert_string_equal(json_string_value(json_object_get(e, "close_reason")),
                        "bad\xEF\xBF\xBD");
    assert_string_equal(json_string_value(json_object_get(e, "hex")), "03f0626164ff");
    assert_true(json_is_real(json_object_get(e, "t_ms")));
    assert_null(json_object_get(e, "truncated"));

    hs_transcript_spec(t, &s, 3);
    e = json_array_get(t, 1);
    assert_string_equal(json_string_value(json_object_get(e, "dir")), "sent");
    assert_true(json_is_false(json_object_get(e, "fin")));
    assert_int_equal(json_integer_value(json_object_get(e, "rsv")), 2);
    assert_int_equal(json_integer_value(json_object_get(e, "len")), 300);
    assert_int_equal(json_integer_value(json_object_get(e, "declared_len")), 5);
    assert_int_equal(json_integer_value(json_object_get(e, "len_form")), 64);
    assert_int_equal(json_integer_value(json_object_get(e, "chop")), 3);
    assert_true(json_is_true(json_object_get(e, "truncated")));
    assert_int_equal(strlen(json_string_value(json_object_get(e, "hex"))),
                     2 * HS_TRANSCRIPT_PREVIEW);
    json_decref(t);
}

static void test_transcript_cap(void **state)
{
    json_t *t = hs_transcript_new(), *last;
    int i;

    for (i = 0; i < HS_TRANSCRIPT_MAX + 50; i++)
        hs_transcript_note(t, "n%d", i);
    assert_int_equal(json_array_size(t), HS_TRANSCRIPT_MAX + 1);
    last = json_array_get(t, HS_TRANSCRIPT_MAX);
    assert_string_equal(json_string_value(json_object_get(last, "text")),
                        "transcript truncated");
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "text")),
                        "n0");
    json_decref(t);
    hs_transcript_note(NULL, "no transcript is fine");
}

static void test_clock_monotonic(void **state)
{
    double a, b;

    hs_clock_reset();
    a = hs_now_ms();
    b = hs_now_ms();
    assert_cmp_dbl(a, >=, 0);
    assert_cmp_dbl(a, <, 1000);
    assert_cmp_dbl(b, >=, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_rfc_example),
        cmocka_unit_test(test_handshake_101_accept_ok),
        cmocka_unit_test(test_handshake_random_key),
        cmocka_unit_test(test_handshake_wrong_accept),
        cmocka_unit_test(test_handshake_omissions),
        cmocka_unit_test(test_handshake_request_line),
        cmocka_unit_test(test_handshake_500_body),
        cmocka_unit_test(test_handshake_body_until_close),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_eof_before_head),
        cmocka_unit_test(test_timeout_before_head),
        cmocka_unit_test(test_not_http),
        cmocka_unit_test(test_frame_with_head),
        cmocka_unit_test(test_frame_split_across_writes),
        cmocka_unit_test(test_fragments_with_ping),
        cmocka_unit_test(test_close_1000_echoed),
        cmocka_unit_test(test_close_without_code),
        cmocka_unit_test(test_eof_without_close_is_1006),
        cmocka_unit_test(test_client_close),
        cmocka_unit_test(test_client_close_eof),
        cmocka_unit_test(test_client_close_timeout),
        cmocka_unit_test(test_recv_timeout),
        cmocka_unit_test(test_send_masking_and_chop),
        cmocka_unit_test(test_send_after_reset),
        cmocka_unit_test(test_peer_violations),
        cmocka_unit_test(test_undecodable_frames),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_transcript_frame_fields),
        cmocka_unit_test(test_transcript_cap),
        cmocka_unit_test(test_clock_monotonic),
        cmocka_unit_test(test_wire_drop_pong),
        cmocka_unit_test(test_wire_split_and_slices),
        cmocka_unit_test(test_wire_stop_reading_and_blackhole),
        cmocka_unit_test(test_wire_reset),
    };

    return cmocka_run_group_tests_name("hs_wsconn", tests, NULL, NULL);
}
