/*
 * hs_contract: the clause table and each clause's judge. See hs_contract.h.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "judge/hs_contract.h"
#include "judge/hs_dialect.h"
#include "scenario/hs_match.h"
#include "util/hs_escape.h"

void hs_reason(json_t *reasons, int clause, int step, int line, const char *fmt, ...)
{
    char msg[1024];
    char *clean;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Messages quote peer bytes: keep them valid UTF-8 for the results. */
    clean = hs_escape_sanitize((const unsigned char *)msg, strlen(msg));
    json_array_append_new(reasons, json_pack("{s:i,s:o,s:o,s:s}", "clause", clause,
                                             "step", step >= 0 ? json_integer(step) : json_null(),
                                             "line", line > 0 ? json_integer(line) : json_null(),
                                             "message", clean ? clean : "?"));
    free(clean);
}

/*
 * A breach of clause k. The "(contract k)" that ends every message is
 * added here, so that no message can name another clause than its reason.
 */
void hs_contract_breach(json_t *reasons, int k, int step, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hs_reason(reasons, k, step, line, "%s (contract %d)", msg, k);
}

#define breach hs_contract_breach

int hs_contract_upgrade(const hs_record *r, json_t *reasons)
{
    int n = 0;
    size_t i;
    json_t *h;

    for (size_t k = 0; k < r->nclients; k++) {
        const hs_client *c = r->clients[k];

        if (c->hs.status >= 500) {
            breach(reasons, 1, c->step, c->line, "upgrade on %s answered HTTP %d",
                   c->name, c->hs.status);
            n++;
        }
    }
    json_array_foreach(r->http_statuses, i, h) {
        int status = (int)json_integer_value(json_object_get(h, "status"));

        if (status >= 500) {
            breach(reasons, 1, (int)json_integer_value(json_object_get(h, "step")),
                   (int)json_integer_value(json_object_get(h, "line")), "%s answered HTTP %d",
                   json_string_value(json_object_get(h, "what")), status);
            n++;
        }
    }
    return n;
}

int hs_contract_close(const hs_record *r, json_t *reasons)
{
    int n = 0;

    for (size_t k = 0; k < r->nclients; k++) {
        const hs_client *c = r->clients[k];

        /* A 1011 for a missed pong is told apart from a crash only where the
         * profile says the target ends dead peers so (hs_client). */
        if (c->close_code == 1011 && !c->keepalive_close) {
            breach(reasons, 2, c->step, c->line, "%s was closed with 1011 "
                   "(internal error)", c->name);
            n++;
        } else if (c->close_code == 1006 && !c->abnormal_ok && !r->transport_faults) {
            breach(reasons, 2, c->step, c->line, "%s ended without a close frame "
                   "(1006, abnormal)", c->name);
            n++;
        } else if (c->close_code && !c->closed_by_us && !c->close_expected &&
                   !c->abnormal_ok && !(r->transport_faults && c->close_code == 1006)) {
            breach(reasons, 2, c->step, c->line, "server closed %s with %d, "
                   "which the scenario did not expect", c->name, c->close_code);
            n++;
        }
    }
    return n;
}

/* The answer to one request must be exactly one of the allowed shapes:
 * the agent events of the dialect in order, or one error, or one pong. */
static int answer_shape_ok(const hs_profile *p, const json_t *events)
{
    const char *first = json_string_value(json_array_get(events, 0));

    if (json_array_size(events) == 1 &&
        (strcmp(first, HS_ANSWER_ERROR) == 0 || strcmp(first, HS_ANSWER_PONG) == 0))
        return 1;
    return hs_dialect_complete(p, events);
}

static int check_request(const hs_client *c, const hs_request *q, json_t *reasons)
{
    char *seen;

    if (q->exempt)
        return 0;
    if (!q->terminal) {
        breach(reasons, 3, c->step, c->line, "request %s on %s got no terminal "
               "answer (%zu frames for it)", q->id, c->name,
               json_array_size(q->events));
        return 1;
    }
    if (answer_shape_ok(c->profile, q->events))
        return 0;
    seen = json_dumps(q->events, JSON_COMPACT);
    breach(reasons, 3, c->step, c->line, "request %s on %s: answer is not the %zu "
           "events in order nor one error: %.300s", q->id, c->name,
           hs_profile_nevents(c->profile), seen ? seen : "?");
    free(seen);
    return 1;
}

/* Reasons listed per connection for clause 3: a flood left unanswered
 * (a slow consumer's 20,000 requests) reads as these and a count. */
#define ANSWERS_LISTED 10

static int client_answers(const hs_record *r, const hs_client *c, json_t *reasons)
{
    /* A connection cut by an expected close or a broken transport owes
     * nothing for the requests still in flight. */
    int cut = c->close_expected || c->abnormal_ok ||
              (r->transport_faults && c->close_code == 1006);
    json_t *mine = json_array();
    int n = 0;

    for (size_t i = 0; i < c->nreqs; i++)
        if (!(cut && !c->reqs[i].terminal))
            n += check_request(c, &c->reqs[i], mine);
    for (size_t i = 0; i < json_array_size(mine) && i < ANSWERS_LISTED; i++)
        json_array_append(reasons, json_array_get(mine, i));
    if (json_array_size(mine) > ANSWERS_LISTED)
        breach(reasons, 3, c->step, c->line, "and %zu more requests on %s got no terminal "
               "answer or a wrong one", json_array_size(mine) - ANSWERS_LISTED, c->name);
    json_decref(mine);
    return n;
}

int hs_contract_answers(const hs_record *r, json_t *reasons)
{
    int n = 0;

    for (size_t k = 0; k < r->nclients; k++)
        n += client_answers(r, r->clients[k], reasons);
    return n;
}

int hs_contract_visible(const hs_record *r, json_t *reasons)
{
    int n = 0, degraded = 0;

    for (size_t k = 0; k < r->nclients; k++) {
        const hs_client *c = r->clients[k];

        degraded |= c->notices > 0 || c->degraded_before_notice;
        if (c->degraded_before_notice) {
            breach(reasons, 4, c->step, c->line, "%s got degraded answers before any "
                   "degraded notice", c->name);
            n++;
        }
    }
    if (degraded && r->has_health && r->health_final &&
        !hs_dialect_names_failure(r->profile, r->health_final)) {
        breach(reasons, 4, -1, 0, "the session was degraded but its health names no "
               "failed dependency");
        n++;
    }
    return n;
}

const char *hs_contract_sanitizer(const char *text, char *line, size_t len)
{
    static const char *const marks[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
        "runtime error:", "WARNING: ThreadSanitizer", "ERROR: MemorySanitizer", NULL };
    const char *hit = NULL;

    for (size_t i = 0; text && marks[i] && !hit; i++)
        hit = strstr(text, marks[i]);
    if (!hit)
        return NULL;
    while (hit > text && hit[-1] != '\n')
        hit--;
    snprintf(line, len, "%.*s", (int)strcspn(hit, "\n"), hit);
    return hit;
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "ended with wait status %d", status);
}

static int counts_back(const hs_record *r, json_t *reasons)
{
    const json_t *h = r->health_settled;
    json_int_t conns, handlers, base;

    if (!r->has_health || !h || hs_dialect_count(h, r->profile->health.handlers) < 0)
        return 0;
    conns = hs_dialect_count(h, r->profile->health.connections);
    handlers = hs_dialect_count(h, r->profile->health.handlers);
    base = r->profile->health.handlers_baseline
         ? hs_dialect_count(h, r->profile->health.handlers_baseline) : 0;
    if (hs_dialect_settled(r->profile, h))
        return 0;
    breach(reasons, 5, -1, 0, "counts did not return to baseline after every client "
           "left: %lld connections, %lld handlers (baseline %lld)",
           (long long)conns, (long long)handlers, (long long)base);
    return 1;
}

int hs_contract_survival(const hs_record *r, json_t *reasons)
{
    char what[200], line[300];
    int n = counts_back(r, reasons);

    if (r->spawned && r->died) {
        describe_status(r->stop_status, what, sizeof(what));
        breach(reasons, 5, -1, 0, "the gateway died during the scenario: %s", what);
        n++;
    } else if (r->spawned && !r->kept && (r->stop_killed || !WIFEXITED(r->stop_status) ||
                              WEXITSTATUS(r->stop_status) != 0)) {
        describe_status(r->stop_status, what, sizeof(what));
        breach(reasons, 5, -1, 0, "the gateway did not shut down cleanly on SIGTERM: "
               "%s%s", what, r->stop_killed ? " after SIGKILL" : "");
        n++;
    }
    if (hs_contract_sanitizer(r->stderr_text, line, sizeof(line))) {
        breach(reasons, 5, -1, 0, "sanitizer report in the gateway's stderr: %.200s",
               line);
        n++;
    }
    return n;
}

/* One log line: a JSON object whose "state", when present, is a string. */
static const char *log_line_problem(const json_t *j)
{
    json_t *st;

    if (!json_is_object(j))
        return "is not one JSON object";
    if ((st = json_object_get(j, "state")) && !json_is_string(st) &&
        !(json_is_null(st) && json_object_get(j, "log_error")))
        return "has a state that is not a string";
    return NULL;
}

/* ---- each connection's lifecycle in the logs (seed enum-log) ---------------- */

/*
 * A gateway whose profile names its lifecycle lines (the reference's:
 * {"event": "conn_state", "conn": N, "state": S}) logs every step of a
 * connection's life: accepted, authenticated, ready or degraded, closing,
 * closed. Seed enum-log is about exactly these lines: a state the logger
 * could not write once killed the connection. Each connection's states are
 * collected in order, then judged whole.
 */
static void lifecycle_add(const hs_profile *p, json_t *conns, const json_t *line)
{
    char why[8], key[32];
    const json_t *conn, *st;
    json_t *seq;

    if (!p->lifecycle || !hs_match(p->lifecycle, line, why, sizeof(why)))
        return;
    conn = hs_match_path(line, p->lifecycle_conn);
    st = hs_match_path(line, p->lifecycle_state);
    if (!json_is_integer(conn))
        return;
    snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(conn));
    seq = json_object_get(conns, key);
    if (!seq) {
        seq = json_array();
        json_object_set_new(conns, key, seq);
    }
    json_array_append_new(seq, json_is_string(st) ? json_copy((json_t *)st) : json_null());
}

/* A state's place in the life of a connection; -1 for none we know. */
static int lifecycle_rank(const char *s)
{
    static const char *const order[] = { "accepted", "authenticated", "ready", "closing",
                                         "closed" };

    if (strcmp(s, "degraded") == 0)
        return 2;
    for (int i = 0; i < 5; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return -1;
}

/* What is wrong with one connection's states, or NULL. complete: the
 * gateway exited cleanly, so every connection must have ended. */
static const char *lifecycle_problem(const json_t *seq, int complete)
{
    int prev = -1, closing = 0, r = 0;
    const json_t *st;
    size_t i;

    json_array_foreach((json_t *)seq, i, st) {
        if (!json_is_string(st))
            return NULL;        /* a state the logger could not write: log_error says so */
        r = lifecycle_rank(json_string_value(st));
        if (r < 0)
            return "has a state outside accepted, authenticated, ready, degraded, "
                   "closing, closed";
        if (i == 0 && r != 0)
            return "does not start with accepted";
        if (r < prev || (r == prev && r != 2))
            return "is out of order";
        if (r == 2 && prev < 1)
            return "is ready or degraded without authenticated";
        closing |= r == 3;
        prev = r;
    }
    if (prev == 4 && !closing)
        return "ends closed without closing";
    if (complete && prev != 4)
        return "never reaches closed";
    return NULL;
}

/* Every connection's states, joined for a message: "accepted -> ready". */
static void lifecycle_text(const json_t *seq, char *buf, size_t len)
{
    const json_t *st;
    size_t i, used = 0;

    buf[0] = '\0';
    json_array_foreach((json_t *)seq, i, st)
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " -> " : "",
                                     json_is_string(st) ? json_string_value(st) : "null");
}

static int lifecycle_check(const hs_record *r, const json_t *conns, json_t *reasons)
{
    int complete = r->spawned && !r->died && !r->stop_killed &&
                   WIFEXITED(r->stop_status) && WEXITSTATUS(r->stop_status) == 0;
    const char *key, *why;
    const json_t *seq;
    char states[300];

    json_object_foreach((json_t *)conns, key, seq) {
        why = lifecycle_problem(seq, complete);
        if (!why)
            continue;
        lifecycle_text(seq, states, sizeof(states));
        breach(reasons, 6, -1, 0, "connection %s's state lines %s: %s", key, why, states);
        return 1;
    }
    return 0;
}

int hs_contract_logs(const hs_record *r, json_t *reasons)
{
    const char *p = r->stderr_text;
    int lineno = 0, bad = 0;
    char first[400] = "";
    json_t *conns;

    /* A sanitizer report is judged by clause 5; its lines are not logs. */
    if (!p || hs_contract_sanitizer(p, first, sizeof(first)))
        return 0;
    if (!r->profile->logs_json) {
        hs_contract_unverified(r, 6, "the profile says this target's stderr is not JSON "
                               "lines");
        return 0;
    }
    conns = json_object();
    while (*p) {
        size_t len = strcspn(p, "\n");
        json_t *j = len ? json_loadb(p, len, 0, NULL) : NULL;
        const char *why = len ? log_line_problem(j) : NULL;

        lineno++;
        if (why && bad++ == 0)
            snprintf(first, sizeof(first), "log line %d %s: %.160s", lineno, why, p);
        else if (j)
            lifecycle_add(r->profile, conns, j);
        json_decref(j);
        p += len + (p[len] == '\n');
    }
    if (bad)
        breach(reasons, 6, -1, 0, "%s (%d bad line%s)", first, bad, bad == 1 ? "" : "s");
    if (!r->profile->lifecycle)
        hs_contract_unverified(r, 6, "the profile names no connection-state log lines");
    bad = bad ? 1 : lifecycle_check(r, conns, reasons);
    json_decref(conns);
    return bad;
}

/* Where clause 7 reads fault hits: the counting library or the health
 * document, as the profile says. */
static json_t *fault_counters(const hs_record *r)
{
    if (r->profile->hits == HS_HITS_PRELOAD)
        return r->fault_counts;
    return r->health_final ? hs_dialect_faults(r->profile, r->health_final) : NULL;
}

int hs_contract_fired(const hs_record *r, json_t *reasons)
{
    json_t *counters = fault_counters(r);
    json_t *f;
    size_t i;
    int n = 0;

    if (r->profile->hits == HS_HITS_NONE || (r->profile->hits == HS_HITS_PRELOAD &&
                                            !r->fault_counts)) {
        if (json_array_size(r->faults_enabled))
            hs_contract_unverified(r, 7, r->profile->hits == HS_HITS_NONE
                                   ? "nothing counts this target's fault hits (its profile "
                                     "says \"fault_hits\": \"none\")"
                                   : r->counts_err ? r->counts_err
                                   : "the counting library gave no counts");
        return 0;
    }
    json_array_foreach(r->faults_enabled, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *c = json_object_get(counters, name);

        if (!json_is_true(json_object_get(f, "expect_fire")))
            continue;
        if (!c) {
            breach(reasons, 7, -1, 0, "%s enabled, but the target reports no counter "
                   "for it, so its firing cannot be proved", name);
            n++;
        } else if (json_integer_value(json_object_get(c, "fired")) == 0) {
            breach(reasons, 7, -1, 0, "%s enabled but never fired (reached %lld times)",
                   name, (long long)json_integer_value(json_object_get(c, "reached")));
            n++;
        }
    }
    return n;
}

/* The contract, in the order clauses are judged and numbered. */
static const hs_clause clauses[HS_CONTRACT_CLAUSES] = {
    { 1, "upgrade", "a well-formed upgrade gets 101, never 5xx", hs_contract_upgrade },
    { 2, "close", "no close 1011, no abnormal close unless the transport was broken",
      hs_contract_close },
    { 3, "answers", "every request gets a terminal answer, events in order",
      hs_contract_answers },
    { 4, "visible", "degraded operation is visible: a notice, and /health names it",
      hs_contract_visible },
    { 5, "survival", "the target survives, no sanitizer report, counts back to baseline",
      hs_contract_survival },
    { 6, "logs", "every log line is one JSON object, states are strings", hs_contract_logs },
    { 7, "fired", "an enabled fault that never fired has tested nothing", hs_contract_fired },
};

const hs_clause *hs_contract_clause(long long k)
{
    return k >= 1 && k <= HS_CONTRACT_CLAUSES ? &clauses[k - 1] : NULL;
}

int hs_contract_check(const hs_record *r, json_t *reasons)
{
    int n = 0;

    for (size_t k = 0; k < HS_CONTRACT_CLAUSES; k++)
        n += clauses[k].judge(r, reasons);
    return n;
}

json_t *hs_contract_fault_counts(const hs_profile *p, const json_t *health)
{
    json_t *out = json_object(), *f;
    const char *name;

    json_object_foreach(health ? hs_dialect_faults(p, health) : NULL, name, f)
        if (json_integer_value(json_object_get(f, "reached")) > 0)
            json_object_set_new(out, name, json_pack("{s:O,s:O}", "reached",
                                json_object_get(f, "reached"), "fired",
                                json_object_get(f, "fired")));
    return out;
}

void hs_contract_unverified(const hs_record *r, int clause, const char *why)
{
    if (r->unverified)
        json_array_append_new(r->unverified, json_pack("{s:i,s:s}", "clause", clause,
                                                       "why", why));
}
