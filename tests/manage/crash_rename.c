/*
** crash_rename.c - a preloaded rename(2) that kills the process instead:
** the crash between writing the new estate file and renaming it over the
** old one (tests/cli/manage.sh). Built as a shared object, used with
** LD_PRELOAD.
*/
#include <signal.h>
#include <stdio.h>

int rename(const char *from, const char *to)
{
    (void)from;
    (void)to;
    raise(SIGKILL);
    return -1;
}
