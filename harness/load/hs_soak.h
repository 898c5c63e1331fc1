/*
 * hs_soak: many authenticated clients against one gateway, for a long
 * time, under random faults; every request recorded and judged afterwards
 * by hs_soakcheck.
 *
 * One process, one event loop (epoll), every connection non-blocking. Each
 * client is one user with its own token; it opens a connection, keeps up to
 * `window` requests in flight, and closes when its share of the round is
 * answered. A round ends when every client has closed; then the gateway's
 * /health must show its connection and handler counts back at baseline,
 * and its memory (VmData and VmRSS) is sampled. Rounds repeat the same
 * load, so memory that still grows after the first half of the rounds is a
 * leak, not a warm-up (see check_memory in hs_soak.c for the rule).
 *
 * Faults: every catalogued application fault point except the one-time
 * startup delay is enabled with probability app_p (--fault NAME:p=P), and
 * with net_p > 0 libfiu's POSIX preload makes the gateway's send() fail
 * with ECONNRESET with that probability. A request whose connection is cut
 * is re-sent on a new connection under a new id (a new attempt).
 *
 * Seeds: the gateway's fault dice (--seed) and libfiu's (FIU_PRNG_SEED)
 * and the clients' choices all derive from one seed. Which hit of a point
 * fails is fixed by the seed; which request that hit belongs to depends on
 * how the kernel interleaves a thousand sockets, so two runs with one seed
 * draw the same dice but not byte-identical histories.
 */
#ifndef HS_SOAK_H
#define HS_SOAK_H

#include <stddef.h>
#include <jansson.h>

#include "scenario/hs_profile.h"

/* Requests in flight per connection, at most. */
#define HS_SOAK_MAX_WINDOW 16

typedef struct hs_soak_opts {
    const char *gateway;        /* reference gateway binary */
    const hs_profile *profile;  /* its dialect (health, fault counters) */
    const char *preload_first;  /* before libfiu's preload (a sanitizer runtime) */
    int clients;                /* concurrent users */
    int requests;               /* per client, over the whole run */
    int rounds;                 /* the requests are spread over this many rounds */
    int window;                 /* requests in flight per connection, 1..16 */
    int ping;                   /* ping/pong round trips instead of agent requests */
    double app_p;               /* each application fault point's probability; 0: off */
    const char *const *faults;  /* NULL-terminated --fault specs replacing the
                                   app_p set, or NULL */
    double net_p;               /* send() ECONNRESET probability; 0: off */
    unsigned long seed;
    int timeout_ms;             /* ceiling for an answer, an upgrade, a close */
    int max_attempts;           /* attempts per request (cuts re-send) */
    const char *log_path;       /* the gateway's stderr; NULL: a scratch file */
    const char *out;            /* figures as JSON, or NULL */
    int no_memory_check;        /* report memory, do not judge it (sanitizers) */
    int quiet;                  /* no line per round */
} hs_soak_opts;

/* 1000 clients x 100 requests in 10 rounds, window 4, app 5 %, net 1 %. */
void hs_soak_defaults(hs_soak_opts *o);

/*
 * Start the gateway, run the rounds, stop it, check the history and the
 * gateway's end. Returns the number of violations (0: a pass) with the
 * figures in *figures, or -1 when the run could not happen (err says why).
 */
int hs_soak_run(const hs_soak_opts *o, json_t **figures, char *err, size_t errlen);

/* Print the figures of a run for people (every string already safe). */
void hs_soak_print(const json_t *figures, size_t max_messages);

#endif
