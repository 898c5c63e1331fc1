/*
 * gw_log: JSON lines on stderr. See gw_log.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_faults.h"
#include "gw_log.h"

static FILE *log_stream;

static const char *const state_names[] = {
    "connecting", "accepted", "authenticated", "ready", "degraded",
    "closing", "closed"
};

void gw_log_set_stream(FILE *f)
{
    log_stream = f;
}

const char *gw_conn_state_name(gw_conn_state s)
{
    if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
        return "unknown";
    return state_names[s];
}

static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void gw_log(const char *level, const char *event, json_t *fields)
{
    FILE *out = log_stream ? log_stream : stderr;
    json_t *line = json_object();
    char ts[40];
    char *s;

    timestamp(ts, sizeof(ts));
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level));
    json_object_set_new(line, "event", json_string(event));
    if (fields)
        json_object_update(line, fields);
    json_decref(fields);
    /* One object per line: JSON_COMPACT never emits a newline. */
    s = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(line);
    if (!s)
        return;
    fprintf(out, "%s\n", s);
    fflush(out);
    free(s);
}

int gw_log_state(unsigned long conn_id, const char *user, gw_conn_state s)
{
    json_t *f = json_pack("{s:I}", "conn", (json_int_t)conn_id);
    int rc = 0;

    json_object_set_new(f, "user", user ? json_string(user) : json_null());
    if (gw_fault("gateway/log/state_enum")) {
        /* The enum could not be turned into a string: say so, as a string. */
        json_object_set_new(f, "state", json_null());
        json_object_set_new(f, "log_error", json_string("connection state not serialisable"));
        rc = -1;
    } else {
        json_object_set_new(f, "state", json_string(gw_conn_state_name(s)));
    }
    gw_log(rc ? "warn" : "info", "conn_state", f);
    return rc;
}

void gw_log_lws(int level, const char *line)
{
    size_t n = strlen(line);
    json_t *msg;

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    /* lws lines are ASCII in practice; jansson refuses invalid UTF-8, so
     * fall back to a placeholder rather than lose the line. */
    msg = json_stringn(line, n);
    gw_log(level & 1 ? "error" : "warn", "lws",
           json_pack("{s:o}", "msg", msg ? msg : json_string("(unprintable)")));
}
