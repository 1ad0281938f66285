/*
** estate_file.h - changing an estate file safely: read under an exclusive
** lock held until the change is written, and written atomically (a
** temporary file in the same directory, fsync, rename, fsync of the
** directory), so that two commands at once cannot lose an update and a
** crash leaves either the old file or the new one, never a mix.
*/
#ifndef MOAT_ESTATE_FILE_H
#define MOAT_ESTATE_FILE_H

#include <stddef.h>

typedef struct estate_file {
    char *path;
    int fd; /* the locked file; -1 when closed */
    char *text;
    size_t len;
} estate_file;

/* Opens path, waits for its lock and reads it. Prints why and returns -1
** on failure. */
int estate_file_open(estate_file *f, const char *path);

/* Replaces the file's content with text; the lock stays held. Prints why
** and returns -1 on failure (the old file is then intact). */
int estate_file_replace(estate_file *f, const char *text, size_t len);

/* Releases the lock and frees. */
void estate_file_close(estate_file *f);

#endif
