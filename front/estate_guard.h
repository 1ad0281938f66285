/*
** estate_guard.h - a reload never swaps in an estate that lost files.
**
** A directory estate loses a file for a moment when an editor saves it,
** git checks out a branch or rsync copies over it; loaded in that moment,
** the estate lacks what the file held (an Enforced perimeter's
** association, a firewall) and requests it would deny are allowed. The
** guard remembers which files each estate path loaded in the running
** configuration; a new configuration whose files for a path lack any of
** them is refused (the running one stays), unless the same files were
** refused before, ESTATE_GUARD_CONFIRM_SECONDS or more earlier: a second
** reload that finds the same files confirms a removal on purpose. The
** nginx module keeps one guard in the master process, across reloads.
** No server API here, so the rules are unit-tested alone.
*/
#ifndef MOAT_ESTATE_GUARD_H
#define MOAT_ESTATE_GUARD_H

#include <stddef.h>
#include <time.h>

/* The files an estate path loads, as moat's loader reads them: the path
** itself, or every *.json below a directory (names starting with '.'
** skipped, each directory's names sorted). */
typedef struct estate_files {
    char **names;
    size_t n, cap;
} estate_files;

/* Lists path's files into out (empty first); 0, or -1 with why in err. */
int moat_estate_files_list(const char *path, estate_files *out, char *err,
                      size_t cap);
void moat_estate_files_free(estate_files *f);

/* How long after a refusal a reload with the same files confirms it: more
** than an editor's save or a checkout takes, so that a watcher reloading
** on every change cannot confirm a file's passing absence. */
#define ESTATE_GUARD_CONFIRM_SECONDS 5

typedef struct guard_entry {
    char *path;
    estate_files files;   /* loaded by the running configuration */
    estate_files pending; /* fewer files, refused once: to confirm */
    int has_pending;
    time_t pending_since;
} guard_entry;

/* All zero is an empty guard. */
typedef struct estate_guard {
    guard_entry *running; /* the running configuration's paths */
    size_t n_running;
    guard_entry *staged; /* the configuration being read */
    size_t n_staged;
} estate_guard;

typedef enum guard_verdict {
    GUARD_REFUSED = -1,         /* files lost: fail the configuration */
    GUARD_ACCEPTED = 0,         /* nothing lost */
    GUARD_REMOVAL_CONFIRMED = 1 /* files lost, and confirmed: msg says */
} guard_verdict;

/* A new configuration is being read: what the last one staged is dropped
** (it did not take effect). */
void moat_estate_guard_begin(estate_guard *g);

/* The files path lists now (at time t), against what the running
** configuration loaded from it; staged when accepted. msg (cap bytes) says
** which files are gone when refused or confirmed, else is "". */
guard_verdict moat_estate_guard_check(estate_guard *g, const char *path,
                                 const estate_files *now, time_t t, char *msg,
                                 size_t cap);

/* The configuration being read took effect: its files are the running
** ones. */
void moat_estate_guard_commit(estate_guard *g);

void moat_estate_guard_free(estate_guard *g);

#endif
