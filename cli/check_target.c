/*
** check_target.c - what `moat check --resource` takes besides an ARM id or
** a name: what a developer has in hand, a hostname or a URL.
**
**   https://stx.blob.core.windows.net/c/b   account stx, endpoint blob,
**                                          container c, HTTPS
**   kv-x.vault.azure.net                    vault kv-x, endpoint vault
**
** Storage's hosts are <account>[-secondary].<service>.<suffix> with
** service blob, dfs, file, queue, table or web (also behind privatelink.
** and a static website's zone, z<N>.web), the suffix Azure's public or a
** sovereign cloud's (core.windows.net, core.chinacloudapi.cn,
** core.usgovcloudapi.net); Key Vault's <vault>.vault.azure.net (also
** vault.azure.cn, vault.usgovcloudapi.net). The URL's first path segment
** is the container, share or table; http:// is HTTP.
**
** A name the estate does not hold gets "did you mean" with the closest
** names of the estate (edit distance).
*/
#include "check_target.h"

#include "jmespath.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const suffixes[] = {
    ".core.windows.net", ".core.chinacloudapi.cn", ".core.usgovcloudapi.net",
    ".vault.azure.net",  ".vault.azure.cn",        ".vault.usgovcloudapi.net"};
static const char *const services[] = {"blob",  "dfs", "file",
                                       "queue", "table", "web"};

/* The suffix that host (n bytes) ends with, or NULL. */
static const char *suffix_of(const char *host, size_t n)
{
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strncasecmp(host + n - k, suffixes[i], k) == 0)
            return suffixes[i];
    }
    return NULL;
}

/* Storage's <account>.<...>.<service>: the service label (before the
** suffix) and the account (the first label, -secondary dropped). */
static int storage_host(const char *host, size_t n, check_target *t)
{
    const char *dot = memchr(host, '.', n);
    const char *label_end = host + n, *label = label_end;
    if (dot == NULL)
        return -1;
    while (label > dot && label[-1] != '.')
        label--;
    size_t ln = (size_t)(label_end - label);
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (ln == strlen(services[i]) && strncasecmp(label, services[i], ln) == 0)
            snprintf(t->endpoint, sizeof t->endpoint, "%s", services[i]);
    if (t->endpoint[0] == '\0')
        return -1;
    size_t an = (size_t)(dot - host);
    if (an > 10 && strncasecmp(dot - 10, "-secondary", 10) == 0)
        an -= 10;
    if (an == 0 || an >= sizeof t->name)
        return -1;
    memcpy(t->name, host, an);
    t->name[an] = '\0';
    return 0;
}

int check_target_parse(const char *text, check_target *t)
{
    memset(t, 0, sizeof *t);
    const char *p = text;
    if (strncasecmp(p, "https://", 8) == 0) {
        p += 8;
    } else if (strncasecmp(p, "http://", 7) == 0) {
        p += 7;
        t->http = 1;
    }
    size_t n = strcspn(p, "/:?#");
    const char *suffix = suffix_of(p, n);
    const char *dot = memchr(p, '.', n);
    if (suffix == NULL || dot == NULL)
        return -1;
    if (strstr(suffix, "vault")) {
        size_t vn = (size_t)(dot - p);
        if ((size_t)(dot - p) + strlen(suffix) != n || vn >= sizeof t->name)
            return -1; /* <vault>.vault.azure.net exactly */
        memcpy(t->name, p, vn);
        snprintf(t->endpoint, sizeof t->endpoint, "vault");
    } else if (storage_host(p, n - strlen(suffix), t) != 0) {
        return -1;
    }
    const char *path = p + n + strcspn(p + n, "/?#");
    if (*path == '/' && t->endpoint[0] != 'v') {
        size_t seg = strcspn(path + 1, "/?#");
        if (seg > 0 && seg < sizeof t->target)
            snprintf(t->target, sizeof t->target, "%.*s", (int)seg, path + 1);
    }
    return 0;
}

/*--------------------------------------------------------------------------
** Did you mean.
*/
/* Levenshtein distance, ignoring case (names are); capped. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 128 || lb > 128)
        return (size_t)-1;
    size_t row[129];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            int same = tolower((unsigned char)a[i - 1]) ==
                       tolower((unsigned char)b[j - 1]);
            size_t best = diag + !same;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void check_did_you_mean(const moat_estate *es, const char *name, char *out,
                        size_t cap)
{
    size_t len;
    out[0] = '\0';
    char *text = moat_estate_describe(es, &len);
    jp_arena *a = text ? jp_arena_new(0, 0) : NULL;
    const jp_value *d = a ? jp_parse_json(a, text, len, NULL) : NULL;
    const jp_value *res = jp_get(d, "resources", 9);
    size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2, used = 0;
    for (size_t best = 0; best <= limit; best++) {
        for (size_t i = 0; i < jp_count(res); i++) {
            size_t n;
            const char *rn = jp_string(jp_get(jp_item(res, i), "name", 4), &n);
            if (rn == NULL || distance(name, rn) != best)
                continue;
            int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
                             rn);
            if (w < 0 || (size_t)w >= cap - used)
                break;
            used += (size_t)w;
        }
    }
    jp_arena_free(a);
    moat_free(text);
}
