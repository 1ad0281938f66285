/*
** tool.h - what the moat command (cli/), moat serve (serve/), the fuzz
** targets and the benchmarks share: argument parsing, estate loading for
** commands, whole-file reading, messages and the exit codes. It sits on
** the public API only (include/moat.h), as curl's src/ does on libcurl.
*/
#ifndef MOAT_TOOL_H
#define MOAT_TOOL_H

#include "moat.h"

#include <stdio.h>

/* Exit codes (spec/cli.md): the one list. The same numbers read per
** command family: the deciding and auditing commands (EXIT_), the
** az-style editing commands (MG_, docs/manage.md). */
enum {
    EXIT_DECIDED = 0,
    EXIT_FINDINGS = 1,
    EXIT_USAGE = 2,
    EXIT_BAD_ESTATE = 3,
    EXIT_BAD_REQUEST = 4,

    MG_OK = 0,
    MG_REFUSED = 1,    /* Azure (or az) would refuse the change */
    MG_USAGE = 2,      /* bad flags or values */
    MG_NOT_FOUND = 3,  /* unreadable estate, or no such resource */
    MG_NOT_WRITTEN = 4 /* the change was valid but could not be written */
};

/* A parsed command line: options by long name, in order, plus operands. */
#define CLI_MAX_ARGS 256
typedef struct cli_opt {
    const char *name;  /* without the leading "--" */
    const char *value; /* NULL for a flag */
    int more;          /* a further value of the same occurrence (az's
                          lists: --add PATH VALUE VALUE) */
} cli_opt;

typedef struct cli_args {
    cli_opt opts[CLI_MAX_ARGS];
    int n_opts;
    const char *operands[CLI_MAX_ARGS];
    int n_operands;
} cli_args;

/* What an option takes: nothing, a value, or (CLI_VALUES) one or more
** values, as az's list options do. */
#define CLI_VALUES 2
/* A value when the next word is not an option (az's boolean flags:
** "--https-only" or "--https-only false"); NULL otherwise. */
#define CLI_OPTIONAL 3
typedef struct cli_spec {
    const char *name;
    int takes_value;
    char short_name; /* 0 when none */
} cli_spec;

/* Parses argv against spec; prints a usage error and returns -1 on an
** unknown option or a missing value. */
int cli_parse(int argc, char **argv, const cli_spec *spec, cli_args *out,
              const char *command);
/* The last value of an option, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
int cli_has(const cli_args *a, const char *name);
int cli_count(const cli_args *a, const char *name);

/* Loads every --estate (with --lenient when given, or when flags say so,
** and Azure's service-tag file of --service-tags when the command takes
** it) and prints the diagnostics to stderr. Returns NULL after printing
** why. */
#define CLI_LOAD_QUIET 0x1u   /* warnings are not printed */
#define CLI_LOAD_LENIENT 0x2u /* as if --lenient were given */
moat_estate *cli_load_estate(const cli_args *a, unsigned flags);
/* Loads paths as one estate ("-" is stdin), with the service-tag file
** tags (or NULL), printing diagnostics. */
moat_estate *cli_load_paths(const char *const *paths, int n, const char *tags,
                            unsigned flags);

/* Prints a loader diagnostic as FILE:LINE:COL: severity: RESOURCE: PATH:
** message on stderr. */
void cli_print_diag(const moat_diag *d);

/* Every *.json file below dir (recursively, sorted, as the loader reads
** them); malloc'd paths, freed with cli_free_files. */
char **cli_json_files(const char *dir, size_t *n);
void cli_free_files(char **paths, size_t n);

/* Reads a whole file ("-" is stdin; a pipe is read to its end) of at most
** CLI_MAX_FILE_BYTES, the estate files' cap. NULL and a message on failure:
** unreadable, a device, socket or directory, too large, out of memory
** (tool/read_file.c). */
#define CLI_MAX_FILE_BYTES MOAT_ESTATE_MAX_BYTES
char *cli_read_file(const char *path, size_t *len);
/* The same for a file already open (fd, read from where it stands, left
** open), of at most max bytes; path names it in the messages. The text is
** NUL-terminated, *len its length. */
char *cli_read_fd(int fd, const char *path, size_t max, size_t *len);
/* Text a person gives a command on standard input: as cli_read_fd on
** stdin ("-" in the messages), a terminal accepted too (text pasted and
** ended with Ctrl-D), at most max bytes: more is refused, never cut. */
char *cli_read_stdin_text(size_t max, size_t *len);

/* The CPUs this process may run on (taskset, a container's cpuset), 1 to
** 256: the default of --threads (tool/cpus.c). */
int cli_cpus(void);

/* "moat: error: ..." on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message plus a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The resource group of an ARM id (every segment between resourceGroups
** and providers), or "<resource-group>"; and its last segment, the name.
** For az command lines, which quote them (moat_shell_command). */
void cli_arm_group(const char *id, char *out, size_t cap);
const char *cli_arm_name(const char *id);

/* s as a JSON string literal (quotes included) on fp. */
void cli_json_str(FILE *fp, const char *s);

/* s (NULL: empty) as one CSV field (RFC 4180: quoted when it holds a
** comma, quote or line break), then a comma, or CRLF when last. */
void cli_csv_field(FILE *fp, const char *s, int last);

/* Output format option: "text" or "json"; -1 on a bad value. */
int cli_format(const cli_args *a, int default_json);

#endif
