/*
** cli.h - the moat command: its subcommands (cmd_*.c, cli/audit,
** cli/replay, cli/manage, serve/) on what tool/ shares (tool.h).
*/
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include "tool.h"

int cmd_check(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_estate(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_manage(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_reach(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
