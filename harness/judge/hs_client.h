/*
 * hs_client: one named connection of a scenario, as the judge sees it.
 *
 * Wraps an hs_wsconn with what the checks need: every received message in
 * an inbox (JSON parsed when it is JSON), the requests sent and what came
 * back for each, how the connection ended, and the wire transcript.
 */
#ifndef HS_CLIENT_H
#define HS_CLIENT_H

#include <stddef.h>
#include <jansson.h>

#include "scenario/hs_profile.h"
#include "wire/hs_wsconn.h"

#define HS_CLIENT_OK 0
#define HS_CLIENT_ERR -1
#define HS_CLIENT_TIMEOUT 1
#define HS_CLIENT_GONE 2       /* the connection ended */

/* One received message. */
typedef struct hs_inmsg {
    int opcode;
    json_t *json;              /* parsed text frame, or NULL */
    int consumed;              /* matched by an expect step */
    double t_ms;
} hs_inmsg;

/* A request we sent (a JSON message with an "id"), and its answer. */
typedef struct hs_request {
    char *id;                  /* the id as compact JSON text */
    json_t *events;            /* the answers' labels (hs_dialect), in order */
    int terminal;              /* the last event, an error or a pong arrived */
    int exempt;                /* the connection's close was expected */
    double sent_ms;
} hs_request;

typedef struct hs_client {
    char *name;
    const hs_profile *profile; /* the target's dialect */
    int app;                   /* speaks the gateway protocol (the profile's
                                  application path) */
    int step;                  /* the connect step that opened it */
    char *token;               /* the token it presented, or NULL (token_of) */
    int line;
    hs_wsconn *ws;
    hs_ws_handshake hs;
    json_t *transcript;
    hs_inmsg *inbox;
    size_t ninbox, capinbox;
    hs_request *reqs;
    size_t nreqs, capreqs;
    int close_code;            /* 0 open; the server's code; 1006 abnormal */
    int closed_by_us;          /* we started the close handshake */
    int close_expected;        /* an expect_close step covered it */
    int abnormal_ok;           /* expect_close abnormal */
    int dead_peer;             /* a wire fault keeps our pongs from the target
                                  (blackhole, stop_reading, pongs dropped) */
    int keepalive_close;       /* the target ended it as the profile says it
                                  ends a dead peer (expect_close "keepalive") */
    int notices;               /* degraded notices received */
    int degraded_before_notice;/* a degraded frame came before any notice */
} hs_client;

/* A connection named name, reading answers in profile's dialect. */
hs_client *hs_client_new(const char *name, const hs_profile *profile);
void hs_client_free(hs_client *c);

/* Record a sent JSON message: an id where the profile's requests carry one
 * (hs_dialect_sent_id) makes it a request to be answered. */
void hs_client_sent(hs_client *c, const json_t *msg);

/*
 * Read one message (ceiling timeout_ms) into the inbox. Returns OK,
 * TIMEOUT, or GONE once the connection has ended (close_code set).
 */
int hs_client_pump(hs_client *c, int timeout_ms);

/* The same, dropping the message: a slow consumer's backlog, read only to
 * reach how the connection ends. */
int hs_client_skip(hs_client *c, int timeout_ms);

/* Index of the first unconsumed JSON message matching m, or -1. */
long hs_client_find(hs_client *c, const json_t *matcher);

/* Requests without a terminal answer that are not exempt. */
size_t hs_client_pending(const hs_client *c);

/* The request with this id (compact JSON text of the id), or NULL. */
hs_request *hs_client_request(hs_client *c, const char *id_text);

#endif
