/*
 * gw_server: the libwebsockets glue around gw_app.
 *
 * One protocol serves everything on one port: GET /health, the application
 * endpoint /ws and, with --echo, the RFC 6455 echo endpoint /echo.
 */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <stddef.h>

#define GW_SERVER_OK 0
#define GW_SERVER_ERR -1

typedef struct gw_server_config {
    const char *host;           /* address to bind; NULL: 127.0.0.1 */
    int port;                   /* 0: any free port */
    const char *port_file;      /* written once listening, or NULL */
    const char *jwt_secret;
    int echo;                   /* serve /echo */
    size_t max_message;         /* larger messages: close 1009 */
    int startup_delay_ms;
    int ready_queue;
    int handshake_timeout_s;    /* a connection that has not completed its
                                   HTTP request by then is dropped (lws'
                                   timeout_secs_ah_idle); 0: lws' 10 s */
    size_t max_queue;           /* bytes a connection's outgoing queue may
                                   hold; past it: a slow consumer, closed 1008 */
    int ping_interval_s;        /* ping a peer silent this long; 0: never */
    int ping_timeout_s;         /* then end it if still silent this long */
    int max_connections;        /* WebSocket connections (/ws and /echo);
                                   an upgrade past them gets 503 */
} gw_server_config;

/*
 * Listen, run until SIGTERM or SIGINT, then close every client with 1001
 * and return GW_SERVER_OK. err says why it could not start.
 */
int gw_server_run(const gw_server_config *cfg, char *err, size_t errlen);

#endif
