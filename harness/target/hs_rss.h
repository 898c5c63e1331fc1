/*
 * hs_rss: the resident memory of a spawned target, read from /proc.
 *
 * A target is a process group (hs_target): a wrapper script and the server
 * it starts count together, so a launcher in front of the real server does
 * not hide its growth.
 */
#ifndef HS_RSS_H
#define HS_RSS_H

#include <sys/types.h>

/* The summed VmRSS of every process in group pgid, in KiB; -1 when no
 * process of the group could be read. */
long hs_rss_group_kib(pid_t pgid);

/*
 * pid runs with AddressSanitizer's runtime mapped (gcc links libasan.so, or
 * it was preloaded): its quarantine keeps freed memory resident and its
 * shadow grows with every allocation, so RSS says nothing of the program's
 * own growth. A runtime linked statically (clang's default) is not seen.
 */
int hs_rss_asan(pid_t pid);

#endif
