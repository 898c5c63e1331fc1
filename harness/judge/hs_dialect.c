/*
 * hs_dialect: a target's answers and health, through its profile. See
 * hs_dialect.h.
 */
#include "judge/hs_dialect.h"

#include <stdio.h>
#include <string.h>

#include "scenario/hs_match.h"

static int matches(const json_t *matcher, const json_t *msg)
{
    char why[8];

    return matcher && hs_match(matcher, msg, why, sizeof(why));
}

const char *hs_dialect_answer(const hs_profile *p, const json_t *msg)
{
    const char *name;

    if (!json_is_object(msg))
        return NULL;
    /* Errors, pongs and notices first: in a dialect where they share the
     * event field with agent events, the matcher says which is which. */
    if (matches(p->answers.error, msg))
        return HS_ANSWER_ERROR;
    if (matches(p->answers.pong, msg))
        return HS_ANSWER_PONG;
    if (matches(p->answers.notice, msg))
        return HS_ANSWER_NOTICE;
    name = json_string_value(hs_match_path(msg, p->answers.event));
    for (size_t k = 0; name && p->answers.events[k]; k++)
        if (strcmp(name, p->answers.events[k]) == 0)
            return p->answers.events[k];
    return NULL;
}

json_t *hs_dialect_answer_id(const hs_profile *p, const json_t *msg)
{
    return json_is_object(msg) ? hs_match_path(msg, p->answers.id) : NULL;
}

json_t *hs_dialect_sent_id(const hs_profile *p, const json_t *msg)
{
    return json_is_object(msg) ? hs_match_path(msg, p->sent_id) : NULL;
}

int hs_dialect_set_sent_id(const hs_profile *p, json_t *msg, const char *id)
{
    const char *dot = strrchr(p->sent_id, '.');
    json_t *parent = msg;
    char head[256];

    if (dot) {
        snprintf(head, sizeof(head), "%.*s", (int)(dot - p->sent_id), p->sent_id);
        parent = hs_match_path(msg, head);
    }
    if (!json_is_object(parent) || !hs_dialect_sent_id(p, msg))
        return -1;
    return json_object_set_new(parent, dot ? dot + 1 : p->sent_id, json_string(id));
}

int hs_dialect_complete(const hs_profile *p, const json_t *events)
{
    size_t n = hs_profile_nevents(p);

    if (json_array_size(events) != n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (strcmp(json_string_value(json_array_get(events, k)), hs_dialect_event(p, k)) != 0)
            return 0;
    return 1;
}

int hs_dialect_terminal(const hs_profile *p, const char *label)
{
    size_t n = hs_profile_nevents(p);

    return label && (strcmp(label, HS_ANSWER_ERROR) == 0 ||
                     strcmp(label, HS_ANSWER_PONG) == 0 ||
                     (n > 0 && strcmp(label, p->answers.events[n - 1]) == 0));
}

int hs_dialect_degraded(const hs_profile *p, const json_t *msg)
{
    return p->answers.degraded && json_is_true(hs_match_path(msg, p->answers.degraded));
}

const char *hs_dialect_event(const hs_profile *p, size_t k)
{
    return k < hs_profile_nevents(p) ? p->answers.events[k] : NULL;
}

/* ---- matchers ---------------------------------------------------------------- */

/* A copy of base (a matcher, or NULL) to add paths to. */
static json_t *from(const json_t *base)
{
    return base ? json_deep_copy(base) : json_object();
}

json_t *hs_dialect_error_matcher(const hs_profile *p, int kind, const char *id,
                                 int retry_hint)
{
    json_t *m = from(p->answers.error);

    json_object_set_new(m, p->answers.error_code, json_string(p->errors[kind]));
    if (id)
        json_object_set_new(m, p->answers.id, json_string(id));
    if (retry_hint && p->answers.retry_hint)
        json_object_set_new(m, p->answers.retry_hint, json_pack("{s:b}", "$exists", 1));
    return m;
}

json_t *hs_dialect_pong_matcher(const hs_profile *p, const char *id)
{
    json_t *m = from(p->answers.pong);

    json_object_set_new(m, p->answers.id, json_string(id));
    return m;
}

json_t *hs_dialect_notice_matcher(const hs_profile *p, const char *reason)
{
    json_t *m = from(p->answers.notice);

    if (reason && p->answers.notice_reasons)
        json_object_set_new(m, p->answers.notice_reasons,
                            json_pack("{s:s}", "$contains", reason));
    return m;
}

/* "deps.bridge" or "dependencies.bridge.state": where a dependency's state is. */
static void dep_path(const hs_profile *p, const char *name, char *buf, size_t len)
{
    const hs_profile_health *k = &p->health;

    snprintf(buf, len, "%s.%s%s%s", k->dependencies, name, k->dependency_state ? "." : "",
             k->dependency_state ? k->dependency_state : "");
}

json_t *hs_dialect_health_matcher(const hs_profile *p, const json_t *state)
{
    const hs_profile_health *k = &p->health;
    json_t *m = json_object(), *v, *name;
    char path[512];
    size_t i;

    if ((v = json_object_get(state, "ready")) && k->ready)
        json_object_set_new(m, k->ready, json_is_true(v) ? json_incref(k->ready_value)
                                                         : json_pack("{s:O}", "$ne",
                                                                     k->ready_value));
    if ((v = json_object_get(state, "degraded")) && k->status && k->status_degraded)
        json_object_set_new(m, k->status, json_is_true(v)
                            ? json_string(k->status_degraded)
                            : json_pack("{s:s}", "$ne", k->status_degraded));
    if ((v = json_object_get(state, "connections")) && k->connections)
        json_object_set(m, k->connections, v);
    json_array_foreach(json_object_get(state, "failed"), i, name) {
        if (!k->dependencies)
            break;
        dep_path(p, json_string_value(name), path, sizeof(path));
        json_object_set_new(m, path, json_string(k->dependency_failed));
    }
    return m;
}

const char *hs_dialect_health_unsaid(const hs_profile *p, const json_t *state)
{
    const hs_profile_health *k = &p->health;

    if (json_object_get(state, "ready") && !k->ready)
        return "ready";
    if (json_object_get(state, "degraded") && !(k->status && k->status_degraded))
        return "degraded";
    if (json_object_get(state, "connections") && !k->connections)
        return "connections";
    if (json_array_size(json_object_get(state, "failed")) && !k->dependencies)
        return "failed";
    return NULL;
}

/* ---- health ---------------------------------------------------------------- */

const char *hs_dialect_health_path(const hs_profile *p)
{
    return p->health.path;
}

int hs_dialect_ready(const hs_profile *p, const json_t *h)
{
    json_t *v = p->health.ready ? hs_match_path(h, p->health.ready) : NULL;

    return v && json_equal(v, p->health.ready_value);
}

json_int_t hs_dialect_count(const json_t *h, const char *path)
{
    json_t *v = path ? hs_match_path(h, path) : NULL;

    return json_is_integer(v) ? json_integer_value(v) : -1;
}

int hs_dialect_settled(const hs_profile *p, const json_t *h)
{
    const hs_profile_health *k = &p->health;
    json_int_t base = k->handlers_baseline ? hs_dialect_count(h, k->handlers_baseline) : 0;

    return hs_dialect_count(h, k->connections) == 0 &&
           hs_dialect_count(h, k->handlers) == base;
}

json_t *hs_dialect_faults(const hs_profile *p, const json_t *h)
{
    json_t *f = p->health.faults ? hs_match_path(h, p->health.faults) : NULL;

    return json_is_object(f) ? f : NULL;
}

json_t *hs_dialect_failed_deps(const hs_profile *p, const json_t *h)
{
    const hs_profile_health *k = &p->health;
    json_t *out = json_array(), *d, *deps;
    const char *name;

    deps = k->dependencies ? hs_match_path(h, k->dependencies) : NULL;
    json_object_foreach(json_is_object(deps) ? deps : NULL, name, d) {
        json_t *st = k->dependency_state ? hs_match_path(d, k->dependency_state) : d;

        if (json_is_string(st) && strcmp(json_string_value(st), k->dependency_failed) == 0)
            json_array_append_new(out, json_string(name));
    }
    return out;
}

/* A dependency entry that counts failures and has some. */
static int counts_failures(const hs_profile *p, const json_t *deps)
{
    const char *name;
    json_t *d;

    json_object_foreach((json_t *)deps, name, d)
        if (hs_dialect_count(d, p->health.dependency_failures) > 0)
            return 1;
    return 0;
}

/* A count above 0, or an object holding one: failures so far. */
static int some_failures(const json_t *v)
{
    const char *k;
    json_t *x;

    if (json_is_integer(v))
        return json_integer_value(v) > 0;
    json_object_foreach((json_t *)v, k, x)
        if (json_is_integer(x) && json_integer_value(x) > 0)
            return 1;
    return 0;
}

int hs_dialect_names_failure(const hs_profile *p, const json_t *h)
{
    const hs_profile_health *k = &p->health;
    json_t *st = k->status ? hs_match_path(h, k->status) : NULL;
    json_t *failed = hs_dialect_failed_deps(p, h);
    json_t *deps = k->dependencies ? hs_match_path(h, k->dependencies) : NULL;
    int named = json_array_size(failed) > 0;

    json_decref(failed);
    if (k->failure_counts && some_failures(hs_match_path(h, k->failure_counts)))
        return 1;
    if (k->status_degraded && json_is_string(st) &&
        strcmp(json_string_value(st), k->status_degraded) == 0)
        return 1;
    return named || (k->dependency_failures && json_is_object(deps) &&
                     counts_failures(p, deps));
}
