/*
 * bench: what judging costs and what the gateway delivers. Figures only:
 * nothing here passes or fails on time. Written to reports/bench.json,
 * whose other top-level keys (other benchmarks' sections) are kept.
 *
 *   scenario_cost  one scenario run by the harness against the floor under
 *                  it: spawn the gateway, one handshake, one close, stop;
 *                  medians over the same number of runs, interleaved
 *   suite          the whole default suite at -j2, wall time
 *   round_trips    ping/pong round trips and agent requests over 100
 *                  connections, for three builds of the gateway: fault
 *                  points in (libfiu, nothing enabled), libfiu compiled
 *                  out (FIU_ENABLE undefined: fiu_fail is the constant 0,
 *                  but gw_fault() still finds the point in the catalogue
 *                  and counts the hit), and no fault points at all
 *                  (gw_fault() returns 0 first thing); medians of
 *                  interleaved repetitions, and the ratios
 *   point_cost     one fault point call, in-process: gw_fault() whole, and
 *                  its two parts (libfiu's fiu_fail, the catalogue lookup
 *                  and counter); times the hits an agent request makes,
 *                  against what the request costs: the share the round
 *                  trips above cannot resolve
 *   clients_1000   requests/s at 1,000 clients (no faults), and the last
 *                  full soak's figures when reports/soak.json exists
 *   per_case       a case's cost against the floor under it, targets kept
 *                  and fresh, for the build make run judges and the plain
 *                  one; fastapi: that target's suite kept and fresh against
 *                  the reference's (bench_cases.h)
 *   fuzz           execs/s of each fuzz target under each engine, from the
 *                  files fuzz/scripts/bench.sh wrote (--fuzz-dir)
 *
 *   bench [--gateway P] [--judged P] [--nofiu P] [--nopoints P] [--harness P]
 *         [--fastapi-cmd CMD] [--fuzz-dir DIR] [--out reports/bench.json]
 *         [--reps N] [--quick]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fiu.h>

#include "bench/bench_cases.h"
#include "gateway/gw_faults.h"
#include "util/hs_fsutil.h"
#include "target/hs_proc.h"
#include "judge/hs_runner.h"
#include "scenario/hs_scenario.h"
#include "load/hs_soak.h"
#include "target/hs_launch.h"
#include "target/hs_target.h"
#include "wire/hs_token.h"
#include "wire/hs_wsconn.h"
#include "util/hs_clock.h"

typedef struct bench_opts {
    const char *gateway, *nofiu, *nopoints, *harness, *out;
    const char *judged;         /* the build make run judges (LeakSanitizer) */
    const char *fastapi_cmd;    /* the FastAPI target's --target-cmd, or NULL */
    const char *fuzz_dir;       /* fuzz/scripts/bench.sh's output, or NULL */
    int reps;                   /* repetitions of each measurement */
    int quick;                  /* smaller loads, for a smoke run */
    char work[PATH_MAX];
    hs_profile *profile;        /* the reference gateway's dialect */
} bench_opts;

/* The scenario whose cost is measured: what most scenarios do. */
static const char one_scenario[] =
    "{\"id\": \"bench-one\", \"title\": \"one request, one close\", \"steps\": ["
    "{\"step\": \"connect\"},"
    "{\"step\": \"send\", \"json\": {\"type\": \"chat\", \"id\": \"r1\"}},"
    "{\"step\": \"expect_events\", \"request_id\": \"r1\"},"
    "{\"step\": \"close\", \"code\": 1000}]}";

/* ---- the floor and one scenario ---------------------------------------- */

/* The floor's parts, in milliseconds. */
typedef struct floor_ms {
    double start, handshake, close, stop, total;
} floor_ms;

/* Spawn, one handshake, one close, stop: what no scenario can go below. */
static int floor_once(const bench_opts *b, floor_ms *m, char *err, size_t errlen)
{
    char secret[33], auth[8192];
    const char *headers[] = { auth, NULL };
    hs_launch l = { .gateway = b->gateway, .dir = b->work, .secret = secret, .seed = 1 };
    hs_ws_opts wo = { .host = "127.0.0.1", .path = "/ws", .extra_headers = headers,
                      .timeout_ms = 5000 };
    hs_ws_handshake hs = { 0 };
    hs_target t;
    hs_wsconn *c;
    char *tok;
    double t0 = hs_now_ms(), t1, t2, t3;

    hs_token_secret(secret);
    tok = hs_token_make("valid", "bench", secret, err, errlen);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok ? tok : "");
    free(tok);
    if (hs_launch_start(&l, &t, err, errlen) != 0)
        return -1;
    t1 = hs_now_ms();
    wo.port = t.port;
    c = hs_ws_connect(&wo, &hs, err, errlen);
    t2 = hs_now_ms();
    if (c)
        hs_ws_close(c, 1000, "", 5000, NULL);
    t3 = hs_now_ms();
    hs_ws_free(c);
    hs_ws_handshake_free(&hs);
    hs_target_stop(&t, 5000, NULL, err, errlen);
    *m = (floor_ms){ t1 - t0, t2 - t1, t3 - t2, hs_now_ms() - t3, hs_now_ms() - t0 };
    return c ? 0 : -1;
}

static double scenario_once(const bench_opts *b, const hs_scenario *s)
{
    hs_run_opts ro = { 0 };
    double t0 = hs_now_ms();
    json_t *c;
    const char *st;
    int ok;

    ro.gateway = b->gateway;
    ro.profile = b->profile;
    ro.workdir = b->work;
    ro.argv0 = "build/harness";
    ro.seed = 1;
    c = hs_run_scenario(s, &ro);
    st = json_string_value(json_object_get(c, "status"));
    ok = st && strcmp(st, "passed") == 0;
    json_decref(c);
    return ok ? hs_now_ms() - t0 : -1;
}

static json_t *scenario_cost(const bench_opts *b, const hs_scenario *one,
                             const hs_scenario *file)
{
    int n = b->reps * 5;
    double *v = calloc((size_t)n * 7, sizeof(double));
    char err[512] = "";
    floor_ms m = { 0 };
    json_t *j;

    /* Interleaved, so drift on a shared machine hits all three alike. */
    for (int i = 0; i < n; i++) {
        if (floor_once(b, &m, err, sizeof(err)) != 0)
            m = (floor_ms){ 0 };
        v[i] = m.total;
        v[n + i] = m.start;
        v[2 * n + i] = m.handshake;
        v[3 * n + i] = m.close;
        v[4 * n + i] = m.stop;
        v[5 * n + i] = scenario_once(b, one);
        v[6 * n + i] = file ? scenario_once(b, file) : 0;
    }
    j = json_pack("{s:i,s:f,s:{s:f,s:f,s:f,s:f},s:f,s:f,s:s,s:f}", "runs", n,
                  "floor_ms", bench_median(v, n), "floor_parts_ms",
                  "spawn_until_listening", bench_median(v + n, n),
                  "handshake", bench_median(v + 2 * n, n),
                  "close", bench_median(v + 3 * n, n),
                  "sigterm_until_exit", bench_median(v + 4 * n, n),
                  "one_request_scenario_ms", bench_median(v + 5 * n, n),
                  "overhead_ms", bench_median(v + 5 * n, n) - bench_median(v, n),
                  "file", file ? file->file : "",
                  "file_scenario_ms", bench_median(v + 6 * n, n));
    if (err[0])
        json_object_set_new(j, "error", json_string(err));
    free(v);
    return j;
}

/* ---- the suite ----------------------------------------------------------- */

/* build/harness -j2 scenarios, output discarded: the wall time it takes. */
static json_t *suite_time(const bench_opts *b)
{
    char out[PATH_MAX + 16];
    double t0 = hs_now_ms(), ms;
    int status = 0;
    pid_t pid;

    snprintf(out, sizeof(out), "%s/suite", b->work);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(b->harness, b->harness, "-j2", "--gateway", b->gateway, "--out", out,
              "scenarios", (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return json_pack("{s:s}", "error", strerror(errno));
    ms = hs_now_ms() - t0;
    return json_pack("{s:s,s:f,s:i}", "command", "build/harness -j2 scenarios",
                     "wall_ms", ms, "exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ---- round trips --------------------------------------------------------- */

/* Fault point hits (every point, fired or not) per request of a soak. */
static double hits_per_request(const json_t *f)
{
    double hits = 0, n = (double)json_integer_value(json_object_get(f, "requests"));
    const char *k;
    json_t *v;

    json_object_foreach(json_object_get(f, "faults"), k, v)
        hits += (double)json_integer_value(json_object_get(v, "reached"));
    return n > 0 ? hits / n : 0.0;
}

/* The reference gateway's dialect, loaded once by main for every load. */
static const hs_profile *bench_profile;

/* One soak without faults; the figures that matter, or NULL. */
static json_t *load(const char *gateway, int clients, int requests, int rounds, int window,
                    int ping)
{
    hs_soak_opts o;
    json_t *f = NULL, *lat, *out;
    char err[512];
    int v;

    hs_soak_defaults(&o);
    o.profile = bench_profile;
    o.gateway = gateway;
    o.clients = clients;
    o.requests = requests;
    o.rounds = rounds;
    o.window = window;
    o.ping = ping;
    o.app_p = 0;
    o.net_p = 0;
    o.quiet = 1;
    o.no_memory_check = 1;
    v = hs_soak_run(&o, &f, err, sizeof(err));
    if (v < 0)
        return json_pack("{s:s}", "error", err);
    lat = json_object_get(json_object_get(f, "checker"), "latency_ms");
    out = json_pack("{s:O,s:O,s:O,s:O,s:i,s:f}", "per_s", json_object_get(f, "requests_per_s"),
                    "p50_ms", json_object_get(lat, "p50"), "p99_ms", json_object_get(lat, "p99"),
                    "requests", json_object_get(f, "requests"), "violations", v,
                    "fault_hits_per_request", hits_per_request(f));
    json_decref(f);
    return out;
}

static double num(const json_t *j, const char *k)
{
    return json_number_value(json_object_get(j, k));
}

/* Medians of the repetitions for one build. */
static json_t *summarise(json_t **runs, int n)
{
    double per_s[64], p50[64], p99[64], hits[64];

    for (int i = 0; i < n; i++) {
        per_s[i] = num(runs[i], "per_s");
        p50[i] = num(runs[i], "p50_ms");
        p99[i] = num(runs[i], "p99_ms");
        hits[i] = num(runs[i], "fault_hits_per_request");
    }
    return json_pack("{s:f,s:f,s:f,s:f,s:i}", "per_s", bench_median(per_s, n),
                     "p50_ms", bench_median(p50, n), "p99_ms", bench_median(p99, n),
                     "fault_hits_per_request", bench_median(hits, n), "repetitions", n);
}

/*
 * Three builds, interleaved so drift (thermal, other load) hits them
 * alike; the ratio is with points over without.
 */
static json_t *compare_builds(const bench_opts *b, int requests, int ping)
{
    const char *names[] = { "fault_points", "libfiu_compiled_out", "no_fault_points" };
    const char *bins[] = { b->gateway, b->nofiu, b->nopoints };
    json_t *runs[3][64] = { { 0 } }, *out = json_object();
    int reps = b->reps > 64 ? 64 : b->reps;

    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 3; k++)
            runs[k][r] = access(bins[k], X_OK) == 0
                       ? load(bins[k], 100, requests, 1, 1, ping) : json_object();
    for (int k = 0; k < 3; k++) {
        json_object_set_new(out, names[k], access(bins[k], X_OK) == 0
                            ? summarise(runs[k], reps) : json_pack("{s:s}", "missing", bins[k]));
        for (int r = 0; r < reps; r++)
            json_decref(runs[k][r]);
    }
    json_object_set_new(out, "connections", json_integer(100));
    json_object_set_new(out, "round_trips_per_connection", json_integer(requests));
    return out;
}

static void add_ratios(json_t *c)
{
    double in = num(json_object_get(c, "fault_points"), "per_s");
    double nofiu = num(json_object_get(c, "libfiu_compiled_out"), "per_s");
    double none = num(json_object_get(c, "no_fault_points"), "per_s");

    if (in > 0 && nofiu > 0)
        json_object_set_new(c, "ratio_points_vs_libfiu_out", json_real(in / nofiu));
    if (in > 0 && none > 0)
        json_object_set_new(c, "ratio_points_vs_none", json_real(in / none));
}

/* ---- one fault point, in-process ------------------------------------------- */

#define CALLS 4000000

static const char *const points[] = {
#define WSF_FAULT(name, seed, desc) name,
#include "faults.def"
#undef WSF_FAULT
};

#define NPOINTS (sizeof(points) / sizeof(points[0]))

/* Nanoseconds per call, cycling through every point (the lookup is linear). */
static double per_call_ns(int which)
{
    volatile long sink = 0;
    double t0 = hs_now_ms();

    for (long i = 0; i < CALLS; i++) {
        const char *p = points[(size_t)i % NPOINTS];
        sink += which == 0 ? gw_fault(p) : which == 1 ? fiu_fail(p) : gw_faults_find(p);
    }
    (void)sink;
    return (hs_now_ms() - t0) * 1e6 / CALLS;
}

static json_t *point_cost(const json_t *agent)
{
    const json_t *in = json_object_get(agent, "fault_points");
    double call, hits = num(in, "fault_hits_per_request"), per_s = num(in, "per_s");
    json_t *j;

    gw_faults_init(1);
    call = per_call_ns(0);
    j = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "gw_fault_ns", call,
                  "fiu_fail_ns", per_call_ns(1), "catalogue_lookup_ns", per_call_ns(2),
                  "hits_per_agent_request", hits, "ns_per_agent_request", call * hits,
                  "share_of_agent_request", per_s > 0 ? call * hits * per_s / 1e9 : 0.0);
    gw_faults_reset();
    return j;
}

/* ---- the document ---------------------------------------------------------- */

static json_t *machine(void)
{
    struct utsname u;
    char line[256], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    uname(&u);
    return json_pack("{s:I,s:s,s:s}", "cores", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
                     "cpu", model, "kernel", u.release);
}

static json_t *load_doc(const char *path)
{
    json_t *d = json_load_file(path, 0, NULL);

    if (!json_is_object(d)) {
        json_decref(d);
        d = json_object();
    }
    return d;
}

static const char *const notes[] = {
    "Figures only: nothing passes or fails on time.",
    "libfiu_compiled_out is built without FIU_ENABLE defined (fiu.h tests #ifdef, so "
    "-DFIU_ENABLE=0 would still enable it): fiu_fail() becomes the constant 0, but "
    "gw_fault() still looks the point up in the catalogue and counts the hit for /health.",
    "no_fault_points patches gw_fault() to return 0 first thing: no lookup, no counter.",
    "The three builds differ by less than the noise of the round trips: point_cost "
    "measures the difference directly (nanoseconds per hit times hits per request).",
    "Round trips are closed-loop (each connection waits for its answer), so latency is "
    "the gateway's service time plus queueing behind the other 99 connections.",
    NULL
};

static void gateway_sections(const bench_opts *b, json_t *doc, const hs_scenario *one,
                             const hs_scenario *file)
{
    json_t *ping, *agent, *n = json_array(), *soak;

    for (int i = 0; notes[i]; i++)
        json_array_append_new(n, json_string(notes[i]));
    printf("bench: scenario cost against the floor\n");
    json_object_set_new(doc, "scenario_cost", scenario_cost(b, one, file));
    printf("bench: the suite at -j2\n");
    json_object_set_new(doc, "suite", suite_time(b));
    printf("bench: round trips over 100 connections, three gateway builds\n");
    ping = compare_builds(b, b->quick ? 100 : 500, 1);
    agent = compare_builds(b, b->quick ? 20 : 100, 0);
    add_ratios(ping);
    add_ratios(agent);
    json_object_set_new(doc, "point_cost", point_cost(agent));
    json_object_set_new(doc, "round_trips", json_pack("{s:o,s:o}", "ping", ping,
                                                      "agent_request", agent));
    printf("bench: 1,000 clients\n");
    soak = json_load_file("reports/soak.json", 0, NULL);
    json_object_set_new(doc, "clients_1000", json_pack("{s:o,s:o}", "no_faults",
        load(b->gateway, 1000, b->quick ? 5 : 20, 2, 4, 0), "full_soak",
        soak ? json_pack("{s:O,s:O,s:O,s:O}", "requests", json_object_get(soak, "requests"),
                         "requests_per_s", json_object_get(soak, "requests_per_s"),
                         "latency_ms", json_object_get(json_object_get(soak, "checker"),
                                                       "latency_ms"),
                         "violations", json_object_get(soak, "violations"))
             : json_string("no reports/soak.json: run make soak")));
    json_decref(soak);
    json_object_set_new(doc, "machine", machine());
    json_object_set_new(doc, "notes", n);
}

/* Each DIR/TARGET/bench.json fuzz/scripts/bench.sh wrote, by target. */
static json_t *fuzz_section(const char *dir)
{
    const char *targets[] = { "message", "fault_schedule", "frames", "scenario",
                              "frame_decode", NULL };
    json_t *out = json_object();
    char path[PATH_MAX];

    for (size_t i = 0; targets[i]; i++) {
        json_t *t;

        snprintf(path, sizeof(path), "%s/%s/bench.json", dir, targets[i]);
        if ((t = json_load_file(path, 0, NULL)) != NULL)
            json_object_set_new(out, targets[i], t);
    }
    return out;
}

/* Targets kept across cases: per-case cost, the FastAPI suite, fuzzing. */
static void reuse_sections(const bench_opts *b, json_t *doc)
{
    const char *both[] = { b->judged, b->gateway, NULL };
    const char *plain[] = { b->gateway, NULL };
    bench_cases_opts co = { b->harness, access(b->judged, X_OK) == 0 ? both : plain,
                            b->fastapi_cmd, b->work };

    json_object_set_new(doc, "per_case", bench_case_cost(&co));
    if (b->fastapi_cmd)
        json_object_set_new(doc, "fastapi", bench_fastapi(&co));
    if (b->fuzz_dir)
        json_object_set_new(doc, "fuzz", fuzz_section(b->fuzz_dir));
}

/* ---- the command ----------------------------------------------------------- */

static int parse(int argc, char **argv, bench_opts *b)
{
    static const struct option lo[] = {
        { "gateway", required_argument, NULL, 'g' }, { "nofiu", required_argument, NULL, 'f' },
        { "nopoints", required_argument, NULL, 'p' }, { "harness", required_argument, NULL, 'h' },
        { "out", required_argument, NULL, 'o' }, { "reps", required_argument, NULL, 'r' },
        { "quick", no_argument, NULL, 'q' }, { "judged", required_argument, NULL, 'j' },
        { "fastapi-cmd", required_argument, NULL, 'c' },
        { "fuzz-dir", required_argument, NULL, 'z' }, { NULL, 0, NULL, 0 }
    };
    int opt;

    b->gateway = "build/gateway";
    b->judged = "build/lsan/gateway";
    b->nofiu = "build/bench/gateway-nofiu";
    b->nopoints = "build/bench/gateway-nopoints";
    b->harness = "build/harness";
    b->out = "reports/bench.json";
    b->reps = 3;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'g': b->gateway = optarg; break;
        case 'f': b->nofiu = optarg; break;
        case 'p': b->nopoints = optarg; break;
        case 'h': b->harness = optarg; break;
        case 'o': b->out = optarg; break;
        case 'r': b->reps = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
        case 'q': b->quick = 1; b->reps = 1; break;
        case 'j': b->judged = optarg; break;
        case 'c': b->fastapi_cmd = optarg; break;
        case 'z': b->fuzz_dir = optarg; break;
        default:
            fprintf(stderr, "usage: bench [--gateway P] [--judged P] [--nofiu P] "
                    "[--nopoints P] [--harness P] [--fastapi-cmd CMD] [--fuzz-dir DIR] "
                    "[--out FILE] [--reps N] [--quick]\n");
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts b;
    hs_scenario *one = NULL, *file = NULL;
    char err[512], date[40];
    time_t now = time(NULL);
    json_t *doc;
    int rc;

    memset(&b, 0, sizeof(b));
    if (parse(argc, argv, &b) != 0)
        return 2;
    if (hs_profile_load(HS_PROFILE_DEFAULT, &b.profile, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    bench_profile = b.profile;
    snprintf(b.work, sizeof(b.work), "%s/wsfault-bench-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(b.work) || hs_scenario_parse("bench-one", one_scenario, strlen(one_scenario),
                                              &one, err, sizeof(err)) != HS_SCN_OK) {
        fprintf(stderr, "bench: cannot set up: %s\n", one ? strerror(errno) : err);
        return 2;
    }
    hs_scenario_load("scenarios/seeds/deps-500.json", &file, err, sizeof(err));
    hs_proc_install_handlers();
    doc = load_doc(b.out);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_object_set_new(doc, "format", json_string("wsfault-bench/1"));
    json_object_set_new(doc, "date", json_string(date));
    gateway_sections(&b, doc, one, file);
    reuse_sections(&b, doc);
    rc = hs_fs_save_json("bench", b.out, doc);
    if (rc == 0)
        printf("bench: %s\n", b.out);
    json_decref(doc);
    hs_scenario_free(one);
    hs_scenario_free(file);
    hs_profile_free(b.profile);
    rmdir(b.work);
    return rc == 0 ? 0 : 1;
}
