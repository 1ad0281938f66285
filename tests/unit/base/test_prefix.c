/*
** test_prefix.c - the prefix matcher against a brute-force scan: random
** rule sets (nested, overlapping, duplicated, /0 and host routes) and over
** a million random lookups per family; the matcher must name the same
** lowest rule index as a linear scan, every time.
*/
#include "harness.h"
#include "moat_int.h"

#include <stdlib.h>

static unsigned long long state = 88172645463325252ULL;
static unsigned long long next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint16_t brute(const moat_cidr *rules, size_t n, const moat_addr *a)
{
    for (size_t i = 0; i < n; i++) {
        moat_u128 lo, hi;
        if (rules[i].addr.family != a->family)
            continue;
        moat__cidr_range(&rules[i], &lo, &hi);
        if (moat__u128_cmp(lo, a->v) <= 0 && moat__u128_cmp(a->v, hi) <= 0)
            return (uint16_t)i;
    }
    return MOAT_RULE_NONE;
}

static moat_cidr random_rule(int family)
{
    moat_cidr c;
    memset(&c, 0, sizeof c);
    c.addr.family = (uint8_t)family;
    unsigned max = family == 4 ? 32 : 128;
    /* Mostly clustered in a small space so that rules overlap. */
    if (family == 4) {
        c.addr.v.lo = (uint32_t)(0xC6336400u + (next() % 4096));
        if (next() % 8 == 0)
            c.addr.v.lo = (uint32_t)next();
    } else {
        c.addr.v.hi = 0x20010db800000000ULL | (next() % 16);
        c.addr.v.lo = next() % 65536;
        if (next() % 8 == 0) {
            c.addr.v.hi = next();
            c.addr.v.lo = next();
        }
    }
    unsigned p = (unsigned)(next() % (max + 1));
    if (next() % 4 == 0)
        p = max; /* host routes */
    if (next() % 50 == 0)
        p = 0;
    c.prefix = (uint8_t)p;
    /* Clear host bits as the parser does. */
    moat_u128 lo, hi;
    moat__cidr_range(&c, &lo, &hi);
    c.addr.v = lo;
    return c;
}

static moat_addr random_addr(int family, const moat_cidr *rules, size_t n)
{
    moat_addr a;
    memset(&a, 0, sizeof a);
    a.family = (uint8_t)family;
    if (n && next() % 2) {
        /* Near a rule's edge: first, last, or one outside. */
        const moat_cidr *r = &rules[next() % n];
        if (r->addr.family == family) {
            moat_u128 lo, hi;
            moat__cidr_range(r, &lo, &hi);
            switch (next() % 4) {
            case 0: a.v = lo; break;
            case 1: a.v = hi; break;
            case 2:
                a.v = lo;
                if (a.v.lo-- == 0)
                    a.v.hi--;
                break;
            default:
                a.v = hi;
                if (++a.v.lo == 0)
                    a.v.hi++;
                break;
            }
            if (family == 4)
                a.v.hi = 0, a.v.lo &= 0xFFFFFFFFu;
            return a;
        }
    }
    if (family == 4) {
        a.v.lo = (uint32_t)(0xC6336400u + (next() % 8192));
        if (next() % 4 == 0)
            a.v.lo = (uint32_t)next();
    } else {
        a.v.hi = 0x20010db800000000ULL | (next() % 16);
        a.v.lo = next() % 131072;
        if (next() % 4 == 0) {
            a.v.hi = next();
            a.v.lo = next();
        }
    }
    return a;
}

static void run_family(int *failed_, int family, long lookups)
{
    long done = 0, hits = 0;
    while (done < lookups) {
        size_t n = 1 + next() % 400;
        moat_cidr *rules = malloc(n * sizeof *rules);
        ASSERT(rules != NULL);
        moat_prefix_builder b;
        moat__prefix_builder_init(&b);
        for (size_t i = 0; i < n; i++) {
            rules[i] = random_rule(next() % 10 == 0 ? 10 - family : family);
            moat__prefix_builder_add(&b, &rules[i], (uint16_t)i);
        }
        moat_arena a;
        moat__arena_init(&a, 0);
        moat_prefix_set set;
        ASSERT_EQ(moat__prefix_build(&b, &a, &set), MOAT_OK);
        moat__prefix_builder_free(&b);
        /* Intervals are sorted and disjoint. */
        for (uint32_t i = 1; i < set.n4; i++)
            ASSERT(set.v4[i - 1].hi < set.v4[i].lo);
        for (uint32_t i = 1; i < set.n6; i++)
            ASSERT(moat__u128_cmp(set.v6[i - 1].hi, set.v6[i].lo) < 0);
        for (int k = 0; k < 5000; k++, done++) {
            moat_addr addr = random_addr(family, rules, n);
            uint16_t want = brute(rules, n, &addr);
            uint16_t got = moat__prefix_lookup(&set, &addr);
            if (want != got) {
                char text[64];
                moat__addr_format(&addr, text, sizeof text);
                free(rules);
                moat__arena_free(&a);
                FAIL_AT("%s: matcher says rule %u, brute force %u", text, got,
                        want);
            }
            hits += want != MOAT_RULE_NONE;
        }
        free(rules);
        moat__arena_free(&a);
    }
    printf("#   IPv%d: %ld lookups, %ld inside a rule, 0 mismatches\n", family,
           done, hits);
}

TEST(prefix_matches_brute_force_ipv4)
{
    run_family(failed_, 4, 1000000);
}

TEST(prefix_matches_brute_force_ipv6)
{
    run_family(failed_, 6, 1000000);
}

TEST(prefix_edges)
{
    static const char *const rules[] = {"0.0.0.0/0", "255.255.255.255", "::/0",
                                        "ffff:ffff:ffff:ffff:ffff:"
                                        "ffff:ffff:ffff/128"};
    moat_prefix_builder b;
    moat__prefix_builder_init(&b);
    for (size_t i = 0; i < 4; i++) {
        moat_cidr c;
        ASSERT_EQ(moat__cidr_parse(rules[i], strlen(rules[i]), &c), 0);
        moat__prefix_builder_add(&b, &c, (uint16_t)(3 - i));
    }
    moat_arena a;
    moat__arena_init(&a, 0);
    moat_prefix_set set;
    ASSERT_EQ(moat__prefix_build(&b, &a, &set), MOAT_OK);
    moat__prefix_builder_free(&b);
    moat_addr x;
    moat__addr_parse("255.255.255.255", 15, &x);
    ASSERT_EQ(moat__prefix_lookup(&set, &x), 2); /* the host rule is lower */
    moat__addr_parse("1.2.3.4", 7, &x);
    ASSERT_EQ(moat__prefix_lookup(&set, &x), 3);
    moat__addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 39, &x);
    ASSERT_EQ(moat__prefix_lookup(&set, &x), 0);
    moat__addr_parse("::", 2, &x);
    ASSERT_EQ(moat__prefix_lookup(&set, &x), 1);
    moat_prefix_set empty;
    memset(&empty, 0, sizeof empty);
    ASSERT_EQ(moat__prefix_lookup(&empty, &x), MOAT_RULE_NONE);
    moat__arena_free(&a);
}
