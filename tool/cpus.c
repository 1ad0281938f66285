/*
** cpus.c - how many CPUs this process may use: the default of every
** --threads (moat replay, moat serve).
*/
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "tool.h"

#include <sched.h>
#include <unistd.h>

/* The CPUs the process may run on, not those the machine has: under
** taskset or in a container limited to a cpuset, one thread per online
** CPU would only take turns on the same ones. */
int cli_cpus(void)
{
    cpu_set_t set;
    long n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}
