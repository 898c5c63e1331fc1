/*
 * hs_wirefault: faults on the wire of one connection, in the harness's own
 * client (hs_wsconn applies them; scenarios switch them with "wire").
 *
 * The harness owns the client side of every connection, so these need no
 * relay and work against a spawned target and one reached by --url alike.
 * Per direction ("send": bytes we write, "recv": bytes we read): latency
 * with jitter, a bandwidth limit and slicing into small pieces with pauses.
 * Besides: stop reading (our receive window closes: a slow consumer),
 * blackhole (we send nothing and read nothing: a dead peer whose kernel
 * still acknowledges), dropping or delaying our frames of an opcode (pongs,
 * the close frame) and splitting every frame header across two segments.
 * Resets and half closes are actions, not states (hs_ws_reset,
 * hs_ws_half_close). Faults inside the target's own socket calls are
 * libfiu's POSIX preload (a scenario's "posix_faults"), not this module.
 *
 * Jitter is drawn from a generator seeded by the run's seed and the
 * connection's name, so a run repeats with --seed.
 */
#ifndef HS_WIREFAULT_H
#define HS_WIREFAULT_H

#include <stddef.h>
#include <stdint.h>

#define HS_WIRE_OPCODES 16
/* Pause between the two pieces of a split frame header. */
#define HS_WIRE_SPLIT_PAUSE_MS 20

/* Shaping of one direction; all zero: untouched. */
typedef struct hs_wire_dir {
    int latency_ms;            /* each write (send) or read (recv) waits this */
    int jitter_ms;             /* ... plus or minus up to this much */
    long rate;                 /* bytes per second at most; 0: unlimited */
    size_t slice;              /* at most this many bytes per write or read */
    int slice_delay_ms;        /* pause before each slice after the first */
} hs_wire_dir;

typedef struct hs_wire {
    hs_wire_dir send, recv;
    int stop_reading;          /* read nothing: the peer's writes back up */
    int blackhole;             /* send nothing, read nothing, no FIN */
    unsigned drop;             /* bit (1 << opcode): our frames dropped */
    int delay_ms[HS_WIRE_OPCODES]; /* our frames of an opcode wait first */
    int split_header;          /* every frame we send: header in two pieces */
} hs_wire;

/* Per-connection state: the faults, the jitter generator, the rate clocks. */
typedef struct hs_wire_state {
    hs_wire w;
    uint64_t rng;
    double send_free_ms;       /* the rate allows the next send byte then */
    double recv_free_ms;
} hs_wire_state;

/* Any fault at all set in w. */
int hs_wire_any(const hs_wire *w);

/* Seed s's jitter from the run's seed and the connection's name. */
void hs_wire_seed(hs_wire_state *s, unsigned long seed, const char *conn);

/* The wait before one write or read: latency plus or minus jitter, >= 0. */
int hs_wire_latency(hs_wire_state *s, const hs_wire_dir *d);

/*
 * The most bytes one write or read of direction d may move now (slice,
 * and the rate's share of a tenth of a second), at least 1.
 */
size_t hs_wire_piece(const hs_wire_dir *d, size_t want);

/* After moving n bytes at time now: when the rate lets the next byte go
 * (*free_ms, an hs_now_ms() time). */
void hs_wire_spent(const hs_wire_dir *d, double *free_ms, size_t n, double now);

/* Opcode names as scenarios write them ("text", "pong", "close", ...):
 * the opcode, or -1. */
int hs_wire_opcode(const char *name);
const char *hs_wire_opcode_name(int opcode);

/* What w does, in one line for transcripts and reports ("none" when
 * nothing). Returns buf. */
char *hs_wire_describe(const hs_wire *w, char *buf, size_t len);

/* Sleep ms milliseconds (a fault's own delay; signals do not cut it). */
void hs_wire_sleep(int ms);

#endif
