/*
 * hs_http: one HTTP/1.1 exchange with a ceiling. See hs_http.h.
 *
 * Everything received stays in one buffer; the head is parsed once it is
 * complete, then the body is judged complete by its framing. A chunked body
 * is decoded as it arrives, resuming where the last complete chunk ended,
 * so a large body costs linear time.
 */
#include "wire/hs_http.h"
#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_hex.h"
#include "util/hs_clock.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
#define READ_CHUNK 65536
/* Raw bytes accepted for one response: chunk framing may add overhead. */
#define MAX_RAW ((size_t)HS_HTTP_MAX_HEAD + 2 * (size_t)HS_HTTP_MAX_BODY)
#define MAX_CHUNK_LINE 1024

typedef enum body_kind { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_EOF } body_kind;

typedef struct http_conn {
    int fd;
    double deadline;        /* hs_now_ms() time */
    int timeout_ms;
    const char *host;
    int port;
    hs_buf in;              /* every byte received */
    size_t head;            /* length of status line + headers + blank line; 0 until known */
    int eof;
} http_conn;

typedef struct body_state {
    body_kind kind;
    size_t length;          /* BODY_LENGTH */
    size_t pos;             /* BODY_CHUNKED: next unparsed byte in conn.in */
    int in_trailers;        /* BODY_CHUNKED: the last chunk was seen */
    hs_buf decoded;         /* BODY_CHUNKED: the body so far */
} body_state;

static int timed_out(const http_conn *c, const char *doing, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s %s:%d: no complete answer within %d ms (%zu bytes received)",
             doing, c->host, c->port, c->timeout_ms, c->in.len);
    return HS_HTTP_ETIMEOUT;
}

/* ---- request --------------------------------------------------------- */

/* RFC 7230 section 3.2.6 tchar. */
static int is_tchar(unsigned char ch)
{
    return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_tchar((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Caller headers must not smuggle a second header or request. */
static int check_request(const char *method, const char *path, const char *const *headers,
                         char *err, size_t errlen)
{
    if (!is_token(method, strlen(method))) {
        snprintf(err, errlen, "HTTP method is not a token");
        return HS_HTTP_ERR;
    }
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            snprintf(err, errlen, "HTTP path holds a blank or control byte");
            return HS_HTTP_ERR;
        }
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        const char *colon = strchr(headers[i], ':');

        if (!colon || !is_token(headers[i], (size_t)(colon - headers[i])) ||
            strpbrk(headers[i], "\r\n")) {
            snprintf(err, errlen, "request header %zu is not one \"Name: value\" line", i + 1);
            return HS_HTTP_ERR;
        }
    }
    return HS_HTTP_OK;
}

/* Did the caller give a header with this name? */
static int has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; headers && headers[i]; i++) {
        if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return 1;
    }
    return 0;
}

static void build_request(hs_buf *b, const char *host, int port, const char *method,
                          const char *path, const char *const *headers, const char *body)
{
    const char *lb = strchr(host, ':') ? "[" : "", *rb = strchr(host, ':') ? "]" : "";

    hs_buf_printf(b, "%s %s HTTP/1.1\r\n", method, path);
    if (!has_header(headers, "Host"))
        hs_buf_printf(b, "Host: %s%s%s:%d\r\n", lb, host, rb, port);
    if (!has_header(headers, "Connection"))
        hs_buf_puts(b, "Connection: close\r\n");
    if (!has_header(headers, "User-Agent"))
        hs_buf_puts(b, "User-Agent: wsfault-harness\r\n");
    if (body && !has_header(headers, "Content-Length"))
        hs_buf_printf(b, "Content-Length: %zu\r\n", strlen(body));
    for (size_t i = 0; headers && headers[i]; i++)
        hs_buf_printf(b, "%s\r\n", headers[i]);
    hs_buf_puts(b, "\r\n");
    hs_buf_puts(b, body);
}

/* ---- connection ------------------------------------------------------ */

/* One non-blocking connect, finished within the ceiling. 0, or errno. */
static int connect_one(http_conn *c, const struct addrinfo *ai)
{
    struct pollfd p;
    socklen_t sl = sizeof(int);
    int e = 0;

    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return errno;
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0)
        e = errno;
    if (e == EINPROGRESS) {
        p = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
        e = ETIMEDOUT;
        if (poll(&p, 1, hs_clock_left_ms(c->deadline)) == 1)
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
    }
    if (e != 0) {
        close(c->fd);
        c->fd = -1;
    }
    return e;
}

/* Try each address of host in turn. */
static int dial(http_conn *c, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *list = NULL;
    char svc[16];
    int e = EHOSTUNREACH, gai;

    snprintf(svc, sizeof svc, "%d", c->port);
    gai = getaddrinfo(c->host, svc, &hints, &list);
    if (gai != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", c->host, gai_strerror(gai));
        return HS_HTTP_ERR;
    }
    for (const struct addrinfo *ai = list; ai && c->fd < 0 && hs_clock_left_ms(c->deadline) > 0; ai = ai->ai_next)
        e = connect_one(c, ai);
    freeaddrinfo(list);
    if (c->fd >= 0)
        return HS_HTTP_OK;
    if (e == ETIMEDOUT || hs_clock_left_ms(c->deadline) == 0)
        return timed_out(c, "connect to", err, errlen);
    snprintf(err, errlen, "cannot connect to %s:%d: %s", c->host, c->port, strerror(e));
    return HS_HTTP_ERR;
}

static int send_all(http_conn *c, const char *p, size_t n, char *err, size_t errlen)
{
    while (n > 0) {
        struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
        ssize_t w;

        if (poll(&pf, 1, hs_clock_left_ms(c->deadline)) != 1)
            return timed_out(c, "send to", err, errlen);
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "send to %s:%d: %s", c->host, c->port, strerror(errno));
            return HS_HTTP_ERR;
        }
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
    return HS_HTTP_OK;
}

/*
 * Receive what is there into c->in (or note EOF). A reset after some
 * bytes counts as EOF: a server may close hard right after answering.
 */
static int fill(http_conn *c, char *err, size_t errlen)
{
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    ssize_t n;

    if (c->in.len > MAX_RAW) {
        snprintf(err, errlen, "response from %s:%d exceeds %zu bytes", c->host, c->port,
                 MAX_RAW);
        return HS_HTTP_ERR;
    }
    if (poll(&p, 1, hs_clock_left_ms(c->deadline)) != 1)
        return timed_out(c, "read from", err, errlen);
    if (hs_buf_reserve(&c->in, READ_CHUNK) != 0) {
        snprintf(err, errlen, "out of memory reading the response");
        return HS_HTTP_ERR;
    }
    n = recv(c->fd, c->in.p + c->in.len, READ_CHUNK, 0);
    if (n > 0) {
        c->in.len += (size_t)n;
        c->in.p[c->in.len] = '\0';
    } else if (n == 0 || (errno == ECONNRESET && c->in.len > 0)) {
        c->eof = 1;
    } else if (errno != EAGAIN && errno != EINTR) {
        snprintf(err, errlen, "read from %s:%d: %s", c->host, c->port, strerror(errno));
        return HS_HTTP_ERR;
    }
    return HS_HTTP_OK;
}

/* ---- head ------------------------------------------------------------ */

/* "HTTP/1.x SSS[ reason]": the status, 100..599, or -1. */
static int status_code(const char *p, size_t n)
{
    if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]) ||
        p[8] != ' ' || (n > 12 && p[12] != ' '))
        return -1;
    for (int i = 9; i < 12; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
    }
    if (p[9] < '1' || p[9] > '5')
        return -1;
    return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* The status line; status_line keeps a printable copy. */
static int parse_status(const char *p, size_t n, hs_http_resp *r, char *err, size_t errlen)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < sizeof r->status_line; i++)
        r->status_line[k++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
    r->status_line[k] = '\0';
    r->status = status_code(p, n);
    if (r->status < 0) {
        snprintf(err, errlen, "not an HTTP/1.x status line (%zu bytes)", n);
        return HS_HTTP_ERR;
    }
    return HS_HTTP_OK;
}

/* A JSON string of v[0..n): itself when valid UTF-8, else its escaped form. */
static json_t *header_value(const char *v, size_t n)
{
    hs_buf esc = HS_BUF_INIT;
    json_t *s = json_stringn(v, n);

    if (s)
        return s;
    hs_escape_term(v, n, &esc);
    s = json_stringn(esc.p ? esc.p : "", esc.len);
    hs_buf_free(&esc);
    return s;
}

/* Add one field; a repeated name gets its values joined by ", ". */
static int add_header(json_t *h, const char *name, const char *v, size_t n)
{
    json_t *old = json_object_get(h, name), *val = header_value(v, n);
    char *joined = NULL;

    if (val && old && asprintf(&joined, "%s, %s", json_string_value(old),
                               json_string_value(val)) >= 0) {
        json_decref(val);
        val = json_string(joined);
        free(joined);
    }
    return val && json_object_set_new(h, name, val) == 0 ? HS_HTTP_OK : HS_HTTP_ERR;
}

/* "Name: value" between p and end (no CRLF). */
static int parse_field(json_t *h, const char *p, const char *end)
{
    const char *colon = memchr(p, ':', (size_t)(end - p));
    char name[256];
    size_t nlen;

    if (!colon || !is_token(p, (size_t)(colon - p)) || (size_t)(colon - p) >= sizeof name)
        return HS_HTTP_ERR;
    nlen = (size_t)(colon - p);
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)tolower((unsigned char)p[i]);
    name[nlen] = '\0';
    p = colon + 1;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return add_header(h, name, p, (size_t)(end - p));
}

/* Status line and fields of c->in[0..c->head). */
static int parse_head(http_conn *c, hs_http_resp *r, char *err, size_t errlen)
{
    const char *p = c->in.p, *end = c->in.p + c->head - 2;
    const char *eol = memmem(p, c->head, "\r\n", 2);
    size_t line = 1;

    if (parse_status(p, (size_t)(eol - p), r, err, errlen) != HS_HTTP_OK)
        return HS_HTTP_ERR;
    r->headers = json_object();
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
        line++;
        if (!r->headers || parse_field(r->headers, p, eol) != HS_HTTP_OK) {
            snprintf(err, errlen, "malformed header field on response line %zu", line);
            return HS_HTTP_ERR;
        }
    }
    return HS_HTTP_OK;
}

/* Has the blank line ending the head arrived? Sets c->head. */
static int head_complete(http_conn *c, char *err, size_t errlen)
{
    const char *end = c->in.len ? memmem(c->in.p, c->in.len, "\r\n\r\n", 4) : NULL;

    if (end) {
        c->head = (size_t)(end - c->in.p) + 4;
        return 1;
    }
    if (c->in.len > HS_HTTP_MAX_HEAD) {
        snprintf(err, errlen, "response head exceeds %u bytes", HS_HTTP_MAX_HEAD);
        return -1;
    }
    return 0;
}

/* ---- body framing ---------------------------------------------------- */

/* Content-Length: digits only; repeats ("5, 5") must agree. */
static int parse_length(const char *v, size_t *out)
{
    int seen = 0;

    while (*v) {
        char *end;
        unsigned long long n;

        if (!isdigit((unsigned char)*v))
            return -1;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno || (seen && n != *out))
            return -1;
        *out = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
        seen = 1;
        v = end;
        while (*v == ',' || *v == ' ')
            v++;
    }
    return seen ? 0 : -1;
}

/* Does the last transfer coding say chunked? */
static int ends_chunked(const char *te)
{
    size_t n = strlen(te);

    while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t'))
        n--;
    return n >= 7 && strncasecmp(te + n - 7, "chunked", 7) == 0 &&
           (n == 7 || te[n - 8] == ',' || te[n - 8] == ' ');
}

/* RFC 7230 section 3.3.3, in its order. */
static int choose_framing(const char *method, hs_http_resp *r, body_state *b, char *err,
                          size_t errlen)
{
    const char *te = json_string_value(json_object_get(r->headers, "transfer-encoding"));
    const char *cl = json_string_value(json_object_get(r->headers, "content-length"));

    b->kind = BODY_EOF;
    if (strcmp(method, "HEAD") == 0 || r->status < 200 || r->status == 204 || r->status == 304)
        b->kind = BODY_NONE;
    else if (te)
        b->kind = ends_chunked(te) ? BODY_CHUNKED : BODY_EOF;
    else if (cl && parse_length(cl, &b->length) != 0) {
        snprintf(err, errlen, "response has an invalid Content-Length");
        return HS_HTTP_ERR;
    } else if (cl)
        b->kind = BODY_LENGTH;
    if (b->kind == BODY_LENGTH && b->length > HS_HTTP_MAX_BODY) {
        snprintf(err, errlen, "response declares a body of %zu bytes, over the %u-byte cap",
                 b->length, HS_HTTP_MAX_BODY);
        return HS_HTTP_ERR;
    }
    return HS_HTTP_OK;
}

/* One chunk-size line at b->pos: size, or -1 malformed, -2 need more. */
static long long chunk_size(const http_conn *c, body_state *b, size_t *data_at)
{
    const char *p = c->in.p + b->pos;
    size_t avail = c->in.len - b->pos;
    const char *eol = memmem(p, avail, "\r\n", 2);
    long long size = 0;
    size_t i = 0;

    if (!eol)
        return avail > MAX_CHUNK_LINE ? -1 : -2;
    for (; p + i < eol && hs_hex_digit(p[i]) >= 0; i++) {
        if (size > (long long)HS_HTTP_MAX_BODY)
            return -1;
        size = size * 16 + hs_hex_digit(p[i]);
    }
    if (i == 0 || (p + i < eol && p[i] != ';' && p[i] != ' ' && p[i] != '\t'))
        return -1;
    *data_at = (size_t)(eol - c->in.p) + 2;
    return size;
}

/* Skip trailer fields until the blank line: 1 done, 0 need more. */
static int skip_trailers(const http_conn *c, body_state *b)
{
    for (;;) {
        const char *p = c->in.p + b->pos;
        const char *eol = memmem(p, c->in.len - b->pos, "\r\n", 2);

        if (!eol)
            return 0;
        b->pos = (size_t)(eol - c->in.p) + 2;
        if (eol == p)
            return 1;
    }
}

/* Decode the chunks that have fully arrived: 1 body complete, 0 need more, -1 bad. */
static int dechunk(const http_conn *c, body_state *b)
{
    while (!b->in_trailers) {
        size_t data_at = 0;
        long long size = chunk_size(c, b, &data_at);

        if (size == -2)
            return 0;
        if (size < 0 || b->decoded.len + (size_t)size > HS_HTTP_MAX_BODY)
            return -1;
        if (size == 0) {
            b->pos = data_at;
            b->in_trailers = 1;
            break;
        }
        if (c->in.len < data_at + (size_t)size + 2)
            return 0;
        if (memcmp(c->in.p + data_at + size, "\r\n", 2) != 0 ||
            hs_buf_append(&b->decoded, c->in.p + data_at, (size_t)size) != 0)
            return -1;
        b->pos = data_at + (size_t)size + 2;
    }
    return skip_trailers(c, b);
}

/* 1 when the body is complete, 0 need more, -1 with err. */
static int body_complete(http_conn *c, body_state *b, char *err, size_t errlen)
{
    size_t have = c->in.len - c->head;
    int r = 1;

    if (b->kind == BODY_CHUNKED)
        r = dechunk(c, b);
    else if (b->kind == BODY_LENGTH)
        r = have >= b->length;
    else if (b->kind == BODY_EOF)
        r = have > HS_HTTP_MAX_BODY ? -1 : c->eof;
    if (r < 0)
        snprintf(err, errlen, "%s", b->kind == BODY_CHUNKED ? "malformed chunked body"
                                                            : "response body over the cap");
    else if (r == 0 && c->eof)
        snprintf(err, errlen, "connection closed after %zu body bytes%s", have,
                 b->kind == BODY_LENGTH ? " of a longer Content-Length" : " inside a chunked body");
    return r == 0 && c->eof ? -1 : r;
}

/* ---- response -------------------------------------------------------- */

static int set_body(hs_http_resp *r, const char *p, size_t n)
{
    r->body = malloc(n + 1);
    if (!r->body)
        return HS_HTTP_ERR;
    if (n)
        memcpy(r->body, p, n);
    r->body[n] = '\0';
    r->body_len = n;
    r->json = n ? json_loadb(r->body, n, JSON_DECODE_ANY, NULL) : NULL;
    return HS_HTTP_OK;
}

/* Read until the head is complete, parse it, and choose the body framing. */
static int read_head(http_conn *c, const char *method, hs_http_resp *r, body_state *b,
                     char *err, size_t errlen)
{
    int got;

    for (;;) {
        got = head_complete(c, err, errlen);
        if (got < 0)
            return HS_HTTP_ERR;
        if (got > 0)
            break;
        if (c->eof) {
            snprintf(err, errlen, "%s:%d closed the connection after %zu bytes, before a "
                     "complete response head", c->host, c->port, c->in.len);
            return HS_HTTP_ERR;
        }
        got = fill(c, err, errlen);
        if (got != HS_HTTP_OK)
            return got;
    }
    if (parse_head(c, r, err, errlen) != HS_HTTP_OK)
        return HS_HTTP_ERR;
    return choose_framing(method, r, b, err, errlen);
}

static int read_response(http_conn *c, const char *method, hs_http_resp *r, char *err,
                         size_t errlen)
{
    body_state b = { .decoded = HS_BUF_INIT };
    int rc = read_head(c, method, r, &b, err, errlen), done = 0;

    b.pos = c->head;
    while (rc == HS_HTTP_OK && !done) {
        done = body_complete(c, &b, err, errlen);
        if (done < 0)
            rc = HS_HTTP_ERR;
        else if (!done)
            rc = fill(c, err, errlen);
    }
    if (rc == HS_HTTP_OK && b.kind == BODY_CHUNKED)
        rc = set_body(r, b.decoded.p, b.decoded.len);
    else if (rc == HS_HTTP_OK)
        rc = set_body(r, c->in.p + c->head, b.kind == BODY_LENGTH ? b.length
                                            : b.kind == BODY_NONE ? 0 : c->in.len - c->head);
    hs_buf_free(&b.decoded);
    return rc;
}

int hs_http_request(const char *host, int port, const char *method, const char *path,
                    const char *const *headers, const char *body, int timeout_ms,
                    hs_http_resp *r, char *err, size_t errlen)
{
    http_conn c = { .fd = -1, .host = host, .port = port, .in = HS_BUF_INIT };
    hs_buf req = HS_BUF_INIT;
    int rc = HS_HTTP_ERR;

    memset(r, 0, sizeof *r);
    method = method ? method : "GET";
    path = path ? path : "/";
    c.timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    c.deadline = hs_now_ms() + c.timeout_ms;
    if (check_request(method, path, headers, err, errlen) != HS_HTTP_OK)
        return HS_HTTP_ERR;
    build_request(&req, host, port, method, path, headers, body);
    if (hs_buf_failed(&req)) {
        snprintf(err, errlen, "out of memory building the request");
        goto out;
    }
    rc = dial(&c, err, errlen);
    if (rc == HS_HTTP_OK)
        rc = send_all(&c, req.p, req.len, err, errlen);
    if (rc == HS_HTTP_OK)
        rc = read_response(&c, method, r, err, errlen);
out:
    if (rc != HS_HTTP_OK)
        hs_http_resp_free(r);
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
    memset(r, 0, sizeof *r);
}
