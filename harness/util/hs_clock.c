/*
 * hs_clock: the run clock. See hs_clock.h.
 */
#include "util/hs_clock.h"

#include <limits.h>
#include <stdatomic.h>
#include <time.h>

/* 0 means "no origin yet"; CLOCK_MONOTONIC never reads 0 after boot. */
static _Atomic long long hs_origin_ns;

static long long mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double hs_now_ms(void)
{
    long long now = mono_ns();
    long long expected = 0;

    /* The first caller wins; others read the origin it stored. */
    atomic_compare_exchange_strong(&hs_origin_ns, &expected, now);
    return (double)(now - atomic_load(&hs_origin_ns)) / 1e6;
}

void hs_clock_reset(void)
{
    atomic_store(&hs_origin_ns, mono_ns());
}

int hs_clock_left_ms(double deadline)
{
    double left = deadline - hs_now_ms();

    if (left <= 0)
        return 0;
    return left >= INT_MAX ? INT_MAX : (int)left + 1;
}
