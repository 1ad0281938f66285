/*
** audit.c - posture judged on effective access.
**
** For every storage account and key vault: the CIS Microsoft Azure
** Foundations controls (reference/posture-tools.md section 2), each judged
** on what Azure does (defaults counted, publicNetworkAccess and perimeters
** before the firewall) and marked explicit, default or unknown; what each
** class of sources can reach and through which rule; and findings no
** field-by-field scanner makes (wide ranges, wildcard or cross-tenant
** instance rules, exceptions that outlive Disabled, perimeters that do not
** enforce, rules that can never match, values Azure would refuse).
**
** The reasoning mirrors decide.c: a source class is admitted when the
** procedure of decision.md section 4 would admit some request of that
** class. tests/unit/audit/test_audit.c checks the claims against moat_decide.
*/
#include "moat_int.h"
#include "audit/audit_deps.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** The rules (kinds of findings).
*/
enum {
    R_INTERNET,
    R_WIDE_RANGE,
    R_LOG_METRICS,
    R_WILDCARD_INSTANCE,
    R_CROSS_TENANT_INSTANCE,
    R_DISABLED_EXCEPTIONS,
    R_LOCKDOWN,
    R_NOT_ENFORCING,
    R_VNET_NO_ENDPOINT,
    R_VNET_INACTIVE,
    R_INVALID_RULE,
    R_PE_NOT_APPROVED,
    R_UNKNOWN,
    R_TENANT_UNKNOWN,
    R_DEP_REFUSED,      /* MOAT015-017: audit/deps.c */
    R_PERIMETER_FEATURE,
    R_RUNNER_REFUSED,
    R_STORAGE_TAG_RULE, /* MOAT018 */
    R_CTL_STORAGE_DEFAULT_DENY,
    R_CTL_STORAGE_TRUSTED,
    R_CTL_STORAGE_PE,
    R_CTL_STORAGE_PNA,
    R_CTL_KEYVAULT_PE,
    R_CTL_KEYVAULT_PNA,
    R_CTL_KEYVAULT_DEFAULT_DENY,
    R_COUNT
};

static const moat_audit_rule
    rules[R_COUNT] =
        {
            {"MOAT001", "internet-reachable",
             "Reachable from every address on the internet",
             "The public path admits any source address: publicNetworkAccess is Enabled and the firewall's default action is Allow (Azure's default when networkAcls is absent), or an IP rule covers the whole address space. Anyone with a credential the resource accepts (an account key or a SAS on a storage account, an Entra token on both) can reach the data plane from anywhere.",
             MOAT_LEVEL_CRITICAL},
            {"MOAT002", "wide-ip-range",
             "An IP rule or perimeter prefix admits a very wide range",
             "Rules are counted by the addresses they admit, not by their number: one rule such as 20.0.0.0/8 admits sixteen million addresses, including other tenants' cloud resources.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT003", "log-metrics-exception",
             "Logging or Metrics exception admits reads of logs or metrics from anywhere",
             "bypass Logging admits reads of the $logs container, bypass Metrics reads of the $Metrics tables, from any network, past the firewall and past publicNetworkAccess Disabled.",
             MOAT_LEVEL_LOW},
            {"MOAT004", "wildcard-instance-rule",
             "A resource instance rule admits every instance of a type in a tenant, subscription or resource group",
             "resourceAccessRules with '*' segments admit every resource of that type in the scope: any workspace or factory someone creates there later reaches the account.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT005", "cross-tenant-instance-rule",
             "A resource instance rule names another tenant and admits nothing",
             "The rule's tenantId is not the account's tenant. Azure admits only resource instances of the account's own tenant (\"Resource instances must be from the same tenant as your storage account\"), so the rule never matches: the partner it was meant for is refused, and the rule reads as access that does not exist.",
             MOAT_LEVEL_LOW},
            {"MOAT006", "disabled-with-exceptions",
             "publicNetworkAccess is Disabled but exceptions still admit traffic",
             "Disabled turns off IP and virtual network rules only; the exceptions stay in force: trusted services, and on a storage account also resource instance rules and the Logging and Metrics exceptions (Azure Storage network security limitations). The resource is not reachable only through private endpoints.",
             MOAT_LEVEL_LOW},
            {"MOAT007", "perimeter-lockdown",
             "SecuredByPerimeter without a perimeter: only private endpoints reach it",
             "publicNetworkAccess SecuredByPerimeter with no perimeter association refuses every public and trusted request; only approved private endpoints get through.",
             MOAT_LEVEL_INFO},
            {"MOAT008", "perimeter-not-enforcing",
             "The network security perimeter is in Learning or Audit mode",
             "In Learning mode a request no perimeter rule admits falls back to the resource's own firewall; in Audit mode the perimeter only reports. The finding lists what switching to Enforced would cut off.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT009", "vnet-rule-without-service-endpoint",
             "A virtual network rule names a subnet without the service endpoint it needs",
             "Traffic from a subnet reaches the resource through a virtual network rule only over a service endpoint (Microsoft.Storage in the region or its paired region, Microsoft.Storage.Global, Microsoft.KeyVault). Without one it leaves on the public path and the rule never matches.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT010", "vnet-rule-not-active",
             "A virtual network rule is not in state Succeeded",
             "A rule in state NetworkSourceDeleted (the subnet was deleted), Provisioning, Deprovisioning or Failed admits nothing.",
             MOAT_LEVEL_LOW},
            {"MOAT011", "invalid-ip-rule", "An IP rule Azure refuses",
             "Azure Storage IP rules take public IPv4 addresses and ranges of prefix 0 to 30: private ranges (10/8, 172.16/12, 192.168/16), /31 and /32 are refused; there are at most 400 rules of each kind. Key Vault takes public IPv4 ranges of any prefix and refuses the same private ranges; at most 1000 rules.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT012", "private-endpoint-not-approved",
             "A private endpoint connection is not Approved",
             "Only an Approved private endpoint connection carries traffic; Pending, Rejected and Disconnected ones admit nothing.",
             MOAT_LEVEL_LOW},
            {"MOAT013", "unknown-value", "A setting the verdict depends on is unknown", "An ARM template expression or a Terraform value known only after apply: moat decides it as the most restrictive value and reports the controls that rest on it as failing with basis unknown, never guessing the value.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT014", "tenant-unknown", "The resource's tenant is unknown",
             "Trusted services and the cross-tenant check need the tenant: a storage account's comes from its subscription (add the subscription to the estate), a vault's from properties.tenantId.",
             MOAT_LEVEL_INFO},
            {"MOAT015", "dependency-refused",
             "An Azure service's request on the customer's behalf is refused",
             "Azure services make data-plane requests to storage accounts and key vaults on the customer's behalf: a storage account fetching its customer-managed key, diagnostic settings, flow logs, SQL auditing and Event Hubs Capture writing to storage, a Function App reaching its own storage and its Key Vault references. moat reads each edge from the estate, decides the request the service makes (decision.md section 4) and reports the refused ones where they break, with the deciding rule and the smallest fix; an edge it cannot decide is reported as unknown, never as fine. Under a perimeter's Learning or Audit mode it also reports what Enforced would refuse.",
             MOAT_LEVEL_CRITICAL},
            {"MOAT016", "perimeter-unsupported-feature",
             "A storage account under a perimeter uses a feature the perimeter does not support",
             "Seed 003 (Network security perimeter for Azure Storage, Limitations) lists what a perimeter-associated account does not support: SFTP, NFS 3.0, SMB file shares, object replication, lifecycle management, blob inventory, unmanaged disks and vaulted backups. Protocols other than HTTPS are blocked; services not onboarded to perimeters are blocked in Enforced mode.",
             MOAT_LEVEL_HIGH},
            {"MOAT017", "runner-refused",
             "terraform apply will get a 403 from the data plane",
             "Terraform creates containers, shares, queues, tables, blobs, Data Lake filesystems and Key Vault secrets, keys and certificates through the data plane, from the machine that runs it (azurerm authenticates to storage with the account key by default). moat decides each such resource of a plan as a request from the runners given with --runner, against the firewall the same plan sets.",
             MOAT_LEVEL_HIGH},
            {"MOAT018", "storage-service-tag-rule",
             "A perimeter rule with service tags can never match a storage account",
             "Azure Storage does not support service tags in network security perimeter inbound rules (\"Azure Storage currently doesn't support service tags as inbound access rules\", Configure service tag access in Network Security Perimeter): the rule admits none of the account's callers, whatever their address, and moat decides so (warning service-tags-unsupported). Admit storage callers with address prefixes or subscriptions; key vaults in the same profile do use the rule.",
             MOAT_LEVEL_LOW},
            {"CIS-STORAGE-DEFAULT-DENY", "storage-default-deny",
             "Storage: the public path does not deny by default",
             "CIS: default network access rule for storage accounts set to deny. Judged on effect: defaultAction Deny, publicNetworkAccess Disabled or SecuredByPerimeter, or an Enforced perimeter all deny by default.",
             MOAT_LEVEL_HIGH},
            {"CIS-STORAGE-TRUSTED-SERVICES", "storage-trusted-services",
             "Storage: trusted Microsoft services are not admitted",
             "CIS: allow trusted Microsoft services to access the account. AzureServices is in effect when bypass lists it or is absent (Azure's default). From CIS 4.0 the control applies only when public access is enabled from selected networks.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-STORAGE-PRIVATE-ENDPOINT", "storage-private-endpoint",
             "Storage: no approved private endpoint",
             "CIS: private endpoints used to access storage accounts. An Approved connection must exist; Pending or Rejected ones do not count.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-STORAGE-PUBLIC-ACCESS-DISABLED",
             "storage-public-access-disabled",
             "Storage: public network access is not disabled",
             "CIS: public network access disabled for storage accounts. SecuredByPerimeter passes when no perimeter address rule opens the public path.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-KEYVAULT-PRIVATE-ENDPOINT", "keyvault-private-endpoint",
             "Key Vault: no approved private endpoint",
             "CIS: private endpoints used for Azure Key Vault.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-KEYVAULT-PUBLIC-ACCESS-DISABLED",
             "keyvault-public-access-disabled",
             "Key Vault: public network access is not disabled",
             "CIS 4.0 and later: public network access disabled for Key Vault when using private endpoints.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT-KEYVAULT-DEFAULT-DENY", "keyvault-default-deny",
             "Key Vault: the public path does not deny by default",
             "Not a CIS control (no CIS version has one for Key Vault; Checkov's CKV_AZURE_109). Judged like storage-default-deny.",
             MOAT_LEVEL_HIGH},
};

size_t moat_audit_rule_count(void)
{
    return R_COUNT;
}

const moat_audit_rule *moat_audit_rule_at(size_t i)
{
    return i < R_COUNT ? &rules[i] : NULL;
}

const char *moat_level_name(moat_level level)
{
    static const char *const n[] = {"info", "low", "medium", "high",
                                    "critical"};
    return (unsigned)level < MOAT_ARRAY_LEN(n) ? n[level] : "?";
}

int moat_level_from_name(const char *name, moat_level *out)
{
    for (int i = 0; i <= MOAT_LEVEL_CRITICAL; i++) {
        if (name && moat__eq_ci_z(name, moat_level_name((moat_level)i))) {
            *out = (moat_level)i;
            return 0;
        }
    }
    return -1;
}

const char *moat_basis_name(moat_basis b)
{
    return b == MOAT_BASIS_DEFAULT   ? "default"
           : b == MOAT_BASIS_UNKNOWN ? "unknown"
                                     : "explicit";
}

const char *moat_control_status_name(moat_control_status s)
{
    return s == MOAT_CONTROL_PASS   ? "pass"
           : s == MOAT_CONTROL_FAIL ? "fail"
                                    : "not-applicable";
}

/*--------------------------------------------------------------------------
** CIS numbering by version (posture-tools.md section 2).
*/
static const char *const cis_versions[] = {
    "1.1.0", "1.2.0", "1.3.0", "1.4.0", "2.0.0",
    "2.1.0", "3.0.0", "4.0.0", "5.0.0", "6.0.0",
};
#define N_CIS (sizeof cis_versions / sizeof cis_versions[0])
#define CIS_4 7 /* index of 4.0.0 */

enum {
    C_STORAGE_DEFAULT_DENY,
    C_STORAGE_TRUSTED,
    C_STORAGE_PE,
    C_STORAGE_PNA,
    C_KEYVAULT_PE,
    C_KEYVAULT_PNA,
    C_KEYVAULT_DEFAULT_DENY,
    C_COUNT
};

/* Control id per CIS version, in cis_versions order; NULL: not in that
** version. */
static const char *const cis_ids[C_COUNT][N_CIS] = {
    [C_STORAGE_DEFAULT_DENY] = {"3.7", "3.6", "3.6", "3.6", "3.8", "3.8", "4.7",
                                "10.3.2.3", "9.3.2.3", "9.3.2.3"},
    [C_STORAGE_TRUSTED] = {"3.8", "3.7", "3.7", "3.7", "3.9", "3.9", "4.8",
                           "10.3.5", "9.3.5", "9.3.5"},
    [C_STORAGE_PE] = {NULL, NULL, NULL, NULL, "3.10", "3.10", "4.9", "10.3.2.1",
                      "9.3.2.1", "9.3.2.1"},
    [C_STORAGE_PNA] = {NULL, NULL, NULL, NULL, NULL, "3.7", "4.6", "10.3.2.2",
                       "9.3.2.2", "9.3.2.2"},
    [C_KEYVAULT_PE] = {NULL, NULL, NULL, NULL, "8.7", "8.7", "3.3.7", "9.3.8",
                       "8.3.8", "8.3.8"},
    [C_KEYVAULT_PNA] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, "9.3.7",
                        "8.3.7", "8.3.7"},
    [C_KEYVAULT_DEFAULT_DENY] = {NULL},
};

static const int control_rule[C_COUNT] = {
    R_CTL_STORAGE_DEFAULT_DENY,  R_CTL_STORAGE_TRUSTED, R_CTL_STORAGE_PE,
    R_CTL_STORAGE_PNA,           R_CTL_KEYVAULT_PE,     R_CTL_KEYVAULT_PNA,
    R_CTL_KEYVAULT_DEFAULT_DENY,
};

const char *moat_cis_version(size_t i)
{
    return i < N_CIS ? cis_versions[i] : NULL;
}

/*--------------------------------------------------------------------------
** The audit object.
*/
#define VEC_OF(T)                                                              \
    struct {                                                                   \
        T *v;                                                                  \
        size_t n, cap;                                                         \
    }

struct moat_audit {
    moat_arena arena;
    struct audit_filters filters;
    VEC_OF(moat_audited) resources;
    VEC_OF(moat_finding) findings;
    VEC_OF(moat_control_result) controls;
    VEC_OF(moat_exposure) exposures;
    VEC_OF(moat_incomplete) incomplete;
    struct deps_run *deps; /* audit/deps.c */
    int failed;
};

static void *grow(moat_audit *a, void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *p = realloc(*v, nc * size);
        if (p == NULL) {
            a->failed = 1;
            return NULL;
        }
        *v = p;
        *cap = nc;
    }
    void *slot = (char *)*v + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

#define PUSH(a, vec)                                                           \
    grow((a), (void **)&(vec).v, &(vec).n, &(vec).cap, sizeof *(vec).v)

static char *fmt(moat_audit *a, const char *f, ...) MOAT_PRINTF(2, 3);
static char *fmt(moat_audit *a, const char *f, ...)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    va_list ap;
    va_start(ap, f);
    moat__buf_vprintf(&b, f, ap);
    va_end(ap);
    char *s = b.failed ? NULL : moat__arena_strndup(&a->arena, b.data, b.len);
    moat__buf_free(&b);
    if (s == NULL)
        a->failed = 1;
    return s ? s : (char *)"";
}

void moat_audit_free(moat_audit *a)
{
    if (a == NULL)
        return;
    free(a->resources.v);
    free(a->findings.v);
    free(a->controls.v);
    free(a->exposures.v);
    free(a->incomplete.v);
    moat__deps_free(a->deps);
    moat__arena_free(&a->arena);
    free(a);
}

moat_arena *moat__audit_arena(moat_audit *a)
{
    return &a->arena;
}

struct audit_filters *moat__audit_filters(moat_audit *a)
{
    return &a->filters;
}

moat_finding *moat__audit_findings(moat_audit *a, size_t *n)
{
    *n = a ? a->findings.n : 0;
    return a ? a->findings.v : NULL;
}

size_t moat_audit_resource_count(const moat_audit *a)
{
    return a ? a->resources.n : 0;
}

const moat_audited *moat_audit_resource(const moat_audit *a, size_t i)
{
    return a && i < a->resources.n ? &a->resources.v[i] : NULL;
}

size_t moat_audit_finding_count(const moat_audit *a)
{
    return a ? a->findings.n : 0;
}

const moat_finding *moat_audit_finding(const moat_audit *a, size_t i)
{
    return a && i < a->findings.n ? &a->findings.v[i] : NULL;
}

size_t moat_audit_control_count(const moat_audit *a)
{
    return a ? a->controls.n : 0;
}

const moat_control_result *moat_audit_control(const moat_audit *a, size_t i)
{
    return a && i < a->controls.n ? &a->controls.v[i] : NULL;
}

size_t moat_audit_exposure_count(const moat_audit *a)
{
    return a ? a->exposures.n : 0;
}

const moat_exposure *moat_audit_exposure(const moat_audit *a, size_t i)
{
    return a && i < a->exposures.n ? &a->exposures.v[i] : NULL;
}

size_t moat_audit_incomplete_count(const moat_audit *a)
{
    return a ? a->incomplete.n : 0;
}

const moat_incomplete *moat_audit_incomplete(const moat_audit *a, size_t i)
{
    return a && i < a->incomplete.n ? &a->incomplete.v[i] : NULL;
}

/* What the audit could not judge: what the estate could not read, and an
** audit that judged nothing at all (no storage account or key vault: the
** wrong file, or a template whose resources are all elsewhere), which a
** gate must not take for a clean one. */
static void incomplete_of(moat_audit *a, const moat_estate *es)
{
    for (size_t i = 0; i < es->n_incomplete; i++) {
        moat_incomplete *g = PUSH(a, a->incomplete);
        if (g)
            *g = es->incomplete[i];
    }
    if (es->n_resources)
        return;
    moat_incomplete *g = PUSH(a, a->incomplete);
    if (g) {
        g->file = g->resource = "";
        g->what = "the estate";
        g->why =
            "it holds no storage account or key vault moat could read, so nothing was audited";
    }
}

/*--------------------------------------------------------------------------
** What a resource lets through, in terms of decision.md section 4.
*/
typedef struct facts {
    const moat_estate *es;
    const resource *r;
    const assoc *a;
    int nsp;      /* a Learning or Enforced association decides first */
    int enforced; /* ... and it is Enforced */
    int locked;   /* SecuredByPerimeter without an association */
    int fallback; /* the resource's own rules are consulted */
    int firewall; /* IP and virtual network rules are consulted */
    int storage;
} facts;

/* Resource instance rules that can admit: those of the account's own
** tenant (every one when it is unknown, the rule's tenant standing in),
** decision.md section 4. */
static unsigned own_tenant_rars(const resource *r)
{
    unsigned n = 0;
    for (uint16_t i = 0; i < r->n_rars; i++)
        n += r->tenant == MOAT_ID_NONE ||
             moat__same_id(r->rars[i].tenant, r->tenant);
    return n;
}

static void facts_of(facts *f, const moat_estate *es, const resource *r)
{
    memset(f, 0, sizeof *f);
    f->es = es;
    f->r = r;
    f->a = r->assoc;
    f->storage = r->kind == RES_STORAGE;
    f->nsp =
        f->a && (f->a->mode == MODE_LEARNING || f->a->mode == MODE_ENFORCED);
    f->enforced = f->a && f->a->mode == MODE_ENFORCED;
    f->locked = r->pna == PNA_SECURED_BY_PERIMETER && f->a == NULL;
    /* Resource rules decide without a perimeter, under Audit, and as the
    ** Learning fallback unless SecuredByPerimeter makes it perimeter-only. */
    f->fallback = !f->locked && !f->enforced &&
                  !(f->nsp && r->pna == PNA_SECURED_BY_PERIMETER);
    f->firewall = f->fallback && r->pna != PNA_DISABLED;
}

/* The association's access mode: a template expression or a value known
** after apply reads as Enforced to decide (the strictest), which no
** control may pass on. */
static moat_basis mode_basis(const facts *f)
{
    return f->a && strcmp(f->a->mode_text, "unknown") == 0
               ? MOAT_BASIS_UNKNOWN
               : MOAT_BASIS_EXPLICIT;
}

static moat_basis to_basis(basis b)
{
    return b == BASIS_DEFAULT   ? MOAT_BASIS_DEFAULT
           : b == BASIS_UNKNOWN ? MOAT_BASIS_UNKNOWN
                                : MOAT_BASIS_EXPLICIT;
}

/* The weakest of two bases: unknown over default over explicit. */
static moat_basis weaker(moat_basis a, moat_basis b)
{
    return a > b ? a : b;
}

/* The resource group named in an ARM id, for az commands. */
static const char *rg_of_id(moat_audit *a, const char *id)
{
    moat_segments seg;
    if (id && moat__segments_split(id, strlen(id), &seg) == 0) {
        for (int i = 0; i + 1 < seg.n; i++) {
            if (moat__eq_ci(id + seg.off[i], seg.len[i], "resourceGroups", 14))
                return fmt(a, "%.*s", seg.len[i + 1], id + seg.off[i + 1]);
        }
    }
    return "<resource-group>";
}

const char *moat__audit_rg(moat_audit *a, const char *id)
{
    return rg_of_id(a, id);
}

static const char *rg_of(moat_audit *a, const resource *r)
{
    return rg_of_id(a, r->id);
}

/* Addresses the public path admits from other regions: the union of the
** firewall's and the perimeter's address rules, as the mode makes them
** count, per family. Both families are 128-bit numbers (IPv4 in the low
** 32 bits, as addr.c holds them); the whole IPv6 space, 2^128 addresses,
** is said by a flag since no 128-bit number holds it. */
typedef struct span {
    moat_u128 lo, hi;
} span;

typedef struct addr_count {
    moat_u128 n; /* addresses, unless `all` */
    int all;     /* every address of the family */
} addr_count;

static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return moat__u128_cmp(a->lo, b->lo);
}

/* The sets that admit a public caller from another region: the IP
** rules (when the firewall is consulted), the perimeter's address rules,
** and for a key vault the prefixes of its service tags (decision.md
** section 4, with Azure's service-tag file). */
static size_t public_sets(const facts *f, const moat_prefix_set **sets)
{
    size_t n = 0;
    const profile *pf = f->nsp ? f->a->profile : NULL;
    if (f->firewall)
        sets[n++] = &f->r->ips;
    if (pf)
        sets[n++] = &pf->prefixes;
    if (pf && !f->storage && f->es->has_service_tags)
        sets[n++] = &pf->tag_prefixes;
    return n;
}

static moat_u128 u128_add(moat_u128 a, moat_u128 b)
{
    moat_u128 r = {a.hi + b.hi, a.lo + b.lo};
    r.hi += r.lo < a.lo;
    return r;
}

/* hi - lo + 1 (lo <= hi); wraps to 0 for the whole 128-bit space. */
static moat_u128 span_size(span s)
{
    moat_u128 r = {s.hi.hi - s.lo.hi, s.hi.lo - s.lo.lo};
    r.hi -= s.hi.lo < s.lo.lo;
    moat_u128 one = {0, 1};
    return u128_add(r, one);
}

/* The size of the union of s[0..k) (k > 0, sorted here); *whole when it is
** the whole 128-bit space. */
static moat_u128 union_size(span *s, size_t k, int *whole)
{
    qsort(s, k, sizeof *s, cmp_span);
    moat_u128 total = {0, 0}, max = {UINT64_MAX, UINT64_MAX};
    span cur = s[0];
    for (size_t i = 1; i < k; i++) {
        moat_u128 next = u128_add(cur.hi, (moat_u128){0, 1});
        if (moat__u128_cmp(cur.hi, max) == 0 ||
            moat__u128_cmp(s[i].lo, next) <= 0) {
            if (moat__u128_cmp(s[i].hi, cur.hi) > 0)
                cur.hi = s[i].hi;
        } else {
            total = u128_add(total, span_size(cur));
            cur = s[i];
        }
    }
    *whole = k && cur.lo.hi == 0 && cur.lo.lo == 0 &&
             moat__u128_cmp(cur.hi, max) == 0 && total.hi == 0 && total.lo == 0;
    return u128_add(total, span_size(cur));
}

/* Adds the ranges of family 4 or 6 of set p to s at *k. */
static void add_spans(span *s, size_t *k, const moat_prefix_set *p, int family)
{
    if (family == 4)
        for (uint32_t i = 0; i < p->n4; i++)
            s[(*k)++] = (span){{0, p->v4[i].lo}, {0, p->v4[i].hi}};
    else
        for (uint32_t i = 0; i < p->n6; i++)
            s[(*k)++] = (span){p->v6[i].lo, p->v6[i].hi};
}

/* The public addresses of one family (4 or 6) admitted. Out of memory
** fails the whole audit rather than understate the exposure. */
static addr_count internet_addresses(moat_audit *a, const facts *f, int family)
{
    const resource *r = f->r;
    addr_count out = {{0, 0}, 0};
    if (f->locked)
        return out;
    if (f->firewall && r->default_allow) {
        out.all = 1;
        out.n.lo = family == 4 ? 1ULL << 32 : 0;
        return out;
    }
    const moat_prefix_set *sets[3];
    size_t n_sets = public_sets(f, sets), n = 0;
    for (size_t i = 0; i < n_sets; i++)
        n += family == 4 ? sets[i]->n4 : sets[i]->n6;
    span *s = n ? malloc(n * sizeof *s) : NULL;
    if (s == NULL) {
        a->failed |= n != 0;
        return out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_sets; i++)
        add_spans(s, &k, sets[i], family);
    int whole;
    out.n = union_size(s, k, &whole);
    free(s);
    out.all = family == 4 ? out.n.hi == 0 && out.n.lo == 1ULL << 32 : whole;
    return out;
}

/* A count as decimal text: "every IPv6 address" for the whole space. */
static const char *count_text(moat_audit *a, addr_count c)
{
    if (c.all && c.n.hi == 0 && c.n.lo == 0)
        return "every";
    uint32_t w[4] = {(uint32_t)(c.n.hi >> 32), (uint32_t)c.n.hi,
                     (uint32_t)(c.n.lo >> 32), (uint32_t)c.n.lo};
    char buf[48];
    size_t i = sizeof buf - 1;
    buf[i] = '\0';
    do { /* long division by 10, 32 bits at a time */
        uint64_t rem = 0;
        for (int k = 0; k < 4; k++) {
            uint64_t cur = (rem << 32) | w[k];
            w[k] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        buf[--i] = (char)('0' + rem);
    } while (w[0] | w[1] | w[2] | w[3]);
    return fmt(a, "%s", buf + i);
}

/*--------------------------------------------------------------------------
** Findings.
*/
typedef struct finding_builder {
    moat_audit *a;
    moat_finding *f;
    VEC_OF(moat_evidence) ev;
} finding_builder;

static void fingerprint(moat_audit *a, moat_finding *f, const char *what)
{
    char key[2048];
    snprintf(key, sizeof key, "%s|%s|%s", f->rule->id, f->resource,
             what ? what : "");
    uint64_t h = moat__hash_ci(key, strlen(key));
    f->fingerprint = fmt(a, "%016llx", (unsigned long long)h);
}

/* For audit/deps.c (audit_deps.h). */
moat_finding *moat__audit_add_finding(moat_audit *a, const char *rule_id,
                                      const char *resource_id, const char *name,
                                      const char *address, const char *file,
                                      unsigned line, const char *message,
                                      const char *what)
{
    size_t k = 0;
    while (k < R_COUNT && strcmp(rules[k].id, rule_id) != 0)
        k++;
    moat_finding *f = k < R_COUNT ? PUSH(a, a->findings) : NULL;
    if (f == NULL)
        return NULL;
    f->rule = &rules[k];
    f->level = rules[k].level;
    f->resource = resource_id;
    f->resource_name = name;
    f->address = address;
    f->file = file;
    f->line = line;
    f->message = message;
    f->fix = "";
    fingerprint(a, f, what);
    return f;
}

moat_audited *moat__audit_add_resource(moat_audit *a)
{
    return PUSH(a, a->resources);
}

size_t moat__audit_n_findings(const moat_audit *a)
{
    return a->findings.n;
}

void moat__audit_set_failed(moat_audit *a)
{
    a->failed = 1;
}

deps_run *moat__audit_deps(const moat_audit *a)
{
    return a->deps;
}

size_t moat_audit_dependency_count(const moat_audit *a)
{
    return a ? moat__deps_count(a->deps) : 0;
}

const moat_dependency *moat_audit_dependency(const moat_audit *a, size_t i)
{
    return a ? moat__deps_at(a->deps, i) : NULL;
}

static moat_finding *finding(moat_audit *a, const resource *r, int rule,
                             const char *what, const char *message)
{
    moat_finding *f = PUSH(a, a->findings);
    if (f == NULL)
        return NULL;
    f->rule = &rules[rule];
    f->level = rules[rule].level;
    f->resource = r->id;
    f->resource_name = r->name;
    f->address = r->address;
    f->file = r->file;
    f->line = r->line;
    f->message = message;
    f->fix = "";
    fingerprint(a, f, what);
    return f;
}

static void evidence(moat_audit *a, moat_finding *f, const char *path,
                     const char *value, moat_basis b)
{
    if (f == NULL)
        return;
    moat_evidence *e =
        moat__arena_alloc(&a->arena, (f->n_evidence + 1) * sizeof *e);
    if (e == NULL) {
        a->failed = 1;
        return;
    }
    if (f->n_evidence)
        memcpy(e, f->evidence, f->n_evidence * sizeof *e);
    e[f->n_evidence].path = path;
    e[f->n_evidence].value = value;
    e[f->n_evidence].basis = b;
    f->evidence = e;
    f->n_evidence++;
}

/* networkAcls.bypass as Azure writes it back: "Logging, Metrics,
** AzureServices", or "None". */
static const char *bypass_text(unsigned bypass)
{
    static const char *const text[8] = {
        "None",
        "Logging",
        "Metrics",
        "Logging, Metrics",
        "AzureServices",
        "Logging, AzureServices",
        "Metrics, AzureServices",
        "Logging, Metrics, AzureServices",
    };
    unsigned k = ((bypass & BYPASS_LOGGING) ? 1u : 0u) |
                 ((bypass & BYPASS_METRICS) ? 2u : 0u) |
                 ((bypass & BYPASS_AZURE_SERVICES) ? 4u : 0u);
    return text[k];
}

static const char *az_target(moat_audit *a, const resource *r)
{
    return r->kind == RES_STORAGE
               ? fmt(a, "--resource-group %s --account-name %s", rg_of(a, r),
                     r->name)
               : fmt(a, "--resource-group %s --name %s", rg_of(a, r), r->name);
}

static const char *az_update(moat_audit *a, const resource *r, const char *args)
{
    return fmt(a, "az %s update --resource-group %s --name %s %s",
               r->kind == RES_STORAGE ? "storage account" : "keyvault",
               rg_of(a, r), r->name, args);
}

/* Every address of a family gets in: the default action Allow, or address
** rules covering the whole IPv4 or the whole IPv6 space ("::/0" in
** ipv6Rules: moat check admits any IPv6 source through it). */
static void find_internet(moat_audit *a, const facts *f)
{
    addr_count v4 = internet_addresses(a, f, 4);
    addr_count v6 = internet_addresses(a, f, 6);
    if (!v4.all && !v6.all)
        return;
    const resource *r = f->r;
    moat_finding *x = finding(
        a, r, R_INTERNET, NULL,
        fmt(a, "%s %s admits every %saddress on the public path: %s",
            r->kind == RES_STORAGE ? "Storage account" : "Key vault", r->name,
            v4.all ? "" : "IPv6 ",
            r->default_allow && f->firewall
                ? (r->acl_basis == BASIS_DEFAULT
                       ? "no networkAcls, so Azure's default action Allow applies"
                       : "networkAcls.defaultAction is Allow")
            : v4.all ? "its address rules cover the whole IPv4 space"
                     : "its address rules cover the whole IPv6 space"));
    evidence(a, x, "properties.publicNetworkAccess", moat__pna_name(r->pna),
             to_basis(r->pna_basis));
    evidence(a, x, "properties.networkAcls.defaultAction",
             r->default_allow ? "Allow" : "Deny", to_basis(r->default_basis));
    if (x)
        x->fix = az_update(a, r, "--default-action Deny");
}

/* Many narrow rules can add up to a wide opening: the union of the IPv4
** addresses the public path admits, counted once each, when no single rule
** was already reported and the whole space is not open (MOAT001 says so). */
static void find_wide_union(moat_audit *a, const facts *f, uint64_t threshold,
                            size_t before)
{
    if (a->findings.n != before)
        return;
    addr_count v4 = internet_addresses(a, f, 4);
    uint64_t n = v4.n.lo;
    if (v4.all || n <= threshold)
        return;
    moat_finding *x = finding(
        a, f->r, R_WIDE_RANGE, "union",
        fmt(a,
            "IP and perimeter address rules together admit %llu IPv4 addresses, more than %llu, though no single rule does",
            (unsigned long long)n, (unsigned long long)threshold));
    if (x && n >= (1ULL << 24))
        x->level = MOAT_LEVEL_HIGH;
    evidence(a, x, "properties.networkAcls.ipRules",
             fmt(a, "%u rules", f->r->n_ip4), MOAT_BASIS_EXPLICIT);
}

static void find_wide(moat_audit *a, const facts *f, uint64_t threshold)
{
    const resource *r = f->r;
    size_t before = a->findings.n;
    for (uint16_t i = 0; i < r->n_ip4 + r->n_ip6; i++) {
        const ip_rule *ir = i < r->n_ip4 ? &r->ip4[i] : &r->ip6[i - r->n_ip4];
        uint64_t n = moat__cidr_size(&ir->cidr);
        /* IPv6 ranges are judged by the same count of /64 networks. */
        if (ir->cidr.addr.family == 6)
            n = ir->cidr.prefix >= 64          ? 1
                : (64 - ir->cidr.prefix) >= 63 ? UINT64_MAX
                                               : 1ULL << (64 - ir->cidr.prefix);
        if (n <= threshold)
            continue;
        const char *list = i < r->n_ip4 ? "ipRules" : "ipv6Rules";
        moat_finding *x = finding(
            a, r, R_WIDE_RANGE, ir->text,
            fmt(a, "%s[%u] %s admits %llu %s%s", list, ir->index, ir->text,
                (unsigned long long)n,
                ir->cidr.addr.family == 6 ? "/64 networks" : "addresses",
                f->firewall
                    ? ""
                    : " (not in force now: the firewall's IP rules are not consulted)"));
        if (x && n >= (1ULL << 24))
            x->level = MOAT_LEVEL_HIGH;
        evidence(a, x,
                 fmt(a, "properties.networkAcls.%s[%u].value", list, ir->index),
                 ir->text, MOAT_BASIS_EXPLICIT);
        if (x)
            x->fix =
                fmt(a,
                    r->kind == RES_STORAGE
                        ? "az storage account network-rule remove %s --%s %s"
                        : "az keyvault network-rule remove %s --%s %s",
                    az_target(a, r),
                    ir->cidr.addr.family == 6 ? "ipv6-address" : "ip-address",
                    ir->text);
    }
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    for (uint16_t k = 0; pf && k < pf->n_rules; k++) {
        const access_rule *ar = &pf->rules[k];
        for (uint16_t p = 0; ar->inbound && p < ar->n_prefixes; p++) {
            uint64_t n = moat__cidr_size(&ar->cidrs[p]);
            if (ar->cidrs[p].addr.family != 4 || n <= threshold)
                continue;
            moat_finding *x = finding(
                a, r, R_WIDE_RANGE, fmt(a, "%s/%s", ar->name, ar->prefixes[p]),
                fmt(a,
                    "perimeter rule %s of profile %s admits %s: %llu addresses",
                    ar->name, pf->name, ar->prefixes[p],
                    (unsigned long long)n));
            if (x && n >= (1ULL << 24))
                x->level = MOAT_LEVEL_HIGH;
            evidence(a, x,
                     fmt(a, "%s.properties.addressPrefixes[%u]", ar->id, p),
                     ar->prefixes[p], MOAT_BASIS_EXPLICIT);
        }
    }
    find_wide_union(a, f, threshold, before);
}

static void find_log_metrics(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    if (!f->storage || !f->fallback ||
        !(r->bypass & (BYPASS_LOGGING | BYPASS_METRICS)))
        return;
    int firewall_open = f->firewall && r->default_allow;
    if (firewall_open)
        return; /* everything is open anyway; MOAT001 says so */
    const char *what =
        (r->bypass & BYPASS_LOGGING) && (r->bypass & BYPASS_METRICS)
            ? "the $logs container and the $Metrics tables"
        : (r->bypass & BYPASS_LOGGING) ? "the $logs container"
                                       : "the $Metrics tables";
    moat_finding *x = finding(
        a, r, R_LOG_METRICS, NULL,
        fmt(a, "reads of %s are admitted from any network, past the firewall%s",
            what,
            r->pna == PNA_DISABLED ? " and past publicNetworkAccess Disabled"
                                   : ""));
    evidence(a, x, "properties.networkAcls.bypass", bypass_text(r->bypass),
             to_basis(r->bypass_basis));
    if (x)
        x->fix = az_update(a, r,
                           (r->bypass & BYPASS_AZURE_SERVICES)
                               ? "--bypass AzureServices"
                               : "--bypass None");
}

static void find_instance_rules(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_rars; i++) {
        const rar_rule *p = &r->rars[i];
        const char *path =
            fmt(a, "properties.networkAcls.resourceAccessRules[%u]", p->index);
        if (p->wildcard) {
            /* /subscriptions/{s}/resourceGroups/{g}/providers/NS/type/{n} */
            int star_sub = p->nseg > 1 && p->seg_len[1] == 1 &&
                           p->resource_id[p->seg_off[1]] == '*';
            int star_rg = p->nseg > 3 && p->seg_len[3] == 1 &&
                          p->resource_id[p->seg_off[3]] == '*';
            const char *breadth =
                star_sub  ? "every subscription of the tenant"
                : star_rg ? "every resource group of the subscription"
                          : "the resource group";
            moat_finding *x = finding(
                a, r, R_WILDCARD_INSTANCE, p->resource_id,
                fmt(a,
                    "resource instance rule %s admits every matching resource in %s (tenant %s)",
                    p->resource_id, breadth, p->tenant_text));
            if (x)
                x->level = star_sub  ? MOAT_LEVEL_HIGH
                           : star_rg ? MOAT_LEVEL_MEDIUM
                                     : MOAT_LEVEL_LOW;
            evidence(a, x, fmt(a, "%s.resourceId", path), p->resource_id,
                     MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix = fmt(
                    a,
                    "az storage account network-rule remove %s --resource-id \"%s\" --tenant-id %s",
                    az_target(a, r), p->resource_id, p->tenant_text);
        }
        if (r->tenant != MOAT_ID_NONE && !moat__same_id(p->tenant, r->tenant)) {
            moat_finding *x = finding(
                a, r, R_CROSS_TENANT_INSTANCE, p->resource_id,
                fmt(a,
                    "resource instance rule %s names tenant %s; the account is in tenant %s, and Azure admits only its own tenant's instances: the rule admits nothing",
                    p->resource_id, p->tenant_text, r->tenant_text));
            evidence(a, x, fmt(a, "%s.tenantId", path), p->tenant_text,
                     MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix = fmt(
                    a,
                    "az storage account network-rule remove %s --resource-id \"%s\" --tenant-id %s",
                    az_target(a, r), p->resource_id, p->tenant_text);
        }
    }
}

static void find_disabled_exceptions(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    if (r->pna != PNA_DISABLED || !f->fallback)
        return;
    char what[256] = "";
    size_t n = 0;
    if (r->bypass & BYPASS_AZURE_SERVICES)
        n += (size_t)snprintf(what + n, sizeof what - n, "%strusted services",
                              n ? ", " : "");
    if (f->storage && r->n_rars)
        n += (size_t)snprintf(what + n, sizeof what - n,
                              "%s%u resource instance rule%s", n ? ", " : "",
                              r->n_rars, r->n_rars == 1 ? "" : "s");
    if (f->storage && (r->bypass & BYPASS_LOGGING))
        n += (size_t)snprintf(what + n, sizeof what - n, "%sLogging",
                              n ? ", " : "");
    if (f->storage && (r->bypass & BYPASS_METRICS))
        n += (size_t)snprintf(what + n, sizeof what - n, "%sMetrics",
                              n ? ", " : "");
    if (n == 0)
        return;
    moat_finding *x = finding(
        a, r, R_DISABLED_EXCEPTIONS, NULL,
        fmt(a,
            "publicNetworkAccess is Disabled, yet %s still admit traffic from outside private endpoints",
            what));
    evidence(a, x, "properties.publicNetworkAccess", "Disabled",
             to_basis(r->pna_basis));
    evidence(a, x, "properties.networkAcls.bypass",
             (r->bypass & BYPASS_AZURE_SERVICES) ? "AzureServices" : "None",
             to_basis(r->bypass_basis));
    if (x)
        x->fix = az_update(a, r, "--bypass None");
}

static void find_lockdown(moat_audit *a, const facts *f)
{
    if (!f->locked)
        return;
    moat_finding *x = finding(
        a, f->r, R_LOCKDOWN, NULL,
        fmt(a,
            "publicNetworkAccess is SecuredByPerimeter and no perimeter is associated: every public and trusted request is refused; %u private endpoint connection%s",
            f->r->n_pes, f->r->n_pes == 1 ? "" : "s"));
    evidence(a, x, "properties.publicNetworkAccess", "SecuredByPerimeter",
             to_basis(f->r->pna_basis));
}

/* What the resource's own rules admit today that Enforced would cut off. */
static void find_not_enforcing(moat_audit *a, const facts *f)
{
    const assoc *as = f->a;
    if (as == NULL || as->mode == MODE_ENFORCED)
        return;
    const resource *r = f->r;
    char lost[512] = "";
    size_t n = 0;
    if (f->firewall && r->default_allow)
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "every address (default action Allow)");
    else if (f->firewall && r->n_ip4 + r->n_ip6)
        n += (size_t)snprintf(lost + n, sizeof lost - n, "%u IP rule%s",
                              r->n_ip4 + r->n_ip6,
                              r->n_ip4 + r->n_ip6 == 1 ? "" : "s");
    if (f->firewall && !r->default_allow && r->n_vnet_active)
        n += (size_t)snprintf(
            lost + n, sizeof lost - n, "%s%u virtual network rule%s",
            n ? ", " : "", r->n_vnet_active, r->n_vnet_active == 1 ? "" : "s");
    if (f->fallback && (r->bypass & BYPASS_AZURE_SERVICES))
        n += (size_t)snprintf(lost + n, sizeof lost - n, "%strusted services",
                              n ? ", " : "");
    if (f->fallback && f->storage && own_tenant_rars(r))
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "%s%u resource instance rule%s", n ? ", " : "",
                              own_tenant_rars(r),
                              own_tenant_rars(r) == 1 ? "" : "s");
    if (f->fallback && f->storage &&
        (r->bypass & (BYPASS_LOGGING | BYPASS_METRICS)))
        n +=
            (size_t)snprintf(lost + n, sizeof lost - n,
                             "%sthe Logging/Metrics exceptions", n ? ", " : "");
    moat_finding *x = finding(
        a, r, R_NOT_ENFORCING, as->id,
        fmt(a, "association %s of perimeter %s is in %s mode%s%s%s", as->name,
            as->perimeter ? as->perimeter->name : "?", as->mode_text,
            as->mode == MODE_AUDIT ? ": the perimeter only reports" : "",
            n ? "; Enforced would cut off "
              : "; Enforced would change nothing the resource's rules admit",
            lost));
    evidence(a, x, fmt(a, "%s.properties.accessMode", as->id), as->mode_text,
             MOAT_BASIS_EXPLICIT);
    if (x)
        x->fix = fmt(
            a,
            "az network perimeter association update --resource-group %s --perimeter-name %s --name %s --access-mode Enforced",
            rg_of_id(a, as->perimeter ? as->perimeter->id : NULL),
            as->perimeter ? as->perimeter->name : "<perimeter>", as->name);
}

static void find_vnet_rules(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_vnets; i++) {
        const vnet_rule *v = &r->vnets[i];
        const char *path =
            fmt(a, "properties.networkAcls.virtualNetworkRules[%u]", v->index);
        if (v->state != VNET_SUCCEEDED && v->state != VNET_ABSENT &&
            v->state != VNET_UNKNOWN) {
            moat_finding *x = finding(
                a, r, R_VNET_INACTIVE, v->id,
                fmt(a,
                    "virtual network rule for %s is in state %s and admits nothing",
                    v->id, moat__vnet_state_name(v->state)));
            evidence(a, x, fmt(a, "%s.state", path),
                     moat__vnet_state_name(v->state), MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix =
                    fmt(a, "az %s network-rule remove %s --subnet %s",
                        r->kind == RES_STORAGE ? "storage account" : "keyvault",
                        az_target(a, r), v->id);
        }
        const subnet_info *si =
            moat__index_get(&f->es->subnet_by_id, v->id, strlen(v->id));
        if (si && !moat__subnet_reaches(si, r)) {
            const char *need =
                r->kind == RES_KEYVAULT
                    ? "Microsoft.KeyVault"
                    : "Microsoft.Storage (or Microsoft.Storage.Global)";
            moat_finding *x = finding(
                a, r, R_VNET_NO_ENDPOINT, v->id,
                fmt(a,
                    "subnet %s has no %s service endpoint reaching %s: its traffic takes the public path and this rule never matches",
                    v->id, need, r->location ? r->location : "the resource"));
            evidence(a, x, fmt(a, "%s.id", path), v->id, MOAT_BASIS_EXPLICIT);
            if (x) {
                moat_segments s;
                const char *rg = "<resource-group>", *vnet = "<vnet>",
                           *sn = "<subnet>";
                if (moat__segments_split(v->id, strlen(v->id), &s) == 0 &&
                    s.n >= 10) {
                    rg = fmt(a, "%.*s", s.len[3], v->id + s.off[3]);
                    vnet = fmt(a, "%.*s", s.len[7], v->id + s.off[7]);
                    sn = fmt(a, "%.*s", s.len[9], v->id + s.off[9]);
                }
                x->fix = fmt(
                    a,
                    "az network vnet subnet update --resource-group %s --vnet-name %s --name %s --service-endpoints %s",
                    rg, vnet, sn,
                    r->kind == RES_KEYVAULT ? "Microsoft.KeyVault"
                                            : "Microsoft.Storage");
            }
        }
    }
}

static void find_rejects(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_rejects; i++) {
        const rejected_rule *rj = &r->rejects[i];
        moat_finding *x =
            finding(a, r, R_INVALID_RULE, fmt(a, "%s/%s", rj->list, rj->value),
                    fmt(a, "%s[%u]: %s", rj->list, rj->index, rj->message));
        if (x && rj->line)
            x->line = rj->line;
        evidence(a, x,
                 fmt(a, "properties.networkAcls.%s[%u]", rj->list, rj->index),
                 rj->value, MOAT_BASIS_EXPLICIT);
        if (x && strcmp(rj->list, "ipRules") == 0)
            x->fix =
                fmt(a, "az %s network-rule remove %s --ip-address %s",
                    r->kind == RES_STORAGE ? "storage account" : "keyvault",
                    az_target(a, r), rj->value);
    }
}

static void find_pe_states(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_pes; i++) {
        const pe_conn *c = &r->pes[i];
        if (c->status == PE_APPROVED || c->status == PE_UNKNOWN)
            continue;
        const char *from = c->pe_id[0] ? c->pe_id : c->name;
        moat_finding *x = finding(
            a, r, R_PE_NOT_APPROVED, from,
            fmt(a,
                "private endpoint connection from %s is %s and carries no traffic",
                from, c->status_text));
        evidence(a, x, "properties.privateEndpointConnections", c->status_text,
                 MOAT_BASIS_EXPLICIT);
        if (x)
            x->fix = fmt(
                a,
                "az network private-endpoint-connection approve --id %s/privateEndpointConnections/<connection>",
                r->id);
    }
}

static void find_unknowns(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    static const struct {
        size_t off;
        const char *path;
    } fields[] = {
        {offsetof(resource, pna_basis), "properties.publicNetworkAccess"},
        {offsetof(resource, acl_basis), "properties.networkAcls"},
        {offsetof(resource, default_basis),
         "properties.networkAcls.defaultAction"},
        {offsetof(resource, bypass_basis), "properties.networkAcls.bypass"},
        {offsetof(resource, ip_basis), "properties.networkAcls.ipRules"},
        {offsetof(resource, vnet_basis),
         "properties.networkAcls.virtualNetworkRules"},
        {offsetof(resource, rar_basis),
         "properties.networkAcls.resourceAccessRules"},
        {offsetof(resource, pe_basis), "properties.privateEndpointConnections"},
    };
    moat_finding *x = NULL;
    for (size_t i = 0; i < MOAT_ARRAY_LEN(fields); i++) {
        basis b = *(const basis *)((const char *)r + fields[i].off);
        if (b != BASIS_UNKNOWN)
            continue;
        if (x == NULL)
            x = finding(a, r, R_UNKNOWN, NULL, "");
        evidence(a, x, fields[i].path, "unknown", MOAT_BASIS_UNKNOWN);
    }
    if (mode_basis(f) == MOAT_BASIS_UNKNOWN) {
        if (x == NULL)
            x = finding(a, r, R_UNKNOWN, NULL, "");
        evidence(a, x, fmt(a, "%s.properties.accessMode", f->a->id), "unknown",
                 MOAT_BASIS_UNKNOWN);
    }
    int pe_unknown = 0;
    for (uint16_t i = 0; i < r->n_pes; i++)
        pe_unknown |= r->pes[i].status == PE_UNKNOWN;
    if (pe_unknown) {
        if (x == NULL)
            x = finding(a, r, R_UNKNOWN, NULL, "");
        evidence(a, x, "properties.privateEndpointConnections[].status",
                 "unknown", MOAT_BASIS_UNKNOWN);
    }
    if (x) {
        moat_buf b;
        moat__buf_init(&b, 0);
        int tf = r->origin && strcmp(r->origin, "terraform") == 0;
        moat__buf_puts(&b, "unknown: ");
        for (size_t i = 0; i < x->n_evidence; i++)
            moat__buf_printf(&b, "%s%s", i ? ", " : "", x->evidence[i].path);
        moat__buf_puts(
            &b,
            !tf ? " (template expressions)"
            : pe_unknown
                ? " (values known only after apply; a private endpoint connection's approval is decided on the target, outside Terraform)"
                : " (values known only after apply)");
        x->message = fmt(a, "%s", moat__buf_cstr(&b));
        moat__buf_free(&b);
    }
}

/* A storage account's perimeter rules with service tags never admit
** (decision.md sections 1 and 7). */
static void find_tag_rules(moat_audit *a, const facts *f)
{
    const profile *pf = f->a ? f->a->profile : NULL;
    for (uint16_t i = 0; f->storage && pf && i < pf->n_rules; i++) {
        const access_rule *ar = &pf->rules[i];
        if (!ar->inbound || ar->n_service_tags == 0)
            continue;
        const char *tags = "";
        for (uint16_t k = 0; k < ar->n_service_tags; k++)
            tags = fmt(a, "%s%s%s", tags, k ? ", " : "", ar->service_tags[k]);
        moat_finding *x = finding(
            a, f->r, R_STORAGE_TAG_RULE, ar->id ? ar->id : ar->name,
            fmt(a,
                "inbound rule %s of perimeter profile %s names service tags (%s): Azure Storage does not support them, so it admits none of this account's callers",
                ar->name, pf->name, tags));
        evidence(
            a, x,
            fmt(a, "%s.properties.serviceTags", ar->id ? ar->id : ar->name),
            tags, MOAT_BASIS_EXPLICIT);
    }
}

static void find_tenant(moat_audit *a, const facts *f)
{
    if (f->r->tenant != MOAT_ID_NONE)
        return;
    moat_finding *x = finding(
        a, f->r, R_TENANT_UNKNOWN, NULL,
        f->storage
            ? "the account's subscription is not in the estate, so its tenant is unknown: trusted services are refused (fail closed)"
            : "the vault has no properties.tenantId: trusted services are refused (fail closed)");
    evidence(a, x, f->storage ? "subscription" : "properties.tenantId",
             "unknown", MOAT_BASIS_UNKNOWN);
}

/*--------------------------------------------------------------------------
** Controls.
*/
typedef struct verdict {
    moat_control_status status;
    moat_basis basis;
    const char *reason;
} verdict;

/* An unknown value the verdict rests on fails the control: moat never
** guesses it (docs/audit.md). */
static verdict judge(int pass, moat_basis b, const char *reason)
{
    verdict v;
    v.status =
        pass && b != MOAT_BASIS_UNKNOWN ? MOAT_CONTROL_PASS : MOAT_CONTROL_FAIL;
    v.basis = b;
    v.reason = reason;
    return v;
}

/* The public path denies by default: publicNetworkAccess Disabled or
** SecuredByPerimeter, an Enforced perimeter, or defaultAction Deny. */
static verdict default_deny(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    moat_basis pb = to_basis(r->pna_basis);
    if (r->pna == PNA_DISABLED && pb != MOAT_BASIS_UNKNOWN)
        return judge(1, pb, "publicNetworkAccess is Disabled");
    /* SecuredByPerimeter shuts the public path when there is no perimeter
    ** (lockdown) or one that decides; under an Audit association the
    ** resource's own firewall decides (decision.md section 4, step 5). */
    if (r->pna == PNA_SECURED_BY_PERIMETER && !f->fallback)
        return judge(1, pb, "publicNetworkAccess is SecuredByPerimeter");
    if (f->enforced)
        return judge(
            1, mode_basis(f),
            fmt(a, "perimeter association %s is Enforced", f->a->name));
    /* Deny decides whatever publicNetworkAccess is: the verdict rests on
    ** the default action alone. */
    moat_basis db = to_basis(r->default_basis);
    if (!r->default_allow)
        return judge(1, db,
                     db == MOAT_BASIS_UNKNOWN
                         ? "networkAcls.defaultAction is unknown"
                         : "networkAcls.defaultAction is Deny");
    if (pb == MOAT_BASIS_UNKNOWN)
        return judge(0, MOAT_BASIS_UNKNOWN, "publicNetworkAccess is unknown");
    return judge(0, weaker(pb, db),
                 r->acl_basis == BASIS_DEFAULT
                     ? "no networkAcls: Azure's default action is Allow"
                     : "networkAcls.defaultAction is Allow");
}

static verdict trusted_services(const facts *f, int cis4)
{
    const resource *r = f->r;
    moat_basis bb = to_basis(r->bypass_basis);
    /* CIS 4.0 and later: the control assumes public access "Enabled from
    ** selected virtual networks and IP addresses". */
    if (cis4) {
        moat_basis sb =
            weaker(to_basis(r->pna_basis), to_basis(r->default_basis));
        int selected = r->pna == PNA_ENABLED && !r->default_allow;
        if (sb == MOAT_BASIS_UNKNOWN)
            return judge(
                0, MOAT_BASIS_UNKNOWN,
                "whether public access is limited to selected networks is unknown");
        if (!selected) {
            verdict v = {
                MOAT_CONTROL_NOT_APPLICABLE, sb,
                r->pna != PNA_ENABLED
                    ? "public access is not enabled from selected networks (publicNetworkAccess is not Enabled)"
                    : "public access is not limited to selected networks (defaultAction Allow)"};
            return v;
        }
    }
    if (!f->fallback)
        return judge(
            0, MOAT_BASIS_EXPLICIT,
            f->locked
                ? "SecuredByPerimeter without a perimeter refuses trusted services"
                : "the perimeter decides alone: trusted services are not consulted");
    if (f->firewall && r->default_allow)
        return judge(
            1, weaker(to_basis(r->pna_basis), to_basis(r->default_basis)),
            "the default action Allow admits every caller, trusted services included");
    if (bb == MOAT_BASIS_UNKNOWN)
        return judge(0, bb, "networkAcls.bypass is unknown");
    if (r->bypass & BYPASS_AZURE_SERVICES)
        return judge(
            1, bb,
            bb == MOAT_BASIS_DEFAULT
                ? "bypass is absent: Azure's default AzureServices applies"
                : "bypass includes AzureServices");
    return judge(0, bb, "bypass does not include AzureServices");
}

/* Private endpoint connections: how many are Approved, how many have an
** unknown status (none stated, a template's endpoint, a value known only
** after apply), and the basis of what is known about them: unknown when
** the list or any status is. */
static moat_basis pe_counts(const resource *r, unsigned *approved,
                            unsigned *unknown)
{
    *approved = *unknown = 0;
    for (uint16_t i = 0; i < r->n_pes; i++) {
        *approved += r->pes[i].status == PE_APPROVED;
        *unknown += r->pes[i].status == PE_UNKNOWN;
    }
    return *unknown ? MOAT_BASIS_UNKNOWN : to_basis(r->pe_basis);
}

static verdict private_endpoint(const facts *f)
{
    const resource *r = f->r;
    unsigned approved, unknown;
    moat_basis b = pe_counts(r, &approved, &unknown);
    if (approved)
        return judge(1, MOAT_BASIS_EXPLICIT,
                     "an Approved private endpoint connection exists");
    if (unknown)
        return judge(
            0, MOAT_BASIS_UNKNOWN,
            "private endpoint connections exist but whether any is Approved is unknown");
    if (b == MOAT_BASIS_UNKNOWN)
        return judge(
            0, b,
            "privateEndpointConnections is unknown: whether an Approved connection exists is unknown");
    return judge(0, b,
                 r->n_pes ? "no private endpoint connection is Approved"
                          : "no private endpoint connection");
}

static verdict public_access_disabled(const facts *f)
{
    const resource *r = f->r;
    moat_basis pb = to_basis(r->pna_basis);
    if (pb == MOAT_BASIS_UNKNOWN)
        return judge(0, pb, "publicNetworkAccess is unknown");
    /* A Learning or Enforced perimeter decides before publicNetworkAccess
    ** (decision.md section 4, step 4): its address rules admit public
    ** sources even when the setting says Disabled. */
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    int open = pf && (pf->prefixes.n4 || pf->prefixes.n6);
    if (r->pna == PNA_DISABLED)
        return judge(
            !open, pb,
            open
                ? "publicNetworkAccess is Disabled, but the perimeter decides first and its address rules admit public sources"
                : "publicNetworkAccess is Disabled");
    if (r->pna == PNA_SECURED_BY_PERIMETER && f->fallback)
        return judge(
            0, pb,
            "SecuredByPerimeter under an Audit-mode association: the resource's own firewall decides");
    if (r->pna == PNA_SECURED_BY_PERIMETER)
        return judge(
            !open, pb,
            open
                ? "SecuredByPerimeter, and perimeter address rules admit public sources"
                : "SecuredByPerimeter with no perimeter address rule: no public source is admitted");
    /* An Enforced association decides alone whatever the setting says. */
    if (f->enforced)
        return judge(
            !open, mode_basis(f),
            open
                ? "publicNetworkAccess is Enabled and the Enforced perimeter's address rules admit public sources"
                : "publicNetworkAccess is Enabled, but the Enforced perimeter decides and has no address rule: no public source is admitted");
    return judge(
        0, pb,
        pb == MOAT_BASIS_DEFAULT
            ? "publicNetworkAccess is absent: Azure's default is Enabled"
            : "publicNetworkAccess is Enabled");
}

typedef struct audit_run {
    moat_audit *a;
    const moat_estate *es;
    int cis_only; /* index into cis_versions, or -1 for all */
} audit_run;

static const char *control_fix(moat_audit *a, int control, const resource *r)
{
    switch (control) {
    case C_STORAGE_DEFAULT_DENY:
    case C_KEYVAULT_DEFAULT_DENY:
        return az_update(a, r, "--default-action Deny");
    case C_STORAGE_TRUSTED: return az_update(a, r, "--bypass AzureServices");
    case C_STORAGE_PNA:
    case C_KEYVAULT_PNA:
        return az_update(a, r, "--public-network-access Disabled");
    case C_STORAGE_PE:
    case C_KEYVAULT_PE:
        return fmt(
            a,
            "az network private-endpoint create --resource-group %s --name pe-%s --vnet-name <vnet> --subnet <subnet> --private-connection-resource-id %s --group-id %s --connection-name %s",
            rg_of(a, r), r->name, r->id,
            r->kind == RES_STORAGE ? "blob" : "vault", r->name);
    }
    return "";
}

/* Records one verdict for the versions in [from, to) that list control. */
/* The fields a control's verdict rests on, with their values and bases. */
static void control_evidence(moat_audit *a, moat_finding *x, int control,
                             const facts *f)
{
    const resource *r = f->r;
    if (control == C_STORAGE_PE || control == C_KEYVAULT_PE) {
        unsigned approved, unknown;
        moat_basis b = pe_counts(r, &approved, &unknown);
        evidence(a, x, "properties.privateEndpointConnections",
                 b == MOAT_BASIS_UNKNOWN && r->n_pes == 0
                     ? "unknown"
                     : fmt(a, "%u Approved, %u unknown, of %u", approved,
                           unknown, r->n_pes),
                 b);
        return;
    }
    evidence(a, x, "properties.publicNetworkAccess", moat__pna_name(r->pna),
             to_basis(r->pna_basis));
    if (control != C_STORAGE_PNA && control != C_KEYVAULT_PNA)
        evidence(a, x, "properties.networkAcls.defaultAction",
                 r->default_allow ? "Allow" : "Deny",
                 to_basis(r->default_basis));
    if (control == C_STORAGE_TRUSTED)
        evidence(a, x, "properties.networkAcls.bypass", bypass_text(r->bypass),
                 to_basis(r->bypass_basis));
    if (f->a)
        evidence(a, x, fmt(a, "%s.properties.accessMode", f->a->id),
                 f->a->mode_text, MOAT_BASIS_EXPLICIT);
}

static void add_control(audit_run *run, const facts *f, int control, verdict v,
                        size_t from, size_t to)
{
    const resource *r = f->r;
    moat_audit *a = run->a;
    moat_cis_ref *refs = moat__arena_alloc(&a->arena, N_CIS * sizeof *refs);
    if (refs == NULL) {
        a->failed = 1;
        return;
    }
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        if (cis_ids[control][i] == NULL)
            continue;
        if (run->cis_only >= 0 && (size_t)run->cis_only != i)
            continue;
        refs[n].version = cis_versions[i];
        refs[n].id = cis_ids[control][i];
        n++;
    }
    /* A control with no CIS number (keyvault-default-deny) is reported
    ** unless one CIS version was asked for. */
    int cis_less = control == C_KEYVAULT_DEFAULT_DENY;
    if (n == 0 && !(cis_less && run->cis_only < 0))
        return;
    moat_control_result *c = PUSH(a, a->controls);
    if (c == NULL)
        return;
    const moat_audit_rule *rule = &rules[control_rule[control]];
    c->control = rule->name;
    c->title = rule->title;
    c->resource = r->id;
    c->resource_name = r->name;
    c->status = v.status;
    c->basis = v.basis;
    c->reason = v.reason;
    c->cis = refs;
    c->n_cis = n;
    if (v.status != MOAT_CONTROL_FAIL)
        return;
    moat_finding *x = finding(a, r, control_rule[control], fmt(a, "%zu", from),
                              fmt(a, "%s: %s", rule->title, v.reason));
    if (x) {
        x->control = rule->name;
        x->cis = refs;
        x->n_cis = n;
        x->fix = control_fix(a, control, r);
        if (v.basis == MOAT_BASIS_UNKNOWN)
            x->level = MOAT_LEVEL_MEDIUM;
    }
    control_evidence(a, x, control, f);
}

static int same_verdict(verdict x, verdict y)
{
    return x.status == y.status && x.basis == y.basis;
}

static void controls_of(audit_run *run, const facts *f)
{
    if (f->storage) {
        add_control(run, f, C_STORAGE_DEFAULT_DENY, default_deny(run->a, f), 0,
                    N_CIS);
        verdict before = trusted_services(f, 0), after = trusted_services(f, 1);
        if (same_verdict(before, after)) {
            add_control(run, f, C_STORAGE_TRUSTED, before, 0, N_CIS);
        } else {
            add_control(run, f, C_STORAGE_TRUSTED, before, 0, CIS_4);
            add_control(run, f, C_STORAGE_TRUSTED, after, CIS_4, N_CIS);
        }
        add_control(run, f, C_STORAGE_PE, private_endpoint(f), 0, N_CIS);
        add_control(run, f, C_STORAGE_PNA, public_access_disabled(f), 0, N_CIS);
    } else {
        add_control(run, f, C_KEYVAULT_PE, private_endpoint(f), 0, N_CIS);
        add_control(run, f, C_KEYVAULT_PNA, public_access_disabled(f), 0,
                    N_CIS);
        add_control(run, f, C_KEYVAULT_DEFAULT_DENY, default_deny(run->a, f), 0,
                    N_CIS);
    }
}

/*--------------------------------------------------------------------------
** Exposure by source class.
*/
static void expose(moat_audit *a, const resource *r, const char *source,
                   const char *admitted, const char *detail)
{
    moat_exposure *e = PUSH(a, a->exposures);
    if (e == NULL)
        return;
    e->resource = r->id;
    e->source = source;
    e->admitted = admitted;
    e->detail = detail;
}

/* Trusted services (decision.md section 4, trusted()): admitted by the
** AzureServices exception when the resource's own rules are consulted and
** its tenant is known. */
static void expose_trusted(moat_audit *a, const facts *f, int open)
{
    const resource *r = f->r;
    const char *src = "trusted-services";
    if (open)
        expose(
            a, r, src, "all",
            "default action Allow admits every caller, trusted services included");
    else if (!f->fallback)
        expose(a, r, src, "none",
               "the resource's exceptions are not consulted");
    else if (r->bypass_basis == BASIS_UNKNOWN)
        expose(a, r, src, "unknown", "networkAcls.bypass is unknown");
    else if (!(r->bypass & BYPASS_AZURE_SERVICES))
        expose(a, r, src, "none", "AzureServices is not in bypass");
    else if (r->tenant == MOAT_ID_NONE)
        expose(a, r, src, "none",
               "bypass AzureServices, but the tenant is unknown (fail closed)");
    else
        expose(
            a, r, src, "some",
            fmt(a,
                "services of the %s catalog from tenant %s (bypass AzureServices)",
                f->storage ? "storage" : "Key Vault", r->tenant_text));
}

/* Which lists admit the internet: "ipRules, ipv6Rules and perimeter
** address rules", as many as public_sets holds with addresses in them. */
static const char *internet_lists(moat_audit *a, const facts *f)
{
    const moat_prefix_set *sets[3];
    size_t n_sets = public_sets(f, sets);
    const char *names[4], *out = "";
    size_t n = 0;
    for (size_t i = 0; i < n_sets; i++) {
        const moat_prefix_set *p = sets[i];
        if (p == &f->r->ips) {
            if (p->n4)
                names[n++] = "ipRules";
            if (p->n6)
                names[n++] = "ipv6Rules";
        } else if (p->n4 || p->n6) {
            names[n++] = p == &f->a->profile->prefixes
                             ? "perimeter address rules"
                             : "perimeter service-tag rules";
        }
    }
    for (size_t i = 0; i < n; i++)
        out = fmt(a, "%s%s%s", out,
                  i == 0       ? ""
                  : i + 1 == n ? " and "
                               : ", ",
                  names[i]);
    return n ? out : "no rule";
}

/* The internet: both address families counted (decision.md section 4:
** IP rules and perimeter address prefixes of either family). "all" when
** every IPv4 address gets in, as before IPv6 was counted; every IPv6
** address alone is "some", and MOAT001 (find_internet) says it. */
/* What keeps the firewall's answer unknown: whether it is consulted
** (publicNetworkAccess, read as Disabled to decide) or its default action
** (read as Deny) being a template expression or a value known after apply.
** Either may really open the public path to everyone, so the exposures the
** firewall decides are unknown, never "none". NULL when both are known. */
static const char *firewall_unknown(const facts *f)
{
    const resource *r = f->r;
    if (mode_basis(f) == MOAT_BASIS_UNKNOWN)
        return "the perimeter association's access mode is unknown";
    if (!f->fallback)
        return NULL;
    if (r->pna_basis == BASIS_UNKNOWN)
        return "publicNetworkAccess is unknown";
    if (r->default_basis == BASIS_UNKNOWN)
        return "networkAcls.defaultAction is unknown";
    return NULL;
}

/* The internet exposure's level and words. */
static const char *internet_level(moat_audit *a, const facts *f,
                                  const char **detail)
{
    const resource *r = f->r;
    addr_count v4 = internet_addresses(a, f, 4);
    addr_count v6 = internet_addresses(a, f, 6);
    int v6_some = v6.all || v6.n.hi || v6.n.lo;
    const char *unknown = firewall_unknown(f);
    if (unknown && !f->locked && !v4.all) {
        *detail =
            v4.n.lo || v6_some
                ? fmt(a,
                      "%s (at least %s IPv4 and %s IPv6 addresses through %s)",
                      unknown, count_text(a, v4), count_text(a, v6),
                      internet_lists(a, f))
                : unknown;
        return "unknown";
    }
    if (f->locked) {
        *detail = "SecuredByPerimeter without a perimeter";
        return "none";
    }
    if (v4.all) {
        *detail = !(f->firewall && r->default_allow)
                      ? "address rules cover the whole IPv4 space"
                  : r->acl_basis == BASIS_DEFAULT
                      ? "no networkAcls: Azure's default action Allow"
                      : "networkAcls.defaultAction Allow";
        return "all";
    }
    if (v4.n.lo || v6_some) {
        *detail = fmt(a, "%s IPv4 addresses and %s IPv6 address%s through %s",
                      count_text(a, v4), count_text(a, v6),
                      v6.all && !v6.n.hi && !v6.n.lo ? "" : "es",
                      internet_lists(a, f));
        return "some";
    }
    if (r->ip_basis == BASIS_UNKNOWN && f->firewall) {
        *detail = "the IP rules are unknown";
        return "unknown";
    }
    *detail = f->enforced ? "Enforced perimeter with no address rule"
              : r->pna == PNA_DISABLED ? "publicNetworkAccess Disabled"
                                       : "no IP rule and default action Deny";
    return "none";
}

/* The internet; for a key vault also its own region, whose callers its IP
** rules see as any other (the same-region rule is Storage's alone,
** decision.md section 7). */
static void expose_internet(moat_audit *a, const facts *f)
{
    const char *detail;
    const char *level = internet_level(a, f, &detail);
    expose(a, f->r, "internet", level, detail);
    if (!f->storage)
        expose(
            a, f->r, "azure-same-region", level,
            fmt(a,
                "as from the internet (Key Vault's IP rules see same-region callers): %s",
                detail));
}

static void expose_private_endpoints(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    unsigned approved, unknown;
    moat_basis pb = pe_counts(r, &approved, &unknown);
    expose(
        a, r, "private-endpoints",
        approved                   ? "some"
        : pb == MOAT_BASIS_UNKNOWN ? "unknown"
                                   : "none",
        pb == MOAT_BASIS_UNKNOWN && r->n_pes == 0
            ? "privateEndpointConnections is unknown"
            : fmt(a, "%u Approved connection%s of %u%s", approved,
                  approved == 1 ? "" : "s", r->n_pes,
                  unknown ? fmt(a, " (%u of unknown approval)", unknown) : ""));
}

/* Same region and virtual networks: what the firewall alone decides. */
static void expose_firewall(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    /* Same region (storage): IP and perimeter address rules do not
    ** apply; a key vault's is its internet exposure. */
    const char *fw_unknown = firewall_unknown(f);
    if (f->storage)
        expose(
            a, r, "azure-same-region",
            f->firewall && r->default_allow ? "all"
            : fw_unknown                    ? "unknown"
                                            : "none",
            f->firewall && r->default_allow
                ? "default action Allow (IP rules do not see same-region callers)"
            : fw_unknown
                ? fw_unknown
                : "IP rules do not apply to callers in the resource's region");
    if (fw_unknown)
        expose(a, r, "virtual-networks", "unknown", fw_unknown);
    else if (f->firewall && r->default_allow)
        expose(a, r, "virtual-networks", "all", "default action Allow");
    else if (f->firewall && r->n_vnet_active)
        expose(a, r, "virtual-networks", "some",
               fmt(a, "%u subnet%s through virtualNetworkRules",
                   r->n_vnet_active, r->n_vnet_active == 1 ? "" : "s"));
    else
        expose(a, r, "virtual-networks",
               r->vnet_basis == BASIS_UNKNOWN ? "unknown" : "none",
               !f->firewall
                   ? "the firewall's virtual network rules are not consulted"
                   : "no active virtual network rule");
}

static void exposure_of(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    expose_internet(a, f);
    expose_firewall(a, f);
    int open = f->firewall && r->default_allow;
    expose_trusted(a, f, open);
    if (open)
        expose(a, r, "identities", "all",
               "default action Allow admits every caller");
    else if (f->storage && f->fallback && own_tenant_rars(r))
        expose(a, r, "identities", "some",
               fmt(a, "%u resource instance rule%s", own_tenant_rars(r),
                   own_tenant_rars(r) == 1 ? "" : "s"));
    else
        expose(a, r, "identities",
               r->rar_basis == BASIS_UNKNOWN ? "unknown" : "none",
               f->storage ? "no resource instance rule in force"
                          : "Key Vault has no resource instance rules");
    expose_private_endpoints(a, f);
    if (f->nsp)
        expose(a, r, "perimeters", "some",
               fmt(a, "callers inside perimeter %s%s, %u linked perimeter%s%s",
                   f->a->perimeter ? f->a->perimeter->name : "?",
                   f->enforced ? " (Enforced)" : " (Learning)", f->a->n_joins,
                   f->a->n_joins == 1 ? "" : "s",
                   pf && pf->n_subs ? ", and subscription rules" : ""));
    else
        expose(a, r, "perimeters", "none",
               f->a ? "Audit mode: the perimeter does not admit"
                    : "not associated with a perimeter");
}

/*--------------------------------------------------------------------------
** Entry point.
*/
moat_status moat_audit_run(const moat_estate *es, const moat_audit_options *opt,
                           moat_audit **out)
{
    *out = NULL;
    if (es == NULL)
        return MOAT_E_INVAL;
    audit_run run = {NULL, es, -1};
    if (opt && opt->cis_version) {
        for (size_t i = 0; i < N_CIS; i++) {
            if (strcmp(cis_versions[i], opt->cis_version) == 0 ||
                (strlen(opt->cis_version) == 3 &&
                 strncmp(cis_versions[i], opt->cis_version, 3) == 0))
                run.cis_only = (int)i;
        }
        if (run.cis_only < 0)
            return MOAT_E_INVAL;
    }
    uint64_t wide =
        opt && opt->wide_ip_addresses ? opt->wide_ip_addresses : 65536;
    moat_audit *a = calloc(1, sizeof *a);
    if (a == NULL)
        return MOAT_E_NOMEM;
    moat__arena_init(&a->arena, 0);
    run.a = a;
    a->deps = es->n_deps ? moat__deps_begin(a, es, opt) : NULL;
    if (es->n_deps && a->deps == NULL)
        a->failed = 1;
    for (size_t i = 0; i < es->n_resources && !a->failed; i++) {
        facts f;
        const resource *r = &es->resources[i];
        facts_of(&f, es, r);
        moat_audited *ar = PUSH(a, a->resources);
        if (ar == NULL)
            break;
        ar->id = r->id;
        ar->name = r->name;
        ar->kind = r->kind == RES_STORAGE ? "storage" : "keyvault";
        ar->file = r->file;
        ar->line = r->line;
        ar->address = r->address;
        ar->first_finding = a->findings.n;
        ar->first_control = a->controls.n;
        ar->first_exposure = a->exposures.n;
        controls_of(&run, &f);
        find_internet(a, &f);
        find_wide(a, &f, wide);
        find_log_metrics(a, &f);
        find_instance_rules(a, &f);
        find_disabled_exceptions(a, &f);
        find_lockdown(a, &f);
        find_not_enforcing(a, &f);
        find_vnet_rules(a, &f);
        find_rejects(a, &f);
        find_pe_states(a, &f);
        find_unknowns(a, &f);
        find_tenant(a, &f);
        find_tag_rules(a, &f);
        moat__deps_on(a->deps, r->id);
        exposure_of(a, &f);
        ar->n_findings = a->findings.n - ar->first_finding;
        ar->n_controls = a->controls.n - ar->first_control;
        ar->n_exposures = a->exposures.n - ar->first_exposure;
    }
    moat__deps_end(a->deps);
    incomplete_of(a, es);
    if (a->failed) {
        moat_audit_free(a);
        return MOAT_E_NOMEM;
    }
    *out = a;
    return MOAT_OK;
}
