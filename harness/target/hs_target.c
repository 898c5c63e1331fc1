/*
 * hs_target: spawn, readiness, stop. See hs_target.h for the process-group
 * and reaping rules.
 */
#include "target/hs_target.h"
#include "target/hs_proc.h"
#include "util/hs_buf.h"
#include "util/hs_escape.h"
#include "util/hs_clock.h"
#include "util/hs_fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_READY_MS 10000
#define FALLBACK_POLL_MS 20    /* without a pidfd, how often death is checked */
#define TAIL_WINDOW 8192       /* bytes of stderr searched for the tail */
#define FALLBACK_MAX_FD 4096   /* without close_range (Linux < 5.11) */

/* ---- argv and environment ------------------------------------------- */

/* One argument with every "{port}" and "{port_file}" replaced. */
static char *subst_arg(const char *arg, const char *port, const char *port_file)
{
    size_t cap = strlen(arg) + 1, len = 0;
    char *out = malloc(cap);

    while (out && *arg) {
        const char *rep = NULL;
        size_t skip = 1, add;

        if (strncmp(arg, "{port}", 6) == 0) {
            rep = port;
            skip = 6;
        } else if (strncmp(arg, "{port_file}", 11) == 0) {
            rep = port_file;
            skip = 11;
        }
        add = rep ? strlen(rep) : 1;
        if (len + add + 1 > cap) {
            char *grown = realloc(out, cap + add + 64);

            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
            cap += add + 64;
        }
        memcpy(out + len, rep ? rep : arg, add);
        len += add;
        arg += skip;
    }
    if (out)
        out[len] = '\0';
    return out;
}

/* Free v[0..n) (some may be NULL after a failed strdup) and v itself. */
static void free_n(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* The child's argv: spec->argv with placeholders substituted. */
static char **build_argv(const hs_target_spec *s, char *err, size_t errlen)
{
    char port[16];
    size_t n = 0;
    char **v;

    snprintf(port, sizeof port, "%d", s->port > 0 ? s->port : 0);
    while (s->argv[n])
        n++;
    v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        if (!s->port_file && strstr(s->argv[i], "{port_file}")) {
            snprintf(err, errlen, "argument '%s' uses {port_file} but no port file is set",
                     s->argv[i]);
            free_strv(v);
            return NULL;
        }
        v[i] = subst_arg(s->argv[i], port, s->port_file ? s->port_file : "");
        if (!v[i]) {
            free_strv(v);
            v = NULL;
        }
    }
    if (!v)
        snprintf(err, errlen, "out of memory building the target's arguments");
    return v;
}

/* Does "NAME=value" define the same variable as "NAME=other"? */
static int same_var(const char *a, const char *b)
{
    size_t n = strcspn(a, "=");

    return strncmp(a, b, n) == 0 && b[n] == '=';
}

static int overridden(const char *entry, char **extra, const char *preload_entry)
{
    for (char **p = extra; p && *p; p++) {
        if (same_var(*p, entry))
            return 1;
    }
    return preload_entry && same_var(preload_entry, entry);
}

/*
 * The child's environment: ours, minus the variables spec->env and the
 * preload override, plus those. Built before fork: the child must not
 * allocate. Strings are copied so free_strv() releases all of it.
 */
static char **build_env(const hs_target_spec *s, char *err, size_t errlen)
{
    char *preload = NULL;
    size_t n = 0, k = 0;
    char **v;

    for (char **p = s->env; p && *p; p++) {
        if (!strchr(*p, '=')) {
            snprintf(err, errlen, "environment entry '%s' is not NAME=VALUE", *p);
            return NULL;
        }
        n++;
    }
    if (s->preload && asprintf(&preload, "LD_PRELOAD=%s", s->preload) < 0) {
        snprintf(err, errlen, "out of memory building the target's environment");
        return NULL;
    }
    for (char **p = environ; *p; p++)
        n++;
    v = calloc(n + 2, sizeof *v);
    for (char **p = environ; v && *p; p++) {
        if (!overridden(*p, s->env, preload))
            v[k++] = strdup(*p);
    }
    for (char **p = s->env; v && p && *p; p++)
        v[k++] = strdup(*p);
    if (v && preload)
        v[k++] = preload;
    else
        free(preload);
    for (size_t i = 0; v && i < k; i++) {
        if (!v[i]) {
            free_n(v, k);
            v = NULL;
        }
    }
    if (!v)
        snprintf(err, errlen, "out of memory building the target's environment");
    return v;
}

/* ---- spawning -------------------------------------------------------- */

/*
 * The target must not inherit the harness's sockets: a client connection
 * it held open would survive the harness closing it. CLOEXEC rather than
 * close, so the exec report pipe stays open until exec.
 */
static void cloexec_above_stdio(void)
{
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    for (int fd = 3; fd < FALLBACK_MAX_FD; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * In the forked child, between fork and exec: async-signal-safe calls
 * only. Any failure is written to the CLOEXEC pipe as an errno; a
 * successful exec closes the pipe, which is how the parent tells them apart.
 */
static void child_exec(char **argv, char **envp, int outfd, int report_fd, pid_t parent)
{
    struct sigaction dfl = { 0 };
    sigset_t none;
    int in, e;

    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        goto fail;
    if (in > 2)
        close(in);
    cloexec_above_stdio();
    execvpe(argv[0], argv, envp);
fail:
    e = errno;
    if (write(report_fd, &e, sizeof e) < 0)
        _exit(127);
    _exit(127);
}

static const char *exec_hint(const char *prog, int e)
{
    if (e == ENOENT)
        return strchr(prog, '/') ? " (run make first)" : " (not found in PATH)";
    if (e == EACCES)
        return " (is it an executable file?)";
    return "";
}

/* Reap a child that never became the target (exec failed). */
static void reap_failed(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    hs_proc_unregister(pid);
}

/*
 * fork, with termination signals blocked until the group is registered, so
 * a Ctrl-C in between cannot leave an untracked child. Returns the pid, or
 * -1 with errno set.
 */
static pid_t fork_registered(char **argv, char **envp, int outfd, int report_fd)
{
    sigset_t fatal, old;
    pid_t parent = getpid(), pid;
    int e = 0;

    sigemptyset(&fatal);
    sigaddset(&fatal, SIGINT);
    sigaddset(&fatal, SIGTERM);
    sigaddset(&fatal, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &fatal, &old);
    pid = fork();
    if (pid == 0)
        child_exec(argv, envp, outfd, report_fd, parent);
    e = errno;
    if (pid > 0) {
        setpgid(pid, pid);
        if (hs_proc_register(pid) != HS_PROC_OK) {
            kill(pid, SIGKILL);
            reap_failed(pid);
            pid = -1;
            e = EMFILE;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid;
}

/*
 * fork + exec, and learn whether exec worked: the report pipe is CLOEXEC,
 * so it reads EOF after a successful exec and an errno after a failed one.
 */
static int spawn(char **argv, char **envp, int outfd, pid_t *out, char *err, size_t errlen)
{
    int report[2], child_errno = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(report, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot start %s: pipe: %s", argv[0], strerror(errno));
        return HS_TARGET_ERR;
    }
    pid = fork_registered(argv, envp, outfd, report[1]);
    if (pid < 0)
        snprintf(err, errlen, "cannot start %s: %s", argv[0],
                 errno == EMFILE ? "too many live targets" : strerror(errno));
    close(report[1]);
    do {
        n = pid > 0 ? read(report[0], &child_errno, sizeof child_errno) : 0;
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (pid < 0)
        return HS_TARGET_ERR;
    if (n == (ssize_t)sizeof child_errno) {
        reap_failed(pid);
        snprintf(err, errlen, "cannot start %s: %s%s", argv[0], strerror(child_errno),
                 exec_hint(argv[0], child_errno));
        return HS_TARGET_ERR;
    }
    *out = pid;
    return HS_TARGET_OK;
}

/* ---- ending ---------------------------------------------------------- */

/*
 * The leader has ended (or must): sweep its group with SIGKILL while the
 * leader is still an unreaped zombie, then reap it.
 */
static void reap(hs_target *t)
{
    int st = 0;
    pid_t r;

    kill(-t->pid, SIGKILL);
    do {
        r = waitpid(t->pid, &st, 0);
    } while (r < 0 && errno == EINTR);
    t->exited = 1;
    t->status = r == t->pid ? st : -1;
    hs_proc_unregister(t->pid);
    if (t->pidfd >= 0)
        close(t->pidfd);
    t->pidfd = -1;
}

/* Has the leader ended? Looks without reaping (WNOWAIT), then reaps. */
static int ended(hs_target *t)
{
    siginfo_t si;

    if (t->exited)
        return 1;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, t->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == EINTR)
            return 0;
        t->exited = 1;     /* reaped behind our back: status unknown */
        t->status = -1;
        hs_proc_unregister(t->pid);
        return 1;
    }
    if (si.si_pid != t->pid)
        return 0;
    reap(t);
    return 1;
}

/*
 * Sleep until the target ends or timeout_ms passes, whichever is first.
 * With a pidfd that is one poll; without one (Linux < 5.3) a short poll
 * loop. A negative timeout waits only as long as one check.
 */
static int wait_end(hs_target *t, int timeout_ms)
{
    double deadline = hs_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

    while (!ended(t)) {
        int left = hs_clock_left_ms(deadline);
        struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

        if (left == 0)
            return 0;
        if (t->pidfd < 0) {
            p.fd = -1;
            left = left < FALLBACK_POLL_MS ? left : FALLBACK_POLL_MS;
        }
        poll(&p, 1, left);
    }
    return 1;
}

void hs_target_describe_status(int status, char *buf, size_t len)
{
    const char *name;

    if (status == -1) {
        snprintf(buf, len, "status unknown");
    } else if (WIFEXITED(status)) {
        snprintf(buf, len, "exit %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        name = sigabbrev_np(WTERMSIG(status));
        if (name)
            snprintf(buf, len, "killed by SIG%s%s", name,
                     WCOREDUMP(status) ? " (core dumped)" : "");
        else
            snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    } else {
        snprintf(buf, len, "wait status 0x%x", (unsigned)status);
    }
}

int hs_target_wait_end(hs_target *t, int timeout_ms)
{
    if (t->pid <= 0)
        return 1;
    return wait_end(t, timeout_ms);
}

int hs_target_alive(hs_target *t)
{
    if (t->pid <= 0)
        return 0;
    return !ended(t);
}

void hs_target_kill(hs_target *t)
{
    if (t->pid > 0 && !t->exited)
        reap(t);
}

int hs_target_stop(hs_target *t, int timeout_ms, int *exit_status, char *err, size_t errlen)
{
    char how[64];
    int rc = HS_TARGET_OK;

    if (t->pid <= 0) {
        snprintf(err, errlen, "target was never started");
        return HS_TARGET_ERR;
    }
    if (ended(t)) {
        hs_target_describe_status(t->status, how, sizeof how);
        snprintf(err, errlen, "target had already ended: %s", how);
        rc = HS_TARGET_EDEAD;
        goto out;
    }
    kill(-t->pid, SIGTERM);
    if (wait_end(t, timeout_ms))
        goto out;
    reap(t);
    hs_target_describe_status(t->status, how, sizeof how);
    snprintf(err, errlen, "target still ran %d ms after SIGTERM; SIGKILL ended it (%s)",
             timeout_ms, how);
    rc = HS_TARGET_EKILLED;
out:
    if (exit_status)
        *exit_status = t->status;
    return rc;
}

/* ---- stderr ---------------------------------------------------------- */

/* Where the last `lines` non-empty lines of chunk[0..n) begin. */
static size_t tail_start(const char *chunk, size_t n, int lines)
{
    int seen = 0;
    size_t i = n;

    while (i > 0) {
        size_t end = i;

        while (i > 0 && chunk[i - 1] != '\n')
            i--;
        if (i < end && ++seen == lines)
            return i;
        if (i > 0)
            i--;
    }
    return 0;
}

/* Read up to TAIL_WINDOW bytes from the end of path. */
static size_t read_tail(const char *path, char *chunk)
{
    struct stat st;
    off_t from = 0;
    ssize_t got;
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && st.st_size > TAIL_WINDOW)
        from = st.st_size - TAIL_WINDOW;
    got = pread(fd, chunk, TAIL_WINDOW, from);
    close(fd);
    return got > 0 ? (size_t)got : 0;
}

/* Each line escaped on its own (hs_escape_term), joined by real newlines. */
void hs_target_stderr_tail(const hs_target *t, int lines, char *buf, size_t len)
{
    char chunk[TAIL_WINDOW];
    hs_buf out = HS_BUF_INIT;
    size_t n = read_tail(t->stderr_path, chunk), i, end, k, keep;

    if (len == 0)
        return;
    while (n > 0 && (chunk[n - 1] == '\n' || chunk[n - 1] == '\r'))
        n--;
    for (i = tail_start(chunk, n, lines > 0 ? lines : 1); i < n; i = end + 1) {
        const char *nl = memchr(chunk + i, '\n', n - i);

        end = nl ? (size_t)(nl - chunk) : n;
        k = end > i && chunk[end - 1] == '\r' ? end - i - 1 : end - i;
        if (k == 0)
            continue;
        hs_escape_term(chunk + i, k, &out);
        if (end < n)
            hs_buf_putc(&out, '\n');
    }
    keep = out.p && !hs_buf_failed(&out) ? hs_escape_clip(out.p, out.len, len - 1) : 0;
    if (keep)
        memcpy(buf, out.p, keep);
    buf[keep] = '\0';
    hs_buf_free(&out);
}

/* ---- readiness ------------------------------------------------------- */

/* "target exited with status 1 before listening: <last stderr line>" */
static void report_early_death(const hs_target *t, char *err, size_t errlen)
{
    char tail[512], how[64];

    hs_target_stderr_tail(t, 1, tail, sizeof tail);
    if (t->status != -1 && WIFEXITED(t->status))
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(t->status));
    else
        hs_target_describe_status(t->status, how, sizeof how);
    snprintf(err, errlen, "target %s before listening%s%s", how, tail[0] ? ": " : "", tail);
}

static void report_timeout(const hs_target *t, const char *what, int ms, char *err,
                           size_t errlen)
{
    char tail[512];

    hs_target_stderr_tail(t, 1, tail, sizeof tail);
    snprintf(err, errlen, "target did not %s within %d ms%s%s", what, ms,
             tail[0] ? "; last stderr line: " : "", tail);
}

/*
 * 1 and *port when the file holds a port number, 0 when it is absent or
 * still empty, -1 when it holds something else.
 */
static int read_port_file(const char *path, int *port)
{
    char buf[32], *end;
    ssize_t n;
    long v;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    errno = 0;
    v = strtol(buf, &end, 10);
    while (*end == '\n' || *end == '\r' || *end == ' ')
        end++;
    if (errno || end == buf || *end || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 1;
}

/* An inotify watch on the folder that will receive the port file. */
static int watch_port_dir(const char *port_file, char *err, size_t errlen)
{
    char copy[PATH_MAX];
    const char *dir;
    int fd;

    snprintf(copy, sizeof copy, "%s", port_file);
    dir = dirname(copy);
    fd = hs_fs_inotify();
    if (fd < 0) {
        snprintf(err, errlen, "inotify: %s", strerror(errno));
        return -1;
    }
    if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        snprintf(err, errlen, "cannot watch the port file's folder %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    return fd;
}

/*
 * Sleep until the port file changes, the target ends, or the deadline.
 * Without a pidfd the sleep is capped so death is still noticed promptly.
 */
static void wait_event(const hs_target *t, int ino, double deadline)
{
    struct pollfd p[2] = {
        { .fd = ino, .events = POLLIN },
        { .fd = t->pidfd, .events = POLLIN },
    };
    int left = hs_clock_left_ms(deadline);

    if (t->pidfd < 0 && left > FALLBACK_POLL_MS)
        left = FALLBACK_POLL_MS;
    if (poll(p, 2, left) > 0 && (p[0].revents & POLLIN))
        hs_fs_inotify_drain();
}

/* Wait for the port file to hold a port (the file was unlinked before spawn). */
static int wait_port_file(hs_target *t, const char *port_file, int ino, int timeout_ms,
                          char *err, size_t errlen)
{
    double deadline = hs_now_ms() + timeout_ms;

    for (;;) {
        int r = read_port_file(port_file, &t->port);

        if (r == 1)
            return HS_TARGET_OK;
        if (r < 0) {
            snprintf(err, errlen, "port file %s holds no port number", port_file);
            return HS_TARGET_ERR;
        }
        if (ended(t)) {
            report_early_death(t, err, errlen);
            return HS_TARGET_ERR;
        }
        if (hs_clock_left_ms(deadline) == 0) {
            report_timeout(t, "write its port file", timeout_ms, err, errlen);
            return HS_TARGET_ERR;
        }
        wait_event(t, ino, deadline);
    }
}

/* One connect attempt: 1 connected, 0 refused (retry), -1 other error. */
static int try_connect(int port, double deadline, int *why)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct pollfd p;
    socklen_t sl = sizeof *why;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = -1;

    if (fd < 0) {
        *why = errno;
        return -1;
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *why = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        *why = errno;
    if (*why == EINPROGRESS) {
        p = (struct pollfd){ .fd = fd, .events = POLLOUT };
        *why = ETIMEDOUT;
        if (poll(&p, 1, hs_clock_left_ms(deadline)) > 0)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, why, &sl);
    }
    if (*why == 0)
        rc = 1;
    else if (*why == ECONNREFUSED || *why == ETIMEDOUT)
        rc = 0;
    close(fd);
    return rc;
}

/*
 * A target with a fixed port gives no signal when it listens: retry the
 * connect with a doubling backoff, sleeping on the pidfd so a death ends
 * the wait at once.
 */
static int wait_tcp(hs_target *t, int port, int timeout_ms, char *err, size_t errlen)
{
    double deadline = hs_now_ms() + timeout_ms;
    int backoff = 2, why;

    for (;;) {
        int r = try_connect(port, deadline, &why);

        if (r == 1) {
            t->port = port;
            return HS_TARGET_OK;
        }
        if (r < 0) {
            snprintf(err, errlen, "connect to 127.0.0.1:%d: %s", port, strerror(why));
            return HS_TARGET_ERR;
        }
        if (wait_end(t, hs_clock_left_ms(deadline) < backoff ? hs_clock_left_ms(deadline) : backoff)) {
            report_early_death(t, err, errlen);
            return HS_TARGET_ERR;
        }
        if (hs_clock_left_ms(deadline) == 0) {
            report_timeout(t, "accept connections", timeout_ms, err, errlen);
            return HS_TARGET_ERR;
        }
        backoff = backoff < 100 ? backoff * 2 : 100;
    }
}

/* ---- start ----------------------------------------------------------- */

static int check_spec(const hs_target_spec *s, hs_target *t, char *err, size_t errlen)
{
    const char *path = s->stderr_path ? s->stderr_path : "";

    memset(t, 0, sizeof *t);
    t->pidfd = -1;
    if (!s->argv || !s->argv[0] || !s->argv[0][0]) {
        snprintf(err, errlen, "no target command given");
        return HS_TARGET_ERR;
    }
    if (!s->port_file && s->port <= 0) {
        snprintf(err, errlen, "target has neither a port file nor a fixed port");
        return HS_TARGET_ERR;
    }
    if (strlen(path) >= sizeof t->stderr_path) {
        snprintf(err, errlen, "stderr path too long");
        return HS_TARGET_ERR;
    }
    memcpy(t->stderr_path, path, strlen(path) + 1);
    return HS_TARGET_OK;
}

static int open_output(const char *path, char *err, size_t errlen)
{
    int fd;

    if (path)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    else
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "cannot open %s: %s", path ? path : "/dev/null",
                 strerror(errno));
    return fd;
}

/*
 * A port file left by an earlier run must not pass for readiness: remove
 * it, then watch its folder. Returns the inotify fd, or -1.
 */
static int prepare_port_file(const char *port_file, char *err, size_t errlen)
{
    if (unlink(port_file) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove stale port file %s: %s", port_file,
                 strerror(errno));
        return -1;
    }
    return watch_port_dir(port_file, err, errlen);
}

/*
 * Everything that must exist before fork: the substituted argv, the
 * environment, the output file, and the inotify watch (set before the
 * child can write the port file, so the event cannot be missed).
 */
int hs_target_start(const hs_target_spec *s, hs_target *t, char *err, size_t errlen)
{
    char **argv = NULL, **envp = NULL;
    int outfd = -1, ino = -1, rc = HS_TARGET_ERR;
    int timeout = s->ready_timeout_ms > 0 ? s->ready_timeout_ms : DEFAULT_READY_MS;

    if (check_spec(s, t, err, errlen) != HS_TARGET_OK)
        return HS_TARGET_ERR;
    if (hs_proc_install_handlers() != HS_PROC_OK) {
        snprintf(err, errlen, "cannot install the cleanup signal handlers");
        return HS_TARGET_ERR;
    }
    argv = build_argv(s, err, errlen);
    envp = argv ? build_env(s, err, errlen) : NULL;
    if (!envp)
        goto out;
    outfd = open_output(s->stderr_path, err, errlen);
    if (outfd < 0)
        goto out;
    if (s->port_file) {
        ino = prepare_port_file(s->port_file, err, errlen);
        if (ino < 0)
            goto out;
    }
    if (spawn(argv, envp, outfd, &t->pid, err, errlen) != HS_TARGET_OK)
        goto out;
    t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
    if (s->port_file)
        rc = wait_port_file(t, s->port_file, ino, timeout, err, errlen);
    else
        rc = wait_tcp(t, s->port, timeout, err, errlen);
    if (rc != HS_TARGET_OK)
        hs_target_kill(t);
out:
    free_strv(argv);
    free_strv(envp);
    if (outfd >= 0)
        close(outfd);
    return rc;
}
