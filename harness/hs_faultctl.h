/*
 * hs_faultctl: libfiu's remote control, spoken over its FIFOs directly.
 *
 * A target that called fiu_rc_fifo(PREFIX) reads one command line from
 * PREFIX-PID.in and answers one line on PREFIX-PID.out: "0" for success,
 * "-1" for failure. fiu-ctrl(1) exits 0 either way (NOTES.md), so we read
 * the answer ourselves. Opens are non-blocking with a ceiling: a dead
 * target never hangs the harness.
 */
#ifndef HS_FAULTCTL_H
#define HS_FAULTCTL_H

#include <stddef.h>
#include <sys/types.h>

#define HS_FAULTCTL_OK 0
#define HS_FAULTCTL_ERR -1

/* Send one command, e.g. "enable name=N,failnum=1,failinfo=0". */
int hs_faultctl_send(const char *prefix, pid_t pid, const char *command, int timeout_ms,
                     char *err, size_t errlen);

#endif
