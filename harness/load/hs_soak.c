/*
 * hs_soak: the soak's event loop, rounds, gateway and figures. See
 * hs_soak.h; the history and its checker live in hs_soakcheck.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/evp.h>

#include "util/hs_buf.h"
#include "judge/hs_contract.h"
#include "util/hs_escape.h"
#include "wire/hs_frame.h"
#include "util/hs_fsutil.h"
#include "wire/hs_http.h"
#include "target/hs_proc.h"
#include "load/hs_soak.h"
#include "judge/hs_dialect.h"
#include "load/hs_soakcheck.h"
#include "target/hs_launch.h"
#include "target/hs_target.h"
#include "util/hs_argv.h"
#include "wire/hs_token.h"
#include "wire/hs_wsconn.h"
#include "util/hs_clock.h"

#define MAX_HEAD 16384          /* an upgrade answer's head, at most */
#define MAX_PAYLOAD (1u << 20)  /* a frame from the gateway, at most */
#define READ_CHUNK 65536
#define TICK_MS 50              /* timeouts are checked this often */
#define SETTLE_MS 10000         /* counts back to baseline within this */
#define MAX_CONNECTS 200        /* connections per client per round */
#define STOP_MS 5000
#define EVENTS 256
#define MEMORY_ROUNDS 6         /* fewer rounds: memory reported, not judged */

typedef enum { C_IDLE, C_CONNECTING, C_UPGRADING, C_OPEN, C_CLOSING, C_DONE } cstate;

/* A request in flight, or waiting to be re-sent after a cut. */
typedef struct flight {
    long req;
    int seq, attempt;
    double t;
} flight;

typedef struct soak soak;

typedef struct client {
    soak *run;
    int id, fd;
    cstate st;
    long conn;                  /* serial of the current connection */
    char user[32];
    char key[32];               /* this connection's Sec-WebSocket-Key */
    hs_buf out;                 /* bytes not yet accepted by the kernel */
    size_t out_off;
    int want_out;               /* EPOLLOUT is registered */
    unsigned char *in;
    size_t in_len, in_cap;
    hs_buf msg;                 /* a fragmented message being reassembled */
    int msg_open;
    flight fly[HS_SOAK_MAX_WINDOW];
    int nfly;
    flight retry[HS_SOAK_MAX_WINDOW];
    int nretry;
    int next_seq, round_end;    /* logical requests of this round: [.., round_end) */
    int connects;               /* connections opened this round */
    int we_closed, ended, end_code;
    double deadline;
    unsigned long long rng;
} client;

struct soak {
    const hs_soak_opts *o;
    hs_soakcheck_history *h;
    client *c;
    int ep;
    int port;
    char secret[33];
    long conn_serial;
    int done;                   /* clients finished with this round */
    hs_target target;
    int started;
    char dir[PATH_MAX];
    char log[PATH_MAX + 32];
    json_t *problems;           /* run-level violations, as text */
    json_t *rounds;
    json_t *health;             /* the last /health before the stop */
    long never_sent;
    double active_ms;
};

static const char *const app_points[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
    NULL
};

void hs_soak_defaults(hs_soak_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->gateway = "build/gateway";
    o->clients = 1000;
    o->requests = 100;
    o->rounds = 10;
    o->window = 4;
    o->app_p = 0.05;
    o->net_p = 0.01;
    o->seed = 1;
    o->timeout_ms = 10000;
    o->max_attempts = 20;
}

static void problem(soak *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(soak *s, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(s->problems, json_string(msg));
}

/* xorshift64*: request types and masking keys, reproducible from the seed. */
static unsigned long long rng_next(unsigned long long *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

/* ---- output ------------------------------------------------------------ */

static int set_events(client *c, int want_out)
{
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };

    if (c->want_out == want_out)
        return 0;
    c->want_out = want_out;
    return epoll_ctl(c->run->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Hand queued bytes to the kernel; -1 when the socket is broken. */
static int flush(client *c)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return set_events(c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    hs_buf_reset(&c->out);
    c->out_off = 0;
    return set_events(c, 0);
}

/*
 * One masked frame (RFC 6455 5.3: every client frame is masked). The key
 * comes from the seeded generator: 10.3's unpredictability guards against
 * proxies reading client data as requests, and there is no proxy on the
 * loopback path of a soak.
 */
static int send_frame(client *c, int opcode, const void *payload, size_t len)
{
    unsigned long long k = rng_next(&c->rng);
    hs_frame_spec spec = { .fin = 1, .opcode = opcode, .masked = 1,
                           .payload = payload, .len = len, .declared_len = -1 };
    unsigned char *buf;
    size_t n;
    int rc;

    memcpy(spec.key, &k, sizeof(spec.key));
    if (hs_frame_encode(&spec, &buf, &n) != HS_FRAME_OK)
        return -1;
    rc = hs_buf_append(&c->out, buf, n);
    free(buf);
    return rc;
}

static int send_close(client *c, int code)
{
    unsigned char p[2] = { (unsigned char)(code >> 8), (unsigned char)(code & 0xff) };

    return send_frame(c, HS_OP_CLOSE, p, code == 1005 ? 0 : 2);
}

/* ---- requests ---------------------------------------------------------- */

static int work_left(const client *c)
{
    return c->nretry > 0 || c->next_seq < c->round_end;
}

static int send_request(client *c, int seq, int attempt)
{
    soak *s = c->run;
    const hs_profile *p = s->o->profile;
    size_t naliases = 0;
    double now = hs_now_ms();
    long req = hs_soakcheck_invoke(s->h, c->id, c->conn, s->o->ping ? HS_SOAKCHECK_PING : HS_SOAKCHECK_AGENT,
                              seq, attempt, now);
    char id[32], words[64], *text;
    json_t *msg;
    int rc;

    if (req < 0)
        return -1;
    while (p->aliases[naliases])
        naliases++;
    hs_soakcheck_request_id(req, id, sizeof(id));
    snprintf(words, sizeof(words), "soak request %d", seq);
    /* Every alias in turn, at random: each must map (seed missing-mapping). */
    msg = hs_profile_request(p, s->o->ping ? HS_REQ_PING : HS_REQ_AGENT,
                             p->aliases[rng_next(&c->rng) % naliases], id, words);
    text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!text)
        return -1;
    c->fly[c->nfly++] = (flight){ req, seq, attempt, now };
    rc = send_frame(c, HS_OP_TEXT, text, strlen(text));
    free(text);
    return rc;
}

/* Keep `window` requests in flight: re-sends first, then new ones. */
static int fill_window(client *c)
{
    while (c->st == C_OPEN && c->nfly < c->run->o->window && work_left(c)) {
        int rc;

        if (c->nretry > 0) {
            flight f = c->retry[--c->nretry];
            rc = send_request(c, f.seq, f.attempt);
        } else {
            rc = send_request(c, c->next_seq++, 1);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A terminal frame takes its request out of flight. */
static void answered(client *c, const json_t *j)
{
    const hs_profile *p = c->run->o->profile;
    const char *id = json_string_value(hs_dialect_answer_id(p, j));
    char want[32];

    if (!id || !hs_dialect_terminal(p, hs_dialect_answer(p, j)))
        return;
    for (int i = 0; i < c->nfly; i++) {
        hs_soakcheck_request_id(c->fly[i].req, want, sizeof(want));
        if (strcmp(want, id) != 0)
            continue;
        memmove(&c->fly[i], &c->fly[i + 1], (size_t)(c->nfly - i - 1) * sizeof(flight));
        c->nfly--;
        return;
    }
}

/* ---- connections ------------------------------------------------------- */

static void begin_connect(client *c);

static void round_finished(client *c)
{
    c->st = C_DONE;
    c->run->done++;
}

/*
 * Requests in flight when a connection ends: re-sent on the next one when
 * a cut (or a 1013, "try again later") explains the silence, abandoned
 * otherwise (the checker then reports them).
 */
static void requeue(client *c)
{
    int retry = c->end_code == HS_SOAKCHECK_ABNORMAL || c->end_code == 1013;

    for (int i = 0; i < c->nfly; i++)
        if (retry && c->fly[i].attempt < c->run->o->max_attempts && c->nretry < HS_SOAK_MAX_WINDOW)
            c->retry[c->nretry++] = (flight){ -1, c->fly[i].seq, c->fly[i].attempt + 1, 0 };
    c->nfly = 0;
}

/* The connection is over: record its end once, then reconnect or stop. */
static void finish(client *c, int code, int by_client)
{
    soak *s = c->run;

    if (!c->ended) {
        hs_soakcheck_end(s->h, c->id, c->conn, code, by_client, hs_now_ms());
        c->ended = 1;
        c->end_code = code;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    requeue(c);
    c->st = C_IDLE;
    if (!work_left(c)) {
        round_finished(c);
        return;
    }
    if (c->connects >= MAX_CONNECTS) {
        s->never_sent += (c->round_end - c->next_seq) + c->nretry;
        c->next_seq = c->round_end;
        c->nretry = 0;
        round_finished(c);
        return;
    }
    begin_connect(c);
}

static void new_key(client *c)
{
    unsigned char raw[16];
    unsigned long long a = rng_next(&c->rng), b = rng_next(&c->rng);

    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    EVP_EncodeBlock((unsigned char *)c->key, raw, sizeof(raw));
}

static int open_socket(client *c)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->run->port) };
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
    int one = 1;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    /* Small frames, answered at once: Nagle would add its delay to every one. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS)
        return -1;
    c->want_out = 1;
    return epoll_ctl(c->run->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void begin_connect(client *c)
{
    char why[160];

    c->conn = ++c->run->conn_serial;
    c->connects++;
    c->we_closed = c->ended = c->end_code = 0;
    c->in_len = 0;
    c->msg_open = 0;
    hs_buf_reset(&c->msg);
    hs_buf_reset(&c->out);
    c->out_off = 0;
    c->st = C_CONNECTING;
    c->deadline = hs_now_ms() + c->run->o->timeout_ms;
    if (open_socket(c) == 0)
        return;
    snprintf(why, sizeof(why), "could not open a connection: %s", strerror(errno));
    hs_soakcheck_garbage(c->run->h, c->id, c->conn, why, hs_now_ms());
    c->ended = 1;
    c->end_code = HS_SOAKCHECK_ABNORMAL;
    finish(c, HS_SOAKCHECK_ABNORMAL, 0);
}

/* The opening handshake (RFC 6455 4.1) with the token where the target's
 * profile wants it: a header, a query parameter or a subprotocol. */
static int request_head(client *c, const char *tok)
{
    const hs_profile *p = c->run->o->profile;
    const hs_profile_token *t = &p->token;
    int query = t->in == HS_TOKEN_QUERY;

    hs_buf_printf(&c->out, "GET %s%s%s%s%s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n",
                  p->app_path, query ? (strchr(p->app_path, '?') ? "&" : "?") : "",
                  query ? t->name : "", query ? "=" : "", query ? t->prefix : "",
                  query ? tok : "", c->run->port);
    hs_buf_printf(&c->out, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", c->key);
    if (t->in == HS_TOKEN_HEADER)
        hs_buf_printf(&c->out, "%s: %s%s\r\n", t->name, t->prefix, tok);
    else if (t->in == HS_TOKEN_SUBPROTOCOL)
        hs_buf_printf(&c->out, "Sec-WebSocket-Protocol: %s%s\r\n", t->prefix, tok);
    return hs_buf_puts(&c->out, "\r\n");
}

/* TCP is up: send the opening handshake (RFC 6455 4.1) with our token. */
static int send_handshake(client *c)
{
    soak *s = c->run;
    char err[200];
    char *tok = hs_token_make("valid", c->user, s->secret, err, sizeof(err));
    int rc;

    if (!tok)
        return -1;
    new_key(c);
    rc = request_head(c, tok);
    free(tok);
    c->st = C_UPGRADING;
    return rc == 0 ? flush(c) : -1;
}

static void on_connected(client *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    char why[160];

    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr == 0 && send_handshake(c) == 0)
        return;
    snprintf(why, sizeof(why), "could not connect: %s", strerror(soerr ? soerr : errno));
    hs_soakcheck_garbage(c->run->h, c->id, c->conn, why, hs_now_ms());
    c->ended = 1;
    c->end_code = HS_SOAKCHECK_ABNORMAL;
    finish(c, HS_SOAKCHECK_ABNORMAL, 0);
}

/* The value of header name in an HTTP head, or NULL (case-insensitive). */
static const char *header(const char *head, const char *name, size_t *vlen)
{
    size_t n = strlen(name);

    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;

        if (strncasecmp(line, name, n) != 0 || line[n] != ':')
            continue;
        line += n + 1;
        while (*line == ' ' || *line == '\t')
            line++;
        *vlen = strcspn(line, "\r");
        return line;
    }
    return NULL;
}

/* The whole head arrived: judge the status and the accept key (4.2.2). */
static int upgraded(client *c, char *head)
{
    char want[29];
    const char *v;
    size_t vlen = 0;
    int status = 0;

    if (sscanf(head, "HTTP/1.%*[01] %3d", &status) != 1) {
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "the upgrade answer is not HTTP",
                        hs_now_ms());
        return -1;
    }
    hs_soakcheck_upgrade(c->run->h, c->id, c->conn, status, hs_now_ms());
    if (status != 101)
        return -1;
    hs_ws_accept_for(c->key, want);
    v = header(head, "Sec-WebSocket-Accept", &vlen);
    if (!v || vlen != strlen(want) || strncmp(v, want, vlen) != 0) {
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "Sec-WebSocket-Accept is wrong "
                        "(RFC 6455 4.2.2)", hs_now_ms());
        return -1;
    }
    c->st = C_OPEN;
    return fill_window(c);
}

/* 1: upgraded, 0: need more bytes, -1: the connection must go. */
static int read_head(client *c)
{
    unsigned char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    size_t n;
    int rc;

    if (!end) {
        if (c->in_len < MAX_HEAD)
            return 0;
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "the upgrade answer's head is too "
                        "long", hs_now_ms());
        return -1;
    }
    n = (size_t)(end - c->in) + 4;
    end[2] = '\0';
    rc = upgraded(c, (char *)c->in);
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
    return rc == 0 ? 1 : -1;
}

/* ---- frames ------------------------------------------------------------ */

static void on_text(client *c, const unsigned char *p, size_t n)
{
    json_t *j = json_loadb((const char *)p, n, 0, NULL);

    if (!j) {
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "a text message that is not JSON",
                        hs_now_ms());
        return;
    }
    hs_soakcheck_frame(c->run->h, c->id, c->conn, j, hs_now_ms());
    answered(c, j);
    json_decref(j);
}

/* The server's close frame: record the end, echo it (RFC 6455 5.5.1). */
static int on_close_frame(client *c, const hs_frame *f)
{
    const char *reason;
    size_t rlen;
    int code;

    if (hs_close_payload_parse(f->payload, (size_t)f->len, &code, &reason, &rlen) != 0 ||
        (code != 1005 && !hs_close_code_valid(code))) {
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "a close frame with an invalid code",
                        hs_now_ms());
        code = HS_SOAKCHECK_ABNORMAL;
    }
    if (!c->ended) {
        hs_soakcheck_end(c->run->h, c->id, c->conn, code, c->we_closed, hs_now_ms());
        c->ended = 1;
        c->end_code = code;
    }
    if (!c->we_closed && send_close(c, code == HS_SOAKCHECK_ABNORMAL ? 1002 : code) != 0)
        return -1;
    c->we_closed = 1;
    c->st = C_CLOSING;
    c->deadline = hs_now_ms() + c->run->o->timeout_ms;
    return 0;
}

/* Data frames, reassembled (RFC 6455 5.4); binary is not this protocol. */
static int on_data(client *c, const hs_frame *f)
{
    if (f->opcode != HS_OP_CONT) {
        if (c->msg_open)
            return -1;
        hs_buf_reset(&c->msg);
        c->msg_open = f->opcode == HS_OP_TEXT ? 1 : 2;
    } else if (!c->msg_open) {
        return -1;
    }
    if (hs_buf_append(&c->msg, f->payload, (size_t)f->len) != 0 || c->msg.len > MAX_PAYLOAD)
        return -1;
    if (!f->fin)
        return 0;
    if (c->msg_open == 1)
        on_text(c, (unsigned char *)(c->msg.p ? c->msg.p : ""), c->msg.len);
    else
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "a binary message", hs_now_ms());
    c->msg_open = 0;
    return 0;
}

static int on_frame(client *c, const hs_frame *f)
{
    if (f->masked || f->rsv) {
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, f->masked ? "a masked frame from the "
                        "server (RFC 6455 5.1)" : "RSV bits without an extension (5.2)",
                        hs_now_ms());
        return -1;
    }
    switch (f->opcode) {
    case HS_OP_CONT:
    case HS_OP_TEXT:
    case HS_OP_BINARY:
        if (on_data(c, f) == 0)
            return 0;
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "broken fragmentation (RFC 6455 5.4)",
                        hs_now_ms());
        return -1;
    case HS_OP_CLOSE:
        return on_close_frame(c, f);
    case HS_OP_PING:
        return send_frame(c, HS_OP_PONG, f->payload, (size_t)f->len);
    case HS_OP_PONG:
        return 0;
    default:
        hs_soakcheck_garbage(c->run->h, c->id, c->conn, "a reserved opcode", hs_now_ms());
        return -1;
    }
}

/* Every whole frame in the input buffer; -1 when the connection must go. */
static int read_frames(client *c)
{
    size_t off = 0, used;
    hs_frame f;
    int rc = 0;

    while (rc == 0 && off < c->in_len) {
        int d = hs_frame_decode(c->in + off, c->in_len - off, MAX_PAYLOAD, &f, &used);

        if (d == HS_FRAME_NEED_MORE)
            break;
        if (d != HS_FRAME_OK) {
            hs_soakcheck_garbage(c->run->h, c->id, c->conn, "an undecodable frame", hs_now_ms());
            rc = -1;
            break;
        }
        off += used;
        rc = on_frame(c, &f);
        hs_frame_free(&f);
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return rc;
}

/* ---- the loop ---------------------------------------------------------- */

static void start_close(client *c)
{
    c->we_closed = 1;
    c->st = C_CLOSING;
    c->deadline = hs_now_ms() + c->run->o->timeout_ms;
    if (send_close(c, 1000) != 0 || flush(c) != 0)
        finish(c, HS_SOAKCHECK_ABNORMAL, 1);
}

/* After input: refill the window, close when the round's share is done. */
static void progress(client *c)
{
    if (c->st == C_OPEN && fill_window(c) != 0) {
        finish(c, HS_SOAKCHECK_ABNORMAL, 0);
        return;
    }
    if (flush(c) != 0) {
        finish(c, HS_SOAKCHECK_ABNORMAL, c->we_closed);
        return;
    }
    if (c->st == C_OPEN && c->nfly == 0 && !work_left(c))
        start_close(c);
}

/* Read what the kernel has: 1 data read, 0 nothing, -1 EOF or error. */
static int fill_input(client *c)
{
    ssize_t n;

    if (c->in_cap - c->in_len < READ_CHUNK) {
        unsigned char *p = realloc(c->in, c->in_len + READ_CHUNK);

        if (!p)
            return -1;
        c->in = p;
        c->in_cap = c->in_len + READ_CHUNK;
    }
    n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    c->in_len += (size_t)n;
    return 1;
}

static void on_readable(client *c)
{
    int got = fill_input(c);

    if (got > 0 && c->st == C_UPGRADING) {
        /* A refused upgrade is in the history already: no end entry. */
        if (read_head(c) < 0) {
            c->ended = 1;
            c->end_code = 0;
            finish(c, 0, 0);
            return;
        }
    }
    if (got > 0 && (c->st == C_OPEN || c->st == C_CLOSING) && read_frames(c) != 0) {
        finish(c, HS_SOAKCHECK_ABNORMAL, c->we_closed);
        return;
    }
    if (got < 0) {
        /* After the close frames, the server's FIN is the normal end. */
        finish(c, HS_SOAKCHECK_ABNORMAL, c->we_closed);
        return;
    }
    progress(c);
}

static void on_event(client *c, unsigned int events)
{
    long conn = c->conn;

    if (c->st == C_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected(c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(c);
    /* The events were for the connection that was there before. */
    if (c->conn != conn || c->fd < 0 || !(events & EPOLLOUT))
        return;
    if (c->st != C_DONE && c->st != C_IDLE && flush(c) != 0)
        finish(c, HS_SOAKCHECK_ABNORMAL, c->we_closed);
}

/* Connections and requests past their ceiling. */
static void check_timeouts(soak *s, double now)
{
    int limit = s->o->timeout_ms;

    for (int i = 0; i < s->o->clients; i++) {
        client *c = &s->c[i];

        if (c->st == C_DONE || c->st == C_IDLE)
            continue;
        if (c->st == C_OPEN && c->nfly > 0 && now - c->fly[0].t > limit)
            finish(c, HS_SOAKCHECK_TIMEOUT, 0);
        else if (c->st != C_OPEN && now > c->deadline)
            finish(c, HS_SOAKCHECK_TIMEOUT, c->we_closed);
    }
}

static int run_loop(soak *s)
{
    struct epoll_event ev[EVENTS];
    double next_tick = hs_now_ms() + TICK_MS;

    while (s->done < s->o->clients) {
        int n = epoll_wait(s->ep, ev, EVENTS, TICK_MS);

        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++) {
            client *c = ev[i].data.ptr;
            if (c->fd >= 0)
                on_event(c, ev[i].events);
        }
        if (hs_now_ms() >= next_tick) {
            check_timeouts(s, hs_now_ms());
            next_tick = hs_now_ms() + TICK_MS;
            if (!hs_target_alive(&s->target))
                return -1;
        }
    }
    return 0;
}

/* ---- rounds ------------------------------------------------------------ */

static json_t *get_health(soak *s)
{
    hs_http_resp r;
    char err[256];
    json_t *j = NULL;

    /* Injected send faults may cut /health too: ask again. */
    for (int i = 0; i < 20 && !j; i++) {
        memset(&r, 0, sizeof(r));
        if (hs_http_request("127.0.0.1", s->port, "GET",
                            hs_dialect_health_path(s->o->profile), NULL, NULL, 2000, &r,
                            err, sizeof(err)) == 0 && r.status == 200 && json_is_object(r.json))
            j = json_incref(r.json);
        hs_http_resp_free(&r);
    }
    return j;
}

static int settled(const soak *s, const json_t *h)
{
    return h && hs_dialect_settled(s->o->profile, h);
}

/* /health once every client left: counts must come back to baseline. */
static json_t *settle(soak *s)
{
    double end = hs_now_ms() + SETTLE_MS;
    json_t *h = NULL;

    for (;;) {
        json_decref(h);
        h = get_health(s);
        if (settled(s, h) || hs_now_ms() > end || !hs_target_alive(&s->target))
            return h;
        usleep(20000);
    }
}

/* One "Name:  N kB" field of /proc/PID/status, or -1. */
static long status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t n = strlen(field);
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (kib < 0 && fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return kib;
}

static void start_round(soak *s, int r)
{
    const hs_soak_opts *o = s->o;

    s->done = 0;
    for (int i = 0; i < o->clients; i++) {
        client *c = &s->c[i];

        c->round_end = (int)((long long)o->requests * (r + 1) / o->rounds);
        c->connects = 0;
        begin_connect(c);
    }
}

static json_t *round_json(soak *s, int r, double ms, size_t attempts, const json_t *h)
{
    const hs_profile_health *k = &s->o->profile->health;
    long rss = status_kib(s->target.pid, "VmRSS");
    long data = status_kib(s->target.pid, "VmData");
    json_int_t conns = hs_dialect_count(h, k->connections);
    json_int_t handlers = hs_dialect_count(h, k->handlers);
    json_int_t base = k->handlers_baseline ? hs_dialect_count(h, k->handlers_baseline) : 0;
    int ok = settled(s, h);

    if (!ok)
        problem(s, "round %d: health did not come back to baseline within %d ms "
                "(connections %lld, handlers %lld, baseline %lld)", r + 1, SETTLE_MS,
                (long long)conns, (long long)handlers, (long long)base);
    return json_pack("{s:i,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:b}", "round", r + 1,
                     "attempts", (json_int_t)attempts, "duration_ms", ms,
                     "rss_kib", (json_int_t)rss, "data_kib", (json_int_t)data,
                     "connections", conns, "handlers", handlers, "handlers_baseline", base,
                     "settled", ok);
}

static void print_round(const soak *s, const json_t *r)
{
    double ms = json_real_value(json_object_get(r, "duration_ms"));
    json_int_t n = json_integer_value(json_object_get(r, "attempts"));

    if (s->o->quiet)
        return;
    printf("round %lld/%d: %lld attempts in %.2f s (%.0f/s); rss %.1f MiB, data %.1f MiB; "
           "connections %lld, handlers %lld (baseline %lld)\n",
           (long long)json_integer_value(json_object_get(r, "round")), s->o->rounds,
           (long long)n, ms / 1000, ms > 0 ? (double)n * 1000 / ms : 0.0,
           (double)json_integer_value(json_object_get(r, "rss_kib")) / 1024,
           (double)json_integer_value(json_object_get(r, "data_kib")) / 1024,
           (long long)json_integer_value(json_object_get(r, "connections")),
           (long long)json_integer_value(json_object_get(r, "handlers")),
           (long long)json_integer_value(json_object_get(r, "handlers_baseline")));
    fflush(stdout);
}

static int run_rounds(soak *s)
{
    for (int r = 0; r < s->o->rounds; r++) {
        size_t before = hs_soakcheck_requests(s->h);
        double t0 = hs_now_ms(), ms;
        json_t *h, *rj;

        start_round(s, r);
        if (run_loop(s) != 0) {
            problem(s, "round %d: the gateway died or the event loop failed", r + 1);
            return -1;
        }
        ms = hs_now_ms() - t0;
        s->active_ms += ms;
        h = settle(s);
        rj = round_json(s, r, ms, hs_soakcheck_requests(s->h) - before, h);
        json_decref(h);
        print_round(s, rj);
        json_array_append_new(s->rounds, rj);
    }
    return 0;
}

/* ---- the gateway ------------------------------------------------------- */

/* The gateway's --fault flags: the soak's own, or every catalogued point but
 * the one-time startup delay at app_p. */
static char **gateway_args(const soak *s)
{
    const hs_soak_opts *o = s->o;
    char **v = NULL, buf[160];
    size_t n = 0;

    for (size_t i = 0; o->faults && o->faults[i]; i++) {
        hs_argv_add(&v, &n, "--fault");
        hs_argv_add(&v, &n, o->faults[i]);
    }
    for (size_t i = 0; !o->faults && o->app_p > 0 && app_points[i]; i++) {
        if (strcmp(app_points[i], "gateway/startup/slow") == 0)
            continue;
        snprintf(buf, sizeof(buf), "%s:p=%g", app_points[i], o->app_p);
        hs_argv_add(&v, &n, "--fault");
        hs_argv_add(&v, &n, buf);
    }
    return v;
}

static int start_gateway(soak *s, char *err, size_t errlen)
{
    /* failinfo=104: ECONNRESET, which lws treats as a dead peer, where a
     * random errno could be EAGAIN that it merely retries. */
    hs_launch_posix send_reset = { "posix/io/net/send", s->o->net_p, 104 };
    char **args = gateway_args(s);
    hs_launch l = { .gateway = s->o->gateway, .gateway_args = args, .dir = s->dir,
                    .stderr_path = s->log, .secret = s->secret, .seed = s->o->seed,
                    .posix = &send_reset, .nposix = s->o->net_p > 0,
                    .preload_first = s->o->preload_first };
    int rc;

    hs_token_secret(s->secret);
    rc = hs_launch_start(&l, &s->target, err, errlen);
    hs_argv_free(args);
    if (rc != 0)
        return -1;
    s->started = 1;
    s->port = s->target.port;
    return 0;
}

/* Every enabled point must have fired, or the run tested less than it says. */
static void check_fired(soak *s)
{
    const char *name;
    json_t *f;

    json_object_foreach(hs_dialect_faults(s->o->profile, s->health), name, f)
        if (json_is_true(json_object_get(f, "enabled")) &&
            json_integer_value(json_object_get(f, "fired")) == 0)
            problem(s, "%s was enabled but never fired (reached %lld times)", name,
                    (long long)json_integer_value(json_object_get(f, "reached")));
}

/* SIGTERM must end it with 0; its stderr must be clean JSON lines. */
static void stop_gateway(soak *s)
{
    char err[256], desc[64], line[400];
    int status = 0, rc;
    hs_record rec = { 0 };
    json_t *reasons = json_array(), *r;
    char *text = NULL;
    size_t n, i;

    s->health = get_health(s);
    rc = hs_target_stop(&s->target, STOP_MS, &status, err, sizeof(err));
    hs_target_describe_status(status, desc, sizeof(desc));
    if (rc != HS_TARGET_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        problem(s, "the gateway did not exit 0 on SIGTERM: %s", desc);
    if (hs_fs_read_file(s->log, &text, &n, err, sizeof(err)) != 0)
        problem(s, "cannot read the gateway's log: %s", err);
    if (hs_contract_sanitizer(text, line, sizeof(line)))
        problem(s, "sanitizer report in the gateway's stderr (see %s)", s->log);
    rec.stderr_text = text;
    rec.profile = s->o->profile;
    hs_contract_logs(&rec, reasons);
    json_array_foreach(reasons, i, r)
        problem(s, "%s", json_string_value(json_object_get(r, "message")));
    json_decref(reasons);
    free(text);
    check_fired(s);
}

/* ---- figures ----------------------------------------------------------- */

static json_int_t round_kib(const soak *s, size_t i, const char *key)
{
    return json_integer_value(json_object_get(json_array_get(s->rounds, i), key));
}

/*
 * Memory must not grow with the rounds. Two samples per round: VmData, the
 * memory the gateway has asked for (heap and anonymous mappings), and
 * VmRSS, what is resident. Every round repeats the same load, so once the
 * allocator has seen the round's peak VmData stays flat, and a leak shows
 * as growth from round to round. The peak depends on how many handshakes
 * happen to overlap (each holds a 32 KiB header buffer), which a few
 * hundred clients reach only in some round, so the first half of the
 * rounds is the warm-up: the last sample may exceed the highest of the
 * first half by 5 %, at least 4 MiB. Fewer than MEMORY_ROUNDS rounds are
 * reported, not judged. VmRSS is reported only: it keeps rising for
 * several rounds without any leak, towards VmData, because each round
 * touches pages of the heap the earlier ones had not.
 */
static void check_memory(soak *s)
{
    size_t n = json_array_size(s->rounds);
    json_int_t peak = 0, last, slack;
    size_t at = 0;

    if (n < MEMORY_ROUNDS || s->o->no_memory_check)
        return;
    for (size_t i = 0; i < n / 2; i++)
        if (round_kib(s, i, "data_kib") > peak) {
            peak = round_kib(s, i, "data_kib");
            at = i + 1;
        }
    last = round_kib(s, n - 1, "data_kib");
    slack = peak / 20 > 4096 ? peak / 20 : 4096;
    if (last - peak > slack)
        problem(s, "the gateway's memory grew after the warm-up: VmData %lld KiB after "
                "round %zu (the first half's peak), %lld KiB after round %zu (more than "
                "%lld KiB)", (long long)peak, at, (long long)last, n, (long long)slack);
}

/* Server close frames received: every end but cuts and timeouts. */
static double close_frames(const json_t *closes)
{
    double n = 0;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)closes, k, v)
        if (strcmp(k, "abnormal") != 0 && strcmp(k, "timeout") != 0)
            n += (double)json_integer_value(v);
    return n;
}

/*
 * With send() faults injected, an abnormal end is forgiven as a cut, so a
 * gateway that dropped connections by itself would hide among the cuts.
 * Every frame, upgrade answer and close frame the gateway sends is one
 * send() call failing with probability p, and a failure ends the
 * connection: the cuts follow a binomial law over the sends attempted
 * (those that arrived plus the cuts). More cuts than its mean plus 6
 * standard deviations are not explained by the faults. (/health answers
 * are sends too, but a cut one is asked again and is no connection of the
 * history.)
 */
static void check_cuts(soak *s, const json_t *verdict)
{
    const json_t *cn = json_object_get(verdict, "connections");
    double cut = (double)json_integer_value(json_object_get(cn, "cut"));
    double upgrades = (double)(json_integer_value(json_object_get(cn, "opened")) -
                               json_integer_value(json_object_get(cn, "upgrade_cut")));
    double sends = (double)json_integer_value(json_object_get(verdict, "frames")) +
                   upgrades + close_frames(json_object_get(cn, "closes")) + cut;
    double mean = s->o->net_p * sends;
    double allowed = mean + 6 * sqrt(mean * (1 - s->o->net_p)) + 5;

    if (s->o->net_p > 0 && cut > allowed)
        problem(s, "%.0f connections ended without a close frame; the injected send() "
                "failures explain about %.0f (p=%g over %.0f sends, at most %.0f)", cut,
                mean, s->o->net_p, sends, allowed);
}

static json_t *config_json(const soak *s)
{
    const hs_soak_opts *o = s->o;
    json_t *faults = json_array();
    char **argv = gateway_args(s);

    for (size_t i = 0; argv && argv[i]; i++)
        if (strcmp(argv[i], "--fault") == 0 && argv[i + 1])
            json_array_append_new(faults, json_string(argv[++i]));
    hs_argv_free(argv);
    return json_pack("{s:s,s:i,s:i,s:i,s:i,s:b,s:f,s:o,s:f,s:I,s:i,s:i}",
                     "gateway", o->gateway, "clients", o->clients, "requests", o->requests,
                     "rounds", o->rounds, "window", o->window, "ping", o->ping,
                     "app_fault_p", o->app_p, "faults", faults, "net_fault_p", o->net_p,
                     "seed", (json_int_t)o->seed, "timeout_ms", o->timeout_ms,
                     "max_attempts", o->max_attempts);
}

static json_t *figures(soak *s, json_t *verdict, double wall)
{
    json_t *rss = json_array(), *data = json_array(), *r;
    json_int_t logical = json_integer_value(json_object_get(json_object_get(verdict, "final"),
                                                            "logical"));
    size_t i, total;

    check_memory(s);
    check_cuts(s, verdict);
    json_array_foreach(s->rounds, i, r) {
        json_array_append(rss, json_object_get(r, "rss_kib"));
        json_array_append(data, json_object_get(r, "data_kib"));
    }
    if (s->never_sent > 0)
        problem(s, "%ld requests were never sent (a client ran out of connection "
                "attempts)", s->never_sent);
    total = (size_t)json_integer_value(json_object_get(verdict, "violations")) +
            json_array_size(s->problems);
    return json_pack("{s:s,s:o,s:O,s:I,s:f,s:f,s:f,s:o,s:o,s:O,s:o,s:s,s:O,s:I}",
                     "format", "wsfault-soak/1", "config", config_json(s),
                     "checker", verdict, "requests", logical,
                     "requests_per_s", s->active_ms > 0 ? (double)logical * 1000 / s->active_ms : 0.0,
                     "active_ms", s->active_ms, "wall_ms", wall,
                     "rss_kib", rss, "data_kib", data, "rounds", s->rounds,
                     "faults", hs_contract_fault_counts(s->o->profile, s->health), "gateway_log", s->log,
                     "problems", s->problems, "violations", (json_int_t)total);
}

/* ---- the run ----------------------------------------------------------- */

/* A thousand sockets need more than the common 1024 descriptors. */
static void raise_fd_limit(int clients)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)clients * 2 + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int setup(soak *s, const hs_soak_opts *o, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");

    memset(s, 0, sizeof(*s));
    s->o = o;
    s->ep = -1;
    s->problems = json_array();
    s->rounds = json_array();
    s->h = hs_soakcheck_new(o->profile);
    if (!s->h && hs_profile_nevents(o->profile) != HS_SOAKCHECK_NEVENTS) {
        snprintf(err, errlen, "the soak checks answers of %d agent events; profile %s "
                 "names %zu in answers.events", HS_SOAKCHECK_NEVENTS, o->profile->file,
                 hs_profile_nevents(o->profile));
        return -1;
    }
    s->c = calloc((size_t)o->clients, sizeof(*s->c));
    snprintf(s->dir, sizeof(s->dir), "%s/wsfault-soak-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!s->h || !s->c || !mkdtemp(s->dir)) {
        snprintf(err, errlen, "cannot set up the soak: %s", strerror(errno));
        return -1;
    }
    snprintf(s->log, sizeof(s->log), "%s", o->log_path ? o->log_path : "");
    if (!o->log_path)
        snprintf(s->log, sizeof(s->log), "%s/gateway.log", s->dir);
    else if (hs_fs_mkparent(o->log_path, err, errlen) != 0)
        return -1;
    for (int i = 0; i < o->clients; i++) {
        client *c = &s->c[i];
        c->run = s;
        c->id = i;
        c->fd = -1;
        c->rng = (o->seed + 1) * 0x9E3779B97F4A7C15ULL ^ ((unsigned long long)i + 1) * 0xD1B54A32D192ED03ULL;
        snprintf(c->user, sizeof(c->user), "soak-user-%d", i);
    }
    raise_fd_limit(o->clients);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    return s->ep < 0 ? -1 : 0;
}

static void teardown(soak *s)
{
    char path[PATH_MAX + 16];

    for (int i = 0; s->c && i < s->o->clients; i++) {
        if (s->c[i].fd >= 0)
            close(s->c[i].fd);
        free(s->c[i].in);
        hs_buf_free(&s->c[i].out);
        hs_buf_free(&s->c[i].msg);
    }
    if (s->started && hs_target_alive(&s->target))
        hs_target_kill(&s->target);
    if (s->ep >= 0)
        close(s->ep);
    snprintf(path, sizeof(path), "%s/port", s->dir);
    unlink(path);
    if (!s->o->log_path) {
        snprintf(path, sizeof(path), "%s/gateway.log", s->dir);
        unlink(path);
    }
    rmdir(s->dir);
    free(s->c);
    hs_soakcheck_free(s->h);
    json_decref(s->problems);
    json_decref(s->rounds);
    json_decref(s->health);
}

static int valid_opts(const hs_soak_opts *o, char *err, size_t errlen)
{
    if (o->clients < 1 || o->requests < 0 || o->rounds < 1 || o->window < 1 ||
        o->window > HS_SOAK_MAX_WINDOW || o->timeout_ms < 1 || o->max_attempts < 1 ||
        o->app_p < 0 || o->app_p > 1 || o->net_p < 0 || o->net_p > 1) {
        snprintf(err, errlen, "soak options out of range (clients >= 1, rounds >= 1, "
                 "window 1..%d, probabilities 0..1)", HS_SOAK_MAX_WINDOW);
        return -1;
    }
    return 0;
}

int hs_soak_run(const hs_soak_opts *o, json_t **out, char *err, size_t errlen)
{
    hs_soakcheck_opts co = { o->net_p > 0, 0 };
    json_t *verdict = NULL;
    double t0 = hs_now_ms();
    soak s;
    int rc = -1;

    *out = NULL;
    if (valid_opts(o, err, errlen) != 0)
        return -1;
    hs_proc_install_handlers();
    if (setup(&s, o, err, errlen) != 0 || start_gateway(&s, err, errlen) != 0)
        goto out;
    if (!o->quiet)
        printf("soak: %d clients x %d requests in %d rounds against %s (port %d)\n",
               o->clients, o->requests, o->rounds, o->gateway, s.port);
    run_rounds(&s);
    stop_gateway(&s);
    if (hs_soakcheck_run(s.h, &co, &verdict) < 0) {
        snprintf(err, errlen, "out of memory checking the history");
        goto out;
    }
    *out = figures(&s, verdict, hs_now_ms() - t0);
    json_decref(verdict);
    rc = (int)json_integer_value(json_object_get(*out, "violations"));
out:
    teardown(&s);
    return rc;
}

/* ---- printing and the command ---------------------------------------- */

static json_int_t num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void print_codes(const json_t *codes)
{
    const char *k;
    json_t *v;
    int first = 1;

    if (!json_object_size(codes))
        return;
    printf("failed by code:");
    json_object_foreach((json_t *)codes, k, v) {
        printf("%s %s %lld", first ? "" : ",", k, (long long)json_integer_value(v));
        first = 0;
    }
    printf("\n");
}

static void print_list(const char *title, const json_t *list, size_t max)
{
    json_t *m;
    size_t i;

    json_array_foreach((json_t *)list, i, m) {
        if (i == max) {
            printf("  ... %zu more\n", json_array_size(list) - max);
            break;
        }
        if (i == 0)
            printf("%s:\n", title);
        printf("  %s\n", json_string_value(m));
    }
}

void hs_soak_print(const json_t *f, size_t max_messages)
{
    const json_t *v = json_object_get(f, "checker"), *o = json_object_get(v, "outcomes");
    const json_t *fin = json_object_get(v, "final"), *cn = json_object_get(v, "connections");
    const json_t *lat = json_object_get(v, "latency_ms"), *r;
    size_t i;

    printf("requests: %lld logical, %lld attempts: ok %lld, ok degraded %lld, failed %lld, "
           "unknown %lld\n", (long long)num(fin, "logical"), (long long)num(v, "attempts"),
           (long long)num(o, "ok"), (long long)num(o, "ok_degraded"),
           (long long)num(o, "failed"), (long long)num(o, "unknown"));
    print_codes(json_object_get(v, "failed_codes"));
    printf("final: %lld ok, %lld failed, %lld unresolved\n", (long long)num(fin, "ok"),
           (long long)num(fin, "failed"), (long long)num(fin, "unresolved"));
    printf("connections: %lld opened, %lld cut (%lld before the upgrade answer); "
           "%lld frames received\n", (long long)num(cn, "opened"), (long long)num(cn, "cut"),
           (long long)num(cn, "upgrade_cut"), (long long)num(v, "frames"));
    printf("throughput: %.0f requests/s (%.1f s of rounds, %.1f s wall)\n",
           json_real_value(json_object_get(f, "requests_per_s")),
           json_real_value(json_object_get(f, "active_ms")) / 1000,
           json_real_value(json_object_get(f, "wall_ms")) / 1000);
    printf("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (invoke to terminal frame)\n",
           json_real_value(json_object_get(lat, "p50")), json_real_value(json_object_get(lat, "p99")),
           json_real_value(json_object_get(lat, "max")));
    printf("rss per round (MiB):");
    json_array_foreach(json_object_get(f, "rss_kib"), i, r)
        printf(" %.1f", (double)json_integer_value(r) / 1024);
    printf("\ndata per round (MiB):");
    json_array_foreach(json_object_get(f, "data_kib"), i, r)
        printf(" %.1f", (double)json_integer_value(r) / 1024);
    printf("\n");
    print_list("violations found by the checker", json_object_get(v, "messages"), max_messages);
    print_list("run problems", json_object_get(f, "problems"), max_messages);
    printf("violations: %lld\n", (long long)num(f, "violations"));
}
