/*
 * hs_runner_keep: one target serving consecutive cases (hs_runner.h says
 * which, and what happens between two of them).
 *
 * Spawning a target costs more than most cases: the reference gateway takes
 * about as long to start as a whole conformance case takes to run, and an
 * application on uvicorn a quarter of a second before it listens. A worker
 * keeps the target of its last case while the next case's launch is the
 * same (hs_keep_key) and the last case left it as it found it.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge/hs_contract.h"
#include "judge/hs_dialect.h"
#include "judge/hs_runner.h"
#include "judge/hs_runner_parts.h"
#include "scenario/hs_match.h"
#include "util/hs_buf.h"
#include "util/hs_clock.h"
#include "util/hs_fsutil.h"

#define KEEP_STOP_MS 3000       /* ceiling for a clean SIGTERM exit */
#define LEAK_CHECK_MS 5000      /* ceiling for a leak check to be logged */
#define DYING_MS 200            /* how long a target that dropped a
                                   connection has to show it is exiting */

struct hs_keep {
    hs_target target;           /* pid 0: nothing kept */
    char key[1024];             /* hs_keep_key of the cases it serves */
    char root[PATH_MAX - 64];   /* the run's scratch folder */
    char dir[PATH_MAX];         /* this target's: port file, FIFOs, log */
    unsigned generation;        /* targets started so far */
    char secret[128];
    long log_end;               /* where the next case's log lines begin */
    char last_id[256];          /* the case it served last */
    json_t *amends;             /* [{"id", "reasons"}] of retired targets */
};

/* ---- which cases may share a target ------------------------------------- */

static int has_step(const hs_scenario *s, hs_step_kind kind)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].kind == kind)
            return 1;
    return 0;
}

/*
 * Faults at start and POSIX faults fire from the first instant, fault steps
 * leave counters and dependency states behind, signal steps end the
 * process, and a startup delay is only seen by a fresh one.
 */
static int needs_own_target(const hs_scenario *s, const hs_run_opts *o)
{
    return o->url || s->nfaults || o->nextra || s->nposix ||
           has_step(s, HS_STEP_SIGNAL) || has_step(s, HS_STEP_FAULT) ||
           s->target.settings[HS_SET_STARTUP_DELAY_MS] >= 0 ||
           (s->target.args && s->target.args[0]);
}

void hs_keep_key(const hs_scenario *s, const hs_run_opts *o, char *key, size_t len)
{
    hs_buf b = HS_BUF_INIT;

    key[0] = '\0';
    if (needs_own_target(s, o))
        return;
    hs_buf_printf(&b, "echo=%d", s->target.echo);
    for (size_t k = 0; k < HS_SETTINGS; k++)
        if (s->target.settings[k] >= 0)
            hs_buf_printf(&b, " %s=%ld", hs_setting_names[k], s->target.settings[k]);
    if (s->target.jwt_secret)
        hs_buf_printf(&b, " secret=%s", s->target.jwt_secret);
    if (!hs_buf_failed(&b))
        snprintf(key, len, "%s", b.p);
    hs_buf_free(&b);
}

/* ---- the keep ---------------------------------------------------------- */

hs_keep *hs_keep_new(const char *workdir)
{
    hs_keep *k = calloc(1, sizeof(*k));

    if (!k)
        return NULL;
    snprintf(k->root, sizeof(k->root), "%s", workdir);
    k->target.pidfd = -1;
    k->amends = json_array();
    return k;
}

json_t *hs_keep_amends(hs_keep *k)
{
    json_t *a = k->amends;

    if (!json_array_size(a))
        return NULL;
    k->amends = json_array();
    return a;
}

/* The size of the target's log now: where the next lines will begin. */
static long log_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* A sanitizer's report in the log from `from` on, as one line, or 0. */
static int sanitizer_after(const char *path, long from, char *line, size_t len)
{
    char *text = run_read_log(path, from);
    int hit = hs_contract_sanitizer(text, line, len) != NULL;

    free(text);
    return hit;
}

/*
 * SIGTERM the target; what its stop shows (not a clean exit 0, a report at
 * exit) goes into reasons as clause 5, said of the case it served last.
 */
static void retire(hs_target *t, long log_from, json_t *reasons)
{
    char err[300], line[300], how[64];
    int status = 0, rc = hs_target_stop(t, KEEP_STOP_MS, &status, err, sizeof(err));

    hs_target_describe_status(status, how, sizeof(how));
    if (rc == HS_TARGET_EDEAD)
        hs_contract_breach(reasons, 5, -1, 0, "the gateway, kept for the next case, "
                           "ended by itself after this one: %s", how);
    else if (rc == HS_TARGET_EKILLED || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        hs_contract_breach(reasons, 5, -1, 0, "the gateway, kept for the next case, did "
                           "not shut down cleanly on SIGTERM: %s%s", how,
                           rc == HS_TARGET_EKILLED ? " after SIGKILL" : "");
    if (sanitizer_after(t->stderr_path, log_from, line, sizeof(line)))
        hs_contract_breach(reasons, 5, -1, 0, "sanitizer report in the gateway's stderr "
                           "as it stopped: %.200s", line);
    memset(t, 0, sizeof(*t));
    t->pidfd = -1;
}

/* Stop what is kept; its findings are owed to the case it served last. */
static void keep_retire(hs_keep *k)
{
    json_t *reasons = json_array();

    if (k->target.pid <= 0) {
        json_decref(reasons);
        return;
    }
    retire(&k->target, k->log_end, reasons);
    if (json_array_size(reasons))
        json_array_append_new(k->amends, json_pack("{s:s,s:o}", "id", k->last_id,
                                                   "reasons", reasons));
    else
        json_decref(reasons);
    k->key[0] = '\0';
}

void hs_keep_end(hs_keep *k)
{
    if (k)
        keep_retire(k);
}

void hs_keep_free(hs_keep *k)
{
    if (!k)
        return;
    if (k->target.pid > 0)
        hs_target_kill(&k->target);
    json_decref(k->amends);
    free(k);
}

/* ---- a case on a kept target ----------------------------------------------- */

/* x shares the kept target: its address, secret, control and log slice. */
static void take(run_ctx *x, hs_keep *k)
{
    x->target = k->target;
    x->spawned = 1;
    x->kept = 1;
    x->port = k->target.port;
    x->fiu_pid = k->target.pid;
    snprintf(x->secret, sizeof(x->secret), "%s", k->secret);
    snprintf(x->fiu_prefix, sizeof(x->fiu_prefix), "%s/fiu", k->dir);
    x->log_from = x->log_seen = k->log_end;
}

int run_keep_take(run_ctx *x, char *err, size_t errlen)
{
    hs_keep *k = x->o->keep;

    hs_keep_key(x->s, x->o, x->keep_key, sizeof(x->keep_key));
    if (!x->keep_key[0])
        return 0;
    if (k->target.pid > 0 && strcmp(k->key, x->keep_key) == 0 &&
        hs_target_alive(&k->target)) {
        take(x, k);
        return 1;
    }
    keep_retire(k);
    snprintf(x->dir, sizeof(x->dir), "%s/kept-%d-%u", k->root, (int)getpid(),
             ++k->generation);
    return hs_fs_mkdirs(x->dir, err, errlen) == 0 ? 0 : -1;
}

/* The folder and log of a target started to be kept. */
int run_keep_launching(const run_ctx *x)
{
    return x->keep_key[0] != '\0';
}

void run_keep_started(run_ctx *x)
{
    hs_keep *k = x->o->keep;

    snprintf(k->dir, sizeof(k->dir), "%s", x->dir);
    snprintf(k->secret, sizeof(k->secret), "%s", x->secret);
    snprintf(k->key, sizeof(k->key), "%s", x->keep_key);
    x->kept = 1;
    x->log_from = x->log_seen = 0;
}

/* Is there a line the profile's "done" matches in the log since from? */
static int leak_check_logged(const run_ctx *x, long from)
{
    char *text = run_read_log(x->target.stderr_path, from), *line, *save = NULL, why[8];
    int seen = 0;

    for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !seen;
         line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);

        seen = j && hs_match(x->o->profile->leak_done, j, why, sizeof(why));
        json_decref(j);
    }
    free(text);
    return seen;
}

/*
 * Ask for a leak check and wait for its line, woken by each write to the
 * log (inotify). A report lands in this case's slice, where clause 5 finds
 * it. 0 when the line came; -1 when it did not (the target is not kept).
 */
static int leak_check(run_ctx *x)
{
    int sig = x->o->profile->leak_signal == HS_LEAK_SIGUSR1 ? SIGUSR1 : SIGUSR2;
    int fd = hs_fs_inotify(), rc = -1;
    long from = log_size(x->target.stderr_path);
    double end = hs_now_ms() + LEAK_CHECK_MS;

    if (fd < 0 || inotify_add_watch(fd, x->target.stderr_path, IN_MODIFY) < 0 ||
        kill(x->target.pid, sig) != 0)
        return -1;
    /* Woken by a write to the log, or by the target's end (its pidfd). */
    while (rc != 0 && hs_now_ms() < end && hs_target_alive(&x->target)) {
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
                               { .fd = x->target.pidfd, .events = POLLIN } };

        if (leak_check_logged(x, from))
            rc = 0;
        else if (poll(p, 2, hs_clock_left_ms(end)) > 0 && (p[0].revents & POLLIN))
            hs_fs_inotify_drain();
    }
    return rc;
}

static const char *leak_signal_name(const hs_profile *p)
{
    return p->leak_signal == HS_LEAK_SIGUSR1 ? "SIGUSR1" : "SIGUSR2";
}

/* Asked for a leak check, the target ended: this case's failure. */
static void leak_check_death(run_ctx *x)
{
    char how[64];

    hs_target_describe_status(x->target.status, how, sizeof(how));
    hs_contract_breach(x->reasons, 5, -1, 0, "the gateway ended when asked for a leak "
                       "check with %s (the profile's logs.leak_check): %s",
                       leak_signal_name(x->o->profile), how);
}

/* A connection the target ended without a close frame: it may be dying. */
static int dropped_by_target(const run_ctx *x)
{
    for (size_t i = 0; i < x->nclients; i++)
        if (x->clients[i]->close_code == 1006 && !x->clients[i]->closed_by_us)
            return 1;
    return 0;
}

/* The end of a case's steps on a kept target: no stop, unless it died. A
 * failed case whose target dropped a connection gives it a moment to show
 * it is exiting (a passing case never waits). */
void run_keep_settle(run_ctx *x, hs_record *rec)
{
    int dying = json_array_size(x->reasons) && dropped_by_target(x);

    rec->spawned = 1;
    if (dying ? hs_target_wait_end(&x->target, DYING_MS) : !hs_target_alive(&x->target)) {
        rec->died = 1;
        rec->stop_status = x->target.status;
        return;
    }
    rec->kept = 1;
    if (x->o->profile->leak_signal == HS_LEAK_NONE || leak_check(x) == 0)
        return;
    x->keep_dirty = "no leak check";
    if (hs_target_alive(&x->target))
        hs_contract_breach(x->reasons, 5, -1, 0, "the gateway did not log the end of its "
                           "leak check within %d ms of %s (the profile's logs.leak_check)",
                           LEAK_CHECK_MS, leak_signal_name(x->o->profile));
    else
        leak_check_death(x);
}

/* Left as found: alive, answering, counts back, nothing failed or degraded. */
static int left_clean(run_ctx *x, const json_t *settled)
{
    const hs_profile *p = x->o->profile;

    if (x->keep_dirty || !hs_target_alive(&x->target) ||
        json_array_size(x->reasons))
        return 0;
    if (!x->has_health)
        return 1;
    return settled && hs_dialect_settled(p, settled) && hs_dialect_ready(p, settled) &&
           !hs_dialect_names_failure(p, settled);
}

/*
 * After the judge: keep the target for the next case, or stop it now and
 * judge its stop in this case (a failed case, one that left it dirty).
 */
void run_keep_release(run_ctx *x, const json_t *settled)
{
    hs_keep *k = x->o->keep;

    if (left_clean(x, settled)) {
        k->target = x->target;
        k->log_end = log_size(x->target.stderr_path);
        snprintf(k->last_id, sizeof(k->last_id), "%s", x->s->id);
        return;
    }
    if (x->target.pid > 0 && !x->target.exited)
        retire(&x->target, log_size(x->target.stderr_path), x->reasons);
    else
        hs_target_kill(&x->target);
    memset(&k->target, 0, sizeof(k->target));
    k->target.pidfd = -1;
    k->key[0] = '\0';
}
