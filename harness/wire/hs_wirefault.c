/*
 * hs_wirefault: faults on the wire of one connection. See hs_wirefault.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/hs_buf.h"
#include "wire/hs_wirefault.h"

/* RFC 6455 5.2 and 11.8: the opcodes' registered names. */
static const char *const opcode_names[HS_WIRE_OPCODES] = {
    [0x0] = "continuation", [0x1] = "text", [0x2] = "binary",
    [0x8] = "close", [0x9] = "ping", [0xA] = "pong",
};

static int dir_any(const hs_wire_dir *d)
{
    return d->latency_ms || d->jitter_ms || d->rate || d->slice || d->slice_delay_ms;
}

int hs_wire_any(const hs_wire *w)
{
    for (int op = 0; op < HS_WIRE_OPCODES; op++)
        if (w->delay_ms[op])
            return 1;
    return dir_any(&w->send) || dir_any(&w->recv) || w->stop_reading ||
           w->blackhole || w->drop || w->split_header;
}

/* splitmix64: small, and the same numbers on every machine for a seed. */
static uint64_t next_random(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void hs_wire_seed(hs_wire_state *s, unsigned long seed, const char *conn)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a of the name */

    for (const char *p = conn ? conn : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    s->rng = h ^ ((uint64_t)seed << 1);
}

int hs_wire_latency(hs_wire_state *s, const hs_wire_dir *d)
{
    long ms = d->latency_ms;

    if (d->jitter_ms > 0)
        ms += (long)(next_random(&s->rng) % (uint64_t)(2 * d->jitter_ms + 1)) - d->jitter_ms;
    return ms > 0 ? (int)ms : 0;
}

size_t hs_wire_piece(const hs_wire_dir *d, size_t want)
{
    size_t piece = want;

    if (d->slice > 0 && piece > d->slice)
        piece = d->slice;
    /* A tenth of a second's worth: the rate is kept smoothly, not in bursts. */
    if (d->rate > 0 && piece > (size_t)(d->rate / 10))
        piece = (size_t)(d->rate / 10);
    return piece > 0 ? piece : 1;
}

void hs_wire_spent(const hs_wire_dir *d, double *free_ms, size_t n, double now)
{
    if (d->rate <= 0)
        return;
    if (*free_ms < now)
        *free_ms = now;
    *free_ms += (double)n * 1000.0 / (double)d->rate;
}

int hs_wire_opcode(const char *name)
{
    for (int op = 0; op < HS_WIRE_OPCODES; op++)
        if (opcode_names[op] && strcmp(opcode_names[op], name) == 0)
            return op;
    return -1;
}

const char *hs_wire_opcode_name(int opcode)
{
    if (opcode < 0 || opcode >= HS_WIRE_OPCODES || !opcode_names[opcode])
        return "reserved";
    return opcode_names[opcode];
}

static void describe_dir(hs_buf *b, const char *name, const hs_wire_dir *d)
{
    if (!dir_any(d))
        return;
    hs_buf_printf(b, "%s%s:", b->len ? "; " : "", name);
    if (d->latency_ms || d->jitter_ms)
        hs_buf_printf(b, " latency %d+-%d ms", d->latency_ms, d->jitter_ms);
    if (d->rate)
        hs_buf_printf(b, " %ld bytes/s", d->rate);
    if (d->slice || d->slice_delay_ms)
        hs_buf_printf(b, " slices of %zu bytes every %d ms", d->slice, d->slice_delay_ms);
}

static void describe_ops(hs_buf *b, const hs_wire *w)
{
    for (int op = 0; op < HS_WIRE_OPCODES; op++) {
        if (w->drop & (1u << op))
            hs_buf_printf(b, "%sdrop our %s frames", b->len ? "; " : "",
                          hs_wire_opcode_name(op));
        if (w->delay_ms[op])
            hs_buf_printf(b, "%sdelay our %s frames %d ms", b->len ? "; " : "",
                          hs_wire_opcode_name(op), w->delay_ms[op]);
    }
}

char *hs_wire_describe(const hs_wire *w, char *buf, size_t len)
{
    hs_buf b = HS_BUF_INIT;

    if (w->blackhole)
        hs_buf_puts(&b, "blackhole (nothing sent, nothing read)");
    if (w->stop_reading)
        hs_buf_printf(&b, "%sstop reading", b.len ? "; " : "");
    describe_dir(&b, "send", &w->send);
    describe_dir(&b, "recv", &w->recv);
    describe_ops(&b, w);
    if (w->split_header)
        hs_buf_printf(&b, "%ssplit every frame header", b.len ? "; " : "");
    snprintf(buf, len, "%s", b.len ? b.p : "none");
    hs_buf_free(&b);
    return buf;
}

void hs_wire_sleep(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (ms > 0 && nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}
