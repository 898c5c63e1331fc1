/*
 * gw_app: sessions, the readiness gate, routing and the agent handlers.
 * See gw_app.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_app.h"
#include "gw_auth.h"
#include "gw_faults.h"

/* A message that arrived before the gateway was ready (seed not-ready). */
typedef struct gw_pending {
    unsigned long conn;
    char *text;
    size_t len;
    struct gw_pending *next;
} gw_pending;

struct gw_app {
    gw_app_config cfg;
    char *secret;
    gw_io io;
    gw_router router;
    gw_session *sessions;
    size_t nsessions;
    size_t echo_conns;
    unsigned long next_id;
    int ready;
    long long started_ms;
    long long ready_at_ms;      /* when a delayed startup will be ready */
    gw_pending *queue, *queue_tail;
    size_t nqueued;
    size_t baseline;
    unsigned long requests, answered_errors, log_errors, reclaimed;
};

static const char *const agent_events[] = {
    "agent_started", "agent_thinking", "tool_executing", "tool_completed",
    "agent_completed"
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Serialise and hand one frame to the transport. Takes ownership of j. */
/* Frames are small: written on the stack, the heap only for a big one. */
static void send_json(gw_session *s, json_t *j)
{
    char stack[2048], *text = stack;
    size_t n = json_dumpb(j, stack, sizeof(stack), JSON_COMPACT);

    if (n > sizeof(stack)) {
        text = json_dumps(j, JSON_COMPACT);
        n = text ? strlen(text) : 0;
    }
    json_decref(j);
    if (n > 0 && !s->closing)
        s->app->io.send(s, text, n);
    if (text != stack && text)
        gw_json_text_free(text);
}

static void send_error(gw_session *s, json_t *id, const char *code,
                       const char *message, int retry_after_ms)
{
    json_t *payload = json_pack("{s:s,s:s}", "code", code, "message", message);
    json_t *e = json_pack("{s:s,s:O,s:s,s:s}", "type", "error",
                          "request_id", id ? id : json_null(), "code", code,
                          "message", message);

    if (retry_after_ms > 0) {
        json_object_set_new(payload, "retry_after_ms", json_integer(retry_after_ms));
        json_object_set_new(e, "retry_after_ms", json_integer(retry_after_ms));
    }
    json_object_set_new(e, "payload", payload);
    s->app->answered_errors++;
    send_json(s, e);
}

static gw_session *find_session(gw_app *app, unsigned long id)
{
    for (gw_session *s = app->sessions; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

/* The websocket manager's delivery: the registry forwards agent events here. */
static int manager_deliver(void *manager, unsigned long conn, json_t *event)
{
    gw_session *s = find_session(manager, conn);

    if (!s) {
        json_decref(event);
        return -1;
    }
    send_json(s, event);
    return 0;
}

static void set_state(gw_session *s, gw_conn_state st)
{
    s->state = st;
    /* A logging failure is counted, never acted on (seed enum-log). */
    if (gw_log_state(s->id, s->user[0] ? s->user : NULL, st) != 0)
        s->app->log_errors++;
}

static json_t *event_json(const char *type, json_t *id, int degraded, int seq)
{
    return json_pack("{s:s,s:O,s:b,s:{s:i,s:s}}", "type", type,
                     "request_id", id ? id : json_null(), "degraded", degraded,
                     "payload", "seq", seq, "agent", degraded ? "fallback" : "assistant");
}

/*
 * The per-request session provider (seed session-provider): a failure is
 * answered on that request alone; the connection and other requests live on.
 */
static int provide_db_session(gw_session *s, const gw_msg *m)
{
    if (!gw_fault("gateway/db/session"))
        return 0;
    gw_log("warn", "session_provider_failed",
           json_pack("{s:I}", "conn", (json_int_t)s->id));
    send_error(s, m->id, "session_unavailable",
               "the request's database session could not be created", 0);
    return -1;
}

static int can_handle_agent(const gw_handler *h, const gw_msg *m)
{
    return m->kind == GW_KIND_AGENT;
}

static int can_handle_ping(const gw_handler *h, const gw_msg *m)
{
    return m->kind == GW_KIND_PING;
}

/* Healthy path: events go through the agent registry and the manager. */
static int handle_agent(const gw_handler *h, gw_session *s, const gw_msg *m)
{
    if (provide_db_session(s, m) != 0)
        return 0;
    for (int i = 0; i < 5; i++)
        gw_registry_publish(&s->deps.registry, s->id,
                            event_json(agent_events[i], m->id, s->degraded, i + 1));
    return 0;
}

static void notice_fallback(gw_session *s, const char *why)
{
    json_t *reasons;

    if (s->fallback_noticed || s->degraded)
        return;
    reasons = json_pack("[s]", why);
    s->fallback_noticed = 1;
    send_json(s, json_pack("{s:s,s:b,s:{s:s,s:s,s:b,s:o}}", "type", "system_notice",
                           "degraded", 1, "payload", "code", "degraded",
                           "message", "served by the fallback agent handler",
                           "degraded", 1, "reasons", reasons));
}

/* Fallback: a gateway-wide handler that needs no dependency (seed deps-500). */
static int handle_agent_fallback(const gw_handler *h, gw_session *s, const gw_msg *m)
{
    if (!s->degraded)
        notice_fallback(s, "agent handler unavailable for this message");
    if (provide_db_session(s, m) != 0)
        return 0;
    for (int i = 0; i < 5; i++)
        send_json(s, event_json(agent_events[i], m->id, 1, i + 1));
    return 0;
}

static int handle_ping(const gw_handler *h, gw_session *s, const gw_msg *m)
{
    send_json(s, json_pack("{s:s,s:O}", "type", "pong",
                           "request_id", m->id ? m->id : json_null()));
    return 0;
}

static int raw_agent_function(const gw_handler *h, gw_session *s, const gw_msg *m)
{
    return handle_agent(h, s, m);
}

static void register_or_log(gw_app *app, const gw_handler *h)
{
    char err[200];

    if (gw_router_register(&app->router, h, err, sizeof(err)) != GW_ROUTER_OK)
        gw_log("error", "handler_rejected",
               json_pack("{s:s,s:I}", "error", err, "conn", (json_int_t)h->owner));
}

static void register_session_handlers(gw_app *app, gw_session *s)
{
    gw_handler agent = { "agent", can_handle_agent, handle_agent, NULL, s->id };
    gw_handler ping = { "ping", can_handle_ping, handle_ping, NULL, s->id };

    /* A plugin handing a bare function to the router (seed raw-handler). */
    if (gw_fault("gateway/router/raw_handler")) {
        gw_handler raw = { "raw_agent_function", NULL, raw_agent_function, NULL, s->id };
        register_or_log(app, &raw);
    }
    if (!s->degraded)
        register_or_log(app, &agent);
    register_or_log(app, &ping);
}

static void send_degraded_notice(gw_session *s)
{
    send_json(s, json_pack("{s:s,s:b,s:{s:s,s:s,s:b,s:O}}", "type", "system_notice",
                           "degraded", 1, "payload", "code", "degraded",
                           "message", "some services are unavailable: answers come "
                           "from the fallback agent", "degraded", 1,
                           "reasons", s->degraded_reasons));
}

/* Dependencies and handlers, once authenticated and ready. */
static void setup_session(gw_app *app, gw_session *s)
{
    if (s->set_up || s->closing)
        return;
    s->set_up = 1;
    if (gw_deps_create(&s->deps, app, manager_deliver, s->degraded_reasons) > 0)
        s->degraded = 1;
    register_session_handlers(app, s);
    set_state(s, s->degraded ? GW_STATE_DEGRADED : GW_STATE_READY);
    if (s->degraded)
        send_degraded_notice(s);
}

/* Parse, map and route one message; every path answers. */
static void process(gw_app *app, gw_session *s, const char *data, size_t len)
{
    /* No json_error_t: the answer does not say where the JSON broke, and
     * jansson formats that text for every message that is not JSON. */
    json_t *root = json_loadb(data, len, 0, NULL);
    json_t *type;
    gw_msg m = { 0 };
    int failed = 0, rc;

    app->requests++;
    if (!root) {
        send_error(s, NULL, "invalid_json", "the message is not valid JSON", 0);
        return;
    }
    type = json_object_get(root, "type");
    m.id = json_object_get(root, "id");
    if (!json_is_string(type)) {
        send_error(s, m.id, "invalid_message", "a message needs a string \"type\"", 0);
        goto out;
    }
    m.type = json_string_value(type);
    m.payload = json_object_get(root, "payload");
    m.kind = gw_types_lookup(m.type);
    if (m.kind == GW_KIND_UNKNOWN) {
        send_error(s, m.id, "unknown_type", "no handler maps this message type", 0);
        goto out;
    }
    rc = gw_router_route(&app->router, s, s->id, &m, &failed);
    if (rc == GW_ROUTE_NONE)
        send_error(s, m.id, "no_handler", "no handler accepted this message", 0);
out:
    json_decref(root);
}

static int retry_after(const gw_app *app)
{
    long long left = app->ready_at_ms - now_ms();

    return left > 100 ? (int)left : 100;
}

/* Before ready: hold the message, or answer not_ready when the queue is full. */
static void enqueue(gw_app *app, gw_session *s, const char *data, size_t len)
{
    gw_pending *p;

    if (app->nqueued >= (size_t)app->cfg.ready_queue) {
        json_t *root = json_loadb(data, len, 0, NULL);

        send_error(s, json_object_get(root, "id"), "not_ready",
                   "the gateway is starting; retry later", retry_after(app));
        json_decref(root);
        return;
    }
    p = calloc(1, sizeof(*p));
    if (p)
        p->text = malloc(len ? len : 1);
    if (!p || !p->text) {
        free(p);
        send_error(s, NULL, "not_ready", "the gateway is starting; retry later",
                   retry_after(app));
        return;
    }
    memcpy(p->text, data, len);
    p->len = len;
    p->conn = s->id;
    if (app->queue_tail)
        app->queue_tail->next = p;
    else
        app->queue = p;
    app->queue_tail = p;
    app->nqueued++;
}

gw_app *gw_app_new(const gw_app_config *cfg, const gw_io *io)
{
    gw_app *app = calloc(1, sizeof(*app));
    gw_handler fallback = { "agent_fallback", can_handle_agent,
                            handle_agent_fallback, NULL, 0 };
    char err[200];

    if (!app)
        return NULL;
    app->cfg = *cfg;
    app->secret = strdup(cfg->jwt_secret ? cfg->jwt_secret : "");
    app->cfg.jwt_secret = app->secret;
    app->io = *io;
    app->next_id = 1;
    app->started_ms = now_ms();
    gw_router_init(&app->router);
    gw_router_register(&app->router, &fallback, err, sizeof(err));
    app->baseline = gw_router_count(&app->router);
    return app;
}

void gw_app_free(gw_app *app)
{
    if (!app)
        return;
    while (app->sessions)
        gw_app_close(app, app->sessions);
    while (app->queue) {
        gw_pending *p = app->queue;
        app->queue = p->next;
        free(p->text);
        free(p);
    }
    gw_router_free(&app->router);
    free(app->secret);
    free(app);
}

int gw_app_start(gw_app *app)
{
    if (gw_fault("gateway/startup/slow") && app->cfg.startup_delay_ms > 0) {
        app->ready_at_ms = now_ms() + app->cfg.startup_delay_ms;
        gw_log("info", "startup_delayed",
               json_pack("{s:i}", "delay_ms", app->cfg.startup_delay_ms));
        return app->cfg.startup_delay_ms;
    }
    gw_app_set_ready(app);
    return 0;
}

/* Ready: set up waiting sessions, then answer held messages in order. */
void gw_app_set_ready(gw_app *app)
{
    app->ready = 1;
    gw_log("info", "ready", json_pack("{s:I}", "queued", (json_int_t)app->nqueued));
    for (gw_session *s = app->sessions; s; s = s->next)
        if (s->authenticated)
            setup_session(app, s);
    while (app->queue) {
        gw_pending *p = app->queue;
        gw_session *s = find_session(app, p->conn);

        app->queue = p->next;
        app->nqueued--;
        if (s && !s->closing)
            process(app, s, p->text, p->len);
        free(p->text);
        free(p);
    }
    app->queue_tail = NULL;
}

int gw_app_is_ready(const gw_app *app)
{
    return app->ready;
}

static void reject(gw_session *s, int rc, const char *why)
{
    int code = rc == GW_AUTH_UNAVAILABLE ? 1013 : 1008;

    gw_log("warn", "auth_failed", json_pack("{s:I,s:s,s:i}", "conn", (json_int_t)s->id,
                                            "reason", why, "close_code", code));
    s->app->io.close(s, code, rc == GW_AUTH_UNAVAILABLE ? "authentication unavailable, retry"
                                                        : "authentication failed");
    s->closing = 1;
    set_state(s, GW_STATE_CLOSING);
}

gw_session *gw_app_open(gw_app *app, const char *token, void *transport)
{
    gw_session *s = calloc(1, sizeof(*s));
    char why[128];
    int rc;

    if (!s)
        return NULL;
    s->id = app->next_id++;
    s->app = app;
    s->transport = transport;
    s->degraded_reasons = json_array();
    s->next = app->sessions;
    app->sessions = s;
    app->nsessions++;
    set_state(s, GW_STATE_ACCEPTED);
    rc = gw_auth_verify(token, app->secret, time(NULL), s->user, sizeof(s->user),
                        why, sizeof(why));
    if (rc != GW_AUTH_OK) {
        reject(s, rc, why);
        return s;
    }
    s->authenticated = 1;
    set_state(s, GW_STATE_AUTHENTICATED);
    if (app->ready)
        setup_session(app, s);
    return s;
}

void gw_app_message(gw_app *app, gw_session *s, const char *data, size_t len)
{
    if (s->closing || !s->authenticated)
        return;
    if (!app->ready) {
        enqueue(app, s, data, len);
        return;
    }
    process(app, s, data, len);
}

void gw_app_binary(gw_app *app, gw_session *s)
{
    if (s->closing || !s->authenticated)
        return;
    send_error(s, NULL, "binary_unsupported",
               "this endpoint speaks JSON text frames only", 0);
}

void gw_app_closing(gw_app *app, gw_session *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    set_state(s, GW_STATE_CLOSING);
}

/* Remove handlers; when removal fails, reclaim them anyway (seed handler-leak). */
static void remove_handlers(gw_app *app, gw_session *s)
{
    int n;

    if (gw_router_remove_owner(&app->router, s->id) >= 0)
        return;
    n = gw_router_reclaim(&app->router, s->id);
    app->reclaimed += (unsigned long)n;
    gw_log("warn", "handler_cleanup_failed",
           json_pack("{s:I,s:i}", "conn", (json_int_t)s->id, "reclaimed", n));
}

void gw_app_close(gw_app *app, gw_session *s)
{
    gw_session **pp = &app->sessions;

    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
    app->nsessions--;
    /* The peer closed or went away: the log still shows the whole life of
     * the connection (seed enum-log), closing before closed. */
    if (!s->closing) {
        s->closing = 1;
        set_state(s, GW_STATE_CLOSING);
    }
    remove_handlers(app, s);
    set_state(s, GW_STATE_CLOSED);
    json_decref(s->degraded_reasons);
    free(s);
}

void gw_app_echo_count(gw_app *app, int delta)
{
    app->echo_conns += (size_t)(long)delta;
}

void gw_app_close_all(gw_app *app, int code, const char *reason)
{
    for (gw_session *s = app->sessions; s; s = s->next) {
        if (s->closing)
            continue;
        s->closing = 1;
        set_state(s, GW_STATE_CLOSING);
        app->io.close(s, code, reason);
    }
}

size_t gw_app_sessions(const gw_app *app)
{
    return app->nsessions;
}

size_t gw_app_handlers(const gw_app *app)
{
    return gw_router_count(&app->router);
}

size_t gw_app_handlers_baseline(const gw_app *app)
{
    return app->baseline;
}

static const char *status_name(const gw_app *app, size_t degraded_sessions)
{
    if (!app->ready)
        return "starting";
    return degraded_sessions || gw_deps_any_failed() ? "degraded" : "ready";
}

json_t *gw_app_health(gw_app *app)
{
    size_t degraded = 0;
    json_t *h;

    for (gw_session *s = app->sessions; s; s = s->next)
        degraded += (size_t)s->degraded;
    h = json_pack("{s:s,s:b,s:I,s:o,s:I,s:{s:I,s:I},s:I,s:I,s:I,s:I}",
                  "status", status_name(app, degraded), "ready", app->ready,
                  "uptime_ms", (json_int_t)(now_ms() - app->started_ms),
                  "dependencies", gw_deps_health_json(),
                  "connections", (json_int_t)(app->nsessions + app->echo_conns),
                  "sessions", "app", (json_int_t)app->nsessions,
                  "echo", (json_int_t)app->echo_conns,
                  "degraded_sessions", (json_int_t)degraded,
                  "handlers", (json_int_t)gw_router_count(&app->router),
                  "handlers_baseline", (json_int_t)app->baseline,
                  "queued", (json_int_t)app->nqueued);
    /* Routing failures survived are failures /health must name (contract 4). */
    json_object_set_new(json_object_get(h, "dependencies"), "router",
                        json_pack("{s:s,s:I}", "state", "ok", "failures",
                                  (json_int_t)app->router.skipped));
    json_object_set_new(h, "stats",
                        json_pack("{s:I,s:I,s:I,s:I,s:I}",
                                  "requests", (json_int_t)app->requests,
                                  "errors", (json_int_t)app->answered_errors,
                                  "log_errors", (json_int_t)app->log_errors,
                                  "handlers_reclaimed", (json_int_t)app->reclaimed,
                                  "can_handle_failures", (json_int_t)app->router.skipped));
    json_object_set_new(h, "faults", gw_faults_counters_json());
    return h;
}
