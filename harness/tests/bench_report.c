/*
 * bench_report: how long the HTML report and the history take for a big
 * run, and how large they get. Prints figures; exits 1 only if a step
 * fails.
 *
 * The document imitates a real suite grown to N cases (default 10,000):
 * every case has a transcript (handshake, a request, the five agent events,
 * a close), a log excerpt, a fault, three repeats; 2 % fail, 1 % are
 * skipped, 0.5 % flaky, 400 carry conformance verdicts. The history holds
 * HS_HISTORY_KEEP runs of the same cases.
 *
 *   bench_report [CASES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/hs_buf.h"
#include "util/hs_clock.h"
#include "util/hs_fsutil.h"
#include "output/hs_history.h"
#include "output/hs_report.h"
#include "output/hs_results.h"

#define DEFAULT_CASES 10000
#define EVENTS 5

static json_t *frame(double t, const char *dir, const char *text)
{
    return json_pack("{s:f,s:s,s:s,s:i,s:s,s:b,s:i,s:b,s:i,s:s,s:s,s:b}",
                     "t_ms", t, "dir", dir, "what", "frame", "opcode", 1, "op", "text",
                     "fin", 1, "rsv", 0, "masked", strcmp(dir, "sent") == 0,
                     "len", (int)strlen(text), "hex", "7b2274797065223a226167656e74",
                     "text", text, "truncated", 0);
}

static json_t *transcript(void)
{
    static const char *const events[EVENTS] = {
        "{\"type\":\"agent_started\",\"request_id\":\"r1\"}",
        "{\"type\":\"agent_thinking\",\"request_id\":\"r1\"}",
        "{\"type\":\"tool_executing\",\"request_id\":\"r1\"}",
        "{\"type\":\"tool_completed\",\"request_id\":\"r1\"}",
        "{\"type\":\"agent_completed\",\"request_id\":\"r1\"}",
    };
    json_t *t = json_array();
    int i;

    json_array_append_new(t, json_pack("{s:f,s:s,s:s,s:s}", "t_ms", 0.3, "dir", "sent",
                                       "what", "handshake", "text",
                                       "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:40000\r\n"
                                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"));
    json_array_append_new(t, json_pack("{s:f,s:s,s:s,s:s}", "t_ms", 0.9, "dir", "recv",
                                       "what", "handshake", "text",
                                       "HTTP/1.1 101 Switching Protocols\r\n"
                                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"));
    json_array_append_new(t, frame(1.2, "sent", "{\"type\":\"user_message\",\"id\":\"r1\","
                                               "\"payload\":{\"text\":\"hello\"}}"));
    for (i = 0; i < EVENTS; i++)
        json_array_append_new(t, frame(2.0 + i, "recv", events[i]));
    json_array_append_new(t, json_pack("{s:f,s:s,s:s,s:i,s:s,s:b,s:i,s:i,s:s,s:i}",
                                       "t_ms", 9.0, "dir", "recv", "what", "frame",
                                       "opcode", 8, "op", "close", "fin", 1, "rsv", 0,
                                       "len", 2, "hex", "03e9", "close_code", 1001));
    return json_pack("{s:o}", "alice", t);
}

static const char *status_for(int i)
{
    if (i % 50 == 7)
        return "failed";
    if (i % 100 == 3)
        return "skipped";
    if (i % 200 == 11)
        return "flaky";
    return "passed";
}

/* A case of run; only the last run needs what the page shows in full. */
static json_t *make_case(int i, int run, int full)
{
    const char *st = status_for(i + run * (i % 997 == 5));
    double ms = 20.0 + i % 13 + run % 3;
    char id[32], file[64];
    json_t *c;

    snprintf(id, sizeof(id), "case-%05d", i);
    snprintf(file, sizeof(file), "scenarios/bench/%s.json", id);
    c = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:f,s:[f,f,f],s:[],s:o,s:s,s:{s:{s:i,s:i}},s:s}",
                  "id", id, "title", "the gateway answers every request, degraded or not",
                  "file", file, "suite", i < 400 ? "conformance" : "bench",
                  "seed", i % 200 == 0 ? json_string("deps-500") : json_null(),
                  "status", st, "duration_ms", ms, "durations_ms", ms, ms - 1.0, ms + 2.0,
                  "reasons", "transcript", full ? transcript() : json_object(),
                  "log_excerpt", "{\"level\":\"info\",\"event\":\"ready\"}\n"
                  "{\"level\":\"info\",\"event\":\"connect\",\"state\":\"OPEN\"}\n"
                  "{\"level\":\"info\",\"event\":\"close\",\"code\":1001}\n",
                  "faults", "gateway/bridge/create", "reached", 1, "fired", 1,
                  "repro", "build/harness --seed 1 scenarios/bench/case.json");
    if (strcmp(st, "failed") == 0 || strcmp(st, "flaky") == 0)
        json_array_append_new(json_object_get(c, "reasons"),
                              json_pack("{s:i,s:i,s:i,s:s}", "clause", 2, "step", 4,
                                        "line", 22, "message",
                                        "alice was closed with 1011 (contract 2)"));
    if (strcmp(st, "skipped") == 0)
        json_object_set_new(c, "skip_reason", json_string("needs --url"));
    if (i < 400)
        json_object_set_new(c, "verdict", json_pack("{s:s,s:s}", "behavior",
                                                    i % 40 == 7 ? "FAILED" : "OK",
                                                    "close", "OK"));
    return c;
}

static json_t *make_doc(int n, int run, int full)
{
    char id[32];
    json_t *doc, *cases = json_array();
    int i;

    snprintf(id, sizeof(id), "20261122T2215%02dZ-bench", run);
    for (i = 0; i < n; i++)
        json_array_append_new(cases, make_case(i, run, full));
    doc = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}},s:o}",
                    "format", HS_RESULTS_FORMAT, "run", "id", id,
                    "started_at", "2026-11-22T22:15:00Z", "git_commit", id,
                    "target", "build/gateway", "versions", "libwebsockets", "4.1.6",
                    "jansson", "2.14", "libfiu", "1.1", "cases", cases);
    return doc;
}

static int fail(const char *what, const char *err)
{
    fprintf(stderr, "bench_report: %s: %s\n", what, err);
    return 1;
}

static int bench_history(json_t *runs, const char *path, size_t *bytes)
{
    char err[512];
    json_t *back = NULL;
    double t0 = hs_now_ms(), t1, t2;
    char *text = NULL;

    if (hs_history_save(runs, path, err, sizeof(err)) != 0)
        return fail("saving the history", err);
    t1 = hs_now_ms();
    if (hs_history_load(path, &back, NULL, err, sizeof(err)) != 0)
        return fail("loading the history", err);
    t2 = hs_now_ms();
    hs_fs_read_file(path, &text, bytes, NULL, 0);
    printf("  history save   %8.1f ms  %6.2f MB (%zu runs)\n", t1 - t0,
           (double)*bytes / 1e6, json_array_size(runs));
    printf("  history load   %8.1f ms\n", t2 - t1);
    free(text);
    json_decref(back);
    return 0;
}

static int bench_page(const hs_report_in *in, const char *path)
{
    hs_buf b = HS_BUF_INIT;
    char err[512];
    double t0 = hs_now_ms(), t1, t2;

    if (hs_report_render(in, &b, err, sizeof(err)) != 0)
        return fail("rendering", err);
    t1 = hs_now_ms();
    if (hs_fs_write_atomic(path, b.p, b.len, err, sizeof(err)) != 0)
        return fail("writing", err);
    t2 = hs_now_ms();
    printf("  render         %8.1f ms  %6.2f MB (%.0f bytes per case)\n", t1 - t0,
           (double)b.len / 1e6,
           (double)b.len / (double)json_array_size(json_object_get(in->doc, "cases")));
    printf("  write          %8.1f ms\n", t2 - t1);
    hs_buf_free(&b);
    return 0;
}

/* n cases, HS_HISTORY_KEEP runs of history, this run the last of them. */
static int bench(int n, const char *dir)
{
    hs_report_in in = { .diff = HS_DIFF_OPTS_DEFAULT };
    json_t *runs = json_array(), *doc = NULL;
    char hist[512], page[512];
    double t0, t1;
    size_t bytes = 0;
    int run, rc;

    snprintf(hist, sizeof(hist), "%s/history.jsonl", dir);
    snprintf(page, sizeof(page), "%s/index-%d.html", dir, n);
    t0 = hs_now_ms();
    for (run = 0; run < HS_HISTORY_KEEP; run++) {
        json_decref(doc);
        doc = make_doc(n, run, run == HS_HISTORY_KEEP - 1);
        hs_history_add(runs, hs_history_entry(doc), HS_HISTORY_KEEP);
    }
    t1 = hs_now_ms();
    printf("report bench: %d cases, %d runs of history\n", n, HS_HISTORY_KEEP);
    printf("  build          %8.1f ms  (%d documents made, turned into entries)\n",
           t1 - t0, HS_HISTORY_KEEP);
    in.doc = doc;
    in.history = runs;
    in.baseline = json_array_get(runs, HS_HISTORY_KEEP - 2);
    rc = bench_history(runs, hist, &bytes);
    if (rc == 0)
        rc = bench_page(&in, page);
    unlink(hist);
    unlink(page);
    json_decref(doc);
    json_decref(runs);
    return rc;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : DEFAULT_CASES;
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    int rc;

    if (n < 1) {
        fprintf(stderr, "usage: bench_report [CASES]\n");
        return 2;
    }
    snprintf(dir, sizeof(dir), "%s/bench_report-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return fail("creating a scratch folder", dir);
    rc = bench(n, dir);
    if (rc == 0 && n > HS_REPORT_FULL_CASES)
        rc = bench(HS_REPORT_FULL_CASES, dir);
    rmdir(dir);
    return rc;
}
