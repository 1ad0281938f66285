/*
** race_fsync.c - a second writer between moat's read of an estate file
** and its rename: the first fsync(2) (moat's, of the temporary file it is
** about to rename over the estate file) first runs the shell command in
** RACE_WRITER, a separate process, and waits for it. The writer runs
** without this preload, as another program would. Built by the tests
** themselves (tests/cli/lib.sh, preload_so).
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

int fsync(int fd)
{
    static int done;
    const char *writer = getenv("RACE_WRITER");
    if (writer && !done) {
        done = 1;
        unsetenv("LD_PRELOAD");
        if (system(writer) != 0)
            _exit(99); /* the test's writer failed: nothing to test */
    }
    int (*next)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return next(fd);
}
