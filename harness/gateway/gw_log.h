/*
 * gw_log: structured logs, one JSON object per line on stderr.
 *
 * Seed enum-log: production logging could not serialise the connection-state
 * enum and the exception killed the connection with 1011. Here a state is
 * always written as a string, and a failure to serialise one is reported in
 * the line itself; it never reaches the caller's connection.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdio.h>
#include <jansson.h>

typedef enum gw_conn_state {
    GW_STATE_CONNECTING,
    GW_STATE_ACCEPTED,
    GW_STATE_AUTHENTICATED,
    GW_STATE_READY,
    GW_STATE_DEGRADED,
    GW_STATE_CLOSING,
    GW_STATE_CLOSED
} gw_conn_state;

/* Where lines go (default stderr); tests point it at a memory stream. */
void gw_log_set_stream(FILE *f);

/* The string for a state; "unknown" for a value outside the enum. */
const char *gw_conn_state_name(gw_conn_state s);

/*
 * Emit one line: {"ts":..., "level":L, "event":E, ...fields}. Takes
 * ownership of fields (may be NULL). Never fails the caller.
 */
void gw_log(const char *level, const char *event, json_t *fields);

/*
 * Log a connection's state change. Returns 0, or -1 when the state could not
 * be serialised (fault gateway/log/state_enum); the line is written either
 * way, saying what went wrong. Callers must not act on -1 beyond counting it.
 */
int gw_log_state(unsigned long conn_id, const char *user, gw_conn_state s);

/* libwebsockets' own log lines, wrapped as JSON (lws_set_log_level emit). */
void gw_log_lws(int level, const char *line);

#endif
