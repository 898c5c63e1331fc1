/*
 * hs_proc: the registry of process groups the harness must kill on the way
 * out. See hs_proc.h for the fork rules.
 */
#include "target/hs_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * A slot is free when its group is 0 or when another process (the parent
 * this copy was forked from) owns it. -1 marks a slot being filled, so the
 * signal handler never sees a group paired with a stale owner.
 */
static _Atomic pid_t slot_group[HS_PROC_MAX];
static _Atomic pid_t slot_owner[HS_PROC_MAX];
static atomic_int installed;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* Claim one free slot for pgid. */
int hs_proc_register(pid_t pgid)
{
    pid_t me = getpid();

    if (pgid <= 0)
        return HS_PROC_ERR;
    for (int i = 0; i < HS_PROC_MAX; i++) {
        pid_t seen = atomic_load(&slot_group[i]);
        int reusable = seen == 0 || atomic_load(&slot_owner[i]) != me;

        if (!reusable)
            continue;
        if (!atomic_compare_exchange_strong(&slot_group[i], &seen, -1))
            continue;
        atomic_store(&slot_owner[i], me);
        atomic_store(&slot_group[i], pgid);
        return HS_PROC_OK;
    }
    return HS_PROC_ERR;
}

void hs_proc_unregister(pid_t pgid)
{
    pid_t me = getpid();

    for (int i = 0; i < HS_PROC_MAX; i++) {
        if (atomic_load(&slot_group[i]) == pgid && atomic_load(&slot_owner[i]) == me)
            atomic_store(&slot_group[i], 0);
    }
}

/*
 * Runs inside signal handlers: only getpid(), kill() and atomic loads.
 * Slots stay registered; the owner reaps and unregisters as usual.
 */
void hs_proc_kill_all(void)
{
    pid_t me = getpid();

    for (int i = 0; i < HS_PROC_MAX; i++) {
        pid_t g = atomic_load(&slot_group[i]);

        if (g > 0 && atomic_load(&slot_owner[i]) == me)
            kill(-g, SIGKILL);
    }
}

int hs_proc_count(void)
{
    pid_t me = getpid();
    int n = 0;

    for (int i = 0; i < HS_PROC_MAX; i++) {
        if (atomic_load(&slot_group[i]) > 0 && atomic_load(&slot_owner[i]) == me)
            n++;
    }
    return n;
}

/*
 * Kill the groups, restore the default action and re-raise: the signal is
 * blocked while its handler runs, so it is delivered on return and the
 * harness dies of it, as a parent shell expects.
 */
static void on_fatal_signal(int sig)
{
    int saved = errno;

    hs_proc_kill_all();
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

/* A signal the harness was started with ignored (nohup) stays ignored. */
static int install_one(int sig)
{
    struct sigaction old, sa = { 0 };

    if (sigaction(sig, NULL, &old) != 0)
        return HS_PROC_ERR;
    if (old.sa_handler == SIG_IGN)
        return HS_PROC_OK;
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaddset(&sa.sa_mask, fatal_signals[i]);
    return sigaction(sig, &sa, NULL) == 0 ? HS_PROC_OK : HS_PROC_ERR;
}

int hs_proc_install_handlers(void)
{
    if (atomic_exchange(&installed, 1))
        return HS_PROC_OK;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        if (install_one(fatal_signals[i]) != HS_PROC_OK)
            return HS_PROC_ERR;
    }
    return atexit(hs_proc_kill_all) == 0 ? HS_PROC_OK : HS_PROC_ERR;
}
