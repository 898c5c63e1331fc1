/*
 * hs_fiucount and the counting library (build/libwsfault-fiucount.so).
 *
 * Live targets started by hs_launch with fiu_counts: the reference gateway
 * (its /health counters are the reference), a Python service using
 * python3-fiu, the same with libfiu's POSIX preload, and a program without
 * libfiu at all. A forked child that dlopen()s the library itself races
 * threads on the table, passes names too long for a slot and more names
 * than slots. Last, the files the reader must refuse, each named in the
 * message.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include <fiu.h>
#include <fiu-control.h>

#include "target/hs_fiucount.h"
#include "target/hs_launch.h"
#include "target/hs_target.h"
#include "wire/hs_http.h"
#include "wire/hs_token.h"
#include "wire/hs_wsconn.h"
#include "tests/test_util.h"

#define CEILING_MS 10000
#define THREADS 8
#define ROUNDS 20000

typedef int (*fail_fn)(const char *name);

static char counts[PATH_MAX];
static char target_log[PATH_MAX];

static int setup(void **state)
{
    if (test_dir_setup(state) != 0)
        return -1;
    test_path(counts, sizeof counts, "counts");
    test_path(target_log, sizeof target_log, "target.log");
    return 0;
}

/* The counts file read back; the test fails on any error. */
static json_t *read_counts(void)
{
    json_t *faults = NULL;
    char err[512] = "";
    int rc = hs_fiucount_read(counts, &faults, err, sizeof err);

    if (rc != HS_FIUCOUNT_OK)
        fail_msg("hs_fiucount_read: %s", err);
    return faults;
}

static void assert_point(json_t *faults, const char *name, json_int_t reached, json_int_t fired)
{
    json_t *p = json_object_get(faults, name);

    if (!p)
        fail_msg("no counts for \"%s\"", name);
    assert_cmp_int(json_integer_value(json_object_get(p, "reached")), ==, reached);
    assert_cmp_int(json_integer_value(json_object_get(p, "fired")), ==, fired);
}

/* Start a target with the counting library; the test fails if it does not listen. */
static void launch(hs_launch *l, hs_target *t)
{
    char err[512] = "";

    l->dir = test_dir();
    l->stderr_path = target_log;
    l->fiu_counts = counts;
    l->ready_timeout_ms = CEILING_MS;
    if (hs_launch_start(l, t, err, sizeof err) != 0)
        fail_msg("hs_launch_start: %s", err);
}

static void stop(hs_target *t)
{
    char err[512] = "";
    int rc = hs_target_stop(t, CEILING_MS, NULL, err, sizeof err);

    if (rc != HS_TARGET_OK)
        fail_msg("hs_target_stop: %d %s", rc, err);
}

/* ---- the reference gateway ------------------------------------------- */

/* One chat request on a WebSocket with a valid token, answered, then closed. */
static void chat(int port, const char *secret)
{
    const char *request = "{\"type\":\"chat\",\"id\":\"r1\"}";
    char err[512] = "", path[2048];
    char *tok = hs_token_make("valid", "alice", secret, err, sizeof err);
    hs_ws_opts o = { .host = "127.0.0.1", .port = port, .path = path };
    hs_ws_handshake hs = { 0 };
    hs_wsconn *c;
    hs_ws_msg m = { 0 };
    int answered = 0;

    assert_non_null(tok);
    snprintf(path, sizeof path, "/ws?token=%s", tok);
    c = hs_ws_connect(&o, &hs, err, sizeof err);
    if (!c || hs.status != 101)
        fail_msg("upgrade: %d %s", hs.status, err);
    assert_int_equal(hs_ws_send_text(c, request, strlen(request)), HS_WS_OK);
    while (!answered && hs_ws_recv_message(c, CEILING_MS, &m) == HS_WS_OK) {
        answered = m.opcode == 1 && strstr((char *)m.data, "\"r1\"") != NULL;
        hs_ws_msg_free(&m);
    }
    assert_true(answered);
    assert_int_equal(hs_ws_close(c, 1000, NULL, CEILING_MS, NULL), HS_WS_OK);
    hs_ws_free(c);
    hs_ws_handshake_free(&hs);
    free(tok);
}

/* /health's "faults": every catalogue point, reached or not. */
static json_t *health_faults(int port)
{
    hs_http_resp r = { 0 };
    char err[512] = "";
    json_t *faults;

    if (hs_http_request("127.0.0.1", port, NULL, "/health", NULL, NULL, CEILING_MS, &r, err,
                        sizeof err) != HS_HTTP_OK)
        fail_msg("GET /health: %s", err);
    assert_int_equal(r.status, 200);
    faults = json_incref(json_object_get(r.json, "faults"));
    assert_non_null(faults);
    hs_http_resp_free(&r);
    return faults;
}

/* The counts hold exactly the points /health says were reached, alike. */
static void assert_same_counts(json_t *health, json_t *got)
{
    const char *name;
    json_t *h;
    size_t reached = 0;

    json_object_foreach(health, name, h) {
        json_int_t n = json_integer_value(json_object_get(h, "reached"));

        if (n == 0) {
            assert_null(json_object_get(got, name));
            continue;
        }
        assert_point(got, name, n, json_integer_value(json_object_get(h, "fired")));
        reached++;
    }
    assert_cmp_uint(json_object_size(got), ==, reached);
}

static void gateway_counts_match_health(void **state)
{
    char *args[] = { "--fault", "gateway/db/session:always", NULL };
    char secret[33];
    hs_launch l = { .gateway = "build/gateway", .gateway_args = args, .secret = secret };
    hs_target t;
    json_t *health, *live, *after;

    if (access("build/gateway", X_OK) != 0)
        skip();
    hs_token_secret(secret);
    launch(&l, &t);
    chat(t.port, secret);
    health = health_faults(t.port);
    live = read_counts();
    stop(&t);
    after = read_counts();
    /* Not vacuous: the start fault fired on the chat request. */
    assert_point(health, "gateway/db/session", 1, 1);
    assert_same_counts(health, live);
    assert_same_counts(health, after);
    json_decref(health);
    json_decref(live);
    json_decref(after);
}

/* ---- Python and other programs ---------------------------------------- */

/* python3 runs body, then listens on {port} until it is stopped: hs_target
 * starts only what listens. */
static void python(hs_launch *l, hs_target *t, const char *body)
{
    char cmd[2048];

    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"%s; import socket, signal; "
             "s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); "
             "signal.pause()\"", body);
    l->cmd = cmd;
    launch(l, t);
}

/* Twice into one file: each run counts from zero (hs_launch removes the
 * file the library would otherwise add to). */
static void python_fiu_counted(void **state)
{
    hs_launch l = { 0 };
    hs_target t;
    json_t *got;

    for (int run = 0; run < 2; run++) {
        python(&l, &t, "import fiu; fiu.enable('a/b'); [fiu.fail('a/b') for _ in range(3)]; "
               "fiu.fail('c/d')");
        stop(&t);
        got = read_counts();
        assert_point(got, "a/b", 3, 3);
        assert_point(got, "c/d", 1, 0);
        assert_cmp_uint(json_object_size(got), ==, 2);
        json_decref(got);
    }
}

/* A library to preload first, as a sanitizer runtime would be: zlib's,
 * wherever this system keeps it. */
static const char *some_library(void)
{
    Dl_info info;

    assert_int_not_equal(dladdr((void *)zlibVersion, &info), 0);
    return info.dli_fname;
}

/*
 * With libfiu's POSIX preload: the order of LD_PRELOAD (the first library,
 * the counter, libfiu's two) as the target saw it, and the preload's own
 * fiu_fail calls counted (the write below is one; a fault enabled at a
 * probability that never fires is reached, not fired).
 */
static void posix_preload_counted(void **state)
{
    hs_launch_posix never = { "posix/io/oc/open", 1e-12, 5 };
    hs_launch l = { .posix = &never, .nposix = 1, .preload_first = some_library() };
    hs_target t;
    char lib[PATH_MAX], err[512], want[3 * PATH_MAX], *log = NULL;
    size_t n;
    json_t *got, *open;

    assert_int_equal(hs_fiucount_library(lib, sizeof lib, err, sizeof err), HS_FIUCOUNT_OK);
    python(&l, &t, "import os; os.write(2, os.environ['LD_PRELOAD'].encode())");
    stop(&t);
    snprintf(want, sizeof want, "%s %s %s/fiu_run_preload.so %s/fiu_posix_preload.so",
             l.preload_first, lib, HS_LAUNCH_FIU_LIB, HS_LAUNCH_FIU_LIB);
    assert_int_equal(hs_fs_read_file(target_log, &log, &n, err, sizeof err), 0);
    assert_string_equal(log, want);
    got = read_counts();
    open = json_object_get(got, "posix/io/oc/open");
    assert_cmp_int(json_integer_value(json_object_get(open, "reached")), >=, 1);
    assert_cmp_int(json_integer_value(json_object_get(open, "fired")), ==, 0);
    assert_cmp_int(json_integer_value(json_object_get(json_object_get(got, "posix/io/rw/write"),
                                                      "reached")), >=, 1);
    free(log);
    json_decref(got);
}

/* A program without libfiu calls the library's fiu_fail: answered 0, counted. */
static void without_libfiu_reached_only(void **state)
{
    hs_launch l = { 0 };
    hs_target t;
    json_t *got;

    python(&l, &t, "import ctypes; f = ctypes.CDLL(None).fiu_fail; "
           "f.argtypes = [ctypes.c_char_p]; assert f(b'x/y') == 0");
    stop(&t);
    got = read_counts();
    assert_point(got, "x/y", 1, 0);
    json_decref(got);
}

/* ---- the library loaded by a forked child ------------------------------ */

/* Run body in a child that loaded the library with WSFAULT_FIU_COUNTS set
 * (or unset); the child's exit status is the body's verdict. */
static void in_child(int with_counts, int (*body)(fail_fn point))
{
    char lib[PATH_MAX], err[512] = "";
    int st = -1;
    pid_t pid;

    assert_int_equal(hs_fiucount_library(lib, sizeof lib, err, sizeof err), HS_FIUCOUNT_OK);
    pid = fork();
    assert_cmp_int(pid, >=, 0);
    if (pid == 0) {
        void *h;
        fail_fn point;

        if (with_counts ? setenv(HS_FIUCOUNT_ENV, counts, 1) : unsetenv(HS_FIUCOUNT_ENV))
            _exit(90);
        h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        point = h ? (fail_fn)dlsym(h, "fiu_fail") : NULL;
        fiu_init(0);
        _exit(point ? body(point) : 91);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

typedef struct racer {
    fail_fn point;
    pthread_barrier_t *go;
    int id;
    int wrong;
} racer;

/* Every thread meets new names at the same moment: the claims race. */
static void *race(void *arg)
{
    racer *r = arg;
    char own[32];

    snprintf(own, sizeof own, "t/thread/%d", r->id);
    pthread_barrier_wait(r->go);
    for (int i = 0; i < ROUNDS; i++) {
        r->wrong += r->point("t/fire") != 1;
        r->wrong += r->point("t/quiet") != 0;
        if (i < 100)
            r->wrong += r->point(own) != 0;
    }
    return NULL;
}

static int race_body(fail_fn point)
{
    pthread_t th[THREADS];
    racer r[THREADS];
    pthread_barrier_t go;
    int wrong = 0;

    if (fiu_enable("t/fire", 1, NULL, 0) != 0)
        return 2;
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (racer){ .point = point, .go = &go, .id = i };
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        wrong += r[i].wrong;
    }
    return wrong ? 3 : 0;
}

static void threads_count_exactly(void **state)
{
    json_t *got;
    char own[32];

    in_child(1, race_body);
    got = read_counts();
    assert_point(got, "t/fire", THREADS * ROUNDS, THREADS * ROUNDS);
    assert_point(got, "t/quiet", THREADS * ROUNDS, 0);
    for (int i = 0; i < THREADS; i++) {
        snprintf(own, sizeof own, "t/thread/%d", i);
        assert_point(got, own, 100, 0);
    }
    assert_cmp_uint(json_object_size(got), ==, 2 + THREADS);
    json_decref(got);
}

/* x repeated n times, then tail. */
static char *long_name(char *buf, size_t n, const char *tail)
{
    memset(buf, 'x', n);
    strcpy(buf + n, tail);
    return buf;
}

static int long_names_body(fail_fn point)
{
    char name[256];
    int r = point(long_name(name, HS_FIUCOUNT_NAME_LEN - 1, ""));

    r |= point(long_name(name, HS_FIUCOUNT_NAME_LEN - 1, "y"));
    r |= point(long_name(name, 200, ""));
    r |= point(long_name(name, 200, ""));
    return r;
}

/* A name that fits is itself; longer ones share their cut name, marked. */
static void long_names_cut_and_marked(void **state)
{
    char fits[256], cut[256];
    json_t *got;

    in_child(1, long_names_body);
    got = read_counts();
    long_name(fits, HS_FIUCOUNT_NAME_LEN - 1, "");
    long_name(cut, HS_FIUCOUNT_NAME_LEN - 1, "...");
    assert_point(got, fits, 1, 0);
    assert_null(json_object_get(json_object_get(got, fits), "truncated"));
    assert_point(got, cut, 3, 0);
    assert_true(json_is_true(json_object_get(json_object_get(got, cut), "truncated")));
    assert_cmp_uint(json_object_size(got), ==, 2);
    json_decref(got);
}

static int full_table_body(fail_fn point)
{
    char name[256];

    if (fiu_enable("p/all", 1, NULL, 0) != 0)
        return 2;
    for (unsigned i = 0; i < HS_FIUCOUNT_SLOTS - 1; i++) {
        snprintf(name, sizeof name, "p/%u", i);
        if (point(name) != 0)
            return 3;
    }
    /* The last slot; then a name that begins the same way but was cut
     * walks past it, as past every other, and is lost. */
    point(long_name(name, HS_FIUCOUNT_NAME_LEN - 1, ""));
    point(long_name(name, 200, ""));
    /* The table is full: still answered as libfiu answers. */
    return point("p/all") == 1 ? 0 : 4;
}

static void full_table_is_partial(void **state)
{
    char fits[256];
    json_t *got = NULL;
    char err[512] = "";

    in_child(1, full_table_body);
    assert_int_equal(hs_fiucount_read(counts, &got, err, sizeof err), HS_FIUCOUNT_PARTIAL);
    assert_cmp_uint(json_object_size(got), ==, HS_FIUCOUNT_SLOTS);
    assert_point(got, long_name(fits, HS_FIUCOUNT_NAME_LEN - 1, ""), 1, 0);
    assert_non_null(strstr(err, counts));
    assert_non_null(strstr(err, "2 calls (1 fired)"));
    json_decref(got);
}

static int forward_body(fail_fn point)
{
    if (fiu_enable("t/fire", 1, NULL, 0) != 0)
        return 2;
    return point("t/fire") == 1 && point("t/quiet") == 0 ? 0 : 3;
}

/* Without WSFAULT_FIU_COUNTS: libfiu's answers, and no file. */
static void without_variable_only_forwards(void **state)
{
    in_child(0, forward_body);
    assert_int_equal(access(counts, F_OK), -1);
    in_child(1, forward_body);
    assert_int_equal(access(counts, F_OK), 0);
}

/* ---- files the reader refuses ------------------------------------------ */

static void assert_refused(const char *what)
{
    json_t *got = NULL;
    char err[512] = "";

    assert_int_equal(hs_fiucount_read(counts, &got, err, sizeof err), HS_FIUCOUNT_ERR);
    assert_null(got);
    if (!strstr(err, counts) || !strstr(err, what))
        fail_msg("\"%s\" does not name %s and say \"%s\"", err, counts, what);
}

static void write_counts(const void *data, size_t n)
{
    char err[512] = "";

    if (hs_fs_write_atomic(counts, data, n, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* A header of the current version, for a table of nslots slots. */
static hs_fiucount_header header(void)
{
    return (hs_fiucount_header){ .magic = HS_FIUCOUNT_MAGIC, .version = HS_FIUCOUNT_VERSION,
                                 .nslots = HS_FIUCOUNT_SLOTS,
                                 .slot_size = sizeof(hs_fiucount_slot),
                                 .name_len = HS_FIUCOUNT_NAME_LEN };
}

static void reader_refuses_bad_files(void **state)
{
    static unsigned char file[HS_FIUCOUNT_FILE_SIZE];
    hs_fiucount_header h = header();

    assert_refused("never loaded");
    write_counts("", 0);
    assert_refused("is empty");
    write_counts("wsfiucnt", 8);
    assert_refused("shorter than a 64-byte header");
    memcpy(file, "not a counts file", 17);
    write_counts(file, sizeof file);
    assert_refused("wrong magic number");
    h.version = 99;
    memcpy(file, &h, sizeof h);
    write_counts(file, sizeof file);
    assert_refused("version 99");
    h = header();
    memcpy(file, &h, sizeof h);
    write_counts(file, sizeof h + 10 * sizeof(hs_fiucount_slot));
    assert_refused("truncated: 1504 bytes, its header promises 147520");
}

/* A table as the library leaves it, every slot in the given state. */
static hs_fiucount_slot *table_file(unsigned char *file, uint32_t state)
{
    hs_fiucount_header h = header();
    hs_fiucount_slot *slots = (hs_fiucount_slot *)(file + sizeof h);

    memset(file, 0, HS_FIUCOUNT_FILE_SIZE);
    memcpy(file, &h, sizeof h);
    for (unsigned i = 0; i < HS_FIUCOUNT_SLOTS; i++)
        slots[i].state = state;
    return slots;
}

static void set_slot(hs_fiucount_slot *s, uint32_t state, const char *name, uint64_t reached,
                     uint64_t fired)
{
    *s = (hs_fiucount_slot){ .state = state, .reached = reached, .fired = fired };
    memcpy(s->name, name, strlen(name));
}

/*
 * What the reader makes of slots: one name in two slots (two first calls
 * raced) is added up, a slot still being claimed is not read, a name that
 * would steer a terminal is escaped.
 */
static void reader_adds_up_and_escapes(void **state)
{
    static unsigned char file[HS_FIUCOUNT_FILE_SIZE];
    hs_fiucount_slot *slots = table_file(file, HS_FIUCOUNT_EMPTY);
    json_t *got;

    set_slot(&slots[5], HS_FIUCOUNT_READY, "dup/name", 2, 1);
    set_slot(&slots[9], HS_FIUCOUNT_READY, "dup/name", 3, 0);
    set_slot(&slots[11], HS_FIUCOUNT_CLAIMING, "half/made", 7, 7);
    set_slot(&slots[12], HS_FIUCOUNT_READY, "red\x1b[31m", 1, 1);
    write_counts(file, sizeof file);
    got = read_counts();
    assert_point(got, "dup/name", 5, 1);
    assert_point(got, "red\\x1B[31m", 1, 1);
    assert_cmp_uint(json_object_size(got), ==, 2);
    json_decref(got);
}

static int one_call_body(fail_fn point)
{
    return point("late/comer");
}

/*
 * A table left by another process of the target (one that exec'd) is
 * joined, not truncated, and slots it left half-claimed (it died there)
 * are passed over, never waited for: only slot 7 is free.
 */
static void joins_table_and_passes_claims(void **state)
{
    static unsigned char file[HS_FIUCOUNT_FILE_SIZE];
    hs_fiucount_slot *slots = table_file(file, HS_FIUCOUNT_CLAIMING);
    json_t *got;

    set_slot(&slots[3], HS_FIUCOUNT_READY, "earlier/process", 4, 2);
    slots[7].state = HS_FIUCOUNT_EMPTY;
    write_counts(file, sizeof file);
    in_child(1, one_call_body);
    got = read_counts();
    assert_point(got, "earlier/process", 4, 2);
    assert_point(got, "late/comer", 1, 0);
    json_decref(got);
}

/* An empty table is no error: the library was loaded, no point was reached. */
static void empty_table_reads_empty(void **state)
{
    static unsigned char file[HS_FIUCOUNT_FILE_SIZE];
    hs_fiucount_header h = header();
    json_t *got;

    memcpy(file, &h, sizeof h);
    write_counts(file, sizeof file);
    got = read_counts();
    assert_cmp_uint(json_object_size(got), ==, 0);
    json_decref(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(gateway_counts_match_health, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(python_fiu_counted, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(posix_preload_counted, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(without_libfiu_reached_only, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(threads_count_exactly, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(long_names_cut_and_marked, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(full_table_is_partial, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(without_variable_only_forwards, setup,
                                        test_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_refuses_bad_files, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(empty_table_reads_empty, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(reader_adds_up_and_escapes, setup, test_dir_teardown),
        cmocka_unit_test_setup_teardown(joins_table_and_passes_claims, setup,
                                        test_dir_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
