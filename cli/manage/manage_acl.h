/*
** manage_acl.h - the firewall of a storage account or key vault
** (networkAcls, which az shows as networkRuleSet) as the az-style commands
** edit it: where it is in the file, Azure's defaults when it is not, and
** the checks on addresses and subnets that az and Azure make.
*/
#ifndef MOAT_MANAGE_ACL_H
#define MOAT_MANAGE_ACL_H

#include "manage.h"

typedef enum acl_kind { ACL_STORAGE, ACL_VAULT } acl_kind;

typedef struct acl_ctx {
    manage m;
    acl_kind kind;
    mg_target target;
    const moat_node *res;
    const moat_node *parent; /* properties, or the resource (az's form) */
    const moat_node *acls;   /* the firewall object, or NULL */
    char id_group[256], id_sub[256]; /* from --ids */
} acl_ctx;

/* Opens the estate and finds the account or vault named by --name,
** --account-name or --vault-name. With create, a missing firewall object is
** first written with Azure's defaults. Returns MG_OK or an exit status. */
int acl_open(acl_ctx *c, acl_kind kind, const char *command, const cli_args *a,
             int create);

/* Finds the resource and its firewall again (after mg_apply). */
int acl_refind(acl_ctx *c);

/* Storage account update's flags of the endpoints (manage_storage.c):
** whether any is given, and applying them. */
int storage_update_given(const cli_args *a);
int storage_update_extra(acl_ctx *c, const cli_args *a);
extern const cli_spec storage_update_spec[];

#define STORAGE_ENDPOINT_SPEC                                                  \
    {"default-dual-stack-endpoint", CLI_OPTIONAL, 0},                          \
        {"publish-ipv4-endpoint", CLI_OPTIONAL, 0},                            \
        {"publish-ipv6-endpoint", CLI_OPTIONAL, 0},                            \
        {"publish-microsoft-endpoints", CLI_OPTIONAL, 0},                      \
        {"publish-internet-endpoints", CLI_OPTIONAL, 0},                       \
        {"routing-choice", 1, 0}, {"https-only", CLI_OPTIONAL, 0},             \
        {"allow-blob-public-access", CLI_OPTIONAL, 0},                         \
    {                                                                          \
        "min-tls-version", 1, 0                                                \
    }

/* create, list, delete (manage_lifecycle.c). */
extern const mg_command mg_storage_lifecycle[];
extern const mg_command mg_vault_lifecycle[];

/* Sets member key of obj (replaced, or added at the end). */
int acl_set(acl_ctx *c, const moat_node *obj, const char *key,
            const char *json);

/* The firewall's rule list key, or NULL. */
const moat_node *acl_list(const acl_ctx *c, const char *key);

/* Appends elements (JSON texts) to the rule list key, creating it. */
int acl_append(acl_ctx *c, const char *key, char **elements, size_t n);

/* The text of a rule element's address or id (value, ipAddressOrRange, id,
** virtualNetworkResourceId, or the element itself when a string). */
const char *acl_rule_text(const moat_node *e);

/* Parses an address for family 4 or 6 rules, with az's and Azure's
** checks; prints what was wrong and what is accepted. */
int acl_parse_ip(acl_ctx *c, const char *text, int family, moat_range *r);

/* A subnet's ARM id from --subnet ID, or --subnet NAME --vnet-name VNET
** (in the resource group given, else the resource's, as az builds it). */
int acl_subnet_id(acl_ctx *c, const char *subnet, const char *vnet, char *out,
                  size_t cap);

/* Warns when the estate knows the subnet and it lacks the service
** endpoint the rule needs. */
void acl_check_endpoint(acl_ctx *c, const char *subnet_id);

/* --bypass as Azure stores it ("Logging, Metrics"; a vault takes
** AzureServices or None): MG_OK, or MG_USAGE after saying why. */
int storage_bypass_value(manage *m, const cli_args *a, int vault, char *out,
                         size_t cap);

/* --default-action, --bypass, --public-network-access, then commits. */
int acl_update(acl_ctx *c, const cli_args *a);

/* Rules chosen for removal from one list. */
#define ACL_MAX_REMOVE 1024
typedef struct removal {
    const moat_node *nodes[ACL_MAX_REMOVE];
    size_t n;
} removal;

int acl_remove_list(acl_ctx *c, const moat_node *list, const removal *r);

/* show and update, the same for both resources. */
int acl_show_cmd(acl_kind kind, const char *command, const cli_args *a);
int acl_update_cmd(acl_kind kind, const char *command, const cli_args *a);

/* The first rule of list, or of the addresses added before, overlapping r
** (az skips such an address: "Not adding duplicates"). */
const char *acl_overlapping(const moat_node *list, const moat_range *r,
                            char *const *added, size_t n_added);

/* Rules of list equal, as addresses, to a value of --opt; or naming the
** subnet of --subnet (and --vnet-name), ignoring case. */
int acl_match_addresses(acl_ctx *c, const cli_args *a, const char *opt,
                        int family, const moat_node *list, removal *out);
int acl_match_subnet(acl_ctx *c, const cli_args *a, const moat_node *list,
                     removal *out);

/* The subnet id of --subnet to add: id[0] is 0 when a rule names it
** already (warned); refused past limit rules. */
int acl_new_subnet(acl_ctx *c, const cli_args *a, size_t limit, char *id,
                   size_t cap);

/* Removes the chosen rules of each list (a warning when none), then
** commits. */
int acl_remove_and_commit(acl_ctx *c, const moat_node *const *lists,
                          const removal *const *chosen, size_t n);

/* The flags of show and update (the same for both resources). */
extern const cli_spec acl_show_spec[];
extern const cli_spec acl_update_spec[];

/* The value after --name, -n, --account-name or --vault-name. */
const char *acl_name(const cli_args *a);

#define ACL_NAME_SPEC                                                          \
    {"name", 1, 'n'}, {"account-name", 1, 0},                                  \
    {                                                                          \
        "vault-name", 1, 0                                                     \
    }

#endif
