/*
 * hs_rss: the resident memory of a spawned target. See hs_rss.h.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/hs_rss.h"

/* The process group of pid from /proc/PID/stat (field 5, after the name in
 * parentheses, which may itself hold spaces and parentheses); -1. */
static long group_of(const char *pid)
{
    char path[64], line[1024], *p;
    long pgrp = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) != NULL)
        sscanf(p + 1, " %*c %*d %ld", &pgrp);
    fclose(f);
    return pgrp;
}

/* VmRSS of pid in KiB; -1 when unreadable (a kernel thread has none). */
static long rss_of(const char *pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
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
