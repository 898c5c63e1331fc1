/*
 * hs_http: one HTTP/1.1 exchange with ceilings. See hs_http.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_http.h"
#include "hs_transcript.h"

typedef struct http_conn {
    int fd;
    double end;
    hs_buf in;                  /* everything read so far */
} http_conn;

static int left_ms(const http_conn *c)
{
    double l = c->end - hs_now_ms();

    return l > 0 ? (int)l + 1 : 0;
}

/* Non-blocking connect, finished within the ceiling. */
static int dial(http_conn *c, const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = { 0 }, *ai = NULL;
    char svc[16];
    int rc, soerr = 0;
    socklen_t sl = sizeof(soerr);
    struct pollfd p;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(svc, sizeof(svc), "%d", port);
    if (getaddrinfo(host, svc, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve %s", host);
        return -1;
    }
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    rc = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno == EINPROGRESS) {
        p.fd = c->fd;
        p.events = POLLOUT;
        p.revents = 0;
        rc = poll(&p, 1, left_ms(c)) == 1 &&
             getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0 ? 0 : -1;
        errno = soerr ? soerr : ETIMEDOUT;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(errno));
        return -1;
    }
    return 0;
}

static int send_all(http_conn *c, const char *p, size_t n, char *err, size_t errlen)
{
    while (n > 0) {
        struct pollfd pf = { c->fd, POLLOUT, 0 };
        ssize_t w;

        if (poll(&pf, 1, left_ms(c)) != 1) {
            snprintf(err, errlen, "timed out sending the request");
            return -1;
        }
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "send: %s", strerror(errno));
            return -1;
        }
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

/* Read more bytes: 1 got some, 0 EOF, -1 timeout or error. */
static int fill(http_conn *c)
{
    char buf[65536];
    struct pollfd p = { c->fd, POLLIN, 0 };
    ssize_t n;

    for (;;) {
        if (poll(&p, 1, left_ms(c)) != 1)
            return -1;
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0)
            return hs_buf_append(&c->in, buf, (size_t)n) == 0 ? 1 : -1;
        if (n == 0)
            return 0;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
}

static int build_request(hs_buf *b, const char *host, int port, const char *method,
                         const char *path, const char *const *headers, const char *body)
{
    hs_buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
                  "User-Agent: wsfault-harness\r\n", method, path, host, port);
    for (size_t i = 0; headers && headers[i]; i++)
        hs_buf_printf(b, "%s\r\n", headers[i]);
    if (body)
        hs_buf_printf(b, "Content-Length: %zu\r\n", strlen(body));
    hs_buf_puts(b, "\r\n");
    if (body)
        hs_buf_puts(b, body);
    return hs_buf_failed(b) ? -1 : 0;
}

static void printable(char *dst, size_t len, const char *src, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < len; i++)
        dst[k++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[k] = '\0';
}

/* Status line and headers; returns the head's length or -1. */
static long parse_head(hs_http_resp *r, const char *p, size_t n, char *err, size_t errlen)
{
    const char *end = memmem(p, n, "\r\n\r\n", 4);
    const char *line, *eol;
    int minor;

    if (!end)
        return 0;
    eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
    printable(r->status_line, sizeof(r->status_line), p, (size_t)(eol - p));
    if (sscanf(r->status_line, "HTTP/1.%d %d", &minor, &r->status) != 2 ||
        r->status < 100 || r->status > 999) {
        snprintf(err, errlen, "not an HTTP response: \"%.80s\"", r->status_line);
        return -1;
    }
    r->headers = json_object();
    for (line = eol + 2; line < end + 2; line = eol + 2) {
        const char *colon;
        char name[128], value[1024];

        eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon || colon == line || (size_t)(colon - line) >= sizeof(name))
            continue;
        printable(name, sizeof(name), line, (size_t)(colon - line));
        for (char *q = name; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        colon++;
        while (colon < eol && *colon == ' ')
            colon++;
        printable(value, sizeof(value), colon, (size_t)(eol - colon));
        json_object_set_new(r->headers, name, json_string(value));
    }
    return (long)(end - p) + 4;
}

/* Decode a chunked body in place into out; 1 complete, 0 need more, -1 bad. */
static int dechunk(const char *p, size_t n, hs_buf *out)
{
    size_t i = 0;

    hs_buf_reset(out);
    for (;;) {
        const char *eol = memmem(p + i, n - i, "\r\n", 2);
        char *endp;
        unsigned long size;

        if (!eol)
            return 0;
        size = strtoul(p + i, &endp, 16);
        if (endp == p + i)
            return -1;
        i = (size_t)(eol - p) + 2;
        if (size == 0)
            return 1;
        if (size > HS_HTTP_MAX_BODY || i + size + 2 > n)
            return size > HS_HTTP_MAX_BODY ? -1 : 0;
        hs_buf_append(out, p + i, size);
        i += size + 2;
    }
}

/* 1 when the body is complete in c->in after head bytes, 0 need more, -1 bad. */
static int body_done(http_conn *c, hs_http_resp *r, long head, int eof, hs_buf *chunked)
{
    const char *cl = json_string_value(json_object_get(r->headers, "content-length"));
    const char *te = json_string_value(json_object_get(r->headers, "transfer-encoding"));
    size_t have = c->in.len - (size_t)head;

    if (te && strcasestr(te, "chunked"))
        return dechunk(c->in.p + head, have, chunked);
    if (cl)
        return have >= strtoul(cl, NULL, 10) ? 1 : (eof ? -1 : 0);
    if (have > HS_HTTP_MAX_BODY)
        return -1;
    return eof ? 1 : 0;
}

static void set_body(hs_http_resp *r, const char *p, size_t n)
{
    r->body = malloc(n + 1);
    if (!r->body)
        return;
    memcpy(r->body, p, n);
    r->body[n] = '\0';
    r->body_len = n;
    r->json = json_loadb(r->body, n, 0, NULL);
}

static int read_response(http_conn *c, hs_http_resp *r, char *err, size_t errlen)
{
    hs_buf chunked = HS_BUF_INIT;
    long head = 0;
    int eof = 0, done = 0, got;

    while (!done) {
        got = fill(c);
        if (got < 0) {
            snprintf(err, errlen, "%s", head ? "timed out reading the body"
                                             : "no HTTP answer within the timeout");
            break;
        }
        eof = got == 0;
        if (!head && (head = parse_head(r, c->in.p ? c->in.p : "", c->in.len, err, errlen)) < 0)
            break;
        if (!head && eof) {
            snprintf(err, errlen, "connection closed before an HTTP answer");
            break;
        }
        done = head ? body_done(c, r, head, eof, &chunked) : 0;
        if (done < 0)
            snprintf(err, errlen, "malformed or oversized HTTP body");
    }
    if (done > 0) {
        const char *te = json_string_value(json_object_get(r->headers, "transfer-encoding"));
        const char *cl = json_string_value(json_object_get(r->headers, "content-length"));
        size_t n = cl ? strtoul(cl, NULL, 10) : c->in.len - (size_t)head;

        if (te && strcasestr(te, "chunked"))
            set_body(r, chunked.p ? chunked.p : "", chunked.len);
        else
            set_body(r, c->in.p + head, n);
    }
    hs_buf_free(&chunked);
    return done > 0 ? 0 : -1;
}

int hs_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const char *body, int timeout_ms,
                    hs_http_resp *r, char *err, size_t errlen)
{
    http_conn c = { -1, hs_now_ms() + (timeout_ms > 0 ? timeout_ms : 5000), HS_BUF_INIT };
    hs_buf req = HS_BUF_INIT;
    int rc = HS_HTTP_ERR;

    memset(r, 0, sizeof(*r));
    if (build_request(&req, host, port, method ? method : "GET", path, headers, body) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (dial(&c, host, port, err, errlen) != 0 ||
        send_all(&c, req.p, req.len, err, errlen) != 0)
        goto out;
    if (read_response(&c, r, err, errlen) == 0)
        rc = HS_HTTP_OK;
out:
    if (c.fd >= 0)
        close(c.fd);
    hs_buf_free(&req);
    hs_buf_free(&c.in);
    return rc;
}

void hs_http_resp_free(hs_http_resp *r)
{
    json_decref(r->headers);
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
