/*
** estate_file.h - changing an estate file safely: read under an exclusive
** lock held until the change is written, and written atomically (a
** temporary file in the same directory, fsync, rename, fsync of the
** directory), so that two commands at once cannot lose an update and a
** crash leaves either the old file or the new one, never a mix.
**
** What the rename replaces is the file as moat read it, or nothing: a
** symbolic link's target is replaced, never the link; a program that does
** not take the lock and wrote the file after moat read it (an editor) has
** its change kept and moat's refused; a file nobody may write, or one
** with other names (hard links), is not replaced; owner, group and mode
** are kept.
*/
#ifndef MOAT_ESTATE_FILE_H
#define MOAT_ESTATE_FILE_H

#include <stddef.h>
#include <sys/stat.h>

typedef struct estate_file {
    char *path;   /* as given: messages, and the estate's list of files */
    char *target; /* the file itself, symbolic links resolved */
    int fd;       /* target, locked; -1 when closed */
    char *text;
    size_t len;
    struct stat read; /* target as it was read: identity, size, times */
} estate_file;

/* Opens path, waits for its lock and reads it. Prints why and returns -1
** on failure. */
int estate_file_open(estate_file *f, const char *path);

/* Replaces the file's content with text; the lock stays held. Prints why
** and returns -1 on failure or refusal (the file is then as it was). */
int estate_file_replace(estate_file *f, const char *text, size_t len);

/* Releases the lock and frees. */
void estate_file_close(estate_file *f);

#endif
