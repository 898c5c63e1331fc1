/*
 * hs_storm: a reconnect storm. Many clients connect, all are dropped at
 * once with a reset (a load balancer or a network blip in the field), and
 * all reconnect, at once or spread over a window by seeded jitter. What a
 * target must answer each upgrade with: 101, or a clean refusal (503 with
 * Retry-After, or a 1013 close right after the 101); never a 500, never
 * silence. A refused client retries after the Retry-After it was given
 * (1 s without one), as a well-behaved client does, until the recovery
 * ceiling; the time until every client is connected again is the storm's
 * recovery time.
 */
#ifndef HS_STORM_H
#define HS_STORM_H

#include <jansson.h>

#include "wire/hs_wsconn.h"

/* Outcomes of one upgrade attempt. */
typedef enum hs_storm_out {
    HS_STORM_ACCEPTED,     /* 101, and no close in the first moments */
    HS_STORM_REFUSED,      /* 503 with Retry-After */
    HS_STORM_TRY_LATER,    /* 101, then a 1013 close (RFC 6455 7.4.1) */
    HS_STORM_NO_RETRY,     /* 503 without Retry-After */
    HS_STORM_5XX,          /* any other 5xx: 500 is the seeds' failure */
    HS_STORM_OTHER,        /* any other status, or another close at once */
    HS_STORM_SILENT,       /* no answer within the ceiling, or TCP dropped */
    HS_STORM_OUTS
} hs_storm_out;

typedef struct hs_storm_opts {
    hs_ws_opts ws;         /* host, port, path, headers (the token) */
    int clients;
    int spread_ms;         /* reconnects spread over this long; 0: at once */
    int recover_ms;        /* ceiling for all to be connected again */
    unsigned long seed;    /* the jitter's */
} hs_storm_opts;

typedef struct hs_storm_result {
    int first[HS_STORM_OUTS];   /* the first wave's answers */
    int again[HS_STORM_OUTS];   /* every reconnect attempt's answers */
    int attempts;               /* reconnect attempts in all */
    int recovered;              /* clients connected again by the end */
    double recover_ms;          /* from the drop until as many were connected
                                   as before it; -1 if that never came */
    double wall_ms;             /* the whole storm */
} hs_storm_result;

/* Run the storm; 0, or -1 with err filled when it could not be run at all
 * (no threads, no file descriptors). */
int hs_storm_run(const hs_storm_opts *o, hs_storm_result *r, char *err, size_t errlen);

/* The outcome names results.json uses ("accepted", "refused", ...). */
const char *hs_storm_out_name(hs_storm_out k);

/* The result as JSON: counts by outcome name, recovery, attempts. */
json_t *hs_storm_json(const hs_storm_opts *o, const hs_storm_result *r);

#endif
