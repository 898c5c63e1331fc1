/*
 * hs_suite: loading, selection, parallel workers, repeats.
 * See hs_suite.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_fsutil.h"
#include "target/hs_proc.h"
#include "judge/hs_known.h"
#include "judge/hs_suite.h"
#include "util/hs_clock.h"

/* ---- loading ------------------------------------------------------------ */

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static void add_path(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(char *));
    }
    l->v[l->n++] = strdup(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int walk(const char *path, path_list *out, char *err, size_t errlen)
{
    struct stat st;
    struct dirent *e;
    DIR *d;

    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_path(out, path);
        return 0;
    }
    d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char child[PATH_MAX];

        if (e->d_name[0] == '.')
            continue;
        snprintf(child, sizeof(child), "%s%s%s", path, ends_with(path, "/") ? "" : "/", e->d_name);
        if (stat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (walk(child, out, err, errlen) != 0) {
                closedir(d);
                return -1;
            }
        } else if (ends_with(e->d_name, ".json") && strcmp(e->d_name, "schema.json") != 0) {
            add_path(out, child);
        }
    }
    closedir(d);
    return 0;
}

static int check_unique(const hs_suite *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++)
            if (strcmp(s->v[i]->id, s->v[j]->id) == 0) {
                snprintf(err, errlen, "%s: id \"%s\" is also used by %s: ids must be unique",
                         s->v[j]->file, s->v[j]->id, s->v[i]->file);
                return -1;
            }
    return 0;
}

int hs_suite_load(const char *const *paths, size_t npaths, hs_suite *out,
                  char *err, size_t errlen)
{
    path_list files = { 0 };
    int rc = HS_SUITE_OK;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < npaths && rc == HS_SUITE_OK; i++) {
        size_t first = files.n;
        rc = walk(paths[i], &files, err, errlen);
        /* Sort within each argument: the order given across them is kept. */
        if (rc == HS_SUITE_OK && files.n > first)
            qsort(files.v + first, files.n - first, sizeof(char *), cmp_str);
    }
    out->v = calloc(files.n ? files.n : 1, sizeof(hs_scenario *));
    for (size_t i = 0; i < files.n && rc == HS_SUITE_OK; i++) {
        if (hs_scenario_load(files.v[i], &out->v[out->n], err, errlen) != HS_SCN_OK)
            rc = HS_SUITE_ERR;
        else
            out->n++;
    }
    if (rc == HS_SUITE_OK && files.n == 0) {
        snprintf(err, errlen, "no scenario files (*.json) found in the given paths");
        rc = HS_SUITE_ERR;
    }
    if (rc == HS_SUITE_OK)
        rc = check_unique(out, err, errlen);
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    return rc;
}

void hs_suite_free(hs_suite *s)
{
    for (size_t i = 0; i < s->n; i++)
        hs_scenario_free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static int has_tag(const hs_scenario *s, const char *tag)
{
    for (size_t i = 0; s->tags && s->tags[i]; i++)
        if (strcmp(s->tags[i], tag) == 0)
            return 1;
    return 0;
}

void hs_suite_select(hs_suite *s, const hs_suite_opts *o)
{
    size_t kept = 0, seen = 0;

    for (size_t i = 0; i < s->n; i++) {
        hs_scenario *c = s->v[i];
        int keep = (!o->filter || fnmatch(o->filter, c->id, 0) == 0) &&
                   (!o->tag || has_tag(c, o->tag));

        /* Cases tagged "long" take minutes each: only when asked for by tag. */
        if (has_tag(c, HS_SUITE_LONG_TAG) && !(o->tag && strcmp(o->tag, HS_SUITE_LONG_TAG) == 0))
            keep = 0;

        /* Shards split the selected cases round-robin, stable across jobs. */
        if (keep && o->shard_n > 1)
            keep = (int)(seen++ % (size_t)o->shard_n) == o->shard_k - 1;
        if (keep)
            s->v[kept++] = c;
        else
            hs_scenario_free(c);
    }
    s->n = kept;
}

/* ---- repeats ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Fold the runs of one case: passed, failed, skipped, or flaky if both. */
static json_t *fold_repeats(json_t **runs, int n)
{
    json_t *out = NULL, *durs = json_array();
    double *d = calloc((size_t)n, sizeof(double));
    int passed = 0, failed = 0;

    for (int i = 0; i < n; i++) {
        const char *st = json_string_value(json_object_get(runs[i], "status"));
        d[i] = json_real_value(json_object_get(runs[i], "duration_ms"));
        json_array_append_new(durs, json_real(d[i]));
        passed += strcmp(st, "passed") == 0;
        failed += strcmp(st, "failed") == 0;
        /* Report the first failing run in full; else the first run. */
        if (!out && strcmp(st, "failed") == 0)
            out = runs[i];
    }
    out = json_deep_copy(out ? out : runs[0]);
    qsort(d, (size_t)n, sizeof(double), cmp_double);
    json_object_set_new(out, "durations_ms", durs);
    json_object_set_new(out, "duration_ms", json_real(d[n / 2]));
    if (passed && failed)
        json_object_set_new(out, "status", json_string("flaky"));
    free(d);
    return out;
}

static json_t *run_case(const hs_scenario *s, const hs_suite_opts *o)
{
    int n = o->repeat > 0 ? o->repeat : 1;
    json_t **runs = calloc((size_t)n, sizeof(json_t *));
    json_t *out;

    for (int i = 0; i < n; i++)
        runs[i] = hs_run_scenario(s, &o->run);
    out = fold_repeats(runs, n);
    for (int i = 0; i < n; i++)
        json_decref(runs[i]);
    free(runs);
    return out;
}

/* ---- workers ------------------------------------------------------------- */

/*
 * A worker is a process that runs cases one after another, as the parent
 * sends their numbers down a pipe, and sends each number back once the
 * case's result file is written. It lives as long as the run (or until a
 * case of its outlives its ceiling), so the target it keeps (hs_keep) can
 * serve the next case with the same key.
 */
typedef struct worker {
    pid_t pid;                 /* 0: not started, or gone */
    int to, from;              /* case numbers to it; finished ones back */
    size_t index;              /* the case it runs, while busy */
    int busy;
    double ceiling;            /* hs_now_ms() after which it is killed */
    const char *key;           /* its last case's keep key; "" or NULL: none */
} worker;

#define QUIT ((size_t)-1)      /* sent instead of a case number: stop */

static void result_path(const hs_suite_opts *o, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%s/case-%zu.json", o->run.workdir, i);
}

static void amend_path(const hs_suite_opts *o, pid_t pid, char *buf, size_t len)
{
    snprintf(buf, len, "%s/amend-%d.json", o->run.workdir, (int)pid);
}

static int write_json(const char *path, json_t *j)
{
    char err[256], *text = json_dumps(j, JSON_COMPACT);
    int rc = text ? hs_fs_write_scratch(path, text, strlen(text), err, sizeof(err)) : -1;

    free(text);
    return rc;
}

/* A whole index from a pipe, or QUIT when it closed. */
static size_t read_index(int fd)
{
    size_t i;
    ssize_t n;

    do {
        n = read(fd, &i, sizeof(i));
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(i) ? i : QUIT;
}

/* Run case i and write where the parent will read it; what stopping an
 * earlier kept target found rides along ("amend"). */
static int worker_case(const hs_suite *s, const hs_suite_opts *o, size_t i)
{
    char path[PATH_MAX];
    json_t *c = run_case(s->v[i], o), *amends = o->run.keep ? hs_keep_amends(o->run.keep) : NULL;
    int rc;

    if (amends)
        json_object_set_new(c, "amend", amends);
    result_path(o, i, path, sizeof(path));
    rc = write_json(path, c);
    json_decref(c);
    return rc;
}

/* The kept target stops with the worker: what that found, for the parent. */
static void worker_quit(const hs_suite_opts *o)
{
    char path[PATH_MAX];
    json_t *amends;

    hs_keep_end(o->run.keep);
    amends = hs_keep_amends(o->run.keep);
    amend_path(o, getpid(), path, sizeof(path));
    if (amends)
        write_json(path, amends);
    json_decref(amends);
    hs_keep_free(o->run.keep);
}

static void worker_main(const hs_suite *s, const hs_suite_opts *o, int in, int out)
{
    hs_suite_opts mine = *o;
    size_t i;

    setpgid(0, 0);
    /* If the harness is SIGKILLed, its workers follow (and their targets
     * follow them the same way). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(4);
    hs_proc_install_handlers();
    if (!o->fresh_target)
        mine.run.keep = hs_keep_new(o->run.workdir);
    while ((i = read_index(in)) != QUIT) {
        if (worker_case(s, &mine, i) != 0 || write(out, &i, sizeof(i)) != sizeof(i))
            _exit(3);
    }
    if (mine.run.keep)
        worker_quit(&mine);
    _exit(0);
}

static json_t *lost_case(const hs_scenario *s, const char *why)
{
    json_t *reasons = json_array();
    json_t *tags = json_array();

    for (size_t i = 0; s->tags && s->tags[i]; i++)
        json_array_append_new(tags, json_string(s->tags[i]));
    json_array_append_new(reasons, json_pack("{s:i,s:n,s:n,s:s}", "clause", 0, "step",
                                             "line", "message", why));
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:f,s:[],s:o,s:{},s:s,s:{},s:s}",
                     "id", s->id, "title", s->title, "file", s->file, "suite", "scenarios",
                     "seed", s->seed ? json_string(s->seed) : json_null(), "tags", tags,
                     "status", "failed", "duration_ms", 0.0, "durations_ms",
                     "reasons", reasons, "transcript", "log_excerpt", "", "faults",
                     "repro", "");
}

static json_t *collect(const hs_suite *s, const hs_suite_opts *o, size_t i, int status)
{
    char path[PATH_MAX], err[256], why[300];
    char *text = NULL;
    size_t n;
    json_t *j;

    result_path(o, i, path, sizeof(path));
    if (hs_fs_read_file(path, &text, &n, err, sizeof(err)) == 0) {
        j = json_loadb(text, n, 0, NULL);
        free(text);
        unlink(path);
        if (j)
            return j;
    }
    if (WIFSIGNALED(status))
        snprintf(why, sizeof(why), "the harness worker was killed by signal %d "
                 "(scenario ceiling reached, or a crash)", WTERMSIG(status));
    else
        snprintf(why, sizeof(why), "the harness worker ended with status %d and no result",
                 WEXITSTATUS(status));
    return lost_case(s->v[i], why);
}

static int is_failure(const json_t *c)
{
    const char *st = json_string_value(json_object_get(c, "status"));

    return strcmp(st, "failed") == 0 || strcmp(st, "flaky") == 0 || strcmp(st, "xpassed") == 0;
}

void hs_suite_print_failure(const json_t *c)
{
    hs_buf b = HS_BUF_INIT;
    const char *st = json_string_value(json_object_get(c, "status"));
    json_t *r;
    size_t i;

    if (!is_failure(c))
        return;
    hs_buf_printf(&b, "%s ", strcmp(st, "flaky") == 0 ? "FLAKY" :
                             strcmp(st, "xpassed") == 0 ? "XPASS" : "FAIL ");
    hs_escape_str(hs_escape_term, json_string_value(json_object_get(c, "id")), &b);
    hs_buf_puts(&b, "\n");
    json_array_foreach(json_object_get(c, "reasons"), i, r) {
        hs_buf_puts(&b, "      ");
        hs_escape_str(hs_escape_term, json_string_value(json_object_get(r, "message")), &b);
        hs_buf_puts(&b, "\n");
    }
    hs_buf_puts(&b, "      repro: ");
    hs_escape_str(hs_escape_term, json_string_value(json_object_get(c, "repro")), &b);
    hs_buf_puts(&b, "\n");
    fputs(b.p ? b.p : "", stderr);
    hs_buf_free(&b);
}

/* --verbose: the wire log of a finished case, one escaped line per entry. */
static void print_transcript(const json_t *c)
{
    const char *conn;
    json_t *t, *e;
    size_t i;

    json_object_foreach(json_object_get(c, "transcript"), conn, t)
        json_array_foreach(t, i, e) {
            hs_buf b = HS_BUF_INIT;
            const char *op = json_string_value(json_object_get(e, "op"));

            hs_buf_puts(&b, "  ");
            hs_escape_str(hs_escape_term, json_string_value(json_object_get(c, "id")), &b);
            hs_buf_puts(&b, " ");
            hs_escape_str(hs_escape_term, conn, &b);
            hs_buf_printf(&b, " %9.3f %-4s %-9s", json_number_value(json_object_get(e, "t_ms")),
                          json_string_value(json_object_get(e, "dir")),
                          json_string_value(json_object_get(e, "what")));
            if (op)
                hs_buf_printf(&b, " %s fin=%d rsv=%lld len=%lld", op,
                              json_is_true(json_object_get(e, "fin")),
                              (long long)json_integer_value(json_object_get(e, "rsv")),
                              (long long)json_integer_value(json_object_get(e, "len")));
            hs_buf_puts(&b, " ");
            hs_escape_json(hs_escape_term, json_object_get(e, "text"), &b);
            fprintf(stderr, "%s\n", b.p ? b.p : "");
            hs_buf_free(&b);
        }
}

static void progress(const hs_suite_opts *o, size_t done, size_t total, size_t failed)
{
    if (!o->progress)
        return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %zu failed", done, total, failed);
    if (done == total)
        fputs("\r\033[K", stderr);
}

/* Start worker w; the child closes every other worker's pipes. */
static int spawn(const hs_suite *s, const hs_suite_opts *o, worker *ws, int nw, worker *w)
{
    int to[2], from[2];
    pid_t pid;

    if (pipe2(to, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(from, O_CLOEXEC) != 0) {
        close(to[0]);
        close(to[1]);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        for (int k = 0; k < nw; k++)
            if (ws[k].pid) {
                close(ws[k].to);
                close(ws[k].from);
            }
        close(to[1]);
        close(from[0]);
        worker_main(s, o, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    if (pid < 0) {
        close(to[1]);
        close(from[0]);
        return -1;
    }
    setpgid(pid, pid);
    hs_proc_register(pid);
    *w = (worker){ .pid = pid, .to = to[1], .from = from[0], .key = "" };
    return 0;
}

/* Write i to a worker without dying of SIGPIPE if it has gone meanwhile:
 * the write fails instead, and the caller buries it. */
static int send_index(int fd, size_t i)
{
    sigset_t pipe_set, old;
    struct timespec zero = { 0, 0 };
    ssize_t w;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    w = write(fd, &i, sizeof(i));
    if (w < 0 && errno == EPIPE)
        sigtimedwait(&pipe_set, NULL, &zero);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return w == (ssize_t)sizeof(i) ? 0 : -1;
}

/* Hand case i to w (started if it is not). */
static int assign(const hs_suite *s, const hs_suite_opts *o, worker *ws, int nw, worker *w,
                  size_t i)
{
    if (!w->pid && spawn(s, o, ws, nw, w) != 0)
        return -1;
    if (send_index(w->to, i) != 0)
        return -1;
    w->busy = 1;
    w->index = i;
    w->ceiling = hs_now_ms() + (double)s->v[i]->timeout_ms * (o->repeat > 0 ? o->repeat : 1)
                 + 15000;
    return 0;
}

/* w has ended (or must): reap it and close its pipes. */
static int bury(worker *w)
{
    int status = 0;

    kill(-w->pid, SIGKILL);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    hs_proc_unregister(w->pid);
    close(w->to);
    close(w->from);
    w->pid = 0;
    return status;
}

/* The soonest ceiling among busy workers, as a poll timeout. */
static int next_ceiling(const worker *ws, int nw)
{
    double soonest = -1;

    for (int k = 0; k < nw; k++)
        if (ws[k].busy && (soonest < 0 || ws[k].ceiling < soonest))
            soonest = ws[k].ceiling;
    return soonest < 0 ? -1 : hs_clock_left_ms(soonest) + 1;
}

/*
 * Wait until a busy worker reports its case (returns its slot, *status 0)
 * or ends without doing so (its slot, *status its wait status). Workers
 * past their ceiling are killed, which ends them.
 */
static int reap(worker *ws, int nw, int *status)
{
    struct pollfd p[nw];

    for (;;) {
        for (int k = 0; k < nw; k++) {
            p[k] = (struct pollfd){ .fd = ws[k].busy ? ws[k].from : -1, .events = POLLIN };
            if (ws[k].busy && hs_now_ms() > ws[k].ceiling)
                kill(-ws[k].pid, SIGKILL);
        }
        if (poll(p, (nfds_t)nw, next_ceiling(ws, nw)) < 0 && errno != EINTR)
            return -1;
        for (int k = 0; k < nw; k++) {
            if (!p[k].revents)
                continue;
            *status = 0;
            if (read_index(ws[k].from) != ws[k].index)
                *status = bury(&ws[k]);
            return k;
        }
    }
}

/* ---- stopping early ------------------------------------------------------ */

/* Why the cases not started yet will not run; why[0] == 0 while they will. */
typedef struct stop_rule {
    size_t failed;              /* failed cases so far */
    int silent;                 /* silent cases in a row */
    int as_failed;              /* unrun cases fail (unresponsive) or skip */
    char why[512];
} stop_rule;

static void stop_update(stop_rule *r, const hs_suite_opts *o, const json_t *c)
{
    if (r->why[0])
        return;
    r->failed += is_failure(c);
    r->silent = json_is_true(json_object_get(c, "target_silent")) ? r->silent + 1 : 0;
    if (o->silent_limit > 0 && r->silent >= o->silent_limit) {
        r->as_failed = 1;
        snprintf(r->why, sizeof(r->why), "not run: target unresponsive (the last %d cases "
                 "got no frame from it before a step's ceiling, or it did not start); "
                 "--unresponsive-after 0 runs every case anyway", r->silent);
    } else if (o->max_failures > 0 && r->failed >= (size_t)o->max_failures) {
        snprintf(r->why, sizeof(r->why), "not run: stopped after %zu failed cases "
                 "(--max-failures %d)", r->failed, o->max_failures);
    }
}

/* A case that was never started, failed or skipped with the rule's reason. */
static json_t *unrun_case(const hs_scenario *sc, const stop_rule *r)
{
    json_t *c = lost_case(sc, r->why);

    if (!r->as_failed) {
        json_object_set_new(c, "status", json_string("skipped"));
        json_object_set_new(c, "skip_reason", json_string(r->why));
        json_array_clear(json_object_get(c, "reasons"));
    }
    return c;
}

/* ---- the run --------------------------------------------------------------- */

/* A case has ended: known issues applied, the stop rule told, and the
 * failure (with the transcript under --verbose) printed. */
static void record_case(const hs_suite_opts *o, json_t *c, stop_rule *r)
{
    hs_known_apply(c, o->known, o->target_name, o->run.profile->name);
    stop_update(r, o, c);
    if (o->run.verbose)
        print_transcript(c);
    hs_suite_print_failure(c);
}

/* A case whose worker could not be forked: failed, with the reason, so the
 * run goes on rather than retry the same fork forever. */
static json_t *unstarted_case(const hs_scenario *sc, const hs_suite_opts *o, stop_rule *r)
{
    char why[300];
    json_t *c;

    snprintf(why, sizeof(why), "the harness could not start a worker for it: fork: %s",
             strerror(errno));
    c = lost_case(sc, why);
    record_case(o, c, r);
    return c;
}

/* What stopping a kept target found is owed to the case it served last:
 * that case fails, and says so again. */
static void apply_amends(const hs_suite *s, json_t **done, json_t *amends)
{
    json_t *a, *r;
    size_t k, m;

    json_array_foreach(amends, k, a) {
        const char *id = json_string_value(json_object_get(a, "id"));

        for (size_t i = 0; id && i < s->n; i++) {
            if (!done[i] || strcmp(s->v[i]->id, id) != 0)
                continue;
            json_array_foreach(json_object_get(a, "reasons"), m, r)
                json_array_append(json_object_get(done[i], "reasons"), r);
            json_object_set_new(done[i], "status", json_string("failed"));
            hs_suite_print_failure(done[i]);
        }
    }
}

/* Cases within this many of the first one not started may run out of
 * order, so that a worker's next case can share its kept target. */
#define PICK_WINDOW 64

typedef struct run_state {
    const hs_suite *s;
    const hs_suite_opts *o;
    worker *ws;
    int nw;
    json_t **done;
    char **keys;                /* each case's hs_keep_key */
    char *started;
    size_t next;                /* the first case not started */
    size_t finished;
    stop_rule rule;
} run_state;

/* The next case for w: one that can share its target, else the first. */
static size_t pick(const run_state *r, const worker *w)
{
    size_t seen = 0;

    for (size_t i = r->next; w->key && w->key[0] && i < r->s->n && seen < PICK_WINDOW; i++) {
        if (r->started[i])
            continue;
        if (strcmp(r->keys[i], w->key) == 0)
            return i;
        seen++;
    }
    return r->next;
}

static void mark_started(run_state *r, worker *w, size_t i)
{
    r->started[i] = 1;
    w->key = r->keys[i];
    while (r->next < r->s->n && r->started[r->next])
        r->next++;
}

/* Give every idle worker a case; 0 when none could be started at all. */
static int start_cases(run_state *r)
{
    int busy = 0;

    for (int k = 0; k < r->nw; k++) {
        worker *w = &r->ws[k];
        size_t i;

        if (!w->busy && r->next < r->s->n && !r->rule.why[0]) {
            i = pick(r, w);
            if (assign(r->s, r->o, r->ws, r->nw, w, i) == 0)
                mark_started(r, w, i);
            else if (w->pid)
                bury(w);
        }
        busy += w->busy;
    }
    return busy;
}

/* Worker k has reported its case, or ended without: record it. */
static void finish_case(run_state *r, int k, int status)
{
    worker *w = &r->ws[k];
    size_t i = w->index;
    json_t *amends;

    w->busy = 0;
    r->done[i] = collect(r->s, r->o, i, status);
    amends = json_incref(json_object_get(r->done[i], "amend"));
    json_object_del(r->done[i], "amend");
    record_case(r->o, r->done[i], &r->rule);
    apply_amends(r->s, r->done, amends);
    json_decref(amends);
    progress(r->o, ++r->finished, r->s->n, r->rule.failed);
}

/* Every worker told to stop (its kept target with it), waited for, and
 * what their last stops found applied. */
static void quit_workers(run_state *r)
{
    size_t quit = QUIT;
    char path[PATH_MAX], err[256], *text;
    size_t n;

    for (int k = 0; k < r->nw; k++)
        if (r->ws[k].pid && send_index(r->ws[k].to, quit) != 0)
            kill(-r->ws[k].pid, SIGKILL);
    for (int k = 0; k < r->nw; k++) {
        pid_t pid = r->ws[k].pid;
        int status = 0;

        if (!pid)
            continue;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        hs_proc_unregister(pid);
        close(r->ws[k].to);
        close(r->ws[k].from);
        amend_path(r->o, pid, path, sizeof(path));
        if (hs_fs_read_file(path, &text, &n, err, sizeof(err)) == 0) {
            json_t *a = json_loadb(text, n, 0, NULL);

            apply_amends(r->s, r->done, a);
            json_decref(a);
            free(text);
        }
    }
}

static void run_all(run_state *r)
{
    for (;;) {
        int status = 0, k;

        if (start_cases(r) == 0) {
            if (r->rule.why[0] || r->next >= r->s->n)
                break;
            /* no worker could be started: the case fails, the run goes on */
            r->started[r->next] = 1;
            r->done[r->next] = unstarted_case(r->s->v[r->next], r->o, &r->rule);
            progress(r->o, ++r->finished, r->s->n, r->rule.failed);
            r->next++;
            continue;
        }
        if ((k = reap(r->ws, r->nw, &status)) >= 0)
            finish_case(r, k, status);
    }
}

json_t *hs_suite_run(const hs_suite *s, const hs_suite_opts *o)
{
    run_state r = { .s = s, .o = o, .nw = o->jobs > 0 ? o->jobs : 1 };
    json_t *cases = json_array();
    size_t unrun = 0;

    r.ws = calloc((size_t)r.nw, sizeof(worker));
    r.done = calloc(s->n ? s->n : 1, sizeof(json_t *));
    r.keys = calloc(s->n ? s->n : 1, sizeof(char *));
    r.started = calloc(s->n ? s->n : 1, 1);
    for (size_t i = 0; i < s->n; i++) {
        char key[1024] = "";

        if (!o->fresh_target)
            hs_keep_key(s->v[i], &o->run, key, sizeof(key));
        r.keys[i] = strdup(key);
    }
    run_all(&r);
    quit_workers(&r);
    for (size_t i = 0; i < s->n; i++)
        if (!r.done[i]) {
            r.done[i] = unrun_case(s->v[i], &r.rule);
            unrun++;
        }
    progress(o, s->n, s->n, r.rule.failed);
    if (unrun)
        printf("STOP  %zu cases %s\n", unrun, r.rule.why);
    for (size_t i = 0; i < s->n; i++) {
        json_array_append_new(cases, r.done[i]);
        free(r.keys[i]);
    }
    free(r.done);
    free(r.keys);
    free(r.started);
    free(r.ws);
    return cases;
}

/* ---- totals ------------------------------------------------------------- */

json_t *hs_suite_totals(const json_t *cases)
{
    static const char *const names[] = { "passed", "failed", "skipped", "xfailed",
                                         "xpassed", "flaky" };
    json_t *t = json_object(), *c;
    size_t i;

    for (size_t k = 0; k < 6; k++)
        json_object_set_new(t, names[k], json_integer(0));
    json_array_foreach((json_t *)cases, i, c) {
        const char *st = json_string_value(json_object_get(c, "status"));
        json_t *v = st ? json_object_get(t, st) : NULL;
        if (v)
            json_integer_set(v, json_integer_value(v) + 1);
    }
    return t;
}
