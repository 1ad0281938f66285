/*
** cells_int.h - the cells engine's private header (issue 14).
**
** The request space of decision.md section 2, for one resource (reach) or
** for the same resource in two estates (diff), is cut into cells: classes
** of requests on which the procedure of section 4 decides the same way.
**
** Each dimension of a request has a finite domain of atoms: the values the
** resource's configuration names, and "any other" atoms for everything
** else, split where the procedure tells them apart (cells_atoms.c,
** cells_ident.c). Addresses are atoms too: the intervals between the
** bounds of every address rule, never single addresses. A set of atoms is
** a bitset; a box is one set per dimension. The procedure runs
** symbolically over boxes (cells_sym.c): each branch of section 4 splits
** the box it is given by the branch's predicate, and each leaf is a box on
** which the outcome is fixed. The leaves of one run are refined by the
** next (the Enforced run for enforced_would, then the other estate's runs
** for a diff), and the final leaves are the cells (cells.c).
**
** Everything lives in one arena per computation; nothing is allocated per
** request, and no address is enumerated.
*/
#ifndef MOAT_CELLS_INT_H
#define MOAT_CELLS_INT_H

#include "engine_int.h"

__extension__ typedef unsigned __int128 cu128;

/* The dimensions of a request (decision.md section 2). PATH joins
** source.private_endpoint and source.subnet: a private endpoint decides
** alone (section 4, step 1), whatever the subnet. */
enum cdim {
    D_PLANE,
    D_PATH,
    D_IP,
    D_REGION,
    D_PROTOCOL,
    D_ENDPOINT,
    D_OP,
    D_TARGET,
    D_AUTH,
    D_TENANT,
    D_SUBSCRIPTION,
    D_SERVICE,
    D_CALLER,
    D_PERIMETERS,
    D_TIME,
    D_COUNT
};

#define CELLS_SIDES 2
#define CELLS_STAGES 4
#define CKEY_NONE (-1)

/*--------------------------------------------------------------------------
** Atoms of each dimension.
*/
typedef enum path_kind {
    PATH_PE,            /* through this private endpoint */
    PATH_PE_OTHER,      /* through another private endpoint */
    PATH_PUBLIC,        /* no private endpoint, no subnet */
    PATH_SUBNET,        /* from this subnet (no private endpoint) */
    PATH_SUBNET_REACH,  /* another subnet, reaching the resource */
    PATH_SUBNET_NOREACH /* another subnet of the estate, not reaching it */
} path_kind;

typedef struct path_atom {
    path_kind kind;
    const char *id; /* PE and SUBNET: the id; the others: a witness */
} path_atom;

typedef struct ip_atom {
    uint8_t family; /* 0: no address */
    moat_u128 lo, hi;
} ip_atom;

typedef struct time_atom {
    int64_t lo, hi; /* [lo, hi); INT64_MIN and INT64_MAX: open */
} time_atom;

/* A name the catalog may know a caller by, and the rows of the resource's
** kind that name it (decision.md section 4, trusted()). */
typedef struct rows_list {
    uint16_t row[MOAT_TRUST_MAX];
    uint8_t n;
} rows_list;

typedef struct service_atom {
    const char *name; /* witness; NULL: caller.service absent */
    rows_list rows;
} service_atom;

/* caller.resource_id: the patterns of resource instance rules it matches
** (indexes into the domain's patterns), the catalog rows naming its type,
** and when resource instance rules stop admitting its type. */
typedef struct caller_atom {
    const char *id; /* witness; NULL: absent */
    const uint16_t *match;
    uint16_t n_match;
    rows_list rows;
    int64_t until;
    uint16_t until_class; /* index of until among the domain's values */
} caller_atom;

/* A pattern of a resource instance rule (any side), as decide matches it:
** a literal id equals the caller's ignoring case; one with '*' segments
** matches segment by segment, '*' a whole non-empty segment, and its
** resource type must equal the caller's when it is literal. */
typedef struct cpattern {
    const char *text;
    size_t len;
    moat_segments seg;
    uint8_t wild;
    uint8_t split_ok; /* segments_split succeeded */
    uint64_t hash;      /* of the text, case-folded */
    uint64_t type_hash; /* 0: no literal type */
} cpattern;

/* Caller perimeters, per side: the association's perimeter in the list
** (INTRA), else the first listed perimeter an Approved link joins
** (LINK), else neither (NONE). */
enum { PSIG_NONE = 0, PSIG_INTRA = 1, PSIG_LINK = 2 };

typedef struct perim_side {
    uint8_t sig;
    uint16_t link; /* for PSIG_LINK: the estate's link */
    const char *linked; /* for PSIG_LINK: the linked perimeter's GUID */
} perim_side;

typedef struct perim_atom {
    const char *const *list; /* witness: caller.perimeters */
    uint8_t n_list;
    perim_side side[CELLS_SIDES];
} perim_atom;

/*--------------------------------------------------------------------------
** What one side (a resource in an estate) makes of each atom.
*/
typedef struct side_feat {
    const moat_estate *es;
    const resource *r; /* NULL: the resource is absent on this side */
    const profile *pf; /* the association's profile, or NULL */
    int mode;          /* the association's access mode, or -1 */
    /* PATH */
    int32_t *pe_key;    /* -1 no private endpoint; connection; or
                           n_pes: none with that id */
    int32_t *se_key;    /* path atoms without a private endpoint: 0 public,
                           1 through a service endpoint */
    int32_t *vnet_key;  /* the active virtual network rule naming the
                           subnet, or -1 */
    int32_t *fw_key;    /* the firewall's view: -2 public path, else
                           vnet_key */
    /* IP */
    int32_t *ip_key;    /* lowest IP rule (ipRules then ipv6Rules) */
    int32_t *perim_key; /* lowest perimeter address (and, for a vault with
                           a service-tag file, service-tag) rule */
    /* REGION, TENANT, SUBSCRIPTION */
    int32_t *same_region;
    int32_t *tenant_is_res; /* the resource's (known) tenant */
    uint8_t *tenant_known;  /* interned in this estate */
    int32_t *sub_key;       /* lowest perimeter subscription rule */
    /* CALLER: per pattern, this side's resource instance rules with it */
    uint16_t *rule_pattern; /* per rule of r: pattern index */
    uint32_t *rule_tenant;  /* per rule of r: tenant atom */
    /* PERIMETERS */
    int32_t *perim_sig; /* PSIG_*, or PSIG_LINK + link */
    /* Keys computed on demand (cells_sym.c): per tenant atom, the lowest
    ** instance rule of that tenant each caller atom matches. */
    int32_t **rar_key;
    int32_t *eligible; /* per tenant atom: itself, or -1 */
} side_feat;

typedef struct cdomain {
    uint32_t n[D_COUNT];
    uint32_t words[D_COUNT];
    uint64_t *all[D_COUNT];
    int n_sides;
    int kind;       /* RES_STORAGE or RES_KEYVAULT */
    /* Only the internet probe's part of the space (moat__cells_internet):
    ** the path has its public atom alone, caller.service and
    ** caller.resource_id their "absent" atom alone (atom 0 of both, as in
    ** the whole space). */
    int probe_only;
    /* named values (witness texts) */
    path_atom *path;
    ip_atom *ip;
    uint32_t n_ip4; /* atoms 1 .. n_ip4 are IPv4, then IPv6 */
    const char **region;  /* n[D_REGION] - 1 named, then "other" */
    const char **tenant;  /* likewise */
    const char **subscription;
    service_atom *service;
    caller_atom *caller;
    cpattern *pattern;
    uint32_t n_pattern;
    int64_t *until_value; /* distinct until values of caller atoms */
    uint32_t n_until;
    rows_list *rows_class; /* distinct rows lists (service and caller) */
    uint32_t n_rows_class;
    uint32_t *service_class; /* per service atom; UINT32_MAX: absent */
    uint32_t *caller_class;  /* per caller atom */
    perim_atom *perim;
    const char **perim_named; /* every GUID the atoms speak of */
    uint32_t n_perim_named;
    time_atom *time;
    side_feat side[CELLS_SIDES];
    /* Keys computed on demand (cells_sym.c). */
    int32_t *service_key; /* rows class, -1 absent */
    int32_t *caller_key;  /* rows class */
    int32_t **trust_key;  /* per rows class: time atom -> row in force */
    int32_t **until_key;  /* per until class: time atom -> 1 before it */
} cdomain;

/*--------------------------------------------------------------------------
** Outcomes and cells.
*/
typedef struct coutcome {
    uint8_t allowed;
    uint8_t category; /* moat_category */
    uint16_t warnings;
    uint32_t rule; /* MOAT_RULE_REF, as moat_decision.rule_ */
} coutcome;

typedef struct cbox {
    const uint64_t *s[D_COUNT];
} cbox;

typedef struct ccell {
    cbox box;
    coutcome out[CELLS_STAGES];
} ccell;

/* One run of the procedure: a side, decided in its own access mode or as
** Enforced would. */
typedef struct cstage {
    int side;
    int mode; /* access mode, or -1: no association */
    int enforced_of; /* -1, or the stage whose enforced_would this is */
} cstage;

typedef struct cgroup {
    int32_t key;
    const uint64_t *set;
} cgroup;

/* A memo of splits: (set, key array) -> groups. */
typedef struct split_memo {
    const uint64_t *set;
    const int32_t *key;
    const cgroup *groups;
    uint32_t n;
} split_memo;

typedef struct cctx {
    moat_arena *arena;
    cdomain dom;
    cstage stage[CELLS_STAGES];
    int n_stages;
    coutcome out[CELLS_STAGES];
    ccell **blocks; /* cells in blocks of CELL_BLOCK */
    size_t n_cells, n_blocks, cap_blocks;
    int32_t *gmap; /* key + 1 -> group index, -1 when free */
    size_t gmap_len;
    split_memo *memo;
    size_t memo_cap, memo_used;
    size_t limit; /* most cells, 0: none */
    int failed;   /* MOAT_E_NOMEM or MOAT_E_LIMIT, 0 */
} cctx;

#define CELL_BLOCK 1024u

/*--------------------------------------------------------------------------
** Between the files.
*/
/* cells_atoms.c: every dimension but SERVICE and CALLER; 0, or -1 when out
** of memory. extra_subnets: ids whose reach differs between the sides. */
MOAT_HIDDEN int moat__cells_atoms(cctx *c, const char *const *extra_subnets,
                                  size_t n_extra);
/* A bitset of n atoms with every bit set (arena); NULL when out of memory. */
MOAT_HIDDEN uint64_t *moat__cells_full(cctx *c, uint32_t n);
/* Arena memory, zeroed; sets c->failed when out of memory. */
MOAT_HIDDEN void *moat__cells_alloc(cctx *c, size_t n);
MOAT_HIDDEN const char *moat__cells_strdup(cctx *c, const char *s);
/* An int32 array of n, every entry v. */
MOAT_HIDDEN int32_t *moat__cells_keys(cctx *c, uint32_t n, int32_t v);

/* Lists of names compared ignoring case (ids, GUIDs, regions), with an
** index; l->oom after a failed allocation. */
typedef struct cnames {
    const char **v;
    size_t *len; /* of each name */
    uint32_t n, cap;
    moat_index idx;
    int oom;
} cnames;
MOAT_HIDDEN void moat__cnames_init(cnames *l);
/* Adds s (not empty) once; its index, or UINT32_MAX. */
MOAT_HIDDEN uint32_t moat__cnames_add(cnames *l, const char *s);
/* The index of s, or UINT32_MAX. */
MOAT_HIDDEN uint32_t moat__cnames_find(const cnames *l, const char *s);
MOAT_HIDDEN void moat__cnames_free(cnames *l);
/* The names in arena memory with one more slot for an "any other" atom;
** *n is the count with it. NULL when out of memory. */
MOAT_HIDDEN const char **moat__cnames_keep(cctx *c, cnames *l, uint32_t *n);
/* base, or base and a number, held by neither l nor taken(); arena. */
MOAT_HIDDEN const char *moat__cells_fresh(cctx *c, const cnames *l,
                                          const char *base,
                                          int (*taken)(const cctx *,
                                                       const char *));
/* Dimension d has n atoms: its size and full set. */
MOAT_HIDDEN void moat__cells_dim(cctx *c, int d, uint32_t n);

/* Each present side of c: s its index, f its features. */
#define FOR_SIDES(c, s, f)                                                     \
    for (int s = 0; s < (c)->dom.n_sides; s++)                                 \
        for (side_feat *f = &(c)->dom.side[s]; f && f->r; f = NULL)

/* cells_path.c: the path, address and perimeter dimensions; 0 or -1. */
MOAT_HIDDEN int moat__cells_path(cctx *c, const char *const *extra,
                                 size_t n_extra);
MOAT_HIDDEN int moat__cells_ip(cctx *c);
MOAT_HIDDEN int moat__cells_perimeters(cctx *c);

/* cells_ident.c: SERVICE and CALLER; 0, -1 (out of memory) or -2 (too many
** overlapping wildcard patterns). */
MOAT_HIDDEN int moat__cells_ident(cctx *c);
/* Whether pattern p matches caller id (n bytes) as decide does. */
MOAT_HIDDEN int moat__cells_pattern_match(const cpattern *p, const char *id,
                                          size_t n);

/* cells_sym.c: runs stage k of the procedure on box b, calling
** moat__cells_leaf for each leaf. */
MOAT_HIDDEN void moat__cells_run(cctx *c, int k, const cbox *b);

/* cells.c: a leaf of stage k: records the outcome and refines it by the
** next stage, or stores the cell. */
MOAT_HIDDEN void moat__cells_leaf(cctx *c, int k, const cbox *b, coutcome o);
/* The groups of the atoms of set s (dimension d) by key; one group reuses
** s. The count; 0 when out of memory. */
MOAT_HIDDEN size_t moat__cells_split(cctx *c, int d, const uint64_t *s,
                                     const int32_t *key, const cgroup **out);

static inline int moat__bit(const uint64_t *s, uint32_t i)
{
    return (int)((s[i >> 6] >> (i & 63)) & 1u);
}

static inline void moat__bit_set(uint64_t *s, uint32_t i)
{
    s[i >> 6] |= 1ULL << (i & 63);
}

#endif /* MOAT_CELLS_INT_H */
