/*
 * hs_runner: target set-up, the step interpreter, the final checks.
 * See hs_runner.h; the wire's steps are in hs_runner_wire.c
 * (hs_runner_parts.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "judge/hs_client.h"
#include "judge/hs_contract.h"
#include "judge/hs_dialect.h"
#include "target/hs_faultctl.h"
#include "util/hs_fsutil.h"
#include "wire/hs_http.h"
#include "scenario/hs_match.h"
#include "judge/hs_runner.h"
#include "judge/hs_runner_parts.h"
#include "target/hs_fiucount.h"
#include "target/hs_launch.h"
#include "target/hs_target.h"
#include "wire/hs_token.h"
#include "wire/hs_transcript.h"
#include "judge/hs_verdict.h"
#include "util/hs_clock.h"
#include "util/hs_escape.h"
#include "util/hs_argv.h"
#include "wire/hs_url.h"

#define SETTLE_MS 3000          /* ceiling for counts to return to baseline */
#define STOP_MS 3000            /* ceiling for a clean SIGTERM exit */

static int remaining(const run_ctx *x, int step_ms)
{
    double left = x->deadline - hs_now_ms();
    int ms = (int)left;

    return ms < step_ms ? (ms > 0 ? ms : 0) : step_ms;
}

/* The scenario's default step ceiling, unless --step-timeout overrides it. */
int run_default_step_ms(const run_ctx *x)
{
    return x->o->step_timeout_ms > 0 ? x->o->step_timeout_ms : x->s->step_timeout_ms;
}

/* The step's own ceiling, else the default, within what is left overall. */
int run_step_ms(const run_ctx *x, const hs_step *st)
{
    return remaining(x, st->timeout_ms > 0 ? st->timeout_ms : run_default_step_ms(x));
}

static void skip(run_ctx *x, const char *why)
{
    x->skipped = 1;
    snprintf(x->skip_reason, sizeof(x->skip_reason), "%s", why);
}

/* ---- HTTP and /health ------------------------------------------------ */

/* 0, or hs_http_request's code (HS_HTTP_ETIMEOUT: nothing came back). */
static int http_get(run_ctx *x, const char *path, int timeout_ms, hs_http_resp *r)
{
    char err[256];
    int rc;

    memset(r, 0, sizeof(*r));
    rc = hs_http_request(x->host, x->port, "GET", path, NULL, NULL, timeout_ms, r, err,
                         sizeof(err));
    if (rc != 0)
        hs_transcript_note(x->http_log, "GET %s failed: %s", path, err);
    return rc;
}

/* /health as JSON, or NULL. */
static json_t *health(run_ctx *x, int timeout_ms)
{
    hs_http_resp r;
    json_t *j = NULL;
    int rc;

    if (!x->has_health)
        return NULL;
    rc = http_get(x, hs_dialect_health_path(x->o->profile), timeout_ms, &r);
    x->health_silent = rc == HS_HTTP_ETIMEOUT;
    if (rc != 0)
        return NULL;
    if (r.status == 200 && json_is_object(r.json))
        j = json_incref(r.json);
    hs_http_resp_free(&r);
    return j;
}

/*
 * Poll /health until pred holds, with a doubling pause: the gateway has no
 * event to wait on for these, and the first poll usually succeeds.
 */
static json_t *health_until(run_ctx *x, int (*pred)(const json_t *, const void *),
                            const void *arg, int timeout_ms)
{
    double end = hs_now_ms() + timeout_ms;
    int pause_us = 1000;
    json_t *h = NULL;

    for (;;) {
        json_decref(h);
        h = health(x, remaining(x, timeout_ms));
        if ((h && pred(h, arg)) || hs_now_ms() >= end || !x->has_health ||
            (x->spawned && !hs_target_alive(&x->target)))
            return h;
        usleep((useconds_t)pause_us);
        pause_us = pause_us < 32000 ? pause_us * 2 : pause_us;
    }
}

/* arg: the profile. */
static int is_ready(const json_t *h, const void *arg)
{
    return hs_dialect_ready(arg, h);
}

static int counts_settled(const json_t *h, const void *arg)
{
    return hs_dialect_settled(arg, h);
}

/* ---- the target ------------------------------------------------------ */

static const char *fault_mode_arg(const hs_fault *f, char *buf, size_t len)
{
    switch (f->mode) {
    case HS_FAULT_ONCE: snprintf(buf, len, "%s:once", f->name); break;
    case HS_FAULT_PROBABILITY: snprintf(buf, len, "%s:p=%g", f->name, f->probability); break;
    case HS_FAULT_AFTER: snprintf(buf, len, "%s:after=%ld", f->name, f->n); break;
    case HS_FAULT_NTH: snprintf(buf, len, "%s:nth=%ld", f->name, f->n); break;
    default: snprintf(buf, len, "%s", f->name); break;
    }
    return buf;
}

/* The reference gateway's flag for each setting (hs_setting order). */
static const char *const reference_flags[HS_SETTINGS] = {
    "--startup-delay-ms", "--ready-queue", "--max-message", "--handshake-timeout",
    "--ping-interval", "--ping-timeout", "--max-queue", "--max-connections"
};

/* The scenario's settings as flags: each set one whose flag is known. */
static void add_settings(const hs_target_opts *t, const char *const *flags, char ***argv,
                         size_t *n)
{
    char buf[32];

    for (size_t k = 0; k < HS_SETTINGS; k++) {
        if (t->settings[k] < 0 || !flags[k])
            continue;
        snprintf(buf, sizeof(buf), "%ld", t->settings[k]);
        hs_argv_add(argv, n, flags[k]);
        hs_argv_add(argv, n, buf);
    }
}

/* The reference gateway's flags for this case, beyond what hs_launch adds. */
static char **gateway_args(run_ctx *x)
{
    const hs_target_opts *t = &x->s->target;
    char **argv = NULL, buf[256];
    size_t n = 0;

    if (t->echo)
        hs_argv_add(&argv, &n, "--echo");
    add_settings(t, reference_flags, &argv, &n);
    for (size_t i = 0; i < x->s->nfaults; i++) {
        hs_argv_add(&argv, &n, "--fault");
        hs_argv_add(&argv, &n, fault_mode_arg(&x->s->faults[i], buf, sizeof(buf)));
    }
    for (size_t i = 0; i < x->o->nextra; i++) {
        hs_argv_add(&argv, &n, "--fault");
        hs_argv_add(&argv, &n, fault_mode_arg(&x->o->extra_faults[i], buf, sizeof(buf)));
    }
    for (size_t i = 0; t->args && t->args[i]; i++)
        hs_argv_add(&argv, &n, t->args[i]);
    return argv;
}

/* libfiu's remote control has always, once and probability; not after/nth. */
static int remote_mode(const hs_fault *f)
{
    return f->mode == HS_FAULT_ALWAYS || f->mode == HS_FAULT_ONCE ||
           f->mode == HS_FAULT_PROBABILITY;
}

/* Enable or disable f in the target through its libfiu control FIFOs. */
static int remote_fault(run_ctx *x, const hs_fault *f, int enable, int timeout_ms,
                        char *err, size_t errlen)
{
    hs_faultctl_fault ff = { f->name, HS_FAULTCTL_ALWAYS, f->probability, 0 };

    if (!enable)
        return hs_faultctl_disable(x->fiu_prefix, x->fiu_pid, f->name, timeout_ms, err, errlen);
    if (!remote_mode(f)) {
        hs_errf(err, errlen, "mode after/nth cannot be set at run time; use \"faults\"");
        return -1;
    }
    if (f->mode == HS_FAULT_ONCE)
        ff.mode = HS_FAULTCTL_ONCE;
    else if (f->mode == HS_FAULT_PROBABILITY)
        ff.mode = HS_FAULTCTL_PROBABILITY;
    return hs_faultctl_enable(x->fiu_prefix, x->fiu_pid, &ff, timeout_ms, err, errlen);
}

/* Every start fault has a mode libfiu itself has (always, once, random). */
static int start_modes_ok(const run_ctx *x)
{
    for (size_t i = 0; i < x->s->nfaults; i++)
        if (!remote_mode(&x->s->faults[i]))
            return 0;
    return 1;
}

/*
 * A --target-cmd target gets its start faults through libfiu's remote
 * control, right after it listens ({fiu_ctrl} tells where). Without it, or
 * for modes the remote control lacks, the case cannot be run honestly.
 */
static int remote_start_faults(run_ctx *x, char *err, size_t errlen)
{
    if (!x->s->nfaults)
        return 0;
    if (!strstr(x->o->target_cmd, "{fiu_ctrl}")) {
        skip(x, "faults at start need {fiu_ctrl} in --target-cmd (a target that calls "
                "libfiu's fiu_rc_fifo with that prefix)");
        return 0;
    }
    if (!start_modes_ok(x)) {
        skip(x, "faults with mode after/nth need the reference gateway "
                "(libfiu's remote control has no such mode)");
        return 0;
    }
    for (size_t i = 0; i < x->s->nfaults; i++)
        if (remote_fault(x, &x->s->faults[i], 1, 5000, err, errlen) != 0)
            return -1;
    return 0;
}

/* Faults at start through libfiu's run preload: the profile says so. */
static int preload_start(const run_ctx *x)
{
    return x->o->target_cmd && x->o->profile->start_faults == HS_START_PRELOAD;
}

/* The start faults as libfiu commands for its run preload (FIU_ENABLE). */
static char *start_enable(const run_ctx *x)
{
    hs_buf b = HS_BUF_INIT;

    for (size_t i = 0; i < x->s->nfaults; i++) {
        const hs_fault *f = &x->s->faults[i];

        if (f->mode == HS_FAULT_PROBABILITY)
            hs_buf_printf(&b, "%senable_random name=%s,probability=%g,failnum=1,failinfo=0",
                          i ? "\n" : "", f->name, f->probability);
        else
            hs_buf_printf(&b, "%senable name=%s,failnum=1,failinfo=0%s", i ? "\n" : "",
                          f->name, f->mode == HS_FAULT_ONCE ? ",onetime" : "");
    }
    return b.p;
}

/* The scenario's settings as the target's own flags (settings_mapped). */
static char **setting_args(const run_ctx *x)
{
    char **argv = NULL;
    size_t n = 0;

    add_settings(&x->s->target, (const char *const *)x->o->profile->setting_flags, &argv,
                 &n);
    return argv;
}

/* The scenario's POSIX faults as hs_launch takes them; NULL when none. */
static hs_launch_posix *launch_posix(const hs_scenario *s)
{
    hs_launch_posix *p = s->nposix ? calloc(s->nposix, sizeof(*p)) : NULL;

    for (size_t i = 0; p && i < s->nposix; i++)
        p[i] = (hs_launch_posix){ s->posix_faults[i].name, s->posix_faults[i].probability,
                                  s->posix_faults[i].err };
    return p;
}

/* The profile counts fault hits with the harness's preload: where. */
static const char *counts_file(run_ctx *x)
{
    if (x->o->profile->hits != HS_HITS_PRELOAD)
        return NULL;
    snprintf(x->fiu_counts, sizeof(x->fiu_counts), "%s/fiu-counts", x->dir);
    return x->fiu_counts;
}

static int start_target(run_ctx *x, char *err, size_t errlen)
{
    char stderr_path[PATH_MAX + 64];
    char **args = x->o->target_cmd ? NULL : gateway_args(x);
    char **cmd_args = x->o->target_cmd ? setting_args(x) : NULL;
    char *fiu_enable = preload_start(x) ? start_enable(x) : NULL;
    hs_launch l = { .gateway = x->o->gateway, .cmd = x->o->target_cmd, .gateway_args = args,
                    .dir = x->dir, .stderr_path = stderr_path, .secret = x->secret,
                    .secret_env = x->o->profile->token.secret_env,
                    .seed = x->o->seed, .fiu_ctrl = x->fiu_prefix,
                    .posix = launch_posix(x->s), .nposix = x->s->nposix,
                    .preload_first = x->o->preload_first,
                    .fiu_counts = counts_file(x), .fiu_enable = fiu_enable,
                    .cmd_args = cmd_args,
                    .ready_timeout_ms = remaining(x, 10000) };
    int rc;

    /* A kept target's log is sliced per case (write_case_log). */
    if (x->o->logdir && !run_keep_launching(x))
        snprintf(stderr_path, sizeof(stderr_path), "%s/%s.log", x->o->logdir, x->s->id);
    else
        snprintf(stderr_path, sizeof(stderr_path), "%s/stderr.log", x->dir);
    rc = hs_launch_start(&l, &x->target, err, errlen);
    hs_argv_free(args);
    hs_argv_free(cmd_args);
    free(fiu_enable);
    free((void *)l.posix);
    if (rc != 0)
        return -1;
    x->spawned = 1;
    x->port = x->target.port;
    x->fiu_pid = x->target.pid;
    if (run_keep_launching(x))
        run_keep_started(x);
    return 0;
}

static int setup_target(run_ctx *x, char *err, size_t errlen)
{
    if (x->o->url) {
        if (hs_url_parse_ws(x->o->url, x->host, sizeof(x->host), &x->port,
                            x->url_path, sizeof(x->url_path)) != 0) {
            snprintf(err, errlen, "--url %s: expected ws://HOST:PORT/PATH", x->o->url);
            return -1;
        }
        snprintf(x->secret, sizeof(x->secret), "%s", x->o->jwt_secret ? x->o->jwt_secret : "");
        if (x->o->fiu_ctrl) {
            snprintf(x->fiu_prefix, sizeof(x->fiu_prefix), "%s", x->o->fiu_ctrl);
            x->fiu_pid = x->o->pid;
        }
        return 0;
    }
    snprintf(x->host, sizeof(x->host), "127.0.0.1");
    switch (x->o->keep ? run_keep_take(x, err, errlen) : 0) {
    case 1: return 0;
    case -1: return -1;
    }
    /* A scenario's fixed secret (literal tokens) replaces the fresh one;
     * the target gets it the same way, in its secret's variable. */
    if (x->s->target.jwt_secret)
        snprintf(x->secret, sizeof(x->secret), "%s", x->s->target.jwt_secret);
    else
        hs_token_secret(x->secret);
    snprintf(x->fiu_prefix, sizeof(x->fiu_prefix), "%s/fiu", x->dir);
    if (start_target(x, err, errlen) != 0)
        return -1;
    return x->o->target_cmd && !preload_start(x) ? remote_start_faults(x, err, errlen) : 0;
}

/* ---- faults at run time ------------------------------------------------ */

static void note_fault(run_ctx *x, const char *name, int expect_fire, int step)
{
    json_t *f;
    size_t i;

    json_array_foreach(x->faults_enabled, i, f)
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0) {
            if (expect_fire)
                json_object_set_new(f, "expect_fire", json_true());
            return;
        }
    json_array_append_new(x->faults_enabled, json_pack("{s:s,s:b,s:i}", "name", name,
                                                       "expect_fire", expect_fire, "step", step));
}

/* ---- steps ------------------------------------------------------------- */

static hs_client *find_client(run_ctx *x, const char *name)
{
    for (size_t i = x->nclients; i-- > 0;)
        if (strcmp(x->clients[i]->name, name) == 0)
            return x->clients[i];
    return NULL;
}

hs_client *run_open_client(run_ctx *x, const hs_step *st)
{
    hs_client *c = find_client(x, st->conn);

    if (!c || !c->ws) {
        FAIL(x, st, "%s step on \"%s\", which is not connected",
             hs_step_kind_name(st->kind), st->conn);
        return NULL;
    }
    return c;
}

static int wellformed_upgrade(const hs_step *st)
{
    return !st->ws_key && !st->ws_version && !st->omit_upgrade && !st->omit_connection &&
           !st->subprotocol && !st->omit_host && !st->method && !st->http_version;
}

/* A conformance case whose outcomes let a refusal pass (an origin or
 * header-size policy) waives contract 1's check of 4xx answers. */
static int refusal_allowed(const hs_step *st)
{
    return st->outcomes[HS_OUT_REFUSED] >= 0 && st->outcomes[HS_OUT_REFUSED] != HS_TIER_FAILED;
}

/* Where the step puts its token: where the profile says, unless the step
 * names another place ("header" or "query", a target's second way). */
static hs_token_in token_place(const run_ctx *x, const hs_step *st)
{
    if (!st->token_in)
        return x->o->profile->token.in;
    return strcmp(st->token_in, "query") == 0 ? HS_TOKEN_QUERY : HS_TOKEN_HEADER;
}

/* The profile's parameter or header name and prefix for place, or the
 * common ones ("token", "Authorization: Bearer") for a step's other place. */
static void token_words(const hs_profile *p, hs_token_in place, const char **name,
                        const char **prefix)
{
    int own = p->token.in == place;

    *name = own ? p->token.name : place == HS_TOKEN_QUERY ? "token" : "Authorization";
    *prefix = own ? p->token.prefix : place == HS_TOKEN_QUERY ? "" : "Bearer ";
}

/* The path and the header that carry the step's token, as the dialect
 * wants; a token sent in the first message is left to step_connect. */
/* The token st presents: literal, the one an earlier connection presented
 * (token_of), or minted; NULL for none (err set when that is a mistake). */
static char *step_token(run_ctx *x, const hs_step *st, char *err, size_t errlen)
{
    const hs_client *c;

    if (st->token_raw)
        return strdup(st->token_raw);
    if (!st->token_of)
        return hs_token_make(st->token, st->user ? st->user : st->conn, x->secret, err,
                             errlen);
    c = find_client(x, st->token_of);
    if (c && c->token)
        return strdup(c->token);
    snprintf(err, errlen, "token_of: connection \"%s\" presented no token", st->token_of);
    return NULL;
}

char *run_auth_request(run_ctx *x, const hs_step *st, char *path, size_t plen,
                       char *hdr, size_t hlen, char *err, size_t errlen)
{
    const char *base = x->url_path[0] && strcmp(x->url_path, "/") ? x->url_path
                     : st->path ? st->path : x->o->profile->app_path;
    char *tok = step_token(x, st, err, errlen);
    hs_token_in place = token_place(x, st);
    const char *name, *prefix;

    token_words(x->o->profile, place, &name, &prefix);
    hdr[0] = '\0';
    if (tok && place == HS_TOKEN_QUERY)
        snprintf(path, plen, "%s%s%s=%s%s", base, strchr(base, '?') ? "&" : "?", name,
                 prefix, tok);
    else
        snprintf(path, plen, "%s", base);
    if (tok && place == HS_TOKEN_HEADER)
        snprintf(hdr, hlen, "%s: %s%s", name, prefix, tok);
    else if (tok && place == HS_TOKEN_SUBPROTOCOL)
        snprintf(hdr, hlen, "Sec-WebSocket-Protocol: %s%s", prefix, tok);
    return tok;
}

const char **run_extra_headers(const hs_step *st, const char *auth)
{
    size_t n = json_object_size(st->headers) + 2, i = 0;
    const char **h = calloc(n, sizeof(char *));
    const char *k;
    json_t *v;

    if (auth[0])
        h[i++] = strdup(auth);
    json_object_foreach(st->headers, k, v) {
        char *line = NULL;
        if (asprintf(&line, "%s: %s", k, json_string_value(v)) > 0)
            h[i++] = line;
    }
    return h;
}

void run_free_headers(const char **h)
{
    for (size_t i = 0; h && h[i]; i++)
        free((char *)h[i]);
    free(h);
}

static void add_client(run_ctx *x, hs_client *c)
{
    x->clients = realloc(x->clients, (x->nclients + 1) * sizeof(*x->clients));
    x->clients[x->nclients++] = c;
}

/* Clause 1: a well-formed upgrade refused with a 4xx (a 5xx is judged at
 * the end, with every other status the run saw). */
static void refused_upgrade(run_ctx *x, const hs_step *st, const hs_client *c)
{
    hs_contract_breach(x->reasons, 1, st->index, st->line, "well-formed upgrade on %s "
                       "answered HTTP %d instead of 101", c->name, c->hs.status);
}

static void judge_status(run_ctx *x, const hs_step *st, hs_client *c)
{
    int want = st->expect_status ? st->expect_status : 101;

    if (c->hs.status == want) {
        if (want == 101 && !c->hs.accept_ok)
            FAIL(x, st, "%s: Sec-WebSocket-Accept is wrong (RFC 6455 4.2.2)", c->name);
        return;
    }
    if (want == 101 && wellformed_upgrade(st) && c->hs.status < 500)
        refused_upgrade(x, st, c);
    else if (c->hs.status < 500)
        FAIL(x, st, "%s: upgrade answered HTTP %d, expected %d", c->name, c->hs.status, want);
}

/*
 * A conformance case judges the answer with verdicts; contract 1 still
 * holds for a well-formed upgrade (5xx is judged at the end).
 */
static int connect_verdict(run_ctx *x, const hs_step *st, hs_client *c, const char *err)
{
    int rc;

    if (c->ws && c->hs.status != 101 && wellformed_upgrade(st) && !refusal_allowed(st) &&
        c->hs.status < 500)
        refused_upgrade(x, st, c);
    rc = hs_verdict_connect(&x->verdict, c, st, err, x->reasons);
    if (c->ws && c->hs.status != 101) {
        hs_ws_free(c->ws);
        c->ws = NULL;
    }
    return rc;
}

/* What the opening handshake sends, as the step spells it out. */
static void connect_opts(run_ctx *x, const hs_step *st, hs_client *c, const char *path,
                         const char **headers, hs_ws_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = x->host;
    o->port = x->port;
    o->path = path;
    o->key = st->ws_key;
    o->version = st->ws_version;
    o->omit_upgrade = st->omit_upgrade;
    o->omit_connection = st->omit_connection;
    o->omit_host = st->omit_host;
    o->method = st->method;
    o->http_version = st->http_version;
    o->absolute_uri = st->absolute_uri;
    o->chop = st->chop;
    o->protocol = st->subprotocol;
    o->extensions = st->extensions;
    o->extra_headers = headers;
    o->timeout_ms = run_step_ms(x, st);
    o->transcript = c->transcript;
    o->wire = st->has_wire ? &st->wire : NULL;
    o->seed = x->o->seed;
    o->name = st->conn;
    c->dead_peer = st->has_wire && run_dead_peer(&st->wire);
}

static int step_connect(run_ctx *x, const hs_step *st)
{
    char path[32768], auth[20000], err[512];
    const char **headers;
    hs_client *c = hs_client_new(st->conn, x->o->profile);
    hs_ws_opts o;

    err[0] = '\0';
    c->token = run_auth_request(x, st, path, sizeof(path), auth, sizeof(auth), err,
                                sizeof(err));
    if (err[0]) {
        FAIL(x, st, "%s", err);
        hs_client_free(c);
        return -1;
    }
    headers = run_extra_headers(st, auth);
    connect_opts(x, st, c, path, headers, &o);
    c->step = st->index;
    c->line = st->line;
    c->app = st->handshake && strncmp(path, x->o->profile->app_path,
                                      strlen(x->o->profile->app_path)) == 0;
    c->ws = st->handshake ? hs_ws_connect(&o, &c->hs, err, sizeof(err))
                          : hs_ws_open_tcp(&o, err, sizeof(err));
    run_free_headers(headers);
    add_client(x, c);
    if (x->verdict.on && st->handshake)
        return connect_verdict(x, st, c, err);
    if (!c->ws) {
        FAIL(x, st, "%s: could not connect: %s", c->name, err);
        return -1;
    }
    if (!st->handshake)
        return 0;
    judge_status(x, st, c);
    if (c->hs.status != 101) {
        hs_ws_free(c->ws);
        c->ws = NULL;
    }
    return 0;
}

/* With repeat, the n-th copy of a request with id "r" (where the profile's
 * requests carry their id) is sent as "r-n": ids stay unique. */
static json_t *numbered(const hs_profile *p, const json_t *msg, int n, int repeat)
{
    json_t *copy = json_deep_copy(msg);
    const char *id = json_string_value(hs_dialect_sent_id(p, msg));
    char buf[512];

    if (repeat > 1 && id) {
        snprintf(buf, sizeof(buf), "%s-%d", id, n + 1);
        hs_dialect_set_sent_id(p, copy, buf);
    }
    return copy;
}

/* A text or binary message: repeated to "size", fragmented and compressed
 * as the step says. */
static int send_message(hs_client *c, const hs_step *st)
{
    hs_ws_msg_opts mo = { st->fragment, st->compress, st->chop };
    size_t n = 0;
    unsigned char *p = hs_step_payload(st, &n);
    int rc;

    if (!p)
        return HS_WS_ERR;
    rc = hs_ws_send_message(c->ws, st->payload_kind == HS_PAYLOAD_TEXT ? 1 : 2, p, n, &mo);
    free(p);
    return rc;
}

/* A frame spelled out, its payload repeated to "size" when asked. */
static int send_frame(hs_client *c, const hs_step *st)
{
    hs_frame_spec f;
    unsigned char *p;
    int rc;

    memset(&f, 0, sizeof(f));
    f.fin = st->frame.fin;
    f.rsv = st->frame.rsv;
    f.opcode = st->frame.opcode;
    f.masked = st->frame.masked;
    f.declared_len = st->frame.declared_len;
    f.len_form = st->frame.len_form;
    p = hs_step_payload(st, &f.len);
    if (!p)
        return HS_WS_ERR;
    f.payload = p;
    rc = hs_ws_send(c->ws, &f, st->chop);
    free(p);
    return rc;
}

static int send_once(hs_client *c, const hs_step *st, int n)
{
    hs_frame_spec f;
    json_t *msg;
    char *text;
    int rc;

    memset(&f, 0, sizeof(f));
    f.fin = 1;
    f.masked = 1;
    f.declared_len = -1;
    switch (st->payload_kind) {
    case HS_PAYLOAD_JSON:
        msg = numbered(c->profile, st->json, n, st->repeat);
        text = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
        f.opcode = 1;
        f.payload = (const unsigned char *)text;
        f.len = text ? strlen(text) : 0;
        rc = hs_ws_send(c->ws, &f, st->chop);
        hs_client_sent(c, msg);
        json_decref(msg);
        free(text);
        return rc;
    case HS_PAYLOAD_RAW:
        return hs_ws_send_raw(c->ws, st->bytes, st->nbytes, st->chop);
    case HS_PAYLOAD_FRAME:
        return send_frame(c, st);
    default:
        return send_message(c, st);
    }
}

static int step_send(run_ctx *x, const hs_step *st)
{
    hs_client *c = run_open_client(x, st);

    if (!c)
        return -1;
    for (int i = 0; i < (st->repeat > 0 ? st->repeat : 1); i++) {
        if (send_once(c, st, i) != HS_WS_OK) {
            /* The peer may already have closed on an earlier bad frame;
             * the expect_close step that follows judges that. */
            hs_transcript_note(c->transcript, "send failed: %s", hs_ws_last_error(c->ws));
            break;
        }
    }
    return 0;
}

/* Describe why the newest unconsumed frame does not match, for failures. */
static void closest_miss(hs_client *c, const json_t *m, char *why, size_t len)
{
    snprintf(why, len, "nothing received");
    for (size_t i = c->ninbox; i-- > 0;)
        if (!c->inbox[i].consumed && c->inbox[i].json) {
            hs_match(m, c->inbox[i].json, why, len);
            return;
        }
}

/* Wait for an unconsumed frame that matches m; consume it. */
static int expect_matching(run_ctx *x, const hs_step *st, const json_t *m)
{
    hs_client *c = find_client(x, st->conn);
    double end = hs_now_ms() + run_step_ms(x, st);
    char why[300], *want;
    long i;

    if (!c) {
        FAIL(x, st, "%s on \"%s\", which was never connected", hs_step_kind_name(st->kind),
             st->conn);
        return -1;
    }
    while ((i = hs_client_find(c, m)) < 0) {
        int left = (int)(end - hs_now_ms());
        if (left <= 0 || hs_client_pump(c, left) == HS_CLIENT_GONE)
            break;
    }
    if (i >= 0) {
        c->inbox[i].consumed = 1;
        return 0;
    }
    closest_miss(c, m, why, sizeof(why));
    want = json_dumps(m, JSON_COMPACT);
    FAIL(x, st, "%s: no frame matching %.200s %s (closest: %s)", c->name, want ? want : "?",
         c->close_code ? "before the connection closed" : "within the timeout", why);
    free(want);
    return -1;
}

static int step_expect(run_ctx *x, const hs_step *st)
{
    return expect_matching(x, st, st->match);
}

/* expect_error, expect_pong, expect_notice: the profile says what they look
 * like in this target's dialect. */
static int step_expect_answer(run_ctx *x, const hs_step *st)
{
    const hs_profile *p = x->o->profile;
    json_t *m = st->kind == HS_STEP_EXPECT_ERROR
                    ? hs_dialect_error_matcher(p, st->error_kind, st->request_id, st->retry_hint)
              : st->kind == HS_STEP_EXPECT_PONG ? hs_dialect_pong_matcher(p, st->request_id)
              : hs_dialect_notice_matcher(p, st->notice_reason);
    int rc = expect_matching(x, st, m);

    json_decref(m);
    return rc;
}

/* The request's n-th copy: with repeat, ids stay unique ("r1-2"). */
static json_t *request_copy(const run_ctx *x, const hs_step *st, int n)
{
    char id[512];

    snprintf(id, sizeof(id), st->repeat > 1 ? "%s-%d" : "%s",
             st->request_id ? st->request_id : "", n + 1);
    return hs_profile_request(x->o->profile, (hs_req_kind)st->req_kind, st->req_type, id,
                              st->text);
}

/* A request of a kind, as the target's profile writes it. */
static int step_request(run_ctx *x, const hs_step *st)
{
    hs_client *c = run_open_client(x, st);

    for (int i = 0; c && i < (st->repeat > 0 ? st->repeat : 1); i++) {
        json_t *msg = request_copy(x, st, i);
        char *text = json_is_string(msg) ? strdup(json_string_value(msg))
                                         : json_dumps(msg, JSON_COMPACT);
        int rc = text ? hs_ws_send_text(c->ws, text, strlen(text)) : HS_WS_ERR;

        if (json_is_object(msg))
            hs_client_sent(c, msg);
        json_decref(msg);
        free(text);
        run_sample_rss(x, 0);
        if (rc != HS_WS_OK) {
            hs_transcript_note(c->transcript, "send failed: %s", hs_ws_last_error(c->ws));
            break;
        }
    }
    return c ? 0 : -1;
}

static int await_request(hs_client *c, const char *id, double end)
{
    hs_request *r;

    while (!(r = hs_client_request(c, id)) || !r->terminal) {
        int left = (int)(end - hs_now_ms());
        if (left <= 0 || hs_client_pump(c, left) == HS_CLIENT_GONE)
            return -1;
    }
    return 0;
}

/* Mark the request's frames consumed and check their degraded flag. */
static int consume_events(run_ctx *x, const hs_step *st, hs_client *c)
{
    int bad = 0;

    for (size_t i = 0; i < c->ninbox; i++) {
        json_t *j = c->inbox[i].json;
        json_t *rid = hs_dialect_answer_id(x->o->profile, j);
        const char *id = json_string_value(rid);
        char num[64];

        if (!id && json_is_integer(rid)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(rid));
            id = num;
        }
        if (!id || strcmp(id, st->request_id) != 0)
            continue;
        c->inbox[i].consumed = 1;
        if (st->degraded >= 0 && hs_dialect_degraded(x->o->profile, j) != st->degraded)
            bad++;
    }
    if (bad)
        FAIL(x, st, "%s: request %s: %d events with degraded != %s", c->name,
             st->request_id, bad, st->degraded ? "true" : "false");
    return bad ? -1 : 0;
}

static int step_expect_events(run_ctx *x, const hs_step *st)
{
    hs_client *c = find_client(x, st->conn);
    double end = hs_now_ms() + run_step_ms(x, st);
    hs_request *r;
    char *seen;

    if (!c) {
        FAIL(x, st, "expect_events on \"%s\", which was never connected", st->conn);
        return -1;
    }
    if (!hs_client_request(c, st->request_id)) {
        FAIL(x, st, "%s: no request with id %s was sent", c->name, st->request_id);
        return -1;
    }
    await_request(c, st->request_id, end);
    r = hs_client_request(c, st->request_id);
    seen = json_dumps(r->events, JSON_COMPACT);
    if (!r->terminal || !hs_dialect_complete(x->o->profile, r->events)) {
        FAIL(x, st, "%s: request %s: expected the %zu agent events, got %.300s%s", c->name,
             st->request_id, hs_profile_nevents(x->o->profile), seen ? seen : "?",
             r->terminal ? "" : " and no terminal answer");
        free(seen);
        return -1;
    }
    free(seen);
    return consume_events(x, st, c);
}

void run_exempt_pending(hs_client *c)
{
    for (size_t i = 0; i < c->nreqs; i++)
        if (!c->reqs[i].terminal)
            c->reqs[i].exempt = 1;
}

static int step_expect_close(run_ctx *x, const hs_step *st)
{
    hs_client *c = find_client(x, st->conn);
    double end = hs_now_ms() + run_step_ms(x, st);
    int want = st->close_code == HS_CLOSE_SHUTDOWN ? x->o->profile->shutdown_close
                                                   : st->close_code;

    if (!c) {
        FAIL(x, st, "expect_close on \"%s\", which was never connected", st->conn);
        return -1;
    }
    if (x->verdict.on) {
        run_exempt_pending(c);
        return hs_verdict_expect_close(&x->verdict, c, st, run_step_ms(x, st), x->reasons);
    }
    if (st->close_code == HS_CLOSE_KEEPALIVE || st->close_code == HS_CLOSE_SLOW_CONSUMER)
        return run_expect_wire_close(x, st, c);
    while (!c->close_code && c->ws) {
        int left = (int)(end - hs_now_ms());
        if (left <= 0)
            break;
        hs_client_pump(c, left);
    }
    if (st->close_code == -1)
        c->abnormal_ok = 1;
    else
        c->close_expected = 1;
    run_exempt_pending(c);
    if (!c->close_code) {
        FAIL(x, st, "%s: the server did not close the connection", c->name);
        return -1;
    }
    if ((want > 0 && c->close_code != want) || (want == -1 && c->close_code != 1006) ||
        (want == 0 && c->close_code == 1006)) {
        FAIL(x, st, "%s: closed with %d, expected %s%d", c->name, c->close_code,
             want == 0 ? "any close frame, not " : "", want > 0 ? want : 1006);
        return -1;
    }
    return 0;
}

static int step_close(run_ctx *x, const hs_step *st)
{
    hs_client *c = run_open_client(x, st);
    int peer = 0;

    if (!c)
        return -1;
    if (x->verdict.on)
        return hs_verdict_close(&x->verdict, c, st, run_step_ms(x, st), x->reasons);
    run_exempt_pending(c);
    c->closed_by_us = 1;
    /* "then": "reset": our close frame, and a reset before any answer. */
    hs_ws_close(c->ws, st->send_code, st->reason, st->then_reset ? 0 : run_step_ms(x, st), &peer);
    if (st->then_reset) {
        hs_ws_reset(c->ws);
        c->abnormal_ok = 1;     /* we ended it: the target's close met a reset */
    }
    c->close_code = peer ? peer : 1006;
    hs_ws_free(c->ws);
    c->ws = NULL;
    return 0;
}

/* Outside a conformance case the verdict only records: failing is failing. */
static int step_expect_message(run_ctx *x, const hs_step *st)
{
    hs_client *c = find_client(x, st->conn);

    if (!c) {
        FAIL(x, st, "expect_message on \"%s\", which was never connected", st->conn);
        return -1;
    }
    return hs_verdict_expect_message(&x->verdict, c, st, run_step_ms(x, st), x->reasons);
}

static int step_disconnect(run_ctx *x, const hs_step *st)
{
    hs_client *c = run_open_client(x, st);

    if (!c)
        return -1;
    run_exempt_pending(c);
    if (st->how == HS_DROP_HALF)
        return hs_ws_half_close(c->ws) == HS_WS_OK ? 0 : -1;
    if (st->how == HS_DROP_RESET)
        hs_ws_reset(c->ws);
    else
        hs_transcript_note(c->transcript, "disconnect: TCP closed without a close frame");
    hs_ws_free(c->ws);
    c->ws = NULL;
    return 0;
}

static void record_http(run_ctx *x, const hs_step *st, int status, const char *what)
{
    json_array_append_new(x->http_statuses, json_pack("{s:i,s:i,s:i,s:s}", "step", st->index,
                                                      "line", st->line, "status", status,
                                                      "what", what));
}

static int check_body(run_ctx *x, const hs_step *st, const char *what, const json_t *body)
{
    char why[300];

    if (!st->match || hs_match(st->match, body, why, sizeof(why)))
        return 0;
    FAIL(x, st, "%s: body does not match: %s", what, body ? why : "the body is not JSON");
    return -1;
}

static int step_http(run_ctx *x, const hs_step *st)
{
    const char **headers = run_extra_headers(st, "");
    char err[256], what[1100];
    hs_http_resp r;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = hs_http_request(x->host, x->port, st->method, st->path, headers, st->body,
                         run_step_ms(x, st), &r, err, sizeof(err));
    run_free_headers(headers);
    snprintf(what, sizeof(what), "%s %s", st->method, st->path);
    if (rc != 0) {
        FAIL(x, st, "%s: %s", what, err);
        return -1;
    }
    hs_transcript_note(x->http_log, "%s -> %d", what, r.status);
    record_http(x, st, r.status, what);
    if (r.status != st->expect_status && r.status < 500)
        FAIL(x, st, "%s answered HTTP %d, expected %d", what, r.status, st->expect_status);
    else
        check_body(x, st, what, r.json);
    hs_http_resp_free(&r);
    return 0;
}

/* What a health step waits for: its own matcher, the state it names in the
 * dialect's terms (as a matcher), and counts back at baseline. */
typedef struct health_want {
    const json_t *match;
    json_t *state;
    int settled;
    const hs_profile *p;
} health_want;

static int health_holds(const json_t *h, const void *arg)
{
    const health_want *w = arg;

    return (!w->match || hs_match(w->match, h, NULL, 0)) &&
           (!w->state || hs_match(w->state, h, NULL, 0)) &&
           (!w->settled || hs_dialect_settled(w->p, h));
}

/* Say which part of the want the health document misses. */
static void health_miss(run_ctx *x, const hs_step *st, const health_want *w, const json_t *h)
{
    char why[300];

    if (check_body(x, st, "GET health", h) != 0)
        return;
    if (w->state && !hs_match(w->state, h, why, sizeof(why)))
        FAIL(x, st, "health is not in the state the step names: %s", why);
    else if (w->settled && !hs_dialect_settled(w->p, h))
        FAIL(x, st, "health: connection and handler counts are not back at baseline");
}

/* What a step could not check on this target, listed with the case's
 * unverified clauses (clause 0: the scenario's own assertions). */
void run_step_unverified(run_ctx *x, const hs_step *st, const char *why)
{
    char msg[300];

    snprintf(msg, sizeof(msg), "step %d (line %d): %s", st->index, st->line, why);
    hs_transcript_note(x->http_log, "%s: not checked", msg);
    hs_contract_unverified(&(hs_record){ .unverified = x->unverified }, 0, msg);
}

static int step_health(run_ctx *x, const hs_step *st)
{
    health_want w = { st->match, NULL, 0, x->o->profile };
    const char *unsaid = hs_dialect_health_unsaid(x->o->profile, st->state);
    char why[160];
    json_t *h;

    if (!hs_dialect_health_path(x->o->profile)) {
        run_step_unverified(x, st, "a health step: this target has no health endpoint");
        return 0;
    }
    if (!x->has_health) {
        FAIL(x, st, "the profile names a health endpoint, but the target does not answer "
                    "it with JSON");
        return -1;
    }
    if (unsaid) {
        snprintf(why, sizeof(why), "health state \"%s\": the profile's health section "
                 "has no path for it", unsaid);
        run_step_unverified(x, st, why);
    }
    w.state = st->state ? hs_dialect_health_matcher(x->o->profile, st->state) : NULL;
    w.settled = json_is_true(json_object_get(st->state, "settled"));
    h = st->wait ? health_until(x, health_holds, &w, run_step_ms(x, st))
                 : health(x, run_step_ms(x, st));
    hs_transcript_note(x->http_log, "GET health%s", st->wait ? " (until it matches)" : "");
    if (!h)
        FAIL(x, st, "GET health did not answer 200 with JSON");
    else if (!health_holds(h, &w))
        health_miss(x, st, &w, h);
    json_decref(h);
    json_decref(w.state);
    return h ? 0 : -1;
}

static int step_fault(run_ctx *x, const hs_step *st)
{
    char err[256];

    if (!x->fiu_prefix[0] || !x->fiu_pid) {
        skip(x, "fault steps need the target's libfiu control: pass --fiu-ctrl PREFIX --pid PID");
        return -1;
    }
    hs_transcript_note(x->http_log, "fiu-ctrl: %s %s", st->enable ? "enable" : "disable",
                       st->fault.name);
    if (remote_fault(x, &st->fault, st->enable, run_step_ms(x, st), err, sizeof(err)) != 0) {
        FAIL(x, st, "fault %s: remote control failed: %s", st->fault.name, err);
        return -1;
    }
    if (st->enable)
        note_fault(x, st->fault.name, st->fault.expect_fire, st->index);
    return 0;
}

static int step_sleep(run_ctx *x, const hs_step *st)
{
    run_pump_all(x, hs_now_ms() + remaining(x, st->sleep_ms), NULL);
    return 0;
}

static int step_signal(run_ctx *x, const hs_step *st)
{
    if (!x->spawned) {
        skip(x, "signal steps need a target the harness started");
        return -1;
    }
    /* The counters must be read while the target can still answer. */
    json_decref(x->health_at_signal);
    x->health_at_signal = health(x, run_step_ms(x, st));
    x->signalled = st->signo;
    hs_transcript_note(x->http_log, "signal %s to pid %d", strsignal(st->signo),
                       (int)x->target.pid);
    kill(x->target.pid, st->signo);
    return 0;
}

char *run_read_log(const char *path, long from)
{
    char *data = NULL, err[256];
    size_t n = 0;

    if (hs_fs_read_from(path, from, &data, &n, err, sizeof(err)) != 0)
        return NULL;
    return data;
}

static int run_step(run_ctx *x, const hs_step *st)
{
    if (st->only && strcmp(st->only, x->o->profile->name) != 0) {
        hs_transcript_note(x->http_log, "step %d checks what only \"%s\" has: not run here",
                           st->index, st->only);
        return 0;
    }
    switch (st->kind) {
    case HS_STEP_CONNECT: return step_connect(x, st);
    case HS_STEP_SEND: return step_send(x, st);
    case HS_STEP_EXPECT: return step_expect(x, st);
    case HS_STEP_EXPECT_EVENTS: return step_expect_events(x, st);
    case HS_STEP_EXPECT_CLOSE: return step_expect_close(x, st);
    case HS_STEP_CLOSE: return step_close(x, st);
    case HS_STEP_DISCONNECT: return step_disconnect(x, st);
    case HS_STEP_HTTP: return step_http(x, st);
    case HS_STEP_HEALTH: return step_health(x, st);
    case HS_STEP_FAULT: return step_fault(x, st);
    case HS_STEP_SLEEP: return step_sleep(x, st);
    case HS_STEP_SIGNAL: return step_signal(x, st);
    case HS_STEP_EXPECT_MESSAGE: return step_expect_message(x, st);
    case HS_STEP_REQUEST: return step_request(x, st);
    case HS_STEP_EXPECT_ERROR:
    case HS_STEP_EXPECT_PONG:
    case HS_STEP_EXPECT_NOTICE: return step_expect_answer(x, st);
    case HS_STEP_WIRE: return run_step_wire(x, st);
    case HS_STEP_MEMORY: return run_step_memory(x, st);
    case HS_STEP_STORM: return run_step_storm(x, st);
    }
    return -1;
}

/* ---- the end of a scenario --------------------------------------------- */

/* Let in-flight requests finish: contract 3 needs their answers. */
static void drain(run_ctx *x)
{
    double end = hs_now_ms() + remaining(x, run_default_step_ms(x));

    for (size_t i = 0; i < x->nclients; i++) {
        hs_client *c = x->clients[i];

        while (c->ws && hs_client_pending(c) > 0) {
            int left = (int)(end - hs_now_ms());
            if (left <= 0 || hs_client_pump(c, left) != HS_CLIENT_OK)
                break;
        }
    }
}

static void close_all(run_ctx *x)
{
    for (size_t i = 0; i < x->nclients; i++) {
        hs_client *c = x->clients[i];
        int peer = 0;

        if (!c->ws)
            continue;
        if (!c->close_code) {
            c->closed_by_us = 1;
            hs_ws_close(c->ws, 1000, "scenario done", 2000, &peer);
            c->close_code = peer ? peer : 1006;
            if (x->verdict.on)
                hs_verdict_end(&x->verdict, c, 1000, c->close_code);
        }
        hs_ws_free(c->ws);
        c->ws = NULL;
    }
}

/* The last lines of the target's stderr, as valid UTF-8. */
static json_t *log_excerpt(const char *text, int lines)
{
    const char *p;
    char *clean;
    json_t *j;

    if (!text)
        return json_null();
    p = text + strlen(text);
    while (p > text && lines >= 0) {
        p--;
        if (*p == '\n' && p[1])
            lines--;
    }
    if (*p == '\n')
        p++;
    clean = hs_escape_sanitize((const unsigned char *)p, strlen(p));
    j = json_string(clean ? clean : "");
    free(clean);
    return j;
}

/* Once the target has ended: its fault hits as the counting library saw
 * them, or why there are none (clause 7 is then unverified). */
static void read_counts(run_ctx *x, hs_record *rec)
{
    char err[512];
    json_t *counts = NULL;

    if (!x->fiu_counts[0])
        return;
    switch (hs_fiucount_read(x->fiu_counts, &counts, err, sizeof(err))) {
    case HS_FIUCOUNT_OK:
        break;
    case HS_FIUCOUNT_PARTIAL:   /* the points it did count are still judged */
        hs_contract_unverified(rec, 7, err);
        break;
    default:
        snprintf(x->counts_err, sizeof(x->counts_err), "%s", err);
        rec->counts_err = x->counts_err;
        return;
    }
    rec->fault_counts = counts;
}

static void stop_target(run_ctx *x, hs_record *rec)
{
    char err[256];
    int status = 0, rc;

    if (!x->spawned)
        return;
    rec->spawned = 1;
    rec->died = !hs_target_alive(&x->target) && !x->signalled;
    rc = hs_target_stop(&x->target, STOP_MS, &status, err, sizeof(err));
    rec->stop_status = x->target.exited ? x->target.status : status;
    rec->stop_killed = rc == HS_TARGET_EKILLED;
    /* After SIGKILL the scenario asked for that death; TERM and INT must
     * still end in a clean exit 0. */
    if (x->signalled == SIGKILL)
        rec->stop_status = 0;
    read_counts(x, rec);
}

static void fill_faults(run_ctx *x)
{
    for (size_t i = 0; i < x->s->nfaults; i++)
        note_fault(x, x->s->faults[i].name, x->s->faults[i].expect_fire, -1);
    for (size_t i = 0; i < x->o->nextra; i++)
        note_fault(x, x->o->extra_faults[i].name, x->o->extra_faults[i].expect_fire, -1);
}

static json_t *transcripts(run_ctx *x)
{
    json_t *t = json_object();

    for (size_t i = 0; i < x->nclients; i++) {
        char key[200];
        /* A name reused by a later connect gets its own entry. */
        snprintf(key, sizeof(key), "%s", x->clients[i]->name);
        if (json_object_get(t, key))
            snprintf(key, sizeof(key), "%s#%zu", x->clients[i]->name, i);
        json_object_set(t, key, x->clients[i]->transcript);
    }
    if (json_array_size(x->http_log))
        json_object_set(t, "http", x->http_log);
    return t;
}

/* word as one shell word: quoted when it holds anything but plain characters. */
static void shell_word(hs_buf *b, const char *word)
{
    if (word[0] && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-./:=@%+,") == strlen(word)) {
        hs_buf_puts(b, word);
        return;
    }
    hs_buf_putc(b, '\'');
    for (const char *p = word; *p; p++)
        hs_buf_puts(b, *p == '\'' ? "'\\''" : (char[2]){ *p, 0 });
    hs_buf_putc(b, '\'');
}

/* The command that runs this case alone against the same target. */
static char *repro(const run_ctx *x)
{
    hs_buf b = HS_BUF_INIT;

    shell_word(&b, x->o->argv0 ? x->o->argv0 : "build/harness");
    hs_buf_printf(&b, " --seed %lu", x->o->seed);
    if (x->o->url) {
        hs_buf_puts(&b, " --url ");
        shell_word(&b, x->o->url);
    } else if (x->o->target_cmd) {
        hs_buf_puts(&b, " --target-cmd ");
        shell_word(&b, x->o->target_cmd);
    } else if (x->o->gateway && strcmp(x->o->gateway, "build/gateway") != 0) {
        hs_buf_puts(&b, " --gateway ");
        shell_word(&b, x->o->gateway);
    }
    hs_buf_putc(&b, ' ');
    shell_word(&b, x->s->file ? x->s->file : x->s->id);
    if (hs_buf_failed(&b)) {
        hs_buf_free(&b);
        return NULL;
    }
    return b.p;
}

static const char *suite_of(const char *file, char *buf, size_t len)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    const char *start = slash;

    if (!slash)
        return "scenarios";
    while (start > file && start[-1] != '/')
        start--;
    snprintf(buf, len, "%.*s", (int)(slash - start), start);
    return buf[0] ? buf : "scenarios";
}

/* Did any connection receive a frame from the target? */
static int received_frames(const run_ctx *x)
{
    json_t *e;
    size_t k;

    for (size_t i = 0; i < x->nclients; i++)
        json_array_foreach(x->clients[i]->transcript, k, e)
            if (strcmp(json_string_value(json_object_get(e, "dir")), "recv") == 0 &&
                strcmp(json_string_value(json_object_get(e, "what")), "frame") == 0)
                return 1;
    return 0;
}

/*
 * A failed case in which the target stayed silent: it did not start, or a
 * step waited out its ceiling and the target sent no WebSocket frame in the
 * whole case. A target that answers at all, however late, is not silent.
 * hs_suite stops running cases after several of these in a row, rather
 * than wait out every ceiling of every case.
 */
static int target_silent(const run_ctx *x)
{
    if (x->skipped || !json_array_size(x->reasons))
        return 0;
    return x->start_failed || (x->waited_out && !received_frames(x));
}

static json_t *case_json(run_ctx *x, double t0, json_t *final, const char *stderr_text,
                         const hs_record *rec)
{
    json_t *tags = json_array();
    char suite[256], *rp = repro(x);
    double dur = hs_now_ms() - t0;
    json_t *j;

    for (size_t i = 0; x->s->tags && x->s->tags[i]; i++)
        json_array_append_new(tags, json_string(x->s->tags[i]));
    j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:f,s:[f],s:O,s:o,s:o,s:o,s:s}",
                  "id", x->s->id, "title", x->s->title,
                  "file", x->s->file ? x->s->file : "",
                  "suite", suite_of(x->s->file, suite, sizeof(suite)),
                  "seed", x->s->seed ? json_string(x->s->seed) : json_null(),
                  "tags", tags,
                  "status", x->skipped ? "skipped" : json_array_size(x->reasons) ? "failed" : "passed",
                  "duration_ms", dur, "durations_ms", dur,
                  "reasons", x->reasons,
                  "transcript", transcripts(x),
                  "log_excerpt", log_excerpt(stderr_text, 40),
                  "faults", x->o->profile->hits == HS_HITS_PRELOAD && rec->fault_counts
                            ? json_incref(rec->fault_counts)
                            : hs_contract_fault_counts(x->o->profile, final),
                  "repro", rp ? rp : "");
    if (x->skipped)
        json_object_set_new(j, "skip_reason", json_string(x->skip_reason));
    if (target_silent(x))
        json_object_set_new(j, "target_silent", json_true());
    if (json_array_size(x->unverified))
        json_object_set(j, "unverified", x->unverified);
    if (json_array_size(x->figures))
        json_object_set(j, "figures", x->figures);
    if (x->timeline)
        json_object_set_new(j, "timeline", run_timeline_sorted(x));
    if (x->verdict.on && !x->skipped) {
        json_object_set_new(j, "rfc", json_string(x->s->rfc));
        json_object_set_new(j, "expect", json_string(x->s->expect));
        json_object_set_new(j, "verdict", hs_verdict_json(&x->verdict, x->reasons));
    }
    free(rp);
    return j;
}

static void judge(run_ctx *x, json_t *final, json_t *settled, const char *stderr_text,
                  hs_record *rec)
{
    rec->scn = x->s;
    rec->clients = x->clients;
    rec->nclients = x->nclients;
    rec->transport_faults = x->s->nposix > 0;
    rec->http_statuses = x->http_statuses;
    rec->health_final = final;
    rec->health_settled = settled;
    rec->has_health = x->has_health;
    rec->profile = x->o->profile;
    rec->unverified = x->unverified;
    rec->faults_enabled = x->faults_enabled;
    rec->stderr_text = stderr_text;
    hs_contract_check(rec, x->reasons);
}

static void finish(run_ctx *x, json_t **final, json_t **settled, hs_record *rec)
{
    drain(x);
    *final = health(x, 2000);
    if (!*final && x->health_at_signal)
        *final = json_incref(x->health_at_signal);
    close_all(x);
    *settled = health_until(x, counts_settled, x->o->profile,
                            run_default_step_ms(x) < SETTLE_MS ? run_default_step_ms(x) : SETTLE_MS);
    if (x->kept)
        run_keep_settle(x, rec);
    else
        stop_target(x, rec);
}

/* A kept target's log has every case's lines: this case's go to its own
 * file, as a fresh target's whole log would. */
static void write_case_log(const run_ctx *x)
{
    char path[PATH_MAX + 64], err[256];
    char *text;

    if (!x->kept || !x->o->logdir)
        return;
    text = run_read_log(x->target.stderr_path, x->log_from);
    snprintf(path, sizeof(path), "%s/%s.log", x->o->logdir, x->s->id);
    if (text)
        hs_fs_write_scratch(path, text, strlen(text), err, sizeof(err));
    free(text);
}

/* Keep only contract reasons (clause >= 1). */
static void drop_expectations(json_t *reasons)
{
    for (size_t i = json_array_size(reasons); i-- > 0;)
        if (json_integer_value(json_object_get(json_array_get(reasons, i), "clause")) == 0)
            json_array_remove(reasons, i);
}

/* Run a step, noting whether it failed only once its whole ceiling had
 * passed: a wait for a target that never answered. */
static void run_timed_step(run_ctx *x, const hs_step *st)
{
    size_t before = json_array_size(x->reasons);
    int ceiling = run_step_ms(x, st);
    double t0 = hs_now_ms();

    run_timeline_step(x, st, t0);
    run_sample_rss(x, 1);
    run_step(x, st);
    run_sample_rss(x, 1);
    if (json_array_size(x->reasons) > before && hs_now_ms() - t0 + 50 >= ceiling)
        x->waited_out = 1;
}

static void run_steps(run_ctx *x)
{
    for (size_t i = 0; i < x->s->nsteps && !x->skipped && !x->verdict.stop; i++) {
        if (hs_now_ms() >= x->deadline) {
            hs_reason(x->reasons, 0, (int)i, x->s->steps[i].line,
                      "scenario timeout (%d ms) reached before this step", x->s->timeout_ms);
            break;
        }
        if (x->o->verbose)
            fprintf(stderr, "  [%s] step %zu: %s\n", x->s->id, i,
                    hs_step_kind_name(x->s->steps[i].kind));
        run_timed_step(x, &x->s->steps[i]);
        if (x->o->contract_only) {
            drop_expectations(x->reasons);
            continue;
        }
        /* Later steps of a failed scenario mostly fail as consequences and
         * each would wait out its ceiling: stop, then judge the contract. */
        if (json_array_size(x->reasons) > 0)
            break;
    }
}

static void ctx_free(run_ctx *x)
{
    for (size_t i = 0; i < x->nclients; i++)
        hs_client_free(x->clients[i]);
    free(x->clients);
    json_decref(x->reasons);
    json_decref(x->http_statuses);
    json_decref(x->faults_enabled);
    json_decref(x->http_log);
    json_decref(x->unverified);
    json_decref(x->rss_samples);
    json_decref(x->figures);
    json_decref(x->timeline);
    json_decref(x->health_at_signal);
    hs_verdict_free(&x->verdict);
}

static int make_dir(run_ctx *x)
{
    char err[256];

    snprintf(x->dir, sizeof(x->dir), "%s/%s", x->o->workdir, x->s->id);
    return hs_fs_mkdirs(x->dir, err, sizeof(err));
}

/*
 * Settings that change how the reference gateway behaves. "echo" is not
 * one: it only makes the gateway serve /echo, which a conformance case
 * finds at --url on any other server.
 */
static int target_settings(const hs_target_opts *t)
{
    for (size_t k = 0; k < HS_SETTINGS; k++)
        if (t->settings[k] >= 0)
            return 1;
    return t->args && t->args[0];
}

/* A spawned --target-cmd target takes the scenario's settings when its
 * profile names a flag for each (its own "args" never reach it). */
static int settings_mapped(const run_ctx *x)
{
    const hs_target_opts *t = &x->s->target;

    if (!x->o->target_cmd || (t->args && t->args[0]))
        return 0;
    for (size_t k = 0; k < HS_SETTINGS; k++)
        if (t->settings[k] >= 0 && !x->o->profile->setting_flags[k])
            return 0;
    return 1;
}

/* The settings this scenario gives, comma-separated, into b. */
static void settings_given(const hs_target_opts *t, hs_buf *b)
{
    for (size_t k = 0; k < HS_SETTINGS; k++)
        if (t->settings[k] >= 0)
            hs_buf_printf(b, "%s%s", b->len ? ", " : "", hs_setting_names[k]);
    if (t->args && t->args[0])
        hs_buf_printf(b, "%sargs", b->len ? ", " : "");
}

/* Why the scenario's "target" settings cannot reach this target. */
static void settings_gap(const run_ctx *x, char *why, size_t len)
{
    hs_buf b = HS_BUF_INIT;

    settings_given(&x->s->target, &b);
    if (x->o->url)
        snprintf(why, len, "\"target\" settings (%s) need a target the harness starts; "
                 "--url reaches one it did not start", b.p);
    else if (x->s->target.args && x->s->target.args[0])
        snprintf(why, len, "\"target\" settings (%s): \"args\" are the reference "
                 "gateway's own flags", b.p);
    else
        snprintf(why, len, "\"target\" settings (%s) need flags this target's profile "
                 "does not name (\"settings\")", b.p);
    hs_buf_free(&b);
}

static void prepare(run_ctx *x)
{
    char err[512];
    json_t *h;

    if ((x->o->url || x->o->target_cmd) && target_settings(&x->s->target) &&
        !settings_mapped(x)) {
        settings_gap(x, err, sizeof(err));
        skip(x, err);
        return;
    }
    if (preload_start(x) && !start_modes_ok(x)) {
        skip(x, "faults with mode after/nth need the reference gateway's own --fault "
                "(libfiu has no such mode)");
        return;
    }
    if (x->s->target.jwt_secret && x->o->url) {
        skip(x, "the scenario signs its tokens with a fixed secret (\"target\": "
                "\"jwt_secret\"); a running target has its own");
        return;
    }
    if (x->s->nposix && x->o->url) {
        skip(x, "posix_faults need a target the harness starts (libfiu's preload)");
        return;
    }
    if (x->s->nfaults && x->o->url && !x->o->fiu_ctrl) {
        skip(x, "faults at start need the target's libfiu control: pass --fiu-ctrl PREFIX --pid PID");
        return;
    }
    if (make_dir(x) != 0 || setup_target(x, err, sizeof(err)) != 0) {
        hs_reason(x->reasons, 0, -1, 0, "target did not start: %s", err);
        x->start_failed = 1;
        return;
    }
    /* Probe once: a target without health (by its profile, or because it
     * does not answer) is judged without it. */
    x->has_health = hs_dialect_health_path(x->o->profile) != NULL;
    h = health(x, 2000);
    /* The profile promised a health endpoint the target answers wrongly
     * (404, not JSON): the profile's mistake, said as such, not a broken
     * contract. A target that answers nothing at all is judged by its steps
     * (hs_suite's silence rule). */
    if (x->has_health && !h && !x->health_silent && x->spawned &&
        hs_target_alive(&x->target))
        hs_reason(x->reasons, 0, -1, 0, "the profile names the health endpoint %s, but the "
                  "target does not answer it with JSON: check the profile's \"health\"",
                  hs_dialect_health_path(x->o->profile));
    x->has_health = h != NULL;
    if (h && x->s->target.wait_ready && !is_ready(h, x->o->profile)) {
        json_decref(h);
        h = health_until(x, is_ready, x->o->profile, remaining(x, 30000));
    }
    json_decref(h);
}

json_t *hs_run_scenario(const hs_scenario *s, const hs_run_opts *o)
{
    run_ctx x;
    hs_record rec;
    json_t *final = NULL, *settled = NULL, *out;
    double t0 = hs_now_ms();
    char *stderr_text = NULL;

    memset(&x, 0, sizeof(x));
    memset(&rec, 0, sizeof(rec));
    x.s = s;
    x.o = o;
    x.reasons = json_array();
    x.http_statuses = json_array();
    x.faults_enabled = json_array();
    x.http_log = hs_transcript_new();
    x.unverified = json_array();
    x.rss_mark = -1;
    x.rss_samples = json_array();
    x.figures = json_array();
    x.timeline = run_wire_case(s) ? json_array() : NULL;
    x.deadline = t0 + s->timeout_ms;
    hs_verdict_init(&x.verdict, s);
    fill_faults(&x);
    prepare(&x);
    if (!json_array_size(x.reasons) && !x.skipped)
        run_steps(&x);
    finish(&x, &final, &settled, &rec);
    if (x.spawned)
        stderr_text = run_read_log(x.target.stderr_path, x.log_from);
    if (!x.skipped && (x.spawned || x.o->url))
        judge(&x, final, settled, stderr_text, &rec);
    write_case_log(&x);
    if (x.kept)
        run_keep_release(&x, settled);
    out = case_json(&x, t0, final, stderr_text, &rec);
    json_decref(rec.fault_counts);
    free(stderr_text);
    json_decref(final);
    json_decref(settled);
    ctx_free(&x);
    return out;
}
