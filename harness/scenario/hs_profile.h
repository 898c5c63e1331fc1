/*
 * hs_profile: a target's dialect, read from a profile file.
 *
 * Every gateway speaks its own dialect of the same contract: where its
 * application socket is, how a token reaches it, what its requests and
 * answers look like, which field carries a request's id, what its events,
 * errors, pong and degraded notice are, what its health endpoint says, and
 * whether its stderr is JSON lines. A profile says all of that as data, so
 * that the judge holds no dialect of its own:
 * fixtures/targets/reference/profile.json is the reference gateway's, and
 * the default. The README documents every key; fixtures/targets/
 * profile.schema.json is the JSON Schema for editors.
 *
 * Profiles are validated like scenarios (scenario/hs_schema): unknown keys
 * refused with "did you mean", every message "FILE:LINE:COL: FIELD: what".
 * Paths inside answers and health documents are hs_match dotted paths;
 * matchers are hs_match matchers. A message template is a JSON object in
 * which the strings "{id}", "{type}" and "{text}" stand for a request's id,
 * type alias and text (hs_profile_request).
 */
#ifndef HS_PROFILE_H
#define HS_PROFILE_H

#include <stddef.h>
#include <jansson.h>

#include "scenario/hs_scenario.h"

#define HS_PROFILE_FORMAT "wsfault-profile/1"
#define HS_PROFILE_DEFAULT "fixtures/targets/reference/profile.json"

#define HS_PROFILE_OK 0
#define HS_PROFILE_ERR -1

/* Where a client presents its token. */
typedef enum hs_token_in {
    HS_TOKEN_HEADER,        /* a request header, value prefix + token */
    HS_TOKEN_QUERY,         /* a query parameter of the application path */
    HS_TOKEN_SUBPROTOCOL    /* Sec-WebSocket-Protocol: prefix + token */
} hs_token_in;

/* The kinds of request the contract needs, each from a template. */
typedef enum hs_req_kind {
    HS_REQ_AGENT,           /* an agent request: the 5 events, or an error */
    HS_REQ_PING,            /* answered by a pong */
    HS_REQ_UNKNOWN,         /* a type nobody maps: error unknown_type */
    HS_REQ_INVALID_MESSAGE, /* JSON, but not a request: error invalid_message */
    HS_REQ_INVALID_JSON,    /* not JSON: error invalid_json */
    HS_REQ_KINDS
} hs_req_kind;

/* The abstract error kinds scenarios name, mapped to a target's codes. */
typedef enum hs_err_kind {
    HS_ERR_UNKNOWN_TYPE,
    HS_ERR_SESSION_UNAVAILABLE,
    HS_ERR_NOT_READY,
    HS_ERR_INVALID_JSON,
    HS_ERR_INVALID_MESSAGE,
    HS_ERR_NO_HANDLER,
    HS_ERR_BINARY_UNSUPPORTED,
    HS_ERR_KINDS
} hs_err_kind;

/* How faults a scenario enables at start reach a target the harness spawns
 * from --target-cmd (the reference gateway takes its own --fault flags). */
typedef enum hs_start_faults {
    HS_START_FIU_CTRL,      /* libfiu's remote control, once it listens */
    HS_START_PRELOAD        /* libfiu's run preload (FIU_ENABLE), from the start */
} hs_start_faults;

/* Who can say whether a fault point fired (clause 7). */
typedef enum hs_hits_from {
    HS_HITS_HEALTH,         /* the health document's per-point counters */
    HS_HITS_PRELOAD,        /* the harness's own count of fiu_fail calls */
    HS_HITS_NONE            /* nobody: clause 7 is "unverified" */
} hs_hits_from;

/* The signal that asks a target for a leak check between cases. */
typedef enum hs_leak_signal {
    HS_LEAK_NONE,           /* the target has no such check */
    HS_LEAK_SIGUSR1,
    HS_LEAK_SIGUSR2
} hs_leak_signal;

typedef struct hs_profile_token {
    hs_token_in in;
    char *name;             /* header, query parameter, subprotocol or unused */
    char *prefix;           /* before the token ("Bearer "); "" by default */
    char *secret_env;       /* the environment variable of the secret */
} hs_profile_token;

typedef struct hs_profile_answers {
    char *id;               /* path of the request's id in every answer */
    char *event;            /* path of an event's name */
    char **events;          /* the event names of an agent answer, in order */
    char *degraded;         /* path of an event's degraded flag, or NULL */
    json_t *error;          /* matcher of an error frame */
    char *error_code;       /* path of its code */
    char *retry_hint;       /* path of not_ready's retry hint, or NULL */
    json_t *pong;           /* matcher of a pong */
    json_t *notice;         /* matcher of the degraded notice */
    char *notice_reasons;   /* path of its list of what failed, or NULL */
} hs_profile_answers;

/* A health endpoint; path NULL when the target has none. */
typedef struct hs_profile_health {
    char *path;
    char *status;           /* path of the overall status */
    char *status_degraded;  /* its value when degraded, or NULL */
    char *ready;            /* path of "ready", compared with ready_value */
    json_t *ready_value;
    char *connections;      /* paths of the counts clause 5 watches */
    char *handlers;
    char *handlers_baseline;
    char *dependencies;     /* object: dependency -> its entry */
    char *dependency_state; /* path of the state in an entry; NULL: the entry is it */
    char *dependency_failed;/* the state of a failed one */
    char *dependency_failures; /* path of a failure count in an entry, or NULL */
    char *failure_counts;   /* path of a count, or of an object of counts, of
                               failures so far (any above 0 names one), or NULL */
    char *faults;           /* object: point -> {"reached", "fired"}, or NULL */
} hs_profile_health;

/* Close codes a "wire" list holds at most. */
#define HS_PROFILE_CODES 8

typedef struct hs_profile {
    char *file;
    char *name;
    char *description;
    char *app_path;         /* the application WebSocket path ("/ws") */
    hs_profile_token token;
    char **aliases;         /* agent request types, the first the default */
    char *sent_id;          /* path of "{id}" in the agent request: where a
                               sent message carries the id answers echo */
    json_t *requests[HS_REQ_KINDS];   /* templates; invalid_json: a string */
    hs_profile_answers answers;
    char *errors[HS_ERR_KINDS];       /* each kind's code in this dialect */
    hs_profile_health health;
    int logs_json;          /* stderr is one JSON object per line (clause 6) */
    json_t *lifecycle;      /* matcher of a connection-state log line, or NULL */
    char *lifecycle_conn;   /* its paths: connection id and state */
    char *lifecycle_state;
    /* "logs": "leak_check": a target kept across cases (hs_runner) is sent
       this signal after each, and its report, if any, lands in that case's
       log slice before the line leak_done matches */
    hs_leak_signal leak_signal;
    json_t *leak_done;
    int shutdown_close;     /* the close code clients get on SIGTERM */
    hs_hits_from hits;
    hs_start_faults start_faults;
    char *setting_flags[HS_SETTINGS]; /* the flag for each scenario "target"
                               setting (hs_setting), or NULL */
    /* "wire": how the target ends a dead peer (no pong within its timeout)
       and a slow consumer (its queue over the cap); 1006: no close frame */
    int keepalive_close[HS_PROFILE_CODES];
    size_t nkeepalive;
    int slow_consumer_close[HS_PROFILE_CODES];
    size_t nslow_consumer;
} hs_profile;

/* Load and validate path; *out is freed with hs_profile_free. */
int hs_profile_load(const char *path, hs_profile **out, char *err, size_t errlen);

/* The same from text (name is what messages call it). */
int hs_profile_parse(const char *name, const char *text, size_t len, hs_profile **out,
                     char *err, size_t errlen);

void hs_profile_free(hs_profile *p);

/* The names scenarios and profiles use for the request kinds and error
 * kinds, in hs_req_kind and hs_err_kind order, NULL-terminated. */
extern const char *const hs_profile_req_names[];
extern const char *const hs_profile_err_names[];

/*
 * A request of kind k with id and text, in the target's dialect: a new
 * JSON value (a string for HS_REQ_INVALID_JSON, sent as it is). type is
 * the agent alias ("{type}"), NULL for the first one. NULL when memory
 * runs out.
 */
json_t *hs_profile_request(const hs_profile *p, hs_req_kind k, const char *type,
                           const char *id, const char *text);

/* code is in the profile's list (keepalive_close or slow_consumer_close). */
int hs_profile_code_in(const int *codes, size_t n, int code);

/* The event names of an agent answer, and how many. */
size_t hs_profile_nevents(const hs_profile *p);

#endif
