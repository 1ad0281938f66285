/*
** child.h - running a program as a filter: input on its stdin, its stdout
** collected, with a time limit and an output limit; no shell (the program
** is exec'd with its arguments as given).
*/
#ifndef MOAT_TOOL_CHILD_H
#define MOAT_TOOL_CHILD_H

#include <stddef.h>

typedef enum child_status {
    CHILD_OK = 0,      /* exited 0: *out holds its stdout */
    CHILD_NOT_FOUND,   /* the program could not be executed */
    CHILD_FAILED,      /* it exited non-zero or died of a signal */
    CHILD_TIMEOUT,     /* it ran past the time limit and was killed */
    CHILD_TOO_LARGE,   /* its output passed max_out and it was killed */
    CHILD_SYSTEM       /* pipe, fork or memory failed */
} child_status;

/* Runs argv[0] (looked up in PATH) with argv, writes in[0..in_len) to its
** stdin, and collects its stdout into *out (NUL-terminated, *out_len
** bytes, the caller frees it) when it exits 0 within timeout_ms. Its
** stderr is discarded. On any other outcome *out is NULL and the child is
** gone (killed if need be, always reaped). */
child_status child_filter(const char *const argv[], const char *in,
                          size_t in_len, int timeout_ms, size_t max_out,
                          char **out, size_t *out_len);

/* A word for a status ("not found", "timed out", ...). */
const char *child_status_name(child_status s);

#endif
