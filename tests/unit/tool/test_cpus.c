/*
** test_cpus.c - the default of --threads (tool/cpus.c): the CPUs the
** process may run on, so that taskset and a container's cpuset count,
** not the CPUs the machine has.
*/
#define _GNU_SOURCE /* sched_getaffinity, CPU_SET */
#include "harness.h"

#include "tool.h"

#include <sched.h>

TEST(tool_cpus_follows_the_affinity_mask)
{
    cpu_set_t all, one;
    ASSERT(sched_getaffinity(0, sizeof all, &all) == 0);
    ASSERT_EQ(cli_cpus(), CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT(sched_setaffinity(0, sizeof one, &one) == 0);
    int pinned = cli_cpus();
    ASSERT(sched_setaffinity(0, sizeof all, &all) == 0);
    ASSERT_EQ(pinned, 1);
}
