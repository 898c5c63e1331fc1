/*
 * build/gateway: the reference WebSocket gateway wsfault judges.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <fiu-control.h>

#include "gw_faults.h"
#include "gw_log.h"
#include "gw_server.h"

#define MAX_FAULTS 64
#define DEFAULT_HANDSHAKE_S 10
#define DEFAULT_MAX_QUEUE (1u << 20)
#define DEFAULT_PING_S 30
#define DEFAULT_MAX_CONNECTIONS 1024
/* Descriptors wanted for a thousand clients with room for reconnects;
 * libwebsockets sizes its connection table from this limit at start. */
#define WANT_FDS 16384
/* Beyond --max-connections: handshakes in flight, upgrades being refused
 * with 503, /health, the listener. Without them, lws drops a connection
 * it has no slot for before any answer. */
#define FD_HEADROOM 1024

static const char usage[] =
"usage: build/gateway [options]\n"
"\n"
"The wsfault reference chat gateway: ws://HOST:PORT/ws, GET /health, and with\n"
"--echo an RFC 6455 echo endpoint at /echo. Logs are JSON lines on stderr.\n"
"\n"
"  --port N              port to listen on; 0 picks a free one (default 8080)\n"
"  --host ADDR           address to bind (default 127.0.0.1)\n"
"  --port-file PATH      write the bound port there once the socket listens\n"
"  --jwt-secret S        HS256 secret for tokens (or GATEWAY_JWT_SECRET)\n"
"  --echo                also serve /echo\n"
"  --max-message BYTES   close 1009 above this message size, inflated size for\n"
"                        compressed messages (default 16777216)\n"
"  --startup-delay-ms N  how long startup takes when gateway/startup/slow\n"
"                        fires (default 2000)\n"
"  --ready-queue N       messages held before ready; more get not_ready\n"
"                        (default 64)\n"
"  --handshake-timeout S drop a connection that has not completed its HTTP\n"
"                        request (upgrade) within S seconds (default 10)\n"
"  --max-queue BYTES     outgoing bytes a connection may leave unread; past\n"
"                        that it is a slow consumer: its queue is dropped and\n"
"                        it is closed 1008 (default 1048576, 1024..1073741824)\n"
"  --ping-interval S     ping a connection silent for S seconds; 0: never\n"
"                        (default 30)\n"
"  --ping-timeout S      end a pinged connection still silent S seconds later,\n"
"                        without a close frame (default 30, at least 1)\n"
"  --max-connections N   WebSocket connections (/ws and /echo) served at once;\n"
"                        more upgrades get 503 with Retry-After: 1\n"
"                        (default 1024, 1..100000)\n"
"  --fault SPEC          enable a fault point at start (repeatable):\n"
"                        NAME[:always|once|p=P|after=N|nth=N]\n"
"  --seed N              seed for probability faults (default 1)\n"
"  --fiu-ctrl PREFIX     open libfiu remote control (fiu-ctrl -f PREFIX ...)\n"
"  --list-faults         print the fault catalogue and exit (--json for JSON)\n"
"  --json                with --list-faults\n"
"  --help                this text\n"
"\n"
"SIGUSR2 runs LeakSanitizer's check now (in a build with it) and logs\n"
"{\"event\": \"leak_check\", \"checked\": B, \"leaks\": B} when it is over.\n"
"\n"
"Exit status: 0 after SIGTERM/SIGINT (clients closed with 1001), 2 bad usage,\n"
"1 could not start.\n";

typedef struct gw_opts {
    gw_server_config server;
    gw_fault_spec faults[MAX_FAULTS];
    int nfaults;
    const char *fiu_ctrl;
    unsigned long seed;
    int list_faults;
    int json;
} gw_opts;

enum { OPT_PORT = 1, OPT_HOST, OPT_PORT_FILE, OPT_SECRET, OPT_ECHO, OPT_MAX,
       OPT_DELAY, OPT_QUEUE, OPT_HANDSHAKE, OPT_MAX_QUEUE, OPT_PING_INTERVAL,
       OPT_PING_TIMEOUT, OPT_MAX_CONNS, OPT_FAULT, OPT_SEED, OPT_FIU, OPT_LIST,
       OPT_JSON, OPT_HELP };

static const struct option longopts[] = {
    { "port", required_argument, NULL, OPT_PORT },
    { "host", required_argument, NULL, OPT_HOST },
    { "port-file", required_argument, NULL, OPT_PORT_FILE },
    { "jwt-secret", required_argument, NULL, OPT_SECRET },
    { "echo", no_argument, NULL, OPT_ECHO },
    { "max-message", required_argument, NULL, OPT_MAX },
    { "startup-delay-ms", required_argument, NULL, OPT_DELAY },
    { "ready-queue", required_argument, NULL, OPT_QUEUE },
    { "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE },
    { "max-queue", required_argument, NULL, OPT_MAX_QUEUE },
    { "ping-interval", required_argument, NULL, OPT_PING_INTERVAL },
    { "ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT },
    { "max-connections", required_argument, NULL, OPT_MAX_CONNS },
    { "fault", required_argument, NULL, OPT_FAULT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "fiu-ctrl", required_argument, NULL, OPT_FIU },
    { "list-faults", no_argument, NULL, OPT_LIST },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

/* A whole non-negative number within [min, max], or an error naming the flag. */
static int number_arg(const char *flag, const char *v, long long min, long long max,
                      long long *out)
{
    char *end;
    long long n = strtoll(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < min || n > max) {
        fprintf(stderr, "gateway: %s expects a whole number from %lld to %lld, "
                "got \"%s\"\n", flag, min, max, v);
        return -1;
    }
    *out = n;
    return 0;
}

static int add_fault(gw_opts *o, const char *spec)
{
    char err[256];

    if (o->nfaults == MAX_FAULTS) {
        fprintf(stderr, "gateway: at most %d --fault options\n", MAX_FAULTS);
        return -1;
    }
    if (gw_fault_spec_parse(spec, &o->faults[o->nfaults], err, sizeof(err)) != 0) {
        fprintf(stderr, "gateway: --fault %s: %s\n", spec, err);
        return -1;
    }
    o->nfaults++;
    return 0;
}

static int apply_opt(gw_opts *o, int c, const char *arg)
{
    long long n;

    switch (c) {
    case OPT_PORT:
        if (number_arg("--port", arg, 0, 65535, &n)) return -1;
        o->server.port = (int)n; return 0;
    case OPT_HOST: o->server.host = arg; return 0;
    case OPT_PORT_FILE: o->server.port_file = arg; return 0;
    case OPT_SECRET: o->server.jwt_secret = arg; return 0;
    case OPT_ECHO: o->server.echo = 1; return 0;
    case OPT_MAX:
        if (number_arg("--max-message", arg, 1, 1LL << 30, &n)) return -1;
        o->server.max_message = (size_t)n; return 0;
    case OPT_DELAY:
        if (number_arg("--startup-delay-ms", arg, 0, 600000, &n)) return -1;
        o->server.startup_delay_ms = (int)n; return 0;
    case OPT_QUEUE:
        if (number_arg("--ready-queue", arg, 0, 1000000, &n)) return -1;
        o->server.ready_queue = (int)n; return 0;
    case OPT_HANDSHAKE:
        if (number_arg("--handshake-timeout", arg, 1, 3600, &n)) return -1;
        o->server.handshake_timeout_s = (int)n; return 0;
    case OPT_MAX_QUEUE:
        if (number_arg("--max-queue", arg, 1024, 1LL << 30, &n)) return -1;
        o->server.max_queue = (size_t)n; return 0;
    case OPT_PING_INTERVAL:
        if (number_arg("--ping-interval", arg, 0, 3600, &n)) return -1;
        o->server.ping_interval_s = (int)n; return 0;
    case OPT_PING_TIMEOUT:
        if (number_arg("--ping-timeout", arg, 1, 3600, &n)) return -1;
        o->server.ping_timeout_s = (int)n; return 0;
    case OPT_MAX_CONNS:
        if (number_arg("--max-connections", arg, 1, 100000, &n)) return -1;
        o->server.max_connections = (int)n; return 0;
    case OPT_FAULT: return add_fault(o, arg);
    case OPT_SEED:
        if (number_arg("--seed", arg, 0, 1LL << 62, &n)) return -1;
        o->seed = (unsigned long)n; return 0;
    case OPT_FIU: o->fiu_ctrl = arg; return 0;
    case OPT_LIST: o->list_faults = 1; return 0;
    case OPT_JSON: o->json = 1; return 0;
    default: return -1;
    }
}

static int parse_args(int argc, char **argv, gw_opts *o)
{
    int c;

    o->server.port = 8080;
    o->server.max_message = 16u << 20;
    o->server.startup_delay_ms = 2000;
    o->server.ready_queue = 64;
    o->server.handshake_timeout_s = DEFAULT_HANDSHAKE_S;
    o->server.max_queue = DEFAULT_MAX_QUEUE;
    o->server.ping_interval_s = DEFAULT_PING_S;
    o->server.ping_timeout_s = DEFAULT_PING_S;
    o->server.max_connections = DEFAULT_MAX_CONNECTIONS;
    o->seed = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == OPT_HELP) {
            fputs(usage, stdout);
            exit(0);
        }
        if (c == '?') {
            fprintf(stderr, "gateway: unknown or incomplete option \"%s\" "
                    "(see build/gateway --help)\n", argv[optind - 1]);
            return -1;
        }
        if (apply_opt(o, c, optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "gateway: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -1;
    }
    if (!o->server.jwt_secret)
        o->server.jwt_secret = getenv("GATEWAY_JWT_SECRET");
    return 0;
}

static int start_faults(gw_opts *o)
{
    char err[256];

    gw_faults_init(o->seed);
    for (int i = 0; i < o->nfaults; i++) {
        if (gw_fault_enable(&o->faults[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "gateway: %s\n", err);
            return -1;
        }
        gw_log("info", "fault_enabled", json_pack("{s:s}", "name", o->faults[i].name));
    }
    if (o->fiu_ctrl && fiu_rc_fifo(o->fiu_ctrl) != 0) {
        fprintf(stderr, "gateway: --fiu-ctrl %s: cannot create the control FIFOs\n",
                o->fiu_ctrl);
        return -1;
    }
    return 0;
}

/*
 * Many distributions start processes with 1024 descriptors, fewer than a
 * thousand clients plus reconnects need. Raise the soft limit towards the
 * hard one; failing that is not fatal, the gateway then serves fewer.
 * Returns the limit in effect.
 */
static rlim_t raise_fd_limit(rlim_t want)
{
    struct rlimit rl;
    rlim_t had;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return RLIM_INFINITY;   /* unknown: nothing to fit */
    had = rl.rlim_cur;
    if (had >= want)
        return had;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        return want;
    gw_log("warn", "fd_limit_not_raised",
           json_pack("{s:I,s:s}", "wanted", (json_int_t)want, "error", strerror(errno)));
    return had;
}

/*
 * Out of descriptors, lws cannot accept a connection, let alone answer
 * it 503: it stays in the listen queue, unanswered. So the cap is lowered
 * to what the limit holds, headroom kept for the upgrades being refused.
 */
static void fit_fd_limit(gw_server_config *cfg)
{
    rlim_t need = (rlim_t)cfg->max_connections + FD_HEADROOM;
    rlim_t have = raise_fd_limit(need > WANT_FDS ? need : WANT_FDS);
    int fit;

    if (have >= need)
        return;
    fit = (int)(have > 2 * FD_HEADROOM ? have - FD_HEADROOM : have / 2);
    gw_log("warn", "fd_limit_low", json_pack("{s:I,s:i,s:i}", "limit", (json_int_t)have,
                                             "max_connections", cfg->max_connections,
                                             "serving", fit));
    cfg->max_connections = fit;
}

int main(int argc, char **argv)
{
    gw_opts o;
    char err[256];

    memset(&o, 0, sizeof(o));
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    if (o.list_faults) {
        gw_faults_print_catalogue(o.json);
        return 0;
    }
    if (!o.server.jwt_secret || !*o.server.jwt_secret) {
        fprintf(stderr, "gateway: no JWT secret: pass --jwt-secret S or set "
                "GATEWAY_JWT_SECRET\n");
        return 2;
    }
    if (start_faults(&o) != 0)
        return 2;
    fit_fd_limit(&o.server);
    if (gw_server_run(&o.server, err, sizeof(err)) != GW_SERVER_OK) {
        gw_log("error", "start_failed", json_pack("{s:s}", "error", err));
        return 1;
    }
    return 0;
}
