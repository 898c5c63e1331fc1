/*
 * hs_faultctl: libfiu's remote control over PREFIX-PID.in / .out.
 *
 * libfiu's control thread loops: open .in for reading (blocks until a
 * writer comes), open .out for writing (blocks until a reader is there),
 * then answer one reply line per command line until .in reads EOF, close
 * both and start over. The client therefore:
 *   1. opens .out for reading, non-blocking (always succeeds on a FIFO),
 *      so the thread's open of .out cannot block;
 *   2. opens .in for writing, non-blocking: ENXIO until the thread sits in
 *      its open of .in, so that is retried with a short backoff;
 *   3. writes the line and keeps .in open until the reply has been read:
 *      closing it at once could let the thread, still closing the previous
 *      client's pipe, drop the line with it;
 *   4. waits for the reply line on .out, and on the target's pidfd, so a
 *      target that dies mid-command ends the wait at once; a hang-up left
 *      over from the previous cycle's writer is not taken for an answer.
 */
#include "target/hs_faultctl.h"
#include "util/hs_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
#define BACKOFF_MAX_MS 20

typedef struct fctl {
    pid_t pid;
    int pidfd;              /* -1 without pidfd_open: kill(pid, 0) instead */
    int rfd, wfd;
    double deadline;        /* hs_now_ms() time */
    char in[PATH_MAX], out[PATH_MAX];
} fctl;

/* A zombie still answers kill(pid, 0): the pidfd tells the truth. */
static int target_dead(const fctl *c)
{
    struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

    if (c->pidfd >= 0)
        return poll(&p, 1, 0) == 1;
    return kill(c->pid, 0) != 0 && errno == ESRCH;
}

/* Sleep up to ms, waking early when the target dies. */
static void nap(const fctl *c, int ms)
{
    struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

    poll(&p, 1, ms < hs_clock_left_ms(c->deadline) ? ms : hs_clock_left_ms(c->deadline));
}

/*
 * Retry open(path, flags) while it fails with `transient` and the target
 * lives, until the deadline. Returns the fd, or -1 with errno from the last
 * attempt (ESRCH when the target died).
 */
static int open_retrying(fctl *c, const char *path, int flags, int transient)
{
    int backoff = 1;

    for (;;) {
        int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
        int e = errno;

        if (fd >= 0)
            return fd;
        if (target_dead(c)) {
            errno = ESRCH;
            return -1;
        }
        if (e != transient || hs_clock_left_ms(c->deadline) == 0) {
            errno = e;
            return -1;
        }
        nap(c, backoff);
        backoff = backoff < BACKOFF_MAX_MS ? backoff * 2 : BACKOFF_MAX_MS;
    }
}

static void open_error(const fctl *c, const char *path, const char *prefix, int e, char *err,
                       size_t errlen)
{
    if (e == ESRCH)
        snprintf(err, errlen, "process %d is not running", (int)c->pid);
    else if (e == ENOENT)
        snprintf(err, errlen, "no fault control FIFO %s (was the target started with "
                 "--fiu-ctrl %s?)", path, prefix);
    else if (e == ENXIO)
        snprintf(err, errlen, "process %d did not open its fault control FIFO %s in time",
                 (int)c->pid, path);
    else
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
}

/* Bytes left in .out by an earlier client that gave up: not our reply. */
static void drain_stale(int fd)
{
    char buf[256];

    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/*
 * Write without dying of SIGPIPE when the reader vanished between open and
 * write (the control thread cycling): block it, and swallow the pending
 * one. Returns 0, or -1 with errno (EPIPE: open again and retry).
 */
static int write_line(int fd, const char *line, size_t n)
{
    sigset_t pipe_set, old;
    struct timespec zero = { 0, 0 };
    ssize_t w;
    int e;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    w = write(fd, line, n);
    e = errno;
    if (w < 0 && e == EPIPE)
        sigtimedwait(&pipe_set, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    if (w == (ssize_t)n)
        return 0;
    if (w >= 0)
        errno = EAGAIN;
    return -1;
}

/* Steps 2 and 3: open .in and send the line, reopening after an EPIPE. */
static int send_line(fctl *c, const char *prefix, const char *line, char *err, size_t errlen)
{
    for (;;) {
        c->wfd = open_retrying(c, c->in, O_WRONLY, ENXIO);
        if (c->wfd < 0) {
            open_error(c, c->in, prefix, errno, err, errlen);
            return HS_FAULTCTL_ERR;
        }
        if (write_line(c->wfd, line, strlen(line)) == 0)
            return HS_FAULTCTL_OK;
        if (errno != EPIPE || hs_clock_left_ms(c->deadline) == 0) {
            snprintf(err, errlen, "cannot write to %s: %s", c->in, strerror(errno));
            return HS_FAULTCTL_ERR;
        }
        close(c->wfd);
        c->wfd = -1;
    }
}

/*
 * End of file on .out with nothing read. A reader opened while the previous
 * cycle's writer was still open sees that writer leave as a hang-up, which
 * says nothing about our command: unless the target is dead, reopen (a
 * reader opened with no writer sees no hang-up until a writer has come and
 * gone). Nothing can be lost: the target only writes after opening .out,
 * and while it has it open there is no end of file.
 */
static int reopen_reply(fctl *c, char *err, size_t errlen)
{
    close(c->rfd);
    c->rfd = target_dead(c) ? -1 : open(c->out, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (c->rfd >= 0)
        return HS_FAULTCTL_OK;
    snprintf(err, errlen, "process %d closed its fault control FIFO without replying "
             "(did it die?)", (int)c->pid);
    return HS_FAULTCTL_ERR;
}

/* Step 4: read one reply line, or notice the target's death. */
static int read_reply(fctl *c, char *reply, size_t len, char *err, size_t errlen)
{
    size_t got = 0;

    while (!memchr(reply, '\n', got) && got + 1 < len) {
        struct pollfd p[2] = { { .fd = c->rfd, .events = POLLIN },
                               { .fd = c->pidfd, .events = POLLIN } };
        ssize_t n;

        if (poll(p, 2, hs_clock_left_ms(c->deadline)) <= 0 && hs_clock_left_ms(c->deadline) == 0) {
            snprintf(err, errlen, "no reply from process %d within the timeout", (int)c->pid);
            return HS_FAULTCTL_ERR;
        }
        n = p[0].revents ? read(c->rfd, reply + got, len - 1 - got) : -1;
        if (n > 0) {
            got += (size_t)n;
            reply[got] = '\0';
        } else if (n == 0 || p[1].revents) {
            if (reopen_reply(c, err, errlen) != HS_FAULTCTL_OK)
                return HS_FAULTCTL_ERR;
        }
    }
    return HS_FAULTCTL_OK;
}

/* Commands go on one line; libfiu would run a second line as a second command. */
static int check_command(const char *command, char *err, size_t errlen)
{
    size_t n = command ? strlen(command) : 0;

    if (n == 0 || n > HS_FAULTCTL_MAX_COMMAND || strpbrk(command, "\r\n")) {
        snprintf(err, errlen, "fault control command must be one line of 1 to %d bytes",
                 HS_FAULTCTL_MAX_COMMAND);
        return HS_FAULTCTL_ERR;
    }
    return HS_FAULTCTL_OK;
}

/* The reply is a number printed by libfiu; anything else is not shown raw. */
static int judge_reply(const fctl *c, const char *command, const char *reply, char *err,
                       size_t errlen)
{
    size_t n = strcspn(reply, "\n");

    if (n == 1 && reply[0] == '0')
        return HS_FAULTCTL_OK;
    if (n == 2 && strncmp(reply, "-1", 2) == 0) {
        snprintf(err, errlen, "process %d rejected '%s' (libfiu answered -1; the target's "
                 "stderr says why)", (int)c->pid, command);
        return HS_FAULTCTL_EREJECTED;
    }
    snprintf(err, errlen, "unexpected %zu-byte reply to '%s' from process %d", n, command,
             (int)c->pid);
    return HS_FAULTCTL_ERR;
}

int hs_faultctl_send(const char *prefix, pid_t pid, const char *command, int timeout_ms,
                     char *err, size_t errlen)
{
    fctl c = { .pid = pid, .pidfd = -1, .rfd = -1, .wfd = -1 };
    char line[HS_FAULTCTL_MAX_COMMAND + 2], reply[32] = "";
    int rc = HS_FAULTCTL_ERR;

    if (check_command(command, err, errlen) != HS_FAULTCTL_OK)
        return HS_FAULTCTL_ERR;
    c.deadline = hs_now_ms() + (timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
    snprintf(c.in, sizeof c.in, "%s-%d.in", prefix, (int)pid);
    snprintf(c.out, sizeof c.out, "%s-%d.out", prefix, (int)pid);
    snprintf(line, sizeof line, "%s\n", command);
    if (pid <= 0) {
        snprintf(err, errlen, "invalid process id %d", (int)pid);
        return HS_FAULTCTL_ERR;
    }
    c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    c.rfd = open_retrying(&c, c.out, O_RDONLY, ENOENT);
    if (c.rfd < 0) {
        open_error(&c, c.out, prefix, errno, err, errlen);
        goto out;
    }
    drain_stale(c.rfd);
    if (send_line(&c, prefix, line, err, errlen) != HS_FAULTCTL_OK)
        goto out;
    if (read_reply(&c, reply, sizeof reply, err, errlen) != HS_FAULTCTL_OK)
        goto out;
    rc = judge_reply(&c, command, reply, err, errlen);
out:
    if (c.wfd >= 0)
        close(c.wfd);
    if (c.rfd >= 0)
        close(c.rfd);
    if (c.pidfd >= 0)
        close(c.pidfd);
    return rc;
}

/* libfiu splits parameters on ',' and '=' and commands on blanks. */
static int check_name(const char *name, char *err, size_t errlen)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 400) {
        snprintf(err, errlen, "fault point name must be 1 to 400 bytes");
        return HS_FAULTCTL_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (ch <= ' ' || ch >= 0x7f || ch == ',' || ch == '=') {
            snprintf(err, errlen, "fault point name: byte %zu is a blank, a control, "
                     "non-ASCII, ',' or '=', which libfiu cannot take", i + 1);
            return HS_FAULTCTL_ERR;
        }
    }
    return HS_FAULTCTL_OK;
}

int hs_faultctl_format_enable(const hs_faultctl_fault *f, char *buf, size_t len, char *err,
                              size_t errlen)
{
    int n;

    if (check_name(f->name, err, errlen) != HS_FAULTCTL_OK)
        return HS_FAULTCTL_ERR;
    if (f->mode == HS_FAULTCTL_PROBABILITY) {
        /* 0 would be a point that never fires: a scenario testing nothing. */
        if (!(f->probability > 0.0 && f->probability <= 1.0)) {
            snprintf(err, errlen, "fault %s: probability must be in (0, 1]", f->name);
            return HS_FAULTCTL_ERR;
        }
        n = snprintf(buf, len, "enable_random name=%s,failnum=1,failinfo=%lu,probability=%.9g",
                     f->name, f->failinfo, f->probability);
    } else if (f->mode == HS_FAULTCTL_ALWAYS || f->mode == HS_FAULTCTL_ONCE) {
        n = snprintf(buf, len, "enable name=%s,failnum=1,failinfo=%lu%s", f->name, f->failinfo,
                     f->mode == HS_FAULTCTL_ONCE ? ",onetime" : "");
    } else {
        snprintf(err, errlen, "fault %s: unknown mode %d", f->name, (int)f->mode);
        return HS_FAULTCTL_ERR;
    }
    if (n < 0 || (size_t)n >= len || n > HS_FAULTCTL_MAX_COMMAND) {
        snprintf(err, errlen, "fault %s: command too long", f->name);
        return HS_FAULTCTL_ERR;
    }
    return HS_FAULTCTL_OK;
}

int hs_faultctl_enable(const char *prefix, pid_t pid, const hs_faultctl_fault *f,
                       int timeout_ms, char *err, size_t errlen)
{
    char cmd[HS_FAULTCTL_MAX_COMMAND + 1];

    if (hs_faultctl_format_enable(f, cmd, sizeof cmd, err, errlen) != HS_FAULTCTL_OK)
        return HS_FAULTCTL_ERR;
    return hs_faultctl_send(prefix, pid, cmd, timeout_ms, err, errlen);
}

int hs_faultctl_disable(const char *prefix, pid_t pid, const char *name, int timeout_ms,
                        char *err, size_t errlen)
{
    char cmd[HS_FAULTCTL_MAX_COMMAND + 1];

    if (check_name(name, err, errlen) != HS_FAULTCTL_OK)
        return HS_FAULTCTL_ERR;
    snprintf(cmd, sizeof cmd, "disable name=%s", name);
    return hs_faultctl_send(prefix, pid, cmd, timeout_ms, err, errlen);
}
