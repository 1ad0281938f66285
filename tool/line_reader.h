/*
** line_reader.h - the lines of a stream, each at most a given length.
**
** A longer line is read to its end but not kept, so memory stays bounded
** whatever the input holds; a line there is no memory for is skipped the
** same way. Either is reported as that line's status, and the next line
** is read as usual: one bad line never shifts or swallows the others. A
** line's length is counted, not found by a terminator, so a NUL byte
** inside it is kept (and refused by the JSON parser, not cut off).
*/
#ifndef MOAT_LINE_READER_H
#define MOAT_LINE_READER_H

#include <stddef.h>
#include <stdio.h>

typedef enum line_status {
    LINE_END,       /* no more lines */
    LINE_OK,        /* a line, without its "\n" or "\r\n" */
    LINE_TOO_LONG,  /* longer than the limit: skipped */
    LINE_NO_MEMORY, /* no memory to hold it: skipped */
    LINE_READ_ERROR /* reading failed (errno) */
} line_status;

typedef struct line_reader {
    FILE *fp;
    size_t max;  /* the longest line kept, in bytes */
    char *line;  /* the current line, NUL-terminated */
    size_t len;  /* its length */
    size_t cap;  /* of line */
    size_t pos, end; /* what chunk holds that is not read yet */
    int eof;
    char chunk[65536];
} line_reader;

void line_reader_init(line_reader *r, FILE *fp, size_t max);
line_status line_reader_next(line_reader *r);
void line_reader_free(line_reader *r);

#endif
