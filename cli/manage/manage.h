/*
** manage.h - what the az-style commands (`moat storage account ...`,
** `moat keyvault ...`, `moat network perimeter ...`) share: finding the
** estate file that holds a resource, editing it in place (moat_doc), and
** landing the change: validated by moat's own loader, shown as a diff with
** --dry-run, or written atomically under a lock.
*/
#ifndef MOAT_MANAGE_H
#define MOAT_MANAGE_H

#include "cli.h"
#include "buf.h"
#include "estate_file.h"

#include <stddef.h>

/* Exit statuses of the az-style commands: MG_ in tool.h. */

#define TYPE_STORAGE "Microsoft.Storage/storageAccounts"
#define TYPE_VAULT "Microsoft.KeyVault/vaults"
#define TYPE_NSP "Microsoft.Network/networkSecurityPerimeters"
#define TYPE_PROFILE TYPE_NSP "/profiles"
#define TYPE_ACCESS_RULE TYPE_PROFILE "/accessRules"
#define TYPE_ASSOCIATION TYPE_NSP "/resourceAssociations"

/* New JSON values are built in a tool_buf (tool/buf.h). */

/* Strings a command collects (new rule elements, list values). */
typedef struct mg_strings {
    char *s[CLI_MAX_ARGS];
    size_t n;
} mg_strings;
void mg_strings_free(mg_strings *l);
/* Takes b's text (b is emptied); MG_NOT_WRITTEN when full or b failed. */
int mg_strings_take(mg_strings *l, tool_buf *b);

/* A resource by type, name and (when given) resource group and
** subscription, as az finds it. */
typedef struct mg_target {
    const char *type;
    const char *name; /* NULL: any resource of the type */
    const char *group;
    const char *subscription;
    const char *what; /* "storage account", for messages */
    const char *id;   /* when set, the resource with this ARM id */
} mg_target;

struct jp_expr;

typedef struct manage {
    const char *command; /* "storage account update" */
    const cli_args *args;
    const char *estate; /* --estate as given */
    int estate_is_dir;
    estate_file file;
    moat_doc *doc;
    const moat_node *list; /* the resources' array; NULL: one resource */
    int dry_run;
    int output;      /* -o: az_output (az_output.h) */
    int output_none; /* -o none */
    int only_errors; /* --only-show-errors: no warnings or notes */
    int debug;       /* --debug: what moat read and did, on stderr */
    const char *query;
    struct jp_expr *jq; /* --query compiled (manage_query.c) */
    int warned;         /* a warning was printed */
} manage;

/* Opens the estate file holding t (under a directory, the one file that
** does) locked for a change. Returns MG_OK or an exit status, after
** printing why. */
int mg_open(manage *m, const char *command, const cli_args *a,
            const mg_target *t);
void mg_close(manage *m);

/* --ids (az's): the resource's name, group and subscription taken from
** its ARM id into t (group and sub hold them, cap bytes each). MG_OK when
** absent or done, else MG_USAGE after saying why. */
int mg_target_ids(manage *m, const cli_args *a, mg_target *t, char *group,
                  char *sub, size_t cap);

/* The resource t in the open file, or NULL after printing why (none, or
** several without --resource-group). */
const moat_node *mg_find(manage *m, const mg_target *t);

/* A child resource of parent_id: type, name under it. */
const moat_node *mg_find_child(manage *m, const char *type,
                               const char *parent_id, const char *name);

/* Lands the edits made to m->doc: refused (MG_REFUSED) when moat's loader
** finds a new error in the result, shown as a diff under --dry-run, or
** written. Then prints t as it now is (az prints the resource). */
int mg_commit(manage *m, const mg_target *t);

/* Prints n as JSON the way az does (two-space indent), or what --query
** selects of it (type: the resource's, or NULL for other JSON). */
int mg_print(manage *m, const moat_node *n, const char *type);

/* --query (manage_query.c): compiled by mg_open (a bad expression is a
** usage error that shows where), run on what mg_print would print, freed
** by mg_close. */
int mg_query_compile(manage *m);
int mg_query_print(manage *m, const moat_node *n, const char *type);
void mg_query_free(manage *m);

/* The subscription and region of a new resource in resource group group
** (cap bytes each): --subscription and --location, else those of the
** group's other resources in the file (the subscription: the only one
** the file names). MG_OK, or MG_USAGE after saying which to give. */
int mg_new_place(manage *m, const cli_args *a, const char *group, char *sub,
                 char *loc, size_t cap);

/* Makes the edits so far part of the document, so that what they added
** can be edited in turn. Every node found before is invalid afterwards. */
int mg_apply(manage *m);

/* Sets member key of obj to json (replaced, or added at the end). */
int mg_set(manage *m, const moat_node *obj, const char *key, const char *json);

/* Removes a resource from the file's list. */
int mg_remove_resource(manage *m, const moat_node *res);

/* Prints JSON text built by a command (a list of rules, of resources),
** shaped as type's (mg_print). */
int mg_print_json(manage *m, const tool_buf *json, const char *type);

/* Appends a new resource (JSON text) to the file's list of resources. */
int mg_append_resource(manage *m, const char *json);

/* fn on every resource of doc; on every other file of a directory
** estate (for lookups across files: subnets, perimeters). */
void mg_each_resource(const moat_doc *doc,
                      void (*fn)(const moat_node *res, void *ctx), void *ctx);
void mg_each_other_doc(manage *m, void (*fn)(const moat_doc *doc, void *ctx),
                       void *ctx);

/* Members of a resource. */
const char *mg_str(const moat_node *obj, const char *key);
const moat_node *mg_properties(const moat_node *res);
/* The resource group or subscription named in an ARM id; 0 when absent. */
int mg_id_part(const char *id, const char *segment, char *buf, size_t cap);
int mg_group_of(const moat_node *res, char *buf, size_t cap);

/* One of the names (case-insensitive); sets *canon to the spelling Azure
** uses. 0 when text is none of them. */
int mg_choice(const char *text, const char *const *names, size_t n,
              const char **canon);

/* Usage error: prints and returns MG_USAGE. */
int mg_usage(const manage *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Azure would refuse: prints and returns MG_REFUSED. */
int mg_refuse(const manage *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "moat: warning: ..." on stderr. */
void mg_warn(manage *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The command groups (cmd_manage.c dispatches to them). */
typedef struct mg_command {
    const char *path; /* "storage account network-rule add" */
    const char *summary;
    const char *help; /* the flags, as --help prints them */
    const cli_spec *spec;
    int (*run)(const cli_args *a);
} mg_command;

extern const mg_command mg_storage_commands[];
extern const mg_command mg_keyvault_commands[];
extern const mg_command mg_perimeter_commands[];

/* The flags every az-style command takes. */
#define MG_COMMON_SPEC                                                         \
    {"estate", 1, 'e'}, {"resource-group", 1, 'g'}, {"subscription", 1, 0},    \
        {"dry-run", 0, 0}, {"output", 1, 'o'}, {"query", 1, 0},                \
        {"only-show-errors", 0, 0}, {"debug", 0, 0}, {"ids", CLI_VALUES, 0},   \
    {                                                                          \
        "help", 0, 'h'                                                         \
    }

#define MG_COMMON_HELP                                                         \
    "  --estate, -e FILE|DIR      the estate (a directory: the file that\n"    \
    "                             holds the resource)\n"                       \
    "  --resource-group, -g RG    when the name is not unique\n"               \
    "  --subscription SUB         likewise\n"                                  \
    "  --dry-run                  print the change as a diff; write nothing\n" \
    "  --output, -o FORMAT        json (default), jsonc, table, tsv, yaml or\n" \
    "                             none, as az prints them\n"                   \
    "  --query JMESPATH           what to print, as az's --query, before\n"    \
    "                             formatting (networkRuleSet.ipRules[].\n"     \
    "                             ipAddressOrRange)\n"                         \
    "  --ids ID [ID ...]          the resource by ARM id, instead of names\n"  \
    "  --only-show-errors         no warnings or notes on stderr\n"            \
    "  --debug                    say which file and resource moat used\n"

#endif
