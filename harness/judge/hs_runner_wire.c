/*
 * hs_runner_wire: the step interpreter's wire steps. See hs_runner_parts.h.
 *
 * Wire faults live in the harness's own client (wire/hs_wirefault); here
 * they are switched by steps, slow and dead peers are watched until the
 * target lets go of them, the target's memory is sampled, reconnect storms
 * are judged (judge/hs_storm) and a wire case's timeline is put together.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/hs_contract.h"
#include "judge/hs_runner_parts.h"
#include "judge/hs_storm.h"
#include "target/hs_rss.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"
#include "wire/hs_transcript.h"

#define TIMELINE_LOG_MAX 300    /* target log lines on one case's timeline */
#define RSS_EVERY_MS 100        /* memory: sample no more often than this */
#define RSS_SAMPLES_MAX 600

/* The target's RSS since the mark: sampled at most every RSS_EVERY_MS, at
 * step boundaries and inside long steps (a flood). */
void run_sample_rss(run_ctx *x, int force)
{
    double now = hs_now_ms();
    long kib;

    if (x->rss_mark < 0 || !x->spawned || (!force && now - x->rss_last_ms < RSS_EVERY_MS))
        return;
    x->rss_last_ms = now;
    kib = hs_rss_group_kib(x->target.pid);
    if (kib < 0)
        return;
    if (kib > x->rss_peak)
        x->rss_peak = kib;
    if (json_array_size(x->rss_samples) < RSS_SAMPLES_MAX)
        json_array_append_new(x->rss_samples, json_pack("[f,I]", now, (json_int_t)kib));
}

/* Whether the connection's faults keep its pongs from the target. */
int run_dead_peer(const hs_wire *w)
{
    return w->blackhole || w->stop_reading || (w->drop & (1u << HS_OP_PONG));
}

/* Open connections our side reads (no fault stops it), as poll entries;
 * who[i] is the client of fds[i]. */
static size_t reading_clients(run_ctx *x, struct pollfd *fds, hs_client **who, size_t max,
                              const hs_client *watch)
{
    size_t n = 0;

    for (size_t i = 0; i < x->nclients && n < max; i++) {
        hs_client *c = x->clients[i];
        if (c != watch && c->ws && !c->close_code && hs_ws_reading(c->ws)) {
            fds[n] = (struct pollfd){ .fd = hs_ws_fd(c->ws), .events = POLLIN };
            who[n++] = c;
        }
    }
    return n;
}

/*
 * Time passing for clients that keep reading, as any client library does in
 * the background: pings are answered (RFC 6455 5.5.2) and messages kept for
 * later steps. Only a wire fault stops that. Until end, or until watch (a
 * slow or dead peer read only to see it end, its messages dropped) closes.
 */
void run_pump_all(run_ctx *x, double end, hs_client *watch)
{
    struct pollfd fds[65];
    hs_client *who[65];
    size_t n;

    while (hs_now_ms() < end && !(watch && (watch->close_code || !watch->ws))) {
        n = reading_clients(x, fds, who, 64, watch);
        if (watch) {
            fds[n] = (struct pollfd){ .fd = hs_ws_fd(watch->ws), .events = POLLIN };
            who[n++] = watch;
        }
        if (poll(fds, n, hs_clock_left_ms(end)) <= 0)
            continue;
        for (size_t i = 0; i < n; i++)
            if (fds[i].revents && who[i] == watch)
                hs_client_skip(who[i], 0);
            else if (fds[i].revents)
                hs_client_pump(who[i], 0);
    }
}

/* code ends a dead peer (keepalive) or a slow consumer as the profile's
 * "wire" says; *by_keepalive: it is one of the keepalive closes, which end
 * a slow consumer too when it withholds its pongs (dead_peer). */
static int wire_code_ok(const hs_profile *p, int keepalive, int dead_peer, int code,
                        int *by_keepalive)
{
    *by_keepalive = (keepalive || dead_peer) &&
                    hs_profile_code_in(p->keepalive_close, p->nkeepalive, code);
    return *by_keepalive ||
           (!keepalive && hs_profile_code_in(p->slow_consumer_close, p->nslow_consumer, code));
}

/* The closes wire_code_ok accepts, as text. */
static void wire_codes(const hs_profile *p, int keepalive, int dead_peer, char *buf,
                       size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; !keepalive && i < p->nslow_consumer && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? ", " : "",
                                p->slow_consumer_close[i]);
    if (!keepalive && dead_peer && off < len)
        off += (size_t)snprintf(buf + off, len - off, " (or by its keepalive: ");
    for (size_t i = 0; (keepalive || dead_peer) && i < p->nkeepalive && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? ", " : "",
                                p->keepalive_close[i]);
    if (!keepalive && dead_peer && off < len)
        snprintf(buf + off, len - off, ")");
}

/* Read (and drop) what a slow or dead peer left unread, until the target
 * ends the connection or end passes; the time it took, in ms. */
static double watch_until_closed(run_ctx *x, hs_client *c, double end)
{
    double t0 = hs_now_ms();

    if (c->ws)
        hs_ws_observe(c->ws, 1);
    run_pump_all(x, end, c);
    if (c->ws)
        hs_ws_observe(c->ws, 0);
    return hs_now_ms() - t0;
}

/*
 * expect_close "keepalive" or "slow_consumer": the target must end the
 * connection within the step's ceiling, with a close the profile's "wire"
 * names. A slow consumer that reads nothing withholds its pongs too, so the
 * target's keepalive may end it first: its keepalive closes count there as
 * well. A 1011 the profile lists for keepalive is that stack's keepalive
 * close, not a crash (clause 2 then spares it); anywhere else it is one.
 */
int run_expect_wire_close(run_ctx *x, const hs_step *st, hs_client *c)
{
    const hs_profile *p = x->o->profile;
    int keepalive = st->close_code == HS_CLOSE_KEEPALIVE, by_keepalive;
    const char *what = keepalive ? "a dead peer" : "a slow consumer";
    char list[200];
    double took;

    if (keepalive && !c->dead_peer) {
        FAIL(x, st, "%s: a keepalive close needs a wire fault that keeps our pongs from the "
             "target (\"blackhole\", \"stop_reading\", or \"drop\": [\"pong\"])", c->name);
        return -1;
    }
    took = watch_until_closed(x, c, hs_now_ms() + run_step_ms(x, st));
    run_exempt_pending(c);
    c->close_expected = 1;
    wire_codes(p, keepalive, c->dead_peer, list, sizeof(list));
    c->abnormal_ok = wire_code_ok(p, keepalive, c->dead_peer, 1006, &by_keepalive);
    if (!c->close_code) {
        FAIL(x, st, "%s: the target still holds %s after %.0f ms", c->name, what, took);
        return -1;
    }
    hs_transcript_wire(c->transcript, "the target ended %s after %.0f ms: %d", what, took,
                       c->close_code);
    if (!wire_code_ok(p, keepalive, c->dead_peer, c->close_code, &by_keepalive)) {
        FAIL(x, st, "%s: %s was ended with %d; the profile says this target ends one with "
             "%s", c->name, what, c->close_code, list);
        return -1;
    }
    c->keepalive_close = by_keepalive && c->close_code == 1011;
    return 0;
}

/* A case whose report shows a timeline: one with wire faults, storms or
 * memory bounds, where when the target logged what explains the verdict. */
int run_wire_case(const hs_scenario *s)
{
    for (size_t i = 0; i < s->nsteps; i++) {
        const hs_step *st = &s->steps[i];
        if (st->kind == HS_STEP_WIRE || st->kind == HS_STEP_STORM ||
            st->kind == HS_STEP_MEMORY || st->has_wire ||
            (st->kind == HS_STEP_DISCONNECT && st->how != HS_DROP_FIN) || st->then_reset)
            return 1;
    }
    return 0;
}

static void add_figure(run_ctx *x, const hs_step *st, const char *what, json_t *fig)
{
    json_array_append_new(x->figures, json_pack("{s:i,s:i,s:o}", "step", st->index,
                                                 "line", st->line, what, fig));
}

int run_step_wire(run_ctx *x, const hs_step *st)
{
    hs_client *c = run_open_client(x, st);

    if (!c)
        return -1;
    hs_ws_set_wire(c->ws, &st->wire);
    c->dead_peer = run_dead_peer(&st->wire);
    return 0;
}

int run_step_memory(run_ctx *x, const hs_step *st)
{
    long growth;

    if (!x->spawned) {
        run_step_unverified(x, st, "memory: the harness did not start this target, so it "
                               "cannot read its RSS");
        return 0;
    }
    if (hs_rss_asan(x->target.pid)) {
        run_step_unverified(x, st, "memory: the target runs under AddressSanitizer, whose "
                               "quarantine and shadow memory hide its own growth");
        return 0;
    }
    if (st->mark) {
        x->rss_mark = x->rss_peak = hs_rss_group_kib(x->target.pid);
        json_array_clear(x->rss_samples);
        run_sample_rss(x, 1);
        return 0;
    }
    if (x->rss_mark < 0) {
        FAIL(x, st, "memory: no mark taken before (a memory step with \"mark\": true)");
        return -1;
    }
    run_sample_rss(x, 1);
    growth = x->rss_peak - x->rss_mark;
    add_figure(x, st, "memory", json_pack("{s:I,s:I,s:I,s:I,s:O}", "mark_kib",
               (json_int_t)x->rss_mark, "peak_kib", (json_int_t)x->rss_peak, "growth_kib",
               (json_int_t)growth, "max_growth_kib", (json_int_t)st->max_growth_kib,
               "samples", x->rss_samples));
    if (growth > st->max_growth_kib) {
        FAIL(x, st, "memory: the target's RSS grew by %ld KiB since the mark (from %ld to "
             "a peak of %ld KiB), more than the %ld KiB allowed", growth, x->rss_mark,
             x->rss_peak, st->max_growth_kib);
        return -1;
    }
    return 0;
}

/* What each storm outcome that breaks the contract is called in a reason. */
static const char *const storm_breaches[HS_STORM_OUTS] = {
    [HS_STORM_5XX] = "answered with a 5xx other than 503",
    [HS_STORM_SILENT] = "got no answer (or TCP dropped)",
    [HS_STORM_NO_RETRY] = "refused with 503 without Retry-After",
    [HS_STORM_OTHER] = "answered with another status, or closed at once with a code "
                       "other than 1013",
};

/* What a storm's answers break, as reasons; 0 when none. */
static int storm_verdict(run_ctx *x, const hs_step *st, const hs_storm_result *r)
{
    size_t before = json_array_size(x->reasons);
    long cap = x->s->target.settings[HS_SET_MAX_CONNECTIONS];

    for (int wave = 0; wave < 2; wave++)
        for (int k = 0; k < HS_STORM_OUTS; k++)
            if (storm_breaches[k] && (wave ? r->again : r->first)[k])
                FAIL(x, st, "storm: %d upgrades %s %s", (wave ? r->again : r->first)[k],
                     wave ? "reconnecting" : "in the first wave", storm_breaches[k]);
    /* Every accepted client stays connected through its wave: more than the
     * scenario's max_connections means the target ignored its cap. */
    for (int wave = 0; wave < 2 && cap >= 0; wave++)
        if ((wave ? r->again : r->first)[HS_STORM_ACCEPTED] > cap)
            FAIL(x, st, "storm: %d clients connected at once %s, past the target's "
                 "max_connections of %ld", (wave ? r->again : r->first)[HS_STORM_ACCEPTED],
                 wave ? "reconnecting" : "in the first wave", cap);
    if (json_array_size(x->reasons) == before && r->recover_ms < 0)
        FAIL(x, st, "storm: %d of the %d clients connected before were back within %d ms",
             r->recovered, r->first[HS_STORM_ACCEPTED], st->recover_ms);
    return json_array_size(x->reasons) > before ? -1 : 0;
}

int run_step_storm(run_ctx *x, const hs_step *st)
{
    hs_step as = *st;
    char path[32768], auth[20000], err[512];
    const char **headers;
    hs_storm_opts o = { .clients = st->clients, .spread_ms = st->spread_ms,
                        .recover_ms = st->recover_ms, .seed = x->o->seed };
    hs_storm_result r;
    int rc;

    as.token = "valid";
    as.user = "storm";
    err[0] = '\0';
    free(run_auth_request(x, &as, path, sizeof(path), auth, sizeof(auth), err, sizeof(err)));
    if (err[0]) {
        FAIL(x, st, "%s", err);
        return -1;
    }
    headers = run_extra_headers(&as, auth);
    o.ws = (hs_ws_opts){ .host = x->host, .port = x->port, .path = path,
                         .protocol = st->subprotocol, .extra_headers = headers,
                         .timeout_ms = run_default_step_ms(x) };
    hs_transcript_wire(x->http_log, "storm: %d clients, dropped at once by reset, "
                       "reconnecting over %d ms", st->clients, st->spread_ms);
    rc = hs_storm_run(&o, &r, err, sizeof(err));
    run_free_headers(headers);
    if (rc != 0) {
        FAIL(x, st, "storm: %s", err);
        return -1;
    }
    add_figure(x, st, "storm", hs_storm_json(&o, &r));
    return storm_verdict(x, st, &r);
}

/* The target's log lines written since the last look, on the timeline. */
static void timeline_log(run_ctx *x)
{
    char *text = x->spawned ? run_read_log(x->target.stderr_path, x->log_seen) : NULL;
    char *line, *save = NULL, *clean;
    double now = hs_now_ms();
    size_t len = text ? strlen(text) : 0;

    if (!len) {
        free(text);
        return;
    }
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (x->log_lines++ == TIMELINE_LOG_MAX)
            json_array_append_new(x->timeline, json_pack("{s:f,s:s,s:s}", "t_ms", now, "kind",
                                  "log", "text", "(more log lines: see the target's log)"));
        if (x->log_lines > TIMELINE_LOG_MAX)
            continue;
        clean = hs_escape_sanitize((const unsigned char *)line, strlen(line));
        json_array_append_new(x->timeline, json_pack("{s:f,s:s,s:s}", "t_ms", now,
                                                     "kind", "log", "text", clean ? clean : ""));
        free(clean);
    }
    x->log_seen += (long)len;           /* strtok_r cut it; the length was kept */
    free(text);
}

/* A step starting, on the timeline, after the log lines that came before. */
void run_timeline_step(run_ctx *x, const hs_step *st, double t0)
{
    char text[256];

    if (!x->timeline)
        return;
    timeline_log(x);
    snprintf(text, sizeof(text), "step %d (line %d): %s%s%s", st->index, st->line,
             hs_step_kind_name(st->kind), st->conn && strcmp(st->conn, "main") ? " " : "",
             st->conn && strcmp(st->conn, "main") ? st->conn : "");
    json_array_append_new(x->timeline, json_pack("{s:f,s:s,s:s}", "t_ms", t0, "kind", "step",
                                                 "text", text));
}

/* Order entries by time; equal times keep their order (qsort is not stable,
 * so the index breaks ties). */
typedef struct tl_entry { double t; size_t i; json_t *e; } tl_entry;

static int tl_cmp(const void *a, const void *b)
{
    const tl_entry *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The wire-fault notes of every connection, added to the timeline. */
static void timeline_wire(run_ctx *x)
{
    for (size_t k = 0; k < x->nclients; k++) {
        const json_t *t = x->clients[k]->transcript, *e;
        size_t i;

        json_array_foreach(t, i, e)
            if (strcmp(json_string_value(json_object_get(e, "what")) ?: "", "wire") == 0)
                json_array_append_new(x->timeline, json_pack("{s:O,s:s,s:s,s:O}", "t_ms",
                    json_object_get(e, "t_ms"), "kind", "wire", "conn", x->clients[k]->name,
                    "text", json_object_get(e, "text")));
    }
}

/* The case's timeline, sorted: steps, wire faults, target log lines. */
json_t *run_timeline_sorted(run_ctx *x)
{
    size_t n, i;
    tl_entry *v;
    json_t *out = json_array(), *e;

    timeline_log(x);
    timeline_wire(x);
    n = json_array_size(x->timeline);
    v = calloc(n ? n : 1, sizeof(*v));
    json_array_foreach(x->timeline, i, e)
        v[i] = (tl_entry){ json_number_value(json_object_get(e, "t_ms")), i, e };
    qsort(v, n, sizeof(*v), tl_cmp);
    for (i = 0; i < n; i++)
        json_array_append(out, v[i].e);
    free(v);
    return out;
}

