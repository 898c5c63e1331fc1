/*
 * hs_clock: the run's clock. Every timestamp the harness writes (transcripts,
 * step times, histories) is milliseconds since one origin on CLOCK_MONOTONIC,
 * so entries of different connections and threads line up.
 */
#ifndef HS_CLOCK_H
#define HS_CLOCK_H

/* Milliseconds on a monotonic clock since the origin. The first call sets
 * the origin unless hs_clock_reset was called before. Thread-safe. */
double hs_now_ms(void);

/* Make "now" the origin: call once when a run starts. */
void hs_clock_reset(void);

/* Whole milliseconds left before deadline (an hs_now_ms() time), rounded
 * up so that a wait of that long reaches it; 0 once it has passed, INT_MAX
 * at most. What poll() and every step ceiling take. */
int hs_clock_left_ms(double deadline);

#endif
