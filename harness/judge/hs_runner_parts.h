/*
 * hs_runner_parts: what the files of the step interpreter share. Private to
 * hs_runner*.c; the runner's public face is hs_runner.h.
 *
 * hs_runner.c holds the target's set-up, the steps about connections,
 * messages, HTTP, health and faults, and the end of a case (the contract,
 * the case's JSON); hs_runner_wire.c the wire: wire faults, slow and dead
 * peers' closes, memory bounds, reconnect storms and a wire case's timeline.
 */
#ifndef HS_RUNNER_PARTS_H
#define HS_RUNNER_PARTS_H

#include <limits.h>
#include <jansson.h>

#include "judge/hs_client.h"
#include "judge/hs_contract.h"
#include "judge/hs_runner.h"
#include "judge/hs_verdict.h"
#include "scenario/hs_scenario.h"
#include "target/hs_target.h"

typedef struct run_ctx {
    const hs_scenario *s;
    const hs_run_opts *o;
    hs_target target;
    int spawned;
    char host[256];
    int port;
    char url_path[1024];        /* --url's path, replacing the scenario's */
    char secret[128];
    char dir[PATH_MAX];         /* this case's scratch folder */
    char fiu_prefix[PATH_MAX + 8];
    pid_t fiu_pid;
    int has_health;
    hs_client **clients;
    size_t nclients;
    json_t *reasons;
    json_t *http_statuses;
    json_t *faults_enabled;
    json_t *http_log;           /* transcript of HTTP and fault steps */
    double deadline;            /* whole-scenario ceiling, hs_now_ms() based */
    int signalled;              /* a signal step sent this signal */
    json_t *health_at_signal;   /* /health just before it */
    int skipped;
    char skip_reason[512];
    int start_failed;           /* the target did not start */
    char fiu_counts[PATH_MAX + 16]; /* the counting library's file, or "" */
    char counts_err[600];       /* why its counts could not be read */
    json_t *unverified;         /* clauses this target cannot show, and why */
    int waited_out;             /* a step failed at its full ceiling */
    int health_silent;          /* the last health request got no answer at all */
    hs_verdict verdict;         /* conformance cases: behavior and close */
    long rss_mark;              /* memory: the target's RSS at the mark, KiB; -1 */
    long rss_peak;              /* the most seen since */
    double rss_last_ms;         /* when it was last sampled */
    json_t *rss_samples;        /* [t_ms, KiB] since the mark */
    json_t *figures;            /* measured by steps: memory, storms */
    json_t *timeline;           /* wire cases: steps and target log lines */
    long log_seen;              /* offset in the target's log the timeline has
                                   reached */
    int log_lines;              /* log lines it holds */
    int kept;                   /* the target is o->keep's (hs_runner_keep.c) */
    char keep_key[1024];        /* hs_keep_key; "" when this case has its own */
    long log_from;              /* where this case's lines begin in its log */
    const char *keep_dirty;     /* why the kept target cannot serve again */
} run_ctx;

/* A failed expectation of step st (clause 0). */
#define FAIL(x, st, ...) hs_reason((x)->reasons, 0, (st)->index, (st)->line, __VA_ARGS__)

/* ---- hs_runner.c ---- */

/* The scenario's default step ceiling, unless --step-timeout overrides it. */
int run_default_step_ms(const run_ctx *x);

/* The step's own ceiling, else the default, within what is left overall. */
int run_step_ms(const run_ctx *x, const hs_step *st);

/* The connection st names, open; NULL with a reason when it is not. */
hs_client *run_open_client(run_ctx *x, const hs_step *st);

/* What a step could not check on this target, with the case's unverified
 * clauses (clause 0: the scenario's own assertions). */
void run_step_unverified(run_ctx *x, const hs_step *st, const char *why);

/* The upgrade's path (a query token) and its auth header line, for st;
 * returns the token presented (malloc'd), or NULL for none. */
char *run_auth_request(run_ctx *x, const hs_step *st, char *path, size_t plen, char *hdr,
                       size_t hlen, char *err, size_t errlen);

/* st's extra request headers and the auth line, NULL-terminated; freed with
 * run_free_headers. */
const char **run_extra_headers(const hs_step *st, const char *auth);
void run_free_headers(const char **h);

/* A file's text from byte `from` on, or NULL. */
char *run_read_log(const char *path, long from);

/* Requests of c still unanswered owe nothing: its close was expected. */
void run_exempt_pending(hs_client *c);

/* ---- hs_runner_keep.c ---- */

/* Give x the kept target when its key matches (1); otherwise 0, with
 * x->dir the folder of a new one to keep when the case may share one, or
 * -1 with err when that folder cannot be made. */
int run_keep_take(run_ctx *x, char *err, size_t errlen);

/* The target being started is to be kept (the case has a key). */
int run_keep_launching(const run_ctx *x);

/* It has started: the keep knows its folder, secret and key. */
void run_keep_started(run_ctx *x);

/* The steps are over and clients gone: instead of a stop, a liveness check
 * and the profile's leak check; rec says the target lives on. */
void run_keep_settle(run_ctx *x, hs_record *rec);

/* After the judge: keep the target, or stop it and judge the stop here. */
void run_keep_release(run_ctx *x, const json_t *settled);

/* ---- hs_runner_wire.c ---- */

/* The target's RSS since a memory mark, sampled at most every 100 ms
 * unless force. */
void run_sample_rss(run_ctx *x, int force);

/* w keeps our pongs from the target (blackhole, stop_reading, pongs dropped). */
int run_dead_peer(const hs_wire *w);

/* Let reading connections read (pings answered, messages kept) until end,
 * or until watch, read only to see it end, closes. */
void run_pump_all(run_ctx *x, double end, hs_client *watch);

/* expect_close "keepalive" or "slow_consumer" on c. */
int run_expect_wire_close(run_ctx *x, const hs_step *st, hs_client *c);

/* The steps wire, memory and storm. */
int run_step_wire(run_ctx *x, const hs_step *st);
int run_step_memory(run_ctx *x, const hs_step *st);
int run_step_storm(run_ctx *x, const hs_step *st);

/* A case whose page shows a timeline (it has wire faults, storms, memory). */
int run_wire_case(const hs_scenario *s);

/* A step starting, on the timeline, after the log lines that came before. */
void run_timeline_step(run_ctx *x, const hs_step *st, double t0);

/* The case's timeline, sorted: steps, wire faults, target log lines. */
json_t *run_timeline_sorted(run_ctx *x);

#endif
