/*
 * hs_faultctl: libfiu remote control over PREFIX-PID.in / .out.
 * See hs_faultctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hs_faultctl.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * A FIFO opened for writing without blocking fails with ENXIO until the
 * target's control thread has it open for reading: retry until the ceiling.
 */
static int open_writer(const char *path, double end, char *err, size_t errlen)
{
    int pause_us = 200;

    for (;;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

        if (fd >= 0)
            return fd;
        if (errno != ENXIO || now_ms() >= end) {
            snprintf(err, errlen, "cannot open %s: %s (is the target running with "
                     "its libfiu control enabled?)", path,
                     errno == ENXIO ? "nobody is reading it" : strerror(errno));
            return -1;
        }
        usleep((useconds_t)pause_us);
        pause_us = pause_us < 20000 ? pause_us * 2 : pause_us;
    }
}

static int write_line(int fd, const char *command, char *err, size_t errlen)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s\n", command);

    if (n <= 0 || (size_t)n >= sizeof(line) || write(fd, line, (size_t)n) != n) {
        snprintf(err, errlen, "cannot send the command: %s",
                 n > 0 && (size_t)n < sizeof(line) ? strerror(errno) : "too long");
        return -1;
    }
    return 0;
}

/* Read the reply line; a reader FIFO sees no hang-up before a writer came. */
static int read_reply(const char *path, double end, char *reply, size_t len,
                      char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    size_t got = 0;

    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (got + 1 < len && !memchr(reply, '\n', got)) {
        struct pollfd p = { fd, POLLIN, 0 };
        int left = (int)(end - now_ms());
        ssize_t n;

        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        n = read(fd, reply + got, len - 1 - got);
        if (n <= 0 && !(n < 0 && errno == EAGAIN))
            break;
        got += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    reply[got] = '\0';
    if (got == 0) {
        snprintf(err, errlen, "no reply from the target on %s", path);
        return -1;
    }
    return 0;
}

int hs_faultctl_send(const char *prefix, pid_t pid, const char *command, int timeout_ms,
                     char *err, size_t errlen)
{
    char in[PATH_MAX], out[PATH_MAX], reply[64];
    double end = now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
    int fd, rc;

    snprintf(in, sizeof(in), "%s-%d.in", prefix, (int)pid);
    snprintf(out, sizeof(out), "%s-%d.out", prefix, (int)pid);
    fd = open_writer(in, end, err, errlen);
    if (fd < 0)
        return HS_FAULTCTL_ERR;
    rc = write_line(fd, command, err, errlen);
    close(fd);
    if (rc != 0 || read_reply(out, end, reply, sizeof(reply), err, errlen) != 0)
        return HS_FAULTCTL_ERR;
    if (atoi(reply) != 0) {
        snprintf(err, errlen, "the target refused \"%s\" (reply %.*s)", command,
                 (int)strcspn(reply, "\n"), reply);
        return HS_FAULTCTL_ERR;
    }
    return HS_FAULTCTL_OK;
}
