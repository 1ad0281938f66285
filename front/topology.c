/*
** topology.c - see topology.h.
*/
#include "topology.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct range {
    int family;
    unsigned char addr[16];
    int prefix;
    char *subnet;
} range;

typedef struct listener {
    int family;
    unsigned char addr[16];
    int port; /* 0: any */
    char *pe;
} listener;

struct topology {
    range *ranges;
    size_t n_ranges;
    listener *listeners;
    size_t n_listeners;
};

static int fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "a.b.c.d/n" or "v6/n" or a bare address. */
static int parse_cidr(const char *s, range *r)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    r->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(r->family, buf, r->addr) != 1)
        return -1;
    int max = r->family == AF_INET ? 32 : 128;
    r->prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash, &end, 10);
        if (*slash == '\0' || *end || p < 0 || p > max)
            return -1;
        r->prefix = (int)p;
    }
    return 0;
}

/* "ip:port", "[v6]:port", or "ip" (any port). */
static int parse_listen(const char *s, listener *l)
{
    char buf[80];
    snprintf(buf, sizeof buf, "%s", s);
    char *host = buf, *port = NULL;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL)
            return -1;
        *close = '\0';
        host = buf + 1;
        if (close[1] == ':')
            port = close + 2;
    } else if (strchr(buf, ':') && strchr(buf, ':') == strrchr(buf, ':')) {
        port = strchr(buf, ':');
        *port++ = '\0';
    }
    l->family = strchr(host, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(l->family, host, l->addr) != 1)
        return -1;
    l->port = 0;
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*port == '\0' || *end || p < 1 || p > 65535)
            return -1;
        l->port = (int)p;
    }
    return 0;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static int load_subnets(topology *t, const cJSON *list, char *err, size_t cap)
{
    size_t i = 0, total = 0;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "addresses");
        total += (size_t)cJSON_GetArraySize(a);
    }
    t->ranges = calloc(total ? total : 1, sizeof *t->ranges);
    if (t->ranges == NULL)
        return fail(err, cap, "out of memory");
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++) {
        const char *subnet = str(e, "subnet");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "addresses");
        if (subnet == NULL || !cJSON_IsArray(a))
            return fail(
                err, cap,
                "subnets[%zu]: expected {\"addresses\": [...], \"subnet\": \"<subnet id>\"}",
                i);
        for (const cJSON *x = a->child; x; x = x->next) {
            range *r = &t->ranges[t->n_ranges];
            if (!cJSON_IsString(x) || parse_cidr(x->valuestring, r) < 0)
                return fail(
                    err, cap,
                    "subnets[%zu].addresses: \"%s\" is not an address range", i,
                    cJSON_IsString(x) ? x->valuestring : "?");
            r->subnet = strdup(subnet);
            t->n_ranges++;
        }
    }
    return 0;
}

static int load_listeners(topology *t, const cJSON *list, char *err, size_t cap)
{
    size_t n = (size_t)cJSON_GetArraySize(list), i = 0;
    t->listeners = calloc(n ? n : 1, sizeof *t->listeners);
    if (t->listeners == NULL)
        return fail(err, cap, "out of memory");
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++) {
        const char *listen = str(e, "listen"), *pe = str(e, "private_endpoint");
        listener *l = &t->listeners[t->n_listeners];
        if (listen == NULL || pe == NULL || parse_listen(listen, l) < 0)
            return fail(
                err, cap,
                "private_endpoints[%zu]: expected {\"listen\": \"ip:port\", \"private_endpoint\": \"<id>\"}",
                i);
        l->pe = strdup(pe);
        t->n_listeners++;
    }
    return 0;
}

topology *moat_topology_load(const char *json, size_t len, char *err, size_t cap)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        fail(err, cap, "not a topology: expected a JSON object");
        return NULL;
    }
    topology *t = calloc(1, sizeof *t);
    int rc = t ? 0 : -1;
    const cJSON *subnets = cJSON_GetObjectItemCaseSensitive(root, "subnets");
    const cJSON *pes =
        cJSON_GetObjectItemCaseSensitive(root, "private_endpoints");
    if (rc == 0 &&
        ((subnets && !cJSON_IsArray(subnets)) || (pes && !cJSON_IsArray(pes))))
        rc = fail(err, cap, "\"subnets\" and \"private_endpoints\" are lists");
    if (rc == 0)
        rc = load_subnets(t, subnets, err, cap);
    if (rc == 0)
        rc = load_listeners(t, pes, err, cap);
    cJSON_Delete(root);
    if (rc < 0) {
        moat_topology_free(t);
        return NULL;
    }
    return t;
}

void moat_topology_free(topology *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_ranges; i++)
        free(t->ranges[i].subnet);
    for (size_t i = 0; i < t->n_listeners; i++)
        free(t->listeners[i].pe);
    free(t->ranges);
    free(t->listeners);
    free(t);
}

/* The address bytes and family of a socket address (IPv4-mapped IPv6 as
** IPv4, as the service sees it). */
static int addr_of(const struct sockaddr *sa, unsigned char *out, int *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in =
            (const struct sockaddr_in *)(const void *)sa;
        memcpy(out, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)(const void *)sa;
        *port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            memcpy(out, in6->sin6_addr.s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(out, &in6->sin6_addr, 16);
        return AF_INET6;
    }
    return 0;
}

static int in_range(const range *r, int family, const unsigned char *a)
{
    if (r->family != family)
        return 0;
    int full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr, a, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (r->addr[full] & mask) == (a[full] & mask);
}

const char *moat_topology_subnet(const topology *t, const struct sockaddr *src)
{
    unsigned char a[16];
    int port, fam = t && src ? addr_of(src, a, &port) : 0;
    const range *best = NULL;
    for (size_t i = 0; fam && i < t->n_ranges; i++) {
        if (in_range(&t->ranges[i], fam, a) &&
            (best == NULL || t->ranges[i].prefix > best->prefix))
            best = &t->ranges[i]; /* the most specific range wins */
    }
    return best ? best->subnet : NULL;
}

const char *moat_topology_private_endpoint(const topology *t,
                                      const struct sockaddr *local)
{
    unsigned char a[16];
    int port, fam = t && local ? addr_of(local, a, &port) : 0;
    for (size_t i = 0; fam && i < t->n_listeners; i++) {
        const listener *l = &t->listeners[i];
        if (l->family == fam &&
            memcmp(l->addr, a, fam == AF_INET ? 4 : 16) == 0 &&
            (l->port == 0 || l->port == port))
            return l->pe;
    }
    return NULL;
}
