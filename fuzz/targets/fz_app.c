/*
 * fz_app: the fake transport, the directive interpreter and the message-level
 * contract judge shared by the message and fault-schedule targets. See
 * fz_app.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <jwt.h>

#include "fz_app.h"
#include "gateway/gw_app.h"
#include "gateway/gw_deps.h"
#include "gateway/gw_faults.h"
#include "gateway/gw_log.h"

#define FZ_SECRET "fuzz-secret"
#define FZ_MAX_CONNS 8
#define FZ_TEN_YEARS (10L * 365 * 24 * 3600)

/* The 5 agent events, in the order the contract requires (README.md). */
static const char *const agent_events[5] = {
    "agent_started", "agent_thinking", "tool_executing", "tool_completed",
    "agent_completed"
};

/* The agent aliases of the reference gateway (README.md), held here rather than read from gw_types:
 * the judge does not take the judged code's word for the contract. */
static const char *const agent_types[] = {
    "user_message", "chat", "agent_request", "start_agent", "execute_agent",
    "agent_task", NULL
};

static const char *const token_words[FZ_TOKEN_COUNT] = {
    "valid", "expired", "forged", "none", "garbage", "missing"
};

/* What the judge knows about one connection. */
typedef struct fz_conn {
    gw_session *s;              /* NULL: slot free */
    int valid;                  /* opened with a valid token */
    int close_code;             /* from io.close; 0: none asked */
    int noticed;                /* a system_notice arrived */
    json_t *pending;            /* [{"id", "type"}]: requests not answered yet */
    json_t *streaming;          /* the request whose events are arriving */
    int event_pos;              /* next event index while streaming */
    int event_degraded;
} fz_conn;

static struct {
    char *tokens[FZ_TOKEN_COUNT];
    int ready;
    gw_app *app;
    fz_conn conns[FZ_MAX_CONNS];
    int current;
    fz_conn *call_conn;         /* gw_app_message/binary in progress for it */
    json_t *call_req;           /* ... handling this request (borrowed) */
} fz;

void fz_violation(const char *what, int conn)
{
    fprintf(stderr, "fuzz contract violation: %s (connection %d)\n", what, conn);
    abort();
}

static int conn_index(const fz_conn *c)
{
    return (int)(c - fz.conns);
}

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int is_agent_type(const char *type)
{
    for (size_t i = 0; agent_types[i]; i++)
        if (streq(type, agent_types[i]))
            return 1;
    return 0;
}

/* HS256 (or alg none) with sub "fuzz", expiring exp_offset seconds from now. */
static char *mint(const char *secret, long exp_offset, int alg_none)
{
    jwt_t *jwt = NULL;
    char *s;

    if (jwt_new(&jwt) != 0)
        return NULL;
    jwt_add_grant(jwt, "sub", "fuzz");
    jwt_add_grant_int(jwt, "exp", (long)time(NULL) + exp_offset);
    if (alg_none)
        jwt_set_alg(jwt, JWT_ALG_NONE, NULL, 0);
    else
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
    s = jwt_encode_str(jwt);
    jwt_free(jwt);
    return s;
}

/*
 * Jansson's memory, in builds without a sanitizer: bumped from one arena
 * that every input starts empty, freed all at once. malloc and free were a
 * sixth of an input (the gateway and the judge build and parse JSON for
 * every message and frame). Sanitized builds (replay, the ASan instance of
 * a campaign) keep malloc, so a use after free or a leak is still caught.
 * A block the arena cannot hold comes from malloc; free tells them apart
 * by address.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ARENA 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FZ_ARENA 0
#endif
#endif
#ifndef FZ_ARENA
#define FZ_ARENA 1
#endif

#define ARENA_SIZE (8u << 20)
#define ARENA_ALIGN 16

static struct {
    unsigned char *base;
    size_t used;
} arena;

static void *arena_alloc(size_t n)
{
    size_t at = (arena.used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

    if (!arena.base || n > ARENA_SIZE - at)
        return malloc(n);
    arena.used = at + n;
    return arena.base + at;
}

static void arena_free(void *p)
{
    unsigned char *b = p;

    if (b && (b < arena.base || b >= arena.base + ARENA_SIZE))
        free(p);
}

/* The start of an input: what the last one left in the arena is gone. */
static void arena_reset(void)
{
    arena.used = 0;
}

static void arena_init(void)
{
    if (!FZ_ARENA)
        return;
    arena.base = malloc(ARENA_SIZE);
    if (arena.base)
        json_set_alloc_funcs(arena_alloc, arena_free);
}

/*
 * The last text each of the judge's two parsers read, by its bytes. Fuzz
 * inputs repeat themselves (many bad lines, each answered with the same
 * error frame), and the same bytes parse to the same document: the judge
 * reads them once, and judges every frame all the same. Dropped at the
 * start of every input.
 */
typedef struct parsed {
    char *text;
    size_t len;
    json_t *json;               /* NULL: the text is not JSON */
    int held;                   /* the slot holds a text */
} parsed;

static parsed last_frame, last_line;

static void parsed_clear(parsed *p)
{
    json_decref(p->json);
    free(p->text);
    memset(p, 0, sizeof(*p));
}

/* text parsed (a new reference, or NULL when it is not JSON). */
static json_t *parse_once(parsed *p, const char *text, size_t len)
{
    if (p->held && p->len == len && memcmp(p->text, text, len) == 0)
        return json_incref(p->json);
    parsed_clear(p);
    p->json = json_loadb(text, len, 0, NULL);
    p->text = malloc(len ? len : 1);
    if (p->text) {
        memcpy(p->text, text, len);
        p->len = len;
        p->held = 1;
    }
    return json_incref(p->json);
}

/*
 * Jansson's hash seed must be fixed before the first object exists, or the
 * iteration order (and with it coverage) changes between runs. Log lines
 * are dropped unformatted: their fields are still built by the gateway
 * (that code is fuzzed), the judge reads frames, not logs, and formatting
 * them was a quarter of an input's cost.
 */
void fz_app_init(void)
{
    if (fz.ready)
        return;
    fz.ready = 1;
    json_object_seed(1);
    gw_log_set_discard(1);
    fz.tokens[FZ_TOKEN_VALID] = mint(FZ_SECRET, FZ_TEN_YEARS, 0);
    fz.tokens[FZ_TOKEN_EXPIRED] = mint(FZ_SECRET, -3600, 0);
    fz.tokens[FZ_TOKEN_FORGED] = mint("another-secret", FZ_TEN_YEARS, 0);
    fz.tokens[FZ_TOKEN_NONE] = mint("", FZ_TEN_YEARS, 1);
    fz.tokens[FZ_TOKEN_GARBAGE] = strdup("not.a.token");
    fz.tokens[FZ_TOKEN_MISSING] = strdup("");
    for (int i = 0; i < FZ_TOKEN_COUNT; i++) {
        if (!fz.tokens[i]) {
            fprintf(stderr, "fuzz target setup failed (token %s)\n", token_words[i]);
            exit(1);
        }
    }
    /* After the tokens: they outlive every input, so they are malloc's. */
    arena_init();
}

const char *fz_app_secret(void)
{
    return FZ_SECRET;
}

const char *fz_app_token(fz_token_kind kind)
{
    return fz.tokens[kind];
}

/*
 * libfiu must be initialised before anything is disabled (fiu_disable on a
 * fresh process dereferences NULL); probability faults draw from gw_faults'
 * generator, which the same call reseeds for every input.
 */
void fz_app_reset(void)
{
    /* Before the arena forgets what they point at. */
    parsed_clear(&last_frame);
    parsed_clear(&last_line);
    arena_reset();
    gw_faults_init(1);
    gw_faults_reset();
    gw_deps_reset();
}

static const char *request_type(const json_t *req)
{
    return json_string_value(json_object_get(req, "type"));
}

static int is_ping(const char *type)
{
    return streq(type, "ping");
}

/* The request a frame written during gw_app_message or gw_app_binary answers. */
static json_t *take_current(fz_conn *c, const json_t *id)
{
    size_t i;
    json_t *req;

    json_array_foreach(c->pending, i, req) {
        if (req != fz.call_req)
            continue;
        if (!json_equal(json_object_get(req, "id"), id))
            fz_violation("an answer carrying another request's id", conn_index(c));
        json_incref(req);
        json_array_remove(c->pending, i);
        return req;
    }
    fz_violation("a second answer to one request", conn_index(c));
}

/*
 * Remove and return (new reference) the request a frame answers. A frame
 * written while a message is being handled answers that message: that is
 * how a queue-full not_ready is told from the answers held until ready.
 * Otherwise (held messages answered once ready) it answers the oldest
 * pending request with the same id that fits (a pong a ping, events an
 * agent request), held messages being answered in order.
 */
static json_t *take_request(fz_conn *c, const json_t *frame, int (*fits)(const char *type))
{
    json_t *id = json_object_get(frame, "request_id");
    json_t *req;
    size_t i;

    if (!id)
        fz_violation("an answer without request_id", conn_index(c));
    if (fz.call_conn == c)
        return take_current(c, id);
    json_array_foreach(c->pending, i, req) {
        if (json_equal(json_object_get(req, "id"), id) && (!fits || fits(request_type(req)))) {
            json_incref(req);
            json_array_remove(c->pending, i);
            return req;
        }
    }
    fz_violation("an answer to no outstanding request", conn_index(c));
}

static int fault_fired(const char *name)
{
    json_t *all = gw_faults_counters_json();
    json_int_t n = json_integer_value(json_object_get(json_object_get(all, name), "fired"));

    json_decref(all);
    return n > 0;
}

/* An error frame or a pong: one frame answers the whole request. */
static void judge_single(fz_conn *c, const json_t *frame, const char *type)
{
    json_t *req = take_request(c, frame, streq(type, "pong") ? is_ping : NULL);
    const char *rtype = request_type(req);
    const char *code = json_string_value(json_object_get(frame, "code"));

    if (streq(type, "pong") && !streq(rtype, "ping"))
        fz_violation("a pong answered a request that is not a ping", conn_index(c));
    if (streq(type, "error") && (!code || !*code))
        fz_violation("an error frame without a code", conn_index(c));
    /* Seed missing-mapping: every alias maps, unless the fault removed one. */
    if (streq(code, "unknown_type") && is_agent_type(rtype) &&
        !(streq(rtype, "execute_agent") && fault_fired("gateway/types/execute_agent")))
        fz_violation("an agent alias was answered unknown_type", conn_index(c));
    json_decref(req);
}

static void judge_events_start(fz_conn *c, const json_t *frame)
{
    json_t *req = take_request(c, frame, is_agent_type);

    if (!is_agent_type(request_type(req)))
        fz_violation("agent events answered a request that is not an agent request",
                     conn_index(c));
    c->streaming = req;
    c->event_pos = 1;
    c->event_degraded = json_is_true(json_object_get(frame, "degraded"));
    /* Contract 4: degraded operation is visible on the socket first. */
    if (c->event_degraded && !c->noticed)
        fz_violation("a degraded answer came without a notice", conn_index(c));
}

static void judge_events_next(fz_conn *c, const json_t *frame, const char *type)
{
    if (!streq(type, agent_events[c->event_pos]))
        fz_violation("the agent events were cut short or out of order", conn_index(c));
    if (!json_equal(json_object_get(frame, "request_id"),
                    json_object_get(c->streaming, "id")))
        fz_violation("agent events of two requests interleaved", conn_index(c));
    if (json_is_true(json_object_get(frame, "degraded")) != c->event_degraded)
        fz_violation("the degraded flag changed within one answer", conn_index(c));
    if (++c->event_pos < 5)
        return;
    json_decref(c->streaming);
    c->streaming = NULL;
    c->event_pos = 0;
}

static void judge_frame(fz_conn *c, const json_t *frame)
{
    const char *type = json_string_value(json_object_get(frame, "type"));

    if (c->close_code || !c->valid)
        fz_violation("a frame was sent after a close or to a rejected token", conn_index(c));
    if (!type)
        fz_violation("a frame without a string type", conn_index(c));
    if (c->event_pos > 0)
        judge_events_next(c, frame, type);
    else if (streq(type, "system_notice"))
        c->noticed = 1;
    else if (streq(type, agent_events[0]))
        judge_events_start(c, frame);
    else if (streq(type, "error") || streq(type, "pong"))
        judge_single(c, frame, type);
    else
        fz_violation("a frame the contract does not know, or an event out of order",
                     conn_index(c));
}

/* The writer's output must be one JSON object per frame. */
static void io_send(gw_session *s, const char *text, size_t len)
{
    fz_conn *c = s->transport;
    json_t *frame = parse_once(&last_frame, text, len);

    if (!json_is_object(frame))
        fz_violation("the writer produced a frame that is not a JSON object", conn_index(c));
    judge_frame(c, frame);
    json_decref(frame);
}

/* Contract 2: 1008 for a bad token, 1013 when the verifier failed; never 1011. */
static void io_close(gw_session *s, int code, const char *reason)
{
    fz_conn *c = s->transport;

    if (code != 1008 && code != 1013)
        fz_violation(code == 1011 ? "close 1011" : "a close code other than 1008 or 1013",
                     conn_index(c));
    c->close_code = code;
    json_array_clear(c->pending);
}

static const gw_io fz_io = { io_send, io_close };

static fz_conn *current(void)
{
    fz_conn *c = &fz.conns[fz.current];

    return c->s ? c : NULL;
}

static void select_next(void)
{
    for (int i = 1; i <= FZ_MAX_CONNS; i++) {
        int k = (fz.current + i) % FZ_MAX_CONNS;

        if (fz.conns[k].s) {
            fz.current = k;
            return;
        }
    }
}

/* Seed auth-before-accept: accepted first, then a bad token is closed. */
static void open_conn(fz_token_kind kind)
{
    fz_conn *c = NULL;

    for (int i = 0; i < FZ_MAX_CONNS && !c; i++)
        if (!fz.conns[i].s)
            c = &fz.conns[i];
    if (!c)
        return;
    memset(c, 0, sizeof(*c));
    c->valid = kind == FZ_TOKEN_VALID;
    c->pending = json_array();
    c->s = gw_app_open(fz.app, fz.tokens[kind], c);
    if (!c->s)
        fz_violation("gw_app_open returned NULL", conn_index(c));
    if (!c->valid && !c->close_code)
        fz_violation("a bad token was not closed", conn_index(c));
    fz.current = conn_index(c);
}

static void close_conn(fz_conn *c)
{
    gw_app_close(fz.app, c->s);
    json_decref(c->pending);
    json_decref(c->streaming);
    memset(c, 0, sizeof(*c));
}

/* What the judge remembers of a request: its id (null if none) and type. */
static json_t *request_of(const char *data, size_t len)
{
    json_t *root = data ? parse_once(&last_line, data, len) : NULL;
    json_t *id = json_object_get(root, "id");
    json_t *type = json_object_get(root, "type");
    json_t *req = json_pack("{s:O,s:O}", "id", id ? id : json_null(),
                            "type", json_is_string(type) ? type : json_null());

    json_decref(root);
    return req;
}

/*
 * Hand one message (data NULL: a binary one) to the gateway. It is a request
 * the gateway must answer only on a connection whose token was accepted.
 */
static void deliver(fz_conn *c, const char *data, size_t len)
{
    if (c->valid && !c->close_code) {
        fz.call_req = request_of(data, len);
        fz.call_conn = c;
        json_array_append_new(c->pending, fz.call_req);
    }
    if (data)
        gw_app_message(fz.app, c->s, data, len);
    else
        gw_app_binary(fz.app, c->s);
    fz.call_conn = NULL;
    fz.call_req = NULL;
}

static int directive_is(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && memcmp(line, word, n) == 0 && (len == n || line[n] == ' ');
}

static fz_token_kind token_word(const char *line, size_t len)
{
    for (int k = 1; k < FZ_TOKEN_COUNT; k++) {
        size_t n = strlen(token_words[k]);

        if (len == 6 + n && memcmp(line + 6, token_words[k], n) == 0)
            return (fz_token_kind)k;
    }
    return FZ_TOKEN_VALID;
}

static void do_open(const char *line, size_t len)
{
    open_conn(token_word(line, len));
}

static void do_next(const char *line, size_t len)
{
    select_next();
}

static void do_close(const char *line, size_t len)
{
    fz_conn *c = current();

    if (!c)
        return;
    close_conn(c);
    select_next();
}

static void do_binary(const char *line, size_t len)
{
    fz_conn *c = current();

    if (!c)
        return;
    deliver(c, NULL, 0);
}

static void do_ready(const char *line, size_t len)
{
    if (!gw_app_is_ready(fz.app))
        gw_app_set_ready(fz.app);
}

static void do_health(const char *line, size_t len)
{
    json_t *h = gw_app_health(fz.app);
    char *text = json_dumps(h, JSON_COMPACT);

    if (!text)
        fz_violation("the /health document could not be serialised", -1);
    gw_json_text_free(text);
    json_decref(h);
}

static const struct {
    const char *word;
    void (*run)(const char *line, size_t len);
} directives[] = {
    { "@open", do_open }, { "@next", do_next }, { "@close", do_close },
    { "@binary", do_binary }, { "@ready", do_ready }, { "@health", do_health },
};

/* Returns 1 when the line was a directive and has been carried out. */
static int directive(const char *line, size_t len)
{
    for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
        if (directive_is(line, len, directives[i].word)) {
            directives[i].run(line, len);
            return 1;
        }
    }
    return 0;
}

static void message(const char *line, size_t len)
{
    fz_conn *c = current();

    if (len > 0 && line[0] == '@' && directive(line, len))
        return;
    if (!c)
        return;
    deliver(c, line, len);
}

/* Contracts 3 and 5: everything answered, everything given back. */
static void finish(void)
{
    if (!gw_app_is_ready(fz.app))
        gw_app_set_ready(fz.app);
    for (int i = 0; i < FZ_MAX_CONNS; i++) {
        fz_conn *c = &fz.conns[i];

        if (c->s && (json_array_size(c->pending) > 0 || c->event_pos > 0))
            fz_violation("a request was never answered", i);
    }
    for (int i = 0; i < FZ_MAX_CONNS; i++)
        if (fz.conns[i].s)
            close_conn(&fz.conns[i]);
    if (gw_app_sessions(fz.app) != 0)
        fz_violation("sessions left after every connection closed", -1);
    if (gw_app_handlers(fz.app) != gw_app_handlers_baseline(fz.app))
        fz_violation("handlers left after every connection closed", -1);
}

void fz_app_run(const uint8_t *data, size_t size)
{
    gw_app_config cfg = { FZ_SECRET, 50, 4 };
    const char *p = (const char *)data, *end = p + size;

    fz.app = gw_app_new(&cfg, &fz_io);
    if (!fz.app)
        fz_violation("gw_app_new returned NULL", -1);
    gw_app_start(fz.app);
    fz.current = 0;
    open_conn(FZ_TOKEN_VALID);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

        message(p, len);
        p += len + (nl ? 1 : 0);
    }
    finish();
    gw_app_free(fz.app);
    fz.app = NULL;
}
