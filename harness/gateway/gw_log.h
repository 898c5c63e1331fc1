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

/*
 * on: every line is dropped unwritten. The in-process fuzz targets drop
 * lines anyway: formatting them was a quarter of an input's cost. Callers
 * still build their lines' fields; gw_log_state builds none but still
 * consults its fault point (gateway/log/state_enum) and returns the same.
 */
void gw_log_set_discard(int on);

/* The string for a state; "unknown" for a value outside the enum. */
const char *gw_conn_state_name(gw_conn_state s);

/*
 * Emit one line: {"ts":..., "level":L, "event":E, ...fields}. Takes
 * ownership of fields (may be NULL); their keys must not be ts, level or
 * event. Never fails the caller.
 */
void gw_log(const char *level, const char *event, json_t *fields);

/*
 * Log a connection's state change. Returns 0, or -1 when the state could not
 * be serialised (fault gateway/log/state_enum); the line is written either
 * way, saying what went wrong. Callers must not act on -1 beyond counting it.
 */
int gw_log_state(unsigned long conn_id, const char *user, gw_conn_state s);

/*
 * Give back text from json_dumps to the allocator jansson uses, which is
 * not malloc's when a fuzz target sets its own (json_set_alloc_funcs).
 */
void gw_json_text_free(char *text);

/* libwebsockets' own log lines, wrapped as JSON (lws_set_log_level emit). */
void gw_log_lws(int level, const char *line);

#endif
