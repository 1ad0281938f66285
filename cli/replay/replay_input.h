/*
** replay_input.h - log files (plain or gzip, or stdin) cut into chunks of
** whole records.
**
** A chunk holds records each ending in '\n': JSON lines as they are; CSV
** rows (a quoted field may span lines) whole; the elements of a JSON array
** (a Log Analytics export, or a diagnostic blob's {"records": [...]})
** rewritten one per line. A record's number is its line in the file (its
** position in the array for arrays).
*/
#ifndef MOAT_REPLAY_INPUT_H
#define MOAT_REPLAY_INPUT_H

#include "moat.h"

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "replay_source.h"

typedef enum input_mode { MODE_LINES, MODE_CSV, MODE_ARRAY } input_mode;

typedef struct replay_input {
    const char *path; /* "-": stdin */
    replay_source *src;
    moat_log_format format;
    input_mode mode;
    char *header; /* CSV: the header line */
    size_t header_len;
    uint64_t next_line; /* number of the next record; 0: not counted */
    int number_every_chunk; /* set by the caller: see replay_input_read */
    tool_buf carry;     /* bytes read past the last whole record (s, len) */
    int eof;
    int error; /* reading failed: message in err */
    char err[256];
    uint64_t bytes; /* read so far (decompressed) */
    /* array framing */
    int depth, in_string, escaped, array_done;
} replay_input;

/* Opens path and detects its format from the first record. 0, or -1 with
** in->err set. */
int replay_input_open(replay_input *in, const char *path);
void replay_input_close(replay_input *in);

/* The next whole records (about want bytes): *view points at them (in
** buf->s, grown as needed; buf->len is not used); *first gets the first
** record's number. Only an input's first chunk is numbered unless
** in->number_every_chunk is set (counting lines is a pass over every
** byte): *first is then 0 for the others, whose first record follows the
** previous chunk's last, so that whoever takes the chunks in order
** numbers them from the lines each holds. Returns their length; 0 at the
** end of the input (or on error: in->error). */
size_t replay_input_read(replay_input *in, tool_buf *buf, size_t want,
                         uint64_t *first, const char **view);

/* The next record of a chunk: [*rec, *rec + *len), without its '\n';
** advances *p. mode tells how CSV quotes are honoured. Returns 0 at the
** end; *lines gets how many lines the record took. */
int replay_next_record(input_mode mode, const char **p, const char *end,
                       const char **rec, size_t *len, unsigned *lines);

#endif
