/*
 * gw_server: libwebsockets callbacks, outgoing queues, health and echo.
 * See gw_server.h. What lws 4.1.6 does that the code relies on: messages
 * arrive in chunks of at most the protocol's rx buffer (inflated ones in
 * chunks too), one lws_write per writeable callback, and a callback that
 * returns -1 without lws_close_reason() ends TCP with no close frame.
 *
 * What a peer may hold is bounded: its outgoing queue (--max-queue; past
 * it, a slow consumer), its silence (--ping-interval, --ping-timeout) and
 * the number of connections (--max-connections).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "gw_app.h"
#include "gw_auth.h"
#include "gw_log.h"
#include "gw_pmd.h"
#include "gw_server.h"
#include "gw_upgrade.h"

typedef enum { CONN_HTTP, CONN_APP, CONN_ECHO } conn_kind;

/* The one subprotocol lws serves: a client may name it, or none. */
static const char protocols_served[] = "wsfault-gateway";

/* How long a close frame may wait behind a peer that does not read. */
#define SHED_GRACE_S 5

typedef struct gw_out {
    struct gw_out *next;
    size_t len;
    int binary;
    unsigned char buf[];        /* LWS_PRE bytes of headroom, then data */
} gw_out;

/* Per-connection state; lws allocates and zeroes it. */
typedef struct gw_conn {
    conn_kind kind;
    struct lws *wsi;
    gw_session *session;
    gw_pmd_conn pmd;
    gw_out *out_head, *out_tail;
    size_t out_bytes;           /* payload in out_head's list (--max-queue) */
    int shed;                   /* a slow consumer: nothing more is queued */
    gw_out *out_sent;           /* written last; lws may still be reading it */
    lws_sorted_usec_list_t keepalive;   /* the next keepalive check */
    lws_usec_t last_rx;         /* when the peer last sent a frame */
    lws_usec_t ping_at;         /* when a ping was asked for; 0: none out */
    int ping_due;               /* that ping waits for the writeable callback */
    unsigned char *rx;
    size_t rx_len, rx_cap;
    int rx_binary;
    int rx_compressed;          /* RSV1 on the message's first frame */
    int close_code;             /* non-zero: close once the queue is empty */
    char close_reason[124];
    char *http_body;
    size_t http_len;
    struct gw_conn *next;       /* every WebSocket connection, for shutdown */
} gw_conn;

static struct {
    const gw_server_config *cfg;
    struct lws_context *ctx;
    gw_app *app;
    gw_conn *conns;
    int nconns;                 /* WebSocket connections, /ws and /echo */
    lws_sorted_usec_list_t ready_sul;
} srv;

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t leak_check_requested;

static void on_signal(int sig)
{
    if (sig == SIGUSR2)
        leak_check_requested = 1;
    else
        stop_requested = 1;
    if (srv.ctx)
        lws_cancel_service(srv.ctx);
}

/* Present only in a build with LeakSanitizer (alone or inside ASan). */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/*
 * SIGUSR2: look for leaks now, between two clients' sessions, rather than
 * only at exit, so a judge that keeps one gateway across many cases can
 * blame the case that leaked. The report (if any) goes to stderr first;
 * the log line says the check is over, and whether it could run at all.
 */
static void leak_check(void)
{
    int checked = __lsan_do_recoverable_leak_check != NULL;
    int leaks = checked ? __lsan_do_recoverable_leak_check() : 0;

    leak_check_requested = 0;
    gw_log("info", "leak_check", json_pack("{s:b,s:b}", "checked", checked, "leaks", leaks));
}

/* A warning about one WebSocket connection, named as conn_state names it. */
static void log_conn(const char *event, const gw_conn *c, json_t *fields)
{
    json_object_set_new(fields, "conn", c->session ? json_integer((json_int_t)c->session->id)
                                                   : json_null());
    json_object_set_new(fields, "path", json_string(c->kind == CONN_ECHO ? "/echo" : "/ws"));
    gw_log("warn", event, fields);
}

static void drop_queue(gw_conn *c)
{
    while (c->out_head) {
        gw_out *o = c->out_head;
        c->out_head = o->next;
        free(o);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

static void request_close(gw_conn *c, int code, const char *reason)
{
    c->close_code = code;
    snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
    lws_callback_on_writable(c->wsi);
}

/*
 * A peer that does not read what it asked for: its queue goes, and it is
 * closed 1008, the policy being --max-queue (RFC 6455 7.4.1). The close
 * frame goes once the socket takes it, and lws then ends TCP (a peer
 * still sending gets a reset). A peer that never reads never makes the
 * socket writeable, and lws drains a partial write before calling back:
 * then lws' timeout ends TCP after SHED_GRACE_S, with no close frame.
 */
static void shed(gw_conn *c, size_t len)
{
    log_conn("slow_consumer", c, json_pack("{s:I,s:I,s:I,s:i}", "queued",
                                           (json_int_t)c->out_bytes, "message", (json_int_t)len,
                                           "max_queue", (json_int_t)srv.cfg->max_queue,
                                           "close_code", LWS_CLOSE_STATUS_POLICY_VIOLATION));
    drop_queue(c);
    c->shed = 1;
    if (c->session)
        gw_app_closing(srv.app, c->session);
    request_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "slow consumer");
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, SHED_GRACE_S);
}

/*
 * The cap counts payload queued and not yet handed to lws_write. The one
 * message lws may still be writing is not counted (lws 4.1.6 tells whether
 * it holds one, not how much); --max-message bounds it. A message alone in
 * the queue always fits, so a large echo is still answered.
 */
static int queue_out(gw_conn *c, const void *data, size_t len, int binary)
{
    gw_out *o;

    if (c->shed)
        return -1;
    if (c->out_head && c->out_bytes + len > srv.cfg->max_queue) {
        shed(c, len);
        return -1;
    }
    o = malloc(sizeof(*o) + LWS_PRE + len);
    if (!o)
        return -1;
    o->next = NULL;
    o->len = len;
    o->binary = binary;
    if (len)
        memcpy(o->buf + LWS_PRE, data, len);
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->out_bytes += len;
    lws_callback_on_writable(c->wsi);
    return 0;
}

static void io_send(gw_session *s, const char *text, size_t len)
{
    queue_out(lws_wsi_user(s->transport), text, len, 0);
}

static void io_close(gw_session *s, int code, const char *reason)
{
    request_close(lws_wsi_user(s->transport), code, reason);
}

static void free_conn(gw_conn *c)
{
    gw_conn **pp = &srv.conns;

    drop_queue(c);
    free(c->out_sent);
    c->out_sent = NULL;
    free(c->rx);
    c->rx = NULL;
    free(c->http_body);
    c->http_body = NULL;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = c->next;
        srv.nconns--;
    }
}

/* An HTTP/1.1 answer written whole; lws' own helper writes HTTP/1.0. */
static int http_answer(struct lws *wsi, gw_conn *c, int status, const char *reason,
                       const char *ctype, char *body)
{
    size_t blen = strlen(body);
    size_t cap = LWS_PRE + 256 + blen;
    unsigned char *buf = malloc(cap);
    int n;

    if (!buf) {
        free(body);
        return -1;
    }
    n = snprintf((char *)buf + LWS_PRE, cap - LWS_PRE,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s",
                 status, reason, ctype, blen, body);
    free(body);
    c->http_body = (char *)buf;
    c->http_len = (size_t)n;
    lws_callback_on_writable(wsi);
    return 0;
}

static int on_http(struct lws *wsi, gw_conn *c, const char *uri)
{
    c->kind = CONN_HTTP;
    c->wsi = wsi;
    if (strcmp(uri, "/health") == 0) {
        json_t *h = gw_app_health(srv.app);
        char *body = json_dumps(h, JSON_COMPACT);

        json_decref(h);
        return body ? http_answer(wsi, c, 200, "OK", "application/json", body) : -1;
    }
    return http_answer(wsi, c, 404, "Not Found", "application/json",
                       strdup("{\"error\":\"not_found\",\"paths\":[\"/health\",\"/ws\"]}"));
}

static int on_http_writeable(struct lws *wsi, gw_conn *c)
{
    if (!c->http_body)
        return 0;
    lws_write(wsi, (unsigned char *)c->http_body + LWS_PRE, c->http_len, LWS_WRITE_HTTP_FINAL);
    return -1;                  /* Connection: close */
}

/*
 * The path of a request target. An absolute http(s) URI names it after
 * the authority (RFC 6455 4.2.1, RFC 7230 5.3.2); lws has merged the two
 * slashes before the authority into one by then.
 */
static const char *target_path(const char *uri)
{
    size_t scheme = strncasecmp(uri, "http:", 5) == 0    ? 5
                    : strncasecmp(uri, "https:", 6) == 0 ? 6 : 0;
    const char *p;

    if (scheme == 0 || uri[scheme] != '/')
        return uri;
    p = strchr(uri + scheme + strspn(uri + scheme, "/"), '/');
    return p ? p : "/";
}

static int path_is(struct lws *wsi, const char *want)
{
    char uri[256];

    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
        return 0;
    return strcmp(target_path(uri), want) == 0;
}

static const char *refusal_phrase(int status)
{
    switch (status) {
    case 404: return "Not Found";
    case 426: return "Upgrade Required";
    case 503: return "Service Unavailable";
    default: return "Bad Request";
    }
}

/* 426 names the version served (RFC 6455 4.2.2); 503 says when to come
 * back (RFC 7231 7.1.3), so a storm of reconnects is spread out. */
static const char *refusal_field(int status)
{
    return status == 426 ? "Sec-WebSocket-Version: 13\r\n"
           : status == 503 ? "Retry-After: 1\r\n" : "";
}

/* Refuse an upgrade with an HTTP/1.1 answer of our own (lws' helper
 * writes HTTP/1.0). */
static int refuse_upgrade(struct lws *wsi, int status, const char *why)
{
    unsigned char buf[LWS_PRE + 512];
    int n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
                     "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", status,
                     refusal_phrase(status), refusal_field(status), strlen(why) + 1, why);

    lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS);
    return 1;
}

/* A request field as lws holds it; "" when absent, "?" when too long. */
static void copy_field(struct lws *wsi, char *dst, int len, enum lws_token_indexes t)
{
    if (lws_hdr_copy(wsi, dst, len, t) < 0)
        snprintf(dst, (size_t)len, "?");
}

/*
 * Before the 101: the handshake's own rules (gw_upgrade), then the path.
 * Authentication waits until the socket is accepted (seed
 * auth-before-accept).
 */
static int on_confirm_upgrade(struct lws *wsi, gw_conn *c)
{
    char http[16], host[256], conn[256], key[128], version[32], protocols[512], *uri;
    int uri_len, method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
    gw_upgrade_req r = { .get = method == LWSHUMETH_GET, .http = http, .host = host,
                         .connection = conn, .key = key, .version = version,
                         .protocols = protocols, .served = protocols_served };
    const char *why;
    int status;

    copy_field(wsi, http, sizeof(http), WSI_TOKEN_HTTP);
    copy_field(wsi, host, sizeof(host), WSI_TOKEN_HOST);
    copy_field(wsi, conn, sizeof(conn), WSI_TOKEN_CONNECTION);
    copy_field(wsi, key, sizeof(key), WSI_TOKEN_KEY);
    copy_field(wsi, version, sizeof(version), WSI_TOKEN_VERSION);
    copy_field(wsi, protocols, sizeof(protocols), WSI_TOKEN_PROTOCOL);
    status = gw_upgrade_check(&r, &why);
    if (status != 0)
        return refuse_upgrade(wsi, status, why);
    if (path_is(wsi, "/ws") || (srv.cfg->echo && path_is(wsi, "/echo")))
        return 0;
    return refuse_upgrade(wsi, 404, "not found");
}

/* A valid upgrade past --max-connections: 503 before the 101. */
static int refuse_capacity(struct lws *wsi)
{
    gw_log("warn", "conn_refused", json_pack("{s:s,s:i,s:i}", "reason", "capacity",
                                             "connections", srv.nconns,
                                             "max_connections", srv.cfg->max_connections));
    return refuse_upgrade(wsi, 503, "too many connections; retry later");
}

/* An upgrade that is valid in itself, then the connection cap. */
static int on_upgrade(struct lws *wsi, gw_conn *c)
{
    int rc = on_confirm_upgrade(wsi, c);

    if (rc != 0)
        return rc;
    return srv.nconns >= srv.cfg->max_connections ? refuse_capacity(wsi) : 0;
}

/* The token from "Authorization: Bearer T", else from ?token=T. */
static void copy_token(struct lws *wsi, char *tok, size_t len)
{
    char hdr[GW_AUTH_MAX_TOKEN + 64];
    const char *v;

    tok[0] = '\0';
    if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
        v = gw_auth_bearer(hdr);
        snprintf(tok, len, "%s", v ? v : "");
        return;
    }
    v = lws_get_urlarg_by_name(wsi, "token=", hdr, (int)sizeof(hdr));
    if (v)
        snprintf(tok, len, "%s", v);
}

static lws_usec_t usecs(int secs)
{
    return (lws_usec_t)secs * LWS_US_PER_SEC;
}

static void keepalive_cb(lws_sorted_usec_list_t *sul);

static void keepalive_arm(gw_conn *c, lws_usec_t us)
{
    lws_sul_schedule(srv.ctx, 0, &c->keepalive, keepalive_cb, us);
}

/* Any frame shows the peer alive: data, or a pong (RFC 6455 5.5.3). */
static void saw_frame(gw_conn *c)
{
    c->last_rx = lws_now_usecs();
}

/*
 * Silent through the ping and ping-timeout: a dead peer, or one that does
 * not read (the ping may never have left). TCP ends without a close frame,
 * which such a peer would not read either, and the close handshake would
 * hold the connection up to 10 s more: the peer sees 1006 (RFC 6455 7.1.5).
 * An lws timeout, not the writeable callback that may never come.
 */
static void ping_timed_out(gw_conn *c, lws_usec_t now)
{
    log_conn("ping_timeout", c, json_pack("{s:I,s:i}", "silent_s",
                                          (json_int_t)((now - c->last_rx) / LWS_US_PER_SEC),
                                          "ping_timeout_s", srv.cfg->ping_timeout_s));
    if (c->session)
        gw_app_closing(srv.app, c->session);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_WS_PONG_CHECK_GET_PONG, LWS_TO_KILL_ASYNC);
}

/*
 * Keepalive (RFC 6455 5.5.2): a peer silent for --ping-interval gets a
 * ping; any frame it sends within --ping-timeout shows it alive. Frames
 * only stamp last_rx (no timer moved per frame); the timer catches up
 * when it fires. lws 4.1.6 tells the protocol nothing of a peer's own
 * pings, so those do not count.
 */
static void keepalive_cb(lws_sorted_usec_list_t *sul)
{
    gw_conn *c = lws_container_of(sul, gw_conn, keepalive);
    lws_usec_t now = lws_now_usecs(), idle = now - c->last_rx;
    lws_usec_t interval = usecs(srv.cfg->ping_interval_s);

    if (c->ping_at && c->last_rx < c->ping_at) {
        ping_timed_out(c, now);
        return;
    }
    c->ping_at = 0;
    if (idle < interval) {
        keepalive_arm(c, interval - idle);
        return;
    }
    c->ping_at = now;
    c->ping_due = 1;
    lws_callback_on_writable(c->wsi);
    keepalive_arm(c, usecs(srv.cfg->ping_timeout_s));
}

static int on_established(struct lws *wsi, gw_conn *c)
{
    char token[GW_AUTH_MAX_TOKEN + 64];

    c->wsi = wsi;
    c->next = srv.conns;
    srv.conns = c;
    srv.nconns++;
    saw_frame(c);
    if (srv.cfg->ping_interval_s > 0)
        keepalive_arm(c, usecs(srv.cfg->ping_interval_s));
    if (path_is(wsi, "/echo")) {
        c->kind = CONN_ECHO;
        gw_app_echo_count(srv.app, 1);
        return 0;
    }
    c->kind = CONN_APP;
    copy_token(wsi, token, sizeof(token));
    c->session = gw_app_open(srv.app, token, wsi);
    return c->session ? 0 : -1;
}

/*
 * The cap on the message as reassembled, after inflating: for a compressed
 * message the only one, so a small frame that inflates to megabytes (a
 * compression bomb) is refused one chunk past the cap, never held whole.
 */
static int rx_append(gw_conn *c, const void *in, size_t len)
{
    /* Empty frames are legal (RFC 6455 5.6) and add nothing. */
    if (len == 0)
        return 0;
    if (len > srv.cfg->max_message - c->rx_len)
        return -1;
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        unsigned char *p;

        while (cap < c->rx_len + len)
            cap *= 2;
        p = realloc(c->rx, cap);
        if (!p)
            return -1;
        c->rx = p;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return 0;
}

static void dispatch(gw_conn *c)
{
    if (c->kind == CONN_ECHO)
        queue_out(c, c->rx, c->rx_len, c->rx_binary);
    else if (c->rx_binary)
        gw_app_binary(srv.app, c->session);
    else
        gw_app_message(srv.app, c->session, c->rx ? (const char *)c->rx : "", c->rx_len);
    c->rx_len = 0;
}

/*
 * An uncompressed frame declares its length: a message it takes past the
 * cap is refused before the payload is read. A compressed one says nothing
 * of its inflated size; rx_append caps what lws has inflated so far.
 */
static int declared_over_cap(struct lws *wsi, const gw_conn *c, size_t len)
{
    size_t room = srv.cfg->max_message - c->rx_len;

    return !c->rx_compressed && (len > room || lws_remaining_packet_payload(wsi) > room - len);
}

/*
 * Messages arrive in chunks; reassemble and cap them (RFC 6455 10.4: 1009).
 * The close goes out from the writeable callback: lws 4.1.6 ignores a -1
 * returned while it hands over inflated data left from an earlier read.
 * Until then the rest of the message, down to its empty last chunk, is
 * dropped unread.
 */
static int on_receive(struct lws *wsi, gw_conn *c, const void *in, size_t len)
{
    saw_frame(c);
    if (c->close_code)
        return 0;
    if (lws_is_first_fragment(wsi)) {
        c->rx_len = 0;
        c->rx_binary = lws_frame_is_binary(wsi);
        c->rx_compressed = (lws_get_reserved_bits(wsi) & 0x40) != 0;
    }
    if (declared_over_cap(wsi, c, len) || rx_append(c, in, len) != 0) {
        request_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too big");
        return 0;
    }
    if (lws_is_final_fragment(wsi))
        dispatch(c);
    return 0;
}

/*
 * A control frame may go between two messages (RFC 6455 5.5). The ping
 * carries data for the pong to echo (5.5.3): lws 4.1.6 drops an empty
 * pong before the protocol sees it. What was queued or a close follows
 * at the next call.
 */
static int write_ping(struct lws *wsi, gw_conn *c)
{
    static const char data[] = "keepalive";
    unsigned char buf[LWS_PRE + sizeof(data)];

    c->ping_due = 0;
    memcpy(buf + LWS_PRE, data, sizeof(data) - 1);
    if (lws_write(wsi, buf + LWS_PRE, sizeof(data) - 1, LWS_WRITE_PING) < 0)
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/*
 * One lws_write per writeable callback; the close goes after the queue.
 * While permessage-deflate compresses a message in several goes, lws keeps
 * reading the buffer given to lws_write and calls back only once it is
 * done: so a buffer is freed at the next callback, which is asked for.
 */
static int on_writeable(struct lws *wsi, gw_conn *c)
{
    gw_out *o = c->out_head;

    free(c->out_sent);
    c->out_sent = NULL;
    if (c->ping_due)
        return write_ping(wsi, c);
    if (o) {
        int n = lws_write(wsi, o->buf + LWS_PRE, o->len,
                          o->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);

        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->out_bytes -= o->len;
        c->out_sent = o;
        if (n < 0)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->close_code) {
        lws_close_reason(wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}

static void on_closed(gw_conn *c)
{
    lws_sul_schedule(srv.ctx, 0, &c->keepalive, NULL, LWS_SET_TIMER_USEC_CANCEL);
    if (c->kind == CONN_APP && c->session)
        gw_app_close(srv.app, c->session);
    if (c->kind == CONN_ECHO)
        gw_app_echo_count(srv.app, -1);
    c->session = NULL;
    free_conn(c);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    gw_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, c, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_http_writeable(wsi, c);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return on_upgrade(wsi, c);
    case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
        return gw_pmd_confirm(wsi, &c->pmd);
    case LWS_CALLBACK_ESTABLISHED:
        return on_established(wsi, c);
    case LWS_CALLBACK_RECEIVE:
        return on_receive(wsi, c, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        saw_frame(c);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(wsi, c);
    case LWS_CALLBACK_CLOSED:
        /* lws may close a connection that never got its user data. */
        if (c)
            on_closed(c);
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c)
            free_conn(c);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    { protocols_served, callback, sizeof(gw_conn), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* lws calls an extension without the connection's user data: find it. */
static int pmd_callback(struct lws_context *ctx, const struct lws_extension *ext,
                        struct lws *wsi, enum lws_extension_callback_reasons reason,
                        void *user, void *in, size_t len)
{
    gw_conn *c = wsi ? lws_wsi_user(wsi) : NULL;

    return gw_pmd_callback(c ? &c->pmd : NULL, ctx, ext, wsi, reason, user, in, len);
}

/* permessage-deflate on /ws and /echo alike (RFC 7692). */
static const struct lws_extension extensions[] = {
    { "permessage-deflate", pmd_callback, "permessage-deflate" },
    { NULL, NULL, NULL }
};

static void lws_emit(int level, const char *line)
{
    gw_log_lws(level, line);
}

static void ready_cb(lws_sorted_usec_list_t *sul)
{
    gw_app_set_ready(srv.app);
}

/* The port file appears whole or not at all: write, then rename. */
static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write port file %s: %s", path, strerror(errno));
        unlink(tmp);
        return GW_SERVER_ERR;
    }
    return GW_SERVER_OK;
}

static const lws_retry_bo_t no_idle_policy;

static struct lws_vhost *listen_vhost(const gw_server_config *cfg, char *err, size_t errlen)
{
    struct lws_context_creation_info info;
    struct lws_vhost *vh;

    memset(&info, 0, sizeof(info));
    info.port = cfg->port;
    info.iface = cfg->host ? cfg->host : "127.0.0.1";
    info.protocols = protocols;
    info.extensions = extensions;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    /* With IPv6 on, lws 4.1.6 binds an IPv4 address as [::], every
     * interface: a test gateway on 127.0.0.1 must not be reachable from
     * the network. An IPv6 address (it has a ':') keeps IPv6. */
    if (!strchr(info.iface, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    /* A client that opens TCP and never finishes its request (half a
     * handshake) holds a header buffer: drop it after this long. */
    info.timeout_secs_ah_idle = (unsigned int)cfg->handshake_timeout_s;
    /* lws 4.1.6 pings by itself (300 s, hangup at 310 s) unless a policy
     * without idle times says otherwise: the gateway's keepalive is its
     * own, so that --ping-interval 0 means none and a timeout is logged. */
    info.retry_and_idle_policy = &no_idle_policy;
    vh = lws_create_vhost(srv.ctx, &info);
    if (!vh)
        snprintf(err, errlen, "cannot listen on %s:%d (port in use, or address "
                 "not available; try --port 0)", info.iface, cfg->port);
    return vh;
}

static int create_context(char *err, size_t errlen)
{
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof(info));
    /* EXPLICIT_VHOSTS so port 0 can be read back; VALIDATE_UTF8 is read
     * from the context options (1007 on invalid UTF-8, RFC 6455 8.1). */
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.port = CONTEXT_PORT_NO_LISTEN;
    /* Room for oversized tokens, so they reach gw_auth and get 1008 rather
     * than an HTTP error from the header parser. */
    info.max_http_header_data = 32768;
    srv.ctx = lws_create_context(&info);
    if (!srv.ctx) {
        snprintf(err, errlen, "libwebsockets could not create a context");
        return GW_SERVER_ERR;
    }
    return GW_SERVER_OK;
}

/* SIGTERM: 1001 to every client, keep servicing until they are gone. */
static void shut_down(void)
{
    int budget = 100;

    gw_log("info", "shutdown", json_pack("{s:I}", "connections",
                                         (json_int_t)gw_app_sessions(srv.app)));
    gw_app_close_all(srv.app, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
    for (gw_conn *c = srv.conns; c; c = c->next)
        if (c->kind == CONN_ECHO)
            request_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
    while (srv.conns && budget-- > 0)
        lws_service(srv.ctx, 20);
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int gw_server_run(const gw_server_config *cfg, char *err, size_t errlen)
{
    gw_app_config acfg = { cfg->jwt_secret, cfg->startup_delay_ms, cfg->ready_queue };
    gw_io io = { io_send, io_close };
    struct lws_vhost *vh;
    int port, delay, rc = GW_SERVER_ERR;

    srv.cfg = cfg;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
    install_signals();
    if (create_context(err, errlen) != GW_SERVER_OK)
        return GW_SERVER_ERR;
    srv.app = gw_app_new(&acfg, &io);
    vh = srv.app ? listen_vhost(cfg, err, errlen) : NULL;
    if (!vh)
        goto out;
    port = lws_get_vhost_listen_port(vh);
    /* lws only logs an interface it cannot bind and goes on without a
     * socket: a gateway that listens nowhere must not say it is up. */
    if (port <= 0) {
        snprintf(err, errlen, "cannot listen on %s port %d (is the address one of this "
                 "machine's?)", cfg->host ? cfg->host : "127.0.0.1", cfg->port);
        goto out;
    }
    gw_log("info", "listening", json_pack("{s:s,s:i,s:b}", "host",
                                          cfg->host ? cfg->host : "127.0.0.1",
                                          "port", port, "echo", cfg->echo));
    if (cfg->port_file && write_port_file(cfg->port_file, port, err, errlen) != 0)
        goto out;
    /* Listening first, ready later: early messages wait in the gate. */
    delay = gw_app_start(srv.app);
    if (delay > 0)
        lws_sul_schedule(srv.ctx, 0, &srv.ready_sul, ready_cb, (lws_usec_t)delay * 1000);
    while (!stop_requested) {
        if (lws_service(srv.ctx, 0) < 0)
            break;
        if (leak_check_requested)
            leak_check();
    }
    shut_down();
    rc = GW_SERVER_OK;
out:
    lws_context_destroy(srv.ctx);
    gw_app_free(srv.app);
    srv.ctx = NULL;
    srv.app = NULL;
    return rc;
}
