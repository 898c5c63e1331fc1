/*
 * hs_soakcheck: the soak's history, Jepsen-style, and the checker that
 * judges it.
 *
 * The soak client records what it did and what it saw, nothing more: a
 * request invoked on a connection, every frame that came back, how each
 * connection's upgrade was answered and how it ended. It draws no
 * conclusion while running; the checker reads the whole history afterwards
 * and gives every request (every attempt, each with its own id) one
 * outcome:
 *
 *   ok        the 5 agent events, in order, once each (or one pong for a
 *             ping), on the connection that sent it
 *   failed    one error frame with a code, or the connection was closed
 *             with 1013 (try again later) before any answer
 *   unknown   the connection was cut by an injected transport fault before
 *             the answer was complete; the client re-sends under a new id
 *
 * and a violation for anything else, naming the request: an event lost,
 * duplicated or out of order, an event delivered to another user or
 * connection, an answer and an error both, a request with no outcome, a
 * degraded answer before the system_notice, an upgrade answered with
 * anything but 101 (5xx above all), a close 1011 or any close the contract
 * does not allow, an abnormal end while no transport fault was injected.
 *
 * Request ids on the wire are "r<N>", N the request's index in the
 * history: an id the history never issued is itself a violation.
 */
#ifndef HS_SOAKCHECK_H
#define HS_SOAKCHECK_H

#include <stddef.h>
#include <jansson.h>

#include "scenario/hs_profile.h"

#define HS_SOAKCHECK_OK 0
#define HS_SOAKCHECK_ERR -1

/* Connection end codes beside RFC 6455 close codes. */
#define HS_SOAKCHECK_ABNORMAL 1006  /* TCP ended without a close frame */
#define HS_SOAKCHECK_TIMEOUT -1     /* the client gave up waiting and dropped it */

typedef enum hs_soakcheck_req_kind {
    HS_SOAKCHECK_AGENT,             /* an agent request: the 5 events */
    HS_SOAKCHECK_PING               /* a ping: one pong */
} hs_soakcheck_req_kind;

typedef struct hs_soakcheck_history hs_soakcheck_history;

/* The agent events an answer has (answers.events) in the dialects a soak
 * can judge: its per-event counters are laid out for this many. */
#define HS_SOAKCHECK_NEVENTS 5

/* A history of a target speaking profile's dialect; NULL when memory runs
 * out or the profile does not list the contract's five agent events. */
hs_soakcheck_history *hs_soakcheck_new(const hs_profile *profile);
void hs_soakcheck_free(hs_soakcheck_history *h);

/*
 * A request was sent by client on connection conn (a serial number unique
 * in the run). seq is the client's logical request number, attempt counts
 * from 1 (a re-send after an unknown outcome is attempt 2, under a new id).
 * Returns the request's index, or -1 when memory runs out.
 */
long hs_soakcheck_invoke(hs_soakcheck_history *h, int client, long conn, hs_soakcheck_req_kind kind,
                    int seq, int attempt, double t_ms);

/* The wire id of request idx, "r<idx>". */
void hs_soakcheck_request_id(long idx, char *buf, size_t len);

/* A text frame arrived for client on conn (the parsed JSON, or NULL). */
int hs_soakcheck_frame(hs_soakcheck_history *h, int client, long conn, const json_t *frame,
                  double t_ms);

/* The upgrade of conn was answered with this HTTP status. */
int hs_soakcheck_upgrade(hs_soakcheck_history *h, int client, long conn, int status, double t_ms);

/*
 * conn ended: code is the server's close code (1005 for a close frame
 * without one), HS_SOAKCHECK_ABNORMAL, or HS_SOAKCHECK_TIMEOUT. by_client is 1 when
 * the client started the close handshake (then the code is the server's
 * echo).
 */
int hs_soakcheck_end(hs_soakcheck_history *h, int client, long conn, int code, int by_client,
                double t_ms);

/* A received frame the client could not read as JSON or as RFC 6455. */
int hs_soakcheck_garbage(hs_soakcheck_history *h, int client, long conn, const char *what,
                    double t_ms);

size_t hs_soakcheck_requests(const hs_soakcheck_history *h);
size_t hs_soakcheck_entries(const hs_soakcheck_history *h);

typedef struct hs_soakcheck_opts {
    int transport_faults;      /* abnormal ends are injected cuts */
    size_t max_messages;       /* violation texts kept; 0: 50 */
} hs_soakcheck_opts;

/*
 * Judge the whole history. Returns the number of violations (0 is a pass)
 * and, in *verdict, an object:
 *
 *   {"attempts": N,
 *    "outcomes": {"ok": N, "ok_degraded": N, "failed": N, "unknown": N},
 *    "failed_codes": {CODE: N, ...},         "close_1013" for 1013 closes
 *    "final": {"logical": N, "ok": N, "failed": N, "unresolved": N},
 *                                            the last attempt of each (client,
 *                                            seq); unresolved: unknown or bad
 *    "connections": {"opened": N, "cut": N, "upgrade_cut": N,
 *                    "closes": {CODE: N, ...}},
 *    "frames": N,
 *    "latency_ms": {"p50": X, "p99": X, "max": X, "count": N},
 *    "violations": N, "messages": ["r42 (client 3, request 7, attempt 1): ...", ...]}
 *
 * Latency runs from the invoke to the terminal frame of ok and failed
 * requests. Messages never hold raw peer bytes.
 */
int hs_soakcheck_run(const hs_soakcheck_history *h, const hs_soakcheck_opts *o, json_t **verdict);

#endif
