/*
 * hs_contract: the degradation contract of DESIGN.md, judged on every
 * scenario whatever its own steps say.
 *
 *   1  a well-formed upgrade gets 101, never 5xx
 *   2  no close 1011, no abnormal close unless the transport was broken
 *   3  every request gets a terminal answer, events in order
 *   4  degraded operation is visible: notice first, /health names it
 *   5  the target survives, no sanitizer report, counts back to baseline
 *   6  every log line is one JSON object, states are strings
 *   7  an enabled fault that never fired has tested nothing
 *
 * Each broken clause adds a reason {"clause": N, "step", "line",
 * "message"} saying what was seen.
 */
#ifndef HS_CONTRACT_H
#define HS_CONTRACT_H

#include <stddef.h>
#include <jansson.h>

#include "judge/hs_client.h"
#include "scenario/hs_scenario.h"

/* What a scenario run left behind for the judge. */
typedef struct hs_record {
    const hs_scenario *scn;
    hs_client **clients;        /* every connection opened, closed or not */
    size_t nclients;
    int transport_faults;       /* POSIX faults were injected */
    json_t *http_statuses;      /* array of {"step", "line", "status", "what"} */
    json_t *health_final;       /* /health after the steps, or NULL */
    json_t *health_settled;     /* /health once clients were gone, or NULL */
    int has_health;             /* the target serves /health */
    json_t *faults_enabled;     /* array of {"name", "expect_fire", "step"} */
    int spawned;                /* the judge started the target */
    int died;                   /* it ended before the judge stopped it */
    int stop_status;            /* wait status after SIGTERM (or death) */
    int stop_killed;            /* SIGTERM was not enough */
    const char *stderr_text;    /* the target's whole stderr, or NULL */
} hs_record;

/* Add a reason to reasons. step/line < 0 mean "the scenario as a whole". */
void hs_reason(json_t *reasons, int clause, int step, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Judge all seven clauses; returns how many reasons were added. */
int hs_contract_check(const hs_record *r, json_t *reasons);

/* The individual clauses, for unit tests. */
int hs_contract_upgrade(const hs_record *r, json_t *reasons);
int hs_contract_close(const hs_record *r, json_t *reasons);
int hs_contract_answers(const hs_record *r, json_t *reasons);
int hs_contract_visible(const hs_record *r, json_t *reasons);
int hs_contract_survival(const hs_record *r, json_t *reasons);
int hs_contract_logs(const hs_record *r, json_t *reasons);
int hs_contract_fired(const hs_record *r, json_t *reasons);

/* First sanitizer report line in text, or NULL. */
const char *hs_contract_sanitizer(const char *text, char *line, size_t len);

#endif
