/*
 * hs_verdict: conformance verdicts and the steps that judge (see hs_verdict.h).
 */
#include "judge/hs_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "judge/hs_contract.h"
#include "wire/hs_transcript.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"

#define WHAT_MAX 600
#define PREVIEW_BYTES 16       /* bytes of a message shown in hex */

static const char *const tier_names[] = {
    "OK", "INFORMATIONAL", "NON-STRICT", "UNIMPLEMENTED", "FAILED"
};

/* Display order of results, as Autobahn lists them. */
static const hs_tier tier_order[] = {
    HS_TIER_OK, HS_TIER_NON_STRICT, HS_TIER_INFORMATIONAL, HS_TIER_UNIMPLEMENTED,
    HS_TIER_FAILED
};

static const char *const close_names[] = { "OK", "WRONG CODE", "UNCLEAN" };

const char *hs_tier_name(hs_tier t)
{
    return (unsigned)t <= HS_TIER_FAILED ? tier_names[t] : "?";
}

const char *hs_close_name(hs_close_verdict c)
{
    return (unsigned)c <= HS_CLOSE_UNCLEAN ? close_names[c] : "?";
}

void hs_verdict_init(hs_verdict *v, const hs_scenario *s)
{
    memset(v, 0, sizeof(*v));
    v->on = s->rfc != NULL;
    v->rfc = s->rfc;
    v->notes = json_array();
}

void hs_verdict_free(hs_verdict *v)
{
    json_decref(v->notes);
    v->notes = NULL;
}

static void note(hs_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Notes quote descriptions that may hold peer text: kept valid UTF-8. */
static void note(hs_verdict *v, const char *fmt, ...)
{
    char msg[1024], *clean;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clean = hs_escape_sanitize((const unsigned char *)msg, strlen(msg));
    json_array_append_new(v->notes, json_string(clean ? clean : "?"));
    free(clean);
}

int hs_verdict_tier(hs_verdict *v, hs_tier t, const hs_step *st, json_t *reasons,
                    const char *what)
{
    const char *rfc = v->rfc ? v->rfc : "RFC 6455";

    if (t > v->behavior)
        v->behavior = t;
    /* Outside a conformance case a failed expectation is a plain failure. */
    if (t == HS_TIER_FAILED && !v->on)
        hs_reason(reasons, 0, st->index, st->line, "%s", what);
    else if (t == HS_TIER_FAILED)
        hs_reason(reasons, 0, st->index, st->line, "FAILED (%s): %s", rfc, what);
    if (t == HS_TIER_FAILED)
        return -1;
    if (t != HS_TIER_OK)
        note(v, "%s (%s), step %d: %s", tier_names[t], rfc, st->index, what);
    if (t == HS_TIER_UNIMPLEMENTED)
        v->stop = 1;
    return t == HS_TIER_UNIMPLEMENTED ? -1 : 0;
}

void hs_verdict_close_tier(hs_verdict *v, hs_close_verdict cv, const char *what)
{
    if (cv > v->close)
        v->close = cv;
    if (cv != HS_CLOSE_OK)
        note(v, "close %s: %s", close_names[cv], what);
}

/* ---- describing what was seen -------------------------------------------- */

/* "5 bytes: 68 65 6c 6c 6f", the first PREVIEW_BYTES in hex. */
static void preview(const unsigned char *p, size_t n, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "%zu byte%s", n, n == 1 ? "" : "s");

    for (size_t i = 0; i < n && i < PREVIEW_BYTES && o + 4 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%02x", i ? " " : ": ", p[i]);
    if (n > PREVIEW_BYTES && o + 5 < len)
        snprintf(out + o, len - o, " ...");
}

static const char *kind_word(int opcode)
{
    switch (opcode) {
    case HS_OP_TEXT: return "text message";
    case HS_OP_BINARY: return "binary message";
    case HS_OP_PONG: return "pong";
    default: return "frame";
    }
}

static void describe_msg(const hs_ws_msg *m, char *out, size_t len)
{
    char pv[128];

    preview(m->data, m->len, pv, sizeof(pv));
    snprintf(out, len, "%s%s of %s", m->compressed ? "compressed " : "",
             kind_word(m->opcode), pv);
}

static int expected_opcode(const hs_step *st)
{
    if (st->payload_kind == HS_PAYLOAD_PONG)
        return HS_OP_PONG;
    return st->payload_kind == HS_PAYLOAD_BINARY ? HS_OP_BINARY : HS_OP_TEXT;
}

/* ---- reading the server ------------------------------------------------- */

typedef enum obs {
    OBS_MESSAGE,               /* a data message or pong, in m */
    OBS_CLOSE,                 /* the server's close frame (c->close_code) */
    OBS_DROP,                  /* TCP ended without a close frame */
    OBS_TIMEOUT,
    OBS_VIOLATION,             /* the server broke the protocol (why) */
    OBS_ERROR                  /* our side failed (why) */
} obs;

/* The connection ended: remember how, as hs_client does. */
static obs ended(hs_client *c)
{
    int code = hs_ws_close_code(c->ws);

    c->close_code = code ? code : 1006;
    return c->close_code == 1006 ? OBS_DROP : OBS_CLOSE;
}

/* The next thing the server does, within deadline. */
static obs observe(hs_client *c, double deadline, hs_ws_msg *m, char *why, size_t len)
{
    int r;

    memset(m, 0, sizeof(*m));
    if (c->close_code)
        return c->close_code == 1006 ? OBS_DROP : OBS_CLOSE;
    hs_ws_report_pongs(c->ws, 1);
    r = hs_ws_recv_message(c->ws, hs_clock_left_ms(deadline), m);
    if (r == HS_WS_OK && m->opcode == HS_OP_CLOSE) {
        /* Whether TCP then ends promptly (RFC 6455 7.1.1) is not judged. */
        c->close_code = m->close_code;
        hs_ws_msg_free(m);
        return OBS_CLOSE;
    }
    if (r == HS_WS_OK)
        return OBS_MESSAGE;
    if (r == HS_WS_TIMEOUT)
        return OBS_TIMEOUT;
    if (r == HS_WS_EOF)
        return ended(c);
    snprintf(why, len, "%s", hs_ws_last_error(c->ws));
    return r == HS_WS_PROTO ? OBS_VIOLATION : OBS_ERROR;
}

/* The tier an outcome earns at this step: its "outcomes", else defaults. */
static hs_tier tier_of(const hs_step *st, hs_outcome o)
{
    if (st->outcomes[o] >= 0)
        return (hs_tier)st->outcomes[o];
    switch (o) {
    case HS_OUT_ACCEPTED: case HS_OUT_AGREED: case HS_OUT_MATCH:
        return HS_TIER_OK;
    case HS_OUT_DECLINED: case HS_OUT_RESTRICTED:
        return HS_TIER_UNIMPLEMENTED;
    case HS_OUT_CLOSED: case HS_OUT_DROPPED:
        return st->kind == HS_STEP_CONNECT || st->kind == HS_STEP_EXPECT_MESSAGE
                   ? HS_TIER_FAILED : HS_TIER_OK;
    default:
        return HS_TIER_FAILED;
    }
}

/* Judge one outcome: "outcome: what" goes with the tier. */
static int judge(hs_verdict *v, const hs_step *st, hs_outcome o, const char *what,
                 json_t *reasons)
{
    char text[WHAT_MAX + 64];

    snprintf(text, sizeof(text), "%s (outcome %s)", what, hs_outcome_key(o));
    return hs_verdict_tier(v, tier_of(st, o), st, reasons, text);
}

/* A failure that no outcome covers: the server broke the protocol, or the
 * judge could not do its part. */
static int broken(hs_verdict *v, const hs_step *st, obs o, const char *why,
                  json_t *reasons)
{
    char text[WHAT_MAX];

    snprintf(text, sizeof(text), "%s%s", o == OBS_VIOLATION ? "" : "client error: ", why);
    return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, text);
}

/* ---- connect ------------------------------------------------------------ */

/* RFC 6455 4.1: a subprotocol in the answer must be one the client offered. */
static int protocol_ok(const hs_client *c, const hs_step *st)
{
    const char *got = json_string_value(json_object_get(c->hs.headers,
                                                        "sec-websocket-protocol"));
    const char *p = st->subprotocol;
    size_t n = got ? strlen(got) : 0;

    if (got == NULL)
        return 1;
    while (p != NULL && *p) {
        p += strspn(p, " ,");
        if (strncasecmp(p, got, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* What the HTTP answer was, before any extension is looked at. */
static hs_outcome handshake_outcome(const hs_client *c, const char *err, char *what,
                                    size_t len)
{
    if (c->ws == NULL) {
        snprintf(what, len, "no HTTP answer: %s", err ? err : "?");
        return HS_OUT_DROPPED;
    }
    snprintf(what, len, "answered \"%s\"", c->hs.status_line);
    if (c->hs.status == 101)
        return HS_OUT_ACCEPTED;
    return c->hs.status >= 400 && c->hs.status < 500 ? HS_OUT_REFUSED : HS_OUT_OTHER;
}

/* Each expected header must be there and contain its text. */
static int headers_ok(const hs_client *c, const hs_step *st, char *what, size_t len)
{
    const char *name;
    json_t *want;
    char lower[128];

    json_object_foreach(st->expect_headers, name, want) {
        size_t i;
        const char *got;

        for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
            lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
        lower[i] = '\0';
        got = json_string_value(json_object_get(c->hs.headers, lower));
        if (got == NULL || strcasestr(got, json_string_value(want)) == NULL) {
            snprintf(what, len, "the answer (\"%s\") lacks \"%s: %s\"", c->hs.status_line,
                     name, json_string_value(want));
            return 0;
        }
    }
    return 1;
}

/* With an extension offer: what became of it (RFC 6455 9.1, RFC 7692 7.1). */
static hs_outcome extension_outcome(const hs_client *c, const hs_step *st, char *what,
                                    size_t len)
{
    const hs_pmd_params *p = &c->hs.deflate_params;

    if (!c->hs.extensions_ok) {
        snprintf(what, len, "extensions answer refused: %s", c->hs.extensions_err);
        return HS_OUT_INVALID;
    }
    if (!c->hs.deflate) {
        snprintf(what, len, "offer \"%s\" not taken up", st->extensions);
        return HS_OUT_DECLINED;
    }
    snprintf(what, len, "permessage-deflate agreed (server_no_context_takeover %d, "
             "client_no_context_takeover %d, server_max_window_bits %d, "
             "client_max_window_bits %d)", p->server_no_context_takeover,
             p->client_no_context_takeover, p->server_max_window_bits,
             p->client_max_window_bits);
    if (st->needs_client_context && p->client_no_context_takeover)
        return HS_OUT_RESTRICTED;
    return HS_OUT_AGREED;
}

/* A 101 must be a correct one: accept key, subprotocol, extensions. */
static int judge_101(hs_verdict *v, const hs_client *c, const hs_step *st,
                     json_t *reasons)
{
    char what[WHAT_MAX];
    hs_outcome o;

    if (!c->hs.accept_ok)
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, "101 with a wrong "
                               "Sec-WebSocket-Accept (RFC 6455 4.2.2)");
    if (!protocol_ok(c, st))
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, "101 names a "
                               "subprotocol the client did not offer (RFC 6455 4.1)");
    if (st->extensions == NULL && c->hs.extensions_ok)
        return 0;
    o = extension_outcome(c, st, what, sizeof(what));
    return judge(v, st, o, what, reasons);
}

int hs_verdict_connect(hs_verdict *v, hs_client *c, const hs_step *st, const char *err,
                       json_t *reasons)
{
    char what[WHAT_MAX];
    hs_outcome o;

    if (c->ws == NULL && err != NULL &&
        (strncmp(err, "connect to", 10) == 0 || strncmp(err, "resolve", 7) == 0))
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, err);
    o = handshake_outcome(c, err, what, sizeof(what));
    if (o == HS_OUT_DROPPED)
        hs_verdict_close_tier(v, HS_CLOSE_UNCLEAN, "TCP ended during the opening handshake");
    if (judge(v, st, o, what, reasons) != 0)
        return -1;
    if (st->expect_headers && !headers_ok(c, st, what, sizeof(what)) &&
        judge(v, st, HS_OUT_INCOMPLETE, what, reasons) != 0)
        return -1;
    if (o == HS_OUT_ACCEPTED)
        return judge_101(v, c, st, reasons);
    /* A refusal the case allows ends it: nothing later has a connection. */
    v->stop = 1;
    return -1;
}

/* ---- expect_message ------------------------------------------------------ */

/* Does m carry exactly the bytes the step means? */
static int message_matches(const hs_step *st, const hs_ws_msg *m)
{
    size_t n = 0;
    unsigned char *want;
    int same;

    if (m->opcode != expected_opcode(st))
        return 0;
    want = hs_step_payload(st, &n);
    same = want != NULL && n == m->len && memcmp(want, m->data, n) == 0;
    free(want);
    return same;
}

static void describe_expected(const hs_step *st, char *out, size_t len)
{
    unsigned char *p;
    size_t n = 0;
    char pv[128] = "?";

    p = hs_step_payload(st, &n);
    if (p != NULL)
        preview(p, n, pv, sizeof(pv));
    free(p);
    snprintf(out, len, "%s of %s", kind_word(expected_opcode(st)), pv);
}

static hs_outcome closed_outcome(const hs_client *c, char *what, size_t len,
                                 const char *want)
{
    if (c->close_code == 1006)
        snprintf(what, len, "expected %s, the connection ended without a close "
                 "frame", want);
    else
        snprintf(what, len, "expected %s, the server closed with %d", want,
                 c->close_code);
    return c->close_code == 1009 ? HS_OUT_TOO_BIG : HS_OUT_CLOSED;
}

int hs_verdict_expect_message(hs_verdict *v, hs_client *c, const hs_step *st,
                              int timeout_ms, json_t *reasons)
{
    double deadline = hs_now_ms() + timeout_ms;
    char want[200], got[300], what[WHAT_MAX], why[300];
    hs_outcome o;
    hs_ws_msg m;
    obs r;

    if (c->ws == NULL && !c->close_code)
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, "the connection is not open");
    describe_expected(st, want, sizeof(want));
    do {
        r = observe(c, deadline, &m, why, sizeof(why));
        /* RFC 6455 5.5.3: an unsolicited pong needs no answer; skip it. */
        if (r == OBS_MESSAGE && m.opcode == HS_OP_PONG && expected_opcode(st) != HS_OP_PONG)
            hs_ws_msg_free(&m);
        else
            break;
    } while (1);
    if (r == OBS_VIOLATION || r == OBS_ERROR)
        return broken(v, st, r, why, reasons);
    if (r == OBS_MESSAGE) {
        describe_msg(&m, got, sizeof(got));
        o = message_matches(st, &m) ? HS_OUT_MATCH : HS_OUT_MISMATCH;
        snprintf(what, sizeof(what), "expected %s, got %s", want, got);
        hs_ws_msg_free(&m);
    } else if (r == OBS_TIMEOUT) {
        o = HS_OUT_SILENT;
        snprintf(what, sizeof(what), "expected %s, nothing came within %d ms", want,
                 timeout_ms);
    } else {
        c->close_expected = 1;
        o = closed_outcome(c, what, sizeof(what), want);
    }
    if (judge(v, st, o, what, reasons) != 0)
        return -1;
    /* Nothing more can be read from a connection that ended. */
    if (c->close_code)
        v->stop = 1;
    return v->stop ? -1 : 0;
}

/* ---- the server's close ------------------------------------------------- */

/* Is code one the step accepts? codes, else code (0 any), else dflt. */
static int code_accepted(const hs_step *st, int code, const int *dflt, size_t ndflt)
{
    const int *list = st->codes ? st->codes : dflt;
    size_t n = st->codes ? st->ncodes : ndflt;

    if (st->codes == NULL && st->kind == HS_STEP_EXPECT_CLOSE)
        return st->close_code <= 0 || st->close_code == code;
    for (size_t i = 0; i < n; i++)
        if (list[i] == code)
            return 1;
    return 0;
}

/* The close verdict for the server's close frame or its absence. */
static void judge_close_code(hs_verdict *v, const hs_client *c, const hs_step *st,
                             const int *dflt, size_t ndflt)
{
    char what[200];

    if (c->close_code == 1006) {
        hs_verdict_close_tier(v, HS_CLOSE_UNCLEAN, "TCP ended without a close frame "
                              "(RFC 6455 7.1.7: a close frame SHOULD come first)");
        return;
    }
    if (code_accepted(st, c->close_code, dflt, ndflt))
        return;
    snprintf(what, sizeof(what), "the server closed with %d%s", c->close_code,
             c->close_code == 1005 ? " (no code)" : "");
    hs_verdict_close_tier(v, HS_CLOSE_WRONG_CODE, what);
}

/*
 * "probe_ms": the server has not closed yet, so ask with an empty ping. A
 * server that carried on answers at once; one that is failing the
 * connection is not sent anything before it had time to close, which
 * spares it data it would have to read or reset.
 */
static void send_probe(hs_client *c, int after_ms)
{
    hs_frame_spec f = { .fin = 1, .opcode = HS_OP_PING, .masked = 1, .declared_len = -1 };

    hs_transcript_note(c->transcript, "no close within %d ms: probe ping", after_ms);
    if (hs_ws_send(c->ws, &f, 0) != HS_WS_OK)
        hs_transcript_note(c->transcript, "probe not sent: %s", hs_ws_last_error(c->ws));
}

/* The next observation, probing once when probe_at passes first. */
static obs observe_probing(hs_client *c, const hs_step *st, double deadline,
                           double *probe_at, hs_ws_msg *m, char *why, size_t len)
{
    obs r;

    for (;;) {
        r = observe(c, *probe_at > 0 && *probe_at < deadline ? *probe_at : deadline, m,
                    why, len);
        if (r != OBS_TIMEOUT || *probe_at <= 0 || hs_now_ms() >= deadline)
            return r;
        send_probe(c, st->probe_ms);
        *probe_at = 0;
    }
}

/*
 * Read until the server's close, judging what came first: a message or a
 * pong is "answered" (once), the close "closed" or "dropped".
 */
static int await_close(hs_verdict *v, hs_client *c, const hs_step *st, int timeout_ms,
                       const int *dflt, size_t ndflt, json_t *reasons)
{
    double deadline = hs_now_ms() + timeout_ms;
    double probe_at = st->probe_ms > 0 ? hs_now_ms() + st->probe_ms : 0;
    char what[WHAT_MAX], got[300], why[300];
    hs_ws_msg m;
    obs r;

    while ((r = observe_probing(c, st, deadline, &probe_at, &m, why, sizeof(why))) ==
           OBS_MESSAGE) {
        describe_msg(&m, got, sizeof(got));
        hs_ws_msg_free(&m);
        snprintf(what, sizeof(what), "expected the server's close, got %s", got);
        if (judge(v, st, HS_OUT_ANSWERED, what, reasons) != 0)
            return -1;
        /* Answered and allowed: the rest of the case decides. */
        if (st->kind == HS_STEP_EXPECT_CLOSE)
            return 0;
    }
    if (r == OBS_VIOLATION || r == OBS_ERROR)
        return broken(v, st, r, why, reasons);
    if (r == OBS_TIMEOUT) {
        snprintf(what, sizeof(what), "the server did not close within %d ms", timeout_ms);
        return judge(v, st, HS_OUT_SILENT, what, reasons);
    }
    c->close_expected = 1;
    judge_close_code(v, c, st, dflt, ndflt);
    if (r == OBS_DROP)
        snprintf(what, sizeof(what), "TCP ended without a close frame");
    else
        snprintf(what, sizeof(what), "the server closed with %d", c->close_code);
    return judge(v, st, r == OBS_DROP ? HS_OUT_DROPPED : HS_OUT_CLOSED, what, reasons);
}

int hs_verdict_expect_close(hs_verdict *v, hs_client *c, const hs_step *st,
                            int timeout_ms, json_t *reasons)
{
    if (c->ws == NULL && !c->close_code)
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, "the connection is not open");
    return await_close(v, c, st, timeout_ms, NULL, 0, reasons);
}

/* Our close frame: the code in network order, then the reason. */
static int send_close(hs_client *c, const hs_step *st)
{
    unsigned char p[HS_CONTROL_MAX];
    size_t n = 0, rlen = st->reason ? strlen(st->reason) : 0;
    hs_frame_spec f = { .fin = 1, .opcode = HS_OP_CLOSE, .masked = 1, .declared_len = -1 };

    if (st->send_code) {
        p[0] = (unsigned char)(st->send_code >> 8);
        p[1] = (unsigned char)st->send_code;
        n = 2;
        if (rlen > sizeof(p) - 2)
            rlen = sizeof(p) - 2;
        memcpy(p + 2, st->reason ? st->reason : "", rlen);
        n += rlen;
    }
    f.payload = p;
    f.len = n;
    return hs_ws_send(c->ws, &f, 0);
}

/*
 * Client-initiated close (RFC 6455 5.5.1): the server must answer with a
 * close frame, typically echoing our code; without one, 1005 or 1000.
 */
int hs_verdict_close(hs_verdict *v, hs_client *c, const hs_step *st, int timeout_ms,
                     json_t *reasons)
{
    static const int no_code[] = { 1005, 1000 };
    int sent[1] = { st->send_code };

    if (c->ws == NULL || c->close_code)
        return hs_verdict_tier(v, HS_TIER_FAILED, st, reasons, "the connection is not open");
    for (size_t i = 0; i < c->nreqs; i++)
        if (!c->reqs[i].terminal)
            c->reqs[i].exempt = 1;
    c->closed_by_us = 1;
    if (send_close(c, st) != HS_WS_OK)
        hs_transcript_note(c->transcript, "close not sent: %s", hs_ws_last_error(c->ws));
    return st->send_code ? await_close(v, c, st, timeout_ms, sent, 1, reasons)
                         : await_close(v, c, st, timeout_ms, no_code, 2, reasons);
}

void hs_verdict_end(hs_verdict *v, const hs_client *c, int sent_code, int peer_code)
{
    char what[200];

    if (peer_code == 1006 || peer_code == 0) {
        snprintf(what, sizeof(what), "%s: our close %d got no close frame back",
                 c->name, sent_code);
        hs_verdict_close_tier(v, HS_CLOSE_UNCLEAN, what);
    } else if (peer_code != sent_code) {
        snprintf(what, sizeof(what), "%s: our close %d was answered with %d", c->name,
                 sent_code, peer_code);
        hs_verdict_close_tier(v, HS_CLOSE_WRONG_CODE, what);
    }
}

/* ---- results -------------------------------------------------------------- */

json_t *hs_verdict_json(const hs_verdict *v, const json_t *reasons)
{
    hs_tier b = v->behavior;
    const json_t *r;
    size_t i;

    json_array_foreach(reasons, i, r)
        if (json_integer_value(json_object_get(r, "clause")) == 0)
            b = HS_TIER_FAILED;
    return json_pack("{s:s,s:s,s:O}", "behavior", tier_names[b], "close",
                     close_names[v->close], "notes", v->notes);
}

int hs_verdict_strict_fails(const json_t *c)
{
    const json_t *v = json_object_get(c, "verdict");
    const char *b = json_string_value(json_object_get(v, "behavior"));
    const char *cl = json_string_value(json_object_get(v, "close"));

    if (!json_is_object(v))
        return 0;
    return (b && strcmp(b, "NON-STRICT") == 0) || (cl && strcmp(cl, "OK") != 0);
}

static void bump(json_t *counts, const char *group, const char *name)
{
    json_t *g = json_object_get(counts, group);
    json_t *n = name ? json_object_get(g, name) : NULL;

    if (n != NULL)
        json_integer_set(n, json_integer_value(n) + 1);
}

json_t *hs_verdict_counts(const json_t *cases)
{
    json_t *counts = json_pack("{s:i,s:{},s:{}}", "cases", 0, "behavior", "close");
    json_t *b = json_object_get(counts, "behavior"), *cl = json_object_get(counts, "close");
    const json_t *c;
    size_t i;

    for (size_t k = 0; k < sizeof(tier_order) / sizeof(tier_order[0]); k++)
        json_object_set_new(b, tier_names[tier_order[k]], json_integer(0));
    for (size_t k = 0; k <= HS_CLOSE_UNCLEAN; k++)
        json_object_set_new(cl, close_names[k], json_integer(0));
    json_array_foreach(cases, i, c) {
        const json_t *v = json_object_get(c, "verdict");

        if (!json_is_object(v))
            continue;
        json_integer_set(json_object_get(counts, "cases"),
                         json_integer_value(json_object_get(counts, "cases")) + 1);
        bump(counts, "behavior", json_string_value(json_object_get(v, "behavior")));
        bump(counts, "close", json_string_value(json_object_get(v, "close")));
    }
    return counts;
}

/* "300 OK, 2 NON-STRICT": the non-zero counts of one group, in order. */
static size_t group_text(const json_t *g, char *out, size_t len)
{
    const char *name;
    const json_t *n;
    size_t o = 0;
    int shown = 0;

    json_object_foreach((json_t *)g, name, n) {
        if (json_integer_value(n) == 0 || o >= len)
            continue;
        o += (size_t)snprintf(out + o, len - o, "%s%lld %s", shown++ ? ", " : "",
                              (long long)json_integer_value(n), name);
    }
    if (!shown && len > 0)
        o = (size_t)snprintf(out, len, "none");
    return o < len ? o : len;
}

void hs_verdict_counts_line(const json_t *counts, char *out, size_t len)
{
    long long n = json_integer_value(json_object_get(counts, "cases"));
    char b[300], cl[200];

    if (len == 0)
        return;
    out[0] = '\0';
    if (n == 0)
        return;
    group_text(json_object_get(counts, "behavior"), b, sizeof(b));
    group_text(json_object_get(counts, "close"), cl, sizeof(cl));
    snprintf(out, len, "verdicts (%lld conformance case%s): behavior %s; close %s", n,
             n == 1 ? "" : "s", b, cl);
}
