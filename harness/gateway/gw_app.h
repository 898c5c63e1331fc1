/*
 * gw_app: the chat gateway's application logic, free of any transport.
 *
 * The server glue (gw_server) feeds it connections and messages and gives
 * it two callbacks to send a text frame and to close; unit tests and fuzz
 * targets drive the same code with their own callbacks, no socket needed.
 *
 * Every seed failure (README.md, "The failures it exists for") has its
 * fixed behaviour here or in the module it names: readiness gate (not-ready), accept-then-authenticate
 * (auth-before-accept), dependencies (deps-500, wrong-setter), router
 * (raw-handler), session provider (session-provider), handler cleanup
 * (handler-leak), state logging (enum-log), type mapping (missing-mapping).
 */
#ifndef GW_APP_H
#define GW_APP_H

#include <stddef.h>
#include <jansson.h>

#include "gw_deps.h"
#include "gw_log.h"
#include "gw_router.h"

typedef struct gw_app gw_app;
typedef struct gw_session gw_session;

typedef struct gw_io {
    /* Queue one text frame for the session's connection. */
    void (*send)(gw_session *s, const char *text, size_t len);
    /* Close the connection with a code once queued frames are out. */
    void (*close)(gw_session *s, int code, const char *reason);
} gw_io;

typedef struct gw_app_config {
    const char *jwt_secret;
    int startup_delay_ms;       /* readiness delay when startup/slow fires */
    int ready_queue;            /* messages held before ready, gateway-wide */
} gw_app_config;

struct gw_session {
    unsigned long id;
    char user[128];
    gw_conn_state state;
    int authenticated;
    int set_up;                 /* dependencies and handlers in place */
    int closing;                /* a close was requested: process nothing */
    int degraded;
    int fallback_noticed;       /* notice sent for a can_handle fallback */
    json_t *degraded_reasons;   /* array of strings */
    gw_deps deps;
    void *transport;            /* the glue's handle (an lws wsi) */
    gw_app *app;
    gw_session *next;
};

gw_app *gw_app_new(const gw_app_config *cfg, const gw_io *io);
void gw_app_free(gw_app *app);

/*
 * Run startup. Returns 0 when the gateway is ready now, or the number of
 * milliseconds after which the caller must call gw_app_set_ready.
 */
int gw_app_start(gw_app *app);
void gw_app_set_ready(gw_app *app);
int gw_app_is_ready(const gw_app *app);

/*
 * A WebSocket was accepted (the 101 is already out). Authenticates token;
 * on failure the session is closed with 1008 (or 1013 when the verifier
 * failed) and nothing it sends is processed. Never returns NULL except
 * when out of memory.
 */
gw_session *gw_app_open(gw_app *app, const char *token, void *transport);

/* A complete text message arrived. */
void gw_app_message(gw_app *app, gw_session *s, const char *data, size_t len);

/* A complete binary message arrived: /ws speaks JSON text only. */
void gw_app_binary(gw_app *app, gw_session *s);

/*
 * The transport ends the connection on its own (a slow consumer, a silent
 * peer): closing is logged now, and nothing more is processed or sent for
 * the session. gw_app_close follows once the connection is gone.
 */
void gw_app_closing(gw_app *app, gw_session *s);

/* The connection is gone: remove its handlers, free it. */
void gw_app_close(gw_app *app, gw_session *s);

/* Echo connections only count towards /health's connections. */
void gw_app_echo_count(gw_app *app, int delta);

/* Close every session with code (shutdown: 1001). */
void gw_app_close_all(gw_app *app, int code, const char *reason);
size_t gw_app_sessions(const gw_app *app);

/* The /health document. */
json_t *gw_app_health(gw_app *app);

/* Handlers registered right now, and the count with no connection open. */
size_t gw_app_handlers(const gw_app *app);
size_t gw_app_handlers_baseline(const gw_app *app);

#endif
