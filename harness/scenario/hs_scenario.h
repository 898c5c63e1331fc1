/*
 * hs_scenario: the scenario file format, loaded and validated.
 *
 * A scenario is one JSON file. The loader refuses a bad file before anything
 * runs, naming the file, line, column and the field at fault. Unknown keys are
 * errors. The format is described for editors in scenarios/schema.json and for
 * people in the README ("Scenario files").
 */
#ifndef HS_SCENARIO_H
#define HS_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "wire/hs_wirefault.h"

#define HS_SCN_OK 0
#define HS_SCN_ERR -1

/* A scenario file larger than this is refused before parsing. */
#define HS_SCN_MAX_BYTES (1024 * 1024)

/* expect_close "code": "shutdown": the code the target's profile says its
 * clients get when it stops (the dialect's, not a fixed 1001). */
#define HS_CLOSE_SHUTDOWN -2
/* "code": "keepalive" and "slow_consumer": how the profile says the target
 * ends a dead peer and a slow consumer (its "wire" section). */
#define HS_CLOSE_KEEPALIVE -3
#define HS_CLOSE_SLOW_CONSUMER -4

/* disconnect "how": end TCP with a FIN, a reset, or shut our side only. */
typedef enum hs_drop_how { HS_DROP_FIN, HS_DROP_RESET, HS_DROP_HALF } hs_drop_how;

typedef enum hs_step_kind {
    HS_STEP_CONNECT,       /* open a WebSocket connection */
    HS_STEP_SEND,          /* send a message, a frame or raw bytes */
    HS_STEP_EXPECT,        /* wait for a frame whose fields match */
    HS_STEP_EXPECT_EVENTS, /* wait for the 5 agent events of a request */
    HS_STEP_EXPECT_CLOSE,  /* wait for the server to close the connection */
    HS_STEP_CLOSE,         /* client-initiated close handshake */
    HS_STEP_DISCONNECT,    /* drop the TCP connection without a close frame */
    HS_STEP_HTTP,          /* plain HTTP request and expected answer */
    HS_STEP_HEALTH,        /* GET /health and match fields, optionally waiting */
    HS_STEP_FAULT,         /* enable or disable a fault point at run time */
    HS_STEP_SLEEP,         /* wait a fixed time (only for time-based behaviour) */
    HS_STEP_SIGNAL,        /* send a signal to the spawned target */
    HS_STEP_EXPECT_MESSAGE,/* wait for one message or pong and compare its bytes */
    HS_STEP_REQUEST,       /* send a request of a kind, in the target's dialect */
    HS_STEP_EXPECT_ERROR,  /* wait for an error of a kind (for a request) */
    HS_STEP_EXPECT_PONG,   /* wait for the pong of a ping */
    HS_STEP_EXPECT_NOTICE, /* wait for the degraded notice (naming a part) */
    HS_STEP_WIRE,          /* set a connection's wire faults (hs_wirefault) */
    HS_STEP_MEMORY,        /* the target's RSS: take a mark, or bound the growth */
    HS_STEP_STORM          /* many clients dropped at once, reconnecting */
} hs_step_kind;

#define HS_STEP_LAST HS_STEP_STORM

/*
 * Conformance verdicts (a scenario with "rfc"), in order of severity; the
 * names in files are "ok", "informational", "non_strict", "unimplemented"
 * and "failed" (see hs_verdict.h for what each means).
 */
typedef enum hs_tier {
    HS_TIER_OK,
    HS_TIER_INFORMATIONAL,
    HS_TIER_NON_STRICT,
    HS_TIER_UNIMPLEMENTED,
    HS_TIER_FAILED
} hs_tier;

/*
 * What a judging step can observe; its "outcomes" map each to a tier.
 * connect: accepted refused dropped other incomplete, and with an
 * extension offer agreed declined invalid restricted; expect_message:
 * match mismatch closed too_big silent; expect_close and close: closed
 * dropped answered silent.
 */
typedef enum hs_outcome {
    HS_OUT_ACCEPTED,       /* 101 with the right Sec-WebSocket-Accept */
    HS_OUT_REFUSED,        /* a 4xx answer */
    HS_OUT_DROPPED,        /* TCP ended without an answer or a close frame */
    HS_OUT_OTHER,          /* any other HTTP answer */
    HS_OUT_AGREED,         /* permessage-deflate agreed within the offer */
    HS_OUT_DECLINED,       /* the offer was not taken up */
    HS_OUT_INVALID,        /* the extensions answer breaks RFC 6455 / 7692 */
    HS_OUT_RESTRICTED,     /* agreed, with client_no_context_takeover the
                              case's frames cannot honour */
    HS_OUT_INCOMPLETE,     /* the answer lacks a header "expect_headers"
                              asks for */
    HS_OUT_MATCH,          /* the expected message came */
    HS_OUT_MISMATCH,       /* another message came instead */
    HS_OUT_CLOSED,         /* expect_message: the connection ended first;
                              expect_close, close: the server's close frame */
    HS_OUT_TOO_BIG,        /* the connection ended with 1009 first */
    HS_OUT_SILENT,         /* nothing within the step's ceiling */
    HS_OUT_ANSWERED,       /* a message or pong came before the close */
    HS_OUT_COUNT
} hs_outcome;

/* How a fault point fires once enabled. */
typedef enum hs_fault_mode {
    HS_FAULT_ALWAYS,       /* every hit */
    HS_FAULT_ONCE,         /* the first hit only */
    HS_FAULT_PROBABILITY,  /* each hit with probability p */
    HS_FAULT_AFTER,        /* every hit after the first n */
    HS_FAULT_NTH           /* the n-th hit only (1-based) */
} hs_fault_mode;

typedef struct hs_fault {
    char *name;            /* catalogued name, e.g. gateway/bridge/create */
    hs_fault_mode mode;
    double probability;    /* HS_FAULT_PROBABILITY */
    long n;                /* HS_FAULT_AFTER, HS_FAULT_NTH */
    int expect_fire;       /* contract 7 applies (default 1) */
    int line;
} hs_fault;

/* A POSIX fault through libfiu's preload: explicit probability and errno. */
typedef struct hs_posix_fault {
    char *name;            /* e.g. posix/io/net/send */
    double probability;
    int err;               /* errno handed to the failing call (failinfo) */
    int line;
} hs_posix_fault;

/* What a send step puts on the wire. */
typedef enum hs_payload_kind {
    HS_PAYLOAD_JSON,       /* "json": any JSON value, sent as one text frame */
    HS_PAYLOAD_TEXT,       /* "text": a string, one text frame */
    HS_PAYLOAD_BINARY,     /* "binary_hex": bytes, one binary frame */
    HS_PAYLOAD_FRAME,      /* "frame": a frame spelled out field by field */
    HS_PAYLOAD_RAW,        /* "raw_hex": bytes written as they are */
    HS_PAYLOAD_PONG        /* expect_message "pong_text"/"pong_hex" */
} hs_payload_kind;

typedef struct hs_frame_fields {
    int fin;               /* default 1 */
    int rsv;               /* 0..7, default 0 */
    int opcode;            /* 0..15 */
    int masked;            /* default 1 */
    int64_t declared_len;  /* -1: the payload's real length */
    int len_form;          /* 0 minimal; 16 or 64: that length form */
} hs_frame_fields;

typedef struct hs_step {
    hs_step_kind kind;
    int line;              /* line of the step's opening brace */
    int index;             /* 0-based position in "steps" */
    char *conn;            /* connection name; default "main" */
    int timeout_ms;        /* 0: the scenario's step timeout */
    char *only;            /* run only against the target whose profile has
                              this name (a field only its dialect has), or NULL */

    /* connect */
    char *user;            /* token subject; default: conn name */
    char *token;           /* valid, missing, expired, forged, alg_none,
                              wrong_secret, garbage, oversized, short_lived
                              (valid for 2 s); default valid */
    char *token_raw;       /* a literal token, overrides token */
    char *token_of;        /* present again the token this earlier connection
                              presented (a client that reconnects), or NULL */
    char *token_in;        /* header or query; NULL: where the profile says */
    char *path;            /* NULL: the profile's app_path; may carry a query */
    int expect_status;     /* connect: default 101; http: default 200 */
    json_t *headers;       /* object: extra request headers, or NULL */
    char *ws_key;          /* NULL: random; "": header omitted */
    char *ws_version;      /* NULL: 13; "": header omitted */
    char *subprotocol;     /* NULL: none */
    int omit_upgrade;      /* leave out the Upgrade header */
    int omit_connection;   /* leave out "Connection: Upgrade" */
    int omit_host;         /* leave out the Host header */
    char *http_version;    /* request line's version; NULL: 1.1 */
    int absolute_uri;      /* request target http://host:port/path */
    int handshake;         /* 0: a bare TCP connection, no upgrade; default 1 */
    char *extensions;      /* Sec-WebSocket-Extensions offer ("extensions",
                              or built from "deflate"), or NULL */
    int needs_client_context; /* "deflate": client_no_context_takeover in
                              the answer is outcome "restricted" */
    json_t *expect_headers;/* object: response header -> text it contains */

    /* send */
    hs_payload_kind payload_kind;
    json_t *json;          /* HS_PAYLOAD_JSON */
    unsigned char *bytes;  /* TEXT, BINARY, FRAME payload, RAW bytes */
    size_t nbytes;
    hs_frame_fields frame; /* HS_PAYLOAD_FRAME */
    size_t chop;           /* write in pieces of this many bytes (send, and
                              connect's request); 0 = whole */
    int repeat;            /* send this many times; default 1 */
    size_t size;           /* 0, or the payload repeated to this many bytes
                              (send and expect_message) */
    size_t fragment;       /* payload bytes per frame; 0: one frame */
    int compress;          /* permessage-deflate the message */

    /* expect, http, health */
    json_t *match;         /* matcher object (see hs_match.h), or NULL */

    /* expect_events; request, expect_error, expect_pong ("id") */
    char *request_id;
    int degraded;          /* -1 any, 0 must be false, 1 must be true */

    /* request, expect_error, expect_notice: in the target's dialect, which
       its profile (hs_profile) spells out */
    int req_kind;          /* hs_req_kind: agent (default), ping, unknown,
                              invalid_message, invalid_json */
    char *req_type;        /* agent: the type alias; NULL: the profile's first */
    char *text;            /* agent: the request's text; NULL: "" */
    int error_kind;        /* expect_error: hs_err_kind */
    int retry_hint;        /* expect_error: the error must carry a retry hint */
    char *notice_reason;   /* expect_notice: text one of its reasons holds */
    json_t *state;         /* health: {"ready", "degraded", "failed",
                              "settled", "connections"}, or NULL */

    /* expect_close */
    int close_code;        /* 0: any code; -1: abnormal (no close frame);
                              HS_CLOSE_SHUTDOWN: the profile's shutdown_close */
    int *codes;            /* expect_close, close: acceptable close codes */
    size_t ncodes;
    int probe_ms;          /* expect_close: no close by then, send an empty
                              ping whose pong shows the connection lives */

    /* judging steps of a conformance case: hs_tier per hs_outcome, -1
       where the step's default applies */
    signed char outcomes[HS_OUT_COUNT];

    /* close */
    int send_code;         /* code in our close frame; 0: none */
    char *reason;

    /* http, connect */
    char *method;          /* default GET */
    char *body;

    /* health */
    int wait;              /* poll until the match holds or timeout */

    /* fault */
    hs_fault fault;
    int enable;            /* 1 enable, 0 disable */

    /* sleep */
    int sleep_ms;

    /* signal */
    int signo;             /* SIGTERM, SIGINT, SIGHUP or SIGKILL */

    /* wire; connect's "wire": faults from the first byte */
    hs_wire wire;
    int has_wire;

    /* disconnect */
    int how;               /* hs_drop_how */

    /* close */
    int then_reset;        /* "then": "reset": RST right after our close frame */

    /* memory */
    int mark;              /* take the RSS mark growth is measured from */
    long max_growth_kib;   /* the RSS may have grown this much since the mark */

    /* storm */
    int clients;           /* connections dropped at once and reconnecting */
    int spread_ms;         /* reconnects spread over this long (jitter); 0: at once */
    int recover_ms;        /* all must be back within this */
} hs_step;

/*
 * A scenario's "target" settings that a target takes as flags: the
 * reference gateway's own, another target's where its profile names them
 * ("settings"). Names as files write them are hs_setting_names.
 */
typedef enum hs_setting {
    HS_SET_STARTUP_DELAY_MS,
    HS_SET_READY_QUEUE,
    HS_SET_MAX_MESSAGE,
    HS_SET_HANDSHAKE_TIMEOUT_S,
    HS_SET_PING_INTERVAL_S,   /* keepalive: ping a connection this quiet */
    HS_SET_PING_TIMEOUT_S,    /* ... and end it when no pong came by then */
    HS_SET_MAX_QUEUE,         /* bytes queued for one connection at most */
    HS_SET_MAX_CONNECTIONS,   /* WebSocket connections at most */
    HS_SETTINGS
} hs_setting;

extern const char *const hs_setting_names[];

typedef struct hs_target_opts {
    int echo;              /* start the gateway with --echo */
    long settings[HS_SETTINGS]; /* -1: the target's default */
    char *jwt_secret;      /* a fixed token secret instead of a fresh one, or NULL */
    int wait_ready;        /* wait for status != starting before steps; default 1 */
    char **args;           /* extra gateway arguments, NULL-terminated */
} hs_target_opts;

typedef struct hs_scenario {
    char *file;            /* path as given */
    char *id;              /* unique; matches the file name without .json */
    char *title;
    char *seed;            /* one of the nine seed ids, or NULL */
    char **tags;           /* NULL-terminated */
    char *description;
    char *rfc;             /* conformance case: the RFC section it checks,
                              e.g. "RFC 6455 5.5.2"; NULL otherwise */
    char *expect;          /* conformance case: what the server must do */
    hs_target_opts target;
    hs_fault *faults;
    size_t nfaults;
    hs_posix_fault *posix_faults;
    size_t nposix;
    int timeout_ms;        /* whole scenario ceiling; default 20000 */
    int step_timeout_ms;   /* default 5000 */
    hs_step *steps;
    size_t nsteps;
} hs_scenario;

/* The nine seed failure ids, NULL-terminated. */
extern const char *const hs_seed_ids[];

/*
 * Load and validate one scenario file. On failure returns HS_SCN_ERR and
 * writes "FILE:LINE:COL: field PATH: what is wrong" into err.
 */
int hs_scenario_load(const char *path, hs_scenario **out, char *err, size_t errlen);

/*
 * Same, from a buffer; name is used in messages. When name ends in .json the
 * id must equal its base name without .json, as for a loaded file.
 */
int hs_scenario_parse(const char *name, const char *text, size_t len,
                      hs_scenario **out, char *err, size_t errlen);

void hs_scenario_free(hs_scenario *s);

/* Human name of a step kind as written in files ("connect", "expect", ...). */
const char *hs_step_kind_name(hs_step_kind k);

/*
 * The bytes a send or expect_message step means: its payload, repeated to
 * "size" when the step has one. malloc'd (at least one byte allocated, a
 * NUL after *n); NULL when memory runs out.
 */
unsigned char *hs_step_payload(const hs_step *st, size_t *n);

/* Names of tiers and outcomes as written in files ("non_strict", "too_big"). */
const char *hs_tier_key(hs_tier t);
const char *hs_outcome_key(hs_outcome o);

#endif
