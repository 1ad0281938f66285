/*
** replay_source.h - the bytes of one log, a file or stdin, plain or gzip.
**
** gzip is recognised by its first two bytes (1f 8b), not by the name, and
** inflated with Intel's ISA-L (igzip) when moat was built with it
** (libisal-dev; about three times zlib's speed on access logs), with zlib
** otherwise or when MOAT_INFLATE=zlib is set (to compare the two).
** Every member of a multi-member file is read (gzip -c a b > ab, as zlib's
** gzread does); a stream cut short, corrupt data, a bad checksum and
** anything after the last member that is not gzip are errors that name
** the compressed byte where they were found. Nothing is ever skipped.
*/
#ifndef MOAT_REPLAY_SOURCE_H
#define MOAT_REPLAY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct replay_source replay_source;

/* Opens path ("-": stdin). NULL with err set when it cannot be opened. */
replay_source *replay_source_open(const char *path, char *err, size_t cap);
void replay_source_close(replay_source *s);

/* Up to n bytes of the log (inflated); 0 at its end; -1 on an error, whose
** message replay_source_error() returns. */
long replay_source_read(replay_source *s, char *buf, size_t n);
const char *replay_source_error(const replay_source *s);

/* Whether the log is gzip (its inflating is worth a thread). */
int replay_source_gzip(const replay_source *s);

/* Inflates ahead on a thread of its own into a few blocks, so that
** several logs decompress at once; replay_source_read then takes the
** blocks in order (the same bytes, the same errors, in the same place).
** 0, or -1 when the thread could not start (reading stays in the
** caller's thread). */
int replay_source_prefetch(replay_source *s);

/* Which inflater reads gzip here: "isa-l" or "zlib". */
const char *replay_source_inflater(void);

#endif
