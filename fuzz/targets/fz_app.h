/*
 * fz_app: drives the gateway's application logic through a fake transport
 * for the in-process fuzz targets, and judges every frame it writes.
 *
 * An input is a message sequence, one text message per line. A line that is
 * a directive acts on the connections instead:
 *
 *   @open [expired|forged|none|garbage|missing]   a new connection, current
 *   @next      the next open connection becomes current
 *   @close     the current connection's transport goes away
 *   @binary    a binary message on the current connection
 *   @ready     a delayed startup finishes now
 *   @health    the /health document is built
 *
 * One connection with a valid token is open before the first line. The
 * judge is the degradation contract (README.md) at the message level:
 * every request gets the 5 agent events in order or one error frame (a
 * pong for a ping), a degraded answer follows a notice on its connection,
 * a valid token is never closed with anything but 1008 or 1013 (1011 is
 * never acceptable), a bad token is always closed, and the handler count
 * is back at its baseline once every connection has gone. A violation is
 * reported on stderr and ends the process with abort(), which is what
 * fuzzers record as a crash.
 */
#ifndef FZ_APP_H
#define FZ_APP_H

#include <stddef.h>
#include <stdint.h>

typedef enum fz_token_kind {
    FZ_TOKEN_VALID,
    FZ_TOKEN_EXPIRED,
    FZ_TOKEN_FORGED,       /* signed with another secret */
    FZ_TOKEN_NONE,         /* alg "none", no signature */
    FZ_TOKEN_GARBAGE,
    FZ_TOKEN_MISSING,      /* empty */
    FZ_TOKEN_COUNT
} fz_token_kind;

/* Once per process: jansson's hash seed, logs to /dev/null, tokens. */
void fz_app_init(void);

/* The secret every gateway built by a target verifies tokens with. */
const char *fz_app_secret(void);

/* A token of that kind, minted by fz_app_init. */
const char *fz_app_token(fz_token_kind kind);

/* Forget enabled faults and dependency states (start of every input). */
void fz_app_reset(void);

/*
 * Run one message sequence against a fresh gateway, with whatever faults
 * are enabled. Returns only when the contract held.
 */
void fz_app_run(const uint8_t *data, size_t size);

/* Report a contract violation and abort(). what is fixed text, never input. */
void fz_violation(const char *what, int conn) __attribute__((noreturn));

#endif
