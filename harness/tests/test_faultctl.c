/*
 * hs_faultctl against a real libfiu remote control: a forked helper calls
 * fiu_rc_fifo() and answers, on request, whether "test/point" fails now.
 * Asking over a pipe (rather than the helper polling in a loop) keeps every
 * check deterministic and free of sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <fiu.h>
#include <fiu-control.h>

#include "target/hs_faultctl.h"
#include "tests/test_util.h"

#define POINT "test/point"
#define TIMEOUT_MS 5000

typedef struct helper {
    pid_t pid;
    int ask;        /* we write one byte per question */
    int answer;     /* it writes one probe_result per question */
} helper;

typedef struct probe_result {
    int fired;
    unsigned long failinfo;
} probe_result;

/* Short enough that every FIFO name built from it fits its buffer. */
static char prefix[128];

static int setup(void **state)
{
    if (test_dir_setup(state) != 0)
        return -1;
    test_path(prefix, sizeof prefix, "fiu");
    return 0;
}

/* The helper process: libfiu's remote control, and one answer per question. */
static void helper_main(int ask, int answer, int with_rc)
{
    char c;
    int quiet = open("/dev/null", O_WRONLY);

    /* libfiu reports rejected commands on stderr; the tests check replies. */
    if (quiet >= 0)
        dup2(quiet, 2);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    fiu_init(0);
    if (with_rc && fiu_rc_fifo(prefix) != 0)
        _exit(2);
    if (write(answer, "r", 1) != 1)
        _exit(3);
    while (read(ask, &c, 1) == 1) {
        probe_result r = { 0 };

        r.fired = fiu_fail(POINT) != 0;
        if (r.fired)
            r.failinfo = (unsigned long)fiu_failinfo();
        if (write(answer, &r, sizeof r) != sizeof r)
            _exit(4);
    }
    _exit(0);
}

/* Start a helper; it has made its FIFOs once it says "r". */
static helper start_helper(int with_rc)
{
    int ask[2], answer[2];
    helper h = { 0 };
    char c = 0;

    assert_int_equal(pipe(ask), 0);
    assert_int_equal(pipe(answer), 0);
    h.pid = fork();
    assert_cmp_int(h.pid, >=, 0);
    if (h.pid == 0) {
        close(ask[1]);
        close(answer[0]);
        helper_main(ask[0], answer[1], with_rc);
    }
    close(ask[0]);
    close(answer[1]);
    h.ask = ask[1];
    h.answer = answer[0];
    assert_int_equal(read(h.answer, &c, 1), 1);
    assert_int_equal(c, 'r');
    return h;
}

static probe_result probe(const helper *h)
{
    probe_result r = { -1, 0 };

    assert_int_equal(write(h->ask, "?", 1), 1);
    assert_int_equal(read(h->answer, &r, sizeof r), sizeof r);
    return r;
}

static void stop_helper(helper *h)
{
    int st;

    close(h->ask);
    close(h->answer);
    kill(h->pid, SIGKILL);
    waitpid(h->pid, &st, 0);
}

static void enable(const helper *h, hs_faultctl_mode mode, double p, unsigned long info)
{
    hs_faultctl_fault f = { .name = POINT, .mode = mode, .probability = p, .failinfo = info };
    char err[256] = "";
    int rc = hs_faultctl_enable(prefix, h->pid, &f, TIMEOUT_MS, err, sizeof err);

    if (rc != HS_FAULTCTL_OK)
        print_message("enable: %s\n", err);
    assert_int_equal(rc, HS_FAULTCTL_OK);
}

static void disable(const helper *h)
{
    char err[256] = "";
    int rc = hs_faultctl_disable(prefix, h->pid, POINT, TIMEOUT_MS, err, sizeof err);

    if (rc != HS_FAULTCTL_OK)
        print_message("disable: %s\n", err);
    assert_int_equal(rc, HS_FAULTCTL_OK);
}

static void test_enable_fires_disable_stops(void **state)
{
    helper h = start_helper(1);

    assert_int_equal(probe(&h).fired, 0);
    enable(&h, HS_FAULTCTL_ALWAYS, 0, 0);
    assert_int_equal(probe(&h).fired, 1);
    assert_int_equal(probe(&h).fired, 1);
    disable(&h);
    assert_int_equal(probe(&h).fired, 0);
    stop_helper(&h);
}

static void test_once_fires_once(void **state)
{
    helper h = start_helper(1);

    enable(&h, HS_FAULTCTL_ONCE, 0, 0);
    assert_int_equal(probe(&h).fired, 1);
    assert_int_equal(probe(&h).fired, 0);
    stop_helper(&h);
}

static void test_probability_one_fires_with_failinfo(void **state)
{
    helper h = start_helper(1);
    probe_result r;

    enable(&h, HS_FAULTCTL_PROBABILITY, 1.0, 104);
    r = probe(&h);
    assert_int_equal(r.fired, 1);
    assert_int_equal(r.failinfo, 104);
    stop_helper(&h);
}

/* The command survives many quick open/close cycles of libfiu's thread. */
static void test_rapid_sequence(void **state)
{
    helper h = start_helper(1);

    for (int i = 0; i < 100; i++) {
        enable(&h, HS_FAULTCTL_ALWAYS, 0, (unsigned long)i);
        assert_int_equal(probe(&h).failinfo, (unsigned long)i);
        disable(&h);
        assert_int_equal(probe(&h).fired, 0);
    }
    stop_helper(&h);
}

static void test_bad_command_rejected(void **state)
{
    helper h = start_helper(1);
    char err[256] = "";

    assert_int_equal(hs_faultctl_send(prefix, h.pid, "frobnicate name=" POINT, TIMEOUT_MS,
                                      err, sizeof err), HS_FAULTCTL_EREJECTED);
    assert_non_null(strstr(err, "rejected 'frobnicate name=test/point'"));
    assert_int_equal(hs_faultctl_send(prefix, h.pid, "enable", TIMEOUT_MS, err, sizeof err),
                     HS_FAULTCTL_EREJECTED);
    enable(&h, HS_FAULTCTL_ALWAYS, 0, 0);
    assert_int_equal(probe(&h).fired, 1);
    stop_helper(&h);
}

/* A second line would be run as a second command: never sent. */
static void test_multiline_command_refused(void **state)
{
    helper h = start_helper(1);
    char err[256] = "";

    assert_int_equal(hs_faultctl_send(prefix, h.pid, "disable name=x\nenable name=" POINT,
                                      TIMEOUT_MS, err, sizeof err), HS_FAULTCTL_ERR);
    assert_non_null(strstr(err, "one line"));
    assert_int_equal(hs_faultctl_send(prefix, h.pid, "", TIMEOUT_MS, err, sizeof err),
                     HS_FAULTCTL_ERR);
    assert_int_equal(probe(&h).fired, 0);
    stop_helper(&h);
}

/* SIGKILL leaves the FIFOs behind; the dead pid must still fail at once. */
static void test_dead_pid_fails_fast(void **state)
{
    helper h = start_helper(1);
    char err[256] = "", in[160], want[64];
    double t0;
    int st;

    snprintf(in, sizeof in, "%s-%d.in", prefix, (int)h.pid);
    assert_int_equal(kill(h.pid, SIGKILL), 0);
    assert_int_equal(waitpid(h.pid, &st, 0), h.pid);
    assert_int_equal(access(in, F_OK), 0);
    t0 = hs_now_ms();
    assert_int_equal(hs_faultctl_send(prefix, h.pid, "disable name=" POINT, TIMEOUT_MS, err,
                                      sizeof err), HS_FAULTCTL_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, <, TIMEOUT_MS / 5);
    snprintf(want, sizeof want, "process %d is not running", (int)h.pid);
    assert_string_equal(err, want);
    close(h.ask);
    close(h.answer);
}

/* A zombie still passes kill(pid, 0); it must count as dead. */
static void test_zombie_counts_as_dead(void **state)
{
    helper h = start_helper(1);
    char err[256] = "";
    siginfo_t si;
    int st;

    assert_int_equal(kill(h.pid, SIGKILL), 0);
    assert_int_equal(waitid(P_PID, h.pid, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(kill(h.pid, 0), 0);
    assert_int_equal(hs_faultctl_send(prefix, h.pid, "disable name=" POINT, TIMEOUT_MS, err,
                                      sizeof err), HS_FAULTCTL_ERR);
    assert_non_null(strstr(err, "is not running"));
    waitpid(h.pid, &st, 0);
    close(h.ask);
    close(h.answer);
}

/* Alive, but never opened a remote control: a clean error at the ceiling. */
static void test_no_remote_control_times_out(void **state)
{
    helper h = start_helper(0);
    char err[256] = "";
    double t0 = hs_now_ms();

    assert_int_equal(hs_faultctl_send(prefix, h.pid, "disable name=" POINT, 300, err,
                                      sizeof err), HS_FAULTCTL_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, >=, 300);
    assert_cmp_dbl(hs_now_ms() - t0, <, TIMEOUT_MS);
    assert_non_null(strstr(err, "no fault control FIFO"));
    stop_helper(&h);
}

/* FIFOs present but nobody serving them (a stuck control thread). */
static void test_unserved_fifo_times_out(void **state)
{
    helper h = start_helper(0);
    char err[256] = "", in[160], out[160];
    double t0;

    snprintf(in, sizeof in, "%s-%d.in", prefix, (int)h.pid);
    snprintf(out, sizeof out, "%s-%d.out", prefix, (int)h.pid);
    assert_int_equal(mkfifo(in, 0600), 0);
    assert_int_equal(mkfifo(out, 0600), 0);
    t0 = hs_now_ms();
    assert_int_equal(hs_faultctl_send(prefix, h.pid, "disable name=" POINT, 300, err,
                                      sizeof err), HS_FAULTCTL_ERR);
    assert_cmp_dbl(hs_now_ms() - t0, >=, 300);
    assert_cmp_dbl(hs_now_ms() - t0, <, TIMEOUT_MS);
    assert_non_null(strstr(err, "did not open its fault control FIFO"));
    stop_helper(&h);
}

/*
 * libfiu's thread closes the previous cycle's .out writer a moment after
 * the previous client left. A client that opened .out before that close
 * sees a hang-up which is not an answer. A scripted server replays that
 * order, and makes it certain: it holds the real reply back until the
 * client has closed the reader that saw the hang-up (inotify reports that
 * close), which a client taking the hang-up for an answer never reopens.
 */
struct stale_server {
    char in[200], out[200];
    int old;        /* the previous cycle's writer, open before the client comes */
    int watch;      /* inotify: read-only closes of .out */
};

static void *stale_serve(void *arg)
{
    struct stale_server *s = arg;
    char line[600], ev[512];
    int in = open(s->in, O_RDONLY);
    ssize_t n = in >= 0 ? read(in, line, sizeof line) : -1;
    int out = -1;

    close(s->old);
    if (n > 0 && read(s->watch, ev, sizeof ev) > 0)
        out = open(s->out, O_WRONLY);
    if (out >= 0) {
        /* A lost reply shows as the client's error; nothing to check here. */
        ssize_t w = write(out, "0\n", 2);

        (void)w;
        close(out);
    }
    if (in >= 0)
        close(in);
    return NULL;
}

static void test_stale_hangup_is_not_an_answer(void **state)
{
    struct stale_server s;
    char err[256] = "", me[160];
    pthread_t th;
    int rc, unblock;

    snprintf(me, sizeof me, "%s.stale", prefix);
    snprintf(s.in, sizeof s.in, "%s-%d.in", me, (int)getpid());
    snprintf(s.out, sizeof s.out, "%s-%d.out", me, (int)getpid());
    assert_int_equal(mkfifo(s.in, 0600), 0);
    assert_int_equal(mkfifo(s.out, 0600), 0);
    s.old = open(s.out, O_RDWR);
    s.watch = inotify_init1(IN_CLOEXEC);
    assert_cmp_int(s.old, >=, 0);
    assert_cmp_int(s.watch, >=, 0);
    assert_cmp_int(inotify_add_watch(s.watch, s.out, IN_CLOSE_NOWRITE), >=, 0);
    assert_int_equal(pthread_create(&th, NULL, stale_serve, &s), 0);
    rc = hs_faultctl_send(me, getpid(), "disable name=" POINT, TIMEOUT_MS, err, sizeof err);
    /* Whatever happened, let the server's last open of .out complete. */
    unblock = open(s.out, O_RDONLY | O_NONBLOCK);
    pthread_join(th, NULL);
    close(unblock);
    close(s.watch);
    if (rc != HS_FAULTCTL_OK)
        print_message("send: %s\n", err);
    assert_int_equal(rc, HS_FAULTCTL_OK);
}

static void test_format(void **state)
{
    hs_faultctl_fault f = { .name = "posix/io/net/send", .mode = HS_FAULTCTL_PROBABILITY,
                            .probability = 0.25, .failinfo = 104 };
    char buf[HS_FAULTCTL_MAX_COMMAND + 1], err[256];

    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "enable_random name=posix/io/net/send,failnum=1,failinfo=104,"
                             "probability=0.25");
    f.mode = HS_FAULTCTL_ONCE;
    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "enable name=posix/io/net/send,failnum=1,failinfo=104,onetime");
    f.mode = HS_FAULTCTL_ALWAYS;
    f.failinfo = 0;
    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "enable name=posix/io/net/send,failnum=1,failinfo=0");
}

static void test_format_refusals(void **state)
{
    hs_faultctl_fault f = { .name = "a,b", .mode = HS_FAULTCTL_ALWAYS };
    char buf[HS_FAULTCTL_MAX_COMMAND + 1], err[256];
    const double bad_p[] = { 0.0, -0.5, 1.5, NAN };

    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err),
                     HS_FAULTCTL_ERR);
    f.name = "a b";
    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err),
                     HS_FAULTCTL_ERR);
    f.name = "a=b";
    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err),
                     HS_FAULTCTL_ERR);
    f.name = "";
    assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err),
                     HS_FAULTCTL_ERR);
    f.name = POINT;
    f.mode = HS_FAULTCTL_PROBABILITY;
    for (size_t i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
        f.probability = bad_p[i];
        assert_int_equal(hs_faultctl_format_enable(&f, buf, sizeof buf, err, sizeof err),
                         HS_FAULTCTL_ERR);
    }
    assert_int_equal(hs_faultctl_disable(prefix, getpid(), "x,y", 100, err, sizeof err),
                     HS_FAULTCTL_ERR);
    assert_non_null(strstr(err, "byte 2"));
    assert_int_equal(hs_faultctl_send(prefix, 0, "disable name=" POINT, 100, err, sizeof err),
                     HS_FAULTCTL_ERR);
    assert_string_equal(err, "invalid process id 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enable_fires_disable_stops),
        cmocka_unit_test(test_once_fires_once),
        cmocka_unit_test(test_probability_one_fires_with_failinfo),
        cmocka_unit_test(test_rapid_sequence),
        cmocka_unit_test(test_bad_command_rejected),
        cmocka_unit_test(test_multiline_command_refused),
        cmocka_unit_test(test_dead_pid_fails_fast),
        cmocka_unit_test(test_zombie_counts_as_dead),
        cmocka_unit_test(test_no_remote_control_times_out),
        cmocka_unit_test(test_unserved_fifo_times_out),
        cmocka_unit_test(test_stale_hangup_is_not_an_answer),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_refusals),
    };

    return cmocka_run_group_tests(tests, setup, test_dir_teardown);
}
