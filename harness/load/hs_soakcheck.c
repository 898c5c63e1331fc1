/*
 * hs_soakcheck: the soak history and its checker. See hs_soakcheck.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "judge/hs_dialect.h"
#include "load/hs_soakcheck.h"
#include "scenario/hs_match.h"

#define MAX_CODES 64            /* distinct error codes kept by name */
#define CODE_LEN 48             /* an error code is cut to this many bytes */
#define ORDER_KEPT 8            /* frames of one request remembered in order */
#define NEVENTS HS_SOAKCHECK_NEVENTS
#define DEFAULT_MESSAGES 50

typedef enum { E_INVOKE, E_FRAME, E_UPGRADE, E_END, E_GARBAGE } entry_kind;

/* What a frame was, as far as the checker cares. Agent events are 0..4. */
enum { W_ERROR = NEVENTS, W_PONG, W_NOTICE, W_OTHER };

/* Frame request references beside a request index. */
#define REF_NONE -1             /* no request_id at all */
#define REF_FOREIGN -2          /* an id this history never issued */

typedef struct entry {
    double t;
    long conn;
    long req;                   /* invoke: itself; frame: the id it names */
    int client;
    int code;                   /* error code index, HTTP status, close code */
    unsigned char kind, what, degraded, by_client;
} entry;

typedef struct request {
    double t;
    long conn;
    int client, seq, attempt;
    unsigned char kind;
} request;

struct hs_soakcheck_history {
    const hs_profile *profile;  /* the target's dialect: names, ids, codes */
    entry *v;
    size_t n, cap;
    request *r;
    size_t nr, capr;
    char *codes[MAX_CODES];     /* interned strings, already escaped */
    size_t ncodes;
};

hs_soakcheck_history *hs_soakcheck_new(const hs_profile *profile)
{
    hs_soakcheck_history *h;

    if (hs_profile_nevents(profile) != NEVENTS)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (h)
        h->profile = profile;
    return h;
}

void hs_soakcheck_free(hs_soakcheck_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->ncodes; i++)
        free(h->codes[i]);
    free(h->v);
    free(h->r);
    free(h);
}

static entry *push(hs_soakcheck_history *h, entry_kind kind, int client, long conn, double t)
{
    entry *e;

    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        entry *v = realloc(h->v, cap * sizeof(*v));

        if (!v)
            return NULL;
        h->v = v;
        h->cap = cap;
    }
    e = &h->v[h->n++];
    memset(e, 0, sizeof(*e));
    e->kind = (unsigned char)kind;
    e->client = client;
    e->conn = conn;
    e->t = t;
    e->req = REF_NONE;
    return e;
}

long hs_soakcheck_invoke(hs_soakcheck_history *h, int client, long conn, hs_soakcheck_req_kind kind,
                    int seq, int attempt, double t_ms)
{
    request *q;
    entry *e;

    if (h->nr == h->capr) {
        size_t cap = h->capr ? h->capr * 2 : 1024;
        request *r = realloc(h->r, cap * sizeof(*r));

        if (!r)
            return -1;
        h->r = r;
        h->capr = cap;
    }
    e = push(h, E_INVOKE, client, conn, t_ms);
    if (!e)
        return -1;
    q = &h->r[h->nr];
    q->t = t_ms;
    q->conn = conn;
    q->client = client;
    q->seq = seq;
    q->attempt = attempt;
    q->kind = (unsigned char)kind;
    e->req = (long)h->nr;
    return (long)h->nr++;
}

void hs_soakcheck_request_id(long idx, char *buf, size_t len)
{
    snprintf(buf, len, "r%ld", idx);
}

/*
 * Intern a string that came from the peer: escaped for a terminal and cut,
 * so no message built from it can carry raw bytes. Past MAX_CODES distinct
 * strings everything shares the last slot.
 */
static int intern(hs_soakcheck_history *h, const char *s, size_t n)
{
    hs_buf b = HS_BUF_INIT;

    hs_escape_term(s, n < CODE_LEN ? n : CODE_LEN, &b);
    for (size_t i = 0; i < h->ncodes; i++)
        if (b.p && strcmp(h->codes[i], b.p) == 0) {
            hs_buf_free(&b);
            return (int)i;
        }
    if (h->ncodes == MAX_CODES - 1 || !b.p) {
        hs_buf_free(&b);
        if (h->ncodes < MAX_CODES)
            h->codes[h->ncodes++] = strdup("(other)");
        return (int)h->ncodes - 1;
    }
    h->codes[h->ncodes] = b.p;
    return (int)h->ncodes++;
}

static const char *code_name(const hs_soakcheck_history *h, int i)
{
    return i >= 0 && (size_t)i < h->ncodes && h->codes[i] ? h->codes[i] : "(none)";
}

/* What a frame is, read through the profile (hs_dialect's labels). */
static unsigned char frame_what(const hs_profile *p, const json_t *frame)
{
    const char *label = hs_dialect_answer(p, frame);

    if (!label)
        return W_OTHER;
    for (int i = 0; i < NEVENTS; i++)
        if (strcmp(label, hs_dialect_event(p, (size_t)i)) == 0)
            return (unsigned char)i;
    if (strcmp(label, HS_ANSWER_ERROR) == 0)
        return W_ERROR;
    if (strcmp(label, HS_ANSWER_PONG) == 0)
        return W_PONG;
    return strcmp(label, HS_ANSWER_NOTICE) == 0 ? W_NOTICE : W_OTHER;
}

/* "r<digits>" naming a request of this history, else REF_FOREIGN. */
static long parse_ref(const hs_soakcheck_history *h, const json_t *id)
{
    const char *s = json_string_value(id);
    char *end;
    long n;

    if (!id || json_is_null(id))
        return REF_NONE;
    if (!s || s[0] != 'r' || s[1] < '0' || s[1] > '9')
        return REF_FOREIGN;
    n = strtol(s + 1, &end, 10);
    if (*end || n < 0 || (size_t)n >= h->nr)
        return REF_FOREIGN;
    return n;
}

int hs_soakcheck_frame(hs_soakcheck_history *h, int client, long conn, const json_t *frame,
                  double t_ms)
{
    entry *e = push(h, E_FRAME, client, conn, t_ms);
    const char *code;

    if (!e)
        return HS_SOAKCHECK_ERR;
    e->what = frame_what(h->profile, frame);
    e->req = parse_ref(h, hs_dialect_answer_id(h->profile, frame));
    e->degraded = hs_dialect_degraded(h->profile, frame);
    e->code = -1;
    code = json_string_value(hs_match_path(frame, h->profile->answers.error_code));
    if (e->what == W_ERROR && code)
        e->code = intern(h, code, strlen(code));
    return HS_SOAKCHECK_OK;
}

int hs_soakcheck_upgrade(hs_soakcheck_history *h, int client, long conn, int status, double t_ms)
{
    entry *e = push(h, E_UPGRADE, client, conn, t_ms);

    if (!e)
        return HS_SOAKCHECK_ERR;
    e->code = status;
    return HS_SOAKCHECK_OK;
}

int hs_soakcheck_end(hs_soakcheck_history *h, int client, long conn, int code, int by_client,
                double t_ms)
{
    entry *e = push(h, E_END, client, conn, t_ms);

    if (!e)
        return HS_SOAKCHECK_ERR;
    e->code = code;
    e->by_client = by_client ? 1 : 0;
    return HS_SOAKCHECK_OK;
}

int hs_soakcheck_garbage(hs_soakcheck_history *h, int client, long conn, const char *what,
                    double t_ms)
{
    entry *e = push(h, E_GARBAGE, client, conn, t_ms);

    if (!e)
        return HS_SOAKCHECK_ERR;
    e->code = intern(h, what, strlen(what));
    return HS_SOAKCHECK_OK;
}

size_t hs_soakcheck_requests(const hs_soakcheck_history *h)
{
    return h->nr;
}

size_t hs_soakcheck_entries(const hs_soakcheck_history *h)
{
    return h->n;
}

/* ---- the checker ------------------------------------------------------- */

/* Everything received for one request. Counters saturate at 255. */
typedef struct acc {
    unsigned char count[NEVENTS];
    unsigned char order[ORDER_KEPT];
    unsigned char norder;
    unsigned char errors, pongs, deg_true, deg_false;
    int code;                   /* first error's interned code, -1 none */
    int foreign_client;         /* first other client it reached, -1 none */
    long foreign_conn;          /* first other connection of its client, -1 */
    double t_end;               /* terminal frame */
} acc;

typedef struct conn_info {
    int client;
    int status;                 /* upgrade status, 0 none seen */
    int end;                    /* close code; 0 while open */
    int ended, by_client, notice, degraded_early;
} conn_info;

typedef enum { OUT_OK, OUT_OK_DEGRADED, OUT_FAILED, OUT_UNKNOWN, OUT_BAD } outcome;

typedef struct checker {
    const hs_soakcheck_history *h;
    const hs_soakcheck_opts *o;
    acc *a;
    conn_info *c;
    long nconn;
    size_t violations, max_messages;
    json_t *messages;
    json_t *closes;
    size_t cut, upgrade_cut, frames;
} checker;

static void inc(unsigned char *v)
{
    if (*v < 255)
        (*v)++;
}

static void violation(checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void violation(checker *k, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    k->violations++;
    if (json_array_size(k->messages) >= k->max_messages)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_array_append_new(k->messages, json_string(msg));
}

static void name_request(const checker *k, long i, char *buf, size_t len)
{
    const request *q = &k->h->r[i];

    snprintf(buf, len, "r%ld (client %d, request %d, attempt %d, connection %ld)", i,
             q->client, q->seq, q->attempt, q->conn);
}

static const char *what_name(const hs_profile *p, unsigned char w)
{
    static const char *const other[] = { "error", "pong", "notice", "other" };

    return w < NEVENTS ? hs_dialect_event(p, w) : other[w - NEVENTS];
}

static conn_info *conn_of(checker *k, long conn)
{
    return conn >= 0 && conn < k->nconn ? &k->c[conn] : NULL;
}

static void count_close(checker *k, int code)
{
    char key[32];
    json_t *v;

    if (code == HS_SOAKCHECK_TIMEOUT)
        snprintf(key, sizeof(key), "timeout");
    else if (code == HS_SOAKCHECK_ABNORMAL)
        snprintf(key, sizeof(key), "abnormal");
    else
        snprintf(key, sizeof(key), "%d", code);
    v = json_object_get(k->closes, key);
    json_object_set_new(k->closes, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* A frame for request i, received by its own client on its own connection. */
static void add_frame(checker *k, long i, const entry *e)
{
    acc *a = &k->a[i];

    if (a->norder < ORDER_KEPT)
        a->order[a->norder] = e->what;
    inc(&a->norder);
    if (e->what < NEVENTS)
        inc(&a->count[e->what]);
    else if (e->what == W_ERROR && a->errors++ == 0)
        a->code = e->code;
    else if (e->what == W_PONG)
        inc(&a->pongs);
    inc(e->degraded ? &a->deg_true : &a->deg_false);
    if (e->what == NEVENTS - 1 || e->what == W_ERROR || e->what == W_PONG)
        a->t_end = e->t;
}

static void on_frame(checker *k, const entry *e)
{
    conn_info *c = conn_of(k, e->conn);
    const request *q;

    k->frames++;
    if (e->what == W_NOTICE && c)
        c->notice = 1;
    if (e->degraded && c && !c->notice && e->what != W_NOTICE && !c->degraded_early) {
        c->degraded_early = 1;
        violation(k, "connection %ld (client %d): a degraded answer came before any "
                  "degraded notice", e->conn, e->client);
    }
    if (e->req == REF_FOREIGN) {
        violation(k, "connection %ld (client %d): %s frame names a request id that "
                  "was never sent", e->conn, e->client, what_name(k->h->profile, e->what));
        return;
    }
    if (e->req == REF_NONE) {
        if (e->what != W_NOTICE && e->what != W_OTHER)
            violation(k, "connection %ld (client %d): %s frame without a request id",
                      e->conn, e->client, what_name(k->h->profile, e->what));
        return;
    }
    q = &k->h->r[e->req];
    if (q->client != e->client) {
        if (k->a[e->req].foreign_client < 0)
            k->a[e->req].foreign_client = e->client;
        return;
    }
    if (q->conn != e->conn) {
        if (k->a[e->req].foreign_conn < 0)
            k->a[e->req].foreign_conn = e->conn;
        return;
    }
    add_frame(k, e->req, e);
}

static void on_upgrade(checker *k, const entry *e)
{
    conn_info *c = conn_of(k, e->conn);

    if (c)
        c->status = e->code;
    if (e->code != 101)
        violation(k, "connection %ld (client %d): the upgrade was answered HTTP %d "
                  "instead of 101%s", e->conn, e->client, e->code,
                  e->code >= 500 ? " (a 5xx)" : "");
}

/* Which ends the contract allows, and which of them are cuts. */
static void on_end(checker *k, const entry *e)
{
    conn_info *c = conn_of(k, e->conn);
    int code = e->code;

    count_close(k, code);
    if (c) {
        c->ended = 1;
        c->end = code;
        c->by_client = e->by_client;
    }
    if (code == HS_SOAKCHECK_ABNORMAL) {
        k->cut++;
        if (c && c->status == 0)
            k->upgrade_cut++;
        if (!k->o->transport_faults)
            violation(k, "connection %ld (client %d) ended without a close frame "
                      "(abnormal) while no transport fault was injected", e->conn, e->client);
        return;
    }
    if (code == HS_SOAKCHECK_TIMEOUT) {
        if (c && c->status == 0)
            violation(k, "connection %ld (client %d): the upgrade got no answer before "
                      "the client's timeout", e->conn, e->client);
        else if (e->by_client)
            violation(k, "connection %ld (client %d): the client's close got no answer "
                      "before its timeout", e->conn, e->client);
        return;
    }
    if (code == 1013 || (e->by_client && code == 1000))
        return;
    violation(k, "connection %ld (client %d) was closed with %d%s", e->conn, e->client,
              code, code == 1011 ? " (internal error)" : e->by_client ?
              " in answer to the client's 1000" : ", which the contract does not allow here");
}

static void walk(checker *k)
{
    const hs_soakcheck_history *h = k->h;

    for (size_t i = 0; i < h->n; i++) {
        const entry *e = &h->v[i];
        conn_info *c = conn_of(k, e->conn);

        if (c && c->client < 0)
            c->client = e->client;
        switch (e->kind) {
        case E_FRAME: on_frame(k, e); break;
        case E_UPGRADE: on_upgrade(k, e); break;
        case E_END: on_end(k, e); break;
        case E_GARBAGE:
            violation(k, "connection %ld (client %d): %s", e->conn, e->client,
                      code_name(h, e->code));
            break;
        default: break;
        }
    }
}

static void list_order(const hs_profile *p, const acc *a, hs_buf *b)
{
    size_t n = a->norder < ORDER_KEPT ? a->norder : ORDER_KEPT;

    if (n == 0)
        hs_buf_puts(b, "nothing");
    for (size_t i = 0; i < n; i++)
        hs_buf_printf(b, "%s%s", i ? ", " : "", what_name(p, a->order[i]));
    if (a->norder > n)
        hs_buf_puts(b, ", ...");
}

/* Duplicated, misordered or lost events; 0 when the events are a clean prefix. */
static int event_problem(const hs_profile *p, const acc *a, char *why, size_t len)
{
    int last = -1, highest = -1;
    size_t n = a->norder < ORDER_KEPT ? a->norder : ORDER_KEPT;

    for (int i = 0; i < NEVENTS; i++)
        if (a->count[i] > 1) {
            snprintf(why, len, "%s delivered %d times", hs_dialect_event(p, (size_t)i),
                     a->count[i]);
            return 1;
        }
    for (size_t i = 0; i < n; i++) {
        if (a->order[i] >= NEVENTS)
            continue;
        if (a->order[i] < last) {
            snprintf(why, len, "%s arrived after %s (misordered)",
                     hs_dialect_event(p, a->order[i]), hs_dialect_event(p, (size_t)last));
            return 1;
        }
        last = a->order[i];
        highest = last > highest ? last : highest;
    }
    for (int i = 0; i < highest; i++)
        if (!a->count[i]) {
            snprintf(why, len, "%s lost", hs_dialect_event(p, (size_t)i));
            return 1;
        }
    return 0;
}

static int events_seen(const acc *a)
{
    int n = 0;

    for (int i = 0; i < NEVENTS; i++)
        n += a->count[i];
    return n;
}

/* No complete answer: an injected cut or a 1013 explains it, nothing else. */
static outcome unanswered(checker *k, long i, const acc *a, char *why, size_t len)
{
    const conn_info *c = conn_of(k, k->h->r[i].conn);
    int end = c && c->ended ? c->end : 0;

    if (end == HS_SOAKCHECK_ABNORMAL && k->o->transport_faults)
        return OUT_UNKNOWN;
    if (end == 1013 && events_seen(a) == 0 && !a->pongs)
        return OUT_FAILED;
    if (!c || !c->ended)
        snprintf(why, len, "no outcome: the connection was still open at the end");
    else if (end == HS_SOAKCHECK_TIMEOUT)
        snprintf(why, len, "no outcome before the client's timeout");
    else if (end == HS_SOAKCHECK_ABNORMAL)
        snprintf(why, len, "no outcome: the connection ended abnormally");
    else
        snprintf(why, len, "no outcome: the connection was closed with %d", end);
    return OUT_BAD;
}

static outcome classify_agent(checker *k, long i, const acc *a, char *why, size_t len)
{
    int n = events_seen(a);

    if (event_problem(k->h->profile, a, why, len))
        return OUT_BAD;
    if (a->errors > 1) {
        snprintf(why, len, "%d error frames", a->errors);
        return OUT_BAD;
    }
    if (a->errors && n) {
        snprintf(why, len, "an error frame and %d agent events", n);
        return OUT_BAD;
    }
    if (a->pongs) {
        snprintf(why, len, "a pong answered an agent request");
        return OUT_BAD;
    }
    if (a->errors)
        return OUT_FAILED;
    if (n < NEVENTS)
        return unanswered(k, i, a, why, len);
    if (a->deg_true && a->deg_false) {
        snprintf(why, len, "the 5 events disagree on degraded");
        return OUT_BAD;
    }
    return a->deg_true ? OUT_OK_DEGRADED : OUT_OK;
}

static outcome classify_ping(checker *k, long i, const acc *a, char *why, size_t len)
{
    if (events_seen(a) || a->pongs + a->errors > 1) {
        snprintf(why, len, "more than one answer to a ping");
        return OUT_BAD;
    }
    if (a->errors)
        return OUT_FAILED;
    return a->pongs ? OUT_OK : unanswered(k, i, a, why, len);
}

/* One request's outcome; a violation names the request and what it got. */
static outcome classify(checker *k, long i)
{
    const acc *a = &k->a[i];
    char why[200] = "", name[160];
    hs_buf got = HS_BUF_INIT;
    outcome out;

    if (a->foreign_client >= 0)
        snprintf(why, sizeof(why), "delivered to client %d, another user",
                 a->foreign_client);
    else if (a->foreign_conn >= 0)
        snprintf(why, sizeof(why), "delivered on connection %ld, not the one that "
                 "sent it", a->foreign_conn);
    out = why[0] ? OUT_BAD
        : k->h->r[i].kind == HS_SOAKCHECK_PING ? classify_ping(k, i, a, why, sizeof(why))
        : classify_agent(k, i, a, why, sizeof(why));
    if (out != OUT_BAD)
        return out;
    name_request(k, i, name, sizeof(name));
    list_order(k->h->profile, a, &got);
    violation(k, "%s: %s (got %s)", name, why, got.p ? got.p : "?");
    hs_buf_free(&got);
    return OUT_BAD;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *v, size_t n, double q)
{
    size_t r = (size_t)ceil(q * (double)n);

    return n ? v[r ? r - 1 : 0] : 0.0;
}

static json_t *latency_json(double *lat, size_t n)
{
    qsort(lat, n, sizeof(*lat), cmp_double);
    return json_pack("{s:f,s:f,s:f,s:I}", "p50", percentile(lat, n, 0.50),
                     "p99", percentile(lat, n, 0.99), "max", n ? lat[n - 1] : 0.0,
                     "count", (json_int_t)n);
}

/* The last attempt of each logical request decides its final outcome. */
static json_t *final_json(const checker *k, const unsigned char *outs)
{
    size_t ok = 0, failed = 0, unresolved = 0, logical = 0;
    int maxc = 0, maxs = 0;
    long *last;

    for (size_t i = 0; i < k->h->nr; i++) {
        maxc = k->h->r[i].client > maxc ? k->h->r[i].client : maxc;
        maxs = k->h->r[i].seq > maxs ? k->h->r[i].seq : maxs;
    }
    last = malloc(((size_t)maxc + 1) * ((size_t)maxs + 1) * sizeof(*last));
    if (!last || k->h->nr == 0) {
        free(last);
        return json_pack("{s:i,s:i,s:i,s:i}", "logical", 0, "ok", 0, "failed", 0,
                         "unresolved", 0);
    }
    memset(last, 0xff, ((size_t)maxc + 1) * ((size_t)maxs + 1) * sizeof(*last));
    for (size_t i = 0; i < k->h->nr; i++)
        last[(size_t)k->h->r[i].client * ((size_t)maxs + 1) + (size_t)k->h->r[i].seq] = (long)i;
    for (size_t j = 0; j < ((size_t)maxc + 1) * ((size_t)maxs + 1); j++) {
        if (last[j] < 0)
            continue;
        logical++;
        ok += outs[last[j]] == OUT_OK || outs[last[j]] == OUT_OK_DEGRADED;
        failed += outs[last[j]] == OUT_FAILED;
        unresolved += outs[last[j]] == OUT_UNKNOWN || outs[last[j]] == OUT_BAD;
    }
    free(last);
    return json_pack("{s:I,s:I,s:I,s:I}", "logical", (json_int_t)logical, "ok",
                     (json_int_t)ok, "failed", (json_int_t)failed, "unresolved",
                     (json_int_t)unresolved);
}

static void count_code(json_t *codes, const char *name)
{
    json_t *v = json_object_get(codes, name);

    json_object_set_new(codes, name, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* Classify every request; fills counts, codes and latencies. */
static void judge_requests(checker *k, unsigned char *outs, size_t counts[5],
                           json_t *codes, double *lat, size_t *nlat)
{
    for (size_t i = 0; i < k->h->nr; i++) {
        outcome out = classify(k, (long)i);
        const acc *a = &k->a[i];

        outs[i] = (unsigned char)out;
        counts[out]++;
        if (out == OUT_FAILED)
            count_code(codes, a->errors ? code_name(k->h, a->code) : "close_1013");
        if ((out == OUT_OK || out == OUT_OK_DEGRADED || out == OUT_FAILED) && a->t_end > 0)
            lat[(*nlat)++] = a->t_end - k->h->r[i].t;
    }
}

static int setup(checker *k, const hs_soakcheck_history *h, const hs_soakcheck_opts *o)
{
    long maxconn = -1;

    memset(k, 0, sizeof(*k));
    k->h = h;
    k->o = o;
    k->max_messages = o->max_messages ? o->max_messages : DEFAULT_MESSAGES;
    for (size_t i = 0; i < h->n; i++)
        maxconn = h->v[i].conn > maxconn ? h->v[i].conn : maxconn;
    k->nconn = maxconn + 1;
    k->a = calloc(h->nr ? h->nr : 1, sizeof(*k->a));
    k->c = calloc(k->nconn ? (size_t)k->nconn : 1, sizeof(*k->c));
    k->messages = json_array();
    k->closes = json_object();
    if (!k->a || !k->c || !k->messages || !k->closes)
        return HS_SOAKCHECK_ERR;
    for (size_t i = 0; i < h->nr; i++) {
        k->a[i].code = -1;
        k->a[i].foreign_client = -1;
        k->a[i].foreign_conn = -1;
    }
    for (long i = 0; i < k->nconn; i++)
        k->c[i].client = -1;
    return HS_SOAKCHECK_OK;
}

static size_t connections_opened(const checker *k)
{
    size_t n = 0;

    for (long i = 0; i < k->nconn; i++)
        n += k->c[i].client >= 0;
    return n;
}

int hs_soakcheck_run(const hs_soakcheck_history *h, const hs_soakcheck_opts *o, json_t **verdict)
{
    checker k;
    size_t counts[5] = { 0 }, nlat = 0;
    unsigned char *outs = NULL;
    double *lat = NULL;
    json_t *codes = json_object();
    int rc = HS_SOAKCHECK_ERR;

    *verdict = NULL;
    if (setup(&k, h, o) != HS_SOAKCHECK_OK)
        goto out;
    outs = malloc(h->nr ? h->nr : 1);
    lat = malloc((h->nr ? h->nr : 1) * sizeof(*lat));
    if (!outs || !lat || !codes)
        goto out;
    walk(&k);
    judge_requests(&k, outs, counts, codes, lat, &nlat);
    *verdict = json_pack("{s:I,s:o,s:{s:I,s:I,s:I,s:I},s:O,s:{s:I,s:I,s:I,s:O},s:I,"
                         "s:o,s:I,s:O}",
        "attempts", (json_int_t)h->nr, "final", final_json(&k, outs),
        "outcomes", "ok", (json_int_t)counts[OUT_OK], "ok_degraded",
        (json_int_t)counts[OUT_OK_DEGRADED], "failed", (json_int_t)counts[OUT_FAILED],
        "unknown", (json_int_t)counts[OUT_UNKNOWN], "failed_codes", codes,
        "connections", "opened", (json_int_t)connections_opened(&k), "cut",
        (json_int_t)k.cut, "upgrade_cut", (json_int_t)k.upgrade_cut, "closes", k.closes,
        "frames", (json_int_t)k.frames, "latency_ms", latency_json(lat, nlat),
        "violations", (json_int_t)k.violations, "messages", k.messages);
    rc = *verdict ? (int)(k.violations > 0x7fffffff ? 0x7fffffff : k.violations)
                  : HS_SOAKCHECK_ERR;
out:
    json_decref(codes);
    json_decref(k.messages);
    json_decref(k.closes);
    free(k.a);
    free(k.c);
    free(outs);
    free(lat);
    return rc;
}
