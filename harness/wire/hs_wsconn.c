/*
 * hs_wsconn: the harness's WebSocket client connection (see hs_wsconn.h).
 *
 * The socket is non-blocking from the start; every wait is a poll() against
 * a deadline on the monotonic clock (hs_now_ms), so a call's timeout is a
 * ceiling for the whole call however many reads or writes it takes.
 */
#include "wire/hs_wsconn.h"
#include "wire/hs_wirefault.h"
#include "wire/hs_transcript.h"
#include "util/hs_clock.h"
#include "util/hs_utf8.h"
#include "util/hs_escape.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* RFC 6455 1.3: the GUID every accept key is derived with. */
#define HS_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HS_WS_READ_CHUNK 65536
#define HS_WS_DEFAULT_TIMEOUT 5000

/* decode_buffered: a frame has only partly arrived (not an HS_WS_ code). */
enum { WS_NEED_MORE = 100 };

struct hs_wsconn {
    int fd;
    json_t *transcript;        /* our own reference, or NULL */
    int timeout_ms;            /* ceiling for each send */
    unsigned char *buf;        /* received, not yet consumed: [start, end) */
    size_t start, end, cap;
    int eof;                   /* the peer closed TCP (or reset it) */
    int close_sent;            /* we sent a close frame */
    int close_recv;            /* the peer sent a close frame */
    int close_returned;        /* recv_message handed the close out */
    int peer_code;
    unsigned char *msg;        /* a fragmented message being reassembled */
    size_t msg_len;
    int msg_opcode;            /* 0: none in progress */
    int msg_compressed;        /* its first frame had RSV1 (RFC 7692 6) */
    int report_pongs;          /* recv_message returns pongs */
    hs_pmd_codec *deflate_tx;  /* permessage-deflate agreed: our compressor */
    hs_pmd_codec *deflate_rx;  /* and the server's messages' inflater */
    hs_wire_state wire;        /* faults on this connection's wire */
    int observe;               /* read despite stop_reading or blackhole */
    char err[256];
};

static double deadline_in(int timeout_ms)
{
    return hs_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, double deadline)
{
    struct pollfd p;
    int r;

    for (;;) {
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        r = poll(&p, 1, hs_clock_left_ms(deadline));
        if (r >= 0 || errno != EINTR)
            return r > 0 ? 1 : r;
    }
}

static void set_err(hs_wsconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(hs_wsconn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
}

/* A protocol violation by the peer: remembered, noted, HS_WS_PROTO. */
static int peer_violation(hs_wsconn *c, const char *what)
{
    set_err(c, "peer violated RFC 6455: %s", what);
    hs_transcript_note(c->transcript, "peer violated RFC 6455: %s", what);
    return HS_WS_PROTO;
}

void hs_ws_accept_for(const char *key, char out[29])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    size_t klen = strlen(key), glen = strlen(HS_WS_GUID);
    unsigned char *in = malloc(klen + glen);

    out[0] = '\0';
    if (in == NULL)
        return;
    memcpy(in, key, klen);
    memcpy(in + klen, HS_WS_GUID, glen);
    SHA1(in, klen + glen, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    free(in);
}

/* ---- TCP ---------------------------------------------------------------- */

/* One address: non-blocking connect, then wait for it to finish. */
static int try_connect(const struct addrinfo *ai, double deadline, int *err_no)
{
    int fd, one = 1, soerr = 0;
    socklen_t len = sizeof(soerr);

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) {
        *err_no = errno;
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    *err_no = errno;
    if (errno != EINPROGRESS)
        goto error;
    *err_no = ETIMEDOUT;
    if (wait_fd(fd, POLLOUT, deadline) <= 0)
        goto error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    *err_no = soerr;
    if (soerr == 0)
        return fd;
error:
    close(fd);
    return -1;
}

/* Resolve and connect to the first address that answers. */
static int tcp_connect(const hs_ws_opts *o, double deadline, char *err,
                       size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1, err_no = 0, r;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", o->port);
    r = getaddrinfo(o->host, port, &hints, &res);
    if (r != 0) {
        snprintf(err, errlen, "resolve %s: %s", o->host, gai_strerror(r));
        return -1;
    }
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = try_connect(ai, deadline, &err_no);
    freeaddrinfo(res);
    if (fd < 0 && err_no == ETIMEDOUT)
        snprintf(err, errlen, "connect to %s:%d: timed out", o->host, o->port);
    else if (fd < 0)
        snprintf(err, errlen, "connect to %s:%d: %s", o->host, o->port,
                 strerror(err_no));
    return fd;
}

/*
 * Write n bytes, chop bytes per send() (0: as few calls as the kernel
 * allows). MSG_NOSIGNAL: a peer that reset the connection gives EPIPE here
 * instead of killing the harness with SIGPIPE.
 */
/*
 * After a send or recv (named op) that moved no byte: 1 to try again (it
 * was interrupted, or the socket is ready now), 0 when deadline passed
 * first, -1 on an error (set on c).
 */
static int retry_when_ready(hs_wsconn *c, const char *op, short events, double deadline)
{
    int r;

    if (errno == EINTR)
        return 1;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        set_err(c, "%s: %s", op, strerror(errno));
        return -1;
    }
    r = wait_fd(c->fd, events, deadline);
    if (r < 0)
        set_err(c, "poll: %s", strerror(errno));
    return r < 0 ? -1 : r > 0;
}

/* Sleep ms, or until deadline if that comes first. */
static void pause_until(int ms, double deadline)
{
    int left = hs_clock_left_ms(deadline);

    hs_wire_sleep(ms < left ? ms : left);
}

/* The most bytes the next write may carry: chop (a short write must not
 * shift later pieces off their boundaries), then the wire's shaping. */
static size_t next_piece(const hs_wsconn *c, size_t off, size_t n, size_t chop)
{
    size_t piece = chop > 0 ? chop - off % chop : n - off;

    if (piece > n - off)
        piece = n - off;
    return hs_wire_piece(&c->wire.w.send, piece);
}

/* Wait until the rate lets the next byte go (free_ms, hs_wire_spent). */
static void wait_rate(double free_ms, double deadline)
{
    double wait = free_ms - hs_now_ms();

    if (wait > 0)
        pause_until((int)wait + 1, deadline);
}

/* Wait what the wire's send faults ask before a piece: a slice's pause,
 * the rate's share. */
static void shape_send(hs_wsconn *c, size_t off, double deadline)
{
    if (off > 0 && c->wire.w.send.slice_delay_ms)
        pause_until(c->wire.w.send.slice_delay_ms, deadline);
    wait_rate(c->wire.send_free_ms, deadline);
}

static int write_all(hs_wsconn *c, const unsigned char *b, size_t n, size_t chop)
{
    double deadline = deadline_in(c->timeout_ms);
    size_t off = 0;
    ssize_t w;
    int r;

    if (c->wire.w.blackhole) {
        hs_transcript_wire(c->transcript, "blackhole: %zu bytes not sent", n);
        return HS_WS_OK;
    }
    pause_until(hs_wire_latency(&c->wire, &c->wire.w.send), deadline);
    while (off < n) {
        shape_send(c, off, deadline);
        w = send(c->fd, b + off, next_piece(c, off, n, chop), MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            hs_wire_spent(&c->wire.w.send, &c->wire.send_free_ms, (size_t)w, hs_now_ms());
            continue;
        }
        r = w < 0 ? retry_when_ready(c, "send", POLLOUT, deadline) : 0;
        if (r < 0)
            return HS_WS_ERR;
        if (r == 0) {
            set_err(c, "send: peer not reading (%zu of %zu bytes written)", off, n);
            return HS_WS_TIMEOUT;
        }
    }
    return HS_WS_OK;
}

/* Make room for one more read in the receive buffer. */
static int buf_reserve(hs_wsconn *c)
{
    unsigned char *nb;
    size_t ncap;

    if (c->start > 0 && c->start == c->end)
        c->start = c->end = 0;
    if (c->start > 0 && c->start >= c->cap / 2) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->cap - c->end >= HS_WS_READ_CHUNK)
        return 0;
    ncap = c->cap ? c->cap * 2 : 2 * HS_WS_READ_CHUNK;
    while (ncap - c->end < HS_WS_READ_CHUNK)
        ncap *= 2;
    nb = realloc(c->buf, ncap);
    if (nb == NULL)
        return -1;
    c->buf = nb;
    c->cap = ncap;
    return 0;
}

/* A fault keeps us from reading: wait out the ceiling as a slow or dead
 * peer would, leaving the bytes in the kernel. */
static int not_reading(hs_wsconn *c, double deadline)
{
    hs_wire_sleep(hs_clock_left_ms(deadline));
    set_err(c, "not reading: wire fault %s", c->wire.w.blackhole ? "blackhole"
                                                                 : "stop_reading");
    return HS_WS_TIMEOUT;
}

/* Wait what the wire's recv faults ask before a read; the most it may take. */
static size_t shape_recv(hs_wsconn *c, double deadline)
{
    const hs_wire_dir *d = &c->wire.w.recv;

    pause_until(hs_wire_latency(&c->wire, d) + d->slice_delay_ms, deadline);
    wait_rate(c->wire.recv_free_ms, deadline);
    return hs_wire_piece(d, c->cap - c->end);
}

/* The peer ended TCP (a FIN, or a reset). */
static int peer_ended(hs_wsconn *c, ssize_t r)
{
    c->eof = 1;
    hs_transcript_note(c->transcript, r == 0 ? "peer closed TCP"
                                             : "peer reset TCP");
    if (!c->close_recv)
        c->peer_code = 1006;
    set_err(c, "peer closed the connection");
    return HS_WS_EOF;
}

/*
 * One read into the buffer, waiting until deadline. A reset counts as the
 * end of TCP like a FIN: for the close code both are 1006 (RFC 6455 7.1.5).
 */
static int fill(hs_wsconn *c, double deadline)
{
    size_t want;
    ssize_t r;
    int w;

    if ((c->wire.w.stop_reading || c->wire.w.blackhole) && !c->observe)
        return not_reading(c, deadline);
    if (buf_reserve(c) != 0) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    want = shape_recv(c, deadline);
    for (;;) {
        r = recv(c->fd, c->buf + c->end, want, 0);
        if (r > 0) {
            c->end += (size_t)r;
            hs_wire_spent(&c->wire.w.recv, &c->wire.recv_free_ms, (size_t)r, hs_now_ms());
            return HS_WS_OK;
        }
        if (r == 0 || errno == ECONNRESET)
            return peer_ended(c, r);
        w = retry_when_ready(c, "recv", POLLIN, deadline);
        if (w < 0)
            return HS_WS_ERR;
        if (w == 0) {
            set_err(c, "timed out waiting for the peer");
            return HS_WS_TIMEOUT;
        }
    }
}

/* Record and drop whatever is buffered (bytes that are not a frame). */
static void drop_buffered(hs_wsconn *c, const char *why)
{
    if (c->end == c->start)
        return;
    hs_transcript_raw(c->transcript, "recv", c->buf + c->start, c->end - c->start);
    hs_transcript_note(c->transcript, "%zu bytes %s", c->end - c->start, why);
    c->start = c->end = 0;
}

/* ---- opening handshake --------------------------------------------------- */

/* A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 4.1). */
static int random_key(char out[25])
{
    unsigned char nonce[16];

    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, nonce, sizeof(nonce));
    return 0;
}

/* The request head, malloc'd, with the headers the options leave in. */
static char *build_request(const hs_ws_opts *o, const char *key, size_t *len)
{
    char *req = NULL;
    FILE *f = open_memstream(&req, len);
    const char *const *h;

    if (f == NULL)
        return NULL;
    fprintf(f, "%s ", o->method != NULL ? o->method : "GET");
    if (o->absolute_uri)
        fprintf(f, "http://%s:%d", o->host, o->port);
    fprintf(f, "%s HTTP/%s\r\n", o->path != NULL ? o->path : "/",
            o->http_version != NULL ? o->http_version : "1.1");
    if (!o->omit_host)
        fprintf(f, "Host: %s:%d\r\n", o->host, o->port);
    if (!o->omit_upgrade)
        fputs("Upgrade: websocket\r\n", f);
    if (!o->omit_connection)
        fputs("Connection: Upgrade\r\n", f);
    if (key[0] != '\0')
        fprintf(f, "Sec-WebSocket-Key: %s\r\n", key);
    if (o->version == NULL || o->version[0] != '\0')
        fprintf(f, "Sec-WebSocket-Version: %s\r\n", o->version ? o->version : "13");
    if (o->protocol != NULL)
        fprintf(f, "Sec-WebSocket-Protocol: %s\r\n", o->protocol);
    if (o->extensions != NULL)
        fprintf(f, "Sec-WebSocket-Extensions: %s\r\n", o->extensions);
    for (h = o->extra_headers; h != NULL && *h != NULL; h++)
        fprintf(f, "%s\r\n", *h);
    fputs("\r\n", f);
    if (fclose(f) != 0) {
        free(req);
        return NULL;
    }
    return req;
}

/* Read until the blank line that ends the response head; *head_len after it. */
static int read_head(hs_wsconn *c, double deadline, size_t *head_len)
{
    const unsigned char *p;
    int r;

    for (;;) {
        p = c->end > 0 ? memmem(c->buf, c->end, "\r\n\r\n", 4) : NULL;
        if (p != NULL) {
            *head_len = (size_t)(p - c->buf) + 4;
            return HS_WS_OK;
        }
        if (c->end >= HS_WS_MAX_HEAD) {
            set_err(c, "response head longer than %d bytes", HS_WS_MAX_HEAD);
            return HS_WS_PROTO;
        }
        r = fill(c, deadline);
        if (r != HS_WS_OK)
            return r;
    }
}

/* Copy a line keeping printable ASCII only: it may end up on a terminal. */
static void copy_printable(char *dst, size_t dstlen, const unsigned char *s,
                           size_t n)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 1 < dstlen; i++)
        dst[o++] = (s[i] >= 0x20 && s[i] < 0x7F) ? (char)s[i] : '?';
    dst[o] = '\0';
}

/* "HTTP/1.x NNN ..." -> NNN, or -1 when the line is not an HTTP status. */
static int parse_status(const char *line)
{
    if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) ||
        line[8] != ' ')
        return -1;
    if (!isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]))
        return -1;
    if (line[12] != '\0' && line[12] != ' ')
        return -1;
    return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

/* Add one "Name: value" line to the headers object; repeats are joined. */
static void add_header(json_t *headers, const unsigned char *line, size_t n)
{
    const unsigned char *colon = memchr(line, ':', n);
    char name[128], *value, *joined;
    const char *old;
    size_t nlen, i, vstart;

    if (colon == NULL || colon == line)
        return;
    nlen = (size_t)(colon - line);
    if (nlen >= sizeof(name))
        nlen = sizeof(name) - 1;
    for (i = 0; i < nlen; i++)
        name[i] = (char)tolower(line[i] >= 0x21 && line[i] < 0x7F ? line[i] : '?');
    name[nlen] = '\0';
    vstart = (size_t)(colon - line) + 1;
    while (vstart < n && (line[vstart] == ' ' || line[vstart] == '\t'))
        vstart++;
    while (n > vstart && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    value = hs_escape_sanitize(line + vstart, n - vstart);
    if (value == NULL)
        return;
    old = json_string_value(json_object_get(headers, name));
    if (old != NULL && asprintf(&joined, "%s, %s", old, value) >= 0) {
        free(value);
        value = joined;
    }
    json_object_set_new(headers, name, json_string(value));
    free(value);
}

/* Split the head into the status line and headers. */
static int parse_head(const unsigned char *head, size_t len, hs_ws_handshake *hs)
{
    const unsigned char *line = head, *end = head + len, *eol;

    eol = memmem(line, (size_t)(end - line), "\r\n", 2);
    copy_printable(hs->status_line, sizeof(hs->status_line), line,
                   (size_t)(eol - line));
    hs->status = parse_status(hs->status_line);
    if (hs->status < 0) {
        hs->status = 0;
        return -1;
    }
    for (line = eol + 2; line < end; line = eol + 2) {
        eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (eol == NULL || eol == line)
            break;
        add_header(hs->headers, line, (size_t)(eol - line));
    }
    return 0;
}

/* RFC 6455 4.1, client step 4: the accept value must match the key's. */
static int accept_matches(const hs_ws_handshake *hs, const char *key)
{
    const char *got = json_string_value(json_object_get(hs->headers,
                                                        "sec-websocket-accept"));
    char want[29];

    if (got == NULL || key[0] == '\0')
        return 0;
    hs_ws_accept_for(key, want);
    return strcmp(got, want) == 0;
}

/* Does header name contain token (case-insensitive)? */
static int header_has(const hs_ws_handshake *hs, const char *name, const char *token)
{
    const char *v = json_string_value(json_object_get(hs->headers, name));

    return v != NULL && strcasestr(v, token) != NULL;
}

/*
 * How much error body to wait for: Content-Length if given; to the end of
 * TCP for "Connection: close" or chunked bodies; else only what came with
 * the head (a keep-alive answer without a length has no body to wait for).
 */
static size_t body_wanted(const hs_ws_handshake *hs, size_t have)
{
    const char *cl = json_string_value(json_object_get(hs->headers, "content-length"));
    unsigned long long n;

    if (cl != NULL) {
        n = strtoull(cl, NULL, 10);
        return n < HS_WS_MAX_BODY ? (size_t)n : HS_WS_MAX_BODY;
    }
    if (header_has(hs, "connection", "close") ||
        header_has(hs, "transfer-encoding", "chunked"))
        return HS_WS_MAX_BODY;
    return have;
}

/* Collect a non-101 answer's body; its end is not an error. */
static void read_body(hs_wsconn *c, hs_ws_handshake *hs, double deadline)
{
    size_t want = body_wanted(hs, c->end - c->start);

    while (c->end - c->start < want && !c->eof) {
        if (header_has(hs, "transfer-encoding", "chunked") &&
            memmem(c->buf + c->start, c->end - c->start, "\r\n0\r\n\r\n", 7) != NULL)
            break;
        if (fill(c, deadline) != HS_WS_OK)
            break;
    }
    if (want > c->end - c->start)
        want = c->end - c->start;
    hs->body = hs_escape_sanitize(c->buf + c->start, want);
    if (want > 0)
        hs_transcript_raw(c->transcript, "recv", c->buf + c->start, want);
    c->start = c->end = 0;
}

/*
 * The extensions a 101 agreed to (RFC 6455 4.1, RFC 7692 7.1). Our side
 * compresses with the client's agreed window; the server's may be up to 15.
 */
static int negotiate(hs_wsconn *c, const hs_ws_opts *o, hs_ws_handshake *hs)
{
    const char *answer = json_string_value(json_object_get(hs->headers,
                                                           "sec-websocket-extensions"));
    const hs_pmd_params *p = &hs->deflate_params;
    int r;

    r = hs_pmd_negotiate(o->extensions, answer, &hs->deflate, &hs->deflate_params,
                         hs->extensions_err, sizeof(hs->extensions_err));
    hs->extensions_ok = r == HS_PMD_OK;
    if (r != HS_PMD_OK || !hs->deflate)
        return HS_WS_OK;
    if (hs_pmd_codec_new(1, p->client_max_window_bits, p->client_no_context_takeover,
                         &c->deflate_tx) != HS_PMD_OK ||
        hs_pmd_codec_new(0, 0, p->server_no_context_takeover, &c->deflate_rx) != HS_PMD_OK) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    return HS_WS_OK;
}

/* Send the request and read the answer into hs. */
static int handshake(hs_wsconn *c, const hs_ws_opts *o, const char *key,
                     hs_ws_handshake *hs, double deadline)
{
    size_t len, head_len;
    char *req = build_request(o, key, &len);
    int r;

    if (req == NULL) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    hs_transcript_handshake(c->transcript, "sent", (unsigned char *)req, len);
    r = write_all(c, (unsigned char *)req, len, o->chop);
    free(req);
    if (r != HS_WS_OK)
        return r;
    r = read_head(c, deadline, &head_len);
    if (r != HS_WS_OK)
        return r;
    hs_transcript_handshake(c->transcript, "recv", c->buf, head_len);
    if (parse_head(c->buf, head_len, hs) != 0) {
        set_err(c, "response is not HTTP: \"%s\"", hs->status_line);
        return HS_WS_PROTO;
    }
    hs->accept_ok = accept_matches(hs, key);
    c->start = head_len;
    if (hs->status != 101) {
        read_body(c, hs, deadline);
        return HS_WS_OK;
    }
    return negotiate(c, o, hs);
}

static hs_wsconn *conn_new(int fd, const hs_ws_opts *o)
{
    hs_wsconn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->fd = fd;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HS_WS_DEFAULT_TIMEOUT;
    c->transcript = json_incref(o->transcript);
    hs_wire_seed(&c->wire, o->seed, o->name);
    /* Shaping from the first byte; a peer that reads or sends nothing
     * becomes one after its handshake (hs_ws_connect). */
    if (o->wire && hs_wire_any(o->wire)) {
        hs_wire shaped = *o->wire;
        shaped.stop_reading = shaped.blackhole = 0;
        c->wire.w = shaped;
    }
    return c;
}

/* Why the head never came, for the caller's err. */
static void handshake_err(hs_wsconn *c, int r, int timeout_ms, char *err,
                          size_t errlen)
{
    if (r == HS_WS_EOF)
        snprintf(err, errlen, "peer closed TCP before the response head ended "
                 "(%zu bytes received)", c->end);
    else if (r == HS_WS_TIMEOUT)
        snprintf(err, errlen, "no complete response head within %d ms "
                 "(%zu bytes received)", timeout_ms, c->end);
    else
        snprintf(err, errlen, "handshake: %s", c->err);
}

/* TCP connected before deadline, as a connection; NULL with err set. */
static hs_wsconn *open_conn(const hs_ws_opts *o, double deadline, char *err, size_t errlen)
{
    int fd = tcp_connect(o, deadline, err, errlen);
    hs_wsconn *c;

    if (fd < 0)
        return NULL;
    c = conn_new(fd, o);
    if (c == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
    }
    return c;
}

hs_wsconn *hs_ws_connect(const hs_ws_opts *o, hs_ws_handshake *hs, char *err,
                         size_t errlen)
{
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : HS_WS_DEFAULT_TIMEOUT;
    double deadline = deadline_in(timeout);
    char keybuf[25];
    const char *key = o->key;
    hs_wsconn *c = NULL;
    int r;

    memset(hs, 0, sizeof(*hs));
    hs->headers = json_object();
    if (key == NULL && random_key(keybuf) != 0) {
        snprintf(err, errlen, "RAND_bytes failed");
        return NULL;
    }
    if (key == NULL)
        key = keybuf;
    c = open_conn(o, deadline, err, errlen);
    if (c == NULL)
        return NULL;
    r = handshake(c, o, key, hs, deadline);
    if (r == HS_WS_OK && o->wire && hs_wire_any(o->wire))
        hs_ws_set_wire(c, o->wire);
    if (r == HS_WS_OK)
        return c;
    handshake_err(c, r, timeout, err, errlen);
    hs_ws_free(c);
    return NULL;
}

hs_wsconn *hs_ws_open_tcp(const hs_ws_opts *o, char *err, size_t errlen)
{
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : HS_WS_DEFAULT_TIMEOUT;

    return open_conn(o, deadline_in(timeout), err, errlen);
}

void hs_ws_handshake_free(hs_ws_handshake *hs)
{
    json_decref(hs->headers);
    hs->headers = NULL;
    free(hs->body);
    hs->body = NULL;
}

/* ---- sending ------------------------------------------------------------ */

/* Our frame of opcode op, as the wire's faults let it go: 1 dropped
 * (nothing to write), 0 to be written, after any delay its opcode has. */
static int frame_faults(hs_wsconn *c, int op)
{
    const hs_wire *w = &c->wire.w;

    if (w->drop & (1u << (op & 15))) {
        hs_transcript_wire(c->transcript, "our %s frame dropped", hs_wire_opcode_name(op));
        return 1;
    }
    if (w->delay_ms[op & 15]) {
        hs_transcript_wire(c->transcript, "our %s frame held %d ms", hs_wire_opcode_name(op),
                           w->delay_ms[op & 15]);
        hs_wire_sleep(w->delay_ms[op & 15]);
    }
    return 0;
}

/* The frame's header in two segments, a pause between (split_header):
 * a server must reassemble a header, not expect it in one read. */
static int write_split(hs_wsconn *c, const unsigned char *wire, size_t n, size_t chop)
{
    int r = write_all(c, wire, 1, 0);

    if (r != HS_WS_OK || n == 1)
        return r;
    hs_wire_sleep(HS_WIRE_SPLIT_PAUSE_MS);
    return write_all(c, wire + 1, n - 1, chop);
}

int hs_ws_send(hs_wsconn *c, const hs_frame_spec *s, size_t chop)
{
    hs_frame_spec spec = *s;
    unsigned char *wire;
    size_t n;
    int r;

    /* RFC 6455 5.3: a fresh, unpredictable key for every frame. */
    if (spec.masked && !spec.fixed_key && RAND_bytes(spec.key, 4) != 1) {
        set_err(c, "RAND_bytes failed");
        return HS_WS_ERR;
    }
    r = hs_frame_encode(&spec, &wire, &n);
    if (r != HS_FRAME_OK) {
        set_err(c, r == HS_FRAME_BAD ? "frame spec cannot be encoded"
                                     : "out of memory");
        return HS_WS_ERR;
    }
    if (spec.opcode == HS_OP_CLOSE)
        c->close_sent = 1;
    if (frame_faults(c, spec.opcode)) {
        free(wire);
        return HS_WS_OK;
    }
    hs_transcript_spec(c->transcript, &spec, chop);
    r = c->wire.w.split_header ? write_split(c, wire, n, chop) : write_all(c, wire, n, chop);
    free(wire);
    return r;
}

int hs_ws_send_raw(hs_wsconn *c, const unsigned char *b, size_t n, size_t chop)
{
    hs_transcript_raw(c->transcript, "sent", b, n);
    return write_all(c, b, n, chop);
}

int hs_ws_send_text(hs_wsconn *c, const char *s, size_t n)
{
    hs_frame_spec spec = {
        .fin = 1, .opcode = HS_OP_TEXT, .masked = 1,
        .payload = (const unsigned char *)s, .len = n, .declared_len = -1
    };

    return hs_ws_send(c, &spec, 0);
}

/* One frame of a message hs_ws_send_message is sending. */
static int send_piece(hs_wsconn *c, int opcode, int rsv, int fin,
                      const unsigned char *p, size_t n, size_t chop)
{
    hs_frame_spec spec = {
        .fin = fin, .rsv = rsv, .opcode = opcode, .masked = 1,
        .payload = p, .len = n, .declared_len = -1
    };

    return hs_ws_send(c, &spec, chop);
}

/* RFC 7692 7.2.1: the message is compressed whole, then fragmented. */
static int compress_message(hs_wsconn *c, const unsigned char *p, size_t n,
                            unsigned char **z, size_t *zlen)
{
    if (c->deflate_tx == NULL) {
        set_err(c, "permessage-deflate was not agreed: cannot compress");
        return HS_WS_ERR;
    }
    if (hs_pmd_compress(c->deflate_tx, p, n, z, zlen) != HS_PMD_OK) {
        set_err(c, "compressing the message failed");
        return HS_WS_ERR;
    }
    hs_transcript_note(c->transcript, "permessage-deflate: %zu bytes sent as %zu",
                       n, *zlen);
    return HS_WS_OK;
}

int hs_ws_send_message(hs_wsconn *c, int opcode, const unsigned char *p, size_t n,
                       const hs_ws_msg_opts *mo)
{
    unsigned char *z = NULL;
    size_t off = 0, piece, step;
    int r = HS_WS_OK;

    if (mo->compress && compress_message(c, p, n, &z, &n) != HS_WS_OK)
        return HS_WS_ERR;
    if (z != NULL)
        p = z;
    step = mo->fragment > 0 ? mo->fragment : n;
    do {
        piece = n - off < step ? n - off : step;
        /* RSV1 marks the first frame of a compressed message only (6.1). */
        r = send_piece(c, off == 0 ? opcode : HS_OP_CONT, off == 0 && mo->compress ? 4 : 0,
                       off + piece >= n, p + off, piece, mo->chop);
        off += piece;
    } while (r == HS_WS_OK && off < n);
    free(z);
    return r;
}

void hs_ws_report_pongs(hs_wsconn *c, int on)
{
    c->report_pongs = on;
}

/* A well-formed masked control frame (close, ping answer). */
static int send_control(hs_wsconn *c, int opcode, const unsigned char *p, size_t n)
{
    hs_frame_spec spec = {
        .fin = 1, .opcode = opcode, .masked = 1,
        .payload = p, .len = n, .declared_len = -1
    };

    return hs_ws_send(c, &spec, 0);
}

/* Our close frame: code in network order, then the reason, within the
 * 125-byte control frame limit (RFC 6455 5.5.1). */
static int send_close(hs_wsconn *c, int code, const char *reason)
{
    unsigned char p[HS_CONTROL_MAX];
    size_t n = 0, rlen = reason != NULL ? strlen(reason) : 0;

    if (code != 0) {
        p[0] = (unsigned char)(code >> 8);
        p[1] = (unsigned char)code;
        n = 2;
        if (rlen > sizeof(p) - 2)
            rlen = sizeof(p) - 2;
        if (rlen > 0)
            memcpy(p + 2, reason, rlen);
        n += rlen;
    }
    return send_control(c, HS_OP_CLOSE, p, n);
}

/* ---- receiving ---------------------------------------------------------- */

/* The first close frame decides the peer's code (1005 when it has none). */
static void note_close(hs_wsconn *c, const hs_frame *f)
{
    const char *reason;
    size_t rlen;
    int code;

    if (c->close_recv)
        return;
    c->close_recv = 1;
    if (hs_close_payload_parse(f->payload, (size_t)f->len, &code, &reason,
                               &rlen) != HS_FRAME_OK)
        code = 1005;
    c->peer_code = code;
}

/* Decode one buffered frame: HS_WS_OK, WS_NEED_MORE, HS_WS_PROTO or HS_WS_ERR. */
static int decode_buffered(hs_wsconn *c, hs_frame *f)
{
    size_t used;
    int r = hs_frame_decode(c->buf + c->start, c->end - c->start,
                            HS_WS_MAX_PAYLOAD, f, &used);

    if (r == HS_FRAME_OK) {
        c->start += used;
        hs_transcript_frame(c->transcript, "recv", f);
        if (f->opcode == HS_OP_CLOSE)
            note_close(c, f);
        return HS_WS_OK;
    }
    if (r == HS_FRAME_NEED_MORE)
        return WS_NEED_MORE;
    if (r == HS_FRAME_NOMEM) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    drop_buffered(c, "that do not decode as a frame");
    return peer_violation(c, r == HS_FRAME_TOO_BIG
                                 ? "frame payload above 64 MiB"
                                 : "64-bit length with the top bit set (5.2)");
}

int hs_ws_recv_frame(hs_wsconn *c, int timeout_ms, hs_frame *f)
{
    double deadline = deadline_in(timeout_ms);
    int r;

    memset(f, 0, sizeof(*f));
    for (;;) {
        r = decode_buffered(c, f);
        if (r != WS_NEED_MORE)
            return r;
        if (c->eof) {
            drop_buffered(c, "of an unfinished frame before TCP closed");
            set_err(c, "peer closed the connection");
            return HS_WS_EOF;
        }
        r = fill(c, deadline);
        if (r != HS_WS_OK && r != HS_WS_EOF)
            return r;
    }
}

/* The RSV bits a frame may carry: RSV1 on the first frame of a data
 * message once permessage-deflate is agreed (RFC 7692 6), else none. */
static int rsv_allowed(const hs_wsconn *c, const hs_frame *f)
{
    if (c->deflate_rx != NULL && (f->opcode == HS_OP_TEXT || f->opcode == HS_OP_BINARY))
        return 4;
    return 0;
}

/* What RFC 6455 forbids in any frame a server sends, or NULL. */
static const char *frame_violation(const hs_wsconn *c, const hs_frame *f)
{
    if (f->masked)
        return "masked frame from the server (5.1)";
    if ((f->rsv & ~rsv_allowed(c, f)) != 0)
        return c->deflate_rx != NULL && (f->rsv & 4) && !(f->rsv & 3)
                   ? "RSV1 on a control or continuation frame (RFC 7692 6.1)"
                   : "RSV bits set without a negotiated extension (5.2)";
    if ((f->opcode >= 3 && f->opcode <= 7) || f->opcode >= 11)
        return "reserved opcode (5.2)";
    if (f->opcode >= HS_OP_CLOSE && f->len > HS_CONTROL_MAX)
        return "control frame payload above 125 bytes (5.5)";
    if (f->opcode >= HS_OP_CLOSE && !f->fin)
        return "fragmented control frame (5.5)";
    return NULL;
}

static void msg_reset(hs_wsconn *c)
{
    free(c->msg);
    c->msg = NULL;
    c->msg_len = 0;
    c->msg_opcode = 0;
    c->msg_compressed = 0;
}

/* What breaks fragmentation (RFC 6455 5.4) or our size cap, or NULL. */
static const char *data_violation(const hs_wsconn *c, const hs_frame *f)
{
    if (f->opcode != HS_OP_CONT && c->msg_opcode != 0)
        return "new message inside a fragmented one (5.4)";
    if (f->opcode == HS_OP_CONT && c->msg_opcode == 0)
        return "continuation frame with no message to continue (5.4)";
    if (f->len > HS_WS_MAX_PAYLOAD - c->msg_len)
        return "message above 64 MiB";
    return NULL;
}

/* Inflate a whole compressed message in place (RFC 7692 7.2.2). */
static int inflate_message(hs_wsconn *c)
{
    unsigned char *plain = NULL;
    size_t n = 0;
    char why[200];
    int r;

    r = hs_pmd_inflate(c->deflate_rx, c->msg, c->msg_len, HS_WS_MAX_PAYLOAD, &plain,
                       &n, why, sizeof(why));
    if (r == HS_PMD_TOO_BIG)
        return peer_violation(c, "compressed message inflates above 64 MiB");
    if (r == HS_PMD_NOMEM) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    if (r != HS_PMD_OK)
        return peer_violation(c, why);
    hs_transcript_note(c->transcript, "permessage-deflate: %zu bytes received as %zu",
                       n, c->msg_len);
    free(c->msg);
    c->msg = plain;
    c->msg_len = n;
    return HS_WS_OK;
}

/* The last fragment came: check the whole message and hand it out. */
static int finish_message(hs_wsconn *c, hs_ws_msg *m)
{
    int r = c->msg_compressed ? inflate_message(c) : HS_WS_OK;

    if (r != HS_WS_OK) {
        msg_reset(c);
        return r;
    }
    if (c->msg_opcode == HS_OP_TEXT && !hs_utf8_valid(c->msg, c->msg_len)) {
        msg_reset(c);
        return peer_violation(c, "text message is not valid UTF-8 (8.1)");
    }
    m->opcode = c->msg_opcode;
    m->compressed = c->msg_compressed;
    m->data = c->msg;
    m->len = c->msg_len;
    c->msg = NULL;
    msg_reset(c);
    return 1;
}

/* Add a data frame to the message; hand it out into m when final. A
 * violation drops the partial message: the stream cannot be trusted. */
static int on_data(hs_wsconn *c, hs_frame *f, hs_ws_msg *m)
{
    unsigned char *nb;

    const char *bad = data_violation(c, f);

    if (bad != NULL) {
        msg_reset(c);
        return peer_violation(c, bad);
    }
    nb = realloc(c->msg, c->msg_len + (size_t)f->len + 1);
    if (nb == NULL) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    c->msg = nb;
    memcpy(c->msg + c->msg_len, f->payload, (size_t)f->len);
    c->msg_len += (size_t)f->len;
    c->msg[c->msg_len] = 0;
    if (f->opcode != HS_OP_CONT) {
        c->msg_opcode = f->opcode;
        c->msg_compressed = (f->rsv & 4) != 0;
    }
    return f->fin ? finish_message(c, m) : 0;
}

/* A pong handed out as a message, for callers that wait for one. */
static int on_pong(hs_wsconn *c, const hs_frame *f, hs_ws_msg *m)
{
    if (!c->report_pongs)
        return 0;
    m->data = malloc((size_t)f->len + 1);
    if (m->data == NULL) {
        set_err(c, "out of memory");
        return HS_WS_ERR;
    }
    memcpy(m->data, f->payload, (size_t)f->len);
    m->data[f->len] = 0;
    m->len = (size_t)f->len;
    m->opcode = HS_OP_PONG;
    return 1;
}

/*
 * The peer's close (RFC 6455 5.5.1): echo its code unless we sent a close
 * already; a close without a code is answered by one without a code.
 */
static int on_close(hs_wsconn *c, const hs_frame *f, hs_ws_msg *m)
{
    const char *reason;
    size_t rlen;
    char *text;
    int code;

    msg_reset(c);
    if (hs_close_payload_parse(f->payload, (size_t)f->len, &code, &reason,
                               &rlen) != HS_FRAME_OK)
        return peer_violation(c, "close frame with a one-byte payload (5.5.1)");
    if (f->len >= 2 && !hs_close_code_valid(code))
        return peer_violation(c, "close code not allowed on the wire (7.4)");
    if (!hs_utf8_valid((const unsigned char *)reason, rlen))
        return peer_violation(c, "close reason is not valid UTF-8 (5.5.1)");
    if (!c->close_sent && send_close(c, code == 1005 ? 0 : code, NULL) != HS_WS_OK)
        hs_transcript_note(c->transcript, "close echo not sent: %s", c->err);
    /* The closing handshake is complete: our FIN lets a server that waits
     * for the client's (as uvicorn's websockets does, RFC 6455 7.1.1) end
     * the connection now; the read side stays open to see the server's. */
    if (c->close_sent)
        shutdown(c->fd, SHUT_WR);
    c->close_returned = 1;
    m->opcode = HS_OP_CLOSE;
    m->close_code = code;
    text = hs_escape_sanitize((const unsigned char *)reason, rlen);
    if (text != NULL)
        snprintf(m->close_reason, sizeof(m->close_reason), "%s", text);
    free(text);
    return 1;
}

/* React to one frame: 1 a message is in m, 0 keep reading, <0 an error. */
static int on_frame(hs_wsconn *c, hs_frame *f, hs_ws_msg *m)
{
    const char *bad = frame_violation(c, f);

    if (bad != NULL)
        return peer_violation(c, bad);
    switch (f->opcode) {
    case HS_OP_PING:
        /* RFC 6455 5.5.3: no pong once our close is on the wire. */
        if (!c->close_sent)
            return send_control(c, HS_OP_PONG, f->payload, (size_t)f->len);
        return 0;
    case HS_OP_PONG:
        return on_pong(c, f, m);
    case HS_OP_CLOSE:
        return on_close(c, f, m);
    default:
        return on_data(c, f, m);
    }
}

/* After the close: drop anything the peer still sends until TCP ends. */
static int wait_eof(hs_wsconn *c, double deadline)
{
    int r;

    for (;;) {
        drop_buffered(c, "after the close frame");
        if (c->eof)
            return HS_WS_EOF;
        r = fill(c, deadline);
        if (r != HS_WS_OK && r != HS_WS_EOF)
            return r;
    }
}

int hs_ws_recv_message(hs_wsconn *c, int timeout_ms, hs_ws_msg *m)
{
    double deadline = deadline_in(timeout_ms);
    hs_frame f;
    int r;

    memset(m, 0, sizeof(*m));
    if (c->close_returned)
        return wait_eof(c, deadline);
    for (;;) {
        r = hs_ws_recv_frame(c, hs_clock_left_ms(deadline), &f);
        if (r != HS_WS_OK)
            return r;
        r = on_frame(c, &f, m);
        hs_frame_free(&f);
        if (r != 0)
            return r == 1 ? HS_WS_OK : r;
    }
}

void hs_ws_msg_free(hs_ws_msg *m)
{
    free(m->data);
    m->data = NULL;
}

/* Read frames until the peer's close frame, TCP's end or the deadline. */
static int await_peer_close(hs_wsconn *c, double deadline)
{
    hs_frame f;
    int r;

    while (!c->close_recv && !c->eof) {
        r = hs_ws_recv_frame(c, hs_clock_left_ms(deadline), &f);
        hs_frame_free(&f);
        if (r == HS_WS_TIMEOUT || r == HS_WS_ERR)
            return r;
    }
    return HS_WS_OK;
}

int hs_ws_close(hs_wsconn *c, int code, const char *reason, int timeout_ms,
                int *peer_code)
{
    double deadline = deadline_in(timeout_ms);
    int r;

    if (!c->close_sent && send_close(c, code, reason) != HS_WS_OK)
        hs_transcript_note(c->transcript, "close not sent: %s", c->err);
    c->close_returned = 1;
    r = await_peer_close(c, deadline);
    if (r == HS_WS_OK)
        r = wait_eof(c, deadline);
    if (r == HS_WS_EOF)
        r = c->close_recv ? HS_WS_OK : HS_WS_EOF;
    if (peer_code != NULL)
        *peer_code = c->peer_code;
    return r;
}

void hs_ws_set_wire(hs_wsconn *c, const hs_wire *w)
{
    char what[512];

    c->wire.w = *w;
    hs_transcript_wire(c->transcript, "faults: %s", hs_wire_describe(w, what, sizeof(what)));
}

int hs_ws_reading(const hs_wsconn *c)
{
    return c->fd >= 0 && !c->eof && !c->wire.w.stop_reading && !c->wire.w.blackhole;
}

void hs_ws_observe(hs_wsconn *c, int on)
{
    c->observe = on;
}

void hs_ws_reset(hs_wsconn *c)
{
    struct linger l = { 1, 0 };

    /* SO_LINGER with a zero timeout: close() sends RST, not FIN. */
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    hs_transcript_wire(c->transcript, "TCP reset by us");
    close(c->fd);
    c->fd = -1;
    c->eof = 1;
}

int hs_ws_half_close(hs_wsconn *c)
{
    hs_transcript_wire(c->transcript, "half close: our side of TCP shut (FIN), reading on");
    if (shutdown(c->fd, SHUT_WR) != 0) {
        set_err(c, "shutdown: %s", strerror(errno));
        return HS_WS_ERR;
    }
    return HS_WS_OK;
}

int hs_ws_closed(const hs_wsconn *c)
{
    return c->eof;
}

int hs_ws_close_code(const hs_wsconn *c)
{
    return c->peer_code;
}

const char *hs_ws_last_error(const hs_wsconn *c)
{
    return c->err;
}

int hs_ws_fd(const hs_wsconn *c)
{
    return c->fd;
}

void hs_ws_free(hs_wsconn *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0 && !c->eof)
        hs_transcript_note(c->transcript, "TCP closed by us");
    if (c->fd >= 0)
        close(c->fd);
    hs_pmd_codec_free(c->deflate_tx);
    hs_pmd_codec_free(c->deflate_rx);
    free(c->buf);
    free(c->msg);
    json_decref(c->transcript);
    free(c);
}
