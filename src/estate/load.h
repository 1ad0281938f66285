/*
** load.h - what the loader collects before compilation: raw resources read
** from JSON and validated, with the position of each for diagnostics.
** Shared by load.c, the read_*.c readers and compile.c.
*/
#ifndef MOAT_LOAD_H
#define MOAT_LOAD_H

#include "moat_int.h"
#include "estate/deps.h"

typedef struct src_file {
    const char *name;
    const char *text;
    size_t len;
    const uint32_t *line_starts; /* byte offset of each line; [0] is 0 */
    uint32_t n_lines;
} src_file;

/* Where something was read: for diagnostics that come after reading. */
typedef struct src_loc {
    const src_file *file;
    uint32_t pos;
    const char *resource;
    const char *path;
} src_loc;

#define VEC(T)                                                                 \
    struct {                                                                   \
        T *v;                                                                  \
        size_t n, cap;                                                         \
    }

typedef struct raw_rar {
    const char *tenant_text;
    const char *resource_id;
    moat_segments seg;
    uint16_t index;
} raw_rar;

typedef struct raw_res {
    res_kind kind;
    const char *id;
    const char *name;
    const char *location;
    const char *tenant; /* vault: properties.tenantId; storage: a
                           Resource Graph row's tenantId */
    const char *tenant_source;
    pna_mode pna;
    const char *pna_text;
    basis pna_basis;
    basis acl_basis;
    uint8_t default_allow;
    basis default_basis;
    uint8_t bypass;
    basis bypass_basis;
    basis ip_basis;
    basis vnet_basis;
    basis rar_basis;
    basis pe_basis;
    basis location_basis;
    uint8_t synthetic_id;
    const char *origin;
    const char *address;
    VEC(rejected_rule) rejects;
    VEC(ip_rule) ip4;
    VEC(ip_rule) ip6;
    VEC(vnet_rule) vnets;
    VEC(raw_rar) rars;
    VEC(pe_conn) pes;
    src_loc loc;
    struct raw_res *next;
} raw_res;

typedef struct raw_sub {
    const char *guid; /* lower case */
    const char *tenant;
    src_loc loc;
    struct raw_sub *next;
} raw_sub;

typedef struct raw_perimeter {
    const char *id;
    const char *name;
    const char *guid;
    const char *location;
    uint8_t synthetic;
    src_loc loc;
    struct raw_perimeter *next;
} raw_perimeter;

typedef struct raw_profile {
    const char *id;
    const char *name;
    const char *perimeter_id;
    uint8_t synthetic;
    src_loc loc;
    struct raw_profile *next;
} raw_profile;

typedef struct raw_rule {
    const char *profile_id;
    access_rule rule;
    uint8_t synthetic;
    src_loc loc;
    struct raw_rule *next;
} raw_rule;

typedef struct raw_assoc {
    const char *id;
    const char *name;
    const char *resource_id;
    const char *profile_id;
    const char *perimeter_id; /* the association's parent */
    access_mode mode;
    const char *mode_text;
    uint8_t transition; /* written as Transition (Learning's new name) */
    uint8_t synthetic;
    src_loc loc;
    struct raw_assoc *next;
} raw_assoc;

typedef struct raw_link {
    const char *id;
    const char *name;
    const char *perimeter_id; /* parent */
    const char *remote_id;
    const char *remote_guid;
    const char **local_profiles;
    size_t n_local;
    const char **remote_profiles;
    size_t n_remote;
    const char *status;
    int approved;
    src_loc loc;
    struct raw_link *next;
} raw_link;

typedef struct raw_endpoint {
    const char *service;
    const char **locations;
    size_t n_locations;
} raw_endpoint;

typedef struct raw_subnet {
    const char *id;
    const char *vnet_id;
    const char *vnet_location; /* when read inside its VNet */
    raw_endpoint *endpoints;
    size_t n_endpoints;
    moat_cidr *prefixes; /* addressPrefix(es), for mapping log addresses */
    uint16_t n_prefixes;
    src_loc loc;
    struct raw_subnet *next;
} raw_subnet;

typedef struct raw_vnet {
    const char *id;
    const char *location;
    src_loc loc;
    struct raw_vnet *next;
} raw_vnet;

/* A private endpoint connection read apart from its resource: a child
** resource (.../privateEndpointConnections/x) or a
** Microsoft.Network/privateEndpoints resource. */
typedef struct raw_pe_child {
    const char *target_id;
    pe_conn conn;
    src_loc loc;
    struct raw_pe_child *next;
} raw_pe_child;

/* Where a private endpoint sits: its subnet (properties.subnet.id). */
typedef struct raw_pe_site {
    const char *pe_id;
    const char *subnet_id;
    struct raw_pe_site *next;
} raw_pe_site;

/* A managed identity: the principal a token names, and the resource that
** holds it (system-assigned) or is it (user-assigned). */
typedef struct raw_principal {
    const char *principal_id;
    const char *resource_id;
    const char *location;
    const char *tenant_id; /* identity.tenantId, or NULL */
    src_loc loc;
    struct raw_principal *next;
} raw_principal;

/* A tag of a service-tag file: its prefixes, read when a rule names it. */
typedef struct raw_tag {
    const char *name;
    const json_value *prefixes; /* properties.addressPrefixes */
    const src_file *file;
    size_t index; /* in values[] */
    struct raw_tag *next;
} raw_tag;

typedef struct list_tail {
    void *head;
    void **tail;
} list_tail;

struct moat_loader {
    unsigned flags;
    moat_arena arena;
    VEC(moat_diag) diags;
    size_t n_errors;
    int oom;
    size_t n_ignored; /* resources of types moat does not read */
    size_t n_read;    /* resources of types moat reads */
    size_t n_files;
    VEC(moat_incomplete) incomplete; /* moat__incomplete() */
    size_t max_file_bytes; /* MOAT_ESTATE_MAX_BYTES; tests lower it */
    const char *first_ignored_type;
    raw_res *res, **res_tail;
    raw_sub *subs, **subs_tail;
    raw_perimeter *perims, **perims_tail;
    raw_profile *profiles, **profiles_tail;
    raw_rule *rules, **rules_tail;
    raw_assoc *assocs, **assocs_tail;
    raw_link *links, **links_tail;
    raw_subnet *subnets, **subnets_tail;
    raw_vnet *vnets, **vnets_tail;
    raw_pe_child *pe_children, **pe_children_tail;
    raw_pe_site *pe_sites, **pe_sites_tail;
    raw_principal *principals, **principals_tail;
    raw_tag *tags, **tags_tail; /* service-tag files, in order */
    VEC(dep_edge) deps; /* dependency edges (read_deps.c) */
    size_t n_tag_files;
};

/* Reading context for one resource: file, resource label, JSON path. */
typedef struct rctx {
    moat_loader *ld;
    const src_file *file;
    const char *res;     /* id or name, for diagnostics */
    const char *origin;  /* "arm", "template", "terraform" */
    const char *address; /* Terraform address, or NULL */
    uint32_t pos;        /* the resource's position, for diagnostics */
    char path[512];
    size_t path_len;
    /* Where settings are read: `props` (a "properties" object, ARM's
    ** nesting) and `beside`, the object holding it, whose members would be
    ** the settings in az's flattened form; beside_len is the path's length
    ** there. NULL when nothing is nested. */
    const json_value *props;
    const json_value *beside;
    size_t beside_len;
    uint8_t synthetic_id; /* the "id" was built by the template reader */
} rctx;

/* What moat__props_enter() changed, to restore. */
typedef struct props_mark {
    const json_value *props, *beside;
    size_t beside_len, path_len;
} props_mark;

/* Path building: push returns the previous length for pop. */
MOAT_HIDDEN size_t moat__rctx_push_key(rctx *c, const json_value *member);
MOAT_HIDDEN size_t moat__rctx_push_index(rctx *c, size_t i);
MOAT_HIDDEN void moat__rctx_pop(rctx *c, size_t mark);

/* Records a diagnostic about value `at` (NULL: the resource itself). The
** path is c's path plus at's member name. */
MOAT_HIDDEN void moat__diag(rctx *c, moat_severity sev, moat_status code,
                            const json_value *at, const char *fmt, ...)
    MOAT_PRINTF(5, 6);
/* A value Azure would refuse: an error, or a warning under --lenient.
** Either way the caller then ignores the value (fail closed). */
MOAT_HIDDEN void moat__invalid(rctx *c, const json_value *at, const char *fmt,
                               ...) MOAT_PRINTF(3, 4);
/* A diagnostic at a recorded location, after reading. */
MOAT_HIDDEN void moat__diag_at(moat_loader *ld, const src_loc *loc,
                               moat_severity sev, moat_status code,
                               const char *fmt, ...) MOAT_PRINTF(5, 6);
MOAT_HIDDEN src_loc moat__loc(rctx *c, const json_value *at);
/* Something declared that moat does not read (moat_incomplete): a warning
** naming what and why, and a record that makes the estate incomplete, so
** that no audit of it is clean. Out of memory it marks the loader. */
MOAT_HIDDEN void moat__incomplete(rctx *c, const json_value *at,
                                  const char *what, const char *fmt, ...)
    MOAT_PRINTF(4, 5);
MOAT_HIDDEN void moat__incomplete_at(moat_loader *ld, const src_loc *loc,
                                     const char *what, const char *why);
MOAT_HIDDEN void moat__oom(moat_loader *ld);

/* An ARM template expression ("[parameters('x')]"; "[[" escapes a literal
** bracket) or a value moat marked unknown: its value is not known. */
MOAT_HIDDEN int moat__is_expression(const json_value *v);

/* Reading members (load.c, "Reading JSON" in docs/decisions.md). A member
** is found by name ignoring case, as ARM matches names. It is ambiguous
** when moat would read it twice: the name given twice, the setting under
** both of its accepted spellings (name and alias), or both inside
** "properties" and beside it; and when a string holds U+0000. Either is an
** error naming file, line and key, since JSON readers disagree on the
** value (Python, Node and Go take the last of two; C string functions stop
** at U+0000).
**
** Under --lenient: when every value agrees, a warning and that value.
** Otherwise moat__setting() gives a warning and an unknown value (a
** string moat__is_expression() sees), which its readers take as the most
** restrictive one; moat__member() keeps it an error (ids, names,
** references, containers: no reading of them is safe). Both return the
** value to read, or NULL when absent. */
MOAT_HIDDEN const json_value *moat__member(rctx *c, const json_value *obj,
                                           const char *name, const char *alias);
MOAT_HIDDEN const json_value *moat__setting(rctx *c, const json_value *obj,
                                            const char *name,
                                            const char *alias);
/* A string element of a list moat reads, c's path at the element: 1 when
** it may be read; 0 after a diagnostic (an error, a warning under
** --lenient) when it holds U+0000, and the caller leaves it out (rules
** and their parts admit, so fewer is stricter). */
MOAT_HIDDEN int moat__element_ok(rctx *c, const json_value *e);
/* The object obj's settings are read from: its "properties" when that is
** an object (ARM), else obj itself (az's flattened output); the path
** follows, and moat__member() then looks beside "properties" too.
** moat__props_leave() restores c. */
MOAT_HIDDEN const json_value *moat__props_enter(rctx *c, const json_value *obj,
                                                props_mark *saved);
MOAT_HIDDEN void moat__props_leave(rctx *c, const props_mark *saved);

/* Typed member access (through moat__member). Each returns 1 when present
** with the right type, 0 when absent or null, -1 (after an error
** diagnostic) otherwise. */
MOAT_HIDDEN int moat__get_str(rctx *c, const json_value *obj, const char *name,
                              const json_value **out);
MOAT_HIDDEN int moat__get_obj(rctx *c, const json_value *obj, const char *name,
                              const json_value **out);
MOAT_HIDDEN int moat__get_arr(rctx *c, const json_value *obj, const char *name,
                              const json_value **out);
/* A string setting through moat__setting(): under --lenient a conflict
** gives an unknown value (moat__is_expression) instead of an error. */
MOAT_HIDDEN int moat__get_setting(rctx *c, const json_value *obj,
                                  const char *name, const json_value **out);
/* A list of strings (or of {"id": ...} objects, as subscriptions are)
** copied into the loader's arena; *count gets its length. */
MOAT_HIDDEN const char **moat__read_strings(rctx *c, const json_value *obj,
                                            const char *name, uint16_t *count);
/* A string copied into the loader's arena (NULL when out of memory). */
MOAT_HIDDEN const char *moat__dup(rctx *c, const json_value *s);
MOAT_HIDDEN const char *moat__dupn(moat_loader *ld, const char *s, size_t n);

/* Vector append into loader-owned heap memory (freed with the loader). */
MOAT_HIDDEN void *moat__vec_push(moat_loader *ld, void **v, size_t *n,
                                 size_t *cap, size_t size);
#define VEC_PUSH(ld, vec)                                                      \
    moat__vec_push((ld), (void **)&(vec).v, &(vec).n, &(vec).cap,              \
                   sizeof *(vec).v)

/* Readers, one per family of ARM resources. props is the properties object
** (or the resource itself in `az show`'s flattened form). */
MOAT_HIDDEN void moat__read_account(rctx *c, const json_value *res,
                                    const json_value *props, res_kind kind);
MOAT_HIDDEN void moat__read_pe_child(rctx *c, const json_value *res,
                                     const json_value *props);
MOAT_HIDDEN void moat__read_private_endpoint(rctx *c, const json_value *res,
                                             const json_value *props);
MOAT_HIDDEN void moat__read_perimeter(rctx *c, const json_value *res,
                                      const json_value *props);
MOAT_HIDDEN void moat__read_profile(rctx *c, const json_value *res,
                                    const json_value *props);
MOAT_HIDDEN void moat__read_access_rule(rctx *c, const json_value *res,
                                        const json_value *props);
MOAT_HIDDEN void moat__read_association(rctx *c, const json_value *res,
                                        const json_value *props);
MOAT_HIDDEN void moat__read_link(rctx *c, const json_value *res,
                                 const json_value *props);
MOAT_HIDDEN void moat__read_nsp_configuration(rctx *c, const json_value *res,
                                              const json_value *props);
MOAT_HIDDEN void moat__read_vnet(rctx *c, const json_value *res,
                                 const json_value *props);
/* identity.principalId of any resource, and user-assigned identities. */
MOAT_HIDDEN void moat__read_identity(rctx *c, const json_value *res,
                                     const json_value *props, int uai);
MOAT_HIDDEN void moat__read_subnet(rctx *c, const json_value *res,
                                   const json_value *props,
                                   const char *vnet_location);
MOAT_HIDDEN void moat__read_subscription(rctx *c, const json_value *res);

/* Dependency edges (read_deps.c, read_deps_tf.c; estate/deps.h). */
MOAT_HIDDEN int moat__dep_type(const char *type, size_t n);
/* The edges of one ARM resource of any type; 1 when its type has any. */
MOAT_HIDDEN int moat__read_deps(rctx *c, const json_value *res);
/* A new edge of kind read at `where` (path: the setting), from the
** resource c reads; NULL when out of memory. */
MOAT_HIDDEN dep_edge *moat__dep_edge(rctx *c, unsigned kind,
                                     const json_value *where,
                                     const char *path);
/* Sets e's target from text s: a resource id or a name (DEP_BY_ID), a key
** or secret URI (DEP_BY_VAULT_URI), a storage endpoint URL
** (DEP_BY_STORAGE_URI). */
enum { DEP_BY_ID, DEP_BY_VAULT_URI, DEP_BY_STORAGE_URI };
MOAT_HIDDEN void moat__dep_target(rctx *c, dep_edge *e, const char *s,
                                  int how);
/* A Key Vault reference ("@Microsoft.KeyVault(SecretUri=...)" or
** "(VaultName=..;SecretName=..)"): e's target vault, secret and request. */
MOAT_HIDDEN void moat__dep_kv_reference(rctx *c, dep_edge *e, const char *v);
/* Copies the loader's edges into the estate (deps_compile.c); -1 when out
** of memory. */
MOAT_HIDDEN int moat__compile_deps(moat_loader *ld, moat_estate *es);

/* `terraform show -json` of a plan or a state (read_terraform.c). */
MOAT_HIDDEN int moat__is_terraform(const json_value *doc);
/* 1-based line and column of byte offset pos of f: a binary search in the
** line table, so that locating every resource of a large file stays linear
** (moat__json_line_col rescans from the start). */
MOAT_HIDDEN void moat__src_line_col(const src_file *f, size_t pos,
                                    unsigned *line, unsigned *col);

MOAT_HIDDEN void moat__read_terraform(moat_loader *ld, const src_file *f,
                                      const json_value *doc);
/* A plan's resources, for their dependency edges (read_deps_tf.c). blk
** names a nested block (its first element), or NULL. */
typedef struct tf tf;
typedef struct tf_res tf_res;
MOAT_HIDDEN const char *moat__tf_type(const tf_res *r);
/* A known value (NULL when absent, null or known only after apply). */
MOAT_HIDDEN const json_value *moat__tf_value(tf *t, const tf_res *r,
                                             const char *blk,
                                             const char *attr);
MOAT_HIDDEN int moat__tf_unknown(tf *t, const tf_res *r, const char *blk,
                                 const char *attr);
/* The id an attribute holds or references (through the configuration). */
MOAT_HIDDEN const char *moat__tf_ref(tf *t, tf_res *r, const char *blk,
                                     const char *attr);
/* The resource an attribute references in the configuration, or NULL. */
MOAT_HIDDEN tf_res *moat__tf_ref_res(tf *t, tf_res *r, const char *blk,
                                     const char *attr);
MOAT_HIDDEN const char *moat__tf_id(tf *t, tf_res *r);
MOAT_HIDDEN const char *moat__tf_name(tf *t, const tf_res *r);
MOAT_HIDDEN void moat__tf_ctx(tf *t, const tf_res *r, rctx *c);
/* The edges of one resource of a plan or state; 1 when its type has
** any. */
MOAT_HIDDEN int moat__read_tf_deps(tf *t, tf_res *r);

/* Building JSON trees (jtree.c) for the readers, in the loader's arena:
** the ARM resources of a Terraform plan, a template's resources with their
** parameters substituted. Each marks the loader out of memory (and gives
** NULL, or does nothing) when it is. */
MOAT_HIDDEN json_value *moat__jt_new(moat_loader *ld, json_type type,
                                     uint32_t pos);
MOAT_HIDDEN json_value *moat__jt_str(moat_loader *ld, const char *s,
                                     uint32_t pos);
/* A shallow copy (children shared, never relinked) that can take a key. */
MOAT_HIDDEN json_value *moat__jt_clone(moat_loader *ld, const json_value *src);
/* Appends v to obj as member key, or to array arr. */
MOAT_HIDDEN void moat__jt_put(json_value *obj, const char *key, json_value *v);
MOAT_HIDDEN void moat__jt_push(json_value *arr, json_value *v);

/*--------------------------------------------------------------------------
** ARM templates (read_template.c, tpl_expr.c).
*/
/* What a resource type is to the template reader (load.c knows the types
** moat reads). */
typedef enum tpl_kind {
    TK_OTHER,   /* not read */
    TK_ACCOUNT, /* a storage account or a key vault */
    TK_PRIVATE_ENDPOINT,
    TK_VNET,
    TK_READ, /* another type moat reads */
    TK_DEP   /* a type read for its dependency edges alone (read_deps.c) */
} tpl_kind;
MOAT_HIDDEN tpl_kind moat__tpl_kind(const char *type, size_t n);
/* Reads one resource (an ARM object) as the loader reads every resource;
** synthetic: its "id" was built (template, Terraform plan); address: a
** Terraform address, or NULL. */
MOAT_HIDDEN void moat__read_resource(moat_loader *ld, const src_file *f,
                                     const json_value *res, const char *origin,
                                     int synthetic, const char *address);
/* The settings of an account whose properties are unknown (one template
** expression, a body known only after apply, two declarations that
** differ): every one the string why, an unknown value. */
MOAT_HIDDEN json_value *moat__jt_unknown_props(moat_loader *ld, uint32_t pos,
                                               const char *why);
/* Before a built resource res of kind is read: properties that are one
** unknown value become an account's unknown settings, a perimeter's or a
** profile's nothing; another's make it incomplete (private endpoints,
** rules, associations: what they admit or join is unknown) or are left
** out with a warning (networks, identities). A private endpoint whose
** target cannot be named is incomplete. 1 when res is to be read. */
MOAT_HIDDEN int moat__jt_settle(rctx *c, json_value *res, tpl_kind kind);
/* A template ({"$schema", "resources": [...] or {...}}), its nested
** deployments expanded. */
MOAT_HIDDEN void moat__read_template(moat_loader *ld, const src_file *f,
                                     const json_value *doc);
/* A document that is one deployment (Microsoft.Resources/deployments) or
** one Blueprint template artifact (typed, or as `az blueprint` files hold
** it): read as a template of that resource, 1; 0 when doc is neither. */
MOAT_HIDDEN int moat__read_deployment(moat_loader *ld, const src_file *f,
                                      const json_value *doc);

/* Where template expressions are evaluated: the top of the file, or an
** inner-scope nested deployment (expressionEvaluationOptions.scope
** "inner"), whose parameters are what its deployment passes. */
typedef struct tpl_scope tpl_scope;
struct tpl_scope {
    const tpl_scope *outer;   /* where the passed values are written */
    const char *label;        /* "" at the top, else the deployment's name */
    const json_value *params; /* the deployment's properties.parameters */
    const char *target;       /* the id prefix resourceId() gives there */
    const json_value *vars;   /* the template's "variables" */
};
typedef struct tpl_expr tpl_expr;
/* The expression of "[...]" text (s, n bytes) in arena a; NULL when s is
** not one or does not parse (it then stays as written: unknown). */
MOAT_HIDDEN tpl_expr *moat__tpl_parse(moat_arena *a, const char *s, size_t n);
/* A copy of e in which the parameters scope sc's deployment passes are
** replaced (a literal string or number by itself, an expression by that
** expression in the scope that wrote it); NULL when out of memory. */
MOAT_HIDDEN tpl_expr *moat__tpl_subst(moat_arena *a, const tpl_scope *sc,
                                      tpl_expr *e);
/* e's canonical text "[...]": no blanks, and another scope's parameters()
** and variables() qualified by its label ("variables('x','storage')").
** NULL when out of memory. */
MOAT_HIDDEN const char *moat__tpl_text(moat_arena *a, const tpl_expr *e);
/* 1 when e is a literal string, 2 a number, with its text; else 0. */
MOAT_HIDDEN int moat__tpl_literal(const tpl_expr *e, const char **text,
                                  size_t *len);
/* The name of parameters('name') (fn "parameters") or variables('name'),
** else NULL. */
MOAT_HIDDEN const char *moat__tpl_reference(const tpl_expr *e, const char *fn);
/* The value scope sc's deployment passes for parameter name, or NULL. */
MOAT_HIDDEN const json_value *moat__tpl_passed(const tpl_scope *sc,
                                               const char *name);
/* A resource name (literal text, or the expression e) as '/'-separated id
** segments: "a/b", format('{0}/{1}', x, y) and concat(x, '/', y) are two;
** an expression segment is "[...]" with '/' written %2F. NULL when out of
** memory. */
MOAT_HIDDEN const char *moat__tpl_name_path(moat_arena *a, const char *literal,
                                            const tpl_expr *e);
/* prefix + the id of type and name path ("Microsoft.X/t/c", "a/b" ->
** "Microsoft.X/t/a/c/b"); NULL when the name has not one segment per
** type (or out of memory). */
MOAT_HIDDEN const char *moat__tpl_join_id(moat_arena *a, const char *prefix,
                                          const char *type, const char *names);
/* e, or when e is variables('x') the expression x is defined as in scope
** sc (substituted there, repeatedly): where an id is expected, a variable
** holding resourceId(...) is that id. NULL when out of memory. */
MOAT_HIDDEN tpl_expr *moat__tpl_deref(moat_arena *a, const tpl_scope *sc,
                                      tpl_expr *e);
/* The id of resourceId(...), or of concat(resourceId(...), '/subnets/',
** name), in the scope whose deployment targets prefix; NULL when e is
** neither, or names a copy's resource (copyIndex()). */
MOAT_HIDDEN const char *moat__tpl_id(moat_arena *a, const char *prefix,
                                     const tpl_expr *e);
/* A condition's literal truth: 1, 0, or -1 when it is not literal (true,
** false, bool(), not(), and(), or(), equals() of literals). */
MOAT_HIDDEN int moat__tpl_truth(const tpl_expr *e);

/* Shared by the account and NSP readers: one access rule's properties; 0
** when the rule is not read (its targets are template expressions: then
** incomplete). */
MOAT_HIDDEN int moat__read_rule_props(rctx *c, const json_value *props,
                                      access_rule *out);

/* Enum tables. */
typedef struct enum_entry {
    const char *name;
    int value;
} enum_entry;
/* 1 and *out set when s names an entry (ignoring case), else 0. */
MOAT_HIDDEN int moat__enum_lookup(const enum_entry *t, size_t n, const char *s,
                                  int *out);
/* "A, B or C" for messages. */
MOAT_HIDDEN const char *moat__enum_list(rctx *c, const enum_entry *t, size_t n);

#define APPEND(ld, list, item)                                                 \
    do {                                                                       \
        (item)->next = NULL;                                                   \
        *(ld)->list##_tail = (item);                                           \
        (ld)->list##_tail = &(item)->next;                                     \
    } while (0)

/* The text as one of the loader's files (named for diagnostics), parsed;
** NULL after a diagnostic or when out of memory (*rc says which). */
MOAT_HIDDEN json_value *moat__load_text(moat_loader *ld, const char *name,
                                        const char *json, size_t len,
                                        src_file **out, moat_status *rc);
/* Reads the file at path whole and hands it to add. */
MOAT_HIDDEN moat_status moat__add_file(moat_loader *ld, const char *path,
                                       moat_status (*add)(moat_loader *,
                                                          const char *,
                                                          const char *,
                                                          size_t));

/* The tags of every service-tag file by name (servicetags.c); 0, or -1
** when out of memory. */
MOAT_HIDDEN int moat__tags_index(moat_loader *ld, moat_index *out);
/* Adds the prefixes of service tag `name`, for rule number `rule`, to b. */
MOAT_HIDDEN void moat__tags_add(moat_loader *ld, const moat_index *tags,
                                const char *name, uint16_t rule,
                                const src_loc *rule_loc,
                                moat_prefix_builder *b);

MOAT_HIDDEN moat_status moat__compile(moat_loader *ld, moat_estate **out);
/* The network map (netmap.c): subnet address ranges, private endpoint
** sites, managed identities and perimeter memberships of every resource,
** for mapping log records to requests. */
MOAT_HIDDEN int moat__compile_netmap(moat_loader *ld, moat_estate *es);

#endif /* MOAT_LOAD_H */
