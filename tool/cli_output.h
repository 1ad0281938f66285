/*
** cli_output.h - az's -o/--output and --query on every moat command that
** prints data (docs/output.md). A command keeps its own --format (text,
** sarif, html, ...) and its JSON document; when an az format is asked
** for (-o json|jsonc|table|tsv|yaml|none, the same names given to
** --format, or --query alone), the command writes its JSON document as
** it always has, into a capture, and this file reads it back, runs
** --query on it and prints it as az prints a result (az_output.h).
*/
#ifndef MOAT_CLI_OUTPUT_H
#define MOAT_CLI_OUTPUT_H

#include "az_output.h"
#include "jmespath.h"
#include "tool.h"

/* The options every printing command takes: add them to its spec. */
#define CLI_OUTPUT_SPEC {"output", 1, 'o'}, {"query", 1, 0}

typedef struct cli_output_cmd {
    const char *command;        /* "audit" */
    const char *const *formats; /* its own --format names, NULL-ended */
    const char *dflt;           /* the format when none is given */
    int output_is_file;         /* --output FILE predates -o: a value that
                                   names no az format is still a file */
    int stream;                 /* the JSON is a stream of lines: a list */
    const char *view;           /* JMESPath: the rows of -o table and tsv
                                   when no --query is given, or NULL */
} cli_output_cmd;

typedef struct cli_output {
    const cli_output_cmd *cmd;
    const char *format;  /* what the command writes: its own format name,
                            "json" when an az format is in force */
    int az;              /* an az format is in force */
    az_output az_format;
    const char *file;    /* --output FILE (output_is_file), or NULL */
    const char *query;   /* --query's text, or NULL */
    jp_expr *jq;
    jp_expr *view;       /* the command's view, compiled when used */
    FILE *capture;       /* the command's stdout while az is in force */
    int saved_stdout;
} cli_output;

/* Reads -o/--output, --format and --query for cmd. 0, or EXIT_USAGE
** after printing why: a name neither format knows, -o and --format
** naming different formats, --query with a format that is not JSON, a
** --query that is not JMESPath (with a caret under where). */
int cli_output_parse(const cli_args *a, const cli_output_cmd *cmd,
                     cli_output *o);

/* Whether the command writes format name (its own or "json"). */
int cli_output_is(const cli_output *o, const char *name);

/* Starts the capture of stdout when an az format is in force; 0, or
** EXIT_BAD_REQUEST when stdout cannot be captured. */
int cli_output_begin(cli_output *o);

/* Ends the capture: the document read back (as a list of the lines'
** values for a stream), --query (or the command's view for table and
** tsv) run on it, printed in the az format to --output FILE or stdout.
** rc is the command's exit status, returned unless printing fails:
** EXIT_USAGE when --query fails on the document, EXIT_BAD_REQUEST when
** the document is not JSON or cannot be written (a command that failed
** before its document was whole keeps its rc and prints nothing). Frees
** what parse and begin took. */
int cli_output_end(cli_output *o, int rc);

/* Frees what parse took, for a command that stops before printing. */
void cli_output_free(cli_output *o);

#endif
