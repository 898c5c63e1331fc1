/*
 * hs_contract: the degradation contract (README.md, "The degradation
 * contract"), judged on every scenario whatever its own steps say.
 *
 * The seven clauses are written once, in the table hs_contract_clause
 * reads: each clause's number, name, the line a report shows for it and
 * its judge. Each broken clause adds a reason {"clause": N, "step",
 * "line", "message"} saying what was seen; the message ends with
 * "(contract N)".
 */
#ifndef HS_CONTRACT_H
#define HS_CONTRACT_H

#include <stddef.h>
#include <jansson.h>

#include "judge/hs_client.h"
#include "scenario/hs_profile.h"
#include "scenario/hs_scenario.h"

/* What a scenario run left behind for the judge. */
typedef struct hs_record {
    const hs_scenario *scn;
    const hs_profile *profile;  /* the target's dialect */
    json_t *fault_counts;       /* fault hits from the counting library (profile
                                   "fault_hits": "preload"), or NULL */
    const char *counts_err;     /* why those could not be read, or NULL */
    json_t *unverified;         /* clauses the target cannot show: the judges add
                                   {"clause", "why"}; NULL: not recorded */
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
    int kept;                   /* it lives on for the next case: no stop to
                                   judge here (hs_runner_keep.c) */
    int stop_status;            /* wait status after SIGTERM (or death) */
    int stop_killed;            /* SIGTERM was not enough */
    const char *stderr_text;    /* the target's whole stderr, or NULL */
} hs_record;

/* A clause's judge: adds a reason per breach, returns how many. */
typedef int (*hs_clause_judge)(const hs_record *r, json_t *reasons);

/* One clause of the contract. */
typedef struct hs_clause {
    int number;             /* 1..HS_CONTRACT_CLAUSES, as in reasons */
    const char *name;       /* one word, its judge's: hs_contract_<name> */
    const char *text;       /* the clause in one line, as reports show it */
    hs_clause_judge judge;
} hs_clause;

#define HS_CONTRACT_CLAUSES 7

/*
 * Clause k, or NULL for any other number (0, a scenario's own expectation,
 * is no clause). k is wide: reasons read back from a results document may
 * carry any integer, and none may wrap onto a clause.
 */
const hs_clause *hs_contract_clause(long long k);

/* Add a reason to reasons. step/line < 0 mean "the scenario as a whole". */
void hs_reason(json_t *reasons, int clause, int step, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A breach of clause k found outside this module (the runner's upgrade
 * checks, the run's fault coverage): hs_reason with the message ending in
 * "(contract K)", as every clause's own judge writes it. */
void hs_contract_breach(json_t *reasons, int k, int step, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Judge every clause, in order; returns how many reasons were added. */
int hs_contract_check(const hs_record *r, json_t *reasons);

/* Each clause's judge, also in the table; named for unit tests. */
int hs_contract_upgrade(const hs_record *r, json_t *reasons);
int hs_contract_close(const hs_record *r, json_t *reasons);
int hs_contract_answers(const hs_record *r, json_t *reasons);
int hs_contract_visible(const hs_record *r, json_t *reasons);
int hs_contract_survival(const hs_record *r, json_t *reasons);
int hs_contract_logs(const hs_record *r, json_t *reasons);
int hs_contract_fired(const hs_record *r, json_t *reasons);

/* First sanitizer report line in text, or NULL. */
const char *hs_contract_sanitizer(const char *text, char *line, size_t len);

/*
 * The fault points a health document says were reached, each as
 * {"reached": N, "fired": M}: what results.json and the soak's figures
 * record, and what clause 7 reads. A new object; empty when the profile's
 * health has no fault counters.
 */
json_t *hs_contract_fault_counts(const hs_profile *p, const json_t *health);

/*
 * Record that clause could not be judged on this target and why (it has no
 * health endpoint, its stderr is not JSON lines, nothing counts its fault
 * hits): results.json lists these under the case's "unverified"; they
 * neither fail nor pass the case, so a report shows what went unjudged.
 */
void hs_contract_unverified(const hs_record *r, int clause, const char *why);

#endif
