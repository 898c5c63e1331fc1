/*
 * hs_dialect: the judge reading a target's messages and health through its
 * profile (scenario/hs_profile). Everything the contract checks about an
 * answer (which request it belongs to, whether it ends that request, whether
 * it is a degraded notice) and about a health document (ready, the counts
 * that must return to baseline, fault counters) is asked here, so no other
 * module holds a field name of any dialect.
 *
 * Answers are labelled in the judge's own words: an event name of the
 * agent answer as the profile lists them, or "error", "pong", "notice".
 */
#ifndef HS_DIALECT_H
#define HS_DIALECT_H

#include <jansson.h>

#include "scenario/hs_profile.h"

#define HS_ANSWER_ERROR "error"
#define HS_ANSWER_PONG "pong"
#define HS_ANSWER_NOTICE "notice"

/* The label of a received JSON message, or NULL for none the dialect has. */
const char *hs_dialect_answer(const hs_profile *p, const json_t *msg);

/* The request id an answer carries, or NULL. Borrowed. */
json_t *hs_dialect_answer_id(const hs_profile *p, const json_t *msg);

/* The id a message we send carries (where the agent template puts "{id}"). */
json_t *hs_dialect_sent_id(const hs_profile *p, const json_t *msg);

/* Replace the id msg carries there by id; -1 when msg carries none. */
int hs_dialect_set_sent_id(const hs_profile *p, json_t *msg, const char *id);

/* Does an answer with this label end its request (the last event, an
 * error, a pong)? */
int hs_dialect_terminal(const hs_profile *p, const char *label);

/* 1 when events (answer labels) are exactly the agent events, in order. */
int hs_dialect_complete(const hs_profile *p, const json_t *events);

/* Is the answer marked degraded? */
int hs_dialect_degraded(const hs_profile *p, const json_t *msg);

/* The name of the agent answer's event k (0-based) in this dialect. */
const char *hs_dialect_event(const hs_profile *p, size_t k);

/* ---- what scenarios expect, as matchers of the dialect ---- */

/* An error of kind (hs_err_kind), for request id (NULL: any), with a retry
 * hint when asked. A new matcher object. */
json_t *hs_dialect_error_matcher(const hs_profile *p, int kind, const char *id,
                                 int retry_hint);

/* The pong of ping id. */
json_t *hs_dialect_pong_matcher(const hs_profile *p, const char *id);

/* The degraded notice, one of whose reasons holds reason (NULL: any). */
json_t *hs_dialect_notice_matcher(const hs_profile *p, const char *reason);

/* A health document in the state a scenario names: ready, degraded,
 * failed dependencies, connections; "settled" is hs_dialect_settled's. */
json_t *hs_dialect_health_matcher(const hs_profile *p, const json_t *state);

/* The first key of state the profile's health paths cannot express (the
 * matcher leaves it out), or NULL when every key can be checked. */
const char *hs_dialect_health_unsaid(const hs_profile *p, const json_t *state);

/* ---- health ---- */

/* The target has a health endpoint: its path, else NULL. */
const char *hs_dialect_health_path(const hs_profile *p);

/* Ready to serve: the ready field holds the ready value. */
int hs_dialect_ready(const hs_profile *p, const json_t *h);

/* A count of the health document (connections, handlers, handlers_baseline
 * by the profile's path), or -1 when it is not there. */
json_int_t hs_dialect_count(const json_t *h, const char *path);

/* Connections back to 0 and handlers back to their baseline. */
int hs_dialect_settled(const hs_profile *p, const json_t *h);

/* The object of per-point fault counters, or NULL. Borrowed. */
json_t *hs_dialect_faults(const hs_profile *p, const json_t *h);

/* The dependencies whose state is the failed one, in a new array. */
json_t *hs_dialect_failed_deps(const hs_profile *p, const json_t *h);

/* Does the health document name a failure: status degraded, a dependency
 * failed, or one that counts failures? (clause 4) */
int hs_dialect_names_failure(const hs_profile *p, const json_t *h);

#endif
