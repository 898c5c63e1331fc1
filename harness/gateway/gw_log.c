/*
 * gw_log: JSON lines on stderr. See gw_log.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_faults.h"
#include "gw_log.h"

static FILE *log_stream;
static int discarding;

static const char *const state_names[] = {
    "connecting", "accepted", "authenticated", "ready", "degraded",
    "closing", "closed"
};

void gw_log_set_stream(FILE *f)
{
    log_stream = f;
}

void gw_log_set_discard(int on)
{
    discarding = on;
}

const char *gw_conn_state_name(gw_conn_state s)
{
    if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
        return "unknown";
    return state_names[s];
}

void gw_json_text_free(char *text)
{
    json_free_t release;

    json_get_alloc_funcs(NULL, &release);
    release(text);
}

/* UTC to the millisecond; the calendar part is only worked out again
 * when the second changes (a busy gateway logs many lines per second). */
static void timestamp(char *buf, size_t len)
{
    static time_t last = -1;
    static char second[32];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last) {
        gmtime_r(&ts.tv_sec, &tm);
        strftime(second, sizeof(second), "%Y-%m-%dT%H:%M:%S", &tm);
        last = ts.tv_sec;
    }
    snprintf(buf, len, "%s.%03ldZ", second, ts.tv_nsec / 1000000);
}

/*
 * The fields' members as JSON text, without the braces ("" for none):
 * the line is the fixed head and these, with no second object built and
 * copied. NULL when out of memory; free with free().
 */
static char *members(json_t *fields)
{
    char *s = fields && json_object_size(fields)
            ? json_dumps(fields, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    size_t n = s ? strlen(s) : 0;
    char *out = n >= 2 ? strndup(s + 1, n - 2) : strdup("");

    if (s)
        gw_json_text_free(s);
    return out;
}

/* level and event are the callers' fixed words: written as they are. */
void gw_log(const char *level, const char *event, json_t *fields)
{
    FILE *out = log_stream ? log_stream : stderr;
    char ts[48], *rest;

    if (discarding) {
        json_decref(fields);
        return;
    }
    timestamp(ts, sizeof(ts));
    rest = members(fields);
    json_decref(fields);
    if (!rest)
        return;
    /* One object per line: JSON_COMPACT never emits a newline. */
    fprintf(out, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"%s\"%s%s}\n", ts, level,
            event, rest[0] ? "," : "", rest);
    fflush(out);
    free(rest);
}

int gw_log_state(unsigned long conn_id, const char *user, gw_conn_state s)
{
    json_t *f;
    int rc = 0;

    /* The point is reached as it would be, line or no line. */
    if (discarding)
        return gw_fault("gateway/log/state_enum") ? -1 : 0;
    f = json_pack("{s:I}", "conn", (json_int_t)conn_id);
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
