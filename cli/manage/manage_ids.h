/*
** manage_ids.h - an az-style command given several --ids: run once per
** id, the results printed as one list (manage_ids.c).
*/
#ifndef MOAT_MANAGE_IDS_H
#define MOAT_MANAGE_IDS_H

#include "manage.h"

/* Whether a's --ids are to be split: several values, or one holding
** white space. */
int mg_ids_several(const cli_args *a);

/* Runs command c once per id; an exit status. */
int mg_run_ids(const mg_command *c, const cli_args *a);

/* --ids ID on a network perimeter command replaced by the names it stands
** for (manage_nsp_ids.c): 0, or MG_USAGE after a usage error. Other
** commands read --ids themselves, and are left alone. */
int mg_nsp_ids_expand(const mg_command *c, cli_args *a);

#endif
