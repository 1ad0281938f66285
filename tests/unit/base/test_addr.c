/*
** test_addr.c - address and CIDR parsing as Azure's validation needs it.
*/
#include "harness.h"
#include "moat_int.h"

#include <arpa/inet.h>

static int cidr(const char *s, moat_cidr *c)
{
    return moat__cidr_parse(s, strlen(s), c);
}

TEST(addr_parse_and_format)
{
    moat_addr a;
    char text[64];
    ASSERT_EQ(moat__addr_parse("203.0.113.7", 11, &a), 0);
    ASSERT_EQ(a.family, 4);
    ASSERT_EQ(a.v.lo, 0xCB007107u);
    ASSERT_EQ(moat__addr_parse("fe00::1:0:0:1:92", 16, &a), 0);
    ASSERT_EQ(a.family, 6);
    moat__addr_format(&a, text, sizeof text);
    ASSERT_STR(text, "fe00::1:0:0:1:92");
    /* IPv4-mapped IPv6 is the IPv4 client. */
    ASSERT_EQ(moat__addr_parse("::ffff:198.51.100.9", 19, &a), 0);
    ASSERT_EQ(a.family, 4);
    moat__addr_format(&a, text, sizeof text);
    ASSERT_STR(text, "198.51.100.9");
    static const char *const bad[] = {"",          "1.2.3",    "1.2.3.4.5",
                                      "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
                                      "fe00:::1",  "hello",    "1.2.3.4/24"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT(moat__addr_parse(bad[i], strlen(bad[i]), &a) != 0);
    /* A NUL inside is not an address, IPv4 or IPv6. */
    ASSERT(moat__addr_parse("1.2.3.4\0junk", 12, &a) != 0);
    ASSERT(moat__addr_parse("::1\0junk", 8, &a) != 0);
}

/* The IPv4 fast path takes exactly what inet_pton takes: random strings
** over the characters of addresses, and mutations of valid ones. */
TEST(addr_parse_matches_inet_pton)
{
    static const char alphabet[] = "0123456789.....:abf x";
    unsigned seed = 12345;
    size_t accepted = 0;
    for (int i = 0; i < 400000; i++) {
        char s[24];
        size_t n;
        seed = seed * 1103515245u + 12345u;
        if (i % 2) {
            n = (size_t)snprintf(s, sizeof s, "%u.%u.%u.%u", (seed >> 8) % 300,
                                 (seed >> 12) % 260, (seed >> 16) % 256,
                                 (seed >> 20) % 256);
            if ((seed >> 24) % 4 == 0)
                s[(seed >> 3) % n] =
                    alphabet[(seed >> 5) % (sizeof alphabet - 1)];
        } else {
            n = 1 + (seed >> 8) % 17;
            for (size_t k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                s[k] = alphabet[(seed >> 10) % (sizeof alphabet - 1)];
            }
            s[n] = '\0';
        }
        struct in_addr a4;
        unsigned char b6[16];
        moat_addr a;
        int got = moat__addr_parse(s, n, &a) == 0;
        int want4 = inet_pton(AF_INET, s, &a4) == 1;
        int want6 = strchr(s, ':') && inet_pton(AF_INET6, s, b6) == 1;
        if (got != (want4 || want6))
            FAIL_AT("'%s': moat %d, inet_pton %d", s, got, want4 || want6);
        if (want4 && (a.family != 4 || a.v.lo != ntohl(a4.s_addr)))
            FAIL_AT("'%s': value differs", s);
        accepted += want4;
    }
    printf("#   400000 strings, %zu IPv4 addresses, 0 mismatches\n", accepted);
    ASSERT(accepted > 100000);
}

TEST(cidr_parse_rules)
{
    moat_cidr c;
    ASSERT_EQ(cidr("203.0.113.0/24", &c), 0);
    ASSERT_EQ(c.prefix, 24);
    ASSERT_EQ(c.bare, 0);
    ASSERT_EQ(cidr("198.51.100.17", &c), 0);
    ASSERT_EQ(c.prefix, 32);
    ASSERT_EQ(c.bare, 1);
    /* Host bits under the prefix are ignored (decision.md section 7). */
    ASSERT_EQ(cidr("203.0.113.77/24", &c), 0);
    ASSERT_EQ(c.host_bits, 1);
    char text[80];
    moat__cidr_format(&c, text, sizeof text);
    ASSERT_STR(text, "203.0.113.0/24");
    ASSERT_EQ(cidr("2001:0db8:85a3::/64", &c), 0);
    moat__cidr_format(&c, text, sizeof text);
    ASSERT_STR(text, "2001:db8:85a3::/64");
    static const char *const bad[] = {"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/08",
                                      "::/129",     "/24",      "1.2.3.4/2x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT(cidr(bad[i], &c) != 0);
}

TEST(cidr_private_ranges)
{
    moat_cidr c;
    static const char *const priv[] = {"10.0.0.0/8", "10.1.2.3",
                                       "172.16.0.0/12", "172.31.255.0/24",
                                       "192.168.1.0/24"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        ASSERT_EQ(cidr(priv[i], &c), 0);
        ASSERT(moat__cidr_is_private_v4(&c));
    }
    /* Only ranges inside the private blocks: 0.0.0.0/0 is valid. */
    static const char *const pub[] = {"0.0.0.0/0",     "8.0.0.0/7",
                                      "172.32.0.0/16", "192.169.0.0/16",
                                      "11.0.0.0/8",    "172.0.0.0/8"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        ASSERT_EQ(cidr(pub[i], &c), 0);
        ASSERT(!moat__cidr_is_private_v4(&c));
    }
    ASSERT_EQ(cidr("0.0.0.0/0", &c), 0);
    ASSERT(moat__cidr_size(&c) == 4294967296ULL);
}

/* The IPv4 formatter writes what inet_ntop writes, and an empty string
** where inet_ntop has no room (every buffer size up to 16). */
TEST(addr_format_matches_inet_ntop)
{
    uint32_t v = 0x9E3779B9u;
    for (int i = 0; i < 200000; i++) {
        v = v * 1664525u + 1013904223u;
        uint32_t a32 = i < 256 ? (uint32_t)i * 0x01010101u : v;
        moat_addr a = {0};
        a.family = 4;
        a.v.lo = a32;
        size_t cap = i % 3 ? 16 : (size_t)(i % 17);
        char got[16] = "?", want[16] = "?";
        struct in_addr a4;
        a4.s_addr = htonl(a32);
        if (inet_ntop(AF_INET, &a4, want, (socklen_t)cap) == NULL && cap)
            want[0] = '\0';
        moat__addr_format(&a, got, cap);
        if ((cap && strcmp(got, want) != 0) || (!cap && got[0] != '?'))
            FAIL_AT("%08x in %zu bytes: \"%s\", inet_ntop \"%s\"", a32, cap,
                    got, want);
    }
}
