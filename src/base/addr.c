/*
** addr.c - IPv4 and IPv6 addresses and CIDR ranges.
**
** Parsing accepts exactly the standard text forms, as inet_pton does
** (dotted quad without leading zeros, RFC 4291 IPv6; IPv4 is parsed here,
** IPv6 by inet_pton). Azure keeps
** rules as written ("25.1.2.3", "fe00::1:0:0:1:92"), so moat compares the
** numbers, never the text (decision.md section 1).
*/
#include "moat_int.h"

#include <arpa/inet.h>
#include <string.h>

static moat_u128 from_bytes16(const unsigned char b[16])
{
    moat_u128 v = {0, 0};
    for (int i = 0; i < 8; i++)
        v.hi = (v.hi << 8) | b[i];
    for (int i = 8; i < 16; i++)
        v.lo = (v.lo << 8) | b[i];
    return v;
}

static void to_bytes16(moat_u128 v, unsigned char b[16])
{
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v.hi & 0xFF);
        v.hi >>= 8;
    }
    for (int i = 15; i >= 8; i--) {
        b[i] = (unsigned char)(v.lo & 0xFF);
        v.lo >>= 8;
    }
}

/* A dotted quad exactly as inet_pton(AF_INET) takes it: four decimal
** octets of at most 255, no leading zeros, nothing else. Replay parses a
** caller address per log record, and inet_pton needs a NUL-terminated copy
** (tests/unit/base/test_addr.c compares the two on random text). */
static int parse_ipv4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0 && (i >= n || s[i++] != '.'))
            return -1;
        size_t start = i;
        unsigned x = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            x = x * 10 + (unsigned)(s[i++] - '0');
        if (i == start || x > 255 || (s[start] == '0' && i - start > 1))
            return -1;
        v = v << 8 | x;
    }
    if (i != n)
        return -1;
    *out = v;
    return 0;
}

int moat__addr_parse(const char *s, size_t n, moat_addr *out)
{
    char tmp[64];
    memset(out, 0, sizeof *out);
    /* A NUL inside is not an address (inet_pton would stop at it). */
    if (n == 0 || n >= sizeof tmp || memchr(s, '\0', n))
        return -1;
    uint32_t v4;
    if (parse_ipv4(s, n, &v4) == 0) {
        out->family = 4;
        out->v.lo = v4;
        return 0;
    }
    if (memchr(s, ':', n) == NULL)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    unsigned char b[16];
    if (inet_pton(AF_INET6, tmp, b) != 1)
        return -1;
    moat_u128 v = from_bytes16(b);
    /* ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket. */
    if (v.hi == 0 && (v.lo >> 32) == 0xFFFFu) {
        out->family = 4;
        out->v.lo = v.lo & 0xFFFFFFFFu;
        return 0;
    }
    out->family = 6;
    out->v = v;
    return 0;
}

static moat_u128 host_mask(int family, unsigned prefix)
{
    unsigned bits = (family == 4 ? 32u : 128u) - prefix;
    moat_u128 m = {0, 0};
    if (bits >= 128) {
        m.hi = m.lo = ~0ULL;
    } else if (bits >= 64) {
        m.lo = ~0ULL;
        m.hi = bits == 64 ? 0 : (~0ULL >> (128 - bits));
    } else if (bits > 0) {
        m.lo = ~0ULL >> (64 - bits);
    }
    return m;
}

int moat__cidr_parse(const char *s, size_t n, moat_cidr *out)
{
    memset(out, 0, sizeof *out);
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    moat_addr a;
    /* A rule's address is taken literally: no IPv4-mapped folding. */
    char tmp[64];
    if (alen == 0 || alen >= sizeof tmp)
        return -1;
    memcpy(tmp, s, alen);
    tmp[alen] = '\0';
    if (memchr(tmp, ':', alen) == NULL) {
        if (moat__addr_parse(tmp, alen, &a) != 0 || a.family != 4)
            return -1;
    } else {
        unsigned char b[16];
        if (inet_pton(AF_INET6, tmp, b) != 1)
            return -1;
        a.family = 6;
        a.v = from_bytes16(b);
    }
    unsigned max = a.family == 4 ? 32u : 128u;
    unsigned prefix = max;
    if (slash) {
        const char *p = slash + 1;
        size_t plen = n - alen - 1;
        if (plen == 0 || plen > 3 || (plen > 1 && p[0] == '0'))
            return -1;
        prefix = 0;
        for (size_t i = 0; i < plen; i++) {
            if (p[i] < '0' || p[i] > '9')
                return -1;
            prefix = prefix * 10 + (unsigned)(p[i] - '0');
        }
        if (prefix > max)
            return -1;
    }
    moat_u128 m = host_mask(a.family, prefix);
    out->host_bits = (a.v.hi & m.hi) || (a.v.lo & m.lo);
    a.v.hi &= ~m.hi;
    a.v.lo &= ~m.lo;
    if (a.family == 4)
        a.v.lo &= 0xFFFFFFFFu;
    out->addr = a;
    out->prefix = (uint8_t)prefix;
    out->bare = slash == NULL;
    return 0;
}

/* A dotted quad, as inet_ntop writes it (an empty string when cap is
** too small); inet_ntop's sprintf per octet cost 6% of `moat check
** --requests`. */
static void format_ipv4(uint32_t v, char *buf, size_t cap)
{
    char t[16];
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned o = (v >> shift) & 255u;
        if (o >= 100)
            t[n++] = (char)('0' + o / 100);
        if (o >= 10)
            t[n++] = (char)('0' + o / 10 % 10);
        t[n++] = (char)('0' + o % 10);
        t[n++] = '.';
    }
    t[n - 1] = '\0';
    if (n > cap) {
        if (cap)
            buf[0] = '\0';
        return;
    }
    memcpy(buf, t, n);
}

void moat__addr_format(const moat_addr *a, char *buf, size_t cap)
{
    if (a->family == 4) {
        format_ipv4((uint32_t)a->v.lo, buf, cap);
        return;
    }
    if (a->family == 6) {
        unsigned char b[16];
        to_bytes16(a->v, b);
        if (inet_ntop(AF_INET6, b, buf, (socklen_t)cap) == NULL && cap)
            buf[0] = '\0';
        return;
    }
    if (cap)
        buf[0] = '\0';
}

void moat__cidr_format(const moat_cidr *c, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    moat__addr_format(&c->addr, a, sizeof a);
    snprintf(buf, cap, "%s/%u", a, (unsigned)c->prefix);
}

void moat__cidr_range(const moat_cidr *c, moat_u128 *lo, moat_u128 *hi)
{
    moat_u128 m = host_mask(c->addr.family, c->prefix);
    *lo = c->addr.v;
    hi->hi = c->addr.v.hi | m.hi;
    hi->lo = c->addr.v.lo | m.lo;
    if (c->addr.family == 4)
        hi->lo &= 0xFFFFFFFFu;
}

int moat__cidr_is_private_v4(const moat_cidr *c)
{
    static const struct {
        uint32_t net;
        unsigned prefix;
    } rfc1918[] = {{0x0A000000u, 8}, {0xAC100000u, 12}, {0xC0A80000u, 16}};
    if (c->addr.family != 4)
        return 0;
    uint32_t a = (uint32_t)c->addr.v.lo;
    for (size_t i = 0; i < MOAT_ARRAY_LEN(rfc1918); i++) {
        unsigned p = rfc1918[i].prefix;
        uint32_t mask = 0xFFFFFFFFu << (32 - p);
        /* Inside when the rule is at least as narrow and shares the net. */
        if (c->prefix >= p && (a & mask) == rfc1918[i].net)
            return 1;
    }
    return 0;
}

uint64_t moat__cidr_size(const moat_cidr *c)
{
    unsigned bits = (c->addr.family == 4 ? 32u : 128u) - c->prefix;
    if (bits >= 64)
        return UINT64_MAX;
    return 1ULL << bits;
}

/*--------------------------------------------------------------------------
** The public view of a range, for tools that edit rules (moat.h).
*/
static void range_from_cidr(const moat_cidr *c, moat_range *r)
{
    memset(r, 0, sizeof *r);
    r->family = c->addr.family;
    r->prefix = c->prefix;
    r->bare = c->bare;
    r->host_bits = c->host_bits;
    if (c->addr.family == 4) {
        uint32_t v = (uint32_t)c->addr.v.lo;
        for (int i = 0; i < 4; i++)
            r->addr[i] = (unsigned char)(v >> (24 - 8 * i));
    } else {
        to_bytes16(c->addr.v, r->addr);
    }
}

static void cidr_from_range(const moat_range *r, moat_cidr *c)
{
    memset(c, 0, sizeof *c);
    c->addr.family = (uint8_t)r->family;
    c->prefix = (uint8_t)r->prefix;
    c->bare = (uint8_t)r->bare;
    if (r->family == 4) {
        c->addr.v.lo = (uint64_t)r->addr[0] << 24 | (uint64_t)r->addr[1] << 16 |
                       (uint64_t)r->addr[2] << 8 | r->addr[3];
    } else {
        c->addr.v = from_bytes16(r->addr);
    }
}

moat_status moat_range_parse(const char *text, moat_range *out)
{
    moat_cidr c;
    if (text == NULL || out == NULL)
        return MOAT_E_INVAL;
    if (moat__cidr_parse(text, strlen(text), &c) != 0)
        return MOAT_E_INVAL;
    range_from_cidr(&c, out);
    return MOAT_OK;
}

int moat_range_overlaps(const moat_range *a, const moat_range *b)
{
    if (a->family != b->family)
        return 0;
    moat_cidr ca, cb;
    cidr_from_range(a, &ca);
    cidr_from_range(b, &cb);
    moat_u128 alo, ahi, blo, bhi;
    moat__cidr_range(&ca, &alo, &ahi);
    moat__cidr_range(&cb, &blo, &bhi);
    return moat__u128_cmp(alo, bhi) <= 0 && moat__u128_cmp(blo, ahi) <= 0;
}

int moat_range_equal(const moat_range *a, const moat_range *b)
{
    return a->family == b->family && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

int moat_range_is_private(const moat_range *r)
{
    moat_cidr c;
    cidr_from_range(r, &c);
    return moat__cidr_is_private_v4(&c);
}

void moat_range_format(const moat_range *r, char *buf, size_t cap)
{
    moat_cidr c;
    cidr_from_range(r, &c);
    moat__cidr_format(&c, buf, cap);
}
