/*
** manage_nsp.h - what the perimeter commands share (manage_perimeter.c:
** perimeters, profiles, rules, associations; manage_nsp_link.c: links and
** link references; manage_nsp_config.c: a storage account's perimeter
** configurations).
*/
#ifndef MOAT_MANAGE_NSP_H
#define MOAT_MANAGE_NSP_H

#include "manage.h"

#define TYPE_LINK TYPE_NSP "/links"
#define TYPE_LINK_REFERENCE TYPE_NSP "/linkReferences"
#define TYPE_NSP_CONFIGURATION                                                 \
    TYPE_STORAGE "/networkSecurityPerimeterConfigurations"

/* An open estate file and the perimeter a command works in. */
typedef struct nsp_ctx {
    manage m;
    mg_target target; /* the perimeter */
    const moat_node *nsp;
    const char *nsp_id;
} nsp_ctx;

/* Opens the file holding the perimeter named by --name_flag. MG_OK, or an
** exit status after saying why. */
int mg_nsp_open(nsp_ctx *c, const char *command, const cli_args *a,
                const char *name_flag);
/* The child of type named name under the id under; NULL (after saying so
** when what is given) when there is none. */
const moat_node *mg_nsp_child(nsp_ctx *c, const char *type, const char *under,
                              const char *name, const char *what);
/* The child of parent named by --name: MG_OK with *out set, or an exit
** status after saying why. */
int mg_nsp_named(nsp_ctx *c, const cli_args *a, const char *type,
                 const char *parent, const char *what, const moat_node **out);
/* Prints every resource of type under parent as a JSON array. */
int mg_nsp_print_children(nsp_ctx *c, const char *type, const char *parent);
/* Every value of --opt split into words, az's shorthand lists
** ("['a', 'b']") included. */
void mg_split_words(const cli_args *a, const char *opt, mg_strings *out);

/* ", \"key\": " and value as a JSON string: one member of an object
** being written. */
static inline void mg_json_member(tool_buf *b, const char *key, const char *value)
{
    tb_printf(b, ", \"%s\": ", key);
    tb_json_str(b, value);
}

extern const mg_command mg_link_commands[];
extern const mg_command mg_nsp_config_commands[];
extern const mg_command mg_vnet_commands[];

#endif
