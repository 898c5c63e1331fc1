/*
 * hs_target and hs_proc against real processes: `sh -c` scripts play the
 * target. Nothing here sleeps for a fixed time; every wait is on an event
 * (pidfd, pipe, inotify inside hs_target) with a ceiling.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/hs_proc.h"
#include "target/hs_target.h"
#include "tests/test_util.h"

#define CEILING_MS 10000

static char port_file[128];
static char err_path[128];

static int setup(void **state)
{
    if (test_dir_setup(state) != 0)
        return -1;
    test_path(port_file, sizeof port_file, "port");
    test_path(err_path, sizeof err_path, "stderr");
    return 0;
}

/* A spec running `sh -c script`, extra arguments after the script. */
static hs_target_spec sh_spec(char **argv, const char *script)
{
    hs_target_spec s = { 0 };

    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    s.argv = argv;
    s.stderr_path = err_path;
    s.port_file = port_file;
    s.ready_timeout_ms = CEILING_MS;
    return s;
}

/* Block until pid ends (any process, not only our children). 1 if it did. */
static int wait_gone(pid_t pid, int ms)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r;

    if (fd < 0)
        return errno == ESRCH;
    r = poll(&p, 1, ms);
    close(fd);
    return r == 1;
}

static pid_t read_pid_file(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = 0;

    if (!f)
        return -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return (pid_t)v;
}

/* A stale port file from an earlier run must not count as ready. */
static void test_port_file_ready_and_sigterm_exit0(void **state)
{
    char *argv[5] = { 0 }, err[512] = "", how[64];
    const char *script = "trap 'exit 0' TERM; echo 1234 > \"$HSF.tmp\" && "
                         "mv \"$HSF.tmp\" \"$HSF\"; sleep 1000 & wait";
    char env_entry[160];
    char *env[] = { env_entry, NULL };
    hs_target_spec s = sh_spec(argv, script);
    hs_target t;
    FILE *stale = fopen(port_file, "w");
    int st = -1;

    assert_non_null(stale);
    fputs("999\n", stale);
    fclose(stale);
    snprintf(env_entry, sizeof env_entry, "HSF=%s", port_file);
    s.env = env;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    assert_int_equal(t.port, 1234);
    assert_int_equal(hs_target_alive(&t), 1);
    assert_int_equal(hs_proc_count(), 1);
    assert_int_equal(hs_target_stop(&t, CEILING_MS, &st, err, sizeof err), HS_TARGET_OK);
    hs_target_describe_status(st, how, sizeof how);
    assert_string_equal(how, "exit 0");
    assert_int_equal(hs_target_alive(&t), 0);
    assert_int_equal(hs_proc_count(), 0);
}

static void test_early_exit_reports_stderr(void **state)
{
    char *argv[5] = { 0 }, err[512] = "";
    hs_target_spec s = sh_spec(argv, "echo 'config: bad value' >&2; exit 1");
    hs_target t;
    double t0 = hs_now_ms();

    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_ERR);
    assert_string_equal(err, "target exited with status 1 before listening: config: bad value");
    assert_cmp_dbl(hs_now_ms() - t0, <, CEILING_MS / 2);
    assert_int_equal(hs_proc_count(), 0);
}

static void test_missing_binary(void **state)
{
    char *argv[] = { "build/no-such-gateway", "--port", "{port}", NULL };
    char err[512] = "";
    hs_target_spec s = { .argv = argv, .port_file = port_file, .ready_timeout_ms = CEILING_MS };
    hs_target t;

    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_ERR);
    assert_string_equal(err, "cannot start build/no-such-gateway: No such file or directory "
                             "(run make first)");
    assert_int_equal(hs_proc_count(), 0);
}

static void test_sigterm_ignored_needs_sigkill(void **state)
{
    char *argv[5] = { 0 }, err[512] = "", how[64];
    hs_target_spec s = sh_spec(argv, "trap '' TERM; echo 4000 > \"$0\"; exec sleep 1000");
    hs_target t;
    int st = -1;

    argv[3] = port_file;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    assert_int_equal(hs_target_stop(&t, 200, &st, err, sizeof err), HS_TARGET_EKILLED);
    hs_target_describe_status(st, how, sizeof how);
    assert_string_equal(how, "killed by SIGKILL");
    assert_non_null(strstr(err, "SIGKILL ended it"));
}

/*
 * The leader exits cleanly on SIGTERM but leaves a grandchild that ignores
 * it: stop must still sweep the group.
 */
static void test_stop_sweeps_grandchild(void **state)
{
    char *argv[5] = { 0 }, err[512] = "", gc_path[160];
    const char *script = "(trap '' TERM; exec sleep 1000) & echo $! > \"$0.gc\"; "
                         "trap 'exit 0' TERM; echo 4001 > \"$0\"; sleep 1000 & wait";
    hs_target_spec s = sh_spec(argv, script);
    hs_target t;
    pid_t gc;
    int gcfd, st;
    struct pollfd p;

    argv[3] = port_file;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    snprintf(gc_path, sizeof gc_path, "%s.gc", port_file);
    gc = read_pid_file(gc_path);
    assert_cmp_int(gc, >, 0);
    gcfd = (int)syscall(SYS_pidfd_open, gc, 0);
    assert_cmp_int(gcfd, >=, 0);
    assert_int_equal(hs_target_stop(&t, CEILING_MS, &st, err, sizeof err), HS_TARGET_OK);
    assert_true(WIFEXITED(st));
    assert_cmp_int(WEXITSTATUS(st), ==, 0);
    p = (struct pollfd){ .fd = gcfd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, CEILING_MS), 1);
    close(gcfd);
}

static void test_kill_takes_whole_group(void **state)
{
    char *argv[5] = { 0 }, err[512] = "", gc_path[160];
    hs_target_spec s = sh_spec(argv, "sleep 1000 & echo $! > \"$0.gc\"; "
                                     "echo 4002 > \"$0\"; wait");
    hs_target t;
    pid_t gc;

    argv[3] = port_file;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    snprintf(gc_path, sizeof gc_path, "%s.gc", port_file);
    gc = read_pid_file(gc_path);
    assert_cmp_int(gc, >, 0);
    assert_int_equal(kill(gc, 0), 0);
    hs_target_kill(&t);
    assert_int_equal(hs_target_alive(&t), 0);
    assert_true(wait_gone(gc, CEILING_MS));
}

/* A target that crashed on its own is reported as dead, with the signal. */
static void test_stop_reports_prior_crash(void **state)
{
    char *argv[5] = { 0 }, err[512] = "";
    hs_target_spec s = sh_spec(argv, "echo 4003 > \"$0\"; kill -SEGV $$");
    hs_target t;
    struct pollfd p;
    int st = 0;

    argv[3] = port_file;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    assert_cmp_int(t.pidfd, >=, 0);
    p = (struct pollfd){ .fd = t.pidfd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, CEILING_MS), 1);
    assert_int_equal(hs_target_alive(&t), 0);
    assert_int_equal(hs_target_stop(&t, CEILING_MS, &st, err, sizeof err), HS_TARGET_EDEAD);
    assert_true(WIFSIGNALED(st));
    assert_cmp_int(WTERMSIG(st), ==, SIGSEGV);
    assert_string_equal(err, "target had already ended: killed by SIGSEGV");
}

static void test_port_file_timeout(void **state)
{
    char *argv[5] = { 0 }, err[512] = "";
    hs_target_spec s = sh_spec(argv, "echo 'still loading' >&2; exec sleep 1000");
    hs_target t;
    double t0 = hs_now_ms();

    s.ready_timeout_ms = 300;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, >=, 300);
    assert_cmp_dbl(hs_now_ms() - t0, <, CEILING_MS);
    assert_string_equal(err, "target did not write its port file within 300 ms; "
                             "last stderr line: still loading");
    assert_int_equal(hs_proc_count(), 0);
}

/*
 * Placeholders in every argument; extra env overrides ours; LD_PRELOAD is
 * set; the harness's own descriptors are not inherited; unsafe bytes in
 * the tail are escaped.
 */
static void test_substitution_env_and_tail(void **state)
{
    char script[600];
    char *argv[] = { "sh", "-c", script, "--port={port}", "{port_file}", NULL };
    char *env[] = { "FOO=bar", "HOME=/nowhere", NULL };
    char err[512] = "", tail[512], want[512];
    hs_target_spec s = { .argv = argv, .env = env, .stderr_path = err_path,
                         .port_file = port_file, .ready_timeout_ms = CEILING_MS,
                         .preload = "libc.so.6" };
    hs_target t;
    int leak = open("/dev/null", O_RDONLY);

    assert_cmp_int(leak, >, 2);
    snprintf(script, sizeof script,
             "if [ -e /proc/$$/fd/%d ]; then fd=inherited; else fd=closed; fi; "
             "homes=$(tr '\\0' '\\n' < /proc/$$/environ | grep -c ^HOME=); "
             "printf 'a=%%s b=%%s foo=%%s home=%%s*%%s pre=%%s fd=%%s\\n\\001\\n' \"$0\" \"$1\" "
             "\"$FOO\" \"$HOME\" $homes \"$LD_PRELOAD\" $fd >&2; "
             "echo 4004 > \"$1\"; exec sleep 1000", leak);
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    hs_target_stderr_tail(&t, 2, tail, sizeof tail);
    hs_target_kill(&t);
    close(leak);
    snprintf(want, sizeof want,
             "a=--port=0 b=%s foo=bar home=/nowhere*1 pre=libc.so.6 fd=closed\n\\x01", port_file);
    assert_string_equal(tail, want);
}

/* Read "Field:\t<hex>" from /proc/PID/status. */
static unsigned long long proc_status_mask(pid_t pid, const char *field)
{
    char path[64], line[256];
    unsigned long long v = ~0ULL;
    size_t n = strlen(field);
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return v;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtoull(line + n + 1, NULL, 16);
    }
    fclose(f);
    return v;
}

#define GLIBC_RESERVED ((1ULL << 31) | (1ULL << 32))

/* Ignored and blocked signals of the harness must not reach the target. */
static void test_target_gets_default_signals(void **state)
{
    char *argv[5] = { 0 }, err[512] = "";
    hs_target_spec s = sh_spec(argv, "echo 4007 > \"$0\"; exec sleep 1000");
    sigset_t usr2, old;
    hs_target t;

    argv[3] = port_file;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    signal(SIGUSR1, SIG_IGN);
    sigprocmask(SIG_BLOCK, &usr2, &old);
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR1, SIG_DFL);
    /* Signals 32 and 33 are glibc's own (NPTL): no program can change their
     * disposition, and make(1) starts us with them ignored. */
    assert_int_equal(proc_status_mask(t.pid, "SigIgn") & ~GLIBC_RESERVED, 0);
    assert_int_equal(proc_status_mask(t.pid, "SigBlk") & ~GLIBC_RESERVED, 0);
    hs_target_kill(&t);
}

/*
 * Keeps the port refusing connections until the target has started (it
 * writes into a FIFO), then listens.
 */
struct late_listener {
    const char *fifo;
    int sock;
};

static void *late_listener(void *arg)
{
    struct late_listener *l = arg;
    char c;
    int fd = open(l->fifo, O_RDONLY);

    if (fd >= 0 && read(fd, &c, 1) == 1)
        listen(l->sock, 4);
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int bound_socket(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_fixed_port_waits_for_listen(void **state)
{
    char fifo[160], err[512] = "";
    char *argv[] = { "sh", "-c", "echo go > \"$0\"; exec sleep 1000", fifo, NULL };
    hs_target_spec s = { .argv = argv, .stderr_path = err_path, .ready_timeout_ms = CEILING_MS };
    struct late_listener l = { .fifo = fifo };
    int port = 0;
    pthread_t th;
    hs_target t;

    test_path(fifo, sizeof fifo, "go");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    l.sock = bound_socket(&port);
    assert_cmp_int(l.sock, >=, 0);
    s.port = port;
    assert_int_equal(pthread_create(&th, NULL, late_listener, &l), 0);
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_OK);
    assert_int_equal(t.port, port);
    pthread_join(th, NULL);
    hs_target_kill(&t);
    close(l.sock);
}

static void test_fixed_port_early_death_and_timeout(void **state)
{
    char *argv[] = { "sh", "-c", "echo boom >&2; exit 3", NULL };
    hs_target_spec s = { .argv = argv, .stderr_path = err_path, .ready_timeout_ms = CEILING_MS };
    char err[512] = "";
    int port, fd = bound_socket(&port);
    hs_target t;
    double t0;

    assert_cmp_int(fd, >=, 0);
    s.port = port;
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_ERR);
    assert_string_equal(err, "target exited with status 3 before listening: boom");
    argv[2] = "exec sleep 1000";
    s.ready_timeout_ms = 300;
    t0 = hs_now_ms();
    assert_int_equal(hs_target_start(&s, &t, err, sizeof err), HS_TARGET_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, >=, 300);
    assert_non_null(strstr(err, "did not accept connections within 300 ms"));
    assert_int_equal(hs_proc_count(), 0);
    close(fd);
}

/*
 * In a forked worker, a crash must kill the worker, not longjmp back into
 * cmocka's runner (which would go on running the suite in two processes).
 */
static void worker_enter(void)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
}

/*
 * What a forked worker started: its target (the group leader) and the
 * leader's own child. PR_SET_PDEATHSIG reaches only the leader, so the
 * grandchild dies only if hs_proc killed the whole group.
 */
typedef struct worker_run {
    pid_t worker;
    pid_t target;
    pid_t grandchild;
    int hold;       /* write end: the worker blocks reading until it closes */
} worker_run;

/* The worker's body: start the target, report its pids, then `finish`. */
static void worker_body(const char *wport, int tell, int hold, int finish_by_exit)
{
    char *argv[5] = { "sh", "-c", "sleep 1000 & echo $! > \"$0.gc\"; echo 4005 > \"$0\"; "
                                  "exec sleep 1000", (char *)wport, NULL };
    hs_target_spec s = { .argv = argv, .port_file = wport, .ready_timeout_ms = CEILING_MS };
    char err[512], gc_path[200];
    hs_target t;
    pid_t pids[2];
    char c;

    worker_enter();
    if (hs_proc_count() != 0 || hs_target_start(&s, &t, err, sizeof err) != HS_TARGET_OK)
        _exit(2);
    snprintf(gc_path, sizeof gc_path, "%s.gc", wport);
    pids[0] = t.pid;
    pids[1] = read_pid_file(gc_path);
    if (write(tell, pids, sizeof pids) != sizeof pids)
        _exit(3);
    if (finish_by_exit)
        exit(0);
    if (read(hold, &c, 1) < 0)
        _exit(4);
    _exit(0);
}

static worker_run start_worker(int finish_by_exit)
{
    char wport[160];
    int tell[2], hold[2];
    pid_t pids[2] = { 0, 0 };
    worker_run w;

    snprintf(wport, sizeof wport, "%s.w", port_file);
    assert_int_equal(pipe(tell), 0);
    assert_int_equal(pipe(hold), 0);
    w.worker = fork();
    assert_cmp_int(w.worker, >=, 0);
    if (w.worker == 0)
        worker_body(wport, tell[1], hold[0], finish_by_exit);
    close(tell[1]);
    close(hold[0]);
    assert_int_equal(read(tell[0], pids, sizeof pids), sizeof pids);
    close(tell[0]);
    w.target = pids[0];
    w.grandchild = pids[1];
    w.hold = hold[1];
    assert_cmp_int(w.target, >, 0);
    assert_cmp_int(w.grandchild, >, 0);
    return w;
}

static void start_mine(hs_target *t, const char *suffix)
{
    char *argv[5] = { 0 }, err[512] = "", pf[160];
    hs_target_spec s = sh_spec(argv, "echo 4006 > \"$0\"; exec sleep 1000");

    snprintf(pf, sizeof pf, "%s%s", port_file, suffix);
    argv[3] = pf;
    s.port_file = pf;
    assert_int_equal(hs_target_start(&s, t, err, sizeof err), HS_TARGET_OK);
}

/*
 * A worker is killed with sig: its handler must kill its whole group. Our
 * own groups (two, so one survives the worker reusing a slot) must not be
 * touched by the worker.
 */
static void worker_dies_of(int sig)
{
    hs_target mine[2];
    worker_run w;
    int st;

    start_mine(&mine[0], ".a");
    start_mine(&mine[1], ".b");
    w = start_worker(0);
    assert_int_equal(kill(w.worker, sig), 0);
    assert_int_equal(waitpid(w.worker, &st, 0), w.worker);
    assert_true(WIFSIGNALED(st));
    assert_cmp_int(WTERMSIG(st), ==, sig);
    assert_true(wait_gone(w.target, CEILING_MS));
    assert_true(wait_gone(w.grandchild, CEILING_MS));
    assert_int_equal(hs_target_alive(&mine[0]), 1);
    assert_int_equal(hs_target_alive(&mine[1]), 1);
    hs_target_kill(&mine[0]);
    hs_target_kill(&mine[1]);
    close(w.hold);
}

static void test_handler_sigterm(void **state) { worker_dies_of(SIGTERM); }
static void test_handler_sigint(void **state) { worker_dies_of(SIGINT); }
static void test_handler_sighup(void **state) { worker_dies_of(SIGHUP); }

/*
 * A SIGKILLed worker runs nothing: PR_SET_PDEATHSIG takes its target down.
 * (Not the target's own children: that is the documented limit.)
 */
static void test_pdeathsig_on_sigkill(void **state)
{
    worker_run w = start_worker(0);
    int st;

    assert_int_equal(kill(w.worker, SIGKILL), 0);
    assert_int_equal(waitpid(w.worker, &st, 0), w.worker);
    assert_true(wait_gone(w.target, CEILING_MS));
    kill(w.grandchild, SIGKILL);
    close(w.hold);
}

/* A worker's normal exit (atexit) kills its own groups, not its parent's. */
static void test_worker_exit_spares_parent_groups(void **state)
{
    hs_target mine[2];
    worker_run w;
    int st;

    start_mine(&mine[0], ".a");
    start_mine(&mine[1], ".b");
    w = start_worker(1);
    assert_int_equal(waitpid(w.worker, &st, 0), w.worker);
    assert_true(WIFEXITED(st));
    assert_cmp_int(WEXITSTATUS(st), ==, 0);
    assert_true(wait_gone(w.grandchild, CEILING_MS));
    assert_int_equal(hs_target_alive(&mine[0]), 1);
    assert_int_equal(hs_target_alive(&mine[1]), 1);
    hs_target_kill(&mine[0]);
    hs_target_kill(&mine[1]);
    close(w.hold);
}

static void test_registry_bookkeeping(void **state)
{
    assert_int_equal(hs_proc_register(0), HS_PROC_ERR);
    for (int i = 0; i < HS_PROC_MAX; i++)
        assert_int_equal(hs_proc_register(1000000 + i), HS_PROC_OK);
    assert_int_equal(hs_proc_register(999), HS_PROC_ERR);
    assert_int_equal(hs_proc_count(), HS_PROC_MAX);
    for (int i = 0; i < HS_PROC_MAX; i++)
        hs_proc_unregister(1000000 + i);
    assert_int_equal(hs_proc_count(), 0);
}

/*
 * A test started in the background (`make test &`) inherits SIGINT
 * ignored; hs_proc respects that, but these tests need the default.
 */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_file_ready_and_sigterm_exit0),
        cmocka_unit_test(test_early_exit_reports_stderr),
        cmocka_unit_test(test_missing_binary),
        cmocka_unit_test(test_sigterm_ignored_needs_sigkill),
        cmocka_unit_test(test_stop_sweeps_grandchild),
        cmocka_unit_test(test_kill_takes_whole_group),
        cmocka_unit_test(test_stop_reports_prior_crash),
        cmocka_unit_test(test_port_file_timeout),
        cmocka_unit_test(test_substitution_env_and_tail),
        cmocka_unit_test(test_target_gets_default_signals),
        cmocka_unit_test(test_fixed_port_waits_for_listen),
        cmocka_unit_test(test_fixed_port_early_death_and_timeout),
        cmocka_unit_test(test_handler_sigterm),
        cmocka_unit_test(test_handler_sigint),
        cmocka_unit_test(test_handler_sighup),
        cmocka_unit_test(test_pdeathsig_on_sigkill),
        cmocka_unit_test(test_worker_exit_spares_parent_groups),
        cmocka_unit_test(test_registry_bookkeeping),
    };

    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return cmocka_run_group_tests(tests, setup, test_dir_teardown);
}
