/*
 * hs_verdict: Autobahn-style verdicts for conformance cases (scenarios with
 * "rfc"), and the judging steps that observe what a server does.
 *
 * A case gets two verdicts. Behavior: OK; NON-STRICT (a SHOULD was not
 * followed, or a MUST too late, e.g. invalid UTF-8 caught only at the end
 * of a message); INFORMATIONAL (a choice the RFC leaves open, shown for
 * information); UNIMPLEMENTED (an optional feature the server does not
 * offer, e.g. permessage-deflate declined); FAILED (a MUST was broken).
 * Close: OK; WRONG CODE (the close frame carried a code the case does not
 * expect); UNCLEAN (TCP ended without a close frame).
 *
 * Each judging step observes one outcome (hs_outcome) and maps it to a tier
 * with the step's "outcomes", else with the step's defaults. The worst tier
 * of a case is its behavior verdict. FAILED adds a reason, so the case fails
 * and stops there; UNIMPLEMENTED stops the case without failing it;
 * NON-STRICT passes unless the run is --strict; INFORMATIONAL passes. Any
 * other step failure of a conformance case (clause 0) is FAILED too. The
 * degradation contract is judged beside the verdicts: it may still fail a
 * case whose behavior is OK (an abnormal close, a 1011).
 *
 * Every message that quotes the server's bytes shows them in hex, never raw.
 */
#ifndef HS_VERDICT_H
#define HS_VERDICT_H

#include <stddef.h>
#include <jansson.h>

#include "judge/hs_client.h"
#include "scenario/hs_scenario.h"

typedef enum hs_close_verdict {
    HS_CLOSE_OK,
    HS_CLOSE_WRONG_CODE,
    HS_CLOSE_UNCLEAN
} hs_close_verdict;

typedef struct hs_verdict {
    int on;                    /* the scenario is a conformance case */
    const char *rfc;           /* its citation, borrowed from the scenario */
    hs_tier behavior;          /* the worst tier so far */
    hs_close_verdict close;    /* the worst close verdict so far */
    int stop;                  /* the steps after this one are not run */
    json_t *notes;             /* array: why each tier or close verdict below
                                  OK was given */
} hs_verdict;

void hs_verdict_init(hs_verdict *v, const hs_scenario *s);
void hs_verdict_free(hs_verdict *v);

/*
 * Record a tier for what the step observed (what: a phrase saying what
 * happened). FAILED adds a reason to reasons; any tier below OK adds a
 * note. Returns 0 when the case goes on, -1 when it stops (FAILED or
 * UNIMPLEMENTED).
 */
int hs_verdict_tier(hs_verdict *v, hs_tier t, const hs_step *st, json_t *reasons,
                    const char *what);

/* Record a close verdict with the note saying why. */
void hs_verdict_close_tier(hs_verdict *v, hs_close_verdict cv, const char *what);

/*
 * The judging steps. Each returns 0 when the case goes on, -1 when it
 * stops. connect: called once the runner's connect attempt is over, with c->ws
 * NULL and err saying why when it got no HTTP answer. expect_message, expect_close
 * and close: read from c until the outcome is known or timeout_ms passes.
 */
int hs_verdict_connect(hs_verdict *v, hs_client *c, const hs_step *st, const char *err,
                       json_t *reasons);
int hs_verdict_expect_message(hs_verdict *v, hs_client *c, const hs_step *st,
                              int timeout_ms, json_t *reasons);
int hs_verdict_expect_close(hs_verdict *v, hs_client *c, const hs_step *st,
                            int timeout_ms, json_t *reasons);
int hs_verdict_close(hs_verdict *v, hs_client *c, const hs_step *st, int timeout_ms,
                     json_t *reasons);

/* The runner closed a connection left open with sent_code; peer_code is
 * the server's answer (1006: none). */
void hs_verdict_end(hs_verdict *v, const hs_client *c, int sent_code, int peer_code);

/*
 * The case's "verdict" object: {"behavior", "close", "notes"}. Behavior is
 * FAILED when reasons hold any failed step (clause 0).
 */
json_t *hs_verdict_json(const hs_verdict *v, const json_t *reasons);

/* "OK", "NON-STRICT", ... and "OK", "WRONG CODE", "UNCLEAN". */
const char *hs_tier_name(hs_tier t);
const char *hs_close_name(hs_close_verdict c);

/*
 * --strict: does this results.json case fail although it passed, because
 * its behavior is NON-STRICT or its close verdict is not OK? 1 or 0.
 */
int hs_verdict_strict_fails(const json_t *c);

/*
 * Count verdicts over a results.json "cases" array: {"cases": N,
 * "behavior": {"OK": n, ...}, "close": {...}}, every tier present.
 */
json_t *hs_verdict_counts(const json_t *cases);

/* One line for people: "verdicts (N cases): behavior 300 OK, 2 NON-STRICT,
 * ...; close 296 OK, ..." (zero counts left out); "" without any case. */
void hs_verdict_counts_line(const json_t *counts, char *out, size_t len);

#endif
