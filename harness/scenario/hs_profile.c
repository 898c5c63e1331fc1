/*
 * hs_profile: target profiles, loaded and validated. See hs_profile.h.
 */
#include "scenario/hs_profile.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/hs_match.h"
#include "scenario/hs_schema.h"

#define PROFILE_MAX (256 * 1024)
#define P(m) offsetof(hs_profile, m)
#define TOK(m) offsetof(hs_profile_token, m)
#define ANS(m) offsetof(hs_profile_answers, m)
#define HEALTH(m) offsetof(hs_profile_health, m)

static const char *const formats[] = { HS_PROFILE_FORMAT, NULL };
static const char *const token_places[] = { "header", "query", "subprotocol", NULL };
static const char *const hits_from[] = { "health", "preload", "none", NULL };
static const char *const start_ways[] = { "fiu_ctrl", "preload", NULL };
/* The signals a leak check may be asked with: the others end a process
 * that does not handle them. Index order is hs_leak_signal's. */
static const char *const leak_signals[] = { "none", "SIGUSR1", "SIGUSR2", NULL };
const char *const hs_profile_req_names[] = { "agent", "ping", "unknown",
                                             "invalid_message", "invalid_json", NULL };
const char *const hs_profile_err_names[] = { "unknown_type", "session_unavailable",
                                             "not_ready", "invalid_json", "invalid_message",
                                             "no_handler", "binary_unsupported", NULL };

/* ---- field functions of this format ------------------------------------ */

/* A dotted path into an answer or a health document (hs_match's syntax). */
static int f_path(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                  const hs_field *f)
{
    const char *s = NULL;
    json_t *probe;
    char why[200];
    int ok;

    if (hs_schema_string(c, w, v, HS_STR_NONEMPTY, &s) != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    probe = json_pack("{s:b}", s, 1);
    ok = probe && hs_match_validate(probe, why, sizeof(why)) == 0;
    json_decref(probe);
    if (!ok)
        return hs_schema_fail(c, w, "not a dotted path (a.b.0): empty segment or too long");
    return hs_schema_store_string(c, w, s, dst);
}

/* A matcher object (hs_match's vocabulary). */
static int f_matcher(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                     const hs_field *f)
{
    char why[300];

    if (!json_is_object(v) || json_object_size(v) == 0)
        return hs_schema_fail(c, w, "must be a non-empty matcher object, not %s",
                              hs_schema_found(v));
    if (hs_match_validate(v, why, sizeof(why)) != 0)
        return hs_schema_fail(c, w, "%s", why);
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCHEMA_OK;
}

/* A message template: a JSON object with "{id}", "{type}", "{text}". */
static int f_template(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                      const hs_field *f)
{
    if (!json_is_object(v))
        return hs_schema_fail(c, w, "must be a JSON object (the message, with \"{id}\", "
                              "\"{type}\" and \"{text}\" where those go), not %s",
                              hs_schema_found(v));
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCHEMA_OK;
}

/* Any JSON value, kept as it is (ready's value). */
static int f_any(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                 const hs_field *f)
{
    json_decref(*(json_t **)dst);
    *(json_t **)dst = json_incref(v);
    return HS_SCHEMA_OK;
}

/* ---- nested objects ------------------------------------------------------ */

static const hs_field token_fields[] = {
    { .key = "in", .parse = hs_field_enum, .off = TOK(in), .names = token_places },
    { .key = "name", .parse = hs_field_string, .off = TOK(name),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = "prefix", .parse = hs_field_string, .off = TOK(prefix), .tag = HS_STR_LINE },
    { .key = "secret_env", .parse = hs_field_string, .off = TOK(secret_env),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = NULL }
};

static int token_rules(const hs_schema_ctx *c, const hs_where *w, json_t *v,
                       const hs_profile_token *t)
{
    if (hs_schema_require(c, w, v, "in") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    /* A header or a query parameter has a name; a subprotocol is the prefix
     * and the token. */
    if (t->in == HS_TOKEN_HEADER || t->in == HS_TOKEN_QUERY)
        return hs_schema_require(c, w, v, "name");
    return HS_SCHEMA_OK;
}

static int f_token(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                   const hs_field *f)
{
    hs_profile_token *t = dst;
    hs_table tab = { token_fields, t };

    if (hs_schema_object(c, w, v, &tab, 1, " in \"token\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    return token_rules(c, w, v, t);
}

/* "requests": each kind a {"message": template}, agent with its aliases. */
static int f_request(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                     const hs_field *f)
{
    static const hs_field message_fields[] = {
        { .key = "message", .parse = f_template, .off = 0 },
        { .key = NULL }
    };
    static const hs_field alias_fields[] = {
        { .key = "aliases", .parse = hs_field_strlist, .off = P(aliases),
          .tag = HS_STR_NONEMPTY },
        { .key = NULL }
    };
    hs_profile *p = dst;
    json_t **slot = &p->requests[f->lo];
    hs_table tabs[] = { { message_fields, slot }, { alias_fields, p } };
    hs_where m = hs_where_member(w, "message");

    if (f->lo == HS_REQ_INVALID_JSON) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return hs_schema_fail(c, w, "must be the text to send (not JSON), not %s",
                                  hs_schema_found(v));
        return f_any(c, w, v, slot, f);
    }
    /* Only the agent request has aliases; the others are one message each. */
    if (hs_schema_object(c, w, v, tabs, f->lo == HS_REQ_AGENT ? 2 : 1, "") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    if (f->lo == HS_REQ_AGENT && hs_schema_require(c, w, v, "aliases") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    if (!*slot)
        return hs_schema_fail(c, &m, "missing required key");
    return HS_SCHEMA_OK;
}

static const hs_field request_fields[] = {
    { .key = "agent", .parse = f_request, .lo = HS_REQ_AGENT },
    { .key = "ping", .parse = f_request, .lo = HS_REQ_PING },
    { .key = "unknown", .parse = f_request, .lo = HS_REQ_UNKNOWN },
    { .key = "invalid_message", .parse = f_request, .lo = HS_REQ_INVALID_MESSAGE },
    { .key = "invalid_json", .parse = f_request, .lo = HS_REQ_INVALID_JSON },
    { .key = NULL }
};

static int f_requests(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                      const hs_field *f)
{
    hs_table tab = { request_fields, dst };

    if (hs_schema_object(c, w, v, &tab, 1, " in \"requests\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; hs_profile_req_names[k]; k++)
        if (hs_schema_require(c, w, v, hs_profile_req_names[k]) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    return HS_SCHEMA_OK;
}

static const hs_field answer_fields[] = {
    { .key = "id", .parse = f_path, .off = ANS(id) },
    { .key = "event", .parse = f_path, .off = ANS(event) },
    { .key = "events", .parse = hs_field_strlist, .off = ANS(events), .tag = HS_STR_NONEMPTY },
    { .key = "degraded", .parse = f_path, .off = ANS(degraded) },
    { .key = "error", .parse = f_matcher, .off = ANS(error) },
    { .key = "error_code", .parse = f_path, .off = ANS(error_code) },
    { .key = "retry_hint", .parse = f_path, .off = ANS(retry_hint) },
    { .key = "pong", .parse = f_matcher, .off = ANS(pong) },
    { .key = "notice", .parse = f_matcher, .off = ANS(notice) },
    { .key = "notice_reasons", .parse = f_path, .off = ANS(notice_reasons) },
    { .key = NULL }
};

static int f_answers(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                     const hs_field *f)
{
    static const char *const required[] = { "id", "event", "events", "error",
                                            "error_code", "pong", "notice", NULL };
    hs_profile_answers *a = dst;
    hs_table tab = { answer_fields, a };
    hs_where m = hs_where_member(w, "events");

    if (hs_schema_object(c, w, v, &tab, 1, " in \"answers\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; required[k]; k++)
        if (hs_schema_require(c, w, v, required[k]) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    if (!a->events[0])
        return hs_schema_fail(c, &m, "needs at least one event name (the last one is "
                              "the terminal answer)");
    return HS_SCHEMA_OK;
}

static int f_errors(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                    const hs_field *f)
{
    static hs_field fields[HS_ERR_KINDS + 1];
    char **codes = dst;
    hs_table tab = { fields, codes };

    for (size_t k = 0; k < HS_ERR_KINDS; k++)
        fields[k] = (hs_field){ .key = hs_profile_err_names[k], .parse = hs_field_string,
                                .off = k * sizeof(char *), .tag = HS_STR_NONEMPTY };
    fields[HS_ERR_KINDS] = (hs_field){ .key = NULL };
    if (hs_schema_object(c, w, v, &tab, 1, " in \"errors\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; k < HS_ERR_KINDS; k++)
        if (hs_schema_require(c, w, v, hs_profile_err_names[k]) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    return HS_SCHEMA_OK;
}

static const hs_field health_fields[] = {
    { .key = "path", .parse = hs_field_string, .off = HEALTH(path),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = "status", .parse = f_path, .off = HEALTH(status) },
    { .key = "status_degraded", .parse = hs_field_string, .off = HEALTH(status_degraded),
      .tag = HS_STR_NONEMPTY },
    { .key = "ready", .parse = f_path, .off = HEALTH(ready) },
    { .key = "ready_value", .parse = f_any, .off = HEALTH(ready_value) },
    { .key = "connections", .parse = f_path, .off = HEALTH(connections) },
    { .key = "handlers", .parse = f_path, .off = HEALTH(handlers) },
    { .key = "handlers_baseline", .parse = f_path, .off = HEALTH(handlers_baseline) },
    { .key = "dependencies", .parse = f_path, .off = HEALTH(dependencies) },
    { .key = "dependency_state", .parse = f_path, .off = HEALTH(dependency_state) },
    { .key = "dependency_failed", .parse = hs_field_string, .off = HEALTH(dependency_failed),
      .tag = HS_STR_NONEMPTY },
    { .key = "dependency_failures", .parse = f_path, .off = HEALTH(dependency_failures) },
    { .key = "failure_counts", .parse = f_path, .off = HEALTH(failure_counts) },
    { .key = "faults", .parse = f_path, .off = HEALTH(faults) },
    { .key = NULL }
};

/* null: the target has no health endpoint; the clauses that need one say so. */
static int f_health(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                    const hs_field *f)
{
    static const char *const required[] = { "path", "ready", "ready_value",
                                            "connections", "handlers", NULL };
    hs_table tab = { health_fields, dst };

    if (json_is_null(v))
        return HS_SCHEMA_OK;
    if (hs_schema_object(c, w, v, &tab, 1, " in \"health\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; required[k]; k++)
        if (hs_schema_require(c, w, v, required[k]) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    return hs_schema_present_iff(c, w, v, "dependency_failed",
                                 json_object_get(v, "dependencies") != NULL,
                                 "with \"dependencies\"");
}

static const hs_field lifecycle_fields[] = {
    { .key = "match", .parse = f_matcher, .off = P(lifecycle) },
    { .key = "conn", .parse = f_path, .off = P(lifecycle_conn) },
    { .key = "state", .parse = f_path, .off = P(lifecycle_state) },
    { .key = NULL }
};

static const hs_field leak_fields[] = {
    { .key = "signal", .parse = hs_field_enum, .off = P(leak_signal), .names = leak_signals },
    { .key = "done", .parse = f_matcher, .off = P(leak_done) },
    { .key = NULL }
};

static const hs_field logs_fields[] = {
    { .key = "json_lines", .parse = hs_field_bool, .off = P(logs_json) },
    { .key = "lifecycle", .parse = NULL },
    { .key = "leak_check", .parse = NULL },
    { .key = NULL }
};

/* "leak_check": a signal that makes the target look for leaks now, and the
 * JSON log line that says it has (so it needs "json_lines": true). */
static int f_leak_check(const hs_schema_ctx *c, const hs_where *w, json_t *l, hs_profile *p)
{
    hs_table tab = { leak_fields, p };
    hs_where m = hs_where_member(w, "leak_check");

    if (!l || json_is_null(l))
        return HS_SCHEMA_OK;
    if (hs_schema_object(c, &m, l, &tab, 1, " in \"leak_check\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; leak_fields[k].key; k++)
        if (hs_schema_require(c, &m, l, leak_fields[k].key) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    if (p->leak_signal == HS_LEAK_NONE)
        return hs_schema_fail(c, &m, "signal: \"none\" asks for nothing; leave "
                              "\"leak_check\" out instead");
    if (!p->logs_json)
        return hs_schema_fail(c, &m, "needs \"json_lines\": true (its \"done\" is a "
                              "JSON log line)");
    return HS_SCHEMA_OK;
}

/* "logs": JSON lines or not, and which lines tell a connection's states. */
static int f_logs(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                  const hs_field *f)
{
    hs_table tab = { logs_fields, dst }, life = { lifecycle_fields, dst };
    json_t *l = json_object_get(v, "lifecycle");
    hs_where m = hs_where_member(w, "lifecycle");

    if (hs_schema_object(c, w, v, &tab, 1, " in \"logs\"") != HS_SCHEMA_OK ||
        hs_schema_require(c, w, v, "json_lines") != HS_SCHEMA_OK ||
        f_leak_check(c, w, json_object_get(v, "leak_check"), dst) != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    if (!l || json_is_null(l))
        return HS_SCHEMA_OK;
    if (hs_schema_object(c, &m, l, &life, 1, " in \"lifecycle\"") != HS_SCHEMA_OK)
        return HS_SCHEMA_ERR;
    for (size_t k = 0; lifecycle_fields[k].key; k++)
        if (hs_schema_require(c, &m, l, lifecycle_fields[k].key) != HS_SCHEMA_OK)
            return HS_SCHEMA_ERR;
    return HS_SCHEMA_OK;
}

/* "settings": the target's own flag for each scenario "target" setting,
 * keyed by the names scenarios use (hs_setting_names). */
static int f_settings(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                      const hs_field *f)
{
    hs_field fields[HS_SETTINGS + 1];
    hs_table tab = { fields, dst };

    memset(fields, 0, sizeof(fields));
    for (size_t k = 0; k < HS_SETTINGS; k++) {
        fields[k].key = hs_setting_names[k];
        fields[k].parse = hs_field_string;
        fields[k].off = k * sizeof(char *);
        fields[k].tag = HS_STR_NONEMPTY | HS_STR_LINE;
    }
    return hs_schema_object(c, w, v, &tab, 1, " in \"settings\"");
}

/* A "wire" list of close codes; 1006 stands for an end without a close
 * frame (RFC 6455 7.1.5), which is how many stacks drop a dead peer. */
static int f_close_list(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                        const hs_field *f)
{
    int *codes = dst;
    size_t *n = (size_t *)((char *)dst + f->lo);
    long long code;

    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > HS_PROFILE_CODES)
        return hs_schema_fail(c, w, "must be a list of 1 to %d close codes, e.g. [1008]",
                              HS_PROFILE_CODES);
    for (size_t i = 0; i < json_array_size(v); i++) {
        hs_where e = hs_where_element(w, i);

        if (hs_schema_int(c, &e, json_array_get(v, i), 1000, 4999, &code) != 0)
            return HS_SCHEMA_ERR;
        codes[i] = (int)code;
    }
    *n = json_array_size(v);
    return HS_SCHEMA_OK;
}

/* .lo: from the list to its count, so one parser serves both lists. */
static const hs_field wire_fields[] = {
    { .key = "keepalive_close", .parse = f_close_list, .off = P(keepalive_close),
      .lo = P(nkeepalive) - P(keepalive_close) },
    { .key = "slow_consumer_close", .parse = f_close_list, .off = P(slow_consumer_close),
      .lo = P(nslow_consumer) - P(slow_consumer_close) },
    { .key = NULL }
};

static int f_wire(const hs_schema_ctx *c, const hs_where *w, json_t *v, void *dst,
                  const hs_field *f)
{
    hs_table tab = { wire_fields, dst };

    return hs_schema_object(c, w, v, &tab, 1, " in \"wire\"");
}

int hs_profile_code_in(const int *codes, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] == code)
            return 1;
    return 0;
}

static const hs_field top_fields[] = {
    { .key = "name", .parse = hs_field_string, .off = P(name), .tag = HS_STR_NONEMPTY },
    { .key = "description", .parse = hs_field_string, .off = P(description) },
    { .key = "app_path", .parse = hs_field_string, .off = P(app_path),
      .tag = HS_STR_NONEMPTY | HS_STR_LINE },
    { .key = "token", .parse = f_token, .off = P(token) },
    { .key = "requests", .parse = f_requests, .off = 0 },
    { .key = "answers", .parse = f_answers, .off = P(answers) },
    { .key = "errors", .parse = f_errors, .off = P(errors) },
    { .key = "health", .parse = f_health, .off = P(health) },
    { .key = "logs", .parse = f_logs, .off = 0 },
    { .key = "shutdown_close", .parse = hs_field_int, .off = P(shutdown_close),
      .lo = 1000, .hi = 4999 },
    { .key = "fault_hits", .parse = hs_field_enum, .off = P(hits), .names = hits_from },
    { .key = "start_faults", .parse = hs_field_enum, .off = P(start_faults),
      .names = start_ways },
    { .key = "settings", .parse = f_settings, .off = P(setting_flags) },
    { .key = "wire", .parse = f_wire, .off = 0 },
    { .key = NULL }
};

/* ---- the document ----------------------------------------------------------- */

static const hs_field format_field[] = {
    { .key = "format", .parse = hs_field_enum_str, .off = 0, .names = formats },
    { .key = NULL }
};

static int check_top(const hs_schema_ctx *c, json_t *root, hs_profile *p)
{
    char *format = NULL;
    hs_table tabs[] = { { format_field, &format }, { top_fields, p } };
    int rc = hs_schema_object(c, NULL, root, tabs, 2, " at the top level");

    free(format);
    if (rc == HS_SCHEMA_OK)
        rc = hs_schema_require(c, NULL, root, "format");
    /* Optional keys: what a target may leave to its defaults. */
    static const char *const optional[] = { "description", "start_faults", "settings", "wire",
                                            NULL };

    for (size_t k = 0; rc == HS_SCHEMA_OK && top_fields[k].key; k++) {
        size_t o = 0;

        while (optional[o] && strcmp(optional[o], top_fields[k].key) != 0)
            o++;
        if (!optional[o])
            rc = hs_schema_require(c, NULL, root, top_fields[k].key);
    }
    return rc;
}

/* The dotted path of the string placeholder in t, into buf; 0 when found. */
static int find_placeholder(const json_t *t, const char *placeholder, char *buf,
                            size_t len)
{
    const char *k;
    json_t *x;
    size_t n = strlen(buf);

    if (json_is_string(t))
        return strcmp(json_string_value(t), placeholder) == 0 ? 0 : -1;
    json_object_foreach((json_t *)t, k, x) {
        snprintf(buf + n, len - n, "%s%s", n ? "." : "", k);
        if (find_placeholder(x, placeholder, buf, len) == 0)
            return 0;
        buf[n] = '\0';
    }
    return -1;
}

/* Where sent requests carry their id: the agent template says. */
static int find_sent_id(const hs_schema_ctx *c, json_t *root, hs_profile *p)
{
    hs_where r = hs_where_member(NULL, "requests"), a = hs_where_member(&r, "agent");
    hs_where m = hs_where_member(&a, "message");
    char path[256] = "";

    if (find_placeholder(p->requests[HS_REQ_AGENT], "{id}", path, sizeof(path)) != 0)
        return hs_schema_fail(c, &m, "has no \"{id}\": answers could not be tied to it");
    p->sent_id = strdup(path);
    return HS_SCHEMA_OK;
}

/* Clause 7 read from the health document needs the document to have the
 * counters: otherwise every fault step would fail as "never fired". */
static int hits_readable(const hs_schema_ctx *c, hs_profile *p)
{
    hs_where w = hs_where_member(NULL, "fault_hits");

    if (p->hits == HS_HITS_HEALTH && !(p->health.path && p->health.faults))
        return hs_schema_fail(c, &w, "is \"health\", but the health section names no "
                              "\"faults\" path: use \"preload\" or \"none\"");
    return HS_SCHEMA_OK;
}

static void defaults(hs_profile *p)
{
    if (!p->token.prefix)
        p->token.prefix = strdup("");
    if (!p->token.secret_env)
        p->token.secret_env = strdup("GATEWAY_JWT_SECRET");
    /* Without "wire": the closes a target may end these with and still be
     * graceful; never 1011 (that must be said, for a stack that sends it). */
    if (!p->nkeepalive) {
        static const int keepalive[] = { 1000, 1001, 1006 };
        memcpy(p->keepalive_close, keepalive, sizeof(keepalive));
        p->nkeepalive = 3;
    }
    if (!p->nslow_consumer) {
        static const int slow[] = { 1006, 1008, 1009, 1013 };
        memcpy(p->slow_consumer_close, slow, sizeof(slow));
        p->nslow_consumer = 4;
    }
}

int hs_profile_parse(const char *name, const char *text, size_t len, hs_profile **out,
                     char *err, size_t errlen)
{
    hs_schema_doc d;
    hs_profile *p = calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", name);
        return HS_PROFILE_ERR;
    }
    if (hs_schema_doc_parse(&d, name, text, len, PROFILE_MAX, "a profile", err,
                            errlen) != HS_SCHEMA_OK) {
        free(p);
        return HS_PROFILE_ERR;
    }
    rc = check_top(&d.ctx, d.root, p);
    if (rc == HS_SCHEMA_OK)
        rc = find_sent_id(&d.ctx, d.root, p);
    if (rc == HS_SCHEMA_OK)
        rc = hits_readable(&d.ctx, p);
    hs_schema_doc_free(&d);
    p->file = strdup(name);
    if (rc != HS_SCHEMA_OK) {
        hs_profile_free(p);
        return HS_PROFILE_ERR;
    }
    defaults(p);
    *out = p;
    return HS_PROFILE_OK;
}

int hs_profile_load(const char *path, hs_profile **out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (hs_schema_read_file(path, PROFILE_MAX, &text, &len, err, errlen) != HS_SCHEMA_OK)
        return HS_PROFILE_ERR;
    rc = hs_profile_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

static void free_answers(hs_profile_answers *a)
{
    free(a->id);
    free(a->event);
    hs_schema_strlist_free(a->events);
    free(a->degraded);
    json_decref(a->error);
    free(a->error_code);
    free(a->retry_hint);
    json_decref(a->pong);
    json_decref(a->notice);
    free(a->notice_reasons);
}

static void free_health(hs_profile_health *h)
{
    char **paths[] = { &h->path, &h->status, &h->status_degraded, &h->ready,
                       &h->connections, &h->handlers, &h->handlers_baseline,
                       &h->dependencies, &h->dependency_state, &h->dependency_failed,
                       &h->dependency_failures, &h->failure_counts,
                       &h->faults };

    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
        free(*paths[k]);
    json_decref(h->ready_value);
}

void hs_profile_free(hs_profile *p)
{
    if (!p)
        return;
    free(p->file);
    free(p->name);
    free(p->description);
    free(p->app_path);
    free(p->token.name);
    free(p->token.prefix);
    free(p->token.secret_env);
    hs_schema_strlist_free(p->aliases);
    free(p->sent_id);
    for (size_t k = 0; k < HS_REQ_KINDS; k++)
        json_decref(p->requests[k]);
    free_answers(&p->answers);
    for (size_t k = 0; k < HS_ERR_KINDS; k++)
        free(p->errors[k]);
    free_health(&p->health);
    json_decref(p->lifecycle);
    json_decref(p->leak_done);
    free(p->lifecycle_conn);
    free(p->lifecycle_state);
    for (size_t k = 0; k < HS_SETTINGS; k++)
        free(p->setting_flags[k]);
    free(p);
}

/* ---- requests from templates -------------------------------------------- */

typedef struct fill_vals {
    const char *id, *type, *text;
} fill_vals;

/* A copy of t with every placeholder string replaced by its value. */
static json_t *fill(const json_t *t, const fill_vals *v)
{
    const char *s = json_string_value(t), *k;
    json_t *out, *x;
    size_t i;

    if (s)
        return json_string(strcmp(s, "{id}") == 0 ? v->id : strcmp(s, "{type}") == 0
                           ? v->type : strcmp(s, "{text}") == 0 ? v->text : s);
    if (json_is_object(t)) {
        out = json_object();
        json_object_foreach((json_t *)t, k, x)
            json_object_set_new(out, k, fill(x, v));
        return out;
    }
    if (json_is_array(t)) {
        out = json_array();
        json_array_foreach((json_t *)t, i, x)
            json_array_append_new(out, fill(x, v));
        return out;
    }
    return json_copy((json_t *)t);
}

json_t *hs_profile_request(const hs_profile *p, hs_req_kind k, const char *type,
                           const char *id, const char *text)
{
    fill_vals v = { id ? id : "", type ? type : p->aliases[0], text ? text : "" };

    if (k >= HS_REQ_KINDS)
        return NULL;
    if (k == HS_REQ_INVALID_JSON)
        return json_copy(p->requests[k]);
    return fill(p->requests[k], &v);
}

size_t hs_profile_nevents(const hs_profile *p)
{
    size_t n = 0;

    while (p->answers.events[n])
        n++;
    return n;
}
