/*
 * hs_storm: a reconnect storm. See hs_storm.h.
 *
 * Clients are shared out to a few threads; each thread connects its own
 * in turn, at the time each is due, so a spread of a few seconds reaches
 * the target as the field's jittered reconnects would.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "judge/hs_storm.h"
#include "util/hs_clock.h"
#include "wire/hs_frame.h"

#define STORM_THREADS 8
#define SETTLE_READ_MS 20       /* a refusal by close comes at once or never */
#define RETRY_DEFAULT_MS 1000   /* a refused client without Retry-After */
#define RETRY_MAX_MS 10000

typedef struct client {
    hs_wsconn *ws;
    double due_ms;              /* next attempt */
    double back_ms;             /* accepted again after the drop; 0: not */
    int done;
} client;

typedef struct worker {
    pthread_t tid;
    const hs_storm_opts *o;
    client *cl;                 /* every client; this worker takes k, k+T, ... */
    int k, step;
    int first[HS_STORM_OUTS], again[HS_STORM_OUTS];
    int attempts;
    double end;                 /* the recovery ceiling */
    int wave;                   /* 0 the first, 1 the reconnects */
} worker;

static const char *const out_names[HS_STORM_OUTS] = {
    "accepted", "refused", "try_later", "refused_without_retry_after", "server_error",
    "other", "silent"
};

const char *hs_storm_out_name(hs_storm_out k)
{
    return k < HS_STORM_OUTS ? out_names[k] : "?";
}

/* Right after a 101: a close now is a refusal by close (1013) or worse. */
static hs_storm_out settle(hs_wsconn *ws)
{
    hs_frame f;
    int r = hs_ws_recv_frame(ws, SETTLE_READ_MS, &f), code = 0;

    if (r == HS_WS_OK && f.opcode == HS_OP_CLOSE)
        code = hs_ws_close_code(ws);
    hs_frame_free(&f);
    if (r == HS_WS_EOF)
        return HS_STORM_OTHER;
    if (code == 1013)
        return HS_STORM_TRY_LATER;
    return code ? HS_STORM_OTHER : HS_STORM_ACCEPTED;
}

/* The status of an answered upgrade, as an outcome. */
static hs_storm_out judge_status(const hs_ws_handshake *hs)
{
    if (hs->status == 503)
        return json_object_get(hs->headers, "retry-after") ? HS_STORM_REFUSED
                                                           : HS_STORM_NO_RETRY;
    if (hs->status >= 500)
        return HS_STORM_5XX;
    return HS_STORM_OTHER;
}

/* When a refused client tries again: the Retry-After it was given. */
static int retry_ms(const hs_ws_handshake *hs)
{
    const char *ra = json_string_value(json_object_get(hs->headers, "retry-after"));
    long s = ra ? strtol(ra, NULL, 10) : 0;

    if (s <= 0)
        return RETRY_DEFAULT_MS;
    return s * 1000 < RETRY_MAX_MS ? (int)s * 1000 : RETRY_MAX_MS;
}

/* One upgrade attempt for client c: its outcome; c->ws kept if accepted. */
static hs_storm_out attempt(worker *w, client *c, int *again_in_ms)
{
    hs_ws_handshake hs;
    char err[256];
    hs_storm_out k;

    c->ws = hs_ws_connect(&w->o->ws, &hs, err, sizeof(err));
    *again_in_ms = RETRY_DEFAULT_MS;
    if (!c->ws)
        k = HS_STORM_SILENT;
    else if (hs.status == 101)
        k = settle(c->ws);
    else {
        k = judge_status(&hs);
        *again_in_ms = retry_ms(&hs);
    }
    hs_ws_handshake_free(&hs);
    if (k != HS_STORM_ACCEPTED && c->ws) {
        hs_ws_free(c->ws);
        c->ws = NULL;
    }
    return k;
}

/* This worker's client due first, or NULL when all are done. */
static client *next_due(worker *w)
{
    client *best = NULL;

    for (int i = w->k; i < w->o->clients; i += w->step) {
        client *c = &w->cl[i];
        if (!c->done && (!best || c->due_ms < best->due_ms))
            best = c;
    }
    return best;
}

static void wait_until(double t)
{
    int left = hs_clock_left_ms(t);

    if (left > 0)
        hs_wire_sleep(left);
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    client *c;
    int again;

    while ((c = next_due(w)) != NULL && (w->wave == 0 || c->due_ms < w->end)) {
        wait_until(c->due_ms);
        hs_storm_out k = attempt(w, c, &again);
        (w->wave ? w->again : w->first)[k]++;
        w->attempts += w->wave;
        if (k == HS_STORM_ACCEPTED || w->wave == 0) {
            c->done = 1;
            if (w->wave && k == HS_STORM_ACCEPTED)
                c->back_ms = hs_now_ms();
        } else
            c->due_ms = hs_now_ms() + again;
    }
    return NULL;
}

/* Run every worker over the clients, as wave 0 or 1; 0, or -1. */
static int run_wave(worker *ws, int n, int wave)
{
    int started = 0, rc = 0;

    for (int t = 0; t < n; t++) {
        ws[t].wave = wave;
        if (pthread_create(&ws[t].tid, NULL, run_worker, &ws[t]) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++)
        pthread_join(ws[t].tid, NULL);
    return rc;
}

/* Drop every connected client at once with a reset; schedule reconnects. */
static void drop_all(const hs_storm_opts *o, client *cl, double t0)
{
    uint64_t rng = o->seed * 0x9E3779B97F4A7C15ull + 1;

    for (int i = 0; i < o->clients; i++) {
        if (cl[i].ws)
            hs_ws_reset(cl[i].ws);
        hs_ws_free(cl[i].ws);
        cl[i].ws = NULL;
        cl[i].done = 0;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;   /* xorshift64 */
        cl[i].due_ms = t0 + (o->spread_ms ? (double)(rng % (uint64_t)o->spread_ms) : 0);
    }
}

/* Enough file descriptors for every client, as far as the hard limit goes. */
static int raise_fd_limit(int clients, char *err, size_t errlen)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < (rlim_t)clients + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)clients + 64) {
        snprintf(err, errlen, "%d clients need more file descriptors than the limit "
                 "(%lu)", clients, (unsigned long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static int by_time(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Recovery: the drop until as many clients were connected as before it,
 * -1 when that never came. */
static double recovery(const client *cl, int n, int before, double t0)
{
    double *back = calloc((size_t)n + 1, sizeof(*back)), ms = -1;
    int k = 0;

    for (int i = 0; back && i < n; i++)
        if (cl[i].back_ms > 0)
            back[k++] = cl[i].back_ms;
    if (back && k >= before) {
        qsort(back, (size_t)k, sizeof(*back), by_time);
        ms = before ? back[before - 1] - t0 : 0;
    }
    free(back);
    return ms;
}

static void sum(const worker *ws, int n, hs_storm_result *r)
{
    for (int t = 0; t < n; t++) {
        for (int k = 0; k < HS_STORM_OUTS; k++) {
            r->first[k] += ws[t].first[k];
            r->again[k] += ws[t].again[k];
        }
        r->attempts += ws[t].attempts;
    }
    r->recovered = r->again[HS_STORM_ACCEPTED];
}

static void free_clients(client *cl, int n)
{
    for (int i = 0; i < n; i++)
        hs_ws_free(cl[i].ws);
    free(cl);
}

int hs_storm_run(const hs_storm_opts *o, hs_storm_result *r, char *err, size_t errlen)
{
    int nt = o->clients < STORM_THREADS ? o->clients : STORM_THREADS, rc;
    client *cl = calloc((size_t)o->clients, sizeof(*cl));
    worker ws[STORM_THREADS];
    double start = hs_now_ms(), t0;

    memset(r, 0, sizeof(*r));
    if (!cl || raise_fd_limit(o->clients, err, errlen) != 0) {
        if (!cl)
            snprintf(err, errlen, "out of memory");
        free(cl);
        return -1;
    }
    memset(ws, 0, sizeof(ws));
    for (int t = 0; t < nt; t++)
        ws[t] = (worker){ .o = o, .cl = cl, .k = t, .step = nt };
    rc = run_wave(ws, nt, 0);
    t0 = hs_now_ms();
    drop_all(o, cl, t0);
    for (int t = 0; t < nt; t++)
        ws[t].end = t0 + o->recover_ms;
    if (rc == 0)
        rc = run_wave(ws, nt, 1);
    sum(ws, nt, r);
    r->recover_ms = recovery(cl, o->clients, r->first[HS_STORM_ACCEPTED], t0);
    r->wall_ms = hs_now_ms() - start;
    free_clients(cl, o->clients);
    if (rc != 0)
        snprintf(err, errlen, "could not start the storm's threads");
    return rc;
}

static json_t *counts(const int *n)
{
    json_t *j = json_object();

    for (int k = 0; k < HS_STORM_OUTS; k++)
        if (n[k])
            json_object_set_new(j, out_names[k], json_integer(n[k]));
    return j;
}

json_t *hs_storm_json(const hs_storm_opts *o, const hs_storm_result *r)
{
    json_t *j = json_object();

    json_object_set_new(j, "clients", json_integer(o->clients));
    json_object_set_new(j, "spread_ms", json_integer(o->spread_ms));
    json_object_set_new(j, "first_wave", counts(r->first));
    json_object_set_new(j, "reconnects", counts(r->again));
    json_object_set_new(j, "attempts", json_integer(r->attempts));
    json_object_set_new(j, "recovered", json_integer(r->recovered));
    json_object_set_new(j, "recover_ms", r->recover_ms >= 0
                        ? json_real(r->recover_ms) : json_null());
    json_object_set_new(j, "wall_ms", json_real(r->wall_ms));
    return j;
}
