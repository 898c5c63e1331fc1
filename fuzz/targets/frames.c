/*
 * Fuzz target: the frame path. A client byte stream reaches a real
 * libwebsockets 4.1.6 context over a socketpair, after a fixed, valid
 * upgrade request carrying a valid token; complete messages go to a fresh
 * gw_app per input.
 *
 * Input: byte 0 bit 0 picks the mode, byte 1 the chop size (0: one write,
 * else writes of that many bytes with the event loop run in between), the
 * rest is the body:
 *   raw     the body is written as it is (any bytes, any framing);
 *   framed  the body is read as [ctl][len][len2 if ctl bit 6][payload] and
 *           each becomes one well-formed masked frame (RFC 6455 5.2):
 *           opcode from ctl bits 0-2, FIN unless bit 3, a 16-bit length when
 *           bit 6; control frames are final and at most 125 bytes (5.5),
 *           close payloads start with a registered code (7.4.1).
 *
 * gw_server's callbacks are static, so the glue below does what it does in
 * the fewest lines: reassemble fragments with a size cap (1009), queue
 * writes one per writeable callback, close with the code gw_app asks for.
 *
 * Judged: the upgrade is answered 101 whatever follows; the server never
 * masks a frame (5.1) and never closes with 1011 or with a code outside the
 * ones this glue and lws send, unless it echoes the client's own close
 * payload (lws does, whatever it holds); once the connection is gone no
 * session or handler is left in gw_app.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "fz_app.h"
#include "gateway/gw_app.h"
#include "gateway/gw_auth.h"
#include "wire/hs_frame.h"

#define MAX_MESSAGE 8192        /* small, so a few bytes reach 1009 */
#define OUT_MAX (256 * 1024)    /* server bytes kept for judging */
#define SETTLE_MAX 64           /* event loop rounds per settle */
#define CLIENT_CLOSES_MAX 8

typedef struct fz_out {
    struct fz_out *next;
    size_t len;
    unsigned char buf[];        /* LWS_PRE bytes of headroom, then data */
} fz_out;

/* The one connection of an input, as the gateway glue would keep it. */
static struct {
    struct lws *wsi;
    gw_session *session;
    fz_out *head, *tail;
    unsigned char rx[MAX_MESSAGE];
    size_t rx_len;
    int rx_binary;
    int close_code;
    char close_reason[124];
    int destroyed;
} conn;

static struct {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    gw_app *app;
    int client;                 /* our end of the socketpair */
    unsigned long activity;     /* callbacks and bytes seen: settle's clock */
    unsigned char *out;         /* what the server wrote */
    size_t out_len;
    char *hello;                /* the fixed upgrade request */
} fz;

static const int close_codes[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                   1010, 1011, 3000, 4000 };

/* What this glue (1008, 1009, 1013) and lws itself (1000-1003, 1007) send. */
static const int server_codes[] = { 1000, 1001, 1002, 1003, 1005, 1007, 1008,
                                    1009, 1013 };

static void violation(const char *what)
{
    fprintf(stderr, "fuzz contract violation: %s\n", what);
    abort();
}

static void free_queue(void)
{
    while (conn.head) {
        fz_out *o = conn.head;

        conn.head = o->next;
        free(o);
    }
    conn.tail = NULL;
}

static void io_send(gw_session *s, const char *text, size_t len)
{
    fz_out *o = malloc(sizeof(*o) + LWS_PRE + len);

    if (!o)
        return;
    o->next = NULL;
    o->len = len;
    memcpy(o->buf + LWS_PRE, text, len);
    if (conn.tail)
        conn.tail->next = o;
    else
        conn.head = o;
    conn.tail = o;
    lws_callback_on_writable(conn.wsi);
}

static void io_close(gw_session *s, int code, const char *reason)
{
    conn.close_code = code;
    snprintf(conn.close_reason, sizeof(conn.close_reason), "%s", reason);
    lws_callback_on_writable(conn.wsi);
}

static const gw_io fz_io = { io_send, io_close };

/* Accept first, then authenticate (seed auth-before-accept). */
static int on_established(struct lws *wsi)
{
    char hdr[GW_AUTH_MAX_TOKEN + 64];
    const char *token = NULL;

    conn.wsi = wsi;
    if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0)
        token = gw_auth_bearer(hdr);
    conn.session = gw_app_open(fz.app, token ? token : "", &conn);
    return conn.session ? 0 : -1;
}

/* Messages arrive in chunks; reassemble and cap them (RFC 6455 10.4: 1009). */
static int on_receive(struct lws *wsi, const void *in, size_t len)
{
    static const char too_big[] = "message too big";

    if (conn.close_code)
        return 0;
    if (lws_is_first_fragment(wsi)) {
        conn.rx_len = 0;
        conn.rx_binary = lws_frame_is_binary(wsi);
    }
    if (len > MAX_MESSAGE - conn.rx_len) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)too_big, sizeof(too_big) - 1);
        return -1;
    }
    memcpy(conn.rx + conn.rx_len, in, len);
    conn.rx_len += len;
    if (!lws_is_final_fragment(wsi))
        return 0;
    if (conn.rx_binary)
        gw_app_binary(fz.app, conn.session);
    else
        gw_app_message(fz.app, conn.session, (const char *)conn.rx, conn.rx_len);
    conn.rx_len = 0;
    return 0;
}

/* One lws_write per writeable callback; the close goes after the queue. */
static int on_writeable(struct lws *wsi)
{
    fz_out *o = conn.head;
    int n;

    if (!o && conn.close_code) {
        lws_close_reason(wsi, (enum lws_close_status)conn.close_code,
                         (unsigned char *)conn.close_reason, strlen(conn.close_reason));
        return -1;
    }
    if (!o)
        return 0;
    n = lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
    conn.head = o->next;
    if (!conn.head)
        conn.tail = NULL;
    free(o);
    if (n < 0)
        return -1;
    if (conn.head || conn.close_code)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    fz.activity++;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        return on_established(wsi);
    case LWS_CALLBACK_RECEIVE:
        return on_receive(wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(wsi);
    case LWS_CALLBACK_CLOSED:
        if (conn.session)
            gw_app_close(fz.app, conn.session);
        conn.session = NULL;
        free_queue();
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        conn.destroyed = 1;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    { "wsfault-fuzz", callback, 0, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* A valid RFC 6455 4.1 upgrade for /ws, with a valid token. */
static char *handshake(void)
{
    char *h = NULL;

    if (asprintf(&h, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                 fz_app_token(FZ_TOKEN_VALID)) < 0)
        return NULL;
    return h;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct lws_context_creation_info info;

    fz_app_init();
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(0, NULL);
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.port = CONTEXT_PORT_NO_LISTEN;
    fz.ctx = lws_create_context(&info);
    info.protocols = protocols;
    fz.vh = fz.ctx ? lws_create_vhost(fz.ctx, &info) : NULL;
    fz.out = malloc(OUT_MAX);
    fz.hello = handshake();
    if (!fz.vh || !fz.out || !fz.hello) {
        fprintf(stderr, "frames target: libwebsockets setup failed\n");
        exit(1);
    }
    return 0;
}

/* Keep what the server wrote (up to OUT_MAX) so the pipe never fills. */
static void drain(void)
{
    unsigned char scratch[4096];
    ssize_t n;

    for (;;) {
        size_t room = OUT_MAX - fz.out_len;
        unsigned char *dst = room ? fz.out + fz.out_len : scratch;

        n = read(fz.client, dst, room ? room : sizeof(scratch));
        if (n <= 0)
            return;
        fz.activity++;
        if (room)
            fz.out_len += (size_t)n;
    }
}

/* Run the event loop until two rounds in a row change nothing. */
static void settle(void)
{
    int idle = 0;

    for (int i = 0; i < SETTLE_MAX && idle < 2; i++) {
        unsigned long before = fz.activity;

        lws_service(fz.ctx, -1);
        drain();
        if (fz.activity == before && lws_service_adjust_timeout(fz.ctx, 1, 0) != 0)
            idle++;
        else
            idle = 0;
    }
}

static void write_all(const unsigned char *p, size_t len)
{
    for (int tries = 0; len > 0 && tries < SETTLE_MAX; tries++) {
        ssize_t n = write(fz.client, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return;                 /* the server closed: the rest is moot */
        }
        settle();
    }
}

static void write_chopped(const unsigned char *p, size_t len, size_t chop)
{
    size_t step = chop ? chop : len;

    for (size_t off = 0; off < len; off += step)
        write_all(p + off, len - off < step ? len - off : step);
}

static const int opcodes[8] = { HS_OP_TEXT, HS_OP_BINARY, HS_OP_CONT, HS_OP_PING,
                                HS_OP_PONG, HS_OP_CLOSE, HS_OP_TEXT, HS_OP_CONT };

/* A close payload: a registered code chosen by the first byte, then a reason. */
static size_t close_payload(const uint8_t *p, size_t len, unsigned char out[125])
{
    int code = close_codes[p[0] % (sizeof(close_codes) / sizeof(close_codes[0]))];
    size_t reason = len - 1 < 123 ? len - 1 : 123;

    out[0] = (unsigned char)(code >> 8);
    out[1] = (unsigned char)code;
    memcpy(out + 2, p + 1, reason);
    return 2 + reason;
}

/* One well-formed masked frame from the body at *pp, written to out. */
static size_t frame_one(const uint8_t **pp, const uint8_t *end, unsigned char *out)
{
    static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
    const uint8_t *p = *pp;
    uint8_t ctl = *p++;
    size_t len = p < end ? *p++ : 0, n;
    unsigned char closing[125], *enc = NULL;
    hs_frame_spec spec = { 0 };

    if ((ctl & 0x40) && p < end)
        len = len << 8 | *p++;
    spec.opcode = opcodes[ctl & 7];
    spec.fin = !(ctl & 8) || spec.opcode >= HS_OP_CLOSE;
    if (spec.opcode >= HS_OP_CLOSE && len > 125)
        len = 125;
    if (len > (size_t)(end - p))
        len = (size_t)(end - p);
    spec.payload = p;
    spec.len = len;
    if (spec.opcode == HS_OP_CLOSE && len > 0) {
        spec.len = close_payload(p, len, closing);
        spec.payload = closing;
    }
    spec.masked = 1;
    memcpy(spec.key, key, 4);
    spec.declared_len = -1;
    *pp = p + len;
    if (hs_frame_encode(&spec, &enc, &n) != HS_FRAME_OK)
        violation("the frame encoder refused a well-formed frame");
    memcpy(out, enc, n);
    free(enc);
    return n;
}

/* Each frame takes at least one body byte and adds at most 10: 16x is room. */
static unsigned char *build_framed(const uint8_t *body, size_t n, size_t *outlen)
{
    unsigned char *out = malloc(16 * n + 16);
    const uint8_t *p = body, *end = body + n;

    *outlen = 0;
    while (out && p < end)
        *outlen += frame_one(&p, end, out + *outlen);
    return out;
}

/* The close payloads the client sent: lws echoes them, so they are not judged. */
typedef struct fz_closes {
    unsigned char p[CLIENT_CLOSES_MAX][HS_CONTROL_MAX];
    size_t len[CLIENT_CLOSES_MAX];
    size_t n;
} fz_closes;

static void client_closes(const unsigned char *s, size_t len, fz_closes *c)
{
    size_t pos = 0, used;
    hs_frame f;

    c->n = 0;
    while (c->n < CLIENT_CLOSES_MAX &&
           hs_frame_decode(s + pos, len - pos, UINT64_MAX, &f, &used) == HS_FRAME_OK) {
        if (f.opcode == HS_OP_CLOSE && f.len <= HS_CONTROL_MAX) {
            memcpy(c->p[c->n], f.payload, (size_t)f.len);
            c->len[c->n++] = (size_t)f.len;
        }
        hs_frame_free(&f);
        pos += used;
    }
}

static int is_echo(const hs_frame *f, const fz_closes *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->len[i] == f->len && memcmp(c->p[i], f->payload, c->len[i]) == 0)
            return 1;
    return 0;
}

static int in_list(int code, const int *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == code)
            return 1;
    return 0;
}

/*
 * lws 4.1.6 echoes whatever close payload the client sent, even a one-byte
 * one RFC 6455 5.5.1 does not allow; that is lws' conformance, shown by the
 * conformance suite, not this glue's. Anything else is judged.
 */
static void judge_close(const hs_frame *f, const fz_closes *sent)
{
    const char *reason;
    size_t rlen;
    int code;

    if (is_echo(f, sent))
        return;
    if (hs_close_payload_parse(f->payload, (size_t)f->len, &code, &reason, &rlen) != HS_FRAME_OK)
        violation("the server sent a close frame with a one-byte payload");
    if (code == 1011)
        violation("close 1011");
    if (!in_list(code, server_codes, sizeof(server_codes) / sizeof(server_codes[0])))
        violation("a close code neither this glue nor lws sends");
}

/* Contract 1 and 2 as the client sees them on the wire. */
static void judge_output(const unsigned char *stream, size_t slen)
{
    static const char ok[] = "HTTP/1.1 101";
    fz_closes sent;
    size_t pos, used;
    const unsigned char *body;
    hs_frame f;

    client_closes(stream, slen, &sent);
    if (fz.out_len < sizeof(ok) - 1 || memcmp(fz.out, ok, sizeof(ok) - 1) != 0)
        violation("the upgrade was not answered 101");
    body = memmem(fz.out, fz.out_len, "\r\n\r\n", 4);
    if (!body)
        violation("the 101 answer never ended");
    pos = (size_t)(body + 4 - fz.out);
    while (hs_frame_decode(fz.out + pos, fz.out_len - pos, UINT64_MAX, &f, &used) == HS_FRAME_OK) {
        if (f.masked)
            violation("the server masked a frame (RFC 6455 5.1)");
        if (f.opcode == HS_OP_CLOSE)
            judge_close(&f, &sent);
        hs_frame_free(&f);
        pos += used;
    }
}

/* Adopt one end of a socketpair as an incoming HTTP connection. */
static int connect_pair(void)
{
    lws_sock_file_fd_type fd;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    fd.sockfd = sv[0];
    conn.wsi = lws_adopt_descriptor_vhost(fz.vh, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP,
                                          fd, NULL, NULL);
    if (!conn.wsi) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    fz.client = sv[1];
    return 0;
}

/* EOF from the client, then whatever lws still holds is killed outright. */
static void disconnect(void)
{
    shutdown(fz.client, SHUT_WR);
    settle();
    if (!conn.destroyed)
        lws_set_timeout(conn.wsi, PENDING_TIMEOUT_CLOSE_ACK, LWS_TO_KILL_SYNC);
    drain();
    close(fz.client);
    fz.client = -1;
}

static void run(const uint8_t *data, size_t size)
{
    unsigned char *stream;
    size_t slen = size - 2;

    if (data[0] & 1)
        stream = build_framed(data + 2, size - 2, &slen);
    else
        stream = malloc(slen ? slen : 1);
    if (!stream || connect_pair() != 0) {
        free(stream);
        return;
    }
    if (!(data[0] & 1))
        memcpy(stream, data + 2, slen);
    write_all((const unsigned char *)fz.hello, strlen(fz.hello));
    write_chopped(stream, slen, data[1]);
    disconnect();
    judge_output(stream, slen);
    free(stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_app_config cfg = { fz_app_secret(), 0, 4 };

    if (size < 2)
        return 0;
    fz_app_reset();
    fz.app = gw_app_new(&cfg, &fz_io);
    memset(&conn, 0, sizeof(conn));
    fz.out_len = 0;
    gw_app_start(fz.app);
    run(data, size);
    if (gw_app_sessions(fz.app) != 0 || gw_app_handlers(fz.app) != gw_app_handlers_baseline(fz.app))
        violation("a session or its handlers outlived the connection");
    gw_app_free(fz.app);
    fz.app = NULL;
    return 0;
}
