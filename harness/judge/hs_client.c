/*
 * hs_client: inbox and request bookkeeping per connection. See hs_client.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/hs_client.h"
#include "judge/hs_dialect.h"
#include "scenario/hs_match.h"
#include "wire/hs_transcript.h"
#include "util/hs_clock.h"

hs_client *hs_client_new(const char *name, const hs_profile *profile)
{
    hs_client *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->name = strdup(name);
    c->profile = profile;
    c->transcript = hs_transcript_new();
    return c;
}

void hs_client_free(hs_client *c)
{
    if (!c)
        return;
    if (c->ws)
        hs_ws_free(c->ws);
    free(c->token);
    hs_ws_handshake_free(&c->hs);
    for (size_t i = 0; i < c->ninbox; i++)
        json_decref(c->inbox[i].json);
    for (size_t i = 0; i < c->nreqs; i++) {
        free(c->reqs[i].id);
        json_decref(c->reqs[i].events);
    }
    free(c->inbox);
    free(c->reqs);
    json_decref(c->transcript);
    free(c->name);
    free(c);
}

/* Request ids are kept as text: "r1" for a string id, "7" for a number. */
static char *id_text(const json_t *id)
{
    if (json_is_string(id))
        return strdup(json_string_value(id));
    if (json_is_integer(id) || json_is_real(id))
        return json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
    return NULL;
}

void hs_client_sent(hs_client *c, const json_t *msg)
{
    char *id = c->app ? id_text(hs_dialect_sent_id(c->profile, msg)) : NULL;
    hs_request *r;

    if (!id)
        return;
    if (c->nreqs == c->capreqs) {
        size_t cap = c->capreqs ? c->capreqs * 2 : 16;
        hs_request *v = realloc(c->reqs, cap * sizeof(*v));

        if (!v) {
            free(id);
            return;
        }
        c->reqs = v;
        c->capreqs = cap;
    }
    r = &c->reqs[c->nreqs++];
    memset(r, 0, sizeof(*r));
    r->id = id;
    r->events = json_array();
    r->sent_ms = hs_now_ms();
}

hs_request *hs_client_request(hs_client *c, const char *id)
{
    /* The latest request with that id: a re-sent id starts a new request. */
    for (size_t i = c->nreqs; i-- > 0;)
        if (strcmp(c->reqs[i].id, id) == 0)
            return &c->reqs[i];
    return NULL;
}

/* Attach an answer to its request, and note degraded frames and notices. */
static void account(hs_client *c, json_t *j)
{
    const char *label = hs_dialect_answer(c->profile, j);
    char *id = id_text(hs_dialect_answer_id(c->profile, j));
    hs_request *r = id ? hs_client_request(c, id) : NULL;

    free(id);
    /* An answer of no kind the dialect knows is kept under its own name,
     * so clause 3 sees what the request got instead. */
    if (!label)
        label = json_string_value(hs_match_path(j, c->profile->answers.event));
    if (!label)
        return;
    if (strcmp(label, HS_ANSWER_NOTICE) == 0)
        c->notices++;
    else if (hs_dialect_degraded(c->profile, j) && c->notices == 0)
        c->degraded_before_notice = 1;
    if (!r)
        return;
    json_array_append_new(r->events, json_string(label));
    if (hs_dialect_terminal(c->profile, label))
        r->terminal = 1;
}

static void push(hs_client *c, int opcode, json_t *j)
{
    hs_inmsg *m;

    if (c->ninbox == c->capinbox) {
        size_t cap = c->capinbox ? c->capinbox * 2 : 32;
        hs_inmsg *v = realloc(c->inbox, cap * sizeof(*v));

        if (!v) {
            json_decref(j);
            return;
        }
        c->inbox = v;
        c->capinbox = cap;
    }
    m = &c->inbox[c->ninbox++];
    m->opcode = opcode;
    m->json = j;
    m->consumed = 0;
    m->t_ms = hs_now_ms();
    if (j && c->app)
        account(c, j);
}

/* One message read; kept in the inbox when keep is set. */
static int pump(hs_client *c, int timeout_ms, int keep)
{
    hs_ws_msg m;
    int rc;

    if (!c->ws || c->close_code)
        return HS_CLIENT_GONE;
    memset(&m, 0, sizeof(m));
    rc = hs_ws_recv_message(c->ws, timeout_ms, &m);
    if (rc == HS_WS_TIMEOUT)
        return HS_CLIENT_TIMEOUT;
    if (rc != HS_WS_OK) {
        c->close_code = hs_ws_close_code(c->ws) ? hs_ws_close_code(c->ws) : 1006;
        return HS_CLIENT_GONE;
    }
    if (m.opcode == 8) {
        c->close_code = m.close_code;
        hs_ws_msg_free(&m);
        return HS_CLIENT_GONE;
    }
    if (keep)
        push(c, m.opcode, m.opcode == 1 ? json_loadb((const char *)m.data, m.len, 0, NULL)
                                        : NULL);
    hs_ws_msg_free(&m);
    return HS_CLIENT_OK;
}

int hs_client_pump(hs_client *c, int timeout_ms)
{
    return pump(c, timeout_ms, 1);
}

int hs_client_skip(hs_client *c, int timeout_ms)
{
    return pump(c, timeout_ms, 0);
}

long hs_client_find(hs_client *c, const json_t *matcher)
{
    for (size_t i = 0; i < c->ninbox; i++)
        if (!c->inbox[i].consumed && c->inbox[i].json &&
            hs_match(matcher, c->inbox[i].json, NULL, 0))
            return (long)i;
    return -1;
}

size_t hs_client_pending(const hs_client *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->nreqs; i++)
        if (!c->reqs[i].terminal && !c->reqs[i].exempt)
            n++;
    return n;
}
