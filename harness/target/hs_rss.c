/*
 * hs_rss: the resident memory of a spawned target. See hs_rss.h.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/hs_rss.h"

/* The first line of /proc/PID/FILE holding key (any line: NULL), into
 * line; 0, or -1 when the file cannot be read or has no such line. */
static int proc_line(const char *pid, const char *file, const char *key, char *line,
                     size_t len)
{
    char path[64];
    int found = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (!found && fgets(line, (int)len, f))
        found = !key || strstr(line, key) != NULL;
    fclose(f);
    return found ? 0 : -1;
}

/* The process group of pid from /proc/PID/stat (field 5, after the name in
 * parentheses, which may itself hold spaces and parentheses); -1. */
static long group_of(const char *pid)
{
    char line[1024], *p;
    long pgrp = -1;

    if (proc_line(pid, "stat", NULL, line, sizeof(line)) == 0 &&
        (p = strrchr(line, ')')) != NULL)
        sscanf(p + 1, " %*c %*d %ld", &pgrp);
    return pgrp;
}

/* VmRSS of pid in KiB; -1 when unreadable (a kernel thread has none). */
static long rss_of(const char *pid)
{
    char line[256];
    long kib = -1;

    if (proc_line(pid, "status", "VmRSS:", line, sizeof(line)) == 0)
        sscanf(line, "VmRSS: %ld kB", &kib);
    return kib;
}

long hs_rss_group_kib(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long total = -1, kib;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || group_of(e->d_name) != (long)pgid)
            continue;
        kib = rss_of(e->d_name);
        if (kib >= 0)
            total = (total < 0 ? 0 : total) + kib;
    }
    closedir(d);
    return total;
}

int hs_rss_asan(pid_t pid)
{
    char name[32], line[1024];

    snprintf(name, sizeof(name), "%d", (int)pid);
    return proc_line(name, "maps", "libasan", line, sizeof(line)) == 0;
}
