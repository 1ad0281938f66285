/*
** manage_generic.h - az's generic update arguments (--set, --add,
** --remove) on the az-style update commands (manage_generic.c).
*/
#ifndef MOAT_MANAGE_GENERIC_H
#define MOAT_MANAGE_GENERIC_H

#include "manage.h"

/* Whether a has --set, --add or --remove. */
int mg_generic_given(const cli_args *a);

/* Applies them to the resource t in m's document, in order, with paths in
** az's names (storage: azure-mgmt-storage's flattened shape). Earlier
** edits are made part of the document first, so nodes found before are
** invalid afterwards. MG_OK, or an exit status after saying why. */
int mg_generic_update(manage *m, const mg_target *t, const cli_args *a,
                      int storage);

#define MG_GENERIC_SPEC                                                        \
    {"set", CLI_VALUES, 0}, {"add", CLI_VALUES, 0},                            \
    {                                                                          \
        "remove", CLI_VALUES, 0                                                \
    }

#define MG_GENERIC_HELP                                                        \
    "  --set PATH=VALUE [...]     az's generic update: a property, in az's\n"  \
    "                             names (networkRuleSet.default_action=deny)\n" \
    "  --add PATH VALUE...        append to a list (KEY=VALUE words make one\n" \
    "                             object; JSON is taken as JSON)\n"            \
    "  --remove PATH [INDEX]      a property, or a list's element\n"

#endif
