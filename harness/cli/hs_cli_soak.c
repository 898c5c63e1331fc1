/*
 * hs_cli_soak: `build/harness soak`. See hs_cli.h; the engine is
 * load/hs_soak.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hs_cli.h"
#include "load/hs_soak.h"
#include "util/hs_args.h"
#include "util/hs_fsutil.h"

#define PROG "harness soak"

static const char soak_usage[] =
"usage: build/harness soak [options]\n"
"\n"
"Many authenticated clients on one event loop against a fresh reference\n"
"gateway, under random application faults and injected ECONNRESET on the\n"
"gateway's send(); every request recorded and checked afterwards. Exit 0:\n"
"no violation; 1: violations; 2: bad usage or the run could not start.\n"
"\n"
"  --gateway PATH      gateway binary (default build/gateway)\n"
"  --preload LIB       before libfiu's preload (the ASan runtime)\n"
"  --clients N         concurrent users (default 1000)\n"
"  --requests N        requests per client over the run (default 100)\n"
"  --rounds N          rounds the requests are spread over (default 10)\n"
"  --window N          requests in flight per connection, 1..16 (default 4)\n"
"  --ping              ping/pong round trips instead of agent requests\n"
"  --app-faults P      probability of every application fault point (default\n"
"                      0.05; 0 turns them off)\n"
"  --fault SPEC        enable this point instead (repeatable), as the gateway's\n"
"  --net-faults P      send() fails with ECONNRESET with this probability\n"
"                      (default 0.01; 0 turns it off)\n"
"  --seed N            seed for every random choice (default 1)\n"
"  --timeout-ms MS     ceiling for an answer, an upgrade, a close (default 10000)\n"
"  --attempts N        attempts per request when connections are cut (default 20)\n"
"  --log PATH          keep the gateway's stderr here\n"
"  --no-memory-check   report memory per round without judging it (a\n"
"                      sanitizer runtime keeps freed memory in quarantine)\n"
"  --out PATH          write the figures as JSON (e.g. reports/soak.json)\n"
"  --messages N        violations printed (default 20)\n"
"  --quiet             no line per round\n";

enum { S_GATEWAY = 256, S_PRELOAD, S_CLIENTS, S_REQUESTS, S_ROUNDS, S_WINDOW, S_PING,
       S_APP, S_FAULT, S_NET, S_SEED, S_TIMEOUT, S_ATTEMPTS, S_LOG, S_OUT, S_MESSAGES,
       S_QUIET, S_NO_MEMORY, S_HELP };

static const struct option soak_longopts[] = {
    { "gateway", required_argument, NULL, S_GATEWAY },
    { "preload", required_argument, NULL, S_PRELOAD },
    { "clients", required_argument, NULL, S_CLIENTS },
    { "requests", required_argument, NULL, S_REQUESTS },
    { "rounds", required_argument, NULL, S_ROUNDS },
    { "window", required_argument, NULL, S_WINDOW },
    { "ping", no_argument, NULL, S_PING },
    { "app-faults", required_argument, NULL, S_APP },
    { "fault", required_argument, NULL, S_FAULT },
    { "net-faults", required_argument, NULL, S_NET },
    { "seed", required_argument, NULL, S_SEED },
    { "timeout-ms", required_argument, NULL, S_TIMEOUT },
    { "attempts", required_argument, NULL, S_ATTEMPTS },
    { "log", required_argument, NULL, S_LOG },
    { "out", required_argument, NULL, S_OUT },
    { "messages", required_argument, NULL, S_MESSAGES },
    { "quiet", no_argument, NULL, S_QUIET },
    { "no-memory-check", no_argument, NULL, S_NO_MEMORY },
    { "help", no_argument, NULL, S_HELP },
    { NULL, 0, NULL, 0 }
};

typedef struct soak_cli {
    hs_soak_opts o;
    const char **faults;
    size_t nfaults;
    long messages;
} soak_cli;

static int soak_apply(soak_cli *c, int opt, const char *arg)
{
    long n = 0;
    int rc = 0;

    switch (opt) {
    case S_GATEWAY: c->o.gateway = arg; break;
    case S_PRELOAD: c->o.preload_first = arg; break;
    case S_CLIENTS: rc = hs_args_long(PROG, "--clients", arg, 1, 100000, &n); c->o.clients = (int)n; break;
    case S_REQUESTS: rc = hs_args_long(PROG, "--requests", arg, 0, 1000000, &n); c->o.requests = (int)n; break;
    case S_ROUNDS: rc = hs_args_long(PROG, "--rounds", arg, 1, 10000, &n); c->o.rounds = (int)n; break;
    case S_WINDOW: rc = hs_args_long(PROG, "--window", arg, 1, HS_SOAK_MAX_WINDOW, &n); c->o.window = (int)n; break;
    case S_PING: c->o.ping = 1; break;
    case S_APP: rc = hs_args_prob(PROG, "--app-faults", arg, &c->o.app_p); break;
    case S_FAULT:
        c->faults = realloc(c->faults, (c->nfaults + 2) * sizeof(*c->faults));
        c->faults[c->nfaults++] = arg;
        c->faults[c->nfaults] = NULL;
        break;
    case S_NET: rc = hs_args_prob(PROG, "--net-faults", arg, &c->o.net_p); break;
    case S_SEED: rc = hs_args_long(PROG, "--seed", arg, 0, LONG_MAX, &n); c->o.seed = (unsigned long)n; break;
    case S_TIMEOUT: rc = hs_args_long(PROG, "--timeout-ms", arg, 1, 600000, &n); c->o.timeout_ms = (int)n; break;
    case S_ATTEMPTS: rc = hs_args_long(PROG, "--attempts", arg, 1, 1000, &n); c->o.max_attempts = (int)n; break;
    case S_LOG: c->o.log_path = arg; break;
    case S_OUT: c->o.out = arg; break;
    case S_MESSAGES: rc = hs_args_long(PROG, "--messages", arg, 0, 100000, &c->messages); break;
    case S_QUIET: c->o.quiet = 1; break;
    case S_NO_MEMORY: c->o.no_memory_check = 1; break;
    default: rc = -1; break;
    }
    return rc;
}

static int soak_parse(int argc, char **argv, soak_cli *c)
{
    int opt;

    hs_soak_defaults(&c->o);
    c->messages = 20;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", soak_longopts, NULL)) != -1) {
        if (opt == S_HELP) {
            fputs(soak_usage, stdout);
            exit(0);
        }
        if (opt == '?' || opt == ':') {
            fprintf(stderr, "harness soak: unknown or incomplete option \"%s\" (see "
                    "build/harness soak --help)\n", argv[optind - 1]);
            return -1;
        }
        if (soak_apply(c, opt, optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "harness soak: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    c->o.faults = c->faults;
    return 0;
}

int hs_cli_soak(int argc, char **argv)
{
    soak_cli c;
    json_t *f = NULL;
    char err[512];
    int v;

    memset(&c, 0, sizeof(c));
    if (soak_parse(argc, argv, &c) != 0 ||
        !(c.o.profile = hs_cli_profile("harness soak", NULL))) {
        free(c.faults);
        return 2;
    }
    v = hs_soak_run(&c.o, &f, err, sizeof(err));
    free(c.faults);
    hs_profile_free((hs_profile *)c.o.profile);
    if (v < 0) {
        fprintf(stderr, "harness soak: %s\n", err);
        return 2;
    }
    hs_soak_print(f, (size_t)c.messages);
    if (c.o.out && hs_fs_save_json("harness soak", c.o.out, f) == 0)
        printf("figures: %s\n", c.o.out);
    json_decref(f);
    return v > 0 ? 1 : 0;
}
